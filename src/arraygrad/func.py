"""`arraygrad.func`: function transforms with torch.func's semantics.

    grad(f, argnums=0, has_aux=False)(*args)      gradient of a scalar function
    grad_and_value(f, argnums=0, has_aux=False)   (gradient, value)
    vjp(f, *primals, has_aux=False)               (output, vjp_fn[, aux])
    jvp(f, primals, tangents, has_aux=False)      (output, jvp_out[, aux])
    jacrev / jacobian, jacfwd, hessian            full Jacobians (shape: output + input)
    hvp(f, primals, tangents)                     (output, Hessian-vector product)
    vmap(f, in_dims=0, out_dims=0)                f mapped over a dimension of its inputs
    functional_call(module, params, args)         module run with replaced parameters/buffers

They run on the ordinary tape: each call makes fresh inputs, records `f`, and runs the
engine. Forward mode is the double-vjp trick: with u a dummy cotangent, vjp(u) is linear in
u, so differentiating it with respect to u along the tangent gives J @ tangent.

Transforms nest (grad(grad(f)), jacrev(jacrev(f))) and compose with `backward()`: when the
function reads tensors that require grad outside the transform (an enclosing transform's
inputs, a closure's parameters), or when the cotangents require grad, the result is
recorded (create_graph) and stays differentiable with respect to them. Arguments and
outputs may be tensors or nested tuples / lists / dicts of them (pytrees).
"""

from __future__ import annotations

from ._autograd.engine import grad as _engine_grad
from ._dispatch import GRAD_ENABLED, Tensor
from ._random import VmapRandomness

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "linearize", "jacrev", "jacfwd", "jacobian", "hessian", "hvp",
           "vmap", "functional_call", "stack_module_state"]


# ----- pytrees ------------------------------------------------------------------------------
def _flatten(tree):
    """(leaves, rebuild): leaves are the tree's non-container values, in order."""
    if isinstance(tree, (tuple, list)):
        parts = [_flatten(t) for t in tree]
        leaves = [leaf for p in parts for leaf in p[0]]
        kind = type(tree)
        sizes = [len(p[0]) for p in parts]

        def rebuild(vals):
            out, k = [], 0
            for (_, rb), n in zip(parts, sizes):
                out.append(rb(vals[k:k + n]))
                k += n
            return kind(out) if kind in (tuple, list) else kind(*out)  # namedtuples too
        return leaves, rebuild
    if isinstance(tree, dict):
        keys = list(tree)
        parts = [_flatten(tree[k]) for k in keys]
        sizes = [len(p[0]) for p in parts]
        leaves = [leaf for p in parts for leaf in p[0]]

        def rebuild(vals):
            out, k = {}, 0
            for key, (_, rb), n in zip(keys, parts, sizes):
                out[key] = rb(vals[k:k + n])
                k += n
            return type(tree)(out) if type(tree) is not dict else out
        return leaves, rebuild
    return [tree], lambda vals: vals[0]


def _check_tensors(leaves, fname, what):
    for v in leaves:
        if not isinstance(v, Tensor):
            raise ValueError(f"{fname}: expected {what} to be Tensors (or pytrees of Tensors), "
                             f"got {type(v).__name__}")
        if v._dtype.kind not in "fc":
            raise RuntimeError(f"{fname}: only floating point and complex Tensors can be "
                               f"differentiated, got {what} of dtype {v._dtype}")


# ----- the core: a recorded call and a reverse pass -------------------------------------------
def _track(x):
    """A fresh input standing for `x`: differentiable, distinct from other uses of `x`."""
    if x._requires_grad and GRAD_ENABLED.get():
        from ._ops.elementwise import positive

        return positive(x)  # stays connected to what x depends on (nested transforms)
    t = x.detach()
    t._requires_grad = True
    return t


