import VaultPlatform
internal import VaultText
import VaultCrypto

/// One member of a strict tar archive.
public struct TarEntry: Equatable, Sendable {
    /// A regular file or a folder: the only kinds the strict format has.
    public enum Kind: Equatable, Sendable {
        case file
        case folder
    }

    /// The member name, checked by `TarName.check`, without a folder's trailing `/`.
    public let name: String
    /// File or folder.
    public let kind: Kind
    /// Content length in bytes (0 for folders).
    public let size: UInt64
    /// Permission bits from the header (masked to 0o7777); extraction should use its own fixed modes.
    public let mode: UInt32
    /// Modification time, seconds since 1970-01-01 UTC.
    public let modificationTime: UInt64
}

/// Reads a tar archive from an untrusted source, one entry at a time in bounded memory, refusing anything
/// beyond plain files and folders with safe names.
///
/// Accepted: POSIX ustar headers (`ustar\0` `00`, with the `prefix` field joined as `prefix/name`) and the
/// old GNU magic (`ustar  \0`, whose extra fields must be zero); type `0` (or NUL) regular files and type
/// `5` folders, with an empty link name; octal number fields.
///
/// Refused, with the reason (`TarError`): a bad header checksum; other magic (v7 or unknown formats);
/// symbolic and hard links, devices, FIFOs, contiguous files, PAX `x`/`g` records and GNU `L`/`K` long names
/// and any other type; base-256 numbers; unsafe names (`TarName.check`: absolute, drive letters, `..` after
/// splitting on `/` and `\`, backslashes, empty or `.` components, components over 255 bytes, control,
/// bidirectional and invisible characters, invalid UTF-8); names that collide with an earlier member after
/// NFC and case folding (`TarName.collisionKey`), including a member under a path that was a file; an
/// archive that ends early or without two zero blocks; and any non-zero byte after the two zero blocks
/// (zero padding to the end, as tar's 10 KiB records add, is accepted).
public struct StrictTarReader<Source: ByteSource> {
    /// The most entries an archive may have.
    public static var maximumEntries: Int { 1_000_000 }

    /// The underlying source.
    public private(set) var source: Source
    private var offset: UInt64 = 0
    private var remaining: UInt64 = 0
    private var padding: UInt64 = 0
    private var ended = false
    private var entryCount = 0
    private var folded: [String: String] = [:]       // collision key -> display name of an explicit member
    private var foldedFiles: Set<String> = []         // collision keys of regular files
    private var foldedAncestors: [String: String] = [:]  // collision keys of implied folders -> display name

    /// A reader over `source`.
    public init(source: Source) { self.source = source }

    /// The next entry's header, skipping whatever is left of the previous entry's content; nil after the
    /// end marker (once the rest of the source has been checked to be zero).
    /// - Throws: `TarError` as listed on the type.
    public mutating func next() throws -> TarEntry? {
        if ended { return nil }
        try skipRest()
        let headerOffset = offset
        guard let block = try readBlock(what: "a header") else {
            throw TarError.truncated("the archive ends without its end marker (two zero blocks)")
        }
        if block.allSatisfy({ $0 == 0 }) {
            guard let second = try readBlock(what: "the end marker") else {
                throw TarError.truncated("the archive ends after a single zero block")
            }
            guard second.allSatisfy({ $0 == 0 }) else {
                throw TarError.malformedHeader(offset: headerOffset, "a single zero block inside the archive")
            }
            try checkTrailingZeros()
            ended = true
            return nil
        }
        let entry = try parse(block, at: headerOffset)
        entryCount += 1
        guard entryCount <= Self.maximumEntries else { throw TarError.tooManyEntries(Self.maximumEntries) }
        try admit(entry)
        remaining = entry.size
        padding = (UInt64(TarHeader.blockSize) - entry.size % UInt64(TarHeader.blockSize)) % UInt64(TarHeader.blockSize)
        return entry
    }

