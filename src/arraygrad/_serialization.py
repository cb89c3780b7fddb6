"""`arraygrad.save` / `arraygrad.load`: tensors and containers of them in a safe file format.

A file is an uncompressed `.npz` (zip) archive: one `.npy` entry per tensor ("t0", "t1",
...) and a JSON manifest (entry "manifest", its UTF-8 bytes as uint8) describing the saved
object: None, bools, numbers, strings, lists, tuples, dicts (any of these as keys;
OrderedDicts, as state dicts are, stay OrderedDicts: format version 2), bytes, sets,
dtypes, devices, Sizes, NumPy scalars and arrays (an entry of their own; version 3), and
tensors, referenced by entry name with their dtype, device, requires_grad and whether they
were Parameters. A tensor saved twice is stored once and loads as one object.

Loading never unpickles arraygrad files (`np.load(allow_pickle=False)`), so a file can hold
data only, never code. `load` also reads the files `torch.save` writes (its zip format),
as PyTorch's `weights_only=True` does: through an unpickler that knows only tensors and
plain containers (`_torch_files`). Any other file is refused with a ValueError naming the
file and the problem.
"""

from __future__ import annotations

import io
import json
import math
import os
from collections import OrderedDict

__all__ = ["save", "load"]

FORMAT = "arraygrad"
VERSION = 3  # 2: OrderedDicts ("$odict"); 3: NumPy arrays and scalars, bytes, sets, dtypes,
# devices and Sizes; a file is written with the oldest version that holds what it has
_MANIFEST = "manifest"
_ZIP_MAGIC = b"PK\x03\x04"


# ----------------------------------------------------------------------------------------
# save
# ----------------------------------------------------------------------------------------
class _Writer:
    """Encodes an object tree into JSON-able values, collecting tensors as host arrays."""

    def __init__(self):
        self.arrays: dict = {}
        self.names: dict[int, str] = {}  # id(tensor) -> entry name (shared tensors once)
        self.keep: list = []  # the tensors, alive until the arrays are written (ids stay unique)
        self.version = 1  # the oldest format version that can hold what was encoded

    def encode(self, obj, where: str):
        from ._dispatch import Tensor

        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if type(obj).__module__ == "numpy" and not isinstance(obj, (int, float, complex)):
            return self._numpy(obj, where)  # np.int64(3), np.float32 scalars; ndarrays
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            return obj if math.isfinite(obj) else {"$float": repr(obj)}
        if isinstance(obj, complex):
            return {"$complex": [self.encode(obj.real, where), self.encode(obj.imag, where)]}
        if isinstance(obj, Tensor):
            return self._tensor(obj)
        extra = self._extra(obj, where)
        if extra is not None:
            return extra
        if isinstance(obj, (list, tuple)):
            items = [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]
            return items if isinstance(obj, list) else {"$tuple": items}
        if isinstance(obj, dict):
            items = [[self.encode(k, f"{where} key {k!r}"), self.encode(v, f"{where}[{k!r}]")]
                     for k, v in obj.items()]
            if isinstance(obj, OrderedDict):  # a state dict: loads as one, as PyTorch's
                self.version = max(self.version, 2)
                return {"$odict": items}
            return {"$dict": items}
        hint = ""
        if hasattr(obj, "state_dict") and callable(obj.state_dict):  # a Module, Optimizer, scheduler
            hint = (f" (save its state_dict() instead, and load it into a new {type(obj).__name__} "
                    "with load_state_dict(); arraygrad files never hold code, so a whole object cannot be saved)")
        raise TypeError(f"save: cannot store a {type(obj).__name__} (at {where}); arraygrad files "
                        "hold tensors, numbers, strings, None, and lists, tuples and dicts of them" + hint)

    def _extra(self, obj, where):
        """What format version 3 adds: bytes, sets, dtypes, devices, Sizes (None: not one)."""
        import base64

        from ._device import Device
        from ._dtypes import DType
        from ._tensor import Size

        if isinstance(obj, Size):
            tagged = {"$size": [int(v) for v in obj]}
        elif isinstance(obj, (bytes, bytearray)):
            tagged = {"$bytes": base64.b64encode(bytes(obj)).decode("ascii")}
        elif isinstance(obj, (set, frozenset)):
            tag = "$set" if isinstance(obj, set) else "$frozenset"
            tagged = {tag: [self.encode(v, f"{where} element") for v in obj]}
        elif isinstance(obj, DType):
            tagged = {"$dtype": obj.name}
        elif isinstance(obj, Device):
            tagged = {"$device": str(obj)}
        else:
            return None
        self.version = max(self.version, 3)
        return tagged

    def _numpy(self, obj, where):
        """A NumPy array (stored as an entry of its own, loaded back as an ndarray) or scalar."""
        import numpy as np

        if obj.dtype.kind in "OSUVMm":
            raise TypeError(f"save: cannot store a NumPy {obj.dtype} {'array' if obj.ndim else 'scalar'} "
                            f"(at {where}): only numeric and bool NumPy data")
        self.version = max(self.version, 3)
        if isinstance(obj, np.ndarray):
            name = f"a{len(self.arrays)}"
            self.arrays[name] = obj
            return {"$ndarray": name, "dtype": obj.dtype.name}
        return {"$npscalar": [obj.dtype.name, self.encode(obj.item(), where)]}

    def _tensor(self, t) -> dict:
        from .nn.parameter import Parameter

        name = self.names.get(id(t))
        if name is None:
            name = self.names[id(t)] = f"t{len(self.names)}"
            self.arrays[name] = t._backend.to_host(t._data)
            self.keep.append(t)
        return {"$tensor": name, "dtype": t.dtype.name, "device": str(t.device),
                "requires_grad": t.requires_grad, "parameter": isinstance(t, Parameter)}


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False) -> None:
    """Write `obj` (a tensor, a state dict, optimizer state, or lists/tuples/dicts holding
    tensors, numbers, strings and None) to `f`, a path or a writable binary file.
    PyTorch's pickle settings are accepted and ignored: arraygrad files hold no pickles."""
    import numpy as np

    writer = _Writer()
    encoded = writer.encode(obj, "obj")
    manifest = {"format": FORMAT, "version": writer.version, "object": encoded}
    blob = json.dumps(manifest, allow_nan=False).encode("utf-8")
    entries = dict(writer.arrays)
    entries[_MANIFEST] = np.frombuffer(blob, dtype=np.uint8)
    if hasattr(f, "write"):
        np.savez(f, **entries)
        return
    path = os.fspath(f)
    tmp = path + ".tmp"
    try:
        with open(tmp, "wb") as fh:  # a file object: np.savez would append ".npz" to a path
            np.savez(fh, **entries)
        os.replace(tmp, path)  # a crash mid-write never leaves a truncated file at `path`
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


