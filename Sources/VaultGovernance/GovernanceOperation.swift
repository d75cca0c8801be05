import VaultPlatform
import VaultPolicy
import Foundation
import VaultCrypto

/// A proposed governance change, as a file that travels between custodians' machines and carries no secret
/// (recovery shares in it are sealed to a one-time key of the applying custodian).
///
/// Body (canonical, what every signature covers through its SHA-256, the operation id):
/// `lp("amanah-operation-v1") ‖ vault id (32) ‖ previous state hash (32) ‖ lp(change) ‖ expiry (8, ms, BE)
/// ‖ proposer key id (8) ‖ lp(nonce, 16 bytes)`.
/// The proposer signs the body (context `amanah/v1/operation`). Each approver signs
/// `operation id ‖ lp(sealed share or empty)` (context `amanah/v1/approval`).
public struct GovernanceOperation: Sendable, Equatable {
    /// One custodian's approval.
    public struct Approval: Sendable, Equatable {
        public var custodian: [UInt8]      // key id, 8 bytes
        public var signature: [UInt8]      // 64 bytes
        public var sealedShare: [UInt8]    // empty unless the change is a recovery

        public init(custodian: [UInt8], signature: [UInt8], sealedShare: [UInt8] = []) {
            self.custodian = custodian; self.signature = signature; self.sealedShare = sealedShare
        }
    }

    public static let formatName = "amanah-operation-v1"

    public var vaultID: [UInt8]
    public var previousState: [UInt8]
    public var change: Change
    public var expires: Int64
    public var proposer: [UInt8]
    public var nonce: [UInt8]
    public var proposerSignature: [UInt8]
    public var approvals: [Approval]

    public init(vaultID: [UInt8], previousState: [UInt8], change: Change, expires: Int64, proposer: [UInt8],
                nonce: [UInt8] = Random.bytes(16), proposerSignature: [UInt8] = [], approvals: [Approval] = []) {
        self.vaultID = vaultID; self.previousState = previousState; self.change = change; self.expires = expires
        self.proposer = proposer; self.nonce = nonce; self.proposerSignature = proposerSignature; self.approvals = approvals
    }

    /// The canonical body.
    public var body: [UInt8] {
        var out: [UInt8] = []
        out.appendLengthPrefixed(GovernanceOperation.formatName)
        out.append(contentsOf: vaultID)
        out.append(contentsOf: previousState)
        out.appendLengthPrefixed(change.encoding)
        out.appendBigEndian(UInt64(bitPattern: expires))
        out.append(contentsOf: proposer)
        out.appendLengthPrefixed(nonce)
        return out
    }

    /// The operation id: SHA-256 of the body (32 bytes).
    public var id: [UInt8] { SHA256Digest.hash(body) }

    /// The bytes an approver signs.
    public static func approvalMessage(operationID: [UInt8], sealedShare: [UInt8]) -> [UInt8] {
        var message = operationID
        message.appendLengthPrefixed(sealedShare)
        return message
    }

    /// Whether an approval's signature verifies under `key`.
    public func approvalVerifies(_ approval: Approval, key: MemberPublicKey) -> Bool {
        key.keyID == approval.custodian
            && key.verify(approval.signature, message: GovernanceOperation.approvalMessage(operationID: id, sealedShare: approval.sealedShare), context: .approval)
    }

    // MARK: file form

    /// The operation file's JSON text.
    public func fileContents() throws -> [UInt8] {
        let object: [String: Any] = [
            "format": GovernanceOperation.formatName,
            "vault": Hex.encode(vaultID),
            "previousState": Hex.encode(previousState),
            "change": change.json,
            "expires": expires,
            "expiresAt": Clock.format(milliseconds: expires),
            "proposer": Hex.encode(proposer),
            "nonce": Hex.encode(nonce),
            "proposerSignature": Base64.encode(proposerSignature),
            "approvals": approvals.map { approval -> [String: Any] in
                var entry: [String: Any] = ["custodian": Hex.encode(approval.custodian), "signature": Base64.encode(approval.signature)]
                if !approval.sealedShare.isEmpty { entry["sealedShare"] = Base64.encode(approval.sealedShare) }
                return entry
            },
        ]
        return Array(try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) + [0x0A]
    }

    /// Parses an operation file (structure only; signatures are checked against a governance state).
    /// - Throws: `VaultError.invalidInput` naming the file and field.
    public init(fileContents bytes: [UInt8], source: String) throws {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
            throw VaultError.invalidInput(source, "is not an operation file (not a JSON object)")
        }
        guard object["format"] as? String == GovernanceOperation.formatName else { throw VaultError.invalidInput(source, "is not an \(GovernanceOperation.formatName) file") }
        func hex(_ name: String, _ length: Int) throws -> [UInt8] {
            guard let text = object[name] as? String, let bytes = try? Hex.decode(text), bytes.count == length else {
                throw VaultError.invalidInput(source, "field \(name) is malformed")
            }
            return bytes
        }
        vaultID = try hex("vault", 32)
        previousState = try hex("previousState", 32)
        proposer = try hex("proposer", 8)
        nonce = try hex("nonce", 16)
        guard let expires = object["expires"] as? Int64 ?? (object["expires"] as? Int).map(Int64.init) else {
            throw VaultError.invalidInput(source, "field expires is malformed")
        }
        guard expires > 0 else { throw VaultError.invalidInput(source, "field expires is malformed") }
        self.expires = expires
        guard let changeObject = object["change"] as? [String: Any] else { throw VaultError.invalidInput(source, "field change is missing") }
        change = try Change(json: changeObject, source: source)
        guard let signatureText = object["proposerSignature"] as? String, let signature = try? Base64.decode(signatureText) else {
            throw VaultError.invalidInput(source, "field proposerSignature is malformed")
        }
        proposerSignature = signature
        guard let list = object["approvals"] as? [[String: Any]] else { throw VaultError.invalidInput(source, "field approvals is malformed") }
        approvals = try list.enumerated().map { index, entry in
            guard let custodianText = entry["custodian"] as? String, let custodian = try? Hex.decode(custodianText), custodian.count == 8,
                  let signatureText = entry["signature"] as? String, let signature = try? Base64.decode(signatureText) else {
                throw VaultError.invalidInput(source, "approval \(index + 1) is malformed")
            }
            var share: [UInt8] = []
            if let shareText = entry["sealedShare"] as? String {
                guard let decoded = try? Base64.decode(shareText) else { throw VaultError.invalidInput(source, "approval \(index + 1) share is malformed") }
                share = decoded
            }
            return Approval(custodian: custodian, signature: signature, sealedShare: share)
        }
    }
}
