/* The native Win32 surface of ws2/: Winsock calls with Windows types.
 *
 * Names that glibc also exports (socket, bind, send, select, getaddrinfo...)
 * are defined here as ws2u_NAME and exported as __wrap_NAME too: programs
 * link with -Wl,--wrap=NAME (pkg-config adds it), so their calls reach
 * ws2uring while glibc's own symbols stay untouched for everyone else.
 * Header macros cannot do this: Wine's winsock.h #undefs select. */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <stdlib.h>
#include <string.h>

#include "../iocp/iocp.h"
#include "ws2.h"
#include "ws2_win32.h"

_Static_assert(AF_INET6 == W2U_AF_INET6, "AF_INET6");
_Static_assert(FIONBIO == W2U_FIONBIO && FIONREAD == W2U_FIONREAD, "FIONBIO");
_Static_assert(SIOCATMARK == W2U_SIOCATMARK, "SIOCATMARK");
_Static_assert(SOL_SOCKET == W2U_SOL_SOCKET && SO_REUSEADDR == W2U_SO_REUSEADDR &&
               SO_KEEPALIVE == W2U_SO_KEEPALIVE && SO_BROADCAST == W2U_SO_BROADCAST &&
               SO_LINGER == W2U_SO_LINGER && SO_OOBINLINE == W2U_SO_OOBINLINE &&
               (int)SO_DONTLINGER == W2U_SO_DONTLINGER &&
               (int)SO_EXCLUSIVEADDRUSE == W2U_SO_EXCLUSIVEADDRUSE &&
               SO_SNDBUF == W2U_SO_SNDBUF && SO_RCVBUF == W2U_SO_RCVBUF &&
               SO_RCVLOWAT == W2U_SO_RCVLOWAT && SO_SNDTIMEO == W2U_SO_SNDTIMEO &&
               SO_RCVTIMEO == W2U_SO_RCVTIMEO && SO_ERROR == W2U_SO_ERROR &&
               SO_TYPE == W2U_SO_TYPE && SO_ACCEPTCONN == W2U_SO_ACCEPTCONN &&
               SO_DEBUG == W2U_SO_DEBUG && SO_DONTROUTE == W2U_SO_DONTROUTE &&
               SO_MAX_MSG_SIZE == W2U_SO_MAX_MSG_SIZE &&
               SO_CONDITIONAL_ACCEPT == W2U_SO_CONDITIONAL_ACCEPT, "SOL_SOCKET options");
_Static_assert(TCP_NODELAY == W2U_TCP_NODELAY && TCP_KEEPALIVE == W2U_TCP_KEEPIDLE &&
               TCP_MAXSEG == W2U_TCP_MAXSEG && IPPROTO_IPV6 == W2U_IPPROTO_IPV6, "TCP options");
_Static_assert(IP_TOS == W2U_IP_TOS && IP_TTL == W2U_IP_TTL &&
               IP_MULTICAST_IF == W2U_IP_MULTICAST_IF && IP_MULTICAST_TTL == W2U_IP_MULTICAST_TTL &&
               IP_MULTICAST_LOOP == W2U_IP_MULTICAST_LOOP &&
               IP_ADD_MEMBERSHIP == W2U_IP_ADD_MEMBERSHIP &&
               IP_DROP_MEMBERSHIP == W2U_IP_DROP_MEMBERSHIP && IP_PKTINFO == W2U_IP_PKTINFO,
               "IP options");
_Static_assert(IPV6_UNICAST_HOPS == W2U_IPV6_UNICAST_HOPS &&
               IPV6_MULTICAST_IF == W2U_IPV6_MULTICAST_IF &&
               IPV6_MULTICAST_HOPS == W2U_IPV6_MULTICAST_HOPS &&
               IPV6_MULTICAST_LOOP == W2U_IPV6_MULTICAST_LOOP &&
               IPV6_JOIN_GROUP == W2U_IPV6_JOIN_GROUP && IPV6_LEAVE_GROUP == W2U_IPV6_LEAVE_GROUP &&
               IPV6_PKTINFO == W2U_IPV6_PKTINFO && IPV6_V6ONLY == W2U_IPV6_V6ONLY, "IPv6 options");
_Static_assert(sizeof(struct ip_mreq) == 8 && sizeof(struct ipv6_mreq) == 20, "mreq");
_Static_assert(sizeof(struct linger) == 4, "Windows linger is two u_shorts");
_Static_assert(POLLRDNORM == W2U_POLLRDNORM && POLLWRNORM == W2U_POLLWRNORM &&
               POLLRDBAND == W2U_POLLRDBAND && POLLERR == W2U_POLLERR &&
               POLLHUP == W2U_POLLHUP && POLLNVAL == W2U_POLLNVAL, "POLL*");
_Static_assert(sizeof(WSABUF) == 16 && offsetof(WSABUF, buf) == 8, "WSABUF");
_Static_assert(WSAENOTSOCK == W2U_WSAENOTSOCK && WSANOTINITIALISED == W2U_WSANOTINITIALISED, "WSA");

#define result ws2_result

