"""Custom differentiable functions, PyTorch's `torch.autograd.Function`.

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = xp.exp(x)
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            y, = ctx.saved_tensors
            return g * y

    y = Exp.apply(x)          # y.grad_fn is an ExpBackward node of the ordinary engine

Each Function subclass gets one node class, `<Name>Backward`, whose instances are also the
`ctx` its forward and backward receive (as in PyTorch). Nodes feed the same engine as the
built-in ops: the engine calls one VJP rule per node (`_function_rule`), then undoes
broadcasting and dtype promotion of the returned gradients as for any op. Saved tensors go
through the same `SavedTensor` / `SavedOutput` records as built-in saves (version-checked,
snapshotted when their storage is exported) and are freed after backward unless
`retain_graph`; the node keeps only a weak reference to itself in them, so a graph of custom
functions is freed by reference counting alone.

`backward` may use any arraygrad function: with `create_graph=True` it is recorded too, so
double backward works, unless it is decorated with `once_differentiable`.
"""

from __future__ import annotations

import functools
import sys
import weakref

from .. import _dispatch as D
from .._dispatch import GRAD_ENABLED, Node, Op, Rule

__all__ = ["Function", "FunctionCtx", "once_differentiable", "InplaceFunction", "NestedIOFunction"]

_FREED = ("Trying to backward through the graph a second time (or directly access saved tensors "
          "after they have already been freed). Saved intermediate values of the graph are freed "
          "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
          "backward through the graph a second time or if you need to access saved tensors after "
          "calling backward.")


