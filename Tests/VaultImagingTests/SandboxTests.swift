import VaultPlatform
import Foundation
import Testing
import VaultCrypto
@testable import VaultImaging

/// The built `amanah` executable (`swift build` / `swift test` put it in .build/debug).
let amanahPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent(".build/debug/amanah").path

/// A source that yields one byte every 20 ms, forever: only a timeout ends a job fed from it.
struct EndlessSlowSource: ByteSource {
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        usleep(20_000)
        buffer[0] = 0x42
        return 1
    }
}

/// These tests run the real child: `swift test` builds the `amanah` executable with the tests. They fail
/// (with `spawnFailed`) rather than skip when it is missing.
@Suite("Sandbox child process")
struct SandboxTests {
    let client = SandboxClient(executablePath: amanahPath)

    @Test func theAmanahExecutableIsThere() {
        #expect(FileManager.default.isExecutableFile(atPath: amanahPath), "build it with swift build: \(amanahPath)")
    }

    @Test(arguments: ["C02-xmp-only-gps-extended.jpg", "C03-panasonic-makernote-serial.jpg", "C08-samsung-sef-motionphoto.jpg",
                      "C04-png-all-metadata-chunks.png", "C05-webp-exif-with-prefix.webp", "C13-pillow-ztxt-bomb.png",
                      "C20-arabic-metadata.jpg", "C09-acropalypse-snippingtool-crop.png"])
    func metadataMatchesInProcessExtraction(_ name: String) throws {
        let bytes = try Vectors.caseFile(name)
        let report = try client.extractMetadata(from: MemorySource(bytes))
        #expect(report == MetadataExtractor.extract(bytes: bytes))
        #expect(!report.identifyingSummary.isEmpty)
    }

    @Test func metadataOfASamplePhotograph() throws {
        let report = try client.extractMetadata(from: MemorySource(try Vectors.sample("DSCN0021.jpg")))
        #expect(report.make == "NIKON" && report.gps.first?.source == .exif)
    }

    @Test func inputStreamsFromAFileDescriptor() throws {
        let handle = try FileHandleFD.openForReading(Vectors.cases.appendingPathComponent("C03-exif23-serials-owner.jpg").path)
        let report = try client.extractMetadata(from: handle)
        #expect(report.serialNumbers.contains { $0.value == "SN-000000000042" })
    }

    @Test(arguments: [1, 6, 7])
    func derivativeThroughTheSandbox(_ o: Int) throws {
        let d = try client.makeDerivative(from: MemorySource(try Vectors.caseFile("C12-orient-\(o).jpg")),
                                          request: DerivativeRequest(regions: [c12Region]))
        #expect(d.width == 640 && d.height == 480 && d.appliedOrientation == o)
        #expect(try derivativeProblems(d, secrets: try Vectors.secrets()).isEmpty)
        let decoded = try DerivativeMaker.decodeRGB(d.bytes)
        #expect(OutputChecks.isBlack(decoded.pixels, width: 640, rect: PixelRect(x0: 40, y0: 40, x1: 240, y1: 160)))
    }

    @Test(arguments: ["C03-exif23-serials-owner.jpg", "C04-png-all-metadata-chunks.png", "C05-pillow-flower-exif.webp",
                      "heif-from-C03-exif23.heic", "tiff-orient6-exif-gps.tif"])
    func everyFormatThroughTheSandbox(_ name: String) throws {
        let bytes = name.hasPrefix("C") ? try Vectors.caseFile(name) : try generatedFile(name)
        for format in DerivativeRequest.Format.allCases {
            let regions = name.contains("orient") ? [c12Region] : []
            let d = try client.makeDerivative(from: MemorySource(bytes), request: DerivativeRequest(regions: regions, format: format))
            #expect(try derivativeProblems(d, secrets: try Vectors.secrets()).isEmpty, "\(name) \(format)")
        }
        let report = try client.extractMetadata(from: MemorySource(bytes))
        #expect(report.identifyingSummary.contains { $0.hasPrefix("camera make") })
    }

    @Test func heifThroughTheSandbox() throws {
        let d = try client.makeDerivative(from: MemorySource(try generatedFile("heif-orient6-irot.heic")),
                                          request: DerivativeRequest(regions: [c12Region], format: .png))
        #expect(d.format == .png && d.width == 640 && d.height == 480)
        #expect(OutputChecks.pngStructure(d.bytes).isEmpty)
    }

