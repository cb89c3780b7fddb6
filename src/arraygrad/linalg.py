"""The standard's `linalg` extension, with PyTorch's gradients.

Each decomposition is one op-table entry whose VJP is PyTorch's formula
(torch/csrc/autograd/FunctionsManual.cpp) written with arraygrad functions, so
`create_graph=True` differentiates it again. Functions that are other functions in
disguise (outer, trace, cross, matrix_power, matrix_norm, matrix_rank, and eigvalsh / eigvals
/ svdvals when a gradient is needed) are composites and differentiable for free.

Complex gradients follow PyTorch's convention (the conjugate Wirtinger derivative).

Where gradients exist only in part:

- eigh, eig and svd: the gradient of the eigenvectors (singular vectors) divides by
  differences of eigenvalues (squared singular values), so it is infinite or NaN when
  those repeat. Eigenvalues and singular values alone (eigvalsh, eigvals, svdvals, and
  losses that never use the vectors) are differentiable everywhere.
- Complex eigenvectors and singular vectors are defined only up to a phase e^{i phi}
  per vector; a loss that depends on that phase has no gradient, and backward raises
  RuntimeError (as PyTorch does). Real ones are defined up to sign: use losses that do
  not depend on it.
- svd with full_matrices=True: the columns of U (rows of Vh) beyond min(M, N) are
  arbitrary; their gradients are ignored. qr(mode="complete") with M > N is not
  differentiable.
- pinv: the gradient assumes the rank stays constant near x; so does lstsq's (through pinv).
- lu / lu_factor: PyTorch's linalg_lu_backward, for matrices whose leading minors are not
  singular; the pivots take no gradient. lu_solve, lu_unpack and the legacy cholesky_solve /
  cholesky_inverse / triangular_solve are composites; the gradients of cholesky_solve and
  cholesky_inverse are full matrices (PyTorch's), though only the factor's triangle is read.
- matrix_exp is a composite (scaling and squaring, Pade [13/13]): its gradient is that of the
  approximation, exact to rounding.
"""

from __future__ import annotations

import builtins
import math
import operator
from typing import NamedTuple

from . import _dtypes
from ._dispatch import Op, Tensor, check_tensor, grad_enabled, raise_device_mismatch, set_view
from ._dispatch import apply as _apply
from ._ops import either, normalize_axes
from ._ops.creation import arange, eye, tril, triu, zeros, zeros_like
from ._ops.data_type import astype
from ._ops.elementwise import _conj, abs, ceil, conj, imag, isfinite, isnan, log2, maximum, real, sign
from ._ops.linear_algebra import matmul, matrix_transpose, tensordot, vecdot
from ._ops.manipulation import broadcast_shapes, broadcast_to, concat, reshape, stack
from ._ops.searching import argmax, where
from ._ops.statistical import _prod_grad, max, min, restore_reduced, sum
from ._ops.utility import all, any

__all__ = [
    "cholesky", "cross", "det", "diagonal", "eig", "eigh", "eigvals", "eigvalsh", "inv",
    "matmul", "matrix_norm", "matrix_power", "matrix_rank", "matrix_transpose", "outer",
    "pinv", "qr", "slogdet", "solve", "svd", "svdvals", "tensordot", "trace", "vecdot",
    "vector_norm", "EigResult", "EighResult", "QRResult", "SlogdetResult", "SVDResult",
    # PyTorch's torch.linalg beyond the standard
    "norm", "multi_dot", "solve_triangular", "vander", "cond", "LinAlgError",
    "lstsq", "matrix_exp", "lu_factor", "lu_factor_ex", "lu", "lu_solve", "solve_ex", "inv_ex",
    "cholesky_ex", "tensorinv", "tensorsolve", "householder_product",
]

# PyTorch's top-level (not torch.linalg) functions defined here.
TORCH_LEGACY = ("lu_unpack", "cholesky_solve", "cholesky_inverse", "triangular_solve")


class LinAlgError(RuntimeError, ValueError):
    """A matrix the operation cannot handle (singular, not positive definite, no
    convergence): PyTorch's `torch.linalg.LinAlgError` (a RuntimeError), and a ValueError
    as NumPy's `LinAlgError`, which the backends raise."""


def apply(op, *args, **kwargs):
    """`_dispatch.apply`, with the backend library's LinAlgError raised as arraygrad's."""
    try:
        return _apply(op, *args, **kwargs)
    except LinAlgError:
        raise
    except Exception as exc:
        if type(exc).__name__ == "LinAlgError":
            raise LinAlgError(f"linalg.{op.name.removeprefix('linalg.')}: {exc}") from exc
        raise


class EighResult(NamedTuple):
    eigenvalues: Tensor
    eigenvectors: Tensor


class EigResult(NamedTuple):
    eigenvalues: Tensor
    eigenvectors: Tensor


class QRResult(NamedTuple):
    Q: Tensor
    R: Tensor


class SlogdetResult(NamedTuple):
    sign: Tensor
    logabsdet: Tensor


class SVDResult(NamedTuple):
    U: Tensor
    S: Tensor
    Vh: Tensor


def _torch_repr(name, prefix="linalg_"):
    """PyTorch's repr of its named results: `torch.return_types.linalg_eigh(\n...)` (no
    prefix for the older top-level functions': `torch.return_types.lu_unpack(...)`)."""
    def __repr__(self):
        fields = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"arraygrad.return_types.{prefix}{name}(\n{fields})"
    return __repr__


EighResult.__repr__ = _torch_repr("eigh")
EigResult.__repr__ = _torch_repr("eig")
QRResult.__repr__ = _torch_repr("qr")
SlogdetResult.__repr__ = _torch_repr("slogdet")
SVDResult.__repr__ = _torch_repr("svd")


# ----- argument checks ----------------------------------------------------------------------
def _matrices(x, fname: str, *, square: bool = False, argname: str = "x") -> Tensor:
    """`x` checked to be a stack of (square) matrices."""
    check_tensor(x, fname, argname)
    shape = tuple(x._data.shape)
    if len(shape) < 2:
        raise ValueError(f"{fname}: {argname} must have at least 2 dimensions (a stack of matrices), "
                         f"got shape {shape}")
    if square and shape[-1] != shape[-2]:
        raise ValueError(f"{fname}: {argname} must be a stack of square matrices, got shape {shape}")
    return x


_FLOATING = _dtypes.CATEGORIES["floating-point"]


def _floating(x, fname: str, argname: str = "x") -> Tensor:
    """`x` with a floating dtype: integers and booleans are promoted to the default float."""
    if x._dtype in _FLOATING:
        return x
    if x._dtype.kind in "biu":
        return astype(x, _dtypes.DEFAULT_FLOAT)
    raise TypeError(f"{fname}: {argname} must have a floating-point dtype, got {x._dtype}")


def _float_matrices(x, fname: str, *, square: bool = False) -> Tensor:
    return _floating(_matrices(x, fname, square=square), fname)


def _records(x) -> bool:
    """Whether an op on `x` records history (else the cheaper forward-only call is used)."""
    return x._requires_grad and grad_enabled()


def _require_int(v, fname: str, argname: str) -> int:
    if isinstance(v, bool):
        raise TypeError(f"{fname}: {argname} must be an int, got bool")
    try:
        return operator.index(v)
    except TypeError:
        raise TypeError(f"{fname}: {argname} must be an int, got {type(v).__name__}") from None


# ----- helpers for the rules (arraygrad functions, so they differentiate again) ----------------
def _mH(x):
    """The conjugate transpose of each matrix."""
    return _conj(matrix_transpose(x))


def _identity(n: int, like, dtype=None) -> Tensor:
    """The n x n identity with `like`'s dtype (or `dtype`) and device."""
    return eye(n, dtype=like._dtype if dtype is None else dtype, device=like.device)


def _diag_embed(v) -> Tensor:
    """Matrices with `v` (..., n) on the diagonal."""
    return v[..., None, :] * _identity(v._data.shape[-1], v)


def _with_diagonal(m, d) -> Tensor:
    """`m` with its diagonal replaced by `d`."""
    off = 1 - _identity(m._data.shape[-1], m, m._dtype.to_real())
    return m * off + _diag_embed(d)


def _solve_right(a, b) -> Tensor:
    """X with X @ a = b."""
    return _mH(solve(_mH(a), _mH(b)))


def _is_zero(t) -> bool:
    """Whether gradient `t` is zero: the engine fills the gradient of an output that the loss
    does not use with zeros (known without reading them), and the rules then take PyTorch's
    shortcut for an undefined gradient (which also stays finite for repeated eigenvalues).
    On eager backends, a gradient of zeros from the loss takes the shortcut too."""
    from ._autograd.engine import is_undefined_grad  # (the engine imports this module's ops)

    if is_undefined_grad(t):
        return True
    return not t._backend.lazy and not bool(any(t != 0))


def _check_phase_invariance(imag_diag, fname: str, tolerance=None) -> None:
    """A loss of complex eigen/singular vectors must not depend on their phases: the
    imaginary part of diag(V^H gV) must vanish (PyTorch's check, with its 1e-2 tolerance)."""
    bound = 1e-2 if tolerance is None else tolerance
    if not imag_diag._backend.lazy and bool(any(abs(imag_diag) > bound)):  # see Backend.lazy
        raise RuntimeError(
            f"{fname} backward: complex eigenvectors (singular vectors) are defined only up to "
            "a phase e^{i phi}, and the loss depends on that phase, so its gradient is not defined")


# ----- cholesky ---------------------------------------------------------------------------------
def _cholesky_grad(g, ans, upper):
    """Iain Murray (2016), arXiv:1602.07527, as in PyTorch's cholesky_backward."""
    L = _mH(ans) if upper else ans
    gL = _mH(g) if upper else g
    phi = tril(matmul(_mH(L), gL))
    phi = 0.5 * (phi + _mH(tril(phi, k=-1)))
    return _solve_right(L, solve(_mH(L), phi))


