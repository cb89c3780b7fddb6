"""The conventions at the points where a function is not differentiable (ties, kinks, zeros,
poles) and the dtype / shape contracts of gradients: PyTorch 2.13's choices, case by case.
test_gradients.py checks every function away from these points."""

from __future__ import annotations

import math

import numpy as np
import pytest

import arraygrad as xp

torch = pytest.importorskip("torch")
tp = pytest.importorskip("array_api_compat.torch")


def _leaf(ns, v, dtype):
    a = np.array(v, dtype=dtype)
    if ns is xp:
        return xp.asarray(a, requires_grad=a.dtype.kind in "fc")
    t = torch.from_numpy(a.copy())
    return t.requires_grad_(a.dtype.kind in "fc")


def compare(fn, *values, torch_fn=None, dtype=np.float64, cotangent=None):
    """fn(ns, *leaves) with arraygrad and with PyTorch: the same values and gradients
    (NaN where PyTorch has NaN)."""
    ours = [_leaf(xp, v, dtype) for v in values]
    theirs = [_leaf(torch, v, dtype) for v in values]
    out = fn(xp, *ours)
    tout = (torch_fn or fn)(tp, *theirs)
    tout_np = tout.detach().resolve_conj().numpy()
    np.testing.assert_allclose(np.asarray(out.detach()), tout_np, rtol=1e-12, equal_nan=True)
    v = np.ones(tuple(tout.shape)) if cotangent is None else np.array(cotangent)
    v = v.astype(tout_np.dtype)
    diff = [i for i, t in enumerate(theirs) if t.requires_grad]
    got = xp.autograd.grad(out, [ours[i] for i in diff], xp.asarray(v), allow_unused=True)
    want = torch.autograd.grad(tout, [theirs[i] for i in diff], torch.from_numpy(v), allow_unused=True,
                               materialize_grads=True)
    for i, g, w in zip(diff, got, want):
        w = w.resolve_conj().numpy()
        g = np.zeros(w.shape, w.dtype) if g is None else np.asarray(g)
        assert g.dtype == w.dtype, f"input {i}: gradient dtype {g.dtype}, PyTorch {w.dtype}"
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-15, equal_nan=True,
                                   err_msg=f"gradient of input {i}")


# ----- ties and kinks ------------------------------------------------------------------------------
@pytest.mark.parametrize("fname", ["max", "min"])
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
def test_max_min_split_ties_evenly(fname, axis):
    v = [[1.0, 3.0, 3.0], [3.0, -1.0, 3.0]] if fname == "max" else [[-1.0, 2.0, -1.0], [-1.0, -1.0, 0.5]]
    compare(lambda ns, x: getattr(ns, fname)(x, axis=axis, keepdims=True), v)
    compare(lambda ns, x: getattr(ns, fname)(x, axis=axis), v)


@pytest.mark.parametrize("fname", ["maximum", "minimum"])
def test_maximum_minimum_ties_share_the_gradient(fname):
    compare(lambda ns, a, b: getattr(ns, fname)(a, b), [1.0, 2.0, 3.0], [1.0, 0.0, 3.0])
    compare(lambda ns, a, b: getattr(ns, fname)(a, b), [[1.0], [2.0]], [2.0, 1.0])  # broadcasting


