"""Manipulation functions (src/arraygrad/_ops/manipulation.py) against array-api-strict, on
both CPU backends: broadcasting, reshaping, joining, reordering, and their errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import arraygrad as xp
from _oracle import (NONEMPTY_SHAPES, SHAPES, ag, arrays, assert_tensor_like, dtypes, oracle,
                     to_np)

ANY = dtypes("any")


@given(data=st.data())
def test_broadcast_shapes_and_arrays(backend, data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3))
    assert xp.broadcast_shapes(*shapes.input_shapes) == shapes.result_shape
    arrs = [data.draw(arrays(ANY, s)) for s in shapes.input_shapes]
    out = xp.broadcast_arrays(*[ag(a, backend) for a in arrs])
    for o, e in zip(out, oracle("broadcast_arrays", *arrs)):
        assert_tensor_like(o, e, backend)


@given(data=st.data())
def test_broadcast_to(backend, data):
    a = data.draw(arrays(ANY, SHAPES))
    shapes = hnp.broadcastable_shapes(a.shape, min_dims=a.ndim, max_dims=4, min_side=0)
    shape = data.draw(shapes.map(lambda s: np.broadcast_shapes(s, a.shape)))
    expected = oracle("broadcast_to", a, shape)
    assert_tensor_like(xp.broadcast_to(ag(a, backend), shape), expected, backend)


def test_broadcast_errors(backend):
    with pytest.raises(ValueError, match="broadcast_shapes"):
        xp.broadcast_shapes((2, 3), (4,))
    with pytest.raises(ValueError, match="broadcast_to"):
        xp.broadcast_to(xp.ones((2, 3), device=backend.device), (3,))
    with pytest.raises(ValueError, match="broadcast_to"):
        xp.broadcast_to(xp.ones((2, 3), device=backend.device), (4, 3))


@given(data=st.data())
def test_reshape(backend, data):
    a = data.draw(arrays(ANY, SHAPES))
    shape = list(data.draw(st.permutations(list(a.shape) + [1])))
    if shape and data.draw(st.booleans()) and a.size:
        shape[data.draw(st.integers(0, len(shape) - 1))] = -1
    out = xp.reshape(ag(a, backend), tuple(shape))
    assert_tensor_like(out, oracle("reshape", a, tuple(shape)), backend)


def test_reshape_copy_semantics(backend):
    t = xp.asarray([[1.0, 2.0], [3.0, 4.0]], device=backend.device)
    with pytest.raises(ValueError):
        xp.reshape(t, (5,))
    c = xp.reshape(t, (4,), copy=True)
    c[0] = 10.0
    assert float(t[0, 0]) == 1.0  # a copy never aliases
    if backend.name == "numpy":  # a transposed array cannot be flattened without a copy
        with pytest.raises(ValueError):
            xp.reshape(t.mT, (4,), copy=False)


@given(data=st.data())
def test_permute_dims(backend, data):
    a = data.draw(arrays(ANY, SHAPES))
    axes = tuple(data.draw(st.permutations(range(a.ndim))))
    expected = oracle("permute_dims", a, axes)
    assert_tensor_like(xp.permute_dims(ag(a, backend), axes), expected, backend)


@given(data=st.data())
def test_expand_dims_squeeze(backend, data):
    a = data.draw(arrays(ANY, SHAPES))
    axis = data.draw(st.integers(-a.ndim - 1, a.ndim))
    e = xp.expand_dims(ag(a, backend), axis=axis)
    assert_tensor_like(e, oracle("expand_dims", a, axis=axis), backend)
    assert_tensor_like(xp.squeeze(e, axis=axis), a, backend)
    ones = tuple(i for i, n in enumerate(a.shape) if n == 1)
    expected = oracle("squeeze", a, axis=ones)
    assert_tensor_like(xp.squeeze(ag(a, backend), axis=ones), expected, backend)


def test_expand_dims_tuple_axis(backend):
    """2025.12: expand_dims takes a tuple of axes."""
    t = xp.ones((2, 3), device=backend.device)
    assert xp.expand_dims(t, axis=(0, -1)).shape == (1, 2, 3, 1)


def test_squeeze_errors(backend):
    t = xp.ones((2, 1), device=backend.device)
    with pytest.raises(ValueError, match="squeeze"):
        xp.squeeze(t, axis=0)  # not of size 1
    with pytest.raises((IndexError, ValueError), match="squeeze"):
        xp.squeeze(t, axis=2)


@given(data=st.data())
def test_moveaxis(backend, data):
    a = data.draw(arrays(ANY, NONEMPTY_SHAPES))
    k = data.draw(st.integers(1, a.ndim))
    src = tuple(data.draw(st.permutations(range(a.ndim)))[:k])
    dst = tuple(data.draw(st.permutations(range(-a.ndim, 0)))[:k])
    expected = oracle("moveaxis", a, src, dst)
    assert_tensor_like(xp.moveaxis(ag(a, backend), src, dst), expected, backend)
    assert_tensor_like(xp.moveaxis(ag(a, backend), src[0], dst[0]),
                       oracle("moveaxis", a, src[0], dst[0]), backend)


def test_moveaxis_takes_lists_and_words_errors_as_numpy(backend):
    """Axes as lists (SciPy's hilbert2 passes one); out-of-range axes in NumPy's words, which
    consumers match on."""
    a = np.zeros((2, 3, 4))
    assert xp.moveaxis(ag(a, backend), [1, 2], [-2, -1]).shape == (2, 3, 4)
    assert xp.moveaxis(ag(a, backend), [0], (2,)).shape == np.moveaxis(a, [0], [2]).shape
    with pytest.raises(ValueError, match="axis 10 is out of bounds for array of dimension 3"):
        xp.moveaxis(ag(a, backend), 10, 0)
    with pytest.raises(ValueError, match="cannot be broadcast"):
        xp.broadcast_shapes((2, 3), (4,))


@given(data=st.data())
def test_flip(backend, data):
    a = data.draw(arrays(ANY, SHAPES))
    axis = data.draw(st.none() | hnp.valid_tuple_axes(a.ndim)
                     | (st.integers(-a.ndim, a.ndim - 1) if a.ndim else st.none()))
    assert_tensor_like(xp.flip(ag(a, backend), axis=axis), oracle("flip", a, axis=axis), backend)


@given(data=st.data())
def test_roll(backend, data):
    a = data.draw(arrays(ANY, SHAPES))
    if a.ndim and data.draw(st.booleans()):
        axis = tuple(data.draw(st.lists(st.integers(-a.ndim, a.ndim - 1), min_size=1, max_size=3)))
        shift = tuple(data.draw(st.integers(-5, 5)) for _ in axis)
    else:
        axis = data.draw(st.none() | (st.integers(-a.ndim, a.ndim - 1) if a.ndim else st.none()))
        shift = data.draw(st.integers(-5, 5))
    assert_tensor_like(xp.roll(ag(a, backend), shift, axis=axis),
                       oracle("roll", a, shift, axis=axis), backend)


@pytest.mark.parametrize("name", ["concat", "stack"])
@given(data=st.data())
def test_concat_stack(backend, name, data):
    dtype = data.draw(dtypes("any"))
    shape = data.draw(NONEMPTY_SHAPES)
    n = data.draw(st.integers(1, 3))
    if name == "concat":
        axis = data.draw(st.integers(-len(shape), len(shape) - 1) | st.none())
        sizes = data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
        shapes = [shape if axis is None else
                  tuple(s if i != axis % len(shape) else m for i, s in enumerate(shape))
                  for m in sizes]
    else:
        axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
        shapes = [shape] * n
    arrs = [data.draw(arrays(dtype, s)) for s in shapes]
    out = getattr(xp, name)([ag(a, backend) for a in arrs], axis=axis)
    assert_tensor_like(out, oracle(name, arrs, axis=axis), backend)


def test_concat_promotes(backend):
    """concat of mixed dtypes promotes by the standard's table."""
    a = xp.asarray([1, 2], dtype=xp.int8, device=backend.device)
    b = xp.asarray([3], dtype=xp.int16, device=backend.device)
    out = xp.concat((a, b))
    assert out.dtype == xp.int16
    np.testing.assert_array_equal(to_np(out), [1, 2, 3])


def test_concat_stack_errors(backend):
    a = xp.ones((2, 3), device=backend.device)
    b = xp.ones((3, 3), device=backend.device)
    with pytest.raises(ValueError, match="concat"):
        xp.concat([a, b], axis=1)
    with pytest.raises(ValueError, match="concat"):
        xp.concat([])
    with pytest.raises(ValueError, match="stack"):
        xp.stack([a, b])
    with pytest.raises((IndexError, ValueError), match="stack"):
        xp.stack([a, a], axis=3)
    with pytest.raises(TypeError, match="concat"):
        xp.concat(a)


@given(data=st.data())
def test_unstack(backend, data):
    a = data.draw(arrays(ANY, NONEMPTY_SHAPES))
    axis = data.draw(st.integers(-a.ndim, a.ndim - 1))
    out = xp.unstack(ag(a, backend), axis=axis)
    expected = oracle("unstack", a, axis=axis)
    assert isinstance(out, tuple) and len(out) == len(expected)
    for o, e in zip(out, expected):
        assert_tensor_like(o, e, backend)


@given(data=st.data())
def test_tile(backend, data):
    a = data.draw(arrays(ANY, SHAPES))
    reps = tuple(data.draw(st.lists(st.integers(0, 3), min_size=0, max_size=4)))
    assume(math.prod(reps) * max(a.size, 1) < 500)
    assert_tensor_like(xp.tile(ag(a, backend), reps), oracle("tile", a, reps), backend)


@given(data=st.data())
def test_repeat(backend, data):
    a = data.draw(arrays(ANY, SHAPES))
    axis = data.draw(st.none() | (st.integers(-a.ndim, a.ndim - 1) if a.ndim else st.none()))
    n = a.size if axis is None else a.shape[axis]
    if data.draw(st.booleans()):
        repeats = data.draw(st.integers(0, 3))
        out = xp.repeat(ag(a, backend), repeats, axis=axis)
    else:
        repeats = data.draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, 3)))
        out = xp.repeat(ag(a, backend), ag(repeats, backend), axis=axis)
    assert_tensor_like(out, oracle("repeat", a, repeats, axis=axis), backend)


def test_repeat_tile_errors(backend):
    t = xp.ones((2, 3), device=backend.device)
    with pytest.raises(ValueError, match="repeat"):
        xp.repeat(t, -1)
    with pytest.raises(TypeError, match="repeat"):
        xp.repeat(t, xp.asarray([1.0, 2.0], device=backend.device), axis=0)
    with pytest.raises(ValueError, match="tile"):
        xp.tile(t, (-1,))