def _outer_dependence(outputs, local) -> bool:
    """Whether `outputs` depend on a tensor requiring grad other than the `local` inputs."""
    local_ids = {id(t) for t in local}
    seen = set()
    stack = []
    for o in outputs:
        if not isinstance(o, Tensor) or not o._requires_grad:
            continue
        if o.grad_fn is None:
            if id(o) not in local_ids:
                return True
            continue
        stack.append(o.grad_fn)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for e in node.next:
            if e is None:
                continue
            if e.__class__ is tuple:
                stack.append(e[0])
            elif id(e) not in local_ids:
                return True
    return False


class _Call:
    """f recorded on fresh inputs: what vjp needs to run reverse passes later."""

    def __init__(self, f, primals, fname, has_aux=False):
        self.fname = fname
        self.outer = GRAD_ENABLED.get()
        leaves, self.rebuild_in = _flatten(primals)
        _check_tensors(leaves, fname, "primals")
        token = GRAD_ENABLED.set(True)
        try:
            self.inputs = [_track(x) for x in leaves]
            result = f(*self.rebuild_in(self.inputs))
        finally:
            GRAD_ENABLED.reset(token)
        self.aux = None
        if has_aux:
            if not (isinstance(result, tuple) and len(result) == 2):
                raise RuntimeError(f"{fname}(f, ...)(*args): output of function f should be a tuple: "
                                   "(output, aux) if has_aux is True")
            result, self.aux = result
        self.output = result
        self.out_leaves, self.rebuild_out = _flatten(result)
        for v in self.out_leaves:
            if not isinstance(v, Tensor):
                raise RuntimeError(f"{fname}: expected f(*primals) to return only tensors, got "
                                   f"unsupported type {type(v).__name__}")
        # Record the reverse pass only where something outside needs it.
        local_leaves = [t for t in self.inputs if t.grad_fn is None]
        self.create_graph = self.outer and _outer_dependence(self.out_leaves, local_leaves)

    def pullback(self, cotangents, create_graph=None):
        """Gradients with respect to the (tracked) inputs; zeros where unused."""
        leaves, _ = _flatten(cotangents)
        if len(leaves) != len(self.out_leaves):
            raise RuntimeError(f"{self.fname}: expected {len(self.out_leaves)} cotangents (the "
                               f"structure of the output), got {len(leaves)}")
        outs, gos = [], []
        for o, c in zip(self.out_leaves, leaves):
            if not isinstance(c, Tensor):
                raise ValueError(f"{self.fname}: cotangents must be Tensors, got {type(c).__name__}")
            if tuple(c.shape) != tuple(o.shape):
                raise RuntimeError(f"{self.fname}: Mismatch in shape: cotangent has shape "
                                   f"{tuple(c.shape)} and output has shape {tuple(o.shape)}")
            if o._requires_grad:
                outs.append(o)
                gos.append(c)
        if create_graph is None:
            create_graph = self.needs_graph(gos)
        if not outs:
            from ._ops.creation import zeros_like

            return [zeros_like(x) for x in self.inputs]
        got = _engine_grad(outs, self.inputs, gos, retain_graph=True, create_graph=create_graph,
                           allow_unused=True, materialize_grads=True)
        return list(got)

    def needs_graph(self, cotangents) -> bool:
        """Whether a reverse pass with these cotangents must be recorded: something outside
        the transform (a closure, an enclosing transform, the cotangents) requires grad."""
        return self.create_graph or (self.outer and any(
            isinstance(c, Tensor) and c._requires_grad for c in _flatten(cotangents)[0]))


def _with_args_at(func, args, kwargs, sel):
    """`func` as a function of the arguments at positions `sel` only (the rest fixed)."""

    def f(*xs):
        full = list(args)
        for i, x in zip(sel, xs):
            full[i] = x
        return func(*full, **kwargs)

    return f


def _at_argnums(func, args, kwargs, argnums, fname):
    """(the arguments at `argnums`, `func` as a function of those alone, the rest fixed)."""
    sel = _argnums_select(args, argnums, fname)
    return tuple(args[i] for i in sel), _with_args_at(func, args, kwargs, sel)


