internal import CPlatform
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The parent's side of the sandbox fork server: one key-less process per executable, started once as
/// `amanah __sandbox fork-server` from a fresh executable image (nothing of the parent's memory), that forks
/// one child per untrusted file (`amanah_zygote_serve` in CPlatform). A child forked from that clean,
/// single-threaded server costs about a millisecond instead of the tens of milliseconds of starting the
/// executable again, and still starts from a state that has seen no key and no other file; it then sets its
/// own limits and seccomp filter exactly as a spawned child does (`SandboxChild.main`).
///
/// Requests are one SOCK_SEQPACKET message each way (`amanah_zygote_request` / `_reply`), under a lock, so
/// several threads share one server. When the server cannot start or has gone, callers fall back to
/// spawning the executable per file.
final class SandboxForkServer: @unchecked Sendable {
    /// Held for one request and its reply.
    private let lock = NSLock()
    private var socket: Int32
    /// The server's process id.
    let pid: pid_t
    /// Guards `broken`, `retired` and `forks` (never held while waiting on the server).
    private let stateLock = NSLock()
    private var broken = false
    private var retired = false
    private var forks = 0

    /// Children forked by one server before a new one replaces it: they all share its memory layout (address
    /// randomisation, stack canary), so a fresh server bounds how many files may probe one layout.
    static let forksPerServer = 200
    /// How long a request may wait for the server's answer before the server is given up (killed).
    static let answerTimeoutMilliseconds: Int32 = 10_000

    private init(socket: Int32, pid: pid_t) {
        self.socket = socket
        self.pid = pid
    }

