"""Leftovers of a PyTorch-oracle sweep (src/arraygrad/_torch_api.py, _torch_methods.py,
nn/module.py), against torch 2.13: dim 0/-1 of 0-d tensors, empty logsumexp, alpha's dtype,
NumPy scalars, norm('nuc'), cat's skipped empties and axis=, finfo(), permute(dims=),
return types, load_state_dict's result, and the functions tensor_split, broadcast_tensors,
vdot, complex, polar, view_as_real/complex, trapezoid/trapz, fix, ldexp, gcd/lcm, rsub,
float_power and the memory-format constants: values, dtypes, shapes, gradients, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import arraygrad as ag
from _torch_oracle import flat as _flat, same as _same  # noqa: E402

torch = pytest.importorskip("torch")

_rng = np.random.default_rng(7)


def R(*shape):
    return _rng.standard_normal(shape)


def _both(fn, *arrays, grad=True, rtol=1e-10, atol=1e-12):
    """fn on arraygrad and on torch with the same inputs; values, dtypes, shapes and (for
    float inputs, the sum of the outputs') gradients compared."""
    ins_a, ins_t = [], []
    for a in arrays:
        a = np.asarray(a)
        g = grad and a.dtype.kind in "fc"
        ins_a.append(ag.tensor(a, requires_grad=g))
        ins_t.append(torch.tensor(a, requires_grad=g))
    out_a, out_t = fn(ag, *ins_a), fn(torch, *ins_t)
    for x, y in zip(_flat(out_a), _flat(out_t), strict=True):
        _same(x, y, rtol, atol)
    diff = [(x, y) for x, y in zip(_flat(out_a), _flat(out_t)) if y.requires_grad]
    if diff:
        sa = sum((x.real if x.dtype.kind == "c" else x).sum() for x, _ in diff)
        st = sum((y.real if y.is_complex() else y).sum() for _, y in diff)
        sa.backward()
        st.backward()
        for a, t in zip(ins_a, ins_t):
            if t.requires_grad and t.grad is not None:
                if a.grad is None and t.grad.numel() == 0:
                    continue  # an empty input left out of the graph (cat's skipped (0,) tensors)
                _same(a.grad, t.grad, rtol, atol)
    return out_a, out_t


# ----- 1. dim 0 / -1 of a 0-d tensor -------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda m, x: x.sum(0), lambda m, x: x.sum(-1, keepdim=True), lambda m, x: x.sum((-1,)),
    lambda m, x: x.mean(0), lambda m, x: x.prod(0), lambda m, x: x.argmax(0), lambda m, x: x.argmin(-1),
    lambda m, x: x.max(-1), lambda m, x: x.min(0), lambda m, x: x.max(0, keepdim=True),
    lambda m, x: x.cumsum(0), lambda m, x: x.cumprod(-1), lambda m, x: x.softmax(0),
    lambda m, x: x.log_softmax(-1), lambda m, x: x.logsumexp(0), lambda m, x: x.amax(0),
    lambda m, x: x.amin(-1), lambda m, x: x.var(0, correction=0), lambda m, x: x.all(0),
    lambda m, x: m.sum(x, 0), lambda m, x: m.max(x, 0), lambda m, x: m.logsumexp(x, -1),
    lambda m, x: m.cumsum(x, 0), lambda m, x: m.softmax(x, 0),
    # and the other functions along one dim that PyTorch allows there
    lambda m, x: x.median(0), lambda m, x: m.logcumsumexp(x, 0), lambda m, x: m.nansum(x, 0),
    lambda m, x: m.nanmean(x, -1), lambda m, x: x.norm(dim=0), lambda m, x: x.count_nonzero(0),
    lambda m, x: m.aminmax(x, dim=0), lambda m, x: m.var_mean(x, 0, correction=0),
    lambda m, x: x.sort(0), lambda m, x: x.argsort(-1), lambda m, x: x.topk(1, 0), lambda m, x: x.flip(0),
    lambda m, x: x.squeeze(0), lambda m, x: x.squeeze((0,)),
])
def test_dim_of_0d_tensor(fn):
    _both(fn, np.float64(1.5))


def test_std_of_0d_tensor_is_nan():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _both(lambda m, x: x.std(0), np.float64(1.5), grad=False)


