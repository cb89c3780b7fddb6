"""Recurrent layers: `RNN`, `LSTM`, `GRU` and their one-step cells (PyTorch's equations,
parameter names, shapes and initialization).

Built from differentiable functions (`linear`, `sigmoid`, `tanh`, slicing, `stack`), so
autograd, higher orders and every backend come for free. Each layer multiplies the whole
input sequence by W_ih in one product; only the recurrent product runs per time step.
LSTM (without a projection) and GRU run each layer's whole sequence as one op, whose
backward loop is written with the same functions; RNN, LSTM's projection and packed
sequences record one fused cell per step.

The layers also take a `PackedSequence` (`nn.utils.rnn`) and then return one: each step
runs on the `batch_sizes[t]` sequences still going, so the final states are those of each
sequence's last valid step (the reverse direction starts each sequence at its own end).
"""

from __future__ import annotations

import math

from .._dispatch import Op, apply, grad_enabled
from .._ops.creation import empty, zeros
from .._ops.indexing import take
from .._ops.elementwise import tanh
from .._ops.manipulation import concat, flip, stack, unstack
from .. import relu
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter
from .utils.rnn import PackedSequence

__all__ = ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# ----- fused cells: one recorded op per time step, as PyTorch's fused LSTM/GRU kernels -----
def _lstm_activations(xp, gi, gh, c):
    """(sigmoid of every gate block, tanh of the cell-input block, the new cell state) from
    the gates' input and hidden parts."""
    n = c.shape[-1]
    gates = gi + gh
    s = xp.sigmoid(gates)  # i, f and o are read from it; its third block goes unused
    g = xp.tanh(gates[..., 2 * n:3 * n])
    return s, g, s[..., n:2 * n] * c + s[..., :n] * g


def _lstm_cell_forward(xp, gi, gh, c):
    """(concat(h', c'), then what the gradient reuses: the gate sigmoids, g, tanh(c'))."""
    n = c.shape[-1]
    s, g, c2 = _lstm_activations(xp, gi, gh, c)
    tc = xp.tanh(c2)
    return xp.concat([s[..., 3 * n:] * tc, c2], axis=-1), s, g, tc


def _lstm_cell_grads(xp, g, gi, gh, c, ans):
    """d(gi) = d(gh) = d(gates), and d(c), from d(concat(h', c')). Recording (create_graph),
    the activations are recomputed from the inputs so that they differentiate again."""
    n = c.shape[-1]
    if grad_enabled():
        s, gg, c2 = _lstm_activations(xp, gi, gh, c)
        tc = xp.tanh(c2)
    else:
        _, s, gg, tc = ans
    d_gates, dc = _lstm_step_grads(xp, g[0][..., :n], g[0][..., n:], s, gg, tc, c)
    return d_gates, d_gates, dc


def _lstm_step_grads(xp, dh, dc, s, gg, tc, c_prev):
    """One step back through the cell: (d(gates), d(c_prev)) from d(h') and d(c') (the
    gate sigmoids s, g and tanh(c') of the step's forward)."""
    n = tc.shape[-1]
    i, f, o = s[..., :n], s[..., n:2 * n], s[..., 3 * n:]
    dc = dc + dh * o * (1 - tc * tc)
    d_gates = xp.concat([dc * gg * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - gg * gg),
                         dh * tc * o * (1 - o)], axis=-1)
    return d_gates, dc * f


# One op per time step (PyTorch's fused cell); the gates' input and hidden parts are added
# inside it, which saves a recorded add per step.
_LSTM_CELL = Op("lstm_cell", ("gi", "gh", "c"), {("gi", "gh", "c"): _lstm_cell_grads}, dtypes="real floating",
                generic=_lstm_cell_forward, nout=4, differentiable_outputs=(True, False, False, False))


