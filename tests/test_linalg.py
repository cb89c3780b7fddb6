"""The linalg extension (src/arraygrad/linalg.py): values against NumPy; gradients against
finite differences (arraygrad.autograd.gradcheck / gradgradcheck) and against PyTorch 2.13
(CPU) as the oracle for the VJP formulas, in float64 and complex128, batched; second
derivatives (create_graph) on a few.

The PyTorch comparison pairs the outputs with a fixed random cotangent c and compares the
gradients of L = Re <c, f(x)>. Eigen- and singular vectors enter only through functions
that do not depend on their sign or phase.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import arraygrad as xp
from arraygrad import linalg as LA
from arraygrad.autograd import gradcheck, gradgradcheck

# ----- helpers ----------------------------------------------------------------------------


def _rand(shape, complex_=False, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    return a + 1j * rng.standard_normal(shape) if complex_ else a


def _hermitian(shape, complex_=False, seed=0):
    a = _rand(shape, complex_, seed)
    return (a + np.conj(np.swapaxes(a, -1, -2))) / 2


def _positive_definite(shape, complex_=False, seed=0):
    a = _rand(shape, complex_, seed)
    return a @ np.conj(np.swapaxes(a, -1, -2)) + shape[-1] * np.eye(shape[-1])


def _np(t):
    return np.asarray(t.detach().to_device("cpu"))


def _as_tuple(out):
    return tuple(out) if isinstance(out, tuple) else (out,)


def _cotangents(outs, seed=1):
    rng = np.random.default_rng(seed)
    cots = []
    for o in outs:
        shape = tuple(o.shape)
        c = rng.standard_normal(shape)
        if o.dtype.is_complex:
            c = c + 1j * rng.standard_normal(shape)
        cots.append(c)
    return cots


def _pair(outs, cots, lib):
    """Re <c, out> summed over the outputs, in arraygrad or torch."""
    total = 0
    for o, c in zip(outs, cots):
        if lib is torch:
            total = total + (torch.as_tensor(np.conj(c)) * o).real.sum()
        else:
            total = total + xp.sum(xp.real(xp.asarray(np.conj(c)) * o))
    return total


def _differentiable(outs):
    return tuple(o for o in outs if o.dtype.is_floating_point or o.dtype.is_complex)


def check_torch(f, tf, *arrays, values=True, rtol=1e-7, atol=1e-9):
    """Outputs and the gradient of Re <c, f(x)> equal PyTorch's."""
    inputs = [xp.asarray(a, requires_grad=True) for a in arrays]
    outs = _differentiable(_as_tuple(f(*inputs)))
    cots = _cotangents(outs)
    grads = xp.autograd.grad(_pair(outs, cots, xp), inputs)
    t_inputs = [torch.tensor(a, requires_grad=True) for a in arrays]
    t_outs = _differentiable(_as_tuple(tf(*t_inputs)))
    t_grads = torch.autograd.grad(_pair(t_outs, cots, torch), t_inputs)
    if values:
        for o, t in zip(outs, t_outs):
            np.testing.assert_allclose(_np(o), t.detach().numpy(), rtol=rtol, atol=atol)
    for i, (g, t) in enumerate(zip(grads, t_grads)):
        np.testing.assert_allclose(_np(g), t.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i}")


def first_gradient(f, lib):
    """x -> the gradient of Re <c, f(x)> built with create_graph (for second derivatives)."""
    def grad_fn(*inputs):
        outs = _differentiable(_as_tuple(f(*inputs)))
        loss = _pair(outs, _cotangents(outs, seed=7), lib)
        if lib is torch:
            return torch.autograd.grad(loss, inputs, create_graph=True)
        return xp.autograd.grad(loss, list(inputs), create_graph=True)
    return grad_fn


def _mH(a, lib=xp):
    return lib.conj(a.mT) if lib is torch else xp.conj(xp.matrix_transpose(a))


# ----- gradient cases: (id, arraygrad function, torch function, inputs) ---------------------
# Eigen- and singular vectors appear through |v|^2 or a matrix function, which do not depend
# on their sign or phase.


def _herm(a, lib):
    """The Hermitian part of `a`: cholesky and eigh read one triangle, so finite differences
    see a different function than their (symmetric, as PyTorch's) gradient describes."""
    return (a + lib.conj(a.mT)) / 2 if lib is torch else (a + _mH(a)) / 2


