"""PyTorch's torch.linalg functions beyond the standard (lstsq, matrix_exp, LU, the _ex
variants, tensorinv / tensorsolve, householder_product) and its legacy top-level ones
(lu_unpack, cholesky_solve, cholesky_inverse, triangular_solve), in src/arraygrad/linalg.py:
values and gradients against PyTorch 2.13 (CPU) as the oracle, gradcheck / gradgradcheck
in float64, every CPU backend for the generic LU, and the errors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import arraygrad as xp
from arraygrad import linalg as LA
from arraygrad.autograd import gradcheck, gradgradcheck
from test_linalg import _as_tuple, _np  # noqa: E402

# ----- helpers ----------------------------------------------------------------------------


def _rand(shape, complex_=False, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    if complex_:
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(np.result_type(dtype, np.complex64) if complex_ else dtype)


def _positive_definite(shape, complex_=False, seed=0):
    a = _rand(shape, complex_, seed)
    return a @ np.conj(np.swapaxes(a, -1, -2)) + shape[-1] * np.eye(shape[-1])




def _differentiable(outs):
    """The outputs that carry gradients: floating, and not PyTorch's empty placeholders."""
    return tuple(o for o in outs if (o.dtype.is_floating_point or o.dtype.is_complex)
                 and math.prod(o.shape) > 0)


def _pair(outs, cots, lib):
    """Re <c, out> summed over the outputs, in arraygrad or torch."""
    total = 0
    for o, c in zip(outs, cots):
        if lib is torch:
            total = total + (torch.as_tensor(np.conj(c)) * o).real.sum()
        else:
            total = total + xp.sum(xp.real(xp.asarray(np.conj(c)) * o))
    return total


def _cotangents(outs, seed=1):
    rng = np.random.default_rng(seed)
    cots = []
    for o in outs:
        c = rng.standard_normal(tuple(o.shape))
        if o.dtype.is_complex:
            c = c + 1j * rng.standard_normal(tuple(o.shape))
        cots.append(c)
    return cots


def check_torch(f, tf, *arrays, rtol=1e-7, atol=1e-9):
    """Outputs, and the gradients of Re <c, f(x)> for a random c, equal PyTorch's."""
    inputs = [xp.asarray(a, requires_grad=True) for a in arrays]
    outs = _differentiable(_as_tuple(f(*inputs)))
    cots = _cotangents(outs)
    grads = xp.autograd.grad(_pair(outs, cots, xp), inputs)
    t_inputs = [torch.tensor(a, requires_grad=True) for a in arrays]
    t_outs = _differentiable(_as_tuple(tf(*t_inputs)))
    assert len(outs) == len(t_outs)
    t_grads = torch.autograd.grad(_pair(t_outs, cots, torch), t_inputs)
    for o, t in zip(outs, t_outs):
        np.testing.assert_allclose(_np(o), t.detach().resolve_conj().numpy(), rtol=rtol, atol=atol)
    for i, (g, t) in enumerate(zip(grads, t_grads)):
        np.testing.assert_allclose(_np(g), t.resolve_conj().numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i}")


def _assert_results(got, want, rtol=1e-7, atol=1e-9):
    """Named tuples field by field: shapes, dtypes and values."""
    assert len(got) == len(want)
    for field, g, w in zip(got._fields, got, want):
        assert getattr(want, field) is w  # PyTorch's field names
        assert tuple(g.shape) == tuple(w.shape)
        assert str(g.dtype).split(".")[-1] == str(w.dtype).split(".")[-1]
        if w.numel():
            np.testing.assert_allclose(_np(g), w.resolve_conj().numpy(), rtol=rtol, atol=atol)


SHAPES = [(3, 3), (2, 4, 4), (4, 2), (2, 3, 5), (2, 1, 3, 3)]
DTYPES = [(np.float32, False), (np.float64, False), (np.float64, True), (np.float32, True)]


def _tol(a):
    return (1e-4, 1e-5) if a.dtype in (np.float32, np.complex64) else (1e-10, 1e-12)


