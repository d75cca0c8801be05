/// The built-in default policy, byte-identical to `keys-example/policy.toml` (a test compares them).
/// `amanah init` installs it unless `--policy FILE` is given.
public enum DefaultPolicy {
    /// The policy document (UTF-8 TOML, ends with a line feed).
    public static let text: String = #"""
# Amanah policy: the built-in default (language version 1).
#
# `amanah init` installs this policy unless `--policy FILE` is given; changing it later is a quorum
# operation (`amanah op propose set-policy FILE`). The vault records the policy hash in every audit event:
# SHA-256 over a canonical serialisation of the parsed policy (not of this file), so comments, white space,
# key order and equivalent spellings do not change it, and any change to a rule, name, description or
# reason does. Array order is kept (rule names and positions appear in `amanah policy explain`).
#
# How a request is decided (deny by default, an explicit deny wins):
#   1. A request naming an unknown profile, classification, protective measure or region category is denied.
#   2. Any matching [[deny]] rule denies.
#   3. Every compartment the request touches needs an allow rule of one of the subject's roles whose
#      conditions all hold (a custodian key also gets the rules of [roles.custodian]). Nothing else permits.
#   4. A release (export, disclose, approve) needs a profile; it must respect the witnesses' protective
#      measures; if it reveals an identity it needs a named recipient and each witness's consent to that
#      recipient, or a court-order quorum operation when `court-order-override` allows.
#   5. A disclosure needs `approvals` approvals besides the requester's own proposal, each from a key the
#      policy lets approve this release; if it reveals an identity, one of them from `identity-approver`.
#      Missing approvals do not deny: they are obligations (`approvals=N`, `approval-by=ROLE`) that must be
#      met before the disclosure is issued.
#
# A release "reveals an identity" when it touches the identity compartment (the profile keeps or generalises
# identity fields), or when the profile releases originals and the item's original reveals its source.
#
# Strict: an unknown key, role, action, compartment, field, profile, classification or category code is an
# error naming its key path; so is a record field without a rule in a profile.
#
# Vocabulary:
#   roles         custodian collector investigator protection-officer legal-officer auditor
#   actions       ingest          seal files and records into compartments (write-only)
#                 view            decrypt and read (also `export ITEM` without a profile: a copy for oneself)
#                 annotate        add or remove regions on items
#                 record-consent  set a witness's consent and protective measures
#                 export          write a release under a profile (`export --profile`)
#                 disclose        propose and issue a disclosure to a registered recipient
#                 approve         approve a disclosure request
#                 administer      governance operations; always through a quorum
#                 audit           read and verify the audit log and the store
#   compartments  media (items, capture metadata, sources, regions), case (case records and the witness
#                 pseudonym, consent and protective measures), identity (witness identities, identified names)

version = 1

# Classification levels, lowest first. A resource without a label is at the lowest level. Allow rules may
# set `max-classification`, deny rules `min-classification`.
classifications = ["normal", "restricted"]

# Category codes. Every redaction (field rule, region) carries one; `reason-required` codes need their own
# reason wherever they are used.
[categories.A]
description = "witness identity"

[categories.B]
description = "identity of a third person"

[categories.C]
description = "location"

[categories.D]
description = "investigative sources and methods"

[categories.E]
description = "other"
reason-required = true

# Protective measures a witness may be under (listed in the witness's `protectiveMeasures`). They apply to
# every release, whatever the profile or the consent says. A measure not defined here denies the request.
#   remove-identity     identity fields of the witness's record are removed (logged with `code`)
#   withhold-originals  originals the witness is a source of are never released
#   always-mask         region categories always masked on the witness's items; their originals are not
#                       released while they have such regions
[measures.pseudonym-only]
description = "known only by pseudonym: no identity field and no original that reveals the witness is released"
remove-identity = true
withhold-originals = true
code = "A"

[measures.image-distortion]
description = "the witness's face and other identifying regions are always masked, consent notwithstanding"
always-mask = ["A"]

# Generalising a place to its region: the table first (matched after Unicode NFC, Arabic-Indic digits to
# ASCII, trimming and lower-casing), then the fallback: "first-component" or "last-component" of the
# comma-separated place (`,` or the Arabic comma), or "withhold". A one-component place is withheld by the
# component rules, since it is not a region.
[places]
fallback = "last-component"

[places.regions]
"Mezzeh Military Hospital 601" = "Damascus"
"Tishreen Military Hospital" = "Damascus"

# Roles. Each [[roles.ROLE.allow]] is one permission:
#   name                unique across the policy; shown by `amanah policy explain`
#   actions             required
#   compartments        required for content actions; absent for administer and audit
#   profiles            only under these profiles (export, disclose, approve)
#   cases               only for these case ids
#   max-classification  only up to this level
#   consent             every witness concerned consented to the recipient (export, disclose, approve)
#   reveals-identity    only when the release does (true) or does not (false) reveal an identity
#   obligations         ["quorum"]: only through a quorum operation

[roles.custodian]
description = "administers the vault only as a quorum; verifies the audit log and the store; reads no content"

[[roles.custodian.allow]]
name = "custodian-administer"
actions = ["administer"]
obligations = ["quorum"]

[[roles.custodian.allow]]
name = "custodian-verify"
actions = ["audit"]

[roles.collector]
description = "seals files and records; cannot read back what it sealed"

[[roles.collector.allow]]
name = "collector-ingest"
actions = ["ingest"]
compartments = ["media", "case", "identity"]

[roles.investigator]
description = "ingests; sees case data and media; sees witnesses only by pseudonym; adds regions"

[[roles.investigator.allow]]
name = "investigator-ingest"
actions = ["ingest"]
compartments = ["media", "case", "identity"]

[[roles.investigator.allow]]
name = "investigator-view"
actions = ["view"]
compartments = ["media", "case"]

[[roles.investigator.allow]]
name = "investigator-annotate"
actions = ["annotate"]
compartments = ["media"]

[[roles.investigator.allow]]
name = "investigator-export-public"
actions = ["export"]
compartments = ["media", "case"]
profiles = ["public"]

[roles.protection-officer]
description = "the one role that reads witness identities; records consent and protective measures; approves releases that reveal identities"

[[roles.protection-officer.allow]]
name = "protection-officer-view"
actions = ["view"]
compartments = ["media", "case", "identity"]   # media: they decide about pictures they must see

[[roles.protection-officer.allow]]
name = "protection-officer-add-witnesses"
actions = ["ingest"]
compartments = ["case", "identity"]

[[roles.protection-officer.allow]]
name = "protection-officer-record-consent"
actions = ["record-consent"]
compartments = ["case"]

[[roles.protection-officer.allow]]
name = "protection-officer-family-viewing"
actions = ["export"]
compartments = ["media", "case"]
profiles = ["family-viewing"]

[[roles.protection-officer.allow]]
name = "protection-officer-approve-identity"
actions = ["approve"]
compartments = ["media", "case", "identity"]
reveals-identity = true

[roles.legal-officer]
description = "prepares, proposes and approves disclosures"

[[roles.legal-officer.allow]]
name = "legal-officer-view"
actions = ["view"]
compartments = ["media", "case"]

[[roles.legal-officer.allow]]
name = "legal-officer-disclose"
actions = ["disclose", "approve"]
compartments = ["media", "case", "identity"]

[roles.auditor]
description = "reads and verifies the audit log and cosigns checkpoints; sees no content"

[[roles.auditor.allow]]
name = "auditor-audit"
actions = ["audit"]

# Explicit denies: each needs a name and a reason; roles, compartments, profiles, cases, min-classification,
# reveals-identity and reveals-source narrow it (absent: any). A matching deny wins over every allow.

[[deny]]
name = "collectors-are-write-only"
roles = ["collector"]
actions = ["view", "export", "disclose", "approve", "audit"]
reason = "collectors seal evidence but never read it back"

[[deny]]
name = "collectors-only-add"
roles = ["collector"]
actions = ["annotate", "record-consent", "administer"]
reason = "collectors add new evidence and records; regions, consent and governance are written by other roles"

[[deny]]
name = "auditors-see-no-content"
roles = ["auditor"]
actions = ["ingest", "view", "annotate", "record-consent", "export", "disclose", "approve", "administer"]
reason = "auditors read and verify the audit log and nothing else"

[[deny]]
name = "identities-leave-only-by-disclosure"
actions = ["export"]
reveals-identity = true
reason = "identities and originals that reveal a source leave the vault only by an approved disclosure"

[[deny]]
name = "restricted-never-public"
actions = ["export", "disclose", "approve"]
profiles = ["public"]
min-classification = "restricted"
reason = "restricted material is never released under the public profile"

# Disclosure requirements.
[disclosure]
approvals = 1                              # besides the requester's own proposal: the two-person rule
distinct-from-requester = true             # the requester's approval does not count
identity-approver = "protection-officer"   # releases that reveal an identity need one of these approvals
identity-consent = true                    # ... and each witness's consent naming the recipient
court-order-override = true                # ... or a quorum operation citing a court order

# Redaction profiles. Each has a description, image rules and a rule for every field of every record kind:
#   field = "keep"
#   field = { action = "remove", code = "A", reason = "..." }              reason optional unless the code
#   field = { action = "pseudonymise", code = "A" }                        requires one; without a reason the
#   field = { action = "generalise", level = "month", code = "C" }         log gives the code's description
# Levels: dates (photographedOn, captureTime) month | year; places (place, location) region; ages
# range with `width = N`. Pseudonyms are per recipient (keyed BLAKE2b under the vault's pseudonym key).
# Image rules:
#   originals            release the original bytes unchanged (true) or a fresh derivative (false)
#   strip-metadata       derivatives carry no metadata: must be `not originals`
#   mask                 region categories filled with a solid colour (empty with originals)
#   unmask-with-consent  those of `mask` left unmasked when the region names the witness it shows
#                        (`region add --witness`), that witness consented to the recipient, no protective
#                        measure forces the mask, and the identity approver approves the release; a region
#                        that names no witness stays masked, and a source's consent decides nothing about it
#   release-reasons      of `mask`, categories whose code requires a reason (E) and whose regions' own reasons
#                        the release carries (by default none: a release names only a region's category)
#   watermark            derivatives carry a visible watermark naming the viewing session; such a profile is
#                        used for a viewing session (`export --session`), never for a disclosure bundle

[profiles.tribunal-protected]
description = "fresh image files without metadata; category-A regions masked unless the witness shown consented to the recipient; witnesses pseudonymised per recipient; serials, owners and GPS removed"

[profiles.tribunal-protected.images]
originals = false
strip-metadata = true
mask = ["A"]
unmask-with-consent = ["A"]

[profiles.tribunal-protected.case]
id = "keep"
detaineeNumber = "keep"
branch = "keep"
forensicReference = "keep"
photographedOn = "keep"
place = "keep"
identificationStatus = "keep"
identifiedName = { action = "remove", code = "B" }
identifiedBy = { action = "pseudonymise", code = "A" }

[profiles.tribunal-protected.witness]
pseudonym = { action = "pseudonymise", code = "A" }
legalName = { action = "remove", code = "A" }
contact = { action = "remove", code = "A" }
location = { action = "remove", code = "C" }
relationship = { action = "remove", code = "A" }
consent = { action = "remove", code = "E", reason = "the consent list names other recipients" }
protectiveMeasures = "keep"

[profiles.tribunal-protected.item]
id = "keep"
fileName = { action = "remove", code = "D", reason = "original file names can identify the device or the person who took the picture" }
mediaType = "keep"
sha256 = { action = "remove", code = "D", reason = "the hash of an unreleased original would confirm a guess of it" }
captureTime = "keep"
make = "keep"
model = "keep"
serials = { action = "remove", code = "D", reason = "serial numbers identify the camera and so its owner" }
owner = { action = "remove", code = "A" }
gps = { action = "remove", code = "C" }
previews = { action = "remove", code = "D", reason = "embedded previews show the unredacted picture" }
sources = { action = "pseudonymise", code = "A" }

[profiles.tribunal-full]
description = "originals byte-identical and records complete; releasing an original releases its source's identity, so it needs the witness's consent for the recipient and a protection officer's approval"

[profiles.tribunal-full.images]
originals = true
strip-metadata = false
mask = []

[profiles.tribunal-full.case]
id = "keep"
detaineeNumber = "keep"
branch = "keep"
forensicReference = "keep"
photographedOn = "keep"
place = "keep"
identificationStatus = "keep"
identifiedName = "keep"
identifiedBy = "keep"

[profiles.tribunal-full.witness]
pseudonym = "keep"
legalName = "keep"
contact = "keep"
location = "keep"
relationship = "keep"
consent = { action = "remove", code = "E", reason = "the consent list names other recipients" }
protectiveMeasures = "keep"

[profiles.tribunal-full.item]
id = "keep"
fileName = "keep"
mediaType = "keep"
sha256 = "keep"
captureTime = "keep"
make = "keep"
model = "keep"
serials = "keep"
owner = "keep"
gps = "keep"
previews = "keep"
sources = "keep"

[profiles.public]
description = "for publication: every region masked, identities removed, dates and places generalised"

[profiles.public.images]
originals = false
strip-metadata = true
mask = ["A", "B", "C", "D", "E"]

[profiles.public.case]
id = "keep"
detaineeNumber = { action = "remove", code = "B" }
branch = "keep"
forensicReference = { action = "remove", code = "D", reason = "forensic references lead to the coroner's files" }
photographedOn = { action = "generalise", level = "month", code = "C", reason = "exact dates narrow down where and by whom" }
place = { action = "generalise", level = "region", code = "C" }
identificationStatus = "keep"
identifiedName = { action = "remove", code = "B" }
identifiedBy = { action = "remove", code = "A" }

[profiles.public.witness]
pseudonym = { action = "remove", code = "A" }
legalName = { action = "remove", code = "A" }
contact = { action = "remove", code = "A" }
location = { action = "remove", code = "C" }
relationship = { action = "remove", code = "A" }
consent = { action = "remove", code = "E", reason = "the consent list names other recipients" }
protectiveMeasures = { action = "remove", code = "D", reason = "protective measures reveal who is protected and how" }

[profiles.public.item]
id = "keep"
fileName = { action = "remove", code = "D", reason = "original file names can identify the device or the person who took the picture" }
mediaType = "keep"
sha256 = { action = "remove", code = "D", reason = "the hash of an unreleased original would confirm a guess of it" }
captureTime = { action = "generalise", level = "month", code = "C", reason = "exact times narrow down where and by whom" }
make = "keep"
model = { action = "remove", code = "D", reason = "the camera model narrows down who took the picture" }
serials = { action = "remove", code = "D", reason = "serial numbers identify the camera and so its owner" }
owner = { action = "remove", code = "A" }
gps = { action = "remove", code = "C" }
previews = { action = "remove", code = "D", reason = "embedded previews show the unredacted picture" }
sources = { action = "remove", code = "A" }

[profiles.family-viewing]
description = "what a family is shown to recognise a relative: fresh images without metadata, regions of witnesses, third persons and sources masked, a watermark naming the viewing session, no record detail"

[profiles.family-viewing.images]
originals = false
strip-metadata = true
mask = ["A", "B", "D"]
watermark = true

[profiles.family-viewing.case]
id = "keep"
detaineeNumber = { action = "remove", code = "B" }
branch = { action = "remove", code = "D", reason = "the branch is not needed to recognise a relative" }
forensicReference = { action = "remove", code = "D", reason = "forensic references lead to the coroner's files" }
photographedOn = { action = "remove", code = "C" }
place = { action = "remove", code = "C" }
identificationStatus = { action = "remove", code = "B" }
identifiedName = { action = "remove", code = "B" }
identifiedBy = { action = "remove", code = "A" }

[profiles.family-viewing.witness]
pseudonym = { action = "remove", code = "A" }
legalName = { action = "remove", code = "A" }
contact = { action = "remove", code = "A" }
location = { action = "remove", code = "C" }
relationship = { action = "remove", code = "A" }
consent = { action = "remove", code = "E", reason = "the consent list names other recipients" }
protectiveMeasures = { action = "remove", code = "D", reason = "protective measures reveal who is protected and how" }

[profiles.family-viewing.item]
id = "keep"
fileName = { action = "remove", code = "D", reason = "original file names can identify the device or the person who took the picture" }
mediaType = "keep"
sha256 = { action = "remove", code = "D", reason = "the hash of an unreleased original would confirm a guess of it" }
captureTime = { action = "remove", code = "C" }
make = { action = "remove", code = "D", reason = "the camera narrows down who took the picture" }
model = { action = "remove", code = "D", reason = "the camera model narrows down who took the picture" }
serials = { action = "remove", code = "D", reason = "serial numbers identify the camera and so its owner" }
owner = { action = "remove", code = "A" }
gps = { action = "remove", code = "C" }
previews = { action = "remove", code = "D", reason = "embedded previews show the unredacted picture" }
sources = { action = "remove", code = "A" }

"""#
}
