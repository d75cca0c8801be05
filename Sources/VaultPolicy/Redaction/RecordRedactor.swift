import VaultCrypto

/// Applies a profile's field rules to records for one recipient.
///
/// For each field present in a record, the profile's rule: keep; remove; pseudonymise (`Pseudonymiser`,
/// each list element); generalise (`Generaliser`, `PlaceGeneralisation.region(for:)`; a value that cannot be
/// generalised is removed, and the log says so). Every applied action but keep is logged with its code and
/// reason (the rule's reason, else the category's description).
///
/// Witness records get two more checks, whatever the profile says: a protective measure with
/// `remove-identity` removes the identity fields; and identity fields are shown only when the record's own
/// consent list names the recipient or the court order covers the witness (otherwise `consentMissing`: the
/// policy decision should have denied the release).
///
/// A field the record kind does not define is refused (`unknownField`): nothing unlisted passes through.
public struct RecordRedactor: ~Copyable {
    /// The policy this rule reads.
    public let policy: Policy
    /// The profile applied.
    public let profile: RedactionProfile
    /// The recipient (normalised), nil when none was named.
    public let recipient: String?
    /// The verified court order, if any.
    public let courtOrder: CourtOrder?
    private var pseudonymiser: Pseudonymiser?

    /// - Parameters:
    ///   - policy: the active policy.
    ///   - profile: the profile's name.
    ///   - recipient: the registered recipient; required when the profile pseudonymises any field.
    ///   - pseudonymKey: the vault's pseudonym key (16 to 64 bytes).
    ///   - pseudonymLength: base32 characters per pseudonym (8...52).
    ///   - courtOrder: a court order the vault verified, if any.
    /// - Throws: `RedactionError.unknownProfile`, `.recipientRequired`, `.invalidPseudonymKey`,
    ///   `.invalidPseudonymLength`.
    public init(policy: Policy, profile: String, recipient: String?, pseudonymKey: borrowing SecretBytes,
                pseudonymLength: Int = Pseudonymiser.defaultLength, courtOrder: CourtOrder? = nil)
        throws(RedactionError) {
        guard let chosen = policy.profiles[profile] else { throw .unknownProfile(profile) }
        let name = recipient.map(TextNormalisation.normalise).flatMap { $0.isEmpty ? nil : $0 }
        let pseudonymises = chosen.fields.values.contains { $0.values.contains { $0.action == .pseudonymise } }
        if name == nil && pseudonymises { throw .recipientRequired }
        let made: Pseudonymiser? = if let name {
            try Pseudonymiser(key: pseudonymKey, recipient: name, length: pseudonymLength)
        } else {
            nil
        }
        self.policy = policy
        self.profile = chosen
        self.recipient = name
        self.courtOrder = courtOrder
        self.pseudonymiser = made
    }

