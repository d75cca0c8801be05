/// Errors thrown by VaultStore. None carries secret values.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The vault folder or one of its files is missing: (path).
    case missing(String)
    /// The database or a blob is damaged or inconsistent; the text says what.
    case corrupted(String)
    /// An identifier was rejected (NUL, path separator, control character, too long): (field, reason).
    case invalidIdentifier(String, String)
    /// Something with this identifier exists already: (kind, id).
    case duplicate(String, String)
    /// No such record or item: (kind, id).
    case notFound(String, String)
    /// The file system is unsuitable (network or synchronised): (path, reason).
    case unsuitableFileSystem(String, String)
    /// An I/O or database failure: (operation, detail).
    case io(String, String)
    /// A write failed because the file system is full: (path of the file being written).
    case diskFull(String)
    /// A file that Amanah did not write in the place of one of its own (empty, another format, another
    /// application's database): (path, what it is). It is never changed.
    case foreign(String, String)
    /// The database was made by a newer Amanah: (path, migration identifiers this program does not know).
    case newerSchema(String, [String])
    /// The schema holds objects Amanah's migrations did not make, or lacks or changed ones they made (a
    /// trigger planted to rewrite rows as they are written, an append-only guard dropped): (path, each
    /// difference). The database is left as it is.
    case alteredSchema(String, [String])

    public var description: String {
        switch self {
        case let .missing(path): return "\(path) does not exist"
        case let .corrupted(why): return "vault is damaged: \(why)"
        case let .invalidIdentifier(field, why): return "\(field): \(why)"
        case let .duplicate(kind, id): return "\(kind) \(id) exists already"
        case let .notFound(kind, id): return "no \(kind) \(id)"
        case let .unsuitableFileSystem(path, why): return "\(path): \(why)"
        case let .io(operation, detail): return "\(operation): \(detail)"
        case let .diskFull(path): return "the disk is full: cannot write \(path)"
        case let .foreign(path, what): return "\(path) was not written by Amanah: \(what)"
        case let .newerSchema(path, unknown):
            return "\(path) was made by a newer Amanah (schema \(unknown.joined(separator: ", ")) unknown to this program); it was left as it is — use that version or a later one"
        case let .alteredSchema(path, differences):
            return "\(path): its schema was changed outside Amanah (\(differences.joined(separator: "; "))); it was left as it is — a trigger or table planted in the vault database could rewrite what members write: restore vault.sqlite from a backup, or compare it with `amanah check` on a copy"
        }
    }
}
