"""Still more of PyTorch's top-level functions (src/arraygrad/_torch_api.py, "Still more of
PyTorch's functions") and their Tensor methods, against torch 2.13: values, indices, dtypes,
shapes and gradients, gradcheck on the differentiable ones, and PyTorch's errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import arraygrad as ag
from _torch_oracle import flat as _flat, same as _same  # noqa: E402
from arraygrad.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")

pytestmark = [pytest.mark.filterwarnings("ignore:torch.range is deprecated"),
              pytest.mark.filterwarnings("ignore:torch.chain_matmul is deprecated")]

_rng = np.random.default_rng(0)


def R(*shape):
    return _rng.standard_normal(shape)


def TIES(*shape):
    """Small integers as floats: many equal values."""
    return _rng.integers(0, 3, shape).astype(np.float64)


def _compare(name, arrays, *args, method=False, grad=True, **kwargs):
    """name(*tensors, *args, **kwargs) in both libraries: the same outputs, and the same
    gradients of a random weighting of the floating outputs."""
    ours = [ag.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    theirs = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    if method:
        out = getattr(ours[0], name)(*ours[1:], *args, **kwargs)
        tout = getattr(theirs[0], name)(*theirs[1:], *args, **kwargs)
    else:
        out = getattr(ag, name)(*ours, *args, **kwargs)
        tout = getattr(torch, name)(*theirs, *args, **kwargs)
    out, tout = _flat(out), _flat(tout)
    assert len(out) == len(tout)
    for x, y in zip(out, tout):
        _same(x, y)
    if grad:
        pairs = [(x, y) for x, y in zip(out, tout) if y.requires_grad]
        if pairs:
            weights = [R(*y.shape) for _, y in pairs]
            sum(ag.sum(ag.where(ag.isnan(x), 0.0, x) * ag.tensor(w)) for (x, _), w in zip(pairs, weights)).backward()
            sum((torch.nan_to_num(y, 0.0) * torch.tensor(w)).sum() for (_, y), w in zip(pairs, weights)).backward()
            for a, t in zip(ours, theirs):
                if t.requires_grad:
                    want = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
                    got = np.zeros(tuple(a.shape)) if a.grad is None else np.asarray(a.grad)
                    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    return out, tout


# ----- value-selecting reductions --------------------------------------------------------
SELECTIONS = [
    ("kthvalue", (7,), (3,), {}), ("kthvalue", (3, 4), (2, 0), {}), ("kthvalue", (3, 4), (4,), dict(keepdim=True)),
    ("kthvalue", (2, 3, 4), (1, -2), {}), ("kthvalue", (), (1,), {}), ("kthvalue", (), (1, 0), dict(keepdim=True)),
    ("cummax", (6,), (0,), {}), ("cummax", (3, 5), (1,), {}), ("cummax", (3, 5), (-2,), {}), ("cummax", (), (0,), {}),
    ("cummax", (0, 3), (0,), {}), ("cummin", (9,), (0,), {}), ("cummin", (2, 3, 4), (2,), {}),
    ("cummin", (), (-1,), {}),
    ("nanmedian", (3, 4), (1,), {}), ("nanmedian", (3, 5), (0,), dict(keepdim=True)), ("nanmedian", (), (0,), {}),
    ("median", (3, 4), (1,), {}),
]


@pytest.mark.parametrize("name, shape, args, kwargs", SELECTIONS, ids=str)
def test_selections_like_torch(name, shape, args, kwargs):
    _compare(name, [R(*shape)], *args, **kwargs)
    _compare(name, [R(*shape)], *args, method=True, **kwargs)


@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize("shape, dim", [((17,), 0), ((4, 9), 1), ((9, 4), 0), ((2, 3, 33), -1)], ids=str)
def test_running_extremes_with_ties_and_nan_like_torch(name, shape, dim):
    # of equal values PyTorch takes the latest index; NaN propagates, each NaN taking over
    _compare(name, [TIES(*shape)], dim)
    x = TIES(*shape)
    x[x == 2] = np.nan
    _compare(name, [x], dim)
    _compare(name, [TIES(*shape).astype(np.int64)], dim, grad=False)
    _compare(name, [TIES(*shape).astype(bool)], dim, grad=False)


@pytest.mark.parametrize("shape, dim, keepdim", [((9,), -1, False), ((4, 7), 1, False), ((7, 4), 0, True),
                                                 ((2, 3, 6), 1, False), ((), 0, False), ((5,), 0, True)], ids=str)
def test_mode_like_torch(shape, dim, keepdim):
    # the most frequent value, the smallest of equally frequent ones, at its last index
    _compare("mode", [TIES(*shape)], dim, keepdim)
    _compare("mode", [TIES(*shape).astype(np.int64)], dim, keepdim, grad=False)
    _compare("mode", [TIES(*shape)], dim, keepdim, method=True)


def test_mode_of_long_slices_picks_an_equal_element():
    # on longer slices PyTorch's index is one of the equal elements (its sort is not stable):
    # the values agree; ours is the last index, and the gradient goes there only
    x = _rng.integers(0, 4, (5, 40)).astype(np.float64)
    a = ag.tensor(x, requires_grad=True)
    values, indices = ag.mode(a, 1)
    _same(values, torch.mode(torch.tensor(x), 1).values)
    idx = np.asarray(indices)
    assert (x[np.arange(5), idx] == np.asarray(values.detach())).all()
    assert all((x[i, idx[i] + 1:] != x[i, idx[i]]).all() for i in range(5))  # the last of them
    values.sum().backward()
    want = np.zeros_like(x)
    want[np.arange(5), idx] = 1.0
    np.testing.assert_array_equal(np.asarray(a.grad), want)


@pytest.mark.parametrize("shape, k, dim", [((9,), 4, 0), ((4, 7), 1, 1), ((7, 4), 7, 0), ((3, 8), 5, -1)], ids=str)
def test_kthvalue_with_ties_picks_an_equal_element(shape, k, dim):
    # PyTorch's quickselect may return any of the equal elements: the values agree, and the
    # index points at an element equal to the value; the gradient goes to that element only
    x = TIES(*shape)
    a = ag.tensor(x, requires_grad=True)
    values, indices = ag.kthvalue(a, k, dim)
    tvalues, _ = torch.kthvalue(torch.tensor(x), k, dim)
    _same(values, tvalues)
    assert (ag.take_along_dim(a, ag.unsqueeze(indices, dim), dim).squeeze(dim) == values).all()
    values.sum().backward()
    want = np.zeros_like(x)
    np.put_along_axis(want, np.expand_dims(np.asarray(indices), dim), 1.0, axis=dim)
    np.testing.assert_array_equal(np.asarray(a.grad), want)


def test_median_and_nanmedian_over_all_elements_like_torch():
    for x in (R(7), R(3, 4), np.array([1.0, np.nan, 3.0, 2.0]), np.array([np.nan, np.nan]), TIES(9), R()):
        _compare("nanmedian", [x])
        _compare("nanmedian", [x], method=True)
    x = R(3, 5)
    x[1, 2] = x[0, 4] = np.nan
    _compare("nanmedian", [x], 1)
    _compare("nanmedian", [x], 0, True)
    # a slice of NaN only: NaN, at the index of one of them (PyTorch's nth_element picks which)
    x[0, :] = np.nan
    values, indices = ag.nanmedian(ag.tensor(x), 1)
    _same(values, torch.nanmedian(torch.tensor(x), 1).values)
    assert np.isnan(x[0, int(indices[0])])


@pytest.mark.parametrize("name", ["kthvalue", "cummax", "cummin", "mode", "nanmedian"])
def test_selections_gradcheck(name):
    args = {"kthvalue": (2, 1), "cummax": (1,), "cummin": (0,), "mode": (1,), "nanmedian": (1,)}[name]
    x = ag.tensor(R(3, 4), requires_grad=True)  # distinct values (mode: the smallest), as ties break under eps
    assert gradcheck(lambda t: getattr(ag, name)(t, *args)[0], (x,))
    assert gradgradcheck(lambda t: getattr(ag, name)(t, *args)[0] ** 2, (x,))


def test_selection_results_are_named_tuples():
    out = ag.cummax(ag.tensor([1.0, 3.0, 2.0]), 0)
    assert out.values.tolist() == [1.0, 3.0, 3.0] and out.indices.tolist() == [0, 1, 1]
    assert type(out).__name__ == "cummax" and "arraygrad.return_types.cummax(" in repr(out)
    for name in ("kthvalue", "mode", "nanmedian", "cummin"):
        res = getattr(ag, name)(ag.tensor([2.0, 1.0]), *((1,) if name == "kthvalue" else (0,)))
        assert type(res).__name__ == name and res.indices.dtype == ag.int64


# ----- quantiles -------------------------------------------------------------------------
QUANTILE_CASES = [((7,), 0.3, None, False), ((8,), 0.5, None, True), ((3, 5), 0.25, 1, False),
                  ((3, 5), [0.0, 0.1, 0.5, 0.99, 1.0], 0, True), ((2, 3, 4), [0.2, 0.7], -1, False),
                  ((2, 3, 4), 0.6, None, False), ((2, 3, 4), [0.4], None, True), ((), 0.5, None, False),
                  ((), [0.3, 0.9], 0, True), ((4,), "0-d", 0, False), ((1, 6), 0.75, 1, True)]


@pytest.mark.parametrize("name", ["quantile", "nanquantile"])
@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("shape, q, dim, keepdim", QUANTILE_CASES, ids=str)
def test_quantiles_like_torch(name, interpolation, shape, q, dim, keepdim):
    x = R(*shape)
    if name == "nanquantile" and x.size > 2:
        x.flat[1] = np.nan
        if x.ndim == 2:
            x[0, :] = np.nan  # a slice without values: NaN
    ours = ag.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    if q == "0-d":
        oq, tq = ag.tensor(0.4, dtype=ag.float64), torch.tensor(0.4, dtype=torch.float64)
    elif isinstance(q, list):
        oq, tq = ag.tensor(q, dtype=ag.float64), torch.tensor(q, dtype=torch.float64)
    else:
        oq = tq = q
    out = getattr(ag, name)(ours, oq, dim, keepdim, interpolation=interpolation)
    tout = getattr(torch, name)(theirs, tq, dim, keepdim, interpolation=interpolation)
    _same(out, tout)
    w = R(*tout.shape)
    ag.sum(ag.where(ag.isnan(out), 0.0, out) * ag.tensor(w)).backward()
    (torch.nan_to_num(tout, 0.0) * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(np.asarray(ours.grad), np.nan_to_num(theirs.grad.numpy()), rtol=1e-9, atol=1e-12)
    method = getattr(ag.tensor(x), name)(oq, dim, keepdim, interpolation=interpolation)
    np.testing.assert_allclose(np.asarray(method), tout.detach().numpy(), rtol=1e-10, equal_nan=True)


def test_quantile_with_nan_and_ties_like_torch():
    x = TIES(4, 6)
    x[1, 3] = np.nan
    for q in (0.0, 0.3, 0.5, 1.0):
        _compare("quantile", [x], q, 1)
        _compare("nanquantile", [x], q, 1)
        _compare("quantile", [x], q)
        _compare("nanquantile", [x], q, 0, True)
    _compare("quantile", [R(30)], 0.5, 0, method=True)


def test_quantiles_gradcheck():
    x = ag.tensor(R(3, 5), requires_grad=True)
    q = ag.tensor([0.1, 0.5, 0.8], dtype=ag.float64)
    assert gradcheck(lambda t: ag.quantile(t, q, dim=1), (x,))
    assert gradcheck(lambda t: ag.quantile(t, 0.35, interpolation="midpoint"), (x,))
    assert gradgradcheck(lambda t: ag.quantile(t, q, dim=0) ** 2, (x,))
    y = R(3, 5)
    y[0, 1] = np.nan
    assert gradcheck(lambda t: ag.nanquantile(t, q, dim=1), (ag.tensor(y, requires_grad=True),))


@pytest.mark.parametrize("axis, keepdims", [(None, False), (0, False), (1, True), ((0, 2), False), (-1, True)],
                         ids=str)
def test_nan_functions_with_numpys_keywords_are_numpys(axis, keepdims):
    # array-API consumers call NumPy's signatures: axis=, keepdims=, method=
    x = R(3, 4, 5)
    x[0, 1, 2] = np.nan
    x[2, 3, :] = np.nan
    a = ag.tensor(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for name in ("nanmedian", "nansum", "nanmean"):
            np.testing.assert_allclose(np.asarray(getattr(ag, name)(a, axis=axis, keepdims=keepdims)),
                                       getattr(np, name)(x, axis=axis, keepdims=keepdims), rtol=1e-12,
                                       equal_nan=True)
        for method in ("linear", "lower", "higher", "midpoint", "nearest"):
            for name in ("quantile", "nanquantile"):
                np.testing.assert_allclose(
                    np.asarray(getattr(ag, name)(a, [0.2, 0.5], axis=axis, keepdims=keepdims, method=method)),
                    getattr(np, name)(x, [0.2, 0.5], axis=axis, keepdims=keepdims, method=method), rtol=1e-12,
                    equal_nan=True)
    ints = np.arange(12).reshape(3, 4)
    np.testing.assert_allclose(np.asarray(ag.quantile(ag.tensor(ints), 0.5, axis=1)), np.quantile(ints, 0.5, axis=1))
    with pytest.raises(TypeError, match="not both"):
        ag.nansum(a, 0, axis=0)


def test_nansum_nanmean_like_torch():
    x = R(3, 4)
    x[0, 1] = x[2, 2] = x[1, 0] = x[1, 3] = np.nan
    for args, kwargs in (((), {}), ((1,), {}), ((0, True), {}), (((0, 1),), {}), (([1],), dict(keepdim=True))):
        for name in ("nansum", "nanmean"):
            _compare(name, [x], *args, **kwargs)
            _compare(name, [x], *args, method=True, **kwargs)
    _compare("nansum", [np.arange(6).reshape(2, 3)], 1, grad=False)
    _compare("nansum", [R()])
    _compare("nanmean", [np.zeros((0, 3))], 0)
    assert gradcheck(lambda t: ag.nanmean(t, 1), (ag.tensor(x, requires_grad=True),))
    assert gradcheck(lambda t: ag.nansum(t, 0) ** 2, (ag.tensor(x, requires_grad=True),))
    # a slice of NaN only: nanmean is NaN there (its gradient is 0 there, where PyTorch's is NaN)
    x[1, :] = np.nan
    _compare("nanmean", [x], 1, grad=False)
    _compare("nansum", [x], 1)
    assert ag.nansum(ag.tensor(x), dtype=ag.float32).dtype == ag.float32


# ----- counting and searching ------------------------------------------------------------
@pytest.mark.parametrize("x, kwargs", [
    (R(50), {}), (R(50), dict(bins=7)), (R(50), dict(bins=5, min=-1, max=1)), (np.array([0.0, 1, 2, 3]), dict(bins=3)),
    (np.array([0.0, 1, 2, 3]), dict(bins=4, min=1, max=1)), (np.array([2.0, 2.0]), dict(bins=3)),
    (np.zeros(0), dict(bins=3)), (R(3, 4), dict(bins=4)), (R(), dict(bins=2)),
    (np.array([0.0, 1, 2, 3], dtype=np.float32), dict(bins=4, min=0, max=3))], ids=str)
def test_histc_like_torch(x, kwargs):
    _compare("histc", [x], grad=False, **kwargs)
    _compare("histc", [x], method=True, grad=False, **kwargs)


@pytest.mark.parametrize("right", [False, True])
@pytest.mark.parametrize("out_int32", [False, True])
def test_bucketize_like_torch(right, out_int32):
    bounds = np.array([-1.0, 0.0, 0.5, 2.0])
    for x in (R(10), R(3, 4), R(), np.array([-1.0, 0.0, 0.5, 2.0, 3.0, -5.0])):
        _compare("bucketize", [x, bounds], grad=False, right=right, out_int32=out_int32)
    _compare("bucketize", [np.array([[1, 5], [3, 9]]), np.array([1, 3, 5, 7, 9])], grad=False, right=right)
    _compare("bucketize", [np.array([1, 5]), bounds], grad=False, right=right)
    assert ag.bucketize(3, ag.tensor([1.0, 2.0, 5.0]), right=right).tolist() == torch.bucketize(
        3, torch.tensor([1.0, 2.0, 5.0]), right=right).tolist()


# ----- distances -------------------------------------------------------------------------
@pytest.mark.parametrize("p", [2.0, 1.0, float("inf"), 3.0, 0.5, 0.0])
@pytest.mark.parametrize("shapes", [((4, 3), (5, 3)), ((2, 4, 3), (2, 5, 3)), ((2, 1, 4, 3), (3, 5, 3)),
                                    ((0, 3), (2, 3)), ((3, 0), (2, 0))], ids=str)
def test_cdist_like_torch(p, shapes):
    x1, x2 = R(*shapes[0]), R(*shapes[1])
    _compare("cdist", [x1, x2], p=p, grad=p != 0.0)


def test_cdist_at_zero_distance_and_gradcheck():
    x = R(3, 2)
    y = np.concatenate([x[:2], R(2, 2)])
    for p in (2.0, 1.0, 3.0):
        _compare("cdist", [x, y], p=p)
    for p in (2.0, 1.0, 3.0, float("inf")):
        assert gradcheck(lambda a, b: ag.cdist(a, b, p=p), (ag.tensor(R(3, 2), requires_grad=True),
                                                           ag.tensor(R(2, 4, 2), requires_grad=True)))
    assert gradgradcheck(lambda a, b: ag.cdist(a, b), (ag.tensor(R(3, 2), requires_grad=True),
                                                       ag.tensor(R(4, 2), requires_grad=True)))


@pytest.mark.parametrize("p", [2, 1, 3.5, float("inf"), 0])
def test_dist_like_torch(p):
    _compare("dist", [R(3, 4), R(4)], p, grad=p != 0)
    _compare("dist", [R(3), R(3)], p, method=True, grad=p != 0)
    assert gradcheck(lambda a, b: ag.dist(a, b, p), (ag.tensor(R(3), requires_grad=True),
                                                     ag.tensor(R(2, 3), requires_grad=True))) if p else True


# ----- shapes and indexing ---------------------------------------------------------------
@pytest.mark.parametrize("shape, kwargs", [((3,), {}), ((2, 3), {}), ((3,), dict(offset=1)), ((2, 3), dict(offset=-2)),
                                           ((2, 3), dict(offset=1, dim1=0, dim2=2)),
                                           ((2, 3), dict(offset=-1, dim1=-1, dim2=0)), ((0,), {}),
                                           ((2, 0), dict(offset=1))], ids=str)
def test_diag_embed_like_torch(shape, kwargs):
    _compare("diag_embed", [R(*shape)], **kwargs)
    _compare("diag_embed", [R(*shape)], method=True, **kwargs)
    assert gradcheck(lambda t: ag.diag_embed(t, **kwargs), (ag.tensor(R(*shape), requires_grad=True),))


@pytest.mark.parametrize("args, kwargs", [((2,), {}), ((2,), dict(dim=0)), ((3,), dict(dim=1)),
                                          ((np.array([1, 0, 2]),), dict(dim=1)), ((np.array([2]),), dict(dim=0)),
                                          ((np.array(3),), {}), ((0,), dict(dim=1))], ids=str)
def test_repeat_interleave_like_torch(args, kwargs):
    x = R(2, 3)
    ours = [ag.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    theirs = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    a, t = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    for out, tout in ((ag.repeat_interleave(a, *ours, **kwargs), torch.repeat_interleave(t, *theirs, **kwargs)),
                      (a.repeat_interleave(*ours, **kwargs), t.repeat_interleave(*theirs, **kwargs))):
        _same(out, tout)
    w = R(*tout.shape)
    ag.sum(out * ag.tensor(w)).backward()
    (tout * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(np.asarray(a.grad), t.grad.numpy(), rtol=1e-12)
    _same(ag.repeat_interleave(ag.tensor([2, 0, 3])), torch.repeat_interleave(torch.tensor([2, 0, 3])))
    _same(ag.repeat_interleave(ag.tensor(5.0), 3), torch.repeat_interleave(torch.tensor(5.0, dtype=torch.float32), 3))


@pytest.mark.parametrize("n, r, with_replacement", [(4, 2, False), (4, 3, False), (3, 3, True), (3, 1, False),
                                                    (2, 3, False), (0, 2, False), (3, 0, False), (4, 2, True)],
                         ids=str)
def test_combinations_like_torch(n, r, with_replacement):
    _compare("combinations", [R(n)], r, with_replacement)
    _compare("combinations", [np.arange(n)], r=r, with_replacement=with_replacement, grad=False)


@pytest.mark.parametrize("shape, dim, index", [((5, 3), 0, [4, 0, 2]), ((3, 5), 1, [1, 3]), ((2, 3, 4), -1, [0]),
                                               ((4,), 0, [3, 1]), ((4, 2), 0, []), ((3, 2), 0, 1), ((4,), 0, 2)],
                         ids=str)
def test_index_copy_like_torch(shape, dim, index):
    idx = np.array(index, dtype=np.int64)
    sshape = list(shape)
    sshape[dim] = idx.size
    if idx.ndim == 0 and len(shape) == 1:
        del sshape[dim]  # scalars: a 0-d index and a 0-d source
    x, s = R(*shape), R(*sshape)
    a, sa = ag.tensor(x, requires_grad=True), ag.tensor(s, requires_grad=True)
    t, st = torch.tensor(x, requires_grad=True), torch.tensor(s, requires_grad=True)
    out, tout = ag.index_copy(a, dim, ag.tensor(idx), sa), torch.index_copy(t, dim, torch.tensor(idx), st)
    _same(out, tout)
    _same(a.index_copy(dim, ag.tensor(idx), sa), t.index_copy(dim, torch.tensor(idx), st))
    w = R(*shape)
    ag.sum(out * ag.tensor(w)).backward()
    (tout * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(np.asarray(a.grad), t.grad.numpy())
    np.testing.assert_allclose(np.asarray(sa.grad), st.grad.numpy())
    # the in-place form: on a copy, and through the graph on a non-leaf
    y, ty = ag.tensor(x), torch.tensor(x)
    assert y.index_copy_(dim, ag.tensor(idx), ag.tensor(s)) is y
    ty.index_copy_(dim, torch.tensor(idx), torch.tensor(s))
    _same(y, ty)
    b = ag.tensor(x, requires_grad=True)
    c = b * 2
    c.index_copy_(dim, ag.tensor(idx), sa * 3)
    tb = torch.tensor(x, requires_grad=True)
    tc = tb * 2
    tc.index_copy_(dim, torch.tensor(idx), st * 3)
    c.sum().backward()
    tc.sum().backward()
    np.testing.assert_allclose(np.asarray(b.grad), tb.grad.numpy())
    assert gradcheck(lambda p, q: ag.index_copy(p, dim, ag.tensor(idx), q),
                     (ag.tensor(x, requires_grad=True), ag.tensor(s, requires_grad=True)))


def test_sgn_like_torch():
    z = np.array([1 + 1j, 0j, -2j, -3 + 0j])
    _compare("sgn", [z], grad=False)
    _compare("sgn", [np.array([-2.0, 0.0, 3.0])], grad=False)
    _compare("sgn", [np.array([-2, 0, 3])], grad=False)
    y, ty = ag.tensor(z), torch.tensor(z)
    assert y.sgn_() is y
    _same(y, ty.sgn_())


def test_chain_matmul_like_torch():
    a, b, c = R(2, 3), R(3, 4), R(4, 2)
    with pytest.warns(UserWarning, match="chain_matmul is deprecated"):
        ag.chain_matmul(ag.tensor(a), ag.tensor(b))
    _compare("chain_matmul", [a, b, c])
    _compare("chain_matmul", [a])
    assert gradcheck(lambda *m: ag.chain_matmul(*m), tuple(ag.tensor(v, requires_grad=True) for v in (a, b, c)))


@pytest.mark.parametrize("shape, scale", [((3, 3), 1.0), ((3, 3), 0.1), ((3, 3), 20.0), ((2, 4, 4), 2.0),
                                          ((1, 1), 3.0), ((0, 0), 1.0), ((2, 0, 0), 1.0)], ids=str)
def test_matrix_exp_like_torch(shape, scale):
    x = R(*shape) * scale
    out, tout = _compare("matrix_exp", [x])
    _compare("matrix_exp", [x], method=True)
    if 0 not in shape and scale < 5:
        assert gradcheck(ag.matrix_exp, (ag.tensor(x, requires_grad=True),))
    if shape == (3, 3) and scale == 1.0:
        assert gradgradcheck(ag.matrix_exp, (ag.tensor(x, requires_grad=True),))
        z = R(2, 2) + 1j * R(2, 2)
        _same(ag.matrix_exp(ag.tensor(z)), torch.matrix_exp(torch.tensor(z)))
        _same(ag.matrix_exp(ag.tensor(x, dtype=ag.float32)), torch.matrix_exp(torch.tensor(x, dtype=torch.float32)),
              rtol=1e-5, atol=1e-6)


# ----- creation ----------------------------------------------------------------------------
@pytest.mark.parametrize("args, kwargs", [((0, 5), {}), ((0, 1, 0.1), {}), ((0.0, 2.5, 0.5), {}), ((5, 0, -1), {}),
                                          ((1, 1), {}), ((0, 5), dict(dtype="int64")),
                                          ((-1, 1, 0.25), dict(dtype="float64")),
                                          ((0, 3, 1), dict(requires_grad=True))], ids=str)
def test_range_like_torch(args, kwargs):
    okw = {k: getattr(ag, v) if k == "dtype" else v for k, v in kwargs.items()}
    tkw = {k: getattr(torch, v) if k == "dtype" else v for k, v in kwargs.items()}
    with pytest.warns(UserWarning, match="torch.range is deprecated"):
        out = ag.range(*args, **okw)
    _same(out, torch.range(*args, **tkw), rtol=1e-6)
    assert out.requires_grad == bool(kwargs.get("requires_grad"))


@pytest.mark.parametrize("name", ["hann_window", "hamming_window", "blackman_window", "bartlett_window"])
@pytest.mark.parametrize("n", [0, 1, 2, 5, 8, 33])
@pytest.mark.parametrize("periodic", [True, False])
def test_windows_like_torch(name, n, periodic):
    _same(getattr(ag, name)(n, periodic, dtype=ag.float64), getattr(torch, name)(n, periodic, dtype=torch.float64),
          atol=1e-15)
    _same(getattr(ag, name)(n, periodic), getattr(torch, name)(n, periodic), rtol=1e-6, atol=1e-7)
    if periodic:
        _same(getattr(ag, name)(n), getattr(torch, name)(n), rtol=1e-6, atol=1e-7)
    assert getattr(ag, name)(n, requires_grad=True).requires_grad


def test_hamming_window_coefficients_like_torch():
    _same(ag.hamming_window(7, False, 0.5, 0.3, dtype=ag.float64),
          torch.hamming_window(7, False, 0.5, 0.3, dtype=torch.float64))


# ----- random ----------------------------------------------------------------------------
def test_poisson():
    rates = ag.tensor([[0.0, 1.0, 4.5], [20.0, 100.0, 0.1]], dtype=ag.float64)
    ag.manual_seed(3)
    first = ag.poisson(rates)
    ag.manual_seed(3)
    assert ag.poisson(rates).tolist() == first.tolist()  # reproducible under manual_seed
    assert first.dtype == ag.float64 and tuple(first.shape) == (2, 3) and first[0, 0].item() == 0.0
    assert not first.requires_grad and not ag.poisson(ag.ones(2, requires_grad=True)).requires_grad
    g = ag.Generator().manual_seed(7)
    a = ag.poisson(rates, generator=g)
    assert a.tolist() == ag.poisson(rates, generator=ag.Generator().manual_seed(7)).tolist()
    many = ag.poisson(ag.full((20000,), 3.0))
    assert many.dtype == ag.float32 and abs(float(many.mean()) - 3.0) < 0.1 and abs(float(many.var()) - 3.0) < 0.2
    assert (many == ag.round(many)).all() and (many >= 0).all()
    assert tuple(ag.poisson(ag.ones(0, 2)).shape) == (0, 2) and tuple(ag.poisson(ag.tensor(2.0)).shape) == ()


# ----- dtypes and settings ----------------------------------------------------------------
DTYPE_NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64", "complex64",
               "complex128"]


def test_promote_types_like_torch():
    for a in DTYPE_NAMES:
        for b in DTYPE_NAMES:
            got = ag.promote_types(getattr(ag, a), getattr(ag, b))
            assert got.name == str(torch.promote_types(getattr(torch, a), getattr(torch, b))).removeprefix("torch.")


def test_num_threads():
    before = ag.get_num_threads()
    assert isinstance(before, int) and before >= 1
    try:
        ag.set_num_threads(1)
        assert ag.get_num_threads() == 1
        threadpoolctl = pytest.importorskip("threadpoolctl")
        assert all(info["num_threads"] == 1 for info in threadpoolctl.threadpool_info())
    finally:
        ag.set_num_threads(before)
    assert ag.get_num_threads() == before
    for bad in (0, -2):
        with pytest.raises(RuntimeError, match="set_num_threads expects a positive integer"):
            ag.set_num_threads(bad)


def test_deterministic_algorithms_flag():
    assert ag.are_deterministic_algorithms_enabled() is False
    try:
        ag.use_deterministic_algorithms(True, warn_only=True)
        assert ag.are_deterministic_algorithms_enabled() is True
        assert ag.is_deterministic_algorithms_warn_only_enabled() is True
    finally:
        ag.use_deterministic_algorithms(False)
    assert ag.are_deterministic_algorithms_enabled() is False
    with pytest.raises(TypeError, match="'mode' must be bool"):
        ag.use_deterministic_algorithms(1)


def test_names_and_methods_exist_as_in_torch():
    for name in ("kthvalue", "cummax", "cummin", "quantile", "nanquantile", "histc", "diag_embed",
                 "repeat_interleave", "nanmedian", "mode", "nansum", "nanmean", "dist", "index_copy", "sgn",
                 "matrix_exp", "index_copy_", "sgn_"):
        assert hasattr(torch.Tensor, name) and callable(getattr(ag.Tensor, name)), name
    for name in ("bucketize", "cdist", "range", "combinations", "chain_matmul", "promote_types", "poisson",
                 "hann_window", "hamming_window", "blackman_window", "bartlett_window", "set_num_threads",
                 "get_num_threads", "use_deterministic_algorithms", "are_deterministic_algorithms_enabled"):
        assert callable(getattr(ag, name)) and hasattr(torch, name), name
    assert ag.range is ag._torch_api.range and range(3) == range(0, 3)  # Python's range is untouched


# ----- errors ----------------------------------------------------------------------------
def test_errors_like_torch():
    x = ag.tensor([1.0, 2.0])
    cases = [
        (RuntimeError, "kthvalue\\(\\): selected number k out of range", lambda: ag.kthvalue(x, 3)),
        (RuntimeError, "kthvalue\\(\\): selected number k out of range", lambda: ag.kthvalue(x, 0)),
        (IndexError, "kthvalue\\(\\): Expected reduction dim 0 to have non-zero size",
         lambda: ag.kthvalue(ag.ones(0), 1)),
        (IndexError, "mode\\(\\): Expected reduction dim 0 to have non-zero size", lambda: ag.mode(ag.ones(0))),
        (IndexError, "dim", lambda: ag.cummax(x, 1)),
        (RuntimeError, "quantile\\(\\) q must be in the range \\[0, 1\\] but got 1.5", lambda: ag.quantile(x, 1.5)),
        (RuntimeError, "q values must be in the range", lambda: ag.quantile(x, ag.tensor([0.5, 2.0]))),
        (RuntimeError, "must be either float or double dtype", lambda: ag.quantile(ag.tensor([1, 2]), 0.5)),
        (RuntimeError, "interpolation must be one of linear, lower, higher, midpoint or nearest, but got foo",
         lambda: ag.quantile(x, 0.5, interpolation="foo")),
        (RuntimeError, "q tensor must be same dtype", lambda: ag.quantile(x, ag.tensor([0.5], dtype=ag.float64))),
        (RuntimeError, "q must be a scalar or 1D tensor", lambda: ag.quantile(x, ag.tensor([[0.5]]))),
        (RuntimeError, "nanquantile\\(\\) input tensor must be non-empty", lambda: ag.nanquantile(ag.ones(0), 0.5)),
        (RuntimeError, "nanmean\\(\\): expected input to have floating point", lambda: ag.nanmean(ag.tensor([1, 2]))),
        (RuntimeError, "histc: bins must be > 0, but got 0", lambda: ag.histc(x, bins=0)),
        (RuntimeError, "histc: max must be larger than min", lambda: ag.histc(x, min=3, max=1)),
        (RuntimeError, "histc: range of \\[nan, nan\\] is not finite",
         lambda: ag.histc(ag.tensor([float("nan"), 2.0]))),
        (NotImplementedError, "histc: input must be floating point, got .*int64", lambda: ag.histc(ag.tensor([1, 2]))),
        (RuntimeError, "bucketize: boundaries tensor must be 1 dimension, but got dim\\(2\\)",
         lambda: ag.bucketize(x, ag.ones(2, 2))),
        (RuntimeError, "cdist only supports at least 2D tensors, X1 got: 1D", lambda: ag.cdist(x, ag.ones(2, 2))),
        (RuntimeError, "X1 and X2 must have the same number of columns. X1: 3 X2: 4",
         lambda: ag.cdist(ag.ones(2, 3), ag.ones(2, 4))),
        (RuntimeError, "cdist only supports non-negative p values",
         lambda: ag.cdist(ag.ones(2, 3), ag.ones(2, 3), p=-1)),
        (RuntimeError, "cdist only supports floating-point dtypes, X1 got: .*int64",
         lambda: ag.cdist(ag.ones(2, 3, dtype=ag.int64), ag.ones(2, 3))),
        (RuntimeError, "dist\\(\\): input dtype should be either floating point",
         lambda: ag.dist(ag.tensor([1, 2]), ag.tensor([1, 3]))),
        (RuntimeError, "diagonal dimensions cannot be identical", lambda: ag.diag_embed(x, dim1=0, dim2=0)),
        (IndexError, "diag_embed: dim1", lambda: ag.diag_embed(ag.tensor(1.0))),
        (RuntimeError, "repeats must have the same size as input along dim",
         lambda: ag.repeat_interleave(x, ag.tensor([1, 2, 3]))),
        (RuntimeError, "repeats must be non-negative, got -1", lambda: ag.repeat_interleave(x, -1)),
        (RuntimeError, "range: step must be nonzero", lambda: ag.range(0, 5, 0)),
        (RuntimeError, "upper bound and lower bound inconsistent with step sign", lambda: ag.range(5, 0, 1)),
        (TypeError, "missing 1 required positional arguments: \"end\"", lambda: ag.range(5)),
        (RuntimeError, "combinations: Expect a 1D vector, but got shape \\[1, 3\\]",
         lambda: ag.combinations(ag.ones(1, 3))),
        (RuntimeError, "combinations: Expect a non-negative number, but got -1", lambda: ag.combinations(x, r=-1)),
        (IndexError, "index_copy_\\(\\): Index should have dimension 1 or 0 \\(got 2\\)",
         lambda: ag.index_copy(ag.zeros(3, 2), 0, ag.tensor([[0]]), ag.ones(1, 2))),
        (RuntimeError, "index_copy_\\(\\): Expected a long tensor for index, but got .*float32",
         lambda: ag.index_copy(ag.zeros(3, 2), 0, ag.tensor([0.0]), ag.ones(1, 2))),
        (IndexError, "Number of indices \\(1\\) should be equal to source.size\\(dim\\) \\(2\\)",
         lambda: ag.index_copy(ag.zeros(3, 2), 0, ag.tensor([0]), ag.ones(2, 2))),
        (RuntimeError, "Source/destination tensor must have same slice shapes",
         lambda: ag.index_copy(ag.zeros(3, 2), 0, ag.tensor([0]), ag.ones(1, 3))),
        (IndexError, "When source and destination are not scalars, their dimensionality must match",
         lambda: ag.index_copy(ag.zeros(3, 2), 0, ag.tensor(0), ag.ones(2))),
        (RuntimeError, "self and source expected to have the same dtype",
         lambda: ag.index_copy(ag.zeros(3, 2), 0, ag.tensor([0]), ag.ones(1, 2, dtype=ag.float64))),
        (RuntimeError, "chain_matmul\\(\\): Expected one or more matrices", lambda: ag.chain_matmul()),
        (RuntimeError, "chain_matmul\\(\\): Tensor dimension is 1, expected 2 instead", lambda: ag.chain_matmul(x)),
        (RuntimeError, "matrix_exp: A must be batches of square matrices", lambda: ag.matrix_exp(ag.ones(2, 3))),
        (RuntimeError, "matrix_exp: Expected a floating point or complex tensor as input. Got .*int64",
         lambda: ag.matrix_exp(ag.ones(2, 2, dtype=ag.int64))),
        (RuntimeError, "hann_window requires non-negative window_length, got window_length=-1",
         lambda: ag.hann_window(-1)),
        (RuntimeError, "bartlett_window expects floating point dtypes, got: .*int64",
         lambda: ag.bartlett_window(3, dtype=ag.int64)),
        (RuntimeError, "poisson: invalid Poisson rate, expected rate to be non-negative",
         lambda: ag.poisson(ag.tensor([-1.0]))),
        (NotImplementedError, "poisson: rates must be floating point, got .*int64", lambda: ag.poisson(ag.tensor([1]))),
        (RuntimeError, "cummax\\(\\): complex input is not supported", lambda: ag.cummax(ag.tensor([1j]), 0)),
    ]
    for exc, match, call in cases:
        with pytest.raises(exc, match=match):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                call()


def test_low_rank_svd_pca_and_small_top_level_names():
    import arraygrad as ag

    A = np.random.default_rng(0).standard_normal((8, 5))
    U, S, V = ag.svd_lowrank(ag.tensor(A), q=3)  # the exact truncated SVD, which PyTorch approximates
    np.testing.assert_allclose(np.asarray(S), np.linalg.svd(A, compute_uv=False)[:3], rtol=1e-12)
    assert tuple(U.shape) == (8, 3) and tuple(V.shape) == (5, 3)
    _, S, _ = ag.pca_lowrank(ag.tensor(A), q=2)
    np.testing.assert_allclose(np.asarray(S), np.linalg.svd(A - A.mean(0), compute_uv=False)[:2], rtol=1e-12)
    x = ag.tensor([1.0, 2.0])
    assert ag.ldexp_(x, ag.tensor([1, 2])) is x and x.tolist() == [2.0, 8.0]
    np.testing.assert_allclose(ag.nuclear_norm(ag.tensor(A)).item(), np.linalg.norm(A, "nuc"))
    np.testing.assert_allclose(ag.frobenius_norm(ag.tensor(A)).item(), np.linalg.norm(A))
    assert ag.get_device_module("cuda") is ag.cuda and ag.GradScaler is ag.amp.GradScaler
    assert issubclass(MemoryError, ag.cuda.OutOfMemoryError) and ag.OutOfMemoryError is ag.cuda.OutOfMemoryError
    ag.manual_seed(0)
    draws = ag.binomial(ag.tensor([10.0, 5.0, 7.0]), ag.tensor([0.5, 0.0, 1.0]))
    assert draws.dtype == ag.float32 and draws[1].item() == 0.0 and draws[2].item() == 7.0 and 0 <= draws[0].item() <= 10
    with pytest.raises(RuntimeError, match="0 <= prob <= 1"):
        ag.binomial(ag.tensor([1.0]), ag.tensor([1.5]))
    assert np.asarray(ag.from_dlpack(_Capsule(ag.to_dlpack(ag.ones(2))))).tolist() == [1.0, 1.0]


class _Capsule:
    """A DLPack capsule behind the protocol (from_dlpack takes producers)."""

    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return (1, 0)
