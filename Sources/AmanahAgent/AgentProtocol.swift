import VaultCrypto
#if canImport(Glibc)
import Glibc
#endif

/// The request protocol of `amanah agent` (version 1), spoken over its Unix socket, one request per connection,
/// and used once over a pipe to hand the first identity to a freshly started agent.
///
/// ```
/// frame     = length (u32, big-endian, 2 ... 16 MiB) ‖ body
/// body      = version (u8, 1) ‖ code (u8) ‖ field*
/// field     = length (u32, big-endian) ‖ bytes
///
/// request   code   fields                                          answer fields when ok
/// list      0x01   –                                               ms left (u64 BE, 8 bytes), refused (u32 BE, 4),
///                                                                  then one public key line (`amanah-pk1-…`) each
/// sign      0x02   key id (8), context (`amanah/v1/<purpose>`),    signature (64)
///                  message
/// sign-raw  0x03   key id, message (must not start `amanah/v1/`)   signature (64)
/// open      0x04   key id, sealed box                              opened bytes (secret)
/// otk-pub   0x05   key id, context                                 one-time X25519 public key (32)
/// otk-open  0x06   key id, context, sealed box                     opened bytes (secret)
/// add       0x07   public key line, secret keys (96, secret)       –
/// lock      0x08   –                                               – (then the agent wipes its keys and exits)
///
/// answer    code   0x00 ok, 0x01 failed (one field: a message), 0x02 unknown identity (message),
///                  0x03 does not open (message)
/// ```
/// A field that carries a secret is always a message's last field, so that it can be written straight from
/// and read straight into secure memory (`SecretBytes`); every frame is read into secure memory before it is
/// parsed. Anything malformed ends the connection.
public enum AgentProtocol {
    /// The protocol version, first byte of every body.
    static let version: UInt8 = 1
    /// Largest frame body accepted, in bytes.
    static let maximumFrame = 16 << 20
    /// Largest sealed box accepted by `open` and `otk-open`, in bytes.
    static let maximumSealed = 64 << 10
    /// Largest one-time-key context, in bytes.
    static let maximumContext = 1024
    /// Longest signing-context string, in bytes.
    static let maximumSigningContext = 128

    /// Request codes.
    enum Request: UInt8, Sendable {
        case list = 0x01, sign = 0x02, signRaw = 0x03, openSealedBox = 0x04
        case oneTimePublicKey = 0x05, oneTimeOpen = 0x06, add = 0x07, lock = 0x08
    }

    /// Answer codes.
    enum Answer: UInt8, Sendable {
        case ok = 0x00, failed = 0x01, unknownIdentity = 0x02, doesNotOpen = 0x03
    }


    /// A malformed or unreadable frame: what is wrong.
    public struct WireError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// Builds a body: version, code and fields (non-secret).
    struct Writer {
        private(set) var bytes: [UInt8]

        init(code: UInt8) { bytes = [AgentProtocol.version, code] }

        mutating func field(_ value: [UInt8]) {
            appendLength(value.count)
            bytes.append(contentsOf: value)
        }

        /// Appends the length prefix of a secret field whose bytes are written separately (the last field).
        mutating func secretFieldHeader(count: Int) { appendLength(count) }

        private mutating func appendLength(_ count: Int) {
            let value = UInt32(count)
            bytes += [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
        }
    }

    /// Reads a body in place (inside `SecretBytes.withUnsafeBytes`); every length is checked.
    struct Reader {
        let buffer: UnsafeRawBufferPointer
        private var offset = 0

        /// Checks the version and reads the code.
        init(_ buffer: UnsafeRawBufferPointer) throws(WireError) {
            self.buffer = buffer
            guard buffer.count >= 2 else { throw WireError("frame too short") }
            guard buffer[0] == AgentProtocol.version else { throw WireError("protocol version \(buffer[0]) is not \(AgentProtocol.version)") }
            offset = 1
        }

        mutating func code() throws(WireError) -> UInt8 {
            guard offset < buffer.count else { throw WireError("missing code") }
            defer { offset += 1 }
            return buffer[offset]
        }

        var atEnd: Bool { offset == buffer.count }

