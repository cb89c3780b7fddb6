"""`torch.nn.modules.upsampling`: the same classes as `arraygrad.nn` (code imports them from here)."""

from .. import (  # noqa: F401
    Upsample,
    UpsamplingNearest2d,
    UpsamplingBilinear2d,
)

__all__ = [
    "Upsample",
    "UpsamplingBilinear2d",
    "UpsamplingNearest2d",
]
