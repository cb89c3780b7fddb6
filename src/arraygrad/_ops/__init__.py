"""The op table, one module per category of the standard.

Each category module defines its functions (and, beside each, its gradient) and ends with
``__all__ = exported(__name__)``; the package star-imports the categories.
"""

from __future__ import annotations

import operator
import sys

from .._dispatch import ValueRangeError  # noqa: F401  (the ops and nn import it from here)


def exported(modname: str) -> list[str]:
    """The public functions a category module defines itself (not the names it imports)."""
    mod = sys.modules[modname]
    return sorted(n for n, v in vars(mod).items()
                  if not n.startswith("_") and callable(v) and getattr(v, "__module__", None) == modname)


def either(fname: str, name: str, value, default, torch_name: str, torch_value):
    """An argument given by the standard's `name` (left at `default` otherwise) or by
    PyTorch's `torch_name` (None when not given): TypeError when both are."""
    if torch_value is None:
        return value
    if not (value is default or value == default):
        raise TypeError(f"{fname}: got both {torch_name} (PyTorch's name) and {name} (the standard's); "
                        "pass one")
    return torch_value


def int_arg(value, fname: str, argname: str) -> int:
    """An int argument (anything with __index__), or TypeError naming it."""
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{fname}: {argname} must be an int, got {type(value).__name__}") from None


def plain_int(value):
    """An integer given as anything with __index__ but a bool (NumPy's integers: a layer's
    size from np.prod) as a Python int; any other value as it is, for the caller's check."""
    if value.__class__ is int or isinstance(value, bool):
        return value
    try:
        return operator.index(value)
    except TypeError:
        return value


def int_list(values, fname: str, argname: str) -> list[int]:
    """A sequence-of-ints argument (list, tuple, Size), or TypeError naming it."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{fname}: {argname} must be a sequence of ints, got {type(values).__name__}")
    try:
        return [operator.index(v) for v in values]
    except TypeError:
        raise TypeError(f"{fname}: {argname} must be a sequence of ints, got {values!r}") from None



class AxisError(ValueError, IndexError):
    """An axis out of range for the array's rank (both a ValueError and an IndexError, as
    NumPy's AxisError, so code catching either works)."""


def normalize_axis(axis, ndim: int, fname: str, argname: str = "axis") -> int:
    """`axis` as an index in [0, ndim); negative axes count from the end."""
    try:
        a = int(axis.__index__())
    except (AttributeError, TypeError):
        raise TypeError(f"{fname}: {argname} must be an int, got {type(axis).__name__}") from None
    if not -ndim <= a < ndim:
        where = fname if argname == "axis" else f"{fname}: {argname}"  # NumPy's wording after it
        raise AxisError(f"{where}: axis {a} is out of bounds for array of dimension {ndim}")
    return a + ndim if a < 0 else a


def normalize_axes(axis, ndim: int, fname: str, argname: str = "axis") -> tuple[int, ...]:
    """`axis` (None: all axes; an int; a tuple) as a sorted tuple of distinct axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        axes = tuple(normalize_axis(a, ndim, fname, argname) for a in axis)
        if len(set(axes)) != len(axes):
            raise ValueRangeError(f"{fname}: repeated axis in {argname}={tuple(axis)}")
        return tuple(sorted(axes))
    return (normalize_axis(axis, ndim, fname, argname),)
