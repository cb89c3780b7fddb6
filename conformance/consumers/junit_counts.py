"""Count the arraygrad-parametrized results in a pytest junit xml (used by run.sh).

    python junit_counts.py LABEL REPORT.xml [FAILURES.txt]

Prints one line: LABEL, then passed / failed / errors / skipped / xfailed counts of the
test cases whose parametrization id (the ``[...]`` part of the name) mentions arraygrad.
A non-strict XPASS is reported by pytest's junit xml as a pass and a strict one as a
failure, so there is no xpassed count. Results of other test cases (collection errors of a
module, tests not parametrized over namespaces) are counted on a second line when present.
With FAILURES.txt, the ids of every failed or erroring case are written there, one a line.
"""
from __future__ import annotations

import collections
import sys
import xml.etree.ElementTree as ET

ORDER = ("passed", "failed", "error", "skipped", "xfailed")


def status(tc: ET.Element) -> str:
    tags = {ch.tag: ch for ch in tc}
    if "failure" in tags:
        return "failed"
    if "error" in tags:
        return "error"
    if "skipped" in tags:
        return "xfailed" if tags["skipped"].get("type") == "pytest.xfail" else "skipped"
    return "passed"


def main(label: str, xml_path: str, failures_path: str | None = None) -> None:
    counts = {"arraygrad": collections.Counter(), "other": collections.Counter()}
    bad = []
    for tc in ET.parse(xml_path).iter("testcase"):
        name = tc.get("name", "")
        key = "arraygrad" if "arraygrad" in name.partition("[")[2] else "other"
        st = status(tc)
        counts[key][st] += 1
        if st in ("failed", "error"):
            bad.append(f"{st.upper():6} {tc.get('classname', '')}::{name}")

    def fmt(c):
        return ", ".join(f"{c[k]} {k if k != 'error' else 'errors'}" for k in ORDER) + \
            f" ({sum(c.values())} total)"

    print(f"{label:8} arraygrad-parametrized: {fmt(counts['arraygrad'])}")
    if counts["other"]:
        print(f"{'':8} other test cases:       {fmt(counts['other'])}")
    if failures_path:
        with open(failures_path, "w") as f:
            f.write("".join(line + "\n" for line in bad))


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    main(*sys.argv[1:])
