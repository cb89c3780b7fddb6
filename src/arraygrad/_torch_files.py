"""Reading the files `torch.save` writes (its zip format, the default since PyTorch 1.6), so
that PyTorch checkpoints and pretrained weights load into arraygrad without PyTorch.

Such a file is a zip of `data.pkl`, a pickle of the saved object, and one entry per tensor
storage (`data/<key>`, raw little-endian bytes). The pickle is read as PyTorch's
`weights_only=True` reads it: an unpickler that resolves only the names a weights file
holds (the tensor and Parameter rebuilders, storage types, OrderedDict, Size, device,
dtypes, sets, bytes, NumPy scalars) and refuses every other one, so a file can never run
code here. A whole pickled Module is refused with the advice to save its state_dict().
"""

from __future__ import annotations

import collections
import pickle
import zipfile

import numpy as np

__all__ = ["load_torch_zip"]

# storage class -> NumPy dtype ("BFloat16" is read into float32, exactly: arraygrad has no bfloat16)
_STORAGE_DTYPES = {
    "FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32", "ShortStorage": "int16",
    "CharStorage": "int8", "ByteStorage": "uint8", "BoolStorage": "bool", "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128", "UInt16Storage": "uint16", "UInt32Storage": "uint32",
    "UInt64Storage": "uint64",
}
_TORCH_DTYPES = {
    "float32": "float32", "float": "float32", "float64": "float64", "double": "float64", "float16": "float16",
    "half": "float16", "bfloat16": "bfloat16", "int64": "int64", "long": "int64", "int32": "int32",
    "int": "int32", "int16": "int16", "short": "int16", "int8": "int8", "uint8": "uint8", "bool": "bool",
    "complex64": "complex64", "cfloat": "complex64", "complex128": "complex128", "cdouble": "complex128",
    "uint16": "uint16", "uint32": "uint32", "uint64": "uint64",
}


class _StorageType:
    """A storage class named in the pickle (torch.FloatStorage, UntypedStorage): its dtype."""

    def __init__(self, dtype: str | None):
        self.dtype = dtype


class _TorchDtype:
    """A torch dtype named in the pickle (torch.float32): the NumPy dtype it stands for."""

    def __init__(self, name: str):
        self.name = _TORCH_DTYPES[name]


class _Storage:
    """One storage's bytes, read as elements of `dtype`, and where it was saved."""

    def __init__(self, raw: bytes, dtype: str | None, location: str, big_endian: bool):
        self.raw, self.dtype, self.location, self.big_endian = raw, dtype, location, big_endian

    def elements(self, dtype: str):
        if dtype == "bfloat16":  # the upper half of a float32: exact
            halves = np.frombuffer(self.raw, dtype=">u2" if self.big_endian else "<u2")
            return (halves.astype(np.uint32) << 16).view(np.float32)
        arr = np.frombuffer(self.raw, dtype=np.dtype(dtype).newbyteorder(">" if self.big_endian else "<"))
        return arr.astype(np.dtype(dtype), copy=False)


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, zf, prefix, fname, place, big_endian):
        super().__init__(file)
        self.zf, self.prefix, self.fname, self.place, self.big_endian = zf, prefix, fname, place, big_endian
        self.storages: dict = {}

    def find_class(self, module, name):
        found = _allowed(self, module, name)
        if found is None:
            hint = (" (a whole model pickled by torch.save(model): save model.state_dict() with torch "
                    "and load that into the arraygrad model)" if module not in ("torch", "builtins") else "")
            raise pickle.UnpicklingError(
                f"load: {self.fname} holds a {module}.{name}, which is not data; arraygrad reads "
                f"torch.save files as weights only (tensors, numbers, strings and containers){hint}")
        return found

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"load: {self.fname}: unexpected persistent id {pid!r}")
        _, kind, key, location, _ = pid
        storage = self.storages.get(key)
        if storage is None:
            try:
                raw = self.zf.read(f"{self.prefix}data/{key}")
            except KeyError:
                raise pickle.UnpicklingError(f"load: {self.fname} lacks the storage entry {key!r}") from None
            dtype = kind.dtype if isinstance(kind, _StorageType) else None
            storage = self.storages[key] = _Storage(raw, dtype, str(location), self.big_endian)
        return storage

    # the tensors' rebuilders (torch._utils)
    def rebuild_tensor(self, storage, offset, size, stride, requires_grad=False, hooks=None, metadata=None):
        return self._tensor(storage, storage.dtype, offset, size, stride, requires_grad)

    def rebuild_tensor_v3(self, storage, offset, size, stride, requires_grad, hooks, dtype, metadata=None):
        return self._tensor(storage, dtype.name, offset, size, stride, requires_grad)

    def _tensor(self, storage, dtype, offset, size, stride, requires_grad):
        if dtype is None:
            raise pickle.UnpicklingError(f"load: {self.fname}: a tensor's storage has no dtype")
        elements = storage.elements(dtype)
        itemsize = elements.dtype.itemsize
        view = np.lib.stride_tricks.as_strided(elements[offset:], shape=tuple(size),
                                               strides=tuple(s * itemsize for s in stride), writeable=False)
        t = self.place(np.array(view), storage.location)  # a copy: the file's bytes stay read-only
        if requires_grad:
            t.requires_grad_(True)
        return t

    def rebuild_parameter(self, data, requires_grad, hooks, state=None):
        from .nn.parameter import Parameter

        return Parameter(data.detach(), bool(requires_grad))


