import Foundation
import VaultCrypto
import VaultStore

/// One position of a remote's log (an element of a `RemoteLogSegment`): an audit event as the vault stores it, its
/// signed index entry, the detached values the entry carries by hash, and the governance entries the event's
/// position binds (those the chain gained since the event before). Everything in it is signed by its writer
/// (the event, and through its hash the entry) or by a quorum (governance entries); a receiver checks it all
/// before any of it enters the index (`SyncEngine`).
///
/// Encoding (integers big-endian, `lp(x)` = 4-byte length ‖ bytes):
/// ```
/// magic        "amanah/v1/remote-log-object" ‖ 0x00
/// leaf         lp(stored leaf: the event's leaf, then its actor key id and opening, `AuditEvent.storedLeaf`)
/// entry        1 byte (0 none, 1 present) ‖ lp(entry encoding) when present
/// values       4-byte count ‖ lp(value) each (detached values, in the order the entry names them)
/// governance   4-byte count ‖ (8-byte chain position ‖ lp(governance entry body)) each, in chain order
/// authored     only for an event a member placed from a collectors' inbox: 0x01 ‖ lp(inbox object key) ‖
///              lp(the collector's stored leaf) ‖ entry flag ‖ lp(the collector's entry) when present
/// ```
public struct RemoteLogObject: Equatable, Sendable {
    /// What a field collector signed for an event a member placed from an inbox (`SyncEngine.sequenceInbox`):
    /// the collector's stored leaf, signed at a position of the collector's own vault, and its index entry.
    public struct Authored: Equatable, Sendable {
        /// The inbox object it came in (`inbox/<client>/<id>`, as the remote names it).
        public var submission: String
        public var storedLeaf: [UInt8]
        public var entry: [UInt8]?
        public init(submission: String, storedLeaf: [UInt8], entry: [UInt8]?) {
            self.submission = submission; self.storedLeaf = storedLeaf; self.entry = entry
        }
    }

    static let magic = Array("amanah/v1/remote-log-object".utf8) + [0]
    /// The key of the segment starting at position `sequence` (from 1): `log/` and 16 decimal digits, so that
    /// keys sort as positions.
    public static func key(_ sequence: Int64) -> String {
        let digits = String(sequence)
        return "log/" + String(repeating: "0", count: max(0, 16 - digits.count)) + digits
    }
    /// The first position of the segment a log key names, nil for another key.
    public static func sequence(ofKey key: String) -> Int64? {
        guard key.hasPrefix("log/") else { return nil }
        let digits = key.dropFirst(4)
        guard digits.count == 16, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), let value = Int64(digits), value > 0 else { return nil }
        return value
    }

    public var storedLeaf: [UInt8]
    public var entry: [UInt8]?
    public var values: [[UInt8]]
    public var governance: [(seq: Int64, body: [UInt8])]
    /// Set for an event placed from an inbox.
    public var authored: Authored?

    public init(storedLeaf: [UInt8], entry: [UInt8]?, values: [[UInt8]], governance: [(seq: Int64, body: [UInt8])], authored: Authored? = nil) {
        self.storedLeaf = storedLeaf; self.entry = entry; self.values = values; self.governance = governance; self.authored = authored
    }

    public static func == (a: RemoteLogObject, b: RemoteLogObject) -> Bool { a.encoding == b.encoding }

    public var encoding: [UInt8] {
        var out = Self.magic
        out.appendLengthPrefixed(storedLeaf)
        if let entry { out.append(1); out.appendLengthPrefixed(entry) } else { out.append(0) }
        out.appendBigEndian(UInt32(values.count))
        for value in values { out.appendLengthPrefixed(value) }
        out.appendBigEndian(UInt32(governance.count))
        for (seq, body) in governance { out.appendBigEndian(UInt64(seq)); out.appendLengthPrefixed(body) }
        if let authored {
            out.append(1)
            out.appendLengthPrefixed(Array(authored.submission.utf8))
            out.appendLengthPrefixed(authored.storedLeaf)
            if let entry = authored.entry { out.append(1); out.appendLengthPrefixed(entry) } else { out.append(0) }
        }
        return out
    }

    /// Parses an object read from a remote.
    /// - Throws: `StoreError.corrupted` naming what is wrong.
    public init(encoding bytes: [UInt8]) throws {
        var reader = ByteReader(bytes, name: "a remote log object")
        func take(_ count: Int, _ what: String) throws -> [UInt8] { try reader.take(count, what) }
        func integer(_ size: Int, _ what: String) throws -> UInt64 { try reader.integer(size, what) }
        func lengthPrefixed(_ what: String) throws -> [UInt8] { try reader.lengthPrefixed(what) }
        guard try take(Self.magic.count, "magic") == Self.magic else { throw StoreError.corrupted("not a remote log object (wrong magic)") }
        storedLeaf = try lengthPrefixed("event")
        switch try take(1, "entry flag")[0] {
        case 0: entry = nil
        case 1: entry = try lengthPrefixed("entry")
        default: throw StoreError.corrupted("a remote log object's entry flag is neither 0 nor 1")
        }
        values = []
        for _ in 0..<(try integer(4, "value count")) { values.append(try lengthPrefixed("value")) }
        governance = []
        for _ in 0..<(try integer(4, "governance count")) {
            let seq = Int64(bitPattern: try integer(8, "governance position"))
            governance.append((seq, try lengthPrefixed("governance entry")))
        }
        if reader.isAtEnd {
            authored = nil
        } else {
            guard try take(1, "authored flag")[0] == 1 else { throw StoreError.corrupted("a remote log object's authored flag is not 1") }
            guard let submission = String(validating: try lengthPrefixed("inbox object key"), as: UTF8.self) else {
                throw StoreError.corrupted("a remote log object's inbox object key is not UTF-8")
            }
            let leaf = try lengthPrefixed("authored event")
            let entry: [UInt8]?
            switch try take(1, "authored entry flag")[0] {
            case 0: entry = nil
            case 1: entry = try lengthPrefixed("authored entry")
            default: throw StoreError.corrupted("a remote log object's authored entry flag is neither 0 nor 1")
            }
            authored = Authored(submission: submission, storedLeaf: leaf, entry: entry)
        }
        try reader.requireEnd()
    }
}

