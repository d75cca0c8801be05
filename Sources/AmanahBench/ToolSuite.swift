#if canImport(Glibc)
import Glibc
#endif

/// One thing to time on a data set: untimed preparation, the timed run, and an optional fixed cost (the
/// part of every invocation that does not depend on the data: process start, key derivation).
struct Contender {
    let name: String
    /// Amanah's own rows are marked so that ratios are computed against them.
    var isAmanah = false
    /// Whether the target comparisons use this row ("age" encrypt-only).
    var isAge = false
    let prepare: () throws -> Void
    let run: () throws -> ProcessMeasurement
    /// Validates the run's output once (first round only); throws when the tool did not do its job.
    var validate: (ProcessMeasurement) throws -> Void = { _ in }
}

/// The results of all rounds for one contender.
struct ContenderResult {
    var name: String
    var isAmanah: Bool
    var isAge: Bool
    var seconds: [Double] = []
    var peaksKiB: [Int] = []
    /// Amanah's peak resident set after the key unlock (from `AMANAH_REPORT_PEAK_RSS`), when reported.
    var afterUnlockKiB: [Int] = []
}

/// Times Amanah and the tools people use instead on one data set, alternating the order every round.
struct ToolSuite {
    let spawner: Spawner
    let setup: AmanahSetup
    let work: String
    let rounds: Int
    let tools: AvailableTools
    let log: (String) -> Void

    var output: String { work + "/out" }

    func freshOutput() throws {
        try Shell.removeTree(output, spawner: spawner)
        mkdir(output, 0o700)
    }

    /// The contenders for `data`; `streamAge` adds one `age` process over all files concatenated.
    /// The contenders for `data`; `streamAge` adds one `age` process over all files concatenated. `raw` is
    /// the same sizes without an image header: Amanah then extracts no capture metadata, which shows the
    /// cost of the per-file metadata sandbox apart from the rest of ingest.
    func contenders(for data: DataSet, raw: DataSet?, streamAge: Bool, perFileAge: Bool, baseline: String?) -> [Contender] {
        var list: [Contender] = []
        let files = data.files
        let quotedFolder = "'" + data.folder + "'"

        list += amanahContenders(binary: setup.amanah, label: "amanah", isAmanah: true, files: files, validateRun: true)
        if let raw {
            list += amanahContenders(binary: setup.amanah, label: "amanah, no image header", isAmanah: true, files: raw.files,
                                     validateRun: true, withFixedCost: false)
        }
        if let baseline { list += amanahContenders(binary: baseline, label: "baseline amanah", isAmanah: false, files: files, validateRun: false) }

        if let age = tools.age {
            let recipient = tools.ageRecipient
            if perFileAge {
                list.append(Contender(name: "age -r, one process per file", isAge: true, prepare: { try freshOutput() }, run: {
                    try spawner.runSeries(files.map { [age, "-r", recipient, "-o", output + "/" + DataSet.baseName($0) + ".age", $0] })
                }, validate: { result in
                    guard result.status == 0 else { throw BenchError("age failed: \(result.standardError)") }
                }))
            }
            if streamAge {
                list.append(Contender(name: "age -r, one stream (cat | age)", isAge: true, prepare: { try freshOutput() }, run: {
                    try spawner.shell("cd \(quotedFolder) && cat *.jpg | '\(age)' -r \(recipient) > '\(output)/all.age'")
                }, validate: { result in
                    guard result.status == 0 else { throw BenchError("cat | age failed: \(result.standardError)") }
                }))
            }
            list.append(Contender(name: "tar | age -r", prepare: { try freshOutput() }, run: {
                try spawner.shell("cd \(quotedFolder) && tar -cf - *.jpg | '\(age)' -r \(recipient) > '\(output)/all.tar.age'")
            }, validate: { result in
                guard result.status == 0 else { throw BenchError("tar | age failed: \(result.standardError)") }
            }))
            if let minisign = tools.minisign {
                list.append(Contender(name: "script: sha256sum, minisign, tar | age", prepare: { try freshOutput() }, run: {
                    try spawner.shell("cd \(quotedFolder) && sha256sum *.jpg > '\(output)/SHA256SUMS'"
                                      + " && '\(minisign)' -S -s '\(tools.minisignKey)' -m '\(output)/SHA256SUMS' > /dev/null"
                                      + " && tar -cf - *.jpg -C '\(output)' SHA256SUMS SHA256SUMS.minisig | '\(age)' -r \(recipient) > '\(output)/all.tar.age'")
                }, validate: { result in
                    guard result.status == 0 else { throw BenchError("the sha256sum/minisign/tar/age script failed: \(result.standardError)") }
                }))
            }
        }
        list.append(Contender(name: "sha256sum", prepare: { try freshOutput() }, run: {
            try spawner.shell("cd \(quotedFolder) && sha256sum *.jpg > '\(output)/SHA256SUMS'")
        }, validate: { result in
            guard result.status == 0 else { throw BenchError("sha256sum failed: \(result.standardError)") }
        }))
        if let restic = tools.restic {
            let repository = work + "/restic-repo"
            let environment = ["RESTIC_PASSWORD": "benchmark passphrase, not a secret", "RESTIC_CACHE_DIR": work + "/restic-cache"]
            list.append(Contender(name: "restic backup", prepare: {
                try Shell.removeTree(repository, spawner: spawner)
                try Shell.removeTree(work + "/restic-cache", spawner: spawner)
                let initialised = try spawner.run([restic, "-q", "-r", repository, "init"], extraEnvironment: environment)
                guard initialised.status == 0 else { throw BenchError("restic init failed: \(initialised.standardError)") }
            }, run: {
                try spawner.run([restic, "-q", "-r", repository, "backup", "--host", "bench", data.folder], extraEnvironment: environment)
            }, validate: { result in
                guard result.status == 0 else { throw BenchError("restic backup failed: \(result.standardError)") }
            }))
            list.append(Contender(name: "restic fixed cost (open repository)", prepare: {
                guard access(repository + "/config", F_OK) != 0 else { return }
                let initialised = try spawner.run([restic, "-q", "-r", repository, "init"], extraEnvironment: environment)
                guard initialised.status == 0 else { throw BenchError("restic init failed: \(initialised.standardError)") }
            }, run: {
                try spawner.run([restic, "-q", "-r", repository, "cat", "config"], extraEnvironment: environment)
            }))
        }
        return list
    }

