"""`Module`: the base class of layers (PyTorch's `torch.nn.Module`).

A module registers what is assigned to it: `Parameter`s, sub-`Module`s and (through
`register_buffer`) non-learnable tensors such as running statistics. Each kind lives in its
own dict; attribute reads fall back to them (`__getattr__`), attribute writes route into them
(`__setattr__`), so ``self.weight`` works as a plain attribute while `parameters()`,
`state_dict()` and `to()` find everything by walking the dicts.

Calling a module runs PyTorch's hook protocol (`_call_with_hooks`): forward pre-hooks and
hooks (global ones first), and full backward hooks, which wrap the module's tensor inputs and
outputs in identity nodes (`BackwardHookFunction`) whose backward sees, and may replace,
grad_output and grad_input. `state_dict()` / `load_state_dict()` recurse through each module's
`_save_to_state_dict` / `_load_from_state_dict` with PyTorch's `_metadata` ({"version":
cls._version} per module prefix) and state-dict hooks, so subclasses convert old checkpoint
layouts by version as in PyTorch.
"""

from __future__ import annotations

import contextvars
import itertools
import warnings
from collections import OrderedDict, namedtuple
from collections.abc import Mapping
from typing import Callable, Iterator

from .._autograd.function import Function
from .._autograd.grad_mode import no_grad
from .._dispatch import GRAD_ENABLED, Tensor
from .parameter import Buffer, Parameter

__all__ = ["Module", "register_module_forward_pre_hook", "register_module_forward_hook",
           "register_module_full_backward_pre_hook", "register_module_full_backward_hook"]


class RemovableHandle:
    """What every `register_*hook` returns: `remove()` takes the hook out of the dicts it was
    registered in (PyTorch's `torch.utils.hooks.RemovableHandle`; also a context manager)."""

    _next_id = 0

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict = hooks_dict
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1
        if extra_dict is None:
            extra_dict = ()
        elif isinstance(extra_dict, dict):
            extra_dict = (extra_dict,)
        self.extra_dicts = tuple(extra_dict)

    def remove(self) -> None:
        self.hooks_dict.pop(self.id, None)
        for d in self.extra_dicts:
            d.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _add_hook(hooks: dict, hook, what: str, *, prepend: bool = False, flags=()):
    """Register `hook` in the ordered dict `hooks` (first with prepend=True); `flags` are
    dicts that mark it (with_kwargs, always_call)."""
    if not callable(hook):
        raise TypeError(f"{what}: hook must be callable, got {type(hook).__name__}")
    handle = RemovableHandle(hooks, extra_dict=list(flags))
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    for d in flags:
        d[handle.id] = True
    return handle


# Hooks of every module (PyTorch's torch.nn.modules.module.register_module_*_hook)
_global_forward_pre_hooks: OrderedDict = OrderedDict()
_global_forward_hooks: OrderedDict = OrderedDict()
_global_forward_hooks_always_called: OrderedDict = OrderedDict()
_global_forward_hooks_with_kwargs: OrderedDict = OrderedDict()
_global_backward_pre_hooks: OrderedDict = OrderedDict()
_global_backward_hooks: OrderedDict = OrderedDict()


def register_module_forward_pre_hook(hook: Callable) -> RemovableHandle:
    """hook(module, args) -> None or new args, before every module's forward."""
    return _add_hook(_global_forward_pre_hooks, hook, "register_module_forward_pre_hook")


def register_module_forward_hook(hook: Callable, *, with_kwargs: bool = False,
                                 always_call: bool = False) -> RemovableHandle:
    """hook(module, args[, kwargs], output) -> None or a new output, after every module's forward."""
    flags = ([_global_forward_hooks_with_kwargs] if with_kwargs else []) + \
        ([_global_forward_hooks_always_called] if always_call else [])
    return _add_hook(_global_forward_hooks, hook, "register_module_forward_hook", flags=flags)


def register_module_full_backward_pre_hook(hook: Callable) -> RemovableHandle:
    """hook(module, grad_output) -> None or new grad_output, for every module."""
    return _add_hook(_global_backward_pre_hooks, hook, "register_module_full_backward_pre_hook")


def register_module_full_backward_hook(hook: Callable) -> RemovableHandle:
    """hook(module, grad_input, grad_output) -> None or new grad_input, for every module."""
    return _add_hook(_global_backward_hooks, hook, "register_module_full_backward_hook")


# ----- full backward hooks ------------------------------------------------------------------
class BackwardHookFunction(Function):
    """Identity on the tensors given; its backward hands their gradients to a callback, which
    may replace them (how a module's full backward hooks see its inputs' and outputs'
    gradients, as PyTorch's)."""

    @staticmethod
    def forward(ctx, callback, materialize, *tensors):
        ctx.callback = callback
        # On the outputs' side a gradient that never came stays None (PyTorch's grad_output);
        # the inputs' side sees zeros for it, as PyTorch's grad_input
        ctx.set_materialize_grads(materialize)
        ctx.mark_non_differentiable(*[t for t in tensors if not t.requires_grad])
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        return (None, None, *ctx.callback(grads))


