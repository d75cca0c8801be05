import Foundation
import Testing
import TestSupport
import VaultCrypto
@testable import VaultRemote

/// The S3 client (issue 17) live against SeaweedFS, which enforces SigV4 and conditional creates: a
/// conditional create refuses an overwrite, GET, HEAD and LIST return what was stored, and wrong credentials,
/// a missing bucket and a skewed clock each get a clear error.
@Suite(.enabled(if: SeaweedFS.available, "needs SeaweedFS (scripts/install-deps.sh)"), .serialized)
struct S3ClientTests {
    @Test func storesListsAndRefusesAnOverwrite() async throws {
        let server = try await SeaweedFS.start()
        defer { server.stop() }
        try await server.createBucket("evidence")
        let client = S3Client(location: try S3Location(url: "s3://evidence/vault-1", endpoint: server.endpoint, region: "us-east-1"),
                              credentials: server.credentials())
        try await client.checkBucket()
        #expect(try await client.put("entries/0000000000000001", body: Array("first".utf8), ifNoneMatch: true) == .created)
        #expect(try await client.put("entries/0000000000000001", body: Array("second".utf8), ifNoneMatch: true) == .exists)
        #expect(try await client.get("entries/0000000000000001") == Array("first".utf8))
        #expect(try await client.head("entries/0000000000000001") == 5)
        #expect(try await client.get("entries/0000000000000009") == nil)
        #expect(try await client.head("entries/0000000000000009") == nil)
        let big = Random.bytes(3 << 20)
        #expect(try await client.put("blobs/ab/abcdef", body: big) == .created)
        #expect(try await client.get("blobs/ab/abcdef") == big)
        #expect(try await client.put("entries/0000000000000002", body: [2], ifNoneMatch: true) == .created)
        #expect(try await client.list("entries/") == ["entries/0000000000000001", "entries/0000000000000002"])
        #expect(try await client.list("blobs/") == ["blobs/ab/abcdef"])
        try await client.shutdown()
    }

    @Test func badConfigurationIsNamed() async throws {
        let server = try await SeaweedFS.start()
        defer { server.stop() }
        try await server.createBucket("evidence")
        let location = try S3Location(url: "s3://evidence", endpoint: server.endpoint, region: "us-east-1")
        let wrong = S3Client(location: location, credentials: server.credentials(secret: "not-the-secret"))
        await #expect(throws: RemoteError.credentials("SignatureDoesNotMatch")) { try await wrong.checkBucket() }
        try await wrong.shutdown()
        let missing = S3Client(location: try S3Location(url: "s3://no-such-bucket", endpoint: server.endpoint, region: "us-east-1"),
                               credentials: server.credentials())
        await #expect(throws: RemoteError.noSuchBucket("no-such-bucket")) { try await missing.checkBucket() }
        try await missing.shutdown()
        let ahead = S3Client(location: location, credentials: server.credentials(), now: { Int64(Date().timeIntervalSince1970) + 3600 })
        do {
            try await ahead.checkBucket()
            Issue.record("a request signed an hour ahead was accepted")
        } catch let RemoteError.clockSkew(seconds) {
            #expect((3500...3700).contains(seconds), "\(seconds)")
        } catch {
            Issue.record("a skewed clock gave \(error)")
        }
        try await ahead.shutdown()
        #expect(throws: RemoteError.self) { try S3Location(url: "s3://Bad_Bucket", endpoint: server.endpoint, region: "us-east-1") }
        #expect(throws: RemoteError.self) { try S3Location(url: "s3://evidence", endpoint: "ftp://x", region: "us-east-1") }
        #expect(throws: RemoteError.self) { try S3Location(url: "s3://evidence", endpoint: server.endpoint, region: "") }
    }
}
