// Early writeback and direct I/O of file data, and thread names (see CPlatform.h).
#if defined(__linux__)
#define _GNU_SOURCE
#include <fcntl.h>
#endif
#include <errno.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif
#include "CPlatform.h"

int amanah_start_writeback(int fd, int64_t offset, int64_t length) {
#if defined(__linux__)
    return sync_file_range(fd, (off64_t)offset, (off64_t)length, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd; (void)offset; (void)length;
    return 0;
#endif
}

int amanah_set_direct_io(int fd, int on) {
#if defined(__linux__)
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return -1;
    flags = on ? (flags | O_DIRECT) : (flags & ~O_DIRECT);
    return fcntl(fd, F_SETFL, flags);
#else
    (void)fd; (void)on;
    errno = ENOTSUP;
    return -1;
#endif
}

int amanah_set_thread_name(const char *name) {
#if defined(__linux__)
    return prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0);
#else
    (void)name;
    return -1;
#endif
}
