"""Linear algebra functions of the main namespace (src/arraygrad/_ops/linear_algebra.py)
against array-api-strict, on both CPU backends: matmul, matrix_transpose, tensordot, vecdot.
(The linalg extension has its own tests.)"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import arraygrad as xp
from _oracle import ag, arrays, assert_tensor_like, dtypes, oracle

SMALL = {"min_value": -10, "max_value": 10}  # exact in every numeric dtype


def _operand(data, dtype, shape):
    return data.draw(arrays(dtype, shape, **SMALL))


@given(data=st.data())
def test_matmul(backend, data):
    dtype = data.draw(dtypes("numeric"))
    shapes = data.draw(hnp.mutually_broadcastable_shapes(signature="(m,n),(n,p)->(m,p)",
                                                         max_dims=4, max_side=3))
    s1, s2 = shapes.input_shapes
    if data.draw(st.booleans()):  # a 1-D operand is a vector (no batch dimensions)
        s1 = s1[-1:]
    elif data.draw(st.booleans()):
        s2 = s2[-2:-1]
    a1, a2 = _operand(data, dtype, s1), _operand(data, dtype, s2)
    assert_tensor_like(xp.matmul(ag(a1, backend), ag(a2, backend)), oracle("matmul", a1, a2),
                       backend, rtol=1e-4)


@pytest.mark.parametrize("s1, s2", [((70, 80), (80, 90)), ((80,), (80, 90)), ((70, 80), (80,)),
                                    ((1, 5000), (5000, 1)), ((5000, 1), (1, 2))])
def test_matmul_large_results(backend, s1, s2):
    """Operands on either side of the NumPy backend's ndarray.dot / np.matmul cut-off give
    the same values, vectors and transposed (non-contiguous) operands included."""
    rng = np.random.default_rng(0)
    a1, a2 = rng.standard_normal(s1), rng.standard_normal(s2)
    # float64 exactness up to the summation order (cuBLAS sums in another order than BLAS)
    tol = {"rtol": 1e-10, "atol": 1e-12}
    assert_tensor_like(xp.matmul(ag(a1, backend), ag(a2, backend)), a1 @ a2, backend, **tol)
    t1, t2 = np.ascontiguousarray(a1.T).T, np.ascontiguousarray(a2.T).T
    assert_tensor_like(xp.matmul(ag(t1, backend), ag(t2, backend)), t1 @ t2, backend, **tol)


def test_matmul_errors(backend):
    a = xp.ones((2, 3), device=backend.device)
    with pytest.raises(ValueError, match="matmul"):
        xp.matmul(a, a)
    with pytest.raises(ValueError, match="matmul"):
        xp.matmul(xp.asarray(1.0, device=backend.device), a)
    with pytest.raises(ValueError):
        a @ a
    with pytest.raises(ValueError):
        xp.asarray(2.0, device=backend.device) @ a  # 0-d operands are not allowed
    with pytest.raises(TypeError, match="matmul"):
        xp.matmul(a > 0, a.mT > 0)


@given(data=st.data())
def test_matrix_transpose_and_mT(backend, data):
    a = data.draw(arrays(dtypes("any"), hnp.array_shapes(min_dims=2, max_dims=4, max_side=3)))
    expected = oracle("matrix_transpose", a)
    assert_tensor_like(xp.matrix_transpose(ag(a, backend)), expected, backend)
    assert_tensor_like(ag(a, backend).mT, expected, backend)
    if a.ndim == 2:
        assert_tensor_like(ag(a, backend).T, expected, backend)


def test_matrix_transpose_errors(backend):
    with pytest.raises(ValueError, match="matrix_transpose"):
        xp.matrix_transpose(xp.ones((3,), device=backend.device))
    with pytest.raises(ValueError):
        xp.ones((2, 2, 2), device=backend.device).T


@given(data=st.data())
def test_tensordot(backend, data):
    dtype = data.draw(dtypes("numeric"))
    k = data.draw(st.integers(0, 2))
    contracted = data.draw(hnp.array_shapes(min_dims=k, max_dims=k, min_side=1, max_side=3))
    free1 = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3))
    free2 = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3))
    a1 = _operand(data, dtype, free1 + contracted)
    a2 = _operand(data, dtype, contracted + free2)
    if data.draw(st.booleans()):
        axes = k
    else:  # the same contraction spelled as a pair of axis sequences
        axes = (list(range(len(free1), len(free1) + k)), list(range(k)))
    out = xp.tensordot(ag(a1, backend), ag(a2, backend), axes=axes)
    assert_tensor_like(out, oracle("tensordot", a1, a2, axes=axes), backend, rtol=1e-4)


@given(data=st.data())
def test_vecdot(backend, data):
    dtype = data.draw(dtypes("numeric"))
    shapes = data.draw(hnp.mutually_broadcastable_shapes(signature="(n),(n)->()", max_dims=3,
                                                         max_side=3))
    a1, a2 = (_operand(data, dtype, s) for s in shapes.input_shapes)
    out = xp.vecdot(ag(a1, backend), ag(a2, backend))
    assert_tensor_like(out, oracle("vecdot", a1, a2), backend, rtol=1e-4)


def test_vecdot_conjugates_the_first_argument(backend):
    x1 = xp.asarray([1j, 2.0], dtype=xp.complex64, device=backend.device)
    x2 = xp.asarray([1j, 1.0], dtype=xp.complex64, device=backend.device)
    assert complex(xp.vecdot(x1, x2)) == pytest.approx(np.vdot([1j, 2.0], [1j, 1.0]))


def test_tensordot_vecdot_errors(backend):
    a = xp.ones((2, 3), device=backend.device)
    with pytest.raises(ValueError, match="tensordot"):
        xp.tensordot(a, a, axes=1)  # 3 vs 2
    with pytest.raises(ValueError, match="tensordot"):
        xp.tensordot(a, a, axes=3)
    with pytest.raises(ValueError, match="vecdot"):
        xp.vecdot(a, xp.ones((2, 2), device=backend.device))
    with pytest.raises(TypeError, match="vecdot"):
        xp.vecdot(a > 0, a > 0)
