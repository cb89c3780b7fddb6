"""The less common torch.nn layers (activations, losses, padding, pixel shuffle, bilinear...)
against PyTorch CPU: values and gradients on float64 inputs, module reprs, finite-difference
checks, argument errors."""

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
# kl_div's reduction='mean' warns (as PyTorch's), and the mean of an empty batch is NaN (with
# NumPy's warning): both sides are compared on purpose
pytestmark = [pytest.mark.filterwarnings("ignore:reduction. 'mean' divides:UserWarning"),
              pytest.mark.filterwarnings("ignore:Mean of empty slice:RuntimeWarning")]
REDUCTIONS = ["mean", "sum", "none"]


# ----- activations ------------------------------------------------------------------------
ACTIVATIONS = [
    ("selu", {}), ("celu", {}), ("celu", dict(alpha=0.5)), ("mish", {}), ("softsign", {}), ("hardswish", {}),
    ("hardsigmoid", {}), ("tanhshrink", {}), ("softshrink", {}), ("softshrink", dict(lambd=1.0)),
    ("hardshrink", {}), ("hardshrink", dict(lambd=2.5)), ("threshold", dict(threshold=0.5, value=-2.0)),
]


@pytest.mark.parametrize("name, kwargs", ACTIVATIONS, ids=str)
def test_activations_match_torch(backend, name, kwargs):
    # the kinks (0, +-0.5, +-1, +-3, 2.5) and far-out values
    x = np.array([[-800.0, -50.0, -3.0, -1.0, -0.5, 0.0], [0.5, 1.0, 2.5, 3.0, 6.0, 800.0]])
    atol = 1e-8 if name == "hardsigmoid" else 1e-10  # PyTorch's backward multiplies by a float32 1/6
    compare(lambda t: getattr(F, name)(t, **kwargs), lambda t: getattr(TF, name)(t, **kwargs), [x], backend,
            atol=atol)


@pytest.mark.parametrize("shape", [(0, 3), (5,), ()], ids=str)
@pytest.mark.parametrize("name", ["selu", "mish", "hardswish", "softsign"])
def test_activations_on_edge_shapes(name, shape):
    x = rand(*shape, low=-4, high=4)
    compare(getattr(F, name), getattr(TF, name), [x], None)


