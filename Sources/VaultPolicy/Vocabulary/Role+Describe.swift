internal import VaultText
extension Role {
    /// `roles` as text for messages: `investigator`, `custodian and legal-officer`, `no role`.
    static func describe(_ roles: [Role]) -> String {
        roles.isEmpty ? "no role" : roles.map(\.rawValue).joined(separator: " and ")
    }
}

extension Role {
    /// The role's name with its indefinite article, for messages: `an investigator`, `a custodian`.
    public var withArticle: String {
        VaultText.withArticle(rawValue)
    }
}
