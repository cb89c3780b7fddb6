"""Containers: `Sequential` (modules applied in order), `ModuleList` and `ModuleDict`,
`ParameterList` and `ParameterDict` (their children are registered, so `parameters()`,
`state_dict()` and `to()` see them)."""

from __future__ import annotations

import operator
import warnings
from collections import OrderedDict

from .module import Module, _indent
from .parameter import Parameter

__all__ = ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict", "Container"]


def _index(i, n: int, cls: str) -> int:
    try:
        i = operator.index(i)
    except TypeError:
        raise TypeError(f"{cls} indices must be integers or slices, got {type(i).__name__}") from None
    if not -n <= i < n:
        raise IndexError(f"index {i} is out of range for a {cls} of length {n}")
    return i + n if i < 0 else i


class _ModuleSequence(Module):
    """What ModuleList and Sequential share: children kept in order, list-style access."""

    def _renumber(self, modules: list) -> None:
        self._modules.clear()
        for i, m in enumerate(modules):
            self.add_module(str(i), m)

    def __getitem__(self, i):
        items = list(self._modules.values())
        if isinstance(i, slice):
            return ModuleList(items[i])
        return items[_index(i, len(items), type(self).__name__)]

    def __setitem__(self, i, module) -> None:
        i = _index(i, len(self._modules), type(self).__name__)
        self.add_module(str(i), module)

    def __delitem__(self, i) -> None:
        items = list(self._modules.values())
        if isinstance(i, slice):
            del items[i]
        else:
            del items[_index(i, len(items), type(self).__name__)]
        self._renumber(items)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module) -> "ModuleList":
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules) -> "ModuleList":
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module) -> None:
        items = list(self._modules.values())
        items.insert(index, module)
        self._renumber(items)

    def pop(self, index: int = -1):
        m = self[index]
        del self[index]
        return m


class ModuleList(_ModuleSequence):
    """A list of modules, registered as children "0", "1", ... (no forward of its own)."""

    def __init__(self, modules=None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __add__(self, other) -> "ModuleList":
        return ModuleList(list(self) + list(other))

    def __repr__(self) -> str:
        """PyTorch's: runs of identical children as one line, "(2-5): 4 x Linear(...)"."""
        reprs = [repr(m) for m in self]
        if not reprs:
            return self._get_name() + "()"
        runs = []  # [first index, last index, repr]
        for i, r in enumerate(reprs):
            if runs and runs[-1][2] == r:
                runs[-1][1] = i
            else:
                runs.append([i, i, r])
        lines = [_indent(f"({a}): {r}" if a == b else f"({a}-{b}): {b - a + 1} x {r}", 2) for a, b, r in runs]
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class Sequential(_ModuleSequence):
    """Modules applied one after another: ``Sequential(Linear(4, 8), ReLU(), Linear(8, 1))``,
    or ``Sequential(OrderedDict(name=module, ...))`` to name them."""

    def __init__(self, *args) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], (dict, OrderedDict)):
            for name, m in args[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(args):
                self.add_module(str(i), m)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return Sequential(OrderedDict(list(self._modules.items())[i]))
        return super().__getitem__(i)

    def __setitem__(self, i, module) -> None:
        name = list(self._modules)[_index(i, len(self._modules), "Sequential")]
        self.add_module(name, module)

    def __add__(self, other) -> "Sequential":
        return Sequential(*self, *other)

    def insert(self, index: int, module) -> "Sequential":
        """Insert `module` before position `index`; returns self (PyTorch's Sequential.insert
        chains, ModuleList's returns None)."""
        super().insert(index, module)
        return self

    def forward(self, input):
        for m in self._modules.values():
            input = m(input)
        return input


class _KeyedChildren(Module):
    """What ModuleDict and ParameterDict share: dict access to one of the module's registries
    (children or parameters), in insertion order."""

    _registry = ""  # "_modules" or "_parameters"

    def __init__(self, items=None) -> None:
        super().__init__()
        if items is not None:
            self.update(items)

    def _items(self) -> dict:
        return self.__dict__[self._registry]

    def __getitem__(self, key: str):
        return self._items()[key]

    def __delitem__(self, key: str) -> None:
        del self._items()[key]

    def __len__(self) -> int:
        return len(self._items())

    def __iter__(self):
        return iter(self._items())

    def __contains__(self, key) -> bool:
        return key in self._items()

    def keys(self):
        return self._items().keys()

    def items(self):
        return self._items().items()

    def values(self):
        return self._items().values()

    def pop(self, key: str):
        return self._items().pop(key)

    def clear(self) -> None:
        self._items().clear()

    def update(self, items) -> None:
        for key, value in (items.items() if hasattr(items, "items") else items):
            self[key] = value


class ModuleDict(_KeyedChildren):
    """A dict of modules, registered under their keys (insertion order kept)."""

    _registry = "_modules"

    def __setitem__(self, key: str, module) -> None:
        self.add_module(key, module)


def _parameter_lines(parameters: dict) -> str:
    """PyTorch's listing of a parameter container: "  (key): Parameter containing: [dtype of size AxB]"."""
    return "\n".join(f"  ({k}): Parameter containing: [{p.dtype} of size {'x'.join(map(str, p.shape))}]"
                     for k, p in parameters.items())


def _as_parameter(value):
    return value if isinstance(value, Parameter) or value is None else Parameter(value)


class ParameterList(Module):
    """A list of parameters, registered as "0", "1", ... (tensors become Parameters)."""

    def __init__(self, values=None) -> None:
        super().__init__()
        for v in values or ():
            self.append(v)

    def __getitem__(self, i):
        items = list(self._parameters.values())
        if isinstance(i, slice):
            return ParameterList(items[i])
        return items[_index(i, len(items), "ParameterList")]

    def __setitem__(self, i, value) -> None:
        self.register_parameter(str(_index(i, len(self._parameters), "ParameterList")), _as_parameter(value))

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def append(self, value) -> "ParameterList":
        self.register_parameter(str(len(self._parameters)), _as_parameter(value))
        return self

    def extend(self, values) -> "ParameterList":
        for v in values:
            self.append(v)
        return self

    def extra_repr(self) -> str:
        return _parameter_lines(self._parameters)


class ParameterDict(_KeyedChildren):
    """A dict of parameters, registered under their keys (tensors become Parameters)."""

    _registry = "_parameters"

    def __setitem__(self, key: str, value) -> None:
        self.register_parameter(key, _as_parameter(value))

    def extra_repr(self) -> str:
        return _parameter_lines(self._parameters)


class Container(Module):
    """Deprecated (PyTorch's warning): a Module whose keyword arguments become its children."""

    def __init__(self, **kwargs) -> None:
        if type(self) is Container:
            warnings.warn("`nn.Container` is deprecated. All of its functionality is now implemented in "
                          "`nn.Module`. Subclass that instead.", FutureWarning, stacklevel=2)
        super().__init__()
        for key, value in kwargs.items():
            self.add_module(key, value)
