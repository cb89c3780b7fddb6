"""F.ctc_loss and nn.CTCLoss against torch (the oracle): values, dtypes and gradients for padded
and concatenated targets, tensor and tuple lengths, every reduction, zero_infinity, unbatched
inputs; gradcheck through log_softmax; argument validation."""

from __future__ import annotations

import numpy as np
import pytest

ref = pytest.importorskip("torch")
import torch.nn.functional as RF  # noqa: E402

import arraygrad as torch  # noqa: E402
import arraygrad.nn as nn  # noqa: E402
import arraygrad.nn.functional as F  # noqa: E402
from arraygrad.autograd import gradcheck, gradgradcheck  # noqa: E402
from arraygrad.nn._ctc import CTCLossDtypeError, CTCLossError  # noqa: E402


def _log_probs(rng, T, N, C, dtype=np.float64, normalized=True):
    x = rng.standard_normal((T, N, C))
    if normalized:
        x = x - np.log(np.exp(x).sum(-1, keepdims=True))
    return x.astype(dtype)


def _targets(rng, N, S, C, blank=0):
    t = rng.integers(0, C - 1, (N, S))
    t = np.where(t >= blank, t + 1, t)  # never the blank
    t[:, 1::3] = t[:, :1]  # some repeated labels (the two-step move is then forbidden)
    return t


def _both(x, t, il, tl, *, as_tuple=False, **kw):
    """(arraygrad's loss, its input; torch's loss, its input)."""
    ax, tx = torch.tensor(x, requires_grad=True), ref.tensor(x, requires_grad=True)
    if as_tuple:
        a_il, a_tl, r_il, r_tl = tuple(il), tuple(tl), tuple(il), tuple(tl)
    else:
        a_il, a_tl = torch.tensor(np.asarray(il)), torch.tensor(np.asarray(tl))
        r_il, r_tl = ref.tensor(np.asarray(il)), ref.tensor(np.asarray(tl))
    a = F.ctc_loss(ax, torch.tensor(t), a_il, a_tl, **kw)
    r = RF.ctc_loss(tx, ref.tensor(t), r_il, r_tl, **kw)
    return a, ax, r, tx


def _check(a, ax, r, tx, rng, rtol=1e-7, atol=1e-9):
    assert str(a.dtype).split(".")[-1] == str(r.dtype).split(".")[-1]
    assert tuple(a.shape) == tuple(r.shape)
    np.testing.assert_allclose(a.detach().numpy(), r.detach().numpy(), rtol=rtol, atol=atol)
    w = rng.standard_normal(tuple(r.shape))
    (a * torch.tensor(w, dtype=a.dtype)).sum().backward()
    (r * ref.tensor(w, dtype=r.dtype)).sum().backward()
    np.testing.assert_allclose(ax.grad.numpy(), tx.grad.numpy(), rtol=rtol, atol=atol)


CASES = [  # T, N, C, input_lengths, target_lengths, S (padded width)
    (6, 3, 5, [6, 5, 4], [4, 2, 0], 4),
    (3, 2, 5, [3, 3], [4, 1], 4),  # the first alignment is impossible (loss inf)
    (5, 3, 4, [0, 5, 2], [0, 2, 1], 3),  # no time step at all
    (5, 3, 4, [0, 5, 2], [1, 2, 1], 3),  # no time step, a target: inf, zero gradient
    (25, 4, 7, [25, 20, 17, 25], [10, 7, 3, 0], 12),
    (1, 2, 3, [1, 1], [1, 0], 2),
]


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_matches_torch_padded(case, reduction, zero_infinity):
    rng = np.random.default_rng(case)
    T, N, C, il, tl, S = CASES[case]
    x, t = _log_probs(rng, T, N, C), _targets(rng, N, S, C)
    _check(*_both(x, t, il, tl, reduction=reduction, zero_infinity=zero_infinity), rng)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_matches_torch_concatenated_and_tuples(case, reduction):
    rng = np.random.default_rng(10 + case)
    T, N, C, il, tl, S = CASES[case]
    x, t = _log_probs(rng, T, N, C), _targets(rng, N, S, C)
    flat = np.concatenate([t[i, :tl[i]] for i in range(N)]).astype(np.int64)
    _check(*_both(x, flat, il, tl, reduction=reduction, zero_infinity=True), rng)
    _check(*_both(x, t, il, tl, as_tuple=True, reduction=reduction), rng)


