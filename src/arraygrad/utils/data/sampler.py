"""`arraygrad.utils.data.sampler`: PyTorch's module path for the samplers
(`from torch.utils.data.sampler import SubsetRandomSampler`); they live in `arraygrad.utils.data`."""

from . import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
               WeightedRandomSampler)

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler"]
