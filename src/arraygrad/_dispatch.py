"""The op path: how every array function reaches its backend and records autograd history.

An `Op` is one entry of the op table: the backend function it runs (by array-API name)
and, in the same declaration, its vector-Jacobian products. Everything else — dtype
checks and promotion, Python scalars, device checks, wrapping results, recording the graph,
saving only what the VJPs read — is derived here once, so adding an op touches one place.

VJP rules name what they need by parameter name (HIPS autograd's `defvjp`, PyTorch's
derivatives.yaml): `g` is the incoming gradient, `ans` the output, an input name gives the
input tensor, `<input>_shape` / `<input>_dtype` only its metadata, and any other name a
keyword parameter of the call. Only the names read by rules of inputs that require grad
are saved. Rules run on arraygrad tensors when the backward pass records, so
`create_graph=True` gives higher derivatives with no extra code; rules written against a
namespace `xp` (see `Rule`) also run on raw backend arrays in first-order backward.
Broadcasting and dtype promotion are undone by the engine.
"""

from __future__ import annotations

import inspect
import weakref
from contextvars import ContextVar
from typing import Any, Callable

from . import _dtypes
from ._dtypes import DType

class _PlainPython:
    """Stands in for the Cython module where Cython is not installed (its one flag read here)."""

    compiled = False


try:
    import cython
except ImportError:  # this module runs as plain Python
    cython = _PlainPython

if cython.compiled:
    from cython.cimports.arraygrad._gc import PyObject_GC_IsTracked, PyObject_GC_Track, PyObject_GC_UnTrack
else:  # plain Python: the collector tracks every graph object, as it tracks any object
    def PyObject_GC_UnTrack(obj):
        pass

    def PyObject_GC_Track(obj):
        pass

    def PyObject_GC_IsTracked(obj):
        return True

# Grad mode lives in a ContextVar: per thread (and per asyncio task), as in PyTorch.
GRAD_ENABLED: ContextVar[bool] = ContextVar("arraygrad_grad_enabled", default=True)
grad_enabled = GRAD_ENABLED.get

#: name -> fn(xp, *arrays, **params): a composite any array-API namespace can run, used when
#: a backend has no function of that name (torch-style extras, autograd's scatter ops).
GENERIC_IMPLS: dict[str, Callable] = {}

#: every Op, by name (tests and the docs' gradient table are driven from it).
OPS: dict[str, "Op"] = {}


class _AnomalyState:
    """detect_anomaly(): record where each node was made, check gradients for NaN."""

    __slots__ = ("enabled", "check_nan", "capture")

    def __init__(self):
        self.enabled = False
        self.check_nan = True
        self.capture = None


ANOMALY = _AnomalyState()
Tensor: Any = None  # set by _tensor.py (import cycle: Tensor's methods call into here)


class TensorBase:
    """Tensor's state, apart from its methods: the layout the op path reads and writes
    (a C struct where this module is compiled, see _dispatch.pxd)."""

    __slots__ = ("_data", "_backend", "_dtype", "_requires_grad", "grad_fn", "_grad",
                 "_vc", "_base", "_meta", "__weakref__")


# ----------------------------------------------------------------------------------------
# Op table entries
# ----------------------------------------------------------------------------------------
class Rule:
    """One VJP: the function and the names it reads (derived once from its signature).

    A rule whose first parameter is `xp` is written against the array API namespace it is
    given: arraygrad itself when the backward pass records (create_graph), the backend's own
    namespace on its raw arrays otherwise — the same formula, without a Tensor per
    intermediate in first-order backward. Other rules call arraygrad functions directly and
    always get Tensors."""

    __slots__ = ("fn", "params", "inputs", "takes_xp")

    def __init__(self, fn: Callable, inputs: tuple[str, ...]):
        self.fn = fn
        self.inputs = inputs  # the op inputs whose gradients it returns
        names = tuple(inspect.signature(fn).parameters)
        self.takes_xp = names[:1] == ("xp",)
        if self.takes_xp:
            names = names[1:]
        if not names or names[0] != "g":
            raise TypeError(f"a VJP rule's parameters must start with 'g' (or 'xp', 'g'), got {names} in {fn}")
        self.params = names[1:]


