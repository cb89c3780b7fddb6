"""The MLP step of bench_autograd in processes without torch, as most users' are: with the
NumPy backend's allocator settings (backends/arraygrad_numpy/_host_memory.py) against
glibc's own (ARRAYGRAD_MALLOC_TUNING=0), under which this script's step faults its large
temporaries in afresh every step (whether a program does depends on the blocks it freed
before; tests/test_host_memory.py checks the mechanism on a fixed pattern). The other suites
import torch, which hides this: its import moves glibc's thresholds. Each setting runs in
fresh processes, alternated; medians.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def _child(steps=200):
    """A user's training script: the data and parameters come from NumPy, NumPy's copies
    stay alive (as in bench_autograd), then arraygrad's steps, then NumPy's by hand; prints
    the medians of 5 timings of `steps` steps each, and arraygrad's page faults per step."""
    import time

    import numpy as np

    import arraygrad as ag

    from arraygrad_numpy._host_memory import tune_host_allocator

    F = ag.nn.functional
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((64, 784), dtype=np.float32), rng.integers(0, 10, 64)
    raw = [(rng.standard_normal(s) * 0.05).astype(np.float32) for s in ((784, 256), (256,), (256, 10), (10,))]
    np_params = [p.copy() for p in raw]
    params = [ag.asarray(p.copy(), requires_grad=True) for p in raw]
    ax, ay = ag.asarray(x, copy=True), ag.asarray(y, copy=True)

    def ours():
        w1, b1, w2, b2 = params
        F.cross_entropy(F.relu(ax @ w1 + b1) @ w2 + b2, ay).backward()
        with ag.no_grad():
            for p in params:
                p -= 0.01 * p.grad
                p.grad = None

    def by_hand():
        w1, b1, w2, b2 = np_params
        z1 = x @ w1 + b1
        h = np.maximum(z1, 0)
        logits = h @ w2 + b2
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        g = e / e.sum(axis=1, keepdims=True)
        g[np.arange(len(y)), y] -= 1
        g /= len(y)
        gh = g @ w2.T
        gh *= z1 > 0
        for prm, grd in zip(np_params, (x.T @ gh, gh.sum(axis=0), h.T @ g, g.sum(axis=0))):
            prm -= 0.01 * grd

    def per_step(fn, n=steps):
        fn()
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        return (time.perf_counter() - t0) / n

    for _ in range(5):  # the first steps' faults are the arrays' first allocations
        ours()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    ours_s = statistics.median(per_step(ours) for _ in range(5))
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / (5 * (steps + 1))
    numpy_s = statistics.median(per_step(by_hand) for _ in range(5))
    print(json.dumps({"tuned": tune_host_allocator(), "faults": faults, "ours": ours_s, "numpy": numpy_s}))


def _measure(tuning: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}
    env["ARRAYGRAD_MALLOC_TUNING"] = tuning
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child"], env=env, cwd=HERE,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.splitlines()[-1])


def main(rounds=5):
    runs = {"1": [], "0": []}
    for _ in range(rounds):
        for tuning in runs:
            runs[tuning].append(_measure(tuning))
    med = {t: {k: statistics.median(r[k] for r in rs) for k in ("faults", "ours", "numpy")}
           for t, rs in runs.items()}
    tuned, plain = med["1"], med["0"]
    if not runs["1"][0]["tuned"]:
        print("\nthe allocator settings do not apply here (not glibc, or MALLOC_* set): both columns are glibc's own")
    print("\n== MLP 784-256-10 SGD step in a process without torch: allocator settings vs glibc's own")
    print(f"{'case':44s} {'tuned':>11s} {'glibc':>11s} {'ratio':>7s}")
    for key, name in (("ours", "arraygrad's step"), ("numpy", "NumPy's step by hand")):
        print(f"{name:44s} {tuned[key] * 1e6:8.1f} us {plain[key] * 1e6:8.1f} us {tuned[key] / plain[key]:7.2f}")
    print(f"{'page faults per arraygrad step':44s} {tuned['faults']:11.1f} {plain['faults']:11.1f}")
    print(f"{'arraygrad vs NumPy by hand':44s} {tuned['ours'] / tuned['numpy']:11.2f} "
          f"{plain['ours'] / plain['numpy']:11.2f}")
    return {"tuned": tuned, "glibc": plain}


if __name__ == "__main__":
    if "--child" in sys.argv:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = "1"
        _child(*map(int, sys.argv[sys.argv.index("--child") + 1:]))
    else:
        main()
