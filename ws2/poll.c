/* select and WSAPoll: one poll(2) over the sockets, with Windows' meaning
 * of each readiness.  Where Linux and Windows disagree:
 * - a failed non-blocking connect is "except" for select (POLLERR|POLLHUP
 *   for WSAPoll), never writable; Linux says POLLOUT|POLLERR;
 * - a stream socket that is neither connected, connecting nor listening is
 *   never ready; Linux says POLLOUT|POLLHUP;
 * - for WSAPoll, POLLHUP is the peer's end of stream (Linux: POLLRDHUP;
 *   its POLLHUP also counts our own shutdowns), and an end of stream with
 *   no data left is not POLLRDNORM; urgent data is POLLRDBAND, or
 *   POLLRDNORM under SO_OOBINLINE; a socket shut for receiving is never
 *   POLLRDNORM;
 * - a socket closed while a thread waits on it ends the wait: POLLNVAL
 *   (WSAPoll), or W2U_SEL_CLOSED (select).
 * \Device\Afd's polls (ws2_afd_poll) report afd.sys's events the same
 * way: AFD_POLL_CONNECT while connected, AFD_POLL_HUP for the peer's end
 * of stream, AFD_POLL_READ only for data, AFD_POLL_ACCEPT on a listener,
 * AFD_POLL_CONNECT_ERR (with the error) for a failed connect,
 * AFD_POLL_RESET for a reset connection, AFD_POLL_CLOSE for a socket
 * closed under the poll. */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "ws2_private.h"

#define STACK_ENTRIES 64
#define POLL_KNOWN (W2U_POLLRDNORM | W2U_POLLRDBAND | W2U_POLLPRI | W2U_POLLWRNORM | W2U_POLLWRBAND)

enum poll_mode { MODE_WSAPOLL, MODE_SELECT, MODE_AFD };

struct probe {
    struct ws2_socket *sock;     /* NULL: not a socket */
    bool connecting;
};

/* A stream we shut for receiving: Linux's hang-up counts that shutdown,
 * so ask TCP whether the peer's FIN came. */
static bool peer_finished(int fd)
{
    struct tcp_info ti;
    socklen_t len = sizeof(ti);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
        return false;
    return ti.tcpi_state == TCP_CLOSE_WAIT || ti.tcpi_state == TCP_LAST_ACK || ti.tcpi_state == TCP_CLOSING ||
           ti.tcpi_state == TCP_TIME_WAIT || ti.tcpi_state == TCP_CLOSE;
}

static bool oob_inline(int fd)
{
    int on = 0;
    socklen_t len = sizeof(on);
    return getsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &on, &len) == 0 && on;
}

/* What Windows says about one socket, from what Linux says. */
static uint16_t windows_revents(const struct probe *p, short lrev, uint16_t want, bool select_mode)
{
    struct ws2_socket *s = p->sock;
    bool failed_connect = p->connecting && (lrev & (POLLERR | POLLHUP));
    bool idle_stream = s->type == SOCK_STREAM && !ws2_is(s, W2U_ST_CONNECTED | W2U_ST_LISTENING) && !p->connecting;
    uint16_t r = 0;

    if (idle_stream)
        return 0;
    if (select_mode) {
        /* Urgent data under SO_OOBINLINE is data: readable, not "except". */
        bool urgent = (lrev & POLLPRI) && !oob_inline(s->fd);
        if ((want & W2U_SEL_READ) && !p->connecting &&
            (lrev & (POLLIN | (ws2_is(s, W2U_ST_CONNECTED) ? POLLHUP | POLLERR : 0))))
            r |= W2U_SEL_READ;
        if ((want & W2U_SEL_WRITE) && (lrev & POLLOUT) && !failed_connect)
            r |= W2U_SEL_WRITE;
        if ((want & W2U_SEL_EXCEPT) && (urgent || failed_connect))
            r |= W2U_SEL_EXCEPT;
        return r;
    }
    bool peer_ended = false, data = (lrev & POLLIN) && !ws2_is(s, W2U_ST_SHUT_RECV), urgent = lrev & POLLPRI;
    if (s->type == SOCK_STREAM && ws2_is(s, W2U_ST_CONNECTED) && (lrev & (POLLRDHUP | POLLHUP))) {
        peer_ended = !ws2_is(s, W2U_ST_SHUT_RECV) || peer_finished(s->fd);
        data = data && ws2_bytes_queued(s->fd);     /* not only the end of stream */
    }
    if (urgent && oob_inline(s->fd)) {
        urgent = false;
        data = true;
    }
    if ((want & W2U_POLLRDNORM) && data && !p->connecting)
        r |= W2U_POLLRDNORM;
    if ((want & W2U_POLLRDBAND) && urgent)
        r |= W2U_POLLRDBAND;
    if ((want & W2U_POLLWRNORM) && (lrev & POLLOUT) && !failed_connect)
        r |= W2U_POLLWRNORM;
    if (failed_connect)
        r |= W2U_POLLERR | W2U_POLLHUP;
    else if (ws2_is(s, W2U_ST_CONNECTED | W2U_ST_LISTENING))
        r |= (lrev & POLLERR ? W2U_POLLERR : 0) | (peer_ended ? W2U_POLLHUP : 0);
    /* Linux reports a reset's error until a call takes it; Windows keeps
     * reporting the reset connection. */
    if (s->type == SOCK_STREAM && atomic_load_explicit(&s->reset, memory_order_relaxed))
        r |= W2U_POLLERR | W2U_POLLHUP;
    return r;
}

