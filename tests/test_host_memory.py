"""The NumPy backend keeps glibc from faulting a training loop's large temporaries in again
(backends/arraygrad_numpy/_host_memory.py). Each case runs in a fresh interpreter: the
allocator's thresholds are per process, and importing torch (as other tests do) moves them."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                                reason="glibc's allocator only")

# benchmarks/bench_host_memory.py's training script (an MLP 784-256-10 step, the benchmark's),
# in a process without torch: {"tuned", "faults": page faults per step, timings}. Its 800 KiB
# weight gradient and `lr * grad` come back from the kernel every step under glibc's own
# thresholds.
_SCRIPT = os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks", "bench_host_memory.py")


def _run(**env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}
    clean.pop("ARRAYGRAD_MALLOC_TUNING", None)
    out = subprocess.run([sys.executable, _SCRIPT, "--child", "20"], env={**clean, **env},
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.splitlines()[-1])


def test_large_temporaries_are_reused_not_faulted_in():
    out = _run()
    assert out["tuned"]
    faults = out["faults"]
    # 800 KiB is 200 pages: each array faulted in afresh costs ~200 faults
    assert faults < 10, f"{faults} page faults per step"


def test_opting_out_leaves_glibc_as_it_is():
    out = _run(ARRAYGRAD_MALLOC_TUNING="0")
    assert not out["tuned"]
    faults = out["faults"]
    assert faults > 100, f"{faults} page faults per step"  # glibc's own: what the tuning saves


def test_the_users_own_malloc_settings_are_kept():
    assert not _run(MALLOC_TRIM_THRESHOLD_="1000000")["tuned"]
