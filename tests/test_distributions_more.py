"""Wishart and LKJCholesky against torch.distributions (the oracle): log_prob, entropy, mean,
mode, variance and their gradients for the same parameters; sample shapes, support and moments
(statistically); expand; argument and sample validation."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

ref = pytest.importorskip("torch")
import torch.distributions as RD  # noqa: E402

import arraygrad as torch  # noqa: E402
import arraygrad.distributions as D  # noqa: E402
from arraygrad.distributions import constraints  # noqa: E402
from arraygrad.distributions.wishart import WishartArgumentError  # noqa: E402

RNG = np.random.default_rng(2024)
pytestmark = pytest.mark.filterwarnings("ignore:Singular sample detected")  # torch warns on every Wishart sample


def npy(x):
    return np.asarray(x.detach().numpy())


def close(a, b, rtol=1e-9, atol=1e-10):
    a, b = npy(a), npy(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)


def spd(n, *batch):
    a = RNG.normal(size=batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def pair(a, requires_grad=False):
    return (torch.tensor(a, dtype=torch.float64, requires_grad=requires_grad),
            ref.tensor(a, dtype=ref.float64, requires_grad=requires_grad))


# ----- Wishart --------------------------------------------------------------------------------
WISHART_CASES = [  # (p, batch, df range)
    (2, (), (2.0, 5.0)),
    (3, (), (3.0, 6.0)),
    (3, (2,), (4.0, 8.0)),
    (4, (2, 3), (5.0, 9.0)),
]


@pytest.mark.parametrize("param", ["covariance_matrix", "precision_matrix", "scale_tril"])
@pytest.mark.parametrize("case", range(len(WISHART_CASES)))
def test_wishart_matches_torch(case, param):
    p, batch, (lo, hi) = WISHART_CASES[case]
    S = spd(p, *batch)
    value = np.linalg.cholesky(S) if param == "scale_tril" else S
    df = RNG.uniform(lo, hi, batch)
    a_df, r_df = pair(df, requires_grad=True)
    a_m, r_m = pair(value, requires_grad=True)
    a = D.Wishart(a_df, **{param: a_m})
    r = RD.Wishart(r_df, **{param: r_m})
    assert a.batch_shape == r.batch_shape and a.event_shape == r.event_shape
    for name in ("mean", "variance", "mode", "covariance_matrix", "precision_matrix", "scale_tril"):
        close(getattr(a, name), getattr(r, name), rtol=1e-8)
    close(a.entropy(), r.entropy())
    X = r.sample((5,)).detach()
    a_lp, r_lp = a.log_prob(torch.tensor(X.numpy())), r.log_prob(X)
    close(a_lp, r_lp, rtol=1e-8)
    # gradients of log_prob + entropy with respect to df and the matrix parameter
    w = RNG.normal(size=tuple(r_lp.shape))
    ((a_lp * torch.tensor(w)).sum() + a.entropy().sum()).backward()
    ((r_lp * ref.tensor(w)).sum() + r.entropy().sum()).backward()
    close(a_df.grad, r_df.grad, rtol=1e-7, atol=1e-8)
    close(a_m.grad, r_m.grad, rtol=1e-6, atol=1e-8)


def test_wishart_mode_is_nan_for_small_df_and_number_df():
    S = spd(3)
    a = D.Wishart(torch.tensor([3.5, 6.0], dtype=torch.float64), covariance_matrix=torch.tensor(S))
    r = RD.Wishart(ref.tensor([3.5, 6.0], dtype=ref.float64), covariance_matrix=ref.tensor(S))
    close(a.mode, r.mode)
    assert np.isnan(npy(a.mode)[0]).all() and not np.isnan(npy(a.mode)[1]).any()
    # a Python number df: float of the matrix's dtype, expanded over the batch
    b = D.Wishart(5.0, covariance_matrix=torch.tensor(spd(2, 3)))
    assert b.df.dtype == torch.float64 and tuple(b.df.shape) == (3,)
    assert tuple(b.mean.shape) == (3, 2, 2) and tuple(b.entropy().shape) == (3,)


def test_wishart_sample_shapes_support_and_expand():
    S = torch.tensor(spd(3, 2))
    d = D.Wishart(torch.tensor([4.0, 7.0], dtype=torch.float64), covariance_matrix=S)
    s = d.sample((4,))
    assert tuple(s.shape) == (4, 2, 3, 3) and not s.requires_grad
    assert bool(constraints.positive_definite.check(s).all())
    e = d.expand((5, 2))
    assert e.batch_shape == (5, 2) and tuple(e.rsample().shape) == (5, 2, 3, 3)
    v = d.sample()
    np.testing.assert_allclose(npy(e.log_prob(v)), np.broadcast_to(npy(d.log_prob(v)), (5, 2)), rtol=1e-12)
    np.testing.assert_allclose(npy(e.entropy()), np.broadcast_to(npy(d.entropy()), (5, 2)), rtol=1e-12)
    torch.manual_seed(3)
    x1 = d.sample((2,))
    torch.manual_seed(3)
    assert np.array_equal(npy(x1), npy(d.sample((2,))))


@pytest.mark.parametrize("df", [3.5, 8.0])
def test_wishart_sample_moments(df):
    p, n = 3, 40000
    S = spd(p) / p
    d = D.Wishart(torch.tensor(df, dtype=torch.float64), covariance_matrix=torch.tensor(S))
    torch.manual_seed(11)
    x = npy(d.sample((n,)))
    mean, var = npy(d.mean), npy(d.variance)
    se = np.sqrt(var / n)
    assert np.all(np.abs(x.mean(0) - mean) < 5 * se), (x.mean(0), mean)
    np.testing.assert_allclose(x.var(0), var, rtol=0.12)
    # the diagonal: W_ii / S_ii ~ chi2(df)
    ratio = x[:, 0, 0] / S[0, 0]
    assert abs(ratio.mean() - df) < 5 * math.sqrt(2 * df / n)


def test_wishart_rsample_is_differentiable():
    """d/dL E[sum(W)] = 2 df (1 1^T) L (E[W] = df L L^T), estimated from reparameterized
    samples; df gets a gradient too (through the chi-squared diagonal)."""
    p, n, df = 2, 40000, 6.0
    L = np.linalg.cholesky(spd(p) / p)
    a_L = torch.tensor(L, requires_grad=True)
    a_df = torch.tensor(df, dtype=torch.float64, requires_grad=True)
    torch.manual_seed(5)
    D.Wishart(a_df, scale_tril=a_L).rsample((n,)).sum(0).div(n).sum().backward()
    want = 2 * df * np.ones((p, p)) @ L
    np.testing.assert_allclose(np.tril(npy(a_L.grad)), np.tril(want), rtol=0.05, atol=0.05)
    np.testing.assert_allclose(float(a_df.grad), (L @ L.T).sum(), rtol=0.05)


def test_wishart_low_df_warns_and_corrects_singular_samples():
    with pytest.warns(UserWarning, match="Low df values"):
        d = D.Wishart(torch.tensor(2.2, dtype=torch.float64), covariance_matrix=torch.eye(3, dtype=torch.float64))
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = d.sample((200,))
    assert tuple(s.shape) == (200, 3, 3)
    assert np.isfinite(npy(s)).all()
    # about 2% of Bartlett draws are singular here; each is drawn again (PyTorch keeps them)
    torch.manual_seed(0)
    with pytest.warns(UserWarning, match="Singular sample detected"):
        s = d.sample((3000,))
    assert bool(constraints.positive_definite.check(s).all())
    assert bool(constraints.positive_definite.check(d.rsample((50,), max_try_correction=0)).any())


def test_wishart_arguments():
    eye = torch.eye(3, dtype=torch.float64)
    with pytest.raises(WishartArgumentError, match="Exactly one of"):
        D.Wishart(torch.tensor(4.0), covariance_matrix=eye, scale_tril=eye)
    with pytest.raises(AssertionError):  # PyTorch's type, still caught as before
        D.Wishart(torch.tensor(4.0))
    with pytest.raises(ValueError, match="at least two-dimensional"):
        D.Wishart(torch.tensor(4.0), covariance_matrix=torch.ones(3, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"df=.*greater than ndim - 1 = 2"):
        D.Wishart(torch.tensor(2.0, dtype=torch.float64), covariance_matrix=eye)
    with pytest.raises(ValueError, match="PositiveDefinite"):
        D.Wishart(torch.tensor(4.0, dtype=torch.float64), covariance_matrix=-eye, validate_args=True)
    d = D.Wishart(torch.tensor(4.0, dtype=torch.float64), covariance_matrix=eye, validate_args=True)
    with pytest.raises(ValueError, match="support"):
        d.log_prob(-eye)
    with pytest.raises(ValueError):
        RD.Wishart(ref.tensor(4.0), covariance_matrix=-ref.eye(3), validate_args=True)
    assert repr(d.arg_constraints["df"]) == repr(RD.Wishart(ref.tensor(4.0), covariance_matrix=ref.eye(3))
                                                 .arg_constraints["df"])
    assert d.support is constraints.positive_definite and d.has_rsample


# ----- LKJCholesky ----------------------------------------------------------------------------
@pytest.mark.parametrize("dim", [2, 3, 5])
@pytest.mark.parametrize("concentration", [0.5, 1.0, 2.5, [0.7, 3.0]])
def test_lkj_log_prob_matches_torch(dim, concentration):
    a_c, r_c = pair(np.asarray(concentration, dtype=np.float64), requires_grad=True)
    a, r = D.LKJCholesky(dim, a_c), RD.LKJCholesky(dim, r_c)
    assert a.batch_shape == r.batch_shape and a.event_shape == r.event_shape
    X = r.sample((4,)).detach()
    a_lp, r_lp = a.log_prob(torch.tensor(X.numpy())), r.log_prob(X)
    close(a_lp, r_lp)
    a_lp.sum().backward()
    r_lp.sum().backward()
    close(a_c.grad, r_c.grad, rtol=1e-8)


def test_lkj_float32_number_concentration():
    a, r = D.LKJCholesky(3, 1.5), RD.LKJCholesky(3, 1.5)
    X = r.sample((3,))
    close(a.log_prob(torch.tensor(X.numpy())), r.log_prob(X), rtol=1e-5, atol=1e-6)
    assert a.concentration.dtype == torch.float32


def test_lkj_log_prob_normalized_dim2():
    """For dim 2 the factor is [[1, 0], [r, sqrt(1 - r^2)]]: exp(log_prob) integrates to 1 over r."""
    r = np.linspace(-1 + 1e-7, 1 - 1e-7, 200001)
    L = np.zeros(r.shape + (2, 2))
    L[:, 0, 0], L[:, 1, 0], L[:, 1, 1] = 1, r, np.sqrt(1 - r * r)
    for eta in (1.0, 2.0, 4.5):
        d = D.LKJCholesky(2, torch.tensor(eta, dtype=torch.float64))
        dens = np.exp(npy(d.log_prob(torch.tensor(L))))
        assert abs(np.trapezoid(dens, r) - 1) < 1e-3


@pytest.mark.parametrize("dim, eta", [(2, 1.0), (3, 0.5), (4, 2.0)])
def test_lkj_samples(dim, eta):
    d = D.LKJCholesky(dim, torch.tensor(eta, dtype=torch.float64))
    torch.manual_seed(1)
    n = 30000
    L = d.sample((n,))
    assert tuple(L.shape) == (n, dim, dim) and L.dtype == torch.float64
    assert bool(constraints.corr_cholesky.check(L).all())
    C = npy(L @ L.mT)
    np.testing.assert_allclose(np.diagonal(C, axis1=-2, axis2=-1), 1.0, atol=1e-12)
    # every correlation r_ij: (r + 1) / 2 ~ Beta(a, a), a = eta - 1 + dim / 2
    a = eta - 1 + dim / 2
    i, j = np.tril_indices(dim, -1)
    r = C[:, i, j]
    assert np.all(np.abs(r.mean(0)) < 5 * math.sqrt(1 / (2 * a + 1) / n))
    np.testing.assert_allclose(r.var(0), 1 / (2 * a + 1), rtol=0.06)
    # row 1 has the distribution of torch's (two-sample Kolmogorov-Smirnov, loosely); torch's
    # rows 2 and beyond do not (its Beta parameter for them is off: see lkj_cholesky.py)
    scipy_stats = pytest.importorskip("scipy.stats")
    ref.manual_seed(1)
    Lr = RD.LKJCholesky(dim, ref.tensor(eta, dtype=ref.float64)).sample((n,)).numpy()
    assert scipy_stats.ks_2samp(npy(L)[:, 1, 0], Lr[:, 1, 0]).pvalue > 1e-4


def test_lkj_batch_expand_and_arguments():
    d = D.LKJCholesky(3, torch.tensor([0.5, 2.0], dtype=torch.float64))
    assert d.batch_shape == (2,) and d.event_shape == (3, 3) and not d.has_rsample
    assert tuple(d.sample((4,)).shape) == (4, 2, 3, 3)
    e = d.expand((5, 2))
    v = d.sample()
    assert e.batch_shape == (5, 2) and tuple(e.sample().shape) == (5, 2, 3, 3)
    np.testing.assert_allclose(npy(e.log_prob(v)), np.broadcast_to(npy(d.log_prob(v)), (5, 2)), rtol=1e-12)
    assert d.support is constraints.corr_cholesky
    assert repr(d.arg_constraints) == repr(RD.LKJCholesky(3, 1.0).arg_constraints)
    with pytest.raises(ValueError, match="greater than or equal to 2. Found dim=1"):
        D.LKJCholesky(1, 1.0)
    with pytest.raises(TypeError, match="dim must be an int, got float"):
        D.LKJCholesky(2.5, 1.0)
    with pytest.raises(ValueError):
        D.LKJCholesky(3, -1.0, validate_args=True)
    with pytest.raises(ValueError, match="CorrCholesky"):
        D.LKJCholesky(3, 1.0, validate_args=True).log_prob(torch.eye(3) * 2)
    with pytest.raises(NotImplementedError):
        d.rsample()


def test_corr_cholesky_constraint_matches_torch():
    good = RD.LKJCholesky(4, 1.0).sample((3,))
    bad = good.clone()
    bad[0, 2, 2] = 1.5  # row norm not 1
    bad[1, 0, 1] = 0.1  # not lower-triangular
    for x in (good, bad):
        a = constraints.corr_cholesky.check(torch.tensor(x.numpy()))
        assert npy(a).tolist() == RD.constraints.corr_cholesky.check(x).tolist()
    assert constraints.corr_cholesky.event_dim == RD.constraints.corr_cholesky.event_dim == 2


# ----- the matrix transforms and their registry entries -------------------------------------
@pytest.mark.parametrize("dim", [2, 3, 5])
def test_corr_cholesky_transform_matches_torch(dim):
    x = RNG.normal(size=(4, dim * (dim - 1) // 2))
    a, r = D.transforms.CorrCholeskyTransform(), RD.transforms.CorrCholeskyTransform()
    ax, rx = pair(x, requires_grad=True)
    ay, ry = a(ax), r(rx)
    close(ay, ry, rtol=1e-12, atol=1e-14)
    assert bool(constraints.corr_cholesky.check(ay).all())
    close(a.inv(ay), torch.tensor(x), rtol=1e-7, atol=1e-9)
    la, lr = a.log_abs_det_jacobian(ax, ay), r.log_abs_det_jacobian(rx, ry)
    close(la, lr, rtol=1e-10)
    (la.sum() + ay.sum()).backward()
    (lr.sum() + ry.sum()).backward()
    close(ax.grad, rx.grad, rtol=1e-8, atol=1e-12)
    n = x.shape[-1]
    assert a.forward_shape((4, n)) == r.forward_shape((4, n)) == (4, dim, dim)
    assert a.inverse_shape((4, dim, dim)) == r.inverse_shape((4, dim, dim)) == (4, n)
    with pytest.raises(ValueError, match="flattened lower-diagonal"):
        a.forward_shape((4, 4))


def test_positive_definite_transform_and_registry():
    x = RNG.normal(size=(2, 3, 3))
    a, r = D.transforms.PositiveDefiniteTransform(), RD.transforms.PositiveDefiniteTransform()
    close(a(torch.tensor(x)), r(ref.tensor(x)), rtol=1e-12)
    close(a.inv(a(torch.tensor(x))), r.inv(r(ref.tensor(x))), rtol=1e-8, atol=1e-10)
    assert a == D.transforms.PositiveDefiniteTransform() and repr(a) == repr(r)
    for registry, rregistry, c in [
            (D.biject_to, RD.biject_to, "corr_cholesky"), (D.transform_to, RD.transform_to, "corr_cholesky"),
            (D.transform_to, RD.transform_to, "positive_definite"),
            (D.transform_to, RD.transform_to, "positive_semidefinite")]:
        assert repr(registry(getattr(constraints, c))) == repr(rregistry(getattr(RD.constraints, c)))
    # an unconstrained vector lands in LKJCholesky's support, with a finite log density
    d = D.LKJCholesky(4, torch.tensor(1.5, dtype=torch.float64))
    L = D.biject_to(d.support)(torch.tensor(RNG.normal(size=(6,))))
    assert bool(d.support.check(L)) and np.isfinite(float(d.log_prob(L)))
    W = D.transform_to(D.Wishart(torch.tensor(5.0, dtype=torch.float64),
                                 covariance_matrix=torch.eye(3, dtype=torch.float64)).support)(
        torch.tensor(RNG.normal(size=(3, 3))))
    assert bool(constraints.positive_definite.check(W))


def test_more_transforms_and_exponential_family_as_pytorch():
    torch = pytest.importorskip("torch")
    import arraygrad as ag

    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    seen = []
    for lib in (ag, torch):
        T, D = lib.distributions.transforms, lib.distributions
        t = lib.tensor(x, requires_grad=True)
        normal = D.Normal(lib.tensor(0.5, dtype=lib.float64), lib.tensor(2.0, dtype=lib.float64))
        transforms = [T.SoftplusTransform(), T.ReshapeTransform((3, 4), (12,)), T.CumulativeDistributionTransform(normal),
                      T.CatTransform([T.ExpTransform(), T.SoftplusTransform(), T.AffineTransform(1.0, 2.0)], dim=2,
                                     lengths=[1, 2, 1]),
                      T.CatTransform([T.IndependentTransform(T.ExpTransform(), 1),
                                      T.IndependentTransform(T.SoftplusTransform(), 1)], dim=1, lengths=[1, 2]),
                      T.StackTransform([T.ExpTransform(), T.SoftplusTransform(), T.TanhTransform()], dim=1)]
        outs = []
        for tr in transforms:
            y = tr(t)
            outs += [y, tr.inv(y), tr.log_abs_det_jacobian(t, y)]
        sum(o.sum() for o in outs).backward()
        outs.append(t.grad)

        class MyNormal(D.ExponentialFamily):  # entropy from the natural parameters, by autograd
            arg_constraints = {}

            def __init__(self, loc, scale):
                self.loc, self.scale = loc, scale
                super().__init__(batch_shape=loc.shape, validate_args=False)

            @property
            def _natural_params(self):
                return (self.loc / self.scale ** 2, -0.5 / self.scale ** 2)

            def _log_normalizer(self, a, b):
                return -0.25 * a ** 2 / b + 0.5 * lib.log(-math.pi / b)

            @property
            def _mean_carrier_measure(self):
                return 0

        outs.append(MyNormal(lib.tensor([0.5, -1.0], dtype=lib.float64), lib.tensor([2.0, 0.3], dtype=lib.float64)).entropy())
        outs.append(D.Bernoulli(0.3).log_prob(lib.tensor(np.array([0.0, 1.0]))))  # float64 values promote
        seen.append([np.asarray(o.detach()) for o in outs] + [transforms[1].forward_shape((5, 3, 4))])
    for a, b in zip(*seen):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-7)
        assert np.asarray(a).dtype == np.asarray(b).dtype
    assert ag.distributions.chi2.Chi2 is ag.distributions.Chi2
    assert ag.distributions.logistic_normal.LogisticNormal is ag.distributions.LogisticNormal


def _compose_cases(lib):
    Tr = lib.distributions.transforms
    return [Tr.ComposeTransform([Tr.ExpTransform(), Tr.ReshapeTransform((6,), (2, 3))]),
            Tr.ComposeTransform([Tr.TanhTransform(), Tr.CorrCholeskyTransform()]),
            Tr.ComposeTransform([Tr.StickBreakingTransform(), Tr.AffineTransform(0.0, 2.0)]),
            Tr.ComposeTransform([Tr.ExpTransform(), Tr.StickBreakingTransform()]),
            Tr.ComposeTransform([Tr.AffineTransform(1.0, 2.0, event_dim=1), Tr.ExpTransform()])]


def test_compose_transform_of_parts_with_different_event_dims_matches_torch():
    """The composite's event spans what its parts need together: each part's log det
    Jacobian is summed over the dims its own event leaves out (it was summed over the last
    part's count, mixing batch rows: silently wrong densities in TransformedDistribution)."""
    rng = np.random.default_rng(3)
    for ours, theirs in zip(_compose_cases(torch), _compose_cases(ref)):
        width = 6 if isinstance(ours.parts[-1], D.transforms.ReshapeTransform) else 3
        x = rng.uniform(-0.9, 0.9, (4, width))
        xo, xt = torch.tensor(x), ref.tensor(x)
        yo, yt = ours(xo), theirs(xt)
        assert (ours.domain.event_dim, ours.codomain.event_dim) == (theirs.domain.event_dim, theirs.codomain.event_dim)
        np.testing.assert_allclose(np.asarray(ours.log_abs_det_jacobian(xo, yo)),
                                   theirs.log_abs_det_jacobian(xt, yt).numpy(), rtol=1e-10)
        np.testing.assert_allclose(np.asarray(ours.inv.log_abs_det_jacobian(yo, xo)),
                                   theirs.inv.log_abs_det_jacobian(yt, xt).numpy(), rtol=1e-10)
        assert ours.inv.inv is ours


def test_transformed_distribution_through_a_compose_of_mixed_event_dims():
    def dist(lib):
        Dl, Tr = lib.distributions, lib.distributions.transforms
        base = Dl.Independent(Dl.Normal(lib.zeros(2, 3, dtype=lib.float64), lib.ones(2, 3, dtype=lib.float64)), 1)
        return Dl.TransformedDistribution(base, [Tr.ComposeTransform([Tr.AffineTransform(0.0, 2.0),
                                                                      Tr.StickBreakingTransform()])])
    v = [[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25]]
    ours, theirs = dist(torch), dist(ref)
    assert (tuple(ours.batch_shape), tuple(ours.event_shape)) == (tuple(theirs.batch_shape), tuple(theirs.event_shape))
    np.testing.assert_allclose(np.asarray(ours.log_prob(torch.tensor(v, dtype=torch.float64))),
                               theirs.log_prob(ref.tensor(v, dtype=ref.float64)).numpy(), rtol=1e-10)


def test_transforms_with_parameters_take_a_cache():
    Tr = D.transforms
    t = Tr.ComposeTransform([Tr.AffineTransform(1.0, 2.0), Tr.ExpTransform()], cache_size=1)
    x = torch.tensor([0.5, 1.0])
    assert t.inv(t(x)) is x
    for part in (Tr.AffineTransform(1.0, 2.0), Tr.PowerTransform(2.0), Tr.ExpTransform().inv,
                 Tr.IndependentTransform(Tr.ExpTransform(), 1)):
        cached = part.with_cache(1)
        assert type(cached) is type(part) and cached._cache_size == 1
