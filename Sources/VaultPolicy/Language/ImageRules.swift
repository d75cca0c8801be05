/// What a profile does with images (`[profiles.NAME.images]`).
public struct ImageRules: Sendable, Equatable {
    /// Whether the release carries the original bytes unchanged (`originals = true`) instead of a freshly
    /// encoded derivative. Releasing an original releases whatever it reveals about its source.
    public let releaseOriginals: Bool
    /// Whether derivatives carry no metadata at all (must be true when originals are not released, false when
    /// they are: an original cannot be stripped and stay byte-identical).
    public let stripMetadata: Bool
    /// Region categories filled with a solid colour in derivatives (empty when originals are released).
    public let maskCategories: [String]
    /// Of `maskCategories`, those left unmasked when every source witness of the item consented to the
    /// recipient (and no protective measure forces the mask).
    public let unmaskWithConsent: [String]
}
