"""The Dask backend (backends/arraygrad_dask): device "dask", lazy and immutable.

Every result is compared with the NumPy backend's (the oracle) after `.to("cpu")`, and a
counting scheduler checks that building the forward and backward graphs computes nothing:
only reading a value does (`.to("cpu")`, `.item()`, printing).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("dask")
pytest.importorskip("array_api_compat")

import dask  # noqa: E402

import arraygrad as xp  # noqa: E402
from _dask_plugin import BACKENDS_DIR, dask_registered, persist  # noqa: E402

D = "dask"
F = xp.nn.functional


@pytest.fixture(scope="module", autouse=True)
def dask_backend():
    with dask_registered():
        yield


class _Computes:
    """A synchronous Dask scheduler that counts the graphs it is asked to compute."""

    def __init__(self):
        self.n = 0

    def __call__(self, dsk, keys, **kwargs):
        self.n += 1
        return dask.get(dsk, keys, **kwargs)


@pytest.fixture
def computes():
    counter = _Computes()
    with dask.config.set(scheduler=counter):
        yield counter


def _host(t):
    return np.asarray(t.detach().to("cpu"))


def _rng(seed=0):
    return np.random.default_rng(seed)


A = _rng(0).standard_normal((4, 5))
B = _rng(1).standard_normal((5, 3))
IDX = np.array([3, 0, 0, 2])

# name -> f(device): the same call on "cpu" (NumPy) and on "dask"
CASES = {
    "zeros": lambda d: xp.zeros((2, 3), device=d),
    "ones_like": lambda d: xp.ones_like(xp.asarray(A, device=d)),
    "full": lambda d: xp.full((2,), -0.5, dtype=xp.float32, device=d),
    "arange": lambda d: xp.arange(1, 10, 2, device=d),
    "linspace": lambda d: xp.linspace(0, 1, 5, device=d),
    "eye": lambda d: xp.eye(3, k=1, device=d),
    "tril": lambda d: xp.tril(xp.asarray(A, device=d)),
    "elementwise": lambda d: (xp.sin(xp.asarray(A, device=d)) * 2
                              - xp.sqrt(xp.abs(xp.asarray(A, device=d))) / 3),
    "comparison": lambda d: xp.asarray(A, device=d) > 0.1,
    "sum": lambda d: xp.sum(xp.asarray(A, device=d), axis=1),
    "sum_int8": lambda d: xp.sum(xp.asarray(IDX.astype(np.int8), device=d)),
    "mean": lambda d: xp.mean(xp.asarray(A, device=d)),
    "max": lambda d: xp.max(xp.asarray(A, device=d), axis=0),
    "var": lambda d: xp.var(xp.asarray(A, device=d), correction=1),
    "argmax": lambda d: xp.argmax(xp.asarray(A, device=d), axis=1),
    "cumulative_sum": lambda d: xp.cumulative_sum(xp.asarray(A.astype(np.float32), device=d), axis=1),
    "matmul": lambda d: xp.asarray(A, device=d) @ xp.asarray(B, device=d),
    "tensordot": lambda d: xp.tensordot(xp.asarray(A, device=d), xp.asarray(A, device=d), axes=([0], [0])),
    "vecdot": lambda d: xp.vecdot(xp.asarray(A, device=d), xp.asarray(A, device=d)),
    "reshape": lambda d: xp.reshape(xp.asarray(A, device=d), (10, 2)),
    "transpose": lambda d: xp.asarray(A, device=d).T,
    "permute_dims": lambda d: xp.permute_dims(xp.reshape(xp.asarray(A, device=d), (2, 2, 5)), (2, 0, 1)),
    "concat": lambda d: xp.concat([xp.asarray(A, device=d), xp.asarray(A, device=d)], axis=1),
    "stack": lambda d: xp.stack([xp.asarray(A, device=d)] * 3),
    "expand_dims": lambda d: xp.expand_dims(xp.asarray(A, device=d), axis=1),
    "broadcast_to": lambda d: xp.broadcast_to(xp.asarray(A[:1], device=d), (3, 5)),
    "flip": lambda d: xp.flip(xp.asarray(A, device=d), axis=0),
    "roll": lambda d: xp.roll(xp.asarray(A, device=d), 2, axis=1),
    "getitem_basic": lambda d: xp.asarray(A, device=d)[1:, ::2],
    "getitem_int_array": lambda d: xp.asarray(A, device=d)[xp.asarray(IDX, device=d)],
    "getitem_int_array_axis1": lambda d: xp.asarray(A, device=d)[:, xp.asarray([4, 1], device=d)],
    "take": lambda d: xp.take(xp.asarray(A, device=d), xp.asarray(IDX, device=d), axis=0),
    "take_along_axis": lambda d: xp.take_along_axis(
        xp.asarray(A, device=d), xp.asarray(np.argsort(A, axis=1)[:, :2], device=d), axis=1),
    "take_one_index": lambda d: xp.take(xp.asarray(A, device=d), xp.asarray([0], device=d), axis=1),
    "repeat": lambda d: xp.repeat(xp.asarray(A, device=d), 2, axis=1),
    "repeat_flat": lambda d: xp.repeat(xp.asarray(A, device=d), 3),
    "searchsorted_sorter": lambda d: xp.searchsorted(
        xp.asarray(A[0], device=d), xp.asarray([0.0, 1.0], device=d),
        sorter=xp.asarray(np.argsort(A[0]), device=d)),
    "where": lambda d: xp.where(xp.asarray(A, device=d) > 0, xp.asarray(A, device=d), 0.0),
    "sort_descending": lambda d: xp.sort(xp.asarray(A, device=d), axis=1, descending=True),
    "argsort": lambda d: xp.argsort(xp.asarray(A, device=d), axis=0),
    "clip": lambda d: xp.clip(xp.asarray(A, device=d), -0.5, 0.5),
    "astype": lambda d: xp.astype(xp.asarray(A, device=d), xp.float32),
    "floor_divide_inf": lambda d: xp.floor_divide(xp.asarray([np.inf, 1.0, -3.0], device=d),
                                                  xp.asarray([2.0, np.inf, 2.0], device=d)),
    "isin": lambda d: xp.isin(xp.asarray(IDX, device=d), xp.asarray([0, 2], device=d)),
    "softmax": lambda d: F.softmax(xp.asarray(A, device=d), dim=1),
    "eye_offset": lambda d: xp.eye(2, 5, k=3, device=d),
    "linspace_float32_endpoint": lambda d: xp.linspace(9007200328482816.0, 1.0, 2, dtype=xp.float32, device=d),
    "fft_rechunked": lambda d: xp.fft.rfft(xp.asarray(A, device=d), axis=0),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_op_matches_numpy_and_computes_nothing(name, computes):
    f = CASES[name]
    ref = f("cpu")
    out = f(D)
    assert computes.n == 0, f"{name} computed before a value was read"
    assert out.device == xp.device("dask:0")
    assert isinstance(out._data, out._backend.array_type)
    assert out.dtype == ref.dtype and tuple(out.shape) == tuple(ref.shape)
    np.testing.assert_allclose(_host(out), np.asarray(ref), rtol=1e-6, atol=1e-12)
    assert computes.n == 1  # reading the value is one compute


# name -> f(x): scalar function of one float64 (4, 5) input, differentiated on both backends
GRADS = {
    "elementwise": lambda x: xp.sum(xp.exp(x) * xp.tanh(x) - x ** 2 / 3),
    "reductions": lambda x: xp.mean(xp.max(x, axis=1)) + xp.sum(xp.var(x, axis=0)),
    "matmul": lambda x: xp.sum((x @ xp.asarray(B, device=x.device)) ** 2),
    "reshape_transpose": lambda x: xp.sum(xp.reshape(x.T, (2, 10))[1] * xp.arange(10., device=x.device)),
    "concat_stack": lambda x: xp.sum(xp.stack([x, 2 * x]) ** 2) + xp.sum(xp.concat([x, x[:1]]) * 3),
    "getitem_basic": lambda x: xp.sum(x[1:, ::2] ** 3),
    "getitem_repeated_ints": lambda x: xp.sum(x[xp.asarray(IDX, device=x.device)] ** 2),
    "take": lambda x: xp.sum(xp.take(x, xp.asarray([4, 4, 1], device=x.device), axis=1) * 5),
    "take_along_axis": lambda x: xp.sum(xp.take_along_axis(
        x, xp.asarray(np.array([[4, 4], [0, 1], [2, 2], [3, 0]]), device=x.device), axis=1) ** 2),
    "where": lambda x: xp.sum(xp.where(x > 0, x ** 2, -x)),
    "log_softmax_nll": lambda x: -xp.sum(F.log_softmax(x, dim=1)[:, 2]),
    "cumulative_sum": lambda x: xp.sum(xp.cumulative_sum(x, axis=0) ** 2),
}


@pytest.mark.parametrize("name", sorted(GRADS))
def test_gradient_matches_numpy_and_computes_nothing(name, computes):
    f = GRADS[name]
    xc = xp.asarray(A.copy(), requires_grad=True)
    ref = f(xc)
    ref.backward()
    xd = xp.asarray(A.copy(), device=D, requires_grad=True)
    loss = f(xd)
    loss.backward()
    assert computes.n == 0, f"{name}: forward or backward computed"
    assert xd.grad.device == xd.device
    np.testing.assert_allclose(_host(xd.grad), np.asarray(xc.grad), rtol=1e-10, atol=1e-12)
    assert loss.item() == pytest.approx(ref.item(), rel=1e-12)


def _mlp_training(device, loss_fn, steps=3):
    xp.manual_seed(0)
    model = xp.nn.Sequential(xp.nn.Linear(8, 16), xp.nn.ReLU(), xp.nn.Linear(16, 3)).to(device)
    opt = xp.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = xp.asarray(_rng(2).standard_normal((12, 8)).astype(np.float32), device=device)
    y = xp.asarray(_rng(3).integers(0, 3, 12), device=device)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss)
    return model, losses


def _mse_one_hot(out, y):
    return F.mse_loss(out, F.one_hot(y, 3).to(xp.float32))


def _check_training(loss_fn, computes):
    ref_model, ref_losses = _mlp_training("cpu", loss_fn)
    model, losses = _mlp_training(D, loss_fn)
    assert computes.n == 0, "training steps computed before a value was read"
    for p, q in zip(model.parameters(), ref_model.parameters()):
        assert p.device == xp.device("dask:0")
        np.testing.assert_allclose(_host(p), np.asarray(q.detach()), rtol=1e-5, atol=1e-6)
    assert [l.item() for l in losses] == pytest.approx([l.item() for l in ref_losses], rel=1e-5)


def test_mlp_sgd_training_matches_numpy(computes):
    _check_training(_mse_one_hot, computes)


def test_mlp_cross_entropy_training_matches_numpy(computes):
    _check_training(F.cross_entropy, computes)


@pytest.mark.parametrize("create_graph", [False, True])
def test_conv_and_pool_gradients_match_numpy(create_graph, computes):
    """col2im adds each kernel offset's slice into an image: on immutable arrays by item
    assignment (views of a dask array are copies: += into them was lost)."""
    x0 = _rng(5).standard_normal((2, 3, 6, 6)).astype(np.float32)
    w0 = _rng(6).standard_normal((4, 3, 3, 3)).astype(np.float32)
    grads = []
    for dev in ("cpu", D):
        x = xp.asarray(x0, device=dev, requires_grad=True)
        w = xp.asarray(w0, device=dev, requires_grad=True)
        y = F.max_pool2d(F.conv2d(x, w, padding=1), 2).sum() + F.avg_pool2d(F.conv2d(x, w, stride=2), 2).sum()
        if create_graph:
            gx, = xp.autograd.grad(y, [x], create_graph=True)
            y = (gx * gx).sum()
        y.backward()
        # (with create_graph, x's gradient of the squared gradient is zero: none reaches x)
        grads.append([_host(w.grad)] + ([] if create_graph else [_host(x.grad)]))
    for ours, ref in zip(grads[1], grads[0]):
        np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-4)


def test_lbfgs_step_matches_numpy():
    """LBFGS's two-loop recursion built its direction through an alias that an immutable
    backend's write does not update."""
    results = []
    for dev in ("cpu", D):
        w = xp.asarray([1.5, -0.5], device=dev, requires_grad=True)
        opt = xp.optim.LBFGS([w], lr=0.5, max_iter=4, history_size=3)

        def closure():
            opt.zero_grad()
            loss = ((w - xp.asarray([1.0, 2.0], device=dev)) ** 2 * xp.asarray([1.0, 3.0], device=dev)).sum()
            loss.backward()
            return loss

        for _ in range(2):
            opt.step(closure)
        results.append(_host(w))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-5)


