#if canImport(Glibc)
import VaultPlatform
import Glibc
import VaultGovernance
#endif
internal import CPlatform
import VaultCrypto

/// Puts a finished file into a folder the user named, on any local file system: ext4 and tmpfs, and also the
/// FAT and exFAT of the removable media that bundles travel on, where `link()` fails with EPERM and
/// `renameat2(RENAME_NOREPLACE)` is not offered.
///
/// The file is first written completely under a partial name in the target folder
/// (`.amanah-partial-<16 hex digits>.tmp`, see `createPartial`), which its writer holds an exclusive `flock`
/// on; the caller fsyncs it; `place` then gives it its final name without replacing anything that exists
/// and fsyncs the folder. Partial files whose writer died (a crash, `kill -9`, a pulled plug; the lock went
/// with the process) are removed by the next command that writes into the same folder (`removeLeftovers`).
package enum OutputFile {
    /// The name prefix of partial files.
    static let partialPrefix = ".amanah-partial-"
    /// The name suffix of partial files.
    static let partialSuffix = ".tmp"

    /// A partial file being written: its path and its open descriptor, which holds the file's `flock`.
    package struct Partial {
        /// The partial file's path, in the target folder.
        package let path: String
        /// Open for writing; closing it releases the lock.
        package let handle: FileHandleFD
    }

    /// Whether `name` (a last path component) is a partial file of an interrupted write.
    static func isPartialName(_ name: String) -> Bool {
        guard name.hasPrefix(partialPrefix), name.hasSuffix(partialSuffix) else { return false }
        let middle = name.dropFirst(partialPrefix.count).dropLast(partialSuffix.count)
        return middle.count == 16 && middle.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    /// Removes, from `folder`, the partial files whose writer is gone: those named like a partial file that
    /// are regular files and whose `flock` can be taken at once (a running writer holds it). Where the file
    /// system has no locks, the file is removed anyway: a writer that loses its partial file fails before
    /// anything is recorded. Errors are ignored (a leftover stays for the next time).
    /// - Returns: the paths removed.
    @discardableResult
    package static func removeLeftovers(in folder: String) -> [String] {
        guard let directory = opendir(folder) else { return [] }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if isPartialName(name) { names.append(name) }
        }
        closedir(directory)
        var removed: [String] = []
        for name in names {
            let path = folder + "/" + name
            let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
            guard fd >= 0 else { continue }
            var info = stat()
            let regular = fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
            let free = flock(fd, LOCK_EX | LOCK_NB) == 0 || (errno != EWOULDBLOCK && errno != EAGAIN && errno != EINTR)
            if regular && free && unlink(path) == 0 { removed.append(path) }
            _ = close(fd)
        }
        if !removed.isEmpty { try? DurableFile.syncDirectory(folder) }
        return removed
    }

    /// Creates a new partial file in `folder` (mode 0600) and takes its `flock`.
    /// - Throws: `VaultError.failed` naming the folder when the file cannot be created.
    package static func createPartial(in folder: String) throws -> Partial {
        let path = folder + "/" + partialPrefix + Hex.encode(Random.bytes(8)) + partialSuffix
        let handle: FileHandleFD
        do { handle = try FileHandleFD.createExclusive(path, mode: 0o600) } catch {
            throw VaultError.failed("cannot write into \(folder): \(error)")
        }
        _ = flock(handle.fd, LOCK_EX | LOCK_NB)   // best effort: only keeps a concurrent clean-up away
        return Partial(path: path, handle: handle)
    }

    /// Gives the complete, fsynced file at `partial` the name `path` in the same folder, then fsyncs the folder.
    /// Without `overwrite` an existing `path` is never replaced. The ways tried, in order: `renameat2` with
    /// RENAME_NOREPLACE; `link` then `unlink` of the partial name; a check that `path` is absent then `rename`
    /// (FAT over FUSE offers neither of the first two; the check and the rename are not one atomic step there);
    /// and where rename is refused as well, a copy into a new file at `path` (created exclusively), fsynced,
    /// read back and compared byte for byte (SHA-256) with the partial file, which is then removed.
    ///
    /// Debug builds honour `AMANAH_TEST_REFUSE_RENAME=1`, which makes every rename and link fail with EPERM,
    /// so tests reach the copy.
    /// - Throws: `VaultError.exists` when `path` exists and `overwrite` is false; `VaultError.failed` naming
    ///   `path` when it cannot be written (see `writeFailure`). On failure `path` is as it was, except after a
    ///   failed copy, which removes the copy it made; the partial file is left to the caller.
    package static func place(_ partial: String, at path: String, overwrite: Bool) throws {
        let folder = DurableFile.directory(of: path)
        let refuse = FaultInjection.testHook("AMANAH_TEST_REFUSE_RENAME") == "1"
        func attempt(_ call: () -> Int32) -> Int32 {
            if refuse { errno = EPERM; return -1 }
            return call()
        }
        if overwrite {
            if attempt({ rename(partial, path) }) == 0 { return try syncFolder(folder, of: path) }
        } else {
            if attempt({ amanah_rename_noreplace(partial, path) }) == 0 { return try syncFolder(folder, of: path) }
            if errno == EEXIST { throw VaultError.exists(path) }
            if attempt({ link(partial, path) }) == 0 {
                _ = unlink(partial)
                return try syncFolder(folder, of: path)
            }
            if errno == EEXIST { throw VaultError.exists(path) }
            if DurableFile.exists(path) { throw VaultError.exists(path) }
            if attempt({ rename(partial, path) }) == 0 { return try syncFolder(folder, of: path) }
        }
        let refused = lastErrorText()
        do {
            try copyAndVerify(partial, to: path, overwrite: overwrite)
        } catch let error as VaultError {
            throw error
        } catch {
            throw writeFailure(path, error, context: "rename was refused (\(refused)) and the copy failed: ")
        }
        _ = unlink(partial)
        try syncFolder(folder, of: path)
    }

    /// The copy-and-verify fallback of `place`.
    private static func copyAndVerify(_ partial: String, to path: String, overwrite: Bool) throws {
        if overwrite && DurableFile.exists(path) {
            guard unlink(path) == 0 else { throw SystemCallError("remove \(path)") }
        }
        let source = try FileHandleFD.openForReading(partial, followLinks: false)
        if DurableFile.exists(path) { throw VaultError.exists(path) }
        let output = try FileHandleFD.createExclusive(path, mode: 0o600)
        do {
            var written = ContentHasher(), writtenCount = 0, rereadCount = 0
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            var first = true
            while true {
                let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
                if n == 0 { break }
                try buffer.withUnsafeBytes { raw in
                    let piece = UnsafeRawBufferPointer(rebasing: raw[0..<n])
                    written.update(piece)
                    if first {
                        // Crash tests end the process here, half-way through the first piece.
                        try output.write(UnsafeRawBufferPointer(rebasing: piece[0..<(n / 2)]))
                        FaultInjection.point("output.mid-copy")
                        try output.write(UnsafeRawBufferPointer(rebasing: piece[(n / 2)...]))
                        first = false
                    } else {
                        try output.write(piece)
                    }
                }
                writtenCount += n
            }
            try output.sync()
            try output.close()
            // Read the copy back from the file system (not the page cache, where it can say so) and compare.
            let check = try FileHandleFD.openForReading(path, followLinks: false)
            _ = posix_fadvise(check.fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
            var reread = ContentHasher()
            while true {
                let n = try buffer.withUnsafeMutableBytes { try check.read(into: $0) }
                if n == 0 { break }
                buffer.withUnsafeBytes { reread.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                rereadCount += n
            }
            try check.close()
            guard rereadCount == writtenCount, writtenCount == Int(try source.size()), reread.finalize() == written.finalize() else {
                throw VaultError.failed("cannot write \(path): the copy read back differs from what was written (faulty medium?)")
            }
        } catch {
            try? output.close()
            _ = unlink(path)
            try? DurableFile.syncDirectory(DurableFile.directory(of: path))
            throw error
        }
    }

    private static func syncFolder(_ folder: String, of path: String) throws {
        do { try DurableFile.syncDirectory(folder) } catch { throw writeFailure(path, error) }
    }

    /// Removes a file this command placed (its record could not be written), then fsyncs its folder.
    package static func remove(_ path: String) {
        _ = unlink(path)
        try? DurableFile.syncDirectory(DurableFile.directory(of: path))
    }

    /// The error for an output that cannot be written: it names the output (never a partial name alone) and
    /// says "the disk is full" when the file system has no space left for an unprivileged writer (ENOSPC, or
    /// FAT over FUSE, which reports EPERM then). Never an integrity failure: the vault's content is fine.
    /// - Parameter context: words put before the cause ("rename was refused ... and the copy failed: ").
    package static func writeFailure(_ path: String, _ cause: Any, context: String = "") -> VaultError {
        let full = DurableFile.freeBytes(near: DurableFile.directory(of: path)) == 0
        let systemError = cause as? SystemCallError
        // A system call's error is told by its text alone: the operation would name a partial file.
        let text = context + (systemError.map { String(cString: strerror($0.errno.rawValue)) } ?? "\(cause)")
        if full || systemError?.isDiskFull == true {
            return .failed("cannot write \(path): the disk is full (\(text))")
        }
        return .failed("cannot write \(path): \(text)")
    }
}
