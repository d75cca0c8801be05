import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock time for records and events.
public enum Clock {
    /// Milliseconds since the Unix epoch. Debug builds add `AMANAH_TEST_CLOCK_OFFSET_MS` when set (tests of
    /// clocks that are wrong or set back); release builds ignore it.
    public static func nowMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        let now = Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec / 1_000_000)
        return now + (FaultInjection.testHook("AMANAH_TEST_CLOCK_OFFSET_MS").flatMap { Int64($0) } ?? 0)
    }

    /// An RFC 3339 UTC timestamp with milliseconds (`2027-01-15T08:00:00.123Z`) of a time at or after the
    /// epoch, in milliseconds. The date and time come from Foundation's ISO 8601 formatter (whole seconds, so
    /// no floating-point rounding); the milliseconds are appended exactly.
    public static func format(milliseconds: Int64) -> String {
        let seconds = milliseconds / 1000, fraction = Int(milliseconds % 1000)
        let text = RFC3339.shared.string(secondsSinceEpoch: seconds)   // "...T08:00:00Z"
        let digits = String(fraction)
        return text.dropLast() + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    /// One ISO 8601 formatter (UTC, internet date and time) shared under a lock.
    private final class RFC3339: @unchecked Sendable {
        static let shared = RFC3339()
        private let lock = NSLock()
        private let formatter: ISO8601DateFormatter = {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime]
            formatter.timeZone = TimeZone(identifier: "UTC")
            return formatter
        }()

        func string(secondsSinceEpoch seconds: Int64) -> String {
            let date = Date(timeIntervalSince1970: TimeInterval(seconds))
            return lock.withLock { formatter.string(from: date) }
        }
    }
}
