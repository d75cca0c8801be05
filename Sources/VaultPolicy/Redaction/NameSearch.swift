import Foundation

/// How a typed name is matched against a recorded one (issue 18, "search as Arabic speakers type"). Both are
/// reduced to words: canonical decomposition (UAX #15 NFD) with every combining mark removed, so that Arabic
/// diacritics (harakat, shadda, sukun, superscript alef) go, and the hamza forms of alef (أ إ آ), of waw (ؤ)
/// and of ya (ئ) become the bare letter (ا و ي); alef wasla (ٱ) becomes alef; alef maqsura (ى) and Persian
/// ya (ی) become ya (ي), ta marbuta (ة) becomes ha (ه), Persian kaf (ک) becomes kaf (ك); tatweel (ـ) is
/// removed; Arabic-Indic and Persian digits become ASCII digits; Latin letters are lower-cased (and lose
/// their accents with the marks); anything that is not a letter or digit separates words. A query matches
/// when each of its words begins a different word of the name, in any order: `الحلبي أحمد` finds
/// `أحمد الحلبي`, and `احم` finds it too.
public enum NameSearch {
    /// The words of `text`, reduced as the type describes.
    public static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        func flush() {
            if !current.isEmpty { words.append(String(current)); current = String.UnicodeScalarView() }
        }
        for scalar in text.decomposedStringWithCanonicalMapping.lowercased().unicodeScalars {
            if scalar.properties.generalCategory == .nonspacingMark || scalar.properties.generalCategory == .enclosingMark
                || scalar.properties.generalCategory == .spacingMark || scalar.value == 0x0640 {
                continue
            }
            let mapped: Unicode.Scalar
            switch scalar.value {
            case 0x0660...0x0669: mapped = Unicode.Scalar(UInt8(0x30 + scalar.value - 0x0660))
            case 0x06F0...0x06F9: mapped = Unicode.Scalar(UInt8(0x30 + scalar.value - 0x06F0))
            case 0x0671: mapped = "\u{0627}"
            case 0x0649, 0x06CC: mapped = "\u{064A}"
            case 0x0629: mapped = "\u{0647}"
            case 0x06A9: mapped = "\u{0643}"
            default: mapped = scalar
            }
            if mapped.properties.isAlphabetic || mapped.properties.numericType != nil {
                current.append(mapped)
            } else {
                flush()
            }
        }
        flush()
        return words
    }

    /// Whether `query` matches `name`: every query word begins a different word of the name (a query with no
    /// word matches nothing).
    public static func matches(_ query: String, _ name: String) -> Bool {
        let wanted = words(query)
        guard !wanted.isEmpty else { return false }
        var available = words(name)
        // Longer query words first, so that a short prefix does not take the word a longer one needs.
        for word in wanted.sorted(by: { $0.count > $1.count }) {
            guard let index = available.firstIndex(where: { $0.hasPrefix(word) }) else { return false }
            available.remove(at: index)
        }
        return true
    }
}
