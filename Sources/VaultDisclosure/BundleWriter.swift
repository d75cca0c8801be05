import VaultPlatform
import VaultPolicy
import Foundation
import VaultCrypto
import VaultFormats

/// One member of a bundle's tar archive.
public struct BundleMember: @unchecked Sendable {
    public enum Content {
        case folder
        /// Small files built in memory (manifest, records, keys, ...).
        case bytes([UInt8])
        /// Large files streamed when the archive is written; their SHA-256 (hex) and size are known in advance
        /// from the release plan and checked while streaming.
        case stream(size: UInt64, sha256: String, open: () throws -> any ByteSource)
    }

    public var name: String
    public var content: Content

    public init(name: String, content: Content) { self.name = name; self.content = content }
}

/// Writes a bundle: a deterministic strict tar (sorted members at the root, regular files and folders only,
/// zero owner, one fixed time) streamed into age v1 encryption to the recipient's keys, into a new file.
/// The tar runs on a worker thread and age on the calling one, joined by a pipe: memory stays bounded by
/// the largest in-memory member.
public enum BundleWriter {
    /// Writes the encrypted bundle to `path` (a new file, mode 0600, fsynced).
    /// - Throws: `DisclosureError.integrity` when a streamed member does not have the SHA-256 or size the plan
    ///   promised; format and I/O errors. On failure `path` is removed.
    public static func write(members: [BundleMember], modificationTime: UInt64, recipients: [AgeX25519Recipient], to path: String) throws {
        let output = try FileHandleFD.createExclusive(path, mode: 0o600)
        do {
            try write(members: members, modificationTime: modificationTime, recipients: recipients, into: output)
            try output.close()
        } catch {
            try? output.close()
            unlink(path)
            throw error
        }
    }

    /// Writes the encrypted bundle into `output` (an empty file open for writing) and fsyncs it; the caller
    /// closes and names it. Debug builds end the process at fault point `issue.mid-write` after the first
    /// bytes reach the file (crash tests).
    /// - Throws: `DisclosureError.integrity` when a streamed member does not have the SHA-256 or size the plan
    ///   promised; `SystemCallError` for write errors of `output` (disk full, I/O error); format errors.
    public static func write(members: [BundleMember], modificationTime: UInt64, recipients: [AgeX25519Recipient], into output: FileHandleFD) throws {
        let sorted = members.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        try PipeWorker.run(producer: { writer in
            var tar = try StrictTarWriter(sink: writer, modificationTime: modificationTime)
            for member in sorted {
                switch member.content {
                case .folder:
                    try tar.addFolder(member.name)
                case let .bytes(bytes):
                    var source = MemorySource(bytes)
                    try tar.addFile(member.name, size: UInt64(bytes.count), content: &source)
                case let .stream(size, sha256, open):
                    var source = HashingSource(inner: try open())
                    try tar.addFile(member.name, size: size, content: &source)
                    guard Hex.encode(source.hasher.finalize()) == sha256 else {
                        throw DisclosureError.integrity("\(member.name) changed since the release was approved (SHA-256 differs)")
                    }
                }
            }
            try tar.finish()
        }, consumer: { reader in
            var source = reader
            var sink = CrashPointSink(inner: output, point: "issue.mid-write")
            try Age.encrypt(from: &source, to: &sink, recipients: recipients)
        })
        try output.sync()
    }
}

/// A sink that passes a fault-injection point after its first write (debug builds only; see FaultInjection).
struct CrashPointSink: ByteSink {
    let inner: FileHandleFD
    let point: String
    var passed = false

    mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        try inner.write(bytes)
        if !passed { passed = true; FaultInjection.point(point) }
    }
}

/// A source that hashes (SHA-256) what passes through it.
struct HashingSource: ByteSource {
    var inner: any ByteSource
    var hasher = ContentHasher()

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try inner.read(into: buffer)
        if n > 0 { hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) }
        return n
    }
}
