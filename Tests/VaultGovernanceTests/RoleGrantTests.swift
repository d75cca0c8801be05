import Testing
import VaultCrypto
import VaultGovernance
import VaultPolicy

/// Issue 16: a bundle proves an approver's role granted after the tribunal's kit by the governance entry that
/// granted it. An entry counts only when at least the pinned threshold of pinned custodians approved its
/// operation: an entry that a single issuer wrote and put in the log grants nothing.
@Suite struct RoleGrantTests {
    static let vaultID = [UInt8](repeating: 0x11, count: 32)

    static func operation(_ change: Change, vaultID: [UInt8] = vaultID) -> GovernanceOperation {
        GovernanceOperation(vaultID: vaultID, previousState: [UInt8](repeating: 0x22, count: 32), change: change,
                            expires: 1_800_000_000_000, proposer: [UInt8](repeating: 0x33, count: 8))
    }

    static func approval(_ identity: borrowing Identity, _ operation: GovernanceOperation) -> GovernanceOperation.Approval {
        .init(custodian: identity.publicKey.keyID,
              signature: identity.sign(GovernanceOperation.approvalMessage(operationID: operation.id, sealedShare: []), context: .approval))
    }

    static func body(_ operation: GovernanceOperation) -> [UInt8] {
        GovernanceEntry(operation: operation, appliedAt: 1_700_000_000_000, applier: [UInt8](repeating: 0x44, count: 8), effects: .init()).body
    }

    @Test func aGrantCountsOnlyWithAQuorumOfPinnedCustodians() throws {
        let first = Identity.generate(), second = Identity.generate(), stranger = Identity.generate()
        let pinned = [first.publicKey, second.publicKey]
        let member = Identity.generate().publicKey
        func grant(_ operation: GovernanceOperation) -> (key: MemberPublicKey, role: String)? {
            GovernanceEntry.verifiedRoleGrant(body: Self.body(operation), vaultID: Self.vaultID, custodians: pinned, threshold: 2)
        }
        var quorum = Self.operation(.addMember(member, .legalOfficer))
        quorum.approvals = [Self.approval(first, quorum), Self.approval(second, quorum)]
        let granted = grant(quorum)
        #expect(granted?.key == member && granted?.role == "legal-officer")

        // One custodian of two, nobody, a key that is not pinned, or one custodian twice: no grant.
        var one = Self.operation(.addMember(member, .legalOfficer))
        one.approvals = [Self.approval(first, one)]
        #expect(grant(one) == nil)
        #expect(grant(Self.operation(.addMember(member, .legalOfficer))) == nil)
        var strangers = Self.operation(.addMember(member, .legalOfficer))
        strangers.approvals = [Self.approval(first, strangers), Self.approval(stranger, strangers)]
        #expect(grant(strangers) == nil)
        var twice = Self.operation(.addMember(member, .legalOfficer))
        twice.approvals = [Self.approval(first, twice), Self.approval(first, twice)]
        #expect(grant(twice) == nil)
        // A signature over another operation, another vault's entry, a change that grants no role.
        var moved = Self.operation(.addMember(member, .protectionOfficer))
        moved.approvals = quorum.approvals
        #expect(grant(moved) == nil)
        var elsewhere = Self.operation(.addMember(member, .legalOfficer), vaultID: [UInt8](repeating: 0x99, count: 32))
        elsewhere.approvals = [Self.approval(first, elsewhere), Self.approval(second, elsewhere)]
        #expect(grant(elsewhere) == nil)
        var threshold = Self.operation(.setThreshold(1))
        threshold.approvals = [Self.approval(first, threshold), Self.approval(second, threshold)]
        #expect(grant(threshold) == nil)
    }
}