    /// Redacts one record.
    /// - Throws: `RedactionError.unknownField`, `.wrongValueType`, `.unknownMeasure`, `.consentMissing`,
    ///   `.recipientRequired` (identity fields shown without a recipient), `.pseudonymCollision`.
    public mutating func redact(_ record: ReleaseRecord) throws(RedactionError) -> RedactedRecord {
        for (name, value) in record.fields {
            guard let spec = record.kind.releasedField(named: name) else { throw .unknownField(kind: record.kind, field: name) }
            switch (spec.kind, value) {
            case (.list, .text), (.text, .list), (.date, .list), (.place, .list), (.age, .list):
                throw .wrongValueType(kind: record.kind, field: name)
            default: break
            }
        }
        var forcedRemoval: (code: String, reason: String)?
        if record.kind == .witness {
            forcedRemoval = try identityRemovalByMeasure(record)
            if forcedRemoval == nil { try checkConsent(record) }
        }

        var fields: [String: FieldValue] = [:]
        var log: [RedactionLogEntry] = []
        for spec in record.kind.releasedFields {
            guard let value = record.fields[spec.name], let rule = profile.rule(for: record.kind, field: spec.name)
            else { continue }
            func entry(_ action: String, code: String?, reason: String) {
                log.append(RedactionLogEntry(record: record.label, field: spec.name, action: action, code: code,
                                             reason: reason))
            }
            let code = rule.code ?? ""
            let reason = rule.reason ?? policy.categories[code]?.description ?? ""
            if let forced = forcedRemoval, spec.compartment == .identity, rule.action != .remove {
                entry("remove", code: forced.code, reason: forced.reason)
                continue
            }
            switch rule.action {
            case .keep:
                fields[spec.name] = value
            case .remove:
                entry("remove", code: code, reason: reason)
            case .pseudonymise:
                fields[spec.name] = try pseudonymise(value)
                entry("pseudonymise", code: code, reason: reason)
            case let .generalise(level):
                if let coarse = generalise(value, level) {
                    fields[spec.name] = coarse
                    entry("generalise:\(level.name)", code: code, reason: reason)
                } else {
                    entry("remove", code: code, reason: reason + " (could not be generalised to \(level.name), so removed)")
                }
            }
        }
        return RedactedRecord(kind: record.kind, label: record.label, fields: fields, log: log)
    }

    private mutating func pseudonymise(_ value: FieldValue) throws(RedactionError) -> FieldValue {
        switch value {
        case let .text(text):
            guard let pseudonym = try pseudonymiser?.pseudonym(for: text) else { throw .recipientRequired }
            return .text(pseudonym)
        case let .list(items):
            var out: [String] = []
            for item in items {
                guard let pseudonym = try pseudonymiser?.pseudonym(for: item) else { throw .recipientRequired }
                out.append(pseudonym)
            }
            return .list(out)
        }
    }

    private func generalise(_ value: FieldValue, _ level: Generalisation) -> FieldValue? {
        guard case let .text(text) = value else { return nil }
        let result: String?
        switch level {
        case .month, .year: result = Generaliser.date(text, to: level)
        case .region: result = policy.places.region(for: text)
        case let .ageRange(width): result = Generaliser.age(text, width: width)
        }
        return result.map(FieldValue.text)
    }

    private func measures(of record: ReleaseRecord) -> [String] {
        if case let .list(names)? = record.fields["protectiveMeasures"] { return names }
        return []
    }

    private func pseudonym(of record: ReleaseRecord) -> String {
        if case let .text(name)? = record.fields["pseudonym"] { return name }
        return record.label
    }

    private func identityRemovalByMeasure(_ record: ReleaseRecord) throws(RedactionError) -> (code: String, reason: String)? {
        var found: (code: String, reason: String)?
        for name in measures(of: record) {
            guard let measure = policy.measure(named: name) else { throw .unknownMeasure(name) }
            if measure.removeIdentity, found == nil, let code = measure.code {
                found = (code, "protective measure \(measure.name): \(measure.description)")
            }
        }
        return found
    }

    private func checkConsent(_ record: ReleaseRecord) throws(RedactionError) {
        let showsIdentity = record.kind.releasedFields.contains { spec in
            guard spec.compartment == .identity, record.fields[spec.name] != nil,
                  let rule = profile.rule(for: .witness, field: spec.name) else { return false }
            switch rule.action {
            case .keep, .generalise: return true
            case .remove, .pseudonymise: return false
            }
        }
        guard showsIdentity else { return }
        let witness = pseudonym(of: record)
        guard let recipient else { throw .recipientRequired }
        var consent: [String] = []
        if case let .list(names)? = record.fields["consent"] { consent = names }
        let facts = WitnessFacts(pseudonym: witness, consent: consent)
        if facts.consents(to: recipient) { return }
        if policy.disclosure.courtOrderOverride, let order = courtOrder, order.covers(witness, for: recipient) { return }
        throw .consentMissing(witness: witness, recipient: recipient)
    }
}
