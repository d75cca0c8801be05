import CPlatform
import VaultCrypto
#if canImport(Glibc)
import Glibc
#endif

/// Unix-domain stream sockets for the agent: a listener in a fresh owner-only folder, connections with
/// timeouts, and the kernel's record of who is at the other end.
public enum AgentSocket {
    /// Why a socket operation failed.
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ what: String, errno code: Int32 = errno) { description = "\(what): \(String(cString: strerror(code)))" }
        init(_ description: String) { self.description = description }
    }

    /// The file name of the socket inside the agent's folder.
    static let socketName = "socket"

    /// The effective user id of the process at the other end of the connected Unix socket `fd` (SO_PEERCRED),
    /// or nil when the kernel cannot tell (not a Unix socket, not connected).
    public static func peerUID(_ fd: Int32) -> uid_t? {
        var uid: UInt32 = 0
        guard amanah_peer_uid(fd, &uid) == 0 else { return nil }
        return uid_t(uid)
    }

    /// The folder under which an agent makes its own: `$XDG_RUNTIME_DIR` when it is an absolute path to a
    /// folder owned by this user that no one else may enter (as the XDG base directory specification
    /// requires of it), otherwise `/tmp`.
    public static func runtimeBase() -> String {
        if let value = AgentEnvironment.value("XDG_RUNTIME_DIR"), value.hasPrefix("/") {
            var info = stat()
            if stat(value, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == geteuid(), info.st_mode & 0o077 == 0 {
                return value
            }
        }
        return "/tmp"
    }

    /// Makes a new folder `<base>/amanah-agent-XXXXXX` (mode 0700, `mkdtemp`) and listens on `socket` inside
    /// it (mode 0600). Returns the listening descriptor (close-on-exec), the folder and the socket path.
    /// - Throws: `Failure` naming the step; nothing is left behind on failure.
    public static func listen(under base: String) throws -> (fd: Int32, folder: String, path: String) {
        var template = Array((base + "/amanah-agent-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw Failure("cannot make a folder under \(base)") }
        let folder = String(cString: made)
        let path = folder + "/" + socketName
        do {
            let fd = try bindListener(path: path)
            return (fd, folder, path)
        } catch {
            rmdir(folder)
            throw error
        }
    }

    private static func bindListener(path: String) throws -> Int32 {
        var address = try socketAddress(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket") }
        let previousMask = umask(0o177)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        let bindError = errno
        umask(previousMask)
        guard bound == 0 else { close(fd); throw Failure("bind \(path)", errno: bindError) }
        guard chmod(path, 0o600) == 0, Glibc.listen(fd, 64) == 0 else {
            let code = errno
            close(fd); unlink(path)
            throw Failure("listen on \(path)", errno: code)
        }
        return fd
    }

    /// Connects to the socket at `path` with send and receive timeouts of `timeoutSeconds`.
    /// - Throws: `Failure` (no such socket, refused, path too long).
    static func connect(path: String, timeoutSeconds: Int) throws -> Int32 {
        var address = try socketAddress(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket") }
        setTimeouts(fd, seconds: timeoutSeconds)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            close(fd)
            throw Failure("cannot connect to \(path)", errno: code)
        }
        return fd
    }

    /// Sets SO_RCVTIMEO and SO_SNDTIMEO, so a stalled peer cannot hold the other end for long.
    static func setTimeouts(_ fd: Int32, seconds: Int) {
        var value = timeval(tv_sec: seconds, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    private static func socketAddress(_ path: String) throws -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity, !bytes.contains(0) else {
            throw Failure("socket path \(path) is empty or longer than \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: bytes)
        }
        return address
    }
}
