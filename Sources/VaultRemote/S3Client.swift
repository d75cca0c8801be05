import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import VaultCrypto
import VaultPlatform

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
    /// How long one request may take before it is given up and sent again.
    let requestTimeout: TimeAmount

    /// - Parameter now: seconds since the epoch (the signing time).
    public init(location: S3Location, credentials: RemoteCredentials, now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) {
        self.location = location
        self.credentials = credentials
        self.now = now
        // A test that injects slow answers (DEBUG builds only) shortens the wait for one.
        requestTimeout = FaultInjection.testHook("AMANAH_TEST_REMOTE_TIMEOUT_SECONDS").flatMap(Int64.init).map { TimeAmount.seconds($0) } ?? .seconds(120)
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
        var seen = Set<String>()
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
            // A server that keeps answering "more" with a token it gave before, or pages without keys, would
            // keep a client listing for ever.
            if let token, !seen.insert(token).inserted || parsed.keys.isEmpty {
                throw RemoteError.notS3("the listing of \(prefix) does not end (a continuation token came back, or a page held no key)")
            }
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

    // MARK: large objects

    /// Objects above this many bytes go up in parts (multipart upload).
    public static let multipartThreshold = 64 << 20
    /// The size of each part but the last.
    public var partSize = 16 << 20

    /// Stores the file `path` (`size` bytes) under `key` when no object has that key, reading it one part at a
    /// time: at most `multipartThreshold` bytes (one PUT with a conditional create), else in parts of
    /// `partSize`. An upload of the same key left unfinished (a sync cut short, a server restarted) is resumed:
    /// the parts the remote holds with the same MD5 are not sent again. With `retainUntil`, under an Object
    /// Lock retention in compliance mode.
    /// - Throws: `RemoteError`; file errors.
    /// - Parameter resumed: told how many parts an unfinished upload already held (when it resumes one).
    public func putFile(_ key: String, path: String, size: Int64, retainUntil: Int64? = nil,
                        resumed: @Sendable (Int) -> Void = { _ in }) async throws -> PutOutcome {
        let file = try FileHandleFD.openForReading(path)
        defer { try? file.close() }
        if size <= Int64(Self.multipartThreshold) {
            // One conditional create: an object already there answers 412.
            return try await put(key, body: try Self.read(file, count: Int(size)), ifNoneMatch: true, retainUntil: retainUntil)
        }
        if try await head(key) != nil { return .exists }
        var lockHeaders: [(String, String)] = []
        if let retainUntil {
            lockHeaders = [("x-amz-object-lock-mode", "COMPLIANCE"), ("x-amz-object-lock-retain-until-date", Self.iso8601(retainUntil))]
        }
        // An unfinished upload of this key, or a new one.
        var uploadID: String?
        let listed = try await send("GET", path: "/" + location.bucket, query: [("prefix", location.prefix + key), ("uploads", "")],
                                    operation: "list unfinished uploads of \(key)")
        if listed.status == 200 {
            let reader = S3XMLReader(listed.body)
            var currentKey: String?
            for (path, value) in reader.values {
                if path == "ListMultipartUploadsResult/Upload/Key" { currentKey = value }
                if path == "ListMultipartUploadsResult/Upload/UploadId", currentKey == location.prefix + key { uploadID = value }
            }
        }
        var held: [Int: (etag: String, size: Int64)] = [:]
        if let id = uploadID {
            let parts = try await send("GET", path: objectPath(key), query: [("uploadId", id)], operation: "list the parts of \(key)")
            if parts.status == 200 {
                let reader = S3XMLReader(parts.body)
                var number = 0, etag = ""
                for (path, value) in reader.values {
                    if path == "ListPartsResult/Part/PartNumber" { number = Int(value) ?? 0 }
                    if path == "ListPartsResult/Part/ETag" { etag = value.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
                    if path == "ListPartsResult/Part/Size", number > 0 { held[number] = (etag, Int64(value) ?? -1) }
                }
            } else {
                uploadID = nil
            }
        }
        if uploadID == nil {
            let started = try await send("POST", path: objectPath(key), query: [("uploads", "")], headers: [("content-type", "application/octet-stream")] + lockHeaders,
                                         operation: "start the upload of \(key)")
            guard started.status == 200, let id = S3XMLReader(started.body).first("InitiateMultipartUploadResult/UploadId") else {
                if started.status == 400 && retainUntil != nil { throw RemoteError.noObjectLock(location.bucket) }
                throw error(started, operation: "start the upload of \(key)")
            }
            uploadID = id
        }
        let id = uploadID!
        var etags: [String] = []
        var reused = 0
        var offset: Int64 = 0
        var number = 1
        while offset < size {
            let count = Int(min(Int64(partSize), size - offset))
            let part = try Self.read(file, count: count)
            let md5 = Insecure.MD5.hash(data: part)
            let hex = md5.map { String(format: "%02x", $0) }.joined()
            if let have = held[number], have.size == Int64(count), have.etag == hex {
                etags.append(hex)
                reused += 1
            } else {
                var headers: [(String, String)] = [("content-length", String(count))]
                if retainUntil != nil { headers.append(("content-md5", Data(md5).base64EncodedString())) }
                let sent = try await send("PUT", path: objectPath(key), query: [("partNumber", String(number)), ("uploadId", id)], headers: headers,
                                          body: part, operation: "upload part \(number) of \(key)")
                guard sent.status == 200 else { throw error(sent, operation: "upload part \(number) of \(key)") }
                let etag = sent.headers.first { $0.0.lowercased() == "etag" }?.1.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) ?? hex
                etags.append(etag)
            }
            offset += Int64(count)
            number += 1
        }
        if reused > 0 { resumed(reused) }
        var xml = "<CompleteMultipartUpload>"
        for (index, etag) in etags.enumerated() { xml += "<Part><PartNumber>\(index + 1)</PartNumber><ETag>\"\(etag)\"</ETag></Part>" }
        xml += "</CompleteMultipartUpload>"
        let done = try await send("POST", path: objectPath(key), query: [("uploadId", id)],
                                  headers: [("content-type", "application/xml"), ("if-none-match", "*")], body: Array(xml.utf8),
                                  operation: "complete the upload of \(key)")
        switch done.status {
        case 200 where ErrorResult(done.body).code.isEmpty: return .created
        case 412: return .exists
        default:
            // A completion whose answer was lost and that was sent again finds no upload: the object is there.
            if ErrorResult(done.body).code == "NoSuchUpload", try await head(key) == size { return .created }
            throw error(done, operation: "complete the upload of \(key)")
        }
    }

    /// Streams the object under `key` into `sink` (at most `limit` bytes), nil when there is none; on a
    /// dropped connection the request is sent again after `restart` (which empties the sink).
    /// - Throws: `RemoteError` (`tooLarge` above `limit`); what `sink` and `restart` throw.
    public func download(_ key: String, limit: Int64, restart: @escaping @Sendable () throws -> Void,
                         sink: @escaping @Sendable ([UInt8]) throws -> Void) async throws -> Int64? {
        var lastProblem = ""
        for attempt in 0..<max(1, attempts) {
            if attempt > 0 { try await Task.sleep(nanoseconds: UInt64(200_000_000) << UInt64(min(attempt - 1, 5))); try restart() }
            let signed = SigV4.sign(SigV4.Request(method: "GET", host: location.hostHeader, path: objectPath(key), query: [], headers: [],
                                                  payloadSHA256: Hex.encode(SHA256Digest.hash([]))),
                                    credentials: credentials, region: location.region, time: now())
            var request = HTTPClientRequest(url: "\(location.scheme)://\(location.hostHeader)\(signed.target)")
            request.method = .GET
            for (name, value) in signed.headers where name != "content-length" { request.headers.add(name: name, value: value) }
            do {
                let response = try await http.execute(request, timeout: requestTimeout)
                let status = Int(response.status.code)
                if status == 404 { _ = try? await response.body.collect(upTo: 1 << 20); return nil }
                if status >= 500 { _ = try? await response.body.collect(upTo: 1 << 20); lastProblem = "HTTP \(status)"; continue }
                guard status == 200 else {
                    let body = Array(buffer: try await response.body.collect(upTo: 1 << 20))
                    throw error(Response(status: status, headers: response.headers.map { ($0.name, $0.value) }, body: body), operation: "get \(key)")
                }
                var total: Int64 = 0
                for try await buffer in response.body {
                    total += Int64(buffer.readableBytes)
                    guard total <= limit else { throw RemoteError.tooLarge("get \(key)", Int(clamping: limit)) }
                    try sink(Array(buffer: buffer))
                }
                return total
            } catch let failure as RemoteError {
                throw failure
            } catch let failure as HTTPClientError {
                lastProblem = "\(failure)"
            } catch let failure as NIOCore.ChannelError {
                lastProblem = "\(failure)"
            } catch let failure as SystemCallError {
                throw failure
            } catch {
                lastProblem = "\(error)"
            }
        }
        throw RemoteError.network("get \(key): \(lastProblem) (after \(attempts) attempts)")
    }

    static func read(_ file: FileHandleFD, count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = try bytes.withUnsafeMutableBytes { try file.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }
            guard n > 0 else { throw RemoteError.folder("\(file.path) ended after \(filled) of \(count) bytes") }
            filled += n
        }
        return bytes
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
                let response = try await http.execute(request, timeout: requestTimeout)
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
