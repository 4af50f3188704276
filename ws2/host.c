/* The host interface (include/ws2uring_host.h): the calls a host (the
 * Wine glue's Unix side) makes, and its table of operations. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include <sys/socket.h>

#include "../iocp/iocp.h"
#include "ws2.h"
#include "ws2_private.h"

/* ---- host handles -------------------------------------------------------------
 * For a host that gives each socket a handle of its own (the Wine glue: a
 * Wine handle, so that kernel32 and Wine's completion ports know the
 * SOCKET): every call accepts that handle for the socket from then on. */

/* The host's delivery: a completion of a socket it named goes to the
 * host's own completion port for that handle (under Wine: the program's
 * port, through wineserver), through its ops->post. */
struct host_sink {
    struct iocp_port_sink sink;
    _Atomic int refs;
    uintptr_t alias;            /* the host's handle the completions go under */
};

static void host_push(struct iocp_port_sink *sink, struct iocp_packet *p)
{
    struct host_sink *hs = W2U_CONTAINER_OF(sink, struct host_sink, sink);
    w2u_host()->post(hs->alias, p->overlapped, p->status, p->information, p->synchronous);
    p->release(p);
}

static void host_ref(struct iocp_port_sink *sink)
{
    atomic_fetch_add(&W2U_CONTAINER_OF(sink, struct host_sink, sink)->refs, 1);
}

static void host_unref(struct iocp_port_sink *sink)
{
    struct host_sink *hs = W2U_CONTAINER_OF(sink, struct host_sink, sink);
    if (atomic_fetch_sub(&hs->refs, 1) == 1)
        free(hs);
}

static const struct iocp_port_sink_ops host_sink_ops = { host_push, host_ref, host_unref };

W2U_TLS uintptr_t ws2_host_thread;

W2U_EXPORT int ws2uring_host_install(const struct ws2uring_host_ops *ops)
{
    if (!w2u_host_install(ops))
        return -W2U_WSAEINVAL;
    if (ops->post)
        iocp_host_runs_reaper();
    return 0;
}

/* A receive or send as an NT request (NtReadFile, NtWriteFile,
 * IOCTL_AFD_RECV and IOCTL_AFD_RECEIVE_DATAGRAM on a SOCKET under a host):
 * bufs in WSABUF layout, flags W2U_MSG_*, the completion nt's (see
 * ws2_nt_target); a receive with from set writes the source there at the
 * end, as WSARecvFrom (a connection has none).  Done at once when it can
 * be, as the NT layer does; now_or_fail: on a non-blocking socket it fails
 * (STATUS_DEVICE_NOT_READY) rather than pends, as afd.sys's receives
 * without AFD_RECV_FORCE_ASYNC.  Returns the NTSTATUS the NT call returns:
 * SUCCESS (done now, and delivered), PENDING, or the failure (nothing
 * delivered, the status block untouched). */
W2U_EXPORT uint32_t __attribute__((ms_abi)) ws2uring_nt_io(uintptr_t s, int send, const struct ws2_buf *bufs,
                                                            uint32_t count, int flags,
                                                            const struct ws2_nt_target *nt, int now_or_fail,
                                                            void *from, int *fromlen)
{
    struct ws2_overlapped_op op = { .send = send != 0, .bufs = bufs, .count = count, .flags = flags, .nt = nt,
                                    .try_now = true, .now_or_fail = now_or_fail != 0 };
    if (!send && from && ws2_is_stream(s) == 0) {
        op.from = from;
        op.fromlen = fromlen;
    }
    uint32_t now = 0;
    int r = ws2_overlapped(s, &op, &now);
    if (r == 0)     /* done now: its status, a success or a warning (a datagram cut short) */
        return (uint32_t)atomic_load_explicit(&((struct iocp_overlapped *)nt->iosb)->internal, memory_order_acquire);
    return r == -W2U_WSA_IO_PENDING ? W2U_STATUS_PENDING : w2u_wsa_to_status((uint32_t)-r);
}

bool ws2_hosted(void)
{
    return w2u_host()->apc != NULL;
}

/* The host's thread for WSAEventSelect: watches sockets, sets the host's
 * events; does not return. */
W2U_EXPORT void ws2uring_host_watch(void)
{
    ws2_host_watch();
}

/* The host's handle for the calling thread, for the completion routines of
 * the operations it starts next (0: none). */
W2U_EXPORT void ws2uring_host_thread(uintptr_t thread)
{
    ws2_host_thread = thread;
}

/* The host's reaper thread: delivers completions; does not return. */
W2U_EXPORT void ws2uring_host_reap(void)
{
    iocp_host_reap();
}

W2U_EXPORT int ws2uring_socket_alias(uintptr_t alias, uintptr_t s)
{
    struct ws2_socket *sock;
    int r = ws2_socket_get(s, &sock);
    if (r < 0)
        return r;
    r = w2u_handle_alias(alias, s);
    ws2_socket_put(sock);
    return r == -ENOMEM ? -W2U_WSAENOBUFS : r < 0 ? -W2U_WSAEINVAL : 0;
}

