"""Adadelta, as PyTorch computes it."""

from __future__ import annotations

from .optimizer import (Optimizer, advance_step, array_of, check_setting, lr_of, step_gradient, store,
                        zeros_state)

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Zeiler (2012): with g = grad (+ weight_decay * p), v = rho v + (1 - rho) g^2,
    delta = sqrt(u + eps) / sqrt(v + eps) * g,  u = rho u + (1 - rho) delta^2,
    p -= lr * delta."""

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, *, maximize: bool = False, foreach=None, capturable: bool = False,
                 differentiable: bool = False) -> None:
        check_setting("learning rate", lr, "Adadelta")
        check_setting("rho value", rho, "Adadelta")
        if rho > 1.0:
            raise ValueError(f"Adadelta: invalid rho value: {rho} (expected in [0.0, 1.0])")
        check_setting("epsilon value", eps, "Adadelta")
        check_setting("weight_decay value", weight_decay, "Adadelta")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                                      capturable=capturable, foreach=foreach,
                                      differentiable=differentiable))

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure's loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, rho, eps = lr_of(group), group["rho"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state.get(p)
                if not state:  # none yet (or an empty one that self.state[p] made)
                    state = self.state[p] = {"step": 0, "square_avg": zeros_state(p),
                                             "acc_delta": zeros_state(p)}
                advance_step(state)
                g, _ = step_gradient(p, group)
                sqrt = p._backend.xp.sqrt
                v = array_of(state["square_avg"])
                v *= rho
                v += (1 - rho) * (g * g)
                store(state["square_avg"], v)
                u = array_of(state["acc_delta"])
                delta = sqrt(u + eps)
                delta /= sqrt(v + eps)
                delta *= g
                u *= rho
                u += (1 - rho) * (delta * delta)
                store(state["acc_delta"], u)
                pd = array_of(p)
                pd -= lr * delta
                store(p, pd)
        return loss
