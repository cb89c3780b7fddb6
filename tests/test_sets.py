"""Set functions (src/arraygrad/_ops/sets.py) against array-api-strict, on both CPU backends:
unique_all/counts/inverse/values and isin."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import arraygrad as xp
from _oracle import SHAPES, ag, arrays, assert_tensor_like, dtypes, oracle, to_np

FIELDS = {"unique_all": ("values", "indices", "inverse_indices", "counts"),
          "unique_counts": ("values", "counts"),
          "unique_inverse": ("values", "inverse_indices")}


def _small(dtype):
    """Few distinct values, so that duplicates are common (NaN stays possible for floats)."""
    return {} if dtype.kind in "fcb" else {"min_value": 0, "max_value": 4}


def _by_value(values):
    """The permutation sorting `values` (NaNs last); the standard leaves the order open."""
    return np.argsort(values, kind="stable")


@pytest.mark.parametrize("name", ["unique_all", "unique_counts", "unique_inverse", "unique_values"])
@given(data=st.data())
def test_unique(backend, name, data):
    dtype = data.draw(dtypes("real numeric") | dtypes("bool"))
    a = data.draw(arrays(dtype, SHAPES, **_small(dtype)), label="x")
    out = getattr(xp, name)(ag(a, backend))
    expected = oracle(name, a)
    if name == "unique_values":
        assert_tensor_like(out, expected, backend, check_dtype=True, sort=True)
        return
    assert tuple(out._fields) == FIELDS[name]
    values = to_np(out.values)
    mine, theirs = _by_value(values), _by_value(expected.values)
    assert_tensor_like(out.values, expected.values, backend, sort=True)
    for field in ("indices", "counts"):
        if field in out._fields:
            t, e = getattr(out, field), getattr(expected, field)
            assert_tensor_like(t, e, backend, check_values=False)
            np.testing.assert_array_equal(to_np(t)[mine], e[theirs])
    if "inverse_indices" in out._fields:  # values[inverse] rebuilds x, with x's shape
        inv = out.inverse_indices
        assert_tensor_like(inv, expected.inverse_indices, backend, check_values=False)
        np.testing.assert_array_equal(values[to_np(inv)], a)
    if "indices" in out._fields:  # x's first occurrence of each value
        idx = to_np(out.indices)
        np.testing.assert_array_equal(a.reshape(-1)[idx], values)


def test_unique_values_are_sorted_numpy():
    """NumPy >= 2.3 returns unique_values unsorted; arraygrad sorts them (as np.unique,
    torch.unique and its other unique_* functions do; array-api-extra relies on it)."""
    x = xp.asarray([3, 1, 2, 3, 1, 7, -4])
    np.testing.assert_array_equal(to_np(xp.unique_values(x)), [-4, 1, 2, 3, 7])


def test_unique_nans_are_distinct(backend):
    x = xp.asarray([np.nan, 1.0, np.nan], device=backend.device)
    assert xp.unique_values(x).shape == (3,)
    np.testing.assert_array_equal(to_np(xp.unique_counts(x).counts), [1, 1, 1])


@given(data=st.data())
def test_isin(backend, data):
    dtype = data.draw(dtypes("integer"))
    a1 = data.draw(arrays(dtype, SHAPES, **_small(dtype)), label="x1")
    a2 = data.draw(arrays(dtype, SHAPES, **_small(dtype)), label="x2")
    invert = data.draw(st.booleans(), label="invert")
    out = xp.isin(ag(a1, backend), ag(a2, backend), invert=invert)
    # NumPy is the oracle here: array-api-strict 2.6 ignores invert (see _strict_backend)
    assert_tensor_like(out, np.isin(a1, a2, invert=invert), backend)


def test_isin_python_int(backend):
    """2025.12: either argument may be a Python int (a scalar x1 gives a 0-d result)."""
    x = xp.asarray([1, 2, 3], device=backend.device)
    np.testing.assert_array_equal(to_np(xp.isin(x, 2)), [False, True, False])
    out = xp.isin(3, x)
    assert out.shape == () and bool(out)
    assert out.device == backend.device


def test_isin_python_scalars_take_the_array_dtype(backend):
    """A scalar of the array's kind is weak (as in arithmetic): uint64 with 0 is valid on
    every backend; an integer outside the dtype's range equals no element."""
    x = xp.asarray([0, 7, 255], dtype=xp.uint8, device=backend.device)
    np.testing.assert_array_equal(to_np(xp.isin(x, 0)), [True, False, False])
    np.testing.assert_array_equal(to_np(xp.isin(x, -1)), [False, False, False])
    np.testing.assert_array_equal(to_np(xp.isin(x, 256, invert=True)), [True, True, True])
    assert not bool(xp.isin(-1, x)) and bool(xp.isin(255, x))
    big = xp.asarray([0, 2**63], dtype=xp.uint64, device=backend.device)
    np.testing.assert_array_equal(to_np(xp.isin(big, 0)), [True, False])


def test_isin_errors(backend):
    with pytest.raises(TypeError, match="isin"):
        xp.isin(1, 2)
    with pytest.raises(TypeError, match="isin"):
        xp.isin(xp.asarray([1], device=backend.device), [1, 2])
