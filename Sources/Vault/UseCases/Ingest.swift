import VaultPlatform
internal import VaultText
import VaultPolicy
import Foundation
import GRDB
import VaultAudit
import VaultCrypto
import VaultStore
import VaultGovernance
#if canImport(Glibc)
import Glibc
#endif

/// Capture-metadata extraction for ingest, run apart from keys (the vault passes the sandboxed client).
public protocol MetadataExtracting: Sendable {
    /// Extracts the metadata of the open file `file` (of media type `mediaType`), reading it from the start
    /// without moving its offset (the same file that is then sealed).
    /// - Returns: the report as JSON (sealed into the media compartment) and a list of short phrases naming
    ///   what identifying metadata the file carries (no values).
    /// - Throws: a descriptive error when extraction fails; the file is still sealed, with a warning.
    func extract(file: FileHandleFD, mediaType: String) throws -> (report: [UInt8], identifying: [String])
}

/// What happened to one ingested file.
public struct IngestOutcome: Sendable {
    /// The item id (new, or the existing item when the file was already in the vault).
    public var itemID: String
    /// True when the file was already in the vault and a source was added to the existing item.
    public var alreadyPresent: Bool
    /// The case of the existing item, when the file was already in the vault and the deliverer may view it.
    public var existingCase: String? = nil
    /// The id of the pending source recorded when the file was already in the vault and the deliverer may
    /// not view items (`itemID` is then `pending:` and this id; nothing names the item or its case).
    public var pendingSource: String? = nil
    /// Short phrases naming identifying metadata the original carries (never the values).
    public var identifyingMetadata: [String]
    /// Warnings (metadata could not be extracted, ...).
    public var warnings: [String]
}

extension Session {
    /// Options of an ingest.
    public struct IngestOptions: Sendable {
        public var caseID: String
        public var witness: String?
        public var sourceNote: String?
        public var metadata: (any MetadataExtracting)?
        public init(caseID: String, witness: String? = nil, sourceNote: String? = nil, metadata: (any MetadataExtracting)? = nil) {
            self.caseID = caseID; self.witness = witness; self.sourceNote = sourceNote; self.metadata = metadata
        }
    }

    /// Checks that the caller may ingest into `caseID` (and name `witness`).
    /// - Throws: `VaultError.notPermitted`, `VaultError.notFound`.
    public func checkIngest(_ options: IngestOptions) throws {
        try require(.ingest, Resource(compartments: [.media, .case, .identity], label: "case \(options.caseID)", caseID: options.caseID))
        for compartment in [Compartment.media, .case, .identity] where vault.state.rotationPending(compartment) {
            throw VaultError.rotationPending(compartment.rawValue)
        }
        if let witness = options.witness, vault.state.consentWithdrawn.contains(witness) {
            throw VaultError.invalidInput("--witness", "witness \(witness) withdrew their consent: nothing new is recorded about them")
        }
        try vault.database.queue.read { db in
            guard try RecordRow.find(kind: "case", id: options.caseID, db) != nil else {
                throw VaultError.notFound("case", options.caseID)
            }
            if let witness = options.witness, try RecordRow.find(kind: "witness", id: witness, db) == nil {
                throw VaultError.notFound("witness", witness)
            }
        }
    }

    /// One file to ingest and the options it is ingested with.
    public struct IngestRequest: Sendable {
        /// The file's path as messages show it; for a path that is not valid UTF-8, its escaped form
        /// (`Session.escapedPath`), whose last component is the file name the item records.
        public var path: String
        public var options: IngestOptions
        /// The path's bytes, when they are not valid UTF-8 (the file is opened by them); nil otherwise.
        public var rawPath: [UInt8]?
        public init(path: String, options: IngestOptions, rawPath: [UInt8]? = nil) {
            self.path = path; self.options = options; self.rawPath = rawPath
        }
    }

