"""PyTorch-style Tensor methods (`view`, `add_`, `.to()`, `.item()`, ...), mixed into Tensor.

Three sources, one place each:
- methods written here, where PyTorch's semantics differ from a plain call (reductions
  with `dim=`, `max(dim)` returning (values, indices), `view`, `to`, `type`, `item`, ...);
- PyTorch's functions of `_torch_api` that take the tensor first (`x.transpose(0, 1)` is
  `torch.transpose(x, 0, 1)`), attached by `install()`;
- families generated from the tables below: a method per elementwise function
  (`x.exp()`), an in-place twin with a trailing underscore (`x.exp_()`, `x.add_(y)`) that
  writes into the same memory through `_inplace` (so autograd's rules hold), and the casts
  (`x.float()`, `x.long()`, ...).

The op modules import Tensor, which imports this module, so the modules used here are
bound by `install()` once they exist (module globals: looked up at call time).
"""

from __future__ import annotations

import math
import operator
import warnings

from . import _dtypes
from ._dispatch import binary, check_tensor, named_node, node_type_named, unary
from ._dtypes import DType

_api = _stat = _manip = _elem = _search = _sorting = _util = _creation = _indexing = None
_linalg = _inplace = _dlpack = _printing = _random = None

BFLOAT16_UNSUPPORTED = ("bfloat16 is not supported: no backend of arraygrad's has it (float16, "
                        "'half', is: an extension of the standard's dtypes); use float16 or float32")


class UntypedStorage:
    """A tensor's memory as PyTorch's `untyped_storage()` describes it: its size in bytes
    and its address (read-only: arraygrad does not hand out raw memory)."""

    __slots__ = ("_nbytes", "_ptr", "device")

    def __init__(self, nbytes: int, ptr, device) -> None:
        self._nbytes, self._ptr, self.device = nbytes, ptr, device

    def nbytes(self) -> int:
        return self._nbytes

    def size(self) -> int:
        return self._nbytes

    def __len__(self) -> int:
        return self._nbytes

    def data_ptr(self) -> int:
        if self._ptr is None:
            raise RuntimeError(f"data_ptr(): the backend of device {self.device} does not expose addresses")
        return self._ptr

    def __repr__(self) -> str:
        return f"UntypedStorage(nbytes={self._nbytes}, device={self.device})"


def _allocation(data):
    """The whole allocation `data` views, where the backend exposes one (NumPy's and CuPy's
    `.base` chain), else `data` itself."""
    alloc = data
    while getattr(alloc, "base", None) is not None and (
            hasattr(alloc.base, "__array_interface__") or hasattr(alloc.base, "__cuda_array_interface__")):
        alloc = alloc.base
    return alloc


_TYPED_STORAGE_WARNED = []


class TypedStorage:
    """PyTorch's (deprecated) `tensor.storage()`: the elements of the memory a tensor views,
    in memory order, as a flat sequence. Reads give Python numbers; writes go into the
    tensor's memory. That memory is then shared outside the op path, as through the NumPy
    bridge: autograd keeps copies of what backward still needs."""

    __slots__ = ("_flat", "_backend", "dtype", "device")

    def __init__(self, tensor) -> None:
        from ._dispatch import mark_exported

        alloc = _allocation(tensor._data)
        order = "F" if getattr(getattr(alloc, "flags", None), "f_contiguous", False) and alloc.ndim > 1 else "C"
        flat = alloc.reshape(-1, order=order) if order == "F" else tensor._backend.xp.reshape(alloc, (-1,))
        self._flat, self._backend = flat, tensor._backend
        self.dtype, self.device = tensor.dtype, tensor.device
        mark_exported(tensor)

    def __len__(self) -> int:
        return int(self._flat.shape[0])

    def size(self) -> int:
        return len(self)

    def element_size(self) -> int:
        return self.dtype.itemsize

    def nbytes(self) -> int:
        return len(self) * self.dtype.itemsize

    def _index(self, idx) -> int:
        if isinstance(idx, slice):
            raise RuntimeError("slices are only supported in UntypedStorage.__getitem__")
        n = len(self)
        i = operator.index(idx)
        if not -n <= i < n:
            raise IndexError(f"index {i} out of range for storage of size {n}")
        return i % n if n else i

    def __getitem__(self, idx):
        return self._backend.to_host(self._flat[self._index(idx)]).item()

    def __setitem__(self, idx, value) -> None:
        if not self._backend.mutable_arrays:
            raise RuntimeError(f"storage of a {self.device} tensor is read-only (its arrays are immutable)")
        key = idx if isinstance(idx, slice) else self._index(idx)
        self._flat[key] = value

    def __iter__(self):
        return iter(self.tolist())

    def tolist(self) -> list:
        return self._backend.to_host(self._flat).tolist()

    def fill_(self, value) -> "TypedStorage":
        self[:] = value
        return self

    def data_ptr(self) -> int:
        for attr in ("__array_interface__", "__cuda_array_interface__"):
            iface = getattr(self._flat, attr, None)
            if iface is not None:
                return iface["data"][0]
        raise RuntimeError(f"data_ptr(): the backend of device {self.device} does not expose addresses")

    def is_shared(self) -> bool:
        return False

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def __repr__(self) -> str:
        lines = "".join(f" {v}\n" for v in self.tolist())
        return f"{lines}[arraygrad.storage.TypedStorage(dtype={self.dtype}, device={self.device}) of size {len(self)}]"


