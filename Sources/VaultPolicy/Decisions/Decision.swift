internal import VaultText
import Foundation

/// A policy decision: a value, never an error. Either permit, with the obligations the vault must meet, or
/// deny, with the reason; in both cases the rules that made it.
public struct Decision: Sendable, Equatable {
    /// The outcome.
    public enum Verdict: Sendable, Equatable {
        case permit(obligations: [Obligation])
        case deny(reason: String)
    }

    /// The outcome.
    public let verdict: Verdict
    /// The rules that made the decision, in evaluation order.
    public let rules: [AppliedRule]

    /// A decision from its parts.
    public init(_ verdict: Verdict, rules: [AppliedRule]) {
        self.verdict = verdict
        self.rules = rules
    }

    /// A permit.
    public static func permit(obligations: [Obligation] = [], rules: [AppliedRule]) -> Decision {
        Decision(.permit(obligations: obligations), rules: rules)
    }

    /// A deny.
    public static func deny(reason: String, rules: [AppliedRule]) -> Decision {
        Decision(.deny(reason: reason), rules: rules)
    }

    /// Whether the verdict is permit (perhaps with obligations still to meet).
    public var isPermit: Bool {
        if case .permit = verdict { return true }
        return false
    }

    /// The obligations of a permit (empty for a deny).
    public var obligations: [Obligation] {
        if case let .permit(obligations) = verdict { return obligations }
        return []
    }

    /// The reason of a deny (nil for a permit).
    public var reason: String? {
        if case let .deny(reason) = verdict { return reason }
        return nil
    }

    /// Whether the request may be carried out now: a permit with no approval still missing. `disclose issue`
    /// needs this; `disclose propose` needs only `isPermit`.
    public var isComplete: Bool {
        isPermit && !obligations.contains(where: \.isPendingApproval)
    }

    /// The text `amanah policy explain` prints: first line `permit` or `deny`, then
    /// `obligation: ...` lines (permit) or one `reason: ...` line (deny), then one `rule: ...` line per rule.
    /// Control and bidirectional formatting characters that request facts brought into the text are escaped
    /// (`TerminalText.escaped`), and every entry stays on its own line.
    public func render() -> String {
        var lines: [String] = []
        switch verdict {
        case let .permit(obligations):
            lines.append("permit")
            lines += obligations.map { "obligation: \($0)" }
        case let .deny(reason):
            lines.append("deny")
            lines.append("reason: \(reason)")
        }
        lines += rules.map { "rule: \($0)" }
        return lines.map { TerminalText.escaped($0, keepingLineBreaks: true).replacingOccurrences(of: "\n", with: "\\n") }
            .joined(separator: "\n") + "\n"
    }
}