/* The program associated the socket alias names with a port of the host's
 * (a Wine port) through the host's handle joined (the SOCKET itself, or a
 * copy of it the host made): its completions go there through the host's
 * post, under that handle. */
W2U_EXPORT int ws2uring_socket_host_port(uintptr_t alias, uintptr_t joined)
{
    struct ws2_socket *sock;
    int r = ws2_socket_get(alias, &sock);
    if (r < 0)
        return r;
    struct host_sink *hs = w2u_host()->post ? calloc(1, sizeof(*hs)) : NULL;
    if (!hs) {
        ws2_socket_put(sock);
        return w2u_host()->post ? -W2U_WSAENOBUFS : -W2U_WSAEINVAL;
    }
    hs->sink.ops = &host_sink_ops;
    atomic_init(&hs->refs, 1);
    hs->alias = joined;
    /* The binding takes its own reference (none if already bound). */
    uint32_t status = iocp_associate_sink(&sock->binding, &hs->sink, NULL, 0);
    host_unref(&hs->sink);
    ws2_socket_put(sock);
    return status == W2U_STATUS_SUCCESS ? 0 : -W2U_WSAEINVAL;
}

/* A packet into one of ws2uring's ports with the status given (a host
 * relaying completions of handles that are not ws2uring's): an NTSTATUS. */
W2U_EXPORT uint32_t ws2uring_post_status(uintptr_t port, uint32_t status, uintptr_t information, uintptr_t key,
                                         void *ov)
{
    return iocp_post(port, status, information, key, ov);
}

/* A packet for the socket alias names, on its port with its key (a host
 * completing an NT request of its own on the SOCKET, such as an AFD poll):
 * an NTSTATUS; INVALID_HANDLE when alias names no socket. */
W2U_EXPORT uint32_t ws2uring_socket_post(uintptr_t alias, void *value, uint32_t status, uintptr_t information,
                                         int synchronous)
{
    struct ws2_socket *sock;
    if (ws2_socket_get(alias, &sock) < 0)
        return W2U_STATUS_INVALID_HANDLE;
    uint32_t r = iocp_binding_post(&sock->binding, status, information, value, synchronous != 0);
    ws2_socket_put(sock);
    return r;
}

/* Whether the socket alias names joined a port: 1 or 0; -1 for no socket. */
W2U_EXPORT int ws2uring_socket_has_port(uintptr_t alias)
{
    struct ws2_socket *sock;
    if (ws2_socket_get(alias, &sock) < 0)
        return -1;
    int r = atomic_load_explicit(&sock->binding.port, memory_order_acquire) != NULL;
    ws2_socket_put(sock);
    return r;
}

/* For a host that waits on the program's side, where its threads can run
 * APCs (a blocking receive or accept is an alertable wait on Windows):
 * waits up to ms for what a blocking receive or accept on s waits for
 * (data, a connection, the end, an error, the socket's closing).  1 when
 * the call need not wait (or s is not a blocking socket: the call
 * answers), 2 when the socket was closed meanwhile (the call is
 * interrupted: WSAEINTR), 0 when it still would; *timeout_ms: SO_RCVTIMEO
 * (0: none). */
W2U_EXPORT int ws2uring_wait_ready(uintptr_t h, uint32_t ms, uint32_t *timeout_ms)
{
    struct ws2_socket *s;
    *timeout_ms = 0;
    if (ws2_socket_get(h, &s) < 0)
        return 1;
    int r = 1;
    pthread_mutex_lock(&s->lock);
    /* (A connection WSAAccept deferred is waiting, though not in the kernel's queue.) */
    bool waits = !atomic_load(&s->nonblocking) && !atomic_load(&s->closing) && !ws2_is(s, W2U_ST_SHUT_RECV) &&
                 !s->deferred && (ws2_is(s, W2U_ST_LISTENING | W2U_ST_CONNECTED) || s->type != SOCK_STREAM);
    *timeout_ms = s->rcvtimeo;
    pthread_mutex_unlock(&s->lock);
    if (waits) {
        struct pollfd p[2] = { { .fd = s->fd, .events = POLLIN | POLLPRI | POLLRDHUP },
                               { .fd = ws2_socket_wake_fd(s), .events = POLLIN } };
        iocp_block_begin();
        int n;
        while ((n = poll(p, 2, (int)ms)) < 0 && errno == EINTR)
            ;
        iocp_block_end();
        r = atomic_load(&s->closing) ? 2 : n != 0;
    }
    ws2_socket_put(s);
    return r;
}

/* For a host that makes a blocking send an alertable wait on its side
 * (an overlapped send and a wait for it, as Windows' AFD does): 1 when a
 * send of len bytes on s may wait (a connected stream socket in blocking
 * mode, open for sending, whose send buffer may not take len bytes now),
 * else 0 (the plain call answers at once, or fails); *timeout_ms:
 * SO_SNDTIMEO (0: none).  The room is judged as half of what SO_SNDBUF
 * leaves past the queued bytes (the kernel counts its own overhead too):
 * a send judged to fit that does not goes the plain way, as before. */
