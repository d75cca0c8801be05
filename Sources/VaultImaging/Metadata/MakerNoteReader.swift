/// Reads the few MakerNote fields that identify a camera or its owner, for the makes whose MakerNote layout
/// is known well (as documented by ExifTool's Canon, Panasonic, Nikon and FujiFilm tag tables). Other
/// MakerNotes are reported only as present: they cannot be parsed reliably, which is why a derivative never
/// carries them at all.
enum MakerNoteReader {
    /// Parses `note` (the MakerNote value) within `tiff` (the whole EXIF TIFF block, for offsets).
    /// - Throws: `MetadataParseError` when the MakerNote's own structure is damaged.
    static func parse(_ note: ByteView, tiff: ByteView, little: Bool, make: String?, builder: ReportBuilder) throws {
        let make = (make ?? "").lowercased()
        let noteOffset = note.start - tiff.start
        if note.matches("Nikon\0") {
            let version = try note.u8(6)
            if version == 2 {
                // Nikon type 3: "Nikon\0" 02 xx 00 00, then a TIFF header of its own; offsets are relative to it.
                let inner = try note.suffix(from: 10, "Nikon MakerNote TIFF header")
                let innerLittle: Bool
                if inner.matches("II") { innerLittle = true } else if inner.matches("MM") { innerLittle = false }
                else { throw MetadataParseError.invalid("Nikon MakerNote byte order") }
                let ifd = Int(try inner.u32(4, littleEndian: innerLittle))
                try readIFD(inner, at: ifd, little: innerLittle, maker: "Nikon", builder: builder)
            } else {
                try readIFD(tiff, at: noteOffset + 8, little: little, maker: "Nikon", builder: builder)
            }
        } else if note.matches("Panasonic\0\0\0") {
            try readIFD(tiff, at: noteOffset + 12, little: little, maker: "Panasonic", builder: builder)
        } else if note.matches("FUJIFILM") {
            // Always little-endian; offsets relative to the MakerNote start.
            let ifd = Int(try note.u32(8, littleEndian: true))
            try readIFD(note, at: ifd, little: true, maker: "FujiFilm", builder: builder)
        } else if make.hasPrefix("canon") {
            try readIFD(tiff, at: noteOffset, little: little, maker: "Canon", builder: builder)
        } else if make.hasPrefix("nikon") {
            try readIFD(tiff, at: noteOffset, little: little, maker: "Nikon", builder: builder)
        } else {
            builder.text("MakerNote", "\(note.count) bytes, format not parsed", "EXIF")
        }
    }

    private static func readIFD(_ base: ByteView, at offset: Int, little: Bool, maker: String,
                                builder: ReportBuilder) throws {
        let count = Int(try base.u16(offset, littleEndian: little, "\(maker) MakerNote entry count"))
        guard count <= 1000 else { throw MetadataParseError.limit("\(maker) MakerNote with \(count) entries") }
        let source = "\(maker) MakerNote"
        for i in 0..<count {
            try builder.spend()
            let at = offset + 2 + 12 * i
            guard base.contains(at, 12) else { throw MetadataParseError.truncated("\(source) entry \(i)") }
            let tag = try base.u16(at, littleEndian: little)
            let type = try base.u16(at + 2, littleEndian: little)
            let n = Int(try base.u32(at + 4, littleEndian: little))
            let size: Int
            switch type {
            case 1, 2, 6, 7: size = 1
            case 3, 8: size = 2
            case 4, 9, 11, 13: size = 4
            case 5, 10, 12: size = 8
            default: continue
            }
            guard n <= base.count / size else { continue }
            let length = n * size
            let value: ByteView
            if length <= 4 { value = try base.sub(at + 8, length, "\(source) value") }
            else {
                let pointer = Int(try base.u32(at + 8, littleEndian: little))
                // MakerNotes often point past their own declared size for tags nobody reads: skip quietly.
                guard base.contains(pointer, length) else { continue }
                value = try base.sub(pointer, length, "\(source) value")
            }
            let text = { TextDecoding.exifASCII(value.array) }
            let number: () -> UInt32? = {
                switch type {
                case 3: return try? value.u16(0, littleEndian: little).asUInt32
                case 4: return try? value.u32(0, littleEndian: little)
                case 1, 7: return try? value.u8(0).asUInt32
                default: return nil
                }
            }
            switch (maker, tag) {
            case ("Canon", 0x0009): builder.person("OwnerName", text(), source)
            case ("Canon", 0x000C): if let v = number() { builder.serial("SerialNumber", String(v), source) }
            case ("Canon", 0x0096): builder.serial("InternalSerialNumber", text(), source)
            case ("Panasonic", 0x0025): builder.serial("InternalSerialNumber", text(), source)
            case ("Panasonic", 0x0052): builder.serial("LensSerialNumber", text(), source)
            case ("Panasonic", 0x0030):
                if let v = number() { builder.otherOrientations.append(("Panasonic MakerNote Rotation", Int(v))) }
            case ("Panasonic", 0x0065): builder.text("Title", panasonicText(value), source)
            case ("Panasonic", 0x0066): builder.person("BabyName", panasonicText(value), source)
            case ("Panasonic", 0x0067): builder.place("Location", panasonicText(value), source)
            case ("Panasonic", 0x0069): builder.place("Country", panasonicText(value), source)
            case ("Panasonic", 0x006B): builder.place("State", panasonicText(value), source)
            case ("Panasonic", 0x006D): builder.place("City", panasonicText(value), source)
            case ("Panasonic", 0x006F): builder.place("Landmark", panasonicText(value), source)
            case ("Panasonic", 0x0080): builder.place("City2", panasonicText(value), source)
            case ("Nikon", 0x001D), ("Nikon", 0x00A0): builder.serial("SerialNumber", text(), source)
            case ("FujiFilm", 0x0010): builder.serial("InternalSerialNumber", text(), source)
            default: break
            }
        }
    }

    /// Panasonic text fields are UTF-8 padded with NULs; an all-NUL or "1"-filled field is empty.
    private static func panasonicText(_ value: ByteView) -> String {
        let text = TextDecoding.exifASCII(value.array)
        return text.allSatisfy({ $0 == "\u{1}" }) ? "" : text
    }
}

private extension FixedWidthInteger {
    var asUInt32: UInt32 { UInt32(truncatingIfNeeded: self) }
}
