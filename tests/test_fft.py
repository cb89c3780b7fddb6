"""The fft extension (src/arraygrad/fft.py): values and dtypes against NumPy, gradients
against finite differences (arraygrad.autograd.gradcheck / gradgradcheck, float64 and
complex128) and against PyTorch 2.13 (CPU) for a random cotangent, covering padding and
trimming (n / s), every norm, several axes, and batched inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import arraygrad as xp
from arraygrad.autograd import gradcheck, gradgradcheck


def _rand(shape, complex_=False, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    return a + 1j * rng.standard_normal(shape) if complex_ else a


def _np(t):
    return np.asarray(t.detach().to_device("cpu"))


def check_torch(f, tf, a, rtol=1e-10, atol=1e-12):
    """Value and gradient of Re <c, f(a)> (c a fixed random cotangent) equal PyTorch's."""
    x = xp.asarray(a, requires_grad=True)
    out = f(x)
    c = _rand(tuple(out.shape), out.dtype.is_complex, seed=1)
    (g,) = xp.autograd.grad(xp.sum(xp.real(xp.asarray(np.conj(c)) * out)), [x])
    tx = torch.tensor(a, requires_grad=True)
    tout = tf(tx)
    (tg,) = torch.autograd.grad((torch.as_tensor(np.conj(c)) * tout).real.sum(), [tx])
    np.testing.assert_allclose(_np(out), tout.detach().resolve_conj().numpy(), rtol=rtol, atol=atol)
    np.testing.assert_allclose(_np(g), tg.resolve_conj().numpy(), rtol=rtol, atol=atol)


# (id, arraygrad call, torch call, input): n / s larger and smaller than the input, odd and
# even lengths (the one-sided transforms treat them differently), every norm.
CASES = [
    ("fft-pad", lambda m, x: m.fft.fft(x, n=7), (3, 5), True),
    ("fft-trim-axis0-ortho", lambda m, x: m.fft.fft(x, n=2, axis=0, norm="ortho"), (3, 5), True),
    ("fft-real-input", lambda m, x: m.fft.fft(x, norm="forward"), (2, 4), False),
    ("ifft-pad-forward", lambda m, x: m.fft.ifft(x, n=6, norm="forward"), (2, 4), True),
    ("fftn-s-axes", lambda m, x: m.fft.fftn(x, s=(3, 4), axes=(0, 2)), (2, 3, 3), True),
    ("ifftn-all-ortho", lambda m, x: m.fft.ifftn(x, norm="ortho"), (2, 3), True),
    ("rfft-even", lambda m, x: m.fft.rfft(x, n=6), (2, 5), False),
    ("rfft-odd-trim-forward", lambda m, x: m.fft.rfft(x, n=3, axis=0, norm="forward"), (4, 2), False),
    ("irfft-default", lambda m, x: m.fft.irfft(x), (2, 4), True),
    ("irfft-odd-pad-ortho", lambda m, x: m.fft.irfft(x, n=9, norm="ortho"), (2, 3), True),
    ("irfft-trim-axis0", lambda m, x: m.fft.irfft(x, n=4, axis=0, norm="forward"), (5, 2), True),
    ("rfftn-s", lambda m, x: m.fft.rfftn(x, s=(4, 5), axes=(1, 2), norm="ortho"), (2, 3, 4), False),
    ("irfftn-s", lambda m, x: m.fft.irfftn(x, s=(2, 5), axes=(0, 1)), (3, 3), True),
    ("irfftn-default-forward", lambda m, x: m.fft.irfftn(x, norm="forward"), (2, 3), True),
    ("hfft", lambda m, x: m.fft.hfft(x, n=5), (2, 4), True),
    ("hfft-default-ortho", lambda m, x: m.fft.hfft(x, axis=0, norm="ortho"), (3, 2), True),
    ("ihfft", lambda m, x: m.fft.ihfft(x, n=6, norm="forward"), (2, 5), False),
]

