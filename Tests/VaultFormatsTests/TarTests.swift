import VaultPlatform
import VaultText
import Foundation
import Testing
import VaultCrypto
import VaultFormats

/// Builds raw ustar header blocks with any content (names and types the writer refuses), with a correct
/// checksum unless told otherwise. Independent of the implementation under test.
enum RawTar {
    static func header(name: [UInt8], type: UInt8 = UInt8(ascii: "0"), size: Int = 0, linkName: [UInt8] = [],
                       magic: [UInt8] = Array("ustar\u{0}00".utf8), prefix: [UInt8] = [], sizeField: [UInt8]? = nil,
                       breakChecksum: Bool = false) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ bytes: [UInt8], _ offset: Int) { for (i, b) in bytes.enumerated() { block[offset + i] = b } }
        func octal(_ value: Int, _ digits: Int) -> [UInt8] {
            let text = String(value, radix: 8)
            return Array((String(repeating: "0", count: digits - text.count) + text).utf8) + [0]
        }
        put(name, 0)
        put(octal(0o644, 7), 100)
        put(octal(0, 7), 108)
        put(octal(0, 7), 116)
        put(sizeField ?? octal(size, 11), 124)
        put(octal(1_700_000_000, 11), 136)
        block[156] = type
        put(linkName, 157)
        put(magic, 257)
        put(prefix, 345)
        put([UInt8](repeating: 0x20, count: 8), 148)
        var sum = block.reduce(0) { $0 + Int($1) }
        if breakChecksum { sum += 1 }
        put(Array(String(format: "%06o", sum).utf8) + [0, 0x20], 148)
        return block
    }

    static func member(_ name: String, type: UInt8 = UInt8(ascii: "0"), content: [UInt8] = []) -> [UInt8] {
        header(name: Array(name.utf8), type: type, size: content.count) + padded(content)
    }

    static func padded(_ content: [UInt8]) -> [UInt8] {
        content + [UInt8](repeating: 0, count: (512 - content.count % 512) % 512)
    }

    static let end = [UInt8](repeating: 0, count: 1024)
}

@Suite("strict tar")
struct TarTests {
    /// Reads a whole archive: (name, kind, content) per entry, or the error.
    static func readAll(_ archive: [UInt8]) -> Result<[(String, TarEntry.Kind, [UInt8])], TarError> {
        var reader = StrictTarReader(source: MemorySource(archive))
        var entries: [(String, TarEntry.Kind, [UInt8])] = []
        do {
            while let entry = try reader.next() {
                var sink = MemorySink()
                try reader.copyContent(to: &sink)
                entries.append((entry.name, entry.kind, sink.bytes))
            }
            return .success(entries)
        } catch let error as TarError {
            return .failure(error)
        } catch {
            return .failure(.io("\(error)"))
        }
    }

    static func error(_ archive: [UInt8]) -> TarError? {
        if case let .failure(error) = readAll(archive) { return error }
        return nil
    }

    static func writeSample(order: [Int] = [0, 1, 2, 3], mtime: UInt64 = 1_700_000_000) throws -> [UInt8] {
        let big = TestSupport.pattern(count: 70_000)
        let all: [StrictTarWriter<MemorySink>.Member] = [
            .init(name: "items", kind: .folder),
            .init(name: "items/P-1-1.jpg", kind: .file(size: UInt64(big.count), open: { MemorySource(big) })),
            .init(name: "SHA256SUMS", kind: .file(size: 6, open: { MemorySource(Array("sums!\n".utf8)) })),
            .init(name: "empty.txt", kind: .file(size: 0, open: { MemorySource([]) })),
        ]
        var sink = MemorySink()
        try StrictTarWriter.write(order.map { all[$0] }, modificationTime: mtime, to: &sink)
        return sink.bytes
    }

