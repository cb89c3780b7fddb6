"""The Gumbel distribution.

Written in closed form (PyTorch's is a TransformedDistribution over Uniform(tiny, 1 - eps)):
icdf(0) = -inf and icdf(1) = inf, where PyTorch's clamps to finite values (and loses accuracy
within eps of 1)."""

from __future__ import annotations

import math

import arraygrad as _ag

from . import constraints
from .distribution import LocationScale
from .utils import _uniform, euler_constant

__all__ = ["Gumbel"]


class Gumbel(LocationScale):
    """Gumbel (type-I extreme value) distribution with location `loc` and scale `scale`."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    @property
    def mean(self):
        return self.loc + self.scale * euler_constant

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return (math.pi / math.sqrt(6)) * self.scale

    @property
    def variance(self):
        return self.stddev.pow(2)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        finfo = _ag.finfo(self.loc.dtype)
        u = _uniform(shape, self.loc.dtype, self.loc.device).clamp(min=finfo.tiny, max=1 - finfo.eps)
        return self.loc - self.scale * _ag.log(-_ag.log(u))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        y = (self.loc - value) / self.scale
        return (y - y.exp()) - self.scale.log()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return _ag.exp(-_ag.exp(-(value - self.loc) / self.scale))

    def icdf(self, value):
        return self.loc - self.scale * _ag.log(-_ag.log(value))

    def entropy(self):
        return self.scale.log() + (1 + euler_constant)
