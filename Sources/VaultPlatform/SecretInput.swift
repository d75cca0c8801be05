import CPlatform
#if canImport(Glibc)
import Glibc
#endif

/// Reading secrets from the controlling terminal (echo off) or from a private file, into memory the caller
/// owns (for passphrases, `SecretBytes` in VaultCrypto): nothing is copied into a `String` or another
/// buffer on the way.
public enum SecretInput {
    /// Why a secret could not be read.
    public enum Failure: Error, Equatable, Sendable {
        /// There is no controlling terminal, or its echo cannot be turned off.
        case noTerminal
        /// The file could not be opened or read: (path, `SystemCallError`).
        case file(String, SystemCallError)
        /// The file's mode lets its group or others at it.
        case exposed(ExposedSecretFileError)
    }

    /// Runs `body` with the controlling terminal (`/dev/tty`) open and its echo turned off; the echo is
    /// restored afterwards whatever `body` does.
    /// - Throws: `Failure.noTerminal`, or what `body` throws.
    public static func withTerminalEchoOff<T: ~Copyable>(_ body: (_ tty: Int32) throws -> T) throws -> T {
        let tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)
        guard tty >= 0 else { throw Failure.noTerminal }
        defer { close(tty) }
        var wasOn: Int32 = 0
        guard amanah_set_echo(tty, 0, &wasOn) == 0 else { throw Failure.noTerminal }
        defer { _ = amanah_set_echo(tty, wasOn, nil) }
        return try body(tty)
    }

    /// Writes `prompt` and ": " to `tty`, then reads one line (up to a line feed, a carriage return or the
    /// end of input) into `buffer`, one byte at a time so that nothing past the line is read.
    /// - Returns: the line's length in bytes, or nil when it does not fit in `buffer`.
    public static func readLine(tty: Int32, prompt: String, into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        let text = Array((prompt + ": ").utf8)
        _ = text.withUnsafeBytes { write(tty, $0.baseAddress!, $0.count) }
        var length = 0
        var byte: UInt8 = 0
        var fits = true
        while true {
            let n = read(tty, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 || byte == 0x0a || byte == 0x0d { break }
            guard length < buffer.count else { fits = false; break }
            buffer[length] = byte
            length += 1
        }
        byte = 0
        _ = write(tty, "\n", 1)
        return fits ? length : nil
    }

    /// Reads the file at `path` into `buffer`, at most `buffer.count` bytes, after checking on the open
    /// descriptor that only its owner may read or change it.
    /// - Returns: the number of bytes read.
    /// - Throws: `Failure.exposed` for a mode with group or other bits; `Failure.file` when it cannot be read.
    public static func readPrivateFile(_ path: String, into buffer: UnsafeMutableRawBufferPointer) throws(Failure) -> Int {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .file(path, SystemCallError("open \(path)")) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .file(path, SystemCallError("stat \(path)")) }
        let mode = UInt32(info.st_mode) & 0o7777
        guard mode & 0o077 == 0 else { throw .exposed(ExposedSecretFileError(path: path, mode: mode)) }
        var length = 0
        while length < buffer.count {
            let n = read(fd, buffer.baseAddress! + length, buffer.count - length)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw .file(path, SystemCallError("read \(path)")) }
            if n == 0 { break }
            length += n
        }
        return length
    }
}

/// Process-wide hardening done once at start-up.
public enum ProcessHardening {
    /// Disables core dumps (RLIMIT_CORE 0) and marks the process non-dumpable, so secrets in memory never
    /// reach a core file and other processes of the same user cannot attach to read them.
    /// - Throws: `SystemCallError` if the operating system refuses.
    public static func disableCoreDumps() throws {
        guard amanah_disable_core_dumps() == 0 else { throw SystemCallError("disable core dumps") }
    }
}