class Op:
    """One primitive of the op table.

    name      the op's name (unique; the backend function unless `impl` names another:
              array-API names, dotted for extensions: "linalg.qr")
    inputs    names of the array inputs, in order; "*arrays" for one sequence of arrays
    vjp       None: not differentiable (outputs never require grad); a callable: the rule
              of the only input; a dict {input name or tuple of names: rule or None}
    dtypes    the dtype category the inputs must have (a key of _dtypes.CATEGORIES);
              "floating-point" ops promote integer inputs to the default float (PyTorch)
    grad_fn   the class name of the backward node (default: "<CamelName>Backward0")
    generic   fn(xp, *arrays, **params) for backends lacking the function
    impl      the backend function's name when it differs from `name`
    nout      number of outputs (tuple results)
    broadcasts  whether inputs broadcast against each other (the engine unbroadcasts grads)
    grad_fn_by_operands  for two-input ops: the node's class names when (both inputs are
              tensors, the first is a Python scalar, the second is), as PyTorch names its
              overloads (`x ** y` PowBackward1, `2 ** x` PowBackward2, `x ** 2` PowBackward0);
              or a dict {(rank of x1, rank of x2), ranks above 3 as 3: name} (matmul's
              Dot/Mv/Mm/UnsafeView nodes)
    differentiable_outputs  for nout > 1: which outputs carry gradients
    saved_outputs  for nout > 1: the outputs the rules read through `ans` (default: all);
              an in-place write to another output is then no error (PyTorch saves only
              what its backward reads: BatchNorm's statistics, not its output)
    """

    __slots__ = ("name", "impl", "inputs", "rules", "node_type", "variadic", "nout", "dtypes",
                 "category", "float_inputs", "broadcasts", "differentiable", "_plans",
                 "diff_outputs", "raw", "saved_outputs", "node_types_by_operands", "refuses_bool",
                 "__weakref__")

    def __init__(self, name: str, inputs: tuple[str, ...] = ("x",), vjp=None, *,
                 dtypes: str = "any", grad_fn: str | None = None, generic: Callable | None = None,
                 nout: int = 1, broadcasts: bool = False, differentiable_outputs=None,
                 differentiable: bool | None = None, impl: str | None = None, saved_outputs=None,
                 grad_fn_by_operands: tuple[str, str, str] | dict | None = None,
                 refuses_bool: bool = False):
        self.name = name
        # PyTorch's subtract refuses a bool operand even where promotion would make it an
        # integer (`1 - mask`): the slow paths of binary() check it (bool never takes the fast)
        self.refuses_bool = refuses_bool
        self.impl = impl or name
        self.variadic = len(inputs) == 1 and inputs[0].startswith("*")
        self.inputs = (inputs[0][1:],) if self.variadic else tuple(inputs)
        self.nout = nout
        self.category = dtypes
        self.dtypes = _dtypes.CATEGORIES[dtypes]
        # PyTorch promotes integer inputs of floating-point functions to the default float.
        self.float_inputs = dtypes in ("floating-point", "real floating")
        self.broadcasts = broadcasts
        self.differentiable = vjp is not None if differentiable is None else differentiable
        self.diff_outputs = tuple(differentiable_outputs or (True,) * nout)
        self.saved_outputs = tuple(i in (saved_outputs or range(nout)) for i in range(nout))
        self.rules = self._parse_rules(vjp)
        # One differentiable output (the first), every rule takes `xp`: first-order backward
        # runs them on raw backend arrays (the engine's _run_raw_node).
        self.raw = self.diff_outputs == (True,) + (False,) * (nout - 1) and not self.variadic \
            and self.differentiable and all(r is None or r is _MISSING or r.takes_xp for r in self.rules)
        self._plans: dict[int, tuple] = {}
        self.node_type = type(grad_fn or _camel(name) + "Backward0", (Node,),
                              {"__slots__": (), "op": self})
        def named(n):  # the op's own class, or a subclass under PyTorch's other name
            return self.node_type if n == self.node_type.__name__ else type(n, (self.node_type,), {"__slots__": ()})

        self.node_types_by_operands = None if grad_fn_by_operands is None else (
            {k: named(n) for k, n in grad_fn_by_operands.items()} if isinstance(grad_fn_by_operands, dict)
            else tuple(named(n) for n in grad_fn_by_operands))
        if generic is not None:
            GENERIC_IMPLS[self.impl] = generic
        OPS[name] = self

    def _parse_rules(self, vjp) -> tuple:
        """rules[i]: the Rule giving input i's gradient (shared by joint rules), or None."""
        rules: list = [None] * len(self.inputs)
        if vjp is None:
            return tuple(rules)
        if callable(vjp):
            if len(self.inputs) != 1:
                raise TypeError(f"op {self.name}: give a dict of rules for inputs {self.inputs}")
            vjp = {self.inputs[0]: vjp}
        for key, fn in vjp.items():
            names = key if isinstance(key, tuple) else (key,)
            for n in names:
                if n not in self.inputs:
                    raise TypeError(f"op {self.name}: VJP for unknown input {n!r} (inputs: {self.inputs})")
            if fn is None:
                continue
            rule = Rule(fn, names)
            for n in names:
                rules[self.inputs.index(n)] = rule
        for i, r in enumerate(rules):
            if r is None and self.inputs[i] not in vjp and not any(
                    isinstance(k, tuple) and self.inputs[i] in k for k in vjp):
                rules[i] = _MISSING
        return tuple(rules)

    def __repr__(self):
        return f"<Op {self.name}>"

    def plan(self, mask: int) -> tuple:
        """What to save when the inputs in bitmask `mask` require grad (cached per mask)."""
        p = self._plans.get(mask)
        if p is None:
            p = self._plans[mask] = self._make_plan(mask)
        return p

    def _make_plan(self, mask: int) -> tuple:
        names: dict[str, None] = {}
        for i, rule in enumerate(self.rules):
            if mask >> min(i, 62) & 1 and rule is not None and rule is not _MISSING:
                for n in rule.params:
                    names[n] = None
        plan = []
        for n in names:
            if n in self.inputs:
                plan.append((n, _SAVE_INPUT, self.inputs.index(n)))
            elif n == "ans":
                plan.append((n, _SAVE_ANS, None))
            elif n.endswith("_shape") and n[:-6] in self.inputs:
                plan.append((n, _SAVE_SHAPE, self.inputs.index(n[:-6])))
            elif n.endswith("_dtype") and n[:-6] in self.inputs:
                plan.append((n, _SAVE_DTYPE, self.inputs.index(n[:-6])))
            elif n == "needs_grad":
                plan.append((n, _SAVE_MASK, None))
            else:
                plan.append((n, _SAVE_PARAM, None))
        return _Plan(plan)


class _Plan(tuple):
    """(name, what to save, input index) entries; `frees`: whether any is an input or the
    output, which backward then frees."""

    def __init__(self, entries):
        self.frees = any(kind in (_SAVE_INPUT, _SAVE_ANS) for _, kind, _ in entries)


_MISSING = object()  # a differentiable op with no rule for this input
_SAVE_INPUT, _SAVE_ANS, _SAVE_SHAPE, _SAVE_DTYPE, _SAVE_PARAM, _SAVE_MASK = range(6)


_NAMED_NODE_TYPES: dict = {}


def node_type_named(op: Op, name: str) -> type:
    """A node class for `op` under another of PyTorch's names (its overloads and aliases:
    `x.t()` is a permutation named TBackward0): the same node, renamed (see named_node)."""
    cls = _NAMED_NODE_TYPES.get((op, name))
    if cls is None:
        cls = _NAMED_NODE_TYPES[(op, name)] = type(name, (op.node_type,), {"__slots__": ()})
    return cls


def named_node(out, node_class: type, source=None):
    """`out` with its node of class `node_class` (from node_type_named), when that node is
    the one this call made: of the op's own classes, and not `source`'s (an input returned
    as it is)."""
    node = out.grad_fn
    if node is not None and isinstance(node, node_class.__base__) and (source is None or node is not source.grad_fn):
        node.__class__ = node_class
    return out


def _camel(name: str) -> str:
    base = name.rsplit(".", 1)[-1].strip("_")
    return "".join(p[:1].upper() + p[1:] for p in base.split("_"))


