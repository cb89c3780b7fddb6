"""Folding an evaluation-mode BatchNorm into the convolution or linear layer before it
(PyTorch's `torch.nn.utils.fusion`): the fused layer computes bn(layer(x)) in one step.
Misuse raises AssertionError, as PyTorch's (explicitly: not an `assert`)."""

from __future__ import annotations

import copy

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights"]


def _check_eval(layer, bn, fname) -> None:
    if layer.training or bn.training:
        raise AssertionError(f"{fname}: Fusion only for eval! (call .eval() on both modules first; "
                           f"training={layer.training} and {bn.training})")
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError(f"{fname}: bn.running_mean and bn.running_var must not be None "
                           "(track_running_stats=True)")


def fuse_conv_bn_eval(conv, bn, transpose: bool = False):
    """A copy of `conv` whose weight and bias include the BatchNorm `bn` (both in eval mode)."""
    _check_eval(conv, bn, "fuse_conv_bn_eval")
    fused = copy.deepcopy(conv)
    fused.weight, fused.bias = fuse_conv_bn_weights(fused.weight, fused.bias, bn.running_mean, bn.running_var,
                                                    bn.eps, bn.weight, bn.bias, transpose)
    return fused


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, transpose: bool = False):
    """The fused (weight, bias) Parameters: w * gamma / sqrt(var + eps) per output channel
    (axis 0, or 1 for a transposed convolution), (b - mean) * gamma / sqrt(var + eps) + beta."""
    import arraygrad as ag
    from ..parameter import Parameter

    w_dtype = conv_w.dtype
    b_dtype = conv_b.dtype if conv_b is not None else w_dtype
    if conv_b is None:
        conv_b = ag.zeros_like(bn_rm)
    if bn_w is None:
        bn_w = ag.ones_like(bn_rm)
    if bn_b is None:
        bn_b = ag.zeros_like(bn_rm)
    rsqrt = ag.rsqrt(bn_rv + bn_eps)
    shape = ([1, -1] if transpose else [-1, 1]) + [1] * (conv_w.ndim - 2)
    fused_w = (conv_w * (bn_w * rsqrt).reshape(shape)).to(dtype=w_dtype)
    fused_b = ((conv_b - bn_rm) * rsqrt * bn_w + bn_b).to(dtype=b_dtype)
    return Parameter(fused_w, conv_w.requires_grad), Parameter(fused_b, conv_b.requires_grad)


def fuse_linear_bn_eval(linear, bn):
    """A copy of `linear` whose weight and bias include the BatchNorm `bn` (both in eval
    mode; bn.num_features must be linear.out_features or 1)."""
    _check_eval(linear, bn, "fuse_linear_bn_eval")
    if linear.out_features != bn.num_features and bn.num_features != 1:
        raise AssertionError(f"fuse_linear_bn_eval: To fuse, linear.out_features == bn.num_features or "
                           f"bn.num_features == 1, got linear.out_features={linear.out_features} and "
                           f"bn.num_features={bn.num_features}")
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(fused.weight, fused.bias, bn.running_mean, bn.running_var,
                                                      bn.eps, bn.weight, bn.bias)
    return fused


def fuse_linear_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    """The fused (weight, bias) Parameters of a Linear followed by a BatchNorm."""
    import arraygrad as ag
    from ..parameter import Parameter

    w_dtype = linear_w.dtype
    b_dtype = linear_b.dtype if linear_b is not None else w_dtype
    if linear_b is None:
        linear_b = ag.zeros_like(bn_rm)
    scale = bn_w * ag.rsqrt(bn_rv + bn_eps)
    fused_w = linear_w * scale.unsqueeze(-1).to(dtype=w_dtype)
    fused_b = ((linear_b - bn_rm) * scale + bn_b).to(dtype=b_dtype)
    return Parameter(fused_w, linear_w.requires_grad), Parameter(fused_b, linear_b.requires_grad)