_CHOLESKY = Op("linalg.cholesky", ("x",), _cholesky_grad, grad_fn="LinalgCholeskyExBackward0")


def cholesky(x, /, *, upper=False) -> Tensor:
    """The Cholesky factor L (x = L L^H), or U (x = U^H U) with upper=True, of each Hermitian
    positive-definite matrix; only the lower triangle of x is read."""
    x = _float_matrices(x, "cholesky", square=True)
    return apply(_CHOLESKY, (x,), {"upper": bool(upper)})


# ----- det, slogdet, inv, solve, pinv ----------------------------------------------------------
def _det_grad(g, x, ans):
    """g * conj(det) * x^{-H} (the cofactor matrix); for ill-conditioned or singular matrices
    the adjugate through the SVD, which is exact everywhere (PyTorch's linalg_det_backward
    gets there by reusing the forward's LU, which NumPy does not expose)."""
    n = x._data.shape[-1]
    if n == 0:
        return x * 0
    scale = (g * _conj(ans))[..., None, None]
    lazy = x._backend.lazy  # no shortcuts that read values: the masked formula below
    if not lazy:
        # det * x^{-H} from a separate solve loses cond(x) * eps of relative accuracy (all of
        # it next to a singular matrix, whose tiny det is rounding noise); the adjugate path
        # takes the matrices whose 1-norm condition number passes 1 / sqrt(eps).
        try:
            inv_h = solve(_mH(x), _identity(n, x))
        except LinAlgError:
            inv_h = None
        if inv_h is not None:
            # a decision only: detached, so that create_graph records none of it
            cond = matrix_norm(x.detach(), ord=1) * matrix_norm(inv_h.detach(), ord=math.inf)
            ill = ~(cond < 1 / math.sqrt(_dtypes.finfo(x._dtype).eps))  # nan, inf included
            if not bool(any(ill)):
                return scale * inv_h
    U, S, Vh = svd(x)
    alpha = _conj(det(U) * det(Vh)) * g
    # d det / d S_i = the product of the other singular values (exact with zeros)
    D = _prod_grad(alpha, S, (S.ndim - 1,), False)
    adjugate_grad = matmul(U * D[..., None, :], Vh)
    if not lazy and (inv_h is None or bool(all(ill))):
        return adjugate_grad
    if lazy:
        ill = abs(ans) < 100 * _dtypes.finfo(x._dtype).eps  # cannot solve first: a mask by the value
    # a batch of both kinds: the ill matrices replaced by I in the solve, so that its own
    # gradient (create_graph) stays finite where the where() discards it
    mask = ill[..., None, None]
    inv_h = solve(_mH(where(mask, _identity(n, x), x)), _identity(n, x))
    return where(mask, adjugate_grad, scale * inv_h)


_DET = Op("linalg.det", ("x",), _det_grad, grad_fn="LinalgDetBackward0")


def det(x, /) -> Tensor:
    """The determinant of each square matrix."""
    return apply(_DET, (_float_matrices(x, "det", square=True),))


def _slogdet_grad(g, x, ans):
    """(g_logabsdet - i Im(conj(g_sign) sign)) x^{-H} (PyTorch's slogdet_backward); the
    sign of a real determinant is locally constant, so its gradient is ignored."""
    g_sign, g_logabs = g
    s = ans[0]
    n = x._data.shape[-1]
    if x._dtype.kind == "c":
        coeff = astype(g_logabs, x._dtype) - 1j * imag(_conj(g_sign) * s)
    else:
        coeff = g_logabs
    return solve(_mH(x), coeff[..., None, None] * _identity(n, x))


_SLOGDET = Op("linalg.slogdet", ("x",), _slogdet_grad, nout=2, grad_fn="LinalgSlogdetBackward0")


def slogdet(x, /) -> SlogdetResult:
    """(sign, log|det|) of each square matrix: sign is 0 and logabsdet -inf for singular ones."""
    sign_, logabsdet = apply(_SLOGDET, (_float_matrices(x, "slogdet", square=True),))
    return SlogdetResult(sign_, logabsdet)


_INV = Op("linalg.inv", ("x",), lambda g, ans: -matmul(_mH(ans), matmul(g, _mH(ans))),
          grad_fn="LinalgInvExBackward0")


def inv(x, /) -> Tensor:
    """The inverse of each square matrix."""
    return apply(_INV, (_float_matrices(x, "inv", square=True),))


def _solve_grads(g, x1, ans, x2_shape, needs_grad):
    """gB = A^{-H} gX, gA = -gB X^H (PyTorch's linalg_solve_backward)."""
    vector = len(x2_shape) == 1
    gX = g[..., None] if vector else g
    gB = solve(_mH(x1), gX)
    gA = None
    if needs_grad[0]:
        X = ans[..., None] if vector else ans
        gA = -matmul(gB, _mH(X))
    return gA, (gB[..., 0] if vector else gB)


_SOLVE = Op("linalg.solve", ("x1", "x2"), {("x1", "x2"): _solve_grads}, broadcasts=True,
            grad_fn="LinalgSolveExBackward0")


def solve(x1, x2, /, *, left=True) -> Tensor:
    """X with x1 @ X = x2 for each square x1; x2 of shape (M,) is one right-hand side for
    every matrix, otherwise x2 is (..., M, K) and the stacks broadcast. PyTorch's
    `left=False` solves X @ x1 = x2 instead."""
    if not left:
        x1 = _matrices(x1, "solve", square=True, argname="x1")
        check_tensor(x2, "solve", "x2")
        if x2._data.ndim < 2:
            return solve(matrix_transpose(x1), x2)
        return matrix_transpose(solve(matrix_transpose(x1), matrix_transpose(x2)))
    x1 = _matrices(x1, "solve", square=True, argname="x1")
    check_tensor(x2, "solve", "x2")
    if x1._backend is not x2._backend:
        raise_device_mismatch("solve", x1, x2)
    m = x1._data.shape[-1]
    s2 = tuple(x2._data.shape)
    if len(s2) == 0:
        raise ValueError("solve: x2 must have at least one dimension, got a 0-d array")
    rows = s2[0] if len(s2) == 1 else s2[-2]
    if rows != m and len(s2) == x1._data.ndim - 1 and s2 == tuple(x1._data.shape[:-1]):
        # a batch of vectors, one per matrix (PyTorch's reading, where the standard's fails)
        return solve(x1, reshape(x2, s2 + (1,)))[..., 0]
    if rows != m:
        raise ValueError(f"solve: x2 has {rows} rows but the matrices of x1 are {m} x {m} "
                         f"(shapes {tuple(x1._data.shape)} and {s2})")
    if len(s2) > 1:
        broadcast_shapes(tuple(x1._data.shape[:-2]), s2[:-2])  # raises if the stacks do not
    if x1._dtype is not x2._dtype:
        d = _dtypes.promote(x1._dtype, x2._dtype)
        x1, x2 = astype(x1, d), astype(x2, d)
    x1, x2 = _floating(x1, "solve", "x1"), _floating(x2, "solve", "x2")
    return apply(_SOLVE, (x1, x2))


def _pinv_grad(g, x, ans):
    """PyTorch's pinv_backward (valid where the rank is locally constant)."""
    m, n = x._data.shape[-2:]
    pinv_h = _mH(ans)
    gh = _mH(g)
    if m <= n:
        K = matmul(gh, ans)
        K_pinv_h = matmul(K, pinv_h)
        return (-_mH(matmul(ans, K)) + K_pinv_h - matmul(matmul(x, ans), K_pinv_h)
                + matmul(matmul(pinv_h, ans), gh - matmul(K, x)))
    K = matmul(ans, gh)
    pinv_h_K = matmul(pinv_h, K)
    return (-_mH(matmul(K, ans)) + matmul(matmul(gh - matmul(x, K), ans), pinv_h)
            + pinv_h_K - matmul(matmul(pinv_h_K, ans), x))


_PINV = Op("linalg.pinv", ("x",), _pinv_grad, grad_fn="LinalgPinvBackward0")


def _rtol_arg(x, rtol, fname, argname="rtol"):
    """`rtol` (or atol, `argname`) as None, a Python float, or a real floating Tensor on x's device."""
    if rtol is None:
        return None
    if isinstance(rtol, Tensor):
        if rtol._dtype.kind != "f":
            raise TypeError(f"{fname}: {argname} must have a real floating-point dtype, got {rtol._dtype}")
        if rtol._backend is not x._backend:
            raise_device_mismatch(fname, x, rtol)
        broadcast_shapes(tuple(rtol._data.shape), tuple(x._data.shape[:-2]))
        return rtol
    if isinstance(rtol, bool) or not isinstance(rtol, (int, float)):
        raise TypeError(f"{fname}: {argname} must be a float or a Tensor, got {type(rtol).__name__}")
    if rtol < 0 or math.isnan(rtol):
        raise ValueError(f"{fname}: {argname} must be non-negative, got {rtol}")
    return float(rtol)


def pinv(x, /, *, rtol=None, atol=None, hermitian=False) -> Tensor:
    """The Moore-Penrose pseudo-inverse of each matrix; singular values up to
    max(atol, rtol * (the largest one)) count as zero (default rtol: max(M, N) * eps, or 0
    when a positive atol is given, as PyTorch's). hermitian=True (PyTorch's hint that x is
    Hermitian) is accepted: the general pseudo-inverse is the same matrix (and its gradient
    PyTorch's, spread over both triangles; a non-Hermitian x is not PyTorch's promise)."""
    x = _float_matrices(x, "pinv")
    rtol = _rtol_arg(x, rtol, "pinv")
    if atol is not None:
        atol = _rtol_arg(x, atol, "pinv", "atol")  # the same checks: a float or a real Tensor
        if rtol is None:
            m, n = x._data.shape[-2:]
            rtol = 0.0 if not isinstance(atol, Tensor) and atol > 0 else builtins.max(m, n) * _dtypes.finfo(x._dtype).eps
        # atol as the relative tolerance it is for each matrix: atol / (its largest singular value)
        largest = max(svdvals(x.detach()), axis=-1) if builtins.min(x._data.shape[-2:]) else None
        if largest is not None:
            rtol = where(largest > 0, maximum(atol / where(largest > 0, largest, 1.0), rtol), math.inf)
    # rtol is a keyword of the backend's pinv (the standard's signature), so an array rtol
    # travels as the backend's own array; it takes no gradient.
    return apply(_PINV, (x,), {"rtol": rtol._data if isinstance(rtol, Tensor) else rtol})


