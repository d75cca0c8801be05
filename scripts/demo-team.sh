#!/usr/bin/env bash
# The team demo (issue 17): one vault shared across four machines through S3-compatible storage, with no
# Amanah server. SeaweedFS (the pinned PyPI build that scripts/install-deps.sh installs) runs on loopback as
# the bucket; each "machine" is a vault folder with a client state of its own, in ./demo-team-out (recreated
# each run). The story, after the Caesar file: a custodian creates the vault; a collector in the field, with
# bucket credentials that may only write to the inbox, seals photographs and cases, sends them and keeps none
# of them; an investigator abroad clones the vault (placing what the inbox holds), finds a detainee number and
# exports an original byte-identical; custodians in two places register a tribunal and cosign a checkpoint,
# each on their own machine; a legal officer abroad issues a disclosure of evidence ingested in the field, and
# the tribunal verifies it with stock tools and its recipient kit. Demo keys and passphrase only.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/install-deps.sh
swift build
amanah="$(swift build --show-bin-path)/amanah"
out="$root/demo-team-out"
rm -rf "$out"
mkdir -p "$out"
. "$root/scripts/lib/seaweedfs.sh"
demo_keys "$out"
step() { printf '\n== %s\n' "$*" >&2; }
# on MACHINE WHO COMMAND...: runs amanah on a machine's vault folder and client state, as WHO ("-" for nobody).
on() {
  local machine=$1 who=$2; shift 2
  local identity=()
  [ "$who" = "-" ] || identity=(-i "$keys/$who.key")
  XDG_STATE_HOME="$out/state-$machine" "$amanah" "$@" -C "$out/$machine" "${identity[@]}"
}

step "start SeaweedFS on loopback (S3 gateway with an administrator's key and a field key that may only write to the inbox)"
start_seaweedfs "$out/weed" 64 caesar-evidence caesar-evidence/vault/inbox
echo "SeaweedFS on $endpoint, bucket caesar-evidence" >&2

step "custodian 1 (office A) creates the vault and shares it through the bucket"
XDG_STATE_HOME="$out/state-custodian-a" "$amanah" init "$out/custodian-a" -i "$keys/custodian-1.key" --threshold 2 \
  --custodian "$(pub custodian-1)" --custodian "$(pub custodian-2)" --custodian "$(pub custodian-3)" \
  --member "$(pub collector):collector" --member "$(pub investigator):investigator" \
  --member "$(pub protection-officer):protection-officer" --member "$(pub legal-officer):legal-officer" \
  --member "$(pub legal-officer-2):legal-officer" --member "$(pub auditor):auditor" | tee "$out/vault-id.txt"
