"""`arraygrad.nn.functional`: the layers' math as functions (PyTorch's `torch.nn.functional`).

The heavy functions are ops of their own (`Op` entries, as in `_ops/`): a forward written
against the backend's array-API namespace (`generic=`), so it runs on any backend, and VJP
rules that run on arraygrad tensors when the backward pass records, so `create_graph=True`
differentiates them again.

Convolution and pooling slide a window over the image: each of the KH*KW kernel offsets is
one strided slice of the (padded) input. They work channels-last, (N, H, W, C), internally:
a slice keeps whole (C,) rows, im2col's columns are (N, OH, OW, KH*KW, C) (one matmul row
per output pixel), and moving between (N, C, H, W) and (N, H, W, C) is a transpose within
each sample. Their outputs are copied back to (N, C, H, W) in C order, as PyTorch's are:
code written for PyTorch calls `.view()` on them.
"""

from __future__ import annotations

import math
import struct
import warnings
from typing import NamedTuple

import arraygrad as _ag  # the namespace, for helpers written against any namespace

from .._dispatch import (GENERIC_IMPLS, DTypeError, IndexRangeError, Op, ShapeError, Tensor, apply, check_tensor,
                         grad_enabled, wrap)
from .._ops import ValueRangeError, int_arg, int_list, plain_int
from .._ops.creation import zeros_like
from .._ops.data_type import astype
from .._ops.elementwise import _conj
from .._ops.elementwise import (abs as _abs, clip as _clip, exp as _exp, expm1 as _expm1, log as _log,
                                log1p as _log1p, maximum as _maximum, minimum as _minimum, rsqrt,
                                sqrt as _sqrt, tanh as _tanh)
from .._ops.indexing import take_along_axis
from .._ops.linear_algebra import matmul, matrix_transpose
from .._ops.manipulation import expand_dims, moveaxis, permute_dims, reshape, squeeze
from .._ops.searching import argmax, where as _where
from .._ops.statistical import mean, sum as _sum, var
from .._ops.utility import any as _any
from .. import rand_like, relu as _relu, sigmoid as _sigmoid  # PyTorch's top-level functions

__all__ = [
    "ctc_loss", "linear", "conv1d", "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "relu", "tanh", "sigmoid",
    "softmax",
    "leaky_relu", "elu", "silu", "softplus", "logsigmoid", "hardtanh", "relu6", "gelu",
    "log_softmax", "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "dropout", "batch_norm",
    "embedding", "layer_norm", "one_hot", "adaptive_avg_pool2d", "pad", "interpolate", "normalize",
    "cosine_similarity",
    "dropout2d",
    "selu", "celu", "mish", "softmin", "softsign", "hardswish", "hardsigmoid", "glu", "prelu", "threshold",
    "tanhshrink", "softshrink", "hardshrink", "relu_",
    "kl_div", "cosine_embedding_loss", "margin_ranking_loss", "hinge_embedding_loss", "triplet_margin_loss",
    "poisson_nll_loss", "gaussian_nll_loss", "multilabel_soft_margin_loss", "multi_margin_loss",
    "pairwise_distance", "pixel_shuffle", "pixel_unshuffle", "bilinear",
    "scaled_dot_product_attention", "multi_head_attention_forward",
    "max_pool1d", "avg_pool1d", "max_unpool1d", "max_unpool2d", "adaptive_avg_pool1d", "adaptive_max_pool1d",
    "adaptive_max_pool2d", "lp_pool1d", "lp_pool2d", "group_norm", "instance_norm", "local_response_norm",
    "conv_transpose1d", "conv3d", "unfold", "fold", "dropout1d", "alpha_dropout", "feature_alpha_dropout",
    "gumbel_softmax", "embedding_bag", "conv_transpose3d", "max_pool1d_with_indices", "max_pool2d_with_indices",
    "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices", "rms_norm",
    "max_pool3d", "avg_pool3d", "adaptive_avg_pool3d", "adaptive_max_pool3d", "lp_pool3d", "max_unpool3d",
    "max_pool3d_with_indices", "adaptive_max_pool3d_with_indices", "affine_grid", "grid_sample",
    "elu_", "leaky_relu_", "hardtanh_", "selu_", "celu_", "threshold_", "rrelu", "rrelu_", "pdist",
    "channel_shuffle", "native_channel_shuffle", "upsample", "dropout3d", "soft_margin_loss",
    "multilabel_margin_loss", "triplet_margin_with_distance_loss",
    "fractional_max_pool2d", "fractional_max_pool3d", "fractional_max_pool2d_with_indices",
    "fractional_max_pool3d_with_indices", "upsample_nearest", "upsample_bilinear",
]

_REDUCTIONS = ("mean", "sum", "none")


# ----------------------------------------------------------------------------------------
# Argument checks shared by the functions
# ----------------------------------------------------------------------------------------
def _check_float(x, fname: str, argname: str = "input", complex_ok: bool = False) -> None:
    check_tensor(x, fname, argname)
    if x._dtype.kind != "f" and not (complex_ok and x._dtype.kind == "c"):
        kinds = "floating-point (real or complex)" if complex_ok else "real floating-point"
        raise DTypeError(f"{fname}: {argname} must have a {kinds} dtype, got {x._dtype}")


def _check_same_dtype(x, other, fname: str, argname: str) -> None:
    if other is not None:
        check_tensor(other, fname, argname)
        if other._dtype is not x._dtype:
            raise DTypeError(f"{fname}: input ({x._dtype}) and {argname} ({other._dtype}) must "
                             "have the same dtype")


