"""`arraygrad.nn.init`: fill parameters in place (PyTorch's `torch.nn.init`).

Each function writes into its tensor without recording history and returns it. Random
values come from the default generator of the tensor's device (`arraygrad.manual_seed`)
unless `generator=` names another.
"""

from __future__ import annotations

import math
import warnings

from .._autograd.grad_mode import no_grad
from .._dispatch import check_tensor
from .._ops import ValueRangeError, plain_int
from .. import rand_like, randn_like

__all__ = ["calculate_gain", "uniform_", "normal_", "constant_", "zeros_", "ones_",
           "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
           "trunc_normal_", "sparse_", "eye_", "dirac_",
           # PyTorch's deprecated spellings (older tutorials)
           "uniform", "normal", "constant", "xavier_uniform", "xavier_normal", "kaiming_uniform",
           "kaiming_normal", "orthogonal", "sparse"]

_LINEAR_GAINS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                 "conv_transpose2d", "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The recommended scale of the weights before `nonlinearity` (PyTorch's table)."""
    if nonlinearity in _LINEAR_GAINS:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = float(param)
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _fill(tensor, values):
    with no_grad():
        tensor[...] = values
    return tensor


def _check(tensor, fname):
    check_tensor(tensor, fname, "tensor")
    if tensor.dtype.kind not in "fc":
        raise TypeError(f"{fname}: tensor must have a floating-point dtype, got {tensor.dtype}")


def uniform_(tensor, a: float = 0.0, b: float = 1.0, generator=None):
    """Fill with values drawn uniformly from [a, b)."""
    _check(tensor, "uniform_")
    if a > b:
        raise ValueRangeError(f"uniform_: expected a <= b, got a={a}, b={b}")
    return _fill(tensor, rand_like(tensor, generator=generator) * (b - a) + a)


def normal_(tensor, mean: float = 0.0, std: float = 1.0, generator=None):
    """Fill with values drawn from the normal distribution N(mean, std**2)."""
    _check(tensor, "normal_")
    if std < 0:
        raise ValueRangeError(f"normal_: std must be non-negative, got {std}")
    return _fill(tensor, randn_like(tensor, generator=generator) * std + mean)


def constant_(tensor, val: float):
    """Fill with `val`."""
    check_tensor(tensor, "constant_", "tensor")
    return _fill(tensor, val)


def zeros_(tensor):
    """Fill with zeros."""
    return constant_(tensor, 0)


def ones_(tensor):
    """Fill with ones."""
    return constant_(tensor, 1)


def _calculate_fan_in_and_fan_out(tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight: (out, in, *kernel) -> in * kernel, out * kernel."""
    check_tensor(tensor, "init", "tensor")
    shape = tuple(tensor.shape)
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out can not be computed for a tensor with fewer than 2 "
                         f"dimensions (got shape {shape})")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _empty(tensor) -> bool:
    """Zero-element tensors have nothing to fill (and no fans): PyTorch warns and returns."""
    if tensor.size == 0:
        warnings.warn("Initializing zero-element tensors is a no-op", UserWarning, stacklevel=3)
        return True
    return False


def _fan(tensor, mode: str, fname: str = "_calculate_correct_fan") -> int:
    mode = mode.lower() if isinstance(mode, str) else mode
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{fname}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform_(tensor, gain: float = 1.0, generator=None):
    """Glorot & Bengio (2010): uniform on +-gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    if _empty(tensor):
        return tensor
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain: float = 1.0, generator=None):
    """Glorot & Bengio (2010): normal with std gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    if _empty(tensor):
        return tensor
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def kaiming_uniform_(tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator=None):
    """He et al. (2015): uniform on +-gain * sqrt(3 / fan) (`a`: the leaky ReLU slope)."""
    fan = _fan(tensor, mode, "kaiming_uniform_")
    if _empty(tensor):
        return tensor
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator=None):
    """He et al. (2015): normal with std gain / sqrt(fan)."""
    fan = _fan(tensor, mode, "kaiming_normal_")
    if _empty(tensor):
        return tensor
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), generator)


def _erfinv(y):
    """The inverse error function on (-1, 1), to double precision: Giles' approximation
    refined by two Newton steps on erf (arraygrad's own ops, any backend)."""
    from .. import _torch_api as api
    from .._ops import elementwise as el

    w = -el.log((1.0 - y) * (1.0 + y))
    small = w < 5.0
    ws, wb = w - 2.5, el.sqrt(el.where(small, 5.0, w)) - 3.0
    ps = 2.81022636e-08
    for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
              -0.00417768164, 0.246640727, 1.50140941):
        ps = c + ps * ws
    pb = -0.000200214257
    for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
              0.00943887047, 1.00167406, 2.83297682):
        pb = c + pb * wb
    x = el.where(small, ps, pb) * y
    for _ in range(2):
        x = x - (api.erf(x) - y) / (2.0 / math.sqrt(math.pi) * el.exp(-x * x))
    return x


