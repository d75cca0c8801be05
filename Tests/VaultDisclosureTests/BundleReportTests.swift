import Testing
import VaultDisclosure

/// `amanah bundle verify` prints facts read from a bundle someone else wrote (issue 14): every one is shown
/// escaped, whether or not the bundle verifies.
@Suite struct BundleReportTests {
    @Test func valuesFromTheBundleAreEscaped() {
        var report = BundleReport()
        report.bundle = "DT-0001\u{1B}[2J"
        report.recipient = "Tribunal\u{202E}gpj.exe"
        report.profile = "tribunal\u{2028}verified"
        report.vault = "v\u{200B}v"
        report.issuer = "abcd\u{0085}"
        report.approvers = ["legal\u{2066}officer"]
        let text = report.render()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines == [
            "bundle: DT-0001\\u{001B}[2J",
            "recipient: Tribunal\\u{202E}gpj.exe",
            "profile: tribunal\\u{2028}verified",
            "vault: v\\u{200B}v",
            "issuer: abcd\\u{0085}",
            "recipient kit: none given (approvals and custody cannot be verified)",
            "approved by: legal\\u{2066}officer",
            "items: 0",
            "NOT VERIFIED",
            "",
        ])
    }
}
