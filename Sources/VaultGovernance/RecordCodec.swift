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

        /// The plaintext that is sealed: UTF-8 text, or a JSON array of texts with sorted keys.
        public var bytes: [UInt8] {
            switch self {
            case let .text(text): return Array(text.utf8)
            case let .list(items):
                let data = (try? JSONSerialization.data(withJSONObject: items, options: [.sortedKeys])) ?? Data("[]".utf8)
                return Array(data)
            }
        }

        /// What is sealed since issue 15, so that a ciphertext's length says only a bucket of the value's
        /// length: 0x01 ‖ length (4 bytes, big-endian) ‖ `bytes` ‖ zeros, to a multiple of 64 bytes up to 256,
        /// and to the Padmé length above. (A value of the first release is `bytes` alone; its first byte is
        /// never 0x01, since record text refuses control characters and a list starts with `[`.)
        public var paddedBytes: [UInt8] {
            var raw = bytes
            defer { wipe(&raw) }   // plaintext: only the padded copy, which the caller wipes, outlives this
            let needed = 5 + raw.count
            let total = needed <= 256 ? (needed + 63) / 64 * 64 : Int(Padme.paddedLength(UInt64(needed)))
            let length = UInt32(raw.count)
            var out: [UInt8] = [0x01, UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)]
            out += raw
            out += [UInt8](repeating: 0, count: total - out.count)
            return out
        }

        /// The value from opened plaintext, padded (`paddedBytes`) or not.
        /// - Throws: `VaultError.integrity` when it is not UTF-8, a list is not a JSON array of texts, or the
        ///   padding is malformed.
        public static func decode(_ plaintext: [UInt8], isList: Bool) throws -> Value {
            var bytes = plaintext
            if plaintext.first == 0x01 {
                guard plaintext.count >= 5 else { throw VaultError.integrity("a padded field is truncated") }
                let length = plaintext[1..<5].reduce(0) { $0 << 8 | Int($1) }
                guard length <= plaintext.count - 5, plaintext[(5 + length)...].allSatisfy({ $0 == 0 }) else {
                    throw VaultError.integrity("a padded field is malformed")
                }
                bytes = Array(plaintext[5..<(5 + length)])
            }
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

    static func associatedData(vaultID: [UInt8], kind: RecordKind, recordID: String, field: String) -> [UInt8] {
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
    /// - Parameter signer: the member who writes the record; they sign each compartment's fields (see
    ///   `signatureMessage`), and readers check that the signer was allowed to write them.
    public static func insert(kind: RecordKind, id: String, fields: [String: Value], vaultID: [UInt8],
                              state: GovernanceState, createdAt: Int64, presetKeys: [Compartment: SecretBox] = [:],
                              signer: IdentityBox, db: Database) throws {
        if try RecordRow.find(kind: kind.rawValue, id: id, db) != nil {
            throw StoreError.duplicate(kind.rawValue, id)
        }
        try RecordRow(kind: kind.rawValue, id: id, createdAt: createdAt).insert(db)
        var signed = fields
        for (compartment, names) in Dictionary(grouping: fields.keys, by: { name in
            kind.storedFields.first { $0.name == name }?.compartment ?? .media
        }) {
            let message = signatureMessage(vaultID: vaultID, kind: kind, id: id, compartment: compartment,
                                           fields: names.reduce(into: [:]) { $0[$1] = fields[$1]! })
            let signature = try signer.sign(message, context: recordContext)
            signed[signatureField(compartment)] = .text(signer.keyIDHex + ":" + Hex.encode(signature))
        }
        try write(kind: kind, id: id, fields: signed, vaultID: vaultID, state: state, presetKeys: presetKeys, db: db)
    }

    /// Signing context of record signatures.
    public static let recordContext = SigningContext(purpose: "record")

    /// The name of the (sealed) field that holds the writer's signature over a compartment's fields.
    public static func signatureField(_ compartment: Compartment) -> String { "_signature." + compartment.rawValue }

    /// What the writer of a record signs for one compartment: vault id ‖ lp(kind) ‖ lp(record id) ‖
    /// lp(compartment) ‖ count ‖ (lp(field) ‖ lp(value bytes)) for its fields in name order. The signature
    /// is sealed in the same compartment, so it reveals nothing, and survives rotations (which keep plaintext).
    static func signatureMessage(vaultID: [UInt8], kind: RecordKind, id: String, compartment: Compartment, fields: [String: Value]) -> [UInt8] {
        var message = vaultID
        message.appendLengthPrefixed(kind.rawValue)
        message.appendLengthPrefixed(id)
        message.appendLengthPrefixed(compartment.rawValue)
        message.appendCount(fields.count)
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            message.appendLengthPrefixed(name)
            message.appendLengthPrefixed(value.bytes)
        }
        return message
    }

    /// A record's data key for `compartment`, opened with the member's compartment key.
    /// - Throws: `VaultError.notPermitted` without the compartment key; `VaultError.integrity` if it does not open.
    public static func dataKey(kind: RecordKind, id: String, compartment: Compartment, keyRing: KeyRing, db: Database) throws -> SecretBox {
        guard let row = try RecordKeyRow.find(kind: kind.rawValue, recordID: id, compartment: compartment.rawValue, db) else {
            throw VaultError.integrity("\(kind.rawValue) \(id) has no \(compartment.rawValue) data key")
        }
        let secret = try keyRing.key("secret", of: compartment, generation: row.generation, db: db)
        guard let compartmentRow = try CompartmentRow.find(name: row.compartment, generation: row.generation, db) else {
            throw VaultError.integrity("compartment key \(row.compartment)/\(row.generation) is missing")
        }
        do {
            return SecretBox(try SealedBox.open(Array(row.sealedKey), publicKey: Array(compartmentRow.publicKey), secretKey: secret.bytes))
        } catch {
            throw VaultError.integrity("the \(compartment.rawValue) data key of \(kind.rawValue) \(id) does not open")
        }
    }

    /// Seals `fields` into an existing record, creating data keys for compartments it does not have yet.
    public static func write(kind: RecordKind, id: String, fields: [String: Value], vaultID: [UInt8],
                      state: GovernanceState, presetKeys: [Compartment: SecretBox] = [:], db: Database) throws {
        let specs = kind.storedFields
        var dataKeys: [Compartment: SecretBox] = [:]
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            let signatureCompartment = Compartment.allCases.first { signatureField($0) == name }
            guard let spec = specs.first(where: { $0.name == name }) ?? signatureCompartment.map({ FieldSpec(name, $0) }) else {
                throw VaultError.invalidInput(kind.rawValue + " " + id, "unknown field \(name)")
            }
            if dataKeys[spec.compartment] == nil {
                if state.rotationPending(spec.compartment) { throw VaultError.rotationPending(spec.compartment.rawValue) }
                let generation = state.currentGeneration(spec.compartment)
                guard let publicKey = state.publicKey(spec.compartment, generation: generation) else {
                    throw VaultError.integrity("the \(spec.compartment.rawValue) compartment key is missing")
                }
                if let existing = try RecordKeyRow.find(kind: kind.rawValue, recordID: id, compartment: spec.compartment.rawValue, db) {
                    _ = existing
                    throw VaultError.failed("\(kind.rawValue) \(id) already has \(spec.compartment.rawValue) fields; updating sealed records is not supported")
                }
                let key = presetKeys[spec.compartment] ?? SecretBox(SecretBytes.random(count: 32))
                try RecordKeyRow(kind: kind.rawValue, recordID: id, compartment: spec.compartment.rawValue, generation: generation,
                                 sealedKey: Data(SealedBox.seal(key.bytes, to: publicKey))).insert(db)
                dataKeys[spec.compartment] = key
            }
            try sealField(kind: kind, id: id, field: name, compartment: spec.compartment, value: value, key: dataKeys[spec.compartment]!, vaultID: vaultID, db: db)
        }
    }

    /// Seals one field's value (padded) with a record's data key into a new `recordField` row.
    static func sealField(kind: RecordKind, id: String, field: String, compartment: Compartment, value: Value, key: SecretBox,
                          vaultID: [UInt8], db: Database) throws {
        var plaintext = value.paddedBytes
        defer { wipe(&plaintext) }
        let sealed = try XChaCha20Poly1305.seal(plaintext, key: key.bytes, associatedData: associatedData(vaultID: vaultID, kind: kind, recordID: id, field: field))
        try RecordFieldRow(kind: kind.rawValue, recordID: id, field: field, compartment: compartment.rawValue, ciphertext: Data(sealed)).insert(db)
    }

    /// Replaces every field of one compartment of an existing record with `fields` (the compartment's whole
    /// content after an update), signed anew by `signer` (`signatureMessage`), so that the signature again
    /// covers exactly what the compartment holds. The record keeps its data key for the compartment; one is
    /// made (sealed to the compartment's current public key) when it had none. Empty `fields` leaves the
    /// compartment without fields. The caller checks that `signer` may write them.
    /// - Throws: `VaultError.rotationPending` while the compartment awaits re-encryption; `VaultError.integrity`
    ///   or `.notPermitted` when the data key does not open for `keyRing`; `VaultError.invalidInput` for a field
    ///   of another compartment; database errors.
    public static func rewrite(kind: RecordKind, id: String, compartment: Compartment, fields: [String: Value], vaultID: [UInt8],
                               state: GovernanceState, signer: IdentityBox, keyRing: KeyRing, db: Database) throws {
        for name in fields.keys where kind.storedFields.first(where: { $0.name == name })?.compartment != compartment {
            throw VaultError.invalidInput(kind.rawValue + " " + id, "field \(name) is not in the \(compartment.rawValue) compartment")
        }
        if state.rotationPending(compartment) { throw VaultError.rotationPending(compartment.rawValue) }
        try RecordFieldRow.deleteAll(kind: kind.rawValue, recordID: id, compartment: compartment.rawValue, db)
        guard !fields.isEmpty else { return }
        let key: SecretBox
        if try RecordKeyRow.find(kind: kind.rawValue, recordID: id, compartment: compartment.rawValue, db) != nil {
            key = try dataKey(kind: kind, id: id, compartment: compartment, keyRing: keyRing, db: db)
        } else {
            let generation = state.currentGeneration(compartment)
            guard let publicKey = state.publicKey(compartment, generation: generation) else {
                throw VaultError.integrity("the \(compartment.rawValue) compartment key is missing")
            }
            key = SecretBox(SecretBytes.random(count: 32))
            try RecordKeyRow(kind: kind.rawValue, recordID: id, compartment: compartment.rawValue, generation: generation,
                             sealedKey: Data(SealedBox.seal(key.bytes, to: publicKey))).insert(db)
        }
        let message = signatureMessage(vaultID: vaultID, kind: kind, id: id, compartment: compartment, fields: fields)
        let signature = try signer.sign(message, context: recordContext)
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            try sealField(kind: kind, id: id, field: name, compartment: compartment, value: value, key: key, vaultID: vaultID, db: db)
        }
        try sealField(kind: kind, id: id, field: signatureField(compartment), compartment: compartment,
                      value: .text(signer.keyIDHex + ":" + Hex.encode(signature)), key: key, vaultID: vaultID, db: db)
    }

    /// Opens one sealed field value with a record's data key, nil when it does not authenticate.
    public static func openField(_ ciphertext: [UInt8], kind: RecordKind, id: String, field: String, key: SecretBox, vaultID: [UInt8]) -> Value? {
        guard let plain = try? XChaCha20Poly1305.open(ciphertext, key: key.bytes, associatedData: associatedData(vaultID: vaultID, kind: kind, recordID: id, field: field)) else {
            return nil
        }
        let isList = kind.storedFields.first { $0.name == field }?.isList ?? false
        return try? Value.decode(plain.unprotectedCopy(), isList: isList)
    }

    /// The result of reading a record: the fields the member could open, and the names of those withheld.
    public struct Opened: Sendable {
        public var id: String
        public var fields: [String: Value]
        public var withheld: [String]
        /// The writers' signature fields (kept so that re-encryption can carry them over unchanged).
        public var signatures: [String: Value] = [:]
        /// Who wrote each opened compartment's fields (key id hex).
        public var writers: [Compartment: String] = [:]
    }

    /// Opens every field of a record the member holds the compartment key for.
    /// - Throws: `VaultError.notFound`; `VaultError.integrity` when a field or key does not authenticate.
    public static func open(kind: RecordKind, id: String, vaultID: [UInt8], keyRing: KeyRing, db: Database) throws -> Opened {
        guard try RecordRow.find(kind: kind.rawValue, id: id, db) != nil else {
            throw VaultError.notFound(kind.rawValue, id)
        }
        let keyRows = try RecordKeyRow.all(kind: kind.rawValue, recordID: id, db)
        var dataKeys: [String: SecretBox] = [:]
        for row in keyRows {
            guard let compartment = Compartment(rawValue: row.compartment) else { continue }
            let secret: SecretBox
            do { secret = try keyRing.key("secret", of: compartment, generation: row.generation, db: db) } catch is VaultError {
                continue   // not held by this member (or not opening for them): that compartment's fields are withheld
            }
            guard let compartmentRow = try CompartmentRow.find(name: row.compartment, generation: row.generation, db) else {
                throw VaultError.integrity("compartment key \(row.compartment)/\(row.generation) is missing")
            }
            do {
                dataKeys[row.compartment] = SecretBox(try SealedBox.open(Array(row.sealedKey), publicKey: Array(compartmentRow.publicKey), secretKey: secret.bytes))
            } catch {
                throw VaultError.integrity("the \(row.compartment) data key of \(kind.rawValue) \(id) does not open")
            }
        }
        let specs = kind.storedFields
        var opened = Opened(id: id, fields: [:], withheld: [])
        for row in try RecordFieldRow.all(kind: kind.rawValue, recordID: id, db) {
            guard let key = dataKeys[row.compartment] else {
                if !row.field.hasPrefix("_signature.") { opened.withheld.append(row.field) }
                continue
            }
            let plain: SecretBytes
            do {
                plain = try XChaCha20Poly1305.open(Array(row.ciphertext), key: key.bytes,
                                                   associatedData: associatedData(vaultID: vaultID, kind: kind, recordID: id, field: row.field))
            } catch {
                throw VaultError.integrity("field \(row.field) of \(kind.rawValue) \(id) does not authenticate")
            }
            if row.field.hasPrefix("_signature.") {
                opened.signatures[row.field] = try Value.decode(plain.unprotectedCopy(), isList: false)
                continue
            }
            let isList = specs.first { $0.name == row.field }?.isList ?? false
            opened.fields[row.field] = try Value.decode(plain.unprotectedCopy(), isList: isList)
        }
        // Each opened compartment's fields must carry the signature of a member allowed to write them.
        for compartment in Compartment.allCases {
            let names = opened.fields.keys.filter { name in specs.first { $0.name == name }?.compartment == compartment }
            guard !names.isEmpty else { continue }
            guard case let .text(text)? = opened.signatures[signatureField(compartment)],
                  let colon = text.firstIndex(of: ":"),
                  let signature = try? Hex.decode(text[text.index(after: colon)...]) else {
                throw VaultError.integrity("the \(compartment.rawValue) fields of \(kind.rawValue) \(id) are not signed by their writer")
            }
            let writer = String(text[..<colon])
            let message = signatureMessage(vaultID: vaultID, kind: kind, id: id, compartment: compartment,
                                           fields: names.reduce(into: [:]) { $0[$1] = opened.fields[$1]! })
            guard let state = keyRing.stateProvider?(), let key = state.knownKeys[writer],
                  key.verify(signature, message: message, context: recordContext) else {
                throw VaultError.integrity("the \(compartment.rawValue) fields of \(kind.rawValue) \(id) do not carry a valid signature of a member")
            }
            if let check = keyRing.recordWriterCheck {
                try check(kind, id, compartment, writer, Set(names), db)
            } else if !mayWrite(writer: writer, kind: kind, compartment: compartment, fields: Set(names), state: state) {
                throw VaultError.integrity("the \(compartment.rawValue) fields of \(kind.rawValue) \(id) were written by \(writer), whose role may not write them")
            }
            opened.writers[compartment] = writer
        }
        return opened
    }

    /// Whether a member who ever held one of `writer`'s roles may write these fields under the active policy
    /// (the check for records whose write event names no governance position: the first release's):
    /// `ingest` into the compartment (`annotate` for regions), and `record-consent` for a witness's consent
    /// and protective measures and for a family's identification claim.
    public static func mayWrite(writer: String, kind: RecordKind, compartment: Compartment, fields: Set<String>, state: GovernanceState) -> Bool {
        mayWrite(writer: writer, roles: state.everRoles[writer] ?? [], kind: kind, compartment: compartment, fields: fields, policy: state.policy)
    }

    /// Whether a member holding one of `roles` may write these fields under `policy` (as `mayWrite` above).
    public static func mayWrite(writer: String, roles: Set<Role>, kind: RecordKind, compartment: Compartment, fields: Set<String>,
                                policy: Policy) -> Bool {
        // The removal of a region that shows a named witness (it can unmask their face) is the protection
        // officer's: a role that may record consent, instead of one that marks regions.
        let witnessRegionRemoved = kind == .region && fields.contains("witness") && fields.contains("removedReason")
        for role in roles {
            let subject = Subject(keyID: writer, role: role)
            if witnessRegionRemoved {
                if policy.decide(subject, .recordConsent, Resource(compartments: [.case], label: "region record")).isPermit { return true }
                continue
            }
            let action: Action = kind == .region ? .annotate : .ingest
            guard policy.decide(subject, action, Resource(compartments: [compartment], label: "\(kind.rawValue) record")).isPermit else { continue }
            // Consent and protective measures, and a family's claim: a role that may record consent.
            if kind == .identification || (kind == .witness && !fields.isDisjoint(with: ["consent", "protectiveMeasures"])) {
                guard policy.decide(subject, .recordConsent, Resource(compartments: [.case], label: "witness record")).isPermit else { continue }
            }
            return true
        }
        return false
    }
}
