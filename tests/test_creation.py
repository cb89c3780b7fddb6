"""Creation functions (src/arraygrad/_ops/creation.py) on both CPU backends: values against
NumPy / array-api-strict, default dtypes as in PyTorch (the standard leaves them to the
library), device placement, asarray's copy semantics, and errors."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import arraygrad as xp
from _oracle import SHAPES, ag, arrays, assert_tensor_like, dtypes, oracle, to_np

NAMES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
         "float32", "float64", "complex64", "complex128")
ALL = [getattr(xp, n) for n in NAMES]


@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
@given(shape=SHAPES, dtype=st.sampled_from(ALL) | st.none())
def test_filled(backend, name, shape, dtype):
    t = getattr(xp, name)(shape, dtype=dtype, device=backend.device)
    expected_dtype = dtype or xp.float32
    filled = np.full(shape, {"zeros": 0, "ones": 1}.get(name, 0), dtype=expected_dtype.name)
    assert_tensor_like(t, filled, backend, check_values=name != "empty")


@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like", "full_like"])
@given(data=st.data())
def test_like(backend, name, data):
    a = data.draw(arrays(dtypes("any"), SHAPES))
    dtype = data.draw(st.sampled_from(ALL) | st.none())
    src = ag(a, backend)
    args = (src, 1) if name == "full_like" else (src,)
    out = getattr(xp, name)(*args, dtype=dtype)
    expected = np.full(a.shape, 0 if name == "zeros_like" else 1,
                       dtype=a.dtype if dtype is None else dtype.name)
    assert_tensor_like(out, expected, backend, check_values=name != "empty_like")


@given(shape=SHAPES, fill=st.booleans() | st.integers(-100, 100) | st.floats(-1e3, 1e3)
       | st.complex_numbers(max_magnitude=1e3))
def test_full_infers_dtype_like_torch(backend, shape, fill):
    """bool -> bool, int -> int64, float -> the default float32, complex -> complex64."""
    t = xp.full(shape, fill, device=backend.device)
    expected = torch.full(shape, fill).numpy()
    assert_tensor_like(t, expected, backend)


@pytest.mark.parametrize("dtype, fill", [(xp.int8, 300), (xp.uint8, -1)])
def test_full_out_of_range_int(backend, dtype, fill):
    with pytest.raises(OverflowError, match="full"):
        xp.full((2,), fill, dtype=dtype, device=backend.device)


def test_full_wrong_kind(backend):
    # a float into an integer dtype truncates toward zero, as PyTorch (the standard leaves it open)
    assert to_np(xp.full((2,), -1.5, dtype=xp.int32, device=backend.device)).tolist() == [-1, -1]
    with pytest.raises(OverflowError, match="full"):
        xp.full((2,), float("inf"), dtype=xp.int32, device=backend.device)
    with pytest.raises(TypeError, match="full"):
        xp.full((2,), 1j, dtype=xp.float32, device=backend.device)
    with pytest.raises(TypeError, match="full"):
        xp.full((2,), "1", device=backend.device)


@given(start=st.integers(-20, 20), stop=st.integers(-20, 20) | st.none(),
       step=st.integers(-4, 4).filter(bool))
def test_arange_int(backend, start, stop, step):
    t = xp.arange(start, stop, step, device=backend.device)
    expected = np.arange(start, step=step, dtype=np.int64) if stop is None else \
        np.arange(start, stop, step, dtype=np.int64)
    assert_tensor_like(t, expected, backend)


@given(start=st.floats(-10, 10), stop=st.floats(-10, 10),
       step=st.floats(-3, 3).filter(lambda s: abs(s) > 0.05),
       dtype=st.sampled_from([None, xp.float64]))
def test_arange_float(backend, start, stop, step, dtype):
    t = xp.arange(start, stop, step, dtype=dtype, device=backend.device)
    n = max(0, math.ceil((stop - start) / step))
    expected = (start + np.arange(n) * step).astype((dtype or xp.float32).name)
    assert_tensor_like(t, expected, backend, rtol=1e-6, atol=1e-6)


def test_arange_errors(backend):
    with pytest.raises(ValueError, match="arange"):
        xp.arange(0, 5, 0, device=backend.device)
    with pytest.raises(TypeError, match="arange"):
        xp.arange("5", device=backend.device)


@given(start=st.floats(-1e3, 1e3), stop=st.floats(-1e3, 1e3), num=st.integers(0, 10),
       endpoint=st.booleans())
def test_linspace(backend, start, stop, num, endpoint):
    t = xp.linspace(start, stop, num, dtype=xp.float64, endpoint=endpoint, device=backend.device)
    expected = np.linspace(start, stop, num, endpoint=endpoint, dtype=np.float64)
    assert_tensor_like(t, expected, backend, rtol=1e-9, atol=1e-9)
    assert xp.linspace(start, stop, num, device=backend.device).dtype == xp.float32


def test_linspace_complex(backend):
    t = xp.linspace(0, 1 + 2j, 3, device=backend.device)
    assert t.dtype == xp.complex64
    np.testing.assert_allclose(to_np(t), [0, 0.5 + 1j, 1 + 2j])
    with pytest.raises(TypeError, match="linspace"):
        xp.linspace(0, 1j, 3, dtype=xp.float32, device=backend.device)
    with pytest.raises(ValueError, match="linspace"):
        xp.linspace(0, 1, -1, device=backend.device)


@given(n=st.integers(0, 5), m=st.integers(0, 5) | st.none(), k=st.integers(-6, 6),
       dtype=st.sampled_from(ALL))
def test_eye(backend, n, m, k, dtype):
    t = xp.eye(n, m, k=k, dtype=dtype, device=backend.device)
    assert_tensor_like(t, np.eye(n, m, k=k, dtype=dtype.name), backend)


@pytest.mark.parametrize("name", ["tril", "triu"])
@given(data=st.data())
def test_tril_triu(backend, name, data):
    a = data.draw(arrays(dtypes("any"), hnp.array_shapes(min_dims=2, max_dims=4, max_side=4)))
    k = data.draw(st.integers(-5, 5))
    assert_tensor_like(getattr(xp, name)(ag(a, backend), k=k), oracle(name, a, k=k), backend)


@pytest.mark.parametrize("name", ["tril", "triu"])
def test_tril_triu_need_matrices(backend, name):
    with pytest.raises(ValueError, match=name):
        getattr(xp, name)(xp.ones((3,), device=backend.device))


@given(data=st.data())
def test_meshgrid(backend, data):
    dtype = data.draw(dtypes("numeric"))
    arrs = data.draw(st.lists(arrays(dtype, hnp.array_shapes(min_dims=1, max_dims=1, max_side=4)),
                              max_size=3))
    indexing = data.draw(st.sampled_from(["xy", "ij"]))
    out = xp.meshgrid(*[ag(a, backend) for a in arrs], indexing=indexing)
    expected = oracle("meshgrid", *arrs, indexing=indexing)
    assert len(out) == len(expected)
    for o, e in zip(out, expected):
        assert_tensor_like(o, e, backend)


def test_meshgrid_errors(backend):
    a = xp.ones((2,), device=backend.device)
    with pytest.raises(ValueError, match="meshgrid"):
        xp.meshgrid(a, indexing="yx")
    with pytest.raises(TypeError, match="meshgrid"):
        xp.meshgrid(a, xp.ones((2,), dtype=xp.int32, device=backend.device))
    with pytest.raises(ValueError, match="meshgrid"):
        xp.meshgrid(xp.ones((2, 2), device=backend.device))


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "full"])
def test_shape_errors(backend, name):
    fn = getattr(xp, name)
    args = (1,) if name == "full" else ()
    with pytest.raises(ValueError, match=name):
        fn((2, -1), *args, device=backend.device)
    with pytest.raises(TypeError, match=name):
        fn((2, 1.5), *args, device=backend.device)
    with pytest.raises(TypeError):
        fn((2,), *args, dtype="float", device=backend.device)  # not a dtype name we know


# ----- asarray ------------------------------------------------------------------------------
@pytest.mark.parametrize("obj", [
    1, 2.5, True, 1 + 2j, [1, 2, 3], [[1.0, 2.0], [3.0, 4.0]], [True, False], [1, 2.5],
    [1, 1j], [], [[]], [[1], [2]], (1, 2)])
def test_asarray_python_data_like_torch(backend, obj):
    """Python data: dtypes inferred as torch.tensor does (float32, int64, complex64)."""
    t = xp.asarray(obj, device=backend.device)
    assert_tensor_like(t, torch.tensor(obj).numpy(), backend)


@given(data=st.data())
def test_asarray_numpy_arrays(backend, data):
    a = data.draw(arrays(dtypes("any"), SHAPES))
    assert_tensor_like(xp.asarray(a, device=backend.device), a, backend)
    d = data.draw(dtypes("numeric"))
    assume(np.can_cast(a.dtype, d, "same_kind"))
    out = xp.asarray(a, dtype=getattr(xp, d.name), device=backend.device)
    assert_tensor_like(out, a.astype(d), backend)


def test_asarray_copy_semantics_numpy():
    a = np.arange(4.0)
    shared = xp.asarray(a)  # the NumPy bridge: no copy by default
    a[0] = 10.0
    assert float(shared[0]) == 10.0
    copied = xp.asarray(a, copy=True)
    a[1] = 20.0
    assert float(copied[1]) == 1.0
    with pytest.raises(ValueError, match="copy"):
        xp.asarray(a, dtype=xp.float32, copy=False)
    with pytest.raises(ValueError, match="copy"):
        xp.asarray([1.0, 2.0], copy=False)
    kept = xp.asarray(a, copy=False, requires_grad=True)  # shared, and a leaf
    a[2] = 30.0
    assert float(kept[2]) == 30.0 and kept.requires_grad and kept.is_leaf


@pytest.mark.parametrize("array", [np.array(["a"]), np.ones(2, np.longdouble), np.array([None]),
                                   np.zeros(2, "datetime64[s]")], ids=["str", "longdouble", "object", "datetime"])
def test_asarray_numpy_array_of_unsupported_dtype(array):
    with pytest.raises(TypeError, match=re.escape(f"asarray: dtype {array.dtype} ")):
        xp.asarray(array)
    with pytest.raises(TypeError, match="not supported"):
        xp.from_numpy(array)


def test_asarray_of_tensor(backend):
    t = xp.asarray([1.0, 2.0], device=backend.device)
    assert xp.asarray(t) is t
    c = xp.asarray(t, copy=True)
    assert c is not t
    c[0] = 5.0
    assert float(t[0]) == 1.0
    assert xp.asarray(t, dtype=xp.float64).dtype == xp.float64
    with pytest.raises(ValueError, match="copy"):
        xp.asarray(t, dtype=xp.float64, copy=False)


def test_asarray_lists_of_numpy_arrays_keep_their_dtype(backend):
    t = xp.asarray([np.arange(2, dtype=np.int16), np.arange(2, 4, dtype=np.int16)], device=backend.device)
    assert t.dtype == xp.int16 and t.tolist() == [[0, 1], [2, 3]]


def test_asarray_nested_tensors(backend):
    parts = [xp.asarray(row, device=backend.device) for row in ([1.0, 2.0], [3.0, 4.0])]
    assert_tensor_like(xp.asarray(parts), np.asarray([[1, 2], [3, 4]], dtype=np.float32), backend)


def test_asarray_errors(backend):
    with pytest.raises(OverflowError, match="asarray"):
        xp.asarray([1, 2**70], device=backend.device)
    with pytest.raises(OverflowError, match="asarray"):
        xp.asarray([300], dtype=xp.int8, device=backend.device)
    with pytest.raises(TypeError, match="asarray"):
        xp.asarray("abc", device=backend.device)
    with pytest.raises(TypeError, match="asarray"):
        xp.asarray([1j], dtype=xp.float32, device=backend.device)
    with pytest.raises(TypeError, match="asarray"):
        xp.asarray({1: 2}, device=backend.device)
    with pytest.raises(TypeError, match="cannot convert NoneType"):  # torch.tensor refuses too
        xp.asarray([[1.0, None]], dtype=xp.float32, device=backend.device)
    with pytest.raises(OverflowError, match="-1 is out of range"):
        xp.asarray([[3], (-1,)], dtype=xp.uint8, device=backend.device)
    with pytest.raises(TypeError):
        xp.asarray([1.0], dtype=np.dtype("datetime64[s]"), device=backend.device)


@pytest.mark.parametrize("dtype", ["float32", "int16", "bool", "complex128"])
def test_requires_grad_argument(backend, dtype):
    if dtype in ("float32", "complex128"):
        t = xp.zeros((2,), dtype=getattr(xp, dtype), device=backend.device, requires_grad=True)
        assert t.requires_grad and t.is_leaf
    else:
        with pytest.raises(RuntimeError, match="floating point"):
            xp.zeros((2,), dtype=getattr(xp, dtype), device=backend.device, requires_grad=True)


@pytest.mark.parametrize("make", [np.float64, np.float32, np.complex128, np.int16, np.bool_])
def test_asarray_numpy_scalars_keep_their_dtype(backend, make):
    """NumPy scalars carry a dtype (np.float64 is also a Python float, np.complex128 a
    complex): asarray keeps it, alone or in a list, as NumPy and torch.as_tensor do."""
    s = make(1)
    assert_tensor_like(xp.asarray(s, device=backend.device), np.asarray(s), backend)
    assert_tensor_like(xp.asarray([s, s], device=backend.device), np.asarray([s, s]), backend)


def test_arange_takes_numpy_scalars(backend):
    """np.int64 is not an int: its value counts (SciPy passes them)."""
    out = xp.arange(np.int64(1), np.int32(7), np.int8(2), device=backend.device)
    assert_tensor_like(out, np.arange(1, 7, 2), backend)
    assert_tensor_like(xp.arange(np.float64(1.5), device=backend.device),
                       np.arange(1.5, dtype=np.float32), backend)
