#if canImport(Glibc)
internal import VaultText
import VaultPlatform
import VaultPolicy
import Glibc
import VaultGovernance
#endif
import VaultCrypto
import VaultStore

/// A file sealed into a pending blob, waiting for the commit thread (see `Session.ingest(_:report:)`).
struct SealedIngest: @unchecked Sendable {
    let index: Int
    let request: Session.IngestRequest
    let fileName: String
    let size: UInt64
    let mediaType: String
    var metadataReport: [UInt8]?
    var identifying: [String]
    var warnings: [String]
    let blob: BlobStore.PendingBlob
    /// The direct-I/O writer of a large blob, whose last writes may still be in flight.
    let pendingWrite: DirectBlobSink?
    let sealedSize: UInt64
    let dataKey: SecretBox
    let digest: [UInt8]
    let contentToken: [UInt8]
}

/// What the sealing stage hands to the commit stage for one request.
enum IngestStage: @unchecked Sendable {
    case sealed(SealedIngest)
    case failed(Int, any Error)

    var index: Int {
        switch self {
        case let .sealed(item): return item.index
        case let .failed(index, _): return index
        }
    }

    var sealedBytes: UInt64 {
        if case let .sealed(item) = self { return item.sealedSize }
        return 0
    }
}

/// The hand-over from the sealing thread to the commit thread: first in, first out, bounded by a number of
/// files and of sealed bytes not yet committed (at least one file is always admitted). The commit thread
/// takes everything waiting as one group.
final class IngestQueue: @unchecked Sendable {
    private let lock = ConditionLock()
    private var waiting: [IngestStage] = []
    private var waitingBytes: UInt64 = 0
    private var closed = false
    let maximumFiles: Int
    let maximumBytes: UInt64

    init(maximumFiles: Int, maximumBytes: UInt64) {
        self.maximumFiles = maximumFiles
        self.maximumBytes = maximumBytes
    }

    /// Adds a stage, waiting while the queue is full.
    func push(_ stage: IngestStage) {
        lock.when({ waiting.isEmpty || (waiting.count < maximumFiles && waitingBytes < maximumBytes) }) {
            waiting.append(stage)
            waitingBytes += stage.sealedBytes
        }
    }

    /// No more stages will come.
    func close() { lock.changing { closed = true } }

    /// Everything waiting (at least one stage), or nil once closed and empty.
    func takeGroup() -> [IngestStage]? {
        lock.when({ !waiting.isEmpty || closed }) { () -> [IngestStage]? in
            guard !waiting.isEmpty else { return nil }
            let group = waiting
            waiting.removeAll(keepingCapacity: true)
            waitingBytes = 0
            return group
        }
    }
}

/// A group whose blobs are durable (`items`), with the failures found so far, in the order of the group.
struct DurableGroup: @unchecked Sendable {
    let order: [Int]
    var outcomes: [Int: Result<IngestOutcome, any Error>] = [:]
    var items: [SealedIngest] = []
}

/// The hand-over from the sync thread to the commit thread: first in, first out, at most `capacity` groups.
final class DurableGroupQueue: @unchecked Sendable {
    private let lock = ConditionLock()
    private var waiting: [DurableGroup] = []
    private var closed = false
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func push(_ group: DurableGroup) { lock.when({ waiting.count < capacity }) { waiting.append(group) } }

    func close() { lock.changing { closed = true } }

    /// The next group, or nil once closed and empty.
    func take() -> DurableGroup? {
        lock.when({ !waiting.isEmpty || closed }) { waiting.isEmpty ? nil : waiting.removeFirst() }
    }
}

/// Outcomes passed back from the commit thread to the calling thread, in order.
final class IngestResults: @unchecked Sendable {
    private let lock = ConditionLock()
    private var done: [(Int, Result<IngestOutcome, any Error>)] = []

    func append(_ outcomes: [(Int, Result<IngestOutcome, any Error>)]) {
        lock.changing { done.append(contentsOf: outcomes) }
    }

    /// The outcomes that arrived since the last call.
    func drain() -> [(Int, Result<IngestOutcome, any Error>)] {
        lock.withLock {
            let out = done
            done.removeAll()
            return out
        }
    }
}

/// The buffers of one sealing worker: its own `SealingWorkspace` (about 5 MiB, made on first use by a file
/// large enough for the threaded path), a 256 KiB buffer for the second read of each file, and the direct-I/O
/// buffer pool shared by every worker (8 MiB), so that memory stays flat however many files are sealed.
final class IngestWorkspace: @unchecked Sendable {
    let direct: DirectBlobSink.Buffers
    private var sealingBuffers: SealingWorkspace?

    /// A buffer for reading a file a second time (`Session.reread`), wiped after each use.
    let rereadBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 10, alignment: 64)

    init(direct: DirectBlobSink.Buffers) { self.direct = direct }

    deinit { rereadBuffer.deallocate() }

    var sealing: SealingWorkspace {
        if let sealingBuffers { return sealingBuffers }
        let made = SealingWorkspace()
        sealingBuffers = made
        return made
    }
}

