/* AcceptEx, ConnectEx, DisconnectEx, and the overlapped operations that
 * end inside the call or wait for a cancel. */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <unistd.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "../uring-backend/uring.h"
#include "ws2_private.h"
#include "overlapped_private.h"

/* ---- AcceptEx, ConnectEx, DisconnectEx -------------------------------------------------------- */

/* AcceptEx's address blocks, after the data: a 4-byte length, then the
 * Windows sockaddr.  GetAcceptExSockaddrs reads the same layout. */
static void put_address(char *block, const struct sockaddr_storage *ss, unsigned len)
{
    int wl = 28;
    uint32_t l32;
    if (ws2_addr_from_linux(ss, len, block + sizeof(uint32_t), &wl) < 0)
        wl = 0;
    l32 = (uint32_t)wl;
    memcpy(block, &l32, sizeof(l32));
}

static void write_addresses(struct ov_req *r)
{
    struct sockaddr_storage local;
    socklen_t ll = sizeof(local);
    memset(&local, 0, sizeof(local));
    getsockname(r->acc.peer->fd, (struct sockaddr *)&local, &ll);
    put_address(r->acc.buf + r->acc.datalen, &local, ll);
    put_address(r->acc.buf + r->acc.datalen + r->acc.locallen, &r->io.addr, r->io.addrlen);
}

static void mark_connected(struct ws2_socket *s, bool accepted)
{
    pthread_mutex_lock(&s->lock);
    s->accepted = accepted;
    ws2_mark_connected_locked(s);
    pthread_mutex_unlock(&s->lock);
}

/* The AcceptEx with ov no longer holds the accept socket a: it is free
 * for another. */
static void release_acceptor(struct ws2_socket *a, const void *ov)
{
    pthread_mutex_lock(&a->lock);
    if (a->accept_ov == ov) {
        a->accept_on = 0;
        a->accept_ov = NULL;
    }
    pthread_mutex_unlock(&a->lock);
}

/* The accept socket's reference goes with the request. */
void ov_accept_release(struct ov_req *r)
{
    if (r->acc.peer)
        ws2_socket_put(r->acc.peer);
}

/* An AcceptEx ends. */
static void accept_finish(struct ov_req *r, uint32_t status, uintptr_t bytes)
{
    release_acceptor(r->acc.peer, r->c.ov);
    ov_finish(r, status, bytes, false);
}

void ws2_accept_socket_closing(struct ws2_socket *a)
{
    pthread_mutex_lock(&a->lock);
    uintptr_t on = a->accept_on;
    pthread_mutex_unlock(&a->lock);
    struct ws2_socket *l;
    if (!on || ws2_socket_get(on, &l) < 0)
        return;
    /* A completion may wait, unreaped, in the listener's port ring (only
     * the port's waiters reap it): what has happened counts. */
    if (l->binding.own_port)
        iocp_port_drain(l->binding.own_port);
    pthread_mutex_lock(&a->lock);
    on = a->accept_on;
    const void *ov = a->accept_ov;
    pthread_mutex_unlock(&a->lock);
    if (on)
        ov_cancel_matching(l, ov, 0);
    ws2_socket_put(l);
}

/* The connection fd is AcceptEx's: it takes the accept socket's
 * descriptor number, so the SOCKET (and everything holding the fd) stays
 * as it was; then the first data, if asked for, or the end. */
