"""PyTorch's `torch.special` namespace: gamma-family, error-function, Bessel and normal
distribution functions, with PyTorch's names, arguments, special values and gradients.

The new primitives (gammaln, digamma, polygamma, erfinv, erfcx, i0, i0e, i1, i1e, ndtr, ndtri,
log_ndtr) are ops of the op table. Each has a VJP rule written with arraygrad functions (so
higher derivatives work) and a `generic` forward written against the array API standard,
used by backends without a native version: NumPy gets SciPy's (backends/arraygrad_numpy), other
backends run the generic one, which computes in float64 where the device has it and is
accurate to ~1e-15 relative over normal ranges (absolute near zero crossings; gammainc/cc
to 5e-14 .. 3e-12 growing with a; see tests/test_special.py for the bounds). xlog1py, entr,
gammainc and gammaincc are ops too, with PyTorch's gradients (none wrt gammainc's a).
The rest are composites of existing arraygrad functions, or the same functions re-exported.

Special values follow PyTorch: lgamma is +inf at the poles (0, negative integers) and at
+-inf; digamma(+-0) = -+inf, nan at negative integers and -inf; erfinv(+-1) = +-inf, nan
outside [-1, 1]; ndtri(0) = -inf, ndtri(1) = inf. polygamma(n >= 1) at a pole is
(-1)**(n+1) * inf, at +inf (-1)**(n+1) * 0 (SciPy's values: PyTorch's trigamma gives large
finite values at negative integers and nan at -inf, its zeta-based n >= 2 nan at +inf).

The Bessel functions (bessel_j0/j1/y0/y1, modified_bessel_i0/i1/k0/k1,
scaled_modified_bessel_k0/k1, spherical_bessel_j0), airy_ai and the orthogonal polynomials
(chebyshev_polynomial_t/u/v/w and their shifted forms, hermite_polynomial_h/he,
laguerre_polynomial_l, legendre_polynomial_p; n a Tensor or a number, truncated to an integer)
are ops without a VJP rule: as in PyTorch their outputs never require grad. Their generic forwards
are PyTorch's own algorithms (ATen's Cephes fits for the Bessel and Airy functions, in float64;
its recurrences, closed forms and special cases for the polynomials, in the input dtype), so the
results are PyTorch's to ~1e-14, including where its fits are off from the true values (bessel_j0
/j1/y0/y1 and airy_ai by up to 7e-5 relative near the joins of their ranges: SciPy is used on
NumPy only for the functions where it agrees). zeta (Hurwitz) follows Cephes' Euler-Maclaurin
scheme, with PyTorch's gradient wrt q and none wrt x.
"""

from __future__ import annotations

import math
import operator

from . import _dtypes
from ._dispatch import Op, Tensor, apply, binary, check_tensor, coerce_dtype, unary
from ._ops import creation as _creation
from ._ops import elementwise as _elem
from ._ops import searching as _search
from . import _torch_api as _api

__all__ = [
    "gammaln", "digamma", "psi", "polygamma", "multigammaln", "erf", "erfc", "erfcx", "erfinv",
    "ndtr", "ndtri", "log_ndtr", "i0", "i0e", "i1", "i1e", "xlogy", "xlog1py", "entr", "expit",
    "logit", "exp2", "expm1", "log1p", "sinc", "round", "logsumexp", "softmax", "log_softmax",
    "gammainc", "gammaincc",
    "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0", "modified_bessel_i1",
    "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0",
    "scaled_modified_bessel_k1", "spherical_bessel_j0", "airy_ai", "chebyshev_polynomial_t",
    "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
    "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w", "hermite_polynomial_h",
    "hermite_polynomial_he", "laguerre_polynomial_l", "legendre_polynomial_p", "zeta",
]

_SQRT_PI = math.sqrt(math.pi)
_SQRT_2 = math.sqrt(2.0)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_LOG_PI = math.log(math.pi)
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_EULER = 0.57721566490153286061

# Bernoulli numbers B2, B4, ..., B30
_B2K = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798,
        -174611 / 330, 854513 / 138, -236364091 / 2730, 8553103 / 6, -23749461029 / 870,
        8615841276005 / 14322)

# zeta(k) - 1 for k = 2 .. 31 (the Taylor coefficients of lgamma(2 + z))
_ZETA_M1 = (0.6449340668482264, 0.2020569031595943, 0.08232323371113819, 0.03692775514336993,
            0.01734306198444914, 0.008349277381922827, 0.00407735619794434, 0.0020083928260822143,
            0.0009945751278180853, 0.0004941886041194645, 0.0002460865533080483,
            0.00012271334757848915, 6.124813505870483e-05, 3.058823630702049e-05,
            1.528225940865187e-05, 7.637197637899763e-06, 3.81729326499984e-06,
            1.908212716553939e-06, 9.539620338727962e-07, 4.769329867878064e-07,
            2.38450502727733e-07, 1.1921992596531106e-07, 5.960818905125948e-08,
            2.980350351465228e-08, 1.4901554828365043e-08, 7.45071178983543e-09,
            3.725334024788457e-09, 1.862659723513049e-09, 9.313274324196682e-10,
            4.656629065033784e-10)


# ----------------------------------------------------------------------------------------
# Array-API helpers of the generic implementations
# ----------------------------------------------------------------------------------------
def _wide(xp, x):
    """x in float64 where the namespace (and device) has it, else as it is."""
    f64 = getattr(xp, "float64", None)
    if f64 is None or x.dtype == f64:
        return x
    try:
        return xp.astype(x, f64)
    except (TypeError, ValueError, AttributeError, RuntimeError):  # no float64 on this device
        return x


def _back(xp, r, x):
    return r if r.dtype == x.dtype else xp.astype(r, x.dtype)


def _full(xp, like, value):
    return xp.full_like(like, value)


def _safe(xp, cond, x, value):
    """x where cond, else `value` (keeps unused branches free of warnings and NaNs)."""
    return xp.where(cond, x, _full(xp, x, value))


def _horner(xp, coefs, z):
    """sum(coefs[i] * z**i) (Python-float coefficients, lowest first)."""
    p = _full(xp, z, coefs[-1])
    for c in reversed(coefs[:-1]):
        p = p * z + c
    return p


# ----- gamma family ---------------------------------------------------------------------
_G2_COEFS = tuple((-1) ** k * _ZETA_M1[k - 2] / k for k in range(2, 32))  # z**2 .. z**31


def _lgamma_2p(xp, z):
    """lgamma(2 + z) for |z| <= 0.5: its Taylor series (sum (-1)**k (zeta(k) - 1) z**k / k)."""
    return z * ((1 - _EULER) + z * _horner(xp, _G2_COEFS, z))


_STIRLING = tuple(b / (2 * k * (2 * k - 1)) for k, b in enumerate(_B2K[:9], start=1))


def _lgamma_pos(xp, a):
    """lgamma(a) for finite a > 0 (a float64 array): the Taylor series of lgamma(2 + z) on
    [0.5, 2.5) (shifted by log terms below 1.5), recurrence down to it below 12, Stirling's
    series above."""
    A = _safe(xp, a < 0.5, a, 0.25)
    r1 = _lgamma_2p(xp, A) - xp.log(A) - xp.log1p(A)  # lgamma(A + 2) - log(A) - log(A + 1)
    B = _safe(xp, (a >= 0.5) & (a < 1.5), a, 1.0)
    r2 = _lgamma_2p(xp, B - 1) - xp.log1p(B - 1)  # lgamma(B + 1) - log(B)
    z = _safe(xp, (a >= 1.5) & (a < 12), a, 2.0)
    prod = xp.ones_like(z)
    for _ in range(10):  # lgamma(z) = lgamma(z - 1) + log(z - 1), down into [1.5, 2.5)
        m = z >= 2.5
        prod = xp.where(m, prod * (z - 1), prod)
        z = xp.where(m, z - 1, z)
    r3 = _lgamma_2p(xp, z - 2) + xp.log(prod)
    D = _safe(xp, a >= 12, a, 12.0)
    w = 1 / (D * D)
    r4 = (D - 0.5) * xp.log(D) - D + _HALF_LOG_2PI + _horner(xp, _STIRLING, w) / D
    return xp.where(a < 0.5, r1, xp.where(a < 1.5, r2, xp.where(a < 12, r3, r4)))


def _reduce_half(xp, x):
    """x - round(x), in [-0.5, 0.5] (exact): sin(pi x) and cot(pi x) through it."""
    return x - xp.round(x)


def _lgamma_generic(xp, x):
    w = _wide(xp, x)
    r = _reduce_half(xp, _safe(xp, xp.isfinite(w), w, 0.25))
    neg = w < 0
    pole = (w <= 0) & (r == 0)
    a = _safe(xp, xp.isfinite(w) & ~pole & ~xp.isnan(w), xp.where(neg, 1 - w, w), 1.0)
    lg = _lgamma_pos(xp, a)
    rs = _safe(xp, neg & ~pole, r, 0.25)
    refl = _LOG_PI - xp.log(xp.abs(xp.sin(math.pi * rs))) - lg  # lgamma(x) for x < 0
    out = xp.where(neg, refl, lg)
    out = xp.where(pole | xp.isinf(w), _full(xp, w, math.inf), out)
    return _back(xp, xp.where(xp.isnan(w), w, out), x)


