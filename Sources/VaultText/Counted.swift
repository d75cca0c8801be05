/// A count with its noun in the right number, for messages: `counted(1, "byte")` is "1 byte",
/// `counted(2, "byte")` "2 bytes", `counted(3, "entry", "entries")` "3 entries". English only: a count of
/// exactly one takes the singular.
public func counted<N: BinaryInteger>(_ count: N, _ singular: String, _ plural: String? = nil) -> String {
    "\(count) " + (count == 1 ? singular : plural ?? singular + "s")
}

/// `word` with its indefinite article, for messages: `an investigator`, `a legal-officer` (by its first
/// letter: a vowel takes "an").
public func withArticle(_ word: String) -> String {
    ("aeiouAEIOU".contains(word.first ?? "x") ? "an " : "a ") + word
}
