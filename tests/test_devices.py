"""Devices (src/arraygrad/_device.py, _registry.py): naming devices, where tensors live,
moving them, mixing them (a ValueError naming both), a device without float64 (the fake
"mps" of _strict_backend.py), the default device, and CUDA (skipped without a GPU)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import arraygrad as xp
from _oracle import to_np

STRICT = xp.device("cpu", backend="strict")
NUMPY = xp.device("cpu")


# ----- naming devices ----------------------------------------------------------------------
@pytest.mark.parametrize("spec, args, expected", [
    ("cpu", (), ("cpu", None)), ("cpu:0", (), ("cpu", None)), ("cuda:1", (), ("cuda", 1)),
    ("cuda", (), ("cuda", None)), ("cuda", (2,), ("cuda", 2)), (3, (), ("cuda", 3)),
])
def test_device_parsing(spec, args, expected):
    d = xp.device(spec, *args)
    assert (d.type, d.index) == expected
    assert str(d) == d.type if d.index is None else f"{d.type}:{d.index}"


@pytest.mark.parametrize("spec, args, error", [
    ("cuda:x", (), ValueError), ("cuda:-1", (), ValueError), ("", (), ValueError),
    ("cuda:1", (1,), ValueError), ("cuda", (-1,), ValueError), (1.5, (), TypeError),
    (None, (), TypeError), ("gpu!", (), ValueError),
])
def test_bad_device_specs(spec, args, error):
    with pytest.raises(error):
        xp.device(spec, *args)


def test_unknown_device_type():
    with pytest.raises(ValueError, match="tpu"):
        xp.zeros(2, device="tpu")


def test_device_objects():
    a, b = xp.device("cpu"), xp.device("cpu")
    assert a == b and hash(a) == hash(b) and a == "cpu"
    assert STRICT != NUMPY  # same device type, another backend
    assert xp.device(a) is a
    assert pickle.loads(pickle.dumps(STRICT)) == STRICT
    assert "strict" in repr(STRICT) and "numpy" not in repr(NUMPY)
    with pytest.raises(AttributeError):
        a.type = "cuda"


def test_tensors_report_their_device(backend):
    t = xp.ones((2,), device=backend.device)
    assert t.device == backend.device
    assert (t + 1).device == backend.device
    assert xp.sum(t).device == backend.device
    assert xp.zeros_like(t).device == backend.device


# ----- moving between backends ---------------------------------------------------------------
@pytest.mark.parametrize("src, dst", [(NUMPY, STRICT), (STRICT, NUMPY)], ids=["numpy->strict",
                                                                               "strict->numpy"])
@pytest.mark.parametrize("dtype", ["bool", "int8", "uint64", "float32", "float64", "complex128"])
def test_to_device_between_cpu_backends(src, dst, dtype):
    values = np.arange(6).reshape(2, 3).astype(dtype)
    t = xp.asarray(values, device=src)
    moved = t.to_device(dst)
    assert moved.device == dst and moved.dtype is t.dtype
    assert type(moved._data) is xp.get_backend(dst).array_type
    np.testing.assert_array_equal(to_np(moved), values)
    assert t.to_device(src) is t  # already there
    if dst == STRICT:
        assert moved._data is not t._data


def test_to_device_is_differentiable():
    x = xp.asarray([1.0, 2.0], requires_grad=True)
    y = x.to_device(STRICT)
    assert y.requires_grad and y.device == STRICT
    (y * y).sum().backward()
    assert x.grad.device == NUMPY
    np.testing.assert_array_equal(to_np(x.grad), [2.0, 4.0])


# ----- mixing devices ---------------------------------------------------------------------
MIXED = {
    "add": lambda a, b: xp.add(a, b),
    "operator": lambda a, b: a * b,
    "where": lambda a, b: xp.where(a > 0, a, b),
    "concat": lambda a, b: xp.concat([a, b]),
    "stack": lambda a, b: xp.stack([a, b]),
    "matmul": lambda a, b: xp.matmul(a, b),
    "tensordot": lambda a, b: xp.tensordot(a, b, axes=1),
    "vecdot": lambda a, b: xp.vecdot(a, b),
    "searchsorted": lambda a, b: xp.searchsorted(a, b),
    "isin": lambda a, b: xp.isin(a, b),
    "clip": lambda a, b: xp.clip(a, b, None),
    "setitem": lambda a, b: a.__setitem__(slice(None), b),
    "getitem": lambda a, b: a[xp.astype(b, xp.int64)],
    "take": lambda a, b: xp.take(a, xp.astype(b, xp.int64)),
}


@pytest.mark.parametrize("name", sorted(MIXED))
def test_mixing_backends_is_a_value_error(name):
    a = xp.asarray([1.0, 0.0])
    b = xp.asarray([1.0, 0.0], device=STRICT)
    with pytest.raises(ValueError, match="numpy") as info:
        MIXED[name](a, b)
    assert "strict" in str(info.value)


@pytest.mark.parametrize("name", sorted(MIXED))
def test_mixing_device_types_is_a_value_error(name, mps):
    a = xp.asarray([1.0, 0.0])
    b = xp.asarray([1.0, 0.0], device=mps)
    with pytest.raises(ValueError, match="cpu") as info:
        MIXED[name](a, b)
    assert "mps" in str(info.value)


# ----- a device without float64 ----------------------------------------------------------
@pytest.mark.parametrize("dtype", [xp.float64, xp.complex128])
def test_dtype_the_device_cannot_hold_is_a_type_error(mps, dtype):
    for make in (lambda: xp.zeros((2,), dtype=dtype, device=mps),
                 lambda: xp.full((2,), 1.0, dtype=dtype, device=mps),
                 lambda: xp.asarray([1.0], dtype=dtype, device=mps),
                 lambda: xp.arange(3, dtype=dtype, device=mps),
                 lambda: xp.astype(xp.ones((2,), device=mps), dtype),
                 lambda: xp.asarray(np.ones(2, dtype=dtype.name), device=mps),
                 lambda: xp.asarray(np.ones(2, dtype=dtype.name)).to_device(mps)):
        with pytest.raises(TypeError, match=dtype.name) as info:
            make()
        assert "mps" in str(info.value)


def test_device_without_float64_works_in_float32(mps):
    x = xp.asarray([1.0, 2.0, 3.0], device=mps)
    assert x.dtype is xp.float32 and x.device == mps
    y = xp.exp(x) / 2 + xp.sum(x)
    assert y.device == mps and y.dtype is xp.float32
    np.testing.assert_allclose(to_np(y), np.exp([1.0, 2.0, 3.0]) / 2 + 6.0, rtol=1e-6)
    assert xp.mean(xp.asarray([1, 2], device=mps)).dtype is xp.float32
    z = xp.zeros((2, 2), device=mps)
    z[0] = xp.ones((2,), device=mps)
    assert float(xp.sum(z)) == 2.0
    back = x.to_device("cpu")
    assert back.device == NUMPY and back.dtype is xp.float32


ON_DEVICE = {
    "isin_scalar": lambda x, i: xp.isin(i, 2), "isin_scalar_x1": lambda x, i: xp.isin(2, i),
    "where_scalars": lambda x, i: xp.where(x > 0, 1.0, 0.0),
    "searchsorted_scalar": lambda x, i: xp.searchsorted(xp.sort(x[0]), 1.0),
    "clip": lambda x, i: xp.clip(x, 0.0, 1.0), "diff": lambda x, i: xp.diff(x, prepend=x[:, :1]),
    "take": lambda x, i: xp.take(x, i[0], axis=1),
    "take_along_axis": lambda x, i: xp.take_along_axis(x, xp.argsort(x, axis=1), axis=1),
    "unique_all": lambda x, i: xp.unique_all(i), "nonzero": lambda x, i: xp.nonzero(x > 0),
    "cumulative_sum": lambda x, i: xp.cumulative_sum(x, axis=1, include_initial=True),
    "mean_of_ints": lambda x, i: xp.mean(i), "std": lambda x, i: xp.std(x, correction=1),
    "arange_float": lambda x, i: xp.arange(0.0, 1.0, 0.25, device=x.device),
    "linspace": lambda x, i: xp.linspace(0, 1, 5, device=x.device),
    "eye": lambda x, i: xp.eye(3, device=x.device),
    "meshgrid": lambda x, i: xp.meshgrid(x[0], x[1]),
    "repeat": lambda x, i: xp.repeat(x, i[1], axis=1), "tile": lambda x, i: xp.tile(x, (2, 1)),
    "matmul": lambda x, i: x @ x.mT, "vecdot": lambda x, i: xp.vecdot(x, x),
    "mask": lambda x, i: x[x > 0], "integer_arrays": lambda x, i: x[i[0] % 2, i[1]],
    "divide_ints": lambda x, i: i / 2, "rpow": lambda x, i: 2.0 ** x,
    "rand": lambda x, i: xp.rand(3, device=x.device),
    "randperm": lambda x, i: xp.randperm(4, device=x.device),
}


@pytest.mark.parametrize("name", sorted(ON_DEVICE))
def test_functions_stay_on_a_device_without_float64(mps, name):
    """Nothing in the core makes arrays on the library's default device, or in float64."""
    x = xp.asarray([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]], device=mps)
    i = xp.asarray([[1, 0, 2], [2, 2, 0]], device=mps)
    out = ON_DEVICE[name](x, i)
    for t in out if isinstance(out, (tuple, list)) else (out,):
        assert t.device == mps and t.dtype not in (xp.float64, xp.complex128)