def _abs2(v, lib):
    return (v * lib.conj(v)).real if lib is torch else xp.real(v * xp.conj(v))


def _eigh_loss(lib):
    def f(a):
        w, v = (torch.linalg.eigh if lib is torch else LA.eigh)(_herm(a, lib))
        return w, _abs2(v, lib)
    return f


def _eig_loss(lib):
    def f(a):
        w, v = (torch.linalg.eig if lib is torch else LA.eig)(a)
        return w, _abs2(v, lib)
    return f


def _svd_loss(full_matrices, lib):
    def f(a):
        u, s, vh = (torch.linalg.svd if lib is torch else LA.svd)(a, full_matrices=full_matrices)
        k = s.shape[-1]
        return s, _abs2(u[..., :k], lib), _abs2(vh[..., :k, :], lib)
    return f


def _qr(mode, lib):
    return lambda a: tuple((torch.linalg.qr if lib is torch else LA.qr)(a, mode=mode))


def _case(id_, f, tf, *arrays):
    return pytest.param(f, tf, arrays, id=id_)


CASES = [
    _case("cholesky", lambda a: LA.cholesky(_herm(a, xp)), lambda a: torch.linalg.cholesky(_herm(a, torch)),
          _positive_definite((2, 3, 3))),
    _case("cholesky-upper-complex", lambda a: LA.cholesky(_herm(a, xp), upper=True),
          lambda a: torch.linalg.cholesky(_herm(a, torch), upper=True), _positive_definite((3, 3), True)),
    _case("det", LA.det, torch.linalg.det, _rand((2, 3, 3))),
    _case("det-complex", LA.det, torch.linalg.det, _rand((3, 3), True)),
    _case("slogdet", lambda a: LA.slogdet(a).logabsdet, lambda a: torch.linalg.slogdet(a).logabsdet,
          _rand((2, 3, 3))),
    _case("slogdet-complex", lambda a: tuple(LA.slogdet(a)), lambda a: tuple(torch.linalg.slogdet(a)),
          _rand((2, 3, 3), True)),
    _case("inv", LA.inv, torch.linalg.inv, _rand((2, 3, 3))),
    _case("inv-complex", LA.inv, torch.linalg.inv, _rand((3, 3), True)),
    _case("solve-matrix-broadcast", LA.solve, torch.linalg.solve, _rand((3, 3)), _rand((2, 3, 2), seed=1)),
    _case("solve-vector-batched", LA.solve, torch.linalg.solve, _rand((2, 3, 3)), _rand((3,), seed=1)),
    _case("solve-complex", LA.solve, torch.linalg.solve, _rand((3, 3), True), _rand((3, 1), True, 1)),
    _case("pinv-tall", LA.pinv, torch.linalg.pinv, _rand((2, 4, 3))),
    _case("pinv-wide-complex", LA.pinv, torch.linalg.pinv, _rand((3, 4), True)),
    _case("qr-tall", _qr("reduced", xp), _qr("reduced", torch), _rand((2, 4, 3))),
    _case("qr-wide-complex", _qr("reduced", xp), _qr("reduced", torch), _rand((3, 4), True)),
    _case("qr-complete-square", _qr("complete", xp), _qr("complete", torch), _rand((3, 3))),
    _case("eigh", _eigh_loss(xp), _eigh_loss(torch), _hermitian((2, 3, 3))),
    _case("eigh-complex", _eigh_loss(xp), _eigh_loss(torch), _hermitian((3, 3), True)),
    _case("eigvalsh", lambda a: LA.eigvalsh(_herm(a, xp)), lambda a: torch.linalg.eigvalsh(_herm(a, torch)),
          _hermitian((2, 3, 3), True)),
    _case("eig", _eig_loss(xp), _eig_loss(torch), _rand((2, 3, 3))),
    _case("eig-complex", _eig_loss(xp), _eig_loss(torch), _rand((3, 3), True)),
    _case("eigvals", LA.eigvals, torch.linalg.eigvals, _rand((3, 3))),
    _case("svd-tall", _svd_loss(False, xp), _svd_loss(False, torch), _rand((2, 4, 3))),
    _case("svd-wide-full", _svd_loss(True, xp), _svd_loss(True, torch), _rand((3, 4))),
    _case("svd-complex", _svd_loss(False, xp), _svd_loss(False, torch), _rand((4, 3), True)),
    _case("svdvals", LA.svdvals, torch.linalg.svdvals, _rand((2, 3, 4), True)),
    _case("vector_norm-2", LA.vector_norm, torch.linalg.vector_norm, _rand((2, 3), True)),
    _case("vector_norm-1-axis", lambda a: LA.vector_norm(a, ord=1, axis=0, keepdims=True),
          lambda a: torch.linalg.vector_norm(a, ord=1, dim=0, keepdim=True), _rand((3, 2))),
    _case("vector_norm-inf", lambda a: LA.vector_norm(a, ord=math.inf, axis=(0, 2)),
          lambda a: torch.linalg.vector_norm(a, ord=math.inf, dim=(0, 2)), _rand((2, 3, 2))),
    _case("vector_norm-3.5", lambda a: LA.vector_norm(a, ord=3.5, axis=-1),
          lambda a: torch.linalg.vector_norm(a, ord=3.5, dim=-1), _rand((2, 3), True)),
    _case("vector_norm-1.5", lambda a: LA.vector_norm(a, ord=1.5),
          lambda a: torch.linalg.vector_norm(a, ord=1.5), _rand((4,))),
    _case("vector_norm-0.5", lambda a: LA.vector_norm(a, ord=0.5),
          lambda a: torch.linalg.vector_norm(a, ord=0.5), _rand((4,))),
    _case("vector_norm--2", lambda a: LA.vector_norm(a, ord=-2),
          lambda a: torch.linalg.vector_norm(a, ord=-2), _rand((4,))),
    _case("matrix_norm-fro", LA.matrix_norm, torch.linalg.matrix_norm, _rand((2, 3, 2), True)),
    _case("matrix_norm-nuc", lambda a: LA.matrix_norm(a, ord="nuc", keepdims=True),
          lambda a: torch.linalg.matrix_norm(a, ord="nuc", keepdim=True), _rand((2, 3, 2))),
    _case("matrix_norm-2", lambda a: LA.matrix_norm(a, ord=2), lambda a: torch.linalg.matrix_norm(a, ord=2),
          _rand((3, 3), True)),
    _case("matrix_norm--2", lambda a: LA.matrix_norm(a, ord=-2),
          lambda a: torch.linalg.matrix_norm(a, ord=-2), _rand((2, 3, 3))),
    _case("matrix_norm-1", lambda a: LA.matrix_norm(a, ord=1), lambda a: torch.linalg.matrix_norm(a, ord=1),
          _rand((3, 2))),
    _case("matrix_norm--inf", lambda a: LA.matrix_norm(a, ord=-math.inf),
          lambda a: torch.linalg.matrix_norm(a, ord=-math.inf), _rand((3, 2), True)),
    _case("matrix_power-3", lambda a: LA.matrix_power(a, 3), lambda a: torch.linalg.matrix_power(a, 3),
          _rand((2, 3, 3))),
    _case("matrix_power--2", lambda a: LA.matrix_power(a, -2), lambda a: torch.linalg.matrix_power(a, -2),
          _rand((3, 3), True)),
    _case("trace", lambda a: LA.trace(a, offset=-1), lambda a: torch.diagonal(a, -1, -2, -1).sum(-1),
          _rand((2, 3, 4))),
    _case("diagonal", lambda a: LA.diagonal(a, offset=1), lambda a: torch.diagonal(a, 1, -2, -1),
          _rand((2, 4, 3), True)),
    _case("outer", LA.outer, torch.outer, _rand((3,)), _rand((2,), True, 1)),
    _case("cross-broadcast", lambda a, b: LA.cross(a, b, axis=-2),
          lambda a, b: torch.linalg.cross(a, b[None], dim=-2), _rand((2, 3, 1)), _rand((3, 2), seed=1)),
]


