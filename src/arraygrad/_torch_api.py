"""PyTorch's top-level API beyond the standard (`tensor`, `cat`, `from_numpy`, `mm`, ...).

Functions here take a tensor first, as PyTorch's do, and most double as Tensor methods
(`_torch_methods` attaches them: `torch.transpose(x, 0, 1)` is `x.transpose(0, 1)`).
Functions sharing a name with the standard's (`sum`, `max`, `concat`, `add`, ...) stay the
standard's; they accept PyTorch's keywords (`dim=`, `keepdim=`, `out=`, `alpha=`) and then
behave as PyTorch does, by forwarding here or to the Tensor method.
"""

from __future__ import annotations

import array as _array
import builtins
import functools
import math
import operator
from collections import namedtuple

from . import _dtypes
from ._dispatch import (GENERIC_IMPLS, GRAD_ENABLED, DTypeError, IndexRangeError, Op, ShapeError, Tensor, apply,
                        binary, check_tensor, grad_enabled, named_node, node_type_named, refuse_bool, unary, wrap)
from ._ops import creation as _creation
from ._ops import elementwise as _elem
from ._ops import indexing as _indexing
from ._ops import linear_algebra as _linalg
from ._ops import manipulation as _manip
from ._ops import searching as _search
from ._ops import sets as _sets
from ._ops import sorting as _sorting
from ._ops import statistical as _stat
from ._ops import utility as _util
from ._ops import int_arg, int_list, normalize_axis
from ._ops.elementwise import _cj
from ._printing import get_printoptions, printoptions, set_printoptions
from ._random import (Generator, bernoulli, default_generator, get_rng_state, initial_seed,
                      manual_seed, multinomial, normal, rand, rand_like, randint, randint_like,
                      randn, randn_like, randperm, seed, set_rng_state)

__all__ = [
    # creation and conversion
    "tensor", "as_tensor", "from_numpy", "is_tensor", "is_floating_point", "is_complex", "numel",
    "clone", "logspace", "finfo",
    # legacy tensor types
    "TensorType", "HalfTensor", "FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "ShortTensor",
    "CharTensor", "ByteTensor", "BoolTensor", "ComplexFloatTensor", "ComplexDoubleTensor",
    # random numbers
    "Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state",
    "set_rng_state", "rand", "randn", "randint", "randperm", "rand_like", "randn_like",
    "randint_like", "normal", "bernoulli", "multinomial",
    # printing
    "set_printoptions", "get_printoptions", "printoptions",
    # elementwise
    "sub", "mul", "div", "true_divide", "neg", "fmod", "frac", "clamp", "clamp_min", "clamp_max",
    "sigmoid", "relu", "softmax", "log_softmax",
    # comparisons (PyTorch's short names of the standard's functions)
    "eq", "ne", "lt", "le", "gt", "ge",
    # shapes and views
    "kaiser_window", "vander", "cat", "concatenate", "transpose", "swapaxes", "swapdims", "permute", "t", "narrow", "as_strided", "chunk",
    "split", "unbind", "flatten", "unflatten", "unsqueeze", "movedim",
    # indexing
    "index_select", "gather", "scatter", "scatter_add", "index_add", "masked_fill", "masked_select",
    "index_reduce", "narrow_copy",
    # reductions
    "cumsum", "cumprod", "logsumexp", "norm", "amax", "amin", "topk", "allclose", "isclose",
    # products
    "mm", "bmm", "mv", "dot", "outer", "ger",
    # diagonals
    "diag", "diagonal", "trace",
    # more of PyTorch's functions
    "atleast_1d", "atleast_2d", "atleast_3d", "hstack", "vstack", "row_stack", "dstack", "column_stack",
    "addmm", "addmv", "baddbmm", "addbmm", "addcmul", "addcdiv", "lerp", "inverse", "det", "slogdet",
    "logdet", "cholesky", "qr", "svd", "pinverse", "matrix_power", "nan_to_num", "logit", "exp2", "xlogy",
    "lu", "lu_solve", "lu_unpack", "cholesky_solve", "cholesky_inverse", "triangular_solve", "orgqr",
    "deg2rad", "rad2deg", "sinc", "heaviside", "select", "index_fill", "take_along_dim", "fliplr",
    "flipud", "rot90", "kron", "cross", "block_diag", "cartesian_prod", "tril_indices", "triu_indices",
    "diagflat", "aminmax", "std_mean", "var_mean", "argwhere", "logcumsumexp", "median", "unique",
    "bincount", "nonzero_static", "erf", "erfc", "einsum",
    # torch.special, and its functions PyTorch also has at the top level
    "special", "lgamma", "digamma", "polygamma", "erfinv", "i0", "mvlgamma", "igamma", "igammac",
    # still more: selections, quantiles, nan-reductions, distances, windows, settings
    "kthvalue", "cummax", "cummin", "mode", "quantile", "nanquantile", "nanmedian", "nansum", "nanmean",
    "histc", "bucketize", "cdist", "dist", "diag_embed", "repeat_interleave", "combinations", "index_copy",
    "sgn", "chain_matmul", "matrix_exp", "range", "hann_window", "hamming_window", "blackman_window",
    "bartlett_window", "poisson", "promote_types", "set_num_threads", "get_num_threads",
    "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
    "is_deterministic_algorithms_warn_only_enabled",
    # indexing, scattering and the rest of the Tensor-method functions
    "angle", "inner", "masked_scatter", "msort", "ravel", "renorm", "scatter_reduce",
    "unique_consecutive", "index_put",
    # leftovers: splitting, complex numbers, integration, number theory, memory formats
    "tensor_split", "broadcast_tensors", "vdot", "complex", "polar", "view_as_real", "view_as_complex",
    "trapezoid", "trapz", "fix", "ldexp", "gcd", "lcm", "rsub", "float_power", "memory_format",
    "contiguous_format", "preserve_format", "channels_last", "channels_last_3d",
    "cumulative_trapezoid", "gradient", "histogram",
    # what tutorials of PyTorch 2 call: compile, matmul precision, statistics, small helpers
    "compile", "set_float32_matmul_precision", "get_float32_matmul_precision", "cov", "corrcoef",
    "cosine_similarity", "pairwise_distance", "typename", "is_nonzero",
    # PyTorch's other names of the standard's functions, and small functions tutorials use
    "absolute", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctanh", "arctan2", "bitwise_not",
    "fmax", "fmin", "isposinf", "isneginf", "isreal", "logaddexp2", "hsplit", "vsplit", "dsplit",
    "unravel_index", "scalar_tensor", "is_signed", "get_default_device", "is_same_size",
    # in-place functions (torch.exp_(x) is x.exp_()), listed in _INPLACE_FUNCTIONS
    "square_", "abs_", "acos_", "acosh_", "addmv_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_",
    "arctanh_", "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_", "clamp_max_", "clamp_min_", "clip_",
    "cos_", "cosh_", "deg2rad_", "detach_", "erf_", "erfc_", "exp2_", "exp_", "expm1_", "fill_", "fix_",
    "floor_", "frac_", "index_put_", "log10_", "log1p_", "log2_", "log_", "logit_", "nan_to_num_", "neg_",
    "negative_", "rad2deg_", "reciprocal_", "relu_", "resize_as_", "rsqrt_", "sigmoid_", "sin_",
    "sinc_", "sinh_", "sqrt_", "tan_", "tanh_", "trunc_", "xlogy_", "zero_", "gcd_", "lcm_", "i0_", "round_",
    "ldexp_", "binomial", "svd_lowrank", "pca_lowrank", "to_dlpack", "get_device_module", "nuclear_norm",
    "frobenius_norm", "stft", "istft",
    # PyTorch's top-level forms of nn.functional ops (PyTorch's torch.X signatures)
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "max_pool1d",
    "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "avg_pool1d", "adaptive_avg_pool1d",
    "adaptive_max_pool1d", "dropout", "dropout_", "alpha_dropout", "alpha_dropout_", "feature_dropout",
    "feature_dropout_", "feature_alpha_dropout", "feature_alpha_dropout_", "batch_norm", "instance_norm",
    "layer_norm", "group_norm", "rms_norm", "embedding", "constant_pad_nd", "pixel_shuffle", "pixel_unshuffle",
    "channel_shuffle", "prelu", "selu", "selu_", "celu", "celu_", "threshold", "threshold_", "rrelu", "rrelu_",
    "hardshrink", "bilinear", "pdist",
    # small tensor utilities, layouts, creation from memory, more settings
    "detach", "fill", "adjoint", "addr", "is_conj", "is_neg", "resolve_conj", "resolve_neg", "conj_physical",
    "conj_physical_", "is_inference", "get_device", "split_with_sizes", "unsafe_split", "unsafe_chunk",
    "unsafe_split_with_sizes", "slice_scatter", "select_scatter", "diagonal_scatter", "frexp", "put", "layout",
    "strided", "frombuffer", "empty_strided", "set_default_tensor_type", "set_flush_denormal",
    "set_num_interop_threads", "get_num_interop_threads", "set_warn_always", "is_warn_always_enabled",
    "is_anomaly_enabled", "is_anomaly_check_nan_enabled", "set_anomaly_enabled", "cond",
]


_NOT_GIVEN = object()  # an argument left out (where None means something)


def finfo(type=None, /):
    """Machine limits for a floating-point dtype (or tensor of one); without an argument,
    for the default dtype (PyTorch's)."""
    from ._config import get_default_dtype

    return _dtypes.finfo(get_default_dtype() if type is None else type)


def _no_grad():
    """Enter no-grad mode; returns the token for `GRAD_ENABLED.reset`."""
    return GRAD_ENABLED.set(False)


# ----------------------------------------------------------------------------------------
# Creation and conversion
# ----------------------------------------------------------------------------------------
def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new tensor holding a copy of `data` (Python data: floats -> float32, ints -> int64;
    arrays keep their dtype). A tensor `data` is copied outside the graph."""
    token = _no_grad()
    try:
        if isinstance(data, Tensor):
            data = data.detach()
            if dtype is not None:  # PyTorch's cast (`to`): complex to real keeps the real part, warning
                data = data.to(dtype)
        elif isinstance(data, _array.array):  # Python numbers to PyTorch (float32), not a float64 buffer
            data = data.tolist()
        out = _creation.asarray(data, dtype=dtype, device=device, copy=True)
    finally:
        GRAD_ENABLED.reset(token)
    if requires_grad:
        out.requires_grad = True
    return out


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """`data` as a tensor, sharing its memory when no copy is needed (a tensor passes through)."""
    return _creation.asarray(data, dtype=dtype, device=device)


def from_numpy(ndarray) -> Tensor:
    """A CPU tensor sharing the memory of NumPy array `ndarray` (writes show on both sides;
    a read-only array gives a tensor whose writes raise)."""
    import numpy as np

    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(ndarray).__name__})")
    return _creation.asarray(ndarray, device="cpu", copy=False)


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def is_floating_point(input) -> bool:
    return check_tensor(input, "is_floating_point", "input")._dtype.kind == "f"


def is_complex(input) -> bool:
    return check_tensor(input, "is_complex", "input")._dtype.kind == "c"


def numel(input) -> int:
    return math.prod(check_tensor(input, "numel", "input")._data.shape)


# the backend's astype copies: in x's layout, C-ordered for an expanded x (PyTorch's clone)
_CLONE = Op("clone", ("x",), lambda g: g, generic=lambda xp, x: xp.astype(x, x.dtype, copy=True))


def clone(input, *, memory_format=None) -> Tensor:
    """A copy of `input` with its own memory (differentiable), in the input's layout, or
    C-ordered for memory_format=contiguous_format (PyTorch's)."""
    check_tensor(input, "clone", "input")
    if memory_format is contiguous_format and not input.is_contiguous():
        return input.contiguous()  # a copy, C-ordered
    return apply(_CLONE, (input,))


def legacy_tensor_constructor(cls, args, *, device=None, dtype=None, requires_grad=False):
    """`Tensor(*sizes)` (zero-filled) and `Tensor(data)` (a float32 copy), as in old PyTorch code."""
    d = _dtypes.DEFAULT_FLOAT if dtype is None else _dtypes.as_dtype(dtype)
    if not args:
        out = _creation.zeros((0,), dtype=d, device=device)
    elif all(isinstance(a, int) and not isinstance(a, bool) for a in args):
        out = _creation.zeros(tuple(args), dtype=d, device=device)
    elif len(args) == 1 and type(args[0]).__name__ == "Size":
        out = _creation.zeros(tuple(args[0]), dtype=d, device=device)
    elif len(args) == 1:
        out = tensor(args[0], dtype=d, device=device)
    else:
        raise TypeError(f"Tensor(): expected sizes (ints) or one data argument, got {args!r}")
    if requires_grad:
        out.requires_grad_()
    return out


# ----- legacy tensor types ----------------------------------------------------------------
class TensorType:
    """PyTorch's legacy tensor types (`FloatTensor`, `cuda.LongTensor`, ...): a dtype on a
    device type. Call one to build a tensor (`FloatTensor(2, 3)` zeros, `FloatTensor([1, 2])`
    a copy), pass it to `Tensor.type()`, or test `isinstance(x, FloatTensor)`."""

    __slots__ = ("dtype", "device_type", "__name__")

    def __init__(self, dtype, device_type: str):
        self.dtype = dtype
        self.device_type = device_type
        self.__name__ = dtype._torch_name

    @property
    def is_cuda(self) -> bool:
        return self.device_type == "cuda"

    def type_name(self) -> str:
        """PyTorch's name of the type, as `Tensor.type()` returns it: 'torch.cuda.FloatTensor'."""
        return f"torch.{'cuda.' if self.is_cuda else ''}{self.__name__}"

    def __repr__(self):
        return f"<class 'arraygrad.{'cuda.' if self.is_cuda else ''}{self.__name__}'>"

    def __call__(self, *args, device=None, requires_grad=False):
        return legacy_tensor_constructor(Tensor, args, dtype=self.dtype, requires_grad=requires_grad,
                                         device=self.device_type if device is None else device)

    def __instancecheck__(self, obj) -> bool:
        return isinstance(obj, Tensor) and obj._dtype is self.dtype and obj.device.type == self.device_type


HalfTensor = TensorType(_dtypes.float16, "cpu")
FloatTensor = TensorType(_dtypes.float32, "cpu")
DoubleTensor = TensorType(_dtypes.float64, "cpu")
LongTensor = TensorType(_dtypes.int64, "cpu")
IntTensor = TensorType(_dtypes.int32, "cpu")
ShortTensor = TensorType(_dtypes.int16, "cpu")
CharTensor = TensorType(_dtypes.int8, "cpu")
ByteTensor = TensorType(_dtypes.uint8, "cpu")
BoolTensor = TensorType(_dtypes.bool, "cpu")
ComplexFloatTensor = TensorType(_dtypes.complex64, "cpu")
ComplexDoubleTensor = TensorType(_dtypes.complex128, "cpu")


def parse_tensor_type(name: str) -> TensorType:
    """'torch.FloatTensor', 'torch.cuda.LongTensor' (or 'arraygrad.' ...) -> its TensorType."""
    parts = name.split(".")
    if len(parts) in (2, 3) and parts[0] in ("torch", "arraygrad") and (len(parts) == 2 or parts[1] == "cuda"):
        for d in _dtypes.KNOWN_DTYPES:
            if d._torch_name == parts[-1]:
                return TensorType(d, "cuda" if len(parts) == 3 else "cpu")
    raise ValueError(f"invalid type: {name!r} (expected e.g. 'torch.FloatTensor' or "
                     "'torch.cuda.LongTensor')")


# ----------------------------------------------------------------------------------------
# Elementwise
# ----------------------------------------------------------------------------------------
# PyTorch keywords of the standard's binary functions (others take only out=).
_BINARY_KEYWORDS = {"add": ("alpha", "out"), "subtract": ("alpha", "out"),
                    "divide": ("rounding_mode", "out")}


def torch_binary(name: str, x1, x2, kwargs: dict):
    """The standard's binary function `name` called with PyTorch's keywords."""
    allowed = _BINARY_KEYWORDS.get(name, ("out",))
    for k in kwargs:
        if k not in allowed:
            raise TypeError(f"{name}() got an unexpected keyword argument {k!r}")
    out = kwargs.get("out")
    if name == "add" or name == "subtract":
        result = _add_sub(name, x1, x2, kwargs.get("alpha", 1))
    elif name == "divide":
        result = _divide(x1, x2, kwargs.get("rounding_mode"))
    else:
        result = getattr(_elem, name)(x1, x2)
    return result if out is None else write_out(out, result, name, (x1, x2))


def write_out(out, result, fname, inputs=()):
    """PyTorch's `out=`: the result written into `out` (same shape; castable dtype)."""
    check_tensor(out, fname, "out")
    if grad_enabled() and any(isinstance(x, Tensor) and x._requires_grad for x in inputs + (out,)):
        raise RuntimeError(f"{fname}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    if tuple(out.shape) != tuple(result.shape):
        raise RuntimeError(f"{fname}(): out= has shape {tuple(out.shape)} but the result has shape "
                           f"{tuple(result.shape)} (PyTorch would resize out; arraygrad does not)")
    from ._inplace import inplace_apply

    return inplace_apply(out, lambda _: result, fname)


def takes_out(fn):
    """`fn` with PyTorch's `out=`: its result written into the tensor `out` (a tuple of
    tensors for a function returning several, as sort's values and indices)."""
    name = fn.__name__

    @functools.wraps(fn)
    def with_out(*args, out=None, **kwargs):
        r = fn(*args, **kwargs)
        if out is None:
            return r
        inputs = tuple(a for a in args if isinstance(a, Tensor))
        if not isinstance(r, tuple):
            return write_out(out, r, name, inputs)
        if not isinstance(out, (tuple, list)) or len(out) != len(r):
            raise TypeError(f"{name}(): out= must be a tuple of {len(r)} tensors, got {type(out).__name__}")
        written = [write_out(o, x, name, inputs) for o, x in zip(out, r)]
        return type(r)(*written) if hasattr(r, "_fields") else tuple(written)

    return with_out


def py_scalar(value):
    """A NumPy scalar (np.float64(2), np.int64(3), ...) as the Python number it holds:
    PyTorch's functions take them as they take Python numbers. Anything else as it is."""
    if (not isinstance(value, Tensor) and type(value).__module__ == "numpy"
            and getattr(value, "shape", None) == () and hasattr(value, "item")):
        return value.item()
    return value


def _scaled(fname, x, other, alpha):
    other, alpha = py_scalar(other), py_scalar(alpha)
    if alpha == 1:
        return other
    kind = x._dtype.kind if isinstance(x, Tensor) else ""
    if isinstance(alpha, float) and kind in "biu" and (not isinstance(other, Tensor) or other._dtype.kind in "biu"):
        raise TypeError(f"{fname}: for integral input tensors, argument alpha must not be a "
                        "floating point number.")
    if isinstance(other, Tensor):  # alpha * other in the result's dtype (PyTorch's)
        d = _dtypes.result_type(py_scalar(x), other)
        if other._dtype is not d:
            other = other.astype(d)
    return other * alpha


def _add_sub(name, x, other, alpha):
    x = py_scalar(x)
    if name == "subtract" and any(isinstance(v, Tensor) and v._dtype is _dtypes.bool for v in (x, other)):
        refuse_bool(_elem.subtract.op)  # before alpha scales a bool other into integers
    other = _scaled(name, x, other, alpha)
    return _elem.add(x, other) if name == "add" else _elem.subtract(x, other)


def sub(input, other, *, alpha=1, out=None) -> Tensor:
    """input - alpha * other."""
    r = _add_sub("subtract", input, other, alpha)
    return r if out is None else write_out(out, r, "sub", (input, other))


def mul(input, other, *, out=None) -> Tensor:
    r = _elem.multiply(input, other)
    return r if out is None else write_out(out, r, "mul", (input, other))


def _divide(x, y, rounding_mode):
    x, y = py_scalar(x), py_scalar(y)
    if rounding_mode is None:
        return _elem.divide(x, y)
    if rounding_mode == "floor":
        return _elem.floor_divide(x, y)
    if rounding_mode != "trunc":
        raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                         f"found {rounding_mode!r}")
    if _dtypes.result_type(x, y).kind in "iu":  # exact integer division rounding toward zero
        q = _elem.floor_divide(x, y)
        inexact = (_elem.remainder(x, y) != 0) & ((x < 0) != (y < 0))
        return q + inexact.astype(q._dtype)
    return _elem.trunc(_elem.divide(x, y))


def div(input, other, *, rounding_mode=None, out=None) -> Tensor:
    """input / other; rounding_mode 'trunc' or 'floor' rounds the quotient (integers stay integers)."""
    r = _divide(input, other, rounding_mode)
    return r if out is None else write_out(out, r, "div", (input, other))


def true_divide(input, other, *, out=None) -> Tensor:
    return div(input, other, out=out)


def _comparison(name: str, standard: str, symbol: str):
    def compare(input, other, *, out=None) -> Tensor:
        r = getattr(_elem, standard)(input, other)
        return r if out is None else write_out(out, r, name, (input, other))

    compare.__name__ = compare.__qualname__ = name
    compare.__doc__ = f"input {symbol} other, elementwise (the standard's `{standard}`); other may be a number."
    return compare


eq = _comparison("eq", "equal", "==")
ne = _comparison("ne", "not_equal", "!=")
lt = _comparison("lt", "less", "<")
le = _comparison("le", "less_equal", "<=")
gt = _comparison("gt", "greater", ">")
ge = _comparison("ge", "greater_equal", ">=")


def neg(input) -> Tensor:
    return _elem.negative(input)


def _fmod_generic(xp, x1, x2):
    """fmod from the standard's remainder (exact; the divisor's sign): moved to the dividend's
    sign, and x1 itself for a finite x1 over an infinite x2."""
    r = xp.remainder(x1, x2)
    r = xp.where((r != 0) & ((r < 0) != (x1 < 0)), r - x2, r)
    if not xp.isdtype(r.dtype, "real floating"):
        return r
    r = xp.where(r == 0, xp.copysign(r, x1), r)  # a zero result keeps the dividend's sign
    return xp.where(xp.isinf(x2) & xp.isfinite(x1), x1, r)


# C's fmod, exact (x - trunc(x / y) * y loses the remainder once the quotient passes 2**53)
_FMOD = Op("fmod", ("x1", "x2"), {"x1": lambda xp, g: g, "x2": lambda xp, g, x1, x2: -g * xp.trunc(x1 / x2)},
           dtypes="real numeric", broadcasts=True, generic=_fmod_generic,
           grad_fn_by_operands=("FmodBackward1", "FmodBackward0", "FmodBackward0"))


def fmod(input, other) -> Tensor:
    """C's remainder: the result has the sign of the dividend (`remainder` follows the divisor)."""
    check_tensor(input, "fmod", "input")
    return binary(_FMOD, input, py_scalar(other))


def frac(input) -> Tensor:
    """The fractional part, input - trunc(input)."""
    return input - _elem.trunc(input)


@takes_out
def clamp(input, min=None, max=None) -> Tensor:
    """Each element limited to [min, max] (bounds: numbers or tensors; the dtypes promote)."""
    check_tensor(input, "clamp", "input")
    if min is None and max is None:
        raise ValueError("clamp: at least one of 'min' or 'max' must not be None")
    min, max = (None if b is None else py_scalar(b) for b in (min, max))  # NumPy scalars too
    d = _dtypes.result_type(input, *(b for b in (min, max) if b is not None))
    x = input if input._dtype is d else input.astype(d)
    bounds = [b.astype(d) if isinstance(b, Tensor) and b._dtype is not d else b for b in (min, max)]
    return _elem.clip(x, *bounds)


def clamp_min(input, min) -> Tensor:
    return clamp(input, min=min)


def clamp_max(input, max) -> Tensor:
    return clamp(input, max=max)


def _sigmoid(xp, x):
    if xp.isdtype(x.dtype, "complex floating"):  # no ordering to pick a branch by
        return 1 / (1 + xp.exp(-x))
    e = xp.exp(-xp.abs(x))  # never overflows
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


_SIGMOID = Op("sigmoid", ("x",), lambda xp, g, ans: g * _cj(xp, ans * (1 - ans)), dtypes="floating-point",
              generic=_sigmoid)
# PyTorch's threshold_backward: exactly 0 where the output is 0, even for an infinite g, and
# g where it is NaN (not <= 0) (the NumPy backend's `where` is branchless, so this is as
# fast as multiplying by the mask).
_RELU = Op("relu", ("x",), lambda xp, g, ans: xp.where(ans != 0, g, 0), dtypes="real numeric",
           generic=lambda xp, x: xp.maximum(x, 0))


def sigmoid(input) -> Tensor:
    """1 / (1 + exp(-input)), computed without overflow."""
    return unary(_SIGMOID, input)


def relu(input) -> Tensor:
    """max(input, 0) (NaN stays NaN)."""
    return unary(_RELU, input)


def softmax(input, dim, dtype=None) -> Tensor:
    """exp(input) / sum(exp(input)) along `dim` (nn.functional's fused op)."""
    from .nn import functional  # imports this module

    if check_tensor(input, "softmax", "input").ndim == 0 and dim is not None:
        return _on_0d(lambda x, d: functional.softmax(x, d, dtype=dtype), input, dim, "softmax")
    return functional.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, dtype=None) -> Tensor:
    """log(softmax(input, dim)), computed stably (nn.functional's fused op)."""
    from .nn import functional

    if check_tensor(input, "log_softmax", "input").ndim == 0 and dim is not None:
        return _on_0d(lambda x, d: functional.log_softmax(x, d, dtype=dtype), input, dim, "log_softmax")
    return functional.log_softmax(input, dim, dtype=dtype)


# ----------------------------------------------------------------------------------------
# Shapes and views
# ----------------------------------------------------------------------------------------
def int_sequence(args, fname) -> tuple:
    """PyTorch's varargs-or-sequence argument: f(2, 3) or f((2, 3))."""
    try:
        if len(args) == 1 and not isinstance(args[0], int) and not hasattr(args[0], "__index__"):
            args = tuple(args[0])
        return tuple(operator.index(a) for a in args)
    except TypeError:
        raise TypeError(f"{fname}: expected ints or one sequence of ints, got {args!r}") from None


def cat(tensors, dim=_NOT_GIVEN, *, axis=_NOT_GIVEN, out=None) -> Tensor:
    """The tensors joined along `dim` (`axis`, PyTorch's alias; dtypes promote). As PyTorch's
    legacy rule, 1-D empty tensors (shape (0,)) are skipped (their dtype still promotes)."""
    if dim is not _NOT_GIVEN and axis is not _NOT_GIVEN:
        raise TypeError("cat(): give dim or its alias axis, not both")
    dim = axis if dim is _NOT_GIVEN else dim
    dim = 0 if dim is _NOT_GIVEN else dim
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"cat(): tensors must be a tuple or list of Tensors, got {type(tensors).__name__}")
    tensors = list(tensors)
    kept = [x for x in tensors if not (isinstance(x, Tensor) and tuple(x.shape) == (0,))]
    if kept and len(kept) < len(tensors) and isinstance(kept[0], Tensor) and kept[0].ndim != 1:
        # each (0,) tensor joins as an empty block of the others' shape (no values: it stays
        # in the graph, its gradient empty), in the dtype all of them promote to
        d = _dtypes.result_type(*tensors)
        shape = list(kept[0].shape)
        if dim is not None:
            shape[normalize_axis(dim, len(shape), "cat", "dim")] = 0
        empty = tuple(shape) if dim is not None else (0,)
        r = _manip.concat([(x if tuple(x.shape) != (0,) else _manip.reshape(x, empty)).astype(d, copy=False)
                           for x in tensors], axis=dim)
    else:
        r = _manip.concat(tensors, axis=dim)
    return r if out is None else write_out(out, r, "cat", tuple(tensors))


