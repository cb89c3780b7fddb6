"""More of PyTorch's top-level surface, against torch as the oracle: the torch.* forms of
nn.functional ops (PyTorch's own signatures), small tensor utilities (fill, adjoint, addr,
conjugation bits, splits, slice/select/diagonal_scatter, frexp, put), layouts, frombuffer,
empty_strided, process-wide settings, cond and legacy Tensor attributes: values, dtypes,
shapes, gradients and errors."""

from __future__ import annotations

import array
import warnings

import numpy as np
import pytest

import arraygrad as ag
from _torch_oracle import flat as _flat, same as _same  # noqa: E402

torch = pytest.importorskip("torch")

_rng = np.random.default_rng(11)


def R(*shape):
    return _rng.standard_normal(shape)


def _both(fn_a, fn_t, *arrays, grad=True, rtol=1e-10, atol=1e-12, grad_rtol=1e-9):
    """fn_a on arraygrad and fn_t on torch, same inputs (float64 arrays require grad):
    values, dtypes, shapes and the gradients of the sum of the float outputs compared."""
    ins_a, ins_t = [], []
    for a in arrays:
        if isinstance(a, np.ndarray):
            rg = grad and a.dtype.kind == "f"
            ins_a.append(ag.tensor(a, requires_grad=rg))
            ins_t.append(torch.tensor(a, requires_grad=rg))
        else:
            ins_a.append(a)
            ins_t.append(a)
    out_a, out_t = _flat(fn_a(*ins_a)), _flat(fn_t(*ins_t))
    assert len(out_a) == len(out_t)
    for x, y in zip(out_a, out_t):
        _same(x, y, rtol, atol)
    if not grad:
        return
    la = [o for o in out_a if o.dtype.kind == "f" and o.requires_grad]
    lt = [o for o in out_t if o.dtype.is_floating_point and o.requires_grad]
    if not la:
        return
    def weights(o):
        return np.cos(np.arange(o.numel())).reshape(tuple(o.shape))

    ag.stack([(o * ag.asarray(weights(o))).sum() for o in la]).sum().backward()
    torch.stack([(o * torch.tensor(weights(o))).sum() for o in lt]).sum().backward()
    for a, t in zip(ins_a, ins_t):
        if isinstance(a, ag.Tensor) and a.requires_grad:
            if a.grad is None:  # no gradient on one side: a zero one (or none) on the other
                assert t.grad is None or not t.grad.numpy().any()
            elif t.grad is None:
                assert not np.asarray(a.grad).any()
            else:
                np.testing.assert_allclose(np.asarray(a.grad), t.grad.numpy(), rtol=grad_rtol, atol=1e-10)


def _raises(fn_a, fn_t, exc):
    with pytest.raises(exc):
        fn_t()
    with pytest.raises(exc):
        fn_a()


