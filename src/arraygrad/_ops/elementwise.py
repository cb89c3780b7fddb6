"""Elementwise functions: one table entry per function, with its gradient.

Complex gradients follow PyTorch's convention (the conjugate Wirtinger derivative): for a
holomorphic f, the gradient passed back is ``g * conj(f'(z))``; for a real loss L of a
complex z, ``z.grad = dL/dRe(z) + 1j * dL/dIm(z)``. See docs/autograd.md.
"""

from __future__ import annotations

import cmath
import math

import arraygrad as _AG  # the namespace _conj works in (rules without `xp`)

from .._dispatch import Op, apply, binary, check_tensor, unary
from .. import _dtypes
from . import exported

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


def _unary_function(name: str, dtypes: str, vjp=None, *, grad_fn: str | None = None, doc: str = "",
                    generic=None):
    """Make the array-API function `name(x, /)` for a one-input op."""
    op = Op(name, ("x",), vjp, dtypes=dtypes, grad_fn=grad_fn, generic=generic)

    def function(x, /, *, out=None):
        if out is None:
            return unary(op, x)
        from .._torch_api import write_out  # PyTorch's out=

        return write_out(out, unary(op, x), name, (x,))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc or f"Elementwise {name} (array API; {dtypes} inputs)."
    function.op = op
    return function


