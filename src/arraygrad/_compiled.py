"""Which modules have an optional compiled build, and when to load their sources instead.

setup.py compiles these with Cython when it can (their `.pxd` files hold the types); the
`.py` sources are the only implementation either way. The sources are loaded instead of a
compiled module when ARRAYGRAD_PURE_PYTHON=1 is set (debugging, tracebacks into the op
path, testing both builds), and, in a source checkout (an editable install), when the
module was built before its source or `.pxd` last changed: running the old code silently
would be worse than running slower. (Installed wheels are not checked: installing writes
the files in any order, so their times say nothing.)
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
import warnings

COMPILED = ("arraygrad._dispatch", "arraygrad._autograd.engine")

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
# src/arraygrad/ next to the repository's setup.py: sources that may change after a build
_SOURCE_CHECKOUT = os.path.exists(os.path.join(_PACKAGE_DIR, os.pardir, os.pardir, "setup.py"))


def _files(name: str) -> tuple[str, list[str]]:
    """(the module's source path, its built extension paths)."""
    parts = name.split(".")[1:]
    folder = os.path.join(_PACKAGE_DIR, *parts[:-1])
    try:
        listing = os.listdir(folder)
    except OSError:
        listing = []
    built = [os.path.join(folder, f) for f in listing
             if f.startswith(parts[-1] + ".") and f.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))]
    return os.path.join(folder, parts[-1] + ".py"), built


def _stale(source: str, built: list[str]) -> bool:
    try:
        newest = max(os.path.getmtime(p) for p in (source, source[:-3] + ".pxd") if os.path.exists(p))
        return any(os.path.getmtime(b) < newest for b in built)
    except (OSError, ValueError):
        return False


class _LoadSources:
    """A meta-path finder that loads the given modules from their `.py` files."""

    def __init__(self, names):
        self.names = frozenset(names)

    def find_spec(self, name, path, target=None):
        if name not in self.names:
            return None
        return importlib.util.spec_from_file_location(name, _files(name)[0])


def pure_python_requested() -> bool:
    """ARRAYGRAD_PURE_PYTHON set (and not "0"): build and run the plain-Python sources."""
    return os.environ.get("ARRAYGRAD_PURE_PYTHON", "") not in ("", "0")


def choose_build() -> None:
    """Install the finder for the modules that must run from source (before they load)."""
    if pure_python_requested():
        sys.meta_path.insert(0, _LoadSources(COMPILED))
        return
    stale = [n for n in COMPILED if _stale(*_files(n))] if _SOURCE_CHECKOUT else []
    if stale:  # all of them: the compiled modules share C types (cimport)
        warnings.warn(f"arraygrad: the compiled {', '.join(stale)} is older than its source; "
                      "running the sources (rebuild with `pip install -e .`)", RuntimeWarning,
                      stacklevel=3)
        sys.meta_path.insert(0, _LoadSources(COMPILED))


def is_compiled() -> bool:
    """Whether the compiled op path is in use (every module of COMPILED loaded compiled)."""
    return all(isinstance(getattr(sys.modules.get(n), "__loader__", None),
                          importlib.machinery.ExtensionFileLoader) for n in COMPILED)
