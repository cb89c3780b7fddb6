"""Gaps that PyTorch tutorial code hit (the 60-minute blitz, "Learning PyTorch with
Examples", the quickstart, saving/loading, text classification, data loading), each
checked against torch: `out=` of matmul, optimizer reprs / defaults / step counts as
PyTorch prints and saves them, StepLR(optimizer, 1.0), einsum's sublist form,
broadcast_shapes' Size, default_collate's error for ragged samples, get_worker_info,
torch.accelerator, and save()'s hint for whole modules."""

from __future__ import annotations

import importlib
import io

import numpy as np
import pytest

import arraygrad as ag

torch = pytest.importorskip("torch")

_rng = np.random.default_rng(11)


def R(*shape, dtype=np.float32):
    return _rng.standard_normal(shape).astype(dtype)


def _np(t):
    return t.detach().cpu().numpy() if hasattr(t, "detach") else np.asarray(t)


# ----------------------------------------------------------------------------------------
# torch.matmul(a, b, out=y) (the tensors tutorial)
# ----------------------------------------------------------------------------------------
def test_matmul_out_writes_the_product():
    a, b = R(4, 3), R(3, 5)
    y = ag.zeros((4, 5))
    r = ag.matmul(ag.asarray(a), ag.asarray(b), out=y)
    ty = torch.zeros(4, 5)
    torch.matmul(torch.from_numpy(a), torch.from_numpy(b), out=ty)
    assert r is y
    np.testing.assert_allclose(_np(y), ty.numpy(), rtol=1e-6, atol=1e-6)
    # batched and 1-D operands, as the product itself
    a3, v = R(2, 4, 3), R(3)
    y3 = ag.empty((2, 4))
    ag.matmul(ag.asarray(a3), ag.asarray(v), out=y3)
    np.testing.assert_allclose(_np(y3), torch.matmul(torch.from_numpy(a3), torch.from_numpy(v)).numpy(),
                               rtol=1e-6, atol=1e-6)


def test_matmul_out_errors():
    a, b = ag.asarray(R(2, 3)), ag.asarray(R(3, 2))
    with pytest.raises(RuntimeError, match="out= has shape"):
        ag.matmul(a, b, out=ag.zeros((3, 3)))
    with pytest.raises(TypeError, match="out"):
        ag.matmul(a, b, out=np.zeros((2, 2)))
    w = ag.asarray(R(3, 2), requires_grad=True)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        ag.matmul(a, w, out=ag.zeros((2, 2)))
    with pytest.raises(RuntimeError):  # torch agrees
        torch.matmul(torch.ones(2, 3), torch.ones(3, 2, requires_grad=True), out=torch.zeros(2, 2))


# ----------------------------------------------------------------------------------------
# Optimizers as PyTorch prints and saves them
# ----------------------------------------------------------------------------------------
_OPTIMIZERS = ["SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "Adagrad", "Adadelta", "RMSprop",
               "ASGD", "Rprop"]


@pytest.mark.parametrize("name", _OPTIMIZERS)
def test_optimizer_defaults_print_as_torch(name):
    ours = getattr(ag.optim, name)([ag.nn.Parameter(ag.zeros(2))], lr=0.01)
    theirs = getattr(torch.optim, name)([torch.nn.Parameter(torch.zeros(2))], lr=0.01)
    assert repr(ours.defaults) == repr(theirs.defaults)
    assert repr(ours.state_dict()["param_groups"]) == repr(theirs.state_dict()["param_groups"])


def test_optimizer_repr_separates_groups_as_torch():
    def groups(lib):
        m = lib.nn.Linear(2, 2)
        return lib.optim.Adam([{"params": [m.weight]}, {"params": [m.bias], "lr": 0.5}], lr=0.1, weight_decay=1e-4)

    assert repr(groups(ag)) == repr(groups(torch))
    one = ag.optim.SGD([ag.nn.Parameter(ag.zeros(1))], lr=0.1)
    assert repr(one) == repr(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1))


@pytest.mark.parametrize("name", [n for n in _OPTIMIZERS if n != "SGD"])
def test_optimizer_step_count_is_a_tensor_as_torch(name):
    w0, g = R(3, 2), R(3, 2)
    pa, pt = ag.nn.Parameter(ag.asarray(w0)), torch.nn.Parameter(torch.from_numpy(w0.copy()))
    oa = getattr(ag.optim, name)([pa], lr=0.01)
    ot = getattr(torch.optim, name)([pt], lr=0.01)
    for _ in range(3):
        pa.grad, pt.grad = ag.asarray(g), torch.from_numpy(g.copy())
        oa.step()
        ot.step()
    sa, st = oa.state_dict()["state"][0]["step"], ot.state_dict()["state"][0]["step"]
    assert isinstance(sa, ag.Tensor) and sa.ndim == 0 and sa.device == ag.device("cpu")
    assert sa.dtype.name == str(st.dtype).replace("torch.", "") and float(sa) == float(st) == 3.0
    assert repr(sa) == repr(st)
    assert oa.state[pa]["step"].item() == 3.0  # code that logs state["step"].item()
    np.testing.assert_allclose(_np(pa), _np(pt), rtol=1e-5, atol=1e-6)


def test_optimizer_step_count_survives_save_load_and_old_int_counts():
    w0, g = R(4), R(4)

    def run(steps, state=None):
        p = ag.nn.Parameter(ag.asarray(w0, dtype=ag.float64))
        opt = ag.optim.Adam([p], lr=0.1)
        if state is not None:
            opt.load_state_dict(state)
        for _ in range(steps):
            p.grad = ag.asarray(g, dtype=ag.float64)
            opt.step()
        return p, opt

    _, first = run(2)
    buf = io.BytesIO()
    ag.save(first.state_dict(), buf)
    buf.seek(0)
    saved = ag.load(buf)
    step = saved["state"][0]["step"]
    p, resumed = run(1, saved)
    s = resumed.state[p]["step"]
    # the count stays a float32 CPU scalar (not the float64 parameter's dtype), as PyTorch's
    assert s.dtype == ag.float32 and float(s) == 3.0 and float(step) == 2.0
    # older state with an int count still loads and continues
    old = first.state_dict()
    old["state"][0]["step"] = 2
    p2, resumed2 = run(1, old)
    assert float(resumed2.state[p2]["step"]) == 3.0
    np.testing.assert_allclose(_np(p2), _np(p))


def test_adagrad_initial_state_step_is_a_tensor():
    oa = ag.optim.Adagrad([ag.nn.Parameter(ag.zeros(2))], lr=0.1)
    ot = torch.optim.Adagrad([torch.nn.Parameter(torch.zeros(2))], lr=0.1)
    assert repr(oa.state_dict()["state"][0]["step"]) == repr(ot.state_dict()["state"][0]["step"])


# ----------------------------------------------------------------------------------------
# StepLR(optimizer, 1.0, gamma=0.1) (the text classification tutorial)
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls,args", [("StepLR", (1.0,)), ("StepLR", (2.0,)), ("CosineAnnealingLR", (4.0,))])
def test_schedulers_take_whole_float_periods(cls, args):
    def lrs(lib):
        p = lib.nn.Parameter(lib.zeros(1))
        o = lib.optim.SGD([p], lr=0.5)
        s = getattr(lib.optim.lr_scheduler, cls)(o, *args)
        out = []
        for _ in range(6):
            o.step()
            s.step()
            out.append(s.get_last_lr()[0])
        return out

    np.testing.assert_allclose(lrs(ag), lrs(torch), rtol=1e-12)