# ----------------------------------------------------------------------------------------
# load
# ----------------------------------------------------------------------------------------
def _describe(f) -> str:
    if hasattr(f, "read"):
        return repr(getattr(f, "name", f))
    return repr(os.fspath(f))


class _Reader:
    """Decodes the manifest's object tree, turning tensor references into Tensors."""

    def __init__(self, archive, fname: str, map_location):
        self.archive = archive
        self.fname = fname
        self.map_location = map_location
        self.loaded: dict = {}

    def bad(self, what: str):
        return ValueError(f"load: {self.fname} is not a valid arraygrad file: {what}")

    def decode(self, obj):
        if obj is None or isinstance(obj, (bool, int, float, str)):
            return obj
        if isinstance(obj, list):
            return [self.decode(v) for v in obj]
        if not isinstance(obj, dict) or len(obj) == 0:
            raise self.bad(f"unexpected manifest entry {obj!r}")
        if "$tensor" in obj:
            return self._tensor(obj)
        (tag, value), = obj.items() if len(obj) == 1 else ((None, None),)
        if tag == "$tuple" and isinstance(value, list):
            return tuple(self.decode(v) for v in value)
        if tag in ("$dict", "$odict") and isinstance(value, list):
            out = {} if tag == "$dict" else OrderedDict()
            for pair in value:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise self.bad(f"malformed dict item {pair!r}")
                key = self.decode(pair[0])
                try:
                    out[key] = self.decode(pair[1])
                except TypeError:  # an unhashable key
                    raise self.bad(f"dict key {key!r} is not hashable") from None
            return out
        if tag == "$float" and value in ("nan", "inf", "-inf"):
            return float(value)
        if tag == "$complex" and isinstance(value, list) and len(value) == 2:
            return complex(self.decode(value[0]), self.decode(value[1]))
        if "$ndarray" in obj:
            return self._ndarray(obj)
        decoded = self._extra(tag, value)
        if decoded is not None:
            return decoded
        raise self.bad(f"unexpected manifest entry {obj!r}")

    def _extra(self, tag, value):
        """Format version 3's values (None: not one of them)."""
        import base64

        import numpy as np

        try:
            if tag == "$size" and isinstance(value, list):
                from ._tensor import Size

                return Size(value)
            if tag == "$bytes" and isinstance(value, str):
                return base64.b64decode(value.encode("ascii"), validate=True)
            if tag in ("$set", "$frozenset") and isinstance(value, list):
                items = [self.decode(v) for v in value]
                return set(items) if tag == "$set" else frozenset(items)
            if tag == "$dtype" and isinstance(value, str):
                from ._dtypes import as_dtype

                return as_dtype(value)
            if tag == "$device" and isinstance(value, str):
                from ._device import device

                return device(value)
            if tag == "$npscalar" and isinstance(value, list) and len(value) == 2:
                dtype = np.dtype(value[0])
                if dtype.kind in "OSUVMm":
                    raise ValueError(f"dtype {dtype}")
                return dtype.type(self.decode(value[1]))
        except (TypeError, ValueError) as exc:
            raise self.bad(f"unreadable {tag} entry {value!r} ({exc})") from None
        return None

    def _ndarray(self, ref: dict):
        name = ref.get("$ndarray")
        if not isinstance(name, str) or name == _MANIFEST or name not in self.archive.files:
            raise self.bad(f"the manifest names an array entry {name!r} that the archive lacks")
        try:
            host = self.archive[name]
        except Exception as exc:
            raise self.bad(f"entry {name!r} cannot be read ({exc})") from None
        if host.dtype.name != ref.get("dtype"):
            raise self.bad(f"entry {name!r} has dtype {host.dtype}, the manifest says {ref.get('dtype')!r}")
        return host

    def _tensor(self, ref: dict):
        name = ref.get("$tensor")
        if name in self.loaded:
            return self.loaded[name]
        if not isinstance(name, str) or name == _MANIFEST or name not in self.archive.files:
            raise self.bad(f"the manifest names a tensor entry {name!r} that the archive lacks")
        try:
            host = self.archive[name]
        except Exception as exc:  # object arrays (pickles), truncated or corrupt entries
            raise self.bad(f"entry {name!r} cannot be read ({exc})") from None
        dtype = ref.get("dtype")
        if not isinstance(dtype, str) or host.dtype.name != dtype:
            raise self.bad(f"entry {name!r} has dtype {host.dtype}, the manifest says {ref.get('dtype')!r}")
        t = self.place(host, str(ref.get("device", "cpu")))
        if ref.get("parameter"):
            from .nn.parameter import Parameter

            t = Parameter(t, bool(ref.get("requires_grad", True)))
        elif ref.get("requires_grad"):
            t.requires_grad_(True)
        self.loaded[name] = t
        return t

    def place(self, host, saved_device: str):
        """The tensor of host array `host`, on the device map_location picks."""
        from ._dispatch import Tensor, wrap
        from ._ops.creation import backend_for

        ml = self.map_location
        if callable(ml) and not isinstance(ml, (str, dict)):
            out = ml(_host_tensor(host), saved_device)
            if not isinstance(out, Tensor):
                raise TypeError(f"load: map_location returned a {type(out).__name__}, not a Tensor")
            return out
        target = saved_device
        if isinstance(ml, dict):
            target = ml.get(saved_device, saved_device)
        elif ml is not None:
            target = ml
        try:
            b = backend_for(target)
        except Exception as exc:
            raise RuntimeError(f"load: {self.fname} holds tensors saved on {saved_device}, which is "
                               f"not available here ({exc}); pass map_location='cpu'") from exc
        data = host if isinstance(host, b.array_type) else b.from_host(host)
        return wrap(data, b)