_DIGAMMA_ASYMP = tuple(b / (2 * k) for k, b in enumerate(_B2K[:9], start=1))


def _digamma_pos(xp, a):
    """digamma(a) for finite a > 0: recurrence up to a >= 10, then the asymptotic series."""
    s = xp.zeros_like(a)
    z = a
    for _ in range(10):
        m = z < 10
        s = s + xp.where(m, 1 / z, xp.zeros_like(z))
        z = xp.where(m, z + 1, z)
    w = 1 / (z * z)
    return xp.log(z) - 0.5 / z - w * _horner(xp, _DIGAMMA_ASYMP, w) - s


def _cot_pi(xp, r):
    """cot(pi r) for r in [-0.5, 0.5] (cos through sin(pi (1/2 - |r|)): exactly 0 at +-1/2)."""
    return xp.sin(math.pi * (0.5 - xp.abs(r))) / xp.sin(math.pi * r)


def _digamma_generic(xp, x):
    w = _wide(xp, x)
    finite = xp.isfinite(w)
    r = _reduce_half(xp, _safe(xp, finite, w, 0.25))
    neg = w < 0
    pole = (w <= 0) & (r == 0)
    ok = finite & ~pole
    a = _safe(xp, ok, xp.where(neg, 1 - w, w), 1.0)
    psi_a = _digamma_pos(xp, a)
    out = xp.where(neg, psi_a - math.pi * _cot_pi(xp, _safe(xp, ok & neg, r, 0.25)), psi_a)
    out = xp.where(pole, _full(xp, w, math.nan), out)
    out = xp.where(w == 0, xp.copysign(_full(xp, w, math.inf), -w), out)  # digamma(+-0) = -+inf
    out = xp.where(xp.isinf(w), xp.where(w > 0, w, _full(xp, w, math.nan)), out)
    return _back(xp, xp.where(xp.isnan(w), w, out), x)


def _cot_derivative_poly(n: int) -> tuple:
    """Integer coefficients of P_n, d^n/dx^n cot(pi x) = pi**n P_n(cot(pi x))."""
    p = [0, 1]
    for _ in range(n):
        d = [i * c for i, c in enumerate(p)][1:] or [0]  # P'
        q = [0] * (len(d) + 2)  # -(1 + c^2) P'
        for i, c in enumerate(d):
            q[i] -= c
            q[i + 2] -= c
        p = q
    return tuple(float(c) for c in p)


def _hurwitz_zeta_pos(xp, s: int, q):
    """zeta(s, q) for an integer s >= 2 and q > 0: N terms summed, then Euler-Maclaurin with
    12 Bernoulli terms at q + N (N grows with s, keeping the remainder below 1e-16)."""
    N = 16 + s
    Q = q + N
    coefs = []
    poch = float(s)  # s (s+1) ... (s + 2j - 2)
    fact = 2.0  # (2j)!
    for j in range(1, 13):
        coefs.append(_B2K[j - 1] / fact * poch)
        poch *= (s + 2 * j - 1) * (s + 2 * j)
        fact *= (2 * j + 1) * (2 * j + 2)
    inv2 = 1 / (Q * Q)
    em = 1 / (s - 1) + 0.5 / Q + inv2 * _horner(xp, tuple(coefs), inv2)
    acc = xp.pow(Q, float(1 - s)) * em
    for k in range(N - 1, -1, -1):
        acc = acc + xp.pow(q + k, float(-s))
    return acc


def _polygamma_generic(xp, x, *, n):
    if n == 0:
        return _digamma_generic(xp, x)
    w = _wide(xp, x)
    finite = xp.isfinite(w)
    r = _reduce_half(xp, _safe(xp, finite, w, 0.25))
    neg = w < 0
    pole = (w <= 0) & (r == 0)
    ok = finite & ~pole
    a = _safe(xp, ok, xp.where(neg, 1 - w, w), 1.0)
    try:
        fact = float(math.factorial(n))
    except OverflowError:
        fact = math.inf
    sign = -1.0 if n % 2 == 0 else 1.0  # (-1)**(n+1)
    pos = (sign * fact) * _hurwitz_zeta_pos(xp, n + 1, a)
    # reflection: psi_n(x) = (-1)**n psi_n(1 - x) - pi**(n+1) P_n(cot(pi x))
    c = _cot_pi(xp, _safe(xp, ok & neg, r, 0.25))
    refl = (-sign) * pos - math.pi ** (n + 1) * _horner(xp, _cot_derivative_poly(n), c)
    out = xp.where(neg, refl, pos)
    out = xp.where(pole | (w == -math.inf), _full(xp, w, sign * math.inf), out)
    out = xp.where(w == math.inf, _full(xp, w, sign * 0.0), out)
    return _back(xp, xp.where(xp.isnan(w), w, out), x)


# ----- error-function family ------------------------------------------------------------
def _erf_series(xp, a):
    """(2/sqrt(pi)) sum a (2a^2)^n / (2n+1)!!, so erf(a) = exp(-a^2) * this (all terms
    positive: relative accuracy); for 0 <= a <= 1.5."""
    t = 2 * a * a
    p = xp.ones_like(a)
    for k in range(45, 0, -1):
        p = 1 + p * t / (2 * k + 1)
    return (2 / _SQRT_PI) * a * p


def _erfcx_pos(xp, a):
    """exp(a^2) erfc(a) for a >= 0: exp(a^2) - the series below 1, Laplace's continued
    fraction (200 terms) above."""
    A = _safe(xp, a < 1, a, 0.5)
    lo = xp.exp(A * A) - _erf_series(xp, A)
    big = _safe(xp, a >= 1, a, 1.0)
    k = big
    for n in range(200, 0, -1):  # erfc(a) = exp(-a^2) / sqrt(pi) / (a + (1/2)/(a + (2/2)/(a + ...)))
        k = big + (n / 2) / k
    return xp.where(a < 1, lo, 1 / (_SQRT_PI * k))


def _erfcx_generic(xp, x):
    w = _wide(xp, x)
    a = xp.abs(w)
    r = _erfcx_pos(xp, a)
    neg = _safe(xp, w < 0, w, 0.0)
    out = xp.where(w < 0, 2 * xp.exp(neg * neg) - r, r)
    return _back(xp, xp.where(xp.isnan(w), w, out), x)


def _ndtr_generic(xp, x):
    """erfc(-x / sqrt2) / 2 = erfcx(|x| / sqrt2) exp(-x^2 / 2) / 2 below 0 (relative accuracy in
    the lower tail; torch's (1 + erf(x / sqrt2)) / 2 has only absolute accuracy there)."""
    w = _wide(xp, x)
    tail = _erfcx_generic(xp, xp.abs(w) * (1 / _SQRT_2)) * xp.exp(w * w * -0.5) * 0.5
    return _back(xp, xp.where(w < 0, tail, 1 - tail), x)


def _giles_guess(xp, a, w):
    """Giles's single-precision erfinv(a) (w = -log((1 - a)(1 + a))), ~1e-7 relative."""
    w1 = w - 2.5
    p1 = _horner(xp, (1.50140941, 0.246640727, -0.00417768164, -0.00125372503, 0.00021858087,
                      -4.39150654e-06, -3.5233877e-06, 3.43273939e-07, 2.81022636e-08), w1)
    w2 = xp.sqrt(_safe(xp, w >= 5, w, 5.0)) - 3
    p2 = _horner(xp, (2.83297682, 1.00167406, 0.00943887047, -0.0076224613, 0.00573950773,
                      -0.00367342844, 0.00134934322, 0.000100950558, -0.000200214257), w2)
    return xp.where(w < 5, p1, p2) * a


def _inverse_erf_pair(xp, a, c):
    """y >= 0 with erf(y) = a, erfc(y) = c, given both (c = 1 - a, exact where a >= 0.5):
    Giles's guess (an asymptotic one for c < 1e-7, beyond its fit), then Newton on erf(y) - a
    for a < 0.5 and on log(erfc(y)) - log(c) above (no cancellation, no underflow)."""
    small = a < 0.5
    A = _safe(xp, small, a, 0.25)
    y = _giles_guess(xp, A, -xp.log1p(-A * A))
    for _ in range(3):
        y = y - (xp.exp(-y * y) * _erf_series(xp, y) - A) * (_SQRT_PI / 2) * xp.exp(y * y)
    C = _safe(xp, ~small & (c > 0), c, 0.25)
    w = -xp.log(C * (2 - C))
    t = -xp.log(_SQRT_PI * C)
    asym = xp.sqrt(_safe(xp, t > 1, t - 0.5 * xp.log(_safe(xp, t > 1, t, 2.0)), 1.0))
    z = xp.where(w < 16, _giles_guess(xp, 1 - C, xp.minimum(w, _full(xp, w, 16.0))), asym)
    logc = xp.log(C)
    for _ in range(5):
        ex = _erfcx_pos(xp, z)
        z = z + (xp.log(ex) - z * z - logc) * ex * (_SQRT_PI / 2)
    return xp.where(small, y, z)


