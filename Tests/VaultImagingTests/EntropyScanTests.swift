import Testing
@testable import VaultImaging

/// The end of JPEG entropy-coded data, found with memchr, against a plain byte-by-byte reference.
@Suite struct EntropyScanTests {
    /// The reference: the first 0xFF at or after `from` followed by a byte other than 0x00, 0xFF or RSTn.
    static func reference(_ bytes: [UInt8], from: Int) -> Int {
        guard from < bytes.count else { return bytes.count }
        var i = max(0, from)
        while i + 1 < bytes.count {
            if bytes[i] == 0xFF {
                let next = bytes[i + 1]
                if next == 0x00 || next == 0xFF || (0xD0...0xD7).contains(next) { i += next == 0xFF ? 1 : 2; continue }
                return i
            }
            i += 1
        }
        return i
    }

    @Test func knownCases() {
        #expect(ByteView([0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD9]).endOfEntropyData(from: 0) == 4)     // stuffed byte, then EOI
        #expect(ByteView([0xFF, 0xD3, 0x01, 0xFF, 0xFF, 0xD9]).endOfEntropyData(from: 0) == 4)     // RST3, fill byte, EOI
        #expect(ByteView([0x01, 0x02, 0x03]).endOfEntropyData(from: 0) == 2)                       // none: count - 1
        #expect(ByteView([0x01, 0x02, 0xFF]).endOfEntropyData(from: 0) == 2)                       // a last 0xFF alone
        #expect(ByteView([0xFF, 0xD9]).endOfEntropyData(from: 5) == 2)                              // past the end: count
        #expect(ByteView([]).endOfEntropyData(from: 0) == 0)
    }

    @Test func agreesWithTheReferenceOnRandomScans() {
        var state: UInt64 = 0x616D_616E_6168
        func next() -> UInt64 {   // xorshift64
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
        let interesting: [UInt8] = [0xFF, 0x00, 0xD0, 0xD7, 0xD8, 0xD9, 0xDA, 0x12]
        for round in 0..<2_000 {
            let count = Int(next() % 600)
            var bytes = (0..<count).map { _ in next() % 3 == 0 ? interesting[Int(next() % 8)] : UInt8(truncatingIfNeeded: next()) }
            if round % 7 == 0 { bytes = bytes.map { $0 == 0xFF ? 0x01 : $0 } }   // no 0xFF at all
            let from = count == 0 ? 0 : Int(next() % UInt64(count + 2))
            let expected = Self.reference(bytes, from: from)
            #expect(ByteView(bytes).endOfEntropyData(from: from) == expected, "round \(round)")
            // A window that does not start at the array's first byte.
            if count > 4 {
                let window = try? ByteView(bytes).sub(2, count - 2, "window")
                #expect(window?.endOfEntropyData(from: 0) == Self.reference(Array(bytes[2...]), from: 0), "round \(round), window")
            }
        }
    }
}
