"""Anomaly detection (PyTorch's `detect_anomaly` / `set_detect_anomaly`).

While enabled, every recorded node keeps the stack of the forward call that made it
(`_dispatch.ANOMALY.capture`, called by `record`), and the engine checks each backward
result (`check_results`): a gradient with NaN raises RuntimeError naming the node and the
forward op, with the forward stack in the message. Any other error raised by a backward
rule gets the same forward stack attached as a note (`annotate`).
"""

from __future__ import annotations

import os
import traceback
import warnings

from .._dispatch import ANOMALY

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled"]

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _capture(node) -> None:
    """Remember where `node` was created (the user's frames; arraygrad's own are dropped)."""
    stack = traceback.extract_stack()
    frames = [f for f in stack[:-1] if not os.path.abspath(f.filename).startswith(_PKG_DIR)]
    node._anomaly = traceback.StackSummary.from_list(frames or stack[:-1])


def forward_trace(node) -> str:
    """The forward stack recorded for `node` ('' if it was made outside anomaly mode)."""
    stack = getattr(node, "_anomaly", None)
    if not stack:
        return ""
    return "".join(traceback.format_list(stack))


def _describe(node) -> str:
    op = node.op
    name = type(node).__name__
    return f"{name} (the backward of {op.name})" if op.name and op.name not in name else name


def check_results(node, results) -> None:
    """Raise RuntimeError if a gradient `node` produced holds NaN (anomaly mode)."""
    if not ANOMALY.check_nan:
        return
    for i, g in enumerate(results):
        if g is None or g._dtype.kind not in "fc":
            continue
        xp = g._backend.xp
        if bool(xp.any(xp.isnan(g._data))):
            trace = forward_trace(node)
            where = ("\nTraceback of the forward call that created it:\n" + trace) if trace else (
                "\n(the node was created outside anomaly mode: no forward traceback)")
            raise RuntimeError(f"Function '{type(node).__name__}' returned nan values in its {i}th "
                               f"output (the gradient for input {i} of {_describe(node)})." + where)


def annotate(node, exc: BaseException) -> None:
    """Attach `node`'s forward stack to an error raised by its backward (anomaly mode)."""
    trace = forward_trace(node)
    if not trace:
        return
    msg = f"Error detected in {type(node).__name__}. Traceback of forward call that caused the error:\n{trace}"
    if hasattr(exc, "add_note"):
        exc.add_note(msg)
    else:  # Python 3.10
        warnings.warn(msg, RuntimeWarning, stacklevel=2)


def _set(enabled: bool, check_nan: bool) -> None:
    ANOMALY.enabled = bool(enabled)
    ANOMALY.check_nan = bool(check_nan)
    ANOMALY.capture = _capture


def is_anomaly_enabled() -> bool:
    return ANOMALY.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return ANOMALY.check_nan


class detect_anomaly:
    """Context manager (and decorator) enabling anomaly detection in its block.

    Slows everything down (each node records a stack): use it to debug, not to train.
    """

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan
        self._prev = []
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self):
        self._prev.append((ANOMALY.enabled, ANOMALY.check_nan))
        _set(True, self.check_nan)
        return self

    def __exit__(self, *exc):
        _set(*self._prev.pop())
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self:  # re-entrant: the previous settings are a stack
                return fn(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """Turn anomaly detection on or off: at once as a call, or for a block as a context
    manager (the previous setting comes back on exit)."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self._prev = (ANOMALY.enabled, ANOMALY.check_nan)
        _set(mode, check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _set(*self._prev)
        return False
