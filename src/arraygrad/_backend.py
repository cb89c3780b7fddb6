"""The backend plugin interface: one array library bound to one device.

A plugin subclasses `Backend`, names itself and its device type, and says how to import
its array-API namespace. Everything else the core needs (the array class, dtype maps,
function lookup) is derived here from that namespace, so a plugin for any conforming
library is a few lines. A plugin can replace any function of its namespace through
`overrides` (workarounds for where the library departs from the standard live there,
never in the core).
"""

from __future__ import annotations

import contextlib
import functools
import types
from typing import Any, Callable, ClassVar

from . import _dtypes
from ._device import Device

__all__ = ["Backend", "BackendUnavailableError"]


class BackendUnavailableError(ImportError, RuntimeError):
    """A registered backend (or one of its devices) cannot be used; the cause is chained.
    Also a RuntimeError: what PyTorch raises for a CUDA device it cannot initialize, and
    what code written for it catches."""


class _FunctionCache(dict):
    """name -> the backend's callable, resolved on first use (override, namespace, generic)."""

    __slots__ = ("backend",)

    def __init__(self, backend: "Backend"):
        super().__init__()
        self.backend = backend

    def __missing__(self, name: str) -> Callable:
        fn = self.backend._resolve(name)
        self[name] = fn
        return fn