def _erfinv_generic(xp, x):
    w = _wide(xp, x)
    a = xp.abs(w)
    inside = a <= 1
    y = _inverse_erf_pair(xp, _safe(xp, inside, a, 0.5), _safe(xp, inside, 1 - a, 0.5))
    out = xp.where(a == 1, _full(xp, w, math.inf), y)
    out = xp.where(w < 0, -out, out)
    out = xp.where(inside, out, _full(xp, w, math.nan))
    out = xp.where(w == 0, w, out)
    return _back(xp, xp.where(xp.isnan(w), w, out), x)


def _ndtri_generic(xp, x):
    w = _wide(xp, x)
    inside = (w >= 0) & (w <= 1)
    p = _safe(xp, inside, w, 0.5)
    lower = p < 0.5
    q = xp.where(lower, p, 1 - p)  # exact for p >= 0.5
    c = 2 * q
    y = _inverse_erf_pair(xp, 1 - c, c) * _SQRT_2
    out = xp.where(lower, -y, y)
    out = xp.where(w == 0, _full(xp, w, -math.inf), xp.where(w == 1, _full(xp, w, math.inf), out))
    out = xp.where(inside, out, _full(xp, w, math.nan))
    return _back(xp, xp.where(xp.isnan(w), w, out), x)


def _exp_neg_half_square(xp, x):
    """exp(-x^2 / 2) to a few ulp: x split in halves of 26 bits (Veltkamp), so that the large
    part of the exponent is exact (exp(-x*x/2) is off by ~x^2/2 ulp)."""
    a = xp.minimum(xp.abs(x), _full(xp, x, 40.0))
    c = a * 134217729.0  # 2**27 + 1
    hi = c - (c - a)
    lo = a - hi
    return xp.exp(-0.5 * (hi * hi)) * xp.exp(-(hi * lo + 0.5 * (lo * lo)))


def _log_ndtr_generic(xp, x):
    """log(ndtr(x)): log1p(-erfc(x/sqrt2)/2) for x >= 0; log(erfcx(-x/sqrt2)/2) - x^2/2 below."""
    w = _wide(xp, x)
    t = xp.abs(w) / _SQRT_2
    ex = _erfcx_pos(xp, _safe(xp, ~xp.isnan(t), t, 0.0))
    hi = xp.log1p(-0.5 * ex * _exp_neg_half_square(xp, _safe(xp, ~xp.isnan(w), w, 0.0)))
    wn = _safe(xp, xp.isfinite(w), w, 0.0)
    lo = xp.log(0.5 * ex) - 0.5 * wn * wn
    out = xp.where(w >= 0, hi, xp.where(w == -math.inf, _full(xp, w, -math.inf), lo))
    return _back(xp, xp.where(xp.isnan(w), w, out), x)


# ----- modified Bessel functions of order 0 and 1 ----------------------------------------
_BESSEL_SPLIT = 20.0


def _bessel_generic(xp, x, nu: int, scaled: bool):
    """I_nu(x) (or exp(-|x|) I_nu(x)), nu = 0 or 1: the power series below |x| = 20 (all
    terms positive), the asymptotic expansion e^a / sqrt(2 pi a) sum_k c_k / a^k above."""
    w = _wide(xp, x)
    a = xp.abs(w)
    s = _safe(xp, a < _BESSEL_SPLIT, a, 1.0)
    q = s * s / 4
    p = xp.ones_like(s)
    for k in range(70, 0, -1):
        p = 1 + p * q / (k * (k + nu))
    series = p if nu == 0 else p * (s / 2)
    if scaled:
        series = series * xp.exp(-s)
    b = _safe(xp, (a >= _BESSEL_SPLIT) & xp.isfinite(a), a, _BESSEL_SPLIT)
    mu = 4 * nu * nu
    p = xp.ones_like(b)
    for k in range(30, 0, -1):
        p = 1 + p * (((2 * k - 1) ** 2 - mu) / (8 * k)) / b
    asym = p / xp.sqrt(2 * math.pi * b)
    if not scaled:
        asym = xp.exp(b) * asym
    # at +-inf: PyTorch's (and SciPy's) nan unscaled, 0 scaled
    asym = xp.where(a == math.inf, _full(xp, a, 0.0 if scaled else math.nan), asym)
    out = xp.where(a < _BESSEL_SPLIT, series, asym)
    if nu == 1:
        out = xp.where(w < 0, -out, out)
    return _back(xp, xp.where(xp.isnan(w), w, out), x)


# ----- regularized incomplete gamma functions --------------------------------------------
_IGAMMA_TERMS = 300


def _as_array(xp, v, like):
    return v if hasattr(v, "dtype") else xp.asarray(v, dtype=like.dtype)


def _xlog1py_generic(xp, x, y):
    x = _as_array(xp, x, y) if hasattr(y, "dtype") else x
    y = _as_array(xp, y, x)
    safe = xp.where((x == 0) & (y == -1), xp.zeros_like(y), y)
    return xp.where((x == 0) & ~xp.isnan(y), xp.zeros_like(y), x * _api.quiet_log(xp, safe, plus_one=True))


def _xlog1py_dx(xp, g, x1, x2):
    """PyTorch's: log1p(y), 0 where x = 0 and y <= -1."""
    zero = (x1 == 0) & (x2 <= -1)
    return g * xp.where(zero, xp.zeros_like(x2), xp.log1p(xp.where(zero, xp.zeros_like(x2), x2)))


def _entr_generic(xp, x):
    pos = x > 0
    xs = _safe(xp, pos, x, 1.0)
    out = xp.where(pos, -xs * xp.log(xs), xp.where(x == 0, xp.zeros_like(x), _full(xp, x, -math.inf)))
    return xp.where(xp.isnan(x), x, out)


def _igamma_generic(xp, a, x, upper: bool):
    """P(a, x) (or Q = 1 - P): the series x^a e^-x / Gamma(a+1) sum x^n / ((a+1)...(a+n)) for
    x < a + 1, the continued fraction of Q (Legendre's, evaluated backwards, 300 terms) above;
    both converge for a up to ~1000. The prefactor exp(a log x - x - lgamma(a)) cancels ~a log a:
    ~5e-14 relative for a <= 10, 3e-13 for a <= 100, 3e-12 for a <= 1000."""
    a = _as_array(xp, a, x) if hasattr(x, "dtype") else a
    x = _as_array(xp, x, a)
    dtype = xp.result_type(a, x)
    A, X = xp.broadcast_arrays(_wide(xp, xp.astype(a, dtype)), _wide(xp, xp.astype(x, dtype)))
    ok = (A > 0) & (X > 0) & xp.isfinite(A) & xp.isfinite(X)
    a_, x_ = _safe(xp, ok, A, 1.0), _safe(xp, ok, X, 1.0)
    f = xp.exp(a_ * xp.log(x_) - x_ - _lgamma_generic(xp, a_))  # x^a e^-x / Gamma(a)
    small = x_ < a_ + 1
    s = xp.ones_like(x_)
    for n in range(_IGAMMA_TERMS, 0, -1):
        s = 1 + s * x_ / (a_ + n)
    p_series = f / a_ * s
    t = x_ + (2 * _IGAMMA_TERMS + 1) - a_
    for n in range(_IGAMMA_TERMS, 0, -1):
        t = (x_ + (2 * n - 1) - a_) - n * (n - a_) / t
    q_cf = f / t
    p = xp.where(small, p_series, 1 - q_cf)
    q = xp.where(small, 1 - p_series, q_cf)
    out = q if upper else p
    one, zero, nan = _full(xp, A, 1.0), _full(xp, A, 0.0), _full(xp, A, math.nan)
    # edges (SciPy's and PyTorch's): x = 0 -> P = 0; x = inf or a = 0 (x > 0) -> P = 1;
    # a = inf (x finite) -> P = 0; negative or nan arguments -> nan
    lo, hi = (one, zero) if upper else (zero, one)
    out = xp.where((X == 0) & (A > 0), lo, out)
    out = xp.where(((X == math.inf) & (A < math.inf)) | ((A == 0) & (X > 0)), hi, out)
    out = xp.where((A == math.inf) & (X < math.inf), lo, out)
    bad = (A < 0) | (X < 0) | xp.isnan(A) | xp.isnan(X) | ((A == 0) & (X == 0)) \
        | ((A == math.inf) & (X == math.inf))
    out = xp.where(bad, nan, out)
    return out if out.dtype == dtype else xp.astype(out, dtype)


def _igamma_slope(a, x):
    """d/dx P(a, x) = x^(a-1) e^-x / Gamma(a)."""
    return _elem.exp(_api.xlogy(a - 1, x) - x - gammaln(a))


def _no_grad_wrt_a(fname):
    def rule(g, a):
        raise NotImplementedError(f"the derivative for '{fname}: input' is not implemented.")
    return rule


# ----- Bessel functions of the first and second kind, Cephes (PyTorch's ATen Math.h) ------
_J0_PP = (0.0007969367292973471, 0.08283523921074408, 1.239533716464143, 5.447250030587687,
         8.74716500199817, 5.303240382353949, 1.0)
_J0_PQ = (0.0009244088105588637, 0.08562884743544745, 1.2535274390105895, 5.470977403304171,
         8.761908832370695, 5.306052882353947, 1.0)
_J0_QP = (-0.011366383889846916, -1.2825271867050931, -19.553954425773597, -93.20601521237683,
         -177.68116798048806, -147.07750515495118, -51.41053267665993, -6.050143506007285)