W2U_EXPORT int ws2uring_send_waits(uintptr_t h, uint64_t len, uint32_t *timeout_ms)
{
    struct ws2_socket *s;
    *timeout_ms = 0;
    if (ws2_socket_get(h, &s) < 0)
        return 0;
    pthread_mutex_lock(&s->lock);
    int r = s->type == SOCK_STREAM && ws2_is(s, W2U_ST_CONNECTED) && !ws2_is(s, W2U_ST_SHUT_SEND) &&
            !atomic_load(&s->nonblocking) && !atomic_load(&s->closing);
    *timeout_ms = s->sndtimeo;
    pthread_mutex_unlock(&s->lock);
    int sndbuf = 0, queued = 0;
    socklen_t sl = sizeof(sndbuf);
    if (r && getsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &sl) == 0 && ioctl(s->fd, SIOCOUTQ, &queued) == 0)
        r = queued >= sndbuf || len > (uint64_t)(sndbuf - queued) / 2;
    ws2_socket_put(s);
    return r;
}

/* For a host that makes a blocking connect an alertable wait on its side
 * (the connect started non-blocking, then a wait for its end): 1 when a
 * connect on s would be a blocking one that may wait (an IP stream socket
 * in blocking mode, neither connected, connecting nor listening), 2 for
 * such a socket in non-blocking mode (whose connect WSAConnectByName
 * waits for all the same), else 0 (the plain call answers). */
W2U_EXPORT int ws2uring_connect_waits(uintptr_t h)
{
    struct ws2_socket *s;
    if (ws2_socket_get(h, &s) < 0)
        return 0;
    pthread_mutex_lock(&s->lock);
    int r = s->type == SOCK_STREAM && (s->family == AF_INET || s->family == AF_INET6) &&
            !ws2_is(s, W2U_ST_CONNECTED | W2U_ST_CONNECTING | W2U_ST_LISTENING) && !atomic_load(&s->closing);
    if (r && atomic_load(&s->nonblocking))
        r = 2;
    pthread_mutex_unlock(&s->lock);
    ws2_socket_put(s);
    return r;
}

/* An AFD poll's wait (ws2_afd_poll) for a host that serves IOCTL_AFD_POLL;
 * deadline_ns: CLOCK_MONOTONIC, 0 or W2U_FOREVER. */
_Static_assert(sizeof(struct ws2uring_poll_entry) == sizeof(struct ws2_poll_entry) &&
               offsetof(struct ws2uring_poll_entry, status) == offsetof(struct ws2_poll_entry, status),
               "the host's poll entry is ws2's");

W2U_EXPORT int ws2uring_afd_poll(struct ws2uring_poll_entry *e, unsigned n, int wake_fd, int64_t deadline_ns)
{
    return ws2_afd_poll((struct ws2_poll_entry *)e, n, wake_fd, deadline_ns);
}

/* The NTSTATUS for the error a call set: for a host that serves the NT
 * layer (NtReadFile on a SOCKET) with the Win32 and Winsock calls. */
W2U_EXPORT uint32_t ws2uring_error_status(uint32_t err)
{
    return w2u_error_to_status(err);
}

/* Forgets alias; returns the socket it stood for, or 0. */
W2U_EXPORT uintptr_t ws2uring_socket_unalias(uintptr_t alias)
{
    return w2u_handle_unalias(alias);
}

/* closesocket on alias (or on the socket's own handle, for a copy's name):
 * forgets that name.  Returns the socket when it was its last name (the
 * caller closes it), or 0 with *others set when other names (duplicates)
 * keep the socket open. */
W2U_EXPORT uintptr_t ws2uring_socket_close_name(uintptr_t alias, int *others)
{
    struct ws2_socket *sock;
    *others = 0;
    if (ws2_socket_get(alias, &sock) < 0)
        return w2u_handle_unalias(alias);
    uint32_t left = atomic_load(&sock->names);
    while (left > 1 && !atomic_compare_exchange_weak(&sock->names, &left, left - 1))
        ;
    ws2_socket_put(sock);
    /* (A copy's name is the socket's own handle: nothing to forget.) */
    uintptr_t own = w2u_handle_unalias(alias);
    if (left > 1) {
        *others = 1;
        return 0;
    }
    return own ? own : alias;
}

/* A copy of the socket existing names (DuplicateHandle of a SOCKET within
 * the process): the same socket, open until its last name closes, but a
 * name only for the I/O manager's calls (reads, writes, waits, ports,
 * cancelling), never Winsock's, as on Windows, where a copy is not in
 * ws2_32's table: the host keeps the copy and passes the socket's own
 * handle, *raw, for it.  0 or -WSAENOTSOCK. */
W2U_EXPORT int ws2uring_socket_copy(uintptr_t existing, uintptr_t *raw)
{
    struct ws2_socket *sock;
    int r = ws2_socket_get(existing, &sock);
    if (r < 0)
        return r;
    atomic_fetch_add(&sock->names, 1);
    *raw = sock->obj.handle;
    ws2_socket_put(sock);
    return 0;
}

/* True while WSAStartup is in effect (a host learns whether WSACleanup
 * closed the sockets). */
W2U_EXPORT int ws2uring_started(void)
{
    return ws2_check_started() == 0;
}
