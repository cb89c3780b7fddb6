"""Adam and AdamW (decoupled weight decay), with optional AMSGrad."""

from __future__ import annotations

import math

from .optimizer import (Optimizer, advance_step, array_of, check_setting, lr_of, step_gradient, store,
                        zeros_state)

__all__ = ["Adam", "AdamW"]


def check_adam_settings(cls: str, lr, betas, eps, weight_decay) -> tuple:
    """ValueError for a bad setting of the Adam family; the betas as a tuple."""
    check_setting("learning rate", lr, cls)
    check_setting("epsilon value", eps, cls)
    check_setting("weight_decay value", weight_decay, cls)
    if not isinstance(betas, (tuple, list)):
        raise TypeError(f"{cls}: betas must be a pair of floats, got {type(betas).__name__} {betas!r}")
    if len(betas) != 2:
        raise ValueError(f"{cls}: betas must be a pair of floats, got {len(betas)}: {betas!r}")
    check_setting("beta parameter at index 0", betas[0], cls, 0.0, 1.0)
    check_setting("beta parameter at index 1", betas[1], cls, 0.0, 1.0)
    return tuple(betas)


def update_moments(state, g, b1, b2):
    """exp_avg (m) and exp_avg_sq (v) updated in place with gradient g; returns their arrays."""
    m = array_of(state["exp_avg"])
    m *= b1
    m += (1 - b1) * g
    store(state["exp_avg"], m)
    v = array_of(state["exp_avg_sq"])
    v *= b2
    v += (1 - b2) * (g * g)
    store(state["exp_avg_sq"], v)
    return m, v


class Adam(Optimizer):
    """Kingma & Ba (2014), as PyTorch computes it: with g = grad (+ weight_decay * p),
    m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2,
    p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
    (amsgrad: v replaced by its running maximum in the denominator)."""

    _decoupled = False  # AdamW: weight decay shrinks p directly instead of adding to g

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach=None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False, fused=None,
                 decoupled_weight_decay: bool = False) -> None:
        betas = check_adam_settings(type(self).__name__, lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=differentiable, fused=fused,
                                      decoupled_weight_decay=bool(decoupled_weight_decay)))

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure's loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, (b1, b2), eps = lr_of(group), group["betas"], group["eps"]
            amsgrad = group["amsgrad"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state.get(p)
                if not state:  # none yet (or an empty one that self.state[p] made)
                    state = self.state[p] = {"step": 0, "exp_avg": zeros_state(p),
                                             "exp_avg_sq": zeros_state(p)}
                    if amsgrad:
                        state["max_exp_avg_sq"] = zeros_state(p)
                t = advance_step(state)
                g, pd = step_gradient(p, group, group.get("decoupled_weight_decay", self._decoupled))
                m, v = update_moments(state, g, b1, b2)
                if amsgrad:
                    vmax = state["max_exp_avg_sq"]
                    store(vmax, p._backend.xp.maximum(array_of(vmax), v))
                    v = array_of(vmax)
                denom = p._backend.xp.sqrt(v)
                denom /= math.sqrt(1 - b2 ** t)
                denom += eps
                update = m / denom
                update *= lr / (1 - b1 ** t)
                pd -= update
                store(p, pd)
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019): p *= 1 - lr * weight_decay
    before the Adam step, instead of adding weight_decay * p to the gradient."""

    _decoupled = True

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False, foreach=None,
                 capturable: bool = False, differentiable: bool = False, fused=None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize, foreach=foreach,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