# ----- torch.* forms of nn.functional ops -------------------------------------------------------
_RM, _RV = R(3), np.abs(R(3)) + 0.5
NN_CASES = {
    "conv1d": (lambda m, x, w, b: m.conv1d(x, w, b, 2, 1), (R(2, 3, 9), R(4, 3, 3), R(4))),
    "conv2d": (lambda m, x, w, b: m.conv2d(x, w, b, 1, 1, 1, 1), (R(2, 3, 6, 5), R(4, 3, 3, 3), R(4))),
    "conv3d": (lambda m, x, w: m.conv3d(x, w, None, 1, 0), (R(1, 2, 4, 4, 4), R(3, 2, 2, 2, 2))),
    "conv_transpose1d": (lambda m, x, w, b: m.conv_transpose1d(x, w, b, 2, 1, 1), (R(2, 3, 5), R(3, 2, 3), R(2))),
    "conv_transpose2d": (lambda m, x, w: m.conv_transpose2d(x, w, None, 2, 0, 0, 1, 1), (R(1, 2, 3, 3), R(2, 3, 2, 2))),
    "conv_transpose3d": (lambda m, x, w: m.conv_transpose3d(x, w), (R(1, 2, 2, 2, 2), R(2, 1, 2, 2, 2))),
    "max_pool1d": (lambda m, x: m.max_pool1d(x, 2), (R(2, 3, 8),)),
    "max_pool1d_stride": (lambda m, x: m.max_pool1d(x, 3, 2, 1, 1, True), (R(2, 3, 8),)),
    "max_pool2d": (lambda m, x: m.max_pool2d(x, 2, 1), (R(1, 2, 5, 5),)),
    "max_pool3d": (lambda m, x: m.max_pool3d(x, 2), (R(1, 1, 4, 4, 4),)),
    "max_pool1d_with_indices": (lambda m, x: m.max_pool1d_with_indices(x, 2), (R(2, 3, 8),)),
    "avg_pool1d": (lambda m, x: m.avg_pool1d(x, 3, 2, 1, False, False), (R(2, 3, 8),)),
    "adaptive_avg_pool1d": (lambda m, x: m.adaptive_avg_pool1d(x, 3), (R(2, 3, 8),)),
    "adaptive_max_pool1d": (lambda m, x: m.adaptive_max_pool1d(x, 3), (R(2, 3, 8),)),
    "batch_norm_train": (lambda m, x, w, b: m.batch_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
                         (R(4, 3, 5), R(3), R(3))),
    "batch_norm_eval": (lambda m, x, w, b: m.batch_norm(x, w, b, m.tensor(_RM), m.tensor(_RV), False, 0.1, 1e-5, True),
                        (R(4, 3, 5), R(3), R(3))),
    "instance_norm": (lambda m, x, w, b: m.instance_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
                      (R(2, 3, 6), R(3), R(3))),
    "layer_norm": (lambda m, x, w, b: m.layer_norm(x, [4], w, b, 1e-5, True), (R(2, 3, 4), R(4), R(4))),
    "group_norm": (lambda m, x, w, b: m.group_norm(x, 2, w, b, 1e-5, True), (R(2, 4, 5), R(4), R(4))),
    "rms_norm": (lambda m, x, w: m.rms_norm(x, [2, 4], w, 1e-6), (R(3, 2, 4), R(2, 4))),
    "embedding": (lambda m, w, i: m.embedding(w, i), (R(6, 3), np.array([[0, 2], [5, 2]]))),
    "embedding_padding": (lambda m, w, i: m.embedding(w, i, 2), (R(6, 3), np.array([[0, 2], [5, 2]]))),
    "constant_pad_nd": (lambda m, x: m.constant_pad_nd(x, [1, 2, 0, 1], 3.5), (R(2, 3, 4),)),
    "pixel_shuffle": (lambda m, x: m.pixel_shuffle(x, 2), (R(1, 8, 2, 3),)),
    "pixel_unshuffle": (lambda m, x: m.pixel_unshuffle(x, 2), (R(1, 2, 4, 6),)),
    "channel_shuffle": (lambda m, x: m.channel_shuffle(x, 2), (R(1, 4, 2, 2),)),
    "prelu": (lambda m, x, w: m.prelu(x, w), (R(2, 3, 4), R(3))),
    "selu": (lambda m, x: m.selu(x), (R(3, 4),)),
    "celu": (lambda m, x: m.celu(x, 0.7), (R(3, 4),)),
    "threshold": (lambda m, x: m.threshold(x, 0.1, 20.0), (R(3, 4),)),
    "rrelu_eval": (lambda m, x: m.rrelu(x, 0.1, 0.3), (R(3, 4),)),
    "hardshrink": (lambda m, x: m.hardshrink(x, 0.6), (R(3, 4),)),
    "bilinear": (lambda m, a, b, w, c: m.bilinear(a, b, w, c), (R(2, 3), R(2, 4), R(5, 3, 4), R(5))),
    "pdist": (lambda m, x: m.pdist(x, 3.0), (R(4, 3),)),
    "dropout_eval": (lambda m, x: m.dropout(x, 0.5, False), (R(3, 4),)),
    "alpha_dropout_eval": (lambda m, x: m.alpha_dropout(x, 0.5, False), (R(3, 4),)),
    "feature_dropout_eval": (lambda m, x: m.feature_dropout(x, 0.5, False), (R(2, 3, 4),)),
    "feature_alpha_dropout_eval": (lambda m, x: m.feature_alpha_dropout(x, 0.5, False), (R(2, 3, 4),)),
    "dropout_p0": (lambda m, x: m.dropout(x, 0.0, True), (R(3, 4),)),
}


@pytest.mark.parametrize("name", list(NN_CASES))
def test_nn_aliases_match_torch(name):
    fn, arrays = NN_CASES[name]
    # celu's gradient in nn.functional agrees with PyTorch's to about 3e-8 (relative) only
    _both(lambda *a: fn(ag, *a), lambda *a: fn(torch, *a), *arrays, rtol=1e-8, atol=1e-10,
          grad_rtol=1e-7 if name == "celu" else 1e-9)