_J0_QQ = (64.3178256118178, 856.4300259769806, 3882.4018360540163, 7240.467741956525,
         5930.727011873169, 2062.0933166032783, 242.0057402402914)
_J0_RP = (-4794432209.782018, 1956174919465.5657, -249248344360967.72, 9708622510473064.0)
_J0_RQ = (499.563147152651, 173785.4016763747, 48440965.83399621, 11185553704.535683,
         2112775201154.892, 310518229857422.56, 3.1812195594320496e+16, 1.7108629408104315e+18)
_J1_PP = (0.0007621256162081731, 0.07313970569409176, 1.1271960812968493, 5.112079511468076,
         8.424045901417724, 5.214515986823615, 1.0)
_J1_PQ = (0.0005713231280725487, 0.06884559087544954, 1.105142326340617, 5.073863861286015,
         8.399855543276042, 5.209828486823619, 1.0)
_J1_QP = (0.05108625947501766, 4.982138729512334, 75.82382841325453, 366.7796093601508,
         710.8563049989261, 597.4896124006136, 211.68875710057213, 25.207020585802372)
_J1_QQ = (74.23732770356752, 1056.4488603826283, 4986.410583376536, 9562.318924047562,
         7997.041604473507, 2826.1927851763908, 336.0936078106983)
_J1_RP = (-899971225.7055594, 452228297998.19403, -72749424522181.83, 3682957328638529.0)
_J1_RQ = (620.8364781180543, 256987.25675774884, 83514679.14319493, 22151159547.97925,
         4749141220799.914, 784369607876235.9, 8.952223361846274e+16, 5.322786203326801e+18)
_Y0_YP = (15592.436785523574, -14663929.59039716, 5435264770.518765, -982136065717.9115,
         87590639439536.7, -3466283033847297.0, 4.4273326857256984e+16, -1.8495080043698668e+16)
_Y0_YQ = (1041.2835366425984, 626107.330137135, 268919633.39381415, 86400248710.3935,
         20297961275010.555, 3171577528429750.5, 2.5059625617265306e+17)
_Y1_YP = (1263204747.9017804, -647355876379.1603, 114509511541823.73, -8127702555013251.0,
         2.024394757135949e+17, -7.788771962659501e+17)
_Y1_YQ = (594.3015923461282, 235564.09294306856, 73481194.44597217, 18760131610.870617,
         3882312774962.3857, 620557727146953.8, 6.871410873553005e+16, 3.9727060811656064e+18)
_K0_A = (1.374465435613523e-16, 4.25981614279661e-14, 1.0349695257633842e-11, 1.904516377220209e-09,
        2.5347910790261494e-07, 2.286212103119452e-05, 0.001264615411446926, 0.0359799365153615,
        0.3442898999246285, -0.5353273932339028)
_K0_B = (5.300433772686263e-18, -1.6475804301524212e-17, 5.2103915050390274e-17,
        -1.678231096805412e-16, 5.512055978524319e-16, -1.848593377343779e-15,
        6.3400764774050706e-15, -2.2275133269916698e-14, 8.032890775363575e-14,
        -2.9800969231727303e-13, 1.140340588208475e-12, -4.514597883373944e-12,
        1.8559491149547177e-11, -7.957489244477107e-11, 3.577397281400301e-10,
        -1.69753450938906e-09, 8.574034017414225e-09, -4.660489897687948e-08, 2.766813639445015e-07,
        -1.8317555227191195e-06, 1.39498137188765e-05, -0.00012849549581627802,
        0.0015698838857300533, -0.0314481013119645, 2.4403030820659555)
_K1_A = (-7.023863479386288e-18, -2.427449850519366e-15, -6.666901694199329e-13,
        -1.4114883926335278e-10, -2.213387630734726e-08, -2.4334061415659684e-06,
        -0.0001730288957513052, -0.006975723859639864, -0.12261118082265715, -0.3531559607765449,
        1.5253002273389478)
_K1_B = (-5.756744483665017e-18, 1.7940508731475592e-17, -5.689462558442859e-17,
        1.838093544366639e-16, -6.057047248373319e-16, 2.038703165624334e-15,
        -7.019837090418314e-15, 2.4771544244813043e-14, -8.976705182324994e-14,
        3.3484196660784293e-13, -1.2891739609510289e-12, 5.13963967348173e-12,
        -2.1299678384275683e-11, 9.218315187605006e-11, -4.1903547593418965e-10,
        2.015049755197033e-09, -1.0345762465678097e-08, 5.7410841254500495e-08,
        -3.5019606030878126e-07, 2.406484947837217e-06, -1.936197974166083e-05,
        0.00019521551847135162, -0.002857816859622779, 0.10392373657681724, 2.7206261904844427)
_TWO_OVER_PI = 0.636619772367581343075535053490057448
_SQRT_2_OVER_PI = 0.797884560802865355879892119868763737


def _polevl(xp, coefs, z):
    """sum(coefs[i] * z**(n-1-i)) (Python-float coefficients, highest first: Cephes' order)."""
    p = _full(xp, z, coefs[0])
    for c in coefs[1:]:
        p = p * z + c
    return p


def _chbevl(xp, coefs, z):
    """Cephes' chbevl: the Chebyshev series sum' coefs[i] T_(n-1-i)(z / 2) (Clenshaw)."""
    a, p, q = _full(xp, z, coefs[0]), xp.zeros_like(z), xp.zeros_like(z)
    for c in coefs[1:]:
        p, q = q, a
        a = z * q - p + c
    return 0.5 * (a - p)


def _bessel_jy_asym(xp, a, order: int, second: bool):
    """Hankel's asymptotic form of J_order(a) (or Y_order) for a > 5, from Cephes' rational
    approximations of P and Q in (5/a)**2."""
    pp, pq, qp, qq = (_J0_PP, _J0_PQ, _J0_QP, _J0_QQ) if order == 0 else (_J1_PP, _J1_PQ, _J1_QP, _J1_QQ)
    z = 25 / (a * a)
    th = a - (0.785398163397448309615660845819875721 if order == 0 else 2.356194490192344928846982537459627163)
    p, q = _polevl(xp, pp, z) / _polevl(xp, pq, z), 5 / a * (_polevl(xp, qp, z) / _polevl(xp, qq, z))
    r = p * xp.sin(th) + q * xp.cos(th) if second else p * xp.cos(th) - q * xp.sin(th)
    return r * _SQRT_2_OVER_PI / xp.sqrt(a)


def _bessel_j_pos(xp, a, order: int):
    """J_order(a) for finite a >= 0 (float64)."""
    small = a <= 5
    s = _safe(xp, small, a, 1.0)
    z = s * s
    if order == 0:
        lo = (z - 5.78318596294678452118) * (z - 30.4712623436620863991) * _polevl(xp, _J0_RP, z) \
            / _polevl(xp, _J0_RQ, z)
        lo = xp.where(s < 1e-5, 1 - z / 4, lo)
    else:
        lo = _polevl(xp, _J1_RP, z) / _polevl(xp, _J1_RQ, z) * s * (z - 14.6819706421238932572) \
            * (z - 49.2184563216946036703)
    return xp.where(small, lo, _bessel_jy_asym(xp, _safe(xp, ~small, a, 6.0), order, False))


def _bessel_j_generic(xp, x, *, order: int):
    w = _wide(xp, x)
    a = xp.abs(w)
    ok = xp.isfinite(a)
    out = _bessel_j_pos(xp, _safe(xp, ok, a, 1.0), order)
    if order == 1:
        out = xp.where(w < 0, -out, xp.where(w == 0, w, out))  # odd: J1(-0) = -0
    out = xp.where(ok, out, _full(xp, w, math.nan))  # PyTorch's nan at +-inf (SciPy's 0)
    return _back(xp, out, x)


def _bessel_y_generic(xp, x, *, order: int):
    w = _wide(xp, x)
    ok = xp.isfinite(w) & (w > 0)
    a = _safe(xp, ok, w, 1.0)
    small = a <= 5
    s = _safe(xp, small, a, 1.0)
    z = s * s
    if order == 0:
        lo = _polevl(xp, _Y0_YP, z) / _polevl(xp, _Y0_YQ, z) \
            + _TWO_OVER_PI * xp.log(s) * _bessel_j_pos(xp, s, 0)
    else:
        lo = s * (_polevl(xp, _Y1_YP, z) / _polevl(xp, _Y1_YQ, z)) \
            + _TWO_OVER_PI * (_bessel_j_pos(xp, s, 1) * xp.log(s) - 1 / s)
    out = xp.where(small, lo, _bessel_jy_asym(xp, _safe(xp, ~small, a, 6.0), order, True))
    out = xp.where(ok, out, _full(xp, w, math.nan))  # nan below 0, at +-inf and nan
    out = xp.where(w == 0, _full(xp, w, -math.inf), out)
    return _back(xp, out, x)


