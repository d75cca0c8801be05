internal import VaultText
import Foundation

/// The outcome of a test table.
public struct PolicyTestReport: Sendable, Equatable {
    /// One result per case, in order.
    public let results: [PolicyTestResult]

    /// The failed cases.
    public var failures: [PolicyTestResult] { results.filter { !$0.passed } }
    /// Whether every case passed.
    public var passed: Bool { failures.isEmpty }

    /// One line per case (`ok    NAME` or `FAIL  NAME: what`), then `N tests, P passed, F failed`.
    public func render() -> String {
        var lines = results.map { result in
            result.passed ? "ok    \(result.name)" : "FAIL  \(result.name): " + result.failures.joined(separator: "; ")
        }
        lines = lines.map { TerminalText.escaped($0, keepingLineBreaks: true).replacingOccurrences(of: "\n", with: "\\n") }
        lines.append("\(results.count) tests, \(results.count - failures.count) passed, \(failures.count) failed")
        return lines.joined(separator: "\n") + "\n"
    }
}
