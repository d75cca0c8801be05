import Foundation
import GRDB
import VaultAudit
import VaultCrypto
import VaultGovernance
import VaultPlatform
import VaultPolicy
import VaultStore

/// A family's identification of a detainee, as recorded (`identification add`) and decided since.
public struct IdentificationClaim: Sendable, Codable, Equatable {
    public var id: String
    public var caseID: String
    /// The witness (pseudonym) who identified: usually a relative, with a witness record and its consent.
    public var identifiedBy: String
    /// The name they gave, their relationship, how (items shown, in which session), how sure, and notes.
    public var name: String
    public var relationship: String?
    public var items: [String]
    public var session: String?
    public var confidence: String?
    public var notes: String?
    /// When and by whom (key id hex) it was recorded: the signer of its `identification.add` event.
    public var recordedAt: String
    public var recordedBy: String
    /// `open`, `confirmed` or `withdrawn`; the withdrawal's reason; when; and by whom it was decided.
    public var status: String
    public var statusReason: String?
    public var statusAt: String?
    public var decidedBy: String?
}

/// What `identification add` takes: the claim's fields (`identifiedBy` and `name` required).
public struct IdentificationInput: Sendable {
    public var identifiedBy: String
    public var name: String
    public var relationship: String?
    public var items: [String] = []
    public var session: String?
    public var confidence: String?
    public var notes: String?

    public init(identifiedBy: String, name: String, relationship: String? = nil, items: [String] = [], session: String? = nil,
                confidence: String? = nil, notes: String? = nil) {
        self.identifiedBy = identifiedBy; self.name = name; self.relationship = relationship; self.items = items
        self.session = session; self.confidence = confidence; self.notes = notes
    }

    /// The fields an input file may hold.
    public static let fields = ["identifiedBy", "name", "relationship", "items", "session", "confidence", "notes"]
    /// The confidence levels.
    public static let confidences = ["low", "medium", "high"]
}

