internal import VaultText
import Vault
import VaultDisclosure
internal import VaultPlatform
internal import CPlatform
internal import Foundation
internal import GRDB
internal import VaultAudit
internal import VaultCrypto
internal import VaultFormats
internal import VaultImaging
internal import VaultPolicy
internal import VaultStore
import VaultGovernance

extension Session {
    /// `disclose propose`: computes the exact release plan (files, hashes, regions, redacted records, policy
    /// hash) and signs it as the requester; proposing counts as the requester's approval. Audited as
    /// `disclosure.propose`. `progress` is called with the number of items once known, then once per item
    /// computed (nil), for a progress line.
    public func proposeDisclosure(recipient: String, profile: String, caseIDs: [String], itemIDs: [String], basis: String,
                                  derivatives: any DerivativeMaking, progress: ((_ total: Int?) -> Void)? = nil) throws -> DisclosureRequest {
        guard !basis.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw VaultError.invalidInput("--basis-file", "the legal basis is empty")
        }
        let items = try releaseItemIDs(caseIDs: caseIDs, itemIDs: itemIDs)
        progress?(items.count)
        let (plan, _) = try computeRelease(recipient: recipient, profile: profile, itemIDs: items, basis: basis,
                                           derivatives: derivatives, action: .disclose, step: { progress?(nil) })
        let planBytes = try plan.canonicalBytes()
        let planHash = SHA256Digest.hash(planBytes)
        let signature = try identity.sign(ReleasePlan.approvalMessage(planHash: planHash), context: .disclosure)
        try write { db in
            try audit(db, action: "disclosure.propose", objects: [Hex.encode(planHash), recipient] + items)
        }
        return DisclosureRequest(planBytes: planBytes, basis: basis, signatures: [.init(keyID: keyIDHex, signature: signature)])
    }

    /// The items of a release: the named items, or every item of the named cases, in case and sequence order.
    func releaseItemIDs(caseIDs: [String], itemIDs: [String]) throws -> [String] {
        try vault.database.queue.read { db in
            var ids: [String] = []
            for caseID in caseIDs {
                guard try RecordRow.find(kind: "case", id: caseID, db) != nil else { throw VaultError.notFound("case", caseID) }
                ids += try ItemRow.ids(inCase: caseID, db)
            }
            for itemID in itemIDs {
                guard try ItemRow.fetchOne(db, key: itemID) != nil else { throw VaultError.notFound("item", itemID) }
                if !ids.contains(itemID) { ids.append(itemID) }
            }
            guard !ids.isEmpty else { throw VaultError.invalidInput("release", "no items to release") }
            return ids
        }
    }

    /// Verifies a request's signatures against this vault's members: (valid approvals for the policy, problems).
    func requestApprovals(_ request: DisclosureRequest) throws -> (approvals: [VaultPolicy.Approval], keys: [MemberPublicKey], problems: [String]) {
        let plan = try request.plan
        guard plan.vault == vault.vaultIDHex else { return ([], [], ["the request belongs to another vault"]) }
        var approvals: [VaultPolicy.Approval] = []
        var keys: [MemberPublicKey] = []
        var problems: [String] = []
        var seen = Set<String>()
        for signature in request.signatures {
            guard seen.insert(signature.keyID).inserted else { problems.append("\(signature.keyID) signed twice"); continue }
            guard let key = vault.state.knownKeys[signature.keyID], vault.state.isParticipant(signature.keyID) else {
                problems.append("\(signature.keyID) is not a member of this vault"); continue
            }
            guard key.verify(signature.signature, message: ReleasePlan.approvalMessage(planHash: request.planHash), context: .disclosure) else {
                problems.append("the signature of \(signature.keyID) does not verify over this plan"); continue
            }
            approvals.append(VaultPolicy.Approval(keyID: signature.keyID, role: vault.state.role(of: signature.keyID),
                                                  isCustodian: vault.state.isCustodian(signature.keyID)))
            keys.append(key)
        }
        if request.signatures.first?.keyID != plan.requester { problems.append("the request is not signed by its requester first") }
        return (approvals, keys, problems)
    }

    /// The plan in plain words, as `disclose approve` shows it.
    public func describe(_ request: DisclosureRequest) throws -> [String] {
        let plan = try request.plan
        guard Hex.encode(SHA256Digest.hash(Array(request.basis.utf8))) == plan.basisSHA256 else {
            throw VaultError.invalidInput("request", "its legal basis is not the one the requester signed (changed in transit?)")
        }
        var lines = ["release \(plan.items.count) item\(plan.items.count == 1 ? "" : "s") to \(plan.recipient) under the \(plan.profile) profile",
                     "requested by \(plan.requester) on \(plan.created); policy \(plan.policyHash.prefix(16))…",
                     "legal basis: \(request.basis.trimmingCharacters(in: .whitespacesAndNewlines))"]
        for item in plan.items {
            let masked = item.regions.filter(\.masked)
            lines.append("  \(item.item) (case \(item.caseID)): \(item.release == "original" ? "the ORIGINAL, byte for byte" : "a fresh derivative without metadata")"
                         + (masked.isEmpty ? "" : ", \(masked.count) region\(masked.count == 1 ? "" : "s") masked (\(masked.map(\.category).joined(separator: ", ")))"))
            // Every region, masked or not, with its category, the witness it names and why (issue 16), worked
            // out here from the vault (the plan, which a bundle carries, says none of it).
            let local = (try? regionExplanations(item.item, profile: plan.profile, recipient: plan.recipient)) ?? [:]
            for region in item.regions {
                let known = local[region.id]
                lines.append("    region \(region.id), category \(region.category), \(region.width)x\(region.height) at \(region.x),\(region.y)"
                             + (known?.witness.map { ", shows witness \($0)" } ?? "") + ": "
                             + (region.masked ? "MASKED" : "NOT MASKED") + (known.map { " (\($0.why))" } ?? ""))
            }
        }
        let signers = request.signatures.map(\.keyID)
        lines.append("signed so far by: \(signers.joined(separator: ", "))")
        return lines
    }

    /// Why each region of `itemID` is masked or not under `profile` for `recipient`, and the witness it names,
    /// as this member's keys let the vault work it out now.
    /// - Throws: what reading the item's facts and regions throws (no keys, a changed row).
    func regionExplanations(_ itemID: String, profile: String, recipient: String) throws -> [String: (witness: String?, why: String)] {
        let facts = try itemFacts(itemID)
        let (regions, shown) = try vault.database.queue.read { db in
            let regions = try regionViews(itemID, db: db)
            return (regions, try shownWitnessFacts(regions, db: db))
        }
        let plan = try vault.state.policy.imagePlan(profile: profile, recipient: recipient, itemLabel: itemID,
                                                    regions: regions.map { RegionFacts(id: $0.id, category: $0.category, reason: $0.reason, witness: $0.witness) },
                                                    sources: facts.witnesses, shown: shown)
        var result: [String: (witness: String?, why: String)] = [:]
        for region in regions { result[region.id] = (region.witness, plan.regions.first { $0.regionID == region.id }?.why ?? "") }
        return result
    }

    /// `disclose approve`: checks the request (signatures, vault, that the policy lets this member approve this
    /// release), recomputes the release from the vault and refuses a plan that differs from it (the files,
    /// records and regions an approver signs are the vault's, not what the request file says), and adds this
    /// member's signature over the plan. Audited as `disclosure.approve`.
    /// - Throws: `VaultError.notPermitted` when the policy does not let this member approve; `VaultError.invalidInput`
    ///   for a bad or already-approved request, or one whose plan is not the release the vault computes now.
    /// `progress`: the number of items, then once per item checked (nil).
    public func approveDisclosure(_ request: DisclosureRequest, derivatives: any DerivativeMaking,
                                  progress: ((_ total: Int?) -> Void)? = nil) throws -> DisclosureRequest {
        let plan = try request.plan
        guard Hex.encode(SHA256Digest.hash(Array(request.basis.utf8))) == plan.basisSHA256 else {
            throw VaultError.invalidInput("request", "its legal basis is not the one the requester signed (changed in transit?)")
        }
        let (approvals, _, problems) = try requestApprovals(request)
        if let problem = problems.first { throw VaultError.invalidInput("request", problem) }
        guard !request.signatures.contains(where: { $0.keyID == keyIDHex }) else {
            throw VaultError.invalidInput("request", "you (\(keyIDHex)) signed this request already")
        }
        guard plan.policyHash == Hex.encode(vault.state.policyHash) else {
            throw VaultError.invalidInput("request", "the policy changed since it was proposed; propose it again")
        }
        for item in plan.items {
            let resource = try planResource(item, action: .approve, profile: plan.profile)
            let context = RequestContext(profile: plan.profile, recipient: plan.recipient, requester: plan.requester, approvals: approvals,
                                         courtOrder: courtOrder(for: plan.recipient))
            try require(.approve, resource, context)
        }
        progress?(plan.items.count)
        try planMatchesVault(request, plan, approvals: approvals, derivatives: derivatives, step: { progress?(nil) })
        var approved = request
        approved.signatures.append(.init(keyID: keyIDHex, signature: try identity.sign(ReleasePlan.approvalMessage(planHash: request.planHash), context: .disclosure)))
        try write { db in try audit(db, action: "disclosure.approve", objects: [Hex.encode(request.planHash), plan.recipient]) }
        return approved
    }

    /// Where a request stands (`disclose status REQ`).
    public struct RequestStatus: Sendable, Codable {
        public struct Signer: Sendable, Codable { public var keyID: String; public var role: String? }
        /// SHA-256 (hex) of the plan; its recipient, profile, requester (key id) and number of items.
        public var planSHA256: String
        public var recipient: String
        public var profile: String
        public var requester: String
        public var items: Int
        /// The signatures that count (the requester's first), and what is wrong with the others.
        public var approvals: [Signer]
        public var problems: [String]
        /// Whether the approvals meet the policy for every item, and if not, what is missing.
        public var complete: Bool
        public var missing: String?
        /// The issue, once the log records one.
        public var issued: IssuedDisclosure?
    }

    /// Where `request` stands: its approvals as the policy counts them, what is missing, and its issue.
    /// Reads only (nothing is audited; the request file and the log hold nothing secret).
    /// - Throws: `VaultError.invalidInput` for a request that does not parse; database errors.
    public func requestStatus(_ request: DisclosureRequest) throws -> RequestStatus {
        let plan = try request.plan
        let (approvals, _, problems) = try requestApprovals(request)
        var complete = problems.isEmpty
        var missing: String?
        if complete {
            do { try checkApprovalsComplete(plan, approvals: approvals) } catch {
                complete = false
                missing = "\(error)"
            }
        }
        let planHex = Hex.encode(request.planHash)
        return RequestStatus(planSHA256: planHex, recipient: plan.recipient, profile: plan.profile, requester: plan.requester, items: plan.items.count,
                             approvals: approvals.map { .init(keyID: $0.keyID, role: $0.role?.rawValue ?? ($0.isCustodian ? "custodian" : nil)) },
                             problems: problems, complete: complete, missing: missing,
                             issued: try vault.issuedDisclosures().first { $0.planSHA256 == planHex })
    }

    /// The result of issuing a bundle.
    public struct IssuedBundle: Sendable {
        /// The bundle id (`DT-0001`).
        public var bundle: String
        /// The items' production numbers, in plan order (`DT-0001-0001`, ...).
        public var productionNumbers: [String]
        /// SHA-256 (hex) of the bundle's `manifest.json`.
        public var manifestSHA256: String
        /// The number of items released.
        public var itemCount: Int
        /// Written again (`--again`): whether `manifest.json` (and so every file inside the bundle) is byte for
        /// byte the one recorded at issue. Always true for a first issue.
        public var sameManifest: Bool = true
        /// Partial files of interrupted writes that were removed from the output folder.
        public var removedLeftovers: [String] = []
        /// The clerk's note for `NAME.txt` beside the bundle (`ClerkNote`): what the file is, who issued it,
        /// its production numbers and the stock steps, in English and Arabic.
        public var note: String = ""
    }

    /// What the vault recorded when a request was issued.
    private struct IssueRecord {
        var bundleNumber: Int
        var manifestHash: [UInt8]
        var issuedAt: Int64
        var checkpointSize: UInt64?
    }

    /// `disclose issue`: recomputes the plan and refuses if anything changed since approval; checks the
    /// approvals meet the policy (two-person rule, a protection officer where identities or sources are
    /// revealed, consent or a court order); builds the bundle (manifest and SHA256SUMS signed with minisign,
    /// items, records, custody events and role grants with inclusion proofs under a checkpoint the custodians
    /// cosigned (`custodyUnderCheckpoint`), the issuer's and approvers' public keys,
    /// VERIFY.txt in English and Arabic) as a strict tar encrypted in age v1 to the recipient's keys.
    ///
    /// The file is written completely first (a partial file in the output folder, fsynced, put in place
    /// without replacing anything, the folder fsynced; see `OutputFile.place`, which copies and verifies where
    /// the file system refuses rename and link), and only then, in one transaction, the next production numbers
    /// of the recipient's range are recorded and `disclosure.issue` appended. If that transaction fails, the
    /// bundle file is removed again. Partial files of interrupted issues in the output folder are removed first.
    ///
    /// With `again`, writes the bundle of a request issued before (its file lost or unreadable) with the same
    /// bundle id and production numbers, audited as `disclosure.reissue`; nothing else is recorded. The
    /// manifest is rebuilt from what was recorded (the issue time and the audit tree size of the custody
    /// checkpoint), so when the issuer, the roles and the release are unchanged it is byte for byte the
    /// recorded one and so is every file in the tar; the age encryption is new (a fresh file key), so the
    /// encrypted file differs. `IssuedBundle.sameManifest` says which.
    /// - Parameters:
    ///   - outputPath: the bundle file to create; it must not exist.
    ///   - again: write an issued request's bundle again instead of issuing.
    /// - Throws: `VaultError.exists` for an existing output; `VaultError.invalidInput` for a request issued
    ///   already (without `again`), never issued (with `again`), changed since approval or badly signed;
    ///   `VaultError.notPermitted` when the policy or the approvals do not allow the release;
    ///   `VaultError.failed` naming the output when it cannot be written (disk full, I/O error) or when the
    ///   vault database cannot record the issue (then no file is left).
    /// - Parameter progress: called with twice the number of items (each is checked, then written), then once
    ///   per item checked or written (nil), for a progress line.
    public func issueDisclosure(_ request: DisclosureRequest, outputPath: String, derivatives: any DerivativeMaking,
                                again: Bool = false, progress: ((_ total: Int?) -> Void)? = nil) throws -> IssuedBundle {
        if DurableFile.exists(outputPath) { throw VaultError.exists(outputPath) }
        let approvedPlan = try request.plan
        let (approvals, approverKeys, problems) = try requestApprovals(request)
        if let problem = problems.first { throw VaultError.invalidInput("request", problem) }
        let issuedBefore = try previousIssue(of: request, again: again, recipient: approvedPlan.recipient)
        guard Hex.encode(SHA256Digest.hash(Array(request.basis.utf8))) == approvedPlan.basisSHA256 else {
            throw VaultError.invalidInput("request", "its legal basis differs from the approved one")
        }
        progress?(2 * approvedPlan.items.count)
        let items = try releaseUnchangedSinceApproval(request, approvedPlan, approvals: approvals, derivatives: derivatives, step: { progress?(nil) })
        try checkApprovalsComplete(approvedPlan, approvals: approvals)
        let recipientKeys = try (vault.state.recipients[approvedPlan.recipient] ?? []).map { try AgeX25519Recipient(parsing: $0) }
        let custody = try custodyUnderCheckpoint(approvedPlan, planHash: request.planHash, issuedBefore: issuedBefore,
                                                 signers: [identity.publicKey] + approverKeys)
        let issuedAt = issuedBefore?.issuedAt ?? Clock.nowMilliseconds()
        let bundleID = BundleLayout.bundleID(recipientCode: vault.state.recipientCodes[approvedPlan.recipient] ?? "R",
                                             bundleNumber: custody.bundleNumber)
        let numbers = (1...items.count).map { BundleLayout.productionNumber(bundleID: bundleID, item: $0) }
        var members = try itemMembers(items, productionNumbers: numbers, derivatives: derivatives, opened: { progress?(nil) })
        members += try indexMembers(items, productionNumbers: numbers, bundleID: bundleID, derivatives: derivatives)
        members += try requestAndKeyMembers(request, bundleID: bundleID, custody: custody, approverKeys: approverKeys)
        let manifestBytes = try manifest(request, approvedPlan, bundleID: bundleID, issuedAt: issuedAt, items: items,
                                         productionNumbers: numbers, custody: custody, approverKeys: approverKeys).encoded()
        members.append(BundleMember(name: BundleLayout.manifest, content: .bytes(manifestBytes)))
        let manifestHash = SHA256Digest.hash(manifestBytes)
        members += try checksumsAndSignatures(of: members, manifest: manifestBytes, bundleID: bundleID)
        let removed = try writeBundleFile(members, issuedAt: issuedAt, recipients: recipientKeys, to: outputPath)
        try recordIssue(request, approvedPlan, bundleID: bundleID, bundleNumber: custody.bundleNumber, manifestHash: manifestHash,
                        itemCount: items.count, issuedAt: issuedAt, treeSize: custody.treeSize, again: again, outputPath: outputPath)
        let note = ClerkNote.text(bundleFile: DurableFile.lastComponent(of: outputPath), bundle: bundleID,
                                  issued: String(Clock.format(milliseconds: issuedAt).prefix(10)), issuerKeyID: identity.publicKey.keyIDHex,
                                  fingerprint: identity.publicKey.fingerprint, minisignKeyID: MinisignPublicKey(member: identity.publicKey).keyIDText,
                                  productionNumbers: numbers)
        return IssuedBundle(bundle: bundleID, productionNumbers: numbers, manifestSHA256: Hex.encode(manifestHash), itemCount: items.count,
                            sameManifest: issuedBefore.map { $0.manifestHash == manifestHash } ?? true, removedLeftovers: removed, note: note)
    }

    /// Reserves a bundle number for `request` in the log (`disclosure.reserve`), for a team vault, whose
    /// issuer shares the reservation through the remote before writing the bundle: the first claim on a
    /// number in the shared log has it (`DisclosureLedger.reservedNumber`). Returns the number and whether a
    /// new reservation was made (false: the log reserves one for this request already).
    /// - Throws: `VaultError.notPermitted` unless the request's approvals are complete; `VaultError.invalidInput`
    ///   for a request issued already or badly signed; database errors.
    /// The returned `event` is the reservation's audit event (its sequence): the caller checks that the remote
    /// holds it before writing the bundle.
    public func reserveBundleNumber(_ request: DisclosureRequest) throws -> (bundleID: String, new: Bool, event: UInt64) {
        let approvedPlan = try request.plan
        // Only a request approved in full reserves a number (the issue checks the same, and everything else).
        let (approvals, _, problems) = try requestApprovals(request)
        if let problem = problems.first { throw VaultError.invalidInput("request", problem) }
        try checkApprovalsComplete(approvedPlan, approvals: approvals)
        if let issued = try previousIssue(of: request, again: false, recipient: approvedPlan.recipient) {
            throw VaultError.invalidInput("request", "it was issued already (bundle \(issued.bundleNumber))")
        }
        let code = vault.state.recipientCodes[approvedPlan.recipient] ?? "R"
        return try write { db in
            let history = try governanceHistory(db)
            if let found = try DisclosureLedger.reservation(db, planHash: request.planHash, recipient: approvedPlan.recipient,
                                                            vaultID: vault.vaultID, keys: vault.state.knownKeys, history: history) {
                return (BundleLayout.bundleID(recipientCode: code, bundleNumber: found.bundleNumber), false, found.event)
            }
            let number = try DisclosureLedger.nextBundleNumber(db, recipient: approvedPlan.recipient, vaultID: vault.vaultID,
                                                               keys: vault.state.knownKeys, history: history)
            let bundleID = BundleLayout.bundleID(recipientCode: code, bundleNumber: number)
            let event = try audit(db, action: "disclosure.reserve", objects: [Hex.encode(request.planHash), approvedPlan.recipient, bundleID])
            return (bundleID, true, event.sequence)
        }
    }

    // MARK: issue, step by step

    /// Step 1: how `request` was issued before, if it was; refuses a second issue (production numbers are never
    /// reused) and `again` for a request never issued.
    private func previousIssue(of request: DisclosureRequest, again: Bool, recipient: String) throws -> IssueRecord? {
        let issuedBefore = try vault.database.queue.read { db -> IssueRecord? in
            try requireIntactLog(db)
            guard let row = try DisclosureRow.issue(planHash: Data(request.planHash), db) else {
                // Not in the table: the signed log must not record it either (a removed row).
                if let logged = try DisclosureLedger.issues(db, vaultID: vault.vaultID, keys: vault.state.knownKeys,
                                                            history: governanceHistory(db))
                    .first(where: { $0.planHash == request.planHash }) {
                    throw VaultError.integrity("the audit log records the issue of this request as \(logged.bundleID) (event \(logged.event)), but its disclosure row is missing from the database; its production numbers stay used — run `amanah check`")
                }
                return nil
            }
            return IssueRecord(bundleNumber: row.bundleNumber, manifestHash: Array(row.manifestHash), issuedAt: row.issuedAt,
                               checkpointSize: row.checkpointSize.map { UInt64($0) })
        }
        if again {
            guard issuedBefore != nil else {
                throw VaultError.invalidInput("request", "this request was never issued, so there is no bundle to write again; issue it without --again")
            }
        } else if let issuedBefore {
            let code = vault.state.recipientCodes[recipient] ?? "R"
            throw VaultError.invalidInput("request", "this request was issued already as \(BundleLayout.bundleID(recipientCode: code, bundleNumber: issuedBefore.bundleNumber)); "
                                          + "production numbers are never reused (if its bundle file was lost, write it again: disclose issue REQ -o FILE --again)")
        }
        return issuedBefore
    }

    /// Step 2: recomputes the release and compares it with the approved plan: anything changed since approval
    /// (a region, a record, the policy) refuses, naming what changed.
    private func releaseUnchangedSinceApproval(_ request: DisclosureRequest, _ approvedPlan: ReleasePlan, approvals: [VaultPolicy.Approval],
                                               derivatives: any DerivativeMaking, step: (() -> Void)? = nil) throws -> [ReleasedItem] {
        let (current, items) = try computeRelease(recipient: approvedPlan.recipient, profile: approvedPlan.profile,
                                                  itemIDs: approvedPlan.items.map(\.item), basis: request.basis,
                                                  derivatives: derivatives, action: .disclose, approvals: approvals,
                                                  requester: approvedPlan.requester, step: step)
        guard current.sameRelease(as: approvedPlan) else {
            var differences: [String] = []
            if current.policyHash != approvedPlan.policyHash { differences.append("the policy changed") }
            for (now, then) in zip(current.items, approvedPlan.items) where now != then {
                if now.regions.map(\.withoutReasonHash) != then.regions.map(\.withoutReasonHash) { differences.append("\(now.item): its regions changed") }
                else if now.fileSHA256 != then.fileSHA256 { differences.append("\(now.item): its released file changed") }
                else if now.recordSHA256 != then.recordSHA256 { differences.append("\(now.item): its released record changed") }
                else { differences.append("\(now.item) changed") }
            }
            throw VaultError.invalidInput("request", "the release changed since it was approved (\(differences.joined(separator: "; "))); propose it again")
        }
        return items
    }

    /// `disclose approve`'s check that the plan's files and regions are those the vault computes now: what an
    /// approver signs is the vault's release, not whatever the request file says. Records are not compared
    /// here: how a record reads depends on the compartments of whoever computes it, and `issue` compares them
    /// as the issuer computes them.
    /// - Throws: `VaultError.invalidInput` naming each item whose released file or regions differ.
    private func planMatchesVault(_ request: DisclosureRequest, _ plan: ReleasePlan, approvals: [VaultPolicy.Approval],
                                  derivatives: any DerivativeMaking, step: (() -> Void)? = nil) throws {
        let (current, _) = try computeRelease(recipient: plan.recipient, profile: plan.profile, itemIDs: plan.items.map(\.item),
                                              basis: request.basis, derivatives: derivatives, action: .approve, approvals: approvals,
                                              requester: plan.requester, step: step)
        var differences: [String] = []
        if current.items.map(\.item) != plan.items.map(\.item) { differences.append("its items") }
        for (now, planned) in zip(current.items, plan.items) {
            if now.regions.map(\.withoutReasonHash) != planned.regions.map(\.withoutReasonHash) { differences.append("\(now.item): its regions") }
            if now.release != planned.release || now.fileSHA256 != planned.fileSHA256 || now.fileSize != planned.fileSize {
                differences.append("\(now.item): its released file")
            }
        }
        guard differences.isEmpty else {
            throw VaultError.invalidInput("request", "the plan is not the release the vault computes now (\(differences.joined(separator: "; "))): the vault changed since it was proposed, or the request file was altered; propose it again")
        }
    }

    /// The policy resource of releasing a planned item: its facts now, and the witnesses whose faces the plan
    /// leaves unmasked (an unmasked region naming its witness, in a derivative or an original):
    /// releasing it reveals who they are, so their consent and the identity approver are needed.
    /// - Throws: what `itemFacts` and `regionViews` throw.
    func planResource(_ item: ReleasePlan.Item, action: Action, profile: String) throws -> Resource {
        var resource = itemResource(try itemFacts(item.item), action: action, profile: profile)
        let unmasked = Set(item.regions.filter { !$0.masked }.map(\.id))
        guard !unmasked.isEmpty else { return resource }
        resource.shownWitnesses = try vault.database.queue.read { db in
            let regions = try regionViews(item.item, db: db).filter { unmasked.contains($0.id) }
            return Self.shownWitnesses(unmasked: unmasked, regions: regions, shown: try shownWitnessFacts(regions, db: db))
        }
        return resource
    }

    /// Step 3: the approvals satisfy the policy for every item, with no approval obligation left.
    private func checkApprovalsComplete(_ approvedPlan: ReleasePlan, approvals: [VaultPolicy.Approval]) throws {
        for item in approvedPlan.items {
            let decision = vault.state.policy.decide(subject, .disclose, try planResource(item, action: .disclose, profile: approvedPlan.profile),
                                                     RequestContext(profile: approvedPlan.profile, recipient: approvedPlan.recipient,
                                                                    requester: approvedPlan.requester, approvals: approvals,
                                                                    courtOrder: courtOrder(for: approvedPlan.recipient)))
            if let reason = decision.reason { throw VaultError.notPermitted("issuing \(item.item): \(reason)") }
            guard decision.isComplete else {
                var missing: [String] = []
                for obligation in decision.obligations {
                    switch obligation {
                    case let .approvals(count): missing.append("\(count) more approval\(count == 1 ? "" : "s") by a member whose role may approve this release (not the requester)")
                    case let .approvalBy(role): missing.append("an approval by \(withArticle(role.rawValue))")
                    default: continue
                    }
                }
                throw VaultError.notPermitted("issuing \(item.item) needs \(missing.joined(separator: " and ")) (amanah disclose approve)")
            }
        }
    }

    /// The custody part of a bundle: the custodian-cosigned checkpoint with the issuer's signature added, the
    /// tree it commits to, the events and role grants with proofs, and the bundle number the release gets (or got).
    private struct Custody {
        var checkpointText: String
        var treeSize: UInt64
        var root: [UInt8]
        var events: [CustodyEvent]
        /// The sequence numbers of the events in `events` that name each item.
        var eventsByItem: [String: [UInt64]]
        var grants: [RoleGrantProof]
        var bundleNumber: Int
    }

    /// Step 4: the audit events of these items and of this request, and the governance entries that granted the
    /// signers' roles, with inclusion proofs under the newest checkpoint that at least the threshold of current
    /// custodians signed or cosigned (when written again: the one at the size recorded at issue, if kept), to
    /// which the issuer adds its signature; and the bundle number. Each actor appears as its role then and a
    /// pseudonym for this recipient (`Pseudonymiser`), never as a key (issue 16).
    /// - Throws: `VaultError.notPermitted` when no such checkpoint covers every custody event of the items and
    ///   every grant (naming the event and what to run); what `pseudonymKey` throws; database errors.
    private func custodyUnderCheckpoint(_ approvedPlan: ReleasePlan, planHash: [UInt8], issuedBefore: IssueRecord?,
                                        signers: [MemberPublicKey]) throws -> Custody {
        let planHashHex = Hex.encode(planHash)
        let itemSet = Set(approvedPlan.items.map(\.item))
        let pseudonymKey = try self.pseudonymKey()
        var pseudonyms = try Pseudonymiser(key: pseudonymKey.bytes, recipient: approvedPlan.recipient)
        let state = vault.state
        return try vault.database.queue.read { db -> Custody in
            let tree = AuditLog.tree(db)
            let history = try governanceHistory(db)
            let stored = try cosignedCheckpoint(db, tree: tree, preferredSize: issuedBefore?.checkpointSize)
            let size = stored.checkpoint.size, root = stored.checkpoint.rootHash
            var signed = stored
            try signed.merge(try SignedCheckpoint(signing: stored.checkpoint, by: identity))
            let needCosign = "run amanah audit checkpoint, have \(state.threshold) custodian\(state.threshold == 1 ? "" : "s") run amanah audit cosign on it, and issue again"
            var events: [CustodyEvent] = []
            var eventsByItem: [String: [UInt64]] = [:]
            var grantEvents: [String: AuditEvent] = [:]
            let signerIDs = Set(signers.map(\.keyIDHex))
            let cursor = try AuditEventRow.inSequence(db)
            while let row = try cursor.next() {
                guard let event = try? AuditEvent(leaf: Array(row.leaf)) else { continue }
                if ["governance.add-member", "governance.set-role"].contains(event.action), event.objects.count > 1, signerIDs.contains(event.objects[1]) {
                    grantEvents[event.objects[1]] = event
                }
                // Custody is the item's ingest, its further deliveries and its re-encryption; earlier exports
                // (and views) are another release's business and are left out (issue 16). This request's own
                // events count when the checkpoint covers them.
                let itemEvent = event.objects.contains(where: itemSet.contains) && ["item.ingest", "item.source-add", "item.reencrypt"].contains(event.action)
                let requestEvent = event.action.hasPrefix("disclosure.") && event.objects.first == planHashHex
                guard itemEvent || requestEvent else { continue }
                guard event.sequence <= size else {
                    if itemEvent {
                        throw VaultError.notPermitted("custody event \(event.sequence) (\(event.action)) is newer than the newest checkpoint the custodians cosigned (\(size) events); \(needCosign)")
                    }
                    continue
                }
                let proof = try tree.inclusionProof(leafIndex: event.sequence - 1, treeSize: size)
                let actorID = Hex.encode(event.actor)
                let then = event.governance.flatMap { history[chainLength: $0.length] } ?? state
                let role = then.isCustodian(actorID) ? "custodian" : then.role(of: actorID)?.rawValue ?? "member"
                for item in Set(event.objects).intersection(itemSet) { eventsByItem[item, default: []].append(event.sequence) }
                events.append(CustodyEvent(sequence: event.sequence, leaf: Base64.encode(event.leaf),
                                           actor: "\(role) \(try pseudonyms.pseudonym(for: "amanah-actor/" + actorID))",
                                           inclusionProof: proof.map(Hex.encode), action: event.action, time: Clock.format(milliseconds: event.time)))
            }
            var grants: [RoleGrantProof] = []
            for signer in signers.map(\.keyIDHex).sorted() {
                // Members of the genesis have no grant entry: a recipient kit pins them.
                guard let event = grantEvents[signer], let position = event.governance,
                      let entry = try GovernanceRow.find(seq: Int64(position.length), db),
                      let granted = GovernanceEntry.roleGrant(body: Array(entry.body)), granted.keyID == signer else { continue }
                guard event.sequence <= size else {
                    throw VaultError.notPermitted("the role of \(signer) was granted by event \(event.sequence), newer than the newest checkpoint the custodians cosigned (\(size) events); \(needCosign)")
                }
                grants.append(RoleGrantProof(member: signer, role: granted.role, entry: Base64.encode(Array(entry.body)), sequence: event.sequence,
                                             leaf: Base64.encode(event.leaf),
                                             inclusionProof: try tree.inclusionProof(leafIndex: event.sequence - 1, treeSize: size).map(Hex.encode)))
            }
            let number = try issuedBefore?.bundleNumber
                ?? DisclosureLedger.reservedNumber(db, planHash: planHash, recipient: approvedPlan.recipient, vaultID: vault.vaultID,
                                                   keys: vault.state.knownKeys, history: history)
                ?? DisclosureLedger.nextBundleNumber(db, recipient: approvedPlan.recipient, vaultID: vault.vaultID, keys: vault.state.knownKeys,
                                                     history: history)
            return Custody(checkpointText: signed.text, treeSize: size, root: root, events: events, eventsByItem: eventsByItem,
                           grants: grants, bundleNumber: number)
        }
    }

    /// The newest stored checkpoint of this log that at least the threshold of current custodians signed or
    /// cosigned; with `preferredSize` (a bundle written again), the one of that size when there is one.
    /// - Throws: `VaultError.notPermitted` when there is none, saying what to run.
    private func cosignedCheckpoint(_ db: Database, tree: MerkleTree<DatabaseMerkleNodeStore>, preferredSize: UInt64?) throws -> SignedCheckpoint {
        let state = vault.state
        let custodians = Set(state.custodians.map(\.keyIDHex))
        var best: SignedCheckpoint?
        for row in try CheckpointRow.bySizeAndRoot(db) {
            guard row.size >= 0, let signed = try? SignedCheckpoint(parsing: row.note),
                  case let .verified(verified) = signed.verify(vaultID: vault.vaultID, logSigners: Array(state.knownKeys.values), cosigners: state.custodians),
                  (try? tree.root(atSize: signed.checkpoint.size)) == signed.checkpoint.rootHash else { continue }
            let cosigned = Set(verified.cosignatures.map(\.cosigner.keyIDHex) + verified.logSigners.map(\.keyIDHex)).intersection(custodians)
            guard cosigned.count >= state.threshold else { continue }
            if let preferredSize, signed.checkpoint.size == preferredSize { return signed }
            if best.map({ signed.checkpoint.size > $0.checkpoint.size }) ?? true { best = signed }
        }
        guard let best else {
            throw VaultError.notPermitted("a bundle proves custody against a checkpoint that \(state.threshold) custodian\(state.threshold == 1 ? "" : "s") cosigned, and the vault keeps none; run amanah audit checkpoint, have \(state.threshold) custodian\(state.threshold == 1 ? "" : "s") run amanah audit cosign on it, and issue again")
        }
        return best
    }

    /// Step 5: the folders, and each item's file (streamed while the archive is written, checked against the
    /// approved hash: a derivative is made again in memory, one at a time whatever the size of the release;
    /// an original is opened from its blob) and redacted record.
    private func itemMembers(_ items: [ReleasedItem], productionNumbers numbers: [String],
                             derivatives: any DerivativeMaking, opened: (() -> Void)? = nil) throws -> [BundleMember] {
        var members: [BundleMember] = BundleLayout.folders.map { BundleMember(name: $0, content: .folder) }
        for (index, item) in items.enumerated() {
            let number = numbers[index]
            let file = BundleLayout.itemFile(productionNumber: number, fileExtension: item.plan.fileExtension)
            if let request = item.derivativeRequest {
                let itemID = item.plan.item, blobID = item.blobID, key = item.blobKey
                members.append(BundleMember(name: file, content: .stream(size: UInt64(item.plan.fileSize), sha256: item.plan.fileSHA256, open: {
                    opened?()
                    return MemorySource(try self.makeDerivative(itemID: itemID, blobID: blobID, blobKey: key, request: request, derivatives: derivatives).bytes)
                })))
            } else {
                let vaultID = vault.vaultID, blobs = vault.blobs, blobID = item.blobID, key = item.blobKey
                members.append(BundleMember(name: file, content: .stream(size: UInt64(item.plan.fileSize), sha256: item.plan.fileSHA256, open: {
                    opened?()
                    return OpenedBlobSource(blob: try blobs.open(id: blobID), key: key, associatedData: Self.blobAssociatedData(vaultID: vaultID, blobID: blobID))
                })))
            }
            members.append(BundleMember(name: BundleLayout.recordFile(productionNumber: number),
                                        content: .bytes(try Self.recordBytes(item.record, productionNumber: number) + [0x0A])))
        }
        return members
    }

    /// Step 6: the request's plan, the custody checkpoint and events, the issuer's and approvers' keys and
    /// VERIFY.txt.
    private func requestAndKeyMembers(_ request: DisclosureRequest, bundleID: String, custody: Custody,
                                      approverKeys: [MemberPublicKey]) throws -> [BundleMember] {
        let issuerKey = identity.publicKey
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let minisignKey = MinisignPublicKey(member: issuerKey)
        return [
            BundleMember(name: BundleLayout.plan, content: .bytes(request.planBytes)),
            BundleMember(name: BundleLayout.custodyCheckpoint, content: .bytes(Array(custody.checkpointText.utf8))),
            BundleMember(name: BundleLayout.custodyEvents, content: .bytes(Array(try encoder.encode(custody.events)) + [0x0A])),
            BundleMember(name: BundleLayout.custodyGrants, content: .bytes(Array(try encoder.encode(custody.grants)) + [0x0A])),
            BundleMember(name: BundleLayout.issuerMinisignKey,
                         content: .bytes(Array(try minisignKey.fileContents(untrustedComment: "amanah issuer \(issuerKey.keyIDHex)").utf8))),
            BundleMember(name: BundleLayout.issuerKey, content: .bytes(Array((issuerKey.line + "\n").utf8))),
            BundleMember(name: BundleLayout.approverKeys, content: .bytes(Array((approverKeys.map(\.line).joined(separator: "\n") + "\n").utf8))),
            BundleMember(name: BundleLayout.verifyInstructions,
                         content: .bytes(Array(VerifyText.text(bundle: bundleID, issuerKeyID: issuerKey.keyIDHex, minisignKeyID: minisignKey.keyIDText).utf8))),
        ]
    }

    /// Step 7: the manifest: the release, its approvals, each item with its production number, hash,
    /// redactions, commitment and custody events, and the custody checkpoint.
    private func manifest(_ request: DisclosureRequest, _ approvedPlan: ReleasePlan, bundleID: String, issuedAt: Int64,
                          items: [ReleasedItem], productionNumbers numbers: [String], custody: Custody,
                          approverKeys: [MemberPublicKey]) -> BundleManifest {
        let manifestItems = items.enumerated().map { index, item -> BundleManifest.Item in
            let number = numbers[index]
            let eventSequences = custody.eventsByItem[item.plan.item] ?? []
            return BundleManifest.Item(productionNumber: number,
                                       file: BundleLayout.itemFile(productionNumber: number, fileExtension: item.plan.fileExtension),
                                       sha256: item.plan.fileSHA256, size: item.plan.fileSize, release: item.plan.release,
                                       record: BundleLayout.recordFile(productionNumber: number), redactions: item.redactions,
                                       commitment: item.commitment, custodyEvents: eventSequences)
        }
        let issuerKey = identity.publicKey
        return BundleManifest(
            bundle: bundleID, vault: vault.vaultIDHex, recipient: approvedPlan.recipient, legalBasis: request.basis, profile: approvedPlan.profile,
            policyHash: approvedPlan.policyHash, issuedAt: Clock.format(milliseconds: issuedAt),
            issuer: .init(keyID: issuerKey.keyIDHex, publicKey: issuerKey.line, role: role?.rawValue, signature: nil),
            plan: BundleLayout.plan, planSHA256: Hex.encode(request.planHash),
            approvals: zip(request.signatures, approverKeys).map { signature, key in
                .init(keyID: key.keyIDHex, publicKey: key.line, role: vault.state.role(of: key.keyIDHex)?.rawValue, signature: Base64.encode(signature.signature))
            },
            items: manifestItems,
            custody: .init(checkpoint: BundleLayout.custodyCheckpoint, events: BundleLayout.custodyEvents, grants: BundleLayout.custodyGrants,
                           treeSize: custody.treeSize,
                           rootHash: Hex.encode(custody.root)))
    }

    /// Step 8: SHA256SUMS over every file but itself and the signatures (streamed items by their planned
    /// hashes), its minisign signature, and the manifest's.
    private func checksumsAndSignatures(of members: [BundleMember], manifest manifestBytes: [UInt8], bundleID: String) throws -> [BundleMember] {
        // The manifest's signature first: SHA256SUMS lists it too, so that it lists every file but itself and
        // its own signature.
        let manifestSignature = try MinisignSignature.sign(message: manifestBytes, identity: identity,
                                                           trustedComment: "amanah bundle \(bundleID) manifest sha256:\(Hex.encode(SHA256Digest.hash(manifestBytes)))")
        let signatureMember = BundleMember(name: BundleLayout.manifestSignature, content: .bytes(manifestSignature.fileContents))
        var sums: [(String, String)] = []
        for member in members + [signatureMember] {
            switch member.content {
            case .folder: continue
            case let .bytes(bytes): sums.append((member.name, Hex.encode(SHA256Digest.hash(bytes))))
            case let .stream(_, sha256, _): sums.append((member.name, sha256))
            }
        }
        let sumsText = sums.sorted { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }.map { "\($0.1)  \($0.0)\n" }.joined()
        let sumsSignature = try MinisignSignature.sign(message: Array(sumsText.utf8), identity: identity,
                                                       trustedComment: "amanah bundle \(bundleID) \(BundleLayout.checksums) sha256:\(Hex.encode(SHA256Digest.hash(Array(sumsText.utf8))))")
        return [BundleMember(name: BundleLayout.checksums, content: .bytes(Array(sumsText.utf8))),
                BundleMember(name: BundleLayout.checksumsSignature, content: .bytes(sumsSignature.fileContents)),
                signatureMember]
    }

    /// Step 9: the whole encrypted file written into place first (durable, never replacing a file), after
    /// removing partial files of interrupted issues from the folder. Returns the names of those removed.
    private func writeBundleFile(_ members: [BundleMember], issuedAt: Int64, recipients: [AgeX25519Recipient], to outputPath: String) throws -> [String] {
        let folder = DurableFile.directory(of: outputPath)
        let removed = OutputFile.removeLeftovers(in: folder)
        let partial = try OutputFile.createPartial(in: folder)
        do {
            do {
                try BundleWriter.write(members: members, modificationTime: UInt64(max(0, issuedAt / 1000)), recipients: recipients, into: partial.handle)
            } catch let error as SystemCallError where error.operation.hasSuffix(partial.path) {
                throw OutputFile.writeFailure(outputPath, error)
            }
            FaultInjection.point("issue.after-partial")
            try OutputFile.place(partial.path, at: outputPath, overwrite: false)
            try? partial.handle.close()
        } catch {
            try? partial.handle.close()
            unlink(partial.path)
            throw error
        }
        FaultInjection.point("issue.after-place")
        return removed
    }

    /// Step 10: in one transaction, the production numbers recorded and `disclosure.issue` appended (or, for
    /// `again`, `disclosure.reissue`). If it fails, the bundle file is removed: not recorded means not issued.
    private func recordIssue(_ request: DisclosureRequest, _ approvedPlan: ReleasePlan, bundleID: String, bundleNumber: Int,
                             manifestHash: [UInt8], itemCount: Int, issuedAt: Int64, treeSize: UInt64, again: Bool,
                             outputPath: String) throws {
        do {
            try write { db in
                let objects = [Hex.encode(request.planHash), approvedPlan.recipient, bundleID] + approvedPlan.items.map(\.item)
                if again {
                    try audit(db, action: "disclosure.reissue", objects: objects, commitments: [manifestHash])
                } else {
                    let history = try governanceHistory(db)
                    let reserved = try DisclosureLedger.reservedNumber(db, planHash: request.planHash, recipient: approvedPlan.recipient,
                                                                       vaultID: vault.vaultID, keys: vault.state.knownKeys, history: history)
                    let next = try reserved ?? DisclosureLedger.nextBundleNumber(db, recipient: approvedPlan.recipient, vaultID: vault.vaultID,
                                                                                 keys: vault.state.knownKeys, history: history)
                    guard next == bundleNumber else { throw VaultError.failed("another bundle for \(approvedPlan.recipient) was issued meanwhile; issue again") }
                    try DisclosureRow.insert(recipient: approvedPlan.recipient, bundleNumber: bundleNumber, planHash: Data(request.planHash),
                                             manifestHash: Data(manifestHash), itemCount: itemCount, issuedAt: issuedAt,
                                             checkpointSize: Int64(treeSize), db)
                    try audit(db, action: "disclosure.issue", objects: objects, commitments: [manifestHash])
                }
                FaultInjection.point("issue.before-commit")
            }
        } catch {
            OutputFile.remove(outputPath)
            throw error
        }
        FaultInjection.point("issue.after-commit")
    }
}

