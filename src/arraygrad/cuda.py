"""`arraygrad.cuda`: PyTorch's CUDA queries, answered by the backend serving "cuda"."""

from __future__ import annotations

from ._backend import BackendUnavailableError
from ._registry import default_backend_name, plugin_class

__all__ = ["is_available", "device_count", "current_device", "manual_seed", "manual_seed_all",
           "HalfTensor", "FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "ShortTensor", "CharTensor",
           "ByteTensor", "BoolTensor", "ComplexFloatTensor", "ComplexDoubleTensor"]


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
