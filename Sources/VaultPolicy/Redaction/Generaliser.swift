/// Coarsening of dates, places and ages for `generalise` field rules. Each returns nil when the value
/// cannot be generalised; the redactor then removes it (fail closed).
public enum Generaliser {
    /// A date to `YYYY-MM` (`.month`) or `YYYY` (`.year`).
    ///
    /// Accepts, after `TextNormalisation` (so Arabic-Indic digits work): ISO 8601 `YYYY`, `YYYY-MM`,
    /// `YYYY-MM-DD`, the last optionally followed by `T` or a space and a time; and EXIF `YYYY:MM:DD` with an
    /// optional ` hh:mm:ss`. Month 01–12, day 01–31, year 0001–9999. A year-only date stays `YYYY` at the month
    /// level (it is already coarser).
    public static func date(_ value: String, to level: Generalisation) -> String? {
        let scalars = Array(TextNormalisation.normalise(value).unicodeScalars)
        func digits(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= scalars.count else { return nil }
            var number = 0
            for index in range {
                guard let digit = Int(exactly: scalars[index].value), (0x30...0x39).contains(digit) else { return nil }
                number = number * 10 + digit - 0x30
            }
            return number
        }
        guard let year = digits(0..<4), year >= 1 else { return nil }
        var month: Int?
        if scalars.count > 4 {
            let separator = scalars[4]
            guard separator == "-" || separator == ":", let parsedMonth = digits(5..<7), (1...12).contains(parsedMonth)
            else { return nil }
            month = parsedMonth
            if scalars.count > 7 {
                guard scalars[7] == separator, let day = digits(8..<10), (1...31).contains(day) else { return nil }
                if scalars.count > 10 {
                    let rest = scalars[10]
                    guard rest == "T" || rest == " " else { return nil }
                }
            } else if separator == ":" {
                return nil
            }
        }
        let yearText = String(repeating: "0", count: 4 - String(year).count) + String(year)
        switch level {
        case .year: return yearText
        case .month:
            guard let month else { return yearText }
            return yearText + "-" + (month < 10 ? "0" : "") + String(month)
        default: return nil
        }
    }

    /// An age in whole years (0...150, after `TextNormalisation`) to a range of `width` years:
    /// width 10 turns `34` into `30-39`.
    public static func age(_ value: String, width: Int) -> String? {
        let text = TextNormalisation.normalise(value)
        guard width > 0, !text.isEmpty, text.unicodeScalars.count <= 3,
              text.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }),
              let age = Int(text), (0...150).contains(age) else { return nil }
        let low = age / width * width
        return "\(low)-\(low + width - 1)"
    }
}
