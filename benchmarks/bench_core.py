"""The wrapper's cost: tiny ops against PyTorch CPU, large ops against raw NumPy.

Targets (issue 2): tiny ops <= 0.8x PyTorch (geometric mean), none above 1.0x;
ops on >= 1e6 elements <= 1.05x raw NumPy.
"""

from __future__ import annotations

import _harness  # noqa: F401  (pins threads before numpy/torch load)
from _harness import Case, geomean, run, torch

import numpy as np

import arraygrad as xp


def tiny_cases():
    a, b = xp.ones(10), xp.full((10,), 2.0)
    m = xp.ones((4, 4))
    ta, tb, tm = torch.ones(10), torch.full((10,), 2.0), torch.ones(4, 4)
    return [
        Case("a + b (10 float32)", lambda: a + b, lambda: ta + tb, 1.0),
        Case("sin(a)", lambda: xp.sin(a), lambda: torch.sin(ta), 1.0),
        Case("sum(a)", lambda: xp.sum(a), lambda: torch.sum(ta), 1.0),
        Case("m @ m (4x4)", lambda: m @ m, lambda: tm @ tm, 1.0),
        Case("m[:, 1]", lambda: m[:, 1], lambda: tm[:, 1], 1.0),
        Case("reshape(m, (16,))", lambda: xp.reshape(m, (16,)), lambda: tm.reshape(16), 1.0),
    ]


def interchange_cases():
    """Tensors from NumPy arrays and Python data, as data loaders make them (no targets:
    PyTorch's C++ constructors are the reference)."""
    batch = np.random.default_rng(0).standard_normal((64, 784), dtype=np.float32)
    rows = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    return [
        Case("from_numpy(batch) (shares memory)", lambda: xp.from_numpy(batch), lambda: torch.from_numpy(batch)),
        Case("asarray(batch) vs torch.as_tensor", lambda: xp.asarray(batch), lambda: torch.as_tensor(batch)),
        Case("tensor(2x3 nested list)", lambda: xp.tensor(rows), lambda: torch.tensor(rows)),
    ]


def large_cases():
    rng = np.random.default_rng(0)
    na = rng.standard_normal(4_000_000, dtype=np.float32)
    nb = rng.standard_normal(4_000_000, dtype=np.float32)
    nm = rng.standard_normal((1024, 1024), dtype=np.float32)
    n2 = na.reshape(2000, 2000)
    a, b, m, a2 = xp.asarray(na), xp.asarray(nb), xp.asarray(nm), xp.asarray(n2)
    return [
        Case("a + b (4e6 float32)", lambda: a + b, lambda: na + nb, 1.05),
        Case("a * b", lambda: a * b, lambda: na * nb, 1.05),
        Case("exp(a)", lambda: xp.exp(a), lambda: np.exp(na), 1.05),
        Case("sum(a)", lambda: xp.sum(a), lambda: np.sum(na), 1.05),
        Case("sum(a2, axis=0) (2000x2000)", lambda: xp.sum(a2, axis=0), lambda: np.sum(n2, axis=0), 1.05),
        Case("max(a)", lambda: xp.max(a), lambda: np.max(na), 1.05),
        Case("where(a > 0, a, b)", lambda: xp.where(a > 0, a, b), lambda: np.where(na > 0, na, nb), 1.05),
        Case("m @ m (1024x1024)", lambda: m @ m, lambda: nm @ nm, 1.05),
        Case("a2.T copy (permute + reshape)", lambda: xp.reshape(xp.permute_dims(a2, (1, 0)), (-1,)),
             lambda: np.reshape(np.transpose(n2), (-1,)), 1.05),
    ]


def main(rounds=15):
    out = {}
    # Large ops first, with as many rounds as the tiny ones: with fewer rounds, or after the
    # tiny-op loops, the first large case alone read up to ~7% slow on our side — an artefact
    # of the allocator's state (both sides call the very same ufunc), gone with more rounds.
    out["large"] = run(large_cases(), rounds, "large ops (>= 1e6 elements) vs raw NumPy")
    if torch is not None:
        res = run(tiny_cases(), rounds, "tiny ops (10-element float32) vs PyTorch CPU")
        g = geomean(r["ratio"] for r in res)
        print(f"{'geometric mean':52s} {'':>11s} {'':>11s} {g:7.2f} {0.8:7.2f} {'ok' if g <= 0.8 else 'OVER'}")
        out["tiny"] = res
        out["tiny_geomean"] = g
        out["interchange"] = run(interchange_cases(), rounds, "tensors from NumPy and Python data vs PyTorch CPU")
    else:
        print("torch not installed: tiny-op comparison against PyTorch skipped")
    return out


if __name__ == "__main__":
    main()
