import VaultPlatform
import Foundation
import Testing
@testable import VaultCrypto

private struct StreamVector: Decodable {
    struct Chunk: Decodable {
        let tag: UInt8
        let ad: String?
        let message: String
        let ciphertext: String
    }
    let key: String
    let header: String
    let chunks: [Chunk]
    let name: String?
}

private func loadVectors(_ name: String) throws -> [StreamVector] {
    let data = try Data(contentsOf: URL(fileURLWithPath: vectorsFolder() + "/" + name))
    return try JSONDecoder().decode([StreamVector].self, from: data)
}

/// The C18 secretstream vectors: the raw primitive against pynacl's reference data, and the termination
/// rules that libsodium alone does not enforce.
struct SecretStreamTests {
    @Test func pynaclVectorsDecryptExactly() throws {
        let vectors = try loadVectors("C18-pynacl-secretstream-vectors.json")
        #expect(vectors.count == 3)
        for vector in vectors {
            var pull = try SecretStream.Pull(header: hex(vector.header), key: secret(vector.key))
            for chunk in vector.chunks {
                let (plain, tag) = try pull.pull(hex(chunk.ciphertext), associatedData: hex(chunk.ad ?? ""))
                #expect(plain == hex(chunk.message))
                #expect(tag.rawValue == chunk.tag)
            }
        }
    }

    @Test func negativeVectorsAreRejected() throws {
        let vectors = try loadVectors("C18-secretstream-negative-vectors.json")
        var seen: [String: String] = [:]
        for vector in vectors {
            let name = vector.name ?? "?"
            var reader = try SecretStreamReader(header: hex(vector.header), key: secret(vector.key))
            var released = 0
            do {
                for chunk in vector.chunks {
                    _ = try reader.next(hex(chunk.ciphertext), associatedData: hex(chunk.ad ?? ""))
                    released += 1
                }
                try reader.finish()
                Issue.record("\(name) was accepted")
            } catch let error as CryptoError {
                switch error {
                case .malformedStream: seen[name] = "malformed"
                case .authenticationFailed: seen[name] = "authentication"
                default: seen[name] = "other"
                }
            }
        }
        #expect(seen == [
            "truncated_before_final": "malformed",
            "header_only": "malformed",
            "data_after_final": "malformed",
            "chunks_reordered": "authentication",
            // Its first chunks carry REKEY tags, which the strict reader refuses before reaching the flip.
            "ciphertext_bitflip": "malformed",
            "ad_mismatch": "authentication",
        ])
    }

    @Test func bitflipFailsInTheRawPrimitiveAtTheFlippedChunk() throws {
        let vector = try loadVectors("C18-secretstream-negative-vectors.json").first { $0.name == "ciphertext_bitflip" }!
        var pull = try SecretStream.Pull(header: hex(vector.header), key: secret(vector.key))
        var released = 0
        for chunk in vector.chunks {
            guard (try? pull.pull(hex(chunk.ciphertext), associatedData: hex(chunk.ad ?? ""))) != nil else { break }
            released += 1
        }
        #expect(released == 2)
    }
}

/// The sealed-file container on top of secretstream.
struct SealedStreamTests {
    static func seal(_ content: [UInt8], key: borrowing SecretBytes, chunkSize: Int, padTo: UInt64? = nil, ad: [UInt8] = []) throws -> [UInt8] {
        var source = MemorySource(content)
        var sink = MemorySink()
        let written = try SealedStream.seal(from: &source, contentLength: UInt64(content.count), to: &sink, key: key,
                                            associatedData: ad, paddedLength: padTo, chunkSize: chunkSize)
        #expect(written == UInt64(sink.bytes.count))
        #expect(written == SealedStream.sealedLength(contentLength: UInt64(content.count), paddedLength: padTo, chunkSize: chunkSize))
        return sink.bytes
    }

    static func open(_ sealed: [UInt8], key: borrowing SecretBytes, ad: [UInt8] = []) throws -> [UInt8] {
        var source = MemorySource(sealed)
        var sink = MemorySink()
        let length = try SealedStream.open(from: &source, to: &sink, key: key, associatedData: ad)
        #expect(length == UInt64(sink.bytes.count))
        return sink.bytes
    }

    @Test(arguments: [64, 65_536])
    func roundTripsAtBoundaries(chunkSize: Int) throws {
        let key = SecretBytes.random(count: 32)
        // Plaintext carried = 8-byte length + content, so the chunk boundaries fall at content = chunk − 8.
        let sizes = [0, 1, chunkSize - 9, chunkSize - 8, chunkSize - 7, chunkSize - 1, chunkSize, chunkSize + 1, 3 * chunkSize + 5]
        for size in sizes where size >= 0 {
            let content = Random.bytes(size)
            let sealed = try Self.seal(content, key: key, chunkSize: chunkSize)
            #expect(try Self.open(sealed, key: key) == content, "size \(size)")
        }
    }

    @Test func severalMebibytes() throws {
        let key = SecretBytes.random(count: 32)
        let content = Random.bytes(5 * 1024 * 1024 + 123)
        let sealed = try Self.seal(content, key: key, chunkSize: SealedStream.defaultChunkSize)
        #expect(try Self.open(sealed, key: key) == content)
    }

