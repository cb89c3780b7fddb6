"""Random numbers: PyTorch's generators and sampling functions over any backend.

The state lives here and only here: one `Generator` per device (the defaults, seeded by
`manual_seed`) or made by the user (`Generator(device).manual_seed(s)`, passed as
`generator=`). A generator asks its device's backend for a source once per seed
(`Backend.rng(seed)`): an object drawing backend arrays, `HostRandom` (NumPy's PCG64 on
the host) unless the plugin has a native one (CuPy's). The streams are reproducible per
backend, but differ from PyTorch's: the same seed gives other numbers than torch does.
"""

from __future__ import annotations

import contextvars

import json
import os
import threading

from . import _dtypes
from ._dispatch import GRAD_ENABLED, Tensor, check_tensor, wrap
from ._dtypes import as_dtype
from ._ops import ValueRangeError
from ._ops.creation import torch_factory

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
           "default_generator", "rand", "randn", "randint", "randperm", "rand_like", "randn_like",
           "randint_like", "normal", "bernoulli", "multinomial"]

# PyTorch seeds its default CPU generator with this constant, so fresh processes repeat.
DEFAULT_SEED = 67280421310721
_SEED_MASK = (1 << 64) - 1


class HostRandom:
    """A backend's random source drawn on the host with NumPy's PCG64.

    `to_backend` turns a host NumPy array into the backend's array (None: it already is
    one, as on the NumPy backend). Every draw takes the shape and an arraygrad DType.
    """

    __slots__ = ("_gen", "_to_backend")

    def __init__(self, seed: int, to_backend=None):
        import numpy as np

        self._gen = np.random.Generator(np.random.PCG64(seed))
        self._to_backend = to_backend

    def _out(self, host):
        return host if self._to_backend is None else self._to_backend(host)

    def uniform(self, shape, dtype):
        """Uniform on [0, 1) (float16, float32 or float64)."""
        if dtype.bits == 16:  # multiples of 2**-11, as PyTorch's: a float32 draw rounded to
            # float16 would round values just below 1 up to 1
            return self._out((self._gen.integers(0, 2048, shape, dtype="int16") * (1 / 2048)).astype("float16"))
        return self._out(self._float_draw(self._gen.random, shape, dtype))

    def normal(self, shape, dtype):
        """Standard normal (float16, float32 or float64)."""
        return self._out(self._float_draw(self._gen.standard_normal, shape, dtype))

    @staticmethod
    def _float_draw(draw, shape, dtype):
        if dtype.bits == 16:  # NumPy's generators draw float32 at the least
            return draw(shape, dtype="float32").astype("float16")
        return draw(shape, dtype=dtype.name)

    def integers(self, low, high, shape, dtype):
        """Integers uniform on [low, high)."""
        return self._out(self._gen.integers(low, high, shape, dtype=dtype.name))

    def permutation(self, n, dtype):
        """A random permutation of range(n)."""
        return self._out(self._gen.permutation(n).astype(dtype.name))

    def get_state(self) -> dict:
        return self._gen.bit_generator.state

    def set_state(self, state: dict) -> None:
        self._gen.bit_generator.state = state


def _device_key(dev) -> str:
    """The device a generator serves, by name ("cpu", "cuda:0": "cuda" means the current GPU)."""
    from ._registry import get_backend

    return str(get_backend(dev).device)


