/// A protective measure a witness may be under (`[measures.NAME]`), recorded in the witness's
/// `protectiveMeasures` list, and what it forces on every release regardless of profile. A witness record
/// naming a measure the policy does not define is denied (decisions) and refused (redaction).
public struct ProtectiveMeasure: Sendable, Equatable {
    /// The measure's name as records list it (`pseudonym-only`).
    public let name: String
    /// What it means, in words.
    public let description: String
    /// Identity-compartment fields of the witness's record are removed from every release, whatever the
    /// profile or the consent says.
    public let removeIdentity: Bool
    /// Originals the witness is a source of are never released (a request that would is denied).
    public let withholdOriginals: Bool
    /// Region categories always masked on items the witness is a source of, consent notwithstanding; a request
    /// to release such an item's original is denied when it has a region of these categories.
    public let alwaysMask: [String]
    /// The category code logged when `removeIdentity` removes a field (required when `removeIdentity`).
    public let code: String?
}