concatenate = cat


def transpose(input, dim0, dim1) -> Tensor:
    """A view of `input` with dimensions dim0 and dim1 swapped."""
    check_tensor(input, "transpose", "input")
    n = input.ndim
    if n == 0:
        return _manip.reshape(input, ())
    axes = list(range(n))
    a, b = normalize_axis(dim0, n, "transpose", "dim0"), normalize_axis(dim1, n, "transpose", "dim1")
    axes[a], axes[b] = axes[b], axes[a]
    return named_node(_manip.permute_dims(input, tuple(axes)), _TRANSPOSE_NODE, input)


_TRANSPOSE_NODE = node_type_named(_manip._PERMUTE, "TransposeBackward0")
_T_NODE = node_type_named(_manip._PERMUTE, "TBackward0")


swapaxes = swapdims = transpose


def permute(input, *dims, **kwargs) -> Tensor:
    """A view with the dimensions reordered: ``x.permute(2, 0, 1)``, ``permute(x, (2, 0, 1))``
    or ``permute(x, dims=(2, 0, 1))``."""
    if kwargs:
        if set(kwargs) != {"dims"} or dims:
            bad = next((k for k in kwargs if k != "dims"), "dims")
            raise TypeError(f"permute() got an unexpected keyword argument {bad!r}" if bad != "dims"
                            else "permute(): give dims positionally or as dims=, not both")
        dims = (kwargs["dims"],)
    return _manip.permute_dims(check_tensor(input, "permute", "input"), int_sequence(dims, "permute"))


def t(input) -> Tensor:
    """The transpose of a matrix (0-D and 1-D tensors come back as they are, as views)."""
    check_tensor(input, "t", "input")
    nd = input._data.ndim
    if nd == 2:
        return named_node(_manip.permute_dims(input, (1, 0)), _T_NODE, input)
    if nd > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {nd}D")
    return _manip.reshape(input, tuple(input._data.shape))


def as_strided(input, size, stride, storage_offset=None) -> Tensor:
    """The elements at positions storage_offset + sum(i_k * stride_k) of a contiguous input,
    shaped `size` (PyTorch's sliding windows, im2col written by hand). A copy, not a view:
    differentiable (the gradient sums back where windows overlap), and read-only where the
    backend can say so, so that a write meant to reach the input fails instead of going
    astray."""
    check_tensor(input, "as_strided", "input")
    size = tuple(int_list(size, "as_strided", "size"))
    stride = tuple(int_list(stride, "as_strided", "stride"))
    if len(size) != len(stride):
        raise RuntimeError(f"as_strided: mismatch in length of strides and shape ({len(stride)} vs {len(size)})")
    if any(n < 0 for n in size) or any(st < 0 for st in stride):
        raise RuntimeError(f"as_strided: sizes and strides must be non-negative, got {size} and {stride}")
    if not input.is_contiguous():
        raise RuntimeError("as_strided: the input must be contiguous (arraygrad reads its elements in "
                           "order, not a storage beneath them); call .contiguous() first")
    start = input.storage_offset()
    offset = start if storage_offset is None else operator.index(storage_offset)
    n = input.numel()
    first = offset - start
    last = first + builtins.sum((k - 1) * st for k, st in zip(size, stride))
    if math.prod(size) and (first < 0 or last >= n):
        raise RuntimeError(f"as_strided: size {list(size)}, stride {list(stride)} and storage offset {offset} "
                           f"reach outside the input's {n} elements")
    positions = _creation.asarray(first, dtype=_dtypes.int64, device=input.device)
    for axis, (k, st) in enumerate(zip(size, stride)):
        steps = _creation.arange(k, dtype=_dtypes.int64, device=input.device) * st
        positions = _manip.expand_dims(positions, axis=-1) + steps if axis else positions + steps
    flat = _indexing.take(_manip.reshape(input, (-1,)), _manip.reshape(positions, (-1,)), axis=0)
    return read_only(_manip.reshape(flat, size))


def read_only(copy: Tensor) -> Tensor:
    """`copy`, the result of a function that makes a view in PyTorch (as_strided, unfold) and
    a copy here, made read-only where the backend can say so (NumPy): a write meant to reach
    the input fails, instead of changing the copy alone."""
    flags = getattr(copy._data, "flags", None)
    if flags is not None:
        flags.writeable = False
    return copy


def narrow(input, dim, start, length) -> Tensor:
    """The view input[..., start:start + length, ...] along `dim`."""
    check_tensor(input, "narrow", "input")
    dim = normalize_axis(dim, input.ndim, "narrow", "dim")
    n = input.shape[dim]
    start = operator.index(start)
    if start < 0:
        start += n
    if not 0 <= start <= n or length < 0 or start + length > n:
        raise IndexRangeError(f"narrow(): start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return input[(slice(None),) * dim + (slice(start, start + length),)]


def split(tensor, split_size_or_sections=_NOT_GIVEN, dim=0, *, split_size=_NOT_GIVEN) -> tuple:
    """Views of consecutive pieces along `dim`: of one size (the last may be smaller), or of
    the listed sizes (which must add up to the dimension). `split_size=`: the Tensor
    method's keyword name."""
    if split_size is not _NOT_GIVEN:
        if split_size_or_sections is not _NOT_GIVEN:
            raise TypeError("split(): give split_size_or_sections or split_size, not both")
        split_size_or_sections = split_size
    if split_size_or_sections is _NOT_GIVEN:
        raise TypeError("split() missing required argument 'split_size_or_sections'")
    check_tensor(tensor, "split", "tensor")
    dim = normalize_axis(dim, tensor.ndim, "split", "dim")
    n = tensor.shape[dim]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size < 0 or size == 0 and n:  # 0 splits an empty dimension into one empty piece
            raise ValueError(f"split(): split_size must be positive, got {size}")
        if size == 0:
            return (tensor,)
        sizes = [min(size, n - s) for s in range(0, n, size)] or [0]
    else:
        sizes = int_list(split_size_or_sections, "split", "split_size_or_sections")
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise ShapeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                             f"(input tensor's size at dimension {dim}), but got split_sizes={sizes}")
    pre = (slice(None),) * dim
    out, start = [], 0
    for s in sizes:
        out.append(tensor[pre + (slice(start, start + s),)])
        start += s
    return tuple(out)


