import CPlatform
#if canImport(Glibc)
import Glibc
#endif

/// Starts a child process that inherits nothing it was not given: the sandbox children, the sandbox fork
/// server and the agent.
public enum CleanSpawn {
    /// Why a child could not be started: the `posix_spawn` error number and its text.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        /// The error number (an errno value).
        public let code: Int32
        public var description: String { String(cString: strerror(code)) }
    }

    /// Spawns `executable` with `arguments` (argv[1...]) and the three descriptors as its standard input,
    /// output and error: every other descriptor closed at exec (glibc ≥ 2.34; elsewhere the children close
    /// them first thing), "/" as its folder, default signal dispositions, an empty signal mask, and exactly
    /// `environment` ("NAME=value" strings) as its environment.
    /// - Returns: the child's pid.
    /// - Throws: `Failure` when `posix_spawn` fails.
    public static func spawn(executable: String, arguments: [String], standardInput: Int32, standardOutput: Int32,
                             standardError: Int32, environment: [String]) throws(Failure) -> pid_t {
        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        posix_spawn_file_actions_adddup2(&fileActions, standardInput, 0)
        posix_spawn_file_actions_adddup2(&fileActions, standardOutput, 1)
        posix_spawn_file_actions_adddup2(&fileActions, standardError, 2)
        _ = amanah_spawn_actions_closefrom_chdir(&fileActions, 3, "/")
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var allSignals = sigset_t(), noSignals = sigset_t()
        sigfillset(&allSignals)
        sigdelset(&allSignals, SIGKILL)
        sigdelset(&allSignals, SIGSTOP)
        sigemptyset(&noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        var argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer { for pointer in envp { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &fileActions, &attributes, &argv, &envp)
        guard spawned == 0 else { throw Failure(code: spawned) }
        return pid
    }
}
