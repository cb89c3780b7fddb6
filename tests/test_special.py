"""arraygrad.special (src/arraygrad/special.py) against torch.special 2.13: values on float64
and float32 (edge values included), result dtypes, gradients (against torch's autograd and
by gradcheck / gradgradcheck), errors; on the NumPy backend (SciPy's kernels) and on the
array-api-strict backend (the generic array-API implementations). The generic
implementations are also checked directly against scipy.special over wide ranges.

Tolerances: the generic implementations agree with SciPy to 1e-12 relative (most to
~2e-15) except where the function crosses zero, where the comparison is absolute (1e-15 to
5e-14, the cancellation any evaluation there has; arraygrad's lgamma near 1 and 2 is in
fact more accurate than SciPy's, see test_generic_gammaln_near_roots_mpmath). torch's
trigamma (polygamma(1, x), digamma's gradient) is only accurate to ~1e-9 relative, so
comparisons with it use rtol 1e-8.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import arraygrad as ag
import arraygrad.special as S
from arraygrad._dispatch import GENERIC_IMPLS
from arraygrad.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
sc = pytest.importorskip("scipy.special")

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

def _rng():
    """The same draws in every test, whatever ran before it in this worker (xdist)."""
    return np.random.default_rng(1234)
INF, NAN = math.inf, math.nan

EDGES = [-INF, -3.0, -2.5, -1.0, -0.0, 0.0, 1e-300, 1e-8, 0.5, 1.0, 1.5, 2.0, 3.7, 25.0, 1e300,
         INF, NAN]
PROBS = [-1.0, -0.5, -0.0, 0.0, 1e-300, 1e-20, 0.1, 0.5, 0.9, 1 - 1e-12, 1.0, 1.5, INF, NAN]

UNARY = ["gammaln", "digamma", "psi", "erfinv", "erfcx", "i0", "i0e", "i1", "i1e", "ndtri",
         "log_ndtr", "ndtr", "entr", "expit", "exp2", "expm1", "log1p", "sinc", "erf", "erfc"]
NEW_OPS = ["gammaln", "digamma", "erfinv", "erfcx", "i0", "i0e", "i1", "i1e", "ndtri", "log_ndtr"]


def _grid(name):
    """Sample inputs across each function's domain (float64)."""
    if name in ("erfinv",):
        return np.concatenate([np.array(PROBS) * 2 - 1, _rng().uniform(-1, 1, 40)])
    if name in ("ndtri",):
        return np.concatenate([PROBS, _rng().uniform(0, 1, 40)])
    return np.concatenate([EDGES, _rng().uniform(-10, 10, 40), _rng().uniform(0, 3, 20)])


def _np(t):
    return np.asarray(t.detach())


def _check(ours, theirs, rtol, atol=0.0):
    assert str(ours.dtype).removeprefix("arraygrad.") == str(theirs.dtype).removeprefix("torch."), \
        (ours.dtype, theirs.dtype)
    np.testing.assert_allclose(_np(ours), theirs.detach().numpy(), rtol=rtol, atol=atol, equal_nan=True)


@pytest.fixture(params=["numpy", "strict"])
def dev(request):
    """The NumPy backend (SciPy's kernels) and array-api-strict (the generic code; conftest
    registers it)."""
    return ag.device("cpu", backend=request.param)


def _tensor(a, dev, dtype=ag.float64, requires_grad=False):
    return ag.asarray(np.asarray(a), dtype=dtype, device=dev, requires_grad=requires_grad)


