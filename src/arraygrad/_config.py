"""Process-wide defaults: the default device and the default floating dtype."""

from __future__ import annotations

from . import _dtypes
from ._device import Device, device as _parse_device

_default_device: Device | None = None  # explicit, or "cpu" as the registry resolves it
_explicit_device = False


def default_device() -> Device:
    """The device creation functions use when none is given (initially "cpu")."""
    global _default_device
    if _default_device is None:
        _default_device = _parse_device("cpu")
    return _default_device


def set_default_device(dev) -> None:
    """Make `dev` ("cpu", "cuda:0", a Device, or None to reset) the default device."""
    global _default_device, _explicit_device
    _default_device = None if dev is None else _parse_device(dev)
    _explicit_device = dev is not None


def forget_implicit_device() -> None:
    """The registry's default backends changed: resolve an implicit default device again."""
    global _default_device
    if not _explicit_device:
        _default_device = None


def get_default_dtype() -> _dtypes.DType:
    """The default floating dtype (float32, as in PyTorch)."""
    return _dtypes.DEFAULT_FLOAT


def set_default_dtype(dtype) -> None:
    """Set the default floating dtype (float32 or float64), as `torch.set_default_dtype`."""
    d = _dtypes.as_dtype(dtype)
    if d not in (_dtypes.float32, _dtypes.float64):
        raise TypeError(f"set_default_dtype: only float32 or float64 are allowed, got {d}")
    _dtypes.DEFAULT_FLOAT = d
    _dtypes.DEFAULT_COMPLEX = d.to_complex()
