/* WSAEventSelect: network events recorded per socket with Windows'
 * re-enabling rules, signalled through the program's event.
 *
 * One watcher thread waits in epoll on every event-selected socket (its
 * data is the SOCKET value, looked up again on each wake-up, so a socket
 * closed meanwhile is simply gone).  The epoll interest of a socket is
 * exactly what may be recorded now, so level-triggered epoll never spins:
 * - FD_READ, once recorded, is not recorded again until a receive call
 *   re-enables it (and is then at once, if data is still there);
 * - FD_WRITE after connect/accept, then only after a send failed with
 *   WSAEWOULDBLOCK;
 * - FD_ACCEPT again after accept; FD_CONNECT and FD_CLOSE once;
 * - an idle stream socket (neither connected, connecting nor listening) is
 *   not watched at all: Linux calls it hung up, Windows says nothing. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ws2_private.h"

_Static_assert(POLLIN == EPOLLIN && POLLOUT == EPOLLOUT && POLLPRI == EPOLLPRI && POLLHUP == EPOLLHUP &&
                   POLLERR == EPOLLERR && POLLRDHUP == EPOLLRDHUP, "poll and epoll bits");

#define ALL_EVENTS 0x3FFu          /* FD_READ .. FD_ADDRESS_LIST_CHANGE */

static int epfd = -1;
static int epfd_error;
static pthread_once_t watcher_once = PTHREAD_ONCE_INIT;

static int bit_index(uint32_t bit)
{
    return __builtin_ctz(bit);
}

/* The epoll events this socket needs now. With s->lock held. */
static uint32_t interest(const struct ws2_socket *s)
{
    uint32_t want = s->es_mask & s->es_enabled, ev = 0;
    if (!s->es_mask)
        return 0;
    if (ws2_is(s, W2U_ST_LISTENING)) {
        /* A connection a pending AcceptEx will take is not FD_ACCEPT's. */
        if ((want & W2U_FD_ACCEPT) && ws2_queue_empty(&s->ov_others))
            ev |= EPOLLIN;
    } else if (ws2_is(s, W2U_ST_CONNECTING)) {
        if (want & (W2U_FD_CONNECT | W2U_FD_WRITE))
            ev |= EPOLLOUT;
    } else if (ws2_is(s, W2U_ST_CONNECTED) || s->type != SOCK_STREAM) {
        /* Data a pending overlapped receive will take is not FD_READ's. */
        if ((want & W2U_FD_READ) && !s->es_eof && ws2_queue_empty(&s->ov_recvs))
            ev |= EPOLLIN;
        if ((want & W2U_FD_OOB) && !s->es_eof)
            ev |= EPOLLPRI;
        if (want & W2U_FD_WRITE)
            ev |= EPOLLOUT;
        if ((want & W2U_FD_CLOSE) && s->type == SOCK_STREAM)
            ev |= EPOLLRDHUP;
    }
    return ev;
}

/* Brings the socket's epoll registration in line with interest(). With
 * s->lock held. A socket with nothing to watch leaves epoll: EPOLLHUP and
 * EPOLLERR are reported even for an empty interest. */
static void sync_epoll(struct ws2_socket *s)
{
    uint32_t ev = interest(s);
    if (ev == s->es_epoll || epfd < 0)
        return;
    struct epoll_event e = { .events = ev, .data.u64 = s->obj.handle };
    if (!ev)
        epoll_ctl(epfd, EPOLL_CTL_DEL, s->fd, NULL);
    else if (!s->es_epoll)
        epoll_ctl(epfd, EPOLL_CTL_ADD, s->fd, &e);
    else
        epoll_ctl(epfd, EPOLL_CTL_MOD, s->fd, &e);
    s->es_epoll = ev;
}

/* Records events in the socket's network event record and signals the
 * program's event if they are selected.  FD_CONNECT is recorded even when
 * not selected (while only FD_WRITE was asked for), as Windows does: a
 * later selection that has it reports it.  With s->lock held. */
static void record(struct ws2_socket *s, uint32_t bits, int error)
{
    bits &= s->es_enabled & (s->es_mask | W2U_FD_CONNECT);
    if (!bits)
        return;
    for (uint32_t b = bits; b; b &= b - 1)
        s->es_errors[bit_index(b & -b)] = error;
    s->es_pending |= bits;
    s->es_enabled &= ~bits;
    if (s->es_event && (bits & s->es_mask))
        iocp_signal_event(s->es_event);
}

static int socket_error(struct ws2_socket *s)
{
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    return err;
}

