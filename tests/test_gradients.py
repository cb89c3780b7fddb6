"""Every differentiable function of the standard has a correct gradient.

One `Spec` per function (an OpInfo entry): how to call it (`call(ns, *arrays, **kw)`, the
same code for arraygrad and for PyTorch through array_api_compat.torch) and which inputs to
draw (`gen(draw, dtype) -> (arrays, kwargs, differentiable positions)`). From the table:

- `test_gradcheck`: gradcheck in float64 on hypothesis-drawn inputs (0-d, empty,
  broadcasting, axis / keepdims variants), then PyTorch 2.13 (CPU) as the oracle for the
  value and for a vector-Jacobian product with a random cotangent;
- `test_gradcheck_complex`: the same on complex128 inputs, for functions defined there
  (PyTorch's conjugate-Wirtinger convention);
- `test_gradgradcheck`: second derivatives on a representative subset;
- `test_not_differentiable`: outputs of the other functions never require grad;
- `test_every_function_classified` (with tests/test_autograd_docs.py): a differentiable
  function of the standard without a spec here fails.

Inputs avoid the points where a function is not differentiable (kinks, ties, branch cuts,
poles) so that finite differences are meaningful; ties and kinks have their own tests
against PyTorch's conventions in test_autograd_rules.py.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import arraygrad as xp
from arraygrad.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
tp = pytest.importorskip("array_api_compat.torch")

# ----------------------------------------------------------------------------------------
# Input strategies
# ----------------------------------------------------------------------------------------
SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)
NONEMPTY = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)


def _real(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def _away(lo, hi):
    """|x| in [lo, hi], either sign (away from a kink or pole at 0)."""
    return st.tuples(_real(lo, hi), st.sampled_from((-1.0, 1.0))).map(lambda t: t[0] * t[1])


def _grid(lo, hi, step=0.25):
    """Values on a grid (unique=True then keeps them `step` apart: no ties)."""
    return st.integers(int(round(lo / step)), int(round(hi / step))).map(lambda i: i * step + 0.0)


def _complex(lo=0.2, hi=2.0):
    """Complex values off both axes: away from every branch cut of the standard's functions."""
    return st.builds(complex, _away(lo, hi), _away(lo, hi))


def _elements(kind, dtype):
    """kind: ("real", lo, hi) | ("away", lo, hi) | ("grid", lo, hi) | ("complex", lo, hi)."""
    name, lo, hi = kind
    if np.dtype(dtype).kind == "c":
        return _complex(*((lo, hi) if name == "complex" else (0.2, 2.0)))
    return {"real": _real, "away": _away, "grid": _grid, "complex": _real}[name](lo, hi)


def _array(draw, dtype, shape, kind=("real", -2.0, 2.0), unique=False):
    return draw(hnp.arrays(dtype, shape, elements=_elements(kind, dtype), unique=unique))


def _axis_kw(draw, ndim, *, allow_none=True, allow_tuple=True, keepdims=True):
    kw = {}
    choices = []
    if allow_none:
        choices.append(None)
    if ndim:
        choices += list(range(-ndim, ndim))
        if allow_tuple and ndim > 1:
            choices.append(tuple(sorted(draw(st.sets(st.integers(0, ndim - 1), min_size=1)))))
    if not choices:
        return None
    kw["axis"] = draw(st.sampled_from(choices))
    if keepdims:
        kw["keepdims"] = draw(st.booleans())
    return kw


def unary(kind=("real", -2.0, 2.0), shapes=SHAPES, unique=False):
    def gen(draw, dtype):
        return (_array(draw, dtype, draw(shapes), kind, unique),), {}, (0,)
    return gen


def binary(kind1=("real", -2.0, 2.0), kind2=None, diff=(0, 1), unique=False):
    """Two broadcasting arrays (or one array and a Python scalar, either side)."""
    kind2 = kind2 or kind1

    def gen(draw, dtype):
        shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3)).input_shapes
        a = _array(draw, dtype, shapes[0], kind1, unique)
        b = _array(draw, dtype, shapes[1], kind2, unique)
        if unique and a.size and b.size:  # no ties between the two either
            b = b + 0.125
        form = draw(st.sampled_from(("arrays", "arrays", "scalar2", "scalar1")))
        if form == "scalar2" and b.size:
            return (a,), {"scalar": b.reshape(-1)[0].item(), "side": 2}, tuple(d for d in diff if d == 0)
        if form == "scalar1" and a.size:
            return (b,), {"scalar": a.reshape(-1)[0].item(), "side": 1}, tuple(0 for d in diff if d == 1)
        return (a, b), {}, diff
    return gen


def _bin_call(fname):
    """call for a binary function: two arrays, or an array and a Python scalar."""
    def call(ns, *arrays, scalar=None, side=None):
        f = getattr(ns, fname)
        if scalar is None:
            return f(*arrays)
        return f(arrays[0], scalar) if side == 2 else f(scalar, arrays[0])
    return call


def _op_call(op):
    """call for an operator: `a op b`, or with a Python scalar on either side."""
    def call(ns, *arrays, scalar=None, side=None):
        if scalar is None:
            return op(*arrays)
        return op(arrays[0], scalar) if side == 2 else op(scalar, arrays[0])
    return call


def reduction(kind=("real", -2.0, 2.0), unique=False, shapes=SHAPES, extra=None):
    def gen(draw, dtype):
        shape = draw(shapes)
        x = _array(draw, dtype, shape, kind, unique)
        kw = _axis_kw(draw, len(shape)) or {}
        if extra:
            kw.update(extra(draw, x, kw))
        return (x,), kw, (0,)
    return gen


# ----------------------------------------------------------------------------------------
# The table
# ----------------------------------------------------------------------------------------
@dataclass
class Spec:
    name: str                          # the standard's name ("sum", "linalg.inv", "__getitem__")
    gen: Callable                      # gen(draw, dtype) -> (arrays, kwargs, differentiable positions)
    call: Callable | None = None       # call(ns, *arrays, **kwargs); default: ns.<name>(...)
    complex: bool = False              # also checked on complex128 inputs
    gradgrad: bool = False             # in the gradgradcheck subset
    torch: Callable | None = None      # the oracle's call when it differs from `call`
    cgen: Callable | None = None       # complex inputs, when they need their own domain
    label: str = ""                    # distinguishes several specs of one function
    atol: float = 1e-5
    rtol: float = 1e-3
    eps: float = 1e-6                  # finite-difference step (larger for float32 inputs)
    functions: tuple = field(default=())  # standard names this spec covers besides `name`

    def __post_init__(self):
        if self.call is None:
            path = self.name.split(".")

            def call(ns, *arrays, **kw):
                f = ns
                for p in path:
                    f = getattr(f, p)
                return f(*arrays, **kw)
            self.call = call

    @property
    def id(self):
        return self.name + (f"[{self.label}]" if self.label else "")


SPECS: list[Spec] = []


def spec(*args, **kwargs) -> Spec:
    s = Spec(*args, **kwargs)
    SPECS.append(s)
    return s


