extension Policy {
    /// The protective measure a record names, matched after `TextNormalisation.normalise` (so `" pseudonym-only"`
    /// is the measure `pseudonym-only`); nil when the policy does not define it.
    public func measure(named name: String) -> ProtectiveMeasure? {
        measures[TextNormalisation.normalise(name)]
    }
}
