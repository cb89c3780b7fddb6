"""`DataParallel` (PyTorch's `torch.nn.parallel.data_parallel`): without several accelerators
of one kind, PyTorch's wraps the module and calls it; arraygrad's always does (one device),
so code written for multi-GPU training runs unchanged. State dict keys gain the `module.`
prefix, as PyTorch's."""

from __future__ import annotations

from ..module import Module

__all__ = ["DataParallel"]


class DataParallel(Module):
    """Wraps `module` (`.module`); forward passes every argument through to it. device_ids,
    output_device and dim are accepted for PyTorch's signature; the work stays on one device."""

    def __init__(self, module, device_ids=None, output_device=None, dim: int = 0) -> None:
        super().__init__()
        self.module = module
        self.device_ids = []

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)

