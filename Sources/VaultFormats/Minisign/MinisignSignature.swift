import VaultPlatform
import VaultCrypto

/// A minisign signature file (jedisct1/minisign), four lines each ending with LF:
///
/// ```
/// untrusted comment: <text, not signed>
/// <base64: algorithm (2 bytes, "Ed" or "ED") ‖ key id (8) ‖ Ed25519 signature (64)>
/// trusted comment: <text, covered by the global signature>
/// <base64: global signature (64 bytes) = Ed25519 over signature (64) ‖ trusted comment text>
/// ```
///
/// `ED` (prehashed, what Amanah writes and stock minisign 0.11 writes by default) signs BLAKE2b-512 of the
/// message; `Ed` (legacy) signs the message itself and is refused by `verify` unless the caller allows it.
/// Comments are kept as the exact bytes read, since the global signature covers the trusted comment's bytes.
public struct MinisignSignature: Equatable, Sendable {
    /// The signature algorithm.
    public enum Algorithm: String, Sendable {
        /// `Ed`: Ed25519 over the message (legacy; needs the whole message in memory).
        case legacy = "Ed"
        /// `ED`: Ed25519 over BLAKE2b-512 of the message (streaming).
        case prehashed = "ED"
    }

    /// The prefix of the trusted comment line.
    public static let trustedCommentPrefix = "trusted comment: "
    /// The longest untrusted comment accepted or written, in bytes (minisign reads 1024-byte lines).
    public static let untrustedCommentLimit = 1000
    /// The longest trusted comment accepted or written, in bytes (minisign reads 8192-byte lines).
    public static let trustedCommentLimit = 8000
    /// The largest message a legacy (`Ed`) signature is checked over: 1 GiB, as minisign.
    public static let legacyMessageLimit = 1 << 30

    /// The algorithm.
    public let algorithm: Algorithm
    /// The signer's key id, 8 bytes.
    public let keyID: [UInt8]
    /// The Ed25519 signature over the message (or its BLAKE2b-512 hash), 64 bytes.
    public let signature: [UInt8]
    /// The untrusted comment's bytes (not signed).
    public let untrustedCommentBytes: [UInt8]
    /// The trusted comment's bytes (signed by the global signature).
    public let trustedCommentBytes: [UInt8]
    /// Ed25519 over `signature ‖ trustedCommentBytes`, 64 bytes.
    public let globalSignature: [UInt8]

    /// The untrusted comment as text (invalid UTF-8 replaced), for display only.
    public var untrustedComment: String { String(decoding: untrustedCommentBytes, as: UTF8.self) }
    /// The trusted comment as text (invalid UTF-8 replaced), for display; verify before trusting it.
    public var trustedComment: String { String(decoding: trustedCommentBytes, as: UTF8.self) }
    /// The key id as minisign prints it (16 upper-case hex digits of the little-endian number).
    public var keyIDText: String { Hex.encode(keyID.reversed()).uppercased() }

