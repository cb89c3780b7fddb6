"""arraygrad.utils.checkpoint: recomputed activations give the same values and gradients
(dropout's mask replayed), for inputs, parameters, and checkpoint_sequential."""

from __future__ import annotations

import contextlib
import weakref

import numpy as np
import pytest

import arraygrad as ag


def _model():
    ag.manual_seed(0)
    nn = ag.nn
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 2))


X = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)


@pytest.mark.parametrize("run, scale", [
    (lambda m, x: ag.utils.checkpoint.checkpoint(m, x, use_reentrant=False), 1.0),
    (lambda m, x: ag.utils.checkpoint.checkpoint(lambda a, s: m(a) * s, x, 2.0, use_reentrant=True), 2.0),
    (lambda m, x: ag.utils.checkpoint.checkpoint(lambda a, s: m(a) * s, x, 2.0, use_reentrant=False), 2.0),
    (lambda m, x: ag.utils.checkpoint.checkpoint_sequential(m, 3, x, use_reentrant=True), 1.0),
    (lambda m, x: ag.utils.checkpoint.checkpoint_sequential(m, 3, x, use_reentrant=False), 1.0),
    (lambda m, x: ag.utils.checkpoint.checkpoint_sequential(m, 1, x, use_reentrant=False), 1.0)])
def test_checkpointed_model_matches_the_plain_one(run, scale):
    plain, ckpt = _model(), _model()
    ckpt.load_state_dict(plain.state_dict())
    x1, x2 = ag.tensor(X, requires_grad=True), ag.tensor(X, requires_grad=True)
    ag.manual_seed(1)
    y1 = plain(x1) * scale
    ag.manual_seed(1)
    y2 = run(ckpt, x2)
    np.testing.assert_allclose(np.asarray(y2.detach()), np.asarray(y1.detach()), rtol=1e-6)
    (y1 ** 2).sum().backward()
    (y2 ** 2).sum().backward()
    np.testing.assert_allclose(np.asarray(x2.grad), np.asarray(x1.grad), rtol=1e-5)
    for p, q in zip(plain.parameters(), ckpt.parameters()):
        np.testing.assert_allclose(np.asarray(q.grad), np.asarray(p.grad), rtol=1e-5)


def test_reentrant_checkpoint_runs_unrecorded_then_recomputes():
    calls = []

    def f(a):
        calls.append(ag.is_grad_enabled())
        return (a * 3).exp()

    x = ag.tensor([0.1, 0.2], requires_grad=True)
    y = ag.utils.checkpoint.checkpoint(f, x, use_reentrant=True)
    assert calls == [False] and type(y.grad_fn).__name__ == "CheckpointFunctionBackward"
    y.sum().backward()
    assert calls == [False, True]
    np.testing.assert_allclose(np.asarray(x.grad), 3 * np.exp(3 * np.array([0.1, 0.2])), rtol=1e-6)
    with pytest.raises(RuntimeError, match="use_reentrant=False"):  # PyTorch's limit
        ag.autograd.grad(ag.utils.checkpoint.checkpoint(f, x, use_reentrant=True).sum(), x)


def test_non_reentrant_checkpoint_keeps_the_graph_but_not_the_activations():
    calls = []
    kept = []

    def f(a):
        calls.append(ag.is_grad_enabled())
        inner = a * 3
        kept.append(weakref.ref(inner))
        return inner.exp()

    x = ag.tensor([0.1, 0.2], requires_grad=True)
    y = ag.utils.checkpoint.checkpoint(f, x, use_reentrant=False)
    # recorded as usual (the ordinary nodes), but exp's saved result is not held
    assert calls == [True] and type(y.grad_fn).__name__ == "ExpBackward0"
    assert kept[0]() is None
    (g,) = ag.autograd.grad(y.sum(), x)  # the rerun happens here
    assert calls == [True, True] and x.grad is None
    np.testing.assert_allclose(np.asarray(g), 3 * np.exp(3 * np.array([0.1, 0.2])), rtol=1e-6)


