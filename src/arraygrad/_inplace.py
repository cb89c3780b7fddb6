"""In-place operations with PyTorch's autograd semantics.

Outside the graph an in-place op is the backend's own in-place operation plus a version
bump. Inside it, the result is computed out of place (recorded as usual), written into the
tensor's memory, and the tensor takes the result's history. Writing through a view also
rewrites its base's history (PyTorch's CopySlices), so gradients stay right; tensors saved
for backward that get overwritten make backward raise (their version changed).
"""

from __future__ import annotations

import math

from . import _dispatch as D
from ._dispatch import Op, Tensor, bump_version, grad_enabled, record

_INPLACE_DUNDERS = {
    "add": "__iadd__", "subtract": "__isub__", "multiply": "__imul__", "divide": "__itruediv__",
    "floor_divide": "__ifloordiv__", "remainder": "__imod__", "pow": "__ipow__",
    "bitwise_and": "__iand__", "bitwise_or": "__ior__", "bitwise_xor": "__ixor__",
    "bitwise_left_shift": "__ilshift__", "bitwise_right_shift": "__irshift__",
}
_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _autograd_view_base(t):
    """The base `t` is a view of (for autograd), or None."""
    b = t._base
    return None if b is None or b[1] is None else b[0]


def needs_tracking(x, others=()) -> bool:
    """Whether an in-place op on `x` must rewrite autograd history."""
    if not grad_enabled():
        return False
    if x._requires_grad:
        return True
    for o in others:
        if isinstance(o, Tensor) and o._requires_grad:
            return True
    base = _autograd_view_base(x)
    while base is not None:
        if base._requires_grad:
            return True
        base = _autograd_view_base(base)
    return False


class ReadOnlyError(ValueError, RuntimeError):
    """A write into read-only memory: NumPy's ValueError, and the RuntimeError PyTorch raises
    (for writes into an expanded tensor, say)."""


def check_writable(x, fname: str) -> None:
    if not x._backend.is_writeable(x._data):
        raise ReadOnlyError(f"{fname}: this tensor is read-only (a read-only NumPy array, a broadcast "
                         "view, or the copy as_strided or unfold made of its input); clone() it before writing")


def check_graph(x) -> None:
    """PyTorch's rules: no in-place writes to leaves that require grad, or views of them, or
    (grad mode on) to views made under no_grad of tensors in a graph."""
    if x._meta is not None and x._meta.no_grad_view:
        raise RuntimeError(
            "A view was created in no_grad mode and is being modified inplace with grad mode "
            "enabled. Given that this use case is ambiguous and error-prone, it is forbidden. You "
            "can clarify your code by moving both the view and the inplace either both inside the "
            "no_grad block (if you don't want the inplace to be tracked) or both outside (if you "
            "want the inplace to be tracked).")
    if x._requires_grad and x.grad_fn is None and _autograd_view_base(x) is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    base = _autograd_view_base(x)
    while base is not None:
        if base._requires_grad and base.grad_fn is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                               "in-place operation.")
        base = _autograd_view_base(base)


class CastingError(RuntimeError, TypeError):
    """An in-place op whose result's dtype does not fit the tensor written (int += float): the
    RuntimeError PyTorch raises, and the TypeError of a refused cast."""


def commit(x, result, fname: str, history: bool = True):
    """Write `result` (computed out of place, maybe recorded) into `x`; `x` takes its history
    (unless history=False: outside the graph, e.g. under no_grad, x keeps its own, as in PyTorch)."""
    rd, xd = result._dtype, x._dtype
    if rd is not xd and _KIND_RANK[rd.kind] > _KIND_RANK[xd.kind]:
        raise CastingError(f"{fname}: result type {rd} can't be cast to the desired output type {xd} "
                        "of the in-place operation")
    if result._backend is not x._backend:
        D.raise_device_mismatch(fname, x, result)
    src = result._data
    if tuple(src.shape) != tuple(x._data.shape):
        raise ValueError(f"{fname}: the result's shape {tuple(src.shape)} does not match the "
                         f"in-place output's shape {tuple(x._data.shape)}")
    x._data = x._backend.write(x._data, src)
    bump_version(x)
    if not history:
        return x
    old_fn = x.grad_fn
    retains = x._meta is not None and x._meta.retains_grad
    x.grad_fn = result.grad_fn
    x._requires_grad = result._requires_grad
    if result.grad_fn is not None and result.grad_fn.op.nout > 1:
        x._meta = result._meta
    if retains and old_fn is not x.grad_fn:
        _move_retained_grad(x, old_fn)
    propagate_to_bases(x)
    return x


def _move_retained_grad(x, old_fn) -> None:
    """retain_grad() follows the tensor to its new version (PyTorch's): .grad is the gradient
    of the values x holds after the in-place write, not of the ones it overwrote."""
    if old_fn is not None and old_fn._retained:
        for idx, ref in list(old_fn._retained.items()):
            if ref() is x:
                del old_fn._retained[idx]
    if x.grad_fn is not None:
        x.retain_grad()