class Generator:
    """A random-number generator for one device (PyTorch's `torch.Generator`)."""

    __slots__ = ("device", "_seed", "_source", "_source_backend")

    def __init__(self, device="cpu"):
        from ._device import device as _parse

        self.device = _parse(device)
        self._seed = DEFAULT_SEED
        self._source = None
        self._source_backend = None

    def __repr__(self):
        return f"<arraygrad.Generator device={self.device} seed={self._seed}>"

    def manual_seed(self, seed) -> "Generator":
        """Restart the stream from `seed` (an int; negative seeds wrap as in PyTorch)."""
        if isinstance(seed, bool) or not isinstance(seed, int):
            try:
                seed = int(seed)
            except (TypeError, ValueError):
                raise TypeError(f"manual_seed expected an int, got {type(seed).__name__}") from None
        self._seed = seed & _SEED_MASK
        self._source = None
        return self

    def seed(self) -> int:
        """Seed from the operating system's entropy; returns the new seed."""
        s = int.from_bytes(os.urandom(8), "little") & ((1 << 63) - 1)
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def source(self, backend):
        """The backend random source this generator draws from on `backend`."""
        if backend.device != self.device and str(backend.device) != _device_key(self.device):
            raise RuntimeError(f"Expected a '{backend.device.type}' device type for generator but "
                               f"found '{self.device}'")
        if self._source is None or self._source_backend is not backend:
            self._source = backend.rng(self._seed)
            self._source_backend = backend
        return self._source

    def get_state(self) -> Tensor:
        """The stream's position as a uint8 tensor (restore it with `set_state`)."""
        from ._ops.creation import asarray
        from ._registry import get_backend

        src = self.source(get_backend(self.device))
        if not hasattr(src, "get_state"):
            raise RuntimeError(f"the random source of {self.device} does not expose its state")
        blob = json.dumps({"seed": self._seed, "state": src.get_state()}).encode()
        return asarray(list(blob), dtype=_dtypes.uint8, device="cpu")

    def set_state(self, new_state) -> "Generator":
        from ._registry import get_backend

        check_tensor(new_state, "set_state", "new_state")
        if new_state.dtype is not _dtypes.uint8:
            raise TypeError(f"set_state: expected a uint8 tensor (from get_state), got {new_state.dtype}")
        try:
            saved = json.loads(bytes(new_state.tolist()).decode())
            seed, state = saved["seed"], saved["state"]
        except (ValueError, KeyError, TypeError):
            raise RuntimeError("set_state: not a state made by Generator.get_state()") from None
        self.manual_seed(seed)
        src = self.source(get_backend(self.device))
        if not hasattr(src, "set_state"):
            raise RuntimeError(f"the random source of {self.device} does not accept a state")
        src.set_state(state)
        return self


# ----- the default generators (one per device) ---------------------------------------------
default_generator = Generator("cpu")
_defaults: dict[str, Generator] = {"cpu": default_generator}
_lock = threading.Lock()
# .generator: the CPU generator a DataLoader worker thread draws from for its current batch
# (seeded per batch from the loader's seed, so that a dataset's random transforms repeat
# under manual_seed whichever thread runs them); unset elsewhere
worker_default = threading.local()
# The last manual_seed() (key None) or cuda.manual_seed_all() (key "cuda"): default
# generators made later (a device used for the first time) start from it.
_later_seeds: dict = {}


def default_for(backend) -> Generator:
    """The default generator of `backend`'s device."""
    key = str(backend.device)
    g = _defaults.get(key)
    if g is None:
        with _lock:
            g = _defaults.get(key)
            if g is None:
                g = Generator(backend.device)
                s = _later_seeds.get(backend.device.type, _later_seeds.get(None))
                if s is not None:
                    g.manual_seed(s)
                _defaults[key] = g
    return g


def seed_defaults(seed, device_type=None) -> None:
    """Seed the default generators: all of them, or those of one device type (including
    the ones made later)."""
    for g in list(_defaults.values()):
        if device_type is None or g.device.type == device_type:
            g.manual_seed(seed)
    if device_type is None:
        _later_seeds.clear()
    _later_seeds[device_type] = seed


def manual_seed(seed) -> Generator:
    """Seed every device's default generator (PyTorch's `torch.manual_seed`)."""
    seed_defaults(seed)
    return default_generator


def seed() -> int:
    """Seed the default generators from the operating system's entropy; returns the seed."""
    s = default_generator.seed()
    seed_defaults(s)
    return s


def initial_seed() -> int:
    """The seed of the default CPU generator."""
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    """The default CPU generator's state (a uint8 tensor)."""
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    default_generator.set_state(new_state)


def _generator_for(backend, generator) -> Generator:
    if generator is None:
        generator = _defaults.get(str(backend.device)) or default_for(backend)
        if generator is default_generator:
            generator = getattr(worker_default, "generator", None) or generator
    elif not isinstance(generator, Generator):
        raise TypeError(f"generator must be an arraygrad.Generator, got {type(generator).__name__}")
    vmapped = _VMAP_RANDOMNESS.get()
    if vmapped is not None:
        vmapped.draw_from(generator)
    return generator


