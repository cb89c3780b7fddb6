"""The fused LSTM and GRU sequence ops (nn/rnn.py): float32 layers wider than the other
tests' against PyTorch, every backend (per-step arrays written into one array on mutable
backends, stacked on Dask's immutable ones), a second backward with retain_graph (the
saved factors stay as they were), and the biases' first and second derivatives."""

from __future__ import annotations

import numpy as np
import pytest

import arraygrad as xp
from arraygrad import nn

from _torch_oracle import recurrent_layers_agree

torch = pytest.importorskip("torch")


def host(t):
    return np.array(t.detach().to_device("cpu"), copy=True)


def _layer_pair(mode, kwargs, size, hidden, dtype=torch.float32):
    theirs = getattr(torch.nn, mode)(size, hidden, **kwargs).to(dtype)
    ours = getattr(nn, mode)(size, hidden, **kwargs)
    ours.load_state_dict({k: xp.asarray(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


CASES = [("LSTM", {}), ("LSTM", dict(bias=False)),
         ("LSTM", dict(num_layers=2, bidirectional=True, batch_first=True)),
         ("GRU", {}), ("GRU", dict(bias=False, batch_first=True)), ("GRU", dict(num_layers=2, bidirectional=True))]


@pytest.mark.parametrize("mode, kwargs", CASES, ids=str)
def test_float32_layers_match_torch(mode, kwargs):
    # hidden 24 and 9 steps: every gate block and many steps of the saved factors
    rng = np.random.default_rng(3)
    ours, theirs = _layer_pair(mode, kwargs, 5, 24)
    layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    shape = (4, 9, 5) if kwargs.get("batch_first") else (9, 4, 5)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in (shape, (layers, 4, 24), (layers, 4, 24))]
    recurrent_layers_agree(ours, theirs, arrays, mode == "LSTM", state_term=lambda s: s * s,
                           value_tol=(1e-5, 1e-6), grad_tol=(1e-4, 1e-5))

def _run(mode, device, x, state, params, retain=False):
    """(output, final states, grads of x, the states and every parameter) of a float64 layer
    on `device` with the given weights (one or two bidirectional layers, from the states)."""
    layers = 2 if state[0].shape[0] == 4 else 1
    layer = getattr(nn, mode)(3, 5, num_layers=layers, bidirectional=layers == 2, dtype=xp.float64, device=device)
    layer.load_state_dict({k: xp.asarray(v, device=device) for k, v in params.items()})
    leaves = [xp.asarray(a, device=device, requires_grad=True) for a in (x,) + state]
    lstm = mode == "LSTM"
    out, s = layer(leaves[0], tuple(leaves[1:]) if lstm else leaves[1])
    states = s if lstm else (s,)
    loss = xp.sum(out * out) + sum(xp.sum(t * xp.sin(t)) for t in states)
    loss.backward(retain_graph=retain)
    grads = [host(a.grad) for a in leaves] + [host(p.grad) for p in layer.parameters()]
    if retain:  # the same backward again: the saved factors are unchanged, the grads double
        loss.backward()
        again = [host(a.grad) for a in leaves] + [host(p.grad) for p in layer.parameters()]
        for g, g2 in zip(grads, again):
            np.testing.assert_allclose(g2, 2 * g, rtol=1e-13, atol=1e-15)
    return [host(out)] + [host(t) for t in states] + grads


def _inputs(mode, seed=0, layers=2, steps=6):
    rng = np.random.default_rng(seed)
    ref = getattr(nn, mode)(3, 5, num_layers=layers, bidirectional=layers == 2, dtype=xp.float64)
    params = {k: host(v) for k, v in ref.state_dict().items()}
    count = 4 if layers == 2 else 1  # two bidirectional layers, or one forward layer
    state = tuple(rng.standard_normal((count, 2, 5)) for _ in range(2 if mode == "LSTM" else 1))
    return rng.standard_normal((steps, 2, 3)), state, params


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_layers_on_every_backend_match_numpy(mode, backend):
    x, state, params = _inputs(mode)
    want = _run(mode, "cpu", x, state, params, retain=True)
    got = _run(mode, backend.device, x, state, params, retain=True)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.fixture
def dask_device():
    pytest.importorskip("dask")
    pytest.importorskip("array_api_compat")
    from _dask_plugin import dask_registered

    with dask_registered() as device:
        yield device


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_layers_on_immutable_dask_arrays_match_numpy(mode, dask_device):
    x, state, params = _inputs(mode, seed=1, layers=1, steps=3)  # Dask builds a graph per op: kept small
    want = _run(mode, "cpu", x, state, params)
    got = _run(mode, dask_device, x, state, params)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_biases_and_weights_differentiate_twice(mode):
    """Both biases (added per step inside the op) and both weights, against finite
    differences, first and second order (the recording branch of the backward)."""
    rng = np.random.default_rng(2)
    layer = getattr(nn, mode)(2, 3).double()
    names = ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    params = [getattr(layer, n).detach().requires_grad_() for n in names]
    x = xp.asarray(rng.standard_normal((4, 2, 2)), requires_grad=True)

    def f(x, *ps):
        return xp.func.functional_call(layer, dict(zip(names, ps)), (x,))[0]

    assert xp.autograd.gradcheck(f, (x, *params))
    assert xp.autograd.gradgradcheck(f, (x, *params))