def _argnums_select(args, argnums, fname):
    if isinstance(argnums, int):
        if not -len(args) <= argnums < len(args):
            raise RuntimeError(f"{fname}: Got argnums={argnums}, but only {len(args)} positional inputs")
        return [argnums % len(args)]
    if isinstance(argnums, tuple) and argnums:
        out = [_argnums_select(args, a, fname)[0] for a in argnums]
        if len(set(out)) != len(out):
            raise RuntimeError(f"{fname}: argnums must be unique, got {argnums}")
        return out
    raise RuntimeError(f"{fname}: argnums must be int or Tuple[int, ...], got {argnums!r}")


def _detach_unless(t, keep):
    return t if keep or not isinstance(t, Tensor) else t.detach()


def _finish(tree, keep):
    leaves, rebuild = _flatten(tree)
    return rebuild([_detach_unless(v, keep) for v in leaves])


# ----- grad, grad_and_value, vjp ---------------------------------------------------------------
def grad_and_value(func, argnums=0, has_aux=False):
    """A function returning (gradient of func with respect to args[argnums], func's value).
    With has_aux, func returns (output, aux) and the result is (gradient, (value, aux))."""

    def wrapper(*args, **kwargs):
        primals, f = _at_argnums(func, args, kwargs, argnums, "grad_and_value")
        call = _Call(f, primals, "grad", has_aux)
        out = call.output
        if not isinstance(out, Tensor):
            raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, "
                               f"got {type(out).__name__}")
        if out._data.ndim != 0:
            raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, "
                               f"got tensor with {out._data.ndim} dims. Maybe you wanted to use the "
                               "vjp or jacrev APIs instead?")
        from ._ops.creation import ones_like

        g = call.pullback(ones_like(out))
        keep = call.create_graph
        grads = call.rebuild_in(g)
        if isinstance(argnums, int):
            grads = grads[0]
        grads = _finish(grads, keep)
        value = _detach_unless(out, keep)
        if has_aux:
            return grads, (value, _finish(call.aux, keep))
        return grads, value

    return wrapper


def grad(func, argnums=0, has_aux=False):
    """A function computing the gradient of scalar-valued `func` with respect to
    args[argnums] (a tuple of argnums gives a tuple of gradients). With has_aux, func
    returns (output, aux) and the result is (gradient, aux)."""
    gv = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        g, v = gv(*args, **kwargs)
        return (g, v[1]) if has_aux else g

    return wrapper


def vjp(func, *primals, has_aux=False):
    """(func(*primals), vjp_fn[, aux]): vjp_fn(cotangents) returns one gradient per primal
    (a tuple), for cotangents shaped like the output."""
    call = _Call(func, primals, "vjp", has_aux)

    def vjp_fn(*cotangents, retain_graph=True, create_graph=None):
        # retain_graph: the graph is kept either way (vjp_fn may be called again)
        cots = cotangents[0] if len(cotangents) == 1 else cotangents
        keep = call.needs_graph(cots) if create_graph is None else bool(create_graph)
        return tuple(_finish(call.rebuild_in(call.pullback(cots, keep)), keep))

    keep = call.create_graph
    out = _finish(call.output, keep)
    if has_aux:
        return out, vjp_fn, _finish(call.aux, keep)
    return out, vjp_fn


