"""arraygrad's Dask backend: device "dask" (one device; "dask" and "dask:0" are the same).

Tensors on it hold `dask.array` arrays through array-api-compat's `dask.array` namespace:
every op, forward and backward, only extends a task graph, and nothing is computed until a
value is asked for (`.item()`, `.tolist()`, `print`, `.to("cpu")`, `.numpy()` after
`.cpu()`). The arrays are immutable (`mutable_arrays = False`): in-place ops and item
assignment are functional, the tensor takes the new array, and a view of a tensor is a copy
that writes do not reach. Dask and array-api-compat are imported only when the device is
first used, so `import arraygrad` works without them.

What Dask lacks stays missing here: `linalg` beyond 2-D inv/solve/cholesky/qr/svd (no det,
slogdet, eigh, eig, pinv, batches), float16, `repeat` with per-element counts, `x[i, j]`
with several index arrays (the plugin's own functions handle it; the core indexes arrays
itself), and sizes that depend on values (boolean masks, nonzero, unique: `nan` until
computed). Random numbers are drawn on the host (NumPy's stream, the CPU's values).
"""

from __future__ import annotations

from arraygrad import Backend

__all__ = ["DaskBackend", "persist"]


def persist(*tensors):
    """Compute the values of these dask-device tensors now (one `dask.persist` for all) and
    keep them, so that later graphs start from them. Graphs grow with every op and Dask
    keeps no results between reads: a training loop whose parameters are never persisted
    recomputes every earlier step at each read. Autograd history is kept as it is."""
    import dask

    arrays = dask.persist(*(t._data for t in tensors))
    for t, a in zip(tensors, arrays):
        t._data = a  # the same values, now held in memory
    return tensors[0] if len(tensors) == 1 else tensors


def _compat():
    import array_api_compat.dask.array as xp  # noqa: PLC0415  (lazy: Dask is optional)

    return xp


class DaskBackend(Backend):
    name = "dask"
    device_type = "dask"
    mutable_arrays = False  # dask arrays are graphs: writes build a new array
    lazy = True  # reading a value computes the graph: the core makes no value checks here

    @classmethod
    def load_namespace(cls):
        xp = _compat()
        from ._fixes import dask_overrides

        cls.overrides = dask_overrides(xp)
        return xp

    @classmethod
    def current_device(cls) -> int:
        return 0  # "dask" means "dask:0", as "cuda" means the current GPU

    # ----- moving values to and from the host (computes) -------------------------------------
    def to_host(self, array):
        import numpy as np

        return np.asarray(array.compute())  # a 0-d result comes back as a NumPy scalar

    def from_host(self, host):
        import numpy as np

        return self.xp.asarray(np.array(host, copy=True))

    def from_dlpack(self, obj, copy=None):
        import numpy as np

        # Dask has no DLPack: the producer's memory is read through NumPy, copied unless
        # copy=False (a dask array over a NumPy buffer that the producer may still write)
        host = np.from_dlpack(obj) if copy is None else np.from_dlpack(obj, copy=copy)
        return self.xp.asarray(host if copy is False else np.array(host, copy=True))

    # ----- immutability: writes return new arrays --------------------------------------------
    def is_writeable(self, array) -> bool:
        return True  # every write is allowed; it builds a new array (see `write`)

    def write(self, dst, src):
        # the new array, in the destination's dtype (an in-place op keeps the tensor's dtype)
        return src if src.dtype == dst.dtype else src.astype(dst.dtype)

    def setitem(self, array, key, value):
        # dask's __setitem__ rebinds the array object to a new graph: do it on a copy, so
        # that other tensors holding `array` keep their values
        out = array.copy()
        out[key] = value
        return out

    def may_be_shared(self, array) -> bool:
        return False  # nothing can write into a dask array

    def owns_memory(self, array) -> bool:
        return True  # immutable: autograd may keep it as .grad without copying
