"""More KL pairs (PyTorch's): across families, infinite where q's support misses part of
p's, low-rank normals, and transformed distributions with equal transforms. Families that need
arraygrad.special (lgamma/digamma) register theirs only when it is there."""

from __future__ import annotations

import math

import arraygrad as _ag

from .bernoulli import Bernoulli
from .continuous_bernoulli import ContinuousBernoulli
from .exponential import Exponential
from .gumbel import Gumbel
from .kl import kl_divergence, register_kl
from .laplace import Laplace
from .lowrank_multivariate_normal import (LowRankMultivariateNormal, _batch_lowrank_logdet,
                                          _batch_lowrank_mahalanobis)
from .multivariate_normal import MultivariateNormal, _batch_mahalanobis, _batch_trace_XXT, _solve_lower
from .normal import Normal
from .pareto import Pareto
from .transformed_distribution import TransformedDistribution
from .uniform import Uniform
from .utils import euler_constant as _euler_gamma


def _infinite(p, q):
    """inf over p's batch shape (q's support misses part of p's)."""
    ref = p.mean
    return _ag.full(tuple(p.batch_shape), math.inf, dtype=ref.dtype, device=ref.device)


def _x_log_x(t):
    return t * t.log()


def _expand_to(x, shape):
    return x.expand(tuple(shape) + tuple(x.shape[-2:]))


@register_kl(TransformedDistribution, TransformedDistribution)
def _kl_transformed_transformed(p, q):
    if p.transforms != q.transforms:
        raise NotImplementedError
    if p.event_shape != q.event_shape:
        raise NotImplementedError
    return kl_divergence(p.base_dist, q.base_dist)


@register_kl(Pareto, Pareto)
def _kl_pareto_pareto(p, q):
    scale_ratio = p.scale / q.scale
    alpha_ratio = q.alpha / p.alpha
    t1 = q.alpha * scale_ratio.log()
    t2 = -alpha_ratio.log()
    result = t1 + t2 + alpha_ratio - 1
    return _ag.where(p.scale < q.scale, math.inf, result)


@register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)
def _kl_lowrank_lowrank(p, q):
    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two Low Rank Multivariate Normals with "
                         "different event shapes cannot be computed")
    term1 = (_batch_lowrank_logdet(q._unbroadcasted_cov_factor, q._unbroadcasted_cov_diag, q._capacitance_tril)
             - _batch_lowrank_logdet(p._unbroadcasted_cov_factor, p._unbroadcasted_cov_diag,
                                     p._capacitance_tril))
    term3 = _batch_lowrank_mahalanobis(q._unbroadcasted_cov_factor, q._unbroadcasted_cov_diag,
                                       q.loc - p.loc, q._capacitance_tril)
    qWt_qDinv = q._unbroadcasted_cov_factor.mT / q._unbroadcasted_cov_diag.unsqueeze(-2)
    shape = _ag.broadcast_shapes(tuple(q._capacitance_tril.shape[:-2]), tuple(qWt_qDinv.shape[:-2]))
    A = _solve_lower(_expand_to(q._capacitance_tril, shape), _expand_to(qWt_qDinv, shape))
    term21 = (p._unbroadcasted_cov_diag / q._unbroadcasted_cov_diag).sum(-1)
    term22 = _batch_trace_XXT(p._unbroadcasted_cov_factor * q._unbroadcasted_cov_diag.rsqrt().unsqueeze(-1))
    term23 = _batch_trace_XXT(A * p._unbroadcasted_cov_diag.sqrt().unsqueeze(-2))
    term24 = _batch_trace_XXT(_ag.matmul(A, p._unbroadcasted_cov_factor))
    term2 = term21 + term22 - term23 - term24
    return 0.5 * (term1 + term2 + term3 - p.event_shape[0])


