"""pytest plugin: run SciPy's own array-API tests on arraygrad.

Written against SciPy 1.17.1. Load it with ``-p scipy_plugin`` (this folder on
PYTHONPATH) when running ``pytest --pyargs scipy.<subpackage> ...``;
conformance/consumers/run.sh does.

SciPy's ``xp`` fixture (in the installed ``scipy/conftest.py``) iterates over a fixed set
of backends: ``xp_known_backends`` and the ``xp_available_backends`` list it fills by
trying to import numpy, array_api_strict, torch, cupy, jax and dask. The fixture's params
are fixed when the conftest is imported, so the backend has to be added inside it: this
plugin reads the installed conftest's source, applies three textual edits

1. ``'arraygrad'`` is added to the ``xp_known_backends = {...}`` set literal (which
   ``skip_xp_backends``/``xfail_xp_backends`` and SciPy's own assertions check names
   against);
2. ``pytest.param(arraygrad, id='arraygrad', marks=pytest.mark.array_api_backends)`` is
   appended to ``xp_available_backends`` just before the line
   ``xp_available_backend_ids = {p.id for p in xp_available_backends}``, i.e. before
   SciPy applies its ``SCIPY_ARRAY_API='["name", ...]'`` backend selection;
3. the ``devices`` fixture's ``info.devices() + [None]`` becomes a list display: the
   standard's 2025.12 ``devices()`` returns a tuple (SciPy tests array-api-strict at
   2024.12, where it was a list);

and executes the result as the module ``scipy.conftest`` (with its real ``__file__``), so
that when pytest imports the conftest it finds this module in ``sys.modules``. If any
anchor is not found the plugin raises `PatchTargetMissing` with a clear message.

Default dtype: arraygrad's default floating dtype is float32, like PyTorch's. SciPy's
conftest sets torch's default to float64 unless SCIPY_DEFAULT_DTYPE=float32, because
SciPy's tests build expected values with NumPy (float64 default) and compare dtypes
exactly; arraygrad gets the same treatment: $AG_DEFAULT_DTYPE, else $SCIPY_DEFAULT_DTYPE,
else float64. With float32 expect many failures that are the tests' float64 assumptions.

Backend selection: unless SCIPY_ARRAY_API is already set, it is set to '["arraygrad"]'
(only arraygrad parametrizations); SciPy reads it once, at import, so it must be set
before anything imports scipy.
"""
from __future__ import annotations

import importlib.util
import os
import re
import sys
import types

os.environ.setdefault("SCIPY_ARRAY_API", '["arraygrad"]')

import scipy  # noqa: E402

import arraygrad  # noqa: E402
from _common import fail, install  # noqa: E402

WRITTEN_AGAINST = "1.17.1"
VERSION = scipy.__version__


def _fail(what: str) -> None:
    fail("SciPy", VERSION, WRITTEN_AGAINST, what)


_dtype = os.environ.get("AG_DEFAULT_DTYPE") or os.environ.get("SCIPY_DEFAULT_DTYPE") or "float64"
if _dtype not in ("float32", "float64"):
    raise ValueError(f"AG_DEFAULT_DTYPE must be float32 or float64, got {_dtype!r}")
arraygrad.set_default_dtype(getattr(arraygrad, _dtype))

if "scipy.conftest" in sys.modules:
    _fail("scipy.conftest was imported before the plugin; load it with -p")
_spec = importlib.util.find_spec("scipy.conftest")
if _spec is None or not _spec.origin:
    _fail("the installed package has no scipy/conftest.py")
_path = _spec.origin
with open(_path, encoding="utf-8") as f:
    _src = f.read()

# 1. the known-backends set literal (it spans two lines in 1.17.1)
_src, _n = re.subn(r"(\nxp_known_backends\s*=\s*\{[^}]*)\}",
                   r"\1, 'arraygrad'}", _src, count=1)
if _n != 1:
    _fail("no `xp_known_backends = {...}` set literal in scipy/conftest.py")

# 2. the backend param, before the ids are taken and SCIPY_ARRAY_API selects among them
_anchor = re.search(r"\n([ \t]*)xp_available_backend_ids = \{p\.id for p in "
                    r"xp_available_backends\}\n", _src)
if _anchor is None:
    _fail("no `xp_available_backend_ids = {p.id for p in xp_available_backends}` line "
          "in scipy/conftest.py")
_ind = _anchor.group(1)
_src = (_src[:_anchor.start() + 1]
        + f"{_ind}import arraygrad  # added by arraygrad's conformance/consumers/scipy_plugin.py\n"
        + f"{_ind}xp_available_backends.append(pytest.param(\n"
        + f"{_ind}    arraygrad, id='arraygrad', marks=pytest.mark.array_api_backends))\n"
        + _src[_anchor.start() + 1:])

# 3. the `devices` fixture adds a list to info.devices(), which 2025.12 made a tuple (SciPy
#    pins array-api-strict to 2024.12, where it was a list); without this edit every test
#    using the fixture errors at setup on arraygrad instead of running
_src, _n = re.subn(r"return xp\.__array_namespace_info__\(\)\.devices\(\) \+ \[None\]",
                   "return [*xp.__array_namespace_info__().devices(), None]", _src, count=1)
if _n != 1:
    _fail("no `return xp.__array_namespace_info__().devices() + [None]` in the devices fixture")

_mod = types.ModuleType("scipy.conftest")
_mod.__file__ = _path
_mod.__spec__ = _spec
_mod.__package__ = "scipy"
sys.modules["scipy.conftest"] = _mod
try:
    exec(compile(_src, _path, "exec"), _mod.__dict__)
except BaseException:
    del sys.modules["scipy.conftest"]
    raise
scipy.conftest = _mod

if "arraygrad" not in _mod.xp_known_backends:
    _fail("the patched conftest does not know 'arraygrad' (xp_known_backends)")
if not _mod.SCIPY_ARRAY_API:
    _fail("SCIPY_ARRAY_API was unset when SciPy was imported, so its conftest adds no "
          "backend but numpy; set it before anything imports scipy")
if "arraygrad" not in getattr(_mod, "xp_available_backend_ids", ()):
    _fail("the patched conftest does not list arraygrad in xp_available_backends")

install(globals(), "SciPy", VERSION, WRITTEN_AGAINST, header_extra=(
    f"arraygrad default dtype: {arraygrad.get_default_dtype()} "
    "(AG_DEFAULT_DTYPE, else SCIPY_DEFAULT_DTYPE, else float64)",))
