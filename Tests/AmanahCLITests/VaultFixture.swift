import Foundation
import Testing
import VaultCrypto

/// The repository root (two folders above this file's folder).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// The sample photographs in keys-example/photos, sorted.
let samplePhotos: [String] = {
    let folder = repositoryRoot + "/keys-example/photos"
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    return names.filter { $0.hasSuffix(".jpg") }.sorted().map { folder + "/" + $0 }
}()

/// A vault made through the CLI with two custodians (2 of 2) and one member per role, each identity with
/// cheap test-only key derivation.
struct VaultFixture {
    let cli: CLIHarness
    let vault: String
    static let roles = ["collector", "investigator", "protection-officer", "legal-officer", "auditor"]
    var publicKeys: [String: String] = [:]
    /// The vault id (64 hex digits) as `init` printed it.
    var vaultID = ""

    init(custodians: Int = 2, threshold: Int = 2, extraMembers: [(name: String, role: String)] = []) throws {
        cli = try CLIHarness()
        vault = cli.folder + "/vault"
        let custodianNames = (1...custodians).map { "custodian-\($0)" }
        for name in custodianNames + VaultFixture.roles { publicKeys[name] = try cli.makeIdentity(name) }
        var arguments = ["init", "vault", "-i", "custodian-1.key", "--passphrase-file", "custodian-1.pass",
                         "--threshold", String(threshold)]
        for name in custodianNames { arguments += ["--custodian", publicKeys[name]!] }
        for role in VaultFixture.roles { arguments += ["--member", publicKeys[role]! + ":" + role] }
        for extra in extraMembers {
            publicKeys[extra.name] = try cli.makeIdentity(extra.name)
            arguments += ["--member", publicKeys[extra.name]! + ":" + extra.role]
        }
        let result = try cli.run(arguments)
        #expect(result.status == 0, "init: \(result.stderr)")
        vaultID = result.stdoutLines.last ?? ""
    }

    /// Runs a command in the vault as `who`.
    @discardableResult
    func run(_ who: String, _ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> CLIHarness.Result {
        try cli.run(arguments + ["-C", "vault", "-i", who + ".key", "--passphrase-file", who + ".pass"], stdin: stdin, environment: environment)
    }

    /// Adds the two demo-like cases (as the collector) and one witness (as the protection officer).
    func addRecords() throws {
        try cli.write("cases.json", """
            [{"id":"C-1","detaineeNumber":"٣٤٥٦/٢١٥","branch":"215","place":"Qaboun","identifiedName":"Test Person A","identifiedBy":"W-0001"},
             {"id":"C-2","detaineeNumber":"4102/227","photographedOn":"2013-09-02"}]
            """)
        #expect(try run("collector", ["case", "add", "--from", "cases.json"]).status == 0)
        try cli.write("witness.json", #"{"pseudonym":"W-0001","legalName":"Test Person B","contact":"12 Example Street","consent":["Demo Tribunal"]}"#)
        #expect(try run("protection-officer", ["witness", "add", "--from", "witness.json"]).status == 0)
    }

    /// Ingests files into a case as the collector; returns (item id, file name) per stdout line.
    func ingest(_ files: [String], caseID: String = "C-1", as who: String = "collector", extra: [String] = []) throws -> [(String, String)] {
        let result = try run(who, ["ingest", "--case", caseID] + extra + files)
        #expect(result.status == 0, "ingest: \(result.stderr)")
        return result.stdoutLines.map { line in
            let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
            return (parts[0], parts.count > 1 ? parts[1] : "")
        }
    }

    /// Proposes `change` as `proposer`, has each of `approvers` approve it, and applies it as `applier`;
    /// returns the apply result.
    @discardableResult
    func governance(_ change: [String], proposer: String = "custodian-1", approvers: [String], applier: String = "custodian-1",
                    file: String = "op.json") throws -> CLIHarness.Result {
        try? FileManager.default.removeItem(atPath: cli.folder + "/" + file)
        let proposed = try run(proposer, ["op", "propose"] + change + ["-o", file])
        #expect(proposed.status == 0, "propose \(change): \(proposed.stderr)")
        for approver in approvers {
            let approved = try run(approver, ["op", "approve", file, "--yes"])
            #expect(approved.status == 0, "approve by \(approver): \(approved.stderr)")
        }
        return try run(applier, ["op", "apply", file])
    }

    /// Makes a checkpoint of the audit log as `signer` and has each of `cosigners` cosign it, so that a bundle
    /// issued next can prove custody against it (issue 16: a checkpoint the custodians cosigned).
    func cosignCheckpoint(signer: String = "custodian-1", cosigners: [String] = ["custodian-2"], file: String = "checkpoint.txt") throws {
        let made = try run(signer, ["audit", "checkpoint"])
        #expect(made.status == 0, "audit checkpoint: \(made.stderr)")
        try cli.write(file, made.stdout)
        for cosigner in cosigners {
            let cosigned = try run(cosigner, ["audit", "cosign", file])
            #expect(cosigned.status == 0, "audit cosign by \(cosigner): \(cosigned.stderr)")
        }
    }

    func cleanup() { cli.cleanup() }
}

/// SHA-256 of a file, hex.
func sha256Hex(of path: String) throws -> String {
    Hex.encode(SHA256Digest.hash(Array(try Data(contentsOf: URL(fileURLWithPath: path)))))
}
