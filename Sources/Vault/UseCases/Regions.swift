import VaultPlatform
import Foundation
import GRDB
import VaultCrypto
import VaultImaging
import VaultPolicy
import VaultStore
import VaultGovernance

extension Session {
    /// Adds a region to mask on an item, in the coordinates of the image as displayed (after EXIF
    /// orientation); the display size it was drawn on is taken from the item's capture metadata and stored
    /// with it. The rectangle and reason are sealed in the media compartment; the category code is kept in
    /// clear for policy decisions. Audited as `region.add`.
    /// - Throws: `VaultError.notPermitted` (policy `annotate`), `VaultError.invalidInput` for a rectangle
    ///   outside the image, an unknown category, or a missing reason where the category requires one.
    /// - Parameter witness: the pseudonym of the witness the region shows (a face): a region of a category the
    ///   profile unmasks with consent is left unmasked only with that witness's consent (issue 16).
    public func addRegion(itemID: String, x: Int, y: Int, width: Int, height: Int, category: String, reason: String,
                          witness: String? = nil) throws -> RegionView {
        let policy = vault.state.policy
        guard let code = policy.categories[category] else {
            throw VaultError.invalidInput("--category", "unknown category \(category) (known: \(policy.categories.keys.sorted().joined(separator: ", ")))")
        }
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        if code.reasonRequired && trimmed.isEmpty { throw VaultError.invalidInput("--reason", "category \(category) needs a reason") }
        if let problem = RecordInputParser.valueProblem(reason) { throw VaultError.invalidInput("--reason", problem) }
        return try write { db in
            guard let row = try ItemRow.fetchOne(db, key: itemID) else { throw VaultError.notFound("item", itemID) }
            try require(.annotate, Resource(compartments: [.media], label: "item \(itemID)", caseID: row.caseID))
            let item = try RecordCodec.open(kind: .item, id: itemID, vaultID: vault.vaultID, keyRing: keyRing, db: db)
            guard let json = item.fields["metadata"]?.displayText,
                  let report = try? JSONDecoder().decode(MetadataReport.self, from: Data(json.utf8)),
                  let displayWidth = report.displayWidth, let displayHeight = report.displayHeight else {
                throw VaultError.invalidInput("item \(itemID)", "its image size is unknown (no capture metadata); regions need an image")
            }
            guard width > 0, height > 0, x >= 0, y >= 0, x <= displayWidth, y <= displayHeight, width <= displayWidth - x,
                  height <= displayHeight - y else {
                throw VaultError.invalidInput("region", "\(x),\(y),\(width),\(height) is not inside the displayed image (\(displayWidth)x\(displayHeight))")
            }
            if let same = try regionViews(itemID, db: db).first(where: { $0.x == x && $0.y == y && $0.width == width && $0.height == height && $0.category == category }) {
                throw VaultError.invalidInput("region", "\(x),\(y),\(width),\(height) of category \(category) is on item \(itemID) already (\(same.id))")
            }
            if let witness, try RecordRow.find(kind: "witness", id: witness, db) == nil { throw VaultError.notFound("witness", witness) }
            if let witness, vault.state.consentWithdrawn.contains(witness) {
                throw VaultError.invalidInput("--witness", "witness \(witness) withdrew their consent: their face is masked in every release")
            }
            let id = "R-" + Hex.encode(Random.bytes(5))
            let now = Clock.nowMilliseconds()
            try RegionRow(id: id, itemID: itemID, category: category, createdAt: now).insert(db)
            var fields: [String: RecordCodec.Value] = [
                "x": .text(String(x)), "y": .text(String(y)), "width": .text(String(width)), "height": .text(String(height)),
                "displayWidth": .text(String(displayWidth)), "displayHeight": .text(String(displayHeight)), "reason": .text(trimmed),
            ]
            if let witness { fields["witness"] = .text(witness) }
            try RecordCodec.insert(kind: .region, id: id, fields: fields, vaultID: vault.vaultID, state: vault.state, createdAt: now,
                                   signer: identity, db: db)
            try audit(db, action: "region.add", objects: [itemID, row.caseID, id, "category:" + category])
            return RegionView(id: id, category: category, x: x, y: y, width: width, height: height,
                              displayWidth: displayWidth, displayHeight: displayHeight, reason: trimmed, witness: witness)
        }
    }

