"""Helpers for the namespace tests: inputs from hypothesis, results from an oracle.

Inputs are NumPy arrays drawn by `hypothesis.extra.numpy`, moved onto the backend under
test with `arraygrad.asarray(..., device=backend.device)`. The oracle is array-api-strict,
the standard's reference namespace: the same call on the same values must give the same
dtype, shape and values. Results are compared as NumPy arrays (`np.asarray(tensor)`).
"""

from __future__ import annotations

import array_api_strict as sxp
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import arraygrad as xp

# The standard's dtype categories, as NumPy dtypes (inputs are drawn as NumPy arrays).
_B = [np.dtype(np.bool_)]
_I = [np.dtype(t) for t in ("int8", "int16", "int32", "int64")]
_U = [np.dtype(t) for t in ("uint8", "uint16", "uint32", "uint64")]
_F = [np.dtype(np.float32), np.dtype(np.float64)]
_C = [np.dtype(np.complex64), np.dtype(np.complex128)]
CATEGORY_DTYPES = {
    "bool": _B, "boolean": _B,
    "signed integer": _I, "unsigned integer": _U, "integer": _I + _U,
    "integer or boolean": _I + _U + _B,
    "real floating": _F, "complex floating": _C, "floating-point": _F + _C,
    "real numeric": _I + _U + _F, "numeric": _I + _U + _F + _C,
    "any": _B + _I + _U + _F + _C,
}

SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
NONEMPTY_SHAPES = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


def elements(dtype, *, finite=False, min_value=None, max_value=None):
    """Element strategy for `dtype` (NaN/inf included for floats unless `finite`)."""
    dtype = np.dtype(dtype)
    if dtype.kind in "fc":
        bounded = min_value is not None or max_value is not None
        finite = finite or bounded
        kw = {"allow_nan": not finite, "allow_infinity": not finite, "allow_subnormal": False}
        if dtype.kind == "f":
            kw["min_value"], kw["max_value"] = min_value, max_value
        elif bounded:  # complex: bound the magnitude
            kw["max_magnitude"] = max(abs(v) for v in (min_value, max_value) if v is not None)
        return hnp.from_dtype(dtype, **kw)
    if dtype.kind in "iu":
        if dtype.kind == "u" and min_value is not None:
            min_value = max(min_value, 0)
        return hnp.from_dtype(dtype, min_value=min_value, max_value=max_value)
    return hnp.from_dtype(dtype)


def arrays(dtype, shape=SHAPES, **kw):
    """NumPy arrays of `dtype` (a dtype or a strategy of dtypes) and `shape`."""
    if isinstance(dtype, st.SearchStrategy):
        return dtype.flatmap(lambda d: arrays(d, shape, **kw))
    return hnp.arrays(dtype, shape, elements=elements(dtype, **kw))


def dtypes(category: str):
    return st.sampled_from(CATEGORY_DTYPES[category])


def ag(a, backend):
    """NumPy array `a` as an arraygrad Tensor on `backend` (a copy: tests may write it)."""
    return xp.asarray(np.array(a, copy=True), device=backend.device)


def to_np(t) -> np.ndarray:
    """An arraygrad Tensor's values as a NumPy array."""
    assert isinstance(t, xp.Tensor), f"expected an arraygrad Tensor, got {type(t).__name__}"
    if t.device.type != "cpu":  # NumPy sees host memory only, as in PyTorch
        t = t.to_device("cpu")
    return np.asarray(t.detach())


def strict(a):
    return sxp.asarray(np.array(a, copy=True)) if isinstance(a, np.ndarray) else a


def strict_np(r):
    """array-api-strict result(s) as NumPy."""
    if isinstance(r, tuple) and hasattr(r, "_fields"):  # unique_all & co: a namedtuple
        return type(r)(*(strict_np(v) for v in r))
    if isinstance(r, (tuple, list)):
        return type(r)(strict_np(v) for v in r)
    if hasattr(r, "__array_namespace__"):
        return np.from_dlpack(r)
    return r


def oracle(name: str, *args, **kwargs):
    """`array_api_strict.<name>(*args, **kwargs)` on NumPy inputs, as NumPy output."""
    fn = sxp
    for part in name.split("."):
        fn = getattr(fn, part)
    conv = [[strict(v) for v in a] if isinstance(a, list) else strict(a) for a in args]
    return strict_np(fn(*conv, **{k: strict(v) for k, v in kwargs.items()}))


def assert_tensor_like(t, expected: np.ndarray, backend=None, *, rtol=None, atol=0.0,
                       check_dtype=True, check_values=True, sort=False):
    """`t` is a Tensor on `backend` with `expected`'s dtype, shape and values (NaN == NaN;
    `sort`: as a set of values, for results whose order the standard leaves open)."""
    assert isinstance(t, xp.Tensor), f"expected an arraygrad Tensor, got {type(t).__name__}"
    if backend is not None:
        assert t.device == backend.device, f"result on {t.device!r}, expected {backend.device!r}"
        assert type(t._data) is backend.array_type, (
            f"result holds a {type(t._data).__name__}, not a {backend.name} array")
    expected = np.asarray(expected)
    if check_dtype:
        assert t.dtype.name == expected.dtype.name, f"dtype {t.dtype}, expected {expected.dtype}"
    assert tuple(t.shape) == expected.shape, f"shape {tuple(t.shape)}, expected {expected.shape}"
    if not check_values:
        return
    got = to_np(t)
    if sort:
        got, expected = np.sort(got, axis=None), np.sort(expected, axis=None)
    if expected.dtype.kind in "fc":
        if rtol is None:
            rtol = 1e-5 if expected.dtype in (np.float32, np.complex64) else 1e-12
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, expected)
