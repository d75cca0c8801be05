import Vault
import VaultDisclosure
internal import VaultPlatform
internal import Foundation
internal import GRDB
internal import VaultAudit
internal import VaultCrypto
internal import VaultImaging
internal import VaultPolicy
internal import VaultStore
import VaultGovernance

/// One item of a release as computed now: the plan entry, the redacted record (without its production
/// number), the redaction log, and how to produce the released file again.
struct ReleasedItem {
    var plan: ReleasePlan.Item
    var record: [String: Any]
    var redactions: [BundleManifest.Redaction]
    /// The request that makes this item's derivative again (nil for an original, streamed from its blob).
    var derivativeRequest: DerivativeRequest?
    var blobID: String
    var blobKey: SecretBox
    var commitment: BundleManifest.CommitmentOpening?
    /// Only in a preview: why the policy would refuse this release (nil when it permits it).
    var refusal: String? = nil
}

extension Session {
    /// The facts of the witnesses shown in the regions left unmasked (ids in `unmasked`: a derivative that
    /// unmasks a consenting witness's face, or an original, which masks nothing): the release reveals who
    /// they are. Each witness once, in region order.
    static func shownWitnesses(unmasked: Set<String>, regions: [RegionView], shown: [String: WitnessFacts]) -> [WitnessFacts] {
        var result: [WitnessFacts] = []
        for region in regions where unmasked.contains(region.id) {
            if let witness = region.witness, let facts = shown[witness], !result.contains(where: { $0.pseudonym == witness }) { result.append(facts) }
        }
        return result
    }