    deinit {
        if socket >= 0 { close(socket) }
        kill(pid, SIGKILL)   // it would end on the closed socket; do not wait for a server that hangs
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    // MARK: Shared servers

    private static let registryLock = NSLock()
    nonisolated(unsafe) private static var servers: [String: SandboxForkServer] = [:]
    nonisolated(unsafe) private static var failures: [String: Int] = [:]

    /// The running server for `executable`, started on first use; nil when it cannot be started (after
    /// three failed starts for an executable, no further attempt is made in this process).
    static func shared(for executable: String) -> SandboxForkServer? {
        registryLock.lock()
        defer { registryLock.unlock() }
        if let server = servers[executable], server.isUsable { return server }
        // A broken or retired server is dropped here; children in flight keep it alive until they are reaped.
        servers[executable] = nil
        guard failures[executable, default: 0] < 3 else { return nil }
        if let server = try? start(executable: executable) {
            servers[executable] = server
            return server
        }
        failures[executable, default: 0] += 1
        return nil
    }

    private var isUsable: Bool { stateLock.withLock { !broken && !retired } }

    /// Stops new forks on this server (after a child ended by a signal, or `forksPerServer` forks); the next
    /// file gets a fresh server.
    func retire() { stateLock.withLock { retired = true } }

    /// Starts `executable __sandbox fork-server` with the socket as its standard input, /dev/null as its
    /// output and error, an empty environment (but SWIFT_BACKTRACE=enable=no and LD_BIND_NOW=1), every other
    /// descriptor closed
    /// and "/" as its folder; waits up to 10 s for its ready message.
    private static func start(executable: String) throws -> SandboxForkServer {
        var pair: [Int32] = [-1, -1]
        guard amanah_seqpacket_pair(&pair) == 0 else { throw SandboxError.spawnFailed("socketpair: \(String(cString: strerror(errno)))") }
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { if null >= 0 { close(null) } }
        guard null >= 0 else {
            close(pair[0]); close(pair[1])
            throw SandboxError.spawnFailed("/dev/null: \(String(cString: strerror(errno)))")
        }
        let spawned = SandboxClient.spawnClean(executable: executable, arguments: ["__sandbox", "fork-server"],
                                               standardInput: pair[1], standardOutput: null, standardError: null,
                                               bindNow: true)
        close(pair[1])
        let pid: pid_t
        switch spawned {
        case .success(let child): pid = child
        case .failure(let error):
            close(pair[0])
            throw error
        }
        let server = SandboxForkServer(socket: pair[0], pid: pid)
        // The ready message carries the server's pid; anything else (a program that is not amanah) fails.
        var poller = pollfd(fd: pair[0], events: Int16(POLLIN), revents: 0)
        var ready: Int32
        repeat { ready = poll(&poller, 1, 5_000) } while ready < 0 && errno == EINTR
        var reply = amanah_zygote_reply()
        if ready == 1, recv(pair[0], &reply, MemoryLayout<amanah_zygote_reply>.size, Int32(MSG_DONTWAIT)) == MemoryLayout<amanah_zygote_reply>.size,
           reply.result == pid, UInt32(bitPattern: reply.status) == UInt32(AMANAH_ZYGOTE_READY) {
            return server
        }
        kill(pid, SIGKILL)
        throw SandboxError.spawnFailed("\(executable): the fork server did not start")
    }

    // MARK: Requests

    /// Forks a child for `job` whose standard input, output and error are the three descriptors given.
    /// - Returns: the child's pid (a child of the server, not of this process: reap it with `reap`).
    /// - Throws: `SandboxError.spawnFailed` when the server refused or has gone.
    func forkChild(job: String, standardInput: Int32, standardOutput: Int32, standardError: Int32) throws -> pid_t {
        var request = amanah_zygote_request()
        request.operation = Int32(AMANAH_ZYGOTE_FORK)
        withUnsafeMutableBytes(of: &request.job) { buffer in
            for (index, byte) in job.utf8.prefix(buffer.count - 1).enumerated() { buffer[index] = byte }
        }
        let reply = try exchange(request, descriptors: [standardInput, standardOutput, standardError])
        guard reply.result > 0 else { throw SandboxError.spawnFailed("fork server: \(String(cString: strerror(-reply.result)))") }
        stateLock.withLock {
            forks += 1
            if forks >= Self.forksPerServer { retired = true }
        }
        return reply.result
    }

    /// Reaps child `child` of the server: waits for it when `wait`, else returns nil while it still runs.
    /// - Returns: the wait status and the child's CPU time (user + system, seconds).
    /// - Throws: `SandboxError.failed` when the server has gone (its children then die with it).
    func reap(_ child: pid_t, wait: Bool) throws -> (status: Int32, cpu: Double)? {
        var request = amanah_zygote_request()
        request.operation = Int32(wait ? AMANAH_ZYGOTE_WAIT : AMANAH_ZYGOTE_POLL)
        request.pid = child
        let reply = try exchange(request, descriptors: [])
        if reply.result == 0 { return nil }
        guard reply.result == child else { throw SandboxError.failed("wait: \(String(cString: strerror(-reply.result)))") }
        if reply.status & 0x7F != 0 { retire() }   // ended by a signal: perhaps a probe of the shared layout
        return (reply.status, Double(reply.cpu_microseconds) / 1e6)
    }

    private func exchange(_ request: amanah_zygote_request, descriptors: [Int32]) throws -> amanah_zygote_reply {
        try lock.withLock {
            guard !stateLock.withLock({ broken }) else { throw SandboxError.spawnFailed("the fork server has gone") }
            var request = request
            var reply = amanah_zygote_reply()
            let result = descriptors.withUnsafeBufferPointer { fds in
                amanah_zygote_exchange(socket, &request, fds.baseAddress, Int32(fds.count), &reply, Self.answerTimeoutMilliseconds)
            }
            guard result == 0 else {
                let why = String(cString: strerror(errno))
                stateLock.withLock { broken = true }
                close(socket)
                socket = -1
                kill(pid, SIGKILL)   // a server that does not answer is not trusted to answer later
                throw SandboxError.spawnFailed("the fork server has gone: \(why)")
            }
            return reply
        }
    }
}
