"""Indexing: `x[key]`, `x[key] = v`, take, take_along_axis — all differentiable.

Keys may hold ints, slices, None, Ellipsis, integer or boolean Tensors (or the backend's
own arrays, or lists). Gradients of gathers are scatter-adds (`_index_add`), so repeated
indices accumulate; its own gradient is a gather, so higher orders work.
"""

from __future__ import annotations

import operator

from .._dispatch import (Op, Tensor, apply, check_tensor, grad_enabled, raise_device_mismatch,
                         record, set_view, wrap)
from . import exported, normalize_axis

_BASIC = (int, slice, type(None), type(Ellipsis))


def native_key(x, key, fname="__getitem__"):
    """(key with Tensors replaced by backend arrays, whether the key is basic: a view).

    Keys get an explicit trailing `...` when they have none and name fewer axes than x has
    (NumPy assumes it; the standard leaves such keys unspecified and array-api-strict
    refuses them) or are basic (so that NumPy returns a 0-d view, not a scalar copy, when
    every axis is indexed by an int: PyTorch's views). Index arrays are checked to be in
    range where the backend would wrap them around (CuPy) instead of raising, as NumPy does
    (Backend.wraps_indices).
    """
    c = key.__class__
    if c is tuple:
        for k in key:
            c = k.__class__
            if c is not int and c is not slice:
                break
        else:  # ints and slices only, the usual key: basic, nothing to convert
            return key + (Ellipsis,), True
    elif c is int:
        return (key, Ellipsis), True
    k, basic = _native_key(x, key, fname)
    if not basic and x._backend.wraps_indices:
        _check_index_arrays(x, k, fname)
    return k, basic


def _check_index_arrays(x, key, fname):
    """IndexError for an integer index array with an entry outside its axis (reads two
    values per array; never on lazy backends)."""
    b = x._backend
    if b.lazy:
        return
    shape = x._data.shape
    parts = key if key.__class__ is tuple else (key,)
    masks = [getattr(k, "dtype", None) is not None and k.dtype.kind == "b" for k in parts]
    named = sum(k.ndim if m else 0 if k is None or k is Ellipsis else 1 for k, m in zip(parts, masks))
    axis = 0
    for k, mask in zip(parts, masks):
        if k is Ellipsis:
            axis += len(shape) - named
        elif mask:
            axis += k.ndim
        elif k is not None:
            if isinstance(k, list):
                k = b.xp.asarray(k)
            if getattr(k, "dtype", None) is not None and k.dtype.kind in "iu":
                check_index_range(b, k, shape[axis], axis, fname)
            axis += 1


def check_index_range(b, indices, n, axis, fname):
    """IndexError unless every entry of backend array `indices` is in [-n, n)."""
    if not indices.size:
        return
    lo, hi = b.extrema(indices)
    if lo < -n or hi >= n:
        raise IndexError(f"{fname}: index {hi if hi >= n else lo} is out of bounds for axis {axis} "
                         f"with size {n}")


def _native_key(x, key, fname):
    ndim = x._data.ndim
    if key.__class__ is tuple:
        basic = True
        parts = None
        named = 0  # how many axes of x the key names (None names none, a mask its rank)
        ellipsis = False
        for i, k in enumerate(key):
            c = k.__class__
            if c is int or c is slice:
                named += 1
                continue
            if c is bool:  # a 0-d boolean mask (NumPy's reading; not an int), on x's backend
                if parts is None:
                    parts = list(key)
                parts[i] = _bool_scalar_key(x, k)
                basic = False
                continue
            if isinstance(k, Tensor):
                if k._backend is not x._backend:
                    raise_device_mismatch(fname, x, k)
                if parts is None:
                    parts = list(key)
                position = _position(x, k)
                if position is not None:
                    parts[i] = position
                    named += 1
                    continue
                parts[i] = _index_array(k, fname)
                basic = False
                named += k._data.ndim if k._dtype.kind == "b" else 1
            elif k is Ellipsis:
                ellipsis = True
            elif k is None:
                continue
            elif not isinstance(k, _BASIC):
                _refuse_scalar_key(k, fname)
                if hasattr(k, "__index__") and not hasattr(k, "shape"):
                    named += 1
                    if parts is None:
                        parts = list(key)
                    parts[i] = operator.index(k)
                else:  # an index array, or a backend's boolean mask (naming its rank of axes)
                    named += k.ndim if getattr(getattr(k, "dtype", None), "kind", None) == "b" else 1
                    basic = False
        key = key if parts is None else tuple(parts)
        if ellipsis and not basic and named == ndim:
            # a `...` standing for no axis: NumPy would still count it as separating the
            # index arrays around it (moving their axes first); PyTorch does not
            key = tuple(k for k in key if k is not Ellipsis)
        return (key if ellipsis or not (basic or named < ndim) else key + (Ellipsis,)), basic
    if key.__class__ is bool:
        return _bool_scalar_key(x, key), False
    if isinstance(key, _BASIC):
        return (key if key is Ellipsis else (key, Ellipsis)), True
    if isinstance(key, Tensor):
        if key._backend is not x._backend:
            raise_device_mismatch(fname, x, key)
        position = _position(x, key)
        if position is not None:
            return (position, Ellipsis), True
        data = _index_array(key, fname)
        if key._dtype.kind == "b":  # a boolean mask is a valid sole index for any x.ndim
            return data, False
        return (data if ndim <= 1 else (data, Ellipsis)), False
    if hasattr(key, "__index__") and not hasattr(key, "shape"):
        return (operator.index(key), Ellipsis), True
    _refuse_scalar_key(key, fname)
    return key, False


