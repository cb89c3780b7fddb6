"""Attention and the Transformer against PyTorch (the oracle): F.scaled_dot_product_attention,
F.multi_head_attention_forward, nn.MultiheadAttention and the nn.Transformer* modules, with
weights copied from torch (float64, eval mode), gradients included."""

import math
import warnings

import numpy as np
import pytest

import arraygrad as ag
import arraygrad.nn as nn
import arraygrad.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

ATOL = 1e-10


def A(t):
    """A torch tensor as an arraygrad tensor (same values and dtype)."""
    return ag.asarray(t.detach().numpy().copy())


def N(x):
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)


def close(ours, theirs, atol=ATOL):
    np.testing.assert_allclose(N(ours), N(theirs), rtol=0, atol=atol)


def load(ours, theirs):
    """Copy torch module `theirs`'s state into `ours` (float64), both in eval mode."""
    theirs.double().eval()
    ours.double().eval()
    ours.load_state_dict({k: A(v) for k, v in theirs.state_dict().items()})
    return ours, theirs


def randn(*shape, grad=False):
    return torch.randn(*shape, dtype=torch.float64, requires_grad=grad)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    ag.manual_seed(0)
    with warnings.catch_warnings():
        # torch's "enable_nested_tensor is True, but self.use_nested_tensor is False" notice
        warnings.filterwarnings("ignore", message="enable_nested_tensor")
        warnings.filterwarnings("ignore", message="Support for mismatched")  # bool + float masks mixed
        yield


# ----------------------------------------------------------------------------------------
# scaled_dot_product_attention
# ----------------------------------------------------------------------------------------
def _bool_mask(*shape, p=0.3):
    m = torch.rand(*shape) > p
    return m


SDPA_CASES = {
    "plain": dict(q=(2, 3, 4, 5), k=(2, 3, 6, 5), v=(2, 3, 6, 7), kw={}),
    "unbatched_2d": dict(q=(4, 5), k=(6, 5), v=(6, 3), kw={}),
    "bool_mask_broadcast": dict(q=(2, 3, 4, 5), k=(2, 3, 6, 5), v=(2, 3, 6, 5), kw={"attn_mask": ("bool", (4, 6))}),
    "bool_mask_per_batch": dict(q=(2, 3, 4, 5), k=(2, 3, 6, 5), v=(2, 3, 6, 5),
                                kw={"attn_mask": ("bool", (2, 1, 4, 6))}),
    "float_mask": dict(q=(2, 3, 4, 5), k=(2, 3, 6, 5), v=(2, 3, 6, 5), kw={"attn_mask": ("float", (3, 4, 6))}),
    "causal_square": dict(q=(2, 3, 5, 4), k=(2, 3, 5, 4), v=(2, 3, 5, 4), kw={"is_causal": True}),
    "causal_rect": dict(q=(2, 3, 4, 5), k=(2, 3, 6, 5), v=(2, 3, 6, 5), kw={"is_causal": True}),
    "causal_and_bool": dict(q=(2, 3, 5, 4), k=(2, 3, 5, 4), v=(2, 3, 5, 4),
                            kw={"is_causal": True, "attn_mask": ("bool", (5, 5))}),
    "causal_and_float": dict(q=(2, 3, 5, 4), k=(2, 3, 5, 4), v=(2, 3, 5, 4),
                             kw={"is_causal": True, "attn_mask": ("float", (5, 5))}),
    "scale": dict(q=(2, 3, 4, 5), k=(2, 3, 6, 5), v=(2, 3, 6, 5), kw={"scale": 0.37}),
    "gqa": dict(q=(2, 6, 4, 5), k=(2, 2, 6, 5), v=(2, 3, 6, 5), kw={"enable_gqa": True}),
    "head_broadcast": dict(q=(2, 3, 4, 5), k=(2, 1, 6, 5), v=(2, 1, 6, 5), kw={}),
}


def _sdpa_args(case):
    q, k, v = randn(*case["q"], grad=True), randn(*case["k"], grad=True), randn(*case["v"], grad=True)
    kw = dict(case["kw"])
    if "attn_mask" in kw:
        kind, shape = kw["attn_mask"]
        kw["attn_mask"] = _bool_mask(*shape) if kind == "bool" else randn(*shape)
    return q, k, v, kw


