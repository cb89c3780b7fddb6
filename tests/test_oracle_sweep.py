"""Regressions found by a randomized PyTorch-oracle sweep: each test runs the same call
through arraygrad and torch and compares values, dtypes, shapes and gradients."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import arraygrad as ag

torch = pytest.importorskip("torch")


def _np(t):
    if isinstance(t, torch.Tensor):
        return t.detach().resolve_conj().numpy()
    return np.asarray(t.detach())


def _same(a, t, rtol=1e-6, atol=1e-8):
    """arraygrad result `a` equals torch result `t` (shape, dtype name, values)."""
    assert tuple(a.shape) == tuple(t.shape)
    assert str(a.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    np.testing.assert_allclose(_np(a), _np(t), rtol=rtol, atol=atol)


def _both(fn, *arrays):
    """fn(lib, *tensors) for both libraries, with the gradient of a weighted sum of the output
    with respect to the float inputs: [(out, grads) for arraygrad, for torch]."""
    results = []
    for lib in (ag, torch):
        ins = [lib.tensor(a.copy(), requires_grad=a.dtype.kind == "f") for a in arrays]
        out = fn(lib, *ins)
        w = lib.tensor(np.random.default_rng(0).standard_normal(tuple(out.shape)).astype(_np(out).dtype))
        leaves = [i for i in ins if i.requires_grad]
        grads = lib.autograd.grad((out * w).sum(), leaves) if out.requires_grad else []
        results.append((out, grads))
    return results


def _check(fn, *arrays):
    (a, ga), (t, gt) = _both(fn, *arrays)
    _same(a, t)
    if not ga and all(not _np(g).any() for g in gt):
        return  # not differentiable in arraygrad (docs/autograd.md); PyTorch's zero gradient
    assert len(ga) == len(gt)
    for x, y in zip(ga, gt):
        _same(x, y)


X = np.random.default_rng(1).standard_normal((4, 3, 5))


# ----- indexing: integers apart from index tensors are selections first (PyTorch) -----------
@pytest.mark.parametrize("key", [
    lambda L: (0, slice(None), [0, 0, 1]),
    lambda L: (L.tensor(1), slice(None), L.tensor([2, 0])),
    lambda L: (0, None, slice(None), [1, 2]),
    lambda L: (-1, Ellipsis, L.tensor([[0], [4]])),
    lambda L: (1, slice(1, 3), L.tensor([True, False, True, True, False])),
    lambda L: (np.int64(2), slice(None), [1, 2]),
], ids=["int-slice-list", "0d-slice-tensor", "int-None-slice", "int-ellipsis-2d", "int-slice-mask",
        "numpy-int"])
def test_getitem_int_then_separated_index_tensor(key):
    _check(lambda L, x: x[key(L)] * 2, X)


def test_setitem_int_then_separated_index_tensor():
    def f(L, x, v):
        y = x * 1
        y[0, :, [0, 1]] = v.sin()  # (3, 2) in PyTorch's reading, (2, 3) in NumPy's
        y[1, None, :, L.tensor([3, 4])] = 7.0
        return y * x
    _check(f, X, np.random.default_rng(2).standard_normal((3, 2)))


def test_ellipsis_of_no_axes_between_index_tensors():
    # `...` naming no axis does not separate the index tensors around it (PyTorch)
    _check(lambda L, x: x[:, L.tensor([1, -1]), ..., L.tensor([-1, 0, 2])[:2]], X)


# ----- printing: the dtype suffix wraps where PyTorch's does ------------------------------------
def test_repr_suffix_wraps_as_pytorch():
    a = np.array([[[446624.7977, -382167.3031, -203277.2969]],
                  [[-945475.7748, -214635.6203, -700574.5431]]])
    assert repr(ag.tensor(a)) == repr(torch.tensor(a)).replace("torch.", "arraygrad.")


# ----- fft: PyTorch's spelling (positional n / dim / norm, norm=None, dim=, the 2-D forms) ------
def test_fft_pytorch_spelling():
    x = np.random.default_rng(3).standard_normal((3, 6))
    for name, args, kw in [("rfft", (4, 0), {"norm": None}), ("irfft", (10,), {"dim": -1, "norm": "ortho"}),
                           ("ifft", (), {"norm": None}), ("hfft", (5, 0, None), {}), ("fft", (None, 0), {})]:
        _check(lambda L, x: L.stack([getattr(L.fft, name)(x, *args, **kw).real,
                                     getattr(L.fft, name)(x, *args, **kw).imag], -1)
               if name not in ("irfft", "hfft") else getattr(L.fft, name)(x, *args, **kw), x)
    for name in ("fft2", "ifft2", "rfft2"):
        _check(lambda L, x: getattr(L.fft, name)(x, norm="forward").abs(), x)
    _check(lambda L, x: L.fft.irfft2(L.fft.rfft2(x), s=(3, 6)), x)
    _check(lambda L, x: L.fft.fftn(x, (4, 4), (0, 1)).real, x)
    _check(lambda L, x: L.fft.fftshift(x, dim=-1), x)
    _same(ag.fft.fftfreq(5, 0.5), torch.fft.fftfreq(5, 0.5))


# ----- linalg: PyTorch's norm, vector_norm / matrix_norm spelling, solve(left=), eigh(UPLO=) ----
@pytest.mark.parametrize("call", [
    lambda L, a: L.linalg.norm(a),
    lambda L, a: L.linalg.norm(a, 3, dim=-1),
    lambda L, a: L.linalg.norm(a, "fro", dim=(0, 2), keepdim=True),
    lambda L, a: L.linalg.norm(a[0], float("inf")),
    lambda L, a: L.linalg.norm(a[0, 0], 1),
    lambda L, a: L.linalg.vector_norm(a, 1.5, (0, -1), True),
    lambda L, a: L.linalg.vector_norm(a.float(), dim=1, dtype=L.float64),
    lambda L, a: L.linalg.matrix_norm(a, "nuc"),
    lambda L, a: L.linalg.matrix_norm(a, 1, dim=(2, 0), keepdim=True),
], ids=["norm", "norm-ord-dim", "norm-fro-dims", "norm-2d-inf", "norm-1d-1", "vector_norm-positional",
        "vector_norm-dim-dtype", "matrix_norm-nuc", "matrix_norm-dim"])
def test_linalg_norms_pytorch_spelling(call):
    _check(call, X)


def test_linalg_solve_left_false_and_eigh_uplo():
    rng = np.random.default_rng(4)
    a = rng.standard_normal((2, 3, 3)) + 3 * np.eye(3)
    b = rng.standard_normal((2, 4, 3))
    _check(lambda L, a, b: L.linalg.solve(a, b, left=False), a, b)
    s = a @ a.transpose(0, 2, 1)
    upper_only = np.triu(s) + np.tril(rng.standard_normal((2, 3, 3)), -1)  # the lower part is noise
    _check(lambda L, s: L.linalg.eigh(s, UPLO="U").eigenvalues, upper_only)
    _check(lambda L, s: L.linalg.eigvalsh(s, UPLO="U"), upper_only)
    _check(lambda L, a, b: L.linalg.multi_dot([a[0], b[0].T, b[1]]), a, b)


# ----- maximum / minimum: a NaN on either side gives both inputs the gradient (PyTorch) -------
@pytest.mark.parametrize("name", ["maximum", "minimum", "max", "min"])
def test_maximum_minimum_gradient_with_nan(name):
    a = np.array([1.0, np.nan, 2.0, -np.inf, 0.0, 3.0])
    b = np.array([np.nan, np.nan, 1.0, -np.inf, -0.0, 4.0])
    _check(lambda L, a, b: getattr(L, name)(a, b), a, b)


# ----- utils.data: batches of (x, y) samples are lists; Python floats batch as float64 ---------
def _structure(obj):
    """Containers and tensors of a batch as comparable values (tensor -> dtype name, values)."""
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [_structure(o) for o in obj])
    if isinstance(obj, dict):
        return {k: _structure(v) for k, v in obj.items()}
    if isinstance(obj, (ag.Tensor, torch.Tensor)):
        return (str(obj.dtype).split(".")[-1], _np(obj).tolist())
    return obj


def test_dataloader_batches_like_pytorch():
    X = np.arange(12, dtype=np.float32).reshape(6, 2)

    def batches(L):
        D = L.utils.data
        samples = [(float(i) / 2, i, np.full(2, i, dtype=np.float32), {"k": (i, True)}) for i in range(5)]
        return [list(D.DataLoader(D.TensorDataset(L.tensor(X), L.tensor(X[:, 0])), batch_size=4)),
                list(D.DataLoader(D.TensorDataset(L.tensor(X)), batch_size=2, sampler=[5, 0, 3])),
                list(D.DataLoader(D.TensorDataset(L.tensor(X)), batch_sampler=[[1, 2], [0]])),
                list(D.DataLoader(samples, batch_size=3)),
                list(D.DataLoader(samples[:2], batch_size=None)),
                D.default_collate([(1.5, 2), (2.5, 3)])]
    assert _structure(batches(ag)) == _structure(batches(torch))


def test_iterable_dataset():
    def run(L):
        D = L.utils.data

        class Stream(D.IterableDataset):
            def __iter__(self):
                return iter([(i, float(i)) for i in range(5)])

        out = [list(D.DataLoader(Stream(), batch_size=2)),
               list(D.DataLoader(Stream(), batch_size=2, drop_last=True)),
               list(D.DataLoader(Stream(), batch_size=None))]
        with pytest.raises(TypeError):
            len(D.DataLoader(Stream(), batch_size=2))
        with pytest.raises(ValueError):
            D.DataLoader(Stream(), shuffle=True)
        return out
    assert _structure(run(ag)) == _structure(run(torch))


# ----- x[key] = python float into an integer / bool tensor converts, as PyTorch ----------------
def test_setitem_float_into_integer_and_bool_tensors():
    def run(L):
        a = L.tensor([1, 2, 3, 4])
        a[0] = 2.7
        a[1:3] = -2.7
        a[a > 3] = 0.5
        b = L.zeros(3, dtype=L.bool)
        b[0] = 2.5
        b[1] = 0.0
        with pytest.raises(RuntimeError):
            a[0] = float("nan")
        return [a, b]
    assert _structure(run(ag)) == _structure(run(torch))


# ----- count_nonzero: PyTorch's dim (positional or keyword) ------------------------------------
def test_count_nonzero_dim():
    x = np.array([[0.0, 1.0, 2.0], [0.0, 0.0, 3.0]])
    for call in (lambda L, t: L.count_nonzero(t, dim=0), lambda L, t: L.count_nonzero(t, 1),
                 lambda L, t: L.count_nonzero(t, dim=(0, 1)), lambda L, t: t.count_nonzero(0)):
        _same(call(ag, ag.tensor(x)), call(torch, torch.tensor(x)))


# ----- diff(dim=), searchsorted(right=, out_int32=, N-D boundaries): PyTorch's spelling ---------
def test_diff_dim_and_searchsorted_pytorch_spelling():
    rng = np.random.default_rng(5)
    v = rng.standard_normal((2, 3, 4))
    _check(lambda L, v: L.diff(v, 1, 0) + 0, v)
    _check(lambda L, v: L.diff(v, dim=-2, append=v[:, :1]), v)
    _check(lambda L, v: L.diff(v, n=2, dim=2, prepend=v[..., :1]), v)
    s = np.sort(rng.standard_normal((2, 3, 5)), -1)
    for call in (lambda L, s, v: L.searchsorted(s, v),
                 lambda L, s, v: L.searchsorted(s, v, right=True, out_int32=True),
                 lambda L, s, v: L.searchsorted(s[0, 0], v, right=True),
                 lambda L, s, v: L.searchsorted(s[1, 2], v, side="right")):
        _same(call(ag, ag.tensor(s), ag.tensor(v)), call(torch, torch.tensor(s), torch.tensor(v)))


# ----- linalg: solve_triangular, vander, cond; failures raise linalg.LinAlgError (RuntimeError) -
def test_linalg_solve_triangular_vander_cond():
    rng = np.random.default_rng(6)
    a = rng.standard_normal((2, 3, 3)) + 3 * np.eye(3)
    b = rng.standard_normal((2, 3, 4))
    _check(lambda L, a, b: L.linalg.solve_triangular(a, b, upper=True), a, b)
    _check(lambda L, a, b: L.linalg.solve_triangular(a, b, upper=False, unitriangular=True), a, b)
    _check(lambda L, a, b: L.linalg.solve_triangular(a, b.mT, upper=False, left=False), a, b)
    _check(lambda L, x: L.linalg.vander(x[0, 0]), a)
    _check(lambda L, x: L.linalg.vander(x[0], N=4), a)
    for p in (None, 2, -2):
        _check(lambda L, a: L.linalg.cond(a, p), a)
    for p in ("fro", "nuc", 1, float("inf")):  # torch's own backward fails here: values only
        _same(ag.linalg.cond(ag.tensor(a), p), torch.linalg.cond(torch.tensor(a), p))


@pytest.mark.parametrize("call", [lambda L: L.linalg.inv(L.zeros(2, 2)),
                                  lambda L: L.linalg.cholesky(-L.eye(2)),
                                  lambda L: L.linalg.solve(L.zeros(2, 2), L.ones(2))],
                         ids=["inv", "cholesky", "solve"])
def test_linalg_errors_are_linalgerror(call):
    for L in (ag, torch):
        with pytest.raises(L.linalg.LinAlgError) as info:
            call(L)
        assert isinstance(info.value, RuntimeError)


# ----- x[key] = values of the wrong shape: RuntimeError, as PyTorch ----------------------------
@pytest.mark.parametrize("key", [0, slice(None), (slice(None), [0, 2]),
                                 "mask"], ids=["int", "slice", "advanced", "mask"])
def test_setitem_shape_mismatch_is_runtime_error(key):
    for L in (ag, torch):
        x = L.zeros(4, 3, 5)
        k = (x[..., 0] == 0) if key == "mask" else key
        with pytest.raises(RuntimeError):
            x[k] = L.ones(7)


# ----- torch.std / torch.var with an explicit dim=None are PyTorch's spelling (N - 1) ------------
def test_std_var_explicit_dim_none():
    x = np.array([[1.0, 2.0, 4.0], [0.5, -1.0, 3.0]])
    for call in (lambda L, t: L.std(t, dim=None), lambda L, t: L.var(t, None),
                 lambda L, t: L.var(t, dim=None, keepdim=True), lambda L, t: L.std(t, None, False)):
        _check(call, x)


# ----- creation: PyTorch's keywords (size=, n=/m=, start=/end=/step=) ----------------------------
@pytest.mark.parametrize("call", [
    lambda L: L.zeros(size=(2, 3)), lambda L: L.ones(size=[2], dtype=L.int64),
    lambda L: L.empty(size=(2, 0)).shape, lambda L: L.full(size=(2,), fill_value=3.0),
    lambda L: L.eye(3, m=2), lambda L: L.eye(n=2, dtype=L.float64),
    lambda L: L.arange(start=0, end=5, step=2), lambda L: L.arange(end=3.0),
    lambda L: L.linspace(start=-1, end=1, steps=5),
], ids=["zeros", "ones", "empty", "full", "eye-m", "eye-n", "arange", "arange-end", "linspace"])
def test_creation_pytorch_keywords(call):
    a, t = call(ag), call(torch)
    if isinstance(t, torch.Size):
        assert tuple(a) == tuple(t)
    else:
        _same(a, t)


# ----- bool() / float() / int() of a tensor with several elements: PyTorch's exception types ----
@pytest.mark.parametrize("conv, exc", [(bool, RuntimeError), (float, ValueError), (int, ValueError),
                                       (complex, ValueError)])
@pytest.mark.parametrize("n", [0, 2])
def test_scalar_conversion_errors(conv, exc, n):
    for L in (ag, torch):
        with pytest.raises(exc):
            conv(L.ones(n))
    with pytest.raises(TypeError):  # still a TypeError, as NumPy's
        conv(ag.ones(n))


# ----- tensordot(dims=), nonzero(as_tuple=): PyTorch's spelling ----------------------------------
def test_tensordot_dims_and_nonzero_as_tuple():
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 3, 5))
    _check(lambda L, a, b: L.tensordot(a, b, dims=([1, 2], [1, 0])), a, b)
    _check(lambda L, a, b: L.tensordot(a, b, 1), a, b)
    _check(lambda L, a, b: L.tensordot(a[0], b[:, :, 0].T, dims=2), a, b)
    m = a > 0.3
    _same(ag.nonzero(ag.tensor(m), as_tuple=False), torch.nonzero(torch.tensor(m), as_tuple=False))
    for x, y in zip(ag.nonzero(ag.tensor(m), as_tuple=True), torch.nonzero(torch.tensor(m), as_tuple=True)):
        _same(x, y)


# ----- tril / triu take PyTorch's diagonal (positional or keyword); tile dims=, broadcast_to size=,
# moveaxis source=/destination= --------------------------------------------------------------------
def test_tril_triu_diagonal_and_shape_keywords():
    x = np.random.default_rng(8).standard_normal((2, 4, 4))
    for call in (lambda L, x: L.triu(x, 1), lambda L, x: L.tril(x, -1), lambda L, x: L.triu(x, diagonal=2),
                 lambda L, x: L.tril(x, diagonal=0), lambda L, x: L.tile(x, dims=(1, 2)),
                 lambda L, x: L.broadcast_to(x[:1], size=(3, 4, 4)),
                 lambda L, x: L.moveaxis(x, source=0, destination=-1)):
        _check(call, x)
    _same(ag.triu(ag.ones(3, 3), 1).bool(), torch.triu(torch.ones(3, 3), 1).bool())  # causal masks


# ----- round(decimals=) and out= on the unary functions: PyTorch's spelling ------------------------
def test_round_decimals_and_unary_out():
    x = np.array([1.2345, -2.5, 0.5, 1.5, 123.456, -0.049])
    for d in (0, 1, 2, -1):
        _check(lambda L, x: L.round(x, decimals=d), x)
    for L in (ag, torch):
        o = L.empty(6, dtype=L.float64)
        r = L.exp(L.tensor(x), out=o)
        assert r is o
    _same(ag.exp(ag.tensor(x), out=ag.empty(6, dtype=ag.float64)), torch.exp(torch.tensor(x)))


# ----- linalg's named results print as PyTorch's torch.return_types ---------------------------------
@pytest.mark.parametrize("name", ["slogdet", "eigh", "qr", "svd", "eig"])
def test_linalg_result_repr(name):
    x = np.array([[3.0, 1.0], [1.0, 5.0]])
    a = repr(getattr(ag.linalg, name)(ag.tensor(x)))
    t = repr(getattr(torch.linalg, name)(torch.tensor(x)))
    assert a == t.replace("torch.", "arraygrad.")


def test_xlogy_python_scalar_is_weak_median_nan_and_random_size_keyword():
    """xlogy(int tensor, 1.88) kept the float (it was cast to int: log(1) = 0); median of a
    slice with a NaN is NaN (the gradient to the NaNs), as PyTorch's; rand(size=...)."""
    import arraygrad as ag

    assert np.allclose(np.asarray(ag.xlogy(ag.tensor([2]), 1.88)), torch.xlogy(torch.tensor([2]), 1.88).numpy())
    assert np.allclose(np.asarray(ag.xlogy(2, ag.tensor([1.88]))), torch.xlogy(2, torch.tensor([1.88])).numpy())
    assert ag.xlogy(ag.ones(2, dtype=ag.float16), 3.0).dtype == ag.float16
    for v in ([1.0, float("nan"), 2.0], [float("nan")] * 3, [3.0, 1.0, 2.0, 5.0]):
        x, t = ag.tensor(v, requires_grad=True), torch.tensor(v, requires_grad=True)
        ours, theirs = x.median(), t.median()
        ours.backward()
        theirs.backward()
        np.testing.assert_array_equal(np.asarray(ours.detach()), theirs.detach().numpy())
        np.testing.assert_allclose(np.asarray(x.grad), t.grad.numpy())
    m = [[1.0, float("nan"), 0.5], [1.0, 2.0, 3.0]]
    x, t = ag.tensor(m, requires_grad=True), torch.tensor(m, requires_grad=True)
    ours, theirs = ag.median(x, 1), torch.median(t, 1)
    np.testing.assert_array_equal(np.asarray(ours.values.detach()), theirs.values.detach().numpy())
    np.testing.assert_array_equal(np.asarray(ours.indices), theirs.indices.numpy())
    ours.values.sum().backward()
    theirs.values.sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad), t.grad.numpy())
    assert tuple(ag.rand(size=(2, 3)).shape) == (2, 3) and tuple(ag.randn(size=[4]).shape) == (4,)
    with pytest.raises(TypeError, match="both positionally and as size="):
        ag.rand(2, size=(2,))


# ----- the eleventh session's sweep: elementwise edge values --------------------------------
def _grads(lib, fn, *values, dtype="float64"):
    ins = [lib.tensor(np.asarray(v, dtype=dtype), requires_grad=True) for v in values]
    out = fn(lib, *ins)
    return out, lib.autograd.grad(out.sum(), ins)


