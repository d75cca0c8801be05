#if canImport(Glibc)
import VaultPolicy
import Glibc
#endif

/// Crash points for tests of crash safety. Only debug builds honour them: when the environment variable
/// `AMANAH_FAULT_INJECT` names a point, the process ends at once there (`_exit(137)`, as after `kill -9`:
/// no clean-up, no buffered output). Release builds compile this to nothing.
public enum FaultInjection {
    /// Ends the process if `point` is the injected fault.
    @inline(__always)
    public static func point(_ point: String) {
        #if DEBUG
        if let value = getenv("AMANAH_FAULT_INJECT"), String(cString: value) == point { _exit(137) }
        #endif
    }

    /// The value of a test hook environment variable in debug builds; always nil in release builds, which
    /// compile the lookup out. Hooks simulate conditions a test cannot create honestly as root (a file system
    /// that refuses rename, for example).
    public static func testHook(_ name: String) -> String? {
        #if DEBUG
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
        #else
        return nil
        #endif
    }
}