@pytest.mark.parametrize("name", list(SDPA_CASES))
def test_sdpa_matches_torch_values_and_grads(name):
    q, k, v, kw = _sdpa_args(SDPA_CASES[name])
    ours_in = [A(t).requires_grad_() for t in (q, k, v)]
    our_kw = {key: (A(val) if key == "attn_mask" else val) for key, val in kw.items()}
    theirs = TF.scaled_dot_product_attention(q, k, v, **kw)
    ours = F.scaled_dot_product_attention(*ours_in, **our_kw)
    assert tuple(ours.shape) == tuple(theirs.shape)
    close(ours, theirs)
    g = randn(*theirs.shape)
    theirs.backward(g)
    ours.backward(A(g))
    for a, b in zip(ours_in, (q, k, v)):
        close(a.grad, b.grad)


def test_sdpa_fully_masked_rows_give_zeros_and_finite_grads():
    q, k, v = randn(1, 2, 3, 4, grad=True), randn(1, 2, 3, 4, grad=True), randn(1, 2, 3, 4, grad=True)
    mask = torch.tensor([[True, False, False], [False, False, False], [True, True, True]])
    theirs = TF.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    ours_in = [A(t).requires_grad_() for t in (q, k, v)]
    ours = F.scaled_dot_product_attention(*ours_in, attn_mask=A(mask))
    close(ours, theirs)
    assert np.all(N(ours)[:, :, 1] == 0)
    theirs.sum().backward()
    ours.sum().backward()
    for a, b in zip(ours_in, (q, k, v)):
        assert np.all(np.isfinite(N(a.grad)))
        close(a.grad, b.grad)
    # the same with an additive -inf row
    fmask = torch.zeros(3, 3, dtype=torch.float64)
    fmask[1] = float("-inf")
    close(F.scaled_dot_product_attention(*[A(t) for t in (q, k, v)], attn_mask=A(fmask)),
          TF.scaled_dot_product_attention(q, k, v, attn_mask=fmask))


def test_sdpa_dropout():
    q, k = randn(2, 4, 3), randn(2, 4, 3)
    v = torch.eye(4, dtype=torch.float64).expand(2, 4, 4)  # the output is then the weights
    weights = N(TF.scaled_dot_product_attention(q, k, v))
    ours = N(F.scaled_dot_product_attention(A(q), A(k), A(v), dropout_p=0.5))
    kept = ours != 0
    assert kept.any() and (~kept).any()
    np.testing.assert_allclose(ours[kept], 2 * weights[kept], rtol=1e-12)
    close(F.scaled_dot_product_attention(A(q), A(k), A(v), dropout_p=0.0), weights)
    assert np.all(N(F.scaled_dot_product_attention(A(q), A(k), A(v), dropout_p=1.0)) == 0)


@pytest.mark.parametrize("bad, exc, match", [
    (dict(key=ag.ones((2, 3, 5), dtype=ag.float64)), RuntimeError, "last dims"),
    (dict(value=ag.ones((2, 4, 5), dtype=ag.float64)), RuntimeError, "sequence dims"),
    (dict(key=ag.ones((2, 3, 4), dtype=ag.float32)), RuntimeError, "same floating-point dtype"),
    (dict(query=ag.ones((4,), dtype=ag.float64)), RuntimeError, "at least 2-D"),
    (dict(dropout_p=1.5), RuntimeError, "between 0 and 1"),
    (dict(attn_mask=ag.ones((2, 3), dtype=ag.int64)), RuntimeError, "attn_mask dtype"),
    (dict(attn_mask=ag.ones((2, 4), dtype=ag.bool)), RuntimeError, "does not broadcast"),
    (dict(query=[1.0]), TypeError, "query must be an arraygrad Tensor"),
])
def test_sdpa_errors(bad, exc, match):
    args = dict(query=ag.ones((2, 2, 4), dtype=ag.float64), key=ag.ones((2, 3, 4), dtype=ag.float64),
                value=ag.ones((2, 3, 4), dtype=ag.float64))
    args.update(bad)
    with pytest.raises(exc, match=match):
        F.scaled_dot_product_attention(**args)


