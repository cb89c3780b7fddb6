"""The reverse-mode engine: iterative, dependency-counted, frees what it has used.

Nodes run once all their consumers have sent gradients (Kahn's algorithm over the graph
reachable from the roots), so arbitrarily deep graphs need no recursion. With `inputs`
given, only nodes leading to them run. Broadcasting and dtype promotion are undone here,
once, for every op (`Node.meta` holds each input's shape and dtype).
"""

from __future__ import annotations

import sys
import weakref
from contextlib import nullcontext
from contextvars import ContextVar

import arraygrad as _AG  # the namespace rules that take `xp` get when the backward pass records

from .. import _dispatch as D
from .._dispatch import GRAD_ENABLED, SavedHooked, SavedOutput, SavedOutputs, SavedTensor, SavedVars, wrap
from .._ops.creation import asarray, zeros_like
from .._ops.elementwise import add, real
from .._ops.indexing import _GETITEM_BASIC as _SLICE
from .. import _tensor as _tensor_module
from .._tensor import POST_ACCUMULATE_HOOKS, Tensor, run_post_accumulate_hooks

__all__ = ["backward", "grad"]

_tensor_module._engine = sys.modules[__name__]  # Tensor.backward's entry (it cannot import us)

_FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward.")


class _HookList(list):
    """Hooks with PyTorch's removable handles."""
    def add(self, fn):
        if not callable(fn):
            raise TypeError(f"register_hook expects a callable, got {type(fn).__name__}")
        self.append(fn)
        return RemovableHandle(self, fn)


class RemovableHandle:
    __slots__ = ("_hooks", "_fn")

    def __init__(self, hooks, fn):
        self._hooks = hooks
        self._fn = fn

    def remove(self):
        try:
            self._hooks.remove(self._fn)
        except ValueError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _node_hook_table(node) -> dict:
    if node._hooks is None:
        node._hooks = {}
        D.track_node(node)  # its hooks may close a cycle through it (see _dispatch)
    return node._hooks


def node_pre_hooks(node) -> _HookList:
    return _node_hook_table(node).setdefault("pre", _HookList())


def node_post_hooks(node) -> _HookList:
    return _node_hook_table(node).setdefault("post", _HookList())


def tensor_hooks(t) -> _HookList:
    """Hooks on tensor `t`'s gradient: on its node's output slot, or on the leaf itself."""
    meta = t._meta
    if t.grad_fn is None:
        if meta is None:
            meta = t._meta = D.TensorMeta()
        if meta.hooks is None:
            meta.hooks = _HookList()
        return meta.hooks
    idx = 0 if meta is None else meta.out_index
    return _node_hook_table(t.grad_fn).setdefault(("tensor", idx), _HookList())


# ----------------------------------------------------------------------------------------
def _as_grad_like(out, g, i):
    if g is None:
        if out._data.size != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs "
                               f"(output {i} has shape {tuple(out.shape)}); pass gradient=")
        if out._dtype.kind == "c":  # PyTorch refuses too: which real function is meant?
            raise RuntimeError("grad can be implicitly created only for real scalar outputs but "
                               f"got {out._dtype}; differentiate real(), abs(), ... of it, or "
                               "pass gradient=")

        b = out._backend  # ones like `out`, without the public function's checks
        shape = out._data.shape
        # a 0-d one from a Python scalar is the cheapest on the host; on a GPU that is a copy
        # from host memory, and `ones` one fill kernel
        one = b.create("asarray", 1, dtype=b.native_dtype[out._dtype]) if shape == () and \
            b.device_type == "cpu" else b.create("ones", shape, dtype=b.native_dtype[out._dtype])
        return wrap(one, b), False
    if not isinstance(g, Tensor):
        g = asarray(g, dtype=out._dtype, device=out.device)
    elif g._backend is not out._backend:
        D.raise_device_mismatch("backward", out, g)
    if tuple(g.shape) != tuple(out.shape):
        raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {tuple(g.shape)} "
                           f"and output[{i}] has a shape of {tuple(out.shape)}.")
    if g._dtype is not out._dtype:
        g = D.cast(g, out._dtype)
    return g, True


def _count_consumers(root_nodes) -> dict:
    """For every node reachable from `root_nodes`: how many edges point at it."""
    deps = {n: 0 for n in root_nodes}
    stack = list(deps)
    while stack:
        node = stack.pop()
        for e in node.next:
            if e.__class__ is tuple:
                child = e[0]
                c = deps.get(child)
                if c is None:
                    deps[child] = 1
                    stack.append(child)
                else:
                    deps[child] = c + 1
    return deps


