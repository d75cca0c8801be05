/// A region drawn on an item (issue 7): its id, category code and reason. Coordinates stay with the vault.
public struct RegionFacts: Sendable, Equatable {
    /// The region's id.
    public var id: String
    /// The region's category code.
    public var category: String
    /// Why the region was drawn (required for codes that require a reason).
    public var reason: String
    /// The pseudonym of the witness the region shows (`region add --witness`), if it names one.
    public var witness: String?

    /// From its parts.
    public init(id: String, category: String, reason: String, witness: String? = nil) {
        self.id = id
        self.category = category
        self.reason = reason
        self.witness = witness
    }
}
