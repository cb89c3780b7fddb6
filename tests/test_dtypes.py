"""Type promotion (src/arraygrad/_dtypes.py, applied in _dispatch.py): the standard's table
where it speaks (array-api-strict's answer), PyTorch's choices where it is silent, and the
same result from the functions themselves on both CPU backends."""

from __future__ import annotations

import itertools

import array_api_strict as sxp
import numpy as np
import pytest
import torch

import arraygrad as xp

NAMES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
         "float32", "float64", "complex64", "complex128")
PAIRS = list(itertools.combinations_with_replacement(NAMES, 2))


def _strict_result(a, b):
    try:
        return sxp.result_type(getattr(sxp, a), getattr(sxp, b)).__str__().rsplit(".", 1)[-1]
    except TypeError:
        return None  # the standard leaves this pair undefined


def _torch_result(a, b):
    try:
        return str(torch.promote_types(getattr(torch, a), getattr(torch, b))).removeprefix("torch.")
    except (RuntimeError, TypeError):
        return None  # PyTorch does not promote uint16/32/64 with other integers


def _cross_kind_rule(a, b):
    """arraygrad's documented choice where the standard is silent (PyTorch's rules)."""
    da, db = getattr(xp, a), getattr(xp, b)
    if da is xp.bool:
        return b
    if db is xp.bool:
        return a
    if da.kind in "iu" and db.kind in "fc":
        return b
    if db.kind in "iu" and da.kind in "fc":
        return a
    return None


@pytest.mark.parametrize("a, b", PAIRS)
def test_result_type_table(a, b):
    expected = _strict_result(a, b)
    if expected is None:
        expected = _cross_kind_rule(a, b)
    if expected is None:  # uint64 with a signed integer: no lossless dtype
        assert {a, b} & {"uint64"}, (a, b)
        with pytest.raises(TypeError):
            xp.result_type(getattr(xp, a), getattr(xp, b))
        return
    got = xp.result_type(getattr(xp, a), getattr(xp, b))
    assert got is getattr(xp, expected)
    assert xp.result_type(getattr(xp, b), getattr(xp, a)) is got  # symmetric
    theirs = _torch_result(a, b)
    if _strict_result(a, b) is None and theirs is not None:
        assert got.name == theirs, f"PyTorch promotes {a} and {b} to {theirs}"


@pytest.mark.parametrize("a, b", [p for p in PAIRS if p[0] != p[1]])
def test_binary_functions_promote(backend, a, b):
    """The functions promote as result_type says, before calling the backend (strict would
    refuse mixed kinds itself), for both argument orders."""
    try:
        expected = xp.result_type(getattr(xp, a), getattr(xp, b))
    except TypeError:
        with pytest.raises(TypeError):
            xp.multiply(xp.ones((2,), dtype=getattr(xp, a), device=backend.device),
                        xp.ones((2,), dtype=getattr(xp, b), device=backend.device))
        return
    x1 = xp.ones((2,), dtype=getattr(xp, a), device=backend.device)
    x2 = xp.ones((2,), dtype=getattr(xp, b), device=backend.device)
    for out in (xp.multiply(x1, x2), xp.multiply(x2, x1), x1 * x2, xp.equal(x1, x2)):
        assert out.dtype in (expected, xp.bool)
        assert out.device == backend.device
    assert xp.multiply(x1, x2).dtype is expected
    np.testing.assert_array_equal(np.asarray(xp.multiply(x1, x2).to_device("cpu")), np.ones(2, dtype=expected.name))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("scalar", [True, 2, 2.0, 2j])
def test_result_type_with_python_scalars_like_torch(name, scalar):
    """An array with a Python scalar: the standard for same-kind scalars (the array's dtype),
    PyTorch otherwise (torch.result_type with the default dtype float32)."""
    t = torch.ones((1,), dtype=getattr(torch, name))
    expected = str(torch.result_type(t, scalar)).removeprefix("torch.")
    assert xp.result_type(getattr(xp, name), scalar).name == expected
    assert xp.result_type(xp.ones((1,), dtype=getattr(xp, name)), scalar).name == expected


def test_default_float_follows_set_default_dtype():
    xp.set_default_dtype(xp.float64)
    assert xp.result_type(xp.int32, 1.0) is xp.float64
    assert xp.asarray([1.0]).dtype is xp.float64
    assert xp.result_type(xp.int32, 1j) is xp.complex128
    xp.set_default_dtype(xp.float32)
    assert xp.asarray([1.0]).dtype is xp.float32
    with pytest.raises(TypeError, match="set_default_dtype"):
        xp.set_default_dtype(xp.int64)


def test_integer_inputs_of_floating_functions():
    """Integer arrays given to floating-point functions use the default float (PyTorch)."""
    assert xp.exp(xp.asarray([1, 2])).dtype is xp.float32
    assert xp.divide(xp.asarray([1, 2]), xp.asarray([2, 4])).dtype is xp.float32
    assert (xp.asarray([1, 2]) / 2).dtype is xp.float32
    np.testing.assert_allclose(np.asarray(xp.asarray([1, 3]) / 2), [0.5, 1.5])


@pytest.mark.parametrize("name", NAMES)
def test_numpy_reads_arraygrad_dtypes(name):
    """np.dtype() and ndarray.astype() take arraygrad's dtypes (consumers such as
    scikit-learn hand an array's .dtype back to NumPy)."""
    if np.lib.NumpyVersion(np.__version__) < "2.4.0":
        pytest.skip("NumPy reads __numpy_dtype__ from 2.4 on")
    assert np.dtype(getattr(xp, name)) == np.dtype(name)
    assert np.zeros(2).astype(getattr(xp, name)).dtype == np.dtype(name)