@pytest.mark.parametrize("dim", [1, -2])
def test_dim_out_of_range_on_0d_tensor(dim):
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-1, 0\]"):
        ag.tensor(2.).sum(dim)
    with pytest.raises(IndexError):
        torch.tensor(2.).sum(dim)
    with pytest.raises(IndexError, match="max"):
        ag.tensor(2.).max(dim)
    with pytest.raises(IndexError, match="cumsum"):
        ag.tensor(2.).cumsum(dim)


def test_repeated_dim_on_0d_tensor():
    with pytest.raises(RuntimeError):
        torch.tensor(2.).sum((0, -1))
    with pytest.raises(RuntimeError, match="sum.*appears multiple times"):
        ag.tensor(2.).sum((0, -1))


# ----- 2. logsumexp of nothing ------------------------------------------------------------
@pytest.mark.parametrize("shape,dim", [((0,), 0), ((2, 0), 1), ((2, 0), (0, 1)), ((0, 3), 0)])
def test_logsumexp_of_empty(shape, dim):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no log(0) warning either
        _both(lambda m, x: m.logsumexp(x, dim), np.zeros(shape))


# ----- 3. alpha in the promoted dtype -------------------------------------------------------
def test_alpha_scales_in_the_promoted_dtype():
    a, b = np.array([1.1, -2.5]), np.array([0.1, 0.3], dtype=np.float32)
    _both(lambda m, x, y: m.sub(x, y, alpha=3), a, b)
    _both(lambda m, x, y: m.add(x, y, alpha=3), a, b)
    _both(lambda m, x, y: x.sub(y, alpha=3), a, b)
    _both(lambda m, x, y: m.rsub(y, x, alpha=3), a, b)
    xa, xt = ag.tensor(a), torch.tensor(a)
    xa.sub_(ag.tensor(b), alpha=3)
    xt.sub_(torch.tensor(b), alpha=3)
    _same(xa, xt)


def test_alpha_with_int_and_bool():
    _both(lambda m, x, y: m.add(x, y, alpha=2), np.array([1, 2], dtype=np.int32), np.array([True, False]))
    _both(lambda m, x, y: m.add(x, y, alpha=2), np.array([1, 2], dtype=np.int8), np.array([True, False]))
    for call in (lambda m: m.sub(m.tensor([1]), m.tensor([True]), alpha=2),
                 lambda m: m.sub(m.tensor([True]), m.tensor([1])), lambda m: m.rsub(m.tensor([True]), 1)):
        with pytest.raises(RuntimeError):
            call(torch)
        with pytest.raises(RuntimeError, match="Subtraction.*bool"):
            call(ag)
    _both(lambda m, x: m.add(x, 3, alpha=2), np.array([1, 2], dtype=np.int16))


# ----- 4. NumPy scalars as Python scalars ----------------------------------------------------
def test_numpy_scalars_act_as_python_scalars():
    x = np.array([5.5, -5.5, 3.0])
    _both(lambda m, t: m.fmod(t, np.float64(2)), x)
    _both(lambda m, t: t.fmod(np.float64(2)), x)
    _both(lambda m, t: m.div(t, np.float64(2), rounding_mode="floor"), x, grad=False)
    i = np.array([5, -5, 7])
    _both(lambda m, t: m.div(t, np.int64(2), rounding_mode="trunc"), i)
    _both(lambda m, t: t.div(np.int64(2), rounding_mode="trunc"), i)
    _both(lambda m, t: m.fmod(t, np.int64(3)), i)
    _both(lambda m, t: m.sub(t, np.int64(2), alpha=np.int64(3)), i)
    _both(lambda m, t: m.sub(t, np.float32(2.5), alpha=2), x)


# ----- 5. norm: nuclear and Frobenius --------------------------------------------------------
@pytest.mark.parametrize("p,dim,keepdim", [("nuc", None, False), ("nuc", (0, 1), True), ("nuc", (1, 0), False),
                                           ("fro", None, False), ("fro", 1, False), ("fro", (0, 1), True)])
def test_norm_matrix_norms(p, dim, keepdim):
    _both(lambda m, x: x.norm(p=p, dim=dim, keepdim=keepdim), R(3, 4))
    _both(lambda m, x: m.norm(x, p=p, dim=dim, keepdim=keepdim), R(4, 3))


def test_norm_nuc_batched_and_errors():
    _both(lambda m, x: x.norm(p="nuc", dim=(0, 2)), R(3, 2, 4))
    _both(lambda m, x: x.norm(p="nuc", dim=(0, 2), keepdim=True), R(3, 2, 4))
    _both(lambda m, x: m.eye(2).norm(p="nuc") * x, R(2))
    for call in (lambda m: m.ones(2, 2, 2).norm(p="nuc"), lambda m: m.ones(2, 2).norm(p="nuc", dim=0),
                 lambda m: m.ones(2, 2, 2).norm(p="fro", dim=(0, 1, 2)), lambda m: m.ones(2).norm(p="abc")):
        with pytest.raises(RuntimeError):
            call(torch)
        with pytest.raises(RuntimeError, match="norm"):
            call(ag)


