"""`import arraygrad` pulls in no array library (array-api-compat's test_no_dependencies):
the core never imports one, and the NumPy backend (with NumPy) loads when a CPU tensor is
first made. Checked in fresh interpreters, since this test session imports them all."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

LIBRARIES = ("numpy", "cupy", "torch", "jax", "array_api_strict", "array_api_compat", "scipy",
             "arraygrad_numpy", "arraygrad_cupy", "dask", "sparse")


def _imported_after(code: str) -> list[str]:
    probe = (f"import sys, json\n{code}\n"
             f"print(json.dumps(sorted(m for m in {LIBRARIES!r} if m in sys.modules)))")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_import_arraygrad_imports_no_array_library():
    assert _imported_after("import arraygrad") == []


def test_namespace_queries_import_no_array_library():
    code = ("import arraygrad as xp\n"
            "xp.result_type(xp.int8, xp.float32); xp.finfo(xp.float32)\n"
            "xp.isdtype(xp.int8, 'integral'); xp.device('cuda:1'); xp.cuda.is_available()")
    # asking about CUDA loads its plugin (and CuPy, where installed)
    assert set(_imported_after(code)) <= {"cupy", "arraygrad_cupy"}


def test_numpy_loads_lazily_with_the_first_cpu_tensor():
    assert _imported_after("import arraygrad as xp\nxp.ones(3)") == ["arraygrad_numpy", "numpy"]


@pytest.mark.parametrize("lib", ["cupy", "torch", "jax", "array_api_strict"])
def test_cpu_work_imports_no_other_library(lib):
    code = ("import arraygrad as xp\n"
            "x = xp.asarray([1.0, 2.0], requires_grad=True)\n"
            "(xp.exp(x) * 2).sum().backward()\nxp.linalg.matmul(x[None], x[:, None])")
    assert lib not in _imported_after(code)
