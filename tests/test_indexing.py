"""Indexing (src/arraygrad/_ops/indexing.py, `__getitem__`/`__setitem__`) on both CPU
backends: basic, integer-array and boolean keys against NumPy's indexing, take and
take_along_axis against array-api-strict, and errors for bad keys."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import arraygrad as xp
from _oracle import (NONEMPTY_SHAPES, SHAPES, ag, arrays, assert_tensor_like, dtypes, oracle,
                     to_np)


@given(data=st.data())
def test_basic_getitem(backend, data):
    a = data.draw(arrays(dtypes("any"), SHAPES), label="x")
    key = data.draw(hnp.basic_indices(a.shape, allow_newaxis=True), label="key")
    assert_tensor_like(ag(a, backend)[key], a[key], backend)


@given(data=st.data())
def test_basic_setitem(backend, data):
    dtype = data.draw(dtypes("numeric"))
    a = data.draw(arrays(dtype, SHAPES), label="x")
    key = data.draw(hnp.basic_indices(a.shape), label="key")
    target = a[key]
    shapes = hnp.broadcastable_shapes(np.shape(target), min_side=0, max_dims=np.ndim(target))
    shapes = shapes.filter(lambda s: np.broadcast_shapes(s, np.shape(target)) == np.shape(target))
    value = data.draw(arrays(dtype, shapes), label="value")
    t = ag(a, backend)
    t[key] = ag(value, backend)
    expected = a.copy()
    expected[key] = value
    assert_tensor_like(t, expected, backend)


@pytest.mark.parametrize("scalar", [7, 2.5, True])
def test_setitem_python_scalar(backend, scalar):
    t = xp.zeros((2, 3), device=backend.device)
    t[0, 1:] = scalar
    expected = np.zeros((2, 3), dtype=np.float32)
    expected[0, 1:] = scalar
    assert_tensor_like(t, expected, backend)


@given(data=st.data())
def test_integer_array_getitem(backend, data):
    a = data.draw(arrays(dtypes("any"), NONEMPTY_SHAPES), label="x")
    idx_shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3))
    key = tuple(data.draw(hnp.arrays(np.int64, idx_shape, elements=st.integers(-n, n - 1)))
                for n in a.shape)
    t = ag(a, backend)
    assert_tensor_like(t[tuple(ag(k, backend) for k in key)], a[key], backend)
    if backend.name == "numpy":  # beyond the standard (strict refuses): arrays with slices
        k0 = key[0]
        assert_tensor_like(t[ag(k0, backend), ...], a[k0, ...], backend)
        assert_tensor_like(t[ag(k0, backend)], a[k0], backend)


@given(data=st.data())
def test_boolean_mask_getitem_setitem(backend, data):
    dtype = data.draw(dtypes("numeric"))
    a = data.draw(arrays(dtype, NONEMPTY_SHAPES), label="x")
    mask = data.draw(hnp.arrays(np.bool_, a.shape), label="mask")
    t = ag(a, backend)
    assert_tensor_like(t[ag(mask, backend)], a[mask], backend)
    t[ag(mask, backend)] = 0
    expected = a.copy()
    expected[mask] = 0
    assert_tensor_like(t, expected, backend)


@given(data=st.data())
def test_boolean_mask_with_fewer_axes(backend, data):
    """A mask over the leading axes, 0-d masks included (x[False] has shape (0, *x.shape)),
    is a sole index on every backend (array-api-strict accepts masks only alone)."""
    a = data.draw(arrays(dtypes("numeric"), SHAPES), label="x")
    lead = data.draw(st.integers(0, a.ndim), label="mask ndim")
    mask = data.draw(hnp.arrays(np.bool_, a.shape[:lead]), label="mask")
    assert_tensor_like(ag(a, backend)[ag(mask, backend)], a[mask], backend)


def test_getitem_errors(backend):
    t = xp.ones((2, 3), device=backend.device)
    with pytest.raises(IndexError):
        t[2]
    with pytest.raises(IndexError):
        t[0, 0, 0]
    with pytest.raises(IndexError):
        t[xp.asarray([0.5], device=backend.device)]
    with pytest.raises((IndexError, TypeError)):
        t[1.0]
    with pytest.raises(IndexError):
        t[xp.asarray([5], device=backend.device)]


def test_basic_indexing_gives_views(backend):
    """As in PyTorch: x[0] (every axis indexed by an int too) shares x's memory."""
    x = xp.asarray([[1.0, 2.0], [3.0, 4.0]], device=backend.device)
    row, elem = x[0], x[1, 1]
    row += 10.0
    elem *= 2.0
    np.testing.assert_array_equal(to_np(x), [[11.0, 12.0], [3.0, 8.0]])
    v = xp.asarray([1.0, 2.0], device=backend.device)
    first = v[0]
    first -= 1.0
    np.testing.assert_array_equal(to_np(v), [0.0, 2.0])


