"""The standard's `fft` extension, with PyTorch's gradients.

Three kinds of transform, one op-table entry per function:

- complex to complex (fft, ifft, fftn, ifftn): the gradient is the opposite transform with
  the dual normalization ("backward" <-> "forward"), the adjoint of the DFT matrix;
- real to complex (rfft, rfftn): the one-sided gradient is zero-filled to full length,
  inverse-transformed, and its real part taken;
- complex to real (irfft, irfftn): the gradient is rfft of the incoming one, with the
  entries that stand for two conjugate-symmetric inputs counted twice.

Trimming or zero-padding the input to `n` / `s` is undone on the gradient. hfft, ihfft,
fftshift and ifftshift are composites (conj and irfft / rfft, roll), so their gradients
come for free. Complex gradients follow PyTorch's convention (conjugate Wirtinger).
"""

from __future__ import annotations

import operator

from . import _dtypes
from ._config import get_default_dtype
from ._dispatch import Op, Tensor, apply, check_tensor, wrap
from ._ops import normalize_axis
from ._ops.creation import asarray, backend_for, zeros
from ._ops.data_type import astype
from ._ops.elementwise import conj, real
from ._ops.manipulation import concat, reshape, roll

__all__ = ["fft", "ifft", "fftn", "ifftn", "rfft", "irfft", "rfftn", "irfftn", "hfft", "ihfft",
           "fftfreq", "rfftfreq", "fftshift", "ifftshift", "fft2", "ifft2", "rfft2", "irfft2",
           "hfftn", "ihfftn", "hfft2", "ihfft2"]

# The adjoint of a transform normalized one way is the opposite transform normalized the other.
_DUAL_NORM = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


# ----- argument checks ----------------------------------------------------------------------
def _check_norm(norm, fname: str) -> str:
    if norm is None:  # PyTorch's (and NumPy's) spelling of the default
        return "backward"
    if not isinstance(norm, str) or norm not in _DUAL_NORM:
        raise ValueError(f"{fname}: norm must be 'backward', 'ortho' or 'forward', got {norm!r}")
    return norm


def _length(n, fname: str, argname: str = "n") -> int:
    if isinstance(n, bool):
        raise TypeError(f"{fname}: {argname} must be an int, got bool")
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"{fname}: {argname} must be an int, got {type(n).__name__}") from None
    if n < 1:
        raise ValueError(f"{fname}: {argname} must be positive, got {n}")
    return n


def _as_complex(x, fname: str) -> Tensor:
    """`x` as a complex dtype of its precision (real inputs are accepted, as in PyTorch)."""
    check_tensor(x, fname)
    kind = x._dtype.kind
    if kind == "c":
        return x
    if kind == "f":
        return astype(x, x._dtype.to_complex())
    return astype(x, _dtypes.DEFAULT_COMPLEX)


def _as_real(x, fname: str) -> Tensor:
    check_tensor(x, fname)
    kind = x._dtype.kind
    if kind == "c":
        raise TypeError(f"{fname}: x must have a real floating-point dtype, got {x._dtype}")
    return x if kind == "f" else astype(x, _dtypes.DEFAULT_FLOAT)


def _axis_arg(x, axis, fname: str) -> int:
    if x._data.ndim == 0:
        raise ValueError(f"{fname}: x must have at least one dimension")
    return normalize_axis(axis, x._data.ndim, fname)


def _dim_or_axis(dim, axis):
    """PyTorch's `dim` or the standard's `axis` (not both)."""
    if dim is None:
        return axis
    if axis != -1:
        raise TypeError("got both dim (PyTorch's name) and axis (the standard's); pass one")
    return dim


def _dims_or_axes(dim, axes, s):
    """PyTorch's `dim` (an int or a sequence) or the standard's `axes` (not both)."""
    if dim is None:
        return axes
    if axes is not None:
        raise TypeError("got both dim (PyTorch's name) and axes (the standard's); pass one")
    return (dim,) if isinstance(dim, int) else tuple(dim)


