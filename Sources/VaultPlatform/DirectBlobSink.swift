#if canImport(Glibc)
import Glibc
#endif
import CPlatform

/// The sink of a large blob: bytes are gathered into aligned 1 MiB buffers that a writer thread of its own
/// writes with direct I/O (O_DIRECT), from the buffer to the device without a copy into the page cache and
/// without a later writeback; so the write overlaps with sealing and costs almost no CPU. The tail is
/// written as a whole 4096-byte block and the file then truncated to its exact length. Where the file
/// system has no direct I/O, the same thread writes through the page cache and starts writeback early.
///
/// `finish()` does not wait: the sealing thread goes on with the next file while the last writes of this
/// one complete, and the commit stage calls `waitUntilWritten()` before it fsyncs the blob. Durability still
/// comes only from the fsync in `BlobStore.publish`.
public final class DirectBlobSink: ByteSink, @unchecked Sendable {
    static let bufferBytes = 1 << 20
    static let alignment = 4096

    /// Aligned buffers of `bufferBytes` shared by the sinks of one ingest (six, so that a file can be sealed
    /// while the previous one's last writes complete), allocated once.
    public final class Buffers: @unchecked Sendable {
        private let lock = ConditionLock()
        private let all: [UnsafeMutableRawBufferPointer]
        private var free: [UnsafeMutableRawBufferPointer]

        public init(count: Int = 6) {
            all = (0..<count).map { _ in
                UnsafeMutableRawBufferPointer.allocate(byteCount: DirectBlobSink.bufferBytes, alignment: DirectBlobSink.alignment)
            }
            free = all
        }

        deinit { for buffer in all { buffer.deallocate() } }

        /// A free buffer, waiting until a writer returns one.
        func take() -> UnsafeMutableRawBufferPointer {
            lock.when({ !free.isEmpty }) { free.removeLast() }
        }

        func giveBack(_ buffer: UnsafeMutableRawBufferPointer) { lock.changing { free.append(buffer) } }
    }

    private let state: DirectWriterState
    private let buffers: Buffers
    private let writer: WorkerThread
    private var current: UnsafeMutableRawBufferPointer
    private var filled = 0
    private var offset: Int64 = 0
    private var finished = false

    /// Starts the writer thread for `handle` (a new, empty file), with buffers from `buffers`.
    /// - Throws: `SystemCallError` when the thread cannot start.
    public init(handle: FileHandleFD, buffers: Buffers) throws {
        let direct = amanah_set_direct_io(handle.fd, 1) == 0
        let state = DirectWriterState(handle: handle, direct: direct, buffers: buffers)
        self.state = state
        self.buffers = buffers
        current = buffers.take()
        do {
            writer = try WorkerThread(name: "amanah-write") { state.run() }
        } catch {
            buffers.giveBack(current)
            throw error
        }
    }

    deinit {
        if !finished { abort() }
        writer.join()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = min(bytes.count - done, DirectBlobSink.bufferBytes - filled)
            (current.baseAddress! + filled).copyMemory(from: bytes.baseAddress! + done, byteCount: n)
            filled += n
            done += n
            if filled == DirectBlobSink.bufferBytes {
                if let failure = state.failure { throw failure }
                state.submit(buffer: current, length: filled, offset: offset)
                offset += Int64(filled)
                filled = 0
                current = buffers.take()
            }
        }
    }

    /// Hands the rest to the writer and lets it finish on its own; `waitUntilWritten()` waits for it.
    public func finish() {
        guard !finished else { return }
        finished = true
        if filled > 0 { state.submit(buffer: current, length: filled, offset: offset) } else { buffers.giveBack(current) }
        state.close()
    }

    /// Waits for every write of a finished sink.
    /// - Throws: the first write error (`SystemCallError` naming the file).
    public func waitUntilWritten() throws {
        finish()
        writer.join()
        if let failure = state.failure { throw failure }
    }

    /// Stops the writer without finishing the file (after an error elsewhere).
    public func abort() {
        guard !finished else { return }
        finished = true
        buffers.giveBack(current)
        state.cancel()
        writer.join()
    }
}

/// What the sealing thread and the writer thread of a `DirectBlobSink` share.
public final class DirectWriterState: @unchecked Sendable {
    private struct Job {
        let buffer: UnsafeMutableRawBufferPointer
        let length: Int
        let offset: Int64
    }

    private let lock = ConditionLock()
    private let handle: FileHandleFD
    private let buffers: DirectBlobSink.Buffers
    private var direct: Bool
    private var jobs: [Job] = []
    private var closed = false
    private var cancelled = false
    private var stopped = false
    private var error: (any Error)?

    public init(handle: FileHandleFD, direct: Bool, buffers: DirectBlobSink.Buffers) {
        self.handle = handle
        self.direct = direct
        self.buffers = buffers
    }

    var failure: (any Error)? { lock.withLock { error } }

    /// Queues a buffer for the writer; once the writer has stopped, the buffer goes straight back to the pool.
    func submit(buffer: UnsafeMutableRawBufferPointer, length: Int, offset: Int64) {
        let queued = lock.changing { () -> Bool in
            guard !stopped else { return false }
            jobs.append(Job(buffer: buffer, length: length, offset: offset))
            return true
        }
        if !queued { buffers.giveBack(buffer) }
    }

    func close() { lock.changing { closed = true } }
    func cancel() { lock.changing { cancelled = true } }

    /// The writer thread: writes jobs in order until closed and drained, or cancelled. After a failure or a
    /// cancellation it goes on taking jobs without writing them, so that every buffer goes back to the pool,
    /// also those queued later; once it stops, `submit` gives buffers straight back.
    func run() {
        var end: Int64 = 0
        var started: Int64 = 0
        while true {
            let next = lock.when({ !jobs.isEmpty || closed || cancelled }) { () -> (job: Job, write: Bool)? in
                guard !jobs.isEmpty else {
                    stopped = true
                    return nil
                }
                return (jobs.removeFirst(), !cancelled && error == nil)
            }
            guard let (job, shouldWrite) = next else { break }
            if shouldWrite {
                do {
                    try write(job)
                    end = job.offset + Int64(job.length)
                    if !direct && end - started >= Int64(DirectBlobSink.bufferBytes) {
                        _ = amanah_start_writeback(handle.fd, started, end - started)
                        started = end
                    }
                } catch {
                    lock.changing { self.error = error }
                }
            }
            buffers.giveBack(job.buffer)
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
                        throw SystemCallError("truncate \(handle.path)")
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
    /// After a short direct write (the disk filling up), the rest goes through the page cache, whose writes
    /// need no alignment, so the error reported is the real one (ENOSPC), not EINVAL.
    private func writeAll(_ base: UnsafeMutableRawPointer, _ count: Int, at offset: Int64, allowFallback: Bool) throws -> Bool {
        var done = 0
        while done < count {
            let n = pwrite(handle.fd, base + done, count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EINVAL && allowFallback && done == 0 { return false }
                throw SystemCallError("write \(handle.path)")
            }
            if n == 0 { throw SystemCallError("write \(handle.path)", errno: .noSpace) }
            done += n
            if done < count && direct {
                direct = false
                _ = amanah_set_direct_io(handle.fd, 0)
            }
        }
        return true
    }
}