# ----- forward mode by double vjp -----------------------------------------------------------------
def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """(func(*primals), J @ tangents[, aux]), forward mode by two reverse passes."""
    if not isinstance(primals, (tuple, list)):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals to be a tuple. "
                           "E.g. it should be valid to call f(*primals).")
    if not isinstance(tangents, (tuple, list)) or len(tangents) != len(primals):
        raise RuntimeError("jvp(f, primals, tangents): Expected tangents to be a tuple with as many "
                           "elements as primals")
    p_leaves, _ = _flatten(tuple(primals))
    t_leaves, _ = _flatten(tuple(tangents))
    if len(p_leaves) != len(t_leaves):
        raise RuntimeError("jvp: tangents must have the same structure as primals")
    for p, t in zip(p_leaves, t_leaves):
        if not isinstance(p, Tensor):
            raise RuntimeError(f"jvp(f, primals, tangents): Expected primals to be a tuple of Tensors, "
                               f"got an element of type {type(p).__name__}")
        if not isinstance(t, Tensor) or tuple(t.shape) != tuple(p.shape):
            raise RuntimeError("jvp: each tangent must be a Tensor with its primal's shape, got "
                               f"{getattr(t, 'shape', type(t).__name__)} for {tuple(p.shape)}")
    outer = GRAD_ENABLED.get()
    call = _Call(func, tuple(primals), "jvp", has_aux)
    from ._ops.creation import zeros_like

    token = GRAD_ENABLED.set(True)
    try:
        dummies = []
        for o in call.out_leaves:
            u = zeros_like(o)
            u._requires_grad = True
            dummies.append(u)
        g = call.pullback(call.rebuild_out(dummies), create_graph=True)  # linear in the dummies
        pairs = [(gi, t) for gi, t in zip(g, t_leaves) if gi._requires_grad]
        keep = outer and (call.create_graph or any(t._requires_grad for t in t_leaves))
        if pairs:
            jv = _engine_grad([p[0] for p in pairs], dummies, [p[1] for p in pairs],
                              retain_graph=keep, create_graph=keep, allow_unused=True,
                              materialize_grads=True)
        else:
            jv = [zeros_like(o) for o in call.out_leaves]
    finally:
        GRAD_ENABLED.reset(token)
    out = _finish(call.output, call.create_graph)
    jv = _finish(call.rebuild_out(list(jv)), keep)
    if has_aux:
        return out, jv, _finish(call.aux, call.create_graph)
    return out, jv


# ----- Jacobians and Hessians -----------------------------------------------------------------------
def _unit(like, k):
    from ._ops.creation import zeros

    z = zeros(like._data.size, dtype=like._dtype, device=like.device)
    z[k] = 1
    from ._ops.manipulation import reshape

    return reshape(z, tuple(like._data.shape))


def _stack_jacobian(rows, out_shape, in_shape, like):
    """rows[k]: d out.flat[k] / d input (input-shaped) -> array of shape out + in (zeros of
    `like`'s dtype and device for an empty output)."""
    from ._ops.manipulation import reshape, stack
    from ._ops.creation import zeros

    if not rows:
        return zeros(tuple(out_shape) + tuple(in_shape), dtype=like.dtype, device=like.device)
    return reshape(stack(rows), tuple(out_shape) + tuple(in_shape))


def linearize(func, *primals):
    """(func(*primals), jvp_fn): jvp_fn(*tangents) is J @ tangents at `primals` (torch.func's
    linearize; each call is a jvp at the same point)."""
    out = func(*primals)

    def jvp_fn(*tangents):
        return jvp(func, primals, tangents)[1]

    return out, jvp_fn


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """A function computing the Jacobian of `func` with respect to args[argnums] by reverse
    mode (one vjp per output element): shape output.shape + input.shape, nested as
    (outputs) x (argnums) when either is a tuple."""

    def wrapper(*args, **kwargs):
        primals, f = _at_argnums(func, args, kwargs, argnums, "jacrev")
        call = _Call(f, primals, "jacrev", has_aux)
        keep = call.create_graph
        n_in = len(call.inputs)
        per_out = []
        for k_out, o in enumerate(call.out_leaves):
            rows = [[] for _ in range(n_in)]
            for k in range(o._data.size):
                cots = [_unit(o, k) if j == k_out else _zeros(oo) for j, oo in enumerate(call.out_leaves)]
                g = call.pullback(call.rebuild_out(cots))
                for j in range(n_in):
                    rows[j].append(g[j])
            jac_in = [_finish(_stack_jacobian(rows[j], o.shape, call.inputs[j].shape, call.inputs[j]), keep)
                      for j in range(n_in)]
            nested = call.rebuild_in(jac_in)
            per_out.append(nested[0] if isinstance(argnums, int) else tuple(nested))
        jac = call.rebuild_out(per_out)
        if has_aux:
            return jac, _finish(call.aux, keep)
        return jac

    return wrapper