# PyTorch's spelling of the same calls.
_TORCH = {"axis": "dim", "axes": "dim"}


class _TorchFFT:
    """Translates the standard's keywords (axis/axes) to PyTorch's (dim)."""

    def __getattr__(self, name):
        fn = getattr(torch.fft, name)

        def call(x, **kw):
            return fn(x, **{_TORCH.get(k, k): v for k, v in kw.items()})
        return call


class _TorchNamespace:
    fft = _TorchFFT()


@pytest.mark.parametrize("call, shape, complex_", [pytest.param(*c[1:], id=c[0]) for c in CASES])
def test_gradient_finite_differences(call, shape, complex_):
    x = xp.asarray(_rand(shape, complex_), requires_grad=True)
    assert gradcheck(lambda t: call(xp, t), (x,))


@pytest.mark.parametrize("call, shape, complex_", [pytest.param(*c[1:], id=c[0]) for c in CASES])
def test_values_and_gradient_against_torch(call, shape, complex_):
    check_torch(lambda t: call(xp, t), lambda t: call(_TorchNamespace, t), _rand(shape, complex_))


@pytest.mark.parametrize("call, shape, complex_", [pytest.param(*c[1:], id=c[0]) for c in CASES[::4]])
def test_second_order(call, shape, complex_):
    # A nonlinear function of the transform, so that the second derivative is not zero.
    x = xp.asarray(_rand(shape, complex_), requires_grad=True)
    assert gradgradcheck(lambda t: xp.abs(call(xp, t)) ** 2, (x,))


