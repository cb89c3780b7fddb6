"""In-place operations and views under autograd, with PyTorch's semantics (PyTorch 2.13 as
the oracle), and the NumPy bridge: memory shared outside arraygrad never yields a silently
wrong gradient."""

from __future__ import annotations

import numpy as np
import pytest

import arraygrad as xp

torch = pytest.importorskip("torch")


def t(values, requires_grad=True, dtype=np.float64):
    return xp.asarray(np.array(values, dtype=dtype), requires_grad=requires_grad)


def npy(x):
    return np.asarray(x.detach())


def both(fn, *values):
    """Run fn(ns, *leaves) with arraygrad and with torch; return both leaves' gradients."""
    ours = [t(v) for v in values]
    theirs = [torch.tensor(np.array(v, dtype=np.float64), requires_grad=True) for v in values]
    out = fn(xp, *ours)
    tout = fn(torch, *theirs)
    np.testing.assert_allclose(npy(out), tout.detach().numpy(), rtol=1e-12)
    xp.sum(out * out).backward()
    (tout * tout).sum().backward()
    for a, b in zip(ours, theirs):
        want = np.zeros(b.shape) if b.grad is None else b.grad.numpy()
        got = np.zeros(tuple(a.shape)) if a.grad is None else npy(a.grad)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


# ----- in-place ops on non-leaves --------------------------------------------------------------
def test_augmented_assignments_on_non_leaves():
    def f(ns, x, w):
        y = x * 2
        y += w
        y *= 3
        y -= x
        y /= 2
        y **= 2
        return y

    both(f, [1.0, -2.0, 0.5], [0.3, 0.1, -1.0])


def test_in_place_ops_whose_derivative_reads_the_overwritten_input():
    """y *= w, y /= w, y **= p need y's old values (PyTorch saves self cloned); y *= y still
    raises in both (the other operand is the overwritten tensor)."""
    def f(ns, x, w):
        y = x * 1
        y *= w
        y /= w * w
        y **= w
        y = y + 0
        y -= w
        return y

    both(f, [1.5, 2.0, 0.5], [0.7, 1.2, -0.4])
    x = t([1.0, 2.0])
    y = x * 1
    y *= y
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        xp.sum(y).backward()


def test_in_place_elementwise_methods_read_the_original_values():
    from arraygrad._inplace import inplace_apply

    x = t([0.3, 1.1, -0.8])
    y = x * 1
    inplace_apply(y, xp.sin, "sin_")
    inplace_apply(y, xp.exp, "exp_")
    xp.sum(y).backward()
    v = np.array([0.3, 1.1, -0.8])
    np.testing.assert_allclose(npy(x.grad), np.exp(np.sin(v)) * np.cos(v))


def test_in_place_with_the_value_requiring_grad_into_a_constant():
    def f(ns, x):
        y = ns.zeros(3, dtype=ns.float64) if ns is xp else torch.zeros(3, dtype=torch.float64)
        y += x * x
        y[1] = x[0] * 5
        return y

    both(f, [1.0, 2.0, 3.0])


def test_setitem_on_non_leaves():
    def f(ns, x, v):
        y = x * 1
        y[0] = v[1]
        y[1:3] = v[:2] * 2
        y[-1:] = 7.0
        return y

    both(f, [1.0, 2.0, 3.0, 4.0], [10.0, 20.0, 30.0])


def test_setitem_with_masks_and_integer_arrays():
    def f(ns, x, v):
        y = x * 1
        mask = y > 2.0
        y[mask] = v[0] * 3
        y[ns.asarray([0, 1]) if ns is xp else torch.tensor([0, 1])] = v[1:] * v[1:]
        return y

    both(f, [1.0, 2.0, 3.0, 4.0], [1.5, -2.0, 0.5])


def test_setitem_overwrites_history_of_the_written_region():
    x = t([1.0, 2.0, 3.0])
    y = x * 10
    y[:] = 1.0  # every element now constant: still in the graph (PyTorch), with zero gradient
    assert y.requires_grad
    xp.sum(y).backward()
    np.testing.assert_allclose(npy(x.grad), [0.0, 0.0, 0.0])
    x.grad = None
    y = x * 10
    y[1] = 1.0
    xp.sum(y).backward()
    np.testing.assert_allclose(npy(x.grad), [10.0, 0.0, 10.0])


