"""PyTorch's module path for Chi2 (`torch.distributions.chi2`); it lives with Gamma."""

from .gamma import Chi2

__all__ = ["Chi2"]
