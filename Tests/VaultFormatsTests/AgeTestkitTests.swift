import VaultPlatform
import Foundation
import Testing
import VaultCrypto
import VaultFormats

/// The C2SP age test kit (Vectors/age-testkit, copied from ../shared/vectors/age-testkit): every vector that
/// does not need a post-quantum identity must give exactly its expected outcome; post-quantum vectors are
/// counted as skipped, and the counts are asserted so that no vector silently drops out.
@Suite("age test kit")
struct AgeTestkitTests {
    /// The outcome classes of the test kit.
    enum Outcome: String, Equatable, Sendable, CustomStringConvertible {
        case success = "success"
        case noMatch = "no match"
        case hmacFailure = "HMAC failure"
        case headerFailure = "header failure"
        case payloadFailure = "payload failure"
        case armorFailure = "armor failure"

        var description: String { rawValue }

        /// The explicit mapping from `AgeError` to the test kit's classes. `invalidKey`, `invalidArgument` and
        /// `io` never come from file content and have no class: they fail the test.
        init?(_ error: AgeError) {
            switch error {
            case .armor: self = .armorFailure
            case .header: self = .headerFailure
            case .noMatch: self = .noMatch
            case .headerMAC: self = .hmacFailure
            case .payload: self = .payloadFailure
            case .invalidKey, .invalidArgument, .io: return nil
            }
        }
    }

    struct Vector: Sendable {
        let name: String
        var expect: Outcome?
        var payloadHash: [UInt8]?
        var identities: [String] = []
        var passphrases: [String] = []
        var armored = false
        var compressed = false
        var body: [UInt8] = []

        /// Needs an identity this implementation does not have (post-quantum ML-KEM-768 + X25519).
        var isPostQuantum: Bool { identities.contains { $0.hasPrefix("AGE-SECRET-KEY-PQ-") } }
    }

    struct UnknownHeaderKey: Error, CustomStringConvertible {
        let description: String
    }

    static let knownKeys: Set<String> = ["expect", "payload", "file key", "identity", "passphrase", "armored",
                                         "compressed", "comment"]

    /// Vectors whose outcome differs when the armor is detected rather than declared.
    static let detectionExceptions: [String: Outcome] = ["armor_garbage_leading": .headerFailure]

    /// Every vector, loaded once (inflating the large ones is the slow part of this suite).
    static let allVectors: Result<[Vector], any Error> = Result { try vectorNames().map(load) }

    static func vectorNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: TestSupport.vectorsDirectory.appendingPathComponent("age-testkit").path)
            .filter { $0 != "LICENSE" && $0 != "README.md" }.sorted()
    }

    /// Parses a vector: `key: value` lines, an empty line, the age file (zlib-compressed when asked).
    /// Unknown keys fail the run.
    static func load(_ name: String) throws -> Vector {
        let bytes = try TestSupport.vector("age-testkit/" + name)
        var vector = Vector(name: name)
        var offset = 0
        while true {
            guard let end = bytes[offset...].firstIndex(of: 0x0a) else { throw UnknownHeaderKey(description: "\(name): no blank line") }
            let line = String(decoding: bytes[offset..<end], as: UTF8.self)
            offset = end + 1
            if line.isEmpty { break }
            guard let colon = line.range(of: ": ") else { throw UnknownHeaderKey(description: "\(name): bad line \(line)") }
            let key = String(line[..<colon.lowerBound]), value = String(line[colon.upperBound...])
            guard knownKeys.contains(key) else { throw UnknownHeaderKey(description: "\(name): unknown header key \"\(key)\"") }
            switch key {
            case "expect":
                guard let outcome = Outcome(rawValue: value) else { throw UnknownHeaderKey(description: "\(name): unknown outcome \(value)") }
                vector.expect = outcome
            case "payload": vector.payloadHash = try Hex.decode(value)
            case "identity": vector.identities.append(value)
            case "passphrase": vector.passphrases.append(value)
            case "armored":
                guard value == "yes" else { throw UnknownHeaderKey(description: "\(name): armored: \(value)") }
                vector.armored = true
            case "compressed":
                guard value == "zlib" else { throw UnknownHeaderKey(description: "\(name): compressed: \(value)") }
                vector.compressed = true
            default: break  // "file key" and "comment" are for debugging
            }
        }
        vector.body = Array(bytes[offset...])
        if vector.compressed { vector.body = try Inflate.zlib(vector.body) }
        return vector
    }

    /// Decrypts a vector and classifies the result; also returns the SHA-256 of the plaintext released.
    static func run(_ vector: Vector, format: Age.InputFormat) throws -> (Outcome, [UInt8]) {
        var identities: [any AgeIdentity] = []
        for text in vector.identities { identities.append(try AgeX25519Identity(parsing: text)) }
        for passphrase in vector.passphrases {
            var bytes = Array(passphrase.utf8)
            identities.append(try AgeScryptIdentity(passphrase: SecretBytes(consuming: &bytes)))
        }
        var source = MemorySource(vector.body)
        var sink = HashingSink()
        do {
            try Age.decrypt(from: &source, to: &sink, identities: identities, format: format)
            return (.success, sink.digest)
        } catch let error as AgeError {
            guard let outcome = Outcome(error) else { throw error }
            return (outcome, sink.digest)
        }
    }

    @Test("every non-post-quantum vector gives exactly its expected outcome")
    func testkit() throws {
        let vectors = try Self.allVectors.get()
        #expect(vectors.count == 143)
        var passed = 0, skipped = 0, failed: [String] = []
        for vector in vectors {
            let name = vector.name
            guard let expected = vector.expect else { Issue.record("\(name): no expect line"); continue }
            if vector.isPostQuantum {
                skipped += 1
                continue
            }
            let format: Age.InputFormat = vector.armored ? .armored : .binary
            let (outcome, digest) = try Self.run(vector, format: format)
            var ok = outcome == expected
            #expect(outcome == expected, "\(name): expected \(expected), got \(outcome)")
            if expected == .success || expected == .payloadFailure {
                guard let hash = vector.payloadHash else { Issue.record("\(name): no payload hash"); continue }
                #expect(digest == hash, "\(name): released plaintext does not match the payload hash")
                ok = ok && digest == hash
            }
            // Detection of the armor must reach the same outcome as the explicit format, except where the
            // input does not look armored at all (garbage before the BEGIN line): then it is not an age file.
            let (detected, _) = try Self.run(vector, format: .detect)
            let expectedWhenDetected = Self.detectionExceptions[name] ?? expected
            #expect(detected == expectedWhenDetected, "\(name): with armor detection, expected \(expectedWhenDetected), got \(detected)")
            if ok && detected == expectedWhenDetected { passed += 1 } else { failed.append(name) }
        }
        #expect(failed.isEmpty, "failed vectors: \(failed)")
        #expect(passed == 124, "passed \(passed)")
        #expect(skipped == 19, "skipped (post-quantum) \(skipped)")
        #expect(passed + skipped == vectors.count)
    }

    @Test("every binary vector's header serialises back to its exact bytes")
    func headerRoundTrip() throws {
        var checked = 0
        for vector in try Self.allVectors.get() {
            let name = vector.name
            guard !vector.armored, let (header, length) = try? AgeHeader.parse(vector.body) else { continue }
            #expect(header.serialized() == Array(vector.body[0..<length]), "\(name): header does not round-trip")
            checked += 1
        }
        // 86 of the 110 binary vectors have a well-formed header (the others are header-failure vectors
        // refused by the parser itself); the count guards against the parser silently growing laxer or stricter.
        #expect(checked == 86, "\(checked) headers parsed")
    }
}
