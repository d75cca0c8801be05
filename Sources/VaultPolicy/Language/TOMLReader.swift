internal import TOMLKit

/// Strict reading of a TOMLKit table: every access names its key path, every key must be read exactly by
/// the language (`finish()` reports the first key nobody asked for), and every value must have its type.
final class TOMLReader {
    let table: TOMLTable
    let path: String
    private var used: Set<String> = []

    init(_ table: TOMLTable, path: String) {
        self.table = table
        self.path = path
    }

    /// Parses `bytes` as a TOML document (UTF-8, no NUL, at most `limit` bytes).
    static func document(_ bytes: [UInt8], limit: Int) throws(PolicyError) -> TOMLReader {
        guard bytes.count <= limit else {
            throw PolicyError(.unreadable, at: "", "document is \(bytes.count) bytes, more than the \(limit)-byte limit")
        }
        guard !bytes.contains(0) else { throw PolicyError(.unreadable, at: "", "document contains a NUL byte") }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw PolicyError(.unreadable, at: "", "document is not valid UTF-8")
        }
        do {
            return TOMLReader(try TOMLTable(string: text), path: "")
        } catch let error as TOMLParseError {
            throw PolicyError(.syntax, at: "", "line \(error.source.begin.line), column \(error.source.begin.column): "
                                + error.description)
        } catch {
            throw PolicyError(.syntax, at: "", "not a TOML document")
        }
    }

    /// The key path of `key` inside this table (keys other than bare keys are quoted as TOML would).
    func child(_ key: String) -> String {
        let bare = !key.isEmpty && key.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
        }
        let quoted = bare ? key : "\"" + key.unicodeScalars.map { scalar -> String in
            switch scalar {
            case "\"": return "\\\""
            case "\\": return "\\\\"
            default:
                guard scalar.value < 0x20 || scalar.value == 0x7f else { return String(scalar) }
                let hex = String(scalar.value, radix: 16)
                return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            }
        }.joined() + "\""
        return path.isEmpty ? quoted : path + "." + quoted
    }

    /// All keys of the table, sorted by UTF-8 bytes; marks them all as used.
    var keys: [String] {
        let all = table.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        used.formUnion(all)
        return all
    }

    func contains(_ key: String) -> Bool { table.keys.contains(key) }

    private func value(_ key: String) -> TOMLValueConvertible? {
        used.insert(key)
        return table[key]
    }

    private func wrongType(_ key: String, _ expected: String, _ found: TOMLValueConvertible) -> PolicyError {
        PolicyError(.wrongType, at: child(key), "must be \(expected), found \(found.type.description)")
    }

    func string(_ key: String) throws(PolicyError) -> String? {
        guard let found = value(key) else { return nil }
        guard let text = found.string else { throw wrongType(key, "a string", found) }
        return text
    }

    func requiredString(_ key: String) throws(PolicyError) -> String {
        guard let text = try string(key) else { throw PolicyError(.missingKey, at: child(key), "is required") }
        return text
    }

    func bool(_ key: String) throws(PolicyError) -> Bool? {
        guard let found = value(key) else { return nil }
        guard found.type == .bool, let flag = found.bool else { throw wrongType(key, "true or false", found) }
        return flag
    }

    func int(_ key: String, range: ClosedRange<Int>) throws(PolicyError) -> Int? {
        guard let found = value(key) else { return nil }
        guard found.type == .int, let number = found.int else { throw wrongType(key, "an integer", found) }
        guard range.contains(number) else {
            throw PolicyError(.invalidValue, at: child(key), "must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return number
    }

    /// A list of strings. `nonEmpty` refuses `[]`; duplicates are always refused.
    func strings(_ key: String, nonEmpty: Bool = true) throws(PolicyError) -> [String]? {
        guard let found = value(key) else { return nil }
        guard let array = found.array else { throw wrongType(key, "a list of strings", found) }
        var out: [String] = []
        for (index, element) in array.enumerated() {
            let elementPath = child(key) + "[\(index)]"
            guard let text = element.string else {
                throw PolicyError(.wrongType, at: elementPath, "must be a string, found \(element.type.description)")
            }
            guard !out.contains(where: { $0.utf8.elementsEqual(text.utf8) }) else {
                throw PolicyError(.duplicate, at: elementPath, "\"\(text)\" is listed twice")
            }
            out.append(text)
        }
        if nonEmpty && out.isEmpty { throw PolicyError(.invalidValue, at: child(key), "must not be empty") }
        return out
    }

    func requiredStrings(_ key: String) throws(PolicyError) -> [String] {
        guard let list = try strings(key) else { throw PolicyError(.missingKey, at: child(key), "is required") }
        return list
    }

    func table(_ key: String) throws(PolicyError) -> TOMLReader? {
        guard let found = value(key) else { return nil }
        guard let inner = found.table else { throw wrongType(key, "a table", found) }
        return TOMLReader(inner, path: child(key))
    }

    func requiredTable(_ key: String) throws(PolicyError) -> TOMLReader {
        guard let inner = try table(key) else { throw PolicyError(.missingKey, at: child(key), "is required") }
        return inner
    }

    /// An array of tables (`[[key]]` or a list of inline tables).
    func tables(_ key: String) throws(PolicyError) -> [TOMLReader]? {
        guard let found = value(key) else { return nil }
        guard let array = found.array else { throw wrongType(key, "an array of tables", found) }
        var out: [TOMLReader] = []
        for (index, element) in array.enumerated() {
            let elementPath = child(key) + "[\(index)]"
            guard let inner = element.table else {
                throw PolicyError(.wrongType, at: elementPath, "must be a table, found \(element.type.description)")
            }
            out.append(TOMLReader(inner, path: elementPath))
        }
        return out
    }

    /// The raw value of `key` (for keys that accept more than one shape), marked as used.
    func raw(_ key: String) -> TOMLValueConvertible? { value(key) }

    /// Throws `unknownKey` for the first key (in sorted order) not in `allowed`. Called before reading a table,
    /// so that a misspelt key is reported as such rather than as the absence of the key it was meant to be.
    func allowOnly(_ allowed: Set<String>) throws(PolicyError) {
        for key in table.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) where !allowed.contains(key) {
            throw PolicyError(.unknownKey, at: child(key), "unknown key")
        }
    }

    /// Throws for the first key (in sorted order) that the language did not read.
    func finish() throws(PolicyError) {
        for key in table.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) where !used.contains(key) {
            throw PolicyError(.unknownKey, at: child(key), "unknown key")
        }
    }
}