    /// A path whose bytes are not valid UTF-8 (a file name from an old archive or another system's
    /// encoding, such as ISO 8859-6 Arabic) as text: each byte of an invalid sequence as `%XX` (upper-case
    /// hex), and `%` itself as `%25`, so that the bytes can be read back from such a name; valid characters are
    /// kept. Used only for such paths: a valid UTF-8 path is kept as it is, `%` included, so a name alone does
    /// not say which it was (the ingest's message does). An escaped name is held to the 255-byte limit of
    /// file names, so a name of more than about 85 invalid bytes is refused.
    public static func escapedPath(_ bytes: [UInt8]) -> String {
        var out = ""
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var consumed = 0
        func hex(_ byte: UInt8) -> String {
            let digits = Array("0123456789ABCDEF")
            return "%" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
        }
        loop: while true {
            switch parser.parseScalar(from: &iterator) {
            case let .valid(encoded):
                let scalar = Unicode.UTF8.decode(encoded)
                out += scalar == "%" ? "%25" : String(scalar)
                consumed += encoded.count
            case let .error(length):
                for byte in bytes[consumed..<(consumed + length)] { out += hex(byte) }
                consumed += length
            case .emptyInput:
                break loop
            }
        }
        return out
    }

    /// Seals one file into the vault (a batch of one; see `ingest(_:report:)`).
    /// - Throws: `VaultError.invalidInput` naming the file for unreadable input; `VaultError.notPermitted`,
    ///   `VaultError.notFound` (case or witness); I/O and database errors. Nothing is left behind on failure.
    public func ingest(path: String, options: IngestOptions) throws -> IngestOutcome {
        var outcome: Result<IngestOutcome, any Error>? = nil
        try ingest([IngestRequest(path: path, options: options)]) { _, result in outcome = result }
        guard let outcome else { throw VaultError.failed("ingest of \(path) reported nothing") }
        return try outcome.get()
    }