static SOCKET socket_result(int r, uintptr_t s)
{
    if (r < 0) {
        result_error(-r);
        return INVALID_SOCKET;
    }
    ws2_result(0);
    return (SOCKET)s;
}

/* ---- start-up and errors ------------------------------------------------------ */

W2U_EXPORT int WINAPI WSAStartup(WORD version, LPWSADATA data)
{
    struct ws2_startup_info info;
    if (!data || !user_out(data, sizeof(*data)))
        return (version & 0xff) ? WSAEFAULT : WSAVERNOTSUPPORTED;
    /* Filled even for a version it refuses; lpVendorInfo is left alone
     * (Windows, as Wine's protocol.c test_startup records). */
    int r = ws2_startup(version, &info);
    data->wVersion = info.version;
    data->wHighVersion = info.high_version;
    strcpy(data->szDescription, info.description);
    strcpy(data->szSystemStatus, info.status);
    data->iMaxSockets = info.max_sockets;
    data->iMaxUdpDg = info.max_udp_dg;
    return r;
}

W2U_EXPORT int WINAPI WSACleanup(void)
{
    return result(ws2_cleanup());
}

W2U_EXPORT int WINAPI WSAGetLastError(void)
{
    return (int)w2u_last_error;
}

W2U_EXPORT void WINAPI WSASetLastError(int err)
{
    w2u_set_error((uint32_t)err);
}

/* ---- sockets ------------------------------------------------------------------------ */

WRAPPED(SOCKET, socket, (int af, int type, int protocol))
{
    uintptr_t s = 0;
    /* socket() makes sockets usable for overlapped I/O, as on Windows,
     * unless the thread's SO_OPENTYPE asks for synchronous ones. */
    int r = ws2_socket_create(af, type, protocol, ws2_opentype_synchronous() ? 0 : W2U_FLAG_OVERLAPPED, &s);
    return socket_result(r, s);
}

/* WSADuplicateSocket's token in a WSAPROTOCOL_INFOA/W (catalog_win32.c). */
#define DUP_TOKEN(info) \
    ((struct ws2_dup_token){ (info)->dwProviderReserved, (info)->dwServiceFlags3, (info)->dwServiceFlags4 })

static SOCKET wsa_socket(int af, int type, int protocol, int info_af, int info_type,
                         int info_protocol, bool have_info, DWORD flags, struct ws2_dup_token dup)
{
    uintptr_t s = 0;
    /* A WSAPROTOCOL_INFO from WSADuplicateSocket opens the duplicate. */
    if (have_info && dup.id) {
        int r = ws2_duplicate_open(&dup, &s);    /* sets s: call first */
        return socket_result(r, s);
    }
    /* With a WSAPROTOCOL_INFO, 0 and FROM_PROTOCOL_INFO (-1) take its
     * values; a family it does not give is then refused. */
    if (have_info) {
        if (af == FROM_PROTOCOL_INFO || !af)
            af = info_af;
        if (type == FROM_PROTOCOL_INFO || !type)
            type = info_type;
        if (protocol == FROM_PROTOCOL_INFO || !protocol)
            protocol = info_protocol;
        if (!af && protocol)
            return socket_result(-W2U_WSAEAFNOSUPPORT, 0);
    }
    int r = ws2_socket_create(af, type, protocol, flags, &s);
    return socket_result(r, s);
}

W2U_EXPORT SOCKET WINAPI WSASocketA(int af, int type, int protocol, LPWSAPROTOCOL_INFOA info,
                                    GROUP group, DWORD flags)
{
    (void)group;   /* socket groups were never implemented by Windows either */
    return wsa_socket(af, type, protocol, info ? info->iAddressFamily : 0,
                      info ? info->iSocketType : 0, info ? info->iProtocol : 0, info != NULL, flags,
                      info ? DUP_TOKEN(info) : (struct ws2_dup_token){ 0 });
}

W2U_EXPORT SOCKET WINAPI WSASocketW(int af, int type, int protocol, LPWSAPROTOCOL_INFOW info,
                                    GROUP group, DWORD flags)
{
    (void)group;
    return wsa_socket(af, type, protocol, info ? info->iAddressFamily : 0,
                      info ? info->iSocketType : 0, info ? info->iProtocol : 0, info != NULL, flags,
                      info ? DUP_TOKEN(info) : (struct ws2_dup_token){ 0 });
}

W2U_EXPORT int WINAPI closesocket(SOCKET s)
{
    return result(ws2_close(s));
}

/* A pointer missing or one the call cannot use: WSAEFAULT, unless the
 * socket itself is not one (Windows looks at the socket first). */
static int bad_memory(SOCKET s)
{
    return result(user_fault(s));
}

WRAPPED(int, bind, (SOCKET s, const struct sockaddr *addr, int len))
{
    if (!user_addr_in(addr, len))
        return bad_memory(s);
    return result(ws2_bind(s, addr, len));
}

WRAPPED(int, listen, (SOCKET s, int backlog))
{
    return result(ws2_listen(s, backlog));
}

