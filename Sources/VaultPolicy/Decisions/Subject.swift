/// Who asks: a member key, its role, and whether the governance chain lists it as a custodian.
public struct Subject: Sendable, Equatable {
    /// The key id (16 lower-case hex digits in the vault; any text here), shown in traces.
    public var keyID: String
    /// The member role, nil for a key that is only a custodian (or nothing).
    public var role: Role?
    /// Whether the key is a current custodian: `[roles.custodian]` rules then apply too.
    public var isCustodian: Bool

    /// From its parts.
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
