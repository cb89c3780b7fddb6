"""`torch.nn.modules.batchnorm`: the same classes as `arraygrad.nn` (code imports them from here)."""

from .. import (  # noqa: F401
    BatchNorm1d,
    LazyBatchNorm1d,
    BatchNorm2d,
    LazyBatchNorm2d,
    BatchNorm3d,
    LazyBatchNorm3d,
    SyncBatchNorm,
)
from ..layers import (  # noqa: F401
    _BatchNorm,
)
from ..lazy import (  # noqa: F401
    _LazyNormBase,
)

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "LazyBatchNorm1d",
    "LazyBatchNorm2d",
    "LazyBatchNorm3d",
    "SyncBatchNorm",
]