def inplace_binary(op: Op, x, other):
    """x op= other (the operators' in-place forms and PyTorch's `add_`-style methods)."""
    if op.refuses_bool and (x._dtype.kind == "b" or (
            other._dtype.kind == "b" if other.__class__ is Tensor else D.is_bool_operand(other))):
        D.refuse_bool(op)
    if not grad_enabled() or not needs_tracking(x, (other,)):  # no_grad: one C call decides
        b = x._backend
        if other.__class__ is Tensor or isinstance(other, Tensor):
            if other._backend is not b:
                D.raise_device_mismatch(op.name, x, other)
            other_data = other._data
        else:
            other_data = other
        # A backend override fixes the library's function, and so its in-place dunder too.
        dunder = _INPLACE_DUNDERS.get(op.impl) if b.mutable_arrays and op.impl not in b.overrides else None
        if dunder is None:
            check_writable(x, op.name)
            return commit(x, D.binary(op, x, other), op.name, history=False)
        data = x._data
        try:
            res = getattr(data, dunder)(other_data)
        except (TypeError, ValueError) as exc:
            check_writable(x, op.name)  # read-only memory: say so, and how to get around it
            if isinstance(exc, TypeError):  # NumPy's same_kind refusal (uint8 += int8): PyTorch
                # casts within a category; commit() refuses only what PyTorch refuses
                return commit(x, D.binary(op, x, other), op.name, history=False)
            raise D.ShapeError(f"{op.name} (in place): {exc}") from exc  # other does not broadcast to x
        if res is NotImplemented:
            raise TypeError(f"{op.name} (in place): unsupported operand {type(other).__name__}")
        if res is not data:
            x._data = b.write(data, res)
        bump_version(x)
        return x
    check_writable(x, op.name)
    check_graph(x)
    from ._dispatch import binary

    mask = (1 if x._requires_grad else 0) | (2 if isinstance(other, Tensor) and other._requires_grad else 0)
    reads_x = any(kind == D._SAVE_INPUT and ref == 0 for _, kind, ref in op.plan(mask)) if mask else False
    return commit(x, binary(op, original(x) if reads_x else x, other), op.name)


def original(x):
    """x's current values in new memory, with x's history: what an in-place op's derivative
    reads as its input once x is overwritten (PyTorch saves `self` cloned for these ops)."""
    if x._base is not None:
        D.fresh_view(x)
    c = D.wrap(x._backend.xp.asarray(x._data, copy=True), x._backend)
    c._requires_grad = x._requires_grad
    c.grad_fn = x.grad_fn
    c._meta = x._meta
    return c


def inplace_apply(x, result_fn, fname: str, others=(), overwrites: str | None = None):
    """x <- result_fn(x) in place, for any out-of-place function (exp_, clamp_, copy_, ...).
    overwrites: result_fn ignores x's values (zero_, fill_, copy_), and this is PyTorch's
    name of the node: x's history still leads back from the result, with a zero gradient
    (x keeps requiring grad, and what x was computed from gets zeros, not no gradient)."""
    check_writable(x, fname)
    if needs_tracking(x, others):
        check_graph(x)
        # result_fn may save its input for backward: give it the values, not the memory
        before = original(x)
        r = result_fn(before)
        if overwrites is not None and x._requires_grad:
            from ._autograd.engine import _DEPENDS

            r = D.apply(_DEPENDS, (r, before))
            D.named_node(r, D.node_type_named(_DEPENDS, overwrites))
        return commit(x, r, fname)
    with_grad_off = D.GRAD_ENABLED.set(False)
    try:
        r = result_fn(x)
    finally:
        D.GRAD_ENABLED.reset(with_grad_off)
    return commit(x, r, fname, history=False)


class SetitemError(RuntimeError, ValueError, TypeError):
    """`x[key] = value` with values that do not fit the indexed region: a RuntimeError as
    PyTorch's, and the ValueError (TypeError, for NumPy's boolean-mask assignment) that the
    backend libraries raise."""