    @Test func paddingHidesTheLength() throws {
        let key = SecretBytes.random(count: 32)
        let content = Random.bytes(1000)
        let padded = Padme.paddedLength(1008)
        let sealed = try Self.seal(content, key: key, chunkSize: 64, padTo: padded)
        let other = try Self.seal(Random.bytes(1010), key: key, chunkSize: 64, padTo: padded)
        #expect(sealed.count == other.count)
        #expect(try Self.open(sealed, key: key) == content)
    }

    @Test func everyByteFlipFails() throws {
        let key = SecretBytes.random(count: 32)
        let content = Random.bytes(300)
        let sealed = try Self.seal(content, key: key, chunkSize: 64, ad: [7])
        for index in sealed.indices {
            var flipped = sealed
            flipped[index] ^= 0x01
            #expect(throws: CryptoError.self, "flip at \(index)") { _ = try Self.open(flipped, key: key, ad: [7]) }
        }
    }

    @Test func truncationReorderingAndExtraBytesFail() throws {
        let key = SecretBytes.random(count: 32)
        let sealed = try Self.seal(Random.bytes(200), key: key, chunkSize: 64)
        let header = SealedStream.headerByteCount
        let chunk = 64 + SecretStream.overhead
        // Truncation at every length short of the whole.
        for length in 0..<sealed.count {
            #expect(throws: CryptoError.self, "truncated to \(length)") { _ = try Self.open(Array(sealed[0..<length]), key: key) }
        }
        // Whole chunks dropped from the end: missing FINAL.
        #expect(throws: CryptoError.malformedStream("truncated: the stream has no final chunk")) {
            _ = try Self.open(Array(sealed[0..<(header + 2 * chunk)]), key: key)
        }
        // A byte after a short final chunk makes that chunk fail to authenticate.
        #expect(throws: CryptoError.authenticationFailed) { _ = try Self.open(sealed + [0], key: key) }
        // A byte after a full-size final chunk is reported as such (184 + 8 = 3 × 64).
        let full = try Self.seal(Random.bytes(184), key: key, chunkSize: 64)
        #expect(throws: CryptoError.malformedStream("bytes after the final chunk")) { _ = try Self.open(full + [0], key: key) }
        #expect(try Self.open(full, key: key).count == 184)
        // Two chunks swapped.
        var swapped = sealed
        swapped.replaceSubrange(header..<(header + chunk), with: sealed[(header + chunk)..<(header + 2 * chunk)])
        swapped.replaceSubrange((header + chunk)..<(header + 2 * chunk), with: sealed[header..<(header + chunk)])
        #expect(throws: CryptoError.authenticationFailed) { _ = try Self.open(swapped, key: key) }
    }

    @Test func wrongKeyHeaderOrAssociatedDataFails() throws {
        let key = SecretBytes.random(count: 32)
        let sealed = try Self.seal(Array("evidence".utf8), key: key, chunkSize: 64, ad: [1, 2])
        #expect(throws: CryptoError.authenticationFailed) { _ = try Self.open(sealed, key: SecretBytes.random(count: 32), ad: [1, 2]) }
        #expect(throws: CryptoError.authenticationFailed) { _ = try Self.open(sealed, key: key, ad: [1, 3]) }
        var badMagic = sealed
        badMagic[0] = UInt8(ascii: "X")
        #expect(throws: CryptoError.malformedStream("not an Amanah sealed stream (bad magic)")) { _ = try Self.open(badMagic, key: key, ad: [1, 2]) }
        var badVersion = sealed
        badVersion[8] = 2
        #expect(throws: CryptoError.malformedStream("unsupported container version 2")) { _ = try Self.open(badVersion, key: key, ad: [1, 2]) }
        var otherChunkSize = sealed
        otherChunkSize[9] = 128  // 64 -> 128: within range, so only the AEAD catches it
        #expect(throws: CryptoError.self) { _ = try Self.open(otherChunkSize, key: key, ad: [1, 2]) }
    }

    @Test func sourceThatChangesLengthIsRefused() throws {
        let key = SecretBytes.random(count: 32)
        var short = MemorySource(Random.bytes(10))
        var sink = MemorySink()
        #expect(throws: CryptoError.self) {
            try SealedStream.seal(from: &short, contentLength: 11, to: &sink, key: key, chunkSize: 64)
        }
        var long = MemorySource(Random.bytes(12))
        var sink2 = MemorySink()
        #expect(throws: CryptoError.self) {
            try SealedStream.seal(from: &long, contentLength: 11, to: &sink2, key: key, chunkSize: 64)
        }
    }

    @Test func openToFileWritesOnlyAfterFinalVerified() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let key = SecretBytes.random(count: 32)
        let content = Random.bytes(1000)
        let sealed = try Self.seal(content, key: key, chunkSize: 64)
        let good = folder.path + "/good.bin"
        var source = MemorySource(sealed)
        #expect(try SealedStream.openToFile(from: &source, path: good, key: key) == 1000)
        #expect(try DurableFile.readAll(good) == content)
        // A stream corrupted in its last chunk: earlier chunks decrypt, but nothing may appear on disk.
        var corrupted = sealed
        corrupted[corrupted.count - 3] ^= 1
        let bad = folder.path + "/bad.bin"
        var badSource = MemorySource(corrupted)
        #expect(throws: CryptoError.authenticationFailed) { try SealedStream.openToFile(from: &badSource, path: bad, key: key) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["good.bin"])
        // Existing files are not overwritten unless asked.
        var again = MemorySource(sealed)
        #expect { try SealedStream.openToFile(from: &again, path: good, key: key) } throws: { error in
            (error as? SystemCallError)?.errno.rawValue == EEXIST
        }
    }
}
