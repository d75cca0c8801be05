internal import AmanahAgent
import ArgumentParser
internal import CPlatform
internal import VaultCrypto
#if canImport(Glibc)
import Glibc
#endif

/// `amanah agent start|add|status|lock`: an opt-in agent, like ssh-agent, that keeps unlocked identities in
/// locked memory for a set time and signs and unseals for its owner's commands over an owner-only Unix socket,
/// so that a working day of commands does not pay Argon2id each time. See `AgentServer` and SECURITY.md.
struct AgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Keep unlocked identities in an agent for a while (like ssh-agent).",
        discussion: """
            eval "$(amanah agent start -i alice.key)" unlocks alice.key once; later commands given -i alice.key \
            ask no passphrase while AMANAH_AGENT_SOCKET names the agent. `amanah agent lock` forgets at once.
            """,
        subcommands: [AgentStart.self, AgentAdd.self, AgentStatus.self, AgentLock.self])
}

/// `amanah agent start -i KEY [--lifetime 8h] [--foreground]`.
struct AgentStart: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Unlock an identity into a new agent; print the shell commands that point later commands at it.",
        discussion: "Example: eval \"$(amanah agent start -i investigator.key --lifetime 4h)\"")

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("lifetime"), help: ArgumentHelp("How long the agent keeps the identity: 8h, 90m, 1h30m, 2d, seconds (at most 7d).", valueName: "DURATION"))
    var lifetime = "8h"

    @Flag(name: .customLong("foreground"), help: "Run the agent in this process until it ends, instead of detached (for debugging).")
    var foreground = false

    func validate() throws {
        guard AgentLifetime(parsing: lifetime) != nil else {
            throw ValidationError("--lifetime: \"\(lifetime)\" is not a duration from 1s to 7d (like 8h, 90m, 1h30m)")
        }
    }

    func run() throws {
        let duration = AgentLifetime(parsing: lifetime) ?? .standard
        let identity = try global.unlockIdentity()
        let keyID = identity.publicKey.keyIDHex
        let base = AgentSocket.runtimeBase()
        if foreground {
            let server = AgentServer(lifetimeSeconds: duration.seconds)
            do { try server.listen(under: base) } catch {
                server.shutDown()
                throw CLIError("cannot start the agent: \(error)")
            }
            server.add(identity)
            Terminal.writeStandardOutput(AgentStart.shellLines(socket: server.socketPath, pid: getpid()))
            Terminal.message("agent holds \(keyID) for \(AgentLifetime.format(seconds: duration.seconds)) (in the foreground)")
            server.serve()
            return
        }
        let started: AgentLauncher.Started
        do { started = try AgentLauncher.start(identity, lifetime: duration, runtimeBase: base) } catch {
            throw CLIError(String(describing: error))
        }
        Terminal.writeStandardOutput(AgentStart.shellLines(socket: started.socketPath, pid: started.pid))
        Terminal.message("agent \(started.pid) holds \(keyID) for \(AgentLifetime.format(seconds: duration.seconds))")
    }

    /// `AMANAH_AGENT_SOCKET=<path>; export AMANAH_AGENT_SOCKET;` and the same for `AMANAH_AGENT_PID`, for `eval`.
    static func shellLines(socket: String, pid: pid_t) -> String {
        "\(AgentClient.environmentVariable)=\(shellQuoted(socket)); export \(AgentClient.environmentVariable);\n"
            + "AMANAH_AGENT_PID=\(pid); export AMANAH_AGENT_PID;\n"
    }

    /// `text` as one POSIX shell word: unchanged when it holds only safe characters, else single-quoted.
    static func shellQuoted(_ text: String) -> String {
        let safe = text.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                || byte == 0x2f || byte == 0x2e || byte == 0x5f || byte == 0x2d
        }
        if safe && !text.isEmpty { return text }
        var quoted = "'"
        for character in text { quoted += character == "'" ? "'\\''" : String(character) }
        return quoted + "'"
    }
}

/// `amanah agent add -i KEY`: unlocks another identity into the running agent.
struct AgentAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Unlock another identity into the running agent (kept until the agent's lifetime ends).",
        discussion: "Example: amanah agent add -i custodian-1.key")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let client = try AgentCommand.client()
        let publicKey = try IdentityLoader.publicKey(path: try global.identityPath())
        let listing = try client.list()
        if listing.identities.contains(publicKey) {
            Terminal.message("the agent holds \(publicKey.keyIDHex) already")
            return
        }
        let identity = try global.unlockIdentity()
        try client.add(identity)
        Terminal.message("agent holds \(publicKey.keyIDHex) too, for \(AgentLifetime.format(seconds: Int64(listing.millisecondsLeft / 1000)))")
    }
}