    /// C13: refused from the header, in a child limited to 256 MiB of address space and 2 s of CPU.
    @Test(arguments: ["C13-jpeg-65500x65500.jpg", "C13-png-huge-dims-truncated.png", "C13-png-1bit-2.5gigapixel.png",
                      "C13-pillow-decompression-bomb.gif"])
    func bombsAreRefusedWithinBudget(_ name: String) throws {
        var limits = SandboxLimits.derivative
        limits.addressSpaceBytes = 256 << 20
        limits.cpuSeconds = 2
        limits.timeoutSeconds = 30
        do {
            _ = try client.makeDerivative(from: MemorySource(try Vectors.caseFile(name)), request: DerivativeRequest(), limits: limits)
            Issue.record("\(name) was not refused")
        } catch let error as SandboxError {
            guard case .refused(.dimensionsExceedLimit) = error else { Issue.record("\(name): \(error)"); return }
            #expect(error.description.hasPrefix("rejected: dimensions exceed limit"))
        }
        // Metadata of the same bombs is read within the same budget.
        var metadataLimits = SandboxLimits.metadata
        metadataLimits.addressSpaceBytes = 256 << 20
        metadataLimits.cpuSeconds = 2
        let report = try client.extractMetadata(from: MemorySource(try Vectors.caseFile(name)), limits: metadataLimits)
        #expect((report.pixelWidth ?? 0) * (report.pixelHeight ?? 0) > 100_000_000)
    }

    /// Damaged files make the decoders take their error paths (warnings, longjmp, partial images) under
    /// the seccomp filter: each gives a derivative or a typed refusal, never a forbidden system call or a
    /// malformed result.
    @Test(arguments: ["C12-orient-6.jpg", "C02-png-itxt-xmp-gps.png", "C05-webp-exif-xmp-iccp.webp", "C01-exif-thumbnail-unredacted.jpg",
                      "heif-orient6-irot.heic", "tiff-orient6-exif-gps.tif"])
    func damagedFilesFailCleanlyUnderSeccomp(_ name: String) throws {
        let original = name.hasPrefix("C") ? try Vectors.caseFile(name) : try generatedFile(name)
        let start = MetadataExtractor.extract(bytes: original).chunks.first { ["SOS", "IDAT", "VP8", "mdat"].contains($0.name) }?.offset ?? 1000
        var seed: UInt64 = 12345
        for round in 0..<6 {
            var bytes = original
            for _ in 0..<(round * 8 + 1) {
                seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let at = start + Int(seed >> 33) % (bytes.count - start)
                bytes[at] = UInt8(truncatingIfNeeded: seed >> 13)
            }
            if round == 5 { bytes = Array(bytes.prefix(start + (bytes.count - start) / 2)) }
            do {
                let d = try client.makeDerivative(from: MemorySource(bytes), request: DerivativeRequest())
                #expect(OutputChecks.jpegStructure(d.bytes).isEmpty)
            } catch let error as SandboxError {
                switch error {
                case .refused, .crashed: break  // a decoder crash is still only this file's error
                default: Issue.record("\(name) round \(round): \(error)")
                }
            }
        }
    }

