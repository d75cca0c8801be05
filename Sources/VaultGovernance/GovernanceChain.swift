import VaultPolicy
import Foundation
import GRDB
import VaultCrypto
import VaultStore

/// Loads the governance state: the genesis, then every chain entry in order, each verified against the
/// state before it, then compartment keys of rotations completed by members (each attested by a member
/// whose role reads that compartment).
public enum GovernanceChain {
    /// The state after applying every stored entry.
    /// - Throws: `VaultError.integrity` naming the first entry that does not verify.
    public static func load(genesis: Genesis, db: Database) throws -> GovernanceState {
        try history(genesis: genesis, db: db, keepingAll: false).last!
    }

    /// The state at every position of the chain: element `n` is the state after `n` entries (0: the genesis),
    /// for judging what a member's role allowed when they wrote something at that position.
    /// - Throws: `VaultError.integrity` naming the first entry that does not verify.
    public static func history(genesis: Genesis, db: Database) throws -> [GovernanceState] {
        try history(genesis: genesis, db: db, keepingAll: true)
    }

    private static func history(genesis: Genesis, db: Database, keepingAll: Bool) throws -> [GovernanceState] {
        guard let policyData = try VaultMetaRow.genesisPolicy(db) else {
            throw VaultError.integrity("the genesis policy is missing")
        }
        let policy: Policy
        do { policy = try Policy(parsing: Array(policyData)) } catch { throw VaultError.integrity("the genesis policy does not parse: \(error)") }
        guard policy.hash == genesis.policyHash else { throw VaultError.integrity("the genesis policy does not match the hash the genesis signs") }
        var state = GovernanceState(genesis: genesis, policy: policy, policyText: Array(policyData))
        var states: [GovernanceState] = []
        let rows = try GovernanceRow.inSequence(db)
        let attestations = try CompartmentRow.attested(db)
        try applyAttestations(attestations, at: 0, to: &state)
        if keepingAll { states.append(state) }
        for (offset, row) in rows.enumerated() {
            guard row.seq == Int64(offset + 1) else { throw VaultError.integrity("governance entry \(offset + 1) is missing") }
            let body = Array(row.body)
            guard SHA256Digest.hash(body) == Array(row.hash) else { throw VaultError.integrity("governance entry \(row.seq) does not match its hash") }
            do {
                state = try state.applying(try GovernanceEntry(body: body), body: body)
            } catch let error as VaultError {
                throw VaultError.integrity("governance entry \(row.seq): \(error)")
            }
            try applyAttestations(attestations, at: state.chainLength, to: &state)
            if keepingAll { states.append(state) }
        }
        return keepingAll ? states : [state]
    }

    /// When each governance entry says it was applied (milliseconds since the epoch), by sequence (from 1);
    /// entries that do not parse are left out (loading the chain reports them).
    /// - Throws: database errors.
    public static func appliedTimes(_ db: Database) throws -> [Int64: Int64] {
        var times: [Int64: Int64] = [:]
        for row in try GovernanceRow.inSequence(db) {
            if let entry = try? GovernanceEntry(body: Array(row.body)) { times[row.seq] = entry.appliedAt }
        }
        return times
    }

    /// Rotations completed by members while the chain had `chainLength` entries: each new public key must be
    /// signed by a member who, in the state of that moment, reads the compartment.
    static func applyAttestations(_ rows: [CompartmentRow], at chainLength: Int, to state: inout GovernanceState) throws {
        for row in rows where row.attestedAtChain == Int64(chainLength) {
            guard let compartment = Compartment(rawValue: row.name) else { continue }
            let generation = row.generation
            guard generation > state.currentGeneration(compartment), generation <= state.requiredGenerations[compartment] ?? 1 else {
                throw VaultError.integrity("the \(row.name) key of generation \(generation) does not follow a rotation the chain requires")
            }
            guard let attester = row.attestedBy.map({ Hex.encode(Array($0)) }), let key = state.knownKeys[attester],
                  let role = state.role(of: attester), state.readable(by: role).contains(compartment),
                  let signature = row.attestation,
                  key.verify(Array(signature), message: state.attestationMessage(compartment, generation: generation, publicKey: Array(row.publicKey)),
                             context: GovernanceState.attestationContext) else {
                throw VaultError.integrity("the \(row.name) key of generation \(generation) is not attested by a member who reads it")
            }
            state.compartmentKeys[compartment, default: [:]][generation] = Array(row.publicKey)
        }
    }
}