    /// `amanah ingest` of every file in one process, and its fixed cost (a 1-byte ingest: process start,
    /// vault open, Argon2id unlock, one commit), with `binary`.
    func amanahContenders(binary: String, label: String, isAmanah: Bool, files: [String], validateRun: Bool,
                          withFixedCost: Bool = true) -> [Contender] {
        var list: [Contender] = []
        let fileCount = files.count
        func arguments(_ rest: [String], as who: String) -> [String] {
            var all = setup.amanahArguments(rest, as: who)
            all[0] = binary
            return all
        }
        list.append(Contender(name: label + " ingest", isAmanah: isAmanah, prepare: { try setup.freshVault() }, run: {
            try spawner.run(arguments(["ingest", "--case", "C-1"] + files, as: "collector"),
                            output: work + "/ingest.out",
                            extraEnvironment: setup.stateEnvironment.merging(["AMANAH_REPORT_PEAK_RSS": "1"]) { $1 })
        }, validate: { result in
            let lines = Spawner.readSmallFileLines(work + "/ingest.out")
            guard result.status == 0, lines == fileCount else {
                throw BenchError("\(label) ingest failed (status \(result.status), \(lines) of \(fileCount) lines): \(result.standardError)")
            }
            guard validateRun else { return }
            let check = try spawner.run(arguments(["check", "--read-data"], as: "investigator"), output: work + "/check.out",
                                        extraEnvironment: setup.stateEnvironment)
            let text = Spawner.readSmallFile(work + "/check.out")
            guard check.status == 0, text.contains("\(fileCount) items present, \(fileCount) read and verified") else {
                throw BenchError("amanah check --read-data after the benchmark ingest failed: \(text) \(check.standardError)")
            }
        }))
        guard withFixedCost else { return list }
        let tiny = work + "/one-byte.bin"
        list.append(Contender(name: label + " fixed cost (1-byte ingest)", isAmanah: isAmanah, prepare: {
            try setup.freshVault()
            try Shell.writeFile(tiny, "x")
        }, run: {
            try spawner.run(arguments(["ingest", "--case", "C-1", tiny], as: "collector"),
                            extraEnvironment: setup.stateEnvironment.merging(["AMANAH_REPORT_PEAK_RSS": "1"]) { $1 })
        }))

        return list
    }

