"""PyTorch's top-level API beyond the standard (`tensor`, `rand`, `from_numpy`, ...)."""

from __future__ import annotations

from . import _dtypes
from ._dispatch import Tensor

__all__: list[str] = []


def legacy_tensor_constructor(cls, args, *, device=None, dtype=None, requires_grad=False):
    """`Tensor(*sizes)` (zero-filled) and `Tensor(data)` (a float32 copy), as in old PyTorch code."""
    from ._ops.creation import asarray, zeros

    d = _dtypes.DEFAULT_FLOAT if dtype is None else _dtypes.as_dtype(dtype)
    if not args:
        out = zeros((0,), dtype=d, device=device)
    elif all(isinstance(a, int) and not isinstance(a, bool) for a in args):
        out = zeros(tuple(args), dtype=d, device=device)
    elif len(args) == 1 and isinstance(args[0], tuple) and all(isinstance(a, int) for a in args[0]) \
            and type(args[0]).__name__ == "Size":
        out = zeros(tuple(args[0]), dtype=d, device=device)
    elif len(args) == 1:
        out = asarray(args[0], dtype=d, device=device, copy=True)
    else:
        raise TypeError(f"Tensor(): expected sizes (ints) or one data argument, got {args!r}")
    if cls is not Tensor:
        out = out.as_subclass(cls) if hasattr(out, "as_subclass") else out
    if requires_grad:
        out.requires_grad_()
    return out