extension Session {
    /// Records a family's claim about case `caseID`, sealed whole in the identity compartment (the case it
    /// names too, so that a seized database does not tell which cases families came forward for). Needs a
    /// role that may write identity fields (a protection officer). Audited as `identification.add` naming
    /// only the claim.
    /// - Returns: the claim's id (`ID-` and 10 hex digits).
    /// - Throws: `VaultError.notFound` for an unknown case, witness or item; `VaultError.invalidInput` naming the
    ///   field (an item of another case, an unknown confidence, a witness who withdrew consent, an empty
    ///   name); `VaultError.notPermitted`; database errors.
    public func addIdentification(caseID: String, _ input: IdentificationInput) throws -> String {
        let name = input.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw VaultError.invalidInput("name", "is empty") }
        if let confidence = input.confidence, !IdentificationInput.confidences.contains(confidence) {
            throw VaultError.invalidInput("confidence", "\(confidence) is not one of \(IdentificationInput.confidences.joined(separator: ", "))")
        }
        for text in [input.identifiedBy, name, input.relationship ?? "", input.session ?? "", input.notes ?? ""] + input.items {
            if let problem = RecordInputParser.valueProblem(text) { throw VaultError.invalidInput("identification", problem) }
        }
        if vault.state.consentWithdrawn.contains(input.identifiedBy) {
            throw VaultError.invalidInput("identifiedBy", "witness \(input.identifiedBy) withdrew their consent: nothing new is recorded about them")
        }
        try requireIdentificationRole(caseID)
        return try write { db in
            guard try RecordRow.find(kind: "case", id: caseID, db) != nil else { throw VaultError.notFound("case", caseID) }
            guard try RecordRow.find(kind: "witness", id: input.identifiedBy, db) != nil else { throw VaultError.notFound("witness", input.identifiedBy) }
            for item in input.items {
                guard let row = try ItemRow.fetchOne(db, key: item) else { throw VaultError.notFound("item", item) }
                guard row.caseID == caseID else { throw VaultError.invalidInput("items", "\(item) is an item of case \(row.caseID), not of \(caseID)") }
            }
            let id = "ID-" + Hex.encode(Random.bytes(5))
            var fields: [String: RecordCodec.Value] = ["caseID": .text(caseID), "identifiedBy": .text(input.identifiedBy), "name": .text(name),
                                                       "items": .list(input.items), "status": .text("open"),
                                                       "recordedAt": .text(Clock.format(milliseconds: Clock.nowMilliseconds()))]
            for (field, value) in [("relationship", input.relationship), ("session", input.session), ("confidence", input.confidence), ("notes", input.notes)] {
                if let value, !value.isEmpty { fields[field] = .text(value) }
            }
            try RecordCodec.insert(kind: .identification, id: id, fields: fields, vaultID: vault.vaultID, state: vault.state,
                                   createdAt: Clock.nowMilliseconds(), signer: identity, db: db)
            try audit(db, action: "identification.add", objects: [id])
            return id
        }
    }

    /// The claims recorded about case `caseID`, oldest first, side by side whatever their status. Needs the
    /// identity key and a role that may view identity fields. Audited as `identification.list`.
    /// - Throws: `VaultError.notFound` for an unknown case; `VaultError.notPermitted`; database errors.
    public func identifications(caseID: String) throws -> [IdentificationClaim] {
        try require(.view, Resource(compartments: [.identity], label: "identifications of case \(caseID)", caseID: caseID))
        return try write { db in
            guard try RecordRow.find(kind: "case", id: caseID, db) != nil else { throw VaultError.notFound("case", caseID) }
            let claims = try claims(db).filter { $0.caseID == caseID }
            try audit(db, action: "identification.list", objects: [caseID] + claims.map(\.id))
            return claims
        }
    }

    /// Every claim this member's keys open, with who recorded and who decided each (from the signed log).
    func claims(_ db: Database) throws -> [IdentificationClaim] {
        var recorders: [String: String] = [:], deciders: [String: String] = [:]
        for event in try AuditLog.events(db, actions: ["identification."]) {
            guard let id = event.objects.first, let key = vault.state.knownKeys[Hex.encode(event.actor)], event.verifySignature(publicKey: key) else { continue }
            if event.action == "identification.add" { recorders[id] = Hex.encode(event.actor) }
            if event.action == "identification.confirm" || event.action == "identification.withdraw" { deciders[id] = Hex.encode(event.actor) }
        }
        var claims: [IdentificationClaim] = []
        for id in try RecordRow.ids(kind: RecordKind.identification.rawValue, db) {
            let record = try RecordCodec.open(kind: .identification, id: id, vaultID: vault.vaultID, keyRing: keyRing, db: db)
            func text(_ name: String) -> String? { record.fields[name]?.displayText }
            guard let caseID = text("caseID"), let by = text("identifiedBy"), let name = text("name") else {
                throw VaultError.notPermitted("you hold no identity key to open identification \(id)")
            }
            var items: [String] = []
            if case let .list(list)? = record.fields["items"] { items = list }
            claims.append(IdentificationClaim(id: id, caseID: caseID, identifiedBy: by, name: name, relationship: text("relationship"), items: items,
                                              session: text("session"), confidence: text("confidence"), notes: text("notes"),
                                              recordedAt: text("recordedAt") ?? "", recordedBy: recorders[id] ?? "", status: text("status") ?? "open",
                                              statusReason: text("statusReason"), statusAt: text("statusAt"), decidedBy: deciders[id]))
        }
        return claims.sorted { ($0.recordedAt, $0.id) < ($1.recordedAt, $1.id) }
    }

    /// Confirms claim `claimID` about case `caseID`: a second member (not the one who recorded it) whose role
    /// may write identity fields sets the claim to confirmed (`identification.confirm`) and the case's
    /// `identificationStatus` (confirmed), `identifiedName` and `identifiedBy` through a `case.update`, in one
    /// transaction. Other claims about the case stay as they are, side by side.
    /// - Throws: `VaultError.notFound`; `VaultError.invalidInput` for a claim not open or of another case;
    ///   `VaultError.notPermitted` for the member who recorded it, or a role that may not; database errors.
    public func confirmIdentification(caseID: String, claimID: String) throws {
        try requireIdentificationRole(caseID)
        try write { db in
            let claim = try claim(claimID, of: caseID, db)
            guard claim.status == "open" else { throw VaultError.invalidInput("identification \(claimID)", "is \(claim.status), not open") }
            guard claim.recordedBy != identity.keyIDHex else {
                throw VaultError.notPermitted("identification \(claimID) was recorded by you: a second person confirms it")
            }
            try setStatus(claimID, "confirmed", reason: nil, db)
            try audit(db, action: "identification.confirm", objects: [claimID])
            let update = RecordInput(label: "identification \(claimID)", id: caseID,
                                     fields: ["identificationStatus": .text("confirmed"), "identifiedName": .text(claim.name), "identifiedBy": .text(claim.identifiedBy)])
            _ = try updateRecord(kind: .case, input: update, identification: true, db: db)
        }
    }

    /// Records that the family withdrew claim `claimID` (`identification.withdraw`, with the reason sealed in
    /// the claim); when it was the confirmed one, the case's identification is withdrawn with it
    /// (`identificationStatus` withdrawn, `identifiedName` and `identifiedBy` cleared, a `case.update`).
    /// - Throws: `VaultError.notFound`; `VaultError.invalidInput` for a claim withdrawn already or an empty
    ///   reason; `VaultError.notPermitted`; database errors.
    public func withdrawIdentification(caseID: String, claimID: String, reason: String) throws {
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw VaultError.invalidInput("--reason", "a withdrawal is recorded with its reason") }
        if let problem = RecordInputParser.valueProblem(trimmed) { throw VaultError.invalidInput("--reason", problem) }
        try requireIdentificationRole(caseID)
        try write { db in
            let claim = try claim(claimID, of: caseID, db)
            guard claim.status != "withdrawn" else { throw VaultError.invalidInput("identification \(claimID)", "was withdrawn already") }
            try setStatus(claimID, "withdrawn", reason: trimmed, db)
            try audit(db, action: "identification.withdraw", objects: [claimID])
            if claim.status == "confirmed" {
                let update = RecordInput(label: "identification \(claimID)", id: caseID, fields: ["identificationStatus": .text("withdrawn")],
                                         cleared: ["identifiedName", "identifiedBy"])
                _ = try updateRecord(kind: .case, input: update, identification: true, db: db)
            }
        }
    }

    /// Claims are recorded, confirmed and withdrawn by a role the policy lets record consent (a protection
    /// officer by default) that may also write identity fields.
    private func requireIdentificationRole(_ caseID: String) throws {
        try require(.recordConsent, Resource(compartments: [.case], label: "identifications of case \(caseID)", caseID: caseID))
        try require(.ingest, Resource(compartments: [.identity], label: "identifications of case \(caseID)", caseID: caseID))
    }

    private func claim(_ claimID: String, of caseID: String, _ db: Database) throws -> IdentificationClaim {
        guard try RecordRow.find(kind: RecordKind.identification.rawValue, id: claimID, db) != nil,
              let claim = try claims(db).first(where: { $0.id == claimID }) else { throw VaultError.notFound("identification", claimID) }
        guard claim.caseID == caseID else { throw VaultError.invalidInput("identification \(claimID)", "is a claim about another case") }
        return claim
    }

    private func setStatus(_ claimID: String, _ status: String, reason: String?, _ db: Database) throws {
        var fields = try RecordCodec.open(kind: .identification, id: claimID, vaultID: vault.vaultID, keyRing: keyRing, db: db).fields
        fields["status"] = .text(status)
        fields["statusAt"] = .text(Clock.format(milliseconds: Clock.nowMilliseconds()))
        fields["statusReason"] = reason.map { .text($0) }
        try RecordCodec.rewrite(kind: .identification, id: claimID, compartment: .identity, fields: fields, vaultID: vault.vaultID,
                                state: vault.state, signer: identity, keyRing: keyRing, db: db)
    }
}
