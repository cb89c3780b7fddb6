"""Lazy modules (PyTorch's `LazyLinear`, `LazyConv{1,2,3}d`, `LazyBatchNorm{1,2,3}d` ...): layers
whose input size is inferred from the first input. Until then their weights are
`UninitializedParameter`s (and running statistics `UninitializedBuffer`s) that hold no data;
the first call materializes them with the inferred shape, initializes them as the eager layer
would, and turns the module into that layer (`LazyLinear` becomes a `Linear`). A state dict
loaded before the first call materializes them with the checkpoint's shapes.
"""

from __future__ import annotations

import itertools
import warnings

from .._ops.creation import empty, zeros
from .. import _dtypes
from .._autograd.grad_mode import no_grad
from .._dispatch import Tensor
from . import layers as L
from .module import _move
from .parameter import Parameter

__all__ = ["UninitializedParameter", "UninitializedBuffer", "LazyModuleMixin", "LazyLinear",
           "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d",
           "LazyConvTranspose3d", "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "is_lazy",
           "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d"]


class _UninitializedTensorMixin:
    __slots__ = ()
    _is_uninitialized = True  # what Module._load_from_state_dict and the utils look for
    cls_to_become: type = Tensor

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give the tensor (in place: the same object) uninitialized memory of `shape`, on
        its device and dtype (or those given), and make it a plain Parameter / Tensor."""
        if isinstance(shape, int):
            shape = (shape,)
        shape = tuple(shape)
        device = self.device if device is None else device
        dtype = self.dtype if dtype is None else dtype
        with no_grad():
            _move(self, lambda _: empty(shape, dtype=dtype, device=device))
        self.__class__ = self.cls_to_become

    def share_memory_(self):
        raise RuntimeError("Can't share memory on an uninitialized parameter or buffer. Call `forward` "
                           "to initialize the parameters before calling `module.share_memory()`.")

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = memo[id(self)] = type(self)(self.requires_grad, self.device, self.dtype)
        return result


def is_lazy(param) -> bool:
    """Whether `param` is an UninitializedParameter or UninitializedBuffer."""
    return getattr(param, "_is_uninitialized", False) is True


class UninitializedParameter(_UninitializedTensorMixin, Parameter):
    """A Parameter whose shape is not known yet (a lazy module's weight before its first
    call); `materialize(shape)` turns it into an ordinary Parameter."""

    __slots__ = ()
    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device=None, dtype=None):
        p = Parameter.__new__(Parameter, empty((0,), dtype=dtype, device=device), requires_grad)
        p.__class__ = cls
        return p

    def __init__(self, requires_grad: bool = True, device=None, dtype=None):
        pass


class UninitializedBuffer(_UninitializedTensorMixin, Tensor):
    """A buffer whose shape is not known yet (a lazy batch norm's running statistics)."""

    __slots__ = ()
    cls_to_become = Tensor

    def __new__(cls, requires_grad: bool = False, device=None, dtype=None):
        t = empty((0,), dtype=dtype, device=device)
        if requires_grad:
            t.requires_grad_(True)
        t.__class__ = cls
        return t

    def __init__(self, requires_grad: bool = False, device=None, dtype=None):
        pass


class LazyModuleMixin:
    """Mixed in before a layer class: infers the parameters' shapes on the first call
    (`initialize_parameters(*input)`), then becomes `cls_to_become`."""

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._load_hook = self._register_load_state_dict_pre_hook(self._lazy_load_hook)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters, with_kwargs=True)
        warnings.warn("Lazy modules are a new feature under heavy development so changes to the API "
                      "or functionality can happen at any moment.", UserWarning, stacklevel=2)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if is_lazy(param) or keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent:
                destination[prefix + name] = buf if is_lazy(buf) or keep_vars else buf.detach()

    def _lazy_load_hook(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                        error_msgs):
        """Materialize uninitialized parameters and buffers with the checkpoint's shapes."""
        for name, param in itertools.chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if key in state_dict and param is not None and is_lazy(param):
                value = state_dict[key]
                if isinstance(value, Tensor) and not is_lazy(value):
                    param.materialize(tuple(value.shape))

    def initialize_parameters(self, *args, **kwargs):
        raise NotImplementedError(f"initialize_parameters is not implemented for {type(self).__name__}")

    def has_uninitialized_params(self) -> bool:
        """Whether any parameter or buffer still awaits its shape."""
        return any(is_lazy(t) for t in itertools.chain(self._parameters.values(), self._buffers.values()))

    def _infer_parameters(self, module, args, kwargs=None):
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        module._load_hook.remove()
        delattr(module, "_initialize_hook")
        delattr(module, "_load_hook")
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become


