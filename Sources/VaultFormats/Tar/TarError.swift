/// Errors of the strict tar writer and reader. Names in the cases are display-escaped
/// (`TarName.escaped`), never raw hostile text; offsets are byte offsets of the 512-byte header block in the
/// archive.
public enum TarError: Error, Equatable, Sendable, CustomStringConvertible {
    /// (writer) A name the writer will not emit, and why.
    case invalidName(String, TarName.Problem)
    /// (writer) Names must be given in strictly increasing byte order (deterministic archives).
    case outOfOrder(previous: String, next: String)
    /// (writer) Two names differ only in case.
    case duplicateName(String)
    /// (writer) The content source gave a different number of bytes than declared.
    case sizeMismatch(name: String, declared: UInt64, actual: UInt64)
    /// (writer) A file of this size does not fit the ustar size field (8 GiB − 1 at most).
    case fileTooLarge(name: String, size: UInt64)
    /// (writer) The modification time does not fit the ustar field (seconds since 1970, below 8^11).
    case invalidModificationTime(UInt64)
    /// (reader) A member name is refused, and why.
    case unsafeName(String, TarName.Problem)
    /// (reader) An entry type other than regular file and directory: symbolic or hard link, device, FIFO,
    /// PAX extended header (`x`, `g`), GNU long name (`L`, `K`), or unknown; the text names it.
    case unsupportedEntryType(name: String, type: String)
    /// (reader) A name that collides with an earlier one after NFC and case folding, or a path that uses a
    /// regular file as a folder.
    case nameCollision(String, earlier: String)
    /// (reader) A header block's checksum does not match.
    case badChecksum(offset: UInt64)
    /// (reader) Not a POSIX ustar (or plain GNU ustar-compatible) header.
    case unsupportedFormat(offset: UInt64, String)
    /// (reader) A header field is malformed; the text names it.
    case malformedHeader(offset: UInt64, String)
    /// (reader) The archive ends early (inside a header or file data, or before two zero blocks).
    case truncated(String)
    /// (reader) Non-zero bytes after the end marker (two zero blocks).
    case dataAfterEndMarker(offset: UInt64)
    /// (reader) More entries than the reader accepts.
    case tooManyEntries(Int)
    /// Reading or writing the underlying stream failed.
    case io(String)

    public var description: String {
        switch self {
        case let .invalidName(name, problem): return "tar: cannot write \"\(name)\": \(problem)"
        case let .outOfOrder(previous, next): return "tar: \"\(next)\" must not come after \"\(previous)\" (names in byte order)"
        case let .duplicateName(name): return "tar: \"\(name)\" is already in the archive (names must differ beyond case)"
        case let .sizeMismatch(name, declared, actual):
            return "tar: \"\(name)\" was declared as \(declared) bytes but its content has \(actual)"
        case let .fileTooLarge(name, size): return "tar: \"\(name)\" is too large for ustar (\(size) bytes)"
        case let .invalidModificationTime(time): return "tar: modification time \(time) does not fit the ustar field"
        case let .unsafeName(name, problem): return "tar: refused member \"\(name)\": \(problem)"
        case let .unsupportedEntryType(name, type): return "tar: refused member \"\(name)\": \(type) entries are not allowed"
        case let .nameCollision(name, earlier): return "tar: member \"\(name)\" collides with \"\(earlier)\""
        case let .badChecksum(offset): return "tar: bad header checksum at offset \(offset)"
        case let .unsupportedFormat(offset, why): return "tar: unsupported format at offset \(offset): \(why)"
        case let .malformedHeader(offset, why): return "tar: malformed header at offset \(offset): \(why)"
        case let .truncated(why): return "tar: archive is truncated: \(why)"
        case let .dataAfterEndMarker(offset): return "tar: data after the end of the archive at offset \(offset)"
        case let .tooManyEntries(limit): return "tar: more than \(limit) entries"
        case let .io(why): return "tar: \(why)"
        }
    }
}
