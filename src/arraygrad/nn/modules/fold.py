"""`torch.nn.modules.fold`: the same classes as `arraygrad.nn` (code imports them from here)."""

from .. import (  # noqa: F401
    Fold,
    Unfold,
)

__all__ = [
    "Fold",
    "Unfold",
]