def _agree(fn, *values, dtype="float64"):
    """fn's value and gradients (of its sum) agree between arraygrad and torch, NaN included."""
    import arraygrad as ag

    (a, ga), (t, gt) = (_grads(lib, fn, *values, dtype=dtype) for lib in (ag, torch))
    np.testing.assert_array_equal(np.asarray(a.detach()), t.detach().numpy())
    for x, y in zip(ga, gt):
        np.testing.assert_allclose(np.asarray(x), y.numpy(), rtol=1e-12, equal_nan=True)


def test_fmod_exact_and_its_gradient():
    """fmod was x - trunc(x / y) * y: nan for an infinite divisor, 0 once the quotient passed
    2**53; now the backend's fmod (exact), PyTorch's gradient."""
    import arraygrad as ag

    _agree(lambda L, x, y: L.fmod(x, y), [1.0, 1e17, 1e300, -5.5, 5.5, -7.0, -0.0, 3.0],
           [np.inf, 3.0, 7.0, 2.0, -2.0, 3.0, 2.0, 1.5])
    assert ag.fmod(ag.tensor([1.5, -1.5], dtype=ag.float32), 1.0).dtype == ag.float32
    np.testing.assert_array_equal(np.asarray(ag.fmod(ag.tensor([-7, 7, -8]), 3)), [-1, 1, -2])


def test_fmod_generic_matches_numpy():
    """The generic fmod (backends without one: the standard has none) from remainder."""
    import array_api_strict as strict

    from arraygrad._torch_api import _fmod_generic

    a = [1.0, 1e17, 1e300, -5.5, 5.5, -7.0, 0.0, -0.0, np.inf, np.nan, 3.0, -4.0, 4.0]
    b = [np.inf, 3.0, 7.0, 2.0, -2.0, 3.0, 2.0, 2.0, 2.0, 1.0, 0.0, 2.0, -2.0]
    with np.errstate(invalid="ignore"):
        got = np.asarray(_fmod_generic(strict, strict.asarray(a), strict.asarray(b)))
        want = np.fmod(a, b)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def test_floor_divide_keeps_float32_next_to_an_infinity():
    import arraygrad as ag

    x = ag.tensor(np.array([1.0, np.inf, -np.inf, 3.0], dtype=np.float32))
    for out in (x // 2, ag.floor_divide(x, 2.0), -1.5 // x, ag.floor_divide(ag.ones(4), x)):
        assert out.dtype == ag.float32


def test_logaddexp_gradient_at_infinities():
    """exp(x - ans) was exp(inf - inf) = nan; PyTorch's logistic of the difference is 1 or 0."""
    vals = [np.inf, 1.0, -np.inf, 5.0, -800.0, 800.0]
    others = [1.0, np.inf, 3.0, -np.inf, 800.0, -800.0]
    _agree(lambda L, x, y: L.logaddexp(x, y), vals, others)
    _agree(lambda L, x, y: L.logaddexp2(x, y), vals, others)


def test_pow_gradients_at_nan_base_and_negative_scalar_base():
    _agree(lambda L, x, y: L.pow(x, y), [np.nan, 2.0, 0.0, -1.0], [0.0, 0.0, 0.0, 2.0])
    _agree(lambda L, y: (-1.5) ** y, [2.0, 3.0])  # a real power of a negative base: nan
    _agree(lambda L, y: 1.5 ** y, [2.0, 3.0])


def test_fmax_fmin_gradients_follow_pytorch():
    """Ties and NaN pairs go to the first input (PyTorch), not split as maximum's."""
    nan = np.nan
    for name in ("fmax", "fmin"):
        _agree(lambda L, x, y: getattr(L, name)(x, y), [1.0, nan, nan, 2.0, 3.0, -1.0],
               [1.0, nan, 1.0, nan, 5.0, -4.0])


# ----- linear algebra ---------------------------------------------------------------------
def test_det_gradient_of_rank_deficient_matrices():
    """The cofactor matrix from a separate solve lost all accuracy next to a singular matrix
    (det = rounding noise above the old absolute threshold), or raised; ill-conditioned
    matrices take the SVD adjugate now. The reference is the cofactor matrix from the minors
    (PyTorch's own gradient there depends on its LAPACK build: 0 on some machines)."""
    import arraygrad as ag
    from test_linalg import cofactors

    for seed in range(40):
        rng = np.random.default_rng(seed)
        n = int(rng.integers(2, 7))
        a = 10.0 ** int(rng.integers(0, 4)) * rng.standard_normal((n, n - 1)) @ rng.standard_normal((n - 1, n))
        x = ag.asarray(a, requires_grad=True)
        ag.linalg.det(x).backward()
        want = cofactors(a)
        np.testing.assert_allclose(np.asarray(x.grad), want, rtol=1e-6, atol=1e-9 * np.abs(want).max())


def test_det_second_order_on_a_mixed_batch_matches_finite_differences():
    """One regular and one singular matrix: the gradient of |grad det|^2 (PyTorch's own is
    off by ~1e4 at the singular one)."""
    import arraygrad as ag

    rng = np.random.default_rng(5)
    a = np.stack([rng.standard_normal((3, 3)) + 3 * np.eye(3),
                  10 * rng.standard_normal((3, 2)) @ rng.standard_normal((2, 3))])

    def grad_norm2(m):
        x = ag.asarray(m, requires_grad=True)
        g, = ag.autograd.grad(ag.linalg.det(x).sum(), x, create_graph=True)
        return x, (g * g).sum()

    x, f = grad_norm2(a)
    gg, = ag.autograd.grad(f, x)
    fd = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        plus, minus = a.copy(), a.copy()
        plus[idx] += 1e-6
        minus[idx] -= 1e-6
        fd[idx] = (float(grad_norm2(plus)[1]) - float(grad_norm2(minus)[1])) / 2e-6
    np.testing.assert_allclose(np.asarray(gg), fd, rtol=1e-5, atol=1e-4)


# ----- indexing, reductions ----------------------------------------------------------------
@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("key", [
    lambda L: True, lambda L: False, lambda L: (Ellipsis, True), lambda L: (True, 0),
    lambda L: (True, True), lambda L: (slice(None), True), lambda L: (True, slice(None), None),
    lambda L: (Ellipsis, L.tensor(True)), lambda L: (0, Ellipsis, True), lambda L: (0, slice(None), True),
    lambda L: (1, Ellipsis, L.tensor(True)), lambda L: (True, Ellipsis, 1)])
def test_python_bool_keys_are_zero_d_masks(ndim, key):
    """x[True] was read as the int 1's basic index (a view whose gradient was lost: zeros);
    a 0-d mask after `...` on 1-D input broke backward."""
    shape = (2, 3, 4)[3 - ndim:]
    data = np.arange(float(np.prod(shape))).reshape(shape)
    results = []
    for lib in (__import__("arraygrad"), torch):
        x = lib.tensor(data, requires_grad=True)
        try:
            y = x[key(lib)]
        except IndexError:
            results.append("IndexError")
            continue
        w = lib.tensor(np.arange(1.0, 1 + np.prod(tuple(y.shape))).reshape(tuple(y.shape)))
        g, = lib.autograd.grad((y * w).sum(), x)
        results.append((tuple(y.shape), np.asarray(y.detach()).tolist(), np.asarray(g).tolist()))
    assert results[0] == results[1]


def test_clamp_takes_numpy_scalar_bounds():
    import arraygrad as ag

    x = ag.asarray([-1.0, 0.5, 2.0])
    np.testing.assert_array_equal(np.asarray(x.clamp(min=np.float64(0.0))), [0.0, 0.5, 2.0])
    np.testing.assert_array_equal(np.asarray(ag.clamp(x, np.int64(0), np.float32(1.0))), [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(np.asarray(x.clamp_max(np.float64(1))), [-1.0, 0.5, 1.0])


def test_std_second_derivative_where_the_spread_is_zero():
    """The discarded 0/0 of the first derivative made the second nan; PyTorch's is 0."""
    import arraygrad as ag

    for lib in (ag, torch):
        x = lib.tensor([[1.5, 1.5], [2.0, 4.0]], dtype=lib.float64, requires_grad=True)
        g, = lib.autograd.grad(lib.std(x, dim=1, unbiased=False).sum(), x, create_graph=True)
        gg, = lib.autograd.grad((g * g).sum() + g.sum(), x)
        assert np.isfinite(np.asarray(gg.detach())).all()
        np.testing.assert_allclose(np.asarray(gg.detach()), 0.0, atol=1e-12)


# ----- nn.functional ----------------------------------------------------------------------
def test_max_pool_sends_a_nan_windows_gradient_to_its_last_nan():
    """NaN equals nothing: such windows lost their gradient. PyTorch's kernel (and the
    indices return_indices gives) pick the window's last NaN; padding is never picked."""
    import arraygrad as ag

    rng = np.random.default_rng(0)
    for trial in range(60):
        h, w = (int(v) for v in rng.integers(2, 7, 2))
        x = rng.standard_normal((1, 2, h, w))
        x[rng.random(x.shape) < 0.25] = np.nan
        x[rng.random(x.shape) < 0.1] = -np.inf
        k = int(rng.integers(1, min(h, w) + 1))
        args = (k, int(rng.integers(1, 3)), int(rng.integers(0, k // 2 + 1)))
        weights = None
        out = []
        for lib in (ag, torch):
            t = lib.tensor(x, requires_grad=True)
            y, i = lib.nn.functional.max_pool2d(t, *args, ceil_mode=bool(trial % 2), return_indices=True)
            if weights is None:
                weights = rng.standard_normal(tuple(y.shape))
            g, = lib.autograd.grad((y * lib.tensor(weights)).sum(), t)
            out.append((np.asarray(y.detach()), np.asarray(i), np.asarray(g)))
        for a, b in zip(*out):
            np.testing.assert_allclose(a, b, equal_nan=True)
    for lib in (ag, torch):  # 1-D and 3-D share the 2-D backward
        x = lib.tensor([[[1.0, np.nan, 3.0, 2.0]]], requires_grad=True)
        lib.nn.functional.max_pool1d(x, 2).sum().backward()
        assert np.asarray(x.grad).tolist() == [[[0.0, 1.0, 1.0, 0.0]]]


def test_shrink_functions_keep_nan():
    """softshrink and hardshrink turned NaN into 0. (PyTorch's gradients at NaN differ between
    its float32 and float64 kernels: compared without NaN.)"""
    import arraygrad as ag

    vals = [2.0, -2.0, 0.3, -0.3, 0.5, -0.5, np.inf, -np.inf, 0.0]
    for name in ("softshrink", "hardshrink"):
        _agree(lambda L, x: getattr(L.nn.functional, name)(x), vals)
        out = getattr(ag.nn.functional, name)(ag.tensor([np.nan, 1.0]))
        assert np.isnan(np.asarray(out)[0])


def test_linear_interpolation_copies_an_axis_that_keeps_its_size():
    """PyTorch's linear kernels copy such an axis whatever the scale factor (1.3 on 3 pixels:
    3 out); arraygrad resampled it at 1 / 1.3."""
    import arraygrad as ag

    rng = np.random.default_rng(0)
    for mode, shape, sf in [("linear", (1, 2, 3), 1.3), ("bilinear", (1, 1, 5, 3), (3, 1.3)),
                            ("trilinear", (1, 1, 2, 3, 4), (3, 1.3, 1.2)), ("bilinear", (1, 1, 7, 7), (1.1, 2.0))]:
        x = rng.standard_normal(shape)
        out = [lib.nn.functional.interpolate(lib.tensor(x), scale_factor=sf, mode=mode, align_corners=False)
               for lib in (ag, torch)]
        np.testing.assert_allclose(np.asarray(out[0]), out[1].numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="greater than 0"):
        ag.nn.functional.interpolate(ag.ones((1, 1, 3)), size=0, mode="linear")


def test_logdet_of_complex_matrices_and_matrix_exp_of_empty_batches():
    import arraygrad as ag

    a = np.array([[2 + 1j, 0.5], [0.3j, 1 - 1j]])
    results = []
    for lib in (ag, torch):
        x = lib.tensor(a, requires_grad=True)
        y = lib.logdet(x)
        g, = lib.autograd.grad(y.real + 2 * y.imag, x)
        results.append((complex(y.detach()), np.asarray(g)))
    assert np.isclose(results[0][0], results[1][0])
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)
    assert tuple(ag.linalg.matrix_exp(ag.zeros((0, 3, 3))).shape) == (0, 3, 3)


def test_pinv_atol_and_hermitian_and_qr_mode_r_as_pytorch():
    import arraygrad as ag

    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4, 2)) @ rng.standard_normal((3, 2, 4))
    a[1] *= 1e-3
    for kw in ({}, {"atol": 0.5}, {"atol": 1e-2, "rtol": 0.3}, {"rtol": 0.2}):
        x, t = ag.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        ours, theirs = ag.linalg.pinv(x, **kw), torch.linalg.pinv(t, **kw)
        np.testing.assert_allclose(np.asarray(ours.detach()), theirs.detach().numpy(), atol=1e-10)
        ours.sum().backward()
        theirs.sum().backward()
        np.testing.assert_allclose(np.asarray(x.grad), t.grad.numpy(), atol=1e-8)
    sym = a[0] + a[0].T
    np.testing.assert_allclose(np.asarray(ag.linalg.pinv(ag.tensor(sym), hermitian=True)),
                               torch.linalg.pinv(torch.tensor(sym), hermitian=True).numpy(), atol=1e-10)
    q, r = ag.linalg.qr(ag.tensor(a[0]), mode="r")
    assert tuple(q.shape) == (0,)
    np.testing.assert_allclose(np.asarray(r), np.asarray(ag.linalg.qr(ag.tensor(a[0])).R))


def test_reciprocal_of_complex_zero_is_one_over_it():
    import arraygrad as ag

    v = [0j, complex(np.inf, 0), 1 + 1j, complex(0, -0.0)]
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(np.asarray(ag.reciprocal(ag.tensor(v))), 1 / np.asarray(v))


def test_sinc_derivatives_near_zero():
    """The quotient's derivatives were 0/0 at 0 (second derivative 0, not -pi^2/3) and nan
    for subnormal x; the Taylor series takes |x| < 1e-3."""
    import math

    import arraygrad as ag

    x = ag.tensor([0.0, 5e-324, 1e-8, 9.99e-4, 1.001e-3, 0.3, -2.5], dtype=ag.float64, requires_grad=True)
    y = ag.sinc(x)
    g, = ag.autograd.grad(y.sum(), x, create_graph=True)
    gg, = ag.autograd.grad(g.sum(), x)
    v = np.asarray(x.detach())
    pv = np.pi * v
    with np.errstate(all="ignore"):
        exact_g = np.where(v == 0, 0.0, (pv * np.cos(pv) - np.sin(pv)) / (pv * v))
    np.testing.assert_allclose(np.asarray(y.detach()), np.sinc(v), rtol=1e-14)
    np.testing.assert_allclose(np.asarray(g.detach())[3:], exact_g[3:], rtol=1e-9)
    np.testing.assert_allclose(np.asarray(g.detach())[:3], -(math.pi ** 2) / 3 * v[:3], rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(np.asarray(gg)[:3], -(math.pi ** 2) / 3, rtol=1e-9)


@pytest.mark.parametrize("fn", [lambda L, x: L.relu(x), lambda L, x: L.abs(x),
                                lambda L, x: L.nn.functional.max_pool1d(x.reshape(1, 1, 4), 2)])
def test_create_graph_gradient_of_piecewise_linear_function_requires_grad(fn):
    """Its rule reads tensors that require grad (relu's output), so under create_graph the
    gradient requires grad with a zero derivative, as PyTorch's: penalizing it runs."""
    import arraygrad as ag

    x = ag.tensor([1.0, -2.0, 3.0, 0.5], requires_grad=True)
    g, = ag.autograd.grad(fn(ag, x).sum(), x, create_graph=True)
    assert g.requires_grad
    (g ** 2).sum().backward()
    np.testing.assert_array_equal(np.asarray(x.grad), 0.0)
    y = ag.tensor([1.0, 2.0], requires_grad=True)  # a formula that reads no such tensor: as PyTorch
    g, = ag.autograd.grad((y * 2).sum(), y, create_graph=True)
    assert not g.requires_grad


# ----- autograd semantics and optimizers ----------------------------------------------------
def _both_libs(fn):
    import arraygrad as ag

    return fn(ag), fn(torch)


def test_grad_mode_decorated_generator_keeps_its_mode_to_itself():
    """The yield sat inside the `with`: the caller's loop body ran under no_grad (a
    @no_grad batch generator stopped the training loop from recording)."""
    def run(lib):
        out = []

        @lib.no_grad()
        def batches():
            try:
                for _ in range(3):
                    out.append(("in", lib.is_grad_enabled()))
                    try:
                        yield lib.ones(2)
                    except ValueError as exc:
                        out.append(("caught", str(exc), lib.is_grad_enabled()))
            finally:
                out.append(("finally", lib.is_grad_enabled()))

        w = lib.ones(2, requires_grad=True)
        gen = batches()
        out.append(("caller", (w * next(gen)).requires_grad))
        gen.throw(ValueError("x"))
        out.append(("after throw", lib.is_grad_enabled()))
        gen.close()
        out.append(("closed", lib.is_grad_enabled()))

        @lib.enable_grad()
        def inner():
            yield lib.is_grad_enabled()

        with lib.no_grad():
            out.append(("nested", list(inner()), lib.is_grad_enabled()))
        return out

    ours, theirs = _both_libs(run)
    assert ours == theirs


@pytest.mark.parametrize("write", ["zero_", "fill_", "copy_", "setitem", "mul_"])
def test_view_after_its_base_is_overwritten_in_place(write):
    """A view kept its pre-write history when the write left the base outside the graph
    (zero_, fill_, copy_ of a constant): a silently wrong gradient."""
    writes = {"zero_": lambda L, y: y.zero_(), "fill_": lambda L, y: y.fill_(0.5),
              "copy_": lambda L, y: y.copy_(L.zeros(3, dtype=L.float64)),
              "setitem": lambda L, y: y.__setitem__(slice(None), 0.0), "mul_": lambda L, y: y.mul_(3)}

    def run(lib):
        grads = []
        for use in (lambda x, y, v: v * x[1:], lambda x, y, v: (v.add_(x[1:]), y * y)[1]):
            x = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
            y = x * 2
            v = y[1:]
            writes[write](lib, y)
            use(x, y, v).sum().backward()
            grads.append(np.asarray(x.grad).tolist())
        return grads

    ours, theirs = _both_libs(run)
    np.testing.assert_allclose(ours, theirs)


def test_node_post_hook_replaces_the_input_gradients():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x.exp()
        y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: (lib.ones_like(grad_inputs[0]),))
        (y * y).sum().backward()
        z = lib.tensor([1.0, 2.0], requires_grad=True)
        w = z.exp()
        w.grad_fn.register_hook(lambda grad_inputs, grad_outputs: (grad_inputs[0], grad_inputs[0]))
        with pytest.raises(RuntimeError, match="incorrect number of values"):
            w.sum().backward()
        return np.asarray(x.grad).tolist()

    ours, theirs = _both_libs(run)
    assert ours == theirs == [1.0, 1.0]


def test_retain_grad_follows_an_in_place_write():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        y.retain_grad()
        y.mul_(2)
        (y * y).sum().backward()
        return np.asarray(y.grad).tolist(), np.asarray(x.grad).tolist()

    ours, theirs = _both_libs(run)
    assert ours == theirs


@pytest.mark.parametrize("name, settings", [
    ("Adam", {}), ("Adam", {"amsgrad": True, "weight_decay": 0.1}), ("AdamW", {}), ("Adamax", {}),
    ("NAdam", {}), ("RAdam", {}), ("Adagrad", {"initial_accumulator_value": 0.3}), ("Adadelta", {}),
    ("RMSprop", {"centered": True, "momentum": 0.9}), ("Rprop", {}), ("ASGD", {}), ("Adam", {"maximize": True})])
def test_adaptive_optimizers_treat_complex_parameters_as_real_pairs(name, settings):
    """PyTorch's view_as_real: the moments square each part; g * g of the complex gradient
    made the updates wrong (sometimes purely real)."""
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2))
    grads = [rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2)) for _ in range(10)]

    def run(lib):
        p = lib.nn.Parameter(lib.tensor(w0.copy()))
        opt = getattr(lib.optim, name)([p], lr=0.05, **settings)
        for g in grads:
            p.grad = lib.tensor(g.copy())
            opt.step()
        return np.asarray(p.detach())

    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # both libraries' scalar state (NAdam's mu_product) in float64
    ag.set_default_dtype(ag.float64)  # the autouse fixture restores it
    try:
        ours, theirs = _both_libs(run)
    finally:
        torch.set_default_dtype(default)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


# ----- creation, random, optimizers' arguments ---------------------------------------------
def test_float16_uniform_draws_stay_below_one():
    """A float32 draw rounded to float16 reached 1.0 (22 in 1e5); multiples of 2**-11 now."""
    import arraygrad as ag

    ag.manual_seed(0)
    for x in (ag.rand(200000, dtype=ag.float16), ag.empty(100000, dtype=ag.float16).uniform_(),
              ag.rand_like(ag.ones(100000, dtype=ag.float16))):
        v = np.asarray(x)
        assert v.dtype == np.float16 and v.max() < 1 and v.min() >= 0
        assert abs(float(v.astype(np.float64).mean()) - 0.5) < 0.01


