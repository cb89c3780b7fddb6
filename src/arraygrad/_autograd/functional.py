"""`arraygrad.autograd.functional`: PyTorch's `torch.autograd.functional` API.

Thin wrappers over `arraygrad.func` with PyTorch's conventions: `inputs` is a Tensor or a
tuple of Tensors and results mirror that; `create_graph=True` keeps results differentiable
(with respect to inputs that require grad), otherwise they are detached; `strict=True`
raises when an output does not depend on an input.
"""

from __future__ import annotations

from .. import func as _func
from .._dispatch import GRAD_ENABLED, Tensor

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


def _tuple(x, fname, what):
    is_tuple = isinstance(x, (tuple, list))
    xs = tuple(x) if is_tuple else (x,)
    for i, v in enumerate(xs):
        if not isinstance(v, Tensor):
            raise TypeError(f"The {what} given to {fname} must be either a Tensor or a tuple of "
                            f"Tensors but the value at index {i} has type {type(v).__name__}.")
    return is_tuple, xs


def _prepare(inputs, create_graph):
    """Fresh inputs: connected to the originals when create_graph (so results can be
    differentiated further), detached otherwise."""
    out = []
    for x in inputs:
        if x._dtype.kind not in "fc":  # PyTorch's refusal (a zero integer Jacobian would be silently wrong)
            raise RuntimeError(f"only Tensors of floating point dtype can require gradients (an input "
                               f"of dtype {x._dtype})")
        if create_graph and x._requires_grad:
            from .._ops.elementwise import positive

            out.append(positive(x))
        else:
            t = x.detach()
            t._requires_grad = True
            out.append(t)
    return tuple(out)


def _grad(outputs, inputs, grad_outputs, create_graph, strict, fname, what="output"):
    from .engine import grad

    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o._requires_grad]
    if not pairs:
        got = [None] * len(inputs)
    else:
        got = list(grad([p[0] for p in pairs], inputs, [p[1] for p in pairs], retain_graph=True,
                        create_graph=create_graph, allow_unused=True))
    res = []
    for i, (x, g) in enumerate(zip(inputs, got)):
        if g is None:
            if strict:
                raise RuntimeError(f"The {what} of the user-provided function is independent of input {i}. "
                                   f"This is not allowed in strict mode ({fname}).")
            from .._ops.creation import zeros_like

            g = zeros_like(x)
        res.append(g)
    return res


def _input_v(v, xs, fname):
    """The vector v on the inputs' side (jvp, hvp, vhp): as given, or ones for a single
    one-element input."""
    if v is None:
        if len(xs) != 1 or xs[0]._data.size != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided "
                               "function is a single Tensor with a single element.")
        from .._ops.creation import ones_like

        return (ones_like(xs[0]),)
    vs = _tuple(v, fname, "v")[1]
    if len(vs) != len(xs):
        raise RuntimeError(f"{fname}: v is a tuple of invalid length: should be {len(xs)} but got {len(vs)}")
    for i, (a, x) in enumerate(zip(vs, xs)):
        if tuple(a.shape) != tuple(x.shape):
            raise RuntimeError(f"{fname}: mismatch in shape: v[{i}] has shape {tuple(a.shape)}, the input "
                               f"{tuple(x.shape)}")
    return vs


def _fill_v(v, outputs, fname, what="v"):
    from .._ops.creation import ones_like

    if v is None:
        if len(outputs) != 1 or outputs[0]._data.size != 1:
            raise RuntimeError(f"The vector {what} can only be None if the user-provided function "
                               f"returns a single Tensor with a single element ({fname}).")
        return (ones_like(outputs[0]),)
    _, vs = _tuple(v, fname, what)
    if len(vs) != len(outputs):
        raise RuntimeError(f"{fname}: {what} has {len(vs)} elements, the outputs {len(outputs)}")
    for a, b in zip(vs, outputs):
        if tuple(a.shape) != tuple(b.shape):
            raise RuntimeError(f"{fname}: mismatch in shape: {what} has shape {tuple(a.shape)}, the "
                               f"output {tuple(b.shape)}")
    return vs


def _finish(xs, create_graph, as_tuple):
    xs = tuple(x if create_graph else x.detach() for x in xs)
    return xs if as_tuple else xs[0]