# ----------------------------------------------------------------------------------------
# Graph nodes and saved tensors
# ----------------------------------------------------------------------------------------
class Node:
    """A recorded op application: where gradients go and what the VJPs saved.

    `next` holds one edge per input: (node, output index), a leaf Tensor, or None.
    Subclasses are made per op, so `type(t.grad_fn).__name__` reads like PyTorch's.
    """

    __slots__ = ("next", "saved", "meta", "_hooks", "_retained", "_anomaly", "__weakref__")
    # `op` (the Op) is a class attribute of each per-op subclass

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self):
        return f"<{type(self).__name__} object at {id(self):#x}>"

    @property
    def next_functions(self) -> tuple:
        """PyTorch's view of the edges: ((node or AccumulateGrad or None, index), ...)."""
        out = []
        for e in self.next:
            if e is None:
                out.append((None, 0))
            elif e.__class__ is tuple:
                out.append(e)
            else:
                out.append((AccumulateGrad.of(e), 0))
        return tuple(out)

    def register_hook(self, fn: Callable):
        """fn(grad_inputs, grad_outputs) after this node ran (PyTorch's Node.register_hook)."""
        from ._autograd.engine import node_post_hooks

        return node_post_hooks(self).add(fn)

    def register_prehook(self, fn: Callable):
        """fn(grad_outputs) -> replacement or None, before this node runs."""
        from ._autograd.engine import node_pre_hooks

        return node_pre_hooks(self).add(fn)


# Graph objects and the cyclic garbage collector. A graph that lives through a long
# forward pass (thousands of ops: an RNN's time steps) survives the collector's young
# generations, and every object it promotes counts towards the next full collection, a
# traversal of every object the process holds (all of PyTorch's, once it is imported):
# 4000 recorded matmuls spent 52 of 124 ms in the collector. Graphs need no collector:
# nodes point only backwards, outputs are saved as data (SavedOutput), so refcounting
# frees them. A new node, its edge and metadata containers and its saved records are
# therefore taken off the collector's lists where this module is compiled (version
# counters too: numbers and weak references). Only user code can close a cycle through
# them: a hook on a node (a non-leaf tensor's hooks live there) puts the node back
# (track_node), so a hook that captures its own tensor is collected; saved-tensor hooks
# keep the whole node tracked (retain_grad holds weak references only). A leaf's hook
# that captures a tensor computed from that leaf stays a cycle the collector cannot see,
# as it is in PyTorch, and so does a .grad computed with create_graph=True (it warns).
def _untrack_graph(node, edges, meta, saved):
    PyObject_GC_UnTrack(node)
    PyObject_GC_UnTrack(edges)
    PyObject_GC_UnTrack(meta)
    for e in edges:
        if e.__class__ is tuple:
            PyObject_GC_UnTrack(e)
    for m in meta:
        if m is not None:
            PyObject_GC_UnTrack(m)
    if saved is not _NOTHING_SAVED:
        PyObject_GC_UnTrack(saved)
        for v in saved.values():
            c = v.__class__
            if c is SavedTensor or c is SavedOutput:
                PyObject_GC_UnTrack(v)


def track_node(node) -> None:
    """Put `node` back on the collector's lists: it now holds user callables (hooks), which
    can close a reference cycle through it."""
    if not PyObject_GC_IsTracked(node):
        PyObject_GC_Track(node)


class AccumulateGrad:
    """The sink for a leaf tensor (what PyTorch's `next_functions` shows for leaves): one per
    leaf while someone holds it (the leaf keeps a weak reference, as PyTorch's tensor does),
    with PyTorch's hooks around the accumulation into .grad."""

    __slots__ = ("variable", "_pre_hooks", "_post_hooks", "__weakref__")
    next_functions = ()

    def __init__(self, variable):
        self.variable = variable
        self._pre_hooks = self._post_hooks = None

    @classmethod
    def of(cls, leaf) -> "AccumulateGrad":
        meta = leaf._meta
        if meta is None:
            meta = leaf._meta = TensorMeta()
        acc = None if meta.accumulator is None else meta.accumulator()
        if acc is None:
            acc = cls(leaf)
            meta.accumulator = weakref.ref(acc)
        return acc

    def register_prehook(self, fn: Callable):
        """fn(grad_outputs) -> replacement or None, before the gradient is accumulated."""
        from ._autograd.engine import _HookList

        if self._pre_hooks is None:
            self._pre_hooks = _HookList()
        return self._pre_hooks.add(fn)

    def register_hook(self, fn: Callable):
        """fn(grad_inputs, grad_outputs) after the accumulation: ((), (the gradient,))."""
        from ._autograd.engine import _HookList

        if self._post_hooks is None:
            self._post_hooks = _HookList()
        return self._post_hooks.add(fn)

    def name(self):
        return "AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"


class VersionCounter:
    """Shared by a storage and its views; bumped by every in-place write.

    `exported`: the storage is reachable outside arraygrad (NumPy bridge, DLPack), where
    writes cannot be counted; tensors saved for backward then keep a snapshot instead.
    `saved`: weak references to saved-tensor records, snapshotted at export time.
    """

    __slots__ = ("value", "exported", "saved")

    def __init__(self):
        self.value = 0
        self.exported = False
        self.saved: list | None = None
        PyObject_GC_UnTrack(self)  # numbers and weak references only: never part of a cycle


def storage_root(t):
    """The tensor owning `t`'s storage (itself unless `t` is a view or alias)."""
    b = t._base
    while b is not None:
        t = b[0]
        b = t._base
    return t


def version_counter(t) -> VersionCounter:
    root = storage_root(t)
    vc = root._vc
    if vc is None:
        vc = root._vc = VersionCounter()
    return vc


def bump_version(t) -> None:
    version_counter(t).value += 1


def mark_exported(t) -> None:
    """`t`'s memory is now shared outside arraygrad: snapshot what backward still needs."""
    vc = version_counter(t)
    vc.exported = True
    # Records registered since an earlier export (saved while nothing outside held the
    # memory, see `_Saved._register`) need their snapshot now, as much as the first time.
    for ref in vc.saved or ():
        rec = ref()
        if rec is not None and rec.snapshot is None and rec.version == vc.value:
            rec.take_snapshot()
    vc.saved = None


