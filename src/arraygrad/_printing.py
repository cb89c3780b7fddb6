"""`repr(tensor)` as PyTorch prints it, and `set_printoptions`.

The layout follows torch/_tensor_str.py: one formatter per tensor (integer-valued floats
print as "1.", 4 decimals by default, scientific notation when the magnitudes span more
than 1000x or leave [1e-4, 1e8]), rows wrapped at `linewidth`, and tensors with more than
`threshold` elements summarized with "..." around `edgeitems` items per side. Only the
summarized values leave the device; the formatting itself is plain Python.
"""

from __future__ import annotations

import contextlib
import math

from . import _dtypes

__all__ = ["set_printoptions", "get_printoptions", "printoptions"]


class _PrintOptions:
    __slots__ = ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")

    def __init__(self):
        self.precision = 4
        self.threshold = 1000
        self.edgeitems = 3
        self.linewidth = 80
        self.sci_mode = None


OPTIONS = _PrintOptions()
_PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80), "full": (4, math.inf, 3, 80)}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None) -> None:
    """Set how tensors print (PyTorch's options; `sci_mode=None` chooses automatically)."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: profile must be one of {sorted(_PROFILES)}, got {profile!r}")
        OPTIONS.precision, OPTIONS.threshold, OPTIONS.edgeitems, OPTIONS.linewidth = _PROFILES[profile]
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"set_printoptions: {name} must be a non-negative number, got {value!r}")
            setattr(OPTIONS, name, value)
    if sci_mode is not None and not isinstance(sci_mode, bool):
        raise TypeError(f"set_printoptions: sci_mode must be True, False or None, got {sci_mode!r}")
    OPTIONS.sci_mode = sci_mode


def get_printoptions() -> dict:
    """The current options, as keyword arguments for `set_printoptions`."""
    return {n: getattr(OPTIONS, n) for n in _PrintOptions.__slots__}


@contextlib.contextmanager
def printoptions(**kwargs):
    """Print with other options inside a `with` block."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


# ----- formatting values ------------------------------------------------------------------
class _Formatter:
    """How every value of one tensor (or of its real or imaginary parts) prints."""

    __slots__ = ("floating", "int_mode", "sci_mode", "width")

    def __init__(self, values, floating: bool):
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        p = OPTIONS.precision
        if not floating:
            self.width = max((len(str(v)) for v in values), default=1)
            return
        finite = [v for v in values if v != 0 and math.isfinite(v)]
        if not finite:
            return
        mags = [abs(v) for v in finite]
        lo, hi = min(mags), max(mags)
        self.int_mode = all(v == math.ceil(v) for v in finite)
        auto = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        self.sci_mode = auto if OPTIONS.sci_mode is None else OPTIONS.sci_mode
        if self.sci_mode:
            self.width = max(len(f"{v:.{p}e}") for v in finite)
        elif self.int_mode:
            self.width = max(len(f"{v:.0f}") + 1 for v in finite)
        else:
            self.width = max(len(f"{v:.{p}f}") for v in finite)

    def format(self, v) -> str:
        if not self.floating:
            s = str(v)
        elif self.sci_mode:
            s = f"{v:{self.width}.{OPTIONS.precision}e}"
        elif self.int_mode:
            s = f"{v:.0f}"
            if math.isfinite(v):
                s += "."
        else:
            s = f"{v:.{OPTIONS.precision}f}"
        return " " * (self.width - len(s)) + s


class _ComplexFormatter:
    __slots__ = ("real", "imag", "width")

    def __init__(self, values):
        self.real = _Formatter([v.real for v in values], True)
        self.imag = _Formatter([v.imag for v in values], True)
        self.width = self.real.width + self.imag.width + 1

    def format(self, v) -> str:
        re = self.real.format(v.real)
        im = (self.imag.format(v.imag) + "j").lstrip()
        return re + im if im[0] in "+-" else re + "+" + im


# ----- layout -----------------------------------------------------------------------------
_ELLIPSIS = object()