static void accepted(struct ov_req *r, int fd)
{
    if (dup3(fd, r->acc.peer->fd, O_CLOEXEC) < 0) {
        int e = errno;
        close(fd);
        accept_finish(r, w2u_errno_to_status(e), 0);
        return;
    }
    close(fd);
    mark_connected(r->acc.peer, true);
    if (r->acc.datalen) {
        r->phase = 1;
        r->io.iov[0].iov_base = r->acc.buf;
        r->io.iov[0].iov_len = r->acc.datalen;
        memset(&r->io.msg, 0, sizeof(r->io.msg));
        r->io.msg.msg_iov = r->io.iov;
        r->io.msg.msg_iovlen = 1;
        /* The first data is often there with the connection: take it now
         * (end of stream too: a connection closed at once gives 0 bytes). */
        ssize_t n = ws2_recvmsg(r->acc.peer->fd, &r->io.msg, MSG_DONTWAIT);
        if (n >= 0) {
            write_addresses(r);
            accept_finish(r, W2U_STATUS_SUCCESS, (uintptr_t)n);
            return;
        }
        int e = ov_submit(r);
        if (e < 0)
            accept_finish(r, w2u_errno_to_status(-e), 0);
        return;
    }
    write_addresses(r);
    accept_finish(r, W2U_STATUS_SUCCESS, 0);
}

void ov_accept_done(struct ur_req *ur, int res, uint32_t flags)
{
    struct ov_req *r = W2U_CONTAINER_OF(ur, struct ov_req, ur);
    (void)flags;
    if (ov_resubmit_unfinished(r, &res))
        return;
    if (r->phase == 1 && ov_retry_after_fault(r, &res))
        return;
    if (res < 0) {
        accept_finish(r, w2u_errno_to_status(-res), 0);
        return;
    }
    if (r->phase == 0 && r->acc.too_small) {
        /* A connection came; Windows leaves it queued for another accept. */
        accept_finish(r, W2U_STATUS_BUFFER_TOO_SMALL, 0);
        return;
    }
    if (r->phase == 0) {
        accepted(r, res);
        return;
    }
    write_addresses(r);
    accept_finish(r, W2U_STATUS_SUCCESS, (uintptr_t)res);
}

/* Enqueues and submits; -WSA_IO_PENDING, or the error (no completion). */
static int ext_start(struct ov_req *q)
{
    ov_mark_pending(q->sock, q->c.ov);
    ov_enqueue(q);
    int e = ov_submit(q);
    if (e == 0)
        return -W2U_WSA_IO_PENDING;
    struct ws2_socket *s = q->sock;
    pthread_mutex_lock(&s->lock);
    ws2_queue_unlink(&q->link);
    pthread_mutex_unlock(&s->lock);
    ov_req_free(q);
    return -(int)w2u_errno_to_wsa(-e);
}

/* ---- operations that finish inside the call, or wait for a cancel ---------------------------
 * WSAIoctl's codes are answered inside the call; with an OVERLAPPED their
 * outcome is delivered like any completion (port packet, event, completion
 * routine).  A change notification (SIO_ADDRESS_LIST_CHANGE) waits for a
 * change ws2uring does not watch: it stays queued, not started, until a
 * cancel or closesocket completes it. */

static int now_request(uintptr_t h, struct iocp_overlapped *ov, w2u_completion_routine routine, enum ov_kind kind,
                       struct ov_req **out)
{
    struct ws2_socket *s;
    int r = ws2_socket_get(h, &s);
    if (r < 0)
        return r;
    struct ov_req *q = ov ? ov_request_new(s, kind, ov, 0) : NULL;
    if (!q) {
        ws2_socket_put(s);
        return ov ? -W2U_WSAENOBUFS : -W2U_WSAEFAULT;
    }
    ov_set_routine(q, routine);
    ov_mark_pending(s, ov);
    *out = q;
    return 0;
}

int ws2_complete_now(uintptr_t h, struct iocp_overlapped *ov, w2u_completion_routine routine, uint32_t status,
                     uintptr_t information, bool synchronous)
{
    struct ov_req *q;
    int r = now_request(h, ov, routine, OV_NOW, &q);
    if (r == 0)
        ov_deliver(q, status, information, synchronous);
    return r;
}

int ws2_park(uintptr_t h, struct iocp_overlapped *ov, w2u_completion_routine routine)
{
    struct ov_req *q;
    int r = now_request(h, ov, routine, OV_PARKED, &q);
    if (r < 0)
        return r;
    struct ws2_socket *s = q->sock;
    pthread_mutex_lock(&s->lock);
    ws2_queue_push(&s->ov_others, &q->link);   /* not started: a cancel completes it */
    pthread_mutex_unlock(&s->lock);
    return -W2U_WSA_IO_PENDING;
}