def chunk(input, chunks, dim=0) -> tuple:
    """`input` split into `chunks` views of equal size (the last may be smaller; fewer when
    the dimension is short)."""
    chunks = int_arg(chunks, "chunk", "chunks")
    if chunks <= 0:
        raise ValueError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    check_tensor(input, "chunk", "input")
    n = input.shape[normalize_axis(dim, input.ndim, "chunk", "dim")]
    if n == 0:  # PyTorch's: `chunks` empty pieces
        return split(input, [0] * chunks, dim)
    return split(input, max(1, -(-n // chunks)), dim)


def unbind(input, dim=0) -> tuple:
    """The slices along `dim`, as views."""
    return _manip.unstack(check_tensor(input, "unbind", "input"), axis=dim)


def flatten(input, start_dim=0, end_dim=-1) -> Tensor:
    """Dimensions start_dim..end_dim merged into one (a view when the memory allows)."""
    check_tensor(input, "flatten", "input")
    shape = tuple(input.shape)
    if not shape:
        return _manip.reshape(input, (1,))
    s = normalize_axis(start_dim, len(shape), "flatten", "start_dim")
    e = normalize_axis(end_dim, len(shape), "flatten", "end_dim")
    if s > e:
        raise ShapeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:  # nothing to merge: the tensor itself, as PyTorch (a leaf stays that leaf)
        return input
    return _manip.reshape(input, shape[:s] + (math.prod(shape[s:e + 1]),) + shape[e + 1:])


def unflatten(input, dim, sizes) -> Tensor:
    """Dimension `dim` split into `sizes` (one of them may be -1)."""
    check_tensor(input, "unflatten", "input")
    shape = tuple(input.shape)
    dim = normalize_axis(dim, len(shape), "unflatten", "dim")
    sizes = tuple(operator.index(s) for s in sizes)
    if -1 in sizes:
        known = math.prod(s for s in sizes if s != -1)
        if not known:  # -1 next to a 0: any size would do
            raise RuntimeError(f"unflatten: cannot infer the -1 in sizes {list(sizes)}, which also hold a 0")
        sizes = tuple(shape[dim] // known if s == -1 else s for s in sizes)
    if math.prod(sizes) != shape[dim]:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size "
                           f"of dim {dim} ({shape[dim]}) in the input tensor")
    return _manip.reshape(input, shape[:dim] + sizes + shape[dim + 1:])


def unsqueeze(input, dim) -> Tensor:
    """A view with a new dimension of size 1 at `dim`."""
    return _manip.expand_dims(check_tensor(input, "unsqueeze", "input"), axis=dim)


def _one_element(fn, input, dim, index, *rest, **kw):
    """_on_0d for the functions taking an index (scatter, scatter_add, scatter_reduce,
    gather): a 0-d index and source count as one element too; gather's result has the
    index's shape."""
    def one(t):
        return _manip.reshape(t, (1,)) if isinstance(t, Tensor) and t.ndim == 0 else t

    return _on_0d(lambda x, d: fn(x, d, one(index), *[one(r) for r in rest], **kw), input, dim, fn.__name__,
                  shape=tuple(index.shape) if fn is gather else ())


def movedim(input, source, destination) -> Tensor:
    if isinstance(input, Tensor) and input.ndim == 0:  # PyTorch's: dims 0 and -1 of a 0-d tensor
        for d in (source, destination):
            for a in (d if isinstance(d, (list, tuple)) else (d,)):
                _check_0d_dim(a, "movedim")
        return _manip.reshape(input, ())
    return _manip.moveaxis(input, tuple(source) if isinstance(source, list) else source,
                           tuple(destination) if isinstance(destination, list) else destination)


# ----------------------------------------------------------------------------------------
# Indexing
# ----------------------------------------------------------------------------------------
@takes_out
def index_select(input, dim, index) -> Tensor:
    """The entries of `input` at the positions `index` (1-D integer) along `dim`."""
    check_tensor(input, "index_select", "input")
    check_tensor(index, "index_select", "index")
    if input.ndim == 0:
        return _one_element(index_select, input, dim, index)
    if index.ndim > 1:
        raise IndexError(f"index_select(): Index is supposed to be a vector, got shape {tuple(index.shape)}")
    _refuse_negative("index_select", index)
    return _indexing.take(input, _manip.reshape(index, (-1,)), axis=dim)


def _refuse_negative(fname, index, size=None):
    """PyTorch's gather, scatter and index_* functions take indices in [0, size): a negative
    one, which NumPy (and the standard's take) would count from the end, is an error there.
    Reads the indices' minimum, so not on lazy backends."""
    if not isinstance(index, Tensor) or index._dtype.kind != "i" or index._backend.lazy or not index._data.size:
        return
    lo = index._backend.extrema(index._data)[0]
    if lo < 0:
        bound = "" if size is None else f" with size {size}"
        raise IndexRangeError(f"{fname}(): index {lo} is out of bounds{bound} (negative indices are "
                              "not allowed here)")


def _check_index_shape(fname, input, dim, index, other=None):
    if index._dtype.kind not in "iu":
        raise TypeError(f"{fname}(): Expected dtype int64 for index, got {index._dtype}")
    _refuse_negative(fname, index, input.shape[dim] if input.ndim else None)
    if builtins.max(index.ndim, 1) != builtins.max(input.ndim, 1):  # a 0-d index counts as 1-d, as PyTorch's
        raise RuntimeError(f"{fname}(): Index tensor must have the same number of dimensions as "
                           f"input tensor ({index.ndim} vs {input.ndim})")
    for d, (i, n) in enumerate(zip(index.shape, input.shape)):
        if d != dim and i > n or other is not None and i > other.shape[d]:
            raise RuntimeError(f"{fname}(): Size does not match at dimension {d} expected index "
                               f"{tuple(index.shape)} to be no larger than self {tuple(input.shape)} "
                               f"apart from dimension {dim}")


@takes_out
def gather(input, dim, index, *, sparse_grad=False) -> Tensor:
    """out[i][j] = input[index[i][j]][j] for dim 0 (and so on): values picked along `dim`
    (sparse_grad: PyTorch's sparse gradient; arraygrad's is dense, the same values)."""
    check_tensor(input, "gather", "input")
    check_tensor(index, "gather", "index")
    if input.ndim == 0:
        return _one_element(gather, input, dim, index, sparse_grad=sparse_grad)
    if index.ndim == 0 and input.ndim == 1:  # PyTorch's: the one element, as a 0-d tensor
        return _manip.reshape(gather(input, dim, _manip.reshape(index, (1,))), ())
    dim = normalize_axis(dim, input.ndim, "gather", "dim")
    _check_index_shape("gather", input, dim, index)
    part = input[tuple(slice(None) if d == dim else slice(0, s) for d, s in enumerate(index.shape))]
    return _indexing.take_along_axis(part, index, axis=dim)


def _scatter_key(index, dim):
    """The advanced-indexing key writing index[i][j] along `dim` at (i, j) elsewhere."""
    key = []
    for d, s in enumerate(index.shape):
        if d == dim:
            key.append(index)
        else:
            shape = [1] * index.ndim
            shape[d] = s
            key.append(_manip.reshape(_creation.arange(s, device=index.device), tuple(shape)))
    return tuple(key)


def _scatter_source(fname, input, dim, index, src):
    check_tensor(input, fname, "input")
    check_tensor(index, fname, "index")
    dim = normalize_axis(dim, input.ndim, fname, "dim")
    if index.ndim == 0 and input.ndim == 1:  # a 0-d index (and src) count as one element, as PyTorch's
        index = _manip.reshape(index, (1,))
        if isinstance(src, Tensor) and src.ndim == 0:
            src = _manip.reshape(src, (1,))
    if isinstance(src, Tensor):
        _check_index_shape(fname, input, dim, index, src)
        if src._dtype is not input._dtype:  # PyTorch's check: no silent cast (nor truncation)
            raise DTypeError(f"{fname}(): Expected self.dtype to be equal to src.dtype, got "
                             f"{input._dtype} and {src._dtype}")
        src = src[tuple(slice(0, s) for s in index.shape)]
    else:
        _check_index_shape(fname, input, dim, index)
        src = _creation.full(tuple(index.shape), src, dtype=input._dtype, device=input.device)
    return _scatter_key(index, dim), src


def scatter(input, dim, index, src=None, *, value=None, reduce=None) -> Tensor:
    """A copy of `input` with src (a tensor, or a number) written at `index` along `dim`."""
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter(): give src (a tensor) or value (a number)")
    if isinstance(input, Tensor) and input.ndim == 0:
        return _one_element(scatter, input, dim, check_tensor(index, "scatter", "index"), src, reduce=reduce)
    if reduce == "add":
        return scatter_add(input, dim, index, src)
    if reduce == "multiply":  # PyTorch's (deprecated) product reduction: scatter_reduce's "prod"
        check_tensor(input, "scatter", "input")
        check_tensor(index, "scatter", "index")
        if not isinstance(src, Tensor):
            src = _creation.full(tuple(index.shape), src, dtype=input._dtype, device=input.device)
        elif src.ndim == index.ndim:
            src = src[tuple(slice(0, s) for s in index.shape)]
        return scatter_reduce(input, dim, index, src.astype(input._dtype), "prod")
    if reduce is not None:
        raise ValueError(f"scatter(): reduce must be None, 'add' or 'multiply', got {reduce!r}")
    key, src = _scatter_source("scatter", input, dim, index, src)
    return _indexing.setitem_functional(input, key, src)


def scatter_add(input, dim, index, src) -> Tensor:
    """A copy of `input` with src added at `index` along `dim` (repeated indices accumulate)."""
    if isinstance(input, Tensor) and input.ndim == 0:
        return _one_element(scatter_add, input, dim, check_tensor(index, "scatter_add", "index"), src)
    key, src = _scatter_source("scatter_add", input, dim, index, src)
    return _indexing.index_add(input, key, src)


def index_add(input, dim, index, source, *, alpha=1) -> Tensor:
    """A copy of `input` with alpha * source added at the positions `index` along `dim`."""
    check_tensor(input, "index_add", "input")
    if check_tensor(source, "index_add", "source")._dtype is not input._dtype:
        raise DTypeError(f"index_add: source must have the input's dtype {input._dtype}, got {source._dtype}")
    _refuse_negative("index_add", index)
    if input.ndim == 0:
        return _one_element(index_add, input, dim, index, source, alpha=alpha)
    dim = normalize_axis(dim, input.ndim, "index_add", "dim")
    return _indexing.index_add(input, (slice(None),) * dim + (index,), _scaled("index_add", input, source, alpha))


def masked_fill(input, mask, value) -> Tensor:
    """A copy of `input` with `value` where `mask` is true (input's dtype is kept)."""
    check_tensor(input, "masked_fill", "input")
    check_tensor(mask, "masked_fill", "mask")
    if mask._dtype is not _dtypes.bool:
        raise TypeError(f"masked_fill only supports boolean masks, but got mask with dtype {mask._dtype}")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ValueError(f"masked_fill only supports a 0-dimensional value tensor, but got "
                             f"tensor with {value.ndim} dimension(s).")
        v = value if value._dtype is input._dtype else value.astype(input._dtype)
    else:  # NumPy's scalars as the Python ones they hold: a complex one into a real tensor raises
        v = _creation.asarray(_dtypes.plain_scalar(value), dtype=input._dtype, device=input.device)
    return _search.where(mask, v, input)


@takes_out
def masked_select(input, mask) -> Tensor:
    """The elements of `input` where `mask` is true, as a 1-D tensor."""
    check_tensor(input, "masked_select", "input")
    if check_tensor(mask, "masked_select", "mask").dtype != _dtypes.bool:
        # an integer mask would index by position instead
        raise TypeError(f"masked_select: mask must have dtype bool, got {mask.dtype}")
    x, m = _manip.broadcast_arrays(input, mask)
    return x[m]


# ----------------------------------------------------------------------------------------
# Reductions
# ----------------------------------------------------------------------------------------
def torch_accumulation_dtype(x, dtype):
    """PyTorch's sums and products of bool and unsigned integers accumulate in int64 (the
    standard's in uint64 for unsigned): the dtype to pass for PyTorch's spelling."""
    if dtype is None and x._dtype.kind in "bu" and x._dtype.bits < 64:
        return _dtypes.int64
    return dtype


@takes_out
def cumsum(input, dim, *, dtype=None) -> Tensor:
    dtype = torch_accumulation_dtype(check_tensor(input, "cumsum", "input"), dtype)
    if input.ndim == 0:
        return _on_0d(lambda x, d: cumsum(x, d, dtype=dtype), input, dim, "cumsum")
    return _stat.cumulative_sum(input, axis=dim, dtype=dtype)


@takes_out
def cumprod(input, dim, *, dtype=None) -> Tensor:
    dtype = torch_accumulation_dtype(check_tensor(input, "cumprod", "input"), dtype)
    if input.ndim == 0:
        return _on_0d(lambda x, d: cumprod(x, d, dtype=dtype), input, dim, "cumprod")
    return _stat.cumulative_prod(input, axis=dim, dtype=dtype)


def reduction_axes(dim, input=None, fname="reduction"):
    """PyTorch's `dim` (an int, a sequence, or None / () for all) as the standard's axis.
    With `input` 0-d: PyTorch sees one dimension of size 1 there, so dim 0 or -1 (checked)
    is the whole tensor, None."""
    if dim is None or isinstance(dim, (tuple, list)) and not dim:
        return None
    if input is not None and input.ndim == 0:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        for d in dims:
            _check_0d_dim(d, fname)
        if len(dims) > 1:
            raise RuntimeError(f"{fname}(): dim 0 appears multiple times in the list of dims")
        return None
    return tuple(dim) if isinstance(dim, (list, tuple)) else dim


def _check_0d_dim(dim, fname):
    """PyTorch's check of a `dim` of a 0-d tensor: 0 or -1."""
    from ._ops import AxisError

    try:
        d = operator.index(dim)
    except TypeError:
        raise TypeError(f"{fname}(): dim must be an int, got {type(dim).__name__}") from None
    if d not in (0, -1):
        raise AxisError(f"{fname}(): Dimension out of range (expected to be in range of [-1, 0], "
                        f"but got {dim})")


def _on_0d(fn, input, dim, fname, shape=()):
    """fn(input as 1-D, 0) reshaped back to 0-d (or `shape`), for a function along one `dim`
    of a 0-d tensor (PyTorch's: dim 0 / -1 is a dimension of size 1)."""
    _check_0d_dim(dim, fname)
    return _manip.reshape(fn(_manip.reshape(input, (1,)), 0), shape)


@takes_out
def logsumexp(input, dim=None, keepdim=False) -> Tensor:
    """log(sum(exp(input))) over `dim`, computed without overflow."""
    check_tensor(input, "logsumexp", "input")
    x = input if input._dtype.kind in "fc" else input.astype(_dtypes.DEFAULT_FLOAT)
    axis = reduction_axes(dim, x, "logsumexp")
    if 0 in x.shape:  # an empty sum: log(0) = -inf, PyTorch's (no maximum to shift by)
        out = _stat.sum(_elem.exp(x), axis=axis, keepdims=True) * 0 - math.inf
    else:
        m = _stat.max(_elem.real(x) if x._dtype.kind == "c" else x, axis=axis, keepdims=True).detach()
        m = _search.where(_elem.isfinite(m), m, 0.0)  # complex x: shifted by its largest real part
        out = _elem.log(_stat.sum(_elem.exp(x - m), axis=axis, keepdims=True)) + m
    if keepdim:
        return out
    return _manip.squeeze(out, tuple(range(x.ndim)) if axis is None else axis)


@takes_out
def norm(input, p="fro", dim=None, keepdim=False, dtype=None) -> Tensor:
    """The p-norm over `dim` (all elements by default): 'fro'/2, 1, inf, -inf, 0 or any p."""
    check_tensor(input, "norm", "input")
    x = input if dtype is None else input.astype(dtype)
    if x._dtype.kind not in "fc":
        raise DTypeError(f"norm(): input dtype should be either floating point or complex, got {x._dtype}")
    if isinstance(p, str) and p in ("fro", "nuc"):
        dims = dim if isinstance(dim, (tuple, list)) else None if dim is None else (dim,)
        if p == "nuc" or (dims is not None and len(dims) > 2):  # a matrix norm: two dims
            dims = tuple(range(x.ndim)) if dims is None else tuple(dims)
            if len(dims) != 2:
                raise RuntimeError(f"norm(): p={p!r} is a matrix norm: dim must be a 2-tuple, got "
                                   f"{dim if dim is not None else dims}")
            if p == "nuc":
                return _nuclear_norm(x, dims, keepdim)
        p = 2
    elif p is None:
        p = 2
    elif isinstance(p, str):
        raise RuntimeError(f"norm(): p={p!r} is not supported; use a number, inf, -inf, 'fro' or 'nuc'")
    from .linalg import vector_norm  # its rules are right at 0 (sqrt's derivative is not)

    return vector_norm(x, axis=reduction_axes(dim, x, "norm"), keepdims=keepdim, ord=p)


def _nuclear_norm(x, dims, keepdim):
    """The sum of the singular values of the matrices spanning `dims` (two of x's)."""
    from .linalg import matrix_norm

    a, b = (normalize_axis(d, x.ndim, "norm", "dim") for d in dims)
    if a == b:
        raise RuntimeError(f"norm(): dims must be different, got {tuple(dims)}")
    out = matrix_norm(_manip.moveaxis(x, (a, b), (-2, -1)), ord="nuc")
    if keepdim:
        out = _manip.reshape(out, tuple(1 if i in (a, b) else n for i, n in enumerate(x.shape)))
    return out


@takes_out
def amax(input, dim=(), keepdim=False) -> Tensor:
    """The maximum over `dim` (all dims by default); ties share the gradient."""
    check_tensor(input, "amax", "input")
    return _stat.max(input, axis=reduction_axes(dim, input, "amax"), keepdims=keepdim)


@takes_out
def amin(input, dim=(), keepdim=False) -> Tensor:
    check_tensor(input, "amin", "input")
    return _stat.min(input, axis=reduction_axes(dim, input, "amin"), keepdims=keepdim)


def _return_type(name, fields=("values", "indices")):
    """PyTorch's (values, indices) named tuples (or other `fields`), printed as PyTorch
    prints them."""
    cls = namedtuple(name, fields)
    cls.__module__ = "arraygrad.return_types"
    cls.__repr__ = lambda self: (f"arraygrad.return_types.{name}(\n"
                                 + ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self)) + ")")
    return cls


return_types = {name: _return_type(name) for name in ("max", "min", "sort", "topk")}
return_types["svd"] = _return_type("svd", ("U", "S", "V"))


def _top_indices(xp, x, /, k, axis, largest):
    """The indices of the k largest (smallest) entries of raw array `x` along `axis`, in
    order, ties by index (NaN counts as the largest): a backend function, so that a backend
    can select without sorting the whole axis (NumPy's argpartition)."""
    idx = xp.argsort(x, axis=axis, descending=largest, stable=True)
    return idx[(slice(None),) * axis + (slice(0, k),)]


def _kth_index(xp, x, /, kth, axis):
    """The index of the kth smallest entry of raw array `x` along `axis` (kept as a length-1
    axis; NaN counts as the largest): a backend function, for the same reason."""
    idx = xp.argsort(x, axis=axis, stable=True)
    return idx[(slice(None),) * axis + (slice(kth, kth + 1),)]


GENERIC_IMPLS["top_indices"] = _top_indices
GENERIC_IMPLS["kth_index"] = _kth_index


def _backend_indices(name, x, *args):
    """A backend function giving (non-differentiable) indices into tensor `x`."""
    b = x._backend
    return wrap(b.fn[name](x._data, *args), b)


@takes_out
def topk(input, k, dim=-1, largest=True, sorted=True):
    """The k largest (or smallest) entries along `dim` and their indices."""
    check_tensor(input, "topk", "input")
    dim = normalize_axis(dim, max(input.ndim, 1), "topk", "dim")
    if not 0 <= k <= (input.shape[dim] if input.ndim else 1):
        raise IndexRangeError(f"topk(): selected index k={k} out of range")
    if input.ndim == 0:  # one dimension of size 1 (PyTorch's)
        v, i = topk(_manip.reshape(input, (1,)), k, 0, largest, sorted)
        return return_types["topk"](_manip.reshape(v, ()) if k else v, _manip.reshape(i, ()) if k else i)
    idx = _backend_indices("top_indices", input, k, dim, bool(largest))
    return return_types["topk"](_indexing.take_along_axis(input, idx, axis=dim), idx)


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
    """|input - other| <= atol + rtol * |other|, elementwise (infinities equal only to themselves)."""
    check_tensor(input, "isclose", "input")
    close = input == other
    if input.dtype == _dtypes.bool:  # no tolerance between True and False (PyTorch's)
        return close
    finite = _elem.isfinite(input) & _elem.isfinite(other)
    close = close | (finite & (_elem.abs(input - other) <= atol + rtol * _elem.abs(other)))
    if equal_nan:
        close = close | (_elem.isnan(input) & _elem.isnan(other))
    return close


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    return bool(isclose(input, other, rtol, atol, equal_nan).all())


# ----------------------------------------------------------------------------------------
# Products
# ----------------------------------------------------------------------------------------
def _check_ranks(fname, **tensors):
    for name, (x, nd) in tensors.items():
        check_tensor(x, fname, name)
        if x.ndim != nd:
            raise RuntimeError(f"{fname}: {name} must be a {nd}-D tensor, got shape {tuple(x.shape)}")


def _same_dtype(fname, a, b):
    if a._dtype is not b._dtype:
        raise RuntimeError(f"{fname}: expected both operands to have the same dtype, but got "
                           f"{a._dtype} and {b._dtype}")


@takes_out
def mm(input, mat2) -> Tensor:
    """The matrix product of two 2-D tensors."""
    _check_ranks("mm", input=(input, 2), mat2=(mat2, 2))
    return _linalg.matmul(input, mat2)


@takes_out
def bmm(input, mat2) -> Tensor:
    """Matrix products of two batches of matrices (3-D tensors)."""
    _check_ranks("bmm", input=(input, 3), mat2=(mat2, 3))
    return named_node(_linalg.matmul(input, mat2), node_type_named(_linalg._MATMUL, "BmmBackward0"))


@takes_out
def mv(input, vec) -> Tensor:
    """A matrix times a vector."""
    _check_ranks("mv", input=(input, 2), vec=(vec, 1))
    return _linalg.matmul(input, vec)


@takes_out
def dot(input, tensor) -> Tensor:
    """The dot product of two 1-D tensors of one dtype (no conjugation)."""
    _check_ranks("dot", input=(input, 1), tensor=(tensor, 1))
    _same_dtype("dot", input, tensor)
    return _linalg.matmul(input, tensor)


@takes_out
def outer(input, vec2) -> Tensor:
    """The outer product of two 1-D tensors."""
    _check_ranks("outer", input=(input, 1), vec2=(vec2, 1))
    return _manip.expand_dims(input, axis=1) * _manip.expand_dims(vec2, axis=0)


ger = outer


# ----------------------------------------------------------------------------------------
# Creation
# ----------------------------------------------------------------------------------------
def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """`steps` values from base**start to base**end, evenly spaced in the exponent
    (PyTorch's; computed in float64 where the device has it, then cast to `dtype`)."""
    d = _dtypes.DEFAULT_FLOAT if dtype is None else _dtypes.as_dtype(dtype)
    if d.kind in "iu":  # PyTorch's: integer exponents (the bounds truncated), as linspace's
        start, end = math.trunc(py_scalar(start)), math.trunc(py_scalar(end))
    b = _creation.backend_for(device)
    wide = _dtypes.float64 if _dtypes.float64 in b.native_dtype else _dtypes.DEFAULT_FLOAT
    exponents = _creation.linspace(start, end, steps=steps, dtype=wide, device=device)
    out = _elem.pow(float(base), exponents)
    if out.dtype is not d:
        out = out.astype(d)
    return out.requires_grad_(True) if requires_grad else out


# ----------------------------------------------------------------------------------------
# Diagonals
# ----------------------------------------------------------------------------------------
@takes_out
def diag(input, diagonal: int = 0) -> Tensor:
    """PyTorch's diag: a 1-D tensor becomes the square matrix with it on the `diagonal`-th
    diagonal (above the main one for diagonal > 0); a 2-D tensor gives that diagonal."""
    check_tensor(input, "diag", "input")
    k = operator.index(diagonal)
    if input.ndim == 2:  # a copy, as PyTorch's (Tensor.diagonal is the view)
        return clone(_linalg_ext().diagonal(input, offset=k))
    if input.ndim != 1:
        raise RuntimeError(f"diag: input must be 1-D or 2-D, got shape {tuple(input.shape)}")
    n = input.shape[0]
    m = n + abs(k)
    dev = input.device
    # row i holds input[i] at column i + |k|; zero rows below make it square; k < 0 mirrors
    on_diagonal = _creation.eye(n, m, k=abs(k), dtype=_dtypes.bool, device=dev)
    rows = _search.where(on_diagonal, _manip.expand_dims(input, axis=1),
                         _creation.zeros((n, m), dtype=input.dtype, device=dev))
    square = _manip.concat([rows, _creation.zeros((abs(k), m), dtype=input.dtype, device=dev)], axis=0)
    return square if k >= 0 else _linalg.matrix_transpose(square)


def diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """PyTorch's diagonal: the `offset` diagonal of the matrices spanned by axes dim1, dim2
    (moved last, as PyTorch's result has the diagonal as its last axis)."""
    check_tensor(input, "diagonal", "input")
    nd = input.ndim
    d1, d2 = normalize_axis(dim1, nd, "diagonal", "dim1"), normalize_axis(dim2, nd, "diagonal", "dim2")
    if d1 == d2:
        raise RuntimeError(f"diagonal: dim1 and dim2 cannot be the same axis, got {dim1} and {dim2}")
    return _linalg_ext().diagonal(_manip.moveaxis(input, (d1, d2), (-2, -1)), offset=offset)


def trace(input) -> Tensor:
    """The sum of a 2-D tensor's main diagonal (integers sum as int64, as in PyTorch)."""
    _check_ranks("trace", input=(input, 2))
    return _linalg_ext().trace(input, dtype=torch_accumulation_dtype(input, None))


def _linalg_ext():
    from . import linalg

    return linalg

# ----------------------------------------------------------------------------------------
# More of PyTorch's functions, written with differentiable ones (so gradients, higher
# orders and every backend come with them)
# ----------------------------------------------------------------------------------------
def _atleast(fname, nd, tensors):
    ts = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
    out = []
    for t in ts:
        check_tensor(t, fname, "tensors")
        shape = tuple(t.shape)
        if len(shape) < nd:  # PyTorch's placements: (n,) -> (1, n), (1, n, 1); (m, n) -> (m, n, 1)
            shape = {0: (1,) * nd, 1: ((1,) + shape + (1,))[:nd] if nd == 3 else (1,) + shape,
                     2: shape + (1,)}[len(shape)]
            t = _manip.reshape(t, shape)
        out.append(t)
    return out[0] if len(out) == 1 and not isinstance(tensors[0], (list, tuple)) else tuple(out)


def atleast_1d(*tensors):
    return _atleast("atleast_1d", 1, tensors)


def atleast_2d(*tensors):
    return _atleast("atleast_2d", 2, tensors)


def atleast_3d(*tensors):
    return _atleast("atleast_3d", 3, tensors)


def _tensor_list(fname, tensors) -> list:
    """`tensors`, a non-empty list or tuple of Tensors, as a list (PyTorch's errors)."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{fname}: tensors must be a list or tuple of Tensors, got {type(tensors).__name__}")
    if not tensors:
        raise RuntimeError(f"{fname} expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        check_tensor(t, fname, f"tensors[{i}]")
    return list(tensors)


def hstack(tensors) -> Tensor:
    """Concatenate along axis 1 (axis 0 for 1-D tensors)."""
    ts = atleast_1d(_tensor_list("hstack", tensors))
    return _manip.concat(list(ts), axis=0 if ts[0].ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    """Concatenate as rows (1-D tensors become rows)."""
    return _manip.concat(list(atleast_2d(_tensor_list("vstack", tensors))), axis=0)


row_stack = vstack


def dstack(tensors) -> Tensor:
    """Concatenate along axis 2 (after atleast_3d)."""
    return _manip.concat(list(atleast_3d(_tensor_list("dstack", tensors))), axis=2)


def column_stack(tensors) -> Tensor:
    """Tensors as columns side by side (0-d and 1-D ones become columns)."""
    tensors = _tensor_list("column_stack", tensors)
    cols = [_manip.reshape(t, (-1, 1)) if t.ndim <= 1 else t for t in tensors]
    return _manip.concat(cols, axis=1)


def _scaled_sum(fname, input, product, beta, alpha):
    """beta * input + alpha * product; beta = 0 ignores input (NaN included), as PyTorch."""
    check_tensor(input, fname, "input")
    scaled = product if alpha == 1 else product * alpha
    if beta == 0:
        out = scaled + _creation.zeros_like(input) if tuple(input.shape) != tuple(scaled.shape) else scaled
        if input._requires_grad and grad_enabled():  # input still gets its (zero) gradient
            from ._autograd.engine import _DEPENDS

            out = apply(_DEPENDS, (out, input))
        return out
    return (input if beta == 1 else input * beta) + scaled


@takes_out
def addmm(input, mat1, mat2, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2)."""
    _check_ranks("addmm", mat1=(mat1, 2), mat2=(mat2, 2))
    return _scaled_sum("addmm", input, _linalg.matmul(mat1, mat2), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (mat @ vec)."""
    _check_ranks("addmv", mat=(mat, 2), vec=(vec, 1))
    return _scaled_sum("addmv", input, _linalg.matmul(mat, vec), beta, alpha)


@takes_out
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (batch1 @ batch2), batch by batch."""
    _check_ranks("baddbmm", batch1=(batch1, 3), batch2=(batch2, 3))
    return _scaled_sum("baddbmm", input, _linalg.matmul(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * the sum over the batch of batch1[i] @ batch2[i]."""
    _check_ranks("addbmm", batch1=(batch1, 3), batch2=(batch2, 3))
    return _scaled_sum("addbmm", input, _stat.sum(_linalg.matmul(batch1, batch2), axis=0), beta, alpha)


def _check_tensors(fname, **tensors) -> None:
    for argname, t in tensors.items():
        check_tensor(t, fname, argname)


def addcmul(input, tensor1, tensor2, *, value=1) -> Tensor:
    """input + value * tensor1 * tensor2."""
    _check_tensors("addcmul", input=input, tensor1=tensor1, tensor2=tensor2)
    return input + value * (tensor1 * tensor2)


def addcdiv(input, tensor1, tensor2, *, value=1) -> Tensor:
    """input + value * tensor1 / tensor2."""
    _check_tensors("addcdiv", input=input, tensor1=tensor1, tensor2=tensor2)
    return input + value * (tensor1 / tensor2)


def lerp(input, end, weight) -> Tensor:
    """input + weight * (end - input)."""
    _check_tensors("lerp", input=input, end=end)
    if not isinstance(weight, (Tensor, builtins.int, builtins.float, builtins.complex)):
        raise TypeError(f"lerp: weight must be a Tensor or a number, got {type(weight).__name__}")
    return input + weight * (end - input)


def inverse(input) -> Tensor:
    return _linalg_ext().inv(input)


def det(input) -> Tensor:
    return _linalg_ext().det(input)


def slogdet(input):
    return _linalg_ext().slogdet(input)


def logdet(input) -> Tensor:
    """log(det(input)): -inf for a singular matrix, NaN for a negative real determinant; the
    complex logarithm log|det| + i arg(det) for complex input."""
    sign, logabs = _linalg_ext().slogdet(input)
    if sign._dtype.kind == "c":
        return logabs.astype(sign._dtype) + 1j * _elem.atan2(_elem.imag(sign), _elem.real(sign))
    return _search.where(sign < 0, math.nan, logabs)


def cholesky(input, upper: bool = False) -> Tensor:
    return _linalg_ext().cholesky(input, upper=upper)


def lu(A, pivot: bool = True, get_infos: bool = False):
    """PyTorch's older LU: (LU, pivots), and the factorizations' infos with get_infos=True
    (linalg.lu_factor_ex's); a singular matrix raises unless get_infos is set."""
    la = _linalg_ext()
    if get_infos:
        return tuple(la.lu_factor_ex(A, pivot=pivot))
    return tuple(la.lu_factor(A, pivot=pivot))


def lu_solve(b, LU_data, LU_pivots) -> Tensor:
    """PyTorch's older lu_solve (b first): linalg.lu_solve(LU_data, LU_pivots, b)."""
    return _linalg_ext().lu_solve(LU_data, LU_pivots, b)


def orgqr(input, tau) -> Tensor:
    """linalg.householder_product (PyTorch's LAPACK name)."""
    return _linalg_ext().householder_product(input, tau)


# The older linalg functions PyTorch keeps at the top level (defined in linalg.py).
def lu_unpack(LU_data, LU_pivots, unpack_data: bool = True, unpack_pivots: bool = True):
    return _linalg_ext().lu_unpack(LU_data, LU_pivots, unpack_data, unpack_pivots)


def cholesky_solve(B, L, upper: bool = False) -> Tensor:
    return _linalg_ext().cholesky_solve(B, L, upper)


def cholesky_inverse(L, upper: bool = False) -> Tensor:
    return _linalg_ext().cholesky_inverse(L, upper)


def triangular_solve(b, A, upper: bool = True, transpose: bool = False, unitriangular: bool = False):
    return _linalg_ext().triangular_solve(b, A, upper, transpose, unitriangular)


def qr(input, some: bool = True):
    return _linalg_ext().qr(input, mode="reduced" if some else "complete")


def svd(input, some: bool = True, compute_uv: bool = True):
    """PyTorch's older svd: (U, S, V) with V (not V^H); some=False gives square U and V;
    compute_uv=False gives zero U and V."""
    la = _linalg_ext()
    u, sv, vh = la.svd(input, full_matrices=not some)
    v = _linalg.matrix_transpose(_elem.conj(vh))
    if not compute_uv:  # PyTorch: zero U and V, square
        m, n = input.shape[-2:]
        lead = tuple(input.shape[:-2])
        z = lambda k: _creation.zeros(lead + (k, k), dtype=u.dtype, device=u.device)  # noqa: E731
        return return_types["svd"](z(m), sv, z(n))
    return return_types["svd"](u, sv, v)


def pinverse(input, rcond: float = 1e-15) -> Tensor:
    return _linalg_ext().pinv(input, rtol=rcond)


def matrix_power(input, n: int) -> Tensor:
    return _linalg_ext().matrix_power(input, n)


def nan_to_num(input, nan: float = 0.0, posinf=None, neginf=None) -> Tensor:
    """NaN, +inf and -inf replaced (by 0 and the dtype's largest and lowest finite values
    by default); the gradient passes where nothing was replaced."""
    check_tensor(input, "nan_to_num", "input")
    nan = 0.0 if nan is None else nan
    if input.dtype.kind not in "fc":
        return input
    if input.dtype.kind == "c":  # each part on its own (PyTorch's, NumPy's)
        return complex(*(nan_to_num(part, nan, posinf, neginf) for part in (_elem.real(input), _elem.imag(input))))
    info = _dtypes.finfo(input.dtype)
    hi, lo = (info.max if posinf is None else posinf), (info.min if neginf is None else neginf)
    return apply(_NAN_TO_NUM, (input,), {"nan": float(nan), "posinf": float(hi), "neginf": float(lo)})


def _nan_to_num_generic(xp, x, *, nan, posinf, neginf):
    x = xp.where(xp.isnan(x), nan, x)
    x = xp.where(xp.isinf(x) & (x > 0), posinf, x)
    return xp.where(xp.isinf(x) & (x < 0), neginf, x)


# one pass where the backend has nan_to_num (NumPy, CuPy); the gradient passes where nothing was replaced
_NAN_TO_NUM = Op("nan_to_num", ("x",), lambda xp, g, x: xp.where(xp.isfinite(x), g, 0.0), dtypes="real floating",
                 generic=_nan_to_num_generic, grad_fn="NanToNumBackward0")


def _logit_grad(xp, g, x):
    """PyTorch's: g / (x (1 - x)): +-inf at 0 and 1, NaN outside [0, 1]."""
    return xp.where((x < 0) | (x > 1), math.nan, g / (x * (1 - x)))


_LOGIT = Op("logit", ("x",), _logit_grad, dtypes="real floating", grad_fn="LogitBackward0",
            generic=lambda xp, x: quiet_log(xp, x) - quiet_log(xp, -x, plus_one=True))


def logit(input, eps=None) -> Tensor:
    """log(p / (1 - p)), p clamped to [eps, 1 - eps] when eps is given (then its gradient is
    0 outside, as PyTorch's); -inf/inf at 0/1 and NaN outside [0, 1], without warnings."""
    check_tensor(input, "logit", "input")
    return unary(_LOGIT, input if eps is None else clamp(input, eps, 1 - eps))


def exp2(input) -> Tensor:
    return 2.0 ** check_tensor(input, "exp2", "input")


def quiet_log(xp, y, plus_one: bool = False):
    """log(y) (log1p(y)) that never warns, as PyTorch's: -inf at 0 (-1), NaN below; the
    backend's log only sees values in its domain."""
    edge = -1.0 if plus_one else 0.0
    inside = y > edge
    v = (xp.log1p if plus_one else xp.log)(xp.where(inside, y, edge + 1))
    return xp.where(y == edge, -math.inf, xp.where(inside, v, math.nan))  # scalars keep v's dtype


def _xlogy(xp, x, y):
    log_y = quiet_log(xp, xp.where((x == 0) & (y == 0), xp.ones_like(y), y))
    return xp.where((x == 0) & ~xp.isnan(y), xp.zeros_like(y), x * log_y)


# PyTorch's derivatives: d/dx = log(y), 0 where x is 0 and y <= 0; d/dy = x / y
_XLOGY = Op("xlogy", ("x1", "x2"), {"x1": lambda xp, g, x1, x2: g * xp.where((x1 == 0) & (x2 <= 0), 0.0,
                                                                                quiet_log(xp, x2)),
                                    "x2": lambda xp, g, x1, x2: g * x1 / x2},
            dtypes="real floating", generic=_xlogy, broadcasts=True, grad_fn="XlogyBackward0")


def xlogy(input, other) -> Tensor:
    """input * log(other), 0 where input is 0 (unless other is NaN)."""
    if not isinstance(input, Tensor):  # a Python scalar takes the tensor's kind (weakly, as in PyTorch)
        input = _creation.asarray(input, dtype=_dtypes.scalar_dtype(input, other.dtype), device=other.device)
    if not isinstance(other, Tensor):
        other = _creation.asarray(other, dtype=_dtypes.scalar_dtype(other, input.dtype), device=input.device)
    x, y = _manip.broadcast_arrays(*_promoted("xlogy", input, other))
    return apply(_XLOGY, (x, y))


def _promoted(fname, a, b):
    d = _dtypes.promote(a._dtype, b._dtype)
    if d.kind not in "f":
        d = _dtypes.DEFAULT_FLOAT if d.kind in "biu" else d
    if d.kind != "f":
        raise TypeError(f"{fname}: inputs must be real, got {a._dtype} and {b._dtype}")
    return a.astype(d), b.astype(d)


def deg2rad(input) -> Tensor:
    check_tensor(input, "deg2rad", "input")
    return input * (math.pi / 180.0)


def rad2deg(input) -> Tensor:
    check_tensor(input, "rad2deg", "input")
    return input * (180.0 / math.pi)


def sinc(input) -> Tensor:
    """sin(pi x) / (pi x), 1 at 0. Near 0 its Taylor series 1 - (pi x)^2/6 + (pi x)^4/120
    (exact to rounding below |x| = 1e-3), so that every derivative is right there too (the
    quotient's derivatives are 0/0 at 0 and lose all digits for tiny x)."""
    if check_tensor(input, "sinc", "input")._dtype.kind in "biu":  # in floats: abs(int8 -128) wraps
        input = input.astype(_dtypes.DEFAULT_FLOAT)
    small = _elem.abs(input) < 1e-3
    px = _search.where(small, 1.0, input) * math.pi
    p2 = (input * math.pi) ** 2
    return _search.where(small, 1 - p2 / 6 * (1 - p2 / 20), _elem.sin(px) / px)


def heaviside(input, values) -> Tensor:
    """0 where input < 0, values where input == 0, 1 where input > 0."""
    one = _creation.ones_like(input)
    return _search.where(input == 0, values, _search.where(input > 0, one, _creation.zeros_like(input)))


def select(input, dim: int, index: int) -> Tensor:
    """input[..., index, ...] at axis `dim` (a view, the axis dropped)."""
    d = normalize_axis(dim, check_tensor(input, "select", "input").ndim, "select", "dim")
    return input[(slice(None),) * d + (operator.index(index),)]


def index_fill(input, dim: int, index, value) -> Tensor:
    """A copy of input with `value` at positions `index` of axis `dim`."""
    if check_tensor(input, "index_fill", "input").ndim == 0:
        return _one_element(index_fill, input, dim, index, value)
    d = normalize_axis(dim, input.ndim, "index_fill", "dim")  # negative indices count from the end there
    if isinstance(value, Tensor) and value._requires_grad and isinstance(index, Tensor):
        # each position filled once: value's gradient counts a repeated index once (PyTorch's)
        index = _sets.unique_values(index)
    return _indexing.setitem_functional(input, (slice(None),) * d + (index,), value)


def take_along_dim(input, indices, dim=None) -> Tensor:
    """take_along_axis, over the flattened tensors when dim is None."""
    if dim is None:
        return _indexing.take_along_axis(_manip.reshape(input, (-1,)), _manip.reshape(indices, (-1,)), axis=0)
    return _indexing.take_along_axis(input, indices, axis=dim)


def fliplr(input) -> Tensor:
    if check_tensor(input, "fliplr", "input").ndim < 2:
        raise RuntimeError(f"fliplr: input must be at least 2-D, got shape {tuple(input.shape)}")
    return clone(_manip.flip(input, axis=1))  # a copy, as PyTorch's flips


def flipud(input) -> Tensor:
    if check_tensor(input, "flipud", "input").ndim < 1:
        raise RuntimeError("flipud: input must be at least 1-D")
    return clone(_manip.flip(input, axis=0))  # a copy, as PyTorch's flips


def rot90(input, k: int = 1, dims=(0, 1)) -> Tensor:
    """Rotate by 90 degrees k times, from axis dims[0] towards dims[1] (a copy, as PyTorch's)."""
    nd = check_tensor(input, "rot90", "input").ndim
    if len(dims) != 2:
        raise ShapeError(f"rot90: dims must have two axes, got {dims}")
    d0, d1 = (normalize_axis(d, nd, "rot90", "dims") for d in dims)
    if d0 == d1:
        raise ShapeError(f"rot90: dims must be different axes, got {dims}")
    k %= 4
    if k == 0:
        return clone(input)
    if k == 2:
        return clone(_manip.flip(input, axis=(d0, d1)))
    return clone(swapaxes(_manip.flip(input, axis=d1 if k == 1 else d0), d0, d1))


@takes_out
def kron(input, other) -> Tensor:
    """The Kronecker product (the lower-rank operand gets leading unit axes)."""
    _check_tensors("kron", input=input, other=other)
    nd = max(input.ndim, other.ndim)
    sa = (1,) * (nd - input.ndim) + tuple(input.shape)
    sb = (1,) * (nd - other.ndim) + tuple(other.shape)
    # a[i0, None, i1, None, ...] * b[None, j0, None, j1, ...], then merge each (i, j) pair
    a = _manip.reshape(input, tuple(d for n in sa for d in (n, 1)))
    b = _manip.reshape(other, tuple(d for n in sb for d in (1, n)))
    return _manip.reshape(a * b, tuple(m * n for m, n in zip(sa, sb)))


@takes_out
def cross(input, other, dim=None) -> Tensor:
    """The cross product along `dim` (PyTorch's default: the first axis of size 3)."""
    _check_tensors("cross", input=input, other=other)
    if dim is None:
        dims = [i for i, n in enumerate(_manip.broadcast_shapes(tuple(input.shape), tuple(other.shape))) if n == 3]
        if not dims:
            raise RuntimeError("cross: no dimension of size 3 in input")
        dim = dims[0]
        import warnings

        warnings.warn("Using torch.cross without specifying the dim arg is deprecated (PyTorch's "
                      f"default, the first axis of size 3, was used: dim={dim})", UserWarning, stacklevel=2)
    return _linalg_ext().cross(input, other, axis=dim)


def block_diag(*tensors) -> Tensor:
    """The tensors (0-d, 1-D as a row, 2-D) along the diagonal of a zero matrix."""
    blocks = [_manip.reshape(t, (1, 1)) if t.ndim == 0 else (_manip.reshape(t, (1, -1)) if t.ndim == 1 else t)
              for t in tensors]
    if not blocks:
        return _creation.zeros((1, 0))
    total = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        r, c = b.shape
        pad = lambda n: _creation.zeros((r, n), dtype=b.dtype, device=b.device)  # noqa: E731
        rows.append(_manip.concat([pad(left), b, pad(total - left - c)], axis=1))
        left += c
    return _manip.concat(rows, axis=0)


def cartesian_prod(*tensors) -> Tensor:
    """All combinations of the 1-D tensors' elements, one per row."""
    for i, t in enumerate(tensors):
        if check_tensor(t, "cartesian_prod", f"tensors[{i}]").ndim != 1:
            raise RuntimeError(f"cartesian_prod: expect a 1D vector, but got shape {tuple(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = _creation.meshgrid(*tensors, indexing="ij")
    return _manip.stack([_manip.reshape(g, (-1,)) for g in grids], axis=1)


def _triangle_indices(fname, row, col, offset, upper, dtype, device) -> Tensor:
    """The (2, N) row-major indices of a row x col matrix's lower (upper) triangle: each
    row's run of columns from its count, O(N) work (no row x col mask)."""
    sizes = []
    for argname, v in (("row", row), ("col", col), ("offset", offset)):
        if isinstance(v, builtins.bool) or not isinstance(v, int) and not hasattr(v, "__index__"):
            raise TypeError(f"{fname}(): argument '{argname}' must be int, not {type(v).__name__}")
        sizes.append(operator.index(v))
    row, col, offset = sizes
    for argname, v in (("row", row), ("col", col)):
        if v < 0:
            raise RuntimeError(f"{fname}: {argname} must be non-negative, got {v}")
    i = _creation.arange(row, dtype=_dtypes.int64, device=device)
    if upper:  # row i holds columns max(i + offset, 0) .. col - 1
        first = _elem.clip(i + offset, 0, col)
        counts = col - first
    else:  # row i holds columns 0 .. min(i + offset, col - 1)
        first = _creation.zeros_like(i)
        counts = _elem.clip(i + (offset + 1), 0, col)
    rows = _manip.repeat(i, counts)
    starts = _stat.cumulative_sum(counts, include_initial=True)[:-1]  # each row's first position
    cols = _creation.arange(rows.shape[0], dtype=_dtypes.int64, device=device) + _manip.repeat(first - starts, counts)
    out = _manip.stack([rows, cols])
    return out if dtype is None else out.astype(dtype)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None) -> Tensor:
    """The (2, N) row and column indices of the lower triangle (offset: diagonal shift)."""
    return _triangle_indices("tril_indices", row, col, offset, False, dtype, device)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None) -> Tensor:
    """The (2, N) row and column indices of the upper triangle (offset: diagonal shift)."""
    return _triangle_indices("triu_indices", row, col, offset, True, dtype, device)


def diagflat(input, offset: int = 0) -> Tensor:
    return diag(_manip.reshape(input, (-1,)), offset)


return_types["aminmax"] = _MinMax = _return_type("aminmax", ("min", "max"))


def aminmax(input, *, dim=None, keepdim: bool = False):
    """(min, max) over dim (all elements by default)."""
    axis = reduction_axes(dim, check_tensor(input, "aminmax", "input"), "aminmax")
    return _MinMax(_stat.min(input, axis=axis, keepdims=keepdim), _stat.max(input, axis=axis, keepdims=keepdim))


def _correction(unbiased, correction):
    if unbiased is not None and correction is not None:
        raise TypeError("give unbiased or correction, not both")
    return (1 if unbiased or unbiased is None else 0) if correction is None else correction


def std_mean(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """(std, mean), the std divided by N - correction (PyTorch's default: N - 1)."""
    correction = _correction(unbiased, correction)
    axis = reduction_axes(dim, check_tensor(input, "std_mean", "input"), "std_mean")
    return (_stat.std(input, axis=axis, correction=correction, keepdims=keepdim),
            _stat.mean(input, axis=axis, keepdims=keepdim))


def var_mean(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """(var, mean), the variance divided by N - correction (PyTorch's default: N - 1)."""
    correction = _correction(unbiased, correction)
    axis = reduction_axes(dim, check_tensor(input, "var_mean", "input"), "var_mean")
    return (_stat.var(input, axis=axis, correction=correction, keepdims=keepdim),
            _stat.mean(input, axis=axis, keepdims=keepdim))


def argwhere(input) -> Tensor:
    """The (N, ndim) indices of the nonzero elements."""
    check_tensor(input, "argwhere", "input")
    return _manip.stack(_search.nonzero(input), axis=1) if input.ndim else \
        _creation.zeros((1 if bool(input) else 0, 0), dtype=_dtypes.int64)


def logcumsumexp(input, dim: int) -> Tensor:
    """log(cumsum(exp(input))) along dim, shifted by the maximum (no overflow)."""
    if check_tensor(input, "logcumsumexp", "input").ndim == 0:
        return _on_0d(logcumsumexp, input, dim, "logcumsumexp")
    d = normalize_axis(dim, input.ndim, "logcumsumexp", "dim")
    n = input.shape[d]
    out = input * 1
    # A scan of logaddexp (Hillis-Steele: log2(n) steps, each element combined with the one
    # `step` before it): exact however far apart the values are, where one shift by the
    # maximum underflows the small ones (exp(-1000 - 0) == 0), and a NaN reaches only what
    # follows it
    lead = (slice(None),) * d
    step = 1
    while step < n:
        combined = _elem.logaddexp(out[lead + (slice(step, None),)], out[lead + (slice(0, n - step),)])
        out = _manip.concat([out[lead + (slice(0, step),)], combined], axis=d)
        step *= 2
    return out


return_types["median"] = _Median = _return_type("median")


def _numpy_median(x, axis, keepdims):
    """The mean of the two middle values along `axis` (all axes when None), NaN where the
    values hold one; integer input gives the default float dtype."""
    if x.dtype.kind not in "fc":
        x = x.astype(_dtypes.DEFAULT_FLOAT)
    axes = tuple(range(x.ndim)) if axis is None else tuple(
        normalize_axis(a, x.ndim, "median", "axis") for a in ((axis,) if isinstance(axis, int) else axis))
    kept = [d for d in range(x.ndim) if d not in axes]
    flat = _manip.reshape(_manip.permute_dims(x, tuple(kept) + axes), tuple(x.shape[d] for d in kept) + (-1,))
    n = flat.shape[-1]
    if n == 0:
        out = _stat.mean(flat, axis=-1)  # NaN, as NumPy's
    else:
        ordered = _sorting.sort(flat, axis=-1)
        out = (ordered[..., (n - 1) // 2] + ordered[..., n // 2]) / 2
        out = _search.where(_util.any(_elem.isnan(flat), axis=-1), math.nan, out)
    if keepdims:
        out = _manip.reshape(out, tuple(1 if d in axes else x.shape[d] for d in range(x.ndim)))
    return out


@takes_out
def median(input, dim=None, keepdim: bool = False, *, axis=_NOT_GIVEN, keepdims=_NOT_GIVEN):
    """PyTorch's median: the lower of the two middle values for an even count; with dim,
    (values, indices). Called with NumPy's keywords (axis=, keepdims=), as array-API
    consumers do (scikit-learn), NumPy's: the mean of the two middle values, NaN if any."""
    check_tensor(input, "median", "input")
    if axis is not _NOT_GIVEN or keepdims is not _NOT_GIVEN:
        if dim is not None:
            raise TypeError("median: give dim (PyTorch's median) or axis (NumPy's), not both")
        return _numpy_median(input, None if axis is _NOT_GIVEN else axis,
                             False if keepdims is _NOT_GIVEN else bool(keepdims))
    if dim is None:
        flat = _manip.reshape(input, (-1,))
        n = flat.shape[0]
        if input.dtype.kind not in "fc":  # no NaN to return or to look for: the dtype stays
            if n == 0:
                raise RuntimeError("median: the median of an empty integer tensor is undefined (no NaN to return)")
            return _indexing.take(flat, _backend_indices("kth_index", flat, (n - 1) // 2, 0))[0]
        if n == 0:
            return _creation.asarray(math.nan, dtype=input.dtype)
        nan = _elem.isnan(flat)
        has_nan = _util.any(nan)
        # NaN if there is one (PyTorch's), else the lower middle value; the gradient is shared
        # by the NaNs, or by the elements equal to the value picked
        middle = _indexing.take(flat, _backend_indices("kth_index", flat, (n - 1) // 2, 0))[0]
        picked = _search.where(has_nan, math.nan, middle).detach()
        ties = _search.where(has_nan, nan, flat == picked)
        count = _stat.sum(ties.astype(flat.dtype))
        share = _stat.sum(_search.where(ties, flat - picked, 0.0)) / _elem.maximum(count, 1.0)
        return picked + share if input.requires_grad else picked
    if input.ndim == 0:  # one dimension of size 1 (PyTorch's)
        _check_0d_dim(dim, "median")
        v, i = median(_manip.reshape(input, (1,)), 0)
        return _Median(_manip.reshape(v, ()), _manip.reshape(i, ()))
    d = normalize_axis(dim, input.ndim, "median", "dim")
    n = input.shape[d]
    pick = _backend_indices("kth_index", input, (n - 1) // 2, d)
    nan = _elem.isnan(input)  # a slice with a NaN gives its first NaN (PyTorch's)
    pick = _search.where(_util.any(nan, axis=d, keepdims=True),
                         _search.argmax(nan, axis=d, keepdims=True), pick)
    values = _indexing.take_along_axis(input, pick, axis=d)
    if not keepdim:
        values, pick = _manip.squeeze(values, axis=d), _manip.squeeze(pick, axis=d)
    return _Median(values, pick)


def unique(input, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False, dim=None):
    """The sorted distinct values (and the inverse indices, of input's shape, and the counts)."""
    check_tensor(input, "unique", "input")
    if dim is not None:
        return _unique_slices(input, dim, return_inverse, return_counts)
    if not (return_inverse or return_counts):
        return _sorting.sort(_set_fns().unique_values(input)) if input.ndim else _set_fns().unique_values(input)
    res = _set_fns().unique_all(input)
    order = _sorting.argsort(res.values)
    out = [_indexing.take(res.values, order, axis=0)]
    if return_inverse:
        rank = _sorting.argsort(order)  # where each old position went
        out.append(_manip.reshape(_indexing.take(rank, _manip.reshape(res.inverse_indices, (-1,)), axis=0),
                                  tuple(input.shape)))
    if return_counts:
        out.append(_indexing.take(res.counts, order, axis=0))
    return tuple(out)


def _unique_slices(input, dim, return_inverse, return_counts):
    """unique(dim=): the distinct slices along `dim`, in lexicographic order (PyTorch sorts
    them whatever `sorted` says): the slices sorted by one stable argsort per element
    position, last to first, then unique_consecutive."""
    d = normalize_axis(dim, max(input.ndim, 1), "unique", "dim")
    moved = _manip.moveaxis(input, d, 0) if input.ndim else _manip.reshape(input, (1,))
    n = moved.shape[0]
    rows = _manip.reshape(moved, (n, -1)) if n else _manip.reshape(moved, (0, 0))
    order = _creation.arange(n, device=input.device)
    for c in range(rows.shape[1] - 1, -1, -1):
        key = _indexing.take(rows[:, c], order, axis=0)
        order = _indexing.take(order, _sorting.argsort(key, stable=True), axis=0)
    ordered = _indexing.take(moved, order, axis=0)
    result = unique_consecutive(_manip.moveaxis(ordered, 0, d) if input.ndim else ordered,
                                return_inverse, return_counts, dim=d)
    if not return_inverse:
        return result
    # the inverse of the sorted slices, mapped back to the original positions
    inverse = _indexing.take(result[1], _sorting.argsort(order), axis=0)
    return (result[0], inverse) + tuple(result[2:])


def nonzero_static(input, *, size, fill_value=-1) -> Tensor:
    """nonzero(input) as a (size, ndim) tensor: its first `size` rows, then rows of
    `fill_value` (PyTorch's, a shape known before the values are)."""
    check_tensor(input, "nonzero_static", "input")
    size = operator.index(size)
    if size < 0:
        raise RuntimeError(f"nonzero_static: 'size' must be an non-negative integer, got {size}")
    found = input.nonzero()
    n = found.shape[0]
    if n >= size:
        return found[:size]
    pad = _creation.full((size - n, found.shape[1]), fill_value, dtype=_dtypes.int64, device=input.device)
    return _manip.concat([found, pad], axis=0)


def bincount(input, weights=None, minlength: int = 0) -> Tensor:
    """Counts (or summed weights) of each non-negative integer in the 1-D input."""
    check_tensor(input, "bincount", "input")
    if operator.index(minlength) < 0:
        raise RuntimeError(f"bincount: minlength should be >= 0, got {minlength}")
    if input.ndim != 1 or input.dtype.kind not in "iu":
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if input.shape[0] and int(_stat.min(input)) < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    n = max(int(_stat.max(input)) + 1 if input.shape[0] else 0, minlength)
    if weights is not None and tuple(weights.shape) != tuple(input.shape):
        raise RuntimeError(f"bincount: weights should be 1-d and have the same length as input, got shapes "
                           f"{tuple(weights.shape)} and {tuple(input.shape)}")
    # a scatter-add, O(len(input)) (a one-hot matrix would take len(input) x n memory)
    if weights is None:
        dtype, values = _dtypes.int64, _creation.ones(tuple(input.shape), dtype=_dtypes.int64, device=input.device)
    else:  # PyTorch's: float32 weights sum in float32, any other in float64
        dtype = _dtypes.float32 if weights.dtype is _dtypes.float32 else _dtypes.float64
        values = weights.astype(dtype)
    return _indexing.index_add(_creation.zeros((n,), dtype=dtype, device=input.device), input, values)


def _erf_parts(xp, x):
    """(erf(|x|), erfc(|x|), |x|) in float64 where the device has it: a Taylor series below
    2.5 (35 terms: below 1e-15 absolute), a continued fraction for erfc above (60 terms).
    Only backends without a native erf (NumPy without SciPy, array-api-strict) run this."""
    try:
        wide = xp.float64 if x.dtype in (xp.float16, xp.float32) else x.dtype
        a = xp.abs(xp.astype(x, wide))
    except (TypeError, ValueError, AttributeError):  # no float64 on this device
        a = xp.abs(x)
    small = xp.minimum(a, 2.5)
    z2, term, total = small * small, small, small
    for n in range(1, 36):
        term = term * (-z2) / n
        total = total + term / (2 * n + 1)
    series = total * (2.0 / math.sqrt(math.pi))
    big = xp.maximum(a, 2.5)
    k = big
    for n in range(60, 0, -1):  # erfc(a) = exp(-a^2) / sqrt(pi) / (a + (1/2) / (a + (2/2) / (a + ...)))
        k = big + (n / 2) / k
    tail = xp.exp(-big * big) / math.sqrt(math.pi) / k
    below = a < 2.5
    return xp.where(below, series, 1 - tail), xp.where(below, 1 - series, tail), a


def _erf_generic(xp, x):
    erf_a, _, _ = _erf_parts(xp, x)
    return xp.astype(xp.where(x < 0, -erf_a, erf_a), x.dtype)


def _erfc_generic(xp, x):
    erf_a, erfc_a, _ = _erf_parts(xp, x)
    return xp.astype(xp.where(x < 0, 1 + erf_a, erfc_a), x.dtype)


def _erf_slope(xp, x):
    return xp.exp(-x * x) * (2.0 / math.sqrt(math.pi))


_ERF = Op("erf", ("x",), lambda xp, g, x: g * _erf_slope(xp, x), dtypes="real floating",
          generic=_erf_generic, grad_fn="ErfBackward0")
_ERFC = Op("erfc", ("x",), lambda xp, g, x: -g * _erf_slope(xp, x), dtypes="real floating",
           generic=_erfc_generic, grad_fn="ErfcBackward0")


def erf(input) -> Tensor:
    """The error function, 2 / sqrt(pi) * integral from 0 to x of exp(-t^2) dt."""
    return unary(_ERF, input)


def erfc(input) -> Tensor:
    """1 - erf(input), accurate where erf is close to 1."""
    return unary(_ERFC, input)


def _einsum_sublists(args):
    """(equation, operands) of einsum's sublist form (op, sublist, op, sublist, ..., [out])."""
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

    def term(sub, where):
        if not isinstance(sub, (list, tuple)):
            raise TypeError(f"einsum: expected a sublist (a list of ints) for {where}, got {type(sub).__name__}")
        out = []
        for v in sub:
            if v is Ellipsis:
                out.append("...")
            elif isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 52:
                out.append(letters[v])
            else:
                raise ValueError(f"einsum: subscript in {where} must be an int in [0, 52) or Ellipsis, got {v!r}")
        return "".join(out)

    operands, terms = [], []
    for i in range(0, len(args) - 1, 2):
        operands.append(args[i])
        terms.append(term(args[i + 1], f"the sublist of operand {i // 2}"))
    eq = ",".join(terms)
    if len(args) % 2:
        eq += "->" + term(args[-1], "the output sublist")
    return eq, tuple(operands)


def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation: 'ij,jk->ik' (output after ->, else the labels seen once, sorted;
    '...' for broadcast axes; a label repeated in one operand takes its diagonal). Operands
    are contracted pairwise, left to right, each pair as one batched matmul. Also PyTorch's
    sublist form: einsum(op1, [0, 1], op2, [1, 2], [0, 2]) (ints 0-51, Ellipsis for '...')."""
    if isinstance(equation, Tensor):
        equation, operands = _einsum_sublists((equation,) + operands)
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str) or not operands:
        raise TypeError("einsum: expected an equation string and at least one tensor")
    for i, t in enumerate(operands):
        check_tensor(t, "einsum", f"operands[{i}]")
    lhs, arrow, out = equation.replace(" ", "").partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise ShapeError(f"einsum: the equation has {len(terms)} operands, {len(operands)} given")
    ell_nd = max((t.ndim - len(term.replace("...", "")) for term, t in zip(terms, operands) if "..." in term),
                 default=0)
    spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in equation][:ell_nd]  # stand-ins for ...
    labels, tensors = [], []
    for term, t in zip(terms, operands):
        if "..." in term:
            k = t.ndim - len(term.replace("...", ""))
            term = term.replace("...", "".join(spare[ell_nd - k:]))
        if len(term) != t.ndim or not all(c.isalpha() for c in term):
            raise ShapeError(f"einsum: subscripts {term!r} do not match an operand of shape {tuple(t.shape)}")
        labels.append(term)
        tensors.append(t)
    seen = "".join(labels)
    if arrow:
        out = out.replace("...", "".join(spare))
        if len(set(out)) != len(out) or any(c not in seen for c in out):
            raise ShapeError(f"einsum: output subscripts {out!r} must be distinct labels of the inputs")
    else:  # the labels seen once (a repeated one is summed: 'ii' is the trace)
        out = "".join(spare) + "".join(sorted(c for c in set(seen) if seen.count(c) == 1 and c not in spare))
    for k in range(len(tensors)):
        tensors[k], labels[k] = _einsum_diagonals(tensors[k], labels[k])
    sizes = {}
    for term, t in zip(labels, tensors):
        for c, n in zip(term, t.shape):
            if sizes.get(c, 1) != 1 and n != 1 and sizes[c] != n:
                raise ShapeError(f"einsum: label {c!r} has sizes {sizes[c]} and {n}")
            sizes[c] = n if sizes.get(c, 1) == 1 else sizes[c]
    a, la = tensors[0], labels[0]
    for i in range(1, len(tensors)):
        later = out + "".join(labels[i + 1:])
        a, la = _einsum_pair(a, la, tensors[i], labels[i], later)
    a, la = _einsum_reduce(a, la, out)
    return _manip.permute_dims(a, tuple(la.index(c) for c in out)) if la != out else a


def _einsum_diagonals(t, term):
    """Repeated labels within one operand: keep the diagonal (e.g. 'ii' -> 'i')."""
    while len(set(term)) != len(term):
        c = next(c for c in term if term.count(c) > 1)
        i, j = term.index(c), term.index(c, term.index(c) + 1)
        if t.shape[i] != t.shape[j]:
            raise ShapeError(f"einsum: the repeated label {c!r} has sizes {t.shape[i]} and {t.shape[j]}")
        t = diagonal(t, 0, i, j)  # the diagonal becomes the last axis
        term = "".join(x for k, x in enumerate(term) if k not in (i, j)) + c
    return t, term


def _einsum_reduce(t, term, keep):
    """Sum away the labels of `term` that are not in `keep`."""
    drop = tuple(k for k, c in enumerate(term) if c not in keep)
    if drop:
        t = _stat.sum(t, axis=drop, dtype=torch_accumulation_dtype(t, None))
        term = "".join(c for c in term if c in keep)
    return t, term


def _einsum_pair(a, la, b, lb, later):
    """Contract two operands, keeping the labels in `later`: (batch, left, summed) @
    (batch, summed, right) as one matmul."""
    a, la = _einsum_reduce(a, la, lb + later)
    b, lb = _einsum_reduce(b, lb, la + later)
    for c in [c for c in la if c in lb and c not in later]:  # a size-1 side broadcasts: sum the other first
        na, nb = a.shape[la.index(c)], b.shape[lb.index(c)]
        if na == 1 and nb != 1:
            b = _stat.sum(b, axis=lb.index(c), keepdims=True)
        elif nb == 1 and na != 1:
            a = _stat.sum(a, axis=la.index(c), keepdims=True)
    batch = [c for c in la if c in lb and c in later]
    summed = [c for c in la if c in lb and c not in later]
    left = [c for c in la if c not in lb]
    right = [c for c in lb if c not in la]

    def arranged(t, term, order, groups):
        t = _manip.permute_dims(t, tuple(term.index(c) for c in order))
        shape = tuple(t.shape)
        dims, k = [], 0
        for g in groups:
            dims.append(math.prod(shape[k:k + len(g)]) if g else 1)
            k += len(g)
        return _manip.reshape(t, tuple(shape[:len(batch)]) + tuple(dims[1:]))

    A = arranged(a, la, batch + left + summed, [batch, left, summed])
    B = arranged(b, lb, batch + summed + right, [batch, summed, right])
    prod = _linalg.matmul(A, B)
    shape = tuple(prod.shape[:len(batch)]) + tuple(a.shape[la.index(c)] for c in left) + \
        tuple(b.shape[lb.index(c)] for c in right)
    return _manip.reshape(prod, shape), "".join(batch + left + right)


# ----------------------------------------------------------------------------------------
# Still more of PyTorch's functions: selections along a dimension (kthvalue, cummax, mode,
# quantile, ...), nan-reductions, distances, windows and process-wide settings. Selections
# find their indices outside the graph and then pick with take_along_axis, so gradients
# route to the selected elements as PyTorch's do (and higher orders come for free).
# ----------------------------------------------------------------------------------------
return_types.update({name: _return_type(name) for name in ("kthvalue", "cummax", "cummin", "mode", "nanmedian")})


def _moved_last(fname, input, dim):
    """(input with `dim` moved last, the normalized dim); a 0-d input is seen as shape (1,)."""
    check_tensor(input, fname, "input")
    if input.ndim == 0:
        normalize_axis(dim, 1, fname, "dim")
        return _manip.reshape(input, (1,)), 0
    d = normalize_axis(dim, input.ndim, fname, "dim")
    return _manip.moveaxis(input, d, -1), d


def _put_back(t, input, d, keepdim, reduced=True):
    """Undo `_moved_last` for a result whose last axis is the reduced one (size 1 when reduced)."""
    if input.ndim == 0:
        return _manip.reshape(t, ())
    t = _manip.moveaxis(t, -1, d)
    return _manip.squeeze(t, axis=d) if reduced and not keepdim else t


def _select(fname, input, dim, keepdim, pick):
    """(values, indices) of the elements at last-axis positions `pick` (a (..., 1) int64
    tensor of input-moved-last, from `pick(moved)`), as PyTorch's value-selecting reductions."""
    x, d = _moved_last(fname, input, dim)
    if x.shape[-1] == 0:
        raise IndexError(f"{fname}(): Expected reduction dim {d} to have non-zero size.")
    idx = pick(x)
    values = _indexing.take_along_axis(x, idx, axis=-1)
    return return_types[fname](_put_back(values, input, d, keepdim), _put_back(idx, input, d, keepdim))


def _sorted_positions(x):
    """Stable argsort of x along its last axis, outside the graph (NaN last)."""
    token = _no_grad()
    try:
        return _sorting.argsort(x.detach(), axis=-1, stable=True)
    finally:
        GRAD_ENABLED.reset(token)


@takes_out
def kthvalue(input, k, dim=-1, keepdim=False):
    """The k-th smallest element along `dim` (k counts from 1) and its index; the gradient
    goes to that element. Among equal values the index is the k-th in a stable sort
    (PyTorch's quickselect may return another of the equal elements)."""
    check_tensor(input, "kthvalue", "input")
    k = int_arg(k, "kthvalue", "k")
    d = normalize_axis(dim, max(input.ndim, 1), "kthvalue", "dim")
    n = input.shape[d] if input.ndim else 1
    if n and not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d} (k={k}, size {n})")
    return _select("kthvalue", input, dim, keepdim, lambda x: _sorted_positions(x)[..., k - 1:k])


def _running_extreme(x, largest):
    """The int64 indices of the running maximum (minimum) along x's last axis, as PyTorch's
    cummax/cummin: NaN counts as the largest and smallest, and of equal values the latest
    wins. A log-step scan (Hillis-Steele) of where()s: no values are read."""
    token = _no_grad()
    try:
        v = x.detach()
        if v._dtype is _dtypes.bool:
            v = v.astype(_dtypes.int8)
        n = v.shape[-1]
        pos = _creation.arange(n, dtype=_dtypes.int64, device=v.device)
        idx = _manip.broadcast_to(pos, tuple(v.shape))
        floating = v._dtype.kind == "f"
        s = 1
        while s < n:
            shifted = lambda t: _manip.concat([t[..., :s], t[..., :n - s]], axis=-1)  # noqa: E731
            lv, li = shifted(v), shifted(idx)
            right = v >= lv if largest else v <= lv
            if floating:
                right = _elem.isnan(v) | (~_elem.isnan(lv) & right)
            take_left = (pos >= s) & ~right
            v, idx = _search.where(take_left, lv, v), _search.where(take_left, li, idx)
            s *= 2
        return idx
    finally:
        GRAD_ENABLED.reset(token)


def _cumulative_extreme(fname, input, dim, largest):
    check_tensor(input, fname, "input")
    if input._dtype.kind == "c":
        raise RuntimeError(f"{fname}(): complex input is not supported (no ordering), got {input._dtype}")
    x, d = _moved_last(fname, input, dim)
    idx = _running_extreme(x, largest)
    values = _indexing.take_along_axis(x, idx, axis=-1)
    return return_types[fname](_put_back(values, input, d, True, False), _put_back(idx, input, d, True, False))


@takes_out
def cummax(input, dim):
    """(values, indices) of the running maximum along `dim` (NaN propagates; of equal values
    the latest index); the gradient accumulates on the elements picked."""
    return _cumulative_extreme("cummax", input, dim, True)


@takes_out
def cummin(input, dim):
    """(values, indices) of the running minimum along `dim` (as cummax)."""
    return _cumulative_extreme("cummin", input, dim, False)


def _mode_positions(x):
    """The last-axis position (keepdim) of each row's mode: the most frequent value, the
    smallest of those equally frequent, at its last index (PyTorch's choices)."""
    token = _no_grad()
    try:
        v = x.detach()
        order = _sorting.argsort(v, axis=-1, stable=True)
        s = _indexing.take_along_axis(v, order, axis=-1)
        n = s.shape[-1]
        pos = _creation.arange(n, dtype=_dtypes.int64, device=v.device)
        differs = s[..., 1:] != s[..., :-1]
        if s._dtype.kind in "fc":  # NaNs, sorted last, count as one value (PyTorch's)
            differs = differs & ~(_elem.isnan(s[..., 1:]) & _elem.isnan(s[..., :-1]))
        starts = _manip.concat([_creation.ones(tuple(s.shape[:-1]) + (1,), dtype=_dtypes.bool, device=v.device),
                                differs], axis=-1)
        marks = _search.where(starts, pos, 0)
        run_start = _indexing.take_along_axis(marks, _running_extreme(marks, True), axis=-1)
        length = pos - run_start + 1  # the count so far within each run of equal values
        best = _search.argmax(length, axis=-1, keepdims=True)  # the end of the first longest run
        return _indexing.take_along_axis(order, best, axis=-1)
    finally:
        GRAD_ENABLED.reset(token)


@takes_out
def mode(input, dim=-1, keepdim=False):
    """(values, indices): the most frequent value along `dim` (the smallest of equally
    frequent ones) and its last index; the gradient goes to that element. (PyTorch's index
    is one of the equal elements: the last one for short slices, another on longer ones.)"""
    return _select("mode", input, dim, keepdim, _mode_positions)


# ----- quantiles and nan-reductions ------------------------------------------------------
_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _check_q_values(fname, q):
    """The one value read of quantile(): a tensor q must lie in [0, 1], as PyTorch checks."""
    token = _no_grad()
    try:
        ok = bool(_util.all((q >= 0) & (q <= 1)))
    finally:
        GRAD_ENABLED.reset(token)
    if not ok:
        raise RuntimeError(f"{fname}() q values must be in the range [0, 1]")


def _quantile(fname, input, q, dim, keepdim, interpolation, ignore_nan, numpy_style=False):
    check_tensor(input, fname, "input")
    if numpy_style and input._dtype.kind != "f":
        input = input.astype(_dtypes.DEFAULT_FLOAT)
    if input._dtype.kind != "f":
        raise RuntimeError(f"{fname}() input tensor must be either float or double dtype, got {input._dtype}")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{fname}() interpolation must be one of linear, lower, higher, midpoint or "
                           f"nearest, but got {interpolation}")
    if numpy_style and not isinstance(q, (Tensor, int, float)):
        q = _creation.asarray(q, dtype=input._dtype, device=input.device)
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError(f"{fname}() q must be a scalar or 1D tensor, got shape {tuple(q.shape)}")
        if q._dtype is not input._dtype:
            if not numpy_style:
                raise RuntimeError(f"{fname}() q tensor must be same dtype as the input tensor, got "
                                   f"{q._dtype} and {input._dtype}")
            q = q.astype(input._dtype)
        _check_q_values(fname, q)
        scalar_q, qs = q.ndim == 0, _manip.reshape(q.detach(), (-1,))
    else:
        if isinstance(q, bool) or not isinstance(q, (int, float)):
            raise TypeError(f"{fname}(): q must be a float or a tensor, got {type(q).__name__}")
        if not 0 <= q <= 1:
            raise RuntimeError(f"{fname}() q must be in the range [0, 1] but got {q}")
        scalar_q, qs = True, _creation.asarray([float(q)], dtype=input._dtype, device=input.device)
    if math.prod(input.shape) == 0:
        raise RuntimeError(f"{fname}() input tensor must be non-empty")
    if dim is None:
        x, axes = _manip.reshape(input, (-1,)), tuple(range(input.ndim))
    elif isinstance(dim, (tuple, list)):  # NumPy's axis tuples
        axes = tuple(sorted(normalize_axis(a, input.ndim, fname, "dim") for a in dim))
        kept = tuple(a for a in range(input.ndim) if a not in axes)
        x = _manip.reshape(_manip.permute_dims(input, kept + axes), tuple(input.shape[a] for a in kept) + (-1,))
    else:
        x, d = _moved_last(fname, input, dim)
        axes = (d,) if input.ndim else ()
    n = x.shape[-1]
    lead = tuple(x.shape[:-1])
    token = _no_grad()
    try:  # the ranks: from shapes and NaN counts only
        order = _sorting.argsort(x.detach(), axis=-1, stable=True)  # NaN last
        nan = _elem.isnan(x.detach())
        count = _stat.sum((~nan).astype(input._dtype), axis=-1, keepdims=True) if ignore_nan else n
        ranks = _manip.broadcast_to(qs * (count - 1), lead + (qs.shape[0],))
        if ignore_nan:
            ranks = _elem.maximum(ranks, 0.0)  # an all-NaN row (its result is NaN below)
        if interpolation == "lower":
            ranks = _elem.floor(ranks)
        elif interpolation == "higher":
            ranks = _elem.ceil(ranks)
        elif interpolation == "nearest":
            ranks = _elem.round(ranks)  # half to even, as PyTorch and NumPy
        below = _elem.floor(ranks).astype(_dtypes.int64)
        above = _elem.ceil(ranks).astype(_dtypes.int64)
        weight = 0.5 if interpolation == "midpoint" else ranks - below.astype(input._dtype)
        invalid = (count == 0) if ignore_nan else _util.any(nan, axis=-1, keepdims=True)
    finally:
        GRAD_ENABLED.reset(token)
    lo = _indexing.take_along_axis(x, _indexing.take_along_axis(order, below, axis=-1), axis=-1)
    if interpolation in ("linear", "midpoint"):
        hi = _indexing.take_along_axis(x, _indexing.take_along_axis(order, above, axis=-1), axis=-1)
        if interpolation == "midpoint":  # PyTorch's lerp with weight 1/2
            out = hi - (hi - lo) * 0.5
        else:  # PyTorch's lerp: exact at both ends
            out = _search.where(weight < 0.5, lo + weight * (hi - lo), hi - (hi - lo) * (1 - weight))
    else:
        out = lo
    out = _search.where(invalid, math.nan, out)
    out = _manip.moveaxis(out, -1, 0)  # (q, ...)
    if keepdim:
        shape = tuple(1 if a in axes else size for a, size in enumerate(input.shape))
        out = _manip.reshape(out, (out.shape[0],) + shape)
    return out[0] if scalar_q else out


def _numpy_keywords(fname, dim, keepdim, axis, keepdims):
    """(dim, keepdim, numpy_style): NumPy's axis=/keepdims= as array-API consumers pass them."""
    if axis is _NOT_GIVEN and keepdims is _NOT_GIVEN:
        return dim, keepdim, False
    if dim is not None:
        raise TypeError(f"{fname}: give dim (PyTorch's) or axis (NumPy's), not both")
    return (None if axis is _NOT_GIVEN else axis), (False if keepdims is _NOT_GIVEN else bool(keepdims)), True


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None,
             axis=_NOT_GIVEN, keepdims=_NOT_GIVEN, method=_NOT_GIVEN):
    """The q-th quantiles along `dim` (all elements when None): q a float in [0, 1] or a
    1-D tensor (its axis then comes first); NaN where a slice holds a NaN. NumPy's keywords
    (axis=, keepdims=, method=) are accepted too, and then integer input is allowed."""
    dim, keepdim, np_style = _numpy_keywords("quantile", dim, keepdim, axis, keepdims)
    if method is not _NOT_GIVEN:
        interpolation, np_style = method, True
    r = _quantile("quantile", input, q, dim, keepdim, interpolation, False, np_style)
    return r if out is None else write_out(out, r, "quantile", (input,))


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None,
                axis=_NOT_GIVEN, keepdims=_NOT_GIVEN, method=_NOT_GIVEN):
    """quantile() ignoring NaN (NaN only where a slice is all NaN)."""
    dim, keepdim, np_style = _numpy_keywords("nanquantile", dim, keepdim, axis, keepdims)
    if method is not _NOT_GIVEN:
        interpolation, np_style = method, True
    r = _quantile("nanquantile", input, q, dim, keepdim, interpolation, True, np_style)
    return r if out is None else write_out(out, r, "nanquantile", (input,))


def nanmedian(input, dim=None, keepdim=False, *, axis=_NOT_GIVEN, keepdims=_NOT_GIVEN):
    """median() ignoring NaN: the lower middle of the non-NaN values (NaN if there are none);
    with dim, (values, indices). With NumPy's keywords (axis=, keepdims=), NumPy's nanmedian:
    the mean of the two middle values."""
    check_tensor(input, "nanmedian", "input")
    dim, keepdim, np_style = _numpy_keywords("nanmedian", dim, keepdim, axis, keepdims)
    if np_style:
        return _quantile("nanmedian", input, 0.5, dim, keepdim, "linear", True, True)
    if dim is None:
        flat = _manip.reshape(input, (-1,))
        if input.dtype.kind not in "fc":  # no NaN: median's
            return median(input)
        if flat.shape[0] == 0:
            return _creation.asarray(math.nan, dtype=input.dtype, device=input.device)
        picked = _indexing.take(flat, _nanmedian_positions(_manip.reshape(flat, (1, -1)))[0], axis=0)[0].detach()
        if not input.requires_grad:
            return picked
        ties = flat == picked  # PyTorch's: the gradient shared by the elements equal to it
        count = _stat.sum(ties.astype(flat.dtype))
        return picked + _stat.sum(_search.where(ties, flat - picked, 0.0)) / _elem.maximum(count, 1.0)
    return _select("nanmedian", input, dim, keepdim, _nanmedian_positions)


def _nanmedian_positions(x):
    order = _sorted_positions(x)
    if x._dtype.kind != "f":
        return order[..., (x.shape[-1] - 1) // 2:][..., :1]
    token = _no_grad()
    try:
        count = _stat.sum((~_elem.isnan(x.detach())).astype(_dtypes.int64), axis=-1, keepdims=True)
        at = _elem.maximum(count - 1, 0) // 2  # all NaN: the first NaN
        return _indexing.take_along_axis(order, at, axis=-1)
    finally:
        GRAD_ENABLED.reset(token)


def _nan_zeroed(x):
    return _search.where(_elem.isnan(x), 0.0, x) if x._dtype.kind in "fc" else x


def nansum(input, dim=None, keepdim=False, *, dtype=None, axis=_NOT_GIVEN, keepdims=_NOT_GIVEN):
    """The sum over `dim` (all by default) with NaN counted as 0 (the gradient is 0 there)."""
    check_tensor(input, "nansum", "input")
    dim, keepdim, np_style = _numpy_keywords("nansum", dim, keepdim, axis, keepdims)
    axes = reduction_axes(dim, None if np_style else input, "nansum")
    return _stat.sum(_nan_zeroed(input), axis=axes, keepdims=keepdim, dtype=torch_accumulation_dtype(input, dtype))


def nanmean(input, dim=None, keepdim=False, *, dtype=None, axis=_NOT_GIVEN, keepdims=_NOT_GIVEN):
    """The mean of the non-NaN values over `dim` (NaN where there are none)."""
    check_tensor(input, "nanmean", "input")
    dim, keepdim, np_style = _numpy_keywords("nanmean", dim, keepdim, axis, keepdims)
    x = input if dtype is None else input.astype(_dtypes.as_dtype(dtype))
    if np_style and x._dtype.kind not in "fc":
        x = x.astype(_dtypes.DEFAULT_FLOAT)
    if x._dtype.kind not in "fc":
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got {x._dtype}")
    axes = reduction_axes(dim, None if np_style else x, "nanmean")
    count = _stat.sum((~_elem.isnan(x)).astype(x._dtype), axis=axes, keepdims=keepdim)
    return _stat.sum(_nan_zeroed(x), axis=axes, keepdims=keepdim) / count


# ----- counting and searching ---------------------------------------------------------
def _histc_data_range(input):
    """The one value read of histc(): the data's (min, max) when min == max is given."""
    token = _no_grad()
    try:
        lo, hi = _manip.stack([_stat.min(input), _stat.max(input)]).tolist()
    finally:
        GRAD_ENABLED.reset(token)
    return lo, hi


return_types["histogram"] = _Histogram = _return_type("histogram", ("hist", "bin_edges"))


def histogram(input, bins=100, *, range=None, weight=None, density=False):
    """(hist, bin_edges): counts (or summed `weight`) of input's elements in `bins` equal bins
    over `range` (the data's by default, widened by 0.5 each way when it is one point) or
    between the given edges (a 1-D tensor); the last bin is closed, elements outside are
    ignored (NumPy's and PyTorch's histogram). density=True divides by the total and the
    bin widths."""
    check_tensor(input, "histogram", "input")
    if input._dtype.kind != "f":
        raise TypeError(f"histogram: input must be floating point, got {input._dtype}")
    token = _no_grad()
    try:
        x = _manip.reshape(input.detach(), (-1,))
        if isinstance(bins, Tensor):
            if bins.ndim != 1 or bins.shape[0] < 2:
                raise ValueError(f"histogram: bin edges must be 1-D with at least 2 values, got shape {tuple(bins.shape)}")
            edges = bins.detach().astype(input._dtype)
        else:
            n = int_arg(bins, "histogram", "bins")
            if n < 1:
                raise ValueError(f"histogram: bins must be positive, got {n}")
            if range is not None:
                lo, hi = (float(v) for v in range)
            elif x.shape[0]:
                lo, hi = float(_stat.min(x)), float(_stat.max(x))
            else:
                lo, hi = 0.0, 1.0
            if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
                raise ValueError(f"histogram: range must be finite with min <= max, got [{lo}, {hi}]")
            if lo == hi:
                lo, hi = lo - 0.5, hi + 0.5
            edges = _creation.linspace(lo, hi, n + 1, dtype=input._dtype, device=input.device)
        nb = edges.shape[0] - 1
        inside = (x >= edges[0]) & (x <= edges[-1])
        pos = _search.searchsorted(edges, x, side="right") - 1
        pos = _search.where(inside, _elem.minimum(pos, nb - 1), 0)
        values = _creation.ones_like(x) if weight is None else \
            _manip.reshape(check_tensor(weight, "histogram", "weight").detach(), (-1,)).astype(input._dtype)
        values = _search.where(inside, values, 0.0)
        hist = _indexing.index_add(_creation.zeros((nb,), dtype=input._dtype, device=input.device), pos, values)
        if density:
            hist = hist / (_stat.sum(hist) * (edges[1:] - edges[:-1]))
        return _Histogram(hist, edges)
    finally:
        GRAD_ENABLED.reset(token)


@takes_out
def histc(input, bins=100, min=0, max=0) -> Tensor:
    """Counts of the elements in `bins` equal-width bins over [min, max] (the data's range
    when min == max); elements outside are ignored; the result has input's dtype."""
    check_tensor(input, "histc", "input")
    if input._dtype.kind != "f":
        raise NotImplementedError(f"histc: input must be floating point, got {input._dtype}")
    bins = operator.index(bins)
    if bins <= 0:
        raise RuntimeError(f"histc: bins must be > 0, but got {bins}")
    lo, hi = float(min), float(max)
    if lo == hi and math.prod(input.shape) > 0:
        lo, hi = _histc_data_range(input)
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"histc: range of [{lo}, {hi}] is not finite")
    if lo > hi:
        raise RuntimeError(f"histc: max must be larger than min, got min={lo}, max={hi}")
    token = _no_grad()
    try:
        x = _manip.reshape(input.detach(), (-1,))
        inside = (x >= lo) & (x <= hi)
        pos = _elem.floor((x - lo) * bins / (hi - lo))
        pos = _search.where(inside, _elem.clip(pos, 0, bins - 1), 0).astype(_dtypes.int64)
        zeros = _creation.zeros((bins,), dtype=input._dtype, device=input.device)
        return _indexing.index_add(zeros, (pos,), inside.astype(input._dtype))
    finally:
        GRAD_ENABLED.reset(token)


@takes_out
def bucketize(input, boundaries, *, out_int32=False, right=False) -> Tensor:
    """For each element, the index of its bucket in the sorted 1-D `boundaries`: i with
    boundaries[i-1] < x <= boundaries[i] (right=True: boundaries[i-1] <= x < boundaries[i])."""
    check_tensor(boundaries, "bucketize", "boundaries")
    if boundaries.ndim != 1:
        raise RuntimeError(f"bucketize: boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    if not isinstance(input, Tensor):
        input = _creation.asarray(input, device=boundaries.device)
    if input._dtype is not boundaries._dtype:
        common = promote_types(input._dtype, boundaries._dtype)
        input, boundaries = input.astype(common), boundaries.astype(common)
    token = _no_grad()
    try:
        out = _search.searchsorted(boundaries.detach(), input.detach(), side="right" if right else "left")
    finally:
        GRAD_ENABLED.reset(token)
    return out.astype(_dtypes.int32 if out_int32 else _dtypes.int64)


# ----- distances ----------------------------------------------------------------------
def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """The p-norm distances between the rows of x1 (..., P, M) and of x2 (..., R, M):
    (..., P, R), batch dimensions broadcast. Differentiable (0 gradient at 0 distance)."""
    for name, x in (("x1", x1), ("x2", x2)):
        check_tensor(x, "cdist", name)
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name.upper()} got: {x.ndim}D")
        if x._dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name.upper()} got: {x._dtype}")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"cdist: X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} "
                           f"X2: {x2.shape[-1]}")
    if isinstance(p, bool) or not isinstance(p, (int, float)) or p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got p={p!r}")
    diff = _manip.expand_dims(x1, axis=-2) - _manip.expand_dims(x2, axis=-3)
    return _linalg_ext().vector_norm(diff, axis=-1, ord=float(p))


def dist(input, other, p=2) -> Tensor:
    """The p-norm of input - other (broadcast), over all elements."""
    _check_tensors("dist", input=input, other=other)
    diff = input - other
    if diff._dtype.kind not in "fc":
        raise RuntimeError(f"dist(): input dtype should be either floating point or complex. Got {diff._dtype} "
                           "instead.")
    return _linalg_ext().vector_norm(diff, ord=float(p))


# ----- shapes and indexing --------------------------------------------------------------
def diag_embed(input, offset=0, dim1=-2, dim2=-1) -> Tensor:
    """A tensor with one more dimension whose (dim1, dim2) matrices hold input's last axis
    on their `offset`-th diagonal, zeros elsewhere."""
    check_tensor(input, "diag_embed", "input")
    k = operator.index(offset)
    nd = input.ndim + 1
    d1, d2 = normalize_axis(dim1, nd, "diag_embed", "dim1"), normalize_axis(dim2, nd, "diag_embed", "dim2")
    if d1 == d2:
        raise RuntimeError(f"diag_embed: diagonal dimensions cannot be identical {dim1}, {dim2}")
    v = input if input.ndim else _manip.reshape(input, (1,))
    lead, n = tuple(v.shape[:-1]), v.shape[-1]
    m = n + abs(k)
    dev = v.device
    on_diagonal = _creation.eye(n, m, k=abs(k), dtype=_dtypes.bool, device=dev)
    rows = _search.where(on_diagonal, _manip.expand_dims(v, axis=-1),
                         _creation.zeros(lead + (n, m), dtype=v.dtype, device=dev))
    square = _manip.concat([rows, _creation.zeros(lead + (abs(k), m), dtype=v.dtype, device=dev)], axis=-2)
    if k < 0:
        square = _linalg.matrix_transpose(square)
    return _manip.moveaxis(square, (-2, -1), (d1, d2))


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None) -> Tensor:
    """Each element (each slice along `dim`; of the flattened input when dim is None)
    repeated `repeats` times (an int, or a tensor with one count per slice). Given only a
    1-D integer tensor r: arange(len(r)) with element i repeated r[i] times."""
    check_tensor(input, "repeat_interleave", "input")
    if repeats is None:
        if input.ndim != 1 or input._dtype.kind not in "iu":
            raise RuntimeError(f"repeat_interleave: repeats must be a 1-D integer tensor, got shape "
                               f"{tuple(input.shape)} and dtype {input._dtype}")
        input, repeats = _creation.arange(input.shape[0], dtype=_dtypes.int64, device=input.device), input
    x = _manip.reshape(input, (-1,)) if dim is None else input
    d = 0 if dim is None else normalize_axis(dim, max(x.ndim, 1), "repeat_interleave", "dim")
    if x.ndim == 0:
        x = _manip.reshape(x, (1,))
    if isinstance(repeats, Tensor):
        if repeats.ndim > 1:
            raise RuntimeError(f"repeat_interleave: repeats must be 0-D or 1-D, got shape {tuple(repeats.shape)}")
        if repeats.ndim == 1 and repeats.shape[0] not in (1, x.shape[d]):
            raise RuntimeError(f"repeat_interleave: repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {repeats.shape[0]} and input.size({d}) = {x.shape[d]}")
        if repeats.ndim == 0 or repeats.shape[0] != x.shape[d]:  # one count for every slice
            repeats = _manip.broadcast_to(_manip.reshape(repeats, (1,)), (x.shape[d],))
    elif operator.index(repeats) < 0:
        raise RuntimeError(f"repeat_interleave: repeats must be non-negative, got {repeats}")
    out = _manip.repeat(x, repeats, axis=d)
    if output_size is not None and out.shape[d] != output_size:
        raise RuntimeError(f"repeat_interleave: output_size={output_size} but the result has {out.shape[d]} "
                           f"along dim {d}")
    return out


def combinations(input, r=2, with_replacement=False) -> Tensor:
    """All length-r combinations of the 1-D input's elements, one per row (the order of
    itertools.combinations; with_replacement: combinations_with_replacement)."""
    import itertools

    check_tensor(input, "combinations", "input")
    if input.ndim != 1:
        raise RuntimeError(f"combinations: Expect a 1D vector, but got shape {list(input.shape)}")
    r = operator.index(r)
    if r < 0:
        raise RuntimeError(f"combinations: Expect a non-negative number, but got {r}")
    if r == 0:
        return _creation.zeros((0,), dtype=input.dtype, device=input.device)
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = [i for combo in pick(range(input.shape[0]), r) for i in combo]
    idx = _creation.asarray(rows, dtype=_dtypes.int64, device=input.device)
    return _manip.reshape(_indexing.take(input, idx, axis=0), (len(rows) // r, r))


def index_copy(input, dim, index, source) -> Tensor:
    """A copy of `input` with the slices of `source` along `dim` written at the positions
    `index` (1-D int64); differentiable in both tensors."""
    check_tensor(input, "index_copy", "input")
    check_tensor(index, "index_copy", "index")
    check_tensor(source, "index_copy", "source")
    if index.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {index.ndim})")
    if index._dtype.kind not in "iu":
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got {index._dtype}")
    if source._dtype is not input._dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but got (self) "
                           f"{input._dtype} and (source) {source._dtype}")
    d = normalize_axis(dim, max(input.ndim, 1), "index_copy", "dim")
    _refuse_negative("index_copy", index)
    n_idx = math.prod(index.shape)
    if input.ndim == 1 and source.ndim == 0:  # scalars: one element
        source = _manip.reshape(source, (1,))
    if input.ndim:
        if source.ndim != input.ndim:
            raise IndexError(f"index_copy_(): When source and destination are not scalars, their dimensionality "
                             f"must match. Source dimensionality ({source.ndim}), destination dimensionality "
                             f"({input.ndim})")
        if source.shape[d] != n_idx:
            raise IndexError(f"index_copy_(): Number of indices ({n_idx}) should be equal to source.size(dim) "
                             f"({source.shape[d]})")
        for a in range(input.ndim):
            if a != d and source.shape[a] != input.shape[a]:
                raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice shapes. "
                                   f"Destination slice shape: {input.shape[a]} at dimension {a} and source "
                                   f"slice shape: {source.shape[a]} at dimension {a}.")
        key = (slice(None),) * d + (_manip.reshape(index, (-1,)),)
        return _indexing.setitem_functional(input, key, source)
    return _search.where(_creation.asarray(n_idx > 0, device=input.device), _manip.reshape(source, ()), input)


def sgn(input) -> Tensor:
    """input / |input| (0 at 0): sign() extended to complex numbers."""
    return _elem.sign(check_tensor(input, "sgn", "input"))


def chain_matmul(*matrices, out=None) -> Tensor:
    """The product of the 2-D matrices, left to right (deprecated in PyTorch: use
    linalg.multi_dot)."""
    import warnings

    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch release. "
                  "Use torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather "
                  "than multiple parameters.", UserWarning, stacklevel=2)
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for i, m in enumerate(matrices):
        check_tensor(m, "chain_matmul", f"matrices[{i}]")
        if m.ndim != 2:
            raise RuntimeError(f"chain_matmul(): Tensor dimension is {m.ndim}, expected 2 instead.")
    r = clone(matrices[0]) if len(matrices) == 1 else matrices[0]
    for m in matrices[1:]:
        r = _linalg.matmul(r, m)
    return r if out is None else write_out(out, r, "chain_matmul", tuple(matrices))


def matrix_exp(input) -> Tensor:
    """exp of square matrices (batched): linalg.matrix_exp, with torch.matrix_exp's errors."""
    check_tensor(input, "matrix_exp", "input")
    if input.ndim < 2 or input.shape[-1] != input.shape[-2]:
        raise RuntimeError(f"linalg.matrix_exp: A must be batches of square matrices, but got shape "
                           f"{tuple(input.shape)}")
    if input._dtype.kind not in "fc":
        raise RuntimeError(f"linalg.matrix_exp: Expected a floating point or complex tensor as input. Got "
                           f"{input._dtype}")
    return _linalg_ext().matrix_exp(input)


# ----- creation -------------------------------------------------------------------------
def _torch_range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
                 requires_grad=False) -> Tensor:
    """PyTorch's deprecated range: start, start + step, ... up to and including `end`, in
    the default float dtype unless `dtype` is given. Exported as `range` (module-level
    __getattr__, so this module's own calls of Python's range are unaffected)."""
    import warnings

    warnings.warn("torch.range is deprecated and will be removed in a future release because its behavior "
                  "is inconsistent with Python's range builtin. Instead, use torch.arange, which produces "
                  "values in [start, end).", UserWarning, stacklevel=2)
    if end is None:
        raise TypeError('range() missing 1 required positional arguments: "end"')
    if step == 0:
        raise RuntimeError("range: step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"range: upper bound and lower bound inconsistent with step sign (start={start}, "
                           f"end={end}, step={step})")
    d = _dtypes.DEFAULT_FLOAT if dtype is None else _dtypes.as_dtype(dtype)
    size = int(math.floor((end - start) / step)) + 1
    b = _creation.backend_for(device)
    wide = _dtypes.float64 if _dtypes.float64 in b.native_dtype else _dtypes.DEFAULT_FLOAT
    r = (_creation.arange(size, dtype=wide, device=device) * step + start).astype(d)
    if out is not None:
        return write_out(out, r, "range")
    return r.requires_grad_(True) if requires_grad else r


def __getattr__(name):
    if name == "range":
        return _torch_range
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _window(fname, window_length, periodic, dtype, device, requires_grad, terms):
    """sum_k c_k cos(2 pi k n / (N - 1)), n < window_length, N = window_length + periodic."""
    window_length = operator.index(window_length)
    if window_length < 0:
        raise RuntimeError(f"{fname} requires non-negative window_length, got window_length={window_length}")
    d = _dtypes.DEFAULT_FLOAT if dtype is None else _dtypes.as_dtype(dtype)
    if d.kind != "f":
        raise RuntimeError(f"{fname} expects floating point dtypes, got: {d}")
    if window_length <= 1:
        out = _creation.ones((window_length,), dtype=d, device=device)
    else:
        b = _creation.backend_for(device)
        wide = _dtypes.float64 if _dtypes.float64 in b.native_dtype else d
        n = _creation.arange(window_length, dtype=wide, device=device)
        out = terms(n * (2 * math.pi / (window_length - (0 if periodic else 1)))).astype(d)
    return out.requires_grad_(True) if requires_grad else out


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None, layout=None,
                   device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """alpha - beta cos(2 pi n / (N - 1)); periodic (N = window_length + 1) by default."""
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad,
                   lambda t: alpha - beta * _elem.cos(t))


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                requires_grad=False, pin_memory=False) -> Tensor:
    """0.5 - 0.5 cos(2 pi n / (N - 1)); periodic (N = window_length + 1) by default."""
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad,
                   lambda t: 0.5 - 0.5 * _elem.cos(t))


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    requires_grad=False, pin_memory=False) -> Tensor:
    """0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))."""
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad,
                   lambda t: 0.42 - 0.5 * _elem.cos(t) + 0.08 * _elem.cos(2 * t))


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    requires_grad=False, pin_memory=False) -> Tensor:
    """The triangle 1 - |2n / (N - 1) - 1|."""
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad,
                   lambda t: 1 - _elem.abs(t / math.pi - 1))


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None, device=None,
                  requires_grad=False, pin_memory=False) -> Tensor:
    """I0(beta sqrt(1 - (2n / (N - 1) - 1)^2)) / I0(beta); periodic (N = window_length + 1)
    by default."""
    from .special import i0

    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad,
                   lambda t: i0(beta * _elem.sqrt(_elem.clip(1 - (t / math.pi - 1) ** 2, 0, None))) / i0(
                       _creation.asarray(float(beta), dtype=t.dtype, device=t.device)))