    /// Parses a signature file.
    /// - Throws: `MinisignError.malformedSignature` (line count, prefixes, base64, lengths, a NUL or an
    ///   over-long comment) or `.unsupportedAlgorithm`.
    public init(fileContents: [UInt8]) throws {
        guard let lines = MinisignSignature.lines(fileContents, count: 4) else {
            throw MinisignError.malformedSignature("a signature file has exactly four lines")
        }
        let untrustedPrefix = Array(MinisignPublicKey.untrustedCommentPrefix.utf8)
        let trustedPrefix = Array(MinisignSignature.trustedCommentPrefix.utf8)
        guard lines[0].starts(with: untrustedPrefix) else {
            throw MinisignError.malformedSignature("the first line must start with \"untrusted comment: \"")
        }
        guard lines[2].starts(with: trustedPrefix) else {
            throw MinisignError.malformedSignature("the third line must start with \"trusted comment: \"")
        }
        let untrusted = Array(lines[0].dropFirst(untrustedPrefix.count))
        let trusted = Array(lines[2].dropFirst(trustedPrefix.count))
        guard !untrusted.contains(0), untrusted.count <= MinisignSignature.untrustedCommentLimit else {
            throw MinisignError.malformedSignature("the untrusted comment holds a NUL or is over \(MinisignSignature.untrustedCommentLimit) bytes")
        }
        guard !trusted.contains(0), trusted.count <= MinisignSignature.trustedCommentLimit else {
            throw MinisignError.malformedSignature("the trusted comment holds a NUL or is over \(MinisignSignature.trustedCommentLimit) bytes")
        }
        guard let packed = try? Base64.decode(String(decoding: lines[1], as: UTF8.self), variant: .standard) else {
            throw MinisignError.malformedSignature("the signature line is not canonical base64")
        }
        guard packed.count == 74 else {
            throw MinisignError.malformedSignature("the signature line decodes to \(packed.count) bytes, expected 74")
        }
        guard let algorithm = Algorithm(rawValue: String(decoding: packed[0..<2], as: UTF8.self)),
              packed[0..<2].allSatisfy({ $0 < 0x80 }) else {
            throw MinisignError.unsupportedAlgorithm(MinisignSignature.printable(Array(packed[0..<2])))
        }
        guard let global = try? Base64.decode(String(decoding: lines[3], as: UTF8.self), variant: .standard),
              global.count == Ed25519.signatureByteCount else {
            throw MinisignError.malformedSignature("the global signature line is not canonical base64 of 64 bytes")
        }
        self.algorithm = algorithm
        keyID = Array(packed[2..<10])
        signature = Array(packed[10..<74])
        untrustedCommentBytes = untrusted
        trustedCommentBytes = trusted
        globalSignature = global
    }

    /// The signature file's text (four lines, each ending with LF).
    public var fileContents: [UInt8] {
        var out = Array(MinisignPublicKey.untrustedCommentPrefix.utf8) + untrustedCommentBytes + [0x0a]
        out += Array(Base64.encode(Array(algorithm.rawValue.utf8) + keyID + signature, variant: .standard).utf8) + [0x0a]
        out += Array(MinisignSignature.trustedCommentPrefix.utf8) + trustedCommentBytes + [0x0a]
        out += Array(Base64.encode(globalSignature, variant: .standard).utf8) + [0x0a]
        return out
    }

    /// Signs the message `source` yields with an Amanah identity's Ed25519 key: a prehashed (`ED`) signature
    /// with key id `identity.publicKey.keyID`, the given trusted comment under the global signature.
    /// - Parameters:
    ///   - trustedComment: one line (no CR, LF or NUL), at most 8000 bytes; signed.
    ///   - untrustedComment: one line, at most 1000 bytes; not signed.
    /// - Throws: `MinisignError.invalidComment`; `MinisignError.io` if reading the message fails.
    public static func sign<Source: ByteSource>(
        message source: inout Source, identity: borrowing Identity, trustedComment: String,
        untrustedComment: String = "signature from amanah secret key"
    ) throws -> MinisignSignature {
        try sign(message: &source, publicKey: identity.publicKey, signRaw: { identity.signRaw($0) },
                 trustedComment: trustedComment, untrustedComment: untrustedComment)
    }

    /// Signs the message `source` yields through an `IdentityHolder` (a local identity or the `amanah agent`);
    /// the same signature as the `Identity` overload.
    /// - Throws: as the `Identity` overload, and what `identity.signRaw` throws.
    public static func sign<Source: ByteSource>(
        message source: inout Source, identity: some IdentityHolder, trustedComment: String,
        untrustedComment: String = "signature from amanah secret key"
    ) throws -> MinisignSignature {
        try sign(message: &source, publicKey: identity.publicKey, signRaw: { try identity.signRaw($0) },
                 trustedComment: trustedComment, untrustedComment: untrustedComment)
    }

    private static func sign<Source: ByteSource>(
        message source: inout Source, publicKey: MemberPublicKey, signRaw: ([UInt8]) throws -> [UInt8],
        trustedComment: String, untrustedComment: String
    ) throws -> MinisignSignature {
        try checkComment(trustedComment, limit: trustedCommentLimit, what: "trusted comment")
        try checkComment(untrustedComment, limit: untrustedCommentLimit, what: "untrusted comment")
        let digest = try prehash(&source)
        let signature = try signRaw(digest)
        let trusted = Array(trustedComment.utf8)
        return MinisignSignature(algorithm: .prehashed, keyID: publicKey.keyID, signature: signature,
                                 untrustedCommentBytes: Array(untrustedComment.utf8), trustedCommentBytes: trusted,
                                 globalSignature: try signRaw(signature + trusted))
    }

