"""`arraygrad.cuda`: PyTorch's CUDA queries, answered by the backend serving "cuda"."""

from __future__ import annotations

from ._backend import BackendUnavailableError
from ._registry import default_backend_name, plugin_class

__all__ = ["is_available", "device_count", "current_device", "manual_seed", "manual_seed_all",
           "set_device", "synchronize", "empty_cache", "memory_allocated", "memory_reserved",
           "get_device_name", "is_bf16_supported", "OutOfMemoryError",
           "HalfTensor", "FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "ShortTensor", "CharTensor",
           "ByteTensor", "BoolTensor", "ComplexFloatTensor", "ComplexDoubleTensor"]


# What the backends raise when device memory runs out (NumPy's and CuPy's are MemoryErrors):
# `except arraygrad.cuda.OutOfMemoryError:` catches them, as PyTorch's code expects.
OutOfMemoryError = MemoryError


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


def current_device() -> int:
    """The index of the GPU that "cuda" (without an index) means now."""
    from ._registry import get_backend

    return get_backend("cuda").device.index


def _backend_of(device, fname: str):
    """The backend serving CUDA device `device` (an index, "cuda:1", a Device, None for the
    current one); RuntimeError without CUDA, as PyTorch's CPU builds raise."""
    if not is_available():
        raise RuntimeError(f"cuda.{fname}: no CUDA device (arraygrad.cuda.is_available() is False)")
    from ._registry import get_backend

    if device is None or isinstance(device, int) and not isinstance(device, bool):
        device = "cuda" if device is None else f"cuda:{device}"
    b = get_backend(device)
    if b.device_type != "cuda":
        raise ValueError(f"cuda.{fname}: expected a CUDA device, got {device!r}")
    return b


def set_device(device) -> None:
    """Make `device` (an index, "cuda:1", a Device) the GPU that "cuda" means."""
    from ._registry import forget_current_device

    b = _backend_of(device, "set_device")
    type(b).set_current_device(b.device.index)
    forget_current_device("cuda")


def synchronize(device=None) -> None:
    """Wait for the work queued on a GPU (the current one by default) to finish: time GPU
    work with it."""
    _backend_of(device, "synchronize").synchronize_device()


def empty_cache() -> None:
    """Give the memory the CUDA library keeps for reuse (CuPy's pools) back to the GPU;
    nothing to do without CUDA (as in PyTorch)."""
    if is_available():
        _backend_of(None, "empty_cache").release_cached_memory()


def memory_allocated(device=None) -> int:
    """Bytes of GPU memory that arrays hold now (0 without CUDA, as in PyTorch)."""
    return _backend_of(device, "memory_allocated").memory_in_use()[0] if is_available() else 0


def memory_reserved(device=None) -> int:
    """Bytes of GPU memory the CUDA library holds, in use or cached (0 without CUDA)."""
    return _backend_of(device, "memory_reserved").memory_in_use()[1] if is_available() else 0


def get_device_name(device=None) -> str:
    """The GPU's name, as its driver gives it ("NVIDIA H100 80GB HBM3")."""
    return _backend_of(device, "get_device_name").device_name()


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """False: arraygrad has no bfloat16 dtype (its backends' array libraries lack one)."""
    return False


def manual_seed(seed) -> None:
    """Seed the default generator of the current GPU (nothing to do without CUDA, as in PyTorch)."""
    if is_available():
        from ._random import default_for
        from ._registry import get_backend

        default_for(get_backend("cuda")).manual_seed(seed)


def manual_seed_all(seed) -> None:
    """Seed the default generators of every GPU, those used later included."""
    from ._random import seed_defaults

    seed_defaults(seed, "cuda")


# PyTorch's legacy CUDA tensor types: `x.type(cuda.FloatTensor)` moves x to the GPU as float32.
from . import _dtypes  # noqa: E402
from ._torch_api import TensorType  # noqa: E402

HalfTensor = TensorType(_dtypes.float16, "cuda")
FloatTensor = TensorType(_dtypes.float32, "cuda")
DoubleTensor = TensorType(_dtypes.float64, "cuda")
LongTensor = TensorType(_dtypes.int64, "cuda")
IntTensor = TensorType(_dtypes.int32, "cuda")
ShortTensor = TensorType(_dtypes.int16, "cuda")
CharTensor = TensorType(_dtypes.int8, "cuda")
ByteTensor = TensorType(_dtypes.uint8, "cuda")
BoolTensor = TensorType(_dtypes.bool, "cuda")
ComplexFloatTensor = TensorType(_dtypes.complex64, "cuda")
ComplexDoubleTensor = TensorType(_dtypes.complex128, "cuda")
