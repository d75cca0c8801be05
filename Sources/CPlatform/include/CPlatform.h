#ifndef AMANAH_CPLATFORM_H
#define AMANAH_CPLATFORM_H

#include <stdint.h>
#include <stddef.h>
#include <spawn.h>

/// Process hardening and sandbox helpers that Swift cannot reach directly (prctl is variadic).
/// Every function returns 0 on success and -1 with errno set on failure.

/// Sets RLIMIT_CORE to 0 and marks the process not dumpable (PR_SET_DUMPABLE 0), so a crash writes no
/// core file and other processes of the same user cannot ptrace it or read its memory.
int amanah_disable_core_dumps(void);

/// Sets PR_SET_NO_NEW_PRIVS so that neither this process nor its children can gain privileges via exec.
int amanah_set_no_new_privs(void);

/// Sets a resource limit (soft and hard) for RLIMIT_CPU (seconds), RLIMIT_AS (bytes), RLIMIT_FSIZE (bytes)
/// or RLIMIT_NOFILE (count). `which` is one of the AMANAH_LIMIT_* values.
enum { AMANAH_LIMIT_CPU = 1, AMANAH_LIMIT_AS = 2, AMANAH_LIMIT_FSIZE = 3, AMANAH_LIMIT_NOFILE = 4 };
int amanah_set_limit(int which, uint64_t value);

/// Installs a seccomp-BPF filter for a parser child: after it, the process may only read and write already
/// open descriptors, manage memory, query time, start threads (clone with CLONE_THREAD; clone3 fails with
/// ENOSYS so that glibc falls back to clone), and exit. open/openat fail with EACCES. tgkill, prlimit64
/// and sched_getaffinity are allowed only on itself (first argument 0 or its own pid; EPERM otherwise), so
/// it cannot signal or limit the parent, the fork server or another parser. Any other system
/// call kills the process (SECCOMP_RET_KILL_PROCESS). Returns -1 with errno ENOSYS when seccomp is
/// unavailable on this platform.
int amanah_install_parser_seccomp(void);
/* Tests only: a forked child installs the parser filter and makes system call `probe` (see platform.c);
   0 it succeeded, 1 it failed with EACCES or EPERM, 2 another failure, 128 + signal when killed, -1 not run. */
int amanah_parser_filter_probe(int probe);

/// Reports whether the file system holding `path` is a network or synchronised file system (NFS, SMB/CIFS,
/// FUSE-based sync clients, 9p, Ceph, GlusterFS, AFS, ...). Returns 1 if it is, 0 if it is local, -1 on error.
int amanah_is_network_filesystem(const char *path);

/// Adds two actions to a posix_spawn file-action list: close every descriptor >= `from`, then change to
/// directory `dir` (glibc's posix_spawn_file_actions_addclosefrom_np and _addchdir_np, which Swift cannot
/// see without _GNU_SOURCE). Used to start the sandbox child with nothing inherited.
int amanah_spawn_actions_closefrom_chdir(posix_spawn_file_actions_t *actions, int from, const char *dir);

/// Turns terminal echo on or off for the descriptor. Returns the previous state in *was_on.
int amanah_set_echo(int fd, int on, int *was_on);

/// The effective user id of the process at the other end of a connected Unix-domain socket, as the kernel recorded
/// it when the connection was made (SO_PEERCRED on Linux, getpeereid elsewhere): the peer cannot forge it.
/// Stores it in *uid; returns 0, or -1 with errno set (ENOTSOCK, ENOTCONN, ...).
int amanah_peer_uid(int fd, uint32_t *uid);

/// Blocks SIGTERM, SIGINT and SIGHUP for the calling thread (and threads it starts later) and returns a
/// descriptor (close-on-exec, non-blocking) that becomes readable when one of them arrives (signalfd on
/// Linux), so a poll loop can end cleanly on them. Returns -1 with errno set (ENOSYS where unsupported).
int amanah_termination_signal_fd(void);

