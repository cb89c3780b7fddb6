"""The LKJ distribution over Cholesky factors of correlation matrices (after NumPyro's, as
PyTorch's)."""

from __future__ import annotations

import math

import arraygrad as _ag

from . import constraints
from .beta import Beta
from .distribution import Distribution
from .utils import _standard_normal, broadcast_all

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    """LKJ distribution of the lower Cholesky factor L of a `dim` x `dim` correlation matrix
    M = L L^T, with density proportional to det(M)^(concentration - 1) (uniform over
    correlation matrices at concentration 1). Samples by the onion method (Lewandowski,
    Kurowicka and Joe, 2009, section 3.2): below the diagonal, row i is sqrt(y_i) times a
    uniform direction in the first i coordinates, y_i ~ Beta(i / 2, concentration +
    (dim - 1 - i) / 2), and the diagonal completes each row to unit norm."""

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim: int, concentration=1.0, validate_args=None):
        if isinstance(dim, bool) or not isinstance(dim, int):
            raise TypeError(f"LKJCholesky: dim must be an int, got {type(dim).__name__} {dim!r}")
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        batch_shape = self.concentration.shape
        event_shape = _ag.Size((dim, dim))
        # The onion method's Beta variables, one per row: row i (i >= 1) has squared norm
        # y_i ~ Beta(i / 2, concentration + (dim - 1 - i) / 2) below the diagonal; row 0 is
        # (1, 0, ...) whatever its draw. (PyTorch 2.13 takes i - 1/2 for the first parameter,
        # which gives rows 2 and beyond too large correlations: its samples do not follow its
        # own log_prob for dim >= 3, nor are their correlations exchangeable. Here they do.)
        marginal_conc = self.concentration + 0.5 * (self.dim - 2)
        offset = _ag.arange(self.dim - 1, dtype=self.concentration.dtype, device=self.concentration.device)
        offset = _ag.concat([_ag.zeros((1,), dtype=offset.dtype, device=offset.device), offset])
        beta_conc1 = 0.5 * (offset + 1)
        beta_conc0 = marginal_conc.unsqueeze(-1) - 0.5 * offset
        self._beta = Beta(beta_conc1, beta_conc0, validate_args=validate_args)
        super().__init__(batch_shape, event_shape, validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LKJCholesky, _instance)
        batch_shape = _ag.Size(batch_shape)
        new.dim = self.dim
        new.concentration = self.concentration.expand(batch_shape)
        new._beta = self._beta.expand(batch_shape + (self.dim,))
        super(LKJCholesky, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def sample(self, sample_shape=()):
        with _ag.no_grad():
            y = self._beta.sample(sample_shape).unsqueeze(-1)
            u = _standard_normal(self._extended_shape(sample_shape), dtype=y.dtype, device=y.device).tril(-1)
            norm = _ag.sqrt(_ag.sum(u * u, axis=-1, keepdims=True))
            # row 0 has no entry below the diagonal (norm 0): it stays 0, not 0 / 0
            u = u / _ag.where(norm > 0, norm, _ag.ones_like(norm))
            w = _ag.sqrt(y) * u
            tiny = _ag.finfo(w.dtype).tiny
            diag = _ag.clamp(1 - _ag.sum(w * w, axis=-1), min=tiny).sqrt()
            return w + _ag.diag_embed(diag)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diag_elems = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = _ag.arange(2, self.dim + 1, dtype=self.concentration.dtype, device=self.concentration.device)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized_log_pdf = _ag.sum(order * diag_elems.log(), axis=-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        denominator = _ag.lgamma(alpha) * dm1
        numerator = _ag.mvlgamma(alpha - 0.5, dm1)
        pi_constant = 0.5 * dm1 * math.log(math.pi)
        normalize_term = pi_constant + numerator - denominator
        return unnormalized_log_pdf - normalize_term