def _position(x, k):
    """A 0-d integer tensor in a key as the int it holds (None for other tensors): PyTorch
    reads it as an int, so x[i] is a view that in-place writes go through. Lazy backends
    keep it an index array (the value is not read: the same values, as a copy)."""
    if k._data.ndim or k._dtype.kind not in "iu" or x._backend.lazy:
        return None
    # through the host: a device array (CuPy) has no __index__
    return operator.index(x._backend.to_host(k._data).item())


def _bool_scalar_key(x, k):
    """A Python bool in a key as the backend's 0-d boolean array: an advanced index (a new
    axis of length 1 or 0), never the int it subclasses."""
    return x._backend.create("asarray", k)


def _refuse_scalar_key(k, fname):
    """PyTorch's IndexError for a float (complex, str) index: NumPy raises one, CuPy would
    truncate the float, so the core checks it for every backend."""
    if isinstance(k, (float, complex, str, bytes)):
        raise IndexError(f"{fname}: only integers, slices (`:`), ellipsis (`...`), None and integer "
                         f"or boolean tensors are valid indices (got {type(k).__name__})")


def torch_split(key):
    """(basic key, advanced key) where PyTorch's and NumPy's readings of `key` differ, else None.

    PyTorch applies integer indices (and 0-d integer tensors) first, as selections, and only
    then the index tensors, whose dimensions stay in place when those tensors are adjacent
    among themselves: `x[0, :, [0, 1]]` is `x[0][:, [0, 1]]`, shape (3, 2) for x of shape
    (4, 3, 5). NumPy counts the integers as advanced indices too, finds them apart from the
    list and moves the broadcast dimensions first. Such keys are split in two steps: the
    basic part (integers, slices, None, `...`, full slices for the index tensors), then the
    advanced part on the result.
    """
    if key.__class__ is not tuple:
        return None
    pos_int, pos_adv = [], []
    for i, k in enumerate(key):
        c = k.__class__
        if c is slice or k is None or k is Ellipsis:
            continue
        if c is bool:  # a 0-d mask: advanced
            pos_adv.append(i)
        elif c is int:
            pos_int.append(i)
        elif isinstance(k, Tensor):
            if k._dtype.kind in "iu" and k._data.ndim == 0:
                pos_int.append(i)
            else:
                pos_adv.append(i)
        elif hasattr(k, "__index__") and getattr(k, "ndim", 0) == 0:  # NumPy integers too
            pos_int.append(i)
        else:
            pos_adv.append(i)
    if not pos_int or not pos_adv:
        return None
    both = sorted(pos_int + pos_adv)
    if both[-1] - both[0] == len(both) - 1:  # contiguous: NumPy and PyTorch agree
        return None
    basic, adv = [], []
    for i, k in enumerate(key):
        if i in pos_int:
            basic.append(operator.index(k) if isinstance(k, Tensor) else k)
        elif i in pos_adv:
            n = k._data.ndim if isinstance(k, Tensor) and k._dtype.kind == "b" else (0 if k.__class__ is bool else 1)
            if n == 1 and not isinstance(k, Tensor) and getattr(getattr(k, "dtype", None), "kind", "") == "b":
                n = k.ndim  # a backend's boolean array
            basic.extend([slice(None)] * n)
            adv.append(k)
        elif k is Ellipsis:
            basic.append(k)
            adv.append(k)
        else:  # a slice, or None (whose new axis the advanced step keeps)
            basic.append(k)
            adv.append(slice(None))
    return tuple(basic), tuple(adv)


