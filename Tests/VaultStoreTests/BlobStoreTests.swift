import VaultPlatform
import Foundation
import Testing
import VaultCrypto
import VaultStore
#if canImport(Glibc)
import Glibc
#endif

/// Fixed blob ids: two share the folder `ab`, one lives in `cd`.
let blobA = "ab" + String(repeating: "0", count: 29) + "1"
let blobB = "ab" + String(repeating: "0", count: 29) + "2"
let blobC = "cd" + String(repeating: "f", count: 30)

/// Writes `bytes` to a handle (the body of `BlobStore.write`).
func writeBytes(_ bytes: [UInt8]) -> (FileHandleFD) throws -> Void {
    { handle in try bytes.withUnsafeBytes { try handle.write($0) } }
}

@Suite("BlobStore: write, publish, discard, inventory")
struct BlobStoreTests {
    /// A test folder with an empty `blobs/` in it.
    private func makeStore() throws -> (TestFolder, BlobStore) {
        let folder = try TestFolder("blobs")
        try FileManager.default.createDirectory(atPath: folder.path + "/blobs", withIntermediateDirectories: false)
        return (folder, BlobStore(root: folder.path + "/blobs"))
    }

    @Test func blobIDsAreThirtyTwoLowerCaseHexDigits() {
        #expect(BlobStore.isValidID(blobA) && BlobStore.isValidID(blobC))
        #expect(BlobStore.isValidID(BlobStore.newID()))
        #expect(BlobStore.newID() != BlobStore.newID())
        #expect(!BlobStore.isValidID(""))
        #expect(!BlobStore.isValidID(String(blobA.dropLast())))            // 31 digits
        #expect(!BlobStore.isValidID(blobA + "0"))                         // 33 digits
        #expect(!BlobStore.isValidID(blobA.uppercased()))
        #expect(!BlobStore.isValidID("ab" + String(repeating: "g", count: 30)))
        #expect(!BlobStore.isValidID("../" + String(repeating: "0", count: 29)))
    }

    @Test func pathsAreShardedByTheFirstTwoDigits() {
        let store = BlobStore(root: "/vault/blobs")
        #expect(store.path(of: blobA) == "/vault/blobs/ab/" + blobA)
        #expect(store.path(of: blobC) == "/vault/blobs/cd/" + blobC)
    }

