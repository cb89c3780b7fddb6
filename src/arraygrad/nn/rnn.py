"""Recurrent layers: `RNN`, `LSTM`, `GRU` and their one-step cells (PyTorch's equations,
parameter names, shapes and initialization).

Built from differentiable functions (`linear`, `sigmoid`, `tanh`, slicing, `stack`), so
autograd, higher orders and every backend come for free. Each layer multiplies the whole
input sequence by W_ih in one product; only the recurrent product runs per time step.

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
    i, f, o = s[..., :n], s[..., n:2 * n], s[..., 3 * n:]
    gh2, gc2 = g[0][..., :n], g[0][..., n:]
    dc2 = gc2 + gh2 * o * (1 - tc * tc)
    d_gates = xp.concat([dc2 * gg * i * (1 - i), dc2 * c * f * (1 - f), dc2 * i * (1 - gg * gg),
                         gh2 * tc * o * (1 - o)], axis=-1)
    return d_gates, d_gates, dc2 * f


# One op per time step (PyTorch's fused cell); the gates' input and hidden parts are added
# inside it, which saves a recorded add per step.
_LSTM_CELL = Op("lstm_cell", ("gi", "gh", "c"), {("gi", "gh", "c"): _lstm_cell_grads}, dtypes="real floating",
                generic=_lstm_cell_forward, nout=4, differentiable_outputs=(True, False, False, False))


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
    r, z = rz[..., :n], rz[..., n:]
    g = g[0]
    d_cand = g * (1 - z) * (1 - cand * cand)
    d_z = g * (h - cand) * z * (1 - z)
    d_r = d_cand * gh[..., 2 * n:] * r * (1 - r)
    return (xp.concat([d_r, d_z, d_cand], axis=-1), xp.concat([d_r, d_z, d_cand * r], axis=-1), g * z)


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
