import Testing
import VaultGovernance

/// Record fields are padded before they are sealed (issue 15): a ciphertext's length says only a bucket of
/// the value's length. Values of the first release (unpadded) still read.
@Suite struct FieldPaddingTests {
    @Test(arguments: [(0, 64), (1, 64), (59, 64), (60, 128), (251, 256), (252, 272), (1000, 1024)])   // above 256: Padmé
    func lengthsFallIntoBuckets(length: Int, padded: Int) throws {
        let value = RecordCodec.Value.text(String(repeating: "a", count: length))
        let bytes = value.paddedBytes
        #expect(bytes.count == padded)
        #expect(bytes[0] == 0x01 && Array(bytes[1..<5]) == [0, 0, UInt8(length >> 8), UInt8(length & 0xFF)])
        #expect(try RecordCodec.Value.decode(bytes, isList: false) == value)
    }

    @Test func namesOfDifferentLengthsLookAlike() {
        #expect(RecordCodec.Value.text("Al").paddedBytes.count == RecordCodec.Value.text("عبد الرحمن محمد الخطيب").paddedBytes.count)
    }

    @Test func listsAndUnpaddedValuesRoundTrip() throws {
        let list = RecordCodec.Value.list(["Demo Tribunal", "محكمة"])
        #expect(try RecordCodec.Value.decode(list.paddedBytes, isList: true) == list)
        #expect(try RecordCodec.Value.decode(Array("Qaboun".utf8), isList: false) == .text("Qaboun"))   // first release
        #expect(try RecordCodec.Value.decode(Array(#"["a"]"#.utf8), isList: true) == .list(["a"]))
    }

    @Test func malformedPaddingIsRefused() {
        var bytes = RecordCodec.Value.text("Qaboun").paddedBytes
        bytes[bytes.count - 1] = 1
        #expect(throws: VaultError.integrity("a padded field is malformed")) { try RecordCodec.Value.decode(bytes, isList: false) }
        #expect(throws: VaultError.integrity("a padded field is malformed")) { try RecordCodec.Value.decode([1, 0, 0, 0, 9, 65], isList: false) }
        #expect(throws: VaultError.integrity("a padded field is truncated")) { try RecordCodec.Value.decode([1, 0], isList: false) }
    }
}
