"""`arraygrad.accelerator`: PyTorch's device-agnostic accelerator queries (`torch.accelerator`),
as the current tutorials pick their device:

    device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"

arraygrad's one accelerator type is "cuda" (served by the CUDA backend, CuPy by default)."""

from __future__ import annotations

from . import cuda as _cuda

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "current_device_idx"]


def device_count() -> int:
    """How many accelerator devices can be used (0 without one)."""
    return _cuda.device_count()


def is_available() -> bool:
    """Whether an accelerator device can be used."""
    return device_count() > 0


def current_accelerator(check_available: bool = False):
    """The accelerator's device type as a device (`device(type='cuda')`), or None where
    there is none. check_available=True also answers None where the type exists but no
    device of it can be used (as PyTorch's)."""
    from ._device import device

    if not is_available():
        return None
    return device("cuda")


def _need_accelerator():
    if not is_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")


def current_device_index() -> int:
    """The index of the accelerator device in use (RuntimeError without one)."""
    _need_accelerator()
    return _cuda.current_device()


current_device_idx = current_device_index
