import Foundation

/// How one rule took part in a decision: its name (an allow or deny rule's `name`, or a built-in check such
/// as `disclosure.identity-consent`), what it said, and about what.
public struct AppliedRule: Sendable, Equatable, CustomStringConvertible {
    /// What the rule said.
    public enum Effect: String, Sendable, Equatable {
        case permit
        case deny
    }

    /// The name shown in traces.
    public let name: String
    /// What it said.
    public let effect: Effect
    /// What it matched or why it said so, in words.
    public let detail: String

    /// From its parts.
    public init(_ name: String, _ effect: Effect, _ detail: String) {
        self.name = name
        self.effect = effect
        self.detail = detail
    }

    public var description: String { "\(effect.rawValue) \(name): \(detail)" }
}
