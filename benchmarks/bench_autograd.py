"""Autograd's cost against PyTorch CPU and hand-written NumPy (issue 3's targets).

- recording a tiny add with requires_grad            <= 1.0x PyTorch
- 1000 x (x*1.0001 + 0.0001) on 10 elements, fwd+bwd  <= 1.0x PyTorch
- one SGD step of an MLP 784-256-10, batch 64         <= 1.0x PyTorch, <= 1.15x NumPy by hand
- fwd+bwd of sum(tanh(x @ W + b) ** 2), 64x784 @ 784x256   <= 1.15x NumPy by hand
"""

from __future__ import annotations

import _harness  # noqa: F401  (pins threads before numpy/torch load)
from _harness import Case, run, torch

import numpy as np

import arraygrad as xp

LR = 0.01


def _mlp_data(batch=64):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 784), dtype=np.float32)
    y = rng.integers(0, 10, batch)
    w1 = (rng.standard_normal((784, 256)) * 0.05).astype(np.float32)
    b1 = np.zeros(256, np.float32)
    w2 = (rng.standard_normal((256, 10)) * 0.05).astype(np.float32)
    b2 = np.zeros(10, np.float32)
    return x, y, [w1, b1, w2, b2]


def mlp_cases():
    x, y, params = _mlp_data()
    # hand-written NumPy: forward, the fused softmax-cross-entropy gradient, SGD
    np_params = [p.copy() for p in params]

    def numpy_step():
        w1, b1, w2, b2 = np_params
        z1 = x @ w1 + b1
        h = np.maximum(z1, 0)
        logits = h @ w2 + b2
        logits = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        p = e / e.sum(axis=1, keepdims=True)
        loss = -np.log(p[np.arange(len(y)), y]).mean()
        g = p
        g[np.arange(len(y)), y] -= 1
        g /= len(y)
        gw2 = h.T @ g
        gb2 = g.sum(axis=0)
        gh = g @ w2.T
        gh *= z1 > 0
        gw1 = x.T @ gh
        gb1 = gh.sum(axis=0)
        for prm, grd in zip(np_params, (gw1, gb1, gw2, gb2)):
            prm -= LR * grd
        return loss

    # Batches arrive as arraygrad tensors (as from a DataLoader), not as memory shared with
    # NumPy: a tensor sharing NumPy's memory is snapshotted when saved for backward (writes
    # there cannot be tracked), a copy the hand-written NumPy code does not pay.
    ax, ay = xp.asarray(x, copy=True), xp.asarray(y, copy=True)
    ag = [xp.asarray(p.copy(), requires_grad=True) for p in params]

    F = xp.nn.functional

    def arraygrad_step():
        w1, b1, w2, b2 = ag
        h = F.relu(ax @ w1 + b1)
        loss = F.cross_entropy(h @ w2 + b2, ay)
        loss.backward()
        with xp.no_grad():
            for p in ag:
                p -= LR * p.grad
                p.grad = None
        return loss

    cases = [Case("MLP 784-256-10 SGD step (batch 64) vs NumPy", arraygrad_step, numpy_step, 1.15)]
    if torch is not None:
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        tp = [torch.tensor(p, requires_grad=True) for p in params]

        def torch_step():
            w1, b1, w2, b2 = tp
            h = torch.relu(tx @ w1 + b1)
            loss = torch.nn.functional.cross_entropy(h @ w2 + b2, ty)
            loss.backward()
            with torch.no_grad():
                for p in tp:
                    p -= LR * p.grad
                    p.grad = None
            return loss

        cases.append(Case("MLP 784-256-10 SGD step (batch 64) vs PyTorch", arraygrad_step, torch_step, 1.0))
        cases += _reference_cases("MLP step", torch_step, numpy_step, x, params)
    return cases


def _reference_cases(what, torch_fn, numpy_fn, x, params):
    """No targets: what the bars are made of. PyTorch's own ratio to hand-written NumPy, and
    the products with the big weight matrix alone (NumPy's BLAS against PyTorch's), which
    both sides of the NumPy ratio share and which differ between the libraries' BLAS."""
    w = params[0]
    g = np.ones((x.shape[0], w.shape[1]), np.float32)
    tx, tw, tg = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(g)
    return [
        Case(f"  reference: PyTorch's {what} vs NumPy", torch_fn, numpy_fn),
        Case("  reference: x@W and x.T@g, NumPy's BLAS vs PyTorch's",
             lambda: (x @ w, x.T @ g), lambda: (tx @ tw, tx.T @ tg)),
    ]


