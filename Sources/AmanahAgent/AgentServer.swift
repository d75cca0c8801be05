import CPlatform
import VaultCrypto
#if canImport(Glibc)
import Glibc
#endif

/// The agent itself: holds unlocked identities in secure memory (`SecretBytes`: `sodium_malloc`, locked
/// against swapping, wiped on release) until its lifetime ends, and answers `AgentProtocol` requests, one per
/// connection, from processes of its own user only (SO_PEERCRED checked on every connection). It writes
/// nothing to disk: its only file-system entries are its socket and the folder holding it, both removed when
/// it ends (lifetime over, `lock`, SIGTERM, SIGINT or SIGHUP).
///
/// Single-threaded: connections are served in turn, each with 5-second send and receive timeouts, so a
/// stalled client delays others by at most that.
public final class AgentServer {
    /// The identities held, in the order they were added.
    private var identities: [LocalIdentity] = []
    /// When the agent ends, in milliseconds of CLOCK_BOOTTIME (which keeps counting while the machine sleeps,
    /// so a suspended laptop does not stretch the lifetime).
    let deadline: Int64
    /// Connections refused because they came from another user.
    private(set) var refused: UInt32 = 0
    private var listener: Int32 = -1
    private var signals: Int32 = -1
    private(set) var folder = ""
    public private(set) var socketPath = ""

    /// An agent that lives `lifetimeSeconds` from now.
    public init(lifetimeSeconds: Int64) {
        deadline = AgentServer.now() + lifetimeSeconds * 1000
    }

