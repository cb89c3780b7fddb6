"""`arraygrad.autograd.graph`: PyTorch's `torch.autograd.graph` — hooks on the tensors the
graph saves for backward (`saved_tensors_hooks`, `save_on_cpu`, `disable_saved_tensors_hooks`),
the node class (`Node`) and `increment_version`."""

from __future__ import annotations

from contextvars import ContextVar

from .. import _dispatch as D

__all__ = ["saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks", "Node", "increment_version"]

Node = D.Node  # every grad_fn is one: isinstance(t.grad_fn, Node)

_DISABLED: ContextVar[str | None] = ContextVar("arraygrad_saved_tensors_hooks_disabled", default=None)


class saved_tensors_hooks:
    """Within this context, each tensor an op saves for backward is handed to
    `pack_hook(tensor)`, and what that returns is kept instead; backward calls
    `unpack_hook(packed)` for a tensor of the same values (to offload saved activations, to
    compress them, or to see what is saved). The innermost context applies; per thread."""

    def __init__(self, pack_hook, unpack_hook):
        if not callable(pack_hook) or not callable(unpack_hook):
            raise TypeError("saved_tensors_hooks: pack_hook and unpack_hook must be callable, got "
                            f"{type(pack_hook).__name__} and {type(unpack_hook).__name__}")
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook
        self._tokens = []

    def __enter__(self):
        message = _DISABLED.get()
        if message is not None:
            raise RuntimeError(message)
        self._tokens.append(D.push_saved_tensors_hooks(self.pack_hook, self.unpack_hook))
        return self

    def __exit__(self, *exc):
        D.pop_saved_tensors_hooks(self._tokens.pop())
        return False


class save_on_cpu(saved_tensors_hooks):
    """Saved tensors are kept in host memory and moved back to their device when backward
    reads them: GPU memory for activations traded for copies. (`pin_memory` is accepted;
    copies are synchronous.) On the CPU, nothing is copied."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda"):
        def pack(t):
            return t.device, t.cpu()

        def unpack(packed):
            device, t = packed
            return t.to(device)

        super().__init__(pack, unpack)


class disable_saved_tensors_hooks:
    """Within this context, entering saved_tensors_hooks raises RuntimeError(error_message)
    (a library that must see the real saved tensors says so)."""

    def __init__(self, error_message: str):
        self.error_message = str(error_message)
        self._tokens = []

    def __enter__(self):
        self._tokens.append(_DISABLED.set(self.error_message))
        return self

    def __exit__(self, *exc):
        _DISABLED.reset(self._tokens.pop())
        return False


def increment_version(tensor) -> None:
    """Mark `tensor` as modified in place (after a write arraygrad could not see): backward
    through a node that saved it then raises, as it would for a tracked in-place write."""
    D.check_tensor(tensor, "increment_version", "tensor")
    D.bump_version(tensor)
