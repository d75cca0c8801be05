import CPlatform

/// A sink over a file that asks the kernel to start writing each mebibyte to the device as soon as it is
/// written (`amanah_start_writeback`), so that the fsync that makes the blob durable overlaps with the
/// sealing of what follows instead of starting from scratch. Durability still comes only from that fsync.
public struct WritebackSink: ByteSink {
    let handle: FileHandleFD
    private(set) var written: Int64 = 0
    private var started: Int64 = 0
    static let step: Int64 = 1 << 20

    public init(handle: FileHandleFD) { self.handle = handle }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        try handle.write(bytes)
        written += Int64(bytes.count)
        if written - started >= WritebackSink.step { startWriteback() }
    }

    /// Starts writeback of everything written and not yet started (errors are ignored: it is only a hint).
    public mutating func startWriteback() {
        guard written > started else { return }
        _ = amanah_start_writeback(handle.fd, started, written - started)
        started = written
    }
}
