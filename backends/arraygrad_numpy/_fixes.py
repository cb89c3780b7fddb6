"""Where NumPy (and CuPy, which follows it) departs from the array API standard, or where a
leaner call is faster; each entry replaces the namespace function of the same name.

Written against the module `xp` so that the CuPy backend reuses them.
"""

from __future__ import annotations

import functools
import math

from ._linalg_fft_fixes import linalg_fft_overrides


def numpy_overrides(np) -> dict:
    """numpy_like_overrides, plus what only NumPy's own arrays allow."""
    _broadcast_to = np.broadcast_to
    ndarray = np.ndarray

    def broadcast_to(x, /, shape):
        # A 0-d array (a full reduction's gradient) seen with every stride 0, made by the
        # array constructor over its buffer: np.broadcast_to's Python-level checks cost ~8x
        # more. (CuPy's constructor takes a memory pointer instead, hence NumPy only.)
        if x.ndim == 0 and x.__class__ is ndarray:
            out = ndarray(shape, x.dtype, x, 0, (0,) * len(shape))
            out.flags.writeable = False  # as np.broadcast_to's views
            return out
        return _broadcast_to(x, shape)

    shared = numpy_like_overrides(np)
    shared_sigmoid = shared["sigmoid"]
    exact_floats = {np.dtype(np.float32), np.dtype(np.float64)}

    def sigmoid(x, /):
        # 1 / (1 + exp(-x)) in four in-place passes: where exp(-x) overflows to inf the
        # result is 0, PyTorch's value; NumPy's errstate silences the overflow's warning
        # (the shared version, for CuPy, clamps and masks instead: seven passes)
        if x.dtype not in exact_floats:
            return shared_sigmoid(x)
        t = np.empty_like(x)  # an array, also for 0-d x (where ufuncs return scalars)
        np.negative(x, out=t)
        with np.errstate(over="ignore"):
            np.exp(t, out=t)
        t += 1
        np.reciprocal(t, out=t)
        return t

    shared_index_add = shared["index_add"]
    as_pairs = {np.dtype(np.float32): np.dtype(np.complex64), np.dtype(np.float64): np.dtype(np.complex128)}

    def index_add(x, values, *, key):
        # Whole rows gathered by one integer array along the first axis (the gradient of
        # Embedding, take and x[rows]): NumPy's add.at over the rows' flat positions is ~3x
        # faster than over the rows themselves.
        rows = key
        if key.__class__ is tuple and (len(key) == 1 or (len(key) == 2 and key[1] is Ellipsis)):
            rows = key[0]
        if (rows.__class__ is ndarray and rows.ndim == 1 and rows.dtype.kind in "iu" and x.ndim >= 2
                and values.shape == rows.shape + x.shape[1:] and values.dtype == x.dtype):
            width = math.prod(x.shape[1:])
            out = x.copy()  # C order: its flat view is the array
            flat_out = out.reshape(-1)
            flat_values = np.ascontiguousarray(values).reshape(-1)
            pair = as_pairs.get(x.dtype)
            if pair is not None and width % 2 == 0 and width:
                # Pairs of floats as one complex number: complex addition is the two float
                # additions, and add.at does half the elements (with a flat index half as big).
                width //= 2
                flat_out, flat_values = flat_out.view(pair), flat_values.view(pair)
            rows = rows.astype(np.intp, copy=False)  # no overflow in rows * width
            rows = np.where(rows < 0, rows + x.shape[0], rows)
            flat = (rows[:, None] * width + np.arange(width)).reshape(-1)
            np.add.at(flat_out, flat, flat_values)
            return out
        return shared_index_add(x, values, key=key)

    as_strided = np.lib.stride_tricks.as_strided

    def im2col(x, /, *, window, fill):
        # The core's im2col (nn.functional: (N, C, H, W) -> (N, OH, OW, KH*KW, C)) as one
        # copy of a strided view of the padded channels-last image: its (KW, C) rows are
        # contiguous runs there, where the generic stacks KH*KW window slices (3-4x slower).
        n, c, h, w = x.shape
        oh, ow = window.out_size(h, w)
        img = np.full((n, h + window.pt + window.pb, w + window.pl + window.pr, c), fill, dtype=x.dtype)
        img[:, window.pt:window.pt + h, window.pl:window.pl + w] = x.transpose(0, 2, 3, 1)
        sn, sh, sw, sc = img.strides
        cols = as_strided(img, (n, oh, ow, window.kh, window.kw, c),
                          (sn, sh * window.sh, sw * window.sw, sh * window.dh, sw * window.dw, sc),
                          writeable=False)
        return cols.reshape(n, oh, ow, window.kh * window.kw, c)  # the copy

    def col2im(cols, /, *, window, x_shape):
        # The core's col2im (im2col's adjoint): each kernel offset's (N, OH, OW, C) block
        # added into the pixels it covers, clipped to the image, so there is no padded buffer
        # to crop and copy. The sums run in the layout the blocks come in, whole rows at a
        # time: (N, C, H, W), which needs no transpose after, for the convolutions' gradient
        # (blocks of an (N, K, C, OH, OW) array); channels-last, transposed once at the end,
        # for contiguous columns (conv_transpose2d, fold).
        n, c, h, w = x_shape
        oh, ow = cols.shape[1], cols.shape[2]
        channels_first = cols.strides[4] > cols.strides[2]
        out = np.zeros((n, c, h, w) if channels_first else (n, h, w, c), dtype=cols.dtype)
        for k in range(window.kh * window.kw):
            rows = _covered(k // window.kw * window.dh - window.pt, window.sh, oh, h)
            cols_ = _covered(k % window.kw * window.dw - window.pl, window.sw, ow, w)
            if rows is None or cols_ is None:  # this offset sees only padding
                continue
            block = cols[:, rows[0], cols_[0], k]
            if channels_first:
                out[:, :, rows[1], cols_[1]] += block.transpose(0, 3, 1, 2)
            else:
                out[:, rows[1], cols_[1]] += block
        return out if channels_first else np.ascontiguousarray(out.transpose(0, 3, 1, 2))

    shared_floor_divide = shared["floor_divide"]

    def _integer_operands(x1, x2):
        k1 = "i" if x1.__class__ is int else getattr(getattr(x1, "dtype", None), "kind", "f")
        k2 = "i" if x2.__class__ is int else getattr(getattr(x2, "dtype", None), "kind", "f")
        return k1 in "iub" and k2 in "iub"

    def _refusing_zero(fn, fname):
        # Integer division by zero has no value: NumPy's 0 (with a warning) would be a silent
        # wrong result, so it raises, as PyTorch does. NumPy flags it as it divides, so the
        # check reads no value (floats divide by zero into inf / nan, as they should).
        def divide(x1, x2, /):
            if not _integer_operands(x1, x2):
                return fn(x1, x2)
            with np.errstate(divide="raise"):
                try:
                    return fn(x1, x2)
                except FloatingPointError:
                    raise IntegerDivisionByZero(f"{fname}: integer division by zero") from None
        return divide

    def diagonal(x, /, *, offset=0):
        # NumPy's diagonal is a read-only view; PyTorch's is writable (a.diagonal().fill_(1))
        out = np.diagonal(x, offset=offset, axis1=-2, axis2=-1)
        if x.flags.writeable:
            out.flags.writeable = True
        return out

    stable_argsort = shared["argsort"]
    _vector_norm = np.linalg.vector_norm

    def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
        # the 2-norm of real x in two passes (x * x, summed; over every axis one BLAS dot, as
        # np.linalg.norm), not NumPy vector_norm's three (abs, square, sum)
        if ord != 2 or x.dtype.kind != "f" or x.dtype.itemsize < 4:
            return _vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)
        if axis is None or (isinstance(axis, tuple) and len(axis) == x.ndim):
            flat = x.reshape(-1)
            out = np.sqrt(np.asarray(flat.dot(flat)))
            return out.reshape((1,) * x.ndim) if keepdims else out
        return np.sqrt(np.add.reduce(x * x, axis=axis, keepdims=keepdims))

    def top_indices(x, /, k, axis, largest):
        # arraygrad's topk: the k entries selected in O(n) (argpartition: NaN counts as the
        # largest, as in the sort), then only they are sorted, ties by index
        n = x.shape[axis]
        if 4 * k >= n or n < 64:  # the whole axis sorted costs about the same
            idx = stable_argsort(x, axis=axis, descending=largest, stable=True)
            return idx[(slice(None),) * axis + (slice(0, k),)]
        part = np.argpartition(x, n - k if largest else k - 1, axis=axis)
        picked = np.sort(part[(slice(None),) * axis + ((slice(n - k, n) if largest else slice(0, k)),)], axis=axis)
        order = stable_argsort(np.take_along_axis(x, picked, axis=axis), axis=axis, descending=largest, stable=True)
        return np.take_along_axis(picked, order, axis=axis)

    def nll_rows_grad(target, g, shape, dtype, reduction):
        # arraygrad.nn.functional's plain nll_loss gradient: zeros, and -g's share at each
        # row's target (one scattered column, not a one-hot product)
        out = np.zeros(shape, dtype)
        share = g if reduction != "mean" else g / shape[0]
        out[np.arange(shape[0]), target] = -share
        return out

    def kth_index(x, /, kth, axis):
        # the median's pick: the index of the kth smallest in O(n), as a length-1 axis
        part = np.argpartition(x, kth, axis=axis)
        return part[(slice(None),) * axis + (slice(kth, kth + 1),)]

    return {**shared, "broadcast_to": broadcast_to, "sigmoid": sigmoid, "index_add": index_add,
            "top_indices": top_indices, "kth_index": kth_index, "linalg.vector_norm": vector_norm,
            "nll_rows_grad": nll_rows_grad,
            "im2col": im2col, "col2im": col2im, "linalg.diagonal": diagonal,
            "softmax_cross_entropy_rows": _softmax_cross_entropy_rows(np),
            "softmax_cross_entropy_rows_grad": _softmax_cross_entropy_rows_grad(np),
            "floor_divide": _refusing_zero(shared_floor_divide, "floor_divide"),
            "remainder": _refusing_zero(np.remainder, "remainder"), "fmod": _refusing_zero(np.fmod, "fmod"),
            **_scipy_special(), **_scipy_lu()}


