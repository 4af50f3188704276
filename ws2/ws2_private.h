/* Shared by the files of ws2/ only. */
#ifndef W2U_WS2_PRIVATE_H
#define W2U_WS2_PRIVATE_H

#include <pthread.h>
#include <sys/types.h>

#include "../iocp/iocp.h"
#include "ws2.h"

/* Windows takes any number of WSABUFs in one call (Go's net.Buffers
 * sends 1,025 in one WSASend and its tests count the calls); Linux takes
 * IOV_PER_CALL iovecs per system call.  A stream goes IOV_PER_CALL
 * buffers at a time; a datagram, one message, goes past that through one
 * flat copy (ws2_iov_flatten, ws2_iov_scatter). */
#define IOV_PER_CALL 1024u
#define INLINE_IOVS 64   /* a synchronous call's iovecs on its stack */
/* The most a receive takes through a bounce buffer: a stream receive may
 * return less than asked, and no datagram is larger. */
#define BOUNCE_MAX (1u << 20)
#define MAX_CONTROL 1024 /* Linux control bytes a WSARecvMsg may need */

/* An intrusive FIFO (overlapped.c's request queues): the link lives in the
 * member, and any member leaves in O(1).  Circular through head; a link
 * that is in no queue has next NULL. */
struct ws2_link {
    struct ws2_link *prev, *next;
};
struct ws2_queue {
    struct ws2_link head;
};

static inline void ws2_queue_init(struct ws2_queue *q)
{
    q->head.prev = q->head.next = &q->head;
}

static inline bool ws2_queue_empty(const struct ws2_queue *q)
{
    return q->head.next == &q->head;
}

/* The first member's link, or NULL. */
static inline struct ws2_link *ws2_queue_first(const struct ws2_queue *q)
{
    return ws2_queue_empty(q) ? NULL : q->head.next;
}

static inline void ws2_queue_push(struct ws2_queue *q, struct ws2_link *l)
{
    l->prev = q->head.prev;
    l->next = &q->head;
    q->head.prev->next = l;
    q->head.prev = l;
}

/* Takes l out of its queue; nothing if it is in none. */
static inline void ws2_queue_unlink(struct ws2_link *l)
{
    if (!l->next)
        return;
    l->prev->next = l->next;
    l->next->prev = l->prev;
    l->prev = l->next = NULL;
}

struct ws2_socket {
    struct w2u_object obj;
    struct iocp_binding binding;
    int fd;
    int wake_fd;                   /* eventfd for blocking waits, or -1 */
    int family, type, protocol;    /* Linux values */
    const struct ws2_catalog_entry *entry;   /* where it comes from */
    uint32_t flags;                /* WSA_FLAG_* */
    _Atomic bool nonblocking;      /* Windows mode (FIONBIO) */
    _Atomic bool closing;
    _Atomic uint32_t cancel_waits; /* overlapped.c: cancelled requests not yet delivered */
    _Atomic bool recv_ready;       /* the last receive filled its buffers: more likely waits */
    _Atomic bool reset;            /* a receive saw the peer's reset: every later one fails so */
    _Atomic uint32_t names;        /* under a host, the program's handles of it (its own and
                                    * duplicates'): the socket closes with the last */
    /* Connection state, W2U_ST_* bits: changed under lock (each change a
     * read-modify-write there), read anywhere without it (ws2_is), so the
     * overlapped and ConnectEx paths' checks need no lock.
     * Lock order, outer first: this lock, then bindreg.c's reg_lock (bind
     * checks Windows' rules under it) or a ring's submission lock
     * (overlapped.c's put_in_ring submits under it); neither of those is
     * held while a socket's lock is taken. */
    _Atomic uint32_t state;
    pthread_mutex_t lock;          /* state below */
    bool connect_ex;               /* the connecting is a ConnectEx's */
    bool accepted;                 /* came from accept or AcceptEx (never has FD_CONNECT) */
    uint32_t rcvtimeo, sndtimeo;   /* ms, 0 = no limit */
    bool reuse, exclusive;         /* SO_REUSEADDR, SO_EXCLUSIVEADDRUSE */
    bool conditional_accept;       /* SO_CONDITIONAL_ACCEPT */
    bool debug;                    /* SO_DEBUG, kept for getsockopt */
    int so_error;                  /* SO_ERROR as set by the program, 0: none */
    uint32_t rcvbuf, sndbuf;       /* SO_RCVBUF / SO_SNDBUF as set, 0: never */
    int protection_level;          /* IPV6_PROTECTION_LEVEL, kept */
    uintptr_t deferred;            /* a connection WSAAccept deferred (CF_DEFER) */
    uintptr_t accept_on;           /* an AcceptEx into this socket waits on that listener, */
    const void *accept_ov;         /* with this OVERLAPPED; 0 / NULL: none */
    /* overlapped.c's requests, under lock: receives and sends each run in
     * order (the head is running); accepts, connects and parked ones all
     * run at once. */
    struct ws2_queue ov_recvs, ov_sends, ov_others;
    int64_t connect_time;          /* CLOCK_MONOTONIC ns when connected, 0 before */
    /* WSAEventSelect state (eventselect.c), under lock. */
    uintptr_t es_event;
    uint32_t es_mask;              /* lNetworkEvents; 0: not selected */
    uint32_t es_pending;           /* the network event record */
    uint32_t es_enabled;           /* events that may be recorded now */
    int es_errors[W2U_FD_MAX_EVENTS];
    uint32_t es_epoll;             /* current epoll interest, 0: not in epoll */
    bool es_eof;                   /* the peer closed: no more FD_READ */
    bool es_ever;                  /* selected once: es_enabled is kept from then on */
};

