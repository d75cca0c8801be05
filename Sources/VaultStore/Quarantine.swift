#if canImport(Glibc)
import VaultPlatform
import Glibc
#endif
import VaultCrypto

/// `VAULT/quarantine/`: sealed blobs that no item referred to when `amanah check` ran. A repair never
/// deletes such a blob (it may hold evidence whose database row was lost, for example after `vault.sqlite`
/// was restored from an older copy); it moves it here, in the same file system, by `rename` and folder
/// syncs, so that the move cannot lose it. A blob that an item refers to again is moved back.
public struct Quarantine: Sendable {
    /// The quarantine folder.
    public let root: String

    public init(root: String) { self.root = root }

    /// The file names in the folder, sorted (empty when the folder does not exist).
    /// - Throws: `StoreError.corrupted` if the path is not a real folder; `StoreError.io` if it cannot be listed.
    public func files() throws -> [String] {
        var info = stat()
        guard lstat(root, &info) == 0 else { return [] }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw StoreError.corrupted("\(root) is not a folder (a symbolic link?)")
        }
        let names: [String]
        do { names = try DurableFile.entries(of: root) } catch let error as SystemCallError {
            throw StoreError.io("list \(root)", String(cString: strerror(error.errno.rawValue)))
        }
        return names.sorted()
    }

    /// The blob ids of quarantined blobs (file names that are a blob id, or a blob id followed by `.N`).
    public func blobIDs() throws -> [String] {
        try files().compactMap { name in
            let id = String(name.prefix(32))
            guard BlobStore.isValidID(id), name.utf8.count == 32 || name.dropFirst(32).hasPrefix(".") else { return nil }
            return id
        }
    }

    /// Moves blob `id` from `blobs` into the quarantine folder, made when missing. A name already taken gets
    /// a suffix (`<id>.1`, ...), so nothing in quarantine is ever replaced.
    /// - Returns: the file name in the quarantine folder.
    /// - Throws: `StoreError.io` naming the path when the folder cannot be made or the move fails (the blob
    ///   then stays where it was).
    public func admit(_ id: String, from blobs: BlobStore) throws -> String {
        if !DurableFile.exists(root) {
            guard mkdir(root, 0o700) == 0 || errno == EEXIST else { throw StoreError.io("create \(root)", lastErrorText()) }
            try DurableFile.syncDirectory(root + "/..")
        }
        var name = id
        var suffix = 0
        while DurableFile.exists(root + "/" + name) {
            suffix += 1
            name = id + ".\(suffix)"
        }
        let from = blobs.path(of: id)
        // link + unlink instead of rename: rename would replace a file created meanwhile under `name`.
        guard link(from, root + "/" + name) == 0 else { throw StoreError.io("move \(from) to \(root)/\(name)", lastErrorText()) }
        try DurableFile.syncDirectory(root)
        guard unlink(from) == 0 else { throw StoreError.io("remove \(from) after copying it to quarantine", lastErrorText()) }
        try DurableFile.syncDirectory(blobs.root + "/" + String(id.prefix(2)))
        return name
    }

    /// Moves quarantined blob `id` (file name exactly `id`, or the first `id.N`) back into `blobs`, where its
    /// place must be empty.
    /// - Throws: `StoreError.io` naming the path when the move fails (the file then stays in quarantine).
    /// - Parameter named: the file name in quarantine (`id` or `id.N`); the first such file when nil.
    public func restore(_ id: String, named: String? = nil, into blobs: BlobStore) throws {
        guard let name = try named ?? files().first(where: { $0 == id || ($0.hasPrefix(id) && $0.dropFirst(32).hasPrefix(".")) }) else { return }
        var info = stat()
        guard lstat(root + "/" + name, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw StoreError.io("move \(root)/\(name) back", "it is not a regular file")
        }
        let folder = blobs.root + "/" + String(id.prefix(2))
        if !DurableFile.exists(folder) {
            guard mkdir(folder, 0o700) == 0 || errno == EEXIST else { throw StoreError.io("create \(folder)", lastErrorText()) }
            try DurableFile.syncDirectory(blobs.root)
        }
        let to = blobs.path(of: id)
        guard link(root + "/" + name, to) == 0 else { throw StoreError.io("move \(root)/\(name) back to \(to)", lastErrorText()) }
        try DurableFile.syncDirectory(folder)
        guard unlink(root + "/" + name) == 0 else { throw StoreError.io("remove \(root)/\(name) after moving it back", lastErrorText()) }
        try DurableFile.syncDirectory(root)
    }
}

extension BlobStore {
    /// Whether `path` is a temporary file of an interrupted blob write that may be removed: its name is
    /// exactly `.tmp-` and a blob id, it is a regular file, and it was last written before `startedAt`
    /// (nanoseconds since the epoch: the start of the checking process, `ProcessStart`). The checking process
    /// holds the vault's lock, so the process that wrote it has ended; the age is a second guard where locks
    /// do not work (a vault on a network file system, where a writer elsewhere keeps its file's time fresh).
    public static func isRemovableTemporary(_ path: String, startedAt: Int64) -> Bool {
        let name = path.split(separator: "/").last.map(String.init) ?? ""
        guard name.hasPrefix(temporaryPrefix), isValidID(String(name.dropFirst(temporaryPrefix.count))) else { return false }
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        return Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec) < startedAt
    }
}

/// When this process started, as the wall-clock time the program noted first thing (`mark()`), in
/// nanoseconds since the Unix epoch.
public enum ProcessStart {
    nonisolated(unsafe) private static var marked: Int64?

    /// Notes the current time as the process's start; the command-line entry point calls it before anything
    /// else. Later calls change nothing.
    public static func mark() {
        if marked == nil { marked = now() }
    }

    /// The noted start; when `mark()` was never called, one minute before now.
    public static var nanoseconds: Int64 { marked ?? (now() - 60_000_000_000) }

    private static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}
