/// The identity key file (format version 1): versioned text, the secret keys encrypted under a key derived
/// from the passphrase.
///
/// ```
/// amanah-identity-v1
/// public: amanah-pk1-...                      (the public key line)
/// kdf: argon2id ops=<opslimit> mem=<bytes>    (libsodium crypto_pwhash ARGON2ID13 parameters)
/// salt: <base64, 16 bytes>
/// nonce: <base64, 24 bytes>
/// secret: <base64: XChaCha20-Poly1305 ciphertext of Ed25519 secret key (64) ‖ X25519 secret key (32), + 16-byte tag>
/// checksum: <hex BLAKE2b-256 of every byte above this line>
/// ```
/// The associated data of the encryption is the first four lines (version, public, kdf, salt) with their
/// newlines, so the parameters and the public key cannot be changed without detection. The checksum
/// (unkeyed) tells a damaged file apart from a wrong passphrase: a file whose checksum matches but whose
/// ciphertext does not open was opened with the wrong passphrase.
public enum KeyFile {
    /// First line of a version 1 key file.
    public static let versionLine = "amanah-identity-v1"

    /// Why a key file could not be unlocked.
    public enum UnlockError: Error, Equatable, Sendable, CustomStringConvertible {
        /// The passphrase is wrong (the file itself is intact).
        case wrongPassphrase
        /// The file is damaged or not a key file; the text says what is wrong.
        case corrupted(String)
        /// The file asks for key-derivation costs beyond what a reader accepts.
        case unacceptableParameters(String)

        public var description: String {
            switch self {
            case .wrongPassphrase: return "wrong passphrase"
            case let .corrupted(why): return "corrupted key file: \(why)"
            case let .unacceptableParameters(why): return "key file asks for unacceptable key-derivation parameters: \(why)"
            }
        }
    }

    /// Encrypts an identity under a passphrase; returns the file's text (UTF-8 bytes).
    /// - Throws: `CryptoError` if key derivation fails.
    public static func seal(_ identity: borrowing Identity, passphrase: borrowing SecretBytes,
                            parameters: PasswordHash.Parameters = .forNewKeys()) throws -> [UInt8] {
        let salt = Random.bytes(PasswordHash.saltByteCount)
        var header = versionLine + "\n"
        header += "public: " + identity.publicKey.line + "\n"
        header += "kdf: argon2id ops=\(parameters.opsLimit) mem=\(parameters.memLimit)\n"
        header += "salt: " + Base64.encode(salt) + "\n"
        let key = try PasswordHash.deriveKey(passphrase: passphrase, salt: salt, parameters: parameters)
        var secrets = SecretBytes(count: Ed25519.secretKeyByteCount + X25519.keyByteCount)
        identity.signingSecret.withUnsafeBytes { ed in
            identity.encryptionSecret.withUnsafeBytes { x in
                secrets.withUnsafeMutableBytes { out in
                    out.baseAddress!.copyMemory(from: ed.baseAddress!, byteCount: ed.count)
                    (out.baseAddress! + ed.count).copyMemory(from: x.baseAddress!, byteCount: x.count)
                }
            }
        }
        let sealed = try secrets.withUnsafeBytes { (plain) throws -> [UInt8] in
            try XChaCha20Poly1305.seal(plain, key: key, associatedData: Array(header.utf8))
        }
        var body = header
        body += "nonce: " + Base64.encode(sealed[0..<XChaCha20Poly1305.nonceByteCount]) + "\n"
        body += "secret: " + Base64.encode(sealed[XChaCha20Poly1305.nonceByteCount...]) + "\n"
        body += "checksum: " + Hex.encode(BLAKE2b.hash(Array(body.utf8), outputLength: 32)) + "\n"
        return Array(body.utf8)
    }

    /// Reads the public key line of a key file without the passphrase.
    /// - Throws: `UnlockError.corrupted` if the file is damaged.
    public static func publicKey(of contents: [UInt8]) throws -> MemberPublicKey {
        try parse(contents).publicKey
    }

