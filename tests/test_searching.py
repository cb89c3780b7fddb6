"""Searching functions (src/arraygrad/_ops/searching.py) against array-api-strict, on both
CPU backends: argmax/argmin, count_nonzero, nonzero, searchsorted, where."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import arraygrad as xp
from _oracle import (NONEMPTY_SHAPES, SHAPES, ag, arrays, assert_tensor_like, dtypes, oracle,
                     to_np)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@given(data=st.data())
def test_argmax_argmin(backend, name, data):
    a = data.draw(arrays(dtypes("real numeric"), NONEMPTY_SHAPES), label="x")
    axis = data.draw(st.none() | st.integers(-a.ndim, a.ndim - 1), label="axis")
    keepdims = data.draw(st.booleans(), label="keepdims")
    out = getattr(xp, name)(ag(a, backend), axis=axis, keepdims=keepdims)
    assert_tensor_like(out, oracle(name, a, axis=axis, keepdims=keepdims), backend)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin_errors(backend, name):
    fn = getattr(xp, name)
    with pytest.raises(ValueError, match=name):
        fn(xp.zeros((0,), device=backend.device))
    with pytest.raises((IndexError, ValueError), match=name):
        fn(xp.zeros((2, 2), device=backend.device), axis=2)
    with pytest.raises(TypeError, match=name):
        fn(xp.zeros((2,), dtype=xp.complex64, device=backend.device))


@given(data=st.data())
def test_count_nonzero(backend, data):
    a = data.draw(arrays(dtypes("any"), SHAPES), label="x")
    axis = data.draw(st.none() | hnp.valid_tuple_axes(a.ndim)
                     | (st.integers(-a.ndim, a.ndim - 1) if a.ndim else st.none()), label="axis")
    keepdims = data.draw(st.booleans(), label="keepdims")
    out = xp.count_nonzero(ag(a, backend), axis=axis, keepdims=keepdims)
    assert_tensor_like(out, oracle("count_nonzero", a, axis=axis, keepdims=keepdims), backend)


@given(data=st.data())
def test_nonzero(backend, data):
    a = data.draw(arrays(dtypes("any"), NONEMPTY_SHAPES), label="x")
    out = xp.nonzero(ag(a, backend))
    expected = oracle("nonzero", a)
    assert isinstance(out, tuple) and len(out) == len(expected) == a.ndim
    for o, e in zip(out, expected):
        assert_tensor_like(o, e, backend)


def test_nonzero_of_0d_raises(backend):
    with pytest.raises(ValueError, match="nonzero"):
        xp.nonzero(xp.asarray(1.0, device=backend.device))


@given(data=st.data())
def test_searchsorted(backend, data):
    dtype = data.draw(dtypes("real numeric"))
    x1 = np.sort(data.draw(arrays(dtype, hnp.array_shapes(min_dims=1, max_dims=1), finite=True)))
    x2 = data.draw(arrays(dtype, SHAPES, finite=True))
    side = data.draw(st.sampled_from(["left", "right"]))
    out = xp.searchsorted(ag(x1, backend), ag(x2, backend), side=side)
    assert_tensor_like(out, oracle("searchsorted", x1, x2, side=side), backend)


@given(data=st.data())
def test_searchsorted_with_sorter(backend, data):
    x1 = data.draw(arrays(np.dtype("int32"), hnp.array_shapes(min_dims=1, max_dims=1, min_side=1)))
    x2 = data.draw(arrays(np.dtype("int32"), (5,)))
    sorter = np.argsort(x1, kind="stable").astype(np.int64)
    out = xp.searchsorted(ag(x1, backend), ag(x2, backend), sorter=ag(sorter, backend))
    assert_tensor_like(out, oracle("searchsorted", x1, x2, sorter=sorter), backend)


@pytest.mark.parametrize("value", [2, 2.5])
def test_searchsorted_python_scalar(backend, value):
    """2025.12 lets x2 be a Python int or float; the result is 0-d."""
    x1 = xp.asarray([1.0, 2.0, 3.0], device=backend.device)
    out = xp.searchsorted(x1, value, side="right")
    assert out.shape == () and int(out) == np.searchsorted([1.0, 2.0, 3.0], value, side="right")


def test_searchsorted_errors(backend):
    x1 = xp.asarray([1, 2, 3], device=backend.device)
    with pytest.raises(ValueError, match="side"):
        xp.searchsorted(x1, x1, side="middle")
    with pytest.raises(ValueError, match="1-D"):
        xp.searchsorted(xp.ones((2, 2), device=backend.device), x1)


@given(data=st.data())
def test_where(backend, data):
    dtype = data.draw(dtypes("any"))
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3))
    cond = data.draw(arrays(np.dtype(bool), shapes.input_shapes[0]))
    a1 = data.draw(arrays(dtype, shapes.input_shapes[1]))
    a2 = data.draw(arrays(dtype, shapes.input_shapes[2]))
    out = xp.where(ag(cond, backend), ag(a1, backend), ag(a2, backend))
    assert_tensor_like(out, oracle("where", cond, a1, a2), backend)


@pytest.mark.parametrize("dtype, scalar, out_dtype", [
    ("float32", 2, "float32"), ("float64", 2.5, "float64"), ("int16", 7, "int16"),
    ("bool", False, "bool"), ("complex64", 1j, "complex64"), ("float32", 1j, "complex64")])
def test_where_python_scalar(backend, dtype, scalar, out_dtype):
    cond = xp.asarray([True, False, True], device=backend.device)
    x = xp.asarray([1, 0, 1], dtype=getattr(xp, dtype), device=backend.device)
    for out, picked in ((xp.where(cond, x, scalar), [1, scalar, 1]),
                        (xp.where(cond, scalar, x), [scalar, 0, scalar])):
        assert out.dtype == getattr(xp, out_dtype)
        np.testing.assert_array_equal(to_np(out), np.asarray(picked, dtype=out_dtype))


@pytest.mark.parametrize("scalar", [np.float64(2.5), np.float32(2.5), np.int64(2)])
def test_where_and_binary_functions_take_numpy_scalars(backend, scalar):
    """A NumPy scalar counts as a Python scalar (the array keeps its dtype), as in the
    operators and in PyTorch (SciPy passes np.log(eps) to where)."""
    cond = xp.asarray([True, False], device=backend.device)
    x = xp.asarray([1.0, 0.0], device=backend.device)
    for out in (xp.where(cond, x, scalar), xp.where(cond, scalar, x), xp.maximum(x, scalar),
                xp.minimum(scalar, x)):
        assert out.dtype == xp.float32
    np.testing.assert_array_equal(to_np(xp.where(cond, x, scalar)), [1.0, float(scalar)])
    np.testing.assert_array_equal(to_np(xp.maximum(x, scalar)), [float(scalar)] * 2)


def test_where_errors(backend):
    x = xp.ones((3,), device=backend.device)
    with pytest.raises(TypeError, match="condition"):
        xp.where(x, x, x)  # float condition
    with pytest.raises(ValueError):
        xp.where(x > 0, x, xp.ones((2,), device=backend.device))  # shapes do not broadcast
