"""gradcheck / gradgradcheck: analytical gradients against finite differences.

PyTorch's signatures and semantics. Every input that requires grad is perturbed element by
element (central differences, step `eps`), giving the numerical Jacobian of every output;
the analytical Jacobian comes from one backward pass per output element. They must agree
within ``|analytical - numerical| <= atol + rtol * |numerical|``.

Complex numbers are checked as pairs of reals. For an input z = x + iy and a real output
component o, the gradient the engine returns must be ``do/dx + i do/dy`` (PyTorch's
convention: the conjugate Wirtinger derivative, times 2); a complex output is checked as its
real and imaginary parts (backward seeded with 1 and with 1j).
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import _dispatch as D
from .._dispatch import GRAD_ENABLED

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """A gradient check failed (raised when raise_exception=True)."""


def _as_tuple(x):
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _host(t) -> np.ndarray:
    """A NumPy copy of `t`'s values (not shared: nothing is exported)."""
    return np.array(t._backend.to_host(t._data), copy=True)


def _from_host(arr, like):
    b = like._backend
    return D.wrap(b.from_host(np.array(arr, order="C", copy=True)), b)


def _real_view(arr: np.ndarray) -> np.ndarray:
    """A tensor's values as real parameters: x, or (re, im) for complex (flattened)."""
    flat = arr.reshape(-1)
    if arr.dtype.kind == "c":
        return np.concatenate([flat.real, flat.imag]).astype(np.float64)
    return flat.astype(np.float64)


def _diff_outputs(outputs):
    return [i for i, o in enumerate(outputs) if isinstance(o, D.Tensor) and o._dtype.kind in "fc"]


def _eval(func, inputs):
    """func's outputs as a tuple, with grad mode on (gradgradcheck's function differentiates)."""
    token = GRAD_ENABLED.set(True)
    try:
        return _as_tuple(func(*inputs))
    finally:
        GRAD_ENABLED.reset(token)


def _perturbed(arr, like):
    """A copy of input `like` holding values `arr` (requiring grad as `like` does)."""
    t = _from_host(arr, like)
    t._requires_grad = like._requires_grad
    return t


def _real_size(t) -> int:
    return t._data.size * (2 if t._dtype.kind == "c" else 1)


def _numerical_jacobians(func, inputs, outputs, diff_idx, out_idx, eps):
    """{(input i, output o): J}, J of shape (real size of output o, real size of input i)."""
    jac = {}
    for i in diff_idx:
        x = inputs[i]
        base = _host(x)
        n = base.size
        columns = []  # one per real parameter of x: the outputs' derivatives
        for part in ((1.0, 1j) if base.dtype.kind == "c" else (1.0,)):
            for j in range(n):
                ends = []
                for sign in (1.0, -1.0):
                    pert = base.copy().reshape(-1)
                    pert[j] = pert[j] + sign * eps * part
                    args = list(inputs)
                    args[i] = _perturbed(pert.reshape(base.shape), x)
                    outs = _eval(func, args)
                    ends.append([_real_view(_host(outs[o])) for o in out_idx])
                columns.append([(a - b) / (2 * eps) for a, b in zip(*ends)])
        for k, o in enumerate(out_idx):
            jac[(i, o)] = (np.stack([c[k] for c in columns], axis=1) if columns
                           else np.zeros((_real_size(outputs[o]), 0)))
    return jac


def _grad_as_row(g, x) -> np.ndarray:
    """An input's gradient as a row over its real parameters (zeros for None)."""
    if g is None:
        return np.zeros(_real_size(x))
    arr = _host(g)
    if x._dtype.kind == "c":
        arr = arr.astype(np.complex128)
    return _real_view(arr)


def _vjp(outputs, out_idx, grad_outputs, inputs, diff_idx):
    """Gradients of sum_o <grad_outputs[o], outputs[o]> wrt the inputs in diff_idx."""
    from .engine import grad

    outs, gos = [], []
    for o, go in zip(out_idx, grad_outputs):
        if outputs[o]._requires_grad:
            outs.append(outputs[o])
            gos.append(go)
    if not outs:
        return [None] * len(diff_idx)
    return list(grad(outs, [inputs[i] for i in diff_idx], gos, retain_graph=True, allow_unused=True))


