"""Sorting functions. `sort` is differentiable (through the sorting permutation)."""

from __future__ import annotations

from .._dispatch import DTypeError, Tensor, check_tensor, grad_enabled, wrap
from . import exported, normalize_axis


def _sort_args(x, axis, fname):
    check_tensor(x, fname)
    if x._dtype.kind == "c":
        raise DTypeError(f"{fname}: complex inputs have no ordering, got {x._dtype}")
    if x._data.ndim == 0:
        raise ValueError(f"{fname}: x must have at least one dimension")
    return normalize_axis(axis, x._data.ndim, fname)


def argsort(x, /, dim=None, descending_=None, *, axis=-1, descending=False, stable=True) -> Tensor:
    """Indices that sort `x` along `axis` (stable by default: ties keep their order).
    PyTorch's positional (dim, descending) work too."""
    if descending_ is not None:
        descending = bool(descending_)
    if dim is not None:  # PyTorch's spelling: Tensor.argsort's semantics
        return check_tensor(x, "argsort").argsort(dim, descending, stable)
    axis = _sort_args(x, axis, "argsort")
    b = x._backend
    return wrap(b.fn["argsort"](x._data, axis=axis, descending=descending, stable=stable), b)


def sort(x, /, dim=None, descending_=None, *, axis=-1, descending=False, stable=True) -> Tensor:
    """`x` sorted along `axis`. Differentiable: the gradient follows the permutation.
    PyTorch's positional (dim, descending) work too."""
    if descending_ is not None:
        descending = bool(descending_)
    if dim is not None:  # PyTorch's spelling: Tensor.sort's semantics
        return check_tensor(x, "sort").sort(dim, descending, stable)
    axis = _sort_args(x, axis, "sort")
    if x._requires_grad and grad_enabled():
        from .indexing import take_along_axis

        idx = argsort(x, axis=axis, descending=descending, stable=stable)
        return take_along_axis(x, idx, axis=axis)
    b = x._backend
    return wrap(b.fn["sort"](x._data, axis=axis, descending=descending, stable=stable), b)


__all__ = exported(__name__)