def tanh_layer_case():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 784), dtype=np.float32)
    w = (rng.standard_normal((784, 256)) * 0.05).astype(np.float32)
    b = np.zeros(256, np.float32)

    def numpy_fwd_bwd():
        t = np.tanh(x @ w + b)
        loss = (t ** 2).sum()
        gz = 2 * t * (1 - t * t)
        return loss, x.T @ gz, gz.sum(axis=0)

    ax = xp.asarray(x, copy=True)  # see mlp_cases
    aw, ab = xp.asarray(w, requires_grad=True), xp.asarray(b, requires_grad=True)

    def arraygrad_fwd_bwd():
        loss = xp.sum(xp.tanh(ax @ aw + ab) ** 2)
        loss.backward()
        aw.grad = ab.grad = None
        return loss

    cases = [Case("sum(tanh(x@W+b)**2) fwd+bwd (64x784 @ 784x256) vs NumPy", arraygrad_fwd_bwd,
                  numpy_fwd_bwd, 1.15)]
    if torch is not None:
        tx, tb = torch.from_numpy(x), torch.tensor(b, requires_grad=True)
        tw = torch.tensor(w, requires_grad=True)

        def torch_fwd_bwd():
            loss = (torch.tanh(tx @ tw + tb) ** 2).sum()
            loss.backward()
            tw.grad = tb.grad = None
            return loss

        cases.append(Case("  vs PyTorch (no target)", arraygrad_fwd_bwd, torch_fwd_bwd))
        cases.append(Case("  reference: PyTorch's tanh layer vs NumPy", torch_fwd_bwd, numpy_fwd_bwd))
    return cases


def recording_and_chain_cases():
    a, b = xp.ones(10, requires_grad=True), xp.ones(10)
    ta, tb = torch.ones(10, requires_grad=True), torch.ones(10)

    def chain(mod, ones):
        def f():
            x = ones()
            y = x
            for _ in range(1000):
                y = y * 1.0001 + 0.0001
            mod.sum(y).backward()
            return x.grad
        return f

    def shared_weight(mod, w, x):
        # one weight read by every op of a graph (an RNN's, over its time steps): each op
        # saves it, so the records of one storage pile up while the graph lives
        def f():
            y = x
            for _ in range(4000):
                y = y @ w
            mod.sum(y).backward()
            w.grad = None
        return f

    w, x = xp.eye(4, requires_grad=True), xp.ones((1, 4))
    tw, tx = torch.eye(4, requires_grad=True), torch.ones(1, 4)
    return [
        Case("record a + b (10 float32, requires_grad)", lambda: a + b, lambda: ta + tb, 1.0),
        Case("  4000 x (y @ W), one 4x4 W saved by every op, fwd+bwd", shared_weight(xp, w, x),
             shared_weight(torch, tw, tx), inner=1),
        Case("1000 x (x*1.0001 + 0.0001) fwd+bwd (10 elements)",
             chain(xp, lambda: xp.ones(10, requires_grad=True)),
             chain(torch, lambda: torch.ones(10, requires_grad=True)), 1.0, inner=3),
    ]