# ----- the rules PyTorch enforces --------------------------------------------------------------
def test_in_place_on_a_leaf_requiring_grad_raises():
    x = t([1.0, 2.0])
    for op in (lambda: x.__iadd__(1.0), lambda: x.__imul__(2.0), lambda: x.__setitem__(0, 5.0)):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            op()
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        v = x[1:]
        v += 1
    np.testing.assert_allclose(npy(x), [1.0, 2.0])


def test_in_place_on_a_leaf_is_fine_without_grad():
    w = t([1.0, 2.0])
    xp.sum(w * w).backward()
    with xp.no_grad():
        w -= 0.1 * w.grad  # an optimizer step
        w[0] = 0.5
    np.testing.assert_allclose(npy(w), [0.5, 1.6])
    assert w.requires_grad and w.is_leaf and w._version == 2


@pytest.mark.parametrize("grad_mode", ["no_grad", "enabled"])
def test_in_place_into_read_only_memory_says_how_to_get_around_it(grad_mode):
    # a broadcast view is read-only: the error names the cause and the fix, nothing is written
    base = xp.asarray(np.array([1.0, 2.0]))
    view = xp.broadcast_to(base, (3, 2))
    ctx = xp.no_grad() if grad_mode == "no_grad" else xp.enable_grad()
    with ctx, pytest.raises(ValueError, match=r"read-only.*clone\(\)"):
        view -= xp.ones((3, 2), dtype=xp.float64)
    with ctx, pytest.raises(ValueError, match=r"read-only.*clone\(\)"):
        view.mul_(2.0)
    np.testing.assert_array_equal(npy(base), [1.0, 2.0])
    assert base._version == 0


@pytest.mark.parametrize("write", ["iadd", "setitem", "view", "base", "detach"])
def test_modifying_a_saved_tensor_makes_backward_raise(write):
    x = t([1.0, 2.0, 3.0])
    h = x * 1
    saved = h[1:] if write == "base" else h
    y = xp.sum(saved * saved)  # multiply saves both operands
    if write == "iadd":
        h += 1
    elif write == "setitem":
        h[0] = 5.0
    elif write == "view":
        v = h[:2]
        v *= 2
    elif write == "base":
        h[...] = 0.0  # saved is a view of h
    else:
        h.detach()[0] = 9.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_modifying_a_saved_output_makes_backward_raise():
    x = t([0.5, 1.0])
    for f in (xp.exp, xp.tanh, xp.sqrt, lambda a: a / 3.0 if False else xp.reciprocal(a)):
        y = f(x)
        loss = xp.sum(y)
        y *= 2
        with pytest.raises(RuntimeError, match="output 0 of"):
            loss.backward()


def test_in_place_after_backward_is_fine():
    x = t([1.0, 2.0])
    h = x * 1
    y = xp.sum(h * h)
    y.backward()
    h += 1  # nothing needs h any more
    np.testing.assert_allclose(npy(x.grad), [2.0, 4.0])


# ----- writes through views reach their base (CopySlices) ----------------------------------------
VIEW_CASES = {
    "slice": lambda ns, y: y[1:3],
    "step": lambda ns, y: y[::2],
    "int": lambda ns, y: y[2],
    "reshape": lambda ns, y: ns.reshape(y, (2, 2)) if ns is xp else y.reshape(2, 2),
    "view of view": lambda ns, y: (ns.reshape(y, (2, 2)) if ns is xp else y.reshape(2, 2))[:, 1],
    "expand_dims": lambda ns, y: ns.expand_dims(y, axis=0) if ns is xp else y.unsqueeze(0),
    "flip": lambda ns, y: ns.flip(y) if ns is xp else y.flip(0),
}


@pytest.mark.parametrize("case", sorted(VIEW_CASES))
def test_write_through_a_view_reaches_the_base(case):
    view = VIEW_CASES[case]
    if case == "flip":
        view = VIEW_CASES["slice"]  # torch.flip copies; our flip is a view (checked below)

    def f(ns, x, w):
        y = x * 1
        v = view(ns, y)
        v *= w[0]
        v += w[1]
        return y

    both(f, [1.0, 2.0, 3.0, 4.0], [3.0, -1.0])