    /// Milliseconds of CLOCK_BOOTTIME.
    static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_BOOTTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec / 1_000_000)
    }

    /// Milliseconds left (0 when over).
    var millisecondsLeft: Int64 { max(0, deadline - AgentServer.now()) }

    // MARK: Set-up and teardown

    /// Takes the termination signals, then makes the folder and the listening socket under `base`.
    /// - Throws: `AgentSocket.Failure` naming the step.
    public func listen(under base: String) throws {
        signals = amanah_termination_signal_fd()
        guard signals >= 0 else { throw AgentSocket.Failure("cannot watch for termination signals") }
        let made = try AgentSocket.listen(under: base)
        listener = made.fd
        folder = made.folder
        socketPath = made.path
    }

    /// Forgets every identity (their secure memory is wiped as it is freed), removes the socket and its folder.
    public func shutDown() {
        identities.removeAll()
        if listener >= 0 { close(listener); listener = -1 }
        if !socketPath.isEmpty { unlink(socketPath); socketPath = "" }
        if !folder.isEmpty { rmdir(folder); folder = "" }
    }

    /// Adds an identity from an `add` body (public key line, secret keys). A second copy of the same identity
    /// is ignored.
    /// - Throws: `AgentProtocol.WireError` for a malformed body; `CryptoError` when the keys do not match.
    public func add(body: UnsafeRawBufferPointer) throws {
        var reader = try AgentProtocol.Reader(body)
        guard try reader.code() == AgentProtocol.Request.add.rawValue else { throw AgentProtocol.WireError("not an add request") }
        try add(reader: &reader)
    }

    /// Adds an identity unlocked in this process (`agent start --foreground`).
    public func add(_ identity: consuming Identity) {
        let local = LocalIdentity(identity)
        if !identities.contains(where: { $0.publicKey.keyID == local.publicKey.keyID }) { identities.append(local) }
    }

    private func add(reader: inout AgentProtocol.Reader) throws {
        let line = try reader.array("public key", limit: 1024)
        let secrets = try reader.field("secret keys", limit: Identity.transferableSecretKeyByteCount)
        try reader.finish()
        let publicKey = try MemberPublicKey(line: String(decoding: line, as: UTF8.self))
        let secretCopy = SecretBytes(copying: secrets)
        let identity = try Identity(publicKey: publicKey, transferredSecretKeys: secretCopy)
        if !identities.contains(where: { $0.publicKey.keyID == publicKey.keyID }) {
            identities.append(LocalIdentity(identity))
        }
    }

    // MARK: Serving

    /// Serves until the lifetime ends, a `lock` request, or a termination signal; then shuts down.
    public func serve() {
        while true {
            let left = millisecondsLeft
            if left == 0 { break }
            var fds = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: signals, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 2, Int32(min(left, 60_000)))
            if ready < 0 && errno == EINTR { continue }
            if ready < 0 { break }
            if fds[1].revents != 0 { break }
            if fds[0].revents & Int16(POLLIN) != 0 {
                let connection = accept(listener, nil, nil)
                if connection < 0 { continue }
                _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
                if serve(connection: connection) {
                    // Forget first, then confirm: when `agent lock` returns, the keys are gone.
                    shutDown()
                    try? reply(connection, .ok)
                    close(connection)
                    break
                }
                close(connection)
            }
        }
        shutDown()
    }

    /// Answers one request on `connection`. Returns true for a `lock` request, which it leaves unanswered.
    private func serve(connection: Int32) -> Bool {
        guard let peer = AgentSocket.peerUID(connection), peer == geteuid() else {
            refused &+= 1
            return false
        }
        AgentSocket.setTimeouts(connection, seconds: 5)
        guard let frame = try? AgentProtocol.readFrame(connection) else { return false }
        return frame.withUnsafeBytes { body -> Bool in
            do { return try answer(body, on: connection) } catch {
                // A malformed request: say why if the connection still takes it, then end the connection.
                try? reply(connection, .failed, message: "malformed request: \(error)")
                return false
            }
        }
    }

    /// Parses and answers one request; returns true for `lock`.
    private func answer(_ body: UnsafeRawBufferPointer, on connection: Int32) throws -> Bool {
        var reader = try AgentProtocol.Reader(body)
        guard let request = AgentProtocol.Request(rawValue: try reader.code()) else {
            throw AgentProtocol.WireError("unknown request")
        }
        switch request {
        case .list:
            try reader.finish()
            var writer = AgentProtocol.Writer(code: AgentProtocol.Answer.ok.rawValue)
            let left = UInt64(millisecondsLeft)
            writer.field((0..<8).map { UInt8(truncatingIfNeeded: left >> (56 - 8 * $0)) })
            writer.field((0..<4).map { UInt8(truncatingIfNeeded: refused >> (24 - 8 * $0)) })
            for identity in identities { writer.field(Array(identity.publicKey.line.utf8)) }
            try AgentProtocol.writeFrame(connection, writer.bytes)
        case .add:
            do { try add(reader: &reader) } catch let error as AgentProtocol.WireError { throw error } catch {
                try reply(connection, .failed, message: "cannot add the identity: \(error)")
                return false
            }
            try reply(connection, .ok)
        case .lock:
            try reader.finish()
            return true   // answered by `serve()` once everything is wiped
        case .sign, .signRaw, .openSealedBox, .oneTimePublicKey, .oneTimeOpen:
            let keyID = try reader.array("key id", limit: 8)
            guard let identity = identities.first(where: { $0.publicKey.keyID == keyID }) else {
                try reply(connection, .unknownIdentity, message: "the agent does not hold identity \(Hex.encode(keyID))")
                return false
            }
            try use(identity, request, &reader, on: connection)
        }
        return false
    }

    /// Performs a key operation with `identity`.
    private func use(_ identity: LocalIdentity, _ request: AgentProtocol.Request, _ reader: inout AgentProtocol.Reader,
                     on connection: Int32) throws {
        switch request {
        case .sign:
            let contextBytes = try reader.array("context", limit: AgentProtocol.maximumSigningContext)
            let message = try reader.array("message", limit: AgentProtocol.maximumFrame)
            try reader.finish()
            guard let context = AgentServer.signingContext(contextBytes) else {
                try reply(connection, .failed, message: "not an amanah signing context")
                return
            }
            try replyOK(connection, identity.sign(message, context: context))
        case .signRaw:
            let message = try reader.array("message", limit: AgentProtocol.maximumFrame)
            try reader.finish()
            // Raw signatures serve formats that fix their own bytes (minisign, signed notes), none of which
            // starts with an Amanah context: refusing those keeps a raw signature from passing for a
            // domain-separated one.
            guard !message.starts(with: Array("amanah/v1/".utf8)) else {
                try reply(connection, .failed, message: "a raw signature may not cover an amanah signing context")
                return
            }
            try replyOK(connection, identity.signRaw(message))
        case .openSealedBox:
            let sealed = try reader.array("sealed box", limit: AgentProtocol.maximumSealed)
            try reader.finish()
            let opened: SecretBytes
            do { opened = try identity.openSealedBox(sealed) } catch {
                try reply(connection, .doesNotOpen, message: "the sealed box does not open with this identity")
                return
            }
            try replySecret(connection, opened)
        case .oneTimePublicKey:
            let context = try reader.array("context", limit: AgentProtocol.maximumContext)
            try reader.finish()
            try replyOK(connection, identity.oneTimePublicKey(context: context))
        case .oneTimeOpen:
            let context = try reader.array("context", limit: AgentProtocol.maximumContext)
            let sealed = try reader.array("sealed box", limit: AgentProtocol.maximumSealed)
            try reader.finish()
            let opened: SecretBytes
            do { opened = try identity.oneTimeOpen(context: context, sealed: sealed) } catch {
                try reply(connection, .doesNotOpen, message: "the sealed box does not open with the one-time key")
                return
            }
            try replySecret(connection, opened)
        case .list, .add, .lock:
            throw AgentProtocol.WireError("not a key operation")
        }
    }

    /// The signing context named by `bytes` (`amanah/v1/` and a purpose of lower-case ASCII letters, digits
    /// and `-`), or nil.
    static func signingContext(_ bytes: [UInt8]) -> SigningContext? {
        let prefix = Array("amanah/v1/".utf8)
        guard bytes.starts(with: prefix), bytes.count > prefix.count else { return nil }
        let purpose = bytes[prefix.count...]
        guard purpose.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d }) else { return nil }
        return SigningContext(purpose: String(decoding: purpose, as: UTF8.self))
    }

    private func reply(_ fd: Int32, _ answer: AgentProtocol.Answer, message: String? = nil) throws {
        var writer = AgentProtocol.Writer(code: answer.rawValue)
        if let message { writer.field(Array(message.utf8)) }
        try AgentProtocol.writeFrame(fd, writer.bytes)
    }

    private func replyOK(_ fd: Int32, _ value: [UInt8]) throws {
        var writer = AgentProtocol.Writer(code: AgentProtocol.Answer.ok.rawValue)
        writer.field(value)
        try AgentProtocol.writeFrame(fd, writer.bytes)
    }

    private func replySecret(_ fd: Int32, _ secret: borrowing SecretBytes) throws {
        var writer = AgentProtocol.Writer(code: AgentProtocol.Answer.ok.rawValue)
        writer.secretFieldHeader(count: secret.count)
        try AgentProtocol.writeFrame(fd, writer.bytes, secret: secret)
    }
}