# ----- elementwise, one input -------------------------------------------------------------
for _name, _kind, _cplx in [
    ("abs", ("away", 0.1, 2.0), True),
    ("acos", ("real", -0.9, 0.9), True),
    ("acosh", ("real", 1.1, 3.0), True),
    ("asin", ("real", -0.9, 0.9), True),
    ("asinh", ("real", -2.0, 2.0), True),
    ("atan", ("real", -2.0, 2.0), True),
    ("atanh", ("real", -0.9, 0.9), True),
    ("conj", ("real", -2.0, 2.0), True),
    ("cos", ("real", -3.0, 3.0), True),
    ("cosh", ("real", -2.0, 2.0), True),
    ("exp", ("real", -2.0, 2.0), True),
    ("expm1", ("real", -2.0, 2.0), True),
    ("imag", ("real", -2.0, 2.0), True),
    ("log", ("real", 0.1, 3.0), True),
    ("log1p", ("real", -0.9, 3.0), True),
    ("log2", ("real", 0.1, 3.0), True),
    ("log10", ("real", 0.1, 3.0), True),
    ("negative", ("real", -2.0, 2.0), True),
    ("positive", ("real", -2.0, 2.0), True),
    ("real", ("real", -2.0, 2.0), True),
    ("reciprocal", ("away", 0.2, 3.0), True),
    ("sin", ("real", -3.0, 3.0), True),
    ("sinh", ("real", -2.0, 2.0), True),
    ("sqrt", ("real", 0.1, 3.0), True),
    ("square", ("real", -2.0, 2.0), True),
    ("tan", ("real", -1.3, 1.3), True),
    ("tanh", ("real", -2.0, 2.0), True),
]:
    spec(_name, unary(_kind), complex=_cplx,
         torch=(lambda ns, x: torch.imag(x) if x.is_complex() else x * 0) if _name == "imag" else None,
         gradgrad=_name in ("abs", "acos", "atanh", "exp", "log", "reciprocal", "sqrt", "tan", "tanh",
                            "square", "asinh", "log1p"))

# sign is differentiable only for complex inputs (z / |z|); real inputs: not differentiable.
spec("sign", lambda draw, dtype: ((_array(draw, np.complex128, draw(SHAPES), ("complex", 0.2, 2.0)),), {}, (0,)),
     complex=True, gradgrad=True, label="complex")

# ----- elementwise, two inputs ------------------------------------------------------------
for _name, _k1, _k2, _cplx, _diff in [
    ("add", ("real", -2.0, 2.0), None, True, (0, 1)),
    ("subtract", ("real", -2.0, 2.0), None, True, (0, 1)),
    ("multiply", ("real", -2.0, 2.0), None, True, (0, 1)),
    ("divide", ("real", -2.0, 2.0), ("away", 0.3, 2.0), True, (0, 1)),
    ("atan2", ("away", 0.2, 2.0), ("away", 0.3, 2.0), False, (0, 1)),  # x1 = 0, x2 < 0: the cut
    ("hypot", ("away", 0.2, 2.0), ("away", 0.2, 2.0), False, (0, 1)),
    ("logaddexp", ("real", -2.0, 2.0), None, False, (0, 1)),
    ("copysign", ("away", 0.2, 2.0), ("away", 0.2, 2.0), False, (0,)),
    ("pow", ("real", 0.2, 2.0), ("real", -2.0, 2.0), True, (0, 1)),
]:
    spec(_name, binary(_k1, _k2, _diff), _bin_call(_name), complex=_cplx,
         gradgrad=_name in ("multiply", "divide", "pow", "atan2", "hypot", "logaddexp"))

spec("maximum", binary(("grid", -2.0, 2.0), unique=True), _bin_call("maximum"), gradgrad=True)
spec("minimum", binary(("grid", -2.0, 2.0), unique=True), _bin_call("minimum"))


def _remainder_gen(draw, dtype):
    # x1 / x2 away from integers: remainder is discontinuous there
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3)).input_shapes
    b = _array(draw, dtype, shapes[1], ("away", 0.5, 2.0))
    q = _array(draw, dtype, np.broadcast_shapes(*shapes), ("real", -3.0, 3.0))
    q = np.floor(q) + 0.1 + 0.8 * (q - np.floor(q))  # fractional part in [0.1, 0.9]
    return (q * b, b), {}, (0, 1)


spec("remainder", _remainder_gen, gradgrad=True)

# pow with a negative base and an integer exponent (real result)
spec("pow", lambda draw, dtype: ((_array(draw, dtype, draw(SHAPES), ("away", 0.3, 2.0)),),
                                 {"scalar": draw(st.sampled_from([2, 3, -1, -2, 0, 1])), "side": 2}, (0,)),
     _bin_call("pow"), label="int exponent")
# Python-scalar base: d/dy c**y
spec("pow", lambda draw, dtype: ((_array(draw, dtype, draw(SHAPES), ("real", -2.0, 2.0)),),
                                 {"scalar": draw(st.sampled_from([0.5, 2.0, 3.0])), "side": 1}, (0,)),
     _bin_call("pow"), label="scalar base")

for _name, _fn, _k2 in [
    ("__add__", lambda a, b: a + b, None), ("__sub__", lambda a, b: a - b, None),
    ("__mul__", lambda a, b: a * b, None), ("__truediv__", lambda a, b: a / b, ("away", 0.3, 2.0)),
    ("__pow__", lambda a, b: a ** b, ("real", -2.0, 2.0)),
]:
    spec(_name, binary(("real", 0.2, 2.0) if _name == "__pow__" else ("real", -2.0, 2.0), _k2),
         _op_call(_fn), complex=True)
spec("__neg__", unary(), lambda ns, x: -x, complex=True)
spec("__pos__", unary(), lambda ns, x: +x, complex=True)
spec("__abs__", unary(("away", 0.1, 2.0)), lambda ns, x: abs(x), complex=True)
spec("__matmul__", lambda draw, dtype: _matmul_gen(draw, dtype), lambda ns, a, b: a @ b, complex=True)
spec("__mod__", _remainder_gen, lambda ns, a, b: a % b)


def _clip_gen(draw, dtype):
    shape = draw(SHAPES)
    x = _array(draw, dtype, shape, ("grid", -2.0, 2.0))
    x = x + 0.0625  # bounds sit on the grid: x never equals a bound
    form = draw(st.sampled_from(("scalars", "arrays", "min only", "max only")))
    if form == "scalars":
        return (x,), {"min": -1.0, "max": 1.0}, (0,)
    if form == "min only":
        return (x,), {"min": draw(st.sampled_from([-1.0, 0.5]))}, (0,)
    if form == "max only":
        return (x,), {"max": draw(st.sampled_from([-0.5, 1.0]))}, (0,)
    lo = _array(draw, dtype, shape, ("grid", -2.0, 0.0))
    hi = lo + _array(draw, dtype, shape, ("grid", 0.25, 2.0))
    return (x, lo, hi), {}, (0, 1, 2)


def _clip_call(ns, x, lo=None, hi=None, **kw):
    if lo is not None:
        return ns.clip(x, lo, hi)
    return ns.clip(x, **kw)


def _clip_torch(ns, x, lo=None, hi=None, **kw):
    if lo is not None:
        return torch.clamp(x, lo, hi)
    return torch.clamp(x, kw.get("min"), kw.get("max"))


spec("clip", _clip_gen, _clip_call, torch=_clip_torch, gradgrad=True)

# ----- reductions and statistics ----------------------------------------------------------
spec("sum", reduction(), complex=True, gradgrad=True)
spec("sum", lambda draw, dtype: ((_array(draw, np.float32, draw(SHAPES)),), {"dtype": "float64"}, (0,)),
     lambda ns, x, dtype: ns.sum(x, dtype=getattr(ns, dtype)), label="dtype=float64 from float32",
     eps=1e-3, atol=1e-3)