GRADS = {
    "square": lambda t: (t * t).sum(), "slice": lambda t: t[1:].sum() + t[0],
    "sort": lambda t: xp.sort(t)[0], "prod": lambda t: xp.prod(t), "std": lambda t: xp.std(t),
    "where": lambda t: xp.where(t > 1, t, 0.0).sum(), "max": lambda t: xp.max(t),
    "take": lambda t: xp.take(t, xp.asarray([0, 0, 2], device=t.device)).sum(),
}


@pytest.mark.parametrize("name", sorted(GRADS))
def test_grad_on_a_device_without_float64(mps, name):
    x = xp.asarray([1.0, 2.0, 3.0], device=mps, requires_grad=True)
    GRADS[name](x).backward()
    assert x.grad.device == mps and x.grad.dtype is xp.float32
    ref = xp.asarray([1.0, 2.0, 3.0], dtype=xp.float64, requires_grad=True)
    GRADS[name](ref).backward()
    np.testing.assert_allclose(to_np(x.grad), to_np(ref.grad), rtol=1e-6)


# ----- the default device -------------------------------------------------------------------
def test_set_default_device(mps):
    xp.set_default_device(mps)
    assert xp.zeros(2).device == mps and xp.asarray([1.0]).device == mps
    assert xp.__array_namespace_info__().default_device() == mps
    xp.set_default_device(None)
    assert xp.zeros(2).device == NUMPY


