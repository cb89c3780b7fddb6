"""Where array-api-compat's `dask.array` departs from the 2025.12 standard (or from what the
core needs of a lazy library); each entry replaces the namespace function of the same name.

Dask runs NumPy on each chunk, so NumPy's departures are Dask's too; but the NumPy plugin's
fixes (`numpy_like_overrides`) write into arrays, use ufunc methods (`np.add.at`) or branch
on values (`if inf.any()`), none of which a lazy, immutable array allows. The fixes here are
the same ones written as whole-array expressions: they extend the graph, never compute.
"""

from __future__ import annotations

import numpy as np

from arraygrad_numpy._fixes import standard_floor_divide, wide_scans


def getitem(x, key):
    """x[key] with NumPy's rules where dask falls short: several integer index arrays (dask
    takes one; see `_vindex`), and a 1-element index array, which is doubled and the
    result's first half kept (dask/dask#6709: the index array [0] gives a result with the
    whole axis' shape; the values are right). The core calls it for advanced keys (basic
    keys index the array directly), and so do the plugin's own functions."""
    import dask.array as da

    parts = key if isinstance(key, tuple) else (key,)
    e = next((j for j, p in enumerate(parts) if p is Ellipsis), None)
    if e is not None:  # spelled out, so that positions below count axes (`in` would compare arrays)
        named = sum(1 for p in parts if p is not None and p is not Ellipsis)
        parts = parts[:e] + (slice(None),) * (x.ndim - named) + parts[e + 1:]
    arrays = [j for j, p in enumerate(parts) if hasattr(p, "ndim") and p.dtype.kind in "iu"]
    if len(arrays) > 1 and not any(p is None for p in parts):
        return _vindex(x, parts, arrays)
    for i, k in enumerate(parts):
        if isinstance(k, da.Array) and k.ndim == 1 and k.shape[0] == 1 and k.dtype.kind in "iu":
            out = x[parts[:i] + (da.concatenate([k, k]),) + parts[i + 1:]]
            # dask takes one index array only, so it stays in place: after the slices and
            # new axes before it (ints before it drop their axes)
            at = sum(1 for p in parts[:i] if not isinstance(p, int))
            return out[(slice(None),) * at + (slice(0, 1),)]
    return x[parts]


def _vindex(x, parts, arrays):
    """x[parts] for several integer index arrays (NumPy's rules; dask takes one only): the
    indexed axes are moved to the front and flattened, and one `take` gathers at the
    broadcast flat positions. Ints among them count as 0-d index arrays, as in NumPy."""
    import dask.array as da

    parts = parts + (slice(None),) * (x.ndim - len(parts))
    adv = [j for j, p in enumerate(parts) if j in arrays or isinstance(p, int)]
    # basic slices first (every axis stays), then index arrays on full axes
    x = x[tuple(slice(None) if j in adv else p for j, p in enumerate(parts))]
    rest = [j for j in range(x.ndim) if j not in adv]
    x = da.transpose(x, adv + rest)
    idx = da.broadcast_arrays(*[da.asarray(parts[j]) for j in adv])
    flat = None
    for j, a in zip(adv, idx):
        n = x.shape[adv.index(j)]
        a = da.where(a < 0, a + n, a).astype("int64")
        flat = a if flat is None else flat * n + a
    lead = int(np.prod([x.shape[i] for i in range(len(adv))]))
    rest_shape = x.shape[len(adv):]
    out = da.reshape(x, (lead,) + rest_shape)
    picked = da.take(out, da.reshape(flat, (-1,)), axis=0) if flat.size != 1 else \
        da.take(out, da.concatenate([da.reshape(flat, (-1,))] * 2), axis=0)[:1]  # dask/dask#6709
    out = da.reshape(picked, flat.shape + rest_shape)
    if adv == list(range(adv[0], adv[0] + len(adv))) and adv[0]:  # adjacent: broadcast dims stay in place
        b = flat.ndim
        out = da.moveaxis(out, list(range(b)), list(range(adv[0], adv[0] + b)))
    return out


