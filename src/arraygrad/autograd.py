"""`arraygrad.autograd`: PyTorch's autograd API over arraygrad tensors.

    backward, grad                     run the engine (accumulate into .grad / return gradients)
    no_grad, enable_grad, set_grad_enabled, inference_mode      grad modes (per thread)
    Function, once_differentiable      custom differentiable operations
    gradcheck, gradgradcheck           gradients against finite differences
    detect_anomaly, set_detect_anomaly record forward stacks, catch NaN gradients
    Variable                           the legacy wrapper: returns a Tensor
    functional                         jacobian, hessian, vjp, jvp, vhp, hvp (torch.autograd.functional)
    forward_ad                         dual tensors: dual_level, make_dual, unpack_dual

Conventions (complex gradients, what is differentiable) are in docs/autograd.md.
"""

from __future__ import annotations

import sys as _sys

from ._autograd import functional
from ._autograd.anomaly import (detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled,
                                set_detect_anomaly)
from ._autograd.engine import backward, grad
from ._autograd.function import (BackwardCFunction, Function, FunctionCtx, InplaceFunction,
                                 NestedIOFunction, once_differentiable)
from ._autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled,
                                  is_inference_mode_enabled, no_grad, set_grad_enabled)
from ._dispatch import Tensor as _Tensor

from ._autograd import function  # noqa: E402  (torch.autograd.function: Function, once_differentiable, ...)
from ._autograd import graph  # noqa: E402  (torch.autograd.graph: saved_tensors_hooks, save_on_cpu, ...)
from ._autograd import forward_ad  # noqa: E402  (torch.autograd.forward_ad: dual tensors)

# `import arraygrad.autograd.functional` / `from arraygrad.autograd.function import ...`
_sys.modules[__name__ + ".functional"] = functional
_sys.modules[__name__ + ".function"] = function
_sys.modules[__name__ + ".graph"] = graph
_sys.modules[__name__ + ".forward_ad"] = forward_ad


def __getattr__(name):
    # gradcheck works in NumPy: load it on first use, so `import arraygrad` imports no array library
    if name in ("GradcheckError", "gradcheck", "gradgradcheck"):
        from ._autograd import gradcheck as _gradcheck

        return getattr(_gradcheck, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["backward", "grad", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled", "is_inference_mode_enabled", "Function", "FunctionCtx",
           "BackwardCFunction", "InplaceFunction", "NestedIOFunction", "once_differentiable",
           "gradcheck", "gradgradcheck", "GradcheckError", "detect_anomaly", "set_detect_anomaly",
           "is_anomaly_enabled", "is_anomaly_check_nan_enabled", "Variable", "functional", "function", "graph",
           "forward_ad"]


class _VariableMeta(type):
    def __instancecheck__(cls, other):
        return isinstance(other, _Tensor)


class Variable(metaclass=_VariableMeta):
    """The pre-0.4 PyTorch wrapper, kept for old code: ``Variable(t, requires_grad=True)``
    returns a Tensor sharing `t`'s memory (a new leaf; `t` itself is unchanged), and every
    Tensor is an instance of Variable. `.data` works on the result as on any Tensor."""

    def __new__(cls, data=None, requires_grad: bool = False, volatile: bool = False):
        if data is None:
            from ._ops.creation import zeros

            return zeros((0,))
        if not isinstance(data, _Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        if not isinstance(requires_grad, bool):
            raise TypeError(f"Variable: requires_grad must be a bool, got {type(requires_grad).__name__}")
        if volatile:
            import warnings

            warnings.warn("volatile was removed (Variable.volatile is always False); use "
                          "`with arraygrad.no_grad():` instead.", UserWarning, stacklevel=2)
        out = data.detach()
        if requires_grad:
            out.requires_grad_(True)
        return out
