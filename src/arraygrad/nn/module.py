"""`Module`: the base class of layers (PyTorch's `torch.nn.Module`).

A module registers what is assigned to it: `Parameter`s, sub-`Module`s and (through
`register_buffer`) non-learnable tensors such as running statistics. Each kind lives in its
own dict; attribute reads fall back to them (`__getattr__`), attribute writes route into them
(`__setattr__`), so ``self.weight`` works as a plain attribute while `parameters()`,
`state_dict()` and `to()` find everything by walking the dicts.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from typing import Callable, Iterator

from .._autograd.engine import RemovableHandle
from .._autograd.grad_mode import no_grad
from .._dispatch import Tensor
from .parameter import Parameter

__all__ = ["Module"]

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


def _check_name(owner, name, what: str) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{what} name should be a string, got {type(name).__name__}")
    if not name or "." in name:
        raise KeyError(f"{what} name must be non-empty and contain no dot, got {name!r}")
    if hasattr(owner, name) and name not in owner._parameters and name not in owner._buffers \
            and name not in owner._modules:
        raise KeyError(f"attribute {name!r} already exists")


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
        set_(self, "_forward_pre_hooks", [])
        set_(self, "_forward_hooks", [])

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"Module [{type(self).__name__}] is missing the required "
                                  "\"forward\" function")

    def __call__(self, *args, **kwargs):
        if not (self._forward_pre_hooks or self._forward_hooks):
            return self.forward(*args, **kwargs)
        for hook in list(self._forward_pre_hooks):
            replaced = hook(self, args)
            if replaced is not None:
                args = replaced if isinstance(replaced, tuple) else (replaced,)
        out = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks):
            replaced = hook(self, args, out)
            if replaced is not None:
                out = replaced
        return out

    def register_forward_pre_hook(self, hook: Callable) -> RemovableHandle:
        """hook(module, args) -> None or new args, before each forward."""
        self._forward_pre_hooks.append(hook)
        return RemovableHandle(self._forward_pre_hooks, hook)

    def register_forward_hook(self, hook: Callable) -> RemovableHandle:
        """hook(module, args, output) -> None or a new output, after each forward."""
        self._forward_hooks.append(hook)
        return RemovableHandle(self._forward_hooks, hook)

    # ----- registration -----------------------------------------------------------------
    def register_parameter(self, name: str, param) -> None:
        """Register `param` (a Parameter, or None for an absent one such as bias=False)."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name(self, name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                            "(arraygrad.nn.Parameter or None required)")
        self._forget(name, "_parameters")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Register a tensor that is state but not a parameter (e.g. running statistics);
        persistent buffers are part of the state dict."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name(self, name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(arraygrad Tensor or None required)")
        self._forget(name, "_buffers")
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
        _check_name(self, name, "module")
        self._forget(name, "_modules")
        self._modules[name] = module

    register_module = add_module

    def _forget(self, name: str, keep: str = "") -> None:
        """Drop `name` from every registry but `keep` (where it is about to be replaced in
        place, keeping its position)."""
        self.__dict__.pop(name, None)
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry != keep:
                getattr(self, registry).pop(name, None)
        if keep != "_buffers":
            self._non_persistent.discard(name)

    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        if isinstance(value, (Parameter, Module)):
            if "_parameters" not in d:
                raise AttributeError(f"cannot assign {type(value).__name__} {name!r} before "
                                     "Module.__init__() call")
            self.__dict__.pop(name, None)  # a plain attribute of that name gives way
            if isinstance(value, Parameter):
                self.register_parameter(name, value)
            else:
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
            if id(self) in memo:
                return
            memo.add(id(self))
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
    def _state_items(self, keep_vars: bool):
        """(key, tensor) of every persistent tensor: each module's parameters, then buffers."""
        for prefix, mod in self.named_modules(remove_duplicate=False):
            head = prefix + "." if prefix else ""
            for name, p in mod._parameters.items():
                if p is not None:
                    yield head + name, p if keep_vars else p.detach()
            for name, b in mod._buffers.items():
                if b is not None and name not in mod._non_persistent:
                    yield head + name, b if keep_vars else b.detach()

    def state_dict(self, *, destination: dict | None = None, prefix: str = "",
                   keep_vars: bool = False) -> dict:
        """Every parameter and persistent buffer by qualified name (detached tensors sharing
        memory with the module, unless keep_vars=True)."""
        out = OrderedDict() if destination is None else destination
        for key, t in self._state_items(keep_vars):
            out[prefix + key] = t
        return out

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy the values of `state_dict` into the parameters and buffers (in place, on their
        device and dtype; assign=True adopts the given tensors instead). Shapes must match;
        with strict=True the keys must match exactly. Nothing is written unless all checks
        pass. Returns (missing_keys, unexpected_keys)."""
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"load_state_dict: expected a dict, got {type(state_dict).__name__}")
        owners = {}
        for prefix, mod in self.named_modules(remove_duplicate=False):
            head = prefix + "." if prefix else ""
            for name, p in mod._parameters.items():
                if p is not None:
                    owners[head + name] = (mod, name, p)
            for name, b in mod._buffers.items():
                if b is not None and name not in mod._non_persistent:
                    owners[head + name] = (mod, name, b)
        missing = [k for k in owners if k not in state_dict]
        unexpected = [k for k in state_dict.keys() if k not in owners]
        errors = []
        if strict:
            if unexpected:
                errors.append("Unexpected key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in unexpected) + ".")
            if missing:
                errors.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
        updates = []
        for key, (mod, name, current) in owners.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            if not isinstance(value, Tensor):
                errors.append(f'While copying the parameter named "{key}", expected an arraygrad '
                              f"Tensor from the checkpoint but received {type(value).__name__}")
            elif tuple(value.shape) != tuple(current.shape):
                errors.append(f"size mismatch for {key}: copying a param with shape "
                              f"{tuple(value.shape)} from checkpoint, the shape in current model is "
                              f"{tuple(current.shape)}.")
            else:
                updates.append((mod, name, current, value))
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        with no_grad():
            for mod, name, current, value in updates:
                if assign:
                    if isinstance(current, Parameter):
                        mod._parameters[name] = value if isinstance(value, Parameter) else \
                            Parameter(value, current.requires_grad)
                    else:
                        mod._buffers[name] = value
                else:
                    current[...] = value.to_device(current.device).astype(current.dtype, copy=False)
        return IncompatibleKeys(missing, unexpected)

    # ----- devices and dtypes ---------------------------------------------------------------
    def _apply(self, fn: Callable) -> "Module":
        """Replace every parameter's (and its gradient's) values by fn(tensor), in place, and
        every buffer by fn(buffer)."""
        for mod in self.modules():
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
        lines = [line for line in self.extra_repr().split("\n") if line]
        lines += [f"({name}): " + _indent(repr(child), 2) for name, child in self._modules.items()]
        if not lines:
            return self._get_name() + "()"
        if len(lines) == 1 and not self._modules:
            return f"{self._get_name()}({lines[0]})"
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


def _parse_to(args, kwargs):
    """(device or None, DType or None) from Module.to's arguments."""
    from .._device import Device
    from .._dtypes import DType, as_dtype

    unknown = set(kwargs) - {"device", "dtype", "non_blocking"}
    if unknown:
        raise TypeError(f"to() got unexpected keyword argument(s) {sorted(unknown)}")
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
