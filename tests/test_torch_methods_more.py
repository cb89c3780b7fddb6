"""More of PyTorch's Tensor methods and their functions (src/arraygrad/_torch_methods.py,
_torch_api.py "Indexing, scattering and the rest ...") and nn.init's remaining
initializers, against torch 2.13: values, dtypes, shapes, gradients (and gradcheck in
float64), the random samplers' reproducibility and distributions, and PyTorch's errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import arraygrad as ag
from _torch_oracle import flat as _flat, same as _same  # noqa: E402
import arraygrad.nn.init as init
from arraygrad.autograd import gradcheck

torch = pytest.importorskip("torch")

_rng = np.random.default_rng(1)


def R(*shape):
    return _rng.standard_normal(shape)


def TIES(*shape):
    return _rng.integers(0, 3, shape).astype(np.float64)


def _as(a):
    return a if isinstance(a, np.ndarray) else np.asarray(a)


def _compare(name, arrays, *args, method=False, grad=True, dim_second=False, **kwargs):
    """name(*tensors, *args, **kwargs) in both libraries (arrays of an integer or bool dtype
    are indices and masks): the same outputs, and the same gradients of a random weighting
    of the floating outputs."""
    arrays = [_as(a) for a in arrays]
    diff = [grad and a.dtype.kind in "fc" for a in arrays]
    ours = [ag.tensor(a, requires_grad=d) for a, d in zip(arrays, diff)]
    theirs = [torch.tensor(a, requires_grad=d) for a, d in zip(arrays, diff)]
    if dim_second:  # scatter_reduce(input, dim, index, src, ...)
        ours, theirs = ours[:1] + [args[0]] + ours[1:], theirs[:1] + [args[0]] + theirs[1:]
        args = args[1:]
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
    pairs = [(x, y) for x, y in zip(out, tout) if y.requires_grad]
    if grad and pairs:
        weights = [R(*y.shape) for _, y in pairs]
        sum(ag.sum(x * ag.tensor(w)) for (x, _), w in zip(pairs, weights)).backward()
        sum((y * torch.tensor(w)).sum() for (_, y), w in zip(pairs, weights)).backward()
        for a, t in zip(ours, theirs):
            if isinstance(t, torch.Tensor) and t.requires_grad:
                want = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
                got = np.zeros(tuple(a.shape)) if a.grad is None else np.asarray(a.grad)
                np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    return out, tout


def _both(name, arrays, *args, **kwargs):
    _compare(name, arrays, *args, **kwargs)
    _compare(name, arrays, *args, method=True, **kwargs)


# ----- the names exist -------------------------------------------------------------------
METHODS = ["angle", "bernoulli", "bernoulli_", "cauchy_", "exponential_", "geometric_", "log_normal_",
           "random_", "fill_diagonal_", "index_put", "index_put_", "inner", "masked_scatter",
           "masked_scatter_", "moveaxis", "msort", "multinomial", "pin_memory", "is_pinned", "put", "put_",
           "ravel", "renorm", "renorm_", "resize_", "resize_as_", "scatter_reduce", "scatter_reduce_",
           "share_memory_", "is_shared", "sum_to_size", "take", "unfold", "unique_consecutive",
           "storage_offset", "apply_", "map_"]
FUNCTIONS = ["angle", "inner", "masked_scatter", "msort", "ravel", "renorm", "scatter_reduce",
             "unique_consecutive", "index_put", "moveaxis", "square_"]


@pytest.mark.parametrize("name", METHODS)
def test_method_exists(name):
    assert hasattr(ag.Tensor, name) and hasattr(torch.Tensor, name)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_exists(name):
    assert hasattr(ag, name) and hasattr(torch, name)


# ----- angle, inner, msort, ravel, moveaxis ----------------------------------------------
def test_angle_like_torch():
    x = R(3, 4)
    x[0, :2] = 0.0
    x[1, 0] = np.nan
    _both("angle", [x])
    _both("angle", [np.array([-2, 0, 3])], grad=False)  # integers: the default float
    z = R(3, 4) + 1j * R(3, 4)
    z[0, 0] = 0
    _compare("angle", [z], grad=False)


def test_angle_complex_gradient_like_torch():
    z = R(5) + 1j * R(5)
    z[2] = 0
    a, t = ag.tensor(z, requires_grad=True), torch.tensor(z, requires_grad=True)
    w = R(5)
    (ag.angle(a) * ag.tensor(w)).sum().backward()
    (torch.angle(t) * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(np.asarray(a.grad), t.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert gradcheck(lambda v: ag.angle(v), (ag.tensor(R(4) + 1j * R(4), requires_grad=True),))


def test_angle_numpy_keyword_deg():
    x = ag.tensor([1 + 1j, -1.0 + 0j])
    np.testing.assert_allclose(np.asarray(ag.angle(x, deg=True)), np.angle(np.asarray(x), deg=True), rtol=1e-6)


@pytest.mark.parametrize("a, b", [((4,), (4,)), ((2, 4), (4,)), ((2, 3), (5, 3)), ((2, 1, 3), (4, 3)),
                                  ((), (3, 2)), ((3,), ())], ids=str)
def test_inner_like_torch(a, b):
    _both("inner", [R(*a), R(*b)])
    x, y = ag.tensor(R(*a), requires_grad=True), ag.tensor(R(*b), requires_grad=True)
    assert gradcheck(ag.inner, (x, y))


def test_inner_is_numpys():
    a, b = R(2, 3), R(4, 3)
    np.testing.assert_allclose(np.asarray(ag.inner(ag.tensor(a), ag.tensor(b))), np.inner(a, b))


@pytest.mark.parametrize("shape", [(5,), (4, 3), (2, 3, 4), ()], ids=str)
def test_msort_like_torch(shape):
    _both("msort", [TIES(*shape)])
    _both("msort", [TIES(*shape).astype(np.int64)], grad=False)


@pytest.mark.parametrize("shape", [(5,), (4, 3), (2, 3, 4), ()], ids=str)
def test_ravel_like_torch(shape):
    _both("ravel", [R(*shape)])


def test_ravel_numpy_order():
    x = R(2, 3, 4)
    np.testing.assert_array_equal(np.asarray(ag.ravel(ag.tensor(x), "F")), np.ravel(x, "F"))
    with pytest.raises(ValueError, match="ravel: order must be one of"):
        ag.ravel(ag.tensor(x), "Z")


def test_moveaxis_method_like_torch():
    _compare("moveaxis", [R(2, 3, 4)], 0, -1, method=True)
    _compare("moveaxis", [R(2, 3, 4)], (0, 1), (2, 0), method=True)


# ----- take, put ---------------------------------------------------------------------------
@pytest.mark.parametrize("shape, index", [((3, 4), [[0, -1], [5, 11]]), ((6,), [2, 2, -6]), ((2, 3), 4),
                                          ((2, 2, 2), [[[7]]]), ((3, 4), [])], ids=str)
def test_take_method_like_torch(shape, index):
    _compare("take", [R(*shape), np.array(index, dtype=np.int64)], method=True)


def test_take_gradcheck():
    x = ag.tensor(R(3, 4), requires_grad=True)
    assert gradcheck(lambda t: t.take(ag.tensor([[0, 3], [3, -1]])), (x,))


def test_top_level_take_stays_the_standards():
    # torch.take(x, i) flattens x; the array API's take needs axis for n-d input, and
    # array-API consumers rely on that: the function stays the standard's (NumPy's
    # take(a, indices, axis) calls agree with it), the method is PyTorch's
    x = R(3, 4)
    idx = np.array([2, 0, 2])
    for axis in (0, 1, -1):
        np.testing.assert_array_equal(np.asarray(ag.take(ag.tensor(x), ag.tensor(idx), axis=axis)),
                                      np.take(x, idx, axis=axis))
    np.testing.assert_array_equal(np.asarray(ag.take(ag.tensor(x[0]), ag.tensor(idx))), np.take(x[0], idx))
    # without axis, n-d input is seen as 1-D, as NumPy's and PyTorch's take see it
    np.testing.assert_array_equal(np.asarray(ag.take(ag.tensor(x), ag.tensor(idx))), np.take(x, idx))
    np.testing.assert_array_equal(np.asarray(ag.tensor(x).take([1, 5])), np.take(x, [1, 5]))
    with pytest.raises(TypeError, match=r"take\(\): Expected a long tensor for index, but got arraygrad.float32"):
        ag.tensor(x).take(ag.tensor([0.0]))


@pytest.mark.parametrize("accumulate", [False, True])
def test_put_like_torch(accumulate):
    idx = np.array([[0, 5], [-1, 3]])
    _compare("put", [R(3, 4), idx, R(2, 2)], accumulate, method=True)
    if accumulate:
        _compare("put", [R(3, 4), np.array([1, 1, 1, -12]), R(4)], accumulate=True, method=True)
    a, t = ag.tensor(R(3, 4)), None
    t = torch.tensor(np.asarray(a))
    src = R(4)
    a.put_(ag.tensor(idx), ag.tensor(src).reshape(2, 2), accumulate)
    t.put_(torch.tensor(idx), torch.tensor(src).reshape(2, 2), accumulate)
    _same(a, t)


def test_put_errors():
    x = ag.zeros(2, 3)
    with pytest.raises(IndexError, match=r"put_\(\): Expected source and index to have the same number of "
                                         r"elements, but got source.numel\(\) = 3, index.numel\(\) = 2"):
        x.put_(ag.tensor([0, 1]), ag.ones(3))
    with pytest.raises(TypeError, match=r"put_\(\): Expected a long tensor for index, but got arraygrad.float32"):
        x.put_(ag.tensor([0.0]), ag.ones(1))
    with pytest.raises(RuntimeError, match="same dtype"):
        x.put_(ag.tensor([0]), ag.ones(1, dtype=ag.float64))


# ----- index_put, masked_scatter ------------------------------------------------------
@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put_like_torch(accumulate):
    rows, cols = np.array([0, 2, 0]), np.array([1, 1, 1])
    for meth in (False, True):
        ours = ag.tensor(R(3, 4), requires_grad=True)
        theirs = torch.tensor(np.asarray(ours.detach()), requires_grad=True)
        v = R(3)
        vo, vt = ag.tensor(v, requires_grad=True), torch.tensor(v, requires_grad=True)
        key_o, key_t = (ag.tensor(rows), ag.tensor(cols)), (torch.tensor(rows), torch.tensor(cols))
        if not accumulate:  # repeated positions: the last write is not defined; use distinct ones
            key_o, key_t = (ag.tensor(rows[:2]), ag.tensor(cols[:2])), (torch.tensor(rows[:2]), torch.tensor(cols[:2]))
            vo, vt = ag.tensor(v[:2], requires_grad=True), torch.tensor(v[:2], requires_grad=True)
        o = ours.index_put(key_o, vo, accumulate) if meth else ag.index_put(ours, key_o, vo, accumulate)
        t = theirs.index_put(key_t, vt, accumulate) if meth else torch.index_put(theirs, key_t, vt, accumulate)
        _same(o, t)
        w = R(3, 4)
        (o * ag.tensor(w)).sum().backward()
        (t * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(np.asarray(ours.grad), theirs.grad.numpy())
        np.testing.assert_allclose(np.asarray(vo.grad), vt.grad.numpy())


def test_index_put_bool_mask_broadcast_value_and_in_place():
    x = R(3, 4)
    m = x > 0
    a, t = ag.tensor(x), torch.tensor(x)
    a.index_put_((ag.tensor(m),), ag.tensor(5.0, dtype=ag.float64))
    t.index_put_((torch.tensor(m),), torch.tensor(5.0, dtype=torch.float64))
    _same(a, t)


def test_index_put_gradcheck():
    idx = (ag.tensor([0, 2, 0, 1]),)
    x, v = ag.tensor(R(3, 2), requires_grad=True), ag.tensor(R(4, 2), requires_grad=True)
    assert gradcheck(lambda a, b: ag.index_put(a, idx, b, accumulate=True), (x, v))
    assert gradcheck(lambda a, b: ag.index_put(a, (ag.tensor([2, 0]),), b), (x, ag.tensor(R(2, 2), requires_grad=True)))


def test_index_put_errors():
    x = ag.zeros(3)
    with pytest.raises(RuntimeError, match="Index put requires the source and destination dtypes match, got "
                                           "arraygrad.float32 for the destination and arraygrad.float64 for the source"):
        ag.index_put(x, (ag.tensor([0]),), ag.ones(1, dtype=ag.float64))
    with pytest.raises(IndexError, match=r"index_put\(\): tensors used as indices must be long, int or bool"):
        ag.index_put(x, (ag.tensor([0.0]),), ag.ones(1))
    with pytest.raises(TypeError, match=r"index_put\(\): indices must be a tuple of tensors"):
        ag.index_put(x, ag.tensor([0]), ag.ones(1))


@pytest.mark.parametrize("xs, ms, ns", [((3, 4), (3, 4), 12), ((3, 4), (4,), 13), ((2, 3), (2, 3), 20),
                                        ((4,), (4,), 4)], ids=str)
def test_masked_scatter_like_torch(xs, ms, ns):
    m = _rng.random(ms) > 0.4
    _both("masked_scatter", [R(*xs), m, R(ns)])
    _compare("masked_scatter", [R(*xs).astype(np.float32), m, R(ns).astype(np.float32)], method=True)


def test_masked_scatter_in_place_and_gradcheck():
    x, m, s = R(3, 4), _rng.random((3, 4)) > 0.5, R(3, 5)
    a, t = ag.tensor(x), torch.tensor(x)
    a.masked_scatter_(ag.tensor(m), ag.tensor(s))
    t.masked_scatter_(torch.tensor(m), torch.tensor(s))
    _same(a, t)
    mask = ag.tensor(m)
    assert gradcheck(lambda u, v: ag.masked_scatter(u, mask, v),
                     (ag.tensor(x, requires_grad=True), ag.tensor(s, requires_grad=True)))


def test_masked_scatter_errors():
    x = ag.zeros(2, 3)
    with pytest.raises(RuntimeError, match="masked_scatter: Number of elements of source < number of ones in mask"):
        x.masked_scatter(ag.ones(2, 3, dtype=ag.bool), ag.ones(5))
    with pytest.raises(RuntimeError, match="masked_scatter: expected self and source to have same dtypes but got "
                                           "arraygrad.float32 and arraygrad.float64"):
        x.masked_scatter(ag.ones(2, 3, dtype=ag.bool), ag.ones(6, dtype=ag.float64))
    with pytest.raises(TypeError, match="masked_scatter: expected mask to have dtype bool, got arraygrad.int64"):
        x.masked_scatter(ag.ones(2, 3, dtype=ag.int64), ag.ones(6))


# ----- renorm --------------------------------------------------------------------------
@pytest.mark.parametrize("p, dim, maxnorm", [(2, 0, 1.0), (1, 1, 0.5), (3.5, -1, 2.0), (2, 0, 100.0),
                                             (math.inf, 1, 0.3)], ids=str)
def test_renorm_like_torch(p, dim, maxnorm):
    _both("renorm", [R(3, 4)], p, dim, maxnorm)
    _compare("renorm", [R(2, 3, 4)], p, dim, maxnorm, method=True)


def test_renorm_in_place_and_gradcheck():
    x = R(3, 4)
    a, t = ag.tensor(x), torch.tensor(x)
    a.renorm_(2, 1, 0.7)
    t.renorm_(2, 1, 0.7)
    _same(a, t)
    assert gradcheck(lambda v: ag.renorm(v, 2, 0, 1.0), (ag.tensor(x, requires_grad=True),))


def test_renorm_errors():
    x = ag.ones(3, 4)
    with pytest.raises(RuntimeError, match="renorm: non-positive-norm not supported"):
        ag.renorm(x, 0, 0, 1.0)
    with pytest.raises(RuntimeError, match="renorm: expected maxnorm to be >= 0 but got -1"):
        ag.renorm(x, 2, 0, -1)
    with pytest.raises(RuntimeError, match="renorm: input needs at least 2 dimensions, got 1 dimensions"):
        ag.renorm(ag.ones(3), 2, 0, 1.0)
    with pytest.raises(IndexError, match="renorm: dim"):
        ag.renorm(x, 2, 2, 1.0)


# ----- scatter_reduce ------------------------------------------------------------------
REDUCTIONS = ["sum", "prod", "mean", "amax", "amin"]


@pytest.mark.parametrize("reduce", REDUCTIONS)
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("xs, dim, ishape", [((3, 4), 0, (5, 4)), ((3, 4), 1, (2, 6)), ((4, 3, 2), -2, (3, 2, 1)),
                                             ((5,), 0, (7,))], ids=str)
def test_scatter_reduce_like_torch(reduce, include_self, xs, dim, ishape):
    d = dim % len(xs)
    index = _rng.integers(0, xs[d], ishape)
    # ties (small integers as floats; zeros, for prod) share gradients as PyTorch's do
    _compare("scatter_reduce", [TIES(*xs), index, TIES(*ishape)], dim, reduce=reduce, include_self=include_self,
             dim_second=True)
    _compare("scatter_reduce", [R(*xs), index, R(*ishape)], dim, reduce, include_self=include_self, method=True,
             dim_second=True)
    ints = [_rng.integers(-5, 6, xs), index, _rng.integers(-5, 6, ishape)]
    _compare("scatter_reduce", ints, dim, reduce, include_self=include_self, grad=False, dim_second=True)


@pytest.mark.parametrize("reduce", REDUCTIONS)
def test_scatter_reduce_in_place_and_gradcheck(reduce):
    x, index, src = R(3, 4), _rng.integers(0, 3, (4, 4)), R(4, 4)
    a, t = ag.tensor(x), torch.tensor(x)
    a.scatter_reduce_(0, ag.tensor(index), ag.tensor(src), reduce)
    t.scatter_reduce_(0, torch.tensor(index), torch.tensor(src), reduce)
    _same(a, t)
    idx = ag.tensor(index)
    for inc in (True, False):
        assert gradcheck(lambda u, v: ag.scatter_reduce(u, 0, idx, v, reduce, include_self=inc),
                         (ag.tensor(x, requires_grad=True), ag.tensor(src, requires_grad=True)))


def test_scatter_reduce_prod_gradient_with_zeros_like_torch():
    x = np.array([[2.0, 0.0, 3.0], [1.0, 4.0, 0.0]])
    src = np.array([[0.0, 5.0, 0.0], [2.0, 0.0, 0.0]])
    index = np.array([[0, 1, 1], [0, 0, 1]])
    for inc in (True, False):
        _compare("scatter_reduce", [x, index, src], 1, "prod", include_self=inc, dim_second=True)


def test_scatter_reduce_errors():
    x, idx = ag.zeros(3), ag.tensor([0, 1])
    with pytest.raises(RuntimeError, match="reduce argument must be either sum, prod, mean, amax or amin, got 'max'"):
        ag.scatter_reduce(x, 0, idx, ag.ones(2), "max")
    with pytest.raises(RuntimeError, match="Expected self.dtype to be equal to src.dtype"):
        ag.scatter_reduce(x, 0, idx, ag.ones(2, dtype=ag.float64), "sum")
    with pytest.raises(TypeError, match="Expected dtype int64 for index"):
        ag.scatter_reduce(x, 0, ag.tensor([0.0]), ag.ones(2), "sum")


# ----- unique_consecutive ------------------------------------------------------------
@pytest.mark.parametrize("values", [[1, 1, 2, 2, 3, 1, 1, 2], [[2, 2, 1], [1, 3, 3]], [5], [], 7], ids=str)
@pytest.mark.parametrize("inverse, counts", [(False, False), (True, False), (False, True), (True, True)])
def test_unique_consecutive_like_torch(values, inverse, counts):
    x = np.array(values, dtype=np.int64)
    _both("unique_consecutive", [x], return_inverse=inverse, return_counts=counts, grad=False)
    _compare("unique_consecutive", [x.astype(np.float64)], return_inverse=inverse, return_counts=counts, grad=False)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_unique_consecutive_dim_like_torch(dim):
    x = np.array([[1, 1, 2, 2], [1, 1, 3, 3], [1, 1, 3, 3], [0, 0, 0, 0]])
    _both("unique_consecutive", [x], return_inverse=True, return_counts=True, dim=dim, grad=False)
    _compare("unique_consecutive", [x], dim=dim, grad=False, method=True)


def test_unique_consecutive_dim_error():
    with pytest.raises(IndexError, match="unique_consecutive: dim"):
        ag.unique_consecutive(ag.ones(2, 3), dim=2)


# ----- unfold, sum_to_size -------------------------------------------------------------
@pytest.mark.parametrize("shape, args", [((7,), (0, 2, 1)), ((7,), (0, 3, 2)), ((3, 8), (1, 3, 3)),
                                         ((5, 4), (0, 5, 1)), ((2, 6, 3), (-2, 2, 4)), ((), (0, 1, 1)),
                                         ((4,), (0, 0, 1))], ids=str)
def test_unfold_like_torch(shape, args):
    _compare("unfold", [R(*shape)], *args, method=True)


def test_unfold_gradcheck():
    assert gradcheck(lambda t: t.unfold(1, 3, 2), (ag.tensor(R(2, 7), requires_grad=True),))


def test_unfold_errors():
    x = ag.ones(3, 4)
    with pytest.raises(RuntimeError, match="maximum size for tensor at dimension 1 is 4 but size is 5"):
        x.unfold(1, 5, 1)
    with pytest.raises(RuntimeError, match="step is 0 but must be > 0"):
        x.unfold(1, 2, 0)


@pytest.mark.parametrize("shape, size", [((2, 3, 4), (3, 1)), ((2, 3, 4), (1, 1, 4)), ((3, 4), (3, 4)),
                                         ((3, 4), (1,)), ((3, 4), ())], ids=str)
def test_sum_to_size_like_torch(shape, size):
    if size:
        _compare("sum_to_size", [R(*shape)], *size, method=True)
    _compare("sum_to_size", [R(*shape)], size, method=True)


def test_sum_to_size_error():
    with pytest.raises(RuntimeError, match=r"size \{\[3, 3\]\} is not expandable to size \{\[3, 4\]\}"):
        ag.ones(3, 4).sum_to_size(3, 3)


# ----- in-place shape and fills ---------------------------------------------------------
@pytest.mark.parametrize("shape, wrap", [((3, 3), False), ((5, 3), False), ((5, 3), True), ((3, 5), True),
                                         ((3, 3, 3), False), ((7, 2), True)], ids=str)
def test_fill_diagonal_like_torch(shape, wrap):
    x = R(*shape)
    a, t = ag.tensor(x), torch.tensor(x)
    assert a.fill_diagonal_(2.5, wrap=wrap) is a
    t.fill_diagonal_(2.5, wrap=wrap)
    _same(a, t)
    b, u = ag.tensor(x.astype(np.int64)), torch.tensor(x.astype(np.int64))
    _same(b.fill_diagonal_(3, wrap), u.fill_diagonal_(3, wrap))


def test_fill_diagonal_gradient_and_errors():
    x = ag.tensor(R(3, 3), requires_grad=True)
    y = x * 1.0
    y.fill_diagonal_(0.0)
    y.sum().backward()
    np.testing.assert_array_equal(np.asarray(x.grad), 1 - np.eye(3))
    with pytest.raises(RuntimeError, match="all dimensions of input must be of equal length"):
        ag.zeros(2, 3, 4).fill_diagonal_(1)
    with pytest.raises(RuntimeError, match="fill_diagonal_: dimensions must larger than 1"):
        ag.zeros(3).fill_diagonal_(1)


@pytest.mark.parametrize("new", [(2, 2), (6,), (3, 3), (0,), (2, 1, 3)], ids=str)
def test_resize_keeps_the_prefix(new):
    x = np.arange(6.0).reshape(2, 3)
    a = ag.tensor(x)
    assert a.resize_(*new) is a
    assert tuple(a.shape) == new
    n = min(6, math.prod(new))
    flat = np.asarray(a).reshape(-1)
    np.testing.assert_array_equal(flat[:n], x.reshape(-1)[:n])
    t = torch.tensor(x).resize_(*new)
    np.testing.assert_array_equal(t.reshape(-1)[:n].numpy(), flat[:n])
    b = ag.tensor(x)
    b.resize_as_(ag.zeros(new))
    assert tuple(b.shape) == new


def test_resize_refuses_tensors_requiring_grad():
    with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
        ag.ones(3, requires_grad=True).resize_(2)
    with pytest.raises(RuntimeError, match="resize_: sizes must be non-negative"):
        ag.ones(3).resize_(-1)


def test_apply_and_map():
    a = ag.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert a.apply_(lambda v: v * 10 + 1) is a
    t = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).apply_(lambda v: v * 10 + 1)
    _same(a, t)
    b = ag.tensor([[1, 2], [3, 4]])
    b.map_(ag.tensor([10, 20]), lambda x, y: x * y)
    u = torch.tensor([[1, 2], [3, 4]])
    u.map_(torch.tensor([10, 20]), lambda x, y: x * y)
    _same(b, u)
    with pytest.raises(RuntimeError, match=r"apply_\(\): cannot be used on a tensor that requires grad"):
        ag.ones(2, requires_grad=True).apply_(lambda v: v)
    with pytest.raises(TypeError, match=r"apply_\(\): callable must be callable"):
        ag.ones(2).apply_(3)


def test_storage_methods():
    x = ag.tensor(R(3, 4))
    t = torch.tensor(np.asarray(x))
    assert x.pin_memory() is x and x.is_pinned() is False
    assert x.share_memory_() is x and x.is_shared() is False
    for key in [(slice(1, None), slice(2, None)), (1,), (slice(None), 3), (Ellipsis,)]:
        assert x[key].storage_offset() == t[key].storage_offset()
    assert x.storage_offset() == 0


def test_square_in_place_function():
    a = ag.tensor([1.0, -2.0, 3.0])
    assert ag.square_(a) is a
    _same(a, torch.square_(torch.tensor([1.0, -2.0, 3.0])))


# ----- random samplers -------------------------------------------------------------------
SAMPLERS = [("exponential_", (2.0,)), ("cauchy_", (1.0, 0.5)), ("log_normal_", (0.5, 0.25)),
            ("geometric_", (0.3,)), ("random_", ()), ("random_", (10,)), ("random_", (-3, 4)),
            ("bernoulli_", (0.3,)), ("uniform_", (-1.0, 2.0)), ("normal_", (1.0, 2.0))]


@pytest.mark.parametrize("name, args", SAMPLERS, ids=str)
def test_samplers_repeat_under_manual_seed(name, args):
    def draw():
        ag.manual_seed(123)
        x = ag.empty(50, dtype=ag.float64)
        assert getattr(x, name)(*args) is x
        return np.asarray(x)
    first, second = draw(), draw()
    np.testing.assert_array_equal(first, second)
    gen = ag.Generator().manual_seed(7)
    x = getattr(ag.empty(50, dtype=ag.float64), name)(*args, generator=gen)
    y = getattr(ag.empty(50, dtype=ag.float64), name)(*args, generator=ag.Generator().manual_seed(7))
    np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    assert len(set(first.tolist())) > 1


N = 200_000


def _sample(name, *args, dtype=ag.float64, **kwargs):
    ag.manual_seed(0)
    return np.asarray(getattr(ag.empty(N, dtype=dtype), name)(*args, **kwargs)).astype(np.float64)


def test_exponential_distribution():
    s = _sample("exponential_", 2.0)
    assert s.min() >= 0
    assert abs(s.mean() - 0.5) < 0.01 and abs(s.var() - 0.25) < 0.01


def test_cauchy_distribution():
    s = _sample("cauchy_", 1.0, 0.5)
    assert abs(np.median(s) - 1.0) < 0.01
    assert abs(np.percentile(s, 75) - 1.5) < 0.02 and abs(np.percentile(s, 25) - 0.5) < 0.02


def test_log_normal_distribution():
    s = _sample("log_normal_", 0.5, 0.25)
    assert s.min() > 0
    assert abs(np.log(s).mean() - 0.5) < 0.01 and abs(np.log(s).std() - 0.25) < 0.01
    assert abs(s.mean() - math.exp(0.5 + 0.25 ** 2 / 2)) < 0.01


@pytest.mark.parametrize("dtype", [ag.float64, ag.int64])
def test_geometric_distribution(dtype):
    s = _sample("geometric_", 0.3, dtype=dtype)
    assert s.min() >= 1 and (s == np.round(s)).all()
    assert abs(s.mean() - 1 / 0.3) < 0.05 and abs(s.var() - 0.7 / 0.09) < 0.3
    assert abs((s == 1).mean() - 0.3) < 0.01


@pytest.mark.parametrize("dtype, args, low, high", [(ag.float32, (), 0, 2 ** 24), (ag.float64, (10,), 0, 9),
                                                    (ag.int64, (-3, 4), -3, 3), (ag.int8, (), 0, 127),
                                                    (ag.int32, (5, None), 5, 2 ** 31 - 1),
                                                    (ag.bool, (), 0, 1), (ag.float16, (), 0, 2048)], ids=str)
def test_random_ranges(dtype, args, low, high):
    ag.manual_seed(0)
    x = ag.empty(20000, dtype=dtype).random_(*args)
    assert x.dtype == dtype
    s = np.asarray(x).astype(np.float64)
    assert s.min() >= low and s.max() <= high and (s == np.round(s)).all()
    if high - low < 100:
        assert s.min() == low and s.max() == high
        assert abs(s.mean() - (low + high) / 2) < 0.1 * (high - low + 1)


def test_random_keywords():
    ag.manual_seed(0)
    s = np.asarray(ag.empty(2000, dtype=ag.int64).random_(**{"from": 2, "to": 5}))
    assert set(s.tolist()) == {2, 3, 4}
    s = np.asarray(ag.empty(2000, dtype=ag.int64).random_(to=3))
    assert set(s.tolist()) == {0, 1, 2}


def test_sampler_errors():
    x = ag.empty(3)
    with pytest.raises(RuntimeError, match="exponential_ expects lambda > 0.0, but found lambda=0"):
        x.exponential_(0)
    with pytest.raises(RuntimeError, match=r"geometric_ expects p to be in \(0, 1\), but got p=0"):
        x.geometric_(0)
    with pytest.raises(RuntimeError, match="log_normal_ expects std > 0.0, but found std=0"):
        x.log_normal_(1, 0)
    with pytest.raises(RuntimeError, match="cauchy_ expects sigma > 0.0, but found sigma=-1"):
        x.cauchy_(0, -1)
    with pytest.raises(RuntimeError, match="random_ expects 'from' to be less than 'to', but got from=5 >= to=3"):
        x.random_(5, 3)
    with pytest.raises(TypeError, match="exponential_: expected a floating-point tensor, got arraygrad.int64"):
        ag.zeros(3, dtype=ag.int64).exponential_()


def test_samplers_in_autograd():
    # in place on a leaf that requires grad is refused (PyTorch's rule); on a non-leaf it
    # cuts the history, as fill does
    leaf = ag.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        leaf.exponential_()
    for name, args in SAMPLERS[:7]:
        leaf.grad = None
        y = leaf * 2
        getattr(y, name)(*args)
        assert y.requires_grad and not (np.asarray(y.detach()) == 2).all()
        y.sum().backward()
        np.testing.assert_array_equal(np.asarray(leaf.grad), 0.0)


def test_bernoulli_and_multinomial_methods():
    p = ag.full((N,), 0.3, dtype=ag.float64)
    ag.manual_seed(1)
    s = p.bernoulli()
    ag.manual_seed(1)
    np.testing.assert_array_equal(np.asarray(s), np.asarray(p.bernoulli()))
    assert s.dtype == ag.float64 and abs(float(s.mean()) - 0.3) < 0.01
    assert abs(float(ag.zeros(N).bernoulli(0.8).mean()) - 0.8) < 0.01
    w = ag.tensor([1.0, 3.0, 0.0, 6.0])
    ag.manual_seed(2)
    draws = np.asarray(w.multinomial(20000, replacement=True))
    assert draws.dtype == np.int64 and (draws != 2).all()
    np.testing.assert_allclose(np.bincount(draws, minlength=4) / 20000, [0.1, 0.3, 0.0, 0.6], atol=0.015)
    picks = np.asarray(w.multinomial(3))
    assert sorted(picks.tolist()) == [0, 1, 3]


# ----- nn.init ---------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 2, 3), (6, 6)], ids=str)
def test_orthogonal(shape):
    ag.manual_seed(0)
    w = init.orthogonal_(ag.empty(*shape, dtype=ag.float64), gain=1.5)
    m = np.asarray(w).reshape(shape[0], -1)
    if m.shape[0] >= m.shape[1]:
        np.testing.assert_allclose(m.T @ m, 2.25 * np.eye(m.shape[1]), atol=1e-10)
    else:
        np.testing.assert_allclose(m @ m.T, 2.25 * np.eye(m.shape[0]), atol=1e-10)
    ag.manual_seed(0)
    np.testing.assert_array_equal(np.asarray(init.orthogonal_(ag.empty(*shape, dtype=ag.float64), 1.5)), np.asarray(w))
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions are supported"):
        init.orthogonal_(ag.empty(3))


def test_trunc_normal():
    ag.manual_seed(0)
    w = init.trunc_normal_(ag.empty(N, dtype=ag.float64), mean=1.0, std=2.0, a=-1.0, b=2.0)
    s = np.asarray(w)
    assert s.min() >= -1.0 and s.max() <= 2.0
    t = torch.empty(N, dtype=torch.float64)
    torch.manual_seed(0)
    torch.nn.init.trunc_normal_(t, 1.0, 2.0, -1.0, 2.0)
    assert abs(s.mean() - t.mean().item()) < 0.01 and abs(s.std() - t.std().item()) < 0.01
    s = np.asarray(init.trunc_normal_(ag.empty(N)))  # standard, on [-2, 2], float32
    assert s.dtype == np.float32 and abs(s.mean()) < 0.01 and abs(s.std() - 0.8796) < 0.01
    ag.manual_seed(3)
    first = np.asarray(init.trunc_normal_(ag.empty(10)))
    ag.manual_seed(3)
    np.testing.assert_array_equal(first, np.asarray(init.trunc_normal_(ag.empty(10))))
    with pytest.raises(ValueError, match="trunc_normal_: expected a < b, got a=2, b=1"):
        init.trunc_normal_(ag.empty(3), a=2, b=1)
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        init.trunc_normal_(ag.empty(3), mean=10.0)


def test_sparse():
    ag.manual_seed(0)
    w = init.sparse_(ag.empty(10, 40, dtype=ag.float64), sparsity=0.25, std=0.1)
    s = np.asarray(w)
    assert ((s == 0).sum(axis=0) == 3).all()
    assert abs(s[s != 0].std() - 0.1) < 0.02
    ag.manual_seed(0)
    np.testing.assert_array_equal(np.asarray(init.sparse_(ag.empty(10, 40, dtype=ag.float64), 0.25, 0.1)), s)
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.sparse_(ag.empty(3), 0.5)


@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (5, 2)], ids=str)
def test_eye(shape):
    w = init.eye_(ag.empty(*shape))
    np.testing.assert_array_equal(np.asarray(w), torch.nn.init.eye_(torch.empty(*shape)).numpy())
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.eye_(ag.empty(2, 2, 2))


@pytest.mark.parametrize("shape, groups", [((4, 2, 3), 1), ((4, 2, 3), 2), ((6, 3, 3, 3), 3), ((2, 4, 3, 5, 5), 1),
                                           ((3, 1, 4, 4), 1)], ids=str)
def test_dirac(shape, groups):
    w = init.dirac_(ag.empty(*shape), groups)
    np.testing.assert_array_equal(np.asarray(w), torch.nn.init.dirac_(torch.empty(*shape), groups).numpy())


def test_dirac_errors():
    with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions are supported"):
        init.dirac_(ag.empty(3, 3))
    with pytest.raises(ValueError, match=r"dim 0 \(3\) must be divisible by groups \(2\)"):
        init.dirac_(ag.empty(3, 2, 3), 2)


@pytest.mark.parametrize("nonlinearity, param", [("linear", None), ("conv1d", None), ("conv2d", None),
                                                 ("conv3d", None), ("conv_transpose1d", None),
                                                 ("conv_transpose2d", None), ("conv_transpose3d", None),
                                                 ("sigmoid", None), ("tanh", None), ("relu", None),
                                                 ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 1),
                                                 ("selu", None)])
def test_calculate_gain_like_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(torch.nn.init.calculate_gain(nonlinearity, param))


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'gelu'"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="negative_slope"):
        init.calculate_gain("leaky_relu", "x")


def test_init_functions_do_not_record_history():
    w = ag.empty(4, 4, requires_grad=True)
    for fn in (init.orthogonal_, init.trunc_normal_, init.eye_, lambda t: init.sparse_(t, 0.5)):
        assert fn(w) is w
        assert w.grad_fn is None and w.requires_grad
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        init.dirac_(ag.empty(2, 2, 3, requires_grad=True))


# ----- top-level in-place functions ------------------------------------------------------
@pytest.mark.parametrize("name, args", [("square_", ()), ("exp_", ()), ("abs_", ()), ("sigmoid_", ()),
                                        ("clamp_", (-0.5, 0.5)), ("zero_", ()), ("fill_", (2.0,)),
                                        ("nan_to_num_", ()), ("relu_", ()), ("frac_", ())], ids=str)
def test_inplace_functions_like_torch(name, args):
    x = R(3, 4)
    a, t = ag.tensor(x), torch.tensor(x)
    assert getattr(ag, name)(a, *args) is a
    getattr(torch, name)(t, *args)
    _same(a, t)


def test_inplace_functions_check_their_input():
    with pytest.raises(TypeError, match="exp_"):
        ag.exp_([1.0, 2.0])


def test_index_put_in_place_gradient_like_torch():
    x, v = R(3, 4), R(2)
    leaf, tleaf = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    vo, vt = ag.tensor(v, requires_grad=True), torch.tensor(v, requires_grad=True)
    y, u = leaf * 2, tleaf * 2
    y.index_put_((ag.tensor([0, 0]), ag.tensor([1, 1])), vo, accumulate=True)
    u.index_put_((torch.tensor([0, 0]), torch.tensor([1, 1])), vt, accumulate=True)
    _same(y, u)
    w = R(3, 4)
    (y * ag.tensor(w)).sum().backward()
    (u * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(np.asarray(leaf.grad), tleaf.grad.numpy())
    np.testing.assert_allclose(np.asarray(vo.grad), vt.grad.numpy())


def test_real_angle_gradcheck():
    assert gradcheck(ag.angle, (ag.tensor(R(5) + 3.0, requires_grad=True),))