def _host_tensor(host):
    from ._dispatch import wrap
    from ._ops.creation import backend_for

    b = backend_for("cpu")
    return wrap(host if isinstance(host, b.array_type) else b.from_host(host), b)


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Read what `save` wrote to `f` (a path or a readable binary file).

    map_location: where the tensors go: None (where they were saved), a device ("cpu",
    "cuda:0"), a dict {saved device: device}, or a function (cpu_tensor, saved_device) ->
    tensor. `weights_only`, `pickle_module`, `mmap` and pickle arguments are accepted for
    PyTorch compatibility: arraygrad files never hold code, so loading is always
    weights-only, and always reads the file into memory.
    """
    import zipfile

    import numpy as np

    fname = _describe(f)
    opened = None
    if not hasattr(f, "read"):
        opened = f = open(os.fspath(f), "rb")
    try:
        head = f.read(4)
        f.seek(-len(head), io.SEEK_CUR)
        if head != _ZIP_MAGIC:
            hint = (" (it looks like a pickle, e.g. from torch.save's legacy format, "
                    "_use_new_zipfile_serialization=False, which arraygrad does not read; save it again with "
                    "torch's default format)") if head[:1] == b"\x80" else ""
            raise ValueError(f"load: {fname} is not an arraygrad file: not an .npz (zip) archive{hint}")
        try:
            archive = np.load(f, allow_pickle=False)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise ValueError(f"load: {fname} is not a valid arraygrad file: the archive is "
                             f"corrupt ({exc})") from None
        with archive:
            if _MANIFEST not in archive.files:
                if any(n.endswith("data.pkl") for n in archive.zip.namelist()):  # torch.save's layout
                    from ._torch_files import load_torch_zip

                    return load_torch_zip(archive.zip, fname, _Reader(None, fname, map_location).place)
                raise ValueError(f"load: {fname} is not an arraygrad file: it has no manifest "
                                 "(a plain .npz archive?)")
            try:
                manifest = json.loads(archive[_MANIFEST].tobytes().decode("utf-8"))
            except Exception as exc:
                raise ValueError(f"load: {fname} is not a valid arraygrad file: unreadable "
                                 f"manifest ({exc})") from None
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT \
                    or "object" not in manifest:
                raise ValueError(f"load: {fname} is not an arraygrad file: the manifest is not in "
                                 "arraygrad's format")
            version = manifest.get("version")
            if not isinstance(version, int) or version > VERSION:
                raise ValueError(f"load: {fname} has format version {version!r}; this arraygrad reads "
                                 f"versions up to {VERSION}")
            return _Reader(archive, fname, map_location).decode(manifest["object"])
    finally:
        if opened is not None:
            opened.close()