def test_persist_cuts_the_graph_of_a_training_loop(computes):
    model = xp.nn.Linear(4, 1).to(D)
    opt = xp.optim.SGD(model.parameters(), lr=0.1)
    x = xp.asarray(_rng(4).standard_normal((8, 4)), device=D, dtype=xp.float32)

    def step():
        opt.zero_grad()
        loss = xp.mean(model(x) ** 2)
        loss.backward()
        opt.step()

    for _ in range(5):
        step()
    grown = len(model.weight._data.__dask_graph__())
    before = _host(model.weight)
    persist(*model.parameters())
    assert computes.n == 2  # the read above, then one persist for both parameters
    np.testing.assert_array_equal(_host(model.weight), before)
    step()
    assert len(model.weight._data.__dask_graph__()) < grown / 2


def test_fft_along_a_chunked_axis():
    t = xp.asarray(A, device=D)
    t._data = t._data.rechunk((1, 5))  # dask transforms only along one chunk: the plugin rechunks
    np.testing.assert_allclose(_host(xp.fft.fft(t, axis=0)), np.fft.fft(A, axis=0), atol=1e-12)


def test_dask_and_dask0_are_one_device():
    a, b = xp.ones(2, device="dask"), xp.ones(2, device="dask:0")
    assert a._backend is b._backend
    assert (a + b).device == xp.device("dask", 0)
    assert str(a.device) == "dask:0"


