"""`torch.nn.modules.lazy`: the same classes as `arraygrad.nn` (code imports them from here)."""

from ..lazy import (  # noqa: F401
    LazyModuleMixin,
)

__all__ = [
    "LazyModuleMixin",
]
