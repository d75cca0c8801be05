import VaultPlatform
internal import VaultText
import VaultPolicy
import Foundation
import VaultAudit
import VaultCrypto
import VaultFormats
import VaultImaging

/// What `amanah bundle verify` found: each check with its outcome, and the bundle's facts.
public struct BundleReport: Codable, Sendable {
    public struct Check: Codable, Sendable {
        public var name: String
        public var ok: Bool
        public var detail: String
    }

    /// An empty report (no checks: not verified).
    public init() {}

    public var ok: Bool { checks.allSatisfy(\.ok) && !checks.isEmpty }
    public var bundle: String?
    public var vault: String?
    public var recipient: String?
    public var profile: String?
    public var issuer: String?
    /// The fingerprint of the recipient kit the bundle was checked against, if any.
    public var kit: String?
    public var approvers: [String] = []
    public var items: [String] = []
    public var checks: [Check] = []

    mutating func check(_ name: String, _ ok: Bool, _ detail: String) {
        checks.append(Check(name: name, ok: ok, detail: detail))
    }

    /// The human-readable report: one line per check, then the verdict. Every value that comes from the bundle
    /// (which someone else wrote) is shown escaped (`TerminalText.escaped`): control, bidirectional and
    /// invisible characters cannot rewrite the reader's screen.
    public func render() -> String {
        var lines: [String] = []
        if let bundle { lines.append("bundle: \(bundle)") }
        if let recipient { lines.append("recipient: \(recipient)") }
        if let profile { lines.append("profile: \(profile)") }
        if let vault { lines.append("vault: \(vault)") }
        if let issuer { lines.append("issuer: \(issuer)") }
        lines.append("recipient kit: \(kit ?? "none given (approvals and custody cannot be verified)")")
        if !approvers.isEmpty { lines.append("approved by: \(approvers.joined(separator: ", "))") }
        lines.append("items: \(items.count)")
        for check in checks { lines.append("\(check.ok ? "ok  " : "FAIL") \(check.name): \(check.detail)") }
        lines.append(ok ? "verified" : "NOT VERIFIED")
        return lines.map { TerminalText.escaped($0) }.joined(separator: "\n") + "\n"
    }
}

/// Verifies a disclosure bundle without a vault: decrypts it (streaming) with the recipient's age identity,
/// reads the strict tar, and checks both minisign signatures against the issuer key, every hash, that no file
/// is missing or extra, the approvals over the release plan, the commitments opened for released originals,
/// and every custody event's signature and inclusion proof against the issuer-signed checkpoint.
public enum BundleVerifier {
    /// Files read into memory are limited to this size (items stream).
    static let smallFileLimit = 16 << 20

    struct Member {
        var sha256: String
        var size: UInt64
        var content: [UInt8]?
        /// For an item file: why it is not a fresh derivative's structure (`DerivativeStructure`: metadata,
        /// a thumbnail, a trailer, camera segments), nil when it is one. Worked out as the file streams; its
        /// bytes are not kept.
        var derivativeProblem: String? = nil
    }

    /// Item files larger than this are not checked for a derivative's structure (a derivative is far smaller).
    static let derivativeScanLimit = 256 << 20

    /// Verifies an encrypted bundle.
    /// - Throws: `DisclosureError.invalidInput` when the file cannot be decrypted or is not a strict tar (these are
    ///   verification failures too; the caller reports them with exit status 3).
    /// - Parameters:
    ///   - issuerKey: the issuer's minisign key as registered (`--issuer-key`), if given.
    ///   - kit: the recipient kit pinned at registration (`--kit`); without it approvals and custody are "not
    ///     verified" and so is the bundle.
    ///   - grantReader: reads the member and role a governance entry grants (`GovernanceEntry.roleGrant`); the
    ///     caller passes it because this module does not read governance formats.
    /// - Throws: `SystemCallError` when the file cannot be opened; `DisclosureError.notForThisIdentity` when no
    ///   identity opens it; `DisclosureError.invalidInput` for a damaged or truncated file or archive.
    public static func verify(encrypted path: String, identities: [AgeX25519Identity], issuerKey: MinisignPublicKey?,
                              kit: RecipientKit? = nil, grantReader: RoleGrantReader? = nil) throws -> BundleReport {
        let input = try FileHandleFD.openForReading(path)
        let members: [String: Member] = try PipeWorker.run(producer: { writer in
            var source = input
            var sink = writer
            do { try Age.decrypt(from: &source, to: &sink, identities: identities) } catch let error as AgeError {
                if case .noMatch = error { throw DisclosureError.notForThisIdentity(path) }
                throw DisclosureError.invalidInput(path, "cannot be decrypted (damaged or truncated?): \(error)")
            }
        }, consumer: { reader in
            try readTar(StrictTarReader(source: reader), source: path)
        })
        return check(members, issuerKey: issuerKey, kit: kit, grantReader: grantReader)
    }

