#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Vault
import VaultCrypto
import VaultImaging

/// The run at the seed's size: 11,000 cases (added with `amanah case add`), 55,000 small synthetic
/// photographs (60–140 KB, five per case) ingested in this process through `Session.ingest`, the code
/// `amanah ingest` runs, with one unlock; the vault's size against the data; detainee-number searches timed
/// one by one inside this process (`Session.search`: blind index, then decryption to confirm, then the
/// audited transaction); and `amanah check --read-data`.
struct ScaleRun {
    let setup: AmanahSetup
    let spawner: Spawner
    let work: String
    let cases: Int
    let photosPerCase: Int
    let searches: Int
    /// Whether each photograph's capture metadata is extracted in the sandbox (a child process of the
    /// amanah binary per file), as `amanah ingest` does.
    let withMetadata: Bool
    let log: (String) -> Void

    static let branches = ["215", "227", "235", "248", "251"]

    /// The detainee number of case `index` (unique), in ASCII digits.
    static func detaineeNumber(_ index: Int) -> String { "\(1000 + index * 7)/\(branches[index % branches.count])" }

    /// The same number in Arabic-Indic digits (as written on a body).
    static func arabicIndic(_ ascii: String) -> String {
        String(String.UnicodeScalarView(ascii.unicodeScalars.map { scalar in
            (0x30...0x39).contains(scalar.value) ? Unicode.Scalar(scalar.value - 0x30 + 0x0660)! : scalar
        }))
    }

    static func caseID(_ index: Int) -> String { "C-" + pad(index + 1, 5) }

    func run() throws {
        print("## Scale run: \(cases) cases, \(cases * photosPerCase) photographs")
        print("")
        let photos = try DataSet.make(work: work, name: "scale", setNumber: 3, count: cases * photosPerCase, size: { index in
            var generator = Xoshiro256(seed: JPEGLike.seed ^ 0x5CA1E ^ UInt64(index))
            return 60_000 + Int(generator.below(80_001))
        }, log: log)
        try setup.freshVault()
        setenv("XDG_STATE_HOME", setup.runFolder + "/state", 1)

        // Cases, through the command line (one process, one transaction per record).
        var json = "["
        for index in 0..<cases {
            let number = index % 3 == 0 ? ScaleRun.arabicIndic(ScaleRun.detaineeNumber(index)) : ScaleRun.detaineeNumber(index)
            json += (index == 0 ? "" : ",\n") + #"{"id":"\#(ScaleRun.caseID(index))","detaineeNumber":"\#(number)","branch":"\#(ScaleRun.branches[index % ScaleRun.branches.count])","forensicReference":"F-\#(index + 1)"}"#
        }
        json += "]\n"
        let casesFile = work + "/scale-cases.json"
        try Shell.writeFile(casesFile, json)
        let added = try spawner.run(setup.amanahArguments(["case", "add", "--from", casesFile], as: "collector"),
                                    extraEnvironment: setup.stateEnvironment)
        guard added.status == 0 else { throw BenchError("case add failed: \(added.standardError)") }
        log("added \(cases) cases in \(format(added.seconds, 1)) s")

        // Ingest in this process.
        let unlockStart = Spawner.now()
        let collector = try unlock("collector")
        let unlockSeconds = Spawner.now() - unlockStart
        let extractor: (any MetadataExtracting)? = withMetadata ? SandboxMetadata(client: SandboxClient(executablePath: setup.amanah)) : nil
        var requests: [Session.IngestRequest] = []
        for (index, path) in photos.files.enumerated() {
            requests.append(Session.IngestRequest(path: path, options: Session.IngestOptions(caseID: ScaleRun.caseID(index / photosPerCase),
                                                                                              metadata: extractor)))
        }
        let memoryBefore = ProcessMemory.resetPeak()
        var failures = 0, done = 0
        let ingestStart = Spawner.now()
        do {
            let vault = try Vault.open(path: setup.vault)
            let session = try vault.session(for: collector)
            _ = try session.fulfilPendingWork()
            try session.ingest(requests) { _, result in
                if case let .failure(error) = result {
                    failures += 1
                    if failures <= 5 { log("ingest failure: \(error)") }
                }
                done += 1
                if done % 10_000 == 0 { log("ingested \(done) of \(requests.count)") }
            }
            try vault.rememberState()
        }
        let ingestSeconds = Spawner.now() - ingestStart
        let ingestPeak = ProcessMemory.peakKiB()
        guard failures == 0 else { throw BenchError("\(failures) files failed to ingest") }

        // Size on disk.
        let vaultBytes = Shell.treeBytes(setup.vault)
        let blobBytes = Shell.treeBytes(setup.vault + "/blobs")
        let dataBytes = UInt64(photos.totalBytes)
        let databaseBytes = vaultBytes.apparent - blobBytes.apparent

        // Searches in this process, as the investigator.
        let investigator = try unlock("investigator")
        var latencies: [Double] = []
        var wrong = 0
        do {
            let vault = try Vault.open(path: setup.vault)
            let session = try vault.session(for: investigator)
            _ = try session.fulfilPendingWork()
            var generator = Xoshiro256(seed: JPEGLike.seed ^ 0x5EA5C4)
            for round in 0..<(searches + 20) {
                let index = Int(generator.below(UInt64(cases)))
                let ascii = ScaleRun.detaineeNumber(index)
                let asked = round % 2 == 0 ? ascii : ScaleRun.arabicIndic(ascii)
                let start = Spawner.now()
                let matches = try session.search(kind: .case, field: "detaineeNumber", value: asked)
                let elapsed = Spawner.now() - start
                if matches != [ScaleRun.caseID(index)] { wrong += 1 }
                if round >= 20 { latencies.append(elapsed * 1000) }
            }
            try vault.rememberState()
        }
        guard wrong == 0 else { throw BenchError("\(wrong) searches returned the wrong cases") }

        // check --read-data through the command line.
        let check = try spawner.run(setup.amanahArguments(["check", "--read-data"], as: "investigator"), output: work + "/check.out",
                                    extraEnvironment: setup.stateEnvironment.merging(["AMANAH_REPORT_PEAK_RSS": "1"]) { $1 })
        let checkText = Spawner.readSmallFile(work + "/check.out")
        let items = cases * photosPerCase
        guard check.status == 0, checkText.contains("\(items + 0) items present, \(items) read and verified") else {
            throw BenchError("check --read-data failed: \(checkText) \(check.standardError)")
        }
        let checkNet = check.seconds - unlockSeconds

        var table = Table(["measure", "value"])
        table.add(["photographs", "\(items) files, \(format(Double(dataBytes) / 1e9, 2)) GB (60–140 KB each)"])
        table.add(["case add (CLI, one process, one transaction per case)", "\(format(added.seconds, 1)) s = \(format(Double(cases) / added.seconds, 0)) cases/s"])
        table.add(["ingest (in process, one unlock, " + (withMetadata ? "metadata sandbox per photograph)" : "no metadata sandbox)"), "\(format(ingestSeconds, 1)) s = \(format(Double(items) / ingestSeconds, 0)) files/s, \(format(Double(dataBytes) / ingestSeconds / 1e6, 0)) MB/s"])
        table.add(["ingest peak RSS of this process (reset after the unlock)", "\(format(Double(ingestPeak ?? 0) / 1024, 1)) MiB (\(format(Double(memoryBefore ?? 0) / 1024, 1)) MiB before)"])
        table.add(["Argon2id unlock (in process)", "\(format(unlockSeconds, 2)) s"])
        table.add(["vault size", "\(format(Double(vaultBytes.apparent) / 1e9, 3)) GB (+\(format((Double(vaultBytes.apparent) / Double(dataBytes) - 1) * 100, 2))% over the data)"])
        table.add(["  blobs (Padmé padding + container)", "\(format(Double(blobBytes.apparent) / 1e9, 3)) GB (+\(format((Double(blobBytes.apparent) / Double(dataBytes) - 1) * 100, 2))%), \(format(Double(blobBytes.allocated) / 1e9, 3)) GB allocated"])
        table.add(["  database (records, keys, indexes, audit log, WAL)", "\(format(Double(databaseBytes) / 1e6, 1)) MB = \(format(Double(databaseBytes) / Double(items), 0)) bytes per photograph"])
        table.add(["detainee-number search, \(searches) lookups (in process)", "p50 \(format(Statistics.percentile(latencies, 50), 2)) ms, p99 \(format(Statistics.percentile(latencies, 99), 2)) ms, max \(format(latencies.max() ?? 0, 2)) ms (target p99 < 10 ms: \(Statistics.percentile(latencies, 99) < 10 ? "met" : "MISSED"))"])
        table.add(["check --read-data (CLI)", "\(format(check.seconds, 1)) s wall = \(format(Double(dataBytes) / checkNet / 1e6, 0)) MB/s, \(format(Double(items) / checkNet, 0)) items/s net of the unlock"])
        table.add(["disclosure of one case", "TODO(disclosure): not measured; `amanah disclose` does not exist yet"])
        print(table.render())
        print("")
        print("Searches: half in ASCII digits, half in Arabic-Indic digits; each is one audited write transaction (fsync).")
        print("")
    }

