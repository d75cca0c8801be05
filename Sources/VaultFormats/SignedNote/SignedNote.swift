import VaultCrypto

/// A C2SP signed note (https://c2sp.org/signed-note): a UTF-8 text ending in a newline, a blank line, and one
/// or more signature lines `— <key name> <base64(key id ‖ signature)>`.
///
/// ```
/// <text, one or more lines, each ending in \n>
/// \n
/// — <name> <base64>\n
/// — <name> <base64>\n
/// ```
/// The text is what signatures cover (final newline included, blank line excluded). It may contain empty
/// lines: the signatures start after the last blank line of the note.
///
/// Parsing is strict: the whole note is valid UTF-8 with no ASCII control character other than newline; at
/// most 1 MiB and 100 signatures; every signature line well formed with canonical base64; and no two
/// signatures with the same key name and key id. (The spec says nothing of repeated signatures; Go's
/// `sumdb/note` drops repeats silently. Amanah refuses them: a repeat adds nothing, and a careless count
/// could take it for a second signer.) Parse-then-serialise reproduces the input byte for byte, and every
/// `SignedNote` value serialises to a note that parses back to an equal value.
///
/// Verification (`verify(against:)`) follows the spec: signatures from unknown keys are ignored (and kept),
/// a known key's signature must verify, and at least one must.
public struct SignedNote: Sendable, Equatable, CustomStringConvertible {
    /// The note text: one or more lines, the last ending in a newline. No control characters but newline.
    public let text: String
    /// The signature lines, in note order (at least one, at most 100, no repeated name and key id).
    public private(set) var signatures: [NoteSignature]

    /// A note from its text and signatures (for instance the first signature made with
    /// `SignedNote.signature(text:name:identity:)`).
    /// - Throws: `SignedNoteError.invalidText` for a text that is empty, lacks its final newline or has a
    ///   control character; `.malformedNote` with no signature or more than 100; `.duplicateSignature` when
    ///   two signatures share name and key id.
    public init(text: String, signatures: [NoteSignature]) throws {
        try NoteText.validate(text: Array(text.utf8))
        try SignedNote.checkSignatureList(signatures)
        self.text = text
        self.signatures = signatures
    }

    /// Parses a note from text (see `init(parsing:)` for bytes).
    /// - Throws: see `init(parsing bytes:)`.
    public init(parsing note: String) throws {
        try self.init(parsing: Array(note.utf8))
    }