enum {
    W2U_ST_BOUND = 1u << 0,
    W2U_ST_LISTENING = 1u << 1,
    W2U_ST_CONNECTED = 1u << 2,
    W2U_ST_CONNECTING = 1u << 3,
    W2U_ST_SHUT_SEND = 1u << 4,
    W2U_ST_SHUT_RECV = 1u << 5,
};

/* Whether any of bits holds: an acquire load, so that what the thread that
 * set them wrote before (under the lock) is seen too. */
static inline bool ws2_is(const struct ws2_socket *s, uint32_t bits)
{
    return (atomic_load_explicit(&s->state, memory_order_acquire) & bits) != 0;
}

/* Under the socket's lock: sets the bits on, clears the bits off. */
static inline void ws2_state_change(struct ws2_socket *s, uint32_t on, uint32_t off)
{
    uint32_t v = atomic_load_explicit(&s->state, memory_order_relaxed);
    atomic_store_explicit(&s->state, (v & ~off) | on, memory_order_release);
}

/* ---- the transport provider interface ---------------------------------------------------
 * The shape of Windows' WSPPROC_TABLE (Wine 8's headers do not carry it):
 * the API layer (api.c) checks start-up, resolves the SOCKET once and calls
 * the provider of the socket's catalog entry.  The io_uring provider is the
 * only one today; the table is where another (Wine's own AFD sockets, say)
 * would plug in.  Entries return >= 0 or a negative WSA error. */
struct ws2_provider {
    const char *name;
    int (*socket)(const struct ws2_catalog_entry *e, int protocol, uint32_t flags, uintptr_t *out); /* WSPSocket */
    int (*bind)(struct ws2_socket *s, const void *addr, int len);                        /* WSPBind */
    int (*listen)(struct ws2_socket *s, int backlog);                                    /* WSPListen */
    int (*accept)(struct ws2_socket *s, void *addr, int *len, uintptr_t *out);           /* WSPAccept */
    int (*connect)(struct ws2_socket *s, const void *addr, int len);                     /* WSPConnect */
    int (*shutdown)(struct ws2_socket *s, int how);                                      /* WSPShutdown */
    int (*send)(struct ws2_socket *s, const struct ws2_buf *bufs, unsigned count, int flags,
                const void *addr, int addrlen);                                          /* WSPSend(To) */
    int (*recv)(struct ws2_socket *s, const struct ws2_buf *bufs, unsigned count, int *flags,
                void *addr, int *addrlen);                                               /* WSPRecv(From) */
    int (*getsockname)(struct ws2_socket *s, void *addr, int *len);                      /* WSPGetSockName */
    int (*getpeername)(struct ws2_socket *s, void *addr, int *len);                      /* WSPGetPeerName */
    int (*ioctl)(struct ws2_socket *s, uint32_t cmd, uint32_t *arg);                     /* WSPIoctl */
    int (*getsockopt)(struct ws2_socket *s, int level, int name, void *val, int *len);   /* WSPGetSockOpt */
    int (*setsockopt)(struct ws2_socket *s, int level, int name, const void *val, int len); /* WSPSetSockOpt */
    int (*event_select)(struct ws2_socket *s, uintptr_t event, uint32_t mask);           /* WSPEventSelect */
    int (*enum_network_events)(struct ws2_socket *s, uintptr_t event,
                               struct ws2_network_events *out);                          /* WSPEnumNetworkEvents */
    int (*duplicate)(struct ws2_socket *s, uint32_t pid, struct ws2_dup_token *token);   /* WSPDuplicateSocket */
    int (*select)(struct ws2_poll_entry *e, unsigned n, int64_t deadline, bool select_mode); /* WSPSelect */
};