# ----- LU ------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype,complex_", DTYPES)
def test_lu_factor_and_lu_values(shape, dtype, complex_):
    a = _rand(shape, complex_, dtype=dtype)
    rtol, atol = _tol(a)
    LU, piv = LA.lu_factor(xp.asarray(a))
    tLU, tpiv = torch.linalg.lu_factor(torch.tensor(a))
    assert piv.dtype == xp.int32
    np.testing.assert_array_equal(_np(piv), tpiv.numpy())
    np.testing.assert_allclose(_np(LU), tLU.numpy(), rtol=rtol, atol=atol)
    _assert_results(LA.lu(xp.asarray(a)), torch.linalg.lu(torch.tensor(a)), rtol, atol)
    _assert_results(LA.lu_unpack(LU, piv), torch.lu_unpack(tLU, tpiv), rtol, atol)
    _assert_results(LA.lu_factor_ex(xp.asarray(a)), torch.linalg.lu_factor_ex(torch.tensor(a)),
                    rtol, atol)


def test_lu_unpack_partial_and_singular():
    a = np.array([[1.0, 2, 3], [2, 4, 6], [1, 1, 1]])
    got = LA.lu_factor_ex(xp.asarray(a))
    want = torch.linalg.lu_factor_ex(torch.tensor(a))
    _assert_results(got, want)
    assert int(got.info) == 3
    _assert_results(LA.lu_unpack(got.LU, got.pivots, unpack_data=False),
                    torch.lu_unpack(want.LU, want.pivots, unpack_data=False))
    _assert_results(LA.lu_unpack(got.LU, got.pivots, unpack_pivots=False),
                    torch.lu_unpack(want.LU, want.pivots, unpack_pivots=False))
    zero = LA.lu_factor_ex(xp.zeros((2, 2, 2)))
    np.testing.assert_array_equal(_np(zero.info), [1, 1])
    with pytest.raises(LA.LinAlgError, match=r"lu_factor.*U\[2,2\] is zero"):
        LA.lu_factor(xp.asarray(a))
    with pytest.raises(LA.LinAlgError, match="lu_factor_ex"):
        LA.lu_factor_ex(xp.asarray(a), check_errors=True)
    assert "linalg_lu_factor_ex" in repr(got)


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [False, True])
@pytest.mark.parametrize("complex_", [False, True])
def test_lu_solve_values_and_gradients(left, adjoint, complex_):
    a = _rand((2, 3, 3), complex_) + 3 * np.eye(3)
    b = _rand((2, 3, 2) if left else (2, 2, 3), complex_, seed=1)

    def f(lu_, b_, lib):
        if lib is torch:
            return torch.linalg.lu_solve(lu_, tpiv, b_, left=left, adjoint=adjoint)
        return LA.lu_solve(lu_, piv, b_, left=left, adjoint=adjoint)

    LU, piv = LA.lu_factor(xp.asarray(a))
    _, tpiv = torch.linalg.lu_factor(torch.tensor(a))
    check_torch(lambda lu_, b_: f(lu_, b_, xp), lambda lu_, b_: f(lu_, b_, torch), _np(LU), b)
    # and the solution solves the system
    x = _np(f(LU, xp.asarray(b), xp))
    op = np.conj(np.swapaxes(a, -1, -2)) if adjoint else a
    np.testing.assert_allclose(op @ x if left else x @ op, b, atol=1e-10)


LU_GRAD_CASES = [
    pytest.param((2, 4, 4), False, id="square-batched"),
    pytest.param((4, 4), True, id="square-complex"),
    pytest.param((2, 5, 3), False, id="tall"),
    pytest.param((3, 5), False, id="wide"),
    pytest.param((4, 2), True, id="tall-complex"),
    pytest.param((2, 3, 4), True, id="wide-complex"),
]


@pytest.mark.parametrize("shape,complex_", LU_GRAD_CASES)
def test_lu_gradients_match_torch(shape, complex_):
    a = _rand(shape, complex_, seed=3)
    check_torch(lambda t: LA.lu(t)[1:], lambda t: torch.linalg.lu(t)[1:], a)
    check_torch(lambda t: LA.lu_factor(t).LU, lambda t: torch.linalg.lu_factor(t).LU, a)
    check_torch(lambda t: LA.lu(t).L, lambda t: torch.linalg.lu(t).L, a)
    check_torch(lambda t: LA.lu(t).U, lambda t: torch.linalg.lu(t).U, a)
    check_torch(lambda t: LA.lu_unpack(t, LA.lu_factor(t.detach()).pivots)[1:],
                lambda t: torch.lu_unpack(t, torch.linalg.lu_factor(t.detach()).pivots)[1:], a)


