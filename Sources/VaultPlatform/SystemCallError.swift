import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// A system call that failed: what was being done (with the path it was done to) and the `errno` it set,
/// typed as swift-system's `Errno` so that callers match on the cause (`.noSpace`, `.brokenPipe`,
/// `.fileExists`, ...), never on message text.
public struct SystemCallError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What was being done, e.g. "write /vault/blobs/ab/.tmp-ab12…".
    public let operation: String
    /// The error number the call set.
    public let errno: Errno

    /// - Parameter errno: the error number; by default the calling thread's current `errno`.
    public init(_ operation: String, errno: Errno = Errno(rawValue: Glibc.errno)) {
        self.operation = operation
        self.errno = errno
    }

    /// "operation: the C library's text for the error number" (`strerror`).
    public var description: String { "\(operation): \(String(cString: strerror(errno.rawValue)))" }

    /// Whether the file system had no room (ENOSPC, or EDQUOT for a quota).
    public var isDiskFull: Bool { errno == .noSpace || errno == .diskQuotaExceeded }

    /// Whether the call failed because the file is not there, is a folder (or a file where a folder was
    /// expected), or may not be read: what `amanah` reports with exit status 2.
    public var isMissingOrUnreadable: Bool {
        [Errno.noSuchFileOrDirectory, .permissionDenied, .notDirectory, .isDirectory].contains(errno)
    }
}

/// A file larger than the caller allows: (path, limit in bytes).
public struct FileTooLargeError: Error, Equatable, Sendable, CustomStringConvertible {
    public let path: String
    public let limit: Int
    public init(path: String, limit: Int) { self.path = path; self.limit = limit }
    public var description: String { "\(path): file is larger than \(limit) bytes" }
}

/// The text of the current `errno` (`strerror`), for messages that are not errors of their own.
public func lastErrorText() -> String {
    String(cString: strerror(Glibc.errno))
}