@pytest.mark.parametrize("name", ["selu_", "celu_", "threshold_", "rrelu_"])
def test_nn_inplace_aliases(name):
    args = {"selu_": (), "celu_": (0.5,), "threshold_": (0.0, -2.0), "rrelu_": (0.1, 0.3)}[name]
    x = R(3, 4)
    a, t = ag.tensor(x), torch.tensor(x)
    assert getattr(ag, name)(a, *args) is a
    getattr(torch, name)(t, *args)
    _same(a, t)


def test_dropout_training_statistics_and_inplace():
    x = ag.ones(200, 50, dtype=ag.float64)
    y = ag.dropout(x, 0.3, True)
    kept = np.asarray(y) != 0
    assert 0.6 < kept.mean() < 0.8
    np.testing.assert_allclose(np.asarray(y)[kept], 1 / 0.7)
    f = ag.feature_dropout(ag.ones(40, 30, 5), 0.5, True)
    per_channel = np.asarray(f)
    assert np.all((per_channel == per_channel[..., :1]))  # one draw per (sample, channel)
    z = ag.ones(4, 5)
    assert ag.dropout_(z, 0.5, True) is z
    for name in ("alpha_dropout_", "feature_dropout_", "feature_alpha_dropout_"):
        w = ag.ones(4, 5, 3)
        assert getattr(ag, name)(w, 0.5, True) is w


@pytest.mark.parametrize("name", ["dropout", "alpha_dropout", "feature_dropout", "feature_alpha_dropout",
                                  "dropout_"])
def test_dropout_errors(name):
    x = R(2, 3)
    _raises(lambda: getattr(ag, name)(ag.tensor(x), 1.5, True),
            lambda: getattr(torch, name)(torch.tensor(x), 1.5, True),
            RuntimeError)
    with pytest.raises(RuntimeError, match="1.5"):
        getattr(ag, name)(ag.tensor(x), 1.5, True)


def test_feature_dropout_needs_two_dims():
    _raises(lambda: ag.feature_dropout(ag.ones(3), 0.5, True), lambda: torch.feature_dropout(torch.ones(3), 0.5, True),
            RuntimeError)


def test_nn_alias_errors():
    x = R(2, 3, 4)
    _raises(lambda: ag.batch_norm(ag.tensor(x), None, None, None, None, False, 0.1, 1e-5, False),
            lambda: torch.batch_norm(torch.tensor(x), None, None, None, None, False, 0.1, 1e-5, False), RuntimeError)
    _raises(lambda: ag.constant_pad_nd(ag.tensor(x), [1, 2, 3]),
            lambda: torch.constant_pad_nd(torch.tensor(x), [1, 2, 3]),
            RuntimeError)
    with pytest.raises(TypeError):
        ag.adaptive_max_pool1d(ag.tensor(x), 2, True)  # torch.adaptive_max_pool1d takes no return_indices
    with pytest.raises(TypeError):
        ag.max_pool2d(ag.ones(1, 1, 4, 4), 2, return_indices=True)
    with pytest.raises(TypeError, match="generator"):
        ag.rrelu(ag.tensor(x), generator=ag.Generator())
    with pytest.raises(Exception):
        ag.embedding(ag.ones(5, 3), ag.tensor([1.0, 2.0]))  # indices must be integers


def test_nn_alias_return_types():
    x = ag.tensor(R(2, 3, 8))
    for out in (ag.adaptive_max_pool1d(x, 3), ag.max_pool1d_with_indices(x, 2)):
        assert isinstance(out, tuple) and len(out) == 2 and out[1].dtype == ag.int64


# ----- small tensor utilities ---------------------------------------------------------------
def test_detach_and_fill():
    a = ag.tensor(R(2, 3), requires_grad=True)
    d = ag.detach(a)
    assert not d.requires_grad and np.shares_memory(np.asarray(d), np.asarray(a.detach()))
    x = R(2, 3)
    _same(ag.fill(ag.tensor(x), 2), torch.fill(torch.tensor(x), 2))
    _same(ag.fill(ag.arange(3), 2.7), torch.fill(torch.arange(3), 2.7))
    _both(lambda i, v: ag.fill(i, v.sum()), lambda i, v: torch.fill(i, v.sum()), R(2, 3), R(2))
    _raises(lambda: ag.fill(ag.tensor(x), ag.tensor([2.0, 3.0])),
            lambda: torch.fill(torch.tensor(x), torch.tensor([2.0, 3.0])),
            RuntimeError)


def test_adjoint():
    _both(ag.adjoint, torch.adjoint, R(2, 3, 4))
    c = R(2, 3) + 1j * R(2, 3)
    _same(ag.adjoint(ag.tensor(c)), torch.adjoint(torch.tensor(c)).resolve_conj())
    assert tuple(ag.tensor(R(2, 3)).adjoint().shape) == (3, 2)
    _raises(lambda: ag.adjoint(ag.ones(3)), lambda: torch.adjoint(torch.ones(3)), RuntimeError)