@register_kl(MultivariateNormal, LowRankMultivariateNormal)
def _kl_mvn_lowrank(p, q):
    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two (Low Rank) Multivariate Normals with "
                         "different event shapes cannot be computed")
    term1 = (_batch_lowrank_logdet(q._unbroadcasted_cov_factor, q._unbroadcasted_cov_diag, q._capacitance_tril)
             - 2 * p._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1))
    term3 = _batch_lowrank_mahalanobis(q._unbroadcasted_cov_factor, q._unbroadcasted_cov_diag,
                                       q.loc - p.loc, q._capacitance_tril)
    qWt_qDinv = q._unbroadcasted_cov_factor.mT / q._unbroadcasted_cov_diag.unsqueeze(-2)
    shape = _ag.broadcast_shapes(tuple(q._capacitance_tril.shape[:-2]), tuple(qWt_qDinv.shape[:-2]))
    A = _solve_lower(_expand_to(q._capacitance_tril, shape), _expand_to(qWt_qDinv, shape))
    term21 = _batch_trace_XXT(p._unbroadcasted_scale_tril * q._unbroadcasted_cov_diag.rsqrt().unsqueeze(-1))
    term22 = _batch_trace_XXT(_ag.matmul(A, p._unbroadcasted_scale_tril))
    return 0.5 * (term1 + term21 - term22 + term3 - p.event_shape[0])


@register_kl(LowRankMultivariateNormal, MultivariateNormal)
def _kl_lowrank_mvn(p, q):
    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two (Low Rank) Multivariate Normals with "
                         "different event shapes cannot be computed")
    term1 = (2 * q._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
             - _batch_lowrank_logdet(p._unbroadcasted_cov_factor, p._unbroadcasted_cov_diag,
                                     p._capacitance_tril))
    term3 = _batch_mahalanobis(q._unbroadcasted_scale_tril, q.loc - p.loc)
    combined = tuple(_ag.broadcast_shapes(tuple(q._unbroadcasted_scale_tril.shape[:-2]),
                                          tuple(p._unbroadcasted_cov_factor.shape[:-2])))
    n = p.event_shape[0]
    q_scale_tril = q._unbroadcasted_scale_tril.expand(combined + (n, n))
    p_cov_factor = p._unbroadcasted_cov_factor.expand(combined + (n, p.cov_factor.shape[-1]))
    p_cov_diag = _ag.diag_embed(p._unbroadcasted_cov_diag.sqrt()).expand(combined + (n, n))
    term21 = _batch_trace_XXT(_solve_lower(q_scale_tril, p_cov_factor))
    term22 = _batch_trace_XXT(_solve_lower(q_scale_tril, p_cov_diag))
    return 0.5 * (term1 + term21 + term22 + term3 - p.event_shape[0])


@register_kl(Exponential, Gumbel)
def _kl_exponential_gumbel(p, q):
    scale_rate_prod = p.rate * q.scale
    loc_scale_ratio = q.loc / q.scale
    t1 = scale_rate_prod.log() - 1
    t2 = _ag.exp(loc_scale_ratio) * scale_rate_prod / (scale_rate_prod + 1)
    t3 = scale_rate_prod.reciprocal()
    return t1 - loc_scale_ratio + t2 + t3


@register_kl(Gumbel, Normal)
def _kl_gumbel_normal(p, q):
    param_ratio = p.scale / q.scale
    t1 = (param_ratio / math.sqrt(2 * math.pi)).log()
    t2 = (math.pi * param_ratio * 0.5).pow(2) / 3
    t3 = ((p.loc + p.scale * _euler_gamma - q.loc) / q.scale).pow(2) * 0.5
    return -t1 + t2 + t3 - (_euler_gamma + 1)


