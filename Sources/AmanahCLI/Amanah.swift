internal import VaultPlatform
internal import AmanahAgent
import ArgumentParser
internal import VaultCrypto
internal import VaultStore
#if canImport(Glibc)
import Glibc
#endif

/// The version `amanah --version` prints.
public enum AmanahVersion {
    /// Major.minor.patch: 0.2 is the second milestone (the signed log, witness protection, the team vault).
    public static let current = "0.2.0"
}

/// The root `amanah` command.
public struct Amanah: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "amanah",
        abstract: "An encrypted evidence vault for human-rights documentation.",
        version: AmanahVersion.current,
        subcommands: [Keygen.self, Key.self, Init.self, Info.self, Members.self, Recipients.self, CaseCommand.self, WitnessCommand.self, Ingest.self, List.self,
                      Show.self, Export.self, Check.self, TrustRestored.self, Migrate.self, Audit.self, Op.self, PolicyCommand.self, Disclose.self, RecipientCommand.self, Bundle.self, RemoteCommand.self, Sync.self, Clone.self, RegionCommand.self, ItemCommand.self, IdentificationCommand.self, SourceCommand.self,
                      AgentCommand.self, SandboxCommand.self, AgentChildCommand.self])

    public init() {}
}

/// Entry point used by the `amanah` executable.
public enum AmanahMain {
    /// Hardens the process, runs the command line and exits with the documented status
    /// (0 ok, 1 failure, 3 verification failed, 64 usage).
    public static func run(arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> Never {
        ProcessStart.mark()
        // A closed pipe must be an error return, not a signal that kills the process mid-write.
        signal(SIGPIPE, SIG_IGN)
        do {
            try ProcessHardening.disableCoreDumps()
        } catch {
            Terminal.message("cannot disable core dumps: \(error)")
            exit(1)
        }
        do {
            var command = try Amanah.parseAsRoot(arguments)
            try command.run()
            finish(0)
        } catch let error as CLIError {
            Terminal.activeProgress?.finish()   // an error ends the line; it is not drawn again below it
            Terminal.message(error.message)
            if let hint = error.hint { Terminal.hint(hint) }
            finish(error.exitCode)
        } catch {
            Terminal.activeProgress?.finish()
            let code = Amanah.exitCode(for: error)
            if code == .success {
                Amanah.exit(withError: error)  // help and version output
            }
            if code.rawValue == 64 || error is ValidationError {
                var text = Amanah.fullMessage(for: error)
                if text.hasPrefix("Error: ") { text = "amanah: " + text.dropFirst(7).prefix(1).lowercased() + text.dropFirst(8) }
                Terminal.writeStandardError(text + "\n")
                exit(64)
            }
            let mapped = CLIError.from(error)
            Terminal.message(mapped.message)
            if let hint = mapped.hint { Terminal.hint(hint) }
            finish(mapped.exitCode)
        }
    }

    /// Exits with `code`; first reports the peak resident memory on standard error when
    /// `AMANAH_REPORT_PEAK_RSS=1` (for memory tests and benchmarks: `amanah: peak-rss-kib N`, and on Linux
    /// `amanah: peak-rss-after-unlock-kib N` for commands that unlock an identity).
    static func finish(_ code: Int32) -> Never {
        if PeakMemory.requested {
            for line in PeakMemory.reportLines() { Terminal.message(line) }
        }
        exit(code)
    }
}
