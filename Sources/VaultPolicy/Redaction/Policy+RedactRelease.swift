import VaultCrypto

extension Policy {
    /// Redacts every record of one release for one recipient with one pseudonym table, so that the same value
    /// gets the same pseudonym across the release's records. On a pseudonym collision it starts again with
    /// pseudonyms 4 characters longer (up to `Pseudonymiser.maximumLength`) and says so in the result.
    /// - Throws: as `RecordRedactor.init` and `redact`; `pseudonymCollision` only if even full-length
    ///   pseudonyms collide.
    public func redactRelease(_ records: [ReleaseRecord], profile: String, recipient: String?,
                              pseudonymKey: borrowing SecretBytes, courtOrder: CourtOrder? = nil,
                              pseudonymLength: Int = Pseudonymiser.defaultLength) throws(RedactionError)
        -> ReleaseRedaction {
        var length = pseudonymLength
        while true {
            var redactor = try RecordRedactor(policy: self, profile: profile, recipient: recipient,
                                              pseudonymKey: pseudonymKey, pseudonymLength: length,
                                              courtOrder: courtOrder)
            do {
                var out: [RedactedRecord] = []
                for record in records { out.append(try redactor.redact(record)) }
                return ReleaseRedaction(records: out, pseudonymLength: length, lengthened: length != pseudonymLength)
            } catch .pseudonymCollision where length < Pseudonymiser.maximumLength {
                length = min(length + 4, Pseudonymiser.maximumLength)
            }
        }
    }
}
