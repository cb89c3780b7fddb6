"""Manipulation functions: reshaping, joining, reordering. Views stay views (NumPy, CuPy):
their results remember their base so in-place writes through them reach autograd."""

from __future__ import annotations

import operator

from .._dispatch import (Op, ShapeError, Tensor, apply, check_tensor, grad_enabled, raise_device_mismatch, record,
                         set_view, wrap)
from . import AxisError, either, exported, int_arg, int_list, normalize_axes, normalize_axis


def _as_view(out, x, op, params):
    """Mark `out` as a view of `x` when the backend returned one."""
    b = x._backend
    if out._data is x._data and b.mutable_arrays:
        # the backend gave back the array itself (NumPy's squeeze of no axes): a view of it,
        # so that writes through `out` count against x as through any view
        out._data = out._data[...]
    if b.is_view(out._data):
        set_view(out, x, op, params)
    return out


def _shape_tuple(shape, fname):
    if isinstance(shape, int) or hasattr(shape, "__index__"):
        return (operator.index(shape),)
    try:
        return tuple(operator.index(s) for s in shape)
    except TypeError:
        raise TypeError(f"{fname}: shape must be a tuple of ints, got {shape!r}") from None


# ----- broadcasting ---------------------------------------------------------------------
def broadcast_shapes(*shapes) -> tuple[int, ...]:
    """The shape that arrays of `shapes` broadcast to (ValueError if they do not), as a
    Size (a tuple), as PyTorch's torch.broadcast_shapes returns."""
    shapes = tuple(_shape_tuple(s, "broadcast_shapes") for s in shapes)  # an int n is (n,)
    ndim = max((len(s) for s in shapes), default=0)
    out = [1] * ndim
    for s in shapes:
        for i, n in enumerate(s):
            j = ndim - len(s) + i
            m = out[j]
            if n is None or m is None:
                out[j] = None if (n is None or m is None) and 1 not in (n, m) else (m if n == 1 else n)
            elif m == 1:
                out[j] = n
            elif n != 1 and n != m:
                raise ShapeError(f"broadcast_shapes: shapes {tuple(shapes)} cannot be broadcast to a "
                                 f"single shape (dimension {j}: {m} vs {n})")
    from .._tensor import Size

    return Size(out)


# The engine sums the gradient back to the input's shape: the rule is the identity.
_BROADCAST_TO = Op("broadcast_to", ("x",), lambda xp, g: g, grad_fn="ExpandBackward0")


def broadcast_to(x, /, shape=None, *, size=None) -> Tensor:
    """`x` broadcast to `shape` (a read-only view on NumPy and CuPy; PyTorch's size= works)."""
    if x.__class__ is not Tensor:
        check_tensor(x, "broadcast_to")
    if shape is None:
        if size is None:
            raise TypeError("broadcast_to() missing required argument 'shape' (PyTorch's size)")
        shape = size
    if shape.__class__ is not tuple:
        shape = _shape_tuple(shape, "broadcast_to")
    params = {"shape": shape}
    try:  # the backend checks compatibility (the standard's rules; NumPy's message is clear)
        out = apply(_BROADCAST_TO, (x,), params)
    except ValueError:
        raise ShapeError(f"broadcast_to: cannot broadcast an array of shape {tuple(x._data.shape)} "
                         f"to {shape}") from None
    return _as_view(out, x, _BROADCAST_TO, params)


def broadcast_arrays(*arrays) -> tuple[Tensor, ...]:
    """The arrays broadcast against each other."""
    if len(arrays) == 1 and isinstance(arrays[0], (list, tuple)):
        arrays = tuple(arrays[0])
    for i, a in enumerate(arrays):
        check_tensor(a, "broadcast_arrays", f"arrays[{i}]")
    shape = broadcast_shapes(*(a._data.shape for a in arrays))
    return tuple(a if tuple(a._data.shape) == shape else broadcast_to(a, shape) for a in arrays)


# ----- reshaping ------------------------------------------------------------------------
_RESHAPE = Op("reshape", ("x",), lambda xp, g, x_shape: xp.reshape(g, x_shape), grad_fn="ViewBackward0")


def reshape(x, /, shape, *, copy=None) -> Tensor:
    """`x` with a new shape (-1 infers one dimension). copy=False raises if a copy is needed."""
    if x.__class__ is not Tensor:
        check_tensor(x, "reshape")
    if shape.__class__ is not tuple:
        shape = _shape_tuple(shape, "reshape")
    if shape and min(shape) < -1:  # NumPy reads any negative size as -1
        raise RuntimeError(f"reshape: invalid shape dimension {min(shape)} in {shape} (-1 infers one size)")
    b = x._backend
    try:
        data = b.fn["reshape"](x._data, shape) if copy is None else b.fn["reshape"](x._data, shape, copy=copy)
    except ValueError as exc:
        if copy is False:
            raise
        raise ShapeError(f"reshape: cannot reshape an array of shape {tuple(x._data.shape)} into "
                         f"shape {shape}: {exc}") from None
    out = wrap(data, b)
    if x._requires_grad and grad_enabled():
        record(_RESHAPE, (out,), (x,), {"shape": shape})
    if not copy and b.is_view(data, x._data):
        set_view(out, x, _RESHAPE, {"shape": shape})
    return out


