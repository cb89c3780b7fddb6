"""arraygrad's CuPy backend: devices "cuda:N". CuPy is imported only when a CUDA device is
first used, so `import arraygrad` works on machines without it.
"""

from __future__ import annotations

import contextlib
import sys

from arraygrad import Backend

__all__ = ["CupyBackend"]


def _at_least_32(dtype) -> str:
    return "float32" if dtype.bits == 16 else dtype.name


def _cupy():
    import cupy  # noqa: PLC0415  (lazy: only machines with CUDA have it)

    return cupy


class CupyBackend(Backend):
    name = "cupy"
    device_type = "cuda"
    multi_device = True
    wraps_indices = True  # CuPy's fancy indexing and take wrap out-of-range indices around

    @classmethod
    def load_namespace(cls):
        cp = _cupy()
        from arraygrad_numpy._fixes import numpy_like_overrides

        from ._fixes import cupy_overrides

        shared = numpy_like_overrides(cp)
        cls.overrides = {**shared, **cupy_overrides(cp, shared)}
        return cp

    @classmethod
    def device_count(cls) -> int:
        cp = _cupy()
        try:
            return cp.cuda.runtime.getDeviceCount()
        except cp.cuda.runtime.CUDARuntimeError:
            return 0

    @classmethod
    def current_device(cls) -> int:
        return _cupy().cuda.Device().id

    @classmethod
    def set_current_device(cls, index: int) -> None:
        _cupy().cuda.Device(index).use()

    def synchronize_device(self) -> None:
        _cupy().cuda.Device(self._index).synchronize()

    def release_cached_memory(self) -> None:
        cp = _cupy()
        with self.device_context():  # the pool of this device
            cp.get_default_memory_pool().free_all_blocks()
        cp.get_default_pinned_memory_pool().free_all_blocks()

    def memory_in_use(self) -> tuple[int, int]:
        pool = _cupy().get_default_memory_pool()
        with self.device_context():
            return int(pool.used_bytes()), int(pool.total_bytes())

    def device_name(self) -> str:
        name = _cupy().cuda.runtime.getDeviceProperties(self._index)["name"]
        return name.decode() if isinstance(name, bytes) else str(name)

    def __init__(self, index=None):
        self._device = None
        self._index = 0 if index is None else index
        super().__init__(self._index)

    def native_device(self):
        if self._device is None:
            self._device = _cupy().cuda.Device(self._index)
        return None  # creation runs inside device_context(); CuPy has no device= keyword

    def device_context(self):
        cp = _cupy()
        if cp.cuda.Device().id == self._index:
            return contextlib.nullcontext()
        return cp.cuda.Device(self._index)

    def asarray(self, obj, dtype=None, copy=None):
        # CuPy fills a Python scalar equal to 0 with a memset, which drops the sign of -0.0;
        # Python data goes to the device through a NumPy array instead (one copy either way)
        if isinstance(obj, (float, complex, list, tuple)):
            import numpy

            host = numpy.asarray(obj, dtype=dtype)
            # (a 0-d host array is filled from its value too: it travels as one element)
            return super().asarray(host.reshape(-1), dtype=dtype).reshape(host.shape)
        return super().asarray(obj, dtype=dtype, copy=copy)

    def is_writeable(self, array) -> bool:
        return True

    def is_view(self, array, source=None) -> bool:
        # a reshape that had to copy returns a view of its copy: based on neither the source
        # nor the source's own base (views' bases collapse to the memory's owner)
        base = array.base
        return base is not None and (source is None or base is source or base is source.base)

    def may_be_shared(self, array) -> bool:
        # as the NumPy backend: the tensor's slot, this parameter and getrefcount's argument
        return array.base is not None or sys.getrefcount(array) > 3

    def owns_memory(self, array) -> bool:
        return array.base is None and array.flags.c_contiguous

    def to_host(self, array):
        return array.get()

    _small_extrema = None

    def extrema(self, array):
        small = CupyBackend._small_extrema
        if small is None:
            from ._fixes import small_extrema

            small = CupyBackend._small_extrema = small_extrema(_cupy())
        with self.device_context():
            both = small(array)
        return super().extrema(array) if both is None else both

    def from_host(self, host):
        with self.device_context():
            return _cupy().asarray(host)

    def rng(self, seed):
        return _CupyRandom(seed, self)

    def synchronize(self, stream) -> None:
        cp = _cupy()
        if isinstance(stream, int):
            stream = cp.cuda.ExternalStream(stream)
        cp.cuda.get_current_stream().wait_event(stream.record())

    def write(self, dst, src):
        _cupy().copyto(dst, src, casting="unsafe")
        return dst

    def from_dlpack(self, obj, copy=None):
        cp = _cupy()
        with self.device_context():
            if copy is None:
                return cp.from_dlpack(obj)
            return cp.from_dlpack(obj, copy=copy)


class _CupyRandom:
    """Random arrays drawn on the GPU with cupy.random (see `Backend.rng`)."""

    __slots__ = ("_state", "_backend")

    def __init__(self, seed, backend):
        self._backend = backend
        with backend.device_context():
            self._state = _cupy().random.RandomState(seed)

    def uniform(self, shape, dtype):
        with self._backend.device_context():  # CuPy draws float32 at the least
            if dtype.bits == 16:  # multiples of 2**-11 (a float32 draw rounded to float16 may be 1.0)
                return (self._state.randint(0, 2048, shape, dtype="int64") * (1 / 2048)).astype("float16")
            return self._state.random_sample(shape, dtype=_at_least_32(dtype)).astype(dtype.name, copy=False)

    def normal(self, shape, dtype):
        with self._backend.device_context():
            return self._state.standard_normal(shape, dtype=_at_least_32(dtype)).astype(dtype.name, copy=False)

    def integers(self, low, high, shape, dtype):
        with self._backend.device_context():
            return self._state.randint(low, high, shape, dtype="int64").astype(dtype.name)

    def permutation(self, n, dtype):
        with self._backend.device_context():
            return self._state.permutation(n).astype(dtype.name)
