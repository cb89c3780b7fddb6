"""`arraygrad.testing`: PyTorch's `torch.testing.assert_close` (and `make_tensor`'s simple
cases are left out): tensors, numbers and containers of them compared elementwise with
dtype-dependent default tolerances."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

__all__ = ["assert_close"]

# PyTorch's defaults: (rtol, atol) by dtype
_TOLERANCES = {"float16": (1e-3, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7),
               "complex64": (1.3e-6, 1e-5), "complex128": (1e-7, 1e-7)}


def _default_tolerances(*dtype_names):
    rtols, atols = zip(*(_TOLERANCES.get(n, (0.0, 0.0)) for n in dtype_names))
    return max(rtols), max(atols)


def _fail(msg, default):
    if callable(msg):
        raise AssertionError(msg(default))
    raise AssertionError(default if msg is None else msg)


def assert_close(actual, expected, *, allow_subclasses: bool = True, rtol=None, atol=None,
                 equal_nan: bool = False, check_device: bool = True, check_dtype: bool = True,
                 check_layout: bool = True, check_stride: bool = False, msg=None) -> None:
    """Raise AssertionError unless `actual` and `expected` are close: for each pair of
    tensors (or numbers), same shape (and dtype and device, unless told not to check) and
    |actual - expected| <= atol + rtol * |expected| elementwise (NaNs equal with
    equal_nan). Sequences and mappings are compared item by item. rtol and atol go
    together; by default they depend on the dtypes (float32: 1.3e-6 and 1e-5)."""
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                         f"{'rtol' if rtol is None else 'atol'}.")
    _compare(actual, expected, rtol, atol, equal_nan, check_device, check_dtype, msg, ())


def _where(path):
    return "" if not path else " at " + "".join(f"[{p!r}]" for p in path)


def _compare(actual, expected, rtol, atol, equal_nan, check_device, check_dtype, msg, path):
    import numpy as np

    from ._dispatch import Tensor

    if isinstance(actual, Tensor) or isinstance(expected, Tensor):
        if not (isinstance(actual, Tensor) and isinstance(expected, Tensor)):
            if isinstance(actual, (bool, int, float, complex)) or isinstance(expected, (bool, int, float, complex)):
                raise TypeError(f"assert_close: comparing a {type(actual).__name__} with a "
                                f"{type(expected).__name__}{_where(path)}: both inputs must be tensors "
                                "(or both numbers)")
            raise TypeError(f"assert_close: no comparison of a {type(actual).__name__} with a "
                            f"{type(expected).__name__}{_where(path)}")
        a_name, e_name = actual.dtype.name, expected.dtype.name
        if tuple(actual.shape) != tuple(expected.shape):
            _fail(msg, f"The values for attribute 'shape' do not match: {tuple(actual.shape)} != "
                       f"{tuple(expected.shape)}.{_where(path)}")
        if check_device and str(actual.device) != str(expected.device):
            _fail(msg, f"The values for attribute 'device' do not match: {actual.device} != "
                       f"{expected.device}.{_where(path)}")
        if check_dtype and a_name != e_name:
            _fail(msg, f"The values for attribute 'dtype' do not match: {actual.dtype} != "
                       f"{expected.dtype}.{_where(path)}")
        a = np.asarray(actual.detach().cpu().numpy() if hasattr(actual, "cpu") else actual)
        e = np.asarray(expected.detach().cpu().numpy() if hasattr(expected, "cpu") else expected)
        names = (a_name, e_name)
        kind = "Tensor-likes"
    elif isinstance(actual, (bool, int, float, complex)) and isinstance(expected, (bool, int, float, complex)):
        if check_dtype and type(actual) is not type(expected):
            _fail(msg, f"The values for attribute 'dtype' do not match: {type(actual).__name__} != "
                       f"{type(expected).__name__}.{_where(path)}")
        a, e = np.asarray(actual), np.asarray(expected)
        names = tuple({"float": "float64", "complex": "complex128"}.get(type(v).__name__, "int64")
                      for v in (actual, expected))
        kind = "Scalars"
    elif isinstance(actual, Mapping) and isinstance(expected, Mapping):
        if set(actual) != set(expected):
            _fail(msg, f"The keys of the mappings do not match{_where(path)}: {sorted(map(repr, actual))} != "
                       f"{sorted(map(repr, expected))}")
        for k in actual:
            _compare(actual[k], expected[k], rtol, atol, equal_nan, check_device, check_dtype, msg, path + (k,))
        return
    elif (isinstance(actual, Sequence) and isinstance(expected, Sequence)
          and not isinstance(actual, (str, bytes)) and not isinstance(expected, (str, bytes))):
        if len(actual) != len(expected):
            _fail(msg, f"The length of the sequences mismatch: {len(actual)} != {len(expected)}{_where(path)}")
        for i, (x, y) in enumerate(zip(actual, expected)):
            _compare(x, y, rtol, atol, equal_nan, check_device, check_dtype, msg, path + (i,))
        return
    else:
        if actual is None and expected is None:
            return
        raise TypeError(f"assert_close: no comparison of a {type(actual).__name__} with a "
                        f"{type(expected).__name__}{_where(path)} (tensors, numbers, and sequences or "
                        "mappings of them are compared)")
    r, t = (rtol, atol) if rtol is not None else _default_tolerances(*names)
    if a.dtype.kind == "b" or e.dtype.kind == "b":
        close = a == e
    else:
        a64 = a.astype(np.complex128 if "c" in (a.dtype.kind, e.dtype.kind) else np.float64)
        e64 = e.astype(a64.dtype)
        close = np.isclose(a64, e64, rtol=r, atol=t, equal_nan=equal_nan)
    close = np.asarray(close)
    if close.all():
        return
    bad = int((~close).sum())
    total = close.size
    lines = [f"{kind} are not close!", ""]
    if close.ndim == 0:
        lines.append(f"Expected {e.item()} but got {a.item()}.")
        diff = abs(a.item() - e.item()) if a.dtype.kind != "b" else float("nan")
        lines.append(f"Absolute difference: {diff} (up to {t} allowed)")
        rel = diff / abs(e.item()) if a.dtype.kind != "b" and e.item() != 0 else math.inf
        lines.append(f"Relative difference: {rel} (up to {r} allowed)")
    else:
        lines.append(f"Mismatched elements: {bad} / {total} ({100 * bad / total:.1f}%)")
        if a.dtype.kind != "b":
            d = np.abs(a.astype(np.complex128 if a.dtype.kind == "c" else np.float64) - e)
            d = np.where(np.isnan(d), np.inf, d)
            idx = np.unravel_index(int(np.argmax(d)), d.shape)
            lines.append(f"Greatest absolute difference: {d[idx]} at index {idx} (up to {t} allowed)")
            with np.errstate(divide="ignore", invalid="ignore"):
                rel = d / np.abs(e)
            rel = np.where(np.isnan(rel), np.inf, rel)
            ridx = np.unravel_index(int(np.argmax(rel)), rel.shape)
            lines.append(f"Greatest relative difference: {rel[ridx]} at index {ridx} (up to {r} allowed)")
    if path:
        lines.append("")
        lines.append(f"The failure occurred for item {''.join(f'[{p!r}]' for p in path)}")
    _fail(msg, "\n".join(lines))