# ----------------------------------------------------------------------------------------
# Values and dtypes against torch.special
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", UNARY)
def test_values_float64(name, dev):
    x = _grid(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = getattr(S, name)(_tensor(x, dev))
    theirs = getattr(torch.special, name)(torch.tensor(x, dtype=torch.float64))
    atol = 1e-14 if name in ("digamma", "psi", "gammaln", "entr", "sinc") else 0.0
    if name == "ndtr":  # torch computes (1 + erf(x/sqrt2)) / 2: absolute accuracy only, where
        atol = 1e-16  # arraygrad's erfc(-x/sqrt2) / 2 keeps the lower tail relative (as SciPy)
        np.testing.assert_allclose(_np(ours), sc.ndtr(x), rtol=1e-13, equal_nan=True)
    _check(ours, theirs, rtol=1e-12 if name not in ("erf", "erfc", "ndtr") else 1e-11, atol=atol)


@pytest.mark.parametrize("name", UNARY)
def test_values_float32_and_int(name, dev):
    x = _grid(name)
    x = x[np.isnan(x) | (np.abs(x) < 1e30)]
    x32 = x.astype(np.float32)
    ours = getattr(S, name)(_tensor(x32, dev, ag.float32))
    theirs = getattr(torch.special, name)(torch.tensor(x32))
    _check(ours, theirs, rtol=2e-5, atol=1e-6)
    ints = np.array([0, 1, 2, 3, 7]) if name not in ("erfinv", "ndtri") else np.array([-1, 0, 1])
    ours = getattr(S, name)(ag.asarray(ints, device=dev))
    theirs = getattr(torch.special, name)(torch.tensor(ints))
    _check(ours, theirs, rtol=2e-6, atol=1e-7)  # integers promote to the default float


@pytest.mark.parametrize("n", [0, 1, 2, 3, 6])
def test_polygamma_values(n, dev):
    rng = np.random.default_rng(n)  # its own draws: the module's generator depends on test order
    x = np.concatenate([[-2.5, -0.5, 1e-8, 0.5, 1.0, 2.0, 3.7, 25.0, NAN], rng.uniform(-10, 10, 30),
                        rng.uniform(0, 3, 20)])
    ours = S.polygamma(n, _tensor(x, dev))
    theirs = torch.special.polygamma(n, torch.tensor(x, dtype=torch.float64))
    # torch's trigamma is good to ~1e-9; its (and SciPy's) zeta for negative q to ~4e-11 at
    # x = -2.5 for n = 6, where arraygrad's reflection agrees with mpmath to 1e-16
    _check(ours, theirs, rtol={1: 1e-8, 6: 1e-10}.get(n, 1e-12), atol=1e-13)
    ours = S.polygamma(n, _tensor(x, dev, ag.float32))
    theirs = torch.special.polygamma(n, torch.tensor(x, dtype=torch.float32))
    _check(ours, theirs, rtol=1e-4, atol=1e-5)
    assert S.polygamma(n, ag.asarray([1, 2], device=dev)).dtype == ag.float32


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_polygamma_special_values(n, dev):
    """poles and +-inf: (-1)**(n+1) * inf at poles and -inf, (-1)**(n+1) * 0 at +inf (SciPy's
    values; torch agrees at the poles of n >= 2 but its trigamma is finite at negative
    integers and its zeta-based n >= 2 gives nan at +inf)."""
    x = np.array([-INF, -3.0, -1.0, -0.0, 0.0, INF, NAN])
    ours = _np(S.polygamma(n, _tensor(x, dev)))
    sign = 1.0 if n % 2 else -1.0
    np.testing.assert_array_equal(ours, [sign * INF] * 5 + [0.0, NAN])
    np.testing.assert_allclose(ours, sc.polygamma(n, x))


def test_special_values_match_torch(dev):
    """lgamma: +inf at poles and +-inf; digamma(+-0) = -+inf, nan at negative integers and -inf;
    erfinv(+-1) = +-inf; ndtri(0), ndtri(1) = -inf, inf."""
    x = _tensor([-INF, -2.0, -0.0, 0.0, INF], dev)
    assert _np(S.gammaln(x)).tolist() == [INF] * 5
    d = _np(S.digamma(x))
    assert np.isnan(d[0]) and np.isnan(d[1]) and d[2:].tolist() == [INF, -INF, INF]
    assert _np(S.erfinv(_tensor([-1.0, 1.0], dev))).tolist() == [-INF, INF]
    assert np.isnan(_np(S.erfinv(_tensor([-1.5, 1.5], dev)))).all()
    assert _np(S.ndtri(_tensor([0.0, 1.0], dev))).tolist() == [-INF, INF]
    assert _np(S.i0e(_tensor([-INF, INF], dev))).tolist() == [0.0, 0.0]
    assert _np(S.log_ndtr(_tensor([-INF, INF], dev))).tolist() == [-INF, 0.0]
    assert _np(S.erfcx(_tensor([-INF, INF], dev))).tolist() == [INF, 0.0]


def test_extreme_tails(dev):
    """Stability far out: log_ndtr of very negative x, erfcx of large x, ndtri near 0 and 1."""
    x = np.array([-1e5, -1e3, -40.0, -10.0, 10.0, 30.0])
    _check(S.log_ndtr(_tensor(x, dev)), torch.special.log_ndtr(torch.tensor(x)), rtol=1e-12)
    x = np.array([-5.0, 10.0, 1e3, 1e8, 1e200])
    _check(S.erfcx(_tensor(x, dev)), torch.special.erfcx(torch.tensor(x)), rtol=1e-12)
    p = np.array([1e-300, 1e-100, 1e-30, 1e-10, 1 - 1e-10, 1 - 2 ** -53])
    np.testing.assert_allclose(_np(S.ndtri(_tensor(p, dev))), sc.ndtri(p), rtol=1e-13)


def test_grad_fn_names(dev):
    x = _tensor([0.3, 0.6], dev, requires_grad=True)
    tx = torch.tensor([0.3, 0.6], dtype=torch.float64, requires_grad=True)
    for name in NEW_OPS + ["expit", "entr"]:
        ours = getattr(S, name)(x)
        theirs = getattr(torch.special, name)(tx)
        assert type(ours.grad_fn).__name__ == theirs.grad_fn.name(), name
    assert type(S.polygamma(2, x).grad_fn).__name__ == "PolygammaBackward0"
    assert type(S.xlog1py(x, x).grad_fn).__name__ == "SpecialXlog1PyBackward0"
    assert type(S.gammainc(x, x).grad_fn).__name__ == "IgammaBackward0"


def test_gradients_at_edges_match_torch(dev):
    """entr at 0 (inf) and below (nan); xlog1py wrt x at x = 0 (log1p(y); 0 where y <= -1)."""
    x = np.array([0.0, -1.0, 0.5])
    ours, theirs = _tensor(x, dev, requires_grad=True), torch.tensor(x, requires_grad=True)
    S.entr(ours).sum().backward()
    torch.special.entr(theirs).sum().backward()
    np.testing.assert_allclose(_np(ours.grad), theirs.grad.numpy(), equal_nan=True)
    x, y = np.array([0.0, 0.0, 0.0, 2.0]), np.array([0.5, -1.0, -2.0, 3.0])
    a, b = _tensor(x, dev, requires_grad=True), _tensor(y, dev, requires_grad=True)
    ta, tb = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
    S.xlog1py(a, b).sum().backward()
    torch.special.xlog1py(ta, tb).sum().backward()
    np.testing.assert_allclose(_np(a.grad), ta.grad.numpy(), equal_nan=True)
    np.testing.assert_allclose(_np(b.grad), tb.grad.numpy(), equal_nan=True)


# ----------------------------------------------------------------------------------------
# Gradients
# ----------------------------------------------------------------------------------------
_DOMAINS = {
    "gammaln": lambda: np.concatenate([_rng().uniform(0.1, 10, 6), -_rng().uniform(0.1, 0.9, 2) - 2]),
    "digamma": lambda: np.concatenate([_rng().uniform(0.1, 10, 6), [-1.5, -2.3]]),
    "erfinv": lambda: _rng().uniform(-0.95, 0.95, 8),
    "erfcx": lambda: _rng().uniform(-3, 30, 8),
    "i0": lambda: _rng().uniform(-25, 25, 8),
    "i0e": lambda: np.concatenate([_rng().uniform(-25, 25, 7), [0.4]]),
    "i1": lambda: np.concatenate([_rng().uniform(-25, 25, 7), [0.0]]),
    "i1e": lambda: np.concatenate([_rng().uniform(-25, 25, 7), [0.0]]),
    "ndtri": lambda: _rng().uniform(0.01, 0.99, 8),
    "log_ndtr": lambda: _rng().uniform(-40, 8, 8),
    "ndtr": lambda: _rng().uniform(-5, 5, 8),
    "entr": lambda: _rng().uniform(0.05, 3, 8),
    "erf": lambda: _rng().uniform(-3, 3, 8),
    "erfc": lambda: _rng().uniform(-3, 3, 8),
    "expit": lambda: _rng().uniform(-5, 5, 8),
    "exp2": lambda: _rng().uniform(-5, 5, 8),
    "expm1": lambda: _rng().uniform(-5, 5, 8),
    "log1p": lambda: _rng().uniform(-0.9, 5, 8),
    "sinc": lambda: _rng().uniform(-3, 3, 8),
    "logit": lambda: _rng().uniform(0.05, 0.95, 8),
}


@pytest.mark.parametrize("name", sorted(_DOMAINS))
def test_gradients_match_torch(name, dev):
    x = _DOMAINS[name]()
    ours = _tensor(x, dev, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    w = _rng().standard_normal(x.shape)
    (getattr(S, name)(ours) * _tensor(w, dev)).sum().backward()
    (getattr(torch.special, name)(theirs) * torch.tensor(w)).sum().backward()
    rtol = 1e-8 if name == "digamma" else 1e-11  # torch's trigamma: ~1e-9
    np.testing.assert_allclose(_np(ours.grad), theirs.grad.numpy(), rtol=rtol, atol=1e-13)
    assert gradcheck(getattr(S, name), (_tensor(x, dev, requires_grad=True),))


@pytest.mark.parametrize("n", [0, 1, 2, 4])
def test_polygamma_gradients(n, dev):
    x = np.concatenate([_rng().uniform(0.2, 8, 6), [-1.5, -2.3]])
    ours = _tensor(x, dev, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    S.polygamma(n, ours).sum().backward()
    torch.special.polygamma(n, theirs).sum().backward()
    np.testing.assert_allclose(_np(ours.grad), theirs.grad.numpy(), rtol=1e-8 if n == 0 else 1e-11)
    assert gradcheck(lambda t: S.polygamma(n, t), (_tensor(x, dev, requires_grad=True),))
    assert gradgradcheck(lambda t: S.polygamma(n, t), (_tensor(x, dev, requires_grad=True),))


@pytest.mark.parametrize("name", ["gammaln", "digamma", "erfinv", "erfcx", "i0", "i0e", "i1", "ndtri",
                                  "log_ndtr"])
def test_gradgradcheck(name, dev):
    x = _DOMAINS[name]()
    if name in ("i0e",):
        x = x[np.abs(x) > 0.1]  # |x| kinks at 0
    assert gradgradcheck(getattr(S, name), (_tensor(x, dev, requires_grad=True),))


def test_second_derivatives_match_torch(dev):
    x = np.array([0.4, 1.3, 3.2, 7.5])
    for name in ("gammaln", "digamma", "i0", "log_ndtr"):
        ours = _tensor(x, dev, requires_grad=True)
        theirs = torch.tensor(x, requires_grad=True)
        (g,) = ag.autograd.grad(getattr(S, name)(ours).sum(), ours, create_graph=True)
        (tg,) = torch.autograd.grad(getattr(torch.special, name)(theirs).sum(), theirs, create_graph=True)
        g.sum().backward()
        tg.sum().backward()
        np.testing.assert_allclose(_np(ours.grad), theirs.grad.numpy(), rtol=1e-8)
    p = np.array([-0.7, -0.1, 0.3, 0.9])
    ours = _tensor(p, dev, requires_grad=True)
    theirs = torch.tensor(p, requires_grad=True)
    (g,) = ag.autograd.grad(S.erfinv(ours).sum(), ours, create_graph=True)
    (tg,) = torch.autograd.grad(torch.special.erfinv(theirs).sum(), theirs, create_graph=True)
    g.sum().backward()
    tg.sum().backward()
    np.testing.assert_allclose(_np(ours.grad), theirs.grad.numpy(), rtol=1e-10)


# ----------------------------------------------------------------------------------------
# Composites
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [1, 2, 3, 5])
def test_multigammaln(p, dev):
    x = _rng().uniform((p - 1) / 2 + 0.1, 10, 8)
    ours = _tensor(x, dev, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out, tout = S.multigammaln(ours, p), torch.special.multigammaln(theirs, p)
    _check(out, tout, rtol=1e-12, atol=1e-13)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(_np(ours.grad), theirs.grad.numpy(), rtol=1e-11)
    assert gradcheck(lambda t: S.multigammaln(t, p), (_tensor(x, dev, requires_grad=True),))
    _check(S.multigammaln(_tensor(x, dev, ag.float32), p),
           torch.special.multigammaln(torch.tensor(x, dtype=torch.float32), p), rtol=1e-5, atol=1e-5)
    ints = np.array([p + 2, p + 5])
    _check(S.multigammaln(ag.asarray(ints, device=dev), p), torch.special.multigammaln(torch.tensor(ints), p),
           rtol=1e-6)


@pytest.mark.parametrize("name", ["xlog1py", "xlogy"])
def test_xlog1py_xlogy(name, dev):
    x = np.array([0.0, 0.0, 1.5, -2.0, 3.0, NAN, 0.0, 2.0])
    y = np.array([0.5, NAN, 0.25, 4.0, 0.0 if name == "xlogy" else -0.5, 1.0, -1.0 if name == "xlog1py" else 0.0,
                  1.7])
    _check(getattr(S, name)(_tensor(x, dev), _tensor(y, dev)),
           getattr(torch.special, name)(torch.tensor(x), torch.tensor(y)), rtol=1e-13)
    # gradients on the smooth part
    x = _rng().uniform(-2, 2, 6)
    y = _rng().uniform(0.1, 3, 6)
    a, b = _tensor(x, dev, requires_grad=True), _tensor(y, dev, requires_grad=True)
    ta, tb = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
    getattr(S, name)(a, b).sum().backward()
    getattr(torch.special, name)(ta, tb).sum().backward()
    np.testing.assert_allclose(_np(a.grad), ta.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(_np(b.grad), tb.grad.numpy(), rtol=1e-12)
    assert gradcheck(getattr(S, name), (_tensor(x, dev, requires_grad=True), _tensor(y, dev, requires_grad=True)))
    # Python scalars on either side, broadcasting, float32
    _check(getattr(S, name)(2.0, _tensor(y, dev, ag.float32)),
           getattr(torch.special, name)(2.0, torch.tensor(y, dtype=torch.float32)), rtol=1e-6)
    _check(getattr(S, name)(_tensor(x, dev, ag.float32), 0.5),
           getattr(torch.special, name)(torch.tensor(x, dtype=torch.float32), 0.5), rtol=1e-6)


def test_round_decimals(dev):
    x = np.array([1.2345, -2.5, 0.5, 1.5, 123.456, -0.049])
    for d in (0, 1, 2, -1):
        _check(S.round(_tensor(x, dev), decimals=d), torch.special.round(torch.tensor(x), decimals=d),
               rtol=1e-15)
    assert _np(S.round(ag.asarray(np.array([1, -3]), device=dev))).tolist() == [1, -3]


def test_logsumexp_softmax_log_softmax(dev):
    x = _rng().standard_normal((3, 4))
    for dim, keep in ((0, False), (1, True), ((0, 1), False)):
        _check(S.logsumexp(_tensor(x, dev), dim, keep), torch.special.logsumexp(torch.tensor(x), dim, keep),
               rtol=1e-13)
    for name in ("softmax", "log_softmax"):
        _check(getattr(S, name)(_tensor(x, dev), 1), getattr(torch.special, name)(torch.tensor(x), 1),
               rtol=1e-13)
        _check(getattr(S, name)(_tensor(x, dev), 0, dtype=ag.float32),
               getattr(torch.special, name)(torch.tensor(x), 0, dtype=torch.float32), rtol=1e-6)


def test_logit_eps_and_expit(dev):
    x = np.array([0.0, 0.01, 0.3, 0.99, 1.0])
    _check(S.logit(_tensor(x, dev), eps=0.05), torch.special.logit(torch.tensor(x), eps=0.05), rtol=1e-13)
    _check(S.logit(_tensor(x, dev)), torch.special.logit(torch.tensor(x)), rtol=1e-13)


def test_entr_special_values(dev):
    x = np.array([-1.0, -0.0, 0.0, 0.5, 1.0, INF, NAN])
    _check(S.entr(_tensor(x, dev)), torch.special.entr(torch.tensor(x)), rtol=1e-14)


def test_psi_is_digamma_and_reexports():
    x = ag.tensor([0.5, 2.0], dtype=ag.float64)
    np.testing.assert_array_equal(_np(S.psi(x)), _np(S.digamma(x)))
    np.testing.assert_array_equal(_np(S.polygamma(0, x)), _np(S.digamma(x)))
    np.testing.assert_array_equal(_np(S.polygamma(np.int64(2), x)), _np(S.polygamma(2, x)))
    torch_names = {n for n in dir(torch.special) if not n.startswith("_")}
    assert set(S.__all__) <= torch_names


def test_out_argument():
    x = ag.tensor([0.5, 2.0], dtype=ag.float64)
    out = ag.empty((2,), dtype=ag.float64)
    r = S.gammaln(x, out=out)
    np.testing.assert_allclose(_np(out), sc.gammaln([0.5, 2.0]))
    assert r is out
    S.polygamma(1, x, out=out)
    np.testing.assert_allclose(_np(out), sc.polygamma(1, [0.5, 2.0]))


# ----------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------
def test_errors():
    x = ag.tensor([0.5, 2.0])
    with pytest.raises(RuntimeError, match=r"polygamma\(n, x\) does not support negative n"):
        S.polygamma(-1, x)
    with pytest.raises(TypeError, match="polygamma.*'n'.*must be int, not float"):
        S.polygamma(1.5, x)
    with pytest.raises(RuntimeError, match="p has to be greater than or equal to 1"):
        S.multigammaln(x, 0)
    with pytest.raises(TypeError, match="multigammaln.*'p'"):
        S.multigammaln(x, 1.0)
    with pytest.raises(TypeError, match="gammaln: input must be an arraygrad Tensor"):
        S.gammaln([0.5])
    with pytest.raises(TypeError, match="polygamma: input must be an arraygrad Tensor"):
        S.polygamma(1, 0.5)
    with pytest.raises(TypeError, match="special.i0"):
        S.i0(ag.tensor([1 + 1j]))
    with pytest.raises(RuntimeError, match="out="):
        S.gammaln(ag.tensor([0.5], requires_grad=True), out=ag.empty((1,)))


# ----------------------------------------------------------------------------------------
# The generic (array-API) implementations against SciPy, with NumPy as the namespace
# ----------------------------------------------------------------------------------------
def _generic(name):
    return GENERIC_IMPLS[f"special.{name}"]


def _assert_rel(ours, ref, rtol, atol=0.0):
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=atol, equal_nan=True)


_POS = np.concatenate([np.geomspace(1e-300, 1e300, 600), _rng().uniform(0, 30, 2000),
                       np.linspace(0.01, 3, 600)])
_NEG = -np.concatenate([_rng().uniform(0, 60, 2000), np.geomspace(1e-300, 1e10, 400)])


def _away_from(x, roots, width):
    return x[np.min(np.abs(x[:, None] - np.asarray(roots)[None, :]), axis=1) > width]


def test_generic_gammaln():
    x = _away_from(_POS, [1.0, 2.0], 0.01)
    # SciPy's own error on (0.5, 3) reaches 4e-14 away from the roots (arraygrad's: 6e-16
    # against mpmath, see below); elsewhere both agree to 1e-14
    _assert_rel(_generic("gammaln")(np, x), sc.gammaln(x), 1e-13)
    x = x[(x < 0.5) | (x > 3)]
    _assert_rel(_generic("gammaln")(np, x), sc.gammaln(x), 1e-14)
    # near the roots 1 and 2 SciPy is off by up to ~4e-16 absolute (5e-13 relative)
    x = np.linspace(0.9, 2.1, 1201)
    _assert_rel(_generic("gammaln")(np, x), sc.gammaln(x), 0, atol=1e-15)
    x = _NEG[_NEG != np.round(_NEG)]
    _assert_rel(_generic("gammaln")(np, x), sc.gammaln(x), 1e-12, atol=5e-15)  # zero crossings
    x = np.array([-INF, -4.0, -1.0, -0.0, 0.0, INF, NAN])
    _assert_rel(_generic("gammaln")(np, x), [INF] * 6 + [NAN], 0)


def test_generic_gammaln_near_roots_mpmath():
    mp = pytest.importorskip("mpmath")
    x = np.concatenate([[1.0006, 1.9994, 0.9995, 1 + 1e-9, 2 - 1e-12, 2.0001], np.linspace(0.5, 3, 251)])
    x = x[(x != 1) & (x != 2)]
    with mp.workdps(30):
        ref = np.array([float(mp.loggamma(mp.mpf(float(v)))) for v in x])
    _assert_rel(_generic("gammaln")(np, x), ref, 1e-15)


def test_generic_digamma():
    root = 1.4616321449683622
    x = _away_from(_POS, [root], 0.01)
    _assert_rel(_generic("digamma")(np, x), sc.psi(x), 1e-13)
    _assert_rel(_generic("digamma")(np, np.linspace(1.3, 1.6, 301)), sc.psi(np.linspace(1.3, 1.6, 301)),
                0, atol=2e-15)
    x = _NEG[_NEG != np.round(_NEG)]
    _assert_rel(_generic("digamma")(np, x), sc.psi(x), 1e-12, atol=2e-14)  # zero crossings
    x = np.array([-INF, -3.0, -0.0, 0.0, INF, NAN])
    _assert_rel(_generic("digamma")(np, x), [NAN, NAN, INF, -INF, INF, NAN], 0)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 10, 20])
def test_generic_polygamma(n):
    x = _POS[_POS < 1e12]
    _assert_rel(_generic("polygamma")(np, x, n=n), sc.polygamma(n, x), 1e-13)
    x = _NEG[(_NEG != np.round(_NEG)) & (_NEG > -1e6)]
    ref = sc.polygamma(n, x)
    # odd n: no zeros; even n crosses zero between the poles (cancellation, absolute there)
    _assert_rel(_generic("polygamma")(np, x, n=n), ref, 1e-13 if n % 2 else 1e-12,
                atol=0 if n % 2 else 1e-13 * np.max(np.abs(ref)))
    assert _generic("polygamma")(np, np.array([2.0]), n=0)[0] == pytest.approx(sc.psi(2.0), rel=1e-15)


def test_generic_erfinv_ndtri():
    x = np.concatenate([np.linspace(-1, 1, 20001), 1 - np.geomspace(1e-16, 0.5, 800),
                        np.geomspace(1e-300, 1e-2, 400), -np.geomspace(1e-300, 1e-2, 400)])
    _assert_rel(_generic("erfinv")(np, x), sc.erfinv(x), 2e-15)
    x = np.array([-1.5, -1.0, -0.0, 0.0, 1.0, 1.5, INF, NAN])
    _assert_rel(_generic("erfinv")(np, x), [NAN, -INF, 0.0, 0.0, INF, NAN, NAN, NAN], 0)
    p = np.concatenate([np.linspace(0, 1, 20001), np.geomspace(1e-300, 0.5, 3000),
                        1 - np.geomspace(1e-16, 0.5, 800)])
    _assert_rel(_generic("ndtri")(np, p), sc.ndtri(p), 3e-15)
    p = np.array([-0.5, 0.0, 1.0, 2.0, NAN])
    _assert_rel(_generic("ndtri")(np, p), [NAN, -INF, INF, NAN, NAN], 0)


def test_generic_erfcx_log_ndtr():
    x = np.concatenate([np.linspace(-26, 40, 20001), np.geomspace(1e-300, 1e300, 1000),
                        -np.geomspace(1e-300, 20, 500), [-INF, INF, NAN]])
    _assert_rel(_generic("erfcx")(np, x), sc.erfcx(x), 5e-15)
    x = np.concatenate([np.linspace(-40, 37, 20001), -np.geomspace(1, 1e150, 1000),
                        np.geomspace(1e-300, 37, 1000), [-INF, INF, NAN]])
    # (above x = 37 the value is subnormal, below ~1e-308: both lose digits there); above
    # x = 5 SciPy's exp(-x^2/2) is off by up to 2e-13 (arraygrad splits x: 1e-15, see below)
    _assert_rel(_generic("log_ndtr")(np, x[x < 5]), sc.log_ndtr(x[x < 5]), 1e-14)
    _assert_rel(_generic("log_ndtr")(np, x), sc.log_ndtr(x), 3e-13)


def test_generic_mpmath_spots():
    """Where arraygrad's generic code is more accurate than SciPy (and torch): the upper tail
    of log_ndtr, polygamma of even order at negative x."""
    mp = pytest.importorskip("mpmath")
    x = np.linspace(0.5, 37, 150)
    with mp.workdps(50):
        ref = np.array([float(mp.log1p(-mp.ncdf(-mp.mpf(float(v))))) for v in x])
    _assert_rel(_generic("log_ndtr")(np, x), ref, 2e-15)
    x = np.array([-2.5, -0.5, -1.5, -7.3, -0.1])
    for n in (2, 6):
        with mp.workdps(50):
            ref = np.array([float(mp.polygamma(n, float(v))) for v in x])
        _assert_rel(_generic("polygamma")(np, x, n=n), ref, 1e-14)


@pytest.mark.parametrize("name", ["i0", "i0e", "i1", "i1e"])
def test_generic_bessel(name):
    x = np.concatenate([np.linspace(-700, 700, 14001), np.geomspace(1e-300, 700, 1000),
                        -np.geomspace(1e-300, 700, 300), [-1e300, 1e300], [-INF, INF, NAN]])
    if name in ("i0", "i1"):
        x = x[np.abs(x) < 705]  # exp(x) overflows beyond (both give inf, SciPy somewhat earlier)
    _assert_rel(_generic(name)(np, x), getattr(sc, name)(x), 3e-15)


@pytest.mark.parametrize("name", ["gammaln", "digamma", "erfinv", "erfcx", "i0", "i0e", "i1", "i1e",
                                  "ndtri", "log_ndtr"])
def test_generic_float32_and_0d(name):
    """float32 inputs are computed in float64 and rounded once: correctly rounded or nearly."""
    x = np.array([0.1, 0.35, 0.7, 0.95], dtype=np.float32)
    out = _generic(name)(np, x)
    assert out.dtype == np.float32
    ref = getattr(sc, name if name != "digamma" else "psi")(x.astype(np.float64))
    _assert_rel(out, ref.astype(np.float32), 1.5e-7)
    out0 = _generic(name)(np, np.asarray(0.35))
    assert out0.shape == () and out0 == pytest.approx(getattr(sc, name if name != "digamma" else "psi")(0.35),
                                                      rel=1e-14)


# ----------------------------------------------------------------------------------------
# gammainc / gammaincc
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_gammainc_values_and_grad(name, dev):
    a = np.concatenate([[0.0, 0.0, 1.0, 1.0, 1.0, -1.0, 1.0, INF, 1.0, 0.5, NAN, 2.0],
                        _rng().uniform(0.05, 20, 40)])
    x = np.concatenate([[0.0, 1.0, 0.0, INF, -1.0, 1.0, 1e-300, 1.0, NAN, 0.25, 1.0, 40.0],
                        _rng().uniform(0, 40, 40)])
    fn, tfn = getattr(S, name), getattr(torch.special, name)
    _check(fn(_tensor(a, dev), _tensor(x, dev)), tfn(torch.tensor(a), torch.tensor(x)), rtol=1e-11,
           atol=1e-300)
    _check(fn(_tensor(a, dev, ag.float32), _tensor(x, dev, ag.float32)),
           tfn(torch.tensor(a, dtype=torch.float32), torch.tensor(x, dtype=torch.float32)), rtol=1e-5,
           atol=1e-6)
    # broadcasting, Python scalars, integers promoted (torch refuses integer inputs)
    _check(fn(2.5, _tensor([0.5, 3.0], dev)), tfn(torch.tensor(2.5, dtype=torch.float64),
                                                   torch.tensor([0.5, 3.0], dtype=torch.float64)),
           rtol=1e-12)
    assert fn(ag.asarray(np.array([1, 2]), device=dev), ag.asarray(np.array([1, 3]), device=dev)).dtype \
        == ag.float32
    # the gradient wrt x (none wrt a, as in PyTorch)
    a, x = _rng().uniform(0.5, 10, (3, 1)), _rng().uniform(0.1, 15, (1, 4))
    ours, theirs = _tensor(x, dev, requires_grad=True), torch.tensor(x, requires_grad=True)
    fn(_tensor(a, dev), ours).sum().backward()
    tfn(torch.tensor(a), theirs).sum().backward()
    np.testing.assert_allclose(_np(ours.grad), theirs.grad.numpy(), rtol=1e-11)
    assert gradcheck(lambda t: fn(_tensor(a, dev), t), (_tensor(x, dev, requires_grad=True),))
    assert gradgradcheck(lambda t: fn(_tensor(a, dev), t), (_tensor(x, dev, requires_grad=True),))
    r = fn(_tensor(a, dev, requires_grad=True), _tensor(x, dev))
    with pytest.raises(NotImplementedError, match=f"derivative for '{name}: input' is not implemented"):
        r.sum().backward()


def test_generic_gammainc():
    """Against SciPy: 5e-14 for a <= 10, 3e-13 for a <= 100 (the prefactor
    exp(a log x - x - lgamma(a)) cancels ~a log a), 3e-12 up to a = 1000; Q for tiny a is 1 - P
    (2e-13). torch itself is ~1e-9 off at a = 100."""
    for (lo, hi), rtol in (((0.1, 10), 5e-14), ((0.1, 100), 3e-13), ((100, 1000), 3e-12), ((1e-3, 0.1), 3e-13)):
        a = _rng().uniform(lo, hi, 4000)
        x = a * _rng().uniform(0, 3, 4000)
        for name in ("gammainc", "gammaincc"):
            ref = getattr(sc, name)(a, x)
            _assert_rel(_generic(name)(np, a, x), ref, rtol, atol=1e-300)


def test_top_level_names_and_tensor_methods():
    """`torch.lgamma`, `x.digamma()`, `x.polygamma(n)`, `x.lgamma_()`, ... as PyTorch has them."""
    import arraygrad as ag

    v = np.array([0.3, 1.5, 4.0])
    x, t = ag.asarray(v, requires_grad=True), torch.tensor(v, requires_grad=True)
    assert ag.special is S
    pairs = [(ag.lgamma(x), torch.lgamma(t)), (x.digamma(), t.digamma()), (x.polygamma(2), t.polygamma(2)),
             (ag.polygamma(1, x), torch.polygamma(1, t)), (ag.erfinv(x / 5), torch.erfinv(t / 5)),
             (x.i0(), t.i0()), (ag.mvlgamma(x + 2, 3), torch.mvlgamma(t + 2, 3)),
             (ag.igamma(x, x + 1), torch.igamma(t, t + 1)), (x.igammac(x + 1), t.igammac(t + 1))]
    for ours, theirs in pairs:  # torch's trigamma is good to ~1e-9 only (see the module docstring)
        np.testing.assert_allclose(np.asarray(ours.detach()), theirs.detach().numpy(), rtol=1e-8)
    sum(p for p, _ in pairs[:6]).sum().backward()
    sum(p for _, p in pairs[:6]).sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad), t.grad.numpy(), rtol=1e-8)
    y, u = ag.asarray(v), torch.tensor(v)
    for name, args in [("lgamma_", ()), ("digamma_", ()), ("polygamma_", (1,)), ("i0_", ())]:
        getattr(y, name)(*args)
        getattr(u, name)(*args)
    np.testing.assert_allclose(np.asarray(y), u.numpy(), rtol=1e-8)


