"""The op path and autograd never read array values (what a lazy backend such as Dask needs).

Every differentiable function of the standard (the specs of test_gradients.py), forward and
first- and second-order backward, and the common nn / PyTorch-surface calls run on the
`probe` backend (`_lazy_probe_backend.py`: NumPy whose arrays log `bool()`, `int()`,
`float()`, `.item()` made by the core). None may be logged. Argument checks that PyTorch
also makes on the host by reading values (class targets in range, embedding indices) and
the rules' value-dependent shortcuts run only on eager backends: the probe, like Dask,
declares `Backend.lazy`.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import arraygrad as xp
from arraygrad._registry import register_backend, unregister_backend

from _lazy_probe_backend import ProbeBackend, watching

pytest.importorskip("torch")  # test_gradients' specs compare against PyTorch on import
import test_gradients as G  # noqa: E402

F = xp.nn.functional
DEVICE = "probe"


@pytest.fixture(scope="module", autouse=True)
def probe_backend():
    register_backend("probe", ProbeBackend)
    yield
    unregister_backend("probe")


def _forward_backward(fn, ins, create_graph=False):
    """fn(*ins), then d(outputs)/d(inputs) with a cotangent of ones (and, with
    create_graph, the gradient of the gradients' sum: a second-order pass)."""
    outs = [o for o in G._outputs(fn(*ins)) if getattr(o, "requires_grad", False)]
    want = [t for t in ins if t.requires_grad]
    if not outs or not want:
        return
    cot = [xp.ones_like(o) for o in outs]
    grads = xp.autograd.grad(outs, want, cot, allow_unused=True, create_graph=create_graph)
    if create_graph:
        second = [xp.sum(xp.real(g)) for g in grads if g is not None and g.requires_grad]
        if second:
            xp.autograd.grad(second, want, allow_unused=True)


def _assert_no_reads(reads, what):
    assert not reads, f"{what} read array values: " + "; ".join(f"{k} at {w}" for k, w in reads)


@pytest.mark.parametrize("s", G.SPECS, ids=G._ids(G.SPECS))
@settings(max_examples=3)
@given(data=st.data())
def test_differentiable_functions_read_no_values(s, data):
    G._skip_missing(s)
    arrays, kw, diff = G._draw_case(s, data.draw, np.float64)
    ins = G._to_xp(arrays, diff, device=DEVICE)
    with watching() as reads:
        _forward_backward(lambda *a: s.call(xp, *a, **kw), ins, create_graph=s.gradgrad)
    _assert_no_reads(reads, s.id)


def _t(*shape, grad=True, seed=0, dtype="float32"):
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return xp.asarray(a, device=DEVICE, requires_grad=grad)


def _classes(n, c, seed=1):
    return xp.asarray(np.random.default_rng(seed).integers(0, c, n), device=DEVICE)


def _nn_cases():
    x, w, b = _t(8, 5), _t(5, 3, seed=1), _t(3, seed=2)
    y = _classes(8, 3)
    img, k = _t(2, 3, 8, 8), _t(4, 3, 3, 3, seed=3)
    seq = _t(6, 2, 5)
    return {
        "linear+relu+cross_entropy": lambda: F.cross_entropy(F.relu(F.linear(x, w.T, b)), y),
        "cross_entropy(label_smoothing, weight, ignore_index)": lambda: F.cross_entropy(
            x @ w, y, weight=xp.ones(3, device=DEVICE), ignore_index=1, label_smoothing=0.1),
        "nll_loss(log_softmax)": lambda: F.nll_loss(F.log_softmax(x @ w, dim=1), y),
        "mse_loss": lambda: F.mse_loss(x @ w, (x @ w).detach() * 0.5),
        "bce_with_logits": lambda: F.binary_cross_entropy_with_logits(x, (x.detach() > 0).float()),
        "softmax": lambda: F.softmax(x, dim=1).sum(),
        "conv2d+max_pool2d": lambda: F.max_pool2d(F.conv2d(img, k, padding=1), 2).sum(),
        "avg_pool2d+adaptive_avg_pool2d": lambda: (F.avg_pool2d(img, 2).sum()
                                                    + F.adaptive_avg_pool2d(img, 3).sum()),
        "batch_norm(training)": lambda: F.batch_norm(img, None, None, training=True).sum(),
        "layer_norm+group_norm": lambda: F.layer_norm(x, (5,)).sum() + F.group_norm(img, 3).sum(),
        "dropout": lambda: F.dropout(x, 0.5).sum(),
        "embedding": lambda: F.embedding(y, _t(3, 4)).sum(),
        "one_hot": lambda: (F.one_hot(y, 3).float() * x[:, :3]).sum(),
        "lstm": lambda: xp.nn.LSTM(5, 4).to(DEVICE)(seq)[0].sum(),
        "gru": lambda: xp.nn.GRU(5, 4).to(DEVICE)(seq)[0].sum(),
        "multihead_attention": lambda: xp.nn.MultiheadAttention(5, 1).to(DEVICE)(seq, seq, seq)[0].sum(),
        "indexing": lambda: x[1:3, ::2].sum() + x[[0, 2]].sum() + x[:, None, 1].sum(),
        "setitem in the graph": lambda: _setitem(x),
        "reductions": lambda: (x.mean() + x.std() + x.var(1).sum() + x.max() + x.amax(0).sum()
                               + x.logsumexp(1).sum() + x.norm()),
        "sort, topk, max(dim)": lambda: (xp.sort(x, 1)[0].sum() + xp.topk(x, 2, 1)[0].sum()
                                          + x.max(1)[0].sum()),
        "where, clamp": lambda: xp.where(x > 0, x, 2 * x).sum() + xp.clamp(x, -0.5, 0.5).sum(),
        "gather, scatter_add": lambda: (x.gather(1, xp.zeros((8, 2), dtype=xp.int64, device=DEVICE)).sum()
                                        + xp.zeros(8, 5, device=DEVICE).scatter_add(
                                            0, xp.zeros((2, 5), dtype=xp.int64, device=DEVICE), x[:2]).sum()),
        "einsum": lambda: xp.einsum("ij,jk->ik", x, w).sum(),
    }


def _setitem(x):
    y = x * 1
    y[0] = y[1] * 2
    return y.sum()


NN_CASES = [
    "linear+relu+cross_entropy", "cross_entropy(label_smoothing, weight, ignore_index)",
    "nll_loss(log_softmax)", "mse_loss", "bce_with_logits", "softmax", "conv2d+max_pool2d",
    "avg_pool2d+adaptive_avg_pool2d", "batch_norm(training)", "layer_norm+group_norm", "dropout",
    "embedding", "one_hot", "lstm", "gru", "multihead_attention", "indexing", "setitem in the graph",
    "reductions", "sort, topk, max(dim)", "where, clamp", "gather, scatter_add", "einsum"]


@pytest.mark.parametrize("name", NN_CASES)
def test_nn_and_torch_surface_read_no_values(name):
    case = _nn_cases()[name]
    with watching() as reads:
        loss = case()
        loss.backward()
    _assert_no_reads(reads, name)


def test_the_probe_catches_reads():
    """The probe works: a value read by core code is logged (the test would pass vacuously
    otherwise)."""
    x = _t(3, grad=False)
    with watching() as reads:
        xp.nn.functional.one_hot(xp.asarray([0, 2], device=DEVICE))  # num_classes=-1 reads the max
    assert reads and reads[0][0] in ("int", "item", "index")
    with watching() as reads:
        bool(x.sum() > 0)  # the test's own read: not the core's
    assert not reads
