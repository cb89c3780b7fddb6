"""`arraygrad.nn.utils`: gradient clipping (PyTorch's `torch.nn.utils.clip_grad_norm_` and
`clip_grad_value_`), applied in place to the parameters' `.grad`."""

from __future__ import annotations

import math

from .._autograd.grad_mode import no_grad
from .._dispatch import Tensor
from .._ops.elementwise import clip, isfinite
from .._ops.manipulation import stack
from ..linalg import vector_norm

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters, fname):
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{fname}: parameters must be Tensors, got {type(p).__name__} at {i}")
    return [p.grad for p in params if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite: bool = False,
                    foreach=None) -> Tensor:
    """Scale the gradients so that their joint `norm_type`-norm (all gradients seen as one
    vector) is at most `max_norm`; returns that norm, taken before scaling."""
    grads = _grads(parameters, "clip_grad_norm_")
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not grads:
        from .._ops.creation import asarray

        return asarray(0.0)
    with no_grad():
        total = vector_norm(stack([vector_norm(g, ord=norm_type) for g in grads]), ord=norm_type)
        if error_if_nonfinite and not bool(isfinite(total)):
            raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` "
                               "is non-finite, so it cannot be clipped. To disable this error and "
                               "scale the gradients by the non-finite norm anyway, set "
                               "`error_if_nonfinite=False`")
        # PyTorch's rule: always multiply, by at most 1 (no branch on the norm's value)
        coef = clip(max_norm / (total + 1e-6), max=1.0)
        for g in grads:
            g *= coef.astype(g.dtype)
    return total


def clip_grad_value_(parameters, clip_value, foreach=None) -> None:
    """Clamp every gradient element into [-clip_value, clip_value]."""
    clip_value = float(clip_value)
    if math.isnan(clip_value):
        raise ValueError("clip_grad_value_: clip_value must not be nan")
    with no_grad():
        for g in _grads(parameters, "clip_grad_value_"):
            g.clamp_(-clip_value, clip_value)