    /// Removes a region from an item: it masks nothing from then on. Its row stays, and its record is
    /// written again with the reason and time of the removal added (signed by this member), so that the
    /// region and its removal stay in the log (`region list --all`). Audited as `region.remove`.
    /// - Throws: `VaultError.notFound` for an unknown item or a region not on it; `VaultError.notPermitted`
    ///   (policy `annotate`); `VaultError.invalidInput` for an empty reason or a region removed already.
    public func removeRegion(itemID: String, regionID: String, reason: String) throws {
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw VaultError.invalidInput("--reason", "a region is removed only with a reason") }
        if let problem = RecordInputParser.valueProblem(reason) { throw VaultError.invalidInput("--reason", problem) }
        try write { db in
            guard let row = try ItemRow.fetchOne(db, key: itemID) else { throw VaultError.notFound("item", itemID) }
            guard try RegionRow.onItem(itemID, db).contains(where: { $0.id == regionID }) else { throw VaultError.notFound("region on item \(itemID)", regionID) }
            let record = try RecordCodec.open(kind: .region, id: regionID, vaultID: vault.vaultID, keyRing: keyRing, db: db)
            guard record.fields["removedReason"] == nil else { throw VaultError.invalidInput("region \(regionID)", "was removed already") }
            if record.fields["witness"] != nil {
                // It shows a named witness: removing it can unmask their face, which is the protection officer's call.
                try require(.recordConsent, Resource(compartments: [.case], label: "region \(regionID) showing a witness", caseID: row.caseID))
            } else {
                try require(.annotate, Resource(compartments: [.media], label: "item \(itemID)", caseID: row.caseID))
            }
            var fields = record.fields
            fields["removedReason"] = .text(trimmed)
            fields["removedAt"] = .text(Clock.format(milliseconds: Clock.nowMilliseconds()))
            try RecordCodec.rewrite(kind: .region, id: regionID, compartment: .media, fields: fields, vaultID: vault.vaultID, state: vault.state,
                                    signer: identity, keyRing: keyRing, db: db)
            try audit(db, action: "region.remove", objects: [itemID, row.caseID, regionID])
        }
    }

    /// Sets the classification of an item (one of the policy's `classifications`), which the policy's
    /// conditions read with its case's: the item's record written again with it, signed by this member, who
    /// must read media and whose role may write its fields. Audited as `item.classify`.
    /// - Throws: `VaultError.notFound`; `VaultError.invalidInput` for a level the policy does not name;
    ///   `VaultError.notPermitted`; database errors.
    public func classifyItem(_ itemID: String, level: String) throws {
        let levels = vault.state.policy.classifications
        guard levels.contains(level) else {
            throw VaultError.invalidInput("LEVEL", "\(level) is not a classification of the policy (known: \(levels.joined(separator: ", ")))")
        }
        try write { db in
            guard let row = try ItemRow.fetchOne(db, key: itemID) else { throw VaultError.notFound("item", itemID) }
            do {
                try require(.view, Resource(compartments: [.media], label: "item \(itemID)", caseID: row.caseID))
            } catch VaultError.notPermitted(let why) {
                throw VaultError.notPermitted("classifying item \(itemID) rewrites its sealed record, which needs reading it (\(why))")
            }
            try require(.ingest, Resource(compartments: [.media], label: "item \(itemID)", caseID: row.caseID))
            var fields = try RecordCodec.open(kind: .item, id: itemID, vaultID: vault.vaultID, keyRing: keyRing, db: db).fields
            guard fields["classification"] != .text(level) else { return }
            if case let .text(before)? = fields["classification"], (levels.firstIndex(of: level) ?? 0) < (levels.firstIndex(of: before) ?? levels.count) {
                try require(.approve, Resource(compartments: [.media], label: "lowering the classification of item \(itemID)", caseID: row.caseID))
            }
            fields["classification"] = .text(level)
            try RecordCodec.rewrite(kind: .item, id: itemID, compartment: .media, fields: fields, vaultID: vault.vaultID, state: vault.state,
                                    signer: identity, keyRing: keyRing, db: db)
            try audit(db, action: "item.classify", objects: [itemID, row.caseID, level])
        }
    }

    /// The regions of an item (`view` on media), with `all` also those removed. Audited as `item.view`.
    public func listRegions(itemID: String, all: Bool = false) throws -> [RegionView] {
        try write { db in
            guard let row = try ItemRow.fetchOne(db, key: itemID) else { throw VaultError.notFound("item", itemID) }
            try require(.view, Resource(compartments: [.media], label: "item \(itemID)", caseID: row.caseID))
            let regions = try regionViews(itemID, includingRemoved: all, db: db)
            try audit(db, action: "item.view", objects: [itemID, row.caseID])
            return regions
        }
    }

    /// `export ITEM --profile P`: writes what a release under `profile` would contain for this item: a fresh
    /// derivative (regions the profile masks filled, no metadata; JPEG, or PNG when asked) or, where the
    /// profile releases originals, the original. The vault's original is untouched. Audited as `item.export`
    /// once the file is complete and durable in place (see `OutputFile.place`); if the event cannot be
    /// written, the file is removed again.
    /// A profile that draws a watermark (`family-viewing`) needs `session`, the viewing session's label, which
    /// the derivative carries visibly and the audit event records (`session:LABEL`); any other profile refuses one.
    /// - Throws: `VaultError.notPermitted` (policy `export` under the profile), imaging errors naming the item;
    ///   `VaultError.invalidInput` for a missing, needless or unusable session label;
    ///   `VaultError.failed` naming the output when it cannot be written ("the disk is full" when so), which
    ///   leaves no file and no event; `VaultError.exists` for an existing output without `overwrite`.
    public func exportUnderProfile(_ itemID: String, profile: String, to outputPath: String, format: DerivativeRequest.Format,
                                   derivatives: any DerivativeMaking, overwrite: Bool = false, session: String? = nil) throws -> String {
        if !overwrite && DurableFile.exists(outputPath) { throw VaultError.exists(outputPath) }
        let policy = vault.state.policy
        guard let rules = policy.profiles[profile] else {
            throw VaultError.invalidInput("--profile", "unknown profile \(profile) (known: \(policy.profiles.keys.sorted().joined(separator: ", ")))")
        }
        switch (rules.images.watermark, session) {
        case (true, nil):
            throw VaultError.invalidInput("--session", "the \(profile) profile draws a watermark naming the viewing session: give --session LABEL")
        case (false, .some):
            throw VaultError.invalidInput("--session", "the \(profile) profile draws no watermark; --session is only for a profile that does")
        case (true, let label?):
            if let problem = Watermark.problem(label) { throw VaultError.invalidInput("--session", "the label \(problem)") }
        case (false, nil):
            break
        }
        // Drawn in capitals, so recorded in capitals: the label in the log is the one on the image.
        let session = session?.uppercased()
        let facts = try itemFacts(itemID)
        if !facts.unreadable.isEmpty {
            throw VaultError.notPermitted("exporting \(itemID) under a profile needs \(facts.unreadable.joined(separator: ", ")), which your keys cannot read")
        }
        try require(.export, itemResource(facts, action: .export, profile: profile), RequestContext(profile: profile, requester: keyIDHex))
        let (row, mediaType, regions, shown, dataKey) = try vault.database.queue.read { db in
            guard let row = try ItemRow.fetchOne(db, key: itemID) else { throw VaultError.notFound("item", itemID) }
            let item = try RecordCodec.open(kind: .item, id: itemID, vaultID: vault.vaultID, keyRing: keyRing, db: db)
            let regions = try regionViews(itemID, db: db)
            return (row, item.fields["mediaType"]?.displayText ?? "", regions, try shownWitnessFacts(regions, db: db),
                    try RecordCodec.dataKey(kind: .item, id: itemID, compartment: .media, keyRing: keyRing, db: db))
        }
        let plan: ImagePlan
        do {
            plan = try policy.imagePlan(profile: profile, recipient: nil, itemLabel: itemID,
                                        regions: regions.map { RegionFacts(id: $0.id, category: $0.category, reason: $0.reason, witness: $0.witness) },
                                        sources: facts.witnesses, shown: shown)
        } catch { throw VaultError.notPermitted("item \(itemID): \(error)") }
        if plan.releaseOriginal { return try exportOriginal(itemID, to: outputPath, overwrite: overwrite) }
        guard Self.decodableImages.contains(mediaType) else {
            throw VaultError.invalidInput("item \(itemID)", "is \(mediaType); the \(profile) profile releases only fresh derivatives, which Amanah makes for images")
        }
        let masked = Set(plan.maskedRegionIDs)
        let request = DerivativeRequest(regions: regions.filter { masked.contains($0.id) }.map {
            MaskRegion(x: $0.x, y: $0.y, width: $0.width, height: $0.height, displayWidth: $0.displayWidth, displayHeight: $0.displayHeight)
        }, format: format, watermark: session)
        let blobKey = Self.blobKey(from: dataKey)
        var source = try vault.blobs.open(id: row.blobID)
        let derivative: Derivative
        do {
            derivative = try PipeWorker.run(producer: { writer in
                var sink = writer
                try SealedStream.open(from: &source, to: &sink, key: blobKey.bytes,
                                      associatedData: Self.blobAssociatedData(vaultID: self.vault.vaultID, blobID: row.blobID))
            }, consumer: { reader in try derivatives.makeDerivative(from: reader, request: request) })
        } catch {
            throw VaultError.invalidInput("item \(itemID)", "no derivative could be made: \(error)")
        }
        let digest = SHA256Digest.hash(derivative.bytes)
        // The file first, complete and durable in place; then the audit event. An export whose file could not
        // be written is not a release; one whose event cannot be written does not happen (its file is removed).
        let folder = DurableFile.directory(of: outputPath)
        OutputFile.removeLeftovers(in: folder)
        let partial = try OutputFile.createPartial(in: folder)
        do {
            do {
                try derivative.bytes.withUnsafeBytes { try partial.handle.write($0) }
                try partial.handle.sync()
            } catch { throw OutputFile.writeFailure(outputPath, error) }
            try OutputFile.place(partial.path, at: outputPath, overwrite: overwrite)
            try? partial.handle.close()
        } catch {
            try? partial.handle.close()
            unlink(partial.path)
            throw error
        }
        do {
            try write { db in
                try audit(db, action: "item.export", objects: [itemID, row.caseID, "profile:" + profile] + (session.map { ["session:" + $0] } ?? []),
                          commitments: [digest])
            }
        } catch {
            OutputFile.remove(outputPath)
            throw error
        }
        return Hex.encode(digest)
    }
}