WRAPPED(SOCKET, accept, (SOCKET s, struct sockaddr *addr, int *len))
{
    uintptr_t ns = 0;
    /* Checked before a connection is taken: a bad buffer loses none. */
    if (!user_addr_out(addr, len)) {
        bad_memory(s);
        return INVALID_SOCKET;
    }
    int r = ws2_accept(s, addr, len, &ns);
    return socket_result(r, ns);
}

WRAPPED(int, connect, (SOCKET s, const struct sockaddr *addr, int len))
{
    if (!user_addr_in(addr, len))
        return bad_memory(s);
    return result(ws2_connect(s, addr, len));
}

WRAPPED(int, shutdown, (SOCKET s, int how))
{
    return result(ws2_shutdown(s, how));
}

WRAPPED(int, getsockname, (SOCKET s, struct sockaddr *addr, int *len))
{
    if (!user_addr_out(addr, len))
        return bad_memory(s);
    return result(ws2_getsockname(s, addr, len));
}

WRAPPED(int, getpeername, (SOCKET s, struct sockaddr *addr, int *len))
{
    if (!user_addr_out(addr, len))
        return bad_memory(s);
    return result(ws2_getpeername(s, addr, len));
}

WRAPPED(int, getsockopt, (SOCKET s, int level, int name, char *value, int *len))
{
    if (!user_addr_out(value, len))
        return bad_memory(s);
    if (level == SOL_SOCKET && (name == SO_PROTOCOL_INFOA || name == SO_PROTOCOL_INFOW))
        return result(ws2_win32_protocol_info(s, name, value, len));
    return result(ws2_getsockopt(s, level, name, value, len));
}

WRAPPED(int, setsockopt, (SOCKET s, int level, int name, const char *value, int len))
{
    /* Programs do pass the value for the pointer (Wine's tests name one). */
    if (len > 0 && !user_in(value, (size_t)len))
        value = NULL;                /* answered as a missing pointer: WSAEFAULT */
    return result(ws2_setsockopt(s, level, name, value, len));
}

W2U_EXPORT int WINAPI ioctlsocket(SOCKET s, LONG cmd, u_long *arg)
{
    if (!user_out(arg, sizeof(*arg)))
        arg = NULL;                  /* answered as a missing pointer: WSAEFAULT */
    uint32_t v = arg ? (uint32_t)*arg : 0;
    int r = ws2_ioctl(s, (uint32_t)cmd, arg ? &v : NULL);
    if (r >= 0 && arg)
        *arg = v;
    return result(r);
}

/* ---- send and receive --------------------------------------------------------------------- */

WRAPPED(int, send, (SOCKET s, const char *buf, int len, int flags))
{
    if (len < 0)
        return result(-W2U_WSAEFAULT);
    struct ws2_buf b = { (uint32_t)len, (void *)buf };
    return result(ws2_send(s, &b, 1, flags, NULL, 0));
}

WRAPPED(int, sendto, (SOCKET s, const char *buf, int len, int flags, const struct sockaddr *to,
                      int tolen))
{
    if (len < 0)
        return result(-W2U_WSAEFAULT);
    if (!user_addr_in(to, tolen))
        return bad_memory(s);
    struct ws2_buf b = { (uint32_t)len, (void *)buf };
    return result(ws2_send(s, &b, 1, flags, to, tolen));
}

WRAPPED(int, recv, (SOCKET s, char *buf, int len, int flags))
{
    if (len < 0)
        return result(-W2U_WSAEFAULT);
    struct ws2_buf b = { (uint32_t)len, buf };
    return result(ws2_recv(s, &b, 1, &flags, NULL, NULL));
}

/* A connection's receive ignores its source address buffer (Windows:
 * "ignored for connection-oriented sockets"; programs leave its length
 * unset), so neither is looked at. */
static void no_source_for_streams(SOCKET s, struct sockaddr **from, int **fromlen)
{
    if (*from && ws2_is_stream(s) == 1) {
        *from = NULL;
        *fromlen = NULL;
    }
}

WRAPPED(int, recvfrom, (SOCKET s, char *buf, int len, int flags, struct sockaddr *from,
                        int *fromlen))
{
    if (len < 0)
        return result(-W2U_WSAEFAULT);
    no_source_for_streams(s, &from, &fromlen);
    if (!user_addr_out(from, fromlen))
        return bad_memory(s);
    struct ws2_buf b = { (uint32_t)len, buf };
    return result(ws2_recv(s, &b, 1, &flags, from, fromlen));
}

static int overlapped_op(SOCKET s, const struct ws2_overlapped_op *op, LPDWORD bytes)
{
    uint32_t now = 0;
    int r = ws2_overlapped(s, op, &now);
    if (r == 0 && bytes)
        *bytes = now;
    return result(r);
}

/* With an OVERLAPPED the call is overlapped (a completion routine without
 * one is ignored, as Windows does). */
