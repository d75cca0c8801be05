/// Builds a list of rules from statements, as `@PolicyRuleBuilder` closures.
@resultBuilder
public enum PolicyRuleBuilder {
    /// Result-builder step: flattens the statements into one list of rules.
    public static func buildExpression(_ rule: any PolicyRule) -> [any PolicyRule] { [rule] }
    /// Result-builder step: flattens the statements into one list of rules.
    public static func buildExpression(_ rules: [any PolicyRule]) -> [any PolicyRule] { rules }
    /// Result-builder step: flattens the statements into one list of rules.
    public static func buildBlock(_ parts: [any PolicyRule]...) -> [any PolicyRule] { parts.flatMap { $0 } }
    /// Result-builder step: flattens the statements into one list of rules.
    public static func buildOptional(_ part: [any PolicyRule]?) -> [any PolicyRule] { part ?? [] }
    /// Result-builder step: flattens the statements into one list of rules.
    public static func buildEither(first part: [any PolicyRule]) -> [any PolicyRule] { part }
    /// Result-builder step: flattens the statements into one list of rules.
    public static func buildEither(second part: [any PolicyRule]) -> [any PolicyRule] { part }
    /// Result-builder step: flattens the statements into one list of rules.
    public static func buildArray(_ parts: [[any PolicyRule]]) -> [any PolicyRule] { parts.flatMap { $0 } }
}
