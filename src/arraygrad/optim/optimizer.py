"""`Optimizer`: the base class (PyTorch's `torch.optim.Optimizer`).

Parameters are held in groups, each a dict of the group's settings plus its "params" list;
per-parameter state (momentum buffers, moment estimates) lives in `state[param]`.

Steps update the parameters' storage in place, with backend arrays and no graph: the math
of a step is a handful of array expressions per parameter, so going through the op table
(wrapping, dtype checks) would cost more than the arithmetic itself on small models.
Backends whose arrays are immutable get the results written back (`store`).

PyTorch's implementation flags (`foreach`, `fused`, `capturable`, `differentiable`) are
accepted and kept in the groups, as PyTorch's are; they change nothing here (one
implementation, steps outside the graph).
"""

from __future__ import annotations

import functools
import itertools
import warnings
from collections import OrderedDict, defaultdict

from .._autograd.grad_mode import no_grad
from .._dispatch import Tensor, bump_version, wrap

__all__ = ["Optimizer", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]


class _Required:
    def __repr__(self):
        return "<required parameter>"


#: the default of a setting that every group must give (e.g. SGD's lr).
required = _Required()


def store(t, data) -> None:
    """Make tensor `t` hold backend array `data` (computed in place where the backend
    allows, so usually already `t`'s own; for a complex `t`, possibly the real view that
    array_of gave) and count the write."""
    if data is not t._data:
        if t._dtype.kind == "c" and data.dtype != t._data.dtype:
            data = _as_complex(data, t._data.dtype)
        if data is not t._data:
            t._data = t._backend.write(t._data, data)
    bump_version(t)


def array_of(t):
    """`t`'s backend array for a step's arithmetic: a complex tensor as real numbers, the
    real and imaginary parts side by side (PyTorch's view_as_real): the adaptive
    optimizers square, divide and take roots of each part, not of the complex number."""
    a = t._data
    if t._dtype.kind != "c":
        return a
    try:
        return a.view(a.real.dtype)  # NumPy, CuPy: a view, so in-place updates land in t
    except (AttributeError, TypeError, ValueError):
        xp = t._backend.xp
        return xp.stack([xp.real(a), xp.imag(a)], axis=-1)  # a copy: store() writes it back


def _as_complex(data, dtype):
    """The inverse of array_of's real form."""
    try:
        return data.view(dtype)
    except (AttributeError, TypeError, ValueError):
        return data[..., 0] + 1j * data[..., 1]


def zeros_state(p):
    """A zero tensor like parameter `p` (a fresh state buffer)."""
    b = p._backend
    return wrap(b.xp.zeros_like(p._data), b)


def step_gradient(p, group: dict, decoupled: bool = False):
    """(the step's gradient, p's array): p.grad, negated to maximize, plus weight_decay * p
    (L2); with decoupled decay (AdamW), p shrunk in place by lr * weight_decay instead."""
    g = array_of(p.grad)
    if group.get("maximize"):
        g = -g
    pd = array_of(p)
    weight_decay = group.get("weight_decay")
    if weight_decay:
        if decoupled:
            pd *= 1 - lr_of(group) * weight_decay
        else:
            g = g + weight_decay * pd
    return g, pd


def scalar_state(value):
    """A number of an optimizer's state as PyTorch keeps it (the step count, NAdam's
    mu_product, ASGD's eta and mu): a 0-d tensor on the CPU, float32 (float64 where that is
    the default dtype), whose rounding the update then sees, as PyTorch's does."""
    from .._config import get_default_dtype
    from .._ops.creation import backend_for

    b = backend_for("cpu")
    dtype = "float64" if get_default_dtype().name == "float64" else "float32"
    return wrap(b.xp.asarray(float(value), dtype=getattr(b.xp, dtype)), b)


def update_scalar(state: dict, key: str, value) -> float:
    """state[key] <- value (in place where it is a tensor, as PyTorch's); returns the value
    as stored (rounded to the tensor's dtype). A plain number there (older saved state) is
    replaced by a tensor."""
    t = state[key]
    if isinstance(t, Tensor) and t._backend.mutable_arrays and t._data.ndim == 0:
        t._data[...] = value
        bump_version(t)
    else:
        t = state[key] = scalar_state(value)
    return float(t._data)