static int overlapped(SOCKET s, bool send, LPWSABUF bufs, DWORD count, LPDWORD bytes, DWORD flags,
                      const struct sockaddr *to, int tolen, struct sockaddr *from, int *fromlen,
                      LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE routine)
{
    struct ws2_overlapped_op op = {
        .send = send, .bufs = (const struct ws2_buf *)bufs, .count = count, .flags = (int)flags,
        .addr = to, .addrlen = tolen, .from = from, .fromlen = fromlen,
        .ov = (struct iocp_overlapped *)ov, .routine = (w2u_completion_routine)routine,
    };
    return overlapped_op(s, &op, bytes);
}

/* What WSASend and WSARecv read or fill themselves: the WSABUF array,
 * the byte count, the OVERLAPPED (written again when the operation
 * ends, by another thread: a bad one must be refused now). */
static bool user_wsa_io(const WSABUF *bufs, DWORD count, DWORD *bytes, WSAOVERLAPPED *ov)
{
    return user_in(bufs, (size_t)count * sizeof(*bufs)) && user_out(bytes, sizeof(*bytes)) &&
           user_out(ov, sizeof(*ov));
}

static int wsa_send(SOCKET s, LPWSABUF bufs, DWORD count, LPDWORD sent, DWORD flags,
                    const struct sockaddr *to, int tolen, LPWSAOVERLAPPED ov,
                    LPWSAOVERLAPPED_COMPLETION_ROUTINE routine)
{
    if (!user_wsa_io(bufs, count, sent, ov) || !user_addr_in(to, tolen))
        return bad_memory(s);
    if (ov)
        return overlapped(s, true, bufs, count, sent, flags, to, tolen, NULL, NULL, ov, routine);
    if (!sent)
        return bad_memory(s);
    int r = ws2_send(s, (const struct ws2_buf *)bufs, count, (int)flags, to, tolen);
    if (r < 0)
        return result(r);
    *sent = (DWORD)r;
    return result(0);
}

static int wsa_recv(SOCKET s, LPWSABUF bufs, DWORD count, LPDWORD received, LPDWORD flags,
                    struct sockaddr *from, int *fromlen, LPWSAOVERLAPPED ov,
                    LPWSAOVERLAPPED_COMPLETION_ROUTINE routine)
{
    if (!flags)
        return result(-W2U_WSAEFAULT);
    no_source_for_streams(s, &from, &fromlen);
    if (!user_out(flags, sizeof(*flags)) || !user_wsa_io(bufs, count, received, ov) ||
        !user_addr_out(from, fromlen))
        return bad_memory(s);
    if (ov)
        return overlapped(s, false, bufs, count, received, *flags, NULL, 0, from, fromlen, ov, routine);
    if (!received)
        return bad_memory(s);
    int f = (int)*flags;
    int r = ws2_recv(s, (const struct ws2_buf *)bufs, count, &f, from, fromlen);
    if (r < 0)
        return result(r);
    *received = (DWORD)r;
    *flags = (DWORD)f;
    return result(0);
}

W2U_EXPORT int WINAPI WSASend(SOCKET s, LPWSABUF bufs, DWORD count, LPDWORD sent, DWORD flags,
                              LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE routine)
{
    return wsa_send(s, bufs, count, sent, flags, NULL, 0, ov, routine);
}

W2U_EXPORT int WINAPI WSASendTo(SOCKET s, LPWSABUF bufs, DWORD count, LPDWORD sent, DWORD flags,
                                const struct sockaddr *to, int tolen, LPWSAOVERLAPPED ov,
                                LPWSAOVERLAPPED_COMPLETION_ROUTINE routine)
{
    return wsa_send(s, bufs, count, sent, flags, to, tolen, ov, routine);
}

W2U_EXPORT int WINAPI WSARecv(SOCKET s, LPWSABUF bufs, DWORD count, LPDWORD received,
                              LPDWORD flags, LPWSAOVERLAPPED ov,
                              LPWSAOVERLAPPED_COMPLETION_ROUTINE routine)
{
    return wsa_recv(s, bufs, count, received, flags, NULL, NULL, ov, routine);
}

W2U_EXPORT int WINAPI WSARecvFrom(SOCKET s, LPWSABUF bufs, DWORD count, LPDWORD received,
                                  LPDWORD flags, struct sockaddr *from, LPINT fromlen,
                                  LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE routine)
{
    return wsa_recv(s, bufs, count, received, flags, from, fromlen, ov, routine);
}

/* ---- byte order (Wine's headers inline these; PE programs import them) ------ */

WRAPPED(u_long, htonl, (u_long v))
{
    return __builtin_bswap32((uint32_t)v);
}

WRAPPED(u_short, htons, (u_short v))
{
    return __builtin_bswap16(v);
}

WRAPPED(u_long, ntohl, (u_long v))
{
    return __builtin_bswap32((uint32_t)v);
}

WRAPPED(u_short, ntohs, (u_short v))
{
    return __builtin_bswap16(v);
}

/* ---- readiness ------------------------------------------------------------------------ */

/* Windows' fd_set is { count; SOCKET array[count] } of any FD_SETSIZE the
 * program chose: only fd_count entries are read or written. */
struct any_fd_set {
    u_int fd_count;
    SOCKET fd_array[];
};

#define SELECT_STACK 192