extern const struct ws2_provider ws2_uring_provider;

int wsp_socket(const struct ws2_catalog_entry *e, int protocol, uint32_t flags, uintptr_t *out);
int wsp_bind(struct ws2_socket *s, const void *addr, int len);
int wsp_listen(struct ws2_socket *s, int backlog);
int wsp_accept(struct ws2_socket *s, void *addr, int *len, uintptr_t *out);
int wsp_connect(struct ws2_socket *s, const void *addr, int len);
int wsp_shutdown(struct ws2_socket *s, int how);
/* True when a stream has bytes to read (not only its end of stream). */
bool ws2_bytes_queued(int fd);
/* A stream receive's result (bytes, or -errno), with Windows' rule that a
 * connection once reset fails every later receive: records a reset, and
 * turns a later end of stream (of a receive for want > 0 bytes) into
 * -ECONNRESET. */
int ws2_sticky_reset(struct ws2_socket *s, int res, size_t want);
/* The socket's eventfd, which closesocket signals to end the waits on it
 * (made on first use; -1 if it cannot be). */
int ws2_socket_wake_fd(struct ws2_socket *s);
/* WSABUFs -> iovecs with their total; -WSAEFAULT for a NULL array or a
 * NULL buffer with a length (socket.c). */
struct iovec;
int ws2_make_iov(const struct ws2_buf *bufs, unsigned count, struct iovec *iov, size_t *total);
/* How many of n iovecs one system call takes. */
static inline size_t ws2_iov_step(size_t n)
{
    return n < IOV_PER_CALL ? n : IOV_PER_CALL;
}
/* The same, and their bytes. */
size_t ws2_iov_per_call(const struct iovec *iov, size_t count, size_t *bytes);
/* A datagram of more than IOV_PER_CALL buffers as one message: *one gets
 * a buffer of its own, for a send its total bytes gathered from iov, for
 * a receive up to BOUNCE_MAX of them; 0, or -WSAENOBUFS, or -WSAEFAULT
 * when the program may not read a buffer (one->iov_base then NULL).  The
 * caller frees one->iov_base; a receive's bytes go back to the buffers
 * with ws2_iov_scatter (false: one the program may not write). */
int ws2_iov_flatten(const struct iovec *iov, size_t count, size_t total, bool send, struct iovec *one);
bool ws2_iov_scatter(const struct iovec *iov, size_t count, const char *flat, size_t n);
/* recvmsg(2), except that a fault on memory the host says the program may
 * write (w2u_host()->kernel_write) is retried through a bounce buffer, as
 * ws2_recvmsg_bounced does; -1 and errno as recvmsg. */
struct msghdr;
ssize_t ws2_recvmsg(int fd, struct msghdr *msg, int flags);
/* Receives into a buffer of ws2uring's own (at most 1 MiB) and has the
 * host write it to msg's buffers; for the host's sake only. */
ssize_t ws2_recvmsg_bounced(int fd, struct msghdr *msg, int flags);
/* Drops the first n bytes from an iovec array (after a partial send). */
void ws2_iov_advance(struct iovec **iov, size_t *count, size_t n);

/* cmsg.c: a received message's Linux control data into a Windows control
 * buffer (*out_len, if not NULL, the bytes written) and its W2U_MSG_*
 * flags (MSG_TRUNC, MSG_CTRUNC, MSG_MCAST, MSG_BCAST); and Windows control
 * data into Linux for a send. */
struct msghdr;
uint32_t ws2_cmsg_to_windows(struct msghdr *m, void *out, uint32_t cap, uint32_t *out_len);
int ws2_cmsg_from_windows(const void *in, uint32_t len, void *out, size_t cap, size_t *used);
/* Linux control space for a Windows control buffer of n bytes. */
static inline size_t ws2_cmsg_space(uint32_t n)
{
    size_t want = (size_t)n * 2 + 64;
    return n == 0 ? 0 : want < MAX_CONTROL ? want : MAX_CONTROL;
}

int wsp_send(struct ws2_socket *s, const struct ws2_buf *bufs, unsigned count, int flags,
             const void *addr, int addrlen);
int wsp_recv(struct ws2_socket *s, const struct ws2_buf *bufs, unsigned count, int *flags,
             void *addr, int *addrlen);