spec("mean", reduction(), complex=True)
spec("prod", reduction(("real", -2.0, 2.0)), complex=True, gradgrad=True)


def _with_zeros(draw, dtype, shape):
    x = _array(draw, dtype, shape, ("away", 0.2, 2.0))
    if x.size:
        mask = draw(hnp.arrays(np.bool_, shape))
        x = np.where(mask, 0.0, x).astype(dtype)
    return x


spec("prod", lambda draw, dtype: (lambda s: ((_with_zeros(draw, dtype, s),), _axis_kw(draw, len(s)) or {}, (0,)))(
    draw(SHAPES)), label="with zeros", gradgrad=True)


def _correction(draw, x, kw):
    return {"correction": draw(st.sampled_from([0, 1, 0.5]))}


def _var_gen(draw, dtype, shapes=NONEMPTY):
    shape = draw(shapes)
    x = _array(draw, dtype, shape)
    kw = _axis_kw(draw, len(shape)) or {}
    n = x.size if kw.get("axis") is None else math.prod(
        shape[a] for a in (kw["axis"] if isinstance(kw["axis"], tuple) else (kw["axis"],)))
    kw["correction"] = draw(st.sampled_from([c for c in (0, 1, 0.5) if c < n and (c == 0 or n > 1)]))
    return (x,), kw, (0,)


spec("var", _var_gen, complex=True, gradgrad=True)
spec("std", lambda draw, dtype: _std_gen(draw, dtype), complex=True, gradgrad=True,
     torch=lambda ns, x, correction, **kw: (ns.std(x, correction=correction, **kw) if correction == int(correction)
                                            else ns.sqrt(ns.var(x, correction=correction, **kw))))


def _std_gen(draw, dtype):
    # std is not differentiable where the spread is 0: distinct values, two or more of them
    # (test_autograd_rules checks PyTorch's 0 at a single element)
    (x,), kw, d = _var_gen(draw, dtype, hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=3))
    x = x + np.arange(x.size).reshape(x.shape) * 0.5
    return (x,), kw, d


def _extremum_gen(draw, dtype):
    shape = draw(NONEMPTY)
    x = _array(draw, dtype, shape, ("grid", -4.0, 4.0), unique=True)
    return (x,), _axis_kw(draw, len(shape)) or {}, (0,)


spec("max", _extremum_gen, gradgrad=True)
spec("min", _extremum_gen)


def _scan_gen(kind=("real", -2.0, 2.0), zeros=False):
    def gen(draw, dtype):
        shape = draw(NONEMPTY)
        x = _with_zeros(draw, dtype, shape) if zeros else _array(draw, dtype, shape, kind)
        kw = {"include_initial": draw(st.booleans())}
        if len(shape) > 1 or draw(st.booleans()):
            kw["axis"] = draw(st.integers(-len(shape), len(shape) - 1))
        return (x,), kw, (0,)
    return gen


spec("cumulative_sum", _scan_gen(), complex=True, gradgrad=True)
# away from 0: the zero-free rule divides by x (zeros have their own spec)
spec("cumulative_prod", _scan_gen(("away", 0.2, 2.0)), complex=True, gradgrad=True)
spec("cumulative_prod", _scan_gen(zeros=True), label="with zeros", gradgrad=True)


def _diff_gen(draw, dtype):
    shape = draw(NONEMPTY)
    x = _array(draw, dtype, shape)
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    kw = {"axis": axis, "n": draw(st.integers(0, 3))}
    arrays, diff = [x], [0]
    pshape = list(shape)
    pshape[axis] = draw(st.integers(0, 2))
    if draw(st.booleans()):
        arrays.append(_array(draw, dtype, tuple(pshape)))
        kw["_prepend"] = True
        diff.append(len(arrays) - 1)
    if draw(st.booleans()):
        arrays.append(_array(draw, dtype, tuple(pshape)))
        kw["_append"] = True
        diff.append(len(arrays) - 1)
    return tuple(arrays), kw, tuple(diff)


def _diff_call(ns, x, *rest, axis, n, _prepend=False, _append=False):
    rest = list(rest)
    kw = {}
    if _prepend:
        kw["prepend"] = rest.pop(0)
    if _append:
        kw["append"] = rest.pop(0)
    return ns.diff(x, axis=axis, n=n, **kw)


spec("diff", _diff_gen, _diff_call, complex=True, gradgrad=True)