@register_kl(Laplace, Normal)
def _kl_laplace_normal(p, q):
    var_normal = q.scale.pow(2)
    scale_sqr_var_ratio = p.scale.pow(2) / var_normal
    t1 = 0.5 * _ag.log(2 * scale_sqr_var_ratio / math.pi)
    t2 = 0.5 * p.loc.pow(2)
    t3 = p.loc * q.loc
    t4 = 0.5 * q.loc.pow(2)
    return -t1 + scale_sqr_var_ratio + (t2 - t3 + t4) / var_normal - 1


@register_kl(Normal, Gumbel)
def _kl_normal_gumbel(p, q):
    mean_scale_ratio = p.loc / q.scale
    var_scale_sqr_ratio = (p.scale / q.scale).pow(2)
    loc_scale_ratio = q.loc / q.scale
    t1 = var_scale_sqr_ratio.log() * 0.5
    t2 = mean_scale_ratio - loc_scale_ratio
    t3 = _ag.exp(-mean_scale_ratio + 0.5 * var_scale_sqr_ratio + loc_scale_ratio)
    return -t1 + t2 + t3 - (0.5 * (1 + math.log(2 * math.pi)))


@register_kl(Pareto, Exponential)
def _kl_pareto_exponential(p, q):
    scale_rate_prod = p.scale * q.rate
    t1 = (p.alpha / scale_rate_prod).log()
    t2 = p.alpha.reciprocal()
    t3 = p.alpha * scale_rate_prod / (p.alpha - 1)
    return _ag.where(p.alpha <= 1, math.inf, t1 - t2 + t3 - 1)


@register_kl(Pareto, Normal)
def _kl_pareto_normal(p, q):
    var_normal = 2 * q.scale.pow(2)
    common_term = p.scale / (p.alpha - 1)
    t1 = (math.sqrt(2 * math.pi) * q.scale * p.alpha / p.scale).log()
    t2 = p.alpha.reciprocal()
    t3 = p.alpha * common_term.pow(2) / (p.alpha - 2)
    t4 = (p.alpha * common_term - q.loc).pow(2)
    return _ag.where(p.alpha <= 2, math.inf, t1 - t2 + (t3 + t4) / var_normal - 1)


@register_kl(Uniform, Exponential)
def _kl_uniform_exponential(p, q):
    result = q.rate * (p.high + p.low) / 2 - ((p.high - p.low) * q.rate).log()
    return _ag.where(p.low < 0, math.inf, result)


@register_kl(Uniform, Gumbel)
def _kl_uniform_gumbel(p, q):
    common_term = q.scale / (p.high - p.low)
    high_loc_diff = (p.high - q.loc) / q.scale
    low_loc_diff = (p.low - q.loc) / q.scale
    t1 = common_term.log() + 0.5 * (high_loc_diff + low_loc_diff)
    t2 = common_term * (_ag.exp(-high_loc_diff) - _ag.exp(-low_loc_diff))
    return t1 - t2


@register_kl(Uniform, Pareto)
def _kl_uniform_pareto(p, q):
    support_uniform = p.high - p.low
    t1 = (q.alpha * q.scale.pow(q.alpha) * support_uniform).log()
    t2 = (_x_log_x(p.high) - _x_log_x(p.low) - support_uniform) / support_uniform
    return _ag.where(p.low < q.scale, math.inf, t2 * (q.alpha + 1) - t1)


for _p, _q in [(Exponential, Uniform), (Exponential, Pareto), (Gumbel, Uniform), (Gumbel, Pareto),
               (Gumbel, Exponential), (Laplace, Uniform), (Laplace, Pareto), (Laplace, Exponential),
               (Normal, Uniform), (Normal, Pareto), (Normal, Exponential), (Pareto, Uniform)]:
    register_kl(_p, _q)(_infinite)

for _p, _q in [(Exponential, ContinuousBernoulli), (Gumbel, ContinuousBernoulli),
               (Laplace, ContinuousBernoulli), (Normal, ContinuousBernoulli),
               (Pareto, ContinuousBernoulli), (ContinuousBernoulli, Pareto)]:
    register_kl(_p, _q)(_infinite)


