"""`arraygrad.func` (torch.func semantics) and `arraygrad.autograd.functional`, against
PyTorch 2.13's torch.func / torch.autograd.functional."""

from __future__ import annotations

import numpy as np
import pytest

import arraygrad as xp
import arraygrad.func as F
from arraygrad.autograd import functional as AF

torch = pytest.importorskip("torch")
tf = torch.func

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.func imports torch.jit


def t(values, requires_grad=False, dtype=np.float64):
    return xp.asarray(np.array(values, dtype=dtype), requires_grad=requires_grad)


def tt(values):
    return torch.tensor(np.array(values, dtype=np.float64))


def npy(x):
    return np.asarray(x.detach())


def close(a, b):
    if isinstance(b, (tuple, list)):
        assert isinstance(a, (tuple, list)) and len(a) == len(b)
        for u, v in zip(a, b):
            close(u, v)
        return
    if isinstance(b, dict):
        assert set(a) == set(b)
        for k in b:
            close(a[k], b[k])
        return
    np.testing.assert_allclose(npy(a), b.detach().numpy(), rtol=1e-10, atol=1e-12)


X = [0.3, -1.2, 2.0]
Y = [1.5, 0.5, -0.7]


def f_xp(x, y):
    return xp.sum(xp.sin(x) * y ** 2 + x * x * x)


def f_t(x, y):
    return (torch.sin(x) * y ** 2 + x ** 3).sum()


def vec_xp(x, y):
    return xp.exp(x) * y + x


def vec_t(x, y):
    return torch.exp(x) * y + x


def test_grad_and_argnums():
    close(F.grad(f_xp)(t(X), t(Y)), tf.grad(f_t)(tt(X), tt(Y)))
    close(F.grad(f_xp, argnums=1)(t(X), t(Y)), tf.grad(f_t, argnums=1)(tt(X), tt(Y)))
    close(F.grad(f_xp, argnums=(0, 1))(t(X), t(Y)), tf.grad(f_t, argnums=(0, 1))(tt(X), tt(Y)))
    close(F.grad(f_xp, argnums=-1)(t(X), t(Y)), tf.grad(f_t, argnums=-1)(tt(X), tt(Y)))


def test_grad_and_value_and_has_aux():
    g, v = F.grad_and_value(f_xp)(t(X), t(Y))
    tg, tv = tf.grad_and_value(f_t)(tt(X), tt(Y))
    close((g, v), (tg, tv))

    def aux_xp(x):
        return xp.sum(x * x), {"mean": xp.mean(x)}

    def aux_t(x):
        return (x * x).sum(), {"mean": x.mean()}

    g, aux = F.grad(aux_xp, has_aux=True)(t(X))
    tg, taux = tf.grad(aux_t, has_aux=True)(tt(X))
    close((g, aux), (tg, taux))
    g, (v, aux) = F.grad_and_value(aux_xp, has_aux=True)(t(X))
    tg, (tv, taux) = tf.grad_and_value(aux_t, has_aux=True)(tt(X))
    close((g, v, aux), (tg, tv, taux))


def test_grad_of_pytrees():
    def loss_xp(params, x):
        return xp.sum((params["w"] * x + params["b"]) ** 2)

    def loss_t(params, x):
        return ((params["w"] * x + params["b"]) ** 2).sum()

    params = {"w": t(Y), "b": t(0.5)}
    tparams = {"w": tt(Y), "b": tt(0.5)}
    close(F.grad(loss_xp)(params, t(X)), tf.grad(loss_t)(tparams, tt(X)))


def test_grad_errors():
    with pytest.raises(RuntimeError, match="scalar"):
        F.grad(lambda x: x * 2)(t(X))
    with pytest.raises(RuntimeError, match="floating point"):
        F.grad(lambda x: xp.sum(x))(xp.asarray([1, 2]))
    with pytest.raises(RuntimeError, match="argnums"):
        F.grad(f_xp, argnums=5)(t(X), t(Y))
    with pytest.raises(RuntimeError, match="tuple"):
        F.grad(lambda x: xp.sum(x), has_aux=True)(t(X))


def test_grad_of_an_unused_input_is_zero():
    close(F.grad(lambda x, y: xp.sum(x), argnums=1)(t(X), t(Y)),
          tf.grad(lambda x, y: x.sum(), argnums=1)(tt(X), tt(Y)))


