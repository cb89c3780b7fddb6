"""The backend registry: plugins found through the entry-point group ``arraygrad.backends``.

Entry points are listed without importing anything; a plugin is loaded on first use and
cached, and a plugin that cannot load (CuPy missing, no GPU) is remembered with its cause
so that `import arraygrad` never fails because of it.
"""

from __future__ import annotations

import threading
from importlib.metadata import entry_points
from typing import Callable

from ._backend import Backend, BackendUnavailableError
from ._device import Device, device as _parse_device

__all__ = ["register_backend", "backends", "get_backend", "set_default_backend", "BackendInfo"]

ENTRY_POINT_GROUP = "arraygrad.backends"

# The backend a device type uses unless another is chosen with set_default_backend().
_BUILTIN_DEFAULTS = {"cpu": "numpy", "cuda": "cupy"}

_lock = threading.RLock()
_factories: dict[str, Callable[[], type] | None] = {}  # name -> loader of the plugin class
_classes: dict[str, type] = {}
_errors: dict[str, BaseException] = {}
_instances: dict[tuple[str, int | None], Backend] = {}
_by_string: dict[str, Backend] = {}  # "cpu", "cuda:0" -> instance: `.to("cpu")` skips parsing
_defaults: dict[str, str] = dict(_BUILTIN_DEFAULTS)
_scanned = False


def _scan_entry_points() -> None:
    global _scanned
    if _scanned:
        return
    with _lock:
        if _scanned:
            return
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            _factories.setdefault(ep.name, ep.load)
        _scanned = True


