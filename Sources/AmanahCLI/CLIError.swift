internal import VaultText
internal import VaultCrypto
internal import VaultStore

/// A runtime failure reported to the user as `amanah: <message>` (and `amanah: hint: <hint>`), with the
/// process exit status: 1 for failure, 2 for what is not there or cannot be read, 3 for failed verification,
/// 64 for usage errors.
public struct CLIError: Error, CustomStringConvertible {
    /// Lower-case message with no trailing period and no secret.
    public let message: String
    /// Optional advice.
    public let hint: String?
    /// Process exit status.
    public let exitCode: Int32

    public init(_ message: String, hint: String? = nil, exitCode: Int32 = 1) {
        self.message = message
        self.hint = hint
        self.exitCode = exitCode
    }

    public var description: String { message }

    /// Exit status for what is not there or cannot be read: an item, case or record that does not exist, a
    /// missing vault folder, an input file that does not exist or may not be read.
    public static let notFound: Int32 = 2
    /// Exit status for failed verification (`check`, `audit verify`, `bundle verify`).
    public static let verificationFailed: Int32 = 3
    /// Exit status for usage errors.
    public static let usage: Int32 = 64
}

/// Messages on standard error, in the `amanah: ...` style.
public enum Terminal {
    /// How much a command says besides its data and errors (`-q`, `-v`).
    public enum Verbosity: Sendable { case quiet, normal, verbose }
    /// Set once from the command line (`GlobalOptions.validate`), before the command runs.
    nonisolated(unsafe) public static var verbosity = Verbosity.normal
    /// The progress line on standard error, if one is shown: a message clears it first and it is drawn again
    /// after, so that messages never mix with it.
    nonisolated(unsafe) static var activeProgress: ProgressLine?

    /// Writes `amanah: <text>` to standard error (not with `-q`). Control, bidirectional and zero-width
    /// characters in the text (which may come from files an adversary wrote) are shown escaped, so they cannot
    /// rewrite the screen.
    public static func message(_ text: String) {
        guard verbosity != .quiet else { return }
        aboveProgress("amanah: " + TerminalText.escaped(text) + "\n")
    }
    /// Writes `amanah: warning: <text>` to standard error (escaped like `message`; also with `-q`: a warning is
    /// about the evidence).
    public static func warning(_ text: String) { aboveProgress("amanah: warning: " + TerminalText.escaped(text) + "\n") }
    /// Writes `amanah: hint: <text>` to standard error (escaped like `message`; not with `-q`).
    public static func hint(_ text: String) {
        guard verbosity != .quiet else { return }
        aboveProgress("amanah: hint: " + TerminalText.escaped(text) + "\n")
    }

    /// Writes a line to standard error above the progress line, if one is shown.
    static func aboveProgress(_ text: String) {
        if let progress = activeProgress {
            writeStandardError("\r\u{1B}[K" + text)
            progress.redraw()
        } else {
            writeStandardError(text)
        }
    }

    /// Writes raw text to standard error.
    public static func writeStandardError(_ text: String) {
        writeAll(fd: 2, Array(text.utf8))
    }

    /// Writes all bytes to a descriptor, retrying on short writes and EINTR.
    public static func writeAll(fd: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                offset += n
            }
        }
    }

    /// Writes text to standard output and flushes.
    public static func output(_ text: String) {
        writeStandardOutput(text + "\n")
    }

    /// Writes raw text to standard output (unbuffered, so it interleaves correctly with standard error).
    public static func writeStandardOutput(_ text: String) {
        writeAll(fd: 1, Array(text.utf8))
    }

    /// Whether standard error is a terminal (for progress bars).
    public static var standardErrorIsTerminal: Bool { isatty(2) == 1 }
}

#if canImport(Glibc)
import Glibc
#endif
