"""The connectionist temporal classification loss (PyTorch's `F.ctc_loss`).

One op, `ctc_loss`: its forward runs the log-space alpha recursion of Graves et al. (2006),
vectorised over the batch and over the extended label axis (blank, l1, blank, l2, ..., blank),
with a Python loop over time only; it returns each sequence's negative log-likelihood and the
alphas, which the backward reuses. The backward runs the beta recursion the same way and
gives PyTorch's gradient with respect to `log_probs`:

    grad[t, n, c] = g[n] * (exp(lp[t, n, c]) - sum_{s: l'_s = c} exp(alpha + beta - lp + nll))

for t < input_lengths[n] (zero after). The `exp(lp)` term is PyTorch's: the loss's own
derivative is the second term alone, and the two agree after a log_softmax (whose
gradient removes anything constant over the classes), which is how the loss is meant to be
used — so gradcheck holds through log_softmax, and the gradient equals PyTorch's always.
"""

from __future__ import annotations

import math

import arraygrad as _ag

from .._dispatch import Op, Tensor, apply, check_tensor, grad_enabled
from .functional import _check_reduction, _placed

__all__ = ["ctc_loss", "CTCLossError"]

_FNAME = "ctc_loss"


class CTCLossError(RuntimeError, ValueError):
    """A ctc_loss argument of the wrong size or value: PyTorch raises RuntimeError, and
    arraygrad's rule for bad values is ValueError; both catch it."""


class CTCLossDtypeError(NotImplementedError, TypeError):
    """log_probs of a dtype the loss does not run on (PyTorch: NotImplementedError)."""


# ----------------------------------------------------------------------------------------
# The recursions, written against an array-API namespace `xp`: the backend's on raw arrays
# (the forward, first-order backward), arraygrad's when the backward records (create_graph).
# ----------------------------------------------------------------------------------------
def _lse(xp, *terms):
    """log(sum(exp(terms))), elementwise, -inf where every term is -inf (no NaN, no warning)."""
    m = terms[0]
    for t in terms[1:]:
        m = xp.maximum(m, t)
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    total = xp.exp(terms[0] - m)
    for t in terms[1:]:
        total = total + xp.exp(t - m)
    positive = total > 0
    return xp.where(positive, m + xp.log(xp.where(positive, total, xp.ones_like(total))),
                    xp.full_like(total, -math.inf))


def _shift(xp, a, k, fill):
    """a[:, s - k] along the last axis (k > 0: from the left, k < 0: from the right), `fill`
    where that falls outside."""
    n, width = a.shape
    if width == 0 or k == 0:
        return a
    pad = xp.full((n, min(abs(k), width)), fill, dtype=a.dtype, **_placed(xp, a))
    if abs(k) >= width:
        return pad
    return xp.concat([pad, a[:, :width - k]] if k > 0 else [a[:, -k:], pad], axis=1)


def _extended(xp, targets, target_lengths, blank):
    """(the extended labels l' (N, 2S + 1): blank, t1, blank, t2, ..., blank — padding past
    each target's length read as blank, never its stored value; where the two-step move
    s - 2 -> s is allowed: s odd, not the first label, a label other than l'[s - 2])."""
    n, s_max = targets.shape
    placed = _placed(xp, targets)
    blanks = xp.full((n, s_max), blank, dtype=xp.int64, **placed)
    within = xp.arange(s_max, dtype=xp.int64, **placed) < xp.expand_dims(target_lengths, axis=1)
    labels = xp.where(within, targets, blanks)
    ext = xp.reshape(xp.stack([blanks, labels], axis=2), (n, 2 * s_max))
    ext = xp.concat([ext, xp.full((n, 1), blank, dtype=xp.int64, **placed)], axis=1)
    s = xp.arange(2 * s_max + 1, dtype=xp.int64, **placed)
    odd = (s % 2 == 1) & (s >= 3)
    skip = odd & (ext != _shift(xp, ext, 2, -1))
    return ext, skip


def _emissions(xp, log_probs, ext):
    """lp[t, n, l'[n, s]]: (T, N, 2S + 1)."""
    t = log_probs.shape[0]
    idx = xp.broadcast_to(xp.expand_dims(ext, axis=0), (t,) + tuple(ext.shape))
    return xp.take_along_axis(log_probs, idx, axis=2)


