import Foundation
import Testing
import VaultCrypto
@testable import VaultPolicy

/// Paths and fixtures shared by the tests.
enum Fixture {
    /// The package root, found from this file (`Tests/VaultPolicyTests/Support.swift`).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func bytes(_ relative: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent(relative)))
    }

    static func vector(_ name: String) throws -> [UInt8] {
        try bytes("Tests/VaultPolicyTests/Vectors/" + name)
    }

    /// The test pseudonym key: bytes 0x00 … 0x1f.
    static func pseudonymKey() -> SecretBytes {
        var raw = (0..<32).map { UInt8($0) }
        return SecretBytes(consuming: &raw)
    }

    /// The default policy text with `old` replaced by `new` (which must occur exactly once).
    static func defaultPolicy(replacing old: String, with new: String) -> String {
        let text = DefaultPolicy.text
        let parts = text.components(separatedBy: old)
        if parts.count != 2 { Issue.record("\(old) occurs \(parts.count - 1) times in the default policy") }
        return parts.joined(separator: new)
    }

    /// Parses `text`, returning the error it throws (nil when it parses).
    static func parseError(_ text: String) -> PolicyError? {
        do {
            _ = try Policy(parsing: text)
            return nil
        } catch {
            return error
        }
    }
}

extension Subject {
    static func member(_ role: Role, key: String = "k-subject", custodian: Bool = false) -> Subject {
        Subject(keyID: key, role: role, isCustodian: custodian)
    }
}
