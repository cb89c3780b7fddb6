"""`arraygrad.utils.checkpoint`: activation checkpointing (PyTorch's torch.utils.checkpoint).

The activations inside a checkpointed function are not held between forward and backward;
backward runs the function a second time for them. The random-number state is restored for
the second run (dropout draws the same mask), as PyTorch's `preserve_rng_state=True`. Two
variants, as PyTorch's:

- `use_reentrant=False` (recommended): `fn` runs recorded, under saved-tensor hooks that keep
  an index instead of each tensor its ops save. The first backward that reads one of them
  runs `fn` again and takes the tensors that run saves, in the same order (their shapes and
  dtypes are checked: `CheckpointError` otherwise). The graph is the ordinary one, so
  `autograd.grad`, `create_graph` and hooks work through it.
- `use_reentrant=True` (PyTorch's default, with a warning, when not given): `fn` runs without
  recording, behind one node whose backward runs `fn` again, recording, and differentiates
  that run into the `.grad` of the inputs and parameters (so not with `autograd.grad`).
"""

from __future__ import annotations

import contextlib
import warnings

from .._autograd import engine as _engine
from .._autograd.engine import backward as _backward
from .._autograd.function import Function
from .._autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from .._autograd.graph import saved_tensors_hooks
from .._dispatch import Tensor, raise_modified
from .._random import get_rng_state, set_rng_state

__all__ = ["CheckpointError", "checkpoint", "checkpoint_sequential"]


class CheckpointError(RuntimeError):
    """The recomputation saved other tensors than the checkpointed forward did (a function
    whose ops depend on something besides its inputs and the random state)."""


def noop_context_fn():
    return contextlib.nullcontext(), contextlib.nullcontext()


class _Recomputation:
    """The saved-tensor hooks of one non-reentrant checkpoint: the forward's saves are kept
    as their index (and shape, dtype, device, to check the rerun against); the first unpack
    reruns the function and serves the tensors that run saves."""

    __slots__ = ("run", "args", "versions", "rng_state", "recompute_context", "check", "saved_meta",
                 "values")

    def __init__(self, run, args, rng_state, recompute_context, check):
        self.run, self.args, self.rng_state = run, args, rng_state
        # the rerun reads the inputs again: written in place since, it would differentiate
        # other values (PyTorch saves them for backward, whose version check catches it)
        self.versions = [a._version if isinstance(a, Tensor) else None for a in args]
        self.recompute_context, self.check = recompute_context, check
        self.saved_meta = []
        self.values = None  # the rerun's saved tensors, kept while the graph is

    def pack(self, t):
        self.saved_meta.append((tuple(t.shape), t.dtype, t.device))
        return len(self.saved_meta) - 1

    def unpack(self, index):
        if self.values is None:
            self.values = self._rerun()
        return self.values[index]

    def _rerun(self):
        for i, (a, version) in enumerate(zip(self.args, self.versions)):
            if version is not None and a._version != version:
                raise_modified(f"input {i} of the checkpointed function", a._version, version)
        saved = []

        def keep(t):
            saved.append(t.detach())  # the values; the rerun's own graph is dropped

        current = None
        if self.rng_state is not None:
            current = get_rng_state()
            set_rng_state(self.rng_state)
        try:
            with saved_tensors_hooks(keep, _never_unpacked), enable_grad(), self.recompute_context:
                self.run(*self.args)
        finally:
            if current is not None:
                set_rng_state(current)
        if len(saved) != len(self.saved_meta):
            raise CheckpointError(
                "checkpoint: the recomputation saved a different number of tensors for backward "
                f"than the original forward ({len(saved)} instead of {len(self.saved_meta)}): the "
                "checkpointed function must run the same ops on each call")
        if self.check:
            for i, (t, meta) in enumerate(zip(saved, self.saved_meta)):
                now = (tuple(t.shape), t.dtype, t.device)
                if now != meta:
                    raise CheckpointError(
                        f"checkpoint: recomputed tensor {i} has (shape, dtype, device) {now}, but "
                        f"the original forward saved {meta}: the checkpointed function must run "
                        "the same ops on each call (determinism_check='none' skips this check)")
        return saved


def _never_unpacked(packed):
    raise RuntimeError("checkpoint: a tensor saved by the recomputation was read by backward")


