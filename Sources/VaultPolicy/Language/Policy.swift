import VaultCrypto

/// A parsed, validated Amanah policy: roles and their permissions, explicit denies, disclosure requirements,
/// redaction profiles, category codes, protective measures and place generalisation. A pure value: deciding
/// (`decide`) and redacting (`RecordRedactor`, `imagePlan`) read it and nothing else.
///
/// The language (version 1) is documented in `keys-example/policy.toml`, which is also the built-in default
/// (`Policy.builtIn`); its schema:
/// ```
/// version = 1                                   required; the language version
/// classifications = ["normal", "restricted"]    required; levels, lowest first; an unlabelled resource is
///                                               at the lowest
/// [categories.CODE]                             required, at least one; CODE is 1-8 of A-Z 0-9
///   description = "..."                         required
///   reason-required = false                     every use must state its own reason
/// [measures.NAME]                               protective measures witnesses may be under
///   description = "..."                         required
///   remove-identity = false                     identity fields removed from every release
///   withhold-originals = false                  originals the witness is a source of never released
///   always-mask = ["A"]                         region categories always masked on the witness's items
///   code = "A"                                  logged code; required with remove-identity
/// [places]                                      required
///   fallback = "last-component"                 first-component | last-component | withhold
///   [places.regions]                            "place" = "region", matched after NFC, digits, trim, case
/// [roles.ROLE]                                  ROLE: custodian collector investigator protection-officer
///   description = "..."                                legal-officer auditor
///   [[roles.ROLE.allow]]                        permissions; deny by default
///     name = "..."                              required, unique across all rules
///     actions = ["view"]                        required: ingest view annotate record-consent export
///                                               disclose approve administer audit
///     compartments = ["media"]                  media case identity; required for content actions,
///                                               forbidden for administer/audit (one rule may not mix them)
///     profiles = ["public"]                     only under these profiles (a request without one fails)
///     cases = ["C-1"]                           only for these case ids
///     max-classification = "normal"             only up to this classification
///     consent = true                            every witness concerned consented to the recipient
///     reveals-identity = true                   only when the request does (true) / does not (false)
///                                               reveal an identity
///     obligations = ["quorum"]                  the permit carries these
/// [[deny]]                                      explicit denies; an explicit deny wins
///   name, reason                                required
///   roles, actions (required), compartments, profiles, cases
///   min-classification = "restricted"           resources at or above this level
///   reveals-identity = true, reveals-source = true
/// [disclosure]                                  required
///   approvals = 1                               approvals besides the requester's (0-16)
///   distinct-from-requester = true              the requester's own approval does not count
///   identity-approver = "protection-officer"    a role that must approve releases revealing an identity
///   identity-consent = true                     such releases need each witness's consent naming the recipient
///   court-order-override = true                 a quorum operation citing a court order may replace consent
/// [profiles.NAME]                               NAME: a-z 0-9 -
///   description = "..."                         required
///   [profiles.NAME.images]                      required
///     originals = false                         release original bytes (true) or fresh derivatives
///     strip-metadata = true                     must equal `not originals`
///     mask = ["A"]                              region categories masked (empty with originals)
///     unmask-with-consent = ["A"]               subset of mask left unmasked when every source consented
///     watermark = true                          draw the viewing session's label on derivatives (optional)
///   [profiles.NAME.case] / .witness / .item     required; one entry for EVERY field of the kind:
///     field = "keep"
///     field = { action = "remove", code = "A", reason = "..." }
///     field = { action = "pseudonymise", code = "A" }
///     field = { action = "generalise", level = "month", code = "C" }   month | year (dates),
///                                               region (places), range with width = N (ages)
/// ```
/// Strict: an unknown key, role, action, compartment, field, profile, classification or code is an error
/// naming its key path; so is a missing field rule, an action the field's kind does not allow, or a
/// category that requires a reason used without one.
///
/// The policy hash (`hash`) is SHA-256 over `canonicalEncoding()`, a serialisation of this parsed value, not
/// of the file: comments, white space, key order and the spelling of equivalent values (`"keep"` or
/// `{ action = "keep" }`) do not change it; any change to a rule, name, description or reason does.
public struct Policy: Sendable, Equatable {
    /// The language version this code reads and writes.
    public static let languageVersion = 1
    /// The largest policy document accepted, in bytes (1 MiB).
    public static let maximumSize = 1 << 20

    /// The language version of the document (always `languageVersion`).
    public let version: Int
    /// Classification levels, lowest first.
    public let classifications: [String]
    /// Category codes by code.
    public let categories: [String: CategoryCode]
    /// Protective measures by name.
    public let measures: [String: ProtectiveMeasure]
    /// Place generalisation.
    public let places: PlaceGeneralisation
    /// Role descriptions by role (roles without a table have none).
    public let roleDescriptions: [Role: String]
    /// Allow rules, in file order (roles sorted by name, then array order).
    public let allowRules: [AllowRule]
    /// Explicit deny rules, in file order.
    public let denyRules: [DenyRule]
    /// Disclosure requirements.
    public let disclosure: DisclosureRequirements
    /// Redaction profiles by name.
    public let profiles: [String: RedactionProfile]

    /// Parses and validates a policy document.
    /// - Parameter bytes: the file's bytes: UTF-8 TOML, at most `maximumSize` bytes, no NUL.
    /// - Throws: `PolicyError` naming the key path of the first problem.
    public init(parsing bytes: [UInt8]) throws(PolicyError) {
        self = try PolicyParser.parse(TOMLReader.document(bytes, limit: Policy.maximumSize))
    }

    /// Parses and validates a policy document given as text (see `init(parsing:)`).
    /// - Throws: `PolicyError` naming the key path of the first problem.
    public init(parsing text: String) throws(PolicyError) {
        try self.init(parsing: Array(text.utf8))
    }

    init(version: Int, classifications: [String], categories: [String: CategoryCode],
         measures: [String: ProtectiveMeasure], places: PlaceGeneralisation, roleDescriptions: [Role: String],
         allowRules: [AllowRule], denyRules: [DenyRule], disclosure: DisclosureRequirements,
         profiles: [String: RedactionProfile]) {
        self.version = version
        self.classifications = classifications
        self.categories = categories
        self.measures = measures
        self.places = places
        self.roleDescriptions = roleDescriptions
        self.allowRules = allowRules
        self.denyRules = denyRules
        self.disclosure = disclosure
        self.profiles = profiles
    }

    /// The built-in default policy: `DefaultPolicy.text` parsed (the same bytes as `keys-example/policy.toml`).
    public static let builtIn: Policy = {
        do {
            return try Policy(parsing: DefaultPolicy.text)
        } catch {
            preconditionFailure("the built-in policy does not parse: \(error)")
        }
    }()

    /// The policy hash the vault records in every audit event: SHA-256 of `canonicalEncoding()` (32 bytes).
    public var hash: [UInt8] { SHA256Digest.hash(canonicalEncoding()) }

    /// `hash` as 64 lower-case hex digits.
    public var hashHex: String { Hex.encode(hash) }

    /// The rank of a classification level (0 = lowest), nil for a level the policy does not define. A nil
    /// label is the lowest level.
    public func classificationRank(_ label: String?) -> Int? {
        guard let label else { return 0 }
        return classifications.firstIndex(of: label)
    }

    /// The allow rules of `role`, in file order.
    public func allowRules(for role: Role) -> [AllowRule] {
        allowRules.filter { $0.role == role }
    }
}