    @Test func writeThenOpenRoundTripsAndLeavesNoTemporaryFile() throws {
        let (folder, store) = try makeStore()
        defer { folder.remove() }
        let content = Array("sealed bytes \u{0}\u{1}\u{2}".utf8) + Random.bytes(5000)
        let size = try store.write(id: blobA, writeBytes(content))
        #expect(size == UInt64(content.count))
        #expect(try folder.read("blobs/ab/" + blobA) == content)
        #expect(folder.list("blobs/ab") == [blobA])                       // no .tmp- left beside it
        #expect(permissionBits(store.path(of: blobA)) == 0o600)
        #expect(permissionBits(folder.path + "/blobs/ab") == 0o700)
        let handle = try store.open(id: blobA)
        var read: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try handle.read(into: $0) }
            if n == 0 { break }
            read += buffer.prefix(n)
        }
        #expect(read == content)
        let inventory = try store.inventory()
        #expect(inventory.blobs == [blobA] && inventory.temporaries.isEmpty && inventory.unexpected.isEmpty)
    }

    @Test func aFailedWriteLeavesNoFileBehind() throws {
        struct Interrupted: Error {}
        let (folder, store) = try makeStore()
        defer { folder.remove() }
        #expect(throws: Interrupted.self) {
            try store.write(id: blobA) { handle in
                try Array("half".utf8).withUnsafeBytes { try handle.write($0) }
                throw Interrupted()
            }
        }
        #expect(folder.list("blobs/ab").isEmpty)
        let inventory = try store.inventory()
        #expect(inventory.blobs.isEmpty && inventory.temporaries.isEmpty && inventory.unexpected.isEmpty)
        // The same id can be written afterwards (the temporary name is free again).
        try store.write(id: blobA, writeBytes([1, 2, 3]))
        #expect(try folder.read("blobs/ab/" + blobA) == [1, 2, 3])
    }

    @Test func aSecondWriterOfTheSameIDIsRefused() throws {
        let (folder, store) = try makeStore()
        defer { folder.remove() }
        try store.write(id: blobA, writeBytes([1]))
        // The temporary file is created exclusively: a second writer of the same id is refused.
        let pending = try store.begin(id: blobB)
        #expect { _ = try store.begin(id: blobB) } throws: { ($0 as? SystemCallError)?.errno.rawValue == EEXIST }
        store.discard(pending)
        #expect(folder.list("blobs/ab") == [blobA])
    }

    @Test func pendingBlobsAreTemporaryFilesUntilPublished() throws {
        let (folder, store) = try makeStore()
        defer { folder.remove() }
        var pending: [BlobStore.PendingBlob] = []
        for (id, byte) in [(blobA, UInt8(0xA1)), (blobB, 0xB2), (blobC, 0xC3)] {
            let blob = try store.begin(id: id)
            #expect(blob.id == id && blob.folder == folder.path + "/blobs/" + id.prefix(2))
            try [UInt8](repeating: byte, count: 100).withUnsafeBytes { try blob.handle.write($0) }
            pending.append(blob)
        }
        // Before publish: only temporary files, which no database row may name yet.
        let before = try store.inventory()
        #expect(before.blobs.isEmpty)
        #expect(before.temporaries == ["ab/.tmp-" + blobA, "ab/.tmp-" + blobB, "cd/.tmp-" + blobC])
        #expect(permissionBits(folder.path + "/blobs/ab/.tmp-" + blobA) == 0o600)
        let errors = store.publish(pending)
        #expect(errors.count == 3 && errors.allSatisfy { $0 == nil })
        let after = try store.inventory()
        #expect(after.blobs == [blobA, blobB, blobC] && after.temporaries.isEmpty)
        #expect(try folder.read("blobs/cd/" + blobC) == [UInt8](repeating: 0xC3, count: 100))
    }

    @Test func publishReportsEachBlobAndRemovesOnlyTheOneThatFailed() throws {
        let (folder, store) = try makeStore()
        defer { folder.remove() }
        let good = try store.begin(id: blobA)
        let lost = try store.begin(id: blobB)
        try [UInt8(7)].withUnsafeBytes { try good.handle.write($0) }
        // Its temporary file vanishes before publish: the rename fails for it alone.
        #expect(unlink(folder.path + "/blobs/ab/.tmp-" + blobB) == 0)
        let errors = store.publish([good, lost])
        #expect(errors[0] == nil)
        let failure = try #require(errors[1] as? StoreError)
        guard case let .io(operation, _) = failure else { Issue.record("unexpected \(failure)"); return }
        #expect(operation == "rename " + folder.path + "/blobs/ab/.tmp-" + blobB)
        #expect(folder.list("blobs/ab") == [blobA])
    }

    @Test func discardRemovesAPendingOrAPublishedBlob() throws {
        let (folder, store) = try makeStore()
        defer { folder.remove() }
        let unpublished = try store.begin(id: blobA)
        store.discard(unpublished)
        #expect(folder.list("blobs/ab").isEmpty)
        let published = try store.begin(id: blobB)
        #expect(store.publish([published]).allSatisfy { $0 == nil })
        #expect(folder.list("blobs/ab") == [blobB])
        store.discard(published)                                        // its content was already stored
        #expect(folder.list("blobs/ab").isEmpty)
    }

    @Test func openNamesAMissingBlobAndRefusesAMalformedID() throws {
        let (folder, store) = try makeStore()
        defer { folder.remove() }
        #expect(throws: StoreError.missing("blob \(blobA)")) { _ = try store.open(id: blobA) }
        #expect(throws: StoreError.corrupted("a blob id in the database is malformed; run `amanah check`")) {
            _ = try store.open(id: "../../vault.sqlite")
        }
        // A symbolic link in a blob's place is not followed.
        try FileManager.default.createDirectory(atPath: folder.path + "/blobs/ab", withIntermediateDirectories: false)
        try folder.write("outside", [1, 2, 3])
        #expect(symlink(folder.path + "/outside", store.path(of: blobA)) == 0)
        #expect { _ = try store.open(id: blobA) } throws: { ($0 as? SystemCallError)?.errno.rawValue == ELOOP }
    }

    @Test func removeDeletesOneBlob() throws {
        let (folder, store) = try makeStore()
        defer { folder.remove() }
        try store.write(id: blobA, writeBytes([1]))
        try store.write(id: blobB, writeBytes([2]))
        store.remove(id: blobA)
        #expect(try store.inventory().blobs == [blobB])
    }

    @Test func inventorySortsBlobsTemporariesAndUnexpectedFiles() throws {
        let (folder, store) = try makeStore()
        defer { folder.remove() }
        try store.write(id: blobC, writeBytes([3]))
        try store.write(id: blobA, writeBytes([1]))
        _ = try store.begin(id: blobB)                                    // an interrupted write
        try folder.write("blobs/stray.txt", [0])                          // not a two-letter folder
        try folder.write("blobs/ab/notes", [0])                           // not a blob id
        try folder.write("blobs/cd/" + blobA, [0])                        // a blob id in the wrong folder
        try FileManager.default.createDirectory(atPath: folder.path + "/blobs/abc", withIntermediateDirectories: false)
        let inventory = try store.inventory()
        #expect(inventory.blobs == [blobA, blobC])
        #expect(inventory.temporaries == ["ab/.tmp-" + blobB])
        #expect(inventory.unexpected == ["ab/notes", "abc", "cd/" + blobA, "stray.txt"])
    }

    @Test func inventoryRefusesABlobsFolderThatIsASymbolicLink() throws {
        let folder = try TestFolder("blobs")
        defer { folder.remove() }
        try FileManager.default.createDirectory(atPath: folder.path + "/elsewhere", withIntermediateDirectories: false)
        #expect(symlink(folder.path + "/elsewhere", folder.path + "/blobs") == 0)
        let store = BlobStore(root: folder.path + "/blobs")
        #expect(throws: StoreError.corrupted("\(store.root) is not a folder (a symbolic link?); refusing to clean up through it")) {
            _ = try store.inventory()
        }
    }
}