@pytest.mark.parametrize("bad", [0, 0.0, -1, True, "1"])
def test_steplr_step_size_must_be_a_positive_number(bad):
    o = ag.optim.SGD([ag.nn.Parameter(ag.zeros(1))], lr=0.5)
    with pytest.raises(ValueError, match=r"StepLR: step_size must be a positive number, got"):
        ag.optim.lr_scheduler.StepLR(o, bad)


@pytest.mark.parametrize("make", [
    lambda lib, o: lib.optim.lr_scheduler.MultiStepLR(o, milestones=[0.5 * 6, 0.75 * 8, 2.5]),
    lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingLR(o, T_max=7.5),
    lambda lib, o: lib.optim.lr_scheduler.StepLR(o, step_size=2.5)], ids=["milestones", "T_max", "step_size"])
def test_schedulers_take_float_epochs_as_pytorch_does(make):
    torch = pytest.importorskip("torch")
    runs = []
    for lib in (ag, torch):
        o = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=1.0)
        s = make(lib, o)
        lrs = []
        for _ in range(10):
            o.step()
            s.step()
            lrs.append(s.get_last_lr()[0])
        runs.append(lrs)
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-12)


# ----------------------------------------------------------------------------------------
# einsum's sublist form
# ----------------------------------------------------------------------------------------
def test_einsum_sublist_form():
    a, b = R(3, 4), R(4, 5)
    got = ag.einsum(ag.asarray(a), [0, 1], ag.asarray(b), [1, 2], [0, 2])
    want = torch.einsum(torch.from_numpy(a), [0, 1], torch.from_numpy(b), [1, 2], [0, 2])
    np.testing.assert_allclose(_np(got), want.numpy(), rtol=1e-5, atol=1e-6)
    # no output sublist: the implicit output; Ellipsis for broadcast axes
    got = ag.einsum(ag.asarray(a), [0, 1], ag.asarray(b), [1, 2])
    np.testing.assert_allclose(_np(got), (a @ b), rtol=1e-5, atol=1e-6)
    c = R(2, 3, 4)
    got = ag.einsum(ag.asarray(c), [Ellipsis, 0, 1], [Ellipsis, 1, 0])
    want = torch.einsum(torch.from_numpy(c), [Ellipsis, 0, 1], [Ellipsis, 1, 0])
    np.testing.assert_allclose(_np(got), want.numpy())
    # gradients flow as through the equation form
    x = ag.asarray(a, requires_grad=True)
    ag.einsum(x, [0, 1], [1]).sum().backward()
    np.testing.assert_allclose(_np(x.grad), np.ones_like(a))


def test_einsum_sublist_errors():
    a = ag.ones((2, 2))
    with pytest.raises(ValueError, match=r"int in \[0, 52\) or Ellipsis, got 60"):
        ag.einsum(a, [0, 60])
    with pytest.raises(TypeError, match="expected a sublist"):
        ag.einsum(a, "ij")


# ----------------------------------------------------------------------------------------
# broadcast_shapes returns a Size
# ----------------------------------------------------------------------------------------
def test_broadcast_shapes_is_a_size():
    for shapes in [((3, 1), (1, 4)), (2, (3, 1)), ((), (5,)), ()]:
        got, want = ag.broadcast_shapes(*shapes), torch.broadcast_shapes(*shapes)
        assert isinstance(got, ag.Size) and isinstance(got, tuple)
        assert tuple(got) == tuple(want)
        assert repr(got).replace("arraygrad.", "torch.") == repr(want)
    with pytest.raises(ValueError, match="cannot be broadcast"):
        ag.broadcast_shapes((2,), (3,))
    with pytest.raises(TypeError, match="shape must be a tuple of ints"):
        ag.broadcast_shapes("a")


# ----------------------------------------------------------------------------------------
# DataLoader: ragged samples without a collate_fn, get_worker_info
# ----------------------------------------------------------------------------------------
class _Ragged:
    def __init__(self, lib):
        self.lib = lib

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return {"seq": self.lib.arange(4 - (i == 3)), "y": i}


def test_default_collate_ragged_samples_raise_torchs_error():
    with pytest.raises(RuntimeError) as theirs:
        next(iter(torch.utils.data.DataLoader(_Ragged(torch), batch_size=4)))
    with pytest.raises(RuntimeError) as ours:
        next(iter(ag.utils.data.DataLoader(_Ragged(ag), batch_size=4)))
    assert str(ours.value).startswith(str(theirs.value))  # + a hint about collate_fn
    assert "collate_fn" in str(ours.value)
    with pytest.raises(RuntimeError, match=r"got \[2\] at entry 0 and \[3\] at entry 1"):
        ag.utils.data.default_collate([np.zeros(2), np.zeros(3)])


def test_get_worker_info():
    from arraygrad.utils.data import DataLoader, Dataset, WorkerInfo, get_worker_info

    assert get_worker_info() is None and torch.utils.data.get_worker_info() is None

    class D(Dataset):
        def __len__(self):
            return 8

        def __getitem__(self, i):
            info = get_worker_info()
            return -1 if info is None else info.id * 10 + info.num_workers

    ds = D()
    assert [int(v) for b in DataLoader(ds, batch_size=2) for v in b] == [-1] * 8
    seen = {int(v) for b in DataLoader(ds, batch_size=2, num_workers=2) for v in b}
    assert seen <= {2, 12} and seen
    got = []

    class Peek(Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            got.append(get_worker_info())
            return i

    DataLoader(ds2 := Peek(), batch_size=1, num_workers=1).__iter__().__next__()
    assert isinstance(got[0], WorkerInfo) and got[0].dataset is ds2 and isinstance(got[0].seed, int)
    assert "WorkerInfo(id=0, num_workers=1" in repr(got[0])


def test_iterable_dataset_sharding_code_reads_the_stream_once():
    # the documented pattern: shard by worker when there is one, else read everything
    class Stream(ag.utils.data.IterableDataset):
        def __iter__(self):
            info = ag.utils.data.get_worker_info()
            if info is None:
                return iter(range(6))
            return iter(range(info.id, 6, info.num_workers))

    out = [int(v) for b in ag.utils.data.DataLoader(Stream(), batch_size=3, num_workers=2) for v in b]
    assert out == list(range(6))


# ----------------------------------------------------------------------------------------
# torch.accelerator (the quickstart's device line)
# ----------------------------------------------------------------------------------------
def test_accelerator_quickstart_line():
    device = ag.accelerator.current_accelerator().type if ag.accelerator.is_available() else "cpu"
    assert device == ("cuda" if ag.cuda.is_available() else "cpu")
    assert ag.accelerator.device_count() == ag.cuda.device_count()
    x = ag.ones(2, device=device)
    assert x.device.type == device


def test_accelerator_without_one():
    if ag.accelerator.is_available():
        pytest.skip("a CUDA device is available")
    assert ag.accelerator.current_accelerator() is None and torch.accelerator.current_accelerator() is None
    assert ag.accelerator.current_accelerator(check_available=True) is None
    with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is available"):
        ag.accelerator.current_device_index()


# ----------------------------------------------------------------------------------------
# save(model): a clear error that says what to save instead
# ----------------------------------------------------------------------------------------
def test_save_whole_module_says_to_save_the_state_dict(tmp_path):
    m = ag.nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"cannot store a Linear \(at obj\).*save its state_dict\(\) instead"):
        ag.save(m, tmp_path / "m.pt")
    opt = ag.optim.SGD(m.parameters(), lr=0.1)
    with pytest.raises(TypeError, match=r"cannot store a SGD \(at obj\['opt'\]\).*state_dict\(\)"):
        ag.save({"opt": opt}, tmp_path / "o.pt")
    with pytest.raises(TypeError, match=r"cannot store a object \(at obj\)") as e:
        ag.save(object(), tmp_path / "x.pt")
    assert "state_dict" not in str(e.value)
    assert not (tmp_path / "m.pt").exists()


