import AmanahCLI
import AmanahAgent
import Foundation
import Testing
import VaultCrypto
#if canImport(Glibc)
import Glibc
#endif

/// A running agent started by a test.
struct RunningAgent {
    let socket: String
    let pid: Int32
    var folder: String { URL(fileURLWithPath: socket).deletingLastPathComponent().path }
    var environment: [String: String] { ["AMANAH_AGENT_SOCKET": socket] }
}

extension CLIHarness {
    /// A private runtime folder (0700) for this test's agents, given to them as XDG_RUNTIME_DIR.
    func runtimeFolder() throws -> String {
        let path = folder + "/run"
        if !FileManager.default.fileExists(atPath: path) {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false,
                                                    attributes: [.posixPermissions: 0o700])
        }
        return path
    }

    /// Starts a detached agent holding `who`'s identity (unlocked with `who.pass`).
    func startAgent(_ who: String, lifetime: String = "1h") throws -> RunningAgent {
        let result = try run(["agent", "start", "-i", who + ".key", "--passphrase-file", who + ".pass", "--lifetime", lifetime],
                             environment: ["XDG_RUNTIME_DIR": try runtimeFolder()])
        #expect(result.status == 0, "agent start: \(result.stderr)")
        func value(_ name: String) -> String? {
            for line in result.stdoutLines where line.hasPrefix(name + "=") {
                return String(line.dropFirst(name.count + 1).prefix { $0 != ";" })
            }
            return nil
        }
        guard let socket = value("AMANAH_AGENT_SOCKET"), let pid = value("AMANAH_AGENT_PID").flatMap(Int32.init) else {
            throw CLIError("agent start printed no socket: \(result.stdout)")
        }
        return RunningAgent(socket: socket, pid: pid)
    }

    /// Runs a vault command as `who` with no passphrase source at all, through `agent`.
    func runWithoutPassphrase(_ who: String, _ arguments: [String], agent: RunningAgent) throws -> Result {
        try run(arguments + ["-C", "vault", "-i", who + ".key"], environment: agent.environment)
    }

    /// Locks the agent (and, should that fail, ends it by its process id); for `defer`.
    func stop(_ agent: RunningAgent) {
        if (try? run(["agent", "lock"], environment: agent.environment))?.status != 0 { kill(agent.pid, SIGTERM) }
    }
}

/// Waits (at most 20 seconds) until `path` no longer exists; returns whether it is gone.
func waitUntilGone(_ path: String) -> Bool {
    for _ in 0..<200 {
        if !FileManager.default.fileExists(atPath: path) { return true }
        usleep(100_000)
    }
    return !FileManager.default.fileExists(atPath: path)
}

/// Runs a program with exactly `environment`; returns (status, stdout + stderr).
func runProgram(_ path: String, _ arguments: [String], environment: [String: String], in folder: String) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.environment = environment
    process.currentDirectoryURL = URL(fileURLWithPath: folder)
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// The cross-user test needs root, setpriv and python3; in CI (`CI=true`) it always runs, so that a missing
/// one fails it rather than skipping it.
let crossUserToolsPresent = ProcessInfo.processInfo.environment["CI"] == "true"
    || (geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
        && FileManager.default.isExecutableFile(atPath: "/usr/bin/python3"))

/// `amanah agent`: identities unlocked once, used by later commands with no passphrase, forgotten on lock or at
/// the end of the lifetime, and only ever served to their owner.
@Suite struct AgentTests {
    @Test func commandsRunThroughTheAgentWithoutAPassphraseUntilLock() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        let cli = vault.cli
        let agent = try cli.startAgent("collector")
        defer { cli.stop(agent) }

        // The folder is private, the socket owner-only, and both live under XDG_RUNTIME_DIR.
        #expect(agent.socket.hasPrefix(try cli.runtimeFolder() + "/amanah-agent-"))
        let folderMode = try FileManager.default.attributesOfItem(atPath: agent.folder)[.posixPermissions] as? Int
        let socketMode = try FileManager.default.attributesOfItem(atPath: agent.socket)[.posixPermissions] as? Int
        #expect(folderMode == 0o700)
        #expect(socketMode == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: agent.folder) == ["socket"])

