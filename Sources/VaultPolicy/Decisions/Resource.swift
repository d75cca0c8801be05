/// What a request acts on: the compartments it reads or writes and the facts conditions look at.
public struct Resource: Sendable, Equatable {
    /// Compartments the operation reads or writes. For a release of a record, the compartments of the fields
    /// the profile does not remove (`RedactionProfile.compartments(releasing:)`); for an item, `media` (plus
    /// those of its records when they go with it). Empty for `administer` and `audit`.
    public var compartments: Set<Compartment>
    /// A label for traces (`item 7f3a…`, `case C-1`); never a protected value.
    public var label: String
    /// The case the resource belongs to, for `cases` conditions.
    public var caseID: String?
    /// The resource's classification level; nil is the policy's lowest level.
    public var classification: String?
    /// Witnesses concerned (see `WitnessFacts`).
    public var witnesses: [WitnessFacts]
    /// Whether the item's original reveals its source (capture metadata, the scene itself): releasing the
    /// original under a profile with `originals = true` then reveals an identity. Vault default: true for any
    /// item with a source, unless a protection officer recorded otherwise.
    public var originalRevealsSource: Bool
    /// Category codes of the item's regions (for measures that force masks on originals).
    public var regionCategories: [String]
    /// Witnesses whose faces (regions of a category the profile masks unless consented, naming them) a
    /// release leaves unmasked: it reveals their identity, so it needs their consent to the recipient and the
    /// identity approver's approval (issue 16). Empty for anything but a release.
    public var shownWitnesses: [WitnessFacts] = []

    /// From its parts; unspecified facts are the safe defaults (no case, lowest classification, no witnesses, an original that reveals nothing, no regions).
    public init(compartments: Set<Compartment>, label: String = "", caseID: String? = nil,
                classification: String? = nil, witnesses: [WitnessFacts] = [], originalRevealsSource: Bool = false,
                regionCategories: [String] = []) {
        self.compartments = compartments
        self.label = label
        self.caseID = caseID
        self.classification = classification
        self.witnesses = witnesses
        self.originalRevealsSource = originalRevealsSource
        self.regionCategories = regionCategories
    }

    /// The resource of a vault-wide action (`administer`, `audit`).
    public static let vault = Resource(compartments: [], label: "vault")
}
