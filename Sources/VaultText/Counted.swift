/// A count with its noun in the right number, for messages: `counted(1, "byte")` is "1 byte",
/// `counted(2, "byte")` "2 bytes", `counted(3, "entry", "entries")` "3 entries". English only: a count of
/// exactly one takes the singular.
public func counted<N: BinaryInteger>(_ count: N, _ singular: String, _ plural: String? = nil) -> String {
    "\(count) " + (count == 1 ? singular : plural ?? singular + "s")
}
