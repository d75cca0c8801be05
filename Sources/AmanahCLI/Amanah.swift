import ArgumentParser
import VaultCrypto
#if canImport(Glibc)
import Glibc
#endif

/// The root `amanah` command.
public struct Amanah: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "amanah",
        abstract: "An encrypted evidence vault for human-rights documentation.",
        subcommands: [Keygen.self, Key.self, SandboxCommand.self])

    public init() {}
}

/// Entry point used by the `amanah` executable.
public enum AmanahMain {
    /// Hardens the process, runs the command line and exits with the documented status
    /// (0 ok, 1 failure, 3 verification failed, 64 usage).
    public static func run(arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> Never {
        do {
            try ProcessHardening.disableCoreDumps()
        } catch {
            Terminal.message("cannot disable core dumps: \(error)")
            exit(1)
        }
        do {
            var command = try Amanah.parseAsRoot(arguments)
            try command.run()
            exit(0)
        } catch let error as CLIError {
            Terminal.message(error.message)
            if let hint = error.hint { Terminal.hint(hint) }
            exit(error.exitCode)
        } catch {
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
            Terminal.message(String(describing: error))
            exit(1)
        }
    }
}