def vander(x, N=None, increasing=False) -> Tensor:
    """The Vandermonde matrix of 1-D x: columns x^(N-1), ..., x, 1 (x^0 first with
    increasing=True); N defaults to len(x)."""
    check_tensor(x, "vander", "x")
    if x.ndim != 1:
        raise RuntimeError(f"vander: x must be a one-dimensional tensor, got {x.ndim} dimensions")
    n = x.shape[0] if N is None else operator.index(N)
    if n < 0:
        raise RuntimeError(f"vander: N must be non-negative, got {n}")
    powers = _creation.arange(n, dtype=_dtypes.int64, device=x.device)
    if not increasing:
        powers = _manip.flip(powers, axis=0)
    base = x if x.dtype.kind in "fc" else x.astype(_dtypes.int64)  # PyTorch's: integers as int64
    return _manip.expand_dims(base, axis=1) ** powers


def poisson(input, generator=None) -> Tensor:
    """Poisson samples with rates `input` (non-negative floats), in input's dtype; outside
    the graph. Drawn on the host by NumPy, seeded from `generator` (default: input's
    device's), so manual_seed makes them repeat."""
    import numpy as np

    from ._dispatch import wrap

    check_tensor(input, "poisson", "input")
    if input._dtype.kind != "f":
        raise NotImplementedError(f"poisson: rates must be floating point, got {input._dtype}")
    b = input._backend
    rates = np.asarray(b.to_host(input.detach()._data), dtype=np.float64)  # the value read: host sampling
    if np.isnan(rates).any() or (rates < 0).any():
        raise RuntimeError("poisson: invalid Poisson rate, expected rate to be non-negative")
    draws = _host_sampler(b, generator).poisson(rates)
    return wrap(b.from_host(np.asarray(draws, dtype=input._dtype.name)), b)


