"""Where CuPy's kernels depart from the standard and from NumPy (found on an NVIDIA H200,
CuPy 14.2, CUDA 13). Written against the module `cp` so that the CPU test suite checks them
with NumPy standing in for CuPy (tests/test_cupy_fixes.py).
"""

from __future__ import annotations

import math

__all__ = ["cupy_overrides", "small_extrema"]

_INV_LN2 = 1.0 / math.log(2.0)


def cupy_overrides(cp, shared=None) -> dict:
    """name -> replacement, for CuPy-like namespace `cp` (`shared`: the NumPy plugin's
    numpy_like_overrides for it, which these take precedence over)."""
    int32, float32 = cp.dtype(cp.int32), cp.dtype(cp.float32)
    # float32 bit patterns, as int32: the smallest subnormals of each sign and a quiet NaN
    tiny_pos, tiny_neg, quiet_nan = 1, -(2**31) + 1, 0x7FC00000

    def remainder(x1, x2, /):
        # CuPy computes x1 - floor(x1 / x2) * x2, which overflows with the quotient
        # (1368 % 4e-36 gave -inf in float32) and loses x % inf. fmod is exact; a nonzero
        # result then moves to x2's sign and a zero takes x2's sign, as NumPy's npy_divmod.
        if cp.result_type(x1, x2).kind != "f":
            return cp.remainder(x1, x2)
        r = cp.fmod(x1, x2)
        moved = cp.where((r != 0) & ((r < 0) != (x2 < 0)), r + x2, r)
        return cp.where(moved == 0, cp.copysign(cp.zeros_like(moved), x2), moved)

    def log2(x, /):
        # CuPy's complex log2 divides log(x) by a complex log(2): log2(0j) = -inf+nanj.
        # Scaling the real and imaginary parts apart keeps log's special cases.
        if x.dtype.kind != "c":
            return cp.log2(x)
        r = cp.log(x)
        out = cp.empty_like(r)
        out.real[...] = r.real * _INV_LN2
        out.imag[...] = r.imag * _INV_LN2
        return out

    def nextafter(x1, x2, /):
        # CUDA's float32 nextafterf flushes subnormals: nextafter(0, 1) gave the smallest
        # normal (1.2e-38), not 1e-45. float32 steps are taken on the bits instead.
        if cp.result_type(x1, x2) != float32:
            return cp.nextafter(x1, x2)
        x1, x2 = cp.broadcast_arrays(cp.asarray(x1, dtype=float32), cp.asarray(x2, dtype=float32))
        x1, x2 = x1.copy(), x2.copy()  # C order (the bits are read as int32), 0-d kept
        bits = x1.view(int32)
        # sign-magnitude bits: moving away from zero adds one, toward it subtracts one
        stepped = cp.where((x2 > x1) == (x1 > 0), bits + 1, bits - 1)
        stepped = cp.where(x1 == 0, cp.where(x2 > 0, tiny_pos, tiny_neg).astype(int32), stepped)
        stepped = cp.where(x1 == x2, x2.view(int32), stepped)
        stepped = cp.where(cp.isnan(x1) | cp.isnan(x2), int32.type(quiet_nan), stepped)
        return stepped.astype(int32, copy=False).view(float32)

    def solve(x1, x2, /):
        # CuPy's solve wants equal stacks ((2, 3, 3) with (3, 1) raises); the standard
        # broadcasts them, as NumPy does. A 1-D x2 is one vector for every matrix either way.
        if x2.ndim > 1 and x1.shape[:-2] != x2.shape[:-2]:
            stack = _broadcast_shapes(x1.shape[:-2], x2.shape[:-2])
            x1 = cp.ascontiguousarray(cp.broadcast_to(x1, stack + x1.shape[-2:]))
            x2 = cp.ascontiguousarray(cp.broadcast_to(x2, stack + x2.shape[-2:]))
        return cp.linalg.solve(x1, x2)

    fixes = {"remainder": remainder, "log2": log2, "nextafter": nextafter, "linalg.solve": solve}
    if hasattr(cp, "ElementwiseKernel"):  # CuPy itself (the CPU tests stand NumPy in)
        fixes.update(_one_kernel_overrides(cp, shared))
    return fixes