class TorchTensorMethods:
    __slots__ = ()

    # ----- printing ---------------------------------------------------------------------
    def __repr__(self):
        return _printing.tensor_repr(self)

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    # ----- shape and storage ---------------------------------------------------------------
    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return math.prod(self._data.shape)

    nelement = numel

    def element_size(self) -> int:
        return self._dtype.itemsize

    @property
    def itemsize(self) -> int:
        return self._dtype.itemsize

    @property
    def nbytes(self) -> int:
        return math.prod(self._data.shape) * self._dtype.itemsize

    def is_floating_point(self) -> bool:
        return self._dtype.kind == "f"

    def is_complex(self) -> bool:
        return self._dtype.kind == "c"

    def is_signed(self) -> bool:
        return self._dtype.kind in "ifc"

    @property
    def is_cuda(self) -> bool:
        return self._backend.device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self._backend.device.type == "cpu"

    # PyTorch's layout and device queries that library code asks (`if grad.is_sparse:`):
    # arraygrad's tensors are dense and strided, on a CPU or CUDA backend
    is_sparse = is_sparse_csr = is_quantized = is_nested = is_mkldnn = is_mps = is_xpu = property(
        lambda self: False)

    def get_device(self) -> int:
        """The CUDA device index (-1 for CPU tensors)."""
        idx = self._backend.device.index
        return -1 if idx is None else idx

    def stride(self, dim=None):
        """Steps in elements between neighbours along each dimension."""
        data = self._data
        strides = getattr(data, "strides", None)
        if strides is None:  # a backend without strides: its arrays are C-ordered
            strides, step = [], 1
            for n in reversed(data.shape):
                strides.insert(0, step)
                step *= max(n, 1)
        else:
            strides = [s // self._dtype.itemsize for s in strides]
            # a dimension of size 1 is never stepped along: PyTorch reports the stride it would
            # have in C order (NumPy often has 0 there, e.g. after unsqueeze)
            shape = data.shape
            for i in range(len(shape) - 1, -1, -1):
                if shape[i] == 1:
                    strides[i] = strides[i + 1] * max(shape[i + 1], 1) if i + 1 < len(shape) else 1
        if dim is None:
            return tuple(strides)
        return strides[_normalize(dim, data.ndim, "stride")]

    def data_ptr(self) -> int:
        """The address of the first element (equal for tensors viewing the same memory)."""
        data = self._data
        for attr in ("__array_interface__", "__cuda_array_interface__"):
            iface = getattr(data, attr, None)
            if iface is not None:
                return iface["data"][0]
        raise RuntimeError(f"data_ptr(): backend {self._backend.name!r} does not expose addresses")

    def storage(self) -> "TypedStorage":
        """PyTorch's deprecated typed storage (with its warning, once): the elements of the
        memory this tensor views, flat, readable and writable (see `TypedStorage`)."""
        if not _TYPED_STORAGE_WARNED:
            import warnings

            _TYPED_STORAGE_WARNED.append(True)
            warnings.warn("TypedStorage is deprecated. It will be removed in the future and UntypedStorage will "
                          "be the only storage class. This should only matter to you if you are using storages "
                          "directly.  To access UntypedStorage directly, use tensor.untyped_storage() instead "
                          "of tensor.storage()", UserWarning, stacklevel=2)
        return TypedStorage(self)

    def untyped_storage(self) -> "UntypedStorage":
        """The memory this tensor views, as bytes (PyTorch's minimal storage: `nbytes()`,
        `data_ptr()`, `size()`): the whole allocation that a view shares with its base, where
        the backend exposes it (NumPy's `.base` chain), else the tensor's own bytes."""
        data = _allocation(self._data)
        if not hasattr(data, "__array_interface__") and not hasattr(data, "__cuda_array_interface__"):
            data = self._data
        nbytes = getattr(data, "nbytes", None)
        if nbytes is None:
            nbytes = self.nbytes
        try:
            iface = getattr(data, "__array_interface__", None) or getattr(data, "__cuda_array_interface__")
            ptr = iface["data"][0]
        except AttributeError:
            ptr = None
        return UntypedStorage(int(nbytes), ptr, self.device)

    def is_contiguous(self, memory_format=None) -> bool:
        flags = getattr(self._data, "flags", None)
        return True if flags is None else bool(flags.c_contiguous)

    def contiguous(self, memory_format=None):
        """This tensor if its memory is C-ordered, else a C-ordered copy."""
        if self.is_contiguous():
            return self
        # copy=True: a plain reshape may return a view (a column of a matrix has one stride),
        # and the result would still share, and write into, this tensor's memory
        return _manip.reshape(self, tuple(self._data.shape), copy=True)

    # ----- views --------------------------------------------------------------------------
    def view(self, *shape, **size_or_dtype):
        """A tensor of another shape sharing this one's memory (RuntimeError when the memory
        layout does not allow it: use reshape, which copies then)."""
        if size_or_dtype:
            shape = _star_or_keyword(shape, size_or_dtype, "dtype" if "dtype" in size_or_dtype else "size", "view")
        if len(shape) == 1 and (isinstance(shape[0], DType) or (
                not isinstance(shape[0], (int, tuple, list))
                and _dtypes._from_foreign(shape[0]) is not None)):  # view(dtype)
            return self._view_dtype(_as_dtype(shape[0]))
        shape = _shape_args(shape, "view")
        try:
            return _manip.reshape(self, shape, copy=False)
        except ValueError:
            _infer_shape(shape, self.numel())  # PyTorch's error for a size mismatch
            raise RuntimeError("view size is not compatible with input tensor's size and stride "
                               "(at least one dimension spans across two contiguous subspaces). "
                               "Use .reshape(...) instead.") from None

    def _view_dtype(self, d: DType):
        """view(dtype): the same memory read as dtype `d` (PyTorch's): the last axis scales
        by the ratio of the element sizes. Outside the graph, as in PyTorch (bits, not
        values: no gradient flows through a reinterpretation)."""
        from . import _dispatch as D

        if d is self._dtype:
            return self.view(tuple(self.shape))
        b, data, have = self._backend, self._data, self._dtype
        native = b.to_native_dtype(d)  # TypeError when this device lacks the dtype
        if not hasattr(data, "view"):
            raise TypeError(f"view(dtype): arrays of the {b.name!r} backend cannot be read as "
                            "another dtype; use .to(dtype) for a converted copy")
        if d.itemsize != have.itemsize:
            if data.ndim == 0:
                raise RuntimeError(f"self.dim() cannot be 0 to view {have} as {d} (different "
                                   "element sizes)")
            last = data.shape[-1]
            if d.itemsize > have.itemsize and last % (d.itemsize // have.itemsize):
                raise RuntimeError(f"self.size(-1) must be divisible by {d.itemsize // have.itemsize} "
                                   f"to view {have} as {d} (different element sizes), but got {last}")
            if last != 1 and self.stride(-1) != 1:
                raise RuntimeError(f"self.stride(-1) must be 1 to view {have} as {d} (different "
                                   f"element sizes), but got {self.stride(-1)}")
        try:
            out = data.view(native)
        except ValueError as exc:  # a layout the library cannot reinterpret
            raise RuntimeError(f"view({d}): {exc}") from None
        return D.wrap_view(out, b, self)

    def view_as(self, other):
        return self.view(tuple(check_tensor(other, "view_as", "other").shape))

    def reshape(self, *shape, **kw):
        """A tensor of another shape: a view when the memory allows, else a copy."""
        if kw:
            shape = _star_or_keyword(shape, kw, "shape", "reshape")
        shape = _shape_args(shape, "reshape")
        try:
            return _manip.reshape(self, shape)
        except ValueError:
            _infer_shape(shape, self.numel())  # PyTorch's error for a size mismatch
            raise

    def reshape_as(self, other):
        return self.reshape(tuple(check_tensor(other, "reshape_as", "other").shape))

    def squeeze(self, dim=None, *dims):
        """A view without size-1 dimensions (all, or those of `dim` that have size 1; several
        dims as a tuple or as arguments, as PyTorch's)."""
        if dims:
            dim = (dim, *dims)
        shape = self._data.shape
        if dim is None:
            axes = tuple(i for i, n in enumerate(shape) if n == 1)
        else:
            dims = dim if isinstance(dim, (tuple, list)) else (dim,)
            if not shape:  # 0-d: dim 0 / -1 names a dimension of size 1 (PyTorch's)
                _api.reduction_axes(dims, self, "squeeze")
                return _manip.squeeze(self, ())
            axes = tuple(a for a in (_normalize(d, len(shape), "squeeze") for d in dims) if shape[a] == 1)
        return _manip.squeeze(self, axes)

    def expand(self, *sizes, **kw):
        """A view broadcasting size-1 dimensions to `sizes` (-1 keeps a size)."""
        if kw:
            sizes = _star_or_keyword(sizes, kw, "size", "expand")
        sizes = _api.int_sequence(sizes, "expand")
        shape = tuple(self._data.shape)
        if len(sizes) < len(shape):
            raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater "
                               f"or equal to the number of dimensions in the tensor ({len(shape)})")
        lead = len(sizes) - len(shape)
        target = list(sizes)
        for i, n in enumerate(shape):
            want = sizes[lead + i]
            if want == -1:
                target[lead + i] = n
            elif n != 1 and want != n:
                raise RuntimeError(f"The expanded size of the tensor ({want}) must match the existing "
                                   f"size ({n}) at non-singleton dimension {lead + i}.  Target sizes: "
                                   f"{list(sizes)}.  Tensor sizes: {list(shape)}")
        if any(s < 0 for s in target[:lead]):
            raise RuntimeError(f"expand: -1 is not allowed in a leading, non-existing dimension "
                               f"(sizes {list(sizes)})")
        if math.prod(target) == self._data.size:  # nothing repeated: a plain view, which takes writes (PyTorch's)
            out = _manip.reshape(self, tuple(target), copy=False)
            return named_node(out, node_type_named(_manip._RESHAPE, "ExpandBackward0"), self)
        return _manip.broadcast_to(self, tuple(target))

    def expand_as(self, other):
        return self.expand(tuple(check_tensor(other, "expand_as", "other").shape))

    def polygamma(self, n):
        """The n-th derivative of digamma at each element (torch.polygamma(n, self))."""
        return _api.polygamma(n, self)

    def polygamma_(self, n):
        return _inplace.inplace_apply(self, lambda t: _api.polygamma(n, t), "polygamma_")

    def repeat(self, *sizes, **kw):
        """The tensor tiled `sizes[i]` times along each dimension (a copy)."""
        if kw:
            sizes = _star_or_keyword(sizes, kw, "repeats", "repeat")
        reps = _api.int_sequence(sizes, "repeat")
        if len(reps) < self._data.ndim:
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                               "of dimensions of tensor")
        return _manip.tile(self, reps)

    def flip(self, *dims, **kw):
        """A copy with the order of elements reversed along `dims` (PyTorch copies)."""
        if kw:
            dims = _star_or_keyword(dims, kw, "dims", "flip")
        dims = _api.int_sequence(dims, "flip")
        if self._data.ndim == 0:  # one dimension of size 1 (PyTorch's)
            _api.reduction_axes(dims, self, "flip")
            return _api.clone(self)
        return _api.clone(_manip.flip(self, axis=dims))

    def roll(self, shifts, dims=None):
        shifts = tuple(shifts) if isinstance(shifts, list) else shifts
        dims = tuple(dims) if isinstance(dims, list) else dims
        if isinstance(shifts, tuple) and isinstance(dims, int):
            dims = (dims,)
        return _manip.roll(self, shifts, axis=dims)

    # PyTorch's in-place view changes: the tensor itself now sees its memory another way.
    def t_(self):
        return _restride(self, _api.t, "t_")

    def transpose_(self, dim0, dim1):
        return _restride(self, lambda x: _api.transpose(x, dim0, dim1), "transpose_")

    def squeeze_(self, dim=None):
        return _restride(self, lambda x: x.squeeze(dim), "squeeze_")

    def unsqueeze_(self, dim):
        return _restride(self, lambda x: _api.unsqueeze(x, dim), "unsqueeze_")

    def swapaxes_(self, axis0, axis1):
        return _restride(self, lambda x: _api.transpose(x, axis0, axis1), "swapaxes_")

    def swapdims_(self, dim0, dim1):
        return _restride(self, lambda x: _api.transpose(x, dim0, dim1), "swapdims_")

    def broadcast_to(self, *size, **kw):
        """torch.broadcast_to(self, size): expand(size); the sizes also as separate ints."""
        return self.expand(_api.int_sequence(_star_or_keyword(size, kw, "size", "broadcast_to"),
                                             "broadcast_to: size"))

    # ----- legacy and layout attributes ---------------------------------------------------
    @property
    def output_nr(self) -> int:
        """Which output of the op that made it this tensor is (0 for leaves and single outputs;
        arraygrad's split and chunk make one view op per piece, so each piece is output 0)."""
        meta = self._meta
        return 0 if meta is None or self.grad_fn is None else meta.out_index

    @property
    def is_meta(self) -> bool:
        """False: arraygrad has no meta (data-less) tensors."""
        return False

    @property
    def layout(self):
        """arraygrad.strided: every tensor is dense."""
        return _api.strided

    @property
    def volatile(self) -> bool:
        """Removed in PyTorch 0.4 (always False, with PyTorch's warning); use no_grad()."""
        import warnings

        warnings.warn("volatile was removed (Variable.volatile is always False)", UserWarning, stacklevel=2)
        return False

    @volatile.setter
    def volatile(self, value) -> None:
        import warnings

        warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` instead.",
                      UserWarning, stacklevel=2)

    def resize(self, *sizes):
        """Deprecated (warns): this tensor reshaped to `sizes`, which must keep its element
        count (autograd's resize, as PyTorch's); resize_ changes the count in place."""
        import warnings

        warnings.warn("non-inplace resize is deprecated", UserWarning, stacklevel=2)
        return self._resized(_shape_args(sizes, "resize"))

    def resize_as(self, tensor):
        """Deprecated (warns): resize(tensor.size())."""
        import warnings

        warnings.warn("non-inplace resize_as is deprecated", UserWarning, stacklevel=2)
        return self._resized(tuple(check_tensor(tensor, "resize_as", "tensor").shape))

    def _resized(self, sizes):
        new, old = math.prod(sizes), self.numel()
        if new != old:
            raise RuntimeError(f"resize: requested resize to {'x'.join(map(str, sizes))} ({new} elements in total), "
                               f"but the given tensor has a size of {'x'.join(map(str, self.shape))} ({old} "
                               "elements). autograd's resize can only change the shape of a given tensor, while "
                               "preserving the number of elements.")
        return self.reshape(sizes)

    # ----- conversions ------------------------------------------------------------------
    def item(self):
        """The value of a one-element tensor as a Python number."""
        n = math.prod(self._data.shape)
        if n != 1:
            raise RuntimeError(f"a Tensor with {n} elements cannot be converted to Scalar")
        return self._backend.to_host(self._data).item()

    def tolist(self):
        """The values as (nested lists of) Python numbers."""
        return self._backend.to_host(self._data).tolist()

    def numpy(self, *, force=False):
        """A NumPy array sharing this CPU tensor's memory (force=True: a detached host copy
        for tensors that require grad or live on a GPU)."""
        return _dlpack.numpy_view(self, force)

    def cpu(self, memory_format=None):
        return _dlpack.to_device(self, "cpu")

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        """This tensor on a CUDA device (`device`: an index, or 'cuda:N'; default the current)."""
        if device is None:
            device = "cuda"
        elif isinstance(device, int) and not isinstance(device, bool):
            device = f"cuda:{device}"
        return _dlpack.to_device(self, device)

    def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False, memory_format=None):
        """This tensor with another device and/or dtype: ``to(device)``, ``to(dtype)``,
        ``to(device, dtype)``, ``to(other_tensor)``. Returns self when nothing changes
        (unless copy=True). Differentiable."""
        flags = []
        for a in args:
            if isinstance(a, DType) or isinstance(a, type) or getattr(a, "name", None) in _NO_SUCH_DTYPES:
                dtype = a
            elif isinstance(a, TorchTensorMethods):
                device, dtype = a.device, a.dtype
            elif isinstance(a, bool):
                flags.append(a)
            elif a is not None:
                device = a
        if len(flags) > 1:
            copy = flags[1]
        out = self
        if device is not None:
            out = _dlpack.to_device(out, device)
        if dtype is not None:
            d = _as_dtype(dtype)
            if d is not out._dtype:
                out = _torch_cast(out, d)
        if copy and out is self:
            out = _api.clone(self)
        return out

    def type(self, dtype=None, non_blocking=False, **kwargs):
        """Without an argument: PyTorch's type name ('torch.FloatTensor'). With a dtype, a
        tensor type (`FloatTensor`, `cuda.LongTensor`) or its name: the converted tensor."""
        if dtype is None:
            dev = self._backend.device.type
            return f"torch.{'' if dev == 'cpu' else dev + '.'}{self._dtype._torch_name}"
        if isinstance(dtype, str):
            dtype = _api.parse_tensor_type(dtype)
        if isinstance(dtype, _api.TensorType):
            out = self.to(dtype=dtype.dtype)
            return out if out._backend.device.type == dtype.device_type else out.to(dtype.device_type)
        if isinstance(dtype, type) and issubclass(dtype, _api.Tensor):  # x.type(torch.Tensor)
            return self.to(dtype=_dtypes.DEFAULT_FLOAT)
        return self.to(dtype=dtype)

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        """A copy of `data` with this tensor's dtype and device (unless given)."""
        return _api.tensor(data, dtype=self._dtype if dtype is None else dtype,
                           device=self.device if device is None else device, requires_grad=requires_grad)

    def new(self, *args):
        """Legacy: new(*size) is an uninitialized tensor, new(data) a copy of data, both with
        this tensor's dtype and device."""
        from ._tensor import Size  # which imports this module

        if len(args) == 1 and not isinstance(args[0], (int, Size)):
            return self.new_tensor(args[0])
        return self.new_empty(*args) if args else self.new_empty(0)

    def type_as(self, other):
        """This tensor cast to `other`'s dtype."""
        return self.to(dtype=check_tensor(other, "type_as", "other").dtype)

    def tril(self, diagonal: int = 0):
        return _creation.tril(self, k=diagonal)

    def triu(self, diagonal: int = 0):
        return _creation.triu(self, k=diagonal)

    def tril_(self, diagonal: int = 0):
        return _inplace.inplace_apply(self, lambda t: _creation.tril(t, k=diagonal), "tril_")

    def triu_(self, diagonal: int = 0):
        return _inplace.inplace_apply(self, lambda t: _creation.triu(t, k=diagonal), "triu_")

    def tile(self, *dims, **kw):
        if kw:
            dims = _star_or_keyword(dims, kw, "dims", "tile")
        return _manip.tile(self, _api.int_sequence(dims, "tile"))

    def diff(self, n: int = 1, dim: int = -1, prepend=None, append=None):
        return _util.diff(self, axis=dim, n=n, prepend=prepend, append=append)

    def count_nonzero(self, dim=None):
        return _search.count_nonzero(self, axis=_api.reduction_axes(dim, self, "count_nonzero"))

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False, **kw):
        return self._new("ones", _star_or_keyword(size, kw, "size", "new_ones"), dtype, device, requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False, **kw):
        return self._new("zeros", _star_or_keyword(size, kw, "size", "new_zeros"), dtype, device, requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False, **kw):
        return self._new("empty", _star_or_keyword(size, kw, "size", "new_empty"), dtype, device, requires_grad)

    def pow(self, exponent):
        """self ** exponent (PyTorch's keyword name, `x.pow(exponent=2)`)."""
        return self ** exponent

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        return _creation.full(_random.sizes((size,), "new_full"), fill_value,
                              dtype=self._dtype if dtype is None else dtype,
                              device=self.device if device is None else device, requires_grad=requires_grad)

    def _new(self, fname, size, dtype, device, requires_grad):
        return getattr(_creation, fname)(_random.sizes(size, f"new_{fname}"),
                                         dtype=self._dtype if dtype is None else dtype,
                                         device=self.device if device is None else device,
                                         requires_grad=requires_grad)

    # ----- arithmetic with PyTorch's keywords ---------------------------------------------
    def add(self, other, *, alpha=1, out=None):
        """self + alpha * other."""
        if alpha == 1 and out is None:
            return binary(_elem.add.op, self, other)
        return _api.torch_binary("add", self, other, {"alpha": alpha, "out": out})

    def sub(self, other, *, alpha=1, out=None):
        """self - alpha * other."""
        return _api.sub(self, other, alpha=alpha, out=out)

    subtract = sub

    def div(self, other, *, rounding_mode=None, out=None):
        """self / other; rounding_mode 'trunc' or 'floor' rounds the quotient."""
        if rounding_mode is None and out is None:
            return binary(_elem.divide.op, self, other)
        return _api.div(self, other, rounding_mode=rounding_mode, out=out)

    divide = div

    def add_(self, other, *, alpha=1):
        return _inplace.inplace_binary(_elem.add.op, self, _api._scaled("add_", self, other, alpha))

    def sub_(self, other, *, alpha=1):
        return _inplace.inplace_binary(_elem.subtract.op, self, _api._scaled("sub_", self, other, alpha))

    subtract_ = sub_

    def div_(self, other, *, rounding_mode=None):
        if rounding_mode is None:
            return _inplace.inplace_binary(_elem.divide.op, self, other)
        return _inplace.inplace_apply(self, lambda t: _api.div(t, other, rounding_mode=rounding_mode),
                                      "div_", (other,))

    divide_ = div_

    def round_(self, decimals=0):
        """round(decimals) in place; returns self."""
        return _api.round_(self, decimals=decimals)

    def round(self, decimals=0):
        """Round half to even, to `decimals` places."""
        if decimals == 0:
            return _elem.round(self)
        scale = 10.0 ** decimals
        return _elem.round(self * scale) / scale

    def clip(self, min=None, max=None):
        return _api.clamp(self, min, max)

    def equal(self, other) -> bool:
        """Whether `other` has this tensor's shape and values (one bool, not elementwise)."""
        check_tensor(other, "equal", "other")
        return tuple(self.shape) == tuple(other.shape) and bool(_util.all(self == other))

    def where(self, condition, other):
        """Elements of self where `condition` holds, else of `other`."""
        return _search.where(condition, self, other)

    def nonzero(self, *, as_tuple=False):
        """Indices of the nonzero elements: an (n, ndim) tensor, or a tuple of 1-D tensors (a
        0-d tensor counts as one element: (1, 0) or (0, 0), PyTorch's)."""
        if self.ndim == 0:
            idx = _search.nonzero(_manip.reshape(self, (1,)))
            return idx if as_tuple else _creation.zeros((idx[0].shape[0], 0), dtype=_dtypes.int64,
                                                        device=self.device)
        idx = _search.nonzero(self)
        return idx if as_tuple else _manip.stack(list(idx), axis=1)

    argwhere = nonzero

    def nonzero_static(self, *, size, fill_value=-1):
        return _api.nonzero_static(self, size=size, fill_value=fill_value)

    def matmul(self, other):
        return _linalg.matmul(self, other)

    @property
    def real(self):
        """The real part: a view of a complex tensor (writes through it reach self, as
        PyTorch's), self itself for a real one."""
        if self._dtype.kind != "c":
            return self
        return _api.view_as_real(self)[..., 0]

    @real.setter
    def real(self, value):
        """z.real = v writes v into the real part (PyTorch's; on a real tensor, all of it)."""
        self.real.copy_(value if isinstance(value, TorchTensorMethods) else _api.tensor(value))

    @property
    def imag(self):
        """The imaginary part: a view of a complex tensor; zeros for a real one."""
        if self._dtype.kind != "c":
            return _elem.imag(self)
        return _api.view_as_real(self)[..., 1]

    @imag.setter
    def imag(self, value):
        """z.imag = v writes v into the imaginary part of a complex tensor."""
        if self._dtype.kind != "c":
            raise RuntimeError(f"imag is not implemented for tensors with non-complex dtypes ({self._dtype})")
        self.imag.copy_(value if isinstance(value, TorchTensorMethods) else _api.tensor(value))

    @property
    def mH(self):
        """The conjugate transpose of the last two axes (PyTorch's; x.mT for real x)."""
        return _elem.conj(self.mT) if self._dtype.kind == "c" else self.mT

    @property
    def H(self):
        """The conjugate transpose of a 2-D tensor (PyTorch's)."""
        return _elem.conj(self.T) if self._dtype.kind == "c" else self.T

    def __contains__(self, element) -> bool:
        if not isinstance(element, (TorchTensorMethods, bool, int, float, complex)):
            raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
                               f"{type(element)}.")
        return bool(_util.any(self == element))

    # ----- reductions, in PyTorch's spelling ---------------------------------------------
    def sum(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        if dim is None and axis is None and dtype is None and not keepdim and not keepdims \
                and self._dtype.kind in "fc":
            return _stat.sum(self)
        dtype = _api.torch_accumulation_dtype(self, dtype)
        return _stat.sum(self, axis=_dims("sum", dim, axis, self), dtype=dtype, keepdims=_keep(keepdim, keepdims))

    def prod(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        dtype = _api.torch_accumulation_dtype(self, dtype)
        return _stat.prod(self, axis=_dims("prod", dim, axis, self), dtype=dtype, keepdims=_keep(keepdim, keepdims))

    def mean(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        x = self if dtype is None else self.astype(dtype)
        return _stat.mean(x, axis=_dims("mean", dim, axis, self), keepdims=_keep(keepdim, keepdims))

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
        """Standard deviation; PyTorch's default divides by N - 1 (unbiased)."""
        return _moment(_stat.std, self, dim, unbiased, keepdim, correction, axis, keepdims)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
        """Variance; PyTorch's default divides by N - 1 (unbiased)."""
        return _moment(_stat.var, self, dim, unbiased, keepdim, correction, axis, keepdims)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The maximum; with an int `dim`, (values, indices) along it; with a tensor, the
        elementwise maximum."""
        return _extremum(self, "max", dim, keepdim, axis, keepdims)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The minimum; with an int `dim`, (values, indices) along it; with a tensor, the
        elementwise minimum."""
        return _extremum(self, "min", dim, keepdim, axis, keepdims)

    def argmax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return _search.argmax(self, axis=_dims("argmax", dim, axis, self), keepdims=_keep(keepdim, keepdims))

    def argmin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return _search.argmin(self, axis=_dims("argmin", dim, axis, self), keepdims=_keep(keepdim, keepdims))

    def all(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        if dim == () and axis is None:  # PyTorch's all(dim=()) reduces nothing: each element's truth
            return self.astype(_dtypes.bool)
        return _util.all(self, axis=_dims("all", dim, axis, self), keepdims=_keep(keepdim, keepdims))

    def any(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        if dim == () and axis is None:  # as all's
            return self.astype(_dtypes.bool)
        return _util.any(self, axis=_dims("any", dim, axis, self), keepdims=_keep(keepdim, keepdims))

    def sort(self, dim=-1, descending=False, stable=False):
        """(values, indices) sorted along `dim`."""
        if self._data.ndim == 0:  # one dimension of size 1 (PyTorch's)
            _api.reduction_axes(dim, self, "sort")
            return _api.return_types["sort"](_api.clone(self), _creation.zeros_like(self, dtype=_dtypes.int64))
        idx = _sorting.argsort(self, axis=dim, descending=descending, stable=True)
        return _api.return_types["sort"](_indexing.take_along_axis(self, idx, axis=dim), idx)

    def argsort(self, dim=-1, descending=False, stable=False):
        if self._data.ndim == 0:  # one dimension of size 1 (PyTorch's)
            _api.reduction_axes(dim, self, "argsort")
            return _creation.zeros_like(self, dtype=_dtypes.int64)
        return _sorting.argsort(self, axis=dim, descending=descending, stable=True)

    # ----- in-place fills -----------------------------------------------------------------
    def zero_(self):
        return _inplace.inplace_apply(self, _creation.zeros_like, "zero_", overwrites="ZeroBackward0")

    def fill_(self, value):
        """Every element set to `value` (a number, or a 0-d tensor: then differentiable)."""
        if isinstance(value, TorchTensorMethods):
            if value.ndim != 0:
                raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                                   f"with {value.ndim} dimensions.")
            return _inplace.inplace_apply(
                self, lambda t: _manip.broadcast_to(value.to(t.device, t.dtype), tuple(t.shape)),
                "fill_", (value,), overwrites="FillBackward3")
        v = _scalar_as(value, self._dtype, "fill_")
        return _inplace.inplace_apply(self, lambda t: _creation.full_like(t, v), "fill_", overwrites="FillBackward2")

    def copy_(self, src, non_blocking=False):
        """Write `src` (broadcast, cast to this dtype, moved to this device) into self; a
        number fills self, as PyTorch's."""
        src = _dtypes.plain_scalar(src)  # NumPy's scalars as the numbers they hold
        if isinstance(src, (bool, int, float, complex)) and not isinstance(src, TorchTensorMethods):
            return self.fill_(src)
        if not isinstance(src, TorchTensorMethods):
            raise TypeError(f"copy_(): src must be a Tensor or a number, got {type(src).__name__}")
        return _inplace.inplace_apply(
            self, lambda t: _manip.broadcast_to(src.to(t.device, t.dtype), tuple(t.shape)), "copy_", (src,),
            overwrites="CopyBackwards")

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        """Fill with uniform random numbers on [a, b)."""
        if a > b:
            raise ValueError(f"uniform_ expects a [from, to) range, but found from={a} > to={b}")
        return _inplace.inplace_apply(
            self, lambda t: _random.rand_like(t, generator=generator) * (b - a) + a, "uniform_")

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        """Fill with normal random numbers."""
        if not isinstance(std, _api.Tensor) and std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        return _inplace.inplace_apply(
            self, lambda t: _random.randn_like(t, generator=generator) * std + mean, "normal_")

    def bernoulli_(self, p=0.5, *, generator=None):
        """Fill with 1 (probability p) or 0."""
        if not isinstance(p, _api.Tensor) and not 0 <= p <= 1:  # a tensor's values are not read
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
        return _inplace.inplace_apply(
            self, lambda t: (_random.rand_like(t, dtype=_dtypes.DEFAULT_FLOAT if t.dtype.kind != "f"
                                               else t.dtype, generator=generator) < p).astype(t.dtype),
            "bernoulli_")

    def float_power_(self, exponent):
        """self <- self ** exponent in double precision: self must be float64 (or complex128),
        as PyTorch requires (the result would not fit a narrower dtype)."""
        if self._dtype not in (_dtypes.float64, _dtypes.complex128):
            raise RuntimeError(f"the base given to float_power_ has dtype {self._dtype} but the "
                               "operation's result requires dtype float64 (or complex128)")
        return _inplace.inplace_apply(self, lambda t: _api.float_power(t, exponent), "float_power_",
                                      (exponent,))

    def masked_fill_(self, mask, value):
        return _inplace.inplace_apply(self, lambda t: _api.masked_fill(t, mask, value), "masked_fill_",
                                      (value,))

    def clamp_(self, min=None, max=None):
        return _inplace.inplace_apply(self, lambda t: _api.clamp(t, min, max), "clamp_", (min, max))

    clip_ = clamp_

    def index_add_(self, dim, index, source, *, alpha=1):
        return _inplace.inplace_apply(self, lambda t: _api.index_add(t, dim, index, source, alpha=alpha),
                                      "index_add_", (source,))

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        return _inplace.inplace_apply(
            self, lambda t: _api.scatter(t, dim, index, src, value=value, reduce=reduce), "scatter_", (src,))

    def scatter_add_(self, dim, index, src):
        return _inplace.inplace_apply(self, lambda t: _api.scatter_add(t, dim, index, src),
                                      "scatter_add_", (src,))

    # ----- more in-place samplers (arraygrad's generators: manual_seed repeats them) ----------
    def exponential_(self, lambd=1.0, *, generator=None):
        """Fill with samples of the exponential distribution of rate `lambd`."""
        _float_only(self, "exponential_")
        if not lambd > 0:
            raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
        return _inplace.inplace_apply(
            self, lambda t: _sampled(t, -_elem.log1p(-_random.rand_like(t, generator=generator)) / lambd),
            "exponential_")

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        """Fill with samples of the Cauchy distribution (location `median`, scale `sigma`)."""
        _float_only(self, "cauchy_")
        if not sigma > 0:
            raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
        return _inplace.inplace_apply(
            self, lambda t: _sampled(t, median + sigma * _elem.tan(
                math.pi * (_random.rand_like(t, generator=generator) - 0.5))), "cauchy_")

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        """Fill with exp(N(mean, std**2)) samples."""
        _float_only(self, "log_normal_")
        if not std > 0:
            raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
        return _inplace.inplace_apply(
            self, lambda t: _sampled(t, _elem.exp(_random.randn_like(t, generator=generator) * std + mean)),
            "log_normal_")

    def geometric_(self, p, *, generator=None):
        """Fill with the number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
        if not 0 < p < 1:
            raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
        if self._dtype.kind in "cb":
            raise TypeError(f"geometric_: not implemented for {self._dtype} tensors")

        def draw(t):
            u = _random.rand_like(t, dtype=_draw_dtype(t), generator=generator)
            k = _elem.ceil(_elem.log1p(-u) / math.log1p(-p))  # -log1p(-u) > 0 unless u == 0
            return _sampled(t, _elem.maximum(k, 1.0).astype(t.dtype))
        return _inplace.inplace_apply(self, draw, "geometric_")

    def random_(self, *args, generator=None, **kwargs):
        """Fill with integers uniform on [from, to): random_() up to 2**mantissa (floats) or
        the dtype's maximum (integers), random_(to), random_(from, to) (to=None: to the same
        top)."""
        if len(args) > 2 or set(kwargs) - {"from", "to"}:
            raise TypeError("random_() takes (to), (from, to) or keywords from=, to=")
        low, high = 0, None
        if len(args) == 1 and "to" not in kwargs and "from" not in kwargs:
            high = args[0]
        else:
            low, high = (*args, None, None)[:2] if args else (0, None)
            low, high = kwargs.get("from", low), kwargs.get("to", high)
        d = self._dtype
        if d.kind == "c":
            raise TypeError(f"random_: not implemented for {d} tensors")
        if high is None:
            if d.kind == "f":
                high = 2 ** {16: 11, 32: 24, 64: 53}[d.bits] + 1
            elif d.kind == "b":
                high = 2
            else:
                high = _dtypes.iinfo(d).max + 1
        if not low < high:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
        wide = _dtypes.int64 if d.kind in "fb" else d
        return _inplace.inplace_apply(
            self, lambda t: _sampled(t, _random.randint_like(t, low, high, dtype=wide, generator=generator).astype(d)),
            "random_")

    def fill_diagonal_(self, fill_value, wrap=False):
        """Write `fill_value` on the main diagonal (all dimensions equal beyond 2-D; wrap:
        tall matrices restart the diagonal every ncols + 1 rows, as NumPy's)."""
        shape = tuple(self._data.shape)
        if len(shape) < 2:
            raise RuntimeError(f"fill_diagonal_: dimensions must larger than 1 (got {len(shape)})")
        if len(shape) > 2 and len(set(shape)) != 1:
            raise RuntimeError(f"fill_diagonal_: all dimensions of input must be of equal length, got {list(shape)}")
        numel = math.prod(shape)
        if len(shape) == 2:
            step = shape[1] + 1
            end = numel if wrap else min(numel, shape[1] * shape[1])
        else:
            step = sum(math.prod(shape[i + 1:]) for i in range(len(shape)))
            end = numel
        positions = _creation.arange(0, end, step, dtype=_dtypes.int64, device=self.device)
        v = fill_value if isinstance(fill_value, TorchTensorMethods) else _scalar_as(fill_value, self._dtype,
                                                                                   "fill_diagonal_")

        def write(t):
            flat = _indexing.setitem_functional(_manip.reshape(t, (-1,)), (positions,), v)
            return _manip.reshape(flat, shape)
        return _inplace.inplace_apply(self, write, "fill_diagonal_")

    # ----- storage-level methods ----------------------------------------------------------
    def pin_memory(self, device=None):
        """This tensor (arraygrad does no page-locking: CPU memory is used as it is)."""
        return self

    def is_pinned(self, device=None) -> bool:
        return False

    def share_memory_(self):
        """This tensor, unchanged: arraygrad does not move memory into shared segments."""
        return self

    def is_shared(self) -> bool:
        return False

    def storage_offset(self) -> int:
        """The position of the first element within the memory this tensor views, in
        elements (0 for a tensor owning its memory, or where the backend exposes no
        addresses)."""
        data = self._data
        root = data
        while getattr(getattr(root, "base", None), "__array_interface__", None) is not None:
            root = root.base
        if root is data:
            return 0
        try:
            return (self.data_ptr() - root.__array_interface__["data"][0]) // self._dtype.itemsize
        except RuntimeError:
            return 0

    def resize_(self, *sizes, memory_format=None):
        """Give this tensor the shape `sizes`, keeping the first elements of its data (in
        row-major order) and zero-filling any new ones. Refused while it requires grad."""
        sizes = _shape_args(sizes, "resize_")
        if any(not isinstance(s, int) or s < 0 for s in sizes):
            raise RuntimeError(f"resize_: sizes must be non-negative ints, got {list(sizes)}")
        if self._requires_grad or _inplace.needs_tracking(self):
            raise RuntimeError("cannot resize variables that require grad")
        new, old = math.prod(sizes), self.numel()
        flat = _manip.reshape(self.detach(), (-1,))
        if new <= old:
            flat = flat[:new]
        else:
            flat = _manip.concat([flat, _creation.zeros((new - old,), dtype=self._dtype, device=self.device)])
        self._data = _api.clone(_manip.reshape(flat, tuple(sizes)))._data
        return self

    def resize_as_(self, tensor, memory_format=None):
        return self.resize_(tuple(check_tensor(tensor, "resize_as_", "tensor").shape))

    def apply_(self, callable):
        """Replace each element x by callable(x) (CPU tensors, Python callables; refused
        while the tensor requires grad, as PyTorch's)."""
        return _map_values(self, "apply_", callable, ())

    def map_(self, tensor, callable):
        """Replace each element x by callable(x, y), y the matching element of `tensor`
        (broadcast to this shape)."""
        if not isinstance(tensor, TorchTensorMethods):
            raise TypeError(f"map_(): argument 'tensor' must be a Tensor, got {type(tensor).__name__}")
        other = _manip.broadcast_to(tensor.detach(), tuple(self.shape))
        return _map_values(self, "map_", callable, (other,))

    # ----- more shape methods ---------------------------------------------------------------
    def take(self, index):
        """PyTorch's take: the elements of this tensor seen as 1-D at `index` (shaped as it)."""
        return _api.torch_take(self, index)

    def moveaxis(self, source, destination):
        return _api.movedim(self, source, destination)

    def sum_to_size(self, *size):
        """The sum of this tensor down to `size` (to which this shape must broadcast)."""
        if len(size) == 1 and isinstance(size[0], (tuple, list)):
            size = tuple(size[0])
        size = tuple(_api.int_sequence(size, "sum_to_size")) if size else ()
        shape = tuple(self._data.shape)
        lead = len(shape) - len(size)
        if lead < 0 or any(s != 1 and s != n for s, n in zip(size, shape[lead:])):
            raise RuntimeError(f"sum_to_size: size {{{list(size)}}} is not expandable to size {{{list(shape)}}}.")
        out = _stat.sum(self, axis=tuple(range(lead))) if lead else self
        axes = tuple(i for i, (s, n) in enumerate(zip(size, shape[lead:])) if s == 1 and n != 1)
        return _stat.sum(out, axis=axes, keepdims=True) if axes else out

    def unfold(self, dimension, size, step):
        """The windows of `size` elements every `step` along `dimension`, as a new last
        dimension: a differentiable copy, read-only (api.read_only), where PyTorch's is a view."""
        nd = self._data.ndim
        d = _normalize(dimension, max(nd, 1), "unfold")
        length = self._data.shape[d] if nd else 1
        if size < 0 or size > length:
            raise RuntimeError(f"maximum size for tensor at dimension {d} is {length} but size is {size}")
        if step <= 0:
            raise RuntimeError(f"step is {step} but must be > 0")
        if nd == 0:
            return _manip.reshape(self, (size,))
        count = (length - size) // step + 1
        starts = _manip.reshape(_creation.arange(count, dtype=_dtypes.int64, device=self.device) * step, (count, 1))
        idx = _manip.reshape(starts + _creation.arange(size, dtype=_dtypes.int64, device=self.device), (-1,))
        picked = _indexing.take(self, idx, axis=d)
        shape = tuple(self._data.shape)
        picked = _manip.reshape(picked, shape[:d] + (count, size) + shape[d + 1:])
        return _api.read_only(_manip.moveaxis(picked, d + 1, -1))


# ----- helpers ----------------------------------------------------------------------------
def _float_only(x, fname):
    if x._dtype.kind != "f":
        raise TypeError(f"{fname}: expected a floating-point tensor, got {x._dtype}")


def _sampled(t, sample):
    """`sample` as the new value of `t`: where t is part of a graph (a non-leaf), PyTorch's
    samplers keep it there with a zero gradient; so does this."""
    if not t.requires_grad:
        return sample
    return _search.where(_creation.zeros(tuple(t.shape), dtype=_dtypes.bool, device=t.device), t, sample)


def _draw_dtype(t):
    return t.dtype if t.dtype.kind == "f" else _dtypes.DEFAULT_FLOAT


def _map_values(x, fname, fn, others):
    if not callable(fn):
        raise TypeError(f"{fname}(): callable must be callable, got {type(fn).__name__}")
    if x._backend.device.type != "cpu":
        raise TypeError(f"{fname} is only implemented on CPU tensors")
    if x._requires_grad or _inplace.needs_tracking(x):
        raise RuntimeError(f"{fname}(): cannot be used on a tensor that requires grad (its values come "
                           "from a Python callable that autograd cannot differentiate)")
    lists = [x.reshape(-1).tolist()] + [o.reshape(-1).tolist() for o in others]
    values = [fn(*vs) for vs in zip(*lists)]
    new = _api.tensor(values, dtype=x._dtype, device=x.device).reshape(tuple(x.shape))
    return _inplace.inplace_apply(x, lambda t: new, fname)


def _normalize(dim, ndim, fname):
    from ._ops import normalize_axis

    return normalize_axis(dim, ndim, fname, "dim")


_NO_SUCH_DTYPES = ("bfloat16",)


def _as_dtype(dtype) -> DType:
    if getattr(dtype, "name", None) in _NO_SUCH_DTYPES:
        raise TypeError(BFLOAT16_UNSUPPORTED)
    return _dtypes.as_dtype(dtype)


def _star_or_keyword(args: tuple, kwargs: dict, key: str, fname: str) -> tuple:
    """PyTorch's three spellings of a sizes argument: `x.reshape(2, 3)`, `x.reshape((2, 3))`
    and `x.reshape(shape=(2, 3))` (the last as the one-element args of the second)."""
    if not kwargs:
        return args
    if set(kwargs) != {key}:
        bad = next(k for k in kwargs if k != key)
        raise TypeError(f"{fname}() got an unexpected keyword argument {bad!r}")
    if args:
        raise TypeError(f"{fname}(): give {key} positionally or as {key}=, not both")
    return (kwargs[key],)


def _shape_args(shape, fname) -> tuple:
    """view/reshape's sizes: varargs ints, or one tuple or list (a tuple of ints as is)."""
    if len(shape) == 1:
        s = shape[0]
        if s.__class__ is tuple:
            return s
        if s.__class__ is int:
            return shape
    elif all(s.__class__ is int for s in shape):
        return shape
    return _api.int_sequence(shape, fname)


def _infer_shape(shape, n) -> tuple:
    """`shape` with its -1 filled in, checked against the element count (PyTorch's errors)."""
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = math.prod(s for s in shape if s != -1)
    if -1 in shape:
        if known == 0 or n % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {n}")
        return tuple(n // known if s == -1 else s for s in shape)
    if known != n or any(s < 0 for s in shape):
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {n}")
    return shape


def _dims(fname, dim, axis, x=None):
    """The standard's axis for PyTorch's `dim` (or the standard's own `axis`). PyTorch's dim 0
    or -1 of a 0-d tensor `x` (a dimension of size 1) is the whole tensor: None."""
    if dim is not None and axis is not None:
        raise TypeError(f"{fname}(): give dim (PyTorch) or axis (array API), not both")
    if axis is not None:
        return _api.reduction_axes(axis)
    return _api.reduction_axes(dim, x, fname)


def _keep(keepdim, keepdims) -> bool:
    return bool(keepdim) or bool(keepdims)


def _moment(fn, x, dim, unbiased, keepdim, correction, axis, keepdims):
    if isinstance(dim, bool):  # x.std(False): PyTorch's old positional `unbiased`
        dim, unbiased = None, dim
    if correction is None:
        correction = 0 if unbiased is False else 1
    elif unbiased is not None:
        raise TypeError(f"{fn.__name__}(): give unbiased or correction, not both")
    return fn(x, axis=_dims(fn.__name__, dim, axis, x), correction=correction, keepdims=_keep(keepdim, keepdims))


def _torch_cast(x, d):
    """x cast to dtype d as PyTorch casts (`to`, `float()`, `copy_`): complex to bool is
    nonzero, complex to another real dtype keeps the real part, with PyTorch's warning (the
    standard's astype refuses both)."""
    if x._dtype.kind == "c" and d.kind != "c":
        if d.kind == "b":
            return x != 0
        warnings.warn("Casting complex values to real discards the imaginary part", UserWarning, stacklevel=4)
        x = _elem.real(x)
        if x._dtype is d:
            return x
    return x.astype(d)


def _extremum(x, name, dim, keepdim, axis, keepdims):
    if isinstance(dim, TorchTensorMethods):
        return (_elem.maximum if name == "max" else _elem.minimum)(x, dim)
    if dim is None or isinstance(dim, (tuple, list)):
        out = getattr(_stat, name)(x, axis=_dims(name, dim, axis, x), keepdims=_keep(keepdim, keepdims))
        # x.max(): PyTorch's overload without dim (amax's node otherwise)
        if dim is None and axis is None and out.grad_fn is not None:
            whole = node_type_named(_stat._MAX, "MaxBackward1") if name == "max" else \
                node_type_named(_stat._MIN, "MinBackward1")
            return named_node(out, whole, x)
        return out
    if x._data.ndim == 0:  # PyTorch's dim 0 / -1 of a 0-d tensor: one dimension of size 1
        _api.reduction_axes(dim, x, name)
        values, idx = _extremum(_manip.reshape(x, (1,)), name, 0, False, None, None)
        return _api.return_types[name](values, idx)
    arg = _search.argmax if name == "max" else _search.argmin
    idx = arg(x, axis=dim, keepdims=True)
    values = _indexing.take_along_axis(x, idx, axis=dim)
    if not keepdim:
        idx, values = _manip.squeeze(idx, dim), _manip.squeeze(values, dim)
    return _api.return_types[name](values, idx)


def _scalar_as(value, d: DType, fname):
    """A Python number converted as PyTorch casts a fill value to dtype `d`."""
    if isinstance(value, complex) and d.kind != "c":
        raise TypeError(f"{fname}: cannot fill a {d} tensor with complex {value!r}")
    if d.kind in "iu":
        return int(value)
    if d.kind == "b":
        return bool(value)
    return value


def _restride(x, view_fn, fname):
    """Make `x` itself see its memory as `view_fn(x)` does (t_, squeeze_, ...)."""
    if _inplace.needs_tracking(x):
        raise RuntimeError(f"{fname}(): changing the shape of a tensor in place is not supported "
                           f"while it (or its base) requires grad; use {fname[:-1]}() instead")
    x._data = view_fn(x)._data
    return x


# ----- the generated families -------------------------------------------------------------
# method -> the function it calls (array-API names, or PyTorch's from _torch_api).
UNARY_METHODS = {
    "abs": "abs", "absolute": "abs", "acos": "acos", "arccos": "acos", "acosh": "acosh",
    "arccosh": "acosh", "asin": "asin", "arcsin": "asin", "asinh": "asinh", "arcsinh": "asinh",
    "atan": "atan", "arctan": "atan", "atanh": "atanh", "arctanh": "atanh", "ceil": "ceil",
    "conj": "conj", "cos": "cos", "cosh": "cosh", "exp": "exp", "expm1": "expm1", "floor": "floor",
    "log": "log", "log1p": "log1p", "log2": "log2", "log10": "log10", "neg": "negative",
    "negative": "negative", "positive": "positive", "reciprocal": "reciprocal", "rsqrt": "rsqrt",
    "round": "round", "sign": "sign", "sgn": "sign", "sin": "sin", "sinh": "sinh", "sqrt": "sqrt", "square": "square",
    "tan": "tan", "tanh": "tanh", "trunc": "trunc", "fix": "trunc", "sigmoid": "sigmoid",
    "relu": "relu", "frac": "frac", "logical_not": "logical_not", "bitwise_not": "bitwise_invert",
    "isnan": "isnan", "isinf": "isinf", "isfinite": "isfinite", "signbit": "signbit",
}
# Predicates change the dtype, so they have no in-place form.
_NO_INPLACE = {"isnan", "isinf", "isfinite", "signbit", "positive"}

BINARY_METHODS = {
    "mul": "multiply", "multiply": "multiply", "true_divide": "divide", "floor_divide": "floor_divide",
    "remainder": "remainder", "fmod": "fmod", "pow": "pow", "atan2": "atan2", "arctan2": "atan2",
    "hypot": "hypot", "logaddexp": "logaddexp", "maximum": "maximum", "minimum": "minimum",
    "copysign": "copysign", "nextafter": "nextafter",
    "logical_and": "logical_and", "logical_or": "logical_or", "logical_xor": "logical_xor",
    "bitwise_and": "bitwise_and", "bitwise_or": "bitwise_or", "bitwise_xor": "bitwise_xor",
    "bitwise_left_shift": "bitwise_left_shift", "bitwise_right_shift": "bitwise_right_shift",
    "eq": "equal", "ne": "not_equal", "not_equal": "not_equal", "lt": "less", "less": "less",
    "le": "less_equal", "less_equal": "less_equal", "gt": "greater", "greater": "greater",
    "ge": "greater_equal", "greater_equal": "greater_equal",
}
_COMPARISONS = {"equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
                "maximum", "minimum", "logaddexp", "nextafter"}

CAST_METHODS = {"float": _dtypes.float32, "double": _dtypes.float64, "long": _dtypes.int64,
                "int": _dtypes.int32, "short": _dtypes.int16, "char": _dtypes.int8,
                "byte": _dtypes.uint8, "bool": _dtypes.bool, "cfloat": _dtypes.complex64,
                "cdouble": _dtypes.complex128, "half": _dtypes.float16}

# PyTorch functions that double as methods (the tensor is their first argument).
API_METHODS = ("cov", "corrcoef", "is_nonzero", "fmax", "fmin", "isposinf", "isneginf", "isreal", "logaddexp2",
               "hsplit", "vsplit", "dsplit", "is_signed", "is_same_size", "clone", "transpose", "swapaxes", "swapdims", "permute", "t", "narrow", "as_strided", "histogram", "chunk",
               "split", "unbind", "flatten", "unflatten", "unsqueeze", "movedim", "index_select",
               "gather", "scatter", "scatter_add", "index_add", "masked_fill", "masked_select",
               "cumsum", "cumprod", "logsumexp", "norm", "amax", "amin", "topk", "allclose",
               "isclose", "mm", "bmm", "mv", "dot", "outer", "ger", "clamp", "clamp_min",
               "clamp_max", "softmax", "log_softmax", "diag", "diagonal", "trace",
               "addmm", "addmv", "baddbmm", "addbmm", "addcmul", "addcdiv", "lerp", "inverse", "det",
               "slogdet", "logdet", "cholesky", "pinverse", "matrix_power", "nan_to_num", "logit", "exp2",
               "xlogy", "deg2rad", "rad2deg", "sinc", "heaviside", "select", "index_fill", "take_along_dim",
               "fliplr", "flipud", "rot90", "kron", "cross", "diagflat", "aminmax", "argwhere",
               "logcumsumexp", "median", "unique", "bincount", "erf", "erfc", "svd", "qr",
               "kthvalue", "cummax", "cummin", "mode", "quantile", "nanquantile", "nanmedian", "nansum",
               "nanmean", "histc", "dist", "diag_embed", "repeat_interleave", "index_copy", "matrix_exp",
               "angle", "inner", "masked_scatter", "msort", "ravel", "renorm", "scatter_reduce",
               "unique_consecutive", "index_put", "put", "bernoulli", "multinomial",
               "lgamma", "digamma", "erfinv", "i0", "mvlgamma", "igamma", "igammac",
               "tensor_split", "vdot", "ldexp", "gcd", "lcm", "float_power",
               "addr", "hardshrink", "prelu", "adjoint", "conj_physical", "conj_physical_", "resolve_conj",
               "resolve_neg", "is_conj", "is_neg", "is_inference", "split_with_sizes", "unsafe_split",
               "unsafe_chunk", "unsafe_split_with_sizes", "slice_scatter", "select_scatter", "diagonal_scatter",
               "frexp", "lu", "lu_solve", "cholesky_solve", "cholesky_inverse", "triangular_solve", "orgqr",
               "index_reduce", "narrow_copy", "stft", "istft")
# ... and of those, the ones with an in-place form (`x.addcmul_(a, b)`: x = addcmul(x, a, b))
API_INPLACE = ("addmm", "addmv", "baddbmm", "addbmm", "addcmul", "addcdiv", "lerp", "nan_to_num",
               "logit", "exp2", "xlogy", "deg2rad", "rad2deg", "sinc", "heaviside", "index_fill",
               "clamp_min", "clamp_max", "erf", "erfc", "index_copy", "masked_scatter", "renorm",
               "scatter_reduce", "index_put", "put", "lgamma", "digamma", "erfinv", "i0", "mvlgamma",
               "igamma", "igammac", "ldexp", "gcd", "lcm", "float_power", "cumsum", "cumprod", "addr",
               "index_reduce")


def _function(name):
    return getattr(_elem, name, None) or getattr(_api, name)


def _define(name, method, doc):
    if name in TorchTensorMethods.__dict__:  # written out above: that one wins
        return
    method.__name__ = method.__qualname__ = name
    method.__doc__ = doc
    setattr(TorchTensorMethods, name, method)


def _inplace_api(fn, name):
    def method(self, *args, **kwargs):
        others = tuple(a for a in (*args, *kwargs.values()) if isinstance(a, _api.Tensor))
        return _inplace.inplace_apply(self, lambda t: fn(t, *args, **kwargs), name, others)
    return method


def _unary_method(fn):
    op = getattr(fn, "op", None)
    if op is not None:
        return lambda self: unary(op, self)
    return lambda self: fn(self)


def _binary_method(fn):
    op = getattr(fn, "op", None)
    if op is not None:
        return lambda self, other: binary(op, self, other)
    return lambda self, other: fn(self, other)


def _inplace_unary(fn, fname):
    return lambda self: _inplace.inplace_apply(self, fn, fname)


def _inplace_binary(fn, fname):
    op = getattr(fn, "op", None)
    if op is not None:
        return lambda self, other: _inplace.inplace_binary(op, self, other)
    return lambda self, other: _inplace.inplace_apply(self, lambda t: fn(t, other), fname, (other,))


def _inplace_comparison(fn, fname):
    """x.eq_(other) and the like: x <- (x == other), in x's own dtype (PyTorch's)."""
    def method(self, other):
        others = (other,) if isinstance(other, _api.Tensor) else ()
        return _inplace.inplace_apply(self, lambda t: fn(t, other).astype(t.dtype), fname, others)
    return method


def _cast_method(d):
    return lambda self: self.to(dtype=d)


def _bfloat16(self):
    raise TypeError(BFLOAT16_UNSUPPORTED)


def install() -> None:
    """Bind the op modules and attach the generated methods (called once, by _torch_api)."""
    global _api, _stat, _manip, _elem, _search, _sorting, _util, _creation, _indexing
    global _linalg, _inplace, _dlpack, _printing, _random
    from . import _dlpack, _inplace, _printing, _random  # noqa: F811
    from . import _torch_api as _api  # noqa: F811
    from ._ops import creation as _creation  # noqa: F811
    from ._ops import elementwise as _elem  # noqa: F811
    from ._ops import indexing as _indexing  # noqa: F811
    from ._ops import linear_algebra as _linalg  # noqa: F811
    from ._ops import manipulation as _manip  # noqa: F811
    from ._ops import searching as _search  # noqa: F811
    from ._ops import sorting as _sorting  # noqa: F811
    from ._ops import statistical as _stat  # noqa: F811
    from ._ops import utility as _util  # noqa: F811

    for name in API_METHODS:
        fn = getattr(_api, name)
        if name not in TorchTensorMethods.__dict__:
            setattr(TorchTensorMethods, name, fn)
    for name in API_INPLACE:
        _define(name + "_", _inplace_api(getattr(_api, name), name + "_"),
                f"self = {name}(self, ...), in place; returns self.")
    for name, fname in UNARY_METHODS.items():
        fn = _function(fname)
        _define(name, _unary_method(fn), f"{fname}(self), elementwise.")
        if name not in _NO_INPLACE:
            _define(name + "_", _inplace_unary(fn, name + "_"), f"self = {fname}(self), in place; returns self.")
    for name, fname in BINARY_METHODS.items():
        fn = _function(fname)
        _define(name, _binary_method(fn), f"{fname}(self, other), elementwise.")
        if fname not in _COMPARISONS:
            _define(name + "_", _inplace_binary(fn, name + "_"),
                    f"self = {fname}(self, other), in place; returns self.")
        elif fname in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal"):
            _define(name + "_", _inplace_comparison(fn, name + "_"),
                    f"self = {fname}(self, other) in self's dtype (1 or 0), in place; returns self.")
    for name, d in CAST_METHODS.items():
        _define(name, _cast_method(d), f"self.to({d!r}) (self when it already has that dtype).")
    _define("bfloat16", _bfloat16, BFLOAT16_UNSUPPORTED)