/* Adds s to set unless it is there: 1 if added. */
static int add_to_set(struct any_fd_set *set, SOCKET s)
{
    for (u_int i = 0; i < set->fd_count; i++)
        if (set->fd_array[i] == s)
            return 0;
    set->fd_array[set->fd_count++] = s;
    return 1;
}

/* Writes select's result as Windows does: the sets may be one and the same
 * (so all are emptied first), a socket is in a set once, and the result
 * counts the additions.  A socket closed during the wait is readable if
 * the read set asked for it; anywhere else it fails the call
 * (WSAENOTSOCK). */
static int select_output(struct any_fd_set *sets[3], const struct ws2_poll_entry *e, unsigned n)
{
    static const uint16_t kinds[3] = { W2U_SEL_READ, W2U_SEL_WRITE, W2U_SEL_EXCEPT };
    int added = 0, r = 0;
    for (int k = 0; k < 3; k++)
        if (sets[k])
            sets[k]->fd_count = 0;
    for (unsigned j = 0; j < n; j++) {
        int k = e[j].events == W2U_SEL_READ ? 0 : e[j].events == W2U_SEL_WRITE ? 1 : 2;
        if (e[j].revents & W2U_SEL_CLOSED) {
            bool asked_read = false;     /* (rare: a scan of the entries is fine) */
            for (unsigned i = 0; i < n && !asked_read; i++)
                asked_read = e[i].events == W2U_SEL_READ && e[i].socket == e[j].socket;
            if (asked_read)
                added += add_to_set(sets[0], (SOCKET)e[j].socket);
            else
                r = -W2U_WSAENOTSOCK;
        } else if (e[j].revents & kinds[k]) {
            added += add_to_set(sets[k], (SOCKET)e[j].socket);
        }
    }
    return r < 0 ? r : added;
}

WRAPPED(int, select, (int nfds, fd_set *rd, fd_set *wr, fd_set *ex, const struct timeval *timeout))
{
    struct any_fd_set *sets[3] = { (struct any_fd_set *)rd, (struct any_fd_set *)wr,
                                   (struct any_fd_set *)ex };
    static const uint16_t kinds[3] = { W2U_SEL_READ, W2U_SEL_WRITE, W2U_SEL_EXCEPT };
    struct ws2_poll_entry stack[SELECT_STACK], *e = stack;
    unsigned n = 0;

    (void)nfds;      /* ignored by Windows */
    for (int k = 0; k < 3; k++) {
        /* Each set is read, then written. */
        if (!user_out(sets[k], sizeof(u_int)) ||
            (sets[k] && !user_out(sets[k], sizeof(u_int) + sets[k]->fd_count * sizeof(SOCKET))))
            return result(-W2U_WSAEFAULT);
        if (sets[k])
            n += sets[k]->fd_count;
    }
    if (!user_in(timeout, sizeof(*timeout)))
        return result(-W2U_WSAEFAULT);
    /* No socket at all: Windows refuses, it is not a sleep. */
    if (n == 0)
        return result(ws2_check_started() < 0 ? -W2U_WSANOTINITIALISED : -W2U_WSAEINVAL);
    if (timeout && (timeout->tv_sec < 0 || timeout->tv_usec < 0))
        return result(-W2U_WSAEINVAL);
    if (n > SELECT_STACK && !(e = malloc(n * sizeof(*e))))
        return result(-W2U_WSAENOBUFS);
    n = 0;
    for (int k = 0; k < 3; k++)
        for (u_int i = 0; sets[k] && i < sets[k]->fd_count; i++)
            e[n++] = (struct ws2_poll_entry){ .socket = sets[k]->fd_array[i], .events = kinds[k] };

    int64_t deadline = W2U_FOREVER;
    if (timeout)
        deadline = (timeout->tv_sec == 0 && timeout->tv_usec == 0) ? 0 :
                   w2u_now_ns() + (int64_t)timeout->tv_sec * 1000000000 + (int64_t)timeout->tv_usec * 1000;
    int r = ws2_poll(e, n, deadline, true);
    if (r >= 0)
        r = select_output(sets, e, n);
    if (e != stack)
        free(e);
    return result(r);
}

W2U_EXPORT int WINAPI __WSAFDIsSet(SOCKET s, fd_set *set)
{
    const struct any_fd_set *fs = (const struct any_fd_set *)set;
    for (u_int i = 0; fs && i < fs->fd_count; i++)
        if (fs->fd_array[i] == s)
            return 1;
    return 0;
}