    @Test func refusedRegionsComeBackTyped() throws {
        let wrong = MaskRegion(x: 0, y: 0, width: 10, height: 10, displayWidth: 480, displayHeight: 640)
        #expect(throws: SandboxError.self) {
            try client.makeDerivative(from: MemorySource(try Vectors.caseFile("C12-orient-6.jpg")), request: DerivativeRequest(regions: [wrong]))
        }
        do {
            _ = try client.makeDerivative(from: MemorySource(try Vectors.caseFile("C12-orient-6.jpg")), request: DerivativeRequest(regions: [wrong]))
        } catch SandboxError.refused(.invalidRegion(let detail)) {
            #expect(detail.contains("480x640") && detail.contains("640x480"))
        }
    }

    @Test func timeoutKillsTheChild() throws {
        var limits = SandboxLimits.metadata
        limits.timeoutSeconds = 0.5
        #expect(throws: SandboxError.timedOut(seconds: 0.5)) { try client.extractMetadata(from: EndlessSlowSource(), limits: limits) }
    }

    @Test func addressSpaceLimitIsAResourceError() throws {
        var limits = SandboxLimits.derivative
        limits.addressSpaceBytes = 96 << 20  // too little for libvips to start: its allocations fail
        #expect(throws: SandboxError.resourceLimit("address space (\(96 << 20) bytes)")) {
            try client.makeDerivative(from: MemorySource(try Vectors.caseFile("C09-acropalypse-snippingtool-crop.png")),
                                      request: DerivativeRequest(), limits: limits)
        }
    }

    @Test func oversizedInputIsRefused() throws {
        var limits = SandboxLimits.metadata
        limits.maxInputBytes = 1000
        #expect(throws: SandboxError.inputTooLarge(limit: 1000)) {
            try client.extractMetadata(from: MemorySource(try Vectors.caseFile("C01-exif-thumbnail-unredacted.jpg")), limits: limits)
        }
    }

    // Misbehaving children, played by small shell scripts in place of the amanah binary.
    private func script(_ body: String, in folder: TemporaryFolder) throws -> String {
        let path = folder.url.appendingPathComponent("child.sh").path
        try ("#!/bin/sh\n" + body + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    @Test func crashExitAndGarbageAreClearErrors() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let input = MemorySource(Array("not read".utf8))
        let crash = SandboxClient(executablePath: try script("kill -SEGV $$", in: folder))
        #expect(throws: SandboxError.crashed(signal: 11, name: "SIGSEGV", diagnostics: "")) { try crash.extractMetadata(from: input) }
        let exits = SandboxClient(executablePath: try script("echo oops >&2; exit 3", in: folder))
        #expect(throws: SandboxError.exited(status: 3, diagnostics: "oops\n")) { try exits.extractMetadata(from: input) }
        let garbage = SandboxClient(executablePath: try script("cat > /dev/null; echo hello", in: folder))
        #expect(throws: SandboxError.malformedOutput("bad result frame")) { try garbage.extractMetadata(from: input) }
        let cpu = SandboxClient(executablePath: try script("kill -XCPU $$", in: folder))
        #expect(throws: SandboxError.resourceLimit("CPU time (20 s)")) { try cpu.extractMetadata(from: input) }
        let fileSize = SandboxClient(executablePath: try script("kill -XFSZ $$", in: folder))
        #expect(throws: SandboxError.resourceLimit("file size")) { try fileSize.extractMetadata(from: input) }
        let seccomp = SandboxClient(executablePath: try script("kill -SYS $$", in: folder))
        #expect(throws: SandboxError.sandboxViolation(diagnostics: "")) { try seccomp.extractMetadata(from: input) }
        let missing = SandboxClient(executablePath: folder.url.appendingPathComponent("absent").path)
        #expect(throws: SandboxError.self) { try missing.extractMetadata(from: input) }
    }

    @Test func childGetsNoEnvironmentNoDescriptorsAndNoVaultDirectory() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        // A descriptor the parent opened without O_CLOEXEC must not reach the child.
        let opened = open(Vectors.cases.appendingPathComponent("SECRETS.txt").path, O_RDONLY)
        let leaked: Int32 = 77
        #expect(dup2(opened, leaked) == leaked)
        close(opened)
        defer { close(leaked) }
        let report = folder.url.appendingPathComponent("seen.txt").path
        let child = SandboxClient(executablePath: try script(
            "exec > \(report); tr '\\0' '\\n' < /proc/$$/environ; echo --; ls /proc/$$/fd; echo --; pwd; exit 9", in: folder))
        #expect(throws: SandboxError.self) { try child.extractMetadata(from: MemorySource([1, 2, 3])) }
        let seen = try String(contentsOfFile: report, encoding: .utf8).split(separator: "--", omittingEmptySubsequences: false)
        #expect(seen.count == 3)
        let environment = seen[0].split(separator: "\n").filter { !$0.isEmpty }
        #expect(environment == ["SWIFT_BACKTRACE=enable=no"], "\(environment)")
        let descriptors = Set(seen[1].split(separator: "\n").compactMap { Int32($0) })
        #expect(!descriptors.contains(leaked), "\(descriptors)")
        // Besides 0, 1 and 2 only the shell's own script descriptor (dash: 10, bash: 255) may be open.
        #expect(descriptors.subtracting([0, 1, 2]).allSatisfy { $0 >= 10 && $0 != leaked }, "\(descriptors)")
        #expect(descriptors.isSuperset(of: [0, 1, 2]))
        #expect(seen[2].trimmingCharacters(in: .whitespacesAndNewlines) == "/")
    }
}

/// The same children forked by the sandbox fork server (what `amanah` itself uses): the same results, the
/// same limits, a server that holds nothing, and a fallback to spawning when the server cannot start.
///
/// Serialized: every test here uses the one fork server this process keeps for `amanah`
/// (`SandboxForkServer.shared(for:)`), and some retire it (a child killed by a signal) or inspect its
/// process, which would disturb a test running beside them. No other suite uses a fork server.
@Suite("Sandbox fork server", .serialized)
struct SandboxForkServerTests {
    let forked = SandboxClient(executablePath: amanahPath, forkServer: true)
    let spawned = SandboxClient(executablePath: amanahPath)

    @Test(arguments: ["C02-xmp-only-gps-extended.jpg", "C04-png-all-metadata-chunks.png", "C05-webp-exif-with-prefix.webp",
                      "C20-arabic-metadata.jpg"])
    func forkedChildrenGiveWhatSpawnedChildrenGive(_ name: String) throws {
        let bytes = try Vectors.caseFile(name)
        let report = try forked.extractMetadata(from: MemorySource(bytes))
        #expect(report == MetadataExtractor.extract(bytes: bytes))
        #expect(report == (try spawned.extractMetadata(from: MemorySource(bytes))))
        #expect(!report.identifyingSummary.isEmpty)
    }

