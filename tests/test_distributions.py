"""arraygrad.distributions against torch.distributions (the oracle): densities, moments,
entropies, cdf/icdf, KL divergences and their gradients; sampling shapes, reproducibility,
reparameterization and empirical moments; argument and sample validation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch as ref
import torch.distributions as RD

import arraygrad as torch
import arraygrad.distributions as D

RNG = np.random.default_rng(1234)


# ----- helpers -------------------------------------------------------------------------------
def ag(a, requires_grad=False, dtype=None):
    a = np.asarray(a)
    if dtype is None:
        dtype = torch.float64 if a.dtype.kind == "f" else torch.int64
    return torch.tensor(a.tolist(), dtype=dtype, requires_grad=requires_grad)


def rt(a, requires_grad=False, dtype=None):
    a = np.asarray(a)
    if dtype is None:
        dtype = ref.float64 if a.dtype.kind == "f" else ref.int64
    return ref.tensor(a.tolist(), dtype=dtype, requires_grad=requires_grad)


def npy(x):
    if isinstance(x, ref.Tensor):
        return x.detach().numpy()
    if isinstance(x, torch.Tensor):
        return np.asarray(x.detach().numpy())
    return np.asarray(x)


def close(a, b, rtol=1e-9, atol=1e-10):
    a, b = npy(a), npy(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)


def pos(*shape, lo=0.5, hi=2.0):
    return RNG.uniform(lo, hi, shape)


def unit(*shape, lo=0.1, hi=0.9):
    return RNG.uniform(lo, hi, shape)


def spd(n, *batch):
    a = RNG.normal(size=batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


# ----- the univariate / simple families, one spec each -------------------------------------
# name: (class name, params (numpy), values(sample_shape, params) -> numpy, methods)
def _real_values(shape, p):
    return RNG.normal(size=shape) * 2


def _pos_values(shape, p):
    return RNG.uniform(0.05, 4.0, shape)


def _uniform_values(shape, p):
    low, high = np.broadcast_arrays(p["low"], p["high"])
    u = RNG.uniform(0.0, 1.0, shape)
    return low + u * (high - low)


def _binary_values(shape, p):
    return RNG.integers(0, 2, shape).astype(np.float64)


def _cat_values(shape, p):
    k = next(iter(p.values())).shape[-1]
    return RNG.integers(0, k, shape)


def _onehot_values(shape, p):
    k = next(iter(p.values())).shape[-1]
    return np.eye(k)[RNG.integers(0, k, shape[:-1])]


CONT = ("log_prob", "entropy", "mean", "mode", "variance", "stddev", "cdf", "icdf")
NO_MODE = tuple(m for m in CONT if m != "mode")  # ContinuousBernoulli: no mode, as in torch
SPECS = {
    "normal": ("Normal", lambda: {"loc": RNG.normal(size=(2, 3)), "scale": pos(3)}, _real_values, CONT),
    "normal_scalar_loc": ("Normal", lambda: {"loc": np.float64(0.3), "scale": pos(4)}, _real_values, CONT),
    "laplace": ("Laplace", lambda: {"loc": RNG.normal(size=(2, 1)), "scale": pos(2, 3)}, _real_values, CONT),
    "exponential": ("Exponential", lambda: {"rate": pos(2, 3)}, _pos_values, CONT),
    "uniform": ("Uniform", lambda: {"low": RNG.normal(size=(2, 3)), "high": pos(2, 3) + 3.0},
                _uniform_values, CONT),
    "lognormal": ("LogNormal", lambda: {"loc": RNG.normal(size=(2, 3)) * 0.3, "scale": pos(2, 3, lo=0.3, hi=1.0)},
                  _pos_values, ("log_prob", "entropy", "mean", "mode", "variance", "stddev", "cdf", "icdf")),
    "bernoulli_probs": ("Bernoulli", lambda: {"probs": unit(2, 3)}, _binary_values,
                        ("log_prob", "entropy", "mean", "mode", "variance", "stddev")),
    "bernoulli_logits": ("Bernoulli", lambda: {"logits": RNG.normal(size=(2, 3))}, _binary_values,
                         ("log_prob", "entropy", "mean", "mode", "variance", "stddev")),
    "categorical_probs": ("Categorical", lambda: {"probs": pos(2, 3, 4)}, _cat_values,
                          ("log_prob", "entropy", "mean", "mode", "variance")),
    "categorical_logits": ("Categorical", lambda: {"logits": RNG.normal(size=(2, 3, 4))}, _cat_values,
                           ("log_prob", "entropy", "mean", "mode", "variance")),
    "categorical_1d": ("Categorical", lambda: {"probs": pos(5)}, _cat_values,
                       ("log_prob", "entropy", "mode")),
    "cauchy": ("Cauchy", lambda: {"loc": RNG.normal(size=(2, 3)), "scale": pos(3)}, _real_values, CONT),
    "gumbel": ("Gumbel", lambda: {"loc": RNG.normal(size=(2, 3)) * 0.3, "scale": pos(3, lo=1.0, hi=2.0)},
               lambda shape, p: RNG.uniform(-1.5, 5.0, shape), CONT),
    "halfnormal": ("HalfNormal", lambda: {"scale": pos(2, 3)}, _pos_values, CONT),
    "cont_bernoulli_probs": ("ContinuousBernoulli",
                             lambda: {"probs": np.array([[0.1, 0.4995, 0.7], [0.3, 0.5, 0.95]])},
                             lambda shape, p: RNG.uniform(0.02, 0.98, shape), NO_MODE),
    "cont_bernoulli_logits": ("ContinuousBernoulli", lambda: {"logits": RNG.normal(size=(2, 3)) * 2},
                              lambda shape, p: RNG.uniform(0.02, 0.98, shape), NO_MODE),
    "halfcauchy": ("HalfCauchy", lambda: {"scale": pos(2, 3)}, _pos_values, CONT),
    "pareto": ("Pareto", lambda: {"scale": pos(3, lo=0.5, hi=1.0), "alpha": pos(2, 3, lo=2.5, hi=5.0)},
               lambda shape, p: RNG.uniform(1.0, 5.0, shape), CONT),
    "geometric_probs": ("Geometric", lambda: {"probs": unit(2, 3)}, lambda shape, p: RNG.integers(0, 8, shape) * 1.0,
                        ("log_prob", "entropy", "mean", "mode", "variance", "stddev")),
    "geometric_logits": ("Geometric", lambda: {"logits": RNG.normal(size=(3,))},
                         lambda shape, p: RNG.integers(0, 8, shape) * 1.0,
                         ("log_prob", "entropy", "mean", "mode", "variance", "stddev")),
    "onehot_probs": ("OneHotCategorical", lambda: {"probs": pos(3, 4)}, _onehot_values,
                     ("log_prob", "entropy", "mean", "mode", "variance")),
    "onehot_logits": ("OneHotCategorical", lambda: {"logits": RNG.normal(size=(3, 4))}, _onehot_values,
                      ("log_prob", "entropy", "mean", "mode", "variance")),
}
def _unit_values(shape, p):
    return RNG.uniform(0.02, 0.98, shape)


def _simplex_values(shape, p):
    k = p["concentration"].shape[-1]
    return RNG.dirichlet(np.ones(k), shape[:-1])


def _count_values(shape, p):
    return RNG.integers(0, 25, shape).astype(np.float64)


def _binomial_values(shape, p):
    return RNG.integers(0, 11, shape).astype(np.float64)


HAS_SPECIAL = hasattr(D, "Gamma")
if HAS_SPECIAL:
    _MOM = ("log_prob", "entropy", "mean", "mode", "variance", "stddev")
    SPECS.update({
        "gamma": ("Gamma", lambda: {"concentration": pos(2, 3, lo=0.5, hi=5.0), "rate": pos(3)}, _pos_values, _MOM),
        "chi2": ("Chi2", lambda: {"df": pos(2, 3, lo=1.0, hi=6.0)}, _pos_values, _MOM),
        "beta": ("Beta", lambda: {"concentration1": pos(2, 3, lo=0.5, hi=4.0),
                                  "concentration0": pos(3, lo=0.5, hi=4.0)},
                 _unit_values, _MOM),
        "dirichlet": ("Dirichlet", lambda: {"concentration": pos(2, 4, lo=1.1, hi=4.0)}, _simplex_values,
                      ("log_prob", "entropy", "mean", "mode", "variance")),
        "poisson": ("Poisson", lambda: {"rate": pos(2, 3, lo=0.5, hi=20.0)}, _count_values,
                    ("log_prob", "mean", "mode", "variance")),
        "binomial_probs": ("Binomial", lambda: {"total_count": np.full((3,), 10.0), "probs": unit(2, 3)},
                           _binomial_values, ("log_prob", "entropy", "mean", "mode", "variance")),
        "binomial_logits": ("Binomial", lambda: {"total_count": np.float64(10.0), "logits": RNG.normal(size=(2, 3))},
                            _binomial_values, ("log_prob", "entropy", "mean", "mode", "variance")),
        "studentT": ("StudentT", lambda: {"df": pos(2, 3, lo=2.5, hi=6.0), "loc": RNG.normal(size=3), "scale": pos(3)},
                     _real_values, ("log_prob", "entropy", "mean", "mode", "variance", "stddev")),
        "weibull": ("Weibull", lambda: {"scale": pos(3), "concentration": pos(2, 3, lo=1.2, hi=4.0)},
                    _pos_values, CONT),
        "negative_binomial_probs": ("NegativeBinomial", lambda: {"total_count": pos(3, lo=1.0, hi=8.0),
                                                                 "probs": unit(2, 3)},
                                    _count_values, ("log_prob", "mean", "mode", "variance", "stddev")),
        "negative_binomial_logits": ("NegativeBinomial", lambda: {"total_count": np.float64(3.0),
                                                                  "logits": RNG.normal(size=(2, 3))},
                                     _count_values, ("log_prob", "mean", "mode", "variance", "stddev")),
        "von_mises": ("VonMises", lambda: {"loc": RNG.uniform(-3, 3, size=(2, 3)),
                                           "concentration": pos(3, lo=0.1, hi=20)},
                      lambda shape, p: RNG.uniform(-math.pi, math.pi, shape), ("log_prob", "mean", "mode", "variance")),
        "fishersnedecor": ("FisherSnedecor", lambda: {"df1": pos(2, 3, lo=2.5, hi=8.0), "df2": pos(3, lo=4.5, hi=9.0)},
                           _pos_values, ("log_prob", "mean", "mode", "variance", "stddev")),
        "kumaraswamy": ("Kumaraswamy", lambda: {"concentration1": pos(2, 3, lo=1.1, hi=4.0),
                                                "concentration0": pos(3, lo=0.5, hi=0.95)},
                        _unit_values, ("log_prob", "entropy", "mean", "mode", "variance", "stddev", "cdf", "icdf")),
        "multinomial": ("Multinomial", lambda: {"total_count": 7, "probs": pos(2, 4)},
                        lambda shape, p: RNG.multinomial(7, np.full(4, 0.25), shape[:-1]).astype(np.float64),
                        ("log_prob", "entropy", "mean", "variance")),
    })

# torch's VonMises evaluates log I0 / log I1 by polynomial approximations (~1e-8 relative);
# ours uses arraygrad.special.i0e / i1e (to double precision, as scipy's)
LOOSE = {"von_mises": dict(rtol=5e-5, atol=1e-6)}

DIFF_PARAMS_INT = {"categorical_probs", "categorical_logits", "categorical_1d", "onehot_probs",
                   "onehot_logits", "poisson", "binomial_probs", "binomial_logits", "multinomial"}


def _make(name, params, requires_grad=False):
    cls, _, _, _ = SPECS[name]
    a = {k: v if isinstance(v, int) else ag(v, requires_grad) for k, v in params.items()}
    t = {k: v if isinstance(v, int) else rt(v, requires_grad) for k, v in params.items()}
    return getattr(D, cls)(**a), getattr(RD, cls)(**t), a, t


def _value_shape(name, dist, sample_shape):
    return tuple(sample_shape) + tuple(dist.batch_shape) + tuple(dist.event_shape)


@pytest.mark.parametrize("sample_shape", [(), (5,), (2, 1)])
@pytest.mark.parametrize("name", list(SPECS))
def test_against_torch(name, sample_shape):
    _, make_params, values, methods = SPECS[name]
    params = make_params()
    d, td, _, _ = _make(name, params)
    assert tuple(d.batch_shape) == tuple(td.batch_shape)
    assert tuple(d.event_shape) == tuple(td.event_shape)
    assert isinstance(d.batch_shape, torch.Size)
    v = values(_value_shape(name, td, sample_shape), params)
    tol = LOOSE.get(name, {})
    for m in methods:
        if m in ("log_prob", "cdf"):
            close(getattr(d, m)(ag(v)), getattr(td, m)(rt(v)), **tol)
        elif m == "icdf":
            p = RNG.uniform(0.02, 0.98, _value_shape(name, td, sample_shape))
            close(d.icdf(ag(p)), td.icdf(rt(p)), rtol=1e-8, atol=1e-9)
        elif m == "entropy":
            # torch's Multinomial entropy takes lgamma(total_count + 1) of an int64 tensor,
            # i.e. in float32: ours is float64 throughout
            close(d.entropy(), td.entropy(), rtol=1e-6 if name == "multinomial" else 1e-9)
        else:
            close(getattr(d, m), getattr(td, m), **tol)


@pytest.mark.parametrize("name", list(SPECS))
def test_gradients_against_torch(name):
    _, make_params, values, methods = SPECS[name]
    params = make_params()
    d, td, a, t = _make(name, params, requires_grad=True)
    v = values(_value_shape(name, td, (3,)), params)
    loss = d.log_prob(ag(v)).sum()
    tloss = td.log_prob(rt(v)).sum()
    if "entropy" in methods:
        loss = loss + 0.7 * d.entropy().sum()
        tloss = tloss + 0.7 * td.entropy().sum()
    if "mean" in methods and name not in DIFF_PARAMS_INT:
        loss = loss + (d.mean * d.variance).sum()
        tloss = tloss + (td.mean * td.variance).sum()
    if "cdf" in methods:
        loss = loss + d.cdf(ag(v)).sum()
        tloss = tloss + td.cdf(rt(v)).sum()
    if "icdf" in methods:
        p = RNG.uniform(0.05, 0.95, _value_shape(name, td, (3,)))
        loss = loss + d.icdf(ag(p)).sum()
        tloss = tloss + td.icdf(rt(p)).sum()
    close(loss, tloss, rtol=1e-6 if name in ("multinomial", "von_mises") else 1e-9)
    loss.backward()
    tloss.backward()
    for k in a:
        if isinstance(a[k], int):
            continue
        assert a[k].grad is not None, k
        close(a[k].grad, t[k].grad, **LOOSE.get(name, dict(rtol=1e-7, atol=1e-9)))


def test_python_number_parameters():
    d = D.Normal(0.0, 1.0)
    assert d.batch_shape == torch.Size([])
    assert d.loc.dtype == torch.get_default_dtype()
    assert d.sample().shape == torch.Size([])
    assert d.sample((4, 2)).shape == torch.Size([4, 2])
    close(d.log_prob(torch.tensor(0.5)), RD.Normal(0.0, 1.0).log_prob(ref.tensor(0.5)), rtol=1e-6)
    d = D.Normal(torch.zeros(3, dtype=torch.float64), 2.0)
    assert d.scale.dtype == torch.float64 and d.scale.shape == torch.Size([3])
    b = D.Bernoulli(0.3)
    assert b.batch_shape == torch.Size([]) and b.sample((6,)).shape == torch.Size([6])
    e = D.Exponential(2.0)
    close(e.entropy(), RD.Exponential(2.0).entropy(), rtol=1e-6)


# ----- MultivariateNormal ---------------------------------------------------------------------
def _mvn_params(kind, batched):
    n = 3
    loc = RNG.normal(size=(2, n)) if batched else RNG.normal(size=(n,))
    cov = spd(n, 2) if batched else spd(n)
    if kind == "covariance_matrix":
        return loc, {"covariance_matrix": cov}
    if kind == "precision_matrix":
        return loc, {"precision_matrix": np.linalg.inv(cov)}
    return loc, {"scale_tril": np.linalg.cholesky(cov)}


@pytest.mark.parametrize("batched", [False, True])
@pytest.mark.parametrize("kind", ["covariance_matrix", "precision_matrix", "scale_tril"])
def test_mvn_against_torch(kind, batched):
    loc, mat = _mvn_params(kind, batched)
    aloc, tloc = ag(loc, True), rt(loc, True)
    amat = {k: ag(v, True) for k, v in mat.items()}
    tmat = {k: rt(v, True) for k, v in mat.items()}
    d = D.MultivariateNormal(aloc, **amat)
    td = RD.MultivariateNormal(tloc, **tmat)
    assert d.batch_shape == torch.Size(tuple(td.batch_shape))
    assert d.event_shape == torch.Size([3])
    for attr in ("mean", "mode", "variance", "stddev", "covariance_matrix", "precision_matrix", "scale_tril"):
        close(getattr(d, attr), getattr(td, attr), rtol=1e-8, atol=1e-10)
    for shape in [(), (4,), (2, 1)]:
        v = RNG.normal(size=shape + tuple(td.batch_shape) + (3,))
        close(d.log_prob(ag(v)), td.log_prob(rt(v)))
    close(d.entropy(), td.entropy())
    v = RNG.normal(size=(5,) + tuple(td.batch_shape) + (3,))
    loss = d.log_prob(ag(v)).sum() + d.entropy().sum() + d.variance.sum()
    tloss = td.log_prob(rt(v)).sum() + td.entropy().sum() + td.variance.sum()
    loss.backward()
    tloss.backward()
    close(aloc.grad, tloc.grad, rtol=1e-7, atol=1e-9)
    for k in amat:
        close(amat[k].grad, tmat[k].grad, rtol=1e-6, atol=1e-8)


def test_mvn_broadcast_batch_and_rsample():
    loc = RNG.normal(size=(4, 1, 2))
    cov = spd(2, 3)
    d = D.MultivariateNormal(ag(loc), covariance_matrix=ag(cov))
    td = RD.MultivariateNormal(rt(loc), covariance_matrix=rt(cov))
    assert d.batch_shape == torch.Size([4, 3]) == torch.Size(tuple(td.batch_shape))
    v = RNG.normal(size=(4, 3, 2))
    close(d.log_prob(ag(v)), td.log_prob(rt(v)))
    close(d.entropy(), td.entropy())
    assert d.rsample((5,)).shape == torch.Size([5, 4, 3, 2])
    L = ag(np.linalg.cholesky(spd(2)), True)
    mu = ag(np.zeros(2), True)
    s = D.MultivariateNormal(mu, scale_tril=L).rsample((7,))
    assert s.requires_grad
    s.sum().backward()
    close(mu.grad, np.full(2, 7.0))
    assert L.grad is not None


def test_mvn_empirical_moments():
    torch.manual_seed(0)
    loc = np.array([1.0, -2.0])
    cov = np.array([[2.0, 0.6], [0.6, 1.0]])
    d = D.MultivariateNormal(ag(loc), covariance_matrix=ag(cov))
    x = npy(d.sample((40000,)))
    assert x.shape == (40000, 2)
    np.testing.assert_allclose(x.mean(0), loc, atol=0.05)
    np.testing.assert_allclose(np.cov(x.T), cov, atol=0.08)


def test_mvn_errors():
    loc = torch.zeros(2, dtype=torch.float64)
    with pytest.raises(ValueError, match="Exactly one of covariance_matrix or precision_matrix"):
        D.MultivariateNormal(loc)
    with pytest.raises(ValueError, match="Exactly one of covariance_matrix or precision_matrix"):
        D.MultivariateNormal(loc, covariance_matrix=torch.eye(2, dtype=torch.float64),
                             scale_tril=torch.eye(2, dtype=torch.float64))
    with pytest.raises(ValueError, match="loc must be at least one-dimensional"):
        D.MultivariateNormal(torch.tensor(0.0), covariance_matrix=torch.eye(1))
    bad = torch.tensor([[1.0, 2.0], [2.0, 1.0]], dtype=torch.float64)  # symmetric, indefinite
    with pytest.raises(ValueError, match="covariance_matrix .* to satisfy the constraint PositiveDefinite"):
        D.MultivariateNormal(loc, covariance_matrix=bad)
    with pytest.raises(ValueError, match="scale_tril .* to satisfy the constraint LowerCholesky"):
        D.MultivariateNormal(loc, scale_tril=torch.tensor([[1.0, 1.0], [0.0, 1.0]], dtype=torch.float64))
    d = D.MultivariateNormal(loc, covariance_matrix=torch.eye(2, dtype=torch.float64))
    with pytest.raises(ValueError, match="The right-most size of value must match event_shape"):
        d.log_prob(torch.zeros(3, dtype=torch.float64))


# ----- Independent ------------------------------------------------------------------------------
def test_independent_against_torch():
    loc, scale = RNG.normal(size=(4, 3)), pos(4, 3)
    aloc, ascale = ag(loc, True), ag(scale, True)
    tloc, tscale = rt(loc, True), rt(scale, True)
    d = D.Independent(D.Normal(aloc, ascale), 1)
    td = RD.Independent(RD.Normal(tloc, tscale), 1)
    assert d.batch_shape == torch.Size([4]) and d.event_shape == torch.Size([3])
    v = RNG.normal(size=(2, 4, 3))
    close(d.log_prob(ag(v)), td.log_prob(rt(v)))
    close(d.entropy(), td.entropy())
    close(d.mean, td.mean)
    close(d.variance, td.variance)
    assert d.has_rsample and d.rsample((5,)).shape == torch.Size([5, 4, 3])
    (d.log_prob(ag(v)).sum() + d.entropy().sum()).backward()
    (td.log_prob(rt(v)).sum() + td.entropy().sum()).backward()
    close(aloc.grad, tloc.grad)
    close(ascale.grad, tscale.grad)
    d2 = D.Independent(D.Normal(aloc, ascale), 2)
    assert d2.batch_shape == torch.Size([]) and d2.event_shape == torch.Size([4, 3])
    close(d2.log_prob(ag(v)), RD.Independent(RD.Normal(tloc, tscale), 2).log_prob(rt(v)))
    with pytest.raises(ValueError, match="Expected reinterpreted_batch_ndims <= len"):
        D.Independent(D.Normal(aloc, ascale), 3)
    with pytest.raises(ValueError, match="Value is not broadcastable with batch_shape"):  # as torch's
        d.log_prob(torch.zeros(4, 2, dtype=torch.float64))


# ----- sampling -----------------------------------------------------------------------------------
def _all_dists():
    f = torch.float64
    p = torch.tensor([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]], dtype=f)
    return {
        "normal": D.Normal(torch.zeros(2, 3, dtype=f), torch.ones(3, dtype=f)),
        "laplace": D.Laplace(torch.zeros(2, 3, dtype=f), 1.0),
        "exponential": D.Exponential(torch.ones(2, 3, dtype=f)),
        "uniform": D.Uniform(torch.zeros(2, 3, dtype=f), 2.0),
        "lognormal": D.LogNormal(torch.zeros(2, 3, dtype=f), 0.5),
        "bernoulli": D.Bernoulli(probs=p),
        "categorical": D.Categorical(probs=p),
        "onehot": D.OneHotCategorical(logits=p.log()),
        "mvn": D.MultivariateNormal(torch.zeros(2, 3, dtype=f), torch.eye(3, dtype=f)),
        "independent": D.Independent(D.Normal(torch.zeros(2, 3, dtype=f), 1.0), 1),
        "cauchy": D.Cauchy(torch.zeros(2, 3, dtype=f), 1.0),
        "gumbel": D.Gumbel(torch.zeros(2, 3, dtype=f), 2.0),
        "halfnormal": D.HalfNormal(torch.ones(2, 3, dtype=f)),
        "halfcauchy": D.HalfCauchy(torch.ones(2, 3, dtype=f)),
        "cont_bernoulli": D.ContinuousBernoulli(torch.tensor([0.2, 0.5, 0.9], dtype=f)),
        "pareto": D.Pareto(torch.ones(2, 3, dtype=f), 3.0),
        "geometric": D.Geometric(torch.full((2, 3), 0.3, dtype=f)),
        "mixture": D.MixtureSameFamily(D.Categorical(probs=torch.ones(2, 4, dtype=f)),
                                       D.Normal(torch.zeros(2, 4, dtype=f), 1.0)),
        "lowrank_mvn": D.LowRankMultivariateNormal(torch.zeros(2, 3, dtype=f), torch.ones(3, 1, dtype=f),
                                                   torch.ones(3, dtype=f)),
        "mixture_mvn": D.MixtureSameFamily(D.Categorical(probs=torch.ones(4, dtype=f)),
                                           D.MultivariateNormal(torch.zeros(4, 2, dtype=f), torch.eye(2, dtype=f))),
        **({} if not HAS_SPECIAL else {
            "weibull": D.Weibull(torch.ones(2, 3, dtype=f), torch.tensor([0.5, 1.0, 3.0], dtype=f)),
            "negative_binomial": D.NegativeBinomial(torch.tensor([1.0, 4.5, 30.0], dtype=f),
                                                    torch.full((2, 3), 0.4, dtype=f)),
            "von_mises": D.VonMises(torch.zeros(2, 3, dtype=f), torch.tensor([0.01, 1.0, 50.0], dtype=f)),
            "fishersnedecor": D.FisherSnedecor(torch.tensor([1.0, 5.0, 20.0], dtype=f), 8.0),
            "kumaraswamy": D.Kumaraswamy(torch.full((2, 3), 2.0, dtype=f), 3.0),
            "multinomial": D.Multinomial(6, torch.tensor([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]], dtype=f)),
            "gamma": D.Gamma(torch.tensor([[0.3, 1.0, 4.0]], dtype=f).expand(2, 3), 2.0),
            "chi2": D.Chi2(torch.tensor([1.0, 3.0, 5.0], dtype=f)),
            "beta": D.Beta(torch.full((2, 3), 0.7, dtype=f), 2.0),
            "dirichlet": D.Dirichlet(torch.tensor([[0.5, 1.0, 3.0], [2.0, 2.0, 2.0]], dtype=f)),
            "poisson": D.Poisson(torch.tensor([[0.0, 3.0, 40.0]], dtype=f).expand(2, 3)),
            "binomial": D.Binomial(torch.tensor([1.0, 5.0, 12.0], dtype=f), torch.full((2, 3), 0.4, dtype=f)),
            "studentT": D.StudentT(torch.tensor([1.0, 3.0, 10.0], dtype=f)),
        }),
    }


@pytest.mark.parametrize("sample_shape", [(), (4,), (2, 5), torch.Size([3])])
@pytest.mark.parametrize("name", list(_all_dists()))
def test_sample_shapes_dtypes_and_support(name, sample_shape):
    d = _all_dists()[name]
    s = d.sample(sample_shape)
    assert isinstance(s, torch.Tensor)
    assert s.shape == torch.Size(tuple(sample_shape)) + d.batch_shape + d.event_shape
    assert s.dtype == (torch.int64 if name == "categorical" else torch.float64)
    assert isinstance(d.batch_shape, torch.Size) and isinstance(d.event_shape, torch.Size)
    assert not s.requires_grad
    assert bool(d.support.check(s).all())
    lp = d.log_prob(s)
    assert lp.shape == torch.Size(tuple(sample_shape)) + d.batch_shape
    if d.has_rsample:
        assert d.rsample(sample_shape).shape == s.shape


@pytest.mark.parametrize("name", list(_all_dists()))
def test_sampling_is_reproducible_under_manual_seed(name):
    torch.manual_seed(123)
    a = npy(_all_dists()[name].sample((6,)))
    torch.manual_seed(123)
    b = npy(_all_dists()[name].sample((6,)))
    np.testing.assert_array_equal(a, b)
    c = npy(_all_dists()[name].sample((6,)))
    if name not in ("bernoulli", "categorical", "onehot"):
        assert not np.array_equal(a, c)


@pytest.mark.parametrize("name,expected_mean,expected_var", [
    ("normal", 1.5, 4.0), ("laplace", -1.0, 2 * 0.7 ** 2), ("exponential", 1 / 2.5, 1 / 2.5 ** 2),
    ("uniform", 0.5, 9 / 12), ("lognormal", math.exp(0.1 + 0.125), math.expm1(0.25) * math.exp(0.2 + 0.25)),
    ("bernoulli", 0.3, 0.21), ("gumbel", 1.0 + 2.0 * 0.5772156649015329, (math.pi * 2.0) ** 2 / 6),
    ("halfnormal", 1.5 * math.sqrt(2 / math.pi), 2.25 * (1 - 2 / math.pi)),
    ("geometric", 1 / 0.3 - 1, (1 / 0.3 - 1) / 0.3),
])
def test_empirical_moments(name, expected_mean, expected_var):
    torch.manual_seed(7)
    f = torch.float64
    d = {
        "normal": lambda: D.Normal(torch.tensor(1.5, dtype=f), torch.tensor(2.0, dtype=f)),
        "laplace": lambda: D.Laplace(torch.tensor(-1.0, dtype=f), torch.tensor(0.7, dtype=f)),
        "exponential": lambda: D.Exponential(torch.tensor(2.5, dtype=f)),
        "uniform": lambda: D.Uniform(torch.tensor(-1.0, dtype=f), torch.tensor(2.0, dtype=f)),
        "lognormal": lambda: D.LogNormal(torch.tensor(0.1, dtype=f), torch.tensor(0.5, dtype=f)),
        "bernoulli": lambda: D.Bernoulli(torch.tensor(0.3, dtype=f)),
        "gumbel": lambda: D.Gumbel(torch.tensor(1.0, dtype=f), torch.tensor(2.0, dtype=f)),
        "halfnormal": lambda: D.HalfNormal(torch.tensor(1.5, dtype=f)),
        "geometric": lambda: D.Geometric(torch.tensor(0.3, dtype=f)),
    }[name]()
    x = npy(d.sample((100000,)))
    assert abs(x.mean() - expected_mean) < 0.03 * max(1.0, abs(expected_mean))
    assert abs(x.var() - expected_var) < 0.05 * max(1.0, expected_var)
    close(d.mean, np.float64(expected_mean), rtol=1e-12)
    close(d.variance, np.float64(expected_var), rtol=1e-12)


def test_categorical_empirical_frequencies():
    torch.manual_seed(3)
    probs = np.array([[0.1, 0.0, 0.6, 0.3], [0.25, 0.25, 0.25, 0.25]])
    d = D.Categorical(probs=ag(probs * 4))  # unnormalized
    x = npy(d.sample((50000,)))
    assert x.shape == (50000, 2)
    for row in range(2):
        freq = np.bincount(x[:, row], minlength=4) / x.shape[0]
        np.testing.assert_allclose(freq, probs[row], atol=0.01)
    assert not (x[:, 0] == 1).any()  # a zero-probability category is never drawn
    oh = D.OneHotCategorical(probs=ag(probs))
    y = npy(oh.sample((20000,)))
    np.testing.assert_allclose(y.mean(0), probs, atol=0.015)
    assert (y.sum(-1) == 1).all()


@pytest.mark.parametrize("name", ["normal", "laplace", "exponential", "uniform", "lognormal", "cauchy", "gumbel"])
def test_rsample_is_reparameterized(name):
    f = torch.float64
    torch.manual_seed(11)
    if name in ("normal", "laplace", "lognormal", "cauchy", "gumbel"):
        loc = torch.tensor([0.5, -1.0], dtype=f, requires_grad=True)
        scale = torch.tensor([1.0, 2.0], dtype=f, requires_grad=True)
        d = getattr(D, {"normal": "Normal", "laplace": "Laplace", "lognormal": "LogNormal",
                        "cauchy": "Cauchy", "gumbel": "Gumbel"}[name])(loc, scale)
        x = d.rsample((1000,))
        assert x.requires_grad
        if name == "lognormal":  # d/dloc exp(loc + scale eps) = x
            x.sum().backward()
            close(loc.grad, npy(x).sum(0), rtol=1e-10)
            return
        x.mean(0).sum().backward()
        close(loc.grad, np.ones(2))  # d/dloc of the sample mean is 1
        noise = (npy(x) - npy(loc)) / npy(scale)
        close(scale.grad, noise.mean(0), rtol=1e-8)  # d/dscale = the standardized noise
        assert d.sample((3,)).requires_grad is False
    elif name == "exponential":
        rate = torch.tensor([0.5, 2.0], dtype=f, requires_grad=True)
        x = D.Exponential(rate).rsample((2000,))
        x.sum().backward()
        close(rate.grad, -(npy(x) / npy(rate)).sum(0), rtol=1e-8)  # x = E / rate
    else:
        low = torch.tensor([0.0, -1.0], dtype=f, requires_grad=True)
        high = torch.tensor([1.0, 3.0], dtype=f, requires_grad=True)
        x = D.Uniform(low, high).rsample((500,))
        x.mean(0).sum().backward()
        u = (npy(x) - npy(low)) / (npy(high) - npy(low))
        close(high.grad, u.mean(0), rtol=1e-8)
        close(low.grad, 1 - u.mean(0), rtol=1e-8)


def test_continuous_bernoulli_sampling_and_no_mode():
    torch.manual_seed(6)
    d = D.ContinuousBernoulli(torch.tensor([0.2, 0.5, 0.9], dtype=torch.float64))
    x = npy(d.sample((40000,)))
    assert ((x >= 0) & (x <= 1)).all()
    np.testing.assert_allclose(x.mean(0), npy(d.mean), atol=0.006)
    np.testing.assert_allclose(x.var(0), npy(d.variance), atol=0.004)
    with pytest.raises(NotImplementedError, match="does not implement mode"):
        d.mode
    p = torch.tensor([0.3], dtype=torch.float64, requires_grad=True)
    D.ContinuousBernoulli(p).rsample((10,)).sum().backward()
    assert p.grad is not None
    with pytest.raises(ValueError, match="The parameter probs has invalid values"):
        D.ContinuousBernoulli(torch.tensor([1.5]), validate_args=True)


def test_has_rsample_flags_and_discrete_rsample_raises():
    assert D.Normal(0.0, 1.0).has_rsample and D.MultivariateNormal(torch.zeros(2), torch.eye(2)).has_rsample
    assert not D.Bernoulli(0.5).has_rsample and not D.Categorical(torch.ones(3)).has_rsample
    with pytest.raises(NotImplementedError):
        D.Bernoulli(0.5).rsample()
    with pytest.raises(NotImplementedError):
        D.Categorical(torch.ones(3)).rsample()


# ----- enumerate_support, expand -------------------------------------------------------------------
def test_enumerate_support_matches_torch():
    p = unit(2, 3)
    for a, t in [(D.Bernoulli(ag(p)), RD.Bernoulli(rt(p))),
                 (D.Categorical(ag(pos(2, 4))), RD.Categorical(rt(pos(2, 4)))),
                 (D.OneHotCategorical(ag(pos(2, 4))), RD.OneHotCategorical(rt(pos(2, 4))))]:
        for expand in (True, False):
            ea, et = a.enumerate_support(expand), t.enumerate_support(expand)
            assert tuple(ea.shape) == tuple(et.shape)
            np.testing.assert_array_equal(npy(ea), et.numpy())
            assert ea.dtype == (torch.int64 if et.dtype == ref.int64 else torch.float64)
    assert D.Bernoulli(0.3).has_enumerate_support
    assert D.Categorical(logits=torch.zeros(3)).enumerate_support().tolist() == [0, 1, 2]


@pytest.mark.parametrize("name", list(_all_dists()))
def test_expand(name):
    d = _all_dists()[name]
    new = d.expand(torch.Size([4]) + d.batch_shape)
    assert type(new) is type(d)
    assert new.batch_shape == torch.Size([4]) + d.batch_shape
    assert new.event_shape == d.event_shape
    assert new.sample((2,)).shape == torch.Size([2, 4]) + d.batch_shape + d.event_shape
    s = d.sample()
    close(new.log_prob(s), np.broadcast_to(npy(d.log_prob(s)), (4,) + tuple(d.batch_shape)))


# ----- KL divergence -------------------------------------------------------------------------------
KL_CASES = {
    "normal": ("Normal", lambda: {"loc": RNG.normal(size=(2, 3)), "scale": pos(3)},
               lambda: {"loc": RNG.normal(size=(3,)), "scale": pos(2, 3)}),
    "bernoulli": ("Bernoulli", lambda: {"probs": unit(2, 3)}, lambda: {"logits": RNG.normal(size=(2, 3))}),
    "categorical": ("Categorical", lambda: {"probs": pos(2, 4)}, lambda: {"logits": RNG.normal(size=(2, 4))}),
    "onehot": ("OneHotCategorical", lambda: {"logits": RNG.normal(size=(4,))}, lambda: {"probs": pos(4)}),
    "uniform": ("Uniform", lambda: {"low": np.array([0.0, -1.0]), "high": np.array([1.0, 0.5])},
                lambda: {"low": np.array([-0.5, -2.0]), "high": np.array([1.5, 2.0])}),
    "exponential": ("Exponential", lambda: {"rate": pos(3)}, lambda: {"rate": pos(3)}),
    "laplace": ("Laplace", lambda: {"loc": RNG.normal(size=3), "scale": pos(3)},
                lambda: {"loc": RNG.normal(size=3), "scale": pos(3)}),
    "geometric": ("Geometric", lambda: {"probs": unit(3)}, lambda: {"logits": RNG.normal(size=3)}),
    "halfnormal": ("HalfNormal", lambda: {"scale": pos(3)}, lambda: {"scale": pos(2, 3)}),
    "cauchy": ("Cauchy", lambda: {"loc": RNG.normal(size=3), "scale": pos(3)},
               lambda: {"loc": RNG.normal(size=3), "scale": pos(3)}),
}


@pytest.mark.parametrize("name", list(KL_CASES))
def test_kl_against_torch(name):
    cls, pp, qp = KL_CASES[name]
    p_params, q_params = pp(), qp()
    ap = {k: ag(v, True) for k, v in p_params.items()}
    aq = {k: ag(v, True) for k, v in q_params.items()}
    tp = {k: rt(v, True) for k, v in p_params.items()}
    tq = {k: rt(v, True) for k, v in q_params.items()}
    kl = D.kl_divergence(getattr(D, cls)(**ap), getattr(D, cls)(**aq))
    tkl = RD.kl_divergence(getattr(RD, cls)(**tp), getattr(RD, cls)(**tq))
    close(kl, tkl)
    kl.sum().backward()
    tkl.sum().backward()
    for k in ap:
        close(ap[k].grad, tp[k].grad, rtol=1e-7, atol=1e-9)
    for k in aq:
        close(aq[k].grad, tq[k].grad, rtol=1e-7, atol=1e-9)


def test_kl_infinite_cases_match_torch():
    lo, hi = np.array([0.0, 0.0]), np.array([1.0, 1.0])
    qlo, qhi = np.array([0.2, -1.0]), np.array([2.0, 2.0])
    close(D.kl_divergence(D.Uniform(ag(lo), ag(hi)), D.Uniform(ag(qlo), ag(qhi))),
          RD.kl_divergence(RD.Uniform(rt(lo), rt(hi)), RD.Uniform(rt(qlo), rt(qhi))))
    p, q = np.array([0.0, 0.5, 1.0]), np.array([0.5, 0.0, 1.0])
    close(D.kl_divergence(D.Bernoulli(ag(p)), D.Bernoulli(ag(q))),
          RD.kl_divergence(RD.Bernoulli(rt(p)), RD.Bernoulli(rt(q))))
    p, q = np.array([0.5, 0.0, 0.5]), np.array([0.5, 0.5, 0.0])
    close(D.kl_divergence(D.Categorical(ag(p)), D.Categorical(ag(q))),
          RD.kl_divergence(RD.Categorical(rt(p)), RD.Categorical(rt(q))))
    close(D.kl_divergence(D.Categorical(ag(q)), D.Categorical(ag(p))),
          RD.kl_divergence(RD.Categorical(rt(q)), RD.Categorical(rt(p))))


@pytest.mark.parametrize("kp,kq", [("covariance_matrix", "scale_tril"), ("precision_matrix", "covariance_matrix"),
                                   ("scale_tril", "precision_matrix")])
def test_kl_mvn_against_torch(kp, kq):
    lp, mp = _mvn_params(kp, True)
    lq, mq = _mvn_params(kq, False)
    ap = {k: ag(v, True) for k, v in mp.items()}
    aq = {k: ag(v, True) for k, v in mq.items()}
    tp = {k: rt(v, True) for k, v in mp.items()}
    tq = {k: rt(v, True) for k, v in mq.items()}
    alp, alq, tlp, tlq = ag(lp, True), ag(lq, True), rt(lp, True), rt(lq, True)
    kl = D.kl_divergence(D.MultivariateNormal(alp, **ap), D.MultivariateNormal(alq, **aq))
    tkl = RD.kl_divergence(RD.MultivariateNormal(tlp, **tp), RD.MultivariateNormal(tlq, **tq))
    close(kl, tkl)
    kl.sum().backward()
    tkl.sum().backward()
    for a, t in [(alp, tlp), (alq, tlq)] + [(ap[k], tp[k]) for k in ap] + [(aq[k], tq[k]) for k in aq]:
        close(a.grad, t.grad, rtol=1e-6, atol=1e-8)


def test_kl_independent_and_mixed_pairs():
    loc1, s1, loc2, s2 = RNG.normal(size=(2, 3)), pos(2, 3), RNG.normal(size=(2, 3)), pos(2, 3)
    a = D.kl_divergence(D.Independent(D.Normal(ag(loc1), ag(s1)), 1), D.Independent(D.Normal(ag(loc2), ag(s2)), 1))
    t = RD.kl_divergence(RD.Independent(RD.Normal(rt(loc1), rt(s1)), 1),
                         RD.Independent(RD.Normal(rt(loc2), rt(s2)), 1))
    assert a.shape == torch.Size([2])
    close(a, t)
    with pytest.raises(NotImplementedError):
        D.kl_divergence(D.Independent(D.Normal(ag(loc1), ag(s1)), 1),
                        D.Independent(D.Normal(ag(loc2), ag(s2)), 2))
    rate, lo, hi = pos(3), np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.5, 2.0])
    close(D.kl_divergence(D.Exponential(ag(rate)), D.Normal(ag(loc1[0]), ag(s1[0]))),
          RD.kl_divergence(RD.Exponential(rt(rate)), RD.Normal(rt(loc1[0]), rt(s1[0]))))
    close(D.kl_divergence(D.Uniform(ag(lo), ag(hi)), D.Normal(ag(loc1[0]), ag(s1[0]))),
          RD.kl_divergence(RD.Uniform(rt(lo), rt(hi)), RD.Normal(rt(loc1[0]), rt(s1[0]))))
    close(D.kl_divergence(D.Normal(ag(loc1), ag(s1)), D.Laplace(ag(loc2), ag(s2))),
          RD.kl_divergence(RD.Normal(rt(loc1), rt(s1)), RD.Laplace(rt(loc2), rt(s2))))


def test_kl_unregistered_pair_and_register_kl():
    with pytest.raises(NotImplementedError,
                       match=r"No KL\(p \|\| q\) is implemented for p type Bernoulli and q type Normal"):
        D.kl_divergence(D.Bernoulli(0.3), D.Normal(0.0, 1.0))

    class MyNormal(D.Normal):
        pass

    # a subclass finds its parent's pair
    close(D.kl_divergence(MyNormal(0.0, 1.0), D.Normal(1.0, 2.0)),
          RD.kl_divergence(RD.Normal(0.0, 1.0), RD.Normal(1.0, 2.0)), rtol=1e-6)

    @D.register_kl(MyNormal, MyNormal)
    def _kl_mine(p, q):
        return torch.zeros(p.batch_shape)

    assert D.kl_divergence(MyNormal(0.0, 1.0), MyNormal(1.0, 2.0)).tolist() == 0.0
    with pytest.raises(TypeError, match="Expected type_p to be a Distribution subclass"):
        D.register_kl(int, D.Normal)


# ----- validation ------------------------------------------------------------------------------------
def test_parameter_validation_messages():
    with pytest.raises(ValueError, match=r"Expected parameter scale \(Tensor of shape \(2,\)\) of "
                                         r"distribution Normal\(loc: .*\) to satisfy the constraint "
                                         r"GreaterThan\(lower_bound=0.0\), but found invalid values"):
        D.Normal(torch.zeros(2), torch.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match="Expected parameter probs .* to satisfy the constraint "
                                         r"Interval\(lower_bound=0.0, upper_bound=1.0\)"):
        D.Bernoulli(probs=torch.tensor([0.5, 1.5]))
    with pytest.raises(ValueError, match="Expected parameter rate"):
        D.Exponential(torch.tensor([0.0]))
    with pytest.raises(ValueError, match="Expected parameter probs .* Simplex"):
        D.Categorical(probs=torch.tensor([0.5, -0.1, 0.6]))
    with pytest.raises(ValueError, match="Expected parameter loc .* Real"):
        D.Normal(torch.tensor([float("nan")]), 1.0)
    with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified, but not both."):
        D.Bernoulli()
    with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified, but not both."):
        D.Categorical(probs=torch.ones(2), logits=torch.ones(2))
    with pytest.raises(ValueError, match="`probs` parameter must be at least one-dimensional."):
        D.Categorical(probs=torch.tensor(1.0))
    with pytest.raises(ValueError, match="Input arguments must all be instances of numbers.Number"):
        D.Normal([0.0], 1.0)
    # validate_args=False: no check
    d = D.Normal(torch.zeros(2), torch.tensor([1.0, -1.0]), validate_args=False)
    assert d.batch_shape == torch.Size([2])


def test_sample_validation_messages():
    d = D.Normal(torch.zeros(2, 3), 1.0)
    with pytest.raises(ValueError, match="The value argument to log_prob must be a Tensor"):
        d.log_prob(0.5)
    with pytest.raises(ValueError, match="Value is not broadcastable with batch_shape\\+event_shape"):
        d.log_prob(torch.zeros(2, 4))
    e = D.Exponential(torch.ones(3))
    with pytest.raises(ValueError, match=r"Expected value argument \(Tensor of shape \(3,\)\) to be within "
                                         r"the support \(GreaterThanEq\(lower_bound=0.0\)\) of the "
                                         r"distribution Exponential\(rate: .*\), but found invalid values"):
        e.log_prob(torch.tensor([1.0, -1.0, 2.0]))
    with pytest.raises(ValueError, match=r"to be within the support \(Boolean\(\)\)"):
        D.Bernoulli(probs=torch.tensor([0.3])).log_prob(torch.tensor([0.5]))
    with pytest.raises(ValueError, match=r"IntegerInterval\(lower_bound=0, upper_bound=2\)"):
        D.Categorical(logits=torch.zeros(3)).log_prob(torch.tensor(3))
    with pytest.raises(ValueError, match=r"Interval\(lower_bound="):
        D.Uniform(0.0, 1.0).log_prob(torch.tensor(1.5))
    with pytest.raises(ValueError, match=r"Expected parameter low \(Tensor of shape \(2,\)\) of distribution "
                                         r"Uniform\(low: .*\) to satisfy the constraint LessThan\(upper_bound="):
        D.Uniform(torch.tensor([0.0, 2.0]), torch.tensor([1.0, 1.0]))
    with pytest.raises(ValueError, match=r"OneHot\(\)"):
        D.OneHotCategorical(probs=torch.ones(3)).log_prob(torch.tensor([1.0, 1.0, 0.0]))
    # with validation off, values outside the support give what the formula gives
    lp = D.Exponential(torch.ones(1), validate_args=False).log_prob(torch.tensor([-1.0]))
    close(lp, np.array([1.0], dtype=np.float32))
    lp = D.Uniform(0.0, 1.0, validate_args=False).log_prob(torch.tensor(1.5))
    assert lp.tolist() == -math.inf


def test_set_default_validate_args():
    try:
        D.Distribution.set_default_validate_args(False)
        d = D.Normal(torch.zeros(1), torch.tensor([-1.0]))  # no error
        assert not d._validate_args
        d.log_prob(torch.tensor([0.0]))
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Normal(torch.zeros(1), torch.tensor([-1.0]))
    with pytest.raises(ValueError):
        D.Distribution.set_default_validate_args("yes")
    # an explicit validate_args=True wins over the default
    try:
        D.Distribution.set_default_validate_args(False)
        with pytest.raises(ValueError, match="Expected parameter scale"):
            D.Normal(torch.zeros(1), torch.tensor([-1.0]), validate_args=True)
    finally:
        D.Distribution.set_default_validate_args(True)


def test_repr_matches_torch():
    assert repr(D.Normal(torch.zeros(2), torch.ones(2))) == \
        "Normal(loc: arraygrad.Size([2]), scale: arraygrad.Size([2]))"
    assert repr(D.Categorical(logits=torch.zeros(2, 3))).startswith("Categorical(logits: arraygrad.Size([2, 3])")
    assert repr(D.constraints.positive) == repr(RD.constraints.positive)
    assert repr(D.constraints.unit_interval) == repr(RD.constraints.unit_interval)
    assert repr(D.constraints.real_vector) == repr(RD.constraints.real_vector)
    assert repr(D.constraints.integer_interval(0, 3)) == repr(RD.constraints.integer_interval(0, 3))


# ----- constraints ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name,args,value", [
    ("real", (), [0.0, float("nan"), float("inf")]),
    ("positive", (), [1.0, 0.0, -1.0]),
    ("nonnegative", (), [1.0, 0.0, -1.0]),
    ("unit_interval", (), [0.0, 0.5, 1.0, 1.5]),
    ("boolean", (), [0.0, 1.0, 0.5]),
    ("nonnegative_integer", (), [0.0, 2.0, 2.5, -1.0]),
    ("positive_integer", (), [0.0, 2.0, 1.0]),
    ("integer_interval", (0, 3), [0.0, 3.0, 4.0, 1.5]),
    ("interval", (-1.0, 1.0), [-1.0, 1.0, 1.1]),
    ("half_open_interval", (-1.0, 1.0), [-1.0, 1.0, 0.0]),
    ("greater_than", (1.0,), [1.0, 2.0]),
    ("greater_than_eq", (1.0,), [1.0, 0.0]),
    ("less_than", (1.0,), [1.0, 0.0]),
    ("simplex", (), [[0.2, 0.8], [0.5, 0.6], [-0.1, 1.1]]),
    ("one_hot", (), [[0.0, 1.0], [1.0, 1.0], [0.0, 0.0]]),
    ("real_vector", (), [[0.0, 1.0], [float("nan"), 1.0]]),
    ("lower_cholesky", (), [[[1.0, 0.0], [2.0, 1.0]], [[1.0, 1.0], [0.0, 1.0]], [[-1.0, 0.0], [0.0, 1.0]]]),
    ("lower_triangular", (), [[[1.0, 0.0], [2.0, 1.0]], [[1.0, 1.0], [0.0, 1.0]]]),
    ("positive_definite", (), [[[2.0, 0.5], [0.5, 1.0]], [[1.0, 2.0], [2.0, 1.0]], [[1.0, 0.5], [0.0, 1.0]]]),
    ("positive_semidefinite", (), [[[1.0, 1.0], [1.0, 1.0]], [[1.0, 2.0], [2.0, 1.0]]]),
    ("symmetric", (), [[[1.0, 1.0], [1.0, 1.0]], [[1.0, 2.0], [0.0, 1.0]]]),
])
def test_constraints_against_torch(name, args, value):
    c, tc = getattr(D.constraints, name), getattr(RD.constraints, name)
    if args:
        c, tc = c(*args), tc(*args)
    v = np.array(value)
    got = npy(c.check(ag(v)))
    np.testing.assert_array_equal(got, tc.check(rt(v)).numpy())
    assert c.is_discrete == tc.is_discrete and c.event_dim == tc.event_dim
    assert repr(c) == repr(tc)


def test_dependent_constraints():
    assert D.constraints.is_dependent(D.constraints.dependent)
    assert D.constraints.is_dependent(D.Uniform.support)
    assert not D.constraints.is_dependent(D.constraints.real)
    with pytest.raises(ValueError, match="Cannot determine validity of dependent constraint"):
        D.constraints.dependent.check(torch.zeros(1))
    u = D.Uniform(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 3.0]))
    assert u.support.check(torch.tensor([0.5, 3.5])).tolist() == [True, False]
    ind = D.constraints.independent(D.constraints.positive, 1)
    assert ind.event_dim == 1
    assert ind.check(torch.tensor([[1.0, 2.0], [1.0, -1.0]])).tolist() == [True, False]
    assert D.Categorical(logits=torch.zeros(4)).support.upper_bound == 3


# ----- misc API ----------------------------------------------------------------------------------------
def test_lazy_probs_logits_conversions():
    p = unit(3)
    b = D.Bernoulli(probs=ag(p))
    close(b.logits, RD.Bernoulli(probs=rt(p)).logits)
    lg = RNG.normal(size=(2, 4))
    c = D.Categorical(logits=ag(lg))
    tc = RD.Categorical(logits=rt(lg))
    close(c.probs, tc.probs)
    close(c.logits, tc.logits)
    assert c.param_shape == torch.Size([2, 4])
    pr = pos(2, 4)
    c2, tc2 = D.Categorical(probs=ag(pr)), RD.Categorical(probs=rt(pr))
    close(c2.probs, tc2.probs)
    close(c2.logits, tc2.logits)


def test_normal_icdf_cdf_roundtrip_and_perplexity():
    d = D.Normal(ag([0.0, 1.0]), ag([1.0, 3.0]))
    p = ag([[0.001, 0.3], [0.5, 0.999]])
    close(d.cdf(d.icdf(p)), p, rtol=1e-12)
    close(d.perplexity(), RD.Normal(rt([0.0, 1.0]), rt([1.0, 3.0])).perplexity())


def test_float32_parameters():
    d = D.Normal(torch.zeros(3), torch.ones(3))
    assert d.sample().dtype == torch.float32
    assert d.log_prob(torch.zeros(3)).dtype == torch.float32
    m = D.MultivariateNormal(torch.zeros(2), scale_tril=torch.eye(2))
    assert m.rsample((4,)).dtype == torch.float32
    c = D.Categorical(logits=torch.zeros(3))
    assert c.sample((2,)).dtype == torch.int64
    assert c.entropy().dtype == torch.float32


def test_transformed_distribution():
    loc, scale = RNG.normal(size=3), pos(3)
    base, tbase = D.Normal(ag(loc), ag(scale)), RD.Normal(rt(loc), rt(scale))
    ts = [D.AffineTransform(1.0, 2.0), D.ExpTransform()]
    tts = [RD.transforms.AffineTransform(1.0, 2.0), RD.transforms.ExpTransform()]
    d, td = D.TransformedDistribution(base, ts), RD.TransformedDistribution(tbase, tts)
    v = RNG.uniform(0.5, 5.0, (4, 3))
    close(d.log_prob(ag(v)), td.log_prob(rt(v)))
    close(d.cdf(ag(v)), td.cdf(rt(v)))
    q = RNG.uniform(0.1, 0.9, (4, 3))
    close(d.icdf(ag(q)), td.icdf(rt(q)), rtol=1e-8)
    assert d.rsample((2,)).shape == torch.Size([2, 3])
    sig = D.TransformedDistribution(base, [D.SigmoidTransform()])
    tsig = RD.TransformedDistribution(tbase, [RD.transforms.SigmoidTransform()])
    u = RNG.uniform(0.1, 0.9, (3,))
    close(sig.log_prob(ag(u)), tsig.log_prob(rt(u)))
    neg = D.TransformedDistribution(base, [D.AffineTransform(0.0, -1.0)])
    tneg = RD.TransformedDistribution(tbase, [RD.transforms.AffineTransform(0.0, -1.0)])
    close(neg.cdf(ag(u)), tneg.cdf(rt(u)))


def test_sample_reads_no_values(monkeypatch):
    """The op path (rsample, log_prob, entropy, sampling) never converts a tensor to a
    Python value: only validation does, so with it off nothing calls bool/item/tolist."""
    f = torch.float64
    dists = [
        D.Normal(torch.zeros(2, dtype=f), torch.ones(2, dtype=f), validate_args=False),
        D.Laplace(torch.zeros(2, dtype=f), 1.0, validate_args=False),
        D.Exponential(torch.ones(2, dtype=f), validate_args=False),
        D.Uniform(torch.zeros(2, dtype=f), 1.0, validate_args=False),
        D.Bernoulli(logits=torch.zeros(2, dtype=f), validate_args=False),
        D.Categorical(logits=torch.zeros(2, 3, dtype=f), validate_args=False),
        D.OneHotCategorical(probs=torch.ones(2, 3, dtype=f), validate_args=False),
        D.MultivariateNormal(torch.zeros(2, dtype=f), torch.eye(2, dtype=f), validate_args=False),
        D.LowRankMultivariateNormal(torch.zeros(3, dtype=f), torch.ones(3, 1, dtype=f), torch.ones(3, dtype=f),
                                    validate_args=False),
        D.Cauchy(torch.zeros(2, dtype=f), 1.0, validate_args=False),
        D.Gumbel(torch.zeros(2, dtype=f), 1.0, validate_args=False),
        D.HalfNormal(torch.ones(2, dtype=f), validate_args=False),
        D.LogNormal(torch.zeros(2, dtype=f), 1.0, validate_args=False),
        D.Geometric(torch.full((2,), 0.3, dtype=f), validate_args=False),
        D.Independent(D.Normal(torch.zeros(2, 3, dtype=f), 1.0, validate_args=False), 1, validate_args=False),
        D.MixtureSameFamily(D.Categorical(logits=torch.zeros(3, dtype=f), validate_args=False),
                            D.Normal(torch.zeros(3, dtype=f), 1.0, validate_args=False), validate_args=False),
        D.RelaxedBernoulli(torch.tensor(0.5, dtype=f), logits=torch.zeros(2, dtype=f), validate_args=False),
    ]
    if HAS_SPECIAL:
        conc = torch.tensor([0.5, 2.0], dtype=f, requires_grad=True)
        dists += [
            D.Gamma(conc, 1.0, validate_args=False),
            D.Beta(conc, 2.0, validate_args=False),
            D.Dirichlet(conc, validate_args=False),
            D.StudentT(conc, validate_args=False),
            D.Poisson(torch.tensor([0.5, 30.0], dtype=f), validate_args=False),
            D.NegativeBinomial(torch.tensor([2.0, 5.0], dtype=f), 0.3, validate_args=False),
            D.Multinomial(4, torch.ones(3, dtype=f), validate_args=False),
            D.RelaxedOneHotCategorical(torch.tensor(0.5, dtype=f), torch.ones(3, dtype=f), validate_args=False),
        ]
    Tensor = torch.Tensor

    def boom(*a, **k):
        raise AssertionError("a value was read")

    for meth in ("__bool__", "item", "tolist", "__float__", "__int__", "__index__"):
        monkeypatch.setattr(Tensor, meth, boom, raising=False)
    for d in dists:
        s = d.sample((3,))
        d.log_prob(s)
        try:
            d.entropy()
        except NotImplementedError:  # as in torch: Poisson, NegativeBinomial, mixtures, relaxed
            pass
        if d.has_rsample:
            d.rsample((2,)).sum().backward() if HAS_SPECIAL and d.__class__.__name__ in (
                "Gamma", "Beta", "Dirichlet", "StudentT") else d.rsample((2,))
    monkeypatch.undo()


@pytest.mark.parametrize("backend", ["numpy", "strict"], indirect=True)
def test_backend_generic(use_default):
    """The distributions use only arraygrad ops: they run on array-api-strict too."""
    f = torch.float64
    torch.manual_seed(0)
    loc, scale = RNG.normal(size=3), pos(3)
    d = D.Normal(torch.tensor(loc.tolist(), dtype=f), torch.tensor(scale.tolist(), dtype=f))
    td = RD.Normal(rt(loc), rt(scale))
    q = RNG.uniform(0.05, 0.95, 3)
    close(d.icdf(torch.tensor(q.tolist(), dtype=f)), td.icdf(rt(q)), rtol=1e-8)
    close(d.cdf(torch.tensor(loc.tolist(), dtype=f)), np.full(3, 0.5))
    assert d.rsample((4,)).shape == torch.Size([4, 3])
    c = D.Categorical(logits=torch.tensor([[0.0, 1.0, 2.0]], dtype=f))
    s = c.sample((5,))
    assert s.shape == torch.Size([5, 1]) and s.dtype == torch.int64
    close(c.entropy(), RD.Categorical(logits=rt([[0.0, 1.0, 2.0]])).entropy())
    cov = spd(2)
    m = D.MultivariateNormal(torch.zeros(2, dtype=f), torch.tensor(cov.tolist(), dtype=f))
    v = RNG.normal(size=(3, 2))
    close(m.log_prob(torch.tensor(v.tolist(), dtype=f)),
          RD.MultivariateNormal(rt(np.zeros(2)), rt(cov)).log_prob(rt(v)))
    b = D.Bernoulli(logits=torch.zeros(3, dtype=f))
    assert b.sample((2,)).shape == torch.Size([2, 3])
    oh = D.OneHotCategorical(logits=torch.zeros(2, 3, dtype=f))
    assert oh.sample((4,)).shape == torch.Size([4, 2, 3])
    if HAS_SPECIAL:
        conc = torch.tensor([0.5, 3.0], dtype=f, requires_grad=True)
        g = D.Gamma(conc, 2.0).rsample((50,))
        g.sum().backward()
        assert g.shape == torch.Size([50, 2]) and conc.grad is not None
        assert D.Poisson(torch.tensor([1.0, 40.0], dtype=f)).sample((5,)).shape == torch.Size([5, 2])
        close(D.Dirichlet(torch.tensor([1.0, 2.0], dtype=f)).entropy(),
              RD.Dirichlet(rt([1.0, 2.0])).entropy())


# ----- the lgamma / digamma families (when arraygrad.special has gammaln and digamma) -------------
special = pytest.mark.skipif(not HAS_SPECIAL, reason="arraygrad.special lacks gammaln/digamma")


@special
@pytest.mark.parametrize("name,make,mean,var", [
    ("gamma_small", lambda: D.Gamma(torch.tensor(0.3, dtype=torch.float64), 2.0), 0.15, 0.075),
    ("gamma", lambda: D.Gamma(torch.tensor(3.0, dtype=torch.float64), 0.5), 6.0, 12.0),
    ("chi2", lambda: D.Chi2(torch.tensor(4.0, dtype=torch.float64)), 4.0, 8.0),
    ("beta", lambda: D.Beta(torch.tensor(2.0, dtype=torch.float64), 5.0), 2 / 7, 10 / (49 * 8)),
    ("poisson_small", lambda: D.Poisson(torch.tensor(2.5, dtype=torch.float64)), 2.5, 2.5),
    ("poisson_large", lambda: D.Poisson(torch.tensor(37.0, dtype=torch.float64)), 37.0, 37.0),
    ("binomial", lambda: D.Binomial(20, torch.tensor(0.3, dtype=torch.float64)), 6.0, 4.2),
    ("weibull", lambda: D.Weibull(torch.tensor(2.0, dtype=torch.float64), 1.5),
     2.0 * math.gamma(1 + 1 / 1.5), 4.0 * (math.gamma(1 + 2 / 1.5) - math.gamma(1 + 1 / 1.5) ** 2)),
    ("pareto", lambda: D.Pareto(torch.tensor(1.0, dtype=torch.float64), 5.0), 1.25, 5 / (16 * 3)),
    ("negative_binomial", lambda: D.NegativeBinomial(torch.tensor(4.0, dtype=torch.float64), 0.4),
     4 * 0.4 / 0.6, 4 * 0.4 / 0.36),
    ("fishersnedecor", lambda: D.FisherSnedecor(torch.tensor(6.0, dtype=torch.float64), 12.0),
     12 / 10, 2 * 144 * 16 / (6 * 100 * 8)),
    ("kumaraswamy", lambda: D.Kumaraswamy(torch.tensor(2.0, dtype=torch.float64), 3.0),
     3 * math.gamma(1.5) * math.gamma(3) / math.gamma(4.5),
     3 * math.gamma(2) * math.gamma(3) / math.gamma(5) - (3 * math.gamma(1.5) * math.gamma(3) / math.gamma(4.5)) ** 2),
    ("studentT", lambda: D.StudentT(torch.tensor(6.0, dtype=torch.float64), 1.0, 2.0), 1.0, 4 * 6 / 4),
])
def test_special_empirical_moments(name, make, mean, var):
    torch.manual_seed(5)
    d = make()
    x = npy(d.sample((100000,)))
    assert x.shape == (100000,)
    assert abs(x.mean() - mean) < 0.02 * max(1.0, abs(mean))
    assert abs(x.var() - var) < 0.06 * max(1.0, var)
    close(d.mean, np.float64(mean), rtol=1e-12)
    close(d.variance, np.float64(var), rtol=1e-12)
    if name.startswith(("poisson", "binomial")):
        assert (x == np.round(x)).all() and (x >= 0).all()


@special
def test_poisson_distribution_of_counts():
    torch.manual_seed(2)
    rates = np.array([0.7, 12.0])
    x = npy(D.Poisson(ag(rates)).sample((60000,)))
    for j, lam in enumerate(rates):
        ks = np.arange(0, 25)
        freq = np.array([(x[:, j] == k).mean() for k in ks])
        pmf = RD.Poisson(ref.tensor(lam)).log_prob(ref.tensor(ks, dtype=ref.float64)).exp().numpy()
        np.testing.assert_allclose(freq, pmf, atol=0.006)


@special
def test_dirichlet_empirical_moments():
    torch.manual_seed(9)
    conc = np.array([0.5, 2.0, 3.5])
    d = D.Dirichlet(ag(conc))
    x = npy(d.sample((60000,)))
    assert x.shape == (60000, 3)
    np.testing.assert_allclose(x.sum(-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(x.mean(0), conc / conc.sum(), atol=0.005)
    np.testing.assert_allclose(x.var(0), npy(d.variance), atol=0.003)


@special
def test_gamma_rsample_gradients():
    """Implicit reparameterization: d/drate x = -x / rate exactly; d/dconcentration of the
    sample mean estimates d/dconcentration E[x] = 1 / rate; the per-sample gradient matches
    torch's at the same sample and concentration."""
    torch.manual_seed(4)
    f = torch.float64
    conc = torch.tensor([0.4, 1.0, 3.0, 30.0], dtype=f, requires_grad=True)
    rate = torch.tensor([1.0, 2.0, 0.5, 3.0], dtype=f, requires_grad=True)
    x = D.Gamma(conc, rate).rsample((20000,))
    x.mean(0).sum().backward()
    np.testing.assert_allclose(npy(conc.grad), 1 / npy(rate), rtol=0.03)
    close(rate.grad, -(npy(x) / npy(rate)).mean(0), rtol=1e-8)
    # per-sample gradients vs torch's (its own approximation: loose tolerance)
    conc2 = torch.tensor([0.4, 1.0, 3.0, 30.0], dtype=f, requires_grad=True)
    z = D.Gamma(conc2, 1.0).rsample((50,))
    z.sum().backward()
    from arraygrad.distributions.gamma import _standard_gamma_grad
    got = npy(_standard_gamma_grad(z.detach(), conc2.detach().expand(50, 4)))
    want = ref._standard_gamma_grad(rt(npy(conc2)).expand(50, 4), rt(npy(z))).numpy()
    np.testing.assert_allclose(got, want, rtol=2e-3, atol=1e-6)
    close(conc2.grad, got.sum(0), rtol=1e-10)


