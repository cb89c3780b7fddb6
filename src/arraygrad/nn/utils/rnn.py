"""`arraygrad.nn.utils.rnn`: batches of variable-length sequences (PyTorch's
`torch.nn.utils.rnn`).

A `PackedSequence` holds the sequences of a batch, sorted by decreasing length, time step
by time step: `data` is the concatenation over t of the rows of the sequences still running
at t (`batch_sizes[t]` of them), so no padding is stored or computed on. `RNN`, `LSTM` and
`GRU` take and return them. Everything here is made of differentiable ops (slicing, `take`,
`concat`, `stack`), so gradients flow back to the padded inputs.
"""

from __future__ import annotations

import operator
from collections import namedtuple

from ..._dispatch import Tensor, ValueRangeError
from ..._dtypes import int64
from ..._ops.creation import asarray, full
from ..._ops.indexing import take
from ..._ops.manipulation import concat, stack

__all__ = ["PackedSequence", "pad_sequence", "pack_padded_sequence", "pad_packed_sequence", "pack_sequence",
           "unpad_sequence", "unpack_sequence", "invert_permutation"]


def _host_ints(values, name, cpu_only=True) -> list[int]:
    """A list of Python ints from a list, tuple, NumPy array or 1-D tensor (on the CPU,
    as PyTorch requires of lengths; a permutation lives with the data)."""
    if isinstance(values, Tensor):
        if cpu_only and values.device.type != "cpu":
            raise RuntimeError(f"'{name}' argument should be a 1D CPU int64 tensor, but got 1D "
                               f"{values.device.type} {values.dtype} tensor")
        if values.ndim != 1:
            raise ValueError(f"'{name}' must be 1-D, got shape {tuple(values.shape)}")
        values = values.tolist()
    try:
        return [operator.index(v) for v in values]
    except TypeError:
        pass
    if all(isinstance(v, float) for v in values):  # PyTorch converts them to int64 (truncating)
        return [int(v) for v in values]
    raise TypeError(f"'{name}' must hold integers, got {values!r}")


def _index_tensor(values, like=None):
    return asarray(list(values), dtype=int64, device="cpu" if like is None else like.device)


def invert_permutation(permutation):
    """The inverse of an index permutation (None stays None)."""
    if permutation is None:
        return None
    perm = _host_ints(permutation, "permutation", cpu_only=False)
    inv = [0] * len(perm)
    for i, j in enumerate(perm):
        inv[j] = i
    return _index_tensor(inv, permutation if isinstance(permutation, Tensor) else None)


_PackedSequenceBase = namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(_PackedSequenceBase):
    """(data, batch_sizes, sorted_indices, unsorted_indices), as `pack_padded_sequence` makes
    it: `data` (sum(lengths), *) the steps packed time-major; `batch_sizes` (int64 CPU
    tensor) how many sequences run at each step; `sorted_indices` the batch order used
    (None when the batch came sorted) and `unsorted_indices` its inverse."""

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # PackedSequence(*pack(...)) given as one tuple
            if isinstance(data, (list, tuple)) and len(data) == 2:
                data, batch_sizes = data
            else:
                raise TypeError("PackedSequence needs data and batch_sizes")
        if isinstance(batch_sizes, Tensor):
            if batch_sizes.device.type != "cpu" or batch_sizes.ndim != 1:
                raise ValueError("batch_sizes should always be a 1-D CPU int64 tensor")
        else:
            batch_sizes = _index_tensor(_host_ints(batch_sizes, "batch_sizes"))
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data):
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def to(self, *args, **kwargs):
        """`data.to(...)` (indices follow to its device; batch_sizes stay on the CPU)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        move = lambda i: None if i is None else i.to(data.device)  # noqa: E731
        return type(self)(data, self.batch_sizes, move(self.sorted_indices), move(self.unsorted_indices))

    def cpu(self):
        return self.to("cpu")

    def double(self):
        return self._with_data(self.data.double())

    def float(self):
        return self._with_data(self.data.float())

    def detach(self):
        return self._with_data(self.data.detach())

    @property
    def is_cuda(self) -> bool:
        return self.data.device.type == "cuda"

    def is_pinned(self) -> bool:
        return False


def _batch_sizes_list(sequence) -> list[int]:
    return [int(b) for b in sequence.batch_sizes.tolist()]


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack tensors of shapes (L_i, *) into (max L, B, *) (or (B, max L, *) with
    batch_first), filling with padding_value on the right (or left)."""
    if padding_side not in ("left", "right"):
        raise ValueRangeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0)) if hasattr(sequences, "unbind") else list(sequences)
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    trailing = tuple(sequences[0].shape[1:])
    for s in sequences:
        if tuple(s.shape[1:]) != trailing:
            raise RuntimeError(f"The size of tensor a ({trailing}) must match the size of tensor b "
                               f"({tuple(s.shape[1:])}) at non-singleton dimensions 1+")
    longest = max(s.shape[0] for s in sequences)
    dtype = sequences[0].dtype  # PyTorch's output takes the first sequence's dtype
    rows = []
    for s in sequences:
        if s.dtype != dtype:
            s = s.astype(dtype)
        missing = longest - s.shape[0]
        if missing:
            kind = s.dtype.kind  # the value converted to the sequences' dtype, as PyTorch does
            value = bool(padding_value) if kind == "b" else int(padding_value) if kind in "iu" else padding_value
            fill = full((missing,) + trailing, value, dtype=s.dtype, device=s.device)
            s = concat([s, fill] if padding_side == "right" else [fill, s], axis=0)
        rows.append(s)
    return stack(rows, axis=0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first: bool = False) -> list[Tensor]:
    """The inverse of `pad_sequence` (right padding): a list of (L_i, *) tensors."""
    x = padded_sequences if batch_first else padded_sequences.swapaxes(0, 1)
    return [x[i, :n] for i, n in enumerate(_host_ints(lengths, "lengths"))]


