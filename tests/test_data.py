"""arraygrad.utils.data (src/arraygrad/utils/data.py): TensorDataset, DataLoader batching,
shuffling (seeded, a new order each epoch), drop_last, collation of generic datasets."""

from __future__ import annotations

import numpy as np
import pytest

import arraygrad as xp
from arraygrad.utils.data import DataLoader, Dataset, TensorDataset, default_collate


def host(t):
    return np.array(t, copy=True)


def make(n=10):
    x = xp.reshape(xp.arange(2 * n, dtype=xp.float32), (n, 2))
    return x, xp.arange(n)


def test_tensor_dataset():
    x, y = make()
    ds = TensorDataset(x, y)
    assert len(ds) == 10
    xi, yi = ds[3]
    assert host(xi).tolist() == [6.0, 7.0] and int(yi) == 3
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(x, xp.arange(9))
    with pytest.raises(TypeError, match="not an arraygrad Tensor"):
        TensorDataset(x, [1, 2])
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()


@pytest.mark.parametrize("drop_last, sizes", [(False, [4, 4, 2]), (True, [4, 4])])
def test_batches_in_order(drop_last, sizes):
    x, y = make()
    loader = DataLoader(TensorDataset(x, y), batch_size=4, drop_last=drop_last)
    batches = list(loader)
    assert len(loader) == len(sizes) and [b[1].shape[0] for b in batches] == sizes
    assert host(xp.concat([b[1] for b in batches])).tolist() == list(range(sum(sizes)))
    xb, yb = batches[0]
    assert xb.shape == (4, 2) and host(xb[:, 0] / 2).tolist() == host(yb).tolist()


def test_shuffle_is_seeded_and_changes_every_epoch():
    x, y = make(20)
    loader = DataLoader(TensorDataset(x, y), batch_size=6, shuffle=True, generator=xp.Generator().manual_seed(3))
    first = np.concatenate([host(b[1]) for b in loader])
    second = np.concatenate([host(b[1]) for b in loader])
    assert sorted(first) == list(range(20)) and sorted(second) == list(range(20))
    assert first.tolist() != second.tolist() and first.tolist() != list(range(20))
    again = DataLoader(TensorDataset(x, y), batch_size=6, shuffle=True, generator=3)
    assert np.concatenate([host(b[1]) for b in again]).tolist() == first.tolist()
    for xb, yb in loader:  # rows stay paired
        assert host(xb[:, 0] / 2).tolist() == host(yb).tolist()


def test_shuffle_follows_manual_seed():
    x, y = make(12)
    xp.manual_seed(7)
    a = [host(b[1]).tolist() for b in DataLoader(TensorDataset(x, y), batch_size=5, shuffle=True)]
    xp.manual_seed(7)
    b = [host(b[1]).tolist() for b in DataLoader(TensorDataset(x, y), batch_size=5, shuffle=True)]
    assert a == b


class Squares(Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return {"x": xp.asarray([float(i), float(i * i)]), "label": i, "name": f"s{i}"}


def test_generic_dataset_is_collated():
    batches = list(DataLoader(Squares(), batch_size=2))
    assert len(batches) == 3
    first = batches[0]
    assert first["x"].shape == (2, 2) and host(first["label"]).tolist() == [0, 1]
    assert first["name"] == ["s0", "s1"]


def test_custom_collate_and_unbatched():
    loader = DataLoader(Squares(), batch_size=3, collate_fn=lambda samples: len(samples))
    assert list(loader) == [3, 2]
    samples = list(DataLoader(Squares(), batch_size=None))
    assert len(samples) == 5 and samples[2]["label"] == 2


def test_default_collate():
    out = default_collate([(xp.ones(2), 1, 2.5), (xp.zeros(2), 2, 3.5)])
    assert isinstance(out, list) and out[0].shape == (2, 2)  # a list, as PyTorch's
    assert host(out[1]).tolist() == [1, 2] and host(out[2]).tolist() == [2.5, 3.5]
    assert default_collate([np.ones(3), np.zeros(3)]).shape == (2, 3)
    with pytest.raises(TypeError, match="don't know how to batch"):
        default_collate([object()])
    with pytest.raises(ValueError, match="different numbers of fields"):
        default_collate([(1, 2), (1,)])


def test_dataloader_argument_errors():
    x, y = make()
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(TensorDataset(x, y), batch_size=0)
    with pytest.raises(TypeError, match="generator"):
        DataLoader(TensorDataset(x, y), shuffle=True, generator="seed")
    with pytest.raises(TypeError, match="len"):
        DataLoader(42)


def test_dataset_base_class_requires_methods():
    with pytest.raises(NotImplementedError):
        Dataset()[0]


def test_batches_stay_on_the_dataset_device(backend):
    x = xp.ones((6, 2), device=backend.device)
    y = xp.arange(6, device=backend.device)
    for xb, yb in DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True, generator=0):
        assert xb.device == backend.device and yb.device == backend.device