    /// Seals files into the vault, in order, with group commit.
    ///
    /// Threads share the work. This one opens the files, a few ahead; sealing workers (one per core) seal
    /// each file into a new padded blob (a temporary file), computing SHA-256 in the same single read, several
    /// files at once; blobs of a mebibyte or more are written with direct I/O from a writer thread, and files
    /// of 16 MiB or more are also read, hashed and encrypted on threads of their own
    /// (`SealedStream.sealPipelined`, `DirectBlobSink`). Capture metadata of images is extracted meanwhile
    /// in the sandbox (a key-less child process per file) on worker threads, from the same open file. A sync
    /// thread takes whatever was sealed meanwhile as one group (at most 64 files or 128 MiB) and makes its
    /// blobs durable: fsync each, rename into place, fsync each blob folder once. Only then does a commit
    /// thread write the group's rows in one transaction: for every file its item, sealed facts, source and
    /// `item.ingest` audit event with the content commitment SHA-256(r ‖ SHA-256(original)), each file in its
    /// own savepoint. So every blob is durable before any row refers to it, a crash or an error leaves each
    /// item complete or absent (an orphan blob that `amanah check` removes), never half, and the syncs and
    /// the commit are shared by a group without waiting for more input.
    ///
    /// A file already in the vault (same SHA-256, found through a keyed hash) becomes a further source of
    /// that item (`item.source-add`) and is not stored twice.
    /// - Parameter report: called on the calling thread with the request's index and its outcome, in
    ///   request order, each only after the transaction holding that item has committed (or on failure).
    /// - Throws: `VaultError.notPermitted` when the member holds no media index key (nothing is done);
    ///   `SystemCallError` when a thread cannot start. Per-file errors go to `report`, among them the
    ///   policy's refusal for a case (`checkIngest` runs once per case and witness named).
    public func ingest(_ requests: [IngestRequest], report: (Int, Result<IngestOutcome, any Error>) -> Void) throws {
        let mediaGeneration = generation(.media)
        let indexKey = try vault.database.queue.read { db in
            try keyRing.key("index", of: .media, generation: mediaGeneration, db: db)
        }
        // Each case and witness named is checked once, before the commit thread starts using the database.
        func target(_ options: IngestOptions) -> String { options.caseID + "\u{0}" + (options.witness ?? "") }
        var checked: Set<String> = []
        var targetFailures: [String: any Error] = [:]
        for request in requests where checked.insert(target(request.options)).inserted {
            do { try checkIngest(request.options) } catch { targetFailures[target(request.options)] = error }
        }

        // Three stages: this thread seals; a sync thread makes each group's blobs durable; a commit thread
        // writes the group's rows. A group is never committed before its blobs are durable.
        let queue = IngestQueue(maximumFiles: 64, maximumBytes: 128 << 20)
        let durableGroups = DurableGroupQueue(capacity: 2)
        let results = IngestResults()
        let progress = IngestProgress(total: requests.count)
        let syncer = try WorkerThread(name: "amanah-sync") { [self] in
            while let group = queue.takeGroup() { durableGroups.push(makeDurable(group)) }
            durableGroups.close()
        }
        let committer: WorkerThread
        do {
            committer = try WorkerThread(name: "amanah-commit") { [self] in
                while let group = durableGroups.take() { results.append(commitRows(group, progress: progress)) }
            }
        } catch {
            queue.close()
            syncer.join()
            throw error
        }
        defer {
            queue.close()
            syncer.join()
            committer.join()
        }
        // Files are opened a few ahead of the one being handed on: each is sealed on a worker thread (one per
        // core, several files at once) while capture-metadata extraction (a sandboxed child process per
        // image, much slower than sealing a small file) runs on other worker threads, reading the same open
        // file (pread) that is sealed.
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
        // Extraction waits on a child process most of the time: twice as many extracting threads as cores
        // keep the cores busy, and the window of open files covers them.
        let window = 4 * cores
        let prefetch = requests.contains { $0.options.metadata != nil } ? try MetadataPrefetch(workerCount: 2 * cores) : nil
        defer { prefetch?.stop() }
        let sealers = try SealingPool(workerCount: cores, direct: DirectBlobSink.Buffers(count: 8)) { [self] job, workspace in
            do { return .sealed(try seal(job.file, request: job.request, index: job.index, indexKey: indexKey, workspace: workspace)) }
            catch { return .failed(job.index, error) }
        }
        defer { sealers.stop() }
        var failedEarly: [Int: any Error] = [:]
        var opened: [Int: OpenedFile] = [:]
        var extracting: Set<Int> = []
        var nextToOpen = 0
        for index in requests.indices {
            while nextToOpen < min(requests.count, index + 1 + window) {
                let ahead = nextToOpen
                nextToOpen += 1
                if let failure = targetFailures[target(requests[ahead].options)] {
                    failedEarly[ahead] = failure
                    continue
                }
                if progress.stopped {
                    failedEarly[ahead] = Self.notCommittedAfterFailure(requests[ahead].path)
                    continue
                }
                let file: OpenedFile
                do { file = try openForIngest(requests[ahead].path, raw: requests[ahead].rawPath) } catch {
                    failedEarly[ahead] = error
                    continue
                }
                if let prefetch, let extractor = requests[ahead].options.metadata, MediaType.hasCaptureMetadata(file.mediaType) {
                    prefetch.submit(index: ahead, file: file.handle, mediaType: file.mediaType, extractor: extractor)
                    extracting.insert(ahead)
                }
                opened[ahead] = file
                sealers.submit(SealingPool.Job(index: ahead, file: file, request: requests[ahead]))
            }
            var stage = failedEarly.removeValue(forKey: index).map { IngestStage.failed(index, $0) } ?? sealers.take(index)
            if extracting.remove(index) != nil, let extracted = prefetch?.take(index), case var .sealed(item) = stage {
                item.metadataReport = extracted.report
                item.identifying = extracted.identifying
                item.warnings = extracted.warnings
                stage = .sealed(item)
            } else if requests[index].options.metadata != nil, case var .sealed(item) = stage, !MediaType.hasCaptureMetadata(item.mediaType) {
                // A type the vault does not parse: said, never silence.
                item.identifying = [MediaType.notInspected(item.mediaType)]
                item.warnings = [MediaType.notInspected(item.mediaType)]
                stage = .sealed(item)
            }
            // The last read of the file has ended (the seal's second read, and the extraction's): what fstat
            // says must still be what it said when the file was opened.
            if let file = opened.removeValue(forKey: index), case let .sealed(item) = stage {
                let changes = file.changesSinceOpened()
                if !changes.isEmpty {
                    try? item.pendingWrite?.waitUntilWritten()
                    vault.blobs.discard(item.blob)
                    stage = .failed(index, Self.changedWhileRead(file.path, changes))
                }
            }
            queue.push(stage)
            for (done, result) in results.drain() { report(done, result) }
        }
        queue.close()
        syncer.join()
        committer.join()
        for (done, result) in results.drain() { report(done, result) }
    }

