import VaultCrypto

/// An age passphrase recipient (c2sp.org/age, "The scrypt recipient type"):
/// `wrap key = scrypt(N = 2^workFactor, r = 8, p = 1, dkLen = 32, S = "age-encryption.org/v1/scrypt" ‖ salt,
/// P = passphrase)`, stanza `-> scrypt <base64 16-byte salt> <work factor in decimal>`, body
/// ChaCha20-Poly1305(wrap key, zero nonce, file key). An scrypt stanza must be the only stanza of a header.
public final class AgeScryptRecipient: AgeRecipient, @unchecked Sendable {
    /// The work factor (log2 N) of new files: 18, as age uses (256 MiB, about a second).
    public static let defaultWorkFactor = 18
    /// The largest work factor written or accepted: 22 (4 GiB of memory), as age caps it.
    public static let maximumWorkFactor = 22
    /// The stanza type.
    static let stanzaType = "scrypt"
    /// Prefix of the scrypt salt.
    static let label = Array("age-encryption.org/v1/scrypt".utf8)
    /// Length of the random salt: 16 bytes.
    static let saltByteCount = 16

    private let passphrase: SecretBytes
    /// log2 of the scrypt cost N used by `wrap`.
    public let workFactor: Int

    /// A passphrase recipient.
    /// - Parameters:
    ///   - passphrase: the passphrase bytes (UTF-8 as typed).
    ///   - workFactor: log2 N, 1...22. Values below the default are for tests only.
    /// - Throws: `AgeError.invalidArgument` for a work factor out of range or an empty passphrase.
    public init(passphrase: consuming SecretBytes, workFactor: Int = AgeScryptRecipient.defaultWorkFactor) throws {
        guard (1...AgeScryptRecipient.maximumWorkFactor).contains(workFactor) else {
            throw AgeError.invalidArgument("scrypt work factor must be 1...\(AgeScryptRecipient.maximumWorkFactor), got \(workFactor)")
        }
        guard passphrase.count > 0 else { throw AgeError.invalidArgument("the passphrase is empty") }
        self.passphrase = passphrase
        self.workFactor = workFactor
    }

    public var mustBeAlone: Bool { true }

    /// Wraps the file key under a key derived from the passphrase with a fresh salt.
    /// - Throws: `AgeError.invalidArgument` if scrypt cannot run (memory).
    public func wrap(fileKey: borrowing SecretBytes) throws -> [AgeStanza] {
        let salt = Random.bytes(AgeScryptRecipient.saltByteCount)
        let wrapKey: SecretBytes
        do {
            wrapKey = try Scrypt.deriveKey(passphrase: passphrase, salt: AgeScryptRecipient.label + salt, logN: workFactor)
        } catch {
            throw AgeError.invalidArgument("scrypt failed: \(error)")
        }
        let body = AgeFileKey.wrap(fileKey, with: wrapKey)
        return [AgeStanza(validatedType: AgeScryptRecipient.stanzaType,
                          arguments: [Base64.encode(salt, variant: .standardNoPadding), String(workFactor)], body: body)]
    }
}