@special
def test_beta_dirichlet_studentT_rsample_gradients():
    torch.manual_seed(8)
    f = torch.float64
    c1 = torch.tensor([2.0], dtype=f, requires_grad=True)
    c0 = torch.tensor([3.0], dtype=f, requires_grad=True)
    x = D.Beta(c1, c0).rsample((20000,))
    x.mean().backward()
    # E[x] = c1 / (c1 + c0): d/dc1 = c0 / (c1 + c0)^2 = 0.12, d/dc0 = -0.08
    np.testing.assert_allclose(npy(c1.grad), [0.12], rtol=0.06)
    np.testing.assert_allclose(npy(c0.grad), [-0.08], rtol=0.06)
    conc = torch.tensor([1.0, 2.0, 3.0], dtype=f, requires_grad=True)
    y = D.Dirichlet(conc).rsample((20000,))
    y[:, 0].mean().backward()  # E[y0] = c0 / sum: grads (sum - c0)/sum^2, -c0/sum^2, -c0/sum^2
    np.testing.assert_allclose(npy(conc.grad), [5 / 36, -1 / 36, -1 / 36], atol=0.006)
    loc = torch.tensor(0.5, dtype=f, requires_grad=True)
    scale = torch.tensor(2.0, dtype=f, requires_grad=True)
    t = D.StudentT(torch.tensor(5.0, dtype=f), loc, scale).rsample((1000,))
    t.mean().backward()
    close(loc.grad, np.float64(1.0))
    close(scale.grad, ((npy(t) - 0.5) / 2.0).mean(), rtol=1e-8)