def _postorder(root_nodes) -> list:
    """The reachable nodes, children before parents."""
    order = []
    seen = set()
    stack = [(n, False) for n in root_nodes]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        for e in node.next:
            if e.__class__ is tuple and e[0] not in seen:
                stack.append((e[0], False))
    return order


def _prune(order, target_nodes, target_leaves):
    """The nodes from which some target is reachable (order is children-first)."""
    needed = set()
    for node in order:
        if node in target_nodes:
            needed.add(node)
            continue
        for e in node.next:
            if e is None:
                continue
            if e.__class__ is tuple:
                if e[0] in needed:
                    needed.add(node)
                    break
            elif id(e) in target_leaves:
                needed.add(node)
                break
    return needed


def _unpack(v, node):
    c = v.__class__
    if c is SavedTensor or c is SavedOutput or c is SavedHooked:
        return v.unpack(node)
    if c is list:
        return [_unpack(x, node) for x in v]
    if c is SavedOutputs:
        return tuple([None if x is None else x.unpack(node) for x in v])
    return v


# A gradient that does not depend on the tensors its rule read (relu's mask of `ans`, say)
# still does in PyTorch's create_graph: computed from tensors that require grad, it requires
# grad, with a zero derivative. This op links such a result to them (zeros flow back), so
# that code penalizing gradients (`(g ** 2).sum().backward()`) runs as under PyTorch.
_DEPENDS = D.Op("depends_on", ("x", "dep"), {"x": lambda g: g,
                                             "dep": lambda g, dep_shape: _AG.zeros(dep_shape, dtype=g.dtype,
                                                                                 device=g.device)},
                generic=lambda xp, x, dep: x, grad_fn="ZeroDependenceBackward0")


def _link_read_tensors(r, args):
    """`r` (a rule's result under create_graph), made to depend on the arguments the rule
    read that require grad when it does not already (see _DEPENDS)."""
    if r.__class__ is tuple or r.__class__ is list:
        return r.__class__(_link_read_tensors(x, args) for x in r)
    if not isinstance(r, Tensor) or r._requires_grad:
        return r
    for a in args:
        if isinstance(a, (tuple, list)):
            r = _link_read_tensors(r, a)
        elif isinstance(a, Tensor) and a._requires_grad and a._backend is r._backend:
            r = D.apply(_DEPENDS, (r, a))
    return r


def _run_node(node, g, retain_graph, edges=None):
    """Call `node`'s VJP rules on its output gradient(s) (Tensors); return one gradient per
    input (of `edges`: node.next, or those of its edges that lead somewhere needed, the
    others None). First-order backward runs most nodes through _run_raw_node instead."""
    saved = node.saved
    if saved is None:
        raise RuntimeError(_FREED_MSG)
    op = node.op
    if op.nout > 1 and getattr(op, "fill_missing", True):  # custom Functions fill their own
        g = _materialize(node, g, saved)
    if edges is None:
        edges = node.next
    n = len(edges)
    rules = op.rules
    recording = D.grad_enabled()  # create_graph
    if op.variadic:
        rule = rules[0]
        args = [_unpack(saved[p], node) for p in rule.params]
        results = list(rule.fn(_AG, g, *args) if rule.takes_xp else rule.fn(g, *args))
        if recording:
            results = _link_read_tensors(results, args)
    else:
        results = [None] * n
        for i in range(n):
            if edges[i] is None or results[i] is not None:
                continue
            rule = rules[i]
            params = rule.params
            args = [_unpack(saved[p], node) for p in params]
            r = rule.fn(_AG, g, *args) if rule.takes_xp else rule.fn(g, *args)
            if recording and args:
                r = _link_read_tensors(r, args)
            if len(rule.inputs) > 1:
                for name, ri in zip(rule.inputs, r):
                    results[op.inputs.index(name)] = ri
            else:
                results[i] = r
    if not retain_graph:
        _free_saved(node)
    meta = node.meta
    for i in range(n):
        gi = results[i]
        if gi is None:
            continue
        if edges[i] is None:
            results[i] = None
            continue
        results[i] = _undo_broadcast(gi, meta[i], op)
    return results