def test_moves_between_cpu_and_dask_are_differentiable(computes):
    x = xp.asarray(A.copy(), requires_grad=True)
    y = (x.to(D) * 3).sum()
    assert computes.n == 0
    y.backward()  # the gradient crosses back to the CPU: that computes it
    np.testing.assert_allclose(np.asarray(x.grad), np.full(A.shape, 3.0))


def test_in_place_ops_are_functional_and_keep_dtype(computes):
    x = xp.asarray(np.ones(3, np.float32), device=D)
    old = x._data
    x += xp.asarray(np.full(3, 0.5), device=D)  # float64 operand: x stays float32
    x[1] = 7.0
    x.mul_(2)
    assert computes.n == 0
    assert x.dtype == xp.float32 and x._data.dtype == np.float32
    np.testing.assert_array_equal(_host(x), np.float32([3.0, 14.0, 3.0]))
    np.testing.assert_array_equal(old.compute(), np.ones(3, np.float32))  # the old array is untouched


def test_item_assignment_under_autograd_matches_numpy(computes):
    def f(d):
        w = xp.asarray(A.copy(), device=d, requires_grad=True)
        z = w * 2
        z[0, 1:] = 0
        z[:, xp.asarray([0, 0], device=d)] += 1.0
        z.sum().backward()
        return w.grad

    ref = f("cpu")
    got = f(D)
    assert computes.n == 0
    np.testing.assert_array_equal(_host(got), np.asarray(ref))


