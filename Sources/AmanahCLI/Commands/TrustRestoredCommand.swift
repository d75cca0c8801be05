internal import VaultPlatform
import ArgumentParser
import Foundation
internal import Vault
import VaultGovernance

/// `amanah trust-restored --expect-vault ID`: a client that saw a newer state of a vault accepts a copy
/// restored from a backup, deliberately and on the record, instead of refusing it as rolled back.
struct TrustRestored: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust-restored",
        abstract: "Accept a vault folder restored from a backup that is behind what this client saw (audited).",
        discussion: """
        Every command refuses a vault whose log or governance chain is behind what this client saw: that is \\
        what a rollback by someone who can write the folder looks like. After restoring a backup yourself, \\
        accept it with this command: it checks the vault id you give, verifies the restored audit log and tree, \\
        moves this client's memory to the restored position, and records an audit event \\
        (vault.restore-accepted) naming both positions. With a remote, sync next: it brings back what the \\
        remote holds.

        Example: amanah trust-restored --expect-vault 3f1c…9a2e -C vault -i custodian-1.key
        """)
    @OptionGroup var options: VaultOptions

    func run() throws {
        guard options.expectVault != nil else {
            throw CLIError("name the vault you restored with --expect-vault ID (the id `amanah info` printed before)", exitCode: CLIError.usage)
        }
        let vault = try options.openVault(checkClientState: false)
        let behind = try vault.clientStateProblems()
        guard !behind.isEmpty else {
            Terminal.message("this client's memory of the vault matches it; nothing to accept")
            return
        }
        let verified = try vault.verifyAuditLog()
        let other = verified.problems.filter { !$0.hasPrefix("this client saw a newer vault: ") }
        if !other.isEmpty {
            for problem in other { Terminal.message("problem: \(problem)") }
            throw CLIError("the restored vault does not verify; nothing was accepted", exitCode: CLIError.verificationFailed)
        }
        guard let seen = try ClientState.load(vaultID: vault.vaultID) else { return }
        let session = try options.openSession(vault: vault)
        // The acceptance is recorded first: a client that accepted a copy without the record never exists.
        try session.recordRestoreAccepted(wasAudit: seen.auditSize, wasGovernance: seen.governanceLength)
        _ = try vault.acceptRestoredCopy()
        rememberState(vault)
        let now = try vault.summary()
        for problem in behind { Terminal.message("accepted: \(problem)") }
        if seen.governanceLength > now.governanceLength {
            Terminal.warning("the restored copy lacks \(seen.governanceLength - now.governanceLength) governance entr\(seen.governanceLength - now.governanceLength == 1 ? "y" : "ies") this client saw (members, roles, keys or policy changed since the backup): they are undone here until a remote that holds them is synced")
        }
        Terminal.message("this client now accepts the restored vault at \(now.logSize) audit events and \(now.governanceLength) governance entries (it had seen \(seen.auditSize) and \(seen.governanceLength)); recorded as vault.restore-accepted")
    }
}