/// A run of consecutive log positions in one object (`log/<first position, 16 digits>`): a sender places all
/// its unsent events at once (up to `maxEvents` or about `maxBytes`), so that a sync or a clone makes one
/// request per segment rather than one per event. The segment that starts at the next free position is
/// created only when absent, which orders senders; the next segment must start where this one ends.
///
/// Encoding: magic "amanah/v1/remote-log-segment" ‖ 0x00 ‖ 4-byte count ‖ lp(`RemoteLogObject` encoding) each.
public struct RemoteLogSegment: Equatable, Sendable {
    static let magic = Array("amanah/v1/remote-log-segment".utf8) + [0]
    public static let maxEvents = 256
    public static let maxBytes = 8 << 20

    public var objects: [RemoteLogObject]
    public init(objects: [RemoteLogObject]) { self.objects = objects }

    public var encoding: [UInt8] {
        var out = Self.magic
        out.appendBigEndian(UInt32(objects.count))
        for object in objects { out.appendLengthPrefixed(object.encoding) }
        return out
    }

    /// Parses a segment read from a remote; it holds at least one position.
    /// - Throws: `StoreError.corrupted` naming what is wrong.
    public init(encoding bytes: [UInt8]) throws {
        var reader = ByteReader(bytes, name: "a remote log segment")
        func take(_ count: Int, _ what: String) throws -> [UInt8] { try reader.take(count, what) }
        guard try take(Self.magic.count, "magic") == Self.magic else { throw StoreError.corrupted("not a remote log segment (wrong magic)") }
        let count = try reader.integer(4, "count")
        guard count >= 1 else { throw StoreError.corrupted("a remote log segment holds no position") }
        objects = []
        for _ in 0..<count { objects.append(try RemoteLogObject(encoding: try reader.lengthPrefixed("position"))) }
        try reader.requireEnd()
    }
}

/// Reads a big-endian, length-prefixed encoding from the front, naming what is truncated.
struct ByteReader {
    let bytes: [UInt8]
    let name: String
    var offset = 0
    init(_ bytes: [UInt8], name: String) { self.bytes = bytes; self.name = name }