def _call(func, inputs, create_graph):
    token = GRAD_ENABLED.set(True)
    try:
        out = func(*inputs)
    finally:
        GRAD_ENABLED.reset(token)
    return _tuple(out, func.__name__ if hasattr(func, "__name__") else "func", "outputs")


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J)."""
    in_tuple, xs = _tuple(inputs, "vjp", "inputs")
    xs = _prepare(xs, create_graph)
    out_tuple, outs = _call(func, xs, create_graph)
    vs = _fill_v(v, outs, "vjp")
    token = GRAD_ENABLED.set(True)
    try:
        g = _grad(outs, xs, vs, create_graph, strict, "vjp")
    finally:
        GRAD_ENABLED.reset(token)
    return _finish(outs, create_graph, out_tuple), _finish(g, create_graph, in_tuple)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v) (two reverse passes)."""
    in_tuple, xs = _tuple(inputs, "jvp", "inputs")
    vs = _input_v(v, xs, "jvp")
    if strict:  # every input must reach an output (PyTorch's check, by one reverse pass)
        from .._ops.creation import ones_like

        probe = _prepare(xs, False)
        token = GRAD_ENABLED.set(True)
        try:
            _, outs = _call(func, probe, False)
            _grad(outs, probe, [ones_like(o) for o in outs], False, True, "jvp")
        finally:
            GRAD_ENABLED.reset(token)
    out, jv = _func.jvp(lambda *a: func(*a), tuple(x if create_graph else x.detach() for x in xs), vs)
    out_tuple = isinstance(out, tuple)
    outs = out if out_tuple else (out,)
    jvs = jv if out_tuple else (jv,)
    return _finish(outs, create_graph, out_tuple), _finish(jvs, create_graph, out_tuple)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian: a Tensor (one input, one output), a tuple over inputs or outputs, or a
    tuple (outputs) of tuples (inputs); entry shapes are output.shape + input.shape."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f'Expected strategy to be either "forward-mode" or "reverse-mode", got {strategy!r}')
    in_tuple, xs = _tuple(inputs, "jacobian", "inputs")
    xs = _prepare(xs, create_graph)
    out_tuple, outs = _call(func, xs, create_graph)
    from .._ops.creation import zeros_like
    from .._ops.manipulation import reshape, stack

    token = GRAD_ENABLED.set(True)
    try:
        jac = []
        for o in outs:
            rows = [[] for _ in xs]
            for k in range(o._data.size):
                e = reshape(zeros_like(o), (-1,))
                e[k] = 1
                g = _grad((o,), xs, (reshape(e, tuple(o.shape)),), create_graph, strict, "jacobian")
                for j, gj in enumerate(g):
                    rows[j].append(gj)
            per_in = []
            for j, x in enumerate(xs):
                shape = tuple(o.shape) + tuple(x.shape)
                per_in.append(reshape(stack(rows[j]), shape) if rows[j] else _zeros(shape, x))
            jac.append(tuple(x if create_graph else x.detach() for x in per_in))
    finally:
        GRAD_ENABLED.reset(token)
    if out_tuple and in_tuple:
        return tuple(jac)
    if out_tuple:
        return tuple(j[0] for j in jac)
    if in_tuple:
        return jac[0]
    return jac[0][0]


def _zeros(shape, like):
    from .._ops.creation import zeros

    return zeros(shape, dtype=like.dtype, device=like.device)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of scalar `func` (a Tensor, or a tuple of tuples for tuple inputs)."""
    in_tuple, xs = _tuple(inputs, "hessian", "inputs")

    def jac_func(*a):
        _, outs = _call(func, a, True)
        if len(outs) != 1 or outs[0]._data.size != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor with a "
                               "single element")
        from .._ops.creation import ones_like

        return tuple(_grad(outs, a, (ones_like(outs[0]),), True, strict, "hessian"))

    res = jacobian(jac_func, xs, create_graph=create_graph, strict=strict)
    return res if in_tuple else res[0][0]


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H)."""
    return _hvp(func, inputs, v, create_graph, strict, "vhp")


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v) (H is symmetric, so this is v^T H transposed)."""
    return _hvp(func, inputs, v, create_graph, strict, "hvp")


def _hvp(func, inputs, v, create_graph, strict, fname):
    in_tuple, xs = _tuple(inputs, fname, "inputs")
    xs = _prepare(xs, create_graph)
    token = GRAD_ENABLED.set(True)
    try:
        _, outs = _call(func, xs, True)
        if len(outs) != 1 or outs[0]._data.size != 1:
            raise RuntimeError(f"The Tensor returned by the function given to {fname} should contain "
                               "a single element")
        from .._ops.creation import ones_like

        g = _grad(outs, xs, (ones_like(outs[0]),), True, strict, fname)
        vs = _input_v(v, xs, fname)
        hv = _grad(tuple(g), xs, vs, create_graph, strict, fname, what="jacobian")
    finally:
        GRAD_ENABLED.reset(token)
    return _finish(outs, create_graph, False), _finish(hv, create_graph, in_tuple)