/* What epoll reported, in Windows network events. With s->lock held. */
static void process(struct ws2_socket *s, uint32_t rev)
{
    if (ws2_is(s, W2U_ST_LISTENING)) {
        if ((rev & EPOLLIN) && ws2_queue_empty(&s->ov_others))
            record(s, W2U_FD_ACCEPT, 0);
    } else if (ws2_is(s, W2U_ST_CONNECTING)) {
        int err = socket_error(s);
        ws2_state_change(s, 0, W2U_ST_CONNECTING);
        if (err) {
            record(s, W2U_FD_CONNECT, (int)w2u_errno_to_wsa(err));
        } else {
            ws2_state_change(s, W2U_ST_CONNECTED, 0);
            record(s, W2U_FD_CONNECT, 0);
            record(s, W2U_FD_WRITE, 0);
        }
    } else {
        /* At the end of a stream, EPOLLIN means EOF, not data. */
        if ((rev & EPOLLIN) && ws2_queue_empty(&s->ov_recvs) && (s->type != SOCK_STREAM || ws2_bytes_queued(s->fd)))
            record(s, W2U_FD_READ, 0);
        if (rev & EPOLLPRI)
            record(s, W2U_FD_OOB, 0);
        if (rev & EPOLLOUT)
            record(s, W2U_FD_WRITE, 0);
        if (s->type == SOCK_STREAM && (rev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
            int err = (rev & EPOLLERR) ? socket_error(s) : 0;
            s->es_eof = true;
            record(s, W2U_FD_CLOSE, err ? (int)w2u_errno_to_wsa(err) : 0);
        }
    }
    sync_epoll(s);
}

static void *watcher(void *arg)
{
    struct epoll_event evs[64];
    (void)arg;
    for (;;) {
        int n = epoll_wait(epfd, evs, 64, -1);
        if (n < 0 && errno != EINTR)
            break;
        for (int i = 0; i < n; i++) {
            struct w2u_object *obj = w2u_handle_get((uintptr_t)evs[i].data.u64, W2U_OBJ_SOCKET);
            if (!obj)
                continue;          /* closed since: its registration is gone too */
            struct ws2_socket *s = W2U_CONTAINER_OF(obj, struct ws2_socket, obj);
            pthread_mutex_lock(&s->lock);
            if (s->es_epoll)
                process(s, evs[i].events);
            pthread_mutex_unlock(&s->lock);
            w2u_object_unref(obj);
        }
    }
    return NULL;
}

static void start_watcher(void)
{
    pthread_t th;
    pthread_attr_t attr;
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) {
        epfd_error = -(int)w2u_errno_to_wsa(errno);
        return;
    }
    if (w2u_host()->reset_event)
        return;                     /* the host's own thread watches (ws2_host_watch) */
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&th, &attr, watcher, NULL) != 0) {
        close(epfd);
        epfd = -1;
        epfd_error = -W2U_WSAENOBUFS;
    }
    pthread_attr_destroy(&attr);
}

/* A host's thread (Wine's: its events are set from Wine threads only)
 * runs the watcher; does not return. */
void ws2_host_watch(void)
{
    pthread_once(&watcher_once, start_watcher);
    if (epfd >= 0)
        watcher(NULL);
}

int wsp_event_select(struct ws2_socket *s, uintptr_t event, uint32_t mask)
{
    int r = 0;
    bool message = mask & W2U_ES_MESSAGE;
    mask &= ~W2U_ES_MESSAGE;
    if (mask & ~ALL_EVENTS) {
        r = -W2U_WSAEINVAL;
        goto out;
    }
    if (mask) {
        /* The event must be one the sink can set (a host's events are the
         * host's to check). */
        struct w2u_object *ev = w2u_host()->reset_event ? NULL : w2u_handle_get(event, W2U_OBJ_EVENT);
        if (!ev && !w2u_host()->reset_event) {
            r = -W2U_WSAEINVAL;
            goto out;
        }
        if (ev)
            w2u_object_unref(ev);
        pthread_once(&watcher_once, start_watcher);
        if (epfd < 0) {
            r = epfd_error;
            goto out;
        }
    }
    pthread_mutex_lock(&s->lock);
    /* A new selection replaces the old one.  What is recorded and not yet
     * enumerated stays, and so does what was reported since its last
     * re-enabling (selecting again gives no second FD_WRITE, but an
     * FD_ACCEPT recorded and not taken signals the new event at once); a
     * window's selection starts afresh, as WSAAsyncSelect does. */
    atomic_store(&s->nonblocking, true);
    s->es_event = mask ? event : 0;
    s->es_mask = mask;
    if (message || !s->es_ever) {
        s->es_pending = 0;
        s->es_enabled = ALL_EVENTS;
        /* A stream connected before its first selection has had its
         * FD_CONNECT, as Windows records it at the connect. */
        ws2_refresh_connect_locked(s);
        if (!message && s->type == SOCK_STREAM && ws2_is(s, W2U_ST_CONNECTED) && !s->accepted) {
            s->es_pending = W2U_FD_CONNECT;
            s->es_enabled &= ~W2U_FD_CONNECT;
        }
    }
    s->es_ever = true;
    if ((s->es_pending & mask) && s->es_event)
        iocp_signal_event(s->es_event);
    ws2_refresh_connect_locked(s);
    sync_epoll(s);
    /* What holds now is recorded now, as Windows does it in the call (a
     * writable socket has FD_WRITE when WSAEventSelect returns), not when
     * the watcher thread next wakes.  poll's bits are epoll's on Linux. */
    struct pollfd p = { .fd = s->fd, .events = (short)s->es_epoll };
    if (s->es_epoll && poll(&p, 1, 0) == 1 && p.revents)
        process(s, (uint32_t)(unsigned short)p.revents);
    pthread_mutex_unlock(&s->lock);
out:
    return r;
}

