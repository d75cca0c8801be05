#!/usr/bin/env bash
# Installs the Debian packages Amanah needs to build, test and run its demo (only those missing).
# Uses sudo when not root. Safe to run repeatedly.
set -euo pipefail
packages=(libsodium-dev libvips-dev libsqlite3-dev zlib1g-dev pkg-config age minisign dosfstools fusefat)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
echo "amanah: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