# ----------------------------------------------------------------------------------------
# Scheduler state dicts hold PyTorch's keys
# ----------------------------------------------------------------------------------------
def test_scheduler_state_dict_keys_as_torch():
    def sd(lib):
        o = lib.optim.SGD([lib.nn.Parameter(lib.zeros(1))], lr=0.1)
        s = lib.optim.lr_scheduler.StepLR(o, 2)
        o.step()
        s.step()
        return s.state_dict()

    assert repr(sd(ag)) == repr(sd(torch))


# ----------------------------------------------------------------------------------------
# torch.utils.data: ChainDataset, StackDataset, default_convert, IterableDataset + ...
# ----------------------------------------------------------------------------------------
def _stream(lib, a, b):
    class S(lib.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(a, b))

        def __len__(self):
            return b - a

    return S()


def test_chain_dataset():
    for lib in (ag, torch):
        chained = lib.utils.data.ChainDataset([_stream(lib, 0, 2), _stream(lib, 5, 7)])
        assert list(chained) == [0, 1, 5, 6] and len(chained) == 4
        plus = _stream(lib, 0, 2) + _stream(lib, 3, 4)
        assert type(plus).__name__ == "ChainDataset" and list(plus) == [0, 1, 3]
    batches = [b.tolist() for b in ag.utils.data.DataLoader(
        ag.utils.data.ChainDataset([_stream(ag, 0, 3), _stream(ag, 10, 12)]), batch_size=2)]
    assert batches == [[0, 1], [2, 10], [11]]
    bad = ag.utils.data.ChainDataset([_stream(ag, 0, 1), ag.utils.data.TensorDataset(ag.zeros(2))])
    with pytest.raises(TypeError, match=r"ChainDataset only supports IterableDataset: datasets\[1\] is a TensorDataset"):
        list(bad)


def test_stack_dataset():
    xa, ya = ag.arange(6.0).reshape(3, 2), ag.arange(3)
    xt, yt = torch.arange(6.0).reshape(3, 2), torch.arange(3)
    ours = ag.utils.data.StackDataset(ag.utils.data.TensorDataset(xa), ya)
    theirs = torch.utils.data.StackDataset(torch.utils.data.TensorDataset(xt), yt)
    assert len(ours) == len(theirs) == 3
    assert repr(ours[1]).replace("arraygrad.", "torch.") == repr(theirs[1])
    named = ag.utils.data.StackDataset(x=xa, y=ya)
    assert set(named[2]) == {"x", "y"} and int(named[2]["y"]) == 2
    batch = next(iter(ag.utils.data.DataLoader(named, batch_size=3)))
    np.testing.assert_array_equal(_np(batch["x"]), _np(xt))
    with pytest.raises(ValueError, match="size mismatch between datasets: x has 3 samples, y has 2"):
        ag.utils.data.StackDataset(x=xa, y=ya[:2])
    with pytest.raises(ValueError, match="either as positional arguments"):
        ag.utils.data.StackDataset(xa, y=ya)
    with pytest.raises(ValueError, match="at least one dataset"):
        ag.utils.data.StackDataset()


def test_default_convert_as_torch():
    from collections import namedtuple

    P = namedtuple("P", "a b")
    data = [np.arange(2), (np.float32(1.5), "x"), P(np.ones(1), 2), {"k": np.zeros(1)}, np.float64(3.0), 4]
    ours, theirs = ag.utils.data.default_convert(data), torch.utils.data.default_convert(data)
    assert repr(ours).replace("arraygrad.", "torch.") == repr(theirs)
    one = ag.utils.data.default_convert(np.int64(7))
    assert isinstance(one, ag.Tensor) and one.ndim == 0 and one.dtype == ag.int64


# ----------------------------------------------------------------------------------------
# Optimizer step hooks (register_step_pre_hook / register_step_post_hook)
# ----------------------------------------------------------------------------------------
def _hook_calls(lib):
    calls = []
    p = lib.nn.Parameter(lib.ones(2))
    opt = lib.optim.SGD([p], lr=0.5)
    h1 = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(
        ("pre", o is opt, len(args), args[0] is opt, kwargs)))
    h2 = opt.register_step_post_hook(lambda o, args, kwargs: calls.append(
        ("post", o is opt, len(args), args[0] is opt, kwargs)))
    module = importlib.import_module(lib.__name__ + ".optim.optimizer")
    g1 = module.register_optimizer_step_pre_hook(lambda o, a, k: calls.append(("gpre",)))
    g2 = module.register_optimizer_step_post_hook(lambda o, a, k: calls.append(("gpost",)))
    try:
        p.grad = lib.ones(2)
        opt.step()
        h1.remove()
        h2.remove()
        opt.step()
    finally:
        g1.remove()
        g2.remove()
    opt.step()
    return calls, p.detach().tolist()


def test_optimizer_step_hooks_as_torch():
    assert _hook_calls(ag) == _hook_calls(torch)


def test_optimizer_step_hooks_custom_optimizer():
    seen = []

    class MySGD(ag.optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, dict(lr=lr))

        @ag.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    p.add_(p.grad, alpha=-group["lr"])

    class Twice(MySGD):  # a subclass calling super().step(): the hooks run once per step
        def step(self, closure=None):
            super().step(closure)
            return "done"

    p = ag.nn.Parameter(ag.ones(1))
    p.grad = ag.ones(1)
    opt = Twice([p], lr=0.25)
    opt.register_step_pre_hook(lambda o, a, k: seen.append("pre"))
    opt.register_step_post_hook(lambda o, a, k: seen.append("post"))
    assert opt.step() == "done" and seen == ["pre", "post"] and float(p) == 0.75
    # a pre hook may replace the arguments (self first, as PyTorch passes them)
    got = []

    class Closing(MySGD):
        def step(self, closure=None):
            return closure()

    opt2 = Closing([p], lr=0.0)
    opt2.register_step_pre_hook(lambda o, a, k: ((o,), {"closure": lambda: got.append(a) or "ran"}))
    assert opt2.step() == "ran" and got == [(opt2,)]
    with pytest.raises(TypeError, match="hook must be callable, got int"):
        opt.register_step_pre_hook(3)
    bad = MySGD([p])
    bad.register_step_pre_hook(lambda o, a, k: "nonsense")
    with pytest.raises(RuntimeError, match="must return None or a tuple"):
        bad.step()
    with bad.register_step_post_hook(lambda o, a, k: seen.append("ctx")):
        pass  # a handle is a context manager that removes the hook on exit


