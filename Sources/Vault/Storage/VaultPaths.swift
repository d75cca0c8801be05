#if canImport(Glibc)
import VaultPlatform
import VaultPolicy
import Glibc
import VaultGovernance
#endif
internal import CPlatform
import VaultCrypto

/// The files of a vault folder (DESIGN.md, "On disk").
public struct VaultPaths: Sendable {
    /// The vault folder.
    public let root: String
    public var genesis: String { root + "/vault.json" }
    public var database: String { root + "/vault.sqlite" }
    public var blobs: String { root + "/blobs" }
    public var lock: String { root + "/lock" }
    /// Blobs that no item referred to when `amanah check` ran, kept for a person to decide about.
    public var quarantine: String { root + "/quarantine" }

    public init(root: String) {
        var trimmed = root
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.root = trimmed
    }

    /// The canonical absolute path of the folder (for pinning), or the path as given if it cannot be resolved.
    public var canonicalRoot: String {
        guard let resolved = realpath(root, nil) else { return root }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Refuses network and synchronised file systems (SQLite's locking is unsafe there) unless allowed.
    /// - Throws: `VaultError.notAVault` naming the folder and the reason, with the override to use.
    public func checkFileSystem(allowNetwork: Bool) throws {
        guard !allowNetwork else { return }
        let result = amanah_is_network_filesystem(root)
        if result == 1 {
            throw VaultError.notAVault(root, "it is on a network or synchronised file system, where SQLite's locking is unsafe (use --allow-network-fs to override)")
        }
    }
}

/// An exclusive advisory lock on `VAULT/lock` (`flock`), held by every command that changes the vault, so
/// that orphan clean-up never races an ingest. Released when the object is released.
public final class VaultLock: @unchecked Sendable {
    private let fd: Int32

    /// Takes the lock, waiting for other holders.
    /// - Throws: `VaultError.failed` if the lock file cannot be opened.
    public init(path: String) throws {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw VaultError.failed("cannot open \(path): \(lastErrorText())") }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { return }
        if errno == EWOULDBLOCK {
            let note = Array("amanah: waiting for another amanah command on this vault to finish\n".utf8)
            _ = note.withUnsafeBytes { write(2, $0.baseAddress!, $0.count) }
        }
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            close(fd)
            throw VaultError.failed("cannot lock \(path): \(lastErrorText())")
        }
    }

    deinit {
        _ = flock(fd, LOCK_UN)
        close(fd)
    }
}