    mutating func take(_ count: Int, _ what: String) throws -> [UInt8] {
        guard count >= 0, bytes.count - offset >= count else { throw StoreError.corrupted("\(name) is truncated at its \(what)") }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    mutating func integer(_ size: Int, _ what: String) throws -> UInt64 { try take(size, what).reduce(0) { $0 << 8 | UInt64($1) } }

    mutating func lengthPrefixed(_ what: String) throws -> [UInt8] { try take(Int(try integer(4, what)), what) }

    var isAtEnd: Bool { offset == bytes.count }

    func requireEnd() throws {
        guard offset == bytes.count else { throw StoreError.corrupted("\(name) has trailing bytes") }
    }
}

/// What a field collector with write-only credentials sends (`inbox/<client>/<name>`): every event its
/// vault made after the log it last read, with their entries, for a member to place in the log
/// (`SyncEngine.sequenceInbox`). The sealed blobs the entries name go before it, under
/// `inbox/<client>/blobs/<id>`.
///
/// Encoding: magic "amanah/v1/inbox-submission" ‖ 0x00 ‖ vault id (32) ‖ base size (8: the log positions the
/// collector had read) ‖ base leaf hash (32: of the newest of them) ‖ 4-byte count ‖ lp(`RemoteLogObject`) each,
/// the collector's events at positions base + 1, base + 2, … of its own vault.
///
/// Its name (`name`) is derived from its events, so that the name binds what the object holds: a member who
/// labels a placement with an object's name cannot make other members skip that object unless every one of
/// its events is placed (`SyncEngine.pendingInbox`), and an object sent again after a crash, with nothing new,
/// has the name it had.
public struct InboxSubmission: Equatable, Sendable {
    static let magic = Array("amanah/v1/inbox-submission".utf8) + [0]
    public var vaultID: [UInt8]
    public var baseSize: Int64
    public var baseLeafHash: [UInt8]
    public var objects: [RemoteLogObject]

    public init(vaultID: [UInt8], baseSize: Int64, baseLeafHash: [UInt8], objects: [RemoteLogObject]) {
        self.vaultID = vaultID; self.baseSize = baseSize; self.baseLeafHash = baseLeafHash; self.objects = objects
    }

    public var encoding: [UInt8] {
        var out = Self.magic + vaultID
        out.appendBigEndian(UInt64(baseSize))
        out += baseLeafHash
        out.appendBigEndian(UInt32(objects.count))
        for object in objects { out.appendLengthPrefixed(object.encoding) }
        return out
    }

    /// The object's name under `inbox/<client>/`: 32 lowercase hex digits, the first 16 bytes of SHA-256 over
    /// "amanah/v1/inbox-name" ‖ 0x00 ‖ vault id ‖ base size (8, big-endian) ‖ base leaf hash ‖ lp(stored leaf)
    /// of each event in order.
    public var name: String {
        Self.name(vaultID: vaultID, baseSize: baseSize, baseLeafHash: baseLeafHash, leaves: objects.map(\.storedLeaf))
    }

    /// The name of an object with these events (`name`).
    public static func name(vaultID: [UInt8], baseSize: Int64, baseLeafHash: [UInt8], leaves: [[UInt8]]) -> String {
        var input = Array("amanah/v1/inbox-name".utf8) + [0] + vaultID
        input.appendBigEndian(UInt64(bitPattern: baseSize))
        input += baseLeafHash
        for leaf in leaves { input.appendLengthPrefixed(leaf) }
        return Hex.encode(Array(SHA256Digest.hash(input).prefix(16)))
    }

    /// Parses an inbox object; it holds at least one event.
    /// - Throws: `StoreError.corrupted` naming what is wrong.
    public init(encoding bytes: [UInt8]) throws {
        var reader = ByteReader(bytes, name: "an inbox submission")
        guard try reader.take(Self.magic.count, "magic") == Self.magic else { throw StoreError.corrupted("not an inbox submission (wrong magic)") }
        vaultID = try reader.take(32, "vault id")
        baseSize = Int64(bitPattern: try reader.integer(8, "base size"))
        baseLeafHash = try reader.take(32, "base leaf hash")
        let count = try reader.integer(4, "count")
        guard count >= 1, baseSize >= 1 else { throw StoreError.corrupted("an inbox submission holds no event, or no base") }
        objects = []
        for _ in 0..<count { objects.append(try RemoteLogObject(encoding: try reader.lengthPrefixed("event"))) }
        try reader.requireEnd()
    }
}