vault_id=$(tail -n1 "$out/vault-id.txt")
on custodian-a - remote add origin s3://caesar-evidence/vault --endpoint "$endpoint"
on custodian-a - sync
clone() { XDG_STATE_HOME="$out/state-$1" "$amanah" clone s3://caesar-evidence/vault "$out/$1" --expect-vault "$vault_id" --endpoint "$endpoint" "${@:2}"; }

step "the collector's laptop is prepared at the office (the vault id came out of band), then leaves with a write-only inbox"
clone field --metadata-only
on field - remote remove origin
AWS_ACCESS_KEY_ID="$field_key" AWS_SECRET_ACCESS_KEY="$field_secret" on field - remote add inbox s3://caesar-evidence/vault --inbox --endpoint "$endpoint"

step "in the field, the collector seals two cases and four photographs and sends them; the laptop keeps none of them"
on field collector case add --from "$keys/cases.json"
photos=("$keys"/photos/DSCN00*.jpg)
on field collector ingest --case C-1 "${photos[@]:0:4}" | tee "$out/ingest.tsv"
AWS_ACCESS_KEY_ID="$field_key" AWS_SECRET_ACCESS_KEY="$field_secret" on field collector sync
if AWS_ACCESS_KEY_ID="$field_key" AWS_SECRET_ACCESS_KEY="$field_secret" "$amanah" clone s3://caesar-evidence/vault "$out/stolen" \
     --expect-vault "$vault_id" --endpoint "$endpoint" 2>/dev/null; then
  echo "demo-team: the field key could read the bucket" >&2; exit 1
fi
echo "the field key reads nothing from the bucket" >&2
if on field collector list | grep -q "$(cut -f1 "$out/ingest.tsv" | head -n1)"; then echo "demo-team: the laptop kept an item" >&2; exit 1; fi
echo "the laptop holds none of the items it sent" >&2

step "the investigator abroad joins without the photographs (placing what the inbox holds), finds the detainee number and exports an original"
clone abroad --metadata-only -i "$keys/investigator.key"
echo "3456/215" | on abroad investigator case search --detainee -
first=$(cut -f1 "$out/ingest.tsv" | head -n1)
on abroad investigator show "$first"
on abroad investigator export "$first" -o "$out/exported.jpg"     # its sealed blob is fetched now, and checked
cmp "${photos[0]}" "$out/exported.jpg" && echo "byte-identical to the photograph sealed in the field" >&2
on abroad protection-officer witness add --from "$keys/witnesses.json"
on abroad investigator sync
on abroad protection-officer sync

step "custodians in two places register the tribunal: proposed and approved in office A, approved in office B, applied in A"
clone custodian-b --metadata-only
on custodian-a custodian-1 sync
on custodian-a custodian-1 op propose add-recipient "Demo Tribunal" --age-key "$(cat "$keys/demo-tribunal.agepub")" -o "$out/recipient.op"
on custodian-a custodian-1 op approve "$out/recipient.op" --yes
on custodian-b custodian-2 op approve "$out/recipient.op" --yes      # the operation file travels; no secret in it
on custodian-a custodian-1 op apply "$out/recipient.op"
on custodian-a custodian-1 recipient kit "Demo Tribunal" -o "$out/demo-tribunal.kit.json"
on custodian-a custodian-1 sync

step "abroad, a legal officer proposes releasing case C-1 and a second legal officer approves"
on abroad legal-officer sync
on abroad legal-officer disclose propose --to "Demo Tribunal" --profile tribunal-protected --case C-1 \
  --basis-file "$keys/legal-basis.txt" -o "$out/request.json"
on abroad legal-officer sync
on abroad legal-officer-2 disclose approve "$out/request.json" --yes
on abroad legal-officer-2 sync

step "the auditor abroad makes a checkpoint; custodians cosign it in offices A and B; the cosignatures meet in the bucket"
on abroad auditor audit checkpoint > "$out/checkpoint.txt"
on abroad auditor sync
for pair in custodian-a:custodian-1 custodian-b:custodian-2; do
  machine=${pair%%:*} custodian=${pair##*:}
  on "$machine" "$custodian" sync
  on "$machine" "$custodian" audit cosign "$out/checkpoint.txt" > /dev/null
  on "$machine" "$custodian" sync
done

step "abroad, the legal officer issues the bundle (its number reserved in the shared log first) from evidence sealed in the field"
on abroad legal-officer sync
on abroad legal-officer disclose issue "$out/request.json" -o "$out/DT-0001.tar.age"

step "the tribunal verifies it with stock age, minisign and sha256sum, and with amanah and its recipient kit"
"$amanah" key export --minisign "$keys/legal-officer.key" -o "$out/issuer.pub"
mkdir -p "$out/tribunal/bundle"
age -d -i "$keys/demo-tribunal.agekey" -o "$out/tribunal/bundle.tar" "$out/DT-0001.tar.age"
tar -xf "$out/tribunal/bundle.tar" -C "$out/tribunal/bundle"
( cd "$out/tribunal/bundle" && minisign -Vm SHA256SUMS -p "$out/issuer.pub" && sha256sum -c SHA256SUMS )
"$amanah" bundle verify "$out/DT-0001.tar.age" -i "$keys/demo-tribunal.agekey" --kit "$out/demo-tribunal.kit.json"

step "every office holds the same log; the bucket holds no clear value"
for machine in abroad custodian-a custodian-b; do on "$machine" - sync >/dev/null; done
for machine in abroad custodian-a custodian-b; do on "$machine" - sync | sed "s/^/$machine: /"; done
on custodian-b - audit verify
if grep -r -a -l -e "DSCN00" -e "NIKON" -e "Test Person" -e "3456/215" -e "٣٤٥٦" "$out/weed/data"; then
  echo "demo-team: found a clear value in the bucket's storage" >&2; exit 1
fi
echo "no clear value in the bucket's storage" >&2
printf '\nteam demo finished: machines in %s\n' "$out" >&2