@special
def test_studentT_moments_at_small_df_match_torch():
    df = np.array([0.5, 1.0, 1.5, 2.0, 3.0])
    d, td = D.StudentT(ag(df), 1.0, 2.0), RD.StudentT(rt(df), 1.0, 2.0)
    close(d.mean, td.mean)
    close(d.variance, td.variance)


@special
def test_binomial_and_special_validation():
    with pytest.raises(ValueError, match="Expected parameter total_count .* IntegerGreaterThan"):
        D.Binomial(torch.tensor([2.5]), torch.tensor([0.5]))
    with pytest.raises(ValueError, match=r"IntegerInterval\(lower_bound=0, upper_bound="):
        D.Binomial(3, torch.tensor([0.5])).log_prob(torch.tensor([4.0]))
    with pytest.raises(ValueError, match="Expected parameter concentration .* IndependentConstraint"):
        D.Dirichlet(torch.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match=r"Expected parameter concentration \(Tensor of shape \(1, 2\)\) of "
                                         r"distribution Dirichlet"):  # as torch: the inner Dirichlet's
        D.Beta(torch.tensor([-1.0]), torch.tensor([1.0]))
    with pytest.raises(ValueError, match=r"Expected value argument .* to be within the support \(Simplex\(\)\)"):
        D.Dirichlet(torch.ones(3)).log_prob(torch.tensor([0.5, 0.6, 0.1]))
    with pytest.raises(ValueError, match="IntegerGreaterThan"):
        D.Poisson(torch.tensor([1.0])).log_prob(torch.tensor([0.5]))
    with pytest.raises(NotImplementedError, match="Inhomogeneous total count not supported by `entropy`"):
        D.Binomial(torch.tensor([2.0, 3.0]), torch.tensor([0.5, 0.5])).entropy()
    es = D.Binomial(3, torch.tensor([0.5, 0.2])).enumerate_support()
    np.testing.assert_array_equal(npy(es), RD.Binomial(3, ref.tensor([0.5, 0.2])).enumerate_support().numpy())


