// The sandbox fork server ("zygote"): a key-less process, started once from a fresh executable image, that
// forks one child per untrusted file on request. Forking a small, single-threaded process that never held
// a key or a byte of evidence costs about a millisecond; starting the `amanah` executable again costs tens
// of milliseconds (it maps about 120 shared libraries). Each child still starts from the server's clean
// state, so one file's parser never sees another file.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "CPlatform.h"

int amanah_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

int amanah_seqpacket_pair(int fds[2]) {
    return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds);
}

int amanah_zygote_exchange(int sock, const struct amanah_zygote_request *request, const int *fds, int count,
                           struct amanah_zygote_reply *reply, int timeout_ms) {
    if (count < 0 || count > 3) { errno = EINVAL; return -1; }
    struct iovec vector = { (void *)request, sizeof *request };
    union { char buffer[CMSG_SPACE(3 * sizeof(int))]; struct cmsghdr align; } control;
    memset(&control, 0, sizeof control);
    struct msghdr message = {0};
    message.msg_iov = &vector;
    message.msg_iovlen = 1;
    if (count > 0) {
        message.msg_control = control.buffer;
        message.msg_controllen = CMSG_SPACE(count * sizeof(int));
        struct cmsghdr *header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(count * sizeof(int));
        memcpy(CMSG_DATA(header), fds, count * sizeof(int));
    }
    ssize_t sent;
    do { sent = sendmsg(sock, &message, MSG_NOSIGNAL); } while (sent < 0 && errno == EINTR);
    if (sent != (ssize_t)sizeof *request) { if (sent >= 0) errno = EPIPE; return -1; }
    struct pollfd poller = { sock, POLLIN, 0 };
    int ready;
    do { ready = poll(&poller, 1, timeout_ms); } while (ready < 0 && errno == EINTR);
    if (ready == 0) { errno = ETIMEDOUT; return -1; }
    if (ready < 0) return -1;
    ssize_t got;
    do { got = recv(sock, reply, sizeof *reply, MSG_DONTWAIT); } while (got < 0 && errno == EINTR);
    if (got != (ssize_t)sizeof *reply) { if (got >= 0) errno = EPIPE; return -1; }
    return 0;
}

/// The number of threads of this process (from /proc/self/status), or -1.
static int thread_count(void) {
    FILE *status = fopen("/proc/self/status", "re");
    if (!status) return -1;
    char line[256];
    int threads = -1;
    while (fgets(line, sizeof line, status)) {
        if (strncmp(line, "Threads:", 8) == 0) { threads = atoi(line + 8); break; }
    }
    fclose(status);
    return threads;
}

static void reply_to(int sock, int result, int status, uint64_t cpu) {
    struct amanah_zygote_reply reply = { result, status, cpu };
    ssize_t sent;
    do { sent = send(sock, &reply, sizeof reply, MSG_NOSIGNAL); } while (sent < 0 && errno == EINTR);
}

int amanah_zygote_serve(int sock, char *job, size_t job_capacity) {
    // No parent-death signal for the server itself: Linux ties it to the thread that started it, which
    // may be a short-lived worker. The server ends when the parent's end of the socket closes, which
    // happens at the latest when the parent process ends.
    if (thread_count() != 1) { errno = EBUSY; return -1; } // forking is only safe with one thread
    reply_to(sock, (int)getpid(), AMANAH_ZYGOTE_READY, 0); // ready
    for (;;) {
        struct amanah_zygote_request request;
        struct iovec vector = { &request, sizeof request };
        union { char buffer[CMSG_SPACE(3 * sizeof(int))]; struct cmsghdr align; } control;
        struct msghdr message = {0};
        message.msg_iov = &vector;
        message.msg_iovlen = 1;
        message.msg_control = control.buffer;
        message.msg_controllen = sizeof control.buffer;
        ssize_t got = recvmsg(sock, &message, MSG_CMSG_CLOEXEC);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) _exit(0);   // the parent closed its end (or died): nothing more to do
        int fds[3] = { -1, -1, -1 };
        int count = 0;
        for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header; header = CMSG_NXTHDR(&message, header)) {
            if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_RIGHTS) {
                int n = (int)((header->cmsg_len - CMSG_LEN(0)) / sizeof(int));
                int *received = (int *)CMSG_DATA(header);
                for (int i = 0; i < n; i++) {
                    if (count < 3) fds[count++] = received[i]; else close(received[i]);
                }
            }
        }
        if (got != (ssize_t)sizeof request || (message.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
            for (int i = 0; i < count; i++) close(fds[i]);
            reply_to(sock, -EPROTO, 0, 0);
            continue;
        }
        if (request.operation == AMANAH_ZYGOTE_FORK) {
            if (count != 3) {
                for (int i = 0; i < count; i++) close(fds[i]);
                reply_to(sock, -EPROTO, 0, 0);
                continue;
            }
            pid_t server = getpid();
            pid_t pid = fork();
            if (pid == 0) {
                close(sock);
                // Move the three descriptors out of the way of 0..2 first, then into place.
                int moved[3];
                for (int i = 0; i < 3; i++) {
                    moved[i] = fcntl(fds[i], F_DUPFD, 10);
                    if (moved[i] < 0) _exit(70);
                }
                for (int i = 0; i < 3; i++) {
                    close(fds[i]);
                    if (dup2(moved[i], i) != i) _exit(70);
                    close(moved[i]);
                }
                if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) _exit(70);
                if (getppid() != server) _exit(70);   // the server died before the signal was set
                size_t length = strnlen(request.job, sizeof request.job);
                if (length + 1 > job_capacity) _exit(70);
                memcpy(job, request.job, length);
                job[length] = 0;
                return 0;
            }
            int saved = errno;
            for (int i = 0; i < 3; i++) close(fds[i]);
            reply_to(sock, pid > 0 ? pid : -saved, 0, 0);
        } else if (request.operation == AMANAH_ZYGOTE_WAIT || request.operation == AMANAH_ZYGOTE_POLL) {
            for (int i = 0; i < count; i++) close(fds[i]);
            if (request.pid <= 0) { reply_to(sock, -EINVAL, 0, 0); continue; }   // never "any child"
            int status = 0;
            struct rusage usage;
            memset(&usage, 0, sizeof usage);
            pid_t result;
            do {
                result = wait4(request.pid, &status, request.operation == AMANAH_ZYGOTE_POLL ? WNOHANG : 0, &usage);
            } while (result < 0 && errno == EINTR);
            uint64_t cpu = (uint64_t)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000u
                         + (uint64_t)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
            reply_to(sock, result < 0 ? -errno : result, status, cpu);
        } else {
            for (int i = 0; i < count; i++) close(fds[i]);
            reply_to(sock, -EPROTO, 0, 0);
        }
    }
}
