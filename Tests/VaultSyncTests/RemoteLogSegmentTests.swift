import Foundation
import Testing
@testable import VaultSync

/// The remote log's encodings (issue 17): round trips, keys that sort as positions, and every cut or extra
/// byte refused with a message naming what is wrong.
struct RemoteLogSegmentTests {
    static let object = RemoteLogObject(storedLeaf: Array("leaf".utf8) + [0, 1, 2], entry: Array("entry".utf8), values: [[9, 9], []],
                                        governance: [(3, Array("governance entry 3".utf8)), (4, [])])

    @Test func objectAndSegmentRoundTrip() throws {
        let bytes = Self.object.encoding
        #expect(try RemoteLogObject(encoding: bytes) == Self.object)
        let bare = RemoteLogObject(storedLeaf: [1], entry: nil, values: [], governance: [])
        let segment = RemoteLogSegment(objects: [Self.object, bare])
        let parsed = try RemoteLogSegment(encoding: segment.encoding)
        #expect(parsed.objects == [Self.object, bare])
        #expect(parsed.objects[1].entry == nil)
        // The encoding is what the format says: magic, then the count, then each object length-prefixed.
        let encoded = segment.encoding
        #expect(Array(encoded.prefix(29)) == Array("amanah/v1/remote-log-segment".utf8) + [0])
        #expect(Array(encoded[29..<33]) == [0, 0, 0, 2])
        #expect(Array(encoded[33..<37]) == [0, 0, 0, UInt8(bytes.count)])
    }

    @Test func everyTruncationAndTrailingByteIsRefused() throws {
        let encoded = RemoteLogSegment(objects: [Self.object]).encoding
        for cut in 0..<encoded.count {
            #expect(throws: (any Error).self, "cut at \(cut)") { _ = try RemoteLogSegment(encoding: Array(encoded.prefix(cut))) }
        }
        #expect(throws: (any Error).self) { _ = try RemoteLogSegment(encoding: encoded + [0]) }
        #expect(throws: (any Error).self) { _ = try RemoteLogSegment(encoding: Array("amanah/v1/remote-log-segment".utf8) + [0, 0, 0, 0, 0]) }
        var flag = Self.object.encoding
        flag[28 + 4 + Self.object.storedLeaf.count] = 7   // the entry flag: neither 0 nor 1
        #expect(throws: (any Error).self) { _ = try RemoteLogObject(encoding: flag) }
    }

    @Test func keysSortAsPositions() {
        #expect(RemoteLogObject.key(1) == "log/0000000000000001")
        #expect(RemoteLogObject.key(1_234_567) == "log/0000000001234567")
        #expect(RemoteLogObject.sequence(ofKey: "log/0000000001234567") == 1_234_567)
        for bad in ["log/0000000000000000", "log/123", "log/000000000000001x", "blobs/0000000000000001", "log/+000000000000001"] {
            #expect(RemoteLogObject.sequence(ofKey: bad) == nil, "\(bad)")
        }
        let keys = [10, 9, 200, 1].map { RemoteLogObject.key(Int64($0)) }.sorted()
        #expect(keys.map { RemoteLogObject.sequence(ofKey: $0)! } == [1, 9, 10, 200])
    }
}
