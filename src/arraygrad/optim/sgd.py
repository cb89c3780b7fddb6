"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from .._dispatch import wrap
from .optimizer import Optimizer, check_setting, lr_of, store

__all__ = ["SGD"]


class SGD(Optimizer):
    """PyTorch's SGD: with g = grad + weight_decay * p,
    buf = momentum * buf + (1 - dampening) * g (buf = g at the first step),
    p -= lr * (g + momentum * buf if nesterov else buf) (g itself without momentum)."""

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False, foreach=None,
                 differentiable: bool = False, fused=None) -> None:
        for name, value in (("learning rate", lr), ("momentum value", momentum),
                            ("weight_decay value", weight_decay), ("dampening", dampening)):
            check_setting(name, value, "SGD")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                                      foreach=foreach, differentiable=differentiable, fused=fused))

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure's loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, momentum, dampening = lr_of(group), group["momentum"], group["dampening"]
            weight_decay, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                d = p.grad._data
                if maximize:
                    d = -d
                if weight_decay:
                    d = d + weight_decay * p._data
                if momentum:
                    state = self.state.setdefault(p, {})
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        b = p._backend
                        buf = state["momentum_buffer"] = wrap(b.xp.asarray(d, copy=True), b)
                    else:
                        bd = buf._data
                        bd *= momentum
                        bd += (1 - dampening) * d
                        store(buf, bd)
                    d = d + momentum * buf._data if nesterov else buf._data
                pd = p._data
                pd -= lr * d
                store(p, pd)
        return loss
