/// A named redaction profile (`[profiles.NAME]`): what a release under it shows of each record field and
/// of each image. DESIGN.md ("Policy") defines the example profiles `tribunal-protected`, `tribunal-full` and
/// `public`.
public struct RedactionProfile: Sendable, Equatable {
    /// The profile's name (`tribunal-protected`).
    public let name: String
    /// What the profile is for, in words.
    public let description: String
    /// Image rules.
    public let images: ImageRules
    /// Field rules: for every record kind, one rule for every field of that kind (the language requires all).
    public let fields: [RecordKind: [String: FieldRule]]

    /// The rule for `field` of `kind`; nil only for a field the kind does not have.
    public func rule(for kind: RecordKind, field: String) -> FieldRule? {
        fields[kind]?[field]
    }

    /// The compartments a release of a `kind` record under this profile reads: those of the fields whose rule
    /// is not `remove`. The vault passes these as `Resource.compartments` when it asks to release such a record.
    public func compartments(releasing kind: RecordKind) -> Set<Compartment> {
        var out = Set<Compartment>()
        for spec in kind.releasedFields where rule(for: kind, field: spec.name)?.action != .remove {
            out.insert(spec.compartment)
        }
        return out
    }

    /// Whether the profile shows identity-compartment values of a `kind` record as they are or generalised
    /// (keep or generalise; pseudonymise and remove reveal nothing).
    public func revealsIdentityFields(of kind: RecordKind) -> Bool {
        kind.releasedFields.contains { spec in
            guard spec.compartment == .identity, let rule = rule(for: kind, field: spec.name) else { return false }
            switch rule.action {
            case .keep, .generalise: return true
            case .remove, .pseudonymise: return false
            }
        }
    }
}