def _binary_function(name: str, dtypes: str, vjp=None, *, grad_fn: str | None = None, doc: str = "",
                     grad_fn_by_operands=None, refuses_bool: bool = False):
    """Make the array-API function `name(x1, x2, /)` for a two-input broadcasting op."""
    op = Op(name, ("x1", "x2"), vjp, dtypes=dtypes, grad_fn=grad_fn, broadcasts=True,
            grad_fn_by_operands=grad_fn_by_operands, refuses_bool=refuses_bool)

    def function(x1, x2, /, **torch_kwargs):
        if not torch_kwargs:
            return binary(op, x1, x2)
        from .._torch_api import torch_binary  # PyTorch's out=, alpha=, rounding_mode=

        return torch_binary(name, x1, x2, torch_kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc or f"Elementwise {name} with broadcasting (array API; {dtypes} inputs)."
    function.op = op
    return function


# ----- helpers for rules (work on Tensors and Python scalars alike) ---------------------
def _is_complex(v) -> bool:
    return v._dtype.kind == "c" if hasattr(v, "_dtype") else isinstance(v, complex)


def _cj(xp, v):
    """_conj for rules that take `xp`: on Tensors, raw backend arrays and Python scalars."""
    d = getattr(v, "dtype", None)
    if d is None:  # a Python scalar
        return v.conjugate() if v.__class__ is complex else v
    kind = getattr(d, "kind", None)  # NumPy, CuPy and arraygrad dtypes have one
    if kind is None:
        return xp.conj(v) if xp.isdtype(d, "complex floating") else v
    return xp.conj(v) if kind == "c" else v


def _conj(v):
    """conj for complex values; the value itself otherwise (no copy for real tensors): _cj
    in arraygrad's namespace, for rules written with arraygrad functions."""
    return _cj(_AG, v)


def _log_any(v):
    if hasattr(v, "_dtype"):
        return log(v)
    return cmath.log(v) if isinstance(v, complex) or v < 0 else math.log(v) if v != 0 else -math.inf


def _sgn(x):
    """x / |x| (0 at 0): sign for real inputs (0 at NaN, PyTorch's sign in abs's
    gradient), the complex sign otherwise."""
    if x._dtype.kind != "c":
        return where(isnan(x), 0.0, sign(x)) if x._dtype.kind == "f" else sign(x)
    a = abs(x)
    return where(a == 0, 0.0, x / where(a == 0, 1.0, a).astype(x._dtype))


def _pow_exponent_grad(xp, g, x1, x2, ans):
    """d/dy x**y = x**y log(x); 0 where x = 0 and Re y >= 0 (PyTorch's convention)."""
    if not hasattr(x1, "dtype"):  # a Python scalar base
        if x1 != 0:
            if x1.__class__ is not complex and x1 < 0 and not xp.isdtype(x2.dtype, "complex floating"):
                return g * math.nan  # a real power of a negative base: nan, as a tensor base gives
            return g * _cj(xp, ans * _log_any(x1))
        return xp.where(xp.real(x2) >= 0, 0.0, g * _cj(xp, ans * -math.inf))
    zero = xp.logical_and(x1 == 0, xp.real(x2) >= 0)  # x2 is an array: it is differentiated
    return xp.where(zero, 0.0, g * _cj(xp, ans * xp.log(xp.where(zero, 1.0, x1))))


def _pow_base_grad(xp, g, x1, x2):
    """d/dx x**y = y x**(y-1); 0 where y = 0 (PyTorch's value: not 0 * inf at x = 0, nor
    0 * nan at x = nan). Only those points are masked, through a safe base, so that the rule
    differentiates again (in y too: PyTorch's mask on y = 0 alone zeroes the mixed derivative)."""
    if not hasattr(x2, "dtype"):  # a Python scalar exponent
        if x2 == 2:  # the common square: no pow in the backward pass
            return g * _cj(xp, x1 * 2)
        return g * 0 if x2 == 0 else g * _cj(xp, x2 * x1 ** (x2 - 1))
    masked = xp.logical_and(x2 == 0, xp.logical_or(x1 == 0, xp.isnan(x1)))
    safe = xp.where(masked, 1.0, x1)
    return xp.where(masked, 0.0, g * _cj(xp, x2 * safe ** (x2 - 1)))


def _atan2_grad(num, x1, x2):
    r2 = x1 * x1 + x2 * x2
    zero = r2 == 0
    return where(zero, 0.0, num / where(zero, 1.0, r2))


def _max_min_grad(g, mine, other, better):
    """Gradient of maximum/minimum for one input: g where it does not lose (a NaN on either
    side included), g/2 on ties, as PyTorch's rule."""
    tie = mine == other
    lose = better(other, mine)
    return where(lose, 0.0, where(tie, g * 0.5, g))


def _sgn_backward(g, x, ans):
    """Gradient of the complex sign z/|z| (PyTorch's sgn_backward); 0 for real inputs."""
    if x._dtype.kind != "c":
        return g * 0
    a = abs(x)
    safe = where(a == 0, 1.0, a)
    out = (g - real(g * conj(ans)) * ans) / safe.astype(x._dtype)
    return where(a == 0, 0.0, out)


# ----- the table ------------------------------------------------------------------------
abs = _unary_function("abs", "numeric", lambda g, x: g * _sgn(x), grad_fn="AbsBackward0")
acos = _unary_function("acos", "floating-point", lambda g, x: -g * _conj(rsqrt(1 - x * x)))
# 1 / (sqrt(z - 1) sqrt(z + 1)), not 1 / sqrt(z**2 - 1): they differ in sign for Re z < 0
# real x: 1 / sqrt(x^2 - 1) as one root, which PyTorch evaluates below -1 too (the value is
# NaN there, the slope is not; + 0.0 makes x = -1's -0.0 a +0: +inf); complex: the two roots
# of the principal branch
acosh = _unary_function("acosh", "floating-point", lambda g, x: g * (
    _conj(rsqrt(x - 1) * rsqrt(x + 1)) if x._dtype.kind == "c" else rsqrt((x - 1) * (x + 1) + 0.0)))
asin = _unary_function("asin", "floating-point", lambda g, x: g * _conj(rsqrt(1 - x * x)))
asinh = _unary_function("asinh", "floating-point", lambda g, x: g * _conj(rsqrt(x * x + 1)))
atan = _unary_function("atan", "floating-point", lambda xp, g, x: g / _cj(xp, x * x + 1))
atanh = _unary_function("atanh", "floating-point", lambda xp, g, x: g / _cj(xp, 1 - x * x))
bitwise_invert = _unary_function("bitwise_invert", "integer or boolean")
ceil = _unary_function("ceil", "real numeric")
conj = _unary_function("conj", "numeric", lambda g: conj(g))
cos = _unary_function("cos", "floating-point", lambda xp, g, x: -g * _cj(xp, xp.sin(x)))
cosh = _unary_function("cosh", "floating-point", lambda xp, g, x: g * _cj(xp, xp.sinh(x)))
exp = _unary_function("exp", "floating-point", lambda xp, g, ans: g * _cj(xp, ans))
expm1 = _unary_function("expm1", "floating-point", lambda xp, g, ans: g * _cj(xp, ans + 1))
floor = _unary_function("floor", "real numeric")
_imag = _unary_function("imag", "floating-point", lambda g: g * 1j)
isfinite = _unary_function("isfinite", "numeric")
isinf = _unary_function("isinf", "numeric")
isnan = _unary_function("isnan", "numeric")


def _bool_aware(test, finite: bool):
    """`test` that also takes bool input (beyond the standard, as PyTorch: booleans are
    finite numbers)."""
    def function(x, /):
        if getattr(x, "_dtype", None) is _dtypes.bool:
            from .creation import ones_like, zeros_like

            return (ones_like if finite else zeros_like)(x)
        return test(x)

    function.__name__ = function.__qualname__ = test.__name__
    function.__doc__ = test.__doc__
    return function


isfinite, isinf, isnan = _bool_aware(isfinite, True), _bool_aware(isinf, False), _bool_aware(isnan, False)
log = _unary_function("log", "floating-point", lambda xp, g, x: g / _cj(xp, x))
log1p = _unary_function("log1p", "floating-point", lambda xp, g, x: g / _cj(xp, x + 1),
                        grad_fn="Log1PBackward0")
log2 = _unary_function("log2", "floating-point", lambda xp, g, x: g / (_cj(xp, x) * _LN2))
log10 = _unary_function("log10", "floating-point", lambda xp, g, x: g / (_cj(xp, x) * _LN10))
logical_not = _unary_function("logical_not", "any")
negative = _unary_function("negative", "numeric", lambda xp, g: -g, grad_fn="NegBackward0")
positive = _unary_function("positive", "numeric", lambda xp, g: g)
_real = _unary_function("real", "numeric", lambda xp, g: g)
reciprocal = _unary_function("reciprocal", "floating-point", lambda xp, g, ans: -g * _cj(xp, ans * ans))
_round = _unary_function("round", "numeric")


def round(x, /, *, decimals=0, out=None):
    """Elementwise round half to even (array API); PyTorch's `decimals` rounds to that many
    decimal places (negative: to tens, hundreds, ...)."""
    if decimals:
        r = x.round(decimals=decimals)
        if out is None:
            return r
        from .._torch_api import write_out

        return write_out(out, r, "round", (x,))
    return _round(x, out=out)


round.op = _round.op


def real(x, /):
    """The real part of each element; of a complex tensor, a view of its memory (x.real,
    PyTorch's torch.real: writes through it reach x) on backends whose arrays have views."""
    if getattr(x, "_dtype", None) is not None and x._dtype.kind == "c" and x._backend.mutable_arrays:
        return x.real
    return _real(x)


real.op = _real.op


def imag(x, /):
    """The imaginary part of each element; of a complex tensor, a view of its memory (x.imag,
    PyTorch's torch.imag) on backends whose arrays have views."""
    if getattr(x, "_dtype", None) is not None and x._dtype.kind == "c" and x._backend.mutable_arrays:
        return x.imag
    return _imag(x)


imag.op = _imag.op
_sign = _unary_function("sign", "numeric")
_SGN = Op("sgn", ("x",), lambda g, x, ans: _sgn_backward(g, x, ans), dtypes="complex floating",
          impl="sign")


def sign(x, /):
    """Sign of each element: -1, 0 or 1; x / |x| for complex x (differentiable only there)."""
    if getattr(x, "_dtype", None) is not None and x._dtype.kind == "c":
        return unary(_SGN, x)
    return _sign(x)


signbit = _unary_function("signbit", "real floating")
sin = _unary_function("sin", "floating-point", lambda xp, g, x: g * _cj(xp, xp.cos(x)))
sinh = _unary_function("sinh", "floating-point", lambda xp, g, x: g * _cj(xp, xp.cosh(x)))
sqrt = _unary_function("sqrt", "floating-point", lambda xp, g, ans: g / (2 * _cj(xp, ans)))
square = _unary_function("square", "numeric", lambda xp, g, x: 2 * g * _cj(xp, x), grad_fn="PowBackward0")
tan = _unary_function("tan", "floating-point", lambda xp, g, ans: g * _cj(xp, 1 + ans * ans))
tanh = _unary_function("tanh", "floating-point", lambda xp, g, ans: g * _cj(xp, 1 - ans * ans))
trunc = _unary_function("trunc", "real numeric")

# Not in the standard, but the building blocks of common rules and of PyTorch's surface.
rsqrt = _unary_function("rsqrt", "floating-point", lambda g, ans: -0.5 * g * _conj(ans * ans * ans),
                        doc="1 / sqrt(x), elementwise.", generic=lambda xp, x: 1 / xp.sqrt(x))

add = _binary_function("add", "any", {"x1": lambda xp, g: g, "x2": lambda xp, g: g})
atan2 = _binary_function("atan2", "real floating", {  # 0 at (0, 0), as PyTorch
    "x1": lambda g, x1, x2: _atan2_grad(g * x2, x1, x2),
    "x2": lambda g, x1, x2: _atan2_grad(-g * x1, x1, x2)})
bitwise_and = _binary_function("bitwise_and", "integer or boolean")
bitwise_left_shift = _binary_function("bitwise_left_shift", "integer")
bitwise_or = _binary_function("bitwise_or", "integer or boolean")
bitwise_right_shift = _binary_function("bitwise_right_shift", "integer")
bitwise_xor = _binary_function("bitwise_xor", "integer or boolean")
copysign = _binary_function("copysign", "real floating", {
    "x1": lambda g, x1, ans: where(x1 == 0, 0.0, g * ans / where(x1 == 0, 1.0, x1)),
    "x2": None}, grad_fn_by_operands=("CopysignBackward0", "CopysignBackward0", "CopysignBackward1"))
divide = _binary_function("divide", "floating-point", {
    "x1": lambda xp, g, x2: g / _cj(xp, x2),
    # from the inputs, as PyTorch, not the output: `y = a / b; y += 1` is then legal
    "x2": lambda xp, g, x1, x2: -g * _cj(xp, x1 / x2 / x2)}, grad_fn="DivBackward0")
equal = _binary_function("equal", "any")
floor_divide = _binary_function("floor_divide", "real numeric")
greater = _binary_function("greater", "real")
greater_equal = _binary_function("greater_equal", "real")
hypot = _binary_function("hypot", "real floating", {
    "x1": lambda xp, g, x1, ans: g * x1 / ans,
    "x2": lambda xp, g, x2, ans: g * x2 / ans})
less = _binary_function("less", "real")
less_equal = _binary_function("less_equal", "real")
# The logistic of the difference (PyTorch's form): exp(x1 - ans) would be exp(inf - inf) = nan
# at an infinite input, where the derivative is 1 (or 0).
logaddexp = _binary_function("logaddexp", "real floating", {
    "x1": lambda xp, g, x1, x2: g / (1 + xp.exp(x2 - x1)),
    "x2": lambda xp, g, x1, x2: g / (1 + xp.exp(x1 - x2))})
logical_and = _binary_function("logical_and", "any")
logical_or = _binary_function("logical_or", "any")
logical_xor = _binary_function("logical_xor", "any")
maximum = _binary_function("maximum", "real", {
    "x1": lambda g, x1, x2: _max_min_grad(g, x1, x2, greater),
    "x2": lambda g, x1, x2: _max_min_grad(g, x2, x1, greater)})
minimum = _binary_function("minimum", "real", {
    "x1": lambda g, x1, x2: _max_min_grad(g, x1, x2, less),
    "x2": lambda g, x1, x2: _max_min_grad(g, x2, x1, less)})
multiply = _binary_function("multiply", "any", {
    "x1": lambda xp, g, x2: g * _cj(xp, x2),
    "x2": lambda xp, g, x1: g * _cj(xp, x1)}, grad_fn="MulBackward0")
nextafter = _binary_function("nextafter", "real floating")
not_equal = _binary_function("not_equal", "any")
pow = _binary_function("pow", "numeric", {"x1": _pow_base_grad, "x2": _pow_exponent_grad},
                       grad_fn_by_operands=("PowBackward1", "PowBackward2", "PowBackward0"))
remainder = _binary_function("remainder", "real numeric", {
    "x1": lambda g: g,
    "x2": lambda g, x1, x2: -g * floor_divide(x1, x2)},
    grad_fn_by_operands=("RemainderBackward1", "RemainderBackward0", "RemainderBackward0"))
subtract = _binary_function("subtract", "numeric", {"x1": lambda xp, g: g, "x2": lambda xp, g: -g},
                           grad_fn_by_operands=("SubBackward0", "RsubBackward1", "SubBackward0"),
                           refuses_bool=True)


# ----- functions with optional array arguments ------------------------------------------
def _clip_x_grad(g, x, min, max):
    keep = None
    if min is not None:
        keep = x >= min
    if max is not None:
        upper = x <= max
        keep = upper if keep is None else logical_and(keep, upper)
    return g if keep is None else where(keep, g, 0.0)


# PyTorch's clamp: where min > max every element is max, whose gradient it then is
_CLIP = Op("clip", ("x", "min", "max"), {
    "x": _clip_x_grad,
    "min": lambda g, x, min, max: where(x < min if max is None else logical_and(x < min, min < max), g, 0.0),
    "max": lambda g, x, min, max: where(x > max if min is None else logical_or(x > max, max < min), g, 0.0)},
    dtypes="real", broadcasts=True, grad_fn="ClampBackward1")


def clip(x, /, min=None, max=None):
    """Clamp each element of `x` to [min, max] (either bound may be None, a scalar or an array)."""
    check_tensor(x, "clip")
    if x._dtype.kind == "c":
        raise TypeError(f"clip: x must have a real dtype, got {x._dtype}")
    for name, bound in (("min", min), ("max", max)):
        if bound is not None and hasattr(bound, "_dtype") and bound._dtype.kind == "c":
            raise TypeError(f"clip: {name} must be real, got {bound._dtype}")
    if min is None and max is None:
        return x + 0 if x._dtype.kind != "b" else logical_or(x, x)
    from .._dispatch import Tensor

    if x._dtype.kind in "iu" and any(b.__class__ is float for b in (min, max)):
        # an integer x with a float bound (the standard leaves it to the library): the
        # default floating dtype, as PyTorch's clamp and the scalar promotion elsewhere
        from .data_type import astype

        x = astype(x, _dtypes.DEFAULT_FLOAT)
    # The result has x's dtype (the standard's rule; Python-scalar bounds take it). An array
    # bound of another dtype is cast to it when that loses nothing or stays floating
    # (NumPy and PyTorch accept such bounds; SciPy passes them); others are refused.
    bounds = []
    for name, bound in (("min", min), ("max", max)):
        if isinstance(bound, Tensor) and bound._dtype is not x._dtype:
            if not (_dtypes.can_cast(bound._dtype, x._dtype)
                    or bound._dtype.kind == x._dtype.kind == "f"):
                raise TypeError(f"clip: {name} has dtype {bound._dtype}, which does not cast "
                                f"safely to x's {x._dtype}; cast one with astype()")
            from .data_type import astype

            bound = astype(bound, x._dtype)
        bounds.append(bound)
    return apply(_CLIP, (x, *bounds), None, "clip")


from .searching import where  # noqa: E402  (rules use it; searching imports nothing from here)

__all__ = exported(__name__)
