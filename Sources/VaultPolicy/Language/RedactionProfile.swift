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
        for spec in kind.fields where rule(for: kind, field: spec.name)?.action != .remove {
            out.insert(spec.compartment)
        }
        return out
    }

    /// Whether the profile shows identity-compartment values of a `kind` record as they are or generalised
    /// (keep or generalise; pseudonymise and remove reveal nothing).
    public func revealsIdentityFields(of kind: RecordKind) -> Bool {
        kind.fields.contains { spec in
            guard spec.compartment == .identity, let rule = rule(for: kind, field: spec.name) else { return false }
            switch rule.action {
            case .keep, .generalise: return true
            case .remove, .pseudonymise: return false
            }
        }
    }
}

/// What a profile does with images (`[profiles.NAME.images]`).
public struct ImageRules: Sendable, Equatable {
    /// Whether the release carries the original bytes unchanged (`originals = true`) instead of a freshly
    /// encoded derivative. Releasing an original releases whatever it reveals about its source.
    public let releaseOriginals: Bool
    /// Whether derivatives carry no metadata at all (must be true when originals are not released, false when
    /// they are: an original cannot be stripped and stay byte-identical).
    public let stripMetadata: Bool
    /// Region categories filled with a solid colour in derivatives (empty when originals are released).
    public let maskCategories: [String]
    /// Of `maskCategories`, those left unmasked when every source witness of the item consented to the
    /// recipient (and no protective measure forces the mask).
    public let unmaskWithConsent: [String]
}

/// What a profile does with one field, and the category code and reason its redaction log entry carries.
public struct FieldRule: Sendable, Equatable {
    /// The action.
    public let action: FieldAction
    /// The category code (required for every action but `keep`).
    public let code: String?
    /// Why; when nil, the log uses the category's description. Required when the category requires a reason.
    public let reason: String?
}

/// A field action.
public enum FieldAction: Sendable, Equatable {
    /// Released as it is.
    case keep
    /// Left out of the release.
    case remove
    /// Replaced by a per-recipient pseudonym (`Pseudonymiser`); list elements each.
    case pseudonymise
    /// Replaced by a coarser value.
    case generalise(Generalisation)

    /// The spelling in policy files and redaction logs.
    public var name: String {
        switch self {
        case .keep: return "keep"
        case .remove: return "remove"
        case .pseudonymise: return "pseudonymise"
        case .generalise: return "generalise"
        }
    }
}

/// How `generalise` coarsens a value.
public enum Generalisation: Sendable, Equatable {
    /// A date to `YYYY-MM` (`level = "month"`).
    case month
    /// A date to `YYYY` (`level = "year"`).
    case year
    /// A place to its region (`level = "region"`, see `PlaceGeneralisation`).
    case region
    /// An age to a range of `width` years (`level = "range"`, `width = N`), e.g. width 10: `30-39`.
    case ageRange(width: Int)

    /// The level as written in policy files and logs (`month`, `year`, `region`, `range:10`).
    public var name: String {
        switch self {
        case .month: return "month"
        case .year: return "year"
        case .region: return "region"
        case let .ageRange(width): return "range:\(width)"
        }
    }
}
