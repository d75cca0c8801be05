import Foundation

/// Parsing of times given on the command line (`audit log --since`) through Foundation's ISO 8601 support:
/// an RFC 3339 date-time (`2024-05-01T10:00:00Z`, `2024-05-01T12:00:00.250+02:00`; `t`, `z` and a space
/// separator accepted, as RFC 3339 §5.6 notes) or a full date (`2024-05-01`, meaning 00:00:00 UTC that day).
enum RFC3339 {
    /// Milliseconds since 1970-01-01T00:00:00Z, or nil when `text` is neither form or names an impossible
    /// date or time (fractions beyond milliseconds are truncated; a leap second 60 is accepted as the second
    /// after :59, since Foundation does not take it).
    static func milliseconds(_ text: String) -> Int64? {
        if text.utf8.count == 10 {
            guard let date = fullDate.date(from: text), fullDate.string(from: date) == text else { return nil }
            return Int64((date.timeIntervalSince1970 * 1000).rounded())
        }
        // RFC 3339 allows a lower-case `t` and `z` and a space between date and time; ISO 8601 wants `T`, `Z`.
        var normalised = Array(text.utf8)
        guard normalised.count > 10 else { return nil }
        if [UInt8(ascii: "t"), UInt8(ascii: " ")].contains(normalised[10]) { normalised[10] = UInt8(ascii: "T") }
        if normalised.last == UInt8(ascii: "z") { normalised[normalised.count - 1] = UInt8(ascii: "Z") }
        // Foundation rolls 2024-02-30 over to 1 March: the date part must stand on its own.
        guard milliseconds(String(decoding: normalised[0..<10], as: UTF8.self)) != nil else { return nil }
        var leapSecond: Int64 = 0
        if normalised.count > 18, normalised[16] == UInt8(ascii: ":"), normalised[17] == UInt8(ascii: "6"), normalised[18] == UInt8(ascii: "0") {
            normalised[17] = UInt8(ascii: "5"); normalised[18] = UInt8(ascii: "9")
            leapSecond = 1000
        }
        let candidate = String(decoding: normalised, as: UTF8.self)
        let parser = candidate.contains(".") ? withFraction : withoutFraction
        guard let date = parser.date(from: candidate) else { return nil }
        return Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) + leapSecond
    }

    nonisolated(unsafe) private static let fullDate: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter
    }()

    nonisolated(unsafe) private static let withoutFraction: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter
    }()

    nonisolated(unsafe) private static let withFraction: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()
}