def test_clip_at_and_between_bounds():
    compare(lambda ns, x: ns.clip(x, -1.0, 1.0), [-2.0, -1.0, 0.0, 1.0, 2.0])
    compare(lambda ns, x, lo, hi: ns.clip(x, lo, hi), [-2.0, -1.0, 0.0, 1.0, 2.0],
            [-1.0, -1.0, -1.0, -1.0, -1.0], [1.0, 1.0, 1.0, 1.0, 1.0],
            torch_fn=lambda ns, x, lo, hi: torch.clamp(x, lo, hi))
    # min > max: every element becomes max, whose gradient it is (PyTorch's clamp)
    compare(lambda ns, x, lo, hi: ns.clip(x, lo, hi), [-2.0, 0.5, 3.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0],
            torch_fn=lambda ns, x, lo, hi: torch.clamp(x, lo, hi))
    compare(lambda ns, x, lo: ns.clip(x, lo), [-2.0, 0.5, 3.0], [1.0, 0.5, 1.0],
            torch_fn=lambda ns, x, lo: torch.clamp(x, min=lo))
    compare(lambda ns, x, hi: ns.clip(x, max=hi), [-2.0, 0.5, 3.0], [1.0, 0.5, 1.0],
            torch_fn=lambda ns, x, hi: torch.clamp(x, max=hi))


def test_abs_sqrt_and_friends_at_zero():
    compare(lambda ns, x: ns.abs(x), [-1.0, 0.0, 2.0])
    compare(lambda ns, x: ns.sqrt(x), [0.0, 4.0])  # inf at 0
    compare(lambda ns, x: ns.abs(x), [0j, 3 + 4j], dtype=np.complex128)
    compare(lambda ns, x: ns.sign(x), [0j, 3 + 4j, -1j], dtype=np.complex128,
            torch_fn=lambda ns, x: torch.sgn(x))
    compare(lambda ns, a, b: ns.hypot(a, b), [0.0, 3.0], [0.0, 4.0])
    compare(lambda ns, a, b: ns.atan2(a, b), [0.0, 1.0], [0.0, -1.0])
    compare(lambda ns, a, b: ns.copysign(a, b), [0.0, -2.0, 3.0], [-1.0, 1.0, -0.0],
            torch_fn=lambda ns, a, b: torch.copysign(a, b.detach()))


def test_pow_at_zero():
    compare(lambda ns, x, y: ns.pow(x, y), [0.0, 0.0, 0.0, 2.0, 0.0], [0.0, 2.0, 0.5, 0.0, -1.0])
    compare(lambda ns, y: ns.pow(0.0, y), [0.0, 1.0, -1.0], torch_fn=lambda ns, y: torch.pow(0.0, y))
    compare(lambda ns, x: ns.pow(x, 0.0), [0.0, 1.5])
    compare(lambda ns, x: ns.pow(x, 2.0), [0.0, -1.5])
    compare(lambda ns, y: ns.pow(0.0, y), [0.0, 1.0, 2.0], torch_fn=lambda ns, y: torch.pow(0.0, y))
    compare(lambda ns, x: x ** 3, [-2.0, 0.0])


def test_std_var_at_zero_spread():
    compare(lambda ns, x: ns.std(x), [1.5])  # PyTorch: 0, not 0/0
    compare(lambda ns, x: ns.std(x, axis=0), [[1.0, 2.0], [1.0, 3.0]])
    compare(lambda ns, x: ns.var(x, correction=1), [1.0, 2.0, 4.0])


def test_prod_and_cumulative_prod_with_zeros():
    for v in ([2.0, 0.0, 3.0], [0.0, 0.0, 3.0], [[1.0, 0.0], [2.0, 3.0]], [[0.0, 0.0], [0.0, 5.0]]):
        compare(lambda ns, x: ns.prod(x), v)
        compare(lambda ns, x: ns.prod(x, axis=0), v)
        compare(lambda ns, x: ns.cumulative_prod(x, axis=0), v,
                torch_fn=lambda ns, x: torch.cumprod(x, dim=0))


def test_cumulative_prod_double_backward_with_zeros():
    for v in ([2.0, 0.0, 3.0, 0.0], [0.0, 1.5]):
        x, tx = _leaf(xp, v, np.float64), _leaf(torch, v, np.float64)
        (g,) = xp.autograd.grad(xp.sum(xp.cumulative_prod(x) ** 2), x, create_graph=True)
        (tg,) = torch.autograd.grad((torch.cumprod(tx, 0) ** 2).sum(), tx, create_graph=True)
        (gg,) = xp.autograd.grad(xp.sum(g * xp.asarray([1.0, -2.0, 0.5, 3.0][:len(v)])), x)
        (tgg,) = torch.autograd.grad((tg * torch.tensor([1.0, -2.0, 0.5, 3.0][:len(v)])).sum(), tx)
        np.testing.assert_allclose(np.asarray(gg), tgg.numpy(), rtol=1e-12)