    /// Parses a note from its bytes.
    /// - Throws: `SignedNoteError.malformedNote` if the note is too large, not UTF-8, has a control character,
    ///   no blank line, no signature, more than 100, or a signature block that does not end in a newline;
    ///   `.malformedSignatureLine` for a bad line; `.duplicateSignature` for a repeated name and key id.
    public init(parsing bytes: [UInt8]) throws {
        guard bytes.count <= NoteText.maximumNoteBytes else {
            throw SignedNoteError.malformedNote("larger than \(NoteText.maximumNoteBytes) bytes")
        }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw SignedNoteError.malformedNote("not valid UTF-8")
        }
        guard bytes.allSatisfy({ $0 >= 0x20 || $0 == 0x0a }) else {
            throw SignedNoteError.malformedNote("contains a control character other than newline")
        }
        // The text ends at the last blank line: find the last "\n\n".
        var split: Int? = nil
        var index = bytes.count - 2
        while index >= 0 {
            if bytes[index] == 0x0a && bytes[index + 1] == 0x0a { split = index; break }
            index -= 1
        }
        guard let split else { throw SignedNoteError.malformedNote("no blank line before the signatures") }
        let textBytes = bytes[0...split]
        let block = bytes[(split + 2)...]
        guard !block.isEmpty else { throw SignedNoteError.malformedNote("no signature lines") }
        guard block.last == 0x0a else { throw SignedNoteError.malformedNote("the last signature line does not end in a newline") }
        let lines = block.dropLast().split(separator: 0x0a, omittingEmptySubsequences: false)
        guard lines.count <= NoteText.maximumSignatures else {
            throw SignedNoteError.malformedNote("more than \(NoteText.maximumSignatures) signatures")
        }
        var parsed = [NoteSignature]()
        for (number, line) in lines.enumerated() {
            // Each line is valid UTF-8: the note is, and lines split at newlines.
            let lineText = String(decoding: line, as: UTF8.self)
            parsed.append(try NoteSignature(line: lineText, lineNumber: number + 1))
        }
        try SignedNote.checkSignatureList(parsed)
        text = String(decoding: textBytes, as: UTF8.self)
        try NoteText.validate(text: Array(text.utf8))
        signatures = parsed
    }

    /// The note as text: text, blank line, one line per signature, each ending in a newline.
    public var serialized: String {
        var out = text + "\n"
        for signature in signatures { out += signature.line + "\n" }
        return out
    }

    public var description: String { serialized }

    /// Adds a signature at the end.
    /// - Throws: `SignedNoteError.duplicateSignature` if a signature with the same name and key id is already
    ///   there; `.malformedNote` past 100 signatures.
    public mutating func add(_ signature: NoteSignature) throws {
        try SignedNote.checkSignatureList(signatures + [signature])
        signatures.append(signature)
    }

    /// Checks the note against the keys the caller trusts (c2sp.org/signed-note, "Signatures"):
    /// - a signature whose (name, key id) matches no trusted key is ignored and listed as unverified;
    /// - one that matches two different trusted keys rejects the note (`.ambiguousKey`);
    /// - one that matches a trusted key must verify, or the note is rejected (`.invalidSignature`);
    /// - at least one must verify, or the note is rejected (`.noKnownSignature`).
    public func verify(against keys: [NoteVerifierKey]) -> NoteVerification {
        let body = Array(text.utf8)
        var verified = [VerifiedNoteSignature]()
        var unverified = [NoteSignature]()
        for signature in signatures {
            var candidates = [NoteVerifierKey]()
            for key in keys where key.matches(signature) && !candidates.contains(key) { candidates.append(key) }
            guard let key = candidates.first else {
                unverified.append(signature)
                continue
            }
            guard candidates.count == 1 else { return .rejected(.ambiguousKey(name: signature.name, keyID: signature.keyID)) }
            switch key.check(signature: signature.signature, text: body) {
            case let .valid(timestamp):
                verified.append(VerifiedNoteSignature(key: key, signature: signature, timestamp: timestamp))
            case .invalid:
                return .rejected(.invalidSignature(name: signature.name, keyID: signature.keyID))
            }
        }
        guard !verified.isEmpty else { return .rejected(.noKnownSignature) }
        return .verified(verified: verified, unverified: unverified)
    }

    /// A plain Ed25519 signature (type 0x01) of `text` by the member's signing key under key name `name`.
    ///
    /// It uses `Identity.signRaw`, since the signed bytes are fixed by the spec (the note text itself). This
    /// stays domain-separated from Amanah's own signatures, which sign `amanah/v1/<purpose>\0 ‖ message`: a
    /// note text never contains a NUL byte, so no note text is an Amanah-context message. It also refuses a
    /// text starting with `cosignature/v1\n`, so a note signature can never pass for a cosignature
    /// (c2sp.org/tlog-cosignature) made with the same key.
    /// - Throws: `SignedNoteError.invalidText` for an invalid text or one starting with `cosignature/v1\n`;
    ///   `.invalidKeyName` for a bad name.
    public static func signature(text: String, name: String, identity: borrowing Identity) throws -> NoteSignature {
        try signature(text: text, name: name, publicKey: identity.publicKey, signRaw: { identity.signRaw($0) })
    }

    /// The same signature made through an `IdentityHolder` (a local identity or the `amanah agent`).
    /// - Throws: as the `Identity` overload, and what `identity.signRaw` throws.
    public static func signature(text: String, name: String, identity: some IdentityHolder) throws -> NoteSignature {
        try signature(text: text, name: name, publicKey: identity.publicKey, signRaw: { try identity.signRaw($0) })
    }

    private static func signature(text: String, name: String, publicKey: MemberPublicKey,
                                  signRaw: ([UInt8]) throws -> [UInt8]) throws -> NoteSignature {
        let body = Array(text.utf8)
        try NoteText.validate(text: body)
        guard !body.starts(with: Array((NoteCosignature.header + "\n").utf8)) else {
            throw SignedNoteError.invalidText("a note text may not start with the cosignature header")
        }
        let key = try NoteVerifierKey(name: name, type: .ed25519, publicKey: publicKey.signingKey)
        return try NoteSignature(name: name, keyID: key.keyID, signature: signRaw(body))
    }

    public static func == (lhs: SignedNote, rhs: SignedNote) -> Bool {
        lhs.text.utf8.elementsEqual(rhs.text.utf8) && lhs.signatures == rhs.signatures
    }

    private static func checkSignatureList(_ list: [NoteSignature]) throws {
        guard !list.isEmpty else { throw SignedNoteError.malformedNote("no signature lines") }
        guard list.count <= NoteText.maximumSignatures else {
            throw SignedNoteError.malformedNote("more than \(NoteText.maximumSignatures) signatures")
        }
        for (position, signature) in list.enumerated() {
            for earlier in list[..<position] where earlier.isBy(name: signature.name, keyID: signature.keyID) {
                throw SignedNoteError.duplicateSignature(name: signature.name, keyID: signature.keyIDHex)
            }
        }
    }
}
