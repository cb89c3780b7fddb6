"""Set functions (not differentiable: their outputs never require grad)."""

from __future__ import annotations

from collections import namedtuple

from .. import _dtypes
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


def isin(x1, x2, /, *, invert=False, assume_unique=False) -> Tensor:
    """Whether each element of x1 is in x2 (or not, with invert=True); either may be a
    Python scalar (a scalar x1 gives a 0-d result). A scalar takes the other operand's dtype
    when of the same kind (weak, as in arithmetic); an integer outside that dtype's range
    equals no element. assume_unique (PyTorch's, NumPy's hint) changes nothing."""
    if isinstance(x1, Tensor):
        b = x1._backend
        if isinstance(x2, Tensor) and x2._backend is not b:
            raise_device_mismatch("isin", x1, x2)
    elif isinstance(x2, Tensor):
        b = x2._backend
    else:
        raise TypeError(f"isin: at least one of x1, x2 must be an arraygrad Tensor, got "
                        f"{type(x1).__name__} and {type(x2).__name__}")
    a1, a2 = _isin_operand(x1, x2, b, "x1"), _isin_operand(x2, x1, b, "x2")
    if a1 is None or a2 is None:  # an integer no element can equal
        shape = () if a1 is None else a1.shape
        return wrap(b.create("full", shape, bool(invert), dtype=b.native_dtype[_dtypes.bool]), b)
    return wrap(b.fn["isin"](a1, a2, invert=invert), b)


_SCALAR_KINDS = {bool: "b", int: "iu", float: "f", complex: "c"}


def _isin_operand(x, other, b, argname):
    """x as a backend array (None: an integer out of `other`'s range)."""
    if isinstance(x, Tensor):
        return x._data
    kinds = _SCALAR_KINDS.get(type(x))
    if kinds is None:
        raise TypeError(f"isin: {argname} must be a Tensor or a Python scalar, got {type(x).__name__}")
    if isinstance(other, Tensor) and other._dtype.kind in kinds:
        native = b.native_dtype[other._dtype]
        if type(x) is int:
            info = b.xp.iinfo(native)
            if not info.min <= x <= info.max:
                return None
        return b.asarray(x, dtype=native)  # on b's device
    return b.asarray(x)


__all__ = exported(__name__)
