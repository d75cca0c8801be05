internal import CSodium

/// One-time initialisation of libsodium. Every entry point of VaultCrypto calls `Sodium.ensureInitialized()`
/// before using the library; `sodium_init` is itself idempotent and thread-safe.
public enum Sodium {
    private static let initialized: Bool = sodium_init() >= 0

    /// Initialises libsodium once. Traps if the library cannot start (no entropy source): nothing in the
    /// vault can proceed safely without it.
    @inline(__always)
    public static func ensureInitialized() {
        precondition(initialized, "libsodium could not be initialised")
    }

    /// The libsodium version string, for diagnostics.
    public static var version: String {
        ensureInitialized()
        return String(cString: sodium_version_string())
    }
}