def trunc_normal_(tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator=None):
    """Fill with N(mean, std**2) samples truncated to [a, b] (inverse-CDF sampling, as
    PyTorch's)."""
    _check(tensor, "trunc_normal_")
    if tensor.dtype.kind != "f":
        raise TypeError(f"trunc_normal_: tensor must be real floating point, got {tensor.dtype}")
    if not std > 0:
        raise ValueError(f"trunc_normal_: std must be positive, got {std}")
    if not a < b:
        raise ValueRangeError(f"trunc_normal_: expected a < b, got a={a}, b={b}")
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=2)
    lo = (1.0 + math.erf((a - mean) / std / math.sqrt(2.0))) / 2.0
    hi = (1.0 + math.erf((b - mean) / std / math.sqrt(2.0))) / 2.0
    with no_grad():
        u = rand_like(tensor, dtype="float64" if _has_float64(tensor) else None, generator=generator)
        y = (u * (2 * hi - 2 * lo) + (2 * lo - 1)).clip(-1 + 1e-12, 1 - 1e-12)
        x = (_erfinv(y) * (std * math.sqrt(2.0)) + mean).clip(a, b)
        return _fill(tensor, x.astype(tensor.dtype))


def _has_float64(tensor) -> bool:
    from .. import float64

    try:
        tensor._backend.to_native_dtype(float64)
        return True
    except TypeError:
        return False


def orthogonal_(tensor, gain: float = 1.0, generator=None):
    """Fill with a (semi-)orthogonal matrix (Saxe et al., 2013): the Q of the QR
    decomposition of a normal matrix, the signs fixed by R's diagonal, times `gain`.
    Dimensions past the first are flattened."""
    from .. import linalg
    from .._ops import elementwise as el
    from .._ops import linear_algebra as la

    check_tensor(tensor, "orthogonal_", "tensor")
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: Only tensors with 2 or more dimensions are supported "
                         f"(got {tensor.ndim})")
    _check(tensor, "orthogonal_")
    if tensor.size == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.size // rows
    with no_grad():
        flat = randn_like(tensor, generator=generator).reshape(rows, cols)
        if rows < cols:
            flat = la.matrix_transpose(flat)
        q, r = linalg.qr(flat)
        d = el.sign(linalg.diagonal(r))
        q = q * d
        if rows < cols:
            q = la.matrix_transpose(q)
        return _fill(tensor, (q * gain).reshape(tuple(tensor.shape)))


def sparse_(tensor, sparsity: float, std: float = 0.01, generator=None):
    """Fill a 2-D tensor with N(0, std**2) values, then zero ceil(sparsity * rows) random
    rows of each column (Martens, 2010)."""
    from .. import randperm

    check_tensor(tensor, "sparse_", "tensor")
    if tensor.ndim != 2:
        raise ValueError(f"sparse_: Only tensors with 2 dimensions are supported (got {tensor.ndim})")
    if not 0 <= sparsity <= 1:
        raise ValueError(f"sparse_: sparsity must be in [0, 1], got {sparsity}")
    rows, cols = tensor.shape
    zeros = int(math.ceil(sparsity * rows))
    normal_(tensor, 0.0, std, generator)
    with no_grad():
        for c in range(cols):
            picked = randperm(rows, generator=generator, device=tensor.device)[:zeros]
            tensor[picked, c] = 0
    return tensor


def eye_(tensor):
    """Fill a 2-D tensor with the identity (ones on the main diagonal)."""
    from .. import eye

    check_tensor(tensor, "eye_", "tensor")
    if tensor.ndim != 2:
        raise ValueError(f"eye_: Only tensors with 2 dimensions are supported (got {tensor.ndim})")
    return _fill(tensor, eye(tensor.shape[0], tensor.shape[1], dtype=tensor.dtype, device=tensor.device))


def dirac_(tensor, groups: int = 1):
    """Fill a 3-, 4- or 5-D convolution weight with the Dirac delta: each of the first
    output channels of a group passes its input channel through unchanged."""
    check_tensor(tensor, "dirac_", "tensor")
    if tensor.ndim not in (3, 4, 5):
        raise ValueError(f"dirac_: Only tensors with 3, 4, or 5 dimensions are supported (got {tensor.ndim})")
    sizes = tuple(tensor.shape)
    groups = plain_int(groups)
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1 or sizes[0] % groups:
        raise ValueError(f"dirac_: dim 0 ({sizes[0]}) must be divisible by groups ({groups!r})")
    per_group = sizes[0] // groups
    centre = tuple(s // 2 for s in sizes[2:])
    with no_grad():
        tensor[...] = 0
        for g in range(groups):
            for d in range(min(per_group, sizes[1])):
                tensor[(g * per_group + d, d) + centre] = 1
    return tensor


def _deprecated(new):
    """PyTorch's pre-0.4 name of `new` (without the trailing underscore), still in older
    tutorials: the same function, with PyTorch's FutureWarning."""
    old = new.__name__[:-1]

    def deprecated_init(*args, **kwargs):
        warnings.warn(f"`nn.init.{old}` is now deprecated in favor of `nn.init.{new.__name__}`.",
                      FutureWarning, stacklevel=2)
        return new(*args, **kwargs)

    deprecated_init.__name__ = deprecated_init.__qualname__ = old
    deprecated_init.__doc__ = f"{old}(...): deprecated; see {new.__name__}."
    return deprecated_init


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
_calculate_correct_fan = _fan  # PyTorch's private name, which some libraries call
