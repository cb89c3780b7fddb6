"""Statistical functions (reductions and scans), with their gradients."""

from __future__ import annotations


from .. import _dtypes
from .._dispatch import DTypeError, Op, Tensor, apply, check_tensor, coerce_dtype, wrap
from .._dtypes import as_dtype
from . import exported, normalize_axes, normalize_axis


# ----- helpers shared by the rules ------------------------------------------------------
def keepdims_shape(x_shape, axis) -> tuple[int, ...]:
    """The shape a reduction over `axis` (None: all) has with keepdims=True."""
    if axis is None:
        return (1,) * len(x_shape)
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(1 if i in axes else n for i, n in enumerate(x_shape))


def restore_reduced(g, x_shape, axis, keepdims, xp=None):
    """A reduction's output (or its gradient) reshaped to keepdims form (in namespace `xp`:
    arraygrad's own functions by default)."""
    if keepdims:
        return g
    return (reshape if xp is None else xp.reshape)(g, keepdims_shape(x_shape, axis))


def unreduce(xp, g, x_shape, axis, keepdims):
    """Broadcast a reduction's gradient back over the reduced axes (in namespace `xp`)."""
    if axis is not None:  # a full reduction's 0-d gradient broadcasts as it is
        g = restore_reduced(g, x_shape, axis, keepdims, xp)
    return xp.broadcast_to(g, tuple(x_shape))


def _count(x_shape, axis) -> int:
    n = 1
    for i, s in enumerate(x_shape):
        if axis is None or i in (axis if isinstance(axis, tuple) else (axis,)):
            n *= s
    return n


def _reduction_args(x, axis, fname):
    check_tensor(x, fname)
    if axis is None:
        return None
    return normalize_axes(axis, x._data.ndim, fname)


def _native(x, dtype):
    return None if dtype is None else x._backend.to_native_dtype(as_dtype(dtype))


# ----- sum, prod, mean ------------------------------------------------------------------
_SUM = Op("sum", ("x",), unreduce)
# PyTorch's overload with `dim` records another node (SumBackward1, sum.dim_IntList): the
# same rule under that name, picked once per call by whether an axis was given.
_SUM_DIM = Op("sum_dim", ("x",), unreduce, impl="sum", grad_fn="SumBackward1")


def sum(x, /, dim=None, keepdim=None, *, axis=None, dtype=None, keepdims=False) -> Tensor:
    """The sum over `axis` (all axes by default). Integer inputs sum in the default integer
    dtype unless `dtype` says otherwise."""
    if dim is not None or keepdim is not None:  # PyTorch's spelling: Tensor.sum's semantics
        return check_tensor(x, "sum").sum(dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)
    if x.__class__ is not Tensor:
        check_tensor(x, "sum")
    if axis is None and dtype is None and not keepdims and not x._requires_grad:
        b = x._backend  # the whole-array sum, the most common call, without keyword plumbing
        return wrap(b.fn["sum"](x._data), b)
    if axis is not None:
        axis = normalize_axes(axis, x._data.ndim, "sum")
    if dtype is not None:
        dtype = _native(x, dtype)
    return apply(_SUM if axis is None else _SUM_DIM, (x,),
                 {"axis": axis, "dtype": dtype, "keepdims": keepdims})


def _prod_grad(g, x, axis, keepdims):
    """Each element's gradient is the product of the others: exclusive products from both
    sides (no division, so zeros are handled exactly)."""
    shape = tuple(x._data.shape)
    nd = len(shape)
    axes = tuple(range(nd)) if axis is None else axis
    g = restore_reduced(g, shape, axis, keepdims)
    kept = [a for a in range(nd) if a not in axes]
    perm = tuple(kept + list(axes))
    xt = permute_dims(x, perm) if perm != tuple(range(nd)) else x
    lead = tuple(shape[a] for a in kept)
    n = _count(shape, axes)
    xf = reshape(xt, lead + (n,))
    left = cumulative_prod(xf, axis=-1, include_initial=True)[..., :-1]
    right = flip(cumulative_prod(flip(xf, axis=-1), axis=-1, include_initial=True)[..., :-1], axis=-1)
    others = reshape(left * right, tuple(shape[a] for a in perm))
    if perm != tuple(range(nd)):
        inv = [0] * nd
        for i, a in enumerate(perm):
            inv[a] = i
        others = permute_dims(others, tuple(inv))
    return g * _conj(others)