def _run_raw_node(node, op, g, xp, retain_graph, edges):
    """_run_node for first-order backward through an op whose rules all take `xp` (and whose
    only differentiable output is the first): they run on the backend's arrays with its
    namespace `xp`, and only their results are wrapped — no Tensor per intermediate. It runs
    once per node of almost every backward pass, hence the inlining."""
    saved = node.saved
    if saved is None:
        raise RuntimeError(_FREED_MSG)
    gd = g._data
    b = g._backend
    # the rules of a multi-output op take one gradient per output (None: not differentiable)
    gin = gd if op.nout == 1 else (gd,) + (None,) * (op.nout - 1)
    results = []
    rules = op.rules
    meta = node.meta
    joint = None  # (rule, its results) for a rule giving several inputs' gradients at once
    i = 0
    for e in edges:
        if e is None:
            results.append(None)
        else:
            rule = rules[i]
            if joint is not None and joint[0] is rule:
                r = joint[1][rule.inputs.index(op.inputs[i])]
            else:
                params = rule.params
                if params:
                    args = []
                    for p in params:
                        v = saved[p]
                        c = v.__class__
                        if c is SavedTensor:
                            st = v  # typed where compiled: a C call below
                            v = st.unpack_data(node)
                        elif c is SavedOutput:
                            so = v
                            v = so.unpack_data(node)
                        elif c is SavedOutputs:  # the outputs (None: not saved)
                            v = tuple([None if o is None else o.unpack_data(node) for o in v])
                        elif c is SavedHooked:  # saved under saved_tensors_hooks
                            v = v.unpack_data(node)
                        args.append(v)
                    r = rule.fn(xp, gin, *args)
                else:
                    r = rule.fn(xp, gin)
                if len(rule.inputs) > 1:
                    joint = (rule, r)
                    r = r[rule.inputs.index(op.inputs[i])]
            shape, dtype = meta[i]
            if r is gd:  # passed through: the same tensor, so that the engine sees it shared
                r = g if gd.shape == shape else wrap(sum_to(xp, gd, shape, op), b)
            elif r is not None:
                r = wrap(r if r.shape == shape else sum_to(xp, r, shape, op), b)
            if r is not None and r._dtype is not dtype:
                r = _undo_broadcast(r, meta[i], op)
            results.append(r)
        i += 1
    if not retain_graph:
        _free_saved(node)
    return results


def sum_to(xp, r, shape, op):
    """Gradient `r` (a raw array or, with xp = arraygrad, a Tensor) summed down to `shape`:
    what broadcasting added, summed away."""
    rshape = r.shape
    lead = len(rshape) - len(shape)
    if lead < 0 and _prod(rshape) == _prod(shape):  # as sum_to: only unit axes differ
        return xp.reshape(r, shape)
    if lead >= 0:
        axes = [i for i in range(lead)]
        for i in range(len(shape)):
            if shape[i] == 1 and rshape[lead + i] != 1:
                axes.append(lead + i)
        if axes:
            r = xp.sum(r, axis=tuple(axes))
        if r.shape != shape and _prod(r.shape) == _prod(shape):
            r = xp.reshape(r, shape)
        if r.shape == shape:
            return r
    raise RuntimeError(f"gradient of {op.name} has shape {rshape}, which does not broadcast to {shape}")


def _undo_broadcast(gi, meta, op):
    """Gradient `gi` of an input with (shape, dtype) `meta`: broadcast axes summed away,
    cast back to the input's dtype (real part for a real input)."""
    if gi.__class__ is not Tensor and not isinstance(gi, Tensor):
        raise TypeError(f"VJP of {op.name} returned {type(gi).__name__}, not a Tensor")
    shape, dtype = meta
    if gi._data.shape != shape:
        gi = sum_to(_AG, gi, shape, op)
    if gi._dtype is not dtype:
        if dtype.kind != "c" and gi._dtype.kind == "c":
            gi = real(gi)
        if gi._dtype is not dtype:
            gi = D.cast(gi, dtype)
    return gi


def _free_saved(node):
    """Release what `node` saved for backward. As in PyTorch, a node that kept only shapes
    and parameters (no input, no output — a Python scalar operand counts as an input, as
    PyTorch's scalars are tensors) can run again."""
    if node.saved.__class__ is SavedVars:
        node.saved = None


