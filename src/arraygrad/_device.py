"""Device objects, named the way PyTorch users name them: "cpu", "cuda", "cuda:1"."""

from __future__ import annotations

__all__ = ["Device", "device"]


class Device:
    """Where a tensor's memory lives: a device type, an index, and the backend serving it.

    Compared by value and hashable. `str()` gives PyTorch's spelling ("cpu", "cuda:0").
    The backend name matters only when two backends serve the same device type (NumPy and a
    second CPU backend in tests, say); it shows in `repr` when it is not the type's default.
    """

    __slots__ = ("type", "index", "backend")

    def __init__(self, type: str, index: int | None = None, backend: str | None = None):
        object.__setattr__(self, "type", type)
        object.__setattr__(self, "index", index)
        object.__setattr__(self, "backend", backend)

    def __setattr__(self, name, value):
        raise AttributeError("Device objects are immutable")

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = device(other)
            except (ValueError, TypeError):
                return False
        if not isinstance(other, Device):
            return NotImplemented
        return (self.type, self.index, self.backend) == (other.type, other.index, other.backend)

    def __hash__(self):
        return hash((self.type, self.index, self.backend))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        from ._registry import default_backend_name

        args = f"type={self.type!r}"
        if self.index is not None:
            args += f", index={self.index}"
        if self.backend is not None and self.backend != default_backend_name(self.type, quiet=True):
            args += f", backend={self.backend!r}"
        return f"device({args})"

    def __reduce__(self):
        return (Device, (self.type, self.index, self.backend))


def device(type, index: int | None = None, *, backend: str | None = None) -> Device:
    """Make a Device: ``device("cuda:1")``, ``device("cuda", 1)``, ``device("cpu")``.

    A Device passes through. The backend defaults to the one registered for the type;
    naming a device only parses it: whether it exists is checked when it is used.
    """
    if isinstance(type, Device):
        if index is not None or backend is not None:
            raise TypeError("device(): index and backend cannot be given with a Device object")
        return type
    if isinstance(type, int) and not isinstance(type, bool):  # PyTorch: an int means a CUDA ordinal
        type, index = "cuda", type if index is None else index
    if not isinstance(type, str):
        raise TypeError(f"device() expected a device string like 'cpu' or 'cuda:0', got {type!r}")
    name = type.strip()
    if ":" in name:
        if index is not None:
            raise ValueError(f"device(): index given twice ({name!r} and index={index})")
        name, _, idx = name.partition(":")
        if not idx.isdigit():
            raise ValueError(f"invalid device string {type!r}: the index after ':' must be a non-negative integer")
        index = int(idx)
    if not name or not name.replace("_", "").isalnum():
        raise ValueError(f"invalid device string {type!r}; expected e.g. 'cpu', 'cuda' or 'cuda:0'")
    if index is not None:
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise ValueError(f"device index must be a non-negative int, got {index!r}")
    from ._registry import default_backend_name

    if backend is None:
        backend = default_backend_name(name)
    if name == "cpu":
        index = None  # one CPU device: "cpu:0" is "cpu"
    # For other types, index None means the backend's current device ("cuda" -> cuda:0).
    return Device(name, index, backend)
