"""Shared helpers of the consumer-suite plugins in this folder (not a plugin itself).

Each plugin imports `install(consumer, module, written_against)`, which adds to pytest:

* a header line naming the consumer library's installed version next to the version the
  plugin was written against (the plugins patch private internals; a different version is
  the first suspect when a plugin stops working);
* ``--arraygrad-only`` (run.sh passes it): deselect every test whose parametrization id
  does not mention arraygrad, so that a user's own ``-k`` still composes with it.

`PatchTargetMissing` is what the plugins raise, at import (so pytest stops before
collecting anything), when what they patch is not where they expect it.
"""
from __future__ import annotations

import sys


class PatchTargetMissing(RuntimeError):
    """A consumer-suite plugin did not find the private code it patches."""


def fail(consumer: str, version: str, written_against: str, what: str) -> None:
    raise PatchTargetMissing(
        f"\n\narraygrad conformance/consumers: the {consumer} plugin cannot patch "
        f"{consumer} {version}: {what}.\nThe plugin was written against {consumer} "
        f"{written_against} and patches private code; update it for this version "
        f"(see conformance/consumers/README.md).\n"
    )


def install(module_globals: dict, consumer: str, version: str, written_against: str,
            header_extra: tuple[str, ...] = ()) -> None:
    """Define the pytest hooks shared by the plugins in the calling plugin's module."""

    def pytest_addoption(parser):
        parser.addoption(
            "--arraygrad-only", action="store_true", default=False,
            help="deselect tests whose parametrization id does not mention arraygrad",
        )

    def pytest_report_header(config):
        note = "" if version == written_against else "  <-- differs: the patch may be stale"
        return [f"arraygrad consumer plugin: {consumer} {version} "
                f"(written against {written_against}){note}", *header_extra]

    def pytest_collection_modifyitems(config, items):
        if not config.getoption("--arraygrad-only"):
            return
        keep, drop = [], []
        for item in items:
            params = item.name.partition("[")[2]
            (keep if "arraygrad" in params else drop).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep

    module_globals.update(
        pytest_addoption=pytest_addoption,
        pytest_report_header=pytest_report_header,
        pytest_collection_modifyitems=pytest_collection_modifyitems,
    )


def fail_if_imported(prefixes: tuple[str, ...], consumer: str, version: str,
                     written_against: str) -> None:
    """Fail when test modules that must see the patch were imported before it."""
    early = sorted(m for m in sys.modules if m.startswith(prefixes))
    if early:
        fail(consumer, version, written_against,
             f"modules {early[:5]} were imported before the plugin ran; load it with "
             f"`-p` on the command line so that it runs before collection")