def _seed(out, k) -> "D.Tensor":
    """grad_output selecting real component k of `out` (1 or 1j at one position)."""
    n = out._data.size
    arr = np.zeros(n, dtype=_host_dtype(out))
    if k < n:
        arr[k] = 1
    else:
        arr[k - n] = 1j
    return _from_host(arr.reshape(out._data.shape), out)


def _host_dtype(t):
    return {"float32": np.float32, "float64": np.float64, "float16": np.float16,
            "complex64": np.complex64, "complex128": np.complex128}[t._dtype.name]


def _analytical_jacobians(outputs, inputs, diff_idx, out_idx, check_grad_dtypes, fail):
    jac = {}
    for o in out_idx:
        out = outputs[o]
        size = _real_size(out)
        rows = {i: [] for i in diff_idx}
        for k in range(size):
            if not out._requires_grad:
                for i in diff_idx:
                    rows[i].append(np.zeros(_real_size(inputs[i])))
                continue
            grads = _vjp(outputs, (o,), (_seed(out, k),), inputs, diff_idx)
            for i, g in zip(diff_idx, grads):
                x = inputs[i]
                if g is not None:
                    if tuple(g._data.shape) != tuple(x._data.shape):
                        fail(f"Gradient has incorrect shape: input {i} has shape "
                             f"{tuple(x._data.shape)} but its gradient has {tuple(g._data.shape)}")
                    if check_grad_dtypes and g._dtype is not x._dtype:
                        fail(f"Gradient has dtype mismatch: input {i} is {x._dtype}, "
                             f"its gradient {g._dtype}")
                rows[i].append(_grad_as_row(g, x))
        for i in diff_idx:
            jac[(i, o)] = np.stack(rows[i]) if rows[i] else np.zeros((0, _real_size(inputs[i])))
    return jac


def _format(a: np.ndarray) -> str:
    with np.printoptions(precision=6, suppress=True, linewidth=120, threshold=200):
        return str(a)


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0, check_undefined_grad: bool = True,
              check_grad_dtypes: bool = False, check_batched_grad: bool = False,
              check_batched_forward_grad: bool = False, check_forward_ad: bool = False,
              check_backward_ad: bool = True, fast_mode: bool = False, masked: bool | None = None) -> bool:
    """Check the gradients of `func` at `inputs` against finite differences (PyTorch's
    `torch.autograd.gradcheck`). Returns True, or raises GradcheckError (returns False when
    raise_exception=False).

    Only inputs that require grad are checked; use float64 (or complex128) inputs, other
    dtypes are too coarse for finite differences (a warning says so). `nondet_tol` bounds the
    difference between two backward passes (reentrancy). `fast_mode` compares one random
    projection ``v^T J u`` instead of the whole Jacobian. `check_forward_ad` also checks
    Jacobian-vector products (`arraygrad.func.jvp`). `check_undefined_grad` is PyTorch's check
    for C++ undefined gradients, which arraygrad does not have (always satisfied);
    `check_batched_grad` / `check_batched_forward_grad` check PyTorch's vmap batching rules
    of the derivatives; arraygrad's batched gradients (`grad(is_grads_batched=True)`,
    `func.vmap`) run the same rules once per row, so there is no batching rule to check
    (NotImplementedError rather than a check that cannot fail).
    """
    if check_batched_grad or check_batched_forward_grad:
        raise NotImplementedError("gradcheck: check_batched_grad / check_batched_forward_grad check "
                                  "vmap batching rules, which arraygrad does not have: its batched "
                                  "gradients run the ordinary rules once per row")
    if masked:
        raise NotImplementedError("gradcheck: masked (sparse) checks are not supported")
    try:
        _gradcheck(func, _as_tuple(inputs), eps, atol, rtol, nondet_tol, check_grad_dtypes,
                   check_forward_ad, check_backward_ad, fast_mode)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def _fail(msg):
    raise GradcheckError(msg)