def matrix_rank(x, /, *, rtol=None, atol=None, hermitian=False, tol=None) -> Tensor:
    """The number of singular values above max(atol, rtol * (the largest one)), per matrix
    (default rtol: max(M, N) * eps, or 0 when a positive atol is given, as PyTorch's); the
    default integer dtype. PyTorch's hermitian=True takes |eigenvalues| (x is Hermitian),
    its legacy `tol` is atol."""
    x = _float_matrices(x, "matrix_rank")
    if tol is not None:
        if atol is not None or rtol is not None:
            raise TypeError("matrix_rank: give tol (PyTorch's legacy name of atol) or atol / rtol, not both")
        atol, rtol = tol, 0.0
    rtol = _rtol_arg(x, rtol, "matrix_rank")
    atol = _rtol_arg(x, atol, "matrix_rank", "atol")
    m, n = x._data.shape[-2:]
    if builtins.min(m, n) == 0:
        return zeros(tuple(x._data.shape[:-2]), dtype=_dtypes.DEFAULT_INT, device=x.device)
    s = abs(eigvalsh(x.detach())) if hermitian else svdvals(x.detach())
    if rtol is None:
        positive_atol = atol is not None and (isinstance(atol, Tensor) or atol > 0)
        rtol = 0.0 if positive_atol else builtins.max(m, n) * _dtypes.finfo(s._dtype).eps
    elif isinstance(rtol, Tensor):
        rtol = rtol[..., None]
    cut = max(s, axis=-1, keepdims=True) * rtol
    if atol is not None:
        cut = maximum(cut, atol[..., None] if isinstance(atol, Tensor) else atol)
    return sum(astype(s > cut, _dtypes.DEFAULT_INT), axis=-1)


# ----- eigh, eig ------------------------------------------------------------------------------
def _eigh_grad(g, ans):
    """V (skew(V^H gV) / E + diag(gL)) V^H, E_ij = L_j - L_i (PyTorch's linalg_eig_backward,
    Hermitian case)."""
    gL, gV = g
    L, V = ans
    n = L._data.shape[-1]
    if _is_zero(gV):
        return matmul(V * gL[..., None, :], _mH(V))
    VhgV = matmul(_mH(V), gV)
    if VhgV._dtype.kind == "c":
        _check_phase_invariance(imag(diagonal(VhgV)), "eigh")
    VhgV = 0.5 * (VhgV - _mH(VhgV))
    E = L[..., None, :] - L[..., :, None] + _identity(n, L)
    inner = _with_diagonal(VhgV / E, gL)
    return matmul(V, matmul(inner, _mH(V)))


_EIGH = Op("linalg.eigh", ("x",), _eigh_grad, nout=2, grad_fn="LinalgEighBackward0")
_EIGVALSH = Op("linalg.eigvalsh", ("x",))  # its gradient goes through eigh


def _uplo(x, UPLO, fname):
    """x, or (for PyTorch's UPLO='U') the matrix its upper triangle defines, which the lower
    triangle of x^H holds; the gradient passes to x unchanged, as PyTorch's does."""
    if UPLO == "L":
        return x
    if UPLO != "U":
        raise RuntimeError(f"{fname}: UPLO must be 'L' or 'U', got {UPLO!r}")
    return x + (_mH(x) - x).detach()


def eigh(x, /, UPLO="L") -> EighResult:
    """Eigenvalues (real, ascending) and orthonormal eigenvectors (columns) of each
    Hermitian / symmetric matrix; only the lower triangle of x is read (the upper one with
    PyTorch's UPLO='U')."""
    x = _uplo(_float_matrices(x, "eigh", square=True), UPLO, "eigh")
    values, vectors = apply(_EIGH, (x,))
    return EighResult(values, vectors)


def eigvalsh(x, /, UPLO="L") -> Tensor:
    """The eigenvalues (real, ascending) of each Hermitian / symmetric matrix."""
    x = _uplo(_float_matrices(x, "eigvalsh", square=True), UPLO, "eigvalsh")
    if _records(x):
        return eigh(x).eigenvalues
    return apply(_EIGVALSH, (x,))


def _eig_grad(g, ans):
    """V^{-H} (diag(gL) + (V^H gV - V^H V Re(diag(V^H gV))) / conj(E)) V^H, for eigenvectors
    of unit norm (PyTorch's linalg_eig_backward)."""
    gL, gV = g
    L, V = ans
    n = L._data.shape[-1]
    Vh = _mH(V)
    if _is_zero(gV):
        return solve(Vh, gL[..., :, None] * Vh)
    VhgV = matmul(Vh, gV)
    d = diagonal(VhgV)
    _check_phase_invariance(imag(d), "eig")
    VhgV = VhgV - matmul(Vh, V * real(d)[..., None, :])
    Lc = conj(L)
    E = Lc[..., None, :] - Lc[..., :, None] + _identity(n, Lc)
    inner = _with_diagonal(VhgV / E, gL)
    return solve(Vh, matmul(inner, Vh))


_EIG = Op("linalg.eig", ("x",), _eig_grad, nout=2, grad_fn="LinalgEigBackward0")
_EIGVALS = Op("linalg.eigvals", ("x",))  # its gradient goes through eig


def eig(x, /) -> EigResult:
    """Eigenvalues and unit-norm eigenvectors (columns) of each square matrix; complex
    always (complex64 for float32 input, complex128 for float64)."""
    values, vectors = apply(_EIG, (_float_matrices(x, "eig", square=True),))
    return EigResult(values, vectors)


def eigvals(x, /) -> Tensor:
    """The eigenvalues of each square matrix (complex always)."""
    x = _float_matrices(x, "eigvals", square=True)
    if _records(x):
        return eig(x).eigenvalues
    return apply(_EIGVALS, (x,))


# ----- svd, qr ------------------------------------------------------------------------------
def _svd_grad(g, ans, full_matrices):
    """PyTorch's svd_backward (distinct singular values; full rank when rectangular or
    complex and the vectors are used)."""
    gU, gS, gVh = g
    U, S, Vh = ans
    k = S._data.shape[-1]
    m, n = U._data.shape[-2], Vh._data.shape[-1]
    if full_matrices:  # the vectors beyond the k-th are arbitrary: their gradients are ignored
        U, gU, Vh, gVh = U[..., :k], gU[..., :k], Vh[..., :k, :], gVh[..., :k, :]
    use_U, use_V = not _is_zero(gU), not _is_zero(gVh)
    if not (use_U or use_V):  # svdvals: U diag(gS) Vh
        return matmul(U * gS[..., None, :], Vh)
    is_complex = U._dtype.kind == "c"
    UhgU = matmul(_mH(U), gU)
    UhgU = UhgU - _mH(UhgU)
    VhgV = matmul(Vh, _mH(gVh))
    VhgV = VhgV - _mH(VhgV)
    if is_complex:
        im_u, im_v = imag(diagonal(UhgU)), imag(diagonal(VhgV))
        _check_phase_invariance(im_u + im_v, "svd", 1e-2 * (1 + abs(im_v)))
    S2 = S * S
    E = S2[..., None, :] - S2[..., :, None] + _identity(k, S)
    inner = (UhgU * S[..., None, :] + S[..., :, None] * VhgV) / E + _diag_embed(gS)
    if is_complex:
        inner = inner + _diag_embed(diagonal(UhgU) / (2 * S))
    if m > n and use_U:
        gUSinv = gU / S[..., None, :]
        gA = matmul(U, inner) + gUSinv - matmul(U, matmul(_mH(U), gUSinv))
        return matmul(gA, Vh)
    if m < n and use_V:
        SinvgVh = gVh / S[..., :, None]
        gA = matmul(inner, Vh) + SinvgVh - matmul(matmul(SinvgVh, _mH(Vh)), Vh)
        return matmul(U, gA)
    return matmul(U, matmul(inner, Vh))


_SVD = Op("linalg.svd", ("x",), _svd_grad, nout=3, grad_fn="LinalgSvdBackward0")
_SVDVALS = Op("linalg.svdvals", ("x",))  # its gradient goes through svd


def svd(x, /, *, full_matrices=True) -> SVDResult:
    """x = U diag(S) Vh for each matrix; S real and descending. With full_matrices=False, U
    is (..., M, K) and Vh (..., K, N), K = min(M, N)."""
    x = _float_matrices(x, "svd")
    U, S, Vh = apply(_SVD, (x,), {"full_matrices": bool(full_matrices)})
    return SVDResult(U, S, Vh)


def svdvals(x, /) -> Tensor:
    """The singular values of each matrix (real, descending)."""
    x = _float_matrices(x, "svdvals")
    if _records(x):
        return svd(x, full_matrices=False).S
    return apply(_SVDVALS, (x,))


def _qr_grad(g, ans, mode):
    """PyTorch's linalg_qr_backward (x of full rank)."""
    gQ, gR = g
    Q, R = ans
    m, n = Q._data.shape[-2], R._data.shape[-1]
    if mode == "complete" and m > n:
        raise RuntimeError("qr backward: the QR decomposition is not differentiable when "
                           f"mode='complete' and M > N (got {m} x {n} matrices); use mode='reduced'")
    gA = matmul(gR, _mH(R)) - matmul(_mH(Q), gQ)
    if m >= n:
        upper = triu(gA)
        sym = upper + _mH(upper)
        sym = sym - 0.5 * _diag_embed(real(diagonal(sym)))  # halve the real part of the diagonal
        return _solve_right(_mH(R), matmul(Q, sym) + gQ)
    skew = tril(_mH(gA) - gA)
    if skew._dtype.kind == "c":
        skew = skew - 0.5j * _diag_embed(imag(diagonal(skew)))
    gA = _solve_right(_mH(R[..., :, :m]), matmul(Q, skew))
    pad = zeros(tuple(gA._data.shape[:-1]) + (n - m,), dtype=gA._dtype, device=gA.device)
    return concat([gA, pad], axis=-1) + matmul(Q, gR)


