internal import VaultText
import Foundation

/// The rules for member names of the strict tar format: what a reader accepts from an untrusted archive,
/// what the writer emits, when two names collide, and how to show a hostile name safely.
public enum TarName {
    /// Why a name is refused.
    public enum Problem: Equatable, Sendable, CustomStringConvertible {
        /// The name is empty.
        case empty
        /// The name bytes are not valid UTF-8.
        case notUTF8
        /// The name starts with `/` or `\` (an absolute path, a UNC path).
        case absolute
        /// The name starts with a drive letter (`C:`).
        case driveLetter
        /// A component is `..` after splitting on both `/` and `\`.
        case parentComponent
        /// The name holds a backslash (a separator on Windows, never generated).
        case backslash
        /// A component is `.`.
        case currentComponent
        /// A component is empty (`a//b`, or a trailing `/` on a file).
        case emptyComponent
        /// A component is longer than 255 bytes of UTF-8 (`NAME_MAX`); the length.
        case componentTooLong(Int)
        /// The whole name is too long for the format; the length in bytes.
        case tooLong(Int)
        /// A control character (C0, DEL, C1, line or paragraph separator), by code point.
        case controlCharacter(UInt32)
        /// A bidirectional formatting character (RLO, LRI, RLM, ...), by code point.
        case bidiControl(UInt32)
        /// An invisible character (zero-width space or joiner, BOM, soft hyphen, other format or
        /// default-ignorable code points), by code point.
        case invisibleCharacter(UInt32)
        /// (writer) A character outside `A-Z a-z 0-9 . _ + -` and the `/` separator, or a component not
        /// starting with a letter, digit or `_`.
        case notPortable(String)

        public var description: String {
            switch self {
            case .empty: return "empty name"
            case .notUTF8: return "not valid UTF-8"
            case .absolute: return "absolute path"
            case .driveLetter: return "drive letter"
            case .parentComponent: return "\"..\" component"
            case .backslash: return "backslash"
            case .currentComponent: return "\".\" component"
            case .emptyComponent: return "empty component"
            case let .componentTooLong(length): return "component of \(length) bytes (over 255)"
            case let .tooLong(length): return "name of \(length) bytes is too long"
            case let .controlCharacter(code): return "control character U+\(hex(code))"
            case let .bidiControl(code): return "bidirectional control U+\(hex(code))"
            case let .invisibleCharacter(code): return "invisible character U+\(hex(code))"
            case let .notPortable(why): return "not a portable name: \(why)"
            }
        }

        private func hex(_ code: UInt32) -> String {
            let digits = String(code, radix: 16, uppercase: true)
            return String(repeating: "0", count: Swift.max(0, 4 - digits.count)) + digits
        }
    }

    /// The longest component, in bytes of UTF-8.
    public static let maximumComponentBytes = 255
    /// The longest name the writer emits (the ustar `name` field), in bytes, including a folder's `/`.
    public static let maximumGeneratedBytes = 100

    /// Checks a name read from an archive (a folder's single trailing `/` already removed).
    /// - Returns: the first problem, or nil when the name is acceptable.
    public static func check(_ name: String) -> Problem? {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty else { return .empty }
        if bytes[0] == UInt8(ascii: "/") || bytes[0] == UInt8(ascii: "\\") { return .absolute }
        if bytes.count >= 2, bytes[1] == UInt8(ascii: ":"),
           (0x41...0x5a).contains(bytes[0]) || (0x61...0x7a).contains(bytes[0]) { return .driveLetter }
        let components = bytes.split(omittingEmptySubsequences: false) { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "\\") }
        if components.contains(where: { $0.elementsEqual("..".utf8) }) { return .parentComponent }
        if bytes.contains(UInt8(ascii: "\\")) { return .backslash }
        for component in components {
            if component.isEmpty { return .emptyComponent }
            if component.elementsEqual(".".utf8) { return .currentComponent }
            if component.count > maximumComponentBytes { return .componentTooLong(component.count) }
        }
        for scalar in name.unicodeScalars {
            if let problem = characterProblem(scalar) { return problem }
        }
        return nil
    }

    /// Checks a name the writer is asked to emit: the reader's rules, plus only `A-Z a-z 0-9 . _ + -` with
    /// `/` between components, each component starting with a letter, digit or `_`, at most
    /// `maximumGeneratedBytes` bytes (counting a folder's trailing `/`).
    public static func checkGenerated(_ name: String, isFolder: Bool) -> Problem? {
        if let problem = check(name) { return problem }
        let bytes = Array(name.utf8)
        let length = bytes.count + (isFolder ? 1 : 0)
        guard length <= maximumGeneratedBytes else { return .tooLong(length) }
        for component in bytes.split(separator: UInt8(ascii: "/")) {
            guard let first = component.first, isAlphanumeric(first) || first == UInt8(ascii: "_") else {
                return .notPortable("each component must start with a letter, digit or \"_\"")
            }
            for byte in component where !(isAlphanumeric(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
                                          || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")) {
                return .notPortable("character \(TerminalText.escaped(String(decoding: [byte], as: UTF8.self))) is not in A-Z a-z 0-9 . _ + -")
            }
        }
        return nil
    }

    /// The key under which two names collide: Unicode NFC, then full case folding, then NFC again (so `café`
    /// in NFC and NFD, `Photo.JPG` and `photo.jpg`, `STRASSE` and `straße` share a key).
    public static func collisionKey(_ name: String) -> String {
        name.precomposedStringWithCanonicalMapping
            .folding(options: [.caseInsensitive], locale: nil)
            .precomposedStringWithCanonicalMapping
    }

    /// Display form of raw name bytes that may not be UTF-8 (invalid sequences become U+FFFD), escaped by
    /// `TerminalText.escaped`.
    static func escaped(bytes: [UInt8]) -> String { TerminalText.escaped(String(decoding: bytes, as: UTF8.self)) }

    static func characterProblem(_ scalar: Unicode.Scalar) -> Problem? {
        let properties = scalar.properties
        switch properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator: return .controlCharacter(scalar.value)
        default: break
        }
        if properties.isBidiControl { return .bidiControl(scalar.value) }
        if properties.generalCategory == .format || properties.isDefaultIgnorableCodePoint {
            return .invisibleCharacter(scalar.value)
        }
        return nil
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5a).contains(byte) || (0x61...0x7a).contains(byte)
    }
}