def _index_array(k: Tensor, fname):
    if k._dtype.kind not in "biu":
        raise IndexError(f"{fname}: tensors used as indices must be integer or bool, got {k._dtype}")
    return k._data


# ----- x[key] ---------------------------------------------------------------------------
def _getitem_grad(g, x_shape, key):
    from .creation import zeros

    return index_add(zeros(x_shape, dtype=g._dtype, device=g.device), key, g)


_GETITEM = Op("getitem", ("x",), _getitem_grad, grad_fn="IndexBackward0",
              generic=lambda xp, x, key: x[key])
_GETITEM_BASIC = Op("getitem_basic", ("x",), _getitem_grad, grad_fn="SliceBackward0",
                    generic=lambda xp, x, key: x[key])
# PyTorch names a basic x[key]'s node after the last step its indexing takes: select for an
# integer (x[0], x[:, 0]), unsqueeze for None, slice otherwise (`:` and `...` take none).
# Subclasses of the slice node: the same op (the engine's slice path, views) under its name.
_SELECT_NODE = type("SelectBackward0", (_GETITEM_BASIC.node_type,), {"__slots__": ()})
_UNSQUEEZE_NODE = type("UnsqueezeBackward0", (_GETITEM_BASIC.node_type,), {"__slots__": ()})
_FULL = slice(None)


def _basic_node_type(key):
    """The node class of x[key] for a basic key (None: the slice node)."""
    if key.__class__ is not tuple:
        key = (key,)
    for k in reversed(key):
        if k.__class__ is slice:
            if k == _FULL:
                continue
            return None
        if k is Ellipsis:
            continue
        return _UNSQUEEZE_NODE if k is None else _SELECT_NODE
    return None


def getitem(x, key):
    """x[key] (a view for basic keys: ints, slices, None, Ellipsis)."""
    k, basic = native_key(x, key)
    if not basic and key.__class__ is tuple and (split := torch_split(key)) is not None:
        return getitem(getitem(x, split[0]), split[1])
    b = x._backend
    try:
        # advanced keys through a plugin's `getitem` where it has one (Dask's index arrays)
        data = x._data[k] if basic or "getitem" not in b.overrides else b.fn["getitem"](x._data, k)
    except IndexError:
        raise
    except (TypeError, ValueError) as exc:
        raise IndexError(f"invalid index {key!r} for a tensor of shape {tuple(x._data.shape)}: {exc}") from exc
    if not basic:
        flags = getattr(data, "flags", None)
        if flags is not None and not flags.c_contiguous:
            # NumPy lays an advanced index's result out index-axes first (x[:, idx] comes
            # back column-major); PyTorch's is a fresh C-ordered tensor, which view() needs
            data = data.copy()
    out = wrap(data, b)
    op = _GETITEM_BASIC if basic else _GETITEM
    if x._requires_grad and grad_enabled():
        node = record(op, (out,), (x,), {"key": k})
        if basic:  # x requires grad: `node` is a node
            c = key.__class__
            if c is int:
                node.__class__ = _SELECT_NODE
            elif c is not slice and (cls := _basic_node_type(key)) is not None:
                node.__class__ = cls
    if basic and b.mutable_arrays:
        set_view(out, x, op, {"key": k})
    return out


# ----- scatter-add (the gradient of gathers) ---------------------------------------------
def _picked(xp, a, key):
    """a[key]; a `take` along one axis for keys that pick along that axis only (take's own
    gradient): the standard allows integer arrays only next to integers, not slices or `...`."""
    parts = key if key.__class__ is tuple else (key,)
    if parts and parts[-1] is Ellipsis:
        parts = parts[:-1]
    if parts and hasattr(parts[-1], "shape") and parts[-1].ndim == 1 and all(
            k.__class__ is slice and k == slice(None) for k in parts[:-1]):
        return xp.take(a, parts[-1], axis=len(parts) - 1)
    return a[key]


def _index_add_generic(xp, x, values, *, key):
    """out = x; out[key] += values, accumulating repeated indices, with only array-API
    operations: positions become flat indices, and a one-hot product sums duplicates."""
    out = xp.asarray(x, copy=True)
    n = out.size
    positions = _picked(xp, xp.reshape(xp.arange(n, dtype=xp.int64, device=out.device), out.shape), key)
    flat = xp.reshape(positions, (-1,))
    vals = xp.reshape(xp.broadcast_to(xp.asarray(values, dtype=out.dtype), positions.shape), (-1,))
    onehot = xp.astype(flat[:, None] == xp.arange(n, dtype=xp.int64, device=out.device)[None, :], out.dtype)
    summed = xp.sum(vals[:, None] * onehot, axis=0)
    return xp.reshape(xp.reshape(out, (-1,)) + summed, out.shape)


