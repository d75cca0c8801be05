#!/usr/bin/env bash
# The demo: installs missing Debian packages, builds, and runs Amanah end to end on keys-example/ and the
# sample photographs, in ./demo-out (recreated each run). Demo keys and passphrase only: never real secrets.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/install-deps.sh
swift build
amanah="$(swift build --show-bin-path)/amanah"
out="$root/demo-out"
rm -rf "$out"
mkdir -p "$out/state"
# A copy of keys-example/: git keeps no file modes (a clone has its key files at 0644), and amanah refuses
# key and passphrase files that others can read. The copies are made private; the repository's stay as they are.
keys="$out/keys"
mkdir -m 700 "$keys"
cp -R "$root/keys-example/." "$keys/"
chmod 600 "$keys"/*.key "$keys"/*.agekey "$keys/DEMO-ONLY-passphrase.txt"
export XDG_STATE_HOME="$out/state"          # the demo's own client state (rollback protection)
export AMANAH_PASSPHRASE_FILE="$keys/DEMO-ONLY-passphrase.txt"
export AMANAH_VAULT="$out/vault"
pub() { cat "$keys/$1.pub"; }
step() { printf '\n== %s\n' "$*" >&2; }
as() { local who=$1; shift; "$amanah" "$@" -i "$keys/$who.key"; }

step "create the vault: 3 custodians (2 must sign changes) and one member per role"
as custodian-1 init "$AMANAH_VAULT" --threshold 2 \
  --custodian "$(pub custodian-1)" --custodian "$(pub custodian-2)" --custodian "$(pub custodian-3)" \
  --member "$(pub collector):collector" --member "$(pub investigator):investigator" \
  --member "$(pub protection-officer):protection-officer" --member "$(pub legal-officer):legal-officer" \
  --member "$(pub legal-officer-2):legal-officer" --member "$(pub auditor):auditor"

step "the collector seals two cases and the protection officer one witness"
as collector case add --from "$keys/cases.json"
as protection-officer witness add --from "$keys/witnesses.json"

step "the collector ingests two cases of four photographs (write-only: it cannot read them back)"
photos=("$keys"/photos/DSCN00*.jpg)
as collector ingest --case C-1 --witness W-0001 --source-file "$keys/source-note.txt" "${photos[@]:0:4}" | tee "$out/ingest-1.tsv"
as collector ingest --case C-2 "${photos[@]:4:4}" | tee "$out/ingest-2.tsv"
if as collector show "$(cut -f1 "$out/ingest-1.tsv" | head -n1)"; then
  echo "demo: the collector could read back what it sealed" >&2; exit 1
fi
echo "(the collector is refused, as it should be)" >&2

step "the investigator lists, searches and shows"
as investigator list
echo "3456/215" | as investigator case search --detainee -     # the value from stdin, not argv
first=$(cut -f1 "$out/ingest-1.tsv" | head -n1)
as investigator show "$first"

step "export one original and prove it byte-identical"
as investigator export "$first" -o "$out/exported.jpg"
original="${photos[0]}"
sha256sum "$original" "$out/exported.jpg"
cmp "$original" "$out/exported.jpg" && echo "byte-identical" >&2

step "the protection officer sees the witness identity; the investigator does not"
as protection-officer witness show W-0001
as investigator witness show W-0001

step "check every blob (decrypting all of them) and verify the audit log"
as investigator check --read-data
"$amanah" audit verify

step "the investigator marks a region to mask (displayed coordinates) and exports under the public profile"
as investigator region add "$first" 200,120,160,120 --category C --reason "a street sign that locates the scene"
as investigator export "$first" --profile public -o "$out/public.jpg"

step "two custodians register the demo tribunal as a recipient (a quorum operation)"
as custodian-1 op propose add-recipient "Demo Tribunal" --age-key "$(cat "$keys/demo-tribunal.agepub")" -o "$out/recipient.op"
as custodian-1 op approve "$out/recipient.op" --yes
as custodian-2 op approve "$out/recipient.op" --yes
as custodian-2 op apply "$out/recipient.op"
step "a custodian writes the kit the tribunal pins at registration (handed over out of band, fingerprint compared)"
as custodian-1 recipient kit "Demo Tribunal" -o "$out/demo-tribunal.kit.json"

step "a legal officer proposes disclosing case C-1 under tribunal-protected; a second legal officer approves"
as legal-officer disclose propose --to "Demo Tribunal" --profile tribunal-protected --case C-1 \
  --basis-file "$keys/legal-basis.txt" -o "$out/request.json"
as legal-officer-2 disclose approve "$out/request.json" --yes
step "two custodians cosign a checkpoint of the audit log: the bundle proves custody against it"
as custodian-1 audit checkpoint > "$out/checkpoint.txt"
as custodian-2 audit cosign "$out/checkpoint.txt" > /dev/null
as legal-officer disclose issue "$out/request.json" -o "$out/DT-0001.tar.age"

step "the tribunal verifies the bundle with stock age, minisign and sha256sum, and with amanah"
"$amanah" key export --minisign "$keys/legal-officer.key" -o "$out/issuer.pub"   # given to the tribunal out of band
mkdir -p "$out/tribunal"
age -d -i "$keys/demo-tribunal.agekey" -o "$out/tribunal/bundle.tar" "$out/DT-0001.tar.age"
mkdir -p "$out/tribunal/bundle" && tar -xf "$out/tribunal/bundle.tar" -C "$out/tribunal/bundle"
( cd "$out/tribunal/bundle" && minisign -Vm SHA256SUMS -p "$out/issuer.pub" && minisign -Vm manifest.json -p "$out/issuer.pub" \
    && sha256sum -c SHA256SUMS )
"$amanah" bundle verify "$out/DT-0001.tar.age" -i "$keys/demo-tribunal.agekey" --kit "$out/demo-tribunal.kit.json"

step "no identifying value is stored in clear in the vault folder"
# Whole values only: a bare "3456" also turns up by chance inside random hexadecimal ids.
if grep -r -a -l -e "DSCN00" -e "NIKON" -e "Test Person" -e "3456/215" -e "٣٤٥٦" -e "$(sha256sum "$original" | cut -c1-64)" "$AMANAH_VAULT"; then
  echo "demo: found a clear value in the vault folder" >&2; exit 1
fi
echo "none found" >&2
printf '\ndemo finished: vault in %s\n' "$AMANAH_VAULT" >&2