class _BackwardHook:
    """One forward call's backward hooks (PyTorch's `torch.utils.hooks.BackwardHook`): the
    outputs' identity node records grad_output (running the pre-hooks, which may replace it),
    the inputs' identity node then calls the full hooks with (grad_input, grad_output)."""

    def __init__(self, module, user_hooks, user_pre_hooks):
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs = None
        self.n_inputs = self.n_outputs = -1
        self.input_tensors_index = self.output_tensors_index = None

    @staticmethod
    def _pack_with_none(indices, values, size):
        res = [None] * size
        for idx, val in zip(indices, values):
            res[idx] = val
        return tuple(res)

    def _apply_on_tensors(self, callback, args, materialize):
        idx = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        if not (GRAD_ENABLED.get() and any(args[i].requires_grad for i in idx)):
            return args, None
        new = BackwardHookFunction.apply(callback, materialize, *[args[i] for i in idx])
        out = list(args)
        for i, t in zip(idx, new):
            out[i] = t
        return (tuple(out) if type(args) is tuple else type(args)(*out)), idx  # namedtuples stay

    def _on_input_grads(self, grads):
        if self.grad_outputs is None:  # reached the inputs without passing the outputs
            return grads
        res = self._pack_with_none(self.input_tensors_index, grads, self.n_inputs)
        for hook in self.user_hooks:
            out = hook(self.module, res, self.grad_outputs)
            if out is None:
                continue
            if not isinstance(out, (tuple, list)) or len(out) != len(res):
                got = len(out) if isinstance(out, (tuple, list)) else type(out).__name__
                raise RuntimeError("Backward hook returned an invalid number of grad_input, "
                                   f"got {got}, but expected {len(res)}")
            res = tuple(out)
        self.grad_outputs = None
        return tuple(res[i] for i in self.input_tensors_index)

    def _on_output_grads(self, grads):
        self.grad_outputs = self._pack_with_none(self.output_tensors_index, grads, self.n_outputs)
        for hook in self.user_pre_hooks:
            out = hook(self.module, self.grad_outputs)
            if out is None:
                continue
            if not isinstance(out, (tuple, list)) or len(out) != len(self.grad_outputs):
                got = len(out) if isinstance(out, (tuple, list)) else type(out).__name__
                raise RuntimeError("Backward pre hook returned an invalid number of grad_output, "
                                   f"got {got}, but expected {len(self.grad_outputs)}")
            self.grad_outputs = tuple(out)
        local = self.grad_outputs
        if self.input_tensors_index is None:  # no input requires grad: call the hooks here
            warnings.warn("Full backward hook is firing when gradients are computed with respect "
                          "to module outputs since no inputs require gradients.", stacklevel=2)
            grad_inputs = (None,) * self.n_inputs
            for hook in self.user_hooks:
                res = hook(self.module, grad_inputs, self.grad_outputs)
                if res is not None and not (isinstance(res, tuple) and all(e is None for e in res)):
                    raise RuntimeError("Backward hook for Modules where no input requires gradient "
                                       "should always return None or None for all gradients.")
            self.grad_outputs = None
        return tuple(local[i] for i in self.output_tensors_index)

    def setup_input_hook(self, args):
        res, self.input_tensors_index = self._apply_on_tensors(self._on_input_grads, args, True)
        self.n_inputs = len(args)
        return res

    def setup_output_hook(self, result):
        single = not isinstance(result, tuple)
        args = (result,) if single else result
        res, self.output_tensors_index = self._apply_on_tensors(self._on_output_grads, args, False)
        self.n_outputs = len(args)
        return res[0] if single else res


class _NonFullBackwardHook:
    """A forward hook that puts a (deprecated, non-full) backward hook on the node that made
    the output: hook(module, grad_input, grad_output) with that node's gradients."""

    def __init__(self, hook):
        self.hook = hook

    def __call__(self, module, args, result):
        var = result
        while not isinstance(var, Tensor):
            if isinstance(var, dict):
                var = next((v for v in var.values() if isinstance(v, Tensor)), None)
            elif isinstance(var, (tuple, list)) and var:
                var = var[0]
            else:
                return None
            if var is None:
                return None
        if var.grad_fn is None:
            return None
        user_hook = self.hook

        def node_hook(grad_inputs, grad_outputs):
            if user_hook(module, grad_inputs, grad_outputs) is not None:
                raise RuntimeError("register_backward_hook: returning a new grad_input is not supported "
                                   "by arraygrad's non-full backward hooks; use "
                                   "register_full_backward_hook")

        var.grad_fn.register_hook(node_hook)
        return None