class FunctionCtx:
    """What `forward` / `setup_context` / `backward` receive as `ctx` (the backward node)."""

    __slots__ = ()

    def save_for_backward(self, *tensors):
        """Save tensors (inputs, outputs, or None) for backward; read them back through
        `ctx.saved_tensors`, which raises if one was modified in place since."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, D.Tensor):
                raise TypeError(f"save_for_backward can only save tensors or None, but argument {i} "
                                f"is of type {type(t).__name__}")
        self._to_save = tensors

    def save_for_forward(self, *tensors):
        """Accepted for PyTorch compatibility (forward-mode AD is computed by double vjp)."""
        self._to_save_forward = tensors

    def mark_dirty(self, *tensors):
        """Declare inputs that forward modified in place (they must be returned as outputs)."""
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        """Declare outputs that carry no gradient (they will not require grad)."""
        self._non_differentiable = tensors

    def set_materialize_grads(self, value: bool):
        """Whether backward gets zeros (True, the default) or None for outputs that received
        no gradient."""
        self._materialize = bool(value)

    @property
    def saved_tensors(self) -> tuple:
        saved = self.saved
        if saved is None:
            raise RuntimeError(_FREED)
        records = saved.get("tensors")
        if records is None:
            return ()
        return tuple(None if r is None else r.unpack(self) for r in records)

    @property
    def needs_input_grad(self) -> tuple:
        return self._needs_input_grad

    @property
    def materialize_grads(self) -> bool:
        return self._materialize


class _FunctionOp(Op):
    """What the engine reads from `node.op`, for one Function class and number of outputs
    (an Op, so that the compiled engine reads its fields directly, but not in the op table)."""

    __slots__ = ("fill_missing",)

    def __init__(self, name, nout):  # not Op's: nothing to parse, nothing to register
        self.name = name
        self.nout = nout
        self.inputs = ("inputs",)
        self.variadic = True
        self.rules = (_RULE,)
        self.fill_missing = False  # backward gets None or zeros, as the ctx says
        self.diff_outputs = (True,) * nout
        self.differentiable = True
        self.raw = False  # one joint rule for all inputs: the engine's general path

    def __repr__(self):
        return f"<custom Function {self.name}>"


class BackwardCFunction(FunctionCtx, Node):
    """Base of the `<Name>Backward` node classes (PyTorch's name)."""

    # a __dict__ for the attributes users put on ctx; `op` is set per node (its nout varies)
    _forward_cls = None

    def apply(self, *grads):
        """Call the Function's backward directly (PyTorch's `grad_fn.apply`)."""
        return self._forward_cls.backward(self, *grads)


def _function_rule(g, ctx):
    """The engine's VJP rule for every custom Function node: call `backward(ctx, *grads)`."""
    node = ctx()
    cls = node._forward_cls
    nout = node.op.nout
    grads = list(g) if nout > 1 else [g]
    meta = node._out_meta
    for i, gi in enumerate(grads):
        if gi is None and meta[i] is not None and node._materialize:
            from .._ops.creation import zeros

            shape, dtype, device = meta[i]
            grads[i] = zeros(shape, dtype=dtype, device=device)
    result = cls.backward(node, *grads)
    if not isinstance(result, tuple):
        result = (result,)
    n_in = len(node.next)
    if len(result) != n_in:
        if len(result) > n_in and all(r is None for r in result[n_in:]):
            result = result[:n_in]  # PyTorch allows trailing Nones
        else:
            raise RuntimeError(f"function {type(node).__name__} returned an incorrect number of "
                               f"gradients (expected {n_in}, got {len(result)})")
    out = []
    for i in range(len(result)):
        r = result[i]  # not enumerate: its cached tuple would hold a reference (_held_elsewhere)
        if r is None:
            out.append(None)
            continue
        if not isinstance(r, D.Tensor):
            raise TypeError(f"function {type(node).__name__} returned a gradient of type "
                            f"{type(r).__name__} at position {i}; expected a Tensor or None")
        if node.meta[i] is None and not node._input_is_tensor[i]:
            raise RuntimeError(f"function {type(node).__name__} returned a gradient different than "
                               f"None at position {i}, but the corresponding forward input was not "
                               "a Tensor")
        if node.meta[i] is not None and not _expandable(node.meta[i][0], r._data.shape):
            raise RuntimeError(f"Function {type(node).__name__} returned an invalid gradient at "
                               f"index {i} - got {list(r._data.shape)} but expected shape "
                               f"compatible with {list(node.meta[i][0])}")
        if not GRAD_ENABLED.get() and _held_elsewhere(result, i, grads):
            # The engine keeps a fresh first gradient as the leaf's .grad and adds later ones
            # into it in place: a tensor the user holds (an input returned as its own
            # gradient, a detached view of one) would be overwritten. PyTorch clones the
            # former and overwrites the latter.
            r = D.wrap(r._backend.xp.asarray(r._data, copy=True), r._backend)
        out.append(r)
    return out


def _held_elsewhere(result, i, grads) -> bool:
    """Whether backward's result `result[i]` may be referenced, or its memory shared, by
    anything but `result` and the caller's variable: not when it is a gradient backward
    received (the engine knows those)."""
    r = result[i]
    for g in grads:
        if r is g:
            return False
    return sys.getrefcount(r) > _FRESH_REFS or r._backend.may_be_shared(r._data)


def _fresh_refs() -> int:
    """The references _held_elsewhere counts for an object that only `result` holds, with the
    caller's variable bound as in _function_rule (measured: interpreters count differently)."""
    def count(result, i):
        r = result[i]
        return sys.getrefcount(r)

    result = (object(),)
    r = result[0]  # the caller's variable
    n = count(result, 0)
    del r
    return n


_FRESH_REFS = _fresh_refs()


def _expandable(shape, to) -> bool:
    """Whether an input of `shape` broadcasts to `to` (its gradient then sums back)."""
    if len(shape) > len(to):
        return False
    return all(s == t or s == 1 for s, t in zip(shape, to[len(to) - len(shape):]))


_RULE = Rule(_function_rule, ("inputs",))
_OPS: dict = {}


def _op_for(cls, nout):
    key = (cls, nout)
    op = _OPS.get(key)
    if op is None:
        op = _OPS[key] = _FunctionOp(cls.__name__, nout)
    return op


def _node_class(cls):
    nc = cls.__dict__.get("_backward_cls")
    if nc is None:
        nc = type(f"{cls.__name__}Backward", (BackwardCFunction,), {"_forward_cls": cls})
        nc.__module__ = cls.__module__
        cls._backward_cls = nc
    return nc


class _FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_cls = None
        if "vjp" in attrs and "backward" not in attrs:  # PyTorch's alias, either name works
            cls.backward = attrs["vjp"]


class Function(metaclass=_FunctionMeta):
    """Base class of custom differentiable operations (PyTorch's `torch.autograd.Function`).

    Subclasses define static methods:
      forward(ctx, *args, **kwargs) -> output(s)     (or forward(*args) with setup_context)
      setup_context(ctx, inputs, output)             (optional)
      backward(ctx, *grad_outputs) -> one gradient (or None) per forward argument
    and are called through `Fn.apply(*args)`.
    """

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is deprecated. "
                           f"Please use new-style autograd function with static forward method: "
                           f"{type(self).__name__}.apply(...)")

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not overridden.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your "
                                  "custom autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("forward-mode AD of custom Functions is not supported; "
                                  "arraygrad.func.jvp computes it with two reverse passes")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward (without recording), then record one `<Name>Backward` node."""
        node_cls = _node_class(cls)
        ctx = Node.__new__(node_cls)
        ctx._to_save = None
        ctx._dirty = ()
        ctx._non_differentiable = ()
        ctx._materialize = True
        ctx.saved = None
        ctx._hooks = None
        ctx._retained = None
        ctx._anomaly = None
        if kwargs:
            args, kwargs = _keywords_bound(cls, args, kwargs)
        is_tensor = tuple(isinstance(a, D.Tensor) for a in args)
        recording = GRAD_ENABLED.get() and any(
            t and a._requires_grad for t, a in zip(is_tensor, args))
        ctx._needs_input_grad = tuple(t and recording and a._requires_grad
                                      for t, a in zip(is_tensor, args))
        custom_setup = cls.setup_context is not Function.setup_context
        token = GRAD_ENABLED.set(False)
        try:
            if custom_setup:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        finally:
            GRAD_ENABLED.reset(token)
        if not recording:
            return output
        return _record(cls, ctx, args, is_tensor, output)


def _keywords_bound(cls, args, kwargs):
    """(args, kwargs) with the keyword arguments that name forward's positional parameters
    moved into args (defaults filled in before them), as PyTorch binds them: a tensor given
    by keyword is then an input of the graph. Keyword-only parameters stay keywords."""
    import inspect

    custom_setup = cls.setup_context is not Function.setup_context
    sig = inspect.signature(cls.forward)
    try:
        bound = sig.bind(*args, **kwargs) if custom_setup else sig.bind(None, *args, **kwargs)
    except TypeError as exc:
        raise TypeError(f"{cls.__name__}.apply: {exc}") from None
    bound.apply_defaults()
    positional = bound.args if custom_setup else bound.args[1:]
    return tuple(positional), dict(bound.kwargs)


def _record(cls, node, args, is_tensor, output):
    """Attach `node` to the outputs of a custom Function call."""
    from .._inplace import check_graph, propagate_to_bases

    single = not isinstance(output, tuple)
    outs = [output] if single else list(output)
    nout = len(outs)
    node.op = _op_for(cls, nout)
    dirty = {id(t) for t in node._dirty}
    nondiff = {id(t) for t in node._non_differentiable}
    input_ids = {id(a) for a, t in zip(args, is_tensor) if t}
    for t in node._dirty:
        if id(t) not in input_ids:
            raise RuntimeError("mark_dirty: only inputs modified in place can be marked dirty")
        if not any(o is t for o in outs):
            raise RuntimeError("Some elements marked as dirty during the forward method were not "
                               "returned as output. The inputs that are modified inplace must all "
                               "be outputs of the Function.")
        check_graph(t)  # no in-place modification of a leaf that requires grad
    # edges and input metadata are taken before dirty inputs take the new history
    edges, meta = [], []
    for a, t in zip(args, is_tensor):
        if t and a._requires_grad:
            edges.append(D.edge_of(a))
            meta.append((a._data.shape, a._dtype))
        else:
            edges.append(None)
            meta.append(None)
    node.next = tuple(edges)
    node.meta = tuple(meta)
    node._input_is_tensor = is_tensor
    # outputs: inputs returned unchanged become aliases (new tensors sharing memory)
    out_meta = []
    for i, o in enumerate(outs):
        if not isinstance(o, D.Tensor):
            out_meta.append(None)
            continue
        if id(o) in input_ids and id(o) not in dirty:
            alias = D.wrap_view(o._data, o._backend, o)
            if id(o) in nondiff:
                nondiff.add(id(alias))
            o = outs[i] = alias
        elif o._base is not None and o._base[1] is not None and id(o) not in dirty:
            o._base = (o._base[0], None, None)  # a view made inside forward: history is ours
        out_meta.append((tuple(o._data.shape), o._dtype, o.device))
    node._out_meta = tuple(out_meta)
    for i, o in enumerate(outs):
        if not isinstance(o, D.Tensor):
            continue
        if id(o) in nondiff or o._dtype.kind not in "fc":
            if id(o) in dirty:
                o.grad_fn = None
                o._requires_grad = False
            continue
        o._requires_grad = True
        o.grad_fn = node
        if nout > 1:
            o._meta = D.TensorMeta(i)
        if id(o) in dirty:
            D.bump_version(o)
            propagate_to_bases(o)
    # saved tensors: outputs as SavedOutput (no reference cycle through the node)
    records = None
    if node._to_save is not None:
        records = []
        for t in node._to_save:
            if t is None:
                records.append(None)
                continue
            idx = next((i for i, o in enumerate(outs) if o is t), None)
            if idx is not None and t.grad_fn is node:
                records.append(D.save_output(t, idx))
            else:
                records.append(D.save_input(t))
        node._to_save = None
    saved = {"ctx": weakref.ref(node), "tensors": records}
    # saved tensors are freed after backward; a node without any can run again
    node.saved = D.SavedVars(saved) if records and any(r is not None for r in records) else saved
    if D.ANOMALY.enabled:
        D.ANOMALY.capture(node)
    return outs[0] if single else tuple(outs)


class InplaceFunction(Function):
    """PyTorch's legacy base for Functions with an `inplace` flag."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace


