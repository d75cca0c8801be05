import Foundation
import VaultStore
import VaultCrypto
import VaultPolicy
import VaultGovernance

extension Session {
    /// The vault's dedicated pseudonym key (32 bytes), sealed to the case compartment: pseudonyms in
    /// releases are keyed BLAKE2b of the recipient and the value under it, so they are stable per recipient
    /// and differ across recipients. It is replaced when the case compartment is rotated (a member who held
    /// it removed), so pseudonyms are stable per recipient between rotations.
    /// - Throws: `VaultError.notPermitted` without the case compartment key; `VaultError.integrity` when it
    ///   does not open or the signed log does not commit to it (`CommittedKeys`: a planted key).
    public func pseudonymKey() throws -> SecretBox {
        let key = try vault.database.queue.read { db -> SecretBox in
            let generation = generation(.case)
            let secret = try keyRing.key("secret", of: .case, generation: generation, db: db)
            guard let sealed = try VaultMetaRow.pseudonymKey(generation: generation, db),
                  let publicKey = vault.state.publicKey(.case, generation: generation) else {
                throw VaultError.integrity("the pseudonym key is missing")
            }
            let key: SecretBox
            do { key = SecretBox(try SealedBox.open(Array(sealed), publicKey: publicKey, secretKey: secret.bytes)) } catch {
                throw VaultError.integrity("the pseudonym key does not open")
            }
            // Committed at the rotation that made it, or, while the case compartment was never rotated, at the
            // vault's creation (generation 0). No fallback after a rotation: a removed member who kept the first
            // key could otherwise seal it to the current public key and roll the rotation back. (A vault whose
            // case compartment was rotated before issue 16 rotates it again before its next release.)
            try verifyCommitted(kind: "pseudonym", compartment: .case, generation: generation == 1 ? 0 : generation, key: key, holder: "", db)
            return key
        }
        return key
    }
}

extension GovernanceState {
    /// The production-number code of each registered recipient: the upper-case initials of the name's words
    /// (ASCII letters and digits only; `R` when there are none), followed by a number when an earlier
    /// recipient has the same code. Derived from the governance chain's registration order, so every client
    /// agrees.
    public var recipientCodes: [String: String] {
        var codes: [String: String] = [:]
        var used = Set<String>()
        for name in recipientOrder {
            var initials = ""
            for word in name.split(whereSeparator: { $0 == " " || $0 == "-" || $0 == "_" }) {
                if let first = word.unicodeScalars.first(where: { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }) {
                    initials.append(Character(first).uppercased())
                }
            }
            if initials.isEmpty { initials = "R" }
            var code = initials
            var counter = 2
            while used.contains(code) { code = initials + String(counter); counter += 1 }
            used.insert(code)
            codes[name] = code
        }
        return codes
    }
}
