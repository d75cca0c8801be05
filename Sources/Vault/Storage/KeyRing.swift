import VaultPolicy
import GRDB
import VaultCrypto
import VaultStore

/// A secret held by reference, so that it can sit in collections; the bytes stay in secure memory.
public final class SecretBox: @unchecked Sendable {
    public let bytes: SecretBytes
    public init(_ bytes: consuming SecretBytes) { self.bytes = bytes }
}

/// An unlocked identity held by reference for the duration of a command.
public final class IdentityBox: @unchecked Sendable {
    public let identity: Identity
    public init(_ identity: consuming Identity) { self.identity = identity }
    public var keyIDHex: String { identity.publicKey.keyIDHex }
}

/// The compartment keys a member holds, unwrapped on first use from the wraps sealed to their X25519 key.
/// Holding a compartment's secret key is what read access means; `secret(for:)` fails with "not permitted"
/// when no wrap exists for this member.
public final class KeyRing: @unchecked Sendable {
    private let identity: IdentityBox
    private var secrets: [String: SecretBox] = [:]

    public init(identity: IdentityBox) { self.identity = identity }

    /// The secret (kind "secret") or index key (kind "index") of `compartment` at `generation`.
    /// - Throws: `VaultError.notPermitted` when the member holds no such key; `VaultError.integrity` when a
    ///   wrap exists but does not open.
    public func key(_ kind: String, of compartment: Compartment, generation: Int64, db: Database) throws -> SecretBox {
        let cacheKey = "\(kind)/\(compartment.rawValue)/\(generation)"
        if let cached = secrets[cacheKey] { return cached }
        guard let wrap = try KeyWrapRow.fetchOne(db, key: ["compartment": compartment.rawValue, "generation": generation,
                                                           "kind": kind, "holder": identity.keyIDHex]) else {
            throw VaultError.notPermitted("you hold no \(kind == "index" ? "index key" : "key") for the \(compartment.rawValue) compartment")
        }
        let opened: SecretBytes
        do { opened = try identity.identity.openSealedBox(Array(wrap.sealed)) } catch {
            throw VaultError.integrity("the \(compartment.rawValue) key sealed to you does not open")
        }
        let box = SecretBox(opened)
        secrets[cacheKey] = box
        return box
    }

    /// Whether the member holds a key without unwrapping it.
    public func holds(_ kind: String, of compartment: Compartment, generation: Int64, db: Database) throws -> Bool {
        try KeyWrapRow.fetchOne(db, key: ["compartment": compartment.rawValue, "generation": generation,
                                          "kind": kind, "holder": identity.keyIDHex]) != nil
    }
}
