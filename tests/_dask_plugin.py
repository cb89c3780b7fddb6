"""The Dask plugin for tests: importable from the source tree before a reinstall, and
registered as backend "dask" for as long as a test needs it."""

from __future__ import annotations

import contextlib
import os
import sys

from arraygrad._registry import plugin_class, register_backend, unregister_backend

BACKENDS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "backends")
try:  # installed (entry point "dask"), or straight from the source tree before a reinstall
    from arraygrad_dask import DaskBackend, persist
except ImportError:
    sys.path.insert(0, BACKENDS_DIR)
    from arraygrad_dask import DaskBackend, persist

__all__ = ["BACKENDS_DIR", "DaskBackend", "persist", "dask_registered"]


@contextlib.contextmanager
def dask_registered():
    """The installed plugin (entry point "dask"), else this one registered meanwhile."""
    try:
        installed = plugin_class("dask") is DaskBackend
    except (ValueError, ImportError):
        installed = False
    if not installed:
        register_backend("dask", DaskBackend)
    try:
        yield "dask"
    finally:
        if not installed:
            unregister_backend("dask")
