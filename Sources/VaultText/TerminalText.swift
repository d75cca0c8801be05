/// Text shown on a terminal or in a report, made safe: the one escaping rule of the whole project.
///
/// A value that came from outside (a name in a record, a file name, a region reason, a tar entry, a note)
/// must not be able to move the cursor, clear the screen, reorder what surrounds it (bidirectional controls,
/// as in `photo_<RLO>gpj.exe`), hide itself (zero-width and other default-ignorable characters), or start a
/// line that looks like one of ours (line and paragraph separators). Every such scalar is written as
/// `\u{XXXX}` (upper-case hex, at least four digits), and a backslash as `\\`, so the escaped text reads back
/// unambiguously. Letters of every script (Arabic included) and ordinary punctuation are kept as they are.
public enum TerminalText {
    /// `text` with every scalar that `mustEscape` names written as `\u{XXXX}` and `\` doubled.
    /// - Parameter keepingLineBreaks: keep U+000A as a line break (only for text Amanah composed itself from
    ///   lines, each of which was escaped already); false escapes it like every other control character.
    public static func escaped(_ text: String, keepingLineBreaks: Bool = false) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            if scalar == "\\" {
                out += "\\\\"
            } else if scalar == "\n" && keepingLineBreaks {
                out.unicodeScalars.append(scalar)
            } else if mustEscape(scalar) {
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += "\\u{" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Whether `scalar` is escaped: C0 and C1 controls and DEL (Unicode general category Cc), line and
    /// paragraph separators (U+2028, U+2029), format characters (Cf: U+061C, U+200B–U+200F, U+202A–U+202E,
    /// U+2060–U+2064, U+2066–U+2069, U+FEFF, ...), bidirectional controls, default-ignorable code points
    /// (Unicode's DerivedCoreProperties), white space other than the ASCII space, private-use, surrogate
    /// and unassigned code points.
    public static func mustEscape(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value >= 0x20 && scalar.value < 0x7F { return false }
        let properties = scalar.properties
        switch properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator, .format, .privateUse, .surrogate, .unassigned:
            return true
        default:
            break
        }
        return properties.isBidiControl || properties.isDefaultIgnorableCodePoint || properties.isWhitespace
    }
}
