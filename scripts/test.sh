#!/usr/bin/env bash
# The test command (README, CI): installs missing Debian packages, builds (debug) and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
python3 scripts/check-imports.py --self-test
swift build --build-tests --explicit-target-dependency-import-check error
swift test --skip-build