@pytest.mark.parametrize("name", ["selu", "celu", "mish", "hardswish", "hardsigmoid", "threshold"])
def test_in_place_activations(name):
    x = rand(2, 3, low=-4, high=4)
    args = (0.1, 7.0) if name == "threshold" else ()
    t = ag(x)
    assert getattr(F, name)(t, *args, inplace=True) is t
    np.testing.assert_allclose(host(t), getattr(TF, name)(torch.tensor(x), *args).numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        getattr(F, name)(ag(x, requires_grad=True), *args, inplace=True)


def test_relu_underscore_is_in_place():
    t = ag(rand(2, 3))
    assert F.relu_(t) is t and float(xp.min(t)) == 0.0


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmin_matches_torch(backend, dim):
    compare(lambda t: F.softmin(t, dim), lambda t: TF.softmin(t, dim), [rand(3, 4, 2)], backend)


def test_softmin_implicit_dim_and_dtype():
    x = rand(3, 4)
    with pytest.warns(UserWarning, match="softmin"):
        out = F.softmin(ag(x))
    np.testing.assert_allclose(host(out), TF.softmin(torch.tensor(x), 1).numpy(), rtol=1e-12)
    assert F.softmin(ag(x), 0, dtype=xp.float32).dtype == xp.float32


@pytest.mark.parametrize("shape, dim", [((4, 6), -1), ((6, 3), 0), ((2, 4, 3), 1)], ids=str)
def test_glu_matches_torch(backend, shape, dim):
    compare(lambda t: F.glu(t, dim), lambda t: TF.glu(t, dim), [rand(*shape)], backend)


@pytest.mark.parametrize("shape, n", [((4,), 1), ((), 1), ((2, 3), 1), ((2, 3), 3), ((2, 3, 4, 5), 3),
                                      ((0, 3, 2), 3)], ids=str)
def test_prelu_matches_torch(backend, shape, n):
    x, w = rand(*shape, low=-2, high=2), rand(n, seed=3)
    compare(F.prelu, TF.prelu, [x, w], backend)


def test_prelu_module_weight_gradient():
    m, tm = nn.PReLU(3, init=0.1, dtype=xp.float64), torch.nn.PReLU(3, init=0.1, dtype=torch.float64)
    x = rand(2, 3, 4)
    m(ag(x)).sum().backward()
    tm(torch.tensor(x)).sum().backward()
    np.testing.assert_allclose(host(m.weight.grad), tm.weight.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(host(m.weight), [0.1] * 3)


def test_activation_gradchecks():
    x = ag(rand(3, 4, low=-2.5, high=2.5), requires_grad=True)
    for fn in (F.selu, F.mish, F.softsign, F.tanhshrink, lambda t: F.celu(t, 0.7), lambda t: F.glu(t, 1),
               lambda t: F.softmin(t, 1)):
        assert gradcheck(fn, (x,))
    assert gradgradcheck(F.mish, (x,))
    assert gradgradcheck(lambda t: F.celu(t, 0.7), (x,))
    w = ag(rand(4, seed=1), requires_grad=True)
    assert gradcheck(F.prelu, (ag(rand(2, 4, 3, low=-2, high=2), requires_grad=True), w))


def test_activation_errors():
    with pytest.raises(RuntimeError, match="glu: halving dimension must be even.*size 3"):
        F.glu(ag(rand(2, 3)))
    with pytest.raises(RuntimeError, match="glu: does not support scalars"):
        F.glu(ag(np.array(1.0)))
    with pytest.raises(RuntimeError, match=r"prelu: weight must be 1-D with 1 or 3 .* got shape \(2,\)"):
        F.prelu(ag(rand(2, 3)), ag(rand(2)))
    with pytest.raises(RuntimeError, match="celu: alpha must not be 0"):
        F.celu(ag(rand(2)), 0.0)
    with pytest.raises(RuntimeError, match="softshrink: lambd must be greater or equal to 0, got -1"):
        F.softshrink(ag(rand(2)), -1.0)
    with pytest.raises(TypeError, match="selu: input must have a real floating-point dtype"):
        F.selu(xp.asarray([1, 2]))
    with pytest.raises(ValueError, match="PReLU: num_parameters must be an int >= 1"):
        nn.PReLU(0)


# ----- losses -----------------------------------------------------------------------------
def pm_ones(*shape, seed=4):
    return np.random.default_rng(seed).choice([-1.0, 1.0], size=shape)


@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
def test_kl_div_matches_torch(backend, reduction, log_target):
    x = np.log(rand(4, 5, low=0.05, high=1.0))
    t = np.log(rand(4, 5, seed=1, low=0.05, high=1.0)) if log_target else rand(4, 5, seed=1, low=0.0, high=1.0)
    kw = dict(reduction=reduction, log_target=log_target)
    compare(lambda a, b: F.kl_div(a, b, **kw), lambda a, b: TF.kl_div(a, b, **kw), [x, t], backend)


def test_kl_div_zero_target_and_broadcast():
    # target 0 adds 0 (xlogy), and its input gradient is 0; target broadcasts against input
    x, t = np.log(rand(3, 4, low=0.1, high=1.0)), rand(4, seed=2, low=0.0, high=1.0)
    t[1] = 0.0
    compare(lambda a: F.kl_div(a, ag(t), reduction="sum"),
            lambda a: TF.kl_div(a, torch.tensor(t), reduction="sum"), [x], None)
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(ag(x), ag(t))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5, 3), (3,), (0, 3)], ids=str)
@pytest.mark.parametrize("margin", [0.0, 0.3])
def test_cosine_embedding_loss_matches_torch(backend, reduction, shape, margin):
    x1, x2, t = rand(*shape), rand(*shape, seed=1), pm_ones(*shape[:-1])  # (0, 3): 'mean' is NaN on both sides
    kw = dict(margin=margin, reduction=reduction)
    compare(lambda a, b, y: F.cosine_embedding_loss(a, b, y, **kw),
            lambda a, b, y: TF.cosine_embedding_loss(a, b, y, **kw), [x1, x2], backend, consts=(t,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shapes", [((6,), (6,), (6,)), ((2, 3), (2, 3), (1, 3)), ((), (), ())], ids=str)
def test_margin_ranking_loss_matches_torch(backend, reduction, shapes):
    x1, x2, t = rand(*shapes[0]), rand(*shapes[1], seed=1), pm_ones(*shapes[2])
    kw = dict(margin=0.2, reduction=reduction)
    compare(lambda a, b, y: F.margin_ranking_loss(a, b, y, **kw),
            lambda a, b, y: TF.margin_ranking_loss(a, b, y, **kw), [x1, x2], backend, consts=(t,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [1.0, 0.5])
def test_hinge_embedding_loss_matches_torch(backend, reduction, margin):
    x, t = rand(4, 5, low=0.0, high=2.0), pm_ones(4, 5)
    kw = dict(margin=margin, reduction=reduction)
    compare(lambda a, y: F.hinge_embedding_loss(a, y, **kw), lambda a, y: TF.hinge_embedding_loss(a, y, **kw),
            [x], backend, consts=(t,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kwargs", [dict(), dict(p=1.0, margin=0.5), dict(swap=True, margin=2.0), dict(p=3.0)],
                         ids=str)
@pytest.mark.parametrize("shape", [(5, 4), (4,)], ids=str)
def test_triplet_margin_loss_matches_torch(backend, reduction, kwargs, shape):
    a, p, n = rand(*shape), rand(*shape, seed=1), rand(*shape, seed=2)
    compare(lambda *t: F.triplet_margin_loss(*t, reduction=reduction, **kwargs),
            lambda *t: TF.triplet_margin_loss(*t, reduction=reduction, **kwargs), [a, p, n], backend)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input, full", [(True, False), (False, False), (True, True), (False, True)])
def test_poisson_nll_loss_matches_torch(backend, reduction, log_input, full):
    x = rand(3, 4, low=-1.0, high=1.0) if log_input else rand(3, 4, low=0.1, high=3.0)
    t = np.floor(rand(3, 4, seed=1, low=0.0, high=5.0))
    t[0, 0], t[0, 1] = 1.0, 0.0  # Stirling's term is masked at target <= 1
    kw = dict(log_input=log_input, full=full, reduction=reduction)
    compare(lambda a, y: F.poisson_nll_loss(a, y, **kw), lambda a, y: TF.poisson_nll_loss(a, y, **kw),
            [x], backend, consts=(t,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("var_shape", [(4, 3), (4,), (4, 1), (1, 3)], ids=str)
@pytest.mark.parametrize("full", [False, True])
def test_gaussian_nll_loss_matches_torch(backend, reduction, var_shape, full):
    x, t = rand(4, 3), rand(4, 3, seed=1)
    v = rand(*var_shape, seed=2, low=0.0, high=2.0)
    v.flat[0] = 1e-8  # clamped to eps; the gradient still passes
    kw = dict(full=full, reduction=reduction)
    compare(lambda a, b, s: F.gaussian_nll_loss(a, b, s, **kw), lambda a, b, s: TF.gaussian_nll_loss(a, b, s, **kw),
            [x, t, v], backend)


def test_gaussian_nll_loss_float_var():
    x, t = rand(4, 3), rand(4, 3, seed=1)
    compare(lambda a, b: F.gaussian_nll_loss(a, b, 0.5), lambda a, b: TF.gaussian_nll_loss(a, b, 0.5), [x, t], None)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(4, 5), (5,), (0, 5)], ids=str)
@pytest.mark.parametrize("weighted", [False, True])
def test_multilabel_soft_margin_loss_matches_torch(backend, reduction, shape, weighted):
    x, t = rand(*shape, low=-3, high=3), (rand(*shape, seed=1) > 0).astype(float)
    w = rand(5, seed=2, low=0.1, high=2.0)
    consts = (w,) if weighted else ()
    compare(lambda a, y, *w: F.multilabel_soft_margin_loss(a, y, *w, reduction=reduction),
            lambda a, y, *w: TF.multilabel_soft_margin_loss(a, y, *w, reduction=reduction),
            [x], backend, consts=(t,) + consts)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p, margin", [(1, 1.0), (2, 1.0), (1, 0.3)])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin_loss_matches_torch(backend, reduction, p, margin, weighted):
    x, t = rand(6, 4), np.array([0, 3, 1, 1, 2, 0])
    kw = dict(p=p, margin=margin, reduction=reduction)
    if weighted:
        w = rand(4, seed=2, low=0.1, high=2.0)
        compare(lambda a, y: F.multi_margin_loss(a, y, weight=ag(w, backend), **kw),
                lambda a, y: TF.multi_margin_loss(a, y, weight=torch.tensor(w), **kw), [x], backend, ints=(t,))
    else:
        compare(lambda a, y: F.multi_margin_loss(a, y, **kw), lambda a, y: TF.multi_margin_loss(a, y, **kw),
                [x], backend, ints=(t,))


def test_multi_margin_loss_unbatched():
    x = rand(4)
    for t in (np.array(2), np.array([2])):
        compare(lambda a, y: F.multi_margin_loss(a, y, reduction="none"),
                lambda a, y: TF.multi_margin_loss(a, y, reduction="none"), [x], None, ints=(t,))


def test_loss_gradchecks():
    x = ag(np.log(rand(3, 4, low=0.1, high=1.0)), requires_grad=True)
    t = ag(rand(3, 4, seed=1, low=0.1, high=1.0), requires_grad=True)
    assert gradcheck(lambda a, b: F.kl_div(a, b, reduction="batchmean"), (x, t))
    assert gradgradcheck(lambda a, b: F.kl_div(a, b, reduction="batchmean"), (x, t))
    v = ag(rand(3, 4, seed=2, low=0.5, high=2.0), requires_grad=True)
    assert gradcheck(lambda a, b, s: F.gaussian_nll_loss(a, b, s), (x, t, v))
    assert gradgradcheck(lambda a, b, s: F.gaussian_nll_loss(a, b, s), (x, t, v))
    assert gradcheck(lambda a, b: F.poisson_nll_loss(a, b, full=True), (x, t))
    assert gradcheck(lambda a, b: F.multilabel_soft_margin_loss(a, b), (x, t))


@pytest.mark.parametrize("size_average, reduce", [(False, None), (None, False), (True, True)])
def test_loss_modules_take_legacy_flags(size_average, reduce):
    x, t = rand(3, 4), pm_ones(3, 4)
    for ours, theirs in [(nn.HingeEmbeddingLoss, torch.nn.HingeEmbeddingLoss),
                         (nn.MultiLabelSoftMarginLoss, torch.nn.MultiLabelSoftMarginLoss)]:
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            m = ours(size_average=size_average, reduce=reduce)
        with pytest.warns(UserWarning):
            tm = theirs(size_average=size_average, reduce=reduce)
        assert m.reduction == tm.reduction
        np.testing.assert_allclose(host(m(ag(x), ag(t))), tm(torch.tensor(x), torch.tensor(t)).numpy(), rtol=1e-12)


LOSS_MODULES = [
    ("KLDivLoss(reduction='batchmean', log_target=True)", 2), ("KLDivLoss()", 2),
    ("CosineEmbeddingLoss(margin=0.2, reduction='sum')", 3), ("MarginRankingLoss(margin=0.1)", 3),
    ("HingeEmbeddingLoss(margin=0.5, reduction='none')", 2), ("TripletMarginLoss(p=1.0, swap=True)", 3),
    ("PoissonNLLLoss(log_input=False, full=True)", 2), ("GaussianNLLLoss(full=True, eps=1e-3)", 3),
    ("MultiLabelSoftMarginLoss()", 2), ("MultiMarginLoss(p=2, margin=0.5)", 2),
]


@pytest.mark.parametrize("spec, n_args", LOSS_MODULES, ids=[s for s, _ in LOSS_MODULES])
def test_loss_modules_match_torch(spec, n_args):
    ours, theirs = eval("nn." + spec), eval("torch.nn." + spec)
    assert repr(ours) == repr(theirs) and ours.reduction == theirs.reduction
    name = spec.split("(")[0]
    x = rand(4, 3, low=0.1, high=1.0)
    args = {"CosineEmbeddingLoss": [x, rand(4, 3, seed=1), pm_ones(4)], "MarginRankingLoss": [x[0], x[1], pm_ones(3)],
            "TripletMarginLoss": [x, rand(4, 3, seed=1), rand(4, 3, seed=2)],
            "GaussianNLLLoss": [x, rand(4, 3, seed=1), rand(4, 3, seed=2, low=0.1)],
            "MultiMarginLoss": [x, np.array([0, 2, 1, 1])], "MultiLabelSoftMarginLoss": [x, (x > 0.5) * 1.0],
            "HingeEmbeddingLoss": [x, pm_ones(4, 3)]}.get(name, [x, rand(4, 3, seed=1, low=0.1)])
    assert len(args) == n_args
    out = ours(*[ag(a) for a in args])
    np.testing.assert_allclose(host(out), theirs(*[torch.tensor(a) for a in args]).numpy(), rtol=1e-10)


def test_loss_errors():
    x = ag(rand(3, 4))
    with pytest.raises(ValueError, match="kl_div: reduction must be one of"):
        F.kl_div(x, x, reduction="batch")
    with pytest.raises(ValueError, match="KLDivLoss: reduction must be one of"):
        nn.KLDivLoss(reduction="average")
    with pytest.raises(ValueError, match="MSELoss: reduction must be one of"):
        nn.MSELoss(reduction="batchmean")  # only kl_div has 'batchmean'
    with pytest.raises(RuntimeError, match=r"cosine_embedding_loss: .*target \(3, 4\) one dimension less"):
        F.cosine_embedding_loss(x, x, x)
    with pytest.raises(RuntimeError, match="cosine_embedding_loss: expected 1 or 2-D inputs"):
        F.cosine_embedding_loss(ag(rand(2, 3, 4)), ag(rand(2, 3, 4)), ag(rand(2, 3)))
    with pytest.raises(RuntimeError, match="margin_ranking_loss: all input tensors should have the same dimension"):
        F.margin_ranking_loss(x, x, ag(rand(4)))
    with pytest.raises(RuntimeError, match=r"triplet_margin_loss: .*anchor \(3, 4\), positive \(4,\)"):
        F.triplet_margin_loss(x, ag(rand(4)), x)
    with pytest.raises(ValueError, match="triplet_margin_loss: margin must be greater than 0, got 0"):
        F.triplet_margin_loss(x, x, x, margin=0)
    with pytest.raises(ValueError, match="TripletMarginLoss: expected margin to be greater than 0"):
        nn.TripletMarginLoss(margin=-1.0)
    with pytest.raises(ValueError, match=r"gaussian_nll_loss: var is of incorrect size: \(2, 4\)"):
        F.gaussian_nll_loss(x, x, ag(rand(2, 4, low=0.1)))
    with pytest.raises(ValueError, match="gaussian_nll_loss: var has negative"):
        F.gaussian_nll_loss(x, x, -1.0)
    with pytest.raises(ValueError, match="gaussian_nll_loss: var has negative"):
        F.gaussian_nll_loss(x, x, x - 10)  # a tensor too (PyTorch checks before the shapes)
    with pytest.raises(ValueError, match="gaussian_nll_loss: reduction must be one of"):
        F.gaussian_nll_loss(x, x, x * x + 0.1, reduction="avg")
    t = xp.asarray([0, 1, 2])
    with pytest.raises(ValueError, match="multi_margin_loss: only p == 1 and p == 2 supported, got 3"):
        F.multi_margin_loss(x, t, p=3)
    with pytest.raises(ValueError, match="MultiMarginLoss: only p == 1 and p == 2 supported"):
        nn.MultiMarginLoss(p=0)
    with pytest.raises(RuntimeError, match=r"multi_margin_loss: inconsistent target size \(2,\)"):
        F.multi_margin_loss(x, xp.asarray([0, 1]))
    with pytest.raises(TypeError, match="multi_margin_loss: target must hold class indices"):
        F.multi_margin_loss(x, ag(rand(3)))
    with pytest.raises(ValueError, match="multi_margin_loss: weight must be one-dimensional"):
        F.multi_margin_loss(x, t, weight=ag(rand(2, 2)))
    with pytest.raises(ValueError, match="hinge_embedding_loss: reduction must be one of"):
        F.hinge_embedding_loss(x, x, reduction="batchmean")


# ----- padding, distances, pixel shuffle, upsampling, bilinear -----------------------------
PADS = [
    ("ZeroPad2d(2)", (2, 3, 4, 5)), ("ZeroPad2d((1, 0, 2, 3))", (3, 4, 5)), ("ZeroPad2d((-1, 1, 0, -2))", (1, 2, 4, 5)),
    ("ConstantPad1d(2, 3.5)", (2, 3, 4)), ("ConstantPad1d((0, 3), -1.0)", (3, 4)),
    ("ConstantPad2d((1, 2, 0, 1), 0.5)", (2, 3, 4, 5)), ("ReflectionPad1d(2)", (2, 3, 4)),
    ("ReflectionPad1d((3, 1))", (3, 5)), ("ReflectionPad2d(1)", (2, 3, 4, 5)),
    ("ReflectionPad2d((2, 0, 1, 3))", (3, 4, 5)),
    ("ReplicationPad1d((1, 4))", (2, 3, 4)), ("ReplicationPad2d(2)", (2, 3, 4, 5)),
    ("ReplicationPad2d((0, 1, 3, 2))", (3, 4, 5)), ("ReplicationPad2d(1)", (0, 3, 4, 5)),
]


@pytest.mark.parametrize("spec, shape", PADS, ids=[s + str(shape) for s, shape in PADS])
def test_padding_modules_match_torch(backend, spec, shape):
    ours, theirs = eval("nn." + spec), eval("torch.nn." + spec)
    assert repr(ours) == repr(theirs)
    compare(ours, theirs, [rand(*shape)], backend)


def test_padding_module_errors():
    with pytest.raises(RuntimeError, match=r"ReflectionPad2d: expected a 3-D or 4-D .* got shape \(4, 5\)"):
        nn.ReflectionPad2d(1)(ag(rand(4, 5)))
    with pytest.raises(TypeError, match=r"ZeroPad2d: padding must be an int or an even number of ints, "
                                        r"at most 4, got \(1, 2, 3\)"):
        nn.ZeroPad2d((1, 2, 3))
    assert nn.ZeroPad2d((1, 2))(ag(rand(1, 2, 2))).shape == (1, 2, 5)  # the last dimension only, as PyTorch
    with pytest.raises(ValueError, match="pad: padding size should be less than"):
        nn.ReflectionPad1d(3)(ag(rand(2, 3)))


@pytest.mark.parametrize("kwargs", [dict(), dict(p=1.0), dict(p=3.0, keepdim=True), dict(p=float("inf")),
                                    dict(eps=0.1)], ids=str)
@pytest.mark.parametrize("shapes", [((5, 4), (5, 4)), ((4,), (4,)), ((3, 1, 4), (2, 4))], ids=str)
def test_pairwise_distance_matches_torch(backend, kwargs, shapes):
    x1, x2 = rand(*shapes[0]), rand(*shapes[1], seed=1)
    compare(lambda a, b: F.pairwise_distance(a, b, **kwargs), lambda a, b: TF.pairwise_distance(a, b, **kwargs),
            [x1, x2], backend)
    m, tm = nn.PairwiseDistance(**kwargs), torch.nn.PairwiseDistance(**kwargs)
    assert repr(m) == repr(tm)
    compare(m, tm, [x1, x2], None)


@pytest.mark.parametrize("dim", [1, -1, 0])
def test_cosine_similarity_module_matches_torch(backend, dim):
    m, tm = nn.CosineSimilarity(dim, eps=1e-6), torch.nn.CosineSimilarity(dim, eps=1e-6)
    assert repr(m) == repr(tm)
    compare(m, tm, [rand(3, 4, 2), rand(3, 4, 2, seed=1)], backend)


@pytest.mark.parametrize("shape, r", [((2, 8, 3, 4), 2), ((9, 2, 2), 3), ((2, 1, 4, 5, 3), 1), ((0, 4, 2, 2), 2)],
                         ids=str)
def test_pixel_shuffle_matches_torch(backend, shape, r):
    x = rand(*shape)
    if shape[0] == 0:  # PyTorch's backward fails on an empty batch: values only
        out = F.pixel_shuffle(ag(x, backend), r)
        assert out.shape == TF.pixel_shuffle(torch.tensor(x), r).shape
    else:
        out = compare(lambda t: F.pixel_shuffle(t, r), lambda t: TF.pixel_shuffle(t, r), [x], backend)
    back = F.pixel_unshuffle(out, r)
    np.testing.assert_array_equal(host(back), x)
    m, tm = nn.PixelShuffle(r), torch.nn.PixelShuffle(r)
    assert repr(m) == repr(tm)


@pytest.mark.parametrize("shape, r", [((2, 3, 4, 6), 2), ((1, 6, 3), 3), ((2, 2, 4, 4), 4)], ids=str)
def test_pixel_unshuffle_matches_torch(backend, shape, r):
    compare(lambda t: F.pixel_unshuffle(t, r), lambda t: TF.pixel_unshuffle(t, r), [rand(*shape)], backend)
    assert repr(nn.PixelUnshuffle(r)) == repr(torch.nn.PixelUnshuffle(r))


def test_pixel_shuffle_errors():
    with pytest.raises(RuntimeError, match=r"pixel_shuffle: the channel dimension \(input.size\(-3\)=5\)"):
        F.pixel_shuffle(ag(rand(1, 5, 2, 2)), 2)
    with pytest.raises(RuntimeError, match="pixel_shuffle: expected an input with at least 3 dimensions"):
        F.pixel_shuffle(ag(rand(4, 4)), 2)
    with pytest.raises(RuntimeError, match="pixel_unshuffle: expected a positive int downscale_factor, got 0"):
        F.pixel_unshuffle(ag(rand(1, 4, 4)), 0)
    with pytest.raises(RuntimeError, match=r"pixel_unshuffle: the height \(3\) and width \(4\)"):
        F.pixel_unshuffle(ag(rand(1, 3, 4)), 2)


UPSAMPLERS = ["UpsamplingNearest2d(scale_factor=2)", "UpsamplingNearest2d(size=(5, 3))",
              "UpsamplingBilinear2d(scale_factor=2)", "UpsamplingBilinear2d(size=(7, 5))",
              "UpsamplingBilinear2d(size=3)"]


@pytest.mark.parametrize("spec", UPSAMPLERS)
def test_upsampling_modules_match_torch(backend, spec):
    ours, theirs = eval("nn." + spec), eval("torch.nn." + spec)
    assert repr(ours) == repr(theirs)
    assert theirs.align_corners == ours.align_corners
    compare(ours, theirs, [rand(2, 3, 4, 3)], backend)


@pytest.mark.parametrize("shapes", [((5, 3), (5, 4)), ((3,), (4,)), ((2, 3, 3), (2, 3, 4)), ((0, 3), (0, 4))],
                         ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_matches_torch(backend, shapes, bias):
    arrays = [rand(*shapes[0]), rand(*shapes[1], seed=1), rand(2, 3, 4, seed=2)] + ([rand(2, seed=3)] if bias else [])
    compare(F.bilinear, TF.bilinear, arrays, backend)


def test_bilinear_module_parameters_and_gradcheck():
    m, tm = nn.Bilinear(3, 4, 2, dtype=xp.float64), torch.nn.Bilinear(3, 4, 2, dtype=torch.float64)
    assert repr(m) == repr(tm)
    assert repr(nn.Bilinear(1, 2, 3, bias=False)) == repr(torch.nn.Bilinear(1, 2, 3, bias=False))
    assert float(xp.max(xp.abs(m.weight))) <= 1 / np.sqrt(3) and m.bias.shape == (2,)
    with torch.no_grad():
        tm.weight.copy_(torch.tensor(host(m.weight)))
        tm.bias.copy_(torch.tensor(host(m.bias)))
    x1, x2 = rand(5, 3), rand(5, 4, seed=1)
    m(ag(x1), ag(x2)).sum().backward()
    tm(torch.tensor(x1), torch.tensor(x2)).sum().backward()
    np.testing.assert_allclose(host(m.weight.grad), tm.weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(host(m.bias.grad), tm.bias.grad.numpy(), rtol=1e-10)
    args = (ag(x1, requires_grad=True), ag(x2, requires_grad=True), ag(rand(2, 3, 4, seed=2), requires_grad=True))
    assert gradcheck(F.bilinear, args)
    assert gradcheck(lambda t: F.pixel_shuffle(t, 2), (ag(rand(1, 4, 2, 3), requires_grad=True),))
    with pytest.raises(RuntimeError, match=r"bilinear: input1 \(5, 3\) and input2 \(4, 4\) must share"):
        F.bilinear(ag(x1), ag(rand(4, 4)), m.weight)


# ----- module reprs -----------------------------------------------------------------------
REPRS = ["SELU()", "SELU(inplace=True)", "CELU()", "CELU(alpha=2.0, inplace=True)", "Mish()", "Mish(inplace=True)",
         "Softmin()", "Softmin(dim=1)", "Softsign()", "Hardswish()", "Hardsigmoid(inplace=True)", "GLU()", "GLU(dim=0)",
         "PReLU()", "PReLU(3, init=0.1)", "Threshold(0.1, 20)", "Threshold(0.1, 2.0, inplace=True)", "Tanhshrink()",
         "Softshrink()", "Hardshrink(0.3)", "CosineSimilarity()", "PairwiseDistance(p=1.0)",
         "MultiMarginLoss(weight=None)", "GaussianNLLLoss()"]


@pytest.mark.parametrize("spec", REPRS)
def test_module_reprs_match_torch(spec):
    assert repr(eval("nn." + spec)) == repr(eval("torch.nn." + spec))


@pytest.mark.parametrize("spec", ["SELU()", "CELU(alpha=0.5)", "Mish()", "Softmin(dim=0)", "Softsign()",
                                  "Hardswish()", "Hardsigmoid()", "GLU(dim=1)", "Threshold(0.2, -1.0)",
                                  "Tanhshrink()", "Softshrink(0.3)", "Hardshrink(0.3)"])
def test_activation_modules_match_torch(spec):
    compare(eval("nn." + spec), eval("torch.nn." + spec), [rand(3, 4, low=-4, high=4)], None, atol=1e-8)


def test_new_names_are_exported():
    for name in ["selu", "celu", "mish", "softmin", "softsign", "hardswish", "hardsigmoid", "glu", "prelu",
                 "threshold", "tanhshrink", "softshrink", "hardshrink", "relu_", "kl_div", "cosine_embedding_loss",
                 "margin_ranking_loss", "hinge_embedding_loss", "triplet_margin_loss", "poisson_nll_loss",
                 "gaussian_nll_loss", "multilabel_soft_margin_loss", "multi_margin_loss", "pairwise_distance",
                 "pixel_shuffle", "pixel_unshuffle", "bilinear"]:
        assert name in F.__all__ and callable(getattr(F, name)) and hasattr(TF, name)
    for name in nn.__all__:
        assert hasattr(nn, name) and (name in ("functional", "init", "utils") or hasattr(torch.nn, name)), name


def test_hinge_ties_get_clamp_mins_gradient():
    # at max(0, z) with z = 0 the whole gradient passes (clamp_min's), where maximum would halve it
    x = np.array([1.0, 2.0, -0.5])
    compare(lambda a, y: F.margin_ranking_loss(a, ag(x), y, reduction="sum"),
            lambda a, y: TF.margin_ranking_loss(a, torch.tensor(x), y, reduction="sum"), [x], None,
            consts=(np.array([1.0, -1.0, 1.0]),))