def _leaves(arrays):
    return tuple(xp.asarray(a, requires_grad=True) for a in arrays)


@pytest.mark.parametrize("f, tf, arrays", CASES)
def test_gradient_finite_differences(f, tf, arrays):
    assert gradcheck(f, _leaves(arrays))


@pytest.mark.parametrize("f, tf, arrays", CASES)
def test_gradient_against_torch(f, tf, arrays):
    check_torch(f, tf, *arrays, rtol=1e-7, atol=1e-10)


SECOND_ORDER = [
    _case("det", LA.det, torch.linalg.det, _rand((2, 3, 3))),
    _case("inv-complex", LA.inv, torch.linalg.inv, _rand((3, 3), True)),
    _case("cholesky", lambda a: LA.cholesky(_herm(a, xp)), lambda a: torch.linalg.cholesky(_herm(a, torch)),
          _positive_definite((3, 3))),
    _case("solve", LA.solve, torch.linalg.solve, _rand((3, 3)), _rand((3, 2), seed=1)),
    _case("eigh", _eigh_loss(xp), _eigh_loss(torch), _hermitian((3, 3))),
    _case("svdvals", LA.svdvals, torch.linalg.svdvals, _rand((3, 2))),
    _case("vector_norm-3", lambda a: LA.vector_norm(a, ord=3), lambda a: torch.linalg.vector_norm(a, ord=3),
          _rand((4,))),
    _case("qr", _qr("reduced", xp), _qr("reduced", torch), _rand((3, 2))),
]


