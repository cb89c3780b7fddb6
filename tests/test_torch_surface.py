"""The PyTorch tensor surface against PyTorch itself: creation, dtypes, shapes and views,
methods (values, dtypes, gradients), in-place semantics, the NumPy bridge, devices, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import arraygrad as ag
from arraygrad import BackendUnavailableError

CUDA = ag.cuda.is_available()


def both(values, dtype=np.float32, requires_grad=False):
    arr = np.asarray(values, dtype=dtype)
    a, t = ag.asarray(arr.copy()), torch.from_numpy(arr.copy())
    if requires_grad:
        a.requires_grad_()
        t.requires_grad_()
    return a, t


def check(a, t, rtol=1e-5, atol=1e-6):
    """Same values, shape and dtype (torch's dtype name, read as arraygrad's)."""
    if isinstance(t, tuple):
        assert len(a) == len(t)
        for x, y in zip(a, t):
            check(x, y, rtol, atol)
        return
    assert isinstance(a, ag.Tensor), type(a)
    assert tuple(a.shape) == tuple(t.shape)
    assert a.dtype.name == str(t.dtype).removeprefix("torch."), (a.dtype, t.dtype)
    np.testing.assert_allclose(np.asarray(a.detach().tolist()), t.detach().numpy(), rtol=rtol, atol=atol)


M = [[1.5, -2.0, 3.25], [0.5, 4.0, -1.0]]


# ----- creation and dtypes ----------------------------------------------------------------
@pytest.mark.parametrize("data", [[1.5, 2], [1, 2], [True, False], 3, 2.5, [[1, 2], [3, 4]], [1 + 2j]])
def test_tensor_infers_dtype_like_torch(data):
    check(ag.tensor(data), torch.tensor(data))


def test_tensor_copies():
    arr = np.ones(3)
    t = ag.tensor(arr)
    arr[0] = 5
    assert t.tolist() == [1.0, 1.0, 1.0] and t.dtype == ag.float64
    src = ag.ones(2, requires_grad=True)
    c = ag.tensor(src)
    assert not c.requires_grad and c.data_ptr() != src.data_ptr()
    assert ag.tensor([1.0], requires_grad=True).requires_grad


def test_legacy_constructors():
    assert ag.Tensor(2, 3).shape == (2, 3) and ag.Tensor(2, 3).dtype == ag.float32
    t = ag.Tensor([1, 2])
    assert t.dtype == ag.float32 and t.tolist() == [1.0, 2.0]
    assert ag.FloatTensor([0.1, 1.0]).dtype == ag.float32
    assert ag.LongTensor(2, 2).dtype == ag.int64 and ag.DoubleTensor([1]).dtype == ag.float64
    assert ag.BoolTensor([True]).dtype == ag.bool and ag.ByteTensor(1).dtype == ag.uint8
    assert isinstance(ag.ones(2), ag.FloatTensor) and not isinstance(ag.ones(2), ag.LongTensor)
    assert not isinstance(ag.ones(2), ag.cuda.FloatTensor)


@pytest.mark.parametrize("name", ["empty", "zeros", "ones", "rand", "randn"])
def test_sizes_as_varargs_or_tuple(name):
    f = getattr(ag, name)
    assert f(2, 3).shape == f((2, 3)).shape == f([2, 3]).shape == (2, 3)
    assert f(ag.Size([4])).shape == (4,) and f(2, 3).dtype == ag.float32
    assert f(2, dtype=ag.double).dtype == ag.float64


def test_full_arange_linspace_eye_like_torch():
    check(ag.full((2, 3), 7), torch.full((2, 3), 7))
    check(ag.full((2,), 1.5), torch.full((2,), 1.5))
    check(ag.arange(5), torch.arange(5))
    check(ag.arange(0, 1, 0.25), torch.arange(0, 1, 0.25))
    check(ag.linspace(0, 1, 5), torch.linspace(0, 1, 5))
    check(ag.linspace(-1, 1, steps=4), torch.linspace(-1, 1, steps=4))
    check(ag.eye(3), torch.eye(3))
    check(ag.eye(2, 3), torch.eye(2, 3))


@pytest.mark.parametrize("args, kwargs", [((-3, 0, 10), {}), ((0, 2, 3), {"dtype": "int64"}),
                                          ((1, 3, 5), {"base": 2.0}), ((0, 1, 4), {"dtype": "float64"}),
                                          ((2, 2, 1), {}), ((0, 1, 0), {})])
def test_logspace_like_torch(args, kwargs):
    def make(m):
        kw = {k: getattr(m, v) if k == "dtype" else v for k, v in kwargs.items()}
        return m.logspace(*args, **kw)

    a, t = make(ag), make(torch)
    assert a.dtype.name == str(t.dtype).removeprefix("torch.") and tuple(a.shape) == tuple(t.shape)
    np.testing.assert_allclose(a.numpy(), t.numpy(), rtol=1e-6)


def test_like_and_new_methods():
    x = ag.tensor([1.0, 2.0], dtype=ag.float64)
    assert ag.zeros_like(x).dtype == ag.float64 and ag.ones_like(x, dtype=ag.long).dtype == ag.int64
    assert ag.rand_like(x).dtype == ag.float64 and ag.randn_like(x, dtype=ag.float).dtype == ag.float32
    assert ag.randint_like(x, 5).dtype == ag.float64
    assert x.new_ones(2, 3).dtype == ag.float64 and x.new_ones((2, 3)).shape == (2, 3)
    assert x.new_zeros(2, dtype=ag.int32).dtype == ag.int32
    assert x.new_full((2,), 3.0).tolist() == [3.0, 3.0] and x.new_empty(4).shape == (4,)
    nt = x.new_tensor([1, 2])
    assert nt.dtype == ag.float64 and nt.device == x.device
    assert x.new_ones(1, requires_grad=True).requires_grad


def test_dtype_aliases():
    assert ag.float is ag.float32 and ag.double is ag.float64 and ag.long is ag.int64
    assert ag.int is ag.int32 and ag.short is ag.int16 and ag.cfloat is ag.complex64
    assert ag.cdouble is ag.complex128 and ag.bool is ag.bool and isinstance(ag.float, ag.dtype)
    assert "float16" not in ag.__array_namespace_info__().dtypes()


@pytest.mark.parametrize("method, dtype", [("float", "float32"), ("double", "float64"),
                                           ("long", "int64"), ("int", "int32"), ("short", "int16"),
                                           ("char", "int8"), ("byte", "uint8"), ("bool", "bool"),
                                           ("cfloat", "complex64"), ("cdouble", "complex128")])
def test_cast_methods_like_torch(method, dtype):
    a, t = both([1.7, -2.0, 0.0])
    check(getattr(a, method)(), getattr(t, method)())
    same = getattr(a, method)()
    assert getattr(same, method)() is same  # no change: the same tensor, as in PyTorch


def test_half_precision_like_torch():
    """float16 ("half") is an extension dtype: it works as in PyTorch, and stays out of the
    standard's __array_namespace_info__().dtypes()."""
    x, t = ag.asarray([1.5, -2.25, 3.0]), torch.tensor([1.5, -2.25, 3.0])
    for ours, theirs in ((x.half(), t.half()), (x.to(ag.half), t.to(torch.half)),
                         (x.type(ag.float16), t.type(torch.float16)),
                         (ag.zeros(2, dtype=ag.half), torch.zeros(2, dtype=torch.half))):
        assert ours.dtype == ag.float16 and theirs.dtype == torch.float16
        assert ours.tolist() == theirs.tolist()
    h, th = x.half(), t.half()
    assert h.type() == th.type() == "torch.HalfTensor" and ag.HalfTensor([1, 2]).dtype == ag.half
    # promotion: half with float32 -> float32, with integers -> half, with complex -> complex64
    assert (h + x).dtype == ag.float32 and (th + t).dtype == torch.float32
    assert (h * ag.arange(3)).dtype == ag.float16 and (th * torch.arange(3)).dtype == torch.float16
    assert (h + 1.5).dtype == ag.float16 and (h + 1j).dtype == ag.complex64
    assert ag.finfo(ag.half).eps == torch.finfo(torch.half).eps
    assert ag.finfo(ag.half).max == torch.finfo(torch.half).max
    assert "float16" not in ag.__array_namespace_info__().dtypes()
    g = h.clone().requires_grad_()
    (g * g).sum().backward()
    assert g.grad.dtype == ag.float16 and g.grad.tolist() == [3.0, -4.5, 6.0]
    assert ag.from_numpy(np.zeros(2, np.float16)).dtype == ag.float16


