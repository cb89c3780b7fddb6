"""`arraygrad.utils.data.dataloader`: PyTorch's module path for the loader and its collation
(`from torch.utils.data.dataloader import default_collate`); they live in `arraygrad.utils.data`."""

from . import DataLoader, default_collate, default_convert, get_worker_info

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]
