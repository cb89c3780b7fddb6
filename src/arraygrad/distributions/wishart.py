"""The Wishart distribution over positive-definite matrices."""

from __future__ import annotations

import math
import warnings
from numbers import Number

import arraygrad as _ag

from . import constraints
from .distribution import Distribution
from .gamma import Chi2
from .multivariate_normal import _precision_to_scale_tril
from .utils import _standard_normal, lazy_property

__all__ = ["Wishart"]

_LOG_2 = math.log(2)


class WishartArgumentError(ValueError, AssertionError):
    """Not exactly one of covariance_matrix, precision_matrix, scale_tril: PyTorch raises
    AssertionError, arraygrad's rule for bad arguments is ValueError; both catch it."""


def _mvdigamma(x, p: int):
    """The multivariate digamma function: sum_{i < p} digamma(x - i / 2)."""
    offsets = _ag.arange(p, dtype=x.dtype, device=x.device) / 2
    return _ag.digamma(x.unsqueeze(-1) - offsets).sum(-1)


def _cholesky_solve(B, L):
    """(L L^T)^{-1} B, batched and broadcast, differentiated as PyTorch's cholesky_solve: with
    respect to all of L (its upper triangle, zero, gets the gradient of L L^T's)."""
    p = L.shape[-1]
    shape = tuple(_ag.broadcast_shapes(tuple(L.shape[:-2]), tuple(B.shape[:-2])))
    A = _ag.matmul(L, L.mT)
    return _ag.linalg.solve(A.expand(shape + (p, p)), B.expand(shape + tuple(B.shape[-2:])))


