import Testing
import VaultCrypto
import VaultGovernance
import VaultPolicy

/// Issue 16: a blind-index token must not confirm a guess. With the table at its expected size every bucket
/// is occupied, so any guessed name "matches" some record and a match tells the holder of the index key
/// nothing about whether the person is in the vault.
@Suite struct BlindIndexTokenTests {
    static var key: SecretBox {
        var bytes = [UInt8](repeating: 0x42, count: 32)
        return SecretBox(SecretBytes(consuming: &bytes))
    }

    @Test func witnessNameTokensKeepFourBitsAndFillEveryBucket() {
        let tokens = (0..<200).map { BlindIndex.token(kind: .witness, field: "legalName", value: "Person \($0)", indexKey: Self.key) }
        #expect(tokens.allSatisfy { $0.count == 1 && $0[0] & 0x0F == 0 })
        #expect(Set(tokens).count == 16)
        let guess = BlindIndex.token(kind: .witness, field: "legalName", value: "Someone Not In The Vault", indexKey: Self.key)
        #expect(Set(tokens).contains(guess))
        // The same value under another normalisation form gives the same token (matchKey), another key another.
        #expect(BlindIndex.token(kind: .witness, field: "legalName", value: "Person 1", indexKey: Self.key)
                == BlindIndex.token(kind: .witness, field: "legalName", value: " Person 1 ", indexKey: Self.key))
    }

    @Test func detaineeNumberTokensKeepEightBitsAndFillEveryBucket() {
        let tokens = (0..<5000).map { BlindIndex.token(kind: .case, field: "detaineeNumber", value: "\($0)/215", indexKey: Self.key) }
        #expect(tokens.allSatisfy { $0.count == 1 })
        #expect(Set(tokens).count == 256)
        #expect(BlindIndex.tokenBits(kind: .case, field: "detaineeNumber") == 8 && BlindIndex.tokenBits(kind: .witness, field: "legalName") == 4)
    }
}
