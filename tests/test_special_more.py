"""torch.special's Bessel functions, orthogonal polynomials and Hurwitz zeta
(src/arraygrad/special.py) against torch.special 2.13, on every backend of the `backend`
fixture: NumPy (SciPy's kernels for modified_bessel_*, spherical_bessel_j0 and zeta; the
generic code for the rest) and array-api-strict (the generic array-API code throughout).

Tolerances: float64 values agree with torch to ~5e-15 relative (the Bessel functions: the
generic code is PyTorch's own Cephes fits, and SciPy's kernels agree where used); bessel_j0/j1/
y0/y1 reproduce PyTorch's fits, which are off from the true values (SciPy, mpmath) by up to
7e-5 relative near x = 5. The polynomials run PyTorch's recurrences and closed forms in the
input dtype: ~1e-13 relative, absolute 1e-14 where the closed forms cross zero. float32 is
compared at 2e-5 (PyTorch rounds in float32 where the generic code widens to float64).
PyTorch reads an uninitialized value for a nan x with n >= 2 in most polynomials (its loop
stops before the first step), so nan x is compared only for T, H and He.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import arraygrad as ag
import arraygrad.special as S

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

INF, NAN = math.inf, math.nan

BESSEL = ["bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0",
          "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1",
          "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "spherical_bessel_j0", "airy_ai"]
POLYS = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
         "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t",
         "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
         "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
         "laguerre_polynomial_l", "legendre_polynomial_p"]
NAN_X_DEFINED = ("chebyshev_polynomial_t", "hermite_polynomial_h", "hermite_polynomial_he")

EDGES = [-INF, -30.0, -5.0, -2.0, -1.0, -0.0, 0.0, 1e-300, 1e-8, 1e-5, 0.3, 0.5, 1.0, 2.0, 4.99,
         5.0, 5.01, 8.0, 30.0, 100.0, 700.0, 800.0, 1e5, 1e20, INF, NAN]


def _rng():
    return np.random.default_rng(4321)


def _np(t):
    return np.asarray(t.detach().cpu())


def _check(ours, theirs, rtol, atol=0.0):
    assert str(ours.dtype).removeprefix("arraygrad.") == str(theirs.dtype).removeprefix("torch."), \
        (ours.dtype, theirs.dtype)
    np.testing.assert_allclose(_np(ours), theirs.detach().numpy(), rtol=rtol, atol=atol, equal_nan=True)


def _t(a, backend, dtype=ag.float64, requires_grad=False):
    return ag.asarray(np.asarray(a), dtype=dtype, device=backend.device, requires_grad=requires_grad)


# ----------------------------------------------------------------------------------------
# Bessel functions
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", BESSEL)
def test_bessel_values_float64(name, backend):
    x = np.concatenate([EDGES, _rng().uniform(-10, 10, 200), _rng().uniform(0, 3, 50),
                        _rng().uniform(5, 60, 50)])
    ours = getattr(S, name)(_t(x, backend))
    theirs = getattr(torch.special, name)(torch.tensor(x, dtype=torch.float64))
    _check(ours, theirs, rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("name", BESSEL)
def test_bessel_special_values(name, backend):
    """nan, +-inf, +-0 and negative arguments exactly as torch (nan at +-inf for J, Y and I;
    -inf at 0 for Y, +inf for K; nan below 0 for Y and K)."""
    x = np.array([-INF, -3.0, -0.0, 0.0, INF, NAN])
    ours = _np(getattr(S, name)(_t(x, backend)))
    theirs = getattr(torch.special, name)(torch.tensor(x, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-14, equal_nan=True)
    num = ~np.isnan(theirs)
    np.testing.assert_array_equal(np.signbit(ours[num]), np.signbit(theirs[num]))


@pytest.mark.parametrize("name", BESSEL)
def test_bessel_float32_and_int(name, backend):
    x = np.concatenate([[-5.0, -0.0, 0.0, 1e-8, 0.5, 2.0, 5.0, 30.0, INF, NAN],
                        _rng().uniform(-10, 10, 60)]).astype(np.float32)
    ours = getattr(S, name)(_t(x, backend, ag.float32))
    theirs = getattr(torch.special, name)(torch.tensor(x))
    _check(ours, theirs, rtol=2e-5, atol=1e-6)
    ints = np.array([-2, 0, 1, 2, 3, 7])
    ours = getattr(S, name)(ag.asarray(ints, device=backend.device))
    theirs = getattr(torch.special, name)(torch.tensor(ints))
    _check(ours, theirs, rtol=2e-6, atol=1e-7)  # integers promote to the default float


@pytest.mark.parametrize("name", BESSEL)
def test_bessel_not_differentiable(name, backend):
    """torch's results never require grad: backward raises RuntimeError."""
    x = _t([0.5, 1.5], backend, requires_grad=True)
    y = getattr(S, name)(x)
    tx = torch.tensor([0.5, 1.5], dtype=torch.float64, requires_grad=True)
    ty = getattr(torch.special, name)(tx)
    assert y.requires_grad == ty.requires_grad is False
    assert y.grad_fn is None and ty.grad_fn is None
    with pytest.raises(RuntimeError):
        ty.sum().backward()
    with pytest.raises(RuntimeError):
        y.sum().backward()


