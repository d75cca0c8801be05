/// Lexical rules shared by the signed-note types (c2sp.org/signed-note, "Format").
enum NoteText {
    /// The start of every signature line: U+2014 EM DASH, U+0020 SPACE (bytes E2 80 94 20).
    static let signatureLinePrefix: [UInt8] = [0xE2, 0x80, 0x94, 0x20]

    /// Largest note accepted by the parser, in bytes (1 MiB): room for 100 post-quantum signatures.
    static let maximumNoteBytes = 1 << 20

    /// Most signature lines accepted in one note (the spec demands at least 16; the Go reference stops at 100).
    static let maximumSignatures = 100

    /// Whether `name` is a valid key name: non-empty, with no Unicode white space and no `+` (U+002B).
    /// Control characters are refused too, since a note may not contain any.
    static func isValidKeyName(_ name: String) -> Bool {
        guard !name.isEmpty else { return false }
        return name.unicodeScalars.allSatisfy { scalar in
            scalar != "+" && !scalar.properties.isWhitespace && scalar.value >= 0x20 && scalar.value != 0x7f
        }
    }

    /// Checks a note text: non-empty, ends in a newline, and contains no ASCII control character other than
    /// newline. (The text is already valid UTF-8, being a `String`.)
    /// - Throws: `SignedNoteError.invalidText` naming the rule that failed.
    static func validate(text: some BidirectionalCollection<UInt8>) throws {
        guard let last = text.last else { throw SignedNoteError.invalidText("the text is empty") }
        guard last == 0x0a else { throw SignedNoteError.invalidText("the text does not end in a newline") }
        guard text.allSatisfy({ $0 >= 0x20 || $0 == 0x0a }) else {
            throw SignedNoteError.invalidText("the text contains a control character")
        }
    }

    /// The key id as 8 lower-case hex digits (big-endian), as in verifier keys and error messages.
    static func hex(_ keyID: UInt32) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for shift in stride(from: 28, through: 0, by: -4) { out.append(digits[Int((keyID >> UInt32(shift)) & 0xf)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Big-endian bytes of a 32-bit key id.
    static func bytes(_ keyID: UInt32) -> [UInt8] {
        [UInt8(truncatingIfNeeded: keyID >> 24), UInt8(truncatingIfNeeded: keyID >> 16),
         UInt8(truncatingIfNeeded: keyID >> 8), UInt8(truncatingIfNeeded: keyID)]
    }

    /// The 32-bit key id read big-endian from the first four bytes (the caller checks the count).
    static func keyID(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }
}