def test_addr():
    _both(lambda i, a, b: ag.addr(i, a, b, beta=0.5, alpha=2), lambda i, a, b: torch.addr(i, a, b, beta=0.5, alpha=2),
          R(2, 3), R(2), R(3))
    _both(lambda i, a, b: ag.addr(i, a, b), lambda i, a, b: torch.addr(i, a, b), R(3), R(2), R(3))
    _both(lambda i, a, b: i.addr(a, b, alpha=3), lambda i, a, b: i.addr(a, b, alpha=3), R(2, 3), R(2), R(3))
    nan = np.full((2, 3), np.nan)
    _same(ag.addr(ag.tensor(nan), ag.ones(2, dtype=ag.float64), ag.ones(3, dtype=ag.float64), beta=0),
          torch.addr(torch.tensor(nan), torch.ones(2, dtype=torch.float64), torch.ones(3, dtype=torch.float64), beta=0))
    i = np.arange(6).reshape(2, 3)
    _same(ag.addr(ag.tensor(i), ag.tensor([1, 2]), ag.tensor([1, 2, 3]), alpha=2),
          torch.addr(torch.tensor(i), torch.tensor([1, 2]), torch.tensor([1, 2, 3]), alpha=2))
    x, t = ag.tensor(R(2, 3)), None
    t = torch.tensor(np.asarray(x))
    assert x.addr_(ag.ones(2, dtype=ag.float64), ag.ones(3, dtype=ag.float64)) is x
    t.addr_(torch.ones(2, dtype=torch.float64), torch.ones(3, dtype=torch.float64))
    _same(x, t)
    _raises(lambda: ag.addr(ag.zeros(2, 3), ag.ones(2, 2), ag.ones(3)),
            lambda: torch.addr(torch.zeros(2, 3), torch.ones(2, 2), torch.ones(3)), RuntimeError)
    _raises(lambda: ag.addr(ag.zeros(2, 4), ag.ones(2), ag.ones(3)),
            lambda: torch.addr(torch.zeros(2, 4), torch.ones(2), torch.ones(3)), RuntimeError)
    _raises(lambda: ag.addr(ag.zeros(2, 3, dtype=ag.int64), ag.ones(2, dtype=ag.int64), ag.ones(3, dtype=ag.int64),
                            alpha=2.5),
            lambda: torch.addr(torch.zeros(2, 3, dtype=torch.long), torch.ones(2, dtype=torch.long),
                               torch.ones(3, dtype=torch.long), alpha=2.5), RuntimeError)


def test_conjugation_bits():
    x = ag.tensor(R(2, 3))
    for name in ("is_conj", "is_neg", "is_inference"):
        assert getattr(ag, name)(x) is False and getattr(x, name)() is False
        assert getattr(torch, name)(torch.ones(2)) is False
    assert ag.resolve_conj(x) is x and ag.resolve_neg(x) is x and x.resolve_conj() is x
    assert ag.conj_physical(x) is x
    c = R(3) + 1j * R(3)
    _same(ag.conj_physical(ag.tensor(c)), torch.conj_physical(torch.tensor(c)))
    a, t = ag.tensor(c), torch.tensor(c)
    assert ag.conj_physical_(a) is a and a.conj_physical_() is a
    _same(a, t)
    _both(lambda v: ag.view_as_real(ag.conj_physical(ag.complex(v, v * 2))),
          lambda v: torch.view_as_real(torch.conj_physical(torch.complex(v, v * 2))), R(4))
    with pytest.raises(TypeError):
        ag.is_conj(3)


def test_get_device_and_layout_attributes():
    x = ag.ones(2)
    assert ag.get_device(x) == -1 == torch.get_device(torch.ones(2))
    with pytest.raises(TypeError):
        ag.get_device(3)
    assert x.layout is ag.strided and repr(ag.strided) == "arraygrad.strided" and isinstance(ag.strided, ag.layout)
    assert x.is_meta is False
    assert x.output_nr == 0 and (x * 2).output_nr == 0
    assert ag.ones(2, requires_grad=True).output_nr == 0

    def two_outputs(lib):
        class Two(lib.autograd.Function):
            @staticmethod
            def forward(ctx, v):
                return v * 2, v * 3

            @staticmethod
            def backward(ctx, g1, g2):
                return 2 * g1 + 3 * g2

        return [o.output_nr for o in Two.apply(lib.ones(2, requires_grad=True))]

    assert two_outputs(ag) == two_outputs(torch) == [0, 1]