# ----- manipulation -----------------------------------------------------------------------
def _reshape_gen(draw, dtype):
    shape = draw(SHAPES)
    x = _array(draw, dtype, shape)
    n = x.size
    divisors = [d for d in range(1, n + 1) if n % d == 0] or [1]
    d = draw(st.sampled_from(divisors))
    new = draw(st.sampled_from([(n,), (d, n // d), (-1,), (n // d, -1)] if n else [(0,), (0, 2), (2, 0, 1)]))
    return (x,), {"shape": new}, (0,)


spec("reshape", _reshape_gen, complex=True, gradgrad=True)


def _perm_gen(draw, dtype):
    shape = draw(SHAPES)
    axes = tuple(draw(st.permutations(range(len(shape)))))
    return (_array(draw, dtype, shape),), {"axes": axes}, (0,)


spec("permute_dims", _perm_gen, complex=True)
spec("flip", lambda draw, dtype: (lambda s: ((_array(draw, dtype, s),),
                                              _axis_kw(draw, len(s), keepdims=False) or {}, (0,)))(draw(SHAPES)),
     complex=True)


def _roll_gen(draw, dtype):
    shape = draw(SHAPES)
    x = _array(draw, dtype, shape)
    if not shape or draw(st.booleans()):
        return (x,), {"shift": draw(st.integers(-4, 4))}, (0,)
    axes = tuple(draw(st.lists(st.integers(-len(shape), len(shape) - 1), min_size=1, max_size=2)))
    shift = tuple(draw(st.integers(-4, 4)) for _ in axes)
    if len(axes) == 1 and draw(st.booleans()):
        return (x,), {"shift": shift[0], "axis": axes[0]}, (0,)
    return (x,), {"shift": shift, "axis": axes}, (0,)


spec("roll", _roll_gen, complex=True)


def _many_gen(same_shape):
    def gen(draw, dtype):
        k = draw(st.integers(1, 3))
        shape = draw(NONEMPTY if not same_shape else SHAPES)
        axis = draw(st.integers(-len(shape) - (1 if same_shape else 0), len(shape) - 1 + (1 if same_shape else 0)))
        arrays = []
        for _ in range(k):
            s = list(shape)
            if not same_shape:
                s[axis] = draw(st.integers(0, 3))
            arrays.append(_array(draw, dtype, tuple(s)))
        return tuple(arrays), {"axis": axis}, tuple(range(k))
    return gen


spec("concat", _many_gen(False), lambda ns, *a, axis: ns.concat(list(a), axis=axis), complex=True, gradgrad=True)
spec("concat", lambda draw, dtype: (tuple(_array(draw, dtype, draw(SHAPES)) for _ in range(draw(st.integers(1, 3)))),
                                    {}, None),
     lambda ns, *a: ns.concat(list(a), axis=None), label="axis=None",
     torch=lambda ns, *a: torch.cat([t.reshape(-1) for t in a]))
spec("stack", _many_gen(True), lambda ns, *a, axis: ns.stack(list(a), axis=axis), complex=True)


def _unstack_gen(draw, dtype):
    shape = draw(NONEMPTY)
    return (_array(draw, dtype, shape),), {"axis": draw(st.integers(-len(shape), len(shape) - 1))}, (0,)


spec("unstack", _unstack_gen, complex=True)


def _expand_gen(draw, dtype):
    shape = draw(SHAPES)
    nd = len(shape) + 1
    if draw(st.booleans()):
        axis = draw(st.integers(-nd, nd - 1))
    else:
        k = draw(st.integers(1, 2))
        nd = len(shape) + k
        axis = tuple(draw(st.lists(st.integers(0, nd - 1), min_size=k, max_size=k, unique=True)))
    return (_array(draw, dtype, shape),), {"axis": axis}, (0,)


def _expand_torch(ns, x, axis):
    axes = axis if isinstance(axis, tuple) else (axis,)
    nd = x.ndim + len(axes)
    for a in sorted(a % nd for a in axes):
        x = x.unsqueeze(a)
    return x


spec("expand_dims", _expand_gen, complex=True, torch=_expand_torch)


def _squeeze_gen(draw, dtype):
    shape = list(draw(SHAPES))
    k = draw(st.integers(1, 2))
    for _ in range(k):
        shape.insert(draw(st.integers(0, len(shape))), 1)
    ones = [i for i, s in enumerate(shape) if s == 1]
    axes = tuple(sorted(draw(st.sets(st.sampled_from(ones), min_size=1))))
    return (_array(draw, dtype, tuple(shape)),), {"axis": axes if len(axes) > 1 else axes[0]}, (0,)


spec("squeeze", _squeeze_gen, complex=True)


def _moveaxis_gen(draw, dtype):
    shape = draw(NONEMPTY)
    nd = len(shape)
    k = draw(st.integers(1, nd))
    src = tuple(draw(st.permutations(range(nd)))[:k])
    dst = tuple(draw(st.permutations(range(nd)))[:k])
    if k == 1 and draw(st.booleans()):
        src, dst = src[0], dst[0] - nd
    return (_array(draw, dtype, shape),), {"src": src, "dst": dst}, (0,)


spec("moveaxis", _moveaxis_gen, lambda ns, x, src, dst: ns.moveaxis(x, src, dst), complex=True)


def _broadcast_to_gen(draw, dtype):
    shape = draw(SHAPES)
    target = draw(hnp.broadcastable_shapes(shape, max_dims=4, max_side=3))
    target = np.broadcast_shapes(shape, target)
    return (_array(draw, dtype, shape),), {"shape": tuple(target)}, (0,)


spec("broadcast_to", _broadcast_to_gen, complex=True, gradgrad=True)


def _broadcast_arrays_gen(draw, dtype):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=draw(st.integers(1, 3)), max_dims=3,
                                                    max_side=3)).input_shapes
    return tuple(_array(draw, dtype, s) for s in shapes), {}, tuple(range(len(shapes)))


spec("broadcast_arrays", _broadcast_arrays_gen, lambda ns, *a: tuple(ns.broadcast_arrays(*a)), complex=True)


def _tile_gen(draw, dtype):
    shape = draw(SHAPES)
    reps = tuple(draw(st.lists(st.integers(0, 3), min_size=0 if shape else 1, max_size=4)))
    return (_array(draw, dtype, shape),), {"reps": reps}, (0,)


spec("tile", _tile_gen, lambda ns, x, reps: ns.tile(x, reps), complex=True, gradgrad=True)


def _repeat_gen(draw, dtype):
    shape = draw(SHAPES)
    x = _array(draw, dtype, shape)
    axis = None if not shape or draw(st.booleans()) else draw(st.integers(-len(shape), len(shape) - 1))
    n = x.size if axis is None else shape[axis]
    form = draw(st.sampled_from(("int", "array", "array1")))
    if form == "int":
        return (x,), {"repeats": draw(st.integers(0, 3)), "axis": axis}, (0,)
    size = 1 if form == "array1" else n
    reps = np.array(draw(st.lists(st.integers(0, 3), min_size=size, max_size=size)), dtype=np.int64)
    return (x, reps), {"axis": axis}, (0,)


spec("repeat", _repeat_gen, lambda ns, x, r=None, *, repeats=None, axis: ns.repeat(x, r if r is not None else repeats, axis=axis),
     complex=True, gradgrad=True)

# ----- indexing ---------------------------------------------------------------------------
def _key_gen(draw, shape):
    """A key of any form: basic (ints, slices, None, Ellipsis) or advanced (integer arrays
    with repeats, boolean masks). Returns (key with array placeholders, the index arrays)."""
    form = draw(st.sampled_from(("basic", "basic", "int array", "bool mask", "mixed", "bool full")))
    nd = len(shape)
    if form == "basic" or nd == 0:
        key = []
        if nd == 0:
            return draw(st.sampled_from([(), (None,), (Ellipsis,), (None, Ellipsis)])), []
        for d in range(nd):
            n = shape[d]
            choice = draw(st.sampled_from(("int", "slice", "slice", "none")))
            if choice == "int" and n:
                key.append(draw(st.integers(-n, n - 1)))
            elif choice == "none":
                key.append(None)
                key.append(slice(None))
            else:
                start = draw(st.one_of(st.none(), st.integers(-n - 1, n + 1)))
                stop = draw(st.one_of(st.none(), st.integers(-n - 1, n + 1)))
                step = draw(st.sampled_from([None, 1, 2, -1, -2]))
                key.append(slice(start, stop, step))
        if draw(st.booleans()) and key:
            key = key[:-1] + [Ellipsis]
        return tuple(key), []
    if form in ("int array", "mixed") and shape[0]:
        n = shape[0]
        idx = np.array(draw(st.lists(st.integers(-n, n - 1), min_size=0, max_size=5)), dtype=np.int64)
        if form == "mixed" and nd > 1:
            return (_ARR0, slice(None, None, -1)), [idx]
        return (_ARR0,), [idx]
    if form == "bool full":
        return (_ARR0,), [draw(hnp.arrays(np.bool_, shape))]
    mask = draw(hnp.arrays(np.bool_, shape[:1]))
    return (_ARR0, Ellipsis), [mask]


class _Placeholder:
    def __repr__(self):
        return "<index array>"


_ARR0 = _Placeholder()


def _fill_key(key, index_arrays):
    it = iter(index_arrays)
    return tuple(next(it) if k is _ARR0 else k for k in key)


def _getitem_gen(draw, dtype):
    shape = draw(SHAPES)
    key, arrays = _key_gen(draw, shape)
    return (_array(draw, dtype, shape), *arrays), {"key": key}, (0,)


def _getitem_call(ns, x, *index_arrays, key):
    return x[_fill_key(key, index_arrays)]


def _flat_positions(x, index_arrays, key):
    """The key as positions into x flattened: PyTorch has no negative slice steps, so the
    oracle gathers / scatters through these (the same values and gradients)."""
    pos = np.arange(math.prod(x.shape)).reshape(tuple(x.shape))
    return torch.from_numpy(np.array(pos[_fill_key(key, [a.numpy() for a in index_arrays])], copy=True))


def _getitem_torch(ns, x, *index_arrays, key):
    return x.reshape(-1)[_flat_positions(x, index_arrays, key)]


spec("__getitem__", _getitem_gen, _getitem_call, torch=_getitem_torch, complex=True, gradgrad=True)


def _setitem_gen(draw, dtype):
    shape = draw(NONEMPTY)
    key, arrays = _key_gen(draw, shape)
    if arrays and arrays[0].dtype != np.bool_:  # repeated indices make a write order-dependent
        arrays = [np.unique(arrays[0] % shape[0])]
    x = _array(draw, dtype, shape)
    target = np.empty(shape)[_fill_key(key, arrays)].shape
    k = draw(st.integers(0, len(target)))
    vshape = tuple(1 if draw(st.booleans()) else n for n in target[len(target) - k:])
    v = _array(draw, dtype, vshape)
    return (x, v, *arrays), {"key": key}, (0, 1)


def _setitem_call(ns, x, v, *index_arrays, key):
    y = x * 1  # a non-leaf: written in place inside the graph
    y[_fill_key(key, index_arrays)] = v
    return y


def _setitem_torch(ns, x, v, *index_arrays, key):
    y = x * 1
    y.view(-1)[_flat_positions(x, index_arrays, key)] = v
    return y


spec("__setitem__", _setitem_gen, _setitem_call, torch=_setitem_torch, complex=True, gradgrad=True)


def _take_gen(draw, dtype):
    shape = draw(NONEMPTY)
    axis = draw(st.integers(-len(shape), len(shape) - 1)) if len(shape) > 1 or draw(st.booleans()) else None
    n = shape[axis if axis is not None else 0]
    idx = np.array(draw(st.lists(st.integers(0, n - 1), max_size=5)), dtype=np.int64)
    kw = {} if axis is None else {"axis": axis}
    return (_array(draw, dtype, shape), idx), kw, (0,)


spec("take", _take_gen, complex=True, gradgrad=True)


def _take_along_gen(draw, dtype):
    shape = list(draw(NONEMPTY))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    ishape = list(shape)
    ishape[axis] = draw(st.integers(0, 4))
    for d in range(len(shape)):  # x and indices broadcast against each other off the axis
        if d != axis % len(shape) and draw(st.booleans()):
            (shape if draw(st.booleans()) else ishape)[d] = 1
    idx = draw(hnp.arrays(np.int64, tuple(ishape), elements=st.integers(0, shape[axis] - 1)))
    return (_array(draw, dtype, tuple(shape)), idx), {"axis": axis}, (0,)


spec("take_along_axis", _take_along_gen, complex=True, gradgrad=True)


def _where_gen(draw, dtype):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3)).input_shapes
    cond = draw(hnp.arrays(np.bool_, shapes[0]))
    a, b = _array(draw, dtype, shapes[1]), _array(draw, dtype, shapes[2])
    form = draw(st.sampled_from(("arrays", "arrays", "scalar1", "scalar2")))
    if form == "scalar1":
        return (cond, b), {"scalar": 0.5, "side": 1}, (1,)
    if form == "scalar2":
        return (cond, a), {"scalar": -1.5, "side": 2}, (1,)
    return (cond, a, b), {}, (1, 2)


