"""`torch.nn.modules.channelshuffle`: the same classes as `arraygrad.nn` (code imports them from here)."""

from .. import (  # noqa: F401
    ChannelShuffle,
)

__all__ = [
    "ChannelShuffle",
]