def pack_padded_sequence(input, lengths, batch_first: bool = False, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (T, B, *) (or (B, T, *)) of sequences with the given lengths (a
    list or a 1-D CPU int64 tensor). With enforce_sorted the lengths must be decreasing;
    otherwise the batch is sorted here and the order recorded."""
    lengths = _host_ints(lengths, "lengths")
    batch = input.shape[0 if batch_first else 1]
    if len(lengths) != batch:
        raise ValueError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(lengths)} "
                         f"(batch_size={batch})")
    if enforce_sorted:
        if any(a < b for a, b in zip(lengths, lengths[1:])):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                               "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                               "pack_sequence to sidestep this requirement if you do not need ONNX "
                               "exportability.")
        sorted_indices = None
    else:
        order = sorted(range(len(lengths)), key=lambda i: -lengths[i])  # stable, as torch.sort here
        lengths = [lengths[i] for i in order]
        sorted_indices = _index_tensor(order, input)
        input = take(input, sorted_indices, axis=0 if batch_first else 1)
    if not lengths or lengths[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    steps = input.shape[1 if batch_first else 0]
    if lengths[0] > steps:
        raise RuntimeError(f"Expected sequence length to be at most {steps} (the padded length), "
                           f"but got {lengths[0]}")
    x = input.swapaxes(0, 1) if batch_first else input
    batch_sizes = [sum(1 for n in lengths if n > t) for t in range(lengths[0])]
    data = concat([x[t, :b] for t, b in enumerate(batch_sizes)], axis=0)
    return PackedSequence(data, _index_tensor(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None):
    """The inverse of `pack_padded_sequence`: (padded (T, B, *) or (B, T, *), lengths), the
    batch in its original order, T = total_length if given (else the longest length)."""
    sizes = _batch_sizes_list(sequence)
    max_len = len(sizes)
    if total_length is not None:
        if total_length < max_len:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in "
                             f"input, but got total_length={total_length} and max sequence length being "
                             f"{max_len}")
    else:
        total_length = max_len
    data = sequence.data
    batch = sizes[0]
    trailing = tuple(data.shape[1:])
    steps, offset = [], 0
    for b in sizes:
        step = data[offset:offset + b]
        offset += b
        if b < batch:
            fill = full((batch - b,) + trailing, padding_value, dtype=data.dtype, device=data.device)
            step = concat([step, fill], axis=0)
        steps.append(step)
    if total_length > max_len:
        fill = full((batch,) + trailing, padding_value, dtype=data.dtype, device=data.device)
        steps.extend([fill] * (total_length - max_len))
    padded = stack(steps, axis=0)
    lengths = [sum(1 for b in sizes if b > i) for i in range(batch)]
    if sequence.unsorted_indices is not None:
        padded = take(padded, sequence.unsorted_indices, axis=1)
        lengths = [lengths[j] for j in sequence.unsorted_indices.tolist()]
    if batch_first:
        padded = padded.swapaxes(0, 1)
    return padded, _index_tensor(lengths)


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of (L_i, *) tensors (decreasing lengths unless enforce_sorted=False)."""
    sequences = list(sequences)
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The inverse of `pack_sequence`: the list of (L_i, *) tensors, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