def dask_overrides(xp) -> dict:
    """name -> replacement for array-api-compat's `dask.array` namespace `xp`."""
    import dask.array as da

    floor_divide = standard_floor_divide(xp, lazy=True)  # selected, not branched on

    def isin(x1, x2, /, *, invert=False):
        # the compat namespace re-exports numpy.isin, which would compute both operands
        return da.isin(x1, x2, invert=invert)

    def index_add(x, values, *, key):
        # out = x; out[key] += values with repeated indices accumulating (np.add.at), as a
        # weighted bincount of the flat positions key picks: one pass, no one-hot matrix
        n = x.size
        positions = getitem(xp.reshape(xp.arange(n, dtype=xp.int64), x.shape), key)
        flat = xp.reshape(positions, (-1,))
        vals = xp.reshape(xp.broadcast_to(xp.astype(xp.asarray(values), x.dtype), positions.shape), (-1,))
        vals = vals.rechunk(flat.chunks)  # bincount wants the weights chunked as the positions

        def scatter(v):
            return xp.reshape(da.bincount(flat, weights=v, minlength=n), x.shape)

        if x.dtype.kind == "c":
            added = scatter(xp.real(vals)) + 1j * scatter(xp.imag(vals))
        else:
            added = scatter(vals)
        return xp.astype(x + xp.astype(added, x.dtype), x.dtype)

    def take_along_axis(x, indices, /, *, axis=-1):
        # Dask has none: a take from the flattened array at the flat positions (dask's take
        # accepts a lazy index array; its vindex wants NumPy indices, which would compute)
        axis = axis % x.ndim
        n = x.shape[axis]
        indices = xp.where(indices < 0, indices + n, indices)
        shape = tuple(max(a, b) if i != axis else b
                      for i, (a, b) in enumerate(zip(x.shape, indices.shape)))
        indices = xp.broadcast_to(indices, shape)
        source = xp.broadcast_to(x, tuple(n if i == axis else s for i, s in enumerate(shape)))
        flat = xp.zeros(shape, dtype=xp.int64)
        stride = 1
        for d in reversed(range(x.ndim)):
            if d == axis:
                pos = xp.astype(indices, xp.int64)
            else:
                pos = xp.reshape(xp.arange(shape[d], dtype=xp.int64),
                                 tuple(shape[d] if i == d else 1 for i in range(x.ndim)))
            flat = flat + pos * stride
            stride *= source.shape[d]
        return xp.reshape(take(xp.reshape(source, (-1,)), xp.reshape(flat, (-1,)), axis=0), shape)

    def take(x, indices, /, *, axis=None):
        if axis is None:  # 1-D x (the core checks)
            axis = 0
        return getitem(x, (slice(None),) * (axis % x.ndim) + (indices,))

    def repeat(x, repeats, /, *, axis=None):
        # dask's repeat needs an axis and an int count
        if axis is None:
            x, axis = xp.reshape(x, (-1,)), 0
        if not isinstance(repeats, int):
            raise NotImplementedError("repeat: the dask backend takes an int count only "
                                      "(dask.array.repeat has no per-element counts)")
        return da.repeat(x, repeats, axis=axis)

    def searchsorted(x1, x2, /, *, side="left", sorter=None):
        # dask's has no sorter (sort x1 by it first) and wants an array of values
        if sorter is not None:
            x1 = take(x1, sorter, axis=0)
        if not hasattr(x2, "dtype"):
            x2 = xp.asarray(x2, dtype=x1.dtype)
        out = da.searchsorted(x1, xp.reshape(x2, (-1,)), side=side)  # 1-D values only
        return xp.reshape(out, x2.shape)

    def eye(n_rows, n_cols=None, /, *, k=0, dtype=None, device=None):
        # dask's eye fails on some sizes and offsets (no rows; "Missing dependency" for
        # k beyond its chunk): the diagonal as a lazy comparison instead
        n_cols = n_rows if n_cols is None else n_cols
        rows = xp.reshape(xp.arange(n_rows, dtype=xp.int64), (n_rows, 1))
        hit = rows + k == xp.reshape(xp.arange(n_cols, dtype=xp.int64), (1, n_cols))
        return xp.astype(hit, xp.float64 if dtype is None else dtype)

    def linspace(start, stop, /, num, *, dtype=None, device=None, endpoint=True):
        # NumPy's way: steps in double precision, the endpoint exactly `stop`, then the cast
        # (dask steps in the target dtype: float32 from 9e15 to 1 ends at 0)
        target = xp.float64 if dtype is None else dtype
        if np.dtype(target).kind == "c":  # dask's takes real endpoints only: each part alone
            start, stop = complex(start), complex(stop)
            re = linspace(start.real, stop.real, num, dtype=xp.float64, endpoint=endpoint)
            im = linspace(start.imag, stop.imag, num, dtype=xp.float64, endpoint=endpoint)
            return xp.astype(re + 1j * im, target)
        wide = xp.float64
        out = da.linspace(start, stop, num, endpoint=endpoint, dtype=wide)
        if endpoint and num > 1:
            out = xp.concat([out[:-1], xp.asarray([stop], dtype=wide)])
        return xp.astype(out, target)

    def from_dlpack(x, /, *, device=None, copy=None):
        host = np.from_dlpack(x) if copy is None else np.from_dlpack(x, copy=copy)
        return xp.asarray(host if copy is False else np.array(host, copy=True))

    def one_chunk(name, multi):
        # dask transforms only along axes held in one chunk: rechunk those first
        fn = getattr(xp.fft, name)

        def transform(x, /, *args, **kwargs):
            axes = kwargs.get("axes") if multi else (kwargs.get("axis", -1),)
            axes = range(x.ndim) if axes is None else axes
            return fn(x.rechunk({a % x.ndim: -1 for a in axes}), *args, **kwargs)
        transform.__name__ = name
        return transform

    ffts = {f"fft.{name}": one_chunk(name, name.endswith("n"))
            for name in ("fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fftn", "ifftn", "rfftn", "irfftn")
            if hasattr(xp.fft, name)}

    def inv(x, /):
        return xp.astype(xp.linalg.inv(x), x.dtype)  # dask's comes back in float64

    def svdvals(x, /):
        return da.linalg.svd(x)[1]  # the compat one asks dask for full matrices, which it lacks

    return {**ffts, "linalg.inv": inv, "linalg.svdvals": svdvals, "floor_divide": floor_divide, "isin": isin, "index_add": index_add,
            "from_dlpack": from_dlpack, "take_along_axis": take_along_axis, "take": take, "repeat": repeat,
            "searchsorted": searchsorted, "eye": eye, "linspace": linspace, "getitem": getitem,
            **wide_scans(xp)}  # scans accumulate in double width, as on the CPU
