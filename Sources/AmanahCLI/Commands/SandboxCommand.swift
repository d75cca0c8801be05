import ArgumentParser
internal import VaultImaging

/// `amanah __sandbox <job>`: the hidden entry point of the key-less parser child (DESIGN.md, "Untrusted
/// input runs apart from keys"). It is started only by `SandboxClient`, reads a framed request on standard
/// input and writes a framed result on standard output. It opens no vault, reads no identity or passphrase
/// and does nothing key-related; `AmanahMain.run` has already disabled core dumps.
struct SandboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "__sandbox",
        abstract: "Internal: the sandboxed parser child.",
        shouldDisplay: false)

    @Argument(help: "The job: metadata, derivative, or fork-server (forks one child per job on request).")
    var job: String

    func run() throws {
        if job == "fork-server" { SandboxChild.serveForks() }
        SandboxChild.main(job: job)
    }
}
