import VaultCrypto

/// An age passphrase identity: unwraps the file key from an `scrypt` stanza (see `AgeScryptRecipient`).
///
/// Checks, all before running scrypt (c2sp.org/age, "scrypt recipient stanza"): the stanza is the only one
/// in the header; exactly two arguments after the type; the salt is canonical unpadded base64 of 16 bytes;
/// the work factor is decimal digits without leading zeros or sign (`^[1-9][0-9]*$`) and at most
/// `maximumWorkFactor`; the body is exactly 32 bytes.
public final class AgeScryptIdentity: AgeIdentity, @unchecked Sendable {
    private let passphrase: SecretBytes
    /// The largest work factor this identity will compute (at most 22).
    public let maximumWorkFactor: Int

    /// A passphrase identity.
    /// - Parameters:
    ///   - passphrase: the passphrase bytes.
    ///   - maximumWorkFactor: refuse stanzas asking for more than this log2 N, 1...22.
    /// - Throws: `AgeError.invalidArgument` for a limit out of range.
    public init(passphrase: consuming SecretBytes,
                maximumWorkFactor: Int = AgeScryptRecipient.maximumWorkFactor) throws {
        guard (1...AgeScryptRecipient.maximumWorkFactor).contains(maximumWorkFactor) else {
            throw AgeError.invalidArgument("scrypt work factor limit must be 1...\(AgeScryptRecipient.maximumWorkFactor)")
        }
        self.passphrase = passphrase
        self.maximumWorkFactor = maximumWorkFactor
    }

    /// Unwraps the file key from the `scrypt` stanza.
    /// - Throws: `AgeError.header` if an scrypt stanza is not alone, or is malformed as listed above.
    public func unwrap(_ stanzas: [AgeStanza]) throws -> SecretBytes? {
        for stanza in stanzas where stanza.type == AgeScryptRecipient.stanzaType {
            guard stanzas.count == 1 else { throw AgeError.header("an scrypt stanza must be the only stanza") }
            guard stanza.arguments.count == 2 else {
                throw AgeError.header("an scrypt stanza has \(stanza.arguments.count + 1) arguments, expected 3")
            }
            guard let salt = try? Base64.decode(stanza.arguments[0], variant: .standardNoPadding),
                  salt.count == AgeScryptRecipient.saltByteCount else {
                throw AgeError.header("the scrypt salt is not canonical base64 of 16 bytes")
            }
            let workFactor = try Self.parseWorkFactor(stanza.arguments[1], limit: maximumWorkFactor)
            guard stanza.body.count == AgeFileKey.wrappedByteCount else {
                throw AgeError.header("the scrypt stanza body is \(stanza.body.count) bytes, expected \(AgeFileKey.wrappedByteCount)")
            }
            let wrapKey: SecretBytes
            do {
                wrapKey = try Scrypt.deriveKey(passphrase: passphrase, salt: AgeScryptRecipient.label + salt, logN: workFactor)
            } catch {
                throw AgeError.header("scrypt with work factor \(workFactor) could not run: \(error)")
            }
            if let fileKey = AgeFileKey.unwrap(stanza.body, with: wrapKey) { return fileKey }
        }
        return nil
    }

    /// Parses a work factor argument: `^[1-9][0-9]*$`, at most `limit`.
    static func parseWorkFactor(_ text: String, limit: Int) throws -> Int {
        let digits = Array(text.utf8)
        guard let first = digits.first, (0x31...0x39).contains(first),
              digits.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw AgeError.header("the scrypt work factor is not a decimal number without leading zeros")
        }
        // At most two digits can be within the limit; longer strings are refused before any arithmetic.
        guard digits.count <= 2 else { throw AgeError.header("the scrypt work factor is above \(limit)") }
        let value = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        guard value <= limit else { throw AgeError.header("the scrypt work factor \(value) is above \(limit)") }
        return value
    }
}