def test_lu_grad_fn_and_second_order():
    a = xp.asarray(_rand((3, 3)), requires_grad=True)
    assert type(LA.lu_factor(a).LU.grad_fn).__name__ == "LinalgLuFactorExBackward0"
    assert not LA.lu_factor(a).pivots.requires_grad
    assert gradcheck(lambda t: LA.lu(t)[1:], (a,))
    assert gradgradcheck(lambda t: LA.lu(t)[1:], (a,))
    w = xp.asarray(_rand((3, 5), seed=2), requires_grad=True)
    assert gradcheck(lambda t: LA.lu_factor(t).LU, (w,))
    assert gradgradcheck(lambda t: LA.lu_factor(t).LU, (w,))


def test_lu_solve_gradcheck():
    a = _rand((3, 3)) + 3 * np.eye(3)
    LU, piv = LA.lu_factor(xp.asarray(a))
    lu_ = xp.asarray(_np(LU), requires_grad=True)
    b = xp.asarray(_rand((3, 2), seed=1), requires_grad=True)
    f = lambda l_, b_: LA.lu_solve(l_, piv, b_, adjoint=True)  # noqa: E731
    assert gradcheck(f, (lu_, b))
    assert gradgradcheck(f, (lu_, b))


def test_lu_on_every_backend(backend):
    a = _rand((2, 4, 4), seed=5)
    b = _rand((2, 4, 1), seed=6)
    A = xp.asarray(a, device=backend.device, requires_grad=True)
    LU, piv = LA.lu_factor(A)
    x = LA.lu_solve(LU, piv, xp.asarray(b, device=backend.device))
    P, L, U = LA.lu(A)
    np.testing.assert_allclose(_np(x), np.linalg.solve(a, b), atol=1e-10)
    np.testing.assert_allclose(_np(P @ L @ U), a, atol=1e-12)
    tLU, tpiv = torch.linalg.lu_factor(torch.tensor(a))
    np.testing.assert_allclose(_np(LU), tLU.numpy(), atol=1e-12)
    np.testing.assert_array_equal(_np(piv), tpiv.numpy())
    (g,) = xp.autograd.grad(xp.sum(x) + xp.sum(U), [A])
    tA = torch.tensor(a, requires_grad=True)
    tLU, tpiv = torch.linalg.lu_factor(tA)
    t_loss = torch.linalg.lu_solve(tLU, tpiv, torch.tensor(b)).sum() + torch.linalg.lu(tA).U.sum()
    np.testing.assert_allclose(_np(g), torch.autograd.grad(t_loss, tA)[0].numpy(), atol=1e-10)
    E = LA.matrix_exp(A)
    np.testing.assert_allclose(_np(E), torch.linalg.matrix_exp(torch.tensor(a)).numpy(), rtol=1e-12)


# ----- the _ex variants ---------------------------------------------------------------------


@pytest.mark.parametrize("complex_", [False, True])
def test_ex_variants_on_regular_input(complex_):
    a = _rand((2, 3, 3), complex_) + 3 * np.eye(3)
    b = _rand((2, 3, 2), complex_, seed=1)
    pd = _positive_definite((2, 3, 3), complex_)
    A, B, PD = xp.asarray(a), xp.asarray(b), xp.asarray(pd)
    tA, tB, tPD = torch.tensor(a), torch.tensor(b), torch.tensor(pd)
    _assert_results(LA.solve_ex(A, B), torch.linalg.solve_ex(tA, tB))
    _assert_results(LA.solve_ex(A, A, left=False), torch.linalg.solve_ex(tA, tA, left=False))
    _assert_results(LA.solve_ex(A, B[..., 0]), torch.linalg.solve_ex(tA, tB[..., 0]))
    _assert_results(LA.inv_ex(A), torch.linalg.inv_ex(tA))
    _assert_results(LA.cholesky_ex(PD), torch.linalg.cholesky_ex(tPD))
    _assert_results(LA.cholesky_ex(PD, upper=True), torch.linalg.cholesky_ex(tPD, upper=True))
    assert "linalg_solve_ex" in repr(LA.solve_ex(A, B))