class VmapRandomness:
    """What random functions do inside `func.vmap` (its `randomness=`): 'error' refuses them,
    'different' lets each index draw anew, 'same' replays each generator's state at every
    index, so that all indices draw the same values."""

    __slots__ = ("mode", "states", "token")

    def __init__(self, mode: str):
        self.mode = mode
        self.states: dict = {}  # id(generator) -> (generator, its state before the first draw)

    def draw_from(self, generator: Generator) -> None:
        if self.mode == "error":
            raise RuntimeError("vmap: called random operation while in randomness error mode. Please "
                               "either use the 'same' or 'different' randomness flags on vmap or perform "
                               "the randomness operation out of vmap")
        if self.mode == "same" and id(generator) not in self.states:
            self.states[id(generator)] = (generator, generator.get_state())

    def next_index(self) -> None:
        for generator, state in self.states.values():
            generator.set_state(state)

    def __enter__(self):
        self.token = _VMAP_RANDOMNESS.set(self)
        return self

    def __exit__(self, *exc):
        _VMAP_RANDOMNESS.reset(self.token)
        return False


_VMAP_RANDOMNESS: contextvars.ContextVar = contextvars.ContextVar("arraygrad_vmap_randomness", default=None)


# ----- sampling ----------------------------------------------------------------------------
def sizes(size, fname) -> tuple[int, ...]:
    """PyTorch's size arguments: varargs ints (`rand(2, 3)`) or one sequence (`rand((2, 3))`)."""
    from ._ops.creation import normalize_shape

    if len(size) == 1 and not isinstance(size[0], int):
        return normalize_shape(size[0], (), fname)
    if not size:
        raise TypeError(f"{fname}() missing the size argument (e.g. {fname}(2, 3))")
    return normalize_shape(size[0], size[1:], fname)


def _size_keyword(size: tuple, size_kw: dict, fname) -> tuple:
    """The positional sizes, or PyTorch's `size=` keyword (not both; nothing else)."""
    if not size_kw:
        return size
    if set(size_kw) != {"size"}:
        raise TypeError(f"{fname}() got an unexpected keyword argument {next(k for k in size_kw if k != 'size')!r}")
    if size:
        raise TypeError(f"{fname}() got the size both positionally and as size=")
    return (size_kw["size"],)


def _finish(data, backend, requires_grad):
    t = wrap(data, backend)
    if requires_grad:
        t.requires_grad = True
    return t


def _float_dtype(dtype, fname):
    d = _dtypes.DEFAULT_FLOAT if dtype is None else as_dtype(dtype)
    if d.kind not in "fc":
        raise TypeError(f"{fname}: random floating-point values need a floating dtype, got {d} "
                        f"(use randint for integers)")
    return d


def _draw(fname, kind, shape, dtype, device, generator, like=None):
    """A backend array of `shape` with uniform or normal values (complex: both parts, each
    with variance 1/2 for normal, as in PyTorch)."""
    from ._ops.creation import backend_for

    b = backend_for(device, like=like)
    src = _generator_for(b, generator).source(b)
    d = _float_dtype(dtype, fname)
    draw = src.uniform if kind == "uniform" else src.normal
    if d.kind == "f":
        return draw(shape, d), b
    real = d.to_real()
    re, im = draw(shape, real), draw(shape, real)
    if kind == "normal":
        re, im = re * 0.7071067811865476, im * 0.7071067811865476
    return b.fn["astype"](re, b.to_native_dtype(d)) + im * 1j, b


@torch_factory
def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, **size_kw) -> Tensor:
    """Uniform random numbers on [0, 1): ``rand(2, 3)``, ``rand((2, 3))`` or ``rand(size=(2, 3))``."""
    shape = sizes(_size_keyword(size, size_kw, "rand"), "rand")
    data, b = _draw("rand", "uniform", shape, dtype, device, generator)
    return _finish(data, b, requires_grad)


@torch_factory
def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, **size_kw) -> Tensor:
    """Standard normal random numbers: ``randn(2, 3)``, ``randn((2, 3))`` or ``randn(size=(2, 3))``."""
    shape = sizes(_size_keyword(size, size_kw, "randn"), "randn")
    data, b = _draw("randn", "normal", shape, dtype, device, generator)
    return _finish(data, b, requires_grad)