@pytest.mark.parametrize("blank", [0, 2, 6])
def test_blank_float32_and_unnormalized(blank):
    rng = np.random.default_rng(blank)
    T, N, C = 12, 3, 7
    t = _targets(rng, N, 5, C, blank=blank)
    x = _log_probs(rng, T, N, C, dtype=np.float32)
    _check(*_both(x, t, [12, 9, 7], [5, 3, 1], blank=blank), rng, rtol=1e-4, atol=1e-5)
    # log_probs that are not log-probabilities: PyTorch's gradient formula all the same
    x = _log_probs(rng, T, N, C, normalized=False)
    _check(*_both(x, t, [12, 9, 7], [5, 3, 1], blank=blank, reduction="sum"), rng)


def test_padding_values_are_never_read():
    rng = np.random.default_rng(3)
    x = _log_probs(rng, 6, 2, 4)
    t = np.array([[1, 2, -5, 99], [3, 77, 77, 77]])
    good = np.array([[1, 2, 0, 0], [3, 0, 0, 0]])
    a = F.ctc_loss(torch.tensor(x), torch.tensor(t), (6, 6), (2, 1), reduction="none")
    b = F.ctc_loss(torch.tensor(x), torch.tensor(good), (6, 6), (2, 1), reduction="none")
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_unbatched():
    rng = np.random.default_rng(4)
    x, t = _log_probs(rng, 7, 1, 5)[:, 0], np.array([1, 3, 3])
    for reduction in ("none", "mean", "sum"):
        ax, tx = torch.tensor(x, requires_grad=True), ref.tensor(x, requires_grad=True)
        a = F.ctc_loss(ax, torch.tensor(t), torch.tensor(7), torch.tensor(3), reduction=reduction)
        r = RF.ctc_loss(tx, ref.tensor(t), ref.tensor(7), ref.tensor(3), reduction=reduction)
        _check(a, ax, r, tx, rng)


def test_module_and_grad_fn():
    rng = np.random.default_rng(5)
    x, t = _log_probs(rng, 6, 2, 4), _targets(rng, 2, 3, 4)
    m = nn.CTCLoss(blank=0, reduction="sum", zero_infinity=True)
    assert repr(m) == repr(ref.nn.CTCLoss()) == "CTCLoss()"
    assert (m.blank, m.reduction, m.zero_infinity) == (0, "sum", True)
    ax = torch.tensor(x, requires_grad=True)
    a = m(ax, torch.tensor(t), (6, 5), (3, 2))
    r = ref.nn.CTCLoss(reduction="sum", zero_infinity=True)(ref.tensor(x), ref.tensor(t), (6, 5), (3, 2))
    np.testing.assert_allclose(a.item(), r.item(), rtol=1e-10)
    none = F.ctc_loss(ax, torch.tensor(t), (6, 5), (3, 2), reduction="none")
    assert type(none.grad_fn).__name__ == "CtcLossBackward0"
    assert "ctc_loss" in dir(F) and F.ctc_loss is nn.functional.ctc_loss