def _allowed(u, module, name):
    """What a name in the pickle stands for, or None: PyTorch's weights_only allowlist."""
    from ._device import device
    from ._dtypes import _BY_NAME
    from ._tensor import Size

    if module == "torch._utils":
        return {"_rebuild_tensor_v2": u.rebuild_tensor, "_rebuild_tensor": u.rebuild_tensor,
                "_rebuild_tensor_v3": u.rebuild_tensor_v3, "_rebuild_parameter": u.rebuild_parameter,
                "_rebuild_parameter_with_state": u.rebuild_parameter}.get(name)
    if module in ("torch", "torch.storage") and name in _STORAGE_DTYPES:
        return _StorageType(_STORAGE_DTYPES[name])
    if module in ("torch", "torch.storage") and name in ("UntypedStorage", "_UntypedStorage"):
        return _StorageType(None)
    if module == "torch":
        if name in _TORCH_DTYPES:  # arraygrad's dtype (a placeholder naming bfloat16, which it lacks)
            return _BY_NAME.get(_TORCH_DTYPES[name]) or _TorchDtype(name)
        return {"Size": Size, "device": device}.get(name)
    if module == "collections" and name == "OrderedDict":
        return collections.OrderedDict
    if module in ("builtins", "__builtin__") and name in ("set", "frozenset", "complex", "slice", "range",
                                                         "bytearray", "dict", "list", "tuple"):
        return getattr(__import__("builtins"), name)
    if module == "_codecs" and name == "encode":  # protocol 2's bytes
        import codecs

        return codecs.encode
    if module in ("numpy.core.multiarray", "numpy._core.multiarray") and name == "scalar":
        return _numpy_scalar
    if module == "numpy" and name == "dtype":
        return _numpy_dtype
    return None


def _numpy_dtype(name, *args):
    dtype = np.dtype(name)
    if dtype.kind in "OV":
        raise pickle.UnpicklingError(f"load: a NumPy {dtype} value is not data")
    return dtype


def _numpy_scalar(dtype, data=None):
    if not isinstance(dtype, np.dtype) or not isinstance(data, (bytes, bytearray)):
        raise pickle.UnpicklingError("load: malformed NumPy scalar")
    return np.frombuffer(data, dtype=dtype, count=1)[0]


def load_torch_zip(zf: zipfile.ZipFile, fname: str, place):
    """The object torch.save wrote into the zip archive `zf`; place(host_array,
    saved_location) makes each tensor."""
    pkl = next(n for n in zf.namelist() if n.endswith("data.pkl"))
    prefix = pkl[:-len("data.pkl")]
    big_endian = False
    if f"{prefix}byteorder" in zf.namelist():
        big_endian = zf.read(f"{prefix}byteorder").strip() == b"big"
    with zf.open(pkl) as data:
        unpickler = _Unpickler(data, zf, prefix, fname, place, big_endian)
        try:
            return unpickler.load()
        except pickle.UnpicklingError as exc:
            raise ValueError(str(exc)) from None
