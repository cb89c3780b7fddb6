"""`arraygrad.amp`: PyTorch's mixed-precision API (`torch.amp`, `torch.autocast`,
`torch.cuda.amp`), as the AMP recipe uses it:

    scaler = torch.amp.GradScaler(device, enabled=use_amp)
    with torch.autocast(device_type=device, dtype=torch.float16, enabled=use_amp):
        loss = loss_fn(model(x), y)
    scaler.scale(loss).backward(); scaler.step(optimizer); scaler.update()

`GradScaler` is PyTorch's dynamic loss scaling, in full: the loss is multiplied by the
scale, `unscale_`/`step` divide the gradients by it and skip the step when one of them is
inf or NaN, and `update` halves the scale after such a step and doubles it after
`growth_interval` clean ones. `autocast` marks its region (`is_autocast_enabled()` answers
True in it) but arraygrad has no autocasting: operations run in their inputs' dtypes, so
code written for AMP runs, in full precision (a warning says so, once).
"""

from __future__ import annotations

import contextvars
import functools
import math
import sys as _sys
import types as _types
import warnings

from . import cuda as _cuda

__all__ = ["GradScaler", "autocast", "is_autocast_enabled", "get_autocast_dtype"]

_DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu", "meta")
_autocast_state = contextvars.ContextVar("arraygrad_autocast", default=())  # ((device_type, dtype), ...)
_warned_no_autocast = False


def _device_type(device_type, fname):
    if not isinstance(device_type, str):
        raise TypeError(f"{fname}: device_type must be a str such as 'cuda' or 'cpu', got "
                        f"{type(device_type).__name__}")
    kind = device_type.split(":")[0]
    if kind not in _DEVICE_TYPES:
        raise RuntimeError(f"{fname}: expected one of {', '.join(_DEVICE_TYPES)} device type at start of "
                           f"device string: {device_type}")
    return kind


