"""PyTorch-style Tensor methods (`view`, `add_`, `.to()`, `.item()`, ...), mixed into Tensor."""

from __future__ import annotations


class TorchTensorMethods:
    __slots__ = ()
