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
import warnings

from .._dispatch import Op, ShapeError, apply, grad_enabled
from .._ops import plain_int
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
def _lstm_gate_scales(xp, gates, rows: bool = False):
    """(a, 1 - a, a * a) over the i, f, g, o blocks, a = 1/2 except 1 for g: with sigmoid(x) =
    (1 + tanh(x / 2)) / 2, one tanh of a * gates gives every gate's activation as
    a * tanh + 1 - a, and its derivative as a * a * (1 - tanh^2) (NumPy's sigmoid costs 3x
    a tanh, and the g block needed one more). Arrays of `gates`' shape, for loops: NumPy
    multiplies arrays of one shape 2-3x faster than it broadcasts a row; single rows where
    `rows` (one step: cheaper to make)."""
    lead = () if rows else gates.shape[:-1]
    half = xp.full(lead + (gates.shape[-1] // 4,), 0.5, dtype=gates.dtype, **F._placed(xp, gates))
    a = xp.concat([half, half, half + half, half], axis=-1)
    return a, 1 - a, a * a


def _lstm_step(xp, gates, c, scales):
    """One cell step from the gates' pre-activations: (h', c', then what the backward step
    reads: gate_factors (N, 4H), with d(gates) = concat(d(c'), d(c'), d(c'), d(h')) *
    gate_factors, then d(h') / d(c') and the forget gate (N, H) each)."""
    n = c.shape[-1]
    a, offset, a_sq = scales
    ta = xp.tanh(gates * a) * a
    act = ta + offset
    i, f, g, o = act[..., :n], act[..., n:2 * n], act[..., 2 * n:3 * n], act[..., 3 * n:]
    c2 = f * c + i * g
    tc = xp.tanh(c2)
    h = o * tc
    gate_factors = xp.concat([g, c, i, tc], axis=-1) * (a_sq - ta * ta)
    return h, c2, gate_factors, o - h * tc, f


def _lstm_step_back(xp, dh, dc, gate_factors, dh_dc, f):
    """One step back through the cell, from d(h') and d(c') not through h': (d(gates),
    d(c)), with _lstm_step's saved factors."""
    dc = dc + dh * dh_dc
    return xp.concat([dc, dc, dc, dh], axis=-1) * gate_factors, dc * f


def _lstm_cell_forward(xp, gi, gh, c):
    """(concat(h', c'), then what the gradient reuses: _lstm_step's saved factors)."""
    gates = gi + gh
    h, c2, *saved = _lstm_step(xp, gates, c, _lstm_gate_scales(xp, gates, rows=True))
    return (xp.concat([h, c2], axis=-1), *saved)


def _lstm_cell_grads(xp, g, gi, gh, c, ans):
    """d(gi) = d(gh) = d(gates), and d(c), from d(concat(h', c')). Recording (create_graph),
    the factors are recomputed from the inputs so that they differentiate again."""
    n = c.shape[-1]
    saved = _lstm_cell_forward(xp, gi, gh, c)[1:] if grad_enabled() else ans[1:]
    d_gates, dc = _lstm_step_back(xp, g[0][..., :n], g[0][..., n:], *saved)
    return d_gates, d_gates, dc


# One op per time step (PyTorch's fused cell); the gates' input and hidden parts are added
# inside it, which saves a recorded add per step.
_LSTM_CELL = Op("lstm_cell", ("gi", "gh", "c"), {("gi", "gh", "c"): _lstm_cell_grads}, dtypes="real floating",
                generic=_lstm_cell_forward, nout=4, differentiable_outputs=(True, False, False, False))


class _PerStep:
    """Arrays set per time step, read back as one (steps, ...) array: written into one
    preallocated array where the backend's arrays are mutable (stacking a list at the end
    touches twice the memory, and fresh pages cost more than the copies), else stacked."""

    def __init__(self, xp, steps):
        self.xp, self.steps = xp, steps
        self.mutable = getattr(xp, "__mutable_arrays__", False)
        self.parts, self.out = [None] * steps, None

    def __setitem__(self, t, a):
        if not self.mutable:
            self.parts[t] = a
            return
        if self.out is None:
            self.out = self.xp.empty((self.steps,) + tuple(a.shape), dtype=a.dtype, **F._placed(self.xp, a))
        self.out[t, ...] = a

    def array(self):
        return self.out if self.mutable else self.xp.stack(self.parts, axis=0)


# ----- a whole LSTM sequence as one op (the common case: no projection, no packing) ------
# Per step, autograd would record the recurrent product and the cell and later run them
# one node at a time; as one op the forward and backward loops run on the backend's arrays,
# and the recurrent weights' gradient is one (4H, T*N) @ (T*N, H) product at the end, as
# PyTorch's fused kernels do. gi_all comes without b_ih: both biases are added per step,
# where the sum is small and in cache (added to the whole (T, N, 4H) product, the sum is a
# fresh array, whose pages cost more than the adds). The forward saves each step's factors
# of the backward (_lstm_step), so that the backward loop is a few passes per step besides
# its product.
def _lstm_sequence_forward(xp, gi_all, h0, c0, w_hh, b_ih, b_hh):
    """(concat(h_1..h_T, c_T) as a (T + 1, N, H) array, then _lstm_step's saved factors of
    every step: (T, N, 4H), (T, N, H), (T, N, H))."""
    steps = gi_all.shape[0]
    w = F._c_order(xp, xp.matrix_transpose(w_hh))  # BLAS takes a C-order operand ~30% faster
    scales = _lstm_gate_scales(xp, gi_all[0, ...])
    b = None if b_ih is None else (b_ih + b_hh) + xp.zeros_like(scales[0])  # of the gates' shape (see scales)
    ys, gate_factors, dh_dc, forget = _PerStep(xp, steps + 1), _PerStep(xp, steps), _PerStep(xp, steps), \
        _PerStep(xp, steps)
    h, c = h0, c0
    for t in range(steps):
        gates = gi_all[t, ...] + xp.matmul(h, w)
        h, c, gate_factors[t], dh_dc[t], forget[t] = _lstm_step(xp, gates if b is None else gates + b, c, scales)
        ys[t] = h
    ys[steps] = c
    return ys.array(), gate_factors.array(), dh_dc.array(), forget.array()


def _lstm_sequence_grads(xp, g, gi_all, h0, c0, w_hh, b_ih, b_hh, ans, needs_grad):
    """The backward loop: d(gi_all), d(h0), d(c0), d(w_hh), d(b_ih) = d(b_hh) from
    d(h_1..h_T, c_T). Recording (create_graph), the forward is recomputed from the inputs so
    that the result differentiates again."""
    if grad_enabled():
        ans = _lstm_sequence_forward(xp, gi_all, h0, c0, w_hh, b_ih, b_hh)
    y, gate_factors, dh_dc, forget = ans
    g = g[0]
    steps = gi_all.shape[0]
    dh_next, dc = None, g[steps, ...]
    d_all = _PerStep(xp, steps)
    for t in range(steps - 1, -1, -1):
        dh = g[t, ...] if dh_next is None else g[t, ...] + dh_next
        d, dc = _lstm_step_back(xp, dh, dc, gate_factors[t, ...], dh_dc[t, ...], forget[t, ...])
        d_all[t] = d
        dh_next = xp.matmul(d, w_hh)
    d_all = d_all.array()
    d_w = _recurrent_weight_grads(xp, d_all, h0, y) if needs_grad[3] else None
    d_b_ih = d_b_hh = None
    if b_ih is not None and (needs_grad[4] or needs_grad[5]):
        d_b_ih = d_b_hh = xp.sum(d_all, axis=(0, 1))
        if needs_grad[4] and needs_grad[5]:  # two arrays: each parameter's .grad accumulates in place
            d_b_hh = xp.asarray(d_b_ih, copy=True)
    return d_all, dh_next, dc, d_w, d_b_ih if needs_grad[4] else None, d_b_hh if needs_grad[5] else None


def _recurrent_weight_grads(xp, d_hidden, h0, y):
    """d(w_hh) from the gradients of every step's hidden product (T, N, G*H): sum_t d_t^T
    h_(t-1), with h_1..h_(T-1) read from the outputs in one product (no copy of them)."""
    t_ = xp.matrix_transpose
    d_w = xp.matmul(t_(d_hidden[0, ...]), h0)
    steps, rows = d_hidden.shape[0], (d_hidden.shape[0] - 1) * h0.shape[0]
    if steps > 1:
        d_w = d_w + xp.matmul(t_(xp.reshape(d_hidden[1:, ...], (rows, d_hidden.shape[-1]))),
                              xp.reshape(y[:steps - 1, ...], (rows, h0.shape[-1])))
    return d_w


_LSTM_SEQUENCE = Op("lstm_sequence", ("gi_all", "h0", "c0", "w_hh", "b_ih", "b_hh"),
                    {("gi_all", "h0", "c0", "w_hh", "b_ih", "b_hh"): _lstm_sequence_grads}, dtypes="real floating",
                    generic=_lstm_sequence_forward, nout=4, differentiable_outputs=(True,) + (False,) * 3,
                    grad_fn="LstmBackward0")


def _gru_step(xp, gi, gh, h):
    """One cell step from the gates' input and hidden parts (each with its bias): (h', then
    what the backward step reads: gate_factors (N, 3H), with d(gi) = concat(d(h'), d(h'),
    d(h')) * gate_factors, and the reset and update gates (N, 2H))."""
    n = h.shape[-1]
    rz = xp.sigmoid(gi[..., :2 * n] + gh[..., :2 * n])
    r, z = rz[..., :n], rz[..., n:]
    ghn = gh[..., 2 * n:]
    cand = xp.tanh(gi[..., 2 * n:] + r * ghn)
    diff = h - cand
    d_rz = rz - rz * rz
    d_cand = (1 - z) * (1 - cand * cand)
    gate_factors = xp.concat([d_cand * ghn * d_rz[..., :n], diff * d_rz[..., n:], d_cand], axis=-1)
    return cand + z * diff, gate_factors, rz


def _gru_step_back(xp, dh, gate_factors, rz):
    """One step back through the cell: (d(gi), d(gh), d(h) not through gh) from d(h'), with
    _gru_step's saved factors."""
    n = dh.shape[-1]
    d_gi = xp.concat([dh, dh, dh], axis=-1) * gate_factors
    return d_gi, xp.concat([d_gi[..., :2 * n], d_gi[..., 2 * n:] * rz[..., :n]], axis=-1), dh * rz[..., n:]


def _gru_cell_forward(xp, gi, gh, h):
    """(h', then what the gradient reuses: _gru_step's saved factors)."""
    return _gru_step(xp, gi, gh, h)


def _gru_cell_grads(xp, g, gi, gh, h, ans):
    """d(gi), d(gh), d(h) from d(h') (the factors recomputed when recording, as for LSTM)."""
    return _gru_step_back(xp, g[0], *(_gru_step(xp, gi, gh, h) if grad_enabled() else ans)[1:])


_GRU_CELL = Op("gru_cell", ("gi", "gh", "h"), {("gi", "gh", "h"): _gru_cell_grads}, dtypes="real floating",
               generic=_gru_cell_forward, nout=3, differentiable_outputs=(True, False, False))


# ----- a whole GRU sequence as one op, as for LSTM -----------------------------------------
def _gru_sequence_forward(xp, gi_all, h0, w_hh, b_ih, b_hh):
    """(h_1..h_T as a (T, N, H) array, then _gru_step's saved factors of every step:
    (T, N, 3H), (T, N, 2H)); gi_all comes without b_ih (see _lstm_sequence_forward)."""
    steps = gi_all.shape[0]
    w = F._c_order(xp, xp.matrix_transpose(w_hh))  # see _lstm_sequence_forward
    if b_ih is not None:  # of the gates' shape (see _lstm_gate_scales)
        zeros = xp.zeros_like(gi_all[0, ...])
        b_ih, b_hh = b_ih + zeros, b_hh + zeros
    ys, gate_factors, rzs = _PerStep(xp, steps), _PerStep(xp, steps), _PerStep(xp, steps)
    h = h0
    for t in range(steps):
        gi, gh = gi_all[t, ...], xp.matmul(h, w)
        if b_ih is not None:
            gi, gh = gi + b_ih, gh + b_hh
        h, gate_factors[t], rzs[t] = _gru_step(xp, gi, gh, h)
        ys[t] = h
    return ys.array(), gate_factors.array(), rzs.array()


def _gru_sequence_grads(xp, g, gi_all, h0, w_hh, b_ih, b_hh, ans, needs_grad):
    """The backward loop: d(gi_all), d(h0), d(w_hh), d(b_ih), d(b_hh) from d(h_1..h_T) (the
    forward recomputed from the inputs when recording, as for LSTM)."""
    if grad_enabled():
        ans = _gru_sequence_forward(xp, gi_all, h0, w_hh, b_ih, b_hh)
    y, gate_factors, rzs = ans
    g = g[0]
    steps = gi_all.shape[0]
    dh_next = None
    d_gi, d_gh = _PerStep(xp, steps), _PerStep(xp, steps)
    for t in range(steps - 1, -1, -1):
        dh = g[t, ...] if dh_next is None else g[t, ...] + dh_next
        d_gi[t], d, dh_direct = _gru_step_back(xp, dh, gate_factors[t, ...], rzs[t, ...])
        d_gh[t] = d
        dh_next = dh_direct + xp.matmul(d, w_hh)
    d_gi, d_gh = d_gi.array(), d_gh.array()
    d_w = _recurrent_weight_grads(xp, d_gh, h0, y) if needs_grad[2] else None
    biased = b_ih is not None
    return (d_gi, dh_next, d_w, xp.sum(d_gi, axis=(0, 1)) if biased and needs_grad[3] else None,
            xp.sum(d_gh, axis=(0, 1)) if biased and needs_grad[4] else None)


_GRU_SEQUENCE = Op("gru_sequence", ("gi_all", "h0", "w_hh", "b_ih", "b_hh"),
                   {("gi_all", "h0", "w_hh", "b_ih", "b_hh"): _gru_sequence_grads}, dtypes="real floating",
                   generic=_gru_sequence_forward, nout=3, differentiable_outputs=(True, False, False),
                   grad_fn="GruBackward0")


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
        v = plain_int(v)
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
        input_size, hidden_size = plain_int(input_size), plain_int(hidden_size)
        num_layers, proj_size = plain_int(num_layers), plain_int(proj_size)
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
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                          UserWarning, stacklevel=3)
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        gate_size = _GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        real_hidden = proj_size or hidden_size  # the size of h (the projection's, where set)
        self._all_weights = []  # the parameters' names per layer and direction (PyTorch's)
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
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def all_weights(self) -> list:
        """The parameters per layer and direction: [[w_ih, w_hh, b_ih, b_hh, (w_hr)], ...]."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    @property
    def _flat_weights_names(self) -> list:
        return [name for names in self._all_weights for name in names]

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, name) for name in self._flat_weights_names]

    def flatten_parameters(self) -> None:
        """PyTorch packs the weights into one buffer for cuDNN; arraygrad's recurrence reads
        them where they are, so there is nothing to do (code calls it before each forward)."""

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
            raise ShapeError(f"{cls}: expected a 2-D (unbatched) or 3-D input, got shape {tuple(input.shape)}")
        if input.shape[-1] != self.input_size:
            raise ShapeError(f"{cls}: input.size(-1) must be equal to input_size. Expected "
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
                x_d = flip(seq, axis=0) if d else seq
                h, c = h0[k], (c0[k] if c0 is not None else None)
                if self.mode == "LSTM" and w_hr is None and x_d.shape[0]:  # (the op adds the biases)
                    y = apply(_LSTM_SEQUENCE, (F.linear(x_d, w_ih), h, c, w_hh, b_ih, b_hh))[0]
                    out, h, c = y[:-1], y[-2], y[-1]
                elif self.mode == "GRU" and x_d.shape[0]:
                    out = apply(_GRU_SEQUENCE, (F.linear(x_d, w_ih), h, w_hh, b_ih, b_hh))[0]
                    h = out[-1]
                else:
                    gi_all = F.linear(x_d, w_ih, b_ih)
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
            raise ShapeError(f"{cls}: input.size(-1) must be equal to input_size. Expected "
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
                raise ShapeError(f"{cls}: expected {name} of shape {want}, got {got}")
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
        self.nonlinearity = nonlinearity


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
            raise ShapeError(f"{cls}: expected input of shape (N, {self.input_size}) or ({self.input_size},), "
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
                raise ShapeError(f"{cls}: {name} must have shape {shape}, got {tuple(s.shape)}")
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
        self.nonlinearity = nonlinearity


class LSTMCell(_Cell):
    mode = "LSTM"


class GRUCell(_Cell):
    mode = "GRU"


RNNCellBase = _Cell  # PyTorch's name for the cells' base class (isinstance checks, subclassing)
__all__ += ["RNNBase", "RNNCellBase"]
