"""`arraygrad.nn.parallel` (PyTorch's `torch.nn.parallel`): `DataParallel` on one device."""

from .data_parallel import DataParallel

__all__ = ["DataParallel"]
