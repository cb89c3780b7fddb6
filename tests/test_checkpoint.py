"""arraygrad.utils.checkpoint: recomputed activations give the same values and gradients
(dropout's mask replayed), for inputs, parameters, and checkpoint_sequential."""

from __future__ import annotations

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
    (lambda m, x: ag.utils.checkpoint.checkpoint(lambda a, s: m(a) * s, x, 2.0), 2.0),
    (lambda m, x: ag.utils.checkpoint.checkpoint_sequential(m, 3, x, use_reentrant=True), 1.0),
    (lambda m, x: ag.utils.checkpoint.checkpoint_sequential(m, 1, x), 1.0)])
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


def test_checkpoint_recomputes_instead_of_recording():
    calls = []

    def f(a):
        calls.append(ag.is_grad_enabled())
        return (a * 3).exp()

    x = ag.tensor([0.1, 0.2], requires_grad=True)
    y = ag.utils.checkpoint.checkpoint(f, x, use_reentrant=False)
    assert calls == [False] and type(y.grad_fn).__name__ == "CheckpointFunctionBackward"
    y.sum().backward()
    assert calls == [False, True]
    np.testing.assert_allclose(np.asarray(x.grad), 3 * np.exp(3 * np.array([0.1, 0.2])), rtol=1e-6)


def test_parameters_get_gradients_when_no_input_requires_grad():
    m = _model()
    ag.utils.checkpoint.checkpoint(m, ag.tensor(X)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    with pytest.raises(TypeError, match="callable"):
        ag.utils.checkpoint.checkpoint(3, ag.tensor(X))


def test_autograd_function_module_imports_as_pytorch():
    from arraygrad.autograd.function import Function, once_differentiable

    assert Function is ag.autograd.Function and once_differentiable is ag.autograd.once_differentiable
