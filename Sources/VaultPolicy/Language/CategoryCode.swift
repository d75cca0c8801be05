/// A redaction category code (`[categories.CODE]`): every applied redaction and every region carries one.
/// Issue 6's examples: `A` witness identity, `B` identity of a third person, `C` location, `D` investigative
/// sources and methods, `E` other (reason required).
public struct CategoryCode: Sendable, Equatable {
    /// The code: 1 to 8 characters `A`–`Z`, `0`–`9`.
    public let code: String
    /// What the category covers; the default reason of a redaction that gives none.
    public let description: String
    /// Whether every use (a field rule, a region) must state its own reason.
    public let reasonRequired: Bool
}
