"""`arraygrad.version`: PyTorch's `torch.version` (`__version__`; `cuda`, the CUDA version
of the library serving "cuda" — CuPy's runtime — or None without one, as on a CPU build)."""

from __future__ import annotations

from . import __version__

__all__ = ["__version__", "cuda"]


def __getattr__(name):
    if name == "cuda":  # asked for, not computed at import: it loads the CUDA library
        return _cuda_version()
    raise AttributeError(f"module 'arraygrad.version' has no attribute {name!r}")


def _cuda_version() -> str | None:
    from . import cuda

    cls = cuda._plugin()
    if cls is None:
        return None
    runtime = getattr(getattr(getattr(cls.namespace(), "cuda", None), "runtime", None), "runtimeGetVersion", None)
    if runtime is None:
        return None
    try:
        v = int(runtime())  # 13000 for CUDA 13.0
    except Exception:  # noqa: BLE001 - no driver: the same answer as no library
        return None
    return f"{v // 1000}.{v % 1000 // 10}"