SPECIAL_KL = {
    "gamma": ("Gamma", lambda: {"concentration": pos(3, lo=0.5, hi=4), "rate": pos(3)},
              lambda: {"concentration": pos(2, 3, lo=0.5, hi=4), "rate": pos(3)}),
    "beta": ("Beta", lambda: {"concentration1": pos(3), "concentration0": pos(3)},
             lambda: {"concentration1": pos(3), "concentration0": pos(3)}),
    "dirichlet": ("Dirichlet", lambda: {"concentration": pos(2, 4)}, lambda: {"concentration": pos(4)}),
    "poisson": ("Poisson", lambda: {"rate": pos(3)}, lambda: {"rate": pos(3)}),
    "gumbel": ("Gumbel", lambda: {"loc": RNG.normal(size=3), "scale": pos(3)},
               lambda: {"loc": RNG.normal(size=3), "scale": pos(3)}),
    "binomial": ("Binomial", lambda: {"total_count": np.full(3, 5.0), "probs": unit(3)},
                 lambda: {"total_count": np.full(3, 5.0), "logits": RNG.normal(size=3)}),
}


@special
@pytest.mark.parametrize("name", list(SPECIAL_KL))
def test_special_kl_against_torch(name):
    cls, pp, qp = SPECIAL_KL[name]
    p_params, q_params = pp(), qp()
    diff = [k for k in p_params if k != "total_count"]
    ap = {k: ag(v, k != "total_count") for k, v in p_params.items()}
    aq = {k: ag(v, k != "total_count") for k, v in q_params.items()}
    tp = {k: rt(v, k != "total_count") for k, v in p_params.items()}
    tq = {k: rt(v, k != "total_count") for k, v in q_params.items()}
    kl = D.kl_divergence(getattr(D, cls)(**ap), getattr(D, cls)(**aq))
    tkl = RD.kl_divergence(getattr(RD, cls)(**tp), getattr(RD, cls)(**tq))
    close(kl, tkl)
    kl.sum().backward()
    tkl.sum().backward()
    for k in diff:
        close(ap[k].grad, tp[k].grad, rtol=1e-7, atol=1e-9)
    for k in q_params:
        if k != "total_count":
            close(aq[k].grad, tq[k].grad, rtol=1e-7, atol=1e-9)