W2U_EXPORT int WINAPI WSAPoll(WSAPOLLFD *fds, ULONG count, int timeout)
{
    struct ws2_poll_entry stack[SELECT_STACK], *e = stack;

    if (ws2_check_started() < 0)
        return result(-W2U_WSANOTINITIALISED);
    if (!count)
        return result(-W2U_WSAEINVAL);
    if (!fds || !user_out(fds, (size_t)count * sizeof(*fds)))
        return result(-W2U_WSAEFAULT);
    if (count > SELECT_STACK && !(e = malloc(count * sizeof(*e))))
        return result(-W2U_WSAENOBUFS);
    for (ULONG i = 0; i < count; i++)
        e[i] = (struct ws2_poll_entry){ .socket = fds[i].fd, .events = (uint16_t)fds[i].events };
    int64_t deadline = timeout < 0 ? W2U_FOREVER : timeout == 0 ? 0 : w2u_deadline_ms((uint32_t)timeout);
    int r = ws2_poll(e, count, deadline, false);
    /* These two failures write revents too (see ws2_poll). */
    if (r >= 0 || r == -W2U_WSAENOTSOCK || r == -W2U_WSAEINVAL)
        for (ULONG i = 0; i < count; i++)
            fds[i].revents = (SHORT)e[i].revents;
    if (e != stack)
        free(e);
    return result(r);
}

/* ---- WSA events and WSAEventSelect ------------------------------------------------------------ */

_Static_assert(FD_READ == W2U_FD_READ && FD_WRITE == W2U_FD_WRITE && FD_OOB == W2U_FD_OOB &&
               FD_ACCEPT == W2U_FD_ACCEPT && FD_CONNECT == W2U_FD_CONNECT &&
               FD_CLOSE == W2U_FD_CLOSE && FD_MAX_EVENTS == W2U_FD_MAX_EVENTS, "FD_*");
_Static_assert(WSA_MAXIMUM_WAIT_EVENTS == IOCP_MAX_WAIT, "wait limit");

W2U_EXPORT WSAEVENT WINAPI WSACreateEvent(void)
{
    uintptr_t h;
    uint32_t status = iocp_event_create(true, false, &h);   /* manual reset, not set */
    if (status != W2U_STATUS_SUCCESS) {
        w2u_set_error(WSA_NOT_ENOUGH_MEMORY);
        return WSA_INVALID_EVENT;
    }
    return (WSAEVENT)h;
}

static BOOL event_result(uint32_t status)
{
    if (status == W2U_STATUS_SUCCESS)
        return TRUE;
    w2u_set_error(WSA_INVALID_HANDLE);
    return FALSE;
}

W2U_EXPORT BOOL WINAPI WSASetEvent(WSAEVENT e)
{
    return event_result(iocp_event_set((uintptr_t)e));
}

W2U_EXPORT BOOL WINAPI WSAResetEvent(WSAEVENT e)
{
    return event_result(iocp_event_reset((uintptr_t)e));
}

W2U_EXPORT BOOL WINAPI WSACloseEvent(WSAEVENT e)
{
    return event_result(iocp_event_close((uintptr_t)e));
}

W2U_EXPORT DWORD WINAPI WSAWaitForMultipleEvents(DWORD count, const WSAEVENT *events, BOOL all,
                                                 DWORD timeout, BOOL alertable)
{
    uintptr_t handles[IOCP_MAX_WAIT];
    unsigned index;
    if (!count || count > WSA_MAXIMUM_WAIT_EVENTS || !events) {
        w2u_set_error(WSA_INVALID_PARAMETER);
        return WSA_WAIT_FAILED;
    }
    for (DWORD i = 0; i < count; i++)
        handles[i] = (uintptr_t)events[i];
    int64_t deadline = timeout == 0 ? 0 : w2u_deadline_ms(timeout);
    switch (iocp_event_wait_many(handles, count, all != 0, deadline, alertable != 0, &index)) {
    case W2U_STATUS_SUCCESS:  return WSA_WAIT_EVENT_0 + index;
    case W2U_STATUS_TIMEOUT:  return WSA_WAIT_TIMEOUT;
    case W2U_STATUS_USER_APC: return WSA_WAIT_IO_COMPLETION;
    case W2U_STATUS_INVALID_PARAMETER:
        w2u_set_error(WSA_INVALID_PARAMETER);
        return WSA_WAIT_FAILED;
    default:
        w2u_set_error(WSA_INVALID_HANDLE);
        return WSA_WAIT_FAILED;
    }
}

W2U_EXPORT int WINAPI WSAEventSelect(SOCKET s, WSAEVENT event, LONG events)
{
    return result(ws2_event_select(s, (uintptr_t)event, (uint32_t)events));
}

W2U_EXPORT int WINAPI WSAEnumNetworkEvents(SOCKET s, WSAEVENT event, LPWSANETWORKEVENTS out)
{
    struct ws2_network_events ne;
    /* Checked before the events are taken: a bad record loses none. */
    if (!user_out(out, sizeof(*out)))
        return bad_memory(s);
    int r = ws2_enum_network_events(s, (uintptr_t)event, out ? &ne : NULL);
    if (r >= 0 && out) {
        /* Only the reported events' codes are written, as Windows does. */
        out->lNetworkEvents = (LONG)ne.events;
        for (int i = 0; i < FD_MAX_EVENTS; i++)
            if (ne.events & (1u << i))
                out->iErrorCode[i] = ne.errors[i];
    }
    return result(r);
}

/* ---- WSAAccept, WSAConnect and smaller Winsock 2 calls ---------------------------------------- */

