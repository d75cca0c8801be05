#if canImport(Glibc)
import VaultGovernanceUseCases
import VaultPlatform
import Glibc
import VaultGovernance
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
    /// A folder of real photographs (the repository's `keys-example/photos`), ingested into one more case,
    /// `C-DISCLOSE`, which is then disclosed: the synthetic photographs do not decode as images.
    let samplePhotos: String
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
        json += ",\n" + #"{"id":"C-DISCLOSE","detaineeNumber":"9999/215","branch":"215"}"# + "]\n"
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
        let extractor: (any MetadataExtracting)? = withMetadata ? SandboxedMetadata(client: SandboxClient(executablePath: setup.amanah, forkServer: true)) : nil
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
        do {
            for row in try discloseOneCase(unlockSeconds: unlockSeconds) { table.add(row) }
        } catch {
            table.add(["disclosure of one case", "FAILED: \(error)"])
        }
        print(table.render())
        print("")
        print("Searches: half in ASCII digits, half in Arabic-Indic digits; each is one audited write transaction (fsync).")
        print("")
    }

    /// Ingests the sample photographs into case `C-DISCLOSE` and discloses that case to the recipient with
    /// the `tribunal-protected` profile, through the command line (propose, a second approval, issue), then
    /// verifies the bundle with `amanah bundle verify`: in a vault of the seed's size, each step's time net
    /// of the Argon2id unlock.
    func discloseOneCase(unlockSeconds: Double) throws -> [[String]] {
        let names = try FileManager.default.contentsOfDirectory(atPath: samplePhotos).filter { $0.lowercased().hasSuffix(".jpg") }.sorted()
        guard !names.isEmpty else { throw BenchError("no .jpg photographs in \(samplePhotos)") }
        let environment = setup.stateEnvironment
        let ingest = try spawner.run(setup.amanahArguments(["ingest", "--case", "C-DISCLOSE"] + names.map { samplePhotos + "/" + $0 }, as: "collector"),
                                     output: work + "/disclose-ingest.out", extraEnvironment: environment)
        guard ingest.status == 0 else { throw BenchError("ingest of the sample photographs failed: \(ingest.standardError)") }
        let bytes = names.reduce(0) { $0 + Shell.fileSize(samplePhotos + "/" + $1) }
        try Shell.writeFile(work + "/basis.txt", "Benchmark request; no real proceedings.\n")
        let request = work + "/disclose-request.json", bundle = work + "/disclose-bundle.tar.age"
        unlink(request); unlink(bundle)
        var rows: [[String]] = []
        func step(_ title: String, _ arguments: [String], as who: String) throws {
            let result = try spawner.run(setup.amanahArguments(arguments, as: who), output: work + "/disclose-step.out", extraEnvironment: environment)
            guard result.status == 0 else { throw BenchError("\(title) failed: \(result.standardError)") }
            rows.append(["  " + title, "\(format(result.seconds, 2)) s wall, \(format(result.seconds - unlockSeconds, 2)) s net of the unlock"])
        }
        rows.append(["disclosure of one case (\(names.count) sample photographs, \(format(Double(bytes) / 1e6, 1)) MB, tribunal-protected)", ""])
        try step("disclose propose", ["disclose", "propose", "--to", AmanahSetup.recipient, "--profile", "tribunal-protected",
                                      "--case", "C-DISCLOSE", "--basis-file", work + "/basis.txt", "-o", request], as: "legal-officer")
        try step("disclose approve (second approver)", ["disclose", "approve", request, "--yes"], as: "legal-officer-2")
        try step("disclose issue", ["disclose", "issue", request, "-o", bundle], as: "legal-officer")
        let issuerKey = work + "/issuer.minisign.pub"
        unlink(issuerKey)
        let exported = try spawner.run([setup.amanah, "key", "export", "--minisign", setup.key("legal-officer"), "-o", issuerKey])
        guard exported.status == 0 else { throw BenchError("key export failed: \(exported.standardError)") }
        let verify = try spawner.run([setup.amanah, "bundle", "verify", bundle, "-i", setup.recipientIdentity,
                                      "--issuer-key", issuerKey], output: work + "/disclose-verify.out")
        guard verify.status == 0 else { throw BenchError("bundle verify failed: \(verify.standardError)") }
        rows.append(["  bundle verify (no vault, no Argon2id)", "\(format(verify.seconds, 2)) s, bundle \(format(Double(Shell.fileSize(bundle)) / 1e6, 1)) MB"])
        return rows
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
