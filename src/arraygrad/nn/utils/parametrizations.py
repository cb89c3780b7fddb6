"""`arraygrad.nn.utils.parametrizations`: weight normalization and spectral normalization as
parametrizations (PyTorch's `torch.nn.utils.parametrizations`), with PyTorch's parameter
names, so their state dicts load from torch checkpoints:

- ``weight_norm(m)``: ``parametrizations.weight.original0`` (the magnitude g) and
  ``original1`` (the direction v); weight = v * g / ||v|| (norm over every axis but `dim`).
- ``spectral_norm(m)``: ``parametrizations.weight.original`` and the power-iteration
  buffers ``parametrizations.weight.0._u`` / ``_v``; weight = W / sigma(W).
- ``orthogonal(m)``: ``parametrizations.weight.original`` and (with the default
  use_trivialization=True) the buffer ``parametrizations.weight.0.base``; weight is
  orthogonal (orthonormal columns or rows), through the matrix exponential or the Cayley map
  of a skew-symmetric matrix, or a product of Householder reflections.
"""

from __future__ import annotations

from ..._autograd.grad_mode import no_grad
from ..._dispatch import Tensor
from .. import functional as F
from ..module import Module
from . import parametrize

__all__ = ["orthogonal", "weight_norm", "spectral_norm"]


def _norm_except_dim(v, dim: int):
    """PyTorch's `norm_except_dim(v, 2, dim)`: the 2-norm over every axis but `dim`, kept
    as size-1 axes; dim=-1 (or None) is the norm of the whole tensor (a 0-d tensor)."""
    from ...linalg import vector_norm

    if dim == -1:
        return vector_norm(v)
    axes = tuple(a for a in range(v.ndim) if a != dim)
    return vector_norm(v, axis=axes, keepdims=True) if axes else v.abs()


def _weight_norm(v, g, dim: int):
    return v * (g / _norm_except_dim(v, dim))


def _check_dim(dim, ndim: int, fname: str) -> int:
    if dim is None:
        return -1
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"{fname}: dim must be an int or None, got {type(dim).__name__}")
    if dim != -1 and not -ndim <= dim < ndim:
        raise IndexError(f"{fname}: Dimension out of range (expected to be in range of "
                         f"[{-ndim}, {ndim - 1}] but got {dim})")
    return dim + ndim if dim < -1 else dim


class _WeightNorm(Module):
    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrize ``module.<name>`` as g * v / ||v||, with g = original0 (one magnitude per
    slice along `dim`; dim=None: one for the whole tensor) and v = original1. Loads legacy
    state dicts with ``<name>_g`` / ``<name>_v`` keys too."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    dim = _check_dim(dim, weight.ndim, "weight_norm")
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _weight_norm_compat_hook(state_dict, prefix, local_metadata, strict, missing_keys,
                                 unexpected_keys, error_msgs):
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module._register_load_state_dict_pre_hook(_weight_norm_compat_hook)
    return module


