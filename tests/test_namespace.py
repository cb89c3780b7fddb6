"""The namespace as a whole: every name of the 2025.12 standard is there (the list is in
_standard.py, hard-coded), constants, `__array_namespace__`, `__array_namespace_info__`,
and hypothesis' array-API strategies running on arraygrad itself."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis.extra.array_api import make_strategies_namespace

import arraygrad as xp
from _oracle import to_np
from _standard import API_VERSION, STANDARD


def _where(category: str):
    if category == "array_object":
        return xp.Tensor
    if category == "info":
        return xp.__array_namespace_info__()
    if category in ("linalg", "fft"):
        return getattr(xp, category)
    return xp


NAMES = [(cat, name) for cat, names in STANDARD.items() for name in names
         if not (cat == "info" and name == "__array_namespace_info__")]


@pytest.mark.parametrize("category, name", NAMES, ids=[f"{c}.{n}" for c, n in NAMES])
def test_standard_name_is_present(category, name):
    """Completeness: nothing of the standard is missing (linalg and fft included)."""
    obj = _where(category)
    assert hasattr(obj, name), f"{category}: arraygrad lacks {name!r}"
    if category not in ("constants", "data_types", "array_object"):
        assert callable(getattr(obj, name)), f"{category}.{name} is not callable"


def test_api_version():
    assert xp.__array_api_version__ == API_VERSION
    assert callable(xp.__array_namespace_info__)


def test_constants():
    assert xp.e == math.e and xp.pi == math.pi
    assert xp.inf == math.inf and math.isnan(xp.nan)
    assert all(type(c) is float for c in (xp.e, xp.pi, xp.inf, xp.nan))
    assert xp.newaxis is None


def test_extensions_are_modules():
    import types

    assert isinstance(xp.linalg, types.ModuleType) and isinstance(xp.fft, types.ModuleType)
    # the linear algebra functions of the main namespace are the extension's too
    for name in STANDARD["linear_algebra_functions"]:
        assert hasattr(xp.linalg, name)


def test_array_namespace(backend):
    t = xp.ones((2,), device=backend.device)
    assert t.__array_namespace__() is xp
    for version in ("2021.12", "2022.12", "2023.12", "2024.12", "2025.12", None):
        assert t.__array_namespace__(api_version=version) is xp
    with pytest.raises(ValueError, match="2030.01"):
        t.__array_namespace__(api_version="2030.01")


def test_array_attributes(backend):
    t = xp.zeros((2, 3, 4), dtype=xp.int16, device=backend.device)
    assert t.dtype is xp.int16
    assert t.device == backend.device
    assert t.ndim == 3 and t.shape == (2, 3, 4) and t.size == 24
    assert isinstance(t.shape, tuple) and isinstance(t.size, int)
    assert t.mT.shape == (2, 4, 3)
    assert xp.zeros((2, 5), device=backend.device).T.shape == (5, 2)


@pytest.mark.parametrize("conv, value", [(bool, True), (int, 3), (float, 2.5), (complex, 1 + 2j)])
def test_python_scalar_conversions(backend, conv, value):
    t = xp.asarray(value, device=backend.device)
    assert conv(t) == value and type(conv(t)) is conv
    assert conv(xp.reshape(t, (1, 1))) == value  # one element, any rank


def test_python_scalar_conversion_errors(backend):
    with pytest.raises(TypeError):
        float(xp.ones((2,), device=backend.device))
    with pytest.raises(TypeError):
        float(xp.asarray(1j, device=backend.device))
    with pytest.raises(TypeError):
        int(xp.asarray(1j, device=backend.device))
    with pytest.raises(TypeError):
        xp.asarray(1.5, device=backend.device).__index__()
    assert [10, 20, 30][xp.asarray(2, device=backend.device)] == 30  # __index__


# ----- __array_namespace_info__ ----------------------------------------------------------
def test_iteration(backend):
    """Rows, one by one; a 0-d tensor refuses at iter() itself, so np.iterable() is False
    (matplotlib and SciPy ask it before looping)."""
    t = xp.asarray([[1.0, 2.0], [3.0, 4.0]], device=backend.device)
    assert [to_np(r).tolist() for r in t] == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(TypeError, match="0-d"):
        iter(t[0, 0])
    assert not np.iterable(t[0, 0]) and np.iterable(t)


def test_info_capabilities():
    caps = xp.__array_namespace_info__().capabilities()
    assert caps["boolean indexing"] is True
    assert caps["data-dependent shapes"] is True
    assert isinstance(caps["max dimensions"], int) or caps["max dimensions"] is None


def test_info_default_device_and_devices(use_default):
    info = xp.__array_namespace_info__()
    assert info.default_device() == use_default.device
    devices = info.devices()
    assert use_default.device in devices
    assert xp.zeros(1).device == info.default_device()


def test_info_default_dtypes():
    info = xp.__array_namespace_info__()
    expected = {"real floating": xp.float32, "complex floating": xp.complex64,
                "integral": xp.int64, "indexing": xp.int64}
    assert info.default_dtypes() == expected
    assert info.default_dtypes(device=xp.device("cpu")) == expected
    xp.set_default_dtype(xp.float64)
    assert info.default_dtypes()["real floating"] is xp.float64
    assert info.default_dtypes()["complex floating"] is xp.complex128
    assert xp.ones(1).dtype is xp.float64


@pytest.mark.parametrize("kind", [None, "bool", "signed integer", "unsigned integer", "integral",
                                  "real floating", "complex floating", "numeric",
                                  ("bool", "real floating")])
def test_info_dtypes(backend, kind):
    got = xp.__array_namespace_info__().dtypes(device=backend.device, kind=kind)
    names = {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
             "float32", "float64", "complex64", "complex128"}
    expected = {n: getattr(xp, n) for n in names
                if kind is None or xp.isdtype(getattr(xp, n), kind)}
    assert got == expected


def test_info_dtypes_of_a_device_without_float64(mps):
    dtypes = xp.__array_namespace_info__().dtypes(device=mps)
    assert "float64" not in dtypes and "complex128" not in dtypes
    assert dtypes["float32"] is xp.float32
    assert "float64" not in xp.__array_namespace_info__().dtypes(device=mps, kind="real floating")


def test_info_rejects_unknown_devices():
    with pytest.raises((ValueError, ImportError)):
        xp.__array_namespace_info__().dtypes(device="tpu:0")


# ----- hypothesis' array-API strategies run on arraygrad --------------------------------
xps = make_strategies_namespace(xp)


@given(x=xps.arrays(dtype=xps.real_dtypes(), shape=xps.array_shapes(max_dims=3, max_side=4)))
def test_hypothesis_strategies_namespace(x):
    """hypothesis builds arraygrad tensors through the standard's own functions."""
    assert isinstance(x, xp.Tensor)
    assert x.dtype in xp.__array_namespace_info__().dtypes().values()
    flat = xp.reshape(x, (-1,))
    assert flat.shape == (x.size,)
    assert xp.all((flat == xp.reshape(x, (x.size,))) | xp.isnan(xp.astype(flat, xp.float64)))
