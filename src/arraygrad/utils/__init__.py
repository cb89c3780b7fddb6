"""`arraygrad.utils`: data loading (`arraygrad.utils.data`), activation checkpointing
(`arraygrad.utils.checkpoint`)."""

from . import checkpoint, data

__all__ = ["checkpoint", "data"]
