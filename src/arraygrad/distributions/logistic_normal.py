"""PyTorch's module path for LogisticNormal (`torch.distributions.logistic_normal`)."""

from .inverse_gamma import LogisticNormal

__all__ = ["LogisticNormal"]
