"""Consumers of the array API (scikit-learn, SciPy) on arraygrad tensors, run as a script.

SciPy reads SCIPY_ARRAY_API when it is first imported, and scikit-learn's dispatch needs it,
so test_consumers.py runs this file in a fresh interpreter with SCIPY_ARRAY_API=1. Each check
calls the consumer on arraygrad tensors and on the same NumPy arrays, and asserts that the
results are arraygrad tensors (on arraygrad's CPU device) with NumPy's values. The script
prints {check name: None, or the failure's traceback} as JSON.
"""

from __future__ import annotations

import json
import sys
import traceback
import warnings

CHECKS = {}


def check(fn):
    CHECKS[fn.__name__] = fn
    return fn


def _data(n=40, d=5, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = (X[:, 0] + 0.5 * X[:, 1] + 0.3 * rng.standard_normal(n) > 0).astype(np.int64)
    return X, y


def _same(got, expected, rtol=1e-7, atol=1e-9):
    """`got` is an arraygrad tensor holding `expected` (a NumPy result of the same call)."""
    import numpy as np

    import arraygrad as xp

    assert isinstance(got, xp.Tensor), f"expected an arraygrad Tensor, got {type(got).__name__}"
    assert got.device == xp.device("cpu"), got.device
    expected = np.asarray(expected)
    assert tuple(got.shape) == expected.shape, (tuple(got.shape), expected.shape)
    assert got.dtype.name == expected.dtype.name, (got.dtype, expected.dtype)
    np.testing.assert_allclose(np.asarray(got), expected, rtol=rtol, atol=atol)


def _fit_both(make, *arrays):
    """(estimator fitted on arraygrad tensors, the same fitted on NumPy arrays)."""
    import sklearn

    import arraygrad as xp

    with sklearn.config_context(array_api_dispatch=True):
        on_ag = make().fit(*(xp.asarray(a) for a in arrays))
    return on_ag, make().fit(*arrays)


# ----- scikit-learn (array_api_dispatch=True) -----------------------------------------------
@check
def sklearn_lda():
    import sklearn
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    import arraygrad as xp

    X, y = _data()
    ag, ref = _fit_both(LinearDiscriminantAnalysis, X, y)
    with sklearn.config_context(array_api_dispatch=True):
        Xt = xp.asarray(X)
        _same(ag.predict(Xt), ref.predict(X))
        _same(ag.predict_proba(Xt), ref.predict_proba(X), rtol=1e-6)
        _same(ag.transform(Xt), ref.transform(X), rtol=1e-6)
        _same(ag.decision_function(Xt), ref.decision_function(X), rtol=1e-6)
    _same(ag.coef_, ref.coef_, rtol=1e-6)


@check
def sklearn_pca():
    import sklearn
    from sklearn.decomposition import PCA

    import arraygrad as xp

    X, _ = _data()
    ag, ref = _fit_both(lambda: PCA(n_components=3, svd_solver="full"), X)
    with sklearn.config_context(array_api_dispatch=True):
        Xt = xp.asarray(X)
        _same(ag.transform(Xt), ref.transform(X), rtol=1e-6)
        _same(ag.inverse_transform(ag.transform(Xt)), ref.inverse_transform(ref.transform(X)),
              rtol=1e-6)
    _same(ag.explained_variance_ratio_, ref.explained_variance_ratio_)
    _same(ag.components_, ref.components_, rtol=1e-6)


@check
def sklearn_ridge():
    import sklearn
    from sklearn.linear_model import Ridge

    import arraygrad as xp

    X, _ = _data()
    target = X @ [1.0, -2.0, 0.5, 0.0, 3.0] + 0.1
    ag, ref = _fit_both(lambda: Ridge(alpha=0.5, solver="svd"), X, target)
    with sklearn.config_context(array_api_dispatch=True):
        _same(ag.predict(xp.asarray(X)), ref.predict(X))
    _same(ag.coef_, ref.coef_)


@check
def sklearn_preprocessing():
    import sklearn
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    import arraygrad as xp

    X, _ = _data()
    for make in (StandardScaler, MinMaxScaler):
        ag, ref = _fit_both(make, X)
        with sklearn.config_context(array_api_dispatch=True):
            _same(ag.transform(xp.asarray(X)), ref.transform(X))


@check
def sklearn_float32_stays_float32():
    import sklearn
    from sklearn.decomposition import PCA

    import arraygrad as xp

    X, _ = _data()
    X32 = X.astype("float32")
    with sklearn.config_context(array_api_dispatch=True):
        out = PCA(n_components=2, svd_solver="full").fit_transform(xp.asarray(X32))
    ref = PCA(n_components=2, svd_solver="full").fit_transform(X32)
    _same(out, ref, rtol=1e-3, atol=1e-4)


@check
def sklearn_without_dispatch():
    """Dispatch off, scikit-learn converts tensors with np.asarray and may hand their dtype
    back to NumPy (RidgeCV keeps X.dtype when it has a floating .kind)."""
    import numpy as np
    from sklearn.linear_model import RidgeCV

    import arraygrad as xp

    X, _ = _data()
    target = X @ [1.0, -2.0, 0.5, 0.0, 3.0]
    got = RidgeCV().fit(xp.asarray(X), xp.asarray(target))
    ref = RidgeCV().fit(X, target)
    np.testing.assert_allclose(np.asarray(got.coef_), ref.coef_, rtol=1e-7)


# ----- SciPy (SCIPY_ARRAY_API=1) ---------------------------------------------------------
def _scipy_pairs():
    import numpy as np

    X, _ = _data(8, 6, seed=1)
    return X, np.abs(X) + 0.5


@check
def scipy_special():
    import numpy as np
    import scipy.special as sp

    import arraygrad as xp

    X, P = _scipy_pairs()
    for fn in (sp.erf, sp.erfc, sp.expit, sp.ndtr, lambda a: sp.gammaln(a),
               lambda a: sp.xlogy(a, a)):
        _same(fn(xp.asarray(P)), fn(P), rtol=1e-12)
    _same(sp.logsumexp(xp.asarray(X), axis=1), sp.logsumexp(X, axis=1), rtol=1e-12)
    _same(sp.logsumexp(xp.asarray(X)), np.asarray(sp.logsumexp(X)), rtol=1e-12)
    _same(sp.softmax(xp.asarray(X), axis=0), sp.softmax(X, axis=0), rtol=1e-12)


@check
def scipy_fft():
    import scipy.fft as sf

    import arraygrad as xp

    X, _ = _scipy_pairs()
    Xt = xp.asarray(X)
    _same(sf.fft(Xt), sf.fft(X), rtol=1e-12, atol=1e-12)
    _same(sf.ifft(Xt, axis=0), sf.ifft(X, axis=0), rtol=1e-12, atol=1e-12)
    _same(sf.rfft(Xt), sf.rfft(X), rtol=1e-12, atol=1e-12)
    _same(sf.irfft(sf.rfft(Xt), n=6), sf.irfft(sf.rfft(X), n=6), rtol=1e-12, atol=1e-12)
    _same(sf.fftn(Xt), sf.fftn(X), rtol=1e-12, atol=1e-12)
    _same(sf.fftshift(Xt), sf.fftshift(X))
    _same(sf.dct(Xt), sf.dct(X), rtol=1e-12, atol=1e-12)


@check
def scipy_stats():
    import scipy.stats as ss

    import arraygrad as xp

    X, P = _scipy_pairs()
    Xt, Pt = xp.asarray(X), xp.asarray(P)
    _same(ss.zscore(Xt, axis=0), ss.zscore(X, axis=0), rtol=1e-12)
    _same(ss.moment(Xt, order=3, axis=1), ss.moment(X, order=3, axis=1), rtol=1e-10, atol=1e-12)
    _same(ss.skew(Xt, axis=1), ss.skew(X, axis=1), rtol=1e-10)
    _same(ss.kurtosis(Xt, axis=1), ss.kurtosis(X, axis=1), rtol=1e-10)
    _same(ss.sem(Xt, axis=0), ss.sem(X, axis=0), rtol=1e-12)
    _same(ss.gmean(Pt, axis=1), ss.gmean(P, axis=1), rtol=1e-12)
    _same(ss.hmean(Pt, axis=1), ss.hmean(P, axis=1), rtol=1e-12)
    _same(ss.entropy(Pt, axis=1), ss.entropy(P, axis=1), rtol=1e-12)
    _same(ss.ttest_1samp(Xt, 0.0, axis=1).statistic, ss.ttest_1samp(X, 0.0, axis=1).statistic,
          rtol=1e-10)
    _same(ss.pearsonr(Xt[0], Xt[1]).statistic, ss.pearsonr(X[0], X[1]).statistic, rtol=1e-10)


def main(names) -> dict:
    warnings.simplefilter("ignore")  # estimators warn about solvers; the values are checked
    results = {}
    for name in names:
        try:
            CHECKS[name]()
            results[name] = None
        except Exception:
            results[name] = traceback.format_exc()
    return results


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:] or list(CHECKS))))
