"""`torch.nn.modules.distance`: the same classes as `arraygrad.nn` (code imports them from here)."""

from .. import (  # noqa: F401
    PairwiseDistance,
    CosineSimilarity,
)

__all__ = [
    "CosineSimilarity",
    "PairwiseDistance",
]