def _like(fname, kind, x, dtype, device, requires_grad, generator=None):
    check_tensor(x, fname)
    data, b = _draw(fname, kind, tuple(x.shape), x.dtype if dtype is None else dtype, device,
                    generator, like=x)
    return _finish(data, b, requires_grad)


@torch_factory
def rand_like(x, /, *, dtype=None, device=None, requires_grad=False, generator=None, memory_format=None) -> Tensor:
    """Uniform random numbers with the shape (and, by default, dtype and device) of `x`."""
    return _like("rand_like", "uniform", x, dtype, device, requires_grad, generator)


@torch_factory
def randn_like(x, /, *, dtype=None, device=None, requires_grad=False, generator=None, memory_format=None) -> Tensor:
    """Standard normal random numbers with the shape (and dtype, device) of `x`."""
    return _like("randn_like", "normal", x, dtype, device, requires_grad, generator)


def _integers(fname, low, high, shape, dtype, device, generator, like=None):
    from ._ops.creation import backend_for

    for name, v in (("low", low), ("high", high)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"{fname}: {name} must be an int, got {type(v).__name__}")
    if low >= high:
        raise ValueError(f"{fname}: expected low < high, got low={low}, high={high}")
    d = _dtypes.DEFAULT_INT if dtype is None else as_dtype(dtype)
    b = backend_for(device, like=like)
    src = _generator_for(b, generator).source(b)
    if d.kind in "iu":
        info = _dtypes.iinfo(d)
        if low < info.min or high - 1 > info.max:
            raise ValueError(f"{fname}: [{low}, {high}) is out of range for {d}")
        return src.integers(low, high, shape, d), b
    if d.kind == "c":
        raise TypeError(f"{fname}: complex dtypes are not supported, got {d}")
    ints = src.integers(low, high, shape, _dtypes.int64)  # float and bool targets: cast
    return b.fn["astype"](ints, b.to_native_dtype(d)), b


@torch_factory
def randint(low=None, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False) -> Tensor:
    """Random integers on [low, high): ``randint(high, size)``, ``randint(low, high, size)``
    or with keywords (``randint(high=5, size=(3,))``: low 0)."""
    if low is None:
        if high is None:
            raise TypeError("randint() missing the upper bound: randint(high, size) or randint(low, high, size)")
        low = 0
    if size is None and high is not None and not isinstance(high, int):  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing the size argument: randint(high, size) or "
                        "randint(low, high, size), size a tuple")
    data, b = _integers("randint", low, high, sizes((size,), "randint"), dtype, device, generator)
    return _finish(data, b, requires_grad)


def randint_like(x, /, low=0, high=None, *, dtype=None, device=None, requires_grad=False,
                 generator=None, memory_format=None) -> Tensor:
    """Random integers on [low, high) with the shape (and dtype, device) of `x`;
    ``randint_like(x, high)`` means low = 0."""
    check_tensor(x, "randint_like")
    if high is None:
        low, high = 0, low
    data, b = _integers("randint_like", low, high, tuple(x.shape), x.dtype if dtype is None else dtype,
                        device, generator, like=x)
    return _finish(data, b, requires_grad)


