"""The NumPy plugin's fast paths (backends/arraygrad_numpy/_fixes.py) against the plain
NumPy computation they replace."""

import numpy as np
import pytest

import arraygrad as ag

FN = ag.asarray(0.0)._backend.fn  # the NumPy backend's functions, overrides in place


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "complex64"])
@pytest.mark.parametrize("trailing", [(64,), (7,), (3, 4), (0,), (1,)])
def test_index_add_of_rows_is_add_at(dtype, trailing):
    # the gradient of a row gather (Embedding, take, x[rows]): duplicates, negative rows,
    # odd and even row widths (even float rows are added as complex pairs)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((9,) + trailing).astype(dtype)
    rows = np.array([3, -1, 3, 0, 8, 3, -9, 5, 5])
    values = (rng.standard_normal((len(rows),) + trailing) * 100).astype(dtype)
    before = x.copy()
    want = x.copy()
    np.add.at(want, rows, values)
    for key in (rows, (rows,), (rows, Ellipsis)):
        got = FN["index_add"](x, values, key=key)
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)  # the same additions in the same order
    np.testing.assert_array_equal(x, before)  # the input is not written
    # non-contiguous values and int32 rows
    vt = np.asfortranarray(values)
    np.testing.assert_array_equal(FN["index_add"](x, vt, key=rows.astype(np.int32)), want)
    # no rows at all
    empty = FN["index_add"](x, values[:0], key=rows[:0])
    np.testing.assert_array_equal(empty, x)


def test_embedding_gradient_counts_repeated_tokens():
    emb = ag.nn.Embedding(5, 4)
    tokens = ag.asarray([[1, 1, 4], [1, 0, 4]])
    (emb(tokens) * ag.arange(4.0)).sum().backward()
    want = np.zeros((5, 4), np.float32)
    for t, n in ((1, 3), (4, 2), (0, 1)):
        want[t] = n * np.arange(4.0)
    np.testing.assert_array_equal(emb.weight.grad.numpy(), want)