def _gradcheck(func, inputs, eps, atol, rtol, nondet_tol, check_grad_dtypes, check_forward_ad,
               check_backward_ad, fast_mode):
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, D.Tensor) and x._requires_grad]
    if not diff_idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none "
                         "of the them have requires_grad=True.")
    for i in diff_idx:
        x = inputs[i]
        if x._dtype.name not in ("float64", "complex128"):
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point "
                          f"or complex ({x._dtype}). This check will likely fail.", UserWarning, stacklevel=3)
    outputs = _eval(func, inputs)
    out_idx = _diff_outputs(outputs)
    for o, out in enumerate(outputs):
        if isinstance(out, D.Tensor) and out._dtype.kind not in "fc" and out._requires_grad:
            _fail(f"output {o} has dtype {out._dtype} but requires grad")
    if not out_idx:
        for o, out in enumerate(outputs):
            if isinstance(out, D.Tensor) and out._requires_grad:
                _fail(f"output {o} requires grad but is not floating point")
        return  # nothing differentiable: PyTorch only checks that no output requires grad
    if fast_mode:
        _fast_check(func, inputs, outputs, diff_idx, out_idx, eps, atol, rtol, nondet_tol)
        return
    numerical = _numerical_jacobians(func, inputs, outputs, diff_idx, out_idx, eps)
    if check_backward_ad:
        token = GRAD_ENABLED.set(True)
        try:
            analytical = _analytical_jacobians(outputs, inputs, diff_idx, out_idx, check_grad_dtypes, _fail)
            _check_reentrant(outputs, inputs, diff_idx, out_idx, analytical, nondet_tol)
        finally:
            GRAD_ENABLED.reset(token)
        for (i, o), num in numerical.items():
            ana = analytical[(i, o)]
            if not _close(ana, num, atol, rtol):
                _fail(f"Jacobian mismatch for output {o} with respect to input {i},\n"
                      f"numerical:{_format(num)}\nanalytical:{_format(ana)}\n"
                      + _complex_hint(inputs[i], outputs[o]))
    if check_forward_ad:
        _check_forward(func, inputs, diff_idx, out_idx, numerical, atol, rtol)


def _complex_hint(x, out) -> str:
    if x._dtype.kind != "c" and out._dtype.kind != "c":
        return ""
    return ("(complex numbers are checked as pairs of reals: the gradient of a real function of "
            "z = x + iy must be d/dx + i d/dy; the Jacobian's columns are the real parts, then "
            "the imaginary parts)")


def _close(a, n, atol, rtol) -> bool:
    if a.shape != n.shape:
        return False
    with np.errstate(invalid="ignore"):
        ok = np.abs(a - n) <= atol + rtol * np.abs(n)
    ok |= (np.isnan(a) & np.isnan(n)) | ((a == n) & np.isinf(a))
    return bool(ok.all())


def _check_reentrant(outputs, inputs, diff_idx, out_idx, analytical, nondet_tol):
    """A second backward pass with a random grad_output must give the same vjp."""
    rng = np.random.default_rng(1234)
    gos = []
    for o in out_idx:
        out = outputs[o]
        v = rng.standard_normal(out._data.shape)
        if out._dtype.kind == "c":
            v = v + 1j * rng.standard_normal(out._data.shape)
        gos.append(_from_host(np.asarray(v, dtype=_host_dtype(out)), out))
    grads = _vjp(outputs, out_idx, gos, inputs, diff_idx)
    for i, g in zip(diff_idx, grads):
        row = _grad_as_row(g, inputs[i])
        expect = sum(_real_view(_host(go)) @ analytical[(i, o)] for o, go in zip(out_idx, gos))
        if not np.allclose(row, expect, rtol=1e-7, atol=max(nondet_tol, 1e-9) * 100 + 1e-7, equal_nan=True):
            _fail(f"Backward is not reentrant, i.e., running backward with same input and "
                  f"grad_output multiple times gives different values, although analytical "
                  f"gradient matches numerical gradient (input {i}). The tolerance for "
                  f"nondeterminism was {nondet_tol}.")


def _check_forward(func, inputs, diff_idx, out_idx, numerical, atol, rtol):
    """Jacobian-vector products (func.jvp) against the numerical Jacobian's columns."""
    from ..func import jvp

    for i in diff_idx:
        x = inputs[i]
        n = x._data.size
        cplx = x._dtype.kind == "c"
        for part in ((1.0, 1j) if cplx else (1.0,)):
            for j in range(n):
                col = j + (n if part == 1j else 0)
                t = np.zeros(n, dtype=_host_dtype(x))
                t[j] = part
                tangent = _from_host(t.reshape(x._data.shape), x)

                def f_i(xi, i=i):
                    args = list(inputs)
                    args[i] = xi
                    outs = _as_tuple(func(*args))
                    return tuple(outs[o] for o in out_idx)

                _, tangents_out = jvp(f_i, (x.detach(),), (tangent,))
                for o, to in zip(out_idx, tangents_out):
                    got = _real_view(_host(to))
                    want = numerical[(i, o)][:, col]
                    if not _close(got, want, atol, rtol):
                        _fail(f"Jacobian computed with forward mode mismatch for output {o} with "
                              f"respect to input {i},\nnumerical:{_format(want)}\nanalytical:{_format(got)}")


