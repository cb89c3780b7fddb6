"""DLPack and the NumPy bridge (src/arraygrad/_dlpack.py): `from_dlpack(x, device=, copy=)`
and `__dlpack__` with the 2023.12 semantics (max_version, dl_device, copy; BufferError while
a tensor requires grad), zero-copy exchange with NumPy and PyTorch (write one side, see it on
the other), read-only sources, and moves between the NumPy and strict backends."""

from __future__ import annotations

import array_api_strict as sxp
import numpy as np
import pytest
import torch

import arraygrad as xp
from _oracle import to_np

STRICT = xp.device("cpu", backend="strict")
CPU_DLPACK = (1, 0)  # (kDLCPU, device id)


def _capsule_name(capsule) -> str:
    return repr(capsule).split('"')[1]


# ----- __dlpack__ / __dlpack_device__ ------------------------------------------------------
def _dlpack_device_of(backend):
    if backend.device.type == "cpu":
        return CPU_DLPACK
    return (2, backend.device.index)  # (kDLCUDA, device id)


def test_dlpack_device(backend):
    t = xp.ones((2,), device=backend.device)
    dev_type, dev_id = t.__dlpack_device__()
    assert (int(dev_type), int(dev_id)) == _dlpack_device_of(backend)


def test_dlpack_max_version(backend):
    t = xp.ones((2,), device=backend.device)
    assert _capsule_name(t.__dlpack__(max_version=(1, 0))) == "dltensor_versioned"
    assert _capsule_name(t.__dlpack__()) == "dltensor"  # a consumer without versions


def test_dlpack_dl_device(backend):
    t = xp.ones((2,), device=backend.device)
    own = _dlpack_device_of(backend)
    t.__dlpack__(dl_device=own)
    other = (2, 0) if own == CPU_DLPACK else CPU_DLPACK
    with pytest.raises(BufferError):
        t.__dlpack__(dl_device=other, copy=False)  # not without a copy to the other device


def test_dlpack_copy_flag():
    t = xp.asarray([1.0, 2.0, 3.0])
    copied = np.from_dlpack(t, copy=True)
    copied[0] = 10.0
    assert float(t[0]) == 1.0
    shared = np.from_dlpack(t, copy=False)
    shared[1] = 20.0
    assert float(t[1]) == 20.0


def test_dlpack_refuses_tensors_that_require_grad(backend):
    t = xp.ones((2,), device=backend.device, requires_grad=True)
    with pytest.raises(BufferError, match="detach"):
        t.__dlpack__()
    with pytest.raises(BufferError):
        backend.xp.from_dlpack(t)  # NumPy's, or CuPy's for a CUDA tensor
    with pytest.raises(BufferError):
        torch.from_dlpack(t)
    out = backend.xp.from_dlpack(t.detach())
    np.testing.assert_array_equal(np.asarray(backend.to_host(out)), [1.0, 1.0])


# ----- zero copy with NumPy and PyTorch ----------------------------------------------------
def test_from_dlpack_numpy_shares_memory():
    a = np.arange(4.0)
    t = xp.from_dlpack(a)
    assert t.device == xp.device("cpu") and t.dtype is xp.float64
    a[0] = 10.0
    assert float(t[0]) == 10.0  # NumPy -> arraygrad
    t[1] = 20.0
    assert a[1] == 20.0  # arraygrad -> NumPy


def test_numpy_from_dlpack_of_tensor_shares_memory():
    t = xp.asarray([1.0, 2.0, 3.0])
    a = np.from_dlpack(t)
    a[0] = 10.0
    assert float(t[0]) == 10.0
    t[2] = 30.0
    assert a[2] == 30.0


@pytest.mark.parametrize("dtype", ["float32", "float64", "int8", "int64", "uint8", "bool",
                                   "complex64"])
def test_torch_from_arraygrad_shares_memory(dtype):
    t = xp.asarray(np.arange(3).astype(dtype))
    tt = torch.from_dlpack(t)
    assert str(tt.dtype) == f"torch.{dtype}"
    np.testing.assert_array_equal(tt.numpy(), np.arange(3).astype(dtype))
    if dtype != "bool":
        tt[0] = 7
        assert complex(t[0]) == 7  # torch -> arraygrad
        t[1] = 9
        assert complex(tt[1].item()) == 9  # arraygrad -> torch


