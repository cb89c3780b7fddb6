"""The Gamma and Chi2 distributions, and the standard-gamma sampler the Beta, Dirichlet and
StudentT distributions share."""

from __future__ import annotations

from numbers import Number

import arraygrad as _ag
from arraygrad.special import digamma, gammainc, gammaln

from . import constraints
from .distribution import Distribution
from .utils import _standard_normal, _uniform, broadcast_all

__all__ = ["Gamma", "Chi2"]

_ROUNDS = 12  # Marsaglia-Tsang proposals per draw: P(all rejected) < 0.05 ** 12
_SERIES_TERMS = 300  # the lower incomplete gamma series (accurate for shapes up to ~1000)
_CF_TERMS = 120  # the upper incomplete gamma continued fraction (x > shape + 1)
_WILSON_HILFERTY_FROM = 1000.0  # shapes from here: an asymptotic gradient (relative error < 1e-5)


def _draw_standard_gamma(alpha):
    """Gamma(alpha, 1) samples of alpha's shape, with no gradient: Marsaglia and Tsang's
    method on alpha + 1 for alpha < 1 (then times U^(1/alpha)), vectorized over a fixed
    number of proposals (the first accepted one is taken), so no value is read."""
    with _ag.no_grad():
        alpha = alpha.detach()
        dtype, device = alpha.dtype, alpha.device
        shape = tuple(alpha.shape)
        small = alpha < 1
        a = _ag.where(small, alpha + 1, alpha)
        d = (a - 1.0 / 3.0).unsqueeze(-1)
        c = 1.0 / _ag.sqrt(9.0 * d)
        z = _standard_normal(shape + (_ROUNDS,), dtype, device)
        u = _uniform(shape + (_ROUNDS,), dtype, device)
        v = (1 + c * z) ** 3
        positive = v > 0
        v_safe = _ag.where(positive, v, 1.0)
        accept = positive & (_ag.log(u) < 0.5 * z * z + d - d * v_safe + d * _ag.log(v_safe))
        first = _ag.argmax(accept.astype(_ag.int8), dim=-1, keepdim=True)
        x = _ag.gather(d * v_safe, -1, first).squeeze(-1)
        any_accepted = accept.any(-1)
        x = _ag.where(any_accepted, x, d.squeeze(-1))  # never in practice
        boost = _uniform(shape, dtype, device) ** (1.0 / alpha)
        x = _ag.where(small, x * boost, x)
        return x.clamp(min=_ag.finfo(dtype).tiny)


def _standard_gamma_grad(x, alpha):
    """d x / d alpha for x ~ Gamma(alpha, 1) at fixed CDF value (implicit
    reparameterization): -dP(alpha, x)/dalpha / p(x; alpha), with P the regularized lower
    incomplete gamma function (a series for x <= alpha + 1, the continued fraction of Q = 1 - P
    differentiated numerically above; Wilson-Hilferty's approximation for alpha >= 1000)."""
    with _ag.no_grad():
        psi = digamma(alpha)
        # series: P = x^a e^-x / Gamma(a) * S, S = sum_n x^n / (a (a+1) ... (a+n))
        xs = _ag.where(x <= alpha + 1, x, alpha)
        term = 1.0 / alpha
        harmonic = 1.0 / alpha
        S = term
        dS = -term * harmonic
        for n in range(1, _SERIES_TERMS):
            term = term * xs / (alpha + n)
            harmonic = harmonic + 1.0 / (alpha + n)
            S = S + term
            dS = dS - term * harmonic
        grad_series = -xs * (S * (_ag.log(xs) - psi) + dS)

        # continued fraction: Q = x^a e^-x / Gamma(a) * h(a); dx/da = x h (log x - psi + dlog h/da)
        xl = _ag.where(x > alpha + 1, x, alpha + 2)

        def cf(a):
            tiny = 1e-300
            b = xl + 1 - a
            cc = _ag.full_like(xl, 1 / tiny)
            dd = 1.0 / b
            h = dd
            for i in range(1, _CF_TERMS):
                an = -i * (i - a)
                b = b + 2
                dd = an * dd + b
                dd = _ag.where(dd.abs() < tiny, tiny, dd)
                cc = b + an / cc
                cc = _ag.where(cc.abs() < tiny, tiny, cc)
                dd = 1.0 / dd
                h = h * dd * cc
            return h

        step = 1e-5 * _ag.maximum(alpha, _ag.ones_like(alpha))
        h0 = cf(alpha)
        dlogh = (_ag.log(cf(alpha + step)) - _ag.log(cf(alpha - step))) / (2 * step)
        grad_cf = xl * h0 * (_ag.log(xl) - psi + dlogh)
        # large shapes (where the series would need more terms): Wilson and Hilferty's cube-root
        # normal approximation x = a w^3, w = 1 - 1/(9a) + z / (3 sqrt(a)), differentiated at fixed z
        a_big = alpha.clamp(min=1.0)
        w = (x / a_big) ** (1.0 / 3.0)
        z = (w - 1 + 1 / (9 * a_big)) * 3 * _ag.sqrt(a_big)
        dw = 1 / (9 * a_big ** 2) - z / (6 * a_big ** 1.5)
        grad_wh = w ** 3 + 3 * a_big * w ** 2 * dw
        grad = _ag.where(x <= alpha + 1, grad_series, grad_cf)
        return _ag.where(alpha >= _WILSON_HILFERTY_FROM, grad_wh, grad)


def _standard_gamma(alpha):
    """Reparameterized Gamma(alpha, 1) samples: the value of a draw, with the implicit
    gradient d x / d alpha attached (first order)."""
    x = _draw_standard_gamma(alpha)
    if not (alpha.requires_grad and _ag.is_grad_enabled()):
        return x
    dx = _standard_gamma_grad(x, alpha.detach())
    return x + (alpha - alpha.detach()) * dx


class Gamma(Distribution):
    """Gamma distribution with shape `concentration` and `rate` (mean concentration / rate)."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        if isinstance(concentration, Number) and isinstance(rate, Number):
            batch_shape = _ag.Size()
        else:
            batch_shape = self.concentration.shape
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Gamma, _instance)
        batch_shape = _ag.Size(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        new.rate = self.rate.expand(batch_shape)
        super(Gamma, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        value = _standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        return value.clamp(min=_ag.finfo(value.dtype).tiny)

    def log_prob(self, value):
        value = _ag.as_tensor(value, dtype=self.rate.dtype, device=self.rate.device)
        if self._validate_args:
            self._validate_sample(value)
        return (_ag.xlogy(self.concentration, self.rate) + _ag.xlogy(self.concentration - 1, value)
                - self.rate * value - gammaln(self.concentration))

    def entropy(self):
        return (self.concentration - _ag.log(self.rate) + gammaln(self.concentration)
                + (1.0 - self.concentration) * digamma(self.concentration))

    def cdf(self, value):
        value = _ag.as_tensor(value, dtype=self.rate.dtype, device=self.rate.device)
        if self._validate_args:
            self._validate_sample(value)
        return gammainc(self.concentration, self.rate * value)


class Chi2(Gamma):
    """Chi-squared distribution with `df` degrees of freedom: Gamma(df / 2, 1 / 2)."""

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None):
        (df,) = broadcast_all(df)
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Chi2, _instance)
        return super().expand(batch_shape, new)

    @property
    def df(self):
        return self.concentration * 2