def _where_call(ns, c, *arrays, scalar=None, side=None):
    if scalar is None:
        return ns.where(c, *arrays)
    return ns.where(c, arrays[0], scalar) if side == 2 else ns.where(c, scalar, arrays[0])


spec("where", _where_gen, _where_call, complex=True, gradgrad=True)


def _sort_gen(draw, dtype):
    shape = draw(NONEMPTY)
    x = _array(draw, dtype, shape, ("grid", -4.0, 4.0), unique=True)
    return (x,), {"axis": draw(st.integers(-len(shape), len(shape) - 1)),
                  "descending": draw(st.booleans())}, (0,)


spec("sort", _sort_gen, gradgrad=True)


def _tri_gen(draw, dtype):
    shape = draw(hnp.array_shapes(min_dims=2, max_dims=3, min_side=0, max_side=4))
    return (_array(draw, dtype, shape),), {"k": draw(st.integers(-3, 3))}, (0,)


spec("tril", _tri_gen, complex=True)
spec("triu", _tri_gen, complex=True)


def _meshgrid_gen(draw, dtype):
    k = draw(st.integers(1, 3))
    arrays = tuple(_array(draw, dtype, draw(hnp.array_shapes(min_dims=1, max_dims=1, max_side=3)))
                   for _ in range(k))
    return arrays, {"indexing": draw(st.sampled_from(["xy", "ij"]))}, tuple(range(k))


spec("meshgrid", _meshgrid_gen, lambda ns, *a, indexing: tuple(ns.meshgrid(*a, indexing=indexing)),
     complex=True)

spec("astype", lambda draw, dtype: ((_array(draw, np.float32, draw(SHAPES)),), {"to": "float64"}, (0,)),
     lambda ns, x, to: ns.astype(x, getattr(ns, to)), label="float32->float64", eps=1e-3, atol=1e-3)
spec("astype", lambda draw, dtype: ((_array(draw, dtype, draw(SHAPES)),), {"to": "complex128"}, (0,)),
     lambda ns, x, to: ns.astype(x, getattr(ns, to)), label="real->complex")
spec("astype", lambda draw, dtype: ((_array(draw, dtype, draw(SHAPES)),), {"to": "float32"}, (0,)),
     lambda ns, x, to: ns.astype(ns.astype(x, getattr(ns, to)), ns.float64), label="float64->float32",
     eps=1e-2, atol=1e-3)
spec("asarray", unary(), lambda ns, x: ns.asarray(x, copy=True), complex=True, label="copy of a tensor",
     torch=lambda ns, x: x.clone())
spec("to_device", unary(), lambda ns, x: x.to_device("cpu"), complex=True, torch=lambda ns, x: x.to("cpu"))


# ----- linear algebra -----------------------------------------------------------------------
def _matmul_gen(draw, dtype):
    n, k, m = (draw(st.integers(1, 3)) for _ in range(3))
    form = draw(st.sampled_from(("mm", "mv", "vm", "vv", "batched", "broadcast")))
    if form == "mm":
        s1, s2 = (n, k), (k, m)
    elif form == "mv":
        s1, s2 = (n, k), (k,)
    elif form == "vm":
        s1, s2 = (k,), (k, m)
    elif form == "vv":
        s1, s2 = (k,), (k,)
    elif form == "batched":
        b = draw(st.integers(0, 2))
        s1, s2 = (b, n, k), (b, k, m)
    else:
        s1, s2 = (2, 1, n, k), (3, k, m)
    return (_array(draw, dtype, s1), _array(draw, dtype, s2)), {}, (0, 1)


spec("matmul", _matmul_gen, complex=True, gradgrad=True)
spec("mT", lambda draw, dtype: ((_array(draw, dtype, draw(hnp.array_shapes(min_dims=2, max_dims=3, max_side=3))),),
                                {}, (0,)), lambda ns, x: x.mT, complex=True)
spec("T", lambda draw, dtype: ((_array(draw, dtype, draw(hnp.array_shapes(min_dims=2, max_dims=2, max_side=3))),),
                               {}, (0,)), lambda ns, x: x.T, complex=True)
spec("matrix_transpose", lambda draw, dtype: ((_array(draw, dtype, draw(
    hnp.array_shapes(min_dims=2, max_dims=3, min_side=0, max_side=3))),), {}, (0,)), complex=True)


