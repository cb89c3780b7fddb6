"""Searching functions: where (differentiable), argmax/argmin, nonzero, searchsorted, ..."""

from __future__ import annotations

from .. import _dtypes
from .._dispatch import DTypeError, Op, ShapeError, Tensor, apply, check_tensor, raise_device_mismatch, wrap
from . import either, exported, normalize_axes, normalize_axis

_WHERE = Op("where", ("condition", "x1", "x2"), {
    "condition": None,
    "x1": lambda xp, g, condition: xp.where(condition, g, 0),
    "x2": lambda xp, g, condition: xp.where(condition, 0, g)}, broadcasts=True, grad_fn="WhereBackward0")


_ONLY_CONDITION = object()  # where(condition): PyTorch's spelling of nonzero(condition)


def where(condition, x1=_ONLY_CONDITION, x2=_ONLY_CONDITION, /) -> Tensor:
    """Elements of x1 where `condition` is true, else of x2 (either may be a Python scalar).
    With the condition alone, the indices where it holds (PyTorch's where(condition))."""
    if x1 is _ONLY_CONDITION or x2 is _ONLY_CONDITION:
        if x1 is not x2:
            raise TypeError("where: give both x1 and x2, or neither (where(condition) is "
                            "nonzero(condition))")
        return nonzero(condition)
    check_tensor(condition, "where", "condition")
    if condition._dtype is not _dtypes.bool:
        raise TypeError(f"where: condition must have dtype bool, got {condition._dtype}")
    t1, t2 = isinstance(x1, Tensor), isinstance(x2, Tensor)
    if t1 and t2:
        if x1._dtype is not x2._dtype:
            from .data_type import astype

            d = _dtypes.promote(x1._dtype, x2._dtype)
            x1, x2 = astype(x1, d), astype(x2, d)
    elif t1 or t2:
        arr, sc = (x1, _dtypes.plain_scalar(x2)) if t1 else (x2, _dtypes.plain_scalar(x1))
        x1, x2 = (arr, sc) if t1 else (sc, arr)
        want = _dtypes.scalar_dtype(sc, arr._dtype)  # TypeError for anything but a scalar
        if sc.__class__ is int and want.kind in "iu":
            info = _dtypes.iinfo(want)  # NumPy's where would wrap it around (300 -> 44 in uint8)
            if not info.min <= sc <= info.max:
                raise OverflowError(f"where: Python int {sc} is out of range for {want}")
        if want is not arr._dtype:
            from .data_type import astype

            arr = astype(arr, want)
            x1, x2 = (arr, x2) if t1 else (x1, arr)
    else:
        # two scalars: the standard requires an array; we make them arrays like condition
        from .creation import asarray

        d = _dtypes.result_type(asarray(x1, device=condition.device), x2)
        x1 = asarray(x1, dtype=d, device=condition.device)
    for v in (x1, x2):
        if isinstance(v, Tensor) and v._backend is not condition._backend:
            raise_device_mismatch("where", condition, v)
    try:
        return apply(_WHERE, (condition, x1, x2), None, "where")
    except ValueError as exc:  # operands that do not broadcast
        raise ShapeError(f"where: {exc}") from None


def _arg_extremum(fname, x, axis, keepdims):
    check_tensor(x, fname)
    if x._dtype.kind == "c":
        raise DTypeError(f"{fname}: complex inputs have no ordering, got {x._dtype}")
    if axis is not None:
        axis = normalize_axis(axis, x._data.ndim, fname)
        if x._data.shape[axis] == 0:
            raise ValueError(f"{fname}: attempt to get {fname} of an empty sequence")
    elif x._data.size == 0:
        raise ValueError(f"{fname}: attempt to get {fname} of an empty sequence")
    b = x._backend
    return wrap(b.fn[fname](x._data, axis=axis, keepdims=keepdims), b)


def argmax(x, /, dim=None, keepdim=None, *, axis=None, keepdims=False) -> Tensor:
    """Indices of the maximum values along `axis` (of the flattened array by default)."""
    if dim is not None or keepdim is not None:  # PyTorch's spelling: Tensor.argmax's semantics
        return check_tensor(x, "argmax").argmax(dim, keepdim, axis=axis, keepdims=keepdims)
    return _arg_extremum("argmax", x, axis, keepdims)


