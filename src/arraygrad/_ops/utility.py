"""Utility functions: all, any (not differentiable), diff (differentiable composite)."""

from __future__ import annotations

import operator

from .._dispatch import Tensor, check_tensor, wrap
from . import either, exported, normalize_axes, normalize_axis


def _logical_reduction(fname, x, axis, keepdims):
    check_tensor(x, fname)
    axes = None if axis is None else normalize_axes(axis, x._data.ndim, fname)
    b = x._backend
    return wrap(b.fn[fname](x._data, axis=axes, keepdims=keepdims), b)


def all(x, /, dim=None, keepdim=None, *, axis=None, keepdims=False) -> Tensor:
    """Whether all elements along `axis` are true (nonzero)."""
    if dim is not None or keepdim is not None:  # PyTorch's spelling: Tensor.all's semantics
        return check_tensor(x, "all").all(dim, keepdim, axis=axis, keepdims=keepdims)
    return _logical_reduction("all", x, axis, keepdims)


def any(x, /, dim=None, keepdim=None, *, axis=None, keepdims=False) -> Tensor:
    """Whether any element along `axis` is true (nonzero)."""
    if dim is not None or keepdim is not None:  # PyTorch's spelling: Tensor.any's semantics
        return check_tensor(x, "any").any(dim, keepdim, axis=axis, keepdims=keepdims)
    return _logical_reduction("any", x, axis, keepdims)


def diff(x, /, n=1, dim=None, prepend=None, append=None, *, axis=-1) -> Tensor:
    """The n-th discrete difference along `axis` (out[i] = x[i+1] - x[i], n times); PyTorch's
    `diff(input, n, dim, prepend, append)` spelling works too."""
    from .manipulation import concat

    check_tensor(x, "diff")
    axis = either("diff", "axis", axis, -1, "dim", dim)
    if x._data.ndim == 0:
        raise ValueError("diff: x must have at least one dimension")
    axis = normalize_axis(axis, x._data.ndim, "diff")
    n = operator.index(n)
    if n < 0:
        raise ValueError(f"diff: n must be non-negative, got {n}")
    if n == 0:
        return x  # as NumPy and PyTorch: prepend/append are ignored then
    parts = [p for p in (prepend, x, append) if p is not None]
    if len(parts) > 1:
        for p in parts:
            check_tensor(p, "diff", "prepend/append")
        x = concat(parts, axis=axis)
    pre = (slice(None),) * axis
    for _ in range(n):
        if x._data.shape[axis] == 0:
            break  # empty stays empty (and x[1:] on an empty axis is unspecified)
        if x._dtype.kind == "b":
            x = x[pre + (slice(1, None),)] != x[pre + (slice(None, -1),)]
        else:
            x = x[pre + (slice(1, None),)] - x[pre + (slice(None, -1),)]
    return x


__all__ = exported(__name__)
