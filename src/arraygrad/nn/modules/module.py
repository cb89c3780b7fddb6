"""`torch.nn.modules.module`: the same classes as `arraygrad.nn` (code imports them from here)."""

from .. import (  # noqa: F401
    Module,
)
from ..module import (  # noqa: F401
    register_module_forward_pre_hook,
    register_module_forward_hook,
    register_module_full_backward_pre_hook,
    register_module_full_backward_hook,
    _IncompatibleKeys,
)

__all__ = [
    "Module",
    "register_module_forward_hook",
    "register_module_forward_pre_hook",
    "register_module_full_backward_hook",
    "register_module_full_backward_pre_hook",
]