    @Test("the writer emits sorted ustar members with fixed owner, modes and time, and reads back")
    func writeAndRead() throws {
        let archive = try Self.writeSample()
        // 4 headers, 70 000 bytes of data in 137 blocks, 6 bytes in 1 block, two zero blocks.
        #expect(archive.count == 512 * (4 + 137 + 1 + 2))
        let entries = try Self.readAll(archive).get()
        #expect(entries.map(\.0) == ["SHA256SUMS", "empty.txt", "items", "items/P-1-1.jpg"])
        #expect(entries.map(\.1) == [.file, .file, .folder, .file])
        #expect(entries[0].2 == Array("sums!\n".utf8))
        #expect(entries[3].2 == TestSupport.pattern(count: 70_000))

        let first = Array(archive[0..<512])
        #expect(first[0..<11] == ArraySlice("SHA256SUMS\u{0}".utf8))
        #expect(first[100..<108] == ArraySlice("0000644\u{0}".utf8))
        #expect(first[108..<124] == ArraySlice("0000000\u{0}0000000\u{0}".utf8))
        #expect(first[124..<136] == ArraySlice("00000000006\u{0}".utf8))
        #expect(first[136..<148] == ArraySlice((String(1_700_000_000, radix: 8) + "\u{0}").utf8))
        #expect(first[156] == UInt8(ascii: "0"))
        #expect(first[257..<265] == ArraySlice("ustar\u{0}00".utf8))
        #expect(first[265..<329].allSatisfy { $0 == 0 }, "user and group names are empty")
        let folderHeader = Array(archive[(512 * 3)..<(512 * 4)])
        #expect(folderHeader[0..<7] == ArraySlice("items/\u{0}".utf8))
        #expect(folderHeader[100..<108] == ArraySlice("0000755\u{0}".utf8))
        #expect(folderHeader[156] == UInt8(ascii: "5"))
        #expect(archive.suffix(1024).allSatisfy { $0 == 0 })
    }

    @Test("the same members in any order give the same bytes; another time gives other bytes")
    func deterministic() throws {
        let reference = try Self.writeSample()
        #expect(try Self.writeSample(order: [3, 2, 1, 0]) == reference)
        #expect(try Self.writeSample(order: [1, 3, 0, 2]) == reference)
        #expect(try Self.writeSample(mtime: 1_700_000_001) != reference)
    }