def test_sdpa_gqa_errors():
    q, k = ag.ones((1, 4, 2, 3), dtype=ag.float64), ag.ones((1, 3, 2, 3), dtype=ag.float64)
    with pytest.raises(RuntimeError, match="must divide"):
        F.scaled_dot_product_attention(q, k, k, enable_gqa=True)
    with pytest.raises(RuntimeError, match="does not broadcast|shape|broadcast"):
        F.scaled_dot_product_attention(q, k, k)


def test_sdpa_gradcheck_and_gradgradcheck():
    from arraygrad.autograd import gradcheck, gradgradcheck

    rng = np.random.default_rng(0)
    q, k, v = (ag.asarray(rng.standard_normal(s), requires_grad=True) for s in ((1, 2, 3, 2), (1, 2, 4, 2),
                                                                             (1, 2, 4, 3)))
    mask = ag.asarray(np.array([[True, False, True, True], [False, False, False, False], [True] * 4]))

    def f(a, b, c):
        return F.scaled_dot_product_attention(a, b, c, attn_mask=mask, is_causal=False)

    assert gradcheck(f, (q, k, v))
    assert gradgradcheck(f, (q, k, v))
    assert gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=True), (q, k, v))


# ----------------------------------------------------------------------------------------
# MultiheadAttention
# ----------------------------------------------------------------------------------------
def _mha_pair(**kw):
    theirs = torch.nn.MultiheadAttention(**kw)
    ours = nn.MultiheadAttention(**kw)
    return load(ours, theirs)


MHA_CONFIGS = {
    "plain": dict(embed_dim=8, num_heads=2),
    "batch_first": dict(embed_dim=8, num_heads=4, batch_first=True),
    "kdim_vdim": dict(embed_dim=8, num_heads=2, kdim=5, vdim=3),
    "bias_kv_zero_attn": dict(embed_dim=6, num_heads=3, add_bias_kv=True, add_zero_attn=True),
    "no_bias": dict(embed_dim=8, num_heads=2, bias=False, batch_first=True),
    "everything": dict(embed_dim=8, num_heads=2, kdim=5, vdim=3, add_bias_kv=True, add_zero_attn=True,
                       batch_first=True),
}

MASKS = ["none", "bool_attn", "float_attn_3d", "bool_kpm", "float_kpm", "both", "causal"]


def _mha_inputs(cfg, L=4, S=5, B=3, batched=True):
    E = cfg["embed_dim"]
    kd, vd = cfg.get("kdim") or E, cfg.get("vdim") or E
    bf = cfg.get("batch_first", False)

    def make(n, d):
        if not batched:
            return randn(n, d, grad=True)
        return randn(B, n, d, grad=True) if bf else randn(n, B, d, grad=True)

    return make(L, E), make(S, kd), make(S, vd)


def _mha_masks(kind, cfg, L=4, S=5, B=3):
    H = cfg["num_heads"]
    kw = {}
    if kind in ("bool_attn", "both"):
        m = torch.rand(L, S) < 0.3
        m[:, 0] = False  # no fully masked row (those are NaN in torch's need_weights path too)
        kw["attn_mask"] = m
    if kind == "float_attn_3d":
        kw["attn_mask"] = randn(B * H, L, S)
    if kind in ("bool_kpm", "both"):
        m = torch.rand(B, S) < 0.3
        m[:, 1] = False
        kw["key_padding_mask"] = m
    if kind == "float_kpm":
        kw["key_padding_mask"] = randn(B, S)
    if kind == "causal":
        kw["attn_mask"] = torch.nn.Transformer.generate_square_subsequent_mask(L, dtype=torch.float64)[:, :S]
        kw["is_causal"] = True
    return kw