def _cb_cross_entropy_tail(p_mean, q):
    """-E_p[log q(x)] - ... : the terms of KL(p || ContinuousBernoulli q) beyond -H(p)."""
    return -p_mean * q.logits - _ag.log1p(-q.probs) - q._cont_bern_log_norm()


@register_kl(ContinuousBernoulli, ContinuousBernoulli)
def _kl_continuous_bernoulli_continuous_bernoulli(p, q):
    t1 = p.mean * (p.logits - q.logits)
    t2 = p._cont_bern_log_norm() + _ag.log1p(-p.probs)
    t3 = -q._cont_bern_log_norm() - _ag.log1p(-q.probs)
    return t1 + t2 + t3


@register_kl(ContinuousBernoulli, Exponential)
def _kl_continuous_bernoulli_exponential(p, q):
    return -p.entropy() - _ag.log(q.rate) + q.rate * p.mean


@register_kl(ContinuousBernoulli, Normal)
def _kl_continuous_bernoulli_normal(p, q):
    t1 = -p.entropy()
    t2 = 0.5 * (math.log(2.0 * math.pi) + _ag.square(q.loc / q.scale)) + _ag.log(q.scale)
    t3 = (p.variance + _ag.square(p.mean) - 2.0 * q.loc * p.mean) / (2.0 * _ag.square(q.scale))
    return t1 + t2 + t3


@register_kl(ContinuousBernoulli, Uniform)
def _kl_continuous_bernoulli_uniform(p, q):
    # PyTorch's test (>= and <=: infinite unless q's support strictly contains [0, 1])
    result = -p.entropy() + (q.high - q.low).log()
    return _ag.where((q.low >= 0) | (q.high <= 1), math.inf, result)


@register_kl(Uniform, ContinuousBernoulli)
def _kl_uniform_continuous_bernoulli(p, q):
    result = -p.entropy() + _cb_cross_entropy_tail(p.mean, q)
    # PyTorch's test (>= and <=: infinite unless [0, 1] strictly contains p's support)
    return _ag.where((p.high >= 1) | (p.low <= 0), math.inf, result)


try:
    from arraygrad.special import digamma, gammaln
except (ImportError, AttributeError):  # pragma: no cover
    pass
