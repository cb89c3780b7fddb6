"""Bad arguments get a clear error: the right exception type and a message naming the
function and the argument (found by calling every public function with None, strings,
objects and floats where it takes tensors, ints or sequences), never a crash."""

from __future__ import annotations

import numpy as np
import pytest

import arraygrad as ag

F = ag.nn.functional
X = ag.asarray(np.arange(6.0).reshape(2, 3))

CASES = [  # (call, exception, what the message names)
    (lambda: ag.addcmul(None, X, X), TypeError, "addcmul: input"),
    (lambda: ag.addcdiv(X, X, None), TypeError, "addcdiv: tensor2"),
    (lambda: ag.lerp(X, None, 0.5), TypeError, "lerp: end"),
    (lambda: ag.lerp(X, X, None), TypeError, "lerp: weight"),
    (lambda: ag.deg2rad(None), TypeError, "deg2rad: input"),
    (lambda: ag.rad2deg("abc"), TypeError, "rad2deg: input"),
    (lambda: ag.kron(X, None), TypeError, "kron: other"),
    (lambda: ag.cross(None, X), TypeError, "cross: input"),
    (lambda: ag.argwhere(None), TypeError, "argwhere: input"),
    (lambda: ag.dist(X, None), TypeError, "dist: other"),
    (lambda: ag.logaddexp2(None, X), TypeError, "logaddexp2: input"),
    (lambda: ag.hsplit(None, 2), TypeError, "hsplit: input"),
    (lambda: ag.vstack(None), TypeError, "vstack: tensors must be a list or tuple"),
    (lambda: ag.hstack([X, "x"]), TypeError, r"hstack: tensors\[1\]"),
    (lambda: ag.dstack([]), RuntimeError, "dstack expects a non-empty TensorList"),
    (lambda: ag.column_stack("abc"), TypeError, "column_stack: tensors"),
    (lambda: ag.prelu(X, None), TypeError, "prelu: weight"),
    (lambda: F.bilinear(X, None, X), TypeError, "bilinear: input2"),
    (lambda: F.linear(X, None), TypeError, "linear: weight"),
    (lambda: F.layer_norm(X, None), TypeError, "layer_norm: normalized_shape"),
    (lambda: F.rms_norm(X, "ab"), TypeError, "rms_norm: normalized_shape"),
    (lambda: F.pad(X, None), TypeError, "pad: pad"),
    (lambda: F.adaptive_avg_pool1d(X, object()), TypeError, "adaptive_avg_pool1d: output_size"),
    (lambda: F.affine_grid(ag.ones((1, 2, 3)), None, align_corners=False), TypeError, "affine_grid: size"),
    (lambda: ag.linalg.multi_dot(None), TypeError, "multi_dot: tensors"),
    (lambda: X.chunk(1.5), TypeError, "chunk: chunks must be an int"),
    (lambda: X.kthvalue(None), TypeError, "kthvalue: k"),
    (lambda: X.roll(None), TypeError, "roll: shift"),
    (lambda: ag.roll(X, [1, None]), TypeError, "roll: shift must be a sequence of ints"),
    (lambda: X.split(None), TypeError, "split: split_size_or_sections"),
    (lambda: X.split_with_sizes(None), TypeError, "split_with_sizes: split_sizes"),
    (lambda: X.unsqueeze(None), TypeError, "expand_dims: axis must be an int"),
    (lambda: X.vsplit(None), TypeError, "sections must be an int"),
    (lambda: X.broadcast_to(None), TypeError, "broadcast_to: size"),
    (lambda: X.equal(None), TypeError, "equal: other"),
    (lambda: X.expand_as(None), TypeError, "expand_as: other"),
    (lambda: X.view_as("abc"), TypeError, "view_as: other"),
    (lambda: X.reshape_as(None), TypeError, "reshape_as: other"),
    (lambda: X.type_as(None), TypeError, "type_as: other"),
    (lambda: X.resize_as_(None), TypeError, "resize_as_: tensor"),
    (lambda: X.resize_as(None), TypeError, "resize_as: tensor"),
    (lambda: X.hsplit([1.5, 2.0]), TypeError, "indices must be a sequence of ints"),
    (lambda: ag.register_backend("bad", 3), TypeError, "register_backend: plugin"),
    (lambda: ag.tril_indices(-1, 3), RuntimeError, "row must be non-negative"),
    (lambda: ag.triu_indices(3, -2), RuntimeError, "col must be non-negative"),
    (lambda: ag.tril_indices(2.5, 3), TypeError, "argument 'row' must be int"),
]


@pytest.mark.parametrize("call, exc, names", CASES, ids=[c[2].split(":")[0] for c in CASES])
def test_bad_argument_is_named(call, exc, names):
    with pytest.raises(exc, match=names):
        call()


