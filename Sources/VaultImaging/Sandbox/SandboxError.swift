/// Why the sandbox child gave no result for a file. Each is a per-file error: the parent (the vault) never
/// crashes because of what happened in the child. Descriptions are lower case, hold no metadata values,
/// and name what went wrong; `diagnostics` (the child's last standard-error lines) is kept separately.
public enum SandboxError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The child could not be started (missing executable, no resources).
    case spawnFailed(String)
    /// The child ran longer than the wall-clock timeout and was killed.
    case timedOut(seconds: Double)
    /// The child was killed by a signal (a crash in a decoder, an assertion).
    case crashed(signal: Int32, name: String, diagnostics: String)
    /// The child hit a resource limit: CPU time, address space or file size.
    case resourceLimit(String)
    /// The child made a system call its seccomp filter forbids (SIGSYS) and was killed.
    case sandboxViolation(diagnostics: String)
    /// The child exited with a non-zero status without giving a result.
    case exited(status: Int32, diagnostics: String)
    /// The child's output was not a well-formed result.
    case malformedOutput(String)
    /// The child examined the file and refused it (too many pixels, several frames, unsupported, ...).
    case refused(ImagingError)
    /// The child reported an internal failure.
    case failed(String)
    /// Reading the input to send failed.
    case inputReadFailed(String)
    /// The input is larger than `SandboxLimits.maxInputBytes`.
    case inputTooLarge(limit: Int)

    public var description: String {
        switch self {
        case .spawnFailed(let why): return "cannot start the sandbox: \(why)"
        case .timedOut(let seconds): return "the sandbox timed out after \(seconds) s and was killed"
        case .crashed(let signal, let name, _): return "the sandbox crashed (signal \(signal), \(name))"
        case .resourceLimit(let what): return "the sandbox hit its \(what) limit"
        case .sandboxViolation: return "the sandbox was killed for a forbidden system call (seccomp)"
        case .exited(let status, _): return "the sandbox exited with status \(status) without a result"
        case .malformedOutput(let why): return "the sandbox gave a malformed result: \(why)"
        case .refused(let error): return error.description
        case .failed(let why): return "the sandbox failed: \(why)"
        case .inputReadFailed(let why): return "cannot read the input: \(why)"
        case .inputTooLarge(let limit): return "rejected: input larger than \(limit) bytes"
        }
    }
}

/// Resource limits for one sandboxed job.
public struct SandboxLimits: Codable, Equatable, Sendable {
    /// Wall-clock time after which the parent kills the child (seconds).
    public var timeoutSeconds: Double
    /// RLIMIT_CPU of the child (seconds of CPU time).
    public var cpuSeconds: Int
    /// RLIMIT_AS of the child (bytes of address space).
    public var addressSpaceBytes: UInt64
    /// Largest input accepted (bytes); the child holds the whole input in memory.
    public var maxInputBytes: Int
    /// Largest result accepted from the child (bytes).
    public var maxOutputBytes: Int

    public init(timeoutSeconds: Double, cpuSeconds: Int, addressSpaceBytes: UInt64, maxInputBytes: Int, maxOutputBytes: Int) {
        self.timeoutSeconds = timeoutSeconds
        self.cpuSeconds = cpuSeconds
        self.addressSpaceBytes = addressSpaceBytes
        self.maxInputBytes = maxInputBytes
        self.maxOutputBytes = maxOutputBytes
    }

    /// Metadata extraction: 30 s, 20 s CPU, 2 GiB address space, inputs up to 512 MiB, 64 MiB report.
    public static let metadata = SandboxLimits(timeoutSeconds: 30, cpuSeconds: 20, addressSpaceBytes: 2 << 30,
                                               maxInputBytes: 512 << 20, maxOutputBytes: 64 << 20)
    /// Derivatives: 120 s, 100 s CPU, 6 GiB address space (a 100-megapixel image is 300 MB of RGB, held
    /// twice while it is rotated), inputs up to 512 MiB, results up to 1 GiB.
    public static let derivative = SandboxLimits(timeoutSeconds: 120, cpuSeconds: 100, addressSpaceBytes: 6 << 30,
                                                 maxInputBytes: 512 << 20, maxOutputBytes: 1 << 30)
}