def test_shift_gradients():
    x = xp.asarray(_rand((3, 4), True), requires_grad=True)
    assert gradcheck(lambda t: xp.fft.fftshift(t, axes=0), (x,))
    check_torch(lambda t: xp.fft.ifftshift(t), lambda t: torch.fft.ifftshift(t), _rand((3, 5)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
def test_values_and_dtypes_match_numpy(dtype):
    a = _rand((3, 4), np.dtype(dtype).kind == "c").astype(dtype)
    real = np.finfo(dtype).dtype
    cplx = np.result_type(real, np.complex64)
    tol = {"rtol": 1e-4, "atol": 1e-5} if real == np.float32 else {"rtol": 1e-12, "atol": 1e-12}
    x = xp.asarray(a)
    calls = [("fft", dict(n=6, axis=0), cplx), ("ifft", dict(norm="ortho"), cplx),
             ("fftn", dict(s=(2, 5), axes=(1, 0)), cplx), ("ifftn", dict(norm="forward"), cplx),
             ("irfft", dict(n=5), real), ("irfftn", dict(axes=(0,)), real), ("hfft", dict(n=4), real)]
    if np.dtype(dtype).kind == "f":
        calls += [("rfft", dict(n=5, axis=0), cplx), ("rfftn", dict(s=(3, 3), axes=(0, 1)), cplx),
                  ("ihfft", dict(norm="ortho"), cplx)]
    for name, kw, want in calls:
        out = getattr(xp.fft, name)(x, **kw)
        assert _np(out).dtype == want, name
        np.testing.assert_allclose(_np(out), getattr(np.fft, name)(a, **kw), err_msg=name, **tol)
    for name in ("fftshift", "ifftshift"):
        for axes in (None, 1, (0, 1)):
            out = getattr(xp.fft, name)(x, axes=axes)
            assert _np(out).dtype == a.dtype
            np.testing.assert_array_equal(_np(out), getattr(np.fft, name)(a, axes=axes))


def test_round_trips():
    a = _rand((4, 5))
    x = xp.asarray(a)
    for norm in ("backward", "ortho", "forward"):
        np.testing.assert_allclose(_np(xp.fft.ifftn(xp.fft.fftn(x, norm=norm), norm=norm)), a, atol=1e-12)
        np.testing.assert_allclose(_np(xp.fft.irfft(xp.fft.rfft(x, norm=norm), n=5, norm=norm)), a,
                                   atol=1e-12)
        np.testing.assert_allclose(_np(xp.fft.hfft(xp.fft.ihfft(x, norm=norm), n=5, norm=norm)), a,
                                   atol=1e-12)


def test_frequencies():
    for n in (1, 4, 7):
        for d in (1.0, 0.25):
            f = xp.fft.fftfreq(n, d=d)
            assert f.dtype == xp.__array_namespace_info__().default_dtypes()["real floating"]
            np.testing.assert_allclose(_np(f), np.fft.fftfreq(n, d=d), rtol=1e-6)
            r = xp.fft.rfftfreq(n, d=d, dtype=xp.float64, device="cpu")
            assert r.dtype == xp.float64 and r.device == xp.device("cpu")
            np.testing.assert_allclose(_np(r), np.fft.rfftfreq(n, d=d))
    with pytest.raises(TypeError, match="dtype"):
        xp.fft.fftfreq(4, dtype=xp.complex64)
    with pytest.raises(ValueError, match="positive"):
        xp.fft.rfftfreq(0)


def test_errors():
    c = xp.asarray(_rand((2, 3), True))
    with pytest.raises(ValueError, match="norm"):
        xp.fft.fft(c, norm="ortogonal")
    with pytest.raises(ValueError, match="positive"):
        xp.fft.ifft(c, n=0)
    with pytest.raises(TypeError, match="n must be an int"):
        xp.fft.fft(c, n=2.5)
    with pytest.raises(IndexError):
        xp.fft.fft(c, axis=2)
    with pytest.raises(TypeError, match="real"):
        xp.fft.rfft(c)
    with pytest.raises(ValueError, match="at most 2 sizes"):
        xp.fft.fftn(c, s=(2, 2, 2))
    with pytest.raises(ValueError, match="same length"):
        xp.fft.fftn(c, s=(2,), axes=(0, 1))
    with pytest.raises(ValueError, match="unique"):
        xp.fft.ifftn(c, axes=(1, -1))
    with pytest.raises(ValueError, match="m >= 2"):
        xp.fft.irfft(xp.asarray(_rand((3, 1), True)))
    with pytest.raises(ValueError, match="at least one dimension"):
        xp.fft.fft(xp.asarray(1.0 + 0j))
    with pytest.raises(TypeError, match="arraygrad Tensor"):
        xp.fft.fft(np.ones(3))


def test_same_results_on_every_cpu_backend(backend):
    # The core is backend-generic: array-api-strict (no NumPy quirks, no overrides) agrees.
    def run(device):
        x = xp.asarray(_rand((3, 4)), device=device, requires_grad=True)
        outs = [xp.fft.fft(x, n=5), xp.fft.ifftn(x, s=(2, 3), axes=(0, 1)), xp.fft.rfft(x, axis=0),
                xp.fft.irfft(xp.fft.rfftn(x), n=4), xp.fft.hfft(xp.fft.ihfft(x, n=5)),
                xp.fft.fftshift(x), xp.fft.rfftfreq(5, device=device, dtype=xp.float64)]
        loss = sum(xp.sum(xp.abs(o) ** 2) for o in outs[:-1])
        return [_np(o) for o in outs] + [_np(xp.autograd.grad(loss, [x])[0])]

    for got, want in zip(run(backend.device), run("cpu")):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["fftn", "ifftn", "rfftn", "irfftn"])
@pytest.mark.parametrize("s", [(5,), (2, 6), (3, 3, 3)])
def test_s_without_axes_transforms_the_last_len_s_axes(name, s):
    """PyTorch's (and SciPy's) reading; the standard asks callers to give axes with s."""
    torch = pytest.importorskip("torch")
    x = _rand((2, 3, 4), name in ("fftn", "ifftn"))
    ours = getattr(xp.fft, name)(xp.asarray(x), s=s)
    theirs = getattr(torch.fft, name)(torch.from_numpy(x), s=s)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(np.asarray(ours), theirs.numpy(), rtol=1e-10, atol=1e-12)
