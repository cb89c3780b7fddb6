"""Every function of the standard is classified for autograd, and docs/autograd.md's gradient
table is current.

The table is generated from the op table (`_dispatch.OPS`: which functions have a VJP rule
and what their backward node is called) and from tests/test_gradients.py (which functions
are gradient-checked, on complex inputs too, and which are not differentiable). Regenerate
it after adding a function:

    python tests/test_autograd_docs.py          # rewrites the table in docs/autograd.md
"""

from __future__ import annotations

import functools
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import arraygrad as xp  # noqa: E402
from arraygrad import _dispatch  # noqa: E402
from arraygrad._tensor import BINARY_OPERATORS, COMPARISON_OPERATORS, UNARY_OPERATORS  # noqa: E402

from _standard import STANDARD  # noqa: E402

DOC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "autograd.md")
START, END = "<!-- gradient-table:start -->", "<!-- gradient-table:end -->"

# No array argument to differentiate through: creation from Python values, dtype queries,
# the array's metadata and conversions to Python objects.
NO_ARRAY_INPUT = {
    "arange", "empty", "eye", "full", "linspace", "ones", "zeros", "from_dlpack",
    "can_cast", "finfo", "iinfo", "isdtype", "result_type", "broadcast_shapes",
    "dtype", "device", "ndim", "shape", "size", "__array_namespace__", "__bool__", "__complex__",
    "__dlpack__", "__dlpack_device__", "__float__", "__index__", "__int__",
}
WHY_NOT = {
    "boolean output": {"equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
                       "logical_and", "logical_or", "logical_xor", "logical_not", "isfinite", "isinf",
                       "isnan", "signbit", "all", "any", "isin", "__eq__", "__ne__", "__lt__", "__le__",
                       "__gt__", "__ge__"},
    "piecewise constant": {"ceil", "floor", "round", "trunc", "sign", "floor_divide", "nextafter",
                           "__floordiv__"},
    "integer and boolean inputs only": {"bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_invert",
                                        "bitwise_left_shift", "bitwise_right_shift", "__and__", "__or__",
                                        "__xor__", "__invert__", "__lshift__", "__rshift__"},
    "integer output (indices, counts, ranks)": {"argmax", "argmin", "argsort", "nonzero", "count_nonzero",
                                                "searchsorted", "linalg.matrix_rank"},
    "set functions (as in PyTorch)": {"unique_all", "unique_counts", "unique_inverse", "unique_values"},
    "values do not depend on the input": {"zeros_like", "ones_like", "empty_like", "full_like", "fft.fftfreq",
                                          "fft.rfftfreq"},
}
# functions differentiable on some inputs only
PARTLY = {"sign": "complex inputs only (z / abs(z)); real inputs: piecewise constant"}
NOTES = dict(PARTLY, to_device="the tensor itself on its own device; elsewhere a recorded copy "
                                "(`ToCopyBackward0`)")

# Ops of the op table that are not functions of the standard, and where they are exercised.
INTERNAL_OPS = {
    "getitem": "__getitem__ with array keys", "getitem_basic": "__getitem__ with basic keys (views)",
    "index_add": "gradient of every gather (double backward of __getitem__, take, ...)",
    "index_put": "__setitem__", "copy_slices": "writes through views (test_autograd_inplace.py)",
    "sgn": "sign of complex inputs", "rsqrt": "rules of acos, asin, acosh, asinh", "to_device": "to_device",
    "moveaxis": "moveaxis", "clone": "PyTorch's clone (arraygrad.nn tests)",
}

CATEGORIES = [
    ("Elementwise functions", "elementwise_functions"), ("Operators", "array_object"),
    ("Creation functions", "creation_functions"), ("Data type functions", "data_type_functions"),
    ("Indexing functions", "indexing_functions"), ("Linear algebra functions", "linear_algebra_functions"),
    ("Manipulation functions", "manipulation_functions"), ("Searching functions", "searching_functions"),
    ("Set functions", "set_functions"), ("Sorting functions", "sorting_functions"),
    ("Statistical functions", "statistical_functions"), ("Utility functions", "utility_functions"),
    ("linalg extension", "linalg"), ("fft extension", "fft"),
]


