/// How `generalise` coarsens a value.
public enum Generalisation: Sendable, Equatable {
    /// A date to `YYYY-MM` (`level = "month"`).
    case month
    /// A date to `YYYY` (`level = "year"`).
    case year
    /// A place to its region (`level = "region"`, see `PlaceGeneralisation`).
    case region
    /// An age to a range of `width` years (`level = "range"`, `width = N`), e.g. width 10: `30-39`.
    case ageRange(width: Int)

    /// The level as written in policy files and logs (`month`, `year`, `region`, `range:10`).
    public var name: String {
        switch self {
        case .month: return "month"
        case .year: return "year"
        case .region: return "region"
        case let .ageRange(width): return "range:\(width)"
        }
    }
}
