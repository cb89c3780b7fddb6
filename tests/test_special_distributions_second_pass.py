"""Second pass over arraygrad.special and arraygrad.distributions against torch (and SciPy
for SciPy's calling conventions): each test here is the regression test of a fix or a
cross-check of edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

import arraygrad as ag
import arraygrad.special as S

torch = pytest.importorskip("torch")
sc = pytest.importorskip("scipy.special")


@pytest.fixture(params=["numpy", "strict"])
def dev(request):
    return ag.device("cpu", backend=request.param)


def _np(t):
    return np.asarray(t.detach())


# ----------------------------------------------------------------------------------------
# polygamma with an integer Tensor of orders (SciPy's convention)
# ----------------------------------------------------------------------------------------
_N = np.array([[0], [1], [2], [3], [-1], [7], [-12]])
_X = np.array([0.5, 1.5, -2.3, 3.0, 25.0, 0.0, -1.0, np.inf, -np.inf, np.nan, 1e-3, -0.7])


@pytest.mark.parametrize("dtype", [ag.float64, ag.float32])
def test_polygamma_tensor_orders_vs_scipy(dev, dtype):
    n = ag.asarray(_N, device=dev)
    x = ag.asarray(_X, dtype=dtype, device=dev)
    r = S.polygamma(n, x)
    assert r.dtype == dtype and r.shape == (7, 12)
    ref = sc.polygamma(_N, _X)
    rtol = 1e-10 if dtype == ag.float64 else 1e-5
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(_np(r), ref.astype(_np(r).dtype), rtol=rtol, equal_nan=True)
    # 0-d orders (SciPy passes 0-d arrays), negative ones give nan (SciPy's value)
    r0 = S.polygamma(ag.asarray(-12, device=dev), ag.asarray(0.5, dtype=dtype, device=dev))
    assert r0.shape == () and math.isnan(float(r0))
    r1 = S.polygamma(ag.asarray(2, device=dev), ag.asarray([0.5, 2.0], dtype=dtype, device=dev))
    np.testing.assert_allclose(_np(r1), sc.polygamma(2, [0.5, 2.0]), rtol=rtol)


def test_polygamma_tensor_orders_int_input_and_dtypes(dev):
    n = ag.asarray(np.array([1, 2], dtype=np.int32), device=dev)
    r = S.polygamma(n, ag.asarray([[3], [4]], device=dev))  # integer x: the default float
    assert r.dtype == ag.get_default_dtype()
    np.testing.assert_allclose(_np(r), sc.polygamma([1, 2], [[3.0], [4.0]]), rtol=1e-6)
    with pytest.raises(TypeError):
        S.polygamma(ag.asarray([1.0], device=dev), ag.asarray([1.0], device=dev))


def test_polygamma_tensor_orders_grad(dev):
    n = ag.asarray(np.array([[0], [1], [2], [4]]), device=dev)
    xs = np.array([0.5, 1.5, -2.3, 3.0])
    x = ag.asarray(xs, dtype=ag.float64, device=dev, requires_grad=True)
    S.polygamma(n, x).sum().backward()
    np.testing.assert_allclose(_np(x.grad), sc.polygamma(np.array([[1], [2], [3], [5]]), xs).sum(0),
                               rtol=1e-10)
    assert not n.requires_grad
    # second derivative
    x2 = ag.asarray(xs, dtype=ag.float64, device=dev, requires_grad=True)
    (g,) = ag.autograd.grad(S.polygamma(ag.asarray([1, 2, 1, 2], device=dev), x2).sum(), x2,
                            create_graph=True)
    (gg,) = ag.autograd.grad(g.sum(), x2)
    np.testing.assert_allclose(_np(gg), sc.polygamma([3, 4, 3, 4], xs), rtol=1e-10)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 6])
def test_polygamma_int_order_vs_torch(dev, n):
    xs = np.array([0.3, 1.5, 4.0, 30.0, -2.5, -0.25])
    x = ag.asarray(xs, dtype=ag.float64, device=dev, requires_grad=True)
    tx = torch.tensor(xs, requires_grad=True)
    r, tr = S.polygamma(n, x), torch.special.polygamma(n, tx)
    np.testing.assert_allclose(_np(r), tr.detach().numpy(), rtol=1e-9)
    r.sum().backward()
    tr.sum().backward()
    np.testing.assert_allclose(_np(x.grad), tx.grad.numpy(), rtol=1e-9)
    with pytest.raises(RuntimeError):
        S.polygamma(-1, x)


# ----------------------------------------------------------------------------------------
# distributions against torch.distributions
# ----------------------------------------------------------------------------------------
import arraygrad.distributions as D  # noqa: E402
import torch.distributions as TD  # noqa: E402


def _pair(a, requires_grad=False):
    a = np.asarray(a, dtype=np.float64)
    return (ag.tensor(a.tolist(), dtype=ag.float64, requires_grad=requires_grad),
            torch.tensor(a, dtype=torch.float64, requires_grad=requires_grad))


def _close(ours, theirs, rtol=1e-9, atol=1e-12):
    o = _np(ours)
    t = theirs.detach().numpy()
    assert o.shape == t.shape, (o.shape, t.shape)
    np.testing.assert_allclose(o, t, rtol=rtol, atol=atol, equal_nan=True)


def test_geometric_zero_probs_rejected_under_validation():
    # torch's extra check beyond unit_interval: probs must be positive
    with pytest.raises(ValueError):
        TD.Geometric(torch.tensor([0.0, 0.5]), validate_args=True)
    with pytest.raises(ValueError, match="positive"):
        D.Geometric(ag.tensor([0.0, 0.5]), validate_args=True)
    D.Geometric(ag.tensor([0.0, 0.5]), validate_args=False)
    D.Geometric(logits=ag.tensor([-50.0, 0.0]), validate_args=True)
    D.Geometric(ag.tensor([1.0, 0.5]), validate_args=True)


_CB = {"ContinuousBernoulli": ([0.2, 0.4999, 0.7],), "Normal": ([0.1, -0.5, 2.0], [0.5, 1.0, 2.0]),
       "Exponential": ([0.5, 1.0, 3.0],), "Uniform": ([-0.1, 0.0, -1.0], [1.2, 1.0, 0.9]),
       "Beta": ([0.5, 1.0, 3.0], [2.0, 1.0, 0.7]), "Pareto": ([0.5, 1.0, 3.0], [2.0, 1.0, 0.7]),
       "Laplace": ([0.1, -0.5, 2.0], [0.5, 1.0, 2.0]), "Gumbel": ([0.1, -0.5, 2.0], [0.5, 1.0, 2.0]),
       "Gamma": ([0.5, 1.0, 3.0], [2.0, 1.0, 0.7])}
_CB_PAIRS = [("ContinuousBernoulli", "ContinuousBernoulli"), ("ContinuousBernoulli", "Normal"),
             ("ContinuousBernoulli", "Exponential"), ("ContinuousBernoulli", "Uniform"),
             ("ContinuousBernoulli", "Pareto"), ("Beta", "ContinuousBernoulli"),
             ("Uniform", "ContinuousBernoulli"), ("Normal", "ContinuousBernoulli"),
             ("Exponential", "ContinuousBernoulli"), ("Laplace", "ContinuousBernoulli"),
             ("Gumbel", "ContinuousBernoulli"), ("Pareto", "ContinuousBernoulli"),
             ("Gamma", "ContinuousBernoulli")]


@pytest.mark.parametrize("p_name,q_name", _CB_PAIRS)
def test_kl_continuous_bernoulli_pairs(p_name, q_name):
    def make(name, shift):
        params = [np.asarray(v) for v in _CB[name]]
        if name == "Uniform" and shift:  # p inside [0, 1] for some, outside for others
            params = [np.array([0.1, 0.0, 0.2]), np.array([0.8, 0.9, 1.0])]
        pairs = [_pair(v, requires_grad=True) for v in params]
        return (getattr(D, name)(*[a for a, _ in pairs]), getattr(TD, name)(*[t for _, t in pairs]),
                [a for a, _ in pairs], [t for _, t in pairs])

    pa, pt, la_p, lt_p = make(p_name, True)
    qa, qt, la_q, lt_q = make(q_name, False)
    ka, kt = D.kl_divergence(pa, qa), TD.kl_divergence(pt, qt)
    _close(ka, kt, rtol=1e-8)
    finite = np.isfinite(kt.detach().numpy())
    if finite.any() and kt.requires_grad:
        ga = ag.autograd.grad(ka[ag.tensor(finite.tolist())].sum(), la_p + la_q, allow_unused=True)
        gt = torch.autograd.grad(kt[torch.tensor(finite)].sum(), lt_p + lt_q, allow_unused=True)
        for x, y in zip(ga, gt):
            if y is not None:
                _close(x, y, rtol=1e-7, atol=1e-10)


def test_inverse_transform_repr():
    assert repr(D.transforms.ExpTransform().inv) == repr(TD.transforms.ExpTransform().inv) \
        == "_InverseTransform(ExpTransform())"
    assert repr(D.transforms.SigmoidTransform().inv.inv) == "SigmoidTransform()"


def test_multinomial_support_constraint():
    from arraygrad.distributions import constraints as C

    d = D.Multinomial(3, ag.tensor([0.2, 0.8]))
    t = TD.Multinomial(3, torch.tensor([0.2, 0.8]))
    assert repr(d.support) == repr(t.support) == "Multinomial()"
    assert d.support.event_dim == 1 and d.support.is_discrete
    x = [[1.0, 2.0], [3.0, 1.0], [-1.0, 2.0]]
    assert _np(d.support.check(ag.tensor(x))).tolist() == t.support.check(torch.tensor(x)).tolist()
    assert isinstance(C.multinomial(3), C.Constraint) and "multinomial" in C.__all__
    with pytest.raises(ValueError):
        D.Multinomial(3, ag.tensor([0.2, 0.8]), validate_args=True).log_prob(ag.tensor([3.0, 1.0]))


def test_mixture_same_family_support_constraint():
    def build(lib, M):
        return M.MixtureSameFamily(
            M.Categorical(lib.tensor([[0.3, 0.7], [0.5, 0.5]])),
            M.Uniform(lib.tensor([[0.0, 1.0], [0.0, 0.5]]), lib.tensor([[2.0, 3.0], [1.0, 4.0]])),
            validate_args=True)

    a, t = build(ag, D), build(torch, TD)
    assert repr(a.support).replace("arraygrad", "torch") == repr(t.support)
    assert repr(a.support).startswith("MixtureSameFamilyConstraint(Interval(")
    x = [[1.5, 0.7], [0.5, 0.2], [2.5, 0.7]]
    assert _np(a.support.check(ag.tensor(x))).tolist() == t.support.check(torch.tensor(x)).tolist()
    v = [[1.5, 0.7], [1.2, 0.8]]
    _close(a.log_prob(ag.tensor(v)), t.log_prob(torch.tensor(v)), rtol=1e-6)
    with pytest.raises(ValueError):
        t.log_prob(torch.tensor([[0.5, 0.9]]))
    with pytest.raises(ValueError):
        a.log_prob(ag.tensor([[0.5, 0.9]]))
    # an event-shaped component: the constraint keeps its event_dim
    m2 = D.MixtureSameFamily(D.Categorical(ag.tensor([0.3, 0.7])),
                             D.Independent(D.Normal(ag.zeros(2, 3), ag.ones(2, 3)), 1))
    assert repr(m2.support) == "MixtureSameFamilyConstraint(IndependentConstraint(Real(), 1))"
    assert m2.support.event_dim == 1
    assert _np(m2.support.check(ag.zeros(4, 3))).tolist() == [True] * 4


# ----------------------------------------------------------------------------------------
# ndtr: an op with the exact derivative (the composite's was 0 at x = 0, nan at +-inf)
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_ndtr_values_and_grad_vs_torch(dev, dtype):
    xs = np.array([-np.inf, -40.0, -10.5, -3.0, -1.0, -1e-300, -0.0, 0.0, 1e-300, 0.7, 3.0, 9.0,
                   np.inf, np.nan]).astype(dtype)
    x = ag.asarray(xs, dtype=getattr(ag, dtype), device=dev, requires_grad=True)
    tx = torch.tensor(xs, requires_grad=True)
    r, tr = S.ndtr(x), torch.special.ndtr(tx)
    assert r.dtype == getattr(ag, dtype) and type(r.grad_fn).__name__ == "SpecialNdtrBackward0"
    # ours keeps relative accuracy below -8.3 where torch's gives 0 (documented)
    ref = sc.ndtr(xs.astype(np.float64))
    np.testing.assert_allclose(_np(r), ref.astype(dtype), rtol=1e-12 if dtype == "float64" else 1e-6,
                               atol=0, equal_nan=True)
    tail = xs > -8
    np.testing.assert_allclose(_np(r)[tail], tr.detach().numpy()[tail],
                               rtol=1e-7 if dtype == "float64" else 5e-6, atol=1e-15)
    (g,) = ag.autograd.grad(r.sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad(tr.sum(), tx, create_graph=True)
    rt = 1e-9 if dtype == "float64" else 2e-5
    np.testing.assert_allclose(_np(g), tg.detach().numpy(), rtol=rt, atol=1e-30, equal_nan=True)
    assert _np(g)[7] == pytest.approx(1 / math.sqrt(2 * math.pi))
    (gg,) = ag.autograd.grad(g.sum(), x)
    (tgg,) = torch.autograd.grad(tg.sum(), tx)
    np.testing.assert_allclose(_np(gg), tgg.numpy(), rtol=rt, atol=1e-30, equal_nan=True)


def test_ndtr_integer_input_promotes():
    r = S.ndtr(ag.tensor([0, 1, -2]))
    t = torch.special.ndtr(torch.tensor([0, 1, -2]))
    assert str(r.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    np.testing.assert_allclose(_np(r), t.numpy(), rtol=1e-6)


# ----------------------------------------------------------------------------------------
# InverseGamma, LogisticNormal, OneHotCategoricalStraightThrough (PyTorch's, were missing)
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("validate", [False, True])
def test_inverse_gamma_vs_torch(validate):
    (ca, ct), (ra, rt) = _pair([0.5, 1.5, 3.0], True), _pair([0.5, 1.0, 2.0], True)
    a = D.InverseGamma(ca, ra, validate_args=validate)
    t = TD.InverseGamma(ct, rt, validate_args=validate)
    assert repr(a).replace("arraygrad", "torch") == repr(t)
    for prop in ("mean", "mode", "variance"):
        _close(getattr(a, prop), getattr(t, prop))
    va, vt = _pair([[0.5, 1.0, 3.0], [0.2, 5.0, 1e-3]])
    la, lt = a.log_prob(va), t.log_prob(vt)
    _close(la, lt)
    _close(a.cdf(va), t.cdf(vt))
    _close(a.entropy(), t.entropy())
    ga = ag.autograd.grad((la.sum() + a.entropy().sum()), [ca, ra])
    gt = torch.autograd.grad((lt.sum() + t.entropy().sum()), [ct, rt])
    for x, y in zip(ga, gt):
        _close(x, y, rtol=1e-8)
    assert a.rsample((4,)).shape == (4, 3) and a.rsample((4,)).requires_grad
    assert a.expand((2, 3)).batch_shape == (2, 3) and type(a.expand((2, 3))) is D.InverseGamma
    _close(D.kl_divergence(a, D.InverseGamma(ag.tensor([1.0, 2.0, 3.0], dtype=ag.float64), 1.0)),
           TD.kl_divergence(t, TD.InverseGamma(torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64), 1.0)))
    if validate:
        with pytest.raises(ValueError):
            a.log_prob(ag.tensor([-1.0, 1.0, 1.0], dtype=ag.float64))


def test_logistic_normal_vs_torch():
    rng = np.random.default_rng(3)
    (la_, lt_), (sa, st) = _pair(rng.normal(size=(2, 3)), True), _pair(rng.uniform(0.5, 2, (2, 3)), True)
    a, t = D.LogisticNormal(la_, sa), TD.LogisticNormal(lt_, st)
    assert a.batch_shape == t.batch_shape and a.event_shape == t.event_shape == (4,)
    assert repr(a).replace("arraygrad", "torch") == repr(t)
    va, vt = _pair(rng.dirichlet(np.ones(4), size=(5, 2)))
    lpa, lpt = a.log_prob(va), t.log_prob(vt)
    _close(lpa, lpt)
    for x, y in zip(ag.autograd.grad(lpa.sum(), [la_, sa]), torch.autograd.grad(lpt.sum(), [lt_, st])):
        _close(x, y, rtol=1e-8)
    s = a.rsample((7,))
    assert s.shape == (7, 2, 4) and s.requires_grad
    np.testing.assert_allclose(_np(s.sum(-1)), 1.0, rtol=1e-12)
    e = a.expand((3, 2))
    assert type(e) is D.LogisticNormal and e.batch_shape == (3, 2)
    # a scalar loc: the base gets batch shape (1,), the event (2,) as in torch
    a0, t0 = D.LogisticNormal(0.3, 1.2), TD.LogisticNormal(0.3, 1.2)
    assert a0.event_shape == t0.event_shape == (2,)
    _close(a0.log_prob(ag.tensor([0.3, 0.7])), t0.log_prob(torch.tensor([0.3, 0.7])), rtol=1e-4, atol=1e-6)


def test_one_hot_categorical_straight_through():
    pa, pt = _pair([[0.2, 0.8], [0.6, 0.4]], True)
    a, t = D.OneHotCategoricalStraightThrough(pa), TD.OneHotCategoricalStraightThrough(pt)
    assert a.has_rsample and repr(a).replace("arraygrad", "torch") == repr(t)
    s = a.rsample((3,))
    assert s.shape == (3, 2, 2) and s.requires_grad
    assert set(np.unique(_np(s)).tolist()) <= {0.0, 1.0}
    w = [1.0, 2.0]
    (s * ag.tensor(w, dtype=ag.float64)).sum().backward()
    (t.rsample((3,)) * torch.tensor(w, dtype=torch.float64)).sum().backward()
    _close(pa.grad, pt.grad)  # the gradient does not depend on the drawn sample
    _close(a.log_prob(ag.tensor([[0.0, 1.0], [1.0, 0.0]])), t.log_prob(torch.tensor([[0.0, 1.0], [1.0, 0.0]])))


@pytest.fixture
def torch_float64_default():
    # torch's GeneralizedPareto compares concentration with a default-dtype 0: float64
    # parameters need a float64 default there
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


@pytest.mark.parametrize("validate", [False, True])
def test_generalized_pareto_vs_torch(torch_float64_default, validate):
    (la, lt), (sa, st), (ca, ct) = (_pair([0.0, 1.0, -1.0, 0.5], True), _pair([1.0, 0.5, 2.0, 1.0], True),
                                    _pair([0.0, 0.3, -0.4, 1e-9], True))
    a = D.GeneralizedPareto(la, sa, ca, validate_args=validate)
    t = TD.GeneralizedPareto(lt, st, ct, validate_args=validate)
    assert repr(a).replace("arraygrad", "torch") == repr(t)
    for prop in ("mean", "variance", "stddev", "mode"):
        _close(getattr(a, prop), getattr(t, prop))
    _close(a.entropy(), t.entropy())
    va, vt = _pair([[0.5, 1.5, 2.0, 3.0], [0.1, 10.0, 0.0, 0.6]])
    lpa, lpt = a.log_prob(va), t.log_prob(vt)
    _close(lpa, lpt)
    _close(a.cdf(va), t.cdf(vt))
    qa, qt = _pair([0.1, 0.5, 0.9, 0.99])
    _close(a.icdf(qa), t.icdf(qt))
    finite = np.isfinite(lpt.detach().numpy())
    ga = ag.autograd.grad(lpa[ag.tensor(finite.tolist())].sum(), [la, sa, ca])
    gt = torch.autograd.grad(lpt[torch.tensor(finite)].sum(), [lt, st, ct])
    for x, y in zip(ga, gt):
        _close(x, y, rtol=1e-8)
    assert repr(a.support).startswith("Interval(lower_bound=")
    _close(a.support.lower_bound, t.support.lower_bound)
    _close(a.support.upper_bound, t.support.upper_bound)
    s = a.rsample((5,))
    assert s.shape == (5, 4) and s.requires_grad
    e = a.expand((3, 4))
    assert type(e) is D.GeneralizedPareto and e.batch_shape == (3, 4)
    if validate:
        with pytest.raises(ValueError):
            a.log_prob(ag.tensor([-5.0, 1.5, 2.0, 3.0], dtype=ag.float64))
        with pytest.raises(ValueError):
            D.GeneralizedPareto(0.0, -1.0, 0.1, validate_args=True)