def test_set_default_backend_after_first_use():
    assert xp.zeros(1).device == NUMPY  # resolves the implicit default device
    xp.set_default_backend("cpu", "strict")
    assert xp.zeros(1).device == STRICT and xp.device("cpu") == STRICT
    xp.set_default_backend("cpu", "numpy")
    assert xp.zeros(1).device == NUMPY


def test_set_default_backend(use_default):
    assert xp.device(use_default.device.type).type == use_default.device.type
    t = xp.ones(3)
    assert t.device == use_default.device
    assert type(t._data) is use_default.array_type


# ----- CUDA (only with a GPU) ---------------------------------------------------------------
@pytest.mark.cuda
def test_cuda_round_trip():
    x = xp.asarray([1.0, 2.0], device="cuda")
    assert x.device == xp.device("cuda:0")
    assert float(xp.sum(x * 2)) == 6.0
    back = x.to_device("cpu")
    np.testing.assert_array_equal(to_np(back), [1.0, 2.0])
    with pytest.raises(ValueError, match="cuda"):
        x + xp.asarray([1.0, 2.0])
    with pytest.raises(ValueError, match="device"):
        xp.zeros(2, device=f"cuda:{xp.cuda.device_count()}")


@pytest.mark.cuda
def test_cuda_grad():
    x = xp.asarray([1.0, 2.0], device="cuda", requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.device == x.device
    np.testing.assert_array_equal(to_np(x.grad.to_device("cpu")), [2.0, 4.0])


@pytest.mark.parametrize("name", sorted(GRADS))
def test_grad_on_each_cpu_backend(backend, name):
    x = xp.asarray([1.0, 2.0, 3.0], dtype=xp.float64, device=backend.device, requires_grad=True)
    GRADS[name](x).backward()
    assert x.grad.device == backend.device and type(x.grad._data) is backend.array_type
    ref = xp.asarray([1.0, 2.0, 3.0], dtype=xp.float64, requires_grad=True)
    GRADS[name](ref).backward()
    np.testing.assert_allclose(to_np(x.grad), to_np(ref.grad), rtol=1e-12)
