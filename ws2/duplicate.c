/* WSADuplicateSocket and the WSASocket that opens its duplicate.
 *
 * Within the process the duplicate is the same socket: under a host whose
 * program holds names for it (Wine), the same object under a name of its
 * own; with no host, a new object on a copy of the descriptor.
 *
 * Into another process (libuv hands listening and accepted sockets to
 * other processes this way, and so Node's cluster) the descriptor has to
 * cross between two Linux processes, which only a Unix socket can carry
 * (SCM_RIGHTS).  On Windows the handle is in the other process as soon as
 * WSADuplicateSocket returns, and stays there if this process exits at
 * once (libuv's own tests do that).  So the descriptor goes at once to a
 * keeper: a small process this one starts on its first such duplicate,
 * which holds it until the other process's WSASocket asks for it, once.
 * The keeper listens on the abstract Unix address
 * "ws2uring-share-PID-NONCE" (PID this process's Linux id; the random
 * NONCE keeps a keeper that outlives its process apart from a later
 * process of the same id); the WSAPROTOCOL_INFO carries PID, NONCE and the
 * duplicate's id.  Both ends check that the other runs as the same user
 * (SO_PEERCRED): such a process could take the descriptor with ptrace
 * anyway, so the keeper grants nothing new.
 *
 * The keeper is forked from a process that may run many threads (and
 * Wine), so it does only what is safe there: system calls on its own
 * memory, no allocation, no locks.  It closes every descriptor it does not
 * need (the host's included), takes no signal, and ends once its process
 * has ended and nothing is left to hand over, or KEEP_GRACE_S after its
 * process ended: a duplicate nobody opens by then is dropped (on Windows
 * it would live as long as the process it was meant for).  It is forked
 * twice, so that it is nobody's child to reap, but stays in the process
 * group (a test harness that kills the group kills it too). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ws2_private.h"

#define MAX_DUPS 256        /* unopened duplicates within the process, the oldest replaced */
#define KEEP_MAX 256        /* unopened duplicates a keeper holds, the oldest dropped */
#define KEEP_GRACE_S 30
#define CLAIM_TIMEOUT_S 5   /* a keeper answers at once; this bounds a stuck one */

/* This process -> its keeper, with the descriptor. */
struct keep_msg {
    uint32_t id;
    struct ws2_socket_state state;
};

/* A keeper -> the process that asks, with the descriptor when status is 0. */
struct keep_reply {
    int32_t status;                 /* 0, or a negative WSA error */
    struct ws2_socket_state state;
};

static pthread_mutex_t dup_lock = PTHREAD_MUTEX_INITIALIZER;   /* everything below but host_pid */
static struct {
    uint32_t id;                    /* 0: empty */
    struct ws2_socket *sock;        /* a reference of the slot's own */
} dups[MAX_DUPS];
static uint32_t next_id = 1;
static int keeper_fd = -1;          /* this process's end of the pair to its keeper */
static pid_t keeper_of;             /* the process it serves: a fork's child has none of its own */
static uint32_t keeper_nonce;

/* The process id programs know this process by: Linux's, or the host's
 * (under Wine, Wine's own GetCurrentProcessId, which the host tells). */
static _Atomic uint32_t host_pid;

W2U_EXPORT void ws2uring_host_process_id(uint32_t pid)
{
    atomic_store(&host_pid, pid);
}

static uint32_t new_id(void)
{
    uint32_t id = next_id++;
    if (!next_id)
        next_id = 1;
    return id;
}

/* ---- messages with a descriptor (both sides) ------------------------------------- */

union fd_control {
    struct cmsghdr h;
    char space[CMSG_SPACE(sizeof(int))];
};

static bool send_with_fd(int c, const void *data, size_t len, int fd)
{
    union fd_control control;
    struct iovec iov = { (void *)data, len };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (fd >= 0) {
        memset(&control, 0, sizeof(control));
        m.msg_control = control.space;
        m.msg_controllen = sizeof(control.space);
        struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd, sizeof(int));
    }
    return sendmsg(c, &m, MSG_NOSIGNAL) == (ssize_t)len;
}

/* The message's length (0: the other end closed, -1: none or an error);
 * *fd the descriptor that came with it, else -1. */
static ssize_t recv_with_fd(int c, void *data, size_t len, int *fd, int flags)
{
    union fd_control control;
    struct iovec iov = { data, len };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space,
                        .msg_controllen = sizeof(control.space) };
    ssize_t got = recvmsg(c, &m, MSG_CMSG_CLOEXEC | flags);
    *fd = -1;
    struct cmsghdr *cm = got > 0 ? CMSG_FIRSTHDR(&m) : NULL;
    if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS && cm->cmsg_len == CMSG_LEN(sizeof(int)))
        memcpy(fd, CMSG_DATA(cm), sizeof(int));
    return got;
}

static socklen_t keeper_address(uint32_t pid, uint32_t nonce, struct sockaddr_un *a)
{
    memset(a, 0, sizeof(*a));
    a->sun_family = AF_UNIX;         /* sun_path[0] = 0: the abstract namespace */
    int n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "ws2uring-share-%u-%08x", pid, nonce);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