# ----- 6. cat skips 1-D empty tensors; axis= ---------------------------------------------------
def test_cat_skips_1d_empty_tensors():
    _both(lambda m, e, x: m.cat([e, x]), np.zeros(0), R(2, 2))
    _both(lambda m, e, x: m.cat([x, e, x], 1), np.zeros(0), R(2, 2))
    _both(lambda m, e, x: m.cat([e, x]), np.zeros(0, dtype=np.int64), np.ones((2, 2), dtype=np.int32))
    _both(lambda m, e, x: m.cat([e, x]), np.zeros(0, dtype=np.float32), np.ones((2, 2), dtype=np.int64))
    _both(lambda m, e, x: m.cat([e, x]), np.zeros(0), R(3))
    _both(lambda m, e: m.cat([e, e]), np.zeros(0))
    _both(lambda m, x, e: m.cat([x, e], dim=-1), R(2, 3), np.zeros(0))
    _both(lambda m, x, e: m.cat([x, e, x], dim=None) if m is ag else m.cat([x.reshape(-1), x.reshape(-1)]),
          R(2, 3), np.zeros(0))


def test_cat_axis_keyword():
    _both(lambda m, x, y: m.cat([x, y], axis=1), R(2, 2), R(2, 3))
    _both(lambda m, x, y: m.concatenate([x, y], axis=0), R(2, 2), R(1, 2))
    _both(lambda m, x, y: m.cat((x, y), dim=-1), R(2, 2), R(2, 3))
    with pytest.raises(TypeError):
        torch.cat([torch.ones(1)], dim=0, axis=0)
    with pytest.raises(TypeError, match="cat"):
        ag.cat([ag.ones(1)], dim=0, axis=0)


# ----- 7. finfo() ---------------------------------------------------------------------------
def test_finfo_without_argument_is_the_default_dtype():
    assert ag.finfo().eps == torch.finfo().eps
    assert ag.finfo().dtype is ag.float32
    assert ag.finfo(ag.float64).eps == torch.finfo(torch.float64).eps
    assert ag.iinfo(ag.int16).max == torch.iinfo(torch.int16).max
    with pytest.raises(TypeError):
        ag.iinfo()
    old = ag.get_default_dtype()
    ag.set_default_dtype(ag.float64)
    try:
        assert ag.finfo().eps == np.finfo(np.float64).eps
    finally:
        ag.set_default_dtype(old)


# ----- 8. the functions ------------------------------------------------------------------------
@pytest.mark.parametrize("arg,dim", [(3, 0), (4, 1), ([1, 5], 0), ([-2, 3, 10], 1), ((2,), -1), (1, 0), (8, 0)])
def test_tensor_split(arg, dim):
    _both(lambda m, x: m.tensor_split(x, arg, dim), R(7, 6))
    _both(lambda m, x: x.tensor_split(arg, dim=dim), R(7, 6))


def test_tensor_split_tensor_and_keyword_forms():
    _both(lambda m, x: m.tensor_split(x, m.tensor(3)), R(7))
    _both(lambda m, x: m.tensor_split(x, m.tensor([1, 5])), R(7))
    _both(lambda m, x: m.tensor_split(x, sections=2, dim=1), R(2, 5))
    _both(lambda m, x: m.tensor_split(x, indices=[1, 3], dim=1), R(2, 5))
    for call in (lambda m: m.tensor_split(m.ones(3), 0), lambda m: m.tensor_split(m.tensor(1.), 2),
                 lambda m: m.tensor_split(m.ones(3), m.tensor([1.0]))):
        with pytest.raises(RuntimeError):
            call(torch)
        with pytest.raises(RuntimeError, match="tensor_split"):
            call(ag)


def test_broadcast_tensors():
    _both(lambda m, x, y, z: m.broadcast_tensors(x, y, z), R(2, 1), R(3), R(1, 1, 1))
    out = ag.broadcast_tensors(ag.ones(2, 1), ag.ones(3))
    assert isinstance(out, tuple)
    with pytest.raises(ValueError):
        ag.broadcast_tensors(ag.ones(2), ag.ones(3))


