"""The 3-D pools (max / avg / adaptive / power-average pools, max_unpool3d and their modules)
and the spatial-transformer sampling functions (affine_grid, grid_sample) against PyTorch CPU:
values, dtypes, indices and gradients on float64 inputs, gradchecks of the first and second
derivatives, reprs, argument errors, and that the op path reads no array values."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import arraygrad as xp  # noqa: E402
import arraygrad.nn.functional as F  # noqa: E402
from arraygrad import nn  # noqa: E402
from arraygrad.autograd import gradcheck, gradgradcheck  # noqa: E402
from test_nn_functional import ag, compare, host, rand  # noqa: E402

TF = torch.nn.functional


from test_nn_pool_norm import compare_with_indices as compare_indexed  # noqa: E402


# ----- max_pool3d / avg_pool3d -----------------------------------------------------------------
POOL_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3, 1), stride=(1, 2, 1), padding=(1, 1, 0)),
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=(3, 2, 3), stride=(2, 1, 2), padding=(1, 0, 1), ceil_mode=True),
    dict(kernel_size=2, stride=[]),
]
MAX_ONLY = [
    dict(kernel_size=2, stride=1, dilation=2),
    dict(kernel_size=3, stride=2, padding=1, dilation=(2, 1, 2), ceil_mode=True),
]


@pytest.mark.parametrize("kwargs", POOL_CASES + MAX_ONLY)
@pytest.mark.parametrize("shape", [(2, 3, 6, 7, 5), (3, 5, 6, 7)])
def test_max_pool3d_matches_torch(backend, kwargs, shape):
    compare_indexed(lambda t: F.max_pool3d(t, return_indices=True, **kwargs),
                    lambda t: TF.max_pool3d(t, return_indices=True, **kwargs), rand(*shape), backend)
    compare(lambda t: F.max_pool3d(t, **kwargs), lambda t: TF.max_pool3d(t, **kwargs), [rand(*shape)], backend)


@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1),
                                    dict(kernel_size=(3, 2, 2), stride=1, dilation=(1, 2, 1))])
def test_max_pool3d_ties_go_to_the_first(backend, kwargs):
    """Equal maxima across depth, rows and columns: the first in (d, h, w) order takes the
    index and the gradient, as PyTorch's."""
    a = np.round(rand(2, 2, 5, 6, 5, seed=3))
    compare_indexed(lambda t: F.max_pool3d(t, return_indices=True, **kwargs),
                    lambda t: TF.max_pool3d(t, return_indices=True, **kwargs), a, backend)


@pytest.mark.parametrize("kwargs", POOL_CASES)
@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("divisor_override", [None, 5])
def test_avg_pool3d_matches_torch(backend, kwargs, count_include_pad, divisor_override):
    extra = dict(kwargs, count_include_pad=count_include_pad, divisor_override=divisor_override)
    for shape in [(2, 3, 6, 7, 5), (3, 5, 6, 7)]:
        compare(lambda t: F.avg_pool3d(t, **extra), lambda t: TF.avg_pool3d(t, **extra), [rand(*shape)], backend)


def test_3d_pools_keep_dtype_and_layout():
    x = xp.asarray(rand(1, 2, 4, 4, 4).astype(np.float32))
    for out in (F.max_pool3d(x, 2), F.avg_pool3d(x, 2), F.adaptive_avg_pool3d(x, 3), F.adaptive_max_pool3d(x, 3),
                F.lp_pool3d(x, 2, 2)):
        assert out.dtype == xp.float32
    out, idx = F.max_pool3d(x, 2, return_indices=True)
    assert idx.dtype == xp.int64 and out.view(-1).shape == (16,)


# ----- adaptive pools ----------------------------------------------------------------------------
ADAPTIVE_SIZES = [2, 1, (3, 4, 2), (None, 3, 5), (6, 7, 5), (4, 5, 3)]


