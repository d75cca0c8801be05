import Foundation
import VaultCrypto
import VaultPolicy

/// The exact release a disclosure request asks for and its approvals sign: for every item, what file is
/// released (a fresh derivative or the original) with its SHA-256 and size, the regions and whether each is
/// masked, and the SHA-256 of the redacted record released with it; plus the recipient, profile, policy hash
/// and the legal basis's hash. `disclose issue` recomputes it and refuses if a single byte differs.
///
/// Serialised as JSON with sorted keys (`plan.json` in the bundle); approvals sign SHA-256 of exactly those
/// bytes (context `amanah/v1/disclosure`, message `"disclosure" ‖ plan hash`).
public struct ReleasePlan: Codable, Equatable, Sendable {
    public struct Region: Codable, Equatable, Sendable {
        public var id: String
        public var category: String
        public var x: Int, y: Int, width: Int, height: Int
        public var displayWidth: Int, displayHeight: Int
        public var masked: Bool
        /// SHA-256 of the region's reason, in plans made before issue 16 only (nil, and absent from the JSON,
        /// since): a short reason's hash could be found by trying likely texts, and the plan travels in the
        /// bundle. Reasons are internal; a bundle carries the category code and its description.
        public var reasonSHA256: String?
        /// Memberwise.
        public init(id: String, category: String, x: Int, y: Int, width: Int, height: Int, displayWidth: Int, displayHeight: Int, masked: Bool,
                    reasonSHA256: String? = nil) {
            self.id = id; self.category = category; self.x = x; self.y = y; self.width = width; self.height = height; self.displayWidth = displayWidth; self.displayHeight = displayHeight; self.masked = masked; self.reasonSHA256 = reasonSHA256
        }

        /// The region without the hash of its reason (which plans made before issue 16 carry): what must be
        /// unchanged between approval and issue.
        public var withoutReasonHash: Region { var copy = self; copy.reasonSHA256 = nil; return copy }
    }

    public struct Item: Codable, Equatable, Sendable {
        /// The vault's item id.
        public var item: String
        /// The item's case.
        public var caseID: String
        /// "derivative" (a fresh file without metadata) or "original" (byte for byte).
        public var release: String
        /// File extension of the released file ("jpg", "png", or the original's).
        public var fileExtension: String
        /// SHA-256 (hex) and size (bytes) of the released file.
        public var fileSHA256: String
        public var fileSize: Int64
        /// The regions and what the profile does with each.
        public var regions: [Region]
        /// SHA-256 (hex) of the redacted record released with the item (`records/<production no>.json`
        /// without its production number field).
        public var recordSHA256: String
        /// Memberwise.
        public init(item: String, caseID: String, release: String, fileExtension: String, fileSHA256: String, fileSize: Int64, regions: [Region], recordSHA256: String) {
            self.item = item; self.caseID = caseID; self.release = release; self.fileExtension = fileExtension; self.fileSHA256 = fileSHA256; self.fileSize = fileSize; self.regions = regions; self.recordSHA256 = recordSHA256
        }
    }

    public var format = "amanah-release-plan-v1"
    public var vault: String
    public var recipient: String
    public var profile: String
    public var policyHash: String
    public var basisSHA256: String
    public var requester: String
    public var created: String
    public var nonce: String
    public var items: [Item]

    /// The canonical bytes (sorted-key JSON, no escaped slashes).
    public func canonicalBytes() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        return Array(try encoder.encode(self)) + [0x0A]
    }

    /// The bytes approvers sign after the context: `"disclosure"` ‖ SHA-256(canonical bytes).
    public static func approvalMessage(planHash: [UInt8]) -> [UInt8] { Array("disclosure".utf8) + planHash }

    /// The items' content as compared by `issue`: everything except the requester's timestamp and nonce.
    public func sameRelease(as other: ReleasePlan) -> Bool {
        vault == other.vault && recipient == other.recipient && profile == other.profile && policyHash == other.policyHash
            && basisSHA256 == other.basisSHA256 && items == other.items
    }
    /// Memberwise.
    public init(vault: String, recipient: String, profile: String, policyHash: String, basisSHA256: String, requester: String, created: String, nonce: String, items: [Item]) {
        self.vault = vault; self.recipient = recipient; self.profile = profile; self.policyHash = policyHash; self.basisSHA256 = basisSHA256; self.requester = requester; self.created = created; self.nonce = nonce; self.items = items
    }
}

/// A disclosure request file: the plan (verbatim bytes), the legal basis, and the signatures of the requester
/// and approvers over the plan. It carries no secret; it travels between the requester and approvers.
public struct DisclosureRequest: Sendable, Equatable {
    public struct Signature: Sendable, Equatable {
        public var keyID: String
        public var signature: [UInt8]
        /// Memberwise.
        public init(keyID: String, signature: [UInt8]) {
            self.keyID = keyID; self.signature = signature
        }
    }

    public static let formatName = "amanah-disclosure-request-v1"

    /// The plan's exact bytes (what signatures cover through its hash).
    public var planBytes: [UInt8]
    /// The legal basis text (its SHA-256 is in the plan).
    public var basis: String
    /// The requester's signature first, then approvers in the order they signed.
    public var signatures: [Signature]

    public var plan: ReleasePlan {
        get throws {
            do { return try JSONDecoder().decode(ReleasePlan.self, from: Data(planBytes)) } catch {
                throw DisclosureError.invalidInput("request", "its release plan is malformed")
            }
        }
    }

    /// SHA-256 of the plan bytes (32 bytes).
    public var planHash: [UInt8] { SHA256Digest.hash(planBytes) }

    public init(planBytes: [UInt8], basis: String, signatures: [Signature]) {
        self.planBytes = planBytes; self.basis = basis; self.signatures = signatures
    }

    public func fileContents() throws -> [UInt8] {
        let object: [String: Any] = [
            "format": DisclosureRequest.formatName,
            "plan": Base64.encode(planBytes),
            "basis": basis,
            "signatures": signatures.map { ["keyID": $0.keyID, "signature": Base64.encode($0.signature)] },
        ]
        return Array(try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) + [0x0A]
    }

    /// Parses a request file.
    /// - Throws: `DisclosureError.invalidInput` naming the file and field.
    public init(fileContents bytes: [UInt8], source: String) throws {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any],
              object["format"] as? String == DisclosureRequest.formatName else {
            throw DisclosureError.invalidInput(source, "is not an \(DisclosureRequest.formatName) file")
        }
        guard let planText = object["plan"] as? String, let plan = try? Base64.decode(planText) else {
            throw DisclosureError.invalidInput(source, "field plan is malformed")
        }
        guard let basis = object["basis"] as? String else { throw DisclosureError.invalidInput(source, "field basis is missing") }
        guard let list = object["signatures"] as? [[String: String]] else { throw DisclosureError.invalidInput(source, "field signatures is malformed") }
        planBytes = plan
        self.basis = basis
        signatures = try list.enumerated().map { index, entry in
            guard let keyID = entry["keyID"], let text = entry["signature"], let signature = try? Base64.decode(text) else {
                throw DisclosureError.invalidInput(source, "signature \(index + 1) is malformed")
            }
            return Signature(keyID: keyID, signature: signature)
        }
    }
}
