"""`arraygrad.utils.checkpoint`: activation checkpointing (PyTorch's torch.utils.checkpoint).

`checkpoint(fn, *args)` runs `fn` without recording its graph, keeping only its inputs;
backward runs `fn` again, recording, and differentiates that run: the activations inside
`fn` are not held between forward and backward, at the cost of a second forward. The
random-number state is restored for the second run (dropout draws the same mask), as
PyTorch's `preserve_rng_state=True`. Gradients reach `fn`'s inputs and the parameters it
uses (accumulated into their `.grad`, as PyTorch's reentrant variant does); when no input
requires grad, `fn` runs normally (recorded), so parameters still get their gradients.
"""

from __future__ import annotations

from .._autograd.engine import backward as _backward
from .._autograd.function import Function
from .._autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from .._dispatch import Tensor
from .._random import get_rng_state, set_rng_state

__all__ = ["checkpoint", "checkpoint_sequential"]


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


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default",
               debug=False, preserve_rng_state=True, **kwargs):
    """`function(*args, **kwargs)`, recomputed during backward instead of keeping its
    activations (see the module's docstring). `use_reentrant`, `context_fn`,
    `determinism_check` and `debug` are PyTorch's options; both variants behave alike here."""
    if not callable(function):
        raise TypeError(f"checkpoint: function must be callable, got {type(function).__name__}")
    run = (lambda *a: function(*a, **kwargs)) if kwargs else function
    if not is_grad_enabled() or not any(isinstance(a, Tensor) and a.requires_grad for a in args):
        return run(*args)  # nothing to save memory on, or gradients only for parameters
    return CheckpointFunction.apply(run, preserve_rng_state, *args)


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
