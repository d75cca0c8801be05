import Foundation
import Testing

/// Issue 15: an operation's expiry was checked against the applier's clock, so an applier with a clock set
/// back could apply an operation that had expired. Times are now made monotonic by the log: no event is
/// earlier than the one before it, and expiry is judged at a time never before the newest event.
@Suite struct MonotonicTimeTests {
    static let day: Int64 = 24 * 3600 * 1000

    @Test func anExpiredOperationStaysExpiredForAClockSetBack() throws {
        let vault = try VaultFixture()
        defer { vault.cleanup() }
        let newcomer = try vault.cli.makeIdentity("newcomer")
        #expect(try vault.run("custodian-1", ["op", "propose", "add-member", newcomer, "--role", "auditor", "-o", "add.json"]).status == 0)
        for custodian in ["custodian-1", "custodian-2"] { #expect(try vault.run(custodian, ["op", "approve", "add.json", "--yes"]).status == 0) }
        // Fifteen days later (the default lifetime is fourteen) a member works in the vault.
        let later = ["AMANAH_TEST_CLOCK_OFFSET_MS": String(15 * Self.day)]
        try vault.cli.write("case.json", #"{"id":"C-5","detaineeNumber":"5/5"}"#)
        #expect(try vault.run("collector", ["case", "add", "--from", "case.json"], environment: later).status == 0)
        // A custodian whose clock is right by the old date (or was set back) tries to apply it.
        let applied = try vault.run("custodian-1", ["op", "apply", "add.json"])
        #expect(applied.status != 0, "an expired operation was applied: \(applied.stderr)")
        #expect(applied.stderr.contains("the operation expired at"), "\(applied.stderr)")
        // And an event written with a clock set back is not dated before the newest one.
        let back = ["AMANAH_TEST_CLOCK_OFFSET_MS": String(-30 * Self.day)]
        try vault.cli.write("case2.json", #"{"id":"C-6","detaineeNumber":"6/6"}"#)
        #expect(try vault.run("collector", ["case", "add", "--from", "case2.json"], environment: back).status == 0)
        let log = try vault.cli.run(["audit", "log", "--json", "-C", "vault"])
        let events = try JSONSerialization.jsonObject(with: Data(log.stdout.utf8)) as! [[String: Any]]
        let times = events.compactMap { $0["time"] as? String }
        #expect(times.count == events.count && times == times.sorted(), "\(times)")
        // Verified later (when the fifteen days have passed) the log is whole; verified by a machine whose
        // clock is still at the old date, the event dated ahead is named.
        #expect(try vault.cli.run(["audit", "verify", "-C", "vault"], environment: later).status == 0)
        let early = try vault.cli.run(["audit", "verify", "-C", "vault"])
        #expect(early.status == 3 && early.stdout.contains("more than a day after this machine's clock"), "\(early.stdout)")
    }
}