def test_results_do_not_require_grad_unless_something_outside_does():
    g = F.grad(f_xp)(t(X), t(Y))
    assert not g.requires_grad
    w = t(Y, requires_grad=True)
    g = F.grad(lambda x: xp.sum(xp.sin(x) * w))(t(X))  # closes over w, which requires grad
    assert g.requires_grad
    xp.sum(g).backward()  # d/dw sum(cos(x) * w) = cos(x)
    np.testing.assert_allclose(npy(w.grad), np.cos(X))


def test_nested_grad():
    f = lambda x: xp.sum(x ** 4)  # noqa: E731
    close(F.grad(lambda x: xp.sum(F.grad(f)(x)))(t(X)),
          tf.grad(lambda x: tf.grad(lambda y: (y ** 4).sum())(x).sum())(tt(X)))
    d3 = F.grad(F.grad(F.grad(lambda x: x ** 4)))(t(1.5))
    assert float(d3) == pytest.approx(24 * 1.5)


def test_vjp():
    out, fn = F.vjp(vec_xp, t(X), t(Y))
    tout, tfn = tf.vjp(vec_t, tt(X), tt(Y))
    v = [1.0, -2.0, 0.5]
    close(out, tout)
    close(fn(t(v)), tfn(tt(v)))
    out, fn, aux = F.vjp(lambda x: (x * 2, x[0]), t(X), has_aux=True)
    close(aux, tt(X)[0])
    with pytest.raises(RuntimeError, match="shape"):
        fn(t([1.0]))


def test_vjp_with_tuple_outputs():
    def two(x):
        return x * 2, xp.sum(x)

    out, fn = F.vjp(two, t(X))
    tout, tfn = tf.vjp(lambda x: (x * 2, x.sum()), tt(X))
    close(out, tout)
    close(fn((t(Y), t(3.0))), tfn((tt(Y), tt(3.0))))


def test_jvp():
    out, jv = F.jvp(vec_xp, (t(X), t(Y)), (t([1.0, 0.0, 2.0]), t([0.5, 0.5, 0.5])))
    tout, tjv = tf.jvp(vec_t, (tt(X), tt(Y)), (tt([1.0, 0.0, 2.0]), tt([0.5, 0.5, 0.5])))
    close((out, jv), (tout, tjv))
    with pytest.raises(RuntimeError, match="tuple"):
        F.jvp(vec_xp, t(X), t(X))


def test_jvp_of_a_constant_function_is_zero():
    out, jv = F.jvp(lambda x: xp.ones((2,), dtype=xp.float64), (t(X),), (t(Y),))
    np.testing.assert_allclose(npy(jv), [0.0, 0.0])


@pytest.mark.parametrize("which", ["jacrev", "jacfwd"])
def test_jacobians(which):
    ours, theirs = getattr(F, which), getattr(tf, which)
    close(ours(vec_xp)(t(X), t(Y)), theirs(vec_t)(tt(X), tt(Y)))
    close(ours(vec_xp, argnums=(0, 1))(t(X), t(Y)), theirs(vec_t, argnums=(0, 1))(tt(X), tt(Y)))
    m = [[1.0, 2.0], [3.0, -1.0]]
    close(ours(lambda a: a @ a)(t(m)), theirs(lambda a: a @ a)(tt(m)))  # (2, 2, 2, 2)
    close(ours(lambda a: (xp.sum(a), a * 3))(t(X)), theirs(lambda a: (a.sum(), a * 3))(tt(X)))


def test_hessian_and_hvp():
    def f(x):
        return xp.sum(xp.exp(x[0]) * x ** 3)

    def ft(x):
        return (torch.exp(x[0]) * x ** 3).sum()

    close(F.hessian(f)(t(X)), tf.hessian(ft)(tt(X)))
    assert F.jacobian is F.jacrev
    v = [0.5, -1.0, 2.0]
    out, hv = F.hvp(f, (t(X),), (t(v),))  # like jvp: primals and tangents are tuples
    tout, thv = torch.autograd.functional.hvp(ft, tt(X), tt(v))
    close((out, hv), (tout, (thv,)))


