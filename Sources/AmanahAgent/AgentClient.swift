import VaultCrypto
#if canImport(Glibc)
import Glibc
#endif

/// Why the agent could not be used.
public struct AgentError: Error, CustomStringConvertible {
    /// What went wrong, naming the agent's socket.
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Talks to a running agent over its socket, one request per connection. Before sending anything it checks
/// that the process listening is its own user's (SO_PEERCRED), so requests never go to an impostor.
public struct AgentClient: Sendable {
    /// The environment variable naming the agent's socket.
    public static let environmentVariable = "AMANAH_AGENT_SOCKET"
    /// Seconds to wait for an answer (the agent serves connections in turn).
    static let timeoutSeconds = 60

    /// The socket path.
    public let path: String

    public init(path: String) { self.path = path }

    /// The agent named by `AMANAH_AGENT_SOCKET`, if set.
    public static func fromEnvironment() -> AgentClient? {
        guard let value = AgentEnvironment.value(environmentVariable), !value.isEmpty else { return nil }
        return AgentClient(path: value)
    }

    /// What `list` reports.
    public struct Listing: Sendable {
        /// Milliseconds until the agent forgets its identities and exits.
        public let millisecondsLeft: UInt64
        /// Connections it refused because they came from another user.
        public let refusedConnections: UInt32
        /// The identities it holds.
        public let identities: [MemberPublicKey]
    }

    /// Lists the identities the agent holds and its time left.
    /// - Throws: `AgentError`.
    public func list() throws -> Listing {
        try exchange(AgentProtocol.Writer(code: AgentProtocol.Request.list.rawValue)) { reader in
            let left = try reader.array("time left", limit: 8)
            let refused = try reader.array("refused", limit: 4)
            guard left.count == 8, refused.count == 4 else { throw AgentProtocol.WireError("malformed list") }
            var keys: [MemberPublicKey] = []
            while !reader.atEnd {
                let line = try reader.array("public key", limit: 1024)
                guard let key = try? MemberPublicKey(line: String(decoding: line, as: UTF8.self)) else {
                    throw AgentProtocol.WireError("a listed public key does not parse")
                }
                keys.append(key)
            }
            return Listing(millisecondsLeft: left.reduce(0) { $0 << 8 | UInt64($1) },
                           refusedConnections: refused.reduce(0) { $0 << 8 | UInt32($1) }, identities: keys)
        }
    }

    /// Hands an unlocked identity to the agent (it keeps it until its own lifetime ends).
    /// - Throws: `AgentError`.
    public func add(_ identity: borrowing Identity) throws {
        let head = AgentClient.addRequestHead(publicKey: identity.publicKey)
        let secrets = identity.transferableSecretKeys()
        try exchange(head: head, secret: secrets) { reader in try reader.finish() }
    }

    /// The body of an `add` request up to its last field, the secret keys, whose length it already carries.
    static func addRequestHead(publicKey: MemberPublicKey) -> [UInt8] {
        var writer = AgentProtocol.Writer(code: AgentProtocol.Request.add.rawValue)
        writer.field(Array(publicKey.line.utf8))
        writer.secretFieldHeader(count: Identity.transferableSecretKeyByteCount)
        return writer.bytes
    }

    /// Asks the agent to forget every identity and exit.
    /// - Throws: `AgentError`.
    public func lock() throws {
        try exchange(AgentProtocol.Writer(code: AgentProtocol.Request.lock.rawValue)) { reader in try reader.finish() }
    }

    /// A request for `keyID` with `fields` after it.
    private static func writer(_ request: AgentProtocol.Request, keyID: [UInt8], fields: [[UInt8]]) -> AgentProtocol.Writer {
        var writer = AgentProtocol.Writer(code: request.rawValue)
        writer.field(keyID)
        for field in fields { writer.field(field) }
        return writer
    }

    /// Sends a request for `keyID` and returns its single answer field.
    func keyOperation(_ request: AgentProtocol.Request, keyID: [UInt8], fields: [[UInt8]]) throws -> [UInt8] {
        try exchange(Self.writer(request, keyID: keyID, fields: fields)) { reader in
            let value = try reader.array("answer", limit: AgentProtocol.maximumFrame)
            try reader.finish()
            return value
        }
    }

    /// Sends a request for `keyID` whose answer is a secret, read straight into secure memory.
    func secretOperation(_ request: AgentProtocol.Request, keyID: [UInt8], fields: [[UInt8]]) throws -> SecretBytes {
        try exchange(Self.writer(request, keyID: keyID, fields: fields)) { reader in
            let value = try reader.field("answer", limit: AgentProtocol.maximumSealed)
            try reader.finish()
            return SecretBytes(copying: value)
        }
    }