@pytest.mark.parametrize("config", list(MHA_CONFIGS))
@pytest.mark.parametrize("masks", MASKS)
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_matches_torch(config, masks, need_weights):
    cfg = MHA_CONFIGS[config]
    L, S = (4, 4) if masks == "causal" else (4, 5)
    ours, theirs = _mha_pair(**cfg)
    q, k, v = _mha_inputs(cfg, L, S)
    mk = _mha_masks(masks, cfg, L, S)
    t_out, t_w = theirs(q, k, v, need_weights=need_weights, **mk)
    ours_in = [A(t).requires_grad_() for t in (q, k, v)]
    o_out, o_w = ours(*ours_in, need_weights=need_weights,
                      **{key: (A(val) if key != "is_causal" else val) for key, val in mk.items()})
    close(o_out, t_out)
    if need_weights:
        close(o_w, t_w)
    else:
        assert o_w is None and t_w is None
    g = randn(*t_out.shape)
    t_out.backward(g)
    o_out.backward(A(g))
    for a, b in zip(ours_in, (q, k, v)):
        close(a.grad, b.grad)
    for name, p in theirs.named_parameters():
        close(dict(ours.named_parameters())[name].grad, p.grad)


@pytest.mark.parametrize("config", ["plain", "kdim_vdim", "everything"])
def test_mha_per_head_weights(config):
    cfg = MHA_CONFIGS[config]
    ours, theirs = _mha_pair(**cfg)
    q, k, v = _mha_inputs(cfg)
    t_out, t_w = theirs(q, k, v, average_attn_weights=False)
    o_out, o_w = ours(A(q), A(k), A(v), average_attn_weights=False)
    assert tuple(o_w.shape) == tuple(t_w.shape)
    close(o_out, t_out)
    close(o_w, t_w)


@pytest.mark.parametrize("config", ["plain", "batch_first", "everything"])
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_unbatched(config, need_weights):
    cfg = MHA_CONFIGS[config]
    ours, theirs = _mha_pair(**cfg)
    q, k, v = _mha_inputs(cfg, batched=False)
    H = cfg["num_heads"]
    attn = randn(H, 4, 5)
    kpm = torch.tensor([False, True, False, False, True])
    t_out, t_w = theirs(q, k, v, attn_mask=attn, key_padding_mask=kpm, need_weights=need_weights)
    o_out, o_w = ours(A(q), A(k), A(v), attn_mask=A(attn), key_padding_mask=A(kpm), need_weights=need_weights)
    assert tuple(o_out.shape) == tuple(t_out.shape)
    close(o_out, t_out)
    if need_weights:
        assert tuple(o_w.shape) == tuple(t_w.shape)
        close(o_w, t_w)


def test_mha_self_attention_same_tensor_batch_first():
    ours, theirs = _mha_pair(embed_dim=8, num_heads=2, batch_first=True)
    x = randn(2, 5, 8)
    t_out, t_w = theirs(x, x, x)
    ax = A(x)
    o_out, o_w = ours(ax, ax, ax)
    close(o_out, t_out)
    close(o_w, t_w)


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("aliasing", ["self", "key_is_value"])
def test_mha_packed_in_projection_grads(batch_first, aliasing):
    # query is key is value (one product with the packed weight) and key is value (one for k
    # and v): the gradients of the shared input and of every parameter match torch's
    ours, theirs = _mha_pair(embed_dim=8, num_heads=2, batch_first=batch_first)
    x, mem = randn(2, 5, 8, grad=True), randn(*((2, 6, 8) if batch_first else (6, 5, 8)), grad=True)
    ax, amem = A(x).requires_grad_(), A(mem).requires_grad_()
    if aliasing == "self":
        t_out, o_out = theirs(x, x, x)[0], ours(ax, ax, ax)[0]
    else:
        t_out, o_out = theirs(x, mem, mem)[0], ours(ax, amem, amem)[0]
    close(o_out, t_out)
    g = randn(*t_out.shape)
    t_out.backward(g)
    o_out.backward(A(g))
    close(ax.grad, x.grad)
    if aliasing == "key_is_value":
        close(amem.grad, mem.grad)
    for name, p in theirs.named_parameters():
        close(dict(ours.named_parameters())[name].grad, p.grad)


def test_multi_head_attention_forward_functional():
    theirs = torch.nn.MultiheadAttention(8, 2).double().eval()
    q, k, v = randn(4, 3, 8), randn(5, 3, 8), randn(5, 3, 8)
    args = (8, 2, theirs.in_proj_weight, theirs.in_proj_bias, None, None, False, 0.0,
            theirs.out_proj.weight, theirs.out_proj.bias)
    t_out, t_w = TF.multi_head_attention_forward(q, k, v, *args, training=False)
    o_out, o_w = F.multi_head_attention_forward(A(q), A(k), A(v), *[A(a) if torch.is_tensor(a) else a for a in args],
                                                training=False)
    close(o_out, t_out)
    close(o_w, t_w)