class IntegerDivisionByZero(RuntimeError, ZeroDivisionError):
    """An integer floor division or remainder by zero: PyTorch's RuntimeError, and Python's
    ZeroDivisionError."""


def _covered(offset: int, stride: int, n_out: int, size: int):
    """(the output positions, the input pixels they land on) as slices, for one kernel offset
    along one axis: output position y covers pixel y * stride + offset (offset: the kernel
    offset less the padding); None when none of them lands inside the `size` pixels."""
    first = max(0, -(offset // stride))  # ceil(-offset / stride)
    stop = min(n_out, (size - 1 - offset) // stride + 1)
    if stop <= first:
        return None
    start = first * stride + offset
    return slice(first, stop), slice(start, start + (stop - first - 1) * stride + 1, stride)


def _scipy_lu() -> dict:
    """linalg.lu_factor by LAPACK's getrf through SciPy when it is installed (NumPy has no
    LU; the core's array-API elimination is ~10x slower at 500x500). Same packing and
    1-based int32 pivots; a zero pivot is left for the caller's info, without SciPy's
    warning. SciPy is imported at the first call."""
    import importlib.util

    if importlib.util.find_spec("scipy") is None:
        return {}

    def lu_factor(A, /):
        import warnings

        import numpy as np
        from scipy.linalg import lu_factor as getrf

        m, n = A.shape[-2:]
        lu = np.empty_like(A)
        piv = np.empty(A.shape[:-2] + (min(m, n),), np.int32)
        for i in np.ndindex(A.shape[:-2]):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "exactly singular": info says so
                lu[i], p = getrf(A[i], check_finite=False)
            piv[i] = p + 1
        return lu, piv

    return {"linalg.lu_factor": lu_factor}


def _scipy_special() -> dict:
    """erf, erfc and arraygrad.special's functions from SciPy when it is
    installed (NumPy has none; without SciPy the core's array-API implementations run,
    several times slower). SciPy is imported at the first call, not with the backend."""
    import importlib.util

    if importlib.util.find_spec("scipy") is None:
        return {}
    loaded = []

    def scipy_special():
        if not loaded:
            from scipy import special

            loaded.append(special)
        return loaded[0]

    # arraygrad.special's functions too (polygamma's n= comes as a keyword), in the inputs' dtype
    def lazy_cast(name, fix=None):
        def fn(*arrays, **params):
            import numpy as np

            out = np.asarray(getattr(scipy_special(), name)(*params.values(), *arrays),
                             np.result_type(*arrays))
            return out if fix is None else fix(np, *arrays, out)
        fn.__name__ = name
        return fn

    names = {"gammaln": "gammaln", "digamma": "psi", "polygamma": "polygamma", "erfinv": "erfinv",
             "erfcx": "erfcx", "i0": "i0", "i0e": "i0e", "i1": "i1", "i1e": "i1e", "ndtri": "ndtri",
             "log_ndtr": "log_ndtr", "ndtr": "ndtr", "gammainc": "gammainc", "gammaincc": "gammaincc"}
    out = {f"special.{k}": lazy_cast(v) for k, v in names.items()}
    # lgamma(-inf) = +inf (C's lgamma, PyTorch), where SciPy's gammaln gives -inf
    out["special.gammaln"] = lazy_cast("gammaln", lambda np, x, r: np.where(x == -np.inf, np.inf, r))
    erfinv = out["special.erfinv"]

    def polygamma_orders(n, x, /):  # integer array of orders n (SciPy's form), in x's dtype
        import numpy as np

        return np.asarray(scipy_special().polygamma(n, x), x.dtype)
    out["special.polygamma_orders"] = polygamma_orders

    def erfinv_in_domain(x, /):  # SciPy reports each value outside [-1, 1]: ~6 us apiece
        import numpy as np

        inside = np.abs(x) <= 1
        return np.where(inside, erfinv(np.where(inside, x, 0)), np.nan)
    out["special.erfinv"] = erfinv_in_domain

    # torch.special's Bessel functions where SciPy's agree with PyTorch's to ~1e-15, special
    # values included (bessel_j0/j1/y0/y1 stay generic: PyTorch's own rational fits, off from
    # SciPy's by up to 7e-5 relative near x = 5, are what its results are)
    bessel = {"modified_bessel_i0": "i0", "modified_bessel_i1": "i1", "modified_bessel_k0": "k0",
              "modified_bessel_k1": "k1", "scaled_modified_bessel_k0": "k0e",
              "scaled_modified_bessel_k1": "k1e", "zeta": "zeta"}
    out.update({f"special.{k}": lazy_cast(v) for k, v in bessel.items()})
    # PyTorch's nan at +-inf (SciPy's i0(+-inf) = inf, i1(+-inf) = +-inf)
    for k in ("modified_bessel_i0", "modified_bessel_i1"):
        out[f"special.{k}"] = lazy_cast(bessel[k], lambda np, x, r: np.where(np.isinf(x), np.nan, r))
    # PyTorch's nan at q = +inf, x != 1 (SciPy's 0)
    out["special.zeta"] = lazy_cast(
        "zeta", lambda np, x, q, r: np.where((np.asarray(q) == np.inf) & (np.asarray(x) != 1), np.nan, r))

    def spherical_bessel_j0(x, /):
        import numpy as np

        return np.asarray(scipy_special().spherical_jn(0, x), x.dtype)
    out["special.spherical_bessel_j0"] = spherical_bessel_j0
    # in the input's dtype: SciPy computes float16 in float64 (its float16 result was float64)
    return {"erf": lazy_cast("erf"), "erfc": lazy_cast("erfc"), **out}


# Scans and half-precision means accumulate wider, as PyTorch's CPU kernels do: a float32
# running sum of 1e5 tenths drifts to 9998.6, and float16 cannot hold a count past 65504.
_WIDER = {"float16": "float64", "float32": "float64", "complex64": "complex128"}


def wide_scans(xp) -> dict:
    """cumulative_sum / cumulative_prod of `xp` accumulating float16/32 and complex64 in
    double width (NumPy dtypes: NumPy, CuPy and Dask share them)."""
    import numpy as np

    wider = {np.dtype(k): np.dtype(v) for k, v in _WIDER.items()}

    def wide_scan(scan):
        def wide(x, /, *, axis=None, dtype=None, include_initial=False):
            target = x.dtype if dtype is None else np.dtype(dtype)
            acc = wider.get(target)
            if acc is None:
                return scan(x, axis=axis, dtype=dtype, include_initial=include_initial)
            return scan(x, axis=axis, dtype=acc, include_initial=include_initial).astype(target)
        return wide

    return {name: wide_scan(getattr(xp, name)) for name in ("cumulative_sum", "cumulative_prod")
            if hasattr(xp, name)}


def standard_floor_divide(xp, *, lazy=False):
    """floor_divide with the standard's infinities: an infinite numerator gives +-inf, a
    finite one over an infinite denominator +-0 (NumPy gives nan and -1 there). Eager
    arrays skip the fix when no infinity is present; lazy ones (Dask) select without
    reading a value."""

    def floor_divide(x1, x2, /):
        out = xp.floor_divide(x1, x2)
        if getattr(out, "dtype", None) is None or out.dtype.kind != "f":
            return out
        a1, a2 = xp.asarray(x1), xp.asarray(x2)
        inf1, inf2 = xp.isinf(a1), xp.isinf(a2)
        if not lazy and not (inf1.any() or inf2.any()):
            return out
        q = xp.divide(x1, x2)  # the operands as given: a Python scalar stays weak (float32 kept)
        if q.dtype != out.dtype:
            q = q.astype(out.dtype)
        fix = (inf1 & xp.isfinite(a2)) | (xp.isfinite(a1) & inf2)
        return xp.where(fix, q if out.ndim else q[()], out)

    return floor_divide


def _softmax_cross_entropy_rows(np):
    """The plain cross-entropy's forward (arraygrad.nn.functional's shared version: the same
    formula) with its temporaries reused in place: three arrays fewer, 3 of its 16 us on a
    (64, 10) batch, where a training step's loss is all per-call cost."""

    def softmax_cross_entropy_rows(x, target, reduction):
        n = x.shape[0]
        shifted = x - x.max(axis=1, keepdims=True)
        picked = shifted[np.arange(n), target]  # read before the exponentials overwrite it
        e = np.exp(shifted, out=shifted)
        total = e.sum(axis=1, keepdims=True)
        loss = np.log(total[:, 0])
        loss -= picked
        if reduction != "none":
            loss = np.add.reduce(loss)
            if reduction == "mean":
                loss = loss / n
        e /= total
        return loss, e

    return softmax_cross_entropy_rows


def _softmax_cross_entropy_rows_grad(np):
    """(softmax - onehot(target)) * scale, as the shared version, by subtracting 1 at each
    row's target in place instead of building the one-hot rows."""

    def softmax_cross_entropy_rows_grad(probs, target, g, reduction):
        out = probs.copy()  # the saved probabilities stay: retain_graph may read them again
        out[np.arange(out.shape[0]), target] -= 1
        out *= g[:, None] if reduction == "none" else (g / probs.shape[0] if reduction == "mean" else g)
        return out

    return softmax_cross_entropy_rows_grad


def numpy_like_overrides(xp) -> dict:
    """name -> replacement for NumPy-like namespace `xp`."""
    int64, uint64 = xp.dtype(xp.int64), xp.dtype(xp.uint64)
    if xp.__name__ == "numpy":
        # The ufuncs' reduce skips np.sum's (np.max's ...) Python-level dispatch; out=...
        # makes a full reduction return a 0-d array, not a NumPy scalar.
        add_reduce = xp.add.reduce
        reduce_sum = functools.partial(add_reduce, out=...)
        reduce_prod = functools.partial(xp.multiply.reduce, out=...)
        reduce_max = functools.partial(xp.maximum.reduce, out=...)
        reduce_min = functools.partial(xp.minimum.reduce, out=...)
    else:  # CuPy: reductions return arrays already; its ufuncs' reduce takes no out=...
        add_reduce = reduce_sum = xp.sum
        reduce_prod, reduce_max, reduce_min = xp.prod, xp.max, xp.min

    # Sums and products of small integers (and bools) accumulate in the default 64-bit
    # integer dtype, as the standard asks; floating dtypes keep theirs (None).
    accumulate_as = {xp.dtype(t): int64 for t in (xp.bool_, xp.int8, xp.int16, xp.int32)}
    accumulate_as.update({xp.dtype(t): uint64 for t in (xp.uint8, xp.uint16, xp.uint32)})

    def sum(x, /, *, axis=None, dtype=None, keepdims=False):
        if dtype is None:
            dtype = accumulate_as.get(x.dtype)
        return reduce_sum(x, axis=axis, dtype=dtype, keepdims=keepdims)

    def prod(x, /, *, axis=None, dtype=None, keepdims=False):
        if dtype is None:
            dtype = accumulate_as.get(x.dtype)
        return reduce_prod(x, axis=axis, dtype=dtype, keepdims=keepdims)

    float32 = xp.dtype(xp.float32)

    def mean(x, /, *, axis=None, keepdims=False):
        n = x.size if axis is None else math.prod(x.shape[a] for a in axis)
        if not n:
            return xp.full_like(add_reduce(x, axis=axis, keepdims=keepdims), math.nan, dtype=x.dtype)
        if x.dtype.itemsize == 2 and x.dtype.kind == "f":
            return xp.divide(add_reduce(x, axis=axis, dtype=float32, keepdims=keepdims), n).astype(x.dtype)
        return xp.divide(add_reduce(x, axis=axis, keepdims=keepdims), n, dtype=x.dtype)

    scans = wide_scans(xp)

    def max(x, /, *, axis=None, keepdims=False):
        return reduce_max(x, axis=axis, keepdims=keepdims)

    def min(x, /, *, axis=None, keepdims=False):
        return reduce_min(x, axis=axis, keepdims=keepdims)

    def var(x, /, *, axis=None, correction=0.0, keepdims=False):
        return xp.var(x, axis=axis, ddof=correction, keepdims=keepdims)

    def std(x, /, *, axis=None, correction=0.0, keepdims=False):
        return xp.std(x, axis=axis, ddof=correction, keepdims=keepdims)

    def argsort(x, /, *, axis=-1, descending=False, stable=True):
        kind = "stable" if stable else None
        if not descending:
            return xp.argsort(x, axis=axis, kind=kind)
        # Descending and still stable: sort the reversed array, then map indices back.
        n = x.shape[axis]
        rev = xp.argsort(xp.flip(x, axis=axis), axis=axis, kind=kind)
        return xp.flip(n - 1 - rev, axis=axis)

    def sort(x, /, *, axis=-1, descending=False, stable=True):
        kind = "stable" if stable else None
        out = xp.sort(x, axis=axis, kind=kind)
        return xp.flip(out, axis=axis) if descending else out

    floor_divide = standard_floor_divide(xp)

    _matmul = xp.matmul

    def matmul(x1, x2, /):
        # ndarray.dot is matmul for operands of rank 1 or 2 and skips the ufunc machinery
        # (270 ns instead of 640 ns for 4x4 float32); it would scale by a 0-d operand, which
        # matmul must refuse, so those go to np.matmul (it raises). But dot zeroes its
        # output before BLAS overwrites it (9 us of 170 for a 784x256 float32 result), so
        # larger operands go to matmul too: the product of the sizes bounds the result's
        # size, and is the cheapest test (30 ns) that keeps small products on dot.
        if 0 < x1.ndim <= 2 and 0 < x2.ndim <= 2 and x1.size * x2.size <= 65536:
            return x1.dot(x2)
        if x1.ndim > 2 and x2.ndim == 2 and x1.shape[-1] == x2.shape[0]:
            # A stack of matrices times one matrix (linear layers on (N, T, C) input) as one
            # product: one large GEMM instead of one small GEMM per matrix (2-4x faster; the
            # rows of a non-contiguous stack are copied once, an O(rows * k) cost against the
            # product's O(rows * k * m)).
            rows = math.prod(x1.shape[:-1])
            return _matmul(x1.reshape(rows, x1.shape[-1]), x2).reshape(x1.shape[:-1] + x2.shape[1:])
        return _matmul(x1, x2)

    _expm1 = xp.expm1

    def expm1(x, /):
        out = _expm1(x)
        if x.dtype.kind != "c":
            return out
        # NumPy's complex expm1 is expm1(a)cos(b) - 2sin²(b/2) + i·exp(a)sin(b): a real part
        # of -0 for -0 + 0j, an imaginary part of NaN (inf·0) for b = 0 next to a = ±inf, and
        # NaN + NaN j for a = ±inf with b not finite; the standard asks for +0, b, and
        # -1 + 0j (a = -inf) or inf + NaN j (a = +inf) there.
        out = xp.asarray(out)  # 0-d inputs come back as NumPy scalars
        out.real += 0.0
        a, b = x.real, x.imag
        xp.copyto(out.imag, b, where=b == 0)
        inf_a = xp.isinf(a)
        if inf_a.any():
            wild = inf_a & ~xp.isfinite(b)
            out[wild & (a < 0)] = -1.0
            out[wild & (a > 0)] = complex(math.inf, math.nan)
        return out

    _reciprocal = xp.reciprocal

    def reciprocal(x, /):
        # the standard's complex special cases are those of 1 / x: NumPy's reciprocal gives
        # nan + nan j at 0, its division (and PyTorch) inf + nan j
        return _reciprocal(x) if x.dtype.kind != "c" else xp.divide(1, x)

    _tanh = xp.tanh

    def tanh(x, /):
        out = _tanh(x)
        if x.dtype.kind != "c":
            return out
        # tanh(±inf + bj) for finite b: NumPy (C99) gives ±1 + 0·sin(2b)j, whose imaginary
        # sign follows sin(2b); the standard asks for ±1 + 0j with the sign of b.
        a, b = x.real, x.imag
        fix = xp.isinf(a) & xp.isfinite(b)
        if not fix.any():
            return out
        out = xp.asarray(out)  # 0-d inputs come back as NumPy scalars
        xp.copyto(out.imag, xp.copysign(xp.zeros_like(b), b), where=fix)
        return out

    def index_add(x, values, *, key):
        out = x.copy()
        xp.add.at(out, key, values)
        return out

    def astype(x, dtype, /, *, copy=True, device=None):
        if 0 in x.strides and x.size > 1:
            # a broadcast view: its copy C-ordered (order K keeps the zero strides' order, which
            # for an expanded row is column-major; PyTorch's copies of expanded tensors are C)
            return x.astype(dtype, order="C")
        return x.astype(dtype, copy=copy)

    def clip(x, /, min=None, max=None):
        if min is None and max is None:
            return x.copy()
        return xp.clip(x, min, max)

    def reshape(x, /, shape, *, copy=None):
        # the method: np.reshape is a Python wrapper around it
        return x.reshape(shape) if copy is None else x.reshape(shape, copy=copy)

    def permute_dims(x, /, axes):
        return x.transpose(axes)

    def matrix_transpose(x, /):
        return x.swapaxes(-1, -2)  # the method: np.swapaxes is a Python wrapper around it

    def real(x, /):
        return xp.real(x).copy() if x.dtype.kind == "c" else x.copy()

    def unique_values(x, /):
        # NumPy >= 2.3 no longer sorts here (the standard leaves the order open); arraygrad
        # sorts, as NumPy's other unique_* functions, np.unique and torch.unique do
        return xp.sort(xp.unique_values(x))

    def imag(x, /):
        return xp.imag(x).copy() if x.dtype.kind == "c" else xp.zeros_like(x)

    np_where = xp.where
    ndarray = xp.ndarray
    same_width_int = {1: xp.int8, 2: xp.int16, 4: xp.int32, 8: xp.int64}

    def where(condition, x1, x2, /):
        # np.where branches on every element: on unpredictable masks (gradient masks are) it
        # is ~5x slower than this bitwise select, which moves the very same bits.
        a1, a2 = x1.__class__ is ndarray, x2.__class__ is ndarray
        dt = x1.dtype if a1 else (x2.dtype if a2 else None)
        if dt is None or condition.size < 1024 or (a1 and a2 and x1.dtype != x2.dtype):
            return np_where(condition, x1, x2)
        ity = same_width_int.get(dt.itemsize)
        if ity is None or dt.kind not in "biufc":
            return np_where(condition, x1, x2)
        mask = condition.astype(ity)
        xp.negative(mask, out=mask)  # all bits set where the condition holds
        if a1 and not a2 and x2 == 0 and (x2.__class__ is not float or math.copysign(1.0, x2) > 0):
            # where(c, x1, 0), the shape of every masked gradient: one AND
            out = xp.bitwise_and(x1.view(ity), mask, out=mask if mask.shape == x1.shape else None)
            return out.view(dt)
        v1 = (x1 if a1 else xp.asarray(x1, dtype=dt)).view(ity)
        v2 = (x2 if a2 else xp.asarray(x2, dtype=dt)).view(ity)
        out = xp.bitwise_and(xp.bitwise_xor(v1, v2), mask)
        xp.bitwise_xor(out, v2, out=out)
        return out.view(dt)

    _pow, _square = getattr(xp, "pow", None) or xp.power, xp.square  # CuPy < 14 has no pow

    def pow(x1, x2, /):
        # x ** 2, the common case, as one multiply (np.power computes a general power: ~5x
        # slower; the `**` operator takes the same shortcut)
        if x2.__class__ is int or x2.__class__ is float:
            if x2 == 2:
                return _square(x1)
        elif getattr(x2, "dtype", None) is not None and x2.dtype.kind == "i" and (
                x1.__class__ is int or getattr(x1, "dtype", None) is not None and x1.dtype.kind in "iu"):
            # NumPy refuses negative integer exponents in an array; PyTorch's integer rule (and
            # the exact value): 1 ** -n = 1, (-1) ** -n = +-1, anything else ** -n truncates to 0
            negative = x2 < 0
            whole = _pow(x1, xp.where(negative, 0, x2))
            signed = xp.where(x2 % 2 == 0, 1, x1)  # (-1) ** -n = (-1) ** n
            return xp.where(negative, xp.where((x1 == 1) | (x1 == -1), signed, 0), whole).astype(whole.dtype)
        return _pow(x1, x2)

    # Below -cap, exp(-x) would overflow (and warn); sigmoid is subnormal there (PyTorch: 0).
    exp_cap = {xp.dtype(t): math.log(xp.finfo(t).max) - 0.01 for t in (xp.float32, xp.float64)}
    float16 = xp.dtype(xp.float16)

    def sigmoid(x, /):
        # PyTorch's 1 / (1 + exp(-x)), exact to a few ulp everywhere, in a few in-place passes
        # (SciPy's expit is ~3x slower per element on float32; the generic takes eight passes)
        cap = exp_cap.get(x.dtype)
        if cap is None:
            if x.dtype == float16:  # exp overflows from 11 on: computed in float32, as PyTorch
                return sigmoid(x.astype(xp.float32)).astype(float16)
            return 1 / (1 + xp.exp(-x))  # complex
        t = xp.empty_like(x)  # an array, also for 0-d x (where ufuncs return scalars)
        xp.negative(x, out=t)
        over = t > cap  # exp would overflow: PyTorch's inf there gives exactly 0
        xp.minimum(t, cap, out=t)
        xp.exp(t, out=t)
        t += 1
        xp.reciprocal(t, out=t)
        xp.putmask(t, over, 0)
        return t

    def expand_dims(x, /, axis=0):
        # np.expand_dims is a Python wrapper; indexing with None is the same view, faster
        if axis.__class__ is int:
            return x[(slice(None),) * (axis if axis >= 0 else x.ndim + 1 + axis) + (None,)]
        return xp.expand_dims(x, axis)

    return {
        "where": where, "expand_dims": expand_dims, "sigmoid": sigmoid,
        "sum": sum, "prod": prod, "mean": mean, "max": max, "min": min, "var": var, "std": std,
        "argsort": argsort, "sort": sort, "floor_divide": floor_divide, "index_add": index_add,
        "astype": astype, "clip": clip, "reshape": reshape, "permute_dims": permute_dims,
        "matrix_transpose": matrix_transpose, "real": real, "imag": imag, "matmul": matmul,
        "expm1": expm1, "tanh": tanh, "reciprocal": reciprocal, "unique_values": unique_values, "pow": pow,
        **scans, **linalg_fft_overrides(xp), **({} if xp.__name__ == "numpy" else _cupy_gaps(xp)),
    }


def _cupy_gaps(xp) -> dict:
    """What CuPy lacks of the standard, or spells otherwise (seen on CuPy 14 / CUDA 13)."""
    import numpy

    def full(shape, fill_value, *, dtype=None):
        # CuPy fills a value equal to 0 with a memset: -0.0 would become +0.0 (the standard's
        # special cases start from -0); such a fill is copied from a host array instead
        if isinstance(fill_value, (float, complex)) and fill_value == 0 and (
                math.copysign(1.0, complex(fill_value).real) < 0
                or math.copysign(1.0, complex(fill_value).imag) < 0):
            host = numpy.full(shape, fill_value, dtype=dtype)  # 0-d: one element, reshaped
            return xp.asarray(host.reshape(-1)).reshape(host.shape)
        return xp.full(shape, fill_value, dtype=dtype)

    def count_nonzero(x, /, *, axis=None, keepdims=False):  # no keepdims
        out = xp.count_nonzero(x, axis=axis)
        if not keepdims:
            return out
        axes = range(x.ndim) if axis is None else axis if isinstance(axis, tuple) else (axis,)
        return xp.reshape(out, tuple(1 if i in {a % x.ndim for a in axes} else n
                                     for i, n in enumerate(x.shape)))

    def linspace(start, stop, /, num, *, dtype=None, endpoint=True):  # real endpoints only
        if not (isinstance(start, complex) or isinstance(stop, complex)):
            return xp.linspace(start, stop, num, dtype=dtype, endpoint=endpoint)
        start, stop = complex(start), complex(stop)
        real = xp.linspace(start.real, stop.real, num, endpoint=endpoint)
        imag = xp.linspace(start.imag, stop.imag, num, endpoint=endpoint)
        return (real + 1j * imag).astype(dtype, copy=False)

    def tensordot(x1, x2, /, *, axes=2):  # no axes (an outer product) refuses 0-d operands
        if (axes == 0) if isinstance(axes, int) else not len(axes[0]):
            return xp.reshape(x1, x1.shape + (1,) * x2.ndim) * x2
        return xp.tensordot(x1, x2, axes=axes)

    def cholesky(x, /, *, upper=False):  # lower factors only
        lower = xp.linalg.cholesky(x)
        return xp.conj(xp.swapaxes(lower, -1, -2)) if upper else lower

    def diagonal(x, /, *, offset=0):
        return xp.diagonal(x, offset=offset, axis1=-2, axis2=-1)

    def svdvals(x, /):
        return xp.linalg.svd(x, compute_uv=False)

    return {"full": full, "count_nonzero": count_nonzero, "linspace": linspace, "tensordot": tensordot,
            "linalg.cholesky": cholesky, "linalg.diagonal": diagonal, "linalg.svdvals": svdvals}
