/* select and WSAPoll: one poll(2) over the sockets, with Windows' meaning
 * of each readiness.  Where Linux and Windows disagree:
 * - a failed non-blocking connect is "except" for select (POLLERR|POLLHUP
 *   for WSAPoll), never writable; Linux says POLLOUT|POLLERR;
 * - a stream socket that is neither connected, connecting nor listening is
 *   never ready; Linux says POLLOUT|POLLHUP. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "ws2_private.h"

#define STACK_ENTRIES 64

struct probe {
    struct ws2_socket *sock;     /* NULL: not a socket */
    bool connecting;
};

/* What Windows says about one socket, from what Linux says. */
static uint16_t windows_revents(const struct probe *p, short lrev, uint16_t want, bool select_mode)
{
    struct ws2_socket *s = p->sock;
    bool failed_connect = p->connecting && (lrev & (POLLERR | POLLHUP));
    bool idle_stream = s->type == SOCK_STREAM && !s->connected && !p->connecting && !s->listening;
    uint16_t r = 0;

    if (idle_stream)
        return 0;
    if (select_mode) {
        if ((want & W2U_SEL_READ) && !p->connecting &&
            (lrev & (POLLIN | (s->connected ? POLLHUP | POLLERR : 0))))
            r |= W2U_SEL_READ;
        if ((want & W2U_SEL_WRITE) && (lrev & POLLOUT) && !failed_connect)
            r |= W2U_SEL_WRITE;
        if ((want & W2U_SEL_EXCEPT) && ((lrev & POLLPRI) || failed_connect))
            r |= W2U_SEL_EXCEPT;
        return r;
    }
    if ((want & W2U_POLLRDNORM) && (lrev & POLLIN) && !p->connecting)
        r |= W2U_POLLRDNORM;
    if ((want & W2U_POLLRDBAND) && (lrev & POLLPRI))
        r |= W2U_POLLRDBAND;
    if ((want & W2U_POLLWRNORM) && (lrev & POLLOUT) && !failed_connect)
        r |= W2U_POLLWRNORM;
    if (failed_connect)
        r |= W2U_POLLERR | W2U_POLLHUP;
    else if (s->connected || s->listening)
        r |= (lrev & POLLERR ? W2U_POLLERR : 0) | (lrev & POLLHUP ? W2U_POLLHUP : 0);
    return r;
}

static short linux_events(uint16_t want, bool select_mode)
{
    if (select_mode)
        return (short)((want & W2U_SEL_READ ? POLLIN : 0) | (want & W2U_SEL_WRITE ? POLLOUT : 0) |
                       (want & W2U_SEL_EXCEPT ? POLLPRI : 0));
    return (short)((want & W2U_POLLRDNORM ? POLLIN : 0) | (want & W2U_POLLRDBAND ? POLLPRI : 0) |
                   (want & W2U_POLLWRNORM ? POLLOUT : 0));
}

int wsp_select(struct ws2_poll_entry *e, unsigned n, int64_t deadline, bool select_mode)
{
    struct pollfd pfd_stack[STACK_ENTRIES], *pfd = pfd_stack;
    struct probe probe_stack[STACK_ENTRIES], *probe = probe_stack;
    int r = 0;
    if (n > STACK_ENTRIES) {
        pfd = calloc(n, sizeof(*pfd));
        probe = calloc(n, sizeof(*probe));
        if (!pfd || !probe) {
            free(pfd);
            free(probe);
            return -W2U_WSAENOBUFS;
        }
    }
    int ready = 0;
    for (unsigned i = 0; i < n; i++) {
        e[i].revents = 0;
        probe[i].sock = NULL;
        pfd[i].fd = -1;     /* poll ignores negative fds */
        pfd[i].events = 0;
        pfd[i].revents = 0;
    }
    for (unsigned i = 0; i < n; i++) {
        if (ws2_socket_get(e[i].socket, &probe[i].sock) < 0) {
            if (select_mode) {
                r = -W2U_WSAENOTSOCK;
                goto out;
            }
            e[i].revents = W2U_POLLNVAL;
            ready++;
            continue;
        }
        ws2_refresh_connect(probe[i].sock);
        probe[i].connecting = probe[i].sock->connecting;
        pfd[i].fd = probe[i].sock->fd;
        pfd[i].events = linux_events(e[i].events, select_mode);
    }

    /* An invalid entry is an answer already: look, but do not wait. */
    int64_t until = ready ? 0 : deadline;
    bool blocked = false;
    for (;;) {
        int ms = 0;
        if (until == W2U_FOREVER) {
            ms = -1;
        } else if (until) {
            int64_t left = until - w2u_now_ns();
            ms = left > 0 ? (int)((left + 999999) / 1000000) : 0;
        }
        if (ms && !blocked) {
            iocp_block_begin();
            blocked = true;
        }
        int got = poll(pfd, n, ms);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            r = -(int)w2u_errno_to_wsa(errno);
            break;
        }
        for (unsigned i = 0; i < n; i++) {
            if (!probe[i].sock || !pfd[i].revents)
                continue;
            e[i].revents = windows_revents(&probe[i], pfd[i].revents, e[i].events, select_mode);
            ready += e[i].revents != 0;
        }
        /* Linux readiness Windows does not count (an idle stream socket)
         * must not end a wait early: sleep the rest of the time. */
        if (ready || ms == 0 || (until != W2U_FOREVER && w2u_now_ns() >= until)) {
            r = ready;
            break;
        }
        for (unsigned i = 0; i < n; i++)
            if (probe[i].sock && pfd[i].revents && !e[i].revents)
                pfd[i].fd = -1;         /* stop asking: HUP/ERR would come back */
    }
    if (blocked)
        iocp_block_end();
out:
    for (unsigned i = 0; i < n; i++)
        if (probe[i].sock)
            ws2_socket_put(probe[i].sock);
    if (pfd != pfd_stack) {
        free(pfd);
        free(probe);
    }
    return r;
}
