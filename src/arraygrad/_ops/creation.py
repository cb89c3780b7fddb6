"""Creation functions. Each takes `device=` ("cpu", "cuda:0", a Device) and, beyond the
standard, `requires_grad=` (PyTorch); the shape may also be given as varargs (``zeros(5, 3)``)."""

from __future__ import annotations

import array
import collections.abc
import functools
import math
import operator
from typing import Sequence

from .. import _dtypes
from .._config import default_device
from .._device import Device
from .._dispatch import Op, Tensor, apply, check_tensor, mark_exported, restated, wrap
from .._dtypes import DType, as_dtype
from .._registry import get_backend
from . import either, exported


def backend_for(device, like=None):
    """The backend serving `device` (or `like`'s device when device is None)."""
    if device is None:
        if like is not None:
            return like._backend
        return get_backend(default_device())
    if isinstance(device, Device) or isinstance(device, str):
        return get_backend(device)
    if isinstance(device, int) and not isinstance(device, bool):
        return get_backend(f"cuda:{device}")
    # another library's device object (torch.device, cupy.cuda.Device, ...): by its name
    return get_backend(str(device))


def _finish(t: Tensor, requires_grad: bool) -> Tensor:
    if requires_grad:
        t.requires_grad = True
    return t


def normalize_shape(shape, more=(), fname="") -> tuple[int, ...]:
    """`shape` as a tuple of non-negative ints; `more` holds PyTorch-style varargs sizes."""
    if more:
        shape = (shape,) + tuple(more)
    if isinstance(shape, Tensor):
        shape = tuple(int(s) for s in shape.tolist()) if shape.ndim else (int(shape),)
    try:
        dims = (operator.index(shape),)
    except TypeError:
        if not isinstance(shape, Sequence) or isinstance(shape, str):
            raise TypeError(f"{fname}: shape must be an int or a sequence of ints, got {shape!r}") from None
        try:
            dims = tuple(operator.index(s) for s in shape)
        except TypeError:
            raise TypeError(f"{fname}: shape must contain only ints, got {shape!r}") from None
    for d in dims:
        if d < 0:
            raise ValueError(f"{fname}: negative dimensions are not allowed, got shape {dims}")
    return dims


def _dtype_or(dtype, default: DType, argname="dtype") -> DType:
    return default if dtype is None else as_dtype(dtype, argname)


# ----- filled arrays --------------------------------------------------------------------
def _size_kw(fname, shape, size):
    """PyTorch's `size=` keyword for the shape."""
    if size is None:
        if shape is None:
            raise TypeError(f"{fname}() missing the shape (shape, or PyTorch's size=)")
        return shape
    if shape is not None:
        raise TypeError(f"{fname}() got both a shape and size=")
    return size


def _filled(fname, shape, more, dtype, device, requires_grad, default=None, size=None):
    dims = normalize_shape(_size_kw(fname, shape, size), more, fname)
    b = backend_for(device)
    d = _dtype_or(dtype, default or _dtypes.DEFAULT_FLOAT)
    return _finish(wrap(b.create(fname, dims, dtype=b.to_native_dtype(d)), b), requires_grad)


def torch_factory(fn):
    """`fn`, a function that makes a tensor, taking PyTorch's factory keywords too: `out=`
    (the result written into that tensor), `layout=` (strided, the only one) and
    `pin_memory=` (accepted and without effect, as Tensor.pin_memory: arraygrad does not
    page-lock CPU memory)."""
    name = fn.__name__

    @functools.wraps(fn)
    def factory(*args, out=None, layout=None, pin_memory=False, **kwargs):
        if layout is not None and getattr(layout, "_name", layout) != "strided":
            raise NotImplementedError(f"{name}: layout {layout} is not supported (only strided tensors)")
        result = fn(*args, **kwargs)
        if out is None:
            return result
        from .._torch_api import write_out

        return write_out(out, result, name)

    return factory


@torch_factory
def empty(shape=None, *more, dtype=None, device=None, requires_grad=False, size=None) -> Tensor:
    """An uninitialized array of `shape`."""
    return _filled("empty", shape, more, dtype, device, requires_grad, size=size)


@torch_factory
def zeros(shape=None, *more, dtype=None, device=None, requires_grad=False, size=None) -> Tensor:
    """An array of zeros."""
    return _filled("zeros", shape, more, dtype, device, requires_grad, size=size)


