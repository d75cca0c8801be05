import Foundation
import GRDB
import Testing
import VaultCrypto
import VaultStore

/// Signed index entries (issue 15): the encoding, what the recorder takes from a transaction, and the replay
/// that `check` compares a database with.
@Suite("IndexEntry: encoding, recording, replay")
struct IndexEntryTests {
    static let vaultID = [UInt8](repeating: 0xAB, count: 32)
    static let nonce = [UInt8](repeating: 0xCD, count: 16)

    /// The encoding of a fixed entry, written out by hand from the layout in `IndexEntry`'s documentation.
    @Test func encodingMatchesTheDocumentedLayout() throws {
        let entry = IndexEntry(vaultID: Self.vaultID, nonce: Self.nonce, changes: [
            .init(table: "region", rowID: 2, columns: nil),
            .init(table: "item", rowID: 1, columns: [.init(name: "id", value: .utf8("I-1")), .init(name: "sequence", value: .integer(-1)),
                                                      .init(name: "x", value: .null), .init(name: "b", value: .blob([0xFF])),
                                                      .init(name: "r", value: .real(1.5))]),
        ])
        let expected = Hex.encode(Array("amanah/v1/index-entry".utf8)) + "00" + String(repeating: "ab", count: 32) + String(repeating: "cd", count: 16)
            + "00" + "00000002"
            // item (sorted before region), row 1, present, 5 columns
            + "00000004" + Hex.encode(Array("item".utf8)) + "0000000000000001" + "01" + "00000005"
            + "00000002" + "6964" + "03" + "00000003" + "492d31"
            + "00000008" + Hex.encode(Array("sequence".utf8)) + "01" + "ffffffffffffffff"
            + "00000001" + "78" + "00"
            + "00000001" + "62" + "04" + "00000001" + "ff"
            + "00000001" + "72" + "02" + "3ff8000000000000"
            // region, row 2, deleted
            + "00000006" + Hex.encode(Array("region".utf8)) + "0000000000000002" + "00"
        #expect(Hex.encode(entry.encoding) == expected)
        #expect(entry.hash == SHA256Digest.hash(try Hex.decode(expected)))
        let parsed = try IndexEntry(encoding: entry.encoding)
        #expect(parsed == entry && parsed.encoding == entry.encoding)
    }

    /// A sealed data key is carried by its SHA-256 (tag 5) and kept aside, so that shredding can destroy every
    /// copy; a value that is not kept parses as shredded, and tag 5 outside the detached columns is refused.
    @Test func detachedValuesAreCarriedByHash() throws {
        let sealed: [UInt8] = [0x01, 0x02, 0x03]
        let entry = IndexEntry(vaultID: Self.vaultID, nonce: Self.nonce, changes: [
            .init(table: "recordKey", rowID: 7, columns: [.init(name: "sealedKey", value: .blob(sealed))]),
        ])
        let digest = SHA256Digest.hash(sealed)
        #expect(Hex.encode(entry.encoding).hasSuffix("00000009" + Hex.encode(Array("sealedKey".utf8)) + "05" + Hex.encode(digest)))
        #expect(entry.encoding.firstRange(of: sealed) == nil)
        #expect(entry.detachedValues.map(\.value) == [sealed] && entry.detachedValues.map(\.hash) == [digest])
        let kept = try IndexEntry(encoding: entry.encoding, detachedValue: { $0 == digest ? sealed : nil })
        #expect(kept == entry && kept.encoding == entry.encoding)
        let shredded = try IndexEntry(encoding: entry.encoding)
        #expect(shredded.changes[0].columns?[0].value == .detached(hash: digest, value: nil) && shredded.encoding == entry.encoding)
        let forged = try IndexEntry(encoding: entry.encoding, detachedValue: { _ in [0x09] })   // a value of another hash
        #expect(forged.changes[0].columns?[0].value == .detached(hash: digest, value: nil))
        var elsewhere = entry.encoding
        let name = Array("sealedKey".utf8)
        let at = try #require(elsewhere.firstRange(of: name))
        elsewhere.replaceSubrange(at, with: Array("sealedKez".utf8))
        #expect(throws: StoreError.self) { try IndexEntry(encoding: elsewhere) }
    }