    /// Reads the current entry's content into `buffer`; returns 0 at the end of the entry.
    /// - Throws: `TarError.truncated` if the archive ends inside the content; `.io`.
    public mutating func readContent(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard remaining > 0, buffer.count > 0 else { return 0 }
        let want = Int(Swift.min(UInt64(buffer.count), remaining))
        let got = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]))
        guard got == want else { throw TarError.truncated("the archive ends inside a member's content") }
        remaining -= UInt64(got)
        return got
    }

    /// Copies the rest of the current entry's content to `sink`. Returns the number of bytes copied.
    /// - Throws: as `readContent`; `TarError.io` if the sink fails.
    @discardableResult
    public mutating func copyContent<Sink: ByteSink>(to sink: inout Sink) throws -> UInt64 {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var total: UInt64 = 0
        while true {
            let n = try buffer.withUnsafeMutableBytes { (raw) throws -> Int in try readContent(into: raw) }
            if n == 0 { return total }
            do { try buffer.withUnsafeBytes { (raw) throws in try sink.write(UnsafeRawBufferPointer(rebasing: raw[0..<n])) } } catch {
                throw TarError.io("writing member content: \(error)")
            }
            total += UInt64(n)
        }
    }

    private mutating func skipRest() throws {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var toSkip = remaining + padding
        while toSkip > 0 {
            let want = Int(Swift.min(UInt64(buffer.count), toSkip))
            let got = try buffer.withUnsafeMutableBytes { (raw) throws -> Int in
                try read(into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<want]))
            }
            guard got == want else { throw TarError.truncated("the archive ends inside a member's content") }
            toSkip -= UInt64(got)
        }
        remaining = 0
        padding = 0
    }

    private mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n: Int
        do { n = try source.readFully(into: buffer) } catch { throw TarError.io("reading the archive: \(error)") }
        offset += UInt64(n)
        return n
    }

    /// One whole block, nil at a clean end of the source; a partial block is `truncated`.
    private mutating func readBlock(what: String) throws -> [UInt8]? {
        var block = [UInt8](repeating: 0, count: TarHeader.blockSize)
        let n = try block.withUnsafeMutableBytes { (raw) throws -> Int in try read(into: raw) }
        if n == 0 { return nil }
        guard n == TarHeader.blockSize else { throw TarError.truncated("the archive ends inside \(what)") }
        return block
    }

    private mutating func checkTrailingZeros() throws {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let start = offset
            let n = try buffer.withUnsafeMutableBytes { (raw) throws -> Int in try read(into: raw) }
            if n == 0 { return }
            if let index = buffer[0..<n].firstIndex(where: { $0 != 0 }) {
                throw TarError.dataAfterEndMarker(offset: start + UInt64(index))
            }
        }
    }

    private func parse(_ block: [UInt8], at headerOffset: UInt64) throws -> TarEntry {
        guard let stored = TarHeader.parseOctal(block[148..<156]) else {
            throw TarError.malformedHeader(offset: headerOffset, "the checksum field is not an octal number")
        }
        guard stored == TarHeader.checksum(block) else { throw TarError.badChecksum(offset: headerOffset) }

        let magic = Array(block[257..<265])
        let isPOSIX = magic == Array("ustar".utf8) + [0] + Array("00".utf8)
        let isOldGNU = magic == Array("ustar  ".utf8) + [0]
        guard isPOSIX || isOldGNU else {
            throw TarError.unsupportedFormat(offset: headerOffset, "no ustar magic (pre-POSIX or unknown tar format)")
        }

        var nameBytes = TarHeader.text(block[0..<100])
        if isPOSIX {
            let prefix = TarHeader.text(block[345..<500])
            if !prefix.isEmpty { nameBytes = prefix + [UInt8(ascii: "/")] + nameBytes }
        } else if !block[345..<500].allSatisfy({ $0 == 0 }) {
            throw TarError.unsupportedFormat(offset: headerOffset, "GNU extension fields (sparse, incremental) are used")
        }

        let flag = block[156]
        let kind: TarEntry.Kind
        switch flag {
        case TarHeader.typeRegular, 0: kind = .file
        case TarHeader.typeDirectory: kind = .folder
        default:
            throw TarError.unsupportedEntryType(name: TarName.escaped(bytes: nameBytes), type: TarHeader.typeName(flag))
        }
        guard block[157..<257].allSatisfy({ $0 == 0 }) else {
            throw TarError.malformedHeader(offset: headerOffset, "a file or folder entry carries a link name")
        }
        if block[124] & 0x80 != 0 {
            throw TarError.malformedHeader(offset: headerOffset, "base-256 size encoding is not supported")
        }
        guard let size = TarHeader.parseOctal(block[124..<136]) else {
            throw TarError.malformedHeader(offset: headerOffset, "the size field is not an octal number")
        }
        guard let mode = TarHeader.parseOctal(block[100..<108]) else {
            throw TarError.malformedHeader(offset: headerOffset, "the mode field is not an octal number")
        }
        guard let modificationTime = TarHeader.parseOctal(block[136..<148]) else {
            throw TarError.malformedHeader(offset: headerOffset, "the modification time field is not an octal number")
        }
        if kind == .folder {
            guard size == 0 else { throw TarError.malformedHeader(offset: headerOffset, "a folder entry has content") }
            if nameBytes.last == UInt8(ascii: "/") { nameBytes.removeLast() }
        }
        guard let name = String(validating: nameBytes, as: UTF8.self) else {
            throw TarError.unsafeName(TarName.escaped(bytes: nameBytes), .notUTF8)
        }
        if let problem = TarName.check(name) { throw TarError.unsafeName(TerminalText.escaped(name), problem) }
        return TarEntry(name: name, kind: kind, size: size, mode: UInt32(truncatingIfNeeded: mode & 0o7777),
                        modificationTime: modificationTime)
    }

    /// Refuses a name that collides with an earlier member after NFC and case folding, a member below a
    /// file, and a file where an earlier member implied a folder.
    private mutating func admit(_ entry: TarEntry) throws {
        let shown = TerminalText.escaped(entry.name)
        let key = TarName.collisionKey(entry.name)
        if let earlier = folded[key] { throw TarError.nameCollision(shown, earlier: earlier) }
        if entry.kind == .file, let earlier = foldedAncestors[key] {
            throw TarError.nameCollision(shown, earlier: earlier)
        }
        var ancestor = Substring(key)
        var ancestors: [String] = []
        while let slash = ancestor.lastIndex(of: "/") {
            ancestor = ancestor[..<slash]
            let ancestorKey = String(ancestor)
            if foldedFiles.contains(ancestorKey) {
                throw TarError.nameCollision(shown, earlier: folded[ancestorKey] ?? ancestorKey)
            }
            ancestors.append(ancestorKey)
        }
        folded[key] = shown
        if entry.kind == .file { foldedFiles.insert(key) }
        for ancestorKey in ancestors where foldedAncestors[ancestorKey] == nil { foldedAncestors[ancestorKey] = shown }
    }
}
