"""`arraygrad.autograd.forward_ad`: PyTorch's forward-mode AD API (dual tensors).

    with forward_ad.dual_level():
        x = forward_ad.make_dual(primal, tangent)
        y = f(x)
        jvp = forward_ad.unpack_dual(y).tangent      # J_f(primal) @ tangent

arraygrad computes tangents by reverse mode, twice (the double-vjp trick, as `func.jvp`):
a dual tensor is a recorded alias of its primal, and `unpack_dual(y)` finds J @ t as the
derivative of <vjp(u), t> with respect to the cotangent u. So every differentiable function
works with dual tensors, to any order; the cost is two backward passes per unpack (not one
forward pass along the way), and a dual tensor requires grad (PyTorch's need not).
"""

from __future__ import annotations

import contextvars
from typing import NamedTuple

from .._dispatch import Tensor, check_tensor

__all__ = ["dual_level", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual",
           "UnpackedDualTensor"]

# the open levels, innermost last: each a list of (dual tensor, tangent)
_LEVELS: contextvars.ContextVar[tuple] = contextvars.ContextVar("arraygrad_dual_levels", default=())


class UnpackedDualTensor(NamedTuple):
    primal: Tensor
    tangent: Tensor | None


def enter_dual_level() -> int:
    """Open a new forward-AD level; returns its index."""
    levels = _LEVELS.get()
    _LEVELS.set(levels + ([],))
    return len(levels)


def exit_dual_level(*, level: int | None = None) -> None:
    """Close the innermost level (its dual tensors lose their tangents)."""
    levels = _LEVELS.get()
    if not levels:
        raise RuntimeError("exit_dual_level: no forward-AD level is open")
    if level is not None and level != len(levels) - 1:
        raise RuntimeError(f"exit_dual_level: trying to exit level {level}, but the current level is "
                           f"{len(levels) - 1}")
    _LEVELS.set(levels[:-1])


class dual_level:
    """Context manager for a forward-AD level: make_dual and unpack_dual work inside it."""

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc) -> bool:
        exit_dual_level()
        return False


def _level(level, fname):
    levels = _LEVELS.get()
    if not levels:
        raise RuntimeError(f"{fname}: forward AD needs an open level: call it inside "
                           "`with arraygrad.autograd.forward_ad.dual_level():`")
    if level is None:
        return levels[-1]
    if not 0 <= level < len(levels):
        raise RuntimeError(f"{fname}: level {level} is not open ({len(levels)} open)")
    return levels[level]


def make_dual(tensor, tangent, *, level=None) -> Tensor:
    """`tensor` carrying `tangent` (the same shape; a floating or complex dtype) at the level."""
    duals = _level(level, "make_dual")
    check_tensor(tensor, "make_dual", "tensor")
    check_tensor(tangent, "make_dual", "tangent")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError(f"make_dual: expected tangent to have the same shape as tensor {tuple(tensor.shape)}, "
                           f"got {tuple(tangent.shape)}")
    if tensor.dtype.kind not in "fc" or tangent.dtype.kind not in "fc":
        raise TypeError(f"make_dual: tensor and tangent must be floating point or complex, got {tensor.dtype} "
                        f"and {tangent.dtype}")
    if tensor.requires_grad:  # stay in the graph of `tensor` (reverse mode goes through it)
        dual = tensor.view_as(tensor)
    else:
        dual = tensor.detach().requires_grad_()
    # (dual, tangent, whether the tangent must differentiate: PyTorch's does when the primal or
    # the tangent requires grad)
    duals.append((dual, tangent if tangent.requires_grad else tangent.detach(),
                  tensor.requires_grad or tangent.requires_grad))
    return dual


def unpack_dual(tensor, *, level=None) -> UnpackedDualTensor:
    """(the primal, the tangent: J @ the tangents of the dual tensors it was computed from,
    or None when it depends on none of them)."""
    from .engine import grad

    levels = _LEVELS.get()
    if not levels or not isinstance(tensor, Tensor):
        return UnpackedDualTensor(tensor, None)
    duals = _level(level, "unpack_dual")
    for dual, tangent, _ in duals:
        if dual is tensor:
            return UnpackedDualTensor(tensor, tangent)
    if not tensor.requires_grad or not duals:
        return UnpackedDualTensor(tensor, None)
    from .._dispatch import grad_enabled
    from .._ops.creation import zeros_like
    from .grad_mode import enable_grad

    outer_grad_mode = grad_enabled()
    with enable_grad():
        u = zeros_like(tensor).requires_grad_()  # the cotangent: vjp(u) is linear in it
        vjps = grad([tensor], [d for d, _, _ in duals], [u], create_graph=True, allow_unused=True)
        pairs = [(g, t, d) for g, (_, t, d) in zip(vjps, duals) if g is not None and g.requires_grad]
        if not pairs:
            return UnpackedDualTensor(tensor, None)
        # the tangent differentiates again (reverse over forward) where PyTorch's would: when a
        # primal or tangent it comes from requires grad
        (tangent,) = grad([g for g, _, _ in pairs], [u], [t for _, t, _ in pairs], allow_unused=True,
                          create_graph=outer_grad_mode and any(d for _, _, d in pairs))
    if tangent is None:
        tangent = zeros_like(tensor)
    return UnpackedDualTensor(tensor, tangent)
