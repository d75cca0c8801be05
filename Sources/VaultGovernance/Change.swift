import VaultPolicy
import VaultCrypto

/// A governance change that needs the signatures of k custodians (DESIGN.md, "Governance").
public enum Change: Equatable, Sendable {
    /// A new member with a role and, optionally, a name shown beside their key id (a label in the signed
    /// state, e.g. "Dana (investigator, Berlin)"; at most 128 characters, no control characters).
    case addMember(MemberPublicKey, Role, name: String? = nil)
    case removeMember(MemberPublicKey)
    case setRole(MemberPublicKey, Role)
    case addCustodian(MemberPublicKey)
    case removeCustodian(MemberPublicKey)
    case setThreshold(Int)
    case addRecipient(name: String, ageKeys: [String])
    case rotateKeys(reencrypt: Bool)
    /// A new policy: its SHA-256 and its text (which travels in the operation file).
    case setPolicy(hash: [UInt8], text: [UInt8])
    /// Break-glass recovery: grant `role`'s compartments to `key` from the recovery key, whose shares the
    /// approvers re-seal to the one-time key `oneTimeKey` of the proposing custodian (who applies).
    case recover(MemberPublicKey, Role, oneTimeKey: [UInt8])
    /// The witness withdrew consent: their identity data key is destroyed (crypto-shredding) and no release
    /// may rely on their consent any more.
    case withdrawConsent(pseudonym: String)
    /// A court order that allows releasing the identities of `witnesses` to `recipient` without their consent
    /// (the policy's `court-order-override`); `reference` cites the order.
    case courtOrder(recipient: String, witnesses: [String], reference: String)
    /// The name of the organisation that holds the vault, as bundles name their issuer (issue 20: `index.csv`);
    /// the rules of a member's name apply.
    case setOrganisation(name: String)
    /// A time-stamping authority (RFC 3161) the vault trusts: its name, the URL requests are sent to, and its
    /// certificate (DER), to which every token's signer must chain.
    case addTimeStampAuthority(name: String, url: String, certificate: [UInt8])

    /// The change's type name as used on the command line.
    public var typeName: String {
        switch self {
        case .addMember: return "add-member"
        case .removeMember: return "remove-member"
        case .setRole: return "set-role"
        case .addCustodian: return "add-custodian"
        case .removeCustodian: return "remove-custodian"
        case .setThreshold: return "set-threshold"
        case .addRecipient: return "add-recipient"
        case .rotateKeys: return "rotate-keys"
        case .setPolicy: return "set-policy"
        case .recover: return "recover"
        case .withdrawConsent: return "withdraw-consent"
        case .courtOrder: return "court-order"
        case .setOrganisation: return "set-organisation"
        case .addTimeStampAuthority: return "add-tsa"
        }
    }