def test_vdot():
    a = R(4) + 1j * R(4)
    b = R(4) + 1j * R(4)
    _both(lambda m, x, y: m.vdot(x, y), a, b)
    _both(lambda m, x, y: x.vdot(y), R(5), R(5))
    # NumPy's convention (array-API consumers): N-D arrays flatten
    x, y = R(2, 3), R(2, 3)
    np.testing.assert_allclose(np.asarray(ag.vdot(ag.tensor(x), ag.tensor(y))), np.vdot(x, y))
    with pytest.raises(RuntimeError, match="vdot"):
        ag.vdot(ag.ones(2), ag.ones(2, dtype=ag.float64))
    with pytest.raises(RuntimeError, match="vdot"):
        ag.vdot(ag.ones(2), ag.ones(3))


def test_complex_and_polar():
    _both(lambda m, x, y: m.complex(x, y), R(3), R(3))
    _both(lambda m, x, y: m.complex(x, y), R(3).astype(np.float32), R(3).astype(np.float32), rtol=1e-6)
    _both(lambda m, x, y: m.polar(x, y), np.abs(R(3)), R(3))
    _both(lambda m, x, y: m.complex(x, y).abs(), R(2, 1), R(3))
    for call in (lambda m: m.complex(m.ones(1), m.ones(1, dtype=m.float64)),
                 lambda m: m.polar(m.ones(1, dtype=m.int64), m.ones(1, dtype=m.int64))):
        with pytest.raises(RuntimeError):
            call(torch)
        with pytest.raises(RuntimeError, match="complex|polar"):
            call(ag)


def test_view_as_real_and_complex():
    z = R(3, 2) + 1j * R(3, 2)
    _both(lambda m, x: m.view_as_real(x) * 2, z)
    _both(lambda m, x: (m.view_as_complex(x) * (1 + 2j)).abs(), R(4, 2))
    _both(lambda m, x: m.view_as_real(m.view_as_complex(x)), R(3, 2))
    # on NumPy both are views: memory is shared
    za = ag.tensor(z)
    r = ag.view_as_real(za)
    r[0, 0, 0] = 100.0
    assert za[0, 0].item() == 100 + 1j * z[0, 0].imag
    xa = ag.tensor(R(2, 2))
    c = ag.view_as_complex(xa)
    c[1] = 5 - 6j
    assert xa[1].tolist() == [5.0, -6.0]
    _same(ag.view_as_real(za[:, ::2]), torch.view_as_real(torch.tensor(np.asarray(za))[:, ::2]))
    for call in (lambda m: m.view_as_real(m.ones(2)), lambda m: m.view_as_complex(m.ones(2, 3)),
                 lambda m: m.view_as_complex(m.ones(2, 2).t()), lambda m: m.view_as_complex(m.ones(2, 2, dtype=m.int64))):
        with pytest.raises(RuntimeError):
            call(torch)
        with pytest.raises(RuntimeError, match="view_as"):
            call(ag)


@pytest.mark.parametrize("fn", [
    lambda m, y, x: m.trapezoid(y), lambda m, y, x: m.trapezoid(y, dx=0.5), lambda m, y, x: m.trapezoid(y, x),
    lambda m, y, x: m.trapezoid(y, dim=0), lambda m, y, x: m.trapz(y, x), lambda m, y, x: m.trapz(y, dx=2.0, dim=0),
    lambda m, y, x: m.trapezoid(y, x.expand(3, 4)),
])
def test_trapezoid(fn):
    _both(fn, R(3, 4), np.cumsum(np.abs(R(4))))


def test_trapezoid_numpy_convention_and_ints():
    y, x = R(3, 4), np.cumsum(np.abs(R(3)))
    np.testing.assert_allclose(np.asarray(ag.trapezoid(ag.tensor(y), ag.tensor(x), axis=0)), np.trapezoid(y, x, axis=0))
    np.testing.assert_allclose(np.asarray(ag.trapezoid(ag.tensor(y), None, 0.5, 0)), np.trapezoid(y, None, 0.5, 0))
    _both(lambda m, y: m.trapezoid(y), np.array([1, 2, 4]))
    _both(lambda m, y: m.trapezoid(y), np.zeros((2, 0)))


