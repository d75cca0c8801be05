import Foundation
import Testing
import TestSupport
import VaultCrypto
import VaultRemote

/// The team vault through S3: SeaweedFS (PyPI, pinned) started on loopback for each test, with its S3 gateway
/// enforcing SigV4, conditional creates and Object Lock. In CI a missing SeaweedFS fails
/// (`SeaweedFSPresenceTests`); elsewhere these tests are skipped without it.
@Suite("Team vault through S3 (SeaweedFS)", .enabled(if: SeaweedFS.available))
struct TeamVaultS3Tests {
    /// A team on a fresh bucket of a fresh SeaweedFS.
    static func team(_ fixture: VaultFixture, _ server: SeaweedFS, bucket: String = "evidence", objectLock: Bool = false) async throws -> TeamMachines {
        try await server.createBucket(bucket, objectLock: objectLock)
        return try team(fixture, server, url: "s3://\(bucket)/caesar")
    }

    /// A team on an existing bucket, reached at `endpoint` (the server's own by default).
    static func team(_ fixture: VaultFixture, _ server: SeaweedFS, url: String, endpoint: String? = nil,
                     environment: [String: String] = [:]) throws -> TeamMachines {
        var team = try TeamMachines(fixture: fixture, remoteURL: url)
        team.remoteOptions = ["--endpoint", endpoint ?? server.endpoint]
        team.environment = ["AWS_ACCESS_KEY_ID": server.accessKey, "AWS_SECRET_ACCESS_KEY": server.secretKey, "AWS_DEFAULT_REGION": "us-east-1"]
            .merging(environment) { $1 }
        return team
    }

    @Test("collector to investigator, then two machines appending at the same time for ten rounds, through S3")
    func sharedThroughS3() async throws {
        let server = try await SeaweedFS.start()
        defer { server.stop() }
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        let team = try await Self.team(fixture, server)
        try TeamVaultTests().collectorToInvestigator(team)
        try TeamVaultTests().concurrentRounds(team, rounds: 10)
    }

    @Test("a bucket whose operator rewrites or deletes a shared entry is refused; a wrong secret and another vault's remote get clear messages")
    func untrustedBucket() async throws {
        let server = try await SeaweedFS.start()
        defer { server.stop() }
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        let team = try await Self.team(fixture, server)
        try team.share()
        let before = try team.leafHashes("vault")
        let client = S3Client(location: try S3Location(url: "s3://evidence/caesar", endpoint: server.endpoint, region: "us-east-1"),
                              credentials: server.credentials())
        defer { _ = Task { try? await client.shutdown() } }
        // A second sync makes a second segment; the operator then overwrites the first with the second (a plain
        // PUT, as an administrator can).
        _ = try fixture.ingest([samplePhotos[1]])
        #expect(try team.run("vault", nil, ["sync"]).status == 0)
        let before2 = try team.leafHashes("vault")
        let keys = try await client.list("log/").sorted()
        #expect(keys.count == 2, "\(keys)")
        let first = try await client.get(keys[0])!
        let second = try await client.get(keys[1])!
        _ = try await client.put(keys[0], body: second)
        let rewritten = try team.run("vault", nil, ["sync"])
        #expect(rewritten.status == 3 && rewritten.stderr.contains("was rewritten"), "\(rewritten.stderr)")
        #expect(try team.leafHashes("vault") == before2)
        _ = try await client.put(keys[0], body: first)
        #expect(try team.run("vault", nil, ["sync"]).status == 0)
        _ = before
        // A wrong secret: the remote refuses the credentials, and the message says which to check.
        let wrong = try team.run("vault", nil, ["sync"], environment: ["AWS_SECRET_ACCESS_KEY": "not-the-secret"])
        #expect(wrong.status == 1 && wrong.stderr.contains("refused the credentials"), "\(wrong.stderr)")
        // Another vault cannot sync into this remote.
        let other = try VaultFixture()
        defer { other.cleanup() }
        let otherTeam = try Self.team(other, server, url: team.remoteURL)
        #expect(try otherTeam.addRemote().status == 0)
        let mixed = try otherTeam.run("vault", nil, ["sync"])
        #expect(mixed.status == 3 && mixed.stderr.contains("holds another vault"), "\(mixed.stderr)")
    }

