"""The layers: modules holding parameters (or settings) around `nn.functional`."""

from __future__ import annotations

import math

import arraygrad as _ag

from .._autograd.function import Function
from .._autograd.grad_mode import no_grad
from .._dispatch import ShapeError
from .._ops.creation import empty, ones, zeros, zeros_like
from .._ops import plain_int
from .._ops.manipulation import reshape
from .. import _dtypes
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter

__all__ = ["Identity", "Linear", "Conv1d", "Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "ReLU",
           "Tanh", "Sigmoid",
           "Softmax", "LogSoftmax", "Flatten", "Dropout", "BatchNorm1d", "BatchNorm2d", "LeakyReLU",
           "ELU", "SiLU", "Softplus", "LogSigmoid", "Hardtanh", "ReLU6", "Embedding", "LayerNorm",
           "AdaptiveAvgPool2d", "Dropout2d", "Unflatten", "GELU", "Upsample",
           "SELU", "CELU", "Mish", "Softmin", "Softsign", "Hardswish", "Hardsigmoid", "GLU", "PReLU", "Threshold",
           "Tanhshrink", "Softshrink", "Hardshrink",
           "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "ReflectionPad1d", "ReflectionPad2d", "ReplicationPad1d",
           "ReplicationPad2d", "CosineSimilarity", "PairwiseDistance", "PixelShuffle", "PixelUnshuffle",
           "UpsamplingNearest2d", "UpsamplingBilinear2d", "Bilinear",
           "MaxPool1d", "AvgPool1d", "MaxUnpool1d", "MaxUnpool2d", "AdaptiveAvgPool1d", "AdaptiveMaxPool1d",
           "AdaptiveMaxPool2d", "LPPool1d", "LPPool2d", "Unfold", "Fold", "Conv3d", "ConvTranspose1d", "Dropout1d",
           "AlphaDropout", "FeatureAlphaDropout", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d", "GroupNorm",
           "LocalResponseNorm", "EmbeddingBag", "ConvTranspose3d",
           "InstanceNorm3d", "RMSNorm",
           "MaxPool3d", "AvgPool3d", "AdaptiveAvgPool3d", "AdaptiveMaxPool3d", "LPPool3d", "MaxUnpool3d",
           "Softmax2d", "Dropout3d", "ZeroPad1d", "ZeroPad3d", "ConstantPad3d", "CircularPad1d", "CircularPad2d",
           "CircularPad3d", "ReflectionPad3d", "ReplicationPad3d", "RReLU", "ChannelShuffle",
           "FractionalMaxPool2d", "FractionalMaxPool3d", "SyncBatchNorm", "CrossMapLRN2d"]


def _count(value, name: str, cls: str, minimum: int = 1) -> int:
    value = plain_int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{cls}: {name} must be an int >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{cls}: {name} must be an int >= {minimum}, got {value!r}")
    return value


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. to remove a layer)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input):
        return input


def _add_weight_and_bias(module, weight_shape, bias: bool, dtype, device, bias_size=None) -> None:
    """Give `module` an uninitialized weight of `weight_shape`, a bias of one entry per output
    (bias_size; by default weight_shape[0]) or None, then its own initialization."""
    module.weight = Parameter(empty(weight_shape, dtype=dtype, device=device))
    if bias:
        module.bias = Parameter(empty((weight_shape[0] if bias_size is None else bias_size,), dtype=dtype,
                                      device=device))
    else:
        module.register_parameter("bias", None)
    module.reset_parameters()


