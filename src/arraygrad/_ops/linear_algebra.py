"""Linear algebra functions of the main namespace: matmul, matrix_transpose, tensordot, vecdot."""

from __future__ import annotations

import operator

from .. import _dtypes
from .._dispatch import (Op, ShapeError, Tensor, apply, binary, check_tensor, grad_enabled, raise_device_mismatch,
                         set_view)
from . import either, exported, normalize_axis


def _matmul_x1_grad(xp, g, x2, x1_shape):
    """d(x1 @ x2)/dx1 applied to g. A 1-D x1 acts as a row, a 1-D x2 as a column; the
    engine sums broadcast batch axes away."""
    x2c = _cj(xp, x2)
    if x2.ndim == 1:  # g has no column axis
        return g[..., None] * x2c if len(x1_shape) > 1 else g * x2c
    if len(x1_shape) == 1:  # g has no row axis
        return xp.matmul(g[..., None, :], xp.matrix_transpose(x2c))[..., 0, :]
    return xp.matmul(g, xp.matrix_transpose(x2c))


def _matmul_x2_grad(xp, g, x1, x2_shape):
    """d(x1 @ x2)/dx2 applied to g (see _matmul_x1_grad)."""
    x1c = _cj(xp, x1)
    if x1.ndim == 1:  # g has no row axis
        return g * x1c if len(x2_shape) == 1 else x1c[:, None] * g[..., None, :]
    if len(x2_shape) == 1:  # g has no column axis
        return xp.matmul(xp.matrix_transpose(x1c), g[..., None])[..., 0]
    return xp.matmul(xp.matrix_transpose(x1c), g)


# PyTorch names the node after the product its matmul dispatches to, by the operands' ranks
_MATMUL = Op("matmul", ("x1", "x2"), {"x1": _matmul_x1_grad, "x2": _matmul_x2_grad}, dtypes="numeric",
             broadcasts=True, grad_fn="MmBackward0", grad_fn_by_operands={
                 (1, 1): "DotBackward0", (2, 1): "MvBackward0", (1, 2): "SqueezeBackward4",
                 (1, 3): "UnsafeViewBackward0", (2, 3): "CloneBackward0", (3, 1): "UnsafeViewBackward0",
                 (3, 2): "UnsafeViewBackward0", (3, 3): "UnsafeViewBackward0"})


def matmul(x1, x2, /, *, out=None) -> Tensor:
    """Matrix product (batched, with broadcasting; 1-D operands as vectors). `out=` is
    PyTorch's (the result written into that tensor)."""
    if out is not None:
        from .._torch_api import write_out

        return write_out(out, matmul(x1, x2), "matmul", (x1, x2))
    if x1.__class__ is Tensor and x2.__class__ is Tensor and x1._dtype.kind != "b":
        try:
            return binary(_MATMUL, x1, x2)
        except ValueError:
            pass  # a shape mismatch: explained below
    check_tensor(x1, "matmul", "x1")
    check_tensor(x2, "matmul", "x2")
    if x1._backend is not x2._backend:
        raise_device_mismatch("matmul", x1, x2)
    s1, s2 = x1._data.shape, x2._data.shape
    if len(s1) == 0 or len(s2) == 0:
        raise ShapeError("matmul: operands must have at least one dimension (got a 0-d array)")
    k1 = s1[-1]
    k2 = s2[-2] if len(s2) > 1 else s2[0]
    if k1 != k2:
        raise ShapeError(f"matmul: contracted dimensions differ: shapes {tuple(s1)} and {tuple(s2)} "
                         f"({k1} != {k2})")
    if x1._dtype is not x2._dtype:
        d = _dtypes.promote(x1._dtype, x2._dtype)
        x1, x2 = x1.astype(d), x2.astype(d)
    if x1._dtype.kind == "b":
        raise TypeError("matmul: boolean operands are not supported; cast them to a numeric dtype")
    return apply(_MATMUL, (x1, x2))


_MATRIX_TRANSPOSE = Op("matrix_transpose", ("x",), lambda xp, g: xp.matrix_transpose(g), grad_fn="TransposeBackward0")


def matrix_transpose(x, /) -> Tensor:
    """Transpose of each matrix in `x` (the last two axes swapped; a view)."""
    check_tensor(x, "matrix_transpose")
    if x._data.ndim < 2:
        raise ValueError(f"matrix_transpose: x must have at least 2 dimensions, got shape {tuple(x._data.shape)}")
    out = apply(_MATRIX_TRANSPOSE, (x,))
    if x._backend.is_view(out._data):
        set_view(out, x, _MATRIX_TRANSPOSE, {})
    return out


def _needs_graph(*xs) -> bool:
    return grad_enabled() and any(isinstance(x, Tensor) and x._requires_grad for x in xs)


