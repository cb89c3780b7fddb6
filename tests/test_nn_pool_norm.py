"""The pooling / normalization / convolution surface added to nn.functional and nn (max-pool
indices and unpooling, 1-D, adaptive-max and power-average pools, group / instance / local
response norms, BatchNorm3d, conv3d and the transposed 1-D / 3-D convolutions, fold / unfold,
the dropout variants, gumbel_softmax, embedding_bag, bicubic interpolation) against PyTorch CPU:
values and gradients on float64 inputs, running statistics, reprs, gradchecks, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import arraygrad as xp
import arraygrad.nn.functional as F
from arraygrad import nn
from arraygrad.autograd import gradcheck, gradgradcheck
from test_nn_functional import ag, compare, host, rand

TF = torch.nn.functional
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")


def compare_with_indices(fn, torch_fn, a, backend, atol=1e-10):
    """fn and torch_fn return (values, indices): indices equal, values and gradients close."""
    x = ag(a, backend, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    out, idx = fn(x)
    tout, tidx = torch_fn(t)
    assert idx.dtype == xp.int64
    np.testing.assert_array_equal(host(idx), tidx.numpy())
    np.testing.assert_allclose(host(out), tout.detach().numpy(), atol=atol)
    g = rand(*tout.shape, seed=9)
    xp.sum(out * ag(g, backend)).backward()
    (tout * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(host(x.grad), t.grad.numpy(), atol=atol)
    return out, idx


def copy_to_torch(ours, theirs):
    with torch.no_grad():
        for (name, p), (tname, tp) in zip(ours.state_dict().items(), theirs.state_dict().items()):
            assert name == tname
            tp.copy_(torch.from_numpy(host(p)))


def check_layer(ours, theirs, shape, modes=("train", "train", "eval"), atol=1e-10, positive=False):
    """A module against PyTorch's with the same state: output, input and parameter gradients,
    and the buffers after each call."""
    ours, theirs = ours.double(), theirs.double()
    copy_to_torch(ours, theirs)
    rng = np.random.default_rng(0)
    for mode in modes:
        getattr(ours, mode)()
        getattr(theirs, mode)()
        x = rng.standard_normal(shape)
        if positive:
            x = np.abs(x) + 0.1
        xa, xt = xp.asarray(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, tout = ours(xa), theirs(xt)
        np.testing.assert_allclose(host(out), tout.detach().numpy(), atol=atol)
        g = rng.standard_normal(tuple(tout.shape))
        xp.sum(out * xp.asarray(g)).backward()
        (tout * torch.tensor(g)).sum().backward()
        np.testing.assert_allclose(host(xa.grad), xt.grad.numpy(), atol=atol)
        for (name, p), tp in zip(ours.named_parameters(), theirs.parameters()):
            np.testing.assert_allclose(host(p.grad), tp.grad.numpy(), atol=atol, err_msg=name)
        for (name, b), tb in zip(ours.named_buffers(), theirs.buffers()):
            np.testing.assert_allclose(host(b), tb.numpy(), atol=atol, err_msg=name)
        ours.zero_grad()
        theirs.zero_grad()


# ----- max_pool2d indices and max_unpool2d -----------------------------------------------------
MAX_INDEX_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1)),
    dict(kernel_size=2, stride=1, dilation=2),
    dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True),
    dict(kernel_size=3, stride=2, ceil_mode=True),
]


@pytest.mark.parametrize("kwargs", MAX_INDEX_CASES, ids=str)
@pytest.mark.parametrize("shape", [(2, 3, 7, 6), (3, 5, 8)], ids=str)
def test_max_pool2d_indices_match_torch(backend, kwargs, shape):
    compare_with_indices(lambda t: F.max_pool2d(t, return_indices=True, **kwargs),
                         lambda t: TF.max_pool2d(t, return_indices=True, **kwargs), rand(*shape), backend)


def test_max_pool2d_indices_ties_and_special_values(backend):
    # ties go to the first maximum; a window of -inf reports its first real element
    a = np.round(rand(2, 2, 6, 7, seed=3) * 2)
    a[0, 0, :2, :2] = -np.inf
    compare_with_indices(lambda t: F.max_pool2d(t, 3, 2, 1, return_indices=True),
                         lambda t: TF.max_pool2d(t, 3, 2, 1, return_indices=True), a, backend)
    b = rand(1, 1, 4, 4)
    b[0, 0, 1, 0] = b[0, 0, 0, 1] = np.nan  # NaN wins, the last of a window's NaNs (PyTorch's CPU kernel)
    out, idx = F.max_pool2d(ag(b, backend), 2, return_indices=True)
    tout, tidx = TF.max_pool2d(torch.tensor(b), 2, return_indices=True)
    np.testing.assert_array_equal(host(idx), tidx.numpy())
    np.testing.assert_array_equal(np.isnan(host(out)), np.isnan(tout.numpy()))


@pytest.mark.parametrize("kwargs, shape, size", [
    (dict(kernel_size=2), (1, 2, 6, 6), None), (dict(kernel_size=2), (1, 2, 7, 7), (7, 7)),
    (dict(kernel_size=3, stride=2, padding=1), (1, 2, 7, 7), None),
    (dict(kernel_size=3, stride=2, padding=1), (1, 2, 8, 7), (1, 2, 8, 7)),
    (dict(kernel_size=3, stride=1), (2, 6, 6), None),  # overlapping windows: repeated indices
    (dict(kernel_size=(2, 3), stride=1, padding=1), (2, 2, 5, 6), [5, 6])], ids=str)
def test_max_unpool2d_matches_torch(backend, kwargs, shape, size):
    x = np.round(rand(*shape), 1)  # ties too
    pooled, idx = TF.max_pool2d(torch.tensor(x), return_indices=True, **kwargs)
    compare(lambda t, i: F.max_unpool2d(t, i, output_size=size, **kwargs),
            lambda t, i: TF.max_unpool2d(t, i, output_size=size, **kwargs),
            [pooled.numpy()], backend, ints=[idx.numpy()])
    # our own indices round-trip the same way
    out, ours = F.max_pool2d(ag(x, backend), return_indices=True, **kwargs)
    np.testing.assert_allclose(host(F.max_unpool2d(out, ours, output_size=size, **kwargs)),
                               TF.max_unpool2d(pooled, idx, output_size=size, **kwargs).numpy())


def test_with_indices_functions(backend):
    x = rand(2, 3, 7, 6)
    for name, args in [("max_pool2d_with_indices", (3, 2, 1)), ("adaptive_max_pool2d_with_indices", ((3, 2),)),
                       ("max_pool1d_with_indices", (3, 2, 1)), ("adaptive_max_pool1d_with_indices", (4,))]:
        a = x[0] if "1d" in name else x
        compare_with_indices(lambda t: getattr(F, name)(t, *args), lambda t: getattr(TF, name)(t, *args), a, backend)


def test_max_pool_and_unpool_modules(backend):
    x = rand(2, 3, 6, 5)
    pool, tpool = nn.MaxPool2d(2, return_indices=True), torch.nn.MaxPool2d(2, return_indices=True)
    unpool, tunpool = nn.MaxUnpool2d(2), torch.nn.MaxUnpool2d(2)
    out, idx = pool(ag(x, backend))
    tout, tidx = tpool(torch.tensor(x))
    np.testing.assert_array_equal(host(idx), tidx.numpy())
    back = unpool(out, idx, output_size=(2, 3, 6, 5))
    np.testing.assert_allclose(host(back), tunpool(tout, tidx, output_size=(2, 3, 6, 5)).numpy())
    pool1, unpool1 = nn.MaxPool1d(3, 2, 1, return_indices=True), nn.MaxUnpool1d(3, 2, 1)
    tpool1, tunpool1 = torch.nn.MaxPool1d(3, 2, 1, return_indices=True), torch.nn.MaxUnpool1d(3, 2, 1)
    y = rand(2, 3, 9)
    out1, idx1 = pool1(ag(y, backend))
    tout1, tidx1 = tpool1(torch.tensor(y))
    np.testing.assert_array_equal(host(idx1), tidx1.numpy())
    np.testing.assert_allclose(host(unpool1(out1, idx1)), tunpool1(tout1, tidx1).numpy())
    compare(lambda t, i: F.max_unpool1d(t, i, 3, 2, 1, output_size=[10]),
            lambda t, i: TF.max_unpool1d(t, i, 3, 2, 1, output_size=[10]), [tout1.numpy()], backend,
            ints=[tidx1.numpy()])


# ----- 1-D pools -------------------------------------------------------------------------------
POOL1D_CASES = [dict(kernel_size=1), dict(kernel_size=2), dict(kernel_size=3, stride=1),
                dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=4, stride=3, padding=2),
                dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), dict(kernel_size=2, stride=3, ceil_mode=True)]


MAX1D_CASES = POOL1D_CASES + [dict(kernel_size=2, dilation=2, stride=1),
                              dict(kernel_size=3, dilation=2, padding=1, ceil_mode=True, stride=2)]


@pytest.mark.parametrize("kwargs", MAX1D_CASES, ids=str)
@pytest.mark.parametrize("shape", [(2, 3, 9), (3, 8)], ids=str)
def test_max_pool1d_matches_torch(backend, kwargs, shape):
    compare(lambda t: F.max_pool1d(t, **kwargs), lambda t: TF.max_pool1d(t, **kwargs), [rand(*shape)], backend)
    compare_with_indices(lambda t: F.max_pool1d(t, return_indices=True, **kwargs),
                         lambda t: TF.max_pool1d(t, return_indices=True, **kwargs), rand(*shape, seed=1), backend)


@pytest.mark.parametrize("kwargs", POOL1D_CASES, ids=str)
@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("shape", [(2, 3, 9), (3, 8)], ids=str)
def test_avg_pool1d_matches_torch(backend, kwargs, count_include_pad, shape):
    compare(lambda t: F.avg_pool1d(t, count_include_pad=count_include_pad, **kwargs),
            lambda t: TF.avg_pool1d(t, count_include_pad=count_include_pad, **kwargs), [rand(*shape)], backend)


@pytest.mark.parametrize("size", [1, 3, 4, 7, 9, (5,)], ids=str)
@pytest.mark.parametrize("shape", [(2, 3, 9), (3, 7)], ids=str)
def test_adaptive_pools_1d_match_torch(backend, size, shape):
    compare(lambda t: F.adaptive_avg_pool1d(t, size), lambda t: TF.adaptive_avg_pool1d(t, size), [rand(*shape)],
            backend)
    compare(lambda t: F.adaptive_max_pool1d(t, size), lambda t: TF.adaptive_max_pool1d(t, size), [rand(*shape)],
            backend)
    compare_with_indices(lambda t: F.adaptive_max_pool1d(t, size, return_indices=True),
                         lambda t: TF.adaptive_max_pool1d(t, size, return_indices=True), rand(*shape, seed=2), backend)


@pytest.mark.parametrize("size", [1, 3, (2, 5), (4, 3), (None, 2), (7, 6), (8, 9)], ids=str)
@pytest.mark.parametrize("shape", [(2, 3, 7, 6), (3, 5, 8)], ids=str)
def test_adaptive_max_pool2d_matches_torch(backend, size, shape):
    compare(lambda t: F.adaptive_max_pool2d(t, size), lambda t: TF.adaptive_max_pool2d(t, size), [rand(*shape)],
            backend)
    compare_with_indices(lambda t: F.adaptive_max_pool2d(t, size, return_indices=True),
                         lambda t: TF.adaptive_max_pool2d(t, size, return_indices=True), rand(*shape, seed=4), backend)


def test_adaptive_max_pool2d_ties_go_to_the_first(backend):
    a = np.round(rand(2, 2, 7, 5, seed=5))
    compare_with_indices(lambda t: F.adaptive_max_pool2d(t, (3, 2), return_indices=True),
                         lambda t: TF.adaptive_max_pool2d(t, (3, 2), return_indices=True), a, backend)


@pytest.mark.parametrize("norm_type", [1, 2, 3, 1.5])
@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=3, stride=2),
                                    dict(kernel_size=(2, 3), stride=1), dict(kernel_size=3, stride=2, ceil_mode=True)],
                         ids=str)
def test_lp_pools_match_torch(backend, norm_type, kwargs):
    x = rand(2, 3, 7, 8, low=0.1, high=2.0)  # positive: x^p of a negative x is NaN for fractional p
    compare(lambda t: F.lp_pool2d(t, norm_type, **kwargs), lambda t: TF.lp_pool2d(t, norm_type, **kwargs), [x],
            backend)
    k1 = dict(kwargs, kernel_size=kwargs["kernel_size"] if isinstance(kwargs["kernel_size"], int) else 2)
    compare(lambda t: F.lp_pool1d(t, norm_type, **k1), lambda t: TF.lp_pool1d(t, norm_type, **k1),
            [x[0]], backend)


# ----- normalization ---------------------------------------------------------------------------
@pytest.mark.parametrize("shape, groups", [((2, 6), 3), ((2, 6, 5), 2), ((3, 4, 3, 2), 4), ((2, 4, 2, 2, 3), 1)],
                         ids=str)
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_matches_torch(backend, shape, groups, affine):
    c = shape[1]
    arrays = [rand(*shape)] + ([rand(c, seed=1), rand(c, seed=2)] if affine else [])
    compare(lambda *t: F.group_norm(t[0], groups, *t[1:], eps=1e-3),
            lambda *t: TF.group_norm(t[0], groups, *t[1:], eps=1e-3), arrays, backend)


@pytest.mark.parametrize("shape", [(2, 3, 5), (3, 4, 3, 2), (1, 2, 2, 3, 2)], ids=str)
@pytest.mark.parametrize("affine", [True, False])
def test_instance_norm_matches_torch(backend, shape, affine):
    c = shape[1]
    arrays = [rand(*shape)] + ([rand(c, seed=1), rand(c, seed=2)] if affine else [])
    fn = (lambda *t: F.instance_norm(t[0], weight=t[1], bias=t[2])) if affine else F.instance_norm
    tfn = (lambda *t: TF.instance_norm(t[0], weight=t[1], bias=t[2])) if affine else TF.instance_norm
    compare(fn, tfn, arrays, backend)


def test_instance_norm_running_stats_match_torch(backend):
    x = rand(3, 4, 5, 2)
    rm, rv = ag(rand(4, seed=1), backend), ag(rand(4, seed=2, low=0.5, high=2), backend)
    trm, trv = torch.tensor(rand(4, seed=1)), torch.tensor(rand(4, seed=2, low=0.5, high=2))
    for use_input_stats in (True, True, False):
        out = F.instance_norm(ag(x, backend), rm, rv, use_input_stats=use_input_stats, momentum=0.3)
        tout = TF.instance_norm(torch.tensor(x), trm, trv, use_input_stats=use_input_stats, momentum=0.3)
        np.testing.assert_allclose(host(out), tout.numpy(), atol=1e-10)
        np.testing.assert_allclose(host(rm), trm.numpy(), atol=1e-12)
        np.testing.assert_allclose(host(rv), trv.numpy(), atol=1e-12)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("shape", [(2, 5, 3), (2, 4, 3, 2), (1, 3, 2, 2, 2)], ids=str)
def test_local_response_norm_matches_torch(backend, size, shape):
    compare(lambda t: F.local_response_norm(t, size), lambda t: TF.local_response_norm(t, size), [rand(*shape)],
            backend)
    compare(lambda t: F.local_response_norm(t, size, alpha=0.5, beta=0.6, k=2.0),
            lambda t: TF.local_response_norm(t, size, alpha=0.5, beta=0.6, k=2.0), [rand(*shape)], backend)


NORM_LAYERS = [
    (lambda m: m.GroupNorm(2, 4), (3, 4, 5)),
    (lambda m: m.GroupNorm(3, 6, eps=1e-3, affine=False), (2, 6, 2, 3)),
    (lambda m: m.GroupNorm(1, 4, bias=False), (2, 4, 3)),
    (lambda m: m.InstanceNorm1d(3), (2, 3, 5)),
    (lambda m: m.InstanceNorm1d(3, affine=True, track_running_stats=True), (2, 3, 5)),
    (lambda m: m.InstanceNorm1d(3, affine=True, track_running_stats=True), (3, 5)),
    (lambda m: m.InstanceNorm2d(3, momentum=0.4, track_running_stats=True), (2, 3, 4, 3)),
    (lambda m: m.InstanceNorm2d(3, momentum=None, track_running_stats=True), (2, 3, 4, 3)),
    (lambda m: m.InstanceNorm2d(3, affine=True), (3, 4, 3)),
    (lambda m: m.InstanceNorm3d(2, affine=True, track_running_stats=True), (2, 2, 3, 2, 2)),
    (lambda m: m.InstanceNorm3d(2), (2, 3, 2, 2)),
    (lambda m: m.LocalResponseNorm(3), (2, 5, 4)),
    (lambda m: m.LocalResponseNorm(2, alpha=0.1, beta=0.5, k=1.5), (2, 5, 2, 3)),
    (lambda m: m.BatchNorm3d(3), (2, 3, 2, 3, 2)),
    (lambda m: m.BatchNorm3d(3, momentum=None, affine=False), (2, 3, 2, 2, 2)),
    (lambda m: m.BatchNorm3d(3, track_running_stats=False), (2, 3, 2, 2, 2)),
    (lambda m: m.BatchNorm1d(4), (3, 4, 5)),
    (lambda m: m.BatchNorm1d(4, momentum=None), (3, 4, 5)),
]


@pytest.mark.parametrize("make, shape", NORM_LAYERS, ids=[str(m(nn)) for m, _ in NORM_LAYERS])
def test_norm_layers_match_torch(make, shape):
    try:
        theirs = make(torch.nn)
    except TypeError as e:  # an argument newer than this PyTorch (GroupNorm's bias=: 2.13)
        pytest.skip(f"this PyTorch ({torch.__version__}) lacks it: {e}")
    check_layer(make(nn), theirs, shape, modes=("train", "train", "eval", "train"))


def test_instance_norm_num_features_mismatch():
    with pytest.raises(ValueError, match="expected input's size at dim=1 to match num_features"):
        nn.InstanceNorm1d(3, affine=True)(xp.ones((2, 4, 5)))
    with pytest.warns(UserWarning, match="does not match num_features"):
        nn.InstanceNorm1d(3)(xp.ones((2, 4, 5)))
    with pytest.raises(ValueError, match=r"expected 3D or 4D input \(got 2D input\)"):
        nn.InstanceNorm2d(3)(xp.ones((2, 3)))
    with pytest.raises(ValueError, match=r"expected 5D input \(got 4D input\)"):
        nn.BatchNorm3d(3)(xp.ones((2, 3, 2, 2)))


# ----- convolution -----------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2), dict(stride=2, padding=1, output_padding=1),
                                    dict(stride=3, dilation=2, output_padding=2, padding=2), dict(groups=2)], ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_conv_transpose1d_matches_torch(backend, kwargs, bias):
    g = kwargs.get("groups", 1)
    arrays = [rand(2, 4, 6), rand(4, 3, 3, seed=1)] + ([rand(3 * g, seed=2)] if bias else [])
    compare(lambda *t: F.conv_transpose1d(*t, **kwargs), lambda *t: TF.conv_transpose1d(*t, **kwargs), arrays,
            backend)
    compare(lambda *t: F.conv_transpose1d(*t, **kwargs), lambda *t: TF.conv_transpose1d(*t, **kwargs),
            [arrays[0][0]] + arrays[1:], backend)  # unbatched


CONV3D_CASES = [dict(), dict(stride=2), dict(padding=1), dict(stride=(1, 2, 2), padding=(1, 0, 2), dilation=(2, 1, 1)),
                dict(padding="same"), dict(padding="same", dilation=(1, 2, 1)), dict(padding="valid"), dict(groups=2)]


@pytest.mark.parametrize("kwargs", CONV3D_CASES, ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_conv3d_matches_torch(backend, kwargs, bias):
    g = kwargs.get("groups", 1)
    arrays = [rand(2, 4, 5, 6, 5), rand(6, 4 // g, 3, 2, 3, seed=1)] + ([rand(6, seed=2)] if bias else [])
    compare(lambda *t: F.conv3d(*t, **kwargs), lambda *t: TF.conv3d(*t, **kwargs), arrays, backend)


def test_conv3d_unbatched_and_even_kernel(backend):
    compare(lambda a, b: F.conv3d(a, b, padding="same"), lambda a, b: TF.conv3d(a, b, padding="same"),
            [rand(2, 4, 5, 4), rand(3, 2, 2, 4, 2, seed=1)], backend)


@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2, padding=1, output_padding=1),
                                    dict(stride=(3, 1, 2), dilation=(2, 1, 2), output_padding=(2, 0, 1),
                                         padding=(1, 0, 1)),
                                    dict(groups=2, stride=2)], ids=str)
def test_conv_transpose3d_matches_torch(backend, kwargs):
    g = kwargs.get("groups", 1)
    arrays = [rand(2, 4, 3, 4, 3), rand(4, 3, 3, 2, 3, seed=1), rand(3 * g, seed=2)]
    compare(lambda *t: F.conv_transpose3d(*t, **kwargs), lambda *t: TF.conv_transpose3d(*t, **kwargs), arrays,
            backend)
    compare(lambda a, w: F.conv_transpose3d(a, w, **kwargs), lambda a, w: TF.conv_transpose3d(a, w, **kwargs),
            [arrays[0][0], arrays[1]], backend)  # unbatched, no bias


UNFOLD_CASES = [dict(kernel_size=2), dict(kernel_size=(2, 3), stride=(2, 1)), dict(kernel_size=3, padding=1),
                dict(kernel_size=(3, 2), dilation=(2, 1), padding=(1, 2), stride=2)]


@pytest.mark.parametrize("kwargs", UNFOLD_CASES, ids=str)
@pytest.mark.parametrize("batched", [True, False])
def test_unfold_and_fold_match_torch(backend, kwargs, batched):
    shape = (2, 3, 7, 6) if batched else (3, 7, 6)
    compare(lambda t: F.unfold(t, **kwargs), lambda t: TF.unfold(t, **kwargs), [rand(*shape)], backend)
    cols = TF.unfold(torch.zeros(shape), **kwargs).shape
    compare(lambda t: F.fold(t, (7, 6), **kwargs), lambda t: TF.fold(t, (7, 6), **kwargs), [rand(*cols)], backend)


CONV_LAYERS = [
    (lambda m: m.Conv3d(2, 4, 3, padding=1), (2, 2, 4, 5, 4)),
    (lambda m: m.Conv3d(4, 2, (2, 3, 1), stride=2, dilation=(1, 1, 2), groups=2, bias=False), (1, 4, 5, 5, 6)),
    (lambda m: m.Conv3d(2, 3, 2, padding="same"), (2, 4, 3, 3)),
    (lambda m: m.ConvTranspose1d(4, 2, 3, stride=2, padding=1, output_padding=1), (2, 4, 5)),
    (lambda m: m.ConvTranspose1d(4, 6, 2, groups=2, dilation=2, bias=False), (4, 5)),
    (lambda m: m.ConvTranspose3d(2, 3, 2, stride=2), (1, 2, 2, 3, 2)),
    (lambda m: m.ConvTranspose3d(4, 2, (2, 3, 1), stride=(1, 2, 1), padding=(0, 1, 0), groups=2), (2, 4, 2, 3, 2)),
    (lambda m: m.Unfold((2, 3), padding=1), (2, 3, 4, 5)),
    (lambda m: m.Fold((4, 5), 2), (2, 8, 12)),
    (lambda m: m.MaxPool1d(3, 2, 1), (2, 3, 8)),
    (lambda m: m.MaxPool1d(2, ceil_mode=True, dilation=1), (3, 7)),
    (lambda m: m.AvgPool1d(3, 2, 1, count_include_pad=False), (2, 3, 8)),
    (lambda m: m.AdaptiveAvgPool1d(3), (2, 3, 8)),
    (lambda m: m.AdaptiveMaxPool1d(3), (2, 3, 8)),
    (lambda m: m.AdaptiveMaxPool2d((3, None)), (2, 3, 5, 4)),
    (lambda m: m.LPPool1d(2, 3, 2), (2, 3, 8)),
    (lambda m: m.LPPool2d(2.0, (2, 3)), (2, 3, 4, 6)),
]


@pytest.mark.parametrize("make, shape", CONV_LAYERS, ids=[str(m(torch.nn)) for m, _ in CONV_LAYERS])
def test_conv_and_pool_layers_match_torch(make, shape):
    check_layer(make(nn), make(torch.nn), shape, modes=("train", "eval"))


def test_conv_transpose_output_size():
    for ours, theirs, x, size in [
            (nn.ConvTranspose1d(2, 3, 3, stride=3), torch.nn.ConvTranspose1d(2, 3, 3, stride=3), rand(1, 2, 4), [12]),
            (nn.ConvTranspose3d(2, 3, 2, stride=2), torch.nn.ConvTranspose3d(2, 3, 2, stride=2), rand(1, 2, 2, 2, 2),
             (5, 4, 5))]:
        ours, theirs = ours.double(), theirs.double()
        copy_to_torch(ours, theirs)
        np.testing.assert_allclose(host(ours(xp.asarray(x), output_size=size)),
                                   theirs(torch.tensor(x), output_size=size).detach().numpy(), atol=1e-12)
    with pytest.raises(ValueError, match="requested an output size of 20"):
        nn.ConvTranspose1d(2, 3, 3, stride=3)(xp.ones((1, 2, 4)), output_size=[20])


# ----- dropout variants and gumbel_softmax ------------------------------------------------------
def test_dropout1d_zeroes_whole_channels():
    x = xp.ones((8, 16, 5))
    out = host(F.dropout1d(x, 0.5))
    assert set(np.unique(out)) <= {0.0, 2.0}
    assert (out == out[..., :1]).all()  # one draw per channel
    assert 0 < (out[..., 0] == 0).mean() < 1
    unbatched = host(F.dropout1d(xp.ones((16, 5)), 0.5))
    assert (unbatched == unbatched[:, :1]).all()
    assert F.dropout1d(x, 0.5, training=False) is x
    layer = nn.Dropout1d(0.25)
    layer.eval()
    assert layer(x) is x
    with pytest.raises(RuntimeError, match=r"expected 2D or 3D input, but received a 4D input"):
        F.dropout1d(xp.ones((2, 3, 4, 5)))


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_alpha_dropouts_match_torchs_values(p):
    # the same two values as PyTorch's for x = 1 (kept and dropped), and mean / variance kept
    torch_values = set(np.round(np.unique(TF.alpha_dropout(torch.ones(4000, dtype=torch.float64), p, True)), 12))
    out = host(F.alpha_dropout(xp.ones((4000,), dtype=xp.float64), p, training=True))
    assert set(np.round(np.unique(out), 12)) == torch_values
    z = np.random.default_rng(0).standard_normal(200000)
    y = host(F.alpha_dropout(xp.asarray(z), p, training=True))
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    feat = host(F.feature_alpha_dropout(xp.ones((50, 40, 3, 2), dtype=xp.float64), p, training=True))
    assert set(np.round(np.unique(feat), 12)) == torch_values
    assert (feat == feat[..., :1, :1]).all()
    x = xp.ones((3, 4))
    assert F.alpha_dropout(x, p) is x  # training=False by default, as PyTorch's
    assert F.feature_alpha_dropout(x, p) is x
    assert host(F.alpha_dropout(x, 1.0, training=True)).tolist() == [[0.0] * 4] * 3


def test_dropout_variants_in_place():
    x = xp.ones((4, 6, 5))
    out = F.dropout1d(x, 0.5, inplace=True)
    assert out is x and set(np.unique(host(x))) <= {0.0, 2.0}
    y = xp.ones((40, 6), dtype=xp.float64)
    out = F.alpha_dropout(y, 0.5, training=True, inplace=True)
    assert out is y and len(np.unique(host(y))) == 2


def test_gumbel_softmax_eps_is_deprecated():
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        F.gumbel_softmax(xp.ones((2, 3)), eps=1e-3)


def test_alpha_dropout_modules_and_gradient():
    layer = nn.AlphaDropout(0.3)
    x = xp.asarray(rand(50, 20), requires_grad=True)
    out = layer(x)
    xp.sum(out).backward()
    # d out / d x is a (kept) or 0 (dropped)
    sat = 1.0507009873554804934193349852946 * 1.6732632423543772848170429916717
    a = 1.0 / np.sqrt((sat * sat * 0.3 + 1) * 0.7)
    assert set(np.round(np.unique(host(x.grad)), 12)) == {0.0, round(a, 12)}
    layer.eval()
    assert layer(x) is x
    fl = nn.FeatureAlphaDropout(0.3)
    assert fl(xp.ones((2, 3, 4))).shape == (2, 3, 4)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        nn.AlphaDropout(1.5)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got -0.1"):
        F.alpha_dropout(x, -0.1)
    with pytest.raises(RuntimeError, match="feature dropout requires at least 2 dimensions"):
        F.feature_alpha_dropout(xp.ones((3,)), 0.5, True)


@pytest.mark.parametrize("dim", [-1, 0, 1])
def test_gumbel_softmax(dim):
    logits = xp.asarray(rand(4, 5, 3), requires_grad=True)
    soft = F.gumbel_softmax(logits, tau=0.5, dim=dim)
    np.testing.assert_allclose(host(xp.sum(soft, axis=dim)), 1.0)
    hard = F.gumbel_softmax(logits, tau=0.5, hard=True, dim=dim)
    h = host(hard)
    assert set(np.unique(h)) <= {0.0, 1.0}
    np.testing.assert_array_equal(h.sum(axis=dim), 1.0)
    # straight-through: the gradient is the soft sample's (whose value differs from hard's)
    assert hard.requires_grad
    xp.sum(hard * xp.asarray(rand(4, 5, 3, seed=3))).backward()
    assert np.abs(host(logits.grad)).sum() > 0


def test_gumbel_softmax_samples_the_categorical():
    probs = np.array([0.1, 0.2, 0.3, 0.4])
    logits = xp.asarray(np.tile(np.log(probs), (20000, 1)))
    hard = host(F.gumbel_softmax(logits, tau=1.0, hard=True))
    np.testing.assert_allclose(hard.mean(axis=0), probs, atol=0.02)


def test_gumbel_softmax_hard_gradient_matches_soft(backend):
    xp.manual_seed(5)
    logits = ag(rand(3, 4), backend, requires_grad=True)
    hard = F.gumbel_softmax(logits, hard=True)
    xp.manual_seed(5)
    logits2 = ag(rand(3, 4), backend, requires_grad=True)
    soft = F.gumbel_softmax(logits2)
    g = ag(rand(3, 4, seed=1), backend)
    xp.sum(hard * g).backward()
    xp.sum(soft * g).backward()
    np.testing.assert_allclose(host(logits.grad), host(logits2.grad), atol=1e-12)
    np.testing.assert_array_equal(host(hard).argmax(-1), host(soft).argmax(-1))


# ----- embedding_bag ---------------------------------------------------------------------------
BAGS = [
    (dict(input=[1, 2, 4, 5, 4, 3, 2], offsets=[0, 0, 2, 5])),  # an empty first bag
    (dict(input=[1, 2, 4, 5, 4, 3, 2], offsets=[0, 0, 2, 5, 7], include_last_offset=True)),
    (dict(input=[[1, 2, 4], [5, 4, 3]])),
    (dict(input=[1, 2, 4, 5, 4, 3, 2], offsets=[0, 3, 4], padding_idx=4)),
    (dict(input=[[1, 2, 4], [4, 4, 4]], padding_idx=-2)),  # a bag of padding only
]


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("case", BAGS, ids=str)
def test_embedding_bag_matches_torch(backend, mode, case):
    case = dict(case)
    idx = np.array(case.pop("input"))
    offsets = case.pop("offsets", None)
    ints = [idx] + ([np.array(offsets)] if offsets is not None else [])
    compare(lambda w, *i: F.embedding_bag(i[0], w, *i[1:], mode=mode, **case),
            lambda w, *i: TF.embedding_bag(i[0], w, *i[1:], mode=mode, **case), [rand(6, 3)], backend, ints=ints)


def test_embedding_bag_per_sample_weights(backend):
    idx, offsets = np.array([1, 2, 4, 5, 4, 3, 2]), np.array([0, 2, 2, 6])
    compare(lambda w, p, i, o: F.embedding_bag(i, w, o, mode="sum", per_sample_weights=p),
            lambda w, p, i, o: TF.embedding_bag(i, w, o, mode="sum", per_sample_weights=p),
            [rand(6, 3), rand(7, seed=1)], backend, ints=[idx, offsets])


def test_embedding_bag_module_matches_torch():
    for kwargs in (dict(), dict(mode="max", padding_idx=1), dict(mode="sum", include_last_offset=True)):
        ours, theirs = nn.EmbeddingBag(6, 3, **kwargs).double(), torch.nn.EmbeddingBag(6, 3, **kwargs).double()
        assert repr(ours) == repr(theirs)
        copy_to_torch(ours, theirs)
        if kwargs.get("padding_idx") is not None:
            assert not host(ours.weight)[1].any()
        idx, offsets = [0, 1, 5, 1, 3], [0, 2, 5] if kwargs.get("include_last_offset") else [0, 2]
        out = ours(xp.asarray(idx), xp.asarray(offsets))
        tout = theirs(torch.tensor(idx), torch.tensor(offsets))
        np.testing.assert_allclose(host(out), tout.detach().numpy(), atol=1e-12)
        xp.sum(out * out).backward()
        (tout * tout).sum().backward()
        np.testing.assert_allclose(host(ours.weight.grad), theirs.weight.grad.numpy(), atol=1e-12)
    frozen = nn.EmbeddingBag.from_pretrained(xp.asarray(rand(4, 2)), mode="sum")
    assert not frozen.weight.requires_grad and repr(frozen) == "EmbeddingBag(4, 2, mode='sum')"


def test_embedding_bag_errors():
    w = xp.asarray(rand(5, 3))
    with pytest.raises(NotImplementedError, match="per_sample_weights is only supported for mode='sum'"):
        F.embedding_bag(xp.asarray([1, 2]), w, xp.asarray([0]), per_sample_weights=xp.ones(2, dtype=xp.float64))
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        F.embedding_bag(xp.asarray([1, 2]), w)
    with pytest.raises(ValueError, match="if input is 2D, then offsets has to be None"):
        F.embedding_bag(xp.asarray([[1, 2]]), w, xp.asarray([0]))
    with pytest.raises(ValueError, match="mode has to be one of sum, mean or max"):
        F.embedding_bag(xp.asarray([1, 2]), w, xp.asarray([0]), mode="median")
    with pytest.raises(IndexError, match="out of range"):
        F.embedding_bag(xp.asarray([1, 7]), w, xp.asarray([0]))


# ----- bicubic interpolation -------------------------------------------------------------------
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("spec", [dict(size=(9, 5)), dict(size=(3, 11)), dict(size=(1, 1)), dict(size=4),
                                  dict(scale_factor=2), dict(scale_factor=1.7), dict(scale_factor=(0.5, 1.5)),
                                  dict(scale_factor=1.7, recompute_scale_factor=True)], ids=str)
def test_bicubic_interpolation_matches_torch(backend, align_corners, spec):
    compare(lambda t: F.interpolate(t, mode="bicubic", align_corners=align_corners, **spec),
            lambda t: TF.interpolate(t, mode="bicubic", align_corners=align_corners, **spec),
            [rand(2, 3, 4, 6)], backend)


def test_bicubic_upsample_module():
    for spec in (dict(scale_factor=2, mode="bicubic"), dict(size=(5, 7), mode="bicubic", align_corners=True)):
        ours, theirs = nn.Upsample(**spec), torch.nn.Upsample(**spec)
        assert repr(ours) == repr(theirs)
        x = rand(1, 2, 3, 4)
        np.testing.assert_allclose(host(ours(xp.asarray(x))), theirs(torch.tensor(x)).numpy(), atol=1e-12)


# ----- reprs, gradchecks, errors ---------------------------------------------------------------
REPRS = [
    "MaxPool1d(3)", "MaxPool1d(3, 2, 1, 2, True, True)", "MaxPool2d(2, return_indices=True)", "AvgPool1d(3)",
    "AvgPool1d(3, 2, 1, True, False)", "MaxUnpool1d(2)", "MaxUnpool2d(2)", "MaxUnpool2d((2, 3), 1, 1)",
    "AdaptiveAvgPool1d(3)", "AdaptiveMaxPool1d(2, return_indices=True)", "AdaptiveMaxPool2d((None, 3))",
    "LPPool1d(2, 3)", "LPPool2d(1.5, (2, 3), 1)", "LPPool2d(2, 3, ceil_mode=True)",
    "GroupNorm(2, 4)", "GroupNorm(2, 4, affine=False)", "GroupNorm(2, 4, eps=1e-3, bias=False)",
    "InstanceNorm1d(3)", "InstanceNorm2d(3, affine=True, track_running_stats=True)",
    "InstanceNorm2d(3, momentum=None, bias=False, affine=True)", "InstanceNorm3d(4, eps=1e-3)", "LocalResponseNorm(2)",
    "LocalResponseNorm(3, alpha=0.1, beta=0.5, k=2.0)", "BatchNorm3d(3)", "BatchNorm3d(3, momentum=None, affine=False)",
    "Conv3d(2, 3, 3)", "Conv3d(2, 3, (2, 3, 1), stride=2, padding=(1, 0, 0), dilation=2, bias=False)",
    "Conv3d(2, 4, 3, padding='same', groups=2)", "ConvTranspose1d(2, 3, 3)",
    "ConvTranspose1d(2, 4, 3, stride=2, output_padding=1, groups=2, dilation=2, bias=False)",
    "ConvTranspose3d(2, 4, 3, stride=2, output_padding=1, groups=2)", "Unfold(2)", "Unfold((2, 3), 2, 1, (1, 2))",
    "Fold(4, 2)", "Fold((4, 5), (2, 2), padding=1)", "Dropout1d()", "Dropout1d(0.2, True)", "AlphaDropout(0.2)",
    "FeatureAlphaDropout()", "EmbeddingBag(3, 4)", "EmbeddingBag(3, 4, mode='max', padding_idx=1, norm_type=3.)",
]


@pytest.mark.parametrize("spec", REPRS)
def test_reprs_match_torch(spec):
    assert repr(eval("nn." + spec)) == repr(eval("torch.nn." + spec))


@pytest.mark.parametrize("name", ["max_unpool2d", "adaptive_max_pool2d", "max_pool1d", "group_norm",
                                  "instance_norm", "local_response_norm", "conv3d", "conv_transpose3d", "fold",
                                  "unfold", "bicubic", "lp_pool2d", "avg_pool1d", "embedding_bag"])
def test_gradchecks(name):
    x = ag(rand(1, 2, 4, 4, seed=1), requires_grad=True)
    idx = F.max_pool2d(ag(rand(1, 2, 8, 8)), 2, return_indices=True)[1]
    cases = {
        "max_unpool2d": (lambda t: F.max_unpool2d(t, idx, 2), x),
        "adaptive_max_pool2d": (lambda t: F.adaptive_max_pool2d(t, (3, 2)), x),
        "max_pool1d": (lambda t: F.max_pool1d(t, 3, 2, 1), ag(rand(2, 2, 7), requires_grad=True)),
        "group_norm": (lambda t: F.group_norm(t, 2), ag(rand(2, 4, 3), requires_grad=True)),
        "instance_norm": (lambda t: F.instance_norm(t), ag(rand(2, 2, 4), requires_grad=True)),
        "local_response_norm": (lambda t: F.local_response_norm(t, 3, alpha=0.5),
                                ag(rand(2, 4, 3), requires_grad=True)),
        "conv3d": (lambda t: F.conv3d(t, ag(rand(2, 2, 2, 2, 2, seed=2)), padding=1),
                   ag(rand(1, 2, 3, 3, 2), requires_grad=True)),
        "conv_transpose3d": (lambda t: F.conv_transpose3d(t, ag(rand(2, 2, 2, 2, 2, seed=2)), stride=2),
                             ag(rand(1, 2, 2, 2, 2), requires_grad=True)),
        "fold": (lambda t: F.fold(t, (4, 4), 2, stride=1), ag(rand(1, 8, 9), requires_grad=True)),
        "unfold": (lambda t: F.unfold(t, 3, padding=1, stride=2), x),
        "bicubic": (lambda t: F.interpolate(t, size=(5, 3), mode="bicubic"), x),
        "lp_pool2d": (lambda t: F.lp_pool2d(t, 2, 2), x),
        "avg_pool1d": (lambda t: F.avg_pool1d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False),
                       ag(rand(2, 2, 8), requires_grad=True)),
        "embedding_bag": (lambda w: F.embedding_bag(xp.asarray([0, 2, 1, 2]), w, xp.asarray([0, 1]), mode="mean"),
                          ag(rand(3, 2), requires_grad=True)),
    }
    fn, t = cases[name]
    assert gradcheck(fn, (t,))
    if name in ("group_norm", "instance_norm", "conv3d", "fold", "bicubic", "local_response_norm"):
        assert gradgradcheck(fn, (t,))


def test_pool_errors():
    x = xp.ones((1, 2, 5))
    with pytest.raises(RuntimeError, match="max_pool1d: padding should be at most half of kernel size"):
        F.max_pool1d(x, 2, padding=2)
    with pytest.raises(ValueError, match=r"max_pool1d: expected a 2-D \(C, L\) or 3-D \(N, C, L\) input"):
        F.max_pool1d(xp.ones((1, 2, 3, 4)), 2)
    with pytest.raises(TypeError, match="avg_pool1d: kernel_size must be an int"):
        F.avg_pool1d(x, (2, 2))
    with pytest.raises(ValueError, match="adaptive_max_pool2d: output_size must be ints >= 0"):
        F.adaptive_max_pool2d(xp.ones((1, 4, 4)), -1)  # 0 bins are allowed (an empty result), as in PyTorch
    with pytest.raises(ValueError, match="adaptive_avg_pool1d: output_size must be an int or 1 ints"):
        F.adaptive_avg_pool1d(x, (2, 2))
    pooled, idx = F.max_pool2d(xp.ones((1, 1, 4, 4)), 2, return_indices=True)
    with pytest.raises(ValueError, match=r'max_unpool2d: invalid output_size "\(9, 9\)" \(dim 0 must be between '
                                         r'2 and 6\)'):
        F.max_unpool2d(pooled, idx, 2, output_size=(9, 9))
    with pytest.raises(ValueError, match="output_size must have 2 or 4 elements"):
        F.max_unpool2d(pooled, idx, 2, output_size=(4, 4, 4))
    with pytest.raises(RuntimeError, match="max_unpool2d: expected shape of indices"):
        F.max_unpool2d(pooled, idx[..., :1], 2)
    with pytest.raises(TypeError, match="max_unpool2d: indices must have an integer dtype"):
        F.max_unpool2d(pooled, pooled, 2)
    with pytest.raises(RuntimeError, match="max_unpool2d: found an invalid max index"):
        F.max_unpool2d(pooled, idx + 100, 2)


def test_norm_and_conv_errors():
    with pytest.raises(RuntimeError, match="group_norm: expected number of channels in input to be divisible by "
                                           r"num_groups, but got input of shape \[2, 6, 3\] and num_groups=4"):
        F.group_norm(xp.ones((2, 6, 3)), 4)
    with pytest.raises(RuntimeError, match="group_norm: expected weight to be a vector of size equal to the number "
                                           r"of channels in input \(6\)"):
        F.group_norm(xp.ones((2, 6, 3)), 3, xp.ones(5))
    with pytest.raises(ValueError, match=r"GroupNorm: num_channels \(4\) must be divisible by num_groups \(3\)"):
        nn.GroupNorm(3, 4)
    with pytest.raises(ValueError, match="instance_norm: expected more than 1 spatial element when training"):
        F.instance_norm(xp.ones((2, 3, 1)))
    with pytest.raises(ValueError, match="local_response_norm: expected 3D or higher dimensionality input"):
        F.local_response_norm(xp.ones((2, 3)), 2)
    with pytest.raises(ValueError, match="conv3d: weight of shape .* expects 4 input channels"):
        F.conv3d(xp.ones((1, 3, 4, 4, 4)), xp.ones((2, 4, 2, 2, 2)))
    with pytest.raises(ValueError, match="conv3d: padding='same' is not supported for strided convolutions"):
        F.conv3d(xp.ones((1, 3, 4, 4, 4)), xp.ones((2, 3, 2, 2, 2)), stride=2, padding="same")
    with pytest.raises(ValueError, match="Conv3d: padding='same' is not supported for strided convolutions"):
        nn.Conv3d(3, 2, 2, stride=2, padding="same")
    with pytest.raises(ValueError, match="conv3d: the input's spatial size"):
        F.conv3d(xp.ones((1, 3, 1, 4, 4)), xp.ones((2, 3, 2, 2, 2)))
    with pytest.raises(ValueError, match="conv_transpose1d: output padding must be smaller than either stride or "
                                         "dilation"):
        F.conv_transpose1d(xp.ones((1, 2, 4)), xp.ones((2, 3, 3)), output_padding=1)
    with pytest.raises(ValueError, match="conv_transpose3d: output padding must be smaller"):
        F.conv_transpose3d(xp.ones((1, 2, 2, 2, 2)), xp.ones((2, 3, 3, 3, 3)), stride=2, output_padding=2)
    with pytest.raises(RuntimeError, match="fold: given output_size=.* expected size of input's dimension 2 to match "
                                           r"the calculated number of sliding blocks 3 \* 3 = 9, but got "
                                           r"input.size\(2\)=5"):
        F.fold(xp.ones((2, 12, 5)), (4, 4), 2)
    with pytest.raises(RuntimeError, match="fold: expected size of input's dimension 1 to be divisible by the "
                                           "product of kernel_size"):
        F.fold(xp.ones((2, 7, 9)), (4, 4), 2)
    with pytest.raises(ValueError, match="unfold: expected a 3-D .* or 4-D"):
        F.unfold(xp.ones((2, 3)), 2)
    with pytest.raises(ValueError, match="interpolate: mode 'trilinear' expects a 5-D input"):
        F.interpolate(xp.ones((1, 1, 2, 2)), scale_factor=2, mode="trilinear")
    with pytest.raises(ValueError, match="interpolate: mode 'bicubic' expects a 4-D input"):
        F.interpolate(xp.ones((1, 1, 3)), scale_factor=2, mode="bicubic")


@pytest.mark.parametrize("act", ["ReLU", "LeakyReLU", "Hardtanh"])
def test_batch_norm_then_an_in_place_activation(act):
    """DCGAN's BatchNorm -> ReLU(inplace=True): the fused op's backward reads its saved
    statistics, not its output, so writing over the output is no error (as in PyTorch)."""
    x = np.random.default_rng(0).standard_normal((4, 3, 5, 5)).astype(np.float32)
    tconv = torch.nn.Conv2d(3, 4, 3)
    conv = nn.Conv2d(3, 4, 3)
    conv.load_state_dict({k: xp.asarray(v.detach().numpy()) for k, v in tconv.state_dict().items()})
    for lib, c in ((torch, tconv), (xp, conv)):
        m = lib.nn.Sequential(c, lib.nn.BatchNorm2d(4), getattr(lib.nn, act)(inplace=True))
        m(lib.tensor(x)).pow(2).sum().backward()
    np.testing.assert_allclose(host(conv.weight.grad), tconv.weight.grad.numpy(), rtol=1e-4, atol=1e-4)


# ----- batch norm in float32: statistics far from 0, both per-channel layouts -------------
@pytest.mark.parametrize("shape", [(16, 5), (8, 4, 6, 6), (2, 2, 200, 200), (1, 3, 7, 9), (4, 3, 2, 3, 4)],
                         ids=str)
def test_batch_norm_float32_far_from_zero_matches_torch(shape):
    """Mean 100, std 3 (the statistics' cancellation case), a zero weight, a gradient with a
    mean: output and running statistics at rtol 1e-4 from PyTorch's float32; the gradients
    within 3x PyTorch's own float32 error (from float64), which a float32 mean's rounding
    times sum(g) dominates. (2, 2, 200, 200) broadcasts per-channel columns, the smaller
    shapes whole (C, ...) planes."""
    rng = np.random.default_rng(0)
    c = shape[1]
    x = (rng.standard_normal(shape) * 3 + 100).astype(np.float32)
    g = (rng.standard_normal(shape) + 0.5).astype(np.float32)
    w = rng.standard_normal(c).astype(np.float32)
    w[0] = 0.0
    b = rng.standard_normal(c).astype(np.float32)
    ours = [xp.asarray(a, requires_grad=True) for a in (x, w, b)]
    rm, rv = xp.zeros(c, dtype=xp.float32), xp.ones(c, dtype=xp.float32)
    out = F.batch_norm(ours[0], rm, rv, *ours[1:], training=True, momentum=0.3)
    xp.sum(out * xp.asarray(g)).backward()
    refs = {}
    for dtype in (torch.float32, torch.float64):
        theirs = [torch.tensor(a, dtype=dtype, requires_grad=True) for a in (x, w, b)]
        trm, trv = torch.zeros(c, dtype=dtype), torch.ones(c, dtype=dtype)
        ref = TF.batch_norm(theirs[0], trm, trv, *theirs[1:], training=True, momentum=0.3)
        (ref * torch.tensor(g, dtype=dtype)).sum().backward()
        refs[dtype] = ref.detach().numpy(), trm.numpy(), trv.numpy(), [t.grad.numpy() for t in theirs]
    ref, trm, trv, grads32 = refs[torch.float32]
    np.testing.assert_allclose(np.asarray(out.detach()), ref, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(np.asarray(rm), trm, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(rv), trv, rtol=1e-4)
    for a, t32, t64 in zip(ours, grads32, refs[torch.float64][3]):
        scale = np.abs(t64).max()
        assert np.abs(np.asarray(a.grad) - t64).max() <= 3 * np.abs(t32 - t64).max() + 1e-6 * scale


@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_per_channel_columns_differentiate_twice(affine):
    """A batch of one broadcasts (C, 1, ...) columns instead of planes: first and second
    derivatives through the batch statistics there too."""
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((1, 2, 3, 2)) * 2 + 5] + (
        [rng.uniform(0.5, 1.5, 2), rng.standard_normal(2)] if affine else [])
    inputs = tuple(xp.asarray(a, requires_grad=True) for a in arrays)

    def fn(x, *wb):
        return F.batch_norm(x, None, None, *wb, training=True, eps=1e-3)

    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


@pytest.mark.parametrize("kwargs", [{}, {"momentum": None}, {"affine": False}, {"track_running_stats": False}],
                         ids=str)
def test_batch_norm2d_module_float32_train_then_eval_like_torch(kwargs):
    """Three training steps (running statistics by momentum or cumulative average), then
    evaluation from them, in float32 on inputs far from 0."""
    rng = np.random.default_rng(1)
    ours, theirs = nn.BatchNorm2d(3, **kwargs), torch.nn.BatchNorm2d(3, **kwargs)
    if ours.weight is not None:
        w, b = rng.standard_normal(3).astype(np.float32), rng.standard_normal(3).astype(np.float32)
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(w))
            theirs.bias.copy_(torch.tensor(b))
        ours.weight.data = xp.asarray(w)
        ours.bias.data = xp.asarray(b)
    batches = [(rng.standard_normal((4, 3, 5, 5)) * 3 + 100).astype(np.float32) for _ in range(4)]
    for v in batches[:3]:
        np.testing.assert_allclose(np.asarray(ours(xp.asarray(v)).detach()),
                                   theirs(torch.tensor(v)).detach().numpy(), rtol=1e-4, atol=1e-4)
    ours.eval()
    theirs.eval()
    np.testing.assert_allclose(np.asarray(ours(xp.asarray(batches[3])).detach()),
                               theirs(torch.tensor(batches[3])).detach().numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("wants", [(False, True, False), (False, False, True), (True, False, False)], ids=str)
def test_batch_norm_gradient_of_some_inputs_like_torch(wants):
    """Only some of input, weight and bias require grad: the joint rule skips the others
    (the bias's gradient alone needs no pass over x)."""
    rng = np.random.default_rng(2)
    arrays = (rng.standard_normal((3, 2, 4, 2)) + 4, rng.standard_normal(2), rng.standard_normal(2))
    ours = [xp.asarray(a, requires_grad=r) for a, r in zip(arrays, wants)]
    theirs = [torch.tensor(a, requires_grad=r) for a, r in zip(arrays, wants)]
    g = rng.standard_normal((3, 2, 4, 2))
    xp.sum(F.batch_norm(ours[0], None, None, *ours[1:], training=True) * xp.asarray(g)).backward()
    (TF.batch_norm(theirs[0], None, None, *theirs[1:], training=True) * torch.tensor(g)).sum().backward()
    for a, t, r in zip(ours, theirs, wants):
        assert (a.grad is None) == (not r)
        if r:
            np.testing.assert_allclose(np.asarray(a.grad), t.grad.numpy(), rtol=1e-10, atol=1e-12)
