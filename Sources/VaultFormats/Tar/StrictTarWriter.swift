import VaultPlatform
internal import VaultText
import VaultCrypto

/// Writes a deterministic POSIX ustar archive: only regular files (mode 0644) and folders (mode 0755),
/// uid and gid 0, empty user and group names, one modification time for every member, names chosen by the
/// caller and checked by `TarName.checkGenerated` (portable ASCII, at most 100 bytes, relative, no `..`),
/// given in strictly increasing byte order, and two zero blocks at the end (no padding to a 10 KiB record).
/// File content streams from a `ByteSource` in 64 KiB pieces.
///
/// The same entries and time always give the same bytes. On an error the archive is incomplete and must be
/// discarded.
public struct StrictTarWriter<Sink: ByteSink> {
    /// The sink receiving the archive.
    public private(set) var sink: Sink
    /// The modification time of every member, in seconds since 1970-01-01 UTC.
    public let modificationTime: UInt64
    private var previousName: [UInt8]? = nil
    private var foldedNames: Set<String> = []
    private var fileNames: Set<String> = []
    private var finished = false

    /// A writer over `sink`.
    /// - Throws: `TarError.invalidModificationTime` if the time does not fit the 11-digit octal field.
    public init(sink: Sink, modificationTime: UInt64) throws {
        guard modificationTime <= TarHeader.maximumOctal11 else { throw TarError.invalidModificationTime(modificationTime) }
        self.sink = sink
        self.modificationTime = modificationTime
    }

    /// Adds a folder (written as `name/`).
    /// - Throws: `TarError.invalidName`, `.outOfOrder`, `.duplicateName`, `.io`.
    public mutating func addFolder(_ name: String) throws {
        try admit(name, isFolder: true)
        try write(TarHeader.block(name: Array((name + "/").utf8), isFolder: true, size: 0, modificationTime: modificationTime))
    }

    /// Adds a regular file of `size` bytes read from `content`, which must yield exactly that many bytes.
    /// - Throws: `TarError.invalidName`, `.outOfOrder`, `.duplicateName`, `.fileTooLarge`, `.sizeMismatch`,
    ///   `.io`.
    public mutating func addFile<Source: ByteSource>(_ name: String, size: UInt64, content: inout Source) throws {
        guard size <= TarHeader.maximumOctal11 else { throw TarError.fileTooLarge(name: TerminalText.escaped(name), size: size) }
        try admit(name, isFolder: false)
        try write(TarHeader.block(name: Array(name.utf8), isFolder: false, size: size, modificationTime: modificationTime))
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var remaining = size
        while remaining > 0 {
            let want = Int(Swift.min(UInt64(buffer.count), remaining))
            let got: Int
            do {
                got = try buffer.withUnsafeMutableBytes { (raw) throws -> Int in
                    try content.readFully(into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<want]))
                }
            } catch { throw TarError.io("reading \(TerminalText.escaped(name)): \(error)") }
            guard got == want else {
                throw TarError.sizeMismatch(name: TerminalText.escaped(name), declared: size, actual: size - remaining + UInt64(got))
            }
            try buffer.withUnsafeBytes { (raw) throws in try write(UnsafeRawBufferPointer(rebasing: raw[0..<got])) }
            remaining -= UInt64(got)
        }
        var probe: UInt8 = 0
        let extra: Int
        do { extra = try withUnsafeMutableBytes(of: &probe) { (raw) throws -> Int in try content.readFully(into: raw) } } catch {
            throw TarError.io("reading \(TerminalText.escaped(name)): \(error)")
        }
        guard extra == 0 else { throw TarError.sizeMismatch(name: TerminalText.escaped(name), declared: size, actual: size + 1) }
        let padding = Int((UInt64(TarHeader.blockSize) - size % UInt64(TarHeader.blockSize)) % UInt64(TarHeader.blockSize))
        if padding > 0 { try write([UInt8](repeating: 0, count: padding)) }
    }

    /// Ends the archive with two zero blocks. Nothing may be added afterwards.
    /// - Throws: `TarError.io`.
    public mutating func finish() throws {
        precondition(!finished, "finish called twice")
        finished = true
        try write([UInt8](repeating: 0, count: 2 * TarHeader.blockSize))
    }

    /// One member for `write(_:modificationTime:to:)`.
    public struct Member {
        /// The member name (without a folder's trailing `/`).
        public let name: String
        /// A folder, or a file with its size and a function opening its content.
        public let kind: Kind

        public enum Kind {
            /// A folder.
            case folder
            /// A regular file of `size` bytes; `open` is called once, when the file is written.
            case file(size: UInt64, open: () throws -> any ByteSource)
        }

        public init(name: String, kind: Kind) {
            self.name = name
            self.kind = kind
        }
    }

    /// Writes a whole archive of `members`, sorted into byte order of their names, and finishes it.
    /// - Throws: as `addFolder`, `addFile` and `finish`, or what `open` throws.
    public static func write(_ members: [Member], modificationTime: UInt64, to sink: inout Sink) throws {
        var writer = try StrictTarWriter(sink: sink, modificationTime: modificationTime)
        defer { sink = writer.sink }
        for member in members.sorted(by: { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }) {
            switch member.kind {
            case .folder: try writer.addFolder(member.name)
            case let .file(size, open):
                var source = try open()
                try writer.addFile(member.name, size: size, content: &source)
            }
        }
        try writer.finish()
    }

    private mutating func admit(_ name: String, isFolder: Bool) throws {
        precondition(!finished, "add after finish")
        if let problem = TarName.checkGenerated(name, isFolder: isFolder) {
            throw TarError.invalidName(TerminalText.escaped(name), problem)
        }
        let bytes = Array(name.utf8)
        let folded = name.lowercased()
        guard !foldedNames.contains(folded) else { throw TarError.duplicateName(name) }
        if let previousName, !previousName.lexicographicallyPrecedes(bytes) {
            throw TarError.outOfOrder(previous: String(decoding: previousName, as: UTF8.self), next: name)
        }
        // A file cannot also be a folder on the way to another member.
        var ancestor = Substring(folded)
        while let slash = ancestor.lastIndex(of: "/") {
            ancestor = ancestor[..<slash]
            if fileNames.contains(String(ancestor)) {
                throw TarError.invalidName(TerminalText.escaped(name), .notPortable("\(ancestor) is a file, not a folder"))
            }
        }
        foldedNames.insert(folded)
        if !isFolder { fileNames.insert(folded) }
        previousName = bytes
    }

    private mutating func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { (raw) throws in try write(raw) }
    }

    private mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        do { try sink.write(bytes) } catch { throw TarError.io("writing the archive: \(error)") }
    }
}
