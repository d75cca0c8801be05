import Foundation
import GRDB
import Testing
import VaultCrypto

/// Runs the built `amanah` executable in a per-test temporary folder, as a user would.
final class CLIHarness {
    /// The test's own folder; removed by `cleanup()`.
    let folder: String
    /// Extra environment for every run.
    var environment: [String: String]

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
        /// Standard output as bytes (for binary output such as `export -o -`).
        var stdoutData = Data()
        var stdoutLines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty } }
    }

    init() throws {
        folder = FileManager.default.temporaryDirectory.path + "/amanah-cli-test-" + Hex.encode(Random.bytes(8))
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        environment = [
            "AMANAH_INSECURE_TEST_KDF": "1",
            "XDG_STATE_HOME": folder + "/state",
            "HOME": folder + "/home",
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ]
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: folder) }

    /// The `amanah` binary built beside this test bundle.
    static let executable: String = {
        let selfPath = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: selfPath).deletingLastPathComponent()
        // Inside an .xctest bundle on some platforms the binary sits deeper; walk up to find `amanah`.
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("amanah").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/amanah").path
    }()

    /// Runs `amanah arguments...` in the test folder with `stdin` as standard input; with `timeout` (seconds),
    /// a command still running then is killed (and ends with status 137 and SIGKILL's mark in its output).
    @discardableResult
    func run(_ arguments: [String], stdin: String? = nil, environment extra: [String: String] = [:], timeout: Double? = nil) throws -> Result {
        try runTool(CLIHarness.executable, arguments, stdin: stdin, environment: extra, timeout: timeout)
    }

    /// Runs the program at `path` as `run` runs `amanah` (in the test folder, with the harness's environment).
    @discardableResult
    func runTool(_ path: String, _ arguments: [String], stdin: String? = nil, environment extra: [String: String] = [:],
                 timeout: Double? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        process.environment = environment.merging(extra) { $1 }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let timeout {
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [process] in
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            }
        }
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        // Read both pipes concurrently so neither fills up.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self), stdoutData: outData)
    }

    /// Writes a text file in the test folder with `mode` (0600 by default: passphrase and key files must be
    /// private to their owner, and the other files lose nothing by it) and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String, mode: Int = 0o600) throws -> String {
        let path = folder + "/" + name
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    /// Reads a file from the test folder.
    func read(_ name: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
    }

    /// Creates an identity `name.key` with passphrase file `name.pass`; returns its public key line.
    @discardableResult
    func makeIdentity(_ name: String) throws -> String {
        try write(name + ".pass", "passphrase of \(name)\n")
        let result = try run(["keygen", "-o", name + ".key", "--passphrase-file", name + ".pass"])
        #expect(result.status == 0, "keygen \(name): \(result.stderr)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Runs `body` with the vault database's append-only triggers dropped and puts them back after it, as a
/// careful attacker with write access to the file would (the schema is compared with Amanah's at open).
func withoutGuards<T>(_ db: Database, _ body: () throws -> T) throws -> T {
    let triggers = try Row.fetchAll(db, sql: "SELECT name, sql FROM main.sqlite_master WHERE type = 'trigger'")
    for trigger in triggers { try db.execute(sql: "DROP TRIGGER main.\((trigger["name"] as String).quotedDatabaseIdentifier)") }
    let result = try body()
    for trigger in triggers { try db.execute(sql: trigger["sql"] as String) }
    return result
}