def test_bfloat16_is_unsupported_with_a_reason():
    x = ag.ones(2)
    for call in (x.bfloat16, lambda: x.to(ag.bfloat16), lambda: ag.zeros(2, dtype=ag.bfloat16)):
        with pytest.raises(TypeError, match="bfloat16"):
            call()


def test_type_strings_and_types():
    x = ag.ones(2)
    assert x.type() == torch.ones(2).type() == "torch.FloatTensor"
    assert x.long().type() == "torch.LongTensor" and x.double().type() == "torch.DoubleTensor"
    assert x.type(ag.DoubleTensor).dtype == ag.float64
    assert x.type("torch.LongTensor").dtype == ag.int64 and x.type("arraygrad.IntTensor").dtype == ag.int32
    assert x.type(ag.float64).dtype == ag.float64 and x.type(ag.FloatTensor) is x
    with pytest.raises(ValueError, match="invalid type"):
        x.type("torch.NoSuchTensor")


def test_to_like_torch():
    x = ag.ones(2)
    assert x.to(ag.float64).dtype == ag.float64 and x.to("cpu") is x and x.to(x) is x
    assert x.to("cpu", ag.double).dtype == ag.float64 and x.to(dtype=ag.int64).dtype == ag.int64
    assert x.to(ag.ones(1, dtype=ag.int32)).dtype == ag.int32
    c = x.to("cpu", copy=True)
    assert c is not x and c.data_ptr() != x.data_ptr()
    assert x.cpu() is x and not x.is_cuda and x.is_cpu and x.get_device() == -1
    assert ag.device("cuda").type == "cuda"  # naming a device checks nothing


@pytest.mark.skipif(CUDA, reason="checks the error raised without a GPU")
def test_cuda_without_a_gpu_says_why():
    x = ag.ones(2)
    for call in (x.cuda, lambda: x.cuda(0), lambda: x.to("cuda"), lambda: ag.ones(2, device="cuda"),
                 lambda: x.type(ag.cuda.FloatTensor)):
        with pytest.raises(BackendUnavailableError, match="cuda"):
            call()
    assert not ag.cuda.is_available() and ag.cuda.device_count() == 0
    ag.cuda.manual_seed(1)  # nothing to seed: no error, as in PyTorch
    ag.cuda.manual_seed_all(1)


def test_bad_devices_and_dtypes():
    with pytest.raises(ValueError, match="tpu"):
        ag.ones(2).to("tpu")
    with pytest.raises(ValueError):
        ag.device("cuda:x")
    with pytest.raises(TypeError, match="dtype"):
        ag.ones(2, dtype="floaty")


