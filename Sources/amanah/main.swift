import AmanahCLI
#if canImport(Glibc)
import Glibc
#endif

// Swift's crash reporter prints registers and the memory they point to: in a process that holds keys and
// decrypted evidence that must never happen. It stays off whatever SWIFT_BACKTRACE the environment brings
// (`enable=yes` included); only Amanah's own setting AMANAH_ALLOW_CRASH_BACKTRACE=1, for a developer
// debugging a crash on test data, leaves SWIFT_BACKTRACE as it is. The runtime reads the setting only at
// start-up, so the process sets it and starts again once (the environment is the only thing that changes).
let allowed = getenv("AMANAH_ALLOW_CRASH_BACKTRACE").map { String(cString: $0) == "1" } ?? false
if !allowed && getenv("SWIFT_BACKTRACE").map({ String(cString: $0) }) != "enable=no" {
    setenv("SWIFT_BACKTRACE", "enable=no", 1)
    execv("/proc/self/exe", CommandLine.unsafeArgv)
    // Fail closed: without the re-execution the crash reporter would stay on.
    let message = "amanah: cannot turn Swift's crash reporter off (starting /proc/self/exe again failed: \(String(cString: strerror(errno)))); run amanah with SWIFT_BACKTRACE=enable=no in its environment\n"
    _ = message.withCString { write(2, $0, strlen($0)) }
    exit(1)
}
AmanahMain.run()
