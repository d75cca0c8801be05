import Foundation
import VaultCrypto

/// Credentials of an S3-compatible remote: from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
/// `AWS_SESSION_TOKEN`, or a credentials file; never from argv, never stored in the vault. The secret key is
/// kept in secret memory and appears in no description.
public struct RemoteCredentials: Sendable, CustomStringConvertible {
    public let accessKeyID: String
    /// The secret access key's UTF-8 bytes.
    public let secretAccessKey: SecretBox
    public let sessionToken: String?

    /// Memberwise.
    public init(accessKeyID: String, secretAccessKey: SecretBox, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID; self.secretAccessKey = secretAccessKey; self.sessionToken = sessionToken
    }

    /// The access key id only.
    public var description: String { "credentials \(accessKeyID)" }
}

/// AWS Signature Version 4 for S3 (the AWS documentation "Signature Version 4 signing process" and
/// "Authenticating requests: using the Authorization header"), written for Amanah's S3 client and checked
/// against vectors that botocore's signer made (`scripts/sigv4-vectors.py`).
///
/// The canonical request is
/// ```
/// METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n HexPayloadSHA256
/// ```
/// where the URI is the path with every byte outside RFC 3986's unreserved set percent-encoded once ("/"
/// kept; S3 does not encode twice), the query is its pairs encoded the same way ("/" too), sorted by key
/// then value and joined with "&" ("key=" for an empty value), the headers are lower-case names with
/// trimmed values (runs of spaces made one), sorted, one `name:value\n` each, and the signed headers their
/// names joined with ";". The string to sign is `AWS4-HMAC-SHA256 \n <time> \n <date>/<region>/<service>/aws4_request
/// \n hex(SHA-256(canonical request))`; the key is HMAC-SHA-256 chained over "AWS4" ‖ secret, date, region,
/// service and "aws4_request" (kept in secret memory), and the signature is its HMAC of the string to sign.
public enum SigV4 {
    /// A request to sign. `path` is the object path as it is (not encoded), starting with "/".
    public struct Request: Sendable {
        public var method: String
        public var host: String
        public var path: String
        public var query: [(String, String)]
        /// Headers besides `host` and the `x-amz-*` headers the signer adds; all are signed.
        public var headers: [(String, String)]
        /// Lower-case hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`.
        public var payloadSHA256: String

        /// Memberwise.
        public init(method: String, host: String, path: String, query: [(String, String)] = [], headers: [(String, String)] = [],
                    payloadSHA256: String) {
            self.method = method; self.host = host; self.path = path; self.query = query; self.headers = headers
            self.payloadSHA256 = payloadSHA256
        }
    }

    /// What signing produced: the headers to send (the request's own, `host`, `x-amz-date`,
    /// `x-amz-content-sha256`, `x-amz-security-token` with a session token, and `authorization`), and the
    /// intermediate texts (for tests and for explaining a refused signature; they hold no secret).
    public struct Signed: Sendable {
        public var headers: [(String, String)]
        public var canonicalRequest: String
        public var stringToSign: String
        public var authorization: String
        /// The encoded path and query, as they go on the request line.
        public var target: String
    }

    /// Signs `request` with `credentials` for `region` and `service` at `time` (seconds since the epoch, UTC).
    public static func sign(_ request: Request, credentials: RemoteCredentials, region: String, service: String = "s3", time: Int64) -> Signed {
        let (amzDate, date) = timestamps(time)
        var headers = request.headers
        headers.append(("host", request.host))
        headers.append(("x-amz-date", amzDate))
        headers.append(("x-amz-content-sha256", request.payloadSHA256))
        if let token = credentials.sessionToken { headers.append(("x-amz-security-token", token)) }

        var grouped: [String: [String]] = [:]
        for (name, value) in headers { grouped[name.lowercased(), default: []].append(trimmed(value)) }
        let names = grouped.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(grouped[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let path = encode(request.path, keepSlash: true)
        let query = canonicalQuery(request.query)
        let canonicalRequest = [request.method, path, query, canonicalHeaders, signedHeaders, request.payloadSHA256].joined(separator: "\n")

        let scope = "\(date)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, Hex.encode(SHA256Digest.hash(Array(canonicalRequest.utf8)))].joined(separator: "\n")
        let signature = signingKey(credentials.secretAccessKey, date: date, region: region, service: service).withUnsafeBytes {
            HMACSHA256.authenticate(Array(stringToSign.utf8), key: $0)
        }
        let authorization = "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(Hex.encode(signature))"
        return Signed(headers: headers + [("authorization", authorization)], canonicalRequest: canonicalRequest, stringToSign: stringToSign,
                      authorization: authorization, target: path + (query.isEmpty ? "" : "?" + query))
    }

    /// The key that signs on `date` (yyyyMMdd) in `region` for `service`, in secret memory.
    static func signingKey(_ secret: SecretBox, date: String, region: String, service: String) -> SecretBytes {
        var key = SecretBytes(count: 4 + secret.bytes.count)
        key.withUnsafeMutableBytes { out in
            out.copyBytes(from: Array("AWS4".utf8))
            secret.bytes.withUnsafeBytes { (out.baseAddress! + 4).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
        for part in [date, region, service, "aws4_request"] {
            var next = SecretBytes(count: HMACSHA256.byteCount)
            key.withUnsafeBytes { current in
                Array(part.utf8).withUnsafeBytes { message in
                    next.withUnsafeMutableBytes { HMACSHA256.authenticate(parts: [message], key: current, into: $0) }
                }
            }
            key = next
        }
        return key
    }

    /// The canonical query string: pairs encoded, sorted by key then value, `key=value` joined with "&".
    public static func canonicalQuery(_ query: [(String, String)]) -> String {
        let encoded: [(key: String, value: String)] = query.map { pair in
            (key: encode(pair.0, keepSlash: false), value: encode(pair.1, keepSlash: false))
        }
        let sorted = encoded.sorted { a, b in a.key == b.key ? a.value < b.value : a.key < b.key }
        return sorted.map { pair in pair.key + "=" + pair.value }.joined(separator: "&")
    }

    /// RFC 3986 percent-encoding of `text`'s UTF-8: unreserved characters (letters, digits, "-", ".", "_",
    /// "~") as they are, "/" too when `keepSlash`, every other byte as "%XX" with upper-case hex.
    public static func encode(_ text: String, keepSlash: Bool) -> String {
        var out = ""
        for byte in text.utf8 {
            let unreserved = (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
                || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E   // - . _ ~
            if unreserved || (keepSlash && byte == 0x2F) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    /// A header value trimmed, with runs of spaces made one.
    static func trimmed(_ value: String) -> String {
        value.trimmingCharacters(in: .whitespaces).split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    /// `x-amz-date` (yyyyMMdd'T'HHmmss'Z') and the scope's date (yyyyMMdd) of `time`, UTC.
    static func timestamps(_ time: Int64) -> (String, String) {
        var seconds = time_t(time)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let date = String(format: "%04d%02d%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday))
        return (date + String(format: "T%02d%02d%02dZ", Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec)), date)
    }
}

extension String {
    /// The string with "0" in front up to `width` characters.
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