/// Starts writing the dirty pages of `fd` in [offset, offset + length) to the device without waiting
/// (Linux `sync_file_range(SYNC_FILE_RANGE_WRITE)`), so that a later fsync has less left to do. Not a
/// durability guarantee. Elsewhere it does nothing and returns 0.
int amanah_start_writeback(int fd, int64_t offset, int64_t length);

/// Turns direct I/O (Linux O_DIRECT: writes go from the caller's buffer to the device, bypassing the page
/// cache) on or off for `fd`. Buffers, lengths and offsets must then be multiples of the device's block
/// size (4096 is safe). Returns 0, or -1 with errno set (EINVAL where the file system has no direct I/O;
/// ENOTSUP on other systems).
int amanah_set_direct_io(int fd, int on);

/// Names the calling thread (at most 15 bytes are kept; Linux PR_SET_NAME), for `top -H` and `perf`.
/// Returns 0, or -1 where threads cannot be named.
int amanah_set_thread_name(const char *name);


/// Opens an unnamed temporary file (O_TMPFILE) in folder `dir` for writing, mode 0600: it has no name until
/// `amanah_link_tmpfile` gives it one, so a crash leaves nothing behind. Returns the descriptor, or -1 with
/// errno (EOPNOTSUPP or EISDIR where the file system does not support it).
int amanah_open_tmpfile(const char *dir);

/// Gives the unnamed file open as `fd` the name `path` (linkat through /proc/self/fd); fails with EEXIST if
/// `path` exists.
int amanah_link_tmpfile(int fd, const char *path);

/// Renames `from` to `to` only if `to` does not exist (renameat2 with RENAME_NOREPLACE). Returns 0, or -1 with
/// errno: EEXIST when `to` exists; EINVAL, ENOSYS or EOPNOTSUPP where the kernel or file system (FUSE, some
/// network file systems) does not offer the flag, so the caller must choose another way.
int amanah_rename_noreplace(const char *from, const char *to);

/// Makes a pipe whose two ends are close-on-exec from the start (pipe2 with O_CLOEXEC), so a child another
/// thread spawns at the same moment cannot inherit them.
int amanah_pipe_cloexec(int fds[2]);

/// Makes a connected pair of Unix-domain SOCK_SEQPACKET sockets (close-on-exec): messages keep their
/// boundaries, and descriptors travel with them.
int amanah_seqpacket_pair(int fds[2]);

/// The sandbox fork server's requests: fork a child for `job` with three descriptors (its standard input,
/// output and error) sent along; or reap child `pid`, waiting or not.
enum { AMANAH_ZYGOTE_FORK = 1, AMANAH_ZYGOTE_WAIT = 2, AMANAH_ZYGOTE_POLL = 3 };
struct amanah_zygote_request {
    int32_t operation;
    int32_t pid;
    char job[24];
};
/// The answer: `result` is the child's pid (fork; reaped), 0 (poll: still running) or -errno; `status` is
/// the wait status and `cpu_microseconds` the child's user + system CPU time once reaped.
struct amanah_zygote_reply {
    int32_t result;
    int32_t status;
    uint64_t cpu_microseconds;
};

/// Client side: sends `request` with `count` (0 to 3) descriptors on `sock` and waits at most
/// `timeout_ms` milliseconds for the reply. Returns 0, or -1 with errno (EPIPE when the server has gone,
/// ETIMEDOUT when it did not answer).
int amanah_zygote_exchange(int sock, const struct amanah_zygote_request *request, const int *fds, int count,
                           struct amanah_zygote_reply *reply, int timeout_ms);

/// The `status` of the server's first reply (with its pid as `result`): "AMZ1".
enum { AMANAH_ZYGOTE_READY = 0x315A4D41 };

/// Server side: serves requests on `sock` until the other end closes, then exits the process. Refuses to
/// start (returns -1: EBUSY) unless the process has exactly one thread; first sends a reply whose `result`
/// is its own pid (ready); ends when the other end closes
/// (at the latest when the parent process ends). Returns 0 only in a forked child: its descriptors 0, 1 and 2 are the ones sent with
/// the request, the socket is closed, it too dies with its parent, and `job` holds the job's name.
int amanah_zygote_serve(int sock, char *job, size_t job_capacity);

#endif