def test_functional_api_matches_torch():
    x, v = t(X), t(Y)
    tx, tv = tt(X), tt(Y)

    def g(a):
        return xp.sum(xp.sin(a) * a)

    def gt(a):
        return (torch.sin(a) * a).sum()

    close(AF.vjp(lambda a: vec_xp(a, v), x, t([1.0, 2.0, 3.0])),
          torch.autograd.functional.vjp(lambda a: vec_t(a, tv), tx, tt([1.0, 2.0, 3.0])))
    close(AF.jvp(lambda a: vec_xp(a, v), x, t([1.0, 2.0, 3.0])),
          torch.autograd.functional.jvp(lambda a: vec_t(a, tv), tx, tt([1.0, 2.0, 3.0])))
    close(AF.jacobian(vec_xp, (x, v)), torch.autograd.functional.jacobian(vec_t, (tx, tv)))
    close(AF.jacobian(lambda a: vec_xp(a, v), x), torch.autograd.functional.jacobian(lambda a: vec_t(a, tv), tx))
    close(AF.hessian(g, x), torch.autograd.functional.hessian(gt, tx))
    close(AF.hessian(lambda a, b: xp.sum(a * a * b), (x, v)),
          torch.autograd.functional.hessian(lambda a, b: (a * a * b).sum(), (tx, tv)))
    close(AF.hvp(g, x, v), torch.autograd.functional.hvp(gt, tx, tv))
    close(AF.vhp(g, x, v), torch.autograd.functional.vhp(gt, tx, tv))
    with pytest.raises(RuntimeError, match="independent of input"):
        AF.vjp(lambda a, b: a * 2, (x, v), t([1.0, 1.0, 1.0]), strict=True)


def test_functional_create_graph():
    x = t(X, requires_grad=True)
    _, g = AF.vjp(lambda a: a ** 3, x, t([1.0, 1.0, 1.0]), create_graph=True)
    assert g.requires_grad
    xp.sum(g).backward()
    np.testing.assert_allclose(npy(x.grad), 6 * np.array(X))
    _, g = AF.vjp(lambda a: a ** 3, x, t([1.0, 1.0, 1.0]))
    assert not g.requires_grad


def test_import_paths():
    import arraygrad.autograd.functional as m

    from arraygrad.autograd.functional import jacobian

    assert m is AF and jacobian is AF.jacobian


# ----- vmap --------------------------------------------------------------------------------------
RNG = np.random.default_rng(7)
A, B, W = RNG.standard_normal((4, 3)), RNG.standard_normal((3, 4)), RNG.standard_normal((3, 2))


@pytest.mark.parametrize("case", [
    (lambda m: lambda v: (v ** 2).sum(), (A,), {}),
    (lambda m: lambda v, w: v @ w, (A, W), {"in_dims": (0, None)}),
    (lambda m: lambda v: m.sin(v) * 2, (B,), {"in_dims": 1}),
    (lambda m: lambda v: v.sum(), (B,), {"in_dims": -1}),
    (lambda m: lambda v: (v, v.sum()), (A,), {"out_dims": (1, 0)}),
    (lambda m: lambda v, w: {"s": v + w}, (A, B), {"in_dims": (0, 1)}),
    (lambda m: lambda p: p["a"] * p["b"], ({"a": A, "b": W[:, 0]},), {"in_dims": ({"a": 0, "b": None},)}),
    (lambda m: lambda v: m.outer(v, v), (A,), {"out_dims": -1}),
], ids=["sum", "matmul-unmapped", "in_dims=1", "in_dims=-1", "out_dims", "dict-out", "dict-in", "out_dims=-1"])
def test_vmap_matches_torch(case):
    make, args, kw = case
    conv = lambda c: lambda a: ({k: conv(c)(v) for k, v in a.items()} if isinstance(a, dict) else c(a))  # noqa: E731
    ours = F.vmap(make(xp), **kw)(*[conv(t)(a) for a in args])
    ref = tf.vmap(make(torch), **kw)(*[conv(tt)(a) for a in args])
    close(ours, ref)


def test_vmap_per_sample_gradients_and_backward_through_it():
    """The classic use: per-example gradients (vmap of grad), and vmap's result differentiated."""
    f = lambda w, x: ((x @ w) ** 2).sum()  # noqa: E731
    ours = F.vmap(F.grad(f), in_dims=(None, 0))(t(W), t(A))
    ref = tf.vmap(tf.grad(lambda w, x: ((x @ w) ** 2).sum()), in_dims=(None, 0))(tt(W), tt(A))
    close(ours, ref)
    w = t(W, requires_grad=True)
    F.vmap(lambda x: (x @ w).sum())(t(A)).sum().backward()
    tw = tt(W).requires_grad_()
    tf.vmap(lambda x: (x @ tw).sum())(tt(A)).sum().backward()
    close(w.grad, tw.grad)
    close(F.vmap(F.vmap(lambda a: a * 3))(t(A)), tt(A) * 3)  # nested


