"""`arraygrad.autograd`: PyTorch's autograd API over arraygrad tensors."""

from __future__ import annotations

from ._autograd.engine import backward, grad
from ._autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled, no_grad,
                                  set_grad_enabled)

__all__ = ["backward", "grad", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled"]
