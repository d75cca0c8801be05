#if canImport(Glibc)
import Glibc
#endif
import CPlatform
import VaultCrypto

/// The sink of a large blob: bytes are gathered into aligned 1 MiB buffers that a writer thread of its own
/// writes with direct I/O (O_DIRECT), from the buffer to the device without a copy into the page cache and
/// without a later writeback; so the write overlaps with sealing and costs almost no CPU. The tail is
/// written as a whole 4096-byte block and the file then truncated to its exact length. Where the file
/// system has no direct I/O, the same thread writes through the page cache and starts writeback early.
/// Durability still comes only from the fsync in `BlobStore.publish`.
final class DirectBlobSink: ByteSink {
    static let bufferBytes = 1 << 20
    static let alignment = 4096

    private let state: DirectWriterState
    private let writer: WorkerThread
    private var current: UnsafeMutableRawBufferPointer
    private var filled = 0
    private var offset: Int64 = 0
    private var finished = false

    /// Three aligned buffers of `bufferBytes`, allocated once and reused for every blob of an ingest.
    final class Buffers: @unchecked Sendable {
        let all: [UnsafeMutableRawBufferPointer]
        init() {
            all = (0..<3).map { _ in
                UnsafeMutableRawBufferPointer.allocate(byteCount: DirectBlobSink.bufferBytes, alignment: DirectBlobSink.alignment)
            }
        }
        deinit { for buffer in all { buffer.deallocate() } }
    }

    /// Starts the writer thread for `handle` (a new, empty file), using `buffers` (not shared with another
    /// sink at the same time).
    /// - Throws: `CryptoError.system` when the thread cannot start.
    init(handle: FileHandleFD, buffers: Buffers) throws {
        let direct = amanah_set_direct_io(handle.fd, 1) == 0
        let state = DirectWriterState(handle: handle, direct: direct, buffers: buffers)
        guard let first = state.takeFree() else { throw CryptoError.system("write \(handle.path)", "no buffer") }
        self.state = state
        current = first
        writer = try WorkerThread(name: "amanah-write") { state.run() }
    }

    deinit {
        if !finished { abort() }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = min(bytes.count - done, DirectBlobSink.bufferBytes - filled)
            (current.baseAddress! + filled).copyMemory(from: bytes.baseAddress! + done, byteCount: n)
            filled += n
            done += n
            if filled == DirectBlobSink.bufferBytes { try submit() }
        }
    }

    private func submit() throws {
        state.submit(buffer: current, length: filled, offset: offset)
        offset += Int64(filled)
        filled = 0
        guard let next = state.takeFree() else { throw state.failure ?? CryptoError.system("write", "the blob writer stopped") }
        current = next
    }

    /// Writes what is left and waits for every write to finish.
    /// - Throws: the first write error (`CryptoError.system` naming the file).
    func finish() throws {
        guard !finished else { return }
        finished = true
        if filled > 0 { state.submit(buffer: current, length: filled, offset: offset) } else { state.giveBack(current) }
        state.close()
        writer.join()
        if let failure = state.failure { throw failure }
    }

    /// Stops the writer without finishing the file (after an error elsewhere).
    func abort() {
        guard !finished else { return }
        finished = true
        state.giveBack(current)
        state.cancel()
        writer.join()
    }
}

/// What the sealing thread and the writer thread of a `DirectBlobSink` share.
final class DirectWriterState: @unchecked Sendable {
    private struct Job {
        let buffer: UnsafeMutableRawBufferPointer
        let length: Int
        let offset: Int64
    }

    private let lock = ConditionLock()
    private let handle: FileHandleFD
    private var direct: Bool
    private var free: [UnsafeMutableRawBufferPointer]
    private let buffers: DirectBlobSink.Buffers
    private var jobs: [Job] = []
    private var closed = false
    private var cancelled = false
    private var error: (any Error)?

    init(handle: FileHandleFD, direct: Bool, buffers: DirectBlobSink.Buffers) {
        self.handle = handle
        self.direct = direct
        self.buffers = buffers
        free = buffers.all
    }

    var failure: (any Error)? { lock.withLock { error } }

    /// A free buffer, waiting for one; nil once the writer failed or was cancelled.
    func takeFree() -> UnsafeMutableRawBufferPointer? {
        lock.when({ !free.isEmpty || error != nil || cancelled }) {
            guard error == nil, !cancelled else { return nil }
            return free.removeLast()
        }
    }

    func giveBack(_ buffer: UnsafeMutableRawBufferPointer) { lock.changing { free.append(buffer) } }

    func submit(buffer: UnsafeMutableRawBufferPointer, length: Int, offset: Int64) {
        lock.changing { jobs.append(Job(buffer: buffer, length: length, offset: offset)) }
    }

    func close() { lock.changing { closed = true } }
    func cancel() { lock.changing { cancelled = true } }

    /// The writer thread: writes jobs in order until closed (and drained) or cancelled.
    func run() {
        var end: Int64 = 0
        var started: Int64 = 0
        while true {
            let next = lock.when({ !jobs.isEmpty || closed || cancelled }) { () -> Job? in
                guard !cancelled, !jobs.isEmpty else { return nil }
                return jobs.removeFirst()
            }
            guard let job = next else { break }
            do {
                try write(job)
                end = job.offset + Int64(job.length)
                if !direct && end - started >= Int64(DirectBlobSink.bufferBytes) {
                    _ = amanah_start_writeback(handle.fd, started, end - started)
                    started = end
                }
            } catch {
                lock.changing { self.error = error }
                break
            }
            giveBack(job.buffer)
        }
        if !direct && end > started { _ = amanah_start_writeback(handle.fd, started, end - started) }
    }

    private func write(_ job: Job) throws {
        if direct {
            // A short tail is written as a whole aligned block, then cut back to the exact length.
            let aligned = (job.length + DirectBlobSink.alignment - 1) / DirectBlobSink.alignment * DirectBlobSink.alignment
            if aligned > job.length {
                (job.buffer.baseAddress! + job.length).initializeMemory(as: UInt8.self, repeating: 0, count: aligned - job.length)
            }
            if try writeAll(job.buffer.baseAddress!, aligned, at: job.offset, allowFallback: true) {
                if aligned > job.length {
                    guard ftruncate(handle.fd, off_t(job.offset) + off_t(job.length)) == 0 else {
                        throw CryptoError.system("truncate \(handle.path)", lastErrorText())
                    }
                }
                return
            }
            // Direct I/O refused (EINVAL): the rest goes through the page cache.
            direct = false
            _ = amanah_set_direct_io(handle.fd, 0)
        }
        _ = try writeAll(job.buffer.baseAddress!, job.length, at: job.offset, allowFallback: false)
    }

    /// pwrite until done. Returns false (nothing written) when direct I/O is refused on the first attempt.
    private func writeAll(_ base: UnsafeMutableRawPointer, _ count: Int, at offset: Int64, allowFallback: Bool) throws -> Bool {
        var done = 0
        while done < count {
            let n = pwrite(handle.fd, base + done, count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EINVAL && allowFallback && done == 0 { return false }
                throw CryptoError.system("write \(handle.path)", lastErrorText())
            }
            done += n
        }
        return true
    }
}
