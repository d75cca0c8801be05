import Testing
import VaultText

/// The one escaping rule (`TerminalText`): every scalar that can move the cursor, reorder or hide text, or
/// start a line is written as `\u{XXXX}`; letters of every script stay as they are.
struct TerminalTextTests {
    static let dangerous: [UInt32] = Array(0x00...0x1F) + [0x7F] + Array(0x80...0x9F)
        + [0x2028, 0x2029] + Array(0x200B...0x200F) + Array(0x202A...0x202E) + Array(0x2066...0x2069)
        + [0x061C, 0x2060, 0xFEFF, 0x00A0, 0x3000, 0xE000, 0xFE0F]

    @Test(arguments: dangerous)
    func everyDangerousScalarIsEscaped(_ value: UInt32) throws {
        let scalar = try #require(Unicode.Scalar(value))
        #expect(TerminalText.mustEscape(scalar))
        let hex = String(value, radix: 16, uppercase: true)
        let expected = "a\\u{" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + "}b"
        #expect(TerminalText.escaped("a" + String(Character(scalar)) + "b") == expected)
    }

    @Test func knownAnswers() {
        #expect(TerminalText.escaped("photo_\u{202E}gpj.exe") == "photo_\\u{202E}gpj.exe")
        #expect(TerminalText.escaped("a\\b\u{200B}") == "a\\\\b\\u{200B}")
        #expect(TerminalText.escaped("evil\ntribunal\u{1B}[2J") == "evil\\u{000A}tribunal\\u{001B}[2J")
        #expect(TerminalText.escaped("one\ntwo\u{2028}", keepingLineBreaks: true) == "one\ntwo\\u{2028}")
        #expect(TerminalText.escaped("line\u{2029}break\u{85}") == "line\\u{2029}break\\u{0085}")
    }

    @Test func lettersOfEveryScriptStay() {
        for text in ["أحمد الحلبي", "٣٤٥٦/٢١٥", "Ünïcödé café", "Дарья", "東京", "name with spaces, (punctuation)!"] {
            #expect(TerminalText.escaped(text) == text)
        }
    }
}

@Test("counted: a count of one takes the singular, every other the plural")
func countedNouns() {
    #expect(counted(1, "byte") == "1 byte" && counted(0, "byte") == "0 bytes" && counted(2, "byte") == "2 bytes")
    #expect(counted(UInt64(1), "entry", "entries") == "1 entry" && counted(Int64(3), "entry", "entries") == "3 entries")
}
