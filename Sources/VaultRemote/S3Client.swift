import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import VaultCrypto

/// Where a remote is: an S3-compatible endpoint (path-style: `http(s)://HOST[:PORT]/BUCKET/KEY`), a bucket, a
/// prefix inside it (empty, or ending in "/") and a region.
public struct S3Location: Sendable, Equatable {
    public var scheme: String
    public var host: String
    public var port: Int?
    public var bucket: String
    public var prefix: String
    public var region: String

    /// Parses `s3://BUCKET[/PREFIX]` against `endpoint` (`http://127.0.0.1:8333`).
    /// - Throws: `RemoteError.invalidURL` naming what is wrong.
    public init(url: String, endpoint: String, region: String) throws {
        guard url.hasPrefix("s3://") else { throw RemoteError.invalidURL(url, "an S3 remote is s3://BUCKET[/PREFIX]") }
        let rest = url.dropFirst("s3://".count)
        let bucket = String(rest.prefix { $0 != "/" })
        guard (3...63).contains(bucket.count), bucket.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == ".") }) else {
            throw RemoteError.invalidURL(url, "the bucket name must be 3 to 63 lower-case letters, digits, dots or hyphens")
        }
        var prefix = String(rest.dropFirst(bucket.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        if !prefix.isEmpty { prefix += "/" }
        guard let parsed = URLComponents(string: endpoint), let scheme = parsed.scheme, ["http", "https"].contains(scheme),
              let host = parsed.host, !host.isEmpty, (parsed.path.isEmpty || parsed.path == "/"), parsed.query == nil else {
            throw RemoteError.invalidURL(endpoint, "the endpoint is http(s)://HOST[:PORT], without a path")
        }
        guard !region.isEmpty else { throw RemoteError.invalidURL(url, "no region: give --region or set AWS_DEFAULT_REGION") }
        self.scheme = scheme; self.host = host; self.port = parsed.port; self.bucket = bucket; self.prefix = prefix; self.region = region
    }

    /// The Host header: host, and the port when it is not the scheme's default.
    public var hostHeader: String {
        guard let port, !(scheme == "http" && port == 80), !(scheme == "https" && port == 443) else { return host }
        return "\(host):\(port)"
    }
}

/// Why a remote request failed, in words a user can act on. No credential is ever part of it.
public enum RemoteError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidURL(String, String)
    /// The access key is unknown or the secret does not sign (SignatureDoesNotMatch, InvalidAccessKeyId).
    case credentials(String)
    /// No credentials were given: (what is missing).
    case noCredentials(String)
    /// The bucket does not exist (Amanah never creates buckets).
    case noSuchBucket(String)
    /// This machine's clock differs from the server's by more than SigV4 allows: (seconds, + means ahead).
    case clockSkew(Int64)
    case accessDenied(String)
    /// The endpoint did not answer as S3 does.
    case notS3(String)
    /// Another HTTP status: (operation, status, S3 error code, message).
    case failed(String, Int, String, String)
    /// The network failed after every retry.
    case network(String)
    /// A folder remote could not be used: (what happened, naming the path).
    case folder(String)
    /// An object is larger than the caller allows: (operation, limit in bytes).
    case tooLarge(String, Int)
    /// The bucket refuses an Object Lock retention: it was made without Object Lock (bucket).
    case noObjectLock(String)

    public var description: String {
        switch self {
        case let .invalidURL(url, why): return "\(url): \(why)"
        case let .credentials(code): return "the remote refused the credentials (\(code)): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or the credentials file"
        case let .noCredentials(what): return what
        case let .noSuchBucket(bucket): return "the bucket \(bucket) does not exist (Amanah never creates buckets; create it with your storage's tools)"
        case let .clockSkew(seconds): return "this machine's clock is \(abs(seconds)) s \(seconds > 0 ? "ahead of" : "behind") the remote's, more than SigV4 allows (15 minutes): set the clock right"
        case let .accessDenied(what): return "the remote denied access to \(what) (the credentials lack that permission)"
        case let .notS3(why): return "the endpoint does not answer as S3 does: \(why)"
        case let .failed(operation, status, code, message): return "\(operation): HTTP \(status) \(code)\(message.isEmpty ? "" : ": " + message)"
        case let .network(why): return "the remote could not be reached: \(why)"
        case let .folder(what): return what
        case let .tooLarge(operation, limit): return "\(operation): the object is larger than \(limit) bytes"
        case let .noObjectLock(bucket): return "the bucket \(bucket) does not honour Object Lock (it refuses a retention): create the bucket with Object Lock enabled, or remove --object-lock-days from the remote; nothing was written"
        }
    }
}