def _fast_check(func, inputs, outputs, diff_idx, out_idx, eps, atol, rtol, nondet_tol):
    """PyTorch's fast mode: compare v^T J u (one random u per input, v per output)."""
    rng = np.random.default_rng(0)
    us = {}
    for i in diff_idx:
        x = inputs[i]
        u = rng.standard_normal(x._data.shape)
        if x._dtype.kind == "c":
            u = u + 1j * rng.standard_normal(x._data.shape)
        us[i] = np.asarray(u, dtype=_host_dtype(x))
    vs = []
    for o in out_idx:
        v = rng.standard_normal(outputs[o]._data.shape)
        if outputs[o]._dtype.kind == "c":
            v = v + 1j * rng.standard_normal(outputs[o]._data.shape)
        vs.append(np.asarray(v, dtype=_host_dtype(outputs[o])))
    token = GRAD_ENABLED.set(True)
    try:
        grads = _vjp(outputs, out_idx, [_from_host(v, outputs[o]) for o, v in zip(out_idx, vs)],
                     inputs, diff_idx)
    finally:
        GRAD_ENABLED.reset(token)
    for i, g in zip(diff_idx, grads):
        x = inputs[i]
        base = _host(x)
        outs = []
        for sign in (1.0, -1.0):
            args = list(inputs)
            args[i] = _perturbed(base + sign * eps * us[i], x)
            outs.append(_eval(func, args))
        num = 0.0
        for o, v in zip(out_idx, vs):
            d = (_real_view(_host(outs[0][o])) - _real_view(_host(outs[1][o]))) / (2 * eps)
            num += float(_real_view(v) @ d)
        ana = float(_grad_as_row(g, x) @ _real_view(us[i]))
        if not abs(ana - num) <= atol + rtol * abs(num):
            _fail(f"Jacobian mismatch for output(s) {out_idx} with respect to input {i} "
                  f"(fast mode: v^T J u),\nnumerical:{num}\nanalytical:{ana}\n"
                  "Run gradcheck with fast_mode=False to see the full Jacobians.")


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, nondet_tol: float = 0.0,
                  check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
                  check_batched_grad: bool = False, check_fwd_over_rev: bool = False,
                  check_rev_over_rev: bool = True, fast_mode: bool = False, masked: bool = False) -> bool:
    """Check second derivatives: gradcheck of the map (inputs, grad_outputs) -> gradients
    (computed with create_graph=True). Random grad_outputs are drawn (seeded) when not given."""
    from .engine import grad

    inputs = _as_tuple(inputs)
    outputs = _eval(func, inputs)
    out_idx = _diff_outputs(outputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = []
        for o in out_idx:
            out = outputs[o]
            v = rng.uniform(-1, 1, out._data.shape)
            if out._dtype.kind == "c":
                v = v + 1j * rng.uniform(-1, 1, out._data.shape)
            g = _from_host(np.asarray(v, dtype=_host_dtype(out)), out)
            g._requires_grad = True
            grad_outputs.append(g)
    grad_outputs = list(_as_tuple(grad_outputs))
    n_in = len(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, D.Tensor) and x._requires_grad]

    def new_func(*args):
        ins, gos = args[:n_in], args[n_in:]
        outs = _as_tuple(func(*ins))
        pairs = [(outs[o], g) for o, g in zip(out_idx, gos) if outs[o]._requires_grad]
        if not pairs:
            return ()
        gs = grad([p[0] for p in pairs], [ins[i] for i in diff_idx], [p[1] for p in pairs],
                  create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(new_func, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol,
                     check_grad_dtypes=check_grad_dtypes, check_forward_ad=check_fwd_over_rev,
                     check_backward_ad=check_rev_over_rev, fast_mode=fast_mode)
