"""`__array_namespace_info__()`: what this namespace supports, per device."""

from __future__ import annotations

from . import _dtypes
from ._config import default_device
from ._registry import available_devices, get_backend

__all__ = ["__array_namespace_info__"]


class Info:
    """The inspection API of the standard (2023.12+)."""

    __slots__ = ()

    def capabilities(self) -> dict:
        return {"boolean indexing": True, "data-dependent shapes": True, "max dimensions": 64}

    def default_device(self):
        # the device itself, as devices() lists it: "cuda" set as the default means cuda:N
        return get_backend(default_device()).device

    def default_dtypes(self, *, device=None) -> dict:
        if device is not None:
            get_backend(device)  # validates the device
        return {
            "real floating": _dtypes.DEFAULT_FLOAT,
            "complex floating": _dtypes.DEFAULT_COMPLEX,
            "integral": _dtypes.DEFAULT_INT,
            "indexing": _dtypes.DEFAULT_INDEX,
        }

    def devices(self) -> tuple:
        return tuple(available_devices())

    def dtypes(self, *, device=None, kind=None) -> dict:
        b = get_backend(device)
        out = {d.name: d for d in _dtypes.ALL_DTYPES if d in b.native_dtype}
        if kind is None:
            return out
        return {n: d for n, d in out.items() if _dtypes.isdtype(d, kind)}


def __array_namespace_info__() -> Info:
    return Info()
