import VaultCrypto

/// Per-recipient pseudonyms, stable for a recipient and unlinkable across recipients without the key.
///
/// ```
/// recipient key = BLAKE2b-256(key = pseudonym key, "amanah/v1/pseudonym" ‖ 0x00 ‖ UTF-8(normalise(recipient)))
/// digest        = BLAKE2b-256(key = recipient key, UTF-8(normalise(value)))
/// pseudonym     = "P-" ‖ first `length` characters of Base32(digest)   (RFC 4648 §6, no padding)
/// ```
/// BLAKE2b is RFC 7693 through libsodium (`VaultCrypto.BLAKE2b`); `normalise` is `TextNormalisation`
/// (NFC, Arabic-Indic digits to ASCII, trimmed), so NFC and NFD spellings of a name give one pseudonym. The
/// default length, 10 characters, is 50 bits. Within one release the instance remembers every digest it
/// issued (never the values) and throws `pseudonymCollision` when two different values share a pseudonym;
/// `RecordRedactor.redactRelease` then starts again with longer pseudonyms.
public struct Pseudonymiser: ~Copyable {
    /// Default pseudonym length in base32 characters after `P-` (50 bits).
    public static let defaultLength = 10
    /// Longest length: the whole 256-bit digest.
    public static let maximumLength = 52
    /// The domain-separation prefix of the recipient key derivation.
    public static let context = "amanah/v1/pseudonym\u{0}"

    /// The normalised recipient name.
    public let recipient: String
    /// Characters of base32 after `P-` (8...52).
    public let length: Int
    private let recipientKey: SecretBytes
    private var issued: [String: [UInt8]] = [:]

    /// - Parameters:
    ///   - key: the vault's pseudonym key, 16 to 64 bytes (32 recommended).
    ///   - recipient: the registered recipient name.
    ///   - length: pseudonym characters after `P-`, 8...52.
    /// - Throws: `RedactionError.invalidPseudonymKey`, `.recipientRequired` for an empty name,
    ///   `.invalidPseudonymLength`.
    public init(key: borrowing SecretBytes, recipient: String, length: Int = Pseudonymiser.defaultLength)
        throws(RedactionError) {
        guard (16...64).contains(key.count) else { throw .invalidPseudonymKey(bytes: key.count) }
        guard (8...Pseudonymiser.maximumLength).contains(length) else { throw .invalidPseudonymLength(length) }
        let name = TextNormalisation.normalise(recipient)
        guard !name.isEmpty else { throw .recipientRequired }
        self.recipient = name
        self.length = length
        self.recipientKey = BLAKE2b.deriveKey(from: key, context: Pseudonymiser.context + name, outputLength: 32)
    }

    /// The pseudonym of `value` for this recipient. A value that is empty once normalised stays empty.
    /// - Throws: `RedactionError.pseudonymCollision` when a different value of this release already has it.
    public mutating func pseudonym(for value: String) throws(RedactionError) -> String {
        let normalised = TextNormalisation.normalise(value)
        guard !normalised.isEmpty else { return "" }
        let digest = BLAKE2b.keyedHash(Array(normalised.utf8), key: recipientKey, outputLength: 32)
        let pseudonym = "P-" + String(Base32.encode(digest).prefix(length))
        if let earlier = issued[pseudonym] {
            guard earlier == digest else { throw .pseudonymCollision(length: length) }
        } else {
            issued[pseudonym] = digest
        }
        return pseudonym
    }

    /// How many distinct pseudonyms this instance issued.
    public var issuedCount: Int { issued.count }
}
