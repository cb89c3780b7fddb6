"""Attention and the Transformer: `F.scaled_dot_product_attention`,
`F.multi_head_attention_forward`, `MultiheadAttention` and the `Transformer*` layers and
stacks (PyTorch's, with the same parameter and submodule names, so state dicts carry over).

Everything is composed from existing differentiable ops (linear, matmul, softmax, dropout,
layer_norm, where, concat, ...), so autograd comes for free. No tensor value is read on the
op path (no bool(x) / .item()): masks are applied with `where` and additions only.

Deliberate differences from PyTorch:
- Checks that PyTorch writes as `assert` (embed_dim divisible by num_heads, input ranks,
  key_padding_mask shape, ...) raise ValueError here: asserts vanish under `python -O`.
- `is_causal=None` on TransformerEncoder / TransformerDecoder never inspects the mask's values
  to detect a causal mask (PyTorch does, as a speed hint only): outputs are the same.
- No fast path / nested tensors (`enable_nested_tensor` is accepted and ignored).
"""

from __future__ import annotations

import copy
import math
import warnings

import arraygrad as _ag

from .._dispatch import ShapeError, check_tensor
from .._ops import plain_int
from .._ops.creation import empty
from . import functional as F
from . import init
from .containers import ModuleList
from .layers import Dropout, LayerNorm, Linear
from .module import Module
from .parameter import Parameter

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward", "MultiheadAttention",
           "NonDynamicallyQuantizableLinear", "TransformerEncoderLayer", "TransformerEncoder",
           "TransformerDecoderLayer", "TransformerDecoder", "Transformer"]

_NEG_INF = float("-inf")


def _shape(t) -> tuple:
    return tuple(t.shape)


def _broadcast_shape(a: tuple, b: tuple):
    """The broadcast of shapes a and b, or None where they do not broadcast."""
    out = []
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x != y and 1 not in (x, y):
            return None
        out.append(y if x == 1 else x)
    return tuple(reversed(out))


def _swap_last(t):
    return _ag.swapaxes(t, -1, -2)