def read_scalar(value) -> float:
    return float(value._data) if isinstance(value, Tensor) else float(value)


def lr_of(group: dict) -> float:
    """The group's learning rate as a float for the step's arithmetic: a tensor lr (PyTorch
    takes one, and schedulers fill it in place) stays a tensor in the group."""
    return read_scalar(group["lr"])


def _check_tensor_lr(lr) -> None:
    if isinstance(lr, Tensor) and lr.size != 1:
        raise ValueError(f"Tensor lr must be 1-element, got shape {tuple(lr.shape)}")


def advance_step(state: dict) -> int:
    """state["step"] += 1, in place as PyTorch's `step += 1` (a state_dict() taken earlier
    holds the same tensors, not copies: its count moves with the moments it also holds);
    returns the new count as an int, for the step's arithmetic."""
    n = int(read_scalar(state["step"])) + 1
    update_scalar(state, "step", n)
    return n


def check_setting(name: str, value, cls: str, low: float = 0.0, high: float | None = None) -> None:
    """A non-negative float setting (or in [low, high)): TypeError for what is not a number
    (PyTorch's comparison fails with one), ValueError for a number out of range."""
    if isinstance(value, Tensor) and value.dtype.kind in "iuf":  # PyTorch takes a tensor lr
        _check_tensor_lr(value)
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{cls}: invalid {name} {value!r} (expected a number, got {type(value).__name__})")
    if value < low or (high is not None and value >= high):
        bounds = f">= {low}" if high is None else f"in [{low}, {high})"
        raise ValueError(f"{cls}: invalid {name}: {value} (expected {bounds})")


class _HookHandle:
    """What register_step_pre_hook and the like return: `.remove()` unregisters the hook
    (also as a context manager, on exit)."""

    _ids = itertools.count()

    def __init__(self, hooks: OrderedDict, hook, prepend: bool = False) -> None:
        self._hooks, self.id = hooks, next(self._ids)
        hooks[self.id] = hook
        if prepend:
            hooks.move_to_end(self.id, last=False)

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


# hooks every optimizer runs around step() (register_optimizer_step_pre_hook / _post_hook)
_global_step_pre_hooks: OrderedDict = OrderedDict()
_global_step_post_hooks: OrderedDict = OrderedDict()


def _check_hook(hook, fname):
    if not callable(hook):
        raise TypeError(f"{fname}: hook must be callable, got {type(hook).__name__}")


def register_optimizer_step_pre_hook(hook) -> _HookHandle:
    """hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs), before every
    optimizer's step()."""
    _check_hook(hook, "register_optimizer_step_pre_hook")
    return _HookHandle(_global_step_pre_hooks, hook)


def register_optimizer_step_post_hook(hook) -> _HookHandle:
    """hook(optimizer, args, kwargs) -> None, after every optimizer's step()."""
    _check_hook(hook, "register_optimizer_step_post_hook")
    return _HookHandle(_global_step_post_hooks, hook)


def _with_step_hooks(step):
    """`step` running the global and the optimizer's own step hooks around it (once: a
    subclass's step calling super().step() runs them only in the outermost call)."""

    @functools.wraps(step)
    def hooked(self, *args, **kwargs):
        self._opt_called = True  # for the schedulers' "lr_scheduler.step() before optimizer.step()" warning
        pre, post = self.__dict__.get("_step_pre_hooks"), self.__dict__.get("_step_post_hooks")
        if (not pre and not post and not _global_step_pre_hooks and not _global_step_post_hooks) \
                or self.__dict__.get("_in_hooked_step"):
            return step(self, *args, **kwargs)
        args = (self,) + args  # as PyTorch's: the hooks see step's arguments, self first
        for hook in list(_global_step_pre_hooks.values()) + list((pre or {}).values()):
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"optimizer step pre hook must return None or a tuple of "
                                       f"(new_args, new_kwargs), but got {result!r}")
                args, kwargs = result
        self._in_hooked_step = True
        try:
            out = step(*args, **kwargs)
        finally:
            self._in_hooked_step = False
        for hook in list((post or {}).values()) + list(_global_step_post_hooks.values()):
            hook(self, args, kwargs)
        return out

    hooked._arraygrad_step_hooks = True
    return hooked


