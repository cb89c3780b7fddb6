"""`arraygrad.utils.data.distributed`: PyTorch's module path for DistributedSampler
(`from torch.utils.data.distributed import DistributedSampler`); it lives in `arraygrad.utils.data`."""

from . import DistributedSampler

__all__ = ["DistributedSampler"]