def setitem(x, key, value):
    """x[key] = value, differentiable with respect to both x (elsewhere) and value."""
    from ._ops.indexing import INDEX_PUT, getitem, native_key, setitem_functional, torch_split

    check_writable(x, "__setitem__")
    k, basic = native_key(x, key, "__setitem__")
    if not basic and key.__class__ is tuple and (split := torch_split(key)) is not None:
        # PyTorch's reading of ints apart from index tensors (see torch_split): write the
        # advanced part into the basic part, then that back (a view on mutable backends)
        part = getitem(x, split[0])
        if x._backend.mutable_arrays and part._base is not None:
            return setitem(part, split[1], value)
        return setitem(x, split[0], setitem_functional(part, split[1], value))
    if isinstance(value, Tensor):
        if value._backend is not x._backend:
            D.raise_device_mismatch("__setitem__", x, value)
        vdata = value._data
        if value._dtype.kind == "c" and x._dtype.kind != "c":
            raise TypeError(f"__setitem__: cannot assign complex values ({value._dtype}) into a "
                            f"{x._dtype} tensor")
        if value._dtype is not x._dtype:  # the values take x's dtype (PyTorch), on any backend
            value = D.cast(value, x._dtype)
            vdata = value._data
    elif isinstance(value, (bool, int, float, complex)):
        # the standard allows bool scalars only into bool arrays: pass True as 1 elsewhere
        vdata = int(value) if value.__class__ is bool and x._dtype.kind != "b" else value
        if isinstance(value, complex) and x._dtype.kind != "c":
            raise TypeError(f"__setitem__: cannot cast a complex value to the tensor's dtype {x._dtype}")
        if isinstance(value, float) and x._dtype.kind in "biu":
            # PyTorch converts: truncation toward zero into integers, nonzero -> True into bool
            if x._dtype.kind == "b":
                vdata = bool(value)
            elif value != value or value in (math.inf, -math.inf):
                raise RuntimeError(f"value cannot be converted to type {x._dtype} without overflow")
            else:
                vdata = int(value)
    else:
        from ._ops.creation import asarray

        value = asarray(value, dtype=x._dtype, device=x.device)
        vdata = value._data
    tracking = needs_tracking(x, (value,))
    if tracking:
        check_graph(x)
    try:
        x._data = x._backend.setitem(x._data, k, vdata)
    except IndexError as exc:  # an index out of range: PyTorch's scatter raises RuntimeError
        raise D.IndexRangeError(str(exc)) from None
    except (TypeError, ValueError) as exc:
        msg = f"__setitem__ with key {key!r} on a tensor of shape {tuple(x._data.shape)}: {exc}"
        if type(exc) is ValueError or "assignment requires" in str(exc):
            raise SetitemError(msg) from exc  # values that do not fit: PyTorch's RuntimeError
        raise D.restated(exc, msg) from exc
    bump_version(x)
    if tracking:
        had_history = x._requires_grad
        node = record(INDEX_PUT, (x,), (x, value), {"key": k})
        if node is None and had_history:  # constant written over history: x no longer depends
            x.grad_fn = None
            x._requires_grad = False
        propagate_to_bases(x)


# ----- writes through views reach their bases ---------------------------------------------
def _view_function(op: Op):
    from . import _torch_api, linalg as _linalg
    from ._ops import indexing, manipulation

    return {
        "getitem_basic": lambda t, key: indexing.getitem(t, key),
        "reshape": lambda t, shape, copy=None: manipulation.reshape(t, shape),
        "permute_dims": lambda t, axes: manipulation.permute_dims(t, axes),
        "expand_dims": lambda t, axis: manipulation.expand_dims(t, axis),
        "squeeze": lambda t, axis: manipulation.squeeze(t, axis),
        "flip": lambda t, axis: manipulation.flip(t, axis=axis),
        "broadcast_to": lambda t, shape: manipulation.broadcast_to(t, shape),
        "matrix_transpose": lambda t: t.mT,
        "view_as_real": lambda t: _torch_api.view_as_real(t),
        "view_as_complex": lambda t: _torch_api.view_as_complex(t),
        "linalg.diagonal": lambda t, offset: _linalg.diagonal(t, offset=offset),
    }[op.name]


def _base_grad(g, view_op, view_params):
    """The base's gradient with the region written through the view zeroed."""
    if view_op.name == "getitem_basic":
        from ._ops.indexing import setitem_functional

        return setitem_functional(g, view_params["key"], 0)
    if view_op.name == "linalg.diagonal":  # everything but the diagonal keeps its gradient
        from ._ops.creation import eye

        m, n = g.shape[-2:]
        return g * (1 - eye(m, n, k=view_params["offset"], dtype=g.dtype, device=g.device))
    return g * 0  # the other views cover the whole base


_COPY_SLICES = Op("copy_slices", ("base", "view"), {
    "base": _base_grad,
    "view": lambda g, view_op, view_params: _view_function(view_op)(g, **view_params)},
    grad_fn="CopySlices", impl="copy_slices")


def propagate_to_bases(v):
    """After an in-place write to view `v`, give each base the history of that write."""
    while True:
        base = _autograd_view_base(v)
        if base is None:
            return
        _, vop, params = v._base
        if not (base._requires_grad or v._requires_grad) or not grad_enabled():
            return
        had_history = base._requires_grad
        old_fn = base.grad_fn
        node = record(_COPY_SLICES, (base,), (base, v), {"view_op": vop, "view_params": params})
        if node is None and had_history:
            base.grad_fn = None
            base._requires_grad = False
        if base._meta is not None and base._meta.retains_grad and old_fn is not base.grad_fn:
            _move_retained_grad(base, old_fn)
        if base._requires_grad:  # v is now a view of the base's new value
            record(vop, (v,), (base,), params)
        v = base