/* Takes the connection WSAAccept deferred on l, if any: its descriptor (a
 * copy) and peer address into q; -1 if there is none. */
static int take_deferred(struct ws2_socket *l, struct ov_req *q)
{
    pthread_mutex_lock(&l->lock);
    uintptr_t d = l->deferred;
    l->deferred = 0;
    pthread_mutex_unlock(&l->lock);
    struct ws2_socket *ds;
    if (!d || ws2_socket_get(d, &ds) < 0)
        return -1;
    socklen_t al = sizeof(q->io.addr);
    int fd = fcntl(ds->fd, F_DUPFD_CLOEXEC, 0);
    if (fd >= 0 && getpeername(fd, (struct sockaddr *)&q->io.addr, &al) == 0)
        q->io.addrlen = al;
    ws2_socket_put(ds);
    w2u_handle_close(d);
    return fd;
}

int ws2_accept_ex(uintptr_t listener, uintptr_t acceptor, void *buf, uint32_t datalen,
                  uint32_t locallen, uint32_t remotelen, struct iocp_overlapped *ov)
{
    struct ws2_socket *l, *a;
    /* Windows marks the OVERLAPPED pending before it checks anything. */
    if (ov)
        atomic_store_explicit(&ov->internal, W2U_STATUS_PENDING, memory_order_relaxed);
    int r = ws2_socket_get(listener, &l);
    if (r < 0)
        return r;
    if ((r = ws2_socket_get(acceptor, &a)) < 0) {
        ws2_socket_put(l);
        return r;
    }
    unsigned need = (l->family == AF_INET6 ? 28 : 16) + 16;
    if (!ov)
        r = -W2U_WSA_INVALID_PARAMETER;
    else if (!ws2_is(l, W2U_ST_LISTENING))
        r = -W2U_WSAEINVAL;
    else if (!buf || !remotelen)
        r = -W2U_WSAEFAULT;
    if (r == 0) {
        /* A fresh stream socket of the family, and one AcceptEx at a time. */
        pthread_mutex_lock(&a->lock);
        if (ws2_is(a, W2U_ST_BOUND | W2U_ST_CONNECTED | W2U_ST_CONNECTING | W2U_ST_LISTENING) || a->accept_on ||
            a->family != l->family || a->type != SOCK_STREAM)
            r = -W2U_WSAEINVAL;
        else {
            a->accept_on = listener;
            a->accept_ov = ov;
        }
        pthread_mutex_unlock(&a->lock);
    }
    struct ov_req *q = r == 0 ? ov_request_new(l, OV_ACCEPT, ov, 0) : NULL;
    if (r == 0 && !q) {
        release_acceptor(a, ov);
        r = -W2U_WSAENOBUFS;
    }
    if (r < 0) {
        ws2_socket_put(a);
        ws2_socket_put(l);
        return r;
    }
    q->acc.peer = a;                     /* both references pass to the request */
    q->acc.buf = buf;
    q->acc.datalen = datalen;
    q->acc.locallen = locallen;
    q->acc.remotelen = remotelen;
    q->io.addrlen = sizeof(q->io.addr);
    /* A local length of 0 asks for no local address; any other too small
     * fails when a connection comes, as does a small remote one. */
    q->acc.too_small = (locallen && locallen < need) || remotelen < need;
    int fd = q->acc.too_small ? -1 : take_deferred(l, q);
    if (fd < 0) {
        w2u_object_ref(&a->obj);     /* the request may be gone when this returns */
        r = ext_start(q);
        if (r != -W2U_WSA_IO_PENDING)
            release_acceptor(a, ov);
        ws2_socket_put(a);
        return r;
    }
    /* The connection WSAAccept deferred is the next one accepted. */
    ov_mark_pending(l, ov);
    ov_enqueue(q);
    accepted(q, fd);
    return -W2U_WSA_IO_PENDING;
}