    /// Verifies an extracted bundle folder; the other parameters are those of `verify(encrypted:...)`.
    public static func verify(folder: String, issuerKey: MinisignPublicKey?, kit: RecipientKit? = nil,
                              grantReader: RoleGrantReader? = nil) throws -> BundleReport {
        var members: [String: Member] = [:]
        let base = URL(fileURLWithPath: folder)
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else { throw DisclosureError.invalidInput(folder, "cannot be read") }
        while let relative = enumerator.nextObject() as? String {
            let path = base.appendingPathComponent(relative).path
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            let type = attributes[.type] as? FileAttributeType
            if type == .typeDirectory { continue }
            guard type == .typeRegular else { throw DisclosureError.invalidInput(folder, "\(relative) is not a regular file") }
            if let problem = TarName.check(relative) { throw DisclosureError.invalidInput(folder, "\(TerminalText.escaped(relative)): \(problem)") }
            var source = try FileHandleFD.openForReading(path, followLinks: false)
            members[relative] = try readMember(name: relative, source: &source)
        }
        return check(members, issuerKey: issuerKey, kit: kit, grantReader: grantReader)
    }

    /// Limits on what a bundle may hold besides its items: members and bytes kept in memory.
    static let maximumMembers = 100_000
    static let maximumSmallBytes = 256 << 20

    static func readTar<S: ByteSource>(_ reader: StrictTarReader<S>, source: String) throws -> [String: Member] {
        var tar = reader
        var members: [String: Member] = [:]
        var keptBytes = 0
        do {
            while let entry = try tar.next() {
                guard entry.kind == .file else { continue }
                guard members.count < maximumMembers else { throw DisclosureError.invalidInput(source, "has more than \(maximumMembers) files") }
                if !BundleLayout.isItemFile(entry.name) {
                    keptBytes += Int(clamping: entry.size)
                    guard keptBytes <= maximumSmallBytes else { throw DisclosureError.invalidInput(source, "its non-item files exceed \(maximumSmallBytes) bytes") }
                }
                var content = TarContentSource(reader: tar)
                members[entry.name] = try readMember(name: entry.name, source: &content)
                tar = content.reader
            }
        } catch let error as TarError {
            throw DisclosureError.invalidInput(source, "is not a strict bundle archive: \(error)")
        }
        return members
    }