def test_ex_variants_on_singular_input_return_info():
    a = np.array([[[1.0, 2, 3], [2, 4, 6], [1, 1, 1]], np.eye(3) * 2])
    b = np.arange(12.0).reshape(2, 3, 2)
    A, tA = xp.asarray(a), torch.tensor(a)
    with np.errstate(all="ignore"):
        _assert_results(LA.inv_ex(A), torch.linalg.inv_ex(tA))
        _assert_results(LA.solve_ex(A, xp.asarray(b)), torch.linalg.solve_ex(tA, torch.tensor(b)))
        _assert_results(LA.solve_ex(xp.zeros((2, 2)), xp.ones(2)),
                        torch.linalg.solve_ex(torch.zeros(2, 2), torch.ones(2)))
    with pytest.raises(LA.LinAlgError):
        LA.inv_ex(A, check_errors=True)
    with pytest.raises(LA.LinAlgError):
        LA.solve_ex(A, xp.asarray(b), check_errors=True)
    for m in (np.array([[1.0, 2.0], [2.0, 1.0]]), np.array([[4.0, 2, 1], [2, 5, 1], [1, 1, -3]]),
              np.array([[[1.0, 2.0], [2.0, 1.0]], [[-1.0, 0], [0, 1]], [[2.0, 0], [0, 3]]])):
        _assert_results(LA.cholesky_ex(xp.asarray(m)), torch.linalg.cholesky_ex(torch.tensor(m)))
        _assert_results(LA.cholesky_ex(xp.asarray(m), upper=True),
                        torch.linalg.cholesky_ex(torch.tensor(m), upper=True))
    with pytest.raises(LA.LinAlgError):
        LA.cholesky_ex(xp.asarray(-np.eye(2)), check_errors=True)


def test_ex_variants_are_differentiable():
    a = _rand((2, 3, 3)) + 3 * np.eye(3)
    b = _rand((2, 3, 2), seed=1)
    check_torch(lambda s, t: LA.solve_ex(s, t).result,
                lambda s, t: torch.linalg.solve_ex(s, t).result, a, b)
    check_torch(lambda s: LA.inv_ex(s).inverse, lambda s: torch.linalg.inv_ex(s).inverse, a)
    pd = _positive_definite((3, 3), True)
    check_torch(lambda s: LA.cholesky_ex((s + s.mH) / 2).L,
                lambda s: torch.linalg.cholesky_ex((s + s.mH) / 2).L, pd)


# ----- lstsq ---------------------------------------------------------------------------------


@pytest.mark.parametrize("driver", [None, "gels", "gelsy", "gelsd", "gelss"])
@pytest.mark.parametrize("shapes", [((2, 5, 3), (2, 5, 2)), ((3, 3), (3, 4)), ((5, 3), (5,)),
                                    ((2, 1, 4, 2), (1, 3, 4, 1))])
def test_lstsq_values(driver, shapes):
    a, b = _rand(shapes[0]), _rand(shapes[1], seed=1)
    _assert_results(LA.lstsq(xp.asarray(a), xp.asarray(b), driver=driver),
                    torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver=driver))


def test_lstsq_underdetermined_rank_deficient_and_float32():
    a, b = _rand((2, 3, 5)), _rand((2, 3, 2), seed=1)
    for driver in ("gelsy", "gelsd", "gelss"):  # minimum-norm solutions
        _assert_results(LA.lstsq(xp.asarray(a), xp.asarray(b), driver=driver),
                        torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver=driver))
    low = _rand((6, 2)) @ _rand((2, 4), seed=2)  # rank 2
    for driver in ("gelsy", "gelsd", "gelss"):
        got = LA.lstsq(xp.asarray(low), xp.asarray(b[0, :2].T.repeat(3, 0)), driver=driver)
        want = torch.linalg.lstsq(torch.tensor(low), torch.tensor(b[0, :2].T.repeat(3, 0)), driver=driver)
        _assert_results(got, want, rtol=1e-6, atol=1e-8)
        assert int(got.rank) == 2
    a32, b32 = _rand((4, 3), dtype=np.float32), _rand((4, 2), seed=1, dtype=np.float32)
    _assert_results(LA.lstsq(xp.asarray(a32), xp.asarray(b32)),
                    torch.linalg.lstsq(torch.tensor(a32), torch.tensor(b32)), 1e-4, 1e-5)
    ac, bc = _rand((4, 3), True), _rand((4, 2), True, seed=1)
    _assert_results(LA.lstsq(xp.asarray(ac), xp.asarray(bc), driver="gelsd"),
                    torch.linalg.lstsq(torch.tensor(ac), torch.tensor(bc), driver="gelsd"))
    assert "linalg_lstsq" in repr(LA.lstsq(xp.asarray(a32), xp.asarray(b32)))