    /// Computes what releasing `itemIDs` to `recipient` under `profile` means now: per item the file released
    /// (a fresh derivative with the profile's regions masked, or the original), its hash, its redacted record.
    /// Checks the policy lets `requester` (this member) disclose each item. Calls `step` after each item.
    /// - Throws: `VaultError.notPermitted` (policy), `VaultError.invalidInput` (unknown recipient, profile,
    ///   item; an item that cannot be released under the profile), imaging errors naming the item.
    func computeRelease(recipient: String, profile: String, itemIDs: [String], basis: String,
                        derivatives: any DerivativeMaking, action: Action, approvals: [VaultPolicy.Approval] = [],
                        requester: String? = nil, preview: Bool = false, step: (() -> Void)? = nil) throws -> (plan: ReleasePlan, items: [ReleasedItem]) {
        let policy = vault.state.policy
        // A preview without a recipient (`show ITEM --profile P`) is judged as an export is: no one named.
        let named: String? = preview && recipient.isEmpty ? nil : recipient
        guard named == nil || vault.state.recipients[recipient] != nil else {
            throw VaultError.invalidInput("--to", "\(recipient) is not a registered recipient (register it with op propose add-recipient)")
        }
        guard let profileRules = policy.profiles[profile] else {
            throw VaultError.invalidInput("--profile", "unknown profile \(profile) (known: \(policy.profiles.keys.sorted().joined(separator: ", ")))")
        }
        if profileRules.images.watermark && !preview {
            throw VaultError.invalidInput("--profile", "the \(profile) profile draws a viewing session's watermark; it is for viewing sessions (export --session), not for a disclosure")
        }
        let pseudonymKey = try self.pseudonymKey()
        let courtOrder = named.flatMap { self.courtOrder(for: $0) }
        var releasedItems: [ReleasedItem] = []
        for itemID in itemIDs {
            let facts = try itemFacts(itemID)
            if !facts.unreadable.isEmpty { throw VaultError.notPermitted("releasing \(itemID) needs \(facts.unreadable.joined(separator: ", ")), which your keys cannot read") }
            let (row, itemRecord, caseRecord, regions, shown, sourceWitnesses, dataKey) = try vault.database.queue.read { db in
                guard let row = try ItemRow.fetchOne(db, key: itemID) else { throw VaultError.notFound("item", itemID) }
                let item = try RecordCodec.open(kind: .item, id: itemID, vaultID: vault.vaultID, keyRing: keyRing, db: db)
                let caseRecord = try RecordCodec.open(kind: .case, id: row.caseID, vaultID: vault.vaultID, keyRing: keyRing, db: db)
                var witnesses: [RecordCodec.Opened] = []
                for fact in facts.witnesses where try RecordRow.find(kind: "witness", id: fact.pseudonym, db) != nil {
                    witnesses.append(try RecordCodec.open(kind: .witness, id: fact.pseudonym, vaultID: vault.vaultID, keyRing: keyRing, db: db))
                }
                let regions = try regionViews(itemID, db: db)
                return (row, item, caseRecord, regions, try shownWitnessFacts(regions, db: db), witnesses,
                        try RecordCodec.dataKey(kind: .item, id: itemID, compartment: .media, keyRing: keyRing, db: db))
            }
            let mediaType = itemRecord.fields["mediaType"]?.displayText ?? "application/octet-stream"
            let originalSHA = itemRecord.fields["sha256"]?.displayText ?? ""
            let size = Int64(itemRecord.fields["size"]?.displayText ?? "") ?? 0
            let fileName = itemRecord.fields["fileName"]?.displayText ?? ""
            var report: MetadataReport? = nil
            if let json = itemRecord.fields["metadata"]?.displayText { report = try? JSONDecoder().decode(MetadataReport.self, from: Data(json.utf8)) }

            // Images: which regions the profile masks, and whether the original may leave.
            let imagePlan: ImagePlan
            do {
                imagePlan = try policy.imagePlan(profile: profile, recipient: named, itemLabel: itemID,
                                                 regions: regions.map { RegionFacts(id: $0.id, category: $0.category, reason: $0.reason, witness: $0.witness) },
                                                 sources: facts.witnesses, shown: shown)
            } catch { throw VaultError.notPermitted("item \(itemID): \(error)") }
            // The policy decides with the witnesses whose faces the plan leaves unmasked: their consent and
            // the identity approver's approval are needed.
            var resource = itemResource(facts, action: action, profile: profile)
            resource.shownWitnesses = Self.shownWitnesses(unmasked: Set(imagePlan.regions.filter { !$0.masked }.map(\.regionID)),
                                                          regions: regions, shown: shown)
            let context = RequestContext(profile: profile, recipient: named, requester: requester ?? keyIDHex, approvals: approvals, courtOrder: courtOrder)
            let decision = policy.decide(subject, action, resource, context)
            var refusal: String? = nil
            if let reason = decision.reason {
                guard preview else { throw VaultError.notPermitted("\(action.rawValue) item \(itemID) to \(recipient) under \(profile): \(reason)") }
                refusal = reason
            }
            let masked = Set(imagePlan.maskedRegionIDs)
            // The masked regions as the image plan logs them: a region's own reason is internal ("face of …,
            // 12 … Street") and the bundle says only its category, unless the profile releases that category's
            // reasons (`release-reasons`).
            let redactions: [BundleManifest.Redaction] = imagePlan.log.filter { $0.field.hasPrefix("region ") }.map {
                .init(target: $0.field, action: $0.action, code: $0.code, reason: $0.reason)
            }
            let blobKey = Self.blobKey(from: dataKey)
            var item = ReleasedItem(
                plan: ReleasePlan.Item(item: itemID, caseID: row.caseID, release: "original", fileExtension: "", fileSHA256: originalSHA,
                                       fileSize: size, regions: regions.map {
                                           .init(id: $0.id, category: $0.category, x: $0.x, y: $0.y, width: $0.width, height: $0.height,
                                                 displayWidth: $0.displayWidth, displayHeight: $0.displayHeight, masked: masked.contains($0.id))
                                       }, recordSHA256: ""),
                record: [:], redactions: redactions, derivativeRequest: nil, blobID: row.blobID, blobKey: blobKey, commitment: nil, refusal: refusal)
            if imagePlan.releaseOriginal {
                item.plan.fileExtension = BundleLayout.originalExtension(fileName: fileName, mediaType: mediaType)
                if let opening = itemRecord.fields["commitmentOpening"]?.displayText {
                    item.commitment = .init(opening: opening, originalSHA256: originalSHA)
                }
            } else {
                guard Self.decodableImages.contains(mediaType) else {
                    throw VaultError.invalidInput("item \(itemID)", "is \(mediaType); the \(profile) profile releases only fresh derivatives, which Amanah makes for images")
                }
                let maskRegions = regions.filter { masked.contains($0.id) }.map {
                    MaskRegion(x: $0.x, y: $0.y, width: $0.width, height: $0.height, displayWidth: $0.displayWidth, displayHeight: $0.displayHeight)
                }
                let request = DerivativeRequest(regions: maskRegions, format: .jpeg)
                item.plan.release = "derivative"
                item.plan.fileExtension = BundleLayout.derivativeExtension(request.format)
                if !preview {   // a preview says what would be made, and makes nothing
                    let derivative = try makeDerivative(itemID: itemID, blobID: row.blobID, blobKey: blobKey, request: request, derivatives: derivatives)
                    item.derivativeRequest = request
                    item.plan.fileSHA256 = Hex.encode(SHA256Digest.hash(derivative.bytes))
                    item.plan.fileSize = Int64(derivative.bytes.count)
                }
                item.redactions.append(.init(target: "file", action: "remove", code: nil,
                                             reason: "fresh derivative: all metadata, embedded previews and bytes after the end of the image removed"))
            }

            // Records released with the item, redacted per profile and recipient.
            var records: [ReleaseRecord] = []
            records.append(ReleaseRecord(kind: .item, label: "item", fields: Self.itemReleaseFields(id: itemID, record: itemRecord, report: report,
                                                                                                  sources: facts.witnesses.map(\.pseudonym))))
            var caseFields: [String: FieldValue] = ["id": .text(row.caseID)]
            for (name, value) in caseRecord.fields { caseFields[name] = Self.fieldValue(value) }
            records.append(ReleaseRecord(kind: .case, label: "case", fields: caseFields))
            for witness in sourceWitnesses {
                var fields: [String: FieldValue] = ["pseudonym": .text(witness.id)]
                for (name, value) in witness.fields { fields[name] = Self.fieldValue(value) }
                if vault.state.consentWithdrawn.contains(witness.id) { fields["consent"] = .list([]) }
                records.append(ReleaseRecord(kind: .witness, label: "witness", fields: fields))
            }
            let redacted: ReleaseRedaction
            do {
                redacted = try policy.redactRelease(records, profile: profile, recipient: named, pseudonymKey: pseudonymKey.bytes, courtOrder: courtOrder)
            } catch { throw VaultError.notPermitted("item \(itemID): \(error)") }
            var recordObject: [String: Any] = [:]
            var witnesses: [[String: Any]] = []
            for record in redacted.records {
                var fields: [String: Any] = [:]
                for (name, value) in record.orderedFields {
                    switch value {
                    case let .text(text): fields[name] = text
                    case let .list(items): fields[name] = items
                    }
                }
                switch record.kind {
                case .item: recordObject["item"] = fields
                case .case: recordObject["case"] = fields
                case .witness: witnesses.append(fields)
                case .source, .region, .identification: break  // not released as records (RecordKind.released); none is built above
                }
                for entry in record.log {
                    item.redactions.append(.init(target: "field \(record.kind.rawValue).\(entry.field)", action: entry.action, code: entry.code, reason: entry.reason))
                }
            }
            recordObject["witnesses"] = witnesses
            recordObject["redactions"] = item.redactions.map { ["target": $0.target, "action": $0.action, "code": $0.code ?? "", "reason": $0.reason] }
            item.record = recordObject
            item.plan.recordSHA256 = Hex.encode(SHA256Digest.hash(try Self.recordBytes(recordObject, productionNumber: nil)))
            releasedItems.append(item)
            step?()
        }
        let plan = ReleasePlan(vault: vault.vaultIDHex, recipient: recipient, profile: profile, policyHash: Hex.encode(vault.state.policyHash),
                               basisSHA256: Hex.encode(SHA256Digest.hash(Array(basis.utf8))), requester: requester ?? keyIDHex,
                               created: Clock.format(milliseconds: Clock.nowMilliseconds()), nonce: Hex.encode(Random.bytes(16)),
                               items: releasedItems.map(\.plan))
        return (plan, releasedItems)
    }

