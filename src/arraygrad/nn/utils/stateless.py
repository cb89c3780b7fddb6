"""`arraygrad.nn.utils.stateless`: PyTorch's older home of `functional_call` (now
`torch.func.functional_call`, which this is)."""

from ...func import functional_call

__all__ = ["functional_call"]