def register_backend(name: str, plugin: type | Callable[[], type], *, default_for: str | None = None) -> None:
    """Register a backend plugin class (or a zero-argument callable returning one).

    The same mechanism as the entry-point group, for tests and unpackaged plugins.
    `default_for="cpu"` also makes it the backend that serves that device type.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"register_backend: name must be a non-empty str, got {name!r}")
    if not callable(plugin):  # a class is callable too
        raise TypeError(f"register_backend: plugin must be a Backend subclass or a zero-argument callable "
                        f"returning one, got {type(plugin).__name__}")
    _scan_entry_points()
    with _lock:
        _factories[name] = (lambda: plugin) if isinstance(plugin, type) else plugin
        _classes.pop(name, None)
        _errors.pop(name, None)
        for key in [k for k in _instances if k[0] == name]:
            del _instances[key]
        _by_string.clear()
    if default_for is not None:
        set_default_backend(default_for, name)


def unregister_backend(name: str) -> None:
    """Remove a backend registered with `register_backend` (tests use this to clean up)."""
    with _lock:
        _factories.pop(name, None)
        _classes.pop(name, None)
        _errors.pop(name, None)
        for key in [k for k in _instances if k[0] == name]:
            del _instances[key]
        _by_string.clear()
        for t, n in list(_defaults.items()):
            if n == name:
                if t in _BUILTIN_DEFAULTS:
                    _defaults[t] = _BUILTIN_DEFAULTS[t]
                else:
                    del _defaults[t]
    from ._config import forget_implicit_device

    forget_implicit_device()


def set_default_backend(device_type: str, name: str) -> None:
    """Choose the backend that serves `device_type` ("cpu", "cuda", ...) from now on."""
    cls = plugin_class(name)
    if cls.device_type != device_type:
        raise ValueError(f"backend {name!r} serves device type {cls.device_type!r}, not {device_type!r}")
    _defaults[device_type] = name
    _by_string.clear()
    from ._config import forget_implicit_device

    forget_implicit_device()


def plugin_class(name: str) -> type:
    """The plugin class registered as `name`, loading it on first use."""
    _scan_entry_points()
    cls = _classes.get(name)
    if cls is not None:
        return cls
    with _lock:
        if name in _errors:
            raise BackendUnavailableError(f"backend {name!r} cannot load: {_errors[name]}") from _errors[name]
        factory = _factories.get(name)
        if factory is None:
            known = ", ".join(sorted(_factories)) or "none"
            raise ValueError(f"no backend named {name!r} is registered (registered: {known})")
        try:
            cls = factory()
            if not (isinstance(cls, type) and issubclass(cls, Backend)):
                raise TypeError(f"entry point {name!r} gave {cls!r}, not a subclass of arraygrad.Backend")
        except Exception as exc:
            _errors[name] = exc
            raise BackendUnavailableError(f"backend {name!r} cannot load: {exc}") from exc
        _classes[name] = cls
        return cls


def default_backend_name(device_type: str, quiet: bool = False) -> str | None:
    """The backend serving `device_type`: the chosen default, else the one plugin for it."""
    name = _defaults.get(device_type)
    if name is not None:
        return name
    _scan_entry_points()
    for candidate in sorted(_factories):
        try:
            if plugin_class(candidate).device_type == device_type:
                return candidate
        except (BackendUnavailableError, ValueError):
            continue
    if quiet:
        return None
    raise ValueError(f"no backend serves device type {device_type!r} "
                     f"(known types: {', '.join(sorted(_defaults))})")


def get_backend(dev: Device | str | None = None) -> Backend:
    """The backend instance serving device `dev` (default: the default device)."""
    if dev.__class__ is str:
        inst = _by_string.get(dev)
        if inst is None:
            inst = _by_string[dev] = get_backend(_parse_device(dev))
        return inst
    if dev is None:
        from ._config import default_device

        dev = default_device()
    elif not isinstance(dev, Device):
        dev = _parse_device(dev)
    key = (dev.backend, dev.index)
    inst = _instances.get(key)
    if inst is not None:
        return inst
    return _instantiate(dev)


def forget_current_device(device_type: str) -> None:
    """After the current device of `device_type` changed (`cuda.set_device`): drop the cached
    answers for devices named without an index, which now mean another device."""
    with _lock:
        for key in [k for k, inst in _by_string.items()
                    if inst.device_type == device_type and _parse_device(k).index is None]:
            del _by_string[key]
        for key in [k for k, inst in _instances.items() if inst.device_type == device_type and k[1] is None]:
            del _instances[key]


def _instantiate(dev: Device) -> Backend:
    with _lock:
        cls = plugin_class(dev.backend)
        if cls.device_type != dev.type:
            raise ValueError(f"backend {dev.backend!r} serves {cls.device_type!r} devices, not {dev.type!r}")
        try:
            count = cls.device_count()
        except Exception as exc:
            raise BackendUnavailableError(f"device {dev} is not available: {exc}") from exc
        index = dev.index
        if index is None:
            index = cls.current_device()
        if count == 0:
            raise BackendUnavailableError(
                f"device {dev} is not available: backend {dev.backend!r} sees no {dev.type} device")
        if index is not None and not 0 <= index < count:
            raise ValueError(f"device {dev.type}:{index} does not exist: "
                             f"{count} {dev.type} device(s) available (indices 0..{count - 1})")
        key = (dev.backend, index)
        inst = _instances.get(key)
        if inst is None:
            try:
                inst = cls(index)
            except ImportError as exc:
                raise BackendUnavailableError(f"device {dev} is not available: {exc}") from exc
            _instances[key] = inst
        _instances[(dev.backend, dev.index)] = inst
        return inst


class BackendInfo(tuple):
    """(name, device_type, available, reason) for one registered backend."""

    __slots__ = ()

    def __new__(cls, name, device_type, available, reason):
        return super().__new__(cls, (name, device_type, available, reason))

    name = property(lambda self: self[0])
    device_type = property(lambda self: self[1])
    available = property(lambda self: self[2])
    reason = property(lambda self: self[3])

    def __repr__(self):
        state = "available" if self.available else f"unavailable: {self.reason}"
        return f"BackendInfo({self.name!r}, device_type={self.device_type!r}, {state})"


def _list_backends() -> list[BackendInfo]:
    _scan_entry_points()
    out = []
    for name in sorted(_factories):
        try:
            cls = plugin_class(name)
        except BackendUnavailableError as exc:
            out.append(BackendInfo(name, None, False, str(exc.__cause__ or exc)))
            continue
        try:
            cls.namespace()
            count = cls.device_count()
            ok, reason = count > 0, None if count > 0 else f"no {cls.device_type} device found"
        except Exception as exc:
            ok, reason = False, f"{type(exc).__name__}: {exc}"
        out.append(BackendInfo(name, cls.device_type, ok, reason))
    return out


class _DeviceTypeQuery:
    """`backends.mps` and the like: whether a working backend serves that device type."""

    __slots__ = ("_device_type",)

    def __init__(self, device_type: str):
        self._device_type = device_type

    def is_available(self) -> bool:
        return bool(available_devices(self._device_type))

    is_built = is_available


class _CudnnFlags:
    """PyTorch's `torch.backends.cudnn` switches, which seeding boilerplate sets. arraygrad
    calls no cuDNN: the flags are kept (and read back) but change nothing."""

    def __init__(self):
        self.enabled = True
        self.benchmark = False
        self.deterministic = False
        self.allow_tf32 = True

    def is_available(self) -> bool:
        return False

    def version(self):
        return None


class _Backends:
    """`arraygrad.backends()`: every registered backend, whether it works here, and why not
    when it does not. Also answers PyTorch's `torch.backends.cudnn` / `.mps` attributes, so
    that code written for PyTorch (`torch.backends.cudnn.deterministic = True`) runs."""

    def __init__(self):
        self.cudnn = _CudnnFlags()
        self.mps = _DeviceTypeQuery("mps")

    def __call__(self) -> list[BackendInfo]:
        return _list_backends()

    def __repr__(self):
        return "<arraygrad.backends: call it to list the registered backends>"


backends = _Backends()


def available_devices(device_type: str | None = None) -> list[Device]:
    """Devices of the default backends that work here (all types, or one)."""
    out = []
    types = [device_type] if device_type else sorted(_defaults)
    for t in types:
        name = _defaults.get(t) or default_backend_name(t, quiet=True)
        if name is None:
            continue
        try:
            cls = plugin_class(name)
            cls.namespace()
            n = cls.device_count()
        except Exception:
            continue
        if t == "cpu":
            out.append(Device(t, None, name))
        else:
            out.extend(Device(t, i, name) for i in range(n))
    return out
