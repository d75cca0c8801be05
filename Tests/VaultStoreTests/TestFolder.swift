import VaultPlatform
import Foundation
import Testing
import VaultCrypto
#if canImport(Glibc)
import Glibc
#endif

/// A fresh folder under the system's temporary folder, one per test; `remove()` deletes it.
struct TestFolder {
    let path: String

    init(_ label: String = "store") throws {
        path = FileManager.default.temporaryDirectory.path + "/amanah-\(label)-test-" + Hex.encode(Random.bytes(8))
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `bytes` to `name` (relative to the folder) and returns the full path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let full = path + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: full))
        return full
    }

    func read(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path + "/" + name))) }

    func exists(_ name: String) -> Bool { DurableFile.exists(path + "/" + name) }

    /// The names in a sub-folder (sorted), or [] when it does not exist.
    func list(_ name: String = "") -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: name.isEmpty ? path : path + "/" + name)) ?? []).sorted()
    }
}

/// The permission bits of the file at `path` (without following a final symbolic link).
func permissionBits(_ path: String) -> UInt32 {
    var info = stat()
    guard lstat(path, &info) == 0 else { return 0 }
    return UInt32(info.st_mode) & 0o7777
}
