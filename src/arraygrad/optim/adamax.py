"""Adam's relatives: Adamax (infinity norm), NAdam (Nesterov momentum) and RAdam
(rectified variance), as PyTorch computes them."""

from __future__ import annotations

import math

from .adam import check_adam_settings, update_moments
from .optimizer import (Optimizer, advance_step, array_of, check_setting, lr_of, read_scalar, scalar_state,
                        step_gradient, store, update_scalar, zeros_state)

__all__ = ["Adamax", "NAdam", "RAdam"]


class Adamax(Optimizer):
    """Adam with the infinity norm (Kingma & Ba, 2014, section 7): with g = grad
    (+ weight_decay * p), m = b1 m + (1 - b1) g,  u = max(b2 u, |g| + eps),
    p -= lr / (1 - b1^t) * m / u."""

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, *, maximize: bool = False, foreach=None, capturable: bool = False,
                 differentiable: bool = False) -> None:
        betas = check_adam_settings("Adamax", lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      foreach=foreach, maximize=maximize, differentiable=differentiable,
                                      capturable=capturable))

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure's loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, (b1, b2), eps = lr_of(group), group["betas"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state.get(p)
                if not state:  # none yet (or an empty one that self.state[p] made)
                    state = self.state[p] = {"step": 0, "exp_avg": zeros_state(p), "exp_inf": zeros_state(p)}
                t = advance_step(state)
                g, pd = step_gradient(p, group)
                xp = p._backend.xp
                m = array_of(state["exp_avg"])
                m *= b1
                m += (1 - b1) * g
                store(state["exp_avg"], m)
                u = array_of(state["exp_inf"])
                u *= b2
                u = xp.maximum(u, xp.abs(g) + eps)
                store(state["exp_inf"], u)
                pd -= (lr / (1 - b1 ** t)) * (m / u)
                store(p, pd)
        return loss


class NAdam(Optimizer):
    """Adam with Nesterov momentum (Dozat, 2016), as PyTorch computes it: momentum
    coefficients mu_t = b1 (1 - 0.96^(t psi) / 2) (psi = momentum_decay), their running
    product P_t; with m, v as in Adam and denominator sqrt(v / (1 - b2^t)) + eps,
    p -= lr (1 - mu_t) / (1 - P_t) g / denom + lr mu_{t+1} / (1 - P_t mu_{t+1}) m / denom.
    decoupled_weight_decay: AdamW-style decay (p *= 1 - lr weight_decay)."""

    _scalar_state = ("step", "mu_product")

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, maximize: bool = False, foreach=None,
                 capturable: bool = False,
                 differentiable: bool = False) -> None:
        betas = check_adam_settings("NAdam", lr, betas, eps, weight_decay)
        check_setting("momentum_decay value", momentum_decay, "NAdam")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                                      capturable=capturable,
                                      differentiable=differentiable))

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure's loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, (b1, b2), eps = lr_of(group), group["betas"], group["eps"]
            psi = group["momentum_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state.get(p)
                if not state:  # none yet (or an empty one that self.state[p] made)
                    state = self.state[p] = {"step": 0, "mu_product": scalar_state(1.0),
                                             "exp_avg": zeros_state(p), "exp_avg_sq": zeros_state(p)}
                t = advance_step(state)
                g, pd = step_gradient(p, group, group["decoupled_weight_decay"])
                mu = b1 * (1.0 - 0.5 * 0.96 ** (t * psi))
                mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
                prod = update_scalar(state, "mu_product", read_scalar(state["mu_product"]) * mu)
                m, v = update_moments(state, g, b1, b2)
                denom = p._backend.xp.sqrt(v / (1 - b2 ** t))
                denom += eps
                pd -= (lr * (1.0 - mu) / (1.0 - prod)) * (g / denom)
                pd -= (lr * mu_next / (1.0 - prod * mu_next)) * (m / denom)
                store(p, pd)
        return loss


class RAdam(Optimizer):
    """Rectified Adam (Liu et al., 2019), as PyTorch computes it: with m, v as in Adam,
    rho_inf = 2 / (1 - b2) - 1, rho_t = rho_inf - 2 t b2^t / (1 - b2^t); while rho_t <= 5
    p -= lr m / (1 - b1^t) (plain momentum), then
    p -= lr m / (1 - b1^t) * r_t sqrt(1 - b2^t) / (sqrt(v) + eps), r_t the rectification.
    decoupled_weight_decay: AdamW-style decay (p *= 1 - lr weight_decay)."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 maximize: bool = False, foreach=None, capturable: bool = False,
                 differentiable: bool = False) -> None:
        betas = check_adam_settings("RAdam", lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      differentiable=differentiable))

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure's loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, (b1, b2), eps = lr_of(group), group["betas"], group["eps"]
            rho_inf = 2 / (1 - b2) - 1
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state.get(p)
                if not state:  # none yet (or an empty one that self.state[p] made)
                    state = self.state[p] = {"step": 0, "exp_avg": zeros_state(p), "exp_avg_sq": zeros_state(p)}
                t = advance_step(state)
                g, pd = step_gradient(p, group, group["decoupled_weight_decay"])
                m, v = update_moments(state, g, b1, b2)
                bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
                rho_t = rho_inf - 2 * t * b2 ** t / bc2
                if rho_t > 5.0:
                    rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                    denom = p._backend.xp.sqrt(v)
                    denom += eps
                    pd -= (lr * rect * math.sqrt(bc2) / bc1) * (m / denom)
                else:
                    pd -= (lr / bc1) * m
                store(p, pd)
        return loss