        // A second identity joins the same agent; status lists both and the time left.
        let added = try cli.run(["agent", "add", "-i", "investigator.key", "--passphrase-file", "investigator.pass"], environment: agent.environment)
        #expect(added.status == 0, "\(added.stderr)")
        let status = try cli.run(["agent", "status"], environment: agent.environment)
        #expect(status.status == 0)
        for who in ["collector", "investigator"] {
            let keyID = try MemberPublicKey(line: vault.publicKeys[who]!).keyIDHex
            #expect(status.stdoutLines.contains("identity \(keyID) \(vault.publicKeys[who]!)"))
        }
        let timeLeft = status.stdoutLines.first { $0.hasPrefix("time-left ") }.flatMap { Int($0.split(separator: " ")[1]) }
        #expect(timeLeft.map { $0 > 3000 && $0 <= 3600 } == true, "\(status.stdout)")
        let statusJSON = try cli.run(["agent", "status", "--json"], environment: agent.environment)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(statusJSON.stdout.utf8)) as? [String: Any], "\(statusJSON.stdout)")
        let identities = try #require(parsed["identities"] as? [[String: String]])
        #expect(Set(identities.compactMap { $0["publicKey"] }) == Set(["collector", "investigator"].compactMap { vault.publicKeys[$0] }))
        #expect((parsed["secondsLeft"] as? Int).map { $0 > 3000 && $0 <= 3600 } == true && !statusJSON.stdout.contains("\\/"))

        // Ingest and show with no passphrase file and no terminal: the agent signs and unseals.
        let ingested = try cli.runWithoutPassphrase("collector", ["ingest", "--case", "C-1", samplePhotos[0]], agent: agent)
        #expect(ingested.status == 0, "\(ingested.stderr)")
        #expect(!ingested.stderr.contains("warning"))
        let item = try #require(ingested.stdoutLines.first?.split(separator: "\t").first.map(String.init))
        let shown = try cli.runWithoutPassphrase("investigator", ["show", item], agent: agent)
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains(try sha256Hex(of: samplePhotos[0])))
        // An identity the agent does not hold is unlocked as usual, silently.
        let other = try vault.run("protection-officer", ["witness", "list"], environment: agent.environment)
        #expect(other.status == 0, "\(other.stderr)")
        #expect(!other.stderr.contains("warning"))
        // What the agent signed verifies like everything else.
        #expect(try cli.run(["audit", "verify", "-C", "vault"]).status == 0)

        // Lock: the agent forgets at once and leaves nothing behind.
        let locked = try cli.run(["agent", "lock"], environment: agent.environment)
        #expect(locked.status == 0, "\(locked.stderr)")
        #expect(!FileManager.default.fileExists(atPath: agent.folder))
        #expect(try FileManager.default.contentsOfDirectory(atPath: try cli.runtimeFolder()).isEmpty)

        // The same command now needs the passphrase: none available, so it fails saying so (after a warning).
        let refused = try cli.runWithoutPassphrase("collector", ["ingest", "--case", "C-1", samplePhotos[1]], agent: agent)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("amanah: warning: no agent answers at \(agent.socket)"))
        #expect(refused.stderr.contains("no terminal to ask for the passphrase"))
        #expect(refused.stderr.contains("amanah: hint: the agent could not be used"))
        // With a passphrase file it falls back to the passphrase, with the warning.
        let fallback = try vault.run("collector", ["ingest", "--case", "C-1", samplePhotos[1]], environment: agent.environment)
        #expect(fallback.status == 0, "\(fallback.stderr)")
        #expect(fallback.stderr.contains("amanah: warning: no agent answers"))
        #expect(try cli.run(["agent", "status"], environment: agent.environment).status == 1)
    }

    @Test func governanceAndRecoveryThroughTheAgent() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        _ = try vault.ingest([samplePhotos[0]])
        let cli = vault.cli
        let agent = try cli.startAgent("custodian-1")
        defer { cli.stop(agent) }
        #expect(try cli.run(["agent", "add", "-i", "custodian-2.key", "--passphrase-file", "custodian-2.pass"], environment: agent.environment).status == 0)

        // Break-glass recovery, every step through the agent: the proposer's one-time public key, the
        // approvers' shares opened and re-sealed, the one-time open when applying.
        let rescuer = try cli.makeIdentity("rescuer")
        let proposed = try cli.runWithoutPassphrase("custodian-1", ["op", "propose", "recover", rescuer, "--role", "investigator", "-o", "rec.json"], agent: agent)
        #expect(proposed.status == 0, "\(proposed.stderr)")
        for custodian in ["custodian-1", "custodian-2"] {
            let approved = try cli.runWithoutPassphrase(custodian, ["op", "approve", "rec.json", "--yes"], agent: agent)
            #expect(approved.status == 0, "\(approved.stderr)")
        }
        let applied = try cli.runWithoutPassphrase("custodian-1", ["op", "apply", "rec.json"], agent: agent)
        #expect(applied.status == 0, "\(applied.stderr)")
        #expect(try vault.run("rescuer", ["check", "--read-data"]).stdout.contains("1 items present, 1 read and verified"))

        // The one-time key the agent derived is the one a local unlock derives.
        let object = try JSONSerialization.jsonObject(with: cli.read("rec.json")) as! [String: Any]
        let change = object["change"] as! [String: Any]
        let nonce = try Hex.decode(object["nonce"] as! String)
        let local = try KeyFile.unlock(Array(cli.read("custodian-1.key")), passphrase: passphrase("custodian-1"))
        #expect(try Base64.decode(change["oneTimeKey"] as! String) == local.oneTimePublicKey(context: nonce))
        #expect(try cli.run(["audit", "verify", "-C", "vault"]).status == 0)
    }

    @Test(.enabled(if: stockToolsPresent, "needs Debian's age, minisign, sha256sum and tar"))
    func disclosureThroughTheAgentVerifiesWithStockTools() throws {
        let fixture = try DisclosureFixture()
        defer { fixture.vault.cleanup() }
        let cli = fixture.vault.cli
        let agent = try cli.startAgent("legal-officer")
        defer { cli.stop(agent) }
        #expect(try cli.run(["agent", "add", "-i", "legal-officer-2.key", "--passphrase-file", "legal-officer-2.pass"], environment: agent.environment).status == 0)
        #expect(try cli.runWithoutPassphrase("legal-officer", ["disclose", "propose", "--to", "Demo Tribunal", "--profile", "tribunal-protected",
                                                              "--case", "C-1", "--basis-file", "basis.txt", "-o", "req.json"], agent: agent).status == 0)
        let approved = try cli.runWithoutPassphrase("legal-officer-2", ["disclose", "approve", "req.json", "--yes"], agent: agent)
        #expect(approved.status == 0, "\(approved.stderr)")
        let issued = try cli.runWithoutPassphrase("legal-officer", ["disclose", "issue", "req.json", "-o", "bundle.tar.age"], agent: agent)
        #expect(issued.status == 0, "\(issued.stderr)")
        // minisign signatures (raw Ed25519 through the agent) verify with the stock tool and with amanah.
        try fixture.unpack()
        #expect(try runTool("minisign", ["-Vm", "SHA256SUMS", "-p", "../issuer.pub"], in: cli.folder + "/unpacked").0 == 0)
        let verify = try cli.run(["bundle", "verify", "bundle.tar.age", "-i", "tribunal.key", "--issuer-key", "issuer.pub", "--kit", "kit.json"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    }

    @Test func theAgentEndsWhenItsLifetimeEndsAndOnSIGTERM() throws {
        let cli = try CLIHarness()
        defer { cli.cleanup() }
        try cli.makeIdentity("alice")
        let brief = try cli.startAgent("alice", lifetime: "1s")
        defer { cli.stop(brief) }
        #expect(waitUntilGone(brief.folder), "the agent outlived its lifetime")
        let after = try cli.run(["agent", "status"], environment: brief.environment)
        #expect(after.status == 1)
        #expect(after.stderr.contains("no agent answers"))

        let agent = try cli.startAgent("alice")
        defer { cli.stop(agent) }
        #expect(kill(agent.pid, SIGTERM) == 0)
        #expect(waitUntilGone(agent.folder), "the agent left its folder behind after SIGTERM")
        #expect(try FileManager.default.contentsOfDirectory(atPath: try cli.runtimeFolder()).isEmpty)
    }

    @Test func secretKeysAreNeitherInTheAgentsArgumentsNorItsEnvironment() throws {
        let cli = try CLIHarness()
        defer { cli.cleanup() }
        try cli.makeIdentity("alice")
        let agent = try cli.startAgent("alice")
        defer { cli.stop(agent) }
        let identity = try KeyFile.unlock(Array(cli.read("alice.key")), passphrase: passphrase("alice"))
        let secrets = identity.transferableSecretKeys().unprotectedCopy()
        let cmdline = Array(try cli.readAbsolute("/proc/\(agent.pid)/cmdline"))
        let environ = Array(try cli.readAbsolute("/proc/\(agent.pid)/environ"))
        #expect(String(decoding: cmdline, as: UTF8.self).contains("__agent"))
        #expect(environ == Array("SWIFT_BACKTRACE=enable=no\0".utf8))
        for haystack in [cmdline, environ] {
            let text = String(decoding: haystack, as: UTF8.self)
            for secret in [Array(secrets[0..<32]), Array(secrets[64..<96])] {
                #expect(!contains(haystack, secret))
                #expect(!text.contains(Hex.encode(secret)))
                #expect(!text.contains(Base64.encode(secret)))
            }
            #expect(!text.contains("passphrase of alice"))
        }
        // No core dumps, a session of its own, and no descriptor but its socket, the signal descriptor and
        // /dev/null.
        let limits = String(decoding: try cli.readAbsolute("/proc/\(agent.pid)/limits"), as: UTF8.self)
        let core = limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") }
        #expect(core.map { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst(4).first == "0" } == true, "\(limits)")
        let stat = String(decoding: try cli.readAbsolute("/proc/\(agent.pid)/stat"), as: UTF8.self)
        let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
        #expect(fields.count > 4 && fields[3] == "\(agent.pid)", "not a session leader: \(stat)")   // session id
        let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(agent.pid)/fd")
        for fd in descriptors {
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(agent.pid)/fd/\(fd)")) ?? ""
            #expect(target == "/dev/null" || target.hasPrefix("socket:") || target.contains("signalfd"), "fd \(fd) -> \(target)")
        }
    }

    @Test func peerCredentialsNameTheConnectingUser() throws {
        var pair: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        defer { close(pair[0]); close(pair[1]) }
        #expect(AgentSocket.peerUID(pair[0]) == geteuid())
        #expect(AgentSocket.peerUID(pair[1]) == geteuid())
        // Not a socket: no answer rather than a wrong one.
        var pipeFDs: [Int32] = [-1, -1]
        #expect(pipe(&pipeFDs) == 0)
        defer { close(pipeFDs[0]); close(pipeFDs[1]) }
        #expect(AgentSocket.peerUID(pipeFDs[0]) == nil)
    }

    /// Another user reaches the socket (the test opens the folder and socket to everyone, which the agent never
    /// does): the agent still refuses the connection, and the other user's `amanah` refuses to use an agent
    /// that is not theirs. Needs root to act as `nobody` (setpriv) and Debian's python3 as a raw client.
    @Test(.enabled(if: crossUserToolsPresent, "needs root, setpriv and /usr/bin/python3"))
    func connectionsFromAnotherUserAreRefused() throws {
        let cli = try CLIHarness()
        defer { cli.cleanup() }
        try cli.makeIdentity("alice")
        let agent = try cli.startAgent("alice")
        defer { cli.stop(agent) }
        for path in [cli.folder, try cli.runtimeFolder(), agent.folder] { #expect(chmod(path, 0o711) == 0) }
        #expect(chmod(agent.socket, 0o666) == 0)
        let nobody = ["--reuid=65534", "--regid=65534", "--clear-groups", "--"]
        let script = """
            import socket, sys
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(sys.argv[1])
            try:
                s.sendall(bytes([0, 0, 0, 2, 1, 1]))
                data = s.recv(100)
            except OSError:
                data = b''
            print('answered' if data else 'refused')
            """
        let raw = try runProgram("/usr/bin/setpriv", nobody + ["/usr/bin/python3", "-c", script, agent.socket],
                                 environment: ["PATH": "/usr/bin:/bin"], in: "/")
        #expect(raw.0 == 0, "\(raw.1)")
        #expect(raw.1.trimmingCharacters(in: .whitespacesAndNewlines) == "refused")
        let asNobody = try runProgram("/usr/bin/setpriv", nobody + [CLIHarness.executable, "agent", "status"],
                                      environment: ["PATH": "/usr/bin:/bin", "AMANAH_AGENT_SOCKET": agent.socket], in: "/")
        #expect(asNobody.0 == 1)
        #expect(asNobody.1.contains("does not belong to you"), "\(asNobody.1)")
        // The owner still gets answers, and sees both connections of the other user counted as refused (the
        // agent refused the second one too, whatever its client did).
        let status = try cli.run(["agent", "status"], environment: agent.environment)
        #expect(status.stdoutLines.contains("refused-connections 2"), "\(status.stdout)")
    }

    @Test func lifetimeAndUsageErrors() throws {
        let cli = try CLIHarness()
        defer { cli.cleanup() }
        try cli.makeIdentity("alice")
        for bad in ["0", "8x", "1h30", "8d", "-1h", ""] {
            let result = try cli.run(["agent", "start", "-i", "alice.key", "--passphrase-file", "alice.pass", "--lifetime", bad])
            #expect(result.status == 64, "--lifetime \(bad): \(result.stderr)")
        }
        let none = try cli.run(["agent", "status"])
        #expect(none.status == 1)
        #expect(none.stderr.contains("no agent: AMANAH_AGENT_SOCKET is not set"))
        let missing = try cli.run(["agent", "lock"], environment: ["AMANAH_AGENT_SOCKET": cli.folder + "/nothing/socket"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no agent answers at"))
    }
}

extension CLIHarness {
    /// Reads any file by absolute path.
    func readAbsolute(_ path: String) throws -> Data {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CLIError("cannot open \(path)") }
        defer { try? handle.close() }
        return handle.readDataToEndOfFile()
    }
}

/// Whether `needle` occurs in `haystack`.
func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard !needle.isEmpty, haystack.count >= needle.count else { return false }
    for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
    return false
}