def _zeros(like):
    from ._ops.creation import zeros_like

    return zeros_like(like)


jacobian = jacrev


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """A function computing the Jacobian of `func` with respect to args[argnums] by forward
    mode (one jvp per input element); same layout as jacrev."""

    def wrapper(*args, **kwargs):
        primals, f = _at_argnums(func, args, kwargs, argnums, "jacfwd")
        p_leaves, rebuild_p = _flatten(primals)
        _check_tensors(p_leaves, "jacfwd", "primals")
        cols = [[] for _ in p_leaves]
        out = aux = None
        for j, p in enumerate(p_leaves):
            for k in range(p._data.size):
                tans = [_unit(p, k) if jj == j else _zeros(pp) for jj, pp in enumerate(p_leaves)]
                res = jvp(f, primals, rebuild_p(tans), has_aux=has_aux)
                out, jv = res[0], res[1]
                if has_aux:
                    aux = res[2]
                cols[j].append(_flatten(jv)[0])
        if out is None:  # every input is empty: one evaluation for the output's structure
            res = f(*primals)
            out, aux = (res if has_aux else (res, None))
        out_leaves, rebuild_out = _flatten(out)
        from ._ops.manipulation import reshape, stack
        from ._ops.creation import zeros

        per_out = []
        for m, o in enumerate(out_leaves):
            jac_in = []
            for j, p in enumerate(p_leaves):
                if cols[j]:
                    s = stack([c[m] for c in cols[j]], axis=-1)  # out + (n_in,)
                    jac_in.append(reshape(s, tuple(o.shape) + tuple(p.shape)))
                else:
                    jac_in.append(zeros(tuple(o.shape) + tuple(p.shape), dtype=o.dtype, device=o.device))
            nested = rebuild_p(jac_in)
            per_out.append(nested[0] if isinstance(argnums, int) else tuple(nested))
        jac = rebuild_out(per_out)
        return (jac, aux) if has_aux else jac

    return wrapper


def hessian(func, argnums=0):
    """A function computing the Hessian of scalar `func` with respect to args[argnums]
    (reverse over reverse)."""
    return jacrev(jacrev(func, argnums), argnums)


def hvp(func, primals, tangents):
    """(func(*primals), H @ tangents): the Hessian-vector product of scalar `func` (reverse
    over reverse: the gradient of <grad f, tangents>)."""
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise RuntimeError("hvp(f, primals, tangents): primals and tangents must be tuples")
    call = _Call(func, tuple(primals), "hvp")
    out = call.output
    if not isinstance(out, Tensor) or out._data.ndim != 0:
        raise RuntimeError("hvp: expected f(*primals) to return a scalar Tensor")
    t_leaves, _ = _flatten(tuple(tangents))
    from ._ops.creation import ones_like

    g = call.pullback(ones_like(out), create_graph=True)
    pairs = [(gi, t, x) for gi, t, x in zip(g, t_leaves, call.inputs)]
    keep = call.create_graph or (GRAD_ENABLED.get() and any(t._requires_grad for t in t_leaves))
    from ._ops.creation import zeros_like

    used = [(gi, t) for gi, t, _ in pairs if gi._requires_grad]
    if used:
        token = GRAD_ENABLED.set(True)
        try:
            hv = _engine_grad([u[0] for u in used], call.inputs, [u[1] for u in used],
                              create_graph=keep, allow_unused=True, materialize_grads=True)
        finally:
            GRAD_ENABLED.reset(token)
    else:
        hv = [zeros_like(x) for x in call.inputs]
    return _finish(out, call.create_graph), _finish(call.rebuild_in(list(hv)), keep)


