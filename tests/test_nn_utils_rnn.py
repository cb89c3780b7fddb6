"""`nn.utils.rnn` (pad/pack/unpack, PackedSequence), packed input to RNN/LSTM/GRU, and
`nn.utils.parameters_to_vector` / `vector_to_parameters`, against torch: same values, same
batch bookkeeping, same final states and gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import arraygrad as xp
from arraygrad import nn

R, TR = nn.utils.rnn, torch.nn.utils.rnn
LENGTHS = (3, 5, 1, 4, 5)


def host(t):
    return np.array(t.detach().to_device("cpu"), copy=True)


def _sequences(lengths=LENGTHS, features=2, seed=0):
    rng = np.random.default_rng(seed)
    raw = [rng.standard_normal((n, features)) for n in lengths]
    return ([xp.asarray(a, requires_grad=True) for a in raw], [torch.tensor(a, requires_grad=True) for a in raw])


def _same_packed(p, tp):
    assert isinstance(p, R.PackedSequence) and isinstance(p, tuple)
    np.testing.assert_allclose(host(p.data), tp.data.detach().numpy(), rtol=1e-12, atol=1e-14)
    assert p.batch_sizes.tolist() == tp.batch_sizes.tolist() and p.batch_sizes.dtype == xp.int64
    assert p.batch_sizes.device.type == "cpu"
    for a, b in ((p.sorted_indices, tp.sorted_indices), (p.unsorted_indices, tp.unsorted_indices)):
        assert (a is None) == (b is None)
        if a is not None:
            assert a.tolist() == b.tolist()


@pytest.mark.parametrize("kwargs", [dict(), dict(batch_first=True), dict(padding_value=-2.5),
                                    dict(padding_side="left", batch_first=True)], ids=str)
def test_pad_sequence_matches_torch(kwargs):
    ours, theirs = _sequences(features=3)
    out, tout = R.pad_sequence(ours, **kwargs), TR.pad_sequence(theirs, **kwargs)
    np.testing.assert_array_equal(host(out), tout.detach().numpy())
    weights = np.random.default_rng(1).standard_normal(tuple(out.shape))
    xp.sum(out * xp.asarray(weights)).backward()
    (tout * torch.tensor(weights)).sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(host(a.grad), b.grad.numpy())
    unpadded = R.unpad_sequence(out, [5, 5, 5, 5, 5] if kwargs.get("padding_side") == "left" else list(LENGTHS),
                                batch_first=kwargs.get("batch_first", False))
    if kwargs.get("padding_side") != "left":
        for a, u in zip(ours, unpadded):
            np.testing.assert_array_equal(host(a), host(u))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths_as", ["list", "tensor"])
def test_pack_padded_sequence_round_trip_matches_torch(batch_first, lengths_as):
    ours, theirs = _sequences(features=3)
    padded = R.pad_sequence(ours, batch_first=batch_first)
    tpadded = TR.pad_sequence(theirs, batch_first=batch_first)
    lengths = list(LENGTHS) if lengths_as == "list" else xp.asarray(LENGTHS)
    tlengths = list(LENGTHS) if lengths_as == "list" else torch.tensor(LENGTHS)
    p = R.pack_padded_sequence(padded, lengths, batch_first=batch_first, enforce_sorted=False)
    tp = TR.pack_padded_sequence(tpadded, tlengths, batch_first=batch_first, enforce_sorted=False)
    _same_packed(p, tp)
    for total in (None, 7):
        out, lens = R.pad_packed_sequence(p, batch_first=batch_first, padding_value=0.5, total_length=total)
        tout, tlens = TR.pad_packed_sequence(tp, batch_first=batch_first, padding_value=0.5, total_length=total)
        np.testing.assert_array_equal(host(out), tout.detach().numpy())
        assert lens.tolist() == tlens.tolist() and lens.dtype == xp.int64
    w = np.random.default_rng(2).standard_normal(tuple(out.shape))
    xp.sum(out * xp.asarray(w)).backward()
    (tout * torch.tensor(w)).sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(host(a.grad), b.grad.numpy(), rtol=1e-12)


def test_pack_sequence_sorted_and_unpack():
    ours, theirs = _sequences(lengths=(5, 4, 4, 2))
    p, tp = R.pack_sequence(ours), TR.pack_sequence(theirs)
    _same_packed(p, tp)
    assert p.sorted_indices is None and p.unsorted_indices is None
    p2, tp2 = R.pack_sequence(ours[::-1], enforce_sorted=False), TR.pack_sequence(theirs[::-1], enforce_sorted=False)
    _same_packed(p2, tp2)
    for a, u in zip(ours[::-1], R.unpack_sequence(p2)):
        np.testing.assert_array_equal(host(a), host(u))
    data, batch_sizes, sorted_indices, unsorted_indices = p2  # a 4-tuple, as PyTorch's
    assert p2._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    again = R.PackedSequence(data, batch_sizes, sorted_indices)  # unsorted_indices derived
    assert again.unsorted_indices.tolist() == unsorted_indices.tolist()
    assert p2.double().data.dtype == xp.float64 and p2.float().data.dtype == xp.float32
    assert p2.to("cpu").batch_sizes is p2.batch_sizes and not p2.is_cuda


def test_pack_errors():
    ours, _ = _sequences()
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        R.pack_sequence(ours)
    padded = R.pad_sequence(ours)
    with pytest.raises(RuntimeError, match="greater than 0"):
        R.pack_padded_sequence(padded, [5, 4, 3, 1, 0])
    with pytest.raises(ValueError, match="batch_size"):
        R.pack_padded_sequence(padded, [5, 4])
    p = R.pack_padded_sequence(padded, list(LENGTHS), enforce_sorted=False)
    with pytest.raises(ValueError, match="total_length=3"):
        R.pad_packed_sequence(p, total_length=3)
    with pytest.raises(ValueError, match="padding_side"):
        R.pad_sequence(ours, padding_side="middle")


def test_public_names():
    import arraygrad as torch_like

    assert torch_like.nn.utils.rnn.pack_padded_sequence is R.pack_padded_sequence
    from arraygrad.nn.utils.rnn import PackedSequence, pad_packed_sequence  # noqa: F401
    from arraygrad.nn.utils import clip_grad_norm_, parameters_to_vector, vector_to_parameters  # noqa: F401
    for name in ("PackedSequence", "pad_sequence", "pack_padded_sequence", "pad_packed_sequence",
                 "pack_sequence", "unpad_sequence", "unpack_sequence"):
        assert hasattr(TR, name) and hasattr(R, name)


def _copy_from_torch(ours, theirs):
    ours.double().load_state_dict({k: xp.asarray(v.detach().numpy().astype(np.float64))
                                   for k, v in theirs.state_dict().items()})


PACKED_CASES = [("RNN", {}), ("RNN", dict(nonlinearity="relu", bidirectional=True)), ("LSTM", {}),
                ("LSTM", dict(num_layers=2, bidirectional=True)), ("LSTM", dict(num_layers=2, batch_first=True)),
                ("GRU", dict(num_layers=2)), ("GRU", dict(bidirectional=True, batch_first=True)),
                ("GRU", dict(num_layers=2, bidirectional=True, bias=False))]


@pytest.mark.parametrize("enforce_sorted", [False, True])
@pytest.mark.parametrize("with_hx", [False, True])
@pytest.mark.parametrize("name, kwargs", PACKED_CASES, ids=str)
def test_packed_recurrent_layers_match_torch(name, kwargs, with_hx, enforce_sorted):
    rng = np.random.default_rng(0)
    ours, theirs = getattr(nn, name)(3, 4, **kwargs), getattr(torch.nn, name)(3, 4, **kwargs).double()
    _copy_from_torch(ours, theirs)
    lengths = sorted(LENGTHS, reverse=True) if enforce_sorted else list(LENGTHS)
    batch_first = kwargs.get("batch_first", False)
    x = rng.standard_normal((len(lengths), 5, 3) if batch_first else (5, len(lengths), 3))
    layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    h0, c0 = rng.standard_normal((layers, len(lengths), 4)), rng.standard_normal((layers, len(lengths), 4))
    leaves = [xp.asarray(a, requires_grad=True) for a in (x, h0, c0)]
    tleaves = [torch.tensor(a, requires_grad=True) for a in (x, h0, c0)]
    lstm = name == "LSTM"
    p = R.pack_padded_sequence(leaves[0], lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    tp = TR.pack_padded_sequence(tleaves[0], lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    hx = (tuple(leaves[1:]) if lstm else leaves[1]) if with_hx else None
    thx = (tuple(tleaves[1:]) if lstm else tleaves[1]) if with_hx else None
    out, state = ours(p, hx)
    tout, tstate = theirs(tp, thx)
    _same_packed(out, tout)
    states, tstates = (state, tstate) if lstm else ((state,), (tstate,))
    for s, ts in zip(states, tstates):
        np.testing.assert_allclose(host(s), ts.detach().numpy(), rtol=1e-10, atol=1e-12)
    padded, lens = R.pad_packed_sequence(out, batch_first=batch_first)
    tpadded, _ = TR.pad_packed_sequence(tout, batch_first=batch_first)
    np.testing.assert_allclose(host(padded), tpadded.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert lens.tolist() == lengths
    (xp.sum(padded * padded) + sum(xp.sum(s * xp.arange(1.0, 1 + s.shape[1])[:, None]) for s in states)).backward()
    ((tpadded * tpadded).sum() + sum((s * torch.arange(1.0, 1 + s.shape[1])[:, None]).sum()
                                     for s in tstates)).backward()
    for a, b in zip(leaves[:(3 if lstm else 2) if with_hx else 1], tleaves):
        np.testing.assert_allclose(host(a.grad), b.grad.numpy(), rtol=1e-9, atol=1e-12)
    for (n, q), tq in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(host(q.grad), tq.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=n)


def test_packed_input_equals_running_each_sequence_alone():
    gru = nn.GRU(2, 3, num_layers=2, bidirectional=True).double()
    seqs, _ = _sequences(lengths=(4, 2, 3), features=2)
    out, h_n = gru(R.pack_sequence(seqs, enforce_sorted=False))
    padded, _ = R.pad_packed_sequence(out)
    for i, s in enumerate(seqs):
        alone, h_alone = gru(s)  # unbatched
        np.testing.assert_allclose(host(padded[:s.shape[0], i]), host(alone), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(host(h_n[:, i]), host(h_alone), rtol=1e-12, atol=1e-14)
        assert float(xp.sum(xp.abs(padded[s.shape[0]:, i]))) == 0.0


def test_packed_input_errors():
    lstm = nn.LSTM(3, 4)
    p = R.pack_sequence([xp.ones((3, 2)), xp.ones((2, 2))])
    with pytest.raises(ValueError, match="input_size"):
        lstm(p)
    q = R.pack_sequence([xp.ones((3, 3)), xp.ones((2, 3))])
    with pytest.raises(ValueError, match="h_0"):
        lstm(q, (xp.zeros((1, 3, 4)), xp.zeros((1, 3, 4))))


# ----- parameters_to_vector / vector_to_parameters -----------------------------------------------
def test_parameters_to_vector_and_back_match_torch():
    lin, tlin = nn.Linear(3, 2).double(), torch.nn.Linear(3, 2).double()
    _copy_from_torch(lin, tlin)
    vec, tvec = nn.utils.parameters_to_vector(lin.parameters()), torch.nn.utils.parameters_to_vector(tlin.parameters())
    np.testing.assert_array_equal(host(vec), tvec.detach().numpy())
    xp.sum(vec * xp.arange(8.0)).backward()  # differentiable, as PyTorch's
    (tvec * torch.arange(8.0)).sum().backward()
    for p, tp in zip(lin.parameters(), tlin.parameters()):
        np.testing.assert_array_equal(host(p.grad), tp.grad.numpy())
    new = np.linspace(-1, 1, 8)
    nn.utils.vector_to_parameters(xp.asarray(new), lin.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(new), tlin.parameters())
    for p, tp in zip(lin.parameters(), tlin.parameters()):
        np.testing.assert_array_equal(host(p), tp.detach().numpy())
        assert p.requires_grad and p.grad_fn is None
    with pytest.raises(TypeError, match="expected torch.Tensor"):
        nn.utils.vector_to_parameters(new, lin.parameters())
    with pytest.raises(ValueError, match="elements"):
        nn.utils.vector_to_parameters(xp.zeros(5), lin.parameters())


def test_packing_and_packed_lstm_on_every_backend(backend):
    seqs, _ = _sequences(lengths=(2, 4, 3), features=2)
    lstm = nn.LSTM(2, 3, bidirectional=True).double()
    want_out, (want_h, want_c) = lstm(R.pack_sequence(seqs, enforce_sorted=False))
    want = host(R.pad_packed_sequence(want_out)[0])
    moved = [xp.asarray(host(s), device=backend.device, requires_grad=True) for s in seqs]
    other = nn.LSTM(2, 3, bidirectional=True, dtype=xp.float64, device=backend.device)
    other.load_state_dict({k: xp.asarray(host(v), device=backend.device) for k, v in lstm.state_dict().items()})
    p = R.pack_sequence(moved, enforce_sorted=False)
    assert p.data.device == backend.device and p.batch_sizes.device.type == "cpu"
    out, (h, c) = other(p)
    padded, lengths = R.pad_packed_sequence(out, batch_first=True)
    np.testing.assert_allclose(host(padded).swapaxes(0, 1), want, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(host(h), host(want_h), rtol=1e-12)
    np.testing.assert_allclose(host(c), host(want_c), rtol=1e-12)
    assert lengths.tolist() == [2, 4, 3]
    xp.sum(padded).backward()
    assert all(tuple(s.grad.shape) == tuple(s.shape) for s in moved)


def test_pad_sequence_of_integer_and_bool_sequences():
    """The padding value takes the sequences' dtype (PyTorch converts it): token ids padded
    with the default 0.0 stay int64."""
    ours = xp.nn.utils.rnn.pad_sequence([xp.tensor([1, 2, 3]), xp.tensor([4])], batch_first=True, padding_value=2.7)
    theirs = torch.nn.utils.rnn.pad_sequence([torch.tensor([1, 2, 3]), torch.tensor([4])], batch_first=True,
                                             padding_value=2.7)
    assert str(ours.dtype) == "arraygrad.int64" and ours.tolist() == theirs.tolist()
    flags = xp.nn.utils.rnn.pad_sequence([xp.tensor([True]), xp.tensor([True, False])])
    assert flags.tolist() == torch.nn.utils.rnn.pad_sequence([torch.tensor([True]), torch.tensor([True, False])]).tolist()
