"""Sorting functions (src/arraygrad/_ops/sorting.py) against array-api-strict, on both CPU
backends: sort and argsort, ascending and descending, stable ties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import arraygrad as xp
from _oracle import NONEMPTY_SHAPES, ag, arrays, assert_tensor_like, dtypes, oracle, to_np


@pytest.mark.parametrize("name", ["sort", "argsort"])
@given(data=st.data())
def test_sort_argsort(backend, name, data):
    # small integers so that ties are common: stable sorts must keep their order
    dtype = data.draw(dtypes("real numeric"))
    small = {} if dtype.kind == "f" else {"min_value": 0, "max_value": 3}
    a = data.draw(arrays(dtype, NONEMPTY_SHAPES, **small), label="x")
    axis = data.draw(st.integers(-a.ndim, a.ndim - 1), label="axis")
    descending = data.draw(st.booleans(), label="descending")
    out = getattr(xp, name)(ag(a, backend), axis=axis, descending=descending, stable=True)
    assert_tensor_like(out, oracle(name, a, axis=axis, descending=descending, stable=True), backend)


def test_descending_argsort_is_stable(backend):
    """Ties keep their original order when sorting in descending order too."""
    x = xp.asarray([1, 3, 1, 3, 2], device=backend.device)
    np.testing.assert_array_equal(to_np(xp.argsort(x, descending=True)), [1, 3, 4, 0, 2])


@given(data=st.data())
def test_unstable_sort_is_sorted(backend, data):
    a = data.draw(arrays(dtypes("real floating"), NONEMPTY_SHAPES, finite=True))
    out = to_np(xp.sort(ag(a, backend), stable=False))
    np.testing.assert_array_equal(out, np.sort(a, axis=-1))


@pytest.mark.parametrize("name", ["sort", "argsort"])
def test_sort_errors(backend, name):
    fn = getattr(xp, name)
    with pytest.raises(TypeError, match=name):
        fn(xp.ones((3,), dtype=xp.complex64, device=backend.device))
    with pytest.raises((IndexError, ValueError), match=name):
        fn(xp.ones((3,), device=backend.device), axis=1)
    with pytest.raises(ValueError, match=name):
        fn(xp.asarray(1.0, device=backend.device))
