internal import CSodium

/// Base64 (RFC 4648) through libsodium's `sodium_bin2base64` / `sodium_base642bin`, strict: decoding accepts
/// only the canonical encoding of some byte string (no whitespace, no non-zero trailing bits, padding exactly
/// as the variant demands) and rejects anything left over after the last character (`b64_end`).
public enum Base64 {
    /// The alphabet and padding rule.
    public enum Variant: Sendable {
        /// `+/` alphabet with `=` padding (RFC 4648 §4).
        case standard
        /// `+/` alphabet, no padding (used by age).
        case standardNoPadding
        /// `-_` alphabet, no padding (RFC 4648 §5).
        case urlSafeNoPadding

        var sodiumValue: Int32 {
            switch self {
            case .standard: return sodium_base64_VARIANT_ORIGINAL
            case .standardNoPadding: return sodium_base64_VARIANT_ORIGINAL_NO_PADDING
            case .urlSafeNoPadding: return sodium_base64_VARIANT_URLSAFE_NO_PADDING
            }
        }
    }

    /// Encodes bytes as base64 text.
    public static func encode(_ bytes: some Collection<UInt8>, variant: Variant = .standard) -> String {
        Sodium.ensureInitialized()
        let input = Array(bytes)
        let length = sodium_base64_encoded_len(input.count, variant.sodiumValue)
        var output = [CChar](repeating: 0, count: length)
        input.withUnsafeBufferPointer { source in
            _ = sodium_bin2base64(&output, length, source.baseAddress, source.count, variant.sodiumValue)
        }
        return output.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Decodes canonical base64 text.
    /// - Throws: `CryptoError.invalidEncoding` if the text is not the canonical encoding of any byte string.
    public static func decode(_ text: some StringProtocol, variant: Variant = .standard) throws -> [UInt8] {
        Sodium.ensureInitialized()
        let utf8 = Array(text.utf8)
        if utf8.isEmpty { return [] }
        var output = [UInt8](repeating: 0, count: utf8.count / 4 * 3 + 3)
        var written = 0
        var end: UnsafePointer<CChar>? = nil
        let status = utf8.withUnsafeBufferPointer { input -> Int32 in
            input.withMemoryRebound(to: CChar.self) { chars in
                let result = sodium_base642bin(&output, output.count, chars.baseAddress, chars.count, nil,
                                               &written, &end, variant.sodiumValue)
                if result == 0, let end, end != chars.baseAddress! + chars.count { return -2 }
                return result
            }
        }
        guard status == 0 else { throw CryptoError.invalidEncoding("not canonical base64") }
        output.removeSubrange(written...)
        // libsodium rejects non-zero trailing bits; re-encoding guards against any other non-canonical form.
        guard encode(output, variant: variant) == String(text) else {
            throw CryptoError.invalidEncoding("not canonical base64")
        }
        return output
    }
}

/// Lower-case hexadecimal.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Encodes bytes as lower-case hex.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out = [UInt8]()
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes hex (either case).
    /// - Throws: `CryptoError.invalidEncoding` for an odd length or a non-hex character.
    public static func decode(_ text: some StringProtocol) throws -> [UInt8] {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { throw CryptoError.invalidEncoding("odd-length hex") }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else {
                throw CryptoError.invalidEncoding("not hex")
            }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return nil
        }
    }
}

extension Array where Element == UInt8 {
    /// Appends a 64-bit unsigned integer, little-endian (8 bytes).
    public mutating func appendLittleEndian(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    /// Appends a 32-bit unsigned integer, little-endian (4 bytes).
    public mutating func appendLittleEndian(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    /// Appends a 32-bit unsigned integer, big-endian (4 bytes).
    public mutating func appendBigEndian(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    /// Appends a 64-bit unsigned integer, big-endian (8 bytes).
    public mutating func appendBigEndian(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    /// Appends a length-prefixed field: 4-byte big-endian length, then the bytes. Used in canonical encodings
    /// so that no two different field lists encode to the same bytes.
    public mutating func appendLengthPrefixed(_ bytes: some Collection<UInt8>) {
        let length = UInt32(bytes.count)
        for shift in stride(from: 24, through: 0, by: -8) { append(UInt8(truncatingIfNeeded: length >> UInt32(shift))) }
        append(contentsOf: bytes)
    }

    /// Appends a length-prefixed UTF-8 string (see `appendLengthPrefixed`).
    public mutating func appendLengthPrefixed(_ string: String) {
        appendLengthPrefixed(Array(string.utf8))
    }
}

/// Reads little-endian integers from a byte buffer.
@inlinable
public func readLittleEndianUInt64(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
    var value: UInt64 = 0
    for index in 0..<8 { value |= UInt64(bytes[offset + index]) << UInt64(8 * index) }
    return value
}

/// Reads a little-endian `UInt32` at `offset`.
@inlinable
public func readLittleEndianUInt32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
    var value: UInt32 = 0
    for index in 0..<4 { value |= UInt32(bytes[offset + index]) << UInt32(8 * index) }
    return value
}