def test_arraygrad_from_torch_shares_memory():
    tt = torch.arange(4, dtype=torch.float32)
    t = xp.from_dlpack(tt)
    assert t.dtype is xp.float32 and t.device == xp.device("cpu")
    tt[0] = 5.0
    assert float(t[0]) == 5.0
    t[3] = -1.0
    assert tt[3].item() == -1.0
    copied = xp.from_dlpack(tt, copy=True)
    tt[1] = 100.0
    assert float(copied[1]) == 1.0


def test_from_dlpack_of_a_strict_array():
    s = sxp.asarray([1, 2, 3], dtype=sxp.int16)
    t = xp.from_dlpack(s)
    assert t.dtype is xp.int16 and t.device == xp.device("cpu")
    np.testing.assert_array_equal(to_np(t), [1, 2, 3])


def test_from_dlpack_copy_semantics():
    a = np.arange(3.0)
    t = xp.from_dlpack(a, copy=True)
    a[0] = 10.0
    assert float(t[0]) == 0.0
    t2 = xp.from_dlpack(a, copy=False)
    a[1] = 11.0
    assert float(t2[1]) == 11.0


def test_from_dlpack_errors():
    with pytest.raises(TypeError, match="from_dlpack"):
        xp.from_dlpack([1, 2, 3])
    with pytest.raises(TypeError):
        xp.from_dlpack(object())


# ----- read-only sources ------------------------------------------------------------------
@pytest.mark.parametrize("make", [xp.from_dlpack, xp.asarray], ids=["from_dlpack", "asarray"])
def test_read_only_numpy_source_stays_read_only(make):
    a = np.arange(3.0)
    a.flags.writeable = False
    t = make(a)
    np.testing.assert_array_equal(to_np(t), [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="read-only"):
        t[0] = 5.0
    with pytest.raises(ValueError, match="read-only"):
        t += 1.0
    assert a[0] == 0.0
    assert not np.from_dlpack(t).flags.writeable  # and it stays read-only downstream
    c = xp.asarray(t, copy=True)  # a copy is writable
    c[0] = 5.0
    assert float(c[0]) == 5.0 and a[0] == 0.0


# ----- moving between backends and devices ----------------------------------------------------
def test_from_dlpack_to_another_backend():
    a = np.arange(3.0)
    t = xp.from_dlpack(a, device=STRICT)
    assert t.device == STRICT and type(t._data) is xp.get_backend(STRICT).array_type
    a[0] = 10.0
    assert float(t[0]) == 0.0  # moving to another backend copies
    with pytest.raises(ValueError, match="copy"):
        xp.from_dlpack(a, device=STRICT, copy=False)


def test_from_dlpack_of_a_tensor(backend):
    t = xp.asarray([1.0, 2.0], device=backend.device)
    assert xp.from_dlpack(t) is t
    other = xp.device("cpu", backend="numpy" if backend.name == "strict" else "strict")
    moved = xp.from_dlpack(t, device=other)
    assert moved.device == other
    np.testing.assert_array_equal(to_np(moved), [1.0, 2.0])


@pytest.mark.parametrize("src, dst", [("numpy", "strict"), ("strict", "numpy")])
def test_to_device_between_numpy_and_strict(src, dst):
    s, d = xp.device("cpu", backend=src), xp.device("cpu", backend=dst)
    t = xp.asarray([[1, 2], [3, 4]], dtype=xp.int32, device=s)
    moved = t.to_device(d)
    assert moved.device == d and moved.dtype is xp.int32
    np.testing.assert_array_equal(to_np(moved), [[1, 2], [3, 4]])
    moved[0, 0] = 100
    assert int(t[0, 0]) == 1  # a move is a copy


# ----- the NumPy bridge: __array__ -------------------------------------------------------------
def test_numpy_asarray_of_tensor(backend):
    t = xp.asarray([1.0, 2.0], device=backend.device)
    if backend.device.type != "cpu":  # NumPy sees host memory only (PyTorch's TypeError)
        with pytest.raises(TypeError, match="cpu"):
            np.asarray(t)
        t = t.to_device("cpu")
    a = np.asarray(t)
    assert a.dtype == np.float32
    np.testing.assert_array_equal(a, [1.0, 2.0])
    np.testing.assert_array_equal(np.asarray(t, dtype=np.float64), [1.0, 2.0])
    with pytest.raises(RuntimeError, match="detach"):
        np.asarray(xp.ones(2, device=t.device, requires_grad=True))


def test_numpy_asarray_of_a_non_cpu_tensor_is_a_type_error(mps):
    with pytest.raises(TypeError, match="mps"):
        np.asarray(xp.ones(2, device=mps))
