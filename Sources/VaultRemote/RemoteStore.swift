import Foundation
import VaultCrypto
import VaultPlatform
#if canImport(Glibc)
import Glibc
#endif

/// The few calls a team vault makes on its remote, the same for an S3 bucket (`S3Store`) and a folder on
/// removable media (`FolderStore`). Keys are relative paths below the remote's root (`log/0000000000000001`,
/// `blobs/<id>`); values are immutable once created. Synchronous: the sync engine runs inside the vault's
/// write transaction and on the command's thread.
public protocol RemoteStore: AnyObject {
    /// A name for messages (the remote's URL).
    var label: String { get }
    /// Creates `key` with `bytes` only when no object has that key: true when it was created, false when one
    /// existed (S3 `If-None-Match: *`; an exclusive link on a folder). A created object is complete.
    /// - Throws: `RemoteError`.
    func create(_ key: String, bytes: [UInt8]) throws -> Bool
    /// The object `key`, nil when there is none; at most `limit` bytes.
    /// - Throws: `RemoteError` (also for an object above `limit`).
    func get(_ key: String, limit: Int) throws -> [UInt8]?
    /// Creates `key` from the file at `path` (`size` bytes) when no object has that key, reading it a part at a
    /// time (memory stays flat whatever the size); an unfinished earlier upload of it is resumed. True when it
    /// was created, false when it existed.
    /// - Throws: `RemoteError`; file errors.
    func upload(_ key: String, path: String, size: Int64) throws -> Bool
    /// `upload` of each file, up to `concurrency` at a time (files of at most 8 MiB: each is read whole); returns
    /// for each whether it was created. Stops at the first error (no new upload starts) and throws it.
    /// - Throws: `RemoteError`; file errors.
    func uploadMany(_ files: [(key: String, path: String, size: Int64)], concurrency: Int) throws -> [Bool]
    /// Parts of unfinished uploads that uploads by this store found already on the remote and did not send again.
    var resumedParts: Int { get }
    /// Streams the object `key` into `handle` (at most `limit` bytes); returns its size, nil when there is none.
    /// - Throws: `RemoteError` (`tooLarge` above `limit`); file errors.
    func download(_ key: String, limit: Int64, into handle: FileHandleFD) throws -> Int64?
    /// The keys that start with `prefix`, sorted (UTF-8 binary order), after `startAfter` when given, each with
    /// a tag that changes when the object is rewritten (S3's entity tag; a folder's SHA-256 of the file).
    /// - Throws: `RemoteError`.
    func list(_ prefix: String, startAfter: String?) throws -> [(key: String, tag: String)]
    /// Why the remote does not keep the Object Lock retention this store writes `key` under, nil when it
    /// keeps it or none is asked.
    /// - Throws: `RemoteError`.
    func retentionProblem(_ key: String) throws -> String?
    /// Closes what the store holds open (connections). Call once, when done.
    func close()
}

/// A remote in a folder (`file:///PATH`), for carrying a vault across a border on removable media. Each object
/// is a file written to a temporary name, synced, then linked to its key (`link` fails when the key exists:
/// the exclusive create), and the folder synced.
public final class FolderStore: RemoteStore {
    public let root: String
    public var label: String { "file://" + root }

    /// A store in folder `root`, which must exist (Amanah creates its subfolders, never the folder itself).
    /// - Throws: `RemoteError.failed` when `root` is not a folder.
    public init(root: String) throws {
        var info = stat()
        guard stat(root, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw RemoteError.folder("the folder remote \(root) does not exist or is not a folder (create it, or mount the medium)")
        }
        self.root = root
    }

    private func path(_ key: String) -> String { root + "/" + key }

