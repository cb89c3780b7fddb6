"""PyTorch's short-time Fourier transforms, `stft` and `istft`, written with arraygrad's own
functions (framing by `unfold`, `fft.rfft`/`fft.fft`, overlap-add by `index_add`), so that
they are differentiable in the signal and the window, on every backend."""

from __future__ import annotations

from . import _dtypes
from ._dispatch import Tensor, check_tensor

__all__ = ["stft", "istft"]


def _window(window, win_length, n_fft, like, fname):
    """The window (ones by default) of length win_length, zero-padded on both sides to n_fft."""
    from ._ops.creation import ones
    from .nn.functional import pad

    if window is None:
        w = ones((win_length,), dtype=like.dtype.to_real() if like.dtype.kind == "c" else like.dtype,
                 device=like.device)
    else:
        check_tensor(window, fname, "window")
        if window.ndim != 1 or window.shape[0] != win_length:
            raise RuntimeError(f"{fname}: expected a 1-D window of length win_length={win_length}, got shape "
                               f"{tuple(window.shape)}")
        w = window
    if win_length < n_fft:
        left = (n_fft - win_length) // 2
        w = pad(w, (left, n_fft - win_length - left))
    return w


def _lengths(fname, n_fft, hop_length, win_length):
    if isinstance(n_fft, bool) or not isinstance(n_fft, int) or n_fft < 1:
        raise RuntimeError(f"{fname}: expected n_fft > 0, got {n_fft!r}")
    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    if isinstance(hop, bool) or not isinstance(hop, int) or hop < 1:
        raise RuntimeError(f"{fname}: expected hop_length > 0, got {hop_length!r}")
    if isinstance(win, bool) or not isinstance(win, int) or not 0 < win <= n_fft:
        raise RuntimeError(f"{fname}: expected 0 < win_length <= n_fft, got win_length={win_length!r}")
    return hop, win


def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, pad_mode="reflect",
         normalized=False, onesided=None, return_complex=None, align_to_window=None) -> Tensor:
    """The short-time Fourier transform of a 1-D signal or a (B, L) batch: frames of n_fft
    samples every hop_length (n_fft // 4), times the window, transformed; (B?, n_fft // 2 + 1
    (onesided) or n_fft, frames), complex (return_complex=False: a trailing (real, imag) axis).
    center pads n_fft // 2 on both sides with pad_mode first."""
    from . import fft
    from ._ops.manipulation import expand_dims, squeeze
    from .nn.functional import pad

    fname = "stft"
    check_tensor(input, fname, "input")
    if input.ndim not in (1, 2):
        raise RuntimeError(f"{fname}: expected a 1-D or 2-D input, got shape {tuple(input.shape)}")
    if return_complex is None and input.dtype.kind != "c" and (window is None or window.dtype.kind != "c"):
        raise RuntimeError("stft requires the return_complex parameter be given for real inputs, and will "
                           "further require that return_complex=True in a future PyTorch release.")
    hop, win = _lengths(fname, n_fft, hop_length, win_length)
    x = input if input.dtype.kind in "fc" else input.astype(_dtypes.DEFAULT_FLOAT)
    batched = x.ndim == 2
    if not batched:
        x = expand_dims(x, axis=0)
    if center:
        half = n_fft // 2
        x = squeeze(pad(expand_dims(x, axis=1), (half, half), mode=pad_mode), axis=1)
    if x.shape[-1] < n_fft:
        raise RuntimeError(f"{fname}: expected 0 < n_fft <= the (padded) signal's length {x.shape[-1]}, got "
                           f"n_fft={n_fft}")
    frames = x.unfold(-1, n_fft, hop) * _window(window, win, n_fft, x, fname)  # (B, frames, n_fft)
    complex_input = frames.dtype.kind == "c"
    if onesided is None:
        onesided = not complex_input
    if onesided and complex_input:
        raise RuntimeError(f"{fname}: onesided output is not possible with complex input or window")
    spec = fft.rfft(frames, axis=-1) if onesided else fft.fft(frames, axis=-1)
    if normalized:
        spec = spec * (n_fft ** -0.5)
    spec = spec.transpose(-1, -2)  # (B, freq, frames)
    if not batched:
        spec = squeeze(spec, axis=0)
    if not return_complex:
        from ._torch_api import view_as_real

        spec = view_as_real(spec.contiguous())
    return spec