def test_integer_linspace_and_fills_truncate_as_pytorch():
    import arraygrad as ag

    for args in [(-5, 5, 4), (0, -10, 4), (0, 10, 7), (-3, 3, 5), (0, 100, 10)]:
        for name in ("int64", "int32", "int8"):
            ours = ag.linspace(*args, dtype=getattr(ag, name))
            theirs = torch.linspace(*args, dtype=getattr(torch, name))
            assert np.asarray(ours).tolist() == theirs.tolist() and ours.dtype.name == name
    assert np.asarray(ag.full_like(ag.tensor([1, 2]), 1.5)).tolist() == [1, 1]
    assert np.asarray(ag.ones(2, dtype=ag.int32).new_full((2,), -3.7)).tolist() == [-3, -3]
    assert np.asarray(ag.full((2,), 0.5, dtype=ag.bool)).tolist() == [True, True]
    with pytest.raises(OverflowError, match="cannot be converted"):
        ag.full((2,), float("nan"), dtype=ag.int64)


def test_nan_to_num_of_complex_and_memory_format_keywords():
    import arraygrad as ag

    v = [complex(np.nan, np.inf), complex(-np.inf, 2), 1 + 1j]
    np.testing.assert_array_equal(np.asarray(ag.nan_to_num(ag.tensor(v), nan=0.5)),
                                  torch.nan_to_num(torch.tensor(v), nan=0.5).numpy())
    x = ag.ones((1, 2, 3, 3))
    for like in (ag.zeros_like, ag.ones_like, ag.empty_like, ag.rand_like, ag.randn_like):
        assert tuple(like(x, memory_format=ag.preserve_format).shape) == (1, 2, 3, 3)
    assert tuple(ag.full_like(x, 2.0, memory_format=ag.channels_last).shape) == (1, 2, 3, 3)
    assert tuple(x.to(memory_format=ag.channels_last).shape) == (1, 2, 3, 3)


def test_optimizers_take_named_parameters_and_a_tensor_learning_rate():
    """PyTorch 2.6: model.named_parameters() (the names kept as param_names); a 0-d lr."""
    import arraygrad as ag

    model = ag.nn.Linear(3, 2)
    opt = ag.optim.SGD(model.named_parameters(), lr=ag.tensor(0.1, dtype=ag.float64))
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"] and opt.param_groups[0]["lr"] == 0.1
    before = np.asarray(model.weight.detach()).copy()
    model(ag.ones(3)).sum().backward()
    opt.step()
    np.testing.assert_allclose(np.asarray(model.weight.detach()), before - 0.1)
    with pytest.raises(TypeError, match="named_parameters"):
        ag.optim.SGD([("w", model.weight), model.bias], lr=0.1)


def test_pytorch_spelled_sums_of_unsigned_and_bool_accumulate_in_int64():
    """The standard's sum gives uint64 for unsigned input; PyTorch's spellings give int64."""
    import arraygrad as ag

    for name in ("uint8", "bool", "int8"):
        a, t = ag.ones((2, 3), dtype=getattr(ag, name)), torch.ones((2, 3), dtype=getattr(torch, name))
        for ours, theirs in [(a.sum(), t.sum()), (a.sum(0), t.sum(0)), (a.prod(1), t.prod(1)),
                             (a.cumsum(0), t.cumsum(0)), (ag.cumprod(a, 1), torch.cumprod(t, 1))]:
            assert ours.dtype.name == str(theirs.dtype).split(".")[-1]
            np.testing.assert_array_equal(np.asarray(ours), theirs.numpy())
    assert ag.sum(ag.ones(3, dtype=ag.uint8)).dtype == ag.uint64  # the standard's spelling


def test_hardswish_gradient_at_infinities():
    """The quadratic piece's gradient at +-inf was 0 * inf = nan behind the where."""
    import arraygrad as ag

    vals = [-np.inf, np.inf, -3.0, -1.0, 0.0, 2.9, 3.0]
    grads = []
    for lib in (ag, torch):
        x = lib.tensor(vals, requires_grad=True)
        g, = lib.autograd.grad(lib.nn.functional.hardswish(x).sum(), x)
        grads.append(np.asarray(g))
    np.testing.assert_allclose(grads[0], grads[1])
    assert float(ag.nn.functional.hardswish(ag.tensor([-np.inf]))[0]) == 0.0  # PyTorch: nan (-inf * 0)


def test_conv_transpose1d_too_small_output_is_said_in_1d_terms():
    import arraygrad as ag

    with pytest.raises(ValueError, match="conv_transpose1d: the output length -2"):
        ag.nn.functional.conv_transpose1d(ag.ones((1, 2, 3)), ag.ones((2, 1, 2)), padding=3)


# ----- tensor methods: views and in-place casting ----------------------------------------------
def test_diagonal_and_real_imag_are_writable_views_with_gradients():
    """NumPy's diagonal is read-only (a.diagonal().fill_(1) raised); complex .real/.imag were
    copies (writes lost). Both are autograd views now, as PyTorch's."""
    def run(lib):
        a = lib.zeros(3, 3)
        a.diagonal().fill_(1)
        b = lib.zeros(3, 4)
        b.diagonal(1).fill_(5)
        x = lib.tensor(np.arange(9.0).reshape(3, 3), requires_grad=True)
        y = x * 1
        y.diagonal().mul_(2)
        (y * y).sum().backward()
        z = lib.tensor([1 + 2j, 3 - 1j])
        z.real[0] = 100
        z.imag.mul_(0)
        w = lib.tensor([1 + 2j, 3 - 1j], requires_grad=True)
        v = w * 1
        v.imag.mul_(3)
        g, = lib.autograd.grad((v * lib.tensor([1 - 1j, 2 + 1j])).real.sum(), w)
        return [np.asarray(t).tolist() for t in (a, b, x.grad, z, g)]

    ours, theirs = _both_libs(run)
    assert ours == theirs
    import arraygrad as ag

    x = ag.tensor([1.0, 2.0])
    assert x.real is x


def test_in_place_integer_ops_cast_within_the_category():
    """NumPy's same_kind refused uint8 += int8; PyTorch casts within integers (and refuses
    float into int)."""
    def run(lib):
        a = lib.tensor([250, 3], dtype=lib.uint8)
        a.add_(lib.tensor([10, -5], dtype=lib.int8))
        b = lib.tensor([250, 3], dtype=lib.uint8)
        b += lib.tensor([10, 5], dtype=lib.int64)
        return np.asarray(a).tolist(), np.asarray(b).tolist(), str(a.dtype).split(".")[-1]

    ours, theirs = _both_libs(run)
    assert ours == theirs


def test_erf_keeps_float16():
    import arraygrad as ag

    for name in ("float16", "float32", "float64"):
        x = ag.tensor([0.5, -1.0], dtype=getattr(ag, name))
        assert ag.erf(x).dtype.name == name and ag.erfc(x).dtype.name == name


def test_small_pytorch_surface_gaps():
    """round_(decimals=), gather(sparse_grad=), the layout queries library code asks, and
    median / nanmedian of integers keeping their dtype."""
    import arraygrad as ag

    x = ag.tensor([1.234, 2.345])
    assert x.round_(decimals=1) is x
    np.testing.assert_allclose(np.asarray(x), [1.2, 2.3])
    np.testing.assert_allclose(np.asarray(x.gather(0, ag.tensor([1, 0]), sparse_grad=False)), [2.3, 1.2], rtol=1e-6)
    assert not any(getattr(x, n) for n in ("is_sparse", "is_quantized", "is_nested", "is_mps", "is_xpu"))
    for lib in (ag, torch):
        m = lib.tensor([1, 5, 3, 4])
        assert str(m.median().dtype).split(".")[-1] == "int64" and int(m.median()) == 3
        assert int(m.nanmedian()) == 3


def test_gradient_and_cumulative_trapezoid_as_pytorch():
    import arraygrad as ag

    rng = np.random.default_rng(0)
    y = rng.standard_normal((4, 5, 6))
    coords = np.cumsum(rng.random(6))
    for kw in [{}, {"dim": 1}, {"dim": (0, 2), "spacing": [0.5, 2.0]}, {"spacing": 3.0, "edge_order": 2},
               {"dim": 2, "spacing": ("coords",), "edge_order": 1}, {"dim": 2, "spacing": ("coords",), "edge_order": 2}]:
        ours = ag.gradient(ag.tensor(y), **{k: (tuple(ag.tensor(coords) for _ in v) if k == "spacing" and v == ("coords",) else v)
                                            for k, v in kw.items()})
        theirs = torch.gradient(torch.tensor(y), **{k: (tuple(torch.tensor(coords) for _ in v)
                                                        if k == "spacing" and v == ("coords",) else v) for k, v in kw.items()})
        assert len(ours) == len(theirs)
        for a, t in zip(ours, theirs):
            np.testing.assert_allclose(np.asarray(a), t.numpy(), rtol=1e-12, atol=1e-12)
    x, tx = ag.tensor(y, requires_grad=True), torch.tensor(y, requires_grad=True)
    ag.gradient(x, dim=0)[0].sum().backward()
    torch.gradient(tx, dim=0)[0].sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad), tx.grad.numpy(), atol=1e-12)
    for ours, theirs in [(ag.cumulative_trapezoid(ag.tensor(y)), torch.cumulative_trapezoid(torch.tensor(y))),
                         (ag.cumulative_trapezoid(ag.tensor(y), dx=0.5, dim=0),
                          torch.cumulative_trapezoid(torch.tensor(y), dx=0.5, dim=0)),
                         (ag.cumulative_trapezoid(ag.tensor(y), ag.tensor(coords)),
                          torch.cumulative_trapezoid(torch.tensor(y), torch.tensor(coords)))]:
        np.testing.assert_allclose(np.asarray(ours), theirs.numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError, match="at least edge_order"):
        ag.gradient(ag.tensor([1.0, 2.0]), edge_order=2)


def test_empty_softmax_nonzero_of_0d_and_cov_of_one_variable():
    import arraygrad as ag

    for lib in (ag, torch):
        assert tuple(lib.softmax(lib.ones((2, 0)), 1).shape) == (2, 0)
        assert tuple(lib.log_softmax(lib.ones((2, 0)), 1).shape) == (2, 0)
        assert tuple(lib.tensor(3.0).nonzero().shape) == (1, 0) and tuple(lib.tensor(0.0).nonzero().shape) == (0, 0)
        assert tuple(lib.ones((1, 5)).cov().shape) == ()


def test_roll_of_a_one_shift_tuple_meshgrid_of_0d_and_isin_assume_unique():
    def run(lib):
        x = lib.arange(6).reshape(2, 3)
        return (x.roll((1,)).tolist(),
                [tuple(t.shape) for t in lib.meshgrid(lib.tensor(1.0), lib.tensor([1.0, 2.0]), indexing="ij")],
                lib.isin(lib.tensor([1, 2, 3]), lib.tensor([2]), assume_unique=True).tolist())

    ours, theirs = _both_libs(run)
    assert ours == theirs


def test_histogram_and_linear_memory_bincount():
    """torch.histogram (new); bincount was a one-hot matrix (len(input) x bins memory: 1e6
    values into 1e5 bins could not run), a scatter-add now, with PyTorch's dtypes."""
    import arraygrad as ag

    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(1000), rng.random(1000)
    for kw in ({"bins": 10}, {"bins": 7, "range": (-1.0, 2.0)}, {"bins": 5, "density": True}):
        ours, theirs = ag.histogram(ag.tensor(x), **kw), torch.histogram(torch.tensor(x), **kw)
        np.testing.assert_allclose(np.asarray(ours.hist), theirs.hist.numpy())
        np.testing.assert_allclose(np.asarray(ours.bin_edges), theirs.bin_edges.numpy())
    edges = np.array([-2.0, -0.5, 0.0, 3.0])
    ours = ag.histogram(ag.tensor(x), bins=ag.tensor(edges), weight=ag.tensor(w))
    theirs = torch.histogram(torch.tensor(x), bins=torch.tensor(edges), weight=torch.tensor(w))
    np.testing.assert_allclose(np.asarray(ours.hist), theirs.hist.numpy())
    for lib in (ag, torch):
        t = lib.tensor([0, 1, 1, 3, 3, 3])
        assert lib.bincount(t).tolist() == [1, 2, 0, 3] and lib.bincount(t, minlength=6).tolist()[4:] == [0, 0]
        assert str(lib.bincount(t, weights=lib.tensor([1.0] * 6)).dtype).endswith("float32")
        assert str(lib.bincount(t, weights=lib.tensor([1] * 6)).dtype).endswith("float64")
    big = ag.asarray(rng.integers(0, 100000, 1000000))
    assert int(ag.bincount(big).sum()) == 1000000


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((1, 4), (3, 1)), ((0, 3), (0, 3)), ((), ())])
def test_mse_loss_is_one_node_with_pytorchs_values_and_gradients(reduction, shapes):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    results = []
    for lib in (ag, torch):
        x, y = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        with pytest.warns(UserWarning) if shapes[0] != shapes[1] else _no_warning():
            loss = lib.nn.functional.mse_loss(x, y, reduction=reduction)
        g = lib.tensor(np.linspace(-1, 2, int(np.prod(tuple(loss.shape)))).reshape(tuple(loss.shape)))
        gx, gy = lib.autograd.grad(loss, (x, y), g, create_graph=True)
        second = lib.autograd.grad((gx ** 2).sum() + (gy * y).sum(), x, allow_unused=True)[0]
        results.append((loss, gx, gy, second))
    for a_, t_ in zip(*results):
        _same(a_, t_)
    # the 60-minute blitz prints loss.grad_fn and walks next_functions from it
    assert type(results[0][0].grad_fn).__name__ == type(results[1][0].grad_fn).__name__ == "MseLossBackward0"


def _no_warning():
    import contextlib

    return contextlib.nullcontext()


def test_mse_loss_chain_of_the_blitz_and_mixed_dtypes():
    lin = ag.nn.Linear(4, 3)
    loss = ag.nn.MSELoss()(ag.relu(lin(ag.randn(2, 4))), ag.randn(2, 3))
    names = [type(loss.grad_fn).__name__, type(loss.grad_fn.next_functions[0][0]).__name__,
             type(loss.grad_fn.next_functions[0][0].next_functions[0][0]).__name__]
    assert names[:2] == ["MseLossBackward0", "ReluBackward0"]
    assert names[2] == "AddmmBackward0"
    # the blitz's chain on its last layer: MseLoss -> Addmm -> the bias's AccumulateGrad
    out = lin(ag.randn(2, 4, requires_grad=True))
    loss = ag.nn.functional.mse_loss(out, ag.zeros(2, 3))
    addmm = loss.grad_fn.next_functions[0][0]
    assert type(addmm).__name__ == "AddmmBackward0"
    assert addmm.next_functions[0][0].variable is lin.bias and addmm.next_functions[2][0].variable is lin.weight
    # float32 input, float64 target: promoted, as the operators promote
    out = ag.nn.functional.mse_loss(ag.ones(3, requires_grad=True), ag.zeros(3, dtype=ag.float64))
    assert out.dtype == ag.float64 and out.requires_grad


def test_requires_grad_underscore_on_a_non_leaf_as_pytorch():
    x = ag.ones(3, requires_grad=True).clone()
    assert x.requires_grad_() is x and x.requires_grad_(True) is x and x.grad_fn is not None
    with pytest.raises(RuntimeError, match="leaf variables"):
        x.requires_grad_(False)
    with pytest.raises(RuntimeError, match="leaf variables"):
        x.requires_grad = True  # the setter refuses either way, as PyTorch's


def test_grad_fn_names_of_pytorchs_overloads_and_aliases():
    def names(lib):
        x = lib.ones(3, 4, requires_grad=True)
        y = lib.full((3, 4), 2.0, requires_grad=True)
        outs = [2 - x, x - 2, x - y, x ** 2, 2 ** x, x ** y, x ** lib.tensor(2.0), x % 2, x % y,
                lib.fmod(x, y), lib.fmod(x, 2), lib.copysign(x, y), lib.copysign(x, 2.0),
                x.t(), x.transpose(0, 1), lib.transpose(x, 0, 1), x.swapaxes(0, 1), x.max(), x.min(),
                x.amax(), x.mT]
        return [type(o.grad_fn).__name__ for o in outs]

    assert names(ag) == names(torch)
    # a renamed node is still the op's node: its gradient is the op's
    x = ag.ones(3, 4, requires_grad=True)
    (2 ** x.t()).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((3, 4), 2 * np.log(2)))


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_conv_transpose_with_output_padding_of_at_least_the_stride(dims):
    """Legal below the dilation; the backward took one window too many."""
    rng = np.random.default_rng(dims)
    x = rng.standard_normal((2, 4) + (4,) * dims)
    w = rng.standard_normal((4, 3) + (2,) * dims)
    b = rng.standard_normal(6)
    kw = dict(stride=1, dilation=3, output_padding=2, groups=2, padding=1)
    results = []
    for lib in (ag, torch):
        X, W, B = (lib.tensor(a, requires_grad=True) for a in (x, w, b))
        out = getattr(lib.nn.functional, f"conv_transpose{dims}d")(X, W, B, **kw)
        g = lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)))
        results.append((out,) + tuple(lib.autograd.grad((out * g).sum(), (X, W, B))))
    for a, t in zip(*results):
        _same(a, t, rtol=1e-9, atol=1e-10)


def test_linear_with_a_1d_weight_and_loss_argument_checks_as_pytorch():
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((3, 2)), rng.standard_normal(2)
    (out, grads), (t_out, t_grads) = _both(lambda lib, a, b: lib.nn.functional.linear(a, b), x, w)
    _same(out, t_out)
    for a_, t_ in zip(grads, t_grads):
        _same(a_, t_)
    for lib in (ag, torch):
        with pytest.raises(ValueError, match="var has negative entry"):
            lib.nn.functional.gaussian_nll_loss(lib.ones(2), lib.ones(2), lib.tensor([1.0, -1.0]))
        with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point target"):
            lib.nn.functional.cross_entropy(lib.ones(2, 3), lib.ones(2, 3) / 3, ignore_index=1)