    public func create(_ key: String, bytes: [UInt8]) throws -> Bool {
        let target = path(key)
        let folder = DurableFile.directory(of: target)
        try makeFolders(folder)
        let temporary = folder + "/.tmp-" + Hex.encode(Random.bytes(8))
        do {
            // A fresh random name: written through rename(2), which FAT has, unlike link(2).
            try DurableFile.write(to: temporary, mode: 0o644, overwrite: true) { handle in try bytes.withUnsafeBytes { try handle.write($0) } }
        } catch { throw RemoteError.folder("cannot write \(temporary): \(error)") }
        defer { unlink(temporary) }
        return try publish(temporary, as: target)
    }

    /// Gives the complete file `temporary` the name `target` only when no file has it: `link(2)`, or on FAT
    /// (no links) `rename(2)` under an exclusive lock on the remote folder.
    private func publish(_ temporary: String, as target: String) throws -> Bool {
        let folder = DurableFile.directory(of: target)
        if link(temporary, target) == 0 {
            try? DurableFile.syncDirectory(folder)
            return true
        }
        let code = errno
        if code == EEXIST { return false }
        guard code == EPERM || code == ENOTSUP || code == EOPNOTSUPP || code == ENOSYS else {
            throw RemoteError.folder("cannot create \(target): \(String(cString: strerror(code)))")
        }
        // FAT (a USB stick) has no link(2): under an exclusive lock on the remote folder, a key that does not
        // exist yet is created by rename(2), which is atomic there too.
        let lockPath = root + "/.amanah-lock"
        let lock = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard lock >= 0 else { throw RemoteError.folder("cannot open \(lockPath): \(String(cString: strerror(errno)))") }
        defer { Glibc.close(lock) }
        _ = flock(lock, LOCK_EX)
        if DurableFile.exists(target) { return false }
        guard rename(temporary, target) == 0 else {
            throw RemoteError.folder("cannot create \(target): \(String(cString: strerror(errno)))")
        }
        try? DurableFile.syncDirectory(folder)
        return true
    }