def test_volatile_warns_as_torch():
    x = ag.ones(2)
    with pytest.warns(UserWarning, match="volatile was removed"):
        assert x.volatile is False
    with pytest.warns(UserWarning, match="no effect"):
        x.volatile = True
    with pytest.warns(UserWarning):
        assert x.volatile is False


def test_resize_and_resize_as():
    x = R(2, 3)
    with pytest.warns(UserWarning, match="non-inplace resize is deprecated"):
        _both(lambda a: a.resize(3, 2), lambda a: a.resize(3, 2), x)
    with pytest.warns(UserWarning, match="resize_as"):
        _same(ag.tensor(x).resize_as(ag.ones(6)), torch.tensor(x).resize_as(torch.ones(6)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _raises(lambda: ag.tensor(x).resize(4, 2), lambda: torch.tensor(x).resize(4, 2), RuntimeError)


def test_broadcast_to_method_and_swap_inplace():
    x = R(2, 1, 3)
    _both(lambda a: a.broadcast_to((4, 2, 5, 3)), lambda a: a.broadcast_to((4, 2, 5, 3)), x)
    _both(lambda a: a.broadcast_to([-1, 4, 3]), lambda a: a.broadcast_to([-1, 4, 3]), x)
    _raises(lambda: ag.tensor(x).broadcast_to((3, 3, 3)), lambda: torch.tensor(x).broadcast_to((3, 3, 3)), RuntimeError)
    for name in ("swapaxes_", "swapdims_"):
        a, t = ag.tensor(x), torch.tensor(x)
        assert getattr(a, name)(0, 2) is a
        getattr(t, name)(0, 2)
        _same(a, t)


def test_splits():
    x = R(4, 6)
    _both(lambda a: ag.split_with_sizes(a, [1, 2, 3], 1), lambda a: torch.split_with_sizes(a, [1, 2, 3], 1), x)
    _both(lambda a: a.split_with_sizes([3, 1]), lambda a: a.split_with_sizes([3, 1]), x)
    _both(lambda a: ag.unsafe_split(a, 4, 1), lambda a: torch.unsafe_split(a, 4, 1), x)
    _both(lambda a: a.unsafe_chunk(3, -1), lambda a: a.unsafe_chunk(3, -1), x)
    _both(lambda a: ag.unsafe_split_with_sizes(a, [2, 2]), lambda a: torch.unsafe_split_with_sizes(a, [2, 2]), x)
    _raises(lambda: ag.split_with_sizes(ag.tensor(x), [1, 1], 1),
            lambda: torch.split_with_sizes(torch.tensor(x), [1, 1], 1),
            RuntimeError)
    with pytest.raises(RuntimeError, match="sum exactly to 6"):
        ag.split_with_sizes(ag.tensor(x), [1, 1], 1)
    _raises(lambda: ag.unsafe_split(ag.tensor(x), [1, 1], 1), lambda: torch.unsafe_split(torch.tensor(x), [1, 1], 1),
            TypeError)


@pytest.mark.parametrize("args", [(0, None, None, 1), (0, 1, None, 2), (1, 1, 5, 3), (-1, -4, -1, 1), (1, 0, 100, 2)])
def test_slice_scatter(args):
    dim, start, end, step = args
    x = R(4, 6)
    want = torch.tensor(x)[(slice(None),) * (dim % 2) + (slice(start, end, step),)].shape
    _both(lambda a, s: ag.slice_scatter(a, s, dim, start, end, step),
          lambda a, s: torch.slice_scatter(a, s, dim, start, end, step), x, R(*want))
    _both(lambda a, s: a.slice_scatter(s, dim, start, end, step),
          lambda a, s: a.slice_scatter(s, dim, start, end, step), x, R(*want))


def test_select_and_diagonal_scatter():
    x = R(4, 3, 5)
    for dim, index in ((0, -1), (1, 2), (2, 0)):
        shape = tuple(s for i, s in enumerate(x.shape) if i != dim)
        _both(lambda a, s: ag.select_scatter(a, s, dim, index), lambda a, s: torch.select_scatter(a, s, dim, index),
              x, R(*shape))
    for offset, d1, d2 in ((0, 0, 1), (1, 0, 2), (-2, 2, 0), (2, -1, 1), (0, 1, 2)):
        shape = torch.tensor(x).diagonal(offset, d1, d2).shape
        _both(lambda a, s: ag.diagonal_scatter(a, s, offset, d1, d2),
              lambda a, s: torch.diagonal_scatter(a, s, offset, d1, d2), x, R(*shape))
    _both(lambda a, s: a.diagonal_scatter(s, 1), lambda a, s: a.diagonal_scatter(s, 1), R(3, 4), R(3))
    z = np.zeros((4, 3))
    _raises(lambda: ag.slice_scatter(ag.tensor(z), ag.ones(3, 3, dtype=ag.float64), 0, 1, None, 2),
            lambda: torch.slice_scatter(torch.tensor(z), torch.ones(3, 3, dtype=torch.float64), 0, 1, None, 2),
            RuntimeError)
    _raises(lambda: ag.select_scatter(ag.tensor(z), ag.ones(4, dtype=ag.float64), 0, 0),
            lambda: torch.select_scatter(torch.tensor(z), torch.ones(4, dtype=torch.float64), 0, 0), RuntimeError)
    _raises(lambda: ag.select_scatter(ag.tensor(z), ag.ones(3, dtype=ag.float64), 0, 4),
            lambda: torch.select_scatter(torch.tensor(z), torch.ones(3, dtype=torch.float64), 0, 4), IndexError)
    _raises(lambda: ag.diagonal_scatter(ag.zeros(3, 4), ag.ones(2), 1),
            lambda: torch.diagonal_scatter(torch.zeros(3, 4), torch.ones(2), 1),
            RuntimeError)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_frexp(dtype):
    info = np.finfo(dtype)
    v = np.array([0.0, -0.0, 1.0, 8.5, -3.0, 0.75, np.inf, -np.inf, np.nan, info.max, info.tiny,
                  info.tiny / 4, 2.0 - info.eps, 1024.0 - 1 / 64, 0.1], dtype=dtype)
    m_a, e_a = ag.frexp(ag.tensor(v))
    m_t, e_t = torch.frexp(torch.tensor(v))
    _same(m_a, m_t, rtol=0, atol=0)
    _same(e_a, e_t, rtol=0, atol=0)
    r = ag.tensor(v).frexp()
    assert r.mantissa is r[0] and r.exponent.dtype == ag.int32
    m, e = ag.empty(len(v), dtype=getattr(ag, dtype)), ag.empty(len(v), dtype=ag.int32)
    r = ag.frexp(ag.tensor(v), out=(m, e))
    assert r.mantissa is m and r.exponent is e
    _same(m, m_t, rtol=0, atol=0)
    _same(e, e_t, rtol=0, atol=0)


def test_frexp_gradient_and_errors():
    x = R(6) * 50
    _both(lambda a: ag.frexp(a).mantissa, lambda a: torch.frexp(a).mantissa, x)
    _raises(lambda: ag.frexp(ag.tensor([1, 8])), lambda: torch.frexp(torch.tensor([1, 8])), RuntimeError)
    with pytest.raises(TypeError, match="out"):
        ag.frexp(ag.ones(2), out=ag.ones(2))
    with pytest.raises(RuntimeError, match="int64"):
        ag.frexp(ag.tensor([1, 8]))


def test_put_top_level():
    _both(lambda a, s: ag.put(a, ag.tensor([0, 3, -1]), s), lambda a, s: torch.put(a, torch.tensor([0, 3, -1]), s),
          R(2, 3), R(3))
    _both(lambda a, s: ag.put(a, ag.tensor([0, 0]), s, True), lambda a, s: torch.put(a, torch.tensor([0, 0]), s, True),
          R(2, 2), R(2))


def test_top_level_inplace_forms():
    x = R(3, 4) * 10
    a, t = ag.tensor(x), torch.tensor(x)
    assert ag.round_(a) is a
    torch.round_(t)
    _same(a, t)
    a, t = ag.tensor(x), torch.tensor(x)
    ag.round_(a, decimals=1)
    torch.round_(t, decimals=1)
    _same(a, t)
    ia, it = ag.tensor([12, 18, -4]), torch.tensor([12, 18, -4])
    assert ag.gcd_(ia, ag.tensor([8, 12, 6])) is ia
    torch.gcd_(it, torch.tensor([8, 12, 6]))
    _same(ia, it)
    ia, it = ag.tensor([12, 18, -4]), torch.tensor([12, 18, -4])
    ag.lcm_(ia, ag.tensor([8, 12, 6]))
    torch.lcm_(it, torch.tensor([8, 12, 6]))
    _same(ia, it)
    a, t = ag.tensor(x), torch.tensor(x)
    ag.i0_(a)
    torch.i0_(t)
    _same(a, t, rtol=1e-9)


def test_tensor_methods_hardshrink_prelu():
    _both(lambda a: a.hardshrink(0.3), lambda a: a.hardshrink(0.3), R(3, 4))
    _both(lambda a, w: a.prelu(w), lambda a, w: a.prelu(w), R(2, 3, 4), R(3))


# ----- creation from memory -----------------------------------------------------------------
def test_frombuffer():
    buf = bytearray(np.array([1, 2, 3, 4], dtype=np.int32).tobytes())
    _same(ag.frombuffer(buf, dtype=ag.int32), torch.frombuffer(bytearray(buf), dtype=torch.int32))
    _same(ag.frombuffer(buf, dtype=ag.int32, count=2, offset=4),
          torch.frombuffer(bytearray(buf), dtype=torch.int32, count=2, offset=4))
    arr = array.array("d", [1.5, 2.5])
    a = ag.frombuffer(arr, dtype=ag.float64)
    arr[0] = 9.0
    assert a.tolist() == [9.0, 2.5]  # shares the memory, as PyTorch's
    assert ag.frombuffer(buf, dtype=ag.float32, requires_grad=True).requires_grad
    for kwargs in ({"count": 5}, {"offset": 16}, {"offset": -1}, {"dtype": ag.int64, "offset": 4}):
        kw = {"dtype": ag.int32, **kwargs}
        kt = {**kw, "dtype": {ag.int32: torch.int32, ag.int64: torch.int64}[kw["dtype"]]}
        _raises(lambda: ag.frombuffer(buf, **kw), lambda: torch.frombuffer(bytearray(buf), **kt), ValueError)
    _raises(lambda: ag.frombuffer(bytearray(), dtype=ag.int32),
            lambda: torch.frombuffer(bytearray(), dtype=torch.int32),
            ValueError)
    with pytest.raises(TypeError):
        ag.frombuffer(buf)


def test_empty_strided():
    a = ag.empty_strided((2, 3), (1, 2), dtype=ag.float64)
    t = torch.empty_strided((2, 3), (1, 2), dtype=torch.float64)
    assert tuple(a.shape) == tuple(t.shape) and a.dtype == ag.float64
    assert ag.empty_strided([4], [1], requires_grad=True).requires_grad
    assert ag.empty_strided((2, 3), (3, 1)).dtype == ag.float32
    _raises(lambda: ag.empty_strided((2, 3), (1,)), lambda: torch.empty_strided((2, 3), (1,)), RuntimeError)


# ----- settings -----------------------------------------------------------------------------
def test_set_default_tensor_type():
    before = ag.get_default_dtype()
    try:
        with pytest.warns(UserWarning, match="deprecated"):
            ag.set_default_tensor_type(ag.DoubleTensor)
        assert ag.get_default_dtype() == ag.float64 and ag.tensor([1.0]).dtype == ag.float64
        with pytest.warns(UserWarning):
            ag.set_default_tensor_type("torch.FloatTensor")
        assert ag.get_default_dtype() == ag.float32
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _raises(lambda: ag.set_default_tensor_type("torch.LongTensor"),
                    lambda: torch.set_default_tensor_type("torch.LongTensor"), TypeError)
            _raises(lambda: ag.set_default_tensor_type(3), lambda: torch.set_default_tensor_type(3), TypeError)
            with pytest.raises(ValueError):
                ag.set_default_tensor_type("torch.NoSuchTensor")
            if not ag.cuda.is_available():
                assert not torch.cuda.is_available()
                _raises(lambda: ag.set_default_tensor_type("torch.cuda.FloatTensor"),
                        lambda: torch.set_default_tensor_type("torch.cuda.FloatTensor"), TypeError)
                with pytest.raises(TypeError, match="CUDA"):
                    ag.set_default_tensor_type(ag.cuda.FloatTensor)
    finally:
        ag.set_default_dtype(before)
        torch.set_default_dtype(torch.float32)


def test_small_settings():
    assert ag.set_flush_denormal(False) is True
    assert ag.set_flush_denormal(True) is False  # arraygrad's backends cannot flush denormals
    before = ag.get_num_interop_threads()
    assert isinstance(before, int) and before >= 1
    ag.set_num_interop_threads(3)
    assert ag.get_num_interop_threads() == 3
    ag.set_num_interop_threads(before)
    with pytest.raises(RuntimeError):
        ag.set_num_interop_threads(0)
    assert ag.is_warn_always_enabled() is torch.is_warn_always_enabled() is False
    ag.set_warn_always(True)
    assert ag.is_warn_always_enabled() is True
    ag.set_warn_always(False)
    with pytest.raises(TypeError):
        ag.set_warn_always("yes")


def test_anomaly_flags():
    assert ag.is_anomaly_enabled() is False and torch.is_anomaly_enabled() is False
    try:
        ag.set_anomaly_enabled(True)
        assert ag.is_anomaly_enabled() and ag.is_anomaly_check_nan_enabled()
        x = ag.tensor([0.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="nan"):
            ag.sqrt(x * 0 - 1).sum().backward()
        ag.set_anomaly_enabled(True, False)
        assert ag.is_anomaly_enabled() and not ag.is_anomaly_check_nan_enabled()
    finally:
        ag.set_anomaly_enabled(False)
    assert not ag.is_anomaly_enabled()
    with pytest.raises(TypeError):
        ag.set_anomaly_enabled("on")


def test_cond():
    x = R(2, 3)
    for pred in (True, False, 1, 0.0):
        _both(lambda a: ag.cond(pred, lambda v: v + 1, lambda v: v * 2, (a,)),
              lambda a: torch.cond(pred, lambda v: v + 1, lambda v: v * 2, (a,)), x)
    _both(lambda a: ag.cond(a.sum() > 0, lambda v: v.sin(), lambda v: v.cos(), [a]),
          lambda a: torch.cond(a.sum() > 0, lambda v: v.sin(), lambda v: v.cos(), [a]), x)
    assert ag.cond(True, lambda: 1, lambda: 2) == 1
    _raises(lambda: ag.cond(ag.tensor([True, False]), lambda v: v, lambda v: v, (ag.ones(1),)),
            lambda: torch.cond(torch.tensor([True, False]), lambda v: v, lambda v: v, (torch.ones(1),)), RuntimeError)
    with pytest.raises(RuntimeError, match="operands"):
        ag.cond(True, lambda v: v, lambda v: v, ag.ones(1))


def test_names_exist_in_torch_and_arraygrad():
    names = ("conv1d conv_transpose3d max_pool1d_with_indices adaptive_max_pool1d feature_alpha_dropout_ batch_norm "
             "embedding constant_pad_nd rrelu_ pdist detach fill adjoint addr is_conj conj_physical_ is_inference "
             "split_with_sizes unsafe_split_with_sizes diagonal_scatter frexp put round_ i0_ strided layout "
             "get_device frombuffer empty_strided set_default_tensor_type set_flush_denormal "
             "get_num_interop_threads set_warn_always is_anomaly_check_nan_enabled cond").split()
    for n in names:
        assert hasattr(torch, n) and hasattr(ag, n), n
    for n in ("addr", "addr_", "adjoint", "broadcast_to", "conj_physical_", "frexp", "hardshrink", "prelu",
              "output_nr", "is_meta", "layout", "resize", "resize_as", "swapaxes_", "swapdims_", "slice_scatter"):
        assert hasattr(torch.Tensor, n) and hasattr(ag.Tensor, n), n


@pytest.mark.filterwarnings("ignore:TypedStorage is deprecated")
def test_typed_storage_like_torch():
    """tensor.storage(): the viewed memory's elements in memory order, shared by views,
    written through; writes after a save cannot corrupt a gradient (the memory counts as
    exported, as through the NumPy bridge)."""
    a, ta = ag.arange(6.0), torch.arange(6.0)
    for make in (lambda t: t, lambda t: t.view(2, 3), lambda t: t[2:], lambda t: t.view(2, 3).t()):
        s, ts = make(a).storage(), make(ta).storage()
        assert len(s) == len(ts) == s.size() and s.tolist() == ts.tolist() and list(s) == list(ts)
        assert s.data_ptr() == a.storage().data_ptr() and s.nbytes() == ts.nbytes() == 24
    assert a[2:].storage_offset() == 2 and a.storage()[-1] == ta.storage()[-1] == 5.0
    s, ts = a.storage(), ta.storage()
    s[0], ts[0] = 100, 100
    s[1:3], ts[1:3] = 5, 5
    np.testing.assert_array_equal(np.asarray(a), ta.numpy())
    assert s.fill_(1) is s and a.tolist() == [1.0] * 6
    assert repr(ag.arange(2).storage()).splitlines()[:2] == [" 0", " 1"]
    for idx, exc, msg in ((6, IndexError, "out of range for storage of size 6"),
                          (slice(1, 3), RuntimeError, "slices are only supported")):
        with pytest.raises(exc, match=msg):
            s[idx]
    w = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (w * w).sum()
    w.detach().storage()[0] = 10.0
    y.backward()
    np.testing.assert_array_equal(np.asarray(w.grad), [2.0, 4.0, 6.0])