# The zeros _materialize made, by id: rules tell an output the loss never used (PyTorch's
# undefined gradient, for which eigh/eig/svd take a shortcut) from a zero gradient without
# reading it. (Not a WeakSet: its lookups compare tensors with ==, which is elementwise.)
_UNDEFINED_GRADS: dict = {}


def is_undefined_grad(g) -> bool:
    """Whether gradient `g` is the zeros filled in for an output that received none."""
    ref = _UNDEFINED_GRADS.get(id(g))
    return ref is not None and ref() is g


def _mark_undefined(g):
    key = id(g)
    _UNDEFINED_GRADS[key] = weakref.ref(g, lambda _, key=key: _UNDEFINED_GRADS.pop(key, None))


def _materialize(node, grads, saved):
    """Zeros for the differentiable outputs of a multi-output node that received no
    gradient (the others never get one: their rules must not read it), marked as such
    (is_undefined_grad)."""
    outs = None
    filled = []
    diff_outputs = node.op.diff_outputs
    for i, gi in enumerate(grads):
        if gi is None and diff_outputs[i]:
            if outs is None:
                outs = _unpack(saved["ans"], node) if "ans" in saved else None
            if outs is None or outs[i] is None:
                raise RuntimeError(f"{type(node).__name__}: gradient for output {i} is missing "
                                   "and the output was not saved to build zeros")
            gi = zeros_like(outs[i])
            _mark_undefined(gi)
        filled.append(gi)
    return tuple(filled)


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _add(a, b):
    """a + b for gradients arriving at one place: Tensors, or x[key]'s gradients (_SliceGrad)
    summed in place into an array the engine owns (_SliceSum)."""
    if b.__class__ is _SliceGrad:
        return b.into(a)
    if a is None:
        return b
    if a.__class__ is _SliceSum:
        a.data = a.data + b._data
        return a
    return add(a, b)


class _SliceGrad:
    """The gradient of x[key] (a basic key: slices, ints), not yet placed in x's shape. The
    engine sums the gradients of x's slices into one zero-filled array, in place, instead of
    a full-size array per slice: unstacking or looping over a tensor stays linear."""

    __slots__ = ("g", "key", "shape")

    def __init__(self, g, key, shape):
        self.g, self.key, self.shape = g, key, shape

    def into(self, prev):
        """prev (None, a Tensor or a _SliceSum) with this gradient added, as a _SliceSum."""
        acc = prev if prev.__class__ is _SliceSum else _SliceSum(self.g, self.shape, prev)
        data, key, g = acc.data, self.key, self.g._data
        if key.__class__ is tuple and None in key:  # new axes: not in x, nor in a write's key
            key = tuple([k for k in key if k is not None])
            g = acc.backend.xp.reshape(g, data[key].shape)
        part = data[key]
        if part.__class__ is data.__class__:  # a view (NumPy returns 0-d parts as scalars)
            part += g  # no temporary: unstacking a (T, N, H) tensor adds T rows in place
        else:
            data[key] = part + g
        return acc


class _SliceSum:
    """A gradient summed in place: `data` is the engine's own array, shared with no one."""

    __slots__ = ("data", "backend")

    def __init__(self, like, shape, prev):
        b = self.backend = like._backend
        if prev is None:
            self.data = b.create("zeros", shape, dtype=b.native_dtype[like._dtype])
        else:
            self.data = b.xp.asarray(prev._data, copy=True)


def _dense(g):
    """A gradient as a Tensor (a _SliceSum wrapped; None and Tensors as they are)."""
    if g.__class__ is _SliceSum:
        return wrap(g.data, g.backend)
    if g.__class__ is list:
        return [_dense(x) for x in g]
    return g


# Whether the backward pass running in this thread returns gradients for given inputs
# (autograd.grad, backward(inputs=)) rather than accumulating them into every leaf: the
# reentrant checkpoint, which can only accumulate, refuses to run inside one.
TARGETED: ContextVar[bool] = ContextVar("arraygrad_backward_targeted", default=False)


def execute(roots, root_grads, *, retain_graph, create_graph, targets=None):
    """Run backward from `roots` (tensors) seeded with `root_grads`.

    Without targets, gradients accumulate into leaves' `.grad`. With targets (tensors),
    nothing accumulates; the gradient reaching each target is returned (None if unreached).
    """

    token = GRAD_ENABLED.set(bool(create_graph))
    targeted = None if targets is None else TARGETED.set(True)
    try:
        first = roots[0] if roots else None
        with first._backend.quiet_float_errors() if isinstance(first, Tensor) else nullcontext():
            return _execute(roots, root_grads, retain_graph, create_graph, targets, Tensor)
    finally:
        GRAD_ENABLED.reset(token)
        if targeted is not None:
            TARGETED.reset(targeted)


