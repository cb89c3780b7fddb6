"""Smoke test: the namespace imports and differentiates (the full suites live beside it)."""

import arraygrad as xp


def test_import_and_backward():
    x = xp.asarray([1.0, 2.0, 3.0], requires_grad=True)
    y = xp.sum(x * x)
    y.backward()
    assert xp.all(x.grad == xp.asarray([2.0, 4.0, 6.0]))
