"""Data type functions (src/arraygrad/_ops/data_type.py, _dtypes.py) on both CPU backends:
astype, can_cast, finfo, iinfo, isdtype, result_type (promotion itself: test_dtypes.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import arraygrad as xp
from _oracle import SHAPES, ag, arrays, assert_tensor_like, dtypes, oracle

NAMES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
         "float32", "float64", "complex64", "complex128")
ALL = [getattr(xp, n) for n in NAMES]


@given(data=st.data())
def test_astype(backend, data):
    a = data.draw(arrays(dtypes("real numeric") | dtypes("bool"), SHAPES, finite=True,
                         min_value=0, max_value=100))
    to = data.draw(st.sampled_from(ALL))
    out = xp.astype(ag(a, backend), to)
    import array_api_strict as sxp

    assert_tensor_like(out, oracle("astype", a, getattr(sxp, to.name)), backend)


def test_astype_copy_and_device(backend):
    t = xp.asarray([1.0, 2.0], device=backend.device)
    assert xp.astype(t, xp.float32, copy=False) is t
    c = xp.astype(t, xp.float32)
    assert c is not t
    c[0] = 5.0
    assert float(t[0]) == 1.0
    assert t.astype(xp.int32).dtype == xp.int32  # the method form
    moved = xp.astype(t, xp.float64, device=xp.device("cpu"))
    assert moved.device == xp.device("cpu") and moved.dtype == xp.float64


def test_astype_complex_to_real_is_a_type_error(backend):
    z = xp.asarray([1 + 1j], device=backend.device)
    with pytest.raises(TypeError, match="astype"):
        xp.astype(z, xp.float32)
    with pytest.raises(TypeError):
        xp.astype(z, "float128")


@pytest.mark.parametrize("src", NAMES)
@pytest.mark.parametrize("dst", NAMES)
def test_can_cast(src, dst):
    """The standard's promotion graph where it speaks (array-api-strict's answer); across
    kinds, which the standard leaves open, only bool casts (losslessly) to everything."""
    import array_api_strict as sxp

    expected = sxp.can_cast(getattr(sxp, src), getattr(sxp, dst))
    s, d = getattr(xp, src), getattr(xp, dst)
    if not expected and s.kind != d.kind and not {s.kind, d.kind} <= set("iu") \
            and not {s.kind, d.kind} <= set("fc"):
        expected = s is xp.bool
    assert xp.can_cast(s, d) is expected
    assert xp.can_cast(xp.zeros((1,), dtype=s), d) is expected


@pytest.mark.parametrize("name", ["float32", "float64", "complex64", "complex128"])
def test_finfo(name):
    info = xp.finfo(getattr(xp, name))
    ref = np.finfo(name)
    assert info.bits == ref.bits
    for field in ("eps", "max", "min", "smallest_normal"):
        assert getattr(info, field) == float(getattr(ref, field)), field
        assert type(getattr(info, field)) is float
    assert info.dtype is getattr(xp, name).to_real()
    assert xp.finfo(xp.ones((1,), dtype=getattr(xp, name))) == info


@pytest.mark.parametrize("name", ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                                  "uint64"])
def test_iinfo(name):
    info = xp.iinfo(getattr(xp, name))
    ref = np.iinfo(name)
    assert (info.bits, info.min, info.max) == (ref.bits, int(ref.min), int(ref.max))
    assert info.dtype is getattr(xp, name)


def test_finfo_iinfo_errors():
    with pytest.raises(TypeError, match="finfo"):
        xp.finfo(xp.int32)
    with pytest.raises(TypeError, match="iinfo"):
        xp.iinfo(xp.float32)
    with pytest.raises(TypeError):
        xp.iinfo(xp.bool)


KINDS = ("bool", "signed integer", "unsigned integer", "integral", "real floating",
         "complex floating", "numeric")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", NAMES)
def test_isdtype_matches_strict(name, kind):
    import array_api_strict as sxp

    assert xp.isdtype(getattr(xp, name), kind) is sxp.isdtype(getattr(sxp, name), kind)
    assert xp.isdtype(getattr(xp, name), (kind, xp.int8)) is \
        sxp.isdtype(getattr(sxp, name), (kind, sxp.int8))


def test_isdtype_with_dtype_kind_and_errors():
    assert xp.isdtype(xp.float32, xp.float32)
    assert not xp.isdtype(xp.float32, xp.float64)
    with pytest.raises(ValueError, match="isdtype"):
        xp.isdtype(xp.float32, "floating")
    with pytest.raises(TypeError, match="isdtype"):
        xp.isdtype(xp.float32, 3)


def test_dtype_objects():
    """Singletons, hashable, printed as arraygrad.<name>. NumPy (>= 2.4) reads them as its
    dtype of the same name, so they compare equal to that one and to no other."""
    numpy_reads_them = np.lib.NumpyVersion(np.__version__) >= "2.4.0"
    for name in NAMES:
        d = getattr(xp, name)
        assert repr(d) == f"arraygrad.{name}"
        assert d == d and hash(d) == hash(getattr(xp, name))
        assert (d == np.dtype(name)) is numpy_reads_them
        assert d != np.dtype("int8" if name != "int8" else "uint8")
    assert len(set(ALL)) == 13
    assert xp.float32 != xp.float64


def test_dtypes_pickle_as_singletons():
    import pickle

    for d in ALL:
        assert pickle.loads(pickle.dumps(d)) is d


def test_result_type_of_arrays_and_dtypes(backend):
    a = xp.ones((1,), dtype=xp.int8, device=backend.device)
    assert xp.result_type(a, xp.int16) is xp.int16
    assert xp.result_type(xp.uint8, xp.int8, a) is xp.int16
    assert xp.result_type(xp.float32, 1.5) is xp.float32
    assert xp.result_type(a, 1) is xp.int8
    with pytest.raises(TypeError):
        xp.result_type(xp.uint64, xp.int64)
    with pytest.raises((TypeError, ValueError)):
        xp.result_type()
    with pytest.raises(ValueError, match="at least one array or dtype"):
        xp.result_type(1, 2.0)  # scalars alone have no dtype (ValueError, as array-api-strict)