@pytest.mark.parametrize("size", ADAPTIVE_SIZES)
@pytest.mark.parametrize("shape", [(2, 3, 6, 7, 5), (3, 6, 7, 5)])
def test_adaptive_pools_3d_match_torch(backend, size, shape):
    compare(lambda t: F.adaptive_avg_pool3d(t, size), lambda t: TF.adaptive_avg_pool3d(t, size), [rand(*shape)],
            backend)
    compare_indexed(lambda t: F.adaptive_max_pool3d(t, size, return_indices=True),
                    lambda t: TF.adaptive_max_pool3d(t, size, return_indices=True), rand(*shape), backend)


@pytest.mark.parametrize("size", [2, (3, 4, 2)])
def test_adaptive_max_pool3d_ties_go_to_the_first(backend, size):
    a = np.round(rand(2, 2, 6, 7, 5, seed=4))
    compare_indexed(lambda t: F.adaptive_max_pool3d(t, size, return_indices=True),
                    lambda t: TF.adaptive_max_pool3d(t, size, return_indices=True), a, backend)


def test_with_indices_functions_3d(backend):
    a = rand(1, 2, 4, 5, 6)
    compare_indexed(lambda t: F.max_pool3d_with_indices(t, 2), lambda t: TF.max_pool3d_with_indices(t, 2), a,
                    backend)
    compare_indexed(lambda t: F.adaptive_max_pool3d_with_indices(t, 3),
                    lambda t: TF.adaptive_max_pool3d_with_indices(t, 3), a, backend)


# ----- power-average pools -----------------------------------------------------------------------
def _torch_lp(lp_pool, max_pool, norm_type, *args, **kwargs):
    """PyTorch's lp pool; for p = +-inf the max (min) of |x|, as PyTorch 2.13 computes it
    (earlier versions take the 1/inf power of a sum: 1.0 in every window)."""
    if math.isinf(norm_type):
        sign = 1.0 if norm_type > 0 else -1.0
        return lambda t: sign * max_pool(sign * t.abs(), *args, **kwargs)
    return lambda t: lp_pool(t, norm_type, *args, **kwargs)


@pytest.mark.parametrize("norm_type", [1, 2, 1.5, float("inf"), -float("inf")])
@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=(2, 3, 2), stride=(1, 2, 2)),
                                    dict(kernel_size=3, stride=2, ceil_mode=True)])
def test_lp_pool3d_matches_torch(backend, norm_type, kwargs):
    a = np.abs(rand(2, 2, 5, 6, 7)) + 0.1
    compare(lambda t: F.lp_pool3d(t, norm_type, **kwargs), _torch_lp(TF.lp_pool3d, TF.max_pool3d, norm_type, **kwargs),
            [a], backend)


@pytest.mark.parametrize("norm_type", [float("inf"), -float("inf")])
def test_lp_pools_1d_2d_infinite_norm(backend, norm_type):
    """p = +-inf is the max (min) of |x| over each window, as PyTorch's."""
    a = rand(2, 3, 6, 5)
    compare(lambda t: F.lp_pool2d(t, norm_type, 2), _torch_lp(TF.lp_pool2d, TF.max_pool2d, norm_type, 2), [a], backend)
    compare(lambda t: F.lp_pool1d(t, norm_type, 3, 2), _torch_lp(TF.lp_pool1d, TF.max_pool1d, norm_type, 3, 2), [a[0]],
            backend)


# ----- max_unpool3d ------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,size", [
    (dict(kernel_size=2), None),
    (dict(kernel_size=2), (7, 9, 5)),
    (dict(kernel_size=(2, 3, 1), stride=(1, 2, 1), padding=(1, 1, 0)), (6, 8, 4)),
    (dict(kernel_size=3, stride=2, padding=1), (2, 3, 6, 8, 4)),
])
def test_max_unpool3d_matches_torch(backend, kwargs, size):
    a = rand(2, 3, 6, 8, 4)
    tout, tidx = TF.max_pool3d(torch.tensor(a), return_indices=True, **kwargs)
    pooled = tout.numpy()  # overlapping windows repeat an index, with its value (else which write wins is undefined)
    idx = ag(tidx.numpy(), backend)
    compare(lambda t: F.max_unpool3d(t, idx, output_size=size, **kwargs),
            lambda t: TF.max_unpool3d(t, tidx, output_size=size, **kwargs), [pooled], backend)
    compare(lambda t: F.max_unpool3d(t, idx[0], output_size=size, **kwargs),  # unbatched
            lambda t: TF.max_unpool3d(t, tidx[0], output_size=size, **kwargs), [pooled[0]], backend)