def test_bessel_out_and_int_dtype(backend):
    out = ag.empty(3, dtype=ag.float64, device=backend.device)
    r = S.bessel_j0(_t([0.0, 1.0, 2.0], backend), out=out)
    assert r is out
    np.testing.assert_allclose(_np(out), torch.special.bessel_j0(torch.tensor([0.0, 1.0, 2.0],
                                                                             dtype=torch.float64)))


# ----------------------------------------------------------------------------------------
# Orthogonal polynomials
# ----------------------------------------------------------------------------------------
XS = [-INF, -3.0, -1.5, -1.0, -0.7, -0.0, 0.0, 1e-300, 0.3, 0.5, 0.9, 1.0, 1.2, 3.0, INF, NAN]
NS = [-3, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 40, 100, 513, 600]


def _poly_grid(name, ns=NS):
    xs = XS if name in NAN_X_DEFINED else [v for v in XS if not math.isnan(v)]
    x = np.concatenate([xs, _rng().uniform(-1.5, 1.5, 12)])
    X, N = np.meshgrid(x, np.array(ns, dtype=float))
    return X, N


@pytest.mark.parametrize("name", POLYS)
def test_polynomial_values_tensor_n(name, backend):
    """x and n both float64 tensors over a grid: negative n, |x| = 1, |x| > 1, +-inf, large n
    (closed forms, overflow to nan, Hermite's limit 512)."""
    X, N = _poly_grid(name)
    ours = getattr(S, name)(_t(X, backend), _t(N, backend))
    theirs = getattr(torch.special, name)(torch.tensor(X), torch.tensor(N))
    _check(ours, theirs, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("name", POLYS)
def test_polynomial_float32_int_n_and_broadcasting(name, backend):
    xs = np.array([v for v in XS if not math.isnan(v)] + list(_rng().uniform(-1.5, 1.5, 8)))
    x32 = xs.astype(np.float32)
    for n in (-2, 0, 1, 2, 3, 5, 9, 10):  # n a Python int
        ours = getattr(S, name)(_t(x32, backend, ag.float32), n)
        theirs = getattr(torch.special, name)(torch.tensor(x32), n)
        _check(ours, theirs, rtol=2e-5, atol=2e-5)
    # n a tensor broadcasting against x (x: (k, 1), n: (4,))
    n = np.array([0, 2, 7, 12])
    ours = getattr(S, name)(_t(xs[:, None], backend), ag.asarray(n, device=backend.device))
    theirs = getattr(torch.special, name)(torch.tensor(xs[:, None]), torch.tensor(n))
    assert ours.shape == tuple(theirs.shape)
    _check(ours, theirs, rtol=1e-11, atol=1e-12)
    # integer x and n promote to the default float; a float n is truncated
    ours = getattr(S, name)(ag.asarray([0, 1, 2], device=backend.device),
                            ag.asarray([3, 2, 1], device=backend.device))
    theirs = getattr(torch.special, name)(torch.tensor([0, 1, 2]), torch.tensor([3, 2, 1]))
    _check(ours, theirs, rtol=1e-6)
    ours = getattr(S, name)(_t([0.3, -0.4], backend), 2.7)
    theirs = getattr(torch.special, name)(torch.tensor([0.3, -0.4], dtype=torch.float64), 2.7)
    _check(ours, theirs, rtol=1e-13)
    # a Python number x with a tensor n
    ours = getattr(S, name)(0.25, ag.asarray([1, 3], device=backend.device))
    theirs = getattr(torch.special, name)(0.25, torch.tensor([1, 3]))
    _check(ours, theirs, rtol=1e-6)


@pytest.mark.parametrize("name", POLYS)
def test_polynomial_result_dtypes(name, backend):
    dev = backend.device
    cases = [((ag.float64, torch.float64), (ag.float32, torch.float32)),
             ((ag.float32, torch.float32), (ag.float64, torch.float64)),
             ((ag.int64, torch.int64), (ag.float64, torch.float64))]
    for (ad, td), (bd, ud) in cases:
        ours = getattr(S, name)(ag.asarray([1, 2], dtype=ad, device=dev),
                                ag.asarray([2, 3], dtype=bd, device=dev))
        theirs = getattr(torch.special, name)(torch.tensor([1, 2], dtype=td),
                                              torch.tensor([2, 3], dtype=ud))
        assert str(ours.dtype).removeprefix("arraygrad.") == str(theirs.dtype).removeprefix("torch.")


@pytest.mark.parametrize("name", ["hermite_polynomial_h", "hermite_polynomial_he"])
def test_hermite_limits(name, backend):
    """nan above n = 128 (float32) and 512 (float64), 0 for n = nan or +-inf (PyTorch's)."""
    for dt, tdt, n in ((ag.float32, torch.float32, [128, 129]), (ag.float64, torch.float64, [512, 513])):
        ours = getattr(S, name)(_t([0.1, 0.1], backend, dt), _t(n, backend, dt))
        theirs = getattr(torch.special, name)(torch.tensor([0.1, 0.1], dtype=tdt), torch.tensor(n, dtype=tdt))
        _check(ours, theirs, rtol=1e-5)
        assert np.isnan(_np(ours)[1])
    n = [NAN, INF, -INF]
    ours = getattr(S, name)(_t([0.5] * 3, backend), _t(n, backend))
    theirs = getattr(torch.special, name)(torch.tensor([0.5] * 3, dtype=torch.float64), torch.tensor(n))
    _check(ours, theirs, rtol=0)


@pytest.mark.parametrize("name", POLYS)
def test_polynomial_not_differentiable(name, backend):
    x = _t([0.3, 0.6], backend, requires_grad=True)
    y = getattr(S, name)(x, 3)
    ty = getattr(torch.special, name)(torch.tensor([0.3, 0.6], requires_grad=True), 3)
    assert y.requires_grad == ty.requires_grad is False
    with pytest.raises(RuntimeError):
        y.sum().backward()


def test_polynomial_errors(backend):
    with pytest.raises(TypeError):
        S.chebyshev_polynomial_t(0.5, 3)


# ----------------------------------------------------------------------------------------
# Hurwitz zeta
# ----------------------------------------------------------------------------------------
def test_zeta_values(backend):
    s = [-1.0, 0.0, 0.5, 1.0, 1.0 + 1e-9, 1.5, 2.0, 3.0, 4.5, 10.0, 50.0, 1000.0, INF, NAN]
    q = [-INF, -7.5, -2.5, -2.0, -1.0, -0.5, -0.0, 0.0, 1e-3, 0.5, 1.0, 2.0, 10.0, 1e5, INF, NAN]
    X, Q = np.meshgrid(s, q)
    ours = S.zeta(_t(X, backend), _t(Q, backend))
    theirs = torch.special.zeta(torch.tensor(X), torch.tensor(Q))
    _check(ours, theirs, rtol=1e-13)
    rng = _rng()
    x = np.concatenate([rng.uniform(1.01, 30, 100), rng.integers(2, 12, 40).astype(float)])
    qq = np.concatenate([rng.uniform(0.01, 50, 100), rng.uniform(-20, 0, 40)])
    ours = S.zeta(_t(x, backend), _t(qq, backend))
    theirs = torch.special.zeta(torch.tensor(x), torch.tensor(qq))
    _check(ours, theirs, rtol=1e-12)


def test_zeta_scalars_dtypes_broadcasting(backend):
    dev = backend.device
    q = np.array([0.5, 1.0, 2.0, 7.0])
    _check(S.zeta(2.0, _t(q, backend)), torch.special.zeta(2.0, torch.tensor(q)), rtol=1e-14)
    _check(S.zeta(_t(q + 1, backend), 3.0), torch.special.zeta(torch.tensor(q + 1), 3.0), rtol=1e-14)
    _check(S.zeta(ag.asarray([2, 3], device=dev), ag.asarray([1, 2], device=dev)),
           torch.special.zeta(torch.tensor([2, 3]), torch.tensor([1, 2])), rtol=1e-6)
    x32 = np.array([1.5, 2.0, 3.0], np.float32)
    _check(S.zeta(_t(x32[:, None], backend, ag.float32), _t(q, backend, ag.float32)),
           torch.special.zeta(torch.tensor(x32[:, None]), torch.tensor(q, dtype=torch.float32)),
           rtol=2e-6)
    with pytest.raises(TypeError):
        S.zeta(2.0, 1.0)


def test_zeta_gradients(backend):
    """wrt q: -x zeta(x + 1, q) (torch's); wrt x: torch's "not implemented" error."""
    x, q = np.array([2.0, 3.5, 1.5]), np.array([1.0, 0.3, 4.0])
    a, b = _t(x, backend), _t(q, backend, requires_grad=True)
    ta, tb = torch.tensor(x), torch.tensor(q, requires_grad=True)
    r = S.zeta(a, b)
    tr = torch.special.zeta(ta, tb)
    assert type(r.grad_fn).__name__ == tr.grad_fn.name() == "SpecialZetaBackward0"
    r.sum().backward()
    tr.sum().backward()
    np.testing.assert_allclose(_np(b.grad), tb.grad.numpy(), rtol=1e-12)
    a = _t(x, backend, requires_grad=True)
    with pytest.raises(RuntimeError, match="derivative for 'zeta' is not implemented"):
        torch.special.zeta(torch.tensor(x, requires_grad=True), tb).sum().backward()
    with pytest.raises(RuntimeError, match="derivative for 'zeta' is not implemented"):
        S.zeta(a, b).sum().backward()


def test_generic_matches_overrides():
    """The generic code of the SciPy-backed functions agrees with SciPy on a wide grid."""
    from arraygrad._dispatch import GENERIC_IMPLS

    x = np.concatenate([EDGES, np.random.default_rng(7).uniform(-40, 40, 300)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        numpy_dev = ag.device("cpu", backend="numpy")
        for name in ("modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0",
                     "modified_bessel_k1", "scaled_modified_bessel_k0",
                     "scaled_modified_bessel_k1", "spherical_bessel_j0"):
            generic = GENERIC_IMPLS[f"special.{name}"](np, x)
            ours = _np(getattr(S, name)(ag.asarray(x, device=numpy_dev)))
            np.testing.assert_allclose(generic, ours, rtol=1e-13, atol=1e-300, equal_nan=True)
