/// Who asks: a member key, its role, and whether the governance chain lists it as a custodian.
public struct Subject: Sendable, Equatable {
    /// The key id (16 lower-case hex digits in the vault; any text here), shown in traces.
    public var keyID: String
    /// The member role, nil for a key that is only a custodian (or nothing).
    public var role: Role?
    /// Whether the key is a current custodian: `[roles.custodian]` rules then apply too.
    public var isCustodian: Bool

    public init(keyID: String, role: Role?, isCustodian: Bool = false) {
        self.keyID = keyID
        self.role = role
        self.isCustodian = isCustodian
    }

    /// The roles whose rules apply, in `Role` order.
    public var roles: [Role] {
        var out = Set<Role>()
        if let role { out.insert(role) }
        if isCustodian { out.insert(.custodian) }
        return out.sorted()
    }
}

/// What the policy needs to know about one witness concerned by a request: a witness record being released,
/// the source of an item, or the `identifiedBy` witness of a case. Read from the case compartment (never the
/// identity compartment): the vault can supply it without reading identities.
public struct WitnessFacts: Sendable, Equatable {
    /// The witness pseudonym (`W-0001`).
    public var pseudonym: String
    /// The names of the recipients the witness consented to (compared after `TextNormalisation.normalise`).
    public var consent: [String]
    /// Protective measures by name (each must be defined by the policy, or the request is denied).
    public var protectiveMeasures: [String]

    public init(pseudonym: String, consent: [String] = [], protectiveMeasures: [String] = []) {
        self.pseudonym = pseudonym
        self.consent = consent
        self.protectiveMeasures = protectiveMeasures
    }

    /// Whether the consent list names `recipient` (both normalised, compared scalar by scalar).
    public func consents(to recipient: String) -> Bool {
        let wanted = TextNormalisation.normalise(recipient)
        guard !wanted.isEmpty else { return false }
        return consent.contains { TextNormalisation.sameScalars(TextNormalisation.normalise($0), wanted) }
    }
}

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

/// An approval already given to a disclosure request (signature verified by the vault).
public struct Approval: Sendable, Equatable {
    /// The approver's key id.
    public var keyID: String
    /// The approver's member role.
    public var role: Role?
    /// Whether the approver is a custodian.
    public var isCustodian: Bool

    public init(keyID: String, role: Role?, isCustodian: Bool = false) {
        self.keyID = keyID
        self.role = role
        self.isCustodian = isCustodian
    }

    var subject: Subject { Subject(keyID: keyID, role: role, isCustodian: isCustodian) }
}

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

/// The circumstances of a request.
public struct RequestContext: Sendable, Equatable {
    /// The redaction profile of a release (`export --profile`, `disclose --profile`), nil otherwise.
    public var profile: String?
    /// The registered recipient of a release, nil for none.
    public var recipient: String?
    /// The key id of the disclosure's requester (for `approve`; for `disclose` the subject when nil).
    public var requester: String?
    /// Approvals given so far (for `disclose`).
    public var approvals: [Approval]
    /// A verified court order, if any.
    public var courtOrder: CourtOrder?

    public init(profile: String? = nil, recipient: String? = nil, requester: String? = nil,
                approvals: [Approval] = [], courtOrder: CourtOrder? = nil) {
        self.profile = profile
        self.recipient = recipient
        self.requester = requester
        self.approvals = approvals
        self.courtOrder = courtOrder
    }
}

/// One question to the policy: may `subject` take `action` on `resource` in `context`?
///
/// A request *reveals an identity* when its action is `export`, `disclose` or `approve` and either its
/// compartments include `identity`, or its profile releases originals and `resource.originalRevealsSource`.
/// It *reveals a source* in the second case.
public struct PolicyRequest: Sendable, Equatable {
    public var subject: Subject
    public var action: Action
    public var resource: Resource
    public var context: RequestContext

    public init(subject: Subject, action: Action, resource: Resource, context: RequestContext = RequestContext()) {
        self.subject = subject
        self.action = action
        self.resource = resource
        self.context = context
    }
}