def test_writes_to_a_view_do_not_reach_its_base():
    # immutable arrays (Backend.mutable_arrays = False): a view is a copy, as in JAX
    base = xp.asarray(A.copy(), device=D)
    row = base[0]
    row[1] = -1.0
    assert _host(base)[0, 1] == A[0, 1] and _host(row)[1] == -1.0


def test_gradient_of_a_one_element_index_array():
    # the scatter-add of the gradient goes through the plugin's getitem, which works around
    # dask/dask#6709 (a dask index array [0] gets the whole axis' shape)
    x = xp.asarray(A.copy(), device=D, requires_grad=True)
    xp.sum(xp.take(x, xp.asarray([0], device=D), axis=0) * 3).backward()
    expected = np.zeros_like(A)
    expected[0] = 3.0
    np.testing.assert_array_equal(_host(x.grad), expected)


def test_getitem_with_the_index_array_zero():
    # dask/dask#6709: x[i] with the dask index array [0] had the whole axis' shape; the
    # plugin's getitem (which the core calls for advanced keys) works around it
    x = xp.asarray(A, device=D)
    i = xp.asarray([0], device=D)
    assert tuple(x[i].shape) == (1, 5)
    assert tuple(x[:, i].shape) == (4, 1) and tuple(x[i, 1:].shape) == (1, 4)
    np.testing.assert_array_equal(_host(x[i]), A[[0]])
    x.requires_grad_(True)
    x[i].sum().backward()
    want = np.zeros_like(A)
    want[0] = 1
    np.testing.assert_array_equal(_host(x.grad), want)


