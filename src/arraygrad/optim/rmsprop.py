"""RMSprop and Adagrad: per-element step sizes from running squared gradients."""

from __future__ import annotations

from .optimizer import (Optimizer, advance_step, array_of, check_setting, lr_of, scalar_state, step_gradient,
                        store, zeros_state)

__all__ = ["RMSprop", "Adagrad"]


class RMSprop(Optimizer):
    """Hinton's RMSprop, as PyTorch computes it: with g = grad (+ weight_decay * p),
    v = alpha v + (1 - alpha) g^2, denominator sqrt(v) + eps (centered: sqrt(v - mean(g)^2),
    the running mean taken the same way); p -= lr g / denominator, or with momentum
    buf = momentum buf + g / denominator, p -= lr buf."""

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, *,
                 maximize: bool = False, foreach=None, capturable: bool = False,
                 differentiable: bool = False) -> None:
        for name, value in (("learning rate", lr), ("epsilon value", eps), ("momentum value", momentum),
                            ("weight_decay value", weight_decay), ("alpha value", alpha)):
            check_setting(name, value, "RMSprop")
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                                      weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable))

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure's loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, alpha, eps, momentum = lr_of(group), group["alpha"], group["eps"], group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state.get(p)
                if not state:  # none yet (or an empty one that self.state[p] made)
                    state = self.state[p] = {"step": 0, "square_avg": zeros_state(p)}
                    if momentum > 0:
                        state["momentum_buffer"] = zeros_state(p)
                    if group["centered"]:
                        state["grad_avg"] = zeros_state(p)
                advance_step(state)
                g, _ = step_gradient(p, group)
                xp = p._backend.xp
                v = array_of(state["square_avg"])
                v *= alpha
                v += (1 - alpha) * (g * g)
                store(state["square_avg"], v)
                if group["centered"]:
                    m = array_of(state["grad_avg"])
                    m *= alpha
                    m += (1 - alpha) * g
                    store(state["grad_avg"], m)
                    denom = xp.sqrt(v - m * m)
                else:
                    denom = xp.sqrt(v)
                denom += eps
                pd = array_of(p)
                if momentum > 0:
                    buf = array_of(state["momentum_buffer"])
                    buf *= momentum
                    buf += g / denom
                    store(state["momentum_buffer"], buf)
                    pd -= lr * buf
                else:
                    pd -= lr * (g / denom)
                store(p, pd)
        return loss


class Adagrad(Optimizer):
    """Duchi et al.'s Adagrad, as PyTorch computes it: with g = grad (+ weight_decay * p),
    sum += g^2, p -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(sum) + eps)."""

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, *,
                 maximize: bool = False, foreach=None, differentiable: bool = False,
                 fused=None) -> None:
        for name, value in (("learning rate", lr), ("lr_decay value", lr_decay),
                            ("weight_decay value", weight_decay), ("epsilon value", eps),
                            ("initial_accumulator_value", initial_accumulator_value)):
            check_setting(name, value, "Adagrad")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      foreach=foreach, maximize=maximize, differentiable=differentiable,
                                      fused=fused))
        for group in self.param_groups:  # PyTorch creates the accumulators up front
            for p in group["params"]:
                self.state[p] = self._new_state(p)

    def _new_state(self, p) -> dict:
        # PyTorch fills with the constructor's initial_accumulator_value, for groups added
        # later too (their state is made at their first step)
        acc = zeros_state(p)
        value = self.defaults["initial_accumulator_value"]
        if value:  # both parts of a complex accumulator (PyTorch's complex(value, value))
            acc._data += complex(value, value) if p._dtype.kind == "c" else value
        return {"step": scalar_state(0), "sum": acc}

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure's loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state.get(p)
                if not state:
                    state = self.state[p] = self._new_state(p)
                t = advance_step(state)
                g, _ = step_gradient(p, group)
                acc = array_of(state["sum"])
                acc += g * g
                store(state["sum"], acc)
                denom = p._backend.xp.sqrt(acc)
                denom += group["eps"]
                pd = array_of(p)
                pd -= (lr_of(group) / (1 + (t - 1) * group["lr_decay"])) * (g / denom)
                store(p, pd)
        return loss