def test_write_through_flip_and_transpose_views():
    x = t([[1.0, 2.0], [3.0, 4.0]])
    y = x * 1
    xp.flip(y, axis=0)[0, 0] = 100.0  # y[1, 0]
    y.mT[0, 1] *= 2  # y[1, 0] again
    np.testing.assert_allclose(npy(y), [[1.0, 2.0], [200.0, 4.0]])
    xp.sum(y * y).backward()
    np.testing.assert_allclose(npy(x.grad), [[2.0, 4.0], [0.0, 8.0]])


def test_write_of_a_grad_requiring_value_into_a_view_of_a_constant():
    x = t([1.0, 2.0])
    base = xp.zeros(4, dtype=xp.float64)
    v = base[1:3]
    v += x * x
    assert base.requires_grad and v.requires_grad
    xp.sum(base * xp.asarray([1.0, 2.0, 3.0, 4.0], dtype=xp.float64)).backward()
    np.testing.assert_allclose(npy(x.grad), [2 * 1.0 * 2.0, 2 * 2.0 * 3.0])


def test_view_sees_the_base_written_after_it_was_taken():
    def f(ns, x):
        y = x * 1
        v = y[1:]
        y[2] = x[0] * 10  # written through the base: the view's values and history follow
        return v * 1

    both(f, [1.0, 2.0, 3.0])


def test_nested_views_follow_writes_to_their_base():
    def f(ns, x):
        y = x * 1
        m = ns.reshape(y, (2, 3)) if ns is xp else y.reshape(2, 3)
        row = m[1]
        cell = row[1:]
        y[4] = x[0] * 7  # under both views
        return cell * row[0]

    both(f, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])


def test_rows_of_unstack_after_a_write_to_the_matrix():
    x = t([[1.0, 2.0], [3.0, 4.0]])
    y = x * 1
    rows = xp.unstack(y)
    y[1, 1] = x[0, 0] * 100
    xp.sum(rows[1] * rows[1]).backward()
    np.testing.assert_allclose(npy(x.grad), [[2 * 100 * 100, 0.0], [6.0, 0.0]])


# ----- the NumPy bridge: shared memory, uncounted writes ----------------------------------------
def test_write_through_numpy_after_save_keeps_the_forward_values():
    """PyTorch gives [200, 200, 200] here (the saved x was overwritten); arraygrad snapshots
    storages exported while saved tensors need them, so the gradient is the forward's."""
    x = t([1.0, 2.0, 3.0])
    y = xp.sum(x * x)
    x.detach().numpy()[:] = 100 if hasattr(x, "numpy") else None
    np.asarray(x.detach())[:] = 100
    y.backward()
    np.testing.assert_allclose(npy(x.grad), [2.0, 4.0, 6.0])
    np.testing.assert_allclose(npy(x), [100.0, 100.0, 100.0])  # the write itself happened

    tx = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    ty = (tx * tx).sum()
    tx.detach().numpy()[:] = 100
    ty.backward()
    np.testing.assert_allclose(tx.grad.numpy(), [200.0, 200.0, 200.0])  # PyTorch: silently wrong


@pytest.mark.parametrize("export", ["asarray", "from_dlpack", "shared at creation", "twice"])
def test_writes_through_exported_memory_never_corrupt_gradients(export):
    arr = np.array([1.0, 2.0, 3.0])
    if export == "shared at creation":
        x = xp.asarray(arr)  # shares arr's memory
        x.requires_grad_(True)
        y = xp.sum(x * x)
        outside = arr
    else:
        x = t([1.0, 2.0, 3.0])
        if export == "twice":
            np.asarray(x.detach())  # an earlier export, then the save, then a new export
        y = xp.sum(x * x)
        outside = np.asarray(x.detach()) if export in ("asarray", "twice") else np.from_dlpack(x.detach())
    outside[:] = 100.0
    y.backward()
    np.testing.assert_allclose(npy(x.grad), [2.0, 4.0, 6.0])