# ----- a whole LSTM sequence as one op (the common case: no projection, no packing) ------
# Per step, autograd would record the recurrent product and the cell and later run them
# one node at a time; as one op the forward and backward loops run on the backend's arrays,
# and the recurrent weights' gradient is one (4H, T*N) @ (T*N, H) product at the end, as
# PyTorch's fused kernels do.
def _lstm_sequence_forward(xp, gi_all, h0, c0, w_hh, b_hh):
    """(concat(h_1..h_T, c_T) as a (T + 1, N, H) array, then what the gradient reuses: the
    gate sigmoids (T, N, 4H), g (T, N, H), tanh(c_t) and c_t (T, N, H) each)."""
    n = c0.shape[-1]
    w = F._c_order(xp, xp.matrix_transpose(w_hh))  # BLAS takes a C-order operand ~30% faster
    h, c = h0, c0
    hs, cs, ss, gs, tcs = [], [], [], [], []
    for t in range(gi_all.shape[0]):
        gates = gi_all[t, ...] + xp.matmul(h, w)
        if b_hh is not None:
            gates = gates + b_hh
        s = xp.sigmoid(gates)
        g = xp.tanh(gates[..., 2 * n:3 * n])
        c = s[..., n:2 * n] * c + s[..., :n] * g
        tc = xp.tanh(c)
        h = s[..., 3 * n:] * tc
        hs.append(h), cs.append(c), ss.append(s), gs.append(g), tcs.append(tc)
    return xp.stack(hs + [c], axis=0), xp.stack(ss, axis=0), xp.stack(gs, axis=0), \
        xp.stack(tcs, axis=0), xp.stack(cs, axis=0)


def _lstm_sequence_grads(xp, g, gi_all, h0, c0, w_hh, b_hh, ans, needs_grad):
    """The backward loop: d(gi_all), d(h0), d(c0), d(w_hh), d(b_hh) from d(h_1..h_T, c_T).
    Recording (create_graph), the forward is recomputed from the inputs so that the result
    differentiates again."""
    if grad_enabled():
        ans = _lstm_sequence_forward(xp, gi_all, h0, c0, w_hh, b_hh)
    y, ss, gs, tcs, cs = ans
    g = g[0]
    steps = gi_all.shape[0]
    dh_next, dc = None, g[steps, ...]
    d_gates = [None] * steps
    for t in range(steps - 1, -1, -1):
        dh = g[t, ...] if dh_next is None else g[t, ...] + dh_next
        d_gates[t], dc = _lstm_step_grads(xp, dh, dc, ss[t, ...], gs[t, ...], tcs[t, ...],
                                          cs[t - 1, ...] if t else c0)
        dh_next = xp.matmul(d_gates[t], w_hh)
    d_all = xp.stack(d_gates, axis=0)
    d_w, d_b = _recurrent_weight_grads(xp, d_all, h0, y, b_hh, needs_grad[3], needs_grad[4])
    return d_all, dh_next, dc, d_w, d_b


def _recurrent_weight_grads(xp, d_hidden, h0, y, b_hh, need_w, need_b):
    """(d(w_hh), d(b_hh)) from the gradients of every step's hidden product (T, N, G*H): one
    product over all steps, sum_t d_t^T h_(t-1), with h_0..h_(T-1) from h0 and the outputs."""
    d_w = d_b = None
    if need_w:
        steps, rows = d_hidden.shape[0], d_hidden.shape[0] * h0.shape[0]
        h_prev = xp.concat([xp.expand_dims(h0, axis=0), y[:steps - 1, ...]], axis=0)
        d_w = xp.matmul(xp.matrix_transpose(xp.reshape(d_hidden, (rows, d_hidden.shape[-1]))),
                        xp.reshape(h_prev, (rows, h0.shape[-1])))
    if b_hh is not None and need_b:
        d_b = xp.sum(d_hidden, axis=(0, 1))
    return d_w, d_b


_LSTM_SEQUENCE = Op("lstm_sequence", ("gi_all", "h0", "c0", "w_hh", "b_hh"),
                    {("gi_all", "h0", "c0", "w_hh", "b_hh"): _lstm_sequence_grads}, dtypes="real floating",
                    generic=_lstm_sequence_forward, nout=5, differentiable_outputs=(True,) + (False,) * 4,
                    grad_fn="LstmBackward0")


