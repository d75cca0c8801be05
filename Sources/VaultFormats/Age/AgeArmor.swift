import VaultPlatform
import VaultCrypto

/// The ASCII armor of age files (c2sp.org/age, "ASCII armor"): strict RFC 7468 PEM with the label
/// `AGE ENCRYPTED FILE`, no PEM headers, padded standard base64 in lines of exactly 64 columns except the
/// last (1...64 columns), no empty lines inside.
///
/// Reading accepts only what the spec and the C2SP test kit allow: optional ASCII whitespace (at most 1024
/// bytes) before the first line and after the last, LF or CRLF line ends, and a last line without a line
/// end. Anything else — garbage around the block, whitespace inside lines, headers, a PGP checksum, a
/// non-canonical or unpadded last line, short or long lines — is `AgeError.armor`.
public enum AgeArmor {
    /// The first line.
    public static let beginLine = "-----BEGIN AGE ENCRYPTED FILE-----"
    /// The last line.
    public static let endLine = "-----END AGE ENCRYPTED FILE-----"
    /// Base64 characters per full line.
    static let columnsPerLine = 64
    /// Bytes per full line.
    static let bytesPerLine = 48
    /// The most whitespace accepted before or after the armored block, in bytes.
    static let maximumWhitespace = 1024

    /// Whether `prefix` (the first bytes of an input) looks armored: after optional ASCII whitespace it
    /// starts with `-----` (a binary age file starts with `age-encryption.org/`). A malformed BEGIN line is
    /// then reported as an armor failure rather than a header failure.
    public static func looksArmored(_ prefix: [UInt8]) -> Bool {
        let rest = prefix.drop(while: isWhitespace)
        return rest.starts(with: Array("-----".utf8))
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d || byte == 0x0b || byte == 0x0c
    }
}

/// A sink that armors everything written to it and passes the text on to `inner`. Call `finish()` once at
/// the end to write the last line and the END line.
public struct AgeArmorWriter<Inner: ByteSink>: ByteSink {
    /// The sink receiving the armored text.
    public private(set) var inner: Inner
    private var pending: [UInt8] = []
    private var started = false
    private var finished = false

    /// An armoring sink over `inner`.
    public init(_ inner: Inner) { self.inner = inner }

    private mutating func startIfNeeded() throws {
        if !started {
            started = true
            try Array((AgeArmor.beginLine + "\n").utf8).withUnsafeBytes { (bytes) throws in try inner.write(bytes) }
        }
    }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(!finished, "write after finish")
        try startIfNeeded()
        var offset = 0
        while offset < bytes.count {
            let take = Swift.min(AgeArmor.bytesPerLine - pending.count, bytes.count - offset)
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + take)]))
            offset += take
            if pending.count == AgeArmor.bytesPerLine { try flushLine() }
        }
    }

    private mutating func flushLine() throws {
        let line = Array((Base64.encode(pending, variant: .standard) + "\n").utf8)
        pending.removeAll(keepingCapacity: true)
        try line.withUnsafeBytes { (bytes) throws in try inner.write(bytes) }
    }

    /// Writes the last (short, padded) line and the END line.
    /// - Throws: errors of the inner sink.
    public mutating func finish() throws {
        precondition(!finished, "finish called twice")
        try startIfNeeded()
        if !pending.isEmpty { try flushLine() }
        finished = true
        try Array((AgeArmor.endLine + "\n").utf8).withUnsafeBytes { (bytes) throws in try inner.write(bytes) }
    }
}

/// A source that reads an armored age file from `inner` and yields the binary age file, line by line in
/// bounded memory. Throws `AgeError.armor` at the first violation (see `AgeArmor`).
struct AgeArmorReader<Inner: ByteSource>: ByteSource {
    private(set) var inner: BufferedSource<Inner>
    private var decoded: [UInt8] = []
    private var position = 0
    private enum State { case beforeBegin, body, ended }
    private var state = State.beforeBegin

    init(_ inner: BufferedSource<Inner>) { self.inner = inner }

    /// The next line without its LF and without one CR before it; nil at the end of input.
    private mutating func nextLine() throws -> [UInt8]? {
        let line: (bytes: [UInt8], terminated: Bool)?
        do { line = try inner.readLine(maxLength: 4096) } catch is BufferedSource<Inner>.LineTooLong {
            throw AgeError.armor("a line is too long")
        }
        guard var bytes = line?.bytes else { return nil }
        if bytes.last == 0x0d { bytes.removeLast() }
        return bytes
    }

    private mutating func expectEndThenWhitespace() throws {
        guard let line = try nextLine() else { throw AgeError.armor("missing END line") }
        guard line == Array(AgeArmor.endLine.utf8) else {
            throw AgeError.armor("expected the END line after a short line")
        }
        try drainTrailingWhitespace()
    }

    private mutating func drainTrailingWhitespace() throws {
        var seen = 0
        var chunk = [UInt8](repeating: 0, count: 256)
        while true {
            let n = try chunk.withUnsafeMutableBytes { (buffer) throws -> Int in try inner.read(into: buffer) }
            if n == 0 { break }
            guard chunk[0..<n].allSatisfy(AgeArmor.isWhitespace) else {
                throw AgeError.armor("data after the END line")
            }
            seen += n
            guard seen <= AgeArmor.maximumWhitespace else { throw AgeError.armor("too much whitespace after the END line") }
        }
        state = .ended
    }

    private mutating func decodeNextLine() throws {
        if state == .beforeBegin {
            var skipped = 0
            while true {
                guard let line = try nextLine() else { throw AgeError.armor("no BEGIN line") }
                if line.allSatisfy(AgeArmor.isWhitespace) {
                    skipped += line.count + 1
                    guard skipped <= AgeArmor.maximumWhitespace else {
                        throw AgeError.armor("too much whitespace before the BEGIN line")
                    }
                    continue
                }
                guard line == Array(AgeArmor.beginLine.utf8) else { throw AgeError.armor("the first line is not the BEGIN line") }
                break
            }
            state = .body
        }
        guard let line = try nextLine() else { throw AgeError.armor("missing END line") }
        if line == Array(AgeArmor.endLine.utf8) {
            try drainTrailingWhitespace()
            return
        }
        guard !line.isEmpty else { throw AgeError.armor("empty line inside the armor") }
        guard line.count <= AgeArmor.columnsPerLine else { throw AgeError.armor("a line is longer than 64 columns") }
        guard let bytes = try? Base64.decode(String(decoding: line, as: UTF8.self), variant: .standard) else {
            throw AgeError.armor("a line is not canonical padded base64")
        }
        decoded = bytes
        position = 0
        if bytes.count < AgeArmor.bytesPerLine { try expectEndThenWhitespace() }
    }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while position == decoded.count {
            if state == .ended { return 0 }
            try decodeNextLine()
        }
        let n = Swift.min(buffer.count, decoded.count - position)
        decoded.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + position, byteCount: n)
        }
        position += n
        return n
    }
}