    /// The change in plain words, as `op approve` shows it before signing.
    public func plainWords(state: GovernanceState) -> String {
        func who(_ key: MemberPublicKey) -> String {
            var text = "the identity with key id \(key.keyIDHex) (fingerprint \(key.fingerprint))"
            if let role = state.role(of: key.keyIDHex) { text += ", now \(role.rawValue)" }
            if state.isCustodian(key.keyIDHex) { text += ", now a custodian" }
            return text
        }
        // Who can recover after a change of the custodians or the threshold, in plain words (issue 16).
        func recoveryAfter() -> String {
            let next = state.transitioned(by: self, atSequence: state.chainLength + 1)
            let names = next.custodians.map(\.keyIDHex).joined(separator: ", ")
            return "afterwards any \(next.threshold) of the \(next.custodians.count) custodians (\(names)) together can rebuild a compartment key by break-glass recovery, and no fewer can; no one deals or holds a recovery secret: each key's holders split it among the custodians"
        }
        switch self {
        case let .addMember(key, role, name): return "add \(who(key))" + (name.map { " named \"\($0)\"" } ?? "") + " as a member with the role \(role.rawValue)"
        case let .removeMember(key): return "remove \(who(key)) from the members, and rotate the compartment keys they held"
        case let .setRole(key, role): return "give \(who(key)) the role \(role.rawValue)"
        case let .addCustodian(key): return "make \(who(key)) a custodian; " + recoveryAfter()
        case let .removeCustodian(key): return "remove \(who(key)) from the custodians; " + recoveryAfter() + "; every compartment key is rotated, so the shares the removed custodian kept open nothing once the holders have rotated them"
        case let .setThreshold(k): return "require \(k) of \(state.custodians.count) custodian signatures for changes (now \(state.threshold)); " + recoveryAfter()
            + (k > state.threshold && state.recoveryPublicKey.isEmpty ? "; every compartment key is rotated, so the old shares open nothing" : "")
        case let .addRecipient(name, keys): return "register the recipient \"\(name)\" with the age key\(keys.count == 1 ? "" : "s") \(keys.joined(separator: ", "))"
        case let .rotateKeys(reencrypt): return "rotate every compartment key" + (reencrypt ? " and re-encrypt every sealed original" : "")
        case let .setPolicy(hash, text):
            var words = "replace the policy (\(text.count) bytes, hash \(Hex.encode(hash)))"
            if let policy = try? Policy(parsing: text) {
                var next = state
                next.setPolicy(policy, text: text)
                var changes: [String] = []
                for role in RoleTable.memberRoles {
                    let gains = next.readable(by: role).subtracting(state.readable(by: role)).map(\.rawValue).sorted()
                    let loses = state.readable(by: role).subtracting(next.readable(by: role)).map(\.rawValue).sorted()
                    if !gains.isEmpty { changes.append("\(role.rawValue) gains read access to \(gains.joined(separator: ", "))") }
                    if !loses.isEmpty { changes.append("\(role.rawValue) loses read access to \(loses.joined(separator: ", "))") }
                }
                let profiles = Set(policy.profiles.keys), old = Set(state.policy.profiles.keys)
                if profiles != old { changes.append("profiles become \(profiles.sorted().joined(separator: ", "))") }
                words += changes.isEmpty ? "; no role gains or loses a compartment" : "; " + changes.joined(separator: "; ")
                words += ". Review the policy text itself before approving (amanah policy show on a test vault, or the file)"
            }
            return words
        case let .recover(key, role, _): return "BREAK-GLASS RECOVERY: the approving custodians' shares of the \(role.rawValue) compartment keys (and of no other) are rebuilt in the proposer's process only and granted to \(who(key)); the custodians' shares are then made anew"
        case let .withdrawConsent(pseudonym): return "witness \(pseudonym) withdrew consent: DESTROY their identity data (crypto-shredding, cannot be undone)"
        case let .courtOrder(recipient, witnesses, reference): return "court order \"\(reference)\": the identities of \(witnesses.joined(separator: ", ")) may be released to \"\(recipient)\" without their consent"
        case let .setOrganisation(name):
            return "name the organisation that holds the vault \"\(name)\"" + (state.organisation.map { " (now \"\($0)\")" } ?? "") + "; bundles issued from now on name it as their issuer"
        case let .addTimeStampAuthority(name, url, certificate):
            return "trust the time-stamping authority \"\(name)\" at \(url), whose certificate (\(certificate.count) bytes, SHA-256 \(Hex.encode(SHA256Digest.hash(certificate)))) every time-stamp's signer must chain to"
        }
    }

    /// Canonical encoding: lp(type) ‖ fields (each length-prefixed). An `add-member` with a name appends
    /// lp(name) after the role; without one it is byte for byte what it was before names existed.
    public var encoding: [UInt8] {
        var out: [UInt8] = []
        out.appendLengthPrefixed(typeName)
        switch self {
        case let .addMember(key, role, name):
            out.appendLengthPrefixed(key.line)
            out.appendLengthPrefixed(role.rawValue)
            if let name { out.appendLengthPrefixed(name) }
        case let .setRole(key, role):
            out.appendLengthPrefixed(key.line)
            out.appendLengthPrefixed(role.rawValue)
        case let .removeMember(key), let .addCustodian(key), let .removeCustodian(key):
            out.appendLengthPrefixed(key.line)
        case let .setThreshold(k):
            out.appendCount(k)
        case let .addRecipient(name, keys):
            out.appendLengthPrefixed(name)
            out.appendCount(keys.count)
            for key in keys { out.appendLengthPrefixed(key) }
        case let .rotateKeys(reencrypt):
            out.append(reencrypt ? 1 : 0)
        case let .setPolicy(hash, text):
            out.appendLengthPrefixed(hash)
            out.appendLengthPrefixed(text)
        case let .recover(key, role, oneTimeKey):
            out.appendLengthPrefixed(key.line)
            out.appendLengthPrefixed(role.rawValue)
            out.appendLengthPrefixed(oneTimeKey)
        case let .withdrawConsent(pseudonym):
            out.appendLengthPrefixed(pseudonym)
        case let .courtOrder(recipient, witnesses, reference):
            out.appendLengthPrefixed(recipient)
            out.appendCount(witnesses.count)
            for witness in witnesses { out.appendLengthPrefixed(witness) }
            out.appendLengthPrefixed(reference)
        case let .setOrganisation(name):
            out.appendLengthPrefixed(name)
        case let .addTimeStampAuthority(name, url, certificate):
            out.appendLengthPrefixed(name)
            out.appendLengthPrefixed(url)
            out.appendLengthPrefixed(certificate)
        }
        return out
    }