def test_non_reentrant_checkpoint_matches_pytorch_with_grad_and_double_backward():
    torch = pytest.importorskip("torch")
    w0 = np.array([[1.0, 2.0], [3.0, 4.0]])
    x0 = np.array([[0.5, -1.0], [2.0, 1.0]])
    results = []
    for lib in (torch, ag):
        w = lib.tensor(w0, requires_grad=True)
        x = lib.tensor(x0, requires_grad=True)
        out = lib.utils.checkpoint.checkpoint(lambda a: lib.tanh(a @ w) * a, x, use_reentrant=False).sum()
        gw, gx = lib.autograd.grad(out, [w, x], create_graph=True)
        (ggx,) = lib.autograd.grad((gx * gx).sum() + gw.sum(), x)
        results.append([np.asarray(t.detach()) for t in (gw, gx, ggx)])
        assert w.grad is None and x.grad is None
    for theirs, ours in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_non_reentrant_checkpoint_refuses_a_rerun_that_saves_other_tensors():
    lengths = iter([2, 3])

    def f(a):  # another slice on each call: the rerun saves a tensor of another shape
        return (a[:next(lengths)] ** 2).sum()

    x = ag.tensor([0.1, 0.2, 0.3], requires_grad=True)
    y = ag.utils.checkpoint.checkpoint(f, x, use_reentrant=False)
    with pytest.raises(ag.utils.checkpoint.CheckpointError, match="recomputed tensor 0"):
        y.backward()


def test_checkpoint_options():
    x = ag.tensor([0.1, 0.2], requires_grad=True)
    with pytest.warns(UserWarning, match="use_reentrant"):
        ag.utils.checkpoint.checkpoint(ag.exp, x)
    entered = []

    @contextlib.contextmanager
    def note(what):
        entered.append(what)
        yield

    y = ag.utils.checkpoint.checkpoint(ag.exp, x, use_reentrant=False,
                                       context_fn=lambda: (note("forward"), note("recompute")))
    y.sum().backward()
    assert entered == ["forward", "recompute"]
    with pytest.raises(ValueError, match="use_reentrant=False"):
        ag.utils.checkpoint.checkpoint(ag.exp, x, use_reentrant=True, context_fn=lambda: (note(1), note(2)))
    with pytest.raises(ValueError, match="determinism_check"):
        ag.utils.checkpoint.checkpoint(ag.exp, x, use_reentrant=False, determinism_check="strict")


def test_parameters_get_gradients_when_no_input_requires_grad():
    m = _model()
    ag.utils.checkpoint.checkpoint(m, ag.tensor(X), use_reentrant=True).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=True)
    ag.utils.checkpoint.checkpoint(m, ag.tensor(X), use_reentrant=False).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    with pytest.raises(TypeError, match="callable"):
        ag.utils.checkpoint.checkpoint(3, ag.tensor(X))


def test_autograd_function_module_imports_as_pytorch():
    from arraygrad.autograd.function import Function, once_differentiable

    assert Function is ag.autograd.Function and once_differentiable is ag.autograd.once_differentiable


@pytest.mark.parametrize("use_reentrant", [False, True])
@pytest.mark.parametrize("leaf", [False, True])
def test_an_input_written_in_place_before_backward_is_an_error(use_reentrant, leaf):
    """The rerun reads the inputs again: the non-reentrant checkpoint recomputed from the new
    values and gave a wrong gradient ([4, 8] for [2, 4]); PyTorch raises, as a saved tensor
    does."""
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    x = a if leaf else a * 1
    y = ag.utils.checkpoint.checkpoint(lambda t: t * t, x, use_reentrant=use_reentrant).sum()
    with ag.no_grad():
        x.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()
    b = ag.tensor([1.0, 2.0], requires_grad=True)
    ag.utils.checkpoint.checkpoint(lambda t: t * t, b * 1, use_reentrant=use_reentrant).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), [2.0, 4.0])
