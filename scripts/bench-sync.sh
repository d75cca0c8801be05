#!/usr/bin/env bash
# The team vault's benchmark (issue 17): figures, never a test. In one run against one SeaweedFS on loopback,
# `amanah sync` of a freshly ingested vault (sealed and signed: every file a blob, every ingest a signed log
# position) beside `rclone copy` (Debian) and `aws s3 cp --recursive` (PyPI awscli, pinned) of the same
# plaintext files, on two sets: LARGE × 5 MiB and SMALL × 100 KB (defaults 200 and 2000, as the issue asks);
# then `amanah clone --metadata-only` of the small set's vault. Prints seconds, MB/s, files/s, the ratio of
# amanah to the faster stock tool (above 1 is faster), and amanah's peak resident memory. With SEED (e.g.
# 55000, the seed's size), a clone at that size follows: SEED items of 1 KB ingested into one case, synced to a
# folder remote, then `amanah clone --metadata-only` of it (several minutes).
# Usage: scripts/bench-sync.sh [LARGE] [SMALL] [SEED]   (a release build; about 2 GB of disk in ./bench-sync-out)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
large=${1:-200}
small=${2:-2000}
seed=${3:-}
scripts/install-deps.sh
dpkg-query -W -f='${Status}' rclone 2>/dev/null | grep -q "install ok installed" || {
  sudo_cmd=(); [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get install -y -qq rclone >/dev/null
}
venv="$root/.build/bench-venv"
[ -x "$venv/bin/aws" ] || { python3 -m venv "$venv"; "$venv/bin/pip" install -q --disable-pip-version-check awscli==1.46.3; }
swift build -c release --product amanah >/dev/null
amanah="$(swift build -c release --show-bin-path)/amanah"
out="$root/bench-sync-out"
rm -rf "$out"; mkdir -p "$out"
. "$root/scripts/lib/seaweedfs.sh"
demo_keys "$out"
export XDG_STATE_HOME="$out/state"
now() { date +%s.%N; }
start_seaweedfs "$out/weed" 1024 bench
export RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other RCLONE_CONFIG_BENCH_ENDPOINT="$endpoint" \
  RCLONE_CONFIG_BENCH_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY" \
  RCLONE_CONFIG_BENCH_REGION=us-east-1 RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE=true

rclone version >/dev/null 2>&1
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; SeaweedFS 4.48 on loopback; $(rclone version | head -n1); $("$venv/bin/aws" --version 2>&1)"
printf '%-34s %9s %10s %10s %8s %10s\n' "run" "seconds" "MB/s" "files/s" "ratio" "peak RSS"

# make_set NAME COUNT SIZE: COUNT files of SIZE bytes of random data.
make_set() {
  mkdir -p "$out/$1"
  python3 - "$out/$1" "$2" "$3" <<'EOF'
import os, sys
folder, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(count):
    with open(os.path.join(folder, f"file-{i:05d}.bin"), "wb") as f:
        f.write(os.urandom(size))
EOF
}

# run_set NAME COUNT SIZE
run_set() {
  local name=$1 count=$2 size=$3 bytes=$(( $2 * $3 ))
  make_set "$name" "$count" "$size"
  local vault="$out/vault-$name"
  "$amanah" init "$vault" -i "$keys/custodian-1.key" --threshold 1 --custodian "$(pub custodian-1)" \
    --member "$(pub collector):collector" --member "$(pub investigator):investigator" 2> /dev/null | tail -n1 > "$out/id-$name"
  echo '{"id":"C-1","detaineeNumber":"1/1"}' > "$out/case.json"
  "$amanah" case add --from "$out/case.json" -C "$vault" -i "$keys/collector.key" > /dev/null 2>&1
  local t0=$(now)
  "$amanah" ingest -C "$vault" -i "$keys/collector.key" --case C-1 "$out/$name"/*.bin > /dev/null
  local t1=$(now)
  "$amanah" remote add origin "s3://bench/amanah-$name" --endpoint "$endpoint" -C "$vault" > /dev/null 2>&1
  local t2=$(now)
  AMANAH_REPORT_PEAK_RSS=1 "$amanah" sync -C "$vault" > /dev/null 2> "$out/sync-$name.err"
  local t3=$(now)
  local rss=$(grep -o 'peak-rss-kib [0-9]*' "$out/sync-$name.err" | awk '{print $2}')
  "$venv/bin/aws" --endpoint-url "$endpoint" s3 cp --recursive --quiet "$out/$name" "s3://bench/aws-$name"
  local t4=$(now)
  # A CA bundle named in the environment (for HTTPS elsewhere) makes rclone refuse a plain-HTTP endpoint.
  env -u AWS_CA_BUNDLE rclone copy "$out/$name" "bench:bench/rclone-$name"
  local t5=$(now)
  python3 - "$name" "$count" "$bytes" "$t0" "$t1" "$t2" "$t3" "$t4" "$t5" "${rss:-0}" <<'EOF'
import sys
name, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t0, t1, t2, t3, t4, t5 = map(float, sys.argv[4:10]); rss = int(sys.argv[10])
ingest, sync, aws, rclone = t1 - t0, t3 - t2, t4 - t3, t5 - t4
best = min(aws, rclone)
def row(label, seconds, ratio="", memory=""):
    print(f"{label:<34} {seconds:9.2f} {size / seconds / 1e6:10.1f} {count / seconds:10.1f} {ratio:>8} {memory:>10}")
row(f"amanah ingest ({name})", ingest)
row(f"amanah sync ({name})", sync, f"{best / sync:.2f}", f"{rss // 1024} MiB")
row(f"amanah ingest + sync ({name})", ingest + sync, f"{best / (ingest + sync):.2f}")
row(f"aws s3 cp --recursive ({name})", aws)
row(f"rclone copy ({name})", rclone)
EOF
}

run_set large "$large" $((5 << 20))
run_set small "$small" 102400
t0=$(now)
XDG_STATE_HOME="$out/state-clone" AMANAH_REPORT_PEAK_RSS=1 "$amanah" clone "s3://bench/amanah-small" "$out/clone-small" --endpoint "$endpoint" --metadata-only \
  --expect-vault "$(cat "$out/id-small")" \
  > /dev/null 2> "$out/clone.err" || { cat "$out/clone.err" >&2; exit 1; }
t1=$(now)
rss=$(grep -o 'peak-rss-kib [0-9]*' "$out/clone.err" | awk '{print $2}')
python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); print(f\"{'amanah clone --metadata-only (small)':<34} {s:9.2f} {'':>10} {int(sys.argv[3])/s:10.1f} {'':>8} {int(sys.argv[4])//1024:>6} MiB\")" "$t0" "$t1" "$small" "${rss:-0}"

[ -n "$seed" ] || exit 0
# The seed's size: one case of SEED small items, through a folder remote (no network in the way).
mkdir -p "$out/seed"
python3 - "$out/seed" "$seed" <<'EOF'
import os, sys
for i in range(int(sys.argv[2])):
    with open(os.path.join(sys.argv[1], f"item-{i:06d}.bin"), "wb") as f:
        f.write(os.urandom(1024))
EOF
"$amanah" init "$out/vault-seed" -i "$keys/custodian-1.key" --threshold 1 --custodian "$(pub custodian-1)" \
  --member "$(pub collector):collector" --member "$(pub investigator):investigator" 2> /dev/null | tail -n1 > "$out/id-seed"
"$amanah" case add --from "$out/case.json" -C "$out/vault-seed" -i "$keys/collector.key" > /dev/null 2>&1
t0=$(now)
find "$out/seed" -name '*.bin' | sort | xargs -n 5000 "$amanah" ingest -C "$out/vault-seed" -i "$keys/collector.key" --case C-1 > /dev/null 2>&1
t1=$(now)
mkdir -p "$out/remote-seed"
"$amanah" remote add origin "file://$out/remote-seed" -C "$out/vault-seed" > /dev/null 2>&1
"$amanah" sync -C "$out/vault-seed" > /dev/null 2>&1
t2=$(now)
XDG_STATE_HOME="$out/state-clone-seed" AMANAH_REPORT_PEAK_RSS=1 "$amanah" clone "file://$out/remote-seed" "$out/clone-seed" --metadata-only \
  --expect-vault "$(cat "$out/id-seed")" > /dev/null 2> "$out/clone-seed.err" || { cat "$out/clone-seed.err" >&2; exit 1; }
t3=$(now)
rss=$(grep -o 'peak-rss-kib [0-9]*' "$out/clone-seed.err" | awk '{print $2}')
python3 - "$t0" "$t1" "$t2" "$t3" "$seed" "${rss:-0}" <<'EOF'
import sys
t = list(map(float, sys.argv[1:5])); n = int(sys.argv[5]); rss = int(sys.argv[6])
print(f"seed size, {n} items (folder remote): ingest {t[1] - t[0]:.1f} s, sync {t[2] - t[1]:.1f} s, "
      f"clone --metadata-only {t[3] - t[2]:.1f} s ({(n + 2) / (t[3] - t[2]):.0f} positions/s), clone peak {rss // 1024} MiB")
EOF