def test_log_based_functions_never_warn_and_keep_float32():
    """PyTorch's xlogy, xlog1py and logit return -inf/NaN outside their domains silently."""
    import warnings

    import arraygrad as ag

    x = np.array([0.0, 0.0, 1.0, 2.0, -1.0, np.nan, 0.0, 3.0], np.float32)
    y = np.array([0.0, -1.0, 0.0, -2.0, 3.0, 1.0, np.nan, -1.0], np.float32)
    p = np.array([-0.5, 0.0, 0.3, 1.0, 1.5, np.nan], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = [S.xlogy(ag.asarray(x), ag.asarray(y)), S.xlog1py(ag.asarray(x), ag.asarray(y)),
               S.logit(ag.asarray(p)), ag.xlogy(ag.asarray(x[2]), ag.asarray(y[4]))]
    want = [torch.special.xlogy(torch.tensor(x), torch.tensor(y)),
            torch.special.xlog1py(torch.tensor(x), torch.tensor(y)), torch.special.logit(torch.tensor(p)),
            torch.xlogy(torch.tensor(x[2]), torch.tensor(y[4]))]
    for ours, theirs in zip(got, want):
        assert str(ours.dtype) == "arraygrad.float32"
        np.testing.assert_allclose(np.asarray(ours), theirs.numpy(), rtol=1e-6)