# ----------------------------------------------------------------------------------------
# scaled_dot_product_attention
# ----------------------------------------------------------------------------------------
def _repeat_heads(t, reps: int):
    """Repeat each head (axis -3) `reps` times in place (PyTorch's repeat_interleave)."""
    if reps == 1:
        return t
    s = _shape(t)
    t = _ag.broadcast_to(_ag.expand_dims(t, axis=-3), s[:-2] + (reps,) + s[-2:])
    return _ag.reshape(t, s[:-3] + (s[-3] * reps,) + s[-2:])


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale=None, enable_gqa: bool = False):
    """softmax(query @ key^T * scale + mask) @ value over the last two axes, the leading axes
    broadcast. query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev).

    attn_mask: bool (True = takes part) or float (added to the scores), broadcastable to
    (..., L, S); is_causal: query i sees keys 0..i (top-left aligned), combined with attn_mask
    if both are given; scale defaults to 1 / sqrt(E); dropout_p > 0 drops attention weights
    (always, as PyTorch: pass 0.0 in evaluation); enable_gqa: key / value may have fewer heads
    (axis -3) than query, each shared by Hq / Hk query heads. Rows where every key is masked
    give zeros (PyTorch's safe softmax), not NaN."""
    fname = "scaled_dot_product_attention"
    for name, t in (("query", query), ("key", key), ("value", value)):
        check_tensor(t, fname, name)
        if t.ndim < 2:
            raise RuntimeError(f"{fname}: {name} must be at least 2-D (..., seq, features), got shape "
                               f"{_shape(t)}")
    if not (query.dtype == key.dtype == value.dtype) or query.dtype.kind != "f":
        raise RuntimeError(f"{fname}: expected query, key and value to have the same floating-point dtype, "
                           f"but got query.dtype: {query.dtype}, key.dtype: {key.dtype} and value.dtype: "
                           f"{value.dtype} instead")
    qs, ks, vs = _shape(query), _shape(key), _shape(value)
    if ks[-1] != qs[-1]:
        raise RuntimeError(f"{fname}: query's and key's last dims (embedding) must match, got query {qs} "
                           f"and key {ks}")
    if ks[-2] != vs[-2]:
        raise RuntimeError(f"{fname}: key's and value's sequence dims (-2) must match, got key {ks} and "
                           f"value {vs}")
    if not 0.0 <= dropout_p <= 1.0:
        raise RuntimeError(f"{fname}: dropout probability has to be between 0 and 1, but got {dropout_p}")
    if enable_gqa and query.ndim >= 3:
        hq = qs[-3]
        for name, t in (("key", key), ("value", value)):
            h = _shape(t)[-3] if t.ndim >= 3 else 1
            if h == 0 or hq % h:
                raise RuntimeError(f"{fname}: with enable_gqa=True the number of heads in {name} ({h}) must "
                                   f"divide the number of heads in query ({hq})")
        key = _repeat_heads(key, hq // ks[-3]) if key.ndim >= 3 else key
        value = _repeat_heads(value, hq // vs[-3]) if value.ndim >= 3 else value
    batch = _broadcast_shape(qs[:-2], _shape(key)[:-2])
    if batch is None or _broadcast_shape(batch, _shape(value)[:-2]) is None:
        raise RuntimeError(f"{fname}: the batch / head dims of query {qs}, key {_shape(key)} and value "
                           f"{_shape(value)} do not broadcast (enable_gqa=True shares key / value heads)")
    L, S = qs[-2], ks[-2]
    factor = 1.0 / math.sqrt(qs[-1]) if scale is None else float(scale)
    scores = _ag.matmul(query * factor, _swap_last(key))
    masked = False
    if attn_mask is not None:
        check_tensor(attn_mask, fname, "attn_mask")
        if _broadcast_shape(_shape(attn_mask), _shape(scores)) != _shape(scores):
            raise RuntimeError(f"{fname}: attn_mask of shape {_shape(attn_mask)} does not broadcast to the "
                               f"attention scores' shape {_shape(scores)} (..., L={L}, S={S})")
        if attn_mask.dtype == _ag.bool:
            scores = _ag.where(attn_mask, scores, _NEG_INF)
        elif attn_mask.dtype.kind == "f":
            scores = scores + attn_mask.astype(query.dtype, copy=False)
        else:
            raise RuntimeError(f"{fname}: expected attn_mask dtype to be bool or floating point, but got "
                               f"{attn_mask.dtype}")
        masked = True
    if is_causal:
        causal = _ag.tril(_ag.ones((L, S), dtype=_ag.bool, device=query.device))
        scores = _ag.where(causal, scores, _NEG_INF)
        masked = True
    if masked:
        # PyTorch's safe softmax: a row with every key masked out gives zeros (and no NaN
        # gradient), not NaN.
        dead = _ag.max(scores.detach(), axis=-1, keepdims=True) == _NEG_INF
        weights = _ag.where(dead, 0.0, F.softmax(_ag.where(dead, 0.0, scores), -1))
    else:
        weights = F.softmax(scores, -1)
    if dropout_p > 0.0:
        weights = F.dropout(weights, dropout_p, True)
    return _ag.matmul(weights, value)


# ----------------------------------------------------------------------------------------
# multi_head_attention_forward
# ----------------------------------------------------------------------------------------
def _canonical_mask(mask, name: str, dtype, fname: str):
    """A MultiheadAttention mask as an additive float mask: bool True (= masked out) -> -inf."""
    if mask is None:
        return None
    check_tensor(mask, fname, name)
    if mask.dtype == _ag.bool:
        return _ag.where(mask, _ag.full((), _NEG_INF, dtype=dtype, device=mask.device),
                         _ag.zeros((), dtype=dtype, device=mask.device))
    if mask.dtype.kind != "f":
        raise TypeError(f"{fname}: only bool and floating types of {name} are supported, got {mask.dtype}")
    return mask.astype(dtype, copy=False)


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads, fname) -> bool:
    """Whether the input is batched (3-D) or not (2-D); PyTorch asserts, we raise ValueError."""
    for name, t in (("query", query), ("key", key), ("value", value)):
        check_tensor(t, fname, name)
    if query.ndim == 3:
        if key.ndim != 3 or value.ndim != 3:
            raise ShapeError(f"{fname}: for batched (3-D) query, expected key and value to be 3-D but found "
                             f"{key.ndim}-D and {value.ndim}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 2:
            raise ShapeError(f"{fname}: for batched (3-D) query, expected key_padding_mask to be None or 2-D "
                             f"but found {key_padding_mask.ndim}-D tensor instead")
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            raise ShapeError(f"{fname}: for batched (3-D) query, expected attn_mask to be None, 2-D or 3-D "
                             f"but found {attn_mask.ndim}-D tensor instead")
        return True
    if query.ndim == 2:
        if key.ndim != 2 or value.ndim != 2:
            raise ShapeError(f"{fname}: for unbatched (2-D) query, expected key and value to be 2-D but found "
                             f"{key.ndim}-D and {value.ndim}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 1:
            raise ShapeError(f"{fname}: for unbatched (2-D) query, expected key_padding_mask to be None or "
                             f"1-D but found {key_padding_mask.ndim}-D tensor instead")
        if attn_mask is not None:
            if attn_mask.ndim not in (2, 3):
                raise ShapeError(f"{fname}: for unbatched (2-D) query, expected attn_mask to be None, 2-D or "
                                 f"3-D but found {attn_mask.ndim}-D tensor instead")
            want = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.ndim == 3 and _shape(attn_mask) != want:
                raise ShapeError(f"{fname}: expected a 3-D attn_mask of shape {want}, but got "
                                 f"{_shape(attn_mask)}")
        return False
    raise ShapeError(f"{fname}: query should be unbatched 2-D or batched 3-D tensor but received "
                     f"{query.ndim}-D query tensor")


def _in_projection_packed(query, key, value, w, b):
    """q, k, v from the packed (3E, E) weight. Self-attention (query is key is value) takes one
    product with the whole weight and encoder-decoder attention (key is value) one for k and v,
    as PyTorch: one larger matrix product instead of three, and the input read once."""
    E = w.shape[0] // 3
    if key is value:
        if query is key:
            proj = F.linear(query, w, b)
            return proj[..., :E], proj[..., E:2 * E], proj[..., 2 * E:]
        kv = F.linear(key, w[E:], None if b is None else b[E:])
        return F.linear(query, w[:E], None if b is None else b[:E]), kv[..., :E], kv[..., E:]
    b_q, b_k, b_v = (None,) * 3 if b is None else (b[:E], b[E:2 * E], b[2 * E:])
    return F.linear(query, w[:E], b_q), F.linear(key, w[E:2 * E], b_k), F.linear(value, w[2 * E:], b_v)


def multi_head_attention_forward(query, key, value, embed_dim_to_check: int, num_heads: int, in_proj_weight,
                                 in_proj_bias, bias_k, bias_v, add_zero_attn: bool, dropout_p: float,
                                 out_proj_weight, out_proj_bias, training: bool = True, key_padding_mask=None,
                                 need_weights: bool = True, attn_mask=None, use_separate_proj_weight: bool = False,
                                 q_proj_weight=None, k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights: bool = True, is_causal: bool = False):
    """PyTorch's multi-head attention, sequence-first: query (L, N, E) or (L, E), key / value
    (S, N, kdim / vdim) or unbatched. Returns (output (L, N, E), weights (N, L, S) averaged over
    the heads, (N, H, L, S) with average_attn_weights=False, or None when need_weights=False).
    Masks: bool (True = masked out) or additive float; attn_mask (L, S) or (N * H, L, S),
    key_padding_mask (N, S)."""
    fname = "multi_head_attention_forward"
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads, fname)
    if not is_batched:
        query, key, value = (_ag.expand_dims(t, axis=1) for t in (query, key, value))
        if key_padding_mask is not None:
            key_padding_mask = _ag.expand_dims(key_padding_mask, axis=0)
    tgt_len, bsz, embed_dim = _shape(query)
    src_len = key.shape[0]
    dtype = query.dtype
    if (key_padding_mask is not None and attn_mask is not None
            and (key_padding_mask.dtype == _ag.bool) != (attn_mask.dtype == _ag.bool)):
        warnings.warn("Support for mismatched key_padding_mask and attn_mask is deprecated. Use same type for "
                      "both instead.", UserWarning, stacklevel=2)  # PyTorch's warning
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", dtype, fname)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer "
                           "module method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint replaces the mask: scaled_dot_product_attention masks causally
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", dtype, fname)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise ShapeError(f"{fname}: was expecting embedding dimension of {embed_dim_to_check}, but got "
                         f"{embed_dim}")
    if num_heads <= 0 or embed_dim % num_heads:
        raise ShapeError(f"{fname}: embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})")
    head_dim = embed_dim // num_heads
    if use_separate_proj_weight:
        if _shape(key)[:2] != _shape(value)[:2]:
            raise ShapeError(f"{fname}: key's sequence and batch dims {_shape(key)[:2]} do not match value's "
                             f"{_shape(value)[:2]}")
    elif _shape(key) != _shape(value):
        raise ShapeError(f"{fname}: key shape {_shape(key)} does not match value shape {_shape(value)}")

    # in-projection
    E = embed_dim
    if use_separate_proj_weight:
        for name, w in (("q_proj_weight", q_proj_weight), ("k_proj_weight", k_proj_weight),
                        ("v_proj_weight", v_proj_weight)):
            if w is None:
                raise ValueError(f"{fname}: use_separate_proj_weight is True but {name} is None")
        b_q, b_k, b_v = (None,) * 3 if in_proj_bias is None else (
            in_proj_bias[:E], in_proj_bias[E:2 * E], in_proj_bias[2 * E:])
        q, k, v = F.linear(query, q_proj_weight, b_q), F.linear(key, k_proj_weight, b_k), F.linear(
            value, v_proj_weight, b_v)
    else:
        if in_proj_weight is None:
            raise ValueError(f"{fname}: use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)

    # attention mask as 3-D
    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if _shape(attn_mask) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {_shape(attn_mask)}, but should be "
                                   f"{(tgt_len, src_len)}.")
            attn_mask = _ag.expand_dims(attn_mask, axis=0)
        elif attn_mask.ndim == 3:
            if _shape(attn_mask) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {_shape(attn_mask)}, but should be "
                                   f"{(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")

    # bias_k / bias_v: one more key (and value) per batch entry
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise ValueError(f"{fname}: bias cannot be added to static key / value")
        k = _ag.concat([k, _ag.broadcast_to(bias_k, (1, bsz, E))], axis=0)
        v = _ag.concat([v, _ag.broadcast_to(bias_v, (1, bsz, E))], axis=0)
        if attn_mask is not None:
            attn_mask = F.pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = F.pad(key_padding_mask, (0, 1))
    elif bias_k is not None or bias_v is not None:
        raise ValueError(f"{fname}: bias_k and bias_v must be given together (or neither)")

    # heads: (L, N, E) -> (N * H, L, head_dim)
    q = _ag.swapaxes(_ag.reshape(q, (tgt_len, bsz * num_heads, head_dim)), 0, 1)
    k = _ag.swapaxes(_ag.reshape(k, (k.shape[0], bsz * num_heads, head_dim)), 0, 1)
    v = _ag.swapaxes(_ag.reshape(v, (v.shape[0], bsz * num_heads, head_dim)), 0, 1)
    for name, static in (("static_k", static_k), ("static_v", static_v)):
        if static is not None and (static.ndim != 3 or static.shape[0] != bsz * num_heads
                                   or static.shape[2] != head_dim):
            raise ShapeError(f"{fname}: expected {name} of shape ({bsz * num_heads}, S, {head_dim}), but got "
                             f"{_shape(static)}")
    if static_k is not None:
        k = static_k
    if static_v is not None:
        v = static_v

    if add_zero_attn:
        zeros = _ag.zeros((bsz * num_heads, 1, head_dim), dtype=dtype, device=query.device)
        k = _ag.concat([k, zeros], axis=1)
        v = _ag.concat([v, zeros], axis=1)
        if attn_mask is not None:
            attn_mask = F.pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = F.pad(key_padding_mask, (0, 1))
    src_len = k.shape[1]

    # merge key padding and attention masks
    if key_padding_mask is not None:
        if _shape(key_padding_mask) != (bsz, src_len):
            raise ShapeError(f"{fname}: expecting key_padding_mask shape of {(bsz, src_len)}, but got "
                             f"{_shape(key_padding_mask)}")
        kpm = _ag.broadcast_to(_ag.reshape(key_padding_mask, (bsz, 1, 1, src_len)), (bsz, num_heads, 1, src_len))
        kpm = _ag.reshape(kpm, (bsz * num_heads, 1, src_len))
        attn_mask = kpm if attn_mask is None else attn_mask + kpm

    if not training:
        dropout_p = 0.0
    if need_weights:
        scores = _ag.matmul(q * math.sqrt(1.0 / head_dim), _swap_last(k))
        if attn_mask is not None:
            scores = attn_mask + scores
        weights = F.softmax(scores, -1)
        if dropout_p > 0.0:
            weights = F.dropout(weights, dropout_p)
        out = _ag.matmul(weights, v)  # (N * H, L, head_dim)
        out = _ag.reshape(_ag.swapaxes(out, 0, 1), (tgt_len * bsz, embed_dim))
        out = F.linear(out, out_proj_weight, out_proj_bias)
        out = _ag.reshape(out, (tgt_len, bsz, out.shape[1]))
        weights = _ag.reshape(weights, (bsz, num_heads, tgt_len, src_len))
        if average_attn_weights:
            weights = _ag.mean(weights, axis=1)
        if not is_batched:
            out, weights = _ag.squeeze(out, axis=1), _ag.squeeze(weights, axis=0)
        return out, weights

    if attn_mask is not None:
        if attn_mask.shape[0] == 1:
            attn_mask = _ag.expand_dims(attn_mask, axis=0)
        else:
            attn_mask = _ag.reshape(attn_mask, (bsz, num_heads, -1, src_len))
    q = _ag.reshape(q, (bsz, num_heads, tgt_len, head_dim))
    k = _ag.reshape(k, (bsz, num_heads, src_len, head_dim))
    v = _ag.reshape(v, (bsz, num_heads, src_len, head_dim))
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = _ag.reshape(_ag.permute_dims(out, (2, 0, 1, 3)), (bsz * tgt_len, embed_dim))
    out = F.linear(out, out_proj_weight, out_proj_bias)
    out = _ag.reshape(out, (tgt_len, bsz, out.shape[1]))
    if not is_batched:
        out = _ag.squeeze(out, axis=1)
    return out, None