@pytest.mark.parametrize("shapes,complex_", [(((2, 5, 3), (2, 5, 2)), False), (((3, 5), (3, 2)), False),
                                             (((4, 3), (4,)), True)])
def test_lstsq_gradients(shapes, complex_):
    a, b = _rand(shapes[0], complex_), _rand(shapes[1], complex_, seed=1)
    check_torch(lambda s, t: LA.lstsq(s, t).solution,
                lambda s, t: torch.linalg.lstsq(s, t).solution, a, b)
    if shapes[0][-2] > shapes[0][-1]:
        check_torch(lambda s, t: LA.lstsq(s, t, driver="gelsd")[:2],
                    lambda s, t: torch.linalg.lstsq(s, t, driver="gelsd")[:2], a, b)
    A, B = xp.asarray(a, requires_grad=True), xp.asarray(b, requires_grad=True)
    assert gradcheck(lambda s, t: LA.lstsq(s, t).solution, (A, B))
    assert gradgradcheck(lambda s, t: LA.lstsq(s, t).solution, (A, B))


# ----- matrix_exp ----------------------------------------------------------------------------


@pytest.mark.parametrize("dtype,complex_", DTYPES)
@pytest.mark.parametrize("scale", [1e-3, 1.0, 6.0])
def test_matrix_exp_values(dtype, complex_, scale):
    a = (_rand((3, 4, 4), complex_, dtype=dtype) * np.array([0.1, 1, 3])[:, None, None] * scale).astype(
        _rand((1,), complex_, dtype=dtype).dtype)
    got = _np(LA.matrix_exp(xp.asarray(a)))
    want = torch.linalg.matrix_exp(torch.tensor(a)).numpy()
    assert got.dtype == want.dtype
    single = a.dtype in (np.float32, np.complex64)
    err = np.abs(got - want) / np.abs(want).max(axis=(-2, -1), keepdims=True)
    assert err.max() < (5e-5 if single else 1e-12)


def test_matrix_exp_special_inputs():
    for a in (np.zeros((2, 3, 3)), np.diag([1.0, -2.0, 0.5]), np.array([[0.0, 1], [-1, 0]]) * np.pi):
        np.testing.assert_allclose(_np(LA.matrix_exp(xp.asarray(a))),
                                   torch.linalg.matrix_exp(torch.tensor(a)).numpy(),
                                   rtol=1e-13, atol=1e-14)
    assert LA.matrix_exp(xp.zeros((2, 0, 0))).shape == (2, 0, 0)
    assert LA.matrix_exp(xp.asarray([[1, 0], [0, 1]])).dtype == xp.float32


@pytest.mark.parametrize("shape,complex_,scale", [((2, 3, 3), False, 1.0), ((3, 3), True, 1.0),
                                                  ((2, 3, 3), False, 10.0)])
def test_matrix_exp_gradients(shape, complex_, scale):
    a = _rand(shape, complex_) * scale
    check_torch(LA.matrix_exp, torch.linalg.matrix_exp, a, rtol=1e-9, atol=1e-9)