int ws2_accept_addresses(const void *buf, uint32_t datalen, uint32_t locallen, void **local,
                         int *local_len, void **remote, int *remote_len)
{
    const char *b = buf;
    uint32_t l32;
    if (!b)
        return -W2U_WSAEFAULT;
    if (local || local_len) {
        memcpy(&l32, b + datalen, sizeof(l32));
        if (local)
            *local = (void *)(b + datalen + sizeof(uint32_t));
        if (local_len)
            *local_len = (int)l32;
    }
    if (remote || remote_len) {
        memcpy(&l32, b + datalen + locallen, sizeof(l32));
        if (remote)
            *remote = (void *)(b + datalen + locallen + sizeof(uint32_t));
        if (remote_len)
            *remote_len = (int)l32;
    }
    return 0;
}

void ov_connect_release(struct ov_req *r)
{
    free(r->con.data);
}

void ov_connect_done(struct ur_req *ur, int res, uint32_t flags)
{
    struct ov_req *r = W2U_CONTAINER_OF(ur, struct ov_req, ur);
    (void)flags;
    if (ov_resubmit_unfinished(r, &res))
        return;
    struct ws2_socket *s = r->sock;
    if (r->phase == 0) {
        pthread_mutex_lock(&s->lock);
        s->connect_ex = false;
        if (res < 0)
            ws2_state_change(s, 0, W2U_ST_CONNECTING);
        pthread_mutex_unlock(&s->lock);
    }
    if (res < 0) {
        ov_finish(r, w2u_errno_to_status(-res), r->io.done, false);
        return;
    }
    if (r->phase == 0) {
        mark_connected(s, false);
        ws2_es_state_changed(s);
        if (!r->io.left) {
            ov_finish(r, W2U_STATUS_SUCCESS, 0, false);
            return;
        }
        r->phase = 1;                /* then the optional first data, in full */
        r->io.send = true;
    } else {
        if (ov_sent_all(r, (size_t)res)) {
            ov_finish(r, W2U_STATUS_SUCCESS, r->io.done, false);
            return;
        }
    }
    memset(&r->io.msg, 0, sizeof(r->io.msg));
    r->io.msg.msg_iov = r->io.pos;
    r->io.msg.msg_iovlen = ws2_iov_step(r->io.left);
    int e = ov_submit(r);
    if (e < 0)
        ov_finish(r, w2u_errno_to_status(-e), r->io.done, false);
}

int ws2_connect_ex(uintptr_t h, const void *addr, int addrlen, const void *buf, uint32_t buflen,
                   struct iocp_overlapped *ov)
{
    struct ws2_socket *s;
    int r = ws2_socket_get(h, &s);
    if (r < 0)
        return r;
    struct ov_req *q = NULL;
    unsigned sl;
    /* As AcceptEx: pending first, whatever the checks find. */
    if (ov)
        atomic_store_explicit(&ov->internal, W2U_STATUS_PENDING, memory_order_relaxed);
    ws2_refresh_connect(s);
    if (!ov)
        r = -W2U_WSA_INVALID_PARAMETER;
    else if (s->type != SOCK_STREAM || ws2_is(s, W2U_ST_LISTENING | W2U_ST_CONNECTING) || s->accept_on)
        r = -W2U_WSAEINVAL;
    else if (ws2_is(s, W2U_ST_CONNECTED))
        r = -W2U_WSAEISCONN;
    else if (!ws2_is(s, W2U_ST_BOUND))
        r = -W2U_WSAEINVAL;          /* ConnectEx wants a bound socket */
    else if (!(q = ov_request_new(s, OV_CONNECT, ov, 0)))
        r = -W2U_WSAENOBUFS;
    else if ((r = ws2_addr_for(s, addr, addrlen, &q->io.addr, &sl)) == 0)
        r = ws2_addr_check_peer(&q->io.addr);
    if (r < 0) {
        if (q)
            ov_req_free(q);             /* drops the socket reference with it */
        else
            ws2_socket_put(s);
        return r;
    }
    q->io.addrlen = sl;
    if (buf && buflen) {
        /* Windows takes the data with the call: the program may reuse its
         * buffer at once. */
        if (!(q->con.data = malloc(buflen))) {
            ov_req_free(q);
            return -W2U_WSAENOBUFS;
        }
        memcpy(q->con.data, buf, buflen);
        q->io.iov[0].iov_base = q->con.data;
        q->io.iov[0].iov_len = buflen;
        q->io.pos = q->io.iov;
        q->io.left = 1;
    }
    pthread_mutex_lock(&s->lock);
    s->connect_ex = true;
    ws2_state_change(s, W2U_ST_CONNECTING, 0);
    pthread_mutex_unlock(&s->lock);
    return ext_start(q);
}

