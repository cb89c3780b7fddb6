"""Run every benchmark and print the ratios against the baselines measured in the same run.

    python benchmarks/run.py              # all suites
    python benchmarks/run.py core autograd train host_memory

One BLAS thread per side, interleaved rounds, medians (see _harness.py).
"""

from __future__ import annotations

import importlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness  # noqa: E402,F401  (pins threads before numpy/torch load)

SUITES = {"core": "bench_core", "autograd": "bench_autograd", "train": "bench_train",
          "host_memory": "bench_host_memory"}


def main(argv):
    names = argv or list(SUITES)
    from arraygrad._compiled import is_compiled

    print(f"arraygrad's op path and engine: {'compiled' if is_compiled() else 'plain Python'}"
          " (ARRAYGRAD_PURE_PYTHON=1 runs the plain-Python build)")
    for name in names:
        if name not in SUITES:
            raise SystemExit(f"unknown suite {name!r}; choose from {', '.join(SUITES)}")
        module = importlib.import_module(SUITES[name])
        print(f"\n######## {name} ({SUITES[name]}.py)")
        module.main()


if __name__ == "__main__":
    main(sys.argv[1:])