def test_matrix_exp_gradcheck_and_second_order():
    a = xp.asarray(_rand((2, 3, 3)) * np.array([0.5, 8])[:, None, None], requires_grad=True)
    assert gradcheck(LA.matrix_exp, (a,))
    assert gradgradcheck(LA.matrix_exp, (a,))
    c = xp.asarray(_rand((3, 3), True), requires_grad=True)
    assert gradcheck(LA.matrix_exp, (c,))
    # second derivatives against PyTorch's
    b = _rand((3, 3), seed=4)
    cot = _rand((3, 3), seed=5)
    A = xp.asarray(b, requires_grad=True)
    (g,) = xp.autograd.grad(xp.sum(LA.matrix_exp(A) * xp.asarray(cot)), [A], create_graph=True)
    (gg,) = xp.autograd.grad(xp.sum(g * g), [A])
    tA = torch.tensor(b, requires_grad=True)
    t_loss = (torch.linalg.matrix_exp(tA) * torch.tensor(cot)).sum()
    (tg,) = torch.autograd.grad(t_loss, tA, create_graph=True)
    (tgg,) = torch.autograd.grad((tg * tg).sum(), tA)
    np.testing.assert_allclose(_np(gg), tgg.numpy(), rtol=1e-8, atol=1e-9)


# ----- tensorinv, tensorsolve, householder_product ------------------------------------------


def test_tensorinv_and_tensorsolve():
    a = _rand((4, 6, 8, 3))
    check_torch(lambda t: LA.tensorinv(t, ind=2), lambda t: torch.linalg.tensorinv(t, ind=2), a)
    check_torch(lambda t: LA.tensorinv(t, ind=1), lambda t: torch.linalg.tensorinv(t, ind=1),
                _rand((6, 2, 3)))
    ac = _rand((2, 3, 6), True)
    check_torch(LA.tensorsolve, torch.linalg.tensorsolve, ac, _rand((2, 3), True, seed=1))
    a = _rand((2, 3, 6))
    b = _rand((2, 3), seed=1)
    check_torch(LA.tensorsolve, torch.linalg.tensorsolve, a, b)
    a2 = _rand((6, 2, 3))
    check_torch(lambda s, t: LA.tensorsolve(s, t, dims=(0,)),
                lambda s, t: torch.linalg.tensorsolve(s, t, dims=(0,)), a2, b)
    A, B = xp.asarray(a, requires_grad=True), xp.asarray(b, requires_grad=True)
    assert gradgradcheck(LA.tensorsolve, (A, B))


@pytest.mark.parametrize("shape,k,complex_",
                         [((4, 3), 3, False), ((2, 5, 3), 2, False), ((4, 4), 4, True)])
def test_householder_product(shape, k, complex_):
    a = _rand(shape, complex_)
    tau = _rand(shape[:-2] + (k,), complex_, seed=1)
    check_torch(LA.householder_product, torch.linalg.householder_product, a, tau)
    # geqrf's reflectors give back the Q of the QR decomposition
    qa, qtau = torch.geqrf(torch.tensor(a))
    q = LA.householder_product(xp.asarray(qa.numpy()), xp.asarray(qtau.numpy()))
    np.testing.assert_allclose(_np(q), torch.linalg.qr(torch.tensor(a)).Q.numpy(), atol=1e-12)
    A, T = xp.asarray(a, requires_grad=True), xp.asarray(tau, requires_grad=True)
    assert gradgradcheck(LA.householder_product, (A, T))


# ----- legacy top-level functions -----------------------------------------------------------


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("complex_", [False, True])
def test_cholesky_solve_and_inverse(upper, complex_):
    pd = _positive_definite((2, 3, 3), complex_)
    L = torch.linalg.cholesky(torch.tensor(pd), upper=upper).numpy()
    b = _rand((2, 3, 2), complex_, seed=1)
    check_torch(lambda s, t: LA.cholesky_solve(s, t, upper=upper),
                lambda s, t: torch.cholesky_solve(s, t, upper=upper), b, L)
    check_torch(lambda t: LA.cholesky_inverse(t, upper=upper),
                lambda t: torch.cholesky_inverse(t, upper=upper), L[0])
    np.testing.assert_allclose(_np(LA.cholesky_inverse(xp.asarray(L[0]), upper=upper)),
                               np.linalg.inv(pd[0]), atol=1e-12)
    # only the factor's triangle is read
    noisy = L + (np.triu(_rand((3, 3), seed=9), 1) if not upper else np.tril(_rand((3, 3), seed=9), -1))
    want = torch.cholesky_solve(torch.tensor(b), torch.tensor(noisy), upper=upper).numpy()
    np.testing.assert_allclose(_np(LA.cholesky_solve(xp.asarray(b), xp.asarray(noisy), upper=upper)),
                               want, atol=1e-12)
    # finite differences see only the triangle read, the gradient (PyTorch's) is a full matrix
    Lt = xp.asarray(L, requires_grad=True)
    Bt = xp.asarray(b, requires_grad=True)
    tri = xp.triu if upper else xp.tril
    assert gradgradcheck(lambda s, t: LA.cholesky_solve(s, tri(t), upper=upper), (Bt, Lt))
    assert gradgradcheck(lambda t: LA.cholesky_inverse(tri(t), upper=upper), (Lt,))


