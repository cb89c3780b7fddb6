"""`arraygrad.nn.utils.stateless`: PyTorch's older home of `functional_call` (now
`torch.func.functional_call`, whose first argument is named differently)."""

from ... import func as _func

__all__ = ["functional_call"]


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """`module` called with some of its parameters and buffers replaced by the tensors in
    `parameters_and_buffers` (by their state_dict names); see func.functional_call."""
    return _func.functional_call(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights,
                                 strict=strict)
