"""pytest plugin: run scikit-learn's own array-API tests on arraygrad.

Written against scikit-learn 1.9.1. Load it with ``-p sklearn_plugin`` (this folder on
PYTHONPATH) when running ``pytest --pyargs sklearn``; conformance/consumers/run.sh does.

scikit-learn parametrizes its array-API tests with generators in the private module
``sklearn.utils._array_api``; this plugin replaces them (in that module and in every
already-imported module that copied them with ``from ... import``) before collection:

* ``yield_namespaces``: the namespaces in $SKLEARN_NAMESPACES (comma list, default
  ``arraygrad``; ``arraygrad,array_api_strict`` adds scikit-learn's own reference runs,
  useful to tell an arraygrad failure from a scikit-learn one);
* ``yield_namespace_device_dtype_combinations``: arraygrad on device "cpu" in float64
  and float32, and on the default device (None) in float64, as scikit-learn does for
  torch ("cpu") and array_api_strict;
* ``yield_mixed_namespace_input_permutations``: numpy <-> arraygrad and
  array_api_strict <-> arraygrad, both directions (scikit-learn's own list pairs torch
  with cupy, numpy and array_api_strict);

and ``sklearn.utils.estimator_checks._yield_array_api_checks``, whose
``check_array_api_same_namespace`` is hard-coded to array_api_strict, so that it runs on
the selected namespaces instead.

Tests that hard-code their namespace list instead of calling these generators (a few in
sklearn/utils/tests/test_array_api.py) do not run on arraygrad.

These are private internals: a scikit-learn release may rename or restructure them. The
plugin checks each target at import and raises `PatchTargetMissing` with a clear message
when one is gone (never a silent no-op run).
"""
from __future__ import annotations

import functools
import os
import sys

# scikit-learn's _array_api_for_tests skips every array-API test without it, and SciPy
# reads it once at import.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import sklearn  # noqa: E402

from _common import fail, install  # noqa: E402

WRITTEN_AGAINST = "1.9.1"
VERSION = sklearn.__version__


def _fail(what: str) -> None:
    fail("scikit-learn", VERSION, WRITTEN_AGAINST, what)


try:
    import sklearn.utils._array_api as _aa
    import sklearn.utils.estimator_checks as _ec
except ImportError as e:  # e.g. a name the plugin expects no longer exists there
    _fail(f"importing sklearn.utils._array_api / estimator_checks failed: {e}")

_TARGETS = ("yield_namespaces", "yield_namespace_device_dtype_combinations",
            "yield_mixed_namespace_input_permutations", "NamespaceAndDevice",
            "_NUMPY_NAMESPACE_NAMES")
for _name in _TARGETS:
    if not hasattr(_aa, _name):
        _fail(f"sklearn.utils._array_api.{_name} does not exist")
for _name in ("_yield_array_api_checks", "check_array_api_same_namespace",
              "check_array_api_input"):
    if not hasattr(_ec, _name):
        _fail(f"sklearn.utils.estimator_checks.{_name} does not exist")

NamespaceAndDevice = _aa.NamespaceAndDevice
_orig = {n: getattr(_aa, n) for n in _TARGETS[:3]}
_orig_yield_aa_checks = _ec._yield_array_api_checks

NAMESPACES = [s.strip() for s in os.environ.get("SKLEARN_NAMESPACES", "arraygrad").split(",")
              if s.strip()]


def yield_namespaces(include_numpy_namespaces=True):
    for ns in NAMESPACES:
        if not include_numpy_namespaces and ns in _aa._NUMPY_NAMESPACE_NAMES:
            continue
        yield ns


def yield_namespace_device_dtype_combinations(include_numpy_namespaces=True):
    for ns in NAMESPACES:
        if ns == "arraygrad":
            yield "arraygrad", "cpu", "float64"
            yield "arraygrad", "cpu", "float32"
            yield "arraygrad", None, "float64"
        else:  # scikit-learn's own combinations for that namespace
            for combo in _orig["yield_namespace_device_dtype_combinations"](
                    include_numpy_namespaces):
                if combo[0] == ns:
                    yield combo


def yield_mixed_namespace_input_permutations():
    if "arraygrad" in NAMESPACES:
        ag = NamespaceAndDevice("arraygrad", "cpu")
        np_ = NamespaceAndDevice("numpy", None)
        strict = NamespaceAndDevice("array_api_strict", "device1")
        yield np_, ag, "numpy to arraygrad cpu"
        yield ag, np_, "arraygrad cpu to numpy"
        yield strict, ag, "array_api_strict to arraygrad cpu"
        yield ag, strict, "arraygrad cpu to array_api_strict"
    for perm in _orig["yield_mixed_namespace_input_permutations"]():
        if perm[0].xp in NAMESPACES and perm[1].xp in NAMESPACES:
            yield perm


_new = {
    "yield_namespaces": yield_namespaces,
    "yield_namespace_device_dtype_combinations": yield_namespace_device_dtype_combinations,
    "yield_mixed_namespace_input_permutations": yield_mixed_namespace_input_permutations,
}
# The test modules do `from sklearn.utils._array_api import yield_...` at import, which
# happens at collection, after this: patching _aa covers them. Modules already imported
# (estimator_checks and what it imports) hold their own references: rebind those too.
for _mod in list(sys.modules.values()):
    for _name, _fn in _new.items():
        try:
            if getattr(_mod, _name, None) is _orig[_name]:
                setattr(_mod, _name, _fn)
        except Exception:  # exotic modules refusing getattr/setattr
            pass
if _ec.yield_namespace_device_dtype_combinations is not yield_namespace_device_dtype_combinations:
    _fail("estimator_checks no longer uses yield_namespace_device_dtype_combinations "
          "from sklearn.utils._array_api")


def _yield_array_api_checks(estimator, only_numpy=False):
    for check in _orig_yield_aa_checks(estimator, only_numpy=only_numpy):
        if (isinstance(check, functools.partial)
                and check.func is _ec.check_array_api_same_namespace):
            for ns in NAMESPACES:
                if ns not in _aa._NUMPY_NAMESPACE_NAMES:
                    yield functools.partial(_ec.check_array_api_same_namespace,
                                            array_namespace=ns)
        else:
            yield check


# The retargeting above relies on the original yielding check_array_api_same_namespace as
# a functools.partial; if it stopped doing so the retarget would silently do nothing.
if not any(isinstance(c, functools.partial) and c.func is _ec.check_array_api_same_namespace
           for c in _orig_yield_aa_checks(None)):
    _fail("estimator_checks._yield_array_api_checks no longer yields "
          "functools.partial(check_array_api_same_namespace, ...)")
_ec._yield_array_api_checks = _yield_array_api_checks

install(globals(), "scikit-learn", VERSION, WRITTEN_AGAINST)