# ----- vmap ------------------------------------------------------------------------------------
def _leaf_dims(spec, tree, fname, what):
    """One dim (an int or None) per leaf of `tree`, from `spec`: an int or None for the
    whole subtree, or a container of the tree's own shape (a prefix of it, as torch.func)."""
    if spec is None or (isinstance(spec, int) and not isinstance(spec, bool)):
        return [spec] * len(_flatten(tree)[0])
    if isinstance(spec, (tuple, list)) and isinstance(tree, (tuple, list)) and len(spec) == len(tree):
        return [d for s, t in zip(spec, tree) for d in _leaf_dims(s, t, fname, what)]
    if isinstance(spec, tuple) and len(spec) == 1 and isinstance(tree, Tensor):  # out_dims=(1,) for one output
        return _leaf_dims(spec[0], tree, fname, what)
    if isinstance(spec, dict) and isinstance(tree, dict) and spec.keys() == tree.keys():
        return [d for k in tree for d in _leaf_dims(spec[k], tree[k], fname, what)]
    raise ValueError(f"{fname}: {what} is not compatible with the structure of the "
                     f"{'inputs' if what == 'in_dims' else 'outputs'}: {what}={spec!r}")


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """`func` mapped over a dimension of its inputs (torch.func.vmap): in_dims says which
    dimension of each input is mapped (None: passed whole to every call), out_dims where the
    mapped dimension goes in each output. It runs `func` once per index and stacks the results,
    so every function works, autograd and nested transforms included (data-dependent control
    flow too, which torch.func refuses); the cost is one call per index. randomness='error'
    refuses random functions inside, 'different' draws anew per index, 'same' draws once."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. "
                           f"Got {randomness}")
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")
    name = getattr(func, "__name__", type(func).__name__)

    def wrapped(*args, **kwargs):
        fname = f"vmap({name}, in_dims={in_dims}, ...)(<inputs>)"
        if not args:
            raise ValueError(f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add inputs, "
                             "or you are trying to vmap over a function with no inputs. The latter is "
                             "unsupported.")
        if not (isinstance(in_dims, tuple) or (isinstance(in_dims, int) and not isinstance(in_dims, bool))):
            raise ValueError(f"{fname}: expected `in_dims` to be int or a (potentially nested) tuple "
                             f"matching the structure of inputs, got: {type(in_dims)}.")
        leaves, rebuild = _flatten(args)
        dims = _leaf_dims(in_dims, args, fname, "in_dims")
        sizes = []
        for k, (leaf, d) in enumerate(zip(leaves, dims)):
            if d is None:
                continue
            if not isinstance(leaf, Tensor):
                raise ValueError(f"{fname}: Got in_dim={d} for an input but the input is of type "
                                 f"{type(leaf)}. We cannot vmap over non-Tensor arguments, please use "
                                 "None as the respective in_dim")
            nd = leaf._data.ndim
            if not -nd <= d < nd:
                raise ValueError(f"{fname}: Got in_dim={d} for some input, but that input is a Tensor of "
                                 f"dimensionality {nd} so expected in_dim to satisfy {-nd} <= in_dim < {nd}.")
            dims[k] = d % nd
            sizes.append(leaf._data.shape[dims[k]])
        if not sizes:
            raise ValueError(f"{fname}: at least one input must be mapped: every in_dim is None")
        if len(set(sizes)) > 1:
            raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped dimension, "
                             f"got sizes {sizes} for the mapped dimension")
        n = sizes[0]
        rand = VmapRandomness(randomness)
        results = []
        versions = []  # of each call's output tensors: an unmapped tensor written per index shows there
        with rand:
            for i in range(max(n, 1)):  # a size-0 map still calls func once, for the outputs' shapes
                rand.next_index()
                if n:
                    picked = [x if d is None else x[(slice(None),) * d + (i,)] for x, d in zip(leaves, dims)]
                else:
                    picked = [x if d is None else _drop_dim(x, d) for x, d in zip(leaves, dims)]
                results.append(func(*rebuild(picked), **kwargs))
                versions.append([v._version if isinstance(v, Tensor) else None for v in _flatten(results[-1])[0]])
        _refuse_batched_writes(results, versions, name)
        return _stack_results(results, n, out_dims, name)

    wrapped.__name__ = f"vmap({name})"
    wrapped.__doc__ = func.__doc__
    return wrapped


def _refuse_batched_writes(results, versions, name):
    """torch.func.vmap refuses an in-place op that writes mapped values into a tensor that is
    not mapped (z.add_(x) with z captured): here, where each index runs on its own, that
    tensor would take every index's write in turn. When it is returned, it is the same
    object for every index with a version that moved between them: refused the same way."""
    if len(results) < 2:
        return
    first = _flatten(results[0])[0]
    last = _flatten(results[-1])[0]
    for k, (a, b) in enumerate(zip(first, last)):
        if a is b and isinstance(a, Tensor) and versions[0][k] != versions[-1][k]:
            raise RuntimeError(f"vmap({name}, ...): an in-place operation wrote the mapped (batched) "
                               "values into a tensor that is not mapped, which would hold only one index's "
                               "values; write into a tensor of the batched shape, or use the out-of-place op")


def _same_output(v, first) -> bool:
    """Whether output v of one mapped call is the same as the first call's: the same object,
    or a tensor of the same shape, dtype and values (unbatched: built inside the function, or
    from what is not mapped), or an equal Python value."""
    if v is first:
        return True
    if isinstance(v, Tensor) or isinstance(first, Tensor):
        if not (isinstance(v, Tensor) and isinstance(first, Tensor)):
            return False
        if v._dtype is not first._dtype or tuple(v.shape) != tuple(first.shape):
            return False
        from ._ops.utility import all as _all

        return bool(_all((v == first) | ((v != v) & (first != first))))  # NaNs equal themselves here
    return v == first


def _drop_dim(x, d):
    """A stand-in element of an empty map: zeros of x's shape without dimension d."""
    from ._ops.creation import zeros

    shape = tuple(x._data.shape)
    return zeros(shape[:d] + shape[d + 1:], dtype=x._dtype, device=x.device)


