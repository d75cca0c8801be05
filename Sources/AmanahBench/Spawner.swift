#if canImport(Glibc)
import Glibc
#endif

/// The outcome of one child process (or one series of them): wall time, peak resident memory, status.
struct ProcessMeasurement {
    /// Wall-clock seconds from the first spawn to the last exit (monotonic clock).
    var seconds: Double
    /// The largest peak resident set of any process in the tree, in KiB (`ru_maxrss` from `wait4`, which
    /// covers the child and every descendant it waited for, as `/usr/bin/time -f %M` reports it).
    var peakKiB: Int
    /// Exit status of the last process (0 when every process succeeded).
    var status: Int32
    /// Standard error of the last process (at most 64 KiB kept).
    var standardError: String
}

/// Runs child processes with `posix_spawn` and measures them with `wait4` (no shell unless asked for).
struct Spawner {
    /// The environment given to every child.
    var environment: [String: String]
    /// Scratch folder for captured standard error.
    let scratch: String

    /// Seconds on the monotonic clock.
    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// Runs `arguments` (the first is looked up in PATH) with standard input from `/dev/null` (or `input`),
    /// standard output to `output` (or `/dev/null`), and measures it.
    /// - Throws: `BenchError` when the process cannot be started.
    func run(_ arguments: [String], input: String? = nil, output: String? = nil,
             extraEnvironment: [String: String] = [:]) throws -> ProcessMeasurement {
        let start = Spawner.now()
        var result = try spawnAndWait(arguments, input: input, output: output, extraEnvironment: extraEnvironment)
        result.seconds = Spawner.now() - start
        return result
    }

    /// Runs a series of commands one after another (for "one process per file"); the wall time covers the
    /// whole series and the peak is the largest of any of them. Stops at the first failure.
    func runSeries(_ commands: [[String]]) throws -> ProcessMeasurement {
        let start = Spawner.now()
        var peak = 0
        var last = ProcessMeasurement(seconds: 0, peakKiB: 0, status: 0, standardError: "")
        for command in commands {
            last = try spawnAndWait(command, input: nil, output: nil, extraEnvironment: [:])
            peak = max(peak, last.peakKiB)
            if last.status != 0 { break }
        }
        last.seconds = Spawner.now() - start
        last.peakKiB = peak
        return last
    }

    /// Runs `script` with `/bin/sh -c` (for pipelines); the peak covers the shell and its children.
    func shell(_ script: String) throws -> ProcessMeasurement {
        try run(["/bin/sh", "-c", script])
    }

    private func spawnAndWait(_ arguments: [String], input: String?, output: String?,
                              extraEnvironment: [String: String]) throws -> ProcessMeasurement {
        let errPath = scratch + "/stderr-\(getpid()).txt"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, input ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

        var env = environment
        for (key, value) in extraEnvironment { env[key] = value }
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid = pid_t()
        let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, argv, envp)
        guard spawned == 0 else { throw BenchError("cannot start \(arguments[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 {
            guard errno == EINTR else { throw BenchError("wait4 failed: \(String(cString: strerror(errno)))") }
        }
        let exitStatus: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let errText = Spawner.readSmallFile(errPath)
        unlink(errPath)
        return ProcessMeasurement(seconds: 0, peakKiB: Int(usage.ru_maxrss), status: exitStatus, standardError: errText)
    }

    /// The first 64 KiB of a file as text ("" when unreadable).
    static func readSmallFile(_ path: String) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = read(fd, &buffer, buffer.count)
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : ""
    }

    /// Whether an executable named `name` is on `PATH`; returns its full path.
    static func which(_ name: String, path: String) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        for folder in path.split(separator: ":") {
            let candidate = folder + "/" + name
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}

/// A benchmark failure with a message for standard error.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