def _host_sampler(b, generator):
    """A NumPy Generator seeded from arraygrad's `generator` (the default one: manual_seed
    repeats its draws), for the samplers that draw on the host."""
    import numpy as np

    from . import _random

    src = _random._generator_for(b, generator).source(b)
    return np.random.Generator(np.random.PCG64(int(b.to_host(src.integers(0, 2 ** 62, (), _dtypes.int64)))))


def binomial(count, prob, generator=None) -> Tensor:
    """Draws of Binomial(count, prob), elementwise (count and prob of one floating dtype, as
    PyTorch's): host sampling from `generator` (the default one: manual_seed repeats them)."""
    import numpy as np

    from ._dispatch import wrap

    check_tensor(count, "binomial", "count")
    check_tensor(prob, "binomial", "prob")
    if count._dtype.kind != "f" or prob._dtype is not count._dtype:
        raise TypeError(f"binomial: count and prob must share a floating dtype, got {count._dtype} and {prob._dtype}")
    b = count._backend
    n = np.asarray(b.to_host(count.detach()._data), dtype=np.float64)  # the values read: host sampling
    p = np.asarray(b.to_host(prob.detach()._data), dtype=np.float64)
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any() or (n < 0).any():
        raise RuntimeError("binomial: expected count >= 0 and 0 <= prob <= 1")
    draws = _host_sampler(b, generator).binomial(n.astype(np.int64), p)
    return wrap(b.from_host(np.asarray(draws, dtype=count._dtype.name)), b)