/// A small S3 client for exactly what a remote needs (AWS S3 API reference): PUT with a conditional create
/// (`If-None-Match: *`) and an Object Lock retention, GET, HEAD, LIST (v2) and the bucket check. Every request
/// is signed (`SigV4`) and retried with backoff on 5xx answers, timeouts and dropped connections.
public final class S3Client: @unchecked Sendable {
    public let location: S3Location
    private let credentials: RemoteCredentials
    private let http: HTTPClient
    private let now: @Sendable () -> Int64
    /// Attempts per request (the first and the retries).
    public var attempts = 5

    /// - Parameter now: seconds since the epoch (the signing time).
    public init(location: S3Location, credentials: RemoteCredentials, now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) {
        self.location = location
        self.credentials = credentials
        self.now = now
        var configuration = HTTPClient.Configuration()
        // A refused connection is retried inside the connect timeout; the request is then retried as a whole.
        configuration.timeout = .init(connect: .seconds(4), read: .seconds(60))
        configuration.redirectConfiguration = .disallow
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Closes the connections. Call once, when done.
    public func shutdown() async throws { try await http.shutdown() }

    /// The outcome of a conditional create.
    public enum PutOutcome: Sendable, Equatable { case created, exists }

    /// Stores `body` under `key` (below the prefix). With `ifNoneMatch`, only when no object has that key
    /// (`exists` otherwise, HTTP 412); with `retainUntil` (seconds since the epoch), under an Object Lock
    /// retention in compliance mode.
    /// - Throws: `RemoteError`.
    public func put(_ key: String, body: [UInt8], ifNoneMatch: Bool = false, retainUntil: Int64? = nil) async throws -> PutOutcome {
        var headers: [(String, String)] = [("content-type", "application/octet-stream"), ("content-length", String(body.count))]
        if ifNoneMatch { headers.append(("if-none-match", "*")) }
        if let retainUntil {
            headers.append(("x-amz-object-lock-mode", "COMPLIANCE"))
            headers.append(("x-amz-object-lock-retain-until-date", Self.iso8601(retainUntil)))
            headers.append(("content-md5", Data(Insecure.MD5.hash(data: body)).base64EncodedString()))
        }
        let response = try await send("PUT", path: objectPath(key), headers: headers, body: body, operation: "put \(key)")
        switch response.status {
        case 200: return .created
        case 412: return .exists
        case 400 where retainUntil != nil && ["InvalidRequest", "InvalidBucketState", "ObjectLockConfigurationNotFoundError"].contains(ErrorResult(response.body).code):
            throw RemoteError.noObjectLock(location.bucket)
        default: throw error(response, operation: "put \(key)")
        }
    }

    /// The object under `key`, nil when there is none.
    /// - Throws: `RemoteError`.
    public func get(_ key: String, limit: Int = 1 << 30) async throws -> [UInt8]? {
        let response = try await send("GET", path: objectPath(key), operation: "get \(key)", limit: limit)
        switch response.status {
        case 200: return response.body
        case 404: return nil
        default: throw error(response, operation: "get \(key)")
        }
    }

    /// The size of the object under `key`, nil when there is none.
    /// - Throws: `RemoteError`.
    public func head(_ key: String) async throws -> Int64? {
        let response = try await send("HEAD", path: objectPath(key), operation: "head \(key)")
        switch response.status {
        case 200: return response.headers.first(where: { $0.0.lowercased() == "content-length" }).flatMap { Int64($0.1) }
        case 404: return nil
        default: throw error(response, operation: "head \(key)")
        }
    }

    /// Every key (below the prefix, without it) that starts with `prefix`, in the remote's order (UTF-8 binary),
    /// after `startAfter` when given (a key below the prefix, without it).
    /// - Throws: `RemoteError`.
    public func list(_ prefix: String, startAfter: String? = nil) async throws -> [String] {
        try await listObjects(prefix, startAfter: startAfter).map(\.key)
    }

    /// As `list`, with each object's entity tag (quotes removed): what changes when the object is rewritten.
    /// - Throws: `RemoteError`.
    public func listObjects(_ prefix: String, startAfter: String? = nil) async throws -> [(key: String, tag: String)] {
        var objects: [(key: String, tag: String)] = []
        var token: String?
        repeat {
            var query = [("list-type", "2"), ("prefix", location.prefix + prefix), ("max-keys", "1000")]
            if let token { query.append(("continuation-token", token)) }
            if let startAfter { query.append(("start-after", location.prefix + startAfter)) }
            let response = try await send("GET", path: "/" + location.bucket, query: query, operation: "list \(prefix)")
            guard response.status == 200 else { throw error(response, operation: "list \(prefix)") }
            let parsed = ListResult(response.body)
            guard parsed.valid else { throw RemoteError.notS3("a LIST answer that is not a ListBucketResult") }
            for (key, tag) in zip(parsed.keys, parsed.tags) { objects.append((String(key.dropFirst(location.prefix.count)), tag)) }
            token = parsed.truncated ? parsed.nextToken : nil
        } while token != nil
        return objects
    }

    /// The Object Lock retention the remote keeps for `key`: (mode, retain-until date as the remote wrote it),
    /// nil when it keeps none (or does not know Object Lock).
    /// - Throws: `RemoteError` (not for a remote that answers that there is no retention).
    public func retention(_ key: String) async throws -> (mode: String, until: String)? {
        let response = try await send("GET", path: objectPath(key), query: [("retention", "")], operation: "get the retention of \(key)")
        guard response.status == 200 else { return nil }
        let reader = S3XMLReader(response.body)
        guard reader.root == "Retention", let mode = reader.first("Retention/Mode"), let until = reader.first("Retention/RetainUntilDate") else { return nil }
        return (mode, until)
    }

    /// Checks that the bucket exists and the credentials sign, with a clear error otherwise.
    /// - Throws: `RemoteError`.
    public func checkBucket() async throws {
        let response = try await send("GET", path: "/" + location.bucket, query: [("list-type", "2"), ("max-keys", "1"), ("prefix", location.prefix)],
                                      operation: "check the bucket")
        guard response.status == 200 else { throw error(response, operation: "check the bucket") }
        guard ListResult(response.body).valid else { throw RemoteError.notS3("the bucket listing is not a ListBucketResult") }
    }

    // MARK: requests

    struct Response {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]
    }