def _gradient_specs():
    import test_gradients

    return test_gradients.SPECS, test_gradients.NOT_DIFFERENTIABLE


def standard_names():
    """(category key, qualified name) for every function and array member of the standard."""
    out = []
    for _, key in CATEGORIES:
        for name in STANDARD[key]:
            out.append((key, f"{key}.{name}" if key in ("linalg", "fft") else name))
    extra = [n for n in ("eig", "eigvals") if hasattr(xp.linalg, n) and n not in STANDARD["linalg"]]
    out += [("linalg", f"linalg.{n}") for n in extra]  # arraygrad has them: 2025.12 added them
    return out


def _ops_for(name):
    """The op-table entries implementing `name` (empty for composites)."""
    if name in ("__getitem__",):
        return ["getitem_basic", "getitem"]
    if name == "__setitem__":
        return ["index_put"]
    if name in ("mT", "T"):
        return ["matrix_transpose"] if name == "mT" else ["permute_dims"]
    short = name.strip("_")
    for table in (BINARY_OPERATORS, COMPARISON_OPERATORS, UNARY_OPERATORS):
        if name.startswith("__") and short in table:
            name = table[short]
    if name == "__matmul__":
        name = "matmul"
    if name in ("asarray",):
        return ["astype"]
    if name in ("linalg.matmul", "linalg.tensordot", "linalg.vecdot", "linalg.matrix_transpose"):
        return _ops_for(name.split(".")[1])  # the main namespace's functions
    if name == "sign":
        return ["sgn"]  # complex inputs; real ones go to the non-differentiable "sign"
    return [name] if name in _dispatch.OPS else []


@functools.lru_cache(maxsize=None)
def observed_nodes() -> dict:
    """{function: the backward nodes its outputs get}, from one deterministic example of each
    spec (an op-table entry named after a function may be unused, or a fast path it leaves
    when grad is needed: what is recorded tells whether the function has its own rule)."""
    import numpy as np
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis import strategies as st
    from hypothesis.errors import NoSuchExample

    import test_gradients as T

    seen: dict = {}
    quick = settings(database=None, derandomize=True, max_examples=50, phases=[Phase.generate],
                     suppress_health_check=list(HealthCheck))
    for s in T.SPECS:
        if not T._exists(s.name):
            continue

        def recorded(case, s=s):
            arrays, kw, diff = case
            ins = T._to_xp(arrays, tuple(range(len(arrays))) if diff is None else diff)
            stack = [o.grad_fn for o in T._outputs(s.call(xp, *ins, **kw)) if o.grad_fn is not None]
            found = bool(stack)
            names = seen.setdefault(s.name, set())
            while stack:  # every node of the recorded graph
                node = stack.pop()
                names.add(type(node).__name__)
                stack += [e[0] for e in node.next if e.__class__ is tuple]
            return found

        try:
            find(st.composite(lambda draw, s=s: s.gen(draw, np.float64))(), recorded, settings=quick)
        except NoSuchExample:  # returns its input (to_device on its own device)
            pass
    return seen


def _node_types(op):
    """The classes an op's nodes may have: its own, and those named after PyTorch's overloads."""
    by = op.node_types_by_operands or ()
    return (op.node_type,) + tuple(by.values() if isinstance(by, dict) else by)


