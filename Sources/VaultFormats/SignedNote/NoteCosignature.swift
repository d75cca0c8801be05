import VaultCrypto

/// Ed25519 cosignatures of a checkpoint, version 1 (c2sp.org/tlog-cosignature, signature type 0x04).
///
/// A cosignature is a note signature line whose key id is SHA-256(name ‖ 0x0A ‖ 0x04 ‖ 32-byte Ed25519 public
/// key)[0..<4] and whose signature bytes are a `timestamped_signature`: the 8-byte big-endian timestamp
/// (POSIX seconds, at most 2^63 − 1) followed by the 64-byte Ed25519 signature, 72 bytes in all. The Ed25519
/// signature covers
/// ```
/// cosignature/v1\n
/// time <timestamp in decimal, no leading zeros>\n
/// <the whole note text of the checkpoint, final newline included>
/// ```
/// It states that, at that time, the checkpoint is the largest consistent tree head the cosigner has seen
/// for the log named on its origin line.
///
/// Domain separation from Amanah's own signatures: Amanah signs `amanah/v1/<purpose>\0 ‖ message`, and the
/// bytes above contain no NUL (a note text has no control character), so no cosigned message is ever an
/// Amanah-context message or the reverse. A plain Ed25519 note signature (type 0x01) by the same key covers a
/// note text; `SignedNote` refuses to sign a text that starts with `cosignature/v1\n`, so the two types
/// cannot stand in for each other either.
public enum NoteCosignature {
    /// The header line (without its newline) that starts every cosigned message.
    public static let header = "cosignature/v1"
    /// Length of a cosignature's bytes after the key id: 8-byte timestamp ‖ 64-byte signature.
    public static let signatureByteCount = 8 + Ed25519.signatureByteCount
    /// Largest timestamp allowed, 2^63 − 1 seconds.
    public static let maximumTimestamp = UInt64(Int64.max)

    /// The bytes the cosigner signs for a note `text` and `timestamp`.
    public static func signedMessage(text: some Collection<UInt8>, timestamp: UInt64) -> [UInt8] {
        var message = Array((header + "\ntime " + String(timestamp) + "\n").utf8)
        message.append(contentsOf: text)
        return message
    }

    /// The timestamp of a cosignature's bytes (after the key id), or nil unless they are exactly 72 bytes with
    /// a timestamp of at most 2^63 − 1.
    public static func timestamp(of signature: [UInt8]) -> UInt64? {
        guard signature.count == signatureByteCount else { return nil }
        let value = signature[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return value <= maximumTimestamp ? value : nil
    }

    /// Cosigns a note text as `name` at `timestamp` with the member's Ed25519 key (`Identity.signRaw`: the
    /// signed bytes are fixed by the specification; see the type's comment for why they stay separate from
    /// Amanah's `amanah/v1/…\0` signatures).
    /// - Returns: the signature line, key id computed with type 0x04.
    /// - Throws: `SignedNoteError.invalidText` if `text` is not a valid note text, `.invalidKeyName` for a bad
    ///   name, `.timestampOutOfRange` above 2^63 − 1.
    public static func sign(text: String, name: String, timestamp: UInt64,
                            identity: borrowing Identity) throws -> NoteSignature {
        try sign(text: text, name: name, timestamp: timestamp, publicKey: identity.publicKey, signRaw: { identity.signRaw($0) })
    }

    /// The same cosignature made through an `IdentityHolder` (a local identity or the `amanah agent`).
    /// - Throws: as the `Identity` overload, and what `identity.signRaw` throws.
    public static func sign(text: String, name: String, timestamp: UInt64,
                            identity: some IdentityHolder) throws -> NoteSignature {
        try sign(text: text, name: name, timestamp: timestamp, publicKey: identity.publicKey, signRaw: { try identity.signRaw($0) })
    }

    private static func sign(text: String, name: String, timestamp: UInt64, publicKey: MemberPublicKey,
                             signRaw: ([UInt8]) throws -> [UInt8]) throws -> NoteSignature {
        let body = Array(text.utf8)
        try NoteText.validate(text: body)
        guard timestamp <= maximumTimestamp else { throw SignedNoteError.timestampOutOfRange(timestamp) }
        let key = try NoteVerifierKey(name: name, type: .cosignatureV1, publicKey: publicKey.signingKey)
        var bytes = [UInt8]()
        bytes.appendBigEndian(timestamp)
        bytes.append(contentsOf: try signRaw(signedMessage(text: body, timestamp: timestamp)))
        return try NoteSignature(name: name, keyID: key.keyID, signature: bytes)
    }
}
