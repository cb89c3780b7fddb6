"""The backend registry (src/arraygrad/_registry.py): entry points listed without importing
the plugins, lazy loading, plugins that fail to load (never breaking `import arraygrad`, and
naming the cause when used), `register_backend` for unpackaged plugins, `backends()`, and
CUDA devices on a machine without CUDA."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import arraygrad as xp
from arraygrad import Backend, BackendUnavailableError
from arraygrad._registry import unregister_backend

CUDA = xp.cuda.is_available()


def run_python(code: str, extra_path: str | None = None) -> dict:
    """Run `code` in a fresh interpreter; it prints one JSON object as its last line."""
    env = dict(os.environ)
    if extra_path:
        env["PYTHONPATH"] = extra_path + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=env, timeout=120, cwd=os.path.dirname(__file__))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ----- entry points -----------------------------------------------------------------------
def test_entry_points_are_listed_without_importing_plugins():
    out = run_python("""
        import json, sys
        import arraygrad
        from arraygrad import _registry
        _registry._scan_entry_points()
        print(json.dumps({"names": sorted(_registry._factories),
                          "loaded": [m for m in ("cupy", "arraygrad_cupy") if m in sys.modules]}))
    """)
    assert {"numpy", "cupy"} <= set(out["names"])
    assert out["loaded"] == []


def test_cpu_work_never_imports_cupy():
    out = run_python("""
        import json, sys
        import arraygrad as xp
        x = xp.asarray([1.0, 2.0], requires_grad=True)
        (x * x).sum().backward()
        xp.__array_namespace_info__().default_device()
        print(json.dumps({"cupy": "cupy" in sys.modules, "grad": x.grad.tolist()}))
    """)
    assert out == {"cupy": False, "grad": [2.0, 4.0]}


def test_backends_answers_pytorchs_backend_flags():
    # seeding boilerplate written for PyTorch: torch.backends.cudnn.deterministic = True
    flags = xp.backends.cudnn
    assert flags.is_available() is False and flags.version() is None  # arraygrad calls no cuDNN
    saved = flags.deterministic, flags.benchmark
    try:
        flags.deterministic, flags.benchmark = True, False
        assert xp.backends.cudnn.deterministic is True and xp.backends.cudnn.benchmark is False
    finally:
        flags.deterministic, flags.benchmark = saved
    # the mps query asks the registry: the test suite's fake "mps" device is served here
    assert xp.backends.mps.is_available() is True
    assert isinstance(xp.backends(), list)


def test_backends_lists_registered_backends():
    info = {b.name: b for b in xp.backends()}
    assert {"numpy", "cupy", "strict", "strict_no_float64"} <= set(info)
    assert info["numpy"].available and info["numpy"].device_type == "cpu"
    assert info["numpy"].reason is None
    assert info["strict"].available
    assert info["strict_no_float64"].device_type == "mps"
    assert info["cupy"].available is CUDA
    if not CUDA:
        assert info["cupy"].reason  # why not: CuPy missing, or no GPU
        assert "cupy" in repr(info["cupy"]) and "unavailable" in repr(info["cupy"])


@pytest.mark.skipif(CUDA, reason="checks the error a machine without CUDA gives")
@pytest.mark.parametrize("spec", ["cuda", "cuda:0", "cuda:1"])
def test_cuda_without_cuda_is_a_clear_error(spec):
    with pytest.raises(BackendUnavailableError, match="cuda") as info:
        xp.zeros(2, device=spec)
    # an ImportError (what is missing), and a RuntimeError as PyTorch's "Cannot initialize CUDA"
    assert isinstance(info.value, ImportError) and isinstance(info.value, RuntimeError)
    assert info.value.__cause__ is not None or "no cuda device" in str(info.value).lower()
    assert xp.cuda.device_count() == 0 and not xp.cuda.is_available()


@pytest.mark.cuda
def test_cuda_index_out_of_range():
    with pytest.raises(ValueError, match="does not exist"):
        xp.zeros(2, device=f"cuda:{xp.cuda.device_count()}")


# ----- a plugin that fails to load ------------------------------------------------------------
BROKEN_PLUGIN = '''
import nonexistent_array_library_xyz  # the plugin's library is not installed
'''


@pytest.fixture
def broken_plugin_dir(tmp_path):
    """A distribution on sys.path whose entry point names a module that cannot import."""
    dist = tmp_path / "broken_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[arraygrad.backends]\nbroken = broken_plugin_mod:BrokenBackend\n")
    (tmp_path / "broken_plugin_mod.py").write_text(BROKEN_PLUGIN)
    return str(tmp_path)


def test_broken_entry_point_never_breaks_import(broken_plugin_dir):
    out = run_python("""
        import json
        import arraygrad as xp
        x = xp.ones(3) * 2                      # the rest works
        info = {b.name: [b.available, b.reason] for b in xp.backends()}
        try:
            xp.get_backend(xp.device("cpu", backend="broken"))
            error = None
        except xp.BackendUnavailableError as exc:
            error = [type(exc).__name__, str(exc), type(exc.__cause__).__name__]
        print(json.dumps({"sum": float(xp.sum(x)), "info": info.get("broken"), "error": error}))
    """, extra_path=broken_plugin_dir)
    assert out["sum"] == 6.0
    available, reason = out["info"]
    assert available is False and "nonexistent_array_library_xyz" in reason
    name, message, cause = out["error"]
    assert "broken" in message and "nonexistent_array_library_xyz" in message
    assert cause == "ModuleNotFoundError"


class _MissingLibraryBackend(Backend):
    name = "missing_lib"
    device_type = "tpu"

    @classmethod
    def load_namespace(cls):
        import nonexistent_array_library_xyz  # noqa: F401

        raise AssertionError("unreachable")


@pytest.fixture
def missing_lib():
    xp.register_backend("missing_lib", _MissingLibraryBackend)
    yield
    unregister_backend("missing_lib")


def test_plugin_whose_library_is_missing(missing_lib):
    info = {b.name: b for b in xp.backends()}["missing_lib"]
    assert not info.available and "nonexistent_array_library_xyz" in info.reason
    for make in (lambda: xp.zeros(2, device="tpu"), lambda: xp.get_backend("tpu:0"),
                 lambda: xp.asarray([1.0]).to_device("tpu")):
        with pytest.raises(BackendUnavailableError, match="nonexistent_array_library_xyz"):
            make()
    assert float(xp.sum(xp.ones(2))) == 2.0  # other backends are unaffected


def test_factory_that_raises_is_remembered():
    calls = []

    def factory():
        calls.append(1)
        raise ImportError("No module named 'fancy_gpu_lib'")

    xp.register_backend("fancy", factory)
    try:
        for _ in range(2):
            with pytest.raises(BackendUnavailableError, match="fancy_gpu_lib"):
                xp.get_backend(xp.device("cpu", backend="fancy"))
        assert calls == [1]  # the failure is cached with its cause
        assert not {b.name: b for b in xp.backends()}["fancy"].available
    finally:
        unregister_backend("fancy")


def test_factory_returning_a_non_backend():
    xp.register_backend("bogus", lambda: object)
    try:
        with pytest.raises(BackendUnavailableError, match="Backend"):
            xp.get_backend(xp.device("cpu", backend="bogus"))
    finally:
        unregister_backend("bogus")


# ----- register_backend, set_default_backend -------------------------------------------------
def test_register_backend_for_unpackaged_plugin():
    from _strict_backend import StrictBackend

    class Strict2(StrictBackend):
        name = "strict2"

    xp.register_backend("strict2", Strict2)
    try:
        d = xp.device("cpu", backend="strict2")
        t = xp.arange(4, device=d)
        assert t.device == d and type(t._data) is xp.get_backend(d).array_type
        assert xp.get_backend(d) is xp.get_backend(d)  # one instance per device
        assert "strict2" in {b.name for b in xp.backends()}
        numpy_cpu = xp.get_backend("cpu")  # a device string, looked up (and remembered) once
        xp.register_backend("strict2", Strict2, default_for="cpu")
        assert xp.zeros(1).device == d
        assert xp.get_backend("cpu") is xp.get_backend(d) is not numpy_cpu  # not the remembered one
        assert xp.zeros(1, device="cpu").device == d
    finally:
        unregister_backend("strict2")
    assert xp.zeros(1).device == xp.device("cpu", backend="numpy")
    assert xp.get_backend("cpu") is numpy_cpu
    with pytest.raises(ValueError, match="strict2"):
        xp.get_backend(xp.device("cpu", backend="strict2"))


def test_register_backend_errors():
    with pytest.raises(TypeError, match="register_backend"):
        xp.register_backend("", Backend)
    with pytest.raises(TypeError, match="register_backend"):
        xp.register_backend(3, Backend)


def test_set_default_backend_errors():
    with pytest.raises(ValueError, match="mps"):
        xp.set_default_backend("cpu", "strict_no_float64")  # serves "mps", not "cpu"
    with pytest.raises(ValueError, match="registered"):
        xp.set_default_backend("cpu", "no_such_backend")


def test_unknown_backend_name():
    with pytest.raises(ValueError, match="no_such_backend"):
        xp.zeros(2, device=xp.device("cpu", backend="no_such_backend"))


def test_extrema_reads_min_and_max(backend):
    # the range checks of index arrays and class targets: one transfer (one GPU sync)
    for values, want in (([3, -7, 12, 0], (-7, 12)), ([5], (5, 5))):
        for dtype in ("int8", "int32", "int64"):
            arr = backend.asarray(np.array(values, dtype=dtype))
            got = backend.extrema(arr)
            assert got == want and all(type(v) is int for v in got), (dtype, got)
    assert backend.extrema(backend.asarray(np.array([7, 250], dtype="uint8"))) == (7, 250)
    # sizes around one block's 256 threads and past the one-block bound (CuPy's kernel),
    # strided views, int64's ends and uint64 values past int64's
    rng = np.random.default_rng(0)
    for n in (255, 257, 1000, 70_000):
        values = rng.integers(-10**6, 10**6, n)
        values[n // 3], values[-1] = -(2**63), 2**63 - 1
        assert backend.extrema(backend.asarray(values)) == (-(2**63), 2**63 - 1)
    grid = np.arange(60).reshape(6, 10)
    assert backend.extrema(backend.asarray(grid)[::2, 3:]) == (3, 49)
    big = np.array([2**64 - 1, 5], dtype="uint64")
    assert backend.extrema(backend.asarray(big)) == (5, 2**64 - 1)


# ----- arraygrad.cuda's device functions, through the plugin hooks ---------------------------
def test_cuda_device_functions_without_cuda_as_pytorchs_cpu_build():
    if CUDA:
        pytest.skip("a CUDA device is present")
    assert xp.cuda.empty_cache() is None  # nothing to give back
    assert xp.cuda.memory_allocated() == 0 and xp.cuda.memory_reserved() == 0
    assert xp.cuda.is_bf16_supported() is False
    for call in (xp.cuda.synchronize, lambda: xp.cuda.get_device_name(0), lambda: xp.cuda.set_device(0)):
        with pytest.raises(RuntimeError, match="no CUDA device"):
            call()


def test_cuda_device_functions_reach_the_plugin():
    """A fake two-GPU plugin on NumPy: synchronize, empty_cache, the memory counts, the name
    and set_device go to its hooks, for the device asked about."""
    from arraygrad_numpy import NumpyBackend

    calls = []

    class TwoFakeGPUs(NumpyBackend):
        name = "two_fake_gpus"
        device_type = "cuda"
        multi_device = True
        current = 0

        @classmethod
        def device_count(cls):
            return 2

        @classmethod
        def current_device(cls):
            return cls.current

        @classmethod
        def set_current_device(cls, index):
            cls.current = index

        def synchronize_device(self):
            calls.append(("synchronize", self.index))

        def release_cached_memory(self):
            calls.append(("release", self.index))

        def memory_in_use(self):
            return 100 + self.index, 1000 + self.index

        def device_name(self):
            return f"Fake GPU {self.index}"

    xp.register_backend("two_fake_gpus", TwoFakeGPUs, default_for="cuda")
    try:
        assert xp.cuda.is_available() and xp.cuda.device_count() == 2
        xp.cuda.synchronize()
        xp.cuda.synchronize(1)
        xp.cuda.empty_cache()
        assert calls == [("synchronize", 0), ("synchronize", 1), ("release", 0)]
        assert (xp.cuda.memory_allocated(), xp.cuda.memory_reserved("cuda:1")) == (100, 1001)
        assert xp.cuda.get_device_name() == "Fake GPU 0" and xp.cuda.get_device_name(1) == "Fake GPU 1"
        assert xp.zeros(2, device="cuda").device == xp.device("cuda:0")
        xp.cuda.set_device(1)  # "cuda" means the other GPU from now on
        assert xp.cuda.current_device() == 1 and xp.zeros(2, device="cuda").device == xp.device("cuda:1")
        with pytest.raises(ValueError, match="expected a CUDA device"):
            xp.cuda.synchronize("cpu")
    finally:
        from arraygrad._registry import unregister_backend

        unregister_backend("two_fake_gpus")
    assert xp.cuda.is_available() == CUDA


def test_version_module_as_pytorchs():
    assert xp.version.__version__ == xp.__version__
    cuda = xp.version.cuda
    assert cuda is None if not CUDA else (isinstance(cuda, str) and cuda[0].isdigit())
    with pytest.raises(AttributeError, match="no attribute 'git'"):
        xp.version.git


@pytest.mark.cuda
def test_cuda_device_functions_on_the_gpu():
    name = xp.cuda.get_device_name(0)
    assert isinstance(name, str) and name
    before = xp.cuda.memory_allocated()
    x = xp.ones(1 << 20, device="cuda")
    xp.cuda.synchronize()
    assert xp.cuda.memory_allocated() >= before + 4 * (1 << 20)
    del x
    xp.cuda.empty_cache()
    assert xp.cuda.memory_reserved() >= xp.cuda.memory_allocated() >= 0