class _Saved:
    """Base of saved-for-backward records: the version at save time, and a snapshot of the
    data once the storage is shared outside arraygrad (where writes go uncounted)."""

    __slots__ = ("version", "snapshot", "__weakref__")


def _register(rec: _Saved, t):
    """Note `rec`'s version; snapshot now if `t`'s storage is shared outside arraygrad, else
    register `rec` with the storage so that a later export snapshots it (mark_exported)."""
    root = t if t._base is None else storage_root(t)
    vc = root._vc
    if vc is None:
        vc = root._vc = VersionCounter()
    rec.version = vc.value
    rec.snapshot = None
    if vc.exported and root._backend.may_be_shared(root._data):
        rec.take_snapshot()
        return vc
    ref = weakref.ref(rec)
    PyObject_GC_UnTrack(ref)  # no callback, no strong reference: never part of a cycle
    refs = vc.saved
    if refs is None:
        vc.saved = refs = [ref]
        PyObject_GC_UnTrack(refs)  # weak references only
        return vc
    n = len(refs)
    if n >= 16 and not n & (n - 1):
        # Dead records dropped at each power of two: amortized O(1) per save, also when
        # most stay alive (a weight that every time step of an RNN saves; compacting at
        # every save past 16 made such a graph quadratic).
        refs[:] = [r for r in refs if r() is not None]
    refs.append(ref)
    return vc


class SavedTensor(_Saved):
    """An input saved for backward (PyTorch's SavedVariable)."""

    __slots__ = ("tensor",)

    def __init__(self, t):
        self.tensor = t
        _register(self, t)

    def take_snapshot(self):
        t = self.tensor
        self.snapshot = t._backend.xp.asarray(t._data, copy=True)

    def unpack_data(self, node):
        """The saved backend array (first-order backward on raw arrays)."""
        t = self.tensor
        vc = (t if t._base is None else storage_root(t))._vc
        now = 0 if vc is None else vc.value
        if now != self.version:
            _raise_modified(t, node, now, self.version)
        return t._data if self.snapshot is None else self.snapshot

    def unpack(self, node):
        data = self.unpack_data(node)
        t = self.tensor
        if self.snapshot is None:
            return t
        return _in_place_of_input(wrap(data, t._backend), t.grad_fn, t._requires_grad, t._meta,
                                  t if t.grad_fn is None and t._requires_grad else None)


def _in_place_of_input(s, grad_fn, requires_grad, meta, leaf):
    """`s`, a copy of a saved input's values, standing where that input stood in the graph:
    with its history, or, for a leaf under create_graph, recorded from the leaf itself (the
    copy's gradient must reach it)."""
    if leaf is not None and grad_enabled():
        from ._ops.data_type import _ASTYPE

        record(_ASTYPE, (s,), (leaf,), None)
        return s
    s._requires_grad, s.grad_fn, s._meta = requires_grad, grad_fn, meta
    return s


def _as_output_of(t, node, index: int):
    """`t`, a saved output's values, re-attached to the node running backward when it
    records (create_graph: the output depends on the node's inputs)."""
    if grad_enabled():
        t._requires_grad = True
        t.grad_fn = node
        if node.op.nout > 1:
            t._meta = TensorMeta(index)
    return t


class SavedOutput(_Saved):
    """An op's output saved for its own backward, without a reference to the node (a
    reference would make a cycle); unpacking re-attaches it to the node running backward."""

    __slots__ = ("data", "backend", "vc", "index")

    def __init__(self, t, index: int):
        self.data = t._data
        self.backend = t._backend
        self.index = index
        self.vc = _register(self, t)

    def take_snapshot(self):
        self.snapshot = self.backend.xp.asarray(self.data, copy=True)

    def unpack_data(self, node):
        if self.vc.value != self.version:
            _raise_modified(None, node, self.vc.value, self.version, self.index)
        return self.data if self.snapshot is None else self.snapshot

    def unpack(self, node):
        return _as_output_of(wrap(self.unpack_data(node), self.backend), node, self.index)


# ----- saved-tensor hooks (autograd.graph.saved_tensors_hooks) -----------------------------
# The (pack, unpack) pairs in force, per thread as PyTorch's; HOOK_CONTEXTS counts the contexts
# open in any thread, so that a save (every recorded op makes one) tests one global.
SAVED_TENSORS_HOOKS: ContextVar[tuple] = ContextVar("arraygrad_saved_tensors_hooks", default=())
HOOK_CONTEXTS = 0


def push_saved_tensors_hooks(pack_hook, unpack_hook):
    """Put (pack_hook, unpack_hook) in force in this thread; returns the token to pop it."""
    global HOOK_CONTEXTS
    HOOK_CONTEXTS += 1
    return SAVED_TENSORS_HOOKS.set(SAVED_TENSORS_HOOKS.get() + ((pack_hook, unpack_hook),))


def pop_saved_tensors_hooks(token) -> None:
    global HOOK_CONTEXTS
    SAVED_TENSORS_HOOKS.reset(token)
    HOOK_CONTEXTS -= 1


def _hooks_in_force():
    """This thread's innermost (pack_hook, unpack_hook), or None."""
    hooks = SAVED_TENSORS_HOOKS.get() if HOOK_CONTEXTS else ()
    return hooks[-1] if hooks else None


def save_input(t):
    """The record of input `t` saved for backward (through the hooks in force, if any)."""
    hooks = _hooks_in_force()
    return SavedTensor(t) if hooks is None else SavedHooked(t, None, *hooks)


def save_output(t, index: int):
    """The record of output `index`, `t`, saved for its own node's backward."""
    hooks = _hooks_in_force()
    return SavedOutput(t, index) if hooks is None else SavedHooked(t, index, *hooks)