/// `amanah agent status`: what the agent holds and its time left.
struct AgentStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "List the identities the agent holds and the time it has left.",
        discussion: "Example: amanah agent status")
    @Flag(help: "Print JSON: socket, seconds left, refused connections and the identities (key id and public key line).") var json = false

    struct Status: Encodable {
        struct Identity: Encodable { var keyID: String; var publicKey: String }
        var socket: String, secondsLeft: Int64, refusedConnections: Int, identities: [Identity]
    }

    func run() throws {
        let client = try AgentCommand.client()
        let listing = try client.list()
        let seconds = Int64(listing.millisecondsLeft / 1000)
        if json {
            try printJSON(Status(socket: client.path, secondsLeft: seconds, refusedConnections: Int(listing.refusedConnections),
                                 identities: listing.identities.map { .init(keyID: $0.keyIDHex, publicKey: $0.line) }))
            return
        }
        var text = "socket \(client.path)\n"
        text += "time-left \(seconds) (\(AgentLifetime.format(seconds: seconds)))\n"
        text += "refused-connections \(listing.refusedConnections)\n"
        for key in listing.identities { text += "identity \(key.keyIDHex) \(key.line)\n" }
        Terminal.writeStandardOutput(text)
    }
}

/// `amanah agent lock`: the agent forgets every identity at once and ends.
struct AgentLock: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock",
        abstract: "Make the agent forget its identities at once and end (removing its socket).",
        discussion: "Example: amanah agent lock")

    func run() throws {
        let client = try AgentCommand.client()
        try client.lock()
        Terminal.message("the agent forgot its identities and ended")
        Terminal.hint("unset \(AgentClient.environmentVariable) AMANAH_AGENT_PID")
    }
}

extension AgentCommand {
    /// The agent named by AMANAH_AGENT_SOCKET.
    /// - Throws: `CLIError` when it is not set.
    static func client() throws -> AgentClient {
        guard let client = AgentClient.fromEnvironment() else {
            throw CLIError("no agent: \(AgentClient.environmentVariable) is not set",
                           hint: "start one with: eval \"$(amanah agent start -i KEY)\"")
        }
        return client
    }
}

/// `amanah __agent --lifetime SECONDS --runtime-dir DIR`: the hidden entry point of a detached agent, started
/// only by `amanah agent start` (`AgentLauncher`). It reads the first identity from standard input, makes its
/// socket, reports `ready <path>` (or `error <why>`) on standard output, lets go of both, and serves until
/// the lifetime ends, `lock`, or a termination signal. `AmanahMain.run` has already disabled core dumps and
/// made it non-dumpable.
struct AgentChildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: AgentLauncher.childCommandName,
        abstract: "Internal: the agent process.",
        shouldDisplay: false)

    @Option(name: .customLong("lifetime"), help: "Seconds to live.")
    var lifetime: Int64

    @Option(name: .customLong("runtime-dir"), help: "The folder to make the agent's own folder in.")
    var runtimeDirectory: String

    func run() throws {
        _ = setsid()
        _ = amanah_set_no_new_privs()
        func fail(_ why: String) -> Never {
            Terminal.writeAll(fd: 1, Array("error \(why)\n".utf8))
            Glibc.exit(1)
        }
        guard lifetime >= 1, lifetime <= AgentLifetime.maximumSeconds else { fail("lifetime out of range") }
        let server = AgentServer(lifetimeSeconds: lifetime)
        do {
            guard let frame = try AgentProtocol.readFrame(0) else { fail("no identity was handed over") }
            try frame.withUnsafeBytes { body in try server.add(body: body) }
        } catch {
            fail("cannot take the identity: \(error)")
        }
        do { try server.listen(under: runtimeDirectory) } catch {
            server.shutDown()
            fail("\(error)")
        }
        // Standard input and output become /dev/null before the answer goes out on a duplicate of the pipe,
        // which is then closed: once `agent start` has read the answer and the end of the pipe, the agent holds
        // no descriptor but its socket, its signal descriptor and /dev/null.
        let answer = fcntl(1, F_DUPFD_CLOEXEC, 3)
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        if null >= 0 {
            dup2(null, 0)
            dup2(null, 1)
            close(null)
        }
        // If no one reads the answer (`agent start` died), no one knows the socket: end at once.
        let ready = Array("ready \(server.socketPath)\n".utf8)
        guard answer >= 0, ready.withUnsafeBytes({ write(answer, $0.baseAddress!, $0.count) }) == ready.count else {
            server.shutDown()
            Glibc.exit(1)
        }
        close(answer)
        server.serve()
        Glibc.exit(0)
    }
}