class Linear(Module):
    """y = x @ W.T + b, with W of shape (out_features, in_features); PyTorch's initialization
    (uniform on +-1/sqrt(in_features) for both)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.in_features = _count(in_features, "in_features", "Linear", 0)
        self.out_features = _count(out_features, "out_features", "Linear", 0)
        _add_weight_and_bias(self, (out_features, in_features), bias, dtype, device)

    def reset_parameters(self) -> None:
        # kaiming_uniform_ with a = sqrt(5) is uniform on +-1/sqrt(fan_in), as is the bias.
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class _ConvNd(Module):
    """What Conv1d, Conv2d and ConvTranspose2d share: their settings, weight and bias
    (PyTorch's initialization) and repr."""

    _dims = 2
    _transposed = False
    _functional = None  # F.conv{1,2,3}d or F.conv_transpose{1,2,3}d, per class

    @property
    def transposed(self) -> bool:
        """Whether this is a transposed convolution (PyTorch's attribute)."""
        return self._transposed

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", output_padding=0,
                 device=None, dtype=None) -> None:
        super().__init__()
        cls, n = type(self).__name__, self._dims
        self.in_channels = _count(in_channels, "in_channels", cls)
        self.out_channels = _count(out_channels, "out_channels", cls)
        F._check_groups(groups, {"in_channels": in_channels, "out_channels": out_channels}, cls)
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ValueError("padding_mode must be one of {'zeros', 'reflect', 'replicate', 'circular'}, "
                             f"but got padding_mode='{padding_mode}'")
        if self._transposed and padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {cls}')
        self.kernel_size = F._ntuple(kernel_size, n, "kernel_size", cls)
        self.stride = F._ntuple(stride, n, "stride", cls)
        self.dilation = F._ntuple(dilation, n, "dilation", cls)
        self.output_padding = F._ntuple(output_padding, n, "output_padding", cls, minimum=0)
        self.groups, self.padding_mode = groups, padding_mode
        if isinstance(padding, str):
            if self._transposed:
                raise ValueError(f"{cls}: padding must be an int or a tuple of ints")
            if n == 3:  # the same checks as the 2-D ones, over three axes
                if padding not in ("valid", "same"):
                    raise ValueError(f"{cls}: padding must be 'valid', 'same', an int or a tuple of 3 ints, "
                                     f"got {padding!r}")
                if padding == "same" and self.stride != (1, 1, 1):
                    raise ValueError(f"{cls}: padding='same' is not supported for strided convolutions "
                                     f"(stride={self.stride})")
            else:
                    F._conv_padding(padding, (1,) * (2 - n) + self.kernel_size, (1,) * (2 - n) + self.dilation,
                                (1,) * (2 - n) + self.stride, cls)
            self.padding = padding
        else:
            self.padding = F._ntuple(padding, n, "padding", cls, minimum=0)
        # F.pad's (last axis first) widths for padding_mode != 'zeros', as PyTorch's
        if isinstance(self.padding, str):
            self._reversed_padding_repeated_twice = [0, 0] * n
            if self.padding == "same":
                for d, k, i in zip(self.dilation, self.kernel_size, range(n - 1, -1, -1)):
                    total = d * (k - 1)
                    self._reversed_padding_repeated_twice[2 * i] = total // 2
                    self._reversed_padding_repeated_twice[2 * i + 1] = total - total // 2
        else:
            self._reversed_padding_repeated_twice = [p for p in reversed(self.padding) for _ in range(2)]
        shape = ((in_channels, out_channels // groups) if self._transposed
                 else (out_channels, in_channels // groups)) + self.kernel_size
        _add_weight_and_bias(self, shape, bias, dtype, device, bias_size=out_channels)

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        n = self._dims
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * n:
            s += f", padding={self.padding}"  # 'same' / 'valid' print bare, as PyTorch's
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def _conv_forward(self, input, weight, bias):
        """This layer's convolution with the given weight and bias: PyTorch's hook for
        subclasses that transform the weight first (weight standardization, say)."""
        if self.padding_mode != "zeros":
            input = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return self._functional(input, weight, bias, self.stride, 0, self.dilation, self.groups)
        return self._functional(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_ConvNd):
    """1-D convolution over (N, C, L) input with an (out, in / groups, k) kernel."""

    _dims = 1
    _functional = staticmethod(F.conv1d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device=device, dtype=dtype)


class Conv2d(_ConvNd):
    """2-D convolution over (N, C, H, W) input with an (out, in / groups, kH, kW) kernel;
    PyTorch's initialization. `padding` may be an int, a pair, 'valid' or 'same'."""

    _functional = staticmethod(F.conv2d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device=device, dtype=dtype)


class Conv3d(_ConvNd):
    """3-D convolution over (N, C, D, H, W) input with an (out, in / groups, kD, kH, kW) kernel;
    PyTorch's initialization. `padding` may be an int, a triple, 'valid' or 'same'."""

    _dims = 3
    _functional = staticmethod(F.conv3d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device=device, dtype=dtype)


class _ConvTransposeNd(_ConvNd):
    """What the transposed convolutions share: PyTorch's argument order (output_padding
    before groups) and forward's `output_size`."""

    _transposed = True

    def _conv_forward(self, input, weight, bias):
        """Not for transposed convolutions (PyTorch's is an empty stub here): the hook passes
        (stride, padding, dilation, groups), which the transposed functionals order otherwise."""
        raise NotImplementedError(f"{type(self).__name__} has no _conv_forward; call forward(input, output_size)")

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros", device=None,
                 dtype=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, output_padding, device=device, dtype=dtype)

    def forward(self, input, output_size=None):
        """output_size picks among the sizes a stride > 1 leaves possible (as output_padding)."""
        output_padding = self._output_padding(input, output_size, self.stride, self.padding, self.kernel_size,
                                              self._dims, self.dilation)
        return self._functional(input, self.weight, self.bias, self.stride, self.padding, output_padding,
                                self.groups, self.dilation)

    def _output_padding(self, input, output_size, stride, padding, kernel_size, num_spatial_dims, dilation=None):
        """The output_padding that gives `output_size` (None: the layer's own), PyTorch's
        method: sizes from the smallest output up to stride - 1 more."""
        if output_size is None:
            return self.output_padding
        n = num_spatial_dims
        want = tuple(plain_int(w) for w in output_size)[-n:]
        if len(want) != n:
            raise ValueError(f"{type(self).__name__}: output_size must have {n} or {n + 2} elements "
                             f"(got {len(tuple(output_size))})")
        dilation = (1,) * n if dilation is None else dilation
        base = tuple((input.shape[-n + k] - 1) * stride[k] - 2 * padding[k] + dilation[k] * (kernel_size[k] - 1) + 1
                     for k in range(n))
        top = tuple(b + s - 1 for b, s in zip(base, stride))
        if not all(lo <= w <= hi for w, lo, hi in zip(want, base, top)):
            show = (lambda t: t[0]) if n == 1 else (lambda t: t)  # noqa: E731  (PyTorch: ints for 1-D)
            raise ValueError(f"{type(self).__name__}: requested an output size of {show(want)}, but the "
                             f"valid sizes range from {show(base)} to {show(top)}")
        return tuple(w - b for w, b in zip(want, base))


class ConvTranspose1d(_ConvTransposeNd):
    """The transposed 1-D convolution (upsampling by `stride`), weight (in, out / groups, k)."""

    _dims = 1
    _functional = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """The transposed 2-D convolution (upsampling by `stride`), weight (in, out / groups, kH, kW)."""

    _functional = staticmethod(F.conv_transpose2d)


class ConvTranspose3d(_ConvTransposeNd):
    """The transposed 3-D convolution (upsampling by `stride`), weight (in, out / groups, kD, kH, kW)."""

    _dims = 3
    _functional = staticmethod(F.conv_transpose3d)


class _Pool2d(Module):
    """What the poolings share: kernel, stride (defaults to the kernel) and padding, checked
    when the layer is built (over `_dims` axes)."""

    _dims = 2

    def __init__(self, kernel_size, stride, padding) -> None:
        super().__init__()
        name = type(self).__name__
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        F._ntuple(kernel_size, self._dims, "kernel_size", name)
        F._ntuple(self.stride, self._dims, "stride", name)
        F._ntuple(padding, self._dims, "padding", name, minimum=0)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """The maximum over each kernel_size window (stride defaults to kernel_size; ceil_mode
    adds a last, partial window where the input does not divide evenly)."""

    _function = staticmethod(F.max_pool2d)

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__(kernel_size, stride, padding)
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode
        F._ntuple(dilation, self._dims, "dilation", type(self).__name__)

    def forward(self, input):
        """The pooled input, and with return_indices=True each maximum's flat index too."""
        return self._function(input, self.kernel_size, self.stride, self.padding, self.dilation,
                              ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, dilation={self.dilation}, ceil_mode={self.ceil_mode}"


class AvgPool2d(_Pool2d):
    """The mean over each kernel_size window (stride defaults to kernel_size)."""

    _function = staticmethod(F.avg_pool2d)

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override=None) -> None:
        super().__init__(kernel_size, stride, padding)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        return self._function(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                              self.count_include_pad, self.divisor_override)


class AvgPool3d(AvgPool2d):
    """The mean over each kernel_size window of (N, C, D, H, W) or (C, D, H, W) input."""

    _dims = 3
    _function = staticmethod(F.avg_pool3d)


class MaxPool1d(MaxPool2d):
    """The maximum over each kernel_size window of (N, C, L) or (C, L) input."""

    _dims = 1
    _function = staticmethod(F.max_pool1d)


class MaxPool3d(MaxPool2d):
    """The maximum over each kernel_size window of (N, C, D, H, W) or (C, D, H, W) input."""

    _dims = 3
    _function = staticmethod(F.max_pool3d)


class AvgPool1d(_Pool2d):
    """The mean over each kernel_size window of (N, C, L) or (C, L) input; the settings are
    kept as 1-tuples (as PyTorch's)."""

    _dims = 1

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__(kernel_size, stride, padding)
        self.kernel_size = F._ntuple(kernel_size, 1, "kernel_size", "AvgPool1d")
        self.stride = F._ntuple(self.stride, 1, "stride", "AvgPool1d")
        self.padding = F._ntuple(padding, 1, "padding", "AvgPool1d", minimum=0)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input):
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)