@special
def test_special_kl_mixed_pairs():
    rate, conc, qrate = pos(3), pos(3, lo=0.5, hi=3), pos(3)
    close(D.kl_divergence(D.Exponential(ag(rate)), D.Gamma(ag(conc), ag(qrate))),
          RD.kl_divergence(RD.Exponential(rt(rate)), RD.Gamma(rt(conc), rt(qrate))))
    close(D.kl_divergence(D.Gamma(ag(conc), ag(qrate)), D.Exponential(ag(rate))),
          RD.kl_divergence(RD.Gamma(rt(conc), rt(qrate)), RD.Exponential(rt(rate))))
    with pytest.raises(NotImplementedError, match="q.total_count > p.total_count"):
        D.kl_divergence(D.Binomial(2, torch.tensor([0.5])), D.Binomial(3, torch.tensor([0.5])))
    kl = D.kl_divergence(D.Binomial(4, ag([0.5])), D.Binomial(3, ag([0.5])))
    assert npy(kl).tolist() == [math.inf]


# ----- MixtureSameFamily ------------------------------------------------------------------------------
@pytest.mark.parametrize("event", ["univariate", "mvn", "independent"])
def test_mixture_same_family_against_torch(event):
    logits = RNG.normal(size=(2, 3))
    loc = RNG.normal(size=(2, 3, 2))
    scale = pos(2, 3, 2)
    alog, aloc, ascale = ag(logits, True), ag(loc, True), ag(scale, True)
    tlog, tloc, tscale = rt(logits, True), rt(loc, True), rt(scale, True)
    if event == "univariate":
        comp, tcomp = D.Normal(aloc[..., 0], ascale[..., 0]), RD.Normal(tloc[..., 0], tscale[..., 0])
    elif event == "mvn":
        comp = D.MultivariateNormal(aloc, scale_tril=torch.diag_embed(ascale))
        tcomp = RD.MultivariateNormal(tloc, scale_tril=ref.diag_embed(tscale))
    else:
        comp, tcomp = D.Independent(D.Normal(aloc, ascale), 1), RD.Independent(RD.Normal(tloc, tscale), 1)
    d = D.MixtureSameFamily(D.Categorical(logits=alog), comp)
    td = RD.MixtureSameFamily(RD.Categorical(logits=tlog), tcomp)
    assert d.batch_shape == torch.Size(tuple(td.batch_shape))
    assert d.event_shape == torch.Size(tuple(td.event_shape))
    v = RNG.normal(size=(5,) + tuple(td.batch_shape) + tuple(td.event_shape))
    close(d.log_prob(ag(v)), td.log_prob(rt(v)))
    close(d.mean, td.mean)
    close(d.variance, td.variance)
    if event == "univariate":
        close(d.cdf(ag(v)), td.cdf(rt(v)))
    loss = d.log_prob(ag(v)).sum() + d.mean.sum()
    tloss = td.log_prob(rt(v)).sum() + td.mean.sum()
    loss.backward()
    tloss.backward()
    for a, t in [(alog, tlog), (aloc, tloc), (ascale, tscale)]:
        close(a.grad, t.grad, rtol=1e-7, atol=1e-9)
    s = d.sample((4,))
    assert s.shape == torch.Size([4]) + d.batch_shape + d.event_shape