    /// Unlocks a key file.
    /// - Throws: `UnlockError.wrongPassphrase`, `.corrupted(...)` naming what is wrong, or
    ///   `.unacceptableParameters(...)` when the stored Argon2id costs exceed `PasswordHash.Parameters.readingCap`.
    public static func unlock(_ contents: [UInt8], passphrase: borrowing SecretBytes) throws -> Identity {
        let parsed = try parse(contents)
        guard parsed.parameters.isAcceptable else { throw KeyFile.UnlockError.unacceptableParameters(parsed.parameters.description) }
        let key: SecretBytes
        do { key = try PasswordHash.deriveKey(passphrase: passphrase, salt: parsed.salt, parameters: parsed.parameters) } catch {
            throw KeyFile.UnlockError.unacceptableParameters("\(error)")
        }
        let secrets: SecretBytes
        do { secrets = try XChaCha20Poly1305.open(parsed.sealed, key: key, associatedData: parsed.associatedData) } catch {
            throw KeyFile.UnlockError.wrongPassphrase
        }
        guard secrets.count == Ed25519.secretKeyByteCount + X25519.keyByteCount else { throw KeyFile.UnlockError.corrupted("secret has the wrong length") }
        do {
            return try Identity(publicKey: parsed.publicKey,
                                signingSecret: secrets.slice(0..<Ed25519.secretKeyByteCount),
                                encryptionSecret: secrets.slice(Ed25519.secretKeyByteCount..<secrets.count))
        } catch {
            throw KeyFile.UnlockError.corrupted("the secret keys do not match the public key")
        }
    }

    private struct Parsed {
        var publicKey: MemberPublicKey
        var parameters: PasswordHash.Parameters
        var salt: [UInt8]
        var sealed: [UInt8]
        var associatedData: [UInt8]
    }

    private static func parse(_ contents: [UInt8]) throws -> Parsed {
        guard contents.count < 4096, let text = String(validating: contents, as: UTF8.self) else {
            throw KeyFile.UnlockError.corrupted("not a key file (not short UTF-8 text)")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count == 8, lines[7].isEmpty else { throw KeyFile.UnlockError.corrupted("expected 7 lines") }
        guard lines[0] == versionLine else {
            if lines[0].hasPrefix("amanah-identity-") { throw KeyFile.UnlockError.corrupted("unsupported version \(lines[0])") }
            throw KeyFile.UnlockError.corrupted("not an Amanah key file")
        }
        let names = ["public", "kdf", "salt", "nonce", "secret", "checksum"]
        var values: [String] = []
        for (index, name) in names.enumerated() {
            let line = lines[index + 1]
            guard line.hasPrefix(name + ": ") else { throw KeyFile.UnlockError.corrupted("line \(index + 2) should be '\(name): ...'") }
            values.append(String(line.dropFirst(name.count + 2)))
        }
        let checked = lines[0...5].joined(separator: "\n") + "\n"
        let expected = Hex.encode(BLAKE2b.hash(Array(checked.utf8), outputLength: 32))
        guard values[5] == expected else { throw KeyFile.UnlockError.corrupted("checksum does not match (the file was damaged or edited)") }

        let publicKey: MemberPublicKey
        do { publicKey = try MemberPublicKey(line: values[0]) } catch { throw KeyFile.UnlockError.corrupted("public key: \(error)") }
        let kdf = values[1].split(separator: " ")
        guard kdf.count == 3, kdf[0] == "argon2id", kdf[1].hasPrefix("ops="), kdf[2].hasPrefix("mem="),
              let ops = UInt64(kdf[1].dropFirst(4)), let mem = UInt64(kdf[2].dropFirst(4)) else {
            throw KeyFile.UnlockError.corrupted("kdf line is malformed")
        }
        let salt: [UInt8], nonce: [UInt8], ciphertext: [UInt8]
        do {
            salt = try Base64.decode(values[2])
            nonce = try Base64.decode(values[3])
            ciphertext = try Base64.decode(values[4])
        } catch { throw KeyFile.UnlockError.corrupted("salt, nonce or secret is not canonical base64") }
        guard salt.count == PasswordHash.saltByteCount, nonce.count == XChaCha20Poly1305.nonceByteCount,
              ciphertext.count == Ed25519.secretKeyByteCount + X25519.keyByteCount + XChaCha20Poly1305.tagByteCount else {
            throw KeyFile.UnlockError.corrupted("salt, nonce or secret has the wrong length")
        }
        let associatedData = Array((lines[0...3].joined(separator: "\n") + "\n").utf8)
        return Parsed(publicKey: publicKey, parameters: PasswordHash.Parameters(opsLimit: ops, memLimit: mem),
                      salt: salt, sealed: nonce + ciphertext, associatedData: associatedData)
    }
}
