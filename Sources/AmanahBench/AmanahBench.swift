import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// `amanah-bench`: figures, never a test. Makes deterministic JPEG-like data, times `amanah ingest` against
/// `age`, `tar | age`, `sha256sum`, a sha256sum/minisign/tar/age script and `restic backup` (when installed)
/// on the same files with a warm page cache, alternating the order every round, and prints medians, MB/s
/// (10^6 bytes per second), files/s, peak resident memory and ratios. `--scale` adds the run at the seed's
/// size (11,000 cases, 55,000 photographs) in one process.
@main
struct AmanahBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "amanah-bench",
        abstract: "Benchmarks of amanah (figures, never tests; release build).",
        subcommands: [IngestBench.self, AuditBench.self],
        defaultSubcommand: IngestBench.self)
}

/// `amanah-bench [ingest]`: ingest against the stock tools, and with `--scale` the run at the seed's size.
struct IngestBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Benchmark amanah ingest against age, tar | age, sha256sum and restic (release build).",
        discussion: """
            Build with `swift build -c release` and run `.build/release/amanah-bench`. Data and vaults go under \
            --work (several GB with --scale). The identities use the normal Argon2id parameters; the cost of \
            unlocking them is measured on its own and reported beside the figures.
            """)

    @Option(help: ArgumentHelp("Working folder for data, vaults and outputs.", valueName: "DIR"))
    var work: String = "/tmp/amanah-bench"

    @Option(help: ArgumentHelp("The amanah binary to measure (default: beside this program).", valueName: "PATH"))
    var amanah: String?

    @Option(help: ArgumentHelp("A second amanah binary (for example the previous version) measured in the same rounds.", valueName: "PATH"))
    var baseline: String?

    @Option(help: "Measured rounds per contender (medians are reported).")
    var rounds: Int = 5

    @Option(name: .customLong("big-files"), help: "Number of 5 MiB files.")
    var bigFiles: Int = 200

    @Option(name: .customLong("small-files"), help: "Number of 100 KB files.")
    var smallFiles: Int = 2000

    @Flag(name: .customLong("skip-restic"), help: "Do not run restic even when it is installed.")
    var skipRestic = false

    @Flag(name: .customLong("skip-tools"), help: "Skip the comparison with other tools (for example with --scale only).")
    var skipTools = false

    @Flag(help: "Also run the scale run: 11,000 cases and 55,000 small photographs (long; several GB of disk).")
    var scale = false

    @Option(name: .customLong("scale-cases"), help: "Cases in the scale run.")
    var scaleCases: Int = 11_000

    @Option(name: .customLong("scale-photos-per-case"), help: "Photographs per case in the scale run.")
    var scalePhotosPerCase: Int = 5

    @Option(name: .customLong("searches"), help: "Detainee-number searches timed in the scale run.")
    var searches: Int = 2000

    @Flag(name: .customLong("scale-skip-metadata"), help: "Do not extract each photograph's metadata in the sandbox in the scale run (amanah ingest always does).")
    var scaleSkipMetadata = false

    @Option(name: .customLong("sample-photos"), help: ArgumentHelp("Real photographs for the scale run's disclosure (default: the repository's keys-example/photos).", valueName: "DIR"))
    var samplePhotos: String?

    @Flag(name: .customLong("keep"), help: "Keep the vaults and outputs (the generated data is always kept).")
    var keep = false

    func validate() throws {
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
        guard bigFiles >= 1, smallFiles >= 1 else { throw ValidationError("need at least one file per data set") }
        guard scaleCases >= 1, scalePhotosPerCase >= 1, searches >= 1 else { throw ValidationError("scale sizes must be positive") }
    }

    func run() throws {
        let path = String(cString: getenv("PATH") ?? strdup("/usr/bin:/bin"))
        let binary = try amanah ?? IngestBench.siblingAmanah()
        guard access(binary, X_OK) == 0 else { throw BenchError("no amanah binary at \(binary)") }
        mkdir(work, 0o700)
        let home = work + "/home"
        mkdir(home, 0o700)
        let spawner = Spawner(environment: ["PATH": path, "HOME": home, "LANG": "C.UTF-8"], scratch: work)
        func log(_ text: String) {
            let bytes = Array("amanah-bench: \(text)\n".utf8)
            _ = Glibc.write(2, bytes, bytes.count)
        }

        print("# amanah-bench")
        print("")
        print(Machine.describe(amanah: binary, spawner: spawner, work: work))
        let setup = AmanahSetup(amanah: binary, work: work, spawner: spawner)
        try setup.prepare(log: log)

        if !skipTools {
            let tools = try AvailableTools.find(path: path, work: work, spawner: spawner, skipRestic: skipRestic)
            if tools.age == nil { log("age not found: the age comparisons are skipped") }
            if tools.restic == nil { log("restic not run (not installed or --skip-restic)") }
            let suite = ToolSuite(spawner: spawner, setup: setup, work: work, rounds: rounds, tools: tools, log: log)
            let big = try DataSet.make(work: work, name: "big", setNumber: 1, count: bigFiles, size: { _ in 5 << 20 }, log: log)
            let small = try DataSet.make(work: work, name: "small", setNumber: 2, count: smallFiles, size: { _ in 100_000 }, log: log)
            let bigRaw = try DataSet.make(work: work, name: "big-raw", setNumber: 1, count: bigFiles, size: { _ in 5 << 20 },
                                          imageHeader: false, log: log)
            let smallRaw = try DataSet.make(work: work, name: "small-raw", setNumber: 2, count: smallFiles, size: { _ in 100_000 },
                                            imageHeader: false, log: log)
            print("Data: \(big.files.count) × 5 MiB (first file sha256 \(big.firstFileDigest().prefix(16))…), "
                  + "\(small.files.count) × 100 KB (first file sha256 \(small.firstFileDigest().prefix(16))…), seed 0x616d616e6168.")
            print("The same sizes without an image header (`.bin`, sniffed as application/octet-stream) are ingested too: Amanah then "
                  + "runs no metadata sandbox, which separates that per-file cost from the rest of ingest.")
            print("Rounds: \(rounds) per contender, order rotated each round, `sync` and page cache warmed between runs; medians.")
            print("")
            let bigResults = try suite.measure(big, alsoWarm: [bigRaw], contenders: suite.contenders(for: big, raw: bigRaw, streamAge: true, perFileAge: true, baseline: baseline))
            let smallResults = try suite.measure(small, alsoWarm: [smallRaw], contenders: suite.contenders(for: small, raw: smallRaw, streamAge: false, perFileAge: true, baseline: baseline))
            Report.dataSet(title: "\(big.files.count) × 5 MiB", data: big, results: bigResults)
            Report.dataSet(title: "\(small.files.count) × 100 KB", data: small, results: smallResults)
            Report.targets(big: (big, bigResults), small: (small, smallResults))
        }
        if scale {
            let run = ScaleRun(setup: setup, spawner: spawner, work: work, cases: scaleCases,
                               photosPerCase: scalePhotosPerCase, searches: searches, withMetadata: !scaleSkipMetadata,
                               samplePhotos: samplePhotos ?? IngestBench.repositoryPhotos, log: log)
            try run.run()
        }
        if !keep {
            try Shell.removeTree(setup.runFolder, spawner: spawner)
            try Shell.removeTree(work + "/out", spawner: spawner)
            try Shell.removeTree(work + "/restic-repo", spawner: spawner)
            try Shell.removeTree(work + "/scale-vault", spawner: spawner)
        }
    }

    /// The repository's sample photographs, found from this source file's place (a local build).
    static var repositoryPhotos: String {
        let source = #filePath
        var parts = source.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)   // Sources/AmanahBench/AmanahBench.swift
        return parts.joined(separator: "/") + "/keys-example/photos"
    }

    /// `amanah` in the same folder as this executable.
    static func siblingAmanah() throws -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { throw BenchError("cannot find this executable; pass --amanah PATH") }
        let me = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(me[..<(me.lastIndex(of: "/") ?? me.startIndex)]) + "/amanah"
    }
}