_QR = Op("linalg.qr", ("x",), _qr_grad, nout=2, grad_fn="LinalgQrBackward0")


def qr(x, /, *, mode="reduced") -> QRResult:
    """x = Q R for each matrix: Q with orthonormal columns, R upper triangular. mode="reduced"
    gives Q (..., M, K) and R (..., K, N), K = min(M, N); "complete" gives Q (..., M, M)."""
    x = _float_matrices(x, "qr")
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    if mode == "r":  # PyTorch's: R alone, Q an empty tensor
        return QRResult(zeros((0,), dtype=x._dtype, device=x.device), apply(_QR, (x,), {"mode": "reduced"})[1])
    Q, R = apply(_QR, (x,), {"mode": mode})
    return QRResult(Q, R)


# ----- diagonal, trace, outer, cross, matrix_power ---------------------------------------------
def _diagonal_grad(g, x_shape, offset):
    """`g` placed on the `offset` diagonal of zero matrices of shape x_shape."""
    m, n = x_shape[-2:]
    length = g._data.shape[-1]
    # the i-th diagonal element sits in row i (offset >= 0) or column i (offset < 0)
    along = m if offset >= 0 else n
    if length < along:
        pad = zeros(tuple(g._data.shape[:-1]) + (along - length,), dtype=g._dtype, device=g.device)
        g = concat([g, pad], axis=-1)
    mask = eye(m, n, k=offset, dtype=g._dtype, device=g.device)
    return g[..., :, None] * mask if offset >= 0 else g[..., None, :] * mask


_DIAGONAL = Op("linalg.diagonal", ("x",), _diagonal_grad, grad_fn="DiagonalBackward0")


def diagonal(x, /, *, offset=0, dim1=-2, dim2=-1) -> Tensor:
    """The `offset` diagonal (above the main one for offset > 0) of each matrix: a view where
    the backend gives one (writes through it reach x, gradients included, as PyTorch's).
    PyTorch's dim1, dim2 name the matrices' axes (default: the last two)."""
    if (dim1, dim2) != (-2, -1):
        from ._ops.manipulation import moveaxis

        check_tensor(x, "diagonal")
        d1, d2 = (normalize_axes(d, x._data.ndim, "diagonal")[0] for d in (dim1, dim2))
        if d1 == d2:
            raise ValueError(f"diagonal: dim1 and dim2 must be different axes, got {dim1} and {dim2}")
        x = moveaxis(x, (d1, d2), (-2, -1))
    x = _matrices(x, "diagonal")
    params = {"offset": _require_int(offset, "diagonal", "offset")}
    out = apply(_DIAGONAL, (x,), params)
    if x._backend.is_view(out._data):
        set_view(out, x, _DIAGONAL, params)
    return out


def trace(x, /, *, offset=0, dtype=None) -> Tensor:
    """The sum of the `offset` diagonal of each matrix (integers sum in the default integer
    dtype unless `dtype` says otherwise)."""
    x = _matrices(x, "trace")
    if x._dtype.kind == "b":
        raise TypeError("trace: x must have a numeric dtype, got bool")
    return sum(diagonal(x, offset=offset), axis=-1, dtype=dtype)


def outer(x1, x2, /) -> Tensor:
    """The outer product x1[i] * x2[j] of two vectors."""
    for name, v in (("x1", x1), ("x2", x2)):
        check_tensor(v, "outer", name)
        if v._data.ndim != 1:
            raise ValueError(f"outer: {name} must be 1-dimensional, got shape {tuple(v._data.shape)}")
    return reshape(x1, (-1, 1)) * reshape(x2, (1, -1))


def cross(x1, x2, /, *, axis=-1, dim=None) -> Tensor:
    """The cross product of 3-element vectors along `axis` (counted from the end; PyTorch's
    name: dim); the other axes broadcast."""
    axis = either("cross", "axis", axis, -1, "dim", dim)
    check_tensor(x1, "cross", "x1")
    check_tensor(x2, "cross", "x2")
    if x1._backend is not x2._backend:
        raise_device_mismatch("cross", x1, x2)
    for name, v in (("x1", x1), ("x2", x2)):
        if v._dtype.kind == "b":
            raise TypeError(f"cross: {name} must have a numeric dtype, got bool")
    n1, n2 = x1._data.ndim, x2._data.ndim
    axis = _require_int(axis, "cross", "axis")
    low = builtins.min(n1, n2)
    if axis >= 0 and n1 == n2:
        axis -= n1  # unambiguous when the ranks agree
    if not -low <= axis < 0:
        raise ValueError(f"cross: axis must be in [-{low}, -1] for operands of ranks {n1} and "
                         f"{n2}, got {axis}")
    s1, s2 = x1._data.shape[axis], x2._data.shape[axis]
    if s1 != 3 or s2 != 3:
        raise ValueError(f"cross: the vectors along axis {axis} must have 3 elements, got shapes "
                         f"{tuple(x1._data.shape)} and {tuple(x2._data.shape)}")
    trailing = (slice(None),) * (-axis - 1)
    a = [x1[(Ellipsis, i) + trailing] for i in range(3)]
    b = [x2[(Ellipsis, i) + trailing] for i in range(3)]
    return stack([a[1] * b[2] - a[2] * b[1],
                  a[2] * b[0] - a[0] * b[2],
                  a[0] * b[1] - a[1] * b[0]], axis=axis)


def matrix_power(x, n, /) -> Tensor:
    """x raised to the integer power n by repeated squaring (inverse first when n < 0; for
    n = 0 the identity, which does not depend on x)."""
    x = _matrices(x, "matrix_power", square=True)
    n = _require_int(n, "matrix_power", "n")
    if x._dtype.kind == "b":
        raise TypeError("matrix_power: x must have a numeric dtype, got bool")
    m = x._data.shape[-1]
    if n == 0:  # the identity, in x's graph with a zero derivative (PyTorch's)
        from ._autograd.engine import _DEPENDS

        eye_ = astype(broadcast_to(_identity(m, x), tuple(x._data.shape)), x._dtype, copy=True)
        return _apply(_DEPENDS, (eye_, x)) if x._requires_grad and grad_enabled() else eye_
    if n == 1:  # a copy, never x itself
        return astype(x, x._dtype, copy=True)
    if n < 0:
        x = inv(_floating(x, "matrix_power"))
        n = -n
    result = None
    power = x
    while True:
        if n & 1:
            result = power if result is None else matmul(result, power)
        n >>= 1
        if not n:
            break
        power = matmul(power, power)
    return result


# ----- norms ------------------------------------------------------------------------------
def _vector_norm_grad(g, x, ans, axis, keepdims, ord):
    """PyTorch's norm_backward for each order."""
    shape = tuple(x._data.shape)
    if ord == 0:  # piecewise constant
        return zeros_like(x)
    g = restore_reduced(g, shape, axis, keepdims)
    norm = restore_reduced(ans, shape, axis, keepdims)
    if ord == 1:
        return sign(x) * g
    if ord == 2:
        return where(norm == 0, 0.0, x * (g / norm))
    x_abs = abs(x)
    if math.isinf(ord):  # the maxima (minima) share g; NaNs propagate it
        hit = astype((x_abs == norm) | isnan(x_abs), g._dtype)
        return sign(x) * (g / sum(hit, axis=axis, keepdims=True)) * hit
    if ord < 1:
        scaled = where(x == 0, 0.0, sign(x) * x_abs ** (ord - 1))
        return scaled * g * norm ** (1 - ord)
    if ord < 2:
        return sign(x) * x_abs ** (ord - 1) * where(norm == 0, 0.0, g / norm ** (ord - 1))
    return x * x_abs ** (ord - 2) * where(norm == 0, 0.0, g / norm ** (ord - 1))


def _vector_norm_generic(xp, x, *, axis, keepdims, ord):
    """The standard's definition, for namespaces without linalg.vector_norm (CuPy)."""
    a = xp.abs(x)
    if ord == math.inf:
        return xp.max(a, axis=axis, keepdims=keepdims)
    if ord == -math.inf:
        return xp.min(a, axis=axis, keepdims=keepdims)
    if ord == 0:
        return xp.sum(xp.astype(a != 0, a.dtype), axis=axis, keepdims=keepdims)
    if ord == 1:
        return xp.sum(a, axis=axis, keepdims=keepdims)
    if ord == 2:
        return xp.sqrt(xp.sum(a * a, axis=axis, keepdims=keepdims))
    return xp.sum(a ** ord, axis=axis, keepdims=keepdims) ** (1.0 / ord)


_VECTOR_NORM = Op("linalg.vector_norm", ("x",), _vector_norm_grad, grad_fn="LinalgVectorNormBackward0",
                  generic=_vector_norm_generic)


def vector_norm(x, /, ord=2, dim=None, keepdim=False, *, axis=None, keepdims=False,
                dtype=None) -> Tensor:
    """The `ord`-norm over `axis` (all axes by default): sum(|x|^ord)^(1/ord); ord=inf / -inf
    give max / min |x|, ord=0 the number of nonzeros. Real result for complex x. PyTorch's
    spelling works too: `vector_norm(x, ord, dim, keepdim, dtype=)`."""
    check_tensor(x, "vector_norm")
    axis = either("vector_norm", "axis", axis, None, "dim", dim)
    keepdims = keepdims or keepdim
    if dtype is not None:
        x = astype(x, _dtypes.as_dtype(dtype))
    x = _floating(x, "vector_norm")
    if isinstance(ord, bool) or not isinstance(ord, (int, float)):
        raise TypeError(f"vector_norm: ord must be an int or float, got {type(ord).__name__}")
    if math.isnan(ord):
        raise ValueError("vector_norm: ord must not be nan")
    if axis is not None:
        axis = normalize_axes(axis, x._data.ndim, "vector_norm")
    params = {"axis": axis, "keepdims": bool(keepdims), "ord": ord}
    if x._dtype is _dtypes.float16:  # summed in float32, as PyTorch (300 ** 2 overflows float16)
        return astype(apply(_VECTOR_NORM, (astype(x, _dtypes.float32),), params), _dtypes.float16)
    return apply(_VECTOR_NORM, (x,), params)


