"""Statistical functions (src/arraygrad/_ops/statistical.py) against array-api-strict, on both
CPU backends: reductions over every kind of `axis`, keepdims, dtype=, correction, scans."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import arraygrad as xp
from _oracle import NONEMPTY_SHAPES, SHAPES, ag, arrays, assert_tensor_like, dtypes, oracle

pytestmark = pytest.mark.filterwarnings(
    "ignore:(Mean of empty slice|Degrees of freedom):RuntimeWarning")

REDUCTIONS = {"sum": "numeric", "prod": "numeric", "mean": "floating-point",
              "var": "real floating", "std": "real floating", "max": "real numeric",
              "min": "real numeric"}


def axes(ndim):
    """None, an int (negative too) or a tuple of distinct axes, for an array of rank ndim."""
    options = st.none() | hnp.valid_tuple_axes(ndim)
    if ndim:
        options |= st.integers(-ndim, ndim - 1)
    return options


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@given(data=st.data())
def test_reduction(backend, name, data):
    # max/min of an empty reduction has no identity (tested below); prod keeps values small
    shape = NONEMPTY_SHAPES if name in ("max", "min") else SHAPES
    kw = {"min_value": -3, "max_value": 3} if name == "prod" else {}
    a = data.draw(arrays(dtypes(REDUCTIONS[name]), shape, **kw), label="x")
    kwargs = {"axis": data.draw(axes(a.ndim), label="axis"),
              "keepdims": data.draw(st.booleans(), label="keepdims")}
    if name in ("var", "std"):
        kwargs["correction"] = data.draw(st.sampled_from([0, 1, 0.5]), label="correction")
    out = getattr(xp, name)(ag(a, backend), **kwargs)
    assert_tensor_like(out, oracle(name, a, **kwargs), backend, rtol=1e-4)


@pytest.mark.parametrize("name", ["sum", "prod"])
@pytest.mark.parametrize("dtype, out_dtype", [
    ("int8", "int64"), ("uint8", "uint64"), ("int32", "int64"), ("uint16", "uint64"),
    ("bool", "int64"), ("float32", "float32"), ("complex64", "complex64")])
def test_sum_prod_default_accumulator(backend, name, dtype, out_dtype):
    """The standard: integer inputs accumulate in the default integer dtype (of the same
    signedness); floating inputs keep their dtype."""
    if backend.name == "strict" and dtype == "bool":
        pytest.skip("array-api-strict does not sum booleans (beyond the standard)")
    x = xp.asarray(np.arange(1, 5).astype(dtype), device=backend.device)
    out = getattr(xp, name)(x)
    assert out.dtype == getattr(xp, out_dtype)
    expected = getattr(np, name)(np.arange(1, 5).astype(dtype))
    assert float(xp.real(out) if out.dtype.kind == "c" else out) == expected


@pytest.mark.parametrize("name", ["sum", "prod", "cumulative_sum", "cumulative_prod"])
@given(data=st.data())
def test_explicit_dtype(backend, name, data):
    src, dst = data.draw(st.sampled_from([
        ("int8", "int16"), ("int32", "int64"), ("uint8", "uint32"), ("float32", "float64"),
        ("int16", "int16"), ("complex64", "complex128")]))
    shape = NONEMPTY_SHAPES if name.startswith("cum") else SHAPES
    a = data.draw(arrays(np.dtype(src), shape, finite=True, min_value=-3 if src[0] != "u" else 0,
                         max_value=3))
    kwargs = {"dtype": getattr(xp, dst)}
    if name.startswith("cum"):
        kwargs["axis"] = data.draw(st.integers(-a.ndim, a.ndim - 1))
    out = getattr(xp, name)(ag(a, backend), **kwargs)
    expected = oracle(name, a, **{**kwargs, "dtype": getattr(__import__("array_api_strict"), dst)})
    assert_tensor_like(out, expected, backend)


@pytest.mark.parametrize("name", ["cumulative_sum", "cumulative_prod"])
@given(data=st.data())
def test_scan(backend, name, data):
    a = data.draw(arrays(dtypes("numeric"), NONEMPTY_SHAPES, min_value=-3, max_value=3), label="x")
    optional = st.none() if a.ndim == 1 else st.nothing()  # axis may be omitted for 1-D x
    axis = data.draw(st.integers(-a.ndim, a.ndim - 1) | optional)
    include_initial = data.draw(st.booleans())
    out = getattr(xp, name)(ag(a, backend), axis=axis, include_initial=include_initial)
    expected = oracle(name, a, axis=axis, include_initial=include_initial)
    assert_tensor_like(out, expected, backend, rtol=1e-4)


def test_scan_needs_axis_for_nd(backend):
    x = xp.ones((2, 3), device=backend.device)
    with pytest.raises(ValueError, match="axis"):
        xp.cumulative_sum(x)


@pytest.mark.parametrize("name", ["max", "min"])
def test_empty_max_min_raise(backend, name):
    x = xp.zeros((0, 3), device=backend.device)
    with pytest.raises(ValueError, match=name):
        getattr(xp, name)(x)
    assert getattr(xp, name)(x, axis=1).shape == (0,)  # nothing empty is reduced there


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_bad_axis(backend, name):
    x = xp.ones((2, 3), device=backend.device)
    fn = getattr(xp, name)
    with pytest.raises((IndexError, ValueError), match=name):
        fn(x, axis=2)
    with pytest.raises((IndexError, ValueError), match=name):
        fn(x, axis=-3)
    with pytest.raises(ValueError, match=name):
        fn(x, axis=(0, -2))  # the same axis twice
    with pytest.raises(TypeError, match=name):
        fn(x, axis=1.0)


@pytest.mark.parametrize("name, bad", [("max", xp.complex64), ("min", xp.complex128)])
def test_wrong_dtype_category(backend, name, bad):
    with pytest.raises(TypeError, match=name):
        getattr(xp, name)(xp.ones((3,), dtype=bad, device=backend.device))


@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_of_complex_like_torch(name):
    """Beyond the standard (real floating only), as PyTorch: the real variance of |x - mean|."""
    z = np.array([1 + 2j, -1j, 3.0, 0.5 + 0.5j], dtype=np.complex64)
    out = getattr(xp, name)(xp.asarray(z), correction=1)
    expected = getattr(torch, name)(torch.from_numpy(z), correction=1)
    assert out.dtype == xp.float32
    np.testing.assert_allclose(np.asarray(out), expected.numpy(), rtol=1e-6)


def test_mean_of_integers_is_default_float(backend):
    """PyTorch refuses integer means; arraygrad promotes them to the default float, as it
    does for every floating-point function."""
    out = xp.mean(xp.asarray([1, 2, 4], device=backend.device))
    assert out.dtype == xp.float32
    assert float(out) == pytest.approx(7 / 3)


def test_reductions_reject_non_tensors():
    with pytest.raises(TypeError, match="sum"):
        xp.sum([1, 2, 3])
    with pytest.raises(TypeError, match="max"):
        xp.max(np.ones(3))


@pytest.mark.parametrize("dtype", ["float32", "complex64"])
def test_scans_accumulate_wider_like_torch(backend, dtype):
    # a float32 running sum of 1e5 tenths drifts to 9998.6 when it accumulates in float32;
    # PyTorch's CPU scans accumulate in double, and so does the NumPy backend
    if backend.name == "strict":
        pytest.skip("the strict backend is the standard's reference: scans in the input's precision")
    x = xp.full((100000,), 0.1, dtype=getattr(xp, dtype), device=backend.device)
    t = torch.full((100000,), 0.1, dtype=getattr(torch, dtype))
    ours, theirs = xp.cumulative_sum(x), torch.cumsum(t, 0)
    assert ours.dtype == x.dtype
    ours = np.asarray(ours.to_device("cpu"))
    np.testing.assert_allclose(ours[-1], theirs[-1].numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours[-1], 10000.0, rtol=1e-6)
    p = xp.full((3000,), 1.001, dtype=getattr(xp, dtype), device=backend.device)
    np.testing.assert_allclose(np.asarray(xp.cumulative_prod(p).to_device("cpu"))[-1],
                               torch.cumprod(torch.full((3000,), 1.001, dtype=getattr(torch, dtype)), 0)[-1].numpy(),
                               rtol=1e-6)


def test_half_precision_mean_of_more_elements_than_float16_holds(backend):
    # the element count (70000) overflows float16; PyTorch and NumPy's own mean go through float32
    if backend.name == "strict":
        pytest.skip("the strict backend has no float16")
    x = xp.ones(70000, dtype=xp.float16, device=backend.device)
    assert float(xp.mean(x)) == 1.0 and xp.mean(x).dtype == xp.float16
    assert abs(float(xp.mean(x * 0.001)) - 0.001) < 1e-5
    np.testing.assert_allclose(np.asarray(xp.mean(xp.reshape(x, (2, 35000)), axis=1).to_device("cpu")), [1.0, 1.0])
