"""ExponentialFamily: the base of distributions whose density is
p(x; theta) = exp(<t(x), theta> - F(theta) + k(x)) (PyTorch's
`torch.distributions.exp_family`); a subclass gives the natural parameters theta, the log
normalizer F and the carrier measure's mean E[k(x)], and gets its entropy from them."""

from __future__ import annotations

import arraygrad as _ag

from .distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """Subclasses define `_natural_params` (a tuple of tensors), `_log_normalizer(*params)`
    and `_mean_carrier_measure`; `entropy()` is then F(theta) - <theta, grad F(theta)> -
    E[k(x)], the gradient by autograd (differentiable again: create_graph)."""

    @property
    def _natural_params(self):
        raise NotImplementedError(f"{type(self).__name__} does not define _natural_params")

    def _log_normalizer(self, *natural_params):
        raise NotImplementedError(f"{type(self).__name__} does not define _log_normalizer")

    @property
    def _mean_carrier_measure(self):
        raise NotImplementedError(f"{type(self).__name__} does not define _mean_carrier_measure")

    def entropy(self):
        result = -self._mean_carrier_measure
        params = [p.detach().requires_grad_() for p in self._natural_params]
        with _ag.enable_grad():
            log_normalizer = self._log_normalizer(*params)
            gradients = _ag.autograd.grad(log_normalizer.sum(), params, create_graph=True)
        result = result + log_normalizer
        for p, g in zip(params, gradients):
            result = result - (p * g).reshape(tuple(self._batch_shape) + (-1,)).sum(-1)
        return result