class SavedHooked:
    """A tensor saved while saved_tensors_hooks were in force: what pack_hook returned, given
    to unpack_hook when backward reads it. The hooks own the data (offloaded, compressed,
    recomputed): no version check, as in PyTorch. An input keeps its place in the graph
    (grad_fn, or the leaf), an output its index, so that create_graph differentiates
    through the unpacked tensor as through the original."""

    __slots__ = ("packed", "unpack_hook", "index", "grad_fn", "requires_grad", "meta", "leaf")

    def __init__(self, t, index, pack_hook, unpack_hook):
        self.packed = pack_hook(t)
        self.unpack_hook = unpack_hook
        self.index = index  # None: an input
        if index is None:
            self.grad_fn, self.requires_grad, self.meta = t.grad_fn, t._requires_grad, t._meta
            self.leaf = t if t.grad_fn is None and t._requires_grad else None

    def _unpacked(self):
        t = self.unpack_hook(self.packed)
        if not isinstance(t, Tensor):
            raise TypeError(f"saved_tensors_hooks: unpack_hook must return a Tensor, got {type(t).__name__}")
        return t

    def unpack_data(self, node):
        return self._unpacked()._data

    def unpack(self, node):
        t = self._unpacked()
        s = wrap(t._data, t._backend)
        if self.index is not None:
            return _as_output_of(s, node, self.index)
        return _in_place_of_input(s, self.grad_fn, self.requires_grad, self.meta, self.leaf)


def _raise_modified(t, node, now, expected, index=0):
    raise_modified(f"output {index} of {type(node).__name__}" if t is None else
                   f"an input of {type(node).__name__}", now, expected)


def raise_modified(what: str, now, expected):
    """PyTorch's error for a saved value written in place before backward read it."""
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: {what} is at version {now}; expected version {expected} instead. "
        "Hint: clone() the tensor before modifying it in place, or modify a copy.")


class TensorMeta:
    """Rarely-set tensor state, allocated on demand: which output of a multi-output op the
    tensor is, its hooks, whether it retains its grad, its name, (a leaf's) a weak
    reference to the AccumulateGrad that next_functions shows for it, and whether it is a
    view made under no_grad of a tensor in a graph (see set_view)."""

    __slots__ = ("out_index", "hooks", "retains_grad", "name", "accumulator", "no_grad_view")

    def __init__(self, index=0):
        self.out_index = index
        self.hooks = None
        self.retains_grad = False
        self.name = None
        self.accumulator = None
        self.no_grad_view = False


# ----------------------------------------------------------------------------------------
# Wrapping and unwrapping
# ----------------------------------------------------------------------------------------
def wrap(data, backend) -> Any:
    """A fresh Tensor around backend array `data` (no history)."""
    if data.__class__ is not backend.array_type:
        data = backend.xp.asarray(data)  # e.g. NumPy returning a scalar for a 0-d result
    t = TensorBase.__new__(Tensor)
    t._data = data
    t._backend = backend
    t._dtype = backend.dtype_of[data.dtype]
    t._requires_grad = False
    t.grad_fn = None
    t._grad = None
    t._vc = None
    t._base = None
    t._meta = None
    return t


def wrap_view(data, backend, base, op=None, params=None):
    """Like `wrap`, for a result sharing `base`'s memory (views, detach, .data)."""
    t = wrap(data, backend)
    set_view(t, base, op, params)
    return t


def set_view(t, base, op, params) -> None:
    """Make `t` a view of `base` made by `op` (None: an alias outside the graph). A view made
    under no_grad of a tensor in a graph (or of such a view) is marked: an in-place write to
    it with grad mode back on is ambiguous, and PyTorch refuses it (_inplace.check_graph)."""
    t._base = (base, op, params)
    if op is not None and not grad_enabled() and (
            base._requires_grad or base._meta is not None and base._meta.no_grad_view):
        meta = t._meta
        if meta is None:
            meta = t._meta = TensorMeta()
        meta.no_grad_view = True


def raise_device_mismatch(fname: str, a, b):
    da, db = a._backend.device, b._backend.device
    if (da.type, da.index) == (db.type, db.index):  # same device, two backends serving it
        raise ValueError(f"{fname}: arrays from two different backends ({a._backend.name!r} and "
                         f"{b._backend.name!r}) can not be combined; move one with to_device()")
    raise ValueError(f"{fname}: arrays on two different devices ({da} and {db}) can not be combined; "
                     f"move one with .to({str(da)!r}) or .to({str(db)!r})")


class DTypeError(TypeError, NotImplementedError):
    """An operand's dtype that the function refuses: the TypeError of the array API
    libraries, and what PyTorch raises, NotImplementedError ("not implemented for 'Bool'")
    or a plain RuntimeError, of which NotImplementedError is a subclass."""


class IndexRangeError(IndexError, RuntimeError):
    """An index out of range (gather, scatter, take, index_select, embedding, topk's k):
    Python's and NumPy's IndexError, and the RuntimeError PyTorch raises for most of them."""


def restated_value_error(exc: ValueError, fname: str) -> ValueError:
    """A backend's plain ValueError as also the RuntimeError PyTorch raises: a ShapeError for
    shapes that do not fit together (NumPy's words for broadcasting and contraction), else a
    ValueRangeError (an operand's values, e.g. integers to negative integer powers). The
    library's own subclasses (AxisError, ...) stay as they are."""
    if type(exc) is not ValueError:
        return exc
    msg = str(exc)
    if "broadcast" in msg or "core dimension" in msg or "not aligned" in msg:
        return ShapeError(f"{fname}: {msg}")
    return ValueRangeError(f"{fname}: {msg}")


def refuse_bool(op: Op):
    """PyTorch's words for the one op that refuses bool operands (Op.refuses_bool)."""
    raise DTypeError(f"Subtraction, the `-` operator, with a bool tensor is not supported ({op.name}). "
                     "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")


class ShapeError(ValueError, RuntimeError):
    """Operands whose shapes do not fit together (broadcasting, contraction, concatenation):
    the ValueError of the array API libraries, and the RuntimeError PyTorch raises."""


class ValueRangeError(ValueError, RuntimeError):
    """An argument's value outside what the function takes (a negative std, bounds a > b, an
    input outside [0, 1]): Python's ValueError, and the RuntimeError PyTorch raises."""


def restated(exc: Exception, message: str) -> Exception:
    """`exc` as the builtin TypeError or ValueError it is, with `message` (the library's own
    subclasses, e.g. NumPy's casting errors, cannot be built from a message alone)."""
    return TypeError(message) if isinstance(exc, TypeError) else ValueError(message)


