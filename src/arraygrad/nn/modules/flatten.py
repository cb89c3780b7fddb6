"""`torch.nn.modules.flatten`: the same classes as `arraygrad.nn` (code imports them from here)."""

from .. import (  # noqa: F401
    Flatten,
    Unflatten,
)

__all__ = [
    "Flatten",
    "Unflatten",
]