    public func get(_ key: String, limit: Int) throws -> [UInt8]? {
        let target = path(key)
        guard DurableFile.exists(target) else { return nil }
        let input = try openRegular(target)
        defer { try? input.close() }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n: Int
            do { n = try buffer.withUnsafeMutableBytes { try input.read(into: $0) } } catch { throw RemoteError.folder("cannot read \(target): \(error)") }
            if n == 0 { return bytes }
            guard bytes.count + n <= limit else { throw RemoteError.tooLarge("read \(target)", limit) }
            bytes += buffer[0..<n]
        }
    }

    /// Opens a file of the remote for reading only when it is a regular file: never through a symbolic link,
    /// and without waiting on a FIFO or a device someone put there.
    /// - Throws: `RemoteError.folder` naming the path.
    private func openRegular(_ path: String) throws -> FileHandleFD {
        let fd = Glibc.open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw RemoteError.folder("cannot open \(path): \(String(cString: strerror(errno)))") }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            Glibc.close(fd)
            throw RemoteError.folder("\(path) is not a regular file; the remote holds only files Amanah wrote")
        }
        return FileHandleFD(fd: fd, path: path)
    }

    /// One after another: a folder is a local disk, where parallel copies gain nothing.
    public func uploadMany(_ files: [(key: String, path: String, size: Int64)], concurrency: Int) throws -> [Bool] {
        try files.map { try upload($0.key, path: $0.path, size: $0.size) }
    }

    /// A folder copy is never left half done under its key: nothing to resume.
    public var resumedParts: Int { 0 }

    public func upload(_ key: String, path source: String, size: Int64) throws -> Bool {
        let target = path(key)
        if DurableFile.exists(target) { return false }
        let folder = DurableFile.directory(of: target)
        try makeFolders(folder)
        let temporary = folder + "/.tmp-" + Hex.encode(Random.bytes(8))
        defer { unlink(temporary) }
        do {
            let input = try FileHandleFD.openForReading(source)
            defer { try? input.close() }
            try DurableFile.write(to: temporary, mode: 0o644, overwrite: true) { output in
                var buffer = [UInt8](repeating: 0, count: 1 << 20)
                while true {
                    let n = try buffer.withUnsafeMutableBytes { try input.read(into: $0) }
                    if n == 0 { break }
                    try buffer.withUnsafeBytes { try output.write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                }
            }
        } catch { throw RemoteError.folder("cannot copy \(source) to \(temporary): \(error)") }
        return try publish(temporary, as: target)
    }

    public func download(_ key: String, limit: Int64, into handle: FileHandleFD) throws -> Int64? {
        let source = path(key)
        guard DurableFile.exists(source) else { return nil }
        let input = try openRegular(source)
        defer { try? input.close() }
        do {
            var total: Int64 = 0
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let n = try buffer.withUnsafeMutableBytes { try input.read(into: $0) }
                if n == 0 { return total }
                total += Int64(n)
                guard total <= limit else { throw RemoteError.tooLarge("read \(source)", Int(clamping: limit)) }
                try buffer.withUnsafeBytes { try handle.write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            }
        } catch let error as RemoteError { throw error } catch let error as SystemCallError where error.operation.contains(handle.path) {
            throw error
        } catch { throw RemoteError.folder("cannot read \(source): \(error)") }
    }

    public func list(_ prefix: String, startAfter: String?) throws -> [(key: String, tag: String)] {
        // Keys are a few folders deep at most (`log/…`, `blobs/…`, `inbox/<client>/blobs/…`): walk from the folder
        // the prefix names, never through a symbolic link.
        let folder = prefix.contains("/") ? String(prefix[..<prefix.lastIndex(of: "/")!]) : ""
        var keys: [String] = []
        func walk(_ folder: String, depth: Int) throws {
            let directory = folder.isEmpty ? root : path(folder)
            guard DurableFile.exists(directory) else { return }
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
                throw RemoteError.folder("cannot list \(directory): \(error)")
            }
            for name in names where !name.hasPrefix(".") {
                let key = folder.isEmpty ? name : folder + "/" + name
                var info = stat()
                if depth < 3, lstat(path(key), &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, key.hasPrefix(prefix) || prefix.hasPrefix(key + "/") {
                    try walk(key, depth: depth + 1)
                } else {
                    keys.append(key)
                }
            }
        }
        try walk(folder, depth: 0)
        return keys
            .filter { key in key.hasPrefix(prefix) && (startAfter.map { $0.utf8.lexicographicallyPrecedes(key.utf8) } ?? true) }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            .map { key in (key, tag(of: key)) }
    }

    /// A file's tag: the SHA-256 of a log object or checkpoint (at most 64 MiB, the most a sync reads of one),
    /// else its size; an unreadable file gets an empty tag (and is refused when read).
    private func tag(of key: String) -> String {
        guard key.hasPrefix("log/") || key.hasPrefix("checkpoints/"), let file = try? openRegular(path(key)) else {
            var info = stat()
            return stat(path(key), &info) == 0 ? "size:\(info.st_size)" : ""
        }
        defer { try? file.close() }
        var hash = ContentHasher()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var total = 0
        while let n = try? buffer.withUnsafeMutableBytes({ try file.read(into: $0) }), n > 0 {
            total += n
            if total > 64 << 20 { return "large:\(total)" }
            hash.update(Array(buffer[0..<n]))
        }
        return Hex.encode(hash.finalize())
    }

    /// A folder keeps no retention (remotes.json refuses a lock on a folder remote).
    public func retentionProblem(_ key: String) throws -> String? { nil }

    public func close() {}

    private func makeFolders(_ folder: String) throws {
        guard !DurableFile.exists(folder) else { return }
        try makeFolders(DurableFile.directory(of: folder))
        if mkdir(folder, 0o755) != 0 && errno != EEXIST {
            throw RemoteError.folder("cannot create \(folder): \(String(cString: strerror(errno)))")
        }
    }
}

/// A remote in an S3 bucket, through `S3Client`, each call run to completion on the caller's thread.
public final class S3Store: RemoteStore {
    public let client: S3Client
    /// Seconds of Object Lock retention for every object written, nil for none.
    public let retentionSeconds: Int64?
    public var label: String { "s3://" + client.location.bucket + (client.location.prefix.isEmpty ? "" : "/" + client.location.prefix.dropLast()) }