    @Test("the writer refuses unsafe or unportable names, disorder, duplicates and size mismatches")
    func writerRefusals() throws {
        let badNames = ["../x", "/abs", "a//b", "a/", ".hidden", "-x", "a b", "é.txt", "a\\b", "C:x",
                        String(repeating: "x", count: 101), "a/./b", "", "tab\there"]
        for name in badNames {
            var writer = try StrictTarWriter(sink: MemorySink(), modificationTime: 0)
            var source = MemorySource([])
            #expect(throws: TarError.self, "\(name)") { try writer.addFile(name, size: 0, content: &source) }
        }
        var folderWriter = try StrictTarWriter(sink: MemorySink(), modificationTime: 0)
        #expect(throws: TarError.self) { try folderWriter.addFolder(String(repeating: "f", count: 100)) }

        var writer = try StrictTarWriter(sink: MemorySink(), modificationTime: 0)
        var empty = MemorySource([])
        try writer.addFile("B.txt", size: 0, content: &empty)
        #expect(throws: TarError.outOfOrder(previous: "B.txt", next: "A.txt")) {
            var source = MemorySource([])
            try writer.addFile("A.txt", size: 0, content: &source)
        }
        #expect(throws: TarError.duplicateName("b.txt")) {
            var source = MemorySource([])
            try writer.addFile("b.txt", size: 0, content: &source)
        }
        #expect(throws: TarError.self) {
            var source = MemorySource([])
            try writer.addFile("B.txt/inner", size: 0, content: &source)
        }
        #expect(throws: TarError.sizeMismatch(name: "c", declared: 5, actual: 3)) {
            var source = MemorySource([1, 2, 3])
            try writer.addFile("c", size: 5, content: &source)
        }
        var other = try StrictTarWriter(sink: MemorySink(), modificationTime: 0)
        #expect(throws: TarError.sizeMismatch(name: "d", declared: 2, actual: 3)) {
            var source = MemorySource([1, 2, 3])
            try other.addFile("d", size: 2, content: &source)
        }
        #expect(throws: TarError.self) { try StrictTarWriter(sink: MemorySink(), modificationTime: 1 << 33) }
    }

    @Test("stock tar lists and extracts the writer's archive byte for byte",
          .enabled(if: StockTools.tar))
    func stockTarExtracts() throws {
        let archive = try Self.writeSample()
        try TestSupport.withTemporaryDirectory { directory in
            try Data(archive).write(to: directory.appendingPathComponent("a.tar"))
            try FileManager.default.createDirectory(at: directory.appendingPathComponent("out"), withIntermediateDirectories: false)
            let result = try TestSupport.run("tar", ["-xf", "../a.tar"], in: directory.appendingPathComponent("out"))
            #expect(result.status == 0, "\(result.standardError)")
            let extracted = try Data(contentsOf: directory.appendingPathComponent("out/items/P-1-1.jpg"))
            #expect(Array(extracted) == TestSupport.pattern(count: 70_000))
            #expect(try Data(contentsOf: directory.appendingPathComponent("out/SHA256SUMS")) == Data("sums!\n".utf8))
            let listing = try TestSupport.run("tar", ["-tvf", "a.tar"], in: directory)
            let text = String(decoding: listing.standardOutput, as: UTF8.self)
            #expect(text.contains("-rw-r--r-- 0/0") && text.contains("drwxr-xr-x 0/0"), "\(text)")
        }
    }

    @Test("C19 tar slip: the good member reads, then the archive is refused at the \"..\" member")
    func c19() throws {
        let archive = try TestSupport.vector("tar/C19-tar-slip.tar")
        var reader = StrictTarReader(source: MemorySource(archive))
        let first = try reader.next()
        #expect(first?.name == "good.txt" && first?.kind == .file)
        var sink = MemorySink()
        try reader.copyContent(to: &sink)
        #expect(sink.bytes == Array("this is a good one\n".utf8))
        #expect(throws: TarError.unsafeName("../../../../../../../../tmp/evil.txt", .parentComponent)) { try reader.next() }
    }

    @Test("C19 tar slip: each hostile member alone is refused for its own reason")
    func c19Members() throws {
        let archive = try TestSupport.vector("tar/C19-tar-slip.tar")
        // Carve each member (header + data blocks) into an archive of its own.
        var members: [[UInt8]] = []
        var offset = 0
        while offset + 512 <= archive.count, !archive[offset..<(offset + 512)].allSatisfy({ $0 == 0 }) {
            let sizeText = String(decoding: archive[(offset + 124)..<(offset + 135)], as: UTF8.self)
            let size = Int(sizeText, radix: 8) ?? 0
            let length = 512 + (size + 511) / 512 * 512
            members.append(Array(archive[offset..<(offset + length)]) + RawTar.end)
            offset += length
        }
        #expect(members.count == 6)
        #expect(Self.error(members[0]) == nil)
        #expect(Self.error(members[1]) == .unsafeName("../../../../../../../../tmp/evil.txt", .parentComponent))
        #expect(Self.error(members[2]) == .unsafeName("/tmp/evil-absolute.txt", .absolute))
        #expect(Self.error(members[3]) == .unsupportedEntryType(name: "linkdir", type: "symbolic link"))
        #expect(Self.error(members[4]) == nil, "a plain nested path is fine once its symlink parent is refused")
        #expect(Self.error(members[5]) == .unsupportedEntryType(name: "hardlink-to-passwd", type: "hard link"))
    }

    @Test("links, devices, PAX records, GNU long names and unknown types are refused by type")
    func entryTypes() {
        let cases: [(Character, String)] = [("1", "hard link"), ("2", "symbolic link"), ("3", "character device"),
                                            ("4", "block device"), ("6", "FIFO"), ("7", "contiguous file"),
                                            ("x", "PAX extended header"), ("g", "PAX global header"),
                                            ("L", "GNU long name"), ("K", "GNU long link name"), ("S", "type \"S\"")]
        for (flag, name) in cases {
            let archive = RawTar.member("entry", type: UInt8(ascii: flag.unicodeScalars.first!)) + RawTar.end
            #expect(Self.error(archive) == .unsupportedEntryType(name: "entry", type: name), "\(flag)")
        }
        let paxWithPath = RawTar.member("PaxHeader/x", type: UInt8(ascii: "x"), content: Array("30 path=../../../etc/passwd\n".utf8))
            + RawTar.member("innocent.txt") + RawTar.end
        #expect(Self.error(paxWithPath) == .unsupportedEntryType(name: "PaxHeader/x", type: "PAX extended header"))
    }

    @Test("bad checksums, other formats, truncation, stray data and lone zero blocks are refused")
    func structure() {
        let good = RawTar.member("a.txt", content: [1, 2, 3])
        #expect(Self.error(good + RawTar.end) == nil)
        #expect(Self.error(RawTar.header(name: Array("a.txt".utf8), breakChecksum: true) + RawTar.end) == .badChecksum(offset: 0))
        #expect(Self.error(good + RawTar.header(name: Array("b".utf8), breakChecksum: true) + RawTar.end) == .badChecksum(offset: 1024))
        let v7 = RawTar.header(name: Array("a.txt".utf8), magic: [UInt8](repeating: 0, count: 8)) + RawTar.end
        if case .unsupportedFormat = Self.error(v7) {} else { Issue.record("a v7 header was not refused as a format") }
        let base256 = RawTar.header(name: Array("a".utf8), sizeField: [0x80] + [UInt8](repeating: 0, count: 10) + [1]) + RawTar.end
        if case .malformedHeader = Self.error(base256) {} else { Issue.record("a base-256 size was accepted") }
        let linkOnFile = RawTar.header(name: Array("a".utf8), linkName: Array("/etc/passwd".utf8)) + RawTar.end
        if case .malformedHeader = Self.error(linkOnFile) {} else { Issue.record("a link name on a file was accepted") }

        if case .truncated = Self.error(good) {} else { Issue.record("no end marker accepted") }
        if case .truncated = Self.error(good + [UInt8](repeating: 0, count: 512)) {} else { Issue.record("a single zero block accepted") }
        if case .truncated = Self.error(Array(good.dropLast(300))) {} else { Issue.record("truncated data accepted") }
        if case .truncated = Self.error(Array(good.prefix(100))) {} else { Issue.record("a partial header accepted") }
        #expect(Self.error(good + RawTar.end + [UInt8](repeating: 0, count: 8192)) == nil, "zero record padding is fine")
        #expect(Self.error(good + RawTar.end + [0, 0, 7]) == .dataAfterEndMarker(offset: 2048 + 2))
        let hidden = good + RawTar.end + RawTar.member("hidden.txt", content: [9]) + RawTar.end
        #expect(Self.error(hidden) == .dataAfterEndMarker(offset: 2048))
        let lone = good + [UInt8](repeating: 0, count: 512) + RawTar.member("b.txt") + RawTar.end
        if case .malformedHeader = Self.error(lone) {} else { Issue.record("a lone zero block inside the archive was accepted") }
        let folderWithData = RawTar.header(name: Array("d/".utf8), type: UInt8(ascii: "5"), size: 1) + RawTar.padded([1]) + RawTar.end
        if case .malformedHeader = Self.error(folderWithData) {} else { Issue.record("a folder with content was accepted") }
    }

    @Test("hostile names are refused for the right reason")
    func hostileNames() {
        let cases: [(String, TarName.Problem)] = [
            ("C:/Windows/system32/evil.dll", .driveLetter),
            ("c:evil", .driveLetter),
            ("..\\..\\evil.txt", .parentComponent),
            ("evidence/..\\..\\x", .parentComponent),
            ("\\\\server\\share", .absolute),
            ("a\\b", .backslash),
            ("./a.txt", .currentComponent),
            ("a//b", .emptyComponent),
            ("photo_\u{202E}gpj.exe", .bidiControl(0x202E)),
            ("statement_\u{2067}fdp.js\u{2069}.txt", .bidiControl(0x2067)),
            ("\u{200F}name.txt", .bidiControl(0x200F)),
            ("zero\u{200B}width.txt", .invisibleCharacter(0x200B)),
            ("bom\u{FEFF}.txt", .invisibleCharacter(0xFEFF)),
            ("soft\u{00AD}hyphen", .invisibleCharacter(0xAD)),
            ("bell\u{7}.txt", .controlCharacter(7)),
            ("c1\u{85}.txt", .controlCharacter(0x85)),
            ("line\u{2028}sep", .controlCharacter(0x2028)),
        ]
        for (name, problem) in cases {
            let archive = RawTar.member(name) + RawTar.end
            #expect(Self.error(archive) == .unsafeName(TerminalText.escaped(name), problem), "\(TerminalText.escaped(name))")
        }
        let latin1 = RawTar.header(name: [0x63, 0x61, 0x66, 0xE9]) + RawTar.end
        if case .unsafeName(_, .notUTF8)? = Self.error(latin1) {} else { Issue.record("non-UTF-8 name accepted") }
        // Arabic names and Arabic-Indic digits are ordinary names.
        #expect(Self.error(RawTar.member("شاهد_آ.jpg") + RawTar.member("٣٤٥٦.txt") + RawTar.end) == nil)
    }

    @Test("names colliding after NFC and case folding, and paths through files, are refused")
    func collisions() {
        let cases: [(String, String)] = [
            ("caf\u{E9}.txt", "cafe\u{301}.txt"),
            ("شاهد_\u{622}.jpg", "شاهد_\u{627}\u{653}.jpg"),
            ("Photo.JPG", "photo.jpg"),
            ("STRASSE", "straße"),
            ("dir", "DIR"),
        ]
        for (first, second) in cases {
            let archive = RawTar.member(first) + RawTar.member(second) + RawTar.end
            #expect(Self.error(archive) == .nameCollision(TerminalText.escaped(second), earlier: TerminalText.escaped(first)),
                    "\(first) / \(second)")
        }
        let folderTwice = RawTar.member("d/", type: UInt8(ascii: "5")) + RawTar.member("D/", type: UInt8(ascii: "5")) + RawTar.end
        if case .nameCollision? = Self.error(folderTwice) {} else { Issue.record("a folder listed twice was accepted") }
        let fileThenChild = RawTar.member("a") + RawTar.member("A/b") + RawTar.end
        #expect(Self.error(fileThenChild) == .nameCollision("A/b", earlier: "a"))
        let childThenFile = RawTar.member("a/b") + RawTar.member("a") + RawTar.end
        #expect(Self.error(childThenFile) == .nameCollision("a", earlier: "a/b"))
        let implicitThenExplicit = RawTar.member("a/b") + RawTar.member("a/", type: UInt8(ascii: "5")) + RawTar.end
        #expect(Self.error(implicitThenExplicit) == nil, "a folder after its content is fine")
    }

    @Test("the ustar prefix field is joined to the name and checked")
    func prefixField() throws {
        let nested = RawTar.header(name: Array("file.txt".utf8), prefix: Array("deep/folder".utf8)) + RawTar.end
        #expect(try Self.readAll(nested).get().map(\.0) == ["deep/folder/file.txt"])
        let hostile = RawTar.header(name: Array("file.txt".utf8), prefix: Array("..".utf8)) + RawTar.end
        #expect(Self.error(hostile) == .unsafeName("../file.txt", .parentComponent))
    }

    @Test("unread content is skipped; partial reads see exact bytes")
    func skipping() throws {
        let archive = try Self.writeSample()
        var reader = StrictTarReader(source: TricklingSource(archive))
        var names: [String] = []
        while let entry = try reader.next() {
            names.append(entry.name)
            if entry.name == "items/P-1-1.jpg" {
                var buffer = [UInt8](repeating: 0, count: 1000)
                let n = try buffer.withUnsafeMutableBytes { try reader.readContent(into: $0) }
                #expect(n == 1000 && buffer == Array(TestSupport.pattern(count: 1000)))
            }
        }
        #expect(names == ["SHA256SUMS", "empty.txt", "items", "items/P-1-1.jpg"])
        #expect(try reader.next() == nil)
    }

    @Test("name rules: component length, escaping and collision keys")
    func nameRules() {
        #expect(TarName.check(String(repeating: "a", count: 255)) == nil)
        #expect(TarName.check(String(repeating: "a", count: 256)) == .componentTooLong(256))
        #expect(TarName.check("x/" + String(repeating: "\u{0634}", count: 128)) == .componentTooLong(256))
        #expect(TerminalText.escaped("photo_\u{202E}gpj.exe") == "photo_\\u{202E}gpj.exe")
        #expect(TerminalText.escaped("a\\b\u{200B}") == "a\\\\b\\u{200B}")
        #expect(TarName.collisionKey("CAFE\u{301}") == TarName.collisionKey("caf\u{E9}"))
        #expect(TarName.collisionKey("a.txt") != TarName.collisionKey("a.txt2"))
        #expect(TarName.checkGenerated("items/P-1-1.jpg", isFolder: false) == nil)
        #expect(TarName.checkGenerated("manifest.json.minisig", isFolder: false) == nil)
    }
}
