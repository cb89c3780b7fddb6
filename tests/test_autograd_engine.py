"""The engine's semantics (PyTorch's): accumulation, retain_graph, create_graph, hooks, grad
modes, detach, inputs=, allow_unused, deep graphs, memory."""

from __future__ import annotations

import gc
import threading
import tracemalloc
import weakref

import numpy as np
import pytest

import arraygrad as xp
from arraygrad import autograd


def t(values, requires_grad=True, dtype=np.float64):
    return xp.asarray(np.array(values, dtype=dtype), requires_grad=requires_grad)


def npy(x):
    return np.asarray(x.detach())


# ----- backward basics ------------------------------------------------------------------------
def test_gradients_accumulate_across_backward_calls():
    x = t([1.0, 2.0, 3.0])
    xp.sum(x * x).backward()
    xp.sum(x * x).backward()
    np.testing.assert_allclose(npy(x.grad), [4.0, 8.0, 12.0])
    g = x.grad
    xp.sum(3 * x).backward()
    assert x.grad is g  # accumulated in place, as PyTorch (no create_graph)
    np.testing.assert_allclose(npy(x.grad), [7.0, 11.0, 15.0])


def test_grad_is_not_the_callers_tensor():
    x = t([1.0, 2.0])
    v = xp.asarray([5.0, 6.0], dtype=xp.float64)
    (x * 1).backward(v)
    x.grad[0] = 0.0
    np.testing.assert_allclose(npy(v), [5.0, 6.0])  # the gradient passed in is not aliased


def test_a_hooks_own_tensor_is_not_kept_as_grad():
    # .grad is added into in place on the next backward: a tensor the hook's owner holds
    # must not become it (PyTorch clones it too)
    keep = xp.asarray([5.0, 5.0], dtype=xp.float64)
    x = t([1.0, 1.0])
    x.register_hook(lambda g: keep)
    xp.sum(x * 2).backward()
    xp.sum(x * 2).backward()
    np.testing.assert_allclose(npy(keep), [5.0, 5.0])
    np.testing.assert_allclose(npy(x.grad), [10.0, 10.0])