# ----- modules -----------------------------------------------------------------------------------
def check_module(ours, theirs, shape, atol=1e-10, positive=False):
    x = rand(*shape)
    if positive:
        x = np.abs(x) + 0.1
    xa, xt = xp.asarray(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, tout = ours(xa), theirs(xt)
    if isinstance(tout, tuple):
        np.testing.assert_array_equal(host(out[1]), tout[1].numpy())
        out, tout = out[0], tout[0]
    np.testing.assert_allclose(host(out), tout.detach().numpy(), atol=atol)
    g = rand(*tout.shape, seed=5)
    xp.sum(out * xp.asarray(g)).backward()
    (tout * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(host(xa.grad), xt.grad.numpy(), atol=atol)


MODULES = [
    ("MaxPool3d(2)", (2, 3, 4, 6, 5)),
    ("MaxPool3d((2, 3, 2), 1, 1, 2, True, True)", (2, 3, 4, 6, 5)),
    ("MaxPool3d(3, 2, 1, ceil_mode=True)", (3, 5, 6, 7)),
    ("AvgPool3d(2)", (2, 3, 4, 6, 5)),
    ("AvgPool3d(3, 2, 1, True, False, None)", (2, 3, 4, 6, 5)),
    ("AvgPool3d((2, 3, 2), divisor_override=7)", (3, 5, 6, 7)),
    ("AdaptiveAvgPool3d((None, 2, 3))", (2, 3, 4, 6, 5)),
    ("AdaptiveAvgPool3d(3)", (3, 5, 6, 7)),
    ("AdaptiveMaxPool3d(2, True)", (2, 3, 4, 6, 5)),
    ("AdaptiveMaxPool3d((3, None, 2))", (3, 5, 6, 7)),
]


@pytest.mark.parametrize("spec,shape", MODULES)
def test_3d_pool_modules_match_torch(spec, shape):
    check_module(eval("nn." + spec), eval("torch.nn." + spec), shape)


@pytest.mark.parametrize("spec", ["LPPool3d(2, 2)", "LPPool3d(1.5, (2, 3, 1), 1, True)",
                                  "LPPool3d(float('inf'), 2)"])
def test_lp_pool3d_module_matches_torch(spec):
    check_module(eval("nn." + spec), eval("torch.nn." + spec), (2, 3, 4, 6, 5), positive=True)


def test_max_unpool3d_module_matches_torch():
    a = rand(2, 3, 4, 6, 5)
    pool, tpool = nn.MaxPool3d(2, return_indices=True), torch.nn.MaxPool3d(2, return_indices=True)
    out, idx = pool(xp.asarray(a))
    tout, tidx = tpool(torch.tensor(a))
    np.testing.assert_array_equal(host(idx), tidx.numpy())
    unpool, tunpool = nn.MaxUnpool3d(2), torch.nn.MaxUnpool3d(2)
    up = unpool(out, idx, output_size=(4, 6, 5))
    tup = tunpool(tout, tidx, output_size=(4, 6, 5))
    np.testing.assert_allclose(host(up), tup.numpy())


REPRS = [
    "MaxPool3d(2)", "MaxPool3d((2, 3, 1), 1, 1, 2, True, True)", "AvgPool3d(2)", "AvgPool3d(3, 2, 1, True, False, 3)",
    "AdaptiveAvgPool3d((None, 2, 3))", "AdaptiveAvgPool3d(2)", "AdaptiveMaxPool3d(2, True)", "LPPool3d(2, 3)",
    "LPPool3d(1.5, (2, 3, 1), 1, True)", "MaxUnpool3d(2)", "MaxUnpool3d((2, 3, 1), 1, 1)",
]


@pytest.mark.parametrize("spec", REPRS)
def test_reprs_match_torch(spec):
    assert repr(eval("nn." + spec)) == repr(eval("torch.nn." + spec))


def test_exports():
    import arraygrad

    for name in ["max_pool3d", "avg_pool3d", "adaptive_avg_pool3d", "adaptive_max_pool3d", "lp_pool3d",
                 "max_unpool3d", "max_pool3d_with_indices", "adaptive_max_pool3d_with_indices", "affine_grid",
                 "grid_sample"]:
        assert name in F.__all__ and callable(getattr(F, name))
    for name in ["MaxPool3d", "AvgPool3d", "AdaptiveAvgPool3d", "AdaptiveMaxPool3d", "LPPool3d", "MaxUnpool3d"]:
        assert name in nn.__all__ and getattr(arraygrad.nn, name) is getattr(nn.layers, name)


# ----- affine_grid -------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 1, 5), (2, 3, 3, 4, 5), (2, 1, 1, 2, 1)])
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_matches_torch(backend, size, align_corners):
    nd = len(size) - 2
    theta = rand(size[0], nd, nd + 1, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the unit-size warning, PyTorch's too
        out = compare(lambda t: F.affine_grid(t, size, align_corners=align_corners),
                      lambda t: TF.affine_grid(t, size, align_corners=align_corners), [theta], backend)
    assert out.shape == (size[0],) + size[2:] + (nd,)


def test_affine_grid_dtype_and_warnings():
    theta = xp.asarray(rand(1, 2, 3).astype(np.float32))
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior has changed"):
        grid = F.affine_grid(theta, (1, 2, 3, 4))
    assert grid.dtype == xp.float32
    with pytest.warns(UserWarning, match="behavior has changed for unit-size grids"):
        F.affine_grid(theta, (1, 2, 1, 4), align_corners=True)


def test_spatial_transformer_matches_torch(backend):
    """affine_grid then grid_sample: the gradient reaches theta through the grid."""
    a, theta = rand(2, 3, 5, 6), rand(2, 2, 3, seed=2) * 0.7
    compare(lambda x, th: F.grid_sample(x, F.affine_grid(th, (2, 3, 4, 7), align_corners=False),
                                        align_corners=False),
            lambda x, th: TF.grid_sample(x, TF.affine_grid(th, (2, 3, 4, 7), align_corners=False),
                                         align_corners=False), [a, theta], backend)


# ----- grid_sample -------------------------------------------------------------------------------
MODES_2D = list(itertools.product(["bilinear", "nearest", "bicubic"], ["zeros", "border", "reflection"],
                                  [False, True]))
MODES_3D = list(itertools.product(["bilinear", "nearest"], ["zeros", "border", "reflection"], [False, True]))


def _ids(cases):
    return ["-".join(str(v) for v in c) for c in cases]


@pytest.mark.parametrize("mode,padding_mode,align_corners", MODES_2D, ids=_ids(MODES_2D))
@pytest.mark.parametrize("spread", [1.2, 3.5])  # inside and (mostly) outside the image
def test_grid_sample_2d_matches_torch(backend, mode, padding_mode, align_corners, spread):
    a, grid = rand(2, 3, 5, 6), rand(2, 4, 7, 2, seed=1) * spread
    compare(lambda x, g: F.grid_sample(x, g, mode, padding_mode, align_corners),
            lambda x, g: TF.grid_sample(x, g, mode, padding_mode, align_corners), [a, grid], backend, atol=1e-9)


@pytest.mark.parametrize("mode,padding_mode,align_corners", MODES_3D, ids=_ids(MODES_3D))
@pytest.mark.parametrize("spread", [1.2, 3.5])
def test_grid_sample_3d_matches_torch(backend, mode, padding_mode, align_corners, spread):
    a, grid = rand(2, 3, 4, 5, 6), rand(2, 3, 2, 4, 3, seed=1) * spread
    compare(lambda x, g: F.grid_sample(x, g, mode, padding_mode, align_corners),
            lambda x, g: TF.grid_sample(x, g, mode, padding_mode, align_corners), [a, grid], backend, atol=1e-9)


def test_grid_sample_exact_points_and_unit_sizes(backend):
    """Grid points on pixel centres and edges (where floor and the border clamps switch), a
    unit-size axis (reflection's degenerate span), and NaN and infinite points."""
    a = rand(1, 2, 1, 5)
    xs = np.linspace(-1.25, 1.25, 11)
    grid = np.stack(np.meshgrid(xs, np.array([-1.0, 0.0, 0.5])), axis=-1)[None]
    for mode, padding_mode, align_corners in MODES_2D:
        compare(lambda x, g: F.grid_sample(x, g, mode, padding_mode, align_corners),
                lambda x, g: TF.grid_sample(x, g, mode, padding_mode, align_corners), [a, grid], backend,
                atol=1e-9)
    g = grid.copy()
    g[0, 0, 0, 0], g[0, 0, 1, 1], g[0, 1, 2, 0] = np.nan, np.inf, -np.inf
    for mode, padding_mode, align_corners in MODES_2D:  # NaN is clamped to 0 by border and reflection
        out = F.grid_sample(ag(a, backend), ag(g, backend), mode, padding_mode, align_corners)
        tout = TF.grid_sample(torch.tensor(a), torch.tensor(g), mode, padding_mode, align_corners)
        np.testing.assert_allclose(host(out), tout.numpy(), atol=1e-12)


def test_grid_sample_float32_and_nearest_grid_gradient():
    x = xp.asarray(rand(1, 2, 4, 4).astype(np.float32), requires_grad=True)
    grid = xp.asarray(rand(1, 3, 3, 2, seed=2).astype(np.float32), requires_grad=True)
    out = F.grid_sample(x, grid, mode="nearest", align_corners=False)
    assert out.dtype == xp.float32 and out.shape == (1, 2, 3, 3)
    out.sum().backward()
    assert grid.grad is not None and not np.any(host(grid.grad))  # zeros, as PyTorch's


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_grid_sample_second_order_matches_torch(mode):
    """The gradient of the gradients (create_graph=True) agrees with PyTorch's."""
    a, grid, w = rand(1, 2, 4, 5), rand(1, 3, 3, 2, seed=1) * 1.1, rand(1, 2, 3, 3, seed=2)
    x, g = xp.asarray(a, requires_grad=True), xp.asarray(grid, requires_grad=True)
    tx, tg = torch.tensor(a, requires_grad=True), torch.tensor(grid, requires_grad=True)
    out = (F.grid_sample(x, g, mode, "reflection", False) * xp.asarray(w)).sum()
    tout = (TF.grid_sample(tx, tg, mode, "reflection", False) * torch.tensor(w)).sum()
    gx, gg = xp.autograd.grad(out, (x, g), create_graph=True)
    tgx, tgg = torch.autograd.grad(tout, (tx, tg), create_graph=True)
    second = xp.autograd.grad((gx ** 2).sum() + (gg ** 2).sum(), (x, g))
    tsecond = torch.autograd.grad((tgx ** 2).sum() + (tgg ** 2).sum(), (tx, tg))
    for ours, theirs in zip(second, tsecond):
        np.testing.assert_allclose(host(ours), theirs.numpy(), atol=1e-9)


# ----- gradchecks --------------------------------------------------------------------------------
def _gradcheck_cases():
    x = ag(rand(1, 2, 4, 5, 4, seed=1), requires_grad=True)
    idx = F.max_pool3d(ag(rand(1, 2, 4, 4, 4, seed=3)), 2, return_indices=True)[1]
    pooled = ag(rand(1, 2, 2, 2, 2, seed=4), requires_grad=True)
    img = ag(rand(1, 2, 4, 5, seed=5), requires_grad=True)
    grid = ag(rand(1, 3, 2, 2, seed=6) * 1.1, requires_grad=True)
    vol = ag(rand(1, 2, 3, 4, 3, seed=7), requires_grad=True)
    grid3 = ag(rand(1, 2, 2, 2, 3, seed=8) * 1.1, requires_grad=True)
    theta = ag(rand(2, 2, 3, seed=9), requires_grad=True)
    return {
        "max_pool3d": (lambda t: F.max_pool3d(t, 2, 1, 1), (x,), True),
        "avg_pool3d": (lambda t: F.avg_pool3d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False), (x,), True),
        "adaptive_avg_pool3d": (lambda t: F.adaptive_avg_pool3d(t, (3, 2, 3)), (x,), True),
        "adaptive_max_pool3d": (lambda t: F.adaptive_max_pool3d(t, (3, 2, 3)), (x,), True),
        "lp_pool3d": (lambda t: F.lp_pool3d(t, 2, 2), (x,), False),
        "max_unpool3d": (lambda t: F.max_unpool3d(t, idx, 2), (pooled,), True),
        "affine_grid": (lambda t: F.affine_grid(t, (2, 1, 3, 4), align_corners=False), (theta,), True),
        "grid_sample bilinear": (lambda a, g: F.grid_sample(a, g, "bilinear", "zeros", False), (img, grid), True),
        "grid_sample bilinear border": (lambda a, g: F.grid_sample(a, g, "bilinear", "border", True), (img, grid),
                                        True),
        "grid_sample bicubic reflection": (lambda a, g: F.grid_sample(a, g, "bicubic", "reflection", False),
                                           (img, grid), True),
        "grid_sample nearest": (lambda a: F.grid_sample(a, grid.detach(), "nearest", "zeros", False), (img,), True),
        "grid_sample trilinear": (lambda a, g: F.grid_sample(a, g, "bilinear", "reflection", True), (vol, grid3),
                                  True),
    }


@pytest.mark.parametrize("name", list(_gradcheck_cases()))
def test_gradchecks(name):
    fn, inputs, second = _gradcheck_cases()[name]
    assert gradcheck(fn, inputs)
    if second:
        assert gradgradcheck(fn, inputs)


# ----- errors ------------------------------------------------------------------------------------
def test_pool3d_errors():
    x = xp.ones((1, 2, 4, 4, 4))
    with pytest.raises(RuntimeError, match=r"max_pool3d: padding should be at most half of kernel size, but got "
                                           r"padding=\(2, 2, 2\) and kernel_size=\(2, 2, 2\)"):
        F.max_pool3d(x, 2, padding=2)
    with pytest.raises(ValueError, match=r"max_pool3d: expected a 4-D \(C, D, H, W\) or 5-D \(N, C, D, H, W\) "
                                         r"input, got shape \(4, 4\)"):
        F.max_pool3d(xp.ones((4, 4)), 2)
    with pytest.raises(ValueError, match=r"max_pool3d: the input's spatial size \(4, 4, 4\) .* smaller than the "
                                         r"dilated kernel \(5, 5, 5\)"):
        F.max_pool3d(x, 5)
    with pytest.raises(TypeError, match=r"max_pool3d: kernel_size must be an int or a tuple of 3 ints, got \(2, 2\)"):
        F.max_pool3d(x, (2, 2))
    with pytest.raises(ValueError, match="max_pool3d: stride must be at least 1, got 0"):
        F.max_pool3d(x, 2, stride=0)
    with pytest.raises(ValueError, match="max_pool3d: dilation must be at least 1"):
        F.max_pool3d(x, 2, dilation=0)
    with pytest.raises(TypeError, match="max_pool3d: input must have a real floating-point dtype"):
        F.max_pool3d(xp.ones((1, 2, 4, 4, 4), dtype=xp.int64), 2)
    with pytest.raises(ValueError, match="avg_pool3d: divisor_override must be a positive int, got 0"):
        F.avg_pool3d(x, 2, divisor_override=0)
    with pytest.raises(RuntimeError, match="avg_pool3d: padding should be at most half of kernel size"):
        F.avg_pool3d(x, 2, padding=(0, 2, 0))
    with pytest.raises(ValueError, match=r"adaptive_avg_pool3d: expected 4-D or 5-D input, got shape \(4, 4\)"):
        F.adaptive_avg_pool3d(xp.ones((4, 4)), 2)
    with pytest.raises(ValueError, match=r"adaptive_max_pool3d: output_size must be an int or 3 ints, got \(2, 2\)"):
        F.adaptive_max_pool3d(x, (2, 2))
    with pytest.raises(ValueError, match="adaptive_avg_pool3d: output_size must be ints >= 0, got -1"):
        F.adaptive_avg_pool3d(x, -1)  # 0 bins are allowed (an empty result), as in PyTorch
    with pytest.raises(TypeError, match="lp_pool3d: kernel_size must be an int or a tuple of 3 ints"):
        F.lp_pool3d(x, 2, (2, 2))
    out, idx = F.max_pool3d(x, 2, return_indices=True)
    with pytest.raises(ValueError, match=r'max_unpool3d: invalid output_size "\(9, 9, 9\)" \(dim 0 must be between '):
        F.max_unpool3d(out, idx, 2, output_size=(9, 9, 9))
    with pytest.raises(ValueError, match="max_unpool3d: output_size must have 3 or 5 elements"):
        F.max_unpool3d(out, idx, 2, output_size=(4, 4))
    with pytest.raises(RuntimeError, match="max_unpool3d: expected shape of indices"):
        F.max_unpool3d(out, idx[..., :1], 2)
    with pytest.raises(TypeError, match="max_unpool3d: indices must have an integer dtype"):
        F.max_unpool3d(out, idx.double(), 2)
    with pytest.raises(TypeError, match="MaxPool3d: kernel_size must be an int or a tuple of 3 ints"):
        nn.MaxPool3d((2, 2))


def test_sampling_errors():
    x, grid = xp.ones((1, 2, 4, 5)), xp.zeros((1, 3, 3, 2))
    with pytest.raises(ValueError, match="grid_sample: expected mode to be 'bilinear', 'nearest' or 'bicubic', but "
                                         "got: 'linear'"):
        F.grid_sample(x, grid, mode="linear", align_corners=False)
    with pytest.raises(ValueError, match="grid_sample: expected padding_mode to be 'zeros', 'border', or "
                                         "'reflection', but got: 'circular'"):
        F.grid_sample(x, grid, padding_mode="circular", align_corners=False)
    with pytest.raises(RuntimeError, match=r"grid_sample: expected a 4-D or 5-D input, got input of shape \(2, 4, 5\)"):
        F.grid_sample(x[0], grid, align_corners=False)
    with pytest.raises(RuntimeError, match="grid_sample: expected a 4-D grid with the input's batch size 1, got grid "
                                           r"of shape \(2, 3, 3, 2\)"):
        F.grid_sample(x, xp.zeros((2, 3, 3, 2)), align_corners=False)
    with pytest.raises(RuntimeError, match=r"grid_sample: expected grid to have size 2 in last dimension, but got "
                                           r"grid of shape \(1, 3, 3, 3\)"):
        F.grid_sample(x, xp.zeros((1, 3, 3, 3)), align_corners=False)
    with pytest.raises(RuntimeError, match="grid_sample: bicubic interpolation only supports 4-D input"):
        F.grid_sample(xp.ones((1, 2, 3, 4, 5)), xp.zeros((1, 2, 2, 2, 3)), mode="bicubic", align_corners=False)
    with pytest.raises(RuntimeError, match="grid_sample: expected input to have non-empty spatial dimensions"):
        F.grid_sample(xp.ones((1, 2, 0, 5)), grid, align_corners=False)
    with pytest.raises(TypeError, match=r"grid_sample: input \(arraygrad.float64\) and grid \(arraygrad.float32\) "
                                        "must have the same dtype"):
        F.grid_sample(x.double(), grid.float(), align_corners=False)
    with pytest.raises(TypeError, match="grid_sample: input must have a real floating-point dtype"):
        F.grid_sample(xp.ones((1, 2, 4, 5), dtype=xp.int64), grid, align_corners=False)
    theta = xp.zeros((2, 2, 3))
    with pytest.raises(ValueError, match=r"affine_grid: expected a batch of 2D affine matrices of shape Nx2x3 for "
                                         r"size \(2, 3, 4, 5\), got theta of shape \(2, 2, 2\)"):
        F.affine_grid(theta[:, :, :2], (2, 3, 4, 5), align_corners=False)
    with pytest.raises(NotImplementedError, match="affine_grid only supports 4D and 5D sizes"):
        F.affine_grid(theta, (2, 3, 4), align_corners=False)
    with pytest.raises(ValueError, match="affine_grid: expected theta to have a floating point dtype, but got "
                                         "arraygrad.int64"):
        F.affine_grid(xp.zeros((2, 2, 3), dtype=xp.int64), (2, 3, 4, 5), align_corners=False)
    with pytest.raises(ValueError, match=r"affine_grid: expected non-zero, positive output size, got \(2, 3, 0, 5\)"):
        F.affine_grid(theta, (2, 3, 0, 5), align_corners=False)
    with pytest.raises(RuntimeError, match="affine_grid: theta holds 2 matrices, but size asks for a batch of 3"):
        F.affine_grid(theta, (3, 3, 4, 5), align_corners=False)


# ----- no value reads on the op path (a lazy backend's rule) -------------------------------------
def test_3d_pools_and_sampling_read_no_values(monkeypatch):
    from _lazy_probe_backend import ProbeBackend, watching
    from arraygrad._registry import register_backend, unregister_backend

    register_backend("probe", ProbeBackend)
    monkeypatch.setattr(ProbeBackend, "lazy", True, raising=False)
    try:
        def t(*shape, seed=0):
            return xp.asarray(rand(*shape, seed=seed), device="probe", requires_grad=True)

        vol, img, grid, theta = t(1, 2, 4, 5, 4), t(1, 2, 4, 5), t(1, 3, 2, 2, seed=1), t(1, 2, 3, seed=2)
        cases = {
            "max_pool3d": lambda: F.max_pool3d(vol, 2, 1, 1, return_indices=True)[0],
            "avg_pool3d": lambda: F.avg_pool3d(vol, 3, 2, 1, ceil_mode=True, count_include_pad=False),
            "adaptive pools": lambda: F.adaptive_avg_pool3d(vol, (3, 2, 3)) + F.adaptive_max_pool3d(vol, (3, 2, 3)),
            "lp_pool3d + unpool": lambda: (F.lp_pool3d(vol, 2, 2).sum()
                                          + F.max_unpool3d(*F.max_pool3d(vol, 2, return_indices=True), 2,
                                                           output_size=(4, 5, 4)).sum()),
            "grid_sample": lambda: sum(F.grid_sample(img, F.affine_grid(theta, (1, 2, 3, 2), align_corners=False) + g,
                                                     mode, pad, False).sum()
                                       for mode, pad, _ in MODES_2D[::2] for g in (grid,)),
        }
        for name, case in cases.items():
            with watching() as reads:
                out = case().sum()
                grads = xp.autograd.grad(out, [vol, img, grid, theta], allow_unused=True, create_graph=True)
                second = sum(g.sum() for g in grads if g is not None and g.requires_grad)
                if not isinstance(second, int):
                    second.backward()
            assert not reads, f"{name} read array values: {reads}"
    finally:
        unregister_backend("probe")
