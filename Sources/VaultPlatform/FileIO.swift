import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A stream of bytes to read from. `read(into:)` returns the number of bytes placed at the start of the
/// buffer, 0 only at the end of the stream.
public protocol ByteSource {
    /// Reads up to `buffer.count` bytes.
    /// - Throws: `SystemCallError` on an I/O error.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// A stream of bytes to write to.
public protocol ByteSink {
    /// Writes all of `bytes`.
    /// - Throws: `SystemCallError` on an I/O error (disk full, closed pipe, ...).
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws
}

extension ByteSource {
    /// Reads until `buffer` is full or the stream ends; returns the number of bytes read.
    public mutating func readFully(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if n == 0 { break }
            filled += n
        }
        return filled
    }
}

/// An in-memory source over a byte array.
public struct MemorySource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0

    /// A source that yields `bytes`.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = Swift.min(buffer.count, bytes.count - offset)
        if n > 0 {
            bytes.withUnsafeBytes { source in
                buffer.baseAddress!.copyMemory(from: source.baseAddress! + offset, byteCount: n)
            }
            offset += n
        }
        return n
    }
}

/// An in-memory sink that collects bytes into an array.
public struct MemorySink: ByteSink {
    /// Everything written so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty sink.
    public init() {}

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        self.bytes.append(contentsOf: bytes)
    }
}

/// A POSIX file descriptor owned by this object and closed when it is released. Reads and writes retry on
/// EINTR and short transfers.
public final class FileHandleFD: ByteSource, ByteSink, @unchecked Sendable {
    /// The raw descriptor.
    public let fd: Int32
    private var closed = false
    /// The path it was opened with, for error messages (never secret).
    public let path: String

    /// Wraps an open descriptor, which this object will close.
    public init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { if !closed { _ = Glibc.close(fd) } }

    /// Opens `path` for reading (`O_RDONLY | O_CLOEXEC`, and `O_NOFOLLOW` when `followLinks` is false).
    /// - Throws: `SystemCallError` naming the path.
    public static func openForReading(_ path: String, followLinks: Bool = true) throws -> FileHandleFD {
        var flags = O_RDONLY | O_CLOEXEC
        if !followLinks { flags |= O_NOFOLLOW }
        let fd = Glibc.open(path, flags)
        guard fd >= 0 else { throw SystemCallError(path) }
        return FileHandleFD(fd: fd, path: path)
    }

    /// Creates `path` exclusively (`O_CREAT | O_EXCL`, fails if it exists) for writing with `mode`.
    /// - Throws: `SystemCallError` naming the path.
    public static func createExclusive(_ path: String, mode: mode_t = 0o600) throws -> FileHandleFD {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        guard fd >= 0 else { throw SystemCallError(path) }
        return FileHandleFD(fd: fd, path: path)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            let n = Glibc.read(fd, buffer.baseAddress!, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw SystemCallError("read \(path)")
        }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemCallError("write \(path)")
            }
            offset += n
        }
    }

    /// Flushes data and metadata to stable storage (`fsync`).
    public func sync() throws {
        guard Glibc.fsync(fd) == 0 else { throw SystemCallError("fsync \(path)") }
    }

    /// The file's size in bytes (`fstat`).
    public func size() throws -> UInt64 {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SystemCallError("stat \(path)") }
        return UInt64(info.st_size)
    }

    /// Whether the descriptor refers to a regular file.
    public func isRegularFile() throws -> Bool {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SystemCallError("stat \(path)") }
        return (info.st_mode & S_IFMT) == S_IFREG
    }

    /// Refuses a secret file (a key file, an age identity, a passphrase file) whose permission bits give its
    /// group or other users any access, as ssh refuses an unprotected private key. Checked with `fstat` on
    /// this descriptor, so it is the file actually read that is checked.
    /// - Throws: `ExposedSecretFileError` naming the file, its mode and the `chmod` to run;
    ///   `SystemCallError` when `fstat` fails.
    public func requirePrivate() throws {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SystemCallError("stat \(path)") }
        let mode = UInt32(info.st_mode) & 0o7777
        guard mode & 0o077 == 0 else { throw ExposedSecretFileError(path: path, mode: mode) }
    }

    /// Closes the descriptor now, reporting errors (a failed close can mean lost writes).
    public func close() throws {
        guard !closed else { return }
        closed = true
        guard Glibc.close(fd) == 0 else { throw SystemCallError("close \(path)") }
    }
}