class _MaxUnpoolNd(Module):
    """The partial inverse of max pooling: values written at their indices in a zero output."""

    _dims = 2

    def __init__(self, kernel_size, stride=None, padding=0) -> None:
        super().__init__()
        name, n = type(self).__name__, self._dims
        self.kernel_size = F._ntuple(kernel_size, n, "kernel_size", name)
        self.stride = F._ntuple(self.kernel_size if stride is None else stride, n, "stride", name)
        self.padding = F._ntuple(padding, n, "padding", name, minimum=0)

    def forward(self, input, indices, output_size=None):
        fn = {1: F.max_unpool1d, 2: F.max_unpool2d, 3: F.max_unpool3d}[self._dims]
        return fn(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """The partial inverse of MaxPool1d (its indices say where each value goes)."""

    _dims = 1


class MaxUnpool2d(_MaxUnpoolNd):
    """The partial inverse of MaxPool2d (its indices say where each value goes)."""


class MaxUnpool3d(_MaxUnpoolNd):
    """The partial inverse of MaxPool3d (its indices say where each value goes)."""

    _dims = 3


class _AdaptivePool(Module):
    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    """The mean over each of `output_size` bins of (N, C, L) or (C, L) input."""

    def __init__(self, output_size) -> None:
        super().__init__(output_size)

    def forward(self, input):
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool3d(_AdaptivePool):
    """The mean over each of `output_size` bins of (N, C, D, H, W) or (C, D, H, W) input (an
    int, or a triple with None keeping a size)."""

    def __init__(self, output_size) -> None:
        super().__init__(output_size)

    def forward(self, input):
        return F.adaptive_avg_pool3d(input, self.output_size)


class _AdaptiveMaxPool(_AdaptivePool):
    def forward(self, input):
        return self._function(input, self.output_size, self.return_indices)


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    """The maximum over each of `output_size` bins of (N, C, L) or (C, L) input."""

    _function = staticmethod(F.adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    """The maximum over each of `output_size` bins (an int, or a pair with None keeping a size)."""

    _function = staticmethod(F.adaptive_max_pool2d)


class AdaptiveMaxPool3d(_AdaptiveMaxPool):
    """The maximum over each of `output_size` bins of (N, C, D, H, W) or (C, D, H, W) input."""

    _function = staticmethod(F.adaptive_max_pool3d)


class LPPool1d(Module):
    """The norm_type-norm of each kernel_size window of (N, C, L) or (C, L) input."""

    _function = staticmethod(F.lp_pool1d)

    def __init__(self, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> None:
        super().__init__()
        self.norm_type, self.kernel_size, self.stride, self.ceil_mode = norm_type, kernel_size, stride, ceil_mode

    def forward(self, input):
        return self._function(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"ceil_mode={self.ceil_mode}")


class LPPool2d(LPPool1d):
    """The norm_type-norm of each kernel_size window of (N, C, H, W) or (C, H, W) input."""

    _function = staticmethod(F.lp_pool2d)


class LPPool3d(LPPool1d):
    """The norm_type-norm of each kernel_size window of (N, C, D, H, W) or (C, D, H, W) input."""

    _function = staticmethod(F.lp_pool3d)


class Unfold(Module):
    """F.unfold as a layer: every sliding block of the input as a column (im2col)."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, input):
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, "
                f"stride={self.stride}")


class Fold(Unfold):
    """F.fold as a layer: columns summed back into an image of `output_size` (col2im)."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__(kernel_size, dilation, padding, stride)
        self.output_size = output_size

    def forward(self, input):
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}, " + super().extra_repr()


class ReLU(Module):
    """max(x, 0), elementwise (`inplace` overwrites the input)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.relu(input, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Tanh(Module):
    def forward(self, input):
        return F.tanh(input)


class Sigmoid(Module):
    def forward(self, input):
        return F.sigmoid(input)


class LeakyReLU(Module):
    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(Module):
    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class SiLU(Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.silu(input, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class GELU(Module):
    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class LogSigmoid(Module):
    def forward(self, input):
        return F.logsigmoid(input)


class Hardtanh(Module):
    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}" + (", inplace=True" if self.inplace else "")


class ReLU6(Hardtanh):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class _InplaceActivation(Module):
    """An activation whose only setting is `inplace`: F.<_fn>(input, inplace)."""

    _fn = ""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return getattr(F, self._fn)(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class SELU(_InplaceActivation):
    _fn = "selu"


class Mish(_InplaceActivation):
    _fn = "mish"


class Hardswish(_InplaceActivation):
    _fn = "hardswish"

    def extra_repr(self) -> str:
        return ""  # PyTorch's leaves inplace out


class Hardsigmoid(Hardswish):
    _fn = "hardsigmoid"


class CELU(Module):
    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return F.celu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Softsign(Module):
    def forward(self, input):
        return F.softsign(input)


class Tanhshrink(Module):
    def forward(self, input):
        return F.tanhshrink(input)


class Softshrink(Module):
    _fn = "softshrink"

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return getattr(F, self._fn)(input, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class Hardshrink(Softshrink):
    _fn = "hardshrink"


class Threshold(Module):
    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}" + (", inplace=True" if self.inplace else "")


class RReLU(Module):
    """The randomized leaky ReLU: slopes drawn from [lower, upper] for each negative element
    in training, the mean slope (lower + upper) / 2 in evaluation."""

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False) -> None:
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" if self.inplace else "")


class GLU(Module):
    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class PReLU(Module):
    """leaky_relu with a learned slope: one (num_parameters=1) or one per channel, starting at `init`."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None) -> None:
        super().__init__()
        self.num_parameters = _count(num_parameters, "num_parameters", "PReLU")
        self.init = init
        self.weight = Parameter(empty((num_parameters,), dtype=dtype, device=device))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class Softmax(Module):
    """softmax along `dim`."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim  # None: PyTorch's deprecated implicit choice (with its warning)

    def forward(self, input):
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log_softmax along `dim`."""

    def forward(self, input):
        return F.log_softmax(input, self.dim)


class Softmin(Softmax):
    """softmin along `dim`."""

    def forward(self, input):
        return F.softmin(input, self.dim)


class Softmax2d(Module):
    """softmax over the channels (axis -3) of (N, C, H, W) or (C, H, W) input."""

    def forward(self, input):
        if input.ndim not in (3, 4):
            raise ShapeError(f"Softmax2d: expected input to be 3D or 4D, got {input.ndim}D instead "
                             f"(shape {tuple(input.shape)})")
        return F.softmax(input, -3)


class Flatten(Module):
    """Merge the axes start_dim .. end_dim into one (by default all but the batch axis)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        shape = tuple(input.shape)
        nd = max(len(shape), 1)
        start = self.start_dim + nd if self.start_dim < 0 else self.start_dim
        end = self.end_dim + nd if self.end_dim < 0 else self.end_dim
        if not 0 <= start <= end < nd:
            raise IndexError(f"Flatten: start_dim={self.start_dim}, end_dim={self.end_dim} do not "
                             f"fit an input of shape {shape}")
        return reshape(input, shape[:start] + (-1,) + shape[end + 1:])

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """During training, zero each element with probability p and scale the others by
    1 / (1 - p); the identity in evaluation mode."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Embedding(Module):
    """A lookup table: integer indices -> rows of `weight` (num_embeddings, embedding_dim),
    initialized from N(0, 1); the `padding_idx` row starts at zero and gets no gradient."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx=None, max_norm=None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False,
                 _weight=None, _freeze: bool = False, device=None, dtype=None) -> None:
        super().__init__()
        self.num_embeddings = _count(num_embeddings, "num_embeddings", "Embedding")
        self.embedding_dim = _count(embedding_dim, "embedding_dim", "Embedding")
        if sparse:
            raise NotImplementedError("Embedding: sparse gradients are not supported")
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        self.padding_idx = F.padding_index("Embedding", padding_idx, num_embeddings)
        if _weight is None:
            self.weight = Parameter(empty((num_embeddings, embedding_dim), dtype=dtype, device=device),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ShapeError(f"Embedding: _weight must have shape {(num_embeddings, embedding_dim)}, "
                                 f"got {tuple(_weight.shape)}")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx=None, **kwargs) -> "Embedding":
        """An Embedding holding `embeddings` (2-D); frozen (no gradient) by default."""
        if embeddings.ndim != 2:
            raise ShapeError(f"Embedding.from_pretrained: embeddings must be 2-D, got shape "
                             f"{tuple(embeddings.shape)}")
        rows, dim = embeddings.shape
        return cls(rows, dim, padding_idx, _weight=embeddings, _freeze=freeze, **kwargs)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0.0

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        return s


def _add_scale_and_shift(module, shape, affine: bool, bias: bool, dtype, device) -> None:
    """A normalization's learned scale (ones) and shift (zeros) of `shape`, as `weight` and
    `bias`; None where affine (or bias) is off, as PyTorch registers them."""
    module.register_parameter("weight", Parameter(ones(shape, dtype=dtype, device=device)) if affine else None)
    module.register_parameter("bias", Parameter(zeros(shape, dtype=dtype, device=device))
                              if affine and bias else None)


def _reset_scale_and_shift(module) -> None:
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


def _normalized_shape(value, cls: str) -> tuple:
    """The trailing shape a LayerNorm/RMSNorm normalizes over: an int or a sequence of them."""
    shape = (value,) if isinstance(plain_int(value), int) else tuple(value)
    return tuple(_count(n, "normalized_shape", cls) for n in shape)


class LayerNorm(Module):
    """Normalization over the last axes (normalized_shape) of each sample, with a learned
    elementwise scale and shift (elementwise_affine; bias=False drops the shift)."""

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        self.normalized_shape = _normalized_shape(normalized_shape, "LayerNorm")
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _add_scale_and_shift(self, self.normalized_shape, elementwise_affine, bias, dtype, device)

    def reset_parameters(self) -> None:
        _reset_scale_and_shift(self)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class RMSNorm(Module):
    """Root-mean-square normalization over the last axes (normalized_shape), with a learned
    elementwise scale (elementwise_affine); eps=None uses the input dtype's epsilon."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.normalized_shape = _normalized_shape(normalized_shape, "RMSNorm")
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ones(self.normalized_shape, dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, input):
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class AdaptiveAvgPool2d(Module):
    """The mean over each of `output_size` bins (an int, or a pair with None keeping a size)."""

    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class Upsample(Module):
    """F.interpolate as a layer: resize to `size` or by `scale_factor`."""

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                 recompute_scale_factor=None) -> None:
        super().__init__()
        self.name = type(self).__name__  # PyTorch's attribute
        self.size = size
        # PyTorch keeps scale factors as floats
        self.scale_factor = (None if scale_factor is None else tuple(float(f) for f in scale_factor)
                             if isinstance(scale_factor, (tuple, list)) else float(scale_factor))
        self.mode, self.align_corners, self.recompute_scale_factor = mode, align_corners, recompute_scale_factor

    def forward(self, input):
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             self.recompute_scale_factor)

    def extra_repr(self) -> str:
        info = f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None else f"size={self.size!r}"
        return info + f", mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Upsample with mode='nearest'."""

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Upsample with mode='bilinear' and align_corners=True (as PyTorch's)."""

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class _PadNd(Module):
    """F.pad with a fixed padding (an int for every side, or one amount per side) and mode."""

    _dims, _mode = 1, "constant"

    def __init__(self, padding, value: float = 0.0) -> None:
        super().__init__()
        n = 2 * self._dims
        if isinstance(padding, int) and not isinstance(padding, bool):
            padding = (padding,) * n
        # fewer amounts pad the last dimensions only, as F.pad (PyTorch takes them too)
        if not (isinstance(padding, (tuple, list)) and 0 < len(padding) <= n and len(padding) % 2 == 0
                and all(isinstance(p, int) and not isinstance(p, bool) for p in padding)):
            raise TypeError(f"{type(self).__name__}: padding must be an int or an even number of ints, "
                            f"at most {n}, got {padding!r}")
        self.padding = tuple(padding)
        if self._mode == "constant":
            self.value = value

    def forward(self, input):
        if self._mode != "constant" and input.ndim not in (self._dims + 1, self._dims + 2):
            raise RuntimeError(f"{type(self).__name__}: expected a {self._dims + 1}-D or {self._dims + 2}-D "
                               f"(batched) input, got shape {tuple(input.shape)}")
        return F.pad(input, self.padding, self._mode, getattr(self, "value", None))

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ConstantPad1d(_PadNd):
    def __init__(self, padding, value: float) -> None:
        super().__init__(padding, value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad2d(ConstantPad1d):
    _dims = 2


class _ZeroPad:
    """Constant padding with zeros; the repr shows only the padding, as PyTorch's."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(_ZeroPad, ConstantPad2d):
    pass


class ReflectionPad1d(_PadNd):
    _mode = "reflect"


class ReflectionPad2d(_PadNd):
    _dims, _mode = 2, "reflect"


class ReplicationPad1d(_PadNd):
    _mode = "replicate"


class ReplicationPad2d(_PadNd):
    _dims, _mode = 2, "replicate"


class ReflectionPad3d(_PadNd):
    _dims, _mode = 3, "reflect"


class ReplicationPad3d(_PadNd):
    _dims, _mode = 3, "replicate"


class ConstantPad3d(ConstantPad1d):
    _dims = 3


class ZeroPad1d(_ZeroPad, ConstantPad1d):
    pass


class ZeroPad3d(_ZeroPad, ConstantPad3d):
    pass


class _CircularPadNd(_PadNd):
    """Circular padding; the input must be (C, *spatial) or (N, C, *spatial) (ValueError
    otherwise, as PyTorch's)."""

    _mode = "circular"

    def forward(self, input):
        if input.ndim not in (self._dims + 1, self._dims + 2):
            raise ShapeError(f"{type(self).__name__}: expected {self._dims + 1}D or {self._dims + 2}D input "
                             f"(got {input.ndim}D input)")
        return super().forward(input)


class CircularPad1d(_CircularPadNd):
    _dims = 1


class CircularPad2d(_CircularPadNd):
    _dims = 2


class CircularPad3d(_CircularPadNd):
    _dims = 3


class CosineSimilarity(Module):
    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim  # PyTorch's attribute names

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class PixelShuffle(Module):
    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


class Bilinear(Module):
    """y = x1 @ W[k] @ x2 + b_k per output k, weight (out, in1, in2); uniform on
    +-1/sqrt(in1_features) for both (PyTorch's initialization)."""

    def __init__(self, in1_features: int, in2_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.in1_features = _count(in1_features, "in1_features", "Bilinear")
        self.in2_features = _count(in2_features, "in2_features", "Bilinear")
        self.out_features = _count(out_features, "out_features", "Bilinear")
        _add_weight_and_bias(self, (out_features, in1_features, in2_features), bias, dtype, device)

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.in1_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class Dropout2d(Module):
    """During training, zero whole channels with probability p (scaling the others)."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{type(self).__name__}: dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(Dropout2d):
    """During training, zero whole channels of (N, C, L) or (C, L) input with probability p."""

    def forward(self, input):
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout3d(Dropout2d):
    """During training, zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with
    probability p."""

    def forward(self, input):
        return F.dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(Dropout2d):
    """Alpha dropout (for SELU networks): dropped elements take the SELU's saturation value and
    an affine map keeps mean 0 and variance 1 (training only)."""

    def forward(self, input):
        return F.alpha_dropout(input, self.p, self.training, self.inplace)


class FeatureAlphaDropout(Dropout2d):
    """Alpha dropout of whole channels (training only)."""

    def forward(self, input):
        return F.feature_alpha_dropout(input, self.p, self.training, self.inplace)


class ChannelShuffle(Module):
    """Shuffle the channels of (N, C, *) input across `groups` groups (F.channel_shuffle)."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"


class Unflatten(Module):
    """Split axis `dim` into `unflattened_size` (the inverse of Flatten)."""

    def __init__(self, dim: int, unflattened_size) -> None:
        super().__init__()
        # kept as given: a Size prints as one, a tuple as a tuple (PyTorch's repr)
        self.dim = dim
        self.unflattened_size = unflattened_size if isinstance(unflattened_size, tuple) else tuple(unflattened_size)

    def forward(self, input):
        from .._torch_api import unflatten

        return unflatten(input, self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class _BatchNorm(Module):
    """Batch normalization over the channel axis (axis 1), with running statistics for
    evaluation. momentum=None averages all batches seen (a cumulative mean)."""

    _ranks: tuple[int, ...] = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None, dtype=None, *,
                 bias: bool = True) -> None:
        super().__init__()
        self.num_features = _count(num_features, "num_features", type(self).__name__)
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        _add_scale_and_shift(self, (num_features,), affine, bias, dtype, device)  # bias=False: PyTorch 2.x
        if track_running_stats:
            self.register_buffer("running_mean", zeros((num_features,), dtype=dtype, device=device))
            self.register_buffer("running_var", ones((num_features,), dtype=dtype, device=device))
            self.register_buffer("num_batches_tracked", zeros((), dtype=_dtypes.int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    _version = 2  # 2: num_batches_tracked is saved (PyTorch 0.4.1 on)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs) -> None:
        # checkpoints older than version 2 have no num_batches_tracked: keep ours (or 0)
        version = local_metadata.get("version", None)
        if (version is None or version < 2) and self.track_running_stats:
            key = prefix + "num_batches_tracked"
            if key not in state_dict:
                state_dict[key] = self.num_batches_tracked if self.num_batches_tracked is not None \
                    else zeros((), dtype=_dtypes.int64)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            init.zeros_(self.num_batches_tracked)

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        _reset_scale_and_shift(self)

    def forward(self, input):
        if input.ndim not in self._ranks:
            want = " or ".join(f"{r}D" for r in self._ranks)
            raise ShapeError(f"{type(self).__name__}: expected {want} input (got {input.ndim}D input)")
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            with no_grad():
                self.num_batches_tracked += 1
            if self.momentum is None:
                momentum = 1.0 / int(self.num_batches_tracked)
        use_batch_stats = self.training or self.running_mean is None
        tracked = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if tracked else None,
                            self.running_var if tracked else None, self.weight, self.bias,
                            use_batch_stats, momentum, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) input."""

    _ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) input."""

    _ranks = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalization of (N, C, D, H, W) input."""

    _ranks = (5,)


class _InstanceNorm(_BatchNorm):
    """Instance normalization: each channel of each sample normalized over its own spatial
    positions; running statistics (track_running_stats) are used in evaluation, momentum=None
    counts as 0 (as PyTorch's, which never updates them cumulatively). Unbatched input allowed."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = False,
                 track_running_stats: bool = False, device=None, dtype=None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def forward(self, input):
        import warnings

        name, ranks = type(self).__name__, self._ranks
        if input.ndim not in ranks:
            raise ShapeError(f"{name}: expected {ranks[0]}D or {ranks[1]}D input (got {input.ndim}D input)")
        feature_dim = input.ndim - ranks[0]
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ShapeError(f"{name}: expected input's size at dim={feature_dim} to match num_features "
                                 f"({self.num_features}), but got: {input.shape[feature_dim]}.")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. You can silence this "
                          "warning by not passing in num_features, which is not used because affine=False",
                          UserWarning, stacklevel=2)
        unbatched = input.ndim == ranks[0]
        x = input.unsqueeze(0) if unbatched else input
        out = F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                              self.training or not self.track_running_stats,
                              0.0 if self.momentum is None else self.momentum, self.eps)
        return out.squeeze(0) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization of (N, C, L) or (C, L) input."""

    _ranks = (2, 3)


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization of (N, C, H, W) or (C, H, W) input."""

    _ranks = (3, 4)


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization of (N, C, D, H, W) or (C, D, H, W) input."""

    _ranks = (4, 5)


class GroupNorm(Module):
    """Group normalization: each sample's channels in num_groups groups, each normalized over
    its channels and positions, then a learned per-channel scale and shift (affine)."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True, device=None,
                 dtype=None, *, bias: bool = True) -> None:
        super().__init__()
        _count(num_groups, "num_groups", "GroupNorm")
        _count(num_channels, "num_channels", "GroupNorm")
        if num_channels % num_groups:
            raise ShapeError(f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        _add_scale_and_shift(self, (num_channels,), affine, bias, dtype, device)

    def reset_parameters(self) -> None:
        _reset_scale_and_shift(self)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class LocalResponseNorm(Module):
    """F.local_response_norm as a layer (normalization across `size` neighbouring channels)."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class EmbeddingBag(Module):
    """Sums, means or maxima of bags of embeddings (F.embedding_bag) without building the
    per-index embeddings first; weight (num_embeddings, embedding_dim) from N(0, 1), the
    `padding_idx` row zero and left out of every bag."""

    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm=None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False, _weight=None,
                 include_last_offset: bool = False, padding_idx=None, device=None, dtype=None) -> None:
        super().__init__()
        self.num_embeddings = _count(num_embeddings, "num_embeddings", "EmbeddingBag")
        self.embedding_dim = _count(embedding_dim, "embedding_dim", "EmbeddingBag")
        if sparse:
            raise NotImplementedError("EmbeddingBag: sparse gradients are not supported")
        if mode not in ("sum", "mean", "max"):
            raise ValueError(f"EmbeddingBag: mode has to be one of sum, mean or max, got {mode!r}")
        padding_idx = F.padding_index("EmbeddingBag", padding_idx, num_embeddings)
        self.max_norm, self.norm_type, self.scale_grad_by_freq = max_norm, norm_type, scale_grad_by_freq
        self.mode, self.sparse, self.include_last_offset, self.padding_idx = mode, sparse, include_last_offset, \
            padding_idx
        if _weight is None:
            self.weight = Parameter(empty((num_embeddings, embedding_dim), dtype=dtype, device=device))
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ShapeError(f"EmbeddingBag: _weight must have shape {(num_embeddings, embedding_dim)}, "
                                 f"got {tuple(_weight.shape)}")
            self.weight = Parameter(_weight)

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, max_norm=None, norm_type: float = 2.0,
                        scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                        include_last_offset: bool = False, padding_idx=None) -> "EmbeddingBag":
        """An EmbeddingBag holding `embeddings` (2-D); frozen (no gradient) by default."""
        if embeddings.ndim != 2:
            raise ShapeError(f"EmbeddingBag.from_pretrained: embeddings must be 2-D, got shape "
                             f"{tuple(embeddings.shape)}")
        rows, dim = embeddings.shape
        bag = cls(rows, dim, max_norm, norm_type, scale_grad_by_freq, mode, sparse, embeddings,
                  include_last_offset, padding_idx)
        bag.weight.requires_grad_(not freeze)
        return bag

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0.0

    def forward(self, input, offsets=None, per_sample_weights=None):
        return F.embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type, self.scale_grad_by_freq,
                               self.mode, self.sparse, per_sample_weights, self.include_last_offset,
                               self.padding_idx)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        s += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s


class FractionalMaxPool2d(Module):
    """F.fractional_max_pool2d as a layer: kernel_size windows at pseudo-random steps giving
    output_size (or output_ratio, in (0, 1), times the input size); exactly one of the two.
    `_random_samples` (N, C, 2), if given, fixes the windows (a buffer, as PyTorch's)."""

    _nd = 2

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices: bool = False,
                 _random_samples=None) -> None:
        super().__init__()
        name, nd = type(self).__name__, self._nd

        def tup(v):
            return tuple(v) if isinstance(v, (tuple, list)) else (v,) * nd

        self.kernel_size = tup(kernel_size)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = tup(output_size) if output_size is not None else None
        self.output_ratio = tup(output_ratio) if output_ratio is not None else None
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input):
        fn = F.fractional_max_pool2d if self._nd == 2 else F.fractional_max_pool3d
        return fn(input, self.kernel_size, self.output_size, self.output_ratio, self.return_indices,
                  _random_samples=self._random_samples)


class FractionalMaxPool3d(FractionalMaxPool2d):
    """F.fractional_max_pool3d as a layer; `_random_samples` is (N, C, 3)."""

    _nd = 3


class SyncBatchNorm(_BatchNorm):
    """Batch normalization of input with a channel axis (at least 2-D). Statistics are synchronized
    across processes only in a distributed run; in one process (arraygrad's case) it is BatchNorm.
    `convert_sync_batchnorm(module)` turns every BatchNorm*d in a model into one."""

    _ranks = range(2, 1 << 16)  # any input with a channel axis

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, process_group=None, device=None, dtype=None, *,
                 bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)
        self.process_group = process_group

    def forward(self, input):
        if input.ndim < 2:
            raise ShapeError(f"SyncBatchNorm: expected at least 2D input (got {input.ndim}D input)")
        if input.shape[1] == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")
        return super().forward(input)

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """`module` with every BatchNorm*d (any _BatchNorm but instance norms) replaced by a
        SyncBatchNorm sharing its parameters and running statistics; a BatchNorm module itself
        comes back as a new SyncBatchNorm."""
        out = module
        if isinstance(module, _BatchNorm) and not isinstance(module, _InstanceNorm):
            out = cls(module.num_features, module.eps, module.momentum, module.affine, module.track_running_stats,
                      process_group, bias=module.bias is not None)
            if module.affine:
                with no_grad():
                    out.weight = module.weight
                    out.bias = module.bias
            out.running_mean = module.running_mean
            out.running_var = module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
            if hasattr(module, "qconfig"):
                out.qconfig = module.qconfig
        for name, child in module.named_children():
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return out


def _window_sums(t, lo, hi):
    """sum(t[:, lo[c]:hi[c]]) along axis 1 for each channel c (host bounds, clipped to [0, C])."""
    c = t.shape[1]
    cum = _ag.concat([zeros_like(t[:, :1]), _ag.cumulative_sum(t, axis=1)], axis=1)

    def at(bounds):
        idx = _ag.asarray([min(max(v, 0), c) for v in bounds], dtype=_dtypes.int64, device=t.device)
        return _ag.take(cum, idx, axis=1)

    return at(hi) - at(lo)


class _CrossMapLRN2dFunction(Function):
    """PyTorch's legacy (Lua Torch) cross-channel LRN, with its exact forward and hand-written
    backward: the forward's window for channel c is [c - pre_pad + 1, c + pre_pad - 1] but
    keeps channel 0 once c > pre_pad, pre_pad = (size - 1) // 2 + 1 (a 1-based index kept in the
    0-based port); the backward sums over [c - (size - (size - 1) / 2), ...] of size channels.
    Both are reproduced so values and gradients equal PyTorch's."""

    @staticmethod
    def forward(ctx, input, size, alpha, beta, k):
        c = input.shape[1]
        pre_pad = int((size - 1) / 2 + 1)
        keep0 = [0 if v <= pre_pad else 1 for v in range(c)]  # the drops start at channel 1
        lo = [max(v - pre_pad + 1, 1) if v > pre_pad else 0 for v in range(c)]
        sq = input * input
        sums = _window_sums(sq, lo, [v + pre_pad for v in range(c)])
        sums = sums + sq[:, :1] * _ag.asarray(keep0, dtype=input.dtype, device=input.device)[:, None, None]
        scale = sums * (alpha / size) + k
        out = input * scale ** -beta
        ctx.save_for_backward(input, out, scale)
        ctx.args = (size, alpha, beta)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        input, out, scale = ctx.saved_tensors
        size, alpha, beta = ctx.args
        c = input.shape[1]
        ratio = grad_output * out / scale
        shift = int(size - (size - 1) / 2)
        accum = _window_sums(ratio, [v - shift for v in range(c)], [v - shift + size for v in range(c)])
        grad = scale ** -beta * grad_output - (2 * alpha * beta / size) * input * accum
        return grad, None, None, None, None


class CrossMapLRN2d(Module):
    """PyTorch's legacy cross-channel local response normalization of (N, C, H, W) input:
    x * (k + alpha / size * sum of x^2 over nearby channels)^-beta, with the legacy layer's
    windows and gradients (see `_CrossMapLRN2dFunction`); LocalResponseNorm is the modern one."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        if input.ndim != 4:
            raise ShapeError(f"CrossMapLRN2d: Expected input to be 4D, got {input.ndim}D instead.")
        return _CrossMapLRN2dFunction.apply(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
