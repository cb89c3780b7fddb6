"""Helpers shared by the distributions (PyTorch's `torch.distributions.utils`)."""

from __future__ import annotations

import math
from functools import update_wrapper
from numbers import Number

import arraygrad as _ag
from arraygrad._dispatch import Op, unary

__all__ = ["broadcast_all", "clamp_probs", "lazy_property", "logits_to_probs",
           "probs_to_logits", "broadcast_tensors", "erfinv", "euler_constant", "tril_matrix_to_vec"]

euler_constant = 0.57721566490153286060


def broadcast_tensors(*tensors):
    """The tensors expanded to their common shape (views that keep the autograd graph)."""
    shape = _ag.broadcast_shapes(*(tuple(t.shape) for t in tensors))
    return tuple(t if tuple(t.shape) == tuple(shape) else t.expand(shape) for t in tensors)


def broadcast_all(*values):
    """Broadcast Python numbers and tensors to tensors of one shape. Numbers take the
    dtype and device of the first tensor (the default float dtype when there is none)."""
    if not all(isinstance(v, (_ag.Tensor, Number)) for v in values):
        raise ValueError("Input arguments must all be instances of numbers.Number, "
                         "arraygrad.Tensor or objects implementing __torch_function__.")
    if not all(isinstance(v, _ag.Tensor) for v in values):
        ref = next((v for v in values if isinstance(v, _ag.Tensor)), None)
        dtype = _ag.get_default_dtype() if ref is None else ref.dtype
        device = None if ref is None else ref.device
        values = [v if isinstance(v, _ag.Tensor) else _ag.tensor(v, dtype=dtype, device=device)
                  for v in values]
    return broadcast_tensors(*values)


def _standard_normal(shape, dtype, device):
    return _ag.randn(tuple(shape), dtype=dtype, device=device)


def _uniform(shape, dtype, device):
    return _ag.rand(tuple(shape), dtype=dtype, device=device)


def _sum_rightmost(value, dim):
    """Sum out the `dim` rightmost dimensions."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:-dim]) + (-1,)).sum(-1)


def logits_to_probs(logits, is_binary=False):
    """Probabilities from logits: sigmoid for binary, softmax over the last dim otherwise."""
    if is_binary:
        return _ag.sigmoid(logits)
    return _ag.softmax(logits, dim=-1)


def clamp_probs(probs):
    """Clamp probabilities into [eps, 1 - eps]."""
    eps = _ag.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    """Logits from probabilities (log-odds for binary, log of the clamped probs otherwise)."""
    ps_clamped = clamp_probs(probs)
    if is_binary:
        return _ag.log(ps_clamped) - _ag.log1p(-ps_clamped)
    return _ag.log(ps_clamped)


class lazy_property:
    """A property computed once per instance, on first access (then an attribute); under
    grad mode if the computation needs gradients (as PyTorch's)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        update_wrapper(self, wrapped)

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return _lazy_property_and_property(self.wrapped)
        with _ag.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


class _lazy_property_and_property(lazy_property, property):
    def __init__(self, wrapped):
        property.__init__(self, wrapped)


def tril_matrix_to_vec(mat, diag=0):
    n = mat.shape[-1]
    rows, cols = _ag.tril_indices(n, n, diag)
    return mat[..., rows, cols]


# ----- erfinv: a differentiable op of its own (arraygrad has erf but no erfinv) ------------
_GILES_SMALL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_GILES_LARGE = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
                0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def _erf_on(xp):
    fn = getattr(xp, "erf", None)
    if fn is not None:
        return fn
    from arraygrad._torch_api import _erf_generic

    return lambda v: _erf_generic(xp, v)


def _erfinv_generic(xp, x):
    """Giles' single-precision approximation, refined by Newton steps on erf."""
    dtype = x.dtype
    try:
        xw = xp.astype(x, xp.float64)
    except (TypeError, ValueError, AttributeError):
        xw = x
    inside = xp.abs(xw) < 1
    xs = xp.where(inside, xw, xp.zeros_like(xw))
    w = -xp.log((1 - xs) * (1 + xs))
    ws = w - 2.5
    wl = xp.sqrt(w) - 3.0
    ps = xp.full_like(xs, _GILES_SMALL[0])
    pl = xp.full_like(xs, _GILES_LARGE[0])
    for c in _GILES_SMALL[1:]:
        ps = c + ps * ws
    for c in _GILES_LARGE[1:]:
        pl = c + pl * wl
    y = xp.where(w < 5.0, ps, pl) * xs
    erf = _erf_on(xp)
    slope = 2.0 / math.sqrt(math.pi)
    for _ in range(3):
        err = erf(y) - xs
        y = y - err / (slope * xp.exp(-y * y))
    inf = xp.full_like(xw, math.inf)
    nan = xp.full_like(xw, math.nan)
    y = xp.where(inside, y, xp.where(xw == 1, inf, xp.where(xw == -1, -inf, nan)))
    return xp.astype(y, dtype)


_ERFINV = None  # made on first use, only where the library has no erfinv of its own


def erfinv(x):
    """The inverse error function (differentiable: d/dx = sqrt(pi)/2 exp(erfinv(x)^2)): the
    library's (arraygrad.erfinv or arraygrad.special.erfinv) where it has one, else an op of
    this package's own."""
    global _ERFINV
    f = getattr(_ag, "erfinv", None)
    if f is None:
        try:
            from arraygrad.special import erfinv as f
        except ImportError:
            f = None
    if f is not None:
        return f(x)
    if _ERFINV is None:
        _ERFINV = Op("_distributions_erfinv", ("x",),
                     lambda xp, g, ans: g * (math.sqrt(math.pi) / 2) * xp.exp(ans * ans),
                     dtypes="real floating", generic=_erfinv_generic, grad_fn="ErfinvBackward0")
    return unary(_ERFINV, x)