def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, normalized=False,
          onesided=None, length=None, return_complex=False) -> Tensor:
    """The inverse of stft by overlap-add: each frame's inverse transform times the window,
    summed where frames overlap, divided by the summed squared window (which must not vanish
    anywhere kept: PyTorch's NOLA condition). `length` trims or zero-pads the result."""
    from . import fft
    from ._ops.creation import arange, zeros
    from ._ops.indexing import index_add
    from ._ops.manipulation import concat, expand_dims, reshape, squeeze

    fname = "istft"
    check_tensor(input, fname, "input")
    if input.dtype.kind != "c":
        raise RuntimeError(f"{fname}: requires a complex-valued input tensor (stft's return_complex=True), "
                           f"got {input.dtype}")
    if input.ndim not in (2, 3):
        raise RuntimeError(f"{fname}: expected a 2-D or 3-D input (B?, freq, frames), got shape {tuple(input.shape)}")
    hop, win = _lengths(fname, n_fft, hop_length, win_length)
    spec = input if input.ndim == 3 else expand_dims(input, axis=0)
    n_freq, n_frames = spec.shape[-2], spec.shape[-1]
    if onesided is None:
        onesided = n_freq != n_fft
    if n_freq != (n_fft // 2 + 1 if onesided else n_fft):
        raise RuntimeError(f"{fname}: expected the frequency dimension to be {n_fft // 2 + 1 if onesided else n_fft} "
                           f"(n_fft={n_fft}, onesided={onesided}), got {n_freq}")
    spec = spec.transpose(-1, -2)  # (B, frames, freq)
    if normalized:
        spec = spec * (n_fft ** 0.5)
    if onesided:
        if return_complex:
            raise RuntimeError(f"{fname}: cannot have onesided output if the output is complex")
        frames = fft.irfft(spec, n=n_fft, axis=-1)
    else:
        frames = fft.ifft(spec, n=n_fft, axis=-1)
        if not return_complex:
            frames = frames.real
    w = _window(window, win, n_fft, frames, fname)
    frames = frames * w
    total = n_fft + hop * (n_frames - 1)
    positions = reshape(expand_dims(arange(n_frames, device=frames.device) * hop, axis=1)
                        + expand_dims(arange(n_fft, device=frames.device), axis=0), (-1,))
    b = frames.shape[0]
    y = index_add(zeros((b, total), dtype=frames.dtype, device=frames.device), (slice(None), positions),
                  reshape(frames, (b, -1)))
    squares = w * w
    envelope = index_add(zeros((total,), dtype=squares.dtype, device=frames.device), positions,
                         reshape(expand_dims(squares, axis=0) + zeros((n_frames, 1), dtype=squares.dtype,
                                                                      device=frames.device), (-1,)))
    start = n_fft // 2 if center else 0
    end = start + length if length is not None else (total - n_fft // 2 if center else total)
    y, envelope = y[:, start:end], envelope[start:end]
    if not frames._backend.lazy and envelope.shape[0] and float(envelope.abs().min()) < 1e-11:
        raise RuntimeError(f"{fname}: window overlap add min: the summed squared window vanishes somewhere "
                           "(the window and hop_length break the NOLA condition)")
    y = y / envelope
    if length is not None and y.shape[-1] < length:
        y = concat([y, zeros((b, length - y.shape[-1]), dtype=y.dtype, device=y.device)], axis=-1)
    return y if input.ndim == 3 else squeeze(y, axis=0)