class CheckpointFunction(Function):
    @staticmethod
    def forward(ctx, run, preserve_rng_state, *args):
        ctx.run = run
        ctx.rng_state = get_rng_state() if preserve_rng_state else None
        ctx.tensor_at = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.args = [None if isinstance(a, Tensor) else a for a in args]
        ctx.save_for_backward(*(args[i] for i in ctx.tensor_at))
        with no_grad():
            out = run(*args)
        ctx.tuple_out = isinstance(out, tuple)
        return out

    @staticmethod
    def backward(ctx, *grads):
        if _engine.TARGETED.get():
            raise RuntimeError("checkpoint: with use_reentrant=True, checkpoint is incompatible with "
                               "autograd.grad() and with backward(inputs=...); use use_reentrant=False")
        args = list(ctx.args)
        for i, t in zip(ctx.tensor_at, ctx.saved_tensors):
            args[i] = t.detach().requires_grad_(t.requires_grad)
        current = None
        if ctx.rng_state is not None:
            current = get_rng_state()
            set_rng_state(ctx.rng_state)
        try:
            with enable_grad():
                out = ctx.run(*args)
        finally:
            if current is not None:
                set_rng_state(current)
        outs = out if ctx.tuple_out else (out,)
        pairs = [(o, g) for o, g in zip(outs, grads)
                 if isinstance(o, Tensor) and o.requires_grad and g is not None]
        if pairs:
            _backward([o for o, _ in pairs], [g for _, g in pairs])
        inputs = [args[i] for i in ctx.tensor_at]
        grad_of = {i: (t.grad if t.requires_grad else None) for i, t in zip(ctx.tensor_at, inputs)}
        return (None, None) + tuple(grad_of.get(i) for i in range(len(args)))


def checkpoint(function, *args, use_reentrant=None, context_fn=noop_context_fn, determinism_check="default",
               debug=False, early_stop=True, preserve_rng_state=True, **kwargs):
    """`function(*args, **kwargs)`, recomputed during backward instead of keeping its
    activations (see the module's docstring for the two variants). `context_fn` (non-reentrant
    only) returns two context managers, for the forward and for the recomputation;
    `determinism_check='none'` skips the check of the recomputed tensors; `debug` and
    `early_stop` are accepted (a recomputation here always runs to the end)."""
    if not callable(function):
        raise TypeError(f"checkpoint: function must be callable, got {type(function).__name__}")
    if use_reentrant is None:
        warnings.warn("checkpoint: pass use_reentrant explicitly; without it the reentrant variant runs, "
                      "as in PyTorch, and use_reentrant=False is the recommended one", UserWarning, stacklevel=2)
        use_reentrant = True
    if determinism_check not in ("default", "none"):
        raise ValueError(f"checkpoint: determinism_check must be 'default' or 'none', got {determinism_check!r}")
    run = (lambda *a: function(*a, **kwargs)) if kwargs else function
    if use_reentrant:
        if context_fn is not noop_context_fn or debug:
            raise ValueError("checkpoint: context_fn and debug are only supported with use_reentrant=False")
        if not is_grad_enabled() or not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            return run(*args)  # nothing to save memory on, or gradients only for parameters
        return CheckpointFunction.apply(run, preserve_rng_state, *args)
    if not is_grad_enabled():
        return run(*args)
    forward_context, recompute_context = context_fn()
    hooks = _Recomputation(run, args, get_rng_state() if preserve_rng_state else None, recompute_context,
                           determinism_check == "default")
    with saved_tensors_hooks(hooks.pack, hooks.unpack), forward_context:
        return run(*args)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """`functions` (a Sequential or a list of modules) run in `segments` chunks, each but the
    last checkpointed (PyTorch's checkpoint_sequential)."""
    if hasattr(functions, "children") and not isinstance(functions, (list, tuple)):
        functions = list(functions.children())
    functions = list(functions)
    if not isinstance(segments, int) or segments < 1:
        raise ValueError(f"checkpoint_sequential: segments must be a positive int, got {segments!r}")
    size = len(functions) // segments

    def run_segment(start, end):
        def forward(x):
            for f in functions[start:end]:
                x = f(x)
            return x
        return forward

    start = 0
    for _ in range(segments - 1 if size else 0):
        input = checkpoint(run_segment(start, start + size), input, use_reentrant=use_reentrant, **kwargs)
        start += size
    return run_segment(start, len(functions))(input)