def test_sort_with_ties_follows_the_stable_permutation():
    compare(lambda ns, x: ns.sort(x), [2.0, 1.0, 2.0, 1.0], cotangent=[1.0, 2.0, 3.0, 4.0],
            torch_fn=lambda ns, x: torch.sort(x, stable=True).values)
    compare(lambda ns, x: ns.sort(x, descending=True), [2.0, 1.0, 2.0, 1.0], cotangent=[1.0, 2.0, 3.0, 4.0],
            torch_fn=lambda ns, x: torch.sort(x, stable=True, descending=True).values)


def test_where_does_not_leak_nan_from_the_other_branch():
    compare(lambda ns, x: ns.where(x > 0, ns.sqrt(ns.abs(x)), 0.0), [4.0, 0.0, -1.0])


def test_remainder_and_floor_divide():
    compare(lambda ns, a, b: ns.remainder(a, b), [5.5, -5.5, 3.0], [2.0, 2.0, -2.5])
    compare(lambda ns, a: ns.remainder(a, 1.5), [5.5, -5.5])
    x = xp.asarray([5.5], requires_grad=True)
    assert not xp.floor_divide(x, 2.0).requires_grad  # piecewise constant: not differentiable


def test_indexing_accumulates_repeated_positions():
    idx = [0, 2, 0, 0]
    compare(lambda ns, x: x[ns.asarray(idx)], [1.0, 2.0, 3.0], cotangent=[1.0, 2.0, 3.0, 4.0])
    compare(lambda ns, x: ns.take(x, ns.asarray(idx)), [1.0, 2.0, 3.0], cotangent=[1.0, 2.0, 3.0, 4.0])
    compare(lambda ns, x: ns.take_along_axis(x, ns.asarray([[0, 0], [1, 0]]), axis=1),
            [[1.0, 2.0], [3.0, 4.0]], cotangent=[[1.0, 2.0], [3.0, 4.0]])
    compare(lambda ns, x: x[x > 1.5], [1.0, 2.0, 3.0], cotangent=[5.0, 7.0])


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
def test_repeated_rows_accumulate_on_every_path(dtype):
    """Gathered rows (x[rows], take along the first axis, Embedding): the NumPy backend's
    flat-position scatter-add (negative rows, narrow index dtypes, rows of any rank)."""
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((6, 2, 3))
    rows = np.array([1, 5, 1, 0, 1] + ([-1, -6] if dtype != "uint8" else [5, 0]), dtype=dtype)
    g = rng.standard_normal((len(rows), 2, 3))
    want = np.zeros_like(x0)
    np.add.at(want, rows.astype(np.int64) % 6, g)
    for fn in (lambda x, r: x[r], lambda x, r: xp.take(x, r, axis=0)):
        x = xp.asarray(x0, requires_grad=True)
        fn(x, xp.asarray(rows)).backward(xp.asarray(g))
        np.testing.assert_allclose(np.asarray(x.grad), want, rtol=1e-14)


def test_repeat_with_counts():
    compare(lambda ns, x: ns.repeat(x, ns.asarray([2, 0, 3]), axis=0), [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]],
            cotangent=np.arange(10.0).reshape(5, 2))


# ----- complex conventions ------------------------------------------------------------------------------
Z = [1 + 2j, -0.5 + 0.3j, 2 - 1j]


@pytest.mark.parametrize("fname", ["real", "imag", "conj", "abs", "exp", "log", "sqrt", "square",
                                   "reciprocal", "tanh", "acosh", "asinh", "atanh"])
