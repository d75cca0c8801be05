import VaultPlatform
import Foundation
import VaultCrypto

/// Helpers shared by the VaultFormats tests.
enum TestSupport {
    /// `Tests/VaultFormatsTests/Vectors`, found from this file's path.
    static let vectorsDirectory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Vectors")

    /// The bytes of a vector file, `Vectors/<relativePath>`.
    static func vector(_ relativePath: String) throws -> [UInt8] {
        Array(try Data(contentsOf: vectorsDirectory.appendingPathComponent(relativePath)))
    }

    /// Runs `body` with a fresh temporary folder that is removed afterwards.
    static func withTemporaryDirectory<R>(_ body: (URL) throws -> R) throws -> R {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("amanah-formats-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: url) }
        return try body(url)
    }

    /// Deterministic pseudo-random bytes (a simple xorshift stream), for payloads of any size.
    static func pattern(count: Int, seed: UInt64 = 0x9e37_79b9_7f4a_7c15) -> [UInt8] {
        var state = seed | 1
        var out = [UInt8](repeating: 0, count: count)
        for index in 0..<count {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            out[index] = UInt8(truncatingIfNeeded: state)
        }
        return out
    }

    /// The full path of an executable named `name` on PATH, if there is one.
    static func executable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = String(directory) + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Result of running a tool.
    struct ToolResult {
        let status: Int32
        let standardOutput: [UInt8]
        let standardError: String
    }

    /// Runs `tool` with `arguments` in `directory`, standard input from /dev/null (or `input`), and waits.
    static func run(_ tool: String, _ arguments: [String], in directory: URL, input: [UInt8]? = nil) throws -> ToolResult {
        guard let path = executable(tool) else { throw ToolMissing(name: tool) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        let inputPipe = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : inputPipe
        try process.run()
        if let input {
            try inputPipe.fileHandleForWriting.write(contentsOf: Data(input))
            try inputPipe.fileHandleForWriting.close()
        }
        // Read both pipes to the end before waiting, so a chatty tool never blocks on a full pipe.
        let group = DispatchGroup()
        nonisolated(unsafe) var errorData = Data()
        group.enter()
        DispatchQueue.global().async {
            errorData = error.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return ToolResult(status: process.terminationStatus, standardOutput: Array(outputData),
                          standardError: String(decoding: errorData, as: UTF8.self))
    }

    struct ToolMissing: Error { let name: String }
}

/// A sink that hashes everything written to it (SHA-256) and counts the bytes.
struct HashingSink: ByteSink {
    private var hasher = ContentHasher()
    private(set) var count = 0

    mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        hasher.update(bytes)
        count += bytes.count
    }

    var digest: [UInt8] { hasher.finalize() }
}

/// A source that yields its bytes in small, irregular pieces, to exercise short reads.
struct TricklingSource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0
    private var step = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        step = (step + 1) % 7
        let n = Swift.min(buffer.count, bytes.count - offset, 1 + step * 997)
        if n > 0 {
            bytes.withUnsafeBytes { source in
                buffer.baseAddress!.copyMemory(from: source.baseAddress! + offset, byteCount: n)
            }
            offset += n
        }
        return n
    }
}