def _ctc_forward(xp, log_probs, targets, input_lengths, target_lengths, *, blank, zero_infinity):
    """(each sequence's negative log-likelihood (N,), the log-alphas (T, N, 2S + 1))."""
    T = log_probs.shape[0]
    ext, skip = _extended(xp, targets, target_lengths, blank)
    lpe = _emissions(xp, log_probs, ext)
    n, width = ext.shape
    placed = _placed(xp, log_probs)
    s = xp.arange(width, dtype=xp.int64, **placed)
    neg_inf = xp.full((n, width), -math.inf, dtype=log_probs.dtype, **placed)
    first = (s == 0) | ((s == 1) & (xp.expand_dims(target_lengths, axis=1) > 0))
    alpha = xp.where(first, lpe[0], neg_inf)
    alphas = [alpha]
    for t in range(1, T):
        skipped = xp.where(skip, _shift(xp, alpha, 2, -math.inf), neg_inf)
        alpha = lpe[t] + _lse(xp, alpha, _shift(xp, alpha, 1, -math.inf), skipped)
        alphas.append(alpha)
    alphas = xp.stack(alphas, axis=0)
    # the alphas at each sequence's last step, at its last label and its last blank
    last_t = xp.where(input_lengths > 0, input_lengths - 1, xp.zeros_like(input_lengths))
    idx = xp.broadcast_to(xp.reshape(last_t, (1, n, 1)), (1, n, width))
    at_end = xp.take_along_axis(alphas, idx, axis=0)[0]
    end = xp.expand_dims(2 * target_lengths, axis=1)
    l1 = xp.take_along_axis(at_end, end, axis=1)[:, 0]
    l2 = xp.take_along_axis(at_end, xp.where(end > 0, end - 1, end), axis=1)[:, 0]
    l2 = xp.where(target_lengths > 0, l2, xp.full_like(l2, -math.inf))
    nll = -_lse(xp, l1, l2)
    # no time step: probability 1 of the empty target, 0 of any other
    empty = xp.where(target_lengths == 0, xp.zeros_like(nll), xp.full_like(nll, math.inf))
    return xp.where(input_lengths == 0, empty, nll), alphas


def _ctc_grad(xp, g, log_probs, targets, input_lengths, target_lengths, blank, zero_infinity, ans):
    """PyTorch's gradient with respect to log_probs, through the beta recursion."""
    g = g[0]  # the alphas (output 1) carry none
    if grad_enabled():  # the backward records: recompute, so that the result differentiates again
        ans = _ctc_forward(xp, log_probs, targets, input_lengths, target_lengths, blank=blank,
                           zero_infinity=zero_infinity)
    nll, alphas = ans
    T = log_probs.shape[0]
    ext, skip = _extended(xp, targets, target_lengths, blank)
    lpe = _emissions(xp, log_probs, ext)
    n, width = ext.shape
    placed = _placed(xp, log_probs)
    s = xp.expand_dims(xp.arange(width, dtype=xp.int64, **placed), axis=0)
    neg_inf = xp.full((n, width), -math.inf, dtype=log_probs.dtype, **placed)
    tl = xp.expand_dims(target_lengths, axis=1)
    last = (s == 2 * tl) | ((s == 2 * tl - 1) & (tl > 0))
    skip_from = _shift(xp, skip, -2, False)  # s -> s + 2 allowed
    il = xp.expand_dims(input_lengths, axis=1)
    beta = neg_inf
    betas = [None] * T
    for t in range(T - 1, -1, -1):
        skipped = xp.where(skip_from, _shift(xp, beta, -2, -math.inf), neg_inf)
        step = lpe[t] + _lse(xp, beta, _shift(xp, beta, -1, -math.inf), skipped)
        beta = xp.where(il - 1 == t, xp.where(last, lpe[t], neg_inf), xp.where(il - 1 > t, step, neg_inf))
        betas[t] = beta
    betas = xp.stack(betas, axis=0)
    # each state's posterior occupancy, in [0, 1]: alpha * beta / (p * emission)
    finite = xp.isfinite(nll)
    safe_nll = xp.where(finite, nll, xp.zeros_like(nll))
    occupancy = xp.exp(alphas + betas - lpe + xp.reshape(safe_nll, (1, n, 1)))
    n_classes = log_probs.shape[2]
    classes = xp.arange(n_classes, dtype=xp.int64, **placed)
    onehot = xp.astype(xp.expand_dims(ext, axis=2) == classes, log_probs.dtype)  # (N, L, C)
    per_class = xp.matmul(xp.permute_dims(occupancy, (1, 0, 2)), onehot)  # (N, T, C)
    grad = xp.exp(log_probs) - xp.permute_dims(per_class, (1, 0, 2))
    grad = grad * xp.reshape(g, (1, n, 1))
    # an impossible alignment (nll = inf): NaN as PyTorch's, or 0 with zero_infinity
    bad = xp.full_like(grad, 0.0 if zero_infinity else math.nan)
    grad = xp.where(xp.reshape(finite, (1, n, 1)), grad, bad)
    steps = xp.reshape(xp.arange(T, dtype=xp.int64, **placed), (T, 1, 1))
    return xp.where(steps < xp.reshape(input_lengths, (1, n, 1)), grad, xp.zeros_like(grad))


