import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Issue 17: `amanah remote add|list|remove`. A remote is an S3 bucket (and prefix) against an endpoint, or a
/// folder; credentials come from the environment or a credentials file and are never stored; bad input is
/// named; an S3 remote that cannot be reached is not added.
@Suite struct RemoteConfigTests {
    @Test func remotesAreAddedListedAndRemovedWithoutCredentials() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        let remoteFolder = vault.cli.folder + "/usb-remote"
        try FileManager.default.createDirectory(atPath: remoteFolder, withIntermediateDirectories: true)
        let noCredentials = ["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_DEFAULT_REGION": "eu-central-1"]
        func remote(_ arguments: [String], environment: [String: String] = noCredentials) throws -> CLIHarness.Result {
            try vault.cli.run(["remote"] + arguments + ["-C", "vault"], environment: environment)
        }
        #expect(try remote(["add", "usb", "file://" + remoteFolder]).status == 0)
        let s3 = try remote(["add", "origin", "s3://evidence/vault-1", "--endpoint", "http://127.0.0.1:9", "--object-lock-days", "3650"],
                            environment: ["AWS_DEFAULT_REGION": "eu-central-1"])
        #expect(s3.status == 0 && s3.stderr.contains("not checked: no credentials"), "\(s3.stderr)")
        let listed = try remote(["list"])
        #expect(listed.stdoutLines == ["usb\tfile://\(remoteFolder)\t-\t-\t-",
                                       "origin\ts3://evidence/vault-1\thttp://127.0.0.1:9\teu-central-1\tlock 3650d"], "\(listed.stdout)")
        let listedJSON = try remote(["list", "--json"])
        let remotes = try #require(try JSONSerialization.jsonObject(with: Data(listedJSON.stdout.utf8)) as? [[String: Any]], "\(listedJSON.stdout)")
        #expect(remotes.count == 2 && remotes[1]["url"] as? String == "s3://evidence/vault-1" && remotes[1]["objectLockDays"] as? Int == 3650)
        #expect(remotes[0]["url"] as? String == "file://" + remoteFolder && !listedJSON.stdout.contains("\\/"), "\(listedJSON.stdout)")

        // Bad input, each named; nothing added.
        for (arguments, words) in [
            (["add", "usb", "file://" + remoteFolder], "a remote named usb exists already"),
            (["add", "b", "s3://Bad_Bucket", "--endpoint", "http://127.0.0.1:9"], "the bucket name must be"),
            (["add", "c", "file:///no/such/folder"], "does not exist (Amanah does not create it)"),
            (["add", "d", "ftp://x/y"], "a remote is s3://BUCKET[/PREFIX] or file:///PATH"),
            (["add", "e f", "file://" + remoteFolder], "is not 1 to 32 letters"),
            (["add", "g", "s3://evidence", "--endpoint", "http://127.0.0.1:9/path"], "without a path"),
            (["add", "h", "file://" + remoteFolder, "--object-lock-days", "0"], "is not between 1 and 36500"),
        ] {
            let refused = try remote(arguments)
            #expect(refused.status == 64 && refused.stderr.contains(words), "\(arguments): \(refused.stderr)")
        }
        #expect(try remote(["add", "i", "s3://evidence", "--endpoint", "http://127.0.0.1:9"], environment: ["AWS_DEFAULT_REGION": ""])
            .stderr.contains("no region"))

        // With credentials, an endpoint that is not S3 (a plain web server) is named and the remote not added;
        // the secret is never stored.
        let web = Process()
        web.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let port = try SeaweedFS.freePorts(1)[0]
        web.arguments = ["python3", "-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", remoteFolder]
        web.standardOutput = FileHandle.nullDevice
        web.standardError = FileHandle.nullDevice
        try web.run()
        // SIGKILL: a child of the test process may inherit SIGTERM blocked.
        defer { kill(web.processIdentifier, SIGKILL); web.waitUntilExit() }
        Thread.sleep(forTimeInterval: 1.0)
        let notS3 = try remote(["add", "far", "s3://evidence", "--endpoint", "http://127.0.0.1:\(port)"],
                               environment: ["AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "very-secret-value", "AWS_DEFAULT_REGION": "eu-central-1"])
        #expect(notS3.status != 0 && notS3.stderr.contains("remote far: check the bucket: HTTP 404"), "\(notS3.stderr)")
        #expect(!notS3.stderr.contains("very-secret-value"))
        let file = String(decoding: try vault.cli.read("vault/remotes.json"), as: UTF8.self)
        #expect(!file.contains("\"far\"") && !file.contains("very-secret-value") && !file.contains("AKIDTEST"))

        #expect(try remote(["remove", "usb"]).status == 0)
        #expect(try remote(["list"]).stdoutLines.count == 1)
        #expect(try remote(["remove", "usb"]).stderr.contains("no remote named usb"))
    }
}