    @Test func malformedEncodingsAreRefused() throws {
        let entry = IndexEntry(vaultID: Self.vaultID, nonce: Self.nonce, snapshot: true,
                               changes: [.init(table: "item", rowID: 7, columns: [.init(name: "id", value: .utf8("I-7"))])])
        let bytes = entry.encoding
        #expect(try IndexEntry(encoding: bytes).snapshot)
        for cut in 0..<bytes.count {
            #expect(throws: StoreError.self) { try IndexEntry(encoding: Array(bytes.prefix(cut))) }
        }
        #expect(throws: StoreError.self) { try IndexEntry(encoding: bytes + [0]) }
        var flag = bytes
        flag[22 + 32 + 16] = 2   // the snapshot flag
        #expect(throws: StoreError.self) { try IndexEntry(encoding: flag) }
        var magic = bytes
        magic[0] ^= 1
        #expect(throws: StoreError.self) { try IndexEntry(encoding: magic) }
    }

    /// A vault database in a temporary folder, with the recorder installed as `VaultDatabase` does.
    static func database() throws -> (VaultDatabase, String) {
        let folder = NSTemporaryDirectory() + "index-entry-" + Hex.encode(Random.bytes(6))
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return (try VaultDatabase(path: folder + "/vault.sqlite", create: true), folder)
    }