def _gru_sequence_forward(xp, gi_all, h0, w_hh, b_hh):
    """(h_1..h_T as a (T, N, H) array, then what the gradient reuses: the reset/update
    sigmoids (T, N, 2H), the candidates and the hidden product's candidate part (T, N, H))."""
    n = h0.shape[-1]
    w = F._c_order(xp, xp.matrix_transpose(w_hh))  # see _lstm_sequence_forward
    h = h0
    hs, rzs, cands, ghns = [], [], [], []
    for t in range(gi_all.shape[0]):
        gi = gi_all[t, ...]
        gh = xp.matmul(h, w)
        if b_hh is not None:
            gh = gh + b_hh
        rz = xp.sigmoid(gi[..., :2 * n] + gh[..., :2 * n])
        ghn = gh[..., 2 * n:]
        cand = xp.tanh(gi[..., 2 * n:] + rz[..., :n] * ghn)
        h = cand + rz[..., n:] * (h - cand)
        hs.append(h), rzs.append(rz), cands.append(cand), ghns.append(ghn)
    return xp.stack(hs, axis=0), xp.stack(rzs, axis=0), xp.stack(cands, axis=0), xp.stack(ghns, axis=0)


def _gru_sequence_grads(xp, g, gi_all, h0, w_hh, b_hh, ans, needs_grad):
    """The backward loop: d(gi_all), d(h0), d(w_hh), d(b_hh) from d(h_1..h_T) (the forward
    recomputed from the inputs when recording, as for LSTM)."""
    if grad_enabled():
        ans = _gru_sequence_forward(xp, gi_all, h0, w_hh, b_hh)
    y, rzs, cands, ghns = ans
    g = g[0]
    steps = gi_all.shape[0]
    dh_next = None
    d_gi, d_gh = [None] * steps, [None] * steps
    for t in range(steps - 1, -1, -1):
        dh = g[t, ...] if dh_next is None else g[t, ...] + dh_next
        d_gi[t], d_gh[t], dh_direct = _gru_step_grads(xp, dh, y[t - 1, ...] if t else h0, rzs[t, ...],
                                                      cands[t, ...], ghns[t, ...])
        dh_next = dh_direct + xp.matmul(d_gh[t], w_hh)
    d_w, d_b = _recurrent_weight_grads(xp, xp.stack(d_gh, axis=0), h0, y, b_hh, needs_grad[2], needs_grad[3])
    return xp.stack(d_gi, axis=0), dh_next, d_w, d_b


_GRU_SEQUENCE = Op("gru_sequence", ("gi_all", "h0", "w_hh", "b_hh"),
                   {("gi_all", "h0", "w_hh", "b_hh"): _gru_sequence_grads}, dtypes="real floating",
                   generic=_gru_sequence_forward, nout=4, differentiable_outputs=(True, False, False, False),
                   grad_fn="GruBackward0")


def _gru_activations(xp, gi, gh, h):
    """(sigmoid of the reset and update blocks, the candidate state)."""
    n = h.shape[-1]
    rz = xp.sigmoid(gi[..., :2 * n] + gh[..., :2 * n])
    return rz, xp.tanh(gi[..., 2 * n:] + rz[..., :n] * gh[..., 2 * n:])


def _gru_cell_forward(xp, gi, gh, h):
    """(h', then what the gradient reuses: the reset/update sigmoids, the candidate)."""
    n = h.shape[-1]
    rz, cand = _gru_activations(xp, gi, gh, h)
    z = rz[..., n:]
    return cand + z * (h - cand), rz, cand


def _gru_cell_grads(xp, g, gi, gh, h, ans):
    """d(gi), d(gh), d(h) from d(h') (activations recomputed when recording, as for LSTM)."""
    n = h.shape[-1]
    rz, cand = _gru_activations(xp, gi, gh, h) if grad_enabled() else ans[1:]
    return _gru_step_grads(xp, g[0], h, rz, cand, gh[..., 2 * n:])


def _gru_step_grads(xp, dh, h_prev, rz, cand, ghn):
    """One step back through the cell: (d(gi), d(gh), d(h_prev) not through gh) from d(h')
    (the reset/update sigmoids rz, the candidate and gh's candidate part of the forward)."""
    n = cand.shape[-1]
    r, z = rz[..., :n], rz[..., n:]
    d_cand = dh * (1 - z) * (1 - cand * cand)
    d_z = dh * (h_prev - cand) * z * (1 - z)
    d_r = d_cand * ghn * r * (1 - r)
    return xp.concat([d_r, d_z, d_cand], axis=-1), xp.concat([d_r, d_z, d_cand * r], axis=-1), dh * z


_GRU_CELL = Op("gru_cell", ("gi", "gh", "h"), {("gi", "gh", "h"): _gru_cell_grads}, dtypes="real floating",
               generic=_gru_cell_forward, nout=3, differentiable_outputs=(True, False, False))


