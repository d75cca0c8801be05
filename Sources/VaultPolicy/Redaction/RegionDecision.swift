/// What a release under a profile does with one region.
public struct RegionDecision: Sendable, Equatable {
    /// The region's id.
    public let regionID: String
    /// The region's category code.
    public let category: String
    /// Whether the derivative fills the region with a solid colour.
    public let masked: Bool
    /// Why, in words.
    public let why: String
}