    /// Unlocks a benchmark identity in this process.
    func unlock(_ name: String) throws -> IdentityBox {
        let contents = try DurableFile.readAll(setup.key(name), limit: 1 << 16)
        let passphrase = try Passphrase.read(prompt: "", confirm: false, file: setup.passphrase)
        return IdentityBox(try KeyFile.unlock(contents, passphrase: passphrase))
    }
}

/// This process's peak resident set (Linux).
enum ProcessMemory {
    /// Resets the peak to the current resident set; returns the peak before, in KiB.
    static func resetPeak() -> Int? {
        let before = peakKiB()
        let fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC)
        if fd >= 0 {
            var five: UInt8 = 0x35
            _ = write(fd, &five, 1)
            close(fd)
        }
        return before
    }

    /// `VmHWM` in KiB.
    static func peakKiB() -> Int? {
        let text = Spawner.readSmallFile("/proc/self/status")
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.dropFirst(6).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
        return nil
    }
}

/// The metadata extractor `amanah ingest` uses (AmanahCLI's `SandboxedMetadata`), for the in-process run.
struct SandboxMetadata: MetadataExtracting {
    let client: SandboxClient

    func extract(file: FileHandleFD, mediaType: String) throws -> (report: [UInt8], identifying: [String]) {
        var report = try client.extractMetadata(from: PositionalReader(fd: file.fd))
        if !report.warnings.isEmpty || report.format == .unknown {
            report.identifyingSummary.append("metadata incomplete: treat the original as possibly identifying")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (Array(try encoder.encode(report)), report.identifyingSummary)
    }
}

/// Reads a file from its start with `pread`, leaving the descriptor's offset alone.
struct PositionalReader: ByteSource {
    let fd: Int32
    var offset: off_t = 0

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            let n = pread(fd, buffer.baseAddress!, buffer.count, offset)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw CryptoError.system("read", lastErrorText()) }
            offset += off_t(n)
            return n
        }
    }
}
