"""PyTorch names that arraygrad lacked, against torch 2.13 CPU: the layers (Softmax2d,
Dropout3d, RReLU, ChannelShuffle, the 1-D/3-D zero, constant, circular, reflection and
replication pads), the losses (SoftMarginLoss, MultiLabelMarginLoss,
TripletMarginWithDistanceLoss), `nn.Buffer`, the functional in-place activations, `rrelu`,
`pdist`, `channel_shuffle`, `upsample`, `dropout3d`, F.pad's rank check for non-constant modes,
`nn.utils` (get_total_norm, clip_grads_with_norm_, BatchNorm fusion, skip_init, prune), and
`Tensor.register_post_accumulate_grad_hook` / `untyped_storage`. Values, gradients (and
float64 gradcheck), dtypes, reprs, state-dict layouts and error types."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import arraygrad as xp  # noqa: E402
import arraygrad.nn as nn  # noqa: E402
import arraygrad.nn.functional as F  # noqa: E402
import arraygrad.nn.utils.prune as prune  # noqa: E402
from arraygrad.autograd import gradcheck, gradgradcheck  # noqa: E402

import torch.nn.utils.prune as TP  # noqa: E402  (torch does not import it with nn.utils)

from test_nn_functional import ag, host, rand  # noqa: E402

TF = torch.nn.functional


def compare(fn, torch_fn, arrays, backend=None, *, consts=(), atol=1e-10, kwargs=None):
    """fn(*tensors, *consts) against torch_fn: values, dtype, and the gradient of each of
    `arrays` under a random output gradient."""
    kwargs = kwargs or {}
    ours = [ag(a, backend, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*ours, *[ag(c, backend) for c in consts], **kwargs)
    tout = torch_fn(*theirs, *[torch.tensor(c) for c in consts], **kwargs)
    np.testing.assert_allclose(host(out), tout.detach().numpy(), atol=atol, rtol=1e-9)
    assert str(out.dtype).split(".")[-1] == str(tout.dtype).split(".")[-1]
    seed = rand(*tout.shape, seed=7) if tout.ndim else np.array(1.3)
    xp.sum(out * ag(seed, backend)).backward()
    (tout * torch.tensor(seed)).sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(host(a.grad), b.grad.numpy(), atol=atol, rtol=1e-8)
    return out


def same_error(ours, theirs):
    """Both calls raise, with the same exception type; returns our exception."""
    with pytest.raises(Exception) as tinfo:
        theirs()
    with pytest.raises(type(tinfo.value)) as info:
        ours()
    return info.value


# ----- functional -----------------------------------------------------------------------------
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, float("inf")])
def test_pdist(backend, p):
    x = rand(5, 3)
    compare(lambda t: F.pdist(t, p), lambda t: TF.pdist(t, p), [x], backend)


def test_pdist_edges_and_errors():
    assert tuple(F.pdist(xp.ones((1, 4), dtype=xp.float64)).shape) == (0,)
    assert gradcheck(lambda t: F.pdist(t), (ag(rand(4, 3), requires_grad=True),))
    assert gradgradcheck(lambda t: F.pdist(t), (ag(rand(4, 3), requires_grad=True),))
    e = same_error(lambda: F.pdist(xp.ones((2, 3, 4))), lambda: TF.pdist(torch.ones(2, 3, 4)))
    assert "2D" in str(e) and "3D" in str(e)
    e = same_error(lambda: F.pdist(xp.ones((2, 3)), p=-1), lambda: TF.pdist(torch.ones(2, 3), p=-1))
    assert "p" in str(e)
    e = same_error(lambda: F.pdist(xp.ones((2, 3), dtype=xp.int64)),
                   lambda: TF.pdist(torch.ones(2, 3, dtype=torch.int64)))
    assert "int64" in str(e)


@pytest.mark.parametrize("shape,groups", [((2, 6, 3), 3), ((2, 6, 3, 2), 2), ((1, 4, 2, 2, 2), 4), ((2, 5, 1), 1)])
def test_channel_shuffle(backend, shape, groups):
    compare(lambda t: F.channel_shuffle(t, groups), lambda t: TF.channel_shuffle(t, groups), [rand(*shape)],
            backend)
    out = F.native_channel_shuffle(ag(rand(*shape)), groups)
    np.testing.assert_array_equal(host(out), TF.native_channel_shuffle(torch.tensor(rand(*shape)), groups).numpy())
    m, tm = nn.ChannelShuffle(groups), torch.nn.ChannelShuffle(groups)
    assert repr(m) == repr(tm)
    np.testing.assert_array_equal(host(m(ag(rand(*shape)))), tm(torch.tensor(rand(*shape))).numpy())


def test_channel_shuffle_errors():
    for shape, g in [((2, 6, 3), 4), ((2, 6, 3), 0), ((6,), 2), ((2, 6), 2)]:
        e = same_error(lambda: F.channel_shuffle(xp.ones(shape), g), lambda: TF.channel_shuffle(torch.ones(shape), g))
        assert "channel_shuffle" in str(e)
    with pytest.raises(TypeError, match="groups"):
        F.channel_shuffle(xp.ones((2, 6, 3)), 2.0)


INPLACE = [("elu_", {}), ("elu_", {"alpha": 0.5}), ("leaky_relu_", {"negative_slope": 0.2}),
           ("hardtanh_", {"min_val": -0.5, "max_val": 0.3}), ("selu_", {}), ("celu_", {"alpha": 2.0}),
           ("threshold_", {"threshold": 0.1, "value": 7.0}), ("rrelu_", {})]


@pytest.mark.parametrize("name,kwargs", INPLACE)
def test_inplace_activations(backend, name, kwargs):
    x = rand(3, 4)
    ours, theirs = ag(x, backend), torch.tensor(x)
    r = getattr(F, name)(ours, **kwargs)
    tr = getattr(TF, name)(theirs, **kwargs)
    assert r is ours and tr is theirs
    np.testing.assert_allclose(host(ours), theirs.numpy(), atol=1e-12)
    # and through autograd: in place on a non-leaf, as PyTorch
    a, ta = ag(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, tout = getattr(F, name)(a * 1.5, **kwargs), getattr(TF, name)(ta * 1.5, **kwargs)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(host(a.grad), ta.grad.numpy(), atol=1e-12)


def test_rrelu_eval_matches_torch_and_gradchecks(backend):
    x = rand(4, 5)
    compare(lambda t: F.rrelu(t), lambda t: TF.rrelu(t), [x], backend)
    compare(lambda t: F.rrelu(t, 0.1, 0.4), lambda t: TF.rrelu(t, 0.1, 0.4), [x], backend)
    assert gradcheck(lambda t: F.rrelu(t, 0.2, 0.3), (ag(x, requires_grad=True),))
    m, tm = nn.RReLU(0.1, 0.3).eval(), torch.nn.RReLU(0.1, 0.3).eval()
    np.testing.assert_allclose(host(m(ag(x))), tm(torch.tensor(x)).numpy(), atol=1e-12)


def test_rrelu_training_draws_slopes_in_range():
    x = ag(rand(200, seed=3), requires_grad=True)
    out = F.rrelu(x, 0.1, 0.3, training=True)
    xs, ys = host(x), host(out)
    neg = xs < 0
    slopes = ys[neg] / xs[neg]
    assert np.all(slopes >= 0.1 - 1e-12) and np.all(slopes <= 0.3 + 1e-12)
    assert np.unique(np.round(slopes, 12)).size > 10  # one draw per element
    np.testing.assert_array_equal(ys[~neg], xs[~neg])
    out.sum().backward()  # the gradient is the drawn slope (PyTorch's noise), 1 above 0
    np.testing.assert_allclose(host(x.grad)[neg], slopes, rtol=1e-12)
    np.testing.assert_array_equal(host(x.grad)[~neg], 1.0)
    m = nn.RReLU(0.1, 0.3)
    assert m.training
    y = host(m(ag(-np.ones(50))))
    assert np.all((y <= -0.1) & (y >= -0.3)) and np.unique(y).size > 1
    assert repr(m) == repr(torch.nn.RReLU(0.1, 0.3))
    assert repr(nn.RReLU(inplace=True)) == repr(torch.nn.RReLU(inplace=True))


def test_rrelu_bounds_error():
    for training in (False, True):
        e = same_error(lambda: F.rrelu(xp.ones(3), 0.5, 0.1, training),
                       lambda: TF.rrelu(torch.ones(3), 0.5, 0.1, training))
        assert "0.5" in str(e) and "0.1" in str(e)


def test_upsample_is_interpolate_with_warning():
    x = rand(1, 2, 3, 4)
    with pytest.warns(UserWarning, match="upsample.*deprecated"):
        out = F.upsample(ag(x), scale_factor=2, mode="bilinear", align_corners=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = TF.upsample(torch.tensor(x), scale_factor=2, mode="bilinear", align_corners=False)
    np.testing.assert_allclose(host(out), ref.numpy(), atol=1e-12)


@pytest.mark.parametrize("shape", [(2, 3, 2, 2, 2), (3, 2, 2, 2)])
def test_dropout3d(shape):
    x = ag(np.ones(shape))
    out = host(F.dropout3d(x, 0.5))
    lead = 2 if len(shape) == 5 else 1
    per_channel = out.reshape(shape[:lead] + (-1,))
    assert np.all(per_channel.min(axis=-1) == per_channel.max(axis=-1))  # whole channels
    assert set(np.unique(out)) <= {0.0, 2.0}
    assert F.dropout3d(x, 0.5, training=False) is x
    m, tm = nn.Dropout3d(0.3), torch.nn.Dropout3d(0.3)
    assert repr(m) == repr(tm)
    assert m.eval()(x) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout3d(x, 1.5)


def test_dropout3d_warns_on_other_ranks():
    with pytest.warns(UserWarning, match="Received a 3-D input to dropout3d"):
        out = F.dropout3d(xp.ones((3, 2, 2)), 0.5)
    assert tuple(out.shape) == (3, 2, 2)


# ----- losses ---------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_soft_margin_loss(backend, reduction):
    x, y = rand(3, 4), np.sign(rand(3, 4, seed=1))
    compare(lambda a: F.soft_margin_loss(a, ag(y, backend), reduction=reduction),
            lambda a: TF.soft_margin_loss(a, torch.tensor(y), reduction=reduction), [x], backend)
    m, tm = nn.SoftMarginLoss(reduction=reduction), torch.nn.SoftMarginLoss(reduction=reduction)
    assert repr(m) == repr(tm)
    np.testing.assert_allclose(host(m(ag(x), ag(y))), tm(torch.tensor(x), torch.tensor(y)).numpy(), atol=1e-12)


def test_soft_margin_loss_gradcheck_and_errors():
    y = ag(np.sign(rand(3, 4, seed=1)))
    assert gradcheck(lambda a: F.soft_margin_loss(a, y), (ag(rand(3, 4), requires_grad=True),))
    assert gradgradcheck(lambda a: F.soft_margin_loss(a, y), (ag(rand(3, 4), requires_grad=True),))
    e = same_error(lambda: F.soft_margin_loss(xp.ones(3), xp.ones(3), reduction="x"),
                   lambda: TF.soft_margin_loss(torch.ones(3), torch.ones(3), reduction="x"))
    assert "reduction" in str(e) and "'x'" in str(e)


ML_INPUT = rand(4, 5, seed=2)
ML_TARGET = np.array([[3, 0, -1, 1, 2], [1, 2, 3, -1, 0], [0, 1, 2, 3, 4], [-1, 1, 2, 3, 4]])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_multilabel_margin_loss(backend, reduction):
    compare(lambda a: F.multilabel_margin_loss(a, ag(ML_TARGET, backend), reduction=reduction),
            lambda a: TF.multilabel_margin_loss(a, torch.tensor(ML_TARGET), reduction=reduction), [ML_INPUT],
            backend)
    m, tm = nn.MultiLabelMarginLoss(reduction=reduction), torch.nn.MultiLabelMarginLoss(reduction=reduction)
    assert repr(m) == repr(tm)
    np.testing.assert_allclose(host(m(ag(ML_INPUT), ag(ML_TARGET))),
                               tm(torch.tensor(ML_INPUT), torch.tensor(ML_TARGET)).numpy(), atol=1e-12)


def test_multilabel_margin_loss_unbatched_gradcheck_and_errors():
    compare(lambda a: F.multilabel_margin_loss(a, ag(ML_TARGET[0])),
            lambda a: TF.multilabel_margin_loss(a, torch.tensor(ML_TARGET[0])), [ML_INPUT[0]])
    target = ag(ML_TARGET)
    assert gradcheck(lambda a: F.multilabel_margin_loss(a, target), (ag(ML_INPUT, requires_grad=True),))
    bad_dtype = same_error(lambda: F.multilabel_margin_loss(xp.ones((2, 3)), xp.zeros((2, 3), dtype=xp.int32)),
                           lambda: TF.multilabel_margin_loss(torch.ones(2, 3), torch.zeros(2, 3, dtype=torch.int32)))
    assert "int32" in str(bad_dtype) and "int64" in str(bad_dtype)
    e = same_error(lambda: F.multilabel_margin_loss(xp.ones((2, 3)), xp.zeros((2, 4), dtype=xp.int64)),
                   lambda: TF.multilabel_margin_loss(torch.ones(2, 3), torch.zeros(2, 4, dtype=torch.long)))
    assert "(2, 4)" in str(e) and "(2, 3)" in str(e)
    same_error(lambda: F.multilabel_margin_loss(xp.ones((2, 3, 4)), xp.zeros((2, 3, 4), dtype=xp.int64)),
               lambda: TF.multilabel_margin_loss(torch.ones(2, 3, 4), torch.zeros(2, 3, 4, dtype=torch.long)))


def _cosine_distance(a, b):
    return 1.0 - F.cosine_similarity(a, b, dim=-1)


def _torch_cosine_distance(a, b):
    return 1.0 - TF.cosine_similarity(a, b, dim=-1)


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("custom", [False, True])
def test_triplet_margin_with_distance_loss(backend, swap, reduction, custom):
    arrays = [rand(4, 3, seed=s) for s in (1, 2, 3)]
    ours_d = _cosine_distance if custom else None
    theirs_d = _torch_cosine_distance if custom else None
    compare(lambda a, p, n: F.triplet_margin_with_distance_loss(a, p, n, distance_function=ours_d, margin=0.5,
                                                                swap=swap, reduction=reduction),
            lambda a, p, n: TF.triplet_margin_with_distance_loss(a, p, n, distance_function=theirs_d, margin=0.5,
                                                                 swap=swap, reduction=reduction),
            arrays, backend)


def test_triplet_margin_with_distance_loss_module_gradcheck_errors():
    m, tm = nn.TripletMarginWithDistanceLoss(), torch.nn.TripletMarginWithDistanceLoss()
    assert repr(m) == repr(tm)
    assert repr(nn.TripletMarginWithDistanceLoss(distance_function=_cosine_distance, swap=True)) == \
        repr(torch.nn.TripletMarginWithDistanceLoss(distance_function=_cosine_distance, swap=True))
    arrays = [rand(4, 3, seed=s) for s in (1, 2, 3)]
    np.testing.assert_allclose(host(m(*map(ag, arrays))), tm(*map(torch.tensor, arrays)).numpy(), atol=1e-12)
    assert gradcheck(lambda a, p, n: F.triplet_margin_with_distance_loss(a, p, n, swap=True),
                     tuple(ag(a, requires_grad=True) for a in arrays))
    e = same_error(lambda: nn.TripletMarginWithDistanceLoss(margin=0),
                   lambda: torch.nn.TripletMarginWithDistanceLoss(margin=0))
    assert "margin" in str(e)
    same_error(lambda: F.triplet_margin_with_distance_loss(xp.ones(3), xp.ones(3), xp.ones(3), margin=-1.0),
               lambda: TF.triplet_margin_with_distance_loss(torch.ones(3), torch.ones(3), torch.ones(3), margin=-1.0))
    e = same_error(lambda: F.triplet_margin_with_distance_loss(xp.ones((2, 3)), xp.ones(3), xp.ones(3)),
                   lambda: TF.triplet_margin_with_distance_loss(torch.ones(2, 3), torch.ones(3), torch.ones(3)))
    assert "anchor 2D" in str(e)
    same_error(lambda: F.triplet_margin_with_distance_loss(xp.ones(3), xp.ones(3), xp.ones(3), reduction="x"),
               lambda: TF.triplet_margin_with_distance_loss(torch.ones(3), torch.ones(3), torch.ones(3),
                                                            reduction="x"))


# ----- layers: softmax2d and the pads -----------------------------------------------------------
def test_softmax2d(backend):
    for shape in [(2, 3, 4, 5), (3, 4, 5)]:
        compare(lambda t: nn.Softmax2d()(t), lambda t: torch.nn.Softmax2d()(t), [rand(*shape)], backend)
    assert repr(nn.Softmax2d()) == repr(torch.nn.Softmax2d())
    e = same_error(lambda: nn.Softmax2d()(xp.ones((2, 3))), lambda: torch.nn.Softmax2d()(torch.ones(2, 3)))
    assert "2D" in str(e)


PADS = [("ZeroPad1d", (2,), (2, 3, 4)), ("ZeroPad1d", ((1, 3),), (3, 4)),
        ("ZeroPad3d", (1,), (1, 2, 3, 3, 3)), ("ZeroPad3d", ((1, 0, 2, 1, 0, 1),), (2, 3, 3, 3)),
        ("ConstantPad3d", (1, 2.5), (1, 2, 3, 3, 3)), ("ConstantPad3d", ((0, 1, 2, 0, 1, 1), -1.0), (2, 3, 3, 3)),
        ("CircularPad1d", (2,), (2, 3, 4)), ("CircularPad1d", ((3, 1),), (3, 4)),
        ("CircularPad2d", (1,), (1, 2, 3, 4)), ("CircularPad2d", ((1, 2, 0, 1),), (2, 3, 4)),
        ("CircularPad3d", (1,), (1, 2, 3, 3, 3)), ("CircularPad3d", ((1, 0, 2, 1, 0, 1),), (2, 3, 3, 3)),
        ("ReflectionPad3d", (1,), (1, 2, 3, 3, 3)), ("ReflectionPad3d", ((1, 0, 2, 1, 0, 1),), (2, 3, 3, 3)),
        ("ReplicationPad3d", (2,), (1, 2, 3, 3, 3)), ("ReplicationPad3d", ((1, 0, 2, 1, 0, 3),), (2, 3, 3, 3))]


@pytest.mark.parametrize("name,args,shape", PADS)
def test_pad_layers(backend, name, args, shape):
    m, tm = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(m) == repr(tm)
    assert m.padding == tm.padding
    compare(lambda t: m(t), lambda t: tm(t), [rand(*shape)], backend)


def test_pad_layers_gradcheck_and_errors():
    x = ag(rand(1, 2, 3, 3, 3), requires_grad=True)
    for m in (nn.CircularPad3d(1), nn.ReflectionPad3d(1), nn.ReplicationPad3d(1), nn.ConstantPad3d(1, 0.5)):
        assert gradcheck(m, (x,))
    for name, shape in [("CircularPad1d", (4,)), ("CircularPad2d", (4, 4)), ("CircularPad3d", (2, 3, 3, 3, 3, 3))]:
        e = same_error(lambda: getattr(nn, name)(1)(xp.ones(shape)),
                       lambda: getattr(torch.nn, name)(1)(torch.ones(shape)))
        assert f"{len(shape)}D" in str(e)
    same_error(lambda: nn.ReflectionPad3d(1)(xp.ones((3, 3))), lambda: torch.nn.ReflectionPad3d(1)(torch.ones(3, 3)))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pad", [((4,), (1, 1)), ((2, 3, 4, 5), (1, 1)), ((1, 2, 3, 4, 5, 6), (1, 1)),
                                       ((2, 3), (1, 1, 1, 1)), ((2, 3, 4, 5, 6), (1, 1, 1, 1))])
def test_pad_non_constant_rank_mismatch_is_not_implemented(mode, shape, pad):
    with pytest.raises(NotImplementedError):
        TF.pad(torch.ones(shape), pad, mode=mode)
    with pytest.raises(NotImplementedError, match=f"Padding size {len(pad)} is not supported for {len(shape)}D"):
        F.pad(xp.ones(shape), pad, mode=mode)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pad", [((2, 4), (1, 2)), ((2, 3, 4), (1, 2)), ((2, 3, 4), (1, 2, 2, 0)),
                                       ((2, 3, 4, 5), (1, 0, 2, 1)), ((2, 3, 4, 5), (1, 1, 0, 2, 2, 1)),
                                       ((1, 2, 3, 4, 5), (1, 1, 0, 2, 2, 1))])
def test_pad_non_constant_supported_ranks(mode, shape, pad):
    x = rand(*shape)
    np.testing.assert_allclose(host(F.pad(ag(x), pad, mode=mode)), TF.pad(torch.tensor(x), pad, mode=mode).numpy())


# ----- nn.Buffer --------------------------------------------------------------------------------
def test_buffer_registers_like_torch():
    m, tm = nn.Module(), torch.nn.Module()
    m.a = nn.Buffer(xp.ones(2))
    m.b = nn.Buffer(xp.zeros(3), persistent=False)
    tm.a = torch.nn.Buffer(torch.ones(2))
    tm.b = torch.nn.Buffer(torch.zeros(3), persistent=False)
    assert list(dict(m.named_buffers())) == list(dict(tm.named_buffers())) == ["a", "b"]
    assert list(m.state_dict()) == list(tm.state_dict()) == ["a"]
    assert list(dict(m.named_parameters())) == []
    assert isinstance(m.a, nn.Buffer) and isinstance(m.a, xp.Tensor)
    assert nn.Buffer(xp.ones(1)).persistent and not nn.Buffer(xp.ones(1), persistent=False).persistent
    assert repr(m.a) == "tensor([1., 1.])"
    assert type(m.a + 1) is xp.Tensor  # operations give plain tensors
    m.a = xp.full((2,), 5.0)  # a plain tensor into a buffer slot stays a (persistent) buffer
    m.b = xp.ones(3)
    assert list(m.state_dict()) == ["a"]
    np.testing.assert_array_equal(host(m.state_dict()["a"]), [5.0, 5.0])
    m.b = nn.Buffer(xp.ones(3))  # a Buffer brings its own persistence
    assert list(m.state_dict()) == ["a", "b"]
    moved = m.double()
    assert moved.a.dtype == xp.float64


def test_buffer_keeps_requires_grad_and_shares_memory():
    x = xp.ones(3, requires_grad=True)
    b, tb = nn.Buffer(x), torch.nn.Buffer(torch.ones(3, requires_grad=True))
    assert b.requires_grad == tb.requires_grad is True
    assert b.grad_fn is None
    y = xp.zeros(2)
    b2 = nn.Buffer(y)
    b2[0] = 4.0
    assert float(y[0]) == 4.0
    assert tuple(nn.Buffer().shape) == tuple(torch.nn.Buffer().shape) == (0,)
    with pytest.raises(TypeError, match="data"):
        nn.Buffer([1.0, 2.0])
    with pytest.raises(AttributeError, match="before Module.__init__"):
        class Early(nn.Module):
            def __init__(self):
                self.x = nn.Buffer(xp.ones(1))
        Early()


# ----- nn.utils ---------------------------------------------------------------------------------
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
def test_get_total_norm_and_clip_grads_with_norm(norm_type):
    grads = [rand(3, 4, seed=1), rand(5, seed=2)]
    total = nn.utils.get_total_norm([ag(g) for g in grads], norm_type)
    ttotal = torch.nn.utils.get_total_norm([torch.tensor(g) for g in grads], norm_type)
    np.testing.assert_allclose(host(total), ttotal.numpy(), rtol=1e-12)
    params = [ag(np.zeros_like(g), requires_grad=True) for g in grads]
    tparams = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, tp, g in zip(params, tparams, grads):
        p.grad, tp.grad = ag(g), torch.tensor(g)
    nn.utils.clip_grads_with_norm_(params, 0.5, total)
    torch.nn.utils.clip_grads_with_norm_(tparams, 0.5, ttotal)
    for p, tp in zip(params, tparams):
        np.testing.assert_allclose(host(p.grad), tp.grad.numpy(), rtol=1e-12)


def test_get_total_norm_edges():
    assert float(nn.utils.get_total_norm([])) == 0.0
    one = nn.utils.get_total_norm(ag(np.array([3.0, 4.0])))
    assert float(one) == 5.0
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.get_total_norm([ag(np.array([np.inf]))], error_if_nonfinite=True)
    with pytest.raises(TypeError, match="tensors"):
        nn.utils.get_total_norm([1.0])
    nn.utils.clip_grads_with_norm_([xp.ones(2, requires_grad=True)], 1.0, xp.asarray(1.0))  # no grads: no-op


def _copy_state(src_torch, dst):
    dst.load_state_dict({k: xp.asarray(v.detach().numpy().copy()) for k, v in src_torch.state_dict().items()})


@pytest.mark.parametrize("transpose", [False, True])
def test_fuse_conv_bn_eval(transpose):
    torch.manual_seed(0)
    if transpose:
        tconv, conv = torch.nn.ConvTranspose2d(2, 3, 3).double(), nn.ConvTranspose2d(2, 3, 3).double()
    else:
        tconv, conv = torch.nn.Conv2d(2, 3, 3).double(), nn.Conv2d(2, 3, 3).double()
    tbn, bn = torch.nn.BatchNorm2d(3).double(), nn.BatchNorm2d(3).double()
    with torch.no_grad():
        tbn.running_mean.copy_(torch.randn(3, dtype=torch.float64))
        tbn.running_var.copy_(torch.rand(3, dtype=torch.float64) + 0.5)
        tbn.weight.copy_(torch.randn(3, dtype=torch.float64))
        tbn.bias.copy_(torch.randn(3, dtype=torch.float64))
    _copy_state(tconv, conv)
    _copy_state(tbn, bn)
    conv.eval(), bn.eval(), tconv.eval(), tbn.eval()
    fused = nn.utils.fuse_conv_bn_eval(conv, bn, transpose=transpose)
    tfused = torch.nn.utils.fuse_conv_bn_eval(tconv, tbn, transpose=transpose)
    assert type(fused) is type(conv) and fused is not conv
    for k, v in tfused.state_dict().items():
        np.testing.assert_allclose(host(fused.state_dict()[k]), v.numpy(), rtol=1e-12, atol=1e-14)
    assert isinstance(fused.weight, nn.Parameter) and fused.weight.requires_grad
    x = rand(1, 2, 5, 5)
    np.testing.assert_allclose(host(fused(ag(x))), host(bn(conv(ag(x)))), atol=1e-12)
    with pytest.raises(AssertionError, match="eval"):
        nn.utils.fuse_conv_bn_eval(conv.train(), bn)


def test_fuse_linear_bn_eval_and_weights():
    torch.manual_seed(1)
    tlin, tbn = torch.nn.Linear(3, 4).double().eval(), torch.nn.BatchNorm1d(4).double().eval()
    with torch.no_grad():
        tbn.running_mean.copy_(torch.randn(4, dtype=torch.float64))
        tbn.running_var.copy_(torch.rand(4, dtype=torch.float64) + 0.5)
    lin, bn = nn.Linear(3, 4).double().eval(), nn.BatchNorm1d(4).double().eval()
    _copy_state(tlin, lin)
    _copy_state(tbn, bn)
    fused, tfused = nn.utils.fuse_linear_bn_eval(lin, bn), torch.nn.utils.fuse_linear_bn_eval(tlin, tbn)
    np.testing.assert_allclose(host(fused.weight), tfused.weight.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(host(fused.bias), tfused.bias.detach().numpy(), rtol=1e-12)
    w, b = nn.utils.fuse_conv_bn_weights(lin.weight, None, bn.running_mean, bn.running_var, bn.eps, None, None)
    tw, tb = torch.nn.utils.fuse_conv_bn_weights(tlin.weight, None, tbn.running_mean, tbn.running_var, tbn.eps,
                                                 None, None)
    np.testing.assert_allclose(host(w), tw.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(host(b), tb.detach().numpy(), rtol=1e-12)
    with pytest.raises(AssertionError, match="num_features"):
        nn.utils.fuse_linear_bn_eval(lin, nn.BatchNorm1d(3).eval())


def test_skip_init():
    m = nn.utils.skip_init(nn.Linear, 6, 2, dtype=xp.float64)
    assert type(m) is nn.Linear and tuple(m.weight.shape) == (2, 6) and m.weight.dtype == xp.float64
    e = same_error(lambda: nn.utils.skip_init(nn.ReLU), lambda: torch.nn.utils.skip_init(torch.nn.ReLU))
    assert "device" in str(e)
    same_error(lambda: nn.utils.skip_init(int), lambda: torch.nn.utils.skip_init(int))


# ----- nn.utils.prune ---------------------------------------------------------------------------
def _twin_linear(seed=0):
    tm = torch.nn.Linear(5, 4).double()
    with torch.no_grad():  # distinct magnitudes: the L1 choices are unique
        tm.weight.copy_(torch.tensor(rand(4, 5, seed=seed)))
    m = nn.Linear(5, 4).double()
    _copy_state(tm, m)
    return m, tm


def test_l1_and_ln_pruning_match_torch():
    m, tm = _twin_linear()
    prune.l1_unstructured(m, "weight", amount=0.3)
    TP.l1_unstructured(tm, "weight", amount=0.3)
    assert list(m.state_dict()) == list(tm.state_dict()) == ["bias", "weight_orig", "weight_mask"]
    assert "weight" not in dict(m.named_parameters())
    np.testing.assert_array_equal(host(m.weight_mask), tm.weight_mask.numpy())
    prune.ln_structured(m, "weight", amount=1, n=2, dim=0)
    TP.ln_structured(tm, "weight", amount=1, n=2, dim=0)
    np.testing.assert_array_equal(host(m.weight_mask), tm.weight_mask.numpy())
    hooks = list(m._forward_pre_hooks.values())
    assert len(hooks) == 1 and isinstance(hooks[0], prune.PruningContainer) and len(hooks[0]) == 2
    x = rand(3, 5, seed=4)
    out, tout = m(ag(x)), tm(torch.tensor(x))
    np.testing.assert_allclose(host(out), tout.detach().numpy(), atol=1e-12)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(host(m.weight_orig.grad), tm.weight_orig.grad.numpy(), atol=1e-12)
    # a pruned torch state dict loads into a pruned arraygrad module
    m2, _ = _twin_linear(seed=9)
    prune.identity(m2, "weight")
    _copy_state(tm, m2)
    np.testing.assert_array_equal(host(m2.weight_mask), tm.weight_mask.numpy())
    np.testing.assert_allclose(host(m2(ag(x))), tout.detach().numpy(), atol=1e-12)
    assert prune.is_pruned(m) and TP.is_pruned(tm)
    prune.remove(m, "weight")
    TP.remove(tm, "weight")
    assert list(m.state_dict()) == list(tm.state_dict()) == ["bias", "weight"]  # re-registered last
    assert isinstance(m.weight, nn.Parameter)
    np.testing.assert_allclose(host(m.weight), tm.weight.detach().numpy())
    assert not prune.is_pruned(m)


def test_importance_scores_and_custom_mask():
    m, tm = _twin_linear()
    scores = rand(4, 5, seed=5)
    prune.l1_unstructured(m, "weight", amount=4, importance_scores=ag(scores))
    TP.l1_unstructured(tm, "weight", amount=4, importance_scores=torch.tensor(scores))
    np.testing.assert_array_equal(host(m.weight_mask), tm.weight_mask.numpy())
    mask = (rand(4) > 0).astype(np.float64)
    prune.custom_from_mask(m, "bias", ag(mask))
    TP.custom_from_mask(tm, "bias", torch.tensor(mask))
    np.testing.assert_array_equal(host(m.bias), tm.bias.detach().numpy())
    assert list(m.state_dict()) == list(tm.state_dict())
    with pytest.raises(AssertionError, match="shape"):
        prune.l1_unstructured(nn.Linear(2, 2), "weight", amount=1, importance_scores=xp.ones(3))


def test_random_pruning_counts():
    m = nn.Linear(10, 6)
    prune.random_unstructured(m, "weight", amount=0.25)
    assert int(xp.sum(m.weight_mask == 0)) == 15
    prune.random_structured(m, "weight", amount=2, dim=1)  # combined: 2 of the columns go on top
    mask = host(m.weight_mask)
    assert int((mask.sum(axis=0) == 0).sum()) >= 2
    m2 = nn.Conv2d(2, 4, 3)
    prune.random_structured(m2, "weight", amount=0.5, dim=0)
    per_channel = host(m2.weight_mask).reshape(4, -1)
    assert sorted(per_channel.max(axis=1)) == [0.0, 0.0, 1.0, 1.0]
    assert np.all(per_channel.min(axis=1) == per_channel.max(axis=1))


def test_global_unstructured_matches_torch():
    (a, ta), (b, tb) = _twin_linear(1), _twin_linear(2)
    prune.global_unstructured([(a, "weight"), (b, "weight")], pruning_method=prune.L1Unstructured, amount=12)
    TP.global_unstructured([(ta, "weight"), (tb, "weight")], pruning_method=TP.L1Unstructured, amount=12)
    np.testing.assert_array_equal(host(a.weight_mask), ta.weight_mask.numpy())
    np.testing.assert_array_equal(host(b.weight_mask), tb.weight_mask.numpy())
    with pytest.raises(TypeError, match="unstructured"):
        prune.global_unstructured([(a, "bias")], pruning_method=prune.RandomStructured, amount=1)


def test_prune_errors_match_torch():
    for amount in (-1, 1.5):
        same_error(lambda: prune.l1_unstructured(nn.Linear(2, 2), "weight", amount=amount),
                   lambda: TP.l1_unstructured(torch.nn.Linear(2, 2), "weight", amount=amount))
    same_error(lambda: prune.l1_unstructured(nn.Linear(2, 2), "weight", amount="a"),
               lambda: TP.l1_unstructured(torch.nn.Linear(2, 2), "weight", amount="a"))
    same_error(lambda: prune.l1_unstructured(nn.Linear(2, 2), "weight", amount=5),
               lambda: TP.l1_unstructured(torch.nn.Linear(2, 2), "weight", amount=5))
    same_error(lambda: prune.ln_structured(nn.Linear(2, 2), "bias", amount=1, n=2, dim=0),
               lambda: TP.ln_structured(torch.nn.Linear(2, 2), "bias", amount=1, n=2, dim=0))
    same_error(lambda: prune.remove(nn.Linear(2, 2), "weight"), lambda: TP.remove(torch.nn.Linear(2, 2), "weight"))
    m = nn.Linear(2, 2)
    with pytest.raises(ValueError):
        prune.l1_unstructured(m, "weight", amount=9)
    assert "weight" in dict(m.named_parameters())  # a failed pruning restores the parameter


# ----- Tensor: post-accumulate-grad hooks, untyped_storage --------------------------------------
def _post_hook_log(lib):
    w = lib.ones(3, dtype=lib.float64, requires_grad=True)
    log = []
    handle = w.register_post_accumulate_grad_hook(lambda p: log.append((p is w, p.grad.tolist())))
    (w * 2).sum().backward()
    (w * w).sum().backward()
    handle.remove()
    (w * 5).sum().backward()
    w2 = lib.ones(2, dtype=lib.float64, requires_grad=True)
    w2.register_post_accumulate_grad_hook(lambda p: log.append(("inputs", p.grad.tolist())))
    ((w * 1).sum() + (w2 * 3).sum()).backward(inputs=[w2])
    lib.autograd.grad((w2 * 2).sum(), w2)  # no accumulation: no call
    return log


def test_post_accumulate_grad_hook_matches_torch():
    assert _post_hook_log(xp) == _post_hook_log(torch)


def test_post_accumulate_grad_hook_errors():
    w = xp.ones(2, requires_grad=True)
    e = same_error(lambda: (w * 2).register_post_accumulate_grad_hook(print),
                   lambda: (torch.ones(2, requires_grad=True) * 2).register_post_accumulate_grad_hook(print))
    assert "non-leaf" in str(e)
    same_error(lambda: xp.ones(2).register_post_accumulate_grad_hook(print),
               lambda: torch.ones(2).register_post_accumulate_grad_hook(print))
    with pytest.raises(TypeError, match="callable"):
        w.register_post_accumulate_grad_hook(3)


def test_post_accumulate_grad_hook_optimizer_in_backward():
    # the PyTorch tutorial's pattern: step each parameter as soon as its grad is ready
    model = nn.Linear(3, 2)
    opts = {p: xp.optim.SGD([p], lr=0.1) for p in model.parameters()}
    before = [host(p) for p in model.parameters()]

    def step(p):
        opts[p].step()
        opts[p].zero_grad()

    for p in model.parameters():
        p.register_post_accumulate_grad_hook(step)
    model(xp.ones((4, 3))).sum().backward()
    for p, b in zip(model.parameters(), before):
        assert p.grad is None and not np.allclose(host(p), b)


def test_untyped_storage():
    t, tt = xp.arange(6.0, dtype=xp.float64).reshape(2, 3), torch.arange(6.0, dtype=torch.float64).reshape(2, 3)
    for ours, theirs in [(t, tt), (t[1:], tt[1:]), (t[:, 1], tt[:, 1])]:
        s, ts = ours.untyped_storage(), theirs.untyped_storage()
        assert s.nbytes() == ts.nbytes() and s.size() == ts.size() and len(s) == len(ts)
        assert (s.data_ptr() == t.data_ptr()) == (ts.data_ptr() == tt.data_ptr())
    assert xp.ones(3, dtype=xp.float32).untyped_storage().nbytes() == 12
