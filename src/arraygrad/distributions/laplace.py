"""The Laplace distribution."""

from __future__ import annotations


import arraygrad as _ag

from . import constraints
from .distribution import LocationScale
from .utils import _uniform

__all__ = ["Laplace"]


class Laplace(LocationScale):
    """Laplace distribution with location `loc` and scale `scale`."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return 2 * self.scale.pow(2)

    @property
    def stddev(self):
        return (2 ** 0.5) * self.scale

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        eps = _ag.finfo(self.loc.dtype).eps
        u = _uniform(shape, self.loc.dtype, self.loc.device) * (2 - eps) + (eps - 1)  # [eps-1, 1)
        return self.loc - self.scale * u.sign() * _ag.log1p(-u.abs())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -_ag.log(2 * self.scale) - _ag.abs(value - self.loc) / self.scale

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 - 0.5 * (value - self.loc).sign() * _ag.expm1(-(value - self.loc).abs() / self.scale)

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * _ag.log1p(-2 * term.abs())

    def entropy(self):
        return 1 + _ag.log(2 * self.scale)
