import Foundation
import Vault
import VaultCrypto
import VaultGovernance
import VaultPlatform
import VaultRemote
import VaultStore
#if canImport(Glibc)
import Glibc
#endif

/// A new machine joins a vault from its remote (`amanah clone`): the remote's genesis, checked against the
/// vault id the person was given out of band, and the log's first position (`vault.init`, checked as every
/// received position is), written into a new folder beside the target and renamed into place; `SyncEngine`
/// then receives the rest.
public enum CloneVault {
    /// Creates the vault folder `path` from `store`.
    /// - Parameter expectedVaultID: 64 hex digits (any case).
    /// - Throws: `VaultError.invalidInput` for a malformed id or an unusable `path`; `VaultError.exists` when
    ///   `path` exists and is not empty; `VaultError.unexpectedVault` when the remote holds another vault;
    ///   `SyncError.refused` for a remote without a vault or whose first position does not verify;
    ///   `RemoteError`. Nothing is left at `path` on failure.
    public static func create(at path: String, from store: any RemoteStore, expectedVaultID: String) throws {
        let wanted = expectedVaultID.trimmingCharacters(in: .whitespaces).lowercased()
        guard wanted.count == 64, wanted.allSatisfy(\.isHexDigit) else {
            throw VaultError.invalidInput("--expect-vault", "a vault id is 64 hex digits (as amanah init printed it)")
        }
        let paths = VaultPaths(root: path)
        if DurableFile.exists(paths.root) {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: paths.root)) ?? ["?"]
            guard entries.isEmpty else { throw VaultError.exists(paths.root) }
        }
        let parent = DurableFile.directory(of: paths.root)
        guard DurableFile.exists(parent) else { throw VaultError.invalidInput(path, "the parent folder \(parent) does not exist") }
        guard let genesisBytes = try store.get(SyncEngine.genesisKey, limit: 1 << 20) else {
            throw SyncError.refused("the remote \(store.label) holds no vault (no vault.json)")
        }
        let genesis: Genesis
        do { genesis = try Genesis(fileContents: genesisBytes); try genesis.verify() } catch {
            throw SyncError.refused("the remote \(store.label) holds a vault.json that does not verify as an Amanah genesis (\(error))")
        }
        guard Hex.encode(genesis.vaultID) == wanted else {
            throw VaultError.unexpectedVault(store.label, Hex.encode(genesis.vaultID), wanted)
        }
        guard let first = try store.get(RemoteLogObject.key(1), limit: SyncEngine.objectLimit) else {
            throw SyncError.refused("the remote \(store.label) holds the vault's genesis but no log yet (the vault's creator has not synced)")
        }
        let object: RemoteLogObject
        do { object = try RemoteLogSegment(encoding: first).objects[0] } catch {
            throw SyncError.refused("the log segment at position 1 on \(store.label) does not parse: \(error)")
        }

        let temporary = parent + "/." + DurableFile.lastComponent(of: paths.root) + ".clone-" + Hex.encode(Random.bytes(6))
        guard mkdir(temporary, 0o700) == 0 else { throw VaultError.failed("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        do {
            guard mkdir(temporary + "/blobs", 0o700) == 0 else { throw VaultError.failed("cannot create \(temporary)/blobs") }
            try DurableFile.write(to: temporary + "/vault.json", mode: 0o644, overwrite: false) { handle in
                try genesisBytes.withUnsafeBytes { try handle.write($0) }
            }
            do {
                let database = try VaultDatabase(path: temporary + "/vault.sqlite", create: true)
                try database.write { db in
                    var verifier = try Verifier(genesis: genesis, database: database, db: db)
                    try verifier.apply(object, at: 1, db)
                    guard try VaultMetaRow.vaultID(db).map(Array.init) == genesis.vaultID else {
                        throw SyncError.refused("log position 1 on \(store.label) does not set up this vault")
                    }
                }
                try database.truncateWAL()
            }
            if DurableFile.exists(paths.root) { rmdir(paths.root) }
            guard rename(temporary, paths.root) == 0 else { throw VaultError.failed("cannot rename \(temporary) to \(paths.root): \(String(cString: strerror(errno)))") }
            try DurableFile.syncDirectory(parent)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }
}