def svd_lowrank(A, q=6, niter=2, M=None):
    """(U, S, V) of the q largest singular values of A - M (PyTorch's randomized low-rank
    SVD; here the exact truncated SVD, which it approximates: `niter` is not needed)."""
    check_tensor(A, "svd_lowrank", "A")
    x = A if M is None else A - M
    m, n = x.shape[-2:]
    q = builtins.min(6, m, n) if q is None else q
    if not 0 <= q <= builtins.min(m, n):
        raise ValueError(f"svd_lowrank: q={q} must be in [0, min(m, n) = {builtins.min(m, n)}]")
    U, S, Vh = _linalg_ext().svd(x, full_matrices=False)
    return U[..., :q], S[..., :q], _linalg.matrix_transpose(Vh)[..., :q].conj()


def pca_lowrank(A, q=None, center=True, niter=2):
    """(U, S, V) of the principal components of A's rows: svd_lowrank of A less its column
    means (center=True); q defaults to min(6, m, n)."""
    check_tensor(A, "pca_lowrank", "A")
    m, n = A.shape[-2:]
    q = builtins.min(6, m, n) if q is None else q
    x = A - _stat.mean(A, axis=-2, keepdims=True) if center else A
    return svd_lowrank(x, q, niter)


def to_dlpack(tensor):
    """The DLPack capsule of `tensor` (shares its memory): PyTorch's torch.to_dlpack."""
    return check_tensor(tensor, "to_dlpack", "tensor").__dlpack__()


def get_device_module(device=None):
    """The module of a device type's functions: arraygrad.cuda for "cuda" (PyTorch's)."""
    from . import cuda as _cuda

    name = "cuda" if device is None else (device.type if hasattr(device, "type") else str(device).split(":")[0])
    if name == "cuda":
        return _cuda
    raise RuntimeError(f"get_device_module: no device module for {name!r} (arraygrad has arraygrad.cuda)")


def nuclear_norm(input, dim=None, keepdim=False) -> Tensor:
    """The sum of singular values (deprecated in PyTorch for linalg.matrix_norm(ord='nuc'))."""
    return _linalg_ext().matrix_norm(input, "nuc", (-2, -1) if dim is None else tuple(dim), keepdim)


def frobenius_norm(input, dim=(-2, -1), keepdim=False) -> Tensor:
    """sqrt(sum |x|^2) over `dim` (deprecated in PyTorch for linalg.norm)."""
    return _linalg_ext().vector_norm(input, 2, tuple(dim) if isinstance(dim, (list, tuple)) else dim, keepdim)


def promote_types(type1, type2):
    """The dtype PyTorch's type promotion gives two dtypes (int with float: the float;
    float with complex: the complex wide enough for both)."""
    a, b = _dtypes.as_dtype(type1), _dtypes.as_dtype(type2)
    kinds = {a.kind, b.kind}
    if kinds == {"f", "c"}:
        real = max(a, b, key=lambda t: t.bits if t.kind == "f" else t.bits // 2)
        return _dtypes.complex128 if (real.bits if real.kind == "f" else real.bits // 2) > 32 else _dtypes.complex64
    return _dtypes.promote(a, b)


# ----- process-wide settings ----------------------------------------------------------
_SETTINGS = {"num_threads": None, "thread_limiter": None, "deterministic": False, "warn_only": False}


def set_num_threads(int) -> None:  # noqa: A002  (PyTorch's parameter name)
    """Use at most `int` threads in the native math libraries (BLAS, OpenMP) through
    threadpoolctl when it is installed; without it, the number is only recorded (and
    get_num_threads returns it)."""
    n = int
    if isinstance(n, bool) or not hasattr(n, "__index__") or operator.index(n) <= 0:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {n!r}")
    n = operator.index(n)
    try:
        import threadpoolctl
    except ImportError:
        threadpoolctl = None
    if threadpoolctl is not None:
        _SETTINGS["thread_limiter"] = threadpoolctl.threadpool_limits(limits=n)
    _SETTINGS["num_threads"] = n


def get_num_threads() -> int:
    """The number set by set_num_threads; before that, the most threads a native math
    library uses (threadpoolctl), else the CPU count."""
    if _SETTINGS["num_threads"] is not None:
        return _SETTINGS["num_threads"]
    try:
        import threadpoolctl

        counts = [info["num_threads"] for info in threadpoolctl.threadpool_info()]
        if counts:
            return max(counts)
    except ImportError:
        pass
    import os

    return os.cpu_count() or 1


def use_deterministic_algorithms(mode, *, warn_only=False) -> None:
    """Record PyTorch's determinism flag. arraygrad's kernels are deterministic on its CPU
    backends already; the flag is kept for code that sets and reads it."""
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms(): argument 'mode' must be bool, not {type(mode).__name__}")
    if not isinstance(warn_only, bool):
        raise TypeError(f"use_deterministic_algorithms(): argument 'warn_only' must be bool, not "
                        f"{type(warn_only).__name__}")
    _SETTINGS["deterministic"], _SETTINGS["warn_only"] = mode, warn_only


def are_deterministic_algorithms_enabled() -> bool:
    return _SETTINGS["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _SETTINGS["warn_only"]


# ----------------------------------------------------------------------------------------
# Indexing, scattering and the rest of PyTorch's Tensor-method functions
# ----------------------------------------------------------------------------------------
def _angle_generic(xp, x):
    if x.dtype in (xp.complex64, xp.complex128):
        return xp.atan2(xp.imag(x), xp.real(x))
    return xp.where(x < 0, xp.asarray(math.pi, dtype=x.dtype, device=x.device),
                    xp.where(x != x, x, xp.zeros_like(x)))  # NaN stays NaN


def _angle_grad(xp, g, x):
    if x.dtype in (xp.complex64, xp.complex128):  # PyTorch's: 0 at 0, else g * z / |z|^2 * i
        a2 = xp.real(x) ** 2 + xp.imag(x) ** 2
        safe = xp.where(a2 == 0, xp.ones_like(a2), a2)
        return xp.where(x == 0, xp.zeros_like(x), (g * x / safe) * 1j)
    return xp.zeros_like(x)


_ANGLE = Op("angle", ("x",), _angle_grad, dtypes="numeric", generic=_angle_generic, impl="arraygrad_angle")


def angle(input, deg=False) -> Tensor:
    """The argument of each element (radians; real input: 0 for x >= 0, pi for x < 0).
    Integers give the default float. `deg=True` (NumPy's keyword) gives degrees."""
    check_tensor(input, "angle", "input")
    x = input if input._dtype.kind in "fc" else input.astype(_dtypes.DEFAULT_FLOAT)
    out = unary(_ANGLE, x)
    return out * (180.0 / math.pi) if deg else out


@takes_out
def inner(input, other) -> Tensor:
    """The sum of products over the last dimensions (a product when either is 0-d);
    out.shape == input.shape[:-1] + other.shape[:-1]. NumPy's `inner` too."""
    check_tensor(input, "inner", "input")
    check_tensor(other, "inner", "other")
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(input.shape)} and {list(other.shape)}")
    return _linalg.tensordot(input, other, axes=((input.ndim - 1,), (other.ndim - 1,)))


def masked_scatter(input, mask, source) -> Tensor:
    """A copy of `input` (broadcast with the boolean `mask`) whose elements where `mask` is
    true are, in row-major order, the first elements of `source`. Differentiable in input
    and source (source's unused elements get zero gradient)."""
    check_tensor(input, "masked_scatter", "input")
    check_tensor(mask, "masked_scatter", "mask")
    check_tensor(source, "masked_scatter", "source")
    if mask._dtype is not _dtypes.bool:
        raise TypeError(f"masked_scatter: expected mask to have dtype bool, got {mask._dtype}")
    if source._dtype is not input._dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got "
                           f"{input._dtype} and {source._dtype}")
    x, m = _manip.broadcast_arrays(input, mask)
    # The one value read: how many elements of source are used (it sizes the slice).
    n = int(_search.count_nonzero(m))
    flat = _manip.reshape(source, (-1,))
    if flat.shape[0] < n:
        raise RuntimeError(f"masked_scatter: Number of elements of source < number of ones in mask "
                           f"(source has {flat.shape[0]} elements, mask has {n} true)")
    return _indexing.setitem_functional(x, m, flat[:n])


def msort(input) -> Tensor:
    """The values sorted along the first dimension (sort(input, dim=0).values)."""
    check_tensor(input, "msort", "input")
    if input.ndim == 0:
        return clone(input)
    return _sorting.sort(input, axis=0)


def torch_take(input, index) -> Tensor:
    """PyTorch's take (the Tensor method `x.take(index)`): the elements of input seen as
    1-D at `index` (negative indices count from the end), shaped as `index`; the top-level
    `take` without axis on n-d input (the standard's `take` otherwise)."""
    check_tensor(input, "take", "input")
    if not isinstance(index, Tensor):
        index = _creation.asarray(index, device=input.device)
    check_tensor(index, "take", "index")
    if index._dtype.kind not in "iu":
        raise TypeError(f"take(): Expected a long tensor for index, but got {index._dtype}")
    flat = _manip.reshape(input, (-1,))
    n = flat.shape[0]
    idx = _manip.reshape(index, (-1,))
    if idx.shape[0] and n == 0:
        raise IndexError("take(): tried to take from an empty tensor")
    if index._dtype.kind == "i":
        idx = _search.where(idx < 0, idx + n, idx)
    return _manip.reshape(_indexing.take(flat, idx, axis=0), tuple(index.shape))


def ravel(input, order="C") -> Tensor:
    """The elements as a 1-D tensor (a view when the memory allows). NumPy's `order`
    ('C', or 'F' for column-major) is accepted too."""
    check_tensor(input, "ravel", "input")
    if order in ("C", "A", "K"):
        return _manip.reshape(input, (-1,))
    if order == "F":
        return _manip.reshape(_manip.permute_dims(input, tuple(range(input.ndim))[::-1]), (-1,))
    raise ValueError(f"ravel: order must be one of 'C', 'F', 'A', 'K', got {order!r}")


def renorm(input, p, dim, maxnorm) -> Tensor:
    """Each slice along `dim` whose p-norm exceeds `maxnorm` scaled to norm `maxnorm`
    (maxnorm / (norm + 1e-7), as PyTorch). Differentiable, the norm included."""
    check_tensor(input, "renorm", "input")
    if input._dtype.kind not in "fc":
        raise TypeError(f"renorm: expected a floating-point or complex input, got {input._dtype}")
    if not p > 0:
        raise RuntimeError(f"renorm: non-positive-norm not supported (p={p})")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if input.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} dimensions")
    d = normalize_axis(dim, input.ndim, "renorm", "dim")
    from .linalg import vector_norm

    norms = vector_norm(input, axis=tuple(a for a in range(input.ndim) if a != d), keepdims=True, ord=p)
    factor = _search.where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)
    return input * factor.astype(input._dtype) if input._dtype.kind == "c" else input * factor


_SCATTER_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def index_reduce(input, dim, index, source, reduce, *, include_self=True) -> Tensor:
    """A copy of `input` where each slice source[..., i, ...] along `dim` is reduced into
    out[..., index[i], ...] with `reduce` ('prod', 'mean', 'amax', 'amin'): scatter_reduce
    with the 1-D index spread over the source's other dimensions."""
    check_tensor(input, "index_reduce", "input")
    check_tensor(index, "index_reduce", "index")
    check_tensor(source, "index_reduce", "source")
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): reduce argument must be either prod, mean, amax or amin, got {reduce!r}")
    if index.ndim > 1 or index._dtype.kind not in "iu":
        raise IndexError(f"index_reduce(): index must be a 1-D integer tensor, got shape {tuple(index.shape)} "
                         f"and dtype {index._dtype}")
    d = normalize_axis(dim, builtins.max(input.ndim, 1), "index_reduce", "dim")
    index = _manip.reshape(index, (-1,))
    if source.ndim != input.ndim or (input.ndim and source.shape[d] != index.shape[0]) or any(
            source.shape[a] != input.shape[a] for a in range(input.ndim) if a != d):
        raise RuntimeError(f"index_reduce(): source of shape {tuple(source.shape)} must have the input's shape "
                           f"{tuple(input.shape)} but for dimension {dim}, whose size is the index's ({index.shape[0]})")
    if input.ndim == 0:
        return scatter_reduce(input, 0, index, source, reduce, include_self=include_self)
    spread = _manip.reshape(index, tuple(-1 if a == d else 1 for a in range(input.ndim)))
    return scatter_reduce(input, d, _manip.broadcast_to(spread, tuple(source.shape)), source, reduce,
                          include_self=include_self)


def narrow_copy(input, dim, start, length) -> Tensor:
    """narrow(), as a copy."""
    return clone(narrow(input, dim, start, length))


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True) -> Tensor:
    """A copy of `input` where each src[i][j] (dim 0; and so on) is reduced into
    out[index[i][j]][j] with `reduce` ('sum', 'prod', 'mean', 'amax', 'amin'); with
    include_self=False the values of input at positions written to take no part.
    Differentiable as PyTorch's: ties of amax/amin share the gradient evenly, prod's
    gradient is right at zeros. 'prod', 'amax' and 'amin' compare each src element with
    every position of `dim` (memory index.numel() * input.size(dim))."""
    check_tensor(input, "scatter_reduce", "input")
    check_tensor(index, "scatter_reduce", "index")
    check_tensor(src, "scatter_reduce", "src")
    if reduce not in _SCATTER_REDUCTIONS:
        raise RuntimeError(f"scatter_reduce(): reduce argument must be either sum, prod, mean, amax or "
                           f"amin, got {reduce!r}")
    if src._dtype is not input._dtype:
        raise RuntimeError(f"scatter_reduce(): Expected self.dtype to be equal to src.dtype, got "
                           f"{input._dtype} and {src._dtype}")
    if input.ndim == 0:
        return _one_element(scatter_reduce, input, dim, index, src, reduce, include_self=include_self)
    d = normalize_axis(dim, max(input.ndim, 1), "scatter_reduce", "dim")
    if index.ndim == 0 and input.ndim == 1:  # a 0-d index (and src) count as one element, as PyTorch's
        index = _manip.reshape(index, (1,))
        src = _manip.reshape(src, (1,)) if src.ndim == 0 else src
    _check_index_shape("scatter_reduce", input, d, index, src)
    if math.prod(index.shape) == 0:
        return clone(input)
    n = input.shape[d]
    src = src[tuple(slice(0, s) for s in index.shape)]
    key = _scatter_key(index, d)
    ones = _creation.ones(tuple(index.shape), dtype=_dtypes.int64, device=input.device)
    counts = _indexing.index_add(_creation.zeros(tuple(input.shape), dtype=_dtypes.int64, device=input.device),
                                 key, ones)  # also the bounds check, by the backend
    hit = counts > 0
    if reduce in ("sum", "mean"):
        base = input if include_self else _search.where(hit, _creation.zeros((), dtype=input._dtype,
                                                                              device=input.device), input)
        total = _indexing.index_add(base, key, src)
        if reduce == "sum":
            return total
        count = counts + 1 if include_self else counts
        count = _search.where(count == 0, 1, count)
        if input._dtype.kind in "iu":
            return _elem.floor_divide(total, count.astype(input._dtype))
        return total / count.astype(input._dtype)
    # prod, amax, amin: one-hot along a new last axis, reduced over `dim` with input's values
    region = tuple(slice(None) if a == d else slice(0, s) for a, s in enumerate(index.shape))
    wrapped = _search.where(index < 0, index + n, index)
    targets = _manip.reshape(_creation.arange(n, device=input.device), (1,) * index.ndim + (n,))
    onehot = _manip.expand_dims(wrapped, axis=-1) == targets  # index.shape + (n,)
    if reduce == "prod":
        fill = 1
    elif input._dtype.kind == "f":
        fill = -math.inf if reduce == "amax" else math.inf
    elif input._dtype.kind == "b":
        fill = reduce == "amin"
    else:
        info = _dtypes.iinfo(input._dtype)
        fill = info.min if reduce == "amax" else info.max
    fill = _creation.asarray(fill, dtype=input._dtype, device=input.device)
    spread = _search.where(onehot, _manip.expand_dims(src, axis=-1), fill)  # index.shape + (n,)
    mine = input[region]
    if not include_self:
        mine = _search.where(hit[region], fill, mine)
    mine = _manip.expand_dims(_manip.moveaxis(mine, d, -1), axis=d)  # same layout, size 1 at d
    both = _manip.concat([mine, spread], axis=d)
    if reduce == "prod":
        red = _stat.prod(both, axis=d, dtype=input._dtype)
    else:
        red = (_stat.max if reduce == "amax" else _stat.min)(both, axis=d)
    red = _manip.moveaxis(red, -1, d)
    if reduce != "prod" and not include_self and red.requires_grad:
        # PyTorch counts input's elements equal to the result among the ties even where
        # include_self=False leaves them out (they get no gradient): the src ties' share
        # shrinks to 1 / (src ties + 1) there. So here.
        value = red.detach()
        picked = _indexing.take_along_axis(value, wrapped, axis=d)
        src_ties = _indexing.index_add(_creation.zeros(tuple(input.shape), dtype=input._dtype, device=input.device),
                                       key, (src.detach() == picked).astype(input._dtype))[region]
        self_ties = ((input.detach()[region] == value) & hit[region]).astype(input._dtype)
        share = _search.where(hit[region], src_ties / _elem.maximum(src_ties + self_ties, 1), 1)
        red = value + (red - value) * share
    if tuple(red.shape) == tuple(input.shape):
        return red
    return _indexing.setitem_functional(input, region, red)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """The values with runs of equal consecutive elements (or slices along `dim`) collapsed
    to one; optionally the index of each element's run and the length of each run."""
    check_tensor(input, "unique_consecutive", "input")
    if dim is None:
        moved = _manip.reshape(input, (-1,))
        rows = moved
    else:
        d = normalize_axis(dim, max(input.ndim, 1), "unique_consecutive", "dim")
        moved = _manip.moveaxis(input, d, 0)
        rows = _manip.reshape(moved, (moved.shape[0], -1)) if moved.shape[0] else moved
    length = moved.shape[0]
    first = _creation.ones((min(length, 1),), dtype=_dtypes.bool, device=input.device)
    differs = rows[1:] != rows[:-1]
    if dim is not None and differs.ndim > 1:
        differs = _util.any(differs, axis=tuple(range(1, differs.ndim)))
    starts = _manip.concat([first, differs], axis=0)
    # The one value read: the runs found size the outputs.
    values = moved[starts]
    if dim is not None:
        values = _manip.moveaxis(values, 0, d)
    if not (return_inverse or return_counts):
        return values
    out = [values]
    if return_inverse:
        inv = _stat.cumulative_sum(starts.astype(_dtypes.int64), axis=0) - 1
        out.append(_manip.reshape(inv, tuple(input.shape)) if dim is None else inv)
    if return_counts:
        pos = _search.nonzero(starts)[0]
        ends = _manip.concat([pos[1:], _creation.asarray([length], dtype=pos._dtype, device=input.device)])
        out.append((ends - pos).astype(_dtypes.int64))
    return tuple(out)


def index_put(input, indices, values, accumulate=False) -> Tensor:
    """A copy of `input` with `values` written at input[indices] (a tuple of integer or
    boolean index tensors); accumulate=True adds instead, repeated indices summing."""
    check_tensor(input, "index_put", "input")
    check_tensor(values, "index_put", "values")
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put(): indices must be a tuple of tensors, got {type(indices).__name__}")
    for i, k in enumerate(indices):
        check_tensor(k, "index_put", f"indices[{i}]")
        if k._dtype.kind not in "iub":
            raise IndexError(f"index_put(): tensors used as indices must be long, int or bool tensors, "
                             f"got {k._dtype} at indices[{i}]")
    if len(indices) > input.ndim:
        raise IndexError(f"index_put(): too many indices for tensor of dimension {input.ndim} "
                         f"(got {len(indices)})")
    if values._dtype is not input._dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got {input._dtype} "
                           f"for the destination and {values._dtype} for the source.")
    key = tuple(indices)
    if accumulate:
        return _indexing.index_add(input, key, values)
    return _indexing.setitem_functional(input, key, values)


def put(input, index, source, accumulate=False) -> Tensor:
    """A copy of `input` with source's elements written at the flat positions `index`
    (negative ones count from the end); accumulate=True adds them. Out of place, as
    PyTorch's torch.put (NumPy's top-level put writes in place and returns None)."""
    check_tensor(input, "put", "input")
    check_tensor(index, "put", "index")
    check_tensor(source, "put", "source")
    if index._dtype.kind not in "iu":
        raise TypeError(f"put_(): Expected a long tensor for index, but got {index._dtype}")
    if math.prod(index.shape) != math.prod(source.shape):
        raise IndexError(f"put_(): Expected source and index to have the same number of elements, but got "
                         f"source.numel() = {math.prod(source.shape)}, index.numel() = {math.prod(index.shape)}")
    if source._dtype is not input._dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got (self) "
                           f"{input._dtype} and (source) {source._dtype}")
    flat = _manip.reshape(input, (-1,))
    n = flat.shape[0]
    idx = _manip.reshape(index, (-1,))
    if index._dtype.kind == "i":
        idx = _search.where(idx < 0, idx + n, idx)
    src = _manip.reshape(source, (-1,))
    out = _indexing.index_add(flat, (idx,), src) if accumulate else _indexing.setitem_functional(flat, (idx,), src)
    return _manip.reshape(out, tuple(input.shape))


# ----------------------------------------------------------------------------------------
# Leftovers: splitting and broadcasting, complex numbers, integration, number theory
# ----------------------------------------------------------------------------------------
class _NamedConstant:
    """A constant that prints, and pickles, as the module attribute `arraygrad.<name>`."""

    __slots__ = ("_name",)

    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return f"arraygrad.{self._name}"

    def __reduce__(self):
        return self._name


class memory_format(_NamedConstant):
    """PyTorch's memory-format constants: `contiguous_format` gives C-ordered tensors
    (`clone`, `contiguous`); new tensors are C-ordered whatever the format asks."""

    __slots__ = ()


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")  # accepted where PyTorch takes a format
channels_last_3d = memory_format("channels_last_3d")


def tensor_split(input, indices_or_sections=_NOT_GIVEN, dim=0, *, sections=_NOT_GIVEN, indices=_NOT_GIVEN):
    """Views of `input` split along `dim`: into `sections` parts (the first n % sections one
    element longer), or at the positions `indices`. A tensor argument: 0-d int64, sections;
    1-D int64, indices (read on the host: they decide the shapes)."""
    check_tensor(input, "tensor_split", "input")
    given = [a for a in (indices_or_sections, sections, indices) if a is not _NOT_GIVEN]
    if len(given) != 1:
        raise TypeError("tensor_split(): give one of indices_or_sections, sections or indices")
    arg = given[0]
    if isinstance(arg, Tensor):
        if arg._dtype is not _dtypes.int64 or arg.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have dtype long and "
                               f"be 0-D or 1-D, got a {arg.ndim}-D tensor of {arg._dtype}")
        arg = arg.item() if arg.ndim == 0 else arg.tolist()
    if input.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor "
                           "with 0 dims")
    d = normalize_axis(dim, input.ndim, "tensor_split", "dim")
    n = input.shape[d]
    if sections is not _NOT_GIVEN or (indices is _NOT_GIVEN and not isinstance(arg, (tuple, list))):
        k = int_arg(arg, "tensor_split", "sections")
        if k <= 0:
            raise RuntimeError(f"tensor_split: number of sections must be larger than 0, got {k}")
        size, extra = divmod(n, k)
        bounds, start = [], 0
        for i in builtins.range(k - 1):
            start += size + (i < extra)
            bounds.append(start)
    else:
        bounds = int_list(arg, "tensor_split", "indices")
    out, start = [], 0
    lead = (slice(None),) * d
    for stop in bounds + [n]:
        a = min(max(start + n if start < 0 else start, 0), n)
        b = min(max(stop + n if stop < 0 else stop, 0), n)
        out.append(input[lead + (slice(a, max(a, b)),)])
        start = stop
    return tuple(out)


def broadcast_tensors(*tensors) -> tuple:
    """The tensors broadcast to their common shape (views)."""
    for i, t_ in enumerate(tensors):
        check_tensor(t_, "broadcast_tensors", f"tensors[{i}]")
    return tuple(_manip.broadcast_arrays(*tensors))


def vdot(input, other) -> Tensor:
    """sum(conj(input) * other) of two vectors (the first is conjugated). Called with N-D
    arrays, as NumPy's vdot, they are flattened first (PyTorch takes only 1-D)."""
    check_tensor(input, "vdot", "input")
    check_tensor(other, "vdot", "other")
    if input._dtype is not other._dtype:
        raise RuntimeError(f"vdot: expected both vectors to have same dtype, but found {input._dtype} "
                           f"and {other._dtype}")
    a, b = _manip.reshape(input, (-1,)), _manip.reshape(other, (-1,))
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"vdot: inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                           f"[{b.shape[0]}] to have the same number of elements, but got "
                           f"{a.shape[0]} and {b.shape[0]} elements respectively")
    if a._dtype.kind == "c":
        a = _elem.conj(a)
    return _stat.sum(a * b)


