"""`torch.nn.modules.sparse`: the same classes as `arraygrad.nn` (code imports them from here)."""

from .. import (  # noqa: F401
    Embedding,
    EmbeddingBag,
)

__all__ = [
    "Embedding",
    "EmbeddingBag",
]
