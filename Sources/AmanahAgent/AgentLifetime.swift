/// How long an agent keeps its identities: parsed from `8h`, `90m`, `1h30m`, `45s`, `2d` or plain seconds;
/// between 1 second and 7 days.
public struct AgentLifetime: Sendable, Equatable {
    /// The default: a working day, 8 hours.
    public static let standard = AgentLifetime(seconds: 8 * 3600)
    /// The longest lifetime accepted: 7 days.
    public static let maximumSeconds: Int64 = 7 * 24 * 3600

    public let seconds: Int64

    public init(seconds: Int64) { self.seconds = seconds }

    /// Parses a duration; nil when malformed, zero or above 7 days.
    public init?(parsing text: String) {
        var total: Int64 = 0
        var number: Int64? = nil
        var sawUnit = false
        for character in text {
            if let digit = character.wholeNumberValue, character.isASCII {
                let (times, overflowA) = (number ?? 0).multipliedReportingOverflow(by: 10)
                let (plus, overflowB) = times.addingReportingOverflow(Int64(digit))
                guard !overflowA, !overflowB, plus <= AgentLifetime.maximumSeconds else { return nil }
                number = plus
                continue
            }
            let unit: Int64
            switch character {
            case "s": unit = 1
            case "m": unit = 60
            case "h": unit = 3600
            case "d": unit = 86400
            default: return nil
            }
            guard let value = number else { return nil }
            total += value * unit
            guard total <= AgentLifetime.maximumSeconds else { return nil }
            number = nil
            sawUnit = true
        }
        if let number {
            guard !sawUnit else { return nil }   // "1h30" is ambiguous
            total = number
        }
        guard total >= 1, total <= AgentLifetime.maximumSeconds else { return nil }
        seconds = total
    }

    /// `7h 59m 58s`, dropping leading zero units.
    public static func format(seconds: Int64) -> String {
        let days = seconds / 86400, hours = seconds % 86400 / 3600, minutes = seconds % 3600 / 60, rest = seconds % 60
        var parts: [String] = []
        if days > 0 { parts.append("\(days)d") }
        if days > 0 || hours > 0 { parts.append("\(hours)h") }
        if days > 0 || hours > 0 || minutes > 0 { parts.append("\(minutes)m") }
        parts.append("\(rest)s")
        return parts.joined(separator: " ")
    }
}
