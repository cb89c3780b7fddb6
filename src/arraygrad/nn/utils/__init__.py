"""`arraygrad.nn.utils`: gradient clipping (PyTorch's `torch.nn.utils.clip_grad_norm_` and
`clip_grad_value_`), applied in place to the parameters' `.grad`; flattening parameters into
one vector and back (`parameters_to_vector`, `vector_to_parameters`); and `rnn`, the packed
variable-length sequences that the recurrent layers take."""

from __future__ import annotations

import math

from ..._autograd.grad_mode import no_grad
from ..._dispatch import DTypeError, ShapeError, Tensor
from ..._ops.elementwise import clip, isfinite
from ..._ops.manipulation import stack
from ...linalg import vector_norm

from . import parametrizations, parametrize, prune, rnn, stateless
from .fusion import fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval, fuse_linear_bn_weights
from .spectral_norm import remove_spectral_norm, spectral_norm
from .weight_norm import remove_weight_norm, weight_norm

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters", "rnn",
           "parametrize", "parametrizations", "weight_norm", "remove_weight_norm", "spectral_norm",
           "remove_spectral_norm", "get_total_norm", "clip_grads_with_norm_", "fuse_conv_bn_eval",
           "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights", "skip_init", "prune",
           "stateless", "convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]


def _grads(parameters, fname):
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{fname}: parameters must be Tensors, got {type(p).__name__} at {i}")
    return [p.grad for p in params if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite: bool = False,
                    foreach=None) -> Tensor:
    """Scale the gradients so that their joint `norm_type`-norm (all gradients seen as one
    vector) is at most `max_norm`; returns that norm, taken before scaling."""
    grads = _grads(parameters, "clip_grad_norm_")
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not grads:
        from ..._ops.creation import asarray

        return asarray(0.0)
    with no_grad():
        total = vector_norm(stack([vector_norm(g, ord=norm_type) for g in grads]), ord=norm_type)
        if error_if_nonfinite and not bool(isfinite(total)):
            raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` "
                               "is non-finite, so it cannot be clipped. To disable this error and "
                               "scale the gradients by the non-finite norm anyway, set "
                               "`error_if_nonfinite=False`")
        # PyTorch's rule: always multiply, by at most 1 (no branch on the norm's value)
        coef = clip(max_norm / (total + 1e-6), max=1.0)
        for g in grads:
            g *= coef.astype(g.dtype)
    return total


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """The `norm_type`-norm of all `tensors` seen as one vector (PyTorch 2.6's; usually the
    gradients: `get_total_norm([p.grad for p in params])`)."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"get_total_norm: tensors must be Tensors, got {type(t).__name__} at {i}")
    norm_type = float(norm_type)
    if not tensors:
        from ..._ops.creation import asarray

        return asarray(0.0)
    with no_grad():
        total = vector_norm(stack([vector_norm(t, ord=norm_type) for t in tensors]), ord=norm_type)
    if error_if_nonfinite and not bool(isfinite(total)):  # PyTorch reads it on the host too
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` "
                           "is non-finite, so it cannot be clipped. To disable this error and "
                           "scale the gradients by the non-finite norm anyway, set "
                           "`error_if_nonfinite=False`")
    return total


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None) -> None:
    """Scale the parameters' gradients by min(1, max_norm / (total_norm + 1e-6)), given the
    precomputed `total_norm` (PyTorch 2.6's second half of clip_grad_norm_)."""
    grads = _grads(parameters, "clip_grads_with_norm_")
    max_norm = float(max_norm)
    if not grads:
        return
    if not isinstance(total_norm, Tensor):
        raise TypeError(f"clip_grads_with_norm_: total_norm must be a Tensor, got {type(total_norm).__name__}")
    with no_grad():
        coef = clip(max_norm / (total_norm + 1e-6), max=1.0)
        for g in grads:
            g *= coef.astype(g.dtype)


def skip_init(module_cls, *args, **kwargs):
    """`module_cls(*args, **kwargs)` whose parameters' values are unspecified (PyTorch
    builds it on the meta device; here it is built normally, which PyTorch allows too:
    only the shapes, dtypes and devices are promised)."""
    import inspect

    from ..module import Module

    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"skip_init: Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError(f"skip_init: Module must support a 'device' arg to skip initialization "
                           f"({module_cls.__name__} has none)")
    return module_cls(*args, **kwargs)


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """PyTorch's deprecated spelling of clip_grad_norm_ (older tutorials), with its FutureWarning."""
    import warnings

    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None) -> None:
    """Clamp every gradient element into [-clip_value, clip_value]."""
    clip_value = float(clip_value)
    if math.isnan(clip_value):
        raise ValueError("clip_grad_value_: clip_value must not be nan")
    with no_grad():
        for g in _grads(parameters, "clip_grad_value_"):
            g.clamp_(-clip_value, clip_value)


def parameters_to_vector(parameters) -> Tensor:
    """All parameters flattened and concatenated into one 1-D tensor (differentiable; they
    must share a device)."""
    from ..._ops.manipulation import concat, reshape

    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    device = None
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"expected Tensors, but got {type(p).__name__}")
        if device is None:
            device = p.device
        elif p.device != device:
            raise TypeError("Found two parameters on different devices, this is currently not supported.")
    return concat([reshape(p, (-1,)) for p in params])


def vector_to_parameters(vec, parameters) -> None:
    """Copy consecutive slices of the 1-D tensor `vec` into the parameters, in place (as
    PyTorch: the parameters' data is replaced without recording a graph)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    if vec.ndim != 1:
        raise ShapeError(f"vector_to_parameters: vec must be 1-D, got shape {tuple(vec.shape)}")
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    total = sum(p.size for p in params)
    if vec.shape[0] != total:
        raise ShapeError(f"vector_to_parameters: vec has {vec.shape[0]} elements, the parameters {total}")
    offset = 0
    with no_grad():
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"expected Tensors, but got {type(p).__name__}")
            if vec.device != p.device:
                raise TypeError("Found two parameters on different devices, this is currently not supported.")
            if vec.dtype.kind not in "fc" and p.requires_grad:  # PyTorch's refusal, not a silent cast
                raise DTypeError(f"vector_to_parameters: data set to a tensor that requires gradients must be "
                                 f"floating point or complex dtype, got {vec.dtype}")
            n = p.size
            p.copy_(vec[offset:offset + n].reshape(tuple(p.shape)))
            offset += n


def convert_conv2d_weight_memory_format(module, memory_format):
    """PyTorch's conversion of the convolutions' weights to `memory_format` (channels_last
    for cuDNN); arraygrad's tensors are C-ordered in every format, so `module` is returned
    as it is once the format is checked."""
    from ..._torch_api import memory_format as _memory_format

    if not isinstance(memory_format, _memory_format):
        raise TypeError(f"convert_conv2d_weight_memory_format: memory_format must be a memory format "
                        f"(e.g. arraygrad.channels_last), got {memory_format!r}")
    return module


convert_conv3d_weight_memory_format = convert_conv2d_weight_memory_format
