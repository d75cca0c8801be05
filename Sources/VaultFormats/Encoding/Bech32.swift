import VaultCrypto

/// Bech32 (BIP 173) as the age format uses it for keys: a human-readable part (HRP), the separator `1`,
/// the data in 5-bit groups from the 32-character alphabet, and a 6-character BCH checksum (constant 1, not
/// Bech32m). Unlike BIP 173 there is no 90-character length limit (age keys may be longer). A string is all
/// lower case or all upper case, never mixed; the checksum is always computed over the lower-case form.
public enum Bech32 {
    /// Why a string is not valid Bech32.
    public enum DecodingError: Error, Equatable, Sendable, CustomStringConvertible {
        /// Upper- and lower-case letters are mixed.
        case mixedCase
        /// A character outside printable ASCII (33...126), or a data character outside the alphabet.
        case invalidCharacter
        /// No separator `1`, an empty HRP, or fewer than 6 data characters (the checksum).
        case malformed
        /// The checksum does not match.
        case badChecksum
        /// The 5-bit groups do not form whole bytes with zero padding (at most 4 padding bits, all zero).
        case badPadding

        public var description: String {
            switch self {
            case .mixedCase: return "mixed upper and lower case"
            case .invalidCharacter: return "invalid character"
            case .malformed: return "missing separator, empty prefix or too short"
            case .badChecksum: return "bad checksum"
            case .badPadding: return "bad padding bits"
            }
        }
    }

    private static let alphabet: [UInt8] = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    private static let reverseAlphabet: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (index, char) in alphabet.enumerated() { table[Int(char)] = Int8(index) }
        return table
    }()
    private static let generators: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]

    /// The BCH checksum state, fed one 5-bit value at a time (so secret data is never copied to compute it).
    private struct Polymod {
        var check: UInt32 = 1

        mutating func feed(_ value: UInt8) {
            let top = check >> 25
            check = (check & 0x1ff_ffff) << 5 ^ UInt32(value)
            for bit in 0..<5 where (top >> UInt32(bit)) & 1 == 1 { check ^= Bech32.generators[bit] }
        }

        mutating func feed(hrp: [UInt8]) {
            for char in hrp { feed(char >> 5) }
            feed(0)
            for char in hrp { feed(char & 31) }
        }

        mutating func feed(_ values: some Sequence<UInt8>) {
            for value in values { feed(value) }
        }
    }

    private static func checksum(hrp: [UInt8], groups: [UInt8]) -> [UInt8] {
        var state = Polymod()
        state.feed(hrp: hrp)
        state.feed(groups)
        for _ in 0..<6 { state.feed(0) }
        let value = state.check ^ 1
        return (0..<6).map { UInt8(truncatingIfNeeded: value >> UInt32(5 * (5 - $0))) & 31 }
    }

    /// Regroups bits from `fromBits`-wide to `toBits`-wide values, big-endian. When `pad` is false the input
    /// must end with fewer than `fromBits` leftover bits, all zero (decoding); when true the tail is padded
    /// with zeros (encoding).
    private static func regroup(_ values: some Collection<UInt8>, from fromBits: Int, to toBits: Int, pad: Bool) -> [UInt8]? {
        var accumulator: UInt32 = 0
        var bits = 0
        var out: [UInt8] = []
        out.reserveCapacity(values.count * fromBits / toBits + 1)
        let mask = UInt32((1 << toBits) - 1)
        for value in values {
            accumulator = (accumulator << UInt32(fromBits)) | UInt32(value)
            bits += fromBits
            while bits >= toBits {
                bits -= toBits
                out.append(UInt8((accumulator >> UInt32(bits)) & mask))
            }
            accumulator &= (1 << UInt32(bits)) - 1
        }
        if pad {
            if bits > 0 { out.append(UInt8((accumulator << UInt32(toBits - bits)) & mask)) }
        } else if bits >= fromBits || accumulator != 0 {
            return nil
        }
        accumulator = 0
        return out
    }

    /// Encodes `data` under `hrp` (printable ASCII, no upper case). With `uppercase`, the whole string is
    /// upper case (as age writes secret keys).
    public static func encode(hrp: String, data: [UInt8], uppercase: Bool = false) -> String {
        var chars = encodedBytes(hrp: hrp, data: data, uppercase: uppercase)
        defer { wipe(&chars) }
        return String(decoding: chars, as: UTF8.self)
    }

    /// The encoded string as ASCII bytes (so that a secret key's text can go straight into `SecretBytes`
    /// without an unwipeable `String` copy). The caller wipes the result when it holds a secret.
    static func encodedBytes(hrp: String, data: [UInt8], uppercase: Bool = false) -> [UInt8] {
        let hrpBytes = Array(hrp.lowercased().utf8)
        precondition(!hrpBytes.isEmpty && hrpBytes.allSatisfy { (33...126).contains($0) }, "invalid Bech32 prefix")
        var groups = regroup(data, from: 8, to: 5, pad: true) ?? []
        defer { wipe(&groups) }
        let check = checksum(hrp: hrpBytes, groups: groups)
        var chars = hrpBytes + [UInt8(ascii: "1")]
        chars.reserveCapacity(chars.count + groups.count + 6)
        for group in groups { chars.append(alphabet[Int(group)]) }
        for group in check { chars.append(alphabet[Int(group)]) }
        if uppercase {
            for index in chars.indices where (0x61...0x7a).contains(chars[index]) { chars[index] -= 0x20 }
        }
        return chars
    }

    /// Decodes a Bech32 string.
    /// - Returns: the HRP exactly as written (its case preserved) and the data bytes. Callers that hold
    ///   secrets should wipe the returned array after copying it into `SecretBytes`.
    /// - Throws: `DecodingError`.
    public static func decode(_ text: some StringProtocol) throws(DecodingError) -> (hrp: String, data: [UInt8]) {
        try decode(bytes: Array(text.utf8))
    }

    /// Decodes a Bech32 string given as ASCII bytes; `bytes` is wiped before returning.
    static func decode(bytes: consuming [UInt8]) throws(DecodingError) -> (hrp: String, data: [UInt8]) {
        var chars = bytes
        defer { wipe(&chars) }
        guard chars.allSatisfy({ (33...126).contains($0) }) else { throw .invalidCharacter }
        let hasLower = chars.contains { (0x61...0x7a).contains($0) }
        let hasUpper = chars.contains { (0x41...0x5a).contains($0) }
        guard !(hasLower && hasUpper) else { throw .mixedCase }
        guard let separator = chars.lastIndex(of: UInt8(ascii: "1")), separator >= 1,
              chars.count - separator - 1 >= 6 else { throw .malformed }
        let hrpAsWritten = String(decoding: chars[..<separator], as: UTF8.self)
        // The checksum is defined over the lower-case form.
        for index in chars.indices where (0x41...0x5a).contains(chars[index]) { chars[index] += 0x20 }
        let hrpBytes = Array(chars[..<separator])
        var groups: [UInt8] = []
        groups.reserveCapacity(chars.count - separator - 1)
        defer { wipe(&groups) }
        for char in chars[(separator + 1)...] {
            let value = reverseAlphabet[Int(char)]
            guard value >= 0 else { throw .invalidCharacter }
            groups.append(UInt8(value))
        }
        var state = Polymod()
        state.feed(hrp: hrpBytes)
        state.feed(groups)
        guard state.check == 1 else { throw .badChecksum }
        guard let data = regroup(groups[..<(groups.count - 6)], from: 5, to: 8, pad: false) else { throw .badPadding }
        return (hrpAsWritten, data)
    }
}
