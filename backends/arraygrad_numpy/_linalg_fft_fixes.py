"""Where NumPy's (and CuPy's) `linalg` and `fft` extensions depart from the 2025.12
standard; merged into `numpy_like_overrides` under dotted names ("linalg.eig").

Written against the module `xp` so that the CuPy backend reuses them.
"""

from __future__ import annotations


def linalg_fft_overrides(xp) -> dict:
    """dotted name -> replacement for NumPy-like namespace `xp`."""

    def complex_of(dtype):
        return xp.result_type(dtype, xp.complex64)  # float32 -> complex64, float64 -> complex128

    def eig(x, /):
        # NumPy returns real arrays when every eigenvalue happens to be real; the standard
        # (and a gradient that does not change type between calls) wants complex ones always.
        values, vectors = xp.linalg.eig(x)
        c = complex_of(x.dtype)
        return values.astype(c, copy=False), vectors.astype(c, copy=False)

    def eigvals(x, /):
        return xp.linalg.eigvals(x).astype(complex_of(x.dtype), copy=False)

    def pinv(x, /, *, rtol=None):
        # CuPy has no `rtol`, only NumPy's older `rcond`, which means the same; the
        # standard's default is max(M, N) * eps (NumPy's rcond default is 1e-15).
        if rtol is None:
            rtol = max(x.shape[-2:]) * xp.finfo(x.dtype).eps
        return xp.linalg.pinv(x, rcond=rtol)

    def fftfreq(n, /, *, d=1.0, dtype=None, device=None):
        # No dtype= in NumPy or CuPy; the device is chosen by the caller's backend.
        out = xp.fft.fftfreq(n, d=d)
        return out if dtype is None else out.astype(dtype, copy=False)

    def rfftfreq(n, /, *, d=1.0, dtype=None, device=None):
        out = xp.fft.rfftfreq(n, d=d)
        return out if dtype is None else out.astype(dtype, copy=False)

    return {"linalg.eig": eig, "linalg.eigvals": eigvals, "linalg.pinv": pinv,
            "fft.fftfreq": fftfreq, "fft.rfftfreq": rfftfreq}
