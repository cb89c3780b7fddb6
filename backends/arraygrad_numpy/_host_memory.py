"""glibc's allocator, kept from returning a training loop's large temporaries to the kernel.

glibc serves a block of 128 KiB or more with its own mmap, and gives the top of its heap back
to the kernel once 128 KiB of it is free; it raises both thresholds only when it sees a large
mmapped block freed, to that block's size. Depending on what a program freed before, a
training step's large temporaries (an MLP 784-256-10's 800 KiB weight gradient and its
`lr * grad`) then come back from the kernel as fresh pages every step: 360 page faults, the
step at 1.7 ms instead of 0.9 (benchmarks/bench_host_memory.py; hand-written NumPy in the
same process pays it too). Processes that import torch escape it by accident: the import
frees a block of several MiB first. This sets the thresholds that glibc's adaptation stops at
(32 MiB for mmap, twice that for trimming), so that freed blocks are reused from the start;
larger blocks are still mapped and unmapped, and freed memory above 64 MiB still goes back.

Skipped where the allocator is not glibc's, where the user tuned it already (MALLOC_*_
variables, GLIBC_TUNABLES), or with ARRAYGRAD_MALLOC_TUNING=0.
"""

from __future__ import annotations

import ctypes
import os
import platform

# mallopt's parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

MMAP_THRESHOLD = 32 << 20  # glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit machines
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD  # what glibc pairs with it

_USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "GLIBC_TUNABLES")

_tuned: list[bool] = []


def tune_host_allocator() -> bool:
    """Set glibc's thresholds once per process; whether this call or an earlier one did."""
    if not _tuned:
        _tuned.append(_tune())
    return _tuned[0]


def _tune() -> bool:
    if os.environ.get("ARRAYGRAD_MALLOC_TUNING", "1") == "0":
        return False
    if any(name in os.environ for name in _USER_SETTINGS):
        return False
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    # 1 on success (either call also ends glibc's adaptation of both thresholds)
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) & mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
