import VaultPlatform
import CPlatform
import VaultCrypto
#if canImport(Glibc)
import Glibc
#endif

/// Starts a detached agent: this executable as `amanah __agent`, in a new session, with an empty environment
/// (but for SWIFT_BACKTRACE=enable=no, so a crash starts no backtracer that would read its memory) and no
/// inherited descriptor but two pipes. The identity's secret keys go to it through the first pipe (its
/// standard input), never through argv, the environment or a file; it answers `ready <socket path>` or
/// `error <why>` on the second (its standard output) and then lets go of both.
public enum AgentLauncher {
    /// The hidden subcommand of `amanah` that runs a detached agent (`amanah __agent`).
    public static let childCommandName = "__agent"

    /// What the new agent reported.
    public struct Started {
        public let pid: pid_t
        public let socketPath: String
    }

    /// Spawns the agent, hands it `identity`, and waits (at most 30 seconds) until it listens.
    /// - Throws: `AgentError` naming the step that failed.
    public static func start(_ identity: borrowing Identity, lifetime: AgentLifetime, runtimeBase: String) throws -> Started {
        guard let executable = currentExecutable() else { throw AgentError("cannot find the amanah executable (/proc/self/exe)") }
        var secretsPipe: [Int32] = [-1, -1], readyPipe: [Int32] = [-1, -1]
        // Close-on-exec from the start, so no other child started meanwhile keeps them; the spawn's dup2
        // clears it on 0 and 1.
        guard amanah_pipe_cloexec(&secretsPipe) == 0 else { throw AgentError("pipe: \(String(cString: strerror(errno)))") }
        guard amanah_pipe_cloexec(&readyPipe) == 0 else {
            close(secretsPipe[0]); close(secretsPipe[1])
            throw AgentError("pipe: \(String(cString: strerror(errno)))")
        }
        let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
        guard null >= 0 else {
            for fd in secretsPipe + readyPipe { close(fd) }
            throw AgentError("/dev/null: \(String(cString: strerror(errno)))")
        }
        let spawned = Result { () throws(CleanSpawn.Failure) -> pid_t in
            try CleanSpawn.spawn(executable: executable,
                                 arguments: [AgentLauncher.childCommandName,
                                             "--lifetime", String(lifetime.seconds), "--runtime-dir", runtimeBase],
                                 standardInput: secretsPipe[0], standardOutput: readyPipe[1], standardError: null,
                                 environment: ["SWIFT_BACKTRACE=enable=no"])
        }
        close(null)
        close(secretsPipe[0])
        close(readyPipe[1])
        defer { close(readyPipe[0]) }
        let pid: pid_t
        switch spawned {
        case .success(let child): pid = child
        case .failure(let failure):
            close(secretsPipe[1])
            throw AgentError("cannot start the agent: \(failure)")
        }
        let head = AgentClient.addRequestHead(publicKey: identity.publicKey)
        let secrets = identity.transferableSecretKeys()
        var handed = true
        do { try AgentProtocol.writeFrame(secretsPipe[1], head, secret: secrets) } catch { handed = false }
        close(secretsPipe[1])

        let answer = readLine(readyPipe[0], timeoutMilliseconds: 30_000)
        if answer.hasPrefix("ready /") {
            // The agent closes its end right after answering; waiting for that end means its descriptors are
            // settled (only the socket, the signal descriptor and /dev/null) when `agent start` returns.
            waitForEndOfFile(readyPipe[0], timeoutMilliseconds: 5_000)
            return Started(pid: pid, socketPath: String(answer.dropFirst(6)))
        }
        kill(pid, SIGTERM)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        if answer.hasPrefix("error ") { throw AgentError("the agent did not start: \(answer.dropFirst(6))") }
        throw AgentError(handed ? "the agent did not start (no answer)" : "cannot hand the identity to the agent")
    }

    /// The first line (without its newline) read from `fd` before end of file or the timeout; "" if none.
    private static func readLine(_ fd: Int32, timeoutMilliseconds: Int32) -> String {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while bytes.count < 8192 {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, timeoutMilliseconds)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { break }
            let n = read(fd, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            guard n == 1, byte != 0x0a else { break }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reads and drops whatever comes on `fd` until end of file or the timeout.
    private static func waitForEndOfFile(_ fd: Int32, timeoutMilliseconds: Int32) {
        var scratch = [UInt8](repeating: 0, count: 256)
        while true {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, timeoutMilliseconds)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { return }
            let n = read(fd, &scratch, scratch.count)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
        }
    }

    /// The path of the running executable.
    static func currentExecutable() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
