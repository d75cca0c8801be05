import Foundation
import Testing
@testable import VaultImaging

@Test(.enabled(if: ProcessInfo.processInfo.environment["AMANAH_DUMP"] != nil))
func dumpReports() throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    for name in try Vectors.caseNames(withExtensions: ["jpg", "png", "webp", "gif", "heic", "tif"]) {
        var report = MetadataExtractor.extract(bytes: try Vectors.caseFile(name))
        report.chunks = Array(report.chunks.prefix(40))
        report.xmp?.properties = []
        print("=== \(name)")
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
    }
}

@Test(.enabled(if: ProcessInfo.processInfo.environment["AMANAH_DUMP"] != nil))
func timeReports() throws {
    for name in try Vectors.caseNames(withExtensions: ["jpg", "png", "webp", "gif"]) {
        let bytes = try Vectors.caseFile(name)
        let clock = ContinuousClock()
        let t = clock.measure { for _ in 0..<5 { _ = MetadataExtractor.extract(bytes: bytes) } }
        print(name, t / 5)
    }
}