/* The socket has receives (or, for a listener, accepts) pending. */
static bool waiting_requests(struct ws2_socket *s, bool accepts)
{
    pthread_mutex_lock(&s->lock);
    bool any = !ws2_queue_empty(accepts ? &s->ov_others : &s->ov_recvs);
    pthread_mutex_unlock(&s->lock);
    return any;
}

/* A connect in progress that Linux now calls writable has finished. */
static void settle_connect(struct probe *p, short lrev)
{
    if (p->connecting && (lrev & POLLOUT) && !(lrev & (POLLERR | POLLHUP))) {
        ws2_refresh_connect(p->sock);
        p->connecting = ws2_is(p->sock, W2U_ST_CONNECTING);
    }
}

/* The socket's pending error (a failed connect's), as an NTSTATUS. */
static uint32_t pending_error(int fd)
{
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || !err)
        return W2U_STATUS_CONNECTION_REFUSED;
    return w2u_errno_to_status(err);
}

/* afd.sys's events for one socket, as far as want asks for them; state
 * (connected, reset) counts whatever Linux said this time. */
static uint16_t afd_revents(struct probe *p, short lrev, uint16_t want, uint32_t *status)
{
    struct ws2_socket *s = p->sock;
    bool stream = s->type == SOCK_STREAM;
    *status = 0;
    settle_connect(p, lrev);
    if (p->connecting) {
        if (!(lrev & (POLLERR | POLLHUP)) || !(want & W2U_AFD_POLL_CONNECT_ERR))
            return 0;
        *status = pending_error(s->fd);
        return W2U_AFD_POLL_CONNECT_ERR;
    }
    /* A stream never connected says nothing; Linux says writable, hung up. */
    if (stream && !ws2_is(s, W2U_ST_CONNECTED | W2U_ST_LISTENING))
        return 0;
    uint16_t r = 0;
    if (ws2_is(s, W2U_ST_LISTENING))     /* the same for a connection and a pending AcceptEx */
        return (lrev & POLLIN) && (want & W2U_AFD_POLL_ACCEPT) && !waiting_requests(s, true) ? W2U_AFD_POLL_ACCEPT
                                                                                              : 0;
    bool data = (lrev & POLLIN) && !ws2_is(s, W2U_ST_SHUT_RECV), urgent = lrev & POLLPRI, peer_ended = false;
    if (stream && (lrev & (POLLRDHUP | POLLHUP))) {
        peer_ended = !ws2_is(s, W2U_ST_SHUT_RECV) || peer_finished(s->fd);
        data = data && ws2_bytes_queued(s->fd);     /* not only the end of stream */
    }
    /* Data goes to a pending receive first: the poll sees only what is
     * left when none waits. */
    data = data && !waiting_requests(s, false);
    if (urgent && oob_inline(s->fd)) {
        urgent = false;
        data = true;
    }
    bool reset = stream && (atomic_load_explicit(&s->reset, memory_order_relaxed) || (lrev & POLLERR));
    r |= data ? W2U_AFD_POLL_READ : 0;
    r |= urgent ? W2U_AFD_POLL_OOB : 0;
    r |= lrev & POLLOUT ? W2U_AFD_POLL_WRITE : 0;
    r |= ws2_is(s, W2U_ST_CONNECTED) ? W2U_AFD_POLL_CONNECT : 0;
    r |= peer_ended && !reset ? W2U_AFD_POLL_HUP : 0;
    r |= reset ? W2U_AFD_POLL_RESET : 0;      /* (with status 0, as afd.sys reports it) */
    return r & want;
}