def _step(mode, gi, h, c, w_hh, b_hh, w_hr=None):
    """One time step from gi = x W_ih^T + b_ih: (h', c'), c' None except for LSTM (whose h'
    is projected by w_hr where proj_size is set)."""
    gh = F.linear(h, w_hh, b_hh)
    if mode == "LSTM":
        hc = apply(_LSTM_CELL, (gi, gh, c))[0]
        n = c.shape[-1]
        h = hc[..., :n]
        return (h if w_hr is None else F.linear(h, w_hr)), hc[..., n:]
    if mode == "GRU":
        return apply(_GRU_CELL, (gi, gh, h))[0], None
    pre = gi + gh
    return (tanh(pre) if mode == "RNN_TANH" else relu(pre)), None


def _check_sizes(cls, input_size, hidden_size):
    for name, v in (("input_size", input_size), ("hidden_size", hidden_size)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{cls}: {name} must be a positive int, got {v!r}")


class RNNBase(Module):
    """The multi-layer, optionally bidirectional recurrence shared by RNN, LSTM and GRU."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None, dtype=None) -> None:
        super().__init__()
        cls = type(self).__name__
        _check_sizes(cls, input_size, hidden_size)
        if isinstance(num_layers, bool) or not isinstance(num_layers, int) or num_layers < 1:
            raise ValueError(f"{cls}: num_layers must be a positive int, got {num_layers!r}")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{cls}: dropout must be in [0, 1], got {dropout}")
        if isinstance(proj_size, bool) or not isinstance(proj_size, int) or proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        gate_size = _GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        real_hidden = proj_size or hidden_size  # the size of h (the projection's, where set)
        for layer in range(num_layers):
            width = input_size if layer == 0 else real_hidden * directions
            for suffix in ("", "_reverse")[:directions]:
                names = [f"weight_ih_l{layer}{suffix}", f"weight_hh_l{layer}{suffix}"]
                shapes = [(gate_size, width), (gate_size, real_hidden)]
                if bias:
                    names += [f"bias_ih_l{layer}{suffix}", f"bias_hh_l{layer}{suffix}"]
                    shapes += [(gate_size,), (gate_size,)]
                if proj_size:
                    names.append(f"weight_hr_l{layer}{suffix}")
                    shapes.append((proj_size, hidden_size))
                for name, shape in zip(names, shapes):
                    setattr(self, name, Parameter(empty(shape, dtype=dtype, device=device)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _weights(self, layer: int, suffix: str):
        get = lambda kind: getattr(self, f"{kind}_l{layer}{suffix}", None)  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh"), get("weight_hr")

    def forward(self, input, hx=None):
        cls = type(self).__name__
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        if input.ndim not in (2, 3):
            raise ValueError(f"{cls}: expected a 2-D (unbatched) or 3-D input, got shape {tuple(input.shape)}")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{cls}: input.size(-1) must be equal to input_size. Expected "
                             f"{self.input_size}, got {input.shape[-1]}")
        unbatched = input.ndim == 2
        x = input[:, None] if unbatched else (input.swapaxes(0, 1) if self.batch_first else input)
        directions = 2 if self.bidirectional else 1
        state_shape = (self.num_layers * directions, x.shape[1], self.hidden_size)
        h0, c0 = self._initial_states(hx, unbatched, state_shape, x)
        h_n, c_n = [], []
        seq = x
        for layer in range(self.num_layers):
            outs = []
            for d in range(directions):
                k = layer * directions + d
                w_ih, w_hh, b_ih, b_hh, w_hr = self._weights(layer, "_reverse" if d else "")
                gi_all = F.linear(flip(seq, axis=0) if d else seq, w_ih, b_ih)  # all steps at once
                h, c = h0[k], (c0[k] if c0 is not None else None)
                if self.mode == "LSTM" and w_hr is None and gi_all.shape[0]:
                    y = apply(_LSTM_SEQUENCE, (gi_all, h, c, w_hh, b_hh))[0]
                    out, h, c = y[:-1], y[-2], y[-1]
                elif self.mode == "GRU" and gi_all.shape[0]:
                    out = apply(_GRU_SEQUENCE, (gi_all, h, w_hh, b_hh))[0]
                    h = out[-1]
                else:
                    steps = []
                    for gi in unstack(gi_all, axis=0):
                        h, c = _step(self.mode, gi, h, c, w_hh, b_hh, w_hr)
                        steps.append(h)
                    out = stack(steps, axis=0)
                outs.append(flip(out, axis=0) if d else out)
                h_n.append(h)
                c_n.append(c)
            seq = outs[0] if directions == 1 else concat(outs, axis=-1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                seq = F.dropout(seq, self.dropout, True)
        output = seq[:, 0] if unbatched else (seq.swapaxes(0, 1) if self.batch_first else seq)
        h_n = stack(h_n, axis=0)
        if unbatched:
            h_n = h_n[:, 0]
        if self.mode != "LSTM":
            return output, h_n
        c_n = stack(c_n, axis=0)
        return output, (h_n, c_n[:, 0] if unbatched else c_n)

    def _forward_packed(self, packed, hx):
        """forward() for a PackedSequence: (PackedSequence output, h_n or (h_n, c_n)), the
        final states in the batch's original order."""
        cls = type(self).__name__
        data = packed.data
        if data.ndim != 2 or data.shape[-1] != self.input_size:
            raise ValueError(f"{cls}: input.size(-1) must be equal to input_size. Expected "
                             f"{self.input_size}, got {data.shape[-1]}")
        sizes = [int(b) for b in packed.batch_sizes.tolist()]
        starts = [0]
        for b in sizes[:-1]:
            starts.append(starts[-1] + b)
        directions = 2 if self.bidirectional else 1
        lstm = self.mode == "LSTM"
        h0, c0 = self._initial_states(hx, False, (self.num_layers * directions, sizes[0], self.hidden_size), data)
        if hx is not None and packed.sorted_indices is not None:  # hx is in the caller's batch order
            h0 = take(h0, packed.sorted_indices, axis=1)
            c0 = take(c0, packed.sorted_indices, axis=1) if lstm else None
        h_n, c_n = [], []
        seq = data
        for layer in range(self.num_layers):
            outs = []
            for d in range(directions):
                k = layer * directions + d
                w_ih, w_hh, b_ih, b_hh, w_hr = self._weights(layer, "_reverse" if d else "")
                gi_all = F.linear(seq, w_ih, b_ih)  # every packed step at once
                run = self._packed_backward if d else self._packed_forward
                out, h, c = run(gi_all, sizes, starts, h0[k], c0[k] if lstm else None, w_hh, b_hh, w_hr)
                outs.append(out)
                h_n.append(h)
                c_n.append(c)
            seq = outs[0] if directions == 1 else concat(outs, axis=-1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                seq = F.dropout(seq, self.dropout, True)
        output = PackedSequence(seq, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)
        unsort = packed.unsorted_indices
        h_n = stack(h_n, axis=0)
        if unsort is not None:
            h_n = take(h_n, unsort, axis=1)
        if not lstm:
            return output, h_n
        c_n = stack(c_n, axis=0)
        return output, (h_n, take(c_n, unsort, axis=1) if unsort is not None else c_n)

    def _packed_forward(self, gi_all, sizes, starts, h, c, w_hh, b_hh, w_hr=None):
        """Steps t = 0, 1, ...: a sequence that ends leaves the batch (sorted by decreasing
        length, so always the last rows) with its final state."""
        done_h, done_c, steps = [], [], []
        for start, b in zip(starts, sizes):
            if b < h.shape[0]:
                done_h.append(h[b:])
                h = h[:b]
                if c is not None:
                    done_c.append(c[b:])
                    c = c[:b]
            h, c = _step(self.mode, gi_all[start:start + b], h, c, w_hh, b_hh, w_hr)
            steps.append(h)
        if done_h:
            h = concat([h] + done_h[::-1], axis=0)
            if c is not None:
                c = concat([c] + done_c[::-1], axis=0)
        return concat(steps, axis=0), h, c

    def _packed_backward(self, gi_all, sizes, starts, h0, c0, w_hh, b_hh, w_hr=None):
        """Steps t = T-1, ..., 0: a sequence joins the batch at its last step, from its
        initial state."""
        n = sizes[-1]
        h, c = h0[:n], (c0[:n] if c0 is not None else None)
        steps = [None] * len(sizes)
        for t in range(len(sizes) - 1, -1, -1):
            b = sizes[t]
            if b > n:
                h = concat([h, h0[n:b]], axis=0)
                if c is not None:
                    c = concat([c, c0[n:b]], axis=0)
                n = b
            h, c = _step(self.mode, gi_all[starts[t]:starts[t] + b], h, c, w_hh, b_hh, w_hr)
            steps[t] = h
        return concat(steps, axis=0), h, c

    def _initial_states(self, hx, unbatched, shape, like):
        """(h0, c0) as (layers * directions, N, H) tensors (h0's last axis proj_size where
        set); zeros where hx is None."""
        cls = type(self).__name__
        shapes = [shape[:-1] + (self.proj_size or shape[-1],), shape]
        if hx is None:
            z = zeros(shape, dtype=like.dtype, device=like.device)
            h = zeros(shapes[0], dtype=like.dtype, device=like.device) if self.proj_size else z
            return h, (z if self.mode == "LSTM" else None)
        if self.mode == "LSTM":
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"{cls}: hx must be a tuple (h_0, c_0)")
            states = list(hx)
        else:
            states = [hx]
        out = []
        for name, s, shape in zip(("h_0", "c_0"), states, shapes):
            s = s[:, None] if unbatched else s
            if tuple(s.shape) != shape:
                want = shape[:1] + shape[2:] if unbatched else shape
                got = tuple(s.shape)[:1] + tuple(s.shape)[2:] if unbatched else tuple(s.shape)
                raise ValueError(f"{cls}: expected {name} of shape {want}, got {got}")
            out.append(s)
        return out[0], (out[1] if self.mode == "LSTM" else None)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:  # (PyTorch's RNN does not print its nonlinearity; its cell does)
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(RNNBase):
    """Elman RNN: h_t = tanh (or relu)(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device=None, dtype=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: unknown nonlinearity {nonlinearity!r} (use 'tanh' or 'relu')")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size,
                         num_layers, bias, batch_first, dropout, bidirectional, device=device, dtype=dtype)


class LSTM(RNNBase):
    """Long short-term memory: gates i, f, g, o (in that order in the weights); returns
    (output, (h_n, c_n))."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device=device, dtype=dtype)


class GRU(RNNBase):
    """Gated recurrent unit: gates r, z, n (in that order in the weights)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype)


class _Cell(Module):
    """One time step of a recurrence: (N, input_size) or (input_size,) input."""

    mode = ""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        _check_sizes(type(self).__name__, input_size, hidden_size)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gate_size = _GATES[self.mode] * hidden_size
        self.weight_ih = Parameter(empty((gate_size, input_size), dtype=dtype, device=device))
        self.weight_hh = Parameter(empty((gate_size, hidden_size), dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(empty((gate_size,), dtype=dtype, device=device))
            self.bias_hh = Parameter(empty((gate_size,), dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    reset_parameters = RNNBase.reset_parameters

    def forward(self, input, hx=None):
        cls = type(self).__name__
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ValueError(f"{cls}: expected input of shape (N, {self.input_size}) or ({self.input_size},), "
                             f"got {tuple(input.shape)}")
        unbatched = input.ndim == 1
        x = input[None] if unbatched else input
        shape = (x.shape[0], self.hidden_size)
        if hx is None:
            h = c = zeros(shape, dtype=x.dtype, device=x.device)
        elif self.mode == "LSTM":
            h, c = (s[None] if unbatched else s for s in hx)
        else:
            h, c = (hx[None] if unbatched else hx), None
        for name, s in (("hx", h), ("cx", c)):
            if s is not None and tuple(s.shape) != shape:
                raise ValueError(f"{cls}: {name} must have shape {shape}, got {tuple(s.shape)}")
        h, c = _step(self.mode, F.linear(x, self.weight_ih, self.bias_ih), h, c, self.weight_hh, self.bias_hh)
        if unbatched:
            h, c = h[0], (c[0] if c is not None else None)
        return (h, c) if self.mode == "LSTM" else h

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if self.mode == "RNN_RELU":
            s += ", nonlinearity=relu"
        return s


class RNNCell(_Cell):
    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: unknown nonlinearity {nonlinearity!r} (use 'tanh' or 'relu')")
        self.mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(input_size, hidden_size, bias, device, dtype)


class LSTMCell(_Cell):
    mode = "LSTM"


class GRUCell(_Cell):
    mode = "GRU"


RNNCellBase = _Cell  # PyTorch's name for the cells' base class (isinstance checks, subclassing)
__all__ += ["RNNBase", "RNNCellBase"]
