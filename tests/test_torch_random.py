"""Random numbers: manual_seed, Generator (PyTorch's semantics), the sampling functions and
in-place fills. The streams are arraygrad's own (not PyTorch's numbers); shapes, dtypes,
ranges, reproducibility and rough statistics are checked."""

from __future__ import annotations

import numpy as np
import pytest

import arraygrad as ag


def test_manual_seed_repeats_streams():
    ag.manual_seed(3)
    a = ag.rand(4), ag.randn(2, 2), ag.randint(0, 10, (5,)), ag.randperm(6)
    ag.manual_seed(3)
    b = ag.rand(4), ag.randn(2, 2), ag.randint(0, 10, (5,)), ag.randperm(6)
    assert all(x.equal(y) for x, y in zip(a, b))
    assert ag.initial_seed() == 3 and not ag.rand(4).equal(a[0])
    assert ag.manual_seed(4) is ag.default_generator


def test_fresh_process_default_seed_is_pytorchs():
    assert ag.Generator().initial_seed() == 67280421310721


def test_generator_semantics():
    g = ag.Generator().manual_seed(7)
    x = ag.rand(3, generator=g)
    assert ag.rand(3, generator=ag.Generator().manual_seed(7)).equal(x)
    ag.manual_seed(0)  # the default generator does not touch g
    y = ag.rand(3, generator=g)
    assert not y.equal(x)
    state = g.get_state()
    assert state.dtype == ag.uint8
    z = ag.randn(5, generator=g)
    g.set_state(state)
    assert ag.randn(5, generator=g).equal(z)
    assert g.seed() == g.initial_seed() and g.device == ag.device("cpu")
    with pytest.raises(TypeError, match="Generator"):
        ag.rand(2, generator=np.random.default_rng())
    with pytest.raises(RuntimeError, match="set_state"):
        g.set_state(ag.tensor([1, 2, 3], dtype=ag.uint8))


def test_global_rng_state_round_trip():
    s = ag.get_rng_state()
    a = ag.rand(3)
    ag.set_rng_state(s)
    assert ag.rand(3).equal(a)


@pytest.mark.parametrize("fn", [ag.rand, ag.randn])
def test_rand_randn_shapes_and_dtypes(fn):
    assert fn(2, 3).shape == fn((2, 3)).shape == (2, 3) and fn(4).dtype == ag.float32
    assert fn(3, dtype=ag.float64).dtype == ag.float64 and fn(1, requires_grad=True).requires_grad
    c = fn(1000, dtype=ag.complex64)
    assert c.dtype == ag.complex64 and float(c.imag.abs().sum()) > 0
    with pytest.raises(TypeError, match="floating"):
        fn(2, dtype=ag.int64)
    with pytest.raises(TypeError, match="size"):
        fn()


def test_distributions_look_right():
    ag.manual_seed(1)
    u = ag.rand(20000)
    assert float(u.min()) >= 0 and float(u.max()) < 1 and abs(float(u.mean()) - 0.5) < 0.02
    n = ag.randn(20000, dtype=ag.float64)
    assert abs(float(n.mean())) < 0.03 and abs(float(n.std()) - 1) < 0.03
    c = ag.randn(20000, dtype=ag.complex128)
    assert abs(float((c.real * c.real).mean()) - 0.5) < 0.03  # each part has variance 1/2
    p = ag.randperm(50)
    assert sorted(p.tolist()) == list(range(50)) and p.dtype == ag.int64


def test_randint_forms():
    x = ag.randint(5, (100,))
    assert x.dtype == ag.int64 and 0 <= int(x.min()) and int(x.max()) < 5
    y = ag.randint(-3, 3, (2, 50), dtype=ag.int32)
    assert y.dtype == ag.int32 and y.shape == (2, 50) and -3 <= int(y.min()) and int(y.max()) < 3
    assert ag.randint(0, 2, size=(3,)).shape == (3,) and ag.randint(1, 2, (4,)).tolist() == [1] * 4
    assert ag.randint(3, 4, (2,), dtype=ag.float32).tolist() == [3.0, 3.0]
    with pytest.raises(ValueError, match="low < high"):
        ag.randint(3, 3, (2,))
    with pytest.raises(TypeError, match="size"):
        ag.randint(3)
    with pytest.raises(ValueError, match="out of range"):
        ag.randint(0, 300, (2,), dtype=ag.uint8)


def test_like_functions():
    x = ag.zeros(2, 3, dtype=ag.float64)
    assert ag.rand_like(x).dtype == ag.float64 and ag.randn_like(x).shape == (2, 3)
    i = ag.randint_like(x, 2, 5)
    assert i.dtype == ag.float64 and 2 <= float(i.min()) and float(i.max()) < 5


def test_normal_forms():
    ag.manual_seed(2)
    assert ag.normal(2.0, 3.0, size=(4,)).shape == (4,)
    m = ag.full((3, 1000), 5.0)
    s = ag.normal(m, 0.5)
    assert s.shape == (3, 1000) and abs(float(s.mean()) - 5) < 0.1
    t = ag.normal(0.0, ag.full((500,), 2.0))
    assert abs(float(t.std()) - 2) < 0.3
    assert ag.normal(m, ag.zeros(3, 1)).equal(m)
    with pytest.raises(TypeError, match="size"):
        ag.normal(0.0, 1.0)
    with pytest.raises(ValueError, match="std"):
        ag.normal(m, -1.0)


def test_bernoulli_and_multinomial():
    ag.manual_seed(5)
    p = ag.full((4000,), 0.25)
    b = ag.bernoulli(p)
    assert b.dtype == ag.float32 and set(b.tolist()) <= {0.0, 1.0} and abs(float(b.mean()) - 0.25) < 0.03
    w = ag.tensor([0.0, 1.0, 3.0])
    draws = ag.multinomial(w, 4000, replacement=True)
    assert draws.dtype == ag.int64 and 0 not in draws.tolist()
    assert abs(draws.tolist().count(2) / 4000 - 0.75) < 0.03
    k = ag.multinomial(ag.tensor([[1.0, 1.0, 0.0, 1.0]] * 3), 3)
    assert k.shape == (3, 3) and all(sorted(r) == [0, 1, 3] for r in k.tolist())
    with pytest.raises(ValueError, match="without replacement"):
        ag.multinomial(w, 5)


def test_in_place_random_fills():
    ag.manual_seed(9)
    x = ag.empty(1000)
    assert x.uniform_(2, 3) is x and 2 <= float(x.min()) and float(x.max()) < 3
    assert x.normal_(10, 0.1) is x and abs(float(x.mean()) - 10) < 0.05
    assert set(x.bernoulli_(0.5).tolist()) <= {0.0, 1.0}
    g = ag.Generator().manual_seed(1)
    a = ag.empty(5).uniform_(generator=g)
    assert ag.empty(5).uniform_(generator=ag.Generator().manual_seed(1)).equal(a)
    w = ag.zeros(3, requires_grad=True)
    with ag.no_grad():
        w.normal_()  # nn.init's pattern
    assert w.requires_grad and float(w.abs().sum()) > 0
    with pytest.raises(TypeError, match="floating"):
        ag.zeros(3, dtype=ag.int64).uniform_()