def _tensordot_axes(axes, n1, n2):
    if isinstance(axes, int) or hasattr(axes, "__index__"):
        k = operator.index(axes)
        if k < 0:
            raise ValueError(f"tensordot: axes must be non-negative, got {k}")
        if k > min(n1, n2):
            raise ValueError(f"tensordot: axes={k} exceeds the operands' ranks ({n1}, {n2})")
        return tuple(range(n1 - k, n1)), tuple(range(k))
    try:
        a1, a2 = axes
    except (TypeError, ValueError):
        raise TypeError(f"tensordot: axes must be an int or a pair of sequences, got {axes!r}") from None
    a1 = tuple(normalize_axis(a, n1, "tensordot", "axes") for a in a1)
    a2 = tuple(normalize_axis(a, n2, "tensordot", "axes") for a in a2)
    if len(a1) != len(a2):
        raise ValueError(f"tensordot: axes {axes} must pair the same number of axes")
    return a1, a2


def tensordot(x1, x2, /, dims=None, *, axes=2) -> Tensor:
    """Sum products over the paired `axes` of x1 and x2 (PyTorch's `dims`, positional or
    keyword, names them too)."""
    axes = either("tensordot", "axes", axes, 2, "dims", dims.tolist() if isinstance(dims, Tensor) else dims)
    check_tensor(x1, "tensordot", "x1")
    check_tensor(x2, "tensordot", "x2")
    if x1._backend is not x2._backend:
        raise_device_mismatch("tensordot", x1, x2)
    a1, a2 = _tensordot_axes(axes, x1._data.ndim, x2._data.ndim)
    s1, s2 = x1._data.shape, x2._data.shape
    for i, j in zip(a1, a2):
        if s1[i] != s2[j]:
            raise ShapeError(f"tensordot: axis {i} of x1 (size {s1[i]}) and axis {j} of x2 "
                             f"(size {s2[j]}) differ")
    if x1._dtype is not x2._dtype:
        d = _dtypes.promote(x1._dtype, x2._dtype)
        x1, x2 = x1.astype(d), x2.astype(d)
    if not _needs_graph(x1, x2):

        b = x1._backend
        return wrap(b.fn["tensordot"](x1._data, x2._data, axes=(list(a1), list(a2))), b)
    # Differentiable composite: move the contracted axes together and use matmul.

    free1 = [a for a in range(len(s1)) if a not in a1]
    free2 = [a for a in range(len(s2)) if a not in a2]
    k = 1
    for a in a1:
        k *= s1[a]
    m = 1
    for a in free1:
        m *= s1[a]
    n = 1
    for a in free2:
        n *= s2[a]
    left = reshape(permute_dims(x1, tuple(free1) + a1), (m, k))
    right = reshape(permute_dims(x2, a2 + tuple(free2)), (k, n))
    return reshape(matmul(left, right), tuple(s1[a] for a in free1) + tuple(s2[a] for a in free2))


def vecdot(x1, x2, /, *, axis=-1, dim=None) -> Tensor:
    """Dot products of vectors along `axis` (PyTorch's name: dim): sum(conj(x1) * x2)
    (broadcasting the rest)."""
    axis = either("vecdot", "axis", axis, -1, "dim", dim)
    check_tensor(x1, "vecdot", "x1")
    check_tensor(x2, "vecdot", "x2")
    if x1._backend is not x2._backend:
        raise_device_mismatch("vecdot", x1, x2)

    n1, n2 = x1._data.ndim, x2._data.ndim
    if n1 == 0 or n2 == 0:
        raise ValueError("vecdot: operands must have at least one dimension")
    try:
        shape = broadcast_shapes(x1._data.shape, x2._data.shape)
    except ValueError as exc:
        raise ValueError(f"vecdot: {exc}") from None
    ax = normalize_axis(axis, len(shape), "vecdot")
    if axis >= 0 and (axis >= n1 or axis >= n2):
        raise ValueError(f"vecdot: axis {axis} must be valid for both operands (ranks {n1}, {n2})")
    r = ax - len(shape)
    if x1._data.shape[r] != x2._data.shape[r]:
        raise ShapeError(f"vecdot: the vectors along axis {axis} differ in size "
                         f"({x1._data.shape[r]} vs {x2._data.shape[r]})")
    if x1._dtype is not x2._dtype:
        d = _dtypes.promote(x1._dtype, x2._dtype)
        x1, x2 = x1.astype(d), x2.astype(d)
    if x1._dtype.kind == "b":
        raise TypeError("vecdot: boolean operands are not supported; cast them to a numeric dtype")

    # In the operands' dtype: sum() alone would widen small integers (int8 -> int64).
    return _sum(_conj(x1) * x2, axis=r, dtype=x1._dtype)


# The rules and composites use other categories; importing them last keeps the graph acyclic.
from .._dispatch import wrap  # noqa: E402
from .elementwise import _cj, _conj  # noqa: E402
from .manipulation import broadcast_shapes, permute_dims, reshape  # noqa: E402
from .statistical import sum as _sum  # noqa: E402

__all__ = exported(__name__)
