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
    /// Region categories (only those whose code requires a reason, such as E "other") whose regions' own
    /// reasons a release carries, where they are masked (`release-reasons`; empty by default: a region's
    /// reason is internal and a release carries only its category). Written for the recipient, then.
    public let releaseReasons: [String]
    /// Whether derivatives carry a visible watermark naming the viewing session (`watermark = true`; only
    /// with derivatives). A release under such a profile is made for a session (`export --session`), never
    /// as a disclosure bundle.
    public let watermark: Bool

    /// Memberwise.
    public init(releaseOriginals: Bool, stripMetadata: Bool, maskCategories: [String], unmaskWithConsent: [String], releaseReasons: [String] = [],
                watermark: Bool = false) {
        self.releaseOriginals = releaseOriginals; self.stripMetadata = stripMetadata; self.maskCategories = maskCategories
        self.unmaskWithConsent = unmaskWithConsent; self.releaseReasons = releaseReasons; self.watermark = watermark
    }
}
