"""Data type functions: astype (differentiable between floating/complex dtypes) and the
dtype queries, which live in `_dtypes`."""

from __future__ import annotations

from .._dispatch import Op, check_tensor, grad_enabled, record, wrap
from .._dtypes import as_dtype, can_cast, finfo, iinfo, isdtype, result_type
from . import exported

# The engine casts the gradient back to the input's dtype (real part for complex -> real).
_ASTYPE = Op("astype", ("x",), lambda xp, g: g, grad_fn="ToCopyBackward0")  # the engine casts back


def astype(x, dtype, /, *, copy=True, device=None):
    """`x` cast to `dtype` (a copy unless copy=False and nothing changes); moved to `device`
    when given."""
    check_tensor(x, "astype")
    d = as_dtype(dtype)
    if device is not None:
        x = x.to_device(device)
    if d is x._dtype and not copy:
        return x
    if x._dtype.kind == "c" and d.kind != "c":
        raise TypeError(f"astype: casting complex {x._dtype} to {d} would discard the imaginary "
                        "part; take real() or abs() first")
    b = x._backend
    out = wrap(b.fn["astype"](x._data, b.to_native_dtype(d), copy=True), b)
    if x._requires_grad and grad_enabled():
        record(_ASTYPE, (out,), (x,), None)
    return out


__all__ = exported(__name__) + ["can_cast", "finfo", "iinfo", "isdtype", "result_type"]
