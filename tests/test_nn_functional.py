"""nn.functional (src/arraygrad/nn/functional.py) against PyTorch CPU, on both CPU backends:
forward values and gradients for the same float64 inputs; finite-difference checks of the
first and second derivatives (gradcheck / gradgradcheck); argument errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import arraygrad as xp
import arraygrad.nn.functional as F
from arraygrad.autograd import gradcheck, gradgradcheck

TF = torch.nn.functional

# PyTorch's own note on padding="same" with even kernels (a copy is made): not our concern.
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")


def rand(*shape, seed=0, low=-1.0, high=1.0):
    return np.random.default_rng(seed).uniform(low, high, shape)


def ag(a, backend=None, requires_grad=False):
    device = None if backend is None else backend.device
    t = xp.asarray(np.asarray(a), device=device, copy=True)
    return t.requires_grad_() if requires_grad else t


def host(t):
    return np.array(t.detach().to_device("cpu"), copy=True)


def compare(fn, torch_fn, arrays, backend, *, consts=(), ints=(), atol=1e-10, kwargs=None):
    """fn(*tensors) against torch_fn(*torch tensors): values, then the gradient of every
    input in `arrays` under a random output gradient. `consts` (not differentiated) and
    `ints` (integer arrays) are passed after them."""
    kwargs = kwargs or {}
    ours = [ag(a, backend, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    extra_ag = [ag(c, backend) for c in (*consts, *ints)]
    extra_t = [torch.tensor(c) for c in (*consts, *ints)]
    out = fn(*ours, *extra_ag, **kwargs)
    tout = torch_fn(*theirs, *extra_t, **kwargs)
    np.testing.assert_allclose(host(out), tout.detach().numpy(), atol=atol, rtol=1e-9)
    seed = rand(*tout.shape, seed=7) if tout.ndim else np.array(1.3)
    xp.sum(out * ag(seed, backend)).backward()
    (tout * torch.tensor(seed)).sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(host(a.grad), b.grad.numpy(), atol=atol, rtol=1e-8)
    return out


# ----- convolution and pooling ------------------------------------------------------------
CONV_CASES = [
    dict(),
    dict(stride=2),
    dict(padding=1),
    dict(stride=2, padding=1, dilation=2),
    dict(stride=(1, 2), padding=(2, 0)),
    dict(padding="same"),
    dict(padding="same", dilation=(2, 1)),
    dict(padding="valid"),
]


@pytest.mark.parametrize("kwargs", CONV_CASES, ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_matches_torch(backend, kwargs, bias):
    x, w, b = rand(2, 3, 7, 6), rand(4, 3, 3, 2, seed=1), rand(4, seed=2)
    arrays = [x, w, b] if bias else [x, w]
    compare(lambda *t: F.conv2d(*t, **kwargs), lambda *t: TF.conv2d(*t, **kwargs), arrays, backend)


def test_conv2d_even_kernel_same_padding(backend):
    # 'same' with an even kernel pads one more pixel at the end, as PyTorch does
    x, w = rand(1, 2, 5, 5), rand(3, 2, 4, 2, seed=1)
    compare(lambda a, b: F.conv2d(a, b, padding="same"), lambda a, b: TF.conv2d(a, b, padding="same"),
            [x, w], backend)


def test_conv2d_unbatched(backend):
    x, w = rand(3, 5, 5), rand(2, 3, 3, 3, seed=1)
    out = compare(lambda a, b: F.conv2d(a, b, padding=1), lambda a, b: TF.conv2d(a, b, padding=1),
                  [x, w], backend)
    assert out.shape == (2, 5, 5)


@pytest.mark.parametrize("layer", ["conv2d", "max_pool2d", "avg_pool2d"])
@pytest.mark.parametrize("padding", [0, 1])
def test_conv_and_pool_return_pytorchs_layout(backend, layer, padding):
    # C-ordered (N, C, H, W), outputs and input gradients alike, as PyTorch's: code written
    # for PyTorch flattens them with .view (the 60-minute blitz's `x.view(-1, 16 * 5 * 5)`)
    x = ag(rand(2, 3, 8, 8), backend, requires_grad=True)
    fn = {"conv2d": lambda t: F.conv2d(t, ag(rand(4, 3, 3, 3, seed=1), backend), padding=padding),
          "max_pool2d": lambda t: F.max_pool2d(t, 2, padding=padding),
          "avg_pool2d": lambda t: F.avg_pool2d(t, 2, padding=padding)}[layer]
    out = fn(x)
    assert out.is_contiguous() and F.relu(out).is_contiguous()
    flat = F.relu(out).view(2, -1)
    xp.sum(flat * flat).backward()
    assert x.grad.is_contiguous()
    assert x.grad.view(-1).shape == (2 * 3 * 8 * 8,)


POOL_CASES = [
    dict(kernel_size=1),
    dict(kernel_size=2),
    dict(kernel_size=3, stride=1),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3), stride=(1, 2)),
]


@pytest.mark.parametrize("kwargs", POOL_CASES + [dict(kernel_size=2, stride=1, dilation=2)], ids=str)
def test_max_pool2d_matches_torch(backend, kwargs):
    compare(lambda t: F.max_pool2d(t, **kwargs), lambda t: TF.max_pool2d(t, **kwargs),
            [rand(2, 3, 7, 6)], backend)


CEIL_CASES = [(2, 2, 0, 1), (3, 2, 1, 1), (3, 3, 0, 1), (2, 3, 1, 1), (3, 2, 0, 2), (4, 3, 2, 1)]


@pytest.mark.parametrize("k, s, p, d", CEIL_CASES, ids=str)
@pytest.mark.parametrize("shape", [(1, 2, 5, 5), (2, 1, 7, 6)], ids=str)
def test_pools_in_ceil_mode_match_torch(backend, k, s, p, d, shape):
    # a last, partial window where the input does not divide evenly (never one that starts
    # in the padding); the mean's divisor leaves out the part that hangs over the edge
    x = rand(*shape)
    compare(lambda t: F.max_pool2d(t, k, s, p, d, ceil_mode=True),
            lambda t: TF.max_pool2d(t, k, s, p, d, ceil_mode=True), [x], backend)
    if d == 1:
        for cip in (True, False):
            compare(lambda t: F.avg_pool2d(t, k, s, p, True, cip), lambda t: TF.avg_pool2d(t, k, s, p, True, cip),
                    [x], backend)
        compare(lambda t: F.avg_pool2d(t, k, s, p, True, divisor_override=3),
                lambda t: TF.avg_pool2d(t, k, s, p, True, divisor_override=3), [x], backend)


def test_pool_options_errors():
    x = xp.ones((1, 1, 4, 4))
    with pytest.raises(ValueError, match="divisor_override"):
        F.avg_pool2d(x, 2, divisor_override=0)
    assert gradgradcheck(lambda t: F.avg_pool2d(t, 3, 2, 1, ceil_mode=True, divisor_override=2),
                         (ag(rand(1, 1, 5, 5), requires_grad=True),))


def test_dropout_in_place():
    x = ag(rand(50, 40))
    xp.manual_seed(3)
    want = F.dropout(x, 0.3)
    xp.manual_seed(3)
    out = F.dropout(x, 0.3, inplace=True)
    assert out is x
    np.testing.assert_array_equal(host(x), host(want))
    layer = xp.nn.Dropout(0.5, inplace=True).eval()
    assert layer(x) is x


def test_max_pool2d_ties_go_to_the_first_maximum(backend):
    # ReLU outputs are full of equal zeros; PyTorch gives each window's gradient to one element
    x = np.maximum(rand(2, 2, 6, 6), 0)
    x[0, 0, :2, :2] = 0.5
    compare(lambda t: F.max_pool2d(t, 2), lambda t: TF.max_pool2d(t, 2), [x], backend)
    compare(lambda t: F.max_pool2d(t, 3, 1, 1), lambda t: TF.max_pool2d(t, 3, 1, 1), [x], backend)


def test_max_pool2d_all_negative_with_padding(backend):
    # the padding is -inf, never the maximum
    compare(lambda t: F.max_pool2d(t, 3, 2, 1), lambda t: TF.max_pool2d(t, 3, 2, 1),
            [rand(1, 2, 5, 5, low=-3, high=-1)], backend)


@pytest.mark.parametrize("kwargs", POOL_CASES, ids=str)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_matches_torch(backend, kwargs, count_include_pad):
    compare(lambda t: F.avg_pool2d(t, count_include_pad=count_include_pad, **kwargs),
            lambda t: TF.avg_pool2d(t, count_include_pad=count_include_pad, **kwargs),
            [rand(2, 3, 7, 6)], backend)


def test_pooling_unbatched(backend):
    out = compare(lambda t: F.max_pool2d(t, 2), lambda t: TF.max_pool2d(t, 2), [rand(3, 4, 4)], backend)
    assert out.shape == (3, 2, 2)


# ----- linear, activations, softmax --------------------------------------------------------
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4), (4,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(backend, shape, bias):
    arrays = [rand(*shape), rand(3, 4, seed=1)] + ([rand(3, seed=2)] if bias else [])
    compare(F.linear, TF.linear, arrays, backend)


@pytest.mark.parametrize("name", ["relu", "tanh", "sigmoid"])
def test_activations_match_torch(backend, name):
    x = rand(4, 5, low=-3, high=3)
    x[0, :3] = [0.0, 800.0, -800.0]  # relu at 0; sigmoid far out must not overflow
    compare(getattr(F, name), getattr(torch, name), [x], backend)


MORE_ACTIVATIONS = [
    ("leaky_relu", {}), ("leaky_relu", dict(negative_slope=0.2)), ("elu", {}), ("elu", dict(alpha=0.5)),
    ("silu", {}), ("softplus", {}), ("softplus", dict(beta=2.0, threshold=5.0)), ("logsigmoid", {}),
    ("hardtanh", {}), ("hardtanh", dict(min_val=-0.5, max_val=3.0)), ("relu6", {}),
]


@pytest.mark.parametrize("name, kwargs", MORE_ACTIVATIONS, ids=str)
def test_more_activations_match_torch(backend, name, kwargs):
    # the kinks (0, the clip bounds, softplus's threshold) and far-out values, where the
    # naive formulas overflow or split a tie's gradient
    x = np.array([[-800.0, -50.0, -3.0, -1.0, -0.5, 0.0], [0.5, 1.0, 2.5, 3.0, 6.0, 800.0]])
    compare(lambda t: getattr(F, name)(t, **kwargs), lambda t: getattr(TF, name)(t, **kwargs), [x], backend)


@pytest.mark.parametrize("name, kwargs", MORE_ACTIVATIONS, ids=str)
def test_more_activations_differentiate_twice(name, kwargs):
    x = ag(rand(3, 4, low=-2.5, high=2.5), requires_grad=True)
    assert gradcheck(lambda t: getattr(F, name)(t, **kwargs), (x,))
    assert gradgradcheck(lambda t: getattr(F, name)(t, **kwargs), (x,))


@pytest.mark.parametrize("name", ["leaky_relu", "elu", "silu", "hardtanh", "relu6"])
def test_in_place_activations(name):
    x = rand(2, 3, low=-2, high=2)
    t = ag(x)
    out = getattr(F, name)(t, inplace=True)
    assert out is t
    np.testing.assert_allclose(host(t), getattr(TF, name)(torch.tensor(x)).numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        getattr(F, name)(ag(x, requires_grad=True), inplace=True)


@pytest.mark.parametrize("name", ["tanh", "sigmoid"])
def test_complex_activations_match_torch(backend, name):
    """Complex inputs: 1 / (1 + exp(-z)), not the real-only overflow-safe branches (which
    gave a real result), and PyTorch's conjugate-Wirtinger gradient."""
    z = rand(3, 4, low=-3, high=3) + 1j * rand(3, 4, low=-3, high=3, seed=5)
    x, t = ag(z, backend, requires_grad=True), torch.tensor(z, requires_grad=True)
    y, ty = getattr(F, name)(x), getattr(torch, name)(t)
    np.testing.assert_allclose(host(y), ty.detach().numpy(), rtol=1e-12)
    xp.sum(xp.abs(y)).backward()
    torch.abs(ty).sum().backward()
    np.testing.assert_allclose(host(x.grad), t.grad.numpy(), rtol=1e-10)


