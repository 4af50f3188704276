/* WSAConnectByName: resolve a name and service, connect a stream socket to
 * the first address that answers, within an optional time limit, and hand
 * back both ends' addresses.  Built on the library's own calls, as Windows
 * builds it on Winsock's. */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "ws2_private.h"
#include "ws2_resolve.h"

/* Connects within deadline (W2U_FOREVER: none): 0 or -WSA error.  A
 * blocking socket waits in connect itself when there is no limit;
 * otherwise the connect runs non-blocking and readiness is waited for,
 * and the socket's mode is put back. */
static int connect_within(uintptr_t h, const void *addr, int len, int64_t deadline)
{
    int nonblocking = ws2_is_nonblocking(h);
    if (nonblocking < 0)
        return nonblocking;
    if (!nonblocking && deadline == W2U_FOREVER)
        return ws2_connect(h, addr, len);
    uint32_t on = 1, off = 0;
    if (!nonblocking && ws2_ioctl(h, W2U_FIONBIO, &on) < 0)
        return -W2U_WSAEINVAL;
    int r = ws2_connect(h, addr, len);
    if (r == -W2U_WSAEWOULDBLOCK) {
        struct ws2_poll_entry e = { .socket = h, .events = W2U_POLLWRNORM };
        r = ws2_poll(&e, 1, deadline, false);
        if (r == 0) {
            r = -W2U_WSAETIMEDOUT;
        } else if (r > 0) {
            int err = 0, el = sizeof(err);
            r = ws2_getsockopt(h, W2U_SOL_SOCKET, W2U_SO_ERROR, &err, &el);
            if (r == 0 && err)
                r = -err;
            else if (r == 0 && !(e.revents & W2U_POLLWRNORM))
                r = -W2U_WSAECONNREFUSED;
        }
    }
    if (!nonblocking)
        ws2_ioctl(h, W2U_FIONBIO, &off);
    return r;
}

/* One end's address for the caller: written if buf is given (*len must
 * hold it), and *len set to its size either way.  The local one comes
 * without its port, as Windows gives it (sock.c test_WSAConnectByName). */
static void give_address(int (*get)(uintptr_t, void *, int *), uintptr_t h, uint32_t *len, void *buf)
{
    unsigned char tmp[28];
    int n = sizeof(tmp);
    if (!len || get(h, tmp, &n) < 0)
        return;
    if (get == ws2_getsockname)
        memset(tmp + 2, 0, 2);                  /* sin_port and sin6_port alike */
    if (buf)
        memcpy(buf, tmp, (size_t)n);
    *len = (uint32_t)n;
}

/* The call's checks and its lookup, before anything is tried: the
 * addresses to connect to in order (ws2_ai_free them), or -WSA error.
 * local_room / remote_room: the room the caller gives for an address
 * (UINT32_MAX when it asks for none). */
static int targets(uintptr_t h, const char *node, const char *service, uint32_t local_room, uint32_t remote_room,
                   struct ws2_ai **list)
{
    if (!node || !service)
        return -W2U_WSAEINVAL;
    struct ws2_socket *s;
    int r = ws2_socket_get(h, &s);
    if (r < 0)
        return r;
    int type = s->type, family = s->family;
    ws2_socket_put(s);
    if (type != SOCK_STREAM)
        return -W2U_WSAEINVAL;
    uint32_t need = family == AF_INET6 ? 28 : 16;
    /* Short lengths fail before anything is tried, and are left as given. */
    if (local_room < need || remote_room < need)
        return -W2U_WSAEFAULT;
    struct ws2_ai_hints hints = { .family = ws2_af_from_linux(family), .socktype = W2U_SOCK_STREAM,
                                  .protocol = W2U_IPPROTO_TCP };
    int e = ws2_getaddrinfo(node, service, &hints, list);
    return e ? -e : 0;
}

static uint32_t room(const uint32_t *len, const void *buf)
{
    return len && buf ? *len : UINT32_MAX;
}

int ws2_connect_by_name(uintptr_t h, const char *node, const char *service, uint32_t *local_len, void *local,
                        uint32_t *remote_len, void *remote, int64_t timeout_ms)
{
    struct ws2_ai *list = NULL;
    int r = targets(h, node, service, room(local_len, local), room(remote_len, remote), &list);
    if (r < 0)
        return r;
    int64_t deadline = timeout_ms < 0 ? W2U_FOREVER : w2u_deadline_ms((uint32_t)timeout_ms);
    r = -W2U_WSAEHOSTUNREACH;
    for (struct ws2_ai *ai = list; ai && r < 0; ai = ai->next) {
        r = connect_within(h, ai->addr, (int)ai->addrlen, deadline);
        if (r == -W2U_WSAETIMEDOUT)
            break;
    }
    ws2_ai_free(list);
    if (r < 0)
        return r;
    give_address(ws2_getsockname, h, local_len, local);
    give_address(ws2_getpeername, h, remote_len, remote);
    return 0;
}

/* For a host that waits for WSAConnectByName's connects itself, alertably
 * (under Wine a wait in the Unix call would run no APC): the call's checks
 * and lookup as above, and up to max of the addresses to try, in order,
 * into out.  The count, or -WSA error. */
W2U_EXPORT int64_t __attribute__((ms_abi))
ws2uring_connect_by_name_targets(uintptr_t h, const char *node, const char *service, uint32_t local_room,
                                 uint32_t remote_room, struct ws2_connect_target *out, uint32_t max)
{
    struct ws2_ai *list = NULL;
    int r = targets(h, node, service, local_room, remote_room, &list);
    if (r < 0)
        return r;
    uint32_t n = 0;
    for (struct ws2_ai *ai = list; ai && n < max; ai = ai->next, n++) {
        out[n].len = ai->addrlen;
        memcpy(out[n].addr, ai->addr, sizeof(out[n].addr));
    }
    ws2_ai_free(list);
    return n;
}