_COMPLEX_OF = {"float32": "complex64", "float64": "complex128"}


def complex(real, imag) -> Tensor:  # noqa: A001  (PyTorch's name)
    """real + 1j * imag, two tensors of the same floating dtype (float32 -> complex64,
    float64 -> complex128)."""
    check_tensor(real, "complex", "real")
    check_tensor(imag, "complex", "imag")
    if real._dtype is not imag._dtype or real._dtype.name not in _COMPLEX_OF:
        raise RuntimeError(f"complex(): expected real and imag to be float32 or float64 tensors of the "
                           f"same dtype, got {real._dtype} and {imag._dtype}")
    c = getattr(_dtypes, _COMPLEX_OF[real._dtype.name])
    return real.astype(c) + imag.astype(c) * 1j


def polar(abs, angle) -> Tensor:  # noqa: A002  (PyTorch's names)
    """abs * (cos(angle) + 1j * sin(angle))."""
    check_tensor(abs, "polar", "abs")
    check_tensor(angle, "polar", "angle")
    if abs._dtype is not angle._dtype or abs._dtype.name not in _COMPLEX_OF:
        raise RuntimeError(f"polar(): expected abs and angle to be float32 or float64 tensors of the "
                           f"same dtype, got {abs._dtype} and {angle._dtype}")
    return complex(abs * _elem.cos(angle), abs * _elem.sin(angle))


_VIEW_AS_REAL = Op("view_as_real", ("x",), lambda xp, g: g[..., 0] + 1j * g[..., 1],
                   grad_fn="ViewAsRealBackward0", impl="arraygrad_view_as_real")
_VIEW_AS_COMPLEX = Op("view_as_complex", ("x",), lambda xp, g: xp.stack([xp.real(g), xp.imag(g)], axis=-1),
                      grad_fn="ViewAsComplexBackward0", impl="arraygrad_view_as_complex")


def _record_view(op, out, x):
    if x._requires_grad and grad_enabled():
        from ._dispatch import record

        record(op, (out,), (x,), None)
    return out


def view_as_real(input) -> Tensor:
    """A complex tensor's memory seen as real numbers: shape (..., 2), the last axis (real,
    imag). A view on backends whose arrays can be reinterpreted (NumPy, CuPy), else a copy.
    Differentiable, writes through it included (an autograd view, as PyTorch's)."""
    from ._dispatch import wrap, wrap_view

    check_tensor(input, "view_as_real", "input")
    if input._dtype.kind != "c":
        raise RuntimeError(f"view_as_real is only supported for complex tensors, got {input._dtype}")
    real = _dtypes.float32 if input._dtype is _dtypes.complex64 else _dtypes.float64
    b, data = input._backend, input._data
    if hasattr(data, "view"):
        out = wrap_view(data[..., None].view(b.to_native_dtype(real)), b, input, _VIEW_AS_REAL, {})
    else:
        xp = b.generic_namespace
        out = wrap(xp.stack([xp.real(data), xp.imag(data)], axis=-1), b)
    return _record_view(_VIEW_AS_REAL, out, input)


def view_as_complex(input) -> Tensor:
    """A real tensor of shape (..., 2) seen as complex numbers (its last axis: real, imag),
    a view; PyTorch's conditions: float32/float64, last size 2 with stride 1, even strides."""
    from ._dispatch import wrap, wrap_view

    check_tensor(input, "view_as_complex", "input")
    if input._dtype.name not in _COMPLEX_OF:
        raise RuntimeError(f"view_as_complex is only supported for float and double tensors, but got "
                           f"a tensor of scalar type: {input._dtype}")
    if input.ndim == 0 or input.shape[-1] != 2:
        raise RuntimeError(f"view_as_complex: tensor must have a last dimension of size 2, got shape "
                           f"{tuple(input.shape)}")
    c = getattr(_dtypes, _COMPLEX_OF[input._dtype.name])
    b, data = input._backend, input._data
    if hasattr(data, "view"):
        strides = input.stride()
        if strides[-1] != 1 or any(st % 2 for st in strides[:-1]):
            raise RuntimeError("view_as_complex: tensor must have a last dimension with stride 1 and "
                               f"all other strides divisible by 2, got strides {strides}")
        try:
            out = wrap_view(data.view(b.to_native_dtype(c))[..., 0], b, input, _VIEW_AS_COMPLEX, {})
        except ValueError as exc:
            raise RuntimeError(f"view_as_complex: {exc}") from None
    else:
        out = wrap(data[..., 0] + 1j * data[..., 1], b)
    return _record_view(_VIEW_AS_COMPLEX, out, input)


def trapezoid(y, x=None, dx=None, dim=-1, *, axis=_NOT_GIVEN) -> Tensor:
    """The trapezoidal rule's integral of `y` along `dim`, at the points `x` (1-D, or of y's
    shape) or spaced `dx` apart (default 1). NumPy's calling convention works too:
    trapezoid(y, x=None, dx=1.0, axis=-1)."""
    pieces, _ = _trapezoids("trapezoid", y, x, dx, dim if axis is _NOT_GIVEN else axis)
    return _stat.sum(pieces, axis=-1)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1) -> Tensor:
    """The running trapezoidal integral of `y` along `dim` (one fewer element there)."""
    pieces, d = _trapezoids("cumulative_trapezoid", y, x, dx, dim)
    return _manip.moveaxis(_stat.cumulative_sum(pieces, axis=-1), -1, d)


def gradient(input, *, spacing=1, dim=None, edge_order=1) -> tuple:
    """PyTorch's torch.gradient: the derivative estimated along each of `dim` (all by
    default) by second-order central differences inside, and one-sided differences of
    `edge_order` (1 or 2) at the ends. `spacing`: one number for all dims, one per dim, or one
    1-D tensor of coordinates per dim (unevenly spaced samples: NumPy's formulas)."""
    check_tensor(input, "gradient", "input")
    if edge_order not in (1, 2):
        raise ValueError(f"gradient: edge_order must be 1 or 2, got {edge_order!r}")
    dims = tuple(range(input.ndim)) if dim is None else \
        (dim,) if isinstance(dim, int) else tuple(dim)
    dims = tuple(normalize_axis(d, input.ndim, "gradient", "dim") for d in dims)
    if isinstance(spacing, (list, tuple)):
        if len(spacing) != len(dims):
            raise RuntimeError(f"gradient: expected spacing to be unspecified, a scalar or a list of length "
                               f"{len(dims)} (one per dim), got a list of length {len(spacing)}")
        spacings = list(spacing)
    else:
        spacings = [spacing] * len(dims)
    x = input if input._dtype.kind in "fc" else input.astype(_dtypes.DEFAULT_FLOAT)
    return tuple(_gradient_along(x, d, py_scalar(h), edge_order) for d, h in zip(dims, spacings))


def _gradient_along(x, d, h, edge_order):
    n = x.shape[d]
    if n < edge_order + 1:
        raise RuntimeError(f"gradient: torch.gradient expected each dimension size to be at least "
                           f"edge_order+1, got size {n} along dim {d}")
    f = _manip.moveaxis(x, d, -1)
    if isinstance(h, Tensor):  # coordinates: NumPy's unevenly spaced formulas
        if h.ndim != 1 or h.shape[0] != n:
            raise RuntimeError(f"gradient: coordinates along dim {d} must be 1-D with {n} values, "
                               f"got shape {tuple(h.shape)}")
        step = h[1:] - h[:-1]
        left, right = step[:-1], step[1:]
        inner = (-right / (left * (left + right)) * f[..., :-2] + (right - left) / (left * right) * f[..., 1:-1]
                 + left / (right * (left + right)) * f[..., 2:])
        if edge_order == 1:
            first = (f[..., 1:2] - f[..., :1]) / step[:1]
            last = (f[..., -1:] - f[..., -2:-1]) / step[-1:]
        else:
            a, b = step[0], step[1]
            first = (-(2 * a + b) / (a * (a + b)) * f[..., :1] + (a + b) / (a * b) * f[..., 1:2]
                     - a / (b * (a + b)) * f[..., 2:3])
            a, b = step[-2], step[-1]
            last = (b / (a * (a + b)) * f[..., -3:-2] - (a + b) / (a * b) * f[..., -2:-1]
                    + (2 * b + a) / (b * (a + b)) * f[..., -1:])
    else:
        inner = (f[..., 2:] - f[..., :-2]) / (2 * h)
        if edge_order == 1:
            first = (f[..., 1:2] - f[..., :1]) / h
            last = (f[..., -1:] - f[..., -2:-1]) / h
        else:
            first = (-3 * f[..., :1] + 4 * f[..., 1:2] - f[..., 2:3]) / (2 * h)
            last = (3 * f[..., -1:] - 4 * f[..., -2:-1] + f[..., -3:-2]) / (2 * h)
    return _manip.moveaxis(_manip.concat([first, inner, last], axis=-1), -1, d)


def _trapezoids(fname, y, x, dx, dim):
    """(each trapezoid's area along the last axis, the normalized dim) for trapezoid and
    cumulative_trapezoid."""
    check_tensor(y, fname, "y")
    if x is not None and dx is not None:
        raise TypeError(f"{fname}(): give x or dx, not both")
    if x is not None and not isinstance(x, Tensor):
        if _is_number(x):  # NumPy's positional dx
            x, dx = None, x
        else:
            x = _creation.asarray(x, device=y.device)
    if y._dtype.kind not in "fc":
        y = y.astype(_dtypes.DEFAULT_FLOAT if x is None or x._dtype.kind not in "fc"
                     else _dtypes.result_type(x._dtype, _dtypes.DEFAULT_FLOAT))
    if y.ndim == 0:
        raise IndexError(f"{fname}(): Dimension out of range (expected to be in range of [-1, 0], "
                         f"but got {dim})" if dim not in (0, -1) else
                         f"{fname}(): y must have at least one dimension")
    d = normalize_axis(dim, y.ndim, fname, "dim")
    yl = _manip.moveaxis(y, d, -1)
    pairs = (yl[..., 1:] + yl[..., :-1]) / 2
    if x is None:
        return pairs * (1 if dx is None else py_scalar(dx)), d
    if x.ndim == 1:
        if x.shape[0] != y.shape[d]:
            raise RuntimeError(f"{fname}: There must be one `x` value for each sample point along "
                               f"dim {dim}, got {x.shape[0]} x values and {y.shape[d]} samples")
        steps = x[1:] - x[:-1]
    else:
        steps = _util.diff(_manip.moveaxis(x, d if x.ndim == y.ndim else -1, -1), axis=-1)
    return pairs * steps, d


def _is_number(v) -> bool:
    return isinstance(py_scalar(v), (int, float)) and not isinstance(v, bool)


def trapz(y, x=None, *, dx=None, dim=-1) -> Tensor:
    """PyTorch's older name of trapezoid."""
    return trapezoid(y, x, dx=dx, dim=dim)


def fix(input) -> Tensor:
    """Round toward zero (trunc)."""
    return _elem.trunc(check_tensor(input, "fix", "input"))


def ldexp(input, other) -> Tensor:
    """input * 2 ** other, in floating point (integers: the default float)."""
    check_tensor(input, "ldexp", "input")
    other = py_scalar(other)
    d = _dtypes.result_type(input, other)
    if d.kind not in "fc":
        d = _dtypes.DEFAULT_FLOAT
    x = input if input._dtype is d else input.astype(d)
    e = other.astype(d if d.kind == "f" else _dtypes.float64 if d is _dtypes.complex128 else _dtypes.float32) \
        if isinstance(other, Tensor) else float(other)
    return x * _elem.pow(2.0, e) if isinstance(e, Tensor) else x * 2.0 ** e


def _gcd_generic(xp, a, b):
    """Euclid's algorithm, elementwise, unrolled to its worst case for the dtype (no values
    are read)."""
    a, b = xp.abs(a), xp.abs(b)
    for _ in builtins.range(3 * xp.iinfo(a.dtype).bits // 2 + 2):
        nz = b != 0
        a, b = xp.where(nz, b, a), xp.where(nz, a % xp.where(nz, b, xp.ones_like(b)), b)
    return a


def _lcm_generic(xp, a, b):
    g = _gcd_generic(xp, a, b)
    return xp.abs(xp.where(g != 0, a // xp.where(g != 0, g, xp.ones_like(g)), xp.zeros_like(g)) * b)


_GCD = Op("gcd", ("x1", "x2"), None, dtypes="integer", broadcasts=True, generic=_gcd_generic)
_LCM = Op("lcm", ("x1", "x2"), None, dtypes="integer", broadcasts=True, generic=_lcm_generic)


def _integer_pair(fname, input, other):
    check_tensor(input, fname, "input")
    other = py_scalar(other)
    for name, v in (("input", input), ("other", other)):
        kind = v._dtype.kind if isinstance(v, Tensor) else "i" if isinstance(v, int) else "f"
        if kind not in "iu":
            raise NotImplementedError(f"{fname}(): expected integer tensors, got {name} of dtype "
                               f"{v._dtype if isinstance(v, Tensor) else type(v).__name__}")
    return other


def gcd(input, other) -> Tensor:
    """The greatest common divisor of integers, elementwise (non-negative; gcd(0, 0) = 0)."""
    from ._dispatch import binary

    return binary(_GCD, input, _integer_pair("gcd", input, other))


def lcm(input, other) -> Tensor:
    """The least common multiple of integers, elementwise (non-negative; 0 if either is 0)."""
    from ._dispatch import binary

    return binary(_LCM, input, _integer_pair("lcm", input, other))


def rsub(input, other, *, alpha=1) -> Tensor:
    """other - alpha * input."""
    check_tensor(input, "rsub", "input")
    other = py_scalar(other)
    if input._dtype is _dtypes.bool:
        refuse_bool(_elem.subtract.op)
    if not isinstance(other, Tensor):
        return _elem.subtract(other, _scaled("rsub", other, input, alpha))
    return _add_sub("subtract", other, input, alpha)


def float_power(input, exponent) -> Tensor:
    """input ** exponent in double precision (float64; complex128 if either is complex)."""
    input, exponent = py_scalar(input), py_scalar(exponent)
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError("float_power(): expected input or exponent to be a Tensor")
    cplx = any(isinstance(v, builtins.complex) or (isinstance(v, Tensor) and v._dtype.kind == "c")
               for v in (input, exponent))
    d = _dtypes.complex128 if cplx else _dtypes.float64
    a, b = (v.astype(d) if isinstance(v, Tensor) and v._dtype is not d else v for v in (input, exponent))
    return _elem.pow(a, b)


# PyTorch's top-level in-place functions: torch.exp_(x) is x.exp_() (and returns x). Not
# round_: NumPy 1's round_ returned a new array.
_INPLACE_FUNCTIONS = (
    "square_", "abs_", "acos_", "acosh_", "addmv_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_",
    "arctanh_", "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_", "clamp_max_", "clamp_min_", "clip_",
    "cos_", "cosh_", "deg2rad_", "detach_", "erf_", "erfc_", "exp2_", "exp_", "expm1_", "fill_", "fix_",
    "floor_", "frac_", "index_put_", "log10_", "log1p_", "log2_", "log_", "logit_", "nan_to_num_", "neg_",
    "negative_", "rad2deg_", "reciprocal_", "relu_", "resize_as_", "rsqrt_", "sigmoid_", "sin_",
    "sinc_", "sinh_", "sqrt_", "tan_", "tanh_", "trunc_", "xlogy_", "zero_", "gcd_", "lcm_", "i0_", "ldexp_")


def _inplace_function(name):
    def function(input, *args, **kwargs):
        check_tensor(input, name, "input")
        return getattr(input, name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"input.{name}(...): in place; returns input."
    return function


for _name in _INPLACE_FUNCTIONS:
    globals()[_name] = _inplace_function(_name)
del _name


def round_(input, *, decimals=0) -> Tensor:
    """input rounded (half to even) to `decimals` places, in place; returns input."""
    check_tensor(input, "round_", "input")
    from ._inplace import inplace_apply

    return inplace_apply(input, lambda t: t.round(decimals), "round_")


_COMPILE_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")


def compile(model=None, *, fullgraph: bool = False, dynamic=None, backend="inductor", mode=None,  # noqa: A001
            options=None, disable: bool = False):
    """PyTorch's `torch.compile`: arraygrad has no graph compiler, so this returns `model`
    itself (a Module or function, run eagerly as before; a Module's state_dict keys stay
    as they were, without PyTorch's "_orig_mod." prefix). Also a decorator, with or
    without arguments: `@torch.compile`, `@torch.compile(mode="max-autotune")`."""
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if mode is not None and mode not in _COMPILE_MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_COMPILE_MODES)}")
    if options is not None and not isinstance(options, dict):
        raise TypeError(f"compile: options must be a dict, got {type(options).__name__}")
    if model is None:
        return lambda fn: compile(fn, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
                                  options=options, disable=disable)
    if not callable(model):
        raise TypeError(f"compile: expected a callable (a Module or function) to compile, got "
                        f"{type(model).__name__}")
    return model


_MATMUL_PRECISIONS = ("highest", "high", "medium")


def set_float32_matmul_precision(precision: str) -> None:
    """PyTorch's float32 matmul precision setting ("highest", "high" or "medium"), which
    lets PyTorch use TF32 on GPUs. arraygrad's float32 matmuls always run in float32: the
    setting is recorded (get_float32_matmul_precision returns it) and changes nothing."""
    if not isinstance(precision, str):
        raise RuntimeError(f"set_float32_matmul_precision expects a str, but got {type(precision).__name__}")
    if precision not in _MATMUL_PRECISIONS:
        raise ValueError(f"set_float32_matmul_precision: precision must be one of "
                         f"{', '.join(repr(p) for p in _MATMUL_PRECISIONS)}, got {precision!r}")
    _SETTINGS["matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    """The float32 matmul precision set_float32_matmul_precision recorded ("highest")."""
    return _SETTINGS.get("matmul_precision", "highest")


def _check_weights(fname, name, w, n, integral):
    check_tensor(w, fname, name)
    if w._data.ndim > 1:
        raise RuntimeError(f"{fname}(): expected {name} to have one or fewer dimensions but got "
                           f"{w._data.ndim} dimensions")
    if w._data.ndim == 1 and w._data.shape[0] != n:
        raise RuntimeError(f"{fname}(): expected {name} to have the same numel as there are observations "
                           f"in the input but got {w._data.shape[0]} != {n}")
    if integral and w._dtype.kind not in "iu":
        raise RuntimeError(f"{fname}(): expected {name} to have integral dtype but got {w._dtype}")
    if not integral and w._dtype.kind not in "f":
        raise RuntimeError(f"{fname}(): expected {name} to have floating point dtype but got {w._dtype}")


def cov(input, *, correction: int = 1, fweights=None, aweights=None) -> Tensor:
    """The covariance matrix of the variables in `input`'s rows (observations in its
    columns; a 1-D input is one variable: a 0-d result), with `correction` (1: Bessel's),
    integer frequency weights and float observation weights per column (PyTorch's)."""
    check_tensor(input, "cov", "input")
    if input._data.ndim > 2:
        raise ShapeError(f"cov(): expected input to have two or fewer dimensions but got an input "
                         f"with {input._data.ndim} dimensions")
    x = input if input._data.ndim == 2 else _manip.reshape(input, (1, -1))
    if x._dtype.kind in "biu":
        from ._config import get_default_dtype

        x = x.astype(get_default_dtype())
    n = x._data.shape[1]
    w = None
    if fweights is not None:
        _check_weights("cov", "fweights", fweights, n, True)
        w = fweights
    if aweights is not None:
        _check_weights("cov", "aweights", aweights, n, False)
        w = aweights if w is None else w * aweights
    if w is None:
        w_sum = n
        avg = _stat.mean(x, axis=1)
    else:
        w = w.astype(x._dtype)
        w_sum = _stat.sum(w)
        avg = _stat.sum(x * w, axis=1) / w_sum
    if w is None or aweights is None:
        norm = w_sum - correction
    else:
        norm = w_sum - correction * _stat.sum(w * aweights) / w_sum
    centered = x - _manip.expand_dims(avg, axis=1)
    weighted = centered if w is None else centered * w
    c = _linalg.matmul(weighted, _manip.permute_dims(_elem.conj(centered) if centered._dtype.kind == "c"
                                                   else centered, (1, 0)))
    c = c / norm
    return _manip.reshape(c, ()) if x._data.shape[0] == 1 else c  # one variable: 0-d (PyTorch's)


def corrcoef(input) -> Tensor:
    """Pearson correlation coefficients of the variables in `input`'s rows (cov(input)
    normalized by the standard deviations; real results clipped to [-1, 1])."""
    c = cov(input)
    if c._data.ndim == 0:
        return c / c
    d = diagonal(c)
    stddev = _elem.sqrt(_elem.real(d) if d._dtype.kind == "c" else d)
    c = c / _manip.expand_dims(stddev, axis=1)
    c = c / _manip.expand_dims(stddev, axis=0)
    return c if c._dtype.kind == "c" else clamp(c, -1, 1)


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """torch.cosine_similarity: nn.functional.cosine_similarity."""
    from .nn import functional as F

    return F.cosine_similarity(x1, x2, dim=dim, eps=eps)


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """torch.pairwise_distance: nn.functional.pairwise_distance."""
    from .nn import functional as F

    return F.pairwise_distance(x1, x2, p=p, eps=eps, keepdim=keepdim)


def typename(obj) -> str:
    """A tensor's type string (x.type(), e.g. 'torch.FloatTensor' in PyTorch), else the
    object's module-qualified name (builtins without the module: 'int')."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    if hasattr(obj, "__qualname__"):
        qualname = obj.__qualname__
    elif hasattr(obj, "__name__"):
        qualname = obj.__name__
    else:
        module = obj.__class__.__module__ or ""
        qualname = obj.__class__.__qualname__
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"


def is_nonzero(input) -> bool:
    """Whether a one-element tensor's value is not zero (RuntimeError for other sizes)."""
    check_tensor(input, "is_nonzero", "input")
    n = input._data.size
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return builtins.bool(input.item() != 0)


absolute, arccos, arccosh, arcsin, arcsinh = _elem.abs, _elem.acos, _elem.acosh, _elem.asin, _elem.asinh
arctan, arctanh, arctan2, bitwise_not = _elem.atan, _elem.atanh, _elem.atan2, _elem.bitwise_invert


def _nan_aware(fname, pick, wins):
    """fmax or fmin: `pick` (maximum, minimum) ignoring NaN (NaN only where both are). The
    gradient goes to input where wins(input, other) holds (ties included) or other is NaN,
    else to other: PyTorch's rule."""

    def generic(xp, x1, x2):
        r = getattr(xp, pick)(x1, x2)
        if not xp.isdtype(r.dtype, "real floating"):
            return r
        return xp.where(xp.isnan(x1), x2, xp.where(xp.isnan(x2), x1, r))

    def to_input(xp, x1, x2):
        return wins(x1, x2) | xp.isnan(x2)

    op = Op(fname, ("x1", "x2"), {"x1": lambda xp, g, x1, x2: xp.where(to_input(xp, x1, x2), g, 0.0),
                                  "x2": lambda xp, g, x1, x2: xp.where(to_input(xp, x1, x2), 0.0, g)},
            dtypes="real numeric", broadcasts=True, generic=generic)

    def function(input, other, *, out=None) -> Tensor:
        check_tensor(input, fname, "input")
        other = other if isinstance(other, Tensor) else tensor(other, dtype=input._dtype, device=input.device)
        if input._dtype.kind not in "fiu" or other._dtype.kind not in "fiu":
            raise TypeError(f"{fname}(): expected real (integer or floating-point) tensors, got "
                            f"{input._dtype} and {other._dtype}")
        r = binary(op, input, other)
        return r if out is None else write_out(out, r, fname, (input, other))

    function.__name__ = function.__qualname__ = fname
    function.__doc__ = (f"Elementwise {'maximum' if fname == 'fmax' else 'minimum'} that ignores NaN "
                        "(NaN only where both are NaN), with broadcasting.")
    return function


fmax = _nan_aware("fmax", "maximum", operator.ge)
fmin = _nan_aware("fmin", "minimum", operator.le)


def isposinf(input) -> Tensor:
    """Where `input` is +inf (real tensors)."""
    check_tensor(input, "isposinf", "input")
    if input._dtype.kind == "c":
        raise RuntimeError("isposinf does not support complex inputs.")
    return _elem.logical_and(_elem.isinf(input), input > 0) if input._dtype.kind == "f" else \
        _creation.zeros_like(input, dtype=_dtypes.bool)


def isneginf(input) -> Tensor:
    """Where `input` is -inf (real tensors)."""
    check_tensor(input, "isneginf", "input")
    if input._dtype.kind == "c":
        raise RuntimeError("isneginf does not support complex inputs.")
    return _elem.logical_and(_elem.isinf(input), input < 0) if input._dtype.kind == "f" else \
        _creation.zeros_like(input, dtype=_dtypes.bool)


def isreal(input) -> Tensor:
    """Where `input` is real: True everywhere for real dtypes, where the imaginary part is 0
    for complex ones."""
    check_tensor(input, "isreal", "input")
    if input._dtype.kind != "c":
        return _creation.ones_like(input, dtype=_dtypes.bool)
    return _elem.imag(input) == 0


def logaddexp2(input, other) -> Tensor:
    """log2(2**input + 2**other), computed stably."""
    _check_tensors("logaddexp2", input=input, other=other)
    ln2 = math.log(2.0)
    return _elem.logaddexp(input * ln2, other * ln2) / ln2


def _split_at(fname, input, sections, dim, min_ndim):
    check_tensor(input, fname, "input")
    nd = input._data.ndim
    if nd < min_ndim:
        raise RuntimeError(f"torch.{fname} requires a tensor with at least {min_ndim} dimension"
                           f"{'s' if min_ndim > 1 else ''}, but got a tensor with {nd} dimensions!")
    if isinstance(sections, int) and not isinstance(sections, builtins.bool):
        size = input._data.shape[dim]
        if sections == 0 or size % sections:
            raise RuntimeError(f"torch.{fname} attempted to split along dimension {dim}, but the size of the "
                               f"dimension {size} is not divisible by the split_size {sections}!")
    return tensor_split(input, sections, dim)


def hsplit(input, indices_or_sections):
    """Split along the columns (axis 1; axis 0 of a 1-D tensor): an int must divide the size."""
    check_tensor(input, "hsplit", "input")
    return _split_at("hsplit", input, indices_or_sections, 1 if input.ndim > 1 else 0, 1)


def vsplit(input, indices_or_sections):
    """Split along the rows (axis 0) of a tensor of 2 or more axes."""
    return _split_at("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input, indices_or_sections):
    """Split along the depth (axis 2) of a tensor of 3 or more axes."""
    return _split_at("dsplit", input, indices_or_sections, 2, 3)


def unravel_index(indices, shape):
    """The coordinates, one int64 tensor per axis of `shape`, of the flat `indices`."""
    if not isinstance(indices, Tensor):
        indices = tensor(indices)
    if indices._dtype.kind not in "iu":
        raise TypeError(f"unravel_index: expected 'indices' to be an integer tensor, but got {indices._dtype}")
    dims = (operator.index(shape),) if not isinstance(shape, (tuple, list)) else tuple(operator.index(d) for d in shape)
    if any(d < 0 for d in dims):
        raise ValueError(f"unravel_index: 'shape' cannot have negative values, but got {dims}")
    total = math.prod(dims)
    flat = indices._data
    if flat.size:
        lo, hi = indices._backend.extrema(flat)
        if hi >= total or lo < -total:
            raise RuntimeError(f"unravel_index: 'indices' must be in range [-{total}, {total - 1}] "
                               f"for 'shape' {dims}")
    rem = _search.where(indices < 0, indices + total, indices).astype(_dtypes.int64)
    out = []
    for d in reversed(dims):
        out.append(rem % d)
        rem = rem // d
    return tuple(reversed(out))


def scalar_tensor(s, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A 0-d tensor holding the number `s` (the default floating dtype unless `dtype`)."""
    from ._config import get_default_dtype

    return tensor(s, dtype=get_default_dtype() if dtype is None else dtype, device=device,
                  requires_grad=requires_grad)


def is_signed(input) -> bool:
    """Whether `input`'s dtype is signed (floating, complex and signed integer ones)."""
    check_tensor(input, "is_signed", "input")
    return input._dtype.kind in "fci"


def get_default_device():
    """The device new tensors go to (set_default_device's; "cpu" before)."""
    from ._config import default_device

    return default_device()


def is_same_size(input, other) -> bool:
    """Whether the two tensors have the same shape."""
    check_tensor(input, "is_same_size", "input")
    check_tensor(other, "is_same_size", "other")
    return tuple(input.shape) == tuple(other.shape)


# ----------------------------------------------------------------------------------------
# PyTorch's top-level forms of nn.functional ops (their signatures are PyTorch's torch.X,
# not F.X: dropout(input, p, train), embedding(weight, indices, ...), batch_norm with every
# argument positional). Each is a call to arraygrad.nn.functional, which does the math.
# ----------------------------------------------------------------------------------------
def _nnf():
    from .nn import functional  # nn imports this module: bound at call time

    return functional


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """nn.functional.conv1d."""
    return _nnf().conv1d(input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """nn.functional.conv2d."""
    return _nnf().conv2d(input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """nn.functional.conv3d."""
    return _nnf().conv3d(input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    """nn.functional.conv_transpose1d."""
    return _nnf().conv_transpose1d(input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    """nn.functional.conv_transpose2d."""
    return _nnf().conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    """nn.functional.conv_transpose3d."""
    return _nnf().conv_transpose3d(input, weight, bias, stride, padding, output_padding, groups, dilation)


def _pool_stride(stride):
    """PyTorch's `stride=[]` (the schema's default): the kernel size, as None is in F."""
    return None if stride is None or (isinstance(stride, (tuple, list)) and not stride) else stride


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False) -> Tensor:
    """nn.functional.max_pool1d without return_indices (see max_pool1d_with_indices)."""
    return _nnf().max_pool1d(input, kernel_size, _pool_stride(stride), padding, dilation, ceil_mode)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False) -> Tensor:
    """nn.functional.max_pool2d without return_indices."""
    return _nnf().max_pool2d(input, kernel_size, _pool_stride(stride), padding, dilation, ceil_mode)


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False) -> Tensor:
    """nn.functional.max_pool3d without return_indices."""
    return _nnf().max_pool3d(input, kernel_size, _pool_stride(stride), padding, dilation, ceil_mode)


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False) -> tuple:
    """(values, indices) of nn.functional.max_pool1d."""
    return tuple(_nnf().max_pool1d(input, kernel_size, _pool_stride(stride), padding, dilation, ceil_mode,
                                   return_indices=True))


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True) -> Tensor:
    """nn.functional.avg_pool1d."""
    return _nnf().avg_pool1d(input, kernel_size, _pool_stride(stride), padding, ceil_mode, count_include_pad)


def adaptive_avg_pool1d(input, output_size) -> Tensor:
    """nn.functional.adaptive_avg_pool1d."""
    return _nnf().adaptive_avg_pool1d(input, output_size)


def adaptive_max_pool1d(input, output_size) -> tuple:
    """(values, indices): nn.functional.adaptive_max_pool1d with return_indices=True."""
    return tuple(_nnf().adaptive_max_pool1d(input, output_size, return_indices=True))


def _check_dropout_p(fname, p):
    if not 0.0 <= p <= 1.0:
        raise RuntimeError(f"{fname}: dropout probability has to be between 0 and 1, but got {p}")


def _check_feature_rank(fname, input):
    check_tensor(input, fname, "input")
    if input.ndim < 2:
        raise RuntimeError(f"{fname}: Feature dropout requires at least 2 dimensions in the input, got "
                           f"shape {tuple(input.shape)}")


def _torch_dropout(name: str, inplace: bool, features: bool, alpha: bool):
    """torch.<name>(input, p, train): the nn.functional dropout of that kind, with
    PyTorch's RuntimeErrors for p and (feature dropouts) the input's rank."""

    def fn(input, p, train) -> Tensor:
        _check_dropout_p(name, p)
        if features:
            _check_feature_rank(name, input)
            return _nnf()._feature_dropout(name.rstrip("_"), input, p, train, inplace, None, alpha=alpha)
        functional = _nnf().alpha_dropout if alpha else _nnf().dropout
        return functional(input, p, train, inplace=inplace)

    kind = ("feature " if features else "") + ("alpha " if alpha else "")
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"{kind}dropout of `input` with probability p when `train`"
                  + (", in place (returns input)." if inplace else "."))
    return fn


dropout = _torch_dropout("dropout", False, False, False)
dropout_ = _torch_dropout("dropout_", True, False, False)
alpha_dropout = _torch_dropout("alpha_dropout", False, False, True)
alpha_dropout_ = _torch_dropout("alpha_dropout_", True, False, True)
feature_dropout = _torch_dropout("feature_dropout", False, True, False)
feature_dropout_ = _torch_dropout("feature_dropout_", True, True, False)
feature_alpha_dropout = _torch_dropout("feature_alpha_dropout", False, True, True)
feature_alpha_dropout_ = _torch_dropout("feature_alpha_dropout_", True, True, True)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
               cudnn_enabled) -> Tensor:
    """nn.functional.batch_norm, in PyTorch's top-level argument order (cudnn_enabled is
    accepted and ignored)."""
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError(f"batch_norm: running_mean and running_var must be defined in evaluation mode "
                           f"(training=False), got running_mean={type(running_mean).__name__}, "
                           f"running_var={type(running_var).__name__}")
    return _nnf().batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps,
                  cudnn_enabled) -> Tensor:
    """nn.functional.instance_norm, in PyTorch's top-level argument order."""
    return _nnf().instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True) -> Tensor:
    """nn.functional.layer_norm (cudnn_enable is accepted and ignored)."""
    return _nnf().layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True) -> Tensor:
    """nn.functional.group_norm (cudnn_enabled is accepted and ignored)."""
    return _nnf().group_norm(input, num_groups, weight, bias, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None) -> Tensor:
    """nn.functional.rms_norm."""
    return _nnf().rms_norm(input, normalized_shape, weight, eps)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False) -> Tensor:
    """Rows of `weight` picked by `indices` (note the order: weight first, as PyTorch's
    torch.embedding; F.embedding takes indices first). padding_idx < 0: no padding row."""
    if padding_idx is not None and padding_idx < 0:
        padding_idx = None
    return _nnf().embedding(indices, weight, padding_idx, None, 2.0, scale_grad_by_freq, sparse)


