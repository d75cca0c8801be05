#if canImport(Glibc)
import Glibc
#endif
import CPlatform

/// Reads passphrases straight into secure memory, never into a `String`: from the controlling terminal
/// (`/dev/tty`, echo off) or from a file.
public enum Passphrase {
    /// Longest passphrase accepted, in bytes.
    public static let maximumLength = 1024

    /// Why a passphrase could not be read.
    public enum ReadError: Error, Equatable, Sendable, CustomStringConvertible {
        /// There is no terminal to ask and no passphrase file was named.
        case noTerminal
        /// The two entries differed.
        case mismatch
        /// The passphrase is empty.
        case empty
        /// Longer than `maximumLength` bytes.
        case tooLong
        /// The passphrase file could not be read: (path, reason).
        case file(String, String)
        /// The passphrase file's mode lets its group or others at it.
        case exposed(ExposedSecretFileError)

        public var description: String {
            switch self {
            case .noTerminal:
                return "no terminal to ask for the passphrase; name a passphrase file with --passphrase-file or AMANAH_PASSPHRASE_FILE"
            case .mismatch: return "the passphrases did not match"
            case .empty: return "the passphrase is empty"
            case .tooLong: return "the passphrase is longer than \(maximumLength) bytes"
            case let .file(path, why): return "passphrase file \(path): \(why)"
            case let .exposed(error): return "passphrase file \(error)"
            }
        }
    }

    /// Reads the passphrase from `file` when given, otherwise asks on the terminal (twice when `confirm`).
    /// A file's content is used up to its first line break; a file whose mode gives its group or others any
    /// access is refused (`ReadError.exposed`).
    /// - Throws: `ReadError`.
    public static func read(prompt: String, confirm: Bool, file: String?) throws -> SecretBytes {
        if let file { return try readFile(file) }
        let tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)
        guard tty >= 0 else { throw Passphrase.ReadError.noTerminal }
        defer { close(tty) }
        var wasOn: Int32 = 0
        guard amanah_set_echo(tty, 0, &wasOn) == 0 else { throw Passphrase.ReadError.noTerminal }
        defer { _ = amanah_set_echo(tty, wasOn, nil) }
        let first = try ask(tty: tty, prompt: prompt)
        if confirm {
            let second = try ask(tty: tty, prompt: "repeat " + prompt)
            guard first.constantTimeEquals(second) else { throw Passphrase.ReadError.mismatch }
        }
        return first
    }

    private static func ask(tty: Int32, prompt: String) throws -> SecretBytes {
        let text = Array((prompt + ": ").utf8)
        _ = text.withUnsafeBytes { write(tty, $0.baseAddress!, $0.count) }
        var buffer = SecretBytes(count: maximumLength + 1)
        var length = 0
        let ok = buffer.withUnsafeMutableBytes { out -> Bool in
            var byte: UInt8 = 0
            while true {
                let n = Glibc.read(tty, &byte, 1)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 || byte == 0x0a || byte == 0x0d { break }
                guard length < out.count else { return false }
                out[length] = byte
                length += 1
            }
            byte = 0
            return true
        }
        _ = write(tty, "\n", 1)
        guard ok, length <= maximumLength else { throw Passphrase.ReadError.tooLong }
        guard length > 0 else { throw Passphrase.ReadError.empty }
        return buffer.slice(0..<length)
    }

    private static func readFile(_ path: String) throws -> SecretBytes {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Passphrase.ReadError.file(path, lastErrorText()) }
        defer { close(fd) }
        // Refused before a byte is read when others may read or replace it (fstat on this descriptor).
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Passphrase.ReadError.file(path, lastErrorText()) }
        let mode = UInt32(info.st_mode) & 0o7777
        guard mode & 0o077 == 0 else { throw Passphrase.ReadError.exposed(ExposedSecretFileError(path: path, mode: mode)) }
        var buffer = SecretBytes(count: maximumLength + 2)
        var length = 0
        let status = buffer.withUnsafeMutableBytes { out -> Int in
            while length < out.count {
                let n = Glibc.read(fd, out.baseAddress! + length, out.count - length)
                if n < 0 && errno == EINTR { continue }
                if n < 0 { return -1 }
                if n == 0 { break }
                length += n
            }
            return 0
        }
        guard status == 0 else { throw Passphrase.ReadError.file(path, lastErrorText()) }
        // Use the content up to the first line break.
        let end = buffer.withUnsafeBytes { bytes -> Int in
            for index in 0..<length where bytes[index] == 0x0a || bytes[index] == 0x0d { return index }
            return length
        }
        guard end <= maximumLength else { throw Passphrase.ReadError.tooLong }
        guard end > 0 else { throw Passphrase.ReadError.empty }
        return buffer.slice(0..<end)
    }
}

/// Process-wide hardening done once at start-up.
public enum ProcessHardening {
    /// Disables core dumps (RLIMIT_CORE 0) and marks the process non-dumpable, so secrets in memory never
    /// reach a core file and other processes of the same user cannot attach to read them.
    /// - Throws: `CryptoError.system` if the operating system refuses.
    public static func disableCoreDumps() throws {
        guard amanah_disable_core_dumps() == 0 else { throw CryptoError.system("disable core dumps", lastErrorText()) }
    }
}
