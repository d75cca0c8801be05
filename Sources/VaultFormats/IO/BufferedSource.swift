import VaultPlatform
import VaultCrypto

/// A read buffer over a `ByteSource` that can hand out lines (for text headers) and then continue with raw
/// bytes (for the binary payload that follows), in bounded memory.
struct BufferedSource<Source: ByteSource>: ByteSource {
    private(set) var source: Source
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var sourceEnded = false

    /// A buffer of `capacity` bytes (the longest line `readLine` can return is `capacity` bytes).
    init(_ source: Source, capacity: Int = 64 * 1024) {
        self.source = source
        buffer = [UInt8](repeating: 0, count: capacity)
    }

    /// Bytes buffered and not yet consumed.
    var bufferedCount: Int { end - start }

    /// Reads more bytes from the source into the buffer. Returns false at the end of the source.
    private mutating func fill() throws -> Bool {
        if sourceEnded { return false }
        if start == end {
            start = 0
            end = 0
        } else if end == buffer.count {
            guard start > 0 else { return true }  // full: the caller has all it can get
            buffer.withUnsafeMutableBytes { raw in
                raw.baseAddress!.copyMemory(from: raw.baseAddress! + start, byteCount: end - start)
            }
            end -= start
            start = 0
        }
        let n = try buffer.withUnsafeMutableBytes { (raw) throws -> Int in
            try source.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[end...]))
        }
        if n == 0 { sourceEnded = true; return false }
        end += n
        return true
    }

    /// Reads one line.
    /// - Returns: the line's bytes without its terminating LF, and whether an LF ended it (false when the
    ///   source ended first); nil at the end of the source with nothing buffered.
    /// - Throws: `LineTooLong` if no LF appears within `maxLength` bytes; errors of the source.
    mutating func readLine(maxLength: Int) throws -> (bytes: [UInt8], terminated: Bool)? {
        precondition(maxLength < buffer.count, "line limit must be below the buffer size")
        var scanned = 0
        while true {
            if let offset = buffer[(start + scanned)..<end].firstIndex(of: 0x0a) {
                let line = Array(buffer[start..<offset])
                guard line.count <= maxLength else { throw LineTooLong() }
                start = offset + 1
                return (line, true)
            }
            scanned = end - start
            if scanned > maxLength { throw LineTooLong() }
            if try !fill() {
                if start == end { return nil }
                let line = Array(buffer[start..<end])
                guard line.count <= maxLength else { throw LineTooLong() }
                start = end
                return (line, false)
            }
        }
    }

    /// Up to `count` (≤ capacity) upcoming bytes without consuming them; fewer only at the end of the source.
    mutating func peek(_ count: Int) throws -> [UInt8] {
        precondition(count <= buffer.count, "peek beyond the buffer size")
        while end - start < count {
            if try !fill() { break }
        }
        return Array(buffer[start..<Swift.min(end, start + count)])
    }

    /// Consumes `count` bytes that `peek` has shown.
    mutating func skip(_ count: Int) {
        precondition(count <= end - start, "skipping bytes not buffered")
        start += count
    }

    mutating func read(into target: UnsafeMutableRawBufferPointer) throws -> Int {
        guard target.count > 0 else { return 0 }
        if start == end {
            // Large reads bypass the buffer.
            if target.count >= buffer.count {
                if sourceEnded { return 0 }
                let n = try source.read(into: target)
                if n == 0 { sourceEnded = true }
                return n
            }
            if try !fill() { return 0 }
        }
        let n = Swift.min(target.count, end - start)
        buffer.withUnsafeBytes { raw in
            target.baseAddress!.copyMemory(from: raw.baseAddress! + start, byteCount: n)
        }
        start += n
        return n
    }

    /// Thrown by `readLine` for a line longer than its limit.
    struct LineTooLong: Error {}
}