# ----- worker threads (num_workers=, as in PyTorch tutorials' loaders) ----------------------
class _Slow(Dataset):
    """Reads take time (sleep releases the GIL, as file reads and NumPy work do)."""

    def __init__(self, n=12, delay=0.0, fail_at=None):
        self.n, self.delay, self.fail_at = n, delay, fail_at

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        import time

        time.sleep(self.delay)
        if i == self.fail_at:
            raise ValueError(f"sample {i} is unreadable")
        return xp.asarray([float(i)]), i


@pytest.mark.parametrize("batch_size", [4, 5, None])
@pytest.mark.parametrize("shuffle", [False, True])
def test_workers_give_the_same_batches_in_the_same_order(batch_size, shuffle):
    def batches(workers, dataset):
        loader = DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, num_workers=workers,
                            generator=7, **({"prefetch_factor": 1} if workers else {}))
        return [(np.asarray(x).tolist(), np.asarray(y).tolist()) for x, y in loader]

    for dataset in (_Slow(), TensorDataset(xp.arange(12.0), xp.arange(12))):
        assert batches(3, dataset) == batches(0, dataset)


def test_workers_read_concurrently():
    import threading

    class Counting(_Slow):
        lock, active, most = threading.Lock(), 0, 0

        def __getitem__(self, i):
            with self.lock:
                type(self).active += 1
                type(self).most = max(self.most, self.active)
            try:
                return super().__getitem__(i)
            finally:
                with self.lock:
                    type(self).active -= 1

    assert len(list(DataLoader(Counting(delay=0.05), batch_size=2, num_workers=4))) == 6
    assert Counting.most >= 2  # reads overlapped (serially it stays 1)
    Counting.most = 0
    list(DataLoader(Counting(delay=0.01), batch_size=2))
    assert Counting.most == 1


def test_worker_init_fn_errors_and_timeout():
    seen = []
    loader = DataLoader(_Slow(), batch_size=2, num_workers=2, worker_init_fn=seen.append,
                        persistent_workers=True)
    for _ in range(2):  # the same two workers serve both epochs
        assert len(list(loader)) == 6
    assert sorted(seen) == [0, 1]
    with pytest.raises(ValueError, match="sample 5 is unreadable"):
        list(DataLoader(_Slow(fail_at=5), batch_size=2, num_workers=2))
    with pytest.raises(RuntimeError, match="timed out after 0.05 seconds"):
        list(DataLoader(_Slow(delay=0.5), batch_size=1, num_workers=1, timeout=0.05))


def test_worker_argument_errors_like_torch():
    ds = _Slow()
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="prefetch_factor"):
        DataLoader(ds, prefetch_factor=2)
    with pytest.raises(ValueError, match="persistent_workers"):
        DataLoader(ds, persistent_workers=True)
    with pytest.raises(ValueError, match="timeout"):
        DataLoader(ds, timeout=-1)
    # any iterable of indices is a sampler
    assert [b[1].tolist() for b in DataLoader(ds, batch_size=2, sampler=[3, 0, 1])] == [[3, 0], [1]]
    with pytest.raises(ValueError, match="multiprocessing_context can only be used with multi-process"):
        DataLoader(ds, multiprocessing_context="spawn")  # PyTorch's check; with workers it is accepted
    assert len(list(DataLoader(ds, batch_size=2, num_workers=2, multiprocessing_context="fork"))) == len(
        DataLoader(ds, batch_size=2))
    assert len(DataLoader(ds, batch_size=4, num_workers=2, pin_memory=True)) == 3


