import Foundation
import Testing
import TestSupport

/// In CI a missing SeaweedFS is a failure, not a skipped suite.
@Suite struct SeaweedFSPresenceTests {
    @Test func seaweedFSIsInstalledInCI() {
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            #expect(SeaweedFS.available, "SeaweedFS (weed) is missing in CI: scripts/install-deps.sh installs it")
        }
    }
}
