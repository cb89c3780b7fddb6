"""`torch.nn.modules.transformer`: the same classes as `arraygrad.nn` (code imports them from here)."""

from .. import (  # noqa: F401
    Transformer,
    TransformerEncoder,
    TransformerDecoder,
    TransformerEncoderLayer,
    TransformerDecoderLayer,
)

__all__ = [
    "Transformer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
]
