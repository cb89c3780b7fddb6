"""The `torch.nn` / `torch.nn.functional` names arraygrad lacked, against torch 2.13 CPU:
fractional max pooling (F.fractional_max_pool2d/3d and their `_with_indices` forms,
nn.FractionalMaxPool2d/3d), nn.AdaptiveLogSoftmaxWithLoss, F.upsample_nearest /
upsample_bilinear, nn.LazyInstanceNorm1d/2d/3d, nn.SyncBatchNorm, nn.DataParallel,
nn.Container, nn.NLLLoss2d, nn.RNNBase / nn.RNNCellBase and nn.CrossMapLRN2d. Values,
indices, gradients (random cotangent), parameter names and shapes, state dicts, reprs,
warnings and error types."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import arraygrad as xp  # noqa: E402
import arraygrad.nn as nn  # noqa: E402
import arraygrad.nn.functional as F  # noqa: E402

from test_nn_functional import ag, host, rand  # noqa: E402

TF = torch.nn.functional


def same_error(ours, theirs):
    """Both calls raise, with the same exception type; returns our exception."""
    with pytest.raises(Exception) as tinfo:
        theirs()
    with pytest.raises(type(tinfo.value)) as info:
        ours()
    return info.value


def to_torch(a):
    return torch.tensor(host(a))


def copy_from_torch(ours, theirs, backend=None):
    """Load torch module `theirs`'s state dict into `ours`."""
    sd = {k: ag(v.detach().numpy(), backend) for k, v in theirs.state_dict().items()}
    assert ours.load_state_dict(sd) is not None


def shapes(module):
    return [(n, tuple(p.shape)) for n, p in module.named_parameters()]


# ----- fractional max pooling -------------------------------------------------------------------
FRACTIONAL = [
    # nd, input shape, kernel, output size
    (2, (2, 3, 9, 7), 2, (4, 3)),
    (2, (2, 3, 9, 7), (3, 2), (7, 6)),
    (2, (3, 8, 8), 3, (5, 4)),  # unbatched
    (2, (1, 2, 5, 6), 1, (5, 6)),  # every window one element
    (2, (2, 2, 10, 11), (2, 3), (1, 1)),
    (3, (2, 2, 6, 7, 5), 2, (3, 4, 2)),
    (3, (2, 5, 6, 4), (2, 3, 1), (3, 2, 3)),  # unbatched
    (3, (1, 1, 9, 9, 9), 3, (6, 1, 4)),
]


def _fractional(nd):
    return (F.fractional_max_pool2d, TF.fractional_max_pool2d) if nd == 2 else \
        (F.fractional_max_pool3d, TF.fractional_max_pool3d)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("nd,shape,kernel,out", FRACTIONAL)
