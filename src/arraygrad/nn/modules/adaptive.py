"""`torch.nn.modules.adaptive`: the same class as `arraygrad.nn` (code imports it from here)."""

from .. import (  # noqa: F401
    AdaptiveLogSoftmaxWithLoss,
)
from ..adaptive import (  # noqa: F401
    _ASMoutput,
)

__all__ = [
    "AdaptiveLogSoftmaxWithLoss",
]