class Wishart(Distribution):
    """Wishart distribution with `df` degrees of freedom (more than the dimension less one) and
    one of `covariance_matrix`, `precision_matrix` or `scale_tril` (the scale matrix's
    Cholesky factor, which every computation uses). Reparameterized samples by the Bartlett
    decomposition: L A A^T L^T, A lower-triangular with sqrt(chi2(df - i)) on the diagonal and
    standard normals below it."""

    support = constraints.positive_definite
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def arg_constraints(self):
        return {
            "covariance_matrix": constraints.positive_definite,
            "precision_matrix": constraints.positive_definite,
            "scale_tril": constraints.lower_cholesky,
            "df": constraints.greater_than(self.event_shape[-1] - 1),
        }

    def __init__(self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None):
        if (covariance_matrix is not None) + (scale_tril is not None) + (precision_matrix is not None) != 1:
            raise WishartArgumentError(
                "Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        param = next(p for p in (covariance_matrix, precision_matrix, scale_tril) if p is not None)
        if not isinstance(param, _ag.Tensor):
            raise TypeError(f"Wishart: the scale parameter must be a Tensor, got {type(param).__name__}")
        if param.ndim < 2:
            raise ValueError("scale_tril must be at least two-dimensional, with optional leading batch "
                             f"dimensions, got shape {tuple(param.shape)}")
        if param.shape[-1] != param.shape[-2]:
            raise ValueError(f"Wishart: the scale parameter must be square, got shape {tuple(param.shape)}")
        if isinstance(df, Number):
            batch_shape = _ag.Size(param.shape[:-2])
            df = _ag.tensor(df, dtype=param.dtype, device=param.device)
        else:
            batch_shape = _ag.Size(_ag.broadcast_shapes(tuple(param.shape[:-2]), tuple(df.shape)))
        self.df = df.expand(batch_shape)
        event_shape = param.shape[-2:]
        p = event_shape[-1]
        # argument validation as PyTorch's (it reads df)
        df_value = self.df.detach()
        if bool((df_value <= p - 1).any()):
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = {p - 1}.")
        if bool((df_value < p).any()):
            warnings.warn("Low df values detected. Singular samples are highly likely to occur for "
                          "ndim - 1 < df < ndim.", UserWarning, stacklevel=2)
        expanded = param.expand(batch_shape + (p, p))
        if scale_tril is not None:
            self.scale_tril = expanded
        elif covariance_matrix is not None:
            self.covariance_matrix = expanded
        else:
            self.precision_matrix = expanded
        super().__init__(batch_shape, event_shape, validate_args=validate_args)
        self._batch_dims = [-(x + 1) for x in range(len(self._batch_shape))]
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = _ag.linalg.cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)
        self._dist_chi2 = self._chi2()

    def _chi2(self):
        """chi2(df - i), i < p: the squared diagonal of the Bartlett factor."""
        L = self._unbroadcasted_scale_tril
        offsets = _ag.arange(self._event_shape[-1], dtype=L.dtype, device=L.device)
        return Chi2(df=self.df.unsqueeze(-1) - offsets.expand(self._batch_shape + (-1,)), validate_args=False)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Wishart, _instance)
        batch_shape = _ag.Size(batch_shape)
        cov_shape = batch_shape + self.event_shape
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril.expand(cov_shape)
        new.df = self.df.expand(batch_shape)
        new._batch_dims = [-(x + 1) for x in range(len(batch_shape))]
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(cov_shape))
        super(Wishart, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._dist_chi2 = new._chi2()
        new._validate_args = self._validate_args
        return new

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(self._batch_shape + self._event_shape)

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return _ag.matmul(L, L.mT).expand(self._batch_shape + self._event_shape)

    @lazy_property
    def precision_matrix(self):
        L = self._unbroadcasted_scale_tril
        eye = _ag.eye(L.shape[-1], dtype=L.dtype, device=L.device)
        return _cholesky_solve(eye, L).expand(self._batch_shape + self._event_shape)

    def _df_matrix(self):
        return self.df.reshape(tuple(self._batch_shape) + (1, 1))

    @property
    def mean(self):
        return self._df_matrix() * self.covariance_matrix

    @property
    def mode(self):
        factor = self.df - self.covariance_matrix.shape[-1] - 1
        factor = _ag.where(factor <= 0, _ag.full_like(factor, math.nan), factor)
        return factor.reshape(tuple(self._batch_shape) + (1, 1)) * self.covariance_matrix

    @property
    def variance(self):
        V = self.covariance_matrix
        d = V.diagonal(dim1=-2, dim2=-1)
        return self._df_matrix() * (V.pow(2) + d.unsqueeze(-1) * d.unsqueeze(-2))

    def _bartlett_sampling(self, sample_shape=()):
        p = self._event_shape[-1]
        chi = self._dist_chi2.rsample(sample_shape).sqrt()
        diag = chi.clamp(min=_ag.finfo(chi.dtype).eps)
        L = self._unbroadcasted_scale_tril
        normals = _standard_normal(tuple(diag.shape) + (p,), dtype=L.dtype, device=L.device)
        noise = normals.tril(-1) + _ag.diag_embed(diag)
        chol = _ag.matmul(L, noise)
        return _ag.matmul(chol, chol.mT)

    def rsample(self, sample_shape=(), max_try_correction=None):
        """A reparameterized sample. For df below the dimension the Bartlett decomposition can
        give singular matrices: those are drawn again, up to `max_try_correction` times
        (default 10; a warning says when one was found), and may still be singular after
        (their log_prob is then -inf)."""
        if max_try_correction is None:
            max_try_correction = 10
        sample = self._bartlett_sampling(sample_shape)
        if max_try_correction <= 0:
            return sample
        singular = ~self.support.check(sample)
        if bool(singular.any()):  # one value read per try, as PyTorch's
            warnings.warn("Singular sample detected.", UserWarning, stacklevel=2)
            for _ in range(max_try_correction):
                fresh = self._bartlett_sampling(sample_shape)
                sample = _ag.where(singular.unsqueeze(-1).unsqueeze(-1), fresh, sample)
                singular = ~self.support.check(sample)
                if not bool(singular.any()):
                    break
        return sample

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        nu = self.df
        p = self._event_shape[-1]
        log_det_scale = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return (-nu * (p * _LOG_2 / 2 + log_det_scale)
                - _ag.mvlgamma(nu / 2, p)
                + (nu - p - 1) / 2 * _ag.linalg.slogdet(value).logabsdet
                - _cholesky_solve(value, self._unbroadcasted_scale_tril).diagonal(dim1=-2, dim2=-1).sum(-1) / 2)

    def entropy(self):
        nu = self.df
        p = self._event_shape[-1]
        log_det_scale = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return ((p + 1) * (p * _LOG_2 / 2 + log_det_scale)
                + _ag.mvlgamma(nu / 2, p)
                - (nu - p - 1) / 2 * _mvdigamma(nu / 2, p)
                + nu * p / 2)

    @property
    def _natural_params(self):
        nu = self.df
        p = self._event_shape[-1]
        return -self.precision_matrix / 2, (nu - p - 1) / 2

    def _log_normalizer(self, x, y):
        p = self._event_shape[-1]
        return ((y + (p + 1) / 2) * (-_ag.linalg.slogdet(-2 * x).logabsdet + _LOG_2 * p)
                + _ag.mvlgamma(y + (p + 1) / 2, p))