    /// The JSON form used in operation files.
    var json: [String: Any] {
        var object: [String: Any] = ["type": typeName]
        switch self {
        case let .addMember(key, role, name):
            object["key"] = key.line
            object["role"] = role.rawValue
            if let name { object["name"] = name }
        case let .setRole(key, role):
            object["key"] = key.line
            object["role"] = role.rawValue
        case let .removeMember(key), let .addCustodian(key), let .removeCustodian(key):
            object["key"] = key.line
        case let .setThreshold(k): object["threshold"] = k
        case let .addRecipient(name, keys):
            object["name"] = name
            object["ageKeys"] = keys
        case let .rotateKeys(reencrypt): object["reencrypt"] = reencrypt
        case let .setPolicy(hash, text):
            object["policySHA256"] = Hex.encode(hash)
            object["policy"] = Base64.encode(text)
        case let .recover(key, role, oneTimeKey):
            object["key"] = key.line
            object["role"] = role.rawValue
            object["oneTimeKey"] = Base64.encode(oneTimeKey)
        case let .withdrawConsent(pseudonym):
            object["pseudonym"] = pseudonym
        case let .courtOrder(recipient, witnesses, reference):
            object["recipient"] = recipient
            object["witnesses"] = witnesses
            object["reference"] = reference
        case let .setOrganisation(name):
            object["name"] = name
        case let .addTimeStampAuthority(name, url, certificate):
            object["name"] = name
            object["url"] = url
            object["certificate"] = Base64.encode(certificate)
        }
        return object
    }

    /// Parses the JSON form.
    /// - Throws: `VaultError.invalidInput` naming the field.
    init(json object: [String: Any], source: String) throws {
        func text(_ name: String) throws -> String {
            guard let value = object[name] as? String else { throw VaultError.invalidInput(source, "change field \(name) is missing") }
            return value
        }
        func key(_ name: String = "key") throws -> MemberPublicKey {
            do { return try MemberPublicKey(line: text(name)) } catch let error as VaultError { throw error } catch {
                throw VaultError.invalidInput(source, "change field \(name): \(error)")
            }
        }
        func role() throws -> Role {
            guard let role = Role(rawValue: try text("role")) else { throw VaultError.invalidInput(source, "unknown role") }
            return role
        }
        switch try text("type") {
        case "add-member":
            let name = object["name"] as? String
            if let name, let problem = Change.nameProblem(name) { throw VaultError.invalidInput(source, "change field name: \(problem)") }
            self = .addMember(try key(), try role(), name: name)
        case "remove-member": self = .removeMember(try key())
        case "set-role": self = .setRole(try key(), try role())
        case "add-custodian": self = .addCustodian(try key())
        case "remove-custodian": self = .removeCustodian(try key())
        case "set-threshold":
            guard let k = object["threshold"] as? Int, (1...255).contains(k) else {
                throw VaultError.invalidInput(source, "change field threshold must be a number from 1 to 255")
            }
            self = .setThreshold(k)
        case "add-recipient":
            guard let keys = object["ageKeys"] as? [String] else { throw VaultError.invalidInput(source, "change field ageKeys is missing") }
            self = .addRecipient(name: try text("name"), ageKeys: keys)
        case "rotate-keys": self = .rotateKeys(reencrypt: object["reencrypt"] as? Bool ?? false)
        case "set-policy":
            do { self = .setPolicy(hash: try Hex.decode(text("policySHA256")), text: try Base64.decode(text("policy"))) } catch let error as VaultError {
                throw error
            } catch { throw VaultError.invalidInput(source, "policy fields are malformed") }
        case "recover":
            do { self = .recover(try key(), try role(), oneTimeKey: try Base64.decode(text("oneTimeKey"))) } catch let error as VaultError {
                throw error
            } catch { throw VaultError.invalidInput(source, "oneTimeKey is malformed") }
        case "withdraw-consent": self = .withdrawConsent(pseudonym: try text("pseudonym"))
        case "court-order":
            guard let witnesses = object["witnesses"] as? [String] else { throw VaultError.invalidInput(source, "change field witnesses is missing") }
            self = .courtOrder(recipient: try text("recipient"), witnesses: witnesses, reference: try text("reference"))
        case "set-organisation":
            let name = try text("name")
            if let problem = Change.nameProblem(name) { throw VaultError.invalidInput(source, "change field name: \(problem)") }
            self = .setOrganisation(name: name)
        case "add-tsa":
            guard let certificate = try? Base64.decode(text("certificate")) else { throw VaultError.invalidInput(source, "change field certificate is malformed") }
            self = .addTimeStampAuthority(name: try text("name"), url: try text("url"), certificate: certificate)
        case let other: throw VaultError.invalidInput(source, "unknown change type \(other)")
        }
    }
}

extension Change {
    /// Why `name` cannot label a member, or nil: empty, longer than 128 characters, or holding a control
    /// character (C0, C1, bidirectional controls).
    public static func nameProblem(_ name: String) -> String? {
        if name.trimmingCharacters(in: .whitespaces).isEmpty { return "is empty" }
        if name.count > 128 || name.unicodeScalars.count > 256 { return "is longer than 128 characters" }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format }) {
            return "contains a control or formatting character"
        }
        return nil
    }
}
