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
/// ENOSYS so that glibc falls back to clone), and exit. open/openat fail with EACCES. Any other system
/// call kills the process (SECCOMP_RET_KILL_PROCESS). Returns -1 with errno ENOSYS when seccomp is
/// unavailable on this platform.
int amanah_install_parser_seccomp(void);

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

#endif

/// Opens an unnamed temporary file (O_TMPFILE) in folder `dir` for writing, mode 0600: it has no name until
/// `amanah_link_tmpfile` gives it one, so a crash leaves nothing behind. Returns the descriptor, or -1 with
/// errno (EOPNOTSUPP or EISDIR where the file system does not support it).
int amanah_open_tmpfile(const char *dir);

/// Gives the unnamed file open as `fd` the name `path` (linkat through /proc/self/fd); fails with EEXIST if
/// `path` exists.
int amanah_link_tmpfile(int fd, const char *path);