    public init(client: S3Client, retentionDays: Int?) {
        self.client = client
        retentionSeconds = retentionDays.map { Int64($0) * 86_400 }
    }

    public func create(_ key: String, bytes: [UInt8]) throws -> Bool {
        let until = retentionSeconds.map { Int64(Date().timeIntervalSince1970) + $0 }
        return try run { [client] in try await client.put(key, body: bytes, ifNoneMatch: true, retainUntil: until) } == .created
    }

    public func get(_ key: String, limit: Int) throws -> [UInt8]? {
        try run { [client] in try await client.get(key, limit: limit) }
    }

    public var resumedParts: Int { resumed.value }
    private let resumed = PartCount()

    public func upload(_ key: String, path: String, size: Int64) throws -> Bool {
        let until = retentionSeconds.map { Int64(Date().timeIntervalSince1970) + $0 }
        return try run { [client, resumed] in
            try await client.putFile(key, path: path, size: size, retainUntil: until, resumed: { count in resumed.add(count) })
        } == .created
    }

    /// The uploads run as child tasks of one task, `concurrency` at a time, on the client's pooled connections:
    /// no thread per upload (on two cores, threads waiting for each answer cost more than the requests).
    public func uploadMany(_ files: [(key: String, path: String, size: Int64)], concurrency: Int) throws -> [Bool] {
        let until = retentionSeconds.map { Int64(Date().timeIntervalSince1970) + $0 }
        let items = files.map { UploadItem(key: $0.key, path: $0.path, size: $0.size) }
        return try run { [client, resumed] in
            try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
                var created = Array(repeating: false, count: items.count)
                var next = 0
                func start() {
                    let index = next, item = items[index]
                    next += 1
                    group.addTask {
                        let outcome = try await client.putFile(item.key, path: item.path, size: item.size, retainUntil: until,
                                                               resumed: { count in resumed.add(count) })
                        return (index, outcome == .created)
                    }
                }
                while next < items.count && next < max(1, concurrency) { start() }
                while let (index, made) = try await group.next() {
                    created[index] = made
                    if next < items.count { start() }
                }
                return created
            }
        }
    }

    public func download(_ key: String, limit: Int64, into handle: FileHandleFD) throws -> Int64? {
        try run { [client] in
            try await client.download(key, limit: limit, restart: {
                guard ftruncate(handle.fd, 0) == 0, lseek(handle.fd, 0, SEEK_SET) == 0 else { throw SystemCallError("truncate \(handle.path)") }
            }, sink: { bytes in try bytes.withUnsafeBytes { try handle.write($0) } })
        }
    }

    public func list(_ prefix: String, startAfter: String?) throws -> [(key: String, tag: String)] {
        try run { [client] in try await client.listObjects(prefix, startAfter: startAfter).map { ObjectTag(key: $0.key, tag: $0.tag) } }.map { ($0.key, $0.tag) }
    }

    public func retentionProblem(_ key: String) throws -> String? {
        guard retentionSeconds != nil else { return nil }
        let found = try run { [client] in try await client.retention(key).map { ObjectTag(key: $0.mode, tag: $0.until) } }
        guard let found else { return "\(label) keeps no Object Lock retention on \(key): the bucket does not honour Object Lock (create it with Object Lock enabled)" }
        guard found.key == "COMPLIANCE" else { return "\(label) keeps \(key) under Object Lock mode \(found.key), not COMPLIANCE" }
        return nil
    }

    public func close() { try? run { [client] in try await client.shutdown() } }

    private func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        try runBlocking(body)
    }
}

/// One file of `S3Store.uploadMany`.
private struct UploadItem: Sendable { var key: String; var path: String; var size: Int64 }

/// A count shared with the upload tasks.
private final class PartCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func add(_ n: Int) { lock.withLock { count += n } }
}

private struct ObjectTag: Sendable { var key: String; var tag: String }

