import Foundation
import Testing
@testable import VaultCrypto

/// Decodes hex in tests (traps on bad literals, which are test bugs).
func hex(_ text: String) -> [UInt8] { try! Hex.decode(text.filter { !$0.isWhitespace }) }

/// A secret from hex.
func secret(_ text: String) -> SecretBytes {
    var bytes = hex(text)
    return SecretBytes(consuming: &bytes)
}

/// A unique temporary folder for one test, removed by `cleanup()`.
struct TemporaryFolder {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        path = base + "/amanah-crypto-test-" + Hex.encode(Random.bytes(8))
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// The folder of vector files beside this source file.
func vectorsFolder(filePath: String = #filePath) -> String {
    URL(fileURLWithPath: filePath).deletingLastPathComponent().appendingPathComponent("Vectors").path
}