def _execute(roots, root_grads, retain_graph, create_graph, targets, Tensor):
    buffers: dict = {}  # node -> gradient (nout == 1) or list of gradients
    # id(leaf) -> [leaf, gradient, shared]: shared when the gradient is also someone else's
    # (the caller's seed, or a node's incoming gradient passed through), so that .grad gets a
    # copy of it rather than the tensor itself. A flag on the slot, not a set of ids: an id
    # outlives its tensor and comes back on the next one (a false alarm cost a full copy of
    # the largest weight's gradient, 30 us of an MLP step).
    leaf_grads: dict = {}
    root_nodes = []
    for i in range(len(roots)):
        t = roots[i]
        if not t._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        g, user_given = _as_grad_like(t, root_grads[i], i)
        e = D.edge_of(t)
        if e is None:
            continue
        if e.__class__ is tuple:
            node, idx = e
            _buffer_add(buffers, node, idx, g)
            if node not in root_nodes:
                root_nodes.append(node)
        else:
            slot = leaf_grads.get(id(e))
            leaf_grads[id(e)] = [e, g, user_given] if slot is None else [e, _add(slot[1], g), False]

    needed = None
    target_nodes: dict = {}
    target_leaves: dict = {}
    captured: dict = {}
    if targets is None:
        deps = _count_consumers(root_nodes)
    else:
        for k, t in enumerate(targets):
            e = D.edge_of(t)
            if e is None:
                continue
            if e.__class__ is tuple:
                target_nodes.setdefault(e[0], []).append((e[1], k))
            else:
                target_leaves.setdefault(id(e), []).append(k)
        order = _postorder(root_nodes)
        needed = _prune(order, target_nodes, target_leaves)
        deps = {n: 0 for n in root_nodes}
        for node in order:
            if node in needed:
                for e in node.next:
                    if e.__class__ is tuple and e[0] in needed:
                        deps[e[0]] = deps.get(e[0], 0) + 1

    ready = [n for n in root_nodes if deps[n] == 0 and (needed is None or n in needed)]
    anomaly = D.ANOMALY.enabled
    raw = not create_graph and not anomaly  # nothing records: rules may run on raw arrays
    last_backend = xp = None
    while ready:
        node = ready.pop()
        grads = buffers.pop(node, None)
        if grads.__class__ is not Tensor and grads is not None:
            grads = _dense(grads)
        if grads is None:  # no gradient reached this node: its inputs get none either
            if not retain_graph:
                _free_saved(node)
            for e in node.next:
                if e.__class__ is tuple:
                    child = e[0]
                    if needed is None or child in needed:
                        left = deps[child] - 1
                        deps[child] = left
                        if not left:
                            ready.append(child)
            continue
        hooks = node._hooks
        if hooks is not None or node._retained is not None:
            grads = _pre_hooks(node, grads)
        if target_nodes and node in target_nodes:
            for idx, k in target_nodes[node]:
                captured[k] = grads if node.op.nout == 1 else grads[idx]
        op = node.op
        # with targets, only the edges leading to one get a gradient (PyTorch's grad_input_mask)
        edges = node.next if needed is None else _needed_edges(node.next, needed, target_leaves)
        if edges is not node.next and _leads_nowhere(edges):
            # a target's node with no target below it: its gradient is captured; running it
            # would free what it saved (a later backward through it failed) for nothing
            continue
        if op is _SLICE and raw and hooks is None and grads._backend.mutable_arrays:
            results = [_SliceGrad(grads, node.saved["key"], node.meta[0][0])]
        elif raw and op.raw:
            g0 = grads if op.nout == 1 else grads[0]
            b = g0._backend
            if b is not last_backend:
                last_backend, xp = b, b.generic_namespace
            results = _run_raw_node(node, op, g0, xp, retain_graph, edges)
        elif anomaly:
            results = _run_node_checked(node, grads, retain_graph, edges)
        else:
            results = _run_node(node, grads, retain_graph, edges)
        if hooks is not None and "post" in hooks:
            for hook in list(hooks["post"]):  # a hook may replace the inputs' gradients
                r = hook(tuple(results), tuple(grads) if node.op.nout > 1 else (grads,))
                if r is not None:
                    results = _post_hook_result(hook, results, r)
        edges = node.next
        for k in range(len(edges)):
            e = edges[k]
            gi = results[k]
            if e.__class__ is tuple:
                child = e[0]
                if needed is not None and child not in needed:
                    continue
                if gi is not None:
                    if child.op.nout == 1:
                        prev = buffers.get(child)
                        buffers[child] = gi if prev is None and gi.__class__ is not _SliceGrad else _add(prev, gi)
                    else:
                        _buffer_add(buffers, child, e[1], gi)
                left = deps[child] - 1
                deps[child] = left
                if not left:
                    ready.append(child)
            elif gi is not None and e is not None:  # a leaf
                slot = leaf_grads.get(id(e))
                if slot is None:
                    if gi.__class__ is _SliceGrad:
                        leaf_grads[id(e)] = [e, gi.into(None), False]
                    else:
                        leaf_grads[id(e)] = [e, gi, _passed_through(gi, grads)]
                else:
                    slot[1] = _add(slot[1], gi)
                    slot[2] = False

    if targets is not None:
        for leaf_id, ks in target_leaves.items():
            slot = leaf_grads.get(leaf_id)
            if slot is not None:
                g = _leaf_hooks(slot[0], _dense(slot[1]))
                for k in ks:
                    captured[k] = g
        return [captured.get(k) for k in range(len(targets))]
    for leaf, g, shared in leaf_grads.values():
        if g.__class__ is _SliceSum:
            g = _dense(g)
        acc = None
        if leaf._meta is not None:
            hooked = _leaf_hooks(leaf, g)
            acc = _accumulator_with_hooks(leaf)
            if acc is not None and acc._pre_hooks:
                for hook in list(acc._pre_hooks):
                    r = hook((hooked,))
                    if r is not None:
                        hooked = _post_hook_result(hook, [hooked], r)[0]
            # a hook's own tensor may be the hook owner's too (PyTorch clones it then as well)
            shared = shared or hooked is not g
            g = hooked
        accumulate_grad(leaf, g, create_graph, shared)
        if acc is not None and acc._post_hooks:
            for hook in list(acc._post_hooks):
                hook((), (g,))
    return None