_CTC = Op("ctc_loss", ("log_probs", "targets", "input_lengths", "target_lengths"),
          {"log_probs": _ctc_grad, "targets": None, "input_lengths": None, "target_lengths": None},
          dtypes="real floating", generic=_ctc_forward, grad_fn="CtcLossBackward0", nout=2,
          differentiable_outputs=(True, False))


# ----------------------------------------------------------------------------------------
# Arguments
# ----------------------------------------------------------------------------------------
def _lengths(value, argname: str, batch: int, batched: bool, device):
    """(the lengths as Python ints — read, as PyTorch reads them to check them — and as an
    int64 tensor (N,) on log_probs' device)."""
    if isinstance(value, Tensor):
        if value._dtype.kind not in "iu":
            raise CTCLossError(f"{_FNAME}: {argname} must be integral, got dtype {value._dtype}")
        t = _ag.reshape(value, (-1,))
        if t._dtype is not _ag.int64:
            t = _ag.astype(t, _ag.int64)
        if t.device != device:
            t = t.to(device)
        values = [int(v) for v in t.tolist()]
    elif isinstance(value, (tuple, list)) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        values = [int(v) for v in value]
        t = None
    else:
        raise TypeError(f"{_FNAME}: {argname} must be a Tensor of integers or a tuple of ints, "
                        f"got {type(value).__name__}"
                        + (f" {value!r}" if isinstance(value, (tuple, list)) else ""))
    if len(values) != batch:
        what = "one length (unbatched input)" if not batched else f"batch_size = {batch} lengths"
        raise CTCLossError(f"{_FNAME}: {argname} must be of size batch_size: expected {what}, "
                           f"got {len(values)}")
    if t is None:
        t = _ag.asarray(values, dtype=_ag.int64, device=device)
    return values, t