def _stack_results(results, n, out_dims, name):
    from ._ops.manipulation import stack

    first, rebuild = _flatten(results[0])
    per_call = [first] + [_flatten(r)[0] for r in results[1:]]
    if any(len(p) != len(first) for p in per_call):
        raise ValueError(f"vmap({name}, ...): `{name}` returned outputs of different structures for "
                         "different indices")
    fname = f"vmap({name}, ..., out_dims={out_dims})(<inputs>)"
    dims = _leaf_dims(out_dims, results[0], fname, "out_dims")
    out = []
    for k, d in enumerate(dims):
        column = [p[k] for p in per_call]
        if d is None:
            if not all(_same_output(v, column[0]) for v in column[1:]):
                raise ValueError(f"vmap({name}, ...): `{name}` can not return a BatchedTensor when "
                                 "out_dim is None (this output differs between the mapped indices)")
            out.append(column[0])
            continue
        if not all(isinstance(v, Tensor) for v in column):
            bad = next(v for v in column if not isinstance(v, Tensor))
            raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(bad)}. "
                             "Did you mean to set out_dims= to None for output?")
        nd = column[0]._data.ndim + 1
        if not -nd <= d < nd:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], "
                             f"but got {d})")
        if n == 0:
            from ._ops.creation import zeros

            shape = list(column[0]._data.shape)
            shape.insert(d % nd, 0)
            out.append(zeros(tuple(shape), dtype=column[0]._dtype, device=column[0].device))
        else:
            out.append(stack(column, axis=d % nd))
    return rebuild(out)


