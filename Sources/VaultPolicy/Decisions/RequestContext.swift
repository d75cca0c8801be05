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

    /// From its parts (all optional).
    public init(profile: String? = nil, recipient: String? = nil, requester: String? = nil,
                approvals: [Approval] = [], courtOrder: CourtOrder? = nil) {
        self.profile = profile
        self.recipient = recipient
        self.requester = requester
        self.approvals = approvals
        self.courtOrder = courtOrder
    }
}