/// Seals whole files on worker threads (one per core), several files at once; the results are taken in
/// request order. Sealing a file is independent of sealing the others, so this uses every core without
/// handing buffers between threads.
final class SealingPool: @unchecked Sendable {
    /// One file to seal.
    struct Job: @unchecked Sendable {
        let index: Int
        let file: Session.OpenedFile
        let request: Session.IngestRequest
    }

    private let lock = ConditionLock()
    private var jobs: [Job] = []
    private var done: [Int: IngestStage] = [:]
    private var stopping = false
    private var workers: [WorkerThread] = []

    /// Starts `workerCount` threads, each with its own workspace over the shared `direct` pool.
    /// - Throws: `SystemCallError` when a thread cannot start (the others are stopped).
    init(workerCount: Int, direct: DirectBlobSink.Buffers,
         seal: @escaping @Sendable (Job, IngestWorkspace) -> IngestStage) throws {
        do {
            for number in 0..<max(1, workerCount) {
                let workspace = IngestWorkspace(direct: direct)
                workers.append(try WorkerThread(name: "amanah-seal\(number)") { [self] in work(workspace, seal) })
            }
        } catch {
            stop()
            throw error
        }
    }

    deinit { stop() }

    func submit(_ job: Job) { lock.changing { jobs.append(job) } }

    /// The stage of request `index`, waiting for it (once per submitted job).
    func take(_ index: Int) -> IngestStage {
        lock.when({ done[index] != nil || stopping }) {
            done.removeValue(forKey: index) ?? .failed(index, VaultError.failed("sealing was stopped"))
        }
    }

    /// Stops the workers once the files in progress are sealed, and waits for them.
    func stop() {
        lock.changing { stopping = true }
        for worker in workers { worker.join() }
        workers = []
    }

    private func work(_ workspace: IngestWorkspace, _ seal: (Job, IngestWorkspace) -> IngestStage) {
        while true {
            let next = lock.when({ !jobs.isEmpty || stopping }) { () -> Job? in
                guard !stopping, !jobs.isEmpty else { return nil }
                return jobs.removeFirst()
            }
            guard let job = next else { return }
            let stage = seal(job, workspace)
            lock.changing { done[job.index] = stage }
        }
    }
}

/// Capture-metadata extraction for the files of an ingest, on worker threads while the sealing thread
/// seals earlier files (each extraction is a sandboxed child process, much slower than sealing a small
/// file). The sealing thread submits each opened file (the extractor reads it with pread, so the same open
/// file is then sealed) and takes the results in order.
final class MetadataPrefetch: @unchecked Sendable {
    /// What the sandbox reported for one file.
    struct Extracted: Sendable {
        var report: [UInt8]? = nil
        var identifying: [String] = []
        var warnings: [String] = []
    }

    private struct Job: @unchecked Sendable {
        let index: Int
        let file: FileHandleFD
        let mediaType: String
        let extractor: any MetadataExtracting
    }

    private let lock = ConditionLock()
    private var jobs: [Job] = []
    private var done: [Int: Extracted] = [:]
    private var stopping = false
    private var workers: [WorkerThread] = []

    /// Starts `workerCount` threads.
    /// - Throws: `SystemCallError` when a thread cannot start (the others are stopped).
    init(workerCount: Int) throws {
        do {
            for number in 0..<max(1, workerCount) {
                workers.append(try WorkerThread(name: "amanah-meta\(number)") { [self] in work() })
            }
        } catch {
            stop()
            throw error
        }
    }

    deinit { stop() }

    /// Queues the extraction of file `index` (open; read with pread only).
    func submit(index: Int, file: FileHandleFD, mediaType: String, extractor: any MetadataExtracting) {
        lock.changing { jobs.append(Job(index: index, file: file, mediaType: mediaType, extractor: extractor)) }
    }

    /// The result for file `index`, waiting for it (once per submitted file).
    func take(_ index: Int) -> Extracted {
        lock.when({ done[index] != nil || stopping }) {
            done.removeValue(forKey: index) ?? Extracted(warnings: ["metadata extraction was stopped"])
        }
    }

    /// Stops the workers once the extractions in progress end, and waits for them.
    func stop() {
        lock.changing { stopping = true }
        for worker in workers { worker.join() }
        workers = []
    }

    private func work() {
        while true {
            let next = lock.when({ !jobs.isEmpty || stopping }) { () -> Job? in
                guard !stopping, !jobs.isEmpty else { return nil }
                return jobs.removeFirst()
            }
            guard let job = next else { return }
            var result = Extracted()
            do {
                (result.report, result.identifying) = try job.extractor.extract(file: job.file, mediaType: job.mediaType)
            } catch {
                result.warnings = ["metadata could not be extracted (\(error)); the file is sealed as it is"]
                // The item says so, as an incomplete report does: it is not "nothing identifying".
                result.identifying = ["metadata not inspected (the sandbox could not read it): treat the original as possibly identifying"]
            }
            lock.changing { done[job.index] = result }
        }
    }
}