@pytest.mark.parametrize("f, tf, arrays", SECOND_ORDER)
def test_second_order(f, tf, arrays):
    assert gradgradcheck(f, _leaves(arrays))
    check_torch(first_gradient(f, xp), first_gradient(tf, torch), *arrays, rtol=1e-6, atol=1e-9)


def cofactors(a):
    """The cofactor matrix of each matrix of `a` (d det / d a), from the minors' determinants:
    exact next to a singular matrix, where a library's LU-based rule may not be (PyTorch 2.13
    with some LAPACK builds returns 0 for the gradient of a rank-2 3x3 matrix)."""
    a = np.asarray(a, dtype=float)
    n = a.shape[-1]
    out = np.empty_like(a)
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(a, i, axis=-2), j, axis=-1)
            out[..., i, j] = (-1) ** (i + j) * (np.linalg.det(minor) if n > 1 else 1.0)
    return out


def test_det_gradient_of_singular_matrices():
    # The adjugate through the SVD: exact where x^{-1} does not exist.
    singular = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, -1.0, 2.0]])
    batch = np.stack([singular, _rand((3, 3)), np.zeros((3, 3))])
    check_torch(LA.det, torch.linalg.det, batch[1:], rtol=1e-7, atol=1e-10)
    x = xp.asarray(batch, requires_grad=True)
    c = np.array([0.7, -1.3, 2.0])
    np.testing.assert_allclose(_np(LA.det(x)), np.linalg.det(batch), atol=1e-12)
    (g,) = xp.autograd.grad(xp.sum(LA.det(x) * xp.asarray(c)), x, create_graph=True)
    np.testing.assert_allclose(_np(g), c[:, None, None] * cofactors(batch), rtol=1e-7, atol=1e-10)
    # second order: the gradient of <w, cofactors(x)>, whose entries are quadratic in x, so
    # that central differences are exact up to rounding (without the zero matrix: its second
    # derivative inside a mixed batch goes through the SVD's of repeated zeros, NaN, as
    # PyTorch's is at any zero matrix)
    batch, c = batch[:2], c[:2]
    x = xp.asarray(batch, requires_grad=True)
    (g,) = xp.autograd.grad(xp.sum(LA.det(x) * xp.asarray(c)), x, create_graph=True)
    w = np.random.default_rng(3).standard_normal(batch.shape)
    (h,) = xp.autograd.grad(xp.sum(g * xp.asarray(w)), x)
    fd = np.zeros_like(batch)
    step = 1e-3
    for idx in np.ndindex(batch.shape):
        e = np.zeros_like(batch)
        e[idx] = step
        diff = cofactors(batch + e) - cofactors(batch - e)
        fd[idx] = np.sum(w[idx[0]] * c[idx[0]] * diff[idx[0]]) / (2 * step)
    np.testing.assert_allclose(_np(h), fd, rtol=1e-6, atol=1e-8)


def test_spectral_gradients_with_repeated_values():
    # Values alone stay differentiable where the vectors are not (repeated eigenvalues).
    a = np.diag([2.0, 2.0, 5.0])
    check_torch(LA.eigvalsh, torch.linalg.eigvalsh, a)
    check_torch(LA.svdvals, torch.linalg.svdvals, np.zeros((3, 2)), values=False)
    check_torch(lambda m: LA.matrix_norm(m, ord="nuc"), lambda m: torch.linalg.matrix_norm(m, ord="nuc"),
                np.diag([1.0, 1.0, 3.0]))