def _axes_and_sizes(x, s, axes, fname: str, *, one_sided: bool = False, c2r: bool = False):
    """(axes, s) resolved: all axes by default; s[i] = -1 or absent means the input's size
    (for complex-to-real transforms, 2 * (size - 1) on the last axis). One-sided transforms
    need an axis to halve."""
    ndim = x._data.ndim
    if isinstance(s, int) and not isinstance(s, bool):  # PyTorch's one size (as a 1-sequence)
        s = (s,)
    if axes is None:  # all axes; with s, the last len(s) (PyTorch's, SciPy's reading)
        if s is not None and len(s) > ndim:
            raise ValueError(f"{fname}: s must be a sequence of at most {ndim} sizes (the input's rank), "
                             f"got s={s!r}")
        axes = tuple(range(ndim - (ndim if s is None else len(s)), ndim))
    else:
        if isinstance(axes, int):
            raise TypeError(f"{fname}: axes must be a sequence of ints, got an int")
        axes = tuple(normalize_axis(a, ndim, fname, "axes") for a in axes)
        if len(set(axes)) != len(axes):
            raise ValueError(f"{fname}: axes must be unique, got {axes}")
    if not axes and one_sided:
        raise ValueError(f"{fname}: at least one axis is required")
    shape = x._data.shape
    if s is None:
        s = (-1,) * len(axes)
    elif len(s) != len(axes):
        raise ValueError(f"{fname}: s and axes must have the same length, got s={s!r}, axes={axes}")
    sizes = []
    for i, (a, n) in enumerate(zip(axes, s)):
        if n == -1:
            n = (_c2r_default if c2r and i == len(axes) - 1 else _same)(shape[a], fname)
        sizes.append(_length(n, fname, "s"))
    return axes, tuple(sizes)


# ----- helpers for the rules ----------------------------------------------------------------
def _fit(y, shape, axes) -> Tensor:
    """`y` trimmed or zero-padded to `shape` along `axes` (the adjoint of the input's resizing)."""
    for a in axes:
        have, want = y._data.shape[a], shape[a]
        if have > want:
            y = y[(slice(None),) * a + (slice(0, want),)]
        elif have < want:
            pad_shape = tuple(y._data.shape[:a]) + (want - have,) + tuple(y._data.shape[a + 1:])
            y = concat([y, zeros(pad_shape, dtype=y._dtype, device=y.device)], axis=a)
    return y


def _c2c_grad(g, x_shape, axes, norm, adjoint):
    return _fit(adjoint(g, axes=axes, norm=_DUAL_NORM[norm]), x_shape, axes)


def _r2c_grad(g, x_shape, axes, sizes, norm):
    """Zero-fill the one-sided gradient to full length, inverse-transform, take the real part."""
    last = axes[-1]
    full = _fit(g, tuple(g._data.shape[:last]) + (sizes[-1],) + tuple(g._data.shape[last + 1:]), (last,))
    return _fit(real(ifftn(full, axes=axes, norm=_DUAL_NORM[norm])), x_shape, axes)


def _c2r_grad(g, x_shape, axes, norm):
    """rfft of the gradient; entries 1 .. n - (n//2 + 1) stand for two conjugate-symmetric
    inputs of the full spectrum, so they count twice."""
    last = axes[-1]
    n = g._data.shape[last]
    gx = rfftn(g, axes=axes, norm=_DUAL_NORM[norm])
    half = gx._data.shape[last]
    doubled = n - half
    if doubled > 0:
        weights = [1.0] + [2.0] * doubled + [1.0] * (half - 1 - doubled)
        w = asarray(weights, dtype=g._dtype, device=g.device)
        gx = gx * reshape(w, (half,) + (1,) * (g._data.ndim - 1 - last))
    return _fit(gx, x_shape, axes)


_FFT = Op("fft.fft", ("x",), lambda g, x_shape, axis, norm: _c2c_grad(g, x_shape, (axis,), norm, ifftn),
          grad_fn="FftC2CBackward0")
_IFFT = Op("fft.ifft", ("x",), lambda g, x_shape, axis, norm: _c2c_grad(g, x_shape, (axis,), norm, fftn),
           grad_fn="FftC2CBackward0")
_FFTN = Op("fft.fftn", ("x",), lambda g, x_shape, axes, norm: _c2c_grad(g, x_shape, axes, norm, ifftn),
           grad_fn="FftC2CBackward0")
_IFFTN = Op("fft.ifftn", ("x",), lambda g, x_shape, axes, norm: _c2c_grad(g, x_shape, axes, norm, fftn),
            grad_fn="FftC2CBackward0")
_RFFT = Op("fft.rfft", ("x",), lambda g, x_shape, n, axis, norm: _r2c_grad(g, x_shape, (axis,), (n,), norm),
           grad_fn="FftR2CBackward0")
_RFFTN = Op("fft.rfftn", ("x",), lambda g, x_shape, s, axes, norm: _r2c_grad(g, x_shape, axes, s, norm),
            grad_fn="FftR2CBackward0")
_IRFFT = Op("fft.irfft", ("x",), lambda g, x_shape, axis, norm: _c2r_grad(g, x_shape, (axis,), norm),
            grad_fn="FftC2RBackward0")
_IRFFTN = Op("fft.irfftn", ("x",), lambda g, x_shape, axes, norm: _c2r_grad(g, x_shape, axes, norm),
             grad_fn="FftC2RBackward0")