/// A description of the machine for the report.
enum Machine {
    static func describe(amanah: String, spawner: Spawner, work: String) -> String {
        var lines: [String] = []
        let cpuinfo = Spawner.readSmallFile("/proc/cpuinfo")
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }?.split(separator: ":").last?
            .trimmingCharacters() ?? "unknown CPU"
        let flags = cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") } ?? ""
        let features = ["sha_ni", "avx2", "avx512f", "aes"].filter { flags.contains(" " + $0 + " ") || flags.hasSuffix(" " + $0) }
        let cores = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        let memory = Double(sysconf(Int32(_SC_PHYS_PAGES))) * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_073_741_824
        var uname = utsname()
        Glibc.uname(&uname)
        let kernel = withUnsafeBytes(of: uname.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        var load = [Double](repeating: 0, count: 3)
        getloadavg(&load, 3)
        lines.append("Machine: \(model), \(cores) cores (\(features.joined(separator: ", "))), \(format(memory, 1)) GiB RAM, Linux \(kernel)")
        lines.append("Work folder: \(work) (\(fileSystem(work))); load average at start \(format(load[0], 2)) \(format(load[1], 2)) \(format(load[2], 2))")
        lines.append("amanah: \(amanah)")
        var versions: [String] = []
        for (tool, argument) in [("age", "--version"), ("restic", "version"), ("minisign", "-v"), ("sha256sum", "--version"), ("tar", "--version")] {
            let out = work + "/version.out"
            if let result = try? spawner.run([tool, argument], output: out), result.status == 0 || tool == "minisign" {
                let text = Spawner.readSmallFile(out) + result.standardError
                if let first = text.split(separator: "\n").first { versions.append(tool + " " + first.trimmingCharacters()) }
            }
        }
        lines.append("Tools: " + versions.joined(separator: "; "))
        return lines.joined(separator: "\n")
    }

    static func fileSystem(_ path: String) -> String {
        let mounts = Spawner.readSmallFile("/proc/self/mounts").split(separator: "\n").map { $0.split(separator: " ") }
        var best: (String, String) = ("?", "?")
        for fields in mounts where fields.count > 2 {
            let point = String(fields[1])
            if path.hasPrefix(point), point.count >= best.0.count || best.0 == "?" { best = (point, String(fields[2])) }
        }
        return "\(best.1) on \(best.0)"
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    func trimmingCharacters() -> String {
        var s = Substring(self)
        while let first = s.first, first == " " || first == "\t" { s = s.dropFirst() }
        while let last = s.last, last == " " || last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