def test_phase_dependent_loss_raises():
    a = xp.asarray(_hermitian((3, 3), True), requires_grad=True)
    v = LA.eigh(a).eigenvectors
    with pytest.raises(RuntimeError, match="phase"):
        xp.sum(xp.real(v)).backward()
    u = LA.svd(xp.asarray(_rand((3, 3), True), requires_grad=True)).U
    with pytest.raises(RuntimeError, match="phase"):
        xp.sum(xp.imag(u)).backward()


def test_complete_qr_of_tall_matrices_is_not_differentiable():
    q, r = LA.qr(xp.asarray(_rand((4, 3)), requires_grad=True), mode="complete")
    with pytest.raises(RuntimeError, match="complete"):
        xp.sum(q).backward()


def test_grad_fn_names_follow_pytorch():
    a = xp.asarray(_positive_definite((3, 3)), requires_grad=True)
    assert type(LA.det(a).grad_fn).__name__ == "LinalgDetBackward0"
    assert type(LA.svd(a).S.grad_fn).__name__ == "LinalgSvdBackward0"
    assert type(LA.eigvalsh(a).grad_fn).__name__ == "LinalgEighBackward0"
    assert type(LA.vector_norm(a).grad_fn).__name__ == "LinalgVectorNormBackward0"


# ----- values against NumPy -------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
def test_decompositions_match_numpy(dtype):
    c = np.dtype(dtype).kind == "c"
    tol = {"rtol": 1e-4, "atol": 1e-5} if np.dtype(dtype).itemsize <= 8 else {"rtol": 1e-10, "atol": 1e-12}
    a = _rand((2, 3, 3), c).astype(dtype)
    pd = _positive_definite((2, 3, 3), c).astype(dtype)
    h = _hermitian((2, 3, 3), c).astype(dtype)
    t = xp.asarray
    np.testing.assert_allclose(_np(LA.det(t(a))), np.linalg.det(a), **tol)
    np.testing.assert_allclose(_np(LA.inv(t(a))), np.linalg.inv(a), **tol)
    np.testing.assert_allclose(_np(LA.cholesky(t(pd))), np.linalg.cholesky(pd), **tol)
    np.testing.assert_allclose(_np(LA.cholesky(t(pd), upper=True)),
                               np.conj(np.swapaxes(np.linalg.cholesky(pd), -1, -2)), **tol)
    np.testing.assert_allclose(_np(LA.eigvalsh(t(h))), np.linalg.eigvalsh(h), **tol)
    np.testing.assert_allclose(_np(LA.svdvals(t(a))), np.linalg.svd(a, compute_uv=False), **tol)
    sign, logabs = LA.slogdet(t(a))
    np.testing.assert_allclose(_np(sign), np.linalg.slogdet(a).sign, **tol)
    np.testing.assert_allclose(_np(logabs), np.linalg.slogdet(a).logabsdet, **tol)
    np.testing.assert_allclose(_np(LA.pinv(t(a[..., :2]))), np.linalg.pinv(a[..., :2]), **tol)
    real = np.dtype(dtype).type(0).real.dtype
    for out, want in ((LA.det(t(a)), dtype), (LA.eigvalsh(t(h)), real), (LA.svdvals(t(a)), real),
                      (logabs, real), (sign, dtype), (LA.matrix_norm(t(a)), real),
                      (LA.vector_norm(t(a)), real)):
        assert _np(out).dtype == want
    # decompositions are checked by reconstruction (their vectors are not unique)
    q, r = LA.qr(t(a))
    np.testing.assert_allclose(_np(q @ r), a, **tol)
    u, s, vh = LA.svd(t(a), full_matrices=False)
    np.testing.assert_allclose(_np(u @ (s[..., None] * vh)), a, **tol)
    w, v = LA.eigh(t(h))
    np.testing.assert_allclose(_np(v @ (w[..., None] * _mH(v))), h, **tol)
    w, v = LA.eig(t(a))
    assert w.dtype == v.dtype == xp.asarray(a).dtype.to_complex()
    np.testing.assert_allclose(_np(t(a).astype(w.dtype) @ v), _np(v * w[..., None, :]), **tol)
    np.testing.assert_allclose(np.sort_complex(_np(LA.eigvals(t(a))).ravel()),
                               np.sort_complex(np.linalg.eigvals(a).ravel()), **tol)


