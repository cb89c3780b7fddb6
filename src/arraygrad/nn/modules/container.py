"""`torch.nn.modules.container`: the same classes as `arraygrad.nn` (code imports them from here)."""

from .. import (  # noqa: F401
    Sequential,
    ModuleList,
    ModuleDict,
    ParameterList,
    ParameterDict,
    Container,
)

__all__ = [
    "Container",
    "ModuleDict",
    "ModuleList",
    "ParameterDict",
    "ParameterList",
    "Sequential",
]
