#!/usr/bin/env bash
# Builds a release of amanah and installs it into PREFIX/bin (default: ~/.local/bin), after installing the
# Debian packages it needs (scripts/install-deps.sh). Usage: scripts/install.sh [PREFIX]
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="${1:-$HOME/.local}"
scripts/install-deps.sh
swift build -c release --product amanah
mkdir -p "$prefix/bin"
install -m 0755 .build/release/amanah "$prefix/bin/amanah"
echo "installed $prefix/bin/amanah ($("$prefix/bin/amanah" --version))"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) echo "add $prefix/bin to your PATH, e.g. echo 'export PATH=\"$prefix/bin:\$PATH\"' >> ~/.profile" ;;
esac