    static func readMember<S: ByteSource>(name: String, source: inout S) throws -> Member {
        var hasher = ContentHasher()
        var size: UInt64 = 0
        var keep: [UInt8]? = BundleLayout.isItemFile(name) ? nil : []
        var scan: [UInt8]? = BundleLayout.isItemFile(name) ? [] : nil
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { break }
            size += UInt64(n)
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            if keep != nil {
                guard size <= UInt64(smallFileLimit) else { throw DisclosureError.invalidInput(name, "is larger than \(smallFileLimit) bytes") }
                keep!.append(contentsOf: buffer[0..<n])
            }
            if scan != nil {
                if size > UInt64(derivativeScanLimit) { scan = nil } else { scan!.append(contentsOf: buffer[0..<n]) }
            }
        }
        var member = Member(sha256: Hex.encode(hasher.finalize()), size: size, content: keep)
        if BundleLayout.isItemFile(name) {
            if let bytes = scan {
                let format: DerivativeRequest.Format? = bytes.starts(with: [0xFF, 0xD8]) ? .jpeg
                    : bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) ? .png : nil
                member.derivativeProblem = format.map { DerivativeStructure.problem(bytes, format: $0) } ?? "it is not a JPEG or PNG file"
            } else {
                member.derivativeProblem = "it is larger than any derivative"
            }
        }
        return member
    }

    /// Reads the member key and role a governance entry's body grants, given the vault id and the pinned
    /// custodians and threshold whose approvals it must carry (`GovernanceEntry.verifiedRoleGrant`); nil when it
    /// grants none or no quorum of them signed it.
    public typealias RoleGrantReader = @Sendable (_ entry: [UInt8], _ vaultID: [UInt8], _ custodians: [MemberPublicKey], _ threshold: Int) -> (key: MemberPublicKey, role: String)?

    /// Checks a bundle's members, in named steps: the manifest, the kit, the custody proofs against the
    /// custodian-cosigned checkpoint, the roles of the signers, the issuer key, both signatures, `SHA256SUMS`
    /// against the files, the items against the manifest, the release plan and its approvals, and the
    /// commitments of released originals. Each step adds its lines to the report.
    static func check(_ members: [String: Member], issuerKey given: MinisignPublicKey?, kit: RecipientKit?,
                      grantReader: RoleGrantReader?) -> BundleReport {
        var report = BundleReport()
        guard let manifest = readManifest(members, into: &report) else { return report }
        let issuer = try? MemberPublicKey(line: manifest.issuer.publicKey)
        if let kit { checkKit(kit, manifest: manifest, into: &report) }
        let custody = checkCustody(members, manifest: manifest, issuer: issuer, kit: kit, into: &report)
        let roles = provenRoles(members, manifest: manifest, kit: kit, tree: custody.tree, grantReader: grantReader, into: &report)
        guard let issuerKey = checkIssuerKey(members, manifest: manifest, issuer: issuer, given: given, kit: kit, roles: roles, into: &report) else {
            return report
        }
        checkSignatures(members, issuerKey: issuerKey, into: &report)
        checkChecksums(members, into: &report)
        checkItems(members, manifest: manifest, into: &report)
        checkPlanAndApprovals(members, manifest: manifest, kit: kit, roles: roles, custody: custody, into: &report)
        checkCommitments(manifest: manifest, ingestCommitments: custody.commitments, into: &report)
        return report
    }

    /// The kit is for this bundle's vault and recipient.
    private static func checkKit(_ kit: RecipientKit, manifest: BundleManifest, into report: inout BundleReport) {
        var problems: [String] = []
        if kit.vault != manifest.vault { problems.append("the kit is for vault \(kit.vault), the bundle comes from \(manifest.vault)") }
        if kit.recipient != manifest.recipient { problems.append("the kit is for \(kit.recipient), the bundle is for \(manifest.recipient)") }
        report.check("recipient kit", problems.isEmpty, problems.isEmpty
                        ? "vault and recipient match the kit (\(kit.custodians.count) custodians pinned, \(kit.threshold) needed)"
                        : problems.joined(separator: "; "))
    }

    /// The kept content of member `name` (small files only), if present.
    private static func content(_ members: [String: Member], _ name: String) -> [UInt8]? { members[name]?.content }

    /// `manifest.json`: present, well-formed and of this format; fills in the report's summary fields.
    private static func readManifest(_ members: [String: Member], into report: inout BundleReport) -> BundleManifest? {
        guard let manifestBytes = content(members, BundleLayout.manifest),
              let manifest = try? JSONDecoder().decode(BundleManifest.self, from: Data(manifestBytes)),
              manifest.format == BundleManifest.formatName else {
            report.check("manifest", false, "\(BundleLayout.manifest) is missing or malformed")
            return nil
        }
        report.bundle = manifest.bundle
        report.vault = manifest.vault
        report.recipient = manifest.recipient
        report.profile = manifest.profile
        report.items = manifest.items.map(\.productionNumber)

        return manifest
    }

    /// The issuer key. With a kit: the manifest's issuer, when the kit pins it or a grant proves its role (an
    /// `--issuer-key` given as well must be the same key). Without one: the key registered out of band
    /// (`given`), or (reported as unverified) the copy in the bundle; nil when there is none at all.
    private static func checkIssuerKey(_ members: [String: Member], manifest: BundleManifest, issuer: MemberPublicKey?,
                                       given: MinisignPublicKey?, kit: RecipientKit?, roles: [String: PinnedRole],
                                       into report: inout BundleReport) -> MinisignPublicKey? {
        report.issuer = issuer.map { "\($0.keyIDHex) (\($0.fingerprint))" }
        if kit != nil {
            guard let issuer, issuer.keyIDHex == manifest.issuer.keyID else {
                report.check("issuer key", false, "the manifest's issuer key does not parse")
                return nil
            }
            let key = MinisignPublicKey(member: issuer)
            guard let role = roles[issuer.keyIDHex].flatMap({ $0.key == issuer ? $0.role : nil }) else {
                report.check("issuer key", false, "not verified: the issuer \(issuer.keyIDHex) is neither pinned by the kit nor granted a role by an entry proven in the cosigned checkpoint")
                return key
            }
            if let given, given != key {
                report.check("issuer key", false, "the manifest names another issuer than the key given with --issuer-key")
            } else {
                report.check("issuer key", true, "the issuer \(issuer.keyIDHex) is \(withArticle(role)) the kit pins or a proven grant names")
            }
            return key
        }
        var issuerKey = given
        if issuerKey == nil, let copy = content(members, BundleLayout.issuerMinisignKey) { issuerKey = try? MinisignPublicKey(fileContents: copy) }
        guard let issuerKey else {
            report.check("issuer key", false, "no issuer key given and none in \(BundleLayout.keysFolder)/")
            return nil
        }
        let issuerMatches = issuer.map { MinisignPublicKey(member: $0) == issuerKey } ?? false
        if given == nil {
            // The copy inside the bundle proves nothing: a forger would put their own key there.
            report.check("issuer key", false, "no registered issuer key given (--kit or --issuer-key): the copy inside the bundle (key id \(Hex.encode(issuerKey.keyID))) proves nothing on its own")
        } else {
            report.check("issuer key", issuerMatches, issuerMatches ? "the manifest's issuer is the registered key"
                                                                    : "the manifest names another issuer than the registered key")
        }
        return issuerKey
    }

    /// The minisign signatures of `SHA256SUMS` and `manifest.json` under the issuer key.
    private static func checkSignatures(_ members: [String: Member], issuerKey: MinisignPublicKey, into report: inout BundleReport) {
        for (file, signature) in [(BundleLayout.checksums, BundleLayout.checksumsSignature), (BundleLayout.manifest, BundleLayout.manifestSignature)] {
            guard let message = content(members, file), let sig = content(members, signature), let parsed = try? MinisignSignature(fileContents: sig) else {
                report.check("signature of \(file)", false, "\(file) or \(signature) is missing or malformed")
                continue
            }
            let result = (try? parsed.verify(message: message, publicKey: issuerKey)) ?? .invalidSignature
            var valid = false
            if case .valid = result { valid = true }
            report.check("signature of \(file)", valid, "\(result)")
        }

    }

    /// `SHA256SUMS`: every listed file matches; nothing missing or extra.
    private static func checkChecksums(_ members: [String: Member], into report: inout BundleReport) {
        if let sums = content(members, BundleLayout.checksums), let text = String(validating: sums, as: UTF8.self) {
            var listed: [String: String] = [:]
            var malformed = false
            for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
                let parts = line.split(separator: " ", maxSplits: 1)
                guard parts.count == 2, parts[0].count == 64, parts[1].hasPrefix(" ") else { malformed = true; continue }
                listed[String(parts[1].dropFirst())] = String(parts[0])
            }
            var unlisted = BundleLayout.unlistedInChecksums
            // A bundle issued before the manifest's signature was listed: its absence from the list is no fault.
            if listed[BundleLayout.manifestSignature] == nil { unlisted.insert(BundleLayout.manifestSignature) }
            let present = Set(members.keys).subtracting(unlisted)
            let missing = Set(listed.keys).subtracting(present).sorted()
            let extra = present.subtracting(listed.keys).sorted()
            let wrong = listed.filter { members[$0.key] != nil && members[$0.key]!.sha256 != $0.value }.keys.sorted()
            report.check(BundleLayout.checksums, !malformed && missing.isEmpty && extra.isEmpty && wrong.isEmpty,
                         malformed ? "malformed lines" : missing.isEmpty && extra.isEmpty && wrong.isEmpty
                            ? "\(listed.count) files match"
                            : ([missing.isEmpty ? nil : "missing: " + missing.joined(separator: ", "),
                                extra.isEmpty ? nil : "not listed: " + extra.joined(separator: ", "),
                                wrong.isEmpty ? nil : "hash differs: " + wrong.joined(separator: ", ")].compactMap { $0 }.joined(separator: "; ")))
        } else {
            report.check(BundleLayout.checksums, false, "missing")
        }

    }

    /// The items against the manifest: each file present once, with its hash, size, record and name; no item
    /// file the manifest does not list.
    private static func checkItems(_ members: [String: Member], manifest: BundleManifest, into report: inout BundleReport) {
        var itemProblems: [String] = []
        var seenFiles = Set<String>()
        for item in manifest.items {
            if !seenFiles.insert(item.file).inserted { itemProblems.append("\(item.file) listed twice") }
            guard let member = members[item.file] else { itemProblems.append("\(item.productionNumber): \(item.file) is missing"); continue }
            if member.sha256 != item.sha256 || item.size < 0 || member.size != UInt64(item.size) { itemProblems.append("\(item.productionNumber): \(item.file) does not match the manifest") }
            if members[item.record] == nil { itemProblems.append("\(item.productionNumber): \(item.record) is missing") }
            // An original (camera segments, metadata, a thumbnail) passed off as the approved fresh derivative.
            if item.release == "derivative", let problem = member.derivativeProblem {
                itemProblems.append("\(item.productionNumber): claims to be a fresh derivative, but \(problem) (an original or a file carrying metadata)")
            }
            if !item.file.hasPrefix(BundleLayout.itemFilePrefix(productionNumber: item.productionNumber)) { itemProblems.append("\(item.productionNumber): unexpected file name \(item.file)") }
        }
        let itemFiles = Set(members.keys.filter(BundleLayout.isItemFile))
        let extraItems = itemFiles.subtracting(seenFiles)
        if !extraItems.isEmpty { itemProblems.append("files not in the manifest: " + extraItems.sorted().joined(separator: ", ")) }
        // Every file has its place: a record under its production number (kept, so its hash is checked against
        // the plan), and nothing the layout does not name, however SHA256SUMS lists it.
        for item in manifest.items {
            if item.record != BundleLayout.recordFile(productionNumber: item.productionNumber) {
                itemProblems.append("\(item.productionNumber): its record is \(item.record), not \(BundleLayout.recordFile(productionNumber: item.productionNumber))")
            } else if members[item.record] != nil && members[item.record]?.content == nil {
                itemProblems.append("\(item.productionNumber): its record could not be read")
            }
        }
        if manifest.plan != BundleLayout.plan || manifest.custody.checkpoint != BundleLayout.custodyCheckpoint
            || manifest.custody.events != BundleLayout.custodyEvents || (manifest.custody.grants ?? BundleLayout.custodyGrants) != BundleLayout.custodyGrants {
            itemProblems.append("the manifest names its plan or custody files outside the bundle's layout")
        }
        var allowed: Set<String> = [BundleLayout.manifest, BundleLayout.manifestSignature, BundleLayout.checksums, BundleLayout.checksumsSignature,
                                    BundleLayout.verifyInstructions, BundleLayout.plan, BundleLayout.custodyCheckpoint, BundleLayout.custodyEvents,
                                    BundleLayout.custodyGrants, BundleLayout.issuerMinisignKey, BundleLayout.issuerKey, BundleLayout.approverKeys,
                                    BundleLayout.indexHTML, BundleLayout.indexCSV]
        for item in manifest.items { allowed.insert(item.file); allowed.insert(BundleLayout.recordFile(productionNumber: item.productionNumber)) }
        let outside = Set(members.keys).subtracting(allowed).subtracting(extraItems)
        if !outside.isEmpty { itemProblems.append("files outside the bundle's layout: " + outside.sorted().joined(separator: ", ")) }
        report.check("items", itemProblems.isEmpty, itemProblems.isEmpty ? "\(manifest.items.count) items match the manifest" : itemProblems.joined(separator: "; "))

    }

    /// The release plan (the approved files, records and masks) and the signatures of its approvals.
    private static func checkPlanAndApprovals(_ members: [String: Member], manifest: BundleManifest, kit: RecipientKit?,
                                              roles: [String: PinnedRole], custody: CustodyResult, into report: inout BundleReport) {
        if let planBytes = content(members, manifest.plan), Hex.encode(SHA256Digest.hash(planBytes)) == manifest.planSHA256,
           let plan = try? JSONDecoder().decode(ReleasePlan.self, from: Data(planBytes)) {
            var planProblems: [String] = []
            if plan.vault != manifest.vault || plan.recipient != manifest.recipient || plan.profile != manifest.profile || plan.policyHash != manifest.policyHash {
                planProblems.append("the plan names another vault, recipient, profile or policy than the manifest")
            }
            if Hex.encode(SHA256Digest.hash(Array(manifest.legalBasis.utf8))) != plan.basisSHA256 { planProblems.append("the legal basis differs from the approved one") }
            let releasedHashes = manifest.items.map(\.sha256)
            if plan.items.map(\.fileSHA256) != releasedHashes { planProblems.append("the released files are not the approved ones (changed after approval)") }
            for (planned, item) in zip(plan.items, manifest.items) {
                if let record = content(members, item.record), strippedRecordHash(record) != planned.recordSHA256 {
                    planProblems.append("\(item.productionNumber): the record differs from the approved one")
                }
                if planned.release != item.release { planProblems.append("\(item.productionNumber): released as \(item.release), approved as \(planned.release)") }
                // Custody belongs to this item: an ingest event in its record names the approved item.
                if !item.custodyEvents.contains(where: { custody.ingested[$0]?.contains(planned.item) == true }) {
                    planProblems.append("\(item.productionNumber): no ingest event of its custody record names the approved item")
                }
                let maskedInPlan = planned.regions.filter(\.masked).map(\.id).sorted()
                let maskedInManifest = item.redactions.filter { $0.action == "mask" }.map { String($0.target.dropFirst("region ".count)) }.sorted()
                if maskedInPlan != maskedInManifest { planProblems.append("\(item.productionNumber): the masked regions differ from the approved ones") }
            }
            report.check("release plan", planProblems.isEmpty, planProblems.isEmpty ? "the released files and records are the approved ones" : planProblems.joined(separator: "; "))

            let planHash = SHA256Digest.hash(planBytes)
            var approvers: [String] = []
            var approvalProblems: [String] = []
            var signingKeys = Set<[UInt8]>()
            for approval in manifest.approvals {
                guard let key = try? MemberPublicKey(line: approval.publicKey), key.keyIDHex == approval.keyID,
                      let signatureText = approval.signature, let signature = try? Base64.decode(signatureText),
                      key.verify(signature, message: ReleasePlan.approvalMessage(planHash: planHash), context: .disclosure) else {
                    approvalProblems.append("the approval of \(approval.keyID) does not verify")
                    continue
                }
                approvers.append("\(approval.keyID) (\(approval.role ?? "?"))")
                signingKeys.insert(key.signingKey)
                // The role a signature counts for comes from the kit or a proven grant, never from the manifest;
                // the whole key must be the pinned one (a key id is only 8 bytes).
                if kit != nil {
                    if let pinned = roles[approval.keyID], pinned.key == key {
                        if pinned.role != approval.role { approvalProblems.append("\(approval.keyID) is named a \(approval.role ?? "(no role)") but its proven role is \(pinned.role)") }
                    } else {
                        approvalProblems.append("not verified: the approver \(approval.keyID) is neither pinned by the kit nor granted a role by an entry proven in the cosigned checkpoint")
                    }
                }
            }
            report.approvers = approvers
            if !manifest.approvals.contains(where: { $0.keyID == plan.requester }) { approvalProblems.append("the requester did not sign") }
            if signingKeys.count < 2 { approvalProblems.append("fewer than two people approved (distinct signing keys)") }
            if kit == nil { approvalProblems.append("not verified: no recipient kit (--kit) pins who may approve, so the signatures prove nothing about roles") }
            report.check("approvals", approvalProblems.isEmpty,
                         approvalProblems.isEmpty ? "\(approvers.count) valid signatures over the release plan by members whose roles chain to the kit" : approvalProblems.joined(separator: "; "))
        } else {
            report.check("release plan", false, "\(manifest.plan) is missing or does not match the manifest")
        }

    }

    /// What the custody step established: the tree of a checkpoint the pinned custodians signed (nil when none
    /// did, or without a kit) and the content commitments of the `item.ingest` events, by event sequence number.
    struct CustodyResult {
        var tree: (size: UInt64, root: [UInt8])?
        var commitments: [UInt64: [UInt8]] = [:]
        /// The objects of each `item.ingest` event, by sequence number.
        var ingested: [UInt64: [String]] = [:]
    }

    /// Custody: the checkpoint carries the signatures or cosignatures of at least the kit's threshold of pinned
    /// custodians, and every event's inclusion proof leads to it. Events are not checked against their actors'
    /// keys (those are not in the bundle): the custodians' cosignatures vouch for the log. Without a kit the
    /// proofs are checked against the issuer's signature alone and reported as not verified.
    private static func checkCustody(_ members: [String: Member], manifest: BundleManifest, issuer: MemberPublicKey?, kit: RecipientKit?,
                                     into report: inout BundleReport) -> CustodyResult {
        var custodyProblems: [String] = []
        var result = CustodyResult()
        var cosignedBy = ""
        if let checkpointBytes = content(members, manifest.custody.checkpoint),
           let vaultID = try? Hex.decode(manifest.vault),
           let signed = try? SignedCheckpoint(parsing: checkpointBytes) {
            let custodians = kit?.custodianKeys ?? []
            let logSigners = custodians + (kit?.releaseSigners.compactMap { try? MemberPublicKey(line: $0.publicKey) } ?? []) + (issuer.map { [$0] } ?? [])
            let verification = signed.verify(vaultID: vaultID, logSigners: logSigners, cosigners: custodians)
            if case let .verified(verified) = verification {
                let root = verified.checkpoint.rootHash
                let size = verified.checkpoint.size
                if Hex.encode(root) != manifest.custody.rootHash || size != manifest.custody.treeSize {
                    custodyProblems.append("the checkpoint differs from the manifest")
                }
                if let kit {
                    let pinned = Set(kit.custodians.map(\.keyID))
                    let signers = Set(verified.cosignatures.map(\.cosigner.keyIDHex) + verified.logSigners.map(\.keyIDHex)).intersection(pinned)
                    if signers.count >= kit.threshold {
                        result.tree = (size, root)
                        cosignedBy = " cosigned by \(signers.count) of the \(pinned.count) pinned custodians"
                    } else {
                        custodyProblems.append("the checkpoint carries the signatures of \(signers.count) of the pinned custodians, \(kit.threshold) needed")
                    }
                } else {
                    custodyProblems.append("not verified: no recipient kit (--kit) pins the custodians whose cosignatures would vouch for the checkpoint")
                }
                if let eventsBytes = content(members, manifest.custody.events),
                   let events = try? JSONDecoder().decode([CustodyEvent].self, from: Data(eventsBytes)) {
                    for event in events {
                        guard event.sequence >= 1, let leaf = try? Base64.decode(event.leaf), let parsed = try? AuditEvent(leaf: leaf),
                              parsed.sequence == event.sequence else {
                            custodyProblems.append("event \(event.sequence) is malformed")
                            continue
                        }
                        if parsed.vaultID != vaultID { custodyProblems.append("event \(event.sequence) belongs to another vault") }
                        if parsed.action != event.action { custodyProblems.append("event \(event.sequence) is called \(event.action) but is \(parsed.action)") }
                        let proof = event.inclusionProof.compactMap { try? Hex.decode($0) }
                        if proof.count != event.inclusionProof.count
                            || !MerkleProof.verifyInclusion(leafHash: MerkleHash.leaf(leaf), leafIndex: event.sequence - 1, treeSize: size, proof: proof, root: root) {
                            custodyProblems.append("event \(event.sequence): its inclusion proof does not lead to the checkpoint")
                        }
                        if parsed.action == "item.ingest" {
                            if let commitment = parsed.commitments.first { result.commitments[event.sequence] = commitment }
                            result.ingested[event.sequence] = parsed.objects
                        }
                    }
                    let included = Set(events.map(\.sequence))
                    for item in manifest.items where !item.custodyEvents.allSatisfy(included.contains) {
                        custodyProblems.append("\(item.productionNumber): a custody event is missing")
                    }
                } else {
                    custodyProblems.append("\(manifest.custody.events) is missing or malformed")
                }
            } else {
                custodyProblems.append("the checkpoint does not verify (\(verification))")
            }
        } else {
            custodyProblems.append("\(manifest.custody.checkpoint) is missing or malformed")
        }
        if custodyProblems.isEmpty == false { result.tree = nil }
        report.check("custody", custodyProblems.isEmpty, custodyProblems.isEmpty ? "every event is in the checkpoint\(cosignedBy)" : custodyProblems.joined(separator: "; "))
        return result
    }

    /// The roles of the members who signed: those the kit pins, and those granted by governance entries whose
    /// applying events are proven in the cosigned checkpoint (`custody/grants.json`). Adds a "role grants"
    /// line when the bundle carries grants.
    private static func provenRoles(_ members: [String: Member], manifest: BundleManifest, kit: RecipientKit?,
                                    tree: (size: UInt64, root: [UInt8])?, grantReader: RoleGrantReader?,
                                    into report: inout BundleReport) -> [String: PinnedRole] {
        guard let kit else { return [:] }
        var roles = kit.releaseSignerRoles
        guard let file = manifest.custody.grants, let bytes = content(members, file) else { return roles }
        guard let grants = try? JSONDecoder().decode([RoleGrantProof].self, from: Data(bytes)) else {
            report.check("role grants", false, "\(file) is malformed")
            return roles
        }
        if grants.isEmpty { return roles }
        var problems: [String] = []
        var newest: [String: UInt64] = [:]
        let custodians = kit.custodianKeys
        for grant in grants {
            guard let tree, let grantReader else {
                problems.append("\(grant.member): not verified (\(tree == nil ? "no checkpoint the pinned custodians cosigned" : "no reader of governance entries"))")
                continue
            }
            guard let leaf = try? Base64.decode(grant.leaf), let event = try? AuditEvent(leaf: leaf), event.sequence == grant.sequence,
                  let entry = try? Base64.decode(grant.entry) else {
                problems.append("\(grant.member): the grant is malformed")
                continue
            }
            let proof = grant.inclusionProof.compactMap { try? Hex.decode($0) }
            guard proof.count == grant.inclusionProof.count,
                  MerkleProof.verifyInclusion(leafHash: MerkleHash.leaf(leaf), leafIndex: event.sequence - 1, treeSize: tree.size, proof: proof, root: tree.root) else {
                problems.append("\(grant.member): the grant's event is not in the cosigned checkpoint")
                continue
            }
            guard Hex.encode(event.vaultID) == manifest.vault, ["governance.add-member", "governance.set-role"].contains(event.action),
                  event.objects.count > 1, event.objects[1] == grant.member, event.governance?.head == SHA256Digest.hash(entry),
                  let granted = grantReader(entry, event.vaultID, custodians, kit.threshold), granted.key.keyIDHex == grant.member,
                  granted.role == grant.role else {
                problems.append("\(grant.member): the event and the entry (approved by \(kit.threshold) pinned custodians) do not grant it the role \(grant.role)")
                continue
            }
            guard kit.releaseRoles.contains(grant.role) else {
                problems.append("\(grant.member): \(withArticle(grant.role)) may neither issue nor approve a release")
                continue
            }
            if newest[grant.member].map({ event.sequence > $0 }) ?? true {
                newest[grant.member] = event.sequence
                roles[grant.member] = PinnedRole(key: granted.key, role: grant.role)
            }
        }
        report.check("role grants", problems.isEmpty, problems.isEmpty
                        ? "\(grants.count) role grant\(grants.count == 1 ? "" : "s") proven in the cosigned checkpoint"
                        : problems.joined(separator: "; "))
        return roles
    }

    /// Released originals: each opens the commitment of its ingest event.
    private static func checkCommitments(manifest: BundleManifest, ingestCommitments commitments: [UInt64: [UInt8]],
                                         into report: inout BundleReport) {
        var commitmentProblems: [String] = []
        var opened = 0
        for item in manifest.items {
            guard let opening = item.commitment else {
                if item.release == "original" { commitmentProblems.append("\(item.productionNumber): an original without its commitment opening") }
                continue
            }
            guard opening.originalSHA256 == item.sha256, let r = try? Hex.decode(opening.opening), r.count == 32,
                  let digest = try? Hex.decode(opening.originalSHA256), digest.count == 32 else {
                commitmentProblems.append("\(item.productionNumber): the commitment opening does not match the file")
                continue
            }
            let commitment = ContentCommitment.commit(contentDigest: digest, opening: r)
            if !item.custodyEvents.contains(where: { commitments[$0] == commitment }) {
                commitmentProblems.append("\(item.productionNumber): the file is not the one committed to at ingest")
            }
            opened += 1
        }
        report.check("commitments", commitmentProblems.isEmpty,
                     !commitmentProblems.isEmpty ? commitmentProblems.joined(separator: "; ")
                        : opened == 0 ? "no originals released (fresh derivatives only)"
                        : "\(opened) released original\(opened == 1 ? "" : "s") match their ingest commitments")
    }

    /// The record's SHA-256 without its `productionNumber` field, as the plan records it.
    static func strippedRecordHash(_ bytes: [UInt8]) -> String? {
        guard var object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else { return nil }
        object["productionNumber"] = nil
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]) else { return nil }
        return Hex.encode(SHA256Digest.hash(Array(data)))
    }
}

/// Reads the current tar entry's content as a byte source.
struct TarContentSource<S: ByteSource>: ByteSource {
    var reader: StrictTarReader<S>
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try reader.readContent(into: buffer)
    }
}