    // MARK: One exchange

    private func exchange<R: ~Copyable>(_ writer: AgentProtocol.Writer,
                                        _ parse: (inout AgentProtocol.Reader) throws -> R) throws -> R {
        let fd = try connect()
        defer { close(fd) }
        do { try AgentProtocol.writeFrame(fd, writer.bytes) } catch { throw AgentError("agent at \(path): \(error)") }
        return try receive(fd, parse)
    }

    private func exchange<R: ~Copyable>(head: [UInt8], secret: borrowing SecretBytes,
                                        _ parse: (inout AgentProtocol.Reader) throws -> R) throws -> R {
        let fd = try connect()
        defer { close(fd) }
        do { try AgentProtocol.writeFrame(fd, head, secret: secret) } catch { throw AgentError("agent at \(path): \(error)") }
        return try receive(fd, parse)
    }

    private func connect() throws -> Int32 {
        let fd: Int32
        do { fd = try AgentSocket.connect(path: path, timeoutSeconds: AgentClient.timeoutSeconds) } catch {
            throw AgentError("no agent answers at \(path) (\(error)); it may have been locked or reached the end of its lifetime")
        }
        guard let owner = AgentSocket.peerUID(fd), owner == geteuid() else {
            close(fd)
            throw AgentError("the process listening at \(path) does not belong to you; not using it")
        }
        return fd
    }

    private func receive<R: ~Copyable>(_ fd: Int32, _ parse: (inout AgentProtocol.Reader) throws -> R) throws -> R {
        let frame: SecretBytes?
        do { frame = try AgentProtocol.readFrame(fd) } catch { throw AgentError("agent at \(path): \(error)") }
        guard let frame else { throw AgentError("the agent at \(path) closed the connection without answering (refused)") }
        return try frame.withUnsafeBytes { body throws -> R in
            do {
                var reader = try AgentProtocol.Reader(body)
                let code = try reader.code()
                guard let answer = AgentProtocol.Answer(rawValue: code) else { throw AgentProtocol.WireError("unknown answer \(code)") }
                switch answer {
                case .ok:
                    return try parse(&reader)
                case .doesNotOpen:
                    throw CryptoError.authenticationFailed
                case .failed, .unknownIdentity:
                    let message = (try? reader.array("message", limit: 4096)).map { String(decoding: $0, as: UTF8.self) } ?? "failed"
                    throw AgentError("agent at \(path): \(message)")
                }
            } catch let error as AgentProtocol.WireError {
                throw AgentError("agent at \(path): malformed answer: \(error)")
            }
        }
    }
}

/// An identity held by the agent: every use is a request to it; the secret keys never enter this process.
public final class AgentIdentity: IdentityHolder, @unchecked Sendable {
    /// The agent.
    public let client: AgentClient
    public let publicKey: MemberPublicKey

    public init(client: AgentClient, publicKey: MemberPublicKey) {
        self.client = client
        self.publicKey = publicKey
    }

    public func sign(_ message: [UInt8], context: SigningContext) throws -> [UInt8] {
        let signature = try client.keyOperation(.sign, keyID: publicKey.keyID, fields: [Array(context.value.utf8), message])
        return try checked(signature) { publicKey.verify($0, message: message, context: context) }
    }

    public func signRaw(_ message: [UInt8]) throws -> [UInt8] {
        let signature = try client.keyOperation(.signRaw, keyID: publicKey.keyID, fields: [message])
        return try checked(signature) { Ed25519.verifyRaw($0, message: message, publicKey: publicKey.signingKey) }
    }

    public func openSealedBox(_ sealed: [UInt8]) throws -> SecretBytes {
        try client.secretOperation(.openSealedBox, keyID: publicKey.keyID, fields: [sealed])
    }

    public func oneTimePublicKey(context: [UInt8]) throws -> [UInt8] {
        let key = try client.keyOperation(.oneTimePublicKey, keyID: publicKey.keyID, fields: [context])
        guard key.count == X25519.keyByteCount else { throw AgentError("agent at \(client.path): a one-time key of \(key.count) bytes") }
        return key
    }

    public func oneTimeOpen(context: [UInt8], sealed: [UInt8]) throws -> SecretBytes {
        try client.secretOperation(.oneTimeOpen, keyID: publicKey.keyID, fields: [context, sealed])
    }

    /// A signature the agent returned, checked before use, so that a faulty agent cannot put a bad signature
    /// into the vault.
    private func checked(_ signature: [UInt8], _ verify: ([UInt8]) -> Bool) throws -> [UInt8] {
        guard signature.count == Ed25519.signatureByteCount, verify(signature) else {
            throw AgentError("agent at \(client.path): returned a signature that does not verify")
        }
        return signature
    }
}
