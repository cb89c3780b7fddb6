"""`torch.nn.modules.normalization`: the same classes as `arraygrad.nn` (code imports them from here)."""

from .. import (  # noqa: F401
    LocalResponseNorm,
    LayerNorm,
    GroupNorm,
    RMSNorm,
    CrossMapLRN2d,
)

__all__ = [
    "CrossMapLRN2d",
    "GroupNorm",
    "LayerNorm",
    "LocalResponseNorm",
    "RMSNorm",
]
