#!/usr/bin/env bash
# The test command (README, CI): installs missing Debian packages, builds (debug) and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build --build-tests
swift test --skip-build