/// The temporary-file rule of `amanah check`: only `.tmp-<blob id>`, a regular file, last written before the
/// checking process started, may be removed.
@Suite("BlobStore: which temporary files check may remove")
struct TemporaryFileRuleTests {
    private func nanosecondsNow() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }

    /// Sets a file's modification time to `secondsAgo` seconds in the past.
    private func age(_ path: String, secondsAgo: Int) {
        let then = Date(timeIntervalSinceNow: -Double(secondsAgo))
        try? FileManager.default.setAttributes([.modificationDate: then], ofItemAtPath: path)
    }

    @Test func anOldTemporaryFileOfABlobIDMayBeRemoved() throws {
        let folder = try TestFolder("tmp-rule")
        defer { folder.remove() }
        let path = try folder.write(".tmp-" + blobA, [1])
        age(path, secondsAgo: 120)
        #expect(BlobStore.isRemovableTemporary(path, startedAt: nanosecondsNow()))
    }

    @Test func aTemporaryFileWrittenAfterTheCheckStartedIsKept() throws {
        let folder = try TestFolder("tmp-rule")
        defer { folder.remove() }
        let started = nanosecondsNow() - 60_000_000_000                  // the check started a minute ago
        let path = try folder.write(".tmp-" + blobA, [1])                  // a live writer elsewhere
        #expect(!BlobStore.isRemovableTemporary(path, startedAt: started))
        age(path, secondsAgo: 120)
        #expect(BlobStore.isRemovableTemporary(path, startedAt: started))
    }

    @Test func otherNamesDirectoriesAndLinksAreKept() throws {
        let folder = try TestFolder("tmp-rule")
        defer { folder.remove() }
        let later = nanosecondsNow() + 3_600_000_000_000
        for name in [".tmp-notablob", ".tmp-" + blobA.uppercased(), ".tmp-" + blobA + ".1", blobA, "tmp-" + blobA] {
            let path = try folder.write(name, [1])
            #expect(!BlobStore.isRemovableTemporary(path, startedAt: later), "\(name)")
        }
        let directory = folder.path + "/.tmp-" + blobB
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        #expect(!BlobStore.isRemovableTemporary(directory, startedAt: later))
        let link = folder.path + "/.tmp-" + blobC
        #expect(symlink(folder.path + "/" + blobA, link) == 0)
        #expect(!BlobStore.isRemovableTemporary(link, startedAt: later))
        #expect(!BlobStore.isRemovableTemporary(folder.path + "/.tmp-" + String(repeating: "e", count: 32), startedAt: later))
    }
}