def _bessel_k_generic(xp, x, *, order: int, scaled: bool):
    """K_order(x) (or exp(x) K_order(x)): Cephes' Chebyshev expansions, with log(x/2) I_order(x)
    up to x = 2; inf at 0, nan below 0, 0 at +inf."""
    w = _wide(xp, x)
    ok = xp.isfinite(w) & (w > 0)
    a = _safe(xp, ok, w, 1.0)
    small = a <= 2
    s = _safe(xp, small, a, 1.0)
    i = _bessel_generic(xp, s, order, False)
    if order == 0:
        lo = _chbevl(xp, _K0_A, s * s - 2) - xp.log(0.5 * s) * i
    else:
        lo = xp.log(0.5 * s) * i + _chbevl(xp, _K1_A, s * s - 2) / s
    if scaled:
        lo = lo * xp.exp(s)
    b = _safe(xp, ~small, a, 4.0)
    hi = _chbevl(xp, _K0_B if order == 0 else _K1_B, 8 / b - 2) / xp.sqrt(b)
    if not scaled:
        hi = xp.exp(-b) * hi
    out = xp.where(small, lo, hi)
    out = xp.where(w == math.inf, xp.zeros_like(w), xp.where(ok, out, _full(xp, w, math.nan)))
    out = xp.where(w == 0, _full(xp, w, math.inf), out)
    return _back(xp, out, x)


def _spherical_j0_generic(xp, x):
    """sin(x) / x (its Taylor polynomial below 0.5), 0 at +-inf (PyTorch's)."""
    w = _wide(xp, x)
    z = w * w
    series = 1 + z * _horner(xp, (-1 / 6, 1 / 120, -1 / 5040, 1 / 362880, -1 / 39916800,
                                   1 / 6227020800), z)
    ok = xp.isfinite(w)
    big = _safe(xp, ok & (xp.abs(w) >= 0.5), w, 1.0)
    out = xp.where(xp.abs(w) < 0.5, series, xp.sin(big) / big)
    out = xp.where(xp.isinf(w), xp.zeros_like(w), out)
    return _back(xp, xp.where(xp.isnan(w), w, out), x)


# ----- Airy Ai (Cephes, as PyTorch's ATen Math.h) ---------------------------------------
_AI_AN = (0.346538101525629, 12.007595273964581, 76.27960536152345, 168.08922493463058,
         159.75639135016442, 70.53609068404442, 14.026469116338967, 1.0)
_AI_AD = (0.5675945326387702, 14.75625625848472, 84.51389701414746, 177.31808814540045,
         164.2346928715297, 71.47784008255756, 14.095913560783403, 1.0)
_AI_AFN = (-0.1316963234183318, -0.6264565444319123, -0.6931580360369335, -0.2797799815451191,
          -0.04919001326095003, -0.004062659235948854, -0.0001592764962392621,
          -2.776491081552329e-06, -1.6778769848911465e-08)
_AI_AFD = (13.356042070655324, 32.682503279522464, 26.736704094149957, 9.187074029072596,
          1.4752914677166642, 0.11568717379518804, 0.004402916416152112, 7.547203482874142e-05,
          4.5185009297058035e-07)
_AI_AGN = (0.01973399320916857, 0.39110302961568827, 1.0657989759959559, 0.9391692298166502,
          0.35146565610554764, 0.06338889196289255, 0.005858041130483885, 0.000282851600836737,
          6.98793669997261e-06, 8.117892395543892e-08, 3.415517847659236e-10)
_AI_AGD = (9.30892908077442, 19.835292871831214, 15.564662893286462, 5.476860694229755,
          0.9542936116189619, 0.08645808263523921, 0.004126565238242226, 0.00010125908511650914,
          1.1716673321441352e-06, 4.9183457006293e-09)
_AIRY_C1, _AIRY_C2 = 0.355028053887817239260, 0.258819403792806798405  # Ai(0), -Ai'(0)
_INV_SQRT_PI = 5.64189583547756286948e-01


def _airy_ai_generic(xp, x):
    """Ai(x): Cephes' asymptotic rational forms below -2.09 and above 8.3203353, its Maclaurin
    series (f, g: Ai = c1 f - c2 g) between; 0 above 103.892, nan at +-inf (PyTorch's)."""
    w = _wide(xp, x)
    neg = w < -2.09
    a = _safe(xp, neg & xp.isfinite(w), -w, 4.0)
    zt = 2 * a * xp.sqrt(a) / 3
    z = 1 / zt
    z2 = z * z
    t = zt + 0.25 * math.pi
    lo = _INV_SQRT_PI / xp.sqrt(xp.sqrt(a)) * (
        xp.sin(t) * (1 + z2 * _polevl(xp, _AI_AFN, z2) / _polevl(xp, _AI_AFD, z2))
        - xp.cos(t) * (z * _polevl(xp, _AI_AGN, z2) / _polevl(xp, _AI_AGD, z2)))
    big = w > 8.3203353
    b = _safe(xp, (w >= 2.09) & (w <= 103.892), w, 9.0)
    zb = 2 * b * xp.sqrt(b) / 3
    hi = _INV_SQRT_PI * (_polevl(xp, _AI_AN, 1 / zb) / _polevl(xp, _AI_AD, 1 / zb)) \
        / (2 * xp.sqrt(xp.sqrt(b)) * xp.exp(zb))
    s = _safe(xp, ~neg & (w < 2.09), w, 0.0)
    z3 = s * s * s
    f, g, m, n, k = xp.ones_like(s), s, xp.ones_like(s), s, 1.0
    for it in range(200):  # the series' terms fall below 2**-52 of f within ~20 steps
        m = m * z3 / (k + 1) / (k + 2)
        n = n * z3 / (k + 2) / (k + 3)
        k += 3
        f, g = f + m, g + n
        if it % 8 == 7 and not bool(xp.any(xp.abs(m / f) > 2.220446049250313e-16)):
            break
    mid = _AIRY_C1 * f - _AIRY_C2 * g
    out = xp.where(neg, lo, xp.where(w >= 2.09, hi, mid))
    out = xp.where(w > 103.892, xp.zeros_like(w), out)
    out = xp.where(xp.isinf(w), _full(xp, w, math.nan), out)
    return _back(xp, xp.where(xp.isnan(w), w, out), x)


# ----- Hurwitz zeta (Cephes' Euler-Maclaurin scheme, as PyTorch) ----------------------------
_ZETA_A = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9, 7.47242496e10,
           -2.950130727918164224e12, 1.1646782814350067249e14, -4.5979787224074726105e15,
           1.8152105401943546773e17, -7.1661652561756670113e18)
_MACHEP = 1.11022302462515654042e-16


def _zeta_generic(xp, x, q):
    """zeta(x, q) = sum_k (q + k)**-x: the terms up to q + k > 9 (at least 9), stopping early
    once a term is below 2**-53 of the sum, then Euler-Maclaurin with 12 Bernoulli terms.
    inf at x = 1 and at q = 0, -1, -2, ..., -inf; nan for x < 1, for q < 0 with x not an
    integer, at q = +inf and at x = +inf for q > 1 (Cephes' and PyTorch's)."""
    x = _as_array(xp, x, q) if hasattr(q, "dtype") else x
    q = _as_array(xp, q, x)
    dtype = xp.result_type(x, q)
    X, Q = xp.broadcast_arrays(_wide(xp, xp.astype(x, dtype)), _wide(xp, xp.astype(q, dtype)))
    bad = (X <= 1) | ((Q <= 0) & ((X != xp.floor(X)) | (Q == xp.floor(Q)))) | xp.isnan(X) \
        | xp.isnan(Q)
    ok = ~bad & xp.isfinite(Q) & xp.isfinite(X)
    x_, q_ = _safe(xp, ok, X, 2.0), _safe(xp, ok, Q, 1.0)
    steps = 9
    if x_.size:  # the one read of values: the loop runs until q + k > 9 for the smallest q
        steps = max(9, int(math.ceil(9 - float(xp.min(q_)))) + 1)
    s = xp.pow(q_, -x_)
    done = xp.zeros_like(x_) != 0
    a, b = q_, xp.zeros_like(x_)
    for i in range(1, steps + 1):
        going = ~done & ((i <= 9) | (a <= 9))
        a = xp.where(going, a + 1, a)
        b = xp.where(going, xp.pow(a, -x_), b)
        s = xp.where(going, s + b, s)
        done = done | (going & (xp.abs(b) < _MACHEP * s))
    w = a
    t_s = s + b * w / (x_ - 1) - 0.5 * b
    fa, k = xp.ones_like(x_), 0.0
    stop = done
    for c in _ZETA_A:
        fa = fa * (x_ + k)
        b = b / w
        t = fa * b / c
        t_s = xp.where(stop, t_s, t_s + t)
        stop = stop | (xp.abs(t / t_s) < _MACHEP)
        k += 1
        fa = fa * (x_ + k)
        b = b / w
        k += 1
    out = xp.where(done, s, t_s)
    out = xp.where(ok, out, _full(xp, X, math.nan))
    # the edges PyTorch's loop gives at x = inf: 1 at q = 1, inf for finite q < 1 (nan above)
    out = xp.where((X == math.inf) & (Q > -math.inf) & (Q <= 1),
                   xp.where(Q == 1, _full(xp, X, 1.0), _full(xp, X, math.inf)), out)
    pole = (X == 1) | (~(X < 1) & (Q <= 0) & (Q == xp.floor(Q)))  # PyTorch's order of checks
    out = xp.where(pole, _full(xp, X, math.inf), out)
    return out if out.dtype == dtype else xp.astype(out, dtype)


