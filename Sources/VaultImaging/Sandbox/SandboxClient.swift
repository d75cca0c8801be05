import VaultPlatform
internal import CPlatform
import Foundation
import VaultCrypto
#if canImport(Glibc)
import Glibc
#endif

/// Runs untrusted parsing in a separate, key-less process: the `amanah` binary started as
/// `amanah __sandbox <job>` (see `SandboxChild`), or, for metadata jobs of a client made with
/// `forkServer: true`, a child forked for the one file by the sandbox fork server (`SandboxForkServer`),
/// itself started that way.
///
/// Either way the child has an empty environment (but for SWIFT_BACKTRACE=enable=no, and LD_BIND_NOW=1 when
/// forked) and no descriptors but three pipes (its standard input, output and error). The caller must hold
/// no key material in anything the child could inherit, which `posix_spawn` with explicit descriptor
/// actions guarantees for memory (a fresh executable image) and the child's first act (closing every other
/// descriptor) guarantees for descriptors. The plaintext is streamed to the child through the pipe, never a
/// temporary file; the result comes back length-framed on its standard output. A wall-clock timeout kills
/// the child; crashes, resource limits and malformed output become a `SandboxError` for that file.
public struct SandboxClient: Sendable {
    /// Absolute path of the `amanah` executable.
    public let executablePath: String
    /// Whether children are forked by the sandbox fork server (`SandboxForkServer`, started once per
    /// executable) rather than spawned from the executable for every file; either way each file gets a
    /// child of its own. Falls back to spawning when the server cannot start.
    public let usesForkServer: Bool

    public init(executablePath: String, forkServer: Bool = false) {
        self.executablePath = executablePath
        self.usesForkServer = forkServer
    }

