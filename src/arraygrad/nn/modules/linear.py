"""`torch.nn.modules.linear`: the same classes as `arraygrad.nn` (code imports them from here)."""

from .. import (  # noqa: F401
    Bilinear,
    Identity,
    LazyLinear,
    Linear,
)

__all__ = [
    "Bilinear",
    "Identity",
    "LazyLinear",
    "Linear",
]