# ----- subsets, concatenation, random_split, samplers --------------------------------------------
def test_random_split_by_lengths_and_fractions():
    import arraygrad as ag
    from arraygrad.utils.data import Subset, TensorDataset, random_split

    ds = TensorDataset(ag.arange(10.0), ag.arange(10))
    for lengths, sizes in (([7, 3], [7, 3]), ([0.8, 0.2], [8, 2]), ([0.5, 0.3, 0.2], [5, 3, 2]),
                           ([0.34, 0.33, 0.33], [4, 3, 3])):  # the remainder goes to the first
        parts = random_split(ds, lengths, generator=ag.Generator().manual_seed(0))
        assert [len(p) for p in parts] == sizes and all(isinstance(p, Subset) for p in parts)
        seen = sorted(i for p in parts for i in p.indices)
        assert seen == list(range(10))  # a partition
    a = random_split(ds, [5, 5], generator=3)
    b = random_split(ds, [5, 5], generator=ag.Generator().manual_seed(3))
    assert [p.indices for p in a] == [p.indices for p in b]  # an int seed is a generator
    assert float(a[0][0][0]) == float(a[0].indices[0])
    with pytest.raises(ValueError, match="sum of input lengths"):
        random_split(ds, [4, 4])


def test_concat_dataset_and_subset():
    import arraygrad as ag
    from arraygrad.utils.data import ConcatDataset, DataLoader, Subset, TensorDataset

    a, b = TensorDataset(ag.arange(3)), TensorDataset(ag.arange(10, 15))
    cat = ConcatDataset([a, b])
    assert len(cat) == 8 and int(cat[3][0]) == 10 and int(cat[-1][0]) == 14 and int(cat[2][0]) == 2
    sub = Subset(cat, [7, 0, 4])
    assert [int(x[0]) for x in (sub[0], sub[1], sub[2])] == [14, 0, 11]
    assert [t[0].tolist() for t in DataLoader(sub, batch_size=2)] == [[14, 0], [11]]
    with pytest.raises(ValueError, match="empty"):
        ConcatDataset([])
    both = a + b  # Dataset.__add__, as PyTorch's
    assert isinstance(both, ConcatDataset) and len(both) == 8


