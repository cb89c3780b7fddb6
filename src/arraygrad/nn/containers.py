"""Containers: `Sequential` (modules applied in order), `ModuleList` and `ModuleDict`,
`ParameterList` and `ParameterDict` (their children are registered, so `parameters()`,
`state_dict()` and `to()` see them)."""

from __future__ import annotations

import operator
import warnings
from collections import OrderedDict
from collections.abc import Mapping

from .module import Module, _indent
from .._dispatch import Tensor
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


def _repeats(times, seq) -> int:
    if isinstance(times, bool) or not isinstance(times, int):
        raise TypeError(f"unsupported operand type(s) for *: {type(seq)} and {type(times)}")
    if times <= 0:
        raise ValueError(f"Non-positive multiplication factor {times} for {type(seq)}")
    return times


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
        self.add_module(list(self._modules)[i], module)  # the child's own name (a named Sequential's)

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

    def __iadd__(self, modules) -> "ModuleList":
        return self.extend(modules)

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

    def __iadd__(self, other) -> "Sequential":
        return self.extend(other)

    def __mul__(self, times) -> "Sequential":
        """The layers repeated `times` times (the same module objects, as PyTorch's)."""
        return Sequential(*(list(self) * _repeats(times, self)))

    __rmul__ = __mul__

    def __imul__(self, times) -> "Sequential":
        return self.extend(list(self) * (_repeats(times, self) - 1))

    def insert(self, index: int, module) -> "Sequential":
        """Insert `module` before position `index`; returns self (PyTorch's Sequential.insert
        chains, ModuleList's returns None). At the end it is named by its position, the other
        children keep their names; before a child of a Sequential with named children it
        raises, as PyTorch's (renaming them would change the state_dict's keys)."""
        n = len(self._modules)
        if not -n <= index <= n:
            raise IndexError(f"Index out of range: {index}")
        index = index + n if index < 0 else index
        if index == n:
            self.add_module(str(n), module)
        elif list(self._modules) == [str(i) for i in range(n)]:
            super().insert(index, module)
        else:
            raise KeyError(f"Sequential.insert: cannot insert before child {index} of a Sequential with named "
                           f"children ({', '.join(self._modules)}); append it, or build a new Sequential")
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


def _entry_line(key, value, type_name) -> str:
    """PyTorch's line for one entry of a parameter container: "  (key): Parameter containing:
    [<type> of size AxB]", or "Object of type: <name>" for what is not a tensor."""
    if not isinstance(value, Tensor):
        return f"  ({key}): Object of type: {type(value).__name__}"
    kind = "Parameter" if isinstance(value, Parameter) else "Tensor"
    device = f" ({value.device})" if value.device.type != "cpu" else ""
    return f"  ({key}): {kind} containing: [{type_name(value)} of size {'x'.join(map(str, value.shape))}{device}]"


def _as_parameter(value):
    """Tensors become Parameters; anything else (None, other objects) is kept as it is."""
    return Parameter(value) if isinstance(value, Tensor) and not isinstance(value, Parameter) else value


class ParameterList(Module):
    """A list of parameters, registered as "0", "1", ... (tensors become Parameters; other
    objects are kept as plain attributes, as in PyTorch)."""

    def __init__(self, values=None) -> None:
        super().__init__()
        self._size = 0
        if values is not None:
            self += values

    def _name(self, i) -> str:
        return str(_index(i, self._size, "ParameterList"))

    def __getitem__(self, i):
        if isinstance(i, slice):
            return type(self)([self[k] for k in range(*i.indices(self._size))])
        return getattr(self, self._name(i))

    def __setitem__(self, i, value) -> None:
        setattr(self, self._name(i), _as_parameter(value))

    def __len__(self) -> int:
        return self._size

    def __iter__(self):
        return (self[i] for i in range(self._size))

    def __iadd__(self, values) -> "ParameterList":
        return self.extend(values)

    def __dir__(self):
        return [k for k in super().__dir__() if not k.isdigit()]

    def append(self, value) -> "ParameterList":
        self._size += 1
        self[self._size - 1] = value
        return self

    def extend(self, values) -> "ParameterList":
        if isinstance(values, Tensor) or not hasattr(values, "__iter__"):
            raise TypeError(f"ParameterList.extend should be called with an iterable, but got {type(values).__name__}")
        for v in values:
            self.append(v)
        return self

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterList should not be called.")

    def extra_repr(self) -> str:
        return "\n".join(_entry_line(i, v, lambda t: t.dtype) for i, v in enumerate(self))


