/// What the policy needs to know about one witness concerned by a request: a witness record being released,
/// the source of an item, or the `identifiedBy` witness of a case. Read from the case compartment (never the
/// identity compartment): the vault can supply it without reading identities.
public struct WitnessFacts: Sendable, Equatable {
    /// The witness pseudonym (`W-0001`).
    public var pseudonym: String
    /// The names of the recipients the witness consented to (compared after `TextNormalisation.normalise`).
    public var consent: [String]
    /// Protective measures by name (each must be defined by the policy, or the request is denied).
    public var protectiveMeasures: [String]

    /// From its parts.
    public init(pseudonym: String, consent: [String] = [], protectiveMeasures: [String] = []) {
        self.pseudonym = pseudonym
        self.consent = consent
        self.protectiveMeasures = protectiveMeasures
    }

    /// Whether the consent list names `recipient` (both normalised, compared scalar by scalar).
    public func consents(to recipient: String) -> Bool {
        let wanted = TextNormalisation.normalise(recipient)
        guard !wanted.isEmpty else { return false }
        return consent.contains { TextNormalisation.sameScalars(TextNormalisation.normalise($0), wanted) }
    }
}