def test_samplers_and_the_loader():
    import arraygrad as ag
    from arraygrad.utils.data import (BatchSampler, DataLoader, RandomSampler, SequentialSampler,
                                      SubsetRandomSampler, TensorDataset, WeightedRandomSampler)

    ds = TensorDataset(ag.arange(10.0), ag.arange(10))
    assert list(SequentialSampler(ds)) == list(range(10))
    perm = list(RandomSampler(ds, generator=0))
    assert sorted(perm) == list(range(10)) and perm == list(RandomSampler(ds, generator=0))
    drawn = list(RandomSampler(ds, replacement=True, num_samples=25, generator=1))
    assert len(drawn) == 25 and all(0 <= i < 10 for i in drawn)
    assert sorted(list(RandomSampler(range(3), num_samples=7, generator=0))[:6]) == [0, 0, 1, 1, 2, 2]
    assert list(WeightedRandomSampler([0.0, 0.0, 1.0], 4, generator=0)) == [2, 2, 2, 2]
    assert sorted(WeightedRandomSampler([1.0, 1.0, 1.0], 3, replacement=False, generator=0)) == [0, 1, 2]
    picked = list(SubsetRandomSampler([1, 3, 5, 7], generator=0))
    assert sorted(picked) == [1, 3, 5, 7]
    # a sampler decides the order; a batch sampler decides the batches (TensorDataset or not)
    for dataset in (ds, [(float(i), i) for i in range(10)]):
        loader = DataLoader(dataset, batch_size=3, sampler=SubsetRandomSampler([1, 3, 5, 7], generator=0))
        assert len(loader) == 2
        assert [int(i) for batch in loader for i in batch[1].tolist()] == picked
        batches = DataLoader(dataset, batch_sampler=BatchSampler(SequentialSampler(range(10)), 4, drop_last=True))
        assert len(batches) == 2 and [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    threaded = DataLoader([(float(i), i) for i in range(10)], batch_sampler=BatchSampler(range(10), 5, False),
                          num_workers=2)
    assert [b[1].tolist() for b in threaded] == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(ds, sampler=SequentialSampler(ds), shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_size=4, batch_sampler=BatchSampler(range(10), 4, False))
    with pytest.raises(ValueError, match="num_samples"):
        RandomSampler(ds, num_samples=0)
    with pytest.raises(ValueError, match="batch_size"):
        BatchSampler(range(3), 0, False)


def test_dataloader_as_pytorch_oracle():
    torch = pytest.importorskip("torch")
    import arraygrad as ag

    seen = []
    for lib in (ag, torch):
        D = lib.utils.data

        class Augmented(D.TensorDataset):  # an overridden __getitem__ runs for every sample
            def __getitem__(self, i):
                (x,) = super().__getitem__(i)
                return (x + 100,)

        class Batched(D.Dataset):  # __getitems__ fetches a whole batch
            def __len__(self):
                return 4

            def __getitem__(self, i):
                return i

            def __getitems__(self, idx):
                return [100 + i for i in idx]

        ds = D.TensorDataset(lib.arange(12.0).reshape(4, 3))
        for (xb,) in D.DataLoader(ds, batch_size=2):
            xb.zero_()  # a batch is a copy: the dataset keeps its values
        dl = D.DataLoader(range(10), batch_size=3, shuffle=True)
        unbatched = D.DataLoader(range(10), batch_size=None)
        seen.append([
            next(iter(D.DataLoader(Augmented(lib.arange(4.0)), batch_size=2)))[0].tolist(),
            ds.tensors[0].sum().item(),
            (type(dl.sampler).__name__, type(dl.batch_sampler).__name__, dl.batch_sampler.batch_size,
             len(dl.sampler), dl.collate_fn.__name__, dl.prefetch_factor, len(dl)),
            (unbatched.batch_sampler, unbatched.collate_fn.__name__, type(unbatched.sampler).__name__),
            D.Subset(D.TensorDataset(lib.arange(10.0)), [4, 1, 7])[[0, 2]][0].tolist(),
            next(iter(D.DataLoader(Batched(), batch_size=2))).tolist(),
            D.default_collate([b"a", b"b"]),
            [list(D.DistributedSampler(range(10), num_replicas=3, rank=r, shuffle=False, drop_last=d))
             for r in range(3) for d in (False, True)],
            len(D.DistributedSampler(range(10), num_replicas=3, rank=0)),
        ])
    assert seen[0] == seen[1]
    sampler = ag.utils.data.distributed.DistributedSampler(range(10), num_replicas=2, rank=1, seed=3)
    sampler.set_epoch(1)
    first = list(sampler)
    other = ag.utils.data.DistributedSampler(range(10), num_replicas=2, rank=0, seed=3)
    other.set_epoch(1)
    assert sorted(first + list(other)) == list(range(10)) and list(sampler) == first


def test_collate_containers_and_sampler_flags_as_pytorch():
    import collections
    import warnings

    torch = pytest.importorskip("torch")
    import arraygrad as ag

    for lib in (ag, torch):
        D = lib.utils.data
        batch = D.default_collate([collections.OrderedDict(a=1), collections.OrderedDict(a=2)])
        assert type(batch) is collections.OrderedDict and batch["a"].tolist() == [1, 2]
        assert D.default_collate([(1, "a"), (2, "b")])[1] == ("a", "b")  # a field of tuple samples
        assert D.default_collate(["a", "b"]) == ["a", "b"]
        with pytest.raises(TypeError):
            D.RandomSampler(range(3), replacement=1)
        with pytest.raises(ValueError):
            D.WeightedRandomSampler([1.0], 2, replacement=0)
        with pytest.raises(ValueError):
            D.BatchSampler(range(3), 2, drop_last=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a zero weight drawn without replacement: no NumPy warning
        picks = list(ag.utils.data.WeightedRandomSampler([0.1, 0.0, 0.9, 0.5], 3, replacement=False,
                                                         generator=ag.Generator().manual_seed(0)))
    assert 1 not in picks and sorted(picks) == [0, 2, 3]