def test_relu_inplace(backend):
    x = ag(rand(3, 4), backend)
    out = F.relu(x, inplace=True)
    assert out is x and float(xp.min(x)) >= 0


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_matches_torch(backend, name, dim):
    x = rand(3, 4, 5, low=-5, high=5)
    compare(lambda t: getattr(F, name)(t, dim), lambda t: getattr(TF, name)(t, dim), [x], backend)


@pytest.mark.parametrize("shape", [(4,), (2, 3), (2, 3, 4), (2, 3, 4, 5)], ids=str)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_without_dim_takes_pytorchs_implicit_dim(name, shape):
    # deprecated in PyTorch but common in older tutorials: F.softmax(x) warns and picks dim 0
    # for 0-, 1- and 3-d input, else 1
    x = rand(*shape)
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        ours = getattr(F, name)(ag(x))
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        theirs = getattr(TF, name)(torch.tensor(x))
    np.testing.assert_allclose(host(ours), theirs.numpy(), rtol=1e-12)


def test_softmax_dtype_casts_first():
    x = xp.asarray([[1.0, 2.0, 3.0]], dtype=xp.float32)
    out = F.softmax(x, 1, dtype=xp.float64)
    assert out.dtype == xp.float64
    np.testing.assert_allclose(host(out), TF.softmax(torch.tensor([[1.0, 2.0, 3.0]]), 1, dtype=torch.float64).numpy())
    assert xp.softmax(x, 1).grad_fn is None and x.softmax(1).dtype == xp.float32


def test_log_softmax_is_stable():
    x = xp.asarray([[1000.0, 0.0, -1000.0]])
    out = F.log_softmax(x, 1)
    np.testing.assert_allclose(host(out), [[0.0, -1000.0, -2000.0]])
    np.testing.assert_allclose(host(F.softmax(x, 1)), [[1.0, 0.0, 0.0]])


# ----- losses ------------------------------------------------------------------------------
CE_CASES = [
    dict(),
    dict(reduction="sum"),
    dict(reduction="none"),
    dict(label_smoothing=0.2),
    dict(ignore_index=1),
    dict(ignore_index=1, reduction="none"),
    dict(label_smoothing=0.1, ignore_index=2, reduction="sum"),
]