# ----- size, shape, dims -----------------------------------------------------------------
def test_size_is_both_count_and_method():
    x = ag.zeros(5, 3)
    assert x.size == 15 and x.size() == (5, 3) and x.size(0) == 5 and x.size(-1) == 3
    assert isinstance(x.size(), ag.Size) and isinstance(x.shape, ag.Size) and x.shape == x.size()
    assert x.dim() == x.ndimension() == x.ndim == 2 and len(x) == 5
    assert x.numel() == x.nelement() == 15 and x.element_size() == 4 and x.nbytes == 60
    assert x.shape.numel() == 15 and repr(x.shape) == "arraygrad.Size([5, 3])"
    with pytest.raises(IndexError):
        x.size(2)


# ----- views: shapes, memory and gradients vs torch -------------------------------------------
VIEWS = [
    ("view", lambda x: x.view(3, 2)), ("view -1", lambda x: x.view(-1)),
    ("view_as", lambda x: x.view_as(x.reshape(6))),
    ("reshape", lambda x: x.reshape(3, 2)), ("reshape tuple", lambda x: x.reshape((6, 1))),
    ("transpose", lambda x: x.transpose(0, 1)), ("t", lambda x: x.t()), ("T", lambda x: x.T),
    ("permute", lambda x: x.permute(1, 0)), ("permute tuple", lambda x: x.permute((1, 0))),
    ("unsqueeze", lambda x: x.unsqueeze(1)), ("squeeze", lambda x: x.unsqueeze(0).squeeze()),
    ("squeeze dim", lambda x: x.unsqueeze(0).squeeze(0)), ("squeeze no-op", lambda x: x.squeeze(1)),
    ("flatten", lambda x: x.flatten()), ("unflatten", lambda x: x.flatten().unflatten(0, (3, 2))),
    ("expand", lambda x: x[:, :1].expand(2, 4)), ("expand -1", lambda x: x[:1].expand(3, -1)),
    ("expand_as", lambda x: x[:1].expand_as(x)), ("narrow", lambda x: x.narrow(1, 1, 2)),
    ("getitem", lambda x: x[:, 1]), ("swapaxes", lambda x: x.swapaxes(0, 1)),
    ("movedim", lambda x: x.movedim(0, 1)),
]


@pytest.mark.parametrize("name", [n for n, _ in VIEWS])
def test_views_match_torch_values_and_grads(name):
    fn = dict(VIEWS)[name]
    a, t = both(M, requires_grad=True)
    ya, yt = fn(a), fn(t)
    check(ya, yt)
    w = np.arange(1, ya.numel() + 1, dtype=np.float32).reshape(tuple(ya.shape))
    (ya * ag.asarray(w)).sum().backward()
    (yt * torch.from_numpy(w)).sum().backward()
    check(a.grad, t.grad)


@pytest.mark.parametrize("name", [n for n, _ in VIEWS if n not in ("expand", "expand -1", "expand_as")])
def test_views_share_memory_both_ways(name):
    fn = dict(VIEWS)[name]
    x = ag.tensor(M)
    v = fn(x)
    assert v.data_ptr() >= x.data_ptr()
    v.add_(100)  # written through the view ...
    assert float(x.max()) > 100
    x.zero_()  # ... and through the base
    assert float(v.abs().max()) == 0


@pytest.mark.parametrize("name", ["chunk", "split", "split sizes", "unbind"])
def test_splits_are_views(name):
    fns = {"chunk": lambda x: x.chunk(2, 1), "split": lambda x: x.split(2, 1),
           "split sizes": lambda x: x.split([1, 2], 1), "unbind": lambda x: x.unbind(1)}
    a, t = both(M, requires_grad=True)
    pa, pt = fns[name](a), fns[name](t)
    check(pa, pt)
    sum(p.sum() * (i + 1) for i, p in enumerate(pa)).backward()
    sum(p.sum() * (i + 1) for i, p in enumerate(pt)).backward()
    check(a.grad, t.grad)
    x = ag.tensor(M)
    fns[name](x)[0].fill_(9)
    assert float(x[0, 0]) == 9


def test_in_place_through_a_view_reaches_the_base_gradient():
    a, t = both(M, requires_grad=True)
    ya, yt = a * 2, t * 2
    ya.view(-1)[1:3].mul_(10)
    yt.view(-1)[1:3].mul_(10)
    check(ya, yt)
    ya.sum().backward()
    yt.sum().backward()
    check(a.grad, t.grad)


def test_view_errors_like_torch():
    x = ag.zeros(4, 3)
    with pytest.raises(RuntimeError, match=r"shape '\[5, 3\]' is invalid for input of size 12"):
        x.view(5, 3)
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        x.view(-1, -1)
    with pytest.raises(RuntimeError, match=r"view size is not compatible.*Use \.reshape\(\.\.\.\) instead"):
        x.t().view(12)
    assert x.t().reshape(12).shape == (12,)
    with pytest.raises(RuntimeError, match="expanded size"):
        x.expand(4, 5)
    with pytest.raises(RuntimeError, match="can not be smaller"):
        x.repeat(2)
    with pytest.raises(RuntimeError, match="t\\(\\) expects"):
        ag.zeros(2, 2, 2).t()


@pytest.mark.parametrize("src, dst, shape", [
    ("complex128", "float64", (2, 3)), ("float32", "int32", (4,)), ("float32", "float64", (2, 4)),
    ("float64", "float32", (3, 2)), ("int64", "uint8", (2,)), ("float32", "int16", (2, 3))])
def test_view_dtype_like_torch(src, dst, shape):
    """view(dtype) reads the same memory as another dtype (SciPy's RBFInterpolator views its
    complex data as float): PyTorch's values and shapes, memory shared, outside the graph."""
    a = np.arange(1, 1 + math.prod(shape)).reshape(shape).astype(src)
    t = ag.tensor(a)
    v = t.view(getattr(ag, dst))
    expected = torch.tensor(a).view(getattr(torch, dst))
    assert v.dtype == getattr(ag, dst) and tuple(v.shape) == tuple(expected.shape)
    np.testing.assert_array_equal(v.numpy(), expected.numpy())
    v.zero_()
    assert not t.numpy().any()  # the same memory
    assert ag.ones(2, dtype=ag.complex128).view(float).dtype == ag.float64  # Python types too
    assert not ag.ones(4, requires_grad=True).view(ag.int32).requires_grad