    /// Signs `message` (see the streaming overload).
    public static func sign(message: [UInt8], identity: borrowing Identity, trustedComment: String,
                            untrustedComment: String = "signature from amanah secret key") throws -> MinisignSignature {
        var source = MemorySource(message)
        return try sign(message: &source, identity: identity, trustedComment: trustedComment,
                        untrustedComment: untrustedComment)
    }

    /// Signs `message` through an `IdentityHolder` (see the streaming overload).
    public static func sign(message: [UInt8], identity: some IdentityHolder, trustedComment: String,
                            untrustedComment: String = "signature from amanah secret key") throws -> MinisignSignature {
        var source = MemorySource(message)
        return try sign(message: &source, identity: identity, trustedComment: trustedComment,
                        untrustedComment: untrustedComment)
    }

    init(algorithm: Algorithm, keyID: [UInt8], signature: [UInt8], untrustedCommentBytes: [UInt8],
         trustedCommentBytes: [UInt8], globalSignature: [UInt8]) {
        self.algorithm = algorithm
        self.keyID = keyID
        self.signature = signature
        self.untrustedCommentBytes = untrustedCommentBytes
        self.trustedCommentBytes = trustedCommentBytes
        self.globalSignature = globalSignature
    }

    /// BLAKE2b-512 of everything `source` yields.
    static func prehash<Source: ByteSource>(_ source: inout Source) throws -> [UInt8] {
        var hasher = BLAKE2bHasher(outputLength: 64)
        try forEachChunk(of: &source) { hasher.update($0) }
        return hasher.finalize()
    }

    /// Everything `source` yields, at most `limit` bytes.
    static func readAll<Source: ByteSource>(_ source: inout Source, limit: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        try forEachChunk(of: &source) { chunk in
            guard out.count + chunk.count <= limit else { throw MinisignError.messageTooLarge(limit: limit) }
            out.append(contentsOf: chunk)
        }
        return out
    }

    /// Reads `source` to its end in 64 KiB pieces, passing each to `body`.
    /// - Throws: `MinisignError.io` for read errors; what `body` throws.
    private static func forEachChunk<Source: ByteSource>(of source: inout Source,
                                                         _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n: Int
            do {
                n = try buffer.withUnsafeMutableBytes { (raw) throws -> Int in try source.read(into: raw) }
            } catch { throw MinisignError.io("\(error)") }
            if n == 0 { return }
            try buffer.withUnsafeBytes { (raw) throws in try body(UnsafeRawBufferPointer(rebasing: raw[0..<n])) }
        }
    }

    /// Checks that a comment is one line without NUL, within `limit` bytes.
    static func checkComment(_ comment: String, limit: Int, what: String) throws {
        let bytes = Array(comment.utf8)
        guard !bytes.contains(where: { $0 == 0x0a || $0 == 0x0d || $0 == 0 }) else {
            throw MinisignError.invalidComment("the \(what) must be one line without NUL")
        }
        guard bytes.count <= limit else { throw MinisignError.invalidComment("the \(what) is over \(limit) bytes") }
    }

    /// Splits a small text file into exactly `count` lines (LF ends, a CR before it dropped, the final LF
    /// optional); nil if there are more or fewer.
    static func lines(_ contents: [UInt8], count: Int) -> [[UInt8]]? {
        guard contents.count <= 64 * 1024 else { return nil }
        var parts = contents.split(separator: 0x0a, omittingEmptySubsequences: false).map { Array($0) }
        if parts.last == [] { parts.removeLast() }
        guard parts.count == count else { return nil }
        return parts.map { $0.last == 0x0d ? Array($0.dropLast()) : $0 }
    }

    /// Printable ASCII form of untrusted bytes for messages.
    static func printable(_ bytes: [UInt8]) -> String {
        "\"" + String(decoding: bytes.map { (0x20...0x7e).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self) + "\""
    }
}