@pytest.mark.parametrize("kwargs", CE_CASES, ids=str)
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_matches_torch(backend, kwargs, weighted):
    logits, target = rand(6, 4, low=-3, high=3), np.array([0, 1, 3, 2, 1, 0])
    weight = [rand(4, seed=3, low=0.2, high=2)] if weighted else []

    def ours(x, *rest):
        return F.cross_entropy(x, rest[-1], rest[0] if weighted else None, **kwargs)

    def theirs(x, *rest):
        return TF.cross_entropy(x, rest[-1], rest[0] if weighted else None, **kwargs)

    compare(ours, theirs, [logits], backend, consts=weight, ints=[target])


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("weighted", [False, True])
def test_loss_with_every_target_ignored_like_torch(backend, name, reduction, weighted):
    # a padded batch with nothing left: the mean is 0/0 (NaN) but the gradient is 0, not NaN
    # (a NaN there would poison the parameters at the next step)
    logits, target = rand(3, 4), np.array([-100, -100, -100])
    weight = [rand(4, seed=3, low=0.2, high=2)] if weighted else []
    kwargs = dict(reduction=reduction)
    ours = [ag(logits, backend, requires_grad=True)]
    theirs = [torch.tensor(logits, requires_grad=True)]
    extra = dict(weight=ag(weight[0], backend)) if weighted else {}
    textra = dict(weight=torch.tensor(weight[0])) if weighted else {}
    with np.errstate(invalid="ignore"):  # NumPy says 0/0 out loud; PyTorch does not
        out = getattr(F, name)(ours[0], ag(target, backend), **extra, **kwargs)
    tout = getattr(TF, name)(theirs[0], torch.tensor(target), **textra, **kwargs)
    np.testing.assert_array_equal(host(out), tout.detach().numpy())  # NaN (mean) or 0 (sum)
    out.backward()
    tout.backward()
    np.testing.assert_array_equal(host(ours[0].grad), theirs[0].grad.numpy())
    assert not np.isnan(host(ours[0].grad)).any()


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_cross_entropy_spatial_targets(backend, reduction):
    # (N, C, d1, d2) logits with (N, d1, d2) targets
    target = np.random.default_rng(0).integers(0, 3, (2, 4, 5))
    compare(lambda x, t: F.cross_entropy(x, t, reduction=reduction),
            lambda x, t: TF.cross_entropy(x, t, reduction=reduction),
            [rand(2, 3, 4, 5)], backend, ints=[target])


@pytest.mark.parametrize("kwargs", [dict(), dict(label_smoothing=0.3), dict(reduction="sum"),
                                    dict(reduction="none")], ids=str)
def test_cross_entropy_probability_targets(backend, kwargs):
    probs = np.random.default_rng(1).dirichlet(np.ones(4), 5)
    compare(lambda x, p: F.cross_entropy(x, p, **kwargs), lambda x, p: TF.cross_entropy(x, p, **kwargs),
            [rand(5, 4), probs], backend)


def test_cross_entropy_unbatched(backend):
    out = compare(lambda x, t: F.cross_entropy(x, t), lambda x, t: TF.cross_entropy(x, t),
                  [rand(5)], backend, ints=[np.array(3)])
    assert out.shape == ()