# ----- stack_module_state (model ensembling) ---------------------------------------------------
def stack_module_state(models) -> tuple[dict, dict]:
    """The parameters and buffers of `models` (same class, same training mode), each
    stacked on a new first axis: ({name: stacked}, {name: stacked}), for
    `vmap(lambda p, b, x: functional_call(base, (p, b), (x,)))`. Stacked parameters are
    new leaves that require grad where the models' do."""
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or not any(m.training for m in models)):
        raise RuntimeError("stack_module_state: Expected all models to have the same training/eval mode.")
    first = type(models[0])
    if not all(type(m) is first for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")

    def stacked(tensors, name):
        from ._ops.manipulation import stack

        flags = {t.requires_grad for t in tensors}
        if len(flags) > 1:
            raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
        out = stack([t.detach() for t in tensors], axis=0)
        return out.requires_grad_() if flags == {True} else out

    all_params = [dict(m.named_parameters()) for m in models]
    all_buffers = [dict(m.named_buffers()) for m in models]
    params = {k: stacked(tuple(p[k] for p in all_params), k) for k in all_params[0]}
    buffers = {k: stacked(tuple(b[k] for b in all_buffers), k) for k in all_buffers[0]}
    return params, buffers


# ----- functional_call -------------------------------------------------------------------------
def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True,
                    strict=False):
    """Call `module` with some of its parameters and buffers replaced by the given tensors
    (by their state_dict names), as torch.func.functional_call: the module is restored after
    the call, and the result is differentiable with respect to the tensors given."""
    dicts = parameter_and_buffer_dicts
    dicts = list(dicts) if isinstance(dicts, (tuple, list)) else [dicts]
    given: dict = {}
    for d in dicts:
        if not isinstance(d, dict):
            raise TypeError(f"functional_call: expected dicts of tensors by name, got {type(d).__name__}")
        repeated = sorted(set(given) & set(d))
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of functional "
                             "call is ambiguous")
        given.update(d)
    own = list(module.named_parameters(remove_duplicate=False)) + list(module.named_buffers(remove_duplicate=False))
    by_name = dict(own)
    if tie_weights:  # a value for one name of a tied tensor stands for all its names
        groups: dict = {}
        for n_, t in own:
            groups.setdefault(id(t), []).append(n_)
        for names in groups.values():
            named = [n_ for n_ in names if n_ in given]
            if len(named) > 1 and any(given[n_] is not given[named[0]] for n_ in named):
                raise ValueError(f"functional_call got multiple values for keys {named}, which are tied. "
                                 "Consider using tie_weights=False")
            if named:
                for n_ in names:
                    given.setdefault(n_, given[named[0]])
    if strict:
        unexpected = [k for k in given if k not in by_name]
        missing = [k for k in by_name if k not in given]
        if unexpected or missing:
            lines = [f"Error(s) in reparametrizing for {type(module).__name__}:"]
            if unexpected:
                lines.append("\tUnexpected key(s): " + ", ".join(f"'{k}'" for k in unexpected) + ".")
            if missing:
                lines.append("\tMissing key(s): " + ", ".join(f"'{k}'" for k in missing) + ".")
            raise RuntimeError("\n".join(lines))
    swapped = []
    try:
        for full, value in given.items():
            if full not in by_name:
                continue  # not a parameter or buffer of the module (strict=False ignores it)
            prefix, _, attr = full.rpartition(".")
            owner = module.get_submodule(prefix)
            registry = owner._parameters if attr in owner._parameters else owner._buffers
            swapped.append((registry, attr, registry[attr]))
            registry[attr] = value
        if args is None:
            args = ()
        elif not isinstance(args, tuple):
            args = (args,)
        return module(*args, **(kwargs or {}))
    finally:
        for registry, attr, old in reversed(swapped):
            registry[attr] = old
