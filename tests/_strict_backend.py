"""Test-only backend plugins built on array-api-strict (the standard's reference namespace).

`StrictBackend` is a second CPU backend: registered with `register_backend("strict", ...)`
in conftest, it proves that the core runs on any array-API namespace, not just NumPy.
`NoFloat64Backend` is a fake device type "mps" served by strict's "no_float64" device (it
mimics Apple's MPS, which has no float64): it tests that a dtype a device cannot hold gives
a clear TypeError, and that two device types never mix, on a CPU-only CI.
"""

from __future__ import annotations

import array_api_strict

from arraygrad import Backend

__all__ = ["StrictBackend", "NoFloat64Backend"]


def _isin(x1, x2, /, *, invert=False):
    # array-api-strict 2.6 ignores `invert` (it calls np.isin without it)
    out = array_api_strict.isin(x1, x2)
    return array_api_strict.logical_not(out) if invert else out


class StrictBackend(Backend):
    """array-api-strict on device "cpu" (chosen explicitly: numpy stays the default)."""

    name = "strict"
    device_type = "cpu"
    overrides = {"isin": _isin}

    @classmethod
    def load_namespace(cls):
        return array_api_strict


class NoFloat64Backend(Backend):
    """A fake device type "mps" without float64/complex128 (strict's "no_float64" device)."""

    name = "strict_no_float64"
    device_type = "mps"
    overrides = {"isin": _isin}

    @classmethod
    def load_namespace(cls):
        return array_api_strict

    def native_device(self):
        return array_api_strict.Device("no_float64")