static bool same_user(int c)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);
    return getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.uid == geteuid();
}

static void set_timeouts(int c, int seconds)
{
    struct timeval tv = { .tv_sec = seconds };
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* ---- the keeper (a process of its own; system calls only) ------------------------ */

static struct {
    uint32_t id;                    /* 0: empty */
    int fd;
    struct ws2_socket_state state;
} kept[KEEP_MAX];
static unsigned kept_count;

/* Takes what the process sent meanwhile; false once it has ended. */
static bool keeper_intake(int pair)
{
    for (;;) {
        struct keep_msg m;
        int fd;
        ssize_t got = recv_with_fd(pair, &m, sizeof(m), &fd, MSG_DONTWAIT);
        if (got == 0)
            return false;
        if (got < 0)
            return errno == EAGAIN || errno == EINTR;
        if (fd < 0 || got != (ssize_t)sizeof(m) || !m.id) {
            if (fd >= 0)
                close(fd);
            continue;
        }
        unsigned slot = m.id % KEEP_MAX;
        if (kept[slot].id)
            close(kept[slot].fd);    /* an older one never opened */
        else
            kept_count++;
        kept[slot].id = m.id;
        kept[slot].fd = fd;
        kept[slot].state = m.state;
    }
}

/* One request: the id in, the descriptor and state out, once. */
static void keeper_hand_over(int c)
{
    uint32_t id;
    set_timeouts(c, 1);
    if (!same_user(c) || recv(c, &id, sizeof(id), 0) != (ssize_t)sizeof(id))
        return;
    unsigned slot = id % KEEP_MAX;
    struct keep_reply reply = { .status = -W2U_WSAEINVAL };
    int fd = -1;
    if (id && kept[slot].id == id) {
        reply = (struct keep_reply){ .status = 0, .state = kept[slot].state };
        fd = kept[slot].fd;
        kept[slot].id = 0;
        kept_count--;
    }
    send_with_fd(c, &reply, sizeof(reply), fd);
    if (fd >= 0)
        close(fd);                   /* (the other process has its own now) */
}

/* Closes every descriptor but a and b, and points 0-2 at /dev/null: the
 * keeper must not hold the host's (its server connection) nor a pipe
 * somebody waits to see closed. */
static void keep_only(int a, int b)
{
    int lo = a < b ? a : b, hi = a < b ? b : a;
    int null = open("/dev/null", O_RDWR);
    for (int i = 0; i < 3 && null >= 0; i++)
        if (i != a && i != b)
            dup2(null, i);
    if (null > 2 && null != a && null != b)
        close(null);
    if (lo > 3)
        close_range(3, (unsigned)lo - 1, 0);
    if (hi > lo + 1)
        close_range((unsigned)lo + 1, (unsigned)hi - 1, 0);
    close_range((unsigned)hi + 1, ~0u, 0);
}

static long long now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec;
}

static _Noreturn void keeper_main(int l, int pair)
{
    keep_only(l, pair);
    bool process_alive = true;
    long long until = 0;
    for (;;) {
        struct pollfd p[2] = { { .fd = l, .events = POLLIN }, { .fd = process_alive ? pair : -1, .events = POLLIN } };
        int ms = process_alive ? -1 : (int)((until - now_s()) * 1000);
        if (!process_alive && (ms <= 0 || !kept_count))
            _exit(0);
        if (poll(p, 2, ms) < 0 && errno != EINTR)
            _exit(1);
        /* What the process sent before a request is in the pair first. */
        if (process_alive && !keeper_intake(pair)) {
            process_alive = false;
            until = now_s() + KEEP_GRACE_S;
        }
        if (p[0].revents & POLLIN) {
            int c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
            if (c >= 0) {
                keeper_hand_over(c);
                close(c);
            }
        }
    }
}

/* Starts this process's keeper once; 0 or a negative WSA error.  Under
 * dup_lock. */
