"""`torch.nn.modules.container`: the same classes as `arraygrad.nn` (code imports them from here)."""

from .. import (  # noqa: F401
    Sequential,
    ModuleList,
    ModuleDict,
    ParameterList,
    ParameterDict,
)

__all__ = [
    "ModuleDict",
    "ModuleList",
    "ParameterDict",
    "ParameterList",
    "Sequential",
]