        /// The next field, at most `limit` bytes.
        mutating func field(_ name: String, limit: Int) throws(WireError) -> UnsafeRawBufferPointer {
            guard buffer.count - offset >= 4 else { throw WireError("\(name): missing length") }
            let length = Int(buffer[offset]) << 24 | Int(buffer[offset + 1]) << 16 | Int(buffer[offset + 2]) << 8 | Int(buffer[offset + 3])
            offset += 4
            guard length <= limit else { throw WireError("\(name): \(length) bytes, at most \(limit) allowed") }
            guard buffer.count - offset >= length else { throw WireError("\(name): truncated") }
            defer { offset += length }
            return UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + length)])
        }

        /// The next field as an array (for non-secret values).
        mutating func array(_ name: String, limit: Int) throws(WireError) -> [UInt8] {
            Array(try field(name, limit: limit))
        }

        /// Fails unless every byte was read.
        func finish() throws(WireError) {
            guard atEnd else { throw WireError("\(buffer.count - offset) unexpected bytes at the end") }
        }
    }

    // MARK: Framing over a descriptor

    /// Reads one frame into secure memory. Returns nil on end of file before the first byte.
    /// - Throws: `WireError` for a bad length, a truncated frame or a read error (a receive timeout included).
    public static func readFrame(_ fd: Int32) throws(WireError) -> SecretBytes? {
        var header = [UInt8](repeating: 0, count: 4)
        let got = header.withUnsafeMutableBytes { readFully(fd, $0) }
        if got == 0 { return nil }
        guard got == 4 else { throw WireError(got < 0 ? "read failed: \(String(cString: strerror(errno)))" : "truncated frame length") }
        let length = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
        guard length >= 2, length <= maximumFrame else { throw WireError("frame length \(length) out of range") }
        var body = SecretBytes(count: length)
        let read = body.withUnsafeMutableBytes { readFully(fd, $0) }
        guard read == length else { throw WireError(read < 0 ? "read failed: \(String(cString: strerror(errno)))" : "truncated frame") }
        return body
    }

    /// Writes a frame whose body is `head` (no secret).
    static func writeFrame(_ fd: Int32, _ head: [UInt8]) throws(WireError) {
        try writeLength(fd, head.count)
        if let failure = head.withUnsafeBytes({ writeFully(fd, $0) }) { throw failure }
    }

    /// Writes a frame whose body is `head` followed by `secret` (the last field's bytes, its length already in
    /// `head`), straight from secure memory.
    static func writeFrame(_ fd: Int32, _ head: [UInt8], secret: borrowing SecretBytes) throws(WireError) {
        try writeLength(fd, head.count + secret.count)
        if let failure = head.withUnsafeBytes({ writeFully(fd, $0) }) { throw failure }
        if let failure = secret.withUnsafeBytes({ writeFully(fd, $0) }) { throw failure }
    }

    private static func writeLength(_ fd: Int32, _ count: Int) throws(WireError) {
        guard count >= 2, count <= maximumFrame else { throw WireError("frame of \(count) bytes is too large") }
        let value = UInt32(count)
        let header: [UInt8] = [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
        if let failure = header.withUnsafeBytes({ writeFully(fd, $0) }) { throw failure }
    }

    /// Reads until `buffer` is full or end of file; returns the number of bytes read, or -1 on error.
    private static func readFully(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int {
        var done = 0
        while done < buffer.count {
            let n = read(fd, buffer.baseAddress! + done, buffer.count - done)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return -1 }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Writes all of `bytes` (send with MSG_NOSIGNAL on a socket, write on a pipe); returns the failure, if any.
    private static func writeFully(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> WireError? {
        var done = 0
        var isSocket = true
        while done < bytes.count {
            var n = isSocket ? send(fd, bytes.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL)) : -1
            if n < 0 && isSocket && errno == ENOTSOCK { isSocket = false }
            if !isSocket {
                // A pipe (the hand-over to a new agent); SIGPIPE is ignored by `AmanahMain`.
                n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return WireError("write failed: \(String(cString: strerror(errno)))") }
            done += n
        }
        return nil
    }
}