static int start_keeper(void)
{
    if (keeper_of == getpid() && keeper_fd >= 0)
        return 0;
    if (keeper_fd >= 0)
        close(keeper_fd);            /* a fork's child: that end is its parent's */
    keeper_fd = -1;
    uint32_t nonce;
    if (getrandom(&nonce, sizeof(nonce), GRND_NONBLOCK) != (ssize_t)sizeof(nonce))
        nonce = (uint32_t)now_s() * 2654435761u ^ (uint32_t)getpid();
    struct sockaddr_un a;
    socklen_t len = keeper_address((uint32_t)getpid(), nonce, &a);
    int pair[2] = { -1, -1 }, r = 0;
    int l = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (l < 0 || bind(l, (struct sockaddr *)&a, len) < 0 || listen(l, 64) < 0 ||
        socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
        r = ws2_errno();
    } else {
        /* _Fork: no fork handlers (a host's among them) run in a process
         * that makes only system calls. */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        pid_t mid = _Fork();
        if (mid == 0) {
            if (_Fork() == 0)
                keeper_main(l, pair[1]);
            _exit(0);
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (mid < 0)
            r = -W2U_WSAENOBUFS;
        else
            waitpid(mid, NULL, 0);   /* (a host that reaps its children itself makes this ECHILD) */
    }
    if (l >= 0)
        close(l);
    if (pair[1] >= 0)
        close(pair[1]);
    if (r < 0) {
        if (pair[0] >= 0)
            close(pair[0]);
        return r;
    }
    keeper_fd = pair[0];
    keeper_of = getpid();
    keeper_nonce = nonce;
    return 0;
}

/* ---- WSADuplicateSocket, WSASocket --------------------------------------------- */

int wsp_duplicate(struct ws2_socket *s, uint32_t pid, struct ws2_dup_token *token)
{
    uint32_t self = atomic_load(&host_pid);
    if (!self)
        self = (uint32_t)getpid();
    *token = (struct ws2_dup_token){ .pid = (uint32_t)getpid() };
    if (pid == self) {
        w2u_object_ref(&s->obj);
        pthread_mutex_lock(&dup_lock);
        token->id = new_id();
        unsigned slot = token->id % MAX_DUPS;
        struct ws2_socket *old = dups[slot].sock;   /* an unused duplicate, oldest */
        dups[slot].id = token->id;
        dups[slot].sock = s;
        pthread_mutex_unlock(&dup_lock);
        if (old)
            ws2_socket_put(old);
        return 0;
    }
    /* A process that does not exist is WSAEINVAL (a host checks its own
     * ids before asking). */
    if ((int32_t)pid <= 0 || (!atomic_load(&host_pid) && kill((pid_t)pid, 0) < 0 && errno == ESRCH))
        return -W2U_WSAEINVAL;
    struct keep_msg m = { 0 };
    ws2_socket_state_get(s, &m.state);
    pthread_mutex_lock(&dup_lock);
    int r = start_keeper();
    if (r == 0) {
        m.id = token->id = new_id();
        token->nonce = keeper_nonce;
        if (!send_with_fd(keeper_fd, &m, sizeof(m), s->fd)) {
            r = -W2U_WSAENOBUFS;     /* the keeper is gone: the next call starts another */
            close(keeper_fd);
            keeper_fd = -1;
        }
    }
    pthread_mutex_unlock(&dup_lock);
    return r;
}

/* Asks the keeper of the process that made token for its duplicate. */
static int claim(const struct ws2_dup_token *token, uintptr_t *out)
{
    struct sockaddr_un a;
    socklen_t len = keeper_address(token->pid, token->nonce, &a);
    int c = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (c < 0)
        return ws2_errno();
    set_timeouts(c, CLAIM_TIMEOUT_S);
    /* No keeper there: it has ended, or the information is not ws2uring's. */
    if (connect(c, (struct sockaddr *)&a, len) < 0 || !same_user(c) ||
        send(c, &token->id, sizeof(token->id), MSG_NOSIGNAL) != (ssize_t)sizeof(token->id)) {
        close(c);
        return -W2U_WSAEINVAL;
    }
    struct keep_reply reply;
    int fd;
    ssize_t got = recv_with_fd(c, &reply, sizeof(reply), &fd, 0);
    close(c);
    if (got != (ssize_t)sizeof(reply) || reply.status < 0 || fd < 0) {
        if (fd >= 0)
            close(fd);
        return got == (ssize_t)sizeof(reply) && reply.status < 0 ? reply.status : -W2U_WSAEINVAL;
    }
    return ws2_socket_adopt(fd, &reply.state, out, NULL);
}

int ws2_duplicate_open(const struct ws2_dup_token *token, uintptr_t *out)
{
    int r = ws2_check_started();
    if (r < 0)
        return r;
    if (token->pid && token->pid != (uint32_t)getpid())
        return claim(token, out);
    struct ws2_socket *s = NULL;
    pthread_mutex_lock(&dup_lock);
    unsigned slot = token->id % MAX_DUPS;
    if (token->id && dups[slot].id == token->id) {
        s = dups[slot].sock;          /* each duplicate opens once */
        dups[slot].sock = NULL;
        dups[slot].id = 0;
    }
    pthread_mutex_unlock(&dup_lock);
    if (!s)
        return token->nonce ? claim(token, out) : -W2U_WSAEINVAL;   /* meant for another process: as good */
    /* Under a host whose program holds aliases (Wine), the duplicate is
     * the same socket under a name of its own, as on Windows: the host
     * gives it its own alias, and the socket closes with its last name. */
    if (w2u_host()->reset_event && !atomic_load(&s->closing)) {
        atomic_fetch_add(&s->names, 1);
        *out = s->obj.handle;
        ws2_socket_put(s);
        return 0;
    }
    struct ws2_socket_state st;
    struct ws2_socket *ns;
    ws2_socket_state_get(s, &st);
    int fd = fcntl(s->fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0)
        r = ws2_errno();
    else if ((r = ws2_socket_adopt(fd, &st, out, &ns)) == 0)
        /* And its completion port: the duplicate's I/O completes there,
         * with the same key, as Windows' one socket behind both. */
        iocp_binding_copy(&ns->binding, &s->binding);
    ws2_socket_put(s);
    return r;
}