# ----- orthogonal polynomials (PyTorch's recurrences, in the inputs' dtype) -----------------
def _poly_generic(xp, x, n, *, kind: str):
    """P_n(x) of `kind` for arrays x and (float-valued) n: n truncated to an integer, 0 where
    n < 0 (or not finite); the three-term recurrence from P_0, P_1 (masked per element up to
    max(n)), PyTorch's trigonometric closed forms for the Chebyshev kinds at |y| < 1 and large
    n, and its special cases at y = +-1 (y = 2x - 1 for the shifted kinds)."""
    x = _as_array(xp, x, n) if hasattr(n, "dtype") else x
    n = _as_array(xp, n, x)
    x, n = xp.broadcast_arrays(x, n)
    N = xp.where(xp.isfinite(n), xp.trunc(_safe(xp, xp.isfinite(n), n, -1.0)), _full(xp, n, -1.0))
    shifted = kind.startswith("shifted_")
    base = kind.removeprefix("shifted_")
    y = x + x - 1 if shifted else x
    one = xp.ones_like(x)
    if base in ("t", "legendre"):
        q1 = y
    elif base == "u":
        q1 = y + y
    elif base == "v":
        q1 = y + y - 1
    elif base == "w":
        q1 = y + y + 1
    elif base == "h":
        q1 = x + x
    elif base == "laguerre":
        q1 = 1 - x
    else:  # he
        q1 = x
    cheb = base in ("t", "u", "v", "w")
    edge = (xp.abs(y) == 1) if cheb or base == "legendre" else xp.zeros_like(x) != 0
    if cheb:
        limit = (4 if base == "w" else 6) if shifted else (6 if base == "t" else 8)
        closed = (N > limit) & (xp.abs(y) < 1)
    else:
        closed = xp.zeros_like(x) != 0
    need = (N >= 2) & ~closed & ~edge
    if base in ("h", "he"):
        lim = {"float32": 128, "float64": 512}.get(str(x.dtype).rsplit(".", 1)[-1], 1024)
        need = need & (N <= lim)
    if base == "laguerre":
        need = need & (x != 0)
    steps = int(xp.max(xp.where(need, N, xp.zeros_like(N)))) if N.size else 0
    p, q = one, q1
    for j in range(1, steps):
        live = need & (N > j)
        if base in ("t", "u", "v", "w"):
            r = (y + y) * q - p
        elif base == "h":
            r = (x + x) * q - (2 * j) * p
        elif base == "he":
            r = x * q - j * p
        elif base == "laguerre":
            r = (((j + j) + (1 - x)) * q - j * p) / (j + 1)
        else:
            r = ((j + j + 1) * x * q - j * p) / (j + 1)
        p, q = xp.where(live, q, p), xp.where(live, r, q)
        if j % 64 == 0 and not bool(xp.any(live & ~xp.isnan(q))):
            break  # diverged everywhere (PyTorch's loop stops at nan too)
    out = xp.where(N == 0, one, xp.where(N == 1, q1, q))
    odd = (N % 2) != 0
    if cheb:
        th = xp.acos(_safe(xp, closed, y, 0.5))
        m = N
        if base == "t":
            cf = xp.cos(m * th)
        elif base == "u":
            st = xp.sin(th)
            cf = xp.where(st != 0, xp.sin((m + 1) * th) / _safe(xp, st != 0, st, 1.0),
                          (m + 1) * xp.cos((m + 1) * th) / _safe(xp, y != 0, y, 1.0))
        elif base == "v":
            sgn = xp.where(odd, -(m + m + 1), m + m + 1)
            cf = xp.where(xp.sin(th / 2) != 1, xp.cos((m + 0.5) * th) / xp.cos(th / 2), sgn)
        else:
            s2 = xp.sin(th / 2)
            pm = xp.where(odd, -one, one)
            fb = pm if shifted else xp.where(y > 0, m + m + 1, pm)
            cf = xp.where(xp.cos(th / 2) != 1, xp.sin((m + 0.5) * th) / _safe(xp, s2 != 0, s2, 1.0), fb)
        out = xp.where(closed, cf, out)
        pos = y > 0
        sg = xp.where(odd & ~pos, -one, one)
        ev = {"t": sg, "u": sg * (N + 1), "v": xp.where(pos, one, sg * (N + N + 1)),
              "w": xp.where(pos, N + N + 1, sg)}[base]
        out = xp.where(edge, ev, out)
    elif base == "legendre":
        out = xp.where(edge, xp.where(odd & (y < 0), -one, one), out)
    elif base == "laguerre":
        out = xp.where(x == 0, one, out)
    else:
        out = xp.where((N > 1) & (N > lim), _full(xp, x, math.nan), out)
    return xp.where(N < 0, xp.zeros_like(out), out)


# ----------------------------------------------------------------------------------------
# The ops
# ----------------------------------------------------------------------------------------
def _op(name, rule, generic, grad_fn):
    return Op(f"special.{name}", ("x",), rule, dtypes="real floating", generic=generic,
              grad_fn=grad_fn)


def _not_zero(x):
    return _search.where(x == 0, _creation.ones_like(x), x)


_GAMMALN = _op("gammaln", lambda g, x: g * digamma(x), _lgamma_generic, "LgammaBackward0")
_DIGAMMA = _op("digamma", lambda g, x: g * polygamma(1, x), _digamma_generic, "DigammaBackward0")
_POLYGAMMA = _op("polygamma", lambda g, x, n: g * polygamma(n + 1, x), _polygamma_generic,
                 "PolygammaBackward0")


def _polygamma_orders_generic(xp, n, x):
    """polygamma with an integer array of orders `n` (broadcast with x; SciPy's form): the
    int-order implementation once per distinct order, selected elementwise; nan where n < 0
    (SciPy's value)."""
    n, x = xp.broadcast_arrays(n, x)
    out = xp.full_like(x, math.nan)
    # The one read of n's values: the orders are integer arguments (like torch's int n), each
    # distinct one selects a different series, so they are brought to the host here.
    for k in (int(v) for v in xp.unique_values(n)):
        if k >= 0:
            out = xp.where(n == k, _polygamma_generic(xp, x, n=k), out)
    return out


_POLYGAMMA_ORDERS = Op("special.polygamma_orders", ("n", "x"),
                       {"n": None, "x": lambda g, n, x: g * polygamma(n + 1, x)},
                       broadcasts=True, generic=_polygamma_orders_generic,
                       grad_fn="PolygammaBackward0")
_ERFINV = _op("erfinv", lambda xp, g, ans: g * (_SQRT_PI / 2) * xp.exp(ans * ans), _erfinv_generic,
              "ErfinvBackward0")
_ERFCX = _op("erfcx", lambda xp, g, x, ans: g * (2 * x * ans - 2 / _SQRT_PI), _erfcx_generic,
             "SpecialErfcxBackward0")
_I0 = _op("i0", lambda g, x: g * i1(x), lambda xp, x: _bessel_generic(xp, x, 0, False), "I0Backward0")
_I0E = _op("i0e", lambda g, x, ans: g * (i1e(x) - _elem.sign(x) * ans),
           lambda xp, x: _bessel_generic(xp, x, 0, True), "SpecialI0EBackward0")
_I1 = _op("i1", lambda g, x, ans: g * _search.where(x == 0, _creation.full_like(x, 0.5),
                                                    i0(x) - ans / _not_zero(x)),
          lambda xp, x: _bessel_generic(xp, x, 1, False), "SpecialI1Backward0")
_I1E = _op("i1e", lambda g, x, ans: g * _search.where(
    x == 0, _creation.full_like(x, 0.5), i0e(x) - ans * (_elem.sign(x) + 1 / _not_zero(x))),
    lambda xp, x: _bessel_generic(xp, x, 1, True), "SpecialI1EBackward0")
_NDTRI = _op("ndtri", lambda xp, g, ans: g * _SQRT_2PI * xp.exp(ans * ans / 2), _ndtri_generic,
             "SpecialNdtriBackward0")
_NDTR = _op("ndtr", lambda g, x: g * (_elem.exp(x * x * -0.5) * (1 / _SQRT_2PI)), _ndtr_generic,
             "SpecialNdtrBackward0")
_LOG_NDTR = _op("log_ndtr", lambda xp, g, x, ans: g * xp.exp(-x * x / 2 - ans) / _SQRT_2PI,
                _log_ndtr_generic, "SpecialLogNdtrBackward0")


_GAMMAINC = Op("special.gammainc", ("a", "x"), {"a": _no_grad_wrt_a("gammainc"),
                                                "x": lambda g, a, x: g * _igamma_slope(a, x)},
               dtypes="real floating", broadcasts=True, grad_fn="IgammaBackward0",
               generic=lambda xp, a, x: _igamma_generic(xp, a, x, False))
_GAMMAINCC = Op("special.gammaincc", ("a", "x"), {"a": _no_grad_wrt_a("gammaincc"),
                                                  "x": lambda g, a, x: -g * _igamma_slope(a, x)},
                dtypes="real floating", broadcasts=True, grad_fn="IgammacBackward0",
                generic=lambda xp, a, x: _igamma_generic(xp, a, x, True))