_PROD = Op("prod", ("x",), _prod_grad)
_PROD_DIM = Op("prod_dim", ("x",), _prod_grad, impl="prod", grad_fn="ProdBackward1")  # as _SUM_DIM


def prod(x, /, dim=None, keepdim=None, *, axis=None, dtype=None, keepdims=False) -> Tensor:
    """The product over `axis` (all axes by default)."""
    if dim is not None or keepdim is not None:  # PyTorch's spelling: Tensor.prod's semantics
        return check_tensor(x, "prod").prod(dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)
    axis = _reduction_args(x, axis, "prod")
    return apply(_PROD if axis is None else _PROD_DIM, (x,),
                 {"axis": axis, "dtype": _native(x, dtype), "keepdims": keepdims})


def _mean_grad(xp, g, x_shape, axis, keepdims):
    return unreduce(xp, g, x_shape, axis, keepdims) / (_count(x_shape, axis) or 1)


_MEAN = Op("mean", ("x",), _mean_grad, dtypes="floating-point")
_MEAN_DIM = Op("mean_dim", ("x",), _mean_grad, dtypes="floating-point", impl="mean",
               grad_fn="MeanBackward1")  # as _SUM_DIM


def mean(x, /, dim=None, keepdim=None, *, axis=None, keepdims=False, dtype=None) -> Tensor:
    """The arithmetic mean over `axis` (integer inputs are promoted to the default float)."""
    # PyTorch's spelling: Tensor.mean's semantics
    if dim is not None or keepdim is not None or dtype is not None:
        return check_tensor(x, "mean").mean(dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)
    axis = _reduction_args(x, axis, "mean")
    if x._dtype not in _MEAN.dtypes:
        x = coerce_dtype(_MEAN, x)
    return apply(_MEAN if axis is None else _MEAN_DIM, (x,), {"axis": axis, "keepdims": keepdims})


# ----- var, std -------------------------------------------------------------------------
def _var_grad(xp, g, x, axis, correction, keepdims):
    shape = tuple(x.shape)
    g = restore_reduced(g, shape, axis, keepdims, xp)
    centered = x - xp.mean(x, axis=axis, keepdims=True)
    dof = _count(shape, axis) - correction
    return g * centered * (2.0 / dof if dof else float("inf"))  # N == correction: inf, as PyTorch


_VAR = Op("var", ("x",), _var_grad, dtypes="floating-point")


def _std_grad(xp, g, x, ans, axis, correction, keepdims):
    shape = tuple(x.shape)
    g = restore_reduced(g, shape, axis, keepdims, xp)
    ans = restore_reduced(ans, shape, axis, keepdims, xp)
    centered = x - xp.mean(x, axis=axis, keepdims=True)
    # 0 where the deviation is 0 (not differentiable there; PyTorch's choice, not 0/0), with
    # a safe divisor there too: the discarded 0/0 would make the second derivative nan
    zero = ans == 0
    safe = xp.where(zero, 1.0, ans)
    return xp.where(zero, 0.0, g * centered / (safe * (_count(shape, axis) - correction)))


_STD = Op("std", ("x",), _std_grad, dtypes="floating-point")


def _check_correction(correction, fname):
    if not isinstance(correction, (int, float)) or isinstance(correction, bool):
        raise TypeError(f"{fname}: correction must be an int or float, got {type(correction).__name__}")
    if correction < 0:
        raise ValueError(f"{fname}: correction must be non-negative, got {correction}")


class _NotGiven:
    """The default of `dim` in std / var: PyTorch's spelling passes dim (even dim=None)."""

    def __repr__(self):
        return "<not given>"


_NOT_GIVEN = _NotGiven()