def test_fix_ldexp_float_power_rsub():
    _both(lambda m, x: m.fix(x), R(5) * 3, grad=False)  # arraygrad's trunc: not differentiable
    _both(lambda m, x: x.fix(), R(5) * 3, grad=False)
    _both(lambda m, x, e: m.ldexp(x, e), R(4), np.array([3, 2, 0, 40]))
    _both(lambda m, x, e: m.ldexp(x, e), np.array([1, 2]), np.array([3, 4]))
    _both(lambda m, x, e: x.ldexp(e), R(3).astype(np.float32), np.array([1, 2, 3]), rtol=1e-6)
    _both(lambda m, x, e: m.float_power(x, e), np.array([2, 3]), np.array([2, 3], dtype=np.int32))
    _both(lambda m, x, e: x.float_power(e), np.abs(R(3)).astype(np.float32), R(3), rtol=1e-6)
    _both(lambda m, e: m.float_power(2, e), R(3))
    _both(lambda m, x: m.float_power(x, 1j), np.abs(R(3)))
    _both(lambda m, x, y: m.rsub(x, y), R(3), R(3))
    _both(lambda m, x: m.rsub(x, 5, alpha=2), R(3))
    # NumPy's calling convention gives NumPy's result
    # (and for negative or large exponents, where torch 2.13 computes 2 ** other in integers:
    # ldexp(float64 1., int64 -2) is 0 there)
    x, e = np.array([1.5, 2.0, 3.0]), np.array([2, -1, 1000])
    np.testing.assert_allclose(np.asarray(ag.ldexp(ag.tensor(x), ag.tensor(e))), np.ldexp(x, e))
    np.testing.assert_allclose(np.asarray(ag.float_power(ag.tensor(x), ag.tensor(e))), np.float_power(x, e))


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int8, np.uint8])
def test_gcd_lcm(dtype):
    a = _rng.integers(0 if dtype == np.uint8 else -30, 30, 20).astype(dtype)
    b = _rng.integers(0, 30, 20).astype(dtype)
    a[:2] = 0
    b[1:3] = 0
    _both(lambda m, x, y: m.gcd(x, y), a, b)
    _both(lambda m, x, y: x.lcm(y), a % 10, b % 10)
    np.testing.assert_array_equal(np.asarray(ag.gcd(ag.tensor(a), ag.tensor(b))), np.gcd(a, b))


def test_gcd_generic_and_errors():
    from arraygrad._torch_api import _gcd_generic, _lcm_generic

    a = np.array([0, 0, 12, -18, 2**40 * 3, 1134903170], dtype=np.int64)
    b = np.array([0, 5, 18, 12, 2**41 * 9, 701408733], dtype=np.int64)
    np.testing.assert_array_equal(_gcd_generic(np, a, b), np.gcd(a, b))
    np.testing.assert_array_equal(_lcm_generic(np, a[:4], b[:4]), np.lcm(a[:4], b[:4]))
    with pytest.raises(NotImplementedError):
        torch.gcd(torch.ones(1), torch.ones(1))
    with pytest.raises(RuntimeError, match="gcd"):
        ag.gcd(ag.ones(1), ag.ones(1))


def test_memory_format_constants():
    assert repr(ag.contiguous_format) == "arraygrad.contiguous_format"
    assert repr(ag.preserve_format) == "arraygrad.preserve_format"
    x = ag.ones(2, 3).t()
    y = x.contiguous(memory_format=ag.contiguous_format)
    assert y.is_contiguous() and y.tolist() == x.tolist()
    z = ag.clone(x, memory_format=ag.preserve_format)
    assert z.tolist() == x.tolist()
    assert x.clone(memory_format=ag.contiguous_format).tolist() == x.tolist()


# ----- 9. permute(dims=) ---------------------------------------------------------------------
def test_permute_dims_keyword():
    _both(lambda m, x: m.permute(x, dims=(2, 0, 1)), R(2, 3, 4))
    _both(lambda m, x: x.permute(dims=(2, 0, 1)), R(2, 3, 4))
    _both(lambda m, x: x.permute(1, 0, 2), R(2, 3, 4))
    _both(lambda m, x: m.permute(x, (1, 0, 2)), R(2, 3, 4))
    with pytest.raises(TypeError, match="permute"):
        ag.ones(2, 2).permute(dimz=(1, 0))


