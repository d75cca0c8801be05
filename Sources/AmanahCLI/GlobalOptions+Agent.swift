internal import VaultPlatform
internal import AmanahAgent
internal import Vault
internal import VaultCrypto
import VaultGovernance

extension GlobalOptions {
    /// The identity a command acts as.
    ///
    /// When `AMANAH_AGENT_SOCKET` names a running agent that holds the identity whose public key is in the key
    /// file (read without the passphrase), the agent does the signing and unsealing and no passphrase is asked.
    /// Otherwise the key file is unlocked with its passphrase as usual: silently when the agent simply does not
    /// hold this identity; with a warning when the agent cannot be used (gone, refusing, not the user's own),
    /// and then, with no terminal and no passphrase file, the command fails with the usual "no terminal to ask
    /// for the passphrase" error and a hint naming the agent's problem.
    /// - Throws: `CLIError` naming the key file and what is wrong.
    func openIdentity() throws -> IdentityBox {
        let path = try identityPath()
        let publicKey = try IdentityLoader.publicKey(path: path)
        var agentProblem: String? = nil
        if let client = AgentClient.fromEnvironment() {
            do {
                if try client.list().identities.contains(publicKey) {
                    return IdentityBox(holder: AgentIdentity(client: client, publicKey: publicKey))
                }
            } catch {
                agentProblem = String(describing: error)
                Terminal.warning("\(error); unlocking \(DurableFile.lastComponent(of: path)) with its passphrase instead")
            }
        }
        do {
            return IdentityBox(try IdentityLoader.unlock(path: path, options: self))
        } catch let error as CLIError where agentProblem != nil && error.hint == nil {
            throw CLIError(error.message, hint: "the agent could not be used: \(agentProblem ?? "")", exitCode: error.exitCode)
        }
    }
}

extension IdentityLoader {
    /// The public key in the key file at `path`, read without the passphrase.
    /// - Throws: `CLIError` naming the file.
    static func publicKey(path: String) throws -> MemberPublicKey {
        let contents = try readKeyFile(path)
        do { return try KeyFile.publicKey(of: contents) } catch {
            throw CLIError("\(path): \(error)")
        }
    }
}

extension GlobalOptions {
    /// Who signs again the unsent events that a sync must move after another client's (`SyncEngine.identity`):
    /// the identity of `-i` when it is the writer's (unlocked when first needed, once), else the writer's
    /// identity held by a running agent (a machine shared by several members), else nobody.
    func writerIdentities() -> (String) throws -> IdentityBox? {
        final class Unlocked: @unchecked Sendable { var box: IdentityBox?; var publicKey: MemberPublicKey?; var looked = false }
        let given = Unlocked()
        let options = self
        return { writer in
            if !given.looked {
                given.looked = true
                if options.identity != nil || Environment.value("AMANAH_IDENTITY") != nil {
                    given.publicKey = try IdentityLoader.publicKey(path: try options.identityPath())
                }
            }
            if let publicKey = given.publicKey, publicKey.keyIDHex == writer {
                if given.box == nil { given.box = try options.openIdentity() }
                return given.box
            }
            if let client = AgentClient.fromEnvironment(), let held = try? client.list().identities,
               let publicKey = held.first(where: { $0.keyIDHex == writer }) {
                return IdentityBox(holder: AgentIdentity(client: client, publicKey: publicKey))
            }
            return nil
        }
    }

    /// The identity a sync runs with (`-i`, `AMANAH_IDENTITY`, or the agent's only identity), opened when first
    /// asked: the member who places collectors' inbox objects in the log. Nil without one.
    func sequencerIdentity() -> () throws -> IdentityBox? {
        let options = self
        return {
            if options.identity != nil || Environment.value("AMANAH_IDENTITY") != nil { return try options.openIdentity() }
            if let client = AgentClient.fromEnvironment(), let held = try? client.list().identities, held.count == 1 {
                return IdentityBox(holder: AgentIdentity(client: client, publicKey: held[0]))
            }
            return nil
        }
    }
}