def test_internal_op_functions_refuse_none_instead_of_crashing():
    """unary/binary (imported by public modules, so reachable as ag.special.binary) read the
    op as a C struct where compiled: None there crashed the interpreter."""
    from arraygrad import _dispatch

    with pytest.raises(TypeError, match="op must be an Op"):
        _dispatch.binary(None, X, X)
    with pytest.raises(TypeError, match="op must be an Op"):
        _dispatch.unary(None, X)


def test_namespace_exports_no_internal_helpers():
    """Names the star-imports and `from __future__` used to leak into arraygrad's namespace."""
    for name in ("annotations", "check_index_range", "torch_split"):
        assert not hasattr(ag, name), name


@pytest.mark.parametrize("rows, cols", [(0, 0), (3, 0), (1, 5), (5, 1), (4, 4), (3, 7), (7, 3)])
def test_triangle_indices_match_numpy(rows, cols):
    """tril_indices / triu_indices: O(N) from each row's run (was a Python loop over every
    (row, col) pair: seconds at 1500 x 1500)."""
    for offset in range(-8, 9):
        for fn, npfn in ((ag.tril_indices, np.tril_indices), (ag.triu_indices, np.triu_indices)):
            got = fn(rows, cols, offset)
            assert got.dtype == ag.int64 and tuple(got.shape)[0] == 2
            np.testing.assert_array_equal(np.asarray(got), np.stack(npfn(rows, offset, cols)).reshape(2, -1))
    assert ag.tril_indices(3, 3, dtype=ag.int32).dtype == ag.int32
    assert tuple(ag.tril_indices(2000, 2000).shape) == (2, 2001000)


def test_autograd_argument_errors_as_pytorch():
    x = ag.ones(3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="leaf variables"):
        y.requires_grad = True
    with pytest.raises(RuntimeError, match=r"inputs\[0\] does not require grad"):
        (x * 2).sum().backward(inputs=[ag.ones(2)])
    with pytest.raises(RuntimeError, match="cannot be empty"):
        ag.autograd.grad((x * 2).sum(), [])


def test_random_arguments_checked_as_pytorch():
    for call in (lambda: ag.bernoulli(ag.tensor([0.5]), p=2.0),
                 lambda: ag.empty(2).uniform_(3, 2), lambda: ag.multinomial(ag.tensor([1.0, float("inf")]), 1),
                 lambda: ag.multinomial(ag.tensor([1.0, 2.0]), 0)):
        with pytest.raises(ValueError):
            call()
    with pytest.raises(TypeError, match="floating point"):
        ag.bernoulli(ag.tensor([1, 0]))
    assert tuple(ag.randint(high=5, size=(3,)).shape) == (3,)
    with pytest.raises(TypeError, match="upper bound"):
        ag.randint(size=(3,))


def test_loading_torch_files_reads_weights_and_explains_the_rest(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "t.pt"
    torch.save({"a": torch.ones(2)}, path)
    assert ag.load(path)["a"].tolist() == [1.0, 1.0]  # torch.save's zip format: weights load
    torch.save({"a": torch.ones(2)}, path, _use_new_zipfile_serialization=False)
    with pytest.raises(ValueError, match="legacy format"):
        ag.load(path)


SHAPE_MISMATCHES = {  # PyTorch raises RuntimeError for each; the array API libraries ValueError
    "broadcasting": lambda m: m.ones((2, 3)) + m.ones(4),
    "broadcasting a Parameter": lambda m: m.nn.Parameter(m.ones((2, 3))) * m.ones(4),
    "in place": lambda m: m.ones((2, 3)).mul_(m.ones(4)),
    "where": lambda m: m.where(m.ones(3) > 0, m.ones(3), m.ones(4)),
    "matmul": lambda m: m.ones((2, 3)) @ m.ones((4, 2)),
    "mm": lambda m: m.mm(m.ones((2, 3)), m.ones((4, 2))),
    "bmm": lambda m: m.bmm(m.ones((2, 2, 3)), m.ones((2, 4, 2))),
    "dot": lambda m: m.dot(m.ones(3), m.ones(4)),
    "cat": lambda m: m.cat([m.ones((2, 3)), m.ones((2, 4))]),
    "stack": lambda m: m.stack([m.ones(2), m.ones(3)]),
    "Linear": lambda m: m.nn.Linear(5, 2)(m.ones((2, 3))),
    "Conv2d channels": lambda m: m.nn.Conv2d(3, 4, 3)(m.ones((1, 2, 8, 8))),
}


@pytest.mark.parametrize("case", SHAPE_MISMATCHES)
def test_shape_mismatches_raise_what_both_pytorch_and_the_standard_expect(case):
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        SHAPE_MISMATCHES[case](torch)
    with pytest.raises(RuntimeError) as info:
        SHAPE_MISMATCHES[case](ag)
    assert isinstance(info.value, ValueError)
    assert "shape" in str(info.value)
