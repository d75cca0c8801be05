#if canImport(Glibc)
import VaultPlatform
import Glibc
#endif

/// Reads passphrases straight into secure memory (`SecretBytes`), never into a `String`: from the controlling
/// terminal (`/dev/tty`, echo off) or from a file, through `SecretInput` (VaultPlatform).
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
        do {
            return try SecretInput.withTerminalEchoOff { tty in
                let first = try ask(tty: tty, prompt: prompt)
                if confirm {
                    let second = try ask(tty: tty, prompt: "repeat " + prompt)
                    guard first.constantTimeEquals(second) else { throw Passphrase.ReadError.mismatch }
                }
                return first
            }
        } catch SecretInput.Failure.noTerminal {
            throw Passphrase.ReadError.noTerminal
        }
    }

    private static func ask(tty: Int32, prompt: String) throws -> SecretBytes {
        var buffer = SecretBytes(count: maximumLength + 1)
        let length = buffer.withUnsafeMutableBytes { SecretInput.readLine(tty: tty, prompt: prompt, into: $0) }
        guard let length, length <= maximumLength else { throw Passphrase.ReadError.tooLong }
        guard length > 0 else { throw Passphrase.ReadError.empty }
        return buffer.slice(0..<length)
    }

    private static func readFile(_ path: String) throws -> SecretBytes {
        var buffer = SecretBytes(count: maximumLength + 2)
        let length: Int
        do {
            length = try buffer.withUnsafeMutableBytes { (out) throws(SecretInput.Failure) -> Int in
                try SecretInput.readPrivateFile(path, into: out)
            }
        } catch {
            switch error {
            case .exposed(let exposed): throw Passphrase.ReadError.exposed(exposed)
            case .file(_, let failure): throw Passphrase.ReadError.file(path, String(cString: strerror(failure.errno.rawValue)))
            case .noTerminal: throw Passphrase.ReadError.noTerminal
            }
        }
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
