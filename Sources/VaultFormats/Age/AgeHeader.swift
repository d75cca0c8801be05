import VaultPlatform
import VaultCrypto

/// The text header of an age v1 file (c2sp.org/age, "Header"): the version line, one or more recipient
/// stanzas, and the MAC line.
///
/// ```
/// age-encryption.org/v1
/// -> X25519 <share>
/// <body>
/// --- <base64 HMAC-SHA-256, 43 characters>
/// ```
///
/// Parsing is strict (canonical unpadded base64, 64-column body lines, LF line ends only), so a parsed
/// header serialises back to exactly the bytes it was read from.
public struct AgeHeader: Equatable, Sendable {
    /// The version line, without its LF.
    public static let versionLine = "age-encryption.org/v1"
    /// Length of the header MAC in bytes.
    public static let macByteCount = 32
    /// The longest header accepted when reading, in bytes.
    public static let maximumLength = 1 << 20
    /// The longest single header line accepted when reading, in bytes.
    static let maximumLineLength = 32 * 1024

    /// The recipient stanzas, in file order.
    public let stanzas: [AgeStanza]
    /// The header MAC (32 bytes): HMAC-SHA-256 under HKDF-SHA-256(file key, salt: empty, info: "header") of
    /// the header up to and including the `---` of the MAC line.
    public let mac: [UInt8]

    /// A header from its parts.
    /// - Throws: `AgeError.invalidArgument` if there is no stanza or the MAC is not 32 bytes.
    public init(stanzas: [AgeStanza], mac: [UInt8]) throws {
        guard !stanzas.isEmpty else { throw AgeError.invalidArgument("a header needs at least one stanza") }
        guard mac.count == AgeHeader.macByteCount else {
            throw AgeError.invalidArgument("the header MAC must be \(AgeHeader.macByteCount) bytes")
        }
        self.stanzas = stanzas
        self.mac = mac
    }

    /// The bytes the MAC covers for `stanzas`: version line, stanzas, and `---` (without the space after it).
    public static func bytesCoveredByMAC(stanzas: [AgeStanza]) -> [UInt8] {
        var out = Array((versionLine + "\n").utf8)
        for stanza in stanzas { stanza.serialize(into: &out) }
        out.append(contentsOf: Array("---".utf8))
        return out
    }

    /// The whole header as text bytes, ending with the LF of the MAC line.
    public func serialized() -> [UInt8] {
        var out = AgeHeader.bytesCoveredByMAC(stanzas: stanzas)
        out.append(0x20)
        out.append(contentsOf: Array(Base64.encode(mac, variant: .standardNoPadding).utf8))
        out.append(0x0a)
        return out
    }

    /// Parses the header at the start of `bytes`.
    /// - Returns: the header and its length in bytes (the payload starts there).
    /// - Throws: `AgeError.header` describing the first problem found.
    public static func parse(_ bytes: [UInt8]) throws -> (header: AgeHeader, length: Int) {
        var reader = BufferedSource(MemorySource(bytes))
        let (header, macInput) = try read(from: &reader)
        return (header, macInput.count + 1 + 43 + 1)
    }

    /// Reads a header from `reader`, leaving it positioned at the payload.
    /// - Returns: the header and the exact bytes its MAC covers, as read (version line through `---`).
    /// - Throws: `AgeError.header`; `AgeError` or other errors thrown by the underlying source.
    static func read<S: ByteSource>(from reader: inout BufferedSource<S>) throws -> (AgeHeader, [UInt8]) {
        var raw: [UInt8] = []
        func nextLine(_ what: String) throws -> [UInt8] {
            let line: (bytes: [UInt8], terminated: Bool)?
            do {
                line = try reader.readLine(maxLength: maximumLineLength)
            } catch is BufferedSource<S>.LineTooLong {
                throw AgeError.header("\(what) is longer than \(maximumLineLength) bytes")
            }
            guard let line else { throw AgeError.header(raw.isEmpty ? "the file is empty" : "the header ends before its MAC line") }
            guard line.terminated else { throw AgeError.header("the header ends before its MAC line") }
            raw.append(contentsOf: line.bytes)
            raw.append(0x0a)
            guard raw.count <= maximumLength else { throw AgeError.header("the header is longer than \(maximumLength) bytes") }
            return line.bytes
        }

        let version = try nextLine("the version line")
        guard version == Array(versionLine.utf8) else {
            if version.starts(with: Array("age-encryption.org/".utf8)) {
                throw AgeError.header("unsupported version \"\(printable(version))\"")
            }
            throw AgeError.header("not an age file (bad version line)")
        }

        var stanzas: [AgeStanza] = []
        while true {
            let lineStart = raw.count
            let line = try nextLine("a header line")
            if line.starts(with: Array("---".utf8)) {
                guard !stanzas.isEmpty else { throw AgeError.header("the header has no recipient stanza") }
                guard line.count == 4 + 43, line[3] == 0x20 else { throw AgeError.header("malformed MAC line") }
                let encoded = String(decoding: line[4...], as: UTF8.self)
                guard let mac = try? Base64.decode(encoded, variant: .standardNoPadding), mac.count == macByteCount else {
                    throw AgeError.header("the MAC is not canonical base64 of 32 bytes")
                }
                let macInput = Array(raw[..<(lineStart + 3)])
                return (AgeHeader(validatedStanzas: stanzas, mac: mac), macInput)
            }
            guard line.starts(with: Array("-> ".utf8)) else {
                throw AgeError.header("expected a stanza (\"-> \") or the MAC line (\"---\")")
            }
            let arguments = line[3...].split(separator: 0x20, omittingEmptySubsequences: false).map(Array.init)
            guard arguments.allSatisfy(AgeStanza.isValidArgument) else {
                throw AgeError.header("a stanza argument is empty or not printable ASCII")
            }
            var body: [UInt8] = []
            while true {
                let bodyLine = try nextLine("a stanza body line")
                guard bodyLine.count <= AgeStanza.columnsPerLine else {
                    throw AgeError.header("a stanza body line is longer than 64 columns")
                }
                guard let decoded = try? Base64.decode(String(decoding: bodyLine, as: UTF8.self), variant: .standardNoPadding) else {
                    throw AgeError.header("a stanza body line is not canonical unpadded base64")
                }
                body.append(contentsOf: decoded)
                if bodyLine.count < AgeStanza.columnsPerLine { break }
            }
            let strings = arguments.map { String(decoding: $0, as: UTF8.self) }
            stanzas.append(AgeStanza(validatedType: strings[0], arguments: Array(strings.dropFirst()), body: body))
        }
    }

    init(validatedStanzas: [AgeStanza], mac: [UInt8]) {
        stanzas = validatedStanzas
        self.mac = mac
    }

    /// Printable ASCII form of untrusted bytes for messages (other bytes as `?`, at most 64 characters).
    static func printable(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix(64).map { (0x20...0x7e).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }
}