class Optimizer:
    """Base class: holds param groups and state; subclasses implement `step`.

    ``Optimizer(params, defaults)``: `params` is an iterable of tensors or of dicts (param
    groups: {"params": [...], setting: value}); settings missing from a group come from
    `defaults`.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and callable(step) and not getattr(step, "_arraygrad_step_hooks", False):
            cls.step = _with_step_hooks(step)

    def register_step_pre_hook(self, hook) -> _HookHandle:
        """hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs), before each step()."""
        _check_hook(hook, "register_step_pre_hook")
        return _HookHandle(self.__dict__.setdefault("_step_pre_hooks", OrderedDict()), hook)

    def register_step_post_hook(self, hook) -> _HookHandle:
        """hook(optimizer, args, kwargs) -> None, after each step()."""
        _check_hook(hook, "register_step_post_hook")
        return _HookHandle(self.__dict__.setdefault("_step_post_hooks", OrderedDict()), hook)

    # state entries that are numbers kept as 0-d tensors (scalar_state), not per-parameter arrays
    _scalar_state: tuple = ("step",)

    def _state_dict_hook(self, kind: str, hook, prepend: bool) -> _HookHandle:
        _check_hook(hook, f"register_{kind}_hook")
        return _HookHandle(self.__dict__.setdefault(f"_{kind}_hooks", OrderedDict()), hook, prepend)

    def _hooks_of(self, kind: str) -> list:
        return list(self.__dict__.get(f"_{kind}_hooks", {}).values())

    def register_state_dict_pre_hook(self, hook, prepend: bool = False) -> _HookHandle:
        """hook(optimizer) -> None, before state_dict() builds the dict."""
        return self._state_dict_hook("state_dict_pre", hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend: bool = False) -> _HookHandle:
        """hook(optimizer, state_dict) -> None or a replacement dict, after state_dict()."""
        return self._state_dict_hook("state_dict_post", hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend: bool = False) -> _HookHandle:
        """hook(optimizer, state_dict) -> None or the dict to load instead, before loading."""
        return self._state_dict_hook("load_state_dict_pre", hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend: bool = False) -> _HookHandle:
        """hook(optimizer) -> None, after load_state_dict() loaded."""
        return self._state_dict_hook("load_state_dict_post", hook, prepend)

    def __init__(self, params, defaults: dict) -> None:
        self.defaults = dict(defaults)
        _check_tensor_lr(self.defaults.get("lr"))
        # a defaultdict as PyTorch's: custom optimizers read `self.state[p]` before filling it
        self.state: dict = defaultdict(dict)
        self.param_groups: list[dict] = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {type(params).__name__}")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            if i:
                lines.append("")  # PyTorch's blank line between groups
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params")
        return "\n".join(lines) + "\n)"

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters (with its own settings) to optimize."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param group must be a dict, got {type(param_group).__name__}")
        params = param_group["params"] if "params" in param_group else None
        if params is None:
            raise ValueError("param group must have a 'params' entry")
        params = [params] if isinstance(params, Tensor) else list(params)
        names = None
        if params and all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in params):
            names, params = [p[0] for p in params], [p[1] for p in params]  # model.named_parameters()
        elif any(isinstance(p, tuple) for p in params):
            raise TypeError("optimizer params must be all Tensors or all (name, Tensor) pairs "
                            "(model.named_parameters())")
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}")
            if p.grad_fn is not None:
                raise ValueError("can't optimize a non-leaf Tensor")
        if len({id(p) for p in params}) != len(params):
            # PyTorch's warning (an error "in future"); the group keeps both entries, as there
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, "
                          "this will cause an error; see github.com/pytorch/pytorch/issues/40967 for "
                          "more information", stacklevel=3)
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in taken for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        group = dict(param_group, params=params)
        if names is not None:
            group["param_names"] = names  # PyTorch 2.6's key for named parameters
        _check_tensor_lr(group.get("lr"))
        for k, v in self.defaults.items():
            if v is required and k not in group:
                raise ValueError(f"parameter group didn't specify a value of required optimization "
                                 f"parameter {k}")
            group.setdefault(k, v)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient: to None (the default) or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if g.grad_fn is not None:
                        g = p.grad = g.detach()
                    with no_grad():
                        g[...] = 0

    def step(self, closure=None):
        raise NotImplementedError(f"{type(self).__name__} does not implement step()")

    def _closure_loss(self, closure):
        if closure is None:
            return None
        from .._autograd.grad_mode import enable_grad

        with enable_grad():
            return closure()

    # ----- state dicts ------------------------------------------------------------------
    def state_dict(self) -> dict:
        """{"state": {index: {...}}, "param_groups": [{..., "params": [index, ...]}]}:
        parameters are numbered in group order, so the dict holds no references to them."""
        for hook in self._hooks_of("state_dict_pre"):
            hook(self)
        index = {}
        groups = []
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": ids})
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if id(p) in index}
        out = {"state": state, "param_groups": groups}
        for hook in self._hooks_of("state_dict_post"):
            replaced = hook(self, out)
            if replaced is not None:
                out = replaced
        return out

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore settings and state from `state_dict` (as `state_dict()` made it, for the
        same parameters in the same order); state tensors move to their parameter's device,
        floating ones to its dtype."""
        for hook in self._hooks_of("load_state_dict_pre"):
            replaced = hook(self, state_dict)
            if replaced is not None:
                state_dict = replaced
        if not isinstance(state_dict, dict):
            raise TypeError(f"load_state_dict: expected a dict with 'state' and 'param_groups', got "
                            f"{type(state_dict).__name__}")
        if "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError("load_state_dict: expected a dict with 'state' and 'param_groups' "
                             "(from Optimizer.state_dict())")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(saved_groups)} parameter groups, the "
                             f"optimizer has {len(self.param_groups)}")
        by_index = {}
        for group, saved in zip(self.param_groups, saved_groups):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match "
                                 f"the size of optimizer's group ({len(saved['params'])} vs "
                                 f"{len(group['params'])} parameters)")
            by_index.update(zip(saved["params"], group["params"]))
        state = defaultdict(dict)
        for i, s in state_dict["state"].items():
            p = by_index.get(int(i))
            if p is None:
                raise ValueError(f"loaded state dict has state for parameter {i}, which is in no group")
            state[p] = {k: (_scalar_like(v) if k in self._scalar_state else _like_param(v, p))
                        for k, v in s.items()}
        self.state = state
        # settings a group lacks (a checkpoint from an older version) take the defaults, as
        # PyTorch's __setstate__ fills them in
        self.param_groups = [{**self.defaults, **saved, "params": group["params"]}
                             for group, saved in zip(self.param_groups, saved_groups)]
        for hook in self._hooks_of("load_state_dict_post"):
            hook(self)


def _scalar_like(value):
    """A loaded scalar state (state["step"], NAdam's mu_product, ...): a tensor stays a CPU
    scalar of the scalar dtype (PyTorch keeps the step there whatever the parameter's device
    or dtype), so that the loaded optimizer rounds as the saved one did; a number stays as
    it is."""
    return scalar_state(float(value._data)) if isinstance(value, Tensor) else value


def _like_param(value, p):
    """A state value on parameter `p`'s device (and dtype, for floating tensors); a copy."""
    if not isinstance(value, Tensor):
        return value
    v = value.to_device(p.device)
    if v.dtype.kind in "fc" and v.dtype is not p.dtype:
        v = v.astype(p.dtype)
    elif v is value:
        v = v.astype(v.dtype, copy=True)
    return v
