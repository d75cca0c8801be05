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
}