class ParameterDict(Module):
    """A dict of parameters, registered under their keys (tensors become Parameters; other
    objects are kept as plain attributes). A plain dict's items are added in sorted key
    order, an OrderedDict's, a ParameterDict's or a sequence of pairs' in theirs, as in
    PyTorch."""

    def __init__(self, parameters=None) -> None:
        super().__init__()
        self._keys: dict = {}
        if parameters is not None:
            self.update(parameters)

    @staticmethod
    def _key(key) -> str:
        if not isinstance(key, str):
            raise TypeError(f"Index given to ParameterDict cannot be used as a key as it is not a string "
                            f"(type is '{type(key).__name__}'). Open an issue on github if you need "
                            "non-string keys.")
        return key

    def __getitem__(self, key):
        return getattr(self, self._key(key))

    def __setitem__(self, key, value) -> None:
        attr = self._key(key)  # checked before the key is listed
        self._keys[key] = None
        setattr(self, attr, _as_parameter(value))

    def __delitem__(self, key) -> None:
        del self._keys[key]
        delattr(self, self._key(key))

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __reversed__(self):
        return reversed(list(self._keys))

    def __contains__(self, key) -> bool:
        return key in self._keys

    def keys(self):
        return self._keys.keys()

    def items(self):
        return ((k, self[k]) for k in self._keys)

    def values(self):
        return (self[k] for k in self._keys)

    def get(self, key, default=None):
        return self[key] if key in self else default

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def pop(self, key):
        value = self[key]
        del self[key]
        return value

    def popitem(self):
        key, _ = self._keys.popitem()
        self._keys[key] = None  # __delitem__ removes it again, with the attribute
        return key, self.pop(key)

    def clear(self) -> None:
        for key in list(self._keys):
            del self[key]

    def copy(self) -> "ParameterDict":
        return ParameterDict(OrderedDict((k, self[k]) for k in self._keys))

    def fromkeys(self, keys, default=None) -> "ParameterDict":
        return ParameterDict((k, default) for k in keys)

    def update(self, parameters) -> None:
        if not hasattr(parameters, "__iter__"):
            raise TypeError("ParametersDict.update should be called with an iterable of key/value pairs, "
                            f"but got {type(parameters).__name__}")
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            pairs = parameters.items()
        elif isinstance(parameters, Mapping):
            pairs = sorted(parameters.items())
        else:
            pairs = []
            for j, p in enumerate(parameters):
                if not hasattr(p, "__iter__"):
                    raise TypeError(f"ParameterDict update sequence element #{j} should be Iterable; is "
                                    f"{type(p).__name__}")
                if len(p) != 2:
                    raise ValueError(f"ParameterDict update sequence element #{j} has length {len(p)}; "
                                     "2 is required")
                pairs.append(p)
        for key, value in pairs:
            self[key] = value

    def __or__(self, other) -> "ParameterDict":
        out = self.copy()
        out.update(other)
        return out

    def __ror__(self, other) -> "ParameterDict":
        out = other.copy()
        out.update(self)
        return out

    def __ior__(self, other) -> "ParameterDict":
        self.update(other)
        return self

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterDict should not be called.")

    def extra_repr(self) -> str:
        return "\n".join(_entry_line(k, v, lambda t: t.type()) for k, v in self.items())


class Container(Module):
    """Deprecated (PyTorch's warning): a Module whose keyword arguments become its children."""

    def __init__(self, **kwargs) -> None:
        if type(self) is Container:
            warnings.warn("`nn.Container` is deprecated. All of its functionality is now implemented in "
                          "`nn.Module`. Subclass that instead.", FutureWarning, stacklevel=2)
        super().__init__()
        for key, value in kwargs.items():
            self.add_module(key, value)
