import VaultCrypto

/// A minisign public key (jedisct1/minisign): the 2-byte algorithm `Ed`, an 8-byte key id and a 32-byte
/// Ed25519 public key, written as standard padded base64 (56 characters, starting `RW`), on its own (the
/// `minisign -P` form) or in a file after an untrusted comment line:
///
/// ```
/// untrusted comment: minisign public key E7620F1842B4E81F
/// RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3
/// ```
///
/// An Amanah member's minisign key is its Ed25519 signing key with the Amanah key id (`MemberPublicKey.keyID`,
/// 8 bytes) as the minisign key id, byte for byte. minisign prints key ids as the little-endian 64-bit number
/// in upper-case hex, that is the 8 bytes in reverse order (`keyIDText`).
public struct MinisignPublicKey: Hashable, Sendable {
    /// The key algorithm: `Ed`.
    public static let algorithm: [UInt8] = Array("Ed".utf8)
    /// The prefix of the untrusted comment line.
    public static let untrustedCommentPrefix = "untrusted comment: "

    /// The key id, 8 bytes, in the order they are stored.
    public let keyID: [UInt8]
    /// The Ed25519 public key, 32 bytes.
    public let publicKey: [UInt8]

    /// A key from its parts.
    /// - Throws: `MinisignError.malformedPublicKey` for wrong lengths.
    public init(keyID: [UInt8], publicKey: [UInt8]) throws {
        guard keyID.count == 8 else { throw MinisignError.malformedPublicKey("key id must be 8 bytes") }
        guard publicKey.count == Ed25519.publicKeyByteCount else {
            throw MinisignError.malformedPublicKey("Ed25519 public key must be 32 bytes")
        }
        self.keyID = keyID
        self.publicKey = publicKey
    }

    /// An Amanah member's signing key as a minisign key (key id = the Amanah key id).
    public init(member: MemberPublicKey) {
        keyID = member.keyID
        publicKey = member.signingKey
    }

    /// Parses the base64 form (the key line of a public key file, or the `minisign -P` argument).
    /// - Throws: `MinisignError.malformedPublicKey` (not canonical base64 of 42 bytes) or
    ///   `.unsupportedAlgorithm` (not `Ed`).
    public init(base64 text: String) throws {
        guard let bytes = try? Base64.decode(text, variant: .standard) else {
            throw MinisignError.malformedPublicKey("not canonical base64")
        }
        guard bytes.count == 42 else { throw MinisignError.malformedPublicKey("decodes to \(bytes.count) bytes, expected 42") }
        guard Array(bytes[0..<2]) == MinisignPublicKey.algorithm else {
            throw MinisignError.unsupportedAlgorithm(MinisignSignature.printable(Array(bytes[0..<2])))
        }
        keyID = Array(bytes[2..<10])
        publicKey = Array(bytes[10..<42])
    }

    /// Parses a public key file: an `untrusted comment: ` line and the base64 line, each ending with LF (or
    /// CRLF; the last line end is optional). Nothing else may follow.
    /// - Throws: `MinisignError.malformedPublicKey` or `.unsupportedAlgorithm`.
    public init(fileContents: [UInt8]) throws {
        guard let lines = MinisignSignature.lines(fileContents, count: 2) else {
            throw MinisignError.malformedPublicKey("a public key file has exactly two lines")
        }
        guard lines[0].starts(with: Array(MinisignPublicKey.untrustedCommentPrefix.utf8)) else {
            throw MinisignError.malformedPublicKey("the first line must start with \"untrusted comment: \"")
        }
        try self.init(base64: String(decoding: lines[1], as: UTF8.self))
    }

    /// The base64 form (56 characters).
    public var base64: String { Base64.encode(MinisignPublicKey.algorithm + keyID + publicKey, variant: .standard) }

    /// The key id as minisign prints it: 16 upper-case hex digits of the little-endian number.
    public var keyIDText: String { Hex.encode(keyID.reversed()).uppercased() }

    /// The public key file's text: the untrusted comment line and the base64 line, each ending with LF.
    /// - Parameter untrustedComment: the comment after `untrusted comment: `; by default
    ///   `minisign public key <keyIDText>` (minisign itself drops leading zeros of the id; the comment is not checked).
    /// - Throws: `MinisignError.invalidComment` for a comment with a line break or NUL, or over 1000 bytes.
    public func fileContents(untrustedComment: String? = nil) throws -> String {
        let comment = untrustedComment ?? "minisign public key \(keyIDText)"
        try MinisignSignature.checkComment(comment, limit: MinisignSignature.untrustedCommentLimit, what: "untrusted comment")
        return MinisignPublicKey.untrustedCommentPrefix + comment + "\n" + base64 + "\n"
    }
}
