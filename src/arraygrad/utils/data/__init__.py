"""`arraygrad.utils.data`: datasets and batching (PyTorch's `torch.utils.data`).

A `TensorDataset` (one whose `__getitem__` is not overridden) is batched by indexing its
tensors with a whole batch of indices at once (one gather per tensor per batch: the batch is a
copy, as PyTorch's stacked one); a dataset with `__getitems__` is read a batch at a time
through it; any other `Dataset` is read sample by sample and the samples stacked by
`default_collate`.
"""

from __future__ import annotations

import bisect
import collections.abc
import copy
import itertools
import math
import numbers
import threading
import types
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as _FutureTimeout
from typing import Callable

from ..._dispatch import ShapeError, Tensor
from ..._ops.creation import arange, asarray
from ..._ops.indexing import take
from ..._ops.manipulation import stack
from ..._dtypes import float64, int64
from ... import Generator, _random, multinomial, randint, randperm

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset", "random_split",
           "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler", "DataLoader", "default_collate", "get_worker_info", "WorkerInfo",
           "ChainDataset", "StackDataset", "default_convert", "DistributedSampler"]

_worker_local = threading.local()  # .info: this worker thread's WorkerInfo


class WorkerInfo:
    """What `get_worker_info()` tells code running in a DataLoader worker: its `id`
    (0 .. num_workers - 1), `num_workers`, `seed` and the loader's `dataset`."""

    def __init__(self, id: int, num_workers: int, seed: int, dataset):
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __repr__(self) -> str:
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, dataset={self.dataset!r})"


def get_worker_info():
    """The WorkerInfo of the DataLoader worker this runs in, or None outside the workers (in
    the main thread, where arraygrad also reads an IterableDataset: its stream is read once,
    so code that shards the stream by worker sees None and reads all of it)."""
    return getattr(_worker_local, "info", None)


class Dataset:
    """A map-style dataset: subclasses implement `__getitem__(index)` and `__len__()`.
    Generic, as PyTorch's: `class Pairs(Dataset[tuple[Tensor, int]])`."""

    __class_getitem__ = classmethod(types.GenericAlias)

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def __add__(self, other) -> "ConcatDataset":
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: subclasses implement `__iter__()`. A DataLoader batches them in
    the order they come (no sampler, no shuffle)."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} is iterable-style: iterate over it")

    def __len__(self) -> int:  # a stream has no length unless a subclass gives one
        raise TypeError(f"object of type '{type(self).__name__}' has no len()")

    def __add__(self, other) -> "ChainDataset":
        return ChainDataset([self, other])  # PyTorch's: one stream after the other


class ChainDataset(IterableDataset):
    """Several IterableDatasets' streams, one after another (chained as they are read)."""

    def __init__(self, datasets) -> None:
        self.datasets = datasets

    def _each(self):
        for i, d in enumerate(self.datasets):
            if not isinstance(d, IterableDataset):
                raise TypeError(f"ChainDataset only supports IterableDataset: datasets[{i}] is a "
                                f"{type(d).__name__} (use ConcatDataset for map-style datasets)")
            yield d

    def __iter__(self):
        for d in self._each():
            yield from d

    def __len__(self) -> int:
        return sum(len(d) for d in self._each())


class StackDataset(Dataset):
    """Datasets of one length side by side: sample i is (a[i], b[i], ...) for
    StackDataset(a, b, ...), or {"x": a[i], ...} for StackDataset(x=a, ...)."""

    def __init__(self, *args, **kwargs) -> None:
        if args and kwargs:
            raise ValueError("StackDataset: give the datasets either as positional arguments (samples "
                             "are tuples) or as keywords (samples are dicts), not both")
        if not args and not kwargs:
            raise ValueError("StackDataset: at least one dataset should be passed")
        self.datasets = args if args else kwargs
        named = list(kwargs.items()) if kwargs else [(f"args[{i}]", d) for i, d in enumerate(args)]
        self._length = len(named[0][1])
        for name, d in named:
            if len(d) != self._length:
                raise ValueError(f"StackDataset: size mismatch between datasets: {named[0][0]} has "
                                 f"{self._length} samples, {name} has {len(d)}")

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __len__(self) -> int:
        return self._length


