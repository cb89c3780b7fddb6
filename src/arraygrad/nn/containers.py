"""Containers: `Sequential` (modules applied in order) and `ModuleList` (a list of modules)."""

from __future__ import annotations

import operator
from collections import OrderedDict

from .module import Module, _indent

__all__ = ["Sequential", "ModuleList"]


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

    def forward(self, input):
        for m in self._modules.values():
            input = m(input)
        return input