def test_eig_is_complex_even_with_real_eigenvalues():
    w, v = LA.eig(xp.asarray(np.diag([1.0, 2.0]).astype(np.float32)))
    assert w.dtype == v.dtype == xp.complex64
    assert LA.eigvals(xp.asarray(np.eye(2))).dtype == xp.complex128


def test_solve_shapes_match_numpy():
    a, b = _rand((2, 3, 3)), _rand((3,), seed=1)
    np.testing.assert_allclose(_np(LA.solve(xp.asarray(a), xp.asarray(b))), np.linalg.solve(a, b))
    b = _rand((4, 1, 3, 2), seed=2)
    out = LA.solve(xp.asarray(a), xp.asarray(b))
    assert out.shape == (4, 2, 3, 2)
    np.testing.assert_allclose(_np(out), np.linalg.solve(a, b))


def test_norms_match_numpy():
    a = _rand((2, 3, 4), True)
    for ord_ in (2, 1, 0, -1, -2, math.inf, -math.inf, 3, 0.5):
        np.testing.assert_allclose(_np(LA.vector_norm(xp.asarray(a), ord=ord_, axis=(0, -1))),
                                   np.linalg.vector_norm(a, ord=ord_, axis=(0, -1)), rtol=1e-12)
    for ord_ in ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf):
        out = LA.matrix_norm(xp.asarray(a), ord=ord_, keepdims=True)
        np.testing.assert_allclose(_np(out), np.linalg.matrix_norm(a, ord=ord_, keepdims=True),
                                   rtol=1e-12)


def test_small_functions_match_numpy():
    a = _rand((2, 3, 4))
    ia = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    for offset in (-2, 0, 1, 5):
        np.testing.assert_array_equal(_np(LA.diagonal(xp.asarray(ia), offset=offset)),
                                      np.linalg.diagonal(ia, offset=offset))
    trace = LA.trace(xp.asarray(ia), offset=1)
    assert trace.dtype == xp.int64
    np.testing.assert_array_equal(_np(trace), np.linalg.trace(ia, offset=1))
    v1, v2 = np.arange(3, dtype=np.uint8), np.arange(4, dtype=np.int8)
    out = LA.outer(xp.asarray(v1), xp.asarray(v2))
    assert out.dtype == xp.int16
    np.testing.assert_array_equal(_np(out), np.outer(v1, v2))
    x1, x2 = np.arange(6).reshape(2, 3), np.array([[1, -2, 5]])
    np.testing.assert_array_equal(_np(LA.cross(xp.asarray(x1), xp.asarray(x2))),
                                  np.cross(x1, x2))
    sq = _rand((2, 3, 3))
    for n in (0, 1, 2, 5, -1, -3):
        np.testing.assert_allclose(_np(LA.matrix_power(xp.asarray(sq), n)),
                                   np.linalg.matrix_power(sq, n), rtol=1e-9)
    x = xp.asarray(sq)
    assert LA.matrix_power(x, 1) is not x
    deficient = np.stack([np.ones((3, 3)), np.eye(3), np.diag([1.0, 1e-20, 1.0])])
    rank = LA.matrix_rank(xp.asarray(deficient))
    assert rank.dtype == xp.int64
    np.testing.assert_array_equal(_np(rank), [1, 3, 2])
    np.testing.assert_array_equal(
        _np(LA.matrix_rank(xp.asarray(deficient), rtol=xp.asarray([0.5, 0.5, 1e-30]))), [1, 3, 3])
    np.testing.assert_allclose(_np(LA.pinv(xp.asarray(deficient), rtol=1e-3)),
                               np.linalg.pinv(deficient, rtol=1e-3))


def test_diagonal_is_a_writable_view_and_tracks_writes():
    x = xp.asarray(_rand((3, 3)))
    d = LA.diagonal(x)
    d[0] = 1.0  # PyTorch's diagonal is a writable view (NumPy's is read-only)
    assert float(x[0, 0]) == 1.0
    x[0, 0] = 7.0
    assert float(d[0]) == 7.0
    assert d._version == x._version
    ro = np.eye(2)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        LA.diagonal(xp.asarray(ro))[0] = 3.0