class Backend:
    """Base class of backend plugins. One instance serves one device.

    Subclasses set `name`, `device_type`, and implement `load_namespace()`; multi-device
    backends also implement `device_count()`, `current_device()` and `device_context()`.
    """

    name: ClassVar[str] = ""
    device_type: ClassVar[str] = "cpu"
    #: array-API name (e.g. "floor_divide", "linalg.eigh") -> replacement taking backend arrays.
    overrides: ClassVar[dict[str, Callable]] = {}
    #: whether arrays support in-place writes (`x[...] = y`, `x += y`) and memory views.
    mutable_arrays: ClassVar[bool] = True
    #: whether arrays are computed on demand (Dask): reading a value would compute the whole
    #: graph before it, so the core skips the checks that read values (indices in range;
    #: PyTorch's CUDA kernels check those asynchronously) and the rules take no shortcut
    #: that depends on values (tests/test_lazy_reads.py holds the core to it).
    lazy: ClassVar[bool] = False
    #: whether integer index arrays out of range wrap around (CuPy) instead of raising: the
    #: core then checks them (an error, as NumPy's and PyTorch's, not a silent wrong value).
    wraps_indices: ClassVar[bool] = False
    #: whether creating arrays needs `device_context()` (several devices of this type).
    multi_device: ClassVar[bool] = False

    _namespace_cache: ClassVar[Any] = None

    # ----- plugin hooks -------------------------------------------------------------------
    @classmethod
    def load_namespace(cls):
        """Import and return the library's array-API namespace (raise ImportError if absent)."""
        raise NotImplementedError(f"backend {cls.name!r} does not implement load_namespace()")

    @classmethod
    def device_count(cls) -> int:
        """How many devices of `device_type` this backend can use now (0: none)."""
        return 1

    @classmethod
    def current_device(cls) -> int | None:
        """The index a device named without one refers to ("cuda" -> the current GPU)."""
        return None

    def device_context(self):
        """A context manager making this backend's device current (multi-device backends)."""
        return contextlib.nullcontext()

    def native_device(self):
        """The library's own device object for `device=` arguments (None: the default)."""
        return None

    @classmethod
    def set_current_device(cls, index: int) -> None:
        """Make device `index` the one a device named without an index means (multi-device
        backends; `arraygrad.cuda.set_device`)."""
        if index != 0:
            raise ValueError(f"backend {cls.name!r} has one device; device index {index} does not exist")

    def synchronize_device(self) -> None:
        """Wait until the work queued on this device is done (asynchronous libraries;
        `cuda.synchronize`)."""

    def release_cached_memory(self) -> None:
        """Give memory the library keeps for reuse back to the device (`empty_cache`)."""

    def memory_in_use(self) -> tuple[int, int]:
        """(bytes held by arrays, bytes the library holds in all) on this device; (0, 0) where
        the library does not keep count."""
        return 0, 0

    def device_name(self) -> str:
        """The device's name, as its driver gives it."""
        return str(self.device)

    # ----- derived, shared by all plugins --------------------------------------------------
    @classmethod
    def namespace(cls):
        if cls._namespace_cache is None:
            cls._namespace_cache = cls.load_namespace()
        return cls._namespace_cache

    def __init__(self, index: int | None = None):
        xp = type(self).namespace()
        self.xp = xp
        self.index = index
        self.device = Device(self.device_type, index, self.name)
        self.fn = _FunctionCache(self)
        # creation needs device= / device_context() unless the library's default device is ours
        self._plain_create = not self.multi_device and self.native_device() is None
        with self.device_context():
            probe = xp.empty((0,), device=self.native_device()) if self.native_device() is not None \
                else xp.empty((0,))
        self.array_type = type(probe)
        self.native_dtype: dict[_dtypes.DType, Any] = {}
        self.dtype_of: dict[Any, _dtypes.DType] = {}
        supported = self._supported_dtype_names()
        for dt in _dtypes.KNOWN_DTYPES:
            native = getattr(xp, dt.name, None)
            # extensions (float16) are not in the standard's info(): the namespace having
            # the dtype is what counts for them
            if native is None or (dt.name not in supported and dt not in _dtypes.EXTENSION_DTYPES):
                continue
            with self.device_context():
                reported = xp.empty((0,), dtype=native).dtype
            self.native_dtype[dt] = native
            self.dtype_of[reported] = dt
            self.dtype_of.setdefault(native, dt)

    def _supported_dtype_names(self) -> set[str]:
        info = getattr(self.xp, "__array_namespace_info__", None)
        if info is not None:
            try:
                return set(info().dtypes(device=self.native_device()))
            except Exception:  # an info() that does not take our device spelling
                pass
        return {d.name for d in _dtypes.ALL_DTYPES}

    def __repr__(self) -> str:
        return f"<arraygrad backend {self.name!r} on {self.device}>"

    def _resolve(self, name: str) -> Callable:
        """Find `name`: an override, else the namespace (dotted for extensions), else a
        generic implementation that the core writes against any array-API namespace."""
        fn = self.overrides.get(name)
        if fn is not None:
            return fn
        obj = self.xp
        for part in name.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                break
        if obj is not None:
            return obj
        from ._dispatch import GENERIC_IMPLS

        generic = GENERIC_IMPLS.get(name)
        if generic is not None:
            return functools.partial(generic, self.generic_namespace)  # no Python frame
        raise NotImplementedError(f"backend {self.name!r} has no implementation of {name!r}")

    @property
    def generic_namespace(self):
        """The namespace generic implementations and first-order VJP rules run on: the
        library's, with this plugin's overrides in place (so they get the same fixes and fast
        paths as the core), and any function the library lacks resolved as `fn` does (a
        generic implementation), so that code written against the standard runs on it."""
        ns = self.__dict__.get("_generic_namespace")
        if ns is None:
            xp = self.xp
            ns = types.ModuleType(f"{getattr(xp, '__name__', 'namespace')}+{self.name}_overrides")
            ns.__dict__.update({k: getattr(xp, k) for k in dir(xp) if not k.startswith("__")})
            ns.__dict__.update({k: v for k, v in self.overrides.items() if "." not in k})
            ns.__mutable_arrays__ = self.mutable_arrays  # for rules that write into views
            ns.__lazy_arrays__ = self.lazy  # for rules that would branch on a value
            fn = self.fn

            def missing(name):  # module __getattr__ (PEP 562): only for names not found above
                if name.startswith("__"):
                    raise AttributeError(name)
                try:
                    found = fn[name]
                except NotImplementedError as exc:
                    raise AttributeError(str(exc)) from None
                ns.__dict__[name] = found  # found once: later lookups skip this call
                return found

            ns.__getattr__ = missing
            self.__dict__["_generic_namespace"] = ns
        return ns

    def create(self, name: str, *args, **kwargs):
        """Call creation function `name` so that the array lands on this device."""
        fn = self.fn[name]
        if self._plain_create:
            return fn(*args, **kwargs)
        nd = self.native_device()
        if nd is not None:
            kwargs["device"] = nd
        with self.device_context():
            return fn(*args, **kwargs)

    # ----- conversions ---------------------------------------------------------------------
    def to_native_dtype(self, dtype: _dtypes.DType):
        try:
            return self.native_dtype[dtype]
        except KeyError:
            raise TypeError(f"dtype {dtype} is not supported on device {self.device} "
                            f"(backend {self.name!r})") from None

    def from_native_dtype(self, native) -> _dtypes.DType:
        try:
            return self.dtype_of[native]
        except KeyError:
            raise TypeError(f"backend {self.name!r} produced an array of dtype {native}, "
                            "which arraygrad does not support") from None

    def asarray(self, obj, dtype=None, copy=None):
        """Make a backend array on this device from Python data or a compatible array."""
        kw = {}
        if dtype is not None:
            kw["dtype"] = dtype
        if copy is not None:
            kw["copy"] = copy
        nd = self.native_device()
        if nd is not None:
            kw["device"] = nd
        with self.device_context():
            return self.xp.asarray(obj, **kw)

    def from_dlpack(self, obj, copy=None):
        kw = {} if copy is None else {"copy": copy}
        with self.device_context():
            return self.xp.from_dlpack(obj, **kw)

    def to_host(self, array):
        """A NumPy array with `array`'s values (sharing memory where the device allows)."""
        import numpy as np

        return np.from_dlpack(array)

    def from_host(self, host):
        """A backend array on this device copied from NumPy array `host`."""
        return self.asarray(host, copy=True)

    def extrema(self, array) -> tuple[int, int]:
        """(min, max) of a nonempty integer `array` as Python ints, read in one transfer (one
        synchronization on a GPU): the range checks of index arrays and class targets."""
        fn = self.fn
        both = self.to_host(fn["stack"]([fn["min"](array), fn["max"](array)]))
        return int(both[0]), int(both[1])

    def rng(self, seed: int):
        """A random source for this device seeded with `seed`: an object whose methods
        uniform/normal(shape, dtype), integers(low, high, shape, dtype) and
        permutation(n, dtype) return arrays of this backend (dtype: an arraygrad DType).
        By default NumPy draws on the host and `from_host` copies the values here."""
        from ._random import HostRandom

        return HostRandom(seed, self.from_host)

    def quiet_float_errors(self):
        """A context in which this library does not warn about floating-point errors (NumPy
        warns on log(0) and 0/0). The backward pass runs in it: VJP rules compute both
        branches of a `where` and derivatives at poles are inf/nan by definition, and
        PyTorch's backward is silent there too."""
        return contextlib.nullcontext()

    def synchronize(self, stream) -> None:
        """Make this device's work wait for `stream` (`to_device(..., stream=)`)."""

    def is_writeable(self, array) -> bool:
        """Whether writes into `array` are allowed (a read-only NumPy view says no). Arrays
        of an immutable library are: a write makes a new array (see `write`)."""
        return True

    def write(self, dst, src):
        """Write `src` into `dst` in place and return the array that now holds the result
        (backends with immutable arrays return `src` and arraygrad rebinds the tensor)."""
        if not self.mutable_arrays:  # the tensor keeps its dtype, as an in-place write would
            return src if src.dtype == dst.dtype else self.xp.astype(src, dst.dtype)
        dst[...] = src
        return dst

    def setitem(self, array, key, value):
        """`array[key] = value`, returning the array holding the result (see `write`)."""
        if not self.mutable_arrays:
            raise TypeError(f"backend {self.name!r} has immutable arrays: item assignment is not supported")
        array[key] = value
        return array

    def is_view(self, array, source=None) -> bool:
        """Whether `array` (a function's result) may share memory with that function's input
        (`source`, where given: a reshape that had to copy returns a view of its copy)."""
        return False

    def may_be_shared(self, array) -> bool:
        """Whether something outside arraygrad may still write into `array`'s memory (after
        it was exported through the NumPy bridge or DLPack). True when unknown."""
        return True

    def owns_memory(self, array) -> bool:
        """True when `array` owns its buffer alone, so autograd may keep it as `.grad`."""
        return False