static short linux_events(uint16_t want, enum poll_mode mode)
{
    if (mode == MODE_AFD)
        return (short)((want & (W2U_AFD_POLL_READ | W2U_AFD_POLL_ACCEPT | W2U_AFD_POLL_HUP) ? POLLIN : 0) |
                       (want & (W2U_AFD_POLL_READ | W2U_AFD_POLL_OOB) ? POLLPRI : 0) |
                       (want & (W2U_AFD_POLL_WRITE | W2U_AFD_POLL_CONNECT | W2U_AFD_POLL_CONNECT_ERR) ? POLLOUT
                                                                                                     : 0) |
                       POLLRDHUP);
    bool select_mode = mode == MODE_SELECT;
    if (select_mode)
        return (short)((want & W2U_SEL_READ ? POLLIN : 0) | (want & W2U_SEL_WRITE ? POLLOUT : 0) |
                       (want & W2U_SEL_EXCEPT ? POLLPRI : 0));
    /* Hang-up and errors come whatever was asked, as Windows reports them;
     * urgent data may be asked as POLLRDNORM (SO_OOBINLINE). */
    return (short)((want & W2U_POLLRDNORM ? POLLIN | POLLPRI : 0) | (want & W2U_POLLRDBAND ? POLLPRI : 0) |
                   (want & W2U_POLLWRNORM ? POLLOUT : 0) | POLLRDHUP);
}

/* A socket closed during the wait: what Windows reports for it. */
static uint16_t closed_revents(enum poll_mode mode)
{
    return mode == MODE_SELECT ? W2U_SEL_CLOSED : mode == MODE_AFD ? W2U_AFD_POLL_CLOSE : W2U_POLLNVAL;
}

/* What Windows reports for entry i this round (0: nothing). */
static uint16_t entry_revents(struct probe *p, const struct pollfd *pfd, struct ws2_poll_entry *e,
                              enum poll_mode mode)
{
    if (atomic_load(&p->sock->closing))
        return closed_revents(mode);
    if (mode == MODE_AFD)    /* state counts without an event, but not for a socket muted this round */
        return pfd->fd < 0 ? 0 : afd_revents(p, pfd->revents, e->events, &e->status);
    return pfd->revents ? windows_revents(p, pfd->revents, e->events, mode == MODE_SELECT) : 0;
}

/* poll_prepare's answer when the entries are fine: go on and wait. */
#define POLL_WAIT INT_MAX

/* Resolves each entry's socket into probe[i] and pfd[i] (pfd[n + i], the
 * socket's wake descriptor, and pfd[2n], wake_fd, start unwatched), and
 * counts in *invalid the entries with no socket.  Returns POLL_WAIT, the
 * count to answer at once (an AFD poll's closed socket ends it), or a
 * -WSA error. */
static int poll_prepare(struct ws2_poll_entry *e, unsigned n, struct pollfd *pfd, struct probe *probe,
                        enum poll_mode mode, int wake_fd, unsigned *invalid)
{
    pfd[2 * n].fd = wake_fd;
    pfd[2 * n].events = POLLIN;
    pfd[2 * n].revents = 0;
    for (unsigned i = 0; i < n; i++) {
        e[i].revents = 0;
        e[i].status = 0;
        probe[i].sock = NULL;
        pfd[i].fd = pfd[n + i].fd = -1;     /* poll ignores negative fds */
        pfd[i].events = 0;
        pfd[n + i].events = POLLIN;
        pfd[i].revents = pfd[n + i].revents = 0;
    }
    *invalid = 0;
    for (unsigned i = 0; i < n; i++) {
        if (ws2_socket_get(e[i].socket, &probe[i].sock) < 0) {
            if (mode == MODE_SELECT)
                return -W2U_WSAENOTSOCK;
            /* AFD: gone since the poll began; WSAPoll: POLLNVAL, not
             * counted, and with no socket at all an error. */
            e[i].revents = mode == MODE_AFD ? W2U_AFD_POLL_CLOSE : W2U_POLLNVAL;
            (*invalid)++;
            continue;
        }
        ws2_refresh_connect(probe[i].sock);
        probe[i].connecting = ws2_is(probe[i].sock, W2U_ST_CONNECTING);
        pfd[i].fd = probe[i].sock->fd;
        pfd[i].events = linux_events(e[i].events, mode);
    }
    if (mode == MODE_AFD && *invalid)
        return (int)*invalid;
    if (n && *invalid == n)
        return -W2U_WSAENOTSOCK;
    /* WSAPoll: an event Windows does not know, on any entry but an
     * INVALID_SOCKET one, fails the call with every revents cleared. */
    for (unsigned i = 0; i < n && mode == MODE_WSAPOLL; i++)
        if (e[i].socket != (uintptr_t)-1 && (e[i].events & ~POLL_KNOWN)) {
            for (unsigned j = 0; j < n; j++)
                e[j].revents = 0;
            return -W2U_WSAEINVAL;
        }
    return POLL_WAIT;
}

