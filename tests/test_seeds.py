"""The seed tutorials, block by block, with `import torch` importing arraygrad.

Each tutorial's blocks run in order in one namespace, as a reader runs them; every block has
a test here that checks what the tutorial says about it: the printed values (the tutorial's
own output blocks, with "torch." read as "arraygrad." where a dtype prints), dtypes, shapes,
and which tensors and arrays share memory. CUDA blocks run where a GPU is; without one,
the `if torch.cuda.is_available():` blocks run (and do nothing) and the others must fail
with the error that says why. `_seed_blocks.py` holds the blocks; the last test checks that
it still matches shared/seeds when that folder is present.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import arraygrad
import arraygrad.autograd
from arraygrad import BackendUnavailableError

sys.path.insert(0, os.path.dirname(__file__))
from _seed_blocks import BLOCKS, TYPO_FIXES  # noqa: E402

CUDA = arraygrad.cuda.is_available()
needs_cuda = pytest.mark.skipif(not CUDA, reason="the tutorial's CUDA code needs a GPU")
without_cuda = pytest.mark.skipif(CUDA, reason="checks the error raised without a GPU")


def code(seed, k):
    kind, text = BLOCKS[seed][k]
    for old, new in TYPO_FIXES.get((seed, k), ()):
        text = text.replace(old, new)
    return text


def output(seed, k):
    """A block of the tutorial's printed output, as arraygrad prints it."""
    assert BLOCKS[seed][k][0] == "output"
    return BLOCKS[seed][k][1].replace("torch.", "arraygrad.")


class Reader:
    """Runs blocks in one namespace with `torch` meaning arraygrad; returns what they print."""

    def __init__(self, seed):
        self.seed = seed
        self.ns = {"__name__": "tutorial"}

    def run(self, k) -> str:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            exec(compile(code(self.seed, k), f"seed {self.seed} block {k}", "exec"), self.ns)
        return buf.getvalue()

    def upto(self, k):
        """Run the earlier blocks that run here (setting up the namespace for block k)."""
        for i in range(k):
            if BLOCKS[self.seed][i][0] in ("code", "typo"):
                err = _expected_error(self.seed, i)
                if err is None:
                    self.run(i)
                else:
                    with pytest.raises(err):
                        self.run(i)
        return self

    def __getitem__(self, name):
        return self.ns[name]


