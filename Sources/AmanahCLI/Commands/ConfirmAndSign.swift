import VaultDisclosureUseCases
import Foundation
internal import Vault

/// The one confirm-and-sign flow of `op approve` and `disclose approve`: show in plain words what is about to
/// be signed (on standard error), ask `amanah: QUESTION [y/N] ` unless `--yes` was given (anything but an
/// answer starting with `y` or `Y` refuses, as "not approved"; without a terminal to ask at, nothing is signed
/// and `--yes` is named), sign, write the signed file back in place, remember the vault's state, and say what
/// the signature achieved. No database transaction is open while the question waits.
/// - Parameters:
///   - lines: what is signed, one message line each.
///   - question: the confirmation question, without the `[y/N]` suffix.
///   - yes: `--yes`: sign without asking.
///   - vault: the vault whose state is remembered after signing.
///   - sign: adds this member's signature (the use case: `Session.approve` or `Session.approveDisclosure`).
///   - write: writes the signed document back to its file.
///   - done: the closing message, from the signed document.
/// - Throws: `CLIError` "not approved" when the answer is not yes; `CLIError` (exit 64) when standard input is
///   not a terminal and `--yes` was not given; whatever `sign` and `write` throw.
func confirmAndSign<Signed>(showing lines: [String], question: String, yes: Bool, vault: Vault,
                            sign: () throws -> Signed, write: (Signed) throws -> Void,
                            done: (Signed) -> String) throws {
    for line in lines { Terminal.message(line) }
    if !yes {
        guard isatty(0) == 1 else {
            throw CLIError("nothing was signed: there is no terminal to answer \"\(question)\" at", hint: "read what is shown above, then sign from a script with --yes",
                           exitCode: CLIError.usage)
        }
        Terminal.writeStandardError("amanah: \(question) [y/N] ")
        guard (readLine() ?? "").lowercased().hasPrefix("y") else { throw CLIError("not approved") }
    }
    let signed = try sign()
    try write(signed)
    rememberState(vault)
    Terminal.message(done(signed))
}