    @Test func theRecorderTakesWhatTheTransactionKeptAndRefusesAnUnsignedChange() throws {
        let (database, folder) = try Self.database()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let recorder = try #require(database.entries)
        let entry = try database.write { db -> IndexEntry? in
            try db.execute(sql: "INSERT INTO vaultMeta (key, value) VALUES ('a', x'01'), ('b', x'02')")
            // A savepoint rolled back takes its rows out of the entry.
            try? db.inSavepoint {
                try db.execute(sql: "INSERT INTO vaultMeta (key, value) VALUES ('c', x'03')")
                throw StoreError.corrupted("refused")
            }
            try db.execute(sql: "UPDATE vaultMeta SET value = x'09' WHERE key = 'b'")
            return try recorder.takeEntry(db, vaultID: Self.vaultID)
        }
        #expect(entry?.changes == [
            .init(table: "vaultMeta", rowID: 1, columns: [.init(name: "key", value: .utf8("a")), .init(name: "value", value: .blob([1]))]),
            .init(table: "vaultMeta", rowID: 2, columns: [.init(name: "key", value: .utf8("b")), .init(name: "value", value: .blob([9]))]),
        ])
        // A deletion is taken as one; a change nobody takes is refused and rolled back.
        let deleted = try database.write { db in
            try db.execute(sql: "DELETE FROM vaultMeta WHERE key = 'a'")
            return try recorder.takeEntry(db, vaultID: Self.vaultID)
        }
        #expect(deleted?.changes == [.init(table: "vaultMeta", rowID: 1, columns: nil)])
        #expect(throws: StoreError.self) {
            try database.write { db in try db.execute(sql: "INSERT INTO vaultMeta (key, value) VALUES ('d', x'04')") }
        }
        #expect(try database.queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM vaultMeta WHERE key = 'd'") } == 0)
        // Tables outside the index (the log's own) are not recorded.
        try database.write { db in try db.execute(sql: "INSERT INTO checkpoint (size, rootHash, note, createdAt) VALUES (1, x'00', 'n', 0)") }
    }

    @Test func theReplayEqualsTheDatabaseAndNamesEachDifference() throws {
        let (database, folder) = try Self.database()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let recorder = try #require(database.entries)
        var entries: [IndexEntry] = []
        for sql in ["INSERT INTO vaultMeta (key, value) VALUES ('a', x'01'), ('b', x'02')",
                    "UPDATE vaultMeta SET value = x'03' WHERE key = 'a'",
                    "DELETE FROM vaultMeta WHERE key = 'b'"] {
            try database.write { db in
                try db.execute(sql: sql)
                entries.append(try #require(try recorder.takeEntry(db, vaultID: Self.vaultID)))
            }
        }
        var replay = try IndexReplay()
        for (index, entry) in entries.enumerated() { try replay.apply(entry, event: UInt64(index + 1)) }
        #expect(try database.queue.read { db in try replay.differences(from: db) } == [])
        #expect(try replay.rowCount() == 1)

        // The folder writer changes a value, deletes the row and plants another.
        try database.queue.writeWithoutTransaction { db in
            try db.execute(sql: "DROP TRIGGER temp.\"entry.vaultMeta.update\"")
            try db.execute(sql: "UPDATE vaultMeta SET value = x'04' WHERE key = 'a'")
        }
        var differences = try database.queue.read { db in try replay.differences(from: db) }
        #expect(differences == ["index table vaultMeta, row 1 (key='a'): column value is 1-byte blob \(Hex.encode(Array(SHA256Digest.hash([4]).prefix(4))))…, audit event 2 wrote 1-byte blob \(Hex.encode(Array(SHA256Digest.hash([3]).prefix(4))))…"])
        try database.queue.writeWithoutTransaction { db in
            try db.execute(sql: "DROP TRIGGER temp.\"entry.vaultMeta.delete\"")
            try db.execute(sql: "DROP TRIGGER temp.\"entry.vaultMeta.insert\"")
            try db.execute(sql: "DELETE FROM vaultMeta")
            try db.execute(sql: "INSERT INTO vaultMeta (rowid, key, value) VALUES (5, 'z', x'05')")
        }
        differences = try database.queue.read { db in try replay.differences(from: db) }
        #expect(differences == ["index table vaultMeta, row 5 (key='z'): no signed entry wrote this row (a planted or copied row)",
                                "index table vaultMeta, row 1 (key='a'): audit event 2 wrote this row, but the database lacks it (a deleted row)"])
    }

    /// Texts that a Swift `String` equates but SQLite does not (NFC and NFD, a trailing NUL) are different
    /// values: a key changed that way is reported.
    @Test func textIsComparedByItsBytes() throws {
        let (database, folder) = try Self.database()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let recorder = try #require(database.entries)
        let composed = "\u{0623}-7"              // ARABIC LETTER ALEF WITH HAMZA ABOVE
        let decomposed = "\u{0627}\u{0654}-7"    // ALEF + HAMZA ABOVE: canonically equivalent
        #expect(composed == decomposed && Array(composed.utf8) != Array(decomposed.utf8))
        var replay = try IndexReplay()
        try database.write { db in
            try db.execute(sql: "INSERT INTO vaultMeta (key, value) VALUES (?, x'01'), ('n', x'02')", arguments: [composed])
            try replay.apply(try #require(try recorder.takeEntry(db, vaultID: Self.vaultID)), event: 1)
        }
        try database.queue.writeWithoutTransaction { db in
            try db.execute(sql: "DROP TRIGGER temp.\"entry.vaultMeta.update\"")
            try db.execute(sql: "UPDATE vaultMeta SET key = ? WHERE rowid = 1", arguments: [decomposed])
            try db.execute(sql: "UPDATE vaultMeta SET key = 'n' || char(0) WHERE rowid = 2")
        }
        let differences = try database.queue.read { db in try replay.differences(from: db) }
        #expect(differences.count == 2)
        #expect(differences.first == "index table vaultMeta, row 1 (key='\(composed)' (bytes d8a32d37)): column key is '\(decomposed)' (bytes d8a7d9942d37), audit event 1 wrote '\(composed)' (bytes d8a32d37)", "\(differences)")
        #expect(differences.last?.contains("column key is 'n?' (bytes 6e00), audit event 1 wrote 'n'") == true, "\(differences)")
    }
}