    @Test("with --object-lock-days every object is written under a compliance retention that even the administrator cannot delete early; a bucket without Object Lock is reported")
    func objectLock() async throws {
        let server = try await SeaweedFS.start()
        defer { server.stop() }
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        var team = try await Self.team(fixture, server, bucket: "locked", objectLock: true)
        team.remoteOptions += ["--object-lock-days", "1"]
        try fixture.addRecords()
        _ = try fixture.ingest([samplePhotos[0]])
        #expect(try team.addRemote().status == 0)
        let synced = try team.run("vault", nil, ["sync"])
        #expect(synced.status == 0 && !synced.stderr.contains("Object Lock"), "\(synced.stdout) \(synced.stderr)")
        for key in ["caesar/log/0000000000000001", "caesar/vault.json"] {
            let retention = try await server.request("GET", "/locked/" + key, query: [("retention", "")])
            #expect(retention.status == 200 && String(decoding: retention.body, as: UTF8.self).contains("COMPLIANCE"), "\(key): \(String(decoding: retention.body, as: UTF8.self))")
            let head = try await server.request("HEAD", "/locked/" + key)
            let version = head.headers.first { $0.0.lowercased() == "x-amz-version-id" }?.1 ?? ""
            #expect(!version.isEmpty, "\(key) has no version id")
            let deleted = try await server.request("DELETE", "/locked/" + key, query: [("versionId", version)])
            #expect(!(200..<300).contains(deleted.status), "the administrator deleted \(key) under retention (HTTP \(deleted.status))")
            #expect(try await server.request("GET", "/locked/" + key).status == 200)
        }
        // A bucket without Object Lock: the sync says so.
        try await server.createBucket("plain")
        var plain = try Self.team(fixture, server, url: "s3://plain")
        plain.remoteOptions = team.remoteOptions
        #expect(try plain.run("vault", nil, ["remote", "add", "unlocked", plain.remoteURL] + plain.remoteOptions).status == 0)
        let unlocked = try plain.run("vault", nil, ["sync", "unlocked"])
        #expect(unlocked.status != 0 && unlocked.stderr.contains("does not honour Object Lock"), "\(unlocked.status) \(unlocked.stdout) \(unlocked.stderr)")
    }

    @Test("a 200 MiB original goes up in parts; the server killed in the middle of the upload and started again, the next sync resumes and completes, and a clone exports it byte-identical")
    func largeBlobSurvivesAServerCrash() async throws {
        let server = try await SeaweedFS.start()
        defer { server.stop() }
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        let team = try await Self.team(fixture, server)
        try fixture.addRecords()
        // 200 MiB of random bytes (a video, say): nothing for compression to shorten.
        let big = fixture.cli.folder + "/interview.bin"
        FileManager.default.createFile(atPath: big, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: big))
        for _ in 0..<50 { handle.write(Data(Random.bytes(4 << 20))) }
        try handle.close()
        let ingested = try fixture.ingest([big])
        #expect(ingested.count == 1)
        #expect(try team.addRemote().status == 0)