    /// Makes an item's derivative: the blob decrypted on a worker thread straight into the sandbox's input.
    /// Deterministic: the same original and request give the same bytes, so a derivative need not be kept.
    func makeDerivative(itemID: String, blobID: String, blobKey: SecretBox, request: DerivativeRequest,
                        derivatives: any DerivativeMaking) throws -> Derivative {
        var source = try vault.blobs.open(id: blobID)
        do {
            return try PipeWorker.run(producer: { writer in
                var sink = writer
                try SealedStream.open(from: &source, to: &sink, key: blobKey.bytes,
                                      associatedData: Self.blobAssociatedData(vaultID: self.vault.vaultID, blobID: blobID))
            }, consumer: { reader in try derivatives.makeDerivative(from: reader, request: request) })
        } catch {
            throw VaultError.invalidInput("item \(itemID)", "no derivative could be made: \(error)")
        }
    }

    /// The canonical bytes of a released record, with or without its production number.
    static func recordBytes(_ object: [String: Any], productionNumber: String?) throws -> [UInt8] {
        var object = object
        if let productionNumber { object["productionNumber"] = productionNumber }
        return Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]))
    }

    static func fieldValue(_ value: RecordCodec.Value) -> FieldValue {
        switch value {
        case let .text(text): return .text(text)
        case let .list(items): return .list(items)
        }
    }

    /// The item fields of the policy's vocabulary, from the sealed facts and capture metadata.
    static func itemReleaseFields(id: String, record: RecordCodec.Opened, report: MetadataReport?, sources: [String]) -> [String: FieldValue] {
        var fields: [String: FieldValue] = ["id": .text(id)]
        if let value = record.fields["fileName"] { fields["fileName"] = fieldValue(value) }
        if let value = record.fields["mediaType"] { fields["mediaType"] = fieldValue(value) }
        if let value = record.fields["sha256"] { fields["sha256"] = fieldValue(value) }
        if let report {
            if let time = report.captureTime { fields["captureTime"] = .text(time) }
            if let make = report.make { fields["make"] = .text(make) }
            if let model = report.model { fields["model"] = .text(model) }
            if !report.serialNumbers.isEmpty { fields["serials"] = .list(report.serialNumbers.map { "\($0.name): \($0.value)" }) }
            if !report.people.isEmpty { fields["owner"] = .text(report.people.map { "\($0.name): \($0.value)" }.joined(separator: "; ")) }
            if let position = report.gps.first { fields["gps"] = .text(String(format: "%.6f, %.6f", position.latitude, position.longitude)) }
            if !report.embeddedImages.isEmpty { fields["previews"] = .list(report.embeddedImages.map { "\($0.kind) (\($0.byteCount) bytes)" }) }
        }
        if !sources.isEmpty { fields["sources"] = .list(sources) }
        return fields
    }
}