_PERMUTE = Op("permute_dims", ("x",), lambda xp, g, axes: xp.permute_dims(g, _inverse_perm(axes)),
              grad_fn="PermuteBackward0")


def _inverse_perm(axes):
    inv = [0] * len(axes)
    for i, a in enumerate(axes):
        inv[a] = i
    return tuple(inv)


_IDENTITY_PERMUTATIONS = tuple(tuple(range(n)) for n in range(65))


def permute_dims(x, /, axes) -> Tensor:
    """`x` with its axes reordered by `axes` (a view where the backend allows)."""
    if x.__class__ is not Tensor:
        check_tensor(x, "permute_dims")
    nd = x._data.ndim
    if axes.__class__ is not tuple or tuple(sorted(axes)) != _IDENTITY_PERMUTATIONS[nd]:
        if isinstance(axes, int):
            axes = (axes,)
        axes = tuple(normalize_axis(a, nd, "permute_dims", "axes") for a in axes)
        if sorted(axes) != list(range(nd)):
            raise ValueError(f"permute_dims: axes {axes} is not a permutation of the {nd} dimensions")
    params = {"axes": axes}
    return _as_view(apply(_PERMUTE, (x,), params), x, _PERMUTE, params)


_EXPAND_DIMS = Op("expand_dims", ("x",), lambda xp, g, x_shape: xp.reshape(g, x_shape), grad_fn="UnsqueezeBackward0")


def expand_dims(x, /, axis=0) -> Tensor:
    """`x` with new size-1 axes at `axis` (an int or a tuple of ints)."""
    check_tensor(x, "expand_dims")
    axes = axis if isinstance(axis, tuple) else (axis,)
    nd = x._data.ndim + len(axes)
    norm = []
    for a in axes:
        a = int_arg(a, "expand_dims", "axis")
        if not -nd <= a < nd:
            raise AxisError(f"expand_dims: axis {a} is out of bounds for the result's {nd} dimensions")
        norm.append(a % nd)
    if len(set(norm)) != len(norm):
        raise ValueError(f"expand_dims: repeated axis in {axis}")
    params = {"axis": tuple(norm) if isinstance(axis, tuple) else norm[0]}
    return _as_view(apply(_EXPAND_DIMS, (x,), params), x, _EXPAND_DIMS, params)


_SQUEEZE = Op("squeeze", ("x",), lambda xp, g, x_shape: xp.reshape(g, x_shape), grad_fn="SqueezeBackward0")


def squeeze(x, /, axis=None, *, dim=None) -> Tensor:
    """`x` without the size-1 axes in `axis` (ValueError if one of them is not size 1)."""
    if axis is None:  # PyTorch's spelling: Tensor.squeeze's semantics
        return check_tensor(x, "squeeze").squeeze(dim)
    check_tensor(x, "squeeze")
    axes = normalize_axes(axis, x._data.ndim, "squeeze")
    for a in axes:
        if x._data.shape[a] != 1:
            raise ValueError(f"squeeze: cannot squeeze axis {a} of size {x._data.shape[a]} (shape "
                             f"{tuple(x._data.shape)})")
    params = {"axis": axes}
    return _as_view(apply(_SQUEEZE, (x,), params), x, _SQUEEZE, params)


_MOVEAXIS = Op("moveaxis", ("x",), lambda xp, g, source, destination: xp.moveaxis(g, destination, source),
               grad_fn="MovedimBackward0")


