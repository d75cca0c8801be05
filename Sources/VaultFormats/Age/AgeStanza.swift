import VaultCrypto

/// One recipient stanza of an age v1 header (c2sp.org/age, "Recipient stanza"):
///
/// ```
/// -> TYPE ARG1 ARG2 ...        (arguments: 1 or more printable ASCII characters 0x21...0x7E each)
/// <body: unpadded base64, 64 columns per line, ending with a line shorter than 64 (possibly empty)>
/// ```
public struct AgeStanza: Equatable, Sendable {
    /// The first argument, naming the recipient type (`X25519`, `scrypt`, ...). Compared case-sensitively.
    public let type: String
    /// The arguments after the type.
    public let arguments: [String]
    /// The decoded body bytes.
    public let body: [UInt8]

    /// Base64 characters per full body line.
    public static let columnsPerLine = 64
    /// Bytes per full body line (64 base64 characters).
    public static let bytesPerLine = 48

    /// A stanza from its parts.
    /// - Throws: `AgeError.invalidArgument` if the type or an argument is empty or holds a character outside
    ///   0x21...0x7E.
    public init(type: String, arguments: [String], body: [UInt8]) throws {
        for argument in [type] + arguments where !AgeStanza.isValidArgument(Array(argument.utf8)) {
            throw AgeError.invalidArgument("stanza argument \"\(argument)\" is empty or not printable ASCII")
        }
        self.type = type
        self.arguments = arguments
        self.body = body
    }

    init(validatedType type: String, arguments: [String], body: [UInt8]) {
        self.type = type
        self.arguments = arguments
        self.body = body
    }

    /// Whether `bytes` is a valid stanza argument: one or more of the ABNF `VCHAR` (0x21...0x7E).
    static func isValidArgument(_ bytes: [UInt8]) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy { (0x21...0x7e).contains($0) }
    }

    /// Appends the stanza's canonical text (argument line, wrapped body, final short line) to `out`.
    func serialize(into out: inout [UInt8]) {
        out.append(contentsOf: Array("->".utf8))
        for argument in [type] + arguments {
            out.append(0x20)
            out.append(contentsOf: Array(argument.utf8))
        }
        out.append(0x0a)
        var offset = 0
        while offset + AgeStanza.bytesPerLine <= body.count {
            out.append(contentsOf: Array(Base64.encode(body[offset..<(offset + AgeStanza.bytesPerLine)],
                                                       variant: .standardNoPadding).utf8))
            out.append(0x0a)
            offset += AgeStanza.bytesPerLine
        }
        // The final line is always shorter than 64 columns, and empty when the body fills whole lines.
        out.append(contentsOf: Array(Base64.encode(body[offset...], variant: .standardNoPadding).utf8))
        out.append(0x0a)
    }
}
