"""Set functions (not differentiable: their outputs never require grad)."""

from __future__ import annotations

from collections import namedtuple

from .._dispatch import Tensor, check_tensor, raise_device_mismatch, wrap
from . import exported

UniqueAllResult = namedtuple("UniqueAllResult", ["values", "indices", "inverse_indices", "counts"])
UniqueCountsResult = namedtuple("UniqueCountsResult", ["values", "counts"])
UniqueInverseResult = namedtuple("UniqueInverseResult", ["values", "inverse_indices"])


def _call(fname, x):
    check_tensor(x, fname)
    b = x._backend
    return b, b.fn[fname](x._data)


def unique_all(x, /) -> UniqueAllResult:
    """Unique values with first-occurrence indices, inverse indices and counts."""
    b, r = _call("unique_all", x)
    return UniqueAllResult(*(wrap(a, b) for a in r))


def unique_counts(x, /) -> UniqueCountsResult:
    """Unique values and how often each occurs."""
    b, r = _call("unique_counts", x)
    return UniqueCountsResult(*(wrap(a, b) for a in r))


def unique_inverse(x, /) -> UniqueInverseResult:
    """Unique values and, for each element of x, the index of its value."""
    b, r = _call("unique_inverse", x)
    return UniqueInverseResult(*(wrap(a, b) for a in r))


def unique_values(x, /) -> Tensor:
    """The unique values of x (sorted)."""
    b, r = _call("unique_values", x)
    return wrap(r, b)


def isin(x1, x2, /, *, invert=False) -> Tensor:
    """Whether each element of x1 is in x2 (or not, with invert=True); either may be a
    Python scalar (a scalar x1 gives a 0-d result)."""
    if isinstance(x1, Tensor):
        b = x1._backend
        if isinstance(x2, Tensor) and x2._backend is not b:
            raise_device_mismatch("isin", x1, x2)
    elif isinstance(x2, Tensor):
        b = x2._backend
    else:
        raise TypeError(f"isin: at least one of x1, x2 must be an arraygrad Tensor, got "
                        f"{type(x1).__name__} and {type(x2).__name__}")
    return wrap(b.fn["isin"](_isin_operand(x1, b, "x1"), _isin_operand(x2, b, "x2"),
                             invert=invert), b)


def _isin_operand(x, b, argname):
    if isinstance(x, Tensor):
        return x._data
    if isinstance(x, (bool, int, float, complex)):
        return b.asarray(x)  # on b's device
    raise TypeError(f"isin: {argname} must be a Tensor or a Python scalar, got {type(x).__name__}")


__all__ = exported(__name__)