# ----------------------------------------------------------------------------------------
# optim.swa_utils: AveragedModel (SWA, EMA), SWALR, update_bn
# ----------------------------------------------------------------------------------------
def _swa_run(lib):
    rng = np.random.default_rng(3)
    model = lib.nn.Sequential(lib.nn.Linear(4, 6), lib.nn.BatchNorm1d(6), lib.nn.ReLU(), lib.nn.Linear(6, 2))
    model.load_state_dict({k: (lib.tensor(rng.uniform(-0.5, 0.5, tuple(v.shape)).astype(np.float32))
                               if v.is_floating_point() else v) for k, v in model.state_dict().items()})
    X = lib.tensor(rng.standard_normal((24, 4)).astype(np.float32))
    Y = lib.tensor(rng.integers(0, 2, 24))
    loader = lib.utils.data.DataLoader(lib.utils.data.TensorDataset(X, Y), batch_size=8)
    su = lib.optim.swa_utils
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    swa = su.AveragedModel(model)
    ema = su.AveragedModel(model, multi_avg_fn=su.get_ema_multi_avg_fn(0.9))
    ema_buf = su.AveragedModel(model, avg_fn=su.get_ema_avg_fn(0.8), use_buffers=True)
    swa_avg = su.AveragedModel(model, avg_fn=su.get_swa_avg_fn())
    sched = su.SWALR(opt, swa_lr=0.05, anneal_epochs=2, anneal_strategy="linear")
    lrs = []
    for epoch in range(4):
        for x, y in loader:
            opt.zero_grad()
            lib.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
            ema.update_parameters(model)
            ema_buf.update_parameters(model)
        swa.update_parameters(model)
        swa_avg.update_parameters(model)
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    su.update_bn(loader, swa)
    out = {"lrs": lrs, "n": int(swa.n_averaged), "bn_mean": _np(swa.module[1].running_mean),
           "momentum": swa.module[1].momentum, "keys": list(swa.state_dict().keys())}
    with lib.no_grad():
        for name, m in (("swa", swa), ("ema", ema), ("ema_buf", ema_buf), ("swa_avg", swa_avg)):
            m.eval()
            out[name] = _np(m(X[:5]))
    return out


def test_swa_utils_as_torch():
    ours, theirs = _swa_run(ag), _swa_run(torch)
    np.testing.assert_allclose(ours["lrs"], theirs["lrs"], rtol=1e-12)
    assert ours["n"] == theirs["n"] == 4 and ours["keys"] == theirs["keys"]
    assert ours["momentum"] == theirs["momentum"] == 0.1
    for k in ("bn_mean", "swa", "ema", "ema_buf", "swa_avg"):
        np.testing.assert_allclose(ours[k], theirs[k], rtol=1e-4, atol=1e-5, err_msg=k)


def test_swa_utils_errors():
    su = ag.optim.swa_utils
    m = ag.nn.Linear(2, 2)
    with pytest.raises(ValueError, match="Invalid decay value 1.5"):
        su.get_ema_multi_avg_fn(1.5)
    with pytest.raises(ValueError, match="only one of avg_fn and multi_avg_fn"):
        su.AveragedModel(m, avg_fn=su.get_swa_avg_fn(), multi_avg_fn=su.get_swa_multi_avg_fn())
    opt = ag.optim.SGD(m.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear', instead got 'exp'"):
        su.SWALR(opt, swa_lr=0.1, anneal_strategy="exp")
    with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0, got -1"):
        su.SWALR(opt, swa_lr=0.1, anneal_epochs=-1)
    with pytest.raises(ValueError, match="swa_lr must have the same length"):
        su.SWALR(opt, swa_lr=[0.1, 0.2])
    avg = su.AveragedModel(m)
    with pytest.raises(ValueError, match="the model has 0 parameters, the averaged copy 2"):
        avg.update_parameters(ag.nn.ReLU())
    s = su.SWALR(opt, swa_lr=0.05, anneal_epochs=3)
    state = s.state_dict()
    assert "anneal_func" not in state and "optimizer" not in state
    s2 = su.SWALR(ag.optim.SGD(m.parameters(), lr=0.1), swa_lr=0.05, anneal_strategy="linear")
    s2.load_state_dict(state)
    assert s2.anneal_func is s2._cosine_anneal


# ----------------------------------------------------------------------------------------
# PyTorch 2 idioms: torch.compile, set_float32_matmul_precision
# ----------------------------------------------------------------------------------------
def test_compile_returns_the_model_and_decorates():
    m = ag.nn.Linear(3, 2)
    assert ag.compile(m) is m and list(ag.compile(m).state_dict()) == ["weight", "bias"]

    @ag.compile
    def f(x):
        return ag.sin(x) + 1

    @ag.compile(mode="max-autotune", fullgraph=True, dynamic=False)
    def g(x):
        return x * 2

    assert float(f(ag.asarray(0.0))) == 1.0 and float(g(ag.asarray(1.5))) == 3.0
    with pytest.raises(RuntimeError, match="Unrecognized mode=fast, should be one of: default"):
        ag.compile(f, mode="fast")
    with pytest.raises(RuntimeError, match="Unrecognized mode=fast"):
        torch.compile(lambda x: x, mode="fast")
    with pytest.raises(TypeError, match="expected a callable .* got int"):
        ag.compile(3)
    with pytest.raises(RuntimeError, match="Either mode or options"):
        ag.compile(f, mode="default", options={})


def test_float32_matmul_precision():
    before = ag.get_float32_matmul_precision()
    assert before == torch.get_float32_matmul_precision() == "highest"
    try:
        for p in ("high", "medium", "highest"):
            ag.set_float32_matmul_precision(p)
            assert ag.get_float32_matmul_precision() == p
        with pytest.raises(ValueError, match="precision must be one of 'highest', 'high', 'medium', got 'fast'"):
            ag.set_float32_matmul_precision("fast")
        with pytest.raises(RuntimeError, match="expects a str, but got int"):
            ag.set_float32_matmul_precision(3)
    finally:
        ag.set_float32_matmul_precision(before)


# ----------------------------------------------------------------------------------------
# torch.amp: GradScaler (loss scaling in full) and autocast (a marked region)
# ----------------------------------------------------------------------------------------
def _scaler_run(lib, grads):
    p = lib.nn.Parameter(lib.tensor([1.0, -2.0]))
    opt = lib.optim.SGD([p], lr=0.1)
    scaler = lib.amp.GradScaler("cpu", init_scale=8.0, growth_interval=2)
    log = []
    for g in grads:
        loss = (p * lib.tensor(g)).sum()
        scaled = scaler.scale(loss)
        log.append(float(scaled.detach()))
        scaled.backward()
        result = scaler.step(opt)
        scaler.update()
        opt.zero_grad()
        log.append((result, scaler.get_scale(), p.detach().tolist(), scaler.state_dict()))
    return log


def test_grad_scaler_as_torch():
    grads = [[1.0, 2.0], [float("inf"), 1.0], [0.5, 0.5], [1.0, 1.0], [float("nan"), 0.0], [2.0, 1.0]]
    ours, theirs = _scaler_run(ag, grads), _scaler_run(torch, grads)
    assert repr(ours) == repr(theirs)


def test_grad_scaler_unscale_and_clip_as_torch():
    def run(lib):
        m = lib.nn.Linear(3, 1)
        with lib.no_grad():
            m.weight.copy_(lib.tensor([[0.5, -1.0, 2.0]]))
            m.bias.fill_(0.1)
        opt = lib.optim.Adam(m.parameters(), lr=0.01)
        scaler = lib.amp.GradScaler("cpu")
        x = lib.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])
        for _ in range(3):
            scaler.scale(m(x).pow(2).mean()).backward()
            scaler.unscale_(opt)
            lib.nn.utils.clip_grad_norm_(m.parameters(), 0.5)
            scaler.step(opt)
            scaler.update()
            opt.zero_grad()
        return m.weight.detach().numpy().copy(), scaler.get_scale()

    (wa, sa), (wt, st) = run(ag), run(torch)
    np.testing.assert_allclose(wa, wt, rtol=1e-5, atol=1e-6)
    assert sa == st == 65536.0