    /// Runs every contender `rounds` times, rotating the order each round, syncing and warming the page
    /// cache between runs (untimed).
    func measure(_ data: DataSet, alsoWarm: [DataSet] = [], contenders: [Contender]) throws -> [ContenderResult] {
        var results = contenders.map { ContenderResult(name: $0.name, isAmanah: $0.isAmanah, isAge: $0.isAge) }
        for round in 0..<rounds {
            data.warmCache()
            for other in alsoWarm { other.warmCache() }
            for step in 0..<contenders.count {
                let index = (step + round) % contenders.count
                let contender = contenders[index]
                try contender.prepare()
                sync()
                let result = try contender.run()
                if round == 0 { try contender.validate(result) } else if result.status != 0 {
                    throw BenchError("\(contender.name) failed (status \(result.status)): \(result.standardError)")
                }
                results[index].seconds.append(result.seconds)
                // wait4 sees the peak after amanah's own reset at the unlock; amanah reports the whole peak.
                results[index].peaksKiB.append(max(result.peakKiB, ToolSuite.reported("peak-rss-kib", in: result.standardError) ?? 0))
                if let after = ToolSuite.reported("peak-rss-after-unlock-kib", in: result.standardError) {
                    results[index].afterUnlockKiB.append(after)
                }
                sync()
            }
            log("\(data.name): round \(round + 1) of \(rounds) done")
        }
        return results
    }

    /// The integer after `amanah: <key> ` on standard error.
    static func reported(_ key: String, in text: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix("amanah: " + key + " ") {
            return Int(line.split(separator: " ").last ?? "")
        }
        return nil
    }
}

/// The external tools found on PATH, and their throw-away keys.
struct AvailableTools {
    var age: String?
    var ageRecipient = ""
    var minisign: String?
    var minisignKey = ""
    var restic: String?

    /// Looks the tools up and makes an age identity and an unencrypted minisign key for them.
    static func find(path: String, work: String, spawner: Spawner, skipRestic: Bool) throws -> AvailableTools {
        var tools = AvailableTools()
        tools.age = Spawner.which("age", path: path)
        if tools.age != nil, let keygen = Spawner.which("age-keygen", path: path) {
            let identity = work + "/keys/age-identity.txt"
            unlink(identity)
            let made = try spawner.run([keygen, "-o", identity])
            guard made.status == 0 else { throw BenchError("age-keygen failed: \(made.standardError)") }
            let out = work + "/age-recipient.txt"
            _ = try spawner.run([keygen, "-y", identity], output: out)
            tools.ageRecipient = Spawner.readSmallFile(out).split(separator: "\n").first.map(String.init) ?? ""
        } else {
            tools.age = nil
        }
        tools.minisign = Spawner.which("minisign", path: path)
        if let minisign = tools.minisign {
            tools.minisignKey = work + "/keys/minisign.key"
            let made = try spawner.run([minisign, "-G", "-W", "-f", "-p", work + "/keys/minisign.pub", "-s", tools.minisignKey])
            if made.status != 0 { tools.minisign = nil }
        }
        tools.restic = skipRestic ? nil : Spawner.which("restic", path: path)
        return tools
    }
}

extension DataSet {
    /// The last path component.
    static func baseName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}

extension Spawner {
    /// The number of non-empty lines in a file (reads it all).
    static func readSmallFileLines(_ path: String) -> Int {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var count = 0, previous: UInt8 = 10
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            for byte in buffer[0..<n] {
                if byte == 10 && previous != 10 { count += 1 }
                previous = byte
            }
        }
        return count
    }
}
