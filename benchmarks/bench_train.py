"""One training epoch of the README's digits convnet: arraygrad against PyTorch CPU.

The same network (examples/train_digits.py's `build_model`), the same initial weights
(copied from arraygrad into torch), the same batches in the same order, the same loss (label smoothing 0.1) and Adam;
one BLAS/OpenMP thread each, interleaved rounds, medians (see _harness.py).

    python benchmarks/bench_train.py        # or: python benchmarks/run.py train

Target: arraygrad's epoch <= 1.5x PyTorch's.
"""

from __future__ import annotations

import os
import sys

import _harness  # noqa: F401  (pins threads before numpy/torch load)
from _harness import Case, run, torch

import numpy as np

import arraygrad as ag

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
from train_digits import build_model, load_data  # noqa: E402

TARGET = 1.5
BATCH = 32
LR = 2e-3


def _torch_model(model):
    """The same architecture in torch, with `model`'s weights."""
    tnn = torch.nn
    layers = []
    for layer in model:
        name = type(layer).__name__
        if name == "Conv2d":
            t = tnn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride,
                           layer.padding, layer.dilation)
        elif name == "Linear":
            t = tnn.Linear(layer.in_features, layer.out_features)
        elif name == "MaxPool2d":
            t = tnn.MaxPool2d(layer.kernel_size, layer.stride, layer.padding, layer.dilation)
        else:
            t = getattr(tnn, name)()
        layers.append(t)
    tmodel = tnn.Sequential(*layers)
    with torch.no_grad():
        for (name, p), (tname, tp) in zip(model.named_parameters(), tmodel.named_parameters()):
            assert name == tname, (name, tname)
            tp.copy_(torch.from_numpy(np.array(p.detach(), copy=True)))
    return tmodel


def epoch_cases() -> list[Case]:
    x_train, _, y_train, _ = load_data()
    order = np.random.default_rng(0).permutation(len(x_train))
    batches = [order[i:i + BATCH] for i in range(0, len(order), BATCH)]

    ag.manual_seed(0)
    model = build_model()
    optimizer = ag.optim.Adam(model.parameters(), lr=LR)
    loss_fn = ag.nn.CrossEntropyLoss(label_smoothing=0.1)
    xa, ya = ag.asarray(x_train, copy=True), ag.asarray(y_train, copy=True)
    index_a = [ag.asarray(b) for b in batches]

    def ours():
        for idx in index_a:
            loss = loss_fn(model(xa[idx]), ya[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    if torch is None:
        return [Case("digits convnet: one epoch (Adam, batch 32)", ours, None, TARGET, inner=1)]
    tmodel = _torch_model(model)
    toptimizer = torch.optim.Adam(tmodel.parameters(), lr=LR)
    tloss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
    xt, yt = torch.from_numpy(x_train.copy()), torch.from_numpy(y_train.copy())
    index_t = [torch.from_numpy(b.copy()) for b in batches]

    def baseline():
        for idx in index_t:
            loss = tloss_fn(tmodel(xt[idx]), yt[idx])
            toptimizer.zero_grad()
            loss.backward()
            toptimizer.step()

    return [Case(f"digits convnet: one epoch ({len(batches)} Adam steps, batch {BATCH})",
                 ours, baseline, TARGET, inner=1)]


def main():
    return run(epoch_cases(), rounds=15, title="training (examples/train_digits.py's network) vs PyTorch CPU")


if __name__ == "__main__":
    main()