def _broadcast_shapes(a: tuple, b: tuple) -> tuple:
    """NumPy's broadcast of two shapes (the caller's shapes are known to broadcast: the
    core checked them)."""
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    return tuple(y if x == 1 else x for x, y in zip(a, b))


def _one_kernel_overrides(cp, shared) -> dict:
    """Where the NumPy plugin's shared versions (written for NumPy's CPU loops) launch several
    kernels and one does: each launch costs the CPU several microseconds of CuPy's Python,
    which bounds small training steps."""
    exact = {cp.dtype(cp.float32), cp.dtype(cp.float64)}
    # PyTorch's 1 / (1 + exp(-x)); exp's overflow to inf gives exactly 0, as there (the
    # shared version clamps and masks for NumPy's sake: seven launches)
    sigmoid_kernel = cp.ElementwiseKernel("T x", "T y", "y = T(1) / (T(1) + exp(-x))", "arraygrad_sigmoid")
    other_sigmoid = shared["sigmoid"]

    def sigmoid(x, /):
        return sigmoid_kernel(x) if x.dtype in exact else other_sigmoid(x)

    # The shared `where` selects with bitwise operations on large arrays (NumPy's branchy
    # loop mispredicts on gradient masks); on a GPU that is four launches for one.
    return {"sigmoid": sigmoid, "where": cp.where,
            "softmax_cross_entropy_rows": _softmax_cross_entropy_rows(cp, exact),
            "softmax_cross_entropy_rows_grad": _softmax_cross_entropy_rows_grad(cp, exact)}


# One warp per row of the logits: its max, the sum of exponentials, the softmax written out
# and the row's loss log(sum) - (x[target] - max), each reduction by shuffles (every lane
# ends with the result). fmax skips NaN, but a NaN logit still makes the row's sum, its
# softmax and its loss NaN, as the unfused formula does.
_CE_ROWS_SOURCE = r"""
extern "C" __global__ void arraygrad_ce_rows_NAME(const SCALAR* x, const long long* target, SCALAR* probs,
                                                  SCALAR* loss, long long n_rows, int n_cls) {
    long long row = (long long)blockIdx.x * blockDim.y + threadIdx.y;
    if (row >= n_rows) return;  // whole warps leave: the shuffles below keep a full mask
    const SCALAR* xr = x + row * n_cls;
    SCALAR* pr = probs + row * n_cls;
    int lane = threadIdx.x;
    SCALAR m = xr[0];
    for (int j = lane; j < n_cls; j += 32) m = FMAX(m, xr[j]);
    for (int o = 16; o > 0; o >>= 1) m = FMAX(m, __shfl_xor_sync(0xffffffffu, m, o));
    SCALAR s = 0;
    for (int j = lane; j < n_cls; j += 32) s += EXP(xr[j] - m);
    for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
    for (int j = lane; j < n_cls; j += 32) pr[j] = EXP(xr[j] - m) / s;
    if (lane == 0) loss[row] = LOG(s) - (xr[target[row]] - m);
}
"""
_ROWS_PER_BLOCK = 8
# the C type and its math functions (float's own, not double's: no round trip through double)
_C_SCALAR = {"f": ("float", "fmaxf", "expf", "logf"), "d": ("double", "fmax", "exp", "log")}