_INDEX_ADD = Op("index_add", ("x", "values"), {
    "x": lambda g: g,
    "values": lambda g, key: g[key]}, generic=_index_add_generic, grad_fn="IndexPutBackward0")


def index_add(x, key, values):
    """A copy of `x` with `values` added at `key` (repeated indices accumulate)."""
    k, _ = native_key(x, key)
    return apply(_INDEX_ADD, (x, values), {"key": k})


# ----- x[key] = value -------------------------------------------------------------------
# x[key] = values, recorded by `_inplace.setitem`: the old x gets g with the written region
# zeroed, the values get g at key (the engine sums it down to their shape).
INDEX_PUT = Op("index_put", ("x", "values"), {
    "x": lambda g, key: setitem_functional(g, key, 0),
    "values": lambda g, key: g[key]}, grad_fn="IndexPutBackward0")


def setitem_functional(x, key, value):
    """A copy of `x` with `value` written at `key` (differentiable)."""
    from .._inplace import setitem
    from .data_type import astype

    out = astype(x, x._dtype, copy=True)
    setitem(out, key, value)
    return out


# ----- take ------------------------------------------------------------------------------
def _take_grad(g, x_shape, indices, axis):
    from .creation import zeros

    z = zeros(x_shape, dtype=g._dtype, device=g.device)
    key = (slice(None),) * axis + (indices,)
    return index_add(z, key, g)


_TAKE = Op("take", ("x", "indices"), {"x": _take_grad, "indices": None}, grad_fn="IndexSelectBackward0")


def take(x, indices, /, *, axis=None) -> Tensor:
    """Elements of `x` at integer `indices` along `axis`; without axis, of x seen as 1-D."""
    check_tensor(x, "take")
    check_tensor(indices, "take", "indices")
    if indices._dtype.kind not in "iu":
        raise TypeError(f"take: indices must have an integer dtype, got {indices._dtype}")
    if axis is None:
        if x._data.ndim != 1:  # the standard leaves it open: x seen as 1-D (NumPy's, PyTorch's)
            from .._torch_api import torch_take

            return torch_take(x, indices)
        axis = 0
    axis = normalize_axis(axis, x._data.ndim, "take")
    if x._backend.wraps_indices and not x._backend.lazy:
        check_index_range(x._backend, indices._data, x._data.shape[axis], axis, "take")
    return apply(_TAKE, (x, indices), {"axis": axis})


def _take_along_grad(g, x_shape, indices, axis):
    from .creation import zeros
    from .manipulation import reshape

    nd = len(x_shape)
    key = []
    ishape = tuple(g._data.shape)
    for d in range(nd):
        if d == axis:
            key.append(indices)
        else:
            from .creation import arange

            shape = [1] * nd
            n = ishape[d] if x_shape[d] == ishape[d] else 1  # x broadcast along d: all go to 0
            shape[d] = n
            key.append(reshape(arange(n, device=g.device), tuple(shape)))
    z = zeros(x_shape, dtype=g._dtype, device=g.device)
    return index_add(z, tuple(key), g)


_TAKE_ALONG = Op("take_along_axis", ("x", "indices"), {"x": _take_along_grad, "indices": None},
                 grad_fn="GatherBackward0")


def take_along_axis(x, indices, /, *, axis=-1) -> Tensor:
    """Elements of `x` picked by `indices` along `axis` (PyTorch's gather)."""
    check_tensor(x, "take_along_axis")
    check_tensor(indices, "take_along_axis", "indices")
    if indices._dtype.kind not in "iu":
        raise TypeError(f"take_along_axis: indices must have an integer dtype, got {indices._dtype}")
    if indices._data.ndim != x._data.ndim:
        raise ValueError(f"take_along_axis: indices must have the same rank as x "
                         f"({indices._data.ndim} vs {x._data.ndim})")
    axis = normalize_axis(axis, x._data.ndim, "take_along_axis")
    return apply(_TAKE_ALONG, (x, indices), {"axis": axis})


__all__ = exported(__name__)
for _internal in ("check_index_range", "getitem", "index_add", "native_key", "setitem_functional", "torch_split"):
    __all__.remove(_internal)