def var(x, /, dim=_NOT_GIVEN, unbiased=None, keepdim=None, *, axis=None, correction=None,
        keepdims=False) -> Tensor:
    """The variance over `axis`, dividing by N - correction."""
    # PyTorch's spelling: Tensor.var's semantics
    if dim is not _NOT_GIVEN or unbiased is not None or keepdim is not None:  # dim=None too
        dim = None if dim is _NOT_GIVEN else dim
        return check_tensor(x, "var").var(dim, unbiased, keepdim, correction=correction, axis=axis,
                                          keepdims=keepdims)
    axis = _reduction_args(x, axis, "var")
    correction = 0.0 if correction is None else correction
    _check_correction(correction, "var")
    if x._dtype not in _VAR.dtypes:
        x = coerce_dtype(_VAR, x)
    return apply(_VAR, (x,), {"axis": axis, "correction": correction, "keepdims": keepdims})


def std(x, /, dim=_NOT_GIVEN, unbiased=None, keepdim=None, *, axis=None, correction=None,
        keepdims=False) -> Tensor:
    """The standard deviation over `axis`, dividing by N - correction."""
    # PyTorch's spelling: Tensor.std's semantics
    if dim is not _NOT_GIVEN or unbiased is not None or keepdim is not None:  # dim=None too
        dim = None if dim is _NOT_GIVEN else dim
        return check_tensor(x, "std").std(dim, unbiased, keepdim, correction=correction, axis=axis,
                                          keepdims=keepdims)
    axis = _reduction_args(x, axis, "std")
    correction = 0.0 if correction is None else correction
    _check_correction(correction, "std")
    if x._dtype not in _STD.dtypes:
        x = coerce_dtype(_STD, x)
    return apply(_STD, (x,), {"axis": axis, "correction": correction, "keepdims": keepdims})


# ----- max, min ---------------------------------------------------------------------------
def _extremum_grad(xp, g, x, ans, axis, keepdims):
    """g goes to the elements equal to the extremum, split evenly between ties (PyTorch's
    amax); a NaN extremum is equal to the NaNs it came from."""
    shape = tuple(x.shape)
    g = restore_reduced(g, shape, axis, keepdims, xp)
    ans = restore_reduced(ans, shape, axis, keepdims, xp)
    hit = xp.astype((x == ans) | (xp.isnan(x) & xp.isnan(ans)), g.dtype)
    return g * hit / xp.sum(hit, axis=axis, keepdims=True)


_MAX = Op("max", ("x",), _extremum_grad, dtypes="real", grad_fn="AmaxBackward0")
_MIN = Op("min", ("x",), _extremum_grad, dtypes="real", grad_fn="AminBackward0")


def _extremum(op, x, axis, keepdims):
    fname = op.name
    axis = _reduction_args(x, axis, fname)
    if x._dtype.kind == "c":
        raise DTypeError(f"{fname}: complex inputs have no ordering, got {x._dtype}")
    shape = x._data.shape
    if any(shape[a] == 0 for a in (range(len(shape)) if axis is None else axis)):
        raise ValueError(f"{fname}: zero-size reduction (shape {tuple(shape)}, axis {axis}) has no identity")
    return apply(op, (x,), {"axis": axis, "keepdims": keepdims})


def max(x, /, dim=None, keepdim=None, *, axis=None, keepdims=False) -> Tensor:
    """The maximum over `axis` (NaN propagates)."""
    if dim is not None or keepdim is not None:  # PyTorch's spelling: Tensor.max's semantics
        return check_tensor(x, "max").max(dim, keepdim, axis=axis, keepdims=keepdims)
    return _extremum(_MAX, x, axis, keepdims)


def min(x, /, dim=None, keepdim=None, *, axis=None, keepdims=False) -> Tensor:
    """The minimum over `axis` (NaN propagates)."""
    if dim is not None or keepdim is not None:  # PyTorch's spelling: Tensor.min's semantics
        return check_tensor(x, "min").min(dim, keepdim, axis=axis, keepdims=keepdims)
    return _extremum(_MIN, x, axis, keepdims)


# ----- scans ------------------------------------------------------------------------------
def _reverse_cumsum(g, axis):
    return flip(cumulative_sum(flip(g, axis=axis), axis=axis), axis=axis)


def _drop_initial(g, axis, include_initial):
    if not include_initial:
        return g
    return g[(slice(None),) * axis + (slice(1, None),)]


_CUMSUM = Op("cumulative_sum", ("x",), lambda g, axis, include_initial:
             _reverse_cumsum(_drop_initial(g, axis, include_initial), axis), grad_fn="CumsumBackward0")