def test_mixture_same_family_sampling_and_errors():
    torch.manual_seed(1)
    f = torch.float64
    mix = D.Categorical(probs=torch.tensor([0.25, 0.75], dtype=f))
    comp = D.Normal(torch.tensor([-5.0, 5.0], dtype=f), torch.tensor([0.5, 0.5], dtype=f))
    x = npy(D.MixtureSameFamily(mix, comp).sample((40000,)))
    assert abs((x > 0).mean() - 0.75) < 0.01
    assert abs(x.mean() - 2.5) < 0.1
    with pytest.raises(ValueError, match="The Mixture distribution needs to be an"):
        D.MixtureSameFamily(comp, comp)
    with pytest.raises(ValueError, match="The Component distribution needs to be an"):
        D.MixtureSameFamily(mix, "normal")
    with pytest.raises(ValueError, match=r"`mixture_distribution component` \(3\) does not equal"):
        D.MixtureSameFamily(D.Categorical(torch.ones(3, dtype=f)), comp)


def test_geometric_multinomial_empirical():
    torch.manual_seed(12)
    if HAS_SPECIAL:
        m = D.Multinomial(10, ag([0.2, 0.3, 0.5]))
        x = npy(m.sample((20000,)))
        assert x.shape == (20000, 3) and (x.sum(-1) == 10).all()
        np.testing.assert_allclose(x.mean(0), [2.0, 3.0, 5.0], atol=0.06)
        np.testing.assert_allclose(x.var(0), npy(m.variance), rtol=0.05)
        with pytest.raises(NotImplementedError, match="inhomogeneous total_count is not supported"):
            D.Multinomial(torch.tensor([3.0]), ag([0.2, 0.8]))
    g = D.Geometric(ag([0.2, 0.9]))
    y = npy(g.sample((40000,)))
    assert (y == np.round(y)).all() and (y >= 0).all()
    np.testing.assert_allclose(y.mean(0), [4.0, 1 / 9], rtol=0.04)


