import Foundation
import Testing
@testable import VaultImaging

/// Locations of the test vectors and helpers shared by the tests.
enum Vectors {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors")
    static let cases = root.appendingPathComponent("cases")
    static let samples = root.appendingPathComponent("samples")

    static func caseFile(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: cases.appendingPathComponent(name)))
    }

    static func sample(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: samples.appendingPathComponent(name)))
    }

    static func caseNames(withExtensions extensions: Set<String>) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: cases.path)
            .filter { extensions.contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
    }

    static func sampleNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: samples.path).filter { $0.hasSuffix(".jpg") }.sorted()
    }

    /// The lines of SECRETS.txt (strings no derivative may contain).
    static func secrets() throws -> [String] {
        try String(contentsOf: cases.appendingPathComponent("SECRETS.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }
}

/// A unique temporary folder, removed by `remove()`.
struct TemporaryFolder {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("amanah-imaging-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func remove() { try? FileManager.default.removeItem(at: url) }
}