class _SpectralNorm(Module):
    def __init__(self, weight, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError("Dimension out of range (expected to be in range of "
                             f"[{-ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            from ..._ops.creation import empty

            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.shape
            with no_grad():
                u = empty((h,), dtype=weight.dtype, device=weight.device).normal_(0, 1)
                v = empty((w,), dtype=weight.dtype, device=weight.device).normal_(0, 1)
            self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat, n_power_iterations: int) -> None:
        # u and v are updated in place (PyTorch's out=), so modules sharing them see it
        from ... import mv

        with no_grad():
            for _ in range(n_power_iterations):
                self._u[...] = F.normalize(mv(weight_mat, self._v), dim=0, eps=self.eps)
                self._v[...] = F.normalize(mv(weight_mat.mH, self._u), dim=0, eps=self.eps)

    def forward(self, weight):
        from ... import mv, vdot

        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()
        sigma = vdot(u, mv(weight_mat, v))
        return weight / sigma

    def right_inverse(self, value):
        return value  # the scale cannot be recovered: keep the given tensor as is


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> Module:
    """Reparametrize ``module.<name>`` as W / sigma(W), sigma the largest singular value of W
    reshaped to a matrix with `dim` first (dim=None: 1 for transposed convolutions, else 0),
    estimated by `n_power_iterations` steps of power iteration per training-mode access."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        from ..layers import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d

        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


# ----- orthogonal ---------------------------------------------------------------------------
_ORTH_MAPS = ("matrix_exp", "cayley", "householder")


def _eye_like(X, n: int, k: int):
    from ..._ops.creation import eye

    return eye(n, k, dtype=X.dtype, device=X.device)


def _householder_product(A, tau):
    """The first k columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^H, with v_i the i-th column
    of A below the diagonal and 1 on it (LAPACK's orgqr / torch.linalg.householder_product),
    from differentiable ops."""
    n, k = A.shape[-2], A.shape[-1]
    V = A.tril(-1) + _eye_like(A, n, k)
    Q = _eye_like(A, n, k)
    for i in reversed(range(k)):
        v = V[..., :, i:i + 1]
        Q = Q - tau[..., i, None, None] * (v @ (v.mH @ Q))
    return Q


def _geqrf_reflectors(Q):
    """LAPACK geqrf's Householder vectors of Q (below the diagonal), with the diagonal
    replaced by the signs that make householder_product give back Q (PyTorch's
    right_inverse of the householder map); computed on the host (no gradient)."""
    import numpy as np

    from ... import asarray

    data = np.asarray(Q.detach().cpu())
    out = np.empty_like(data)
    for idx in np.ndindex(*data.shape[:-2]):
        h, tau = np.linalg.qr(data[idx], mode="raw")  # h is geqrf's result, transposed
        A = h.T.copy()
        k = min(A.shape)
        d = np.sign(A[np.arange(k), np.arange(k)].real)
        d[tau[:k] == 0.0] *= -1
        A[np.arange(k), np.arange(k)] = d
        out[idx] = A
    return asarray(out, dtype=Q.dtype, device=Q.device)


def _make_orthogonal(A):
    """The orthogonal factor of A's QR decomposition, with R's diagonal made positive."""
    from ...linalg import qr

    Q, R = qr(A)
    return Q * R.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)


def _is_orthogonal(Q) -> bool:
    from ... import allclose, finfo

    n, k = Q.shape[-2], Q.shape[-1]
    return bool(allclose(Q.mH @ Q, _eye_like(Q, k, k), atol=10.0 * n * finfo(Q.dtype).eps))


class _Orthogonal(Module):
    def __init__(self, weight, orthogonal_map: str, *, use_trivialization: bool = True) -> None:
        super().__init__()
        if weight.dtype.kind == "c" and orthogonal_map == "householder":
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = tuple(weight.shape)
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in ("matrix_exp", "cayley"):
            from ... import concat, linalg, matrix_exp, zeros

            X = X.tril()
            if n != k:  # embed the tall matrix into a square one
                pad = zeros((*X.shape[:-2], n, n - k), dtype=X.dtype, device=X.device)
                X = concat([X, pad], axis=-1)
            A = X - X.mH  # skew-symmetric (skew-hermitian)
            if self.orthogonal_map == "matrix_exp":
                Q = matrix_exp(A)
            else:  # the Cayley retraction (I + A/2)(I - A/2)^-1
                Id = _eye_like(A, n, n)
                Q = linalg.solve(Id - 0.5 * A, Id + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = _householder_product(A, tau)
            # X's diagonal holds +-1: the signs of Q's columns (not differentiated)
            Q = Q * X.diagonal(dim1=-2, dim2=-1).detach().int().unsqueeze(-2).astype(Q.dtype)
        base = self._buffers.get("base")
        if base is not None:
            Q = base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q):
        from ... import concat, randn, zeros_like

        if tuple(Q.shape) != self.shape:
            raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                             f"Got a tensor of shape {tuple(Q.shape)}.")
        with no_grad():
            Q_init = Q
            n, k = Q.shape[-2], Q.shape[-1]
            transpose = n < k
            if transpose:
                Q = Q.mT
                n, k = k, n
            if "base" not in self._buffers:
                if self.orthogonal_map in ("matrix_exp", "cayley"):
                    raise NotImplementedError("It is not possible to assign to the matrix exponential or "
                                              "the Cayley parametrizations when use_trivialization=False.")
                A = _geqrf_reflectors(Q)
                return A.mT if transpose else A
            if n == k:
                Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
            else:  # complete Q into a full n x n orthogonal matrix
                N = randn(*Q.shape[:-2], n, n - k, dtype=Q.dtype, device=Q.device)
                Q = _make_orthogonal(concat([Q, N], axis=-1))
            self.base = Q
            # -Id: householder(zeros) is then the identity, and every map gives base itself
            return zeros_like(Q_init) - _eye_like(Q_init, *Q_init.shape[-2:])


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    """Constrain ``module.<name>`` (a matrix, or a batch of them) to be orthogonal (unitary):
    orthonormal columns if tall, rows if wide. orthogonal_map is "matrix_exp", "cayley" or
    "householder" (default: matrix_exp for square or complex matrices, else householder).
    With use_trivialization=True (the default) the weight is `base @ map(original)`, `base`
    a buffer holding the last assigned orthogonal matrix."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        square = weight.shape[-2] == weight.shape[-1]
        orthogonal_map = "matrix_exp" if square or weight.dtype.kind == "c" else "householder"
    if orthogonal_map not in _ORTH_MAPS:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                         f"Got: {orthogonal_map}")
    orth = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