def _factory(device, dtype) -> dict:
    return {"device": device, "dtype": dtype}


class LazyLinear(LazyModuleMixin, L.Linear):
    """A Linear whose in_features is inferred from the first input's last axis."""

    cls_to_become = L.Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(0, 0, False)
        self.weight = UninitializedParameter(**_factory(device, dtype))
        self.out_features = L._count(out_features, "out_features", "LazyLinear", 0)
        if bias:
            self.bias = UninitializedParameter(**_factory(device, dtype))

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input) -> None:
        if self.has_uninitialized_params():
            if not isinstance(input, Tensor) or input.ndim < 1:
                got = "a 0-D tensor" if isinstance(input, Tensor) else type(input).__name__
                raise ValueError("LazyLinear: expected an input tensor with at least 1 dimension to infer "
                                 f"in_features, got {got}")
            with no_grad():
                self.in_features = int(input.shape[-1])
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()


class _LazyConvXdMixin(LazyModuleMixin):
    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError(f"{type(self).__name__}: in_channels must be divisible by groups "
                                 f"(got in_channels={self.in_channels} from the input, groups={self.groups})")
            if self._transposed:
                shape = (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
            else:
                shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
            with no_grad():
                self.weight.materialize(shape)
                if self.bias is not None:
                    self.bias.materialize((self.out_channels,))
                self.reset_parameters()

    def _get_in_channels(self, input) -> int:
        n = self._dims + 1
        if not isinstance(input, Tensor) or input.ndim not in (n, n + 1):
            got = f"input of size: {tuple(input.shape)}" if isinstance(input, Tensor) else type(input).__name__
            raise RuntimeError(f"Expected {n}D (unbatched) or {n + 1}D (batched) input to "
                               f"{type(self).__name__}, but got {got}")
        return int(input.shape[1] if input.ndim == n + 1 else input.shape[0])


def _lazy_conv_init(self, out_channels, groups, bias, device, dtype) -> None:
    """After the eager __init__ (built with in/out_channels = groups, the smallest valid):
    the weight and bias become uninitialized and in_channels 0, as PyTorch's."""
    cls = type(self).__name__
    self.weight = UninitializedParameter(**_factory(device, dtype))
    self.out_channels = L._count(out_channels, "out_channels", cls)
    if out_channels % groups != 0:
        raise ValueError(f"{cls}: out_channels must be divisible by groups (got out_channels={out_channels}, "
                         f"groups={groups})")
    self.in_channels = 0
    if bias:
        self.bias = UninitializedParameter(**_factory(device, dtype))
    else:
        self.register_parameter("bias", None)


def _groups(groups) -> int:
    # the eager layer checks groups; meanwhile in/out_channels = groups is the smallest valid
    return groups if isinstance(groups, int) and not isinstance(groups, bool) and groups > 0 else 1


class LazyConv1d(_LazyConvXdMixin, L.Conv1d):
    """A Conv1d whose in_channels is inferred from the first input (axis 1, or 0 unbatched)."""

    cls_to_become = L.Conv1d

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1, groups: int = 1,
                 bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None) -> None:
        g = _groups(groups)
        LazyModuleMixin.__init__(self, g, g, kernel_size, stride, padding, dilation, groups, False,
                                 padding_mode, device=device, dtype=dtype)
        _lazy_conv_init(self, out_channels, groups, bias, device, dtype)


class LazyConv2d(_LazyConvXdMixin, L.Conv2d):
    """A Conv2d whose in_channels is inferred from the first input (axis 1, or 0 unbatched)."""

    cls_to_become = L.Conv2d
    __init__ = LazyConv1d.__init__


