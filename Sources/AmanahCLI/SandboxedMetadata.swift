import Foundation
import Vault
import VaultCrypto
import VaultImaging

/// The metadata extractor used by `ingest`: this program's key-less sandboxed child (`amanah __sandbox
/// metadata`), which parses the file under resource limits and a seccomp filter and returns a report.
struct SandboxedMetadata: MetadataExtracting {
    let client: SandboxClient

    static func extractor() -> (any MetadataExtracting)? {
        SandboxClient.currentExecutable().map { SandboxedMetadata(client: $0) }
    }

    func extract(path: String, mediaType: String) throws -> (report: [UInt8], identifying: [String]) {
        let file = try FileHandleFD.openForReading(path)
        let report = try client.extractMetadata(from: file)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (Array(try encoder.encode(report)), report.identifyingSummary)
    }
}
