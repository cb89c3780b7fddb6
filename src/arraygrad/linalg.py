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
- pinv: the gradient assumes the rank stays constant near x.
"""

from __future__ import annotations

import builtins
import math
import operator
from typing import NamedTuple

from . import _dtypes
from ._dispatch import Op, Tensor, check_tensor, grad_enabled, raise_device_mismatch
from ._dispatch import apply as _apply
from ._ops import either, normalize_axes
from ._ops.creation import eye, tril, triu, zeros, zeros_like
from ._ops.data_type import astype
from ._ops.elementwise import _conj, abs, conj, imag, isnan, real, sign
from ._ops.linear_algebra import matmul, matrix_transpose, tensordot, vecdot
from ._ops.manipulation import broadcast_shapes, broadcast_to, concat, reshape, stack
from ._ops.searching import where
from ._ops.statistical import _prod_grad, max, min, restore_reduced, sum
from ._ops.utility import all, any

__all__ = [
    "cholesky", "cross", "det", "diagonal", "eig", "eigh", "eigvals", "eigvalsh", "inv",
    "matmul", "matrix_norm", "matrix_power", "matrix_rank", "matrix_transpose", "outer",
    "pinv", "qr", "slogdet", "solve", "svd", "svdvals", "tensordot", "trace", "vecdot",
    "vector_norm", "EigResult", "EighResult", "QRResult", "SlogdetResult", "SVDResult",
    # PyTorch's torch.linalg beyond the standard
    "norm", "multi_dot", "solve_triangular", "vander", "cond", "LinAlgError",
]


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


def _torch_repr(name):
    """PyTorch's repr of its named results: `torch.return_types.linalg_eigh(\n...)`."""
    def __repr__(self):
        fields = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"arraygrad.return_types.linalg_{name}(\n{fields})"
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
    """g * conj(det) * x^{-H}; for (nearly) singular matrices the adjugate through the SVD,
    which is exact everywhere (PyTorch's linalg_det_backward)."""
    n = x._data.shape[-1]
    if n == 0:
        return x * 0
    scale = g * _conj(ans)
    eps = _dtypes.finfo(x._dtype).eps
    singular = abs(ans) < 100 * eps
    lazy = x._backend.lazy  # no shortcuts that read values: the masked formula below
    if not lazy and not bool(any(singular)):
        return solve(_mH(x), scale[..., None, None] * _identity(n, x))
    U, S, Vh = svd(x)
    alpha = _conj(det(U) * det(Vh)) * g
    # d det / d S_i = the product of the other singular values (exact with zeros)
    D = _prod_grad(alpha, S, (S.ndim - 1,), False)
    adjugate_grad = matmul(U * D[..., None, :], Vh)
    if not lazy and bool(all(singular)):
        return adjugate_grad
    mask = singular[..., None, None]
    safe = where(mask, _identity(n, x), x)
    regular = solve(_mH(safe), scale[..., None, None] * _identity(n, x))
    return where(mask, adjugate_grad, regular)


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


def _rtol_arg(x, rtol, fname):
    """`rtol` as None, a Python float, or a real floating Tensor on x's device."""
    if rtol is None:
        return None
    if isinstance(rtol, Tensor):
        if rtol._dtype.kind != "f":
            raise TypeError(f"{fname}: rtol must have a real floating-point dtype, got {rtol._dtype}")
        if rtol._backend is not x._backend:
            raise_device_mismatch(fname, x, rtol)
        broadcast_shapes(tuple(rtol._data.shape), tuple(x._data.shape[:-2]))
        return rtol
    if isinstance(rtol, bool) or not isinstance(rtol, (int, float)):
        raise TypeError(f"{fname}: rtol must be a float or a Tensor, got {type(rtol).__name__}")
    if rtol < 0 or math.isnan(rtol):
        raise ValueError(f"{fname}: rtol must be non-negative, got {rtol}")
    return float(rtol)


def pinv(x, /, *, rtol=None) -> Tensor:
    """The Moore-Penrose pseudo-inverse of each matrix; singular values up to
    rtol * (the largest one) count as zero (default rtol: max(M, N) * eps)."""
    x = _float_matrices(x, "pinv")
    rtol = _rtol_arg(x, rtol, "pinv")
    # rtol is a keyword of the backend's pinv (the standard's signature), so an array rtol
    # travels as the backend's own array; it takes no gradient.
    return apply(_PINV, (x,), {"rtol": rtol._data if isinstance(rtol, Tensor) else rtol})


def matrix_rank(x, /, *, rtol=None) -> Tensor:
    """The number of singular values above rtol * (the largest one), per matrix (default
    rtol: max(M, N) * eps); the default integer dtype."""
    x = _float_matrices(x, "matrix_rank")
    rtol = _rtol_arg(x, rtol, "matrix_rank")
    m, n = x._data.shape[-2:]
    if builtins.min(m, n) == 0:
        return zeros(tuple(x._data.shape[:-2]), dtype=_dtypes.DEFAULT_INT, device=x.device)
    s = svdvals(x.detach())
    if rtol is None:
        rtol = builtins.max(m, n) * _dtypes.finfo(s._dtype).eps
    elif isinstance(rtol, Tensor):
        rtol = rtol[..., None]
    tol = max(s, axis=-1, keepdims=True) * rtol
    return sum(astype(s > tol, _dtypes.DEFAULT_INT), axis=-1)


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
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: mode must be 'reduced' or 'complete', got {mode!r}")
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


def diagonal(x, /, *, offset=0) -> Tensor:
    """The `offset` diagonal (above the main one for offset > 0) of each matrix; read-only
    when it shares x's memory."""
    x = _matrices(x, "diagonal")
    out = apply(_DIAGONAL, (x,), {"offset": _require_int(offset, "diagonal", "offset")})
    if x._backend.is_view(out._data):  # an alias: in-place writes to x are seen by its version
        out._base = (x, None, None)
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


def cross(x1, x2, /, *, axis=-1) -> Tensor:
    """The cross product of 3-element vectors along `axis` (counted from the end); the other
    axes broadcast."""
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
    if n == 0:
        return astype(broadcast_to(_identity(m, x), tuple(x._data.shape)), x._dtype, copy=True)
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
    return apply(_VECTOR_NORM, (x,), {"axis": axis, "keepdims": bool(keepdims), "ord": ord})


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
        s = svdvals(A)
        hi, lo = s[..., 0], s[..., -1]
        return hi / lo if p != -2 else lo / hi
    if A._data.shape[-1] != A._data.shape[-2]:
        raise RuntimeError(f"linalg.cond(ord={p!r}): A must be batches of square matrices")
    return matrix_norm(A, p) * matrix_norm(inv(A), p)


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
            out = pick(svdvals(x), axis=-1)
        else:  # column sums for 1, row sums for inf
            out = pick(sum(abs(x), axis=-2 if ord in (1, -1) else -1), axis=-1)
    return reshape(out, tuple(out._data.shape) + (1, 1)) if keepdims else out