def test_fractional_max_pool_with_samples_equals_torch(backend, nd, shape, kernel, out, dtype):
    ours_f, torch_f = _fractional(nd)
    x = rand(*shape, seed=1).astype(dtype)
    batch, channels = (shape[0] if len(shape) == nd + 2 else 1), shape[-nd - 1]
    samples = np.random.default_rng(2).random((batch, channels, nd)).astype(dtype)
    tx = torch.tensor(x, requires_grad=True)
    X = ag(x, backend, requires_grad=True)
    tout, tidx = torch_f(tx, kernel, output_size=out, return_indices=True, _random_samples=torch.tensor(samples))
    y, idx = ours_f(X, kernel, output_size=out, return_indices=True, _random_samples=ag(samples, backend))
    np.testing.assert_array_equal(host(y), tout.detach().numpy())
    np.testing.assert_array_equal(host(idx), tidx.numpy())
    assert str(y.dtype) == f"arraygrad.{dtype}" and str(idx.dtype) == "arraygrad.int64"
    g = rand(*tout.shape, seed=3).astype(dtype)
    (tout * torch.tensor(g)).sum().backward()
    xp.sum(y * ag(g, backend)).backward()
    np.testing.assert_allclose(host(X.grad), tx.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_fractional_max_pool_random_sweep_matches_torch_exactly():
    """Many shapes and samples in float32 (where PyTorch's interval formula rounds): values and
    indices equal, ties (rounded inputs) broken the same way."""
    rng = np.random.default_rng(0)
    for trial in range(60):
        nd = 2 + trial % 2
        dtype = np.float32 if trial % 3 else np.float64
        ins = tuple(int(v) for v in rng.integers(3, 12, nd))
        ks = tuple(int(rng.integers(1, min(4, n - 1) + 1)) for n in ins)
        outs = tuple(int(rng.integers(1, n - k + 2 - (nd == 3))) for n, k in zip(ins, ks))
        n, c = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        x = rng.standard_normal((n, c) + ins).astype(dtype)
        if trial % 4 == 0:
            x = np.round(x)
        s = rng.random((n, c, nd)).astype(dtype)
        ours_f, torch_f = _fractional(nd)
        tout, tidx = torch_f(torch.tensor(x), ks, output_size=outs, return_indices=True,
                             _random_samples=torch.tensor(s))
        y, idx = ours_f(xp.asarray(x), ks, output_size=outs, return_indices=True, _random_samples=xp.asarray(s))
        np.testing.assert_array_equal(host(idx), tidx.numpy())
        np.testing.assert_array_equal(host(y), tout.numpy())


def test_fractional_max_pool_output_ratio_forms_and_nan():
    x = rand(2, 3, 10, 9, seed=4)
    x[0, 1, 3, 4] = np.nan
    s = np.random.default_rng(5).random((2, 3, 2))
    kw = dict(output_ratio=(0.5, 0.7), _random_samples=None)
    for ours, theirs in ((F.fractional_max_pool2d_with_indices, TF.fractional_max_pool2d_with_indices),):
        kw["_random_samples"] = xp.asarray(s)
        y, idx = ours(xp.asarray(x), 2, **kw)
        kw["_random_samples"] = torch.tensor(s)
        ty, tidx = theirs(torch.tensor(x), 2, **kw)
        np.testing.assert_array_equal(host(y), ty.numpy())
        np.testing.assert_array_equal(host(idx), tidx.numpy())
    # return_indices=False gives the values only; a scalar ratio (PyTorch's functional form wants a
    # tuple, its module takes either); 3-D with_indices
    y = F.fractional_max_pool2d(xp.asarray(x), 3, output_ratio=0.5, _random_samples=xp.asarray(s))
    ty = TF.fractional_max_pool2d(torch.tensor(x), 3, output_ratio=(0.5, 0.5), _random_samples=torch.tensor(s))
    np.testing.assert_array_equal(host(y), ty.numpy())
    v = rand(1, 2, 7, 8, 9, seed=6)
    s3 = np.random.default_rng(7).random((1, 2, 3))
    y, idx = F.fractional_max_pool3d_with_indices(xp.asarray(v), 2, output_ratio=0.5, _random_samples=xp.asarray(s3))
    ty, tidx = TF.fractional_max_pool3d_with_indices(torch.tensor(v), 2, output_ratio=0.5,
                                                      _random_samples=torch.tensor(s3))
    np.testing.assert_array_equal(host(y), ty.numpy())
    np.testing.assert_array_equal(host(idx), tidx.numpy())


def test_fractional_max_pool_draws_from_arraygrad_generator():
    x = xp.asarray(rand(2, 3, 9, 8, seed=8))
    xp.manual_seed(11)
    y, idx = F.fractional_max_pool2d(x, 2, output_size=(4, 5), return_indices=True)
    xp.manual_seed(11)
    samples = xp.rand((2, 3, 2), dtype=x.dtype)
    y2, idx2 = F.fractional_max_pool2d(x, 2, output_size=(4, 5), return_indices=True, _random_samples=samples)
    np.testing.assert_array_equal(host(y), host(y2))
    np.testing.assert_array_equal(host(idx), host(idx2))
    ty, tidx = TF.fractional_max_pool2d(torch.tensor(host(x)), 2, output_size=(4, 5), return_indices=True,
                                        _random_samples=torch.tensor(host(samples)))
    np.testing.assert_array_equal(host(idx), tidx.numpy())
    # unbatched input draws one sample row; 3-D draws three samples per plane
    xp.manual_seed(3)
    a = F.fractional_max_pool3d(xp.asarray(rand(2, 6, 6, 6, seed=9)), 2, output_size=3)
    xp.manual_seed(3)
    b = F.fractional_max_pool3d(xp.asarray(rand(2, 6, 6, 6, seed=9)), 2, output_size=3,
                                _random_samples=xp.rand((1, 2, 3), dtype=xp.float64))
    np.testing.assert_array_equal(host(a), host(b))


def test_fractional_max_pool_unpools_with_max_unpool2d():
    x = rand(1, 2, 8, 8, seed=10)
    s = np.random.default_rng(1).random((1, 2, 2))
    y, idx = F.fractional_max_pool2d(xp.asarray(x), 2, output_size=4, return_indices=True,
                                     _random_samples=xp.asarray(s))
    ty, tidx = TF.fractional_max_pool2d(torch.tensor(x), 2, output_size=4, return_indices=True,
                                        _random_samples=torch.tensor(s))
    np.testing.assert_array_equal(host(F.max_unpool2d(y, idx, 2, output_size=(8, 8))),
                                  TF.max_unpool2d(ty, tidx, 2, output_size=(8, 8)).numpy())


def test_fractional_max_pool_second_order_gradient():
    s = xp.asarray(np.random.default_rng(2).random((1, 2, 2)))
    x = xp.asarray(rand(1, 2, 6, 6, seed=12), requires_grad=True)

    def fn(t):
        return F.fractional_max_pool2d(t * t, 2, output_size=3, _random_samples=s)

    assert xp.autograd.gradcheck(fn, (x,))
    assert xp.autograd.gradgradcheck(fn, (x,))


@pytest.mark.parametrize("nd", [2, 3])
def test_fractional_max_pool_modules_match_torch(nd):
    ours_cls = nn.FractionalMaxPool2d if nd == 2 else nn.FractionalMaxPool3d
    torch_cls = torch.nn.FractionalMaxPool2d if nd == 2 else torch.nn.FractionalMaxPool3d
    shape = (2, 3, 8, 9) if nd == 2 else (2, 3, 6, 7, 8)
    x = rand(*shape, seed=13)
    s = np.random.default_rng(4).random((2, 3, nd))
    for kw in (dict(output_size=3), dict(output_ratio=0.5), dict(output_size=3, return_indices=True)):
        m = ours_cls(2, _random_samples=xp.asarray(s), **kw)
        t = torch_cls(2, _random_samples=torch.tensor(s), **kw)
        assert repr(m) == repr(t)
        assert (m.kernel_size, m.output_size, m.output_ratio, m.return_indices) == \
            (t.kernel_size, t.output_size, t.output_ratio, t.return_indices)
        X, tx = xp.asarray(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, ty = m(X), t(tx)
        if kw.get("return_indices"):
            np.testing.assert_array_equal(host(y[1]), ty[1].numpy())
            y, ty = y[0], ty[0]
        np.testing.assert_array_equal(host(y), ty.detach().numpy())
        g = rand(*ty.shape, seed=5)
        xp.sum(y * xp.asarray(g)).backward()
        (ty * torch.tensor(g)).sum().backward()
        np.testing.assert_allclose(host(X.grad), tx.grad.numpy(), atol=1e-12)
        assert list(m.state_dict()) == list(t.state_dict())
    m, t = ours_cls(2, output_ratio=0.5), torch_cls(2, output_ratio=0.5)
    assert "_random_samples" not in m.state_dict() and m.state_dict().keys() == t.state_dict().keys()
    assert tuple(m(xp.asarray(x)).shape) == tuple(t(torch.tensor(x)).shape)


def test_fractional_max_pool_errors():
    x = xp.asarray(rand(2, 3, 7, 6, seed=0))
    tx = torch.tensor(host(x))
    err = same_error(lambda: F.fractional_max_pool2d(x, 3, output_size=(6, 4)),
                     lambda: TF.fractional_max_pool2d(tx, 3, output_size=(6, 4)))
    assert "kernel_size 3" in str(err) and "height 7" in str(err) and "output_size 6" in str(err)
    err = same_error(lambda: F.fractional_max_pool2d(x, 3), lambda: TF.fractional_max_pool2d(tx, 3))
    assert "output_size" in str(err) and "output_ratio" in str(err)
    err = same_error(lambda: F.fractional_max_pool2d(x, 2, output_size=3, _random_samples=xp.rand((2, 3, 3))),
                     lambda: TF.fractional_max_pool2d(tx, 2, output_size=3, _random_samples=torch.rand(2, 3, 3)))
    assert "_random_samples" in str(err) and "(2, 3, 3)" in str(err)
    err = same_error(lambda: F.fractional_max_pool2d(x, 2, output_size=3, _random_samples=xp.rand((1, 3, 2))),
                     lambda: TF.fractional_max_pool2d(tx, 2, output_size=3, _random_samples=torch.rand(1, 3, 2)))
    assert "_random_samples" in str(err) and "(1)" in str(err) and "(2)" in str(err)
    err = same_error(
        lambda: F.fractional_max_pool2d(x, 2, output_size=3, _random_samples=xp.rand((2, 3, 2), dtype=xp.float32)),
        lambda: TF.fractional_max_pool2d(tx, 2, output_size=3, _random_samples=torch.rand(2, 3, 2)))
    assert "dtype" in str(err) and "float32" in str(err) and "float64" in str(err)
    v = xp.asarray(rand(2, 3, 5, 5, 5, seed=0))
    err = same_error(lambda: F.fractional_max_pool3d(v, 2, output_size=(4, 3, 3)),
                     lambda: TF.fractional_max_pool3d(torch.tensor(host(v)), 2, output_size=(4, 3, 3)))
    assert "time" in str(err) and "5" in str(err)
    with pytest.raises(ValueError, match=r"4-D.*\(7, 6\)"):
        F.fractional_max_pool2d(x[0, 0], 2, output_size=3)
    with pytest.raises(TypeError, match="floating-point.*int64"):
        F.fractional_max_pool2d(xp.asarray(np.ones((1, 1, 4, 4), dtype=np.int64)), 2, output_size=2)
    for kw, msg in ((dict(output_ratio=1.5), "between 0 and 1"), (dict(output_ratio=0.5, output_size=2), "only one"),
                    (dict(), "FractionalMaxPool2d requires")):
        err = same_error(lambda: nn.FractionalMaxPool2d(2, **kw), lambda: torch.nn.FractionalMaxPool2d(2, **kw))
        assert msg in str(err)
    with pytest.raises(ValueError, match=r"between 0 and 1 \(got 1.5\)"):
        nn.FractionalMaxPool3d(2, output_ratio=1.5)


# ----- deprecated upsampling wrappers --------------------------------------------------------------
@pytest.mark.parametrize("fname,kw", [("upsample_nearest", dict(scale_factor=2)),
                                      ("upsample_nearest", dict(size=(5, 7))),
                                      ("upsample_bilinear", dict(scale_factor=2)),
                                      ("upsample_bilinear", dict(size=(5, 7)))])
def test_upsample_wrappers_match_torch(backend, fname, kw):
    x = rand(2, 3, 3, 4, seed=1)
    X, tx = ag(x, backend, requires_grad=True), torch.tensor(x, requires_grad=True)
    with pytest.warns(UserWarning, match=f"`nn.functional.{fname}` is deprecated. Use "
                                         "`nn.functional.interpolate` instead."):
        y = getattr(F, fname)(X, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ty = getattr(TF, fname)(tx, **kw)
    np.testing.assert_allclose(host(y), ty.detach().numpy(), atol=1e-12)
    g = rand(*ty.shape, seed=2)
    xp.sum(y * ag(g, backend)).backward()
    (ty * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(host(X.grad), tx.grad.numpy(), atol=1e-12)


def test_upsample_bilinear_uses_align_corners_true():
    x = xp.asarray(rand(1, 1, 3, 3, seed=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = F.upsample_bilinear(x, scale_factor=2)
        z = F.upsample_nearest(xp.asarray(rand(1, 2, 2, 2, 2, seed=0)), scale_factor=2)  # volumetric
    np.testing.assert_allclose(host(y), host(F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)))
    assert tuple(z.shape) == (1, 2, 4, 4, 4)


# ----- AdaptiveLogSoftmaxWithLoss ----------------------------------------------------------------
def _asm_pair(head_bias=True, cutoffs=(4, 10, 15), div_value=2.0):
    t = torch.nn.AdaptiveLogSoftmaxWithLoss(8, 20, list(cutoffs), div_value=div_value, head_bias=head_bias).double()
    m = nn.AdaptiveLogSoftmaxWithLoss(8, 20, list(cutoffs), div_value=div_value, head_bias=head_bias,
                                      dtype=xp.float64)
    copy_from_torch(m, t)
    return m, t


def test_adaptive_log_softmax_structure_matches_torch():
    for kw in (dict(), dict(head_bias=False, cutoffs=(5,), div_value=4.0)):
        m, t = _asm_pair(**kw)
        assert shapes(m) == [(n, tuple(p.shape)) for n, p in t.named_parameters()]
        assert repr(m) == repr(t)
        assert (m.cutoffs, m.shortlist_size, m.n_clusters, m.head_size) == \
            (t.cutoffs, t.shortlist_size, t.n_clusters, t.head_size)
    from arraygrad.nn.modules.adaptive import _ASMoutput
    assert _ASMoutput._fields == ("output", "loss")


@pytest.mark.parametrize("head_bias", [True, False])
def test_adaptive_log_softmax_values_and_gradients(head_bias):
    m, t = _asm_pair(head_bias=head_bias)
    x = rand(9, 8, seed=3)
    y = np.array([0, 5, 12, 19, 3, 11, 16, 4, 9])
    X, tx = xp.asarray(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, tout = m(X, xp.asarray(y)), t(tx, torch.tensor(y))
    assert type(out).__name__ == "_ASMoutput" and out._fields == ("output", "loss")
    np.testing.assert_allclose(host(out.output), tout.output.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(float(out.loss), float(tout.loss.detach()), atol=1e-12)
    g = rand(9, seed=4)
    (xp.sum(out.output * xp.asarray(g)) + 0.7 * out.loss).backward()
    ((tout.output * torch.tensor(g)).sum() + 0.7 * tout.loss).backward()
    np.testing.assert_allclose(host(X.grad), tx.grad.numpy(), atol=1e-12)
    for (name, p), (tname, tp) in zip(m.named_parameters(), t.named_parameters()):
        assert name == tname
        np.testing.assert_allclose(host(p.grad), tp.grad.numpy(), atol=1e-12)
    # targets only in the shortlist, then one cluster only
    for targets in ([0, 1, 2, 3], [16, 17, 18, 19]):
        a = m(xp.asarray(x[:4]), xp.asarray(np.array(targets)))
        b = t(torch.tensor(x[:4]), torch.tensor(targets))
        np.testing.assert_allclose(host(a.output), b.output.detach().numpy(), atol=1e-12)


def test_adaptive_log_softmax_unbatched_log_prob_and_predict():
    m, t = _asm_pair()
    x = rand(6, 8, seed=5)
    out, tout = m(xp.asarray(x[0]), xp.asarray(np.array(13))), t(torch.tensor(x[0]), torch.tensor(13))
    assert tuple(out.output.shape) == () and tuple(out.loss.shape) == ()
    np.testing.assert_allclose(float(out.output), float(tout.output.detach()), atol=1e-12)
    X, tx = xp.asarray(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    lp, tlp = m.log_prob(X), t.log_prob(tx)
    np.testing.assert_allclose(host(lp), tlp.detach().numpy(), atol=1e-12)
    g = rand(6, 20, seed=6)
    xp.sum(lp * xp.asarray(g)).backward()
    (tlp * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(host(X.grad), tx.grad.numpy(), atol=1e-12)
    np.testing.assert_array_equal(host(m.predict(xp.asarray(x))), t.predict(torch.tensor(x)).numpy())
    # the head predicts a cluster for some rows, the shortlist for others, then for all
    for bias in ([0, 0, 0, 0, 0.5, 0, 0], [0, 0, 0, 0, 30, 30, 30]):
        with torch.no_grad():
            t.head.bias.copy_(torch.tensor(np.array(bias) + rand(7, seed=8)))
        copy_from_torch(m, t)
        xs = rand(12, 8, seed=7) * 3
        expected = t.predict(torch.tensor(xs)).numpy()
        heads = t.head(torch.tensor(xs)).argmax(1)
        assert bool((heads >= 4).any()) and (bias[5] or bool((heads < 4).any()))
        np.testing.assert_array_equal(host(m.predict(xp.asarray(xs))), expected)
        np.testing.assert_array_equal(expected, t.log_prob(torch.tensor(xs)).argmax(1).numpy())


def test_adaptive_log_softmax_errors():
    for cutoffs in ([], [5, 3], [0, 4], [4, 20], [4, 4], [2.5]):
        err = same_error(lambda: nn.AdaptiveLogSoftmaxWithLoss(8, 20, cutoffs),
                         lambda: torch.nn.AdaptiveLogSoftmaxWithLoss(8, 20, cutoffs))
        assert "cutoffs" in str(err)
    m, t = _asm_pair()
    x = rand(4, 8, seed=1)
    cases = [(x, np.array([0, 1, 2])), (x[0], np.array([1])), (x, np.array(1)), (x, np.zeros((4, 1), np.int64)),
             (x, np.array([0, 1, 2, 20])), (x, np.array([0, -1, 2, 3]))]
    for a, b in cases:
        err = same_error(lambda: m(xp.asarray(a), xp.asarray(b)), lambda: t(torch.tensor(a), torch.tensor(b)))
        assert isinstance(err, RuntimeError)
    err = same_error(lambda: m(xp.asarray(x), xp.asarray(np.array([0, 1, 2, 20]))),
                     lambda: t(torch.tensor(x), torch.tensor([0, 1, 2, 20])))
    assert "[0, 19]" in str(err) and "[0, 20]" in str(err)
    err = same_error(lambda: m(xp.asarray(x), xp.asarray(np.array([0, 1, 2]))),
                     lambda: t(torch.tensor(x), torch.tensor([0, 1, 2])))
    assert "4" in str(err) and "3" in str(err)


# ----- lazy instance norms, SyncBatchNorm -----------------------------------------------------------
@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("bias", [True, False])
def test_lazy_instance_norm_matches_torch(nd, bias):
    name = f"LazyInstanceNorm{nd}d"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m, t = getattr(nn, name)(bias=bias), getattr(torch.nn, name)(bias=bias)
    assert repr(m) == repr(t)
    assert nn.modules.lazy.LazyModuleMixin in type(m).__mro__ and m.has_uninitialized_params()
    x = rand(2, 3, *(4,) * nd, seed=nd).astype(np.float32)
    X, tx = xp.asarray(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = m(X), t(tx)
    assert type(m) is getattr(nn, f"InstanceNorm{nd}d") and type(t).__name__ == type(m).__name__
    assert repr(m) == repr(t)
    assert {k: tuple(v.shape) for k, v in m.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in t.state_dict().items()}
    np.testing.assert_allclose(host(y), ty.detach().numpy(), atol=1e-5)
    g = rand(*x.shape, seed=9).astype(np.float32)
    xp.sum(y * xp.asarray(g)).backward()
    (ty * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(host(X.grad), tx.grad.numpy(), atol=1e-4)
    np.testing.assert_allclose(host(m.running_mean), t.running_mean.numpy(), atol=1e-6)
    np.testing.assert_allclose(host(m.running_var), t.running_var.numpy(), atol=1e-6)


def test_lazy_instance_norm_loads_a_state_dict_before_its_first_call():
    t = torch.nn.InstanceNorm2d(4, affine=True, track_running_stats=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = nn.LazyInstanceNorm2d()
    copy_from_torch(m, t)
    assert tuple(m.weight.shape) == (4,) and not m.has_uninitialized_params()


def test_sync_batch_norm_is_batch_norm_in_one_process():
    m, t = nn.SyncBatchNorm(3, momentum=0.2), torch.nn.SyncBatchNorm(3, momentum=0.2)
    assert repr(m) == repr(t) and shapes(m) == [(n, tuple(p.shape)) for n, p in t.named_parameters()]
    assert list(m.state_dict()) == list(t.state_dict()) and m.process_group is None
    copy_from_torch(m, t)
    for shape in ((4, 3), (4, 3, 5), (2, 3, 4, 5), (2, 3, 2, 3, 4)):
        x = rand(*shape, seed=len(shape)).astype(np.float32)
        for training in (True, False):
            m.train(training)
            t.train(training)
            X, tx = xp.asarray(x, requires_grad=True), torch.tensor(x, requires_grad=True)
            y, ty = m(X), t(tx)
            np.testing.assert_allclose(host(y), ty.detach().numpy(), atol=1e-5)
            g = rand(*shape, seed=3).astype(np.float32)
            xp.sum(y * xp.asarray(g)).backward()
            (ty * torch.tensor(g)).sum().backward()
            np.testing.assert_allclose(host(X.grad), tx.grad.numpy(), atol=1e-4)
    np.testing.assert_allclose(host(m.running_var), t.running_var.numpy(), atol=1e-6)
    assert int(m.num_batches_tracked) == int(t.num_batches_tracked) == 4
    err = same_error(lambda: m(xp.asarray(np.ones(3, np.float32))), lambda: t(torch.ones(3)))
    assert "2D" in str(err) and "1D" in str(err)
    err = same_error(lambda: m(xp.zeros((2, 0, 3))), lambda: t(torch.zeros(2, 0, 3)))
    assert "channels" in str(err)


def test_convert_sync_batchnorm_like_torch():
    def build(lib):
        return lib.Sequential(lib.Conv2d(2, 3, 1), lib.BatchNorm2d(3, momentum=None),
                              lib.Sequential(lib.BatchNorm1d(4, affine=False, eps=1e-3)), lib.InstanceNorm1d(3))

    ours, theirs = build(nn), build(torch.nn)
    weight = ours[1].weight
    ours[1].eval()
    conv_ours = nn.SyncBatchNorm.convert_sync_batchnorm(ours, process_group="pg")
    conv_theirs = torch.nn.SyncBatchNorm.convert_sync_batchnorm(theirs)
    assert repr(conv_ours) == repr(conv_theirs)
    assert conv_ours is ours and isinstance(ours[1], nn.SyncBatchNorm) and ours[1].weight is weight
    assert not ours[1].training and ours[1].process_group == "pg" and ours[1].momentum is None
    assert type(ours[3]) is nn.InstanceNorm1d
    single = nn.BatchNorm1d(5)
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(single)
    assert type(converted) is nn.SyncBatchNorm and converted.running_mean is single.running_mean
    assert list(converted.state_dict()) == list(single.state_dict())


# ----- DataParallel, Container, NLLLoss2d, RNNBase / RNNCellBase --------------------------------
def test_data_parallel_wraps_the_module():
    inner = nn.Linear(3, 2)
    m, t = nn.DataParallel(inner), torch.nn.DataParallel(torch.nn.Linear(3, 2))
    assert m.module is inner and repr(m) == repr(t)
    assert list(m.state_dict()) == list(t.state_dict()) == ["module.weight", "module.bias"]
    copy_from_torch(m, t)
    x = rand(4, 3, seed=1).astype(np.float32)
    np.testing.assert_allclose(host(m(xp.asarray(x))), t(torch.tensor(x)).detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(host(m(input=xp.asarray(x))), host(inner(xp.asarray(x))))
    assert [n for n, _ in m.named_parameters()] == ["module.weight", "module.bias"]
    from arraygrad.nn.parallel import DataParallel
    from arraygrad.nn.parallel.data_parallel import DataParallel as DP
    assert DataParallel is DP is nn.DataParallel
    assert nn.DataParallel(inner, device_ids=[0], output_device=0, dim=1).module is inner


def test_container_and_nll_loss_2d_are_deprecated_aliases():
    with pytest.warns(FutureWarning, match="`nn.Container` is deprecated"):
        c = nn.Container(a=nn.Linear(2, 3), b=nn.ReLU())
    with pytest.warns(FutureWarning):
        tc = torch.nn.Container(a=torch.nn.Linear(2, 3), b=torch.nn.ReLU())
    assert repr(c) == repr(tc) and list(c.state_dict()) == list(tc.state_dict())
    with pytest.warns(FutureWarning, match="`NLLLoss2d` has been deprecated"):
        loss = nn.NLLLoss2d(ignore_index=1, reduction="sum")
    with pytest.warns(FutureWarning):
        tloss = torch.nn.NLLLoss2d(ignore_index=1, reduction="sum")
    assert isinstance(loss, nn.NLLLoss) and repr(loss) == repr(tloss)
    x = rand(2, 4, 3, 3, seed=2)
    y = np.random.default_rng(3).integers(0, 4, (2, 3, 3))
    X, tx = xp.asarray(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    a, b = loss(X, xp.asarray(y)), tloss(tx, torch.tensor(y))
    np.testing.assert_allclose(float(a), float(b.detach()), atol=1e-12)
    a.backward()
    b.backward()
    np.testing.assert_allclose(host(X.grad), tx.grad.numpy(), atol=1e-12)


def test_rnn_base_classes_exported():
    assert isinstance(nn.LSTM(2, 3), nn.RNNBase) and isinstance(nn.GRU(2, 3), nn.RNNBase)
    for cell in (nn.RNNCell(2, 3), nn.LSTMCell(2, 3), nn.GRUCell(2, 3)):
        assert isinstance(cell, nn.RNNCellBase) and not isinstance(cell, nn.RNNBase)
    from arraygrad.nn.modules.rnn import RNNBase, RNNCellBase
    assert RNNBase is nn.RNNBase and RNNCellBase is nn.RNNCellBase
    assert repr(nn.GRUCell(2, 3, bias=False)) == repr(torch.nn.GRUCell(2, 3, bias=False))


# ----- CrossMapLRN2d ----------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [2, 3, 4, 5, 6])
@pytest.mark.parametrize("channels", [1, 3, 8, 11])
def test_cross_map_lrn2d_matches_torch(size, channels):
    m = nn.CrossMapLRN2d(size, alpha=0.3, beta=0.8, k=1.5)
    t = torch.nn.CrossMapLRN2d(size, alpha=0.3, beta=0.8, k=1.5)
    assert repr(m) == repr(t)
    x = rand(2, channels, 3, 4, seed=size)
    X, tx = xp.asarray(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = m(X), t(tx)
    np.testing.assert_allclose(host(y), ty.detach().numpy(), atol=1e-12)
    g = rand(*x.shape, seed=channels)
    xp.sum(y * xp.asarray(g)).backward()
    (ty * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(host(X.grad), tx.grad.numpy(), atol=1e-12)


def test_cross_map_lrn2d_defaults_and_errors():
    m, t = nn.CrossMapLRN2d(3), torch.nn.CrossMapLRN2d(3)
    assert repr(m) == repr(t) == "CrossMapLRN2d(3, alpha=0.0001, beta=0.75, k=1)"
    err = same_error(lambda: m(xp.ones((2, 3, 4))), lambda: t(torch.ones(2, 3, 4)))
    assert isinstance(err, ValueError) and "4D" in str(err) and "3D" in str(err)


def test_new_names_are_where_torch_puts_them():
    for path, name in [("pooling", "FractionalMaxPool2d"), ("pooling", "FractionalMaxPool3d"),
                       ("adaptive", "AdaptiveLogSoftmaxWithLoss"), ("instancenorm", "LazyInstanceNorm1d"),
                       ("instancenorm", "LazyInstanceNorm3d"), ("batchnorm", "SyncBatchNorm"),
                       ("container", "Container"), ("loss", "NLLLoss2d"), ("rnn", "RNNCellBase"),
                       ("normalization", "CrossMapLRN2d")]:
        ours = getattr(getattr(nn.modules, path), name)
        assert hasattr(getattr(torch.nn.modules, path), name)
        assert ours is getattr(nn, name)
    for name in ("fractional_max_pool2d", "fractional_max_pool3d", "fractional_max_pool2d_with_indices",
                 "fractional_max_pool3d_with_indices", "upsample_nearest", "upsample_bilinear"):
        assert name in F.__all__ and callable(getattr(F, name))