def test_grad_scaler_errors_and_disabled():
    p = ag.nn.Parameter(ag.ones(2))
    opt = ag.optim.SGD([p], lr=0.1)
    s = ag.amp.GradScaler("cpu")
    s.scale((p * 2).sum()).backward()
    s.unscale_(opt)
    with pytest.raises(RuntimeError, match=r"unscale_\(\) has already been called on this optimizer since the last update\(\)"):
        s.unscale_(opt)
    s.step(opt)
    with pytest.raises(RuntimeError, match=r"step\(\) has already been called since the last update\(\)"):
        s.step(opt)
    s.update()
    with pytest.raises(ValueError, match="init_scale must be a number > 0, got -1"):
        ag.amp.GradScaler("cpu", init_scale=-1)
    with pytest.raises(ValueError, match="growth_interval must be a positive int, got 0"):
        ag.amp.GradScaler("cpu", growth_interval=0)
    with pytest.raises(RuntimeError, match="device type at start of device string: tpu"):
        ag.amp.GradScaler("tpu")
    off = ag.amp.GradScaler(enabled=False)
    loss = (p * 2).sum()
    assert off.scale(loss) is loss and off.get_scale() == 1.0 and off.state_dict() == {}
    assert not off.is_enabled()
    if not ag.cuda.is_available():
        with pytest.warns(UserWarning, match="GradScaler is enabled, but CUDA is not available.  Disabling."):
            assert not ag.amp.GradScaler("cuda").is_enabled()
        with pytest.warns(FutureWarning, match=r"torch.cuda.amp.GradScaler\(args...\)` is deprecated"):
            from arraygrad.cuda.amp import GradScaler

            with pytest.warns(UserWarning):
                GradScaler()
    s2 = ag.amp.GradScaler("cpu")
    s2.load_state_dict({"scale": 4.0, "growth_factor": 3.0, "backoff_factor": 0.25, "growth_interval": 5,
                        "_growth_tracker": 2})
    assert s2.get_scale() == 4.0 and s2.get_growth_interval() == 5
    with pytest.raises(RuntimeError, match="source state dict is empty"):
        s2.load_state_dict({})


def test_autocast_region():
    assert not ag.is_autocast_enabled() and not ag.is_autocast_enabled("cpu")
    with pytest.warns(UserWarning, match="no autocasting"):
        import arraygrad.amp as amp

        amp._warned_no_autocast = False
        with ag.autocast("cpu") as ac:
            assert ag.is_autocast_enabled("cpu") and not ag.is_autocast_enabled()
            x = ag.ones((2, 2)) @ ag.ones((2, 2))
            assert x.dtype == ag.float32  # full precision: arraygrad does not autocast
            assert ac.fast_dtype.name == "bfloat16" == str(torch.autocast("cpu").fast_dtype).split(".")[1]
    assert not ag.is_autocast_enabled("cpu")
    with ag.autocast("cpu", enabled=False):
        assert not ag.is_autocast_enabled("cpu")

    @ag.autocast("cpu", dtype=ag.float16)
    def inside():
        return ag.is_autocast_enabled("cpu"), ag.get_autocast_dtype("cpu")

    assert inside() == (True, ag.float16)
    if not ag.cuda.is_available():
        with pytest.warns(UserWarning, match="CUDA is not available. Disabling autocast."):
            with ag.autocast(device_type="cuda", dtype=ag.float16):
                assert not ag.is_autocast_enabled()
    with pytest.raises(RuntimeError, match="device type at start of device string: tpu"):
        ag.autocast("tpu")
    with pytest.raises(TypeError, match="device_type must be a str"):
        ag.autocast(3)


# ----------------------------------------------------------------------------------------
# torch.testing.assert_close
# ----------------------------------------------------------------------------------------
def test_assert_close():
    a = ag.asarray([1.0, 2.0, 3.0])
    ag.testing.assert_close(a, a + 1e-7)
    ag.testing.assert_close({"w": [a, 2.0]}, {"w": [a, 2.0]})
    ag.testing.assert_close(ag.asarray([float("nan")]), ag.asarray([float("nan")]), equal_nan=True)
    ag.testing.assert_close(a, a + 0.01, rtol=0.0, atol=0.02)
    msgs = []
    for lib in (ag, torch):
        with pytest.raises(AssertionError) as e:
            lib.testing.assert_close(lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.1]))
        msgs.append(str(e.value).splitlines()[:3])
    assert msgs[0] == msgs[1]
    with pytest.raises(AssertionError, match="'dtype' do not match"):
        ag.testing.assert_close(a, a.astype(ag.float64))
    ag.testing.assert_close(a, a.astype(ag.float64), check_dtype=False)
    with pytest.raises(AssertionError, match="'shape' do not match"):
        ag.testing.assert_close(a, a[:2])
    with pytest.raises(AssertionError, match=r"item \['w'\]\[0\]"):
        ag.testing.assert_close({"w": [a]}, {"w": [a * 2]})
    with pytest.raises(AssertionError, match="custom"):
        ag.testing.assert_close(a, a * 2, msg="custom")
    with pytest.raises(ValueError, match="Both 'rtol' and 'atol' must be either specified or omitted"):
        ag.testing.assert_close(a, a, rtol=1e-3)
    with pytest.raises(TypeError, match="both inputs must be tensors"):
        ag.testing.assert_close(a, 1.0)