@pytest.mark.parametrize("rows,classes", [(1, 1), (7, 10), (130, 33), (3, 1000)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_plain_targets_at_many_shapes(backend, rows, classes, reduction):
    # the plain path (no weight, nothing ignored, no smoothing), which a backend may fuse
    # (CuPy: one warp per row, so class counts below, at and above a warp's 32 lanes, and
    # row counts that fill no whole block)
    logits = rand(rows, classes, low=-30, high=30)
    target = np.random.default_rng(2).integers(0, classes, rows)
    compare(lambda x, t: F.cross_entropy(x, t, reduction=reduction),
            lambda x, t: TF.cross_entropy(x, t, reduction=reduction), [logits], backend, ints=[target])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cross_entropy_plain_targets_strided_logits_and_nan_rows(backend, dtype):
    base = rand(12, 5, seed=4, low=-5, high=5)
    base[3, 1] = np.nan  # a NaN logit: its row's loss and gradient are NaN, the others not
    target = np.array([0, 1, 2, 3, 4])
    x = ag(base, backend).astype(getattr(xp, dtype)).requires_grad_()
    loss = F.cross_entropy(x.mT, ag(target, backend), reduction="none")  # (5, 12), strided
    tx = torch.tensor(base, dtype=getattr(torch, dtype), requires_grad=True)
    tloss = TF.cross_entropy(tx.mT, torch.tensor(target), reduction="none")
    rtol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(host(loss), tloss.detach().numpy(), rtol=rtol, atol=rtol)
    loss.sum().backward()
    tloss.sum().backward()
    np.testing.assert_allclose(host(x.grad), tx.grad.numpy(), rtol=rtol, atol=rtol)
    assert host(x).dtype == np.dtype(dtype) and host(x.grad).dtype == np.dtype(dtype)


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_cross_entropy_plain_targets_float16(backend, reduction):
    # float16 logits take the unfused path where a backend fuses float32/float64 only
    if backend.name == "strict":
        pytest.skip("the strict backend has no float16")
    logits, target = rand(9, 5, seed=6, low=-4, high=4), np.array([0, 4, 1, 2, 3, 3, 0, 1, 4])
    x = ag(logits, backend).astype(xp.float16).requires_grad_()
    loss = F.cross_entropy(x, ag(target, backend), reduction=reduction)
    tx = torch.tensor(logits.astype(np.float16).astype(np.float32), requires_grad=True)
    tloss = TF.cross_entropy(tx, torch.tensor(target), reduction=reduction)
    assert loss.dtype == xp.float16
    np.testing.assert_allclose(host(loss).astype(np.float32), tloss.detach().numpy(), rtol=5e-3, atol=5e-3)
    loss.sum().backward()
    tloss.sum().backward()
    assert x.grad.dtype == xp.float16
    np.testing.assert_allclose(host(x.grad).astype(np.float32), tx.grad.numpy(), rtol=5e-3, atol=5e-3)


def test_cross_entropy_is_stable_for_huge_logits():
    x = xp.asarray([[1e4, 0.0, -1e4]], requires_grad=True)
    loss = F.cross_entropy(x, xp.asarray([1]))
    loss.backward()
    assert float(loss) == pytest.approx(1e4)
    np.testing.assert_allclose(host(x.grad), [[1.0, -1.0, 0.0]])


def test_cross_entropy_plain_path_leaves_its_inputs_and_saved_probabilities_intact(backend):
    # a backend may compute the plain path in place (NumPy's does, in its own temporaries)
    logits = rand(6, 4, seed=8)
    x = ag(logits, backend).requires_grad_()
    loss = F.cross_entropy(x, ag(np.array([0, 1, 2, 3, 0, 1]), backend))
    np.testing.assert_array_equal(host(x), logits)
    loss.backward(retain_graph=True)
    first = host(x.grad).copy()
    loss.backward()
    np.testing.assert_allclose(host(x.grad), 2 * first)


def test_cross_entropy_gradient_is_one_fused_node():
    x = xp.asarray(rand(4, 3), requires_grad=True)
    loss = F.cross_entropy(x, xp.asarray([0, 1, 2, 0]))
    assert loss.grad_fn.next_functions[0][0].variable is x  # straight to the logits


@pytest.mark.parametrize("kwargs", [dict(), dict(reduction="sum"), dict(reduction="none"),
                                    dict(ignore_index=0)], ids=str)
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss_matches_torch(backend, kwargs, weighted):
    logp = np.log(np.random.default_rng(2).dirichlet(np.ones(4), 6))
    weight = [rand(4, seed=3, low=0.2, high=2)] if weighted else []
    target = np.array([0, 1, 3, 2, 1, 0])
    compare(lambda x, *r: F.nll_loss(x, r[-1], r[0] if weighted else None, **kwargs),
            lambda x, *r: TF.nll_loss(x, r[-1], r[0] if weighted else None, **kwargs),
            [logp], backend, consts=weight, ints=[target])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_matches_torch(backend, reduction):
    compare(lambda a, b: F.mse_loss(a, b, reduction=reduction),
            lambda a, b: TF.mse_loss(a, b, reduction=reduction), [rand(3, 4), rand(3, 4, seed=1)], backend)


@pytest.mark.parametrize("size_average", [None, True, False])
@pytest.mark.parametrize("reduce", [None, True, False])
def test_legacy_size_average_and_reduce_like_torch(size_average, reduce):
    # pre-1.0 flags that older tutorials pass (nn.MSELoss(size_average=False)), in PyTorch's
    # positional places; either one given turns into `reduction`, with PyTorch's warning
    x, t, y = rand(4, 3), rand(4, 3, seed=1), np.array([0, 2, 1, 2])
    legacy = size_average is not None or reduce is not None
    cases = [
        (lambda m: m.MSELoss(size_average, reduce), (x, t)),
        (lambda m: m.CrossEntropyLoss(None, size_average, -100, reduce), (x, y)),
        (lambda m: m.NLLLoss(None, size_average, -100, reduce), (x, y)),
    ]
    for make, (a, b) in cases:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ours = make(xp.nn)(ag(a), ag(b))
        assert any("reduction=" in str(w.message) for w in caught) == legacy
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = make(torch.nn)(torch.tensor(a), torch.tensor(b))
        np.testing.assert_allclose(host(ours), theirs.numpy(), rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = F.cross_entropy(ag(x), ag(y), None, size_average, reduce=reduce)
        want = TF.cross_entropy(torch.tensor(x), torch.tensor(y), None, size_average, reduce=reduce)
        np.testing.assert_allclose(host(out), want.numpy(), rtol=1e-12)
        np.testing.assert_allclose(host(F.mse_loss(ag(x), ag(t), size_average, reduce)),
                                   TF.mse_loss(torch.tensor(x), torch.tensor(t), size_average, reduce).numpy())


POINTWISE_LOSSES = [
    ("l1_loss", {}), ("smooth_l1_loss", {}), ("smooth_l1_loss", dict(beta=0.4)),
    ("smooth_l1_loss", dict(beta=0.0)), ("huber_loss", {}), ("huber_loss", dict(delta=0.3)),
    ("binary_cross_entropy_with_logits", {}),
]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name, kwargs", POINTWISE_LOSSES, ids=str)
def test_pointwise_losses_match_torch(backend, name, kwargs, reduction):
    x, t = rand(4, 3, low=-3, high=3), rand(4, 3, seed=1)
    x[0, 0] = t[0, 0]  # |d| = 0: the kinks' gradients, as PyTorch's
    if name == "binary_cross_entropy_with_logits":
        t = (t > 0).astype(float)
        x[1] = [-40.0, 0.0, 40.0]  # saturated logits stay finite
    compare(lambda a, b: getattr(F, name)(a, b, reduction=reduction, **kwargs),
            lambda a, b: getattr(TF, name)(a, b, reduction=reduction, **kwargs), [x, t], backend)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy_matches_torch_at_0_and_1(backend, reduction, weighted):
    # probabilities of exactly 0 and 1: clamped logs (loss 100, not inf) and PyTorch's
    # finite input gradient; the target's gradient is infinite there in both
    p, t = rand(3, 4, low=0.05, high=0.95), (rand(3, 4, seed=1) > 0).astype(float)
    p[0, :2], t[0, :2] = [0.0, 1.0], [0.0, 1.0]  # right and certain
    p[1, :2], t[1, :2] = [0.0, 1.0], [1.0, 0.0]  # wrong and certain: 100 each
    weight = [rand(3, 4, seed=2, low=0.5, high=2)] if weighted else []
    compare(lambda a, b, *w: F.binary_cross_entropy(a, b, *w, reduction=reduction),
            lambda a, b, *w: TF.binary_cross_entropy(a, b, *w, reduction=reduction),
            [p, t], backend, consts=weight)


def test_binary_cross_entropy_with_logits_weights_match_torch(backend):
    x, t = rand(5, 3, low=-4, high=4), (rand(5, 3, seed=1) > 0).astype(float)
    w, pw = rand(5, 3, seed=2, low=0.5, high=2), rand(3, seed=3, low=0.5, high=3)
    compare(lambda a, b, w_, pw_: F.binary_cross_entropy_with_logits(a, b, w_, pos_weight=pw_),
            lambda a, b, w_, pw_: TF.binary_cross_entropy_with_logits(a, b, w_, pos_weight=pw_),
            [x, t], backend, consts=[w, pw])


@pytest.mark.parametrize("name", ["l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
                                  "binary_cross_entropy_with_logits"])
def test_gradgradcheck_of_the_pointwise_losses(name):
    lo = 0.1 if name == "binary_cross_entropy" else -2.0
    x = ag(rand(3, 2, low=lo, high=0.9 if lo > 0 else 2.0), requires_grad=True)
    t = ag((rand(3, 2, seed=1) > 0).astype(float))
    assert gradcheck(lambda a: getattr(F, name)(a, t), (x,))
    assert gradgradcheck(lambda a: getattr(F, name)(a, t), (x,))


def test_pointwise_loss_argument_errors():
    p, t = xp.asarray([0.5, 1.5]), xp.asarray([0.0, 1.0])
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(p, t)
    with pytest.raises(ValueError, match="must be the same as input size"):
        F.binary_cross_entropy(xp.asarray([0.5, 0.5]), xp.asarray([[0.0, 1.0]]))
    with pytest.raises(ValueError, match="must be the same as input size"):
        F.binary_cross_entropy_with_logits(xp.asarray([0.5, 0.5]), xp.asarray([1.0]))
    with pytest.raises(ValueError, match="beta must be non-negative"):
        F.smooth_l1_loss(t, t, beta=-1.0)
    with pytest.raises(ValueError, match="delta must be positive"):
        F.huber_loss(t, t, delta=0.0)
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.l1_loss(t, t, reduction="avg")
    with pytest.raises(TypeError, match=r"floating-point \(real or complex\) dtype, got arraygrad.int64"):
        F.l1_loss(xp.asarray([1, 2]), xp.asarray([1, 2]))  # complex is PyTorch's too
    with pytest.warns(UserWarning, match="broadcast"):
        F.l1_loss(xp.asarray([0.5, 0.5]), xp.asarray([1.0]))


@pytest.mark.parametrize("padding_idx", [None, 1, -1])
def test_embedding_matches_torch(backend, padding_idx):
    # rows picked by indices of any shape; the padding row gets no gradient
    idx = np.array([[1, 2, 0], [9, 1, 1]])
    compare(lambda w, i: F.embedding(i, w, padding_idx=padding_idx),
            lambda w, i: TF.embedding(i, w, padding_idx=padding_idx), [rand(10, 4)], backend, ints=[idx])


@pytest.mark.parametrize("normalized_shape", [(4,), (3, 4), 4], ids=str)
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_matches_torch(backend, normalized_shape, affine):
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
    arrays = [rand(2, 3, 4)] + ([rand(*shape, seed=1), rand(*shape, seed=2)] if affine else [])
    compare(lambda x, *wb: F.layer_norm(x, normalized_shape, *wb), lambda x, *wb: TF.layer_norm(x, shape, *wb),
            arrays, backend)


@pytest.mark.parametrize("which", ["weight", "bias"])
def test_layer_norm_weight_or_bias_alone_matches_torch(backend, which):
    arrays = [rand(2, 3, 4), rand(4, seed=1)]
    kw = (lambda a: {which: a})
    compare(lambda x, a: F.layer_norm(x, (4,), **kw(a)), lambda x, a: TF.layer_norm(x, (4,), **kw(a)),
            arrays, backend)


@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_second_order_matches_torch(affine):
    # the fused op's backward recomputes its statistics from x when recording: the gradient
    # of the gradient (x, weight and bias all in it) is torch's
    arrays = [rand(3, 5), rand(5, seed=1), rand(5, seed=2)] if affine else [rand(3, 5)]
    ours = [ag(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    seed = rand(3, 5, seed=7)
    out = F.layer_norm(ours[0], (5,), *ours[1:])
    tout = TF.layer_norm(theirs[0], (5,), *theirs[1:])
    assert type(out.grad_fn).__name__ == type(tout.grad_fn).__name__ == "NativeLayerNormBackward0"
    gs = xp.autograd.grad(xp.sum(out * ag(seed)), ours, create_graph=True)
    tgs = torch.autograd.grad((tout * torch.tensor(seed)).sum(), theirs, create_graph=True)
    xp.sum(sum(xp.sum(g * g) for g in gs)).backward()
    sum((g * g).sum() for g in tgs).backward()
    for a, b in zip(ours, theirs):  # bias's gradient is a constant: no second-order one
        assert (a.grad is None) == (b.grad is None)
        if b.grad is not None:
            np.testing.assert_allclose(host(a.grad), b.grad.numpy(), atol=1e-10, rtol=1e-8)
    assert gradgradcheck(lambda *t: F.layer_norm(t[0], (5,), *t[1:]), tuple(ours))


@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_output_written_in_place_keeps_gradient(affine):
    # the saved normalized input is not the output: an in-place write to the output
    # (which backward does not read) leaves the gradient alone
    wb = [ag(rand(4, seed=1), requires_grad=True), ag(rand(4, seed=2), requires_grad=True)] if affine else []
    x = ag(rand(2, 4), requires_grad=True)
    out = F.layer_norm(x, (4,), *wb)
    xp.sum(out * ag(rand(2, 4, seed=3))).backward()
    expected = host(x.grad)
    x.grad = None
    out = F.layer_norm(x, (4,), *wb)
    loss = xp.sum(out * ag(rand(2, 4, seed=3)))
    with xp.no_grad():
        out.mul_(0.0)
    loss.backward()
    np.testing.assert_allclose(host(x.grad), expected, atol=1e-12)


def test_linear_bias_added_in_place_leaves_bias_alone():
    # the product is fresh, the bias is added into it: the bias itself and its gradient stay
    x, w, b = ag(rand(3, 2, 4), requires_grad=True), ag(rand(5, 4, seed=1), requires_grad=True), \
        ag(rand(5, seed=2), requires_grad=True)
    before = host(b)
    out = F.linear(x, w, b)
    np.testing.assert_allclose(host(out), rand(3, 2, 4) @ rand(5, 4, seed=1).T + before, atol=1e-12)
    np.testing.assert_array_equal(host(b), before)
    xp.sum(out).backward()
    np.testing.assert_allclose(host(b.grad), np.full(5, 6.0))


def test_one_hot_like_torch():
    for idx, n in (([0, 2, 1], -1), ([[1], [0]], 3), ([], 4)):
        ours = F.one_hot(xp.asarray(np.array(idx, dtype=np.int64)), n)
        theirs = TF.one_hot(torch.tensor(np.array(idx, dtype=np.int64)), n)
        assert ours.dtype == xp.int64 and tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_array_equal(host(ours), theirs.numpy())


def test_embedding_layer_norm_one_hot_errors():
    w = xp.ones((5, 2))
    with pytest.raises(IndexError, match="index out of range"):
        F.embedding(xp.asarray([5]), w)
    with pytest.raises(IndexError, match="index out of range"):
        F.embedding(xp.asarray([-1]), w)
    with pytest.raises(TypeError, match="integer indices"):
        F.embedding(xp.asarray([1.0]), w)
    with pytest.raises(ValueError, match="last axes"):
        F.layer_norm(xp.ones((2, 3)), (2,))
    with pytest.raises(RuntimeError, match=r"in \[0, 3\)"):
        F.one_hot(xp.asarray([3]), 3)
    with pytest.raises(TypeError, match="integer dtype"):
        F.one_hot(xp.asarray([1.0]))


@pytest.mark.parametrize("output_size", [1, (3, 2), (2, None), (7, 5), (4, 3), 5], ids=str)
@pytest.mark.parametrize("shape", [(2, 3, 7, 5), (3, 6, 4)], ids=str)
def test_adaptive_avg_pool2d_matches_torch(backend, shape, output_size):
    # equal bins (a reshape) and unequal, overlapping ones (averaging matrices)
    compare(lambda t: F.adaptive_avg_pool2d(t, output_size), lambda t: TF.adaptive_avg_pool2d(t, output_size),
            [rand(*shape)], backend)


PAD_CASES = [("constant", (1, 2)), ("constant", (2, 1, 1, 3)), ("constant", (-1, 2, 1, -2)), ("reflect", (1, 2)),
             ("reflect", (2, 1, 1, 3)), ("replicate", (0, 1, 2, 0)), ("replicate", (2, 1)), ("circular", (1, 2)),
             ("circular", (2, 1, 1, 3))]


@pytest.mark.parametrize("mode, amounts", PAD_CASES, ids=str)
def test_pad_matches_torch(backend, mode, amounts):
    x = rand(2, 3, 5, 4) if len(amounts) == 4 else rand(2, 3, 5)  # ranks PyTorch takes for each mode
    compare(lambda t: F.pad(t, amounts, mode), lambda t: TF.pad(t, amounts, mode), [x], backend)
    if mode == "constant":
        compare(lambda t: F.pad(t, amounts, value=2.5), lambda t: TF.pad(t, amounts, value=2.5), [x], backend)


def test_normalize_and_cosine_similarity_match_torch(backend):
    x, y = rand(4, 5), rand(4, 5, seed=1)
    x[1], y[2] = 0.0, 0.0  # zero rows: the eps floors, finite gradients
    for p, dim in ((2.0, 1), (1.0, 0), (3.0, -1)):
        compare(lambda t: F.normalize(t, p, dim), lambda t: TF.normalize(t, p, dim), [x], backend)
    for dim in (1, 0):
        compare(lambda a, b: F.cosine_similarity(a, b, dim), lambda a, b: TF.cosine_similarity(a, b, dim),
                [x, y], backend)


def test_pad_dropout2d_and_pooling_errors():
    x = xp.ones((1, 2, 3, 3))
    with pytest.raises(ValueError, match="even"):
        F.pad(x, (1,))
    with pytest.raises(ValueError, match="less than the corresponding input dimension"):
        F.pad(x[0], (3, 0), "reflect")  # 3-D: the size fits the rank, the amount does not
    with pytest.raises(NotImplementedError, match="Padding size 2 is not supported for 4D"):
        F.pad(x, (3, 0), "reflect")  # torch's check of the rank first
    with pytest.raises(NotImplementedError, match="mode"):
        F.pad(x, (1, 1), "symmetric")
    with pytest.raises(ValueError, match="output_size"):
        F.adaptive_avg_pool2d(x, -1)  # 0 bins are allowed (an empty result), as in PyTorch
    xp.manual_seed(0)
    kept = F.dropout2d(xp.ones((4, 16, 3, 3)), 0.5)
    per_channel = host(kept).reshape(4, 16, 9)
    assert set(np.unique(per_channel)) <= {0.0, 2.0} and (per_channel.min(axis=2) == per_channel.max(axis=2)).all()
    assert F.dropout2d(x, 0.5, training=False) is x


def test_mse_loss_warns_on_broadcasting():
    with pytest.warns(UserWarning, match="broadcast"):
        F.mse_loss(xp.ones((3, 1)), xp.ones((3,)))


# ----- dropout, batch norm -----------------------------------------------------------------
def test_dropout_masks_and_scales():
    xp.manual_seed(0)
    x = xp.ones((200, 50), requires_grad=True)
    out = F.dropout(x, 0.3)
    np.testing.assert_allclose(np.unique(host(out)), [0.0, 1 / 0.7], rtol=1e-6)
    assert abs(float(xp.mean(xp.astype(out == 0, xp.float64))) - 0.3) < 0.02
    xp.sum(out).backward()
    np.testing.assert_allclose(host(x.grad), host(out))  # d out / d x is the scaled mask


def test_dropout_identity_cases():
    x = xp.ones((4, 4))
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert float(xp.sum(F.dropout(x, 1.0))) == 0.0
    with pytest.raises(ValueError, match="p must be in"):
        F.dropout(x, 1.5)


def test_dropout_follows_manual_seed():
    xp.manual_seed(3)
    a = host(F.dropout(xp.ones((10, 10)), 0.5))
    xp.manual_seed(3)
    np.testing.assert_array_equal(a, host(F.dropout(xp.ones((10, 10)), 0.5)))


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 4)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training_matches_torch(backend, shape, affine):
    arrays = [rand(*shape)] + ([rand(3, seed=1, low=0.5, high=1.5), rand(3, seed=2)] if affine else [])
    rm, rv = ag(np.zeros(3), backend), ag(np.ones(3), backend)
    trm, trv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)

    def ours(x, *wb):
        return F.batch_norm(x, rm, rv, *wb, training=True, momentum=0.3, eps=1e-4)

    def theirs(x, *wb):
        return TF.batch_norm(x, trm, trv, *wb, training=True, momentum=0.3, eps=1e-4)

    compare(ours, theirs, arrays, backend, atol=1e-9)
    np.testing.assert_allclose(host(rm), trm.numpy(), atol=1e-12)
    np.testing.assert_allclose(host(rv), trv.numpy(), atol=1e-12)


@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training_differentiates_twice(affine):
    """The fused backward (per-channel sums, then one pass) differentiates again: the
    second-order terms through the batch statistics."""
    arrays = [rand(3, 2, 4, 2)] + ([rand(2, seed=1, low=0.5, high=1.5), rand(2, seed=2)] if affine else [])
    inputs = tuple(ag(a, requires_grad=True) for a in arrays)

    def fn(x, *wb):
        return F.batch_norm(x, None, None, *wb, training=True, eps=1e-3)

    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_batch_norm_eval_uses_running_stats(backend):
    rm, rv = rand(3, seed=4), rand(3, seed=5, low=0.5, high=2)
    arrays = [rand(4, 3, 2), rand(3, seed=1), rand(3, seed=2)]
    compare(lambda x, w, b: F.batch_norm(x, ag(rm, backend), ag(rv, backend), w, b),
            lambda x, w, b: TF.batch_norm(x, torch.tensor(rm), torch.tensor(rv), w, b),
            arrays, backend)


# ----- finite differences (float64, NumPy backend) ----------------------------------------
def _inputs(*arrays):
    return tuple(xp.asarray(a, requires_grad=True) for a in arrays)


GRADCHECKS = {
    "conv2d": (lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, dilation=(1, 2)),
               (rand(2, 2, 5, 6), rand(3, 2, 2, 2, seed=1), rand(3, seed=2))),
    "max_pool2d": (lambda x: F.max_pool2d(x, 3, 2, 1), (rand(2, 2, 5, 5),)),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False), (rand(2, 2, 5, 5),)),
    "linear": (F.linear, (rand(2, 3, 4), rand(5, 4, seed=1), rand(5, seed=2))),
    "sigmoid": (F.sigmoid, (rand(3, 4, low=-4, high=4),)),
    "relu": (F.relu, (rand(3, 4) + np.sign(rand(3, 4, seed=9)) * 0.1,)),
    "softmax": (lambda x: F.softmax(x, 1), (rand(3, 4),)),
    "log_softmax": (lambda x: F.log_softmax(x, 0), (rand(3, 4),)),
    "cross_entropy": (lambda x: F.cross_entropy(x, xp.asarray([0, 2, 1, 2]), xp.asarray([0.5, 1.0, 1.5], dtype=xp.float64),
                                                label_smoothing=0.2, ignore_index=1),
                      (rand(4, 3),)),
    "cross_entropy none": (lambda x: F.cross_entropy(x, xp.asarray([0, 2, 1]), reduction="none"), (rand(3, 3),)),
    "nll_loss": (lambda x: F.nll_loss(x, xp.asarray([0, 2, 1]), reduction="sum"), (rand(3, 3),)),
    "mse_loss": (F.mse_loss, (rand(3, 2), rand(3, 2, seed=1))),
    "batch_norm": (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                   (rand(4, 3, 2), rand(3, seed=1), rand(3, seed=2))),
}