def _summarize(data, shape, e, xp):
    """The backend array cut to `e` items at each end of every long axis (what prints)."""
    for axis, n in enumerate(shape):
        if n > 2 * e:
            pre = (slice(None),) * axis
            data = xp.concat([data[pre + (slice(0, e),)], data[pre + (slice(n - e, n),)]], axis=axis)
    return data


def _insert_ellipses(nested, shape, e):
    """Mark where `_summarize` cut: the nested lists get an _ELLIPSIS between the ends."""
    if not shape:
        return nested
    inner = [_insert_ellipses(v, shape[1:], e) for v in nested] if len(shape) > 1 else nested
    if shape[0] > 2 * e:
        return inner[:e] + [_ELLIPSIS] + inner[e:]
    return inner


def _flat(nested, depth):
    if depth == 0:
        yield nested
        return
    for v in nested:
        if v is not _ELLIPSIS:
            yield from _flat(v, depth - 1)


def _vector(values, indent, fmt):
    per_line = max(1, math.floor((OPTIONS.linewidth - indent) / (fmt.width + 2)))
    items = [" ..." if v is _ELLIPSIS else fmt.format(v) for v in values]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _block(nested, ndim, indent, fmt):
    if ndim == 0:
        return fmt.format(nested)
    if ndim == 1:
        return _vector(nested, indent, fmt)
    parts = ["..." if v is _ELLIPSIS else _block(v, ndim - 1, indent + 1, fmt) for v in nested]
    return "[" + ("," + "\n" * (ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def tensor_body(t, indent: int) -> str:
    """The bracketed values of `t` as PyTorch lays them out at column `indent`."""
    shape = tuple(t.shape)
    numel = math.prod(shape)
    if numel == 0:
        return "[]"
    e = int(OPTIONS.edgeitems)
    summarize = numel > OPTIONS.threshold
    data = t._data
    if summarize and e == 0:
        return "[...]"
    if summarize:
        data = _summarize(data, shape, e, t._backend.xp)
    nested = t._backend.to_host(data).tolist()
    if summarize:
        nested = _insert_ellipses(nested, shape, e)
    kind = t._dtype.kind
    values = list(_flat(nested, len(shape)))
    fmt = _ComplexFormatter(values) if kind == "c" else _Formatter(values, kind == "f")
    return _block(nested, len(shape), indent, fmt)


def _with_suffixes(text, suffixes, indent):
    out = [text]
    last = len(text) - text.rfind("\n") + 1
    for s in suffixes:
        # measured as PyTorch's `torch.` spelling, so lines break where PyTorch's do
        n = len(s) - 4 * s.count("arraygrad.")
        if last + n + 2 > OPTIONS.linewidth:
            out.append(",\n" + " " * indent + s)
            last = indent + n
        else:
            out.append(", " + s)
            last += n + 2
    out.append(")")
    return "".join(out)


def _shows_device(dev) -> bool:
    from ._config import default_device

    default = default_device()
    if dev.type != default.type:
        return True
    return dev.type != "cpu" and dev.index != (default.index or 0)


def tensor_repr(t) -> str:
    """PyTorch's `repr(tensor)`: values, then device, dtype and autograd suffixes."""
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    if _shows_device(t.device):
        suffixes.append(f"device='{t.device}'")
    d = t._dtype
    shape = tuple(t.shape)
    if math.prod(shape) == 0:
        if len(shape) != 1:
            suffixes.append(f"size={shape}")
        if d is not _dtypes.DEFAULT_FLOAT:
            suffixes.append(f"dtype={d!r}")
        body = "[]"
    else:
        if not OPTIONS.edgeitems:
            suffixes.append(f"size={shape}")
        if d not in (_dtypes.DEFAULT_FLOAT, _dtypes.DEFAULT_COMPLEX, _dtypes.int64, _dtypes.bool):
            suffixes.append(f"dtype={d!r}")
        body = tensor_body(t, indent)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{type(t.grad_fn).__name__}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(prefix + body, suffixes, indent)
