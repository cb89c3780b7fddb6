"""`arraygrad.save` / `arraygrad.load`: tensors and state dicts in a safe file format."""

from __future__ import annotations

__all__ = ["save", "load"]


def save(obj, f) -> None:
    raise NotImplementedError("arraygrad.save is being implemented")


def load(f, map_location=None):
    raise NotImplementedError("arraygrad.load is being implemented")
