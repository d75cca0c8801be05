import Foundation
import Testing
import VaultCrypto
@testable import VaultRemote

/// AWS Signature Version 4 (issue 17) against vectors botocore's S3 signer made at a fixed time
/// (`Vectors/sigv4.json`, written by `scripts/sigv4-vectors.py` with botocore 1.35.99): conditional creates
/// with Object Lock headers, LIST v2 with a token that needs encoding, multipart, a key with a space and
/// non-ASCII letters, a session token.
@Suite struct SigV4Tests {
    struct Vectors: Decodable {
        struct Case: Decodable {
            var name: String, method: String, path: String, query: [[String]], headers: [String: String], body: String
            var sessionToken: String?, canonicalRequest: String, stringToSign: String, authorization: String, payloadSHA256: String
        }
        var accessKey: String, secretKey: String, region: String, service: String, endpoint: String, cases: [Case]
    }

    static let vectors: Vectors = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/sigv4.json")
        return try! JSONDecoder().decode(Vectors.self, from: Data(contentsOf: url))
    }()

    /// 2026-12-07T10:30:15Z, the vectors' time.
    static let time: Int64 = 1_796_639_415

    static func secret(_ text: String) -> SecretBox {
        var bytes = Array(text.utf8)
        return SecretBox(SecretBytes(consuming: &bytes))
    }

    @Test func matchesBotocoreOnEveryCase() throws {
        let vectors = Self.vectors
        #expect(vectors.cases.count == 8)
        for vector in vectors.cases {
            let credentials = RemoteCredentials(accessKeyID: vectors.accessKey, secretAccessKey: Self.secret(vectors.secretKey),
                                                sessionToken: vector.sessionToken)
            let payload = Hex.encode(SHA256Digest.hash(Array(vector.body.utf8)))
            #expect(payload == vector.payloadSHA256, "\(vector.name)")
            let request = SigV4.Request(method: vector.method, host: "127.0.0.1:8333", path: vector.path,
                                        query: vector.query.map { ($0[0], $0[1]) },
                                        headers: vector.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
                                        payloadSHA256: payload)
            let signed = SigV4.sign(request, credentials: credentials, region: vectors.region, service: vectors.service, time: Self.time)
            #expect(signed.canonicalRequest == vector.canonicalRequest, "\(vector.name)")
            #expect(signed.stringToSign == vector.stringToSign, "\(vector.name)")
            #expect(signed.authorization == vector.authorization, "\(vector.name)")
            #expect(!signed.authorization.contains(vectors.secretKey) && !"\(credentials)".contains(vectors.secretKey))
        }
    }

    @Test func anotherSecretRegionOrTimeSignsDifferently() throws {
        let vector = Self.vectors.cases[0]
        let request = SigV4.Request(method: vector.method, host: "127.0.0.1:8333", path: vector.path, payloadSHA256: vector.payloadSHA256)
        let right = RemoteCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: Self.secret(Self.vectors.secretKey))
        let wrong = RemoteCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: Self.secret(Self.vectors.secretKey + "x"))
        let signed = SigV4.sign(request, credentials: right, region: Self.vectors.region, time: Self.time)
        #expect(signed.authorization == vector.authorization)
        #expect(SigV4.sign(request, credentials: wrong, region: Self.vectors.region, time: Self.time).authorization != vector.authorization)
        #expect(SigV4.sign(request, credentials: right, region: "us-east-1", time: Self.time).authorization != vector.authorization)
        #expect(SigV4.sign(request, credentials: right, region: Self.vectors.region, time: Self.time + 1).authorization != vector.authorization)
    }

    @Test func encodingFollowsRFC3986() {
        #expect(SigV4.encode("a-b_c.d~e/f g+é", keepSlash: true) == "a-b_c.d~e/f%20g%2B%C3%A9")
        #expect(SigV4.encode("1/abc+def==", keepSlash: false) == "1%2Fabc%2Bdef%3D%3D")
        #expect(SigV4.canonicalQuery([("prefix", "a/"), ("list-type", "2"), ("uploads", "")]) == "list-type=2&prefix=a%2F&uploads=")
        #expect(SigV4.timestamps(Self.time) == ("20261207T103015Z", "20261207"))
    }
}
