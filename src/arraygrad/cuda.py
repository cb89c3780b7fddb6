"""`arraygrad.cuda`: PyTorch's CUDA queries, answered by the backend serving "cuda"."""

from __future__ import annotations

from ._backend import BackendUnavailableError
from ._registry import default_backend_name, plugin_class

__all__ = ["is_available", "device_count"]


def _plugin():
    name = default_backend_name("cuda", quiet=True)
    if name is None:
        return None
    try:
        cls = plugin_class(name)
        cls.namespace()
        return cls
    except (BackendUnavailableError, ImportError, ValueError):
        return None


def device_count() -> int:
    """How many CUDA devices the CUDA backend (CuPy by default) can use; 0 without one."""
    cls = _plugin()
    if cls is None:
        return 0
    try:
        return int(cls.device_count())
    except Exception:
        return 0


def is_available() -> bool:
    """Whether a CUDA device can be used (the backend loads and sees at least one GPU)."""
    return device_count() > 0
