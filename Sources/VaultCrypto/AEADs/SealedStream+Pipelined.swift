import VaultPlatform
internal import CSodium

extension SealedStream {
    /// Plaintext bytes handed between the threads of `sealPipelined` at a time: 1 MiB (16 chunks of the
    /// default size).
    public static let pipelineSlotBytes = 1 << 20

    /// Seals exactly `contentLength` bytes from `source` to `sink`, like `seal(from:contentLength:to:...)`
    /// and in the same format (version 1, the same layout byte for byte but for the random header), on three
    /// threads: a reader fills plaintext slots from `source`; a hasher passes the content of each slot to
    /// `onContent`; the calling thread encrypts the slots in order and writes them to `sink`. The kernel
    /// spreads the three over the cores, so hashing, encryption and I/O overlap. Memory stays bounded:
    /// the `SealingWorkspace` (four slots of `pipelineSlotBytes` plaintext, wiped after use, and one slot of
    /// ciphertext), whatever the file size.
    ///
    /// Worth it from about a mebibyte of content; for small inputs `seal` is as fast and starts no thread.
    /// - Parameters:
    ///   - source: read on the reader thread only, until this returns.
    ///   - key: the 32-byte data key.
    ///   - associatedData: bytes bound to every chunk (for example vault id ‖ blob id).
    ///   - paddedLength: the plaintext length to pad to (content + 8 bytes, rounded up by the caller); nil
    ///     for no padding. Values smaller than content + 8 are ignored.
    ///   - chunkSize: plaintext bytes per chunk, within `chunkSizeRange`.
    ///   - workspace: buffers to use, so that a caller sealing many files allocates them once (nil: this
    ///     call allocates its own). Its chunk size must be `chunkSize`. Not for two calls at once.
    ///   - onContent: called on the hasher thread with each piece of content, in order; never concurrently
    ///     with itself, and never after this function returns.
    /// - Returns: the number of sealed bytes written.
    /// - Throws: `CryptoError.malformedStream` if the source holds fewer or more bytes than `contentLength`
    ///   (the file changed while it was read); `SystemCallError` if a thread cannot start; I/O errors
    ///   from the source or sink. Nothing more is read or written after an error.
    @discardableResult
    public static func sealPipelined<Source: ByteSource, Sink: ByteSink>(
        from source: inout Source, contentLength: UInt64, to sink: inout Sink, key: borrowing SecretBytes,
        associatedData: [UInt8] = [], paddedLength: UInt64? = nil, chunkSize: Int = defaultChunkSize,
        workspace: SealingWorkspace? = nil, onContent: (UnsafeRawBufferPointer) -> Void = { _ in }
    ) throws -> UInt64 {
        precondition(chunkSizeRange.contains(chunkSize), "chunk size out of range")
        let buffers = workspace ?? SealingWorkspace(chunkSize: chunkSize)
        precondition(buffers.chunkSize == chunkSize, "workspace made for another chunk size")
        let prefixBytes = prefix(chunkSize: chunkSize)
        let ad = prefixBytes + associatedData
        var push = try SecretStream.Push(key: key)
        let total = Swift.max(contentLength + 8, paddedLength ?? 0)
        let shared = PipelineSlots(buffers: buffers.slots, consumers: 2)
        let cipher = buffers.cipher

        return try withoutActuallyEscaping(onContent) { observer in
            let sourceBox = HandedOver(source)
            // The threads see the source and the observer only through these boxes, so their bodies are not
            // generic; every access is ordered by the slot hand-over and the joins below.
            let reading = HandedOver<(UnsafeMutableRawBufferPointer) throws -> Int>({ buffer in try sourceBox.value.read(into: buffer) })
            let observerBox = HandedOver(observer)
            var succeeded = false
            let reader = try WorkerThread(name: "amanah-read") {
                var input = ClosureSource(reader: reading.value)
                shared.produce(from: &input, contentLength: contentLength, total: total)
            }
            let hasher: WorkerThread
            do {
                hasher = try WorkerThread(name: "amanah-hash") {
                    shared.observeContent(contentLength: contentLength, total: total, observer: observerBox)
                }
            } catch {
                shared.cancel()
                reader.join()
                shared.wipeUsed()
                throw error
            }
            defer {
                if !succeeded { shared.cancel() }
                reader.join()
                hasher.join()
                source = sourceBox.value
                shared.wipeUsed()
            }

            try (prefixBytes + push.header).withUnsafeBytes { (b) throws in try sink.write(b) }
            var written = UInt64(headerByteCount)
            var sealed: UInt64 = 0
            var index = 0
            while sealed < total {
                let filled = try shared.take(index)
                let slot = shared.slot(index)
                var offsetIn = 0, offsetOut = 0
                while offsetIn < filled {
                    let thisChunk = Swift.min(chunkSize, filled - offsetIn)
                    let isFinal = sealed + UInt64(offsetIn + thisChunk) == total
                    ad.withUnsafeBytes { adBytes in
                        push.push(UnsafeRawBufferPointer(rebasing: slot[offsetIn..<(offsetIn + thisChunk)]),
                                  tag: isFinal ? .final : .message, associatedData: adBytes,
                                  into: UnsafeMutableRawBufferPointer(rebasing: cipher[offsetOut..<(offsetOut + thisChunk + SecretStream.overhead)]))
                    }
                    offsetIn += thisChunk
                    offsetOut += thisChunk + SecretStream.overhead
                }
                shared.release(index)
                try sink.write(UnsafeRawBufferPointer(rebasing: cipher[0..<offsetOut]))
                written += UInt64(offsetOut)
                sealed += UInt64(filled)
                index += 1
            }
            succeeded = true
            return written
        }
    }
}