void ov_disconnect(struct ws2_socket *s, uint32_t flags);

int ws2_disconnect_ex(uintptr_t h, uint32_t flags, struct iocp_overlapped *ov)
{
    struct ws2_socket *s;
    int r = ws2_socket_get(h, &s);
    if (r < 0)
        return r;
    if (flags & ~W2U_TF_REUSE_SOCKET) {
        ws2_socket_put(s);
        return -W2U_WSAEINVAL;
    }
    ws2_refresh_connect(s);
    if (!ws2_is(s, W2U_ST_CONNECTED)) {
        ws2_socket_put(s);
        return -W2U_WSAENOTCONN;
    }
    struct ov_req *q = NULL;
    if (ov && !(q = ov_request_new(s, OV_DISCONNECT, ov, 0))) {   /* done in the call: never in the ring */
        ws2_socket_put(s);
        return -W2U_WSAENOBUFS;
    }
    if (flags & W2U_TF_REUSE_SOCKET)
        ws2_cancel_all(s);      /* the connection's requests end with it */
    ov_disconnect(s, flags);
    if (!q) {
        ws2_socket_put(s);
        return 0;               /* no OVERLAPPED: done, synchronously */
    }
    /* Windows reports it pending even though it is done: the completion
     * (event, port packet) is there by the time the call returns. */
    ov_mark_pending(s, ov);
    iocp_complete(&q->c, W2U_STATUS_SUCCESS, 0, false);
    return -W2U_WSA_IO_PENDING;
}

/* Ends the connection.  Without TF_REUSE_SOCKET that is Windows' graceful
 * close of the sending side: the socket stays connected, receives go on,
 * sends fail with WSAESHUTDOWN.  With it, a fresh socket takes the same
 * descriptor, so the handle can serve AcceptEx or ConnectEx again. */
void ov_disconnect(struct ws2_socket *s, uint32_t flags)
{
    if (flags & W2U_TF_REUSE_SOCKET) {
        shutdown(s->fd, SHUT_RDWR);
        int fd = socket(s->family, s->type | SOCK_NONBLOCK | SOCK_CLOEXEC, s->protocol);
        if (fd >= 0) {
            ws2_bind_forget(s);
            ws2_bind_prepare_fd(fd, s->family);
            dup3(fd, s->fd, O_CLOEXEC);
            close(fd);
            pthread_mutex_lock(&s->lock);
            ws2_state_change(s, 0, W2U_ST_BOUND | W2U_ST_CONNECTED | W2U_ST_CONNECTING | W2U_ST_LISTENING |
                                       W2U_ST_SHUT_SEND | W2U_ST_SHUT_RECV);
            s->connect_time = 0;
            pthread_mutex_unlock(&s->lock);
        }
    } else {
        shutdown(s->fd, SHUT_WR);
        pthread_mutex_lock(&s->lock);
        ws2_state_change(s, W2U_ST_SHUT_SEND, 0);
        pthread_mutex_unlock(&s->lock);
    }
}

int64_t ws2_connect_time(struct ws2_socket *s)
{
    return s->connect_time;
}

