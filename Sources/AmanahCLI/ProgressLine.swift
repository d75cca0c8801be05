import Foundation
internal import VaultPlatform

/// A progress line on standard error for a long command: count of total, per cent, rate and time left,
/// drawn in place (carriage return) at most ten times a second, only when standard error is a terminal and
/// `-q` is not given; nothing at all on a pipe, so logs and scripts see only messages and data.
final class ProgressLine: @unchecked Sendable {
    private let label: String
    private let total: Int
    private let unit: String
    private let start = Date()
    private var done = 0
    private var lastDrawn = Date.distantPast
    private let lock = NSLock()
    /// Whether it is drawn at all.
    let shown: Bool

    /// - Parameters: label: what is being done ("sealing"); total: how many `unit`s in all.
    init(_ label: String, total: Int, unit: String) {
        self.label = label
        self.total = total
        self.unit = unit
        shown = Terminal.standardErrorIsTerminal && Terminal.verbosity != .quiet && total > 0
        if shown { Terminal.activeProgress = self }
    }

    /// Counts `count` more done and draws the line (throttled).
    func advance(by count: Int = 1) {
        guard shown else { return }
        lock.withLock {
            done += count
            let now = Date()
            guard now.timeIntervalSince(lastDrawn) >= 0.1 || done >= total else { return }
            lastDrawn = now
            draw()
        }
    }

    /// Sets how many are done (a count the caller keeps) and draws the line (throttled).
    func update(to count: Int) {
        guard shown else { return }
        lock.withLock { done = count }
        advance(by: 0)
    }

    /// Draws the line again (after a message above it).
    func redraw() {
        guard shown else { return }
        lock.withLock { draw() }
    }

    /// Clears the line; the command's own summary follows.
    func finish() {
        guard shown else { return }
        Terminal.activeProgress = nil
        Terminal.writeStandardError("\r\u{1B}[K")
    }

    private func draw() {
        let elapsed = max(Date().timeIntervalSince(start), 0.001)
        let rate = Double(done) / elapsed
        let done = min(self.done, total)
        var line = "\(label) \(done)/\(total) \(unit) (\(total == 0 ? 100 : done * 100 / total)%)"
        if done > 0 {
            line += String(format: ", %.1f/s", rate)
            if done < total, rate > 0 { line += ", " + Self.duration(Double(total - done) / rate) + " left" }
        }
        Terminal.writeStandardError("\r\u{1B}[K" + line)
    }

    /// "1:05" or "1:02:05" for a number of seconds.
    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        let (hours, minutes, rest) = (whole / 3600, whole / 60 % 60, whole % 60)
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, rest) : String(format: "%d:%02d", minutes, rest)
    }
}

/// Turns a use case's progress callback (`total` once known, then nil per step) into a progress line, for
/// two or more steps; `finish()` clears it.
final class ProgressReporter: @unchecked Sendable {
    private let label: String
    private let unit: String
    private var line: ProgressLine?

    init(_ label: String, unit: String) { self.label = label; self.unit = unit }

    /// The callback to hand to the use case.
    func callback(_ total: Int?) {
        if let total { line = ProgressLine(label, total: total >= 2 ? total : 0, unit: unit) } else { line?.advance() }
    }

    /// Clears the line, if one was drawn.
    func finish() { line?.finish() }
}

/// A progress line per phase of a sync (`receiving events`, `sending blobs`, ...): a new phase ends the line
/// of the one before.
final class PhasedProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var phase: String?
    private var line: ProgressLine?

    /// The callback to hand to `SyncEngine.steps`.
    func step(_ label: String, _ unit: String, _ done: Int, _ total: Int) {
        lock.withLock {
            let key = "\(label) \(unit) \(total)"
            if key != phase {
                line?.finish()
                phase = key
                line = ProgressLine(label, total: total, unit: unit)
            }
            line?.update(to: done)
        }
    }

    /// Clears the line of the last phase.
    func finish() { lock.withLock { line?.finish(); line = nil } }
}