def _accumulator_with_hooks(leaf):
    """The AccumulateGrad of `leaf` that next_functions handed out, if it is alive and hooked."""
    ref = leaf._meta.accumulator
    acc = None if ref is None else ref()
    return acc if acc is not None and (acc._pre_hooks or acc._post_hooks) else None


def _passed_through(g, grads) -> bool:
    """Whether gradient `g` is (one of) the gradients that reached its node: then it is not
    the node's own result, and others (the seed's owner, other inputs) may hold it too."""
    if g is grads:
        return True
    if grads.__class__ is list:
        for x in grads:
            if g is x:
                return True
    return False


def _leads_nowhere(edges) -> bool:
    for e in edges:
        if e is not None:
            return False
    return True


def _needed_edges(edges, needed, target_leaves):
    """`edges` with None for those that lead to no target (not worth a gradient)."""
    out = None
    for k in range(len(edges)):
        e = edges[k]
        if e is None:
            continue
        if (e[0] not in needed) if e.__class__ is tuple else (id(e) not in target_leaves):
            if out is None:
                out = list(edges)
            out[k] = None
    return edges if out is None else tuple(out)


def _run_node_checked(node, grads, retain_graph, edges=None):
    """_run_node under detect_anomaly: errors name the forward call, NaN results raise."""
    from .anomaly import annotate, check_results

    try:
        results = _run_node(node, grads, retain_graph, edges)
    except Exception as exc:
        annotate(node, exc)
        raise
    check_results(node, results)
    return results


def _buffer_add(buffers, node, idx, g):
    if node.op.nout == 1:
        prev = buffers.get(node)
        buffers[node] = g if prev is None and g.__class__ is not _SliceGrad else _add(prev, g)
    else:
        slots = buffers.get(node)
        if slots is None:
            slots = buffers[node] = [None] * node.op.nout
        slots[idx] = _add(slots[idx], g)


def _post_hook_result(hook, results, r) -> list:
    """A node post-hook's replacement of the gradients of its inputs (PyTorch's checks)."""
    if not isinstance(r, (tuple, list)):
        r = (r,)
    if len(r) != len(results):
        raise RuntimeError(f"hook '{getattr(hook, '__name__', hook)}' has returned an incorrect number of "
                           f"values (got {len(r)}, but expected {len(results)})")
    return [None if new is None else _hook_result(hook, old, new) if old is not None else new
            for old, new in zip(results, r)]


