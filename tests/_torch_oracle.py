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
