#if canImport(Glibc)
import Glibc
#endif

/// The benchmark's Amanah identities and a template vault, made once with the `amanah` binary under test.
/// The identities use the normal (moderate) Argon2id parameters, because release builds do not honour
/// the test-only cheap key derivation; the unlock is measured separately and subtracted.
struct AmanahSetup {
    let amanah: String
    let work: String
    let spawner: Spawner
    var keys: String { work + "/keys" }
    var passphrase: String { keys + "/passphrase.txt" }
    /// Where each measured run's vault lives (recreated from the template before every run).
    var runFolder: String { work + "/run" }
    var vault: String { runFolder + "/vault" }
    var template: String { work + "/template" }
    var stateEnvironment: [String: String] { ["XDG_STATE_HOME": runFolder + "/state"] }

    func key(_ name: String) -> String { keys + "/" + name + ".key" }

    /// Runs `amanah arguments...` as `who` on the run vault.
    func amanahArguments(_ arguments: [String], as who: String) -> [String] {
        [amanah] + arguments + ["-C", vault, "-i", key(who), "--passphrase-file", passphrase]
    }

    /// The recipient registered in the template vault, and its age identity file (made with `age-keygen`).
    static let recipient = "Bench Tribunal"
    var recipientIdentity: String { keys + "/recipient.agekey" }

    /// Makes five identities (custodian, collector, investigator, two legal officers), an age identity for
    /// the recipient "Bench Tribunal", and a template vault with case `C-1` and that recipient registered
    /// (a quorum operation of the one custodian).
    func prepare(log: (String) -> Void) throws {
        try Shell.removeTree(keys, spawner: spawner)
        try Shell.removeTree(runFolder, spawner: spawner)
        try Shell.removeTree(template, spawner: spawner)
        mkdir(keys, 0o700)
        mkdir(runFolder, 0o700)
        try Shell.writeFile(passphrase, "benchmark passphrase, not a secret\n")
        var publicKeys: [String: String] = [:]
        for name in ["custodian", "collector", "investigator", "legal-officer", "legal-officer-2"] {
            let out = work + "/keygen.out"
            let result = try spawner.run([amanah, "keygen", "-o", key(name), "--passphrase-file", passphrase], output: out)
            guard result.status == 0 else { throw BenchError("amanah keygen failed: \(result.standardError)") }
            publicKeys[name] = Spawner.readSmallFile(out).split(separator: "\n").first.map(String.init) ?? ""
        }
        let initResult = try spawner.run([amanah, "init", vault, "-i", key("custodian"), "--passphrase-file", passphrase,
                                          "--threshold", "1", "--custodian", publicKeys["custodian"]!,
                                          "--member", publicKeys["collector"]! + ":collector",
                                          "--member", publicKeys["investigator"]! + ":investigator",
                                          "--member", publicKeys["legal-officer"]! + ":legal-officer",
                                          "--member", publicKeys["legal-officer-2"]! + ":legal-officer"],
                                         extraEnvironment: stateEnvironment)
        guard initResult.status == 0 else { throw BenchError("amanah init failed: \(initResult.standardError)") }
        try Shell.writeFile(work + "/case-C-1.json", #"[{"id":"C-1","detaineeNumber":"1/215","branch":"215"}]"#)
        let added = try spawner.run(amanahArguments(["case", "add", "--from", work + "/case-C-1.json"], as: "collector"),
                                    extraEnvironment: stateEnvironment)
        guard added.status == 0 else { throw BenchError("amanah case add failed: \(added.standardError)") }
        // The recipient: a stock age identity, registered by a quorum operation (threshold 1).
        unlink(recipientIdentity)
        let ageKey = try spawner.run(["age-keygen", "-o", recipientIdentity], output: work + "/age-keygen.out")
        guard ageKey.status == 0 else { throw BenchError("age-keygen failed: \(ageKey.standardError)") }
        let publicLine = ageKey.standardError.split(separator: "\n").first { $0.hasPrefix("Public key: ") }
        guard let agePublic = publicLine.map({ String($0.dropFirst("Public key: ".count)) }) else {
            throw BenchError("age-keygen printed no public key")
        }
        let operation = work + "/recipient.op"
        unlink(operation)
        for step in [["op", "propose", "add-recipient", AmanahSetup.recipient, "--age-key", agePublic, "-o", operation],
                     ["op", "approve", operation, "--yes"], ["op", "apply", operation]] {
            let result = try spawner.run(amanahArguments(step, as: "custodian"), extraEnvironment: stateEnvironment)
            guard result.status == 0 else { throw BenchError("amanah \(step.prefix(2).joined(separator: " ")) failed: \(result.standardError)") }
        }
        let copied = try spawner.run(["cp", "-a", runFolder, template])
        guard copied.status == 0 else { throw BenchError("cannot copy the template vault: \(copied.standardError)") }
        log("made identities and a template vault with \(amanah)")
    }

    /// Replaces the run vault (and its client state) with a fresh copy of the template.
    func freshVault() throws {
        try Shell.removeTree(runFolder, spawner: spawner)
        let copied = try spawner.run(["cp", "-a", template, runFolder])
        guard copied.status == 0 else { throw BenchError("cannot copy the template vault: \(copied.standardError)") }
    }
}

/// Small file-system helpers through standard tools.
enum Shell {
    static func removeTree(_ path: String, spawner: Spawner) throws {
        guard path.count > 5 else { throw BenchError("refusing to remove \(path)") }
        let result = try spawner.run(["rm", "-rf", "--", path])
        guard result.status == 0 else { throw BenchError("cannot remove \(path): \(result.standardError)") }
    }

    static func writeFile(_ path: String, _ text: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw BenchError("cannot create \(path)") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else { throw BenchError("cannot write \(path)") }
    }

    /// Total bytes of the regular files under `path` (`du --apparent-size` would round; this does not).
    /// The size of a file in bytes (0 when it cannot be read).
    static func fileSize(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    static func treeBytes(_ path: String) -> (apparent: UInt64, allocated: UInt64) {
        var apparent: UInt64 = 0, allocated: UInt64 = 0
        guard let dir = opendir(path) else { return (0, 0) }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let child = path + "/" + name
            var info = stat()
            guard lstat(child, &info) == 0 else { continue }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                let sub = treeBytes(child)
                apparent += sub.apparent; allocated += sub.allocated
            } else if (info.st_mode & S_IFMT) == S_IFREG {
                apparent += UInt64(info.st_size); allocated += UInt64(info.st_blocks) * 512
            }
        }
        return (apparent, allocated)
    }
}