def test_take_without_axis_and_svd_fields_as_pytorch():
    x = np.arange(12.0).reshape(3, 4)
    idx = np.array([[0, 11], [-1, 5]])
    _same(ag.take(ag.tensor(x), ag.tensor(idx)), torch.take(torch.tensor(x), torch.tensor(idx)))
    a = np.random.default_rng(0).standard_normal((4, 3))
    r, t = ag.svd(ag.tensor(a)), torch.svd(torch.tensor(a))
    assert type(r).__name__ == "svd" and r._fields == ("U", "S", "V")
    _same(r.S, t.S)
    u, s, v = r
    np.testing.assert_allclose(np.asarray(u) * np.asarray(s) @ np.asarray(v).T, a, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
def test_interpolate_nearest_picks_pytorchs_source_index(dtype, mode):
    """PyTorch computes the source index in float32 for float32 input (in double for double,
    floored as float32 either way): in double throughout, 46 samples from 26 took index 12 at
    output 23 where PyTorch takes 13."""
    F, TF = ag.nn.functional, torch.nn.functional
    for n_in in (2, 4, 6, 26):
        x = np.arange(n_in, dtype=dtype).reshape(1, 1, n_in)
        for kw in [{"size": n_out} for n_out in (11, 23, 41, 46, 74, 97)] + \
                  [{"scale_factor": f} for f in (0.7, 1.1, 1 / 3, 2.1, 3.7) if int(n_in * f) >= 1]:
            got = F.interpolate(ag.tensor(x), mode=mode, **kw)
            want = TF.interpolate(torch.tensor(x), mode=mode, **kw)
            _same(got, want, rtol=0, atol=0)
    img = np.arange(26 * 13, dtype=dtype).reshape(1, 1, 26, 13)
    _same(F.interpolate(ag.tensor(img), size=(46, 22), mode=mode),
          TF.interpolate(torch.tensor(img), size=(46, 22), mode=mode), rtol=0, atol=0)


def test_cosine_similarity_below_eps_keeps_the_norms_gradient():
    """PyTorch clamps the norms in place under no_grad: the value is eps, the gradient the
    unclamped norm's (arraygrad's clamp had cut it)."""
    for a, b, eps in [([0.1, 0.2], [1.0, 0.5], 0.5), ([[0.0, 0.0], [1.0, 2.0]], [[1.0, 1.0], [0.0, 3.0]], 1e-8)]:
        (out, grads), (t_out, t_grads) = _both(
            lambda lib, x, y: lib.nn.functional.cosine_similarity(x, y, dim=-1, eps=eps), np.array(a), np.array(b))
        _same(out, t_out)
        for g, t in zip(grads, t_grads):
            _same(g, t)


@pytest.mark.parametrize("shape,dim", [((7, 2), 0), ((5, 3), 1), ((4, 3, 2), 1), ((0, 3), 0), ((6,), 0)])
@pytest.mark.parametrize("dtype", [np.int64, np.float64, np.bool_])
def test_unique_slices_along_dim_as_pytorch(shape, dim, dtype):
    a = np.random.default_rng(sum(shape)).integers(0, 2, shape).astype(dtype)
    for ri in (False, True):
        for rc in (False, True):
            got = ag.unique(ag.tensor(a), dim=dim, return_inverse=ri, return_counts=rc)
            want = torch.unique(torch.tensor(a), dim=dim, return_inverse=ri, return_counts=rc)
            got, want = (got, want) if isinstance(got, tuple) else ((got,), (want,))
            for g, w in zip(got, want):
                _same(g, w, rtol=0, atol=0)


def test_softmax_of_integers_with_a_dtype_casts_first():
    for name in ("softmax", "log_softmax", "softmin"):
        got = getattr(ag.nn.functional, name)(ag.tensor([1, 2, 3]), 0, dtype=ag.float64)
        want = getattr(torch.nn.functional, name)(torch.tensor([1, 2, 3]), 0, dtype=torch.float64)
        _same(got, want)
    with pytest.raises(TypeError, match="softmax: input must have a real floating-point dtype"):
        ag.nn.functional.softmax(ag.tensor([1, 2, 3]), 0)


@pytest.mark.parametrize("size,stride,offset", [((3, 4), (4, 1), None), ((5, 3), (2, 1), None), ((4, 4), (1, 2), 1),
                                                ((2, 2, 2), (6, 2, 1), 0), ((), (), 5), ((0, 3), (1, 1), None)])
def test_as_strided_windows_and_their_gradient(size, stride, offset):
    x = np.arange(12.0)
    kw = {} if offset is None else {"storage_offset": offset}
    (out, grads), (t_out, t_grads) = _both(lambda lib, t: lib.as_strided(t, size, stride, **kw), x)
    _same(out, t_out)
    _same(grads[0], t_grads[0])


def test_as_strided_refuses_what_it_cannot_read_and_writes_into_its_copy():
    t = ag.arange(12.0).reshape(3, 4)
    y = t.as_strided((2, 2), (4, 1))
    with pytest.raises(ValueError, match="read-only"):
        y[0, 0] = 5.0  # PyTorch's view would write into t: a copy must not take it silently
    with pytest.raises(RuntimeError, match="reach outside the input's 12 elements"):
        t.as_strided((4, 4), (4, 1))
    with pytest.raises(RuntimeError, match="must be contiguous"):
        t.t().as_strided((2,), (1,))
    with pytest.raises(RuntimeError, match="mismatch in length of strides and shape"):
        t.as_strided((2,), (1, 1))


def test_matmul_nodes_are_named_after_pytorchs_product():
    def names(lib):
        v, m = lib.ones(3, requires_grad=True), lib.ones(3, 3, requires_grad=True)
        b, b4 = lib.ones(2, 3, 3, requires_grad=True), lib.ones(2, 2, 3, 3, requires_grad=True)
        out = [type((p @ q).grad_fn).__name__ for p in (v, m, b, b4) for q in (v, m, b, b4)]
        out += [type(f.grad_fn).__name__ for f in (lib.bmm(b, b), lib.mm(m, m), lib.mv(m, v), lib.dot(v, v))]
        return out + [repr(m @ v).split("grad_fn=")[1]]

    assert names(ag) == names(torch)


def test_bare_inference_mode_decorator_and_enable_grad_inside_it():
    for lib in (ag, torch):
        @lib.inference_mode
        def double(x):
            return x * 2

        x = lib.ones(2, requires_grad=True)
        y = double(x)
        assert isinstance(y, lib.Tensor) and not y.requires_grad
        with lib.inference_mode():
            with lib.enable_grad():  # does not undo inference mode
                assert not (x * 2).requires_grad
        with lib.no_grad():
            with lib.enable_grad():
                assert (x * 2).requires_grad


@pytest.mark.parametrize("op", ["zero", "fill", "copy_const", "copy_grad", "fill_tensor"])
def test_overwriting_a_non_leaf_keeps_its_history_with_zero_gradient(op):
    results = []
    for lib in (ag, torch):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([3.0, 4.0], requires_grad=True)
        x = a * 1
        {"zero": lambda: x.zero_(), "fill": lambda: x.fill_(3.0), "copy_const": lambda: x.copy_(lib.tensor([5.0, 6.0])),
         "copy_grad": lambda: x.copy_(b * 2), "fill_tensor": lambda: x.fill_(b[0])}[op]()
        (x * x).sum().backward()
        results.append((x.requires_grad, type(x.grad_fn).__name__, a.grad, b.grad, x.detach()))
    (r, name, ga, gb, x), (tr, tname, tga, tgb, tx) = results
    assert (r, name) == (tr, tname)
    _same(ga, tga)
    _same(x, tx)
    assert (gb is None) == (tgb is None)
    if gb is not None:
        _same(gb, tgb)


def test_reduce_lr_on_plateau_covers_param_groups_added_later():
    results = []
    for lib in (ag, torch):
        a, b = lib.ones(2, requires_grad=True), lib.ones(2, requires_grad=True)
        opt = lib.optim.SGD([a], lr=0.01)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, min_lr=0.001)
        opt.add_param_group({"params": [b], "lr": 0.5})
        sched.step(1.0)
        sched.step(1.0)
        results.append([g["lr"] for g in opt.param_groups])
        opt = lib.optim.SGD([a], lr=0.01)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, min_lr=[0.001])
        opt.add_param_group({"params": [b], "lr": 0.5})
        sched.step(1.0)
        with pytest.raises(RuntimeError):  # one min_lr per group was given: no guess
            sched.step(1.0)
    np.testing.assert_allclose(results[0], results[1])


def test_autograd_functional_jvp_strict_refuses_an_unused_input():
    for lib in (ag, torch):
        o = lib.ones(2, dtype=lib.float64)
        with pytest.raises(RuntimeError, match="independent of input 1"):
            lib.autograd.functional.jvp(lambda x, y: x * 2, (o, o), (o, o), strict=True)
        _, jv = lib.autograd.functional.jvp(lambda x, y: x * y, (o, o), (o, o), strict=True)
        np.testing.assert_allclose(jv.numpy(), [2.0, 2.0])


def test_full_backward_hooks_get_none_for_an_unused_output():
    # PyTorch: grad_output holds None for an output the loss never used; grad_input zeros
    seen = {}
    for lib in (ag, torch):
        class TwoOutputs(lib.nn.Module):
            def forward(self, x, y):
                return x * 2, y * 3

        m, calls = TwoOutputs(), []
        m.register_full_backward_pre_hook(lambda mod, go: calls.append([None if g is None else g.tolist() for g in go]))
        m.register_full_backward_hook(lambda mod, gi, go: calls.append(
            ([None if g is None else g.tolist() for g in gi], [None if g is None else g.tolist() for g in go])))
        a, _ = m(lib.tensor([1.0, 2.0], requires_grad=True), lib.tensor([3.0], requires_grad=True))
        a.sum().backward()
        seen[lib.__name__] = calls
    assert seen["arraygrad"] == seen["torch"] == [
        [[1.0, 1.0], None], ([[2.0, 2.0], [0.0]], [[1.0, 1.0], None])]