    /// A file opened for ingest, with its size and the media type its magic bytes name. Everything ingest
    /// learns of the file comes through `handle`, the one descriptor opened for it; `snapshot` is what
    /// `fstat` said of it when it was opened, compared again when its reads end.
    struct OpenedFile: @unchecked Sendable {
        let path: String
        let fileName: String
        let handle: FileHandleFD
        let snapshot: FileSnapshot
        var size: UInt64 { snapshot.size }
        let mediaType: String

        /// Phrases naming what `fstat` finds changed since the file was opened (empty when nothing).
        func changesSinceOpened() -> [String] {
            do { return snapshot.differences(try FileSnapshot(fd: handle.fd)) } catch { return ["its status, which can no longer be read (\(error))"] }
        }
    }

    /// Opens a file to ingest: never through a symbolic link (a planted link would seal some other file
    /// under a harmless name), and never blocking on a FIFO or device (the type is checked before opening,
    /// and the open does not block). The file is opened once; its type, size and first bytes come from that
    /// descriptor, which every later read of the file uses.
    /// - Throws: `VaultError.invalidInput` naming the file; `SystemCallError` ("PATH: cannot be read") when it
    ///   is not there or may not be read.
    func openForIngest(_ path: String, raw: [UInt8]? = nil) throws -> OpenedFile {
        // The system calls take the path's own bytes (`raw` for a path that is not valid UTF-8).
        let cPath: [CChar] = (raw ?? Array(path.utf8)).map { CChar(bitPattern: $0) } + [0]
        let fileName = DurableFile.lastComponent(of: path)
        do { try Identifier.validate(fileName, field: "file name \(fileName)", maximumScalars: 255) } catch {
            throw VaultError.invalidInput(path, "\(error)")
        }
        var info = stat()
        // Not there or not readable: a `SystemCallError` with its errno, which `amanah` reports with exit status 2.
        guard lstat(cPath, &info) == 0 else { throw SystemCallError(path + ": cannot be read") }
        guard (info.st_mode & S_IFMT) != S_IFLNK else {
            throw VaultError.invalidInput(path, "is a symbolic link; ingest the file it points to by its own path")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw VaultError.invalidInput(path, "is not a regular file") }
        let fd = open(cPath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { throw SystemCallError(path + ": cannot be read") }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        let handle = FileHandleFD(fd: fd, path: path)
        var opened = stat()
        guard fstat(fd, &opened) == 0 else { throw SystemCallError(path + ": cannot be read") }
        guard (opened.st_mode & S_IFMT) == S_IFREG else { throw VaultError.invalidInput(path, "is not a regular file") }
        guard opened.st_dev == info.st_dev && opened.st_ino == info.st_ino else {
            throw Self.changedWhileRead(path, ["its device and inode (it was replaced as it was opened)"])
        }
        // The type from the magic bytes.
        var head = [UInt8](repeating: 0, count: 32)
        let headCount = pread(handle.fd, &head, 32, 0)
        return OpenedFile(path: path, fileName: fileName, handle: handle, snapshot: FileSnapshot(opened),
                          mediaType: MediaType.sniff(Array(head.prefix(max(0, headCount)))))
    }

    /// The first stage of an ingest: reads, hashes and seals one opened file into a pending (not yet
    /// durable) blob, then reads it again through the same descriptor and compares: the length, the SHA-256
    /// and what `fstat` says (device, inode, size, modification and status change times with nanoseconds)
    /// must be what they were when the file was opened.
    /// - Throws: `VaultError.failed` ("... changed while it was read ...; nothing of it was committed") for a
    ///   file that changed; `VaultError.invalidInput` naming the file; I/O errors. Nothing is left behind on
    ///   failure.
    func seal(_ file: OpenedFile, request: IngestRequest, index: Int, indexKey: SecretBox, workspace: IngestWorkspace) throws -> SealedIngest {
        let path = file.path, handle = file.handle, size = file.size

        // One pass: hash and seal.
        let blobID = BlobStore.newID()
        let dataKey = SecretBox(SecretBytes.random(count: 32))
        let blobKey = Self.blobKey(from: dataKey)
        var hasher = ContentHasher()
        let padded = Padme.paddedLength(size + 8)
        let associatedData = Self.blobAssociatedData(vaultID: vault.vaultID, blobID: blobID)
        let blob: BlobStore.PendingBlob
        do { blob = try vault.blobs.begin(id: blobID) } catch { throw VaultError.invalidInput(path, "cannot store its blob: \(error)") }
        let sealedSize: UInt64
        var pendingWrite: DirectBlobSink? = nil
        do {
            var source = IngestSource(handle: handle)
            if size >= Self.directThreshold {
                // Large: written with direct I/O from a writer thread of its own; from `pipelineThreshold`
                // also read, hashed and encrypted on threads of their own (one file then uses every core).
                var sink = try DirectBlobSink(handle: blob.handle, buffers: workspace.direct)
                do {
                    if size >= Self.pipelineThreshold {
                        sealedSize = try SealedStream.sealPipelined(from: &source, contentLength: size, to: &sink, key: blobKey.bytes,
                                                                    associatedData: associatedData, paddedLength: padded,
                                                                    workspace: workspace.sealing) { hasher.update($0) }
                    } else {
                        sealedSize = try SealedStream.seal(from: &source, contentLength: size, to: &sink, key: blobKey.bytes,
                                                           associatedData: associatedData, paddedLength: padded) { hasher.update($0) }
                    }
                    sink.finish()   // the last writes complete while the next file is sealed
                    pendingWrite = sink
                } catch {
                    sink.abort()
                    throw error
                }
            } else {
                // Small: one pass on this thread; the kernel starts writing the blob at once.
                var sink = WritebackSink(handle: blob.handle)
                sealedSize = try SealedStream.seal(from: &source, contentLength: size, to: &sink, key: blobKey.bytes,
                                                   associatedData: associatedData, paddedLength: padded) { hasher.update($0) }
                sink.startWriteback()
            }
            FaultInjection.point("ingest.mid-blob")
            FaultInjection.changeFile(path, at: "ingest.after-read")
        } catch let error where error is CryptoError || error is SystemCallError {
            vault.blobs.discard(blob)
            // A source that held more or fewer bytes than its size said has changed; so has one whose
            // status changed (a read error on a file being truncated, ...).
            var changes = file.changesSinceOpened()
            if changes.isEmpty, case .malformedStream? = error as? CryptoError { changes = ["its length while it was read (\(error))"] }
            if !changes.isEmpty { throw Self.changedWhileRead(path, changes) }
            throw VaultError.invalidInput(path, "\(error)")
        } catch {
            vault.blobs.discard(blob)
            throw error
        }
        let digest = hasher.finalize()
        // The end of the read: the file read again must hash the same, and fstat must say what it said at
        // the start. A file changed in place with its times set back is caught by its content; one changed
        // within a coarse clock tick too.
        var changes: [String]
        do { changes = try Self.reread(handle, length: size, digest: digest, buffer: workspace.rereadBuffer) } catch {
            changes = ["its content, which could not be read a second time (\(error))"]
        }
        changes += file.changesSinceOpened()
        if !changes.isEmpty {
            try? pendingWrite?.waitUntilWritten()
            vault.blobs.discard(blob)
            throw Self.changedWhileRead(path, changes)
        }
        return SealedIngest(index: index, request: request, fileName: file.fileName, size: size, mediaType: file.mediaType,
                            metadataReport: nil, identifying: [], warnings: [], blob: blob, pendingWrite: pendingWrite,
                            sealedSize: sealedSize, dataKey: dataKey, digest: digest,
                            contentToken: ContentToken.make(digest: digest, indexKey: indexKey))
    }

    /// Files of this many bytes or more are written with direct I/O.
    static let directThreshold: UInt64 = 1 << 20
    /// Files of this many bytes or more are also read, hashed and encrypted on threads of their own (below
    /// it, sealing several files at once keeps the cores busy with less hand-over).
    static let pipelineThreshold: UInt64 = 16 << 20

    /// The second stage, on the sync thread: waits for the last writes of each blob of a group, then makes
    /// them durable under their final names (`BlobStore.publish`: fsync each, rename, fsync each folder once).
    func makeDurable(_ group: [IngestStage]) -> DurableGroup {
        var durable = DurableGroup(order: group.map { $0.index })
        var sealed: [SealedIngest] = []
        for stage in group {
            switch stage {
            case let .failed(index, error): durable.outcomes[index] = .failure(error)
            case let .sealed(item):
                do {
                    try item.pendingWrite?.waitUntilWritten()
                    sealed.append(item)
                } catch {
                    vault.blobs.discard(item.blob)
                    durable.outcomes[item.index] = .failure(VaultError.invalidInput(item.request.path, "its sealed copy could not be written: \(error)"))
                }
            }
        }
        let blobErrors = vault.blobs.publish(sealed.map { $0.blob })
        for (item, error) in zip(sealed, blobErrors) {
            if let error { durable.outcomes[item.index] = .failure(VaultError.invalidInput(item.request.path, "its sealed copy could not be stored: \(error)")) }
            else { durable.items.append(item) }
        }
        FaultInjection.point("ingest.after-blob")
        return durable
    }

    /// The third stage, on the commit thread: writes the rows of a group whose blobs are durable in one
    /// transaction (one savepoint per file). Returns the outcomes in the group's order.
    ///
    /// When the transaction fails (disk full, read-only or damaged database, I/O error, ...), the first file
    /// of the group gets an error saying what happened and where, which file was being written, how many
    /// files of the ingest `progress` counted as committed before, and which is the first not committed;
    /// the ingest then stops: no later group is written (their files fail as not committed).
    func commitRows(_ group: DurableGroup, progress: IngestProgress) -> [(Int, Result<IngestOutcome, any Error>)] {
        var outcomes = group.outcomes
        let durable = group.items

        if !durable.isEmpty && progress.stopped {
            for item in durable {
                vault.blobs.discard(item.blob)
                outcomes[item.index] = .failure(Self.notCommittedAfterFailure(item.request.path))
            }
        } else if !durable.isEmpty {
            // The file whose rows were being written when the database failed (nil: at the commit itself).
            var inProgress: String? = nil
            do {
                // The queue directly rather than `write`: the failure is reported below with the database's
                // own result code, in terms of this ingest.
                let written = try vault.database.write { db -> [(SealedIngest, Result<IngestOutcome, any Error>, keepBlob: Bool)] in
                    var written: [(SealedIngest, Result<IngestOutcome, any Error>, keepBlob: Bool)] = []
                    for item in durable {
                        inProgress = item.request.path
                        do {
                            var outcome: IngestOutcome? = nil
                            try db.inSavepoint {
                                outcome = try insertRows(item, db: db)
                                return .commit
                            }
                            guard let outcome else { throw VaultError.failed("no outcome for \(item.request.path)") }
                            written.append((item, .success(outcome), keepBlob: !outcome.alreadyPresent))
                        } catch let error as DatabaseError where Self.failsTheGroup(error) {
                            throw error   // the database takes no write at all: the whole group fails (said below)
                        } catch {
                            written.append((item, .failure(error), keepBlob: false))
                        }
                    }
                    inProgress = nil
                    FaultInjection.point("ingest.before-commit")
                    return written
                }
                var committed = 0
                for (item, result, keepBlob) in written {
                    outcomes[item.index] = result
                    if case .success = result { committed += 1 }
                    if !keepBlob { vault.blobs.discard(item.blob) }
                }
                progress.addCommitted(committed)
            } catch {
                // An I/O error at commit leaves it unknown whether the transaction reached the disk (SQLite may
                // bring it back at the next open): the blobs then stay, and `amanah check` removes those no
                // row refers to. Any other error means the transaction was rolled back.
                let commitUnknown = (error as? DatabaseError).map {
                    [.SQLITE_IOERR, .SQLITE_CORRUPT].contains($0.resultCode.primaryResultCode)
                } ?? false
                let first = durable[0].request.path
                let message = databaseFailure(error, inProgress: inProgress, first: first, groupCount: durable.count,
                                              committed: progress.committed, total: progress.total, commitUnknown: commitUnknown)
                progress.stop()
                for (position, item) in durable.enumerated() {
                    outcomes[item.index] = .failure(position == 0 ? VaultError.failed(message)
                        : VaultError.failed("\(item.request.path): not committed (the vault database failed while committing \(inProgress ?? first); see above)"))
                    if !commitUnknown { vault.blobs.discard(item.blob) }
                }
            }
        }
        return group.order.compactMap { index in outcomes[index].map { (index, $0) } }
    }

    /// Database errors after which a group's transaction cannot go on (rather than one file failing in its
    /// savepoint): the database takes no write (read-only, full, I/O error, cannot open) or is damaged.
    static func failsTheGroup(_ error: DatabaseError) -> Bool {
        [.SQLITE_READONLY, .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_CANTOPEN, .SQLITE_CORRUPT, .SQLITE_NOTADB]
            .contains(error.resultCode.primaryResultCode)
    }

    /// The error of a file not committed because the vault database failed earlier in the same ingest.
    static func notCommittedAfterFailure(_ path: String) -> VaultError {
        .failed("\(path): not committed (the ingest stopped when the vault database failed; see above)")
    }

    /// What to tell the user when a group's transaction failed with `error`: what happened and where, the
    /// file being written (`inProgress`; nil when the commit itself failed), how many files of the ingest
    /// were committed before, and the first not committed (`first`, the group's first file).
    func databaseFailure(_ error: any Error, inProgress: String?, first: String, groupCount: Int,
                         committed: Int, total: Int, commitUnknown: Bool) -> String {
        let database = vault.paths.canonicalRoot + "/vault.sqlite"
        let databaseError = error as? DatabaseError
        let reason = databaseError.map { $0.message ?? "\($0.resultCode)" } ?? "\(error)"
        let cause: String
        switch databaseError?.resultCode.primaryResultCode {
        case .SQLITE_FULL?: cause = "the disk holding \(database) is full (\(reason)); free space there before ingesting again"
        case .SQLITE_READONLY?: cause = "the vault database \(database) cannot be written (\(reason))"
        case .SQLITE_CORRUPT?, .SQLITE_NOTADB?: cause = "the vault database \(database) is damaged (\(reason)); run amanah check"
        case .SQLITE_IOERR?: cause = "an I/O error on \(database) (\(reason)); the disk may be failing: run amanah check"
        case .SQLITE_CANTOPEN?: cause = "the vault database \(database) cannot be opened (\(reason))"
        default: cause = "the vault database \(database) refused the write (\(reason))"
        }
        let place = inProgress.map { "while committing \($0)" } ?? "while committing the group of files from \(first)"
        var text = "cannot write to the vault database \(place): \(cause); "
        text += committed == 0 ? "no file of this ingest was committed before the failure"
            : "\(committed) of the \(counted(total, "file")) of this ingest \(committed == 1 ? "was" : "were") committed before the failure (their lines are printed above)"
        if commitUnknown {
            text += "; whether \(first) and the \(groupCount - 1) other files of its group were committed is not known (amanah list shows what the vault holds)"
                + ", and nothing after them was committed"
        } else {
            text += "; the first not committed is \(first), and nothing after it was committed"
        }
        return text
    }

    /// Writes one sealed file's rows in `db`'s transaction: a new item, or a further source of the item that
    /// already holds the same content.
    private func insertRows(_ item: SealedIngest, db: Database) throws -> IngestOutcome {
        let options = item.request.options
        let sourceID = BlobStore.newID()
        var sourceFields: [String: RecordCodec.Value] = ["fileName": .text(item.fileName)]
        if let witness = options.witness { sourceFields["witness"] = .text(witness) }
        if let note = options.sourceNote { sourceFields["note"] = .text(note) }
        let now = Clock.nowMilliseconds()

        if let existing = try ItemRow.find(contentToken: Data(item.contentToken), db) {
            // A role that may not view the item learns nothing of it: the delivery waits, sealed, for a member
            // who may view it to confirm it (`confirmSource`), and the deliverer is told only that.
            let mayView = vault.state.policy.decide(subject, .view, Resource(compartments: [.media], label: "item", caseID: existing.caseID)).isPermit
            if !mayView {
                sourceFields["pendingItem"] = .text(existing.id)
                sourceFields["sha256"] = .text(Hex.encode(item.digest))
                try RecordCodec.insert(kind: .source, id: sourceID, fields: sourceFields, vaultID: vault.vaultID, state: vault.state, createdAt: now,
                                       signer: identity, db: db)
                try PendingSourceRow(sourceID: sourceID, createdAt: now).insert(db)
                try audit(db, action: "item.source-pending", objects: [sourceID])
                var outcome = IngestOutcome(itemID: "pending:" + sourceID, alreadyPresent: true, identifyingMetadata: item.identifying, warnings: item.warnings)
                outcome.pendingSource = sourceID
                return outcome
            }
            try RecordCodec.insert(kind: .source, id: sourceID, fields: sourceFields, vaultID: vault.vaultID, state: vault.state, createdAt: now, signer: identity, db: db)
            try ItemSourceRow(itemID: existing.id, sourceID: sourceID, createdAt: now).insert(db)
            try audit(db, action: "item.source-add", objects: [existing.id, existing.caseID],
                      commitments: [IndexBinding.sourceCommitment(itemID: existing.id, sourceID: sourceID)])
            var outcome = IngestOutcome(itemID: existing.id, alreadyPresent: true, identifyingMetadata: item.identifying, warnings: item.warnings)
            outcome.existingCase = existing.caseID
            return outcome
        }

        let itemID = try Self.newItemID(db)
        let sequence = (try ItemRow.highestSequence(inCase: options.caseID, db) ?? 0) + 1
        try ItemRow(id: itemID, caseID: options.caseID, sequence: sequence, blobID: item.blob.id, sealedSize: Int64(item.sealedSize),
                    contentToken: Data(item.contentToken), createdAt: now).insert(db)
        let opening = Random.bytes(32)
        var fields: [String: RecordCodec.Value] = [
            "sha256": .text(Hex.encode(item.digest)), "size": .text(String(item.size)), "mediaType": .text(item.mediaType),
            "fileName": .text(item.fileName), "commitmentOpening": .text(Hex.encode(opening)),
            "metadataSummary": .list(item.identifying),
        ]
        if let report = item.metadataReport { fields["metadata"] = .text(String(decoding: report, as: UTF8.self)) }
        try RecordCodec.insert(kind: .item, id: itemID, fields: fields, vaultID: vault.vaultID, state: vault.state, createdAt: now,
                               presetKeys: [.media: item.dataKey], signer: identity, db: db)
        try RecordCodec.insert(kind: .source, id: sourceID, fields: sourceFields, vaultID: vault.vaultID, state: vault.state, createdAt: now, signer: identity, db: db)
        try ItemSourceRow(itemID: itemID, sourceID: sourceID, createdAt: now).insert(db)
        try audit(db, action: "item.ingest", objects: [itemID, options.caseID],
                  commitments: [ContentCommitment.commit(contentDigest: item.digest, opening: opening),
                                IndexBinding.ingestCommitment(itemID: itemID, caseID: options.caseID, sequence: sequence, sourceID: sourceID)])
        return IngestOutcome(itemID: itemID, alreadyPresent: false, identifyingMetadata: item.identifying, warnings: item.warnings)
    }

    /// The key of an item's blob: BLAKE2b-derived (context `amanah/v1/blob-key`) from the item's media data
    /// key, which is sealed to the media compartment like every record data key.
    package static func blobKey(from dataKey: SecretBox) -> SecretBox {
        SecretBox(BLAKE2b.deriveKey(from: dataKey.bytes, context: "amanah/v1/blob-key"))
    }

    /// The associated data that binds a blob's chunks to its vault and blob id.
    package static func blobAssociatedData(vaultID: [UInt8], blobID: String) -> [UInt8] {
        var ad = vaultID
        ad.appendLengthPrefixed("blob")
        ad.appendLengthPrefixed(blobID)
        return ad
    }

    /// A new item id: `I-` and 10 characters of Crockford base32 (50 random bits), unique in the vault.
    static func newItemID(_ db: Database) throws -> String {
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        while true {
            var value: UInt64 = 0
            for byte in Random.bytes(8) { value = value << 8 | UInt64(byte) }
            var id = "I-"
            for _ in 0..<10 {
                id.append(alphabet[Int(value & 31)])
                value >>= 5
            }
            if try ItemRow.fetchOne(db, key: id) == nil { return id }
        }
    }
}
