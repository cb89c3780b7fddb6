"""The NumPy backend keeps glibc from faulting large temporaries in again and again
(backends/arraygrad_numpy/_host_memory.py; benchmarks/bench_host_memory.py measures a
training step). Each case runs in a fresh interpreter: the allocator's thresholds are per
process and move with what the process freed before (importing torch, as other tests do,
moves them)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                                reason="glibc's allocator only")

# NumPy alone, then the settings (the module loaded by path: importing arraygrad would free
# blocks of its own first), then a step's pattern: an 800 KiB array (a 784x256 float32
# weight's gradient) and `lr * grad`, made and dropped. Prints [tuned, page faults per round].
_ROUNDS = """
import importlib.util, json, resource
import numpy as np
spec = importlib.util.spec_from_file_location("_host_memory", {path!r})
host_memory = importlib.util.module_from_spec(spec)
spec.loader.exec_module(host_memory)
tuned = host_memory.tune_host_allocator()
def one_round():
    g = np.ones((784, 256), np.float32)
    u = g * 0.01
    del g, u
for _ in range(3):
    one_round()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(50):
    one_round()
print(json.dumps([tuned, (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 50]))
"""


def _python(code, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}
    clean.pop("ARRAYGRAD_MALLOC_TUNING", None)
    out = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.splitlines()[-1])


def _rounds(**env):
    import importlib.util

    folder = importlib.util.find_spec("arraygrad_numpy").submodule_search_locations[0]
    return _python(_ROUNDS.format(path=os.path.join(folder, "_host_memory.py")), **env)


def test_large_temporaries_are_reused_not_faulted_in():
    tuned, faults = _rounds()
    assert tuned
    # 800 KiB is 200 pages: each array faulted in afresh costs ~200 faults
    assert faults < 10, f"{faults} page faults per round"


def test_opting_out_leaves_glibc_as_it_is():
    tuned, faults = _rounds(ARRAYGRAD_MALLOC_TUNING="0")
    assert not tuned
    assert faults > 100, f"{faults} page faults per round"  # glibc's own: what the settings save


def test_the_users_own_malloc_settings_are_kept():
    tuned, _ = _rounds(MALLOC_TRIM_THRESHOLD_="1000000")
    assert not tuned


def test_the_numpy_backend_applies_them_when_it_loads():
    code = """
import json
import arraygrad as ag
from arraygrad_numpy import _host_memory
before = list(_host_memory._tuned)
ag.ones(1)
print(json.dumps([before, _host_memory._tuned]))
"""
    assert _python(code) == [[], [True]]