def test_random_draws_equal_the_cpu_stream():
    xp.manual_seed(5)
    a = xp.randn(4, 3, device=D)
    xp.manual_seed(5)
    b = xp.randn(4, 3)
    np.testing.assert_array_equal(_host(a), np.asarray(b))


def test_save_load_and_pickle_round_trip(tmp_path):
    import pickle

    t = xp.asarray(A, device=D)
    back = pickle.loads(pickle.dumps(t))
    assert back.device == t.device
    np.testing.assert_array_equal(_host(back), A)
    xp.save({"t": t}, tmp_path / "t.pt")
    loaded = xp.load(tmp_path / "t.pt")["t"]
    assert loaded.device == t.device
    np.testing.assert_array_equal(_host(loaded), A)


def test_numpy_bridge_refuses_and_cpu_computes():
    t = xp.asarray(A, device=D)
    with pytest.raises(TypeError, match="cpu"):
        t.numpy()
    np.testing.assert_array_equal(t.cpu().numpy(), A)


def test_from_dlpack_copies_onto_dask():
    host = np.arange(4.0)
    t = xp.from_dlpack(host, device=D)
    host[0] = 99.0
    assert t.device == xp.device("dask:0") and _host(t)[0] == 0.0


def test_data_dependent_shapes_are_unknown():
    # as in Dask: a boolean mask's size is known only once computed (reported as nan)
    t = xp.asarray(A, device=D)
    picked = t[t > 0]
    assert np.isnan(picked.shape[0])
    assert xp.sum(picked).item() == pytest.approx(A[A > 0].sum())


def test_importing_the_plugin_does_not_import_dask():
    code = ("import sys; sys.path.insert(0, %r)\n"
            "import arraygrad, arraygrad_dask\n"
            "arraygrad.register_backend('dask', arraygrad_dask.DaskBackend)\n"
            "arraygrad.device('dask:0')\n"
            "print('dask' in sys.modules, 'array_api_compat' in sys.modules)") % BACKENDS_DIR
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False"]