def test_multi_head_attention_forward_static_kv():
    theirs = torch.nn.MultiheadAttention(8, 2).double().eval()
    q, k, v = randn(4, 3, 8), randn(5, 3, 8), randn(5, 3, 8)
    sk, sv = randn(6, 7, 4), randn(6, 7, 4)  # (N * H, S', head_dim)
    args = (8, 2, theirs.in_proj_weight, theirs.in_proj_bias, None, None, True, 0.0,
            theirs.out_proj.weight, theirs.out_proj.bias)
    t_out, t_w = TF.multi_head_attention_forward(q, k, v, *args, training=False, static_k=sk, static_v=sv)
    o_out, o_w = F.multi_head_attention_forward(A(q), A(k), A(v), *[A(a) if torch.is_tensor(a) else a for a in args],
                                                training=False, static_k=A(sk), static_v=A(sv))
    close(o_out, t_out)
    close(o_w, t_w)
    with pytest.raises(ValueError, match="expected static_k of shape"):
        F.multi_head_attention_forward(A(q), A(k), A(v), *[A(a) if torch.is_tensor(a) else a for a in args],
                                       static_k=A(randn(5, 7, 4)))


def test_mha_float32_and_mixed_mask_warning():
    theirs = torch.nn.MultiheadAttention(8, 2).eval()
    ours = nn.MultiheadAttention(8, 2).eval()
    ours.load_state_dict({k: A(v) for k, v in theirs.state_dict().items()})
    x = torch.randn(4, 2, 8)
    kpm = torch.tensor([[False, False, True, False], [False] * 4])
    attn = torch.randn(4, 4, dtype=torch.float64)  # cast to the query's dtype, as in PyTorch
    t_out, t_w = theirs(x, x, x, key_padding_mask=kpm, attn_mask=attn.float())
    with pytest.warns(UserWarning, match="mismatched key_padding_mask and attn_mask"):
        o_out, o_w = ours(A(x), A(x), A(x), key_padding_mask=A(kpm), attn_mask=A(attn))
    assert o_out.dtype == ag.float32 and o_w.dtype == ag.float32
    close(o_out, t_out, atol=1e-5)
    close(o_w, t_w, atol=1e-6)


