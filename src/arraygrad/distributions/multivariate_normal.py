"""The MultivariateNormal distribution."""

from __future__ import annotations

import math

import arraygrad as _ag

from . import constraints
from .distribution import Distribution
from .utils import _standard_normal, lazy_property

__all__ = ["MultivariateNormal"]


def _solve_lower(L, b):
    """L^{-1} b for lower-triangular L (batched, broadcast); a triangular solver where the
    library has one, else the general solver on tril(L): like a triangular solver it reads
    (and sends gradients to) the lower triangle only."""
    st = getattr(_ag.linalg, "solve_triangular", None)
    if st is not None:
        return st(L, b, upper=False)
    return _ag.linalg.solve(L.tril(), b)


def _batch_mv(bmat, bvec):
    """Matrix-vector product over broadcast batches."""
    return _ag.matmul(bmat, bvec.unsqueeze(-1)).squeeze(-1)


def _batch_mahalanobis(bL, bx):
    """The squared Mahalanobis distance x^T (L L^T)^{-1} x, batched and broadcast."""
    n = bx.shape[-1]
    shape = _ag.broadcast_shapes(tuple(bL.shape[:-2]), tuple(bx.shape[:-1]))
    L = bL.expand(tuple(shape) + (n, n))
    x = bx.expand(tuple(shape) + (n,))
    sol = _solve_lower(L, x.unsqueeze(-1)).squeeze(-1)
    return sol.pow(2).sum(-1)


def _batch_trace_XXT(bmat):
    """The trace of X X^T over batches."""
    return bmat.pow(2).sum((-2, -1)) if bmat.ndim >= 2 else bmat.pow(2).sum()


def _precision_to_scale_tril(P):
    """The Cholesky factor of P^{-1} (through a flipped Cholesky of P, as PyTorch)."""
    Lf = _ag.linalg.cholesky(_ag.flip(P, (-2, -1)))
    L_inv = _ag.flip(Lf, (-2, -1)).mT
    Id = _ag.eye(P.shape[-1], dtype=P.dtype, device=P.device)
    return _solve_lower(L_inv, Id.expand(tuple(L_inv.shape)))


class MultivariateNormal(Distribution):
    """Multivariate normal distribution with mean `loc` and one of `covariance_matrix`,
    `precision_matrix` or `scale_tril` (lower-triangular, positive diagonal)."""

    arg_constraints = {
        "loc": constraints.real_vector,
        "covariance_matrix": constraints.positive_definite,
        "precision_matrix": constraints.positive_definite,
        "scale_tril": constraints.lower_cholesky,
    }
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None):
        if loc.ndim < 1:
            raise ValueError("loc must be at least one-dimensional.")
        if (covariance_matrix is not None) + (scale_tril is not None) + (precision_matrix is not None) != 1:
            raise ValueError(
                "Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified."
            )
        if scale_tril is not None:
            if scale_tril.ndim < 2:
                raise ValueError("scale_tril matrix must be at least two-dimensional, "
                                 "with optional leading batch dimensions")
            batch_shape = _ag.Size(_ag.broadcast_shapes(tuple(scale_tril.shape[:-2]), tuple(loc.shape[:-1])))
            self.scale_tril = scale_tril.expand(batch_shape + scale_tril.shape[-2:])
        elif covariance_matrix is not None:
            if covariance_matrix.ndim < 2:
                raise ValueError("covariance_matrix must be at least two-dimensional, "
                                 "with optional leading batch dimensions")
            batch_shape = _ag.Size(_ag.broadcast_shapes(tuple(covariance_matrix.shape[:-2]),
                                                        tuple(loc.shape[:-1])))
            self.covariance_matrix = covariance_matrix.expand(batch_shape + covariance_matrix.shape[-2:])
        else:
            if precision_matrix.ndim < 2:
                raise ValueError("precision_matrix must be at least two-dimensional, "
                                 "with optional leading batch dimensions")
            batch_shape = _ag.Size(_ag.broadcast_shapes(tuple(precision_matrix.shape[:-2]),
                                                        tuple(loc.shape[:-1])))
            self.precision_matrix = precision_matrix.expand(batch_shape + precision_matrix.shape[-2:])
        self.loc = loc.expand(batch_shape + loc.shape[-1:])
        event_shape = self.loc.shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = _ag.linalg.cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(MultivariateNormal, _instance)
        batch_shape = _ag.Size(batch_shape)
        loc_shape = batch_shape + self.event_shape
        cov_shape = batch_shape + self.event_shape + self.event_shape
        new.loc = self.loc.expand(loc_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        if "covariance_matrix" in self.__dict__:
            new.covariance_matrix = self.covariance_matrix.expand(cov_shape)
        if "scale_tril" in self.__dict__:
            new.scale_tril = self.scale_tril.expand(cov_shape)
        if "precision_matrix" in self.__dict__:
            new.precision_matrix = self.precision_matrix.expand(cov_shape)
        super(MultivariateNormal, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(self._batch_shape + self._event_shape + self._event_shape)

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return _ag.matmul(L, L.mT).expand(self._batch_shape + self._event_shape + self._event_shape)

    @lazy_property
    def precision_matrix(self):
        L = self._unbroadcasted_scale_tril
        Id = _ag.eye(L.shape[-1], dtype=L.dtype, device=L.device)
        L_inv = _solve_lower(L, Id.expand(tuple(L.shape)))
        return _ag.matmul(L_inv.mT, L_inv).expand(self._batch_shape + self._event_shape + self._event_shape)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(self._batch_shape + self._event_shape)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        eps = _standard_normal(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + _batch_mv(self._unbroadcasted_scale_tril, eps)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        M = _batch_mahalanobis(self._unbroadcasted_scale_tril, diff)
        half_log_det = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + M) - half_log_det

    def entropy(self):
        half_log_det = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        H = 0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + half_log_det
        if len(self._batch_shape) == 0:
            return H
        return H.expand(self._batch_shape)
