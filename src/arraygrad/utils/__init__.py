"""`arraygrad.utils`: data loading (`arraygrad.utils.data`)."""

from . import data

__all__ = ["data"]