def _device_available(kind) -> bool:
    return kind == "cpu" or (kind == "cuda" and _cuda.is_available())


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Whether an enabled autocast region is active (for `device_type`; without it, for
    "cuda", as PyTorch's)."""
    kind = "cuda" if device_type is None else _device_type(device_type, "is_autocast_enabled")
    return any(k == kind for k, _ in _autocast_state.get())


def get_autocast_dtype(device_type: str):
    """The dtype the innermost enabled autocast region of `device_type` names (PyTorch's
    defaults, float16 on cuda and bfloat16 on cpu, outside one)."""
    kind = _device_type(device_type, "get_autocast_dtype")
    for k, dtype in reversed(_autocast_state.get()):
        if k == kind:
            return dtype
    return _default_dtype(kind)


def _default_dtype(kind):
    from . import _torch_dtypes

    return _torch_dtypes.bfloat16 if kind == "cpu" else _torch_dtypes.float16


class autocast:
    """PyTorch's `torch.autocast(device_type, dtype=None, enabled=True, cache_enabled=None)`,
    a context manager and decorator. arraygrad does not autocast: in an enabled region the
    operations still run in their inputs' dtypes (full precision; a warning says so once).
    Where the device type is not available (cuda without a GPU) the region is disabled with
    PyTorch's warning."""

    def __init__(self, device_type: str, dtype=None, enabled: bool = True, cache_enabled=None) -> None:
        self.device = _device_type(device_type, "autocast")
        self.fast_dtype = _default_dtype(self.device) if dtype is None else dtype
        if not isinstance(enabled, bool):
            raise TypeError(f"autocast: enabled must be a bool, got {type(enabled).__name__}")
        if enabled and not _device_available(self.device):
            warnings.warn(f"User provided device_type of '{self.device}', but {self.device.upper()} is "
                          "not available. Disabling autocast.", UserWarning, stacklevel=2)
            enabled = False
        self._enabled = enabled
        self._token = None

    def __enter__(self):
        global _warned_no_autocast
        if self._enabled:
            if not _warned_no_autocast:
                _warned_no_autocast = True
                warnings.warn("arraygrad has no autocasting: operations in this autocast region run in "
                              "their inputs' dtypes (full precision)", UserWarning, stacklevel=2)
            self._token = _autocast_state.set(_autocast_state.get() + ((self.device, self.fast_dtype),))
        return self

    def __exit__(self, *exc) -> None:
        if self._token is not None:
            _autocast_state.reset(self._token)
            self._token = None

    def __call__(self, func):
        @functools.wraps(func)
        def wrapped(*args, **kwargs):
            with autocast(self.device, self.fast_dtype, self._enabled):
                return func(*args, **kwargs)

        return wrapped


class GradScaler:
    """PyTorch's dynamic loss scaling (`torch.amp.GradScaler(device="cuda", init_scale=2.**16,
    growth_factor=2.0, backoff_factor=0.5, growth_interval=2000, enabled=True)`): see the
    module's doc. Disabled (enabled=False, or cuda without a GPU, with PyTorch's warning),
    scale() returns its argument, step() is optimizer.step() and update() does nothing."""

    def __init__(self, device: str = "cuda", init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000, enabled: bool = True) -> None:
        self._device = _device_type(device, "GradScaler")
        if not isinstance(enabled, bool):
            raise TypeError(f"GradScaler: enabled must be a bool, got {type(enabled).__name__}")
        for name, value, ok, want in (("init_scale", init_scale, lambda v: v > 0, "> 0"),
                                      ("growth_factor", growth_factor, lambda v: v > 1.0, "> 1.0"),
                                      ("backoff_factor", backoff_factor, lambda v: 0 < v < 1.0, "in (0, 1)")):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not ok(value):
                raise ValueError(f"GradScaler: {name} must be a number {want}, got {value!r}")
        if isinstance(growth_interval, bool) or not isinstance(growth_interval, int) or growth_interval <= 0:
            raise ValueError(f"GradScaler: growth_interval must be a positive int, got {growth_interval!r}")
        if enabled and not _device_available(self._device):
            warnings.warn(f"torch.{self._device}.amp.GradScaler is enabled, but {self._device.upper()} is not "
                          "available.  Disabling.", UserWarning, stacklevel=2)
            enabled = False
        self._enabled = enabled
        self._scale = float(init_scale)
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = growth_interval
        self._growth_tracker = 0
        self._per_optimizer: dict[int, dict] = {}  # id(optimizer) -> {"unscaled", "stepped", "found_inf"}

    # ----- scaling ------------------------------------------------------------------------
    def scale(self, outputs):
        """outputs * scale (a tensor, or tensors in lists/tuples/dicts)."""
        if not self._enabled:
            return outputs
        from ._dispatch import Tensor

        def apply(v):
            if isinstance(v, Tensor):
                return v * self._scale
            if isinstance(v, (list, tuple)):
                return type(v)(apply(x) for x in v)
            if isinstance(v, dict):
                return {k: apply(x) for k, x in v.items()}
            raise TypeError(f"GradScaler.scale: outputs must be a tensor or lists/tuples of tensors, "
                            f"got {type(v).__name__}")

        return apply(outputs)

    def _state(self, optimizer) -> dict:
        return self._per_optimizer.setdefault(id(optimizer), {"unscaled": False, "stepped": False,
                                                              "found_inf": False})

    def unscale_(self, optimizer) -> None:
        """Divide `optimizer`'s gradients by the scale in place (once per update()), noting
        whether any is inf or NaN (then step() skips the optimizer's step)."""
        if not self._enabled:
            return
        state = self._state(optimizer)
        if state["unscaled"]:
            raise RuntimeError("unscale_() has already been called on this optimizer since the last update().")
        if state["stepped"]:
            raise RuntimeError("unscale_() is being called after step().")
        from ._autograd.grad_mode import no_grad

        inv = 1.0 / self._scale
        found = False
        with no_grad():
            for group in optimizer.param_groups:
                for p in group["params"]:
                    g = p.grad
                    if g is None:
                        continue
                    g.mul_(inv)
                    if not found:
                        total = float(g.abs().sum().item()) if g.dtype.kind != "c" else float(abs(g).sum().item())
                        found = not math.isfinite(total)
        state["unscaled"], state["found_inf"] = True, found

    def step(self, optimizer, *args, **kwargs):
        """unscale_ (unless done already), then optimizer.step(*args, **kwargs) unless a
        gradient was inf or NaN (then the step is skipped and None returned)."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        state = self._state(optimizer)
        if state["stepped"]:
            raise RuntimeError("step() has already been called since the last update().")
        if not state["unscaled"]:
            self.unscale_(optimizer)
        state["stepped"] = True
        if state["found_inf"]:
            return None
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None) -> None:
        """Set the next scale: `new_scale` if given, else halved (backoff_factor) after a
        skipped step, doubled (growth_factor) after growth_interval clean ones."""
        if not self._enabled:
            return
        if new_scale is not None:
            value = float(new_scale.item()) if hasattr(new_scale, "item") else new_scale
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"GradScaler.update: new_scale must be a positive number, got {new_scale!r}")
            self._scale = float(value)
        else:
            if not self._per_optimizer:
                raise RuntimeError("No inf checks were recorded prior to update.")
            if any(s["found_inf"] for s in self._per_optimizer.values()):
                self._scale *= self._backoff_factor
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    self._scale *= self._growth_factor
                    self._growth_tracker = 0
        self._per_optimizer = {}

    # ----- settings and state -------------------------------------------------------------
    def is_enabled(self) -> bool:
        return self._enabled

    def get_scale(self) -> float:
        return self._scale if self._enabled else 1.0

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = float(new_factor)

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = float(new_factor)

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = int(new_interval)

    def state_dict(self) -> dict:
        """PyTorch's keys ({} when disabled)."""
        if not self._enabled:
            return {}
        return {"scale": self._scale, "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])


# ----- torch.cuda.amp: the deprecated spellings -------------------------------------------
def _cuda_grad_scaler(init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000,
                      enabled=True):
    warnings.warn("`torch.cuda.amp.GradScaler(args...)` is deprecated. Please use "
                  "`torch.amp.GradScaler('cuda', args...)` instead.", FutureWarning, stacklevel=2)
    return GradScaler("cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled)


def _cuda_autocast(enabled=True, dtype=None, cache_enabled=True):
    warnings.warn("`torch.cuda.amp.autocast(args...)` is deprecated. Please use "
                  "`torch.amp.autocast('cuda', args...)` instead.", FutureWarning, stacklevel=2)
    from . import _dtypes

    return autocast("cuda", _dtypes.float16 if dtype is None else dtype, enabled, cache_enabled)


cuda_amp = _types.ModuleType("arraygrad.cuda.amp", "PyTorch's deprecated torch.cuda.amp: GradScaler, autocast.")
cuda_amp.GradScaler = _cuda_grad_scaler
cuda_amp.autocast = _cuda_autocast
_cuda.amp = cuda_amp
_sys.modules["arraygrad.cuda.amp"] = cuda_amp