def test_retained_grad_follows_a_base_written_through_its_view():
    grads = {}
    for lib in (ag, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 1
        y.retain_grad()
        y[:1].mul_(5)  # y's new values: its .grad is the gradient of those
        y.sum().backward()
        grads[lib.__name__] = (y.grad.tolist(), x.grad.tolist())
    assert grads["arraygrad"] == grads["torch"] == ([1.0, 1.0], [5.0, 1.0])


@pytest.mark.parametrize("values", [[1.0, 2.0, float("nan"), 3.0], [-1000.0, 0.0, 5.0, -3.0], [3.0]], ids=str)
def test_logcumsumexp_is_exact_and_keeps_nan_to_what_follows(values):
    (a, ga), (t, gt) = _both(lambda lib, x: lib.logcumsumexp(x, 0), np.array(values))
    _same(a, t, rtol=1e-12)
    np.testing.assert_allclose(_np(ga[0]), _np(gt[0]), rtol=1e-12)
    x = np.random.default_rng(0).standard_normal((3, 7, 5))
    for dim in (0, 1, -1):
        (a, ga), (t, gt) = _both(lambda lib, x: lib.logcumsumexp(x, dim), x)
        _same(a, t, rtol=1e-12)
        np.testing.assert_allclose(_np(ga[0]), _np(gt[0]), rtol=1e-12)
    assert ag.autograd.gradgradcheck(lambda z: ag.logcumsumexp(z, 1), (ag.tensor(x[:2, :4, :2], requires_grad=True),))


def test_reductions_edge_cases_as_pytorch():
    # max() of a tensor holding NaNs: the gradient is shared by the NaNs
    for lib in (ag, torch):
        t = lib.tensor([1.0, float("nan"), 3.0, float("nan")], requires_grad=True)
        t.max().backward()
        assert t.grad.tolist() == [0.0, 0.5, 0.0, 0.5]
    # dim 0 of a 0-d tensor is the whole of it; bool tensors are close when equal
    assert ag.count_nonzero(ag.tensor(2.0), 0).item() == torch.count_nonzero(torch.tensor(2.0), 0).item() == 1
    assert ag.isclose(ag.tensor([True, False]), ag.tensor([True, True])).tolist() == [True, False]
    # an integer mask would select by position: refused, as PyTorch refuses it
    with pytest.raises(TypeError, match="mask must have dtype bool"):
        ag.masked_select(ag.tensor([1.0, 2.0, 3.0, 4.0]), ag.tensor([0, 1, 1, 0]))
    with pytest.raises(RuntimeError):
        torch.masked_select(torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([0, 1, 1, 0]))


def test_index_add_refuses_a_source_of_another_dtype():
    # it used to reinterpret the float32 source's bytes as float64 pairs: wrong numbers
    with pytest.raises(TypeError, match="source must have the input's dtype"):
        ag.zeros(2, 4, dtype=ag.float64).index_add(0, ag.tensor([1]), ag.ones(1, 4))
    with pytest.raises(RuntimeError):
        torch.zeros(2, 4, dtype=torch.float64).index_add(0, torch.tensor([1]), torch.ones(1, 4))


@pytest.mark.parametrize("name", ["diag", "rot90", "fliplr", "flipud"])
def test_torch_flips_and_diag_are_copies(name):
    results = []
    for lib in (ag, torch):
        x = lib.arange(4.0).reshape(2, 2).requires_grad_()
        y = x * 1
        getattr(lib, name)(y).mul_(100)  # a copy: y and its gradient stay as they are
        (y * lib.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
        results.append((y.tolist(), x.grad.tolist()))
    assert results[0] == results[1] == ([[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]])


def test_a_0d_integer_tensor_index_is_an_int():
    for lib in (ag, torch):
        y = lib.arange(4.0).reshape(2, 2)
        y[lib.tensor(0)].mul_(0)  # a view, as x[0]: the write reaches y
        y[lib.tensor(1), :].add_(10)
        assert y.tolist() == [[0.0, 0.0], [12.0, 13.0]]
        x = lib.arange(6.0).reshape(2, 3).requires_grad_()
        z = x * 1
        z[lib.tensor(1)] = 5.0
        (z * z).sum().backward()
        assert x.grad.tolist() == [[0.0, 2.0, 4.0], [0.0, 0.0, 0.0]]
        assert lib.arange(6.0).reshape(2, 3)[lib.tensor(1), lib.tensor([0, 2])].tolist() == [3.0, 5.0]


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce_and_narrow_copy_as_pytorch(reduce, include_self):
    rng = np.random.default_rng(0)
    x, src = rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    src[1, 0] = src[2, 0]  # a tie for amax/amin
    idx = np.array([0, 2, 2, 3, 0])
    (a, ga), (t, gt) = _both(lambda lib, x, s: lib.index_reduce(x, 0, lib.tensor(idx), s, reduce,
                                                                include_self=include_self), x, src)
    _same(a, t, rtol=1e-12)
    for u, v in zip(ga, gt):
        _same(u, v, rtol=1e-12)
    (a, _), (t, _) = _both(lambda lib, x, s: x.t().index_reduce(1, lib.tensor(idx), s.t(), reduce), x, src)
    _same(a, t, rtol=1e-12)
    c = ag.arange(5.0).narrow_copy(0, 1, 2)
    assert c.tolist() == [1.0, 2.0] and c._base is None


@pytest.mark.parametrize("name, kwargs", [("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.2}),
                                          ("hardtanh", {}), ("hardtanh", {"min_val": -2.0, "max_val": 3.0}),
                                          ("relu6", {})])
def test_piecewise_linear_activations_differentiate_twice(name, kwargs):
    # the first gradient reads x (PyTorch's single op), so it can be differentiated again: zeros
    x0 = np.array([1.0, -1.0, 0.0, 7.0, -3.0, 6.0])
    results = []
    for lib in (ag, torch):
        x = lib.tensor(x0, requires_grad=True)
        y = getattr(lib.nn.functional, name)(x, **kwargs)
        (g,) = lib.autograd.grad((y * lib.tensor([1.0, 2, 3, 4, 5, 6])).sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        results.append((y.tolist(), g.tolist(), gg.tolist(), type(y.grad_fn).__name__))
    assert results[0] == results[1]


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_pointwise_losses_take_a_weight(name, reduction):
    x = np.array([[1.0, 2.0], [3.0, 5.0]])
    (a, ga), (t, gt) = _both(lambda lib, x, w: getattr(lib.nn.functional, name)(
        x, lib.zeros(2, 2, dtype=lib.float64), reduction=reduction, weight=w), x, x[::-1].copy())
    _same(a, t, rtol=1e-12)
    for u, v in zip(ga, gt):
        _same(u, v, rtol=1e-12)
    with pytest.raises(ValueError, match="weight must have the input's shape"):
        ag.nn.functional.mse_loss(ag.ones(2, 2), ag.zeros(2, 2), weight=ag.ones(2))


def test_nn_functional_checks_and_ties_as_pytorch():
    F = ag.nn.functional
    # probability targets: the class weight differentiates (class indices refuse it, as PyTorch)
    grads = []
    for lib in (ag, torch):
        w = lib.ones(3, requires_grad=True)
        lib.nn.functional.cross_entropy(lib.tensor([[1.0, 2, 3]]), lib.tensor([[0.2, 0.3, 0.5]]), weight=w).backward()
        grads.append(w.grad.tolist())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)
    # embedding_bag's max: the first of tied rows takes the gradient
    grads = []
    for lib in (ag, torch):
        w = lib.ones(4, 2, requires_grad=True)
        out = lib.nn.functional.embedding_bag(lib.tensor([1, 2, 0, 3]), w, lib.tensor([0, 2]), mode="max")
        (out * lib.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
        grads.append(w.grad.tolist())
    assert grads[0] == grads[1] == [[3.0, 4.0], [1.0, 2.0], [0.0, 0.0], [0.0, 0.0]]
    # bad input that PyTorch refuses
    with pytest.raises(ValueError, match=r"offsets\[0\] has to be 0"):
        F.embedding_bag(ag.tensor([1, 2, 3]), ag.ones(10, 1), ag.tensor([1, 2]), mode="sum")
    with pytest.raises(ValueError, match=r"offsets\[-1\] can not be greater"):
        F.embedding_bag(ag.tensor([1, 2, 3]), ag.ones(10, 1), ag.tensor([0, 5]), mode="sum")
    with pytest.raises(ValueError, match="padding_idx must be within"):
        F.embedding(ag.tensor([1]), ag.ones(10, 1), padding_idx=10)
    for pool, shape in ((F.adaptive_avg_pool2d, (1, 1, 0, 3)), (F.adaptive_avg_pool1d, (1, 1, 0)),
                        (F.adaptive_max_pool2d, (1, 1, 0, 3))):
        with pytest.raises(ValueError, match="non-zero size"):
            pool(ag.ones(*shape), 2)


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
def test_nearest_interpolation_gathers_any_real_dtype(mode):
    # a gather: uint8 images resize as in PyTorch, and an inf stays where it is (a one-hot
    # product spread 0 * inf = NaN over its neighbours)
    x = np.arange(12, dtype=np.uint8).reshape(1, 1, 3, 4)
    a = ag.nn.functional.interpolate(ag.tensor(x), scale_factor=2.5, mode=mode)
    t = torch.nn.functional.interpolate(torch.tensor(x), scale_factor=2.5, mode=mode)
    _same(a, t)
    xf = np.array([[[1.0, np.inf, 2.0]]], dtype=np.float32)
    _check(lambda lib, x: lib.nn.functional.interpolate(x, size=5, mode=mode), xf)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("resize", [dict(size=(5, 7)), dict(size=(20, 30)), dict(size=(6, 40)), dict(size=(1, 1)),
                                    dict(scale_factor=0.37), dict(scale_factor=(0.5, 2.5)),
                                    dict(scale_factor=0.3, recompute_scale_factor=True)], ids=str)
def test_antialiased_interpolation_as_pytorch(mode, align_corners, resize):
    x = np.random.default_rng(0).standard_normal((2, 3, 13, 17))
    (a, ga), (t, gt) = _both(lambda lib, x: lib.nn.functional.interpolate(
        x, mode=mode, align_corners=align_corners, antialias=True, **resize), x)
    _same(a, t, rtol=1e-12, atol=1e-12)
    _same(ga[0], gt[0], rtol=1e-12, atol=1e-12)


def test_antialias_needs_a_filtering_mode():
    with pytest.raises(ValueError, match="antialias is only supported with the bilinear and bicubic"):
        ag.nn.functional.interpolate(ag.ones(1, 1, 4, 4), size=2, mode="nearest", antialias=True)


def test_dtype_rules_as_pytorch():
    for lib in (ag, torch):
        # integer powers with negative integer exponents: 1, +-1 or 0, as PyTorch's integer rule
        assert (lib.tensor([1, -1, 2, 0, 3, -2, -1, 5]) ** lib.tensor([-1, -1, -1, -1, -2, -3, -2, 3])).tolist() \
            == [1, -1, 0, 0, 0, 0, 1, 125]
        assert (2 ** lib.tensor([-1, 2])).tolist() == [0, 4]
        # sinc of int8's minimum: computed in floats (abs(-128) wraps in int8)
        np.testing.assert_allclose(lib.tensor([-128], dtype=lib.int8).sinc().tolist(), [2.7827534e-08], rtol=1e-5)
        # complex to real the PyTorch way: the real part, with a warning; to bool: nonzero
        z = lib.tensor([1 + 2j, 0j, 3j])
        with warnings.catch_warnings(record=True) as caught:  # PyTorch warns once per process
            warnings.simplefilter("always")
            assert z.float().tolist() == [1.0, 0.0, 0.0]
            assert lib.zeros(3).copy_(z).tolist() == [1.0, 0.0, 0.0]
        if lib is ag:
            assert len([w for w in caught if "discards the imaginary part" in str(w.message)]) == 2
        assert z.bool().tolist() == [True, False, True]
        # writes into .real and .imag
        z = lib.tensor([1 + 2j, 3 - 1j])
        z.real = lib.zeros(2)
        z.imag = lib.tensor([5.0, 6.0])
        assert z.tolist() == [5j, 6j]
        with pytest.raises(RuntimeError, match="imag is not implemented"):
            lib.tensor([1.0]).imag = lib.zeros(1)
        # a refused in-place cast is PyTorch's RuntimeError
        with pytest.raises(RuntimeError):
            t = lib.tensor([1, 2])
            t += 1.5


def test_linalg_gaps_as_pytorch():
    rng = np.random.default_rng(0)
    # a batch of vectors as the right-hand side (where the standard's reading fails)
    (a, ga), (t, gt) = _both(lambda lib, A, b: lib.linalg.solve(A, b), rng.standard_normal((2, 3, 3)),
                             rng.standard_normal((2, 3)))
    _same(a, t, rtol=1e-10)
    for u, v in zip(ga, gt):
        _same(u, v, rtol=1e-10)
    # beta=0 ignores input's values, but it stays in the graph with a zero gradient
    for lib in (ag, torch):
        for fn, args in ((lib.addmm, (lib.zeros(2, 2, requires_grad=True), lib.ones(2, 2), lib.ones(2, 2))),
                         (lib.addmv, (lib.zeros(2, requires_grad=True), lib.ones(2, 2), lib.ones(2))),
                         (lib.baddbmm, (lib.zeros(1, 2, 2, requires_grad=True), lib.ones(1, 2, 2), lib.ones(1, 2, 2)))):
            fn(*args, beta=0).sum().backward()
            assert args[0].grad.tolist() == lib.zeros_like(args[0]).tolist()
    # empty matrices: norms and condition numbers 0
    for lib in (ag, torch):
        L = lib.linalg
        assert [L.matrix_norm(lib.zeros(0, 0), ord=o).item() for o in (2, float("inf"), 1, "fro", "nuc")] == [0.0] * 5
        assert L.matrix_norm(lib.zeros(3, 0), ord=2).item() == 0.0
        assert L.cond(lib.zeros(0, 0)).item() == 0.0 and L.cond(lib.zeros(2, 0, 0)).tolist() == [0.0, 0.0]
    # PyTorch's keywords
    A = rng.standard_normal((4, 4))
    A = A @ A.T
    A[:, 0] = A[:, 1]
    A[0, :] = A[1, :]
    a3, b3, x = rng.standard_normal((3, 2)), rng.standard_normal((3, 2)), rng.standard_normal((2, 3, 4))
    results = []
    for lib in (ag, torch):
        L, t = lib.linalg, lib.tensor(A)
        results.append([L.matrix_rank(t).item(), L.matrix_rank(t, hermitian=True).item(),
                        L.matrix_rank(t, atol=1.0).item(), L.matrix_rank(t, atol=1e3, rtol=0.5).item(),
                        L.matrix_rank(t, tol=1.0).item(),
                        np.round(_np(L.cross(lib.tensor(a3), lib.tensor(b3), dim=0)), 10).tolist(),
                        np.round(_np(L.vecdot(lib.tensor(a3), lib.tensor(b3), dim=0)), 10).tolist(),
                        _np(L.diagonal(lib.tensor(x), offset=1, dim1=1, dim2=0)).tolist()])
    assert results[0] == results[1]


@pytest.mark.parametrize("name, shape, kwargs", [
    ("hfftn", (3, 4, 5), {}), ("hfftn", (3, 4, 5), {"s": (4, 7)}), ("hfftn", (3, 4, 5), {"dim": (0, 2)}),
    ("hfft2", (3, 4, 5), {}), ("ihfftn", (3, 4, 6), {}), ("ihfft2", (3, 4, 6), {}),
    ("ihfftn", (3, 4, 6), {"s": (3, 5), "dim": (0, 1)})], ids=str)
@pytest.mark.parametrize("norm", [None, "ortho", "forward"])
def test_hermitian_fft_nd_as_pytorch(name, shape, kwargs, norm):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape) + (1j * rng.standard_normal(shape) if name.startswith("h") else 0)
    for lib in (ag, torch):
        if lib is ag:
            a = lib.tensor(x, requires_grad=True)
            ra = getattr(lib.fft, name)(a, norm=norm, **kwargs)
        else:
            t = lib.tensor(x, requires_grad=True)
            rt = getattr(lib.fft, name)(t, norm=norm, **kwargs)
    _same(ra, rt, rtol=1e-10, atol=1e-10)
    w = rng.standard_normal(tuple(rt.shape))
    (ra.real * ag.tensor(w)).sum().backward()
    (rt.real * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(_np(a.grad), _np(t.grad), rtol=1e-10, atol=1e-10)
    assert ag.fft.fftfreq(0).shape == (0,) and ag.fft.fftfreq(3, requires_grad=True).requires_grad


@pytest.mark.parametrize("data", [
    [np.float64(1), 2], [np.float32(1), 2.5], [np.int32(1), 2], [np.float16(1), 2], [np.int8(1), 2.5],
    [np.uint8(1), np.int8(2)], [np.float32(1), 2j], [[np.float32(1)], [2.0]],
    [np.array([1, 2], dtype=np.int32), [3, 4]]], ids=repr)
def test_lists_with_numpy_scalars_infer_as_pytorch(data):
    # each NumPy scalar keeps its dtype, Python scalars take the defaults, and they promote
    assert str(ag.tensor(data).dtype).split(".")[-1] == str(torch.tensor(data).dtype).split(".")[-1]


@pytest.mark.parametrize("expr", ["x // 0", "x % y0", "lib.div(x, 0, rounding_mode='floor')",
                                  "lib.div(x, 0, rounding_mode='trunc')", "lib.fmod(x, 0)", "7 % y0"])
def test_integer_division_by_zero_raises_as_pytorch(expr):
    for lib in (ag, torch):
        x, y0 = lib.tensor([5, 3]), lib.tensor([0, 1])
        with pytest.raises(RuntimeError, match="ZeroDivisionError|division by zero"):
            eval(expr)
    assert (ag.tensor([5.0, -1.0]) // 0).tolist() == [float("inf"), float("-inf")]  # floats: infinities


@pytest.mark.parametrize("case", ["pool2d_relu_", "pool1d_relu_", "pool3d_add_", "sequential_inplace_relu"])
def test_max_pool_output_may_change_in_place(case):
    # PyTorch's max-pool backward keeps its input, not its output: MaxPool2d followed by
    # ReLU(inplace=True) is the usual CNN block
    rng = np.random.default_rng(0)
    x = {"pool1d_relu_": rng.standard_normal((2, 3, 8)), "pool3d_add_": rng.standard_normal((1, 2, 4, 4, 4))}.get(
        case, rng.standard_normal((2, 3, 6, 6)))

    def run(lib, t):
        F = lib.nn.functional
        if case == "pool2d_relu_":
            return F.max_pool2d(t, 2).relu_()
        if case == "pool1d_relu_":
            return F.max_pool1d(t, 2).relu_()
        if case == "pool3d_add_":
            return F.max_pool3d(t, 2).add_(1)
        return lib.nn.Sequential(lib.nn.MaxPool2d(2, padding=1), lib.nn.ReLU(True))(t)

    _check(run, x)


def test_float16_norms_sum_in_float32():
    for lib in (ag, torch):
        p = lib.nn.Parameter(lib.ones(3, dtype=lib.float16))
        p.grad = lib.full((3,), 300.0, dtype=lib.float16)  # 300 ** 2 overflows float16
        total = lib.nn.utils.clip_grad_norm_([p], 1.0)
        assert abs(total.item() - 519.5) < 0.5 and abs(p.grad[0].item() - 0.577) < 1e-3
        assert total.dtype == lib.float16


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cosine_similarity_broadcasts_before_the_norms(dim):
    rng = np.random.default_rng(0)
    _check(lambda lib, a, b: lib.nn.CosineSimilarity(dim=dim)(a, b), rng.random((3, 4)), rng.random((1, 4)))


def test_module_attributes_code_reads_as_pytorch():
    seen = []
    for lib in (ag, torch):
        lstm = lib.nn.LSTM(3, 4, 2, bidirectional=True, proj_size=2)
        lstm.flatten_parameters()  # nothing to do, but code calls it
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.nn.GRU(3, 4, dropout=0.5)  # dropout between layers, with one layer: PyTorch warns
        seen.append([lstm._flat_weights_names, lstm._all_weights, [[tuple(p.shape) for p in ps] for ps in lstm.all_weights],
                     [tuple(p.shape) for p in lstm._flat_weights], lib.nn.RNN(2, 3, nonlinearity="relu").nonlinearity,
                     lib.nn.RNNCell(2, 3).nonlinearity, lib.nn.Conv2d(1, 1, 1).transposed,
                     lib.nn.ConvTranspose2d(1, 1, 1).transposed, lib.nn.Upsample(scale_factor=2).name,
                     lib.nn.UpsamplingBilinear2d(scale_factor=2).name,
                     any("non-zero dropout expects num_layers greater than 1" in str(w.message) for w in caught)])
    assert seen[0] == seen[1]


def test_embedding_bag_scales_gradients_by_frequency():
    # each index's gradient divided by how often it occurs in the batch (PyTorch's documented
    # scale_grad_by_freq; only the max mode refuses it)
    m = ag.nn.EmbeddingBag(6, 3, mode="sum", scale_grad_by_freq=True)
    out = m(ag.tensor([1, 2, 2, 4, 1, 1]), ag.tensor([0, 3]))
    (out * ag.tensor(np.arange(6.0).reshape(2, 3), dtype=ag.float32)).sum().backward()
    np.testing.assert_allclose(np.asarray(m.weight.grad)[[1, 2, 4]], [[2, 3, 4], [0, 1, 2], [3, 4, 5]])
    with pytest.raises(ValueError, match="max mode does not support"):
        ag.nn.functional.embedding_bag(ag.tensor([1]), m.weight, ag.tensor([0]), mode="max", scale_grad_by_freq=True)


@pytest.mark.parametrize("kw", [dict(n_fft=16), dict(n_fft=16, hop_length=4, window="hann"),
                                dict(n_fft=16, win_length=10, window="hann", center=False),
                                dict(n_fft=15, hop_length=5, window="hamming", normalized=True),
                                dict(n_fft=16, pad_mode="constant", window="hann", onesided=False),
                                dict(n_fft=32, hop_length=8, window="hann", pad_mode="replicate")], ids=str)
@pytest.mark.parametrize("shape", [(2, 100), (64,)])
def test_stft_and_istft_as_pytorch(kw, shape):
    x = np.random.default_rng(0).standard_normal(shape)

    def args(lib):
        k = dict(kw)
        length = k.get("win_length", k["n_fft"])
        if "window" in k:
            k["window"] = (lib.hann_window if k["window"] == "hann" else lib.hamming_window)(length, dtype=lib.float64)
        return k

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's rectangular-window advice
        _check(lambda lib, t: lib.view_as_real(lib.stft(t, return_complex=True, **args(lib))), x)
        if kw.get("center", True) and "onesided" not in kw:  # the inverse gives the signal back
            for lib in (ag, torch):
                k = {a: b for a, b in args(lib).items() if a != "pad_mode"}
                spec = lib.stft(lib.tensor(x), return_complex=True, **args(lib))
                np.testing.assert_allclose(_np(lib.istft(spec, length=shape[-1], **k)), x, atol=1e-12)
    with pytest.raises(RuntimeError, match="return_complex"):
        ag.stft(ag.tensor(x), 16)


def test_small_pytorch_spellings_from_the_automated_sweep():
    for lib in (ag, torch):
        x = lib.tensor([3.0, 1.0, 2.0])
        assert lib.argsort(x, 0, True).tolist() == [0, 2, 1]  # positional (dim, descending)
        assert lib.sort(x, 0, True)[0].tolist() == [3.0, 2.0, 1.0]
        masks = lib.tensor([[True, False]])
        assert lib.rot90(masks, 0).dtype == lib.bool and lib.rot90(masks, 4).dtype == lib.bool
        assert lib.heaviside(lib.tensor([True, False]), lib.tensor([True, True])).dtype == lib.bool
        assert lib.nan_to_num(lib.tensor([float("nan"), 1.0]), None, 0.5).tolist() == [0.0, 1.0]
        assert lib.tensor([1.0, 2.0]).copy_(3).tolist() == [3.0, 3.0]  # a number fills
        assert lib.nn.functional.softmax(x, 0, 3).tolist() == lib.nn.functional.softmax(x, 0).tolist()
        b = lib.tensor([True, False])
        assert (lib.isnan(b).tolist(), b.isinf().tolist(), b.isfinite().tolist()) == ([False] * 2, [False] * 2, [True] * 2)
        assert tuple(lib.ones(1, 3, 1).squeeze(0, 2).shape) == (3,)
        assert tuple(lib.fft.fftn(lib.ones(3, 4), 2).shape) == (3, 2)  # an int s, an int dim
        assert tuple(lib.fft.fftn(lib.ones(3, 4), 1, 0).shape) == (1, 4)
        for bad in ((-3,), (2, -5)):  # NumPy would read any negative size as -1
            with pytest.raises(RuntimeError):
                lib.ones(3, 4).reshape(bad)


def test_kl_div_of_a_negative_target_is_nan():
    for lib in (ag, torch):
        F = lib.nn.functional
        assert math.isnan(F.kl_div(lib.tensor([0.1, 0.2]), lib.tensor([-0.5, 0.5]), reduction="sum").item())
        assert abs(F.kl_div(lib.tensor([0.1, 0.2]), lib.tensor([0.0, 0.5]), reduction="sum").item() + 0.4466) < 1e-4


# ----- session 14: Tensor method sweep ------------------------------------------------------
@pytest.mark.parametrize("view", ["column", "every other column", "diagonal", "strided flat"])
def test_contiguous_of_a_strided_view_is_a_copy(view):
    for lib in (ag, torch):
        x = lib.arange(12.0).reshape(3, 4)
        v = {"column": lambda: x[:, 1], "every other column": lambda: x[:, ::2],
             "diagonal": lambda: x.diagonal(), "strided flat": lambda: x.view(-1)[::5]}[view]()
        c = v.contiguous()
        assert c.is_contiguous()
        c.view(-1)[0] = 99.0
        assert x[0, 1].item() == 1.0 and x[0, 0].item() == 0.0  # x untouched


def test_contiguous_keeps_the_gradient_path():
    x = ag.arange(12.0).reshape(3, 4).requires_grad_()
    (x[:, 1].contiguous() * 2).sum().backward()
    np.testing.assert_allclose(_np(x.grad), np.array([[0, 2, 0, 0]] * 3, dtype=np.float32))


@pytest.mark.parametrize("make", [lambda m: m.zeros(3, 4).unsqueeze(0), lambda m: m.zeros(3, 4)[..., None],
                                  lambda m: m.zeros(2, 1, 3), lambda m: m.zeros(3, 4).T.unsqueeze(1),
                                  lambda m: m.zeros(1, 1), lambda m: m.zeros(3, 4)[:, :1]])
def test_stride_of_size_one_dimensions_is_pytorchs(make):
    assert make(ag).stride() == make(torch).stride()


@pytest.mark.parametrize("call", [
    lambda m: m.tensor(0.5).scatter_reduce(0, m.tensor(0), m.tensor(2.0), "sum"),
    lambda m: m.tensor(0.5).scatter_reduce(0, m.tensor(0), m.tensor(2.0), "prod"),
    lambda m: m.tensor(0.5).scatter_reduce(-1, m.tensor(0), m.tensor(2.0), "amax", include_self=False),
    lambda m: m.tensor(0.5).scatter(0, m.tensor(0), m.tensor(2.0)),
    lambda m: m.tensor(0.5).scatter(0, m.tensor(0), 2.0, reduce="multiply"),
    lambda m: m.tensor(0.5).scatter_add(0, m.tensor(0), m.tensor(2.0)),
    lambda m: m.tensor(0.5).gather(0, m.tensor(0)),
    lambda m: m.tensor(0.5).gather(-1, m.tensor([0])),
    lambda m: m.tensor(0.5).movedim(0, -1),
], ids=["scatter_reduce sum", "prod", "amax", "scatter", "scatter multiply", "scatter_add", "gather",
        "gather 1-d index", "movedim"])
def test_zero_d_tensors_take_dim_0_as_one_element(call):
    _same(call(ag), call(torch))


def test_zero_d_scatter_reduce_differentiates():
    def run(lib):
        x, s = lib.tensor(0.5, requires_grad=True), lib.tensor(2.0, requires_grad=True)
        lib.scatter_reduce(x, 0, lib.tensor(0), s, "prod").backward()
        return (x.grad.item(), s.grad.item())

    ours, theirs = _both_libs(run)
    assert ours == pytest.approx(theirs)


def test_chunk_of_an_empty_dimension_gives_that_many_empty_pieces():
    for shape, chunks in (((0,), 2), ((0, 3), 3)):
        ours, theirs = ag.zeros(*shape).chunk(chunks), torch.zeros(*shape).chunk(chunks)
        assert [tuple(c.shape) for c in ours] == [tuple(c.shape) for c in theirs]


def test_float_power_in_place_needs_a_double_tensor():
    with pytest.raises(RuntimeError, match="float_power_"):
        ag.tensor([1.0, 2.0]).float_power_(2)
    np.testing.assert_allclose(_np(ag.tensor([1.0, 2.0], dtype=ag.float64).float_power_(2)), [1.0, 4.0])


def test_bernoulli_in_place_checks_a_number_p():
    with pytest.raises(RuntimeError, match=r"\[0, 1\]"):
        ag.zeros(4).bernoulli_(1.5)


# ----- session 14: nn.Module API sweep ------------------------------------------------------
def test_parameter_dict_follows_pytorch():
    def run(lib):
        nn = lib.nn
        d = nn.ParameterDict({"w": nn.Parameter(lib.ones(1)), "b": lib.ones(2)})  # a dict: sorted keys
        got = [list(d.keys()), d.get("w") is d["w"], d.get("zz"), list(reversed(d)),
               list((d | {"c": lib.ones(1)}).keys()), repr(d)]
        d.setdefault("z", lib.zeros(1))
        got += [list(d.keys()), d.popitem()[0], list(d.keys()), list(d.copy().keys()),
                list(d.fromkeys(["x", "y"]).keys())]
        d |= [("a", lib.ones(1))]
        n = len(d)
        with pytest.raises(TypeError, match="not a string"):
            d[1] = lib.ones(1)
        if lib is ag:  # PyTorch lists the refused key before refusing it; arraygrad does not
            assert len(d) == n and 1 not in d
        m = nn.Module()
        m.pd = d
        got += [[n for n, _ in m.named_parameters()], list(m.state_dict()), type(d["a"]).__name__]
        return got

    ours, theirs = _both_libs(run)
    assert ours == theirs


def test_parameter_list_holds_any_object_and_extends_in_place():
    def run(lib):
        p = lib.nn.ParameterList([lib.ones(1), 3, "a"])
        p0 = p
        p += [lib.nn.Parameter(lib.ones(2))]
        return (p is p0, len(p), p[1], repr(p).replace("torch.", "").replace("arraygrad.", ""),
                len(list(p.parameters())), len(p[1:]))

    ours, theirs = _both_libs(run)
    assert ours == theirs


def test_sequential_and_module_list_arithmetic():
    def run(lib):
        nn = lib.nn
        s = nn.Sequential(nn.ReLU())
        s0 = s
        s += nn.Sequential(nn.Tanh())
        got = [s is s0, len(s), len(s * 2), len(2 * s), repr(s * 2)]
        s *= 3
        got.append(len(s))
        ml = nn.ModuleList([nn.ReLU()])
        m0 = ml
        ml += [nn.Tanh()]
        got += [ml is m0, len(ml)]
        for bad in (lambda: s * 0, lambda: s * 1.5):
            with pytest.raises((ValueError, TypeError)) as info:
                bad()
            got.append(type(info.value).__name__)
        return got

    ours, theirs = _both_libs(run)
    assert ours == theirs


def test_module_registration_and_traversal_follow_pytorch():
    import copy

    def run(lib):
        nn = lib.nn
        got = []
        m = nn.Module()
        m.register_buffer("b", lib.zeros(1))
        for bad in (lambda: m.register_parameter("b", nn.Parameter(lib.ones(1))),
                    lambda: m.add_module("b", nn.ReLU()),
                    lambda: m.register_buffer("forward", lib.ones(1))):
            with pytest.raises(KeyError, match="already exists"):
                bad()
        m.x = nn.Parameter(lib.ones(1))
        with pytest.raises(TypeError, match="as parameter 'x'"):
            m.x = nn.ReLU()
        m.b = nn.Parameter(lib.ones(1))  # an attribute assignment replaces the buffer
        got += [list(m._buffers), list(m._parameters)]
        s = nn.Sequential(nn.Linear(1, 1), nn.Sequential(nn.ReLU()))
        got.append([n for n, _ in s.named_modules(memo={s[1]})])
        lin = nn.Linear(1, 1)
        lin(lib.ones(1, 1)).sum().backward()
        got.append(copy.deepcopy(lin).weight.grad is None)
        t = lib.ones(2, requires_grad=True)
        (t * 2).sum().backward()
        got.append(copy.deepcopy(t).grad is not None)  # a plain tensor's .grad is copied
        return got

    ours, theirs = _both_libs(run)
    assert ours == theirs


def test_module_compile_type_and_set_submodule():
    def run(lib):
        nn = lib.nn
        m = nn.Sequential(nn.Sequential(nn.Linear(2, 2)), nn.BatchNorm1d(2))
        m.set_submodule("0.0", nn.ReLU())
        got = [repr(m), m.compile()]
        with pytest.raises(AttributeError):
            m.set_submodule("0.missing", nn.ReLU(), strict=True)
        m.type(lib.float64)
        got += [str(p.dtype).split(".")[-1] for p in m.parameters()]
        got.append(str(m[1].num_batches_tracked.dtype).split(".")[-1])
        return got

    ours, theirs = _both_libs(run)
    assert ours == theirs


def test_reprs_keep_blank_extra_repr_lines_and_sizes():
    def run(lib):
        nn = lib.nn

        class M(nn.Module):
            def __init__(self, e):
                super().__init__()
                self.e = e

            def extra_repr(self):
                return self.e

        return ([repr(M(e)) for e in ("a\n\nb", "a\n", "", "a")]
                + [repr(nn.Unflatten(1, (2, 5))), repr(nn.Unflatten(1, lib.Size([2, 5]))).split(".")[-1],
                   tuple(nn.ZeroPad2d((1, 1))(lib.ones(1, 2, 2)).shape)])

    ours, theirs = _both_libs(run)
    assert ours == theirs


# ----- session 14: optimizer sweep ----------------------------------------------------------
def test_complex_rprop_state_reloads_and_steps_as_pytorchs():
    def run(lib):
        p = lib.tensor([1 + 1j, 2 - 1j], requires_grad=True)
        o = lib.optim.Rprop([p], lr=0.1)
        grads = [[0.5 + 0.1j, -0.3 + 0.2j], [0.4 - 0.1j, -0.2 + 0.3j], [-0.1 + 0.2j, 0.3 + 0.1j]]
        for g in grads[:2]:
            p.grad = lib.tensor(g)
            o.step()
        q = lib.tensor(_np(p), requires_grad=True)
        o2 = lib.optim.Rprop([q], lr=0.1)
        o2.load_state_dict(o.state_dict())
        q.grad = lib.tensor(grads[2])
        o2.step()
        return (_np(p), _np(q), tuple(o.state[p]["step_size"].shape))

    ours, theirs = _both_libs(run)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6)
    assert ours[2] == theirs[2]


@pytest.mark.parametrize("name,missing", [("SGD", "maximize"), ("SGD", "nesterov"), ("Adam", "amsgrad"),
                                          ("NAdam", "decoupled_weight_decay"), ("RMSprop", "centered")])
def test_a_checkpoint_without_a_setting_loads_with_its_default(name, missing):
    def run(lib):
        p = lib.zeros(2, requires_grad=True)
        sd = getattr(lib.optim, name)([p], lr=0.1).state_dict()
        del sd["param_groups"][0][missing]
        o = getattr(lib.optim, name)([p], lr=0.1)
        o.load_state_dict(sd)
        p.grad = lib.ones(2)
        o.step()
        return _np(p)

    ours, theirs = _both_libs(run)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_optimizer_state_dict_hooks_run_as_pytorchs():
    def run(lib):
        log = []
        p = lib.zeros(2, requires_grad=True)
        o = lib.optim.SGD([p], lr=0.1)
        o.register_state_dict_pre_hook(lambda opt: log.append("pre"))
        o.register_state_dict_post_hook(lambda opt, sd: log.append(("post", sorted(sd))))
        o.register_state_dict_post_hook(lambda opt, sd: log.append("first"), prepend=True)

        def load_pre(opt, sd):
            log.append("load pre")
            sd = dict(sd, param_groups=[dict(g, lr=0.5) for g in sd["param_groups"]])
            return sd

        o.register_load_state_dict_pre_hook(load_pre)
        handle = o.register_load_state_dict_post_hook(lambda opt: log.append(("load post", opt.param_groups[0]["lr"])))
        o.load_state_dict(o.state_dict())
        handle.remove()
        o.load_state_dict(o.state_dict())
        return log

    ours, theirs = _both_libs(run)
    assert ours == theirs


@pytest.mark.parametrize("call", [lambda t: t.broadcast_to(2, 3), lambda t: t.broadcast_to((2, 3)),
                                  lambda t: t.broadcast_to(size=(2, 3)), lambda t: t.broadcast_to([2, -1])])
def test_broadcast_to_method_takes_the_sizes_as_expand_does(call):
    _same(call(ag.ones(3)), call(torch.ones(3)))


def test_nn_parameter_holds_the_lazy_placeholders_as_pytorchs():
    for lib in (ag, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = lib.nn.LazyLinear(3)
        assert isinstance(m.weight, lib.nn.parameter.UninitializedParameter)
        assert lib.nn.parameter.is_lazy(m.weight) and lib.nn.parameter.UninitializedBuffer
    with pytest.raises(AttributeError):
        ag.nn.parameter.NoSuchThing


def test_optimizer_step_count_moves_in_place_as_pytorchs():
    def run(lib):
        p = lib.zeros(1, requires_grad=True)
        o = lib.optim.Adam([p])
        p.grad = lib.ones(1)
        o.step()
        sd = o.state_dict()  # holds the state's tensors, not copies
        o.step()
        return (float(sd["state"][0]["step"]), float(o.state[p]["step"]))

    ours, theirs = _both_libs(run)
    assert ours == theirs


@pytest.mark.parametrize("name,keys", [("NAdam", ("mu_product",)), ("ASGD", ("eta", "mu"))])
def test_optimizer_scalar_state_is_tensors_as_pytorchs(name, keys):
    def run(lib):
        p = lib.tensor([1.0, -2.0], dtype=lib.float64, requires_grad=True)
        o = getattr(lib.optim, name)([p], lr=0.05)
        for i in range(5):
            p.grad = lib.tensor([0.3, -0.1 * i], dtype=lib.float64)
            o.step()
        return [(type(o.state[p][k]).__name__, o.state[p][k].item()) for k in keys]

    ours, theirs = _both_libs(run)
    assert [t for t, _ in ours] == [t for t, _ in theirs]
    np.testing.assert_allclose([v for _, v in ours], [v for _, v in theirs], rtol=1e-6)


@pytest.mark.parametrize("name", ["relu", "relu6", "hardtanh", "elu", "selu", "celu", "leaky_relu", "abs",
                                  "hardsigmoid", "threshold", "acosh"])
def test_activation_gradients_at_nan_and_the_kinks_as_pytorchs(name):
    """At NaN PyTorch's backward kernels take the branch whose test NaN fails (x <= 0 for
    relu and elu, outside the bounds for hardtanh and threshold, inside for hardsigmoid):
    relu, hardtanh and threshold pass g, the elus the linear slope, abs and hardsigmoid 0.
    float32: PyTorch's float64 hardtanh kernel gives 0 there. acosh's slope below -1 is
    PyTorch's formula evaluated there (the value is NaN)."""
    vals = [float("nan"), -3.0, -1.5, -1.0, 0.0, -0.0, 1.0, 3.0, 6.0, float("inf"), float("-inf"), 2.5]

    def run(lib):
        x = lib.tensor(vals, requires_grad=True)
        if name == "threshold":
            y = lib.nn.functional.threshold(x, 0.5, -2.0)
        else:
            y = (getattr(lib.nn.functional, name, None) or getattr(lib, name))(x)
        y.backward(lib.ones(len(vals)))
        return np.array(y.detach().tolist()), np.array(x.grad.tolist())

    (ours_y, ours_g), (theirs_y, theirs_g) = _both_libs(run)
    np.testing.assert_allclose(ours_y, theirs_y, rtol=1e-6, equal_nan=True)
    np.testing.assert_allclose(ours_g, theirs_g, rtol=1e-6, equal_nan=True)


def test_subtraction_with_a_bool_tensor_is_refused_as_in_pytorch():
    """`1 - mask` is the classic mask-inversion bug: PyTorch refuses any bool operand of a
    subtraction (tensor, Python or NumPy bool; operators, functions, in place), and so does
    arraygrad, with an error that is a RuntimeError (PyTorch's) and a TypeError."""
    calls = [lambda L, m, x, i: 1 - m, lambda L, m, x, i: m - 1, lambda L, m, x, i: x - m,
             lambda L, m, x, i: i - m, lambda L, m, x, i: x - True, lambda L, m, x, i: L.sub(x, m), lambda L, m, x, i: L.subtract(m, i),
             lambda L, m, x, i: x.sub_(m), lambda L, m, x, i: i.sub_(True), lambda L, m, x, i: L.rsub(x, m)]

    def run(L):
        out = []
        for call in calls:
            m, x, i = L.tensor([True, False]), L.ones(2), L.tensor([1, 2])
            try:
                call(L, m, x, i)
                out.append("ok")
            except RuntimeError as exc:
                out.append("bool tensor is not supported" in str(exc))
        return out

    ours, theirs = _both_libs(run)
    assert ours == theirs == [True] * len(calls)
    with pytest.raises(TypeError):
        ag.asarray([1, 2]) - ag.asarray([True, False])
    with pytest.raises(RuntimeError, match="bool"):  # PyTorch reads a NumPy bool as a float
        ag.ones(2) - np.bool_(True)
    np.testing.assert_array_equal((ag.asarray([3, 2]) - 1).numpy(), [2, 1])  # no bool: unchanged


@pytest.mark.parametrize("value", [300, 2**63])
def test_where_refuses_a_python_int_its_integer_dtype_cannot_hold(value):
    """NumPy's where wrapped it silently (300 became 44 in uint8); PyTorch raises, and so
    does arraygrad, as its operators do (OverflowError, NumPy 2's; also for -1, which
    PyTorch wraps to 255 here and refuses in clamp)."""
    def run(L):
        c, u = L.tensor([True, False]), L.tensor([1, 2], dtype=L.uint8)
        out = []
        for call in (lambda: L.where(c, u, value), lambda: L.where(c, value, u)):
            try:
                call()
                out.append("ok")
            except (RuntimeError, OverflowError):
                out.append("raised")
        return out

    ours, theirs = _both_libs(run)
    assert ours == theirs == ["raised", "raised"]
    c = ag.tensor([True, False])
    np.testing.assert_array_equal(ag.where(c, ag.tensor([1, 2], dtype=ag.uint8), 255).numpy(), [1, 255])
    with pytest.raises(OverflowError, match="where"):
        ag.where(c, ag.tensor([1, 2], dtype=ag.uint8), -1)


def test_numpy_scalars_count_as_the_numbers_they_hold():
    """full/full_like, xlogy and copy_ refused np.int64/np.float32 (an exact Python-type
    check; np.float64 passed as a float subclass); masked_fill dropped a NumPy complex's
    imaginary part where a Python complex raises."""
    def run(L):
        x = L.tensor([1.0, 2.0])
        return [L.full((2,), np.int64(3)).tolist(), str(L.full((2,), np.int64(3)).dtype).split(".")[-1],
                L.full((2,), np.float32(1.5)).tolist(), L.full((2,), np.bool_(True)).tolist(),
                L.full_like(x, np.int64(4)).tolist(), L.xlogy(x, np.float64(2.5)).tolist(),
                L.special.xlogy(x, np.int64(2)).tolist(), L.tensor([1.0, 2.0]).copy_(np.float32(3)).tolist(),
                L.tensor([1, 2]).copy_(np.int64(7)).tolist(),
                x.masked_fill(L.tensor([True, False]), np.int64(3)).tolist()]

    ours, theirs = _both_libs(run)
    assert ours[:2] == theirs[:2] and ours[3:5] == theirs[3:5] and ours[7:] == theirs[7:]
    np.testing.assert_allclose(ours[2], theirs[2])
    np.testing.assert_allclose(ours[5] + ours[6], theirs[5] + theirs[6], rtol=1e-6)
    with pytest.raises(TypeError, match="complex"):
        ag.tensor([1.0, 2.0]).masked_fill(ag.tensor([True, False]), np.complex128(1 + 1j))


@pytest.mark.parametrize("case", ["linear", "linear_3d_nobias", "linear_1d", "l1_loss", "softsign",
                                  "normalize", "pairwise_distance", "conv2d", "conv1d"])
def test_complex_inputs_of_nn_functional_as_pytorchs(case):
    """PyTorch takes complex input here (nn.Linear(dtype=complex64) included); the
    gradients follow its conjugate convention (linear's: g @ conj(W), g^T @ conj(x);
    the convolutions' likewise)."""
    rng = np.random.default_rng(3)

    def c(*shape):
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np.complex64)

    arrays = {"linear": [c(4, 3), c(5, 3), c(5)], "linear_3d_nobias": [c(2, 4, 3), c(5, 3)],
              "linear_1d": [c(3), c(5, 3), c(5)], "l1_loss": [c(4, 3), c(4, 3)], "softsign": [c(4, 3)],
              "normalize": [c(4, 3)], "pairwise_distance": [c(4, 3), c(4, 3)],
              "conv2d": [c(2, 3, 6, 6), c(4, 3, 3, 3), c(4)], "conv1d": [c(2, 3, 8), c(4, 3, 3)]}[case]
    name = case.split("_3d")[0].split("_1d")[0]

    def run(L):
        ts = [L.tensor(a, requires_grad=True) for a in arrays]
        y = getattr(L.nn.functional, name)(*ts)
        w = L.tensor(np.linspace(0.5, 1.5, y.numel()).reshape(tuple(y.shape)).astype(np.float32))
        loss = (y.real * w).sum() + ((y.imag * w).sum() if y.is_complex() else 0)
        loss.backward()
        return y.detach().resolve_conj().numpy(), [t.grad.resolve_conj().numpy() for t in ts]

    (ours_y, ours_g), (theirs_y, theirs_g) = _both_libs(run)
    np.testing.assert_allclose(ours_y, theirs_y, rtol=1e-5, atol=1e-5)
    for a, b in zip(ours_g, theirs_g):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_complex_linear_module_trains():
    layer = ag.nn.Linear(3, 2, dtype=ag.complex64)
    x = ag.randn(4, 3, dtype=ag.complex64)
    loss = layer(x).abs().sum()
    loss.backward()
    assert layer.weight.grad.dtype == ag.complex64 and layer.bias.grad.shape == (2,)


@pytest.mark.parametrize("name", ["layer_norm", "group_norm", "rms_norm", "batch_norm", "instance_norm"])
def test_float16_norms_compute_their_statistics_in_float32(name):
    """The squared deviations overflowed float16 from |x - mean| ~ 256: whole rows came out
    as zeros. PyTorch computes the statistics in float32, and so does arraygrad now; the
    output (and the gradient) stays float16."""
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((4, 8, 5, 5)) * 500).astype(np.float16)
    call = {"layer_norm": lambda F, t: F.layer_norm(t, (5, 5)), "group_norm": lambda F, t: F.group_norm(t, 2),
            "rms_norm": lambda F, t: F.rms_norm(t, (5,)),
            "batch_norm": lambda F, t: F.batch_norm(t, None, None, training=True),
            "instance_norm": lambda F, t: F.instance_norm(t)}[name]

    def run(L):
        t = L.tensor(x, requires_grad=True)
        y = call(L.nn.functional, t)
        y.sum().backward()
        return str(y.dtype).split(".")[-1], str(t.grad.dtype).split(".")[-1], y.detach().float().numpy()

    (od, ogd, ov), (td, tgd, tv) = _both_libs(run)
    assert (od, ogd) == (td, tgd) == ("float16", "float16")
    assert np.abs(ov).max() > 0.5  # not the zeros of an overflowed variance
    np.testing.assert_allclose(ov, tv, atol=4e-3)


def test_rms_norm_takes_a_weight_of_another_dtype_as_pytorch():
    def run(L):
        m = L.nn.RMSNorm(3)
        y = m(L.tensor([[1.0, -2.0, 3.0]], dtype=L.float64))
        return str(y.dtype).split(".")[-1], y.tolist()

    ours, theirs = _both_libs(run)
    assert ours[0] == theirs[0] == "float64"
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6)


# ----- sixteenth session's sweeps ----------------------------------------------------------
def test_index_fill_counts_a_repeated_index_once_in_the_values_gradient():
    """The value went through a setitem whose gradient gathers g at every index given: a
    repeated index counted its positions twice (6 instead of 4 here)."""
    def run(L):
        x = L.zeros(3, 2, dtype=L.float64, requires_grad=True)
        v = L.tensor(1.0, dtype=L.float64, requires_grad=True)
        y = x.index_fill(0, L.tensor([0, 0, 2]), v)
        (y * L.arange(6.0, dtype=L.float64).reshape(3, 2)).sum().backward()
        return y.tolist(), x.grad.tolist(), v.grad.item()

    ours, theirs = _both_libs(run)
    assert ours == theirs and ours[2] == 0 + 1 + 4 + 5


def test_mode_counts_nans_as_one_value():
    """Each NaN was a value of its own (NaN != NaN), so two NaNs lost to one 1.0. (Where NaNs
    tie with numbers PyTorch's answer depends on their order; arraygrad's, the smallest
    value first and NaN last, does not.)"""
    def run(L):
        x = L.tensor([[math.nan, math.nan, 1.0], [1.0, math.nan, 1.0], [math.nan, 3.0, math.nan]])
        m = x.mode(dim=1)
        return str(m.values.tolist())

    ours, theirs = _both_libs(run)
    assert ours == theirs == "[nan, 1.0, nan]"


@pytest.mark.parametrize("call", ["scatter", "scatter_", "scatter_add", "scatter_add_"])
def test_scatter_refuses_a_source_of_another_dtype(call):
    """The source was cast to the input's dtype: an int64 input took float sources truncated."""
    def run(L):
        x = L.zeros(3, dtype=L.int64)
        try:
            getattr(x, call)(0, L.tensor([0, 1]), L.tensor([1.5, 2.5]))
        except RuntimeError as exc:
            return "Expected self.dtype to be equal to src.dtype" in str(exc), x.tolist()
        return False, x.tolist()

    ours, theirs = _both_libs(run)
    assert ours == theirs == (True, [0, 0, 0])


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_optimizes_complex_parameters_as_pytorch(line_search_fn):
    """The flat vectors were complex: dot products without the conjugate, their imaginary
    parts dropped (a ComplexWarning), and LBFGS stood still. They are real now, two entries
    per complex element, as PyTorch's view_as_real."""
    target = np.array([0.3 + 0.1j, -0.2 + 0.5j, 1.0 - 1.0j])

    def run(L):
        p = L.tensor(np.array([1 + 2j, -0.5 + 0.3j, 0.0 + 0.0j]), requires_grad=True)
        w = L.tensor(np.array([1.0, 2.0, 0.5]))
        opt = L.optim.LBFGS([p], line_search_fn=line_search_fn, max_iter=5)

        def closure():
            opt.zero_grad()
            loss = (w * (p - L.tensor(target)).abs() ** 2).sum() + (p.real * p.imag).sum() * 0.1
            loss.backward()
            return loss

        losses = [float(opt.step(closure).detach()) for _ in range(3)]
        return losses, p.detach().numpy().copy()

    (ol, op), (tl, tp) = _both_libs(run)
    np.testing.assert_allclose(ol, tl, rtol=1e-7)
    np.testing.assert_allclose(op, tp, rtol=1e-7, atol=1e-9)
    assert ol[-1] < ol[0]


def test_unfold_windows_are_read_only_not_a_copy_that_takes_writes():
    """PyTorch's windows are a view: a write through them reaches the input. arraygrad's
    are a copy, so such a write changed the copy alone, silently; it raises now."""
    import arraygrad as ag

    x = ag.zeros(4)
    with pytest.raises(ValueError, match="read-only"):
        x.unfold(0, 2, 2).add_(1)
    assert x.tolist() == [0.0] * 4
    t = ag.arange(6.0, requires_grad=True)
    w = t.unfold(0, 3, 1)
    (w * w).sum().backward()  # reading and differentiating are unchanged
    assert t.grad.tolist() == [0.0, 4.0, 12.0, 18.0, 16.0, 10.0]


def test_trace_and_einsum_sums_of_small_integers_are_int64_as_pytorch():
    def run(L):
        x = L.ones(2, 2, dtype=L.uint8)
        return [str(t.dtype).split(".")[-1] for t in (
            L.trace(x), x.trace(), L.einsum("ii", x), L.einsum("ij->i", x), L.einsum("ij,jk->ik", x, x),
            L.einsum("ij->", x.to(L.int32)), L.einsum("ij->ji", x))]

    ours, theirs = _both_libs(run)
    assert ours == theirs == ["int64"] * 4 + ["uint8", "int64", "uint8"]


_NP_INT_LAYERS = {
    "Linear(np.prod(shape), n)": lambda L, i: L.nn.Linear(np.prod((1, 4, 4)), i(5))(L.randn(2, 16)),
    "Conv2d": lambda L, i: L.nn.Conv2d(i(3), i(4), (i(3), i(3)), stride=i(1))(L.randn(1, 3, 6, 6)),
    "ConvTranspose2d output_size": lambda L, i: L.nn.ConvTranspose2d(i(3), i(2), i(3), stride=2)(
        L.randn(1, 3, 4, 4), output_size=(i(10), i(10))),
    "MaxPool2d": lambda L, i: L.nn.MaxPool2d(i(2))(L.randn(1, 3, 6, 6)),
    "max_pool2d": lambda L, i: L.nn.functional.max_pool2d(L.randn(1, 3, 6, 6), i(2)),
    "unfold": lambda L, i: L.nn.functional.unfold(L.randn(1, 3, 6, 6), (i(2), i(2))),
    "AdaptiveAvgPool2d": lambda L, i: L.nn.AdaptiveAvgPool2d((i(2), i(2)))(L.randn(1, 3, 6, 6)),
    "Embedding": lambda L, i: L.nn.Embedding(i(10), i(3))(L.tensor([1, 2])),
    "BatchNorm1d": lambda L, i: L.nn.BatchNorm1d(i(3))(L.randn(4, 3)),
    "GroupNorm": lambda L, i: L.nn.GroupNorm(i(1), i(3))(L.randn(2, 3, 4)),
    "LayerNorm": lambda L, i: L.nn.LayerNorm(i(3))(L.randn(2, 3)),
    "MultiheadAttention": lambda L, i: L.nn.MultiheadAttention(i(4), i(2))(*(L.randn(3, 2, 4),) * 3)[0],
    "PixelShuffle": lambda L, i: L.nn.PixelShuffle(i(2))(L.randn(1, 4, 2, 2)),
    "TransformerEncoderLayer": lambda L, i: L.nn.TransformerEncoderLayer(i(4), i(2), i(8))(L.randn(2, 3, 4)),
}


@pytest.mark.parametrize("name", list(_NP_INT_LAYERS))
def test_layers_take_numpy_integers_as_sizes(name):
    """`nn.Linear(np.prod(img_shape), 512)` (the GAN tutorials') raised: sizes had to be
    Python ints. Anything with __index__ but a bool counts, as in PyTorch."""
    def run(L):
        L.manual_seed(0)
        return tuple(_NP_INT_LAYERS[name](L, np.int64).shape)

    ours, theirs = _both_libs(run)
    assert ours == theirs


def test_conv_forward_takes_a_weight_and_bias_as_pytorchs():
    """Weight-standardized convolutions (BiT, timm) override forward and call
    `self._conv_forward(x, w, self.bias)`; arraygrad's took the functional instead."""
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 5)).astype(np.float32)

    def run(L):
        L.manual_seed(0)

        class WSConv2d(L.nn.Conv2d):
            def forward(self, x):
                w = self.weight
                w = (w - w.mean(dim=(1, 2, 3), keepdim=True)) / (w.std(dim=(1, 2, 3), keepdim=True) + 1e-5)
                return self._conv_forward(x, w, self.bias)

        return WSConv2d(3, 4, 3, padding=1, padding_mode="reflect")

    ours, theirs = _both_libs(run)
    import arraygrad as ag

    ours.load_state_dict({k: ag.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    np.testing.assert_allclose(ours(ag.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)
    t = ag.nn.ConvTranspose2d(3, 2, 3, stride=2)  # and the transposed ones' _output_padding
    assert t._output_padding(ag.ones(1, 3, 4, 4), (10, 10), t.stride, t.padding, t.kernel_size, 2) == (1, 1)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
def test_softmax_family_takes_0d_input(name):
    def run(L):
        x = L.tensor(2.0, requires_grad=True)
        y = getattr(L.nn.functional, name)(x, -1)
        (y * 3).backward()
        return y.item(), x.grad.item(), tuple(y.shape)

    ours, theirs = _both_libs(run)
    assert ours == theirs


@pytest.mark.parametrize("mode, amounts", [("reflect", (-1, 3)), ("reflect", (3, -3)), ("replicate", (-2, 1)),
                                           ("constant", (-4, 0)), ("constant", (-2, -2)), ("circular", (-4, 0)),
                                           ("circular", (-1, 2)), ("constant", (-5, 1)), ("reflect", (4, 0))],
                         ids=str)
def test_pad_with_negative_amounts_as_pytorch(mode, amounts):
    """Reflection and replication read the whole input (a negative amount on one side does
    not shrink what the other side mirrors); cropping to nothing gives an empty tensor."""
    def run(L):
        x = L.arange(4.0).reshape(1, 1, 4)
        try:
            return L.nn.functional.pad(x, amounts, mode=mode).tolist()
        except RuntimeError:
            return "RuntimeError"

    ours, theirs = _both_libs(run)
    assert ours == theirs


@pytest.mark.parametrize("call", [
    lambda L: L.nn.functional.adaptive_avg_pool2d(L.ones(1, 1, 4, 4, requires_grad=True), (0, 2)),
    lambda L: L.nn.functional.adaptive_max_pool2d(L.ones(1, 1, 4, 4, requires_grad=True), (0, 2)),
    lambda L: L.nn.functional.adaptive_max_pool2d(L.ones(1, 1, 4, 4), (2, 0), return_indices=True)[1],
    lambda L: L.nn.functional.adaptive_avg_pool1d(L.ones(1, 1, 4), 0),
    lambda L: L.nn.functional.adaptive_max_pool1d(L.ones(1, 1, 4), 0),
    lambda L: L.nn.functional.adaptive_avg_pool3d(L.ones(1, 1, 2, 2, 2), (1, 0, 1)),
    lambda L: L.nn.functional.interpolate(L.ones(1, 1, 3, 3, 3), scale_factor=0.3, mode="area"),
])
def test_adaptive_pools_into_no_bins_give_empty_tensors(call):
    def run(L):
        out = call(L)
        return tuple(out.shape), str(out.dtype).split(".")[-1], out.requires_grad

    ours, theirs = _both_libs(run)
    assert ours == theirs


_SHAPE_MISTAKES = {
    "bmm": lambda L: L.bmm(L.ones(2, 3, 4), L.ones(3, 4, 5)),
    "clamp": lambda L: L.clamp(L.ones(3, 4), L.zeros(3)),
    "index_add": lambda L: L.ones(3, 2).index_add(0, L.tensor([0, 0]), L.ones(3, 2)),
    "mse_loss": lambda L: L.nn.functional.mse_loss(L.randn(3, 5), L.randn(3, 4)),
    "ConvTranspose2d channels": lambda L: L.nn.ConvTranspose2d(3, 2, 3)(L.randn(1, 4, 5, 5)),
    "Conv2d rank": lambda L: L.nn.Conv2d(3, 2, 3)(L.randn(1, 1, 3, 5, 5)),
    "BatchNorm2d channels": lambda L: L.nn.BatchNorm2d(3)(L.randn(2, 4, 5, 5)),
    "LSTM input size": lambda L: L.nn.LSTM(3, 4)(L.randn(5, 2, 6)),
    "embedding_bag offsets": lambda L: L.nn.functional.embedding_bag(L.tensor([1, 2]), L.ones(3, 2),
                                                                     L.tensor([[0]])),
    "einsum operands": lambda L: L.einsum("ij,jk", L.ones(2, 2)),
    "flatten dims": lambda L: L.ones(2, 3).flatten(1, 0),
    "MultiheadAttention embed_dim": lambda L: L.nn.functional.multi_head_attention_forward(
        L.ones(2, 1, 4), L.ones(2, 1, 4), L.ones(2, 1, 4), 6, 2, L.ones(18, 6), None, None, None, False, 0.0,
        L.ones(6, 6), None),
}


@pytest.mark.parametrize("name", list(_SHAPE_MISTAKES))
def test_shape_mistakes_raise_runtime_errors_as_pytorch(name):
    """Shapes that do not fit raised NumPy's bare ValueError (or arraygrad's own), which an
    `except RuntimeError` written for PyTorch misses. They are ShapeErrors now: RuntimeError
    (what PyTorch raises for most of them) and ValueError (NumPy's, the standard's) both."""
    import arraygrad as ag

    with pytest.raises(Exception):  # PyTorch refuses them too  # noqa: B017
        _SHAPE_MISTAKES[name](torch)
    with pytest.raises(RuntimeError) as ours:
        _SHAPE_MISTAKES[name](ag)
    assert isinstance(ours.value, ValueError)


@pytest.mark.parametrize("call", [
    lambda L, o: L.cumsum(L.arange(4.0), 0, out=o(4)),
    lambda L, o: L.mm(L.ones(2, 3), L.full((3, 2), 2.0), out=o(2, 2)),
    lambda L, o: L.clamp(L.tensor([-1.0, 0.5, 2.0]), 0, 1, out=o(3)),
    lambda L, o: L.gather(L.tensor([[1.0, 2.0], [3.0, 4.0]]), 1, L.tensor([[1], [0]]), out=o(2, 1)),
    lambda L, o: L.topk(L.tensor([3.0, 1.0, 2.0]), 2, out=(o(2), L.empty(2, dtype=L.int64))),
    lambda L, o: L.logsumexp(L.ones(2, 3), 1, out=o(2)),
    lambda L, o: L.addmm(L.ones(2, 2), L.ones(2, 3), L.ones(3, 2), beta=0.5, out=o(2, 2)),
])
def test_pytorch_functions_take_out(call):
    """`out=` was refused (TypeError) by most of PyTorch's own functions."""
    def run(L):
        outs = []

        def new(*shape):
            outs.append(L.empty(*shape))
            return outs[-1]

        r = call(L, new)
        first = r[0] if isinstance(r, tuple) else r
        return first is outs[0], [t.tolist() for t in (r if isinstance(r, tuple) else (r,))]

    ours, theirs = _both_libs(run)
    assert ours == theirs and ours[0]


_SMALL_GAPS = {
    "index_select 0-d": lambda L: L.tensor(5.0).index_select(0, L.tensor([0])),
    "index_add 0-d": lambda L: L.tensor(5.0).index_add(0, L.tensor([0]), L.tensor(1.0)),
    "index_fill 0-d": lambda L: L.tensor(5.0).index_fill(0, L.tensor([0]), 1.0),
    "nonzero 0-d as_tuple": lambda L: L.nonzero(L.tensor(3.0), as_tuple=True)[0],
    "count_nonzero dim=()": lambda L: L.count_nonzero(L.tensor([[0.0, 1.0], [2.0, 0.0]]), dim=()),
    "all dim=()": lambda L: L.tensor([[0.0, 1.0], [2.0, 0.0]]).all(dim=()),
    "any dim=()": lambda L: L.tensor([[0.0, 1.0], [2.0, 0.0]]).any(dim=(), keepdim=True),
    "split(0) of an empty dim": lambda L: L.zeros(0, 3).split(0)[0],
    "nonzero_static": lambda L: L.nonzero_static(L.tensor([0, 1, 1]), size=4, fill_value=7),
    "Tensor.nonzero_static": lambda L: L.tensor([[0, 1], [1, 1]]).nonzero_static(size=2),
}


@pytest.mark.parametrize("name", list(_SMALL_GAPS))
def test_small_gaps_against_pytorch(name):
    def run(L):
        r = _SMALL_GAPS[name](L)
        return r.tolist(), tuple(r.shape), str(r.dtype).split(".")[-1]

    ours, theirs = _both_libs(run)
    assert ours == theirs


@pytest.mark.parametrize("call", [lambda L: L.bincount(L.tensor([1]), minlength=-1),
                                  lambda L: L.zeros(2, 0).unflatten(1, (0, -1))])
def test_bad_sizes_raise_runtime_errors(call):
    """bincount took a negative minlength; unflatten divided by the 0 next to its -1."""
    for L in _both_libs(lambda L: L):
        with pytest.raises(RuntimeError):
            call(L)


def test_sequential_with_named_children_keeps_their_names():
    """insert renamed every child "0", "1", ... (the state_dict's keys changed) and s[i] = m
    added a child "i" beside the named one instead of replacing it."""
    from collections import OrderedDict

    def run(L):
        s = L.nn.Sequential(OrderedDict(fc=L.nn.Linear(2, 2), act=L.nn.ReLU(), out=L.nn.Tanh()))
        s.insert(3, L.nn.ReLU())
        s[1] = L.nn.Sigmoid()
        names = [n for n, _ in s.named_children()]
        try:
            s.insert(1, L.nn.ReLU())
        except KeyError:
            names.append("KeyError")
        q = L.nn.Sequential(L.nn.ReLU(), L.nn.Tanh())
        q.insert(1, L.nn.Sigmoid()).insert(-1, L.nn.Identity())
        return names, type(s.act).__name__, list(s.state_dict()), [type(m).__name__ for m in q], list(q._modules)

    ours, theirs = _both_libs(run)
    assert ours == theirs


@pytest.mark.parametrize("call", [
    lambda L: L.nn.init.uniform_(L.empty(3), 2.0, 1.0),
    lambda L: L.nn.init.normal_(L.empty(3), 0.0, -1.0),
    lambda L: L.nn.init.trunc_normal_(L.empty(3), a=2.0, b=1.0),
    lambda L: L.nn.utils.vector_to_parameters(L.ones(2), [L.nn.Parameter(L.ones(3))]),
    lambda L: L.nn.functional.smooth_l1_loss(L.ones(2), L.zeros(2), beta=-1.0),
    lambda L: L.nn.functional.binary_cross_entropy(L.tensor([1.5]), L.tensor([1.0])),
])
def test_out_of_range_arguments_raise_runtime_errors_as_pytorch(call):
    """Plain ValueErrors, which PyTorch's `except RuntimeError` misses: now both."""
    import arraygrad as ag

    with pytest.raises(RuntimeError):
        call(torch)
    with pytest.raises(RuntimeError) as ours:
        call(ag)
    assert isinstance(ours.value, ValueError)


@pytest.mark.parametrize("call", [lambda L: L.optim.LBFGS([L.nn.Parameter(L.ones(3))]).step(),
                                  lambda L: L.optim.SGD([L.nn.Parameter(L.ones(3))], lr=0.1).load_state_dict([1])])
def test_optimizer_misuse_raises_type_errors_as_pytorch(call):
    for L in _both_libs(lambda L: L):
        with pytest.raises(TypeError):
            call(L)


@pytest.mark.parametrize("call", [
    lambda L: L.tensor([L.tensor(1.5)], dtype=L.float64),
    lambda L: L.tensor([L.tensor(1), L.tensor(2)], dtype=L.float32),
    lambda L: L.tensor([[L.tensor(1)]], dtype=L.float64),
    lambda L: L.as_tensor([L.tensor(1), L.tensor(2)], dtype=L.float64),
    lambda L: L.linspace(-2.94, 3.04, 6, dtype=L.int64),
    lambda L: L.logspace(0.5, 2.5, 3, dtype=L.int64),
])
def test_creation_dtypes_as_pytorch(call):
    """dtype= was ignored for lists holding only tensors; integer linspace/logspace did not
    truncate their bounds first."""
    def run(L):
        r = call(L)
        return r.tolist(), str(r.dtype).split(".")[-1]

    ours, theirs = _both_libs(run)
    assert ours == theirs


def test_integer_arange_with_a_step_that_truncates_to_zero_raises():
    """arange(0, 5, 0.5, dtype=int64) gave ten zeros (NumPy's integer arange)."""
    for L in _both_libs(lambda L: L):
        with pytest.raises(ValueError, match="step must be nonzero"):
            L.arange(0, 5, 0.5, dtype=L.int64)


def test_clone_to_contiguous_format_and_type_tensor_as_pytorch():
    def run(L):
        x = L.arange(6.0).reshape(2, 3).t()
        y = x.clone(memory_format=L.contiguous_format)
        return (y.is_contiguous(), y.view(6).tolist(), x.clone().is_contiguous(),
                str(L.tensor([1, 2]).type(L.Tensor).dtype).split(".")[-1])

    ours, theirs = _both_libs(run)
    assert ours == theirs == (True, [0.0, 3.0, 1.0, 4.0, 2.0, 5.0], False, "float32")


@pytest.mark.parametrize("call", [lambda L: L.randperm(300, dtype=L.uint8),
                                  lambda L: L.normal(0.0, -1.0, (3,)),
                                  lambda L: L.zeros(3).normal_(0, -1)])
def test_random_arguments_out_of_range_raise(call):
    """randperm(300, dtype=uint8) wrapped into duplicates; a negative std gave samples."""
    for L in _both_libs(lambda L: L):
        with pytest.raises(RuntimeError):
            call(L)


def test_normal_of_tensors_differentiates_in_mean_and_std():
    """normal(mean, std) with tensors that require grad gave a constant: no gradient flowed
    back (PyTorch's NormalBackward: 1 for the mean, the standardized sample for std)."""
    import arraygrad as ag

    ag.manual_seed(0)
    m = ag.zeros(4, requires_grad=True)
    s = ag.full((4,), 2.0, requires_grad=True)
    y = ag.normal(m, s)
    (y * ag.arange(4.0)).sum().backward()
    assert m.grad.tolist() == [0.0, 1.0, 2.0, 3.0]
    np.testing.assert_allclose(s.grad.numpy(), (y.detach() / 2 * ag.arange(4.0)).numpy(), rtol=1e-6)


@pytest.mark.parametrize("p", ["fro", "nuc", 1, -1, math.inf, -math.inf])
def test_cond_of_a_singular_matrix_is_inf_as_pytorch(p):
    """cond raised LinAlgError for a singular matrix in the norms that invert it (one
    singular matrix failed the whole batch); PyTorch gives inf there."""
    a = np.array([[[1.0, 2.0], [2.0, 4.0]], [[2.0, 1.0], [1.0, 3.0]]])

    def run(L):
        return L.linalg.cond(L.tensor(a), p).tolist()

    ours, theirs = _both_libs(run)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12)
    assert ours[0] == math.inf and theirs[0] > 1e15  # PyTorch's LU misses the exact zero for 'nuc'
    import arraygrad as ag

    assert ag.autograd.gradcheck(lambda x: ag.linalg.cond(x, p), (ag.tensor(a[1], requires_grad=True),))


def test_matrix_power_0_stays_in_the_graph_with_a_zero_gradient():
    def run(L):
        a = L.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        L.linalg.matrix_power(a, 0).sum().backward()
        return a.grad.tolist()

    ours, theirs = _both_libs(run)
    assert ours == theirs == [[0.0, 0.0], [0.0, 0.0]]


def test_forward_ad_tangents_differentiate_again_as_pytorch():
    """Reverse over forward: a tangent of a primal (or of a tangent) that requires grad had no
    graph, so autograd.grad through it raised."""
    def run(L):
        fa = L.autograd.forward_ad
        x = L.tensor([1.0, 2.0], dtype=L.float64, requires_grad=True)
        t = L.tensor([1.0, 1.0], dtype=L.float64, requires_grad=True)
        with fa.dual_level():
            wrt_primal = fa.unpack_dual(fa.make_dual(x, L.ones(2, dtype=L.float64)) ** 3).tangent
            wrt_tangent = fa.unpack_dual(fa.make_dual(L.tensor([1.0, 2.0], dtype=L.float64), t) ** 3).tangent
            plain = fa.unpack_dual(fa.make_dual(L.tensor([1.0, 2.0]), L.ones(2)) ** 3).tangent
            return (L.autograd.grad(wrt_primal.sum(), x)[0].tolist(), L.autograd.grad(wrt_tangent.sum(), t)[0].tolist(),
                    plain.requires_grad)

    ours, theirs = _both_libs(run)
    assert ours == theirs == ([6.0, 12.0], [3.0, 12.0], False)


@pytest.mark.parametrize("call", [
    lambda L, o: L.zeros(2, 3, layout=L.strided, pin_memory=False),
    lambda L, o: L.ones(2, out=o(2)),
    lambda L, o: L.arange(3, out=L.empty(3, dtype=L.int64)),
    lambda L, o: L.full((2,), 1.5, out=o(2)),
    lambda L, o: L.linspace(0, 1, 3, out=o(3)),
    lambda L, o: L.eye(2, out=o(2, 2)),
    lambda L, o: L.zeros_like(L.ones(2), layout=L.strided),
    lambda L, o: L.randn(2, 3, layout=L.strided).shape,
    lambda L, o: L.randperm(4, out=L.empty(4, dtype=L.int64)).sort().values,
])
def test_factories_take_pytorchs_keywords(call):
    """out=, layout= and pin_memory= were refused (TypeError) by the factory functions."""
    def run(L):
        def new(*shape):
            return L.empty(*shape)

        r = call(L, new)
        return r.tolist() if hasattr(r, "tolist") else tuple(r)

    ours, theirs = _both_libs(run)
    assert ours == theirs


@pytest.mark.parametrize("call", [lambda L: L.ones(3).gather(0, L.tensor([5])),
                                  lambda L: L.ones(3).index_select(0, L.tensor([5])),
                                  lambda L: L.take(L.ones(3), L.tensor([5])),
                                  lambda L: L.ones(3).topk(5),
                                  lambda L: L.zeros(3).scatter(0, L.tensor([5]), L.ones(1)),
                                  lambda L: L.zeros(3).scatter_add(0, L.tensor([5]), L.ones(1))])
def test_indices_out_of_range_raise_runtime_errors_as_pytorch(call):
    """NumPy's bare IndexError, which an `except RuntimeError` written for PyTorch's gather
    and topk misses: now an IndexRangeError, both (PyTorch's index_select and take raise
    IndexError)."""
    import arraygrad as ag

    with pytest.raises((RuntimeError, IndexError)):
        call(torch)
    with pytest.raises(RuntimeError) as ours:
        call(ag)
    assert isinstance(ours.value, IndexError)


def test_tensor_of_a_complex_tensor_with_a_real_dtype_and_reversed_as_pytorch():
    """tensor(z, dtype=float32) refused the cast PyTorch makes (the real part, with a
    warning); reversed(t) walked the sequence protocol (PyTorch flips a copy)."""
    import warnings

    def run(L):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            real = L.tensor(L.tensor([1 + 2j]), dtype=L.float32).tolist()
        t = L.tensor([1.0, 2.0, 3.0])
        r = reversed(t)
        r[0] = 9.0  # a copy: t keeps its values
        return real, bool(caught), r.tolist(), t.tolist(), reversed(L.tensor(3.0)).item()

    ours, theirs = _both_libs(run)
    assert ours == theirs


def test_solve_ex_info_has_the_matrices_batch_shape():
    def run(L):
        return tuple(L.linalg.solve_ex(L.eye(3), L.ones(2, 3, 2)).info.shape)

    ours, theirs = _both_libs(run)
    assert ours == theirs == ()


def test_transposed_convolutions_refuse_the_convolutions_hook():
    """_ConvNd._conv_forward passes a convolution's arguments: on a transposed layer it
    would have put dilation where output_padding goes. It raises there now."""
    import arraygrad as ag

    m = ag.nn.ConvTranspose2d(3, 2, 3)
    with pytest.raises(NotImplementedError, match="_conv_forward"):
        m._conv_forward(ag.ones(1, 3, 4, 4), m.weight, m.bias)
    assert tuple(m(ag.ones(1, 3, 4, 4)).shape) == (1, 2, 6, 6)


def _raised(fn):
    """The exception class fn() raises (None if it returns)."""
    try:
        fn()
    except Exception as exc:  # noqa: BLE001  (the class is the result)
        return type(exc)
    return None


def test_dtype_refusals_are_what_pytorch_raises_too():
    """PyTorch raises NotImplementedError ("not implemented for 'Bool'") or RuntimeError for
    a dtype an op refuses; arraygrad's DTypeError is both, and the standard's TypeError."""
    cases = [lambda L: L.tensor([1.0]) & L.tensor([1.0]), lambda L: L.tensor([True]) // L.tensor([True]),
             lambda L: L.floor(L.tensor([1j])), lambda L: L.maximum(L.tensor([1j]), L.tensor([1j])),
             lambda L: L.tensor([1j]).argmax(), lambda L: L.sort(L.tensor([1j, 2j])),
             lambda L: L.norm(L.tensor([1, 2])), lambda L: -L.tensor([True])]
    for case in cases:
        ours, theirs = _both_libs(lambda L: _raised(lambda: case(L)))
        assert theirs is not None and issubclass(ours, theirs) and issubclass(ours, TypeError), (ours, theirs)


def test_backend_value_errors_are_runtime_errors_too():
    def run(L):
        return [_raised(lambda: L.tensor([1, 2]) ** -3), _raised(lambda: None in L.tensor([1.0])), _raised(lambda: "a" in L.tensor([1.0])),
                2.0 in L.tensor([1.0, 2.0])]

    ours, theirs = _both_libs(run)
    assert ours[-1] is theirs[-1] is True
    for o, t in zip(ours[:-1], theirs[:-1]):
        assert issubclass(o, t), (o, t)
    assert issubclass(ours[0], ValueError)  # the standard's libraries raise ValueError there


def test_clip_of_integers_with_a_float_bound_gives_the_default_float():
    def run(L):
        x = L.tensor([1, 2, 3])
        return [(str(r.dtype).split(".")[-1], r.tolist()) for r in
                (L.clip(x, 1.5), L.clip(x, 0, 2.5), L.clip(x, max=2.5), L.clamp(x, 1.5), x.clip(1.5))]

    ours, theirs = _both_libs(run)
    assert ours == theirs


def test_tensor_of_string_arrays_is_a_type_error():
    ours, theirs = _both_libs(lambda L: _raised(lambda: L.tensor([np.array(["a"]), np.array(["b"])])))
    assert ours is TypeError and theirs in (TypeError, ValueError)


def test_division_saves_its_inputs_so_the_quotient_may_change_in_place():
    """PyTorch's DivBackward0 saves the operands: an in-place op on the quotient (y = a / b;
    y += 1) is legal. The rule read the quotient, so backward raised."""
    def run(L):
        x = L.tensor([1.0, 2.0], dtype=L.float64, requires_grad=True)
        y = x / (x.abs() + 1)
        y.add_(1)
        z = 2.0 / x
        z.mul_(3)
        (y.sum() + z.sum()).backward()
        return x.grad.tolist()

    ours, theirs = _both_libs(run)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_advanced_indexing_gives_a_contiguous_tensor():
    """NumPy lays out x[:, idx] index-axes first; PyTorch's result is C-ordered, and code
    calls view() on it."""
    def run(L):
        x = L.arange(24.0).reshape(2, 3, 4)
        outs = [x[..., L.tensor([0, 2, 1])], x[:, [0, 1], 1:3], x[L.tensor([1, 0])], x[:, :, [3]]]
        return [(o.stride(), o.is_contiguous(), o.view(-1).tolist()) for o in outs]

    ours, theirs = _both_libs(run)
    assert ours == theirs


def test_data_utilities_match_pytorch():
    import collections

    def run(L):
        D, R = L.utils.data, L.nn.utils.rnn
        loader = D.DataLoader(range(4), batch_size=2)
        out = [str(R.pad_sequence([L.ones(2), L.ones(1, dtype=L.float64)]).dtype).split(".")[-1],
               R.pack_padded_sequence(L.ones(2, 3, 1), L.tensor([3.0, 2.0]), batch_first=True).batch_sizes.tolist(),
               type(D.default_collate([collections.UserDict(a=1), collections.UserDict(a=2)])).__name__,
               type(D.default_collate([collections.defaultdict(int, a=1)] * 2)).__name__,
               type(D.default_convert(collections.OrderedDict(a=1))).__name__,
               [t.tolist() for t in D.default_collate([range(2), range(2)])],
               D.Subset(list(range(5)), [4, 2]).__getitems__([0, 1]),
               len(iter(loader)), len(D.DataLoader(range(4), in_order=False)),
               L.nn.init._calculate_correct_fan(L.empty(4, 3), "fan_out"),
               tuple(L.nn.utils.stateless.functional_call(L.nn.Linear(2, 1), parameters_and_buffers={},
                                                          args=(L.ones(1, 2),)).shape)]
        for bad in (lambda: setattr(loader, "batch_size", 3), lambda: D.DataLoader(range(4), batch_size=None, drop_last=True)):
            out.append(_raised(bad))
        out.append(_raised(lambda: D.default_collate([[1, 2], [3]])))
        out.append(_raised(lambda: L.nn.utils.vector_to_parameters(L.arange(3), [L.nn.Parameter(L.ones(3))])))
        return out

    ours, theirs = _both_libs(run)
    assert ours[:-4] == theirs[:-4]
    for o, t in zip(ours[-4:], theirs[-4:]):
        assert t is not None and issubclass(o, t), (o, t)


def test_random_draws_in_dataloader_workers_repeat_under_manual_seed():
    """Worker threads take batches in whatever order they get to them; each batch draws from
    a generator seeded from the loader's seed and its position, so the values repeat."""
    import time

    class Noisy(ag.utils.data.Dataset):
        def __len__(self):
            return 48

        def __getitem__(self, i):
            time.sleep(0.0005 * (i % 3))
            return ag.rand(1)

    def epoch():
        ag.manual_seed(0)
        return ag.cat(list(ag.utils.data.DataLoader(Noisy(), batch_size=4, num_workers=3))).tolist()

    first = epoch()
    assert epoch() == first == epoch()
    assert len(set(map(tuple, first))) == 48  # distinct draws, not one stream replayed per batch


def test_gather_scatter_and_index_functions_refuse_negative_indices_as_pytorch():
    """NumPy's take_along_axis counts -1 from the end; PyTorch's gather, scatter, index_select,
    index_add and index_copy raise (index_fill and take count from the end in both)."""
    def run(L):
        x = L.tensor([[1.0, 2.0], [3.0, 4.0]])
        neg, neg2 = L.tensor([-1]), L.tensor([[-1], [0]])
        calls = [lambda: x.gather(1, neg2), lambda: x.index_select(0, neg), lambda: x.scatter(1, neg2, 5.0),
                 lambda: x.scatter_add(1, neg2, x), lambda: x.index_add(0, neg, x[:1]),
                 lambda: x.index_copy(0, neg, x[:1]), lambda: x.scatter_reduce(1, neg2, x, "sum")]
        return [_raised(c) for c in calls], x.index_fill(0, neg, 2.0).tolist(), x.take(neg).tolist()

    ours, theirs = _both_libs(run)
    assert ours[1:] == theirs[1:]
    for o, t in zip(ours[0], theirs[0]):
        assert t is not None and issubclass(o, t), (o, t)


def test_misuse_raises_what_pytorch_raises():
    def run(L):
        return [_raised(lambda: L.zeros(2).narrow(0, 1, 2)), _raised(lambda: L.zeros(1).expand(3).add_(1)),
                _raised(lambda: L.zeros(2, 2, 2).amax(dim=(2, -1))),
                _raised(lambda: L.zeros(3, dtype=L.float64).index_add_(0, L.tensor([0]), L.ones(1)))]

    ours, theirs = _both_libs(run)
    for o, t in zip(ours, theirs):
        assert t is not None and issubclass(o, t), (o, t)


def test_a_bool_tensor_is_a_python_index():
    def run(L):
        t = L.tensor(True)
        return [10, 20][t], hex(t), list(range(t)), tuple(L.arange(4.0)[t].shape)

    ours, theirs = _both_libs(run)
    assert ours == theirs


def test_flatten_of_nothing_to_merge_is_the_tensor_itself():
    """PyTorch returns the input when start_dim == end_dim: a leaf stays that leaf (its
    .grad is where a later backward accumulates)."""
    def run(L):
        v1 = L.tensor([2.0], dtype=L.float64, requires_grad=True)
        v3 = v1.flatten()
        loss = (v1 * 10).sum() + (v3 * 1).sum()
        loss.backward()
        y = L.ones(2, 3)
        return v3 is v1, v3.is_leaf, v1.grad.tolist(), y.flatten(1) is y, tuple(y.flatten().shape)

    ours, theirs = _both_libs(run)
    assert ours == theirs


def test_a_tensor_learning_rate_stays_the_callers_tensor_and_follows_the_schedule():
    """PyTorch keeps a tensor lr in the param group and its schedulers fill it in place;
    the optimizers read its value. It was turned into a float."""
    def run(L):
        out = []
        for make, sched in [(lambda ps, lr: L.optim.SGD(ps, lr=lr, momentum=0.9),
                             lambda o: L.optim.lr_scheduler.StepLR(o, 2, 0.5)),
                            (lambda ps, lr: L.optim.Adam(ps, lr=lr),
                             lambda o: L.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=6)),
                            (lambda ps, lr: L.optim.AdamW(ps, lr=lr),
                             lambda o: L.optim.lr_scheduler.ReduceLROnPlateau(o, patience=0))]:
            w = L.nn.Parameter(L.tensor([1.0, -2.0], dtype=L.float64))
            lr = L.tensor(0.05, dtype=L.float64)
            opt = make([w], lr)
            s = sched(opt)
            for _ in range(5):
                (w * w).sum().backward()
                opt.step()
                opt.zero_grad()
                s.step(1.0) if isinstance(s, L.optim.lr_scheduler.ReduceLROnPlateau) else s.step()
            out.append((opt.param_groups[0]["lr"] is lr, round(float(lr), 12), w.tolist(),
                        [round(float(v), 12) for v in s.get_last_lr()]))
        return out

    ours, theirs = _both_libs(run)
    assert [o[:2] + o[3:] for o in ours] == [t[:2] + t[3:] for t in theirs]
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o[2], t[2], rtol=1e-10)
    with pytest.raises(ValueError, match="1-element"):
        ag.optim.SGD([ag.nn.Parameter(ag.ones(2))], lr=ag.tensor([0.1, 0.2]))


