"""Custom differentiable functions: `arraygrad.autograd.Function`, PyTorch's semantics."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import arraygrad as xp
from arraygrad.autograd import Function, GradcheckError, gradcheck, gradgradcheck, once_differentiable


def t(values, requires_grad=True, dtype=np.float64):
    return xp.asarray(np.array(values, dtype=dtype), requires_grad=requires_grad)


def npy(x):
    return np.asarray(x.detach())


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        y = xp.exp(x)
        ctx.save_for_backward(y)  # an output: saved without a reference cycle
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


class MulConst(Function):
    """Two tensors and a Python number; the number gets None."""

    @staticmethod
    def forward(ctx, x, w, c):
        ctx.save_for_backward(x, w)
        ctx.c = c
        return x * w * c

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        gx = g * w * ctx.c if ctx.needs_input_grad[0] else None
        gw = g * x * ctx.c if ctx.needs_input_grad[1] else None
        return gx, gw, None


class Cube(Function):
    """forward without ctx + setup_context (PyTorch >= 2.0 style)."""

    @staticmethod
    def forward(x):
        return x ** 3

    @staticmethod
    def setup_context(ctx, inputs, output):
        (x,) = inputs
        ctx.save_for_backward(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * g * x ** 2


def test_forward_backward_and_node_name():
    x = t([0.5, 1.0, -2.0])
    y = Exp.apply(x)
    assert y.requires_grad and type(y.grad_fn).__name__ == "ExpBackward"
    assert y.grad_fn.name() == "ExpBackward"
    xp.sum(y).backward()
    np.testing.assert_allclose(npy(x.grad), np.exp([0.5, 1.0, -2.0]))
    (node, idx), = y.grad_fn.next_functions
    assert node.name() == "AccumulateGrad" and node.variable is x


def test_setup_context_style_and_gradcheck():
    x = t([0.5, -1.5, 2.0])
    assert type(Cube.apply(x).grad_fn).__name__ == "CubeBackward"
    assert gradcheck(Cube.apply, (x,))
    assert gradgradcheck(Cube.apply, (x,))  # backward uses arraygrad ops: differentiable again


def test_needs_input_grad_and_non_tensor_arguments():
    seen = []

    class Probe(MulConst):
        @staticmethod
        def backward(ctx, g):
            seen.append(ctx.needs_input_grad)
            return MulConst.backward(ctx, g)

    x, w = t([1.0, 2.0]), t([3.0, 4.0], requires_grad=False)
    xp.sum(Probe.apply(x, w, 2.0)).backward()
    assert seen == [(True, False, False)]
    np.testing.assert_allclose(npy(x.grad), [6.0, 8.0])
    assert w.grad is None
    assert gradcheck(lambda a, b: MulConst.apply(a, b, 0.5), (t([1.0, 2.0]), t([3.0, -1.0])))


def test_no_grad_or_no_input_requiring_grad_records_nothing():
    x = t([1.0, 2.0])
    with xp.no_grad():
        y = Exp.apply(x)
    assert not y.requires_grad and y.grad_fn is None
    z = Exp.apply(t([1.0], requires_grad=False))
    assert not z.requires_grad


def test_forward_runs_without_recording():
    inner = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, x):
            y = x * 2
            inner.append(y.requires_grad)
            return y

        @staticmethod
        def backward(ctx, g):
            return g * 2

    Probe.apply(t([1.0]))
    assert inner == [False]


def test_saved_input_modified_in_place_raises():
    x = t([1.0, 2.0])
    h = x * 1
    y = MulConst.apply(h, h, 1.0)
    h += 1  # h was saved for backward
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        xp.sum(y).backward()


def test_saved_output_modified_in_place_raises():
    x = t([1.0, 2.0])
    y = Exp.apply(x)
    y.requires_grad  # a non-leaf: in-place allowed, but it is saved
    y *= 2
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        xp.sum(y).backward()


def test_saved_tensors_are_freed_after_backward_unless_retained():
    x = t([1.0, 2.0])
    y = Exp.apply(x)
    node = y.grad_fn
    xp.sum(y).backward(retain_graph=True)
    assert len(node.saved_tensors) == 1  # still there with retain_graph
    xp.sum(y).backward()
    np.testing.assert_allclose(npy(x.grad), 2 * np.exp([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        node.saved_tensors
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        xp.sum(y).backward()


def test_graph_of_custom_functions_is_freed_by_reference_counting():
    gc.disable()
    try:
        x = t(np.ones(5))
        y = Exp.apply(MulConst.apply(x, x, 2.0))
        node, out = weakref.ref(y.grad_fn), weakref.ref(y)
        del y
        assert node() is None and out() is None  # no cycle through the saved output
        y = Cube.apply(x)
        saved = weakref.ref(y.grad_fn.saved_tensors[0])
        xp.sum(y).backward()
        del y
        assert node() is None
        assert saved() is None or saved() is x
    finally:
        gc.enable()


def test_mark_non_differentiable_and_materialized_zeros():
    got = []

    class SortWithIndices(Function):
        @staticmethod
        def forward(ctx, x):
            idx = xp.argsort(x)
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            return xp.take(x, idx), idx

        @staticmethod
        def backward(ctx, g_values, g_idx):
            got.append(g_idx)
            (idx,) = ctx.saved_tensors
            out = xp.zeros(g_values.shape, dtype=g_values.dtype)
            out[idx] = g_values
            return out

    x = t([3.0, 1.0, 2.0])
    values, idx = SortWithIndices.apply(x)
    assert values.requires_grad and not idx.requires_grad
    xp.sum(values * xp.asarray([1.0, 10.0, 100.0])).backward()
    np.testing.assert_allclose(npy(x.grad), [100.0, 1.0, 10.0])
    # as in PyTorch: a marked output's gradient is materialized as zeros of its shape and dtype
    assert got[0].dtype == xp.int64 and np.all(npy(got[0]) == 0)


def test_unused_float_output_gets_zeros_or_none():
    received = []

    class Split(Function):
        @staticmethod
        def forward(ctx, x, materialize):
            ctx.set_materialize_grads(materialize)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, ga, gb):
            received.append(gb)
            out = ga * 2
            if gb is not None:
                out = out + gb * 3
            return out, None

    x = t([1.0, 2.0])
    a, _ = Split.apply(x, True)
    xp.sum(a).backward()
    assert received[-1] is not None and np.all(npy(received[-1]) == 0)
    x.grad = None
    a, _ = Split.apply(x, False)
    xp.sum(a).backward()
    assert received[-1] is None
    np.testing.assert_allclose(npy(x.grad), [2.0, 2.0])


def test_mark_dirty_in_place_forward():
    class AddOneInPlace(Function):
        @staticmethod
        def forward(ctx, x):
            x += 1
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    leaf = t([1.0, 2.0])
    h = leaf * 3
    out = AddOneInPlace.apply(h)
    assert out is h and type(h.grad_fn).__name__ == "AddOneInPlaceBackward"
    np.testing.assert_allclose(npy(h), [4.0, 7.0])
    xp.sum(out * out).backward()
    np.testing.assert_allclose(npy(leaf.grad), 2 * np.array([4.0, 7.0]) * 3)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        AddOneInPlace.apply(t([1.0]))


def test_mark_dirty_through_a_view_reaches_the_base():
    class DoubleInPlace(Function):
        @staticmethod
        def forward(ctx, x):
            x *= 2
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    leaf = t([1.0, 2.0, 3.0])
    base = leaf * 1
    DoubleInPlace.apply(base[1:])
    np.testing.assert_allclose(npy(base), [1.0, 4.0, 6.0])
    xp.sum(base * base).backward()
    np.testing.assert_allclose(npy(leaf.grad), [2.0, 16.0, 24.0])


def test_input_returned_unchanged_is_an_alias():
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 5

    x = t([1.0, 2.0])
    y = Identity.apply(x)
    assert y is not x and x.grad_fn is None and y.grad_fn is not None
    xp.sum(y).backward()
    np.testing.assert_allclose(npy(x.grad), [5.0, 5.0])


def test_once_differentiable():
    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            assert not xp.is_grad_enabled()
            return 2 * g * x

    x = t([1.0, 3.0])
    (g,) = xp.autograd.grad(xp.sum(Square.apply(x)), x)
    np.testing.assert_allclose(npy(g), [2.0, 6.0])
    (g,) = xp.autograd.grad(xp.sum(Square.apply(x) * x), x, create_graph=True)
    with pytest.raises(RuntimeError, match="once_differentiable"):
        xp.sum(g).backward()


def test_double_backward_through_custom_function():
    x = t([0.3, -0.7])
    (g,) = xp.autograd.grad(xp.sum(Exp.apply(x)), x, create_graph=True)
    (gg,) = xp.autograd.grad(xp.sum(g), x)
    np.testing.assert_allclose(npy(gg), np.exp([0.3, -0.7]))
    assert gradgradcheck(Exp.apply, (x,))


def test_gradcheck_catches_a_wrong_backward():
    class Wrong(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return xp.sin(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * xp.cos(x) * 1.01

    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradcheck(Wrong.apply, (t([0.1, 0.5]),))
    assert gradcheck(Wrong.apply, (t([0.1, 0.5]),), raise_exception=False) is False


def test_backward_errors_are_clear():
    class TooMany(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g, g

    class GradForNumber(Function):
        @staticmethod
        def forward(ctx, x, c):
            return x * c

        @staticmethod
        def backward(ctx, g):
            return g, g

    class BadShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return xp.ones((3,), dtype=xp.float64)

    class Forgot(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

    x = t([1.0, 2.0])
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        xp.sum(TooMany.apply(x)).backward()
    with pytest.raises(RuntimeError, match="was not a Tensor"):
        xp.sum(GradForNumber.apply(x, 2.0)).backward()
    with pytest.raises(RuntimeError, match="invalid gradient at index 0"):
        xp.sum(BadShape.apply(x)).backward()
    with pytest.raises(NotImplementedError, match="backward"):
        xp.sum(Forgot.apply(x)).backward()
    with pytest.raises(RuntimeError, match="static forward"):
        Exp()(x)
    with pytest.raises(TypeError, match="save_for_backward"):
        class SavesNumber(Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(3.0)
                return x
        SavesNumber.apply(x)


def test_broadcast_gradient_is_summed_to_the_input_shape():
    class Scale(Function):
        @staticmethod
        def forward(ctx, x, s):
            return x * s

        @staticmethod
        def backward(ctx, g):
            return g, g  # s's gradient still has x's shape: the engine sums it

    x, s = t([[1.0, 2.0], [3.0, 4.0]]), t([1.0])
    xp.sum(Scale.apply(x, s)).backward()
    np.testing.assert_allclose(npy(s.grad), [4.0])


def test_hooks_on_outputs_and_nodes():
    x = t([1.0, 2.0])
    y = Exp.apply(x)
    y.register_hook(lambda g: g * 0 + 1)  # replace the incoming gradient by ones
    seen = []
    y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: seen.append(len(grad_inputs)))
    xp.sum(y * 10).backward()
    np.testing.assert_allclose(npy(x.grad), np.exp([1.0, 2.0]))
    assert seen == [1]


def test_complex_custom_function_follows_the_conjugate_convention():
    class CMul(Function):  # z * c for a constant complex c: backward g * conj(c)
        @staticmethod
        def forward(ctx, z):
            return z * (2 - 1j)

        @staticmethod
        def backward(ctx, g):
            return g * (2 + 1j)

    z = t([1 + 1j, -0.5 + 2j], dtype=np.complex128)
    assert gradcheck(CMul.apply, (z,))


def test_pytorch_tutorial_legendre_polynomial_matches_torch():
    torch = pytest.importorskip("torch")

    class LegendrePolynomial3(Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    class TorchLegendre(torch.autograd.Function):
        forward = staticmethod(LegendrePolynomial3.forward)
        backward = staticmethod(LegendrePolynomial3.backward)

    values = np.linspace(-1, 1, 7)
    x = t(values)
    tx = torch.tensor(values, requires_grad=True)
    a, b = t(0.3), torch.tensor(0.3, requires_grad=True)
    xp.sum(LegendrePolynomial3.apply(a * x) ** 2).backward()
    (TorchLegendre.apply(b * tx) ** 2).sum().backward()
    np.testing.assert_allclose(npy(x.grad), tx.grad.numpy())
    np.testing.assert_allclose(float(a.grad), float(b.grad))


def test_apply_binds_keyword_tensors_to_forwards_parameters_as_pytorch():
    """A tensor given by keyword (Cube.apply(x=x)) was passed to forward as a keyword and not
    recorded as an input: no grad_fn, and no gradient for it."""
    import torch

    def run(lib):
        class Mul(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, w, scale=2.0):
                ctx.save_for_backward(x, w)
                ctx.scale = scale
                return x * w * scale

            @staticmethod
            def backward(ctx, g):
                x, w = ctx.saved_tensors
                return g * w * ctx.scale, g * x * ctx.scale, None

        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, 4.0], requires_grad=True)
        Mul.apply(x, w=w).sum().backward()
        Mul.apply(w=w, x=x, scale=1.0).sum().backward()
        return x.grad.tolist(), w.grad.tolist()

    assert run(xp) == run(torch) == ([9.0, 12.0], [3.0, 6.0])