def test_mha_parameters_names_shapes_and_init():
    for cfg in MHA_CONFIGS.values():
        theirs = torch.nn.MultiheadAttention(**cfg)
        ours = nn.MultiheadAttention(**cfg)
        assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
               [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
        assert list(ours.state_dict()) == list(theirs.state_dict())
        assert repr(ours) == repr(theirs)
        assert ours.head_dim == theirs.head_dim and ours._qkv_same_embed_dim == theirs._qkv_same_embed_dim
        E = cfg["embed_dim"]
        for name in ("in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight"):
            w = getattr(ours, name)
            if w is not None:
                bound = math.sqrt(6.0 / (w.shape[0] + w.shape[1]))
                assert np.all(np.abs(N(w)) <= bound) and np.std(N(w)) > bound / 4
        if cfg.get("bias", True):
            assert np.all(N(ours.in_proj_bias) == 0) and np.all(N(ours.out_proj.bias) == 0)
        if cfg.get("add_bias_kv"):
            assert tuple(ours.bias_k.shape) == (1, 1, E) and np.std(N(ours.bias_k)) > 0
    assert isinstance(nn.MultiheadAttention(4, 2).out_proj, nn.Linear)


def test_mha_dropout_only_in_training():
    ours = nn.MultiheadAttention(4, 2, dropout=1.0).double()
    x = ag.asarray(np.random.default_rng(0).standard_normal((3, 2, 4)))
    out, w = ours(x, x, x)  # training: every attention weight dropped
    assert np.all(N(w) == 0)
    close(out, np.broadcast_to(N(ours.out_proj.bias), (3, 2, 4)))
    ours.eval()
    out, w = ours(x, x, x)
    close(N(w).sum(-1), np.ones((2, 3)))


@pytest.mark.parametrize("make, exc, match", [
    (lambda: nn.MultiheadAttention(6, 4), ValueError, "divisible by num_heads"),
    (lambda: nn.MultiheadAttention(0, 1), ValueError, "embed_dim must be an int > 0"),
    (lambda: nn.MultiheadAttention(4, 0), ValueError, "num_heads must be an int > 0"),
    (lambda: nn.MultiheadAttention(4, 2, dropout=2.0), ValueError, "dropout must be in"),
])
def test_mha_constructor_errors(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def _mha_call_error(**kw):
    m = nn.MultiheadAttention(4, 2).double()
    q = kw.pop("query", ag.ones((3, 2, 4), dtype=ag.float64))
    k = kw.pop("key", ag.ones((5, 2, 4), dtype=ag.float64))
    v = kw.pop("value", k)
    return m(q, k, v, **kw)


@pytest.mark.parametrize("kw, exc, match", [
    (dict(is_causal=True), RuntimeError, "Need attn_mask"),
    (dict(attn_mask=ag.zeros((3, 4), dtype=ag.float64)), RuntimeError, "2D attn_mask is"),
    (dict(attn_mask=ag.zeros((2, 3, 5), dtype=ag.float64)), RuntimeError, "3D attn_mask is"),
    (dict(attn_mask=ag.zeros((3, 5), dtype=ag.int64)), TypeError, "only bool and floating types of attn_mask"),
    (dict(key_padding_mask=ag.zeros((2, 4), dtype=ag.bool)), ValueError, "key_padding_mask shape"),
    (dict(key_padding_mask=ag.zeros((2,), dtype=ag.bool)), ValueError, "key_padding_mask to be None or 2-D"),
    (dict(query=ag.ones((1, 3, 2, 4), dtype=ag.float64)), ValueError, "received 4-D query"),
    (dict(key=ag.ones((5, 4), dtype=ag.float64)), ValueError, "expected key and value to be 3-D"),
    (dict(query=ag.ones((3, 2, 6), dtype=ag.float64)), ValueError, "embedding dimension of 4, but got 6"),
    (dict(value=ag.ones((6, 2, 4), dtype=ag.float64)), ValueError, "does not match value shape"),
])
def test_mha_call_errors(kw, exc, match):
    with pytest.raises(exc, match=match):
        _mha_call_error(**kw)


# ----------------------------------------------------------------------------------------
# Transformer layers and stacks
# ----------------------------------------------------------------------------------------
def _layer_kw(batch_first, norm_first, activation="relu", bias=True):
    return dict(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0, batch_first=batch_first,
                norm_first=norm_first, bias=bias, activation=activation)


def _seq(n, B, batch_first, grad=False, E=8):
    return randn(B, n, E, grad=grad) if batch_first else randn(n, B, E, grad=grad)


def _torch_activation(act):
    return {"gelu_module": torch.nn.GELU()}.get(act, act)


def _our_activation(act):
    return {"gelu_module": nn.GELU()}.get(act, act)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu", "gelu_module"])
def test_encoder_layer_matches_torch(batch_first, norm_first, activation):
    kw = _layer_kw(batch_first, norm_first)
    theirs = torch.nn.TransformerEncoderLayer(**{**kw, "activation": _torch_activation(activation)})
    ours = nn.TransformerEncoderLayer(**{**kw, "activation": _our_activation(activation)})
    load(ours, theirs)
    assert repr(ours) == repr(theirs)
    src = _seq(5, 3, batch_first, grad=True)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    kpm = torch.tensor([[False] * 5, [False, False, False, True, True], [False, True, False, False, False]])
    for call in (dict(), dict(src_mask=mask, is_causal=True), dict(src_key_padding_mask=kpm),
                 dict(src_mask=mask < 0, src_key_padding_mask=kpm)):
        theirs.zero_grad()
        ours.zero_grad()
        t_src, o_src = src.detach().clone().requires_grad_(), A(src).requires_grad_()
        t = theirs(t_src, **call)
        o = ours(o_src, **{k: (A(v) if torch.is_tensor(v) else v) for k, v in call.items()})
        close(o, t)
        t.sum().backward()
        o.sum().backward()
        close(o_src.grad, t_src.grad)
        for name in ("self_attn.in_proj_weight", "linear1.weight", "norm2.weight"):
            close(ours.get_parameter(name).grad if hasattr(ours, "get_parameter")
                  else dict(ours.named_parameters())[name].grad, theirs.get_parameter(name).grad)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_matches_torch(batch_first, norm_first):
    kw = _layer_kw(batch_first, norm_first, activation="gelu")
    theirs = torch.nn.TransformerDecoderLayer(**kw)
    ours = nn.TransformerDecoderLayer(**kw)
    load(ours, theirs)
    assert repr(ours) == repr(theirs)
    tgt, mem = _seq(4, 2, batch_first, grad=True), _seq(6, 2, batch_first, grad=True)
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    mmask = torch.rand(4, 6) < 0.2
    mkpm = torch.tensor([[False] * 6, [False, False, False, False, True, True]])
    tkpm = torch.tensor([[False, False, False, True], [False] * 4])
    call = dict(tgt_mask=tmask, memory_mask=mmask, tgt_key_padding_mask=tkpm, memory_key_padding_mask=mkpm)
    t = theirs(tgt, mem, **call)
    o_tgt, o_mem = A(tgt).requires_grad_(), A(mem).requires_grad_()
    o = ours(o_tgt, o_mem, **{k: A(v) for k, v in call.items()})
    close(o, t)
    t2 = theirs(tgt, mem, tgt_mask=tmask, tgt_is_causal=True)
    close(ours(A(tgt), A(mem), tgt_mask=A(tmask), tgt_is_causal=True), t2)
    g = randn(*t.shape)
    t.backward(g)
    o.backward(A(g))
    close(o_tgt.grad, tgt.grad)
    close(o_mem.grad, mem.grad)
    params = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        close(params[name].grad, p.grad)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("with_norm", [False, True])
def test_encoder_and_decoder_stacks(norm_first, with_norm):
    kw = _layer_kw(False, norm_first)
    t_enc = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(**kw), 3,
                                        norm=torch.nn.LayerNorm(8) if with_norm else None)
    o_enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(**kw), 3, norm=nn.LayerNorm(8) if with_norm else None)
    t_dec = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(**kw), 2,
                                        norm=torch.nn.LayerNorm(8) if with_norm else None)
    o_dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(**kw), 2, norm=nn.LayerNorm(8) if with_norm else None)
    for ours, theirs in ((o_enc, t_enc), (o_dec, t_dec)):
        assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
               [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
        assert repr(ours) == repr(theirs)
        load(ours, theirs)
    # the clones are independent copies
    assert o_enc.layers[0].linear1.weight is not o_enc.layers[1].linear1.weight
    src, tgt = randn(5, 2, 8), randn(4, 2, 8)
    kpm = torch.tensor([[False] * 5, [False, False, False, True, True]])
    mask = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    t_mem = t_enc(src, mask=mask, src_key_padding_mask=kpm)
    o_mem = o_enc(A(src), mask=A(mask), src_key_padding_mask=A(kpm))
    close(o_mem, t_mem)
    close(o_enc(A(src), mask=A(mask), is_causal=True), t_enc(src, mask=mask, is_causal=True))
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    close(o_dec(A(tgt), o_mem, tgt_mask=A(tmask), memory_key_padding_mask=A(kpm)),
          t_dec(tgt, t_mem, tgt_mask=tmask, memory_key_padding_mask=kpm))


def _transformer_pair(**kw):
    base = dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=16, dropout=0.0)
    base.update(kw)
    return load(nn.Transformer(**base), torch.nn.Transformer(**base))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_full_stack(batch_first, norm_first):
    ours, theirs = _transformer_pair(batch_first=batch_first, norm_first=norm_first)
    src, tgt = _seq(6, 3, batch_first, grad=True), _seq(5, 3, batch_first, grad=True)
    tmask = theirs.generate_square_subsequent_mask(5, dtype=torch.float64)
    skpm = torch.zeros(3, 6, dtype=torch.bool)
    skpm[1, 4:] = True
    call = dict(tgt_mask=tmask, src_key_padding_mask=skpm, memory_key_padding_mask=skpm)
    t = theirs(src, tgt, **call, tgt_is_causal=True)
    o_src, o_tgt = A(src).requires_grad_(), A(tgt).requires_grad_()
    o = ours(o_src, o_tgt, **{k: A(v) for k, v in call.items()}, tgt_is_causal=True)
    close(o, t)
    g = randn(*t.shape)
    t.backward(g)
    o.backward(A(g))
    close(o_src.grad, src.grad)
    close(o_tgt.grad, tgt.grad)
    params = dict(ours.named_parameters())
    for name in ("encoder.layers.0.self_attn.in_proj_weight", "encoder.norm.weight",
                 "decoder.layers.1.multihead_attn.out_proj.weight", "decoder.layers.0.linear2.bias"):
        close(params[name].grad, theirs.get_parameter(name).grad)


