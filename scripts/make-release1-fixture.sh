#!/usr/bin/env bash
# Makes the fixture of a vault written by Amanah's first release (Tests/AmanahCLITests/Fixtures/release1),
# which the tests open with today's code (Release1VaultTests) and which `amanah migrate` will convert.
# It was made once, with the debug `amanah` built from commit 676a8a3 (the last commit before issue 15
# changed the audit event format); run again only with such a binary:
#   scripts/make-release1-fixture.sh /path/to/old/amanah OUTPUT_FOLDER
# Identities use the test-only cheap key derivation (AMANAH_INSECURE_TEST_KDF=1, honoured by debug builds);
# their passphrases are in NAME.pass beside them. Nothing here is a real secret.
set -euo pipefail
umask 077
amanah=$(realpath "$1")
out=$2
photos=$(realpath "$(dirname "$0")/../keys-example/photos")
mkdir -p "$out"
cd "$out"
export AMANAH_INSECURE_TEST_KDF=1 XDG_STATE_HOME="$PWD/.state"
key() { printf 'passphrase of %s\n' "$1" > "$1.pass"; "$amanah" keygen -o "$1.key" --passphrase-file "$1.pass"; }
as() { local who=$1; shift; "$amanah" "$@" -C vault -i "$who.key" --passphrase-file "$who.pass"; }
for who in custodian-1 custodian-2 collector investigator protection-officer legal-officer legal-officer-2 auditor; do
  key "$who" > "$who.pub"
done
"$amanah" init vault -i custodian-1.key --passphrase-file custodian-1.pass --threshold 2 \
  --custodian "$(cat custodian-1.pub)" --custodian "$(cat custodian-2.pub)" \
  --member "$(cat collector.pub):collector" --member "$(cat investigator.pub):investigator" \
  --member "$(cat protection-officer.pub):protection-officer" --member "$(cat legal-officer.pub):legal-officer" \
  --member "$(cat legal-officer-2.pub):legal-officer" --member "$(cat auditor.pub):auditor" > vault-id.txt
cat > cases.json <<'JSON'
[{"id":"C-1","detaineeNumber":"٣٤٥٦/٢١٥","branch":"215","place":"Qaboun","identifiedName":"Test Person A","identifiedBy":"W-0001"},
 {"id":"C-2","detaineeNumber":"4102/227","photographedOn":"2013-09-02"}]
JSON
as collector case add --from cases.json
printf '%s' '{"pseudonym":"W-0001","legalName":"Test Person B","contact":"12 Example Street","consent":["Demo Tribunal"]}' > witness.json
as protection-officer witness add --from witness.json
as collector ingest --case C-1 --witness W-0001 "$photos/DSCN0010.jpg" > items.txt
as collector ingest --case C-2 "$photos/Canon_40D.jpg" >> items.txt
as collector ingest --case C-2 "$photos/Canon_40D.jpg" >> items.txt   # a second delivery: a further source
item=$(head -1 items.txt | cut -f1)
as investigator region add "$item" 40,40,200,120 --category A --reason "a face"
age-keygen -o tribunal.key 2> /dev/null
as custodian-1 op propose add-recipient "Demo Tribunal" --age-key "$(age-keygen -y tribunal.key)" -o recipient.json
as custodian-1 op approve recipient.json --yes
as custodian-2 op approve recipient.json --yes
as custodian-1 op apply recipient.json
printf 'Request of the demo tribunal under rule 77 (test).\n' > basis.txt
as legal-officer disclose propose --to "Demo Tribunal" --profile tribunal-protected --case C-1 --basis-file basis.txt -o req.json
as legal-officer-2 disclose approve req.json --yes
as legal-officer disclose issue req.json -o bundle.tar.age
"$amanah" key export --minisign legal-officer.key -o issuer.pub
rm -rf .state cases.json witness.json basis.txt recipient.json
for who in custodian-1 custodian-2 collector investigator protection-officer legal-officer legal-officer-2 auditor; do rm "$who.pub"; done
