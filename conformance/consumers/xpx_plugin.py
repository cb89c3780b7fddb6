"""pytest plugin: run array-api-extra's own tests on arraygrad.

Written against array-api-extra 0.11.5. Load it with ``-p xpx_plugin`` (this folder on
PYTHONPATH) when running the tests that ship inside the installed package
(``pytest --pyargs array_api_extra.tests``); conformance/consumers/run.sh does.

array-api-extra's ``library`` fixture (tests/main/conftest.py) iterates over the members
of the ``Backend`` enum in the private module ``array_api_extra._lib._backends``, and its
``xp`` fixture imports ``Backend.<member>.modname``. An Enum cannot be extended, so this
plugin re-executes that module's source, in the module's own namespace, with one member
added after the last existing one::

    ARRAYGRAD = "arraygrad"

(pytest id ``arraygrad``). This works only while nothing holds the original class: the
tests and their conftest do ``from array_api_extra._lib._backends import Backend`` at
collection, after the plugin ran; the library itself does not import the module. The
plugin checks both and raises `PatchTargetMissing` with a clear message when the class
or its member layout is not what it expects.

arraygrad needs no other set-up there: the ``xp`` fixture wraps it with
``array_namespace(xp.empty(0))``, which returns arraygrad itself, and the ``device``
fixture takes ``device(xp.empty(0))``.
"""
from __future__ import annotations

import inspect
import re

import array_api_extra

from _common import fail, fail_if_imported, install

WRITTEN_AGAINST = "0.11.5"
VERSION = array_api_extra.__version__


def _fail(what: str) -> None:
    fail("array-api-extra", VERSION, WRITTEN_AGAINST, what)


fail_if_imported(("array_api_extra.tests",), "array-api-extra", VERSION, WRITTEN_AGAINST)
try:
    import array_api_extra._lib._backends as _m
except ImportError:
    _fail("array_api_extra._lib._backends does not exist")
if not isinstance(getattr(_m, "Backend", None), type):
    _fail("array_api_extra._lib._backends.Backend is not a class")

_src = inspect.getsource(_m)
_cls = re.search(r"\nclass Backend\(Enum\):.*?\n(?=\S)|\nclass Backend\(Enum\):.*\Z", _src, re.S)
if _cls is None:
    _fail("no `class Backend(Enum):` in array_api_extra/_lib/_backends.py")
_members = list(re.finditer(r'^    [A-Z][A-Z0-9_]* = "[^"\n]*"[^\n]*\n', _cls.group(0), re.M))
if not _members:
    _fail('Backend has no `NAME = "module[:tag]"` members')
_at = _cls.start() + _members[-1].end()
_src = _src[:_at] + '    ARRAYGRAD = "arraygrad"  # added by arraygrad\'s xpx_plugin.py\n' + _src[_at:]
exec(compile(_src, _m.__file__, "exec"), _m.__dict__)

_ag = getattr(_m.Backend, "ARRAYGRAD", None)
if _ag is None or _ag.modname != "arraygrad":
    _fail("Backend.ARRAYGRAD was not created")
if getattr(_ag.pytest_param(), "id", None) != "arraygrad":
    _fail(f"Backend.ARRAYGRAD.pytest_param() has id {_ag.pytest_param().id!r}, not 'arraygrad'")

install(globals(), "array-api-extra", VERSION, WRITTEN_AGAINST)
