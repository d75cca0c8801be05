import VaultPlatform
import VaultCrypto

/// Encryption and decryption in the age v1 format (c2sp.org/age), streaming in constant memory.
///
/// ```swift
/// var source = MemorySource(plaintext); var sink = MemorySink()
/// try Age.encrypt(from: &source, to: &sink, recipients: [try AgeX25519Recipient(parsing: "age1...")])
/// ```
///
/// Decryption order: parse the header (`AgeError.header`); refuse an scrypt stanza beside others; unwrap
/// the 16-byte file key with the first identity that opens a stanza (`AgeError.noMatch` if none); check
/// the header MAC in constant time before the file key is used for anything else (`AgeError.headerMAC`);
/// read the payload nonce; decrypt the chunks, writing each chunk's plaintext to the sink once it is
/// authenticated (`AgeError.payload`). A caller that must not act on partial output should write to a
/// temporary file and keep it only when decryption returns.
public enum Age {
    /// How the input of `decrypt` is encoded.
    public enum InputFormat: Sendable {
        /// The binary age format.
        case binary
        /// ASCII armor (PEM `AGE ENCRYPTED FILE`).
        case armored
        /// Armored if the input starts (after optional whitespace) with `-----BEGIN`, else binary.
        case detect
    }

    /// Encrypts everything `source` yields to `recipients`.
    /// - Parameters:
    ///   - armored: write ASCII armor instead of the binary format.
    /// - Returns: the plaintext length in bytes.
    /// - Throws: `AgeError.invalidArgument` with no recipients or an scrypt recipient beside others, or
    ///   when a recipient cannot be wrapped to; `AgeError.io` for source or sink failures.
    @discardableResult
    public static func encrypt<Source: ByteSource, Sink: ByteSink>(
        from source: inout Source, to sink: inout Sink, recipients: [any AgeRecipient], armored: Bool = false
    ) throws -> UInt64 {
        guard !recipients.isEmpty else { throw AgeError.invalidArgument("no recipients") }
        if recipients.count > 1 && recipients.contains(where: { $0.mustBeAlone }) {
            throw AgeError.invalidArgument("a passphrase (scrypt) recipient must be the only recipient")
        }
        let fileKey = SecretBytes.random(count: AgeFileKey.byteCount)
        var stanzas: [AgeStanza] = []
        for recipient in recipients { stanzas.append(contentsOf: try recipient.wrap(fileKey: fileKey)) }
        let macInput = AgeHeader.bytesCoveredByMAC(stanzas: stanzas)
        let macKey = HKDFSHA256.deriveKey(inputKeyMaterial: fileKey, salt: [], info: Array("header".utf8), length: 32)
        let header = AgeHeader(validatedStanzas: stanzas, mac: HMACSHA256.authenticate(macInput, key: macKey))

        if armored {
            var armor = AgeArmorWriter(sink)
            defer { sink = armor.inner }
            try AgeIO.write(header.serialized(), to: &armor)
            let total = try AgePayload.seal(from: &source, to: &armor, fileKey: fileKey)
            do { try armor.finish() } catch { throw AgeError.io("writing the output failed: \(error)") }
            return total
        }
        try AgeIO.write(header.serialized(), to: &sink)
        return try AgePayload.seal(from: &source, to: &sink, fileKey: fileKey)
    }

    /// Decrypts an age file from `source` with the first of `identities` that matches, writing the
    /// plaintext to `sink` chunk by chunk.
    /// - Returns: the plaintext length in bytes.
    /// - Throws: `AgeError` (`armor`, `header`, `noMatch`, `headerMAC`, `payload`, `io`); see the type's
    ///   documentation for the mapping to the C2SP test kit's outcomes.
    @discardableResult
    public static func decrypt<Source: ByteSource, Sink: ByteSink>(
        from source: inout Source, to sink: inout Sink, identities: [any AgeIdentity], format: InputFormat = .detect
    ) throws -> UInt64 {
        var outer = BufferedSource(source)
        defer { source = outer.source }
        var armored = format == .armored
        if format == .detect {
            let prefix: [UInt8]
            do { prefix = try outer.peek(AgeArmor.maximumWhitespace + 16) } catch {
                throw AgeError.io("reading the input failed: \(error)")
            }
            armored = AgeArmor.looksArmored(prefix)
        }
        if armored {
            var inner = BufferedSource(AgeArmorReader(outer))
            defer { outer = inner.source.inner }
            return try decrypt(reader: &inner, to: &sink, identities: identities)
        }
        return try decrypt(reader: &outer, to: &sink, identities: identities)
    }

    private static func decrypt<S: ByteSource, Sink: ByteSink>(
        reader: inout BufferedSource<S>, to sink: inout Sink, identities: [any AgeIdentity]
    ) throws -> UInt64 {
        let header: AgeHeader
        let macInput: [UInt8]
        do { (header, macInput) = try AgeHeader.read(from: &reader) } catch let error as AgeError { throw error } catch {
            throw AgeError.io("reading the input failed: \(error)")
        }
        if header.stanzas.count > 1 && header.stanzas.contains(where: { $0.type == AgeScryptRecipient.stanzaType }) {
            throw AgeError.header("an scrypt stanza must be the only stanza")
        }
        var found: SecretBytes? = nil
        for identity in identities {
            let key: SecretBytes?
            do { key = try identity.unwrap(header.stanzas) } catch let error as AgeError { throw error } catch {
                throw AgeError.header("\(error)")
            }
            if let key {
                found = consume key
                break
            }
        }
        guard let fileKey = found else { throw AgeError.noMatch }
        let macKey = HKDFSHA256.deriveKey(inputKeyMaterial: fileKey, salt: [], info: Array("header".utf8), length: 32)
        guard HMACSHA256.equal(HMACSHA256.authenticate(macInput, key: macKey), header.mac) else {
            throw AgeError.headerMAC
        }
        return try AgePayload.open(from: &reader, to: &sink, fileKey: fileKey)
    }
}
