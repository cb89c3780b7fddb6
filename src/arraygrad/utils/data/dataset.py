"""`arraygrad.utils.data.dataset`: PyTorch's module path for the datasets (older code imports
them from here); they live in `arraygrad.utils.data`."""

from . import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset, Subset, TensorDataset,
               random_split)

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "StackDataset", "ConcatDataset", "ChainDataset",
           "Subset", "random_split"]