    /// A client that runs the executable of the current process (`/proc/self/exe`), through its fork
    /// server: what the vault uses inside the `amanah` binary. Nil where that link cannot be read.
    public static func currentExecutable() -> SandboxClient? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return SandboxClient(executablePath: String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self),
                             forkServer: true)
    }

    /// Extracts capture metadata from `source` in the sandbox. `sizeHint`, the source's length in bytes when
    /// known, lets the child make its buffer once.
    /// - Throws: `SandboxError` (`.refused(.inputTooLarge)` for oversized input, `.timedOut`, `.crashed`, ...).
    public func extractMetadata(from source: some ByteSource, limits: SandboxLimits = .metadata,
                                sizeHint: UInt64 = 0) throws -> MetadataReport {
        let payload = try run(.metadata, parameters: [], source: source, limits: limits, sizeHint: sizeHint)
        do { return try JSONDecoder().decode(MetadataReport.self, from: Data(payload)) }
        catch { throw SandboxError.malformedOutput("metadata report does not decode") }
    }

    /// Makes a derivative of `source` in the sandbox: decoded, oriented, masked, flattened and freshly
    /// encoded with no metadata.
    /// - Throws: `SandboxError`; `.refused(ImagingError)` when the child refused the image (for example
    ///   `.dimensionsExceedLimit` decided from the header, `.multiFrame`, `.invalidRegion`).
    public func makeDerivative(from source: some ByteSource, request: DerivativeRequest,
                               limits: SandboxLimits = .derivative) throws -> Derivative {
        guard let parameters = try? JSONEncoder().encode(request) else { throw SandboxError.failed("cannot encode the request") }
        let payload = try run(.derivative, parameters: Array(parameters), source: source, limits: limits)
        let view = ByteView(payload)
        guard let length = try? Int(view.u32(0)), let json = try? view.bytes(4, length),
              let header = try? JSONDecoder().decode(SandboxProtocol.DerivativeHeader.self, from: Data(json)),
              let image = try? view.suffix(from: 4 + length, "image") else {
            throw SandboxError.malformedOutput("derivative header does not decode")
        }
        return Derivative(bytes: image.array, format: header.format, width: header.width, height: header.height,
                          appliedOrientation: header.appliedOrientation, filledRectangles: header.filledRectangles)
    }

    // MARK: Process handling

    private struct Pipe {
        var read: Int32 = -1
        var write: Int32 = -1

        /// Three pipes (standard input, output and error of a child); none left open if one fails.
        static func three() throws -> (Pipe, Pipe, Pipe) {
            let first = try Pipe()
            let second: Pipe
            do { second = try Pipe() } catch { first.closeBoth(); throw error }
            do { return (first, second, try Pipe()) } catch { first.closeBoth(); second.closeBoth(); throw error }
        }

        func closeBoth() { close(read); close(write) }

        init() throws {
            var fds: [Int32] = [-1, -1]
            // Close-on-exec from the start: another thread may spawn a sandbox child at the same moment.
            guard amanah_pipe_cloexec(&fds) == 0 else { throw SandboxError.spawnFailed("pipe: \(String(cString: strerror(errno)))") }
            read = fds[0]
            write = fds[1]
        }
    }

    private static func setNonBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
    }

    private static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGKILL: return "SIGKILL"
        case SIGSEGV: return "SIGSEGV"
        case SIGABRT: return "SIGABRT"
        case SIGILL: return "SIGILL"
        case SIGTRAP: return "SIGTRAP"
        case SIGBUS: return "SIGBUS"
        case SIGFPE: return "SIGFPE"
        case SIGSYS: return "SIGSYS"
        case SIGXCPU: return "SIGXCPU"
        case SIGXFSZ: return "SIGXFSZ"
        default: return "signal \(signal)"
        }
    }

    /// Spawns the child, streams the request and input, collects the response and the exit status, in four
    /// steps: start the child, talk to it (with SIGPIPE blocked on this thread), wait for its exit, interpret it.
    private func run(_ job: SandboxProtocol.Job, parameters: [UInt8], source: some ByteSource,
                     limits: SandboxLimits, sizeHint: UInt64 = 0) throws -> [UInt8] {
        let (child, pipes) = try startChild(job)
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .milliseconds(Int64(limits.timeoutSeconds * 1000)))
        var conversation = Conversation(child: child, input: pipes.input, output: pipes.output, errors: pipes.errors,
                                        request: SandboxProtocol.requestHeader(job: job, limits: limits, parameters: parameters, sizeHint: sizeHint),
                                        source: source, limits: limits, deadline: deadline)
        defer { conversation.closeAll() }
        try Self.withPipeSignalBlocked { try conversation.run() }
        let (status, cpu) = try Self.awaitExit(child, deadline: deadline, limits: limits)
        return try interpret(status: status, cpu: cpu, response: conversation.response, diagnostics: conversation.diagnostics, limits: limits)
    }

    /// Step 1: a child for `job` with its three pipes; returns the child and this side's ends (input to write,
    /// output and errors to read), the child's ends closed here. Only metadata jobs (Amanah's own parsers) go
    /// through the fork server; image decoding (libvips and its codecs, the larger attack surface) always gets
    /// a freshly started process with a layout of its own.
    private func startChild(_ job: SandboxProtocol.Job) throws -> (ChildProcess, (input: Int32, output: Int32, errors: Int32)) {
        var (input, output, errors) = try Pipe.three()
        var forked: ChildProcess? = nil
        if usesForkServer && job == .metadata, let server = SandboxForkServer.shared(for: executablePath) {
            do {
                let pid = try server.forkChild(job: job.name, standardInput: input.read, standardOutput: output.write,
                                               standardError: errors.write)
                forked = .forked(pid, server)
            } catch {
                // The server may have received the pipes before failing: start over with new ones.
                for pipe in [input, output, errors] { pipe.closeBoth() }
                (input, output, errors) = try Pipe.three()
            }
        }
        let child: ChildProcess
        if let forked {
            child = forked
        } else {
            switch Self.spawnClean(executable: executablePath, arguments: ["__sandbox", job.name],
                                   standardInput: input.read, standardOutput: output.write, standardError: errors.write) {
            case .success(let pid): child = .spawned(pid)
            case .failure(let error):
                close(input.read); close(output.write); close(errors.write)
                close(input.write); close(output.read); close(errors.read)
                throw error
            }
        }
        close(input.read)
        close(output.write)
        close(errors.write)
        return (child, (input.write, output.read, errors.read))
    }

    /// Step 2's frame: a write to a pipe whose reader died raises SIGPIPE, so it is blocked on this thread while
    /// `body` talks to the child; one that became pending meanwhile is consumed before the mask is restored.
    private static func withPipeSignalBlocked<T>(_ body: () throws -> T) rethrows -> T {
        var pipeSignal = sigset_t(), previousMask = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, &previousMask)
        defer {
            var pending = sigset_t()
            sigpending(&pending)
            if sigismember(&pending, SIGPIPE) == 1 {
                var zero = timespec(tv_sec: 0, tv_nsec: 0)
                _ = sigtimedwait(&pipeSignal, nil, &zero)
            }
            pthread_sigmask(SIG_SETMASK, &previousMask, nil)
        }
        return try body()
    }

    /// Step 2: one exchange with a child over non-blocking pipes, driven by poll(2) until both of its output
    /// pipes are closed: the request header, then the source in length-prefixed chunks (a zero-length chunk
    /// ends it) to its standard input; its response and (the last 4 to 8 KiB of) its diagnostics collected.
    /// Every failure kills and reaps the child before throwing: the deadline passing, poll failing, the source
    /// failing or exceeding the input limit, a response larger than the output limit.
    private struct Conversation<Source: ByteSource> {
        let child: ChildProcess
        var input: Int32, output: Int32, errors: Int32
        var pending: [UInt8]
        var pendingOffset = 0
        var source: Source
        var sourceFinished = false
        var sent = 0
        let limits: SandboxLimits
        let deadline: ContinuousClock.Instant
        var killed = false
        private(set) var response: [UInt8] = []
        private(set) var diagnostics: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: SandboxProtocol.chunkSize)
        var readBuffer = [UInt8](repeating: 0, count: 64 * 1024)

        init(child: ChildProcess, input: Int32, output: Int32, errors: Int32, request: [UInt8], source: Source,
             limits: SandboxLimits, deadline: ContinuousClock.Instant) {
            self.child = child; self.input = input; self.output = output; self.errors = errors
            self.pending = request; self.source = source; self.limits = limits; self.deadline = deadline
            SandboxClient.setNonBlocking(input)
            SandboxClient.setNonBlocking(output)
            SandboxClient.setNonBlocking(errors)
        }

        /// Kills the child (once) and reaps it; then `error` is thrown by the caller.
        mutating func abandon(_ error: Error) -> Error {
            if !killed { kill(child.pid, SIGKILL); killed = true }
            // A server that has gone took its children with it (they die with their parent).
            _ = (try? child.reap(wait: true)) ?? nil
            return error
        }

        mutating func run() throws {
            let clock = ContinuousClock()
            while output >= 0 || errors >= 0 {
                let remaining = clock.now.duration(to: deadline)
                if remaining <= .zero { throw abandon(SandboxError.timedOut(seconds: limits.timeoutSeconds)) }
                var fds: [pollfd] = []
                if input >= 0 { fds.append(pollfd(fd: input, events: Int16(POLLOUT), revents: 0)) }
                if output >= 0 { fds.append(pollfd(fd: output, events: Int16(POLLIN), revents: 0)) }
                if errors >= 0 { fds.append(pollfd(fd: errors, events: Int16(POLLIN), revents: 0)) }
                let milliseconds = Int32(clamping: remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000 + 1)
                let ready = poll(&fds, nfds_t(fds.count), milliseconds)
                if ready < 0 {
                    if errno == EINTR { continue }
                    throw abandon(SandboxError.failed("poll: \(String(cString: strerror(errno)))"))
                }
                for entry in fds where entry.revents != 0 {
                    if entry.fd == input {
                        try feedInput(revents: entry.revents)
                    } else {
                        try drain(entry.fd)
                    }
                }
            }
        }

        /// Writes what is pending to the child's standard input, reading the next chunk of the source first
        /// when nothing is; closes the pipe once the end chunk is written or the child stopped reading.
        mutating func feedInput(revents: Int16) throws {
            if revents & Int16(POLLERR | POLLHUP) != 0 {
                close(input); input = -1  // the child stopped reading (it exited or refused early)
                return
            }
            if pendingOffset == pending.count && !sourceFinished {
                let n: Int
                do { n = try chunk.withUnsafeMutableBytes { try source.read(into: $0) } }
                catch { throw abandon(SandboxError.inputReadFailed(String(describing: error))) }
                sent += n
                if sent > limits.maxInputBytes { throw abandon(SandboxError.inputTooLarge(limit: limits.maxInputBytes)) }
                pending = SandboxProtocol.be32(UInt32(n)) + chunk[0..<n]
                pendingOffset = 0
                if n == 0 { sourceFinished = true }
            }
            let offset = pendingOffset, fd = input
            let written = pending.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written > 0 { pendingOffset += written }
            else if written < 0 && errno != EAGAIN && errno != EINTR { close(input); input = -1; return }
            if sourceFinished && pendingOffset == pending.count { close(input); input = -1 }
        }

        /// Reads what the child wrote on its standard output (the response, bounded) or error (diagnostics,
        /// the newest kept); closes the pipe at its end.
        mutating func drain(_ fd: Int32) throws {
            let isOutput = fd == output
            let n = readBuffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n > 0 {
                if isOutput {
                    response += readBuffer[0..<n]
                    if response.count > limits.maxOutputBytes + SandboxProtocol.responseHeaderSize + 1024 {
                        throw abandon(SandboxError.malformedOutput("result larger than \(limits.maxOutputBytes) bytes"))
                    }
                } else {
                    diagnostics += readBuffer[0..<n]
                    if diagnostics.count > 8192 { diagnostics.removeFirst(diagnostics.count - 4096) }
                }
            } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
                close(fd)
                if isOutput { output = -1 } else { errors = -1 }
            }
        }

        /// Closes this side's pipes that are still open.
        mutating func closeAll() {
            for fd in [input, output, errors] where fd >= 0 { close(fd) }
            input = -1; output = -1; errors = -1
        }
    }

    /// Step 3: both output pipes are closed, so the child has exited or is about to: its wait status and CPU
    /// time, waiting (polling soon, then less often: the pipes close a moment before the child can be reaped)
    /// but not past the deadline, after which it is killed.
    private static func awaitExit(_ child: ChildProcess, deadline: ContinuousClock.Instant, limits: SandboxLimits) throws -> (Int32, Double) {
        let clock = ContinuousClock()
        var pause: useconds_t = 50
        while true {
            let reaped: (status: Int32, cpu: Double)?
            do { reaped = try child.reap(wait: false) } catch {
                // It cannot be waited for without blocking: do not leave it running.
                kill(child.pid, SIGKILL)
                _ = (try? child.reap(wait: true)) ?? nil
                throw error
            }
            if let (status, cpu) = reaped { return (status, cpu) }
            if clock.now >= deadline {
                kill(child.pid, SIGKILL)
                _ = (try? child.reap(wait: true)) ?? nil
                throw SandboxError.timedOut(seconds: limits.timeoutSeconds)
            }
            usleep(pause)
            pause = min(pause * 4, 2_000)
        }
    }

    /// A sandbox child: spawned by this process, or forked by the fork server.
    private enum ChildProcess {
        case spawned(pid_t)
        case forked(pid_t, SandboxForkServer)

        var pid: pid_t {
            switch self {
            case .spawned(let pid), .forked(let pid, _): return pid
            }
        }

        /// The wait status and CPU time (seconds) once the child has ended; nil while it runs (`wait` false).
        /// - Throws: `SandboxError.failed` when it cannot be waited for.
        func reap(wait: Bool) throws -> (status: Int32, cpu: Double)? {
            switch self {
            case .forked(let pid, let server):
                return try server.reap(pid, wait: wait)
            case .spawned(let pid):
                var status: Int32 = 0
                var usage = rusage()
                while true {
                    let result = wait4(pid, &status, wait ? 0 : WNOHANG, &usage)
                    if result == pid {
                        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
                            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
                        return (status, cpu)
                    }
                    if result == 0 { return nil }
                    if errno != EINTR { throw SandboxError.failed("wait: \(String(cString: strerror(errno)))") }
                }
            }
        }
    }

    /// Spawns `executable` with `arguments` and the three descriptors through `CleanSpawn`, with an
    /// environment of SWIFT_BACKTRACE=enable=no alone (the Swift runtime's crash backtracer would otherwise
    /// start a helper process and print the child's stack, addresses near untrusted data, when a decoder
    /// crashes), and with `bindNow` also LD_BIND_NOW=1 (the fork server resolves every symbol once, so its
    /// children do not each resolve them again).
    /// - Returns: the pid, or `SandboxError.spawnFailed` naming the executable.
    static func spawnClean(executable: String, arguments: [String], standardInput: Int32, standardOutput: Int32,
                           standardError: Int32, bindNow: Bool = false) -> Result<pid_t, SandboxError> {
        do {
            return .success(try CleanSpawn.spawn(executable: executable, arguments: arguments, standardInput: standardInput,
                                                 standardOutput: standardOutput, standardError: standardError,
                                                 environment: ["SWIFT_BACKTRACE=enable=no"] + (bindNow ? ["LD_BIND_NOW=1"] : [])))
        } catch {
            return .failure(.spawnFailed("\(executable): \(error)"))
        }
    }

    private func interpret(status: Int32, cpu: Double, response: [UInt8], diagnostics rawDiagnostics: [UInt8],
                           limits: SandboxLimits) throws -> [UInt8] {
        let diagnostics = String(decoding: rawDiagnostics.suffix(4096), as: UTF8.self)
        let signal = status & 0x7F
        if signal != 0 {
            if signal == SIGSYS { throw SandboxError.sandboxViolation(diagnostics: diagnostics) }
            if signal == SIGXCPU || (signal == SIGKILL && cpu >= Double(limits.cpuSeconds)) {
                throw SandboxError.resourceLimit("CPU time (\(limits.cpuSeconds) s)")
            }
            if signal == SIGXFSZ { throw SandboxError.resourceLimit("file size") }
            let lower = diagnostics.lowercased()
            if lower.contains("alloc") || lower.contains("out of memory") || lower.contains("cannot map") {
                throw SandboxError.resourceLimit("address space (\(limits.addressSpaceBytes) bytes)")
            }
            throw SandboxError.crashed(signal: signal, name: Self.signalName(signal), diagnostics: diagnostics)
        }
        let code = (status >> 8) & 0xFF
        let view = ByteView(response)
        guard response.count >= SandboxProtocol.responseHeaderSize, view.matches(SandboxProtocol.responseMagic),
              response[4] == SandboxProtocol.version, let state = SandboxProtocol.Status(rawValue: response[5]),
              let length = try? view.u64(8), length == UInt64(response.count - SandboxProtocol.responseHeaderSize) else {
            if code != 0 { throw SandboxError.exited(status: code, diagnostics: diagnostics) }
            throw SandboxError.malformedOutput(response.isEmpty ? "no result" : "bad result frame")
        }
        let payload = Array(response[SandboxProtocol.responseHeaderSize...])
        switch state {
        case .ok:
            guard code == 0 else { throw SandboxError.exited(status: code, diagnostics: diagnostics) }
            return payload
        case .refused:
            guard let error = try? JSONDecoder().decode(ImagingError.self, from: Data(payload)) else {
                throw SandboxError.malformedOutput("refusal does not decode")
            }
            if case .decodeFailed(let detail) = error, detail.lowercased().contains("memory") {
                throw SandboxError.resourceLimit("address space (\(limits.addressSpaceBytes) bytes)")
            }
            throw SandboxError.refused(error)
        case .failed:
            throw SandboxError.failed(String(decoding: payload.prefix(1024), as: UTF8.self))
        }
    }
}
