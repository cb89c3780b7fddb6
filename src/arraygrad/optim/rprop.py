"""Rprop (resilient backpropagation), as PyTorch computes it."""

from __future__ import annotations

from .._dispatch import wrap
from .optimizer import (Optimizer, advance_step, array_of, check_setting, lr_of, step_gradient, store,
                        zeros_state)

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Resilient backpropagation (Riedmiller & Braun, 1993), as PyTorch computes it: each
    element's step size is multiplied by etaplus where the gradient kept its sign, by
    etaminus where it flipped (and that gradient is then taken as 0), clamped to
    step_sizes; p -= sign(g) * step_size."""

    def __init__(self, params, lr: float = 1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 maximize: bool = False, foreach=None, capturable: bool = False,
                 differentiable: bool = False) -> None:
        check_setting("learning rate", lr, "Rprop")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Rprop: invalid eta values: {etas[0]}, {etas[1]} "
                             "(expected 0 < etaminus < 1 < etaplus)")
        super().__init__(params, dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes),
                                      foreach=foreach, maximize=maximize, differentiable=differentiable,
                                      capturable=capturable))

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure's loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            etaminus, etaplus = group["etas"]
            lo, hi = group["step_sizes"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                b = p._backend
                xp = b.xp
                state = self.state.get(p)
                if not state:  # none yet (or an empty one that self.state[p] made)
                    # p's shape and dtype, so that the state loads back into a fresh optimizer
                    # as it was saved; complex: lr + lr*j, both parts stepping (PyTorch's)
                    lr = lr_of(group)
                    size = wrap(xp.full_like(p._data, complex(lr, lr) if p._dtype.kind == "c" else lr), b)
                    state = self.state[p] = {"step": 0, "prev": zeros_state(p), "step_size": size}
                advance_step(state)
                g, _ = step_gradient(p, group)
                sign = xp.sign(g * array_of(state["prev"]))
                ones = xp.ones_like(g)
                factor = xp.where(sign > 0, ones * etaplus, xp.where(sign < 0, ones * etaminus, ones))
                size = xp.clip(array_of(state["step_size"]) * factor, lo, hi)
                store(state["step_size"], size)
                g = xp.where(sign < 0, xp.zeros_like(g), g)
                pd = array_of(p)
                pd -= xp.sign(g) * size
                store(p, pd)
                store(state["prev"], g)
        return loss
