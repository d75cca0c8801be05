/// A court order the vault verified: an applied quorum operation citing a court order that names the
/// recipient and the witnesses whose identities it orders released. It stands in for those witnesses'
/// missing consent when the policy allows (`court-order-override`).
public struct CourtOrder: Sendable, Equatable {
    /// The id of the applied quorum operation.
    public var operationID: String
    /// The recipient the order names.
    public var recipient: String
    /// The pseudonyms of the witnesses the order covers.
    public var witnesses: [String]

    /// From its parts.
    public init(operationID: String, recipient: String, witnesses: [String]) {
        self.operationID = operationID
        self.recipient = recipient
        self.witnesses = witnesses
    }

    /// Whether the order covers `witness` for `recipient` (names normalised).
    public func covers(_ witness: String, for recipient: String) -> Bool {
        TextNormalisation.sameScalars(TextNormalisation.normalise(self.recipient), TextNormalisation.normalise(recipient))
            && witnesses.contains {
                TextNormalisation.sameScalars(TextNormalisation.normalise($0), TextNormalisation.normalise(witness))
            }
    }
}