# ----------------------------------------------------------------------------------------
# cov, corrcoef, cosine_similarity, pairwise_distance, typename, is_nonzero, torch.random
# ----------------------------------------------------------------------------------------
def test_cov_corrcoef_as_torch():
    x = R(3, 7, dtype=np.float64)
    fw = np.array([1, 2, 1, 3, 1, 1, 2])
    aw = np.abs(R(7, dtype=np.float64)) + 0.1
    xa, xt = ag.asarray(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    for kwargs in ({}, {"correction": 0}, {"fweights": fw}, {"aweights": aw}, {"fweights": fw, "aweights": aw},
                   {"correction": 2, "aweights": aw}):
        ka = {k: (ag.asarray(v) if isinstance(v, np.ndarray) else v) for k, v in kwargs.items()}
        kt = {k: (torch.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kwargs.items()}
        ca, ct = ag.cov(xa, **ka), torch.cov(xt, **kt)
        np.testing.assert_allclose(_np(ca), _np(ct), rtol=1e-10, err_msg=str(kwargs))
    ga, = ag.autograd.grad(ag.cov(xa).sum(), xa)
    gt, = torch.autograd.grad(torch.cov(xt).sum(), xt)
    np.testing.assert_allclose(_np(ga), _np(gt), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_np(ag.corrcoef(xa)), _np(torch.corrcoef(xt)), rtol=1e-10)
    np.testing.assert_allclose(_np(xa.cov()), _np(xt.cov()), rtol=1e-10)
    v = x[0].astype(np.float32)
    assert ag.cov(ag.asarray(v)).shape == torch.cov(torch.tensor(v)).shape == ()
    np.testing.assert_allclose(float(ag.cov(ag.asarray(v))), float(torch.cov(torch.tensor(v))), rtol=1e-5)
    assert float(ag.corrcoef(ag.asarray(v))) == 1.0
    ints = np.arange(12).reshape(3, 4)
    assert ag.cov(ag.asarray(ints)).dtype.name == str(torch.cov(torch.tensor(ints)).dtype).split(".")[1]
    with pytest.raises(ValueError, match="two or fewer dimensions"):
        ag.cov(ag.zeros((2, 2, 2)))
    with pytest.raises(RuntimeError, match="expected fweights to have integral dtype"):
        ag.cov(xa, fweights=ag.asarray(aw))
    with pytest.raises(RuntimeError, match="same numel as there are observations in the input but got 3 != 7"):
        ag.cov(xa, aweights=ag.ones(3, dtype=ag.float64))


def test_small_top_level_functions():
    a, b = R(4, 5), R(4, 5)
    np.testing.assert_allclose(_np(ag.cosine_similarity(ag.asarray(a), ag.asarray(b))),
                               torch.cosine_similarity(torch.tensor(a), torch.tensor(b)).numpy(), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(_np(ag.pairwise_distance(ag.asarray(a), ag.asarray(b), p=1.0)),
                               torch.pairwise_distance(torch.tensor(a), torch.tensor(b), p=1.0).numpy(), rtol=1e-5)
    assert ag.typename(ag.ones(2)) == ag.ones(2).type()
    for obj in (3, "s", ag.nn.Linear, np.float32(1)):
        want = torch.typename(obj).replace("torch.nn.modules.linear", "arraygrad.nn.layers")
        assert ag.typename(obj) == want
    assert ag.is_nonzero(ag.asarray([2])) is True and ag.asarray(0.0).is_nonzero() is False
    for bad, text in ((ag.ones(2), "more than one value"), (ag.ones(0), "no values")):
        with pytest.raises(RuntimeError, match=text):
            ag.is_nonzero(bad)


def test_random_fork_rng():
    ag.random.manual_seed(5)
    first = ag.rand(3)
    ag.random.manual_seed(5)
    with ag.random.fork_rng():
        ag.manual_seed(123)
        ag.rand(10)
    np.testing.assert_array_equal(_np(ag.rand(3)), _np(first))
    assert ag.random.initial_seed() == 5
    with ag.random.fork_rng(enabled=False):
        pass
    with pytest.raises(TypeError, match="enabled must be a bool"):
        with ag.random.fork_rng(enabled="yes"):
            pass


# ----------------------------------------------------------------------------------------
# Schedulers: PyTorch's warning for scheduler.step() before optimizer.step(); Plateau state
# ----------------------------------------------------------------------------------------
def _order_warnings(lib, optimizer_first):
    import warnings

    p = lib.nn.Parameter(lib.zeros(1))
    o = lib.optim.SGD([p], lr=0.1)
    s = lib.optim.lr_scheduler.StepLR(o, 1)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        for _ in range(2):
            if optimizer_first:
                o.step()
            s.step()
            if not optimizer_first:
                o.step()
    return [str(x.message)[:60] for x in w]


def test_scheduler_step_order_warning_as_torch():
    for first in (True, False):
        assert _order_warnings(ag, first) == _order_warnings(torch, first)
    only, = _order_warnings(ag, False)
    assert only.startswith("Detected call of `lr_scheduler.step()` before `optimizer.st")


def test_reduce_lr_on_plateau_state_dict_as_torch():
    def sd(lib, **kw):
        o = lib.optim.SGD([lib.nn.Parameter(lib.zeros(1))], lr=0.1)
        s = lib.optim.lr_scheduler.ReduceLROnPlateau(o, **kw)
        o.step()
        for m in (1.0, 2.0, 0.5):
            s.step(m)
        return repr(s.state_dict())

    for kw in ({}, {"mode": "max", "min_lr": [0.02]}, {"min_lr": 0.01, "patience": 0}):
        assert sd(ag, **kw) == sd(torch, **kw)


# ----------------------------------------------------------------------------------------
# torch.func.stack_module_state (the model ensembling tutorial); finfo/iinfo as printed
# ----------------------------------------------------------------------------------------
def test_stack_module_state_ensembling():
    models = []
    for i in range(3):
        m = ag.nn.Sequential(ag.nn.Linear(4, 3), ag.nn.BatchNorm1d(3))
        with ag.no_grad():
            m[0].weight.copy_(ag.asarray(R(3, 4)))
            m[1].running_mean.fill_(float(i))
        models.append(m)
    params, buffers = ag.func.stack_module_state(models)
    assert list(params) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert list(buffers) == ["1.running_mean", "1.running_var", "1.num_batches_tracked"]
    assert params["0.weight"].shape == (3, 3, 4) and params["0.weight"].is_leaf and params["0.weight"].requires_grad
    assert not buffers["1.running_mean"].requires_grad and buffers["1.running_mean"][:, 0].tolist() == [0.0, 1.0, 2.0]
    x = ag.asarray(R(5, 4))
    base = models[0]
    for m in models:
        m.eval()
    base.eval()
    out = ag.func.vmap(lambda p, b, x: ag.func.functional_call(base, (p, b), (x,)), in_dims=(0, 0, None))(
        params, buffers, x)
    want = ag.stack([m(x) for m in models])
    np.testing.assert_allclose(_np(out), _np(want), rtol=1e-5, atol=1e-6)
    with pytest.raises(RuntimeError, match="Expected at least one model, got 0"):
        ag.func.stack_module_state([])
    with pytest.raises(RuntimeError, match="same class"):
        ag.func.stack_module_state([ag.nn.Linear(2, 2), ag.nn.Sequential(ag.nn.Linear(2, 2))])
    models[0].train()
    with pytest.raises(RuntimeError, match="same training/eval mode"):
        ag.func.stack_module_state(models)
    a, b = ag.nn.Linear(2, 2), ag.nn.Linear(2, 2)
    b.weight.requires_grad_(False)
    with pytest.raises(RuntimeError, match="Expected weight from each model to have the same .requires_grad"):
        ag.func.stack_module_state([a, b])


def test_finfo_iinfo_print_as_torch():
    for d in ("float16", "float32", "float64", "complex64", "complex128"):
        assert repr(ag.finfo(getattr(ag, d))) == repr(torch.finfo(getattr(torch, d)))
    for d in ("int8", "int16", "int32", "int64", "uint8"):
        assert repr(ag.iinfo(getattr(ag, d))) == repr(torch.iinfo(getattr(torch, d)))
    assert ag.finfo(ag.float32).eps == torch.finfo(torch.float32).eps and ag.finfo().dtype == ag.float32


# ----------------------------------------------------------------------------------------
# save/load: state dicts load as OrderedDicts; PyTorch's keywords are accepted
# ----------------------------------------------------------------------------------------
def test_state_dict_round_trip_keeps_ordered_dict(tmp_path):
    from collections import OrderedDict

    sd = ag.nn.Linear(2, 3).state_dict()
    path = tmp_path / "sd.pt"
    ag.save(sd, path)
    back = ag.load(path)
    assert type(back) is OrderedDict and type(back) is type(torch.nn.Linear(2, 3).state_dict())
    assert list(back) == ["weight", "bias"]
    np.testing.assert_array_equal(_np(back["weight"]), _np(sd["weight"]))
    nested = {"model": sd, "plain": {"a": 1}, "epoch": 3}
    ag.save(nested, path, pickle_protocol=4, _use_new_zipfile_serialization=True)
    back = ag.load(path, map_location=lambda storage, loc: storage, weights_only=False, mmap=True)
    assert type(back) is dict and type(back["model"]) is OrderedDict and type(back["plain"]) is dict
    # a file without OrderedDicts stays format version 1 (readable by older arraygrad)
    buf = io.BytesIO()
    ag.save({"w": ag.ones(2)}, buf)
    buf.seek(0)
    manifest = np.load(buf)["manifest"].tobytes().decode()
    assert '"version": 1' in manifest
    buf = io.BytesIO()
    ag.save(sd, buf)
    buf.seek(0)
    assert '"version": 2' in np.load(buf)["manifest"].tobytes().decode()


# ----------------------------------------------------------------------------------------
# PyTorch's other names and small functions: arc*, fmax/fmin, isposinf, hsplit, unravel_index...
# ----------------------------------------------------------------------------------------
def test_aliases_and_small_functions_as_torch():
    x = np.array([0.5, -0.25, 0.75])
    for name in ("absolute", "arccos", "arcsin", "arctan", "arctanh", "arcsinh"):
        np.testing.assert_allclose(_np(getattr(ag, name)(ag.asarray(x))), getattr(torch, name)(torch.tensor(x)).numpy())
    np.testing.assert_allclose(_np(ag.arccosh(ag.asarray(x + 2))), torch.arccosh(torch.tensor(x + 2)).numpy())
    np.testing.assert_allclose(_np(ag.arctan2(ag.asarray(x), ag.asarray(x[::-1].copy()))),
                               torch.arctan2(torch.tensor(x), torch.tensor(x[::-1].copy())).numpy())
    assert ag.bitwise_not(ag.asarray([0, 5])).tolist() == torch.bitwise_not(torch.tensor([0, 5])).tolist()
    a = np.array([1.0, np.nan, -np.inf, np.inf, 2.0])
    b = np.array([np.nan, np.nan, 0.0, 1.0, 3.0])
    for name in ("fmax", "fmin"):
        np.testing.assert_array_equal(_np(getattr(ag, name)(ag.asarray(a), ag.asarray(b))),
                                      getattr(torch, name)(torch.tensor(a), torch.tensor(b)).numpy())
        np.testing.assert_array_equal(_np(getattr(ag.asarray(a), name)(ag.asarray(b))),
                                      getattr(torch.tensor(a), name)(torch.tensor(b)).numpy())
    assert ag.fmax(ag.asarray([1, 5]), ag.asarray([3, 2])).tolist() == [3, 5]
    with pytest.raises(TypeError, match=r"fmax\(\): expected real"):
        ag.fmax(ag.asarray([1 + 1j]), ag.asarray([1 + 1j]))
    for name in ("isposinf", "isneginf", "isreal"):
        assert getattr(ag, name)(ag.asarray(a)).tolist() == getattr(torch, name)(torch.tensor(a)).tolist()
        assert getattr(ag.asarray(a), name)().tolist() == getattr(torch.tensor(a), name)().tolist()
    assert ag.isreal(ag.asarray([1 + 0j, 1 + 1j])).tolist() == [True, False]
    assert ag.isposinf(ag.asarray([3])).tolist() == [False]
    np.testing.assert_allclose(_np(ag.logaddexp2(ag.asarray([1.0, 3.0]), ag.asarray([2.0, 3.0]))),
                               torch.logaddexp2(torch.tensor([1.0, 3.0]), torch.tensor([2.0, 3.0])).numpy(), rtol=1e-6)
    x3 = np.arange(24.0).reshape(2, 3, 4)
    for name, arg in (("hsplit", 3), ("vsplit", [1]), ("dsplit", 2), ("hsplit", [1, 2])):
        ours = getattr(ag, name)(ag.asarray(x3), arg)
        theirs = getattr(torch, name)(torch.tensor(x3), arg)
        assert len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            np.testing.assert_array_equal(_np(o), t.numpy())
    assert [t.shape for t in ag.asarray(np.arange(6.0)).hsplit(3)] == [(2,)] * 3
    with pytest.raises(RuntimeError, match="size of the dimension 5 is not divisible by the split_size 2"):
        ag.hsplit(ag.ones(5), 2)
    with pytest.raises(RuntimeError, match="vsplit requires a tensor with at least 2 dimensions, but got a tensor with 1"):
        ag.vsplit(ag.ones(5), 1)
    got = ag.unravel_index(ag.asarray([4, 7, -1]), (2, 4))
    want = torch.unravel_index(torch.tensor([4, 7, -1]), (2, 4))
    assert [t.tolist() for t in got] == [t.tolist() for t in want] and got[0].dtype == ag.int64
    with pytest.raises(RuntimeError, match=r"must be in range \[-8, 7\]"):
        ag.unravel_index(ag.asarray([8]), (2, 4))
    with pytest.raises(TypeError, match="expected 'indices' to be an integer tensor"):
        ag.unravel_index(ag.asarray([1.0]), (2, 4))
    assert repr(ag.scalar_tensor(3)) == repr(torch.scalar_tensor(3))
    assert ag.is_signed(ag.ones(1, dtype=ag.uint8)) is torch.is_signed(torch.ones(1, dtype=torch.uint8)) is False
    assert ag.ones(1).is_signed() and ag.ones(2).is_same_size(ag.zeros(2)) and not ag.is_same_size(ag.ones(2), ag.ones(3))
    assert str(ag.get_default_device()) == str(torch.get_default_device()) == "cpu"
    np.testing.assert_array_equal(_np(ag.vmap(ag.dot)(ag.ones((2, 3)), ag.ones((2, 3)))), [3.0, 3.0])


# ----------------------------------------------------------------------------------------
# Custom schedulers subclassing the old name _LRScheduler (warm-up recipes)
# ----------------------------------------------------------------------------------------
def _warmup_lrs(lib):
    class Warmup(lib.optim.lr_scheduler._LRScheduler):
        def __init__(self, optimizer, warmup, last_epoch=-1):
            self.warmup = warmup
            super().__init__(optimizer, last_epoch)

        def get_lr(self):
            return [base * min(1.0, (self.last_epoch + 1) / self.warmup) for base in self.base_lrs]

    opt = lib.optim.SGD([lib.nn.Parameter(lib.zeros(1))], lr=0.1)
    s = Warmup(opt, 4)
    out = []
    for _ in range(6):
        opt.step()
        s.step()
        out.append(s.get_last_lr()[0])
    return out, repr(s.state_dict()), isinstance(s, lib.optim.lr_scheduler.LRScheduler)


def test_lrscheduler_old_base_name():
    assert _warmup_lrs(ag) == _warmup_lrs(torch)


# ----------------------------------------------------------------------------------------
# Dataset[...] and Sampler[int] (typed datasets and samplers)
# ----------------------------------------------------------------------------------------
def test_dataset_and_sampler_are_generic():
    from arraygrad.utils.data import DataLoader, Dataset, IterableDataset, Sampler

    class Evens(Sampler[int]):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(0, self.n, 2))

        def __len__(self):
            return (self.n + 1) // 2

    class Squares(Dataset[int]):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return i * i

    class Stream(IterableDataset[int]):
        def __iter__(self):
            return iter(range(3))

    dl = DataLoader(Squares(), sampler=Evens(5), batch_size=2)
    assert [b.tolist() for b in dl] == [[0, 4], [16]] and len(dl) == 2
    assert issubclass(Evens, Sampler) and isinstance(Squares(), Dataset)
    assert [b.tolist() for b in DataLoader(Stream(), batch_size=2)] == [[0, 1], [2]]
    for lib in (ag, torch):
        assert lib.utils.data.Dataset[int] is not None and lib.utils.data.Sampler[int] is not None


# ----------------------------------------------------------------------------------------
# scatter_/gather with a 0-d index (the Transforms tutorial's one-hot target_transform),
# scatter's reduce="multiply"
# ----------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter")  # torch's deprecation note
def test_scatter_gather_zero_d_index_as_torch():
    cases = [
        lambda l: l.zeros(10, dtype=l.float32).scatter_(0, l.tensor(3), value=1),  # the tutorial's line
        lambda l: l.zeros(3).scatter_(0, l.tensor(1), l.tensor(5.0)),
        lambda l: l.zeros(3).scatter_(0, l.tensor(1), l.tensor([5.0, 6.0])),
        lambda l: l.zeros(3).scatter_add_(0, l.tensor(1), l.tensor(5.0)),
        lambda l: l.zeros(3).scatter_reduce(0, l.tensor(2), l.tensor(4.0), "amax"),
        lambda l: l.arange(3.0).gather(0, l.tensor(1)),
        lambda l: l.ones(3).scatter_(0, l.tensor([0, 0, 2]), l.tensor([2.0, 2.0, 3.0]), reduce="multiply"),
        lambda l: l.full((2, 3), 2.0).scatter(1, l.tensor([[0], [2]]), 5.0, reduce="multiply"),
    ]
    for case in cases:
        assert repr(case(ag)).replace("arraygrad.", "torch.") == repr(case(torch))
    x = ag.asarray([1.0, 2.0, 3.0], requires_grad=True)
    x.gather(0, ag.asarray(2)).backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0]
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        ag.zeros((2, 3)).scatter_(1, ag.asarray(1), 5.0)
    with pytest.raises(ValueError, match="reduce must be None, 'add' or 'multiply', got 'max'"):
        ag.zeros(3).scatter(0, ag.asarray([1]), 1.0, reduce="max")


# ----------------------------------------------------------------------------------------
# In-place comparisons (x.eq_(y): 1/0 in x's dtype) and cumsum_/cumprod_
# ----------------------------------------------------------------------------------------
def test_inplace_comparisons_and_scans_as_torch():
    cases = [lambda l: l.tensor([1.0, 2.0, 3.0]).eq_(l.tensor([1.0, 0.0, 3.0])), lambda l: l.tensor([1, 5, 3]).gt_(2),
             lambda l: l.tensor([1.0, 5.0]).ne_(5.0), lambda l: l.tensor([1.0, 5.0]).less_equal_(l.tensor([2.0, 2.0])),
             lambda l: l.tensor([1.0, 5.0]).greater_(1), lambda l: l.tensor([1.0, 5.0]).ge_(5),
             lambda l: l.tensor([1.0, 5.0]).lt_(3), lambda l: l.tensor([1.0, 5.0]).le_(1),
             lambda l: l.tensor([1.0, 5.0]).not_equal_(1), lambda l: l.tensor([1.0, 5.0]).less_(3),
             lambda l: l.tensor([1.0, 5.0]).greater_equal_(3), lambda l: l.tensor([True, False]).eq_(l.tensor([True, True])),
             lambda l: l.arange(6.0).view(2, 3).cumsum_(1), lambda l: l.arange(1.0, 5.0).cumprod_(0)]
    for case in cases:
        assert repr(case(ag)).replace("arraygrad.", "torch.") == repr(case(torch))
    x = ag.asarray([3.0, 1.0])
    assert x.gt_(2) is x and x.tolist() == [1.0, 0.0]

    def grad(lib):
        w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        x = w.clone()
        x.cumsum_(0)
        (x * lib.tensor([1.0, 10.0, 100.0])).sum().backward()
        return w.grad.tolist()

    assert grad(ag) == grad(torch)


def test_older_module_paths_and_deprecated_spellings():
    import warnings

    from arraygrad.utils.data.dataloader import DataLoader, default_collate
    from arraygrad.utils.data.dataset import Dataset, TensorDataset
    from arraygrad.utils.data.sampler import SubsetRandomSampler

    assert ag.utils.data.sampler.SubsetRandomSampler is ag.utils.data.SubsetRandomSampler is SubsetRandomSampler
    assert issubclass(TensorDataset, Dataset) and default_collate is ag.utils.data.default_collate
    batches = list(DataLoader(TensorDataset(ag.arange(5.0)), batch_size=2, sampler=SubsetRandomSampler([4, 1, 3])))
    assert sorted(float(v) for (b,) in batches for v in b) == [1.0, 3.0, 4.0]

    lin = ag.nn.Linear(3, 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ag.nn.init.constant(lin.bias, 0.25)
        ag.nn.init.xavier_uniform(lin.weight)
        lin(ag.ones(1, 3)).sum().backward()
        norm = ag.nn.utils.clip_grad_norm(lin.parameters(), 0.5)
    assert [w.category for w in caught] == [FutureWarning] * 3
    assert "nn.init.constant_" in str(caught[0].message)
    np.testing.assert_allclose(np.asarray(lin.bias.detach()), [0.25, 0.25])
    total = sum(float((p.grad ** 2).sum()) for p in lin.parameters()) ** 0.5
    assert float(norm) > 0.5 and abs(total - 0.5) < 1e-5


def test_pytorchs_keyword_names_of_sizes_and_dims():
    torch = pytest.importorskip("torch")
    calls = ["x.view(size=(3, 2))", "x.reshape(shape=(3, 2))", "x.expand(size=(2, 2, 3))", "x.flip(dims=(1,))",
             "x.repeat(repeats=(1, 2))", "x.tile(dims=(1, 2))", "x.new_zeros(size=(2,))", "x.new_ones(size=(2,))",
             "x.pow(exponent=2)", "lib.stack(tensors=[x, x])"]
    for call in calls:
        outs = []
        for lib in (ag, torch):
            x = lib.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
            outs.append(eval(call, {"x": x, "lib": lib}))
        assert tuple(outs[0].shape) == tuple(outs[1].shape), call
        np.testing.assert_array_equal(np.asarray(outs[0].detach()), outs[1].detach().numpy(), err_msg=call)
    x = ag.ones(4, 3)
    assert [tuple(p.shape) for p in x.split(split_size=3)] == [(3, 3), (1, 3)]
    with pytest.raises(TypeError, match="not both"):
        x.reshape(3, 4, shape=(3, 4))
    with pytest.raises(TypeError, match="unexpected keyword argument 'sizes'"):
        x.view(sizes=(12,))


def test_kaiser_window_vander_histogram_method_and_to_empty():
    torch = pytest.importorskip("torch")
    for length in (0, 1, 5, 8):
        for periodic in (True, False):
            np.testing.assert_allclose(ag.kaiser_window(length, periodic, 5.0, dtype=ag.float64).numpy(),
                                       torch.kaiser_window(length, periodic, 5.0, dtype=torch.float64).numpy(),
                                       atol=1e-12)
    for x in ([1.0, 2.0, 3.0], [1, 2, 3]):
        for n, inc in ((None, False), (4, True), (0, False)):
            got, want = ag.vander(ag.tensor(x), n, inc), torch.vander(torch.tensor(x), n, inc)
            assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
            np.testing.assert_array_equal(got.numpy(), want.numpy())
    x = ag.tensor([1.0, 2.0, 3.0], dtype=ag.float64, requires_grad=True)
    (g,) = ag.autograd.grad(ag.vander(x).sum(), x)  # d/dx (x^2 + x + 1)
    np.testing.assert_allclose(g.numpy(), [3.0, 5.0, 7.0])
    hist, edges = ag.tensor([1.0, 2.0, 2.0, 3.0]).histogram(bins=3)
    np.testing.assert_array_equal(hist.numpy(), [1.0, 2.0, 1.0])
    m = ag.nn.Sequential(ag.nn.Linear(3, 2), ag.nn.BatchNorm1d(2))
    weight = m[0].weight
    assert m.to_empty(device="cpu") is m and m[0].weight is weight and weight.requires_grad
    assert tuple(m[1].running_mean.shape) == (2,)


def test_size_from_tensors_and_tuple_arithmetic_as_pytorchs():
    torch = pytest.importorskip("torch")
    for lib in (ag, torch):
        assert list(lib.Size(lib.tensor([2, 3]))) == [2, 3]
        for s in ((1,) + lib.Size([3]), lib.Size([2]) * 2, 2 * lib.Size([2]), lib.Size([2, 3])[1:],
                  lib.ones(2, 3).shape + (1,)):
            assert isinstance(s, lib.Size), s
        with pytest.raises(TypeError):
            lib.Size([2.0])
        with pytest.raises(TypeError):
            lib.Size([2]) + [3]