def test_complex_elementwise_against_pytorch(fname):
    v = [1.0, 2.0, 3.0] if fname in ("real", "imag", "abs") else [0.5 + 0.2j, -1.0 + 1.0j, 2.0 - 3.0j]
    compare(lambda ns, z: getattr(ns, fname)(z), Z, dtype=np.complex128, cotangent=v)


def test_real_input_complex_output():
    compare(lambda ns, x: ns.exp(x * 1j), [0.3, -1.0], cotangent=[1 + 1j, 2 - 0.5j],
            torch_fn=lambda ns, x: torch.exp(x * 1j))
    compare(lambda ns, x: ns.astype(x, ns.complex128) * (1 - 2j), [0.3, -1.0], cotangent=[1 + 1j, 2 - 0.5j])


def test_complex_reductions_and_matmul():
    compare(lambda ns, z: ns.sum(z * ns.conj(z)), Z, dtype=np.complex128, cotangent=1 - 1j)
    compare(lambda ns, z: ns.prod(z), Z, dtype=np.complex128, cotangent=0.5 + 2j)
    compare(lambda ns, a, b: ns.matmul(a, b), [[1 + 1j, 2j], [3.0, -1j]], [[0.5, 1 - 1j], [2 + 2j, 1.0]],
            dtype=np.complex128, cotangent=[[1.0, 1j], [2.0, -1.0]])
    compare(lambda ns, a, b: ns.vecdot(a, b), Z, [1j, 2.0, 1 - 1j], dtype=np.complex128, cotangent=1 + 0.5j)


# ----- gradients have their inputs' dtype and shape ---------------------------------------------------
def test_gradient_dtypes_follow_the_inputs():
    a = xp.asarray(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    b = xp.asarray(np.array([3.0, 4.0]), requires_grad=True)
    xp.sum(a * b).backward()
    assert a.grad.dtype == xp.float32 and b.grad.dtype == xp.float64
    r = xp.asarray(np.array([1.0, 2.0]), requires_grad=True)
    z = xp.asarray(np.array([1j, 2.0]), requires_grad=True)
    xp.sum(xp.abs(r * z)).backward()
    assert r.grad.dtype == xp.float64 and z.grad.dtype == xp.complex128


def test_broadcast_gradients_sum_to_the_input_shape():
    compare(lambda ns, a, b, c: a * b + c, [[1.0], [2.0]], [3.0, 4.0, 5.0], 2.0)


def test_python_scalars_on_either_side():
    compare(lambda ns, x: 2.0 ** x, [0.5, -1.0])
    compare(lambda ns, x: 1.0 / x, [0.5, -1.0])
    compare(lambda ns, x: 3.0 - x * 2, [0.5, -1.0])
    compare(lambda ns, x: x ** 0.5, [0.5, 4.0])


def test_empty_and_zero_dimensional_inputs():
    compare(lambda ns, x: ns.sum(x), np.zeros((0, 3)))
    compare(lambda ns, x: ns.mean(x, axis=0), np.zeros((0, 3)))
    compare(lambda ns, x: ns.exp(x) * x, 1.5)
    compare(lambda ns, x: ns.prod(x, axis=1), np.zeros((2, 0)))


def test_mean_of_integers_is_not_differentiable_and_float_reductions_are():
    assert not xp.mean(xp.asarray([1, 2])).requires_grad
    compare(lambda ns, x: ns.mean(x, axis=(0, 1), keepdims=True), [[1.0, 2.0], [3.0, 4.0]])


def test_matrix_power_zero_does_not_depend_on_its_input():
    if not hasattr(xp.linalg, "matrix_power"):
        pytest.skip("no linalg.matrix_power yet")
    x = xp.asarray(np.eye(2) * 3, requires_grad=True)
    assert math.isclose(float(xp.sum(xp.linalg.matrix_power(x, 2))), 18.0)
