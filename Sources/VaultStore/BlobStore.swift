#if canImport(Glibc)
import VaultPlatform
import Glibc
#endif
import VaultCrypto

/// Sealed originals under `VAULT/blobs/xx/<id>`: `id` is 32 random hex characters and `xx` its first two.
/// A new blob is written to a temporary file in its folder, fsynced, renamed into place and the folder
/// fsynced, before the database commit that refers to it; a crash leaves either a complete blob or a
/// temporary file that `check` removes. `check` never removes a complete blob: one that no item refers to
/// goes to `quarantine/` (`Quarantine`).
public struct BlobStore: Sendable {
    /// The `blobs` folder.
    public let root: String

    /// Temporary files start with this prefix.
    public static let temporaryPrefix = ".tmp-"

    /// Fetches a blob this folder lacks from elsewhere (a team vault's remote, set by the command that opened
    /// the vault); shared by every copy of this store.
    public let source = BlobSource()

    public init(root: String) { self.root = root }

    /// A fresh random blob id (16 bytes as 32 hex characters).
    public static func newID() -> String { Hex.encode(Random.bytes(16)) }

    /// Whether `id` has the form of a blob id.
    public static func isValidID(_ id: String) -> Bool {
        id.utf8.count == 32 && id.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// The path of blob `id`.
    public func path(of id: String) -> String {
        precondition(BlobStore.isValidID(id), "invalid blob id")
        return root + "/" + String(id.prefix(2)) + "/" + id
    }

    /// Writes a new blob durably. `body` writes the sealed bytes to the given handle.
    /// - Returns: the number of bytes in the blob.
    /// - Throws: whatever `body` throws, or `StoreError.io`; on failure no file is left behind.
    @discardableResult
    public func write(id: String, _ body: (FileHandleFD) throws -> Void) throws -> UInt64 {
        let folder = root + "/" + String(id.prefix(2))
        if !DurableFile.exists(folder) {
            guard mkdir(folder, 0o700) == 0 || errno == EEXIST else { throw StoreError.io("create \(folder)", lastErrorText()) }
            try DurableFile.syncDirectory(root)
        }
        let final = path(of: id)
        let temporary = folder + "/" + BlobStore.temporaryPrefix + id
        let handle = try FileHandleFD.createExclusive(temporary, mode: 0o600)
        do {
            try body(handle)
            try handle.sync()
            let size = try handle.size()
            try handle.close()
            guard rename(temporary, final) == 0 else { throw StoreError.io("rename \(temporary)", lastErrorText()) }
            try DurableFile.syncDirectory(folder)
            return size
        } catch {
            try? handle.close()
            unlink(temporary)
            throw error
        }
    }

    /// Opens blob `id` for reading.
    /// - Throws: `StoreError.missing` naming the blob if it is absent; `StoreError.corrupted` for a malformed id.
    public func open(id: String) throws -> FileHandleFD {
        guard BlobStore.isValidID(id) else { throw StoreError.corrupted("a blob id in the database is malformed; run `amanah check`") }
        let path = path(of: id)
        if !DurableFile.exists(path), let fetch = source.fetch, try fetch(id) {}
        guard DurableFile.exists(path) else { throw StoreError.missing("blob \(id)") }
        return try FileHandleFD.openForReading(path, followLinks: false)
    }

    /// Removes blob `id` (used when re-encrypting or rolling back a failed operation).
    public func remove(id: String) {
        unlink(path(of: id))
    }

    /// Every file under `blobs/`: (blob ids, temporary files, other unexpected entries), as paths relative
    /// to `root` for the last two.
    /// - Throws: `StoreError.corrupted` if `blobs` is not a real folder (a symbolic link would make clean-up
    ///   delete files outside the vault).
    public func inventory() throws -> (blobs: [String], temporaries: [String], unexpected: [String]) {
        var rootInfo = stat()
        guard lstat(root, &rootInfo) == 0, (rootInfo.st_mode & S_IFMT) == S_IFDIR else {
            throw StoreError.corrupted("\(root) is not a folder (a symbolic link?); refusing to clean up through it")
        }
        var blobs: [String] = [], temporaries: [String] = [], unexpected: [String] = []
        for folder in try list(root) {
            let folderPath = root + "/" + folder
            guard isDirectory(folderPath), folder.utf8.count == 2 else { unexpected.append(folder); continue }
            for name in try list(folderPath) {
                if name.hasPrefix(BlobStore.temporaryPrefix) { temporaries.append(folder + "/" + name) }
                else if BlobStore.isValidID(name) && name.hasPrefix(folder) { blobs.append(name) }
                else { unexpected.append(folder + "/" + name) }
            }
        }
        return (blobs.sorted(), temporaries.sorted(), unexpected.sorted())
    }

    private func list(_ path: String) throws -> [String] {
        do { return try DurableFile.entries(of: path) } catch let error as SystemCallError {
            throw StoreError.io("list \(path)", String(cString: strerror(error.errno.rawValue)))
        }
    }

    private func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }
}

/// Where a vault folder gets a sealed blob it lacks (a clone made with `--metadata-only` fetches each blob
/// from its remote when it is first read): `fetch(id)` stores the blob with `BlobStore.write` after checking
/// it, and returns whether it did.
public final class BlobSource: @unchecked Sendable {
    public var fetch: ((String) throws -> Bool)?
    public init() {}
}
