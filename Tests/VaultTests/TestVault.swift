import Foundation
import GRDB
import Testing
import Vault
import VaultCrypto
import VaultPolicy
import VaultGovernance
#if canImport(Glibc)
import Glibc
#endif

/// The use-case tests: the `Vault` module called directly, without the CLI.
///
/// Why serialized: `ClientState` (the rollback memory outside the vault) finds its folder through the process
/// environment (`XDG_STATE_HOME`), which is one for the whole test process. Each test points it at a folder of
/// its own (`TestVault.init`, `useStateFolder`), so the tests of this suite must not run at the same time.
/// No other test target reads `XDG_STATE_HOME` in this process (the CLI tests pass their own environment to
/// each child process), so those keep running in parallel with these. The identities are made in memory
/// (`Identity.generate()`): no key file, so no Argon2 at all and no `AMANAH_INSECURE_TEST_KDF`.
@Suite("Vault use cases", .serialized)
struct VaultUseCaseTests {}

/// Points the client state of this process at `folder` (`$XDG_STATE_HOME/amanah`).
func useStateFolder(_ folder: String) {
    setenv("XDG_STATE_HOME", folder, 1)
}

/// A vault made in-process in a test folder of its own: one custodian (threshold 1) and one member of each
/// role. `open`/`session` act as one command each: open (with the vault's lock), work, remember the state,
/// close.
final class TestVault {
    let folder: String
    let path: String
    let stateFolder: String
    let custodian = IdentityBox(Identity.generate())
    let collector = IdentityBox(Identity.generate())
    let investigator = IdentityBox(Identity.generate())
    let protectionOfficer = IdentityBox(Identity.generate())
    let auditor = IdentityBox(Identity.generate())
    let vaultID: [UInt8]

    init() throws {
        folder = FileManager.default.temporaryDirectory.path + "/amanah-vault-test-" + Hex.encode(Random.bytes(8))
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        path = folder + "/vault"
        stateFolder = folder + "/state"
        useStateFolder(stateFolder)
        let members = [Genesis.Member(key: collector.publicKey, role: .collector),
                       Genesis.Member(key: investigator.publicKey, role: .investigator),
                       Genesis.Member(key: protectionOfficer.publicKey, role: .protectionOfficer),
                       Genesis.Member(key: auditor.publicKey, role: .auditor)]
        let request = Vault.CreateRequest(path: path, custodians: [custodian.publicKey], threshold: 1, members: members)
        vaultID = try Vault.create(request, initiator: custodian).vaultID
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: folder) }

    /// Runs `body` on the vault opened as a command opens it, then remembers the state as a command does
    /// (not when the client state was not checked: a command that skips the check reports what it finds and
    /// does not move the client state to it, unless `body` accepts it explicitly).
    @discardableResult
    func open<T>(_ options: Vault.OpenOptions = .init(), _ body: (Vault) throws -> T) throws -> T {
        let vault = try Vault.open(path: path, options: options)
        let result = try body(vault)
        if options.checkClientState { try vault.rememberState() }
        return result
    }

    /// Runs `body` in a session of `who`, as one command.
    @discardableResult
    func session<T>(_ who: IdentityBox, _ body: (Session) throws -> T) throws -> T {
        try open { vault in try body(try vault.session(for: who)) }
    }

    /// Seals records of `kind` from JSON, as `amanah case add --from` does.
    func add(_ kind: RecordKind, json: String, as who: IdentityBox) throws {
        let inputs = try RecordInputParser.parse(Array(json.utf8), source: "test.json", kind: kind).map { try $0.get() }
        try session(who) { session in
            for error in try session.addRecords(kind: kind, inputs: inputs) { if let error { throw error } }
        }
    }

    /// Writes `bytes` to a file in the test folder and returns its path.
    func file(_ name: String, _ bytes: [UInt8]) throws -> String {
        let full = folder + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: full))
        return full
    }

    /// Ingests files into `caseID` as `who`; returns the item ids.
    func ingest(_ paths: [String], case caseID: String = "C-1", as who: IdentityBox) throws -> [IngestOutcome] {
        try session(who) { session in try paths.map { try session.ingest(path: $0, options: .init(caseID: caseID)) } }
    }

    /// A connection to the vault database that bypasses the vault (an attacker or a damaged disk).
    func rawDatabase() throws -> DatabaseQueue { try DatabaseQueue(path: path + "/vault.sqlite") }

    /// The audit actions in log order.
    func auditActions() throws -> [String] {
        try open(.init(readOnly: true, checkClientState: false)) { vault in
            try vault.database.queue.read { db in
                try Data.fetchAll(db, sql: "SELECT leaf FROM auditEvent ORDER BY seq").map { try VaultAuditEvent(leaf: Array($0)).action }
            }
        }
    }
}

/// SHA-256 of "abc" (FIPS 180-2, appendix B.1).
let sha256OfABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

/// Runs `body` with the vault database's append-only triggers dropped and puts them back after it, as a
/// careful attacker with write access to the file would (the schema is compared with Amanah's at open).
func withoutGuards<T>(_ db: Database, _ body: () throws -> T) throws -> T {
    let triggers = try Row.fetchAll(db, sql: "SELECT name, sql FROM main.sqlite_master WHERE type = 'trigger'")
    for trigger in triggers { try db.execute(sql: "DROP TRIGGER main.\((trigger["name"] as String).quotedDatabaseIdentifier)") }
    let result = try body()
    for trigger in triggers { try db.execute(sql: trigger["sql"] as String) }
    return result
}