@torch_factory
def ones(shape=None, *more, dtype=None, device=None, requires_grad=False, size=None) -> Tensor:
    """An array of ones."""
    return _filled("ones", shape, more, dtype, device, requires_grad, size=size)


def _like(fname, x, dtype, device, requires_grad):
    check_tensor(x, fname)
    b = backend_for(device, like=x)
    d = x._dtype if dtype is None else as_dtype(dtype)
    return _finish(wrap(b.create(fname[:-5], x._data.shape, dtype=b.to_native_dtype(d)), b), requires_grad)


@torch_factory
def empty_like(x, /, *, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    """An uninitialized array with the shape (and, by default, dtype and device) of `x`.
    PyTorch's memory_format is accepted in the *_like functions: arraygrad's new tensors
    are C-ordered whatever the format."""
    return _like("empty_like", x, dtype, device, requires_grad)


@torch_factory
def zeros_like(x, /, *, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    """Zeros with the shape (and, by default, dtype and device) of `x`."""
    return _like("zeros_like", x, dtype, device, requires_grad)


@torch_factory
def ones_like(x, /, *, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    """Ones with the shape (and, by default, dtype and device) of `x`."""
    return _like("ones_like", x, dtype, device, requires_grad)


def _fill_dtype(fill_value, fname) -> DType:
    t = type(fill_value)
    if t is bool:
        return _dtypes.bool
    if isinstance(fill_value, bool):
        return _dtypes.bool
    if isinstance(fill_value, int):
        return _dtypes.DEFAULT_INT
    if isinstance(fill_value, float):
        return _dtypes.DEFAULT_FLOAT
    if isinstance(fill_value, complex):
        return _dtypes.DEFAULT_COMPLEX
    raise TypeError(f"{fname}: fill_value must be a Python bool, int, float or complex, "
                    f"got {type(fill_value).__name__}")


def _check_fill(fill_value, d: DType, fname):
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    fill_value = _dtypes.plain_scalar(fill_value)
    if d.kind in "biu" and isinstance(fill_value, float):
        # PyTorch's conversion: truncated toward zero (the standard leaves it unspecified)
        if not math.isfinite(fill_value):
            raise OverflowError(f"{fname}: fill_value {fill_value} cannot be converted to {d}")
        fill_value = bool(fill_value) if d.kind == "b" else int(fill_value)
    if d.kind in "iu" and isinstance(fill_value, int) and not isinstance(fill_value, bool):
        info = _dtypes.iinfo(d)
        if not info.min <= fill_value <= info.max:
            raise OverflowError(f"{fname}: fill_value {fill_value} is out of range for {d}")
    if d.kind in "biu" and isinstance(fill_value, (float, complex)):
        raise TypeError(f"{fname}: cannot fill a {d} array with {type(fill_value).__name__} {fill_value!r}")
    if d.kind == "f" and isinstance(fill_value, complex):
        raise TypeError(f"{fname}: cannot fill a {d} array with complex {fill_value!r}")
    return fill_value


@torch_factory
def full(shape=None, fill_value=None, *, dtype=None, device=None, requires_grad=False,
         size=None) -> Tensor:
    """An array of `shape` filled with `fill_value` (dtype inferred from it by default);
    PyTorch's `size=` names the shape too."""
    dims = normalize_shape(_size_kw("full", shape, size), (), "full")
    if fill_value is None:
        raise TypeError("full() missing required argument 'fill_value'")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    fill_value = _dtypes.plain_scalar(fill_value)  # NumPy's scalars as the numbers they hold
    d = _fill_dtype(fill_value, "full") if dtype is None else as_dtype(dtype)
    fill_value = _check_fill(fill_value, d, "full")
    b = backend_for(device)
    return _finish(wrap(b.create("full", dims, fill_value, dtype=b.to_native_dtype(d)), b), requires_grad)


@torch_factory
def full_like(x, /, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    """An array like `x` filled with `fill_value`."""
    check_tensor(x, "full_like")
    d = x._dtype if dtype is None else as_dtype(dtype)
    fill_value = _check_fill(fill_value, d, "full_like")
    b = backend_for(device, like=x)
    return _finish(wrap(b.create("full", x._data.shape, fill_value, dtype=b.to_native_dtype(d)), b),
                   requires_grad)


@torch_factory
def eye(n_rows=None, n_cols=None, /, *, k=0, dtype=None, device=None, requires_grad=False,
        n=None, m=None) -> Tensor:
    """A 2-D array with ones on the k-th diagonal (PyTorch's keywords n=, m= work too)."""
    n_rows = either("eye", "n_rows", n_rows, None, "n", n)
    n_cols = either("eye", "n_cols", n_cols, None, "m", m)
    if n_rows is None:
        raise TypeError("eye() missing required argument 'n_rows' (PyTorch's n)")
    n_rows = operator.index(n_rows)
    n_cols = n_rows if n_cols is None else operator.index(n_cols)
    if n_rows < 0 or n_cols < 0:
        raise ValueError(f"eye: sizes must be non-negative, got ({n_rows}, {n_cols})")
    b = backend_for(device)
    d = _dtype_or(dtype, _dtypes.DEFAULT_FLOAT)
    return _finish(wrap(b.create("eye", n_rows, n_cols, k=operator.index(k), dtype=b.to_native_dtype(d)), b),
                   requires_grad)


@torch_factory
def arange(start=None, stop=None, step=1, *, dtype=None, device=None, requires_grad=False,
           end=None) -> Tensor:
    """Evenly spaced values in [start, stop) (int64 for integer arguments, else float32);
    PyTorch's keywords (start=, end=, step=) work too."""
    if end is not None:
        if stop is not None:
            raise TypeError("arange() got both stop and end=")
        if start is None:
            start = 0
        stop = end
    if start is None:
        raise TypeError("arange() missing required argument 'end'")
    start, stop, step = (_dtypes.plain_scalar(v) for v in (start, stop, step))  # np.int64(3)
    for name, v in (("start", start), ("stop", stop), ("step", step)):
        if v is not None and not isinstance(v, (int, float)):
            if isinstance(v, Tensor) and v.ndim == 0:
                continue
            raise TypeError(f"arange: {name} must be an int or float, got {type(v).__name__}")
    start, stop, step = (v.item() if isinstance(v, Tensor) else v for v in (start, stop, step))
    if stop is None:
        start, stop = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if dtype is None:
        all_int = all(isinstance(v, int) for v in (start, stop, step))
        d = _dtypes.DEFAULT_INT if all_int else _dtypes.DEFAULT_FLOAT
    else:
        d = as_dtype(dtype)
    if d.kind in "iu" and int(step) == 0:  # a step of 0.5 in integers: PyTorch's error (NumPy gives zeros)
        raise ValueError(f"arange: step must be nonzero, and {step} is 0 in {d}")
    b = backend_for(device)
    n = max(0, math.ceil((stop - start) / step))
    if d.kind in "fc" and not all(isinstance(v, int) for v in (start, stop, step)):
        # start + i*step computed in float64 then cast: exact length, no drift from accumulation
        wide = _dtypes.float64 if d.kind == "f" and _dtypes.float64 in b.native_dtype else d
        out = b.create("arange", 0, n, 1, dtype=b.to_native_dtype(wide))
        if b.mutable_arrays:  # in place: no two more arrays of n float64
            out *= step
            out += start
        else:
            out = out * step + start
        out = b.xp.astype(out, b.to_native_dtype(d)) if out.dtype != b.to_native_dtype(d) else out
    else:
        out = b.create("arange", start, stop, step, dtype=b.to_native_dtype(d))
    return _finish(wrap(out, b), requires_grad)


@torch_factory
def linspace(start, stop=None, num=None, *, dtype=None, device=None, endpoint=True,
             requires_grad=False, steps=None, end=None) -> Tensor:
    """`num` evenly spaced samples over [start, stop] (or [start, stop) without endpoint).
    `steps` is PyTorch's name for `num`, `end` for `stop`."""
    stop = either("linspace", "stop", stop, None, "end", end)
    if stop is None:
        raise TypeError("linspace() missing required argument 'end'")
    num = either("linspace", "num", num, None, "steps", steps)
    if num is None:
        raise TypeError("linspace() missing the number of samples: num (or steps)")
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"linspace: num must be non-negative, got {num}")
    is_complex = isinstance(start, complex) or isinstance(stop, complex)
    if dtype is None:
        d = _dtypes.DEFAULT_COMPLEX if is_complex else _dtypes.DEFAULT_FLOAT
    else:
        d = as_dtype(dtype)
        if is_complex and d.kind != "c":
            raise TypeError(f"linspace: complex start/stop need a complex dtype, got {d}")
    b = backend_for(device)
    if d.kind in "iu":  # PyTorch's: the bounds truncated, the samples computed in float64, then
        # truncated toward zero (NumPy floors)
        start, stop = math.trunc(_dtypes.plain_scalar(start)), math.trunc(_dtypes.plain_scalar(stop))
        samples = b.create("linspace", start, stop, num, dtype=b.to_native_dtype(_dtypes.float64), endpoint=endpoint)
        xp = b.xp
        return _finish(wrap(xp.astype(xp.trunc(samples), b.to_native_dtype(d)), b), requires_grad)
    return _finish(wrap(b.create("linspace", start, stop, num, dtype=b.to_native_dtype(d), endpoint=endpoint), b),
                   requires_grad)


# ----- from data --------------------------------------------------------------------------
_BUFFERS = (str, bytes, bytearray, memoryview, array.array)


def _plain_sequence(obj) -> bool:
    """A Python sequence other than a list or tuple (deque, UserList, range) and not a buffer:
    its items are Python data, as a list's (NumPy would read a deque of floats as float64)."""
    return isinstance(obj, collections.abc.Sequence) and not isinstance(obj, _BUFFERS) \
        and not hasattr(obj, "__array__") and not hasattr(obj, "__dlpack__")


class _PythonData:
    """What one walk over Python data (nested lists/tuples of scalars) finds: the element
    kinds, whether a Tensor or another library's scalar is among them, the int range."""

    __slots__ = ("kinds", "has_tensor", "has_foreign", "lo", "hi", "foreign_dtypes")

    def __init__(self, obj):
        kinds = set()
        foreign_dtypes = set()
        has_tensor = has_foreign = False
        lo = hi = 0
        stack = [obj]
        while stack:
            v = stack.pop()
            c = v.__class__
            if c is list or c is tuple:
                stack.extend(v)
            elif c is float:
                kinds.add("f")
            elif c is int:
                kinds.add("i")
                lo, hi = min(lo, v), max(hi, v)
            elif c is bool:
                kinds.add("b")
            elif c is complex:
                kinds.add("c")
            elif isinstance(v, Tensor):
                has_tensor = True
                kinds.add(v._dtype.kind)
            elif isinstance(v, (list, tuple)):
                stack.extend(v)
            elif hasattr(v, "dtype"):  # a NumPy scalar or array (np.float64 is also a float)
                has_foreign = True
                foreign_dtypes.add(v.dtype)
            elif isinstance(v, bool):
                kinds.add("b")
            elif isinstance(v, int):
                kinds.add("i")
                lo, hi = min(lo, int(v)), max(hi, int(v))
            elif isinstance(v, float):
                kinds.add("f")
            elif isinstance(v, complex):
                kinds.add("c")
            elif _plain_sequence(v):  # a deque, a UserList, a range: its items, as a list's
                stack.extend(v)
            else:
                raise TypeError(f"asarray: cannot convert {type(v).__name__} to an array element")
        self.kinds, self.has_tensor, self.has_foreign, self.lo, self.hi = kinds, has_tensor, has_foreign, lo, hi
        self.foreign_dtypes = foreign_dtypes

    def dtype(self) -> DType | None:
        """The dtype the data takes (PyTorch's inference: float -> float32, int -> int64);
        with another library's scalars among it, their dtypes promoted with those of the
        Python scalars (PyTorch's: [np.float32(1), 2.5] is float32); None where one of
        theirs is not arraygrad's (the library then decides)."""
        if self.has_foreign:
            found = [_dtypes._from_foreign(d) for d in self.foreign_dtypes]
            if any(d is None for d in found):
                return None
            kinds = self.kinds
            found += [d for k, d in (("b", _dtypes.bool), ("i", _dtypes.DEFAULT_INT), ("f", _dtypes.DEFAULT_FLOAT),
                                     ("c", _dtypes.DEFAULT_COMPLEX)) if k in kinds]
            out = found[0]
            for d in found[1:]:
                out = _dtypes.promote(out, d)
            return out
        kinds = self.kinds
        if "c" in kinds:
            return _dtypes.DEFAULT_COMPLEX
        if "f" in kinds:
            return _dtypes.DEFAULT_FLOAT
        if "i" in kinds or "u" in kinds:
            return _dtypes.DEFAULT_INT
        if "b" in kinds:
            return _dtypes.bool
        return _dtypes.DEFAULT_FLOAT  # an empty list

    def check_fits(self, d: DType):
        """OverflowError for a Python int outside `d`'s range; TypeError for complex values
        in a real or bool dtype."""
        if d.kind in "iu" and "i" in self.kinds:
            info = _dtypes.iinfo(d)
            for v in (self.lo, self.hi):
                if not info.min <= v <= info.max:
                    raise OverflowError(f"asarray: Python int {v} is out of range for {d}")
        if d.kind in "fb" and "c" in self.kinds:
            raise TypeError(f"asarray: complex values cannot be stored in a {d} array")


def asarray(obj, /, *, dtype=None, device=None, copy=None, requires_grad=False) -> Tensor:
    """Convert `obj` (a Tensor, Python data, or another library's array) to a Tensor.

    Arrays of other libraries are shared without a copy where possible (copy=None) — the
    NumPy bridge — and copied when copy=True; copy=False raises if a copy is unavoidable.
    """
    d = None if dtype is None else as_dtype(dtype)
    if isinstance(obj, Tensor):
        out = obj
        if device is not None and backend_for(device) is not obj._backend:
            if copy is False:
                raise ValueError("asarray: copy=False, but moving to another device requires a copy")
            out = out.to_device(device)
            copy = None if copy else copy
        if d is not None and d is not out._dtype:
            if copy is False:
                raise ValueError(f"asarray: copy=False, but casting {out._dtype} to {d} requires a copy")
            from .data_type import astype

            out = astype(out, d)
        elif copy:
            from .data_type import astype

            out = astype(out, out._dtype, copy=True)
        return _finish(out, requires_grad) if requires_grad else out
    b = backend_for(device)
    if obj.__class__ is b.array_type and d is None and b._plain_create:
        # The backend's own array on its only device (a NumPy batch, from_numpy): nothing to
        # convert or place, so none of the general path's probing (5 us of 6).
        if obj.dtype not in b.dtype_of:
            raise TypeError(f"asarray: dtype {obj.dtype} of the input is not supported by arraygrad")
        t = wrap(b.xp.asarray(obj, copy=True) if copy else obj, b)
        if not copy and b.mutable_arrays:
            mark_exported(t)  # the memory is shared with `obj`: writes there go uncounted
        return _finish(t, requires_grad) if requires_grad else t
    if not isinstance(obj, (list, tuple, bool, int, float, complex)) and _plain_sequence(obj):
        obj = list(obj)
    if isinstance(obj, (list, tuple)) or (isinstance(obj, (bool, int, float, complex))
                                          and not hasattr(obj, "dtype")):  # not NumPy's float64
        data = _PythonData(obj)
        if data.has_tensor:
            return _finish(_from_nested_tensors(obj, d, device), requires_grad)
        if copy is False:
            raise ValueError("asarray: copy=False is impossible for Python data (a copy is required)")
        if d is None:
            d = data.dtype()
        if d is not None:
            data.check_fits(d)
        native = None if d is None else b.to_native_dtype(d)
        arr = b.asarray(obj, dtype=native)
        if arr.dtype not in b.dtype_of:  # e.g. a list of NumPy string arrays
            raise TypeError(f"asarray: the elements make an array of dtype {arr.dtype}, which arraygrad "
                            "does not support (numbers, bools, or arrays of them)")
        return _finish(wrap(arr, b), requires_grad)
    if isinstance(obj, (str, bytes, dict, set)):
        raise TypeError(f"asarray: cannot convert {type(obj).__name__} to an array")
    # another library's array, a buffer, or a NumPy scalar
    if d is None and _dtypes._from_foreign(getattr(obj, "dtype", None)) is not None:
        b.to_native_dtype(_dtypes._from_foreign(obj.dtype))  # TypeError if the device lacks it
    native = None if d is None else b.to_native_dtype(d)
    try:
        data = b.asarray(obj, dtype=native, copy=copy)
    except (TypeError, ValueError) as exc:
        if hasattr(obj, "__dlpack__") and not hasattr(obj, "__array__"):
            from .._dlpack import from_dlpack

            return asarray(from_dlpack(obj, device=device, copy=copy), dtype=dtype, copy=False)
        raise restated(exc, f"asarray: cannot convert {type(obj).__name__}: {exc}") from exc
    if data.dtype not in b.dtype_of:
        raise TypeError(f"asarray: dtype {data.dtype} of the input is not supported by arraygrad")
    t = wrap(data, b)
    if not copy and b.mutable_arrays:
        mark_exported(t)  # memory may be shared with `obj`: writes there go uncounted
    return _finish(t, requires_grad)


def _from_nested_tensors(obj, d, device):
    from .manipulation import stack

    if isinstance(obj, Tensor):
        return obj if d is None or obj._dtype is d else obj.astype(d)
    if isinstance(obj, (list, tuple)):
        parts = [asarray(v, dtype=d, device=device) if not isinstance(v, Tensor) else v for v in obj]
        parts = [_from_nested_tensors(p, d, device) if isinstance(p, (list, tuple)) else p for p in parts]
        if not parts:
            return asarray([], dtype=d, device=device)
        common = _dtypes.result_type(*parts) if d is None else d  # dtype= wins, tensors or not
        return stack([p.astype(common) if p._dtype is not common else p for p in parts])
    return asarray(obj, dtype=d, device=device)


def from_dlpack(x, /, *, device=None, copy=None) -> Tensor:
    """A Tensor from any object implementing the DLPack protocol (zero-copy when possible)."""
    from .._dlpack import from_dlpack as _from_dlpack

    return _from_dlpack(x, device=device, copy=copy)


# ----- differentiable creation -----------------------------------------------------------
def _check_matrix(x, fname):
    check_tensor(x, fname)
    if x.ndim < 2:
        raise ValueError(f"{fname}: x must have at least 2 dimensions, got shape {tuple(x.shape)}")


_TRIL = Op("tril", ("x",), lambda xp, g, k: xp.tril(g, k=k))
_TRIU = Op("triu", ("x",), lambda xp, g, k: xp.triu(g, k=k))


def tril(x, /, diagonal=None, *, k=0) -> Tensor:
    """The lower triangle (on and below the k-th diagonal) of each matrix in `x`;
    PyTorch's `diagonal` (positional or keyword) is k."""
    _check_matrix(x, "tril")
    k = either("tril", "k", k, 0, "diagonal", diagonal)
    return apply(_TRIL, (x,), {"k": operator.index(k)})


def triu(x, /, diagonal=None, *, k=0) -> Tensor:
    """The upper triangle (on and above the k-th diagonal) of each matrix in `x`;
    PyTorch's `diagonal` (positional or keyword) is k."""
    _check_matrix(x, "triu")
    k = either("triu", "k", k, 0, "diagonal", diagonal)
    return apply(_TRIU, (x,), {"k": operator.index(k)})


def meshgrid(*arrays, indexing="xy") -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D arrays (differentiable: built from reshape/broadcast_to)."""
    from .manipulation import broadcast_to, reshape

    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    if len(arrays) == 1 and isinstance(arrays[0], (list, tuple)):
        arrays = tuple(arrays[0])
    for i, a in enumerate(arrays):
        check_tensor(a, "meshgrid", f"arrays[{i}]")
        if a.ndim > 1:
            raise ValueError(f"meshgrid: arrays must be 1-D, got shape {tuple(a.shape)} at position {i}")
        if a._dtype is not arrays[0]._dtype:
            raise TypeError(f"meshgrid: all arrays must have the same dtype, got {arrays[0]._dtype} and {a._dtype}")
    arrays = tuple(reshape(a, (1,)) if a.ndim == 0 else a for a in arrays)  # 0-d: one point (PyTorch's)
    n = len(arrays)
    if n == 0:
        return ()
    sizes = [a.shape[0] for a in arrays]
    if indexing == "xy" and n >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, a in enumerate(arrays):
        axis = i
        if indexing == "xy" and n >= 2 and i < 2:
            axis = 1 - i
        shape = [1] * n
        shape[axis] = a.shape[0]
        out.append(broadcast_to(reshape(a, tuple(shape)), tuple(sizes)))
    return tuple(out)


__all__ = exported(__name__)
for _helper in ("backend_for", "normalize_shape"):
    __all__.remove(_helper)