else:
    from .beta import Beta
    from .binomial import Binomial
    from .gamma import Gamma
    from .poisson import Poisson

    for _p, _q in [(Beta, Pareto), (Exponential, Beta), (Gamma, Uniform), (Gamma, Pareto), (Gamma, Beta),
                   (Gumbel, Gamma), (Gumbel, Beta), (Laplace, Gamma), (Laplace, Beta), (Normal, Gamma),
                   (Normal, Beta), (Pareto, Beta), (Poisson, Binomial), (Poisson, Bernoulli)]:
        register_kl(_p, _q)(_infinite)

    register_kl(Gamma, ContinuousBernoulli)(_infinite)

    @register_kl(Beta, ContinuousBernoulli)
    def _kl_beta_continuous_bernoulli(p, q):
        return -p.entropy() + _cb_cross_entropy_tail(p.mean, q)

    @register_kl(Bernoulli, Poisson)
    def _kl_bernoulli_poisson(p, q):
        return -p.entropy() - (p.probs * q.rate.log() - q.rate)

    @register_kl(Beta, Exponential)
    def _kl_beta_exponential(p, q):
        return -p.entropy() - q.rate.log() + q.rate * (p.concentration1 / (p.concentration1 + p.concentration0))

    @register_kl(Beta, Gamma)
    def _kl_beta_gamma(p, q):
        t1 = -p.entropy()
        t2 = gammaln(q.concentration) - q.concentration * q.rate.log()
        t3 = (q.concentration - 1) * (digamma(p.concentration1) - digamma(p.concentration1 + p.concentration0))
        t4 = q.rate * p.concentration1 / (p.concentration1 + p.concentration0)
        return t1 + t2 - t3 + t4

    @register_kl(Beta, Normal)
    def _kl_beta_normal(p, q):
        E_beta = p.concentration1 / (p.concentration1 + p.concentration0)
        var_normal = q.scale.pow(2)
        t1 = -p.entropy()
        t2 = 0.5 * (var_normal * 2 * math.pi).log()
        t3 = (E_beta * (1 - E_beta) / (p.concentration1 + p.concentration0 + 1) + E_beta.pow(2)) * 0.5
        t4 = q.loc * E_beta
        t5 = q.loc.pow(2) * 0.5
        return t1 + t2 + (t3 - t4 + t5) / var_normal

    @register_kl(Beta, Uniform)
    def _kl_beta_uniform(p, q):
        result = -p.entropy() + (q.high - q.low).log()
        return _ag.where((q.low > 0) | (q.high < 1), math.inf, result)

    @register_kl(Gamma, Gumbel)
    def _kl_gamma_gumbel(p, q):
        beta_scale_prod = p.rate * q.scale
        loc_scale_ratio = q.loc / q.scale
        t1 = (p.concentration - 1) * digamma(p.concentration) - gammaln(p.concentration) - p.concentration
        t2 = beta_scale_prod.log() + p.concentration / beta_scale_prod
        t3 = _ag.exp(loc_scale_ratio) * (1 + beta_scale_prod.reciprocal()).pow(-p.concentration) - loc_scale_ratio
        return t1 + t2 + t3

    @register_kl(Gamma, Normal)
    def _kl_gamma_normal(p, q):
        var_normal = q.scale.pow(2)
        beta_sqr = p.rate.pow(2)
        t1 = 0.5 * _ag.log(beta_sqr * var_normal * 2 * math.pi) - p.concentration - gammaln(p.concentration)
        t2 = 0.5 * (p.concentration.pow(2) + p.concentration) / beta_sqr
        t3 = q.loc * p.concentration / p.rate
        t4 = 0.5 * q.loc.pow(2)
        return t1 + (p.concentration - 1) * digamma(p.concentration) + (t2 - t3 + t4) / var_normal

    @register_kl(Pareto, Gamma)
    def _kl_pareto_gamma(p, q):
        common_term = p.scale.log() + p.alpha.reciprocal()
        t1 = p.alpha.log() - common_term
        t2 = gammaln(q.concentration) - q.concentration * q.rate.log()
        t3 = (1 - q.concentration) * common_term
        t4 = q.rate * p.alpha * p.scale / (p.alpha - 1)
        return _ag.where(p.alpha <= 1, math.inf, t1 + t2 + t3 + t4 - 1)

    @register_kl(Uniform, Beta)
    def _kl_uniform_beta(p, q):
        common_term = p.high - p.low
        t1 = _ag.log(common_term)
        t2 = (q.concentration1 - 1) * (_x_log_x(p.high) - _x_log_x(p.low) - common_term) / common_term
        t3 = (q.concentration0 - 1) * (_x_log_x(1 - p.high) - _x_log_x(1 - p.low) + common_term) / common_term
        t4 = gammaln(q.concentration1) + gammaln(q.concentration0) - gammaln(q.concentration1 + q.concentration0)
        result = t3 + t4 - t1 - t2
        return _ag.where((p.high > 1) | (p.low < 0), math.inf, result)

    @register_kl(Uniform, Gamma)
    def _kl_uniform_gamma(p, q):
        common_term = p.high - p.low
        t1 = common_term.log()
        t2 = gammaln(q.concentration) - q.concentration * q.rate.log()
        t3 = (1 - q.concentration) * (_x_log_x(p.high) - _x_log_x(p.low) - common_term) / common_term
        t4 = q.rate * (p.high + p.low) / 2
        return _ag.where(p.low < 0, math.inf, -t1 + t2 + t3 + t4)
