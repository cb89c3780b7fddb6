"""ASGD (averaged stochastic gradient descent), as PyTorch computes it."""

from __future__ import annotations

from .optimizer import (Optimizer, advance_step, array_of, check_setting, lr_of, read_scalar, scalar_state,
                        step_gradient, store, update_scalar, zeros_state)

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """Averaged SGD (Polyak & Juditsky, 1992), as PyTorch computes it: with g = grad
    (+ weight_decay * p), p = p (1 - lambd eta) - eta g; the average ax follows p
    (ax += mu (p - ax)); then eta = lr / (1 + lambd lr t)^alpha, mu = 1 / max(1, t - t0)."""

    _scalar_state = ("step", "eta", "mu")

    def __init__(self, params, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0, *, maximize: bool = False, foreach=None,
                 capturable: bool = False,
                 differentiable: bool = False) -> None:
        check_setting("learning rate", lr, "ASGD")
        check_setting("weight_decay value", weight_decay, "ASGD")
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                                      foreach=foreach, maximize=maximize, differentiable=differentiable,
                                      capturable=capturable))

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure's loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, lambd, alpha, t0 = lr_of(group), group["lambd"], group["alpha"], group["t0"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state.get(p)
                if not state:  # none yet (or an empty one that self.state[p] made)
                    state = self.state[p] = {"step": 0, "eta": scalar_state(lr), "mu": scalar_state(1.0),
                                             "ax": zeros_state(p)}
                t = advance_step(state)
                g, _ = step_gradient(p, group)
                eta, mu = read_scalar(state["eta"]), read_scalar(state["mu"])
                pd = array_of(p)
                pd *= 1 - lambd * eta
                pd -= eta * g
                store(p, pd)
                ax = state["ax"]
                if mu != 1:
                    a = array_of(ax)
                    a += mu * (pd - a)
                    store(ax, a)
                else:
                    store(ax, p._backend.xp.asarray(pd, copy=True))
                update_scalar(state, "eta", lr / ((1 + lambd * lr * t) ** alpha))
                update_scalar(state, "mu", 1 / max(1, t - t0))
        return loss
