import VaultPlatform
import Testing
@testable import VaultCrypto

/// `SealedStream.sealPipelined`: the same container as `seal`, produced on two threads.
struct SealedStreamPipelinedTests {
    /// Seals with the pipeline; checks the written length against `sealedLength`, and that `onContent` saw
    /// exactly the content, in order.
    static func seal(_ content: [UInt8], key: borrowing SecretBytes, chunkSize: Int = SealedStream.defaultChunkSize,
                     padTo: UInt64? = nil, ad: [UInt8] = [], workspace: SealingWorkspace? = nil) throws -> [UInt8] {
        var source = MemorySource(content)
        var sink = MemorySink()
        var observed: [UInt8] = []
        let written = try SealedStream.sealPipelined(from: &source, contentLength: UInt64(content.count), to: &sink, key: key,
                                                     associatedData: ad, paddedLength: padTo, chunkSize: chunkSize,
                                                     workspace: workspace) { observed.append(contentsOf: $0) }
        #expect(written == UInt64(sink.bytes.count))
        #expect(written == SealedStream.sealedLength(contentLength: UInt64(content.count), paddedLength: padTo, chunkSize: chunkSize))
        #expect(observed == content)
        return sink.bytes
    }

    @Test(arguments: [64, 65_536])
    func roundTripsAtChunkAndSlotBoundaries(chunkSize: Int) throws {
        let key = SecretBytes.random(count: 32)
        let slot = SealedStream.pipelineSlotBytes
        // Plaintext = 8-byte length ‖ content, so chunk and slot boundaries fall at content = boundary − 8.
        let sizes = [0, 1, chunkSize - 8, chunkSize - 7, slot - 9, slot - 8, slot - 7, slot, 2 * slot - 8, 2 * slot + 1, 5 * slot + 12_345]
        let workspace = SealingWorkspace(chunkSize: chunkSize)   // reused across sizes, as ingest does
        for size in sizes {
            let content = Random.bytes(size)
            let sealed = try Self.seal(content, key: key, chunkSize: chunkSize, workspace: workspace)
            #expect(try SealedStreamTests.open(sealed, key: key) == content, "size \(size)")
        }
    }

    @Test func matchesTheSequentialLayoutChunkForChunk() throws {
        // Same key, same content: both streams have the same prefix, length and chunk tags, and each opens
        // with the other's reader (the 24-byte secretstream header is random, so the bytes differ).
        let key = SecretBytes.random(count: 32)
        let content = Random.bytes(3 * SealedStream.pipelineSlotBytes + 777)
        let padded = Padme.paddedLength(UInt64(content.count) + 8)
        let pipelined = try Self.seal(content, key: key, padTo: padded, ad: [9, 9])
        let sequential = try SealedStreamTests.seal(content, key: key, chunkSize: SealedStream.defaultChunkSize, padTo: padded, ad: [9, 9])
        #expect(pipelined.count == sequential.count)
        #expect(Array(pipelined[0..<SealedStream.prefixByteCount]) == Array(sequential[0..<SealedStream.prefixByteCount]))
        #expect(try SealedStreamTests.open(pipelined, key: key, ad: [9, 9]) == content)
        #expect(throws: CryptoError.authenticationFailed) { _ = try SealedStreamTests.open(pipelined, key: key, ad: [9, 8]) }
    }

    @Test func paddingIsZeroAndHidesTheLength() throws {
        let key = SecretBytes.random(count: 32)
        let content = Random.bytes(SealedStream.pipelineSlotBytes + 100)
        let padded = Padme.paddedLength(UInt64(content.count) + 8)
        #expect(padded > UInt64(content.count) + 8)
        let sealed = try Self.seal(content, key: key, padTo: padded)
        let other = try Self.seal(Random.bytes(content.count + 50), key: key, padTo: padded)
        #expect(sealed.count == other.count)
        #expect(try SealedStreamTests.open(sealed, key: key) == content)
    }

    @Test func everyByteFlipInASmallStreamFails() throws {
        let key = SecretBytes.random(count: 32)
        let sealed = try Self.seal(Random.bytes(300), key: key, chunkSize: 64, ad: [7])
        for index in sealed.indices {
            var flipped = sealed
            flipped[index] ^= 0x80
            #expect(throws: CryptoError.self, "flip at \(index)") { _ = try SealedStreamTests.open(flipped, key: key, ad: [7]) }
        }
    }

    @Test func sourceThatChangesLengthIsRefused() throws {
        let key = SecretBytes.random(count: 32)
        let stated = 2 * SealedStream.pipelineSlotBytes + 10
        for actual in [stated - 1, SealedStream.pipelineSlotBytes / 2, stated + 1, stated + 5_000_000] {
            var source = MemorySource(Random.bytes(actual))
            var sink = MemorySink()
            #expect(throws: CryptoError.self, "\(actual) bytes for \(stated) stated") {
                try SealedStream.sealPipelined(from: &source, contentLength: UInt64(stated), to: &sink, key: key)
            }
            // Nothing after the last whole slot the reader vouched for: no FINAL chunk was written.
            #expect(sink.bytes.count < Int(SealedStream.sealedLength(contentLength: UInt64(stated))))
        }
    }

    @Test func aFailingSinkStopsTheReaderAndReportsTheError() throws {
        struct FullDisk: ByteSink {
            var left: Int
            mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
                guard bytes.count <= left else { throw CryptoError.system("write", "No space left on device") }
                left -= bytes.count
            }
        }
        let key = SecretBytes.random(count: 32)
        let content = Random.bytes(12 * SealedStream.pipelineSlotBytes)
        for budget in [0, 100, SealedStream.pipelineSlotBytes + 5_000] {
            var source = MemorySource(content)
            var sink = FullDisk(left: budget)
            var seen = 0
            #expect(throws: CryptoError.system("write", "No space left on device")) {
                try SealedStream.sealPipelined(from: &source, contentLength: UInt64(content.count), to: &sink, key: key) { seen += $0.count }
            }
            // The reader stopped within the four slots in flight instead of reading the whole input.
            #expect(seen < content.count, "budget \(budget)")
        }
    }
}