/// The source the sealer reads a file from: the descriptor opened for ingest, read sequentially from the
/// start. Debug builds give tests a point in the middle of the read (`ingest.mid-read`, after the first
/// piece of content) at which `FaultInjection.changeFile` may change the file.
struct IngestSource: ByteSource {
    let handle: FileHandleFD
    #if DEBUG
    private var started = false
    #endif

    init(handle: FileHandleFD) { self.handle = handle }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try handle.read(into: buffer)
        #if DEBUG
        if n > 0 && !started {
            started = true
            FaultInjection.changeFile(handle.path, at: "ingest.mid-read")
        }
        #endif
        return n
    }
}

/// What `fstat` says of a file opened for ingest, taken when it is opened and again when its read ends: a
/// file another program changes or replaces meanwhile differs in at least one of these, or (where the clock
/// behind the times is coarse) only in its content, which ingest compares by reading it twice.
struct FileSnapshot: Equatable {
    let device: UInt64
    let inode: UInt64
    let size: UInt64
    /// Modification time, seconds and nanoseconds (`st_mtim`).
    let modified: [Int]
    /// Status change time, seconds and nanoseconds (`st_ctim`): moves on every write and on every
    /// `utimensat`, so setting the modification time back does not hide a change from it.
    let statusChanged: [Int]

    /// The snapshot of the open descriptor `fd`.
    /// - Throws: `SystemCallError` when `fstat` fails.
    init(fd: Int32) throws {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SystemCallError("stat") }
        self.init(info)
    }

    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = UInt64(info.st_size)
        modified = [Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec)]
        statusChanged = [Int(info.st_ctim.tv_sec), Int(info.st_ctim.tv_nsec)]
    }

    /// Short phrases naming what differs in `later` ("its size, from N to M bytes", ...);
    /// empty when nothing does.
    func differences(_ later: FileSnapshot) -> [String] {
        var out: [String] = []
        if later.device != device || later.inode != inode { out.append("its device and inode (it was replaced)") }
        if later.size != size { out.append("its size, from \(size) to \(counted(later.size, "byte"))") }
        if later.modified != modified { out.append("its modification time") }
        if later.statusChanged != statusChanged { out.append("its status change time") }
        return out
    }
}

extension Session {
    /// The error for a file that changed while it was read: names the file and what changed (`changes`,
    /// phrases as `FileSnapshot.differences` makes them).
    static func changedWhileRead(_ path: String, _ changes: [String]) -> VaultError {
        .failed("\(path) changed while it was read (what differs: \(changes.joined(separator: "; "))); nothing of it was committed"
                + " — ingest it again once nothing writes to it")
    }

    /// Reads the open file again from its start through the same descriptor (pread; the read offset stays)
    /// and compares what it holds now with what the seal read: `length` bytes of SHA-256 `digest`.
    /// - Returns: phrases naming what differs (the length, the content), empty when nothing does.
    /// - Throws: `SystemCallError` on a read error.
    static func reread(_ handle: FileHandleFD, length: UInt64, digest: [UInt8], buffer: UnsafeMutableRawBufferPointer) throws -> [String] {
        var source = PositionalSource(fd: handle.fd)
        var hasher = ContentHasher()
        var total: UInt64 = 0
        defer { explicit_bzero(buffer.baseAddress!, buffer.count) }   // plaintext of the file
        while true {
            let n = try source.read(into: buffer)
            if n == 0 { break }
            total += UInt64(n)
            // Growth past the sealed length is a change; there is no need to read the rest.
            if total > length { return ["its length on a second read, more than the \(length) bytes sealed"] }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        if total != length { return ["its length on a second read, \(counted(total, "byte")) instead of \(length)"] }
        return hasher.finalize() == digest ? [] : ["its content, which a second read hashes differently"]
    }
}

/// How far an ingest has committed, shared by the commit thread (which counts and, when a group's
/// transaction fails, stops) and the sealing thread (which then opens no further file).
final class IngestProgress: @unchecked Sendable {
    private let lock = ConditionLock()
    private var committedCount = 0
    private var hasStopped = false
    /// The number of files in the ingest.
    let total: Int

    init(total: Int) { self.total = total }

    /// Files committed so far (new items and further sources), all before any failed group.
    var committed: Int { lock.withLock { committedCount } }
    /// True once a group's transaction failed: nothing after it is committed.
    var stopped: Bool { lock.withLock { hasStopped } }

    func addCommitted(_ count: Int) { lock.changing { committedCount += count } }
    func stop() { lock.changing { hasStopped = true } }
}
