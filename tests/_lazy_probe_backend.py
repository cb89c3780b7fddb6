"""A test-only backend that catches the core reading array values (the lazy-backend rule).

A lazy backend (Dask, and any library that builds a graph before it computes) cannot
answer `bool(x)`, `int(x)`, `float(x)` or `x.item()` without computing everything before
`x`: the op path and autograd must never ask. This backend is NumPy (its fixes included)
whose arrays are `Probe`, an ndarray subclass that logs every such read made while a
`watching()` block is open, with the arraygrad source line that asked. Reads made by the
NumPy backend's own code (`backends/`) are allowed: that backend is eager by nature. It
declares itself `lazy`, as a Dask backend would, so the core skips its value checks here.
"""

from __future__ import annotations

import contextlib
import sys
import types

import numpy as np

from arraygrad import Backend
from arraygrad_numpy._fixes import numpy_overrides

__all__ = ["ProbeBackend", "watching"]

_READS: list | None = None  # (what, "file:line function") while watching, else None
_CORE = "/src/arraygrad/"
_BACKENDS = "/backends/"


def _reader() -> str | None:
    """The innermost arraygrad frame that asked for a value: core code (a violation) or
    None when the backend's own code asked, or nothing of arraygrad did (the test)."""
    f = sys._getframe(2)
    while f is not None:
        name = f.f_code.co_filename.replace("\\", "/")
        if _BACKENDS in name:
            return None
        if _CORE in name and not (name.endswith("/_tensor.py") and f.f_code.co_name.startswith("__")):
            return f"{name.split(_CORE)[-1]}:{f.f_lineno} {f.f_code.co_name}"
        f = f.f_back
    return None


class Probe(np.ndarray):
    """An ndarray that logs value reads (see the module docstring)."""

    def _log(self, what):
        if _READS is not None:
            where = _reader()
            if where is not None:
                _READS.append((what, where))

    def __bool__(self):
        self._log("bool")
        return super().__bool__()

    def __int__(self):
        self._log("int")
        return super().__int__()

    def __float__(self):
        self._log("float")
        return super().__float__()

    def __complex__(self):
        self._log("complex")
        return super().__complex__()

    def __index__(self):
        self._log("index")
        return super().__index__()

    def item(self, *args):
        self._log("item")
        return super().item(*args)

    def tolist(self):
        self._log("tolist")
        return super().tolist()


def _probe(r):
    """Results as Probe arrays (NumPy returns scalars for 0-d results, plain ndarrays from
    functions that do not keep subclasses)."""
    c = r.__class__
    if c is np.ndarray:
        return r.view(Probe)
    if isinstance(r, np.generic):
        return np.asarray(r).view(Probe)
    if c is tuple or c is list:
        return c(_probe(v) for v in r)
    if hasattr(r, "_fields"):  # NumPy's namedtuple results (eigh, svd, unique_all ...)
        return c(*(_probe(v) for v in r))
    return r


def _wrap(fn):
    def probed(*args, **kwargs):
        return _probe(fn(*args, **kwargs))

    probed.__name__ = getattr(fn, "__name__", "probed")
    return probed


def _wrap_module(mod, name):
    out = types.ModuleType(name)
    for k in dir(mod):
        if k.startswith("__") and k not in ("__array_api_version__", "__array_namespace_info__"):
            continue
        v = getattr(mod, k)
        if callable(v) and not isinstance(v, type) and k != "__array_namespace_info__":
            v = _wrap(v)
        setattr(out, k, v)
    return out


def _namespace():
    ns = _wrap_module(np, "numpy_probe")
    ns.linalg = _wrap_module(np.linalg, "numpy_probe.linalg")
    ns.fft = _wrap_module(np.fft, "numpy_probe.fft")
    return ns


class ProbeBackend(Backend):
    """NumPy with Probe arrays, on a device type of its own ("probe")."""

    name = "probe"
    device_type = "probe"
    lazy = True  # what it stands for: the core must skip its value checks here
    overrides = {k: _wrap(v) for k, v in numpy_overrides(np).items()}

    @classmethod
    def load_namespace(cls):
        return _namespace()

    def quiet_float_errors(self):
        return np.errstate(all="ignore")

    def to_host(self, array):
        return np.asarray(array).view(np.ndarray)

    def from_host(self, host):
        return np.array(host, copy=True).view(Probe)

    def is_writeable(self, array) -> bool:
        return array.flags.writeable

    def is_view(self, array, source=None) -> bool:
        base = array.base
        return base is not None and (source is None or base is source or base is source.base)

    def write(self, dst, src):
        np.copyto(dst, src, casting="unsafe")
        return dst


@contextlib.contextmanager
def watching():
    """Collect the core's value reads made inside the block into the yielded list."""
    global _READS
    reads: list = []
    previous, _READS = _READS, reads
    try:
        yield reads
    finally:
        _READS = previous