def test_function_transforms_refuse_what_pytorch_refuses():
    """vmap: an unmapped tensor written in place with mapped values (it held the last
    index's values in every row); autograd.functional: a v of the wrong length (missing
    entries were read as zeros) and integer inputs (an all-zero integer Jacobian)."""
    def run(L):
        d = L.float64
        z = L.zeros(3, dtype=d)
        o = L.ones(2, dtype=d)
        return [_raised(lambda: L.func.vmap(lambda b: z.add_(b))(L.ones(5, 3, dtype=d))),
                _raised(lambda: L.autograd.functional.hvp(lambda x, y: (x * x * y).sum(), (o, o), (o,))),
                _raised(lambda: L.autograd.functional.vhp(lambda x, y: (x * x * y).sum(), (o, o), (o, o, o))),
                _raised(lambda: L.autograd.functional.jacobian(lambda x: x * 2.0, L.tensor([1, 2])))]

    ours, theirs = _both_libs(run)
    for o, t in zip(ours, theirs):
        assert t is not None and issubclass(o, t), (o, t)


def test_vmap_takes_a_one_tuple_out_dims_for_one_output_and_maps_in_place_ops_on_its_input():
    def run(L):
        x = L.zeros(2, 2)
        mapped = L.func.vmap(lambda a: a.add_(1))(x)
        return tuple(L.func.vmap(lambda v: v, out_dims=(1,))(L.ones(5, 3)).shape), mapped.tolist(), x.tolist()

    ours, theirs = _both_libs(run)
    assert ours == theirs


