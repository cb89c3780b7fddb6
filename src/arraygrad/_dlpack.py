"""Interchange: DLPack export/import, moves between devices, and the NumPy bridge.

Memory shared with another library is marked "exported" on the tensor's version counter:
writes made there cannot be counted, so autograd snapshots what backward still needs
(see `_dispatch.VersionCounter`) instead of computing a silently wrong gradient.
"""

from __future__ import annotations

from . import _dispatch as D
from ._dispatch import Op, Tensor, grad_enabled, mark_exported, record, wrap
from ._registry import get_backend

# DLPack device type codes (dlpack.h) -> arraygrad device types.
_DLPACK_DEVICE_TYPES = {1: "cpu", 2: "cuda", 3: "cpu", 13: "cuda"}  # CPU, CUDA, CUDAHost, CUDAManaged


def export_dlpack(t, *, stream=None, max_version=None, dl_device=None, copy=None):
    """`t.__dlpack__(...)`: the backend array's capsule (refused while t requires grad)."""
    if t._requires_grad:
        raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
    kwargs = {}
    if stream is not None:
        kwargs["stream"] = stream
    if max_version is not None:
        kwargs["max_version"] = max_version
    if dl_device is not None:
        kwargs["dl_device"] = dl_device
    if copy is not None:
        kwargs["copy"] = copy
    if not copy:
        mark_exported(t)
    try:
        return t._data.__dlpack__(**kwargs)
    except ValueError as exc:  # CuPy's "GPU memory cannot be exported to CPU without copy"
        raise BufferError(f"__dlpack__: {exc}") from exc


def _device_of_dlpack(obj):
    try:
        dev_type, dev_id = obj.__dlpack_device__()
    except AttributeError:
        raise TypeError(f"from_dlpack: {type(obj).__name__} does not implement __dlpack_device__") from None
    kind = _DLPACK_DEVICE_TYPES.get(int(dev_type))
    if kind is None:
        raise BufferError(f"from_dlpack: unsupported DLPack device type {int(dev_type)}")
    return "cpu" if kind == "cpu" else f"{kind}:{int(dev_id)}"


def from_dlpack(x, /, *, device=None, copy=None):
    """A Tensor viewing `x`'s memory through DLPack (copy=True copies; copy=False refuses to).

    With `device` given and different from x's, the data is copied there (copy=False then
    raises ValueError).
    """
    if isinstance(x, Tensor):
        from ._ops.creation import asarray

        return asarray(x, device=device, copy=copy)
    if not hasattr(x, "__dlpack__"):
        raise TypeError(f"from_dlpack: expected an object implementing __dlpack__, got {type(x).__name__}")
    src = get_backend(_device_of_dlpack(x))
    dst = src if device is None else _backend_of(device)
    if dst is not src:
        if copy is False:
            raise ValueError(f"from_dlpack: copy=False, but the data is on {src.device} and "
                             f"device={dst.device} needs a copy")
        t = wrap(src.from_dlpack(x, copy=None), src)
        return to_device(t, dst.device)
    t = wrap(dst.from_dlpack(x, copy=copy), dst)
    if not copy:
        mark_exported(t)
    return t


def _backend_of(device):
    from ._ops.creation import backend_for

    return backend_for(device)


# ----- moving between devices -------------------------------------------------------------
_TO_DEVICE = Op("to_device", ("x",), lambda g, source_device: to_device(g, source_device),
                grad_fn="ToCopyBackward0")


def _move_data(data, src, dst):
    """A copy of backend array `data` (from `src`) as an array of backend `dst`."""
    if src.device.type == "cpu" and dst.device.type == "cpu":
        try:
            return dst.from_dlpack(data, copy=True)
        except Exception:
            return dst.asarray(src.to_host(data), copy=True)
    host = src.to_host(data)
    return dst.from_host(host)


def to_device(t, device, /, *, stream=None):
    """`t` on `device`; the same tensor when it is already there (differentiable)."""
    dst = _backend_of(device)
    src = t._backend
    if dst is src:
        return t
    dst.to_native_dtype(t._dtype)  # TypeError for a dtype the target device cannot hold
    if stream is not None:
        dst.synchronize(stream)
    out = wrap(_move_data(t._data, src, dst), dst)
    if t._requires_grad and grad_enabled():
        record(_TO_DEVICE, (out,), (t,), {"source_device": src.device})
    return out


# ----- the NumPy bridge -------------------------------------------------------------------
def _require_cpu(t, what):
    if t._backend.device.type != "cpu":
        raise TypeError(f"can't convert {t.device} device type tensor to numpy. Use Tensor.cpu() "
                        f"to copy the tensor to host memory first ({what}).")


def to_numpy_array(t, dtype=None, copy=None):
    """`np.asarray(t)`: the same memory for CPU tensors (unless copy=True or a cast)."""
    _require_cpu(t, "__array__")
    if t._requires_grad:
        raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
    host = t._backend.to_host(t._data)
    import numpy as np

    if copy:
        return np.array(host, dtype=dtype, copy=True)
    out = np.asarray(host, dtype=dtype)
    if np.shares_memory(out, host) if out.size else True:
        mark_exported(t)
    elif copy is False:
        raise ValueError("__array__: copy=False, but a copy is needed for the requested dtype")
    return out


def numpy_view(t, force=False):
    """`t.numpy()`: a NumPy array sharing t's memory (PyTorch's rules)."""
    if t._requires_grad and not force:
        raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
    if t._backend.device.type != "cpu":
        if not force:
            raise TypeError(f"can't convert {t.device} device type tensor to numpy. Use Tensor.cpu() "
                            "to copy the tensor to host memory first.")
        import numpy as np

        return np.asarray(t._backend.to_host(t._data))
    arr = t._backend.to_host(t._data)
    mark_exported(t)
    return arr


D.Tensor = Tensor