_XLOG1PY = Op("special.xlog1py", ("x1", "x2"), {"x1": _xlog1py_dx,
                                                 "x2": lambda xp, g, x1, x2: g * x1 / (x2 + 1)},
              dtypes="real floating", broadcasts=True, generic=_xlog1py_generic,
              grad_fn="SpecialXlog1PyBackward0")
# PyTorch's derivative -(1 + log(x)): inf at 0, nan below
_ENTR = _op("entr", lambda xp, g, x: g * -(1 + xp.log(x)), _entr_generic, "SpecialEntrBackward0")


# Bessel, Airy and polynomial functions: not differentiable in PyTorch (their outputs
# never require grad), so no rule; zeta has PyTorch's gradient wrt q only.
def _nograd_op(name, generic):
    return Op(f"special.{name}", ("x",), None, dtypes="real floating", generic=generic)


_BESSEL_OPS = {
    "bessel_j0": _nograd_op("bessel_j0", lambda xp, x: _bessel_j_generic(xp, x, order=0)),
    "bessel_j1": _nograd_op("bessel_j1", lambda xp, x: _bessel_j_generic(xp, x, order=1)),
    "bessel_y0": _nograd_op("bessel_y0", lambda xp, x: _bessel_y_generic(xp, x, order=0)),
    "bessel_y1": _nograd_op("bessel_y1", lambda xp, x: _bessel_y_generic(xp, x, order=1)),
    "modified_bessel_i0": _nograd_op("modified_bessel_i0", lambda xp, x: _bessel_generic(xp, x, 0, False)),
    "modified_bessel_i1": _nograd_op("modified_bessel_i1", lambda xp, x: _bessel_generic(xp, x, 1, False)),
    "modified_bessel_k0": _nograd_op(
        "modified_bessel_k0", lambda xp, x: _bessel_k_generic(xp, x, order=0, scaled=False)),
    "modified_bessel_k1": _nograd_op(
        "modified_bessel_k1", lambda xp, x: _bessel_k_generic(xp, x, order=1, scaled=False)),
    "scaled_modified_bessel_k0": _nograd_op(
        "scaled_modified_bessel_k0", lambda xp, x: _bessel_k_generic(xp, x, order=0, scaled=True)),
    "scaled_modified_bessel_k1": _nograd_op(
        "scaled_modified_bessel_k1", lambda xp, x: _bessel_k_generic(xp, x, order=1, scaled=True)),
    "spherical_bessel_j0": _nograd_op("spherical_bessel_j0", _spherical_j0_generic),
    "airy_ai": _nograd_op("airy_ai", _airy_ai_generic),
}

_POLY_KINDS = {
    "chebyshev_polynomial_t": "t", "chebyshev_polynomial_u": "u", "chebyshev_polynomial_v": "v",
    "chebyshev_polynomial_w": "w", "shifted_chebyshev_polynomial_t": "shifted_t",
    "shifted_chebyshev_polynomial_u": "shifted_u", "shifted_chebyshev_polynomial_v": "shifted_v",
    "shifted_chebyshev_polynomial_w": "shifted_w", "hermite_polynomial_h": "h",
    "hermite_polynomial_he": "he", "laguerre_polynomial_l": "laguerre",
    "legendre_polynomial_p": "legendre",
}


def _poly_op(name, kind):
    def generic(xp, x, n):
        return _poly_generic(xp, x, n, kind=kind)
    generic.__name__ = f"_{name}_generic"
    return Op(f"special.{name}", ("x", "n"), None, dtypes="real floating", broadcasts=True,
              generic=generic)


_POLY_OPS = {name: _poly_op(name, kind) for name, kind in _POLY_KINDS.items()}


def _no_grad_wrt_x(fname):
    def rule(g, x1, x2):
        raise NotImplementedError(f"the derivative for '{fname}' is not implemented.")
    return rule


_ZETA = Op("special.zeta", ("x1", "x2"),
           {"x1": _no_grad_wrt_x("zeta"), "x2": lambda g, x1, x2: g * -x1 * zeta(x1 + 1, x2)},
           dtypes="real floating", broadcasts=True, grad_fn="SpecialZetaBackward0",
           generic=_zeta_generic)


def _unary(op, input, fname, out):
    check_tensor(input, fname, "input")
    r = unary(op, input)
    return r if out is None else _api.write_out(out, r, fname, (input,))


# ----------------------------------------------------------------------------------------
# The namespace
# ----------------------------------------------------------------------------------------
def gammaln(input, *, out=None) -> Tensor:
    """log|Gamma(input)| (torch.lgamma): +inf at 0, the negative integers and +-inf."""
    return _unary(_GAMMALN, input, "gammaln", out)


def digamma(input, *, out=None) -> Tensor:
    """The logarithmic derivative of Gamma: -inf at 0 (+inf at -0), nan at negative integers."""
    return _unary(_DIGAMMA, input, "digamma", out)


def psi(input, *, out=None) -> Tensor:
    """Alias of digamma."""
    return _unary(_DIGAMMA, input, "psi", out)


def _polygamma_orders(n, input, out):
    """polygamma(n, x) for an integer Tensor n: elementwise orders broadcast with x (SciPy's
    form); nan where n < 0 (SciPy's value); gradient wrt x polygamma(n + 1, x), none wrt n."""
    if n._dtype.kind not in "iu":
        raise TypeError(f"polygamma(): a Tensor argument 'n' must have an integer dtype, not {n._dtype}")
    check_tensor(input, "polygamma", "input")
    x = input if input._dtype.kind == "f" else _float_tensor(input, "polygamma", "input")
    r = apply(_POLYGAMMA_ORDERS, (n, x), fname="polygamma")
    return r if out is None else _api.write_out(out, r, "polygamma", (n, input))


def polygamma(n, input, *, out=None) -> Tensor:
    """The n-th derivative of digamma (n >= 0; polygamma(0, x) = digamma(x)). n is an int (PyTorch)
    or an integer Tensor of orders broadcast with input (SciPy's convention; nan where n < 0)."""
    if isinstance(n, Tensor):
        return _polygamma_orders(n, input, out)
    if n.__class__ is bool or not isinstance(n, int):
        try:
            n = operator.index(n)
        except TypeError:
            raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not "
                            f"{type(n).__name__}") from None
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    check_tensor(input, "polygamma", "input")
    x = input if input._dtype in _POLYGAMMA.dtypes else coerce_dtype(_POLYGAMMA, input, "input")
    r = apply(_POLYGAMMA, (x,), {"n": int(n)})
    return r if out is None else _api.write_out(out, r, "polygamma", (input,))


def multigammaln(input, p, *, out=None) -> Tensor:
    """The multivariate log-gamma of dimension p: p(p-1)/4 log(pi) + sum_j lgamma(x - j/2).
    (Values are not read: elements at or below (p-1)/2 give inf/nan, no error.)"""
    check_tensor(input, "multigammaln", "input")
    if p.__class__ is bool or not isinstance(p, int):
        raise TypeError(f"multigammaln(): argument 'p' (position 2) must be int, not {type(p).__name__}")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    x = input if input._dtype.kind == "f" else input.astype(_dtypes.DEFAULT_FLOAT)
    if x._dtype.kind != "f":
        raise TypeError(f"multigammaln: input must be real floating, got {input._dtype}")
    r = gammaln(x)
    for j in range(1, p):
        r = r + gammaln(x - j / 2)
    r = r + p * (p - 1) / 4 * _LOG_PI
    return r if out is None else _api.write_out(out, r, "multigammaln", (input,))


def erfinv(input, *, out=None) -> Tensor:
    """The inverse of erf on [-1, 1] (+-inf at +-1, nan outside)."""
    return _unary(_ERFINV, input, "erfinv", out)


def erfcx(input, *, out=None) -> Tensor:
    """The scaled complementary error function exp(x^2) erfc(x), without overflow for large x."""
    return _unary(_ERFCX, input, "erfcx", out)


def ndtri(input, *, out=None) -> Tensor:
    """The inverse of ndtr: the standard normal quantile (nan outside [0, 1])."""
    return _unary(_NDTRI, input, "ndtri", out)


def log_ndtr(input, *, out=None) -> Tensor:
    """log(ndtr(input)), accurate for very negative input."""
    return _unary(_LOG_NDTR, input, "log_ndtr", out)


def i0(input, *, out=None) -> Tensor:
    """The modified Bessel function of the first kind, order 0."""
    return _unary(_I0, input, "i0", out)


def i0e(input, *, out=None) -> Tensor:
    """exp(-|x|) i0(x)."""
    return _unary(_I0E, input, "i0e", out)


def i1(input, *, out=None) -> Tensor:
    """The modified Bessel function of the first kind, order 1."""
    return _unary(_I1, input, "i1", out)


def i1e(input, *, out=None) -> Tensor:
    """exp(-|x|) i1(x)."""
    return _unary(_I1E, input, "i1e", out)


def _float_tensor(x, fname, argname):
    check_tensor(x, fname, argname)
    if x._dtype.kind in "biu":
        return x.astype(_dtypes.DEFAULT_FLOAT)
    if x._dtype.kind != "f":
        raise TypeError(f"{fname}: {argname} must be real, got {x._dtype}")
    return x


