import Foundation
import Testing
import VaultCrypto

/// Whether this run is CI (`CI=true`), where a missing tool for these tests is a failure, not a skip.
let runningInCI = ProcessInfo.processInfo.environment["CI"] == "true"

/// The path of a program in PATH or in the sbin folders (mkfs.vfat lives in /usr/sbin).
func programPath(_ name: String) -> String? {
    let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"]
    return folders.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// Whether a FAT file system can be made and mounted here: mkfs.vfat (dosfstools), fusefat, fusermount and /dev/fuse.
let fatToolsPresent = programPath("mkfs.vfat") != nil && programPath("fusefat") != nil && programPath("fusermount") != nil
    && FileManager.default.fileExists(atPath: "/dev/fuse")

/// Runs a program (arguments with absolute paths; `folder` is unused) to the end with its output discarded;
/// returns its exit status. Spawned and waited for
/// directly (`posix_spawn`, `waitpid`): fusefat forks a daemon and exits, which Foundation's `Process` does
/// not always notice.
@discardableResult
func runQuietly(_ program: String, _ arguments: [String], in folder: String) throws -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    for fd in Int32(0)...2 { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
    let argv = ([program] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid = pid_t()
    let spawned = posix_spawn(&pid, program, &actions, nil, argv, environ)
    guard spawned == 0 else { throw CocoaError(.executableLoad) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
}

/// Whether `path` is a mount point (listed in /proc/mounts).
func isMounted(_ path: String) -> Bool {
    let mounts = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? ""
    return mounts.split(separator: "\n").contains { $0.split(separator: " ").dropFirst().first.map(String.init) == path }
}

/// A FAT file system in an image file, mounted with fusefat at `mountPoint` (as a USB stick: link() fails with
/// EPERM, rename() works, and a full disk answers writes with EPERM).
final class FATMount {
    let mountPoint: String

    /// Makes a `megabytes` MB FAT image in `folder` and mounts it at `folder/name`.
    init(in folder: String, name: String, megabytes: Int) throws {
        let image = folder + "/" + name + ".img"
        mountPoint = folder + "/" + name
        #expect(FileManager.default.createFile(atPath: image, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: image))
        try handle.truncate(atOffset: UInt64(megabytes) << 20)
        try handle.close()
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: false)
        #expect(try runQuietly(programPath("mkfs.vfat")!, [image], in: folder) == 0, "mkfs.vfat")
        #expect(try runQuietly(programPath("fusefat")!, ["-o", "rw+", image, mountPoint], in: folder) == 0, "fusefat")
        for _ in 0..<50 where !isMounted(mountPoint) { usleep(100_000) }
        try #require(isMounted(mountPoint), "fusefat did not mount \(image)")
    }

    /// Unmounts (retrying while busy).
    func unmount() {
        for _ in 0..<20 {
            guard isMounted(mountPoint) else { return }
            if (try? runQuietly(programPath("fusermount")!, ["-u", mountPoint], in: "/")) == 0 { return }
            usleep(200_000)
        }
    }

    /// Fills the file system with a junk file until a write fails.
    func fill() throws {
        let fd = open(mountPoint + "/junk", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(fd >= 0)
        let block = [UInt8](repeating: 0x5A, count: 4096)
        while block.withUnsafeBytes({ write(fd, $0.baseAddress!, $0.count) }) > 0 {}
        close(fd)
    }
}

/// The partial files of interrupted writes in `folder` (`.amanah-partial-*.tmp`).
func partialFiles(in folder: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasPrefix(".amanah-partial-") }
}

/// `disclose issue` writes the whole bundle before recording it, on any file system, and survives a crash at
/// every step; `export` never counts or reports a failed write as something else.
@Suite(.enabled(if: stockToolsPresent, "needs Debian's age, minisign, sha256sum and tar"))
struct OutputWriteTests {
    /// Proposes and approves a request for case C-1 (legal officer, second legal officer).
    func approvedRequest(_ fixture: DisclosureFixture, _ name: String) throws {
        #expect(try fixture.vault.run("legal-officer", ["disclose", "propose", "--to", "Demo Tribunal", "--profile", "tribunal-protected",
                                                        "--case", "C-1", "--basis-file", "basis.txt", "-o", name]).status == 0)
        #expect(try fixture.vault.run("legal-officer-2", ["disclose", "approve", name, "--yes"]).status == 0)
    }

    func verify(_ fixture: DisclosureFixture, _ bundle: String) throws -> CLIHarness.Result {
        try fixture.vault.cli.run(["bundle", "verify", bundle, "-i", "tribunal.key", "--issuer-key", "issuer.pub", "--kit", "kit.json"])
    }

    func auditLines(_ fixture: VaultFixture, action: String) throws -> [String] {
        try fixture.cli.run(["audit", "log", "-C", "vault"]).stdoutLines.filter { $0.split(separator: "\t").contains { $0 == action } }
    }

    @Test(.enabled(if: fatToolsPresent || runningInCI, "needs mkfs.vfat (dosfstools), fusefat and /dev/fuse"))
    func issueToAFATStickWritesTheWholeBundle() throws {
        try #require(fatToolsPresent, "CI must have mkfs.vfat (dosfstools), fusefat and /dev/fuse")
        let fixture = try DisclosureFixture()
        defer { fixture.vault.cleanup() }
        let stick = try FATMount(in: fixture.vault.cli.folder, name: "usb", megabytes: 32)
        defer { stick.unmount() }
        let issued = try fixture.disclose(output: "usb/DT-0001.tar.age")
        #expect(issued.status == 0, "\(issued.stderr)")
        #expect(issued.stdoutLines == ["DT-0001"])
        let verified = try verify(fixture, "usb/DT-0001.tar.age")
        #expect(verified.status == 0 && verified.stdout.hasSuffix("verified\n"), "\(verified.stdout)\(verified.stderr)")
        #expect(partialFiles(in: stick.mountPoint).isEmpty)
        // The stock tools read it from the stick too.
        try fixture.unpack("usb/DT-0001.tar.age", into: "unpacked")
        let folder = fixture.vault.cli.folder + "/unpacked"
        #expect(try runTool("minisign", ["-Vm", "SHA256SUMS", "-p", "../issuer.pub"], in: folder).0 == 0)
        #expect(try runTool("sha256sum", ["-c", "SHA256SUMS"], in: folder).0 == 0)
        #expect(try auditLines(fixture.vault, action: "disclosure.issue").count == 1)
        // Never written over an existing file.
        try approvedRequest(fixture, "second.json")
        let over = try fixture.vault.run("legal-officer", ["disclose", "issue", "second.json", "-o", "usb/DT-0001.tar.age"])
        #expect(over.status == 1 && over.stderr.contains("exists already"), "\(over.stderr)")
        #expect(try verify(fixture, "usb/DT-0001.tar.age").status == 0)
    }

    @Test func issueKilledAtEveryStepLosesNothing() throws {
        let fixture = try DisclosureFixture()
        defer { fixture.vault.cleanup() }
        let base = fixture.vault.cli.folder
        try FileManager.default.createDirectory(atPath: base + "/out", withIntermediateDirectories: false)
        // --again needs an issued request.
        try approvedRequest(fixture, "never.json")
        let never = try fixture.vault.run("legal-officer", ["disclose", "issue", "never.json", "-o", "out/never.tar.age", "--again"])
        #expect(never.status == 1 && never.stderr.contains("never issued"), "\(never.stderr)")
        #expect(!FileManager.default.fileExists(atPath: base + "/out/never.tar.age"))

        var next = 1
        let points: [(point: String, refuseRename: Bool)] = [
            ("issue.mid-write", false), ("issue.after-partial", false), ("output.mid-copy", true), ("issue.after-place", false),
            ("issue.before-commit", false), ("issue.after-commit", false),
        ]
        for (index, step) in points.enumerated() {
            let request = "r\(index).json", output = "out/b\(index).tar.age"
            let expected = String(format: "DT-%04d", next)
            try approvedRequest(fixture, request)
            var environment = ["AMANAH_FAULT_INJECT": step.point]
            if step.refuseRename { environment["AMANAH_TEST_REFUSE_RENAME"] = "1" }
            let crashed = try fixture.vault.run("legal-officer", ["disclose", "issue", request, "-o", output], environment: environment)
            #expect(crashed.status == 137, "\(step.point): \(crashed.stderr)")
            let recorded = try auditLines(fixture.vault, action: "disclosure.issue").filter { $0.contains(expected) }.count == 1
            if step.point == "issue.after-commit" {
                // One complete bundle, recorded.
                #expect(recorded, "\(step.point)")
                #expect(try verify(fixture, output).status == 0, "\(step.point)")
                let plain = try fixture.vault.run("legal-officer", ["disclose", "issue", request, "-o", "out/other.tar.age"])
                #expect(plain.status == 1 && plain.stderr.contains("issued already") && plain.stderr.contains("--again"), "\(plain.stderr)")
                // Its file lost: written again with the same production numbers and the recorded manifest.
                try fixture.unpack(output, into: "first")
                try FileManager.default.removeItem(atPath: base + "/" + output)
                let again = try fixture.vault.run("legal-officer", ["disclose", "issue", request, "-o", output, "--again"])
                #expect(again.status == 0 && again.stdoutLines == [expected], "\(again.stderr)")
                #expect(again.stderr.contains("only the encryption differs"), "\(again.stderr)")
                let verified = try verify(fixture, output)
                #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
                try fixture.unpack(output, into: "second")
                for file in ["manifest.json", "SHA256SUMS", "SHA256SUMS.minisig", "custody/events.json", "items/\(expected)-0001.jpg"] {
                    #expect(try fixture.vault.cli.read("first/" + file) == fixture.vault.cli.read("second/" + file), "\(file) differs")
                }
                #expect(try fixture.vault.cli.read("first.tar") == fixture.vault.cli.read("second.tar"))
                #expect(try fixture.vault.cli.read(output) != Data())
                #expect(try auditLines(fixture.vault, action: "disclosure.reissue").count == 1)
                // --again never writes over a file.
                let over = try fixture.vault.run("legal-officer", ["disclose", "issue", request, "-o", output, "--again"])
                #expect(over.status == 1 && over.stderr.contains("exists already"))
                next += 1
                continue
            }
            // Nothing recorded: a plain issue of the same request into the same folder works, takes the same
            // numbers and removes the partial files the crash left.
            #expect(!recorded, "\(step.point)")
            if ["issue.mid-write", "issue.after-partial", "output.mid-copy"].contains(step.point) {
                #expect(!partialFiles(in: base + "/out").isEmpty, "\(step.point) left no partial file")
            }
            if step.point == "output.mid-copy" {
                // The copy under the final name is truncated: it never verifies.
                #expect(try verify(fixture, output).status == 3)
            }
            if step.point == "issue.after-place" {
                #expect(try verify(fixture, output).status == 0)   // complete, but not recorded, so not issued
            }
            let retried = try fixture.vault.run("legal-officer", ["disclose", "issue", request, "-o", "out/retry\(index).tar.age"])
            #expect(retried.status == 0 && retried.stdoutLines == [expected], "\(step.point): \(retried.stderr)")
            #expect(partialFiles(in: base + "/out").isEmpty, "\(step.point): \(partialFiles(in: base + "/out"))")
            #expect(try verify(fixture, "out/retry\(index).tar.age").status == 0, "\(step.point)")
            next += 1
        }
        #expect(try fixture.vault.cli.run(["audit", "verify", "-C", "vault"]).status == 0)
        #expect(try auditLines(fixture.vault, action: "disclosure.issue").count == points.count)
    }

    @Test func copyAndVerifyWhereRenameIsRefused() throws {
        let fixture = try DisclosureFixture()
        defer { fixture.vault.cleanup() }
        let refuse = ["AMANAH_TEST_REFUSE_RENAME": "1"]
        try approvedRequest(fixture, "req.json")
        let issued = try fixture.vault.run("legal-officer", ["disclose", "issue", "req.json", "-o", "copied.tar.age"], environment: refuse)
        #expect(issued.status == 0 && issued.stdoutLines == ["DT-0001"], "\(issued.stderr)")
        #expect(try verify(fixture, "copied.tar.age").status == 0)
        #expect(partialFiles(in: fixture.vault.cli.folder).isEmpty)
        // A crash in the middle of the copy proves the copy is what ran.
        try approvedRequest(fixture, "req2.json")
        let crashed = try fixture.vault.run("legal-officer", ["disclose", "issue", "req2.json", "-o", "crashed.tar.age"],
                                            environment: refuse.merging(["AMANAH_FAULT_INJECT": "output.mid-copy"]) { $1 })
        #expect(crashed.status == 137)
        // An export under a profile takes the same way.
        let exported = try fixture.vault.run("investigator", ["export", fixture.items[0], "--profile", "public", "-o", "public.jpg"], environment: refuse)
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(Array(try fixture.vault.cli.read("public.jpg")).starts(with: [0xFF, 0xD8]))
        #expect(partialFiles(in: fixture.vault.cli.folder).isEmpty)
        // A file written completely but whose record cannot be written does not stay.
        let readOnly = ["AMANAH_TEST_READ_ONLY_DATABASE": "1"]
        try approvedRequest(fixture, "req3.json")
        let unrecorded = try fixture.vault.run("legal-officer", ["disclose", "issue", "req3.json", "-o", "unrecorded.tar.age"], environment: readOnly)
        let unaudited = try fixture.vault.run("investigator", ["export", fixture.items[0], "--profile", "public", "-o", "unaudited.jpg"], environment: readOnly)
        for result in [unrecorded, unaudited] {
            #expect(result.status == 1 && result.stderr.contains("cannot write to the vault database"), "\(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.vault.cli.folder + "/unrecorded.tar.age"))
        #expect(!FileManager.default.fileExists(atPath: fixture.vault.cli.folder + "/unaudited.jpg"))
        #expect(partialFiles(in: fixture.vault.cli.folder).isEmpty)
        #expect(try fixture.vault.run("legal-officer", ["disclose", "issue", "req3.json", "-o", "recorded.tar.age"]).stdoutLines == ["DT-0002"])
    }

    @Test(.enabled(if: fatToolsPresent || runningInCI, "needs mkfs.vfat (dosfstools), fusefat and /dev/fuse"))
    func exportToAFullStickIsNotAReleaseNorATamperAlarm() throws {
        try #require(fatToolsPresent, "CI must have mkfs.vfat (dosfstools), fusefat and /dev/fuse")
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        let item = try vault.ingest([samplePhotos.first { $0.hasSuffix("DSCN0010.jpg") }!])[0].0
        let stick = try FATMount(in: vault.cli.folder, name: "usb", megabytes: 2)
        defer { stick.unmount() }
        try stick.fill()
        let exported = try vault.run("investigator", ["export", item, "--profile", "public", "-o", "usb/public.jpg"])
        #expect(exported.status == 1)
        #expect(exported.stderr.contains("cannot write usb/public.jpg") && exported.stderr.contains("the disk is full"), "\(exported.stderr)")
        #expect(!exported.stderr.contains("integrity"))
        #expect(!FileManager.default.fileExists(atPath: stick.mountPoint + "/public.jpg"))
        #expect(partialFiles(in: stick.mountPoint).isEmpty)
        #expect(try auditLines(vault, action: "item.export").isEmpty, "a failed export was audited as a release")
        // With room again, the same export works and is audited once.
        try FileManager.default.removeItem(atPath: stick.mountPoint + "/junk")
        #expect(try vault.run("investigator", ["export", item, "--profile", "public", "-o", "usb/public.jpg"]).status == 0)
        #expect(try auditLines(vault, action: "item.export").count == 1)
    }

    @Test func exportOfAnOriginalToAFullDiskSaysSo() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        try vault.addRecords()
        let item = try vault.ingest([samplePhotos.first { $0.hasSuffix("DSCN0010.jpg") }!])[0].0
        // A small tmpfs (it has O_TMPFILE, which originals are exported through), filled up.
        let disk = vault.cli.folder + "/small"
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: false)
        let mounted = try runQuietly(programPath("mount") ?? "/bin/mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", disk], in: "/") == 0
        guard mounted else {
            #expect(!runningInCI, "CI runs as root and must be able to mount a tmpfs")
            print("skipped: cannot mount a tmpfs here (not root?)")
            return
        }
        defer { _ = try? runQuietly(programPath("umount") ?? "/bin/umount", [disk], in: "/") }
        let fd = open(disk + "/junk", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let block = [UInt8](repeating: 0x5A, count: 4096)
        while block.withUnsafeBytes({ write(fd, $0.baseAddress!, $0.count) }) > 0 {}
        close(fd)
        let exported = try vault.run("investigator", ["export", item, "-o", "small/original.jpg"])
        #expect(exported.status == 1)
        #expect(exported.stderr.contains("cannot write small/original.jpg") && exported.stderr.contains("the disk is full"), "\(exported.stderr)")
        #expect(!exported.stderr.contains("integrity"), "\(exported.stderr)")
        #expect(!FileManager.default.fileExists(atPath: disk + "/original.jpg"))
        #expect(try auditLines(vault, action: "item.export").isEmpty)
    }
}
