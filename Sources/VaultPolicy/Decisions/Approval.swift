/// An approval already given to a disclosure request (signature verified by the vault).
public struct Approval: Sendable, Equatable {
    /// The approver's key id.
    public var keyID: String
    /// The approver's member role.
    public var role: Role?
    /// Whether the approver is a custodian.
    public var isCustodian: Bool

    /// From its parts.
    public init(keyID: String, role: Role?, isCustodian: Bool = false) {
        self.keyID = keyID
        self.role = role
        self.isCustodian = isCustodian
    }

    var subject: Subject { Subject(keyID: keyID, role: role, isCustodian: isCustodian) }
}