# ----- transforms and the constraint registry ------------------------------------------------------------
@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
@pytest.mark.parametrize("name,args,shape", [
    ("real", (), (4,)), ("real_vector", (), (2, 3)), ("positive", (), (4,)), ("nonnegative", (), (4,)),
    ("greater_than", (1.5,), (4,)), ("greater_than_eq", (-1.0,), (4,)), ("less_than", (2.0,), (4,)),
    ("unit_interval", (), (4,)), ("interval", (-1.0, 3.0), (2, 2)), ("half_open_interval", (0.0, 2.0), (3,)),
    ("simplex", (), (2, 3)), ("lower_cholesky", (), (2, 3, 3)),
])
def test_constraint_registry_against_torch(registry, name, args, shape):
    c, tc = getattr(D.constraints, name), getattr(RD.constraints, name)
    if args:
        c, tc = c(*args), tc(*args)
    reg, treg = getattr(D, registry), getattr(RD, registry)
    try:
        tt = treg(tc)
    except NotImplementedError:
        with pytest.raises(NotImplementedError, match="Cannot transform"):
            reg(c)
        return
    t = reg(c)
    assert repr(t) == repr(tt)
    x = RNG.normal(size=shape)
    if name == "simplex" and registry == "biject_to":
        x = RNG.normal(size=shape[:-1] + (shape[-1] - 1,))
    xa, xt = ag(x, True), rt(x, True)
    y, yt = t(xa), tt(xt)
    close(y, yt)
    assert bool(c.check(y).all())
    if t.bijective:
        close(t.log_abs_det_jacobian(xa, y), tt.log_abs_det_jacobian(xt, yt), rtol=1e-8, atol=1e-10)
        (y.sum() + t.log_abs_det_jacobian(xa, y).sum()).backward()
        (yt.sum() + tt.log_abs_det_jacobian(xt, yt).sum()).backward()
        close(xa.grad, xt.grad, rtol=1e-8, atol=1e-10)
    if t.bijective:
        close(t.inv(y), x, rtol=1e-7, atol=1e-9)
        close(t.inv(y), tt.inv(yt), rtol=1e-7, atol=1e-9)


def test_transformed_distribution_with_stick_breaking_and_tanh():
    loc, scale = RNG.normal(size=(2, 3)), pos(2, 3)
    base, tbase = D.Independent(D.Normal(ag(loc), ag(scale)), 1), RD.Independent(RD.Normal(rt(loc), rt(scale)), 1)
    d = D.TransformedDistribution(base, D.StickBreakingTransform())
    td = RD.TransformedDistribution(tbase, RD.transforms.StickBreakingTransform())
    assert d.event_shape == torch.Size([4]) == torch.Size(tuple(td.event_shape))
    v = RNG.dirichlet(np.ones(4), 2)
    close(d.log_prob(ag(v)), td.log_prob(rt(v)), rtol=1e-8)
    s = d.sample((3,))
    assert s.shape == torch.Size([3, 2, 4])
    np.testing.assert_allclose(npy(s).sum(-1), 1.0, rtol=1e-12)
    # the tanh-squashed Normal of SAC policies
    bn, tbn = D.Normal(ag(loc), ag(scale)), RD.Normal(rt(loc), rt(scale))
    sq = D.TransformedDistribution(bn, [D.TanhTransform()])
    tsq = RD.TransformedDistribution(tbn, [RD.transforms.TanhTransform()])
    u = RNG.uniform(-0.9, 0.9, (2, 3))
    close(sq.log_prob(ag(u)), tsq.log_prob(rt(u)), rtol=1e-8)
    assert bool((sq.rsample((5,)).abs() <= 1).all())


# ----- relaxed (Concrete / Gumbel-softmax) distributions ---------------------------------------------------
@pytest.mark.parametrize("param", ["probs", "logits"])
def test_relaxed_bernoulli_against_torch(param):
    temp = np.array(0.7)
    p = unit(2, 3) if param == "probs" else RNG.normal(size=(2, 3))
    at, ap, tt, tp = ag(temp, True), ag(p, True), rt(temp, True), rt(p, True)
    d = D.RelaxedBernoulli(at, **{param: ap})
    td = RD.RelaxedBernoulli(tt, **{param: tp})
    v = RNG.uniform(0.05, 0.95, (4, 2, 3))
    lp, tlp = d.log_prob(ag(v)), td.log_prob(rt(v))
    close(lp, tlp)
    lp.sum().backward()
    tlp.sum().backward()
    close(at.grad, tt.grad, rtol=1e-8)
    close(ap.grad, tp.grad, rtol=1e-8)
    lv = RNG.normal(size=(2, 3))
    close(D.LogitRelaxedBernoulli(at, **{param: ap}).log_prob(ag(lv)),
          RD.relaxed_bernoulli.LogitRelaxedBernoulli(tt, **{param: tp}).log_prob(rt(lv)))
    s = d.rsample((5,))
    assert s.shape == torch.Size([5, 2, 3]) and s.requires_grad
    assert bool(((s > 0) & (s < 1)).all())


