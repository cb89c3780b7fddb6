"""The optional compiled core (setup.py, arraygrad/_compiled.py): the same sources run
compiled or not, and the switches that choose between them work. The whole suite runs on
both builds (the README's test command runs it a second time with ARRAYGRAD_PURE_PYTHON=1)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import arraygrad as xp
from arraygrad import _compiled

PURE = _compiled.pure_python_requested()


def _built():
    return [b for name in _compiled.COMPILED for b in _compiled._files(name)[1]]


def _run(code, **env):
    proc = subprocess.run([sys.executable, "-W", "always", "-c", code], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **env})
    assert proc.returncode == 0, proc.stderr
    return proc


def test_this_process_runs_the_build_it_should():
    if PURE or not _built():
        assert not _compiled.is_compiled()
    else:
        assert _compiled.is_compiled(), "compiled modules were built but not loaded (stale?)"


def _can_compile() -> bool:
    import importlib.util
    import shutil
    import sysconfig

    headers = os.path.join(sysconfig.get_paths()["include"], "Python.h")
    return (importlib.util.find_spec("Cython") is not None and os.path.exists(headers)
            and shutil.which(sysconfig.get_config_var("CC").split()[0] or "cc") is not None)


@pytest.mark.skipif(PURE, reason="the plain-Python run")
def test_the_core_is_compiled_where_it_can_be():
    """setup.py installs the sources when a module fails to compile, so that installs never
    fail; here, where Cython, a C compiler and Python's headers are present, a failure is a
    bug (the install's output has the compiler's message)."""
    if not _can_compile():
        pytest.skip("no Cython, C compiler or Python headers here")
    assert len(_built()) == len(_compiled.COMPILED), "run `pip install -e .` and read its warnings"
    assert _compiled.is_compiled()


def test_pure_python_switch_loads_the_sources():
    code = ("import arraygrad, arraygrad._compiled as c; print(c.is_compiled(), "
            "arraygrad._dispatch.__file__, arraygrad._autograd.engine.__file__)")
    out = _run(code, ARRAYGRAD_PURE_PYTHON="1").stdout.split()
    assert out[0] == "False" and out[1].endswith("_dispatch.py") and out[2].endswith("engine.py")


@pytest.mark.skipif(PURE or not _built(), reason="no compiled build to compare")
def test_both_builds_give_the_same_values_and_gradients():
    code = ("import arraygrad as xp; x = xp.linspace(-2, 2, 7, dtype=xp.float64, requires_grad=True);"
            "y = (xp.tanh(x) * x ** 3).sum() + xp.max(x); g, = xp.autograd.grad(y, x, create_graph=True);"
            "h, = xp.autograd.grad(g.sum(), x); print(repr([float(y), *map(float, g), *map(float, h)]))")
    compiled = _run(code).stdout
    pure = _run(code, ARRAYGRAD_PURE_PYTHON="1").stdout
    assert compiled == pure


def test_a_build_older_than_its_source_is_not_used(tmp_path):
    """An editable install whose sources changed after the build runs the sources, with a
    warning, instead of the old compiled code."""
    for name in _compiled.COMPILED:
        source, built = _compiled._files(name)
        assert _compiled._stale(source, []) is False
        fake = tmp_path / (os.path.basename(source)[:-3] + ".cpython-311-x86_64-linux-gnu.so")
        fake.write_bytes(b"")
        os.utime(fake, (1, 1))  # built in 1970
        assert _compiled._stale(source, [str(fake)]) is True
        os.utime(fake, None)  # built now, after the source
        assert _compiled._stale(source, [str(fake)]) is False


def test_finder_only_claims_its_modules():
    finder = _compiled._LoadSources(_compiled.COMPILED)
    assert finder.find_spec("arraygrad._tensor", None) is None
    spec = finder.find_spec("arraygrad._dispatch", None)
    assert spec.origin.endswith("_dispatch.py")


def test_tensor_layout_is_shared_by_subclasses():
    """Tensor keeps its state in TensorBase (a C struct when compiled): subclasses such as
    Parameter add no instance dict, and weak references work."""
    import weakref

    p = xp.nn.Parameter(xp.ones(2))
    assert not hasattr(p, "__dict__") and not hasattr(xp.ones(1), "__dict__")
    assert weakref.ref(p)() is p
    with pytest.raises(AttributeError):
        xp.ones(1).not_an_attribute = 1