def check_tensor(x, fname: str, argname: str = "x"):
    if x.__class__ is not Tensor and not isinstance(x, Tensor):
        raise TypeError(f"{fname}: {argname} must be an arraygrad Tensor, got {type(x).__name__}")
    return x


def cast(x, dtype: DType):
    """`x` as `dtype` (through the op table, so the cast is differentiable)."""
    if x._dtype is dtype:
        return x
    from ._ops.data_type import astype

    return astype(x, dtype)


def coerce_dtype(op: Op, x, argname: str = "x"):
    """Make `x` acceptable to `op`: promote integers for floating ops, or raise TypeError."""
    if op.float_inputs and x._dtype.kind in "biu":
        return cast(x, _dtypes.DEFAULT_FLOAT)
    raise DTypeError(f"{op.name}: {argname} must have a {op.category} dtype, got {x._dtype}")


def scalar_operand(op: Op, x, value, argname: str):
    """(x cast as needed, the scalar) for array `x` combined with Python scalar `value`."""
    t = value.__class__
    if t is bool or t is int or t is float or t is complex:
        want = _dtypes.scalar_dtype(value, x._dtype)
        if want is not x._dtype:
            x = cast(x, want)
        if x._dtype not in op.dtypes:
            x = coerce_dtype(op, x, argname)
        return x
    raise TypeError(f"{op.name}: {argname} must be an arraygrad Tensor or a Python scalar, "
                    f"got {type(value).__name__}")


# ----------------------------------------------------------------------------------------
# The three call shapes: unary, binary, general
# ----------------------------------------------------------------------------------------
def unary(op: Op, x):
    """Apply a one-input op (elementwise functions, mostly)."""
    if op is None:  # compiled, a typed argument lets None through (see _dispatch.pxd)
        raise TypeError("unary: op must be an Op, got None")
    if x.__class__ is not Tensor:
        check_tensor(x, op.name)
    t = x  # a Tensor now (typed as one where this module is compiled)
    if t._dtype not in op.dtypes:
        t = coerce_dtype(op, t)
    b = t._backend
    out = wrap(b.fn[op.impl](t._data), b)
    if t._requires_grad and op.differentiable and grad_enabled():
        record_pair(op, out, t, None)
    return out


def binary(op: Op, x1, x2):
    """Apply a two-input broadcasting op; either input may be a Python scalar."""
    if op is None:  # as in unary
        raise TypeError("binary: op must be an Op, got None")
    c1 = x1.__class__
    c2 = x2.__class__
    if c1 is Tensor:  # t1, t2: the same objects, typed as Tensors where compiled
        t1 = x1
        if c2 is Tensor:
            t2 = x2
            b = t1._backend
            if t2._backend is not b:
                raise_device_mismatch(op.name, t1, t2)
            if t1._dtype is not t2._dtype:
                t1, t2 = _promote_pair(op, t1, t2)
            elif t1._dtype not in op.dtypes:
                if op.refuses_bool and t1._dtype.kind == "b":
                    refuse_bool(op)
                t1 = coerce_dtype(op, t1, "x1")
                t2 = coerce_dtype(op, t2, "x2")
            try:
                res = b.fn[op.impl](t1._data, t2._data)
            except ValueError as exc:  # operands that do not broadcast, mostly
                raise restated_value_error(exc, op.name) from None
            out = wrap(res, b)
            if (t1._requires_grad or t2._requires_grad) and op.differentiable and grad_enabled():
                record_pair(op, out, t1, t2)
            return out
        # A same-kind Python scalar takes the array's dtype: the backend's weak promotion.
        d = t1._dtype
        if ((c2 is float and d.kind in "fc") or (c2 is int and d.kind in "iufc")) and d in op.dtypes:
            b = t1._backend
            try:
                out = wrap(b.fn[op.impl](t1._data, x2), b)
            except ValueError as exc:  # e.g. integers to a negative integer power
                raise restated_value_error(exc, op.name) from None
            if t1._requires_grad and op.differentiable and grad_enabled():
                record_pair(op, out, t1, x2)
            return out
    elif c2 is Tensor:
        t2 = x2
        d = t2._dtype
        if ((c1 is float and d.kind in "fc") or (c1 is int and d.kind in "iufc")) and d in op.dtypes:
            b = t2._backend
            try:
                out = wrap(b.fn[op.impl](x1, t2._data), b)
            except ValueError as exc:
                raise restated_value_error(exc, op.name) from None
            if t2._requires_grad and op.differentiable and grad_enabled():
                record_pair(op, out, x1, t2)
            return out
    return _binary_general(op, x1, x2)


def _binary_general(op: Op, x1, x2):
    """binary() for Tensor subclasses (Parameter) and Python scalar operands."""
    t1 = isinstance(x1, Tensor)
    t2 = isinstance(x2, Tensor)
    if op.refuses_bool and (is_bool_operand(x1) or is_bool_operand(x2)):
        refuse_bool(op)
    if t1 != t2:  # NumPy's scalars count as Python scalars
        x1, x2 = (x1, _dtypes.plain_scalar(x2)) if t1 else (_dtypes.plain_scalar(x1), x2)
    if t1 and t2:
        b = x1._backend
        if x2._backend is not b:
            raise_device_mismatch(op.name, x1, x2)
        if x1._dtype is not x2._dtype:
            x1, x2 = _promote_pair(op, x1, x2)
        elif x1._dtype not in op.dtypes:
            x1 = coerce_dtype(op, x1, "x1")
            x2 = coerce_dtype(op, x2, "x2")
        a1, a2 = x1._data, x2._data
    elif t1:
        x1 = scalar_operand(op, x1, x2, "x2")
        if x2.__class__ is bool and x1._dtype.kind != "b":
            x2 = int(x2)  # the standard allows bool scalars only with bool arrays
        b, a1, a2 = x1._backend, x1._data, x2
    elif t2:
        x2 = scalar_operand(op, x2, x1, "x1")
        if x1.__class__ is bool and x2._dtype.kind != "b":
            x1 = int(x1)
        b, a1, a2 = x2._backend, x1, x2._data
    else:
        raise TypeError(f"{op.name}: at least one of x1, x2 must be an arraygrad Tensor, "
                        f"got {type(x1).__name__} and {type(x2).__name__}")
    try:
        res = b.fn[op.impl](a1, a2)
    except ValueError as exc:
        raise restated_value_error(exc, op.name) from None
    out = wrap(res, b)
    if ((t1 and x1._requires_grad) or (t2 and x2._requires_grad)) and op.differentiable \
            and grad_enabled():
        record(op, (out,), (x1, x2), None)
    return out


