"""Train a small LeNet-style convnet on scikit-learn's handwritten digits (8x8 images, offline).

    python examples/train_digits.py                       # CPU, default settings: >= 97% test accuracy
    python examples/train_digits.py --device cuda         # on a GPU (CuPy backend)
    python examples/train_digits.py --plot curves.png --save digits.npz

A fixed seed makes runs repeatable: the same 80/20 split, initial weights and batch order.
The last line printed is the test accuracy. Reload a saved model with
``model.load_state_dict(arraygrad.load("digits.npz"))``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import arraygrad as ag
from arraygrad import nn, optim
from arraygrad.utils.data import DataLoader, TensorDataset

SEED = 0


def build_model() -> nn.Module:
    """conv-relu-pool twice, then two linear layers: 1x8x8 -> 32x4x4 -> 64x2x2 -> 128 -> 10."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 2 * 2, 128), nn.ReLU(),
        nn.Linear(128, 10),
    )


def load_data(seed: int = SEED):
    """(x_train, x_test, y_train, y_test) as NumPy arrays: images (N, 1, 8, 8) scaled to
    [0, 1], labels int64; a stratified 80/20 split."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    images, labels = load_digits(return_X_y=True)
    images = (images / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    return train_test_split(images, labels.astype(np.int64), test_size=0.2, random_state=seed,
                            stratify=labels)


def accuracy(model, x, y) -> float:
    """The share of `x` that `model` classifies as `y` (evaluation mode, no graph)."""
    model.eval()
    with ag.no_grad():
        predicted = ag.argmax(model(x), axis=1)
    model.train()
    return float(ag.mean(ag.astype(predicted == y, ag.float32)))


def train(epochs=15, batch_size=32, lr=2e-3, device="cpu", seed=SEED, progress=True):
    """Train the model; returns (model, history: per-epoch loss and accuracies, test
    tensors)."""
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    # The matrices here are tiny: extra BLAS threads only add synchronization, which makes
    # training many times slower on a busy machine.
    with threadpool_limits(limits=1, user_api="blas"):
        return _train(epochs, batch_size, lr, device, seed, progress)


def _train(epochs, batch_size, lr, device, seed, progress):
    from tqdm import tqdm

    ag.manual_seed(seed)
    x_train, x_test, y_train, y_test = load_data(seed)
    x_train, y_train, x_test, y_test = (ag.asarray(a, device=device, copy=True)
                                        for a in (x_train, y_train, x_test, y_test))
    model = build_model().to(device)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)  # worth about a point of test accuracy
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=batch_size, shuffle=True,
                        generator=ag.Generator().manual_seed(seed))
    history = {"loss": [], "train_accuracy": [], "test_accuracy": []}
    for epoch in range(1, epochs + 1):
        total_loss = correct = seen = 0.0
        bar = tqdm(loader, desc=f"epoch {epoch:2d}/{epochs}", leave=False, disable=not progress,
                   ncols=100)
        for xb, yb in bar:
            logits = model(xb)
            loss = loss_fn(logits, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            n = yb.shape[0]
            total_loss += float(loss) * n
            correct += float(ag.sum(ag.argmax(logits.detach(), axis=1) == yb))
            seen += n
            bar.set_postfix(loss=f"{total_loss / seen:.4f}", acc=f"{correct / seen:.3f}")
        scheduler.step()
        test_acc = accuracy(model, x_test, y_test)
        history["loss"].append(total_loss / seen)
        history["train_accuracy"].append(correct / seen)
        history["test_accuracy"].append(test_acc)
        if progress:
            tqdm.write(f"epoch {epoch:2d}/{epochs}  loss {total_loss / seen:.4f}  "
                       f"train acc {correct / seen:.3f}  test acc {test_acc:.3f}")
    return model, history, (x_test, y_test)


def plot(history: dict, path: str) -> None:
    """Loss and accuracy curves per epoch, written to `path`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    epochs = range(1, len(history["loss"]) + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(epochs, history["loss"], marker="o")
    left.set(title="training loss", xlabel="epoch", ylabel="cross-entropy (label smoothing 0.1)")
    right.plot(epochs, history["train_accuracy"], marker="o", label="train")
    right.plot(epochs, history["test_accuracy"], marker="o", label="test")
    right.set(title="accuracy", xlabel="epoch", ylabel="accuracy")
    right.legend()
    for ax in (left, right):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=15, help="passes over the training set (default 15)")
    parser.add_argument("--batch-size", type=int, default=32, help="images per step (default 32)")
    parser.add_argument("--lr", type=float, default=2e-3, help="Adam's learning rate (default 2e-3)")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--plot", metavar="PNG", help="write loss/accuracy curves to this image")
    parser.add_argument("--save", metavar="NPZ", help="save the trained weights (state dict) here")
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1 or args.lr <= 0:
        parser.error("--epochs and --batch-size must be positive, --lr > 0")

    start = time.perf_counter()
    model, history, (x_test, y_test) = train(args.epochs, args.batch_size, args.lr, args.device)
    print(f"trained {args.epochs} epochs in {time.perf_counter() - start:.1f} s on {args.device}")
    if args.plot:
        plot(history, args.plot)
        print(f"curves written to {args.plot}")
    if args.save:
        ag.save(model.state_dict(), args.save)
        print(f"weights saved to {args.save}")
    test_acc = accuracy(model, x_test, y_test)
    print(f"test accuracy: {test_acc:.3f}")
    return test_acc


if __name__ == "__main__":
    main()
