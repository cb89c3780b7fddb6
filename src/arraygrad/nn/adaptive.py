"""`AdaptiveLogSoftmaxWithLoss`: Grave et al.'s adaptive softmax (arXiv:1609.04309), PyTorch's
module with the same submodules (`head`, `tail.<i>.{0,1}`), so state dicts carry over.

The frequent classes (below cutoffs[0]) and one entry per tail cluster share the head's
log-softmax; a class in cluster i adds the log-softmax of the cluster's two-layer projection.
Composed from differentiable functions (linear, log_softmax, take, take_along_axis, concat),
so autograd and higher orders come for free. Each cluster's projection runs only on the rows
whose target falls in it, as PyTorch's.
"""

from __future__ import annotations

from itertools import pairwise
from typing import NamedTuple

import arraygrad as _ag

from .._dispatch import Tensor
from . import functional as F
from .containers import ModuleList, Sequential
from .layers import Linear
from .module import Module

__all__ = ["AdaptiveLogSoftmaxWithLoss"]


class _ASMoutput(NamedTuple):
    output: Tensor
    loss: Tensor


class AdaptiveLogSoftmaxWithLoss(Module):
    """Adaptive softmax over n_classes split at `cutoffs` (increasing, in [1, n_classes - 1]):
    forward(input, target) returns (output: each row's target log-probability, loss: their
    negated mean); `log_prob(input)` gives every class's, `predict(input)` the most likely.
    Cluster i's projection has in_features // div_value**(i + 1) hidden units."""

    def __init__(self, in_features: int, n_classes: int, cutoffs, div_value: float = 4.0, head_bias: bool = False,
                 device=None, dtype=None) -> None:
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted in an increasing "
                             f"order, where each value is between 1 and n_classes-1 (n_classes={n_classes}), "
                             f"got {cutoffs}")
        self.in_features, self.n_classes = in_features, n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value, self.head_bias = div_value, head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        factory = {"device": device, "dtype": dtype}
        self.head = Linear(in_features, self.head_size, bias=head_bias, **factory)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hsz = int(in_features // (div_value ** (i + 1)))
            osz = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(Linear(in_features, hsz, bias=False, **factory),
                                        Linear(hsz, osz, bias=False, **factory)))

    def reset_parameters(self) -> None:
        self.head.reset_parameters()
        for i2h, h2o in self.tail:
            i2h.reset_parameters()
            h2o.reset_parameters()

    def forward(self, input_, target_) -> _ASMoutput:
        if target_.ndim == 1:
            if input_.shape[0] != target_.shape[0]:
                raise RuntimeError("AdaptiveLogSoftmaxWithLoss: input and target should have the same size in the "
                                   f"batch dimension, got {input_.shape[0]} and {target_.shape[0]}")
            if input_.ndim != 2:
                raise RuntimeError("AdaptiveLogSoftmaxWithLoss: 1D target tensor expects 2D input tensors, but "
                                   f"found inputs with size {tuple(input_.shape)}")
        elif target_.ndim == 0:
            if input_.ndim != 1:
                raise RuntimeError("AdaptiveLogSoftmaxWithLoss: 0D target tensor expects 1D input tensors, but "
                                   f"found inputs with size {tuple(input_.shape)}")
        else:
            raise RuntimeError("AdaptiveLogSoftmaxWithLoss: 0D or 1D target tensor expected, multi-target not "
                               f"supported, got a {target_.ndim}D target")
        batched = target_.ndim > 0
        input = input_ if batched else input_[None]
        target = target_ if batched else target_[None]
        bounds = [0] + self.cutoffs
        rows, values = [], []  # each cluster's rows and their in-cluster log-probabilities
        gather = target
        used = 0
        for i, (low, high) in enumerate(pairwise(bounds)):
            mask = (target >= low) & (target < high)
            (idx,) = _ag.nonzero(mask)
            n = int(idx.shape[0])
            if n == 0:
                continue
            used += n
            rows.append(idx)
            if i == 0:
                values.append(_ag.zeros((n,), dtype=input.dtype, device=input.device))
                continue
            relative = _ag.take(target, idx, axis=0) - low
            cluster = F.log_softmax(self.tail[i - 1](_ag.take(input, idx, axis=0)), dim=1)
            values.append(_ag.take_along_axis(cluster, relative[:, None], axis=1)[:, 0])
            gather = _ag.where(mask, self.shortlist_size + i - 1, gather)
        if used != target.shape[0]:
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but values in range "
                               f"[{int(target.min())}, {int(target.max())}] were found. ")
        output = _ag.take(_ag.concat(values), _ag.argsort(_ag.concat(rows)), axis=0)
        head_logprob = F.log_softmax(self.head(input), dim=1)
        output = output + _ag.take_along_axis(head_logprob, gather[:, None], axis=1)[:, 0]
        loss = _ag.mean(-output)
        return _ASMoutput(output if batched else output[0], loss)

    def _get_full_log_prob(self, input, head_output):
        head_logprob = F.log_softmax(head_output, dim=1)
        parts = [head_logprob[:, :self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster = F.log_softmax(self.tail[i](input), dim=1)
            parts.append(cluster + head_logprob[:, self.shortlist_size + i][:, None])
        return _ag.concat(parts, axis=1)

    def log_prob(self, input):
        """The log-probabilities of all n_classes classes, (N, n_classes)."""
        return self._get_full_log_prob(input, self.head(input))

    def predict(self, input):
        """The most likely class of each row (log_prob(input).argmax(1), with the tail clusters
        evaluated only when some row's head prediction is a cluster)."""
        head_output = self.head(input)
        output = _ag.argmax(head_output, axis=1)
        outside = output >= self.shortlist_size
        if not bool(_ag.any(outside)):
            return output
        (idx,) = _ag.nonzero(outside)
        output[idx] = _ag.argmax(self._get_full_log_prob(_ag.take(input, idx, axis=0),
                                                         _ag.take(head_output, idx, axis=0)), axis=1)
        return output