/// The buffers of `sealPipelined`: four plaintext slots of `pipelineSlotBytes` (rounded to whole chunks)
/// and one slot of ciphertext, about 5 MiB in all, allocated once and reused (the plaintext is wiped after
/// each use and when the workspace is released).
public final class SealingWorkspace: @unchecked Sendable {
    /// The chunk size the buffers are laid out for.
    public let chunkSize: Int
    let slots: [UnsafeMutableRawBufferPointer]
    let cipher: UnsafeMutableRawBufferPointer

    /// Allocates the buffers for `chunkSize` (within `SealedStream.chunkSizeRange`).
    public init(chunkSize: Int = SealedStream.defaultChunkSize) {
        precondition(SealedStream.chunkSizeRange.contains(chunkSize), "chunk size out of range")
        self.chunkSize = chunkSize
        let chunksPerSlot = Swift.max(1, SealedStream.pipelineSlotBytes / chunkSize)
        slots = (0..<4).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: chunksPerSlot * chunkSize, alignment: 64) }
        cipher = UnsafeMutableRawBufferPointer.allocate(byteCount: chunksPerSlot * (chunkSize + SecretStream.overhead), alignment: 64)
    }

    deinit {
        for slot in slots {
            sodium_memzero(slot.baseAddress!, slot.count)
            slot.deallocate()
        }
        cipher.deallocate()
    }
}

/// The slots of `sealPipelined`: plaintext buffers filled in order by the reader thread and used, in the same
/// order, by each consumer (the hasher and the sealer); a slot is filled again once every consumer released
/// it. Counts and errors are exchanged under one lock.
final class PipelineSlots: @unchecked Sendable {
    private let lock = ConditionLock()
    private let buffers: [UnsafeMutableRawBufferPointer]
    private let consumers: Int
    private var users: [Int]
    private var free: Int
    /// The result of slot i sits at i % (number of slots): the reader cannot overwrite it before every consumer
    /// released that slot, so the memory does not grow with the file.
    private var results: [Result<Int, any Error>]
    private var publishedCount = 0
    private var cancelled = false

    init(buffers: [UnsafeMutableRawBufferPointer], consumers: Int) {
        self.buffers = buffers
        self.consumers = consumers
        users = Array(repeating: 0, count: buffers.count)
        results = Array(repeating: .success(0), count: buffers.count)
        free = buffers.count
    }

    /// The buffer of the `index`-th slot of the stream.
    func slot(_ index: Int) -> UnsafeMutableRawBufferPointer { buffers[index % buffers.count] }

    /// Reader side: waits for a free slot; false when a consumer gave up.
    private func acquireFree() -> Bool {
        lock.when({ free > 0 || cancelled }) {
            guard !cancelled else { return false }
            free -= 1
            return true
        }
    }

    /// Reader side: publishes the next slot's byte count, or an error that ends the stream.
    private func publish(_ result: Result<Int, any Error>) {
        lock.changing {
            if case .success = result { users[publishedCount % buffers.count] = consumers }
            results[publishedCount % buffers.count] = result
            publishedCount += 1
        }
    }

    /// Consumer side: the byte count of the `index`-th slot, once filled.
    /// - Throws: the reader's error, or `CryptoError.system` when the pipeline was cancelled.
    func take(_ index: Int) throws -> Int {
        let result = lock.when({ publishedCount > index || cancelled }) { () -> Result<Int, any Error>? in
            publishedCount > index ? results[index % buffers.count] : nil
        }
        guard let result else { throw CryptoError.system("sealing pipeline", "cancelled") }
        return try result.get()
    }

    /// Consumer side: done with the `index`-th slot.
    func release(_ index: Int) {
        lock.changing {
            users[index % buffers.count] -= 1
            if users[index % buffers.count] == 0 { free += 1 }
        }
    }

    /// Tells every thread to stop.
    func cancel() { lock.changing { cancelled = true } }

    /// Zeroes the plaintext of the slots that were filled; only after the other threads ended.
    func wipeUsed() {
        let used = lock.withLock { Swift.min(publishedCount + 1, buffers.count) }
        for buffer in buffers.prefix(used) { sodium_memzero(buffer.baseAddress!, buffer.count) }
    }

    /// The reader thread: fills slots in order with the plaintext stream `length (8, LE) ‖ content ‖ zero
    /// padding` of `total` bytes, checking that the source holds exactly `contentLength` bytes.
    func produce(from source: inout ClosureSource, contentLength: UInt64, total: UInt64) {
        var framer = SealedStream.PlaintextFramer(contentLength: contentLength, total: total)
        var index = 0
        while !framer.isComplete {
            guard acquireFree() else { return }
            do {
                let (count, _) = try framer.fill(slot(index), from: &source)
                publish(.success(count))
            } catch {
                publish(.failure(error))
                return
            }
            index += 1
        }
    }

    /// The hasher thread: passes the content part of each slot (plaintext bytes 8 ..< 8 + contentLength of
    /// the stream) to `observer`, in order, until the stream ends or fails.
    func observeContent(contentLength: UInt64, total: UInt64, observer: HandedOver<(UnsafeRawBufferPointer) -> Void>) {
        var position: UInt64 = 0
        var index = 0
        let contentEnd = 8 + contentLength
        while position < total {
            guard let filled = try? take(index) else { return }
            let start = Swift.max(position, 8), end = Swift.min(position + UInt64(filled), contentEnd)
            if start < end {
                let buffer = slot(index)
                observer.value(UnsafeRawBufferPointer(rebasing: buffer[Int(start - position)..<Int(end - position)]))
            }
            release(index)
            position += UInt64(filled)
            index += 1
        }
    }
}

/// A byte source that reads through a closure.
struct ClosureSource: ByteSource {
    let reader: (UnsafeMutableRawBufferPointer) throws -> Int
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int { try reader(buffer) }
}
