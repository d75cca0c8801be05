extension PlaceGeneralisation {
    /// The region of `place`: the table's entry for it; the place itself when it is one of the table's
    /// regions; else the fallback's component when the place has two or more; else nil.
    public func region(for place: String) -> String? {
        let key = TextNormalisation.matchKey(place)
        guard !key.isEmpty else { return nil }
        if let region = regions[key] { return region }
        if regions.values.contains(where: { TextNormalisation.matchKey($0) == key }) {
            return TextNormalisation.normalise(place)
        }
        let components = TextNormalisation.normalise(place)
            .split(whereSeparator: { $0 == "," || $0 == "\u{060C}" })
            .map { TextNormalisation.normalise(String($0)) }
            .filter { !$0.isEmpty }
        guard components.count >= 2 else { return nil }
        switch fallback {
        case .firstComponent: return components.first
        case .lastComponent: return components.last
        case .withhold: return nil
        }
    }
}