def test_view_dtype_errors_like_torch():
    with pytest.raises(RuntimeError, match="size.-1. must be divisible by 2"):
        ag.ones(3).view(ag.float64)
    with pytest.raises(RuntimeError, match="stride.-1. must be 1"):
        ag.ones(4, 2).t().view(ag.float64)
    with pytest.raises(RuntimeError, match="cannot be 0"):
        ag.tensor(1.0).view(ag.float64)


def test_contiguous():
    x = ag.arange(6).reshape(2, 3)
    assert x.is_contiguous() and x.contiguous() is x
    y = x.t()
    assert not y.is_contiguous() and y.stride() == (1, 3) == torch.arange(6).reshape(2, 3).t().stride()
    c = y.contiguous()
    assert c.is_contiguous() and c.equal(y) and c.data_ptr() != x.data_ptr()
    assert c.view(6).tolist() == [0, 3, 1, 4, 2, 5]


def test_in_place_view_changes():
    x = ag.zeros(5, 3)
    ptr = x.data_ptr()
    assert x.t_() is x and x.shape == (3, 5) and x.data_ptr() == ptr
    assert x.unsqueeze_(0).shape == (1, 3, 5) and x.squeeze_().shape == (3, 5)
    assert x.transpose_(0, 1).shape == (5, 3)
    with pytest.raises(RuntimeError, match="t_"):
        (ag.ones(2, 2, requires_grad=True) * 1).t_()


def test_repeat_flip_roll_like_torch():
    a, t = both(M, requires_grad=True)
    for fa, ft in [(a.repeat(2, 1), t.repeat(2, 1)), (a.repeat(1, 2, 2), t.repeat(1, 2, 2)),
                   (a.flip(0), t.flip(0)), (a.flip(0, 1), t.flip(0, 1)), (a.roll(1), t.roll(1)),
                   (a.roll(1, 1), t.roll(1, 1)), (a.repeat_interleave(2, dim=0), t.repeat_interleave(2, dim=0))]:
        check(fa, ft)
    flipped = a.detach().flip(0)
    flipped.zero_()  # PyTorch's flip copies
    assert float(a.abs().sum()) > 0


def test_cat_stack_and_top_level_views():
    a, t = both(M)
    check(ag.cat([a, a], dim=1), torch.cat([t, t], dim=1))
    check(ag.cat((a, a)), torch.cat((t, t)))
    check(ag.concat([a, a], 1), torch.concat([t, t], 1))
    check(ag.stack([a, a], dim=2), torch.stack([t, t], dim=2))
    check(ag.transpose(a, 0, 1), torch.transpose(t, 0, 1))
    check(ag.permute(a, (1, 0)), torch.permute(t, (1, 0)))
    check(ag.squeeze(a.unsqueeze(0)), torch.squeeze(t.unsqueeze(0)))
    check(ag.flatten(a), torch.flatten(t))
    check(ag.flip(a, [0]), torch.flip(t, [0]))
    check(ag.roll(a, 1, 0), torch.roll(t, 1, 0))
    check(ag.chunk(a, 3, 1), torch.chunk(t, 3, 1))
    check(ag.unsqueeze(a, -1), torch.unsqueeze(t, -1))
    assert ag.squeeze(a.unsqueeze(0), 0).shape == (2, 3)  # the standard's call still works


# ----- elementwise methods, their in-place twins -----------------------------------------------
UNARY = ["abs", "neg", "exp", "expm1", "log1p", "sqrt", "rsqrt", "sin", "cos", "tan", "tanh",
         "sigmoid", "relu", "floor", "ceil", "round", "trunc", "frac", "sign", "reciprocal",
         "square", "atan", "sinh", "cosh", "asinh"]


@pytest.mark.parametrize("name", UNARY)
def test_unary_methods_match_torch(name):
    data = [[0.3, -1.7, 2.5], [4.0, -0.2, 0.9]]
    if name in ("sqrt", "rsqrt", "log1p"):
        data = np.abs(data) + 0.1
    a, t = both(data, requires_grad=True)
    ya, yt = getattr(a, name)(), getattr(t, name)()
    check(ya, yt)
    if name not in ("floor", "ceil", "round", "trunc", "sign"):
        ya.sum().backward()
        yt.sum().backward()
        check(a.grad, t.grad)
    x = ag.tensor(np.asarray(data, np.float32))
    ptr = x.data_ptr()
    r = getattr(x, name + "_")()
    assert r is x and x.data_ptr() == ptr
    check(x, getattr(torch.tensor(np.asarray(data, np.float32)), name)())


BINARY = ["add", "sub", "mul", "div", "pow", "remainder", "fmod", "atan2", "maximum", "minimum",
          "floor_divide", "hypot"]


@pytest.mark.parametrize("name", BINARY)
def test_binary_methods_match_torch(name):
    a, t = both([[0.3, -1.7, 2.5], [4.0, -0.2, 0.9]], requires_grad=True)
    b, u = both([1.5, -0.5, 2.0], requires_grad=True)
    if name == "pow":
        a, t = both([[0.3, 1.7, 2.5], [4.0, 0.2, 0.9]], requires_grad=True)
    ya, yt = getattr(a, name)(b), getattr(t, name)(u)
    check(ya, yt)
    if name not in ("atan2", "hypot", "maximum", "minimum"):  # torch takes only tensors there
        check(getattr(a, name)(2.0), getattr(t, name)(2.0))
    if name not in ("floor_divide", "remainder", "fmod"):
        ya.sum().backward()
        yt.sum().backward()
        check(a.grad, t.grad)
        check(b.grad, u.grad)
    if name in ("maximum", "minimum"):
        return  # no in-place form in PyTorch either
    x, y = ag.tensor([[0.3, 1.7, 2.5]]), torch.tensor([[0.3, 1.7, 2.5]])
    assert getattr(x, name + "_")(b.detach()) is x
    check(x, getattr(y, name + "_")(u.detach()))


