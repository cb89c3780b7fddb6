"""The von Mises (circular normal) distribution.

log I0 and log I1 come from arraygrad.special's i0e/i1e (~1e-15 relative), where PyTorch uses
polynomial approximations (~1e-7 relative): variance, stddev and log_prob differ from
PyTorch's at that level (e.g. variance at concentration 100 or more)."""

from __future__ import annotations

import math

import arraygrad as _ag
from arraygrad.special import i0e, i1e

from . import constraints
from .distribution import Distribution
from .utils import _uniform, broadcast_all, lazy_property

__all__ = ["VonMises"]

_ROUNDS = 24  # Best-Fisher proposals per draw (acceptance > 0.65 for every concentration)


def _log_i0(x):
    return _ag.log(i0e(x)) + x


def _log_i1(x):
    return _ag.log(i1e(x)) + x


class VonMises(Distribution):
    """Circular distribution on [-pi, pi) with mean direction `loc` and `concentration`."""

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc, concentration, validate_args=None):
        self.loc, self.concentration = broadcast_all(loc, concentration)
        batch_shape = self.loc.shape
        super().__init__(batch_shape, (), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(VonMises, _instance)
        batch_shape = _ag.Size(batch_shape)
        new.loc = self.loc.expand(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        super(VonMises, new).__init__(batch_shape, (), validate_args=False)
        new._validate_args = self._validate_args
        return new

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_prob = self.concentration * _ag.cos(value - self.loc)
        return log_prob - math.log(2 * math.pi) - _log_i0(self.concentration)

    @lazy_property
    def _proposal_r(self):
        kappa = self.concentration.detach()
        tau = 1 + _ag.sqrt(1 + 4 * kappa ** 2)
        rho = (tau - _ag.sqrt(2 * tau)) / (2 * kappa)
        proposal_r = (1 + rho ** 2) / (2 * rho)
        return _ag.where(kappa < 1e-5, 1 / kappa + kappa, proposal_r)

    def sample(self, sample_shape=()):
        """Best and Fisher's rejection sampler, vectorized over a fixed number of proposals
        (the first accepted one taken: no value is read)."""
        shape = tuple(self._extended_shape(sample_shape))
        with _ag.no_grad():
            loc = self.loc.detach().expand(shape).unsqueeze(-1)
            conc = self.concentration.detach().expand(shape).unsqueeze(-1)
            r = self._proposal_r.expand(shape).unsqueeze(-1)
            dtype, device = loc.dtype, loc.device
            u1 = _uniform(shape + (_ROUNDS,), dtype, device)
            u2 = _uniform(shape + (_ROUNDS,), dtype, device).clamp(min=_ag.finfo(dtype).tiny)
            u3 = _uniform(shape + (_ROUNDS,), dtype, device)
            z = _ag.cos(math.pi * u1)
            f = (1 + r * z) / (r + z)
            c = conc * (r - f)
            accept = ((c * (2 - c) - u2) > 0) | (_ag.log(c / u2) + 1 - c >= 0)
            x = (u3 - 0.5).sign() * _ag.acos(f.clamp(min=-1.0, max=1.0))
            first = _ag.argmax(accept.astype(_ag.int8), dim=-1, keepdim=True)
            x = _ag.gather(x, -1, first)
            x = _ag.where(accept.any(-1, keepdim=True), x, 0.0)
            out = (x + math.pi + loc) % (2 * math.pi) - math.pi
            return out.squeeze(-1)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @lazy_property
    def variance(self):
        return 1 - (_log_i1(self.concentration) - _log_i0(self.concentration)).exp()
