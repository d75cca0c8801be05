#!/usr/bin/env python3
"""Prints how long each test suite took, from the JUnit XML that `swift test --xunit-output FILE` writes
(Swift Testing's results go to FILE with "-swift-testing" before ".xml").

Per suite: the number of tests, the sum of their durations (`time` of each <testcase>) and the longest
test, slowest suite first. These are costs only for a run with `--no-parallel` (the unit tier of
scripts/test.sh). In a parallel run Swift Testing starts every suite at once and, as measured here, ends
them together: its "Suite X passed after N seconds" and each test's time then read about the same (the
whole run's length) for every suite. See DESIGN.md "Tests".

Usage: scripts/suite-durations.py RESULTS.xml [MORE.xml ...]   (missing files are skipped)
"""
import os
import sys
import xml.etree.ElementTree as ET


def suite_of(case):
    # Swift Testing: classname "Module.Suite" (nested suites "Module.Outer/Inner"); XCTest: "Module.Class".
    return case.get("classname") or "(no suite)"


def main(paths):
    suites = {}
    for path in paths:
        if not os.path.exists(path):
            continue
        for case in ET.parse(path).getroot().iter("testcase"):
            seconds = float(case.get("time") or 0)
            name = case.get("name") or "?"
            entry = suites.setdefault(suite_of(case), {"tests": 0, "total": 0.0, "longest": (0.0, "")})
            entry["tests"] += 1
            entry["total"] += seconds
            if seconds >= entry["longest"][0]:
                entry["longest"] = (seconds, name)
    if not suites:
        print("suite durations: no test results found in " + ", ".join(paths))
        return 0
    print("Suite durations (sum of each suite's test durations, see DESIGN.md \"Tests\"):")
    print(f"{'seconds':>9}  {'tests':>5}  {'longest test':<48} suite")
    for name, entry in sorted(suites.items(), key=lambda item: -item[1]["total"]):
        longest = f"{entry['longest'][0]:7.2f}  {entry['longest'][1]}"[:48]
        print(f"{entry['total']:9.2f}  {entry['tests']:5d}  {longest:<48} {name}")
    print(f"{sum(e['total'] for e in suites.values()):9.2f}  {sum(e['tests'] for e in suites.values()):5d}  (all suites)")
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(64)
    sys.exit(main(sys.argv[1:]))
