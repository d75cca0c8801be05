import Testing
import VaultCrypto
import VaultGovernance

/// Operation files (`amanah-operation-v1`): what is written is read back unchanged, and a damaged file is
/// refused with its name and the field.
@Suite struct OperationFileTests {
    static func operation(_ change: Change) -> GovernanceOperation {
        GovernanceOperation(vaultID: [UInt8](repeating: 0x11, count: 32), previousState: [UInt8](repeating: 0x22, count: 32),
                            change: change, expires: 1_800_000_000_000, proposer: [UInt8](repeating: 0x33, count: 8),
                            nonce: [UInt8](repeating: 0x44, count: 16), proposerSignature: [UInt8](repeating: 0x55, count: 64),
                            approvals: [.init(custodian: [UInt8](repeating: 0x66, count: 8), signature: [UInt8](repeating: 0x77, count: 64))])
    }

    @Test(arguments: [Change.setThreshold(2), .rotateKeys(reencrypt: true), .addRecipient(name: "ICC", ageKeys: ["age1xyz"]),
                      .withdrawConsent(pseudonym: "W-0007"), .courtOrder(recipient: "ICC", witnesses: ["W-0001"], reference: "ICC-01/22")])
    func fileRoundTrips(change: Change) throws {
        let original = Self.operation(change)
        let text = try original.fileContents()
        let parsed = try GovernanceOperation(fileContents: text, source: "op.json")
        #expect(parsed == original)
        #expect(parsed.id == original.id)
        #expect(String(decoding: text, as: UTF8.self).contains("\"expiresAt\" : \"2027-01-15T08:00:00.000Z\""))
    }

    @Test func damagedFilesNameTheFile() throws {
        #expect(throws: VaultError.invalidInput("op.json", "is not an operation file (not a JSON object)")) {
            try GovernanceOperation(fileContents: Array("[1]".utf8), source: "op.json")
        }
        var text = String(decoding: try Self.operation(.setThreshold(2)).fileContents(), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"nonce\" : \"4444", with: "\"nonce\" : \"zz44")
        #expect(text.contains("zz44"))
        #expect(throws: VaultError.invalidInput("op.json", "field nonce is malformed")) {
            try GovernanceOperation(fileContents: Array(text.utf8), source: "op.json")
        }
    }
}