        // The sync runs while the server is killed once some parts are in.
        final class Outcome: @unchecked Sendable { var result: CLIHarness.Result? }
        let outcome = Outcome()
        let finished = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            outcome.result = try? team.run("vault", nil, ["sync"])
            finished.signal()
        }
        var parts = 0
        let deadline = Date().addingTimeInterval(120)
        while parts < 2 && Date() < deadline {
            try await Task.sleep(nanoseconds: 100_000_000)
            parts = try await Self.uploadedParts(server, bucket: "evidence")
        }
        #expect(parts >= 2, "no upload in parts was seen")
        try await server.restart(probeBucket: "evidence")
        finished.wait()
        let cut = try #require(outcome.result)
        // Either the sync failed with the server (most often), or it finished after the restart; never half.
        if cut.status != 0 { #expect(cut.stderr.contains("could not be reached") || cut.stderr.contains("HTTP 5"), "\(cut.stderr)") }
        let resumed = try team.run("vault", nil, ["sync"])
        #expect(resumed.status == 0, "\(resumed.stdout) \(resumed.stderr)")
        if cut.status != 0 { #expect(resumed.stdout.contains("an unfinished upload resumed"), "\(resumed.stdout)") }
        #expect(try await Self.uploadedParts(server, bucket: "evidence") == 0, "an unfinished upload was left")

        let cloned = try team.clone("machine-b")
        #expect(cloned.status == 0, "\(cloned.stderr)")
        #expect(try team.leafHashes("machine-b") == team.leafHashes("vault"))
        let exported = try team.run("machine-b", "investigator", ["export", ingested[0].0, "-o", "interview-out.bin"])
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(try sha256Hex(of: fixture.cli.folder + "/interview-out.bin") == sha256Hex(of: big))
    }

    /// The number of parts of unfinished multipart uploads in `bucket` (0 when there is none).
    static func uploadedParts(_ server: SeaweedFS, bucket: String) async throws -> Int {
        let uploads = try await server.request("GET", "/" + bucket, query: [("uploads", "")])
        let text = String(decoding: uploads.body, as: UTF8.self)
        var total = 0
        var rest = Substring(text)
        while let keyStart = rest.range(of: "<Key>"), let keyEnd = rest.range(of: "</Key>", range: keyStart.upperBound..<rest.endIndex),
              let idStart = rest.range(of: "<UploadId>", range: keyEnd.upperBound..<rest.endIndex),
              let idEnd = rest.range(of: "</UploadId>", range: idStart.upperBound..<rest.endIndex) {
            let key = String(rest[keyStart.upperBound..<keyEnd.lowerBound]), id = String(rest[idStart.upperBound..<idEnd.lowerBound])
            let parts = try await server.request("GET", "/" + bucket + "/" + key, query: [("uploadId", id)])
            total += String(decoding: parts.body, as: UTF8.self).components(separatedBy: "<PartNumber>").count - 1
            rest = rest[idEnd.upperBound...]
        }
        return total
    }

    @Test("with a tenth of the requests failing (500, dropped, lost after the server did them, or too slow), syncs, concurrent appends and a clone all complete, nothing lost or doubled")
    func flakyNetwork() async throws {
        let server = try await SeaweedFS.start()
        defer { server.stop() }
        try await server.createBucket("evidence")
        let proxy = try FaultProxy(upstreamPort: server.s3Port, rate: 0.1, delay: 3)
        defer { proxy.stop() }
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        let team = try Self.team(fixture, server, url: "s3://evidence/caesar", endpoint: proxy.endpoint,
                                 environment: ["AMANAH_TEST_REMOTE_TIMEOUT_SECONDS": "2"])
        try TeamVaultTests().collectorToInvestigator(team)
        try TeamVaultTests().concurrentRounds(team, rounds: 4)
        let faults = proxy.faults
        #expect(faults.count >= 5, "too few faults were injected to mean anything: \(faults)")
        for kind in ["500", "drop", "lost"] { #expect(faults.contains { $0.hasPrefix("fault-proxy: \(kind) ") }, "no \(kind) fault among \(faults.count)") }
    }

    @Test("an endpoint whose listing never ends (the same continuation token again and again) is refused, naming the listing")
    func endlessListing() async throws {
        let server = try await SeaweedFS.start()
        defer { server.stop() }
        try await server.createBucket("evidence")
        let proxy = try FaultProxy(upstreamPort: server.s3Port, rate: 0, delay: 0, mode: "endless-listing")
        defer { proxy.stop() }
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        let team = try Self.team(fixture, server, url: "s3://evidence/caesar", endpoint: proxy.endpoint)
        try fixture.addRecords()
        #expect(try team.addRemote().status == 0)
        let result = try fixture.cli.run(["sync", "-C", "vault"], environment: team.environment.merging(TeamMachines.state("vault", fixture)) { $1 },
                                         timeout: 120)
        #expect(result.status != 0 && result.stderr.contains("the listing of ") && result.stderr.contains("does not end"),
                "\(result.status): \(result.stdout) \(result.stderr)")
        #expect(proxy.faults.contains { $0.hasPrefix("fault-proxy: endless ") }, "the proxy never answered a listing")
    }

    @Test("a field collector whose credentials may only write under inbox/ cannot read or list the bucket, sends through the inbox and keeps nothing; the investigator places it")
    func collectorWithWriteOnlyCredentials() async throws {
        let server = try await SeaweedFS.start()
        defer { server.stop() }
        let fixture = try VaultFixture()
        defer { fixture.cleanup() }
        let team = try await Self.team(fixture, server)
        try team.share()
        // Prepared at the office with read credentials, then sent to the field with write-only ones.
        #expect(try team.clone("field", metadataOnly: true).status == 0)
        let field = ["AWS_ACCESS_KEY_ID": server.inboxAccessKey, "AWS_SECRET_ACCESS_KEY": server.inboxSecretKey]
        let denied = try fixture.cli.run(["clone", team.remoteURL, "stolen", "--expect-vault", fixture.vaultID] + team.remoteOptions,
                                         environment: team.environment.merging(field) { $1 }.merging(TeamMachines.state("stolen", fixture)) { $1 })
        #expect(denied.status != 0 && denied.stderr.contains("denied access to get vault.json"), "the field credentials read the bucket: \(denied.stdout) \(denied.stderr)")
        // Nor can they write anywhere but the inbox: not the next log position, not a blob.
        let writer = S3Client(location: try S3Location(url: team.remoteURL, endpoint: server.endpoint, region: "us-east-1"), credentials: server.inboxCredentials())
        for key in ["log/0000000000009999", "blobs/" + String(repeating: "0", count: 32)] {
            await #expect(throws: RemoteError.self, "the field credentials wrote \(key)") { _ = try await writer.put(key, body: Array("planted".utf8), ifNoneMatch: true) }
        }
        try await writer.shutdown()
        #expect(try team.run("field", nil, ["remote", "remove", "origin"]).status == 0)
        let added = try team.run("field", nil, ["remote", "add", "inbox", team.remoteURL, "--inbox"] + team.remoteOptions, environment: field)
        #expect(added.status == 0, "\(added.stderr)")
        let ingested = try team.run("field", "collector", ["ingest", "--case", "C-2", samplePhotos[1], samplePhotos[2]])
        #expect(ingested.status == 0, "\(ingested.stderr)")
        let items = ingested.stdoutLines.map { String($0.split(separator: "\t")[0]) }
        let sent = try team.run("field", "collector", ["sync"], environment: field)
        #expect(sent.status == 0 && sent.stdout.contains("sent 2 entries and 2 blobs"), "\(sent.stdout) \(sent.stderr)")
        #expect(try team.run("field", nil, ["audit", "verify"]).status == 0)
        let placed = try team.run("vault", "investigator", ["sync"])
        #expect(placed.status == 0 && placed.stdout.contains("2 collectors' entries placed from the inbox"), "\(placed.stdout) \(placed.stderr)")
        for (item, photo) in zip(items, [samplePhotos[1], samplePhotos[2]]) {
            #expect(try team.run("vault", "investigator", ["export", item, "-o", item + ".jpg"]).status == 0)
            #expect(FileManager.default.contentsEqual(atPath: fixture.cli.folder + "/" + item + ".jpg", andPath: photo))
        }
        #expect(try team.run("vault", "investigator", ["sync"]).status == 0)
        #expect(try team.clone("machine-b", metadataOnly: true).status == 0)
        #expect(try team.run("machine-b", nil, ["audit", "verify"]).status == 0)
    }
}
