"""autograd.graph: saved-tensor hooks (PyTorch's torch.autograd.graph), against PyTorch."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import arraygrad as ag
from arraygrad import _dispatch as D

torch = pytest.importorskip("torch")


def _run(lib, pack, unpack):
    x = lib.tensor(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True)
    w = lib.tensor(np.linspace(-1, 1, 6).reshape(3, 2), requires_grad=True)
    with lib.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = (lib.tanh(x @ w) ** 2).sum() + (lib.sin(x) * x).mean()
    y.backward()
    return x.grad.numpy(), w.grad.numpy()


def test_the_same_tensors_are_packed_and_the_gradients_are_pytorchs():
    results, shapes = [], []
    for lib in (ag, torch):
        packed = []
        results.append(_run(lib, lambda t: (packed.append(tuple(t.shape)), t * 1)[1], lambda t: t))
        shapes.append(sorted(packed))
    assert shapes[0] == shapes[1] and shapes[0]
    for a, t in zip(*results):
        np.testing.assert_allclose(a, t, rtol=1e-12)
    assert D.HOOK_CONTEXTS == 0


def test_hooks_that_move_the_data_out_and_back():
    """Packed as NumPy copies (as offloading to disk would), unpacked as new tensors."""
    want = _run(torch, lambda t: t, lambda t: t)
    got = _run(ag, lambda t: np.array(t.detach().numpy(), copy=True), lambda a: ag.from_numpy(a))
    for a, t in zip(got, want):
        np.testing.assert_allclose(a, t, rtol=1e-12)
    got = _run(ag, lambda t: t, lambda t: t)  # save_on_cpu's path, and the identity
    with ag.autograd.graph.save_on_cpu():
        x = ag.ones(3, requires_grad=True)
        (x.exp() * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.e)


def test_higher_order_and_custom_functions_through_hooked_saves():
    for lib in (ag, torch):
        x = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t * 1, lambda t: t):
            z = (x ** 3).sum() + (lib.exp(x) * x).sum()
        (g,) = lib.autograd.grad(z, x, create_graph=True)
        (h,) = lib.autograd.grad(g.sum(), x)
        np.testing.assert_allclose(h.numpy(), 6 * x.detach().numpy() + np.exp([1, 2, 3]) * ([1, 2, 3] + np.full(3, 2.0)))

    class Square(ag.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 2 * a * g

    seen = []
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with ag.autograd.graph.saved_tensors_hooks(lambda t: (seen.append(t), t)[1], lambda t: t):
        Square.apply(x).sum().backward()
    assert len(seen) == 1 and seen[0] is x
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_innermost_applies_retain_graph_unpacks_again_and_hooks_are_per_thread():
    calls = []
    x = ag.ones(2, requires_grad=True)
    with ag.autograd.graph.saved_tensors_hooks(lambda t: ("outer", t), lambda p: p[1]):
        with ag.autograd.graph.saved_tensors_hooks(lambda t: ("inner", t), lambda p: (calls.append(p[0]), p[1])[1]):
            y = (x * x).sum()
        elsewhere = []
        thread = threading.Thread(target=lambda: elsewhere.append(type((x * x).grad_fn.saved["x1"]).__name__))
        thread.start()
        thread.join()
    y.backward(retain_graph=True)
    y.backward()
    assert calls == ["inner"] * 4  # two saved inputs, two passes
    assert elsewhere == ["SavedTensor"]  # another thread saw no hooks
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 4.0])


def test_bad_hooks_and_disabled_hooks_are_clear_errors():
    with pytest.raises(TypeError, match="pack_hook and unpack_hook must be callable"):
        ag.autograd.graph.saved_tensors_hooks(None, lambda t: t)
    x = ag.ones(2, requires_grad=True)
    with ag.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: "not a tensor"):
        y = (x * x).sum()
    with pytest.raises(TypeError, match="unpack_hook must return a Tensor, got str"):
        y.backward()
    with ag.autograd.graph.disable_saved_tensors_hooks("this library needs the real tensors"):
        with pytest.raises(RuntimeError, match="needs the real tensors"):
            with ag.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                pass
    with pytest.raises(ValueError):
        with ag.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            raise ValueError  # the context closes on an error too
    assert D.HOOK_CONTEXTS == 0 and D.SAVED_TENSORS_HOOKS.get() == ()
    assert isinstance((x * 2).grad_fn, ag.autograd.graph.Node)
    from arraygrad.autograd.graph import saved_tensors_hooks  # PyTorch's import path

    assert saved_tensors_hooks is ag.autograd.graph.saved_tensors_hooks


def test_increment_version_makes_a_saved_tensor_stale():
    x = ag.ones(3, requires_grad=True)
    y = x * 1
    z = (y * y).sum()
    ag.autograd.graph.increment_version(y)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()
