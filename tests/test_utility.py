"""Utility functions (src/arraygrad/_ops/utility.py) against array-api-strict, on both CPU
backends: all, any, diff."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import arraygrad as xp
from _oracle import NONEMPTY_SHAPES, SHAPES, ag, arrays, assert_tensor_like, dtypes, oracle


@pytest.mark.parametrize("name", ["all", "any"])
@given(data=st.data())
def test_all_any(backend, name, data):
    a = data.draw(arrays(dtypes("any"), SHAPES), label="x")
    axis = data.draw(st.none() | hnp.valid_tuple_axes(a.ndim)
                     | (st.integers(-a.ndim, a.ndim - 1) if a.ndim else st.none()), label="axis")
    keepdims = data.draw(st.booleans(), label="keepdims")
    out = getattr(xp, name)(ag(a, backend), axis=axis, keepdims=keepdims)
    assert_tensor_like(out, oracle(name, a, axis=axis, keepdims=keepdims), backend)


@pytest.mark.parametrize("name", ["all", "any"])
def test_all_any_bad_axis(backend, name):
    with pytest.raises((IndexError, ValueError), match=name):
        getattr(xp, name)(xp.ones((2,), device=backend.device), axis=1)


@given(data=st.data())
def test_diff(backend, data):
    dtype = data.draw(dtypes("numeric"))  # the standard: numeric (bool diff is beyond it)
    a = data.draw(arrays(dtype, NONEMPTY_SHAPES, finite=True), label="x")
    axis = data.draw(st.integers(-a.ndim, a.ndim - 1), label="axis")
    n = data.draw(st.integers(0, 3), label="n")
    kwargs = {"axis": axis, "n": n}
    for key in ("prepend", "append"):
        if data.draw(st.booleans(), label=key):
            shape = list(a.shape)
            shape[axis] = data.draw(st.integers(1, 2))
            kwargs[key] = data.draw(arrays(dtype, tuple(shape), finite=True), label=key)
    out = xp.diff(ag(a, backend), **{k: ag(v, backend) if k in ("prepend", "append") else v
                                     for k, v in kwargs.items()})
    assert_tensor_like(out, oracle("diff", a, **kwargs), backend)


def test_diff_errors(backend):
    with pytest.raises(ValueError, match="diff"):
        xp.diff(xp.asarray(1.0, device=backend.device))
    with pytest.raises(ValueError, match="diff"):
        xp.diff(xp.ones((3,), device=backend.device), n=-1)
    with pytest.raises((IndexError, ValueError), match="diff"):
        xp.diff(xp.ones((3,), device=backend.device), axis=1)
