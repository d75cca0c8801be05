#if canImport(Glibc)
import Glibc
#endif

/// Environment variables the agent reads (its socket path, the runtime folder).
enum AgentEnvironment {
    /// The value of an environment variable, if set.
    static func value(_ name: String) -> String? {
        guard let raw = getenv(name) else { return nil }
        return String(cString: raw)
    }
}