@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_unbatched_and_masks(batch_first):
    ours, theirs = _transformer_pair(batch_first=batch_first)
    src, tgt = randn(6, 8), randn(5, 8)
    smask = torch.rand(6, 6) < 0.2
    smask.fill_diagonal_(False)
    mmask = randn(5, 6)
    close(ours(A(src), A(tgt), src_mask=A(smask), memory_mask=A(mmask)),
          theirs(src, tgt, src_mask=smask, memory_mask=mmask))


def test_transformer_parameters_repr_init():
    for kw in (dict(), dict(bias=False), dict(activation="gelu", norm_first=True, layer_norm_eps=1e-6)):
        base = dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=16)
        base.update(kw)
        ours, theirs = nn.Transformer(**base), torch.nn.Transformer(**base)
        assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
               [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
        assert list(ours.state_dict()) == list(theirs.state_dict())
        assert repr(ours) == repr(theirs)
    w = N(ours.encoder.layers[0].linear1.weight)  # xavier_uniform_ on every matrix
    assert np.all(np.abs(w) <= math.sqrt(6 / (8 + 16)))
    assert ours.d_model == 8 and ours.nhead == 2 and ours.batch_first is False


def test_generate_square_subsequent_mask():
    ours = nn.Transformer.generate_square_subsequent_mask(4)
    theirs = torch.nn.Transformer.generate_square_subsequent_mask(4)
    assert ours.dtype == ag.float32
    np.testing.assert_array_equal(N(ours), N(theirs))
    assert nn.Transformer.generate_square_subsequent_mask(3, dtype=ag.float64).dtype == ag.float64


def test_transformer_training_dropout_and_backward():
    model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16,
                           dropout=0.5).double()
    src = ag.asarray(np.random.default_rng(1).standard_normal((4, 2, 8)))
    tgt = ag.asarray(np.random.default_rng(2).standard_normal((3, 2, 8)))
    a, b = model(src, tgt), model(src, tgt)
    assert not np.allclose(N(a), N(b))
    a.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.eval()
    close(model(src, tgt), model(src, tgt), atol=0)