# ----------------------------------------------------------------------------------------
# MultiheadAttention
# ----------------------------------------------------------------------------------------
class NonDynamicallyQuantizableLinear(Linear):
    """A Linear (PyTorch's name for MultiheadAttention.out_proj, kept for identical reprs)."""


def _positive(value, name: str, cls: str) -> int:
    value = plain_int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{cls}: {name} must be an int > 0, got {value!r}")
    return value


class MultiheadAttention(Module):
    """Multi-head attention (PyTorch's): in-projection, scaled dot-product attention per head,
    out-projection. Parameters: in_proj_weight (3E, E) when kdim = vdim = embed_dim, else
    q_proj_weight (E, E), k_proj_weight (E, kdim), v_proj_weight (E, vdim); in_proj_bias (3E,),
    out_proj (a Linear), bias_k / bias_v (1, 1, E) with add_bias_kv."""

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim=None, vdim=None,
                 batch_first: bool = False, device=None, dtype=None) -> None:
        super().__init__()
        cls = "MultiheadAttention"
        _positive(embed_dim, "embed_dim", cls)
        _positive(num_heads, "num_heads", cls)
        # PyTorch asserts divisibility (AssertionError); a ValueError survives `python -O`.
        if embed_dim % num_heads:
            raise ValueError(f"{cls}: embed_dim must be divisible by num_heads, got embed_dim={embed_dim} and "
                             f"num_heads={num_heads}")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{cls}: dropout must be in [0, 1], got {dropout}")
        self.embed_dim = embed_dim
        self.kdim = embed_dim if kdim is None else _positive(kdim, "kdim", cls)
        self.vdim = embed_dim if vdim is None else _positive(vdim, "vdim", cls)
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        E = embed_dim

        def param(*shape):
            return Parameter(empty(shape, dtype=dtype, device=device))

        if not self._qkv_same_embed_dim:
            self.q_proj_weight = param(E, E)
            self.k_proj_weight = param(E, self.kdim)
            self.v_proj_weight = param(E, self.vdim)
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = param(3 * E, E)
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = param(3 * E)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(E, E, bias=bias, device=device, dtype=dtype)
        if add_bias_kv:
            self.bias_k = param(1, 1, E)
            self.bias_v = param(1, 1, E)
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights: bool = True, attn_mask=None,
                average_attn_weights: bool = True, is_causal: bool = False):
        """(attn_output, attn_weights or None); inputs (L, N, E) (batch_first: (N, L, E)) or
        unbatched (L, E). See F.multi_head_attention_forward for the masks."""
        check_tensor(query, "MultiheadAttention", "query")
        is_batched = query.ndim == 3
        if self.batch_first and is_batched:
            for name, t in (("key", key), ("value", value)):
                check_tensor(t, "MultiheadAttention", name)
                if t.ndim != 3:
                    raise ShapeError(f"MultiheadAttention: for batched (3-D) query, expected {name} to be 3-D "
                                     f"but found {t.ndim}-D tensor")
            # each distinct tensor swapped once: the in-projection packs aliased inputs
            swapped = {id(t): t for t in (query, key, value)}
            swapped = {i: _ag.swapaxes(t, 0, 1) for i, t in swapped.items()}
            query, key, value = swapped[id(query)], swapped[id(key)], swapped[id(value)]
        separate = not self._qkv_same_embed_dim
        out, weights = multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight, self.in_proj_bias,
            self.bias_k, self.bias_v, self.add_zero_attn, self.dropout, self.out_proj.weight, self.out_proj.bias,
            training=self.training, key_padding_mask=key_padding_mask, need_weights=need_weights,
            attn_mask=attn_mask, use_separate_proj_weight=separate,
            q_proj_weight=self.q_proj_weight, k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights, is_causal=is_causal)
        if self.batch_first and is_batched:
            out = _ag.swapaxes(out, 0, 1)
        return out, weights