# ----- one-dimensional transforms ---------------------------------------------------------------
def _one_dim(op, x, n, axis, norm, *, default_n):
    fname = op.name[4:]
    axis = _axis_arg(x, axis, fname)
    norm = _check_norm(norm, fname)
    n = default_n(x._data.shape[axis], fname) if n is None else _length(n, fname)
    return apply(op, (x,), {"n": n, "axis": axis, "norm": norm})


def _same(m, fname):
    if m == 0:
        raise ValueError(f"{fname}: x has no points along a transformed axis; pass the length")
    return m


def _c2r_default(m, fname):
    if m < 2:
        raise ValueError(f"{fname}: the default output length 2 * (m - 1) needs m >= 2 input "
                         f"points, got {m}; pass the output length")
    return 2 * (m - 1)


def fft(x, /, n=None, dim=None, norm="backward", *, axis=-1) -> Tensor:
    """The discrete Fourier transform along `axis`, of length n (the input trimmed or
    zero-padded to n). PyTorch's spelling works too: `fft(x, n, dim, norm)`, norm=None."""
    axis = _dim_or_axis(dim, axis)
    return _one_dim(_FFT, _as_complex(x, "fft"), n, axis, norm, default_n=_same)


def ifft(x, /, n=None, dim=None, norm="backward", *, axis=-1) -> Tensor:
    """The inverse discrete Fourier transform along `axis`."""
    axis = _dim_or_axis(dim, axis)
    return _one_dim(_IFFT, _as_complex(x, "ifft"), n, axis, norm, default_n=_same)


def rfft(x, /, n=None, dim=None, norm="backward", *, axis=-1) -> Tensor:
    """The transform of real input: the n//2 + 1 non-negative frequencies."""
    axis = _dim_or_axis(dim, axis)
    return _one_dim(_RFFT, _as_real(x, "rfft"), n, axis, norm, default_n=_same)


def irfft(x, /, n=None, dim=None, norm="backward", *, axis=-1) -> Tensor:
    """The inverse of rfft: n real points (default 2 * (m - 1)) from n//2 + 1 frequencies."""
    axis = _dim_or_axis(dim, axis)
    return _one_dim(_IRFFT, _as_complex(x, "irfft"), n, axis, norm, default_n=_c2r_default)


def hfft(x, /, n=None, dim=None, norm="backward", *, axis=-1) -> Tensor:
    """The transform of a Hermitian-symmetric signal given by its first half: real output
    of length n (default 2 * (m - 1))."""
    axis = _dim_or_axis(dim, axis)
    x = _as_complex(x, "hfft")
    norm = _check_norm(norm, "hfft")
    axis = _axis_arg(x, axis, "hfft")
    n = _c2r_default(x._data.shape[axis], "hfft") if n is None else _length(n, "hfft")
    return irfft(conj(x), n=n, axis=axis, norm=_DUAL_NORM[norm])


def ihfft(x, /, n=None, dim=None, norm="backward", *, axis=-1) -> Tensor:
    """The inverse of hfft: n//2 + 1 complex points from real input."""
    axis = _dim_or_axis(dim, axis)
    x = _as_real(x, "ihfft")
    norm = _check_norm(norm, "ihfft")
    axis = _axis_arg(x, axis, "ihfft")
    n = None if n is None else _length(n, "ihfft")
    return conj(rfft(x, n=n, axis=axis, norm=_DUAL_NORM[norm]))


# ----- n-dimensional transforms -------------------------------------------------------------------
def _n_dim(op, x, s, axes, norm):
    fname = op.name[4:]
    norm = _check_norm(norm, fname)
    axes, sizes = _axes_and_sizes(x, s, axes, fname, one_sided=op in (_RFFTN, _IRFFTN),
                                  c2r=op is _IRFFTN)
    return apply(op, (x,), {"s": sizes, "axes": axes, "norm": norm})


def fftn(x, /, s=None, dim=None, norm="backward", *, axes=None) -> Tensor:
    """The n-dimensional discrete Fourier transform over `axes` (all by default), of sizes s."""
    return _n_dim(_FFTN, _as_complex(x, "fftn"), s, _dims_or_axes(dim, axes, s), norm)


def ifftn(x, /, s=None, dim=None, norm="backward", *, axes=None) -> Tensor:
    """The n-dimensional inverse discrete Fourier transform."""
    return _n_dim(_IFFTN, _as_complex(x, "ifftn"), s, _dims_or_axes(dim, axes, s), norm)


def rfftn(x, /, s=None, dim=None, norm="backward", *, axes=None) -> Tensor:
    """The n-dimensional transform of real input (one-sided along the last of `axes`)."""
    return _n_dim(_RFFTN, _as_real(x, "rfftn"), s, _dims_or_axes(dim, axes, s), norm)


def irfftn(x, /, s=None, dim=None, norm="backward", *, axes=None) -> Tensor:
    """The inverse of rfftn: real output of sizes s (default 2 * (m - 1) on the last axis)."""
    return _n_dim(_IRFFTN, _as_complex(x, "irfftn"), s, _dims_or_axes(dim, axes, s), norm)