@special
@pytest.mark.parametrize("param", ["probs", "logits"])
def test_relaxed_one_hot_categorical_against_torch(param):
    temp = np.array(0.6)  # a scalar: torch multiplies value (.., K) by it as it is
    p = pos(2, 4) if param == "probs" else RNG.normal(size=(2, 4))
    at, ap, tt, tp = ag(temp, True), ag(p, True), rt(temp, True), rt(p, True)
    d = D.RelaxedOneHotCategorical(at, **{param: ap})
    td = RD.RelaxedOneHotCategorical(tt, **{param: tp})
    assert d.event_shape == torch.Size([4]) and d.batch_shape == torch.Size([2])
    v = RNG.dirichlet(np.ones(4), (3, 2))
    lp, tlp = d.log_prob(ag(v)), td.log_prob(rt(v))
    close(lp, tlp, rtol=1e-8)
    lp.sum().backward()
    tlp.sum().backward()
    close(at.grad, tt.grad, rtol=1e-7)
    close(ap.grad, tp.grad, rtol=1e-7, atol=1e-9)
    torch.manual_seed(0)
    ap.grad = None
    s = D.RelaxedOneHotCategorical(at, **{param: ap}).rsample((6,))
    assert s.shape == torch.Size([6, 2, 4])
    np.testing.assert_allclose(npy(s).sum(-1), 1.0, rtol=1e-10)
    (s[..., 0] * 2.0).sum().backward()  # differentiable wrt the parameters
    assert ap.grad is not None and np.abs(npy(ap.grad)).sum() > 0
    # low temperature: samples near one-hot, argmax frequencies follow the probs
    torch.manual_seed(1)
    probs = np.array([0.1, 0.2, 0.7])
    x = npy(D.RelaxedOneHotCategorical(ag(0.1), probs=ag(probs)).sample((20000,)))
    np.testing.assert_allclose(np.bincount(x.argmax(-1), minlength=3) / 20000, probs, atol=0.015)


# ----- LowRankMultivariateNormal ---------------------------------------------------------------------------
@pytest.mark.parametrize("batched", [False, True])
def test_lowrank_mvn_against_torch(batched):
    n, m = 4, 2
    loc = RNG.normal(size=(3, n) if batched else (n,))
    W = RNG.normal(size=(n, m))
    Dg = pos(3, n) if batched else pos(n)
    a = [ag(loc, True), ag(W, True), ag(Dg, True)]
    t = [rt(loc, True), rt(W, True), rt(Dg, True)]
    d, td = D.LowRankMultivariateNormal(*a), RD.LowRankMultivariateNormal(*t)
    assert d.batch_shape == torch.Size(tuple(td.batch_shape)) and d.event_shape == torch.Size([n])
    for attr in ("mean", "variance", "covariance_matrix", "precision_matrix", "scale_tril"):
        close(getattr(d, attr), getattr(td, attr), rtol=1e-8, atol=1e-10)
    v = RNG.normal(size=(5,) + tuple(td.batch_shape) + (n,))
    close(d.log_prob(ag(v)), td.log_prob(rt(v)))
    close(d.entropy(), td.entropy())
    (d.log_prob(ag(v)).sum() + d.entropy().sum()).backward()
    (td.log_prob(rt(v)).sum() + td.entropy().sum()).backward()
    for x, y in zip(a, t):
        close(x.grad, y.grad, rtol=1e-7, atol=1e-9)
    torch.manual_seed(0)
    s = d.rsample((30000,))
    assert s.shape == torch.Size([30000]) + d.batch_shape + d.event_shape
    flat = npy(s).reshape(30000, -1, n)[:, 0]
    cov = npy(d.covariance_matrix).reshape(-1, n, n)[0]
    np.testing.assert_allclose(np.cov(flat.T), cov, atol=0.05 * np.abs(cov).max())
    with pytest.raises(ValueError, match="cov_factor must be a batch of matrices with shape 4 x m"):
        D.LowRankMultivariateNormal(ag(loc), ag(np.ones((3, 2))), ag(Dg))


@special
@pytest.mark.parametrize("kappa", [0.05, 0.7, 5.0, 200.0])
def test_von_mises_circular_moments(kappa):
    torch.manual_seed(21)
    d = D.VonMises(torch.tensor([2.5, -1.0], dtype=torch.float64), torch.tensor(kappa, dtype=torch.float64))
    x = npy(d.sample((50000,)))
    assert x.shape == (50000, 2) and (x >= -math.pi).all() and (x < math.pi).all()
    r = np.exp(1j * x).mean(0)
    np.testing.assert_allclose(np.abs(r), 1 - npy(d.variance), atol=0.01)
    if kappa > 0.5:
        np.testing.assert_allclose(np.angle(r), [2.5, -1.0], atol=0.03)


@special
def test_standard_gamma_grad_grid_against_torch():
    from arraygrad.distributions.gamma import _standard_gamma_grad
    alpha = np.array([0.01, 0.2, 0.9, 1.0, 2.5, 8.0, 60.0, 400.0, 999.0, 1000.0, 5000.0, 1e5])
    qs = np.array([0.01, 0.2, 0.5, 0.8, 0.99])
    a = np.repeat(alpha, len(qs))
    q = np.tile(qs, len(alpha))
    sp = pytest.importorskip("scipy.special")  # the quantiles (torch has no Gamma.icdf)
    x = sp.gammaincinv(a, q)
    got = npy(_standard_gamma_grad(ag(x), ag(a)))
    want = ref._standard_gamma_grad(rt(a), rt(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=3e-3, atol=1e-8)


# ----- every KL pair torch registers among the families here ---------------------------------------------
_KL_FAMILIES = {
    "Normal": lambda: {"loc": RNG.normal(size=3), "scale": pos(3)},
    "Laplace": lambda: {"loc": RNG.normal(size=3), "scale": pos(3)},
    "Gumbel": lambda: {"loc": RNG.normal(size=3), "scale": pos(3)},
    "Cauchy": lambda: {"loc": RNG.normal(size=3), "scale": pos(3)},
    "HalfNormal": lambda: {"scale": pos(3)},
    "Exponential": lambda: {"rate": pos(3)},
    "Uniform": lambda: {"low": RNG.uniform(0.05, 0.3, 3), "high": RNG.uniform(0.6, 0.95, 3)},
    "Pareto": lambda: {"scale": pos(3, lo=0.1, hi=0.4), "alpha": np.array([0.8, 1.5, 3.5])},
    "Bernoulli": lambda: {"probs": unit(3)},
    "Geometric": lambda: {"probs": unit(3)},
    "Categorical": lambda: {"probs": pos(3, 4)},
    "OneHotCategorical": lambda: {"logits": RNG.normal(size=(3, 4))},
    "Gamma": lambda: {"concentration": pos(3, lo=0.5, hi=4.0), "rate": pos(3)},
    "Beta": lambda: {"concentration1": pos(3), "concentration0": pos(3)},
    "Dirichlet": lambda: {"concentration": pos(3, 4)},
    "Poisson": lambda: {"rate": pos(3)},
    "Binomial": lambda: {"total_count": np.full(3, 4.0), "probs": unit(3)},
    "LogNormal": lambda: {"loc": RNG.normal(size=3), "scale": pos(3)},
}


def _kl_pairs():
    import torch.distributions.kl as K
    pairs = []
    for a, b in K._KL_REGISTRY:
        if a.__name__ in _KL_FAMILIES and b.__name__ in _KL_FAMILIES and hasattr(D, a.__name__) \
                and hasattr(D, b.__name__):
            pairs.append((a.__name__, b.__name__))
    pairs += [("LogNormal", "LogNormal")]  # TransformedDistribution pairs with equal transforms
    return sorted(set(pairs))


@pytest.mark.parametrize("pname,qname", _kl_pairs())
def test_kl_all_registered_pairs_against_torch(pname, qname):
    pp, qp = _KL_FAMILIES[pname](), _KL_FAMILIES[qname]()
    fixed = ("total_count",)
    ap = {k: ag(v, k not in fixed) for k, v in pp.items()}
    aq = {k: ag(v, k not in fixed) for k, v in qp.items()}
    tp = {k: rt(v, k not in fixed) for k, v in pp.items()}
    tq = {k: rt(v, k not in fixed) for k, v in qp.items()}
    kl = D.kl_divergence(getattr(D, pname)(**ap), getattr(D, qname)(**aq))
    tkl = RD.kl_divergence(getattr(RD, pname)(**tp), getattr(RD, qname)(**tq))
    close(kl, tkl, rtol=1e-8, atol=1e-10)
    finite = np.isfinite(tkl.detach().numpy())
    if finite.any():
        (kl * ag(finite * 1.0)).nan_to_num(0.0).sum().backward()
        tkl.masked_fill(ref.tensor(~finite), 0.0).sum().backward()
        for k in pp:
            if k not in fixed and tp[k].grad is not None:
                close(ap[k].grad, tp[k].grad, rtol=1e-7, atol=1e-9)
        for k in qp:
            if k not in fixed and tq[k].grad is not None:
                close(aq[k].grad, tq[k].grad, rtol=1e-7, atol=1e-9)


def test_kl_lowrank_pairs_against_torch():
    n, m = 3, 2
    loc1, loc2 = RNG.normal(size=(2, n)), RNG.normal(size=n)
    W1, W2, D1, D2 = RNG.normal(size=(n, m)), RNG.normal(size=(2, n, m)), pos(n), pos(2, n)
    cov = spd(n)
    lr1 = D.LowRankMultivariateNormal(ag(loc1), ag(W1), ag(D1))
    tlr1 = RD.LowRankMultivariateNormal(rt(loc1), rt(W1), rt(D1))
    lr2 = D.LowRankMultivariateNormal(ag(loc2), ag(W2), ag(D2))
    tlr2 = RD.LowRankMultivariateNormal(rt(loc2), rt(W2), rt(D2))
    mvn, tmvn = D.MultivariateNormal(ag(loc2), ag(cov)), RD.MultivariateNormal(rt(loc2), rt(cov))
    for a, b, ta, tb in [(lr1, lr2, tlr1, tlr2), (mvn, lr1, tmvn, tlr1), (lr2, mvn, tlr2, tmvn)]:
        close(D.kl_divergence(a, b), RD.kl_divergence(ta, tb), rtol=1e-8)


def test_kl_transformed_needs_equal_transforms():
    a = D.TransformedDistribution(D.Normal(0.0, 1.0), [D.AffineTransform(0.0, 2.0)])
    b = D.TransformedDistribution(D.Normal(1.0, 1.0), [D.AffineTransform(0.0, 3.0)])
    with pytest.raises(NotImplementedError):
        D.kl_divergence(a, b)
    c = D.TransformedDistribution(D.Normal(1.0, 2.0), [D.AffineTransform(0.0, 2.0)])
    close(D.kl_divergence(a, c), RD.kl_divergence(RD.Normal(0.0, 1.0), RD.Normal(1.0, 2.0)), rtol=1e-6)


def test_own_erfinv_fallback_against_torch():
    """The package's own erfinv (used where arraygrad has none) matches torch's, gradient too."""
    from arraygrad import _dispatch
    from arraygrad.distributions import utils as U
    name = "_distributions_erfinv_test"
    op = _dispatch.Op(name, ("x",), lambda xp, g, ans: g * (math.sqrt(math.pi) / 2) * xp.exp(ans * ans),
                      dtypes="real floating", generic=U._erfinv_generic)
    try:
        x = np.array([-0.999999, -0.999, -0.5, 0.0, 0.3, 0.9, 0.99999])
        a, t = ag(x, True), rt(x, True)
        y, ty = _dispatch.unary(op, a), ref.erfinv(t)
        close(y, ty, rtol=1e-11, atol=1e-13)
        y.sum().backward()
        ty.sum().backward()
        close(a.grad, t.grad, rtol=1e-9)
        edge = npy(_dispatch.unary(op, ag([1.0, -1.0, 1.5])))
        assert edge[0] == math.inf and edge[1] == -math.inf and math.isnan(edge[2])
    finally:  # leave the global op table as it was
        _dispatch.OPS.pop(name, None)
        _dispatch.GENERIC_IMPLS.pop(name, None)


def test_gamma_cdf_matches_torch():
    """Gamma.cdf through special.gammainc, differentiable in the value (as in torch, not in
    the concentration: torch's igamma has no derivative there either)."""
    conc, rate, v = [0.5, 2.0, 7.5], [1.0, 3.0, 0.25], [0.2, 0.5, 40.0]
    value = ref.tensor(v, dtype=ref.float64, requires_grad=True)
    ours_value = torch.tensor(v, dtype=torch.float64, requires_grad=True)
    theirs = RD.Gamma(ref.tensor(conc, dtype=ref.float64), ref.tensor(rate, dtype=ref.float64)).cdf(value)
    ours = D.Gamma(torch.tensor(conc, dtype=torch.float64), torch.tensor(rate, dtype=torch.float64)).cdf(ours_value)
    np.testing.assert_allclose(np.asarray(ours.detach()), theirs.detach().numpy(), rtol=1e-12)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(np.asarray(ours_value.grad), value.grad.numpy(), rtol=1e-12)
