"""`arraygrad.func`: functional transforms (grad, vjp, jvp, jacobian, hessian, hvp)."""

from __future__ import annotations

__all__: list[str] = []