def test_vmap_empty_map_and_unmapped_outputs():
    assert tuple(F.vmap(lambda v: v.sum(0))(xp.ones((0, 3, 2))).shape) == (0, 2)
    c = t([1.0, 2.0])
    assert F.vmap(lambda v: c, out_dims=None)(t(A)) is c
    close(F.vmap(lambda v: c)(t(A)), tt([[1.0, 2.0]] * 4))  # an unmapped output, repeated


def test_vmap_randomness_modes():
    with pytest.raises(RuntimeError, match="randomness error mode"):
        F.vmap(lambda v: v + xp.rand(3))(t(A))
    xp.manual_seed(0)
    same = F.vmap(lambda v: xp.rand(2), randomness="same")(t(A))
    assert np.all(npy(same) == npy(same)[0])
    different = F.vmap(lambda v: xp.rand(2), randomness="different")(t(A))
    assert len({tuple(r) for r in npy(different)}) == 4
    with pytest.raises(RuntimeError, match="randomness"):
        F.vmap(lambda v: v, randomness="bad")


@pytest.mark.parametrize("call, exc, match", [
    (lambda: F.vmap(lambda v: v, in_dims=2)(t(A)), ValueError, "expected in_dim to satisfy -2 <= in_dim < 2"),
    (lambda: F.vmap(lambda v, w: v + w)(t(A), t(B)), ValueError, r"same size in the mapped dimension, got sizes \[4, 3\]"),
    (lambda: F.vmap(lambda v: v)(1.0), ValueError, "cannot vmap over non-Tensor arguments"),
    (lambda: F.vmap(lambda v: 1.0)(t(A)), ValueError, "must only return Tensors"),
    (lambda: F.vmap(lambda v: v, out_dims=None)(t(A)), ValueError, "can not return a BatchedTensor"),
    (lambda: F.vmap(lambda v: v, in_dims=None)(t(A)), ValueError, "in_dims"),
    (lambda: F.vmap(lambda v, w: v, in_dims=(0,))(t(A), t(A)), ValueError, "not compatible with the structure"),
    (lambda: F.vmap(lambda v: v)(), ValueError, "got no inputs"),
    (lambda: F.vmap(lambda v: v, chunk_size=0), ValueError, "chunk_size"),
    (lambda: F.vmap(lambda v: v, out_dims=3)(t(A)), IndexError, "Dimension out of range"),
])
def test_vmap_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ----- functional_call -------------------------------------------------------------------------
def test_functional_call_replaces_and_restores():
    m = xp.nn.Linear(3, 2).double()
    tm = torch.nn.Linear(3, 2).double()
    with torch.no_grad():
        tm.weight.copy_(torch.from_numpy(np.array(m.weight.detach()))), tm.bias.copy_(torch.from_numpy(np.array(m.bias.detach())))
    w = t(W.T, requires_grad=True)
    out = F.functional_call(m, {"weight": w}, (t(A),))
    tw = tt(W.T).requires_grad_()
    ref = tf.functional_call(tm, {"weight": tw}, (tt(A),))
    close(out, ref)
    out.sum().backward()
    ref.sum().backward()
    close(w.grad, tw.grad)
    assert m.weight is not w and m.weight.grad is None  # restored, untouched
    close(F.functional_call(m, ({"weight": t(W.T)}, {"bias": t([1.0, 2.0])}), t(A)),
          tf.functional_call(tm, ({"weight": tt(W.T)}, {"bias": tt([1.0, 2.0])}), tt(A)))
    close(F.functional_call(m, {}, args=(), kwargs={"input": t(A)}), tm(tt(A)))


def test_functional_call_tied_weights_and_errors():
    inner = xp.nn.Linear(2, 2)
    shared = xp.nn.Sequential(inner, xp.nn.ReLU(), inner)
    x = xp.ones((1, 2))
    zero = F.functional_call(shared, {"0.weight": xp.zeros((2, 2)), "0.bias": xp.zeros(2)}, x)
    assert np.all(npy(zero) == 0)  # both uses of the tied layer took the values
    with pytest.raises(ValueError, match="appeared in multiple dictionaries"):
        F.functional_call(inner, ({"weight": xp.zeros((2, 2))}, {"weight": xp.ones((2, 2))}), x)
    with pytest.raises(RuntimeError, match=r"Unexpected key\(s\): 'bogus'.\n\tMissing key\(s\): 'bias'."):
        F.functional_call(inner, {"weight": xp.zeros((2, 2)), "bogus": xp.ones(1)}, x, strict=True)
    F.functional_call(inner, {"weight": xp.zeros((2, 2)), "bogus": xp.ones(1)}, x)  # not strict: ignored
    assert not hasattr(inner, "bogus")


