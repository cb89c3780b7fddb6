"""gradcheck / gradgradcheck themselves (they must catch wrong gradients, real and complex),
and anomaly detection."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import arraygrad as xp
from arraygrad import autograd
from arraygrad.autograd import Function, GradcheckError, gradcheck, gradgradcheck

torch = pytest.importorskip("torch")


def t(values, requires_grad=True, dtype=np.float64):
    return xp.asarray(np.array(values, dtype=dtype), requires_grad=requires_grad)


def custom(forward, backward):
    """A Function from two callables: forward(x) and backward(x, g)."""

    class Custom(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return forward(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return backward(x, g)

    return Custom.apply


# ----- gradcheck -------------------------------------------------------------------------------
def test_passes_on_correct_gradients():
    x, y = t([[0.3, -1.2], [0.5, 2.0]]), t([1.5, -0.5])
    assert gradcheck(lambda a, b: xp.sin(a) * b + a @ b, (x, y))
    assert gradcheck(lambda a: (xp.exp(a), xp.sum(a * a)), (x,))  # several outputs
    assert gradcheck(lambda a: xp.tanh(a), x, eps=1e-7, atol=1e-6, rtol=1e-4)


def test_catches_wrong_gradients_and_reports_jacobians():
    wrong = custom(xp.sin, lambda x, g: g * xp.cos(x) * (1 + 1e-2))
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to input 0") as e:
        gradcheck(wrong, (t([0.1, 0.7]),))
    assert "numerical" in str(e.value) and "analytical" in str(e.value)
    assert isinstance(e.value, RuntimeError)
    assert gradcheck(wrong, (t([0.1, 0.7]),), raise_exception=False) is False
    assert not gradcheck(wrong, (t([0.1, 0.7]),), raise_exception=False, fast_mode=True)
    half = custom(lambda x: x * x, lambda x, g: g * x)  # forgot the factor 2
    with pytest.raises(GradcheckError):
        gradcheck(half, (t([1.0]),))


def test_only_inputs_requiring_grad_are_checked():
    wrong_in_b = lambda a, b: a * xp.sin(b)  # noqa: E731
    assert gradcheck(wrong_in_b, (t([1.0, 2.0]), t([0.5, 0.2], requires_grad=False)))
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        gradcheck(lambda a: a * 2, (t([1.0], requires_grad=False),))


def test_outputs_that_do_not_depend_on_the_inputs():
    assert gradcheck(lambda a: (a * 2, xp.ones((2,), dtype=xp.float64)), (t([1.0, 2.0]),))
    assert gradcheck(lambda a: xp.argmax(a), (t([1.0, 2.0]),))  # integer output: nothing to check


def test_warns_for_single_precision():
    with pytest.warns(UserWarning, match="not a double precision"):
        gradcheck(lambda a: a * 2, (t([1.0], dtype=np.float32),), atol=1e-2, rtol=1e-2, eps=1e-3)


def test_fast_mode():
    x = t([[0.3, -1.2], [0.5, 2.0]])
    assert gradcheck(lambda a: xp.exp(a) @ a, (x,), fast_mode=True)
    z = t([1 + 1j, 0.5 - 2j], dtype=np.complex128)
    assert gradcheck(lambda a: a * xp.conj(a) * a, (z,), fast_mode=True)


def test_forward_mode_check():
    assert gradcheck(lambda a, b: xp.sin(a) * b, (t([0.3, 1.0]), t([2.0, -1.0])), check_forward_ad=True)


def test_non_reentrant_backward_is_caught():
    rng = np.random.default_rng(0)
    noisy = custom(lambda x: x * 1, lambda x, g: g * (1 + float(rng.uniform(0, 1e-3))))
    with pytest.raises(GradcheckError, match="not reentrant|Jacobian mismatch"):
        gradcheck(noisy, (t([1.0, 2.0]),), atol=1e-2, rtol=1e-2)


def test_unsupported_modes_say_so():
    with pytest.raises(NotImplementedError, match="vmap"):
        gradcheck(lambda a: a, (t([1.0]),), check_batched_grad=True)


# ----- complex numbers: the conjugate Wirtinger convention --------------------------------------
def test_complex_functions_pass():
    z = t([1 + 1j, -0.5 + 2j, 0.3 - 0.4j], dtype=np.complex128)
    for f in (xp.exp, xp.sin, lambda a: a * a, xp.conj, xp.abs, xp.real, xp.imag, lambda a: xp.abs(a) ** 2,
              lambda a: a / (1 + xp.conj(a))):
        assert gradcheck(f, (z,))
    r = t([0.3, -1.0])
    assert gradcheck(lambda a: xp.exp(1j * a), (r,))  # real input, complex output
    assert gradcheck(lambda a, b: xp.sum(xp.abs(a * b)), (z, t([1.0, 2.0, -1.0])))


WRONG_COMPLEX_RULES = {
    "no conjugate": lambda g, c: g * c,
    "conjugated gradient": lambda g, c: (g * c.conjugate()).conj(),  # d/dz instead of conj
}


@pytest.mark.parametrize("mistake", sorted(WRONG_COMPLEX_RULES))
def test_complex_convention_mistakes_are_caught_as_by_pytorch(mistake):
    """The rule for z * c must return g * conj(c); both gradchecks reject the usual mistakes."""
    c = 2.0 - 1.0j
    rule = WRONG_COMPLEX_RULES[mistake]

    class Ours(Function):
        @staticmethod
        def forward(ctx, z):
            return z * c

        @staticmethod
        def backward(ctx, g):
            return g * c if mistake == "no conjugate" else xp.conj(g * c.conjugate())

    class Theirs(torch.autograd.Function):
        @staticmethod
        def forward(ctx, z):
            return z * c

        @staticmethod
        def backward(ctx, g):
            return rule(g, c)

    z = t([1 + 1j, 0.5 - 2j], dtype=np.complex128)
    tz = torch.tensor([1 + 1j, 0.5 - 2j], dtype=torch.complex128, requires_grad=True)
    assert not gradcheck(Ours.apply, (z,), raise_exception=False)
    assert not torch.autograd.gradcheck(Theirs.apply, (tz,), raise_exception=False)


def test_complex_gradient_of_a_real_loss_is_d_dx_plus_i_d_dy():
    z = t([3 + 4j], dtype=np.complex128)
    xp.sum(xp.abs(z)).backward()  # |z| = sqrt(x^2 + y^2): (x + iy) / |z|
    np.testing.assert_allclose(np.asarray(z.grad), [0.6 + 0.8j])


# ----- gradgradcheck -----------------------------------------------------------------------------
def test_gradgradcheck_passes_and_catches_a_wrong_second_derivative():
    x = t([0.3, -0.8, 1.5])
    assert gradgradcheck(lambda a: xp.sin(a) * a, (x,))
    assert gradgradcheck(lambda a, b: xp.sum(a * b * b), (x, t([1.0, 2.0, 3.0])))
    # right first derivative, computed from a detached copy: its own derivative is lost
    cut = custom(xp.sin, lambda x, g: g * xp.cos(x.detach()))
    assert gradcheck(cut, (x,))
    with pytest.raises(GradcheckError):
        gradgradcheck(cut, (x,))


def test_gradgradcheck_complex_and_given_grad_outputs():
    z = t([1 + 1j, 0.5 - 2j], dtype=np.complex128)
    assert gradgradcheck(lambda a: a * a * xp.conj(a), (z,))
    go = t([1.0 - 1j, 2.0 + 0.5j], dtype=np.complex128)
    assert gradgradcheck(lambda a: xp.exp(a), (z,), (go,))


# ----- anomaly detection ---------------------------------------------------------------------------
def _nan_backward(x=None):
    x = t([0.0, 1.0]) if x is None else x
    y = xp.sqrt(x)  # the culprit: its backward divides 0 by 0 (g is 0 there)
    return xp.sum(y * xp.asarray([0.0, 1.0], dtype=xp.float64))


def test_detect_anomaly_names_the_op_and_where_it_was_created():
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        ctx = autograd.detect_anomaly()
    with ctx:
        assert autograd.is_anomaly_enabled()
        loss = _nan_backward()
        with pytest.raises(RuntimeError) as e:
            loss.backward()
    msg = str(e.value)
    assert "SqrtBackward0" in msg and "nan" in msg
    assert "test_autograd_gradcheck.py" in msg and "xp.sqrt(x)" in msg  # the forward stack
    assert not autograd.is_anomaly_enabled()


def test_without_anomaly_mode_nan_passes_silently():
    x = t([0.0, 1.0])
    _nan_backward(x).backward()
    assert np.isnan(np.asarray(x.grad)[0])


def test_set_detect_anomaly_and_check_nan_off():
    autograd.set_detect_anomaly(True)
    try:
        assert autograd.is_anomaly_enabled() and autograd.is_anomaly_check_nan_enabled()
    finally:
        autograd.set_detect_anomaly(False)
    assert not autograd.is_anomaly_enabled()
    with autograd.set_detect_anomaly(True, check_nan=False):
        _nan_backward().backward()  # records stacks, does not check NaN
    assert not autograd.is_anomaly_enabled()


def test_errors_in_backward_carry_the_forward_stack():
    def boom(x, g):
        raise ValueError("backward failed")

    f = custom(lambda x: x * 2, boom)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        guard = autograd.detect_anomaly()
    with guard:
        y = xp.sum(f(t([1.0])))
        with pytest.raises(ValueError, match="backward failed") as e:
            y.backward()
    notes = "".join(getattr(e.value, "__notes__", []))
    assert "CustomBackward" in notes and "test_autograd_gradcheck.py" in notes


def test_detect_anomaly_as_a_decorator():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")

        @autograd.detect_anomaly()
        def step():
            return autograd.is_anomaly_enabled()

    assert step() and not autograd.is_anomaly_enabled()


def test_gradcheck_on_every_cpu_backend(backend):
    """Nothing in gradcheck (or the engine) assumes NumPy: array-api-strict runs it too."""
    dev = backend.device
    x = xp.asarray([[0.3, -1.2], [0.5, 2.0]], dtype=xp.float64, device=dev, requires_grad=True)
    z = xp.asarray([1 + 1j, 0.5 - 2j], dtype=xp.complex128, device=dev, requires_grad=True)
    assert gradcheck(lambda a: xp.sum(xp.exp(a) @ a, axis=0), (x,))
    assert gradgradcheck(lambda a: xp.sin(a) * a[:, :1], (x,))
    assert gradcheck(lambda a: xp.abs(a) * a, (z,))
    assert gradcheck(lambda a: a[0] * 2, (x,), fast_mode=True)