class LazyConv3d(_LazyConvXdMixin, L.Conv3d):
    """A Conv3d whose in_channels is inferred from the first input (axis 1, or 0 unbatched)."""

    cls_to_become = L.Conv3d
    __init__ = LazyConv1d.__init__


class LazyConvTranspose1d(_LazyConvXdMixin, L.ConvTranspose1d):
    """A ConvTranspose1d whose in_channels is inferred from the first input."""

    cls_to_become = L.ConvTranspose1d

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0, groups: int = 1,
                 bias: bool = True, dilation=1, padding_mode: str = "zeros", device=None, dtype=None) -> None:
        g = _groups(groups)
        LazyModuleMixin.__init__(self, g, g, kernel_size, stride, padding, output_padding, groups, False,
                                 dilation, padding_mode, device=device, dtype=dtype)
        _lazy_conv_init(self, out_channels, groups, bias, device, dtype)


class LazyConvTranspose2d(_LazyConvXdMixin, L.ConvTranspose2d):
    """A ConvTranspose2d whose in_channels is inferred from the first input."""

    cls_to_become = L.ConvTranspose2d
    __init__ = LazyConvTranspose1d.__init__


class LazyConvTranspose3d(_LazyConvXdMixin, L.ConvTranspose3d):
    """A ConvTranspose3d whose in_channels is inferred from the first input."""

    cls_to_become = L.ConvTranspose3d
    __init__ = LazyConvTranspose1d.__init__


class _LazyNormBase(LazyModuleMixin):
    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None,
                 dtype=None, *, bias: bool = True) -> None:
        super().__init__(1, eps, momentum, False, False, device=device, dtype=dtype)
        self.num_features = 0
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = UninitializedParameter(**_factory(device, dtype))
            if bias:
                self.bias = UninitializedParameter(**_factory(device, dtype))
        if track_running_stats:
            self.running_mean = UninitializedBuffer(**_factory(device, dtype))
            self.running_var = UninitializedBuffer(**_factory(device, dtype))
            self.num_batches_tracked = zeros((), dtype=_dtypes.int64, device=device)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input) -> None:
        if self.has_uninitialized_params():
            if not isinstance(input, Tensor) or input.ndim < 2:
                raise ValueError(f"{type(self).__name__}: expected an input tensor with a channel axis "
                                 "(at least 2-D) to infer num_features, got "
                                 f"{tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__}")
            self.num_features = int(input.shape[1])
            with no_grad():
                if self.affine:
                    self.weight.materialize((self.num_features,))
                    if self.bias is not None:
                        self.bias.materialize((self.num_features,))
                if self.track_running_stats:
                    self.running_mean.materialize((self.num_features,))
                    self.running_var.materialize((self.num_features,))
                self.reset_parameters()


class LazyBatchNorm1d(_LazyNormBase, L.BatchNorm1d):
    """A BatchNorm1d whose num_features is inferred from the first input's axis 1."""

    cls_to_become = L.BatchNorm1d


class LazyBatchNorm2d(_LazyNormBase, L.BatchNorm2d):
    """A BatchNorm2d whose num_features is inferred from the first input's axis 1."""

    cls_to_become = L.BatchNorm2d


class LazyBatchNorm3d(_LazyNormBase, L.BatchNorm3d):
    """A BatchNorm3d whose num_features is inferred from the first input's axis 1."""

    cls_to_become = L.BatchNorm3d


class LazyInstanceNorm1d(_LazyNormBase, L.InstanceNorm1d):
    """An InstanceNorm1d whose num_features is inferred from the first input's axis 1 (PyTorch's
    defaults: affine and track_running_stats on)."""

    cls_to_become = L.InstanceNorm1d


class LazyInstanceNorm2d(_LazyNormBase, L.InstanceNorm2d):
    """An InstanceNorm2d whose num_features is inferred from the first input's axis 1."""

    cls_to_become = L.InstanceNorm2d


class LazyInstanceNorm3d(_LazyNormBase, L.InstanceNorm3d):
    """An InstanceNorm3d whose num_features is inferred from the first input's axis 1."""

    cls_to_become = L.InstanceNorm3d
