"""Helpers for the tests that compare arraygrad's PyTorch surface with PyTorch itself."""

from __future__ import annotations

import numpy as np


def flat(o) -> list:
    """The tensors of a (nested) tuple or list result, in order; a tensor alone as [it]."""
    return [x for y in o for x in flat(y)] if isinstance(o, (tuple, list)) else [o]


def same(x, y, rtol=1e-10, atol=1e-12) -> None:
    """arraygrad tensor `x` equals torch tensor `y`: dtype, shape and values."""
    assert x.dtype.name == str(y.dtype).removeprefix("torch."), (x.dtype, y.dtype)
    assert tuple(x.shape) == tuple(y.shape), (tuple(x.shape), tuple(y.shape))
    np.testing.assert_allclose(np.asarray(x.detach()), y.detach().numpy(), rtol=rtol, atol=atol, equal_nan=True)


def recurrent_layers_agree(ours, theirs, arrays, lstm, *, state_term, value_tol, grad_tol) -> None:
    """arraygrad recurrent layer `ours` against PyTorch's `theirs` (same weights) on leaves
    made of `arrays` (input, h0, and c0 for an LSTM): outputs and final states within
    value_tol = (rtol, atol), then the gradients of sum(out * out) + sum(state_term(s)) for
    the leaves and every parameter within grad_tol."""
    import torch

    import arraygrad as xp

    def host(t):
        return np.array(t.detach().to_device("cpu"), copy=True)

    arrays = arrays[:3 if lstm else 2]
    leaves = [xp.asarray(a, requires_grad=True) for a in arrays]
    tleaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, state = ours(leaves[0], tuple(leaves[1:]) if lstm else leaves[1])
    tout, tstate = theirs(tleaves[0], tuple(tleaves[1:]) if lstm else tleaves[1])
    states, tstates = (state, tstate) if lstm else ((state,), (tstate,))
    rtol, atol = value_tol
    np.testing.assert_allclose(host(out), tout.detach().numpy(), rtol=rtol, atol=atol)
    for s, ts in zip(states, tstates):
        np.testing.assert_allclose(host(s), ts.detach().numpy(), rtol=rtol, atol=atol)
    (xp.sum(out * out) + sum(xp.sum(state_term(s)) for s in states)).backward()
    ((tout * tout).sum() + sum(state_term(s).sum() for s in tstates)).backward()
    rtol, atol = grad_tol
    for a, b in zip(leaves, tleaves):
        np.testing.assert_allclose(host(a.grad), b.grad.numpy(), rtol=rtol, atol=atol)
    for (name, p), tp in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(host(p.grad), tp.grad.numpy(), rtol=rtol, atol=atol, err_msg=name)