def is_bool_operand(x) -> bool:
    """A Python or NumPy bool, or a bool tensor."""
    return x.__class__ is bool or getattr(getattr(x, "dtype", None), "kind", None) == "b"


def _promote_pair(op: Op, x1, x2):
    if op.refuses_bool and (x1._dtype.kind == "b" or x2._dtype.kind == "b"):
        refuse_bool(op)
    d = _dtypes.promote(x1._dtype, x2._dtype)
    if d not in op.dtypes:
        if op.float_inputs and d.kind in "biu":
            d = _dtypes.DEFAULT_FLOAT
        else:
            raise TypeError(f"{op.name}: inputs must have {op.category} dtypes, got {x1._dtype} and {x2._dtype}")
    return cast(x1, d), cast(x2, d)


def apply(op: Op, inputs: tuple, params: dict | None = None, fname: str | None = None):
    """Apply any op: `inputs` are Tensors (or None/scalars where the op allows), all on one
    backend; `params` are non-array keyword arguments passed to the backend and the rules.
    Returns a Tensor, or a tuple of Tensors for nout > 1."""
    if not op.variadic and op.nout == 1:  # the common cases, kept lean
        n = len(inputs)
        if n == 1:
            x = inputs[0]
            b = x._backend
            fn = b.fn[op.impl]
            out = wrap(fn(x._data, **params) if params else fn(x._data), b)
            if x._requires_grad and op.differentiable and grad_enabled():
                record(op, (out,), inputs, params)
            return out
        if n == 2:
            x1, x2 = inputs
            if x1.__class__ is Tensor and x2.__class__ is Tensor and x1._backend is x2._backend:
                b = x1._backend
                fn = b.fn[op.impl]
                try:
                    res = fn(x1._data, x2._data, **params) if params else fn(x1._data, x2._data)
                except ValueError as exc:
                    raise restated_value_error(exc, fname or op.name) from None
                except IndexError as exc:
                    raise IndexRangeError(f"{fname or op.name}: {exc}") from None
                out = wrap(res, b)
                if (x1._requires_grad or x2._requires_grad) and op.differentiable and grad_enabled():
                    record(op, (out,), inputs, params)
                return out
    b = None
    requires = False
    flat = inputs[0] if op.variadic else inputs
    datas = []
    for x in flat:
        if isinstance(x, Tensor):
            if b is None:
                b = x._backend
            elif x._backend is not b:
                raise_device_mismatch(fname or op.name, flat[0] if isinstance(flat[0], Tensor) else x, x)
            datas.append(x._data)
            requires = requires or x._requires_grad
        else:
            datas.append(x)
    if b is None:
        raise TypeError(f"{fname or op.name}: expected at least one arraygrad Tensor input")
    fn = b.fn[op.impl]
    try:
        res = fn(datas, **params) if op.variadic else (fn(*datas, **params) if params else fn(*datas))
    except ValueError as exc:
        raise restated_value_error(exc, fname or op.name) from None
    except IndexError as exc:
        raise IndexRangeError(f"{fname or op.name}: {exc}") from None
    del datas  # its references would make the inputs look shared to `record` (may_be_shared)
    if op.nout == 1:
        outs = (wrap(res, b),)
    else:
        outs = tuple([wrap(r, b) for r in res])
    if requires and op.differentiable and grad_enabled():
        record(op, outs, tuple(flat), params)
    return outs[0] if op.nout == 1 else outs


# ----------------------------------------------------------------------------------------
# Recording
# ----------------------------------------------------------------------------------------
def edge_of(t):
    """Where gradients for tensor `t` go: its node (with output index), itself if a leaf."""
    if t._base is not None:
        fresh_view(t)
    fn = t.grad_fn
    if fn is not None:
        return (fn, 0 if fn.op.nout == 1 else t._meta.out_index)
    return t if t._requires_grad else None


def fresh_view(t) -> None:
    """Give view `t` its base's current history if an in-place write changed the base since
    the view's history was recorded (the view's values changed with it). PyTorch regenerates
    a view's grad_fn the same way, lazily, when the view is used."""
    b = t._base
    vop = b[1]
    if vop is None:  # an alias (detach, .data): not an autograd view
        return
    base = b[0]
    if base._base is not None:
        fresh_view(base)
    fn = t.grad_fn
    if fn is None or fn.op is not vop:
        return  # no view history (or a write into the view made it newer than the base's)
    if not base._requires_grad:  # an in-place write left the base outside the graph
        t.grad_fn = None  # (zero_, fill_, copy_ of a constant): so are the view's values
        t._requires_grad = False
        return
    e = fn.next[0]
    bfn = base.grad_fn
    if (e is base) if bfn is None else (e.__class__ is tuple and e[0] is bfn):
        return  # recorded from the base's current history
    record(vop, (t,), (base,), b[2])


def _pair_node_type(op: Op, x1, x2):
    """The node class of a two-input op named after PyTorch's overload: by which inputs are
    Python scalars (tensor-tensor, scalar-tensor, tensor-scalar), or by the inputs' ranks."""
    by = op.node_types_by_operands
    if by.__class__ is dict:
        return by.get((min(x1._data.ndim, 3), min(x2._data.ndim, 3)), op.node_type)
    return by[2 if x2.__class__ is not Tensor and not isinstance(x2, Tensor) else
              1 if x1.__class__ is not Tensor and not isinstance(x1, Tensor) else 0]


