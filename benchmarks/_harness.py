"""Shared benchmark harness: one BLAS thread per side, interleaved rounds, medians.

Import this module before numpy/torch: it pins the thread counts (the machines are shared
and noisy; a ratio of two single-threaded timings taken in alternation is stable).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import gc  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Callable  # noqa: E402

try:
    import torch  # noqa: E402

    torch.set_num_threads(1)
except ImportError:  # the comparisons against PyTorch are then skipped
    torch = None


@dataclass
class Case:
    """One comparison: `ours` against `baseline`, each a zero-argument callable."""

    name: str
    ours: Callable[[], object]
    baseline: Callable[[], object] | None
    target: float | None = None  # the ratio ours/baseline must not exceed
    inner: int = 0  # calls per timing; 0 = calibrate to ~20 ms


def _calibrate(fn, budget=0.02) -> int:
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t0
        if dt > budget / 4 or n >= 1 << 20:
            return max(1, int(n * budget / max(dt, 1e-9)))
        n *= 4


def _time(fn, n) -> float:
    fn()  # untimed: the allocator reaches this function's steady state first
    # Each timing starts from a clean collector: what one case left for it to scan (a
    # large graph's objects) must not bill the next case's collections.
    gc.collect()
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n


def run(cases: list[Case], rounds: int = 15, title: str = "") -> list[dict]:
    """Time every case in interleaved rounds (ours, baseline, next case, ...); print and
    return the medians and ratios."""
    plan = []
    for c in cases:
        c.ours()
        if c.baseline is not None:
            c.baseline()
        n = c.inner or _calibrate(c.ours)
        plan.append((c, n, [], []))
    for c, n, _, _ in plan:  # one untimed round: allocator and caches settle for every case
        _time(c.ours, n)
        if c.baseline is not None:
            _time(c.baseline, n)
    for r in range(rounds):
        for c, n, ours, base in plan:
            # Alternate which side goes first, so neither always inherits the other's
            # allocations and cache state.
            if c.baseline is not None and r % 2:
                base.append(_time(c.baseline, n))
                ours.append(_time(c.ours, n))
            else:
                ours.append(_time(c.ours, n))
                if c.baseline is not None:
                    base.append(_time(c.baseline, n))
    results = []
    if title:
        print(f"\n== {title}")
    print(f"{'case':52s} {'ours':>11s} {'baseline':>11s} {'ratio':>7s} {'target':>7s}")
    for c, n, ours, base in plan:
        mo = statistics.median(ours)
        mb = statistics.median(base) if base else None
        ratio = mo / mb if mb else None
        ok = "" if ratio is None or c.target is None else ("ok" if ratio <= c.target else "OVER")
        print(f"{c.name:52s} {_fmt(mo):>11s} {_fmt(mb):>11s} "
              f"{'' if ratio is None else f'{ratio:7.2f}'} {'' if c.target is None else f'{c.target:7.2f}'} {ok}")
        results.append({"name": c.name, "ours_s": mo, "baseline_s": mb, "ratio": ratio, "target": c.target})
    return results


def geomean(values) -> float:
    values = [v for v in values if v]
    return statistics.geometric_mean(values) if values else float("nan")


def _fmt(seconds) -> str:
    if seconds is None:
        return "-"
    if seconds < 1e-6:
        return f"{seconds * 1e9:.0f} ns"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} us"
    return f"{seconds * 1e3:.2f} ms"
