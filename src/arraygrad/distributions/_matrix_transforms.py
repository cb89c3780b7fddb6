"""The matrix-valued transforms of PyTorch's `torch.distributions.transforms` that LKJCholesky
and Wishart need for `biject_to` / `transform_to`: CorrCholeskyTransform (vectors to Cholesky
factors of correlation matrices) and PositiveDefiniteTransform (square matrices to positive
definite ones). Exported through `transforms`."""

from __future__ import annotations

import math

import arraygrad as _ag
import arraygrad.nn.functional as F

from . import constraints
from .transforms import LowerCholeskyTransform, _ParameterFree
from .utils import tril_matrix_to_vec

__all__ = ["CorrCholeskyTransform", "PositiveDefiniteTransform", "vec_to_tril_matrix"]


def vec_to_tril_matrix(vec, diag: int = 0):
    """(..., N) vectors as (..., D, D) lower-triangular matrices (below diagonal `diag`), their
    entries in row order: a gather from the vector with one zero appended, so it differentiates
    and writes nothing in place."""
    m = vec.shape[-1]
    n = (-(1 + 2 * diag) + ((1 + 2 * diag) ** 2 + 8 * m + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    if abs(round(n) - n) > 1e-9:
        raise ValueError(f"The size of last dimension is {m} which cannot be expressed as the lower "
                         "triangular part of a square D x D matrix.")
    n = round(n)
    rows, cols = _ag.tril_indices(n, n, diag)
    index = [m] * (n * n)  # the appended zero
    for k, (r, c) in enumerate(zip(rows.tolist(), cols.tolist())):  # a constant table, not data
        index[r * n + c] = k
    padded = _ag.concat([vec, _ag.zeros(tuple(vec.shape[:-1]) + (1,), dtype=vec.dtype, device=vec.device)],
                        axis=-1)
    idx = _ag.asarray(index, dtype=_ag.int64, device=vec.device)
    return _ag.take(padded, idx, axis=-1).reshape(tuple(vec.shape[:-1]) + (n, n))


class CorrCholeskyTransform(_ParameterFree):
    """Unconstrained vectors of length D (D - 1) / 2 to Cholesky factors of D x D correlation
    matrices (lower-triangular, positive diagonal, rows of unit norm): the vector fills the
    strict lower triangle in row order, tanh maps it into (-1, 1), and a signed stick-breaking
    gives each row unit norm."""

    domain = constraints.real_vector
    codomain = constraints.corr_cholesky
    bijective = True

    def _call(self, x):
        x = _ag.tanh(x)
        eps = _ag.finfo(x.dtype).eps
        x = x.clamp(min=-1 + eps, max=1 - eps)
        r = vec_to_tril_matrix(x, diag=-1)
        # y = sign(r) sqrt(z * cumprod(1 - z)) = r * sqrt(cumprod(1 - z)) shifted, z = r^2
        z1m_cumprod_sqrt = (1 - r * r).sqrt().cumprod(-1)
        r = r + _ag.eye(r.shape[-1], dtype=r.dtype, device=r.device)
        return r * F.pad(z1m_cumprod_sqrt[..., :-1], [1, 0], value=1)

    def _inverse(self, y):
        y_cumsum = 1 - _ag.cumsum(y * y, dim=-1)
        y_cumsum_shifted = F.pad(y_cumsum[..., :-1], [1, 0], value=1)
        y_vec = tril_matrix_to_vec(y, diag=-1)
        y_cumsum_vec = tril_matrix_to_vec(y_cumsum_shifted, diag=-1)
        t = y_vec / y_cumsum_vec.sqrt()
        return (t.log1p() - (-t).log1p()) / 2  # atanh

    def log_abs_det_jacobian(self, x, y, intermediates=None):
        # of x and the flattened strict lower triangle of y (the spaces' dimensions differ)
        y1m_cumsum = 1 - _ag.cumsum(y * y, dim=-1)
        # diag=-2: no need to shift the cumulative sums right (works for 2 x 2 too)
        y1m_cumsum_tril = tril_matrix_to_vec(y1m_cumsum, diag=-2)
        stick_breaking_logdet = 0.5 * y1m_cumsum_tril.log().sum(-1)
        tanh_logdet = -2 * (x + F.softplus(-2 * x) - math.log(2.0)).sum(-1)
        return stick_breaking_logdet + tanh_logdet

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        N = shape[-1]
        D = round((0.25 + 2 * N) ** 0.5 + 0.5)
        if D * (D - 1) // 2 != N:
            raise ValueError("Input is not a flattened lower-diagonal number")
        return tuple(shape[:-1]) + (D, D)

    def inverse_shape(self, shape):
        if len(shape) < 2:
            raise ValueError("Too few dimensions on input")
        if shape[-2] != shape[-1]:
            raise ValueError("Input is not square")
        D = shape[-1]
        return tuple(shape[:-2]) + (D * (D - 1) // 2,)


class PositiveDefiniteTransform(_ParameterFree):
    """Unconstrained square matrices to positive definite ones: L L^T, L from
    LowerCholeskyTransform."""

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.positive_definite

    def _call(self, x):
        L = LowerCholeskyTransform()(x)
        return _ag.matmul(L, L.mT)

    def _inverse(self, y):
        return LowerCholeskyTransform().inv(_ag.linalg.cholesky(y))