class NestedIOFunction(Function):
    """Not supported: PyTorch's legacy nested-IO Function (deprecated there)."""

    def __init__(self, *args, **kwargs):
        raise RuntimeError("NestedIOFunction is a deprecated PyTorch API that arraygrad does not "
                           "implement; write a Function with static forward/backward instead")


# ----- once_differentiable ------------------------------------------------------------------
def _delayed_error(g):
    raise RuntimeError("trying to differentiate twice a function that was marked with "
                       "@once_differentiable")


_DELAYED_ERROR = D.Op("delayed_error", ("*grads",), _delayed_error, grad_fn="DelayedError",
                      impl="delayed_error")
del D.OPS["delayed_error"]  # an engine device, not a function of the namespace


def once_differentiable(fn):
    """Decorate a `backward` that cannot be differentiated: it runs without recording, and
    differentiating its results raises RuntimeError."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        token = GRAD_ENABLED.set(False)
        try:
            outputs = fn(ctx, *args)
        finally:
            GRAD_ENABLED.reset(token)
        if not GRAD_ENABLED.get():
            return outputs
        if not any(isinstance(a, D.Tensor) and a._requires_grad for a in args):
            return outputs
        single = not isinstance(outputs, tuple)
        outs = [outputs] if single else list(outputs)
        tensors = [a for a in args if isinstance(a, D.Tensor) and a._requires_grad]
        for i, o in enumerate(outs):
            if isinstance(o, D.Tensor) and o._dtype.kind in "fc":
                o = outs[i] = D.wrap(o._data, o._backend)
                D.record(_DELAYED_ERROR, (o,), tuple(tensors), None)
        return outs[0] if single else tuple(outs)

    return wrapper