def _tensordot_gen(draw, dtype):
    form = draw(st.sampled_from(("int", "pairs")))
    if form == "int":
        k = draw(st.integers(0, 2))
        common = tuple(draw(st.lists(st.integers(1, 3), min_size=k, max_size=k)))
        a = tuple(draw(st.lists(st.integers(1, 3), max_size=2))) + common
        b = common + tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
        return (_array(draw, dtype, a), _array(draw, dtype, b)), {"axes": k}, (0, 1)
    a_shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))
    k = draw(st.integers(1, len(a_shape)))
    a_axes = list(draw(st.permutations(range(len(a_shape)))))[:k]
    extra = list(draw(st.lists(st.integers(1, 3), max_size=2)))
    b_shape = [a_shape[a] for a in a_axes] + extra
    perm = list(draw(st.permutations(range(len(b_shape)))))
    b_shape = [b_shape[p] for p in perm]
    b_axes = [perm.index(i) for i in range(k)]
    return (_array(draw, dtype, a_shape), _array(draw, dtype, tuple(b_shape))), \
        {"axes": (tuple(a_axes), tuple(b_axes))}, (0, 1)


spec("tensordot", _tensordot_gen, complex=True, gradgrad=True)


def _vecdot_gen(draw, dtype):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3, max_side=3)).input_shapes
    nd = min(len(shapes[0]), len(shapes[1]))
    axis = draw(st.integers(-nd, -1))
    s1, s2 = list(shapes[0]), list(shapes[1])
    n = draw(st.integers(1, 3))
    s1[axis] = s2[axis] = n
    return (_array(draw, dtype, tuple(s1)), _array(draw, dtype, tuple(s2))), {"axis": axis}, (0, 1)


spec("vecdot", _vecdot_gen, complex=True, gradgrad=True)


# ----- the linalg and fft extensions (checked once they exist) --------------------------------
def _generic(draw, dtype, shape, lo=-1.0, hi=1.0):
    """A generic array (no exact zeros or ties, which hypothesis favours): degenerate inputs
    (repeated eigen/singular values, ties in a norm) are not differentiable."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    a = rng.uniform(lo, hi, shape)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.uniform(lo, hi, shape)
    return a.astype(dtype)


def _square(draw, dtype, batch=True, n=None):
    n = n or draw(st.integers(1, 3))
    b = tuple(draw(st.lists(st.integers(1, 2), max_size=1))) if batch else ()
    return _generic(draw, dtype, b + (n, n)) + 2 * np.eye(n, dtype=dtype)  # well conditioned


def _matrices(draw, dtype, min_side=1):
    shape = draw(hnp.array_shapes(min_dims=2, max_dims=3, min_side=min_side, max_side=3))
    return _array(draw, dtype, shape)


def _linalg(name, gen, call=None, **kw):
    return spec("linalg." + name, gen, call, **kw)


_sq = lambda draw, dtype: ((_square(draw, dtype),), {}, (0,))  # noqa: E731
_linalg("inv", _sq, complex=True, gradgrad=True)
_linalg("det", _sq, complex=True, gradgrad=True)
_linalg("slogdet", _sq, lambda ns, a: ns.linalg.slogdet(a)[1], complex=True, label="logabsdet")
_linalg("cholesky", _sq, lambda ns, a: ns.linalg.cholesky(a @ ns.matrix_transpose(ns.conj(a))),
        complex=True, gradgrad=True)
_linalg("eigh", _sq, lambda ns, a: ns.linalg.eigh(a + ns.matrix_transpose(ns.conj(a)))[0],
        complex=True, label="eigenvalues")
_linalg("eigh", lambda draw, dtype: ((_generic(draw, dtype, (3, 3)),), {}, (0,)),
        lambda ns, a: (lambda w, v: v @ (w[..., None] * ns.matrix_transpose(ns.conj(v))))(
            *ns.linalg.eigh(a + ns.matrix_transpose(ns.conj(a)))), label="reconstruction")
# eig: gauge-free quantities (eigenvectors are defined up to a complex factor each)
_linalg("eigvals", _sq, complex=True)
_linalg("eig", _sq, lambda ns, a: (lambda w, v: (w, v @ (w[..., None] * ns.linalg.inv(v))))(*ns.linalg.eig(a)),
        complex=True, label="eigenvalues and reconstruction")
_linalg("eigvalsh", _sq, lambda ns, a: ns.linalg.eigvalsh(a + ns.matrix_transpose(ns.conj(a))), complex=True)
_linalg("qr", lambda draw, dtype: ((_square(draw, dtype),), {}, (0,)), lambda ns, a: tuple(ns.linalg.qr(a)),
        complex=True)
_linalg("svd", _sq, lambda ns, a: (lambda u, s, vh: u @ (s[..., None] * vh))(*ns.linalg.svd(a, full_matrices=False)),
        complex=True, label="reconstruction")
_linalg("svdvals", _sq, complex=True)
_linalg("solve", lambda draw, dtype: (lambda a: ((a, _array(draw, dtype, a.shape)), {}, (0, 1)))(
    _square(draw, dtype)), complex=True, gradgrad=True)
_linalg("pinv", _sq, complex=True)
_linalg("matrix_power", lambda draw, dtype: ((_square(draw, dtype),), {"n": draw(st.integers(-2, 3))}, (0,)),
        lambda ns, a, n: ns.linalg.matrix_power(a, n), complex=True)
_linalg("matrix_norm", lambda draw, dtype: ((_square(draw, dtype),),
                                             {"ord": draw(st.sampled_from(["fro", "nuc", 1, -1, 2, -2, math.inf,
                                                                           -math.inf]))}, (0,)), complex=True)
_linalg("vector_norm", lambda draw, dtype: (lambda s: ((_array(draw, dtype, s, ("away", 0.2, 2.0), unique=True),),
                                                       dict(_axis_kw(draw, len(s)) or {},
                                                            ord=draw(st.sampled_from([2, 1, 3, math.inf, -math.inf]))),
                                                       (0,)))(draw(NONEMPTY)), complex=True)
_linalg("trace", lambda draw, dtype: ((_matrices(draw, dtype),), {"offset": draw(st.integers(-1, 1))}, (0,)),
        complex=True)
_linalg("diagonal", lambda draw, dtype: ((_matrices(draw, dtype),), {"offset": draw(st.integers(-1, 1))}, (0,)),
        complex=True)
_linalg("outer", lambda draw, dtype: ((_array(draw, dtype, (draw(st.integers(0, 3)),)),
                                       _array(draw, dtype, (draw(st.integers(0, 3)),))), {}, (0, 1)), complex=True)
_linalg("cross", lambda draw, dtype: (lambda s: ((_array(draw, dtype, s), _array(draw, dtype, s)), {}, (0, 1)))(
    draw(hnp.array_shapes(min_dims=0, max_dims=1, max_side=2)) + (3,)), complex=True)
for _name in ("matmul", "tensordot", "vecdot", "matrix_transpose"):
    _base = next(s for s in SPECS if s.name == _name)
    _linalg(_name, _base.gen, (lambda nm: lambda ns, *a, **kw: getattr(ns.linalg, nm)(*a, **kw))(_name),
            complex=True)


def _fft_gen(real_input=False, nd=False, hermitian=False):
    def gen(draw, dtype):
        # c2r transforms need m >= 2 points for their default length 2 * (m - 1)
        shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=2 if hermitian else 1, max_side=4))
        dt = np.float64 if real_input else (np.complex128 if np.dtype(dtype).kind == "f" else dtype)
        x = _array(draw, dt, shape)
        kw = {"norm": draw(st.sampled_from(["backward", "ortho", "forward"]))}
        if nd:
            if draw(st.booleans()):
                kw["axes"] = tuple(range(len(shape)))
        else:
            kw["axis"] = draw(st.integers(-len(shape), len(shape) - 1))
            if draw(st.booleans()):
                kw["n"] = draw(st.integers(1, 5))
        return (x,), kw, (0,)
    return gen


for _name, _real_in in [("fft", False), ("ifft", False), ("rfft", True), ("ihfft", True),
                        ("irfft", False), ("hfft", False)]:
    spec("fft." + _name, _fft_gen(_real_in, hermitian=_name in ("irfft", "hfft")), complex=not _real_in)
for _name, _real_in in [("fftn", False), ("ifftn", False), ("rfftn", True), ("irfftn", False)]:
    spec("fft." + _name, _fft_gen(_real_in, nd=True, hermitian=_name == "irfftn"), complex=not _real_in)
for _name in ("fftshift", "ifftshift"):
    spec("fft." + _name, lambda draw, dtype: (lambda s: ((_array(draw, dtype, s),), {}, (0,)))(draw(NONEMPTY)),
         complex=True)


# ----------------------------------------------------------------------------------------
# Running a spec
# ----------------------------------------------------------------------------------------
def _exists(name) -> bool:
    if name.startswith("__") or name in ("to_device", "mT", "T"):
        return True
    obj = xp
    for p in name.split("."):
        obj = getattr(obj, p, None)
        if obj is None:
            return False
    return True


def _skip_missing(s: Spec):
    if not _exists(s.name):
        pytest.skip(f"arraygrad has no {s.name} yet (the extension is being written)")


def _draw_case(s: Spec, draw, dtype):
    arrays, kw, diff = s.gen(draw, dtype)
    if diff is None:
        diff = tuple(range(len(arrays)))
    return arrays, kw, diff


def _to_xp(arrays, diff, device=None):
    out = []
    for i, a in enumerate(arrays):
        t = xp.asarray(np.array(a, copy=True), device=device)
        if i in diff and a.dtype.kind in "fc":
            t.requires_grad_(True)
        out.append(t)
    return out


def _to_torch(arrays, diff):
    out = []
    for i, a in enumerate(arrays):
        t = torch.from_numpy(np.array(a, copy=True))
        if i in diff and a.dtype.kind in "fc":
            t.requires_grad_(True)
        out.append(t)
    return out


def _outputs(r):
    return list(r) if isinstance(r, (tuple, list)) else [r]


def _np(t):
    return np.asarray(t.detach())


def _check_against_torch(s: Spec, arrays, kw, diff, rtol=1e-7, atol=1e-9):
    """Values and a vector-Jacobian product (random cotangent) against PyTorch."""
    ins = _to_xp(arrays, diff)
    tins = _to_torch(arrays, diff)
    outs = _outputs(s.call(xp, *ins, **kw))
    touts = _outputs((s.torch or s.call)(tp, *tins, **kw))
    assert len(outs) == len(touts)
    rng = np.random.default_rng(0)
    pairs, tpairs = [], []
    for o, to in zip(outs, touts):
        assert tuple(o.shape) == tuple(to.shape), f"{s.id}: shape {tuple(o.shape)} vs torch {tuple(to.shape)}"
        np.testing.assert_allclose(_np(o), to.detach().resolve_conj().numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"{s.id}: value")
        if o.requires_grad != to.requires_grad:
            # allowed in one case: our output does not depend on the inputs (matrix_power(x, 0))
            assert to.requires_grad and _constant(to, tins), f"{s.id}: requires_grad {o.requires_grad} vs torch"
        if o.requires_grad:
            v = rng.standard_normal(tuple(o.shape))
            if _np(o).dtype.kind == "c":
                v = v + 1j * rng.standard_normal(tuple(o.shape))
            v = np.asarray(v).astype(_np(o).dtype)
            pairs.append((o, xp.asarray(v)))
            tpairs.append((to, torch.from_numpy(v)))
    want = [i for i in diff if i < len(ins) and ins[i].requires_grad]
    if not pairs or not want:
        return
    got = xp.autograd.grad([p[0] for p in pairs], [ins[i] for i in want], [p[1] for p in pairs],
                           allow_unused=True)
    tgot = torch.autograd.grad([p[0] for p in tpairs], [tins[i] for i in want], [p[1] for p in tpairs],
                               allow_unused=True, materialize_grads=True)
    for i, g, tg in zip(want, got, tgot):
        g = np.zeros(tuple(ins[i].shape), _np(ins[i]).dtype) if g is None else _np(g)
        np.testing.assert_allclose(g, tg.resolve_conj().numpy(), rtol=1e-6, atol=1e-8,
                                   err_msg=f"{s.id}: gradient of input {i}")


def _constant(out, inputs) -> bool:
    """Whether PyTorch's `out` has a zero derivative with respect to all its inputs."""
    ins = [t for t in inputs if t.requires_grad]
    gs = torch.autograd.grad(out, ins, torch.ones_like(out), allow_unused=True, retain_graph=True)
    return all(g is None or not g.any() for g in gs)