def test_a_gradient_passed_through_a_multi_output_node_is_not_kept_as_grad():
    class Two(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1, x * 2

        @staticmethod
        def backward(ctx, g1, g2):
            return g1  # the first output's gradient, as it came

    x = t([1.0, 2.0])
    v = xp.asarray([5.0, 6.0], dtype=xp.float64)
    Two.apply(x)[0].backward(v)
    x.grad[0] = 0.0
    np.testing.assert_allclose(npy(v), [5.0, 6.0])


@pytest.mark.parametrize("returned", ["input", "detached input"])
def test_a_custom_functions_gradient_the_user_holds_is_not_overwritten(returned):
    # PyTorch clones a returned input, but adds the next gradient into a detached one (the
    # input changes); arraygrad copies both
    class Scale(autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x)
            return x * y

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return None, x if returned == "input" else x.detach()

    x = xp.asarray([1.0, 2.0, 3.0], dtype=xp.float64)  # y's dtype: no cast makes a copy
    y = t([1.0, 1.0, 1.0])
    for _ in range(2):
        xp.sum(Scale.apply(x, y)).backward()
    np.testing.assert_allclose(npy(x), [1.0, 2.0, 3.0])
    np.testing.assert_allclose(npy(y.grad), [2.0, 4.0, 6.0])


def test_a_custom_functions_own_result_is_kept_without_a_copy():
    kept = []

    class Double(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            r = g * 2
            kept.append(weakref.ref(r._data))  # no reference that would make it shared
            return r

    x = t([1.0, 2.0])
    xp.sum(Double.apply(x)).backward()
    assert x.grad._data is kept[0]()


def test_second_backward_needs_retain_graph():
    x = t([1.0, 2.0])
    y = xp.sum(xp.exp(x))
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
    x.grad = None
    y = xp.sum(xp.exp(x))
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(npy(x.grad), 2 * np.exp([1.0, 2.0]))


def test_non_scalar_backward_needs_a_gradient():
    x = t([1.0, 2.0])
    y = x * 2
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        y.backward()
    y.backward(xp.asarray([1.0, 10.0], dtype=xp.float64))
    np.testing.assert_allclose(npy(x.grad), [2.0, 20.0])
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(xp.ones((3,), dtype=xp.float64))


def test_backward_of_a_tensor_that_does_not_require_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        xp.sum(t([1.0], requires_grad=False)).backward()


def test_one_element_outputs_backward_implicitly():
    x = t([2.0])
    (x * 3).backward()  # shape (1,): size 1 is enough, as in PyTorch
    np.testing.assert_allclose(npy(x.grad), [3.0])


def test_create_graph_gives_higher_derivatives():
    x = t(2.0)
    y = x ** 4
    (g,) = autograd.grad(y, x, create_graph=True)
    (g2,) = autograd.grad(g, x, create_graph=True)
    (g3,) = autograd.grad(g2, x)
    assert (float(g), float(g2), float(g3)) == (32.0, 48.0, 48.0)
    x.grad = None
    y = xp.sin(x)
    y.backward(create_graph=True)
    assert x.grad.requires_grad
    x.grad.backward()
    np.testing.assert_allclose(float(x.grad), np.cos(2.0) - np.sin(2.0))


def test_plain_backward_into_a_grad_with_a_graph_adds_in_place_and_keeps_the_graph():
    # PyTorch: AccumulateGrad adds in place under no_grad, so a .grad from an earlier
    # create_graph pass keeps its grad_fn (the values change under it, the version says so)
    x = t([1.0, 2.0, 3.0])
    xp.sum(x ** 3).backward(create_graph=True)
    g = x.grad
    consumer = xp.sum(g * g)  # saves g
    xp.sum(x ** 2).backward()
    assert x.grad is g and g.requires_grad and g.grad_fn is not None
    np.testing.assert_allclose(npy(g), [5.0, 16.0, 33.0])
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        consumer.backward()


def test_backward_with_inputs_accumulates_only_there():
    x, w = t([1.0, 2.0]), t([3.0, 4.0])
    h = x * w
    y = xp.sum(h * h)
    y.backward(inputs=[w], retain_graph=True)
    assert x.grad is None
    np.testing.assert_allclose(npy(w.grad), 2 * np.array([3.0, 8.0]) * np.array([1.0, 2.0]))
    h.retain_grad()
    with pytest.raises(RuntimeError, match="cannot be empty"):
        y.backward(inputs=[])


def test_backward_inputs_may_be_non_leaves():
    x = t([1.0, 2.0])
    h = x * 3
    y = xp.sum(h * h)
    y.backward(inputs=[h])
    np.testing.assert_allclose(npy(h.grad), [6.0, 12.0])
    assert x.grad is None


def test_grad_returns_and_does_not_accumulate():
    x, w = t([1.0, 2.0]), t([3.0])
    y = xp.sum(x * w)
    gx, gw = autograd.grad(y, [x, w])
    np.testing.assert_allclose(npy(gx), [3.0, 3.0])
    np.testing.assert_allclose(npy(gw), [3.0])
    assert x.grad is None and w.grad is None


def test_allow_unused_and_materialize_grads():
    x, w = t([1.0]), t([2.0])
    y = xp.sum(x * 2)
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        autograd.grad(y, [x, w], retain_graph=True)
    gx, gw = autograd.grad(y, [x, w], allow_unused=True, retain_graph=True)
    assert gw is None
    gx, gw = autograd.grad(y, [x, w], materialize_grads=True)
    np.testing.assert_allclose(npy(gw), [0.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        autograd.grad(xp.sum(x), [t([1.0], requires_grad=False)])


def test_grad_with_respect_to_an_intermediate():
    x = t([1.0, 2.0])
    h = xp.exp(x)
    y = xp.sum(h * h)
    (gh,) = autograd.grad(y, h)
    np.testing.assert_allclose(npy(gh), 2 * np.exp([1.0, 2.0]))


def test_multiple_roots_and_grad_tensors():
    x = t([1.0, 2.0])
    a, b = x * 2, x * x
    autograd.backward([a, b], [xp.ones((2,), dtype=xp.float64), xp.asarray([1.0, 0.5], dtype=xp.float64)])
    np.testing.assert_allclose(npy(x.grad), [2.0 + 2.0, 2.0 + 2.0])


def test_integer_and_bool_tensors_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        xp.asarray([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="leaf"):
        (t([1.0]) * 2).requires_grad = False


# ----- hooks and retain_grad ---------------------------------------------------------------------
def test_hooks_on_leaves_and_non_leaves_and_retain_grad():
    x = t([1.0, 2.0])
    y = x * 3
    calls = []
    y.register_hook(lambda g: calls.append("y") or g * 10)
    y.retain_grad()
    handle = x.register_hook(lambda g: calls.append("x") or g + 1)
    xp.sum(y).backward()
    np.testing.assert_allclose(npy(y.grad), [10.0, 10.0])  # retained after y's own hooks
    np.testing.assert_allclose(npy(x.grad), [31.0, 31.0])
    assert calls == ["y", "x"]
    handle.remove()
    x.grad = None
    xp.sum(x * 3).backward()
    np.testing.assert_allclose(npy(x.grad), [3.0, 3.0])
    assert y.retains_grad and not x.retains_grad


def test_retain_grad_accumulates_and_hook_errors():
    x = t([1.0])
    y = x * 2
    y.retain_grad()
    z = y * 3
    z.backward(retain_graph=True)
    z.backward()
    np.testing.assert_allclose(npy(y.grad), [6.0])
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        t([1.0], requires_grad=False).register_hook(lambda g: g)


def test_node_hooks():
    x = t([1.0, 2.0])
    y = xp.exp(x)
    seen = []
    y.grad_fn.register_prehook(lambda grad_outputs: seen.append("pre") or (grad_outputs[0] * 2,))
    y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: seen.append("post"))
    xp.sum(y).backward()
    assert seen == ["pre", "post"]
    np.testing.assert_allclose(npy(x.grad), 2 * np.exp([1.0, 2.0]))


# ----- grad modes ----------------------------------------------------------------------------
def test_grad_modes_nest_as_context_managers():
    x = t([1.0])
    with xp.no_grad():
        assert not (x * 2).requires_grad
        with xp.enable_grad():
            assert (x * 2).requires_grad
            with xp.set_grad_enabled(False):
                assert not (x * 2).requires_grad
            assert xp.is_grad_enabled()
        assert not xp.is_inference_mode_enabled()  # no_grad is not inference mode
        with xp.inference_mode():
            assert not (x * 2).requires_grad
            assert xp.is_inference_mode_enabled()  # PyTorch's top-level name
            with xp.inference_mode(False):  # PyTorch: leaves inference mode, records again
                assert (x * 2).requires_grad and not xp.is_inference_mode_enabled()
            assert xp.is_inference_mode_enabled() and not xp.is_grad_enabled()
        assert not xp.is_inference_mode_enabled()
        with xp.inference_mode(False):
            assert (x * 2).requires_grad  # even inside no_grad, as in PyTorch
        assert not xp.is_grad_enabled()
    assert xp.is_grad_enabled() and (x * 2).requires_grad


def test_grad_modes_as_decorators():
    x = t([1.0])

    @xp.no_grad()
    def f():
        return x * 2

    @xp.no_grad
    def g():
        return x * 2

    @xp.enable_grad()
    def h():
        return x * 2

    @xp.set_grad_enabled(False)
    def k():
        return x * 2

    @xp.inference_mode()
    def gen():
        yield x * 2
        yield x * 3

    assert not f().requires_grad and not g().requires_grad and not k().requires_grad
    assert all(not v.requires_grad for v in gen())
    with xp.no_grad():
        assert h().requires_grad
    assert xp.is_grad_enabled()


def test_set_grad_enabled_as_a_function():
    xp.set_grad_enabled(False)
    try:
        assert not xp.is_grad_enabled()
    finally:
        xp.set_grad_enabled(True)
    assert xp.is_grad_enabled()


def test_grad_mode_is_per_thread():
    results = {}
    barrier = threading.Barrier(2)
    x = t([1.0])

    def worker():
        barrier.wait()
        results["thread"] = (xp.is_grad_enabled(), (x * 2).requires_grad)

    th = threading.Thread(target=worker)
    with xp.no_grad():
        th.start()
        barrier.wait()
        th.join()
        assert not (x * 2).requires_grad
    assert results["thread"] == (True, True)


def test_backward_inside_no_grad_still_works():
    x = t([1.0, 2.0])
    y = xp.sum(x * x)
    with xp.no_grad():
        y.backward()
    np.testing.assert_allclose(npy(x.grad), [2.0, 4.0])


# ----- detach, .data -----------------------------------------------------------------------------
def test_detach_shares_memory_and_version_but_not_history():
    x = t([1.0, 2.0])
    h = x * 1
    d = h.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    d[0] = 5.0
    np.testing.assert_allclose(npy(h), [5.0, 2.0])  # same memory
    assert h._version == d._version == 1
    h2 = x * 2
    h2.detach_()
    assert not h2.requires_grad and h2.grad_fn is None


def test_detach_then_in_place_write_of_a_saved_tensor_raises():
    x = t([1.0, 2.0])
    h = x * 1
    y = xp.sum(h * h)
    h.detach()[0] = 3.0  # PyTorch: silently wrong gradient; here the shared version counter
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_data_property():
    x = t([1.0, 2.0])
    d = x.data
    assert not d.requires_grad and x.requires_grad
    d[0] = 7.0
    np.testing.assert_allclose(npy(x), [7.0, 2.0])
    x.data = xp.asarray([3.0, 4.0], dtype=xp.float64)
    np.testing.assert_allclose(npy(x), [3.0, 4.0])
    assert x.requires_grad


def test_variable_legacy_wrapper():
    base = xp.asarray([1.0, 2.0], dtype=xp.float64)
    v = autograd.Variable(base, requires_grad=True)
    assert isinstance(v, xp.Tensor) and isinstance(base, autograd.Variable)
    assert v.requires_grad and not base.requires_grad and v is not base
    xp.sum(v * v).backward()
    np.testing.assert_allclose(npy(v.grad), [2.0, 4.0])
    np.testing.assert_allclose(np.asarray(v.data), [1.0, 2.0])
    assert not autograd.Variable(base).requires_grad
    with pytest.raises(TypeError, match="has to be a tensor"):
        autograd.Variable([1.0])


# ----- deep graphs and memory ----------------------------------------------------------------------
def test_a_100000_node_chain_needs_no_recursion():
    x = t(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert float(x.grad) == 1.0
    del y  # freeing the chain is not recursive either


def test_saved_tensors_are_released_after_backward_without_gc():
    gc.disable()
    try:
        x = t(np.linspace(0.1, 1.0, 10))
        h = xp.exp(x)
        z = xp.sin(h)
        loss = xp.sum(z * h)
        refs = [weakref.ref(h), weakref.ref(z)]
        mid_node, root_node = weakref.ref(z.grad_fn), weakref.ref(loss.grad_fn)
        del h, z
        assert all(r() is not None for r in refs)  # saved for backward
        loss.backward()
        assert all(r() is None for r in refs)  # released by backward
        del loss
        assert mid_node() is None and root_node() is None  # no cycles: refcounting frees the graph
    finally:
        gc.enable()


def test_graph_is_freed_without_backward_and_without_gc():
    gc.disable()
    try:
        x = t(np.ones(4))
        y = xp.exp(xp.tanh(x) * x)
        y = y[1:] * y[:-1]
        node = weakref.ref(y.grad_fn)
        del y
        assert node() is None
        y = xp.exp(x)
        (g,) = autograd.grad(xp.sum(y), x, create_graph=True)  # double backward graphs too
        node = weakref.ref(g.grad_fn)
        del g, y
        assert node() is None
    finally:
        gc.enable()


def _tracked_count():
    gc.collect()
    return len(gc.get_objects())


def test_recorded_graphs_stay_off_the_cyclic_collector():
    """Nodes, their edges, metadata and saved records, and version counters need no cycle
    collector (refcounting frees graphs): where the core is compiled they are untracked, so
    a long graph costs the collector one object (the Tensor) per op, not ~14 (4000 recorded
    matmuls spent 40% of their time in full collections). The plain-Python build tracks
    them all, as Python tracks any object."""
    from arraygrad import _compiled

    w, y = xp.eye(4, requires_grad=True), xp.ones((1, 4))
    before = _tracked_count()
    ys = []
    for _ in range(300):
        y = y @ w * 1.5 + 1.0
        ys.append(y)
    grown = _tracked_count() - before
    if _compiled.is_compiled():
        assert not gc.is_tracked(y.grad_fn) and not gc.is_tracked(y.grad_fn.next)
        assert grown <= 3 * 300 + 50  # the three output tensors of each step
    else:
        assert grown > 3 * 300 * 4
    xp.sum(y).backward()
    np.testing.assert_allclose(w.grad.numpy(), w.grad.numpy())  # ran


def test_hooks_that_close_a_cycle_through_a_node_are_collected():
    """What user code hangs on a node can point back at the graph: such a node is tracked
    again, so the cycle is collected (PyTorch leaks all three)."""
    def nonleaf_hook():
        x = t(np.ones(3)); y = x * 2.0
        y.register_hook(lambda g: g * y.sum())
        return weakref.ref(y)

    def node_hook():
        x = t(np.ones(3)); y = xp.exp(x)
        y.grad_fn.register_hook(lambda gi, go: print(y))
        return weakref.ref(y)

    def node_prehook():
        x = t(np.ones(3)); y = xp.sin(x) + x
        y.grad_fn.register_prehook(lambda go: y and None)
        return weakref.ref(y)

    for make in (nonleaf_hook, node_hook, node_prehook):
        ref = make()
        gc.collect()
        assert ref() is None, make.__name__


def test_saved_tensor_hooks_that_close_a_cycle_are_collected():
    """Under saved_tensors_hooks a node's saved values are whatever pack returned: it stays
    tracked."""
    def make():
        with autograd.graph.saved_tensors_hooks(lambda a: a, lambda a: a):
            x = t(np.ones(3))
            y = xp.exp(x)  # saves its output: pack returns the tensor itself
            z = xp.sin(y)
        return weakref.ref(y), z

    ref, z = make()
    xp.sum(z).backward()
    del z
    gc.collect()
    assert ref() is None


def test_backward_with_create_graph_warns_of_the_grad_cycle_as_pytorch():
    """.grad's graph reads the leaf: a cycle that resetting .grad breaks (PyTorch's advice)."""
    from arraygrad._autograd import engine

    engine._GRAD_CYCLE_WARNED.clear()
    x = t(np.array([1.0, 2.0]))
    with pytest.warns(UserWarning, match="create_graph=True will create a reference cycle"):
        xp.sum(x * x * x).backward(create_graph=True)
    np.testing.assert_allclose(x.grad.detach().numpy(), [3.0, 12.0])
    node = weakref.ref(x.grad.grad_fn)
    x.grad = None
    assert node() is None  # refcounting frees it once the cycle is broken


def test_graph_hooks_do_not_break_a_later_backward():
    x = t(np.array([1.0, 2.0]))
    y = x * 3.0
    seen = []
    y.register_hook(lambda g: seen.append(g.numpy().copy()))
    y.grad_fn.register_hook(lambda gi, go: None)
    gc.collect()
    xp.sum(y * y).backward()
    np.testing.assert_allclose(x.grad.numpy(), [18.0, 36.0])
    np.testing.assert_allclose(seen[0], [6.0, 12.0])


def test_saves_only_what_backward_needs():
    """A 1000-op chain x * 1.0001 + 0.0001 on 1e5 float32 saves no intermediate: multiply by a
    Python scalar saves the scalar, add saves nothing."""
    n = 100_000
    x = xp.asarray(np.ones(n, dtype=np.float32), requires_grad=True)
    tracemalloc.start()
    try:
        y = x
        for _ in range(1000):
            y = y * 1.0001 + 0.0001
        current, peak = tracemalloc.get_traced_memory()
        xp.sum(y).backward()
        _, peak_backward = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    one = n * 4
    assert current < 6 * one, f"{current / one:.1f} tensors alive after the forward pass"
    assert peak < 8 * one and peak_backward < 10 * one
    np.testing.assert_allclose(npy(x.grad), np.full(n, 1.0001 ** 1000, dtype=np.float32), rtol=1e-4)
    del y


def test_reduction_saves_shape_not_input():
    x = t(np.ones(1000))
    h = x * 2
    ref = weakref.ref(h)
    y = xp.sum(h)
    del h
    assert ref() is None  # sum's rule reads only x's shape
    y.backward()
    np.testing.assert_allclose(npy(x.grad), np.full(1000, 2.0))


def test_second_backward_without_retain_graph_matches_pytorch():
    """Only nodes that saved inputs or outputs are freed: a graph that kept just shapes runs
    again (and accumulates), one that saved a tensor or scalar operand raises — as PyTorch."""
    import torch

    x, tx = xp.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)
    y, ty = xp.sum(x + 1), (tx + 1).sum()
    y.backward(); y.backward()
    ty.backward(); ty.backward()
    assert x.grad.tolist() == tx.grad.tolist() == [2.0, 2.0, 2.0]
    for f, tf in ((lambda: xp.sum(x * 2), lambda: (tx * 2).sum()),
                  (lambda: xp.sum(x * x), lambda: (tx * tx).sum())):
        z, tz = f(), tf()
        z.backward()
        tz.backward()
        with pytest.raises(RuntimeError, match="retain_graph=True"):
            z.backward()
        with pytest.raises(RuntimeError, match="retain_graph=True"):
            tz.backward()


@pytest.mark.parametrize("create_graph", [False, True])
def test_backward_does_not_warn_about_floating_point_errors(create_graph):
    """Rules compute both branches of a `where` and derivatives at poles are inf/nan by
    definition: the backward pass (first or higher order) is silent, as PyTorch's is."""
    import warnings

    x = xp.asarray([0.0, 1.0], requires_grad=True)
    e = xp.asarray([0.0, 2.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (xp.sqrt(x).sum() + (x ** e).sum()).backward(create_graph=create_graph)
    assert float(x.grad[0]) == float("inf") and float(e.grad[0]) == 0.0


def test_backward_and_grad_name_what_is_not_a_tensor():
    with pytest.raises(TypeError, match=r"outputs\[0\] must be a Tensor, got float"):
        autograd.grad([1.0], [xp.ones(2, requires_grad=True)])
    with pytest.raises(TypeError, match=r"tensors\[1\] must be a Tensor"):
        autograd.backward([xp.ones(1, requires_grad=True).sum(), "x"])


def test_assigning_grad_is_checked_like_torch():
    """A .grad of the wrong size, dtype, device or type raises (an optimizer step would
    otherwise broadcast it or fail later); None and a matching tensor are taken."""
    w = xp.ones((2,), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"gradient of size '\[3\]' to a tensor of size '\[2\]'"):
        w.grad = xp.ones((3,))
    with pytest.raises(RuntimeError, match="dtype"):
        w.grad = xp.ones((2,), dtype=xp.float64)
    with pytest.raises(TypeError, match="Tensor or None but got grad of type list"):
        w.grad = [1.0, 2.0]
    other = xp.ones((2,), device=xp.Device("cpu", None, "strict"))  # the test suite's 2nd CPU backend
    with pytest.raises(RuntimeError, match="backend='strict'.*same device"):
        w.grad = other
    w.grad = xp.full((2,), 3.0)
    (w * 2).sum().backward()
    assert w.grad.tolist() == [5.0, 5.0]  # accumulates into the assigned tensor
    w.grad = None
    assert w.grad is None


def test_grad_of_a_non_leaf_warns_unless_retained():
    import warnings

    a = xp.asarray([1.0, 2.0], requires_grad=True)
    b, c = a * 2, a * 3
    c.retain_grad()
    (b + c).sum().backward()
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert b.grad is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert c.grad.tolist() == [1.0, 1.0] and a.grad.tolist() == [5.0, 5.0]


@pytest.mark.parametrize("leaf", [True, False])
def test_hooks_must_return_a_gradient_like_the_one_given(leaf):
    """As PyTorch: a tensor hook that changes the gradient's size, dtype or kind raises
    (a (3,) gradient stored as a (2,) leaf's .grad would be a silent wrong result)."""
    for bad, error, match in [(lambda g: xp.ones(3), RuntimeError, "changed the size of value"),
                              (lambda g: xp.astype(g, xp.float64), RuntimeError, "changed the type"),
                              (lambda g: [1.0, 1.0], TypeError, "must return a Tensor or None")]:
        x = xp.ones(2, requires_grad=True)
        target = x if leaf else x * 2
        target.register_hook(bad)
        with pytest.raises(error, match=match):
            (target * 3).sum().backward()
    x = xp.ones(2, requires_grad=True)
    x.register_hook(lambda g: g * 10)  # a same-shaped replacement is taken
    (x * 3).sum().backward()
    assert x.grad.tolist() == [30.0, 30.0]


def test_implicit_gradient_needs_a_real_scalar_output():
    """As PyTorch: backward() of a complex scalar does not guess a gradient (which real
    function is meant is the caller's choice); gradient= or a real() of it works."""
    z = xp.asarray([1.0 + 2.0j, 3.0 - 1.0j], requires_grad=True)
    with pytest.raises(RuntimeError, match="real scalar outputs"):
        xp.sum(z * z).backward()
    xp.real(xp.sum(z * z)).backward()
    assert z.grad.tolist() == [2.0 - 4.0j, 6.0 + 2.0j]  # conj(2 z), PyTorch's convention


# ----- gradients of slices: summed in place, once per sliced tensor ---------------------------
torch = pytest.importorskip("torch")


def _both(values, requires_grad=True):
    a = np.asarray(values, dtype=np.float64)
    return xp.asarray(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad)


def _close(ours, theirs):
    np.testing.assert_allclose(np.asarray(ours.detach()), theirs.detach().numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("build", [
    lambda m, x: sum((i + 1) * (p * p).sum() for i, p in enumerate(m.unbind(x) if m is torch else m.unstack(x))),
    lambda m, x: (x * 2).sum() + x[0].sum() * 3 + (x[1:3] ** 2).sum() + x[-1, 1],  # dense and slices
    lambda m, x: sum(((x * 3)[i] * (x * 3)[i]).sum() for i in range(4)),  # slices of non-leaves
    lambda m, x: x[0].sum() + x[0, 1:].sum() + x[:, 0].sum() + x[..., None][2, 1, 0],  # overlapping
], ids=["unstack", "dense-and-slices", "non-leaf", "overlapping"])
def test_slice_gradients_match_torch(build):
    rng = np.random.default_rng(3)
    x, tx = _both(rng.standard_normal((4, 3)))
    build(xp, x).backward()
    build(torch, tx).backward()
    _close(x.grad, tx.grad)


def test_slice_gradients_into_a_multi_output_node_retain_graph_and_grad():
    rng = np.random.default_rng(4)
    a = rng.standard_normal((3, 3))
    x, tx = _both(a @ a.T + 3 * np.eye(3))
    vals, vecs = xp.linalg.eigh(x)
    tvals, tvecs = torch.linalg.eigh(tx)
    loss = vals[0] * 2 + vals[2] + vecs[:, 0].sum() ** 2 * 0 + vals[1:].sum()
    tloss = tvals[0] * 2 + tvals[2] + tvecs[:, 0].sum() ** 2 * 0 + tvals[1:].sum()
    loss.backward(retain_graph=True)
    loss.backward()  # the graph runs again: the slices' sums are fresh each time
    tloss.backward(retain_graph=True)
    tloss.backward()
    _close(x.grad, tx.grad)
    y, ty = _both(rng.standard_normal(5))
    (g,) = autograd.grad(y[1] * 3 + y[1:4].sum(), [y])
    (tg,) = torch.autograd.grad(ty[1] * 3 + ty[1:4].sum(), [ty])
    _close(g, tg)


def test_slice_gradients_with_hooks_and_create_graph():
    x, tx = _both([1.0, 2.0, 3.0])
    p, tp = x[1:], tx[1:]
    p.register_hook(lambda g: g * 10)
    tp.register_hook(lambda g: g * 10)
    (p.sum() + x[0] * 4).backward()
    (tp.sum() + tx[0] * 4).backward()
    _close(x.grad, tx.grad)
    z, tz = _both([1.0, 2.0, 3.0])
    (g,) = autograd.grad((z[0] * z[1] ** 3) + z[2:].sum() ** 2, [z], create_graph=True)
    (tg,) = torch.autograd.grad((tz[0] * tz[1] ** 3) + tz[2:].sum() ** 2, [tz], create_graph=True)
    _close(g, tg)
    g.sum().backward()
    tg.sum().backward()
    _close(z.grad, tz.grad)


def test_unstack_backward_fills_one_array_not_one_per_slice(monkeypatch):
    """Looping over a tensor's rows stays linear: the rows' gradients are written into one
    zero-filled array (a full-size array per row made unstacking a T-step sequence O(T^2))."""
    x = xp.ones((50, 8), requires_grad=True)
    loss = sum((r * i).sum() for i, r in enumerate(xp.unstack(x)))
    backend = x._backend
    zeros = backend.fn["zeros"]
    made = []
    monkeypatch.setitem(backend.fn, "zeros", lambda *a, **k: made.append(a) or zeros(*a, **k))
    loss.backward()
    assert len(made) == 1
    np.testing.assert_array_equal(np.asarray(x.grad), np.arange(50.0)[:, None] * np.ones((1, 8)))


def test_slice_gradients_on_every_backend(backend):
    """New axes in a key (x[None], x[..., None]) are not part of the write into the sum."""
    v = np.arange(6.0).reshape(2, 3)
    x = xp.asarray(v, device=backend.device, requires_grad=True)
    t = torch.tensor(v, requires_grad=True)
    (x[None, 0] * 2).sum().backward()
    ((x[..., None][1, :, 0] ** 2).sum() + x[:, 1].sum()).backward()
    (t[None, 0] * 2).sum().backward()
    ((t[..., None][1, :, 0] ** 2).sum() + t[:, 1].sum()).backward()
    np.testing.assert_allclose(np.asarray(x.grad.to_device("cpu")), t.grad.numpy())


def test_grad_runs_only_the_rules_leading_to_the_inputs_asked_for():
    """PyTorch's grad_input_mask: grad(out, [b]) computes no gradient for another input `a`
    of the same op (here gammainc's a-rule, which raises as torch's, is never reached)."""
    a = xp.asarray([1.0, 2.0], requires_grad=True)
    b = xp.asarray([1.0, 2.0], requires_grad=True)
    ta, tb = torch.tensor([1.0, 2.0], requires_grad=True), torch.tensor([1.0, 2.0], requires_grad=True)
    (g,) = autograd.grad(xp.special.gammainc(a, b).sum(), [b])
    (tg,) = torch.autograd.grad(torch.special.gammainc(ta, tb).sum(), [tb])
    np.testing.assert_allclose(np.asarray(g), tg.numpy(), rtol=1e-6)
    with pytest.raises(NotImplementedError, match="gammainc"):
        autograd.grad(xp.special.gammainc(a, b).sum(), [a])
    calls = []
    w = xp.asarray([1.0, 2.0], requires_grad=True)
    w.register_hook(lambda g: calls.append(g))
    (g,) = autograd.grad((a * w).sum(), [a])  # w's gradient is not made, so its hook never runs
    assert calls == [] and np.asarray(g).tolist() == [1.0, 2.0]


def test_grad_wrt_an_intermediate_stops_there():
    """autograd.grad(out, h) captures h's gradient and goes no further (PyTorch): running
    h's node freed what it saved, so a later backward through h failed."""
    x = t(np.array([1.0, 2.0]))
    h = xp.exp(x)
    calls = []
    h.grad_fn.register_hook(lambda gi, go: calls.append("post"))
    (g,) = autograd.grad(xp.sum(h * h), h)
    np.testing.assert_allclose(g.numpy(), 2 * np.exp([1.0, 2.0]))
    assert calls == [] and x.grad is None
    xp.sum(h).backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([1.0, 2.0]))
    assert calls == ["post"]
    # a target below another target still gets its gradient through it
    h = xp.exp(x)
    gh, gx = autograd.grad(xp.sum(xp.sin(h)), (h, x))
    np.testing.assert_allclose(gx.numpy(), np.cos(np.exp([1.0, 2.0])) * np.exp([1.0, 2.0]))


def test_grad_with_batched_grad_outputs_gives_one_gradient_per_row():
    """grad(is_grads_batched=True): a Jacobian in one call, as PyTorch's (there by vmap)."""
    import torch

    def run(L):
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        (jac,) = L.autograd.grad(x ** 2, x, L.eye(3), is_grads_batched=True)
        z = L.tensor([0.5], requires_grad=True)
        gx, gz = L.autograd.grad((x * z).sum(0, keepdim=True), (x, z), L.tensor([[1.0], [2.0]]),
                                 is_grads_batched=True)
        return jac.tolist(), gx.tolist(), gz.tolist()

    assert run(xp) == run(torch)
    x = t(np.array([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="batch sizes differ"):
        autograd.grad([x * 2, x * 3], x, [xp.ones((2, 2)), xp.ones((3, 2))], is_grads_batched=True)
    (empty,) = autograd.grad(x * 2, x, xp.ones((0, 2)), is_grads_batched=True)
    assert tuple(empty.shape) == (0, 2)


def test_hook_results_are_checked_as_pytorch():
    """A node pre-hook returning the wrong number of gradients or a changed dtype, and a
    post-accumulate-grad hook returning anything, raise (they were used or dropped silently)."""
    import torch

    def run(L):
        out = []
        for case in ("count", "dtype", "scaled"):
            x = L.tensor([1.0, 2.0], requires_grad=True)
            y = x * 3
            hook = {"count": lambda go: (go[0], go[0]), "dtype": lambda go: (go[0].double(),),
                    "scaled": lambda go: (go[0] * 10,)}[case]
            y.grad_fn.register_prehook(hook)
            try:
                y.sum().backward()
                out.append(x.grad.tolist())
            except RuntimeError:
                out.append("RuntimeError")
        p = L.ones(2, requires_grad=True)
        p.register_post_accumulate_grad_hook(lambda t: t * 2)
        try:
            (p * 2).sum().backward()
            out.append("ok")
        except RuntimeError as exc:
            out.append("should return None" in str(exc))
        return out

    assert run(xp) == run(torch) == ["RuntimeError", "RuntimeError", [30.0, 30.0], True]


def test_accumulate_grad_nodes_are_one_per_leaf_with_pytorchs_hooks():
    """The gradient-bucketing idiom p.expand_as(p).grad_fn.next_functions[0][0]: the same
    AccumulateGrad while it is held, pre-hooks (may replace the gradient) and post-hooks
    ((), (gradient,)) around the accumulation, removable."""
    import torch

    def run(L):
        log = []
        p = L.ones(2, requires_grad=True)
        acc = p.expand_as(p).grad_fn.next_functions[0][0]
        same = acc is p.expand_as(p).grad_fn.next_functions[0][0]
        acc.register_hook(lambda gi, go: log.append(("post", gi, go[0].tolist(), p.grad.tolist())))
        acc.register_prehook(lambda go: log.append(("pre", go[0].tolist())))
        (p * 3).sum().backward()
        handle = acc.register_prehook(lambda go: (go[0] * 10,))
        (p * 3).sum().backward()
        handle.remove()
        (p * 3).sum().backward()
        return type(acc).__name__, same, acc.next_functions, acc.variable is p, log, p.grad.tolist()

    assert run(xp) == run(torch)
    p = t(np.array([1.0]))
    acc = p.expand_as(p).grad_fn.next_functions[0][0]
    acc.register_prehook(lambda go: (go[0], go[0]))
    with pytest.raises(RuntimeError, match="incorrect number of values"):
        (p * 2).sum().backward()
