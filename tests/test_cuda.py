"""The CuPy backend on a real GPU (issue 5); every test here is skipped without CUDA.

- gradients: every differentiable function's spec (test_gradients.py) gradchecked in
  float64 on "cuda", its value and a vector-Jacobian product equal to the CPU's;
- DLPack: zero-copy both ways with CuPy and PyTorch CUDA (the same device pointer, writes
  seen on the other side);
- devices: `.to("cuda")` / `.cuda()` / `.cpu()` round trips keep values and dtypes, cpu and
  cuda never mix silently, a device index past the last GPU is a clear error;
- streams: arraygrad's kernels go to the current CUDA stream (a CUDA graph captured on a
  side stream replays a forward and backward pass).
(Tests parametrized over backends, through conftest's `backend` fixture, also run on cuda.)
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import arraygrad as xp
from arraygrad.autograd import gradcheck

pytestmark = pytest.mark.cuda

DTYPES = ["bool", "int8", "uint8", "int16", "int32", "int64", "float16", "float32", "float64",
          "complex64", "complex128"]


def _cupy():
    return pytest.importorskip("cupy")


def _host(t):
    return np.asarray(t.detach().to_device("cpu"))


# ----- gradients on cuda ----------------------------------------------------------------
def _specs():
    try:
        import test_gradients as G
    except Exception:  # torch (the oracle there) missing: nothing to take the specs from
        return None, []
    return G, G.SPECS


G, SPECS = _specs()


def _vjp(s, ins, kw):
    outs = [o for o in G._outputs(s.call(xp, *ins, **kw)) if o.requires_grad]
    want = [t for t in ins if t.requires_grad]
    if not outs or not want:
        return [_host(o) for o in G._outputs(s.call(xp, *ins, **kw))], []
    rng = np.random.default_rng(2)
    cot = [xp.asarray(rng.standard_normal(tuple(o.shape)).astype(_host(o).dtype), device=o.device)
           for o in outs]
    grads = xp.autograd.grad(outs, want, cot, allow_unused=True)
    return [_host(o) for o in outs], [None if g is None else _host(g) for g in grads]


@pytest.mark.skipif(not SPECS, reason="needs test_gradients' specs (PyTorch installed)")
@pytest.mark.parametrize("s", SPECS, ids=[s.id for s in SPECS])
@settings(max_examples=3)
@given(data=st.data())
def test_gradcheck_on_cuda_and_same_as_cpu(s, data):
    G._skip_missing(s)
    arrays, kw, diff = G._draw_case(s, data.draw, np.float64)
    ins = G._to_xp(arrays, diff, device="cuda")
    if any(t.requires_grad for t in ins):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert gradcheck(lambda *a: s.call(xp, *a, **kw), tuple(ins), eps=s.eps, atol=s.atol,
                             rtol=s.rtol)
    got_out, got_grads = _vjp(s, ins, kw)
    want_out, want_grads = _vjp(s, G._to_xp(arrays, diff, device="cpu"), kw)
    for g, w in zip(got_out + got_grads, want_out + want_grads):
        if w is None:
            assert g is None
            continue
        assert g.dtype == w.dtype and g.shape == w.shape, s.id
        # the same math through cuBLAS/cuSOLVER and LAPACK: equal up to rounding
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-9, err_msg=s.id)


def test_training_step_on_cuda_matches_cpu():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 12)).astype(np.float32)
    y = rng.integers(0, 4, 16)
    results = []
    for device in ("cpu", "cuda"):
        xp.manual_seed(0)
        model = xp.nn.Sequential(xp.nn.Linear(12, 8), xp.nn.ReLU(), xp.nn.Linear(8, 4))
        model.to(device)
        opt = xp.optim.Adam(model.parameters(), lr=0.01)
        for _ in range(3):
            opt.zero_grad()
            loss = xp.nn.functional.cross_entropy(model(xp.asarray(x, device=device)),
                                                  xp.asarray(y, device=device))
            loss.backward()
            opt.step()
        assert all(p.device.type == device for p in model.parameters())
        results.append([_host(p) for p in model.parameters()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# ----- DLPack: zero copy with CuPy and PyTorch ---------------------------------------------
def test_dlpack_with_cupy_shares_memory_both_ways():
    cp = _cupy()
    c = cp.arange(6, dtype=cp.float32)
    t = xp.from_dlpack(c)
    assert t.device == xp.device("cuda:0")
    assert t._data.data.ptr == c.data.ptr
    c[0] = 42
    assert float(t[0]) == 42.0
    back = cp.from_dlpack(t)
    assert back.data.ptr == c.data.ptr
    back[1] = -1
    assert float(t[1]) == -1.0
    u = xp.ones(4, device="cuda")
    assert cp.from_dlpack(u).data.ptr == u._data.data.ptr


def test_dlpack_with_torch_cuda_shares_memory_both_ways():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("PyTorch without CUDA")
    tt = torch.arange(6, dtype=torch.float32, device="cuda")
    t = xp.from_dlpack(tt)
    assert t.device == xp.device("cuda:0")
    assert t._data.data.ptr == tt.data_ptr()
    tt[0] = 42
    torch.cuda.synchronize()
    assert float(t[0]) == 42.0
    u = xp.arange(5, dtype=xp.float64, device="cuda")
    tu = torch.from_dlpack(u)
    assert tu.device.type == "cuda" and tu.data_ptr() == u._data.data.ptr
    tu[2] = 7
    torch.cuda.synchronize()
    assert float(u[2]) == 7.0


def test_numpy_bridge_copies_to_host():
    t = xp.arange(3, dtype=xp.float32, device="cuda")
    a = np.asarray(t.to_device("cpu"))
    np.testing.assert_array_equal(a, [0, 1, 2])
    with pytest.raises((TypeError, RuntimeError, ValueError), match="(?i)cuda|device|cpu"):
        t.numpy()  # PyTorch: "can't convert cuda:0 device type tensor to numpy"


# ----- devices ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_round_trips_keep_values_and_dtypes(dtype):
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((3, 4)) * 10).astype(dtype)
    if a.dtype.kind == "c":
        a = a + 1j * a[::-1]
    t = xp.asarray(a)
    for there in (t.to("cuda"), t.cuda(), t.to_device("cuda"), xp.asarray(a, device="cuda")):
        assert there.device == xp.device("cuda:0") and there.dtype == t.dtype
        for back in (there.cpu(), there.to("cpu"), there.to_device("cpu")):
            assert back.device == xp.device("cpu") and back.dtype == t.dtype
            np.testing.assert_array_equal(np.asarray(back), a)


def test_cpu_and_cuda_do_not_mix():
    a, b = xp.ones(3, device="cuda"), xp.ones(3)
    for f in (lambda: a + b, lambda: b * a, lambda: xp.matmul(a, b), lambda: xp.concat([a, b]),
              lambda: xp.where(a > 0, a, b)):
        with pytest.raises(ValueError, match="cuda") as info:
            f()
        assert "cpu" in str(info.value)


def test_a_device_past_the_last_gpu_is_a_clear_error():
    n = xp.cuda.device_count()
    for f in (lambda: xp.zeros(2, device=f"cuda:{n}"), lambda: xp.ones(2).to(f"cuda:{n}")):
        with pytest.raises((ValueError, RuntimeError), match=f"cuda:{n}|device") as info:
            f()
        assert str(n) in str(info.value)


def test_grad_stays_on_cuda():
    x = xp.asarray([1.0, 2.0, 3.0], device="cuda", requires_grad=True)
    w = xp.asarray([[0.5], [1.0], [2.0]], device="cuda", requires_grad=True)
    (xp.tanh(x @ w) ** 2).sum().backward()
    assert x.grad.device == x.device and w.grad.device == w.device
    torch = pytest.importorskip("torch")
    tx = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    tw = torch.tensor([[0.5], [1.0], [2.0]], requires_grad=True)
    (torch.tanh(tx @ tw) ** 2).sum().backward()
    np.testing.assert_allclose(_host(x.grad), tx.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(_host(w.grad), tw.grad.numpy(), rtol=1e-6)


# ----- streams ------------------------------------------------------------------------------
def test_kernels_go_to_the_current_stream():
    """A CUDA graph captured on a side stream fails if any kernel goes to another stream or
    anything waits for the device: arraygrad's forward and backward replay from it. (No
    matrix product: CuPy refuses cuBLAS calls during a capture.)"""
    cp = _cupy()
    rng = np.random.default_rng(0)
    x = xp.asarray(rng.standard_normal((8, 5)).astype(np.float32), device="cuda")
    w = xp.asarray(rng.standard_normal((1, 5)).astype(np.float32), device="cuda", requires_grad=True)
    target = xp.zeros((8, 5), device="cuda")

    def step():
        loss = xp.nn.functional.mse_loss(xp.tanh(x * w), target)
        loss.backward()
        return loss

    step()  # warm: kernels compiled, the memory pool holds the blocks
    w.grad = None
    stream = cp.cuda.Stream(non_blocking=True)
    with stream:
        stream.begin_capture(mode=cp.cuda.runtime.streamCaptureModeRelaxed)
        try:
            loss = step()
        finally:
            graph = stream.end_capture()
        graph.launch(stream)
    stream.synchronize()
    tx = x.to("cpu")
    tw = w.detach().to("cpu").requires_grad_()
    ref = xp.nn.functional.mse_loss(xp.tanh(tx * tw), xp.zeros((8, 5)))
    ref.backward()
    np.testing.assert_allclose(float(loss), float(ref), rtol=1e-5)
    np.testing.assert_allclose(_host(w.grad), _host(tw.grad), rtol=1e-5)


def test_float16_uniform_draws_on_cuda_stay_below_one():
    """A float32 draw rounded to float16 can be 1.0; draws are multiples of 2**-11."""
    xp.manual_seed(0)
    v = _host(xp.rand(200000, dtype=xp.float16, device="cuda"))
    assert v.dtype == np.float16 and v.max() < 1 and v.min() >= 0
    assert abs(float(v.astype(np.float64).mean()) - 0.5) < 0.01
