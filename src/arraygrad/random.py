"""`arraygrad.random`: PyTorch's `torch.random` (the default generator's seed and state, and
`fork_rng`, which restores the random state on exit)."""

from __future__ import annotations

import contextlib

from ._random import default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state

__all__ = ["manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state", "fork_rng",
           "default_generator"]


@contextlib.contextmanager
def fork_rng(devices=None, enabled: bool = True, _caller: str = "fork_rng", _devices_kw: str = "devices",
             device_type: str = "cuda"):
    """Run the block with the CPU default generator's state saved, and restore it on exit:
    random numbers drawn (or seeds set) inside do not change what is drawn after. (The
    state of CUDA generators is not forked; `devices` and `device_type` are accepted.)"""
    if not isinstance(enabled, bool):
        raise TypeError(f"{_caller}: enabled must be a bool, got {type(enabled).__name__}")
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