# ----------------------------------------------------------------------------------------
# Transformer layers and stacks
# ----------------------------------------------------------------------------------------
def _get_activation_fn(activation):
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


def _activation(activation):
    if isinstance(activation, str):
        return _get_activation_fn(activation)
    if not callable(activation):
        raise TypeError(f"activation must be 'relu', 'gelu' or a callable, got {type(activation).__name__}")
    return activation


def _relu_or_gelu(activation) -> int:
    from .layers import GELU, ReLU

    if activation is F.relu or isinstance(activation, ReLU):
        return 1
    if activation is F.gelu or isinstance(activation, GELU):
        return 2
    return 0


class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward block, each with a residual connection and a
    LayerNorm (after it by default, before it with norm_first=True)."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation="relu", layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            **kw)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        activation = _activation(activation)
        self.activation_relu_or_gelu = _relu_or_gelu(activation)
        self.activation = activation

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal: bool = False):
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False,
                           is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout2(x)


class TransformerDecoderLayer(Module):
    """Self-attention, attention over the encoder's output (memory), then a feed-forward
    block, each with a residual connection and a LayerNorm (norm_first: before it)."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation="relu", layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first, bias=bias,
                                            **kw)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first,
                                                 bias=bias, **kw)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = _activation(activation)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal: bool = False, memory_is_causal: bool = False):
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, is_causal=is_causal,
                           need_weights=False)[0]
        return self.dropout1(x)

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal=False):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                is_causal=is_causal, need_weights=False)[0]
        return self.dropout2(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout3(x)


def _get_clones(module, n: int, cls: str) -> ModuleList:
    n = plain_int(n)
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"{cls}: num_layers must be an int >= 0, got {n!r}")
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


class TransformerEncoder(Module):
    """num_layers independent copies of encoder_layer applied in turn, then `norm` (if any)."""

    def __init__(self, encoder_layer, num_layers: int, norm=None, enable_nested_tensor: bool = True,
                 mask_check: bool = True) -> None:
        super().__init__()
        if not isinstance(encoder_layer, Module):
            raise TypeError(f"TransformerEncoder: encoder_layer must be a Module, got "
                            f"{type(encoder_layer).__name__}")
        self.layers = _get_clones(encoder_layer, num_layers, "TransformerEncoder")
        self.num_layers = num_layers
        self.norm = norm
        # Nested tensors (a fast path for padded batches) do not exist here: accepted, ignored.
        self.enable_nested_tensor = enable_nested_tensor
        self.use_nested_tensor = False
        self.mask_check = mask_check

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        # is_causal=None: PyTorch inspects `mask` to detect a causal one, a speed hint only
        # (the mask is applied either way); we never read mask values.
        output = src
        for mod in self.layers:
            output = mod(output, src_mask=mask, is_causal=is_causal is True,
                         src_key_padding_mask=src_key_padding_mask)
        if self.norm is not None:
            output = self.norm(output)
        return output


class TransformerDecoder(Module):
    """num_layers independent copies of decoder_layer applied in turn, then `norm` (if any)."""

    def __init__(self, decoder_layer, num_layers: int, norm=None) -> None:
        super().__init__()
        if not isinstance(decoder_layer, Module):
            raise TypeError(f"TransformerDecoder: decoder_layer must be a Module, got "
                            f"{type(decoder_layer).__name__}")
        self.layers = _get_clones(decoder_layer, num_layers, "TransformerDecoder")
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal: bool = False):
        output = tgt
        for mod in self.layers:
            output = mod(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                         tgt_key_padding_mask=tgt_key_padding_mask,
                         memory_key_padding_mask=memory_key_padding_mask,
                         tgt_is_causal=tgt_is_causal is True, memory_is_causal=memory_is_causal)
        if self.norm is not None:
            output = self.norm(output)
        return output


class Transformer(Module):
    """The encoder-decoder Transformer ("Attention Is All You Need"), PyTorch's layout:
    encoder (num_encoder_layers + a final LayerNorm) and decoder (likewise); all weight
    matrices initialized with xavier_uniform_."""

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation="relu", custom_encoder=None, custom_decoder=None, layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            encoder_layer = TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation,
                                                    layer_norm_eps, batch_first, norm_first, bias, **kw)
            encoder_norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
            self.encoder = TransformerEncoder(encoder_layer, num_encoder_layers, encoder_norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            decoder_layer = TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout, activation,
                                                    layer_norm_eps, batch_first, norm_first, bias, **kw)
            decoder_norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
            self.decoder = TransformerDecoder(decoder_layer, num_decoder_layers, decoder_norm)
        self._reset_parameters()
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
                tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal: bool = False):
        check_tensor(src, "Transformer", "src")
        check_tensor(tgt, "Transformer", "tgt")
        is_batched = src.ndim == 3
        b = 0 if self.batch_first else 1
        if is_batched and (tgt.ndim != 3 or src.shape[b] != tgt.shape[b]):
            raise RuntimeError(f"the batch number of src and tgt must be equal, got src {_shape(src)} and tgt "
                               f"{_shape(tgt)} (batch_first={self.batch_first})")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError(f"the feature number of src and tgt must be equal to d_model ({self.d_model}), "
                               f"got {src.shape[-1]} and {tgt.shape[-1]}")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
                            memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device=None, dtype=None):
        """(sz, sz) float mask: 0 on and below the diagonal, -inf above (position i sees 0..i)."""
        return _ag.triu(_ag.full((sz, sz), _NEG_INF, dtype=dtype, device=device), k=1)

    def _reset_parameters(self) -> None:
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)