def recurrent_cases():
    """No targets: the recurrent layers (one fused op per time step) and a loop over a
    tensor's rows (their gradients summed in place), against PyTorch."""
    rng = np.random.default_rng(2)
    cases = []
    for mode, (steps, batch, size, hidden) in [("LSTM", (50, 32, 64, 128)), ("GRU", (50, 32, 64, 128)),
                                              ("LSTM", (20, 8, 16, 32))]:
        layer, tlayer = getattr(xp.nn, mode)(size, hidden), getattr(torch.nn, mode)(size, hidden)
        with torch.no_grad():
            for p, tp in zip(layer.parameters(), tlayer.parameters()):
                tp.copy_(torch.from_numpy(np.array(p.detach(), copy=True)))
        x = rng.standard_normal((steps, batch, size), dtype=np.float32)
        ax, tx = xp.asarray(x, copy=True), torch.from_numpy(x.copy())

        def ours(layer=layer, ax=ax):
            layer(ax)[0].sum().backward()
            layer.zero_grad()

        def theirs(tlayer=tlayer, tx=tx):
            tlayer(tx)[0].sum().backward()
            tlayer.zero_grad()

        cases.append(Case(f"{mode} T={steps} N={batch} {size}->{hidden} fwd+bwd", ours, theirs))
    rows = rng.standard_normal((256, 64), dtype=np.float32)

    def loop(mod, unstack):
        def f():
            x = (xp.asarray(rows, copy=True) if mod is xp else torch.tensor(rows)).requires_grad_()
            sum((r * i).sum() for i, r in enumerate(unstack(x))).backward()
        return f

    cases.append(Case("256 rows of a tensor, one loss term each, fwd+bwd", loop(xp, xp.unstack),
                      loop(torch, torch.unbind)))
    return cases


def conv_cases():
    """No targets: a CIFAR-sized CNN (the PyTorch tutorials' classifier shape: two conv-relu-
    pool blocks, batch norm, a linear head), one training step and one eval forward, with
    the same weights and batch on both sides."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((64, 3, 32, 32), dtype=np.float32)
    y = rng.integers(0, 10, 64)

    def build(lib):
        nn = lib.nn
        return nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(64 * 8 * 8, 10))

    ours, theirs = build(xp), build(torch)
    with torch.no_grad():
        for p, tp in zip(ours.parameters(), theirs.parameters()):
            tp.copy_(torch.from_numpy(np.array(p.detach(), copy=True)))
    sides = ((ours, xp, xp.asarray(x, copy=True), xp.asarray(y, copy=True)),
             (theirs, torch, torch.from_numpy(x.copy()), torch.from_numpy(y.copy())))

    def step(model, lib, bx, by):
        def f():
            lib.nn.functional.cross_entropy(model(bx), by).backward()
            model.zero_grad()
        return f

    def infer(model, lib, bx, by):
        def f():
            model.eval()
            with lib.no_grad():
                model(bx)
            model.train()
        return f

    return [Case("CNN 64x3x32x32 (2 conv blocks, BN) fwd+bwd", step(*sides[0]), step(*sides[1])),
            Case("  the same CNN, eval forward", infer(*sides[0]), infer(*sides[1]))]


def text_cases():
    """No targets: a transformer encoder layer and an embedding lookup, fwd+bwd, with the
    same weights and inputs on both sides."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((16, 32, 128), dtype=np.float32)
    tokens = rng.integers(0, 1000, (32, 50))
    cases = []
    for name, build, data in [
            ("transformer encoder layer (d=128, 4 heads, 16x32) fwd+bwd",
             lambda nn: nn.TransformerEncoderLayer(128, 4, dim_feedforward=256, dropout=0.0, batch_first=True), x),
            ("Embedding(1000, 64) on 32x50 tokens fwd+bwd", lambda nn: nn.Embedding(1000, 64), tokens)]:
        ours, theirs = build(xp.nn), build(torch.nn)
        with torch.no_grad():
            for p, tp in zip(ours.parameters(), theirs.parameters()):
                tp.copy_(torch.from_numpy(np.array(p.detach(), copy=True)))

        def run_one(model, tensor):
            def f():
                model(tensor).sum().backward()
                model.zero_grad()
            return f

        cases.append(Case(name, run_one(ours, xp.asarray(data, copy=True)),
                          run_one(theirs, torch.from_numpy(data.copy()))))
    return cases


def main(rounds=15):
    out = {}
    if torch is not None:
        out["recording"] = run(recording_and_chain_cases(), rounds, "autograd overhead vs PyTorch CPU")
    else:
        print("torch not installed: comparisons against PyTorch skipped")
    out["mlp"] = run(mlp_cases() + tanh_layer_case(), rounds, "training steps")
    if torch is not None:
        out["recurrent"] = run(recurrent_cases(), max(5, rounds // 3), "recurrent layers and row loops vs PyTorch")
        out["conv"] = run(conv_cases() + text_cases(), max(5, rounds // 3), "layers vs PyTorch")
    return out


if __name__ == "__main__":
    main()