def _pre_hooks(node, grads):
    hooks = node._hooks
    retained = node._retained
    if hooks is None and retained is None:
        return grads
    multi = node.op.nout > 1
    for idx in range(node.op.nout):
        g = grads[idx] if multi else grads
        if g is None:
            continue
        for hook in list((hooks or {}).get(("tensor", idx), ())):
            r = hook(g)
            if r is not None:
                g = _hook_result(hook, g, r)
        if retained is not None and idx in retained:
            t = retained[idx]()
            if t is not None:
                t._grad = g if t._grad is None else t._grad + g  # a retained non-leaf
        if multi:
            grads[idx] = g
        else:
            grads = g
    if hooks is not None:
        for hook in list(hooks.get("pre", ())):
            current = list(grads) if multi else [grads]
            r = hook(tuple(current))
            if r is not None:  # checked as a post-hook's: the count, then each like the one it replaces
                new = _post_hook_result(hook, current, r)
                grads = new if multi else new[0]
    return grads


def _leaf_hooks(leaf, g):
    meta = leaf._meta
    if meta is not None and meta.hooks:
        for hook in list(meta.hooks):
            r = hook(g)
            if r is not None:
                g = _hook_result(hook, g, r)
    return g


def _hook_result(hook, g, r):
    """A tensor hook's replacement for gradient `g`: it must be a tensor like `g` (PyTorch's
    checks; a gradient of another shape would otherwise land in .grad silently)."""
    name = getattr(hook, "__name__", type(hook).__name__)
    if not isinstance(r, Tensor):
        raise TypeError(f"hook '{name}' returned a {type(r).__name__}; a tensor hook must return "
                        "a Tensor or None")
    if r._data.shape != g._data.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value (was "
                           f"{tuple(g._data.shape)} got {tuple(r._data.shape)})")
    if r._dtype is not g._dtype or r._backend is not g._backend:
        raise RuntimeError(f"hook '{name}' has changed the type of value (was {g._dtype} on "
                           f"{g.device!r} got {r._dtype} on {r.device!r})")
    return r


def accumulate_grad(leaf, g, create_graph: bool, borrowed: bool = False):
    """Add `g` into `leaf.grad` (PyTorch's AccumulateGrad). `g` has the leaf's shape, dtype
    and device (the engine made it so), hence the slot, not the checking setter."""
    if create_graph and g._requires_grad:
        _warn_grad_cycle()
    if leaf._grad is None:
        if not create_graph:
            if borrowed or not leaf._backend.owns_memory(g._data):
                g = wrap(leaf._backend.xp.asarray(g._data, copy=True), leaf._backend)
            elif g._requires_grad:
                g = g.detach()
        leaf._grad = g
    elif create_graph:
        leaf._grad = leaf._grad + g
    else:
        cur = leaf._grad
        if cur._backend.owns_memory(cur._data) and cur._data.shape == g._data.shape:
            # in place, as PyTorch (under no_grad): a .grad that carries a graph from an
            # earlier create_graph pass keeps its grad_fn; the version bump makes backward
            # through a node that saved it raise instead of reading the new values
            cur._data += g._data
            D.bump_version(cur)
        else:
            leaf._grad = wrap(cur._data + g._data, cur._backend)
    if POST_ACCUMULATE_HOOKS:  # Tensor.register_post_accumulate_grad_hook
        run_post_accumulate_hooks(leaf)


_GRAD_CYCLE_WARNED = []


def _warn_grad_cycle():
    """PyTorch's warning, once: a .grad whose graph reads the leaf is a reference cycle that
    only refcounting could free, and graph nodes are off the cycle collector (_dispatch)."""
    if not _GRAD_CYCLE_WARNED:
        _GRAD_CYCLE_WARNED.append(True)
        import warnings

        warnings.warn(
            "Using backward() with create_graph=True will create a reference cycle between the "
            "parameter and its gradient which can cause a memory leak. We recommend using "
            "autograd.grad when creating the graph to avoid this. If you have to use this "
            "function, make sure to reset the .grad fields of your parameters to None after "
            "use to break the cycle and avoid the leak.", UserWarning, stacklevel=4)