/// The plaintext of a sealed blob as a byte source, decrypted on a worker thread (`WorkerThread`) through a
/// pipe, started at the first read. A blob that does not open fails the read at the end of the stream.
final class OpenedBlobSource: ByteSource, @unchecked Sendable {
    private var reader: FileHandleFD?
    private var worker: WorkerThread?
    private let blob: FileHandleFD
    private let key: SecretBox
    private let associatedData: [UInt8]
    /// Written by the worker, read after joining it.
    private final class Outcome: @unchecked Sendable { var failure: (any Error)? }
    private let outcome = Outcome()

    init(blob: FileHandleFD, key: SecretBox, associatedData: [UInt8]) {
        self.blob = blob; self.key = key; self.associatedData = associatedData
    }

    private func start() throws {
        var fds: [Int32] = [0, 0]
        guard amanah_pipe_cloexec(&fds) == 0 else { throw VaultError.failed("pipe: \(lastErrorText())") }
        let reader = FileHandleFD(fd: fds[0], path: "blob pipe")
        let writer = FileHandleFD(fd: fds[1], path: "blob pipe")
        let blob = self.blob, key = self.key, ad = self.associatedData, outcome = self.outcome
        do {
            worker = try WorkerThread(name: "amanah-open") {
                // The reader may close its end early (the archive is abandoned): a write then fails with EPIPE
                // instead of raising SIGPIPE, which would end a process that does not ignore it.
                var pipeSignal = sigset_t()
                sigemptyset(&pipeSignal)
                sigaddset(&pipeSignal, SIGPIPE)
                pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
                var source = blob
                var sink = writer
                do { try SealedStream.open(from: &source, to: &sink, key: key.bytes, associatedData: ad) } catch { outcome.failure = error }
                try? writer.close()
            }
        } catch {
            try? writer.close()
            try? reader.close()
            throw error
        }
        self.reader = reader
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if worker == nil { try start() }
        let n = try reader!.read(into: buffer)
        if n == 0 {
            worker?.join()
            if let failure = outcome.failure { throw VaultError.integrity("a sealed original does not open: \(failure)") }
        }
        return n
    }

    deinit {
        if let worker {
            try? reader?.close()
            worker.join()
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