def test_zero_d_integer_tensor_keys_are_positions(backend):
    """A 0-d integer tensor indexes as the int it holds (PyTorch): alone, mixed with an
    index array, and as a view that writes go through, on every backend (a CuPy array has
    no __index__: the value is read through the host)."""
    x = xp.asarray([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], device=backend.device)
    i = xp.asarray(1, device=backend.device)
    j = xp.asarray([0, 2], device=backend.device)
    np.testing.assert_array_equal(to_np(x[i]), [4.0, 5.0, 6.0])
    np.testing.assert_array_equal(to_np(x[i, j]), [4.0, 6.0])
    np.testing.assert_array_equal(to_np(x[(0, j)]), [1.0, 3.0])
    row = x[i]
    row += 10.0
    np.testing.assert_array_equal(to_np(x), [[1.0, 2.0, 3.0], [14.0, 15.0, 16.0]])


def test_fewer_indices_than_axes(backend):
    """NumPy's (and PyTorch's) implicit trailing `...`, on every backend."""
    a = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)
    t = ag(a, backend)
    for key in (1, (1,), (0, slice(1, None)), (None, 1), slice(None, 1), (1, None, 2)):
        assert_tensor_like(t[key], a[key], backend)
    t[1] = 0.0
    a[1] = 0.0
    t[0, 2] = xp.ones((4,), device=backend.device)
    a[0, 2] = 1.0
    assert_tensor_like(t, a, backend)


def test_setitem_casts_to_the_target_dtype(backend):
    x = xp.zeros((2, 3), dtype=xp.float32, device=backend.device)
    x[0] = xp.asarray([1, 2, 3], dtype=xp.int64, device=backend.device)
    x[1] = xp.asarray([4.0, 5.0, 6.0], dtype=xp.float64, device=backend.device)
    assert_tensor_like(x, np.asarray([[1, 2, 3], [4, 5, 6]], dtype=np.float32), backend)
    with pytest.raises(TypeError, match="complex"):
        x[0] = xp.asarray([1j, 1j, 1j], device=backend.device)


def test_0d_getitem(backend):
    t = xp.asarray(3.0, device=backend.device)
    assert_tensor_like(t[()], np.asarray(3.0, dtype=np.float32), backend)
    assert_tensor_like(t[...], np.asarray(3.0, dtype=np.float32), backend)
    assert_tensor_like(t[None], np.asarray([3.0], dtype=np.float32), backend)


@given(data=st.data())
def test_take(backend, data):
    a = data.draw(arrays(dtypes("any"), NONEMPTY_SHAPES), label="x")
    optional = st.none() if a.ndim == 1 else st.nothing()  # axis may be omitted for 1-D x
    axis = data.draw(st.integers(-a.ndim, a.ndim - 1) | optional)
    n = a.shape[0 if axis is None else axis]
    indices = data.draw(hnp.arrays(np.int64, st.integers(0, 5), elements=st.integers(0, n - 1)))
    out = xp.take(ag(a, backend), ag(indices, backend), axis=axis)
    assert_tensor_like(out, oracle("take", a, indices, axis=axis), backend)