def _cumprod_grad(g, x, ans, axis, include_initial):
    """Exact with zeros: before a lane's first zero, sum_{j>=k} g_j ans_j / x_k; at the first
    zero, the same sum with that zero replaced by one; after it, zero (PyTorch's rule)."""
    g = _drop_initial(g, axis, include_initial)
    ans = _drop_initial(ans, axis, include_initial)
    zero = x == 0

    # create_graph: a rule differentiable at zeros (lazy backends: always, not to read x)
    if grad_enabled() and (x._backend.lazy or bool(_any(zero))):
        return _cumprod_grad_differentiable(g, x, axis)
    zeros_so_far = cumulative_sum(astype(zero, _dtypes.int64), axis=axis)
    before = zeros_so_far == 0
    first = (zeros_so_far == 1) & zero
    safe = where(before, x, 1).astype(x._dtype)
    grad_before = _reverse_cumsum(g * _conj(ans), axis) / _conj(safe)
    with_one = cumulative_prod(where(first, 1, x).astype(x._dtype), axis=axis)
    grad_first = _reverse_cumsum(g * _conj(where(zeros_so_far >= 1, with_one, 0).astype(x._dtype)), axis)
    return where(before, grad_before, where(first, grad_first, 0))


def _cumprod_grad_differentiable(g, x, axis):
    """The same gradient, with products only (no masks on x), so it differentiates again
    where x has zeros: grad_k = conj(prod_{i<k} x_i) * sum_{j>=k} g_j conj(prod_{k<i<=j} x_i).
    O(n^2) in the scan length, as PyTorch's double-backward fallback; used only when
    recording (create_graph) and x has zeros."""
    xl = moveaxis(x, axis, -1)
    gl = moveaxis(g, axis, -1)
    idx = arange(xl._data.shape[-1], device=x.device)
    later = expand_dims(idx, axis=0) > expand_dims(idx, axis=1)  # [k, i]: i > k
    from_k = cumulative_prod(where(later, expand_dims(xl, axis=-2), 1), axis=-1)  # [k, j]
    upto_k = cumulative_prod(xl, axis=-1, include_initial=True)[..., :-1]
    terms = where(expand_dims(idx, axis=0) >= expand_dims(idx, axis=1), expand_dims(gl, axis=-2) * _conj(from_k), 0)
    return moveaxis(_conj(upto_k) * sum(terms, axis=-1), -1, axis)


_CUMPROD = Op("cumulative_prod", ("x",), _cumprod_grad, grad_fn="CumprodBackward0")


def _scan(op, x, axis, dtype, include_initial):
    fname = op.name
    check_tensor(x, fname)
    if axis is None:
        if x._data.ndim > 1:
            raise ValueError(f"{fname}: axis is required for arrays with more than one dimension "
                             f"(got shape {tuple(x._data.shape)})")
        axis = 0
    if x._data.ndim == 0:
        raise ValueError(f"{fname}: x must have at least one dimension")
    axis = normalize_axis(axis, x._data.ndim, fname)
    return apply(op, (x,), {"axis": axis, "dtype": _native(x, dtype),
                            "include_initial": bool(include_initial)})


def cumulative_sum(x, /, *, axis=None, dtype=None, include_initial=False) -> Tensor:
    """Cumulative sums along `axis` (optional for 1-D input)."""
    return _scan(_CUMSUM, x, axis, dtype, include_initial)


def cumulative_prod(x, /, *, axis=None, dtype=None, include_initial=False) -> Tensor:
    """Cumulative products along `axis` (optional for 1-D input)."""
    return _scan(_CUMPROD, x, axis, dtype, include_initial)


# The rules use other categories; importing them last keeps the import graph acyclic.
from .._dispatch import grad_enabled  # noqa: E402
from .creation import arange  # noqa: E402
from .data_type import astype  # noqa: E402
from .elementwise import _conj  # noqa: E402
from .manipulation import expand_dims, flip, moveaxis, permute_dims, reshape  # noqa: E402
from .searching import where  # noqa: E402
from .utility import any as _any  # noqa: E402

__all__ = exported(__name__)
for _helper in ("keepdims_shape", "restore_reduced", "unreduce"):
    __all__.remove(_helper)