@pytest.fixture(autouse=True)
def torch_is_arraygrad(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", arraygrad)
    monkeypatch.setitem(sys.modules, "torch.autograd", arraygrad.autograd)
    arraygrad.manual_seed(0)


def shares(t, a) -> bool:
    return np.shares_memory(t.numpy(), a) if not t.requires_grad else False


# ----- 000: Tensor(ndarray), from_numpy, .numpy(), CUDA tensor types ----------------------
def test_000_tensor_copies_from_numpy_shares():
    r = Reader("000")
    out = r.run(0)
    arr, t1, t2 = r["numpy_tensor"], r["pytorch_tensor1"], r["pytorch_tensor2"]
    assert t1.dtype == arraygrad.float32 and t2.dtype == arraygrad.float64
    assert not shares(t1, arr) and shares(t2, arr)
    assert np.allclose(t1.numpy(), arr, atol=1e-6) and np.array_equal(t2.numpy(), arr)
    # the tutorial's outputs: a float32 tensor (no dtype shown) and a float64 one
    first, second = output("000", 1), output("000", 2)
    assert first.startswith("pytorch_tensor1:") and "dtype" not in first
    assert second.rstrip().endswith("dtype=arraygrad.float64)")
    assert out == f"{t1!r}\n{t2!r}\n" and repr(t2).endswith("dtype=arraygrad.float64)")


def test_000_numpy_of_cpu_tensors():
    r = Reader("000")
    out = r.run(3)
    a1, a2 = r["numpy_array1"], r["numpy_array2"]
    assert a1.dtype == np.float32 and a2.dtype == np.float64  # what output block 4 shows
    assert "numpy_array1:" in output("000", 4)
    assert shares(r["pytorch_tensor2"], r["numpy_tensor"]) and np.shares_memory(a2, r["numpy_tensor"])
    assert out.startswith(str(a1))


@needs_cuda
@pytest.mark.skipif(arraygrad.cuda.device_count() < 2, reason="the block uses a second GPU")
def test_000_cuda_tensor_types():
    r = Reader("000")
    r.run(5)
    assert r["gpu_tensor"].is_cuda and r["gpu_tensor"].device == arraygrad.device("cuda:1")


@without_cuda
def test_000_cuda_tensor_types_need_a_gpu():
    with pytest.raises(BackendUnavailableError, match="cuda"):
        Reader("000").upto(5).run(5)


def test_000_my_test_code():
    r = Reader("000")
    if CUDA:
        out = r.run(6)
        assert r["gpu_tensor1"].type() == "torch.cuda.FloatTensor" and r["gpu_tensor2"].is_cuda
        assert "device='cuda:0'" in out
    else:  # the CPU half runs; the CUDA half says there is no GPU
        with pytest.raises(BackendUnavailableError, match="cuda"):
            r.run(6)
        assert r["numpy_array1"].dtype == np.float32 and r["dtype"] is arraygrad.cuda.FloatTensor


# ----- 001: ones/numpy/add_, from_numpy/np.add, CUDA via .to ------------------------------
def test_001_shell_block_is_not_python():
    assert BLOCKS["001"][0] == ("shell", "pip3 install torch torchvision torchaudio")


def test_001_cuda_is_available():
    assert Reader("001").run(1) == f"{CUDA}\n"


def test_001_numpy_shares_memory_with_tensor():
    r = Reader("001").upto(2)
    assert r.run(2) == output("001", 3) + "\n"
    assert r.run(4) == output("001", 5) + "\n"
    assert np.array_equal(r["b"], np.full(5, 2.0, np.float32))


def test_001_from_numpy_shares_memory_with_array():
    r = Reader("001").upto(6)
    assert r.run(6) == output("001", 7) + "\n"


def test_001_cuda_to_device():
    r = Reader("001").upto(8)
    r.ns["x"] = arraygrad.tensor([0.4549])  # the block uses an `x` the tutorial made elsewhere
    out = r.run(8)
    if CUDA:
        lines = output("001", 9).splitlines()
        assert out.splitlines()[0].endswith("device='cuda:0')") and out.splitlines()[1] == lines[1]
    else:
        assert out == ""


# ----- 002: the 60-minute blitz -------------------------------------------------------------
def test_002_imports():
    assert Reader("002").run(0) == ""


@pytest.mark.parametrize("k, shape, dtype", [(1, (5, 3), "float32"), (3, (5, 3), "float32"),
                                             (5, (5, 3), "int64"), (7, (2,), "float32")])
def test_002_construction(k, shape, dtype):
    r = Reader("002").upto(k)
    r.run(k)
    x = r["x"]
    assert isinstance(x, arraygrad.Tensor) and x.shape == shape and x.dtype.name == dtype
    if k == 3:
        assert bool(((x >= 0) & (x < 1)).all())
    if k == 5:
        assert repr(x) == "tensor([[0, 0, 0],\n" + "        [0, 0, 0],\n" * 3 + "        [0, 0, 0]])"
    if k == 7:
        assert repr(x) == "tensor([5.5000, 3.0000])"


@pytest.mark.parametrize("k", [2, 4, 6, 8, 12, 13, 15, 17, 19, 22, 26])
def test_002_numpy_counterparts_run(k):
    """The NumPy versions beside each PyTorch block (they need only numpy)."""
    r = Reader("002").upto(k)
    r.run(k)
    assert isinstance(r["x"], np.ndarray)


def test_002_new_ones_and_randn_like():
    r = Reader("002").upto(9)
    out = r.run(9).splitlines()
    assert out[0] == "tensor([5.5000, 3.0000])"
    assert out[1:6] == ["tensor([[1., 1., 1.],"] + ["        [1., 1., 1.],"] * 3 + \
        ["        [1., 1., 1.]], dtype=arraygrad.float64)"]
    x = r["x"]
    assert x.dtype == arraygrad.float32 and x.shape == (5, 3)


def test_002_size_and_shape():
    r = Reader("002").upto(10)
    r.run(10)
    r.run(11)
    x = r["x"]
    assert x.size() == x.shape == (5, 3) and isinstance(x.size(), tuple)
    assert repr(x.size()) == "arraygrad.Size([5, 3])" and x.size(1) == 3 and x.size == 15


@pytest.mark.parametrize("k", [14, 16])
def test_002_addition(k):
    r = Reader("002").upto(k)
    out = r.run(k)
    x, y = r["x"], r["y"]
    assert out.endswith(repr(x + y) + "\n")


def test_002_add_out():
    r = Reader("002").upto(18)
    out = r.run(18)
    x, y, result = r["x"], r["y"], r["result"]
    assert result.equal(x + y) and out.endswith(repr(x + y) + "\n")


def test_002_add_in_place_keeps_identity():
    r = Reader("002").upto(20)
    out = r.run(20).splitlines()
    ids = [line for line in out if line.isdigit()]
    assert len(ids) == 2 and ids[0] == ids[1] == str(id(r["y"]))


def test_002_indexing():
    r = Reader("002").upto(21)
    out = r.run(21)
    assert out.endswith(repr(r["x"][:, 1]) + "\n") and r["x"][:, 1].shape == (5,)


@pytest.mark.parametrize("k, same_memory", [(23, True), (24, True)])
def test_002_view_and_reshape(k, same_memory):
    r = Reader("002").upto(k)
    out = r.run(k)
    x, y, z = r["x"], r["y"], r["z"]
    assert out.endswith("arraygrad.Size([4, 4]) arraygrad.Size([16]) arraygrad.Size([2, 8])\n")
    x[0, 0] = 42.0  # a view: written through x, seen through y and z
    assert (float(y[0]) == 42.0) is same_memory and (float(z[0, 0]) == 42.0) is same_memory


def test_002_item():
    r = Reader("002").upto(25)
    out = r.run(25).splitlines()
    assert isinstance(r["x"].item(), float) and out[1] == repr(r["x"].item())


def test_002_numpy_bridge():
    r = Reader("002").upto(27)
    r.run(27)
    r.run(28)
    assert np.array_equal(r["b"], np.ones(5, np.float32))
    r.run(29)
    r.run(30)
    assert np.array_equal(r["b"], np.full(5, 2.0, np.float32))
    assert repr(r["a"]) == "tensor([2., 2., 2., 2., 2.])"


@needs_cuda
def test_002_cuda_numpy_bridge():
    r = Reader("002").upto(31)
    r.run(31)
    assert r["a"].is_cuda
    with pytest.raises(TypeError, match=r"cpu\(\)"):
        r.run(32)
    r.run(33)
    r.run(34)
    r.run(35)
    assert np.array_equal(r["b"], np.ones(5, np.float32))  # a copy: the GPU tensor moved on
    assert repr(r["a"]) == "tensor([2., 2., 2., 2., 2.], device='cuda:0')"


@without_cuda
def test_002_cuda_tensor_needs_a_gpu():
    r = Reader("002").upto(31)
    for k in (31, 37):
        with pytest.raises(BackendUnavailableError, match="cuda"):
            r.run(k)


def test_002_from_numpy():
    r = Reader("002").upto(36)
    out = r.run(36)
    assert out == "[2. 2. 2. 2. 2.]\ntensor([2., 2., 2., 2., 2.], dtype=arraygrad.float64)\n"


@needs_cuda
def test_002_from_numpy_then_cuda_copies():
    r = Reader("002").upto(37)
    r.run(37)
    assert np.array_equal(r["a"], np.full(5, 2.0)) and bool((r["b"].cpu() == 1).all())


def test_002_cuda_block():
    r = Reader("002").upto(38)
    out = r.run(38)
    if CUDA:
        assert "device='cuda:0'" in out and "dtype=arraygrad.float64" in out
    else:
        assert out == "" and r["x"].shape == (2, 3)


# ----- 003: Tensor(5,3), t_, numpy bridge, Variable and backward -----------------------------
def test_003_tensor_and_operations():
    r = Reader("003")
    out = r.run(0)
    x, y, result = r["x"], r["y"], r["result"]
    assert x.shape == (3, 5) and y.shape == (5, 3)  # t_ transposed x in place
    assert bool((result == y).all())  # x was zeros: result = x + y; then y += x
    assert out.endswith(repr(x) + "\n" + repr(x[:, 1]) + "\n")


def test_003_tensor_to_numpy():
    r = Reader("003")
    assert r.run(1) == "tensor([1., 1., 1., 1., 1.])\n[1. 1. 1. 1. 1.]\n" \
                       "tensor([2., 2., 2., 2., 2.])\n[2. 2. 2. 2. 2.]\n"


def test_003_numpy_to_tensor_item_assignment():
    r = Reader("003")
    out = r.run(2).splitlines()
    assert out[2:] == ["[333.   2.   2.   2.   2.]",
                       "tensor([333.,   2.,   2.,   2.,   2.], dtype=arraygrad.float64)"]


def test_003_cuda_block():
    r = Reader("003")
    out = r.run(3)
    assert r["x"].is_cuda is CUDA and (out != "") is CUDA


def test_003_variable_and_backward():
    r = Reader("003")
    assert r.run(4) == output("003", 5) + "\n"
    assert r.run(6) == output("003", 7) + "\n"
    with pytest.raises(AttributeError, match="creator"):  # "报错，已替换为grad_fn"
        r.run(8)
    r.ns["_out"] = io.StringIO()
    exec("print(y.grad_fn, file=_out)", r.ns)  # the block's second line
    assert re.fullmatch(r"<AddBackward0 object at 0x[0-9a-f]+>\n", r.ns["_out"].getvalue())
    assert re.fullmatch(r"<AddBackward0 object at 0x[0-9A-F]+>", output("003", 9))
    assert r.run(10) == output("003", 11) + "\n"
    assert r.run(12) == ""
    assert r.run(13) == output("003", 14) + "\n"


def test_003_backward_with_gradients():
    r = Reader("003").upto(15)
    out = r.run(15)
    x, y = r["x"], r["y"]
    factor = float((y / x)[0])
    assert factor >= 1024 and math_is_power_of_two(factor) and float(y.data.norm()) >= 1000
    assert out.endswith("grad_fn=<MulBackward0>)\n") and "grad_fn=<MulBackward0>" in output("003", 16)
    out = r.run(17)
    expected = arraygrad.tensor([0.1, 1.0, 0.0001]) * factor
    assert bool(arraygrad.isclose(x.grad, expected).all())
    if factor == 1024:
        assert out == output("003", 18).strip() + "\n"
    assert repr(arraygrad.tensor([0.1, 1.0, 0.0001]) * 1024) == output("003", 18).strip()


def math_is_power_of_two(v) -> bool:
    return v == 2 ** round(np.log2(v))


def test_003_cifar_is_out_of_scope():
    assert "torchvision" in BLOCKS["003"][19][1]  # needs torchvision and a download


# ----- 004: the same ground, and the autograd basics ------------------------------------------
def test_004_typos_are_the_only_changes():
    for (seed, k), fixes in TYPO_FIXES.items():
        with pytest.raises(SyntaxError):
            compile(BLOCKS[seed][k][1], "verbatim", "exec")
        compile(code(seed, k), "mended", "exec")
        assert len(code(seed, k)) - len(BLOCKS[seed][k][1]) <= len(fixes)


def test_004_creation():
    r = Reader("004")
    out = r.run(0).splitlines()
    assert "tensor([2.5000, 3.5000])" in out and out[-1] == "arraygrad.Size([5, 3])"
    assert r["x"].dtype == arraygrad.float64 and r["y"].dtype == arraygrad.float32


def test_004_addition():
    r = Reader("004").upto(1)
    r.run(1)
    y, result = r["y"], r["result"]
    assert result.dtype == arraygrad.float32 and y.dtype == arraygrad.float32
    assert y.equal(result)
    assert bool(((result >= 1) & (result < 2)).all())  # x is ones: result = x + y, then y += x


def test_004_slicing_view_item():
    r = Reader("004").upto(2)
    assert r.run(2) == "tensor([1., 1., 1., 1., 1.], dtype=arraygrad.float64)\n"
    assert r.run(3).endswith("arraygrad.Size([4, 4]) arraygrad.Size([16]) arraygrad.Size([2, 8])\n")
    assert r["y"].data_ptr() == r["x"].data_ptr() == r["z"].data_ptr()
    out = r.run(4).splitlines()
    assert out[1] == repr(r["x"].item())


def test_004_numpy_bridge():
    r = Reader("004").upto(5)
    assert r.run(5).splitlines()[-1] == "[2. 2. 2. 2. 2.]"
    assert r.run(6).splitlines()[-1] == "tensor([2., 2., 2., 2., 2.], dtype=arraygrad.float64)"


def test_004_cuda_block():
    r = Reader("004").upto(7)
    out = r.run(7)
    assert (out != "") is CUDA


def test_004_autograd():
    r = Reader("004").upto(8)
    assert r.run(8).splitlines()[-2:] == ["tensor([[1., 1.],", "        [1., 1.]], requires_grad=True)"]
    assert r.run(9) == "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)\n"
    out = r.run(10).splitlines()
    assert out[0] == "None" and out[1].startswith("<AddBackward0 object at 0x")
    assert r.run(11) == ("tensor([[27., 27.],\n        [27., 27.]], grad_fn=<MulBackward0>) "
                         "tensor(27., grad_fn=<MeanBackward0>)\n")
    out = r.run(12).splitlines()
    assert out[:2] == ["False", "True"] and out[2].startswith("<SumBackward0 object at")
    assert r.run(13) == "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])\n"
    assert r.run(14) == "True\nTrue\nFalse\n"
    assert r.run(15) == "True\nFalse\ntensor(True)\n"


# ----- every block is covered, and the copy matches the tutorials -----------------------------
def _seed_dir():
    here = Path(__file__).resolve().parent.parent
    for p in (here.parent / "shared" / "seeds", here / "shared" / "seeds", Path("/work/shared/seeds")):
        if p.is_dir():
            return p
    return None


def _blocks_of(text):
    """The ``` / ~~~ fenced blocks and reST `::` literal blocks of a tutorial, in order."""
    lines, out, i = text.split("\n"), [], 0
    while i < len(lines):
        m = re.match(r"\s*(```|~~~)", lines[i])
        if m:
            j = i + 1
            while j < len(lines) and not lines[j].strip().startswith(m.group(1)):
                j += 1
            out.append("\n".join(lines[i + 1:j]))
            i = j + 1
        elif lines[i].rstrip().endswith("::") and not lines[i].strip().startswith(".."):
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            start = j
            while j < len(lines) and (not lines[j].strip() or lines[j].startswith((" ", "\t"))):
                j += 1
            out.append(textwrap.dedent("\n".join(lines[start:j])).strip("\n"))
            i = j
        else:
            i += 1
    return ["\n".join(line.rstrip() for line in b.split("\n")) for b in out]


def test_zz_the_copied_blocks_match_the_seeds():
    where = _seed_dir()
    if where is None:
        pytest.skip("shared/seeds is not beside this checkout")
    for path in sorted(where.glob("*.txt")):
        assert [text for _, text in BLOCKS[path.name[:3]]] == _blocks_of(path.read_text()), path.name


# Blocks that raise here, as the tutorial says they do (or as they must without a GPU).
def _expected_error(seed, k):
    if (seed, k) == ("003", 8):
        return AttributeError  # y.creator: "报错，已替换为grad_fn"
    if (seed, k) == ("002", 32):
        return TypeError  # numpy() of a CUDA tensor: call .cpu() first
    if (seed, k) == ("000", 5) and arraygrad.cuda.device_count() < 2:
        return ValueError if CUDA else BackendUnavailableError  # .cuda(1): a second GPU
    if (seed, k) == ("000", 6) and not CUDA:
        return BackendUnavailableError
    return None


@pytest.mark.parametrize("seed", sorted(BLOCKS))
def test_every_block_runs_in_order(seed):
    """Each tutorial from top to bottom: every code block runs (CUDA ones where a GPU is),
    or fails as the tutorial says; output, shell and out-of-scope blocks are not code."""
    r = Reader(seed)
    ran = 0
    for k, (kind, _) in enumerate(BLOCKS[seed]):
        if kind in ("output", "shell", "scope") or kind == "cuda" and not CUDA:
            continue
        err = _expected_error(seed, k)
        if err is None:
            r.run(k)
        else:
            with pytest.raises(err):
                r.run(k)
        ran += 1
    assert ran >= 3