WSAAPI_EXPORT SOCKET WINAPI WSAAccept(SOCKET s, struct sockaddr *addr, LPINT len,
                                   LPCONDITIONPROC condition, DWORD_PTR data)
{
    uintptr_t ns = 0;
    struct sockaddr_storage peer, local;
    int pl = sizeof(peer), ll = sizeof(local);

    if (!user_addr_out(addr, len)) {
        bad_memory(s);
        return INVALID_SOCKET;
    }
    int r = ws2_accept(s, (struct sockaddr *)&peer, &pl, &ns);
    if (r < 0)
        return socket_result(r, 0);
    if (condition) {
        WSABUF caller = { (ULONG)pl, (char *)&peer }, callee = { 0, (char *)&local };
        GROUP g = 0;
        if (ws2_getsockname(ns, &local, &ll) == 0)
            callee.len = (ULONG)ll;
        switch (condition(&caller, NULL, NULL, NULL, &callee, NULL, &g, data)) {
        case CF_ACCEPT:
            break;
        case CF_DEFER:
            /* The connection waits for the next accept or WSAAccept, with
             * or without SO_CONDITIONAL_ACCEPT (Wine's sock.c test_accept
             * records Windows). */
            if (ws2_accept_defer(s, ns) == 0)
                return socket_result(-WSATRY_AGAIN, 0);
            __attribute__((fallthrough));
        default:
            ws2_close(ns);
            return socket_result(-W2U_WSAEINVAL, 0);
        case CF_REJECT: {
            /* The peer sees a reset, the caller a refused connection. */
            struct linger abortive = { 1, 0 };
            ws2_setsockopt(ns, SOL_SOCKET, SO_LINGER, &abortive, sizeof(abortive));
            ws2_close(ns);
            return socket_result(-W2U_WSAECONNREFUSED, 0);
        }
        }
    }
    if (addr) {
        if (!len || *len < pl) {
            ws2_close(ns);
            return socket_result(-W2U_WSAEFAULT, 0);
        }
        memcpy(addr, &peer, (size_t)pl);
        *len = pl;
    }
    return socket_result(0, ns);
}

WSAAPI_EXPORT int WINAPI WSAConnect(SOCKET s, const struct sockaddr *addr, int len, LPWSABUF caller,
                                 LPWSABUF callee, LPQOS sqos, LPQOS gqos)
{
    /* TCP/IP carries no connect data and no QOS (no XP1_CONNECT_DATA,
     * XP1_QOS_SUPPORTED in the catalog). */
    if (!user_addr_in(addr, len) || !user_in(caller, sizeof(*caller)) || !user_out(callee, sizeof(*callee)))
        return bad_memory(s);
    if ((caller && caller->len) || sqos || gqos)
        return result(-W2U_WSAEOPNOTSUPP);
    int r = ws2_connect(s, addr, len);
    if (r >= 0 && callee)
        callee->len = 0;
    return result(r);
}

static int byte_order(SOCKET s, void *out)
{
    const struct ws2_catalog_entry *e;
    int r = ws2_socket_entry(s, &e);
    if (r == 0 && !out)
        r = -W2U_WSAEFAULT;
    return r;
}

WSAAPI_EXPORT int WINAPI WSAHtonl(SOCKET s, u_long v, u_long *out)
{
    int r = byte_order(s, out);
    if (r == 0)
        *out = __builtin_bswap32((uint32_t)v);
    return result(r);
}

/* Network to host is the same swap as host to network. */
WSAAPI_EXPORT int WINAPI WSANtohl(SOCKET s, u_long v, u_long *out)
{
    return WSAHtonl(s, v, out);
}

WSAAPI_EXPORT int WINAPI WSAHtons(SOCKET s, u_short v, u_short *out)
{
    int r = byte_order(s, out);
    if (r == 0)
        *out = __builtin_bswap16(v);
    return result(r);
}

WSAAPI_EXPORT int WINAPI WSANtohs(SOCKET s, u_short v, u_short *out)
{
    return WSAHtons(s, v, out);
}

WSAAPI_EXPORT int WINAPI WSASendDisconnect(SOCKET s, LPWSABUF data)
{
    if (data && data->len)
        return result(-W2U_WSAEOPNOTSUPP);   /* no disconnect data on TCP/IP */
    return result(ws2_shutdown(s, SD_SEND));
}

WSAAPI_EXPORT int WINAPI WSARecvDisconnect(SOCKET s, LPWSABUF data)
{
    int r = ws2_shutdown(s, SD_RECEIVE);
    if (r >= 0 && data)
        data->len = 0;
    return result(r);
}

/* Winsock 1's blocking hooks: Winsock 2 removed them, and answers so. */
WSAAPI_EXPORT BOOL WINAPI WSAIsBlocking(void)
{
    return FALSE;
}

WSAAPI_EXPORT int WINAPI WSACancelBlockingCall(void)
{
    return result(-W2U_WSAEOPNOTSUPP);
}

WSAAPI_EXPORT FARPROC WINAPI WSASetBlockingHook(FARPROC hook)
{
    (void)hook;
    w2u_set_error(WSAEOPNOTSUPP);
    return NULL;
}