    private func objectPath(_ key: String) -> String { "/" + location.bucket + "/" + location.prefix + key }

    /// Sends one signed request, retrying on 5xx, timeouts and dropped connections with exponential backoff.
    private func send(_ method: String, path: String, query: [(String, String)] = [], headers: [(String, String)] = [],
                      body: [UInt8] = [], operation: String, limit: Int = 16 << 20) async throws -> Response {
        var lastProblem = ""
        for attempt in 0..<max(1, attempts) {
            if attempt > 0 { try await Task.sleep(nanoseconds: UInt64(200_000_000) << UInt64(min(attempt - 1, 5))) }
            let signed = SigV4.sign(SigV4.Request(method: method, host: location.hostHeader, path: path, query: query, headers: headers,
                                                  payloadSHA256: Hex.encode(SHA256Digest.hash(body))),
                                    credentials: credentials, region: location.region, time: now())
            var request = HTTPClientRequest(url: "\(location.scheme)://\(location.hostHeader)\(signed.target)")
            request.method = HTTPMethod(rawValue: method)
            for (name, value) in signed.headers where name != "content-length" { request.headers.add(name: name, value: value) }
            if !body.isEmpty || method == "PUT" { request.body = .bytes(ByteBuffer(bytes: body)) }
            do {
                let response = try await http.execute(request, timeout: .seconds(120))
                let bytes = method == "HEAD" ? [] : Array(buffer: try await response.body.collect(upTo: limit))
                let result = Response(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: bytes)
                if result.status >= 500 { lastProblem = "HTTP \(result.status)"; continue }
                return result
            } catch is NIOTooManyBytesError {
                throw RemoteError.tooLarge(operation, limit)
            } catch let error as HTTPClientError {
                lastProblem = "\(error)"
            } catch let error as NIOCore.ChannelError {
                lastProblem = "\(error)"
            } catch {
                lastProblem = "\(error)"
            }
        }
        throw RemoteError.network("\(operation): \(lastProblem) (after \(attempts) attempts)")
    }

    /// The error an S3 error answer stands for.
    private func error(_ response: Response, operation: String) -> RemoteError {
        let parsed = ErrorResult(response.body)
        switch parsed.code {
        case "SignatureDoesNotMatch", "InvalidAccessKeyId": return .credentials(parsed.code)
        case "NoSuchBucket": return .noSuchBucket(location.bucket)
        case "RequestTimeTooSkewed":
            let server = response.headers.first { $0.0.lowercased() == "date" }.flatMap { Self.httpDate($0.1) }
            return .clockSkew(server.map { now() - $0 } ?? 0)
        case "AccessDenied": return .accessDenied(operation)
        case "": return .failed(operation, response.status, "", response.status == 404 ? "not found" : "")
        default: return .failed(operation, response.status, parsed.code, parsed.message)
        }
    }

    static func iso8601(_ seconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    static func httpDate(_ text: String) -> Int64? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text).map { Int64($0.timeIntervalSince1970) }
    }
}