def _softmax_cross_entropy_rows(cp, exact):
    """The plain cross-entropy's forward (arraygrad.nn.functional._softmax_cross_entropy_rows):
    one kernel for float32/float64 logits (then the reduction's); other dtypes take the
    unfused formula."""
    def source(dt):
        scalar, fmax, exp, log = _C_SCALAR[dt.char]
        return (_CE_ROWS_SOURCE.replace("SCALAR", scalar).replace("FMAX", fmax).replace("EXP", exp)
                .replace("LOG", log).replace("NAME", dt.name))

    kernels = {dt: cp.RawKernel(source(dt), f"arraygrad_ce_rows_{dt.name}") for dt in exact}

    def rows(input, target, reduction):
        kernel = kernels.get(input.dtype)
        n_rows, n_cls = input.shape
        if kernel is None or n_rows == 0 or n_cls >= 2**31:
            from arraygrad.nn.functional import _softmax_cross_entropy_rows as unfused

            return unfused(cp, input, target, reduction)
        x = cp.ascontiguousarray(input)
        t = cp.ascontiguousarray(target.astype(cp.int64, copy=False))
        probs = cp.empty_like(x)
        loss = cp.empty(n_rows, dtype=x.dtype)
        blocks = (n_rows + _ROWS_PER_BLOCK - 1) // _ROWS_PER_BLOCK
        kernel((blocks,), (32, _ROWS_PER_BLOCK), (x, t, probs, loss, cp.int64(n_rows), cp.int32(n_cls)))
        if reduction != "none":  # CuPy's mean is one reduction kernel (sum, then divide)
            loss = loss.mean() if reduction == "mean" else loss.sum()
        return loss, probs

    return rows


def _softmax_cross_entropy_rows_grad(cp, exact):
    """(softmax - onehot(target)) * g / divisor in one kernel instead of six launches: `i`
    is the flat index of the (rows, classes) output, C-ordered as CuPy allocates it."""
    kernel = cp.ElementwiseKernel(
        "T p, raw I target, T g, float64 divisor, int64 n_cls", "T grad",
        "grad = (p - (i % n_cls == target[i / n_cls] ? T(1) : T(0))) * (g / divisor)",
        "arraygrad_ce_rows_grad")

    def rows_grad(probs, target, g, reduction):
        n_rows, n_cls = probs.shape
        g = cp.asarray(g, dtype=probs.dtype)
        if reduction == "none":
            g = g[:, None]  # one gradient per row
        divisor = n_rows if reduction == "mean" else 1
        if probs.dtype not in exact:  # float16: CuPy's half type mixes with double poorly
            onehot = (target[:, None] == cp.arange(n_cls)).astype(probs.dtype)
            return (probs - onehot) * (g / divisor)
        return kernel(probs, target, g, divisor, n_cls)

    return rows_grad


# min and max of a small index array by one block: one launch and one 16-byte read instead
# of CuPy's min, max and stack (each a launch costing the CPU tens of microseconds)
_EXTREMA_SOURCE = r"""
extern "C" __global__ void arraygrad_extrema(const long long* x, long long n, long long* out) {
    __shared__ long long lo[256], hi[256];
    int k = threadIdx.x;
    long long a = x[0], b = x[0];
    for (long long j = k; j < n; j += 256) {
        long long v = x[j];
        a = v < a ? v : a;
        b = v > b ? v : b;
    }
    lo[k] = a;
    hi[k] = b;
    __syncthreads();
    for (int half = 128; half > 0; half >>= 1) {
        if (k < half) {
            lo[k] = lo[k + half] < lo[k] ? lo[k + half] : lo[k];
            hi[k] = hi[k + half] > hi[k] ? hi[k + half] : hi[k];
        }
        __syncthreads();
    }
    if (k == 0) {
        out[0] = lo[0];
        out[1] = hi[0];
    }
}
"""
SMALL_EXTREMA_SIZE = 1 << 16  # one block reads this many in a few microseconds


def small_extrema(cp):
    """extrema(array) -> (min, max) as Python ints for a nonempty integer array of at most
    SMALL_EXTREMA_SIZE elements whose values fit int64 (others: None, the caller's general
    path)."""
    kernel = cp.RawKernel(_EXTREMA_SOURCE, "arraygrad_extrema")
    int64 = cp.dtype(cp.int64)

    def extrema(array):
        dt = array.dtype
        if not 0 < array.size <= SMALL_EXTREMA_SIZE or dt.kind not in "iu" or (dt.kind == "u" and dt.itemsize == 8):
            return None
        x = cp.ascontiguousarray(array.astype(int64, copy=False)).reshape(-1)
        out = cp.empty(2, dtype=int64)
        kernel((1,), (256,), (x, cp.int64(x.size), out))
        lo, hi = out.get()
        return int(lo), int(hi)

    return extrema
