/// How `generalise` with `level = "region"` turns a place into a region (`[places]`): first the mapping
/// table (`[places.regions]`, place → region, matched after `TextNormalisation.matchKey`), then the fallback
/// rule.
public struct PlaceGeneralisation: Sendable, Equatable {
    /// What to do with a place the table does not list.
    public enum Fallback: String, Sendable, Equatable, CaseIterable {
        /// The first comma-separated component (for places written general-first: `Damascus, Mezzeh`).
        case firstComponent = "first-component"
        /// The last comma-separated component (for places written specific-first: `Mezzeh, Damascus`).
        case lastComponent = "last-component"
        /// Remove the value.
        case withhold
    }

    /// Normalised match key (`TextNormalisation.matchKey`) → region, as written in the policy (NFC).
    public let regions: [String: String]
    /// The rule for places the table does not list. A place with a single component is withheld by either
    /// component rule: its only component is the place itself, not a region.
    public let fallback: Fallback
}