def test_tensor_of_a_deque_or_array_of_floats_is_float32_as_pytorch():
    """The REINFORCE tutorial's returns live in a deque: NumPy read it as float64."""
    from array import array
    from collections import UserList, deque

    def run(L):
        return [str(t.dtype).split(".")[-1] for t in (
            L.tensor(deque([1.0, 2.5])), L.tensor(UserList([1.0])), L.tensor(array("d", [1.0])),
            L.tensor([deque([1.0])]), L.tensor(range(3)))]

    ours, theirs = _both_libs(run)
    assert ours == theirs


def test_interpolate_nearest_2d_copies_or_doubles_as_pytorchs_kernel():
    """PyTorch's 2-D nearest kernel copies an axis whose size stays and doubles one whose
    size doubles, whatever the scale_factor says (2.1 on 5 pixels); misuse raises."""
    def run(L):
        F = L.nn.functional
        x = L.arange(25.0).reshape(1, 1, 5, 5)
        out = [F.interpolate(x, scale_factor=s, mode="nearest")[0, 0].tolist() for s in (2.1, 1.1, (2.96, 1.21))]
        out.append(tuple(F.interpolate(L.ones(1, 2, 3, 3, 2), mode="area", size=(0, 2, 3)).shape))
        out.append(_raised(lambda: F.interpolate(L.ones(1, 1, 4), scale_factor=(2.0, 3.0))))
        out.append(_raised(lambda: F.interpolate(L.ones(1, 1, 4), size=5, recompute_scale_factor=True)))
        out.append(_raised(lambda: L.nn.Linear(2, 2)(L.ones(1, 2, dtype=L.float64))))
        return out

    ours, theirs = _both_libs(run)
    assert ours[:4] == theirs[:4]
    for o, t in zip(ours[4:], theirs[4:]):
        assert t is not None and issubclass(o, t), (o, t)


