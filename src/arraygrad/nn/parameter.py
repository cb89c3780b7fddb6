"""`Parameter`: a tensor that a `Module` registers as one of its learnable weights."""

from __future__ import annotations

from .._dispatch import Tensor, check_tensor

__all__ = ["Parameter", "Buffer"]


class Parameter(Tensor):
    """A Tensor that modules register as a parameter when assigned as an attribute.

    ``Parameter(data, requires_grad=True)`` shares `data`'s memory (like ``data.detach()``)
    and is always a leaf. Operations on it return plain Tensors.
    """

    __slots__ = ()
    _deepcopy_drops_grad = True  # copy.deepcopy(model): the copy's parameters have no .grad

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


class Buffer(Tensor):
    """A Tensor that modules register as a buffer when assigned as an attribute (PyTorch 2.5's
    `nn.Buffer`): state that is not learned, such as running statistics.

    ``Buffer(data, persistent=True)`` shares `data`'s memory (like ``data.detach()``, keeping
    its `requires_grad`); a non-persistent buffer stays out of the module's state dict. The
    flag lives in the class (tensors have no attribute dict): `persistent` reads it.
    """

    __slots__ = ()
    persistent = True

    def __new__(cls, data=None, *, persistent: bool = True):
        if data is None:
            from .._ops.creation import empty

            data = empty((0,))
        check_tensor(data, "Buffer", "data")
        b = data.detach()
        b.requires_grad = data.requires_grad
        b.__class__ = Buffer if persistent else _NonPersistentBuffer  # same slots as Tensor
        return b

    def __init__(self, data=None, *, persistent: bool = True):
        pass  # everything happens in __new__


class _NonPersistentBuffer(Buffer):
    __slots__ = ()
    persistent = False


def __getattr__(name):
    # PyTorch's nn.parameter also holds the lazy modules' placeholders; they live in .lazy,
    # which imports this module (hence resolved on first use)
    if name in ("UninitializedParameter", "UninitializedBuffer", "is_lazy"):
        from . import lazy

        return getattr(lazy, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