@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("transpose", [False, True])
@pytest.mark.parametrize("unitriangular", [False, True])
def test_triangular_solve(upper, transpose, unitriangular):
    a = _rand((2, 3, 3)) + 3 * np.eye(3)
    b = _rand((2, 3, 2), seed=1)

    def f(lib):
        fn = torch.triangular_solve if lib is torch else LA.triangular_solve
        return lambda s, t: tuple(fn(s, t, upper=upper, transpose=transpose, unitriangular=unitriangular))

    check_torch(f(xp), f(torch), b, a)
    out = LA.triangular_solve(xp.asarray(b), xp.asarray(a))
    assert out._fields == ("solution", "cloned_coefficient")
    A, B = xp.asarray(a, requires_grad=True), xp.asarray(b, requires_grad=True)
    assert gradgradcheck(lambda s, t: f(xp)(s, t)[0], (B, A))


def test_public_names():
    for name in ("lstsq", "matrix_exp", "lu_factor", "lu_factor_ex", "lu", "lu_solve", "solve_ex",
                 "inv_ex", "cholesky_ex", "tensorinv", "tensorsolve", "householder_product"):
        assert name in LA.__all__ and callable(getattr(LA, name))
    assert LA.TORCH_LEGACY == ("lu_unpack", "cholesky_solve", "cholesky_inverse", "triangular_solve")
    for name in LA.TORCH_LEGACY:
        assert name not in LA.__all__ and callable(getattr(LA, name))


# ----- errors -------------------------------------------------------------------------------


