import VaultPolicy
import Foundation
internal import SwiftCSV
import VaultStore
import VaultGovernance

/// One record read from an input file, before it is sealed.
public struct RecordInput: Sendable, Equatable {
    /// Where it came from, for messages ("records.json record 2").
    public var label: String
    /// The record id (`id` for cases, `pseudonym` for witnesses).
    public var id: String
    /// Field values by field name.
    public var fields: [String: RecordCodec.Value]
    /// Fields an update clears (JSON `null`); empty for a new record.
    public var cleared: Set<String> = []

    public init(label: String, id: String, fields: [String: RecordCodec.Value], cleared: Set<String> = []) {
        self.label = label; self.id = id; self.fields = fields; self.cleared = cleared
    }
}

/// Reads case or witness records from JSON (one object or an array of objects) or CSV (a header row of
/// field names; list fields hold items separated by `;`). Field names are the kind's `storedFields` (VaultPolicy's
/// `RecordKind`), plus the required identifier (`RecordKind.identifierName`: `id` for cases, `pseudonym` for
/// witnesses).
///
/// Each record is parsed on its own: a bad record yields an error naming it and the field, and the others
/// are still returned.
public enum RecordInputParser {
    /// Parses `bytes` (UTF-8) read from `source`. For an update (`update`), a JSON `null` clears the field
    /// (`RecordInput.cleared`); otherwise it is the same as leaving the field out. An empty CSV cell leaves a
    /// field out in both.
    /// - Returns: one result per record, in input order.
    /// - Throws: `VaultError.invalidInput` when the input as a whole is unreadable (not UTF-8, not JSON or CSV).
    public static func parse(_ bytes: [UInt8], source: String, kind: RecordKind, update: Bool = false) throws -> [Result<RecordInput, VaultError>] {
        var bytes = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }   // a UTF-8 byte order mark
        guard let text = String(validating: bytes, as: UTF8.self) else { throw VaultError.invalidInput(source, "is not UTF-8 text") }
        guard text.contains(where: { !$0.isWhitespace }) else { throw VaultError.invalidInput(source, "holds no records") }
        let first = text.unicodeScalars.first { !$0.properties.isWhitespace }
        let results = first == "{" || first == "[" ? try parseJSON(Data(bytes), source: source, kind: kind, update: update)
                                                   : try parseCSV(text, source: source, kind: kind)
        guard !results.isEmpty else { throw VaultError.invalidInput(source, "holds no records") }
        return results
    }

    static func parseJSON(_ data: Data, source: String, kind: RecordKind, update: Bool = false) throws -> [Result<RecordInput, VaultError>] {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
            throw VaultError.invalidInput(source, "is not valid JSON")
        }
        let objects: [Any]
        if let array = object as? [Any] { objects = array } else { objects = [object] }
        return objects.enumerated().map { index, element in
            let label = "\(source) record \(index + 1)"
            guard let dictionary = element as? [String: Any] else { return .failure(.invalidInput(label, "is not a JSON object")) }
            var values: [String: RawValue] = [:]
            var cleared: Set<String> = []
            for (key, value) in dictionary {
                if value is NSNull {
                    if update { cleared.insert(key) }
                    continue
                }
                if let text = value as? String { values[key] = .text(text) }
                else if let list = value as? [Any] {
                    guard let strings = list as? [String] else { return .failure(.invalidInput(label + " field \(key)", "list items must be text")) }
                    values[key] = .list(strings)
                } else {
                    return .failure(.invalidInput(label + " field \(key)", "must be text (put numbers in quotes)"))
                }
            }
            return build(values, cleared: cleared, label: label, kind: kind)
        }
    }

    static func parseCSV(_ text: String, source: String, kind: RecordKind) throws -> [Result<RecordInput, VaultError>] {
        let csv: CSV<Enumerated>
        do { csv = try CSV<Enumerated>(string: text, delimiter: .comma, loadColumns: false) } catch {
            throw VaultError.invalidInput(source, "is neither JSON nor valid CSV")
        }
        let header = csv.header.map { $0.trimmingCharacters(in: .whitespaces) }
        guard Set(header).count == header.count else { throw VaultError.invalidInput(source, "the CSV header names a column twice") }
        let listFields = Set(kind.storedFields.filter(\.isList).map(\.name))
        return csv.rows.enumerated().map { index, row in
            let label = "\(source) line \(index + 2)"
            guard row.count == header.count else { return .failure(.invalidInput(label, "has \(row.count) cells, the header has \(header.count)")) }
            var values: [String: RawValue] = [:]
            for (name, cell) in zip(header, row) where !cell.isEmpty {
                if listFields.contains(name) {
                    values[name] = .list(cell.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
                } else {
                    values[name] = .text(cell)
                }
            }
            return build(values, label: label, kind: kind)
        }
    }

    enum RawValue { case text(String), list([String]) }

    static func build(_ values: [String: RawValue], cleared: Set<String> = [], label: String, kind: RecordKind) -> Result<RecordInput, VaultError> {
        let idField = kind.identifierName
        guard case let .text(id)? = values[idField] else { return .failure(.invalidInput(label, "the required field \(idField) is missing")) }
        do { try Identifier.validate(id, field: idField) } catch {
            return .failure(.invalidInput(label + " field \(idField)", (error as? StoreError).map { errorReason($0) } ?? "\(error)"))
        }
        let specs = kind.storedFields
        var fields: [String: RecordCodec.Value] = [:]
        for (name, value) in values where name != idField {
            guard let spec = specs.first(where: { $0.name == name }) else {
                return .failure(.invalidInput(label, "unknown field \(name) (known: \(([idField] + specs.map(\.name)).joined(separator: ", ")))"))
            }
            let texts: [String]
            switch (value, spec.isList) {
            case let (.text(text), false):
                texts = [text]
                fields[name] = .text(text)
            case let (.list(items), true):
                texts = items
                fields[name] = .list(items)
            case let (.text(text), true):
                texts = [text]
                fields[name] = .list([text])
            case (.list, false):
                return .failure(.invalidInput(label + " field \(name)", "must be text, not a list"))
            }
            for text in texts {
                if let problem = valueProblem(text) { return .failure(.invalidInput(label + " field \(name)", problem)) }
            }
        }
        for name in cleared.sorted() where !specs.contains(where: { $0.name == name }) {
            let problem = name == idField ? "the record's \(idField) cannot be cleared" : "unknown field \(name) (known: \(specs.map(\.name).joined(separator: ", ")))"
            return .failure(.invalidInput(label, problem))
        }
        return .success(RecordInput(label: label, id: id, fields: fields, cleared: cleared))
    }

    /// Values may hold any text (Arabic, `/`, bidirectional controls, kept as given) except NUL and other C0
    /// control characters besides tab and line breaks.
    static func valueProblem(_ text: String) -> String? {
        for scalar in text.unicodeScalars {
            if scalar.value == 0 { return "contains a NUL character" }
            if scalar.value < 0x20 && scalar.value != 0x09 && scalar.value != 0x0A && scalar.value != 0x0D { return "contains a control character" }
        }
        if text.utf8.count > 64 * 1024 { return "is longer than 64 KiB" }
        return nil
    }

    static func errorReason(_ error: StoreError) -> String {
        if case let .invalidIdentifier(_, reason) = error { return reason }
        return error.description
    }
}