@pytest.mark.parametrize("name", sorted(GRADCHECKS))
def test_gradcheck(name):
    fn, arrays = GRADCHECKS[name]
    assert gradcheck(fn, _inputs(*arrays))


@pytest.mark.parametrize("name", ["conv2d", "max_pool2d", "avg_pool2d", "linear", "sigmoid",
                                  "log_softmax", "softmax", "cross_entropy", "batch_norm"])
def test_gradgradcheck(name):
    fn, arrays = GRADCHECKS[name]
    assert gradgradcheck(fn, _inputs(*arrays))


# ----- errors ------------------------------------------------------------------------------
def test_conv2d_argument_errors():
    x, w = xp.ones((1, 3, 5, 5)), xp.ones((2, 3, 3, 3))
    with pytest.raises(ValueError, match="expects 3 input channels"):
        F.conv2d(xp.ones((1, 2, 5, 5)), w)
    with pytest.raises(ValueError, match="4-D"):
        F.conv2d(x, xp.ones((2, 3, 3)))
    with pytest.raises(ValueError, match="3-D .* or 4-D"):
        F.conv2d(xp.ones((5, 5)), w)
    with pytest.raises(TypeError, match="same dtype"):
        F.conv2d(x, xp.ones((2, 3, 3, 3), dtype=xp.float64))
    with pytest.raises(TypeError, match="floating-point"):
        F.conv2d(xp.ones((1, 3, 5, 5), dtype=xp.int64), w)
    with pytest.raises(ValueError, match="smaller than the dilated kernel"):
        F.conv2d(xp.ones((1, 3, 2, 2)), w)
    with pytest.raises(ValueError, match="stride must be at least 1"):
        F.conv2d(x, w, stride=0)
    with pytest.raises(TypeError, match="stride must be an int or a pair"):
        F.conv2d(x, w, stride=1.5)
    with pytest.raises(ValueError, match="not supported for strided"):
        F.conv2d(x, w, stride=2, padding="same")
    with pytest.raises(ValueError, match="'valid', 'same'"):
        F.conv2d(x, w, padding="full")
    with pytest.raises(ValueError, match="bias must have shape"):
        F.conv2d(x, w, xp.ones(3))


