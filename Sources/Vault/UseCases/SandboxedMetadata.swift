import VaultPlatform
import VaultPolicy
import Foundation
import VaultCrypto
import VaultImaging
#if canImport(Glibc)
import Glibc
#endif

/// Reads a file from its start with `pread`, leaving the descriptor's own offset where it is.
public struct PositionalSource: ByteSource {
    /// The open descriptor (not owned: never closed here).
    public let fd: Int32
    var offset: off_t = 0

    public init(fd: Int32) { self.fd = fd }

    /// Reads the next bytes at the source's own offset.
    /// - Throws: `SystemCallError` when `pread` fails.
    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            let n = pread(fd, buffer.baseAddress!, buffer.count, offset)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw SystemCallError("read") }
            offset += off_t(n)
            return n
        }
    }
}

/// The metadata extractor used by `ingest`: a key-less sandboxed child (`amanah __sandbox metadata`, forked
/// by the sandbox fork server), which parses the file under resource limits and a seccomp filter and
/// returns a report (JSON, sorted keys).
public struct SandboxedMetadata: MetadataExtracting {
    /// The client that runs the children.
    public let client: SandboxClient

    public init(client: SandboxClient) { self.client = client }

    /// The extractor of the running `amanah` executable; nil where `/proc/self/exe` cannot be read.
    public static func extractor() -> (any MetadataExtracting)? {
        SandboxClient.currentExecutable().map { SandboxedMetadata(client: $0) }
    }

    /// Extracts the report of `file` in the sandbox; an incomplete report (warnings, unknown format) is
    /// marked as possibly identifying.
    /// - Throws: `SandboxError` when the child fails.
    public func extract(file: FileHandleFD, mediaType: String) throws -> (report: [UInt8], identifying: [String]) {
        var report = try client.extractMetadata(from: PositionalSource(fd: file.fd), sizeHint: (try? file.size()) ?? 0)
        // A report cut short (damaged file, parser limits) must not read as "nothing identifying".
        if !report.warnings.isEmpty || report.format == .unknown {
            report.identifyingSummary.append("metadata incomplete (\(report.warnings.first ?? "the format was not recognised")): treat the original as possibly identifying")
        }
        // Nor may a report the parent can see is inconsistent (a compromised parser answers what it likes).
        let inconsistent = ReportConsistency.problems(report, mediaType: mediaType)
        if !inconsistent.isEmpty {
            report.warnings += inconsistent.map { "the sandbox's report is inconsistent: " + $0 }
            report.identifyingSummary.append("metadata not inspected (the sandbox's report is inconsistent: \(inconsistent[0])): treat the original as possibly identifying")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (Array(try encoder.encode(report)), report.identifyingSummary)
    }
}