def test_integer_arithmetic_like_torch():
    a, t = both([7, -7, 5], np.int64)
    b, u = both([2, 2, -3], np.int64)
    for rm in (None, "trunc", "floor"):
        check(a.div(b, rounding_mode=rm), t.div(u, rounding_mode=rm))
        check(ag.div(a, b, rounding_mode=rm), torch.div(t, u, rounding_mode=rm))
    check(a.fmod(b), t.fmod(u))
    check(a.remainder(b), t.remainder(u))
    check(a.add(b, alpha=3), t.add(u, alpha=3))
    check(a.sub(b, alpha=2), t.sub(u, alpha=2))
    check(a + 1.5, t + 1.5)
    x = ag.tensor([1, 2])
    with pytest.raises(TypeError):
        x.add_(1.5)  # a float result can't be written into an int64 tensor
    with pytest.raises(TypeError, match="alpha"):
        x.add(x, alpha=0.5)
    with pytest.raises(ValueError, match="rounding_mode"):
        x.div(x, rounding_mode="up")


def test_add_sub_alpha_and_out():
    a, t = both(M)
    check(ag.add(a, a, alpha=2), torch.add(t, t, alpha=2))
    check(ag.sub(a, 1, alpha=2), torch.sub(t, 1, alpha=2))
    check(a.add_(a, alpha=-0.5), t.add_(t, alpha=-0.5))
    out, tout = ag.empty(2, 3), torch.empty(2, 3)
    assert ag.mul(a, 2, out=out) is out
    torch.mul(t, 2, out=tout)
    check(out, tout)
    assert ag.add(a, a, out=out) is out and ag.cat([a], out=out) is out
    with pytest.raises(RuntimeError, match="out= has shape"):
        ag.add(a, a, out=ag.empty(3))
    with pytest.raises(RuntimeError, match="automatic differentiation"):
        ag.add(a.requires_grad_(), 1, out=out)
    with pytest.raises(TypeError, match="alpha"):
        ag.multiply(a, a, alpha=2)


def test_comparisons_and_equal():
    a, t = both([1.0, 2.0, 3.0])
    b, u = both([1.0, 0.0, 5.0])
    for name in ("eq", "ne", "lt", "le", "gt", "ge"):
        check(getattr(a, name)(b), getattr(t, name)(u))
        check(getattr(a, name)(2.0), getattr(t, name)(2.0))
    assert a.equal(a.clone()) is True and a.equal(b) is False and a.equal(a[:2]) is False
    assert ag.allclose(a, a + 1e-9) and not ag.allclose(a, b) and a.isclose(b).tolist() == [True, False, False]
    assert 2.0 in a and 7.0 not in a


def test_clamp_like_torch():
    a, t = both(M, requires_grad=True)
    check(a.clamp(-1, 2), t.clamp(-1, 2))
    check(a.clamp(min=0), t.clamp(min=0))
    check(ag.clamp(a, max=1), torch.clamp(t, max=1))
    check(a.clip(0, 1), t.clip(0, 1))
    a.clamp(-1, 2).sum().backward()
    t.clamp(-1, 2).sum().backward()
    check(a.grad, t.grad)
    x = ag.tensor([[1, 5], [7, 2]])
    check(x.clamp(2, 6), torch.tensor([[1, 5], [7, 2]]).clamp(2, 6))
    assert x.clamp_(max=3) is x and x.tolist() == [[1, 3], [3, 2]]
    with pytest.raises(ValueError, match="min"):
        x.clamp()


@pytest.mark.parametrize("values", [[0.0, 0.0, 0.0], [[0.0, 0.0], [3.0, -3.0]], [1.0, -3.0, 3.0, 0.0]], ids=str)
@pytest.mark.parametrize("p", ["fro", 1, 2, 3, 0.5, -1, math.inf, -math.inf])
def test_norm_gradients_at_zeros_and_ties_like_torch(values, p):
    # sqrt'(0) is infinite: a norm built as sqrt(sum(x*x)) gave NaN gradients at a zero vector
    a, t = both(values, dtype=np.float64, requires_grad=True)
    dims = [None, 0] if p != "fro" else [None]
    for dim in dims:
        a.grad = t.grad = None
        fa, ft = a.norm(p, dim=dim), t.norm(p, dim=dim)
        check(fa, ft)
        fa.sum().backward()
        ft.sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_softmax_logsumexp_norm_like_torch():
    a, t = both(M, requires_grad=True)
    for fa, ft in [(a.softmax(1), t.softmax(1)), (a.log_softmax(0), t.log_softmax(0)),
                   (a.logsumexp(1), t.logsumexp(1)), (ag.logsumexp(a, 0, keepdim=True), torch.logsumexp(t, 0, keepdim=True)),
                   (a.norm(), t.norm()), (a.norm(1), t.norm(1)), (a.norm(dim=1), t.norm(dim=1)),
                   (a.norm(float("inf")), t.norm(float("inf"))), (a.norm(3, dim=0, keepdim=True), t.norm(3, dim=0, keepdim=True))]:
        check(fa, ft)
        a.grad = None
        t.grad = None
        fa.sum().backward()
        ft.sum().backward()
        check(a.grad, t.grad)