def _igamma(op, fname, input, other, out):
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(f"{fname}: at least one of input, other must be an arraygrad Tensor")
    r = binary(op, input, other)
    return r if out is None else _api.write_out(out, r, fname, (input, other))


def gammainc(input, other, *, out=None) -> Tensor:
    """The regularized lower incomplete gamma function P(a, x) (a = input, x = other), no
    gradient with respect to a (as in PyTorch)."""
    return _igamma(_GAMMAINC, "gammainc", input, other, out)


def gammaincc(input, other, *, out=None) -> Tensor:
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x)."""
    return _igamma(_GAMMAINCC, "gammaincc", input, other, out)


def ndtr(input, *, out=None) -> Tensor:
    """The standard normal CDF, erfc(-x / sqrt(2)) / 2."""
    # an op (SciPy's ndtr on NumPy): relative accuracy in the lower tail (torch's
    # (1 + erf(x/sqrt2))/2 has only absolute accuracy there, 0 below -8.3), and the derivative
    # exp(-x^2/2)/sqrt(2 pi) everywhere (0 at +-inf, 1/sqrt(2 pi) at 0)
    return _unary(_NDTR, _float_tensor(input, "ndtr", "input"), "ndtr", out)


def entr(input, *, out=None) -> Tensor:
    """-x log(x) for x > 0, 0 at 0, -inf for x < 0 (elementwise entropy)."""
    return _unary(_ENTR, input, "entr", out)


def xlog1py(input, other, *, out=None) -> Tensor:
    """input * log1p(other), 0 where input is 0 (unless other is nan); either may be a
    Python scalar."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError("xlog1py: at least one of input, other must be an arraygrad Tensor")
    r = binary(_XLOG1PY, input, other)
    return r if out is None else _api.write_out(out, r, "xlog1py", (input, other))


def xlogy(input, other, *, out=None) -> Tensor:
    """input * log(other), 0 where input is 0 (unless other is nan)."""
    r = _api.xlogy(input, other)
    return r if out is None else _api.write_out(out, r, "xlogy", (input, other))


def erf(input, *, out=None) -> Tensor:
    r = _api.erf(input)
    return r if out is None else _api.write_out(out, r, "erf", (input,))


def erfc(input, *, out=None) -> Tensor:
    r = _api.erfc(input)
    return r if out is None else _api.write_out(out, r, "erfc", (input,))


def expit(input, *, out=None) -> Tensor:
    """The logistic sigmoid 1 / (1 + exp(-x))."""
    r = _api.sigmoid(input)
    return r if out is None else _api.write_out(out, r, "expit", (input,))


def logit(input, eps=None, *, out=None) -> Tensor:
    """log(p / (1 - p)), p clamped to [eps, 1 - eps] when eps is given."""
    r = _api.logit(input, eps)
    return r if out is None else _api.write_out(out, r, "logit", (input,))


def exp2(input, *, out=None) -> Tensor:
    r = _api.exp2(input)
    return r if out is None else _api.write_out(out, r, "exp2", (input,))


def expm1(input, *, out=None) -> Tensor:
    r = _elem.expm1(input)
    return r if out is None else _api.write_out(out, r, "expm1", (input,))


def log1p(input, *, out=None) -> Tensor:
    r = _elem.log1p(input)
    return r if out is None else _api.write_out(out, r, "log1p", (input,))


def sinc(input, *, out=None) -> Tensor:
    """sin(pi x) / (pi x), 1 at 0."""
    r = _api.sinc(input)
    return r if out is None else _api.write_out(out, r, "sinc", (input,))


def round(input, *, decimals: int = 0, out=None) -> Tensor:  # noqa: A001 (PyTorch's name)
    """Round half to even (to `decimals` decimal places: round(x * 10**d) / 10**d)."""
    check_tensor(input, "round", "input")
    if decimals == 0:
        r = _elem.round(input)
    else:
        if input._dtype.kind != "f":
            raise RuntimeError("round_mode_decimals: only floating point inputs support decimals")
        if decimals > 0:
            r = _elem.round(input * 10.0 ** decimals) / 10.0 ** decimals
        else:
            r = _elem.round(input / 10.0 ** -decimals) * 10.0 ** -decimals
    return r if out is None else _api.write_out(out, r, "round", (input,))


def logsumexp(input, dim, keepdim: bool = False, *, out=None) -> Tensor:
    """log(sum(exp(input), dim)), computed stably."""
    r = _api.logsumexp(input, dim, keepdim)
    return r if out is None else _api.write_out(out, r, "logsumexp", (input,))


def softmax(input, dim, *, dtype=None) -> Tensor:
    return _api.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None) -> Tensor:
    return _api.log_softmax(input, dim, dtype=dtype)


# ----- Bessel functions, orthogonal polynomials, Hurwitz zeta (not differentiable but zeta) --
def _bessel(name, doc):
    op = _BESSEL_OPS[name]

    def fn(input, *, out=None) -> Tensor:
        return _unary(op, input, name, out)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc + " Not differentiable (as in PyTorch)."
    return fn


bessel_j0 = _bessel("bessel_j0", "The Bessel function of the first kind of order 0 (nan at +-inf).")
bessel_j1 = _bessel("bessel_j1", "The Bessel function of the first kind of order 1 (nan at +-inf).")
bessel_y0 = _bessel("bessel_y0", "The Bessel function of the second kind of order 0 (-inf at 0, "
                    "nan below 0 and at +-inf).")
bessel_y1 = _bessel("bessel_y1", "The Bessel function of the second kind of order 1 (-inf at 0, "
                    "nan below 0 and at +-inf).")
modified_bessel_i0 = _bessel("modified_bessel_i0", "The modified Bessel function of the first kind "
                             "of order 0 (nan at +-inf).")
modified_bessel_i1 = _bessel("modified_bessel_i1", "The modified Bessel function of the first kind "
                             "of order 1 (nan at +-inf).")
modified_bessel_k0 = _bessel("modified_bessel_k0", "The modified Bessel function of the second kind "
                             "of order 0 (inf at 0, nan below).")
modified_bessel_k1 = _bessel("modified_bessel_k1", "The modified Bessel function of the second kind "
                             "of order 1 (inf at 0, nan below).")
scaled_modified_bessel_k0 = _bessel("scaled_modified_bessel_k0", "exp(x) modified_bessel_k0(x).")
scaled_modified_bessel_k1 = _bessel("scaled_modified_bessel_k1", "exp(x) modified_bessel_k1(x).")
spherical_bessel_j0 = _bessel("spherical_bessel_j0", "sin(x) / x, 1 at 0 and 0 at +-inf.")
airy_ai = _bessel("airy_ai", "The Airy function Ai (0 above 103.892, nan at +-inf).")


def _polynomial(name, doc):
    op = _POLY_OPS[name]

    def fn(input, n, *, out=None) -> Tensor:
        if not isinstance(input, Tensor) and not isinstance(n, Tensor):
            raise TypeError(f"{name}: at least one of input, n must be an arraygrad Tensor")
        r = binary(op, input, n)
        return r if out is None else _api.write_out(out, r, name, (input, n))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (doc + " n (a Tensor broadcast with input, or a number) is truncated to an "
                  "integer; 0 where n < 0. Not differentiable (as in PyTorch).")
    return fn


chebyshev_polynomial_t = _polynomial("chebyshev_polynomial_t",
                                     "The Chebyshev polynomial of the first kind T_n.")
chebyshev_polynomial_u = _polynomial("chebyshev_polynomial_u",
                                     "The Chebyshev polynomial of the second kind U_n.")
chebyshev_polynomial_v = _polynomial("chebyshev_polynomial_v",
                                     "The Chebyshev polynomial of the third kind V_n.")
chebyshev_polynomial_w = _polynomial("chebyshev_polynomial_w",
                                     "The Chebyshev polynomial of the fourth kind W_n.")
shifted_chebyshev_polynomial_t = _polynomial("shifted_chebyshev_polynomial_t", "T_n(2x - 1).")
shifted_chebyshev_polynomial_u = _polynomial("shifted_chebyshev_polynomial_u", "U_n(2x - 1).")
shifted_chebyshev_polynomial_v = _polynomial("shifted_chebyshev_polynomial_v", "V_n(2x - 1).")
shifted_chebyshev_polynomial_w = _polynomial("shifted_chebyshev_polynomial_w", "W_n(2x - 1).")
hermite_polynomial_h = _polynomial("hermite_polynomial_h", "The physicists' Hermite polynomial H_n "
                                   "(nan for n > 128 in float32, 512 in float64: PyTorch's limit).")
hermite_polynomial_he = _polynomial("hermite_polynomial_he", "The probabilists' Hermite polynomial "
                                    "He_n (nan for n > 128 in float32, 512 in float64).")
laguerre_polynomial_l = _polynomial("laguerre_polynomial_l", "The Laguerre polynomial L_n.")
legendre_polynomial_p = _polynomial("legendre_polynomial_p", "The Legendre polynomial P_n.")


def zeta(input, other, *, out=None) -> Tensor:
    """The Hurwitz zeta function sum_k (other + k)**-input (either may be a Python number): inf
    at input = 1, nan for input < 1; gradient wrt other -input * zeta(input + 1, other), none
    wrt input (as in PyTorch)."""
    return _igamma(_ZETA, "zeta", input, other, out)