def test_transformer_errors():
    model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16)
    with pytest.raises(RuntimeError, match="batch number of src and tgt"):
        model(ag.ones((4, 2, 8)), ag.ones((3, 3, 8)))
    with pytest.raises(RuntimeError, match="feature number of src and tgt must be equal to d_model"):
        model(ag.ones((4, 2, 6)), ag.ones((3, 2, 6)))
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    with pytest.raises(TypeError, match="activation must be"):
        nn.TransformerDecoderLayer(8, 2, activation=3)
    with pytest.raises(ValueError, match="divisible by num_heads"):
        nn.TransformerEncoderLayer(8, 3)
    with pytest.raises(ValueError, match="num_layers must be an int >= 0"):
        nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2), -1)
    with pytest.raises(TypeError, match="encoder_layer must be a Module"):
        nn.TransformerEncoder("layer", 2)


def test_custom_encoder_decoder_and_exports():
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 1)
    model = nn.Transformer(d_model=8, nhead=2, custom_encoder=enc, num_decoder_layers=1, dim_feedforward=16)
    assert model.encoder is enc and len(model.decoder.layers) == 1
    from arraygrad.nn import transformer as T

    assert F.scaled_dot_product_attention is T.scaled_dot_product_attention
    assert F.multi_head_attention_forward is T.multi_head_attention_forward
    for name in ("MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder", "TransformerDecoderLayer",
                 "TransformerDecoder", "Transformer"):
        assert getattr(nn, name) is getattr(T, name) and name in nn.__all__