# ----- reductions -----------------------------------------------------------------------------
REDUCTIONS = [
    ("sum", (), {}), ("sum", (1,), {}), ("sum", (0,), {"keepdim": True}), ("sum", ((0, 1),), {}),
    ("mean", (), {}), ("mean", (1,), {"keepdim": True}), ("prod", (1,), {}),
    ("std", (), {}), ("std", (1,), {}), ("std", (0,), {"unbiased": False}), ("std", (1,), {"correction": 0}),
    ("var", (), {}), ("var", (0,), {"keepdim": True}), ("var", (False,), {}),
    ("max", (), {}), ("max", (1,), {}), ("max", (0,), {"keepdim": True}), ("min", (1,), {}),
    ("amax", (1,), {}), ("amin", (), {}), ("argmax", (), {}), ("argmax", (1,), {}),
    ("argmin", (0,), {"keepdim": True}), ("cumsum", (1,), {}), ("cumprod", (0,), {}),
    ("logsumexp", (1,), {}), ("all", (), {}), ("any", (1,), {}),
]


@pytest.mark.parametrize("name, args, kwargs", REDUCTIONS)
def test_reductions_match_torch(name, args, kwargs):
    data = [[1.5, -2.0, 3.25, 0.5], [0.5, 4.0, -1.0, 2.0], [2.0, 1.0, 0.25, -3.0]]
    a, t = both(data, requires_grad=name not in ("argmax", "argmin", "all", "any"))
    ya, yt = getattr(a, name)(*args, **kwargs), getattr(t, name)(*args, **kwargs)
    check(tuple(ya) if isinstance(yt, tuple) else ya, tuple(yt) if isinstance(yt, tuple) else yt)
    if a.requires_grad:
        (ya[0] if isinstance(yt, tuple) else ya).sum().backward()
        (yt[0] if isinstance(yt, tuple) else yt).sum().backward()
        check(a.grad, t.grad)
    # the top-level spelling (bare std/var keep the standard's correction=0: see below)
    if name not in ("amax", "amin", "cumsum", "cumprod", "logsumexp") and (args or kwargs):
        fa, ft = getattr(ag, name)(a.detach(), *args, **kwargs), getattr(torch, name)(t.detach(), *args, **kwargs)
        check(tuple(fa) if isinstance(ft, tuple) else fa, tuple(ft) if isinstance(ft, tuple) else ft)


def test_max_min_forms():
    a, t = both([[1.0, 5.0], [7.0, 2.0]])
    values, indices = a.max(1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0] and indices.dtype == ag.int64
    assert a.max(dim=1).values.tolist() == [5.0, 7.0] and ag.max(a, 1).indices.tolist() == [1, 0]
    check(a.max(a.t()), t.max(t.t()))
    check(ag.min(a, a.t()), torch.min(t, t.t()))
    check(tuple(a.sort(1, descending=True)), tuple(t.sort(1, descending=True)))
    check(tuple(ag.sort(a, dim=0)), tuple(torch.sort(t, dim=0)))
    check(tuple(a.topk(1, dim=1)), tuple(t.topk(1, dim=1)))
    check(a.argsort(dim=1), t.argsort(dim=1))


def test_standard_calls_keep_standard_semantics():
    """The array API spelling keeps the standard's behaviour (here: correction=0, axis=)."""
    a, t = both([[1.0, 2.0], [3.0, 5.0]])
    check(ag.std(a), torch.std(t, correction=0))
    check(ag.var(a, axis=0), torch.var(t, dim=0, correction=0))
    check(ag.std(a, correction=1), torch.std(t))
    check(ag.sum(a, axis=1, keepdims=True), torch.sum(t, 1, keepdim=True))
    assert isinstance(ag.max(a, axis=1), ag.Tensor) and isinstance(ag.sort(a), ag.Tensor)
    check(ag.mean(a, dtype=ag.float64), torch.mean(t, dtype=torch.float64))
    with pytest.raises(TypeError, match="not both"):
        a.sum(dim=0, axis=0)


