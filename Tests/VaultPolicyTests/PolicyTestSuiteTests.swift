import Testing
@testable import VaultPolicy

@Suite struct PolicyTestSuiteTests {
    @Test func failuresAreNamedAndExplained() throws {
        let suite = try PolicyTestSuite(parsing: """
            version = 1

            [[test]]
            name = "collector may view (wrong on purpose)"
            role = "collector"
            action = "view"
            compartments = ["media"]
            expect = "permit"

            [[test]]
            name = "investigator exports under public"
            role = "investigator"
            action = "export"
            compartments = ["media"]
            profile = "public"
            expect = "permit"
            obligations = ["profile=public", "quorum"]
            rule = "investigator-view"

            [[test]]
            name = "auditor audits"
            role = "auditor"
            action = "audit"
            expect = "permit"
            complete = true

            [[test]]
            name = "auditor views (reason wrong on purpose)"
            role = "auditor"
            action = "view"
            compartments = ["media"]
            expect = "deny"
            reason = "because"
            """)
        let report = suite.run(against: .builtIn)
        #expect(!report.passed)
        #expect(report.failures.map(\.name) == ["collector may view (wrong on purpose)", "investigator exports under public",
                                                "auditor views (reason wrong on purpose)"])
        #expect(report.failures[0].failures == ["expected permit, got deny (collectors seal evidence but never read it back)"])
        #expect(report.failures[1].failures == [
            "expected obligations [profile=public, quorum], got [profile=public]",
            "rule investigator-view did not take part (rules: investigator-export-public, profiles.public)",
        ])
        #expect(report.failures[2].failures.first?.contains("does not contain \"because\"") == true)
        let lines = report.render().split(separator: "\n").map(String.init)
        #expect(lines.count == 5)
        #expect(lines[0].hasPrefix("FAIL  collector may view (wrong on purpose): expected permit, got deny"))
        #expect(lines[2] == "ok    auditor audits")
        #expect(lines[4] == "4 tests, 1 passed, 3 failed")
    }

    @Test func theTableIsParsedStrictly() {
        func error(_ text: String) -> PolicyError? {
            do {
                _ = try PolicyTestSuite(parsing: text)
                return nil
            } catch {
                return error
            }
        }
        let base = "version = 1\n[[test]]\nname = \"t\"\naction = \"view\"\nexpect = \"deny\"\n"
        #expect(error(base) == nil)
        #expect(error(base + "rol = \"auditor\"\n") == PolicyError(.unknownKey, at: "test[0].rol", ""))
        #expect(error(base + "role = \"judge\"\n") == PolicyError(.invalidValue, at: "test[0].role", ""))
        #expect(error(base.replacingOccurrences(of: "\"view\"", with: "\"read\"")) == PolicyError(.invalidValue, at: "test[0].action", ""))
        #expect(error(base.replacingOccurrences(of: "\"deny\"", with: "\"maybe\"")) == PolicyError(.invalidValue, at: "test[0].expect", ""))
        #expect(error(base + "obligations = [\"two-person\"]\n") == PolicyError(.invalidValue, at: "test[0].obligations[0]", ""))
        #expect(error(base + "compartments = [\"vault\"]\n") == PolicyError(.invalidValue, at: "test[0].compartments[0]", ""))
        #expect(error(base + "witnesses = [{ pseudonym = \"W-1\", consnet = [] }]\n")
                == PolicyError(.unknownKey, at: "test[0].witnesses[0].consnet", ""))
        #expect(error(base + "approvals = [{ key-id = \"k\", role = \"judge\" }]\n")
                == PolicyError(.invalidValue, at: "test[0].approvals[0].role", ""))
        #expect(error(base + "court-order = { operation = \"OP\", recipient = \"r\" }\n")
                == PolicyError(.missingKey, at: "test[0].court-order.witnesses", ""))
        #expect(error(base + base.replacingOccurrences(of: "version = 1\n", with: "")) == PolicyError(.duplicate, at: "test[1].name", ""))
        #expect(error("version = 2\n") == PolicyError(.unsupportedVersion, at: "version", ""))
        #expect(error("version = 1\ntests = []\n") == PolicyError(.unknownKey, at: "tests", ""))
        #expect(error("[[test]\n")?.code == .syntax)
    }

    @Test func anEmptyTableRunsNothing() throws {
        let report = try PolicyTestSuite(parsing: "version = 1\n").run(against: .builtIn)
        #expect(report.passed)
        #expect(report.render() == "0 tests, 0 passed, 0 failed\n")
    }
}
