#if canImport(Glibc)
internal import VaultPlatform
import Glibc
#endif
internal import VaultCrypto

/// The peak-memory report for benchmarks and memory tests (`AMANAH_REPORT_PEAK_RSS=1`): the peak resident
/// set of the whole process, and on Linux the peak after the identity was unlocked, so that Argon2id's
/// memory (256 MiB at the default parameters) does not hide what the command itself uses.
enum PeakMemory {
    /// Whether the report was asked for.
    static var requested: Bool { Environment.value("AMANAH_REPORT_PEAK_RSS") == "1" }

    nonisolated(unsafe) private static var beforeReset: Int?

    /// Called once the identity is unlocked: remembers the peak so far and resets the kernel's high-water
    /// mark to the current resident set (writing "5" to `/proc/self/clear_refs`, Linux 4.0 and later). The
    /// process is made non-dumpable at start-up, which gives `/proc/self` to root: only a run as root gets
    /// the second figure; other runs report the whole-process peak alone.
    static func markUnlocked() {
        guard requested, beforeReset == nil, let peak = highWaterKiB() else { return }
        let fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var five: UInt8 = 0x35
        if write(fd, &five, 1) == 1 { beforeReset = peak }
    }

    /// The lines to print at exit: `peak-rss-kib N` (whole process) and, when the unlock was marked,
    /// `peak-rss-after-unlock-kib N`.
    static func reportLines() -> [String] {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let now = highWaterKiB()
        let whole = max(Int(usage.ru_maxrss), beforeReset ?? 0, now ?? 0)
        var lines = ["peak-rss-kib \(whole)"]
        if beforeReset != nil, let now { lines.append("peak-rss-after-unlock-kib \(now)") }
        return lines
    }

    /// `VmHWM` from `/proc/self/status` in KiB (nil where there is none).
    static func highWaterKiB() -> Int? {
        guard let bytes = try? DurableFile.readAll("/proc/self/status", limit: 1 << 16) else { return nil }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.dropFirst(6).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
        return nil
    }
}