def _gradcheck(s: Spec, arrays, kw, diff, **extra):
    ins = _to_xp(arrays, diff)
    if not any(t.requires_grad for t in ins):
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # float32 inputs of the dtype specs
        assert gradcheck(lambda *a: s.call(xp, *a, **kw), tuple(ins), eps=s.eps, atol=s.atol, rtol=s.rtol,
                         **extra)


def _ids(specs):
    return [s.id for s in specs]


@pytest.mark.parametrize("s", SPECS, ids=_ids(SPECS))
@given(data=st.data())
def test_gradcheck(s, data):
    _skip_missing(s)
    arrays, kw, diff = _draw_case(s, data.draw, np.float64)
    _gradcheck(s, arrays, kw, diff)
    _check_against_torch(s, arrays, kw, diff)


COMPLEX = [s for s in SPECS if s.complex]
# fewer examples for the second sweeps, in proportion to the profile (conftest.py: "ci", "thorough")
_EXAMPLES = settings().max_examples


@pytest.mark.parametrize("s", COMPLEX, ids=_ids(COMPLEX))
@settings(max_examples=max(1, _EXAMPLES // 2))
@given(data=st.data())
def test_gradcheck_complex(s, data):
    _skip_missing(s)
    arrays, kw, diff = _draw_case(s, data.draw, np.complex128)
    _gradcheck(s, arrays, kw, diff)
    _check_against_torch(s, arrays, kw, diff)


GRADGRAD = [s for s in SPECS if s.gradgrad]


@pytest.mark.parametrize("s", GRADGRAD, ids=_ids(GRADGRAD))
@settings(max_examples=max(1, _EXAMPLES // 4))
@given(data=st.data())
def test_gradgradcheck(s, data):
    _skip_missing(s)
    arrays, kw, diff = _draw_case(s, data.draw, np.float64)
    ins = _to_xp(arrays, diff)
    if not any(t.requires_grad for t in ins):
        return
    assert gradgradcheck(lambda *a: s.call(xp, *a, **kw), tuple(ins), atol=s.atol, rtol=s.rtol)


@pytest.mark.parametrize("s", [s for s in GRADGRAD if s.complex], ids=_ids([s for s in GRADGRAD if s.complex]))
@settings(max_examples=max(1, _EXAMPLES // 8))
@given(data=st.data())
def test_gradgradcheck_complex(s, data):
    _skip_missing(s)
    arrays, kw, diff = _draw_case(s, data.draw, np.complex128)
    ins = _to_xp(arrays, diff)
    if not any(t.requires_grad for t in ins):
        return
    assert gradgradcheck(lambda *a: s.call(xp, *a, **kw), tuple(ins), atol=s.atol, rtol=s.rtol)


def _vjp(s: Spec, arrays, kw, diff, create_graph):
    """A vector-Jacobian product (fixed random cotangents) of every input requiring grad."""
    ins = _to_xp(arrays, diff)
    outs = [o for o in _outputs(s.call(xp, *ins, **kw)) if o.requires_grad]
    want = [t for t in ins if t.requires_grad]
    if not outs or not want:
        return None
    rng = np.random.default_rng(1)
    vs = []
    for o in outs:
        v = rng.standard_normal(tuple(o.shape))
        if _np(o).dtype.kind == "c":
            v = v + 1j * rng.standard_normal(tuple(o.shape))
        vs.append(xp.asarray(np.asarray(v).astype(_np(o).dtype)))
    got = xp.autograd.grad(outs, want, vs, allow_unused=True, create_graph=create_graph)
    return [None if g is None else _np(g) for g in got]


@pytest.mark.parametrize("s", SPECS, ids=_ids(SPECS))
@settings(max_examples=max(1, _EXAMPLES // 4))
@given(data=st.data())
def test_first_order_rules_agree_with_recorded_ones(s, data):
    """First-order backward runs rules that take `xp` on the backend's raw arrays; under
    create_graph the same rules run on Tensors. Both must give the same gradient, for real
    and complex inputs."""
    _skip_missing(s)
    for dtype in (np.float64, np.complex128) if s.complex else (np.float64,):
        arrays, kw, diff = _draw_case(s, data.draw, dtype)
        raw = _vjp(s, arrays, kw, diff, create_graph=False)
        recorded = _vjp(s, arrays, kw, diff, create_graph=True)
        if raw is None:
            assert recorded is None
            continue
        for i, (a, b) in enumerate(zip(raw, recorded)):
            if a is None or b is None:
                assert a is None and b is None, f"{s.id}: gradient {i} missing on one path"
                continue
            assert a.dtype == b.dtype and a.shape == b.shape, f"{s.id}: gradient {i}"
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14, err_msg=f"{s.id}: gradient {i}")


# ----------------------------------------------------------------------------------------
# Functions that are not differentiable: outputs never require grad
# ----------------------------------------------------------------------------------------
def _f(*shape):
    return xp.asarray(np.linspace(-2.2, 2.7, math.prod(shape)).reshape(shape), requires_grad=True)


NOT_DIFFERENTIABLE = {
    # piecewise-constant or boolean-valued elementwise functions
    "ceil": lambda x: xp.ceil(x), "floor": lambda x: xp.floor(x), "round": lambda x: xp.round(x),
    "trunc": lambda x: xp.trunc(x), "sign": lambda x: xp.sign(x), "signbit": lambda x: xp.signbit(x),
    "isfinite": lambda x: xp.isfinite(x), "isinf": lambda x: xp.isinf(x), "isnan": lambda x: xp.isnan(x),
    "equal": lambda x: xp.equal(x, x), "not_equal": lambda x: xp.not_equal(x, 1.0),
    "greater": lambda x: xp.greater(x, 0.0), "greater_equal": lambda x: xp.greater_equal(x, 0.0),
    "less": lambda x: xp.less(x, 0.0), "less_equal": lambda x: xp.less_equal(x, 0.0),
    "logical_and": lambda x: xp.logical_and(x, x), "logical_or": lambda x: xp.logical_or(x, x),
    "logical_xor": lambda x: xp.logical_xor(x, x), "logical_not": lambda x: xp.logical_not(x),
    "floor_divide": lambda x: xp.floor_divide(x, 0.7), "nextafter": lambda x: xp.nextafter(x, x + 1),
    "__floordiv__": lambda x: x // 0.7, "__eq__": lambda x: x == x, "__ne__": lambda x: x != 1.0,
    "__lt__": lambda x: x < 0, "__le__": lambda x: x <= 0, "__gt__": lambda x: x > 0,
    "__ge__": lambda x: x >= 0,
    # integer / boolean inputs only (a float tensor requiring grad is rejected)
    "bitwise_and": None, "bitwise_or": None, "bitwise_xor": None, "bitwise_invert": None,
    "bitwise_left_shift": None, "bitwise_right_shift": None, "__and__": None, "__or__": None,
    "__xor__": None, "__invert__": None, "__lshift__": None, "__rshift__": None,
    # indices, counts, truth values
    "argmax": lambda x: xp.argmax(x), "argmin": lambda x: xp.argmin(x, axis=0),
    "argsort": lambda x: xp.argsort(x), "nonzero": lambda x: xp.nonzero(x),
    "count_nonzero": lambda x: xp.count_nonzero(x), "searchsorted": lambda x: xp.searchsorted(
        xp.sort(xp.reshape(x, (-1,))), x),
    "all": lambda x: xp.all(x), "any": lambda x: xp.any(x, axis=0),
    "unique_values": lambda x: xp.unique_values(x), "unique_counts": lambda x: xp.unique_counts(x),
    "unique_inverse": lambda x: xp.unique_inverse(x), "unique_all": lambda x: xp.unique_all(x),
    "isin": lambda x: xp.isin(x, x),
    # creation from shapes and values: no array to differentiate through
    "zeros_like": lambda x: xp.zeros_like(x), "ones_like": lambda x: xp.ones_like(x),
    "empty_like": lambda x: xp.empty_like(x), "full_like": lambda x: xp.full_like(x, 2.0),
    "linalg.matrix_rank": lambda x: xp.linalg.matrix_rank(x),
    "fft.fftfreq": None, "fft.rfftfreq": None,
}


def _all_outputs(r):
    if isinstance(r, (tuple, list)):
        return [v for o in r for v in _all_outputs(o)]
    return [r]


@pytest.mark.parametrize("name", sorted(NOT_DIFFERENTIABLE))
def test_not_differentiable(name):
    fn = NOT_DIFFERENTIABLE[name]
    if fn is None:  # integer-only functions: inputs cannot require grad at all
        with pytest.raises(RuntimeError, match="floating point"):
            xp.asarray([1, 2]).requires_grad_(True)
        return
    if not _exists(name):
        pytest.skip(f"arraygrad has no {name} yet")
    x = _f(3, 3)
    outs = _all_outputs(fn(x))
    assert outs
    for o in outs:
        assert isinstance(o, xp.Tensor)
        assert not o.requires_grad and o.grad_fn is None, f"{name}: output requires grad"


def test_integer_outputs_never_require_grad_even_from_differentiable_ops():
    x = _f(4)
    assert not xp.astype(x, xp.int64).requires_grad
    assert not xp.astype(x, xp.bool).requires_grad
    assert not xp.sum(xp.astype(x, xp.int32)).requires_grad
