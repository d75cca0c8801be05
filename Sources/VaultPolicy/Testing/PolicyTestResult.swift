import Foundation

/// The outcome of one test case.
public struct PolicyTestResult: Sendable, Equatable {
    /// The case's name.
    public let name: String
    /// The decision the policy gave.
    public let decision: Decision
    /// What did not match, in words; empty when the case passed.
    public let failures: [String]
    /// Whether the case passed.
    public var passed: Bool { failures.isEmpty }
}
