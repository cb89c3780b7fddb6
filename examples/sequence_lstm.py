"""Classify variable-length sequences with an LSTM over packed batches, written as PyTorch
code with `import arraygrad as torch` (offline, CPU, a few seconds).

The task: each sequence holds random digits 0-9; its label is whether its first digit is
larger than its last. The network has to carry the first step across the whole sequence,
which a model that ignores order cannot do (it scores ~0.5).

    python examples/sequence_lstm.py               # ~0.86 accuracy on held-out sequences
    python examples/sequence_lstm.py --epochs 3    # quicker, less accurate
"""

from __future__ import annotations

import argparse

import numpy as np

import arraygrad as torch
from arraygrad import nn
from arraygrad.nn.utils.rnn import pack_padded_sequence, pad_sequence


def make_data(n: int, seed: int):
    """n sequences of 4-16 random digits, and whether each one's first digit is larger
    than its last."""
    rng = np.random.default_rng(seed)
    seqs, labels = [], []
    for _ in range(n):
        s = rng.integers(0, 10, int(rng.integers(4, 17)))
        seqs.append(torch.tensor(s))
        labels.append(int(s[0] > s[-1]))
    return seqs, torch.tensor(labels)


class Classifier(nn.Module):
    def __init__(self, hidden: int = 32):
        super().__init__()
        self.embed = nn.Embedding(10, 16)
        self.lstm = nn.LSTM(16, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 2)

    def forward(self, padded, lengths):
        packed = pack_padded_sequence(self.embed(padded), lengths, batch_first=True, enforce_sorted=False)
        _, (h_n, _) = self.lstm(packed)  # each sequence's state after its own last step
        return self.head(h_n[-1])


def batches(seqs, labels, size, rng):
    order = rng.permutation(len(seqs))
    for i in range(0, len(order), size):
        idx = order[i:i + size]
        yield (pad_sequence([seqs[j] for j in idx], batch_first=True),
               [len(seqs[j]) for j in idx], labels[torch.tensor(idx)])


def accuracy(model, seqs, labels) -> float:
    model.eval()
    with torch.no_grad():
        logits = model(pad_sequence(seqs, batch_first=True), [len(s) for s in seqs])
    model.train()
    return float((logits.argmax(dim=1) == labels).float().mean())


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-2)
    args = parser.parse_args(argv)

    torch.manual_seed(0)
    train_x, train_y = make_data(2000, seed=1)
    test_x, test_y = make_data(500, seed=2)
    model = Classifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    steps = args.epochs * -(-len(train_x) // args.batch_size)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=steps)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    for epoch in range(args.epochs):
        total = 0.0
        for padded, lengths, y in batches(train_x, train_y, args.batch_size, rng):
            loss = loss_fn(model(padded, lengths), y)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(lengths)
        print(f"epoch {epoch + 1}: loss {total / len(train_x):.4f}")
    acc = accuracy(model, test_x, test_y)
    print(f"test accuracy: {acc:.3f}")
    return acc


if __name__ == "__main__":
    main()