def test_gradcheck_through_log_softmax():
    rng = np.random.default_rng(6)
    x = torch.tensor(rng.standard_normal((5, 2, 4)), requires_grad=True)
    t = torch.tensor([[1, 2, 2], [3, 0, 0]])
    for reduction in ("none", "mean", "sum"):
        assert gradcheck(lambda v: F.ctc_loss(F.log_softmax(v, 2), t, (5, 4), (3, 1), reduction=reduction),
                         (x,))
    assert gradgradcheck(lambda v: F.ctc_loss(F.log_softmax(v, 2), t, (5, 4), (3, 1)), (x,))


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"blank": 4}, CTCLossError, r"blank must be in label range \[0, 4\), got 4"),
    ({"blank": -1}, CTCLossError, "blank must be in label range"),
    ({"reduction": "avg"}, ValueError, "reduction must be one of"),
    ({"input_lengths": (7, 5)}, CTCLossError, r"input_lengths must be in \[0, 6\].*got 7"),
    ({"input_lengths": (-1, 5)}, CTCLossError, "input_lengths must be in.*got -1"),
    ({"target_lengths": (4, 2)}, CTCLossError, "expected size at least 4 at dimension 1, got shape"),
    ({"target_lengths": (-1, 2)}, CTCLossError, "target_lengths must be non-negative, got -1"),
    ({"input_lengths": (6,)}, CTCLossError, "input_lengths must be of size batch_size.*got 1"),
    ({"target_lengths": (1, 1, 1)}, CTCLossError, "target_lengths must be of size batch_size.*got 3"),
    ({"input_lengths": "float"}, CTCLossError, "input_lengths must be integral, got dtype"),
    ({"input_lengths": (6.0, 5)}, TypeError, "input_lengths must be a Tensor of integers or a tuple of ints"),
    ({"input_lengths": 6}, TypeError, "input_lengths must be a Tensor of integers or a tuple of ints, got int"),
    ({"targets": "3d"}, CTCLossError, "got 3 dimensions"),
    ({"targets": "rows"}, CTCLossError, "expected size 2 at dimension 0"),
    ({"targets": "flat"}, CTCLossError, r"sum\(target_lengths\) = 4 entries, got shape \(6,\)"),
    ({"log_probs": "half"}, CTCLossDtypeError, "log_probs must be float32 or float64, got arraygrad.float16"),
    ({"log_probs": "empty"}, CTCLossError, "log_probs must not be empty"),
    ({"log_probs": "1d"}, CTCLossError, r"log_probs must have shape \(T, N, C\) or \(T, C\)"),
])
def test_bad_arguments(kwargs, exc, match):
    rng = np.random.default_rng(7)
    x, t = _log_probs(rng, 6, 2, 4), _targets(rng, 2, 3, 4)
    args = {"log_probs": torch.tensor(x), "targets": torch.tensor(t), "input_lengths": (6, 5),
            "target_lengths": (3, 1)}
    special = {
        "float": torch.tensor([6.0, 5.0]), "3d": torch.tensor(t[None]), "rows": torch.tensor(t[:1]),
        "flat": torch.tensor(t.reshape(-1)), "half": torch.tensor(x, dtype=torch.float16),
        "empty": torch.tensor(x[:0]), "1d": torch.tensor(x[0, 0]),
    }
    for k, v in kwargs.items():
        args[k] = special.get(v, v) if isinstance(v, str) and k != "reduction" else v
    with pytest.raises(exc, match=match):
        F.ctc_loss(**args)


def test_error_types_agree_with_torch():
    """PyTorch raises RuntimeError (bad sizes and values) and NotImplementedError (dtype);
    arraygrad's errors are those and ValueError / TypeError too."""
    assert issubclass(CTCLossError, RuntimeError) and issubclass(CTCLossError, ValueError)
    assert issubclass(CTCLossDtypeError, NotImplementedError) and issubclass(CTCLossDtypeError, TypeError)
    x = ref.zeros(6, 2, 4).log_softmax(2)
    t = ref.ones(2, 3, dtype=ref.long)
    with pytest.raises(RuntimeError):
        RF.ctc_loss(x, t, (7, 5), (3, 1))
    with pytest.raises(NotImplementedError):
        RF.ctc_loss(x.half(), t, (6, 5), (3, 1))
