"""The Categorical distribution."""

from __future__ import annotations

import arraygrad as _ag

from . import constraints
from .distribution import Distribution
from .utils import _uniform, broadcast_tensors, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Categorical"]


class Categorical(Distribution):
    """Categorical distribution over {0, ..., K-1}, parameterized by `probs` (non-negative,
    normalized over the last dim) or `logits` (unnormalized log-probabilities)."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(constraints.real, 1)}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.ndim < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            if logits.ndim < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.shape[-1]
        batch_shape = self._param.shape[:-1] if self._param.ndim > 1 else _ag.Size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Categorical, _instance)
        batch_shape = _ag.Size(batch_shape)
        param_shape = batch_shape + _ag.Size((self._num_events,))
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(param_shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(param_shape)
            new._param = new.logits
        new._num_events = self._num_events
        super(Categorical, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _new(self, *args, **kwargs):
        return self._param.new_tensor(*args, **kwargs)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits)

    @property
    def param_shape(self):
        return self._param.shape

    @property
    def mean(self):
        return _ag.full(tuple(self._extended_shape()), float("nan"), dtype=self.probs.dtype,
                        device=self.probs.device)

    @property
    def mode(self):
        return self.probs.argmax(dim=-1)

    @property
    def variance(self):
        return _ag.full(tuple(self._extended_shape()), float("nan"), dtype=self.probs.dtype,
                        device=self.probs.device)

    def sample(self, sample_shape=()):
        """Inverse-CDF sampling: one uniform per draw, compared with the cumulative probs
        (arraygrad's multinomial checks its weights on the host; this reads no values)."""
        shape = self._extended_shape(sample_shape)
        with _ag.no_grad():
            probs = self.probs.detach()
            cdf = _ag.cumsum(probs, dim=-1)
            u = _uniform(tuple(shape) + (1,), probs.dtype, probs.device) * cdf[..., -1:]
            idx = (cdf <= u).astype(_ag.int64).sum(-1)
            return idx.clamp(max=self._num_events - 1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = value.astype(_ag.int64).unsqueeze(-1)
        value, log_pmf = broadcast_tensors(value, self.logits)
        value = value[..., :1]
        return _ag.gather(log_pmf, -1, value).squeeze(-1)

    def entropy(self):
        min_real = _ag.finfo(self.logits.dtype).min
        logits = self.logits.clamp(min=min_real)
        p_log_p = logits * self.probs
        return -p_log_p.sum(-1)

    def enumerate_support(self, expand=True):
        num_events = self._num_events
        values = _ag.arange(num_events, dtype=_ag.int64, device=self._param.device)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((num_events,) + tuple(self._batch_shape))
        return values