/// Durable file-system steps used by every write that must survive a crash.
public enum DurableFile {
    /// `fsync` on a directory, so that a rename or creation inside it is durable.
    /// - Throws: `SystemCallError` naming the directory.
    public static func syncDirectory(_ path: String) throws {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemCallError(path) }
        defer { _ = Glibc.close(fd) }
        guard Glibc.fsync(fd) == 0 else { throw SystemCallError("fsync \(path)") }
    }

    /// The directory part of a path ("." when there is none).
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// The last component of a path.
    public static func lastComponent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// A temporary path beside `path` in the same directory (so a rename is atomic): `.<name>.tmp-<random>`.
    public static func temporaryPath(beside path: String) -> String {
        let name = lastComponent(of: path)
        let dir = directory(of: path)
        var generator = SystemRandomNumberGenerator()   // the kernel's getrandom(2)
        let random = withUnsafeBytes(of: generator.next() as UInt64) { Array($0) }
        let digits = Array("0123456789abcdef".utf8)
        let suffix = String(decoding: random.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
        return dir + "/." + name + ".tmp-" + suffix
    }

    /// Writes through a temporary file beside `path`, then fsync, rename over `path` (only when `overwrite`
    /// is true or `path` does not exist), fsync of the directory. On any failure the temporary file is removed
    /// and `path` is as it was.
    /// - Parameters:
    ///   - mode: permission bits of the new file (e.g. 0o600 for key files).
    ///   - body: writes the content to the given sink.
    /// - Throws: `SystemCallError` naming the path (including "exists" when it exists and `overwrite` is
    ///   false), or whatever `body` throws.
    public static func write(to path: String, mode: mode_t = 0o600, overwrite: Bool,
                             _ body: (FileHandleFD) throws -> Void) throws {
        if !overwrite && exists(path) { throw SystemCallError(path, errno: .fileExists) }
        let temporary = temporaryPath(beside: path)
        let handle = try FileHandleFD.createExclusive(temporary, mode: mode)
        do {
            try body(handle)
            try handle.sync()
            try handle.close()
            if overwrite {
                guard Glibc.rename(temporary, path) == 0 else { throw SystemCallError("rename to \(path)") }
            } else {
                // link(2) fails if the target exists, so a concurrent creation is never clobbered.
                guard Glibc.link(temporary, path) == 0 else { throw SystemCallError(path) }
                _ = Glibc.unlink(temporary)
            }
            try syncDirectory(directory(of: path))
        } catch {
            try? handle.close()
            _ = Glibc.unlink(temporary)
            throw error
        }
    }

    /// The names in folder `path` (without `.` and `..`), in the order `readdir` gives them.
    /// - Throws: `SystemCallError` naming the folder when it cannot be opened.
    public static func entries(of path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw SystemCallError("list \(path)") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Bytes free for an unprivileged writer on the file system that holds `path` (`statvfs`), or nil when it
    /// cannot be asked.
    public static func freeBytes(near path: String) -> UInt64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize)
    }

    /// Whether something exists at `path` (without following a final symbolic link).
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Reads a whole small file (at most `limit` bytes).
    /// - Throws: `SystemCallError` naming the path, or if it is larger than `limit`.
    public static func readAll(_ path: String, limit: Int = 64 << 20) throws -> [UInt8] {
        try readAll(path, limit: limit, requirePrivate: false)
    }

    /// Reads a whole small secret file (an identity key file, an age identity; at most `limit` bytes),
    /// refusing it, before reading any byte, when its mode lets the group or others at it
    /// (`FileHandleFD.requirePrivate`, on the descriptor that is then read).
    /// - Throws: `ExposedSecretFileError` naming the file and the `chmod 600` to run; `SystemCallError`
    ///   naming the path, or if it is larger than `limit`.
    public static func readSecret(_ path: String, limit: Int = 1 << 20) throws -> [UInt8] {
        try readAll(path, limit: limit, requirePrivate: true)
    }

    private static func readAll(_ path: String, limit: Int, requirePrivate: Bool) throws -> [UInt8] {
        let handle = try FileHandleFD.openForReading(path)
        if requirePrivate { try handle.requirePrivate() }
        let size = try handle.size()
        guard size <= UInt64(limit) else { throw FileTooLargeError(path: path, limit: limit) }
        var out = [UInt8](repeating: 0, count: Int(size))
        var total = try out.withUnsafeMutableBytes { (buffer) throws -> Int in
            var source = handle
            return try source.readFully(into: buffer)
        }
        out.removeSubrange(total...)
        // The file may have grown since fstat; read the rest up to the limit.
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = try chunk.withUnsafeMutableBytes { (buffer) throws -> Int in try handle.read(into: buffer) }
            if n == 0 { break }
            total += n
            guard total <= limit else { throw FileTooLargeError(path: path, limit: limit) }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }
}

/// A secret file (key file, age identity, passphrase file) whose mode gives its group or others access;
/// Amanah refuses to use it. Names the file and the command that fixes it; carries nothing of the content.
public struct ExposedSecretFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The path as it was given.
    public let path: String
    /// The permission bits found (for example 0o644).
    public let mode: UInt32

    public init(path: String, mode: UInt32) {
        self.path = path
        self.mode = mode
    }

    public var description: String {
        "\(path) can be read or changed by others (mode 0\(String(mode, radix: 8))); a key or passphrase file must be "
            + "private to its owner: run chmod 600 \(path)"
    }
}

