"""`Parameter`: a tensor that a `Module` registers as one of its learnable weights."""

from __future__ import annotations

from .._dispatch import Tensor, check_tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A Tensor that modules register as a parameter when assigned as an attribute.

    ``Parameter(data, requires_grad=True)`` shares `data`'s memory (like ``data.detach()``)
    and is always a leaf. Operations on it return plain Tensors.
    """

    __slots__ = ()

    def __new__(cls, data=None, requires_grad: bool = True):
        if data is None:
            from .._ops.creation import empty

            data = empty((0,))
        check_tensor(data, "Parameter", "data")
        p = data.detach()  # shares memory and the version counter, drops the history
        p.__class__ = cls  # same slots: the Tensor becomes a Parameter in place
        p.requires_grad = bool(requires_grad)
        return p

    def __init__(self, data=None, requires_grad: bool = True):
        pass  # everything happens in __new__

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