# ----- state dicts ------------------------------------------------------------------------
_PENDING_WRITES = contextvars.ContextVar("arraygrad_pending_state_writes", default=None)
_EXTRA_STATE_KEY_SUFFIX = "_extra_state"
_HOOK_DICTS = ("_forward_pre_hooks", "_forward_pre_hooks_with_kwargs", "_forward_hooks",
               "_forward_hooks_with_kwargs", "_forward_hooks_always_called", "_backward_pre_hooks",
               "_backward_hooks", "_state_dict_pre_hooks", "_state_dict_hooks",
               "_load_state_dict_pre_hooks", "_load_state_dict_post_hooks")

class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """load_state_dict's result, PyTorch's: (missing_keys, unexpected_keys), printed
    `<All keys matched successfully>` when both are empty."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


IncompatibleKeys = _IncompatibleKeys


def _check_name(owner, name, what: str, registry: dict) -> None:
    """PyTorch's checks of a name to register in `registry`: a string without dots that no
    other attribute (a parameter, buffer, child, method or plain attribute) holds yet."""
    if not isinstance(name, str):
        raise TypeError(f"{what} name should be a string, got {type(name).__name__}")
    if not name or "." in name:
        raise KeyError(f"{what} name must be non-empty and contain no dot, got {name!r}")
    if name not in registry and hasattr(owner, name):
        raise KeyError(f"attribute '{name}' already exists")


def _indent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    return lines[0] + "".join("\n" + " " * spaces + line for line in lines[1:])


def _move(t, fn) -> None:
    """Put `fn(t)`'s values into tensor `t` itself (its storage, device and dtype change; the
    object, which optimizers and user code hold on to, stays the same)."""
    new = fn(t)
    if new is t:
        return
    t._data = new._data
    t._backend = new._backend
    t._dtype = new._dtype
    t._base = None  # the new storage is its own
    t._vc = None


class Module:
    """Base class of layers: subclass it, assign layers and Parameters in `__init__`, and
    write `forward`. Calling the module runs `forward` (and any forward hooks)."""

    training: bool

    def __init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "training", True)
        set_(self, "_parameters", {})
        set_(self, "_buffers", {})
        set_(self, "_non_persistent", set())
        set_(self, "_modules", {})
        for name in _HOOK_DICTS:
            set_(self, name, OrderedDict())

    # the version of this class's state-dict layout, saved in state_dict()._metadata and
    # handed to _load_from_state_dict (a subclass bumps it when it changes its layout)
    _version: int = 1

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in _HOOK_DICTS:  # modules pickled before these existed
            if name not in self.__dict__:
                object.__setattr__(self, name, OrderedDict())
        if "_non_persistent" not in self.__dict__:
            object.__setattr__(self, "_non_persistent", set())

    @property
    def _non_persistent_buffers_set(self) -> set:
        """PyTorch's name for the non-persistent buffers' names."""
        return self._non_persistent

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"Module [{type(self).__name__}] is missing the required "
                                  "\"forward\" function")

    def __call__(self, *args, **kwargs):
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks
                or self._backward_pre_hooks or _global_forward_pre_hooks or _global_forward_hooks
                or _global_backward_pre_hooks or _global_backward_hooks):
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    def _call_with_hooks(self, args, kwargs):
        """PyTorch's `_call_impl`: global then own forward pre-hooks, the backward hooks'
        identity nodes around forward, then global and own forward hooks (those registered
        with always_call also when forward raised)."""
        result = None
        called = set()
        try:
            backward_pre = [*_global_backward_pre_hooks.values(), *self._backward_pre_hooks.values()]
            backward = [*_global_backward_hooks.values(), *self._backward_hooks.values()]
            for hook_id, hook in (*_global_forward_pre_hooks.items(), *self._forward_pre_hooks.items()):
                if hook_id in self._forward_pre_hooks_with_kwargs:
                    res = hook(self, args, kwargs)
                    if res is not None:
                        if not (isinstance(res, tuple) and len(res) == 2):
                            raise RuntimeError("forward pre-hook must return None or a tuple of "
                                               f"(new_args, new_kwargs), but got {res}.")
                        args, kwargs = res
                else:
                    res = hook(self, args)
                    if res is not None:
                        args = res if isinstance(res, tuple) else (res,)
            bw_hook = None
            if backward or backward_pre:
                bw_hook = _BackwardHook(self, backward, backward_pre)
                args = bw_hook.setup_input_hook(args)
            result = self.forward(*args, **kwargs)
            for hook_id, hook in (*_global_forward_hooks.items(), *self._forward_hooks.items()):
                if hook_id in self._forward_hooks_always_called \
                        or hook_id in _global_forward_hooks_always_called:
                    called.add(hook_id)
                if hook_id in self._forward_hooks_with_kwargs or hook_id in _global_forward_hooks_with_kwargs:
                    res = hook(self, args, kwargs, result)
                else:
                    res = hook(self, args, result)
                if res is not None:
                    result = res
            if bw_hook is not None:
                if not isinstance(result, (Tensor, tuple)):
                    warnings.warn("For backward hooks to be called, module output should be a Tensor "
                                  f"or a tuple of Tensors but received {type(result)}", stacklevel=3)
                else:
                    result = bw_hook.setup_output_hook(result)
            return result
        except Exception:
            for hooks, always, with_kwargs in (
                    (_global_forward_hooks, _global_forward_hooks_always_called, _global_forward_hooks_with_kwargs),
                    (self._forward_hooks, self._forward_hooks_always_called, self._forward_hooks_with_kwargs)):
                for hook_id, hook in hooks.items():
                    if hook_id not in always or hook_id in called:
                        continue
                    try:
                        res = hook(self, args, kwargs, result) if hook_id in with_kwargs \
                            else hook(self, args, result)
                        if res is not None:
                            result = res
                    except Exception as e:
                        warnings.warn("module forward hook with ``always_call=True`` raised an exception "
                                      f"that was silenced as another error was raised in forward: {e}",
                                      stacklevel=3)
            raise

    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """hook(module, args) -> None or new args (a non-tuple is wrapped in one), before each
        forward; with_kwargs=True: hook(module, args, kwargs) -> None or (new_args, new_kwargs).
        prepend=True runs it before the hooks already registered."""
        return _add_hook(self._forward_pre_hooks, hook, "register_forward_pre_hook", prepend=prepend,
                         flags=[self._forward_pre_hooks_with_kwargs] if with_kwargs else [])

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """hook(module, args, output) -> None or a new output, after each forward
        (hook(module, args, kwargs, output) with with_kwargs=True); always_call=True runs it
        even when forward raised."""
        flags = ([self._forward_hooks_with_kwargs] if with_kwargs else []) + \
            ([self._forward_hooks_always_called] if always_call else [])
        return _add_hook(self._forward_hooks, hook, "register_forward_hook", prepend=prepend, flags=flags)

    def register_full_backward_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """hook(module, grad_output) -> None or a new grad_output (a tuple, one entry per
        output, None for non-tensor outputs), when the gradients w.r.t. the module's outputs
        are computed, before they flow on into forward's graph."""
        return _add_hook(self._backward_pre_hooks, hook, "register_full_backward_pre_hook", prepend=prepend)

    def register_full_backward_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """hook(module, grad_input, grad_output) -> None or a new grad_input, once the
        gradients w.r.t. the module's positional tensor inputs are computed (None for inputs
        that are no tensors or do not require grad). The inputs and outputs are passed through
        identity nodes: don't modify them in place inside forward."""
        if self.__dict__.get("_is_full_backward_hook") is False:
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks on a "
                               "single Module. Please use only one of them.")
        object.__setattr__(self, "_is_full_backward_hook", True)
        return _add_hook(self._backward_hooks, hook, "register_full_backward_hook", prepend=prepend)

    def register_backward_hook(self, hook: Callable) -> RemovableHandle:
        """PyTorch's deprecated backward hook: hook(module, grad_input, grad_output) on the
        node that made forward's (first) output, so grad_input are that last op's input
        gradients, not the module's. Returning a new grad_input is not supported here (use
        register_full_backward_hook, which PyTorch recommends anyway)."""
        if self.__dict__.get("_is_full_backward_hook") is True:
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks on a "
                               "single Module. Please use only one of them.")
        object.__setattr__(self, "_is_full_backward_hook", False)
        handle = _add_hook(self._forward_hooks, _NonFullBackwardHook(hook), "register_backward_hook")
        return handle

    # ----- state-dict hooks -----------------------------------------------------------------
    def register_state_dict_pre_hook(self, hook: Callable) -> RemovableHandle:
        """hook(module, prefix, keep_vars), before state_dict() saves this module."""
        return _add_hook(self._state_dict_pre_hooks, hook, "register_state_dict_pre_hook")

    def register_state_dict_post_hook(self, hook: Callable) -> RemovableHandle:
        """hook(module, state_dict, prefix, local_metadata) -> None, after state_dict() saved
        this module (and its children); it may edit state_dict in place."""
        if not callable(hook):
            raise TypeError(f"register_state_dict_post_hook: hook must be callable, got "
                            f"{type(hook).__name__}")
        hook._from_public_api = True
        return _add_hook(self._state_dict_hooks, hook, "register_state_dict_post_hook")

    def _register_state_dict_hook(self, hook: Callable) -> RemovableHandle:
        """PyTorch's private post-hook: hook(module, state_dict, prefix, local_metadata) may
        return a new state_dict, which replaces it."""
        if getattr(hook, "_from_public_api", False):
            raise RuntimeError("Cannot register the same function as the state dict post hook that "
                               "was previously registered via register_state_dict_post_hook")
        return _add_hook(self._state_dict_hooks, hook, "_register_state_dict_hook")

    def _register_load_state_dict_pre_hook(self, hook: Callable, with_module: bool = False) -> RemovableHandle:
        """hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
        error_msgs), with the module first when with_module=True, before this module loads."""
        if with_module:
            fn = hook

            def hook(*args):
                return fn(self, *args)
        return _add_hook(self._load_state_dict_pre_hooks, hook, "_register_load_state_dict_pre_hook")

    def register_load_state_dict_pre_hook(self, hook: Callable) -> RemovableHandle:
        """hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs) -> None, before this module loads its part of a state
        dict (it may edit state_dict in place, e.g. rename old keys)."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def register_load_state_dict_post_hook(self, hook: Callable) -> RemovableHandle:
        """hook(module, incompatible_keys) -> None, after load_state_dict loaded this module;
        it may edit incompatible_keys.missing_keys / unexpected_keys in place (before strict
        checks them)."""
        return _add_hook(self._load_state_dict_post_hooks, hook, "register_load_state_dict_post_hook")

    # ----- registration -----------------------------------------------------------------
    def register_parameter(self, name: str, param) -> None:
        """Register `param` (a Parameter, or None for an absent one such as bias=False)."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name(self, name, "parameter", self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                            "(arraygrad.nn.Parameter or None required)")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Register a tensor that is state but not a parameter (e.g. running statistics);
        persistent buffers are part of the state dict."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name(self, name, "buffer", self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(arraygrad Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name: str, module) -> None:
        """Register `module` (or None) as a child named `name`."""
        if "_modules" not in self.__dict__:
            raise AttributeError("cannot assign module before Module.__init__() call")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        _check_name(self, name, "module", self._modules)
        self._modules[name] = module

    register_module = add_module

    def _forget(self, name: str, keep: str) -> None:
        """Drop `name` from the plain attributes and every registry but `keep`: an attribute
        assignment replaces whatever held the name (register_* refuse to)."""
        self.__dict__.pop(name, None)
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry != keep:
                getattr(self, registry).pop(name, None)
        if keep != "_buffers":
            self._non_persistent.discard(name)

    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        if isinstance(value, Parameter) or (isinstance(value, Module) and name not in d.get("_parameters", ())):
            if "_parameters" not in d:
                raise AttributeError(f"cannot assign {type(value).__name__} {name!r} before "
                                     "Module.__init__() call")
            if isinstance(value, Parameter):
                self._forget(name, "_parameters")
                self.register_parameter(name, value)
            else:
                self._forget(name, "_modules")
                self.add_module(name, value)
        elif "_parameters" in d and name in d["_parameters"]:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(arraygrad.nn.Parameter or None expected)")
            d["_parameters"][name] = None
        elif "_modules" in d and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' "
                                "(arraygrad.nn.Module or None expected)")
            d["_modules"][name] = None
        elif isinstance(value, Buffer):  # PyTorch's nn.Buffer: registered, with its persistence
            if "_buffers" not in d:
                raise AttributeError("cannot assign buffer before Module.__init__() call")
            self._forget(name, "_buffers")
            self.register_buffer(name, value, value.persistent)
        elif "_buffers" in d and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(arraygrad Tensor or None expected)")
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str):
        # Only called when normal lookup fails: parameters, buffers and children live here.
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            reg = d.get(registry)
            if reg is not None and name in reg:
                return reg[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))

    # ----- traversal ----------------------------------------------------------------------
    def named_modules(self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True):
        """(qualified name, module) for this module and all below it, each once."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if self in memo:  # the modules themselves, as PyTorch's memo (callers may pass one)
                return
            memo.add(self)
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name,
                                               remove_duplicate)

    def modules(self) -> Iterator["Module"]:
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        """(name, module) of the direct children, each once."""
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator["Module"]:
        for _, child in self.named_children():
            yield child

    def _named_members(self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool = True):
        seen = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse \
            else [(prefix, self)]
        for mod_prefix, mod in mods:
            for name, value in getattr(mod, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        """(qualified name, Parameter) pairs ("layer.0.weight"), shared parameters once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_parameter(self, target: str):
        """The parameter at dotted path `target` ("layer.0.weight")."""
        return self._get_member(target, "_parameters", "parameter")

    def get_buffer(self, target: str):
        """The buffer at dotted path `target` ("bn.running_mean")."""
        return self._get_member(target, "_buffers", "buffer")

    def _get_member(self, target: str, registry: str, what: str):
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        members = getattr(mod, registry)
        if name not in members:
            raise AttributeError(f"{type(mod).__name__} has no {what} `{name}` (looking up {target!r})")
        return members[name]

    def get_submodule(self, target: str) -> "Module":
        """The module at dotted path `target` ("" is this module)."""
        mod = self
        for part in target.split(".") if target else ():
            child = mod._modules.get(part)
            if child is None:
                raise AttributeError(f"{type(mod).__name__} has no submodule {part!r} "
                                     f"(looking up {target!r})")
            mod = child
        return mod

    def set_submodule(self, target: str, module: "Module", strict: bool = False) -> None:
        """Put `module` at dotted path `target` ("block.0.conv"); with strict=True the place
        must hold a module already (PyTorch's checks and messages)."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        path, _, name = target.rpartition(".")
        parent = self.get_submodule(path)
        if strict and not hasattr(parent, name):
            raise AttributeError(f"{parent._get_name()} has no attribute `{name}`")
        if hasattr(parent, name) and not isinstance(getattr(parent, name), Module):
            raise AttributeError(f"`{name}` is not an nn.Module")
        setattr(parent, name, module)

    def apply(self, fn: Callable[["Module"], None]) -> "Module":
        """Call fn on every child (recursively), then on this module; returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ----- modes and gradients ------------------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        """Set training mode (dropout active, batch norm using batch statistics) everywhere."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be a bool, got {type(mode).__name__}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> "Module":
        """Set evaluation mode: train(False)."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the parameters' gradients: to None (the default) or to zeros in place."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                g = p.grad
                if g.grad_fn is not None:
                    g = p.grad = g.detach()
                with no_grad():
                    g[...] = 0

    # ----- state ------------------------------------------------------------------------
    def get_extra_state(self):
        """Override (with set_extra_state) to save extra, non-tensor state in the state dict
        under `<prefix>_extra_state`."""
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never be "
                           "called: override get_extra_state() to return the extra state")

    def set_extra_state(self, state) -> None:
        """Restore what get_extra_state returned (override both)."""
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never be "
                           "called: override set_extra_state() to restore the extra state")

    def _save_to_state_dict(self, destination, prefix: str, keep_vars: bool) -> None:
        """Put this module's own parameters and persistent buffers (not its children's) into
        `destination` under `prefix` (PyTorch's hook point for custom layouts)."""
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent:
                destination[prefix + name] = b if keep_vars else b.detach()
        if type(self).get_extra_state is not Module.get_extra_state:
            destination[prefix + _EXTRA_STATE_KEY_SUFFIX] = self.get_extra_state()

    def state_dict(self, *args, destination: dict | None = None, prefix: str = "",
                   keep_vars: bool = False) -> dict:
        """Every parameter and persistent buffer by qualified name (detached tensors sharing
        memory with the module, unless keep_vars=True), in an OrderedDict whose `_metadata`
        maps each module's prefix ("" for this one, "bn" ...) to {"version": its _version}."""
        if args:
            warnings.warn("Positional args are being deprecated, use kwargs instead. Refer to "
                          "https://pytorch.org/docs/main/generated/torch.nn.Module.html"
                          "#torch.nn.Module.state_dict for details.", FutureWarning, stacklevel=2)
            if len(args) > 3:
                raise TypeError(f"state_dict() takes at most 3 positional arguments (destination, "
                                f"prefix, keep_vars), got {len(args)}")
            destination, prefix, keep_vars = (*args, *(destination, prefix, keep_vars)[len(args):])
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        local_metadata = dict(version=self._version)
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = local_metadata
        for hook in self._state_dict_pre_hooks.values():
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, child in self._modules.items():
            if child is not None:
                child.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        for hook in self._state_dict_hooks.values():
            result = hook(self, destination, prefix, local_metadata)
            if getattr(hook, "_from_public_api", False):
                if result is not None:
                    raise RuntimeError("state_dict post-hook must return None")
            elif result is not None:
                destination = result
        return destination

    def _load_from_state_dict(self, state_dict, prefix: str, local_metadata: dict, strict: bool,
                              missing_keys: list, unexpected_keys: list, error_msgs: list) -> None:
        """Load this module's own parameters and persistent buffers (not its children's) from
        `state_dict`, whose keys carry `prefix`; `local_metadata` is this module's entry of
        the state dict's `_metadata` ({"version": ...} of the saving class, or {}). Appends
        to missing_keys / unexpected_keys (when strict) and error_msgs instead of raising.
        Subclasses override it to convert old layouts (by version) before calling super()."""
        for hook in self._load_state_dict_pre_hooks.values():
            hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)
        local_state = {k: v for k, v in itertools.chain(
            self._parameters.items(),
            ((k, v) for k, v in self._buffers.items() if k not in self._non_persistent)) if v is not None}
        assign = bool(local_metadata.get("assign_to_params_buffers", False))
        pending = _PENDING_WRITES.get()
        for name, current in local_state.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            value = state_dict[key]
            if not isinstance(value, Tensor):
                error_msgs.append(f'While copying the parameter named "{key}", expected an arraygrad '
                                  f"Tensor from the checkpoint but received {type(value).__name__}")
                continue
            lazy = getattr(current, "_is_uninitialized", False)
            if not lazy and current.ndim == 0 and value.ndim == 1 and value.shape[0] == 1:
                value = value[0]  # PyTorch's allowance for 0.3-era checkpoints
            if not lazy and tuple(value.shape) != tuple(current.shape):
                error_msgs.append(f"size mismatch for {key}: copying a param with shape "
                                  f"{value.shape!r} from checkpoint, the shape in current model is "
                                  f"{current.shape!r}.")
                continue
            if lazy and getattr(value, "_is_uninitialized", False):
                continue  # both uninitialized: nothing to copy
            write = (self, name, current, value, assign)
            if pending is None:
                _write_state(*write)
            else:
                pending.append(write)
        extra_key = prefix + _EXTRA_STATE_KEY_SUFFIX
        if type(self).set_extra_state is not Module.set_extra_state:
            if extra_key in state_dict:
                if pending is None:
                    self.set_extra_state(state_dict[extra_key])
                else:
                    pending.append((self, None, None, state_dict[extra_key], None))
            elif strict:
                missing_keys.append(extra_key)
        elif strict and extra_key in state_dict:
            unexpected_keys.append(extra_key)
        if strict:
            for key in state_dict.keys():
                if key.startswith(prefix) and key != extra_key:
                    head, dot, _ = key[len(prefix):].partition(".")
                    if (head not in self._modules) if dot else (head not in local_state):
                        unexpected_keys.append(key)

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy the values of `state_dict` into the parameters and buffers (in place, on their
        device and dtype; assign=True adopts the given tensors instead), each module through
        its `_load_from_state_dict` (with its `_metadata` entry) and load-state-dict hooks.
        Shapes must match; with strict=True the keys must match exactly. Nothing is written
        when a value is wrong, nor when keys mismatch under strict=True (unless post-hooks,
        which may forgive missing keys, are registered: then they run after the writes, as
        PyTorch's). Returns _IncompatibleKeys(missing_keys, unexpected_keys)."""
        if not isinstance(state_dict, Mapping) and not (hasattr(state_dict, "keys")
                                                        and hasattr(state_dict, "__getitem__")):
            raise TypeError(f"load_state_dict: expected a dict, got {type(state_dict).__name__}")
        if not isinstance(strict, bool):
            raise TypeError(f"load_state_dict: strict must be a bool, got {type(strict).__name__}")
        missing, unexpected, error_msgs = [], [], []
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict((k, state_dict[k]) for k in state_dict.keys())
        if metadata is not None:
            state_dict._metadata = metadata
        post_order, pending = [], []

        def load(module, local, prefix=""):
            local_metadata = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
            if assign:
                local_metadata["assign_to_params_buffers"] = True
            module._load_from_state_dict(local, prefix, local_metadata, True, missing, unexpected, error_msgs)
            for name, child in module._modules.items():
                if child is not None:
                    child_prefix = prefix + name + "."
                    load(child, {k: v for k, v in local.items() if k.startswith(child_prefix)}, child_prefix)
            post_order.append(module)

        token = _PENDING_WRITES.set(pending)
        try:
            load(self, state_dict)
        finally:
            _PENDING_WRITES.reset(token)

        def failure(msgs):
            if strict:
                if unexpected:
                    msgs.insert(0, "Unexpected key(s) in state_dict: "
                                + ", ".join(f'"{k}"' for k in unexpected) + ". ")
                if missing:
                    msgs.insert(0, "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". ")
            if msgs:
                return RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                                    + "\n\t".join(msgs))
            return None

        has_post_hooks = any(m._load_state_dict_post_hooks for m in post_order)
        err = failure(list(error_msgs)) if error_msgs or not has_post_hooks else None
        if err is not None:
            raise err
        with no_grad():
            for write in pending:
                _write_state(*write)
        incompatible = _IncompatibleKeys(missing, unexpected)
        for module in post_order:
            for hook in module._load_state_dict_post_hooks.values():
                if hook(module, incompatible) is not None:
                    raise RuntimeError("load_state_dict post-hook must return None: it should edit "
                                       "incompatible_keys in place")
        err = failure(list(error_msgs))
        if err is not None:
            raise err
        return incompatible

    # ----- devices and dtypes ---------------------------------------------------------------
    def _apply(self, fn: Callable, recurse: bool = True) -> "Module":
        """Replace every parameter's (and its gradient's) values by fn(tensor), in place, and
        every buffer by fn(buffer) (this module's own only, with recurse=False)."""
        for mod in self.modules() if recurse else (self,):
            for p in mod._parameters.values():
                if p is not None:
                    _move(p, fn)
                    if p.grad is not None:
                        p.grad = fn(p.grad)
            for name, b in mod._buffers.items():
                if b is not None:
                    mod._buffers[name] = fn(b)
        return self

    def to(self, *args, **kwargs) -> "Module":
        """Move and/or cast the parameters and buffers: ``to(device)``, ``to(dtype)``,
        ``to(device, dtype)``, ``to(tensor)``, or the keywords device= and dtype=. Only
        floating-point tensors change dtype."""
        device, dtype = _parse_to(args, kwargs)

        def convert(t):
            if dtype is not None and t.dtype.kind in "fc" and t.dtype is not dtype:
                t = t.astype(dtype)
            return t if device is None else t.to_device(device)

        with no_grad():
            return self._apply(convert)

    def to_empty(self, *, device, recurse: bool = True) -> "Module":
        """Move the parameters and buffers to `device` without copying their values: each gets
        new, uninitialized memory there (initialize it after, as with a meta-device model)."""
        from .. import empty_like

        with no_grad():
            return self._apply(lambda t: empty_like(t, device=device), recurse)

    def cpu(self) -> "Module":
        return self.to("cpu")

    def cuda(self, device=None) -> "Module":
        """Move to the current GPU, or GPU `device` (an index or "cuda:N")."""
        if device is None:
            return self.to("cuda")
        return self.to(f"cuda:{device}" if isinstance(device, int) else device)

    def float(self) -> "Module":
        from .. import float32

        return self.to(float32)

    def double(self) -> "Module":
        from .. import float64

        return self.to(float64)

    def half(self) -> "Module":
        from .. import float16

        return self.to(float16)

    def type(self, dst_type) -> "Module":
        """Cast every parameter and buffer (integer ones too, unlike to()) to `dst_type`, a
        dtype or a type name such as "torch.DoubleTensor" (PyTorch's Module.type)."""
        with no_grad():
            return self._apply(lambda t: t.type(dst_type))

    def compile(self, *args, **kwargs) -> None:
        """PyTorch's in-place torch.compile of this module's forward: arraygrad has no graph
        compiler (see arraygrad.compile), so this checks the arguments and changes nothing."""
        from .. import compile as compile_fn

        compile_fn(self, *args, **kwargs)

    def share_memory(self) -> "Module":
        """PyTorch's move to shared memory for worker processes: a no-op here (arraygrad's
        DataLoader workers are threads, which share the tensors already)."""
        return self

    # ----- printing -------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The layer's settings, shown inside its repr (override in subclasses)."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []  # PyTorch's: blank lines of extra_repr stay
        lines += [f"({name}): " + _indent(repr(child), 2) for name, child in self._modules.items()]
        if not lines:
            return self._get_name() + "()"
        if len(lines) == 1 and not self._modules:
            return f"{self._get_name()}({lines[0]})"
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


def _write_state(module, name, current, value, assign) -> None:
    """One checked write of load_state_dict: into `current` in place (on its device and
    dtype), or with assign=True the value itself (a Parameter where a parameter was);
    name=None sets the module's extra state."""
    if name is None:
        module.set_extra_state(value)
        return
    with no_grad():
        if name in module._parameters:
            if assign:
                if isinstance(value, Parameter):
                    value.requires_grad_(current.requires_grad)
                else:
                    value = Parameter(value, current.requires_grad)
                module._parameters[name] = value
            else:
                current[...] = value.to_device(current.device).astype(current.dtype, copy=False)
        elif assign:
            module._buffers[name] = value
        else:
            current[...] = value.to_device(current.device).astype(current.dtype, copy=False)


def _parse_to(args, kwargs):
    """(device or None, DType or None) from Module.to's arguments."""
    from .._device import Device
    from .._dtypes import DType, as_dtype

    unknown = set(kwargs) - {"device", "dtype", "non_blocking", "memory_format"}
    if unknown:
        raise TypeError(f"to() got unexpected keyword argument(s) {sorted(unknown)}")
    if kwargs.get("memory_format") is not None:  # a layout hint: arraygrad's tensors are C-ordered
        from .._torch_api import memory_format

        if not isinstance(kwargs["memory_format"], memory_format):
            raise TypeError(f"to(): memory_format must be a memory format (e.g. arraygrad.channels_last), "
                            f"got {kwargs['memory_format']!r}")
    device, dtype = kwargs.get("device"), kwargs.get("dtype")
    for a in args:
        if isinstance(a, Tensor):
            device, dtype = a.device, a.dtype
        elif isinstance(a, DType):
            dtype = a
        elif isinstance(a, (str, Device)) or isinstance(a, int) and not isinstance(a, bool):
            device = f"cuda:{a}" if isinstance(a, int) else a
        elif a is not None:
            raise TypeError(f"to() received an invalid argument {a!r}: expected a device, a dtype "
                            "or a Tensor")
    if dtype is not None:
        dtype = as_dtype(dtype)
        if dtype.kind not in "fc":
            raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got "
                            f"desired dtype={dtype}")
    return device, dtype