int wsp_enum_network_events(struct ws2_socket *s, uintptr_t event, struct ws2_network_events *out)
{
    int r = 0;
    if (!out) {
        r = -W2U_WSAEFAULT;
        goto done;
    }
    pthread_mutex_lock(&s->lock);
    /* What holds now is recorded before it is reported, as Windows has it
     * by then (the peer's reset a moment ago), not when the watcher thread
     * next wakes. */
    struct pollfd p = { .fd = s->fd, .events = (short)s->es_epoll };
    if (s->es_epoll && poll(&p, 1, 0) == 1 && p.revents)
        process(s, (uint32_t)(unsigned short)p.revents);
    /* Only the selected events are taken; others wait for a selection
     * that has them. */
    uint32_t taken = s->es_pending & s->es_mask;
    out->events = taken;
    for (int i = 0; i < W2U_FD_MAX_EVENTS; i++)
        out->errors[i] = (taken & (1u << i)) ? s->es_errors[i] : 0;
    s->es_pending &= ~taken;
    /* Reset under the lock: a record made after it sets the event again. */
    if (event && iocp_clear_event(event) != W2U_STATUS_SUCCESS)
        r = -W2U_WSAEINVAL;
    pthread_mutex_unlock(&s->lock);
done:
    return r;
}

/* ---- hooks from the socket calls ---------------------------------------------------- */

void ws2_es_reenable(struct ws2_socket *s, uint32_t bits)
{
    /* Also while not selected (between two selections): the next one
     * starts from what was re-enabled meanwhile. */
    if (!s->es_ever)
        return;
    pthread_mutex_lock(&s->lock);
    s->es_enabled |= bits;
    /* A receive also takes back an FD_READ recorded before it and not yet
     * enumerated: the record then says what is there now (below), as
     * Windows' (and Wine's) does.  A program that drains the data in a
     * loop after one FD_READ (sock.c's event_client) would otherwise meet
     * a stale FD_READ and a receive with nothing to read. */
    if (bits & W2U_FD_READ)
        s->es_pending &= ~W2U_FD_READ;
    /* A receive that left data behind records FD_READ again here, before
     * it returns, as Windows does (a WSAEnumNetworkEvents right after it
     * sees it; the epoll watcher would record it only later).  After the
     * peer's end of stream this is the only way: epoll cannot tell data
     * from the end (EPOLLIN stays up), so FD_READ is not watched. */
    if ((bits & W2U_FD_READ) && (s->es_mask & W2U_FD_READ) && !ws2_is(s, W2U_ST_LISTENING) && ws2_bytes_queued(s->fd))
        record(s, W2U_FD_READ, 0);
    sync_epoll(s);
    pthread_mutex_unlock(&s->lock);
}

void ws2_es_sync_locked(struct ws2_socket *s)
{
    if (s->es_mask)
        sync_epoll(s);
}

void ws2_es_state_changed(struct ws2_socket *s)
{
    if (!s->es_mask)
        return;
    pthread_mutex_lock(&s->lock);
    sync_epoll(s);
    pthread_mutex_unlock(&s->lock);
}

void ws2_es_inherit(struct ws2_socket *from, struct ws2_socket *to)
{
    if (!from->es_mask)
        return;
    pthread_mutex_lock(&from->lock);
    uint32_t mask = from->es_mask;
    uintptr_t event = from->es_event;
    pthread_mutex_unlock(&from->lock);
    /* The accepted socket starts with the listener's selection. */
    pthread_mutex_lock(&to->lock);
    to->es_mask = mask;
    to->es_event = event;
    to->es_enabled = ALL_EVENTS;
    to->es_ever = true;
    sync_epoll(to);
    pthread_mutex_unlock(&to->lock);
}

void ws2_es_detach(struct ws2_socket *s)
{
    pthread_mutex_lock(&s->lock);
    if (s->es_epoll && epfd >= 0)
        epoll_ctl(epfd, EPOLL_CTL_DEL, s->fd, NULL);
    s->es_epoll = 0;
    s->es_mask = 0;
    pthread_mutex_unlock(&s->lock);
}
