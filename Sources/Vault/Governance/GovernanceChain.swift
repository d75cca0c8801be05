import GRDB
import VaultCrypto
import VaultStore

/// Loads the governance state: the genesis, then every chain entry in order, each verified against the
/// state before it. (State changes by quorum arrive with the governance operations.)
public enum GovernanceChain {
    /// The state after applying every stored entry.
    /// - Throws: `VaultError.integrity` naming the first entry that does not verify.
    public static func load(genesis: Genesis, db: Database) throws -> GovernanceState {
        var state = GovernanceState(genesis: genesis)
        let rows = try GovernanceRow.order(Column("seq")).fetchAll(db)
        for (offset, row) in rows.enumerated() {
            guard row.seq == Int64(offset + 1) else { throw VaultError.integrity("governance entry \(offset + 1) is missing") }
            guard SHA256Digest.hash(Array(row.body)) == Array(row.hash) else { throw VaultError.integrity("governance entry \(row.seq) does not match its hash") }
            throw VaultError.integrity("governance entry \(row.seq): this version cannot apply governance changes yet")
        }
        return state
    }
}
