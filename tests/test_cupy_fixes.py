"""The CuPy plugin's replacements for CuPy's departures (backends/arraygrad_cupy/_fixes.py),
checked on the CPU with NumPy standing in for CuPy: they must give NumPy's (the standard's)
results. On a GPU the conformance suite and the backend-parametrized tests check them on CuPy."""

import math

import numpy as np
import pytest

from arraygrad_cupy._fixes import cupy_overrides

FIX = cupy_overrides(np)
SPECIAL = [0.0, -0.0, 1.0, -1.0, 1368.0, 4.019389e-36, 5.324061e-195, 1e-45, -3.5, 7.25, 1e30,
           math.inf, -math.inf, math.nan]


def _same(got, want):
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    # signed zeros and NaNs: compare the bits where both are zero
    zero = want == 0
    np.testing.assert_array_equal(np.signbit(got[zero]), np.signbit(want[zero]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_remainder_matches_numpy(dtype):
    a = np.array(SPECIAL, dtype)
    x1, x2 = np.meshgrid(a, a)
    with np.errstate(all="ignore"):
        _same(FIX["remainder"](x1, x2), np.remainder(x1, x2))
        rng = np.random.default_rng(0)
        x1, x2 = (rng.standard_normal((2, 500)) * 10.0 ** rng.integers(-30, 30, (2, 500))).astype(dtype)
        _same(FIX["remainder"](x1, x2), np.remainder(x1, x2))
        _same(FIX["remainder"](x1[:, None], x2[None, :3]), np.remainder(x1[:, None], x2[None, :3]))


def test_remainder_integers_pass_through():
    x1, x2 = np.arange(-6, 6), np.array([4, -4] * 6)
    _same(FIX["remainder"](x1, x2), np.remainder(x1, x2))


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_log2_complex_keeps_logs_special_cases(dtype):
    vals = [complex(r, i) for r in (0.0, -0.0, 1.0, -2.0, math.inf, -math.inf, math.nan)
            for i in (0.0, -0.0, 1.5, math.inf, math.nan)]
    x = np.array(vals, dtype)
    with np.errstate(all="ignore"):
        got, want = FIX["log2"](x), np.log2(x)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-6)
    assert got[0] == complex(-math.inf, 0.0)
    np.testing.assert_array_equal(FIX["log2"](np.array([1.0, 8.0])), [0.0, 3.0])


def test_nextafter_float32_reaches_subnormals():
    a = np.array([0.0, -0.0, 1e-45, -1e-45, 1.0, -1.0, 3.4028235e38, math.inf, -math.inf,
                  math.nan, 1.1754944e-38], np.float32)
    x1, x2 = np.meshgrid(a, a)
    _same(FIX["nextafter"](x1, x2), np.nextafter(x1, x2))
    tiny = FIX["nextafter"](np.asarray(0.0, np.float32), np.asarray(1.0, np.float32))
    assert tiny.shape == () and tiny == np.float32(1e-45)
    _same(FIX["nextafter"](a[:, None], a[None, :2]), np.nextafter(a[:, None], a[None, :2]))
    # other dtypes are CuPy's own
    _same(FIX["nextafter"](np.array([0.0, 1.0]), np.array([1.0, 0.0])),
          np.nextafter(np.array([0.0, 1.0]), np.array([1.0, 0.0])))


@pytest.mark.parametrize("s1,s2", [((1, 1, 1), (1, 1)), ((2, 3, 3), (3, 2)), ((3, 3), (4, 3, 1)),
                                   ((2, 1, 3, 3), (5, 3, 2)), ((2, 3, 3), (2, 3, 4)), ((2, 3, 3), (3,)),
                                   ((0, 3, 3), (3, 1))])
def test_solve_broadcasts_the_stacks(s1, s2):
    # CuPy refused stacks that differ ((1, 1, 1) with (1, 1): det's gradient on one matrix)
    rng = np.random.default_rng(1)
    a = rng.standard_normal(s1) + 4 * np.eye(s1[-1])
    b = rng.standard_normal(s2)
    got, want = FIX["linalg.solve"](a, b), np.linalg.solve(a, b)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12)