def moveaxis(x, /, source, destination) -> Tensor:
    """`x` with the axes `source` moved to positions `destination`."""
    check_tensor(x, "moveaxis")
    nd = x._data.ndim
    src = tuple(source) if isinstance(source, (tuple, list)) else (source,)
    dst = tuple(destination) if isinstance(destination, (tuple, list)) else (destination,)
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: source {source} and destination {destination} must have the same length")
    src = tuple(normalize_axis(a, nd, "moveaxis", "source") for a in src)
    dst = tuple(normalize_axis(a, nd, "moveaxis", "destination") for a in dst)
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError(f"moveaxis: repeated axes in source {source} or destination {destination}")
    order = [a for a in range(nd) if a not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute_dims(x, tuple(order))


_FLIP = Op("flip", ("x",), lambda xp, g, axis: xp.flip(g, axis=axis), grad_fn="FlipBackward0")


def flip(x, /, dims=None, *, axis=None) -> Tensor:
    """`x` with the order of elements reversed along `axis` (all axes by default)."""
    if dims is not None:  # PyTorch's spelling: Tensor.flip's semantics
        return check_tensor(x, "flip").flip(dims)
    check_tensor(x, "flip")
    axes = normalize_axes(axis, x._data.ndim, "flip")
    params = {"axis": axes}
    return _as_view(apply(_FLIP, (x,), params), x, _FLIP, params)


_ROLL = Op("roll", ("x",), lambda xp, g, shift, axis: xp.roll(g, _negate(shift), axis=axis),
           grad_fn="RollBackward0")


def _negate(shift):
    return tuple(-s for s in shift) if isinstance(shift, tuple) else -shift


def roll(x, /, shift=None, dims=None, *, axis=None, shifts=None) -> Tensor:
    """`x` with elements shifted by `shift` along `axis` (the flattened array by default)."""
    if dims is not None or shifts is not None:  # PyTorch's spelling: Tensor.roll's semantics
        return check_tensor(x, "roll").roll(shift if shifts is None else shifts, dims)
    check_tensor(x, "roll")
    if isinstance(shift, (tuple, list)):
        shift = tuple(int_list(shift, "roll", "shift"))
    else:
        shift = int_arg(shift, "roll", "shift")
    if axis is not None:
        if isinstance(axis, (tuple, list)):
            axis = tuple(normalize_axis(a, x._data.ndim, "roll") for a in axis)
            if not isinstance(shift, tuple):
                shift = (shift,) * len(axis)
            if len(shift) != len(axis):
                raise ValueError(f"roll: shift {shift} and axis {axis} must have the same length")
        else:
            axis = normalize_axis(axis, x._data.ndim, "roll")
            if isinstance(shift, tuple):
                raise ValueError("roll: a tuple shift needs a tuple axis")
    elif isinstance(shift, tuple):
        if len(shift) != 1:  # PyTorch's roll((k,)) without dims rolls the flattened tensor
            raise ValueError("roll: a tuple shift needs a tuple axis")
        shift = shift[0]
    return apply(_ROLL, (x,), {"shift": shift, "axis": axis})


# ----- joining and splitting --------------------------------------------------------------
def _check_same(arrays, fname):
    arrays = list(arrays)
    if not arrays:
        raise ValueError(f"{fname}: need at least one array")
    first = arrays[0]
    for i, a in enumerate(arrays):
        check_tensor(a, fname, f"arrays[{i}]")
        if a._backend is not first._backend:
            raise_device_mismatch(fname, first, a)
    dtypes = {a._dtype for a in arrays}
    if len(dtypes) > 1:

        common = result_type(*arrays)
        arrays = [a if a._dtype is common else astype(a, common) for a in arrays]
    return arrays


def _concat_grad(g, arrays_shape, axis):
    if axis is None:
        out, start = [], 0
        for s in arrays_shape:
            n = 1
            for d in s:
                n *= d
            out.append(reshape(g[start:start + n], s))
            start += n
        return out
    out, start = [], 0
    for s in arrays_shape:
        key = (slice(None),) * axis + (slice(start, start + s[axis]),)
        out.append(g[key])
        start += s[axis]
    return out


_CONCAT = Op("concat", ("*arrays",), _concat_grad, grad_fn="CatBackward0")


def concat(arrays, /, dim=None, *, axis=0) -> Tensor:
    """The arrays joined along `axis` (flattened first when axis is None)."""
    if dim is not None:  # PyTorch's spelling
        axis = dim
    if isinstance(arrays, Tensor) or not isinstance(arrays, (list, tuple)):
        raise TypeError(f"concat: arrays must be a list or tuple of Tensors, got {type(arrays).__name__}")
    arrays = _check_same(arrays, "concat")
    if axis is not None:
        nd = arrays[0]._data.ndim
        if nd == 0:
            raise ShapeError("concat: zero-dimensional arrays cannot be concatenated")
        axis = normalize_axis(axis, nd, "concat")
        ref = arrays[0]._data.shape
        for a in arrays:
            s = a._data.shape
            if len(s) != nd or any(s[i] != ref[i] for i in range(nd) if i != axis):
                raise ShapeError(f"concat: shapes {tuple(ref)} and {tuple(s)} differ outside axis {axis}")
    return apply(_CONCAT, (arrays,), {"axis": axis})


_STACK = Op("stack", ("*arrays",), lambda g, axis: list(unstack(g, axis=axis)),
            grad_fn="StackBackward0")


def stack(arrays=None, /, dim=None, *, axis=0, tensors=None) -> Tensor:
    """The arrays (all of one shape) joined along a new axis."""
    if dim is not None:  # PyTorch's spelling
        axis = dim
    if tensors is not None:  # PyTorch's keyword: torch.stack(tensors=[...])
        if arrays is not None:
            raise TypeError("stack: give the tensors positionally or as tensors=, not both")
        arrays = tensors
    if isinstance(arrays, Tensor) or not isinstance(arrays, (list, tuple)):
        raise TypeError(f"stack: arrays must be a list or tuple of Tensors, got {type(arrays).__name__}")
    arrays = _check_same(arrays, "stack")
    ref = tuple(arrays[0]._data.shape)
    for a in arrays:
        if tuple(a._data.shape) != ref:
            raise ShapeError(f"stack: all arrays must have the same shape, got {ref} and {tuple(a._data.shape)}")
    axis = operator.index(axis)
    nd = len(ref) + 1
    if not -nd <= axis < nd:
        raise AxisError(f"stack: axis {axis} is out of bounds for the result's {nd} dimensions")
    return apply(_STACK, (arrays,), {"axis": axis % nd})


def unstack(x, /, *, axis=0) -> tuple[Tensor, ...]:
    """The arrays along `axis` of `x`, as a tuple of views."""
    check_tensor(x, "unstack")
    if x._data.ndim == 0:
        raise ValueError("unstack: x must have at least one dimension")
    axis = normalize_axis(axis, x._data.ndim, "unstack")
    pre = (slice(None),) * axis
    return tuple(x[pre + (i,)] for i in range(x._data.shape[axis]))


# ----- repetition -------------------------------------------------------------------------
def _tile_grad(g, x_shape, repetitions):
    nd = max(len(x_shape), len(repetitions))
    xs = (1,) * (nd - len(x_shape)) + tuple(x_shape)
    reps = (1,) * (nd - len(repetitions)) + tuple(repetitions)
    split = []
    for r, s in zip(reps, xs):
        split += [r, s]

    g = _sum(reshape(g, tuple(split)), axis=tuple(range(0, 2 * nd, 2)))
    return reshape(g, x_shape)


# repetitions travels as an input (not a param): the standard makes it positional-only.
_TILE = Op("tile", ("x", "repetitions"), {"x": _tile_grad, "repetitions": None}, grad_fn="RepeatBackward0")


def tile(x, repetitions=None, /, *, dims=None) -> Tensor:
    """`x` repeated `repetitions[i]` times along each axis i (PyTorch's keyword: dims=)."""
    check_tensor(x, "tile")
    repetitions = either("tile", "repetitions", repetitions, None, "dims", dims)
    if repetitions is None:
        raise TypeError("tile() missing required argument 'repetitions' (PyTorch's dims)")
    reps = tuple(operator.index(r) for r in repetitions)
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: repetitions must be non-negative, got {reps}")
    return apply(_TILE, (x, reps))


def _repeat_grad(g, x_shape, repeats, axis):

    if axis is None:
        n = 1
        for s in x_shape:
            n *= s
        flat_shape, ax = (n,), 0
    else:
        flat_shape, ax = x_shape, axis
    if isinstance(repeats, int):
        shape = tuple(flat_shape[:ax]) + (flat_shape[ax], repeats) + tuple(flat_shape[ax + 1:])
        return reshape(_sum(reshape(g, shape), axis=ax + 1), x_shape)
    if repeats._data.shape[0] != flat_shape[ax]:  # one count for every element
        repeats = broadcast_to(repeats, (flat_shape[ax],))
    cs = cumulative_sum(g, axis=ax, include_initial=True)
    ends = cumulative_sum(repeats)
    starts = ends - repeats
    return reshape(take(cs, ends, axis=ax) - take(cs, starts, axis=ax), x_shape)


_REPEAT = Op("repeat", ("x", "repeats"), {"x": _repeat_grad, "repeats": None}, grad_fn="RepeatInterleaveBackward0")


def repeat(x, repeats, /, *, axis=None) -> Tensor:
    """Each element of `x` repeated `repeats` times (an int, or an int array per element)."""
    check_tensor(x, "repeat")
    if isinstance(repeats, Tensor):
        if repeats._dtype.kind not in "iu":
            raise TypeError(f"repeat: repeats must have an integer dtype, got {repeats._dtype}")
    else:
        repeats = operator.index(repeats)
        if repeats < 0:
            raise ValueError(f"repeat: repeats must be non-negative, got {repeats}")
    if axis is not None:
        axis = normalize_axis(axis, x._data.ndim, "repeat")
    return apply(_REPEAT, (x, repeats), {"axis": axis})


# The rules use other categories; importing them last keeps the import graph acyclic.
from .._dtypes import result_type  # noqa: E402
from .data_type import astype  # noqa: E402
from .indexing import take  # noqa: E402
from .statistical import cumulative_sum, sum as _sum  # noqa: E402

__all__ = exported(__name__)