    @Test func aWrongSizeHintChangesNothing() throws {
        let bytes = try Vectors.caseFile("C02-xmp-only-gps-extended.jpg")
        let expected = MetadataExtractor.extract(bytes: bytes)
        for hint in [0, 10, UInt64(bytes.count), UInt64(bytes.count) * 3] {
            #expect(try forked.extractMetadata(from: MemorySource(bytes), sizeHint: hint) == expected, "hint \(hint)")
        }
        var limits = SandboxLimits.metadata
        limits.maxInputBytes = 1000
        #expect(throws: SandboxError.inputTooLarge(limit: 1000)) {
            try forked.extractMetadata(from: MemorySource(bytes), limits: limits, sizeHint: UInt64(bytes.count))
        }
    }

    @Test func derivativesAreNeverForked() throws {
        // Image decoding (libvips) keeps a freshly started process per file, even for a fork-server client.
        let bytes = try Vectors.caseFile("C12-orient-6.jpg")
        let request = DerivativeRequest(regions: [c12Region])
        let a = try forked.makeDerivative(from: MemorySource(bytes), request: request)
        let b = try spawned.makeDerivative(from: MemorySource(bytes), request: request)
        #expect(a.bytes == b.bytes && a.width == 640 && a.appliedOrientation == 6)
        #expect(try derivativeProblems(a, secrets: try Vectors.secrets()).isEmpty)
    }

    @Test func aChildKilledBySignalRetiresItsServer() throws {
        _ = try forked.extractMetadata(from: MemorySource(try Vectors.caseFile("C20-arabic-metadata.jpg")))
        let before = try #require(SandboxForkServer.shared(for: amanahPath)).pid
        var slow = SandboxLimits.metadata
        slow.timeoutSeconds = 0.5
        #expect(throws: SandboxError.timedOut(seconds: 0.5)) { try forked.extractMetadata(from: EndlessSlowSource(), limits: slow) }
        // Killed by a signal: later files get a fresh server (and so a fresh memory layout).
        let report = try forked.extractMetadata(from: MemorySource(try Vectors.sample("DSCN0021.jpg")))
        #expect(report.make == "NIKON")
        let after = try #require(SandboxForkServer.shared(for: amanahPath)).pid
        #expect(after != before)
    }

    @Test func manyThreadsShareOneServer() throws {
        let names = ["C02-xmp-only-gps-extended.jpg", "C03-panasonic-makernote-serial.jpg", "C20-arabic-metadata.jpg"]
        let inputs = try names.map { try Vectors.caseFile($0) }
        let expected = inputs.map { MetadataExtractor.extract(bytes: $0) }
        let mismatches = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 24) { index in
            let report = try? forked.extractMetadata(from: MemorySource(inputs[index % inputs.count]))
            if report != expected[index % inputs.count] { mismatches.withLock { $0 += 1 } }
        }
        #expect(mismatches.withLock { $0 } == 0)
    }

    @Test func theServerHoldsNoEnvironmentNoDescriptorsAndNoPrivileges() throws {
        _ = try forked.extractMetadata(from: MemorySource(try Vectors.caseFile("C20-arabic-metadata.jpg")))
        let server = try #require(SandboxForkServer.shared(for: amanahPath))
        let environ = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(server.pid)/environ"))
        #expect(Array(environ) == Array("SWIFT_BACKTRACE=enable=no\0LD_BIND_NOW=1\0".utf8))
        let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(server.pid)/fd").sorted()
        #expect(descriptors == ["0", "1", "2"])
        let zero = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(server.pid)/fd/0")
        #expect(zero.hasPrefix("socket:"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(server.pid)/fd/1") == "/dev/null")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(server.pid)/cwd") == "/")
        let status = try String(contentsOfFile: "/proc/\(server.pid)/status", encoding: .utf8)
        #expect(status.contains("NoNewPrivs:\t1"))
        #expect(status.contains("Threads:\t1\n"))
    }

    @Test func aProgramThatIsNoForkServerFallsBackToSpawning() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.url.appendingPathComponent("child.sh").path
        try "#!/bin/sh\necho oops >&2; exit 3\n".write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o755)
        let client = SandboxClient(executablePath: path, forkServer: true)
        #expect(throws: SandboxError.exited(status: 3, diagnostics: "oops\n")) { try client.extractMetadata(from: MemorySource([1])) }
        #expect(SandboxForkServer.shared(for: path) == nil)
    }
}

/// A value shared between threads under a lock.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T { lock.lock(); defer { lock.unlock() }; return body(&value) }
}