def hfftn(x, /, s=None, dim=None, norm="backward", *, axes=None) -> Tensor:
    """The n-dimensional transform of a Hermitian-symmetric signal given by its half along
    the last of `axes` (PyTorch's torch.fft.hfftn): real output, irfftn of the conjugate
    with the dual normalization."""
    x = _as_complex(x, "hfftn")
    return irfftn(conj(x), s, dim, _DUAL_NORM[_check_norm(norm, "hfftn")], axes=axes)


def ihfftn(x, /, s=None, dim=None, norm="backward", *, axes=None) -> Tensor:
    """The inverse of hfftn: the one-sided transform of real input, conjugated."""
    x = _as_real(x, "ihfftn")
    return conj(rfftn(x, s, dim, _DUAL_NORM[_check_norm(norm, "ihfftn")], axes=axes))


# PyTorch's two-dimensional transforms: the n-dimensional ones over `dim` (the last two axes).
def fft2(x, /, s=None, dim=(-2, -1), norm=None) -> Tensor:
    """The 2-dimensional discrete Fourier transform (PyTorch's `torch.fft.fft2`)."""
    return fftn(x, s, dim, norm)


def ifft2(x, /, s=None, dim=(-2, -1), norm=None) -> Tensor:
    """The 2-dimensional inverse discrete Fourier transform (PyTorch's `torch.fft.ifft2`)."""
    return ifftn(x, s, dim, norm)


def rfft2(x, /, s=None, dim=(-2, -1), norm=None) -> Tensor:
    """The 2-dimensional transform of real input (PyTorch's `torch.fft.rfft2`)."""
    return rfftn(x, s, dim, norm)


def irfft2(x, /, s=None, dim=(-2, -1), norm=None) -> Tensor:
    """The inverse of rfft2 (PyTorch's `torch.fft.irfft2`)."""
    return irfftn(x, s, dim, norm)


def hfft2(x, /, s=None, dim=(-2, -1), norm=None) -> Tensor:
    """The 2-dimensional hfftn (PyTorch's `torch.fft.hfft2`)."""
    return hfftn(x, s, dim, norm)


def ihfft2(x, /, s=None, dim=(-2, -1), norm=None) -> Tensor:
    """The inverse of hfft2 (PyTorch's `torch.fft.ihfft2`)."""
    return ihfftn(x, s, dim, norm)


# ----- frequencies and shifts -----------------------------------------------------------------
def _frequencies(name, n, d, dtype, device, requires_grad=False):
    fname = name[4:]
    empty = n == 0 and not isinstance(n, bool) and name == "fft.fftfreq"  # no samples: PyTorch's empty result
    if not empty:
        n = _length(n, fname)
    if isinstance(d, bool) or not isinstance(d, (int, float)):
        raise TypeError(f"{fname}: d must be a number, got {type(d).__name__}")
    dt = get_default_dtype() if dtype is None else _dtypes.as_dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"{fname}: dtype must be a real floating-point dtype, got {dt}")
    b = backend_for(device)
    native = b.to_native_dtype(dt)
    out = wrap(b.create("zeros", (0,), dtype=native) if empty else b.create(name, n, d=float(d), dtype=native), b)
    return out.requires_grad_() if requires_grad else out


def fftfreq(n, /, d=1.0, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """The sample frequencies of an n-point transform: [0, 1, ..., -1] / (d * n)."""
    return _frequencies("fft.fftfreq", n, d, dtype, device, requires_grad)


def rfftfreq(n, /, d=1.0, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """The non-negative sample frequencies of an n-point rfft: [0, 1, ..., n//2] / (d * n)."""
    return _frequencies("fft.rfftfreq", n, d, dtype, device, requires_grad)


def _shift(x, axes, fname, direction):
    check_tensor(x, fname)
    ndim = x._data.ndim
    if axes is None:
        axes = tuple(range(ndim))
    elif isinstance(axes, (tuple, list)):
        axes = tuple(normalize_axis(a, ndim, fname, "axes") for a in axes)
    else:
        axes = (normalize_axis(axes, ndim, fname, "axes"),)
    shifts = tuple(direction * (x._data.shape[a] // 2) for a in axes)
    return roll(x, shifts, axis=axes)


def fftshift(x, /, dim=None, *, axes=None) -> Tensor:
    """`x` with the zero frequency moved to the center along `axes` (all by default; PyTorch's
    `dim` works too)."""
    return _shift(x, axes if dim is None else dim, "fftshift", 1)


def ifftshift(x, /, dim=None, *, axes=None) -> Tensor:
    """The inverse of fftshift."""
    return _shift(x, axes if dim is None else dim, "ifftshift", -1)