int wsp_getsockname(struct ws2_socket *s, void *addr, int *len);
int wsp_getpeername(struct ws2_socket *s, void *addr, int *len);
int wsp_ioctl(struct ws2_socket *s, uint32_t cmd, uint32_t *arg);
int wsp_getsockopt(struct ws2_socket *s, int level, int name, void *val, int *len);
int wsp_setsockopt(struct ws2_socket *s, int level, int name, const void *val, int len);
int wsp_event_select(struct ws2_socket *s, uintptr_t event, uint32_t mask);
int wsp_enum_network_events(struct ws2_socket *s, uintptr_t event, struct ws2_network_events *out);
int wsp_duplicate(struct ws2_socket *s, uint32_t pid, struct ws2_dup_token *token);
int wsp_select(struct ws2_poll_entry *e, unsigned n, int64_t deadline, bool select_mode);

/* socket.c: what a duplicate takes from a socket besides its descriptor:
 * its state and the options ws2uring keeps itself (the kernel's own come
 * with the descriptor).  The state is plain data, so that it can go to
 * another process (duplicate.c).  ws2_socket_adopt wraps a descriptor
 * (taken: closed on failure) in a new socket object and handle with it. */
struct ws2_socket_state {
    int32_t family, type, protocol;   /* Linux values */
    uint32_t flags;                   /* WSA_FLAG_* */
    uint32_t rcvbuf, sndbuf, rcvtimeo, sndtimeo;
    uint32_t state;                   /* W2U_ST_* */
    uint8_t nonblocking, reuse, debug;
};
void ws2_socket_state_get(struct ws2_socket *s, struct ws2_socket_state *st);
int ws2_socket_adopt(int fd, const struct ws2_socket_state *st, uintptr_t *out, struct ws2_socket **sock);
int ws2_addr_for(const struct ws2_socket *s, const void *addr, int len, struct sockaddr_storage *ss, unsigned *sl);
int ws2_send_flags(int flags);   /* Linux's send flags, or WSAEOPNOTSUPP */
int ws2_recv_flags(int flags);   /* Linux's receive flags, or WSAEOPNOTSUPP */
int ws2_errno(void);   /* errno of the last system call as a negative WSA error */
/* A send's errno e as a negative WSA error (EPIPE depends on who shut down). */
int ws2_send_errno(struct ws2_socket *s, int e);

/* overlapped.c: closesocket cancels what is in flight. */
void ws2_cancel_all(struct ws2_socket *s);
int64_t ws2_connect_time(struct ws2_socket *s);

/* bindreg.c: Windows' SO_REUSEADDR / SO_EXCLUSIVEADDRUSE rules. */
struct sockaddr_storage;
void ws2_bind_prepare_fd(int fd, int family);
int ws2_bind_checked(struct ws2_socket *s, const struct sockaddr_storage *ss, unsigned len);
void ws2_bind_forget(const struct ws2_socket *s);

/* With the socket locked: it is connected now (bound too); a stream's
 * SO_CONNECT_TIME counts from here (a datagram socket has none). */
static inline void ws2_mark_connected_locked(struct ws2_socket *s)
{
    ws2_state_change(s, W2U_ST_BOUND | W2U_ST_CONNECTED, W2U_ST_CONNECTING);
    if (!s->connect_time && s->type == W2U_SOCK_STREAM)     /* Linux shares the number */
        s->connect_time = w2u_now_ns();
}

/* Marks a finished non-blocking connect as connected (see socket.c). */
void ws2_refresh_connect(struct ws2_socket *s);
void ws2_refresh_connect_locked(struct ws2_socket *s);

/* overlapped.c: s, an AcceptEx's accept socket, is being closed: the
 * AcceptEx ends as it would on Windows, done if its connection (and first
 * data) came already, else aborted. */
void ws2_accept_socket_closing(struct ws2_socket *s);

/* eventselect.c: hooks the socket calls use. */
void ws2_es_reenable(struct ws2_socket *s, uint32_t fd_bits);
void ws2_es_state_changed(struct ws2_socket *s);
/* The same, with s->lock held (a receive was queued). */
void ws2_es_sync_locked(struct ws2_socket *s);
void ws2_es_inherit(struct ws2_socket *from, struct ws2_socket *to);
void ws2_es_detach(struct ws2_socket *s);

/* A host's operations are w2u_host()'s (ws2uring_host.h): apc queues a
 * completion routine to the thread the host named when the operation
 * started (ws2_host_thread, the calling thread's, set by the host around
 * each call); nt_apc an NT request's APC (NULL: NT requests with an APC
 * are refused); reset_event resets a host's event (WSAEnumNetworkEvents),
 * and the host's thread then runs the WSAEventSelect watcher
 * (ws2_host_watch); kernel_write writes program memory the kernel faulted
 * on though the program may write it (Wine write-protects MEM_WRITE_WATCH
 * pages until the first write, which it records); file_fd gives a new
 * descriptor for a host file handle (TransmitFile), -1 if none. */
extern W2U_TLS uintptr_t ws2_host_thread;
void ws2_host_watch(void);

#endif