def test_namedtuple_results():
    a = xp.asarray(_positive_definite((3, 3)))
    assert LA.eigh(a)._fields == ("eigenvalues", "eigenvectors")
    assert LA.eig(a)._fields == ("eigenvalues", "eigenvectors")
    assert LA.qr(a)._fields == ("Q", "R")
    assert LA.slogdet(a)._fields == ("sign", "logabsdet")
    assert LA.svd(a)._fields == ("U", "S", "Vh")
    u, s, vh = LA.svd(xp.asarray(_rand((4, 2))))
    assert (u.shape, s.shape, vh.shape) == ((4, 4), (2,), (2, 2))
    q, r = LA.qr(xp.asarray(_rand((4, 2))), mode="complete")
    assert (q.shape, r.shape) == ((4, 4), (4, 2))


def test_integer_inputs_promote_to_the_default_float():
    a = xp.asarray([[2, 1], [1, 3]])
    assert LA.det(a).dtype == xp.float32
    assert LA.vector_norm(a).dtype == xp.float32
    assert LA.matrix_power(a, 2).dtype == xp.int64


def test_errors():
    sq, rect, vec = xp.ones((3, 3)), xp.ones((2, 3)), xp.ones((3,))
    for fn in (LA.det, LA.inv, LA.cholesky, LA.eigh, LA.eigvalsh, LA.eig, LA.eigvals, LA.slogdet,
               lambda a: LA.matrix_power(a, 2)):
        with pytest.raises(ValueError, match="square"):
            fn(rect)
    for fn in (LA.svd, LA.svdvals, LA.qr, LA.pinv, LA.matrix_rank, LA.matrix_norm, LA.diagonal, LA.trace):
        with pytest.raises(ValueError, match="at least 2 dimensions"):
            fn(vec)
    with pytest.raises(TypeError, match="arraygrad Tensor"):
        LA.det(np.eye(3))
    with pytest.raises(ValueError, match="mode"):
        LA.qr(sq, mode="economic")
    with pytest.raises(ValueError, match="ord"):
        LA.matrix_norm(sq, ord=3)
    with pytest.raises(ValueError, match="ord"):
        LA.matrix_norm(sq, ord="frobenius")
    with pytest.raises(TypeError, match="ord"):
        LA.vector_norm(sq, ord="fro")
    with pytest.raises(ValueError, match="rows"):
        LA.solve(sq, xp.ones((2,)))
    with pytest.raises(ValueError):
        LA.solve(xp.ones((2, 3, 3)), xp.ones((4, 3, 1)))  # stacks that do not broadcast
    with pytest.raises(ValueError, match="3 elements"):
        LA.cross(rect.mT, rect.mT)
    with pytest.raises(ValueError, match="axis"):
        LA.cross(sq, sq, axis=-3)
    with pytest.raises(TypeError, match="numeric"):
        LA.cross(sq > 0, sq > 0)
    with pytest.raises(ValueError, match="1-dimensional"):
        LA.outer(sq, vec)
    with pytest.raises(TypeError, match="int"):
        LA.matrix_power(sq, 1.5)
    with pytest.raises(ValueError, match="rtol"):
        LA.pinv(sq, rtol=-1.0)
    with pytest.raises(TypeError, match="offset"):
        LA.diagonal(sq, offset=0.5)


def test_same_results_on_every_cpu_backend(backend):
    # The core is backend-generic: array-api-strict (no NumPy quirks, no overrides) agrees.
    def run(device):
        x = xp.asarray(_rand((2, 3, 3)), device=device, requires_grad=True)
        p = xp.asarray(_positive_definite((3, 3), True), device=device, requires_grad=True)
        outs = [LA.det(x), LA.slogdet(x).logabsdet, LA.inv(x), LA.solve(x, x[0, :, 0]),
                LA.pinv(x, rtol=0.01), LA.qr(x).R, LA.svd(x).S, xp.real(LA.eigvals(x)),
                LA.matrix_norm(x, ord="nuc"), LA.vector_norm(x, ord=3, axis=(0, 2)),
                LA.trace(x, offset=1), LA.cross(x, x[0]), LA.matrix_power(x, 3),
                LA.cholesky(p, upper=True), LA.eigh(p).eigenvalues, LA.matrix_rank(x)]
        loss = sum(xp.sum(xp.real(o)) for o in outs if o.dtype != xp.int64)
        return [_np(o) for o in outs] + [_np(g) for g in xp.autograd.grad(loss, [x, p])]

    for got, want in zip(run(backend.device), run("cpu")):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