def argmin(x, /, dim=None, keepdim=None, *, axis=None, keepdims=False) -> Tensor:
    """Indices of the minimum values along `axis` (of the flattened array by default)."""
    if dim is not None or keepdim is not None:  # PyTorch's spelling: Tensor.argmin's semantics
        return check_tensor(x, "argmin").argmin(dim, keepdim, axis=axis, keepdims=keepdims)
    return _arg_extremum("argmin", x, axis, keepdims)


def count_nonzero(x, /, dim=None, *, axis=None, keepdims=False) -> Tensor:
    """How many elements along `axis` are nonzero (as the default integer dtype); PyTorch's
    `dim` (positional or keyword) names the axes too."""
    check_tensor(x, "count_nonzero")
    if isinstance(dim, (tuple, list)) and not dim:  # PyTorch's count_nonzero(dim=()) counts them all
        dim = None
    if dim is not None and x._data.ndim == 0:  # PyTorch's dim 0 / -1 of a 0-d tensor: all of it
        from .._torch_api import reduction_axes

        dim = reduction_axes(dim, x, "count_nonzero")
    axis = either("count_nonzero", "axis", axis, None, "dim", dim)
    axes = None if axis is None else normalize_axes(axis, x._data.ndim, "count_nonzero")
    b = x._backend
    out = b.fn["count_nonzero"](x._data, axis=axes, keepdims=keepdims)
    t = wrap(out, b)
    return t if t._dtype is _dtypes.DEFAULT_INT else t.astype(_dtypes.DEFAULT_INT)


def nonzero(x, /, *, as_tuple=None) -> tuple[Tensor, ...]:
    """Indices of the nonzero elements, one index array per dimension. PyTorch's
    `as_tuple=False` gives its (n, ndim) tensor instead (`as_tuple=True`: the tuple)."""
    check_tensor(x, "nonzero")
    if as_tuple is not None:  # PyTorch's spelling: its semantics (a 0-d tensor is one element)
        return x.nonzero(as_tuple=as_tuple)
    if x._data.ndim == 0:
        raise ValueError("nonzero: x must have at least one dimension (got a 0-d array)")
    b = x._backend
    return tuple(wrap(a, b) for a in b.fn["nonzero"](x._data))


def searchsorted(x1, x2, /, *, side=None, sorter=None, right=False, out_int32=False) -> Tensor:
    """Indices where the elements of x2 would be inserted into sorted 1-D x1. PyTorch's
    keywords work too: `right=True` (side="right"), `out_int32`, and an N-D x1 whose rows
    (last axis) are searched for the matching rows of x2."""
    check_tensor(x1, "searchsorted", "x1")
    if side is None:
        side = "right" if right else "left"
    elif right and side == "left":
        raise RuntimeError("searchsorted: side and right can't be set to opposites, got side of "
                           "left while right was True")
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    if out_int32:
        return searchsorted(x1, x2, side=side, sorter=sorter).astype(_dtypes.int32)
    if (x1._data.ndim > 1 and isinstance(x2, Tensor)  # PyTorch's batched form
            and tuple(x2._data.shape[:-1]) == tuple(x1._data.shape[:-1])):
        from .manipulation import reshape, stack

        m, k = x1._data.shape[-1], x2._data.shape[-1]
        rows1, rows2 = reshape(x1, (-1, m)), reshape(x2, (-1, k))
        srt = None if sorter is None else reshape(sorter, (-1, m))
        rows = [searchsorted(rows1[i], rows2[i], side=side, sorter=None if srt is None else srt[i])
                for i in range(rows1._data.shape[0])]
        if not rows:
            from .creation import zeros

            return zeros(tuple(x2._data.shape), dtype=_dtypes.int64, device=x2.device)
        return reshape(stack(rows), tuple(x2._data.shape))
    if x1._data.ndim != 1:
        raise ValueError(f"searchsorted: x1 must be 1-D, got shape {tuple(x1._data.shape)}")
    b = x1._backend
    if isinstance(x2, Tensor):
        if x2._backend is not b:
            raise_device_mismatch("searchsorted", x1, x2)
        if x2._dtype is not x1._dtype:
            x2 = x2.astype(_dtypes.promote(x1._dtype, x2._dtype))
            x1 = x1.astype(x2._dtype)
        v = x2._data
    else:
        v = x2
    kw = {"side": side}
    if sorter is not None:
        check_tensor(sorter, "searchsorted", "sorter")
        kw["sorter"] = sorter._data
    return wrap(b.fn["searchsorted"](x1._data, v, **kw), b)


__all__ = exported(__name__)
