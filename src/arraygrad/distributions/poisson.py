"""The Poisson distribution."""

from __future__ import annotations

from numbers import Number

import arraygrad as _ag
from arraygrad.special import gammaln

from . import constraints
from .distribution import Distribution
from .utils import _uniform, broadcast_all

__all__ = ["Poisson"]

_INVERSION_TERMS = 64  # rates below 10: P(X > 64) < 1e-30
_PTRS_ROUNDS = 16  # rates from 10: transformed rejection accepts > 85% of proposals


def _draw_poisson(rate):
    """Poisson samples of rate's shape without reading values: sequential inversion with a
    fixed number of terms below rate 10, Hoermann's PTRS (transformed rejection with a
    fixed number of proposals, the first accepted taken) from 10."""
    with _ag.no_grad():
        rate = rate.detach()
        dtype, device, shape = rate.dtype, rate.device, tuple(rate.shape)
        # inversion
        small_rate = rate.clamp(max=10.0)
        u = _uniform(shape, dtype, device)
        p = _ag.exp(-small_rate)
        cdf = p
        k_small = _ag.zeros_like(rate)
        for k in range(1, _INVERSION_TERMS):
            k_small = k_small + (u > cdf).astype(dtype)
            p = p * small_rate / k
            cdf = cdf + p
        # PTRS
        lam = rate.clamp(min=10.0).unsqueeze(-1)
        slam = _ag.sqrt(lam)
        loglam = _ag.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        U = _uniform(shape + (_PTRS_ROUNDS,), dtype, device) - 0.5
        V = _uniform(shape + (_PTRS_ROUNDS,), dtype, device)
        us = 0.5 - U.abs()
        k = _ag.floor((2 * a / us + b) * U + lam + 0.43)
        quick = (us >= 0.07) & (V <= vr)
        k_safe = k.clamp(min=0.0)
        slow = (k >= 0) & ~((us < 0.013) & (V > us)) & (
            _ag.log(V) + _ag.log(invalpha) - _ag.log(a / (us * us) + b)
            <= -lam + k_safe * loglam - gammaln(k_safe + 1))
        accept = quick | slow
        first = _ag.argmax(accept.astype(_ag.int8), dim=-1, keepdim=True)
        k_large = _ag.gather(k_safe, -1, first).squeeze(-1)
        k_large = _ag.where(accept.any(-1), k_large, _ag.floor(lam.squeeze(-1)))
        return _ag.where(rate < 10, k_small, k_large)


class Poisson(Distribution):
    """Poisson distribution with `rate` (mean and variance)."""

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        batch_shape = _ag.Size() if isinstance(rate, Number) else self.rate.shape
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Poisson, _instance)
        batch_shape = _ag.Size(batch_shape)
        new.rate = self.rate.expand(batch_shape)
        super(Poisson, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def sample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        return _draw_poisson(self.rate.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return _ag.xlogy(value, rate) - rate - gammaln(value + 1)