# ----- indexing methods ------------------------------------------------------------------------
def test_indexing_methods_like_torch():
    a, t = both([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    ia, it = ag.tensor([[0, 0], [1, 0]]), torch.tensor([[0, 0], [1, 0]])
    cases = [
        (a.gather(1, ia), t.gather(1, it)),
        (ag.gather(a, 0, ag.tensor([[1, 0, 1]])), torch.gather(t, 0, torch.tensor([[1, 0, 1]]))),
        (a.index_select(1, ag.tensor([2, 0, 2])), t.index_select(1, torch.tensor([2, 0, 2]))),
        (a.masked_fill(a > 2, -1.0), t.masked_fill(t > 2, -1.0)),
        (a.masked_select(a > 2), t.masked_select(t > 2)),
        (a.where(a > 2, ag.zeros(1)), t.where(t > 2, torch.zeros(1))),
        (a.scatter(1, ia, a[:, :2] * 10), t.scatter(1, it, t[:, :2] * 10)),
        (a.scatter_add(0, ag.tensor([[1, 0, 1]]), a[:1] * 2), t.scatter_add(0, torch.tensor([[1, 0, 1]]), t[:1] * 2)),
        (a.index_add(0, ag.tensor([1, 1]), a * 3), t.index_add(0, torch.tensor([1, 1]), t * 3)),
    ]
    for i, (ya, yt) in enumerate(cases):
        check(ya, yt)
        a.grad = t.grad = None
        w = np.arange(ya.numel(), dtype=np.float32).reshape(tuple(ya.shape))
        (ya * ag.asarray(w)).sum().backward()
        (yt * torch.from_numpy(w)).sum().backward()
        check(a.grad, t.grad)
    check(ag.scatter(a.detach(), 1, ia, 7.0), torch.scatter(t.detach(), 1, it, 7.0))
    check(a.detach().nonzero(), t.detach().nonzero())
    check(a.detach().nonzero(as_tuple=True), t.detach().nonzero(as_tuple=True))


def test_in_place_indexing_methods():
    x, y = ag.zeros(2, 3), torch.zeros(2, 3)
    check(x.masked_fill_(ag.tensor([True, False, True]), 2.0), y.masked_fill_(torch.tensor([True, False, True]), 2.0))
    check(x.scatter_(1, ag.tensor([[1], [2]]), 5.0), y.scatter_(1, torch.tensor([[1], [2]]), 5.0))
    check(x.scatter_add_(1, ag.tensor([[0, 0]]), ag.ones(1, 2)), y.scatter_add_(1, torch.tensor([[0, 0]]), torch.ones(1, 2)))
    check(x.index_add_(1, ag.tensor([0]), ag.ones(2, 1), alpha=2), y.index_add_(1, torch.tensor([0]), torch.ones(2, 1), alpha=2))
    with pytest.raises(TypeError, match="boolean"):
        x.masked_fill(ag.ones(2, 3), 1.0)


def test_products_like_torch():
    a, t = both(np.arange(6).reshape(2, 3) / 2)
    b, u = both(np.arange(12).reshape(3, 4) / 3)
    v, w = both([1.0, -1.0, 2.0])
    check(a.mm(b), t.mm(u))
    check(ag.mm(a, b), torch.mm(t, u))
    check(ag.bmm(a[None], b[None]), torch.bmm(t[None], u[None]))
    check(a.mv(v), t.mv(w))
    check(v.dot(v), w.dot(w))
    check(ag.outer(v, v), torch.outer(w, w))
    check(a.matmul(b), t.matmul(u))
    check(a @ b, t @ u)
    with pytest.raises(RuntimeError, match="2-D"):
        ag.mm(v, b)
    with pytest.raises(RuntimeError, match="same dtype"):
        v.dot(v.double())


# ----- in-place semantics ---------------------------------------------------------------------
def test_in_place_returns_self_and_bumps_version():
    x = ag.ones(3)
    v = x._version
    assert x.add_(1) is x and x.mul_(2) is x and x.sub_(1) is x and x.div_(3) is x
    assert x._version > v and x.tolist() == [1.0, 1.0, 1.0]
    assert x.fill_(2) is x and x.tolist() == [2.0] * 3 and x.zero_() is x and x.tolist() == [0.0] * 3
    assert x.copy_(ag.tensor([1, 2, 3])) is x and x.tolist() == [1.0, 2.0, 3.0]
    assert x.copy_(ag.tensor(9.0)).tolist() == [9.0] * 3  # broadcast
    i = ag.zeros(2, dtype=ag.int64)
    assert i.fill_(2.7).tolist() == [2, 2]  # PyTorch casts the fill value


def test_in_place_autograd_rules_like_torch():
    leaf = ag.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        leaf.add_(1)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        leaf.exp_()
    with ag.no_grad():
        leaf.mul_(3)  # allowed outside the graph, as in PyTorch
    assert leaf.tolist() == [3.0, 3.0]
    a, t = both([0.5, 1.5], requires_grad=True)
    ya, yt = a * 2, t * 2
    ya.mul_(3).add_(a, alpha=2).exp_()
    yt.mul_(3).add_(t, alpha=2).exp_()
    check(ya, yt)
    assert type(ya.grad_fn).__name__ == type(yt.grad_fn).__name__ == "ExpBackward0"
    ya.sum().backward()
    yt.sum().backward()
    check(a.grad, t.grad)
    for lib in (ag, torch):  # exp saved its output: both refuse backward after writing it
        y = lib.ones(2, requires_grad=True).exp()
        y.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def test_copy_and_fill_are_differentiable():
    a, t = both([1.0, 2.0], requires_grad=True)
    xa, xt = ag.zeros(2, 2), torch.zeros(2, 2)
    xa.copy_(a * 3)
    xt.copy_(t * 3)
    check(xa, xt)
    xa.sum().backward()
    xt.sum().backward()
    check(a.grad, t.grad)
    s = ag.tensor(2.0, requires_grad=True)
    z = ag.zeros(3)
    z.fill_(s * 2)
    z.sum().backward()
    assert s.grad.item() == 6.0


# ----- conversions and the NumPy bridge --------------------------------------------------------
def test_item_tolist():
    assert ag.tensor([[2.5]]).item() == 2.5 and isinstance(ag.tensor(3).item(), int)
    assert isinstance(ag.tensor(True).item(), bool)
    assert ag.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]] and ag.tensor(2.0).tolist() == 2.0
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        ag.tensor([1.0, 2.0]).item()


def test_from_numpy_shares_both_ways():
    arr = np.arange(6.0).reshape(2, 3)
    t = ag.from_numpy(arr)
    assert t.dtype == ag.float64 and t.data_ptr() == arr.__array_interface__["data"][0]
    np.add(arr, 1, out=arr)
    assert t.tolist()[0] == [1.0, 2.0, 3.0]
    arr[0, 0] = 100
    assert t[0, 0].item() == 100
    t.mul_(2)
    t[1] = 0.0
    assert arr[0, 0] == 200 and arr[1].tolist() == [0.0, 0.0, 0.0]
    t.t().add_(1)
    assert arr[1].tolist() == [1.0, 1.0, 1.0]
    for dt in (np.float32, np.int32, np.int64, np.uint8, np.bool_, np.complex64):
        assert ag.from_numpy(np.zeros(2, dt)).dtype.name == np.dtype(dt).name.replace("bool", "bool")


def test_numpy_shares_both_ways():
    x = ag.zeros(3)
    n = x.numpy()
    n[0] = 5
    assert x[0].item() == 5
    x.add_(1)
    assert n.tolist() == [6.0, 1.0, 1.0]
    assert np.shares_memory(x[1:].numpy(), n)