class TensorDataset(Dataset):
    """Samples are the rows of tensors that share their first dimension:
    ``TensorDataset(images, labels)[i] == (images[i], labels[i])``."""

    def __init__(self, *tensors) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset: argument {i} is a {type(t).__name__}, not an "
                                "arraygrad Tensor")
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {i} is 0-d; samples are rows of the first axis")
        n = tensors[0].shape[0]
        if any(t.shape[0] != n for t in tensors):
            raise ValueError("Size mismatch between tensors: first dimensions are "
                             f"{[t.shape[0] for t in tensors]}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset, indices) -> None:
        self.dataset = dataset
        self.indices = list(indices)

    def __getitem__(self, index):
        if isinstance(index, list):  # a batch of positions: the dataset's own batch (PyTorch's)
            return self.dataset[[self.indices[i] for i in index]]
        if isinstance(index, tuple):
            return [self.dataset[self.indices[i]] for i in index]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices: list) -> list:
        """The samples at a batch of positions (the DataLoader's batched fetch), through the
        dataset's own __getitems__ where it has one."""
        picked = [self.indices[i] for i in indices]
        fetch = getattr(self.dataset, "__getitems__", None)
        return fetch(picked) if callable(fetch) else [self.dataset[i] for i in picked]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several datasets one after another."""

    def __init__(self, datasets) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if index < 0:
            if -index > len(self):
                raise ValueError("ConcatDataset: absolute value of index should not exceed dataset length")
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


def random_split(dataset, lengths, generator=None) -> list:
    """Split `dataset` into non-overlapping random Subsets of the given lengths, or of the
    given fractions of its length (the remainder going one by one to the first subsets)."""
    n = len(dataset)
    lengths = list(lengths)
    if lengths and all(0 <= f <= 1 for f in lengths) and math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n:
        raise ValueError("random_split: sum of input lengths does not equal the length of the input dataset!")
    order = randperm(n, generator=_as_generator(generator, "random_split")).tolist()
    bounds = list(itertools.accumulate(lengths))
    return [Subset(dataset, order[end - k:end]) for k, end in zip(lengths, bounds)]


def _as_generator(generator, fname):
    if isinstance(generator, int) and not isinstance(generator, bool):
        return Generator("cpu").manual_seed(generator)
    if generator is not None and not isinstance(generator, Generator):
        raise TypeError(f"{fname}: generator must be an arraygrad.Generator or an int seed, "
                        f"got {type(generator).__name__}")
    return generator


class Sampler:
    """An iterable of dataset indices (one epoch's order). Generic: `Sampler[int]`."""

    __class_getitem__ = classmethod(types.GenericAlias)

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


class SequentialSampler(Sampler):
    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation each epoch, or `num_samples` draws with replacement."""

    def __init__(self, data_source, replacement: bool = False, num_samples=None, generator=None) -> None:
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement should be a boolean value, but got replacement={replacement!r}")
        self.data_source, self.replacement = data_source, replacement
        self._num_samples = num_samples
        self.generator = _as_generator(generator, "RandomSampler")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"RandomSampler: num_samples should be a positive integer value, "
                             f"but got num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        if self.replacement:
            return iter(randint(0, n, (self.num_samples,), generator=self.generator).tolist())
        rounds = [randperm(n, generator=self.generator).tolist() for _ in range(-(-self.num_samples // n))]
        return iter(list(itertools.chain.from_iterable(rounds))[:self.num_samples])

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices, in a random order each epoch."""

    def __init__(self, indices, generator=None) -> None:
        self.indices = list(indices)
        self.generator = _as_generator(generator, "SubsetRandomSampler")

    def __iter__(self):
        return iter([self.indices[i] for i in randperm(len(self.indices), generator=self.generator).tolist()])

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """`num_samples` indices drawn with probabilities proportional to `weights`."""

    def __init__(self, weights, num_samples: int, replacement: bool = True, generator=None) -> None:
        if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0:
            raise ValueError(f"WeightedRandomSampler: num_samples should be a positive integer value, "
                             f"but got num_samples={num_samples}")
        self.weights = asarray(weights, dtype=float64)
        if self.weights.ndim != 1:
            raise ValueError(f"WeightedRandomSampler: weights should be a 1-D sequence, got shape "
                             f"{tuple(self.weights.shape)}")
        if not isinstance(replacement, bool):
            raise ValueError(f"WeightedRandomSampler: replacement should be a boolean value, but got "
                             f"replacement={replacement!r}")
        self.num_samples, self.replacement = num_samples, replacement
        self.generator = _as_generator(generator, "WeightedRandomSampler")

    def __iter__(self):
        return iter(multinomial(self.weights, self.num_samples, self.replacement,
                                generator=self.generator).tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Lists of `batch_size` indices from `sampler` (the last one shorter unless drop_last)."""

    def __init__(self, sampler, batch_size: int, drop_last: bool) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"BatchSampler: batch_size should be a positive integer value, "
                             f"but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"BatchSampler: drop_last should be a boolean value, but got drop_last={drop_last!r}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self):
        batch = []
        for i in self.sampler:
            batch.append(i)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


class DistributedSampler(Sampler):
    """The share of the dataset's indices that replica `rank` of `num_replicas` reads (PyTorch's
    DistributedSampler): the same permutation on every replica (seed + epoch: call
    `set_epoch` each epoch), padded by repeating its start to a multiple of num_replicas
    (or cut short with drop_last), then every num_replicas-th index from `rank`. arraygrad
    has no process groups: num_replicas defaults to 1 and rank to 0."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle: bool = True, seed: int = 0,
                 drop_last: bool = False) -> None:
        num_replicas = 1 if num_replicas is None else num_replicas
        rank = 0 if rank is None else rank
        if isinstance(num_replicas, bool) or not isinstance(num_replicas, int) or num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be a positive int, got {num_replicas!r}")
        if isinstance(rank, bool) or not isinstance(rank, int) or not 0 <= rank < num_replicas:
            raise ValueError(f"DistributedSampler: invalid rank {rank!r}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.shuffle, self.seed, self.drop_last, self.epoch = bool(shuffle), seed, bool(drop_last), 0
        n = len(dataset)
        if self.drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            order = randperm(n, generator=Generator("cpu").manual_seed(self.seed + self.epoch)).tolist()
        else:
            order = list(range(n))
        if self.drop_last:
            order = order[:self.total_size]
        else:
            pad = self.total_size - len(order)
            while pad > 0 and order:
                order += order[:pad]
                pad = self.total_size - len(order)
        return iter(order[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """The epoch whose permutation the next iteration draws (the same on every replica)."""
        self.epoch = epoch


def _stack_samples(batch: list):
    """stack(batch, axis=0), with PyTorch's RuntimeError where the samples' shapes differ (the
    usual cause: variable-length samples, which need a collate_fn that pads them)."""
    ref = tuple(batch[0].shape)
    for i, t in enumerate(batch):
        if isinstance(t, Tensor) and tuple(t.shape) != ref:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(ref)} at entry 0 "
                               f"and {list(t.shape)} at entry {i} (default_collate: samples of different "
                               "shapes need a collate_fn, e.g. one that pads them with "
                               "nn.utils.rnn.pad_sequence)")
    return stack(batch, axis=0)


def default_collate(batch: list):
    """Stack a list of samples into a batch: tensors are stacked on a new first axis, Python
    numbers become a tensor, tuples/lists and dicts are collated field by field."""
    if not batch:
        raise ValueError("default_collate: the batch is empty")
    first = batch[0]
    if isinstance(first, Tensor):
        return _stack_samples(batch)
    if isinstance(first, float):  # Python floats batch as float64, as PyTorch's
        return asarray(batch, dtype=float64)
    if isinstance(first, (bool, numbers.Number)):
        return asarray(batch)
    if hasattr(first, "__array__") or hasattr(first, "__dlpack__"):  # NumPy arrays and the like
        return _stack_samples([asarray(sample) for sample in batch])
    if isinstance(first, (str, bytes)):
        return batch if isinstance(batch, tuple) else list(batch)  # a field of tuple samples stays a tuple
    if isinstance(first, collections.abc.Mapping):
        return _same_container(first, {k: default_collate([sample[k] for sample in batch]) for k in first})
    if isinstance(first, collections.abc.Sequence):
        if any(len(sample) != len(first) for sample in batch):
            raise ShapeError("each element in list of batch should be of equal size (default_collate: "
                             "samples with different numbers of fields)")
        fields = [default_collate(f) for f in zip(*batch)]
        if isinstance(first, tuple):  # PyTorch's batches of (x, y) samples are lists [xb, yb]
            return type(first)(*fields) if hasattr(first, "_fields") else fields  # namedtuples stay
        return _same_container(first, fields)
    raise TypeError(f"default_collate: don't know how to batch samples of type {type(first).__name__}")


def default_convert(data):
    """PyTorch's default_convert (the collate_fn of a DataLoader with batch_size=None): NumPy
    arrays in `data` become tensors; tuples become lists (namedtuples stay); dicts and lists
    are converted element by element; anything else is returned as it is."""
    return _default_convert(data)


def _default_convert(sample):
    """PyTorch's default_convert, for unbatched samples: NumPy arrays become tensors, tuples
    lists (namedtuples stay), containers are converted element by element."""
    if isinstance(sample, Tensor) or isinstance(sample, (str, bytes)):
        return sample
    c = type(sample)
    if c.__name__ == "ndarray" and c.__module__ == "numpy" and sample.dtype.kind not in "OSUV":
        return asarray(sample)
    if c.__module__ == "numpy" and getattr(sample, "shape", None) == () and hasattr(sample, "dtype") \
            and sample.dtype.kind not in "OSUV":  # a NumPy scalar (np.float32(1)): a 0-d tensor
        return asarray(sample)
    if isinstance(sample, collections.abc.Mapping):
        return _same_container(sample, {k: _default_convert(sample[k]) for k in sample})
    if isinstance(sample, tuple):
        return type(sample)(*(_default_convert(v) for v in sample)) if hasattr(sample, "_fields") \
            else [_default_convert(v) for v in sample]
    if isinstance(sample, collections.abc.Sequence):
        return _same_container(sample, [_default_convert(v) for v in sample])
    return sample


def _same_container(like, items):
    """`items` (a dict or a list) in the container type of `like`, as PyTorch's collate: a
    mutable one copied (a defaultdict keeps its factory, a UserDict its attributes) and
    refilled, another rebuilt from the items, else the plain dict or list."""
    try:
        if isinstance(like, collections.abc.MutableMapping):
            clone = copy.copy(like)
            clone.update(items)
            return clone
        if isinstance(like, collections.abc.MutableSequence):
            clone = copy.copy(like)
            for i, v in enumerate(items):
                clone[i] = v
            return clone
        return type(like)(items)
    except TypeError:
        return items


class DataLoader:
    """Batches of a dataset: ``for x, y in DataLoader(TensorDataset(X, Y), batch_size=32,
    shuffle=True, generator=arraygrad.Generator().manual_seed(0))``.

    shuffle   a new random order every epoch (from `generator`, an arraygrad Generator or an
              int seed, else the default generator: `arraygrad.manual_seed` fixes it)
    drop_last skip the last batch when it is smaller than batch_size
    collate_fn  list of samples -> batch (default: `default_collate`); not used for a
              TensorDataset without a collate_fn, which is indexed a batch at a time
    num_workers  samples are read (dataset[i], collate_fn) by this many worker threads,
              `prefetch_factor` batches ahead each, and arrive in order. PyTorch uses
              processes; threads share the dataset (its __getitem__ must be thread-safe)
              and overlap file reads and NumPy work, which release the GIL. A TensorDataset
              without a collate_fn is sliced in the calling thread (one gather a batch).
              arraygrad's random functions called in a worker draw from a generator seeded
              per batch from the loader's seed, so they repeat under manual_seed; Python's
              `random` and NumPy's global generator are shared by the threads
    worker_init_fn(worker_id)  runs first in each worker; `timeout` (seconds, 0: none)
              bounds the wait for a batch; `persistent_workers` keeps the workers across
              epochs; `pin_memory` is accepted and changes nothing (arraygrad's host-to-GPU
              copies are CuPy's, which stages them itself)
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool = False,
                 sampler=None, batch_sampler=None, num_workers: int = 0,
                 collate_fn: Callable | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Callable | None = None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "", in_order: bool = True) -> None:
        if isinstance(dataset, IterableDataset):
            if shuffle:
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None or batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                                 "and batch_sampler options")
        elif not hasattr(dataset, "__getitem__") or not hasattr(dataset, "__len__"):
            raise TypeError(f"DataLoader: dataset must support len() and indexing, got "
                            f"{type(dataset).__name__}")
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int)
                                       or batch_size < 1):
            raise ValueError(f"DataLoader: batch_size must be a positive int or None, got {batch_size!r}")
        if batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if isinstance(generator, int) and not isinstance(generator, bool):
            generator = Generator("cpu").manual_seed(generator)
        elif generator is not None and not isinstance(generator, Generator):
            raise TypeError(f"DataLoader: generator must be an arraygrad.Generator or an int seed, "
                            f"got {type(generator).__name__}")
        if multiprocessing_context is not None and num_workers == 0:
            raise ValueError("DataLoader: multiprocessing_context can only be used with multi-process loading "
                             "(num_workers > 0), but got num_workers=0")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None or drop_last):
            raise ValueError("DataLoader: batch_sampler option is mutually exclusive with batch_size, "
                             "shuffle, sampler, and drop_last")
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be a non-negative int, got {num_workers!r}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("DataLoader: prefetch_factor option could only be specified with "
                             "num_workers > 0")
        if num_workers == 0 and persistent_workers:
            raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
        if prefetch_factor is None:
            prefetch_factor = 2
        if isinstance(prefetch_factor, bool) or not isinstance(prefetch_factor, int) or prefetch_factor < 1:
            raise ValueError(f"DataLoader: prefetch_factor must be a positive int, got {prefetch_factor!r}")
        if not isinstance(timeout, (int, float)) or timeout < 0:
            raise ValueError(f"DataLoader: timeout option should be non-negative, got {timeout!r}")
        if worker_init_fn is not None and not callable(worker_init_fn):
            raise TypeError(f"DataLoader: worker_init_fn must be callable, got {type(worker_init_fn).__name__}")
        self.dataset = dataset
        # What the caller gave, for the fast paths; the attributes below are PyTorch's, filled
        # in as its DataLoader fills them (code reads len(loader.sampler), sampler.set_epoch)
        self._own_sampler, self._own_batch_sampler = sampler is not None, batch_sampler is not None
        self._own_collate = collate_fn is not None
        self.batch_size = None if batch_sampler is not None else batch_size
        if not isinstance(dataset, IterableDataset):
            if sampler is None:
                sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
            if batch_sampler is None and batch_size is not None:
                batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None or batch_size is not None else default_convert
        self.collate_fn = collate_fn
        self.generator = generator
        self.num_workers = num_workers
        self.multiprocessing_context = multiprocessing_context  # worker threads: no processes to start
        self.prefetch_factor = prefetch_factor if num_workers else None  # PyTorch's None without workers
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.persistent_workers = bool(persistent_workers)
        self.pin_memory = bool(pin_memory)
        self.in_order = bool(in_order)  # batches always arrive in order here: in_order=False allows it
        self._workers = None  # the persistent pool
        self._initialized = True

    def __setattr__(self, name, value):
        # PyTorch's guard: these decide the batches, which were worked out from them above
        if name in _FIXED_LOADER_ATTRIBUTES and self.__dict__.get("_initialized"):
            raise ValueError(f"{name} attribute should not be set after {type(self).__name__} is initialized")
        object.__setattr__(self, name, value)

    def __len__(self) -> int:
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)  # TypeError where the stream has no length, as PyTorch
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
        if self._own_batch_sampler:
            return len(self.batch_sampler)
        n = len(self.sampler) if self._own_sampler else len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self):
        """This epoch's sample order: a CPU index tensor, or None for 0 .. n-1."""
        if self._own_sampler:
            return asarray(list(self.sampler), dtype=int64)
        if not self.shuffle:
            return None
        return randperm(len(self.dataset), generator=self.generator)

    def _iterable_batches(self):
        """Batches of an IterableDataset, in the order its samples come."""
        it = iter(self.dataset)
        if self.batch_size is None:
            for sample in it:
                yield self.collate_fn(sample)
            return
        collate = self.collate_fn
        while True:
            batch = list(itertools.islice(it, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield collate(batch)

    def __iter__(self):
        return _LoaderIterator(self, self._batches())

    def _batches(self):
        if isinstance(self.dataset, IterableDataset):
            yield from self._iterable_batches()
            return
        if self._own_batch_sampler:
            yield from self._sampled_batches()
            return
        order = self._order()
        n = len(self.dataset) if order is None else order.shape[0]
        indices = range(n) if order is None else order.tolist()
        if self.batch_size is None:  # samples one by one, not batched
            dataset, convert = self.dataset, self.collate_fn

            def load(i):
                return convert(dataset[i])

            jobs = iter(indices)
        else:
            bs = self.batch_size
            stop = n - n % bs if self.drop_last else n
            if self._batched_by_indexing():
                yield from self._tensor_batches(order, stop, bs)
                return
            load = self._batch_loader()
            jobs = (indices[start:start + bs] for start in range(0, stop, bs))
        if self.num_workers == 0:
            for job in jobs:
                yield load(job)
        else:
            yield from self._in_workers(load, jobs)

    def _batched_by_indexing(self) -> bool:
        """Whether batches are the TensorDataset's tensors indexed by a batch of indices: its
        own __getitem__ (a subclass's runs per sample) and the default collate."""
        return (isinstance(self.dataset, TensorDataset) and not self._own_collate
                and type(self.dataset).__getitem__ is TensorDataset.__getitem__)

    def _batch_loader(self):
        """batch indices -> batch: the dataset's __getitems__ where it has one (PyTorch's
        batched fetch), else its samples one by one; then the collate_fn."""
        collate, dataset = self.collate_fn, self.dataset
        fetch = getattr(dataset, "__getitems__", None)

        def load(batch_indices):
            return collate(fetch(batch_indices) if fetch else [dataset[i] for i in batch_indices])

        return load

    def _sampled_batches(self):
        """The batch_sampler's batches (lists of indices)."""
        if self._batched_by_indexing():
            for batch in self.batch_sampler:
                key = asarray(list(batch), dtype=int64)
                yield [take(t, key.to_device(t.device), axis=0) for t in self.dataset.tensors]
            return
        load = self._batch_loader()
        if self.num_workers == 0:
            for batch in self.batch_sampler:
                yield load(batch)
        else:
            yield from self._in_workers(load, iter(self.batch_sampler))

    def _in_workers(self, load, jobs):
        """load(job) for each job on the worker threads, `prefetch_factor` jobs ahead per
        worker; results in the jobs' order (a worker's exception is raised here). Job k
        draws arraygrad's default CPU randomness from a generator seeded base_seed + k: which
        thread runs a job varies from run to run, its random numbers do not (PyTorch seeds
        each worker process, whose jobs come round-robin)."""
        base_seed = int(randint(0, 2 ** 62, (1,), generator=self.generator).item())  # as PyTorch, per epoch
        pool = self._workers or self._start_workers(base_seed)
        pending = deque()
        window = self.num_workers * self.prefetch_factor
        try:
            for k, job in enumerate(jobs):
                pending.append(pool.submit(_seeded_job, load, job, base_seed + k))
                if len(pending) >= window:
                    yield self._result(pending.popleft())
            while pending:
                yield self._result(pending.popleft())
        finally:  # also when the loop over the loader stops early
            for f in pending:
                f.cancel()
            if not self.persistent_workers:
                pool.shutdown(wait=False, cancel_futures=True)

    def _start_workers(self, base_seed: int):
        ids = itertools.count()
        init, n, dataset = self.worker_init_fn, self.num_workers, self.dataset

        def start():
            i = next(ids)
            _worker_local.info = WorkerInfo(i, n, base_seed + i, dataset)
            if init is not None:
                init(i)

        pool = ThreadPoolExecutor(self.num_workers, thread_name_prefix="arraygrad-DataLoader",
                                  initializer=start)
        if self.persistent_workers:
            self._workers = pool
        return pool

    def __del__(self):
        pool = self.__dict__.get("_workers")
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def _result(self, future):
        try:
            return future.result(timeout=self.timeout or None)
        except _FutureTimeout:
            raise RuntimeError(f"DataLoader timed out after {self.timeout} seconds") from None

    def _tensor_batches(self, order, stop, bs):
        tensors = self.dataset.tensors
        if order is None:  # gathered all the same: a batch is a copy, never a view of the data
            order = arange(stop, dtype=int64)
        keys = {}  # the order on each device the tensors live on (moved once per epoch)
        for start in range(0, stop, bs):
            end = min(start + bs, stop)
            batch = []
            for t in tensors:
                key = keys.get(t.device)
                if key is None:
                    key = keys[t.device] = order.to_device(t.device)
                batch.append(take(t, key[start:end], axis=0))
            yield batch


_FIXED_LOADER_ATTRIBUTES = frozenset(("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                                      "persistent_workers"))


class _LoaderIterator:
    """An epoch's batches: an iterator that also knows how many (len(iter(loader)), as
    PyTorch's loader iterators)."""

    __slots__ = ("_loader", "_batches")

    def __init__(self, loader, batches):
        self._loader, self._batches = loader, batches

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._batches)

    def __len__(self) -> int:
        return len(self._loader)


def _seeded_job(load, job, seed: int):
    """load(job) on a worker thread, arraygrad's default CPU randomness drawn from `seed`."""
    _random.worker_default.generator = Generator("cpu").manual_seed(seed)
    try:
        return load(job)
    finally:
        _random.worker_default.generator = None


from . import dataloader, dataset, distributed, sampler  # noqa: E402  PyTorch's submodule paths, after the names they hold