def _padded_targets(targets, target_lengths, tl: list, batch: int):
    """Targets (N, S) from the padded (N, S) or concatenated (sum of target_lengths,) form."""
    device = targets.device
    if targets.ndim == 2:
        if targets.shape[0] != batch:
            raise CTCLossError(f"{_FNAME}: padded targets must have one row per sequence: expected "
                               f"size {batch} at dimension 0, got shape {tuple(targets.shape)}")
        width = max(tl, default=0)
        if targets.shape[1] < width:
            raise CTCLossError(f"{_FNAME}: padded targets must hold the longest target: expected "
                               f"size at least {width} at dimension 1, got shape {tuple(targets.shape)}")
        return targets
    total, width = sum(tl), max(tl, default=0)
    if targets.shape[0] != total:
        raise CTCLossError(f"{_FNAME}: concatenated targets must have sum(target_lengths) = {total} "
                           f"entries, got shape {tuple(targets.shape)}")
    if width == 0:
        return _ag.zeros((batch, 0), dtype=_ag.int64, device=device)
    # row n, column j: entry offsets[n] + j of the concatenation (entry 0 past the length: the
    # forward reads padding as blank)
    offsets = _ag.cumulative_sum(target_lengths) - target_lengths
    cols = _ag.arange(width, dtype=_ag.int64, device=device)
    idx = _ag.expand_dims(offsets, axis=1) + cols
    idx = _ag.where(cols < _ag.expand_dims(target_lengths, axis=1), idx, _ag.zeros_like(idx))
    return _ag.reshape(_ag.take(targets, _ag.reshape(idx, (-1,)), axis=0), (batch, width))


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank: int = 0, reduction: str = "mean",
             zero_infinity: bool = False) -> Tensor:
    """The CTC loss of log-probabilities `log_probs` ((T, N, C), or (T, C) unbatched; normally
    a log_softmax's output) for `targets`, padded (N, S) or concatenated (sum of
    target_lengths,); the lengths are tensors of integers or tuples of ints. 'mean' divides
    each loss by its target length (at least 1) and averages over the batch; `zero_infinity`
    turns the infinite losses of impossible alignments (and their gradients) into zeros."""
    check_tensor(log_probs, _FNAME, "log_probs")
    check_tensor(targets, _FNAME, "targets")
    _check_reduction(reduction, _FNAME)
    if log_probs._dtype not in (_ag.float32, _ag.float64):
        raise CTCLossDtypeError(f"{_FNAME}: log_probs must be float32 or float64, got {log_probs._dtype}")
    if log_probs.ndim not in (2, 3):
        raise CTCLossError(f"{_FNAME}: log_probs must have shape (T, N, C) or (T, C), got "
                           f"{tuple(log_probs.shape)}")
    if log_probs.size == 0:
        raise CTCLossError(f"{_FNAME}: log_probs must not be empty, got shape {tuple(log_probs.shape)}")
    if targets._dtype.kind not in "iuf":
        raise TypeError(f"{_FNAME}: targets must hold class indices (an integer dtype), got {targets._dtype}")
    if isinstance(blank, bool) or not isinstance(blank, int):
        raise TypeError(f"{_FNAME}: blank must be an int, got {type(blank).__name__}")
    batched = log_probs.ndim == 3
    if not batched:
        log_probs = _ag.expand_dims(log_probs, axis=1)
        if targets.ndim != 1:
            raise CTCLossError(f"{_FNAME}: an unbatched log_probs (T, C) needs targets of shape (S,), "
                               f"got {tuple(targets.shape)}")
        targets = _ag.expand_dims(targets, axis=0)
    elif targets.ndim not in (1, 2):
        raise CTCLossError(f"{_FNAME}: targets must be padded (N, S) or concatenated (sum of "
                           f"target_lengths,), got {targets.ndim} dimensions, shape {tuple(targets.shape)}")
    T, batch, n_classes = log_probs.shape
    if not 0 <= blank < n_classes:
        raise CTCLossError(f"{_FNAME}: blank must be in label range [0, {n_classes}), got {blank}")
    device = log_probs.device
    il, il_t = _lengths(input_lengths, "input_lengths", batch, batched, device)
    tl, tl_t = _lengths(target_lengths, "target_lengths", batch, batched, device)
    for name, values, bound in (("input_lengths", il, T), ("target_lengths", tl, None)):
        bad = [v for v in values if v < 0 or (bound is not None and v > bound)]
        if bad:
            limit = f"in [0, {bound}] (the length of log_probs)" if bound is not None else "non-negative"
            raise CTCLossError(f"{_FNAME}: {name} must be {limit}, got {bad[0]}")
    if targets._dtype is not _ag.int64:
        targets = _ag.astype(targets, _ag.int64)
    if targets.device != device:
        targets = targets.to(device)
    padded = _padded_targets(targets, tl_t, tl, batch)
    nll = apply(_CTC, (log_probs, padded, il_t, tl_t), {"blank": blank, "zero_infinity": bool(zero_infinity)},
                _FNAME)[0]
    if zero_infinity:
        nll = _ag.where(_ag.isinf(nll), _ag.zeros_like(nll), nll)
    if reduction == "mean":
        return _ag.mean(nll / _ag.clip(_ag.astype(tl_t, nll.dtype), min=1))
    if reduction == "sum":
        return _ag.sum(nll)
    return nll if batched else nll[0]
