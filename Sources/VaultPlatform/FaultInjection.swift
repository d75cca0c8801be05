#if canImport(Glibc)
import Glibc
#endif

/// Crash points and file changes for tests of crash safety and of ingest's change detection. Only debug
/// builds honour them; release builds compile them to nothing.
public enum FaultInjection {
    /// Ends the process if `point` is the injected fault: when the environment variable `AMANAH_FAULT_INJECT`
    /// names `point`, the process ends at once there (`_exit(137)`, as after `kill -9`: no clean-up, no
    /// buffered output).
    @inline(__always)
    public static func point(_ point: String) {
        #if DEBUG
        if let value = getenv("AMANAH_FAULT_INJECT"), String(cString: value) == point { _exit(137) }
        #endif
    }

    /// Changes the file at `path` behind the reader's back, as another program writing to it would, when
    /// the environment variable `AMANAH_TEST_CHANGE_FILE` is `POINT:ACTION:NAME` with POINT equal to `point`
    /// and NAME the last component of `path`. ACTION is `append` (4096 bytes added at the end) or `rewrite`
    /// (every byte replaced, the size kept, and the modification time set back to what it was, so that only
    /// the content differs as far as size and mtime tell). Debug builds only; a failure ends the process
    /// with status 99 so that a test never passes because the change did not happen.
    public static func changeFile(_ path: String, at point: String) {
        #if DEBUG
        guard let raw = getenv("AMANAH_TEST_CHANGE_FILE") else { return }
        let parts = String(cString: raw).split(separator: ":", maxSplits: 2).map(String.init)
        guard parts.count == 3, parts[0] == point else { return }
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard parts[2] == name else { return }
        let fd = open(path, parts[1] == "append" ? (O_WRONLY | O_APPEND | O_CLOEXEC) : (O_WRONLY | O_CLOEXEC))
        guard fd >= 0 else { _exit(99) }
        defer { close(fd) }
        var before = stat()
        guard fstat(fd, &before) == 0 else { _exit(99) }
        switch parts[1] {
        case "append":
            let extra = [UInt8](repeating: 0xA5, count: 4096)
            guard write(fd, extra, extra.count) == extra.count else { _exit(99) }
        case "rewrite":
            // Each byte becomes its complement: every byte differs, the size stays.
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            let reader = open(path, O_RDONLY | O_CLOEXEC)
            guard reader >= 0 else { _exit(99) }
            defer { close(reader) }
            var offset: off_t = 0
            while true {
                let n = pread(reader, &buffer, buffer.count, offset)
                guard n >= 0 else { _exit(99) }
                if n == 0 { break }
                for index in 0..<n { buffer[index] = ~buffer[index] }
                guard pwrite(fd, buffer, n, offset) == n else { _exit(99) }
                offset += off_t(n)
            }
            let omit = (1 << 30) - 2   // UTIME_OMIT (a macro Swift does not import): the access time stays
            var times = [timespec(tv_sec: 0, tv_nsec: omit), before.st_mtim]
            guard futimens(fd, &times) == 0 else { _exit(99) }
        default:
            _exit(99)
        }
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