/* poll(2) rounds until an entry is ready, the deadline passes (until: 0
 * looks once) or wake_fd (pfd[2n]) fires; once a round would block, each
 * socket's wake descriptor (which closesocket signals) is watched too.
 * Returns how many entries are ready, or a -WSA error. */
static int poll_rounds(struct ws2_poll_entry *e, unsigned n, struct pollfd *pfd, struct probe *probe,
                       enum poll_mode mode, int64_t until)
{
    unsigned watched = n;
    bool blocked = false, muted = false;
    int ready = 0, r;
    for (;;) {
        int ms = 0;
        if (until == W2U_FOREVER) {
            ms = -1;
        } else if (until) {
            int64_t left = until - w2u_now_ns();
            ms = left > 0 ? (int)((left + 999999) / 1000000) : 0;
        }
        /* An AFD poll's socket that Linux calls ready but that has nothing
         * to report yet (its data went to a pending receive) is looked at
         * again every 10 ms, not asked (it would answer at once). */
        bool rearm = muted;
        if (muted && (ms < 0 || ms > 10))
            ms = 10;
        muted = false;
        if (ms && !blocked) {
            iocp_block_begin();
            blocked = true;
            for (unsigned i = 0; i < n; i++)
                if (probe[i].sock)
                    pfd[n + i].fd = ws2_socket_wake_fd(probe[i].sock);
            watched = 2 * n + 1;             /* pfd[2n]: wake_fd, ignored when negative */
        }
        int got = poll(pfd, watched, ms);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            r = -(int)w2u_errno_to_wsa(errno);
            break;
        }
        for (unsigned i = 0; i < n; i++) {
            if (!probe[i].sock)
                continue;
            e[i].revents = entry_revents(&probe[i], &pfd[i], &e[i], mode);
            ready += e[i].revents != 0;
        }
        /* Linux readiness Windows does not count (an idle stream socket)
         * must not end a wait early: sleep the rest of the time. */
        if (ready || ms == 0 || (until != W2U_FOREVER && w2u_now_ns() >= until) ||
            (watched > 2 * n && pfd[2 * n].revents)) {
            r = ready;
            break;
        }
        for (unsigned i = 0; rearm && i < n; i++)
            if (probe[i].sock && pfd[i].fd < 0) {
                pfd[i].fd = probe[i].sock->fd;
                pfd[i].revents = 0;
            }
        for (unsigned i = 0; i < n; i++)
            if (probe[i].sock && pfd[i].revents && !e[i].revents) {
                pfd[i].fd = -1;         /* stop asking: HUP/ERR would come back */
                muted = muted || mode == MODE_AFD;
            }
    }
    if (blocked)
        iocp_block_end();
    return r;
}

/* poll(2) over the sockets (see poll_prepare and poll_rounds), and the
 * caller's wake_fd (if >= 0). */
static int poll_sockets(struct ws2_poll_entry *e, unsigned n, int64_t deadline, enum poll_mode mode, int wake_fd)
{
    struct pollfd pfd_stack[2 * STACK_ENTRIES + 1], *pfd = pfd_stack;
    struct probe probe_stack[STACK_ENTRIES], *probe = probe_stack;
    if (n > STACK_ENTRIES) {
        pfd = calloc(2 * (size_t)n + 1, sizeof(*pfd));
        probe = calloc(n, sizeof(*probe));
        if (!pfd || !probe) {
            free(pfd);
            free(probe);
            return -W2U_WSAENOBUFS;
        }
    }
    unsigned invalid;
    int r = poll_prepare(e, n, pfd, probe, mode, wake_fd, &invalid);
    /* An invalid entry is an answer already: look, but do not wait. */
    if (r == POLL_WAIT)
        r = poll_rounds(e, n, pfd, probe, mode, invalid ? 0 : deadline);
    for (unsigned i = 0; i < n; i++)
        if (probe[i].sock)
            ws2_socket_put(probe[i].sock);
    if (pfd != pfd_stack) {
        free(pfd);
        free(probe);
    }
    return r;
}

int wsp_select(struct ws2_poll_entry *e, unsigned n, int64_t deadline, bool select_mode)
{
    return poll_sockets(e, n, deadline, select_mode ? MODE_SELECT : MODE_WSAPOLL, -1);
}

int ws2_afd_poll(struct ws2_poll_entry *e, unsigned n, int wake_fd, int64_t deadline)
{
    return poll_sockets(e, n, deadline, MODE_AFD, wake_fd);
}
