#!/usr/bin/env bash
# The test command (README, CI): installs missing Debian packages, builds (debug) and runs every test in two
# tiers (DESIGN.md "Tests"), then prints how long each suite took (scripts/suite-durations.py):
#   unit tier (every test target but AmanahCLITests): one test at a time, so each suite's time is its cost;
#   end-to-end tier (AmanahCLITests, drives the built `amanah`): in parallel, for speed; its suites' times
#   are not costs (parallel suites all start together and finish together).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --tests
python3 scripts/check-imports.py --self-test
swift build --build-tests --explicit-target-dependency-import-check error
rm -f .build/unit-results*.xml .build/end-to-end-results*.xml
status=0
swift test --skip-build --no-parallel --skip AmanahCLITests --xunit-output .build/unit-results.xml || status=$?
swift test --skip-build --filter AmanahCLITests --xunit-output .build/end-to-end-results.xml || status=$?
echo
echo "Unit tier, one test at a time:"
python3 scripts/suite-durations.py .build/unit-results-swift-testing.xml || true
echo
echo "End-to-end tier, in parallel (times include waiting for other tests; not each suite's cost):"
python3 scripts/suite-durations.py .build/end-to-end-results-swift-testing.xml || true
exit "$status"