@torch_factory
def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A random permutation of 0 .. n-1 (int64 by default)."""
    from ._ops.creation import backend_for

    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"randperm: n must be a non-negative int, got {n!r}")
    d = _dtypes.DEFAULT_INT if dtype is None else as_dtype(dtype)
    if d.kind in "bc":
        raise TypeError(f"randperm: dtype must be an integer or real floating dtype, got {d}")
    # the largest value n - 1 must be exact in the dtype (PyTorch's check): no wrapped duplicates
    exact = 2 ** (d.bits - (1 if d.kind == "i" else 0)) - 1 if d.kind in "iu" else \
        2 ** {16: 11, 32: 24, 64: 53}[d.bits]
    if n - 1 > exact:
        raise RuntimeError(f"randperm: n is too large for result tensor type {d} (n = {n}, largest exact "
                           f"value {exact})")
    b = backend_for(device)
    return _finish(_generator_for(b, generator).source(b).permutation(n, d), b, requires_grad)


def _no_grad():
    return GRAD_ENABLED.set(False)


@torch_factory
def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False) -> Tensor:
    """Normal samples: tensors `mean` and/or `std` (broadcast), or floats with `size`."""
    from ._ops.manipulation import broadcast_shapes

    tensors = [v for v in (mean, std) if isinstance(v, Tensor)]
    if not tensors:
        if size is None:
            raise TypeError("normal(): with float mean and std, give size=")
        if std < 0:
            raise ValueRangeError(f"normal(): std must be non-negative, got {std}")
        out = randn(sizes((size,), "normal"), generator=generator, dtype=dtype, device=device)
        out = out * std + mean if (std, mean) != (1.0, 0.0) else out
    else:
        if isinstance(std, (int, float)) and std < 0 or isinstance(std, Tensor) and bool((std < 0).any()):
            raise ValueRangeError("normal(): std must be non-negative")
        shape = broadcast_shapes(*(tuple(t.shape) for t in tensors))
        ref = tensors[0]
        noise = randn(shape, generator=generator, dtype=dtype or ref.dtype, device=ref.device)
        out = noise * std + mean  # differentiable in mean and std (PyTorch's reparameterization)
    if requires_grad:
        out.requires_grad = True
    return out


def bernoulli(input, p=None, *, generator=None) -> Tensor:
    """0/1 samples with probabilities `input` (or the float `p`), in input's dtype."""
    check_tensor(input, "bernoulli", "input")
    prob = input if p is None else p
    if isinstance(prob, Tensor):  # values are not read (no device sync): outside [0, 1] saturates
        if prob.dtype.kind != "f":
            raise TypeError(f"bernoulli: the probabilities must be floating point, got {prob.dtype}")
    elif not 0 <= prob <= 1:
        raise ValueError(f"bernoulli: p must be in [0, 1], got {prob}")
    u, b = _draw("bernoulli", "uniform", tuple(input.shape),
                 input.dtype if input.dtype.kind == "f" else None, None, generator, like=input)
    u = wrap(u, b)
    token = _no_grad()
    try:
        return (u < prob).astype(input.dtype)
    finally:
        GRAD_ENABLED.reset(token)


def multinomial(input, num_samples, replacement=False, *, generator=None) -> Tensor:
    """Indices drawn from the rows of `input` (unnormalized weights), int64."""
    from ._ops.manipulation import concat, expand_dims
    from ._ops.searching import searchsorted
    from ._ops.sorting import argsort
    from ._ops.elementwise import isfinite
    from ._ops.statistical import cumulative_sum, sum as _sum

    check_tensor(input, "multinomial", "input")
    if input.ndim not in (1, 2):
        raise ValueError(f"multinomial: input must be 1-D or 2-D, got shape {tuple(input.shape)}")
    if input.dtype.kind != "f":
        raise TypeError(f"multinomial: input must be floating point, got {input.dtype}")
    token = _no_grad()
    try:
        w = input.detach() if input.ndim == 2 else expand_dims(input.detach(), axis=0)
        if bool((w < 0).any()) or not bool((_sum(w, axis=1) > 0).all()) or not bool(isfinite(w).all()):
            raise ValueRangeError("multinomial: weights must be finite and non-negative with a positive sum per row")
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"multinomial: num_samples must be a positive int, got {num_samples!r}")
        rows, n = w.shape
        if not replacement and num_samples > n:
            raise ValueRangeError(f"multinomial: cannot draw {num_samples} samples without replacement "
                             f"from {n} categories")
        u, b = _draw("multinomial", "uniform", (rows, num_samples if replacement else n),
                     w.dtype, None, generator, like=w)
        u = wrap(u, b)
        if replacement:  # inverse CDF, row by row
            cdf = cumulative_sum(w, axis=1)
            cdf = cdf / cdf[:, -1:]
            picks = [searchsorted(cdf[r], u[r], side="right") for r in range(rows)]
            out = concat([expand_dims(p, axis=0) for p in picks], axis=0)
            out = out.clip(max=n - 1)
        else:  # exponential race: the k smallest -log(u) / w, zero weights never chosen
            from ._ops.elementwise import log

            with b.quiet_float_errors():  # a zero weight's key is inf, by design
                keys = -log(1 - u) / w
            out = argsort(keys, axis=1)[:, :num_samples]
        out = out.astype(_dtypes.int64)
        return out if input.ndim == 2 else out[0]
    finally:
        GRAD_ENABLED.reset(token)
