"""`torch.nn.modules.pixelshuffle`: the same classes as `arraygrad.nn` (code imports them from here)."""

from .. import (  # noqa: F401
    PixelShuffle,
    PixelUnshuffle,
)

__all__ = [
    "PixelShuffle",
    "PixelUnshuffle",
]