def _check_reduction(reduction, fname: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueRangeError(f"{fname}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def legacy_reduction(size_average, reduce, reduction: str) -> str:
    """PyTorch's pre-1.0 `size_average` / `reduce` flags (older tutorials pass them) as a
    `reduction`; with neither given, `reduction` itself."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    new = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{new}' "
                  "instead.", UserWarning, stacklevel=3)
    return new


def _pair(value, name: str, fname: str, minimum: int = 1) -> tuple[int, int]:
    """An int or a pair of ints as a pair, each at least `minimum` (NumPy's ints count)."""
    value = tuple(plain_int(v) for v in value) if isinstance(value, (tuple, list)) else plain_int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        pair = (value, value)
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        pair = (value[0], value[1])
    else:
        raise TypeError(f"{fname}: {name} must be an int or a pair of ints, got {value!r}")
    if pair[0] < minimum or pair[1] < minimum:
        raise ValueError(f"{fname}: {name} must be at least {minimum}, got {value!r}")
    return pair


def _ntuple(value, n: int, name: str, fname: str, minimum: int = 1) -> tuple:
    """An int or an n-tuple of ints as an n-tuple, each at least `minimum` (PyTorch's _single,
    _pair)."""
    if n == 2:
        return _pair(value, name, fname, minimum)
    value = tuple(plain_int(v) for v in value) if isinstance(value, (tuple, list)) else plain_int(value)
    if n > 2:
        values = (value,) * n if isinstance(value, int) and not isinstance(value, bool) else value
        if not (isinstance(values, (tuple, list)) and len(values) == n and all(
                isinstance(v, int) and not isinstance(v, bool) for v in values)):
            raise TypeError(f"{fname}: {name} must be an int or a tuple of {n} ints, got {value!r}")
        if min(values) < minimum:
            raise ValueError(f"{fname}: {name} must be at least {minimum}, got {value!r}")
        return tuple(values)
    v = value[0] if isinstance(value, (tuple, list)) and len(value) == 1 else value
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"{fname}: {name} must be an int, got {value!r}")
    if v < minimum:
        raise ValueError(f"{fname}: {name} must be at least {minimum}, got {value!r}")
    return (v,)


_SPATIAL = {2: "H, W", 3: "D, H, W"}  # the spatial axes' names, by count


def _batched(x, fname: str, nd: int = 2, complex_ok: bool = False):
    """(x as (N, C, H, W), whether it was unbatched (C, H, W)); nd=3: (N, C, D, H, W)."""
    _check_float(x, fname, complex_ok=complex_ok)
    if x._data.ndim == nd + 2:
        return x, False
    if x._data.ndim == nd + 1:
        return expand_dims(x, axis=0), True
    raise ShapeError(f"{fname}: expected a {nd + 1}-D (C, {_SPATIAL[nd]}) or {nd + 2}-D (N, C, {_SPATIAL[nd]}) "
                     f"input, got shape {tuple(x._data.shape)}")


# ----------------------------------------------------------------------------------------
# Sliding windows (convolution and pooling)
# ----------------------------------------------------------------------------------------
class Window(NamedTuple):
    """A 2-D sliding window: kernel size, stride, padding (top, bottom, left, right) and
    dilation, in pixels. The shared geometry of the convolution and pooling ops."""

    kh: int
    kw: int
    sh: int
    sw: int
    pt: int
    pb: int
    pl: int
    pr: int
    dh: int
    dw: int

    @property
    def padded(self) -> bool:
        return bool(self.pt or self.pb or self.pl or self.pr)

    def out_size(self, h: int, w: int) -> tuple[int, int]:
        oh = (h + self.pt + self.pb - self.dh * (self.kh - 1) - 1) // self.sh + 1
        ow = (w + self.pl + self.pr - self.dw * (self.kw - 1) - 1) // self.sw + 1
        return oh, ow

    def keys(self, oh: int, ow: int, channels_last: bool = True) -> list:
        """The KH*KW strided-slice keys into a padded (N, H, W, C) image (or (N, C, H, W)),
        one per kernel offset, each selecting (N, OH, OW, C) (or (N, C, OH, OW)): position
        (y, x) of key k's slice holds the pixel that kernel offset k covers when the window
        sits at output (y, x)."""
        rows = self.sh * (oh - 1) + 1
        cols = self.sw * (ow - 1) + 1
        lead = (slice(None),) if channels_last else (slice(None), slice(None))
        return [lead + (slice(i * self.dh, i * self.dh + rows, self.sh),
                        slice(j * self.dw, j * self.dw + cols, self.sw), Ellipsis)
                for i in range(self.kh) for j in range(self.kw)]

    def views(self, a, oh: int, ow: int, channels_last: bool = True) -> list:
        """The slices of `a` at `keys(oh, ow, channels_last)`."""
        return [a[k] for k in self.keys(oh, ow, channels_last)]

    def inner(self, h: int, w: int, channels_last: bool = True) -> tuple:
        """The key of the (h, w) image inside the padded one."""
        lead = (slice(None),) if channels_last else (slice(None), slice(None))
        return lead + (slice(self.pt, self.pt + h), slice(self.pl, self.pl + w), Ellipsis)


def _window(fname, x_shape, kernel_size, stride, padding, dilation) -> Window:
    kh, kw = kernel_size
    sh, sw = stride
    pt, pb, pl, pr = padding
    dh, dw = dilation
    win = Window(kh, kw, sh, sw, pt, pb, pl, pr, dh, dw)
    oh, ow = win.out_size(x_shape[2], x_shape[3])
    if oh < 1 or ow < 1:
        raise ShapeError(f"{fname}: the input's spatial size {tuple(x_shape[2:])} (padding "
                         f"{(pt, pb, pl, pr)}) is smaller than the dilated kernel "
                         f"{(dh * (kh - 1) + 1, dw * (kw - 1) + 1)}")
    return win


_TAKES_DEVICE: dict = {}  # namespace -> whether its creation functions accept device=


def _placed(xp, like) -> dict:
    """The keywords that put a new array on `like`'s device: the standard's device=, or none
    for namespaces without it (CuPy's, whose arrays go to the current device)."""
    takes = _TAKES_DEVICE.get(xp)
    if takes is None:
        try:
            xp.zeros((0,), dtype=like.dtype, device=like.device)
            takes = True
        except (TypeError, AttributeError):  # no device= keyword, or arrays without .device
            takes = False
        _TAKES_DEVICE[xp] = takes
    return {"device": like.device} if takes else {}


# The convolutions work on channels-last images, (N, H, W, C): a window's slice keeps whole
# (C,) rows together, im2col's columns come out as matmul rows, and moving between (N, C, H,
# W) and (N, H, W, C) is a transpose within each sample (~1 ms for 8 MB; through (H, W, N,
# C), whose every pixel gathers from the whole batch, it took 15). The pools take their
# window slices from (N, C, H, W) itself: elementwise work, no layout to change.
def _nhwc(xp, x):
    """(N, C, H, W) -> (N, H, W, C): a free view when x is already laid out that way."""
    return xp.permute_dims(x, (0, 2, 3, 1))


def _c_order(xp, a):
    """`a` copied to C order, in any namespace (reshaping a permuted array copies)."""
    return xp.reshape(xp.reshape(a, (-1,)), a.shape)


def _nchw(xp, a):
    """(N, H, W, C) -> (N, C, H, W), copied to C order: the layout PyTorch's convolutions and
    pools return, which `.view()` (and code written for PyTorch) relies on."""
    return _c_order(xp, xp.permute_dims(a, (0, 3, 1, 2)))


def _padded_shape(x_shape, win: Window, channels_last: bool) -> tuple:
    """The padded image's shape for (N, C, H, W) input, channels-last or not."""
    n, c, h, w = x_shape
    hp, wp = h + win.pt + win.pb, w + win.pl + win.pr
    return (n, hp, wp, c) if channels_last else (n, c, hp, wp)


def _padded(xp, x, win: Window, fill, channels_last: bool = True):
    """(N, C, H, W) `x` with the window's padding filled with `fill`, as (N, H, W, C) (or
    (N, C, H, W)): a view of x when there is no padding."""
    a = _nhwc(xp, x) if channels_last else x
    if not win.padded:
        return a
    out = xp.full(_padded_shape(x.shape, win, channels_last), fill, dtype=x.dtype, **_placed(xp, x))
    out[win.inner(x.shape[2], x.shape[3], channels_last)] = a
    return out


def _scatter(xp, parts, x_shape, win: Window, channels_last: bool = True):
    """The adjoint of taking window views: each (N, OH, OW, C) (or (N, C, OH, OW)) part
    added into its view of a zero image; returns the (N, C, H, W) image (col2im as strided
    slice-adds)."""
    h, w = x_shape[2], x_shape[3]
    oh, ow = win.out_size(h, w)
    like = parts[0]
    out = xp.zeros(_padded_shape(x_shape, win, channels_last), dtype=like.dtype, **_placed(xp, like))
    backend = getattr(like, "_backend", None)  # Tensors (recording) or raw arrays of `xp`
    if backend.mutable_arrays if backend is not None else getattr(xp, "__mutable_arrays__", True):
        for view, part in zip(win.views(out, oh, ow, channels_last), parts):
            view += part
    else:  # immutable arrays (Dask): item assignment makes a new array; views see no write
        for key, part in zip(win.keys(oh, ow, channels_last), parts):
            out[key] = out[key] + part
    if win.padded:
        out = out[win.inner(h, w, channels_last)]
    return _nchw(xp, out) if channels_last else out


def _im2col_forward(xp, x, *, window, fill):
    oh, ow = window.out_size(x.shape[2], x.shape[3])
    # kernel offsets outside the channels: each view lands as whole (C,) rows
    return xp.stack(window.views(_padded(xp, x, window, fill), oh, ow), axis=-2)


def _col2im_forward(xp, cols, *, window, x_shape):
    k = cols.shape[-2]
    return _scatter(xp, [cols[..., i, :] for i in range(k)], x_shape, window)


# im2col: (N, C, H, W) -> (N, OH, OW, KH*KW, C), every window's pixels; col2im is its adjoint.
_IM2COL = Op("im2col", ("x",), lambda g, window, x_shape: col2im(g, window, x_shape),
             dtypes="floating-point", generic=_im2col_forward, grad_fn="Im2ColBackward0")
def _col2im_grad(g, window, cols_shape):
    """im2col of the image's gradient: the windows of the columns. A transposed convolution's
    output padding of at least its stride (legal below its dilation) leaves room for more
    windows than it had columns: those last ones took no part."""
    cols = im2col(g, window)
    if tuple(cols.shape[1:3]) != tuple(cols_shape[1:3]):
        cols = cols[:, :cols_shape[1], :cols_shape[2]]
    return cols


_COL2IM = Op("col2im", ("cols",), _col2im_grad,
             dtypes="floating-point", generic=_col2im_forward, grad_fn="Col2ImBackward0")


def im2col(x, window: Window, fill: float = 0.0):
    """Every window's pixels, (N, OH, OW, KH*KW, C); padding holds `fill`."""
    return apply(_IM2COL, (x,), {"window": window, "fill": fill})


def col2im(cols, window: Window, x_shape):
    """The adjoint of im2col: each window's values added back at their pixels."""
    return apply(_COL2IM, (cols,), {"window": window, "x_shape": tuple(x_shape)})


def _kernel_rows(xp, weight):
    """(O, C, KH, KW) weights as (O, KH*KW*C) rows, in im2col's column order (a small copy)."""
    o, c, kh, kw = weight.shape
    return xp.reshape(xp.permute_dims(weight, (0, 2, 3, 1)), (o, kh * kw * c))


def _conv_forward(xp, cols, weight, bias):
    n, oh, ow, k, c = cols.shape
    o = weight.shape[0]
    # One product per sample, (O, K*C) kernel rows against its (K*C, OH*OW) windows: the
    # output comes out (N, O, OH*OW), PyTorch's layout, so no channels-last result is copied
    # to (N, C, H, W) (that copy cost more than the product for 3-channel input) and the
    # gradient arrives in a layout the backward reads as it is.
    out = xp.matmul(_kernel_rows(xp, weight), xp.matrix_transpose(xp.reshape(cols, (n, oh * ow, k * c))))
    if bias is not None:
        out += xp.reshape(bias, (o, 1))
    return xp.reshape(out, (n, o, oh, ow))


def _conv_grads(g, cols, weight, needs_grad):
    """One matmul per sample and input, from the (N, O, OH*OW) gradient as it comes: no
    channels-last copy of it."""
    n, oh, ow, k, c = cols.shape
    o, _, kh, kw = weight.shape
    g3 = reshape(g, (n, o, oh * ow))
    gcols = gw = gb = None
    if needs_grad[0]:
        # (N, K*C, OH*OW): each kernel offset's block is an (N, C, OH, OW) image, which col2im
        # adds into the (N, C, H, W) gradient in place; seen as im2col's (N, OH, OW, K, C)
        rows = matmul(matrix_transpose(_kernel_rows(_ag, _conj(weight))), g3)  # complex: conjugates
        gcols = permute_dims(reshape(rows, (n, k, c, oh, ow)), (0, 3, 4, 1, 2))
    if needs_grad[1]:
        rows = _sum(matmul(g3, reshape(_conj(cols), (n, oh * ow, k * c))), axis=0)
        gw = permute_dims(reshape(rows, (o, kh, kw, c)), (0, 3, 1, 2))
    if needs_grad[2]:
        gb = _sum(g3, axis=(0, 2))
    return gcols, gw, gb


_CONV2D = Op("conv2d", ("cols", "weight", "bias"), {("cols", "weight", "bias"): _conv_grads},
             dtypes="floating-point", generic=_conv_forward, grad_fn="ConvolutionBackward0")


def _conv_padding(padding, kernel, dilation, stride, fname):
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise ValueRangeError(f"{fname}: padding='same' is not supported for strided "
                                      f"convolutions (stride={stride})")
            th, tw = dilation[0] * (kernel[0] - 1), dilation[1] * (kernel[1] - 1)
            return (th // 2, th - th // 2, tw // 2, tw - tw // 2)  # extra pixel at the end
        raise ValueRangeError(f"{fname}: padding must be 'valid', 'same', an int or a pair of ints, "
                              f"got {padding!r}")
    ph, pw = _pair(padding, "padding", fname, minimum=0)
    return (ph, ph, pw, pw)


def _check_groups(groups, channels: dict, fname):
    groups = plain_int(groups)
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ValueError(f"{fname}: groups must be a positive int, got {groups!r}")
    for name, n in channels.items():
        if n % groups:
            raise ShapeError(f"{fname}: {name} ({n}) must be divisible by groups ({groups})")


def _grouped(fn, groups, x, weight, bias):
    """fn on each channel group (x's channels, weight's first axis, bias), concatenated."""
    if groups == 1:
        return fn(x, weight, bias)
    cx, cw = x._data.shape[1] // groups, weight._data.shape[0] // groups
    outs = [fn(x[:, g * cx:(g + 1) * cx], weight[g * cw:(g + 1) * cw],
               None if bias is None else bias[g * cw:(g + 1) * cw]) for g in range(groups)]
    return _ag.concat(outs, axis=1)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation, as PyTorch) of (N, C, H, W) or (C, H, W) `input`
    with (O, C / groups, KH, KW) `weight`; `padding` may be an int, a pair, 'valid' or 'same';
    `groups` splits the channels into separately convolved groups (C: depthwise)."""
    x, unbatched = _batched(input, "conv2d", complex_ok=True)
    _check_same_dtype(x, weight, "conv2d", "weight")
    _check_same_dtype(x, bias, "conv2d", "bias")
    ws = tuple(weight._data.shape)
    if len(ws) != 4:
        raise ShapeError(f"conv2d: weight must be 4-D (out_channels, in_channels / groups, kH, kW), got shape {ws}")
    _check_groups(groups, {"in_channels": x._data.shape[1], "out_channels": ws[0]}, "conv2d")
    if ws[1] * groups != x._data.shape[1]:
        raise ShapeError(f"conv2d: weight of shape {ws} expects {ws[1] * groups} input channels, but the input "
                         f"of shape {tuple(x._data.shape)} has {x._data.shape[1]}")
    if bias is not None and tuple(bias._data.shape) != (ws[0],):
        raise ShapeError(f"conv2d: bias must have shape ({ws[0]},), got {tuple(bias._data.shape)}")
    stride = _pair(stride, "stride", "conv2d")
    dilation = _pair(dilation, "dilation", "conv2d")
    pad = _conv_padding(padding, ws[2:], dilation, stride, "conv2d")
    win = _window("conv2d", x._data.shape, ws[2:], stride, pad, dilation)
    out = _grouped(lambda xg, wg, bg: apply(_CONV2D, (im2col(xg, win), wg, bg)), groups, x, weight, bias)
    return squeeze(out, axis=0) if unbatched else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1) -> Tensor:
    """1-D convolution of (N, C, L) or (C, L) `input` with (O, C / groups, K) `weight` (a
    2-D convolution over a unit height)."""
    _check_float(input, "conv1d", complex_ok=True)
    check_tensor(weight, "conv1d", "weight")
    if input._data.ndim not in (2, 3) or weight._data.ndim != 3:
        raise ShapeError(f"conv1d: expected (N, C, L) or (C, L) input and (O, C, K) weight, got shapes "
                         f"{tuple(input._data.shape)} and {tuple(weight._data.shape)}")
    def widened(v, name, unit):  # the 1-D setting as the 2-D one over a unit height
        return v if isinstance(v, str) else (unit,) + _ntuple(v, 1, name, "conv1d", minimum=unit)

    out = conv2d(expand_dims(input, axis=-2), expand_dims(weight, axis=-2), bias, widened(stride, "stride", 1),
                 widened(padding, "padding", 0), widened(dilation, "dilation", 1), groups)
    return squeeze(out, axis=-2)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups: int = 1,
                     dilation=1) -> Tensor:
    """The transposed ("fractionally strided") convolution: the gradient of conv2d with
    respect to its input, applied to `input`; weight (C_in, C_out / groups, KH, KW). The
    output is (H - 1) stride - 2 padding + dilation (KH - 1) + output_padding + 1 high."""
    x, unbatched = _batched(input, "conv_transpose2d")
    _check_same_dtype(x, weight, "conv_transpose2d", "weight")
    _check_same_dtype(x, bias, "conv_transpose2d", "bias")
    ws = tuple(weight._data.shape)
    if len(ws) != 4:
        raise ShapeError(f"conv_transpose2d: weight must be 4-D (in_channels, out_channels / groups, kH, kW), "
                         f"got shape {ws}")
    if ws[0] != x._data.shape[1]:
        raise ShapeError(f"conv_transpose2d: weight of shape {ws} expects {ws[0]} input channels, but the input "
                         f"of shape {tuple(x._data.shape)} has {x._data.shape[1]}")
    _check_groups(groups, {"in_channels": ws[0]}, "conv_transpose2d")
    stride, dilation = _pair(stride, "stride", "conv_transpose2d"), _pair(dilation, "dilation", "conv_transpose2d")
    ph, pw = _pair(padding, "padding", "conv_transpose2d", minimum=0)
    oph, opw = _pair(output_padding, "output_padding", "conv_transpose2d", minimum=0)
    if oph >= max(stride[0], dilation[0]) or opw >= max(stride[1], dilation[1]):
        raise ShapeError("conv_transpose2d: output padding must be smaller than either stride or dilation, got "
                         f"output_padding={(oph, opw)}, stride={stride}, dilation={dilation}")
    n, _, h, w = x._data.shape
    kh, kw = ws[2:]
    size = ((h - 1) * stride[0] - 2 * ph + dilation[0] * (kh - 1) + oph + 1,
            (w - 1) * stride[1] - 2 * pw + dilation[1] * (kw - 1) + opw + 1)
    if size[0] < 1 or size[1] < 1:
        raise ShapeError(f"conv_transpose2d: the output size {size} is not positive")
    out_channels = ws[1] * groups
    if bias is not None and tuple(bias._data.shape) != (out_channels,):
        raise ShapeError(f"conv_transpose2d: bias must have shape ({out_channels},), got {tuple(bias._data.shape)}")

    def one_group(xg, wg, bg):
        cin, cout = wg._data.shape[:2]
        win = _window("conv_transpose2d", (n, cout) + size, (kh, kw), stride, (ph, ph, pw, pw), dilation)
        rows = reshape(permute_dims(xg, (0, 2, 3, 1)), (n * h * w, cin))  # x seen as conv2d's output gradient
        kernel = reshape(permute_dims(wg, (0, 2, 3, 1)), (cin, kh * kw * cout))
        cols = reshape(matmul(rows, kernel), (n, h, w, kh * kw, cout))
        out = col2im(cols, win, (n, cout) + size)
        return out if bg is None else out + reshape(bg, (1, cout, 1, 1))

    # groups split the input channels, and weight's first axis with them
    if groups == 1:
        out = one_group(x, weight, bias)
    else:
        cx = ws[0] // groups
        co = ws[1]
        out = _ag.concat([one_group(x[:, g * cx:(g + 1) * cx], weight[g * cx:(g + 1) * cx],
                                    None if bias is None else bias[g * co:(g + 1) * co]) for g in range(groups)],
                         axis=1)
    return squeeze(out, axis=0) if unbatched else out


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups: int = 1,
                     dilation=1) -> Tensor:
    """The transposed 1-D convolution of (N, C_in, L) or (C_in, L) input, weight (C_in,
    C_out / groups, K): conv_transpose2d over a unit height."""
    fname = "conv_transpose1d"
    _check_float(input, fname)
    check_tensor(weight, fname, "weight")
    if input._data.ndim not in (2, 3) or weight._data.ndim != 3:
        raise ShapeError(f"{fname}: expected (N, C, L) or (C, L) input and (C_in, C_out / groups, K) weight, got "
                         f"shapes {tuple(input._data.shape)} and {tuple(weight._data.shape)}")
    stride, dilation = _ntuple(stride, 1, "stride", fname), _ntuple(dilation, 1, "dilation", fname)
    padding = _ntuple(padding, 1, "padding", fname, minimum=0)
    output_padding = _ntuple(output_padding, 1, "output_padding", fname, minimum=0)
    if output_padding[0] >= max(stride[0], dilation[0]):
        raise ShapeError(f"{fname}: output padding must be smaller than either stride or dilation, got "
                         f"output_padding={output_padding[0]}, stride={stride[0]}, dilation={dilation[0]}")
    length = ((input._data.shape[-1] - 1) * stride[0] - 2 * padding[0] + dilation[0] * (weight._data.shape[-1] - 1)
              + output_padding[0] + 1)
    if length < 1:  # said here, in 1-D terms, not by the 2-D call below
        raise ShapeError(f"{fname}: the output length {length} is not positive (input length "
                         f"{input._data.shape[-1]}, kernel {weight._data.shape[-1]}, stride {stride[0]}, "
                         f"padding {padding[0]}, dilation {dilation[0]})")
    out = conv_transpose2d(expand_dims(input, axis=-2), expand_dims(weight, axis=-2), bias, (1,) + stride,
                           (0,) + padding, (0,) + output_padding, groups, (1,) + dilation)
    return squeeze(out, axis=-2)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1) -> Tensor:
    """3-D convolution of (N, C, D, H, W) or (C, D, H, W) `input` with (O, C / groups, KD, KH,
    KW) `weight`: one conv2d per depth offset of the kernel, over every output depth at once
    (the depth slices folded into the batch), summed."""
    fname = "conv3d"
    _check_float(input, fname)
    _check_same_dtype(input, weight, fname, "weight")
    _check_same_dtype(input, bias, fname, "bias")
    if input._data.ndim not in (4, 5):
        raise ShapeError(f"{fname}: expected a 4-D (C, D, H, W) or 5-D (N, C, D, H, W) input, got shape "
                         f"{tuple(input._data.shape)}")
    x = input if input._data.ndim == 5 else expand_dims(input, axis=0)
    ws = tuple(weight._data.shape)
    if len(ws) != 5:
        raise ShapeError(f"{fname}: weight must be 5-D (out_channels, in_channels / groups, kD, kH, kW), got "
                         f"shape {ws}")
    n, c = x._data.shape[:2]
    _check_groups(groups, {"in_channels": c, "out_channels": ws[0]}, fname)
    if ws[1] * groups != c:
        raise ShapeError(f"{fname}: weight of shape {ws} expects {ws[1] * groups} input channels, but the input "
                         f"of shape {tuple(input._data.shape)} has {c}")
    if bias is not None and tuple(bias._data.shape) != (ws[0],):
        raise ShapeError(f"{fname}: bias must have shape ({ws[0]},), got {tuple(bias._data.shape)}")
    stride, dilation = _ntuple(stride, 3, "stride", fname), _ntuple(dilation, 3, "dilation", fname)
    kernel = ws[2:]
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueRangeError(f"{fname}: padding must be 'valid', 'same', an int or a tuple of 3 ints, "
                                  f"got {padding!r}")
        if padding == "same" and stride != (1, 1, 1):
            raise ValueRangeError(f"{fname}: padding='same' is not supported for strided convolutions "
                                  f"(stride={stride})")
        totals = [d * (k - 1) if padding == "same" else 0 for k, d in zip(kernel, dilation)]
        pads = [(t // 2, t - t // 2) for t in totals]  # the extra pixel at the end
    else:
        pads = [(p, p) for p in _ntuple(padding, 3, "padding", fname, minimum=0)]
    if any(lo or hi for lo, hi in pads):
        x = pad(x, (pads[2][0], pads[2][1], pads[1][0], pads[1][1], pads[0][0], pads[0][1]))
    d, h, w = x._data.shape[2:]
    out_size = [(size - dl * (k - 1) - 1) // st + 1 for size, k, st, dl in zip((d, h, w), kernel, stride, dilation)]
    if min(out_size) < 1:
        raise ShapeError(f"{fname}: the input's spatial size {tuple(input._data.shape[-3:])} (padding {pads}) is "
                         f"smaller than the dilated kernel "
                         f"{tuple(dl * (k - 1) + 1 for k, dl in zip(kernel, dilation))}")
    od = out_size[0]
    total = None
    for kd in range(kernel[0]):
        start = kd * dilation[0]
        xs = x[:, :, start:start + stride[0] * (od - 1) + 1:stride[0]]  # (N, C, OD, H, W)
        xs = reshape(permute_dims(xs, (0, 2, 1, 3, 4)), (n * od, c, h, w))
        part = conv2d(xs, weight[:, :, kd], None, stride[1:], 0, dilation[1:], groups)
        total = part if total is None else total + part
    out = permute_dims(reshape(total, (n, od, ws[0]) + tuple(out_size[1:])), (0, 2, 1, 3, 4))
    if bias is not None:
        out = out + reshape(bias, (1, ws[0], 1, 1, 1))
    return squeeze(out, axis=0) if input._data.ndim == 4 else out


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups: int = 1,
                     dilation=1) -> Tensor:
    """The transposed 3-D convolution of (N, C_in, D, H, W) or (C_in, D, H, W) input, weight
    (C_in, C_out / groups, KD, KH, KW): per depth offset of the kernel, one conv_transpose2d
    over every input depth at once (depth folded into the batch), spread `stride` apart along
    the output depth and shifted by the offset; the sum, cropped by `padding`."""
    fname = "conv_transpose3d"
    _check_float(input, fname)
    _check_same_dtype(input, weight, fname, "weight")
    _check_same_dtype(input, bias, fname, "bias")
    if input._data.ndim not in (4, 5):
        raise ShapeError(f"{fname}: expected a 4-D (C, D, H, W) or 5-D (N, C, D, H, W) input, got shape "
                         f"{tuple(input._data.shape)}")
    x = input if input._data.ndim == 5 else expand_dims(input, axis=0)
    n, c, d, h, w = x._data.shape
    ws = tuple(weight._data.shape)
    if len(ws) != 5:
        raise ShapeError(f"{fname}: weight must be 5-D (in_channels, out_channels / groups, kD, kH, kW), got "
                         f"shape {ws}")
    if ws[0] != c:
        raise ShapeError(f"{fname}: weight of shape {ws} expects {ws[0]} input channels, but the input of shape "
                         f"{tuple(x._data.shape)} has {c}")
    _check_groups(groups, {"in_channels": c}, fname)
    stride, dilation = _ntuple(stride, 3, "stride", fname), _ntuple(dilation, 3, "dilation", fname)
    padding = _ntuple(padding, 3, "padding", fname, minimum=0)
    output_padding = _ntuple(output_padding, 3, "output_padding", fname, minimum=0)
    if any(op >= max(st, dl) for op, st, dl in zip(output_padding, stride, dilation)):
        raise ShapeError(f"{fname}: output padding must be smaller than either stride or dilation, got "
                         f"output_padding={output_padding}, stride={stride}, dilation={dilation}")
    out_channels = ws[1] * groups
    if bias is not None and tuple(bias._data.shape) != (out_channels,):
        raise ShapeError(f"{fname}: bias must have shape ({out_channels},), got {tuple(bias._data.shape)}")
    sd, dd, pd = stride[0], dilation[0], padding[0]
    full = (d - 1) * sd + dd * (ws[2] - 1) + 1 + output_padding[0]
    if full - 2 * pd < 1:
        raise ShapeError(f"{fname}: the output depth {full - 2 * pd} is not positive")
    xs = reshape(permute_dims(x, (0, 2, 1, 3, 4)), (n * d, c, h, w))
    total = None
    for kd in range(ws[2]):
        y = conv_transpose2d(xs, weight[:, :, kd], None, stride[1:], padding[1:], output_padding[1:], groups,
                             dilation[1:])
        oh, ow = y._data.shape[2:]
        y = reshape(y, (n, d, 1, out_channels, oh, ow))
        if sd > 1:  # the input depths sd apart: each followed by sd - 1 zero slices
            gap = _ag.zeros((n, d, sd - 1, out_channels, oh, ow), dtype=y.dtype, device=y.device)
            y = _ag.concat([y, gap], axis=2)
        y = reshape(y, (n, d * sd, out_channels, oh, ow))[:, :(d - 1) * sd + 1]
        front = kd * dd
        y = pad(y, (0, 0, 0, 0, 0, 0, front, full - front - y._data.shape[1]))
        total = y if total is None else total + y
    out = permute_dims(total[:, pd:full - pd], (0, 2, 1, 3, 4))
    if bias is not None:
        out = out + reshape(bias, (1, out_channels, 1, 1, 1))
    return squeeze(out, axis=0) if input._data.ndim == 4 else out


def _fold_window(fname, kernel_size, dilation, padding, stride, size):
    kernel = _pair(kernel_size, "kernel_size", fname)
    dilation = _pair(dilation, "dilation", fname)
    ph, pw = _pair(padding, "padding", fname, minimum=0)
    stride = _pair(stride, "stride", fname)
    return _window(fname, (0, 0) + tuple(size), kernel, stride, (ph, ph, pw, pw), dilation)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """im2col: every sliding block of (N, C, H, W) or (C, H, W) input as a column, (N, C * KH *
    KW, L) with L the number of blocks (row-major), channel-major within a column."""
    x, unbatched = _batched(input, "unfold")
    n, c, h, w = x._data.shape
    win = _fold_window("unfold", kernel_size, dilation, padding, stride, (h, w))
    oh, ow = win.out_size(h, w)
    cols = permute_dims(im2col(x, win), (0, 4, 3, 1, 2))  # (N, C, K, OH, OW)
    out = reshape(cols, (n, c * win.kh * win.kw, oh * ow))
    return squeeze(out, axis=0) if unbatched else out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """col2im, the adjoint of unfold: each column of (N, C * KH * KW, L) or (C * KH * KW, L)
    input added back at its block of an (N, C, *output_size) image (overlaps summed)."""
    _check_float(input, "fold")
    if input._data.ndim not in (2, 3):
        raise ShapeError(f"fold: expected a 2-D or 3-D input (unbatched or batched columns), got shape "
                         f"{tuple(input._data.shape)}")
    x = input if input._data.ndim == 3 else expand_dims(input, axis=0)
    size = _pair(output_size, "output_size", "fold")
    win = _fold_window("fold", kernel_size, dilation, padding, stride, size)
    n, ck, length = x._data.shape
    k = win.kh * win.kw
    if ck % k:
        raise RuntimeError(f"fold: expected size of input's dimension 1 to be divisible by the product of "
                           f"kernel_size, but got input.size(1)={ck} and kernel_size={(win.kh, win.kw)}")
    oh, ow = win.out_size(*size)
    if length != oh * ow:
        raise RuntimeError(f"fold: given output_size={size}, kernel_size={(win.kh, win.kw)}, expected size of "
                           f"input's dimension 2 to match the calculated number of sliding blocks {oh} * {ow} = "
                           f"{oh * ow}, but got input.size(2)={length}")
    c = ck // k
    cols = permute_dims(reshape(x, (n, c, k, oh, ow)), (0, 3, 4, 2, 1))  # im2col's (N, OH, OW, K, C)
    out = col2im(cols, win, (n, c) + size)
    return squeeze(out, axis=0) if input._data.ndim == 2 else out


# ----- pooling ---------------------------------------------------------------------------
def _max_pool_forward(xp, x, *, window):
    a = _padded(xp, x, window, -math.inf, channels_last=False)
    oh, ow = window.out_size(x.shape[2], x.shape[3])
    views = window.views(a, oh, ow, channels_last=False)
    best = xp.maximum(views[0], views[-1])  # a new array, even for a 1x1 window
    for v in views[1:-1]:
        best = xp.maximum(best, v)  # NaN propagates, as in PyTorch
    return best


def _max_pool_scatter(xp, g, x, *, window):
    """Each output's gradient goes to the first element of its window equal to the maximum
    (PyTorch's choice among ties); masks are multiplied in, branch-free. The padding is NaN
    here, equal to nothing: a window of -inf sends its gradient to its first real element.
    The maxima are recomputed from x, not saved: the pooled output is often changed in
    place next (MaxPool2d then ReLU(inplace=True)), which PyTorch allows."""
    ans = _max_pool_forward(xp, x, window=window)
    a = _padded(xp, x, window, math.nan, channels_last=False)
    oh, ow = ans.shape[2], ans.shape[3]
    taken = None
    parts = []
    for v in window.views(a, oh, ow, channels_last=False):
        hit = v == ans
        if taken is None:
            taken = hit
        else:
            hit = hit & ~taken
            taken = taken | hit
        parts.append(g * xp.astype(hit, g.dtype))
    nan_windows = ans != ans  # NaN equals nothing: those windows' gradients go to their last NaN
    if not _reads_values(xp, ans) or bool(xp.any(nan_windows)):
        parts = _last_nan_parts(xp, g, x, window, parts, nan_windows)
    return _scatter(xp, parts, x.shape, window, channels_last=False)


def _last_nan_parts(xp, g, x, window, parts, nan_windows):
    """`parts` with the windows whose maximum is NaN sending their gradient to their last
    NaN (PyTorch's CPU kernel: the index _max_pool_indices_forward gives). The padding is
    0 here, never NaN."""
    views = window.views(_padded(xp, x, window, 0.0, channels_last=False), *nan_windows.shape[2:],
                         channels_last=False)
    out = list(parts)
    later = None
    for k in range(len(views) - 1, -1, -1):
        hit = (views[k] != views[k]) & nan_windows
        if later is None:
            later = hit
        else:
            hit = hit & ~later
            later = later | hit
        out[k] = xp.where(nan_windows, g * xp.astype(hit, g.dtype), parts[k])
    return out


def _reads_values(xp, like) -> bool:
    """Whether a rule may branch on array values (a NaN check, say): not on a lazy backend,
    where reading one computes the graph so far. `like`: a Tensor (recording) or a raw array
    of `xp`, the backend's namespace."""
    backend = getattr(like, "_backend", None)
    return not (backend.lazy if backend is not None else getattr(xp, "__lazy_arrays__", False))


def _max_pool_gather(gg, x, window):
    """The adjoint of the max-pool backward: each window's element at its (first) maximum."""
    cols = im2col(x, window, -math.inf)
    first = expand_dims(argmax(cols, axis=-2), axis=-2)
    picked = squeeze(take_along_axis(im2col(gg, window), first, axis=-2), axis=-2)
    return permute_dims(picked, (0, 3, 1, 2))


_MAX_POOL_BACKWARD = Op("max_pool2d_backward", ("g", "x"), {
    "g": lambda g, x, window: _max_pool_gather(g, x, window), "x": None},
    dtypes="real floating", generic=_max_pool_scatter,
    grad_fn="MaxPool2DWithIndicesBackwardBackward0")
_MAX_POOL = Op("max_pool2d", ("x",), lambda g, x, window: apply(
    _MAX_POOL_BACKWARD, (g, x), {"window": window}),
    dtypes="real floating", generic=_max_pool_forward, grad_fn="MaxPool2DWithIndicesBackward0")


def _default_stride(stride) -> bool:
    """Whether a pool's stride is left to the kernel size: None, or PyTorch's empty list."""
    return stride is None or isinstance(stride, (tuple, list)) and len(stride) == 0


def _pool_window(fname, x, kernel_size, stride, padding, dilation, ceil_mode=False) -> Window:
    kernel = _pair(kernel_size, "kernel_size", fname)
    stride = kernel if _default_stride(stride) else _pair(stride, "stride", fname)
    ph, pw = _pair(padding, "padding", fname, minimum=0)
    if 2 * ph > kernel[0] or 2 * pw > kernel[1]:
        raise ValueRangeError(f"{fname}: padding {(ph, pw)} must be at most half the kernel size {kernel}")
    dilation = _pair(dilation, "dilation", fname)
    pads = []
    for size, k, s, p, d in zip(x._data.shape[2:], kernel, stride, (ph, pw), dilation):
        extra = 0
        if ceil_mode:  # one more, partial window: over the bottom/right edge, never past the padding
            span = d * (k - 1) + 1
            out = -(-(size + 2 * p - span) // s) + 1
            if (out - 1) * s >= size + p:
                out -= 1
            extra = max(0, (out - 1) * s + span - (size + 2 * p))
        pads += [p, p + extra]
    return _window(fname, x._data.shape, kernel, stride, tuple(pads), dilation)


def _max_pool_indices_forward(xp, x, ans, *, window):
    """Each window's argmax as a flat index into its (H, W) plane (PyTorch's indices): the
    first maximum among ties, the last NaN where there is one (as PyTorch's CPU kernel);
    padding is never picked."""
    h, w = x.shape[2], x.shape[3]
    a = _padded(xp, x, window, -math.inf, channels_last=False)
    best = ans
    oh, ow = best.shape[2], best.shape[3]
    place = _placed(xp, x)
    rows = xp.reshape(xp.arange(oh, dtype=xp.int64, **place) * window.sh - window.pt, (1, 1, oh, 1))
    cols = xp.reshape(xp.arange(ow, dtype=xp.int64, **place) * window.sw - window.pl, (1, 1, 1, ow))
    idx = xp.zeros(best.shape, dtype=xp.int64, **place)
    nan_idx = xp.full(best.shape, -1, dtype=xp.int64, **place)
    taken = xp.zeros(best.shape, dtype=xp.bool, **place)
    for k, v in enumerate(window.views(a, oh, ow, channels_last=False)):
        r, c = rows + (k // window.kw) * window.dh, cols + (k % window.kw) * window.dw
        flat = r * w + c
        valid = (r >= 0) & (r < h) & (c >= 0) & (c < w)
        hit = (v == best) & valid & ~taken
        idx = xp.where(hit, flat, idx)
        taken = taken | hit
        nan_idx = xp.where(v != v, flat, nan_idx)
    return xp.where(nan_idx >= 0, nan_idx, idx)


_MAX_POOL_INDICES = Op("max_pool2d_indices", ("x", "ans"), None, dtypes="real floating",
                       generic=_max_pool_indices_forward)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor:
    """The maximum of each window (stride defaults to the kernel size; padding is -inf;
    ceil_mode adds a last, partial window where the input does not divide evenly).
    return_indices=True also returns each maximum's flat index into its input plane, int64
    (h * W + w; the input of max_unpool2d)."""
    x, unbatched = _batched(input, "max_pool2d")
    win = _pool_window("max_pool2d", x, kernel_size, stride, padding, dilation, ceil_mode)
    out = apply(_MAX_POOL, (x,), {"window": win})
    if not return_indices:
        return squeeze(out, axis=0) if unbatched else out
    idx = apply(_MAX_POOL_INDICES, (x.detach(), out.detach()), {"window": win})
    if unbatched:
        return squeeze(out, axis=0), squeeze(idx, axis=0)
    return out, idx


def _unpool_size(fname, in_sizes, kernel, stride, padding, output_size):
    """The output's spatial size: output_size (its last len(kernel) entries) checked against
    the default (in - 1) stride - 2 padding + kernel, as PyTorch's _unpool_output_size."""
    default = tuple((i - 1) * s - 2 * p + k for i, k, s, p in zip(in_sizes, kernel, stride, padding))
    if output_size is None:
        return default
    size = tuple(output_size)
    n = len(kernel)
    if len(size) == n + 2:
        size = size[2:]
    if len(size) != n:
        raise ValueError(f"{fname}: output_size must have {n} or {n + 2} elements (got {len(tuple(output_size))})")
    for d, (o, base, s) in enumerate(zip(size, default, stride)):
        if not base - s < o < base + s:
            raise ValueError(f'{fname}: invalid output_size "{tuple(output_size)}" (dim {d} must be between '
                             f"{base - s} and {base + s})")
    return size


def _max_unpool(fname, nd, input, indices, kernel_size, stride, padding, output_size):
    """max_unpool1d/2d/3d: the settings as nd-tuples, then each value written at its flat
    index into its (zero) output plane."""
    kernel = _ntuple(kernel_size, nd, "kernel_size", fname)
    stride = _ntuple(_pool_stride(stride, kernel), nd, "stride", fname)
    padding = _ntuple(padding, nd, "padding", fname, minimum=0)
    _check_float(input, fname)
    check_tensor(indices, fname, "indices")
    if indices._dtype.kind not in "iu":
        raise TypeError(f"{fname}: indices must have an integer dtype (int64), got {indices._dtype}")
    shape = tuple(input._data.shape)
    if len(shape) not in (nd + 1, nd + 2):
        raise ShapeError(f"{fname}: expected a {nd + 1}-D or {nd + 2}-D input, got shape {shape}")
    if tuple(indices._data.shape) != shape:
        raise RuntimeError(f"{fname}: expected shape of indices to be the input's {shape}, got "
                           f"{tuple(indices._data.shape)}")
    size = _unpool_size(fname, shape[-nd:], kernel, stride, padding, output_size)
    lead = shape[:-nd]
    flat_i = reshape(indices, (-1, math.prod(shape[-nd:])))
    if indices._dtype is not _ag.int64:
        flat_i = astype(flat_i, _ag.int64)
    out = apply(_MAX_UNPOOL, (reshape(input, (-1, math.prod(shape[-nd:]))), flat_i),
                {"plane": math.prod(size), "fname": fname})
    return reshape(out, lead + size)


_FANCY_SETITEM: dict = {}  # namespace -> whether its arrays take integer-array keys in setitem


def _max_unpool_forward(xp, x, idx, *, plane, fname):
    """(R, L) values written at their (R, L) indices into (R, plane) zeros: a fancy-indexed
    write where the namespace has one, else one-hot rows (duplicates, which pooling gives only
    equal values, averaged)."""
    rows, length = x.shape
    place = _placed(xp, x)
    fancy = _FANCY_SETITEM.get(xp)
    if fancy is None:
        try:
            probe = xp.zeros((2,), dtype=x.dtype, **place)
            probe[xp.asarray([1], **place)] = 1
            fancy = True
        except (IndexError, TypeError, NotImplementedError):
            fancy = False
        _FANCY_SETITEM[xp] = fancy
    if fancy:
        out = xp.zeros((rows, plane), dtype=x.dtype, **place)
        r = xp.broadcast_to(xp.reshape(xp.arange(rows, dtype=idx.dtype, **place), (rows, 1)), idx.shape)
        try:
            out[r, idx] = x
        except IndexError as e:
            raise RuntimeError(f"{fname}: found an invalid max index (indices must lie in [0, {plane}), the "
                               f"output plane's size): {e}") from None
        return out
    hits = xp.astype(xp.expand_dims(idx, axis=-1) == xp.arange(plane, dtype=idx.dtype, **place), x.dtype)
    total = xp.sum(hits * xp.expand_dims(x, axis=-1), axis=1)
    return total / xp.maximum(xp.sum(hits, axis=1), xp.asarray(1.0, dtype=x.dtype, **place))


# max_unpool's gradient gathers the output gradient at the indices (each duplicate gets all of it,
# as PyTorch's)
_MAX_UNPOOL = Op("max_unpool", ("x", "idx"), {"x": lambda g, idx: take_along_axis(g, idx, axis=-1), "idx": None},
                 dtypes="any", generic=_max_unpool_forward, grad_fn="MaxUnpool2DBackward0")


def _pool_stride(stride, kernel):
    return kernel if _default_stride(stride) else stride


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """The partial inverse of max_pool2d: each value written at its flat `indices` in a zero
    (N, C, H_out, W_out) image (output_size picks among the sizes a stride leaves possible)."""
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """The partial inverse of max_pool1d: each value written at its `indices` in a zero
    (N, C, L_out) signal."""
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """The partial inverse of max_pool3d: each value written at its flat `indices`
    (d * H * W + h * W + w) in a zero (N, C, D_out, H_out, W_out) volume."""
    return _max_unpool("max_unpool3d", 3, input, indices, kernel_size, stride, padding, output_size)


def _pool_divisor(xp, window: Window, x_shape, count_include_pad: bool, divisor_override, like):
    """What each window's sum is divided by: divisor_override if given, else the number of
    its pixels in the padded image (count_include_pad; the kernel size, except for
    ceil_mode's partial windows) or in the image itself, as a (1, 1, OH, OW) array."""
    if divisor_override is not None:
        return divisor_override
    overhang = window.pb != window.pt or window.pr != window.pl  # ceil_mode's last windows
    if (count_include_pad and not overhang) or not window.padded:
        return window.kh * window.kw
    h, w = x_shape[2], x_shape[3]
    oh, ow = window.out_size(h, w)

    def inside(n_out, stride, pad, size, k, d):
        lo, hi = (-pad, size + pad) if count_include_pad else (0, size)
        return [sum(lo <= o * stride - pad + i * d < hi for i in range(k)) for o in range(n_out)]

    rows = inside(oh, window.sh, window.pt, h, window.kh, window.dh)
    cols = inside(ow, window.sw, window.pl, w, window.kw, window.dw)
    counts = [[[[float(r * c) for c in cols] for r in rows]]]
    return xp.asarray(counts, dtype=like.dtype, **_placed(xp, like))


def _avg_pool_forward(xp, x, *, window, count_include_pad, divisor_override):
    a = _padded(xp, x, window, 0, channels_last=False)
    oh, ow = window.out_size(x.shape[2], x.shape[3])
    views = window.views(a, oh, ow, channels_last=False)
    total = sum(views[1:], views[0])
    return total / _pool_divisor(xp, window, x.shape, count_include_pad, divisor_override, x)


def _avg_pool_scatter(xp, g, *, window, x_shape, count_include_pad, divisor_override):
    share = g / _pool_divisor(xp, window, x_shape, count_include_pad, divisor_override, g)
    return _scatter(xp, [share] * (window.kh * window.kw), x_shape, window, channels_last=False)


# avg_pool2d is linear: its VJP spreads each output's gradient over its window, and the VJP
# of that is avg_pool2d again.
_AVG_POOL_BACKWARD = Op("avg_pool2d_backward", ("g",), lambda g, window, count_include_pad, divisor_override:
                        apply(_AVG_POOL, (g,), {"window": window, "count_include_pad": count_include_pad,
                                                "divisor_override": divisor_override}),
                        dtypes="real floating", generic=_avg_pool_scatter,
                        grad_fn="AvgPool2DBackwardBackward0")
_AVG_POOL = Op("avg_pool2d", ("x",), lambda g, x_shape, window, count_include_pad, divisor_override: apply(
    _AVG_POOL_BACKWARD, (g,), {"window": window, "x_shape": x_shape, "count_include_pad": count_include_pad,
                               "divisor_override": divisor_override}),
    dtypes="real floating", generic=_avg_pool_forward, grad_fn="AvgPool2DBackward0")


def _check_divisor(fname, divisor_override):
    divisor_override = plain_int(divisor_override)
    if divisor_override is not None and (isinstance(divisor_override, bool) or not isinstance(divisor_override, int)
                                         or divisor_override < 1):
        raise ValueError(f"{fname}: divisor_override must be a positive int, got {divisor_override!r}")


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """The mean of each window (stride defaults to the kernel size; padding is zeros, counted
    in the mean unless count_include_pad=False; ceil_mode adds a last, partial window;
    divisor_override divides every window's sum by that number instead)."""
    x, unbatched = _batched(input, "avg_pool2d")
    win = _pool_window("avg_pool2d", x, kernel_size, stride, padding, 1, ceil_mode)
    _check_divisor("avg_pool2d", divisor_override)
    out = apply(_AVG_POOL, (x,), {"window": win, "count_include_pad": bool(count_include_pad),
                                  "divisor_override": divisor_override})
    return squeeze(out, axis=0) if unbatched else out


# ----- 1-D pools, adaptive max and power-average pools --------------------------------------
def _unit_height(fname, input):
    """(N, C, L) or (C, L) input as (N, C, 1, L) or (C, 1, L): the 1-D pools are the 2-D ones
    over a unit height, as PyTorch's."""
    _check_float(input, fname)
    if input._data.ndim not in (2, 3):
        raise ShapeError(f"{fname}: expected a 2-D (C, L) or 3-D (N, C, L) input, got shape "
                         f"{tuple(input._data.shape)}")
    return expand_dims(input, axis=-2)


def _pool_args(fname, nd, kernel_size, stride, padding, dilation=1):
    """kernel, stride (the kernel by default), padding and dilation as nd-tuples, checked
    under their names; padding at most half the kernel (PyTorch's RuntimeError)."""
    k = _ntuple(kernel_size, nd, "kernel_size", fname)
    s = _ntuple(_pool_stride(stride, k), nd, "stride", fname)
    p = _ntuple(padding, nd, "padding", fname, minimum=0)
    d = _ntuple(dilation, nd, "dilation", fname)
    if any(2 * pi > ki for pi, ki in zip(p, k)):
        raise RuntimeError(f"{fname}: padding should be at most half of kernel size, but got "
                           f"padding={p if nd > 1 else p[0]} and kernel_size={k if nd > 1 else k[0]}")
    return k, s, p, d


def _pool1d_args(fname, kernel_size, stride, padding, dilation=1):
    """The 1-D settings as the 2-D ones over a unit height (kernel, stride, padding,
    dilation pairs), checked under their 1-D names."""
    k, s, p, d = _pool_args(fname, 1, kernel_size, stride, padding, dilation)
    return (1,) + k, (1,) + s, (0,) + p, (1,) + d


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor:
    """The maximum of each window of (N, C, L) or (C, L) input (max_pool2d over a unit
    height); return_indices=True also returns each maximum's position along L."""
    x = _unit_height("max_pool1d", input)
    k, s, p, d = _pool1d_args("max_pool1d", kernel_size, stride, padding, dilation)
    xb = x if x._data.ndim == 4 else expand_dims(x, axis=0)
    win = _pool_window("max_pool1d", xb, k, s, p, d, ceil_mode)
    out = apply(_MAX_POOL, (xb,), {"window": win})
    idx = apply(_MAX_POOL_INDICES, (xb.detach(), out.detach()), {"window": win}) if return_indices else None
    lead = (0, 2) if x._data.ndim == 3 else (2,)  # the batch axis added here, the unit height
    out = squeeze(out, axis=lead)
    return (out, squeeze(idx, axis=lead)) if return_indices else out


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """The mean of each window of (N, C, L) or (C, L) input (avg_pool2d over a unit height)."""
    x = _unit_height("avg_pool1d", input)
    k, s, p, _ = _pool1d_args("avg_pool1d", kernel_size, stride, padding)
    xb = x if x._data.ndim == 4 else expand_dims(x, axis=0)
    win = _pool_window("avg_pool1d", xb, k, s, p, 1, ceil_mode)
    out = apply(_AVG_POOL, (xb,), {"window": win, "count_include_pad": bool(count_include_pad),
                                   "divisor_override": None})
    return squeeze(out, axis=(0, 2) if x._data.ndim == 3 else (2,))


# ----- 3-D pools: two 2-D passes ------------------------------------------------------------
def _volume_passes(fname, op, x, kernel, stride, padding, dilation, ceil_mode, params_hw, params_d):
    """A 3-D pool of (N, C, D, H, W) x as two 2-D ones (max and sum are separable, and so are
    the averages' divisors: each window is a box): `op` over the (H, W) planes of the
    (N, C * D) slices, then over the depth of that, (N, C, D, OH * OW), with a (KD, 1)
    window. Returns each pass's (input, window, output); the last output is (N, C, OD, OH * OW).
    Ties go to the first maximum in (d, h, w) order, as PyTorch's."""
    n, c, d, h, w = x._data.shape
    spans = tuple(dl * (k - 1) + 1 for k, dl in zip(kernel, dilation))
    if any(size + 2 * p < span for size, p, span in zip((d, h, w), padding, spans)):
        raise ShapeError(f"{fname}: the input's spatial size {(d, h, w)} (padding {padding}) is smaller than "
                         f"the dilated kernel {spans}")
    planes = reshape(x, (n, c * d, h, w))
    win_hw = _pool_window(fname, planes, kernel[1:], stride[1:], padding[1:], dilation[1:], ceil_mode)
    flat = apply(op, (planes,), dict(params_hw, window=win_hw))
    oh, ow = flat._data.shape[2:]
    cols = reshape(flat, (n, c, d, oh * ow))
    win_d = _pool_window(fname, cols, (kernel[0], 1), (stride[0], 1), (padding[0], 0), (dilation[0], 1), ceil_mode)
    return (planes, win_hw, flat), (cols, win_d, apply(op, (cols,), dict(params_d, window=win_d)))


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor:
    """The maximum of each window of (N, C, D, H, W) or (C, D, H, W) input (max_pool2d's
    settings, one more axis); return_indices=True also returns each maximum's flat index
    into its input volume, int64 (d * H * W + h * W + w; the input of max_unpool3d)."""
    fname = "max_pool3d"
    x, unbatched = _batched(input, fname, 3)
    kernel, stride, padding, dilation = _pool_args(fname, 3, kernel_size, stride, padding, dilation)
    (planes, win_hw, flat), (cols, win_d, out) = _volume_passes(fname, _MAX_POOL, x, kernel, stride, padding,
                                                                dilation, ceil_mode, {}, {})
    n, c, d, h, w = x._data.shape
    oh, ow = flat._data.shape[2:]
    shape = (n, c, out._data.shape[2], oh, ow)
    if return_indices:
        # the depth pass's index is depth * (OH * OW) + column: its depth picks the plane index
        plane_idx = apply(_MAX_POOL_INDICES, (planes.detach(), flat.detach()), {"window": win_hw})
        depth = apply(_MAX_POOL_INDICES, (cols.detach(), out.detach()), {"window": win_d}) // (oh * ow)
        in_plane = take_along_axis(reshape(plane_idx, (n, c, d, oh * ow)), depth, axis=2)
        idx = reshape(depth * (h * w) + in_plane, shape)
    out = reshape(out, shape)
    if unbatched:
        out = squeeze(out, axis=0)
        idx = squeeze(idx, axis=0) if return_indices else None
    return (out, idx) if return_indices else out


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """The mean of each window of (N, C, D, H, W) or (C, D, H, W) input (avg_pool2d's
    settings, one more axis)."""
    fname = "avg_pool3d"
    x, unbatched = _batched(input, fname, 3)
    kernel, stride, padding, dilation = _pool_args(fname, 3, kernel_size, stride, padding)
    _check_divisor(fname, divisor_override)
    include = bool(count_include_pad)
    # an override divides once: the planes' pass only sums
    (_, _, flat), (_, _, out) = _volume_passes(
        fname, _AVG_POOL, x, kernel, stride, padding, dilation, ceil_mode,
        {"count_include_pad": include, "divisor_override": None if divisor_override is None else 1},
        {"count_include_pad": include, "divisor_override": divisor_override})
    out = reshape(out, tuple(out._data.shape[:3]) + tuple(flat._data.shape[2:]))
    return squeeze(out, axis=0) if unbatched else out


def _adaptive_size(fname, output_size, in_sizes):
    """output_size (an int or a tuple, None keeping an input size) as a tuple of ints."""
    n = len(in_sizes)
    output_size = plain_int(output_size)
    if output_size is None or isinstance(output_size, int):
        size = (output_size,) * n
    elif isinstance(output_size, (tuple, list)):
        size = tuple(output_size)
    else:
        raise TypeError(f"{fname}: output_size must be an int or a tuple of ints, got {type(output_size).__name__}")
    if len(size) != n:
        raise ValueError(f"{fname}: output_size must be an int or {n} ints, got {output_size!r}")
    if 0 in in_sizes:
        raise ShapeError(f"{fname}: expected input to have non-zero size for non-batch dimensions, got "
                         f"spatial sizes {tuple(in_sizes)}")
    size = tuple(i if o is None else plain_int(o) for o, i in zip(size, in_sizes))
    for o in size:
        if isinstance(o, bool) or not isinstance(o, int) or o < 0:
            raise ValueError(f"{fname}: output_size must be ints >= 0, got {output_size!r}")
    return size


def _no_bins(input, shape):
    """The empty result of a pool with an output size of 0, still in input's graph."""
    return reshape(reshape(input, (-1,))[:0], shape)


def adaptive_avg_pool1d(input, output_size) -> Tensor:
    """The mean over each of output_size bins of (N, C, L) or (C, L) input."""
    x = _unit_height("adaptive_avg_pool1d", input)
    (o,) = _adaptive_size("adaptive_avg_pool1d", output_size, tuple(input._data.shape[-1:]))
    return squeeze(adaptive_avg_pool2d(x, (1, o)), axis=-2)


def _bins(n_in: int, n_out: int):
    """PyTorch's adaptive bins: bin i spans [floor(i n_in / n_out), ceil((i + 1) n_in / n_out))."""
    return [((i * n_in) // n_out, -(-((i + 1) * n_in) // n_out)) for i in range(n_out)]


def _adaptive_max_indices(x, out_sizes):
    """Each bin's first maximum (row-major; NaN counts as the maximum) as a flat index into
    its plane (or volume), int64, (..., *out_sizes): the maxima in each bin of the last axis,
    then those maxima's maxima in each bin of the axis before, and so on (max is separable).
    Not differentiable."""
    x = x.detach()
    vals, flat, inner = x, None, 1
    for k in range(1, len(out_sizes) + 1):  # axis -k, the last first
        n_in = x._data.shape[-k]
        rest = (slice(None),) * (k - 1)
        pick = _ag.stack([argmax(vals[(..., slice(a, b)) + rest], axis=-k) + a for a, b in _bins(n_in, out_sizes[-k])],
                         axis=-k)
        flat = pick if flat is None else pick * inner + take_along_axis(flat, pick, axis=-k)
        if k < len(out_sizes):
            vals = take_along_axis(vals, pick, axis=-k)
        inner *= n_in
    return flat


def _adaptive_max_pool(fname, nd, input, output_size, return_indices):
    """The maximum over each of output_size bins of the last nd axes of input with one or two
    leading axes (None keeps a size); return_indices=True also returns each maximum's flat
    index into its plane (volume). The gradient goes to that element alone, as PyTorch's."""
    _check_float(input, fname)
    if input._data.ndim not in (nd + 1, nd + 2):
        raise ShapeError(f"{fname}: expected a {nd + 1}-D or {nd + 2}-D input, got shape {tuple(input._data.shape)}")
    shape = tuple(input._data.shape)
    out_sizes = _adaptive_size(fname, output_size, shape[-nd:])
    lead = shape[:-nd]
    if 0 in out_sizes:
        out = _no_bins(input, lead + out_sizes)
        return (out, _ag.zeros(lead + out_sizes, dtype=_ag.int64, device=input.device)) if return_indices else out
    idx = _adaptive_max_indices(input, out_sizes)
    out = reshape(take_along_axis(reshape(input, lead + (-1,)), reshape(idx, lead + (-1,)), axis=-1),
                  lead + out_sizes)
    return (out, idx) if return_indices else out


def adaptive_max_pool2d(input, output_size, return_indices: bool = False) -> Tensor:
    """The maximum over each of output_size bins of the last two axes of (N, C, H, W) or
    (C, H, W) input (None keeps a size); return_indices=True also returns each maximum's flat
    index into its plane. The gradient goes to that element alone, as PyTorch's."""
    return _adaptive_max_pool("adaptive_max_pool2d", 2, input, output_size, return_indices)


def adaptive_max_pool3d(input, output_size, return_indices: bool = False) -> Tensor:
    """The maximum over each of output_size bins of the last three axes of (N, C, D, H, W) or
    (C, D, H, W) input; return_indices=True also returns each maximum's flat index into its
    volume (d * H * W + h * W + w)."""
    return _adaptive_max_pool("adaptive_max_pool3d", 3, input, output_size, return_indices)


def adaptive_max_pool1d(input, output_size, return_indices: bool = False) -> Tensor:
    """The maximum over each of output_size bins of (N, C, L) or (C, L) input."""
    x = _unit_height("adaptive_max_pool1d", input)
    (o,) = _adaptive_size("adaptive_max_pool1d", output_size, tuple(input._data.shape[-1:]))
    if o == 0:
        out, idx = adaptive_max_pool2d(x, (1, 0), return_indices=True)
        out, idx = squeeze(out, axis=-2), squeeze(idx, axis=-2)
        return (out, idx) if return_indices else out
    idx = squeeze(_adaptive_max_indices(x, (1, o)), axis=-2)
    out = take_along_axis(input, idx, axis=-1)
    return (out, idx) if return_indices else out


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
                            return_indices: bool = False):
    """max_pool1d's (values, indices), whatever return_indices says (PyTorch's)."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
                            return_indices: bool = False):
    """max_pool2d's (values, indices), whatever return_indices says (PyTorch's)."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices: bool = False):
    """adaptive_max_pool1d's (values, indices)."""
    return adaptive_max_pool1d(input, output_size, return_indices=True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices: bool = False):
    """adaptive_max_pool2d's (values, indices)."""
    return adaptive_max_pool2d(input, output_size, return_indices=True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
                            return_indices: bool = False):
    """max_pool3d's (values, indices), whatever return_indices says (PyTorch's)."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices: bool = False):
    """adaptive_max_pool3d's (values, indices)."""
    return adaptive_max_pool3d(input, output_size, return_indices=True)


# ----- fractional max pooling (Graham's pseudo-random windows) ----------------------------------
def _fractional_starts(samples, n_in: int, n_out: int, pool: int):
    """PyTorch's generate_intervals, per plane: window k of n_out along an axis of n_in starts at
    int((k + u) alpha) - int(u alpha), alpha = (n_in - pool) / (n_out - 1), in the samples' dtype
    (as PyTorch's kernel computes it); the last window ends at the edge. samples (...,) -> (..., n_out)."""
    last = _ag.full(tuple(samples.shape) + (min(n_out, 1),), n_in - pool, dtype=_ag.int64, device=samples.device)
    if n_out <= 1:
        return last
    alpha = _ag.asarray(n_in - pool, dtype=samples.dtype, device=samples.device) / (n_out - 1)
    u = expand_dims(samples, axis=-1)
    k = _ag.arange(n_out - 1, dtype=samples.dtype, device=samples.device)
    starts = astype((k + u) * alpha, _ag.int64) - astype(u * alpha, _ag.int64)
    return _ag.concat([starts, last], axis=-1)


def _fractional_max_pool(fname, nd, input, kernel_size, output_size, output_ratio, _random_samples):
    """The maximum over each pseudo-random window (fractional_max_pool2d / 3d) and its flat index
    into the plane (volume): the first maximum in row-major order, the last NaN if any (PyTorch's
    kernel). The value is gathered at that index, so its gradient goes to that element alone."""
    _check_float(input, fname)
    ranks = (nd + 1, nd + 2)
    if input.ndim not in ranks:
        raise ShapeError(f"{fname}: expected a {ranks[0]}-D or {ranks[1]}-D input, got shape {tuple(input.shape)}")
    kernel = _ntuple(kernel_size, nd, "kernel_size", fname)
    in_sizes = tuple(input.shape[-nd:])
    if output_size is None and output_ratio is None:
        raise ValueError(f"{fname} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        ratios = tuple(output_ratio) if isinstance(output_ratio, (tuple, list)) else (output_ratio,) * nd
        if len(ratios) != nd:
            raise ValueError(f"{fname}: output_ratio must be a number or a tuple of {nd} numbers, got {output_ratio!r}")
        output_size = tuple(int(n * r) for n, r in zip(in_sizes, ratios))
    out_sizes = _ntuple(output_size, nd, "output_size", fname, minimum=0)
    axes = ("height", "width") if nd == 2 else ("time", "height", "width")
    for axis, n, k, o in zip(axes, in_sizes, kernel, out_sizes):
        if o + k - 1 > n - (nd == 3):  # PyTorch's 3-D kernel wants it strictly below
            raise RuntimeError(f"{fname}: pool {axis} {k} too large relative to input {axis} {n} "
                               f"(output_size {o} + kernel_size {k} - 1 must be at most {n - (nd == 3)})")
    batched = input.ndim == ranks[1]
    x = input if batched else expand_dims(input, axis=0)
    n_batch, channels = int(x.shape[0]), int(x.shape[1])
    if _random_samples is None:
        samples = _ag.rand((n_batch, channels, nd), dtype=input.dtype, device=input.device)
    else:
        samples = _random_samples
        check_tensor(samples, fname, "_random_samples")
        if samples.ndim != 3 or samples.shape[1] != channels or samples.shape[2] != nd:
            raise RuntimeError(f"{fname}: _random_samples must have shape (>= {n_batch}, {channels}, {nd}), "
                               f"got {tuple(samples.shape)}")
        if samples.shape[0] < n_batch:
            raise RuntimeError(f"{fname}: _random_samples.size(0) ({samples.shape[0]}) must be no less than "
                               f"the input batch size ({n_batch})")
        if samples.dtype != input.dtype:
            raise RuntimeError(f"{fname}: _random_samples must have the same dtype as input ({input.dtype}), "
                               f"got {samples.dtype}")
        samples = samples.detach()[:n_batch]
    # PyTorch's sample order: (W, H) in 2-D, (T, H, W) in 3-D
    order = (1, 0) if nd == 2 else (0, 1, 2)
    flat, inner = None, 1  # flat index of every window element, (N, C, *out_sizes, *kernel)
    for d in reversed(range(nd)):
        starts = _fractional_starts(samples[..., order[d]], in_sizes[d], out_sizes[d], kernel[d])
        pos = expand_dims(starts, axis=-1) + _ag.arange(kernel[d], dtype=_ag.int64, device=input.device)
        shape = (n_batch, channels) + tuple(out_sizes[i] if i == d else 1 for i in range(nd)) + \
            tuple(kernel[i] if i == d else 1 for i in range(nd))
        term = reshape(pos * inner, shape)
        flat = term if flat is None else flat + term
        inner *= in_sizes[d]
    window = math.prod(kernel)
    lead = (n_batch, channels)
    flat = reshape(_ag.broadcast_to(flat, lead + out_sizes + kernel), lead + out_sizes + (window,))
    planes = reshape(x, lead + (-1,))
    vals = reshape(take_along_axis(planes.detach(), reshape(flat, lead + (-1,)), axis=-1), tuple(flat.shape))
    nan = _ag.isnan(vals)
    last_nan = (window - 1) - argmax(astype(_ag.flip(nan, axis=-1), _ag.int8), axis=-1, keepdims=True)
    pick = _where(_any(nan, axis=-1, keepdims=True), last_nan, argmax(vals, axis=-1, keepdims=True))
    idx = squeeze(take_along_axis(flat, pick, axis=-1), axis=-1)
    out = reshape(take_along_axis(planes, reshape(idx, lead + (-1,)), axis=-1), lead + out_sizes)
    if not batched:
        out, idx = squeeze(out, axis=0), squeeze(idx, axis=0)
    return out, idx


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices: bool = False, _random_samples=None):
    """fractional_max_pool2d's (values, indices), whatever return_indices says (PyTorch's)."""
    return _fractional_max_pool("fractional_max_pool2d", 2, input, kernel_size, output_size, output_ratio,
                                _random_samples)


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices: bool = False,
                          _random_samples=None):
    """2-D fractional max pooling of (N, C, H, W) or (C, H, W) input (Graham, arXiv:1412.6071): the
    maximum over kernel_size windows at pseudo-random steps that give output_size (or
    output_ratio * the input size). Each plane's window starts come from its two samples in
    [0, 1) (`_random_samples`, (N, C, 2), else drawn from arraygrad's generator), by PyTorch's
    formula, so given samples the values and indices equal PyTorch's. return_indices=True also
    returns each maximum's flat index into its plane (for max_unpool2d)."""
    out, idx = fractional_max_pool2d_with_indices(input, kernel_size, output_size, output_ratio, True,
                                                  _random_samples)
    return (out, idx) if return_indices else out


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices: bool = False, _random_samples=None):
    """fractional_max_pool3d's (values, indices), whatever return_indices says (PyTorch's)."""
    return _fractional_max_pool("fractional_max_pool3d", 3, input, kernel_size, output_size, output_ratio,
                                _random_samples)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices: bool = False,
                          _random_samples=None):
    """3-D fractional max pooling of (N, C, T, H, W) or (C, T, H, W) input: fractional_max_pool2d
    with three samples per plane, (N, C, 3), for (T, H, W); indices are flat into each volume."""
    out, idx = fractional_max_pool3d_with_indices(input, kernel_size, output_size, output_ratio, True,
                                                  _random_samples)
    return (out, idx) if return_indices else out


def _lp_pool(fname, nd, input, norm_type, kernel_size, stride, ceil_mode):
    """The p-norm of each window, (sum x^p)^(1/p), p = norm_type (as PyTorch's: the mean of
    x^p over the window times its size, then the 1/p power; p = +-inf: the max (min) of |x|)."""
    from .._ops.elementwise import sign

    _check_float(input, fname)
    kernel = _ntuple(kernel_size, nd, "kernel_size", fname)
    max_pool, avg_pool = {1: (max_pool1d, avg_pool1d), 2: (max_pool2d, avg_pool2d), 3: (max_pool3d, avg_pool3d)}[nd]
    if isinstance(norm_type, (int, float)) and math.isinf(norm_type):
        if norm_type > 0:
            return max_pool(_abs(input), kernel_size, stride, 0, 1, ceil_mode)
        return -max_pool(-_abs(input), kernel_size, stride, 0, 1, ceil_mode)
    out = avg_pool(input ** norm_type, kernel_size, stride, 0, ceil_mode)
    return ((sign(out) * _relu(_abs(out))) * math.prod(kernel)) ** (1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """The p-norm of each window of (N, C, L) or (C, L) input."""
    return _lp_pool("lp_pool1d", 1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """The p-norm of each window of (N, C, H, W) or (C, H, W) input (see _lp_pool)."""
    return _lp_pool("lp_pool2d", 2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """The p-norm of each window of (N, C, D, H, W) or (C, D, H, W) input."""
    return _lp_pool("lp_pool3d", 3, input, norm_type, kernel_size, stride, ceil_mode)


# ----------------------------------------------------------------------------------------
# Linear, activations
# ----------------------------------------------------------------------------------------
def _linear_forward(xp, x, weight, bias):
    out = xp.matmul(x, weight.T)
    if bias is not None:
        if getattr(xp, "__mutable_arrays__", False):
            out += bias  # the product is a fresh array this op owns: no second full-size array
        else:
            out = out + bias
    return out


def _linear_grads(g, x, weight, needs_grad):
    """x @ W.T + b over any leading axes of x: the rows of x and g meet in one matmul
    (complex: the conjugates of the other factor, PyTorch's convention)."""
    gx = gw = gb = None
    if needs_grad[0]:
        gx = matmul(g, _conj(weight))
    if needs_grad[1] or needs_grad[2]:
        o = weight.shape[0]
        rows = reshape(g, (-1, o)) if g.ndim != 2 else g
        if needs_grad[1]:
            xr = reshape(x, (-1, x.shape[-1])) if x.ndim != 2 else x
            gw = matmul(matrix_transpose(rows), _conj(xr))
        if needs_grad[2]:
            gb = _sum(rows, axis=0)
    return gx, gw, gb


def _linear_op(name, grad_fn):
    return Op(name, ("x", "weight", "bias"), {("x", "weight", "bias"): _linear_grads},
              dtypes="floating-point", generic=_linear_forward, impl="linear", grad_fn=grad_fn)


def _addmm_grads(g, x, weight, needs_grad):
    """_linear_grads for the node taking (bias, input, weight), in that order."""
    gx, gw, gb = _linear_grads(g, x, weight, (needs_grad[1], needs_grad[2], needs_grad[0]))
    return gb, gx, gw


# 2-D input with a bias: PyTorch's addmm(bias, input, weight.T), whose node lists the bias
# first (the 60-minute blitz walks loss.grad_fn.next_functions[0][0] down to it)
_LINEAR = Op("linear", ("bias", "x", "weight"), {("bias", "x", "weight"): _addmm_grads},
             dtypes="floating-point", generic=lambda xp, bias, x, weight: _linear_forward(xp, x, weight, bias),
             impl="linear_addmm", grad_fn="AddmmBackward0")
# PyTorch's linear records the node of its last step, which depends on the input's rank and
# the bias: the same rule under each name, [min(ndim, 3) - 1][bias is None] picking it.
_LINEAR_BY_RANK = (
    (_linear_op("linear_vector", "ViewBackward0"), _linear_op("linear_vector_mv", "SqueezeBackward4")),
    (_LINEAR, _linear_op("linear_mm", "MmBackward0")),
    (_linear_op("linear_batched", "ViewBackward0"), _linear_op("linear_batched_mm", "UnsafeViewBackward0")),
)


def linear(input, weight, bias=None) -> Tensor:
    """input @ weight.T + bias, over any leading axes of `input` (weight: (out, in))."""
    _check_float(input, "linear", complex_ok=True)
    check_tensor(weight, "linear", "weight")
    _check_same_dtype(input, weight, "linear", "weight")
    _check_same_dtype(input, bias, "linear", "bias")
    ws = weight._data.shape
    if len(ws) == 1 and input._data.ndim > 0 and input._data.shape[-1] == ws[0]:
        out = matmul(input, weight)  # one output feature, its axis dropped (PyTorch's)
        return out if bias is None else out + bias
    if len(ws) != 2 or input._data.ndim == 0 or input._data.shape[-1] != ws[1]:
        raise ShapeError(f"linear: input of shape {tuple(input._data.shape)} and weight of shape "
                         f"{tuple(ws)} do not match (weight must be (out_features, in_features))")
    if bias is not None and tuple(bias._data.shape) != (ws[0],):
        raise ShapeError(f"linear: bias must have shape ({ws[0]},), got {tuple(bias._data.shape)}")
    nd = input._data.ndim
    op = _LINEAR_BY_RANK[(nd if nd < 3 else 3) - 1][bias is None]
    return apply(op, (bias, input, weight) if op is _LINEAR else (input, weight, bias))


def relu(input, inplace: bool = False) -> Tensor:
    """max(input, 0), elementwise (NaN stays NaN); `inplace` writes into `input`."""
    check_tensor(input, "relu")
    if inplace:
        from .._inplace import inplace_apply

        return inplace_apply(input, _relu, "relu_")
    return _relu(input)


def tanh(input) -> Tensor:
    """The hyperbolic tangent, elementwise."""
    return _tanh(input)


def sigmoid(input) -> Tensor:
    """1 / (1 + exp(-input)), elementwise, without overflow."""
    return _sigmoid(input)


def _activation(fname, input, inplace, fn):
    """fn(input), or written into `input` (inplace=True, PyTorch's in-place activations)."""
    _check_float(input, fname)
    if inplace:
        from .._inplace import inplace_apply

        return inplace_apply(input, fn, fname + "_")
    return fn(input)


def _softplus_unit(x):
    """log(1 + exp(x)) for any x: no overflow, and derivatives of every order right at 0 too
    (each branch sees only its own side of 0, so the other's exp cannot overflow)."""
    up = x > 0
    pos, neg = _where(up, x, 0.0), _where(up, 0.0, x)
    return _where(up, pos + _log1p(_exp(-pos)), _log1p(_exp(neg)))


# Ops of their own, as PyTorch's, with rules that read x: under create_graph the gradient
# then depends on x (with a zero second derivative), so it can be differentiated again
_LEAKY_RELU = Op("leaky_relu", ("x",), lambda xp, g, x, negative_slope: xp.where(x > 0, g, g * negative_slope),
                 dtypes="real floating", grad_fn="LeakyReluBackward0",
                 generic=lambda xp, x, *, negative_slope: _leaky_relu_forward(xp, x, negative_slope))


def _leaky_relu_forward(xp, x, slope):
    # for a slope in (0, 1], max(x, slope * x) is the same (NaN and the infinities included)
    # in two passes; where() takes a compare and a select more
    if 0.0 < slope <= 1.0:
        return xp.maximum(x, x * slope)
    return xp.where(x > 0, x, x * slope)
# g where x is inside the bounds or NaN (PyTorch's hardtanh_backward zeroes x <= min, x >= max)
_HARDTANH = Op("hardtanh", ("x",), lambda xp, g, x, min_val, max_val: xp.where((x <= min_val) | (x >= max_val), 0, g),
               dtypes="real floating", grad_fn="HardtanhBackward0",
               generic=lambda xp, x, *, min_val, max_val: xp.clip(x, min_val, max_val))


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope * x (the slope's side at 0, as PyTorch)."""
    slope = float(negative_slope)
    return _activation("leaky_relu", input, inplace,
                       lambda x: apply(_LEAKY_RELU, (x,), {"negative_slope": slope}))


def elu(input, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else alpha * (exp(x) - 1)."""
    # the exponential branch sees min(x, 0) (no overflow), through `where` so that x = 0 gets
    # its whole derivative, alpha (minimum would split a tie); NaN takes the linear branch,
    # whose derivative PyTorch's elu_backward gives it
    return _activation("elu", input, inplace,
                       lambda x: _where(x <= 0, alpha * _expm1(_where(x <= 0, x, 0.0)), x))


def silu(input, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (the swish)."""
    return _activation("silu", input, inplace, lambda x: x * _sigmoid(x))


def softplus(input, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (PyTorch's)."""
    _check_float(input, "softplus")
    bx = input * beta if beta != 1 else input
    smooth = _softplus_unit(bx) / beta if beta != 1 else _softplus_unit(bx)
    return _where(bx > threshold, input, smooth)


def gelu(input, approximate: str = "none") -> Tensor:
    """x * Phi(x), Phi the standard normal CDF: 0.5 x (1 + erf(x / sqrt(2))); approximate=
    'tanh' uses 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))."""
    _check_float(input, "gelu")
    if approximate == "tanh":
        inner = (input + 0.044715 * (input * input * input)) * math.sqrt(2.0 / math.pi)
        return 0.5 * input * (1 + _tanh(inner))
    if approximate != "none":
        raise ValueRangeError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    from .._torch_api import erf

    return 0.5 * input * (1 + erf(input * (1 / math.sqrt(2.0))))


def logsigmoid(input) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), finite for every x."""
    _check_float(input, "logsigmoid")
    return -_softplus_unit(-input)


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """x clipped to [min_val, max_val]; the gradient is 0 at and beyond the bounds (PyTorch's
    hardtanh_backward, where clamp's would pass it at the bounds)."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")

    bounds = {"min_val": float(min_val), "max_val": float(max_val)}
    return _activation("hardtanh", input, inplace, lambda x: apply(_HARDTANH, (x,), bounds))


def relu6(input, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def relu_(input) -> Tensor:
    """relu(input), written into `input`."""
    return relu(input, inplace=True)


_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def selu(input, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with the self-normalizing constants (Klambauer et al.)."""
    return _activation("selu", input, inplace, lambda x: _SELU_SCALE * elu(x, _SELU_ALPHA))


def celu(input, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else alpha * (exp(x / alpha) - 1)."""
    if alpha == 0:
        raise RuntimeError("celu: alpha must not be 0 (it divides the input), got 0")
    return _activation("celu", input, inplace,
                       lambda x: _where(x <= 0, alpha * _expm1(_where(x <= 0, x, 0.0) / alpha), x))


def mish(input, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    return _activation("mish", input, inplace, lambda x: x * _tanh(_softplus_unit(x)))


def softsign(input) -> Tensor:
    """x / (1 + |x|)."""
    _check_float(input, "softsign", complex_ok=True)
    return input / (1 + _abs(input))


def hardswish(input, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6; the outer pieces own the kinks (derivative 0 at -3, 1 at 3), as
    PyTorch's hardswish_backward."""
    def hardswish_of(x):
        inside = (x > -3) & (x < 3)
        safe = _where(inside, x, 0.0)  # the quadratic only inside: its gradient at +-inf would be 0 * inf
        return _where(x <= -3, 0.0, _where(inside, safe * (safe + 3) / 6, x))

    return _activation("hardswish", input, inplace, hardswish_of)


def hardsigmoid(input, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6 (gradient 0 at and beyond -3 and 3, and at NaN, as PyTorch's
    hardsigmoid_backward: x * 0 keeps NaN's value with no slope)."""
    return _activation("hardsigmoid", input, inplace, lambda x: _where(
        x >= 3, 1.0, _where(x > -3, (x + 3) / 6, _where(x <= -3, 0.0, x * 0.0))))


def tanhshrink(input) -> Tensor:
    """x - tanh(x)."""
    _check_float(input, "tanhshrink")
    return input - _tanh(input)


def softshrink(input, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""
    _check_float(input, "softshrink")
    if lambd < 0:
        raise RuntimeError(f"softshrink: lambd must be greater or equal to 0, got {lambd}")
    # NaN is in no band (kept, gradient 1: PyTorch's kernels); x * 0 keeps the band's zeros signed
    band = (input >= -lambd) & (input <= lambd)
    return _where(band, input * 0.0, _where(input > lambd, input - lambd, input + lambd))


def hardshrink(input, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0."""
    _check_float(input, "hardshrink")
    return _where((input >= -lambd) & (input <= lambd), 0.0, input)  # NaN is in no band: kept


def threshold(input, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """value where x <= threshold, else x (NaN kept, with its gradient, as PyTorch's)."""
    return _activation("threshold", input, inplace, lambda x: _where(x <= threshold, float(value), x))


# PyTorch's in-place spellings of the activations: the same function, written into `input`
def elu_(input, alpha: float = 1.0) -> Tensor:
    """elu(input, alpha), written into `input`."""
    return elu(input, alpha, inplace=True)


def leaky_relu_(input, negative_slope: float = 0.01) -> Tensor:
    """leaky_relu(input, negative_slope), written into `input`."""
    return leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """hardtanh(input, min_val, max_val), written into `input`."""
    return hardtanh(input, min_val, max_val, inplace=True)


def selu_(input) -> Tensor:
    """selu(input), written into `input`."""
    return selu(input, inplace=True)


def celu_(input, alpha: float = 1.0) -> Tensor:
    """celu(input, alpha), written into `input`."""
    return celu(input, alpha, inplace=True)


def threshold_(input, threshold: float, value: float) -> Tensor:
    """threshold(input, threshold, value), written into `input`."""
    return _activation("threshold", input, True, lambda x: _where(x > threshold, x, float(value)))


def rrelu(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """The randomized leaky ReLU: x where x > 0, else a * x, with a drawn uniformly from
    [lower, upper] for each element (training), or the mean slope (lower + upper) / 2 (eval)."""
    if lower > upper:
        raise RuntimeError(f"rrelu: Lower bound should be less than or equal to the upper bound, got "
                           f"lower={lower} and upper={upper}")
    if not training:
        return _activation("rrelu", input, inplace, lambda x: _where(x > 0, x, x * ((lower + upper) / 2)))
    _check_float(input, "rrelu")
    slope = (rand_like(input) * (upper - lower) + lower).detach()  # PyTorch's noise: a constant
    return _activation("rrelu", input, inplace, lambda x: _where(x > 0, x, x * slope))


def rrelu_(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:
    """rrelu(input, lower, upper, training), written into `input`."""
    return rrelu(input, lower, upper, training, inplace=True)


def glu(input, dim: int = -1) -> Tensor:
    """a * sigmoid(b), a and b the two halves of `input` along `dim` (the gated linear unit)."""
    _check_float(input, "glu")
    if input.ndim == 0:
        raise RuntimeError("glu: does not support scalars because halving size must be even")
    from .._ops import normalize_axis

    axis = normalize_axis(dim, input.ndim, "glu", "dim")
    n = input.shape[axis]
    if n % 2:
        raise RuntimeError(f"glu: halving dimension must be even, but dimension {axis} is size {n}")
    lead = (slice(None),) * axis
    return input[lead + (slice(0, n // 2),)] * _sigmoid(input[lead + (slice(n // 2, n),)])


def prelu(input, weight) -> Tensor:
    """x where x > 0, else weight * x: one learned slope, or one per channel (axis 1)."""
    _check_float(input, "prelu")
    check_tensor(weight, "prelu", "weight")
    _check_same_dtype(input, weight, "prelu", "weight")
    channels = input.shape[1] if input.ndim >= 2 else 1
    n = weight._data.size
    if weight.ndim > 1 or n not in (1, channels):
        raise RuntimeError(f"prelu: weight must be 1-D with 1 or {channels} (the input's channels) elements, "
                           f"got shape {tuple(weight.shape)}")
    if n > 1:
        weight = reshape(weight, (1, channels) + (1,) * (input.ndim - 2))
    elif weight.ndim:
        weight = reshape(weight, ())
    return _where(input > 0, input, weight * input)


def _softmax_forward(xp, x, *, axis):
    if x.shape[axis] == 0:  # nothing to normalize (and no maximum to shift by)
        return xp.asarray(x, copy=True)
    e = xp.exp(x - xp.max(x, axis=axis, keepdims=True))
    return e / xp.sum(e, axis=axis, keepdims=True)


def _log_softmax_forward(xp, x, *, axis):
    if x.shape[axis] == 0:
        return xp.asarray(x, copy=True)
    shifted = x - xp.max(x, axis=axis, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))


_SOFTMAX = Op("softmax", ("x",),
              lambda xp, g, ans, axis: ans * (g - xp.sum(g * ans, axis=axis, keepdims=True)),
              dtypes="real floating", generic=_softmax_forward)
_LOG_SOFTMAX = Op("log_softmax", ("x",),
                  lambda xp, g, ans, axis: g - xp.exp(ans) * xp.sum(g, axis=axis, keepdims=True),
                  dtypes="real floating", generic=_log_softmax_forward)


def _dim(dim, x, fname):
    from .._ops import normalize_axis

    if dim is None:
        # PyTorch's deprecated implicit choice, which older tutorials rely on
        ndim = x._data.ndim
        dim = 0 if ndim in (0, 1, 3) else 1
        warnings.warn(f"Implicit dimension choice for {fname} has been deprecated. Change the call "
                      f"to include dim=X as an argument (dim={dim} was used).", UserWarning, stacklevel=3)
    return normalize_axis(dim, x._data.ndim, fname, "dim")


def softmax(input, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """exp(input) normalized to sum to one along `dim` (shifted by the max: no overflow);
    `dtype` casts the input first."""
    return _along(_SOFTMAX, _cast_first(input, dtype, "softmax"), dim, "softmax")


def log_softmax(input, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """log(softmax(input, dim)), computed stably (no log of an underflowed zero)."""
    return _along(_LOG_SOFTMAX, _cast_first(input, dtype, "log_softmax"), dim, "log_softmax")


def softmin(input, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(-input, dim): weights that favour the smallest entries."""
    return _along(_SOFTMAX, -_cast_first(input, dtype, "softmin"), dim, "softmin")


def _along(op, input, dim, fname):
    """`op` applied along axis `dim`; a 0-d input is one element along dim 0 or -1 (PyTorch's)."""
    if input._data.ndim == 0:
        _dim(dim, reshape(input, (1,)), fname)
        return reshape(apply(op, (reshape(input, (1,)),), {"axis": 0}), ())
    return apply(op, (input,), {"axis": _dim(dim, input, fname)})


def _cast_first(input, dtype, fname):
    """`input` cast to `dtype` first (an integer input included, as PyTorch's), checked float."""
    if dtype is not None:
        check_tensor(input, fname, "input")
        input = astype(input, dtype)
    _check_float(input, fname)
    return input


# ----------------------------------------------------------------------------------------
# Losses
# ----------------------------------------------------------------------------------------
def _row_weights(ns, target, weight, ignore_index, dtype):
    """(each row's weight: its class's weight, 0 where ignored; the target with ignored rows
    pointing at class 0). Written against namespace `ns`: the backend's in the forward
    functions (backend arrays), arraygrad's in the VJP rules (tensors)."""
    valid = target != ignore_index
    safe = ns.where(valid, target, 0)
    w = ns.astype(valid, dtype)
    if weight is not None:
        w = w * ns.take(weight, safe, axis=0)
    return w, safe


def _reduce_raw(xp, loss, w, reduction):
    if reduction == "none":
        return loss
    total = xp.sum(loss)
    return total / xp.sum(w) if reduction == "mean" else total


def _check_targets(target, n_classes, ignore_index, fname):
    """IndexError for a target (a Tensor) outside [0, n_classes) that is not ignore_index,
    as PyTorch's check on the host. The extrema settle the usual case; the elementwise
    check runs only when they do not. It reads values, so lazy backends skip it (as
    PyTorch's CUDA kernels check asynchronously): a bad target then fails when computed."""
    if target._backend.lazy or target._data.size == 0:
        return
    lo, hi = target._backend.extrema(target._data)
    if lo >= 0 and hi < n_classes:
        return
    bad = ((target < 0) | (target >= n_classes)) & (target != ignore_index)
    if _ag.any(bad):
        raise IndexError(f"{fname}: target {int(target[bad][0])} is out of bounds for "
                         f"{n_classes} classes")


def _nll_forward(xp, input, target, weight, *, ignore_index, reduction, plain=False):
    if plain:  # no weights, every target a class in range: the picked entries, negated, reduced
        loss = -xp.take_along_axis(input, xp.expand_dims(target, axis=1), axis=1)[:, 0]
        if reduction == "none":
            return loss
        total = xp.sum(loss)
        return total / loss.shape[0] if reduction == "mean" else total
    w, safe = _row_weights(xp, target, weight, ignore_index, input.dtype)
    picked = xp.take_along_axis(input, xp.expand_dims(safe, axis=1), axis=1)[:, 0]
    return _reduce_raw(xp, -picked * w, w, reduction)


def _row_factor(xp, g, w, reduction):
    """What each row's loss gradient is multiplied by, as an (M, 1) column or a scalar: g
    (one per row for 'none'), divided by the targets' total weight for 'mean' (in `xp`)."""
    if reduction == "none":
        return xp.expand_dims(g, axis=1)
    if reduction != "mean":
        return g
    # Every row ignored: the mean loss is 0/0 (NaN, as PyTorch's), but each row's gradient is
    # 0 (its weight) times this factor, which must stay finite for that.
    total = xp.sum(w)
    return g / xp.where(total == 0, xp.ones_like(total), total)


def _onehot(xp, target, n_classes, dtype):
    """(M, n_classes) rows with a 1 at each target's class, on the target's device (in `xp`)."""
    classes = xp.arange(n_classes, dtype=target.dtype, **_placed(xp, target))
    return xp.astype(xp.expand_dims(target, axis=1) == classes, dtype)


def _nll_grad(xp, g, input, target, weight, ignore_index, reduction, plain=False):
    """-onehot(target) times each row's weight and share of g. Written against `xp`: the
    backend's arrays in first-order backward, where the plain case (no weights, no ignored
    rows) is one backend function (NumPy: zeros and one scattered column); arraygrad's
    tensors when the pass records, so that it differentiates again."""
    if plain and not grad_enabled():
        return xp.nll_rows_grad(target, g, tuple(input.shape), input.dtype, reduction)
    w, _ = _row_weights(xp, target, weight, ignore_index, input.dtype)
    scale = -xp.expand_dims(w, axis=1) * _row_factor(xp, g, w, reduction)
    return _onehot(xp, target, input.shape[1], input.dtype) * scale


def _nll_rows_grad(xp, target, g, shape, dtype, reduction):
    """The plain nll_loss gradient: -g (divided by the rows for 'mean', one per row for
    'none') at each row's target, 0 elsewhere (a backend function, see _nll_grad)."""
    scale = xp.expand_dims(g, axis=1) if reduction == "none" else (g / shape[0] if reduction == "mean" else g)
    return _onehot(xp, target, shape[1], dtype) * -scale


GENERIC_IMPLS["nll_rows_grad"] = _nll_rows_grad


_NLL = Op("nll_loss", ("input", "target", "weight"), {"input": _nll_grad, "target": None, "weight": None},
          dtypes="real floating", generic=_nll_forward, grad_fn="NllLossBackward0")


def _plain_targets(input, target, weight, ignore_index, label_smoothing) -> bool:
    """Whether the common case holds — no weights, no smoothing, every target a class in range
    and none ignored — so that the leaner forward and gradient apply (reads the targets'
    extrema, so never on lazy backends)."""
    if (weight is not None or label_smoothing or target._data.size == 0 or input._data.ndim == 0
            or target._backend.lazy):
        return False
    n_classes = input._data.shape[1 if input._data.ndim > 1 else 0]
    if 0 <= ignore_index < n_classes:
        return False
    lo, hi = target._backend.extrema(target._data)
    return lo >= 0 and hi < n_classes


def _softmax_cross_entropy_rows(xp, input, target, reduction):
    """The plain cross-entropy's forward on (M, C) logits and in-range targets: (the rows'
    losses lse - shifted[target], reduced by `reduction`; the softmax). A backend function
    of its own (an override by this name replaces it) so that a GPU backend computes it in
    two launches instead of ten (CuPy's plugin does)."""
    shifted = input - xp.max(input, axis=1, keepdims=True)
    e = xp.exp(shifted)
    total_e = xp.sum(e, axis=1, keepdims=True)
    loss = xp.log(total_e)[:, 0] - shifted[xp.arange(shifted.shape[0]), target]
    if reduction != "none":
        loss = xp.sum(loss) / loss.shape[0] if reduction == "mean" else xp.sum(loss)
    return loss, e / total_e


def _softmax_cross_entropy_rows_grad(xp, probs, target, g, reduction):
    """(softmax - onehot(target)) times the loss's gradient `g` (divided by the rows for
    'mean', one per row for 'none'): the plain cross-entropy's gradient, a backend
    function for the forward's reason."""
    scale = xp.expand_dims(g, axis=1) if reduction == "none" else (
        g / probs.shape[0] if reduction == "mean" else g)
    return (probs - _onehot(xp, target, probs.shape[1], probs.dtype)) * scale


GENERIC_IMPLS["softmax_cross_entropy_rows"] = _softmax_cross_entropy_rows
GENERIC_IMPLS["softmax_cross_entropy_rows_grad"] = _softmax_cross_entropy_rows_grad


def _cross_entropy_forward(xp, input, target, weight, *, ignore_index, reduction, label_smoothing,
                           plain):
    # second output: the probabilities, which the gradient reuses (not differentiable)
    if plain:  # no weights, no ignored rows, no smoothing
        return xp.softmax_cross_entropy_rows(input, target, reduction)
    n_classes = input.shape[1]
    shifted = input - xp.max(input, axis=1, keepdims=True)
    e = xp.exp(shifted)
    total_e = xp.sum(e, axis=1, keepdims=True)
    lse = xp.log(total_e)
    probs = e / total_e
    logp = shifted - lse
    w, safe = _row_weights(xp, target, weight, ignore_index, input.dtype)
    loss = -xp.take_along_axis(logp, xp.expand_dims(safe, axis=1), axis=1)[:, 0] * w
    if label_smoothing:
        # PyTorch: (1 - e) * nll + e / C * (-sum_c w_c log p_c), same denominator.
        per_class = logp if weight is None else logp * weight
        smooth = -xp.sum(per_class, axis=1) * xp.astype(target != ignore_index, input.dtype)
        loss = (1 - label_smoothing) * loss + (label_smoothing / n_classes) * smooth
    return _reduce_raw(xp, loss, w, reduction), probs


def _cross_entropy_grad(xp, g, input, target, weight, ignore_index, reduction, label_smoothing,
                        plain, ans):
    """The fused gradient: softmax - onehot, times each row's weight and share of g. Written
    against `xp`: the backend's arrays in first-order backward (the forward's probabilities
    reused), arraygrad's tensors when the pass records (the probabilities recomputed, so that
    they differentiate again)."""
    g = g[0]  # the loss's gradient; the probabilities (output 1) carry none
    n_classes = input.shape[1]
    recording = grad_enabled()
    p = softmax(input, 1) if recording else ans[1]
    if plain:  # every row weighs 1
        if recording:  # arraygrad's own namespace: the formula, which differentiates again
            return _softmax_cross_entropy_rows_grad(xp, p, target, g, reduction)
        return xp.softmax_cross_entropy_rows_grad(p, target, g, reduction)
    onehot = _onehot(xp, target, n_classes, p.dtype)
    w, _ = _row_weights(xp, target, weight, ignore_index, p.dtype)
    factor = _row_factor(xp, g, w, reduction)
    grad = (p - onehot) * (xp.expand_dims(w, axis=1) * factor)
    if not label_smoothing:
        return grad
    # The smoothing term -sum_c w_c log p_c has gradient p * sum(w) - w, on rows not ignored.
    valid = xp.expand_dims(xp.astype(target != ignore_index, p.dtype), axis=1)
    smooth = p * (float(n_classes) if weight is None else xp.sum(weight)) - (1.0 if weight is None else weight)
    return grad * (1 - label_smoothing) + smooth * (valid * factor * (label_smoothing / n_classes))


_CROSS_ENTROPY = Op("cross_entropy", ("input", "target", "weight"), {
    "input": _cross_entropy_grad, "target": None, "weight": None},
    dtypes="real floating", generic=_cross_entropy_forward, grad_fn="NllLossBackward0", nout=2,
    differentiable_outputs=(True, False), saved_outputs=(1,))  # the gradient reads the probabilities only


def _class_rows(input, target, fname):
    """(input as (M, C), target as (M,), the shape of the elementwise losses) for (C,),
    (N, C) or (N, C, d1, ...) inputs."""
    shape = tuple(input._data.shape)
    if len(shape) == 0:
        raise ShapeError(f"{fname}: input must have shape (C,), (N, C) or (N, C, d1, ...), got ()")
    if len(shape) == 1:  # one unbatched sample
        if target._data.ndim != 0:
            raise ShapeError(f"{fname}: an unbatched input of shape {shape} needs a 0-d target, "
                             f"got shape {tuple(target._data.shape)}")
        return expand_dims(input, axis=0), reshape(target, (1,)), ()
    want = (shape[0],) + shape[2:]
    if tuple(target._data.shape) != want:
        raise ShapeError(f"{fname}: target of shape {tuple(target._data.shape)} does not match "
                         f"input of shape {shape} (expected {want})")
    if len(shape) == 2:
        return input, target, want
    return reshape(moveaxis(input, 1, -1), (-1, shape[1])), reshape(target, (-1,)), want


def _check_class_weight(input, weight, fname, differentiable=False):
    _check_same_dtype(input, weight, fname, "weight")
    if not differentiable and weight is not None and weight._requires_grad and grad_enabled():
        raise RuntimeError(f"{fname}: weight is not differentiable (it only rescales the "
                           "per-class losses); pass weight.detach()")
    c = input._data.shape[1 if input._data.ndim > 1 else 0]
    if weight is not None and tuple(weight._data.shape) != (c,):
        raise ShapeError(f"{fname}: weight must have one entry per class, shape ({c},), "
                         f"got {tuple(weight._data.shape)}")


def _class_loss(op, fname, input, target, weight, reduction, params):
    _check_float(input, fname)
    check_tensor(target, fname, "target")
    _check_reduction(reduction, fname)
    if target._dtype.kind not in "iu":
        raise TypeError(f"{fname}: class-index targets must have an integer dtype, got {target._dtype}")
    rows, t, shape = _class_rows(input, target, fname)
    _check_class_weight(rows, weight, fname)
    if not params.get("plain"):  # plain targets are known to be in range
        _check_targets(t, rows._data.shape[1], params["ignore_index"], fname)
    loss = apply(op, (rows, t, weight), dict(params, reduction=reduction))
    if op.nout > 1:  # cross_entropy's second output, the probabilities, stays internal
        loss = loss[0]
    if reduction == "none" and tuple(loss._data.shape) != shape:
        loss = reshape(loss, shape)
    return loss


def nll_loss(input, target, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
             reduction: str = "mean") -> Tensor:
    """The negative log-likelihood of class-index `target` under log-probabilities `input`
    ((N, C) or (N, C, d1, ...)); 'mean' divides by the total weight of the targets."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_tensor(target, "nll_loss", "target")
    return _class_loss(_NLL, "nll_loss", input, target, weight, reduction,
                       {"ignore_index": int(ignore_index),
                        "plain": _plain_targets(input, target, weight, ignore_index, 0.0)})


def cross_entropy(input, target, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy between the logits `input` ((N, C) or (N, C, d1, ...)) and class-index
    targets, or class probabilities of the input's shape; stable (log-sum-exp), with one
    fused gradient, (softmax - onehot) scaled per row."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueRangeError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    check_tensor(target, "cross_entropy", "target")
    if target._dtype.kind == "f":
        if ignore_index != -100:
            raise RuntimeError("cross_entropy: ignore_index is not supported for floating point target")
        return _soft_cross_entropy(input, target, weight, reduction, float(label_smoothing))
    return _class_loss(_CROSS_ENTROPY, "cross_entropy", input, target, weight, reduction,
                       {"ignore_index": int(ignore_index), "label_smoothing": float(label_smoothing),
                        "plain": _plain_targets(input, target, weight, ignore_index, label_smoothing)})


def _soft_cross_entropy(input, target, weight, reduction, label_smoothing):
    """Cross-entropy against class probabilities ('mean': over the per-sample losses)."""
    _check_float(input, "cross_entropy")
    _check_same_dtype(input, target, "cross_entropy", "target")
    _check_reduction(reduction, "cross_entropy")
    if input._data.ndim == 0 or tuple(target._data.shape) != tuple(input._data.shape):
        raise ShapeError(f"cross_entropy: probability targets must have the input's shape "
                         f"{tuple(input._data.shape)}, got {tuple(target._data.shape)}")
    _check_class_weight(input, weight, "cross_entropy", differentiable=True)  # composed: it differentiates
    axis = 1 if input._data.ndim > 1 else 0
    n_classes = input._data.shape[axis]
    if label_smoothing:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    terms = log_softmax(input, axis) * target
    if weight is not None:
        shape = [1] * input._data.ndim
        shape[axis] = n_classes
        terms = terms * reshape(weight, tuple(shape))
    return _reduce(-_sum(terms, axis=axis), reduction)


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    return mean(loss) if reduction == "mean" else _sum(loss)


def _warn_if_broadcast(fname, input, target, stacklevel=3):
    """PyTorch's warning for an MSE/L1-family target whose shape differs from the input's
    (they broadcast, which is rarely what was meant)."""
    if tuple(target._data.shape) != tuple(input._data.shape):
        warnings.warn(f"{fname}: target size {tuple(target._data.shape)} differs from input size "
                      f"{tuple(input._data.shape)}; they are broadcast, which is likely a mistake",
                      UserWarning, stacklevel=stacklevel)


def _pointwise_loss(fname, input, target, reduction, elementwise, *, weight=None,
                    same_shape=False, complex_ok=False) -> Tensor:
    """elementwise(input, target) [* weight], reduced: the losses comparing two same-shaped
    tensors. Shapes that differ are broadcast with a warning (PyTorch's MSE/L1 family), or
    refused (same_shape: the binary cross-entropies, as PyTorch)."""
    _check_float(input, fname, complex_ok=complex_ok)
    check_tensor(target, fname, "target")
    _check_reduction(reduction, fname)
    if same_shape and tuple(target._data.shape) != tuple(input._data.shape):
        raise ShapeError(f"{fname}: target size {tuple(target._data.shape)} must be the same "
                         f"as input size {tuple(input._data.shape)}")
    _warn_if_broadcast(fname, input, target, stacklevel=4)
    loss = elementwise(input, target)
    if weight is not None:
        check_tensor(weight, fname, "weight")
        loss = loss * weight
    return _reduce(loss, reduction)


def _mse_forward(xp, input, target, *, reduction):
    d = input - target
    loss = d * d
    if reduction == "none":
        return loss
    return xp.mean(loss) if reduction == "mean" else xp.sum(loss)


def _mse_grad(xp, g, input, target, reduction):
    """2 (input - target) times the loss's gradient (one per element for 'none'), over the
    element count for 'mean'; the engine sums what broadcasting added."""
    d = input - target
    if reduction == "mean":
        return d * (g * (2.0 / (math.prod(tuple(d.shape)) or 1)))
    return d * (g * 2.0)


# One node, as PyTorch's (the 60-minute blitz walks loss.grad_fn.next_functions from it)
_MSE = Op("mse_loss", ("input", "target"), {
    "input": _mse_grad, "target": lambda xp, g, input, target, reduction: -_mse_grad(xp, g, input, target, reduction)},
    dtypes="real floating", generic=_mse_forward, broadcasts=True, grad_fn="MseLossBackward0")


def _weighted_loss(fname, input, target, reduction, elementwise, weight, mean_over_weights):
    """elementwise(input, target) * weight (PyTorch 2.13's `weight=` of the MSE/L1/Huber
    losses: one per element); 'mean' divides by the weights' sum (MSE, L1) or the element
    count (Huber), as PyTorch."""
    check_tensor(weight, fname, "weight")
    if tuple(weight.shape) != tuple(input.shape):
        raise ShapeError(f"{fname}: weight must have the input's shape {tuple(input.shape)}, "
                         f"got {tuple(weight.shape)}")
    loss = _pointwise_loss(fname, input, target, "none", elementwise) * weight
    if reduction == "mean" and mean_over_weights:
        return _sum(loss) / _sum(weight)
    return _reduce(loss, reduction)


def _squared_difference(x, y):
    d = x - y
    return d * d


def mse_loss(input, target, size_average=None, reduce=None, reduction: str = "mean", weight=None) -> Tensor:
    """The (mean, summed, or elementwise) squared difference of input and target; with
    `weight` (input's shape), weighted, 'mean' dividing by the weights' sum."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if weight is not None:
        _check_reduction(reduction, "mse_loss")
        return _weighted_loss("mse_loss", input, target, reduction, _squared_difference, weight, True)
    if not (isinstance(input, Tensor) and isinstance(target, Tensor)) or input._dtype is not target._dtype:
        # mixed dtypes promote, as the operators do
        return _pointwise_loss("mse_loss", input, target, reduction, _squared_difference)
    _check_float(input, "mse_loss")
    _check_reduction(reduction, "mse_loss")
    _warn_if_broadcast("mse_loss", input, target)
    return apply(_MSE, (input, target), {"reduction": reduction})


def l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean", weight=None) -> Tensor:
    """The absolute difference |input - target| (its gradient is 0 where they are equal);
    `weight` as mse_loss's."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if weight is not None:
        _check_reduction(reduction, "l1_loss")
        return _weighted_loss("l1_loss", input, target, reduction, lambda x, y: _abs(x - y), weight, True)
    return _pointwise_loss("l1_loss", input, target, reduction, lambda x, y: _abs(x - y), complex_ok=True)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d**2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target); beta = 0
    is the L1 loss."""
    if beta < 0:
        raise ValueRangeError(f"smooth_l1_loss: beta must be non-negative, got {beta}")

    def smooth(x, y):
        a = _abs(x - y)
        if beta == 0:
            return a
        return _where(a < beta, (0.5 / beta) * a * a, a - 0.5 * beta)

    return _pointwise_loss("smooth_l1_loss", input, target,
                           legacy_reduction(size_average, reduce, reduction), smooth)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0, weight=None) -> Tensor:
    """0.5 d**2 where |d| <= delta, else delta (|d| - 0.5 delta): smooth_l1_loss times delta.
    With `weight` (input's shape), weighted ('mean': over the elements, as PyTorch)."""
    if not delta > 0:
        raise ValueRangeError(f"huber_loss: delta must be positive, got {delta}")

    def huber(x, y):
        a = _abs(x - y)
        return _where(a <= delta, 0.5 * a * a, delta * (a - 0.5 * delta))

    if weight is not None:
        _check_reduction(reduction, "huber_loss")
        return _weighted_loss("huber_loss", input, target, reduction, huber, weight, False)
    return _pointwise_loss("huber_loss", input, target, reduction, huber)


def _clamp_min(x, low):
    """max(x, low) with clamp_min's gradient: all of it at the tie (maximum would split it)."""
    return _clip(x, low, None)


def kl_div(input, target, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """target * (log(target) - input), input holding log-probabilities (target too with
    log_target); 0 where target is 0. 'batchmean' divides the sum by the batch size."""
    legacy = size_average is not None or reduce is not None
    reduction = legacy_reduction(size_average, reduce, reduction)
    if reduction == "mean" and not legacy:
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      UserWarning, stacklevel=2)
    _check_float(input, "kl_div")
    _check_float(target, "kl_div", "target")
    if reduction != "batchmean":
        _check_reduction(reduction, "kl_div")
    if log_target:
        loss = _exp(target) * (target - input)
    else:  # xlogy(t, t): the log sees 1 where t is 0, so neither value nor gradient is NaN;
        # a negative target is no probability: NaN, as PyTorch's (not a silent finite loss)
        pos = target > 0
        entropy = _where(pos, target * _log(_where(pos, target, 1.0)), _where(target < 0, math.nan, 0.0))
        loss = entropy - target * input
    if reduction != "batchmean":
        return _reduce(loss, reduction)
    total = _sum(loss)
    return total / input.shape[0] if input.ndim else total


def _check_ndims(fname, names, tensors, allowed):
    """Each tensor floating, and all of one rank among `allowed`."""
    for name, t in zip(names, tensors):
        _check_float(t, fname, name)
    ranks = [t.ndim for t in tensors]
    if len(set(ranks)) != 1 or ranks[0] not in allowed:
        shapes = ", ".join(f"{n} {tuple(t.shape)}" for n, t in zip(names, tensors))
        raise RuntimeError(f"{fname}: expected {' or '.join(map(str, allowed))}-D inputs of one rank, got {shapes}")


def cosine_embedding_loss(input1, input2, target, margin: float = 0, size_average=None, reduce=None,
                          reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where it is -1 (rows of
    (N, D) inputs, or one (D,) pair with a 0-d target)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "cosine_embedding_loss")
    _check_ndims("cosine_embedding_loss", ("input1", "input2"), (input1, input2), (1, 2))
    check_tensor(target, "cosine_embedding_loss", "target")
    if tuple(input1.shape) != tuple(input2.shape) or target.ndim != input1.ndim - 1:
        raise RuntimeError(f"cosine_embedding_loss: input1 {tuple(input1.shape)} and input2 {tuple(input2.shape)} "
                           f"must have one shape and target {tuple(target.shape)} one dimension less")
    axis = input1.ndim - 1
    eps = 1e-12  # PyTorch's: on the squared norms, so that zero rows give cos = 0
    cos = _sum(input1 * input2, axis=axis) / _sqrt(
        (_sum(input1 * input1, axis=axis) + eps) * (_sum(input2 * input2, axis=axis) + eps))
    loss = _where(target == 1, 1 - cos, 0.0) + _where(target == -1, _clamp_min(cos - margin, 0.0), 0.0)
    return _reduce(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin: float = 0, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    """max(0, -target * (input1 - input2) + margin): target 1 ranks input1 higher, -1 input2."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "margin_ranking_loss")
    _check_float(input1, "margin_ranking_loss", "input1")
    _check_float(input2, "margin_ranking_loss", "input2")
    check_tensor(target, "margin_ranking_loss", "target")
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(f"margin_ranking_loss: all input tensors should have the same dimension, got shapes "
                           f"{tuple(input1.shape)}, {tuple(input2.shape)} and {tuple(target.shape)}")
    return _reduce(_clamp_min(-target * (input1 - input2) + margin, 0.0), reduction)


def hinge_embedding_loss(input, target, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """input where target is 1, max(0, margin - input) where it is -1 (input: distances)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "hinge_embedding_loss")
    _check_float(input, "hinge_embedding_loss")
    check_tensor(target, "hinge_embedding_loss", "target")
    loss = _where(target != 1, _clamp_min(margin - input, 0.0), 0.0) + _where(target != -1, input, 0.0)
    return _reduce(loss, reduction)


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p along the last axis (broadcast)."""
    _check_float(x1, "pairwise_distance", "x1", complex_ok=True)
    _check_float(x2, "pairwise_distance", "x2", complex_ok=True)
    from ..linalg import vector_norm

    d = x1 - x2 + eps
    if d.ndim == 0:
        return _abs(d)
    return vector_norm(d, ord=p, axis=-1, keepdims=keepdim)


def pdist(input, p: float = 2.0) -> Tensor:
    """The p-norm distances between the rows of an (N, M) input, each pair i < j once, in row
    order: N (N - 1) / 2 values (PyTorch's `pdist`)."""
    check_tensor(input, "pdist")
    if input.ndim != 2:
        raise RuntimeError(f"pdist: only supports 2D tensors, got: {input.ndim}D (shape {tuple(input.shape)})")
    if input._dtype.kind != "f":
        raise RuntimeError(f"pdist: only supports floating-point dtypes, got {input._dtype}")
    if p < 0:
        raise RuntimeError(f"pdist: only supports non-negative p values, got p={p}")
    from ..linalg import vector_norm

    n = input.shape[0]
    rows = [i for i in range(n) for _ in range(i + 1, n)]
    cols = [j for i in range(n) for j in range(i + 1, n)]
    if not rows:
        return _ag.zeros((0,), dtype=input.dtype, device=input.device)
    idx = _ag.asarray([rows, cols], dtype=_ag.int64, device=input.device)
    d = _ag.take(input, idx[0], axis=0) - _ag.take(input, idx[1], axis=0)
    return vector_norm(d, ord=p, axis=-1)


def triplet_margin_loss(anchor, positive, negative, margin: float = 1.0, p: float = 2, eps: float = 1e-6,
                        swap: bool = False, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, d(a, p) - d(a, n) + margin), d the pairwise p-distance; swap also tries d(p, n)
    for the negative distance (the smaller wins)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "triplet_margin_loss")
    if margin <= 0:
        raise ValueError(f"triplet_margin_loss: margin must be greater than 0, got {margin}")
    _check_ndims("triplet_margin_loss", ("anchor", "positive", "negative"), (anchor, positive, negative), (1, 2))
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = _minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce(_clamp_min(margin + d_pos - d_neg, 0.0), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> Tensor:
    """max(0, d(a, p) - d(a, n) + margin) for any distance function `d` (default:
    pairwise_distance); swap also tries d(p, n) for the negative distance (the smaller wins)."""
    fname = "triplet_margin_with_distance_loss"
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{fname}: {reduction} is not a valid value for reduction (one of {_REDUCTIONS})")
    if margin <= 0:
        raise ValueError(f"{fname}: margin must be greater than 0, got {margin}")
    for name, t in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        check_tensor(t, fname, name)
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(f"{fname}: The anchor, positive, and negative tensors are expected to have the same "
                           f"number of dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, "
                           f"and negative {negative.ndim}D inputs")
    if distance_function is None:
        distance_function = pairwise_distance
    elif not callable(distance_function):
        raise TypeError(f"{fname}: distance_function must be callable, got {type(distance_function).__name__}")
    d_pos = distance_function(anchor, positive)
    d_neg = distance_function(anchor, negative)
    if swap:
        d_neg = _minimum(d_neg, distance_function(positive, negative))
    return _reduce(_clamp_min(margin + d_pos - d_neg, 0.0), reduction)


def poisson_nll_loss(input, target, log_input: bool = True, full: bool = False, size_average=None,
                     eps: float = 1e-8, reduce=None, reduction: str = "mean") -> Tensor:
    """The Poisson negative log-likelihood: exp(input) - target * input for log-rates
    (log_input), else input - target * log(input + eps); full adds Stirling's approximation of
    log(target!) where target > 1."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "poisson_nll_loss")
    _check_float(input, "poisson_nll_loss")
    _check_float(target, "poisson_nll_loss", "target")
    loss = _exp(input) - target * input if log_input else input - target * _log(input + eps)
    if full:
        big = target > 1
        t = _where(big, target, 2.0)  # the masked side sees 2: no log of 0 in either pass
        loss = loss + _where(big, t * _log(t) - t + 0.5 * _log(2 * math.pi * t), 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """0.5 (log(var) + (input - target)^2 / var) [+ 0.5 log(2 pi) with full]; var (clamped to
    eps, the gradient passing through as PyTorch's) has input's shape, or one axis of size 1
    or missing last (one variance shared along it). A negative entry of var is refused, as
    PyTorch does (on lazy backends, where that check would compute the data, clamped)."""
    _check_float(input, "gaussian_nll_loss")
    _check_float(target, "gaussian_nll_loss", "target")
    if isinstance(var, (int, float)) and not isinstance(var, bool):
        if var < 0:
            raise ValueError("gaussian_nll_loss: var has negative entry/entries")
        var = _ag.full(tuple(input.shape), float(var), dtype=input.dtype, device=input.device)
    _check_float(var, "gaussian_nll_loss", "var")
    if not var._backend.lazy and bool(_any(var < 0)):  # PyTorch's check (lazy arrays: clamped)
        raise ValueError("gaussian_nll_loss: var has negative entry/entries")
    shape, vshape = tuple(input.shape), tuple(var.shape)
    if vshape != shape:
        if shape[:-1] == vshape:
            var = expand_dims(var, axis=-1)
        elif not (len(vshape) == len(shape) and sum(v for i, v in zip(shape, vshape) if i != v) == 1):
            raise ShapeError(f"gaussian_nll_loss: var is of incorrect size: {vshape} for input of shape {shape}")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"gaussian_nll_loss: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    var = var + (_clip(var, eps, None) - var).detach()  # clamped values, identity gradient
    d = input - target
    loss = 0.5 * (_log(var) + d * d / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction: str = "mean") -> Tensor:
    """The mean over classes (last axis) of the binary cross-entropy of sigmoid(input) with
    0/1 targets, each class's term scaled by `weight`."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "multilabel_soft_margin_loss")
    _check_float(input, "multilabel_soft_margin_loss")
    check_tensor(target, "multilabel_soft_margin_loss", "target")
    if input.ndim == 0:
        raise RuntimeError("multilabel_soft_margin_loss: input must have a class axis, got a 0-d tensor")
    loss = target * _softplus_unit(-input) + (1 - target) * _softplus_unit(input)  # -log sigmoid(+-x)
    if weight is not None:
        _check_same_dtype(input, weight, "multilabel_soft_margin_loss", "weight")
        loss = loss * weight
    return _reduce(_sum(loss, axis=-1) / input.shape[-1], reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """log(1 + exp(-target * input)), elementwise (targets 1 or -1), reduced."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "soft_margin_loss")
    _check_float(input, "soft_margin_loss")
    check_tensor(target, "soft_margin_loss", "target")
    return _reduce(_softplus_unit(-target * input), reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """The multi-class multi-label hinge loss: per sample, the sum over its target classes j
    and its other classes i of max(0, 1 - (x[j] - x[i])), divided by the number of classes.
    `target` (int64, input's shape) lists the target classes first, ended by the first -1."""
    fname = "multilabel_margin_loss"
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, fname)
    _check_float(input, fname)
    check_tensor(target, fname, "target")
    if target._dtype is not _ag.int64:
        raise RuntimeError(f"{fname}: expected target of scalar type int64 (Long), but found {target._dtype}")
    if input.ndim > 2 or (input.ndim == 2 and input.shape[1] == 0) or (input.ndim == 1 and input.shape[0] == 0):
        raise RuntimeError(f"{fname}: Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{tuple(input.shape)}")
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"{fname}: inconsistent target size: {tuple(target.shape)} for input of size: "
                           f"{tuple(input.shape)}")
    unbatched = input.ndim < 2
    x = reshape(input, (1, -1)) if unbatched else input
    t = reshape(target, (1, -1)) if unbatched else target
    c = x.shape[1]
    valid = _ag.cumulative_sum(astype(t < 0, _ag.int64), axis=1) == 0  # the targets before the first -1
    tc = _where(valid, t, 0)
    classes = _ag.arange(c, dtype=_ag.int64, device=t.device)
    is_target = _any(expand_dims(valid, axis=2) & (expand_dims(tc, axis=2) == classes), axis=1)  # (N, C)
    z = 1 - (expand_dims(take_along_axis(x, tc, axis=1), axis=2) - expand_dims(x, axis=1))  # (N, J, C)
    pair = expand_dims(valid, axis=2) & expand_dims(~is_target, axis=1)
    loss = _sum(_where(pair & (z > 0), z, 0.0), axis=(1, 2)) / c  # gradient 0 at z = 0, as PyTorch
    return _reduce(reshape(loss, ()) if unbatched else loss, reduction)


def multi_margin_loss(input, target, p: int = 1, margin: float = 1.0, weight=None, size_average=None,
                      reduce=None, reduction: str = "mean") -> Tensor:
    """The multi-class hinge loss: per sample, the sum over classes i != y of
    max(0, margin - x[y] + x[i])^p (times weight[y]), divided by the number of classes."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "multi_margin_loss")
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: only p == 1 and p == 2 supported, got {p!r}")
    _check_float(input, "multi_margin_loss")
    check_tensor(target, "multi_margin_loss", "target")
    if target._dtype.kind not in "iu":
        raise TypeError(f"multi_margin_loss: target must hold class indices (an integer dtype), got {target._dtype}")
    if input.ndim not in (1, 2) or target.ndim > 1 or target._data.size != (input.shape[0] if input.ndim == 2 else 1):
        raise RuntimeError(f"multi_margin_loss: inconsistent target size {tuple(target.shape)} for input of "
                           f"size {tuple(input.shape)} (expected (N, C) input and (N,) target, or (C,) and 0-d)")
    unbatched = input.ndim < 2
    x = reshape(input, (1, -1)) if unbatched else input
    t = reshape(target, (-1, 1))
    c = x.shape[1]
    if weight is not None:
        _check_same_dtype(input, weight, "multi_margin_loss", "weight")
        if weight.ndim != 1:
            raise ShapeError(f"multi_margin_loss: weight must be one-dimensional, got shape {tuple(weight.shape)}")
    z = margin - take_along_axis(x, t, axis=1) + x
    other = t != _ag.arange(c, dtype=t.dtype, device=t.device)  # the target's own class adds nothing
    terms = _where(other & (z > 0), z, 0.0)  # PyTorch's gradient at z = 0 is 0: strict >
    if p == 2:
        terms = terms * terms
    if weight is not None:
        terms = terms * expand_dims(_ag.take(weight, reshape(target, (-1,)), axis=0), axis=1)
    loss = _sum(terms, axis=1) / c
    return _reduce(reshape(loss, ()) if unbatched else loss, reduction)


def _clamped_log(xp, p):
    """max(log(p), -100) without a log of 0 (no warning): 1e-45 is below e**-100 and above
    0 in float32 and float64."""
    return xp.maximum(xp.log(xp.maximum(p, 1e-45)), -100.0)


def _bce_forward(xp, input, target):
    return -(target * _clamped_log(xp, input) + (1 - target) * _clamped_log(xp, 1 - input))


# PyTorch's derivatives: finite at probabilities of exactly 0 and 1 (the clamped logs'
# derivatives would give 0 * inf there)
_BCE = Op("binary_cross_entropy", ("input", "target"), {
    "input": lambda xp, g, input, target: g * (input - target) / xp.maximum(input * (1 - input), 1e-12),
    "target": lambda xp, g, input: g * (xp.log1p(-input) - xp.log(input))},
    dtypes="real floating", generic=_bce_forward, grad_fn="BinaryCrossEntropyBackward0")


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """-(target log(input) + (1 - target) log(1 - input)) for probabilities `input`; each log
    is clamped at -100, as PyTorch's, so a 0 or 1 probability gives a finite loss."""
    def bce(x, y):
        if bool(_any((x < 0) | (x > 1))):  # PyTorch checks too: a log of it would be NaN
            raise ValueRangeError("binary_cross_entropy: all elements of input should be between 0 and 1")
        _check_same_dtype(x, y, "binary_cross_entropy", "target")
        return apply(_BCE, (x, y))

    return _pointwise_loss("binary_cross_entropy", input, target,
                           legacy_reduction(size_average, reduce, reduction), bce, weight=weight,
                           same_shape=True)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction: str = "mean", pos_weight=None) -> Tensor:
    """binary_cross_entropy(sigmoid(input), target), computed from the logits without
    overflow; `pos_weight` scales the positive term (one entry per class, broadcast)."""
    def bce_logits(x, y):
        log_sig = _softplus_unit(-x)  # -log(sigmoid(x)), finite for every x
        if pos_weight is None:
            return (1 - y) * x + log_sig
        check_tensor(pos_weight, "binary_cross_entropy_with_logits", "pos_weight")
        return (1 - y) * x + (1 + (pos_weight - 1) * y) * log_sig

    return _pointwise_loss("binary_cross_entropy_with_logits", input, target,
                           legacy_reduction(size_average, reduce, reduction), bce_logits,
                           weight=weight, same_shape=True)


# ----------------------------------------------------------------------------------------
# Dropout, batch normalization
# ----------------------------------------------------------------------------------------
def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1 / (1 - p) (training);
    the identity otherwise. `inplace` writes the result into `input`."""
    check_tensor(input, "dropout")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return input
    if inplace:
        from .._inplace import inplace_apply

        return inplace_apply(input, lambda x: dropout(x, p, training), "dropout_")
    if p == 1.0:
        return input * zeros_like(input)
    keep = astype(rand_like(input) >= p, input._dtype)
    return input * (keep * (1.0 / (1.0 - p)))


def _embedding_renorm_(weight, flat, max_norm: float, norm_type: float) -> None:
    """PyTorch's embedding_renorm_: the rows of `weight` that `flat` picks and whose
    norm_type-norm exceeds max_norm are scaled (in place, outside the graph) to
    max_norm / (norm + 1e-7) of themselves."""
    from .._autograd.grad_mode import no_grad

    with no_grad():
        w = weight.detach()
        rows = _ag.take(w, flat, axis=0)
        a = _abs(rows)
        if norm_type == float("inf"):
            norms = _ag.max(a, axis=1)
        elif norm_type == 0:
            norms = _sum(astype(a != 0, rows.dtype), axis=1)
        else:
            norms = _sum(a ** norm_type, axis=1) ** (1.0 / norm_type)
        scale = _where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        weight[flat] = rows * expand_dims(astype(scale, rows.dtype), axis=1)


def padding_index(fname, padding_idx, n):
    """`padding_idx` (None, or a row of an n-row table, negative from the end) as a row
    number; ValueError outside the table (the embeddings' check, function and module)."""
    if padding_idx is None:
        return None
    if not -n <= padding_idx < n:
        raise ValueError(f"{fname}: padding_idx must be within num_embeddings ({n}), got {padding_idx}")
    return padding_idx % n


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of `weight` picked by the integer indices `input` (any shape): the result has
    shape input.shape + (embedding_dim,). Rows at `padding_idx` get no gradient. max_norm
    first renormalizes the picked rows of `weight` in place (as PyTorch); scale_grad_by_freq
    divides each row's gradient by how often the batch picks it."""
    check_tensor(input, "embedding", "input")
    check_tensor(weight, "embedding", "weight")
    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not supported")
    if input._dtype.kind not in "iu":
        raise TypeError(f"embedding: input must hold integer indices, got {input._dtype}")
    if weight._data.ndim != 2:
        raise ShapeError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape "
                         f"{tuple(weight._data.shape)}")
    n = weight._data.shape[0]
    padding_idx = padding_index("embedding", padding_idx, n)
    flat = reshape(input, (-1,))
    if flat._data.size and not flat._backend.lazy:  # PyTorch checks too (see Backend.lazy)
        lo, hi = flat._backend.extrema(flat._data)
        if lo < 0 or hi >= n:
            raise IndexRangeError(f"embedding: index out of range: indices must be in [0, {n})")
    if max_norm is not None:
        _embedding_renorm_(weight, flat, float(max_norm), float(norm_type))
    rows = _ag.take(weight, flat, axis=0)
    keep = None
    if padding_idx is not None:
        keep = expand_dims(astype(flat != padding_idx, weight._dtype), axis=1)
    if scale_grad_by_freq and flat._data.size:
        # a picked row's gradient is divided by its count: the values stay the rows'
        counts = _ag.take(_ag.bincount(flat, minlength=n), flat, axis=0)
        inv = expand_dims(astype(1.0 / astype(counts, weight._dtype), weight._dtype), axis=1)
        keep = inv if keep is None else keep * inv
    if keep is not None:
        rows = rows * keep + _ag.take(weight.detach(), flat, axis=0) * (1 - keep)  # same values
    return reshape(rows, tuple(input._data.shape) + (weight._data.shape[1],))


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type: float = 2, scale_grad_by_freq: bool = False,
                  mode: str = "mean", sparse: bool = False, per_sample_weights=None, include_last_offset: bool = False,
                  padding_idx=None) -> Tensor:
    """The sum, mean or max of bags of embedding rows, (B, embedding_dim): each row of 2-D
    `input` is a bag, or 1-D `input` is cut into bags at `offsets` (include_last_offset:
    offsets also holds the end). per_sample_weights (mode='sum') scales each row; entries equal
    to padding_idx are left out; empty bags give zeros. The bags become a (B, n) selection
    matrix built without reading the offsets (one matrix product; max takes a masked max)."""
    fname = "embedding_bag"
    check_tensor(input, fname, "input")
    check_tensor(weight, fname, "weight")
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"{fname}: mode has to be one of sum, mean or max, got {mode!r}")
    if sparse:
        raise NotImplementedError(f"{fname}: sparse gradients are not supported")
    if scale_grad_by_freq and mode == "max":
        raise ValueError(f"{fname}: max mode does not support scaling the gradient by the frequency")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"{fname}: per_sample_weights was not None. per_sample_weights is only supported "
                                  f"for mode='sum' (got mode={mode!r}).")
    if input._dtype.kind not in "iu":
        raise TypeError(f"{fname}: input must hold integer indices, got {input._dtype}")
    if weight._data.ndim != 2:
        raise ShapeError(f"{fname}: weight must be 2-D (num_embeddings, embedding_dim), got shape "
                         f"{tuple(weight._data.shape)}")
    num, dim = weight._data.shape
    if input._data.ndim == 2:
        if offsets is not None:
            raise ValueError(f"{fname}: if input is 2D, then offsets has to be None, as input is treated as a "
                             "mini-batch of fixed length sequences")
        bags, length = input._data.shape
        flat = reshape(input, (-1,))
        seg = _ag.arange(bags * length, device=input.device) // max(length, 1)
    elif input._data.ndim == 1:
        if offsets is None or offsets.ndim != 1:
            raise ShapeError(f"{fname}: offsets has to be a 1D Tensor but got "
                             f"{None if offsets is None else tuple(offsets.shape)}")
        check_tensor(offsets, fname, "offsets")
        if offsets.shape[0] and not offsets._backend.lazy:  # PyTorch's checks (reads two values)
            first, last = int(offsets[0]), int(offsets[-1])
            if first != 0:
                raise ValueError(f"{fname}: offsets[0] has to be 0 (the first bag starts at position 0), got {first}")
            if last > input.shape[0]:
                raise ValueError(f"{fname}: offsets[-1] can not be greater than input's length "
                                 f"({input.shape[0]}), got {last}")
        starts = offsets[:-1] if include_last_offset else offsets
        bags = starts.shape[0]
        flat = input
        pos = _ag.arange(flat.shape[0], dtype=starts._dtype, device=input.device)
        # the last bag runs to the end of input (include_last_offset's final offset, which should be
        # len(input), is not read: as PyTorch's CPU kernel)
        seg = _sum(astype(expand_dims(starts, axis=0) <= expand_dims(pos, axis=1), _ag.int64), axis=1) - 1
    else:
        raise ShapeError(f"{fname}: input has to be 1D or 2D Tensor, but got Tensor of dimension {input._data.ndim}")
    if per_sample_weights is not None:
        _check_same_dtype(weight, per_sample_weights, fname, "per_sample_weights")
        if tuple(per_sample_weights._data.shape) != tuple(input._data.shape):
            raise ShapeError(f"{fname}: per_sample_weights must have the input's shape {tuple(input._data.shape)}, "
                             f"got {tuple(per_sample_weights._data.shape)}")
    # (n, D), with the index check; max_norm renormalizes the picked rows of weight first
    rows = embedding(flat, weight, None, max_norm, norm_type, bool(scale_grad_by_freq))
    member = expand_dims(seg, axis=0) == expand_dims(_ag.arange(bags, dtype=seg._dtype, device=input.device),
                                                     axis=1)  # (B, n)
    padding_idx = padding_index(fname, padding_idx, num)
    if padding_idx is not None:
        member = member & expand_dims(flat != padding_idx, axis=0)
    if mode == "max":
        masked = _where(expand_dims(member, axis=-1), expand_dims(rows, axis=0), -math.inf)
        # the first of tied maxima takes the gradient, as PyTorch's kernel (max would split it)
        first = argmax(masked.detach(), axis=1, keepdims=True)
        best = take_along_axis(masked, first, axis=1)[:, 0]
        return _where(_any(member, axis=1, keepdims=True), best, 0.0)
    sel = astype(member, weight._dtype)
    if per_sample_weights is not None:
        sel = sel * expand_dims(reshape(per_sample_weights, (-1,)), axis=0)
    out = matmul(sel, rows)
    if mode == "mean":
        count = _sum(astype(member, weight._dtype), axis=1, keepdims=True)
        out = out / _maximum(count, 1.0)
    return out


def _upcast_half(xp, x):
    """float16 as float32 for a norm's statistics, as PyTorch computes them: the squared
    deviations overflow float16 from |x - mean| ~ 256 (the output came out all zeros)."""
    half = getattr(xp, "float16", None)  # a namespace may have none (array-api-strict)
    return xp.astype(x, xp.float32) if half is not None and x.dtype == half else x


def _layer_norm_stats(xp, x, axes, eps):
    """(x normalized over `axes`, 1 / its standard deviation there; float32 for float16)."""
    x = _upcast_half(xp, x)
    xhat = x - xp.mean(x, axis=axes, keepdims=True)
    rstd = 1 / xp.sqrt(xp.mean(xhat * xhat, axis=axes, keepdims=True) + eps)
    if getattr(xp, "__mutable_arrays__", False):
        xhat *= rstd  # a fresh array this op owns
        return xhat, rstd
    return xhat * rstd, rstd


def _layer_norm_forward(xp, x, weight, bias, *, axes, eps):
    """(the output, then for the gradient: x normalized, before weight and bias, and 1 / std
    per row), so that backward needs no pass to recompute them."""
    xhat, rstd = _layer_norm_stats(xp, x, axes, eps)
    if weight is None and bias is None:
        # a copy: an in-place write to the output must not reach xhat
        return (xhat * 1 if xhat.dtype == x.dtype else xp.astype(xhat, x.dtype)), xhat, rstd
    out = xhat + bias if weight is None else xhat * weight
    if weight is not None and bias is not None:
        if getattr(xp, "__mutable_arrays__", False):
            out += bias  # the product is fresh
        else:
            out = out + bias
    return (out if out.dtype == x.dtype else xp.astype(out, x.dtype)), xhat, rstd


def _layer_norm_grads(xp, g, x, weight, ans, axes, eps, needs_grad):
    """dx = rstd (gy - mean(gy) - xhat mean(gy xhat)) over the normalized axes, gy = g weight:
    from the saved xhat and rstd on raw arrays in first-order backward; recomputed from x when
    recording, so that they differentiate too. float16 in float32, as the forward."""
    g = _upcast_half(xp, g[0])
    xhat, rstd = _layer_norm_stats(xp, x, axes, eps) if grad_enabled() else ans[1:]
    lead = tuple(range(x.ndim - len(axes)))
    g_xhat = g * xhat if needs_grad[0] or needs_grad[1] else None
    gw = xp.sum(g_xhat, axis=lead) if needs_grad[1] else None
    gb = xp.sum(g, axis=lead) if needs_grad[2] else None
    gx = None
    if needs_grad[0]:
        gy = g
        if weight is not None:
            gy = g * weight
            g_xhat = g_xhat * weight
        gx = gy - xp.mean(gy, axis=axes, keepdims=True)
        proj = xhat * xp.mean(g_xhat, axis=axes, keepdims=True)
        if getattr(xp, "__mutable_arrays__", False):  # gx is fresh (g itself is never written)
            gx -= proj
            gx *= rstd
        else:
            gx = (gx - proj) * rstd
    return gx, gw, gb


_LAYER_NORM = Op("layer_norm", ("x", "weight", "bias"), {("x", "weight", "bias"): _layer_norm_grads},
                 dtypes="real floating", generic=_layer_norm_forward, grad_fn="NativeLayerNormBackward0",
                 nout=3, differentiable_outputs=(True, False, False), saved_outputs=(1, 2))


def _normalized_shape(normalized_shape, fname) -> tuple:
    """layer_norm's and rms_norm's normalized_shape (an int or a sequence of ints) as a tuple."""
    if isinstance(normalized_shape, int) or hasattr(normalized_shape, "__index__"):
        return (int_arg(normalized_shape, fname, "normalized_shape"),)
    return tuple(int_list(normalized_shape, fname, "normalized_shape"))


def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    """Normalize over the last len(normalized_shape) axes (mean 0, biased variance 1, then
    eps), then scale by `weight` and shift by `bias` (both of normalized_shape)."""
    _check_float(input, "layer_norm")
    shape = _normalized_shape(normalized_shape, "layer_norm")
    k = len(shape)
    if k == 0 or tuple(input._data.shape[input._data.ndim - k:]) != shape:
        raise ShapeError(f"layer_norm: normalized_shape {shape} must be the last axes of the input's "
                         f"shape {tuple(input._data.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None:
            _check_same_dtype(input, t, "layer_norm", name)
            if tuple(t._data.shape) != shape:
                raise ShapeError(f"layer_norm: {name} must have shape {shape}, got {tuple(t._data.shape)}")
    out, _, _ = apply(_LAYER_NORM, (input, weight, bias), {"axes": tuple(range(-k, 0)), "eps": float(eps)})
    return out


def rms_norm(input, normalized_shape, weight=None, eps=None) -> Tensor:
    """x / sqrt(mean(x^2 over the last len(normalized_shape) axes) + eps), times `weight`;
    eps=None is the machine epsilon of input's dtype (PyTorch's)."""
    _check_float(input, "rms_norm")
    shape = _normalized_shape(normalized_shape, "rms_norm")
    k = len(shape)
    if k == 0 or tuple(input._data.shape[input._data.ndim - k:]) != shape:
        raise ShapeError(f"rms_norm: normalized_shape {shape} must be the last axes of the input's "
                         f"shape {tuple(input._data.shape)}")
    if weight is not None:
        check_tensor(weight, "rms_norm", "weight")  # of any floating dtype: the output keeps input's
        if tuple(weight._data.shape) != shape:
            raise ShapeError(f"rms_norm: weight must have shape {shape}, got {tuple(weight._data.shape)}")
    if eps is None:
        eps = _ag.finfo(input.dtype).eps
    axes = tuple(range(-k, 0))
    x = _upcast_half(_ag, input)  # PyTorch's float32 statistics
    out = x * rsqrt(mean(x * x, axis=axes, keepdims=True) + eps)
    if weight is not None:
        out = out * (weight if weight._dtype is x._dtype else weight.astype(x._dtype))
    return out if x is input else out.astype(input._dtype)


def one_hot(tensor, num_classes: int = -1) -> Tensor:
    """(..., num_classes) int64 rows with a 1 at each index of `tensor` (num_classes = -1:
    one more than the largest index)."""
    check_tensor(tensor, "one_hot", "tensor")
    if tensor._dtype.kind not in "iu":
        raise TypeError(f"one_hot: tensor must hold class indices (an integer dtype), got {tensor._dtype}")
    if num_classes == -1:
        if tensor._data.size == 0:
            raise RuntimeError("one_hot: cannot infer the number of classes from an empty tensor")
        num_classes = int(_ag.max(tensor)) + 1
    if tensor._data.size and not tensor._backend.lazy:  # see Backend.lazy
        lo, hi = tensor._backend.extrema(tensor._data)
        if lo < 0 or hi >= num_classes:
            raise RuntimeError(f"one_hot: class values must be in [0, {num_classes})")
    classes = _ag.arange(num_classes, dtype=tensor._dtype, device=tensor.device)
    return astype(expand_dims(tensor, axis=-1) == classes, _ag.int64)


def _bin_means(n_in: int, n_out: int, like):
    """(n_out, n_in) matrix averaging each adaptive-pooling bin: bin i spans
    [floor(i n_in / n_out), ceil((i + 1) n_in / n_out)), as PyTorch's."""
    rows = []
    for i in range(n_out):
        lo, hi = (i * n_in) // n_out, -(-((i + 1) * n_in) // n_out)
        rows.append([1.0 / (hi - lo) if lo <= j < hi else 0.0 for j in range(n_in)])
    return _ag.asarray(rows, dtype=like.dtype, device=like.device)


def _adaptive_avg_pool(fname, nd, input, output_size):
    """The mean over each of output_size bins of the last nd axes (None keeps a size)."""
    _check_float(input, fname)
    if input.ndim not in (nd + 1, nd + 2):
        raise ShapeError(f"{fname}: expected {nd + 1}-D or {nd + 2}-D input, got shape {tuple(input.shape)}")
    shape = tuple(input.shape)
    sizes, lead = shape[-nd:], shape[:-nd]
    out_sizes = _adaptive_size(fname, output_size, sizes)
    if 0 in out_sizes:
        return _no_bins(input, lead + out_sizes)
    if all(i % o == 0 for i, o in zip(sizes, out_sizes)):  # equal bins: a reshape and a mean
        split = sum(((o, i // o) for i, o in zip(sizes, out_sizes)), ())
        return mean(reshape(input, lead + split), axis=tuple(range(1 - 2 * nd, 0, 2)))
    # bins of two sizes (overlapping where they must): separable averaging matrices, one per
    # axis; an axis before the last as the rows of a (..., n_in, rest) matrix
    out = input
    for k in range(nd, 0, -1):  # axis -k
        n_in, n_out = sizes[-k], out_sizes[-k]
        if n_in == n_out:
            continue
        bins = _bin_means(n_in, n_out, input)
        if k == 1:
            out = matmul(out, matrix_transpose(bins))
        elif k == 2:
            out = matmul(bins, out)
        else:
            now = tuple(out.shape)
            out = reshape(matmul(bins, reshape(out, now[:-k] + (n_in, -1))), now[:-k] + (n_out,) + now[1 - k:])
    return out


def adaptive_avg_pool2d(input, output_size) -> Tensor:
    """The mean over each of output_size bins of the last two axes (None keeps a size)."""
    return _adaptive_avg_pool("adaptive_avg_pool2d", 2, input, output_size)


def adaptive_avg_pool3d(input, output_size) -> Tensor:
    """The mean over each of output_size bins of the last three axes of (N, C, D, H, W) or
    (C, D, H, W) input (None keeps a size)."""
    return _adaptive_avg_pool("adaptive_avg_pool3d", 3, input, output_size)


def _cubic_weights(t: float, a: float = -0.75) -> tuple:
    """The four cubic-convolution weights (Keys, A = -0.75, as PyTorch's) of the samples at
    floor(src) - 1 .. floor(src) + 2, t = src - floor(src)."""
    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return far(t + 1), near(t), near(1 - t), far(2 - t)


def _nearest_source(o: int, n_in: int, ratio: float, exact: bool, single: bool) -> int:
    """The input index output `o` copies in the nearest modes, as PyTorch's CPU kernels
    compute it: in float32 for float32 (and narrower) input, in double otherwise, the result
    rounded to float32 before the floor (floorf), so that the index lands where theirs does
    (in double throughout, 46 float32 samples from 26 took index 12 at output 23, not 13)."""
    r = _f32 if single else float
    scale = r(ratio)
    if exact:  # the half-pixel source coordinate, clamped at 0, rounded half up
        src = max(r(scale * (o + 0.5) - 0.5), 0.0)  # one rounding: their build fuses the multiply-add
        return min(int(math.floor(_f32(src + 0.5))), n_in - 1)
    return min(int(math.floor(_f32(r(scale * o)))), n_in - 1)


def _f32(v) -> float:
    """v rounded to the nearest float32 (as a Python float, which holds it exactly)."""
    return struct.unpack("f", struct.pack("f", v))[0]


def _resample_matrix(n_in: int, n_out: int, ratio: float, mode: str, align_corners: bool, like):
    """(n_out, n_in) matrix taking one axis from n_in to n_out samples (PyTorch's source
    coordinates): the window's shares for area, two weights for linear, four for bicubic."""
    rows = []
    for o in range(n_out):
        row = [0.0] * n_in
        if mode == "area":  # adaptive average pooling's windows
            start, end = (o * n_in) // n_out, -(-((o + 1) * n_in) // n_out)
            for i in range(start, end):
                row[i] = 1.0 / (end - start)
        elif mode == "bicubic":  # PyTorch's: A = -0.75, unclamped source, indices clamped to the edges
            if align_corners:
                src = o * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
            else:
                src = (o + 0.5) * ratio - 0.5
            i0 = int(math.floor(src))
            t = src - i0
            for i, wt in zip(range(i0 - 1, i0 + 3), _cubic_weights(t)):
                row[min(max(i, 0), n_in - 1)] += wt
        else:
            if n_in == n_out:  # PyTorch's linear kernels copy an axis that keeps its size,
                src = float(o)  # whatever the scale factor given
            elif align_corners:
                src = o * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
            else:
                src = max((o + 0.5) * ratio - 0.5, 0.0)
            i0 = min(int(math.floor(src)), n_in - 1)
            i1 = min(i0 + 1, n_in - 1)
            w = src - i0
            row[i0] += 1.0 - w
            row[i1] += w
        rows.append(row)
    return _ag.asarray(rows, dtype=like.dtype, device=like.device)


def _antialias_matrix(n_in: int, n_out: int, ratio: float, mode: str, align_corners: bool, like):
    """(n_out, n_in) matrix of PyTorch's antialiased resampling (PIL's): when shrinking, the
    triangle (bilinear) or cubic (A = -0.5) filter is stretched by the scale so that every
    input sample in reach contributes; each row's weights are normalized to sum to 1."""
    if align_corners:
        scale = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    else:
        scale = ratio
    reach = 1.0 if mode == "bilinear" else 2.0  # the filter's support at scale 1
    support = reach * scale if scale >= 1.0 else reach
    stretch = 1.0 / scale if scale >= 1.0 else 1.0

    def weight(x):
        x = abs(x)
        if mode == "bilinear":
            return 1.0 - x if x < 1.0 else 0.0
        if x < 1.0:
            return (1.5 * x - 2.5) * x * x + 1.0
        return ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0 if x < 2.0 else 0.0

    rows = []
    for o in range(n_out):
        center = scale * (o + 0.5)
        first = max(int(center - support + 0.5), 0)
        last = min(int(center + support + 0.5), n_in)
        ws = [weight((j - center + 0.5) * stretch) for j in range(first, last)]
        total = sum(ws)
        row = [0.0] * n_in
        for j, w in zip(range(first, last), ws):
            row[j] = w / total if total else 0.0
        rows.append(row)
    return _ag.asarray(rows, dtype=like.dtype, device=like.device)


def interpolate(input, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                recompute_scale_factor=None, antialias: bool = False) -> Tensor:
    """Resize the spatial axes of (N, C, L), (N, C, H, W) or (N, C, D, H, W) input to `size` or
    by `scale_factor`: mode 'nearest', 'nearest-exact', 'area' (adaptive average pooling),
    'linear' (3-D), 'bilinear' / 'bicubic' (4-D) or 'trilinear' (5-D), with PyTorch's source
    coordinates (align_corners for the linear modes; antialias: PyTorch's filtered bilinear
    and bicubic shrinking). Each axis is one matrix product (the nearest modes: one gather,
    which any real dtype takes, as uint8 images), so gradients come for free."""
    if mode in ("nearest", "nearest-exact"):
        if check_tensor(input, "interpolate", "input")._dtype.kind not in "iuf":
            raise TypeError(f"interpolate: mode {mode!r} needs a real input, got {input._dtype}")
    else:
        _check_float(input, "interpolate")
    spatial = input.ndim - 2
    modes = {"nearest": (1, 2, 3), "nearest-exact": (1, 2, 3), "area": (1, 2, 3), "linear": (1,),
             "bilinear": (2,), "bicubic": (2,), "trilinear": (3,)}
    if mode not in modes:
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported "
                                  "(nearest, nearest-exact, area, linear, bilinear, bicubic, trilinear)")
    if spatial not in modes[mode]:
        raise ShapeError(f"interpolate: mode {mode!r} expects a {modes[mode][-1] + 2}-D input, got shape "
                         f"{tuple(input.shape)}")
    if align_corners is not None and (mode.startswith("nearest") or mode == "area"):
        raise ValueError("interpolate: align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if antialias and mode not in ("bilinear", "bicubic"):
        raise ValueError(f"interpolate: antialias is only supported with the bilinear and bicubic modes, got {mode!r}")
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: either size or scale_factor should be defined, not both")
    in_sizes = tuple(input.shape[2:])
    if size is not None:
        if recompute_scale_factor:
            raise ValueError("interpolate: recompute_scale_factor is not meaningful with an explicit size")
        out_sizes = (size,) * spatial if isinstance(size, int) else tuple(size)
    else:
        scales = (scale_factor,) * spatial if isinstance(scale_factor, (int, float)) else tuple(scale_factor)
        if len(scales) != spatial:
            raise ValueError(f"interpolate: input and scale_factor must have the same number of spatial "
                             f"dimensions, but got input with spatial dimensions of {list(in_sizes)} and "
                             f"scale_factor of shape {list(scales)}")
        out_sizes = tuple(int(math.floor(i * f)) for i, f in zip(in_sizes, scales))
    smallest = 0 if mode == "area" else 1  # area is adaptive average pooling: 0 bins are allowed
    if len(out_sizes) != spatial or any(o < smallest for o in out_sizes):
        raise ShapeError(f"interpolate: output size {out_sizes} does not fit input of shape {tuple(input.shape)}"
                         f" (sizes must be {'greater than 0' if smallest else 'non-negative'}, one per spatial axis)")
    if 0 in out_sizes:  # 'area' into no bins
        return _no_bins(input, tuple(input.shape[:2]) + out_sizes)
    if size is not None:
        ratios = [i / o for i, o in zip(in_sizes, out_sizes)]
    else:
        ratios = [i / o if recompute_scale_factor else 1.0 / f for i, o, f in zip(in_sizes, out_sizes, scales)]
    out = input
    single = input.dtype != _ag.float64  # the nearest modes' index math: float32 unless float64
    for k, (n_in, n_out, ratio) in enumerate(zip(in_sizes, out_sizes, ratios)):
        axis = 2 + k
        if mode in ("nearest", "nearest-exact"):
            if mode == "nearest" and spatial == 2 and n_out in (n_in, 2 * n_in):
                # PyTorch's 2-D kernel copies (or doubles) an axis whose size stays (or doubles),
                # whatever the scale_factor (2.1 on 5 pixels: 10, each pixel twice)
                source = range(n_out) if n_out == n_in else [o >> 1 for o in range(n_out)]
            else:
                source = [_nearest_source(o, n_in, ratio, mode == "nearest-exact", single) for o in range(n_out)]
            out = _ag.take(out, _ag.asarray(list(source), device=input.device), axis=axis)
            continue
        matrix = _antialias_matrix if antialias else _resample_matrix
        m = matrix(n_in, n_out, ratio, mode, bool(align_corners), input)
        moved = moveaxis(out, axis, -1)
        out = moveaxis(matmul(moved, matrix_transpose(m)), -1, axis)
    return out


# ----- sampling at grid points (spatial transformers) ------------------------------------------
def _align_corners(align_corners) -> bool:
    if align_corners is None:
        warnings.warn("Default grid_sample and affine_grid behavior has changed to align_corners=False since "
                      "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
                      "documentation of grid_sample for details.", UserWarning, stacklevel=3)
        return False
    return bool(align_corners)


def _base_axis(n: int, align_corners: bool, like):
    """The normalized coordinates of n pixels along one axis, in [-1, 1] (PyTorch's
    linspace_from_neg_one: the corner pixels' centres at +-1 with align_corners, else their
    outer edges; a single pixel at 0)."""
    if n <= 1:
        return _ag.zeros((n,), dtype=like.dtype, device=like.device)
    r = _ag.linspace(-1.0, 1.0, n, dtype=like.dtype, device=like.device)
    return r if align_corners else r * (n - 1) / n


def affine_grid(theta, size, align_corners=None) -> Tensor:
    """The sampling grid of a batch of affine maps for grid_sample: theta (N, 2, 3) and
    size (N, C, H, W) give (N, H, W, 2), theta (N, 3, 4) and size (N, C, D, H, W) give
    (N, D, H, W, 3): theta applied to each output pixel's normalized (x, y[, z], 1).
    Differentiable in theta."""
    fname = "affine_grid"
    align_corners = _align_corners(align_corners)
    check_tensor(theta, fname, "theta")
    if theta._dtype.kind != "f":
        raise ValueError(f"{fname}: expected theta to have a floating point dtype, but got {theta._dtype}")
    size = tuple(int_list(size, fname, "size"))
    if len(size) not in (4, 5):
        raise NotImplementedError(f"{fname} only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    nd = len(size) - 2
    shape = tuple(theta._data.shape)
    if len(shape) != 3 or shape[1:] != (nd, nd + 1):
        raise ShapeError(f"{fname}: expected a batch of {nd}D affine matrices of shape Nx{nd}x{nd + 1} for size "
                         f"{size}, got theta of shape {shape}")
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the "
                      "documentation of affine_grid for details.", UserWarning, stacklevel=2)
    elif min(size) <= 0:
        raise ShapeError(f"{fname}: expected non-zero, positive output size, got {size}")
    if shape[0] != size[0]:
        raise RuntimeError(f"{fname}: theta holds {shape[0]} matrices, but size asks for a batch of {size[0]}")
    columns = []  # x along the last axis, then y, z: each broadcast over the grid
    for k in range(nd):
        axis = nd - 1 - k
        view = [1] * nd
        view[axis] = spatial[axis]
        columns.append(_ag.broadcast_to(reshape(_base_axis(spatial[axis], align_corners, theta), tuple(view)),
                                        spatial))
    columns.append(_ag.ones(spatial, dtype=theta.dtype, device=theta.device))
    base = reshape(_ag.stack(columns, axis=-1), (1, math.prod(spatial), nd + 1))
    return reshape(matmul(base, matrix_transpose(theta)), (size[0],) + spatial + (nd,))


def _clip_coordinates(c, size: int):
    """c clamped to [0, size - 1], NaN to 0, with a zero gradient on and beyond the borders
    (PyTorch's clip_coordinates_set_grad)."""
    return _where(c > 0, _where(c >= size - 1, float(size - 1), c), 0.0)


def _reflect_coordinates(c, twice_low: int, twice_high: int):
    """c reflected into [twice_low / 2, twice_high / 2] as often as it takes (PyTorch's
    reflect_coordinates): the gradient's sign flips with each reflection."""
    if twice_low == twice_high:
        return _zero_linked(c)
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    d = c - low
    d = _where(d < 0, -d, d)
    flips = _ag.floor(d.detach() / span)
    extra = d - flips * span
    return _where(_ag.remainder(flips, 2.0) == 0, extra + low, span - extra + low)


def _padded_coordinates(c, size: int, padding_mode: str, align_corners: bool):
    """Source coordinates for the padding mode: as they are ('zeros': outside reads 0),
    clamped to the edges ('border'), or reflected at them, then clamped ('reflection')."""
    if padding_mode == "border":
        return _clip_coordinates(c, size)
    if padding_mode == "reflection":
        c = _reflect_coordinates(c, 0, 2 * (size - 1)) if align_corners else _reflect_coordinates(c, -1, 2 * size - 1)
        return _clip_coordinates(c, size)
    return c


def _zero_linked(c):
    """Zeros shaped like c whose gradient reaches c as zeros (PyTorch's zero gradient for
    what a result does not depend on, not a missing one)."""
    return _where(_ag.zeros(tuple(c.shape), dtype=_ag.bool, device=c.device), c, 0.0)


def _grid_taps(flat_input, sizes, coords, weights, link=None):
    """The weighted sum of (N, C, P) flat_input's values at the taps around each of L points:
    coords[a] holds the integer-valued coordinates along spatial axis a of K_a taps per point,
    (N, 1, K_a, L), weights[a] their weights; each combination of one tap per axis is read
    (0 outside the input), all in one gather. weights=None: one tap of weight 1 (nearest),
    the grid then linked through `link` with a zero gradient. Returns (N, C, L)."""
    nd = len(sizes)
    n, c = tuple(flat_input.shape[:2])
    length = coords[0].shape[-1]

    def spread(t, a):  # (N, 1, K, L) -> (N, 1, 1, .., K at tap axis a, .., 1, L)
        return reshape(t, (n, 1) + tuple(t.shape[2] if b == a else 1 for b in range(nd)) + (length,))

    inside = index = None
    for a, (t, size) in enumerate(zip(coords, sizes)):
        ok = (t >= 0) & (t <= size - 1)  # False for NaN
        i = spread(astype(_where(ok, t, 0.0), _ag.int64) * math.prod(sizes[a + 1:]), a)
        ok = spread(ok, a)
        inside = ok if inside is None else inside & ok
        index = i if index is None else index + i
    taps = tuple(inside.shape[2:-1])
    index = reshape(_ag.broadcast_to(index, (n, 1) + taps + (length,)), (n, 1, -1))
    value = reshape(take_along_axis(flat_input, index, axis=-1), (n, c) + taps + (length,))
    if weights is None:
        return reshape(_where(inside, value, _zero_linked(spread(expand_dims(link, axis=2), 0))), (n, c, length))
    weight = None
    for a, w in enumerate(weights):
        weight = spread(w, a) if weight is None else weight * spread(w, a)
    # masked, then weighted: a NaN point gives NaN, as PyTorch's
    return _sum(_where(inside, value, 0.0) * weight, axis=tuple(range(2, 2 + nd)))


def grid_sample(input, grid, mode: str = "bilinear", padding_mode: str = "zeros", align_corners=None) -> Tensor:
    """input (N, C, H, W) sampled at grid (N, H_out, W_out, 2) points, normalized (x, y) in
    [-1, 1] (x along W), giving (N, C, H_out, W_out); 5-D input (N, C, D, H, W) with grid
    (N, D_out, H_out, W_out, 3) for 'bilinear' (trilinear) and 'nearest'. mode: 'bilinear',
    'nearest' (round half to even) or 'bicubic' (A = -0.75); padding_mode: 'zeros', 'border'
    or 'reflection'; align_corners as in interpolate. Written with differentiable ops, so
    gradients of any order flow to input and grid (zero to the grid for 'nearest')."""
    fname = "grid_sample"
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"{fname}: expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: {mode!r}")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"{fname}: expected padding_mode to be 'zeros', 'border', or 'reflection', but got: "
                         f"{padding_mode!r}")
    align_corners = _align_corners(align_corners)
    _check_float(input, fname)
    _check_float(grid, fname, "grid")
    _check_same_dtype(input, grid, fname, "grid")
    ishape, gshape = tuple(input._data.shape), tuple(grid._data.shape)
    if len(ishape) not in (4, 5):
        raise RuntimeError(f"{fname}: expected a 4-D or 5-D input, got input of shape {ishape}")
    nd = len(ishape) - 2
    if len(gshape) != nd + 2 or gshape[0] != ishape[0]:
        raise RuntimeError(f"{fname}: expected a {nd + 2}-D grid with the input's batch size {ishape[0]}, got grid "
                           f"of shape {gshape} for input of shape {ishape}")
    if gshape[-1] != nd:
        raise RuntimeError(f"{fname}: expected grid to have size {nd} in last dimension, but got grid of shape "
                           f"{gshape}")
    if min(ishape[2:]) == 0:
        raise RuntimeError(f"{fname}: expected input to have non-empty spatial dimensions, got shape {ishape}")
    if mode == "bicubic" and nd != 2:
        raise RuntimeError(f"{fname}: bicubic interpolation only supports 4-D input, got shape {ishape}")
    n, c = ishape[:2]
    sizes = ishape[2:]
    length = math.prod(gshape[1:-1])
    flat_input = reshape(input, (n, c, math.prod(sizes)))
    points = reshape(grid, (n, 1, length, nd))
    source = []  # unnormalized coordinates, one (N, 1, L) tensor per spatial axis (D, H, W order)
    for axis, size in enumerate(sizes):
        g = points[..., nd - 1 - axis]  # x (the grid's first component) runs along the last axis
        source.append((g + 1) * ((size - 1) / 2) if align_corners else (g + 1) * (size / 2) - 0.5)
    # per axis: the taps' integer-valued coordinates and their weights, (N, 1, K, L)
    coords, weights, link = [], [], None
    if mode == "bicubic":  # the 4 taps from floor - 1, each moved by the padding mode
        offsets = reshape(_ag.asarray([-1.0, 0.0, 1.0, 2.0], dtype=input.dtype, device=input.device), (1, 1, 4, 1))
        for s, size in zip(source, sizes):
            first = expand_dims(_ag.floor(s.detach()), axis=2)
            coords.append(_padded_coordinates(first + offsets, size, padding_mode, align_corners))
            weights.append(_ag.concat(_cubic_weights(expand_dims(s, axis=2) - first), axis=2))
    else:
        source = [_padded_coordinates(s, size, padding_mode, align_corners) for s, size in zip(source, sizes)]
        if mode == "nearest":
            coords = [expand_dims(_ag.round(s.detach()), axis=2) for s in source]
            weights, link = None, source[0]
        else:  # (tri)linear: the pixels below and above each point
            for s in source:
                low = _ag.floor(s.detach())
                coords.append(_ag.stack([low, low + 1], axis=2))
                weights.append(_ag.stack([low + 1 - s, s - low], axis=2))
    return reshape(_grid_taps(flat_input, sizes, coords, weights, link), (n, c) + gshape[1:-1])


def pad(input, pad, mode: str = "constant", value=None) -> Tensor:
    """Pad the last len(pad) // 2 axes: pad = (left, right) for the last axis, then the one
    before it, ...; negative amounts crop. Modes: 'constant' (value, default 0), 'reflect',
    'replicate', 'circular'."""
    check_tensor(input, "pad", "input")
    pad = tuple(int_list(pad, "pad", "pad"))
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ShapeError(f"pad: padding length must be even and at most 2 * input.ndim, got {len(pad)} for "
                         f"shape {tuple(input.shape)}")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"pad: mode {mode!r} is not supported (constant, reflect, replicate, circular)")
    if mode != "constant" and value:
        raise ValueError(f"pad: padding mode {mode!r} doesn't take in value argument")
    if mode != "constant" and not (1 <= len(pad) // 2 <= 3 and input.ndim - len(pad) // 2 in (1, 2)):
        raise NotImplementedError(
            f"pad: Padding size {len(pad)} is not supported for {input.ndim}D input tensor (mode {mode!r}).\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    out = input
    for k in range(len(pad) // 2):
        axis = input.ndim - 1 - k
        left, right = pad[2 * k], pad[2 * k + 1]
        n = out.shape[axis]
        if n + left + right < 0:
            raise ShapeError(f"pad: padding {(left, right)} leaves nothing of a dimension of size {n} "
                             f"(a size of {n + left + right})")
        if mode in ("reflect", "replicate"):
            # the output's positions -left .. n + right - 1 of the input, mirrored or clamped
            # into it (PyTorch's: a negative amount crops, the other side still reflects the
            # whole input)
            if mode == "reflect" and (left >= n or right >= n):
                raise ShapeError(f"pad: padding size should be less than the corresponding input dimension, "
                                 f"but got padding=({left}, {right}) for a dimension of size {n}")
            positions = range(-left, n + right)
            idx = ([-j if j < 0 else 2 * (n - 1) - j if j >= n else j for j in positions] if mode == "reflect"
                   else [min(max(j, 0), n - 1) for j in positions])
        else:
            if left < 0 or right < 0:  # negative amounts crop first (PyTorch's order), maybe to nothing
                if max(-left, 0) + max(-right, 0) > n:
                    raise ShapeError(f"pad: cropping {(left, right)} takes more than a dimension of size {n}")
                out = out[(slice(None),) * axis + (slice(max(-left, 0), n - max(-right, 0)),)]
                left, right, n = max(left, 0), max(right, 0), out.shape[axis]
            if mode == "constant":
                parts = []
                for m in (left, right):
                    shape = tuple(out.shape[:axis]) + (m,) + tuple(out.shape[axis + 1:])
                    parts.append(_ag.full(shape, 0 if value is None else value, dtype=out.dtype, device=out.device))
                out = _ag.concat([parts[0], out, parts[1]], axis=axis)
                continue
            if left > n or right > n:
                raise ShapeError("pad: padding value causes wrapping around more than once (circular)")
            idx = [i % n for i in range(-left, n + right)]
        out = _ag.take(out, _ag.asarray(idx, dtype=_ag.int64, device=out.device), axis=axis)
    return out


def upsample(input, size=None, scale_factor=None, mode: str = "nearest", align_corners=None) -> Tensor:
    """The deprecated spelling of `interpolate` (with PyTorch's warning)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.",
                  UserWarning, stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None) -> Tensor:
    """The deprecated `interpolate(..., mode='nearest')` (with PyTorch's warning)."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  UserWarning, stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None) -> Tensor:
    """The deprecated `interpolate(..., mode='bilinear', align_corners=True)` (with PyTorch's
    warning)."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  UserWarning, stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """input / max(||input||_p along dim, eps)."""
    _check_float(input, "normalize", complex_ok=True)
    from ..linalg import vector_norm

    norm = vector_norm(input, axis=dim, keepdims=True, ord=p)
    return input / _maximum(norm, eps)


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """The cosine of the angle between x1 and x2 along dim (each norm at least eps: clamped
    in value, its gradient still the norm's, as PyTorch's clamp under no_grad leaves it)."""
    _check_float(x1, "cosine_similarity", "x1")
    _check_float(x2, "cosine_similarity", "x2")
    from ..linalg import vector_norm

    if tuple(x1.shape) != tuple(x2.shape):  # broadcast first: a norm over dim spans the broadcast vectors
        x1, x2 = _ag.broadcast_tensors(x1, x2)

    def clamped_norm(x):
        n = vector_norm(x, axis=dim, keepdims=True)
        return n + (_maximum(n, eps) - n).detach()

    return _sum((x1 / clamped_norm(x1)) * (x2 / clamped_norm(x2)), axis=dim)


def _shuffle_args(fname, input, factor, argname):
    check_tensor(input, fname)
    factor = plain_int(factor)
    if isinstance(factor, bool) or not isinstance(factor, int) or factor < 1:
        raise RuntimeError(f"{fname}: expected a positive int {argname}, got {factor!r}")
    if input.ndim < 3:
        raise RuntimeError(f"{fname}: expected an input with at least 3 dimensions (*, C, H, W), got shape "
                           f"{tuple(input.shape)}")
    return tuple(input.shape[:-3]), tuple(input.shape[-3:])


def pixel_shuffle(input, upscale_factor: int) -> Tensor:
    """(*, C r^2, H, W) -> (*, C, H r, W r): each channel block of r^2 becomes an r x r patch."""
    lead, (c, h, w) = _shuffle_args("pixel_shuffle", input, upscale_factor, "upscale_factor")
    r = upscale_factor
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle: the channel dimension (input.size(-3)={c}) must be divisible by "
                           f"upscale_factor ** 2 = {r * r}")
    k = len(lead)
    x = reshape(input, lead + (c // (r * r), r, r, h, w))
    x = permute_dims(x, tuple(range(k)) + tuple(k + i for i in (0, 3, 1, 4, 2)))
    return reshape(x, lead + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor: int) -> Tensor:
    """(*, C, H r, W r) -> (*, C r^2, H, W): the inverse of pixel_shuffle."""
    lead, (c, h, w) = _shuffle_args("pixel_unshuffle", input, downscale_factor, "downscale_factor")
    r = downscale_factor
    if h % r or w % r:
        raise RuntimeError(f"pixel_unshuffle: the height ({h}) and width ({w}) must be divisible by "
                           f"downscale_factor ({r})")
    k = len(lead)
    x = reshape(input, lead + (c, h // r, r, w // r, r))
    x = permute_dims(x, tuple(range(k)) + tuple(k + i for i in (0, 2, 4, 1, 3)))
    return reshape(x, lead + (c * r * r, h // r, w // r))


def channel_shuffle(input, groups: int) -> Tensor:
    """(N, C, *) -> (N, C, *) with the channels seen as (groups, C / groups) and transposed
    to (C / groups, groups): channel k of group g moves to position k * groups + g."""
    check_tensor(input, "channel_shuffle")
    groups = plain_int(groups)
    if isinstance(groups, bool) or not isinstance(groups, int):
        raise TypeError(f"channel_shuffle: groups must be an int, got {type(groups).__name__}")
    if groups <= 0:
        raise RuntimeError(f"channel_shuffle: Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    if input.ndim <= 2:
        raise RuntimeError(f"channel_shuffle: expects input with > 2 dims, but got input with sizes "
                           f"{list(input.shape)}")
    n, c = input.shape[0], input.shape[1]
    if c % groups:
        raise RuntimeError(f"channel_shuffle: Number of channels must be divisible by groups. Got {c} channels "
                           f"and {groups} groups.")
    rest = tuple(input.shape[2:])
    x = reshape(input, (n, groups, c // groups) + rest)
    x = permute_dims(x, (0, 2, 1) + tuple(range(3, x.ndim)))
    return reshape(x, (n, c) + rest)


native_channel_shuffle = channel_shuffle


def bilinear(input1, input2, weight, bias=None) -> Tensor:
    """y_k = x1 @ weight[k] @ x2 + bias_k, over any leading axes (weight: (out, in1, in2))."""
    _check_float(input1, "bilinear", "input1")
    check_tensor(input2, "bilinear", "input2")
    check_tensor(weight, "bilinear", "weight")
    for name, t in (("input2", input2), ("weight", weight), ("bias", bias)):
        _check_same_dtype(input1, t, "bilinear", name)
    ws = tuple(weight.shape)
    if (len(ws) != 3 or input1.ndim == 0 or tuple(input1.shape[:-1]) != tuple(input2.shape[:-1])
            or (input1.shape[-1], input2.shape[-1]) != ws[1:]):
        raise RuntimeError(f"bilinear: input1 {tuple(input1.shape)} and input2 {tuple(input2.shape)} must share "
                           f"their leading axes and match weight {ws} (out_features, in1_features, in2_features)")
    if bias is not None and tuple(bias.shape) != ws[:1]:
        raise RuntimeError(f"bilinear: bias must have shape ({ws[0]},), got {tuple(bias.shape)}")
    o, n1, n2 = ws
    # x1 against every (in1, out * in2) column at once, then each out block dotted with x2
    rows = matmul(input1, reshape(permute_dims(weight, (1, 0, 2)), (n1, o * n2)))
    out = _sum(reshape(rows, tuple(rows.shape[:-1]) + (o, n2)) * expand_dims(input2, axis=-2), axis=-1)
    return out if bias is None else out + bias


def dropout2d(input, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels (axis 1 of (N, C, H, W), axis 0 of (C, H, W)) with probability p,
    scaling the rest by 1 / (1 - p) (training); the identity otherwise."""
    check_tensor(input, "dropout2d")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout2d: p must be in [0, 1], got {p}")
    if input.ndim not in (3, 4):
        raise ShapeError(f"dropout2d: expected 3-D or 4-D input, got shape {tuple(input.shape)}")
    if not training or p == 0.0:
        return input
    channels = tuple(input.shape[:-2]) + (1, 1)
    keep = astype(rand_like(_ag.zeros(channels, dtype=input.dtype, device=input.device)) >= p, input._dtype)
    scale = keep * (1.0 / (1.0 - p)) if p < 1.0 else keep
    if inplace:
        from .._inplace import inplace_apply

        return inplace_apply(input, lambda x: x * scale, "dropout2d_")
    return input * scale


def _feature_dropout(fname, input, p, training, inplace, ranks, alpha):
    """Dropout of whole channels (every axis but the batch and channel axes shares one draw),
    plain or alpha (SELU-preserving: dropped elements go to the SELU's negative saturation,
    then an affine map keeps mean and variance). `ranks`: the (unbatched, batched) ranks
    allowed, or None for any rank >= 2 (batched)."""
    check_tensor(input, fname)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{fname}: dropout probability has to be between 0 and 1, but got {p}")
    nd = input.ndim
    if ranks is None:
        if nd < 2:
            raise RuntimeError(f"{fname}: feature dropout requires at least 2 dimensions in the input, got shape "
                               f"{tuple(input.shape)}")
        unbatched = False
    else:
        if nd not in ranks:
            raise RuntimeError(f"{fname}: expected {ranks[0]}D or {ranks[1]}D input, but received a {nd}D input")
        unbatched = nd == ranks[0]
    if not training or p == 0.0 or input._data.size == 0:
        return input
    lead = 1 if unbatched else 2
    noise_shape = tuple(input.shape[:lead]) + (1,) * (nd - lead)
    return _dropout_noise(input, p, inplace, noise_shape, alpha, fname)


def _dropout_noise(input, p, inplace, noise_shape, alpha, fname):
    if p == 1.0 and not alpha:
        scale, shift = zeros_like(input), None
    else:
        keep = astype(rand_like(_ag.zeros(noise_shape, dtype=input.dtype, device=input.device)) >= p, input._dtype)
        if alpha:  # PyTorch's _dropout_impl: x * keep * a + a * alpha' * (p + keep - 1)
            if p == 1.0:
                scale, shift = zeros_like(input), None
            else:
                sat = _SELU_ALPHA * _SELU_SCALE  # 1.7580993408473766
                a = 1.0 / math.sqrt((sat * sat * p + 1) * (1 - p))
                scale, shift = keep * a, (keep - 1) * (sat * a) + sat * a * p
        else:
            scale, shift = keep * (1.0 / (1.0 - p)), None

    def fn(x):
        return x * scale if shift is None else x * scale + shift

    if inplace:
        from .._inplace import inplace_apply

        return inplace_apply(input, fn, fname + "_")
    return fn(input)


def dropout1d(input, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels (axis 1 of (N, C, L), axis 0 of (C, L)) with probability p,
    scaling the rest by 1 / (1 - p) (training); the identity otherwise."""
    return _feature_dropout("dropout1d", input, p, training, inplace, (2, 3), alpha=False)


def dropout3d(input, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels (axis 1 of (N, C, D, H, W), axis 0 of (C, D, H, W)) with probability
    p, scaling the rest by 1 / (1 - p) (training); the identity otherwise. Other ranks warn,
    as PyTorch's (deprecated), and are treated as unbatched."""
    check_tensor(input, "dropout3d")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout3d: dropout probability has to be between 0 and 1, but got {p}")
    nd = input.ndim
    if nd not in (4, 5):
        warnings.warn(f"dropout3d: Received a {nd}-D input to dropout3d, which is deprecated and will result in "
                      "an error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. Note that dropout3d exists to provide channel-wise dropout on inputs with "
                      "3 spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 4D or 5D "
                      "inputs).", UserWarning, stacklevel=2)
    if not training or p == 0.0 or input._data.size == 0:
        return input
    lead = 2 if nd == 5 else 1
    noise_shape = tuple(input.shape[:lead]) + (1,) * (nd - lead)
    return _dropout_noise(input, p, inplace, noise_shape, False, "dropout3d")


def alpha_dropout(input, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Alpha dropout (for SELU networks): each element dropped with probability p is set to
    the SELU's negative saturation value, then an affine map restores mean 0 and variance 1
    (training; the identity otherwise, and by default, as PyTorch's)."""
    check_tensor(input, "alpha_dropout")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"alpha_dropout: dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0 or input._data.size == 0:
        return input
    return _dropout_noise(input, p, inplace, tuple(input.shape), True, "alpha_dropout")


def feature_alpha_dropout(input, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Alpha dropout of whole channels (axis 1 of (N, C, ...); one draw per sample and
    channel)."""
    return _feature_dropout("feature_alpha_dropout", input, p, training, inplace, None, alpha=True)


def gumbel_softmax(logits, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1) -> Tensor:
    """A sample of the Gumbel-softmax (Concrete) distribution: softmax((logits + g) / tau)
    along `dim`, g standard Gumbel noise; hard=True returns the one-hot of its argmax with the
    soft sample's gradient (the straight-through estimator). `eps` is unused (as PyTorch's)."""
    _check_float(logits, "gumbel_softmax", "logits")
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", UserWarning, stacklevel=2)
    u = rand_like(logits)
    gumbels = -_log(-_log1p(-u))  # -log(Exp(1)), Exp(1) = -log(1 - U)
    y_soft = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    axis = _dim(dim, logits, "gumbel_softmax")
    index = argmax(y_soft.detach(), axis=axis, keepdims=True)
    n = logits._data.shape[axis]
    shape = [1] * logits._data.ndim
    shape[axis] = n
    classes = reshape(_ag.arange(n, dtype=index._dtype, device=logits.device), tuple(shape))
    y_hard = astype(index == classes, logits._dtype)
    return y_hard - y_soft.detach() + y_soft


def _channel_sums(xp, a, b=None):
    """Per-channel sums of a (or of a * b, with no product array: one dot product per row)
    over every axis of (N, C, ...) but the channels, as (C,). Each (sample, channel) row is
    summed in a's dtype and the rows' totals in float64: a float32 running total over the
    batch loses ~5 bits of a mean far from 0 (PyTorch accumulates in double too)."""
    n, c = a.shape[:2]
    a, b = _upcast_half(xp, a), (None if b is None else _upcast_half(xp, b))  # float16: float32 sums
    if a.ndim == 2:  # rows of one value
        rows = a if b is None else a * b
    else:
        rows_a = xp.reshape(a, (n, c, -1))
        if b is None:
            rows = xp.sum(rows_a, axis=-1)
        else:
            rows_b = xp.reshape(b, (n, c, -1))
            vecdot = getattr(xp, "vecdot", None)  # CuPy has none: the product, then its sum
            rows = vecdot(rows_a, rows_b, axis=-1) if vecdot is not None else xp.sum(rows_a * rows_b, axis=-1)
    return xp.astype(xp.sum(rows, axis=0, dtype=xp.float64), rows.dtype)


def _per_channel(xp, v, x):
    """Per-channel values v (C,) shaped to broadcast against x (N, C, ...): a whole (C, ...)
    plane when it is small (NumPy runs one short inner loop per spatial row against a
    (C, 1, ...) column, ~1.5x slower than against a plane that stays in cache)."""
    column = xp.reshape(v, (x.shape[1],) + (1,) * (x.ndim - 2))
    if x.ndim > 2 and x.shape[0] > 1 and math.prod(x.shape[1:]) <= 1 << 16:
        return column * xp.ones_like(x[0, ...])
    return column


def _batch_norm_stats(xp, x):
    """(x - mean, biased variance) per channel: the variance from the centered values (two
    passes, as accurate as PyTorch's for inputs far from 0), with no squares array."""
    count = math.prod(x.shape) // x.shape[1]
    x = _upcast_half(xp, x)
    mean = _channel_sums(xp, x) / count
    centered = x - _per_channel(xp, mean, x)
    return centered, mean, _channel_sums(xp, centered, centered) / count


def _batch_norm_forward(xp, x, weight, bias, *, eps):
    """(the normalized x, then for the gradient and the running statistics: the batch's mean
    and biased variance, shaped (1, C, 1, ...)). The weight is folded into the per-channel
    scale, so the output is x - mean scaled and shifted in place: 5 passes over x's size."""
    centered, mean, var = _batch_norm_stats(xp, x)
    scale = 1 / xp.sqrt(var + eps)
    if weight is not None:
        scale = scale * weight
    if getattr(xp, "__mutable_arrays__", False):  # centered is a fresh array this op owns
        out = centered
        out *= _per_channel(xp, scale, x)
        if bias is not None:
            out += _per_channel(xp, bias, x)
    else:
        out = centered * _per_channel(xp, scale, x)
        if bias is not None:
            out = out + _per_channel(xp, bias, x)
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    out = out if out.dtype == x.dtype else xp.astype(out, x.dtype)  # float16: computed in float32
    return out, xp.reshape(mean, shape), xp.reshape(var, shape)


def _batch_norm_grads(xp, g, x, weight, ans, eps, needs_grad):
    """dx = a (g - mean(g) - k (x - mean)), a = weight invstd, k = invstd^2 mean(g (x - mean)),
    from two per-channel reductions: the statistics saved on raw arrays in first-order
    backward; recomputed from x when recording, so that they differentiate too. float16 in
    float32, as the forward."""
    g = _upcast_half(xp, g[0])
    sum_g = _channel_sums(xp, g)
    if not (needs_grad[0] or needs_grad[1]):  # the bias's alone: no pass over x
        return None, None, sum_g
    c = x.shape[1]
    count = math.prod(x.shape) // c
    if grad_enabled():
        centered, _, var = _batch_norm_stats(xp, x)
    else:
        centered, var = x - _per_channel(xp, xp.reshape(ans[1], (c,)), x), xp.reshape(ans[2], (c,))
    invstd = 1 / xp.sqrt(var + eps)
    sum_gc = _channel_sums(xp, g, centered)
    gx = gw = gb = None
    if needs_grad[0]:
        a = invstd if weight is None else invstd * weight
        minus_k = invstd * invstd * sum_gc / -count
        if getattr(xp, "__mutable_arrays__", False):  # centered is fresh: 4 in-place passes
            gx = centered
            gx *= _per_channel(xp, minus_k, x)
            gx += g
            gx -= _per_channel(xp, sum_g / count, x)
            gx *= _per_channel(xp, a, x)
        else:
            gx = (centered * _per_channel(xp, minus_k, x) + g - _per_channel(xp, sum_g / count, x)) \
                * _per_channel(xp, a, x)
    if needs_grad[1]:
        gw = sum_gc * invstd
    if needs_grad[2]:
        gb = sum_g
    return gx, gw, gb


_BATCH_NORM = Op("batch_norm", ("x", "weight", "bias"), {("x", "weight", "bias"): _batch_norm_grads},
                 dtypes="real floating", generic=_batch_norm_forward, grad_fn="NativeBatchNormBackward0",
                 nout=3, differentiable_outputs=(True, False, False), saved_outputs=(1, 2))


def _move_running(buffer, stat, momentum: float) -> None:
    """buffer = (1 - momentum) * buffer + momentum * stat (PyTorch's order), in place: the
    buffer's memory, version counter and dtype stay (stat: a backend array)."""
    from .._inplace import commit

    commit(buffer, wrap(buffer._data * (1.0 - momentum) + stat * momentum, buffer._backend),
           "batch_norm", history=False)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each channel (axis 1) of `input` by the batch's statistics (training, which
    also moves the running statistics by `momentum`) or by the running ones (evaluation)."""
    _check_float(input, "batch_norm")
    nd = input._data.ndim
    if nd < 2:
        raise ShapeError(f"batch_norm: input must have a channel axis, shape (N, C, ...), got "
                         f"{tuple(input._data.shape)}")
    c = input._data.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None:
            _check_same_dtype(input, t, "batch_norm", name)
            if tuple(t._data.shape) != (c,):
                raise ShapeError(f"batch_norm: {name} must have shape ({c},), got {tuple(t._data.shape)}")
    if training:
        count = input._data.size // c
        if count <= 1:
            raise ShapeError(f"batch_norm: expected more than 1 value per channel when training, "
                             f"got input of shape {tuple(input._data.shape)}")
        out, batch_mean, batch_var = apply(_BATCH_NORM, (input, weight, bias), {"eps": float(eps)})
        xp = input._backend.generic_namespace  # the running statistics move outside the graph
        if running_mean is not None:
            _move_running(running_mean, xp.reshape(batch_mean._data, (c,)), momentum)
        if running_var is not None:  # unbiased, as PyTorch's
            _move_running(running_var, xp.reshape(batch_var._data, (c,)) * (count / (count - 1)), momentum)
        return out
    if running_mean is None or running_var is None:
        raise ValueRangeError("batch_norm: running_mean and running_var are needed in evaluation "
                              "(training=False)")
    shape = (1, c) + (1,) * (nd - 2)
    scale = rsqrt(running_var + eps)
    if weight is not None:
        scale = scale * weight
    shift = -running_mean * scale
    if bias is not None:
        shift = shift + bias
    return input * reshape(scale, shape) + reshape(shift, shape)


# ----------------------------------------------------------------------------------------
# Group, instance and local response normalization
# ----------------------------------------------------------------------------------------
def _channel_affine(out, weight, bias, nd):
    shape = (1, out._data.shape[1]) + (1,) * (nd - 2)
    if weight is not None:
        out = out * reshape(weight, shape)
    return out if bias is None else out + reshape(bias, shape)


def _check_channel_params(fname, input, c, params):
    for name, t in params:
        if t is not None:
            _check_same_dtype(input, t, fname, name)
            if tuple(t._data.shape) != (c,):
                raise RuntimeError(f"{fname}: expected {name} to be a vector of size equal to the number of "
                                   f"channels in input ({c}), but got {name} of shape {tuple(t._data.shape)}")


def group_norm(input, num_groups: int, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    """Normalize each sample's channels (axis 1 of (N, C, ...)) in num_groups groups, over
    the group's channels and every spatial position (mean 0, biased variance 1, then eps),
    then scale and shift per channel."""
    _check_float(input, "group_norm")
    shape = tuple(input._data.shape)
    if len(shape) < 2:
        raise RuntimeError(f"group_norm: expected at least 2 dimensions for input tensor but received {len(shape)}")
    c = shape[1]
    num_groups = plain_int(num_groups)
    if isinstance(num_groups, bool) or not isinstance(num_groups, int) or num_groups < 1 or c % num_groups:
        raise RuntimeError(f"group_norm: expected number of channels in input to be divisible by num_groups, "
                           f"but got input of shape {list(shape)} and num_groups={num_groups!r}")
    _check_channel_params("group_norm", input, c, (("weight", weight), ("bias", bias)))
    x = _upcast_half(_ag, input)  # PyTorch's float32 statistics
    g = reshape(x, (shape[0], num_groups, -1))
    centered = g - mean(g, axis=-1, keepdims=True)
    out = reshape(centered * rsqrt(mean(centered * centered, axis=-1, keepdims=True) + eps), shape)
    if x is not input:
        out = out.astype(input._dtype)
    return _channel_affine(out, weight, bias, len(shape))


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each channel of each sample (N, C, ...) over its spatial positions
    (use_input_stats; the running statistics, when given, move by `momentum` toward the
    batch's mean of the per-instance means and unbiased variances), or by the running
    statistics (use_input_stats=False), then scale and shift per channel."""
    _check_float(input, "instance_norm")
    shape = tuple(input._data.shape)
    if len(shape) < 3:
        raise ShapeError(f"instance_norm: expected an input of shape (N, C, ...) with at least one spatial "
                         f"axis, got {shape}")
    n, c = shape[:2]
    _check_channel_params("instance_norm", input, c, (("running_mean", running_mean), ("running_var", running_var),
                                                      ("weight", weight), ("bias", bias)))
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise ValueRangeError("instance_norm: running_mean and running_var are needed when use_input_stats=False")
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    if math.prod(shape[2:]) <= 1:
        raise ShapeError(f"instance_norm: expected more than 1 spatial element when training, got input size "
                         f"{shape}")
    if running_mean is not None or running_var is not None:
        from .._autograd.grad_mode import no_grad

        axes = tuple(range(2, len(shape)))
        with no_grad():
            if running_mean is not None:
                running_mean *= 1.0 - momentum
                running_mean += mean(mean(input, axis=axes), axis=0) * momentum
            if running_var is not None:
                running_var *= 1.0 - momentum
                running_var += mean(var(input, axis=axes, correction=1), axis=0) * momentum
    # every (sample, channel) pair as a channel of one batch-norm sample (as PyTorch's)
    flat = reshape(input, (1, n * c) + shape[2:])
    out = reshape(apply(_BATCH_NORM, (flat, None, None), {"eps": float(eps)})[0], shape)
    return _channel_affine(out, weight, bias, len(shape))


def local_response_norm(input, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:
    """x / (k + alpha * mean of x^2 over `size` neighbouring channels)^beta, the neighbours
    size // 2 before and (size - 1) // 2 after each channel (zeros past the edges)."""
    _check_float(input, "local_response_norm")
    shape = tuple(input._data.shape)
    if len(shape) < 3:
        raise ShapeError(f"local_response_norm: expected 3D or higher dimensionality input (got {len(shape)} "
                         "dimensions)")
    size = plain_int(size)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"local_response_norm: size must be a positive int, got {size!r}")
    if input._data.size == 0:
        return input
    c = shape[1]
    sq = input * input
    before, after = size // 2, (size - 1) // 2
    parts = []
    if before:
        parts.append(_ag.zeros((shape[0], before) + shape[2:], dtype=input.dtype, device=input.device))
    parts.append(sq)
    if after:
        parts.append(_ag.zeros((shape[0], after) + shape[2:], dtype=input.dtype, device=input.device))
    padded = _ag.concat(parts, axis=1) if len(parts) > 1 else sq
    total = padded[:, 0:c]
    for i in range(1, size):
        total = total + padded[:, i:i + c]
    div = (total * (alpha / size) + k) ** beta
    return input / div


# Last, so that every name above exists when transformer.py (which uses this module) imports it back.
from .transformer import multi_head_attention_forward, scaled_dot_product_attention  # noqa: E402,F401
from ._ctc import ctc_loss  # noqa: E402  (it uses this module's helpers)
