/// Parsing of times given on the command line (`audit log --since`): an RFC 3339 date-time
/// (`2024-05-01T10:00:00Z`, `2024-05-01T12:00:00.250+02:00`; `t`, `z` and a space separator accepted, as RFC 3339
/// §5.6 notes) or a full date (`2024-05-01`, meaning 00:00:00 UTC that day).
enum RFC3339 {
    /// Milliseconds since 1970-01-01T00:00:00Z, or nil when `text` is neither form or names an impossible date
    /// or time (fractions beyond milliseconds are truncated; a leap second 60 is accepted).
    static func milliseconds(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        var position = 0
        func number(_ digits: Int) -> Int64? {
            guard position + digits <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[position..<(position + digits)] {
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int64(byte - 0x30)
            }
            position += digits
            return value
        }
        func expect(_ characters: String) -> Bool {
            guard position < bytes.count, characters.utf8.contains(bytes[position]) else { return false }
            position += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
              (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        if position == bytes.count { return days * 86_400_000 }
        guard expect("Tt "), let hour = number(2), expect(":"), let minute = number(2), expect(":"), let second = number(2),
              hour <= 23, minute <= 59, second <= 60 else { return nil }
        var millis: Int64 = 0
        if expect(".") {
            var digits = 0
            while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 {
                if digits < 3 { millis = millis * 10 + Int64(bytes[position] - 0x30) }
                digits += 1
                position += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(3, digits) { millis *= 10 }
        }
        var offset: Int64 = 0
        if expect("Zz") {
            offset = 0
        } else {
            guard position < bytes.count else { return nil }
            let sign: Int64 = bytes[position] == 0x2D ? -1 : 1
            guard expect("+-"), let offsetHours = number(2), expect(":"), let offsetMinutes = number(2),
                  offsetHours <= 23, offsetMinutes <= 59 else { return nil }
            offset = sign * (offsetHours * 60 + offsetMinutes) * 60_000
        }
        guard position == bytes.count else { return nil }
        return days * 86_400_000 + ((hour * 60 + minute) * 60 + second) * 1000 + millis - offset
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