def constant_pad_nd(input, pad, value=0) -> Tensor:
    """nn.functional.pad(input, pad, 'constant', value)."""
    if len(pad) % 2:
        raise RuntimeError(f"constant_pad_nd: Length of pad must be even but instead it equals {len(pad)}")
    return _nnf().pad(input, tuple(pad), "constant", value)


def pixel_shuffle(input, upscale_factor) -> Tensor:
    """nn.functional.pixel_shuffle."""
    return _nnf().pixel_shuffle(input, upscale_factor)


def pixel_unshuffle(input, downscale_factor) -> Tensor:
    """nn.functional.pixel_unshuffle."""
    return _nnf().pixel_unshuffle(input, downscale_factor)


def channel_shuffle(input, groups) -> Tensor:
    """nn.functional.channel_shuffle."""
    return _nnf().channel_shuffle(input, groups)


def prelu(input, weight) -> Tensor:
    """nn.functional.prelu."""
    return _nnf().prelu(input, weight)


def selu(input) -> Tensor:
    """nn.functional.selu."""
    return _nnf().selu(input)


def selu_(input) -> Tensor:
    """selu in place; returns input."""
    return _nnf().selu_(input)


def celu(input, alpha=1.0) -> Tensor:
    """nn.functional.celu."""
    return _nnf().celu(input, alpha)


def celu_(input, alpha=1.0) -> Tensor:
    """celu in place; returns input."""
    return _nnf().celu_(input, alpha)


def threshold(input, threshold, value) -> Tensor:
    """nn.functional.threshold: `value` where input <= threshold, else input."""
    return _nnf().threshold(input, threshold, value)


def threshold_(input, threshold, value) -> Tensor:
    """threshold in place; returns input."""
    return _nnf().threshold_(input, threshold, value)


def _check_no_generator(fname, generator):
    if generator is not None:
        raise TypeError(f"{fname}(): the generator argument is not supported (draws come from the "
                        f"default generator; seed it with manual_seed), got {type(generator).__name__}")


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None) -> Tensor:
    """nn.functional.rrelu."""
    _check_no_generator("rrelu", generator)
    return _nnf().rrelu(input, lower, upper, training)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None) -> Tensor:
    """rrelu in place; returns input."""
    _check_no_generator("rrelu_", generator)
    return _nnf().rrelu_(input, lower, upper, training)


def hardshrink(input, lambd=0.5) -> Tensor:
    """nn.functional.hardshrink."""
    return _nnf().hardshrink(input, lambd)


def bilinear(input1, input2, weight, bias=None) -> Tensor:
    """nn.functional.bilinear."""
    return _nnf().bilinear(input1, input2, weight, bias)


def pdist(input, p=2.0) -> Tensor:
    """nn.functional.pdist."""
    return _nnf().pdist(input, p)


# ----------------------------------------------------------------------------------------
# Small tensor utilities: copies and fills, conjugation bits, splits, out-of-place scatters
# ----------------------------------------------------------------------------------------
def detach(input) -> Tensor:
    """input.detach(): the same memory, outside the graph."""
    return check_tensor(input, "detach", "input").detach()


def fill(input, value) -> Tensor:
    """A new tensor of input's shape and dtype, every element `value` (a number, or a 0-d
    tensor: then differentiable in it; input gets a zero gradient, as PyTorch's)."""
    return clone(check_tensor(input, "fill", "input")).fill_(value)


def adjoint(input) -> Tensor:
    """The conjugate transpose of the last two dimensions (a view for real tensors)."""
    check_tensor(input, "adjoint", "input")
    if input.ndim < 2:
        raise RuntimeError(f"adjoint(): tensor.adjoint() is only supported on matrices or batches of "
                           f"matrices. Got {input.ndim}-D tensor.")
    out = transpose(input, -2, -1)
    return _elem.conj(out) if input._dtype.kind == "c" else out


def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None) -> Tensor:
    """beta * input + alpha * outer(vec1, vec2); beta = 0 ignores input (NaN included)."""
    _check_ranks("addr", vec1=(vec1, 1), vec2=(vec2, 1))
    check_tensor(input, "addr", "input")
    if input._dtype.kind in "biu" and (isinstance(py_scalar(alpha), float) or isinstance(py_scalar(beta), float)):
        raise RuntimeError("addr: for integral input tensors, arguments beta and alpha must not be floating "
                           f"point numbers, got beta={beta!r}, alpha={alpha!r}")
    target = (vec1.shape[0], vec2.shape[0])
    try:
        fits = tuple(_manip.broadcast_shapes(tuple(input.shape), target)) == target
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(f"addr: input of shape {tuple(input.shape)} cannot be broadcast to the outer "
                           f"product's shape {target}")
    r = _scaled_sum("addr", input, outer(vec1, vec2), beta, alpha)
    return r if out is None else write_out(out, r, "addr", (input, vec1, vec2))


def is_conj(input) -> bool:
    """False: arraygrad conjugates eagerly (it has no lazy conjugate bit)."""
    check_tensor(input, "is_conj", "input")
    return False


def is_neg(input) -> bool:
    """False: arraygrad negates eagerly (it has no lazy negative bit)."""
    check_tensor(input, "is_neg", "input")
    return False


def resolve_conj(input) -> Tensor:
    """input itself: no tensor of arraygrad's has a conjugate bit to resolve."""
    return check_tensor(input, "resolve_conj", "input")


def resolve_neg(input) -> Tensor:
    """input itself: no tensor of arraygrad's has a negative bit to resolve."""
    return check_tensor(input, "resolve_neg", "input")


def conj_physical(input) -> Tensor:
    """The complex conjugate, computed (input itself for real tensors)."""
    check_tensor(input, "conj_physical", "input")
    return _elem.conj(input) if input._dtype.kind == "c" else input


def conj_physical_(input) -> Tensor:
    """conj_physical in place; returns input."""
    check_tensor(input, "conj_physical_", "input")
    if input._dtype.kind != "c":
        return input
    from ._inplace import inplace_apply

    return inplace_apply(input, _elem.conj, "conj_physical_")


def is_inference(input) -> bool:
    """False: arraygrad has no inference tensors (inference_mode only stops recording)."""
    check_tensor(input, "is_inference", "input")
    return False


def get_device(input) -> int:
    """The CUDA device index of `input` (-1 for CPU tensors)."""
    return check_tensor(input, "get_device", "input").get_device()


def split_with_sizes(input, split_sizes, dim=0) -> tuple:
    """Views of consecutive pieces of the listed sizes along `dim` (they must add up to it)."""
    check_tensor(input, "split_with_sizes", "input")
    d = normalize_axis(dim, input.ndim, "split_with_sizes", "dim")
    sizes = int_list(split_sizes, "split_with_sizes", "split_sizes")
    n = input.shape[d]
    if sum(sizes) != n or any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
                           f"dimension {d}), but got split_sizes={sizes}")
    return split(input, sizes, d)


def unsafe_split(input, split_size, dim=0) -> tuple:
    """split(input, split_size, dim) (PyTorch's unsafe_ form skips view tracking; these are
    ordinary views)."""
    if not isinstance(split_size, int) or isinstance(split_size, bool):
        raise TypeError(f"unsafe_split(): argument 'split_size' must be int, not {type(split_size).__name__}")
    return split(input, split_size, dim)


def unsafe_chunk(input, chunks, dim=0) -> tuple:
    """chunk(input, chunks, dim) (ordinary views)."""
    return chunk(input, chunks, dim)


def unsafe_split_with_sizes(input, split_sizes, dim=0) -> tuple:
    """split_with_sizes(input, split_sizes, dim) (ordinary views)."""
    return split_with_sizes(input, split_sizes, dim)


def _positions(values, device) -> Tensor:
    return _creation.asarray(list(values), dtype=_dtypes.int64, device=device)


def _check_src_shape(fname, src, want):
    if tuple(src.shape) != tuple(want):
        raise RuntimeError(f"{fname}: expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(want)}")


def slice_scatter(input, src, dim=0, start=None, end=None, step=1) -> Tensor:
    """A copy of `input` with input[..., start:end:step, ...] (along `dim`) replaced by
    `src`; differentiable in both."""
    check_tensor(input, "slice_scatter", "input")
    check_tensor(src, "slice_scatter", "src")
    d = normalize_axis(dim, input.ndim, "slice_scatter", "dim")
    if step <= 0:
        raise RuntimeError(f"slice_scatter: slice step must be positive, got {step}")
    where = builtins.range(*slice(start, end, step).indices(input.shape[d]))
    _check_src_shape("slice_scatter", src, input.shape[:d] + (len(where),) + input.shape[d + 1:])
    return index_copy(input, d, _positions(where, input.device), src)


def select_scatter(input, src, dim, index) -> Tensor:
    """A copy of `input` with the slice input.select(dim, index) replaced by `src`;
    differentiable in both."""
    check_tensor(input, "select_scatter", "input")
    check_tensor(src, "select_scatter", "src")
    d = normalize_axis(dim, input.ndim, "select_scatter", "dim")
    n = input.shape[d]
    i = operator.index(index)
    if not -n <= i < n:
        raise IndexError(f"select_scatter(): index {i} out of range for tensor of size {list(input.shape)} at "
                         f"dimension {d}")
    _check_src_shape("select_scatter", src, input.shape[:d] + input.shape[d + 1:])
    return index_copy(input, d, _positions([i % n], input.device), unsqueeze(src, d))


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1) -> Tensor:
    """A copy of `input` with its diagonal(offset, dim1, dim2) replaced by `src`;
    differentiable in both."""
    check_tensor(input, "diagonal_scatter", "input")
    check_tensor(src, "diagonal_scatter", "src")
    _check_src_shape("diagonal_scatter", src, tuple(diagonal(input, offset, dim1, dim2).shape))
    d1 = normalize_axis(dim1, input.ndim, "diagonal_scatter", "dim1")
    d2 = normalize_axis(dim2, input.ndim, "diagonal_scatter", "dim2")
    moved = movedim(input, (d1, d2), (-2, -1))  # (..., m, n): the diagonal in the last two
    m, n = moved.shape[-2:]
    flat = _manip.reshape(moved, tuple(moved.shape[:-2]) + (m * n,))
    row0, col0 = builtins.max(-offset, 0), builtins.max(offset, 0)
    where = [(row0 + i) * n + col0 + i for i in builtins.range(src.shape[-1])]
    out = index_copy(flat, -1, _positions(where, input.device), src)
    return movedim(_manip.reshape(out, tuple(moved.shape)), (-2, -1), (d1, d2))


return_types["frexp"] = _Frexp = _return_type("frexp", ("mantissa", "exponent"))


def _pow2(e, like) -> tuple:
    """2**e as two factors (2**(e//2), 2**(e - e//2)) in like's dtype: each stays finite
    and normal where 2**e alone would overflow (float16's 2**16) or be subnormal."""
    half = _elem.floor_divide(e, 2)
    return _elem.pow(2.0, half).astype(like._dtype), _elem.pow(2.0, e - half).astype(like._dtype)


def frexp(input, *, out=None):
    """(mantissa, exponent) with input = mantissa * 2**exponent, |mantissa| in [0.5, 1)
    (0, inf and NaN: themselves with exponent 0); exponent is int32. Differentiable in the
    mantissa."""
    check_tensor(input, "frexp", "input")
    if input._dtype.kind != "f":
        raise RuntimeError(f"frexp(): input must have a floating-point dtype (torch.frexp() only supports "
                           f"floating-point dtypes), got {input._dtype}")
    if out is not None and (not isinstance(out, (tuple, list)) or len(out) != 2):
        raise TypeError(f"frexp(): out must be a (mantissa, exponent) pair of tensors, got {type(out).__name__}")
    token = _no_grad()
    try:
        a = _elem.abs(input.detach())
        finite = _elem.isfinite(a) & (a != 0)
        safe = _search.where(finite, a, _creation.ones_like(a))
        e = _elem.floor(_elem.log2(safe.astype(_dtypes.float64) if input._dtype.itemsize < 8 else safe)) + 1
        p, q = _pow2(e, safe)
        m = safe / p / q  # in [0.5, 1) but for log2's rounding near powers of two: fix by one
        e = e + (m >= 1).astype(e.dtype) - (m < 0.5).astype(e.dtype)
        e = _search.where(finite, e, _creation.zeros_like(e))
        p, q = _pow2(e, safe)
    finally:
        GRAD_ENABLED.reset(token)
    mantissa, exponent = input / p / q, e.astype(_dtypes.int32)
    if out is not None:
        mantissa = write_out(out[0], mantissa, "frexp", (input,))
        exponent = write_out(out[1], exponent, "frexp")
    return _Frexp(mantissa, exponent)


# ----- layouts ------------------------------------------------------------------------------
class layout(_NamedConstant):
    """PyTorch's tensor layouts: arraygrad's tensors are all dense (`strided`)."""

    __slots__ = ()


strided = layout("strided")


# ----- creation from memory ---------------------------------------------------------------
def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False) -> Tensor:
    """A 1-D CPU tensor over the bytes of a Python buffer (bytearray, array.array, mmap, ...),
    sharing its memory: `count` elements of `dtype` (-1: all) from byte `offset`. A
    read-only buffer (bytes) gives a tensor whose writes raise."""
    import numpy as np

    d = _dtypes.as_dtype(dtype)
    view = memoryview(buffer)
    length, size = view.nbytes, d.itemsize
    if length == 0 or count == 0:
        raise ValueError(f"frombuffer(): both buffer length ({length}) and count ({count}) must not be 0")
    if not 0 <= offset < length:
        raise ValueError(f"frombuffer(): offset ({offset} bytes) must be non-negative and no greater than buffer "
                         f"length ({length} bytes) minus 1")
    if count < 0:
        if (length - offset) % size:
            raise ValueError(f"frombuffer(): buffer length ({length - offset} bytes) after offset ({offset} bytes) "
                             f"must be a multiple of element size ({size})")
        count = (length - offset) // size
    elif offset + count * size > length:
        raise ValueError(f"frombuffer(): requested buffer length ({count} * {size} bytes) after offset ({offset} "
                         f"bytes) must not be greater than actual buffer length ({length} bytes)")
    out = from_numpy(np.frombuffer(buffer, dtype=np.dtype(d.name), count=count, offset=offset))
    return out.requires_grad_() if requires_grad else out


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False) -> Tensor:
    """An uninitialized tensor of shape `size`. arraygrad's new tensors are always C-ordered:
    `stride` is checked against `size` for length, then ignored."""
    size, stride = int_sequence((size,), "empty_strided"), int_sequence((stride,), "empty_strided")
    if len(size) != len(stride):
        raise RuntimeError(f"empty_strided: dimensionality of sizes ({len(size)}) must match dimensionality of "
                           f"strides ({len(stride)})")
    out = _creation.empty(size, dtype=dtype, device=device)
    return out.requires_grad_() if requires_grad else out


# ----- more process-wide settings -----------------------------------------------------------
def set_default_tensor_type(t, /) -> None:
    """Deprecated (PyTorch 2.1): set the default dtype from a tensor type ('torch.FloatTensor',
    DoubleTensor, 'torch.cuda.FloatTensor'); a CUDA type also makes CUDA the default device
    (TypeError without a CUDA device). Use set_default_dtype / set_default_device."""
    import warnings

    from ._config import set_default_device, set_default_dtype

    warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "torch.set_default_dtype() and torch.set_default_device() as alternatives.", UserWarning,
                  stacklevel=2)
    if isinstance(t, str):
        t = parse_tensor_type(t)
    if not isinstance(t, TensorType):
        raise TypeError(f"set_default_tensor_type(): invalid type object: expected a tensor type such as "
                        f"FloatTensor or 'torch.FloatTensor', got {type(t).__name__}")
    if t.dtype.kind != "f":
        raise TypeError(f"set_default_tensor_type(): only floating-point types are supported as the default "
                        f"type, got {t.type_name()}")
    if t.is_cuda:
        from . import cuda

        if not cuda.is_available():
            raise TypeError(f"set_default_tensor_type(): type {t.type_name()} not available: no CUDA device "
                            "(arraygrad.cuda.is_available() is False)")
        set_default_device("cuda")
    set_default_dtype(t.dtype)


def set_flush_denormal(mode) -> bool:
    """Whether the requested denormal mode holds: arraygrad's backends cannot flush
    denormals to zero, so True for mode=False (they are kept) and False for mode=True
    (PyTorch's answer where flushing is unsupported)."""
    return not mode


def set_num_interop_threads(int, /) -> None:  # noqa: A002  (PyTorch's parameter name)
    """Record the number of inter-op threads (arraygrad runs ops on the calling thread: the
    number is only reported back by get_num_interop_threads)."""
    n = int
    if isinstance(n, bool) or not hasattr(n, "__index__") or operator.index(n) <= 0:
        raise RuntimeError(f"set_num_interop_threads expects a positive integer, got {n!r}")
    _SETTINGS["interop_threads"] = operator.index(n)


def get_num_interop_threads() -> int:
    """The number set by set_num_interop_threads; before that, the CPU count."""
    n = _SETTINGS.get("interop_threads")
    if n is None:
        import os

        n = os.cpu_count() or 1
    return n


def set_warn_always(b, /) -> None:
    """Record PyTorch's warn-always flag. arraygrad's warnings go through Python's `warnings`,
    whose filters decide how often each repeats; the flag is kept for code that reads it."""
    if not isinstance(b, bool):
        raise TypeError(f"set_warn_always(): argument 'b' must be bool, not {type(b).__name__}")
    _SETTINGS["warn_always"] = b


def is_warn_always_enabled() -> bool:
    return _SETTINGS.get("warn_always", False)


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on (autograd.detect_anomaly / set_detect_anomaly)."""
    from ._autograd import anomaly

    return anomaly.is_anomaly_enabled()


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly detection checks backward results for NaN."""
    from ._autograd import anomaly

    return anomaly.is_anomaly_check_nan_enabled()


def set_anomaly_enabled(enabled, check_nan=True) -> None:
    """Turn anomaly detection on or off (autograd.set_detect_anomaly without a block)."""
    from ._autograd import anomaly

    if not isinstance(enabled, bool):
        raise TypeError(f"set_anomaly_enabled(): argument 'enabled' must be bool, not {type(enabled).__name__}")
    anomaly.set_detect_anomaly(enabled, bool(check_nan))


def cond(pred, true_fn, false_fn, operands=()):
    """true_fn(*operands) if pred else false_fn(*operands), run eagerly (PyTorch's
    control-flow operator; `pred`: a bool, a number or a one-element tensor)."""
    if isinstance(pred, Tensor):
        if math.prod(pred.shape) != 1:
            raise RuntimeError(f"cond(): Expected pred to be bool or single-element tensor, but got a tensor of "
                               f"shape {tuple(pred.shape)}")
    elif not isinstance(pred, (bool, int, float)):
        raise RuntimeError(f"cond(): Expected pred to be bool or single-element tensor, but got "
                           f"{type(pred).__name__}")
    if not callable(true_fn) or not callable(false_fn):
        raise RuntimeError(f"cond(): Expect both branches to be callable, got {type(true_fn).__name__} and "
                           f"{type(false_fn).__name__}")
    if not isinstance(operands, (tuple, list)):
        raise RuntimeError(f"cond(): Expect operands to be a tuple or list, got {type(operands).__name__}")
    return (true_fn if bool(pred) else false_fn)(*operands)


def _set_fns():
    from ._ops import sets

    return sets


assert set(_INPLACE_FUNCTIONS) <= set(__all__)

# torch.special (built on this module's functions, hence imported last) and the names
# PyTorch gives some of its functions at the top level.
from ._signal import istft, stft  # noqa: E402,F401
from . import special  # noqa: E402

lgamma, digamma, polygamma, erfinv, i0 = special.gammaln, special.digamma, special.polygamma, special.erfinv, special.i0
mvlgamma, igamma, igammac = special.multigammaln, special.gammainc, special.gammaincc

# The Tensor methods come from this module's functions and `_torch_methods`' tables.
from ._torch_methods import install as _install_methods  # noqa: E402

_install_methods()
