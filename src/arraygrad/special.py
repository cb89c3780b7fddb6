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
