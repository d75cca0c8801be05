import VaultPolicy
import Foundation
import GRDB
import VaultCrypto
import VaultStore

/// Seals and opens record fields. Each record has one random 32-byte data key per compartment it uses,
/// sealed to that compartment's current public key; each field is XChaCha20-Poly1305 under its
/// compartment's data key with associated data `vault id (32) ‖ lp(kind) ‖ lp(record id) ‖ lp(field)`.
public enum RecordCodec {
    /// A field value: text or a list of texts (stored as a JSON array).
    public enum Value: Equatable, Sendable {
        case text(String)
        case list([String])

        var bytes: [UInt8] {
            switch self {
            case let .text(text): return Array(text.utf8)
            case let .list(items):
                let data = (try? JSONSerialization.data(withJSONObject: items, options: [.sortedKeys])) ?? Data("[]".utf8)
                return Array(data)
            }
        }

        static func decode(_ bytes: [UInt8], isList: Bool) throws -> Value {
            guard let text = String(validating: bytes, as: UTF8.self) else { throw VaultError.integrity("a field is not UTF-8") }
            guard isList else { return .text(text) }
            guard let items = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String] else {
                throw VaultError.integrity("a list field is malformed")
            }
            return .list(items)
        }

        /// The value as display text (lists joined by ", ").
        public var displayText: String {
            switch self {
            case let .text(text): return text
            case let .list(items): return items.joined(separator: ", ")
            }
        }
    }

    static func associatedData(vaultID: [UInt8], kind: RecordType, recordID: String, field: String) -> [UInt8] {
        var ad = vaultID
        ad.appendLengthPrefixed(kind.rawValue)
        ad.appendLengthPrefixed(recordID)
        ad.appendLengthPrefixed(field)
        return ad
    }

    /// Writes a new record: its row, one sealed data key per compartment used, and its encrypted fields.
    /// Only public keys are needed (write-only sealing).
    /// - Throws: `StoreError.duplicate` if the record exists; database errors.
    /// - Parameter presetKeys: data keys chosen by the caller for some compartments (an item's media data key,
    ///   from which its blob key is derived); others are random.
    public static func insert(kind: RecordType, id: String, fields: [String: Value], vaultID: [UInt8],
                              state: GovernanceState, createdAt: Int64, presetKeys: [Compartment: SecretBox] = [:],
                              db: Database) throws {
        if try RecordRow.fetchOne(db, key: ["kind": kind.rawValue, "id": id]) != nil {
            throw StoreError.duplicate(kind.rawValue, id)
        }
        try RecordRow(kind: kind.rawValue, id: id, createdAt: createdAt).insert(db)
        try write(kind: kind, id: id, fields: fields, vaultID: vaultID, state: state, presetKeys: presetKeys, db: db)
    }

    /// A record's data key for `compartment`, opened with the member's compartment key.
    /// - Throws: `VaultError.notPermitted` without the compartment key; `VaultError.integrity` if it does not open.
    public static func dataKey(kind: RecordType, id: String, compartment: Compartment, keyRing: KeyRing, db: Database) throws -> SecretBox {
        guard let row = try RecordKeyRow.fetchOne(db, key: ["kind": kind.rawValue, "recordID": id, "compartment": compartment.rawValue]) else {
            throw VaultError.integrity("\(kind.rawValue) \(id) has no \(compartment.rawValue) data key")
        }
        let secret = try keyRing.key("secret", of: compartment, generation: row.generation, db: db)
        guard let compartmentRow = try CompartmentRow.fetchOne(db, key: ["name": row.compartment, "generation": row.generation]) else {
            throw VaultError.integrity("compartment key \(row.compartment)/\(row.generation) is missing")
        }
        do {
            return SecretBox(try SealedBox.open(Array(row.sealedKey), publicKey: Array(compartmentRow.publicKey), secretKey: secret.bytes))
        } catch {
            throw VaultError.integrity("the \(compartment.rawValue) data key of \(kind.rawValue) \(id) does not open")
        }
    }

    /// Seals `fields` into an existing record, creating data keys for compartments it does not have yet.
    static func write(kind: RecordType, id: String, fields: [String: Value], vaultID: [UInt8],
                      state: GovernanceState, presetKeys: [Compartment: SecretBox] = [:], db: Database) throws {
        let specs = RecordSchema.fields(of: kind)
        var dataKeys: [Compartment: SecretBox] = [:]
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            guard let spec = specs.first(where: { $0.name == name }) else {
                throw VaultError.invalidInput(kind.rawValue + " " + id, "unknown field \(name)")
            }
            if dataKeys[spec.compartment] == nil {
                if state.rotationPending(spec.compartment) { throw VaultError.rotationPending(spec.compartment.rawValue) }
                let generation = state.currentGeneration(spec.compartment)
                guard let publicKey = state.publicKey(spec.compartment, generation: generation) else {
                    throw VaultError.integrity("the \(spec.compartment.rawValue) compartment key is missing")
                }
                if let existing = try RecordKeyRow.fetchOne(db, key: ["kind": kind.rawValue, "recordID": id, "compartment": spec.compartment.rawValue]) {
                    _ = existing
                    throw VaultError.failed("\(kind.rawValue) \(id) already has \(spec.compartment.rawValue) fields; updating sealed records is not supported")
                }
                let key = presetKeys[spec.compartment] ?? SecretBox(SecretBytes.random(count: 32))
                try RecordKeyRow(kind: kind.rawValue, recordID: id, compartment: spec.compartment.rawValue, generation: generation,
                                 sealedKey: Data(SealedBox.seal(key.bytes, to: publicKey))).insert(db)
                dataKeys[spec.compartment] = key
            }
            var plaintext = value.bytes
            defer { wipe(&plaintext) }
            let sealed = try XChaCha20Poly1305.seal(plaintext, key: dataKeys[spec.compartment]!.bytes,
                                                    associatedData: associatedData(vaultID: vaultID, kind: kind, recordID: id, field: name))
            try RecordFieldRow(kind: kind.rawValue, recordID: id, field: name, compartment: spec.compartment.rawValue, ciphertext: Data(sealed)).insert(db)
        }
    }

    /// The result of reading a record: the fields the member could open, and the names of those withheld.
    public struct Opened: Sendable {
        public var id: String
        public var fields: [String: Value]
        public var withheld: [String]
    }

    /// Opens every field of a record the member holds the compartment key for.
    /// - Throws: `VaultError.notFound`; `VaultError.integrity` when a field or key does not authenticate.
    public static func open(kind: RecordType, id: String, vaultID: [UInt8], keyRing: KeyRing, db: Database) throws -> Opened {
        guard try RecordRow.fetchOne(db, key: ["kind": kind.rawValue, "id": id]) != nil else {
            throw VaultError.notFound(kind.rawValue, id)
        }
        let keyRows = try RecordKeyRow.filter(Column("kind") == kind.rawValue && Column("recordID") == id).fetchAll(db)
        var dataKeys: [String: SecretBox] = [:]
        for row in keyRows {
            guard let compartment = Compartment(rawValue: row.compartment) else { continue }
            guard let secret = try? keyRing.key("secret", of: compartment, generation: row.generation, db: db) else { continue }
            guard let compartmentRow = try CompartmentRow.fetchOne(db, key: ["name": row.compartment, "generation": row.generation]) else {
                throw VaultError.integrity("compartment key \(row.compartment)/\(row.generation) is missing")
            }
            do {
                dataKeys[row.compartment] = SecretBox(try SealedBox.open(Array(row.sealedKey), publicKey: Array(compartmentRow.publicKey), secretKey: secret.bytes))
            } catch {
                throw VaultError.integrity("the \(row.compartment) data key of \(kind.rawValue) \(id) does not open")
            }
        }
        let specs = RecordSchema.fields(of: kind)
        var opened = Opened(id: id, fields: [:], withheld: [])
        for row in try RecordFieldRow.filter(Column("kind") == kind.rawValue && Column("recordID") == id).order(Column("field")).fetchAll(db) {
            guard let key = dataKeys[row.compartment] else {
                opened.withheld.append(row.field)
                continue
            }
            let plain: SecretBytes
            do {
                plain = try XChaCha20Poly1305.open(Array(row.ciphertext), key: key.bytes,
                                                   associatedData: associatedData(vaultID: vaultID, kind: kind, recordID: id, field: row.field))
            } catch {
                throw VaultError.integrity("field \(row.field) of \(kind.rawValue) \(id) does not authenticate")
            }
            let isList = specs.first { $0.name == row.field }?.isList ?? false
            opened.fields[row.field] = try Value.decode(plain.unprotectedCopy(), isList: isList)
        }
        return opened
    }
}