def record_pair(op: Op, out, x1, x2):
    """`record` for unary() and binary(): one output, inputs (x1, x2) where x2 may be absent
    (unary ops) or a Python scalar. Kept apart, with the two inputs unrolled, because every
    recorded elementwise op pays it (a helper call per input costs ~10% of a recorded add)."""
    mask = 0
    e1 = e2 = m1 = m2 = None
    rules = op.rules
    if x1.__class__ is Tensor or isinstance(x1, Tensor):
        t1 = x1  # typed as a Tensor where compiled
        if t1._requires_grad and rules[0] is not None:
            if rules[0] is _MISSING:
                raise NotImplementedError(f"VJP of {op.name} wrt argument {op.inputs[0]!r} not defined")
            if t1._base is not None:
                fresh_view(t1)
            fn = t1.grad_fn
            e1 = t1 if fn is None else (fn, 0 if fn.op.nout == 1 else t1._meta.out_index)
            m1 = (t1._data.shape, t1._dtype)
            mask = 1
    if x2.__class__ is Tensor or isinstance(x2, Tensor):
        t2 = x2
        if t2._requires_grad and rules[1] is not None:
            if rules[1] is _MISSING:
                raise NotImplementedError(f"VJP of {op.name} wrt argument {op.inputs[1]!r} not defined")
            if t2._base is not None:
                fresh_view(t2)
            fn = t2.grad_fn
            e2 = t2 if fn is None else (fn, 0 if fn.op.nout == 1 else t2._meta.out_index)
            m2 = (t2._data.shape, t2._dtype)
            mask |= 2
    if not mask:
        return None
    node = Node.__new__(op.node_type if op.node_types_by_operands is None else _pair_node_type(op, x1, x2))
    if len(rules) == 1:
        node.next = (e1,)
        node.meta = (m1,)
    else:
        node.next = (e1, e2)
        node.meta = (m1, m2)
    node._hooks = None
    node._retained = None
    node._anomaly = None
    plan = op._plans.get(mask)
    if plan is None:
        plan = op.plan(mask)
    node.saved = _save(op, plan, (out,), (x1, x2), node.next, None) if plan else _NOTHING_SAVED
    if cython.compiled and not HOOK_CONTEXTS:
        _untrack_graph(node, node.next, node.meta, node.saved)
    if ANOMALY.enabled:
        ANOMALY.capture(node)
    if out._dtype.kind in "fc":
        out._requires_grad = True
        out.grad_fn = node
    return node


def record(op: Op, outs: tuple, inputs: tuple, params: dict | None):
    """Attach a backward node for `op` to `outs`, saving what the rules of the inputs that
    require grad will read. Returns the node (None when no input needs a gradient)."""
    if op.variadic:
        flat = inputs
        rules = (op.rules[0],) * len(flat)
    else:
        flat = inputs
        rules = op.rules
    n = len(flat)
    edges = [None] * n
    meta = [None] * n
    mask = 0
    for i in range(n):
        x = flat[i]
        if x.__class__ is not Tensor and not isinstance(x, Tensor):
            continue  # a Python scalar, None
        if not x._requires_grad:
            continue
        rule = rules[i]
        if rule is None:
            continue
        if rule is _MISSING:
            argname = op.inputs[0] if op.variadic else op.inputs[i]
            raise NotImplementedError(f"VJP of {op.name} wrt argument {argname!r} not defined")
        if x._base is not None:
            fresh_view(x)
        fn = x.grad_fn
        edges[i] = x if fn is None else (fn, 0 if fn.op.nout == 1 else x._meta.out_index)
        meta[i] = (x._data.shape, x._dtype)
        mask |= 1 << i
    if not mask:
        return None
    node = Node.__new__(op.node_type if op.node_types_by_operands is None or len(flat) != 2
                        else _pair_node_type(op, flat[0], flat[1]))
    node.next = edges
    node.meta = meta
    node._hooks = None
    node._retained = None
    node._anomaly = None
    if op.variadic:
        mask = 1
    plan = op._plans.get(mask)
    if plan is None:
        plan = op.plan(mask)
    if plan:
        node.saved = _save(op, plan, outs, inputs, edges, params)
    else:
        node.saved = _NOTHING_SAVED
    if cython.compiled and not HOOK_CONTEXTS:
        _untrack_graph(node, edges, meta, node.saved)
    if ANOMALY.enabled:
        ANOMALY.capture(node)
    if op.nout == 1:
        o = outs[0]
        if o._dtype.kind in "fc":
            o._requires_grad = True
            o.grad_fn = node
        return node
    for i, o in enumerate(outs):
        if op.diff_outputs[i] and o._dtype.kind in "fc":
            o._requires_grad = True
            o.grad_fn = node
            o._meta = TensorMeta(i)
    return node


class SavedOutputs(tuple):
    """A multi-output op's saved outputs (None for those its rules do not read)."""

    __slots__ = ()


class SavedVars(dict):
    """A node's saved values that include an input or output: freed after backward (unless
    retain_graph). A plain dict (shapes and parameters only) survives, so that such a node
    can run again, as in PyTorch."""

    __slots__ = ()


def _save(op: Op, plan: tuple, outs, inputs, edges, params) -> dict:
    saved = SavedVars() if plan.frees else {}
    for name, kind, ref in plan:
        if kind == _SAVE_INPUT:
            if op.variadic:
                saved[name] = [save_input(x) if isinstance(x, Tensor) else x for x in inputs]
            else:
                v = inputs[ref]
                saved[name] = (SavedTensor(v) if not HOOK_CONTEXTS else save_input(v)) if isinstance(v, Tensor) else v
        elif kind == _SAVE_PARAM:
            saved[name] = params[name]
        elif kind == _SAVE_ANS:
            if op.nout == 1:  # the common case without a call for the hooks (as inputs above)
                saved[name] = SavedOutput(outs[0], 0) if not HOOK_CONTEXTS else save_output(outs[0], 0)
            else:
                saved[name] = SavedOutputs([save_output(outs[i], i) if op.saved_outputs[i] else None
                                            for i in range(len(outs))])
        elif kind == _SAVE_SHAPE:
            if op.variadic:
                saved[name] = [x._data.shape for x in inputs]
            else:
                v = inputs[ref]
                saved[name] = v._data.shape if isinstance(v, Tensor) else ()
        elif kind == _SAVE_DTYPE:
            v = inputs[0] if op.variadic else inputs[ref]
            saved[name] = v._dtype if isinstance(v, Tensor) else None
        else:  # _SAVE_MASK
            saved[name] = tuple([e is not None for e in edges])
    return saved


_NOTHING_SAVED: dict = {}
