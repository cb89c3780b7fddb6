"""The Generalized Pareto distribution (PyTorch's)."""

from __future__ import annotations

import math
from numbers import Number

import arraygrad as _ag

from . import constraints
from .distribution import Distribution
from .utils import _uniform, broadcast_all

__all__ = ["GeneralizedPareto"]


def _near_zero(c):
    """torch.isclose(c, 0): |c| <= 1e-8 (the closed forms of concentration 0 apply)."""
    return _ag.abs(c) <= 1e-8


class GeneralizedPareto(Distribution):
    """Generalized Pareto with `loc`, `scale` > 0 and real `concentration` (xi): exponential
    at xi = 0, bounded above by loc - scale / xi for xi < 0."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive,
                       "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args=None):
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        if isinstance(loc, Number) and isinstance(scale, Number) and isinstance(concentration, Number):
            batch_shape = _ag.Size()
        else:
            batch_shape = self.loc.shape
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(GeneralizedPareto, _instance)
        batch_shape = _ag.Size(batch_shape)
        new.loc = self.loc.expand(batch_shape)
        new.scale = self.scale.expand(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        super(GeneralizedPareto, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        return self.icdf(_uniform(shape, self.loc.dtype, self.loc.device))

    def _z(self, x):
        return (x - self.loc) / self.scale

    def _safe_concentration(self):
        eq_zero = _near_zero(self.concentration)
        return eq_zero, _ag.where(eq_zero, _ag.ones_like(self.concentration), self.concentration)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        eq_zero, safe_conc = self._safe_concentration()
        y = 1 / safe_conc + _ag.ones_like(z)
        where_nonzero = _ag.where(y == 0, y, y * _ag.log1p(safe_conc * z))
        return -self.scale.log() - _ag.where(eq_zero, z, where_nonzero)

    def log_survival_function(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        eq_zero, safe_conc = self._safe_concentration()
        return _ag.where(eq_zero, -z, -_ag.log1p(safe_conc * z) / safe_conc)

    def log_cdf(self, value):
        return _ag.log1p(-_ag.exp(self.log_survival_function(value)))

    def cdf(self, value):
        return _ag.exp(self.log_cdf(value))

    def icdf(self, value):
        eq_zero, safe_conc = self._safe_concentration()
        logu = _ag.log1p(-value)
        where_nonzero = self.loc + self.scale / safe_conc * _ag.expm1(-safe_conc * logu)
        return _ag.where(eq_zero, self.loc - self.scale * logu, where_nonzero)

    @property
    def mean(self):
        valid = self.concentration < 1
        safe_conc = _ag.where(valid, self.concentration, 0.5)
        return _ag.where(valid, self.loc + self.scale / (1 - safe_conc), math.nan)

    @property
    def variance(self):
        valid = self.concentration < 0.5
        safe_conc = _ag.where(valid, self.concentration, 0.25)
        result = self.scale ** 2 / ((1 - safe_conc) ** 2 * (1 - 2 * safe_conc))
        return _ag.where(valid, result, math.nan)

    def entropy(self):
        ans = _ag.log(self.scale) + self.concentration + 1
        return _ag.broadcast_to(ans, tuple(self._batch_shape))

    @property
    def mode(self):
        return self.loc

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        lower = self.loc
        upper = _ag.where(self.concentration < 0, lower - self.scale / self.concentration, math.inf)
        return constraints.interval(lower, upper)
