extension Role {
    /// `roles` as text for messages: `investigator`, `custodian and legal-officer`, `no role`.
    static func describe(_ roles: [Role]) -> String {
        roles.isEmpty ? "no role" : roles.map(\.rawValue).joined(separator: " and ")
    }
}
