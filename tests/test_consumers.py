"""Libraries written against the array API accept arraygrad tensors and give arraygrad tensors
with NumPy's results: array-api-compat and array-api-extra here (on both CPU backends), and
scikit-learn and SciPy through _consumer_checks.py in a fresh interpreter (SciPy must see
SCIPY_ARRAY_API=1 before it is first imported)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import array_api_compat
import array_api_extra as xpx
import numpy as np
import pytest

import arraygrad as xp
from _consumer_checks import CHECKS
from _oracle import ag, assert_tensor_like

HERE = os.path.dirname(os.path.abspath(__file__))


# ----- array-api-compat ---------------------------------------------------------------------
def test_array_namespace(backend):
    t = xp.ones((2,), device=backend.device)
    assert array_api_compat.array_namespace(t) is xp
    assert array_api_compat.array_namespace(t, t * 2) is xp
    assert array_api_compat.array_namespace(t, api_version="2024.12") is xp
    assert array_api_compat.is_array_api_obj(t)
    assert array_api_compat.device(t) == backend.device
    assert array_api_compat.size(xp.ones((2, 3), device=backend.device)) == 6
    moved = array_api_compat.to_device(t, xp.device("cpu"))
    assert moved.device == xp.device("cpu")


def test_array_namespace_refuses_mixing_with_numpy():
    with pytest.raises(TypeError):
        array_api_compat.array_namespace(xp.ones(2), np.ones(2))


# ----- array-api-extra ----------------------------------------------------------------------
A = np.arange(12.0).reshape(3, 4) - 5.0
EXTRA = {
    "atleast_nd": lambda x, m: xpx.atleast_nd(x[0], ndim=3, xp=m),
    "cov": lambda x, m: xpx.cov(x, xp=m),
    "pad": lambda x, m: xpx.pad(x, 2, xp=m),
    "pad_constant": lambda x, m: xpx.pad(x, ((1, 0), (0, 2)), constant_values=3.0, xp=m),
    "at_set": lambda x, m: xpx.at(x)[1:, 0].set(7.0),
    "at_add": lambda x, m: xpx.at(x)[0].add(1.0),
    "at_multiply_mask": lambda x, m: xpx.at(x)[x > 0].multiply(2.0),
    "at_min": lambda x, m: xpx.at(x, (slice(None), 1)).min(0.0),
    "at_power": lambda x, m: xpx.at(x, 2).power(2.0),
    "create_diagonal": lambda x, m: xpx.create_diagonal(x[0], xp=m),
    "nan_to_num": lambda x, m: xpx.nan_to_num(m.log(x), xp=m),
    "nanmean": lambda x, m: xpx.nanmean(m.sqrt(x), axis=0, xp=m),
    "nansum": lambda x, m: xpx.nansum(m.sqrt(x), xp=m),
    "nanmax": lambda x, m: xpx.nanmax(m.sqrt(x), axis=1, xp=m),
    "union1d": lambda x, m: xpx.union1d(x[0], x[2], xp=m),
    "searchsorted": lambda x, m: xpx.searchsorted(x[:, :2], x[:, 1:3], xp=m),
    "partition": lambda x, m: m.sort(xpx.partition(m.flip(x, axis=1), 2, axis=1, xp=m)[:, :2],
                                     axis=1),
    "angle": lambda x, m: xpx.angle(x, xp=m),
    "deg2rad": lambda x, m: xpx.deg2rad(x, xp=m),
    "unravel_index": lambda x, m: m.stack(xpx.unravel_index(m.asarray([0, 5, 11]), (3, 4), xp=m)),
    "tril_indices": lambda x, m: m.stack(xpx.tril_indices(3, xp=m)),
    "kron": lambda x, m: xpx.kron(x[:2, :2], x[:2, :3], xp=m),
    "sinc": lambda x, m: xpx.sinc(x, xp=m),
    "nunique": lambda x, m: xpx.nunique(m.round(x / 3.0), xp=m),
    "setdiff1d": lambda x, m: xpx.setdiff1d(m.reshape(x, (-1,)), x[1], xp=m),
    "isclose": lambda x, m: xpx.isclose(x, x + 1e-12, xp=m),
    "one_hot": lambda x, m: xpx.one_hot(m.asarray([0, 2, 1]), 3, xp=m),
    "apply_where": lambda x, m: xpx.apply_where(x > 0, x, m.sqrt, fill_value=0.0, xp=m),
}


# These make arrays with xp.asarray(...) and no device=: on the default device. Tensors of
# another backend then need that backend to be the default one (as a user of it would have).
USES_DEFAULT_DEVICE = {"one_hot", "at_min", "unravel_index", "tril_indices"}


@pytest.mark.filterwarnings("ignore:All-NaN slice:RuntimeWarning")
@pytest.mark.parametrize("name", sorted(EXTRA))
def test_array_api_extra(backend, name):
    fn = EXTRA[name]
    if name in USES_DEFAULT_DEVICE:
        xp.set_default_backend(backend.device.type, backend.name)
        xp.set_default_device(backend.device)
    out = fn(ag(A, backend), xp)
    expected = fn(A.copy(), np)
    if name == "one_hot":  # xpx makes it in xp's default float dtype (arraygrad: float32)
        expected = expected.astype(np.float32)
    assert_tensor_like(out, expected, backend)


def test_array_api_extra_at_copy_semantics(backend):
    """copy=True leaves the input alone; copy=False writes into it (arraygrad is writeable)."""
    x = ag(A, backend)
    y = xpx.at(x)[0, 0].set(100.0, copy=True)
    assert float(x[0, 0]) == A[0, 0] and float(y[0, 0]) == 100.0
    z = xpx.at(x)[0, 0].set(100.0, copy=False)
    assert float(x[0, 0]) == 100.0 and float(z[0, 0]) == 100.0


def test_array_api_extra_at_on_a_read_only_tensor():
    ro = A.copy()
    ro.flags.writeable = False
    t = xp.asarray(ro)  # shares the read-only NumPy memory
    # copy=True: array-api-compat's is_writeable_array cannot see arraygrad's read-only flag,
    # so copy=None would try to write in place (and arraygrad refuses with a ValueError)
    out = xpx.at(t)[0, 0].set(100.0, copy=True)
    assert float(out[0, 0]) == 100.0 and ro[0, 0] == A[0, 0]
    with pytest.raises(ValueError, match="read-only"):
        xpx.at(t)[0, 0].set(100.0, copy=False)


# ----- scikit-learn and SciPy, in a fresh interpreter ------------------------------------------
@pytest.fixture(scope="module")
def consumer_results():
    env = dict(os.environ, SCIPY_ARRAY_API="1")
    proc = subprocess.run([sys.executable, os.path.join(HERE, "_consumer_checks.py")],
                          capture_output=True, text=True, env=env, timeout=600, cwd=HERE)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_consumer(consumer_results, name):
    """scikit-learn (array_api_dispatch=True: LDA, PCA, Ridge, scalers) and SciPy
    (special, fft, stats) on arraygrad tensors match the same calls on NumPy arrays."""
    failure = consumer_results[name]
    if failure is not None:
        pytest.fail(f"{name} failed on arraygrad tensors:\n{failure}", pytrace=False)