WSAAPI_EXPORT int WINAPI WSAUnhookBlockingHook(void)
{
    return result(-W2U_WSAEOPNOTSUPP);
}

/* ---- WSARecvMsg, WSASendMsg, WSARecvEx ------------------------------------------------------ */

_Static_assert(MSG_TRUNC == W2U_MSG_TRUNC && MSG_CTRUNC == W2U_MSG_CTRUNC &&
               MSG_BCAST == W2U_MSG_BCAST && MSG_MCAST == W2U_MSG_MCAST, "MSG_* out flags");
_Static_assert(sizeof(WSACMSGHDR) == 16, "WSACMSGHDR is cmsg.c's layout");

static struct ws2_msg msg_of(const WSAMSG *msg)
{
    return (struct ws2_msg){ msg->name, msg->namelen, (const struct ws2_buf *)msg->lpBuffers,
                             msg->dwBufferCount, msg->Control.buf, msg->Control.len };
}

static bool msg_valid(const WSAMSG *msg)
{
    return msg && !(msg->Control.len && !msg->Control.buf) && !(msg->namelen && !msg->name);
}

/* Reached through SIO_GET_EXTENSION_FUNCTION_POINTER (ioctl_win32.c).  An
 * overlapped receive writes Control.len, namelen and dwFlags into *msg at
 * completion, so the WSAMSG must live until then, as on Windows. */
INT WINAPI ws2_win32_recv_msg(SOCKET s, WSAMSG *msg, DWORD *received, WSAOVERLAPPED *ov,
                              LPWSAOVERLAPPED_COMPLETION_ROUTINE routine)
{
    if (!user_msg(msg, true) || !user_out(received, sizeof(*received)) || !user_out(ov, sizeof(*ov)))
        return bad_memory(s);
    if (!msg_valid(msg))
        return result(-W2U_WSAEFAULT);
    if (ov) {
        struct ws2_overlapped_op op = {
            .bufs = (const struct ws2_buf *)msg->lpBuffers, .count = msg->dwBufferCount,
            .flags = (int)msg->dwFlags, .from = msg->name, .fromlen = msg->name ? &msg->namelen : NULL,
            .ov = (struct iocp_overlapped *)ov, .routine = (w2u_completion_routine)routine,
            .control = msg->Control.buf, .control_len = msg->Control.len,
            .control_out = (uint32_t *)&msg->Control.len, .msg_flags = (uint32_t *)&msg->dwFlags,
        };
        return overlapped_op(s, &op, received);
    }
    if (!received)
        return result(-W2U_WSAEFAULT);
    struct ws2_msg m = msg_of(msg);
    uint32_t flags = msg->dwFlags;
    int r = ws2_recv_msg(s, &m, &msg->namelen, (uint32_t *)&msg->Control.len, &flags);
    msg->dwFlags = flags;
    if (r < 0)
        return result(r);
    *received = (DWORD)r;
    return result(0);
}

W2U_EXPORT INT WINAPI WSASendMsg(SOCKET s, WSAMSG *msg, DWORD flags, DWORD *sent, WSAOVERLAPPED *ov,
                                 LPWSAOVERLAPPED_COMPLETION_ROUTINE routine)
{
    if (!user_msg(msg, false) || !user_out(sent, sizeof(*sent)) || !user_out(ov, sizeof(*ov)))
        return bad_memory(s);
    if (!msg_valid(msg))
        return result(-W2U_WSAEFAULT);
    if (ov) {
        struct ws2_overlapped_op op = {
            .send = true, .bufs = (const struct ws2_buf *)msg->lpBuffers,
            .count = msg->dwBufferCount, .flags = (int)flags, .addr = msg->name,
            .addrlen = msg->namelen, .ov = (struct iocp_overlapped *)ov,
            .routine = (w2u_completion_routine)routine,
            .control = msg->Control.buf, .control_len = msg->Control.len,
        };
        return overlapped_op(s, &op, sent);
    }
    if (!sent)
        return bad_memory(s);
    struct ws2_msg m = msg_of(msg);
    int r = ws2_send_msg(s, &m, (int)flags);
    if (r < 0)
        return result(r);
    *sent = (DWORD)r;
    return result(0);
}

/* recv that reports a datagram cut short with MSG_PARTIAL and the bytes
 * that fit, instead of WSAEMSGSIZE. */
W2U_EXPORT INT WINAPI WSARecvEx(SOCKET s, char *buf, INT len, INT *flags)
{
    if (!flags || len < 0)
        return result(-W2U_WSAEFAULT);
    struct ws2_buf b = { (uint32_t)len, buf };
    struct ws2_msg m = { NULL, 0, &b, 1, NULL, 0 };
    uint32_t out = (uint32_t)*flags;
    int r = ws2_recv_msg(s, &m, NULL, NULL, &out);
    if (r == -W2U_WSAEMSGSIZE && (out & W2U_MSG_TRUNC)) {
        *flags = MSG_PARTIAL;
        return result(len);
    }
    if (r >= 0)
        *flags = 0;
    return result(r);
}
