import VaultCrypto

/// An age identity file as stock `age-keygen` writes it:
///
/// ```
/// # created: 2024-01-02T10:00:00Z
/// # public key: age1...
/// AGE-SECRET-KEY-1...
/// ```
///
/// Lines end with LF (a CR before it is dropped); empty lines and lines starting with `#` are skipped; every
/// other line must be one `AGE-SECRET-KEY-1...` identity. At least one identity is required.
public enum AgeIdentityFile {
    /// The largest identity file read, in bytes.
    public static let maximumLength = 64 * 1024

    /// Parses the contents of an identity file. The caller should wipe `contents` afterwards.
    /// - Returns: the identities in file order.
    /// - Throws: `AgeError.invalidKey` naming the line number and the problem (never the key itself).
    public static func parse(_ contents: [UInt8]) throws -> [AgeX25519Identity] {
        guard contents.count <= maximumLength else {
            throw AgeError.invalidKey("identity file is larger than \(maximumLength) bytes")
        }
        var identities: [AgeX25519Identity] = []
        var lineNumber = 0
        for rawLine in contents.split(separator: 0x0a, omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = rawLine
            if line.last == 0x0d { line = line.dropLast() }
            if line.isEmpty || line.first == UInt8(ascii: "#") { continue }
            guard line.allSatisfy({ (0x21...0x7e).contains($0) }) else {
                throw AgeError.invalidKey("identity file line \(lineNumber): unexpected characters (spaces or non-ASCII)")
            }
            if line.starts(with: Array("AGE-PLUGIN-".utf8)) {
                throw AgeError.invalidKey("identity file line \(lineNumber): plugin identities are not supported")
            }
            do {
                identities.append(try AgeX25519Identity(parsingBytes: Array(line)))
            } catch let AgeError.invalidKey(why) {
                throw AgeError.invalidKey("identity file line \(lineNumber): \(why)")
            }
        }
        guard !identities.isEmpty else { throw AgeError.invalidKey("identity file holds no AGE-SECRET-KEY-1 identity") }
        return identities
    }
}
