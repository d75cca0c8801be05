import VaultPlatform
import Foundation
import Testing
import VaultCrypto
import VaultStore
#if canImport(Glibc)
import Glibc
#endif

@Suite("Quarantine: admit, restore, name collisions")
struct QuarantineTests {
    /// A vault-like folder: `blobs/` (empty) and the path of `quarantine/` (not yet made).
    private func makeVault() throws -> (TestFolder, BlobStore, Quarantine) {
        let folder = try TestFolder("quarantine")
        try FileManager.default.createDirectory(atPath: folder.path + "/blobs", withIntermediateDirectories: false)
        return (folder, BlobStore(root: folder.path + "/blobs"), Quarantine(root: folder.path + "/quarantine"))
    }

    @Test func anAbsentQuarantineIsEmpty() throws {
        let (folder, _, quarantine) = try makeVault()
        defer { folder.remove() }
        #expect(try quarantine.files() == [] && quarantine.blobIDs() == [])
        #expect(!folder.exists("quarantine"))
    }

    @Test func admitMovesTheBlobWholeAndMakesThePrivateFolder() throws {
        let (folder, blobs, quarantine) = try makeVault()
        defer { folder.remove() }
        let content = Random.bytes(3000)
        try blobs.write(id: blobA, writeBytes(content))
        #expect(try quarantine.admit(blobA, from: blobs) == blobA)
        #expect(permissionBits(folder.path + "/quarantine") == 0o700)
        #expect(try folder.read("quarantine/" + blobA) == content)
        #expect(!DurableFile.exists(blobs.path(of: blobA)))
        #expect(try blobs.inventory().blobs.isEmpty)
        #expect(try quarantine.files() == [blobA] && quarantine.blobIDs() == [blobA])
    }

    @Test func aTakenNameGetsASuffixAndNothingIsReplaced() throws {
        let (folder, blobs, quarantine) = try makeVault()
        defer { folder.remove() }
        // The same blob id turns up three times (say, three databases restored in turn): three files.
        var names: [String] = []
        for byte in [UInt8(1), 2, 3] {
            try blobs.write(id: blobA, writeBytes([byte]))
            names.append(try quarantine.admit(blobA, from: blobs))
        }
        #expect(names == [blobA, blobA + ".1", blobA + ".2"])
        #expect(try folder.read("quarantine/" + blobA) == [1])
        #expect(try folder.read("quarantine/" + blobA + ".1") == [2])
        #expect(try folder.read("quarantine/" + blobA + ".2") == [3])
        #expect(try quarantine.blobIDs() == [blobA, blobA, blobA])
    }

    @Test func blobIDsIgnoreFilesThatAreNoBlob() throws {
        let (folder, blobs, quarantine) = try makeVault()
        defer { folder.remove() }
        try blobs.write(id: blobC, writeBytes([1]))
        _ = try quarantine.admit(blobC, from: blobs)
        try folder.write("quarantine/README.txt", [0])
        try folder.write("quarantine/" + blobA + "x", [0])                // a blob id with a tail that is no suffix
        try folder.write("quarantine/" + blobB + ".7", [0])
        #expect(try quarantine.files() == ["README.txt", blobA + "x", blobB + ".7", blobC])
        #expect(try quarantine.blobIDs() == [blobB, blobC])
    }

    @Test func restoreMovesTheFirstCopyBackOrTheOneNamed() throws {
        let (folder, blobs, quarantine) = try makeVault()
        defer { folder.remove() }
        for byte in [UInt8(1), 2] {
            try blobs.write(id: blobA, writeBytes([byte]))
            _ = try quarantine.admit(blobA, from: blobs)
        }
        try quarantine.restore(blobA, named: blobA + ".1", into: blobs)
        #expect(try folder.read("blobs/ab/" + blobA) == [2])
        #expect(try quarantine.files() == [blobA])
        blobs.remove(id: blobA)
        try quarantine.restore(blobA, into: blobs)
        #expect(try folder.read("blobs/ab/" + blobA) == [1])
        #expect(try quarantine.files() == [])
        // Nothing in quarantine under that id: nothing happens.
        try quarantine.restore(blobB, into: blobs)
        #expect(try blobs.inventory().blobs == [blobA])
    }

    @Test func restoreRecreatesAMissingBlobFolder() throws {
        let (folder, blobs, quarantine) = try makeVault()
        defer { folder.remove() }
        try blobs.write(id: blobC, writeBytes([9]))
        _ = try quarantine.admit(blobC, from: blobs)
        try FileManager.default.removeItem(atPath: folder.path + "/blobs/cd")
        try quarantine.restore(blobC, into: blobs)
        #expect(try folder.read("blobs/cd/" + blobC) == [9])
    }

    @Test func restoreNeverReplacesABlobInPlace() throws {
        let (folder, blobs, quarantine) = try makeVault()
        defer { folder.remove() }
        try blobs.write(id: blobA, writeBytes([1]))
        _ = try quarantine.admit(blobA, from: blobs)
        try blobs.write(id: blobA, writeBytes([2]))                      // the place is taken again
        #expect(throws: StoreError.self) { try quarantine.restore(blobA, into: blobs) }
        #expect(try folder.read("blobs/ab/" + blobA) == [2])
        #expect(try folder.read("quarantine/" + blobA) == [1])           // still in quarantine
    }

    @Test func restoreRefusesSomethingThatIsNoRegularFile() throws {
        let (folder, blobs, quarantine) = try makeVault()
        defer { folder.remove() }
        try FileManager.default.createDirectory(atPath: folder.path + "/quarantine/" + blobA, withIntermediateDirectories: true)
        #expect(throws: StoreError.io("move \(quarantine.root)/\(blobA) back", "it is not a regular file")) {
            try quarantine.restore(blobA, into: blobs)
        }
        #expect(!DurableFile.exists(blobs.path(of: blobA)))
    }

    @Test func aQuarantineThatIsASymbolicLinkIsRefused() throws {
        let (folder, _, quarantine) = try makeVault()
        defer { folder.remove() }
        try FileManager.default.createDirectory(atPath: folder.path + "/elsewhere", withIntermediateDirectories: false)
        #expect(symlink(folder.path + "/elsewhere", quarantine.root) == 0)
        #expect(throws: StoreError.corrupted("\(quarantine.root) is not a folder (a symbolic link?)")) { _ = try quarantine.files() }
    }
}