def test_pool_argument_errors():
    with pytest.raises(ValueError, match="at most half the kernel"):
        F.max_pool2d(xp.ones((1, 1, 4, 4)), 2, padding=2)
    with pytest.raises(TypeError, match="kernel_size"):
        F.avg_pool2d(xp.ones((1, 1, 4, 4)), "2")


def test_loss_argument_errors():
    x = xp.ones((3, 4))
    with pytest.raises(IndexError, match="target 4 is out of bounds for 4 classes"):
        F.cross_entropy(x, xp.asarray([0, 4, 1]))
    with pytest.raises(IndexError, match="target -2 is out of bounds"):
        F.nll_loss(x, xp.asarray([0, -2, 1]))
    with pytest.raises(ValueError, match="does not match"):
        F.cross_entropy(x, xp.asarray([0, 1]))
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.cross_entropy(x, xp.asarray([0, 1, 2]), reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(x, xp.asarray([0, 1, 2]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="one entry per class"):
        F.cross_entropy(x, xp.asarray([0, 1, 2]), xp.ones(3))
    with pytest.raises(RuntimeError, match="weight is not differentiable"):
        F.nll_loss(x, xp.asarray([0, 1, 2]), xp.ones(4, requires_grad=True))
    with pytest.raises(TypeError, match="integer dtype"):
        F.nll_loss(x, xp.asarray([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="probability targets"):
        F.cross_entropy(x, xp.ones((3, 5)))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(xp.ones((1, 3)), None, None, training=True)
    with pytest.raises(ValueError, match="running_mean and running_var"):
        F.batch_norm(xp.ones((2, 3)), None, None, training=False)
    with pytest.raises(ValueError, match="must have shape"):
        F.linear(x, xp.ones((2, 4)), xp.ones(3))
    with pytest.raises(ValueError, match="do not match"):
        F.linear(x, xp.ones((2, 3)))


GROUP_CASES = [(2, {}), (4, dict(padding=1)), (2, dict(stride=2, dilation=2, padding=2))]


@pytest.mark.parametrize("groups, kwargs", GROUP_CASES, ids=str)
def test_grouped_conv2d_matches_torch(backend, groups, kwargs):
    x, w, b = rand(2, 4, 7, 6), rand(8, 4 // groups, 3, 3, seed=1), rand(8, seed=2)
    compare(lambda *t: F.conv2d(*t, groups=groups, **kwargs), lambda *t: TF.conv2d(*t, groups=groups, **kwargs),
            [x, w, b], backend)


@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2, padding=1), dict(padding="same", dilation=2),
                                    dict(groups=2)], ids=str)
def test_conv1d_matches_torch(backend, kwargs):
    w = rand(6, 4 // kwargs.get("groups", 1), 3, seed=1)
    compare(lambda a, b: F.conv1d(a, b, **kwargs), lambda a, b: TF.conv1d(a, b, **kwargs), [rand(2, 4, 9), w], backend)
    compare(lambda a, b: F.conv1d(a, b, **kwargs), lambda a, b: TF.conv1d(a, b, **kwargs), [rand(4, 9), w], backend)


CONVT_CASES = [dict(), dict(stride=2), dict(stride=2, padding=1, output_padding=1),
               dict(stride=(2, 3), padding=(1, 0), dilation=2), dict(groups=2), dict(stride=3, output_padding=2)]


@pytest.mark.parametrize("kwargs", CONVT_CASES, ids=str)
def test_conv_transpose2d_matches_torch(backend, kwargs):
    # the adjoint of conv2d: upsampling by the stride, weights (in, out / groups, kH, kW)
    w, b = rand(4, 6 // kwargs.get("groups", 1), 3, 2, seed=1), rand(6, seed=2)
    compare(lambda *t: F.conv_transpose2d(*t, **kwargs), lambda *t: TF.conv_transpose2d(*t, **kwargs),
            [rand(2, 4, 5, 6), w, b], backend)


def test_grouped_and_transposed_conv_gradgradcheck_and_errors():
    x = ag(rand(1, 2, 4, 4), requires_grad=True)
    w = ag(rand(2, 1, 2, 2, seed=1), requires_grad=True)
    assert gradgradcheck(lambda a, b: F.conv_transpose2d(a, b, stride=2, groups=2), (x, w))
    assert gradgradcheck(lambda a, b: F.conv2d(a, b, groups=2), (x, w))
    with pytest.raises(ValueError, match="divisible by groups"):
        F.conv2d(xp.ones((1, 3, 4, 4)), xp.ones((4, 1, 2, 2)), groups=2)
    with pytest.raises(ValueError, match="output padding must be smaller"):
        F.conv_transpose2d(xp.ones((1, 2, 3, 3)), xp.ones((2, 1, 2, 2)), stride=2, output_padding=2)
    with pytest.raises(ValueError, match="expected"):
        F.conv1d(xp.ones((1, 2, 3, 4)), xp.ones((1, 2, 2)))


COL2IM_WINDOWS = [  # kernel, stride, padding (top, bottom, left, right), dilation
    ((3, 3), (1, 1), (1, 1, 1, 1), (1, 1)),
    ((3, 2), (2, 3), (0, 0, 2, 2), (1, 2)),
    ((2, 3), (3, 1), (2, 1, 0, 1), (2, 1)),
    ((1, 1), (2, 2), (1, 1, 1, 1), (1, 1)),  # offsets that see only padding at the edges
    ((3, 3), (1, 2), (2, 2, 2, 2), (2, 2)),
]


@pytest.mark.parametrize("kernel, stride, padding, dilation", COL2IM_WINDOWS, ids=str)
@pytest.mark.parametrize("channels_first", [True, False])
def test_numpy_col2im_matches_the_generic(kernel, stride, padding, dilation, channels_first):
    # NumPy's col2im sums in the layout its columns come in: the blocks of the convolution's
    # (N, K, C, OH, OW) gradient, or contiguous (N, OH, OW, K, C) columns (conv_transpose2d)
    from arraygrad.nn.functional import Window, _col2im_forward
    from arraygrad_numpy._fixes import numpy_overrides

    win = Window(*kernel, *stride, *padding, *dilation)
    x_shape = (2, 3, 7, 6)
    oh, ow = win.out_size(7, 6)
    k = kernel[0] * kernel[1]
    if channels_first:
        cols = np.moveaxis(rand(2, k, 3, oh, ow), (1, 2), (3, 4))
    else:
        cols = rand(2, oh, ow, k, 3)
    ours = numpy_overrides(np)["col2im"](cols, window=win, x_shape=x_shape)
    assert ours.flags.c_contiguous  # PyTorch's layout, for .view()
    np.testing.assert_allclose(ours, _col2im_forward(np, cols, window=win, x_shape=x_shape), atol=1e-12)


@pytest.mark.parametrize("kwargs", [dict(padding=1), dict(stride=2, padding=2, dilation=2), dict(groups=4),
                                    dict(stride=(2, 1), padding=(0, 1))], ids=str)
def test_conv2d_float32_many_channels_matches_torch(kwargs):
    # the shapes of a small CNN's layers, in float32: values and all three gradients
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 8, 11, 9), dtype=np.float32)
    w = rng.standard_normal((16, 8 // kwargs.get("groups", 1), 3, 3), dtype=np.float32)
    b = rng.standard_normal(16, dtype=np.float32)
    ours = [xp.asarray(a, copy=True).requires_grad_() for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    out, tout = F.conv2d(*ours, **kwargs), TF.conv2d(*theirs, **kwargs)
    np.testing.assert_allclose(host(out), tout.detach().numpy(), rtol=1e-4, atol=1e-4)
    g = rng.standard_normal(tuple(tout.shape), dtype=np.float32)
    out.backward(xp.asarray(g))
    tout.backward(torch.tensor(g))
    for a, t in zip(ours, theirs):
        np.testing.assert_allclose(host(a.grad), t.grad.numpy(), rtol=1e-4, atol=1e-3)


def test_convolutions_gradcheck_through_the_fast_paths():
    # float64 gradients (and their gradients) of conv2d with stride, dilation and padding,
    # and of the 1-d, 3-d and transposed convolutions that share im2col and col2im
    x = ag(rand(2, 2, 5, 6), requires_grad=True)
    w = ag(rand(3, 2, 3, 2, seed=1), requires_grad=True)
    b = ag(rand(3, seed=2), requires_grad=True)
    conv = lambda a, c, d: F.conv2d(a, c, d, stride=(2, 1), padding=2, dilation=(1, 2))
    assert gradcheck(conv, (x, w, b)) and gradgradcheck(conv, (x, w, b))
    x1, w1 = ag(rand(2, 2, 7), requires_grad=True), ag(rand(4, 1, 3, seed=1), requires_grad=True)
    assert gradcheck(lambda a, c: F.conv1d(a, c, stride=2, padding=1, groups=2), (x1, w1))
    x3, w3 = ag(rand(1, 2, 3, 4, 3), requires_grad=True), ag(rand(2, 2, 2, 2, 2, seed=1), requires_grad=True)
    assert gradcheck(lambda a, c: F.conv3d(a, c, padding=1, dilation=(1, 2, 1)), (x3, w3))
    wt = ag(rand(2, 3, 3, 2, seed=1), requires_grad=True)
    assert gradcheck(lambda a, c: F.conv_transpose2d(a, c, stride=2, padding=1, output_padding=1), (x, wt))
    w3t = ag(rand(2, 1, 2, 2, 2, seed=1), requires_grad=True)
    assert gradcheck(lambda a, c: F.conv_transpose3d(a, c, stride=2, padding=1), (x3, w3t))


INTERP_CASES = [(mode, ac, kw) for kw in (dict(scale_factor=2), dict(size=(7, 3)), dict(scale_factor=1.7),
                                          dict(scale_factor=(2, 0.5)), dict(size=(8, 10)))
                for mode, ac in (("nearest", None), ("nearest-exact", None), ("bilinear", False), ("bilinear", True))]


@pytest.mark.parametrize("mode, align_corners, kwargs", INTERP_CASES, ids=str)
def test_interpolate_matches_torch(backend, mode, align_corners, kwargs):
    compare(lambda t: F.interpolate(t, mode=mode, align_corners=align_corners, **kwargs),
            lambda t: TF.interpolate(t, mode=mode, align_corners=align_corners, **kwargs), [rand(2, 3, 4, 5)], backend)


@pytest.mark.parametrize("mode, align_corners", [("nearest", None), ("linear", False), ("linear", True)])
def test_interpolate_1d_and_upsample_match_torch(backend, mode, align_corners):
    for kwargs in (dict(scale_factor=2), dict(size=7), dict(scale_factor=1.5)):
        compare(lambda t: F.interpolate(t, mode=mode, align_corners=align_corners, **kwargs),
                lambda t: TF.interpolate(t, mode=mode, align_corners=align_corners, **kwargs), [rand(2, 3, 5)], backend)
    for spec in ("Upsample(scale_factor=2)", "Upsample(size=(4, 5), mode='bilinear', align_corners=True)"):
        assert repr(eval("xp.nn." + spec)) == repr(eval("torch.nn." + spec))


def test_interpolate_errors():
    x = xp.ones((1, 1, 2, 2))
    with pytest.raises(ValueError, match="size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(NotImplementedError, match="mode 'bogus' is not supported"):
        F.interpolate(x, scale_factor=2, mode="bogus")
    with pytest.raises(ValueError, match="expects a 4-D input"):
        F.interpolate(xp.ones((1, 1, 3)), scale_factor=2, mode="bilinear")
    with pytest.raises(ValueError, match="align_corners"):
        F.interpolate(x, scale_factor=2, align_corners=True)



@pytest.mark.parametrize("mode, amounts", [("replicate", (-1, 1, 0, 0)), ("reflect", (0, 0, -1, 1)),
                                           ("circular", (1, -2, 0, 0)), ("reflect", (1, -1, -1, 1))], ids=str)
def test_pad_crops_before_padding_like_torch(backend, mode, amounts):
    compare(lambda t: F.pad(t, amounts, mode), lambda t: TF.pad(t, amounts, mode), [rand(1, 2, 3, 4)], backend)
    with pytest.raises(RuntimeError, match="leaves nothing"):
        F.pad(xp.zeros((1, 3, 3)), (-2, -2), mode)


@pytest.mark.parametrize("name", ["softplus", "logsigmoid", "binary_cross_entropy_with_logits"])
def test_second_derivatives_at_zero_like_torch(name):
    # zero-initialized logits: the softplus in these must be smooth at 0 (0.25 there, not 0)
    def run(lib, fn_module):
        z = lib.zeros(3, dtype=lib.float64, requires_grad=True)
        args = (z, lib.tensor([0.0, 1.0, 1.0], dtype=lib.float64)) if "entropy" in name else (z,)
        g, = lib.autograd.grad(getattr(fn_module, name)(*args).sum(), z, create_graph=True)
        return lib.autograd.grad(g.sum(), z)[0]

    np.testing.assert_allclose(np.asarray(run(xp, F)), run(torch, TF).numpy(), rtol=1e-12)


def test_batch_norm_differentiates_twice_and_moves_running_statistics_like_torch():
    """The fused op: first and second derivatives in input, weight and bias (the saved
    statistics on the raw path, recomputed when recording), and PyTorch's running updates
    (unbiased variance) from the statistics the forward computed."""
    rng = np.random.default_rng(5)
    v = rng.standard_normal((4, 3, 2))
    x, w, b = (xp.asarray(a, requires_grad=True) for a in (v, rng.standard_normal(3), rng.standard_normal(3)))
    f = lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True)  # noqa: E731
    assert xp.autograd.gradcheck(f, (x, w, b)) and xp.autograd.gradgradcheck(f, (x, w, b))
    rm, rv = xp.zeros(3, dtype=xp.float64), xp.ones(3, dtype=xp.float64)
    trm, trv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    for _ in range(3):
        out = F.batch_norm(xp.asarray(v), rm, rv, training=True, momentum=0.3)
        ref = torch.nn.functional.batch_norm(torch.tensor(v), trm, trv, training=True, momentum=0.3)
    np.testing.assert_allclose(np.asarray(out), ref.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.asarray(rm), trm.numpy(), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(rv), trv.numpy(), rtol=1e-12)