def test_errors():
    sq, vec, rect = xp.asarray(_rand((3, 3))), xp.asarray(_rand((3,))), xp.asarray(_rand((3, 4)))
    LU, piv = LA.lu_factor(sq)
    with pytest.raises(ValueError, match="lu_factor: x must have at least 2 dimensions"):
        LA.lu_factor(vec)
    with pytest.raises(RuntimeError, match="without pivoting"):
        LA.lu_factor(sq, pivot=False)
    with pytest.raises(TypeError, match="lu_unpack: LU_pivots must have an integer dtype"):
        LA.lu_unpack(LU, xp.asarray([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match=r"lu_solve: LU_pivots must have shape \(3,\)"):
        LA.lu_solve(LU, piv[:2], sq)
    with pytest.raises(ValueError, match="lu_solve: B's rows must number 3"):
        LA.lu_solve(LU, piv, rect.mT)
    with pytest.raises(ValueError, match="lu_solve: B must have at least 2 dimensions"):
        LA.lu_solve(LU, piv, vec)
    with pytest.raises(ValueError, match="square"):
        LA.matrix_exp(rect)
    with pytest.raises(ValueError, match="solve_ex: x must be a stack of square matrices"):
        LA.solve_ex(rect, vec)
    with pytest.raises(ValueError, match="inv_ex"):
        LA.inv_ex(rect)
    with pytest.raises(ValueError, match="cholesky_ex"):
        LA.cholesky_ex(rect)
    with pytest.raises(RuntimeError, match="driver"):
        LA.lstsq(sq, sq, driver="gesv")
    with pytest.raises(ValueError, match="lstsq: B must have 3 rows"):
        LA.lstsq(sq, xp.asarray(_rand((4, 2))))
    with pytest.raises(TypeError, match="lstsq: A and B must have the same dtype"):
        LA.lstsq(sq, xp.astype(sq, xp.float32))
    with pytest.raises(TypeError, match="lstsq: rcond must be a float"):
        LA.lstsq(sq, sq, rcond="1e-3")
    with pytest.raises(ValueError, match="tensorinv: the product"):
        LA.tensorinv(xp.asarray(_rand((2, 3, 4))), ind=1)
    with pytest.raises(ValueError, match="tensorinv: ind must be a positive integer"):
        LA.tensorinv(sq, ind=0)
    with pytest.raises(ValueError, match="tensorsolve: B's shape"):
        LA.tensorsolve(xp.asarray(_rand((2, 3, 6))), xp.asarray(_rand((3, 2))))
    with pytest.raises(RuntimeError, match="householder_product"):
        LA.householder_product(rect, xp.asarray(_rand((3,))))
    with pytest.raises(RuntimeError, match="householder_product: tau"):
        LA.householder_product(rect.mT, xp.asarray(_rand((5,))))
    with pytest.raises(ValueError, match="cholesky_solve: B must have at least 2 dimensions"):
        LA.cholesky_solve(vec, sq)
    with pytest.raises(ValueError, match="cholesky_inverse: x must be a stack of square"):
        LA.cholesky_inverse(rect)
    with pytest.raises(ValueError, match="triangular_solve: A must be a stack of square"):
        LA.triangular_solve(sq, rect)


# ----- PyTorch's top-level and Tensor-method forms ----------------------------------------------
@pytest.mark.filterwarnings("ignore::UserWarning")  # torch's deprecation notes for its older names
def test_top_level_and_method_forms_match_torch():
    """torch.lu / lu_solve (b first) / lu_unpack / cholesky_solve / cholesky_inverse /
    triangular_solve / orgqr / matrix_exp, and their Tensor methods, with gradients."""
    a0, b0 = _rand((3, 4, 4), seed=1), _rand((3, 4, 2), seed=2)
    a, b = xp.asarray(a0, requires_grad=True), xp.asarray(b0, requires_grad=True)
    ta, tb = torch.tensor(a0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    (lu, piv), (tlu, tpiv) = a.lu(), ta.lu()
    np.testing.assert_array_equal(_np(piv), tpiv.numpy())
    x, tx = b.lu_solve(lu, piv), tb.lu_solve(tlu, tpiv)
    np.testing.assert_allclose(_np(xp.lu_solve(b, lu, piv)), tx.detach().numpy(), rtol=1e-12)
    (x * x).sum().backward()
    (tx * tx).sum().backward()
    np.testing.assert_allclose(_np(a.grad), ta.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(_np(b.grad), tb.grad.numpy(), rtol=1e-9, atol=1e-12)
    assert [tuple(t.shape) for t in xp.lu(a, get_infos=True)] == [(3, 4, 4), (3, 4), (3,)]
    for ours, theirs in zip(xp.lu_unpack(lu, piv), torch.lu_unpack(tlu, tpiv)):
        np.testing.assert_allclose(_np(ours), theirs.detach().numpy(), rtol=1e-12, atol=1e-15)
    spd = _positive_definite((3, 4, 4), seed=3)
    low, tlow = xp.linalg.cholesky(xp.asarray(spd)), torch.linalg.cholesky(torch.from_numpy(spd))
    pairs = [(xp.cholesky_solve(xp.asarray(b0), low), torch.cholesky_solve(torch.from_numpy(b0), tlow)),
             (low.cholesky_inverse(), tlow.cholesky_inverse()),
             (xp.asarray(b0).triangular_solve(low, upper=False)[0],
              torch.from_numpy(b0).triangular_solve(tlow, upper=False)[0]),
             (xp.matrix_exp(xp.asarray(a0)), torch.matrix_exp(torch.from_numpy(a0)))]
    for ours, theirs in pairs:
        np.testing.assert_allclose(_np(ours), theirs.numpy(), rtol=1e-10, atol=1e-12)
    q, tau = xp.linalg.qr(xp.asarray(a0)).Q, xp.asarray(_rand((3, 4), seed=4))
    np.testing.assert_allclose(_np(q.orgqr(tau)), torch.from_numpy(_np(q)).orgqr(torch.from_numpy(_np(tau))).numpy(),
                               rtol=1e-12, atol=1e-14)