# ----- 10. return types ----------------------------------------------------------------------
def test_aminmax_and_median_return_types():
    for name, call in (("aminmax", lambda m: m.aminmax(m.tensor([1.0, 2.0]))),
                       ("median", lambda m: m.median(m.tensor([1.0, 2.0]), 0)),
                       ("median", lambda m: m.tensor([[3.0, 1.0]]).median(1))):
        a, t = call(ag), call(torch)
        assert repr(a).replace("arraygrad.", "torch.") == repr(t)
        assert type(a).__name__ == name
        assert a._fields == ("min", "max") if name == "aminmax" else ("values", "indices")
        assert tuple(a) == tuple(getattr(a, f) for f in a._fields)
    mn, mx = ag.aminmax(ag.tensor([3.0, -1.0]), dim=0)
    assert (mn.item(), mx.item()) == (-1.0, 3.0)


# ----- 11. state dicts -----------------------------------------------------------------------
def test_load_state_dict_result_and_state_dict_type():
    from collections import OrderedDict

    for m in (ag, torch):
        lin = m.nn.Linear(2, 3)
        sd = lin.state_dict()
        assert type(sd) is OrderedDict
        r = lin.load_state_dict(sd)
        assert repr(r) == "<All keys matched successfully>"
        assert r.missing_keys == [] and r.unexpected_keys == []
        r = lin.load_state_dict({"weight": sd["weight"], "extra": sd["bias"]}, strict=False)
        assert repr(r) == "_IncompatibleKeys(missing_keys=['bias'], unexpected_keys=['extra'])"
        missing, unexpected = r
        assert (missing, unexpected) == (["bias"], ["extra"])


def test_writes_through_view_as_real_and_complex_reach_the_gradient():
    """They are autograd views, as PyTorch's: a write through one is recorded on the base
    (was ignored: a silently wrong gradient), and refused on a leaf that requires grad."""
    import torch as reference

    results = []
    for mod in (ag, reference):
        z = mod.tensor([1 + 2j, 3 - 1j], requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf"):
            mod.view_as_real(z).mul_(2)
        w = z * 1
        r = mod.view_as_real(w)
        r.mul_(2)
        ((w.abs() ** 2).sum() + r.sum()).backward()
        x = mod.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        y = x * 1
        mod.view_as_complex(y).mul_(1j)
        ((y ** 2).sum() + y[:, 0].sum()).backward()
        results.append((np.asarray(z.grad.detach()), np.asarray(x.grad.detach())))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs)


def test_logit_and_xlogy_gradients_at_the_edges_match_torch():
    """logit: inf at 0 and 1, NaN outside [0, 1] (0 outside [eps, 1 - eps] with eps); xlogy's
    x-derivative is 0 where x is 0 whatever y (NaN for a NaN y)."""
    import torch as reference

    got = []
    for mod in (ag, reference):
        p = mod.tensor([-0.1, 0.0, 0.3, 1.0, 1.1], dtype=mod.float64, requires_grad=True)
        (g1,) = mod.autograd.grad(mod.logit(p).sum(), p)
        (g2,) = mod.autograd.grad(mod.logit(p, eps=0.2).sum(), p)
        x = mod.tensor([0.0, 0.0, 2.0], dtype=mod.float64, requires_grad=True)
        y = mod.tensor([-1.0, float("nan"), -1.0], dtype=mod.float64, requires_grad=True)
        gx, gy = mod.autograd.grad(mod.xlogy(x, y).sum(), [x, y])
        got.append([np.asarray(t.detach()) for t in (mod.logit(p), g1, g2, gx, gy)])
    for ours, theirs in zip(*got):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_module_half_get_parameter_get_buffer_share_memory():
    """The Module methods PyTorch code calls: half() casts floating parameters and buffers
    only; get_parameter/get_buffer by dotted path (AttributeError naming the missing one)."""
    import torch as reference

    ours = ag.nn.Sequential(ag.nn.Linear(2, 3), ag.nn.BatchNorm1d(3))
    theirs = reference.nn.Sequential(reference.nn.Linear(2, 3), reference.nn.BatchNorm1d(3))
    assert tuple(ours.get_parameter("0.weight").shape) == tuple(theirs.get_parameter("0.weight").shape)
    assert ours.get_parameter("0.weight") is ours[0].weight and ours.get_buffer("1.running_var") is ours[1].running_var
    with pytest.raises(AttributeError, match="Linear has no parameter `nope`"):
        ours.get_parameter("0.nope")
    with pytest.raises(AttributeError, match="no buffer `weight`"):
        ours.get_buffer("0.weight")
    assert ours.share_memory() is ours
    ours.half()
    theirs.half()
    assert str(ours[0].weight.dtype) == "arraygrad.float16" == str(theirs[0].weight.dtype).replace("torch", "arraygrad")
    assert str(ours[1].num_batches_tracked.dtype) == "arraygrad.int64"
