"""The README's main command, examples/train_digits.py, run briefly in-process: it trains,
writes its plot and weights, and ends with the test accuracy line."""

from __future__ import annotations

import os
import sys

import pytest

import arraygrad as xp

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "examples")


@pytest.fixture(scope="module")
def train_digits():
    pytest.importorskip("sklearn")
    pytest.importorskip("tqdm")
    sys.path.insert(0, EXAMPLES)
    try:
        import train_digits
    finally:
        sys.path.remove(EXAMPLES)
    return train_digits


def test_two_epochs_learn_and_save(train_digits, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    plot, weights = tmp_path / "curves.png", tmp_path / "digits.npz"
    accuracy = train_digits.main(["--epochs", "2", "--batch-size", "64", "--lr", "5e-3",
                                  "--plot", str(plot), "--save", str(weights)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == f"test accuracy: {accuracy:.3f}"
    assert accuracy > 0.8  # two short epochs already do far better than chance (0.1)
    assert plot.stat().st_size > 0
    model = train_digits.build_model()
    model.load_state_dict(xp.load(weights))
    _, x_test, _, y_test = train_digits.load_data()
    assert train_digits.accuracy(model, xp.asarray(x_test), xp.asarray(y_test)) == pytest.approx(accuracy)


def test_bad_flags_are_refused(train_digits):
    with pytest.raises(SystemExit):
        train_digits.main(["--epochs", "0"])


def test_sequence_lstm_example_learns(capsys):
    """examples/sequence_lstm.py: an LSTM over packed, padded integer sequences (Embedding,
    pack_padded_sequence, OneCycleLR, clip_grad_norm_) learns what order-blind models cannot."""
    sys.path.insert(0, EXAMPLES)
    try:
        import sequence_lstm
    finally:
        sys.path.remove(EXAMPLES)
    accuracy = sequence_lstm.main(["--epochs", "2"])
    assert capsys.readouterr().out.strip().splitlines()[-1] == f"test accuracy: {accuracy:.3f}"
    assert accuracy > 0.65  # chance is ~0.5; eight epochs reach ~0.86
