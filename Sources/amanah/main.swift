import AmanahCLI
#if canImport(Glibc)
import Glibc
#endif

// Swift's crash reporter prints registers and the memory they point to: in a process that holds keys and
// decrypted evidence that must never happen. It reads its setting only at start-up, so set it and start
// again once (the environment is the only thing that changes).
if getenv("SWIFT_BACKTRACE") == nil {
    setenv("SWIFT_BACKTRACE", "enable=no", 1)
    execv("/proc/self/exe", CommandLine.unsafeArgv)
    // If the re-execution fails, carry on: the crash reporter stays on, which is no worse than before.
}
AmanahMain.run()