def test_nn_functional_argument_errors_are_runtime_errors_too():
    def run(L):
        F = L.nn.functional
        x = L.ones(1, 1, 4, 4)
        return [_raised(lambda: F.conv2d(x, L.ones(1, 1, 3, 3), padding="same", stride=2)),
                _raised(lambda: F.conv2d(x, L.ones(1, 1, 3, 3), padding="foo")),
                _raised(lambda: F.avg_pool2d(x, 2, padding=2)),
                _raised(lambda: F.gelu(x, approximate="foo")),
                _raised(lambda: F.cross_entropy(L.ones(2, 3), L.tensor([0, 1]), label_smoothing=1.5)),
                _raised(lambda: F.batch_norm(x, None, None, training=False))]

    ours, theirs = _both_libs(run)
    for o, t in zip(ours, theirs):
        assert t is not None and issubclass(o, t) and issubclass(o, ValueError), (o, t)


def test_jvp_of_python_numbers_is_pytorchs_runtime_error():
    ours, theirs = _both_libs(lambda L: _raised(lambda: L.func.jvp(lambda x: x, (3.0,), (1.0,))))
    assert theirs is not None and issubclass(ours, theirs)


def test_views_that_change_nothing_are_still_views():
    """squeeze() of no size-1 axes (NumPy gives back the array itself: the result was an
    untracked alias, so a write through it gave a wrong gradient) and an expand that repeats
    nothing (a writable view, as PyTorch's); copies of an expanded tensor are C-ordered."""
    def run(L):
        x = L.ones(3, dtype=L.float64, requires_grad=True)
        b = x * 1
        b.squeeze().mul_(2)
        b.sum().backward()
        y = L.exp(L.ones(3, dtype=L.float64, requires_grad=True))
        y.squeeze().mul_(2)
        z = L.zeros(2, 3)
        z.squeeze(0).add_(1)
        z.expand(2, 3).add_(1)
        z.expand_as(z).mul_(3)
        e = L.ones(1, 3).expand(2, 3)
        return (x.grad.tolist(), _raised(lambda: y.sum().backward()), z.tolist(), z._version,
                e.clone().stride(), e.double().stride(), tuple(e.clone().view(6).shape),
                L.ones(1, 4, 1).expand(2, 4, 3).clone().stride())

    ours, theirs = _both_libs(run)
    assert ours[0] == theirs[0] and ours[2:] == theirs[2:]
    assert theirs[1] is not None and issubclass(ours[1], theirs[1])


def test_backward_inputs_listed_twice_accumulate_once_and_set_grad_enabled_entered_later():
    def run(L):
        x = L.tensor([1.0, 2.0, 3.0], dtype=L.float64, requires_grad=True)
        (x * 2).sum().backward(inputs=[x, x])
        first = x.grad.tolist()
        L.autograd.backward((x * 2).sum(), inputs=(x, x, x))
        modes = []
        s = L.set_grad_enabled(False)
        L.set_grad_enabled(True)
        for _ in range(2):
            with s:
                modes.append(L.is_grad_enabled())
            modes.append(L.is_grad_enabled())
        return first, x.grad.tolist(), modes

    ours, theirs = _both_libs(run)
    assert ours == theirs


def test_selections_without_a_full_sort_match_pytorch():
    """topk and median select with argpartition on NumPy (O(n)); the values, and the indices
    where there are no ties, are PyTorch's; NaN counts as the largest."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((7, 300))
    x[2, 17] = x[4, 250] = np.nan

    def run(L):
        t = L.tensor(x)
        out = []
        for k, largest in ((3, True), (5, False), (1, True), (150, True), (299, False)):
            v, i = L.topk(t, k, 1, largest=largest)
            out.append((v.tolist(), i.tolist()))
        m = L.tensor(x[[0, 1, 3, 5, 6]])
        mv, mi = m.median(1)
        out.append((mv.tolist(), mi.tolist(), m.median().item(), L.tensor([3, 1, 2, 5]).median().item()))
        return out

    ours, theirs = _both_libs(run)
    np.testing.assert_equal(ours, theirs)


def test_leaky_relu_norm_and_nan_to_num_special_values_match_pytorch():
    x = np.array([1.0, -2.0, 0.0, -0.0, np.nan, np.inf, -np.inf, 3.5])

    def run(L):
        t = L.tensor(x)
        out = [L.nn.functional.leaky_relu(t, s).tolist() for s in (0.01, 1.0, 0.0, 1.5, -0.5)]
        v = L.tensor(x[[0, 1, 2, 7]], requires_grad=True)
        n = L.linalg.vector_norm(v)
        n.backward()
        out.append((n.item(), v.grad.tolist(), L.linalg.vector_norm(L.tensor([[3.0, 4.0], [6.0, 8.0]]), dim=1).tolist()))
        w = L.tensor(x, requires_grad=True)
        y = L.nan_to_num(w, nan=1.0, posinf=2.0)
        y.sum().backward()
        out.append((y.tolist(), w.grad.tolist()))
        return out

    ours, theirs = _both_libs(run)
    np.testing.assert_equal(ours, theirs)


def test_grad_refuses_materialize_grads_with_allow_unused_false():
    def run(L):
        x = L.ones(2, requires_grad=True)
        y = L.ones(2, requires_grad=True)
        return _raised(lambda: L.autograd.grad((x * 2).sum(), [x, y], allow_unused=False, materialize_grads=True))

    ours, theirs = _both_libs(run)
    assert theirs is not None and issubclass(ours, theirs)


def test_nll_loss_values_and_gradients_match_pytorch_in_every_form():
    """The plain case (no weights, no ignored rows) takes a leaner forward and a one-column
    gradient; weights, ignored rows, (N, C, d) inputs, unbatched inputs and double backward
    keep the general path."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((6, 5))
    x3 = rng.standard_normal((4, 5, 3))
    y = np.array([0, 4, 2, 2, 1, 3])
    y3 = rng.integers(0, 5, (4, 3))
    w = rng.uniform(0.5, 2.0, 5)

    def run(L):
        F = L.nn.functional
        out = []
        for reduction in ("mean", "sum", "none"):
            for kw in ({}, {"weight": L.tensor(w)}, {"ignore_index": 2}):
                a = L.tensor(x, requires_grad=True)
                loss = F.nll_loss(F.log_softmax(a, 1), L.tensor(y), reduction=reduction, **kw)
                (loss * L.arange(1.0, loss.numel() + 1, dtype=L.float64).reshape(loss.shape)).sum().backward()
                out.append((loss.tolist(), a.grad.tolist()))
        a3 = L.tensor(x3, requires_grad=True)
        loss = F.nll_loss(a3, L.tensor(y3))
        (g,) = L.autograd.grad(loss, a3, create_graph=True)
        (gg,) = L.autograd.grad((g * g).sum() + loss, a3)
        out.append((loss.item(), g.tolist(), gg.tolist()))
        a1 = L.tensor(x[0], requires_grad=True)
        l1 = F.nll_loss(a1, L.tensor(3))
        l1.backward()
        out.append((l1.item(), a1.grad.tolist()))
        return out

    ours, theirs = _both_libs(run)
    for o, t in zip(ours, theirs):
        for a, b in zip(o, t):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_real_and_imag_of_complex_tensors_are_views_as_pytorchs():
    """torch.real(c) / torch.imag(c) are views (writes reach c; SelectBackward0), as the
    attributes c.real / c.imag; they were copies, so writes through them were lost."""
    def run(L):
        c = L.tensor([1 + 2j, 3 + 4j])
        L.real(c).add_(10)
        L.imag(c).mul_(3)
        z = L.tensor([1 + 2j, 3 - 1j], dtype=L.complex128, requires_grad=True)
        r = L.real(z) * 2 + L.imag(z) ** 2
        r.sum().backward()
        return (c.tolist(), type(L.real(z).grad_fn).__name__, z.grad.tolist(),
                L.real(L.tensor([[1 + 2j, 3j], [2, 5 + 1j]]).T).tolist(), L.real(L.tensor([1.0, 2.0])).tolist())

    ours, theirs = _both_libs(run)
    assert ours == theirs