@functools.lru_cache(maxsize=None)
def classify():
    """{qualified name: (status, complex, node names, note)}."""
    specs, not_diff = _gradient_specs()
    spec_names = {}
    for s in specs:
        spec_names.setdefault(s.name, []).append(s)
    observed = observed_nodes()
    result = {}
    for _, name in standard_names():
        if name in NO_ARRAY_INPUT:
            continue
        exists = name.startswith("__") or name in ("mT", "T", "to_device") or _exists(name)
        if not exists:
            result[name] = ("not implemented", False, [], "")
        elif name in spec_names:
            own = {cls.__name__ for o in _ops_for(name) for cls in _node_types(_dispatch.OPS[o])}
            nodes = sorted(own & observed.get(name, set()))
            cplx = any(s.complex for s in spec_names[name])
            result[name] = ("rule" if nodes else "composite", cplx, nodes, NOTES.get(name, ""))
        elif name in not_diff:
            why = next((w for w, names in WHY_NOT.items() if name in names), "")
            result[name] = ("not differentiable", False, [], why)
        else:
            result[name] = ("unclassified", False, [], "")
    return result


def _exists(name):
    obj = xp
    for p in name.split("."):
        obj = getattr(obj, p, None)
        if obj is None:
            return False
    return True


def table() -> str:
    info = classify()
    lines = ["| Function | Gradient | Complex inputs | Backward node | Note |",
             "|---|---|---|---|---|"]
    for title, key in CATEGORIES:
        lines.append(f"| **{title}** | | | | |")
        names = [n for k, n in standard_names() if k == key and n in info]
        for name in names:
            status, cplx, nodes, note = info[name]
            mark = {"rule": "✓ rule", "composite": "✓ composite"}.get(status, status)
            lines.append(f"| `{name}` | {mark} | {'✓' if cplx else ''} | "
                         f"{', '.join(f'`{n}`' for n in nodes)} | {note} |")
    return "\n".join(lines)


def _current_table(text):
    a, b = text.index(START), text.index(END)
    return text[a + len(START):b].strip()


# ----- tests ----------------------------------------------------------------------------------
def test_every_function_of_the_standard_is_classified():
    info = classify()
    unclassified = sorted(n for n, v in info.items() if v[0] == "unclassified")
    assert not unclassified, (
        f"functions of the standard without a gradient spec in tests/test_gradients.py or an "
        f"entry in its NOT_DIFFERENTIABLE table: {unclassified}")


def test_every_differentiable_function_exists():
    missing = sorted(n for n, v in classify().items() if v[0] == "not implemented")
    assert not missing, f"differentiable functions of the standard that arraygrad lacks: {missing}"


def test_op_table_agrees_with_the_classification():
    """An op with a VJP must be a differentiable function (or a known internal op); an op of
    a standard function without one must be classified not differentiable."""
    info = classify()
    for name, op in _dispatch.OPS.items():
        if name in INTERNAL_OPS or name not in info:
            continue  # internal, or beyond the standard (nn's ops are tested with nn)
        status = info[name][0]
        if op.differentiable:
            assert status == "rule" or name in PARTLY, f"{name}: has a VJP but is {status}"
        elif name not in PARTLY:
            assert status in ("not differentiable", "composite"), f"{name}: no VJP but classified {status}"


def test_internal_ops_exist():
    for name in INTERNAL_OPS:
        if name != "clone":
            assert name in _dispatch.OPS, f"INTERNAL_OPS lists {name}, which the op table lacks"


def test_no_rule_is_missing_for_a_differentiable_input():
    """Op.rules marks inputs without a rule as _MISSING (NotImplementedError at record time)."""
    for name, op in _dispatch.OPS.items():
        if op.differentiable:
            missing = [op.inputs[i] for i, r in enumerate(op.rules) if r is _dispatch._MISSING]
            assert not missing, f"op {name}: no VJP rule for {missing}"


def test_docs_table_is_current():
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    assert _current_table(text) == table(), (
        "docs/autograd.md's gradient table is out of date: run `python tests/test_autograd_docs.py`")


def write_table():
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    a, b = text.index(START), text.index(END)
    text = text[:a + len(START)] + "\n" + table() + "\n" + text[b:]
    with open(DOC, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    pytest.importorskip("torch")
    write_table()
    print(f"wrote the gradient table of {DOC}")