@given(data=st.data())
def test_take_along_axis(backend, data):
    a = data.draw(arrays(dtypes("any"), NONEMPTY_SHAPES), label="x")
    axis = data.draw(st.integers(-a.ndim, a.ndim - 1))
    shape = list(a.shape)
    shape[axis] = data.draw(st.integers(0, 4))
    indices = data.draw(hnp.arrays(np.int64, tuple(shape),
                                   elements=st.integers(0, a.shape[axis] - 1)))
    out = xp.take_along_axis(ag(a, backend), ag(indices, backend), axis=axis)
    assert_tensor_like(out, oracle("take_along_axis", a, indices, axis=axis), backend)


def test_take_errors(backend):
    x = xp.ones((2, 3), device=backend.device)
    i = xp.asarray([0, 1], device=backend.device)
    # n-d input without axis: taken from x seen as 1-D (the standard leaves it open; NumPy's
    # and PyTorch's take do this)
    assert tuple(xp.take(x, i).shape) == (2,)
    with pytest.raises(TypeError, match="take"):
        xp.take(x, xp.asarray([0.0], device=backend.device), axis=0)
    with pytest.raises((IndexError, ValueError), match="take"):
        xp.take(x, i, axis=2)
    with pytest.raises(ValueError, match="take_along_axis"):
        xp.take_along_axis(x, i, axis=0)  # rank mismatch
    with pytest.raises(TypeError, match="take_along_axis"):
        xp.take_along_axis(x, xp.ones((2, 3), device=backend.device), axis=0)


# ----- backends whose index arrays wrap around (CuPy): the core checks the range --------------
@pytest.fixture
def wrapping_numpy(monkeypatch):
    """The NumPy backend flagged as wrapping out-of-range indices (CuPy does): the core's
    check must raise before NumPy's own (and name the axis), and pass what is in range."""
    backend = xp.ones(1)._backend
    monkeypatch.setattr(type(backend), "wraps_indices", True)
    return backend


@pytest.mark.parametrize("key, axis", [
    (lambda i: i, 0), (lambda i: (slice(None), i), 1), (lambda i: (..., i), 2),
    (lambda i: (None, 0, i), 1), (lambda i: (xp.asarray([[True, False, True], [False, False, False]]), i), 2),
    (lambda i: ([0, 1], slice(None), i), 2),
])
def test_out_of_range_index_arrays_raise_on_wrapping_backends(wrapping_numpy, key, axis):
    x = xp.reshape(xp.arange(24), (2, 3, 4))
    n = x.shape[axis]
    with pytest.raises(IndexError, match=f"index {n} is out of bounds for axis {axis} with size {n}"):
        x[key(xp.asarray([0, n]))]
    with pytest.raises(IndexError, match=f"out of bounds for axis {axis}"):
        x[key(xp.asarray([-n - 1]))]
    ok = x[key(xp.asarray([-n, n - 1]))]  # in range, negative ones too
    np.testing.assert_array_equal(to_np(ok), to_np(x[key(xp.asarray([0, n - 1]))]))
    with pytest.raises(IndexError, match="out of bounds"):
        x[key(xp.asarray([n]))] = 0


def test_out_of_range_take_raises_on_wrapping_backends(wrapping_numpy):
    x = xp.reshape(xp.arange(6.0), (2, 3))
    with pytest.raises(IndexError, match="take: index 3 is out of bounds for axis 1 with size 3"):
        xp.take(x, xp.asarray([0, 3]), axis=1)
    np.testing.assert_array_equal(to_np(xp.take(x, xp.asarray([-3, 2]), axis=1)), [[0, 2], [3, 5]])