def test_numpy_bridge_errors_like_torch():
    with pytest.raises(TypeError, match="expected np.ndarray"):
        ag.from_numpy([1, 2])
    with pytest.raises(TypeError, match="expected np.ndarray"):
        ag.from_numpy(ag.ones(2))
    with pytest.raises(RuntimeError, match=r"requires grad. Use tensor.detach\(\).numpy\(\)"):
        ag.ones(2, requires_grad=True).numpy()
    assert ag.ones(2, requires_grad=True).detach().numpy().tolist() == [1.0, 1.0]
    assert ag.ones(2, requires_grad=True).numpy(force=True).tolist() == [1.0, 1.0]
    ro = np.ones(3)
    ro.flags.writeable = False
    t = ag.from_numpy(ro)
    assert t.sum().item() == 3
    with pytest.raises(ValueError, match="read-only"):
        t.add_(1)
    with pytest.raises(ValueError, match="read-only"):
        t[0] = 2.0
    with pytest.raises(TypeError):
        ag.from_numpy(np.zeros(2, np.float128 if hasattr(np, "float128") else np.str_))  # no such dtype


def test_clone_detach_and_leaf():
    a, t = both([1.0, 2.0], requires_grad=True)
    ca, ct = a.clone(), t.clone()
    assert type(ca.grad_fn).__name__ == type(ct.grad_fn).__name__ == "CloneBackward0"
    assert ca.data_ptr() != a.data_ptr()
    (ca * 2).sum().backward()
    (ct * 2).sum().backward()
    check(a.grad, t.grad)
    d = a.detach()
    assert d.data_ptr() == a.data_ptr() and not d.requires_grad and d.is_leaf


@pytest.mark.parametrize("call", [
    lambda m, x: m.diag(x[0]), lambda m, x: m.diag(x[0], 2), lambda m, x: m.diag(x[0], -1),
    lambda m, x: m.diag(x), lambda m, x: x.diag(-1), lambda m, x: m.diag(x, 3),
    lambda m, x: m.diagonal(x), lambda m, x: x.diagonal(1), lambda m, x: m.diagonal(x, -1, 1, 0),
    lambda m, x: m.trace(x), lambda m, x: x.trace()])
def test_diagonals_match_torch_values_and_grads(call):
    """diag (vector -> matrix and matrix -> vector, any offset), diagonal with dim1/dim2,
    trace: PyTorch's values and gradients (SciPy's RBFInterpolator calls xp.diag)."""
    a = np.arange(1.0, 13.0).reshape(3, 4)
    x, tx = ag.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, ty = call(ag, x), call(torch, tx)
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    w = np.random.default_rng(0).standard_normal(tuple(ty.shape))
    (y * ag.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_diag_of_other_dtypes_and_errors():
    assert ag.diag(ag.tensor([True, True])).numpy().tolist() == [[True, False], [False, True]]
    assert ag.diag(ag.tensor([1, 2]), 1).dtype == ag.int64
    with pytest.raises(RuntimeError, match="1-D or 2-D"):
        ag.diag(ag.ones(2, 2, 2))
    with pytest.raises(RuntimeError, match="cannot be the same"):
        ag.diagonal(ag.ones(2, 2), 0, 1, 1)


def test_conjugate_transposes_like_torch():
    z = np.arange(6.0).reshape(2, 3) + 1j * np.arange(6.0, 12.0).reshape(2, 3)
    for attr in ("mH", "H"):
        np.testing.assert_array_equal(getattr(ag.tensor(z), attr).numpy(),
                                      getattr(torch.tensor(z), attr).resolve_conj().numpy())
    assert ag.ones(4, 2, 3).mH.shape == (4, 3, 2) and ag.ones(2, 3).H.shape == (3, 2)
    x = ag.tensor(z, requires_grad=True)
    ag.real(ag.sum(x.mH * 1j)).backward()  # the gradient of a conjugating view, as torch
    t = torch.tensor(z, requires_grad=True)
    torch.real((t.mH * 1j).sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())


def test_logsumexp_of_complex_input_like_torch():
    """Shifted by the largest real part (complex numbers have no max): no overflow at
    Re z = 800, PyTorch's values and gradients."""
    rng = np.random.default_rng(0)
    z = rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4))
    z[0, 0] += 800
    a, t = ag.tensor(z, requires_grad=True), torch.tensor(z, requires_grad=True)
    ya, yt = ag.logsumexp(a, 1), torch.logsumexp(t, 1)
    np.testing.assert_allclose(ya.detach().numpy(), yt.detach().numpy(), rtol=1e-12)
    ag.abs(ya).sum().backward()
    torch.abs(yt).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparison_functions_like_torch(name):
    # torch.eq(pred, y).sum(): the methods' top-level forms, tensor or number operand
    a, t = both([1.0, 2.0, 3.0, 2.0])
    b, u = both([1.0, 0.0, 3.0, 5.0])
    check(getattr(ag, name)(a, b), getattr(torch, name)(t, u))
    check(getattr(ag, name)(a, 2), getattr(torch, name)(t, 2))
    out = ag.zeros(4, dtype=ag.bool)
    assert getattr(ag, name)(a, b, out=out) is out
    check(out, getattr(torch, name)(t, u))


def test_where_with_the_condition_alone_is_nonzero_like_torch():
    a, t = both([[0.0, 1.5], [2.0, 0.0]])
    check(ag.where(a > 0), torch.where(t > 0))
    with pytest.raises(TypeError, match="both x1 and x2, or neither"):
        ag.where(a > 0, 1.0)
    check(ag.where(a > 0, a, 0.0), torch.where(t > 0, t, 0.0))