def test_every_one_of_many_saves_of_one_storage_gets_the_export_snapshot():
    # 40 live records of x (their list is compacted at 16 and 32 saves): each must still
    # be found and snapshotted when x's memory is exported
    x = t([1.0, 2.0, 3.0])
    y = xp.sum(xp.stack([x * x for _ in range(40)]))
    np.asarray(x.detach())[:] = 100.0
    y.backward()
    np.testing.assert_allclose(npy(x.grad), 40 * np.array([2.0, 4.0, 6.0]))


def test_saved_output_exported_then_written():
    x = t([0.0, 1.0])
    y = xp.exp(x)  # exp saves its output
    loss = xp.sum(y)
    np.asarray(y.detach())[:] = -1.0
    loss.backward()
    np.testing.assert_allclose(npy(x.grad), np.exp([0.0, 1.0]))


def test_in_place_write_by_arraygrad_on_exported_memory_still_raises():
    x = t([1.0, 2.0])
    np.asarray(x.detach())  # exported
    h = x * 1
    y = xp.sum(h * h)
    h += 1  # counted: version check, not a snapshot
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_tensor_requiring_grad_cannot_be_exported():
    x = t([1.0])
    with pytest.raises(RuntimeError, match="detach"):
        np.asarray(x)
    with pytest.raises(BufferError, match="detach"):
        x.__dlpack__()


@pytest.mark.parametrize("write", [lambda b: b.__iadd__(1.5), lambda b: b.add_(1.5),
                                   lambda b: b.mul_(xp.asarray([0.5, 0.5]))], ids=["iadd", "add_", "mul_"])
def test_in_place_cast_errors_name_the_op_and_the_dtypes(write):
    # NumPy's casting error (a TypeError subclass) gives way to PyTorch's rule, which refuses
    # float into int: the error names the op and both dtypes, and nothing is written
    b = xp.asarray([1, 2])
    with pytest.raises(TypeError, match=r"(add|multiply): result type arraygrad\.float\d+ can't be cast .*int64"):
        write(b)
    np.testing.assert_array_equal(npy(b), [1, 2])
    assert b._version == 0


def test_a_reshape_that_copies_is_not_a_view():
    # NumPy returns a copy's view when the layout forces a copy: not a view of the input, so
    # writes into it are allowed (a leaf's copy is no leaf) and do not reach the input
    def fn(ns, a):
        b = a.T.contiguous() if ns is xp else a.t().contiguous()
        b[0].mul_(2.0)
        return b * 1.0

    both(fn, [[1.0, 2.0], [3.0, 4.0]])  # values and gradients as PyTorch's
    x = xp.reshape(xp.arange(6.0), (2, 3))
    y = xp.reshape(x.T, (6,))  # a copy
    y[0] = 100.0
    assert float(x[0, 0]) == 0.0 and y._base is None
    assert xp.reshape(x, (3, 2))._base is not None  # a true view stays one


@pytest.mark.parametrize("make", ["slice", "reshape", "view_of_view", "leaf_view"])
def test_in_place_write_to_a_view_made_under_no_grad_is_refused_as_pytorch(make):
    """A view made under no_grad of a tensor in a graph, written in place with grad mode
    back on, is ambiguous (is the write part of the graph?): PyTorch refuses it; arraygrad
    treated the view as constant and gave a.grad = [0, 1]. Inside no_grad it stays allowed."""
    import torch

    def run(L):
        a = L.tensor([1.0, 2.0], requires_grad=True)
        w = L.tensor([3.0], requires_grad=True)
        x = a * 1
        with L.no_grad():
            v = {"slice": lambda: x[:1], "reshape": lambda: x.reshape(2)[:1],
                 "view_of_view": lambda: x[:2][:1], "leaf_view": lambda: a[:1]}[make]()
        try:
            v.mul_(w)
            return "ok"
        except RuntimeError as exc:
            return "created in no_grad mode" in str(exc)

    assert run(xp) == run(torch) is True
    a = xp.asarray([1.0, 2.0], requires_grad=True)
    x = a * 1
    with xp.no_grad():
        v = x[:1]
        v.mul_(5.0)
    xp.sum(x).backward()
    np.testing.assert_allclose(a.grad.numpy(), [1.0, 1.0])
    np.testing.assert_allclose(x.detach().numpy(), [5.0, 2.0])