# ----------------------------------------------------------------------------------------
# Public entry points
# ----------------------------------------------------------------------------------------
def _as_list(x, what):
    if isinstance(x, Tensor):
        return [x]
    if isinstance(x, (list, tuple)):
        for i, v in enumerate(x):
            if not isinstance(v, Tensor):
                raise TypeError(f"{what}[{i}] must be a Tensor, got {type(v).__name__}")
        return list(x)
    raise TypeError(f"{what} must be a Tensor or a sequence of Tensors, got {type(x).__name__}")


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of `tensors` into the `.grad` of the leaves (or of `inputs`)."""
    tensors = _as_list(tensors, "tensors")
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    else:
        grad_tensors = _as_list(grad_tensors, "grad_tensors") if not isinstance(grad_tensors, (list, tuple)) \
            else list(grad_tensors)
    if len(grad_tensors) != len(tensors):
        raise RuntimeError(f"backward: got {len(tensors)} tensors but {len(grad_tensors)} gradients")
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        inputs = list({id(t): t for t in _as_list(inputs, "inputs")}.values())  # once each, as PyTorch
        if not inputs:
            raise RuntimeError("backward: 'inputs' argument to backward() cannot be empty.")
        for i, t in enumerate(inputs):
            if not t._requires_grad:
                raise RuntimeError(f"backward: inputs[{i}] does not require grad: no gradient to accumulate "
                                   "into it")
        got = execute(tensors, grad_tensors, retain_graph=retain_graph, create_graph=create_graph,
                      targets=inputs)
        for t, g in zip(inputs, got):
            if g is not None:
                accumulate_grad(t, g, create_graph, borrowed=True)
        return
    execute(tensors, grad_tensors, retain_graph=retain_graph, create_graph=create_graph)


def _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                  materialize_grads):
    """grad(is_grads_batched=True): the grad_outputs' leading axis is a batch of cotangents;
    one backward per row (PyTorch vmaps the backward), each input's gradients stacked."""
    sizes = set()
    for i, g in enumerate(grad_outputs):
        if not isinstance(g, Tensor) or g.ndim == 0:
            got = "a 0-d tensor" if isinstance(g, Tensor) else type(g).__name__
            raise RuntimeError(f"grad(is_grads_batched=True): grad_outputs[{i}] must be a tensor with a "
                               f"leading batch dimension, got {got}")
        sizes.add(g.shape[0])
    if len(sizes) != 1:
        raise RuntimeError(f"grad(is_grads_batched=True): the grad_outputs' batch sizes differ: {sorted(sizes)}")
    n = sizes.pop()
    rows = [grad(outputs, inputs, [g[k] for g in grad_outputs], retain_graph=retain_graph or k < n - 1,
                 create_graph=create_graph, allow_unused=allow_unused, materialize_grads=materialize_grads)
            for k in range(n)]
    from .._ops.creation import zeros
    from .._ops.manipulation import stack

    out = []
    for i, t in enumerate(inputs):
        col = [r[i] for r in rows]
        if n == 0:
            out.append(zeros((0,) + tuple(t.shape), dtype=t.dtype, device=t.device))
        else:
            out.append(None if col[0] is None else stack(col))
    return tuple(out)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of `outputs` with respect to `inputs` (returned, not accumulated)."""
    outputs = _as_list(outputs, "outputs")
    inputs = _as_list(inputs, "inputs")
    if not inputs:
        raise RuntimeError("grad: the `inputs` argument cannot be empty")
    for i, t in enumerate(inputs):
        if not t._requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors (input {i}) does not require grad")
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    else:
        grad_outputs = list(grad_outputs) if isinstance(grad_outputs, (list, tuple)) else [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"grad: got {len(outputs)} outputs but {len(grad_outputs)} grad_outputs")
    if retain_graph is None:
        retain_graph = create_graph
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, "
                         "but got: allow_unused=False.")
    if is_grads_batched:
        return _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                             materialize_grads)
    if allow_unused is None:
        allow_unused = materialize_grads
    got = execute(outputs, grad_outputs, retain_graph=retain_graph, create_graph=create_graph,
                  targets=inputs)
    result = []
    for i, (t, g) in enumerate(zip(inputs, got)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (input {i}) appears to not have been used "
                    "in the graph. Set allow_unused=True if this is the desired behavior.")
            if materialize_grads:
                g = zeros_like(t)
        result.append(g)
    return tuple(result)