def norm(A, /, ord=None, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    """PyTorch's `torch.linalg.norm`: a vector norm over an int `dim` (or of the flattened
    input when ord and dim are None, or of a 1-D input), a matrix norm over a 2-tuple `dim`
    (or of a 2-D input given `ord`)."""
    check_tensor(A, "norm")
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) == 1:
            return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
        if len(dims) == 2:
            return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
        raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {dim!r}")
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A._data.ndim == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    if A._data.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    raise RuntimeError("linalg.norm: If dim is not specified but ord is, the input must be 1D or "
                       f"2D. Got {A._data.ndim}D.")


def multi_dot(tensors, /) -> Tensor:
    """PyTorch's `torch.linalg.multi_dot`: the chained product of the matrices (the first and
    last may be vectors), left to right."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"multi_dot: tensors must be a list or tuple of Tensors, got {type(tensors).__name__}")
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("multi_dot(): expected at least 2 tensors but got 0")
    if len(tensors) == 1:
        raise RuntimeError("multi_dot(): expected at least 2 tensors but got 1")
    out = tensors[0]
    for t in tensors[1:]:
        out = matmul(out, t)
    return out


def solve_triangular(A, B, /, *, upper, left=True, unitriangular=False) -> Tensor:
    """PyTorch's `torch.linalg.solve_triangular`: X with A X = B (X A = B for left=False),
    reading only the upper (lower) triangle of A, and taking its diagonal as ones when
    `unitriangular`; the gradient of A is that triangle's, as PyTorch's."""
    A = _matrices(A, "solve_triangular", square=True, argname="A")
    check_tensor(B, "solve_triangular", "B")
    if B._data.ndim < 2:
        raise RuntimeError("linalg.solve_triangular: The input tensor B must have at least 2 dimensions.")
    if unitriangular:
        n = A._data.shape[-1]
        T = (triu(A, k=1) if upper else tril(A, k=-1)) + _identity(n, A)
    else:
        T = triu(A) if upper else tril(A)
    return solve(T, B, left=left)


def vander(x, /, *, N=None) -> Tensor:
    """PyTorch's `torch.linalg.vander`: the powers x**0, x**1, ..., x**(N-1) of each element
    along a new last axis (N = x.shape[-1] by default)."""
    check_tensor(x, "vander")
    if x._data.ndim == 0:
        raise RuntimeError("linalg.vander: x must have at least one dimension.")
    n = x._data.shape[-1] if N is None else operator.index(N)
    if n < 1:
        raise RuntimeError(f"linalg.vander: N must be greater than 1, got {n}")
    if x._dtype.kind == "b":
        x = astype(x, _dtypes.DEFAULT_INT)
    cols = [x ** 0] if n >= 1 else []
    for _ in range(1, n):
        cols.append(cols[-1] * x)
    return stack(cols, axis=-1)


def cond(A, /, p=None) -> Tensor:
    """PyTorch's `torch.linalg.cond`: the condition number of each matrix in the `p` norm
    (None / 2: largest over smallest singular value; -2 the inverse; 'fro', 'nuc', 1, -1,
    inf, -inf: norm(A) * norm(inv(A)))."""
    A = _float_matrices(A, "cond")
    if p is None or p in (2, -2):
        if 0 in A._data.shape[-2:]:  # no singular values: 0, as PyTorch
            return zeros(tuple(A._data.shape[:-2]), dtype=A._dtype.to_real(), device=A.device)
        s = svdvals(A)
        hi, lo = s[..., 0], s[..., -1]
        return hi / lo if p != -2 else lo / hi
    if A._data.shape[-1] != A._data.shape[-2]:
        raise RuntimeError(f"linalg.cond(ord={p!r}): A must be batches of square matrices")
    inverse, info = inv_ex(A)  # a singular matrix's condition number is inf (PyTorch's), not an error
    singular = info > 0
    if inverse._dtype.kind == "c":
        inverse = where(singular[..., None, None], zeros_like(inverse), inverse)
    else:
        inverse = where(singular[..., None, None], 0.0, inverse)
    return where(singular, math.inf, matrix_norm(A, p) * matrix_norm(inverse, p))


_MATRIX_ORDS = ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf)


def matrix_norm(x, /, ord="fro", dim=(-2, -1), keepdim=False, *, keepdims=False,
                dtype=None) -> Tensor:
    """The `ord` norm of each matrix: 'fro' (Frobenius), 'nuc' (sum of singular values),
    2 / -2 (largest / smallest singular value), 1 / -1 (max / min column sum of |x|),
    inf / -inf (max / min row sum of |x|). Real result for complex x. PyTorch's spelling
    works too: `matrix_norm(x, ord, dim, keepdim, dtype=)`, the matrices spanning `dim`."""
    keepdims = keepdims or keepdim
    check_tensor(x, "matrix_norm")
    if dtype is not None:
        x = astype(x, _dtypes.as_dtype(dtype))
    if tuple(dim) != (-2, -1):
        if len(dim) != 2:
            raise RuntimeError(f"matrix_norm: dim must be a 2-tuple of ints, got {dim!r}")
        d = tuple(normalize_axes(a, x._data.ndim, "matrix_norm")[0] for a in dim)
        if len(set(d)) != 2:
            raise RuntimeError(f"matrix_norm: dims must be different, got {dim!r}")
        from ._ops.manipulation import expand_dims, moveaxis

        out = matrix_norm(moveaxis(x, d, (-2, -1)), ord)
        if keepdims:
            for a in sorted(d):
                out = expand_dims(out, axis=a)
        return out
    x = _float_matrices(x, "matrix_norm")
    if isinstance(ord, bool) or not isinstance(ord, (int, float, str)):
        raise TypeError(f"matrix_norm: ord must be 'fro', 'nuc', or a number, got {type(ord).__name__}")
    if ord not in _MATRIX_ORDS:
        raise ValueError(f"matrix_norm: ord must be one of 'fro', 'nuc', 1, -1, 2, -2, inf, -inf; "
                         f"got {ord!r}")
    if ord == "fro":
        return vector_norm(x, axis=(-2, -1), keepdims=keepdims, ord=2)
    if ord == "nuc":
        out = sum(svdvals(x), axis=-1)
    else:
        pick = max if ord > 0 else min
        if ord in (2, -2):
            values = svdvals(x)
        else:  # column sums for 1, row sums for inf
            values = sum(abs(x), axis=-2 if ord in (1, -1) else -1)
        if values._data.shape[-1] == 0:  # an empty matrix: norm 0, as PyTorch
            out = zeros(tuple(values._data.shape[:-1]), dtype=values._dtype, device=x.device)
        else:
            out = pick(values, axis=-1)
    return reshape(out, tuple(out._data.shape) + (1, 1)) if keepdims else out


# ----- LU: lu_factor(_ex), lu, lu_unpack, lu_solve ----------------------------------------------
class LUFactorResult(NamedTuple):
    LU: Tensor
    pivots: Tensor


class LUFactorExResult(NamedTuple):
    LU: Tensor
    pivots: Tensor
    info: Tensor


class LUResult(NamedTuple):
    P: Tensor
    L: Tensor
    U: Tensor


class LUUnpackResult(NamedTuple):
    P: Tensor
    L: Tensor
    U: Tensor


class LstsqResult(NamedTuple):
    solution: Tensor
    residuals: Tensor
    rank: Tensor
    singular_values: Tensor


class SolveExResult(NamedTuple):
    result: Tensor
    info: Tensor


class InvExResult(NamedTuple):
    inverse: Tensor
    info: Tensor


class CholeskyExResult(NamedTuple):
    L: Tensor
    info: Tensor


class TriangularSolveResult(NamedTuple):
    solution: Tensor
    cloned_coefficient: Tensor


LUFactorResult.__repr__ = _torch_repr("lu_factor")
LUFactorExResult.__repr__ = _torch_repr("lu_factor_ex")
LUResult.__repr__ = _torch_repr("lu")
LstsqResult.__repr__ = _torch_repr("lstsq")
SolveExResult.__repr__ = _torch_repr("solve_ex")
InvExResult.__repr__ = _torch_repr("inv_ex")
CholeskyExResult.__repr__ = _torch_repr("cholesky_ex")


LUUnpackResult.__repr__ = _torch_repr("lu_unpack", prefix="")
TriangularSolveResult.__repr__ = _torch_repr("triangular_solve", prefix="")


def _lu_factor_generic(xp, A):
    """Gaussian elimination with partial pivoting, one column at a time (LAPACK's getf2),
    batched, with array-API functions only: (LU packed as LAPACK's, 1-based int32 pivots).
    The pivot is the first entry of largest |re| + |im| (LAPACK's i?amax); a zero pivot
    leaves its column as it is."""
    m, n = A.shape[-2:]
    k = builtins.min(m, n)
    rows = xp.arange(m)
    cols = xp.arange(n)
    complex_ = xp.isdtype(A.dtype, "complex floating")
    pivots = []
    for j in range(k):
        col = A[..., :, j]
        mag = xp.abs(xp.real(col)) + xp.abs(xp.imag(col)) if complex_ else xp.abs(col)
        p = xp.argmax(xp.where(rows >= j, mag, -1.0), axis=-1)
        pivots.append(p)
        is_p = rows == p[..., None]
        row_j = A[..., j, :]
        row_p = xp.sum(xp.where(is_p[..., None], A, 0.0), axis=-2)
        A = xp.where((rows == j)[:, None], row_p[..., None, :],
                     xp.where(is_p[..., None], row_j[..., None, :], A))
        piv = A[..., j, j]
        scale = 1 / xp.where(piv == 0, 1.0, piv)
        below = rows > j
        l = xp.where(below, A[..., :, j] * scale[..., None], 0.0)
        u = xp.where(cols > j, A[..., j, :], 0.0)
        A = A - l[..., :, None] * u[..., None, :]
        A = xp.where(below[:, None] & (cols == j), l[..., :, None], A)
    if pivots:
        piv_out = xp.astype(xp.stack(pivots, axis=-1) + 1, xp.int32)
    else:
        piv_out = xp.zeros(A.shape[:-2] + (0,), dtype=xp.int32)
    return A, piv_out


def _lu_backward(gL, gU, P, L, U):
    """PyTorch's linalg_lu_backward (FunctionsManual.cpp): A = P L U with L (..., M, K) unit
    lower and U (..., K, N) upper triangular; gL or gU may be None."""
    m, n = L._data.shape[-2], U._data.shape[-1]
    k = builtins.min(m, n)
    Lh, Uh = _mH(L), _mH(U)
    if m == n:
        gA = tril(matmul(Lh, gL), k=-1) if gL is not None else None
        if gU is not None:
            term = triu(matmul(gU, Uh))
            gA = term if gA is None else gA + term
        gA = solve_triangular(Uh, gA, upper=False, left=False)
        gA = solve_triangular(Lh, gA, upper=True, unitriangular=True)
    elif m < n:
        U1 = U[..., :, :k]
        gA = matmul(Lh, gL) if gL is not None else None
        if gU is not None:
            term = matmul(triu(gU), Uh)
            gA = -term if gA is None else gA - term
        gA = solve_triangular(_mH(U1), tril(gA, k=-1), upper=False, left=False)
        if gU is not None:
            gA = concat([gA + triu(gU[..., :, :k]), gU[..., :, k:]], axis=-1)
        gA = solve_triangular(Lh, gA, upper=True, unitriangular=True)
        if gU is None:
            gA = concat([gA, zeros_like(U[..., :, k:])], axis=-1)
    else:
        L1 = L[..., :k, :]
        gA = matmul(gU, Uh) if gU is not None else None
        if gL is not None:
            term = matmul(Lh, tril(gL, k=-1))
            gA = -term if gA is None else gA - term
        gA = solve_triangular(_mH(L1), triu(gA), upper=True, unitriangular=True)
        if gL is not None:
            gA = concat([gA + tril(gL[..., :k, :], k=-1), gL[..., k:, :]], axis=-2)
        gA = solve_triangular(Uh, gA, upper=False, left=False)
        if gL is None:
            gA = concat([gA, zeros_like(L[..., k:, :])], axis=-2)
    return matmul(P, gA)


def _lu_factor_grad(g, ans):
    """PyTorch's lu_factor_ex_backward: the packed gradient split into L's and U's."""
    gLU = g[0]  # pivots take no gradient
    LU, pivots = ans
    m, n = LU._data.shape[-2:]
    k = builtins.min(m, n)
    P, L, U = lu_unpack(LU, pivots)
    return _lu_backward(gLU[..., :, :k], gLU[..., :k, :], P, L, U)


_LU_FACTOR = Op("linalg.lu_factor", ("A",), _lu_factor_grad, nout=2, differentiable_outputs=(True, False),
                generic=_lu_factor_generic, grad_fn="LinalgLuFactorExBackward0")


def _pivot_arg(pivot, fname):
    if not pivot:
        raise RuntimeError(f"{fname}: LU without pivoting is not implemented on the CPU")


def _lu_info(LU) -> Tensor:
    """LAPACK's info: 1 + the index of the first exactly zero diagonal entry of U, else 0."""
    d = diagonal(LU.detach())
    k = d._data.shape[-1]
    if k == 0:
        return zeros(tuple(LU._data.shape[:-2]), dtype=_dtypes.int32, device=LU.device)
    zero = d == 0
    first = argmax(astype(zero, _dtypes.int32), axis=-1)
    return astype(where(any(zero, axis=-1), first + 1, 0), _dtypes.int32)


def lu_factor_ex(A, *, pivot=True, check_errors=False) -> LUFactorExResult:
    """PyTorch's `torch.linalg.lu_factor_ex`: (LU, pivots, info) of each matrix, info > 0
    where U[info-1, info-1] is exactly zero (an error only with check_errors=True)."""
    A = _float_matrices(A, "lu_factor_ex")
    _pivot_arg(pivot, "linalg.lu_factor_ex")
    LU, pivots = apply(_LU_FACTOR, (A,))
    info = _lu_info(LU)
    if check_errors:
        _raise_info(info, "linalg.lu_factor_ex",
                    "U[{i},{i}] is zero and using it on lu_solve would result in a division by zero")
    return LUFactorExResult(LU, pivots, info)


def _raise_info(info, fname, what):
    """LinAlgError for the first matrix with info > 0 (`what` formats the zero-based {i})."""
    bad = info.detach()
    if info._backend.lazy or not bool(any(bad > 0)):
        return
    flat = reshape(bad, (-1,))
    b = int(argmax(astype(flat > 0, _dtypes.int32)))
    where_ = f" (batch element {b})" if info._data.ndim else ""
    raise LinAlgError(f"{fname}{where_}: " + what.format(i=int(flat[b]) - 1, n=int(flat[b])))


def lu_factor(A, *, pivot=True) -> LUFactorResult:
    """PyTorch's `torch.linalg.lu_factor`: the LU decomposition with partial pivoting of each
    (..., M, N) matrix, packed as LAPACK's getrf: LU holds L's strict lower triangle (its unit
    diagonal implied) and U; pivots (..., min(M, N)) are 1-based int32 row interchanges.
    LinAlgError where U has an exactly zero diagonal entry (lu_factor_ex does not raise)."""
    A = _float_matrices(A, "lu_factor")
    _pivot_arg(pivot, "linalg.lu_factor")
    LU, pivots = apply(_LU_FACTOR, (A,))
    _raise_info(_lu_info(LU), "torch.linalg.lu_factor",
                "U[{i},{i}] is zero and using it on lu_solve would result in a division by zero. "
                "If you still want to perform the factorization, consider calling "
                "linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")
    return LUFactorResult(LU, pivots)


def _permutation(pivots, m) -> Tensor:
    """perm (..., M): row i of P^T A is row perm[i] of A, from LAPACK's sequential swaps."""
    k = pivots._data.shape[-1]
    ar = arange(m, device=pivots.device)
    perm = broadcast_to(ar, tuple(pivots._data.shape[:-1]) + (m,))
    for i in range(k):
        j = astype(pivots[..., i], ar._dtype)[..., None] - 1
        at_j = ar == j
        pi = perm[..., i:i + 1]
        pj = sum(where(at_j, perm, 0), axis=-1, keepdims=True)
        perm = where(ar == i, pj, where(at_j, pi, perm))
    return perm


def _check_pivots(LU_pivots, LU_data, fname):
    check_tensor(LU_pivots, fname, "LU_pivots")
    if LU_pivots._dtype.kind not in "iu":
        raise TypeError(f"{fname}: LU_pivots must have an integer dtype (int32, as lu_factor "
                        f"returns), got {LU_pivots._dtype}")
    m, n = LU_data._data.shape[-2:]
    want = tuple(LU_data._data.shape[:-2]) + (builtins.min(m, n),)
    if tuple(LU_pivots._data.shape) != want:
        raise ValueError(f"{fname}: LU_pivots must have shape {want} for LU_data of shape "
                         f"{tuple(LU_data._data.shape)}, got {tuple(LU_pivots._data.shape)}")
    if LU_pivots._backend is not LU_data._backend:
        raise_device_mismatch(fname, LU_data, LU_pivots)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True) -> LUUnpackResult:
    """PyTorch's `torch.lu_unpack`: (P, L, U) with A = P L U from lu_factor's packed output;
    P (..., M, M), L (..., M, K), U (..., K, N). An output not asked for is an empty tensor."""
    LU_data = _matrices(LU_data, "lu_unpack", argname="LU_data")
    _check_pivots(LU_pivots, LU_data, "lu_unpack")
    m, n = LU_data._data.shape[-2:]
    k = builtins.min(m, n)
    empty_ = zeros((0,), dtype=LU_data._dtype, device=LU_data.device)
    if unpack_data:
        L = tril(LU_data[..., :, :k], k=-1) + eye(m, k, dtype=LU_data._dtype, device=LU_data.device)
        U = triu(LU_data[..., :k, :])
    else:
        L = U = empty_
    if unpack_pivots:
        perm = _permutation(LU_pivots, m)
        P = astype(perm[..., None, :] == arange(m, device=LU_data.device)[:, None], LU_data._dtype)
    else:
        P = empty_
    return LUUnpackResult(P, L, U)


def lu(A, *, pivot=True) -> LUResult:
    """PyTorch's `torch.linalg.lu`: A = P L U for each (..., M, N) matrix, with P a
    permutation, L (..., M, K) unit lower and U (..., K, N) upper triangular, K = min(M, N);
    differentiable in A (PyTorch's linalg_lu_backward)."""
    A = _float_matrices(A, "lu")
    _pivot_arg(pivot, "linalg.lu")
    LU, pivots = apply(_LU_FACTOR, (A,))
    return LUResult(*lu_unpack(LU, pivots))


def lu_solve(LU, pivots, B, *, left=True, adjoint=False) -> Tensor:
    """PyTorch's `torch.linalg.lu_solve`: X with A X = B (X A = B for left=False; A^H in
    place of A with adjoint=True), A given by lu_factor's (LU, pivots); differentiable in LU
    and B."""
    LU = _float_matrices(LU, "lu_solve")
    check_tensor(B, "lu_solve", "B")
    _check_pivots(pivots, LU, "lu_solve")
    m, n = LU._data.shape[-2:]
    if m != n:
        raise ValueError(f"lu_solve: LU must be a stack of square matrices, got shape "
                         f"{tuple(LU._data.shape)}")
    if B._data.ndim < 2:
        raise ValueError(f"lu_solve: B must have at least 2 dimensions, got shape {tuple(B._data.shape)}")
    if LU._backend is not B._backend:
        raise_device_mismatch("lu_solve", LU, B)
    rows = B._data.shape[-2] if left else B._data.shape[-1]
    if rows != n:
        raise ValueError(f"lu_solve: B's {'rows' if left else 'columns'} must number {n} for "
                         f"{n} x {n} matrices, got shape {tuple(B._data.shape)}")
    B = _floating(B, "lu_solve", "B")
    if LU._dtype is not B._dtype:
        d = _dtypes.promote(LU._dtype, B._dtype)
        LU, B = astype(LU, d), astype(B, d)
    if not left:  # X A' = B  <=>  A'^H X^H = B^H
        return _mH(lu_solve(LU, pivots, _mH(B), adjoint=not adjoint))
    P, L, U = lu_unpack(LU, pivots)
    if adjoint:  # A^H = U^H L^H P^T
        Z = solve_triangular(_mH(U), B, upper=False)
        return matmul(P, solve_triangular(_mH(L), Z, upper=True, unitriangular=True))
    Y = matmul(matrix_transpose(P), B)
    return solve_triangular(U, solve_triangular(L, Y, upper=False, unitriangular=True), upper=True)


# ----- the _ex variants: (result, info) ----------------------------------------------------------
def _lu_solve_singular(LU, pivots, B):
    """X with P L U X = B by substitution, row by row, for a U with zero diagonal entries:
    the infs / NaNs LAPACK's getrs gives, where the (raising) solve cannot go."""
    LU, B = LU.detach(), B.detach()
    n = LU._data.shape[-1]
    P, L, U = lu_unpack(LU, pivots)
    Y = matmul(matrix_transpose(P), B)
    rows = [None] * n
    for i in range(n):  # L y = P^T b, L unit lower
        acc = Y[..., i, :]
        for j in range(i):
            acc = acc - L[..., i, j:j + 1] * rows[j]
        rows[i] = acc
    for i in reversed(range(n)):  # U x = y
        acc = rows[i]
        for j in range(i + 1, n):
            acc = acc - U[..., i, j:j + 1] * rows[j]
        rows[i] = acc / U[..., i, i:i + 1]
    return stack(rows, axis=-2)


def solve_ex(A, B, *, left=True, check_errors=False) -> SolveExResult:
    """PyTorch's `torch.linalg.solve_ex`: (solve(A, B), info); for a singular matrix info > 0
    (the first zero pivot of its LU, 1-based) and the result holds infs / NaNs, as LAPACK's,
    unless check_errors=True, which raises LinAlgError."""
    A = _float_matrices(A, "solve_ex", square=True)
    check_tensor(B, "solve_ex", "B")
    # PyTorch's vector case: B (M,), or (..., M) with A's batch shape
    vector = B._data.ndim == 1 or (left and tuple(B._data.shape) == tuple(A._data.shape[:-1]))
    Bm = B[..., None] if vector else B
    try:
        result = solve(A, Bm, left=left)
        if vector:
            result = result[..., 0]
    except LinAlgError:
        if check_errors:
            raise
        LU, pivots, info = lu_factor_ex(A)
        if left:
            result = _lu_solve_singular(LU, pivots, Bm)
        else:  # X A = B  <=>  A^T X^T = B^T
            LUt, pivt, _ = lu_factor_ex(matrix_transpose(A))
            result = matrix_transpose(_lu_solve_singular(LUt, pivt, matrix_transpose(Bm)))
        return SolveExResult(result[..., 0] if vector else result, info)
    # info comes from factoring A: A's batch shape (PyTorch's), whatever B broadcasts it to
    return SolveExResult(result, zeros(tuple(A._data.shape[:-2]), dtype=_dtypes.int32, device=A.device))


def inv_ex(A, *, check_errors=False) -> InvExResult:
    """PyTorch's `torch.linalg.inv_ex`: (inv(A), info), info > 0 for singular matrices
    (whose inverse then holds infs / NaNs), LinAlgError only with check_errors=True."""
    A = _float_matrices(A, "inv_ex", square=True)
    try:
        result = inv(A)
    except LinAlgError:
        if check_errors:
            raise
        LU, pivots, info = lu_factor_ex(A)
        n = A._data.shape[-1]
        eye_ = broadcast_to(_identity(n, A), tuple(A._data.shape))
        return InvExResult(_lu_solve_singular(LU, pivots, eye_), info)
    return InvExResult(result, zeros(tuple(A._data.shape[:-2]), dtype=_dtypes.int32, device=A.device))


def _cholesky_partial(A):
    """(the lower factor computed up to the first non-positive pivot, info), column by column
    (LAPACK's potf2): the failing pivot holds its Schur complement and the columns after it
    the input's lower triangle, as LAPACK leaves them."""
    n = A._data.shape[-1]
    A = tril(A)
    info = zeros(tuple(A._data.shape[:-2]), dtype=_dtypes.int32, device=A.device)
    ar = arange(n, device=A.device)
    for j in range(n):
        Lj = A[..., j, :j]
        ajj = real(A[..., j, j]) - sum(real(Lj * _conj(Lj)), axis=-1)
        active = info == 0
        ok = active & (ajj > 0)
        failed = active & ~(ajj > 0)
        info = where(failed, j + 1, info)
        d = where(ok, ajj, 1.0) ** 0.5
        old = A[..., :, j]
        rest = old - matmul(A[..., :, :j], _conj(Lj)[..., None])[..., 0]
        below = rest / astype(d, A._dtype)[..., None]
        col = where(ok[..., None] & (ar > j), below, old)
        pivot = astype(where(ok, d, ajj), A._dtype)[..., None]
        col = where((ok | failed)[..., None] & (ar == j), pivot, col)
        A = where(ar == j, col[..., :, None], A)
    return A, info


def cholesky_ex(A, *, upper=False, check_errors=False) -> CholeskyExResult:
    """PyTorch's `torch.linalg.cholesky_ex`: (cholesky(A), info); info > 0 is the order of
    the leading minor that is not positive definite, where the factor is LAPACK's partial
    one; LinAlgError only with check_errors=True."""
    A = _float_matrices(A, "cholesky_ex", square=True)
    try:
        result = cholesky(A, upper=upper)
    except LinAlgError:
        if check_errors:
            raise
        L, info = _cholesky_partial(A.detach())
        return CholeskyExResult(_mH(L) if upper else L, info)
    info = zeros(tuple(A._data.shape[:-2]), dtype=_dtypes.int32, device=A.device)
    return CholeskyExResult(result, info)


# ----- lstsq ------------------------------------------------------------------------------------
_LSTSQ_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def lstsq(A, B, rcond=None, *, driver=None) -> LstsqResult:
    """PyTorch's `torch.linalg.lstsq` (CPU drivers): the least-squares solution X of A X = B
    for each (..., M, N) A, the minimum-norm one where A is rank-deficient (X = pinv(A) B with
    singular values up to rcond * the largest dropped; default rcond: eps * max(M, N)).
    B is (..., M, K) or (..., M); the stacks broadcast. The other fields, empty where
    PyTorch's are: residuals ||A X - B||^2 per column (M > N, driver not 'gelsy', and for
    'gelsd' / 'gelss' every matrix of full rank), rank (all drivers but 'gels'), and
    singular_values ('gelsd', 'gelss'). Differentiable in A and B where the rank is locally
    constant (PyTorch's linalg_lstsq_backward, through pinv)."""
    A = _float_matrices(A, "lstsq")
    check_tensor(B, "lstsq", "B")
    if A._backend is not B._backend:
        raise_device_mismatch("lstsq", A, B)
    if driver is None:
        driver = "gelsy"
    if driver not in _LSTSQ_DRIVERS:
        raise RuntimeError(f"torch.linalg.lstsq: parameter `driver` should be one of "
                           f"{_LSTSQ_DRIVERS}, got {driver!r}")
    m, n = A._data.shape[-2:]
    # PyTorch's vector case: B (M,), or (..., M) with A's batch shape
    vector = B._data.ndim == 1 or tuple(B._data.shape) == tuple(A._data.shape[:-1])
    if B._data.ndim < 1 or (not vector and B._data.ndim < 2):
        raise ValueError(f"lstsq: B must be (..., M, K) or (..., M), got shape {tuple(B._data.shape)}")
    Bm = B[..., None] if vector else B
    if Bm._data.shape[-2] != m:
        raise ValueError(f"lstsq: B must have {m} rows (A is {tuple(A._data.shape)}), got shape "
                         f"{tuple(B._data.shape)}")
    Bm = _floating(Bm, "lstsq", "B")
    if A._dtype is not Bm._dtype:
        raise TypeError(f"lstsq: A and B must have the same dtype, got {A._dtype} and {Bm._dtype}")
    if rcond is None:
        rcond = _dtypes.finfo(A._dtype).eps * builtins.max(m, n)
    elif isinstance(rcond, bool) or not isinstance(rcond, (int, float)):
        raise TypeError(f"lstsq: rcond must be a float or None, got {type(rcond).__name__}")
    rcond = float(rcond)
    real_dtype = A._dtype.to_real()
    empty_ = zeros((0,), dtype=real_dtype, device=A.device)
    if builtins.min(m, n) == 0:
        batch = broadcast_shapes(tuple(A._data.shape[:-2]), tuple(Bm._data.shape[:-2]))
        X = zeros(batch + (n, Bm._data.shape[-1]), dtype=A._dtype, device=A.device)
        rank = zeros(tuple(A._data.shape[:-2]), dtype=_dtypes.int64, device=A.device)
        if driver == "gels":
            rank = zeros((0,), dtype=_dtypes.int64, device=A.device)
        return LstsqResult(X[..., 0] if vector else X, empty_, rank, empty_)
    # rcond < 0 keeps every singular value (LAPACK uses machine precision instead)
    rtol = builtins.max(rcond, 0.0) if driver != "gels" else 0.0
    X = matmul(pinv(A, rtol=rtol), Bm)
    rank, singular_values = zeros((0,), dtype=_dtypes.int64, device=A.device), empty_
    if driver != "gels":
        s = svdvals(A.detach())
        tol = s[..., :1] * (rcond if rcond > 0 else _dtypes.finfo(A._dtype).eps)
        rank = sum(astype(s > tol, _dtypes.int64), axis=-1)
        if driver in ("gelsd", "gelss"):
            singular_values = svdvals(A)
    residuals = empty_
    if m > n and driver != "gelsy":
        full = driver == "gels" or A._backend.lazy or bool(all(rank == n))
        if full:
            r = matmul(A, X) - Bm
            residuals = sum(real(r * _conj(r)), axis=-2)
    return LstsqResult(X[..., 0] if vector else X, residuals, rank, singular_values)


# ----- matrix_exp -------------------------------------------------------------------------------
# Higham (2005), "The scaling and squaring method for the matrix exponential revisited":
# the [13/13] Pade approximant's coefficients and the largest 1-norm it serves in double.
_PADE13 = (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800.,
           129060195264000., 10559470521600., 670442572800., 33522128640., 1323241920.,
           40840800., 960960., 16380., 182., 1.)
_THETA13 = 5.371920351148152


def matrix_exp(A) -> Tensor:
    """PyTorch's `torch.linalg.matrix_exp`: the exponential of each square matrix, by scaling
    and squaring with the [13/13] Pade approximant (Higham 2005), each matrix of the stack
    scaled by its own power of two. Written with arraygrad functions, so it differentiates
    (to any order) as the approximation it computes."""
    A = _float_matrices(A, "matrix_exp", square=True)
    n = A._data.shape[-1]
    if A._data.size == 0:  # no matrix, or 0 x 0 ones
        return astype(A, A._dtype, copy=True)
    b = _PADE13
    norm1 = max(sum(abs(A.detach()), axis=-2), axis=-1)  # the 1-norm of each matrix
    s = ceil(log2(where(norm1 > 0, norm1, 1.0) / _THETA13))
    s = where(isfinite(s) & (s > 0), s, 0.0)
    # on a lazy backend nothing is read: as many squarings as a finite float64 norm could need
    squarings = 64 if A._backend.lazy else int(max(s))
    A = A / astype(2.0 ** s, A._dtype)[..., None, None]
    eye_ = _identity(n, A)
    A2 = matmul(A, A)
    A4 = matmul(A2, A2)
    A6 = matmul(A4, A2)
    U = matmul(A, matmul(A6, b[13] * A6 + b[11] * A4 + b[9] * A2)
               + b[7] * A6 + b[5] * A4 + b[3] * A2 + b[1] * eye_)
    V = matmul(A6, b[12] * A6 + b[10] * A4 + b[8] * A2) + b[6] * A6 + b[4] * A4 + b[2] * A2 + b[0] * eye_
    R = solve(V - U, V + U)
    for j in range(squarings):
        R = where((s > j)[..., None, None], matmul(R, R), R)
    return R


# ----- tensorinv, tensorsolve -------------------------------------------------------------------
def tensorinv(A, ind=2) -> Tensor:
    """PyTorch's `torch.linalg.tensorinv`: the inverse of A for tensordot over `ind` axes:
    A reshaped to a (prod(shape[:ind]), prod(shape[ind:])) square matrix, inverted, and
    reshaped to shape[ind:] + shape[:ind]."""
    check_tensor(A, "tensorinv", "A")
    ind = _require_int(ind, "tensorinv", "ind")
    if ind <= 0:
        raise ValueError(f"tensorinv: ind must be a positive integer, got {ind}")
    shape = tuple(A._data.shape)
    rows, cols = math.prod(shape[:ind]), math.prod(shape[ind:])
    if rows != cols:
        raise ValueError(f"tensorinv: the product of A's first ind={ind} dimensions ({rows}) must "
                         f"equal that of the rest ({cols}); got shape {shape}")
    Ainv = inv(reshape(A, (rows, cols)))
    return reshape(Ainv, shape[ind:] + shape[:ind])


def tensorsolve(A, B, dims=None) -> Tensor:
    """PyTorch's `torch.linalg.tensorsolve`: X with tensordot(A, X, X.ndim) = B, where X has
    shape A.shape[B.ndim:]; the axes `dims` of A move to its end first."""
    check_tensor(A, "tensorsolve", "A")
    check_tensor(B, "tensorsolve", "B")
    if dims is not None:
        from ._ops.manipulation import moveaxis

        dims = (dims,) if isinstance(dims, int) else tuple(dims)
        nd = A._data.ndim
        src = normalize_axes(dims, nd, "tensorsolve")
        A = moveaxis(A, src, tuple(range(nd - len(src), nd)))
    shape, bshape = tuple(A._data.shape), tuple(B._data.shape)
    if shape[:len(bshape)] != bshape:
        raise ValueError(f"tensorsolve: B's shape {bshape} must lead A's shape {shape}")
    xshape = shape[len(bshape):]
    rows, cols = math.prod(bshape), math.prod(xshape)
    if rows != cols:
        raise ValueError(f"tensorsolve: the product of B's dimensions ({rows}) must equal that of "
                         f"A's remaining dimensions {xshape} ({cols})")
    X = solve(reshape(A, (rows, cols)), reshape(B, (rows,)))
    return reshape(X, xshape)


# ----- householder_product ----------------------------------------------------------------------
def householder_product(A, tau) -> Tensor:
    """PyTorch's `torch.linalg.householder_product`: the first N columns of H_1 ... H_K,
    H_i = I - tau_i v_i v_i^H, v_i the i-th column of A (..., M, N) below its diagonal with a
    1 on it (LAPACK's orgqr); tau (..., K), K <= N <= M. Differentiable in A and tau."""
    A = _float_matrices(A, "householder_product")
    check_tensor(tau, "householder_product", "tau")
    m, n = A._data.shape[-2:]
    if n > m:
        raise RuntimeError(f"torch.linalg.householder_product: input.shape[-2] must be greater than or "
                           f"equal to input.shape[-1], got shape {tuple(A._data.shape)}")
    k = tau._data.shape[-1] if tau._data.ndim else -1
    if tau._data.ndim != A._data.ndim - 1 or k > n:
        raise RuntimeError(f"torch.linalg.householder_product: tau must be (..., K) with K <= "
                           f"{n} and A's batch shape {tuple(A._data.shape[:-2])}, got shape "
                           f"{tuple(tau._data.shape)}")
    if tuple(tau._data.shape[:-1]) != tuple(A._data.shape[:-2]):
        raise RuntimeError("torch.linalg.householder_product: batch dimensions of tau must be equal "
                           f"to batch dimensions of input, got {tuple(tau._data.shape[:-1])} and "
                           f"{tuple(A._data.shape[:-2])}")
    if tau._dtype is not A._dtype:
        raise TypeError(f"householder_product: tau must have A's dtype {A._dtype}, got {tau._dtype}")
    below = tril(A, k=-1) + eye(m, n, dtype=A._dtype, device=A.device)
    Q = broadcast_to(eye(m, n, dtype=A._dtype, device=A.device), tuple(A._data.shape))
    for i in reversed(range(k)):  # Q <- H_i Q, innermost first
        v = below[..., :, i:i + 1]
        Q = Q - tau[..., i, None, None] * matmul(v, matmul(_mH(v), Q))
    return Q


# ----- PyTorch's legacy top-level functions (torch.lu_unpack above) --------------------------
def _triangle_grad_full(T, upper):
    """T's triangle for the values and all of T for the gradient, as PyTorch's cholesky_solve
    and cholesky_inverse (whose gradients are full matrices)."""
    return T + ((triu(T) if upper else tril(T)) - T).detach()


def cholesky_solve(B, L, upper=False) -> Tensor:
    """PyTorch's `torch.cholesky_solve` (B first): X with A X = B for A = L L^H (U^H U with
    upper=True), reading only that triangle of L; the stacks broadcast."""
    L = _float_matrices(L, "cholesky_solve", square=True)
    check_tensor(B, "cholesky_solve", "B")
    if B._data.ndim < 2:
        raise ValueError(f"cholesky_solve: B must have at least 2 dimensions, got shape "
                         f"{tuple(B._data.shape)}")
    T = _triangle_grad_full(L, upper)
    if upper:  # A = U^H U: X = U^{-1} U^{-H} B
        return solve(T, solve(_mH(T), B))
    return solve(_mH(T), solve(T, B))


def cholesky_inverse(L, upper=False) -> Tensor:
    """PyTorch's `torch.cholesky_inverse`: the inverse of A = L L^H (U^H U with upper=True)
    from its Cholesky factor, reading only that triangle."""
    L = _float_matrices(L, "cholesky_inverse", square=True)
    Tinv = inv(_triangle_grad_full(L, upper))
    return matmul(Tinv, _mH(Tinv)) if upper else matmul(_mH(Tinv), Tinv)


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False) -> TriangularSolveResult:
    """PyTorch's `torch.triangular_solve` (b first): (X with op(A) X = b, a copy of A), op(A)
    = A, or A^T with transpose=True; only the upper (lower) triangle of A is read."""
    A = _matrices(A, "triangular_solve", square=True, argname="A")
    check_tensor(b, "triangular_solve", "b")
    if b._data.ndim < 2:
        raise ValueError(f"triangular_solve: b must have at least 2 dimensions, got shape "
                         f"{tuple(b._data.shape)}")
    T, tri_upper = (matrix_transpose(A), not upper) if transpose else (A, upper)
    X = solve_triangular(T, b, upper=tri_upper, unitriangular=unitriangular)
    return TriangularSolveResult(X, astype(A, A._dtype, copy=True))
