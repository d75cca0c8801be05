#!/usr/bin/env bash
# Benchmarks of releases (issues 7 and 9): figures, never a test. Release build, page cache warm.
#   1. Derivatives: `amanah export ITEM --profile public` (decrypt, decode in the sandbox, mask, encode, check,
#      audit) per file, against `vips copy in out[strip]` per file, on the sample photographs and on
#      12-megapixel JPEGs; derivatives per second and peak memory.
#   2. Disclosure: issue and verify a tribunal-protected bundle of N photographs (default 1,000), against
#      `tar | age` plus `sha256sum` over the same originals; MB/s and peak memory.
# Commands run through `amanah agent`, so the figures do not include Argon2id unlocks.
# Usage: scripts/bench-release.sh [--photos N] [--big N] [--work DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
photos=1000; big=10; work=/tmp/amanah-bench-release
while [ $# -gt 0 ]; do
  case "$1" in
    --photos) photos=$2; shift 2 ;;
    --big) big=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) echo "usage: $0 [--photos N] [--big N] [--work DIR]" >&2; exit 64 ;;
  esac
done
scripts/install-deps.sh
swift build -c release --product amanah >/dev/null
amanah="$(swift build -c release --show-bin-path)/amanah"
rm -rf "$work"; mkdir -p "$work/state" "$work/data/small" "$work/data/big" "$work/data/many"
# Private copies of keys-example/ (a clone has its key files at 0644, which amanah refuses).
keys="$work/keys"
mkdir -m 700 "$keys"
cp -R "$root/keys-example/." "$keys/"
chmod 600 "$keys"/*.key "$keys"/*.agekey "$keys/DEMO-ONLY-passphrase.txt"
export XDG_STATE_HOME="$work/state" AMANAH_PASSPHRASE_FILE="$keys/DEMO-ONLY-passphrase.txt" AMANAH_VAULT="$work/vault"
pub() { cat "$keys/$1.pub"; }
as() { local who=$1; shift; "$amanah" "$@" -i "$keys/$who.key"; }
now() { date +%s.%N; }
peak() { grep -o 'peak-rss-kib [0-9]*' "$1" | awk '{print $2}' | sort -n | tail -1; }
say() { printf '%s\n' "$*"; }
calc() { awk "BEGIN { print $* }"; }

# Identities in one agent: no Argon2id per command.
eval "$("$amanah" agent start -i "$keys/custodian-1.key" --lifetime 2h)" >/dev/null
trap '"$amanah" agent lock >/dev/null 2>&1 || true' EXIT
for who in custodian-2 collector investigator legal-officer legal-officer-2 protection-officer; do
  "$amanah" agent add -i "$keys/$who.key" >/dev/null
done

as custodian-1 init "$AMANAH_VAULT" --threshold 2 --custodian "$(pub custodian-1)" --custodian "$(pub custodian-2)" \
  --member "$(pub collector):collector" --member "$(pub investigator):investigator" --member "$(pub legal-officer):legal-officer" \
  --member "$(pub legal-officer-2):legal-officer" --member "$(pub protection-officer):protection-officer" >/dev/null 2>&1
echo '[{"id":"C-1"},{"id":"C-2"},{"id":"C-3"}]' | as collector case add --from - >/dev/null 2>&1

# Data: the sample photographs; 12-megapixel JPEGs scaled up from them; N unique copies of the samples.
cp "$keys"/photos/*.jpg "$work/data/small/"
i=0
for f in "$keys"/photos/DSCN00*.jpg; do
  [ "$i" -ge "$big" ] && break
  vips resize "$f" "$work/data/big/big-$i.jpg[Q=92]" 6.25 >/dev/null 2>&1   # 640x480 -> 4000x3000
  i=$((i + 1))
done
while [ "$i" -lt "$big" ]; do cp "$work/data/big/big-0.jpg" "$work/data/big/big-$i.jpg"; printf 'copy %d' "$i" >> "$work/data/big/big-$i.jpg"; i=$((i + 1)); done
n=0
while [ "$n" -lt "$photos" ]; do
  for f in "$keys"/photos/DSCN00*.jpg; do
    [ "$n" -ge "$photos" ] && break
    cp "$f" "$work/data/many/p$n.jpg"; printf 'bench copy %d' "$n" >> "$work/data/many/p$n.jpg"; n=$((n + 1))
  done
done

as collector ingest --case C-1 "$work"/data/small/*.jpg > "$work/small.tsv" 2>/dev/null
as collector ingest --case C-2 "$work"/data/big/*.jpg > "$work/big.tsv" 2>/dev/null
as collector ingest --case C-3 "$work"/data/many/*.jpg > "$work/many.tsv" 2>/dev/null

derivatives() {  # $1 = label, $2 = tsv of items, $3 = folder of the same originals
  local label=$1 tsv=$2 folder=$3 count start end a v
  count=$(wc -l < "$tsv")
  mkdir -p "$work/out-$label"
  start=$(now)
  while IFS=$'\t' read -r item name; do
    AMANAH_REPORT_PEAK_RSS=1 as investigator export "$item" --profile public -o "$work/out-$label/$item.jpg" 2>>"$work/rss-$label.txt" >/dev/null
  done < "$tsv"
  end=$(now); a=$(calc "$end - $start")
  mkdir -p "$work/vips-$label"
  start=$(now)
  for f in "$folder"/*.jpg; do vips copy "$f" "$work/vips-$label/$(basename "$f")[strip]"; done
  end=$(now); v=$(calc "$end - $start")
  printf '%-22s %5d files  amanah %7.2f derivatives/s (%.0f ms each, peak %s KiB)   vips copy [strip] %7.2f files/s   ratio %.2f\n' \
    "$label" "$count" "$(calc "$count / $a")" "$(calc "1000 * $a / $count")" "$(peak "$work/rss-$label.txt")" \
    "$(calc "$count / $v")" "$(calc "$v / $a")"
}

say "== derivatives (issue 7): export --profile public, one process per file, against vips copy in out[strip]"
derivatives "sample photographs" "$work/small.tsv" "$work/data/small"
derivatives "12-megapixel JPEGs" "$work/big.tsv" "$work/data/big"

say "== disclosure (issue 9): $photos photographs under tribunal-protected"
age-keygen -o "$work/tribunal.agekey" 2>/dev/null
as custodian-1 op propose add-recipient "Bench Tribunal" --age-key "$(age-keygen -y "$work/tribunal.agekey")" -o "$work/r.op" >/dev/null 2>&1
as custodian-1 op approve "$work/r.op" --yes >/dev/null 2>&1
as custodian-2 op approve "$work/r.op" --yes >/dev/null 2>&1
as custodian-2 op apply "$work/r.op" >/dev/null 2>&1
echo "benchmark release" > "$work/basis.txt"
bytes=$(cat "$work"/data/many/*.jpg | wc -c)
start=$(now); as legal-officer disclose propose --to "Bench Tribunal" --profile tribunal-protected --case C-3 --basis-file "$work/basis.txt" -o "$work/req.json" >/dev/null 2>&1; end=$(now)
propose=$(calc "$end - $start")
as legal-officer-2 disclose approve "$work/req.json" --yes >/dev/null 2>&1
start=$(now); AMANAH_REPORT_PEAK_RSS=1 as legal-officer disclose issue "$work/req.json" -o "$work/bundle.tar.age" > /dev/null 2>"$work/rss-issue.txt"; end=$(now)
issue=$(calc "$end - $start")
"$amanah" key export --minisign "$keys/legal-officer.key" -o "$work/issuer.pub" >/dev/null 2>&1
start=$(now); AMANAH_REPORT_PEAK_RSS=1 "$amanah" bundle verify "$work/bundle.tar.age" -i "$work/tribunal.agekey" --issuer-key "$work/issuer.pub" >/dev/null 2>"$work/rss-verify.txt"; end=$(now)
verify=$(calc "$end - $start")
bundle=$(stat -c %s "$work/bundle.tar.age")
start=$(now); ( cd "$work/data/many" && tar cf - . | age -r "$(age-keygen -y "$work/tribunal.agekey")" > "$work/plain.tar.age" && sha256sum ./*.jpg > /dev/null ); end=$(now)
script=$(calc "$end - $start")
printf 'originals %d bytes, bundle %d bytes\n' "$bytes" "$bundle"
printf 'propose (plan, %d derivatives)  %7.2f s\n' "$photos" "$propose"
printf 'issue   (derivatives again, tar, age, signatures)  %7.2f s  %7.1f MB/s of originals  peak %s KiB\n' "$issue" "$(calc "$bytes / $issue / 1000000")" "$(peak "$work/rss-issue.txt")"
printf 'verify  (age, tar, every hash, signatures, proofs)  %7.2f s  %7.1f MB/s of bundle     peak %s KiB\n' "$verify" "$(calc "$bundle / $verify / 1000000")" "$(peak "$work/rss-verify.txt")"
printf 'tar | age + sha256sum over the originals            %7.2f s  %7.1f MB/s   (issue is %.2fx its time; verify %.2fx)\n' "$script" "$(calc "$bytes / $script / 1000000")" "$(calc "$issue / $script")" "$(calc "$verify / $script")"