def test_func_transforms_as_pytorch_oracle():
    torch = pytest.importorskip("torch")
    import arraygrad as ag

    seen = []
    for lib in (ag, torch):
        c = lib.ones(2)
        # out_dims=None: an output that does not depend on the mapped inputs
        fresh = lib.func.vmap(lambda x: (x * 2, lib.ones(2)), out_dims=(0, None))(lib.ones(3, 2))
        derived = lib.func.vmap(lambda x: (x.sum(), c * 2), out_dims=(0, None))(lib.ones(3, 2))
        with pytest.raises(ValueError, match="BatchedTensor"):
            lib.func.vmap(lambda x: x * 2, out_dims=None)(lib.arange(3.0))
        # vjp_fn's create_graph=: the result differentiates again
        x = lib.tensor([0.5, 1.0], dtype=lib.float64, requires_grad=True)
        _, pull = lib.func.vjp(lambda x: x.sin(), x)
        (g,) = pull(lib.ones(2, dtype=lib.float64), create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        pull(lib.ones(2, dtype=lib.float64), retain_graph=True)
        out, lin = lib.func.linearize(lambda x: x.sin() * x, x.detach())
        seen.append([tuple(fresh[0].shape), fresh[1].tolist(), derived[1].tolist(), gg.tolist(),
                     str(lib.func.jacrev(lambda x: x[:0])(lib.ones(3, dtype=lib.float64)).dtype).split(".")[-1],
                     out.tolist(), lin(lib.ones(2, dtype=lib.float64)).tolist()])
    np.testing.assert_allclose(np.array(seen[0][3]), np.array(seen[1][3]), rtol=1e-12)
    np.testing.assert_allclose(np.array(seen[0][6]), np.array(seen[1][6]), rtol=1e-12)
    for k in (0, 1, 2, 4, 5):
        assert seen[0][k] == seen[1][k]


def test_forward_ad_dual_tensors_as_pytorch():
    import arraygrad as ag

    rng = np.random.default_rng(0)
    x0, t0, w0 = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    z0, zt0 = np.array([1 + 2j, -0.5 + 1j]), np.array([0.3 - 1j, 2 + 0.5j])
    seen = []
    for lib in (ag, torch):
        fwAD = lib.autograd.forward_ad
        res = []
        with fwAD.dual_level():
            x = fwAD.make_dual(lib.tensor(x0), lib.tensor(t0))
            y = lib.tanh(x @ lib.tensor(w0)).sum(1) * x[:, 0]
            primal, tangent = fwAD.unpack_dual(y)
            res += [primal, tangent, fwAD.unpack_dual(x).tangent]
            assert fwAD.unpack_dual(lib.ones(2)).tangent is None
            m = lib.nn.Linear(4, 2).double()  # parameters as duals (the forward-AD tutorial)
            with lib.no_grad():
                m.weight.copy_(lib.tensor(w0.T))
                m.bias.zero_()
            duals = {n: fwAD.make_dual(p, lib.ones_like(p)) for n, p in m.named_parameters()}
            res.append(fwAD.unpack_dual(lib.func.functional_call(m, duals, (lib.tensor(x0),))).tangent)
            a = fwAD.make_dual(lib.tensor([1.0, 2.0], dtype=lib.float64), lib.tensor([0.5, -1.0], dtype=lib.float64))
            b = fwAD.make_dual(lib.tensor([3.0, 4.0], dtype=lib.float64), lib.tensor([1.0, 1.0], dtype=lib.float64))
            res.append(fwAD.unpack_dual(a * b + lib.exp(a)).tangent)
            z = fwAD.make_dual(lib.tensor(z0), lib.tensor(zt0))  # complex, non-holomorphic too
            res += [fwAD.unpack_dual(z * z + lib.exp(z)).tangent, fwAD.unpack_dual(z.abs()).tangent,
                    fwAD.unpack_dual(z.conj() * 2).tangent]
        assert fwAD.unpack_dual(y).tangent is None  # the level is closed
        seen.append([np.asarray(r.detach()) for r in res])
    for ours, theirs in zip(*seen):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    with pytest.raises(RuntimeError, match="needs an open level"):
        ag.autograd.forward_ad.make_dual(ag.ones(2), ag.ones(2))
