#if canImport(Glibc)
import VaultPlatform
import Glibc
#endif
import VaultCrypto

extension BlobStore {
    /// A new blob whose bytes are being written to its temporary file (`.tmp-<id>` in its folder) and that
    /// is not yet durable. `BlobStore.publish` makes a group of them durable; `discard` removes one.
    public final class PendingBlob: @unchecked Sendable {
        /// The blob id (32 hex characters).
        public let id: String
        /// The temporary file, open for writing.
        public let handle: FileHandleFD
        /// The folder `blobs/xx` that holds it.
        public let folder: String
        let temporary: String
        let final: String

        init(id: String, handle: FileHandleFD, folder: String, temporary: String, final: String) {
            self.id = id; self.handle = handle; self.folder = folder; self.temporary = temporary; self.final = final
        }
    }

    /// Creates the temporary file of new blob `id` (mode 0600, exclusive), creating and syncing its folder
    /// first when it is new.
    /// - Throws: `StoreError.io` or `SystemCallError` naming the path.
    public func begin(id: String) throws -> PendingBlob {
        let folder = root + "/" + String(id.prefix(2))
        if !DurableFile.exists(folder) {
            guard mkdir(folder, 0o700) == 0 || errno == EEXIST else { throw StoreError.io("create \(folder)", lastErrorText()) }
            try DurableFile.syncDirectory(root)
        }
        let temporary = folder + "/" + BlobStore.temporaryPrefix + id
        let handle = try FileHandleFD.createExclusive(temporary, mode: 0o600)
        return PendingBlob(id: id, handle: handle, folder: folder, temporary: temporary, final: path(of: id))
    }

    /// Makes pending blobs durable under their final names, in the order a crash cannot undo: each
    /// temporary file is fsynced and closed, then renamed into place, then each folder involved is fsynced
    /// once (a group of blobs shares those folder syncs). Only after this returns without an error for a
    /// blob may a database row refer to it.
    /// - Returns: one entry per blob, in order: nil when it is durable, or the error; a blob that failed is
    ///   removed.
    public func publish(_ blobs: [PendingBlob]) -> [(any Error)?] {
        var errors: [(any Error)?] = Array(repeating: nil, count: blobs.count)
        for (index, blob) in blobs.enumerated() {
            do {
                try blob.handle.sync()
                try blob.handle.close()
                guard rename(blob.temporary, blob.final) == 0 else { throw StoreError.io("rename \(blob.temporary)", lastErrorText()) }
            } catch {
                errors[index] = error
                discard(blob)
            }
        }
        var folderErrors: [String: any Error] = [:]
        // The root first: a folder `blobs/xx` made by another thread during this group is durable too.
        if !blobs.isEmpty {
            do { try DurableFile.syncDirectory(root) } catch { for blob in blobs { folderErrors[blob.folder] = error } }
        }
        for folder in Set(blobs.enumerated().filter { errors[$0.offset] == nil }.map { $0.element.folder }).sorted() {
            do { try DurableFile.syncDirectory(folder) } catch { folderErrors[folder] = error }
        }
        for (index, blob) in blobs.enumerated() where errors[index] == nil {
            if let error = folderErrors[blob.folder] {
                errors[index] = error
                discard(blob)
            }
        }
        return errors
    }

    /// Removes a pending blob, published or not (after a failure, or when its content was already stored).
    public func discard(_ blob: PendingBlob) {
        try? blob.handle.close()
        unlink(blob.temporary)
        unlink(blob.final)
    }
}
