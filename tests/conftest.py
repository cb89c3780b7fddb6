"""Shared fixtures: the backends every namespace test runs on, and global-state resets.

- `backend` runs a test once per CPU backend: "numpy" (the default plugin) and "strict"
  (array-api-strict wrapped as a plugin in `_strict_backend.py`, registered here), which
  proves the core is backend-generic. Tests create arrays with `device=backend.device`, or
  call `use_default` to make the backend serve "cpu" for the whole test.
- `mps` is a fake device type without float64 (strict's "no_float64" device).
- Tests marked `cuda` are skipped cleanly when `arraygrad.cuda.is_available()` is False.
- An autouse fixture restores grad mode, the default device, the backend serving "cpu" and
  the default dtype after every test (array-api-strict's `reset_flags`).
"""

from __future__ import annotations

import os
import sys

import pytest
from hypothesis import HealthCheck, settings

import arraygrad
from arraygrad import _dtypes, _registry
from arraygrad._dispatch import GRAD_ENABLED

sys.path.insert(0, os.path.dirname(__file__))  # the test helpers (_strict_backend, _oracle)

from _strict_backend import NoFloat64Backend, StrictBackend  # noqa: E402

# Fast, reproducible property tests: CI runs every suite in ~15 minutes on 2 cores.
settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                 HealthCheck.function_scoped_fixture])
settings.register_profile("thorough", max_examples=500, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("ARRAYGRAD_HYPOTHESIS_PROFILE", "ci"))

arraygrad.register_backend("strict", StrictBackend)
arraygrad.register_backend("strict_no_float64", NoFloat64Backend)

CPU_BACKENDS = ("numpy", "strict")


def cuda_available() -> bool:
    return arraygrad.cuda.is_available()


# Where a GPU is present, every test parametrized over backends runs on CuPy ("cuda:0") too.
BACKENDS = CPU_BACKENDS + (("cupy",) if cuda_available() else ())
_DEVICE_TYPE = {"numpy": "cpu", "strict": "cpu", "cupy": "cuda"}


def pytest_collection_modifyitems(config, items):
    if cuda_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device (arraygrad.cuda.is_available() is False)")
    for item in items:
        if item.get_closest_marker("cuda") is not None:
            item.add_marker(skip)


@pytest.fixture(params=BACKENDS)
def backend(request):
    """The arraygrad Backend instance under test (one run per available backend)."""
    return arraygrad.get_backend(arraygrad.device(_DEVICE_TYPE[request.param], backend=request.param))


@pytest.fixture
def use_default(backend):
    """Make `backend` the one serving its device type (and the default device) for this test."""
    arraygrad.set_default_backend(backend.device.type, backend.name)
    arraygrad.set_default_device(backend.device)
    return backend


@pytest.fixture
def mps():
    """The fake "mps" device (no float64, no complex128)."""
    return arraygrad.device("mps")


@pytest.fixture(autouse=True)
def _reset_global_state():
    """Undo what a test changed in grad mode, default device/backend and default dtype."""
    token = GRAD_ENABLED.set(True)
    defaults = dict(_registry._defaults)
    default_float, default_complex = _dtypes.DEFAULT_FLOAT, _dtypes.DEFAULT_COMPLEX
    try:
        yield
    finally:
        GRAD_ENABLED.reset(token)
        _registry._defaults.clear()
        _registry._defaults.update(defaults)
        arraygrad.set_default_device(None)
        _dtypes.DEFAULT_FLOAT, _dtypes.DEFAULT_COMPLEX = default_float, default_complex
