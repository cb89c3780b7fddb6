"""CUDA speed (issue 5): arraygrad on the CuPy backend against raw CuPy and PyTorch CUDA.

    python benchmarks/bench_cuda.py        # needs a GPU and CuPy; PyTorch CUDA is optional

- elementwise add on 1e8 float32: ratio to raw CuPy (target <= 1.05) and the bandwidth
  reached (three arrays of 400 MB move per add);
- one SGD step of an MLP 784-256-10 at batch 64 and 4096: ratio to hand-written CuPy
  (target <= 1.2) and to PyTorch CUDA (reported).

GPU work is asynchronous: each timing runs `n` calls and then waits for the device, so it
measures what the GPU did (CUDA events would too; a device-wide synchronize is simpler and
includes the launch overhead a user sees). Interleaved rounds, medians, as the CPU suites.
This file was written in a session without a GPU: its first GPU run is issue 5's.
"""

from __future__ import annotations

import statistics
import sys
import time

import _harness  # noqa: F401  (pins CPU threads; harmless here)

import arraygrad as xp

LR = 0.01


def _require_cuda():
    if not xp.cuda.is_available():
        print("no CUDA device: " + "; ".join(f"{b.name}: {b.reason}" for b in xp.backends() if not b.available))
        sys.exit(0)
    import cupy as cp

    return cp


def _timed(fn, n, sync) -> float:
    fn()
    sync()
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    sync()
    return (time.perf_counter() - t0) / n


def _compare(name, ours, base, sync, rounds=15, n=20, target=None, extra=""):
    o, b = [], []
    for r in range(rounds):
        pair = [(o, ours), (b, base)]
        for out, fn in (pair if r % 2 == 0 else pair[::-1]):
            out.append(_timed(fn, n, sync))
    mo, mb = statistics.median(o), statistics.median(b)
    verdict = "" if target is None else ("ok" if mo / mb <= target else "OVER")
    print(f"{name:54s} {mo * 1e6:10.1f} us {mb * 1e6:10.1f} us {mo / mb:6.2f} "
          f"{'' if target is None else f'{target:5.2f}'} {verdict} {extra}")
    return mo, mb


def _mlp_params(cp, batch):
    rng = cp.random.default_rng(0)
    x = rng.standard_normal((batch, 784), dtype=cp.float32)
    y = rng.integers(0, 10, batch)
    params = [rng.standard_normal((784, 256), dtype=cp.float32) * 0.05, cp.zeros(256, cp.float32),
              rng.standard_normal((256, 10), dtype=cp.float32) * 0.05, cp.zeros(10, cp.float32)]
    return x, y, params


def main():
    cp = _require_cuda()
    sync = cp.cuda.Device().synchronize
    print(f"device: {cp.cuda.runtime.getDeviceProperties(0)['name'].decode()}")
    print(f"{'case':54s} {'ours':>13s} {'baseline':>13s} {'ratio':>6s} target")

    n = 100_000_000
    ca, cb = cp.ones(n, cp.float32), cp.full(n, 2.0, cp.float32)
    a, b = xp.from_dlpack(ca), xp.from_dlpack(cb)  # the same device memory (zero-copy)
    mo, _ = _compare("add, 1e8 float32, vs raw CuPy", lambda: a + b, lambda: ca + cb, sync, n=10,
                     target=1.05)
    print(f"{'':54s} bandwidth reached: {3 * 4 * n / mo / 1e12:.2f} TB/s")

    F = xp.nn.functional
    for batch in (64, 4096):
        x, y, params = _mlp_params(cp, batch)
        cparams = [p.copy() for p in params]

        def cupy_step():
            w1, b1, w2, b2 = cparams
            z1 = x @ w1 + b1
            h = cp.maximum(z1, 0)
            logits = h @ w2 + b2
            logits -= logits.max(axis=1, keepdims=True)
            e = cp.exp(logits)
            p = e / e.sum(axis=1, keepdims=True)
            p[cp.arange(batch), y] -= 1
            p /= batch
            gw2, gb2 = h.T @ p, p.sum(axis=0)
            gh = (p @ w2.T) * (z1 > 0)
            gw1, gb1 = x.T @ gh, gh.sum(axis=0)
            for prm, grd in zip(cparams, (gw1, gb1, gw2, gb2)):
                prm -= LR * grd

        # arraygrad's own copies: memory shared with CuPy would be snapshotted when saved for
        # backward (writes there go uncounted), a copy the hand-written code does not make
        ax, ay = xp.asarray(x, device="cuda", copy=True), xp.asarray(y, device="cuda", copy=True)
        ag = [xp.asarray(p, device="cuda", copy=True, requires_grad=True) for p in params]

        def arraygrad_step():
            w1, b1, w2, b2 = ag
            loss = F.cross_entropy(F.relu(ax @ w1 + b1) @ w2 + b2, ay)
            loss.backward()
            with xp.no_grad():
                for p in ag:
                    p -= LR * p.grad
                    p.grad = None

        _compare(f"MLP 784-256-10 SGD step, batch {batch}, vs CuPy by hand", arraygrad_step,
                 cupy_step, sync, target=1.2)
        try:
            import torch
        except ImportError:
            continue
        if not torch.cuda.is_available():
            continue
        tx, ty = torch.from_dlpack(x), torch.from_dlpack(y.astype(cp.int64))
        tp = [torch.from_dlpack(p.copy()).requires_grad_() for p in params]

        def torch_step():
            w1, b1, w2, b2 = tp
            loss = torch.nn.functional.cross_entropy(torch.relu(tx @ w1 + b1) @ w2 + b2, ty)
            loss.backward()
            with torch.no_grad():
                for p in tp:
                    p -= LR * p.grad
                    p.grad = None

        _compare(f"MLP 784-256-10 SGD step, batch {batch}, vs PyTorch CUDA", arraygrad_step,
                 torch_step, sync)


if __name__ == "__main__":
    main()
