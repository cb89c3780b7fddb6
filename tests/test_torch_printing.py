"""repr(tensor) against PyTorch's own output (torch is the oracle; its dtype names read
'torch.' where ours read 'arraygrad.')."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import arraygrad as ag


def both(values, dtype=None):
    """The same tensor in arraygrad and in torch (from a NumPy array or Python data)."""
    arr = np.asarray(values, dtype=dtype)
    return ag.asarray(arr.copy()), torch.from_numpy(arr.copy())


def same_repr(a, t):
    assert repr(a) == repr(t).replace("torch.", "arraygrad.")
    assert str(a) == repr(a)


CASES = {
    "int-valued floats": ([[1.0, 2.0], [3.0, -4.0]], np.float32),
    "decimals": ([0.1, -2.25, 3.14159], np.float32),
    "float64": ([[1.5, 2.0], [3.0, 4.0]], np.float64),
    "small values: scientific": ([1e-5, 0.5, 2.0], np.float32),
    "large spread: scientific": ([1.0, 1e5], np.float32),
    "huge: scientific": ([1e9, 2e9], np.float32),
    "tutorial's gradient": ([102.4, 1024.0, 0.1024], np.float32),
    "nan and inf": ([math.nan, math.inf, -math.inf, 1.5], np.float32),
    "nan with integers": ([math.nan, 1.0, 2.0], np.float32),
    "all zero": ([0.0, 0.0], np.float32),
    "negative zero": ([-0.0, 1.0], np.float32),
    "int64": ([[1, -20], [300, 4]], np.int64),
    "int32": ([1, 2, 3], np.int32),
    "uint8": ([0, 255], np.uint8),
    "bool": ([[True, False], [False, True]], np.bool_),
    "complex64": ([1 + 2j, -0.5 - 1j], np.complex64),
    "complex128 int-valued": ([1 + 2j, 3 - 4j], np.complex128),
    "0-d float": (3.25, np.float32),
    "0-d int": (7, np.int64),
    "empty": ([], np.float32),
    "empty int": ([], np.int64),
    "empty 2-D": (np.zeros((0, 3)), np.float32),
    "3-D": (np.arange(24).reshape(2, 3, 4) / 7, np.float32),
    "wide rows wrap": (np.arange(40) * 1.5, np.float32),
    "wide matrix wraps": (np.arange(60).reshape(2, 30) / 3, np.float64),
}


@pytest.mark.parametrize("name", CASES)
def test_repr_matches_torch(name):
    same_repr(*both(*CASES[name]))


@pytest.mark.parametrize("shape", [(2000,), (40, 40), (3, 400), (400, 3), (12, 12, 12), (1001,)])
def test_summarized_like_torch(shape):
    arr = (np.arange(math.prod(shape)).reshape(shape) % 97 / 7).astype(np.float32)
    same_repr(*both(arr))


def test_autograd_suffixes_match_torch():
    a = ag.tensor([[1.0, 2.0]], dtype=ag.float64, requires_grad=True)
    t = torch.tensor([[1.0, 2.0]], dtype=torch.float64, requires_grad=True)
    same_repr(a, t)
    same_repr(a + 1, t + 1)
    same_repr((a * a).sum(), (t * t).sum())
    same_repr((a * 3).mean(), (t * 3).mean())
    assert repr(a) == "tensor([[1., 2.]], dtype=arraygrad.float64, requires_grad=True)"


def test_long_suffixes_wrap_like_torch():
    arr = np.arange(8, dtype=np.float64).reshape(1, 8) * 1.123
    a, t = both(arr)
    same_repr(a.requires_grad_() * 2, t.requires_grad_() * 2)


@pytest.mark.parametrize("options", [
    {"precision": 2}, {"precision": 6}, {"sci_mode": True}, {"sci_mode": False},
    {"threshold": 5}, {"threshold": 5, "edgeitems": 1}, {"linewidth": 30}, {"profile": "short"},
    {"profile": "full"},
])
def test_printoptions_match_torch(options):
    arr = np.array([[0.123456789, 12.5, 1e-3, 7.0, 8.0, 9.0, 10.0]], dtype=np.float32)
    try:
        torch.set_printoptions(**options)
        ag.set_printoptions(**options)
        same_repr(*both(arr))
        same_repr(*both(np.arange(1200)))
    finally:
        torch.set_printoptions(profile="default")
        ag.set_printoptions(profile="default")
    assert ag.get_printoptions()["precision"] == 4


def test_printoptions_context_restores():
    with ag.printoptions(precision=1):
        assert repr(ag.tensor([1.25])) == "tensor([1.2])"
    assert repr(ag.tensor([1.25])) == "tensor([1.2500])"


def test_format_of_scalars():
    assert f"{ag.tensor(2.5):.3f}" == "2.500" and f"{ag.tensor(3)}" == "3"
    with pytest.raises(TypeError):
        f"{ag.tensor([1.0, 2.0]):.3f}"


def test_return_types_print_like_torch():
    arr = np.array([[1, 5], [7, 2]])
    a, t = both(arr)
    assert repr(a.max(1)) == repr(t.max(1)).replace("torch.", "arraygrad.")


def test_bad_printoptions():
    with pytest.raises(ValueError, match="profile"):
        ag.set_printoptions(profile="tiny")
    with pytest.raises(ValueError, match="precision"):
        ag.set_printoptions(precision=-1)
