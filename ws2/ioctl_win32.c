/* WSAIoctl, with and without an OVERLAPPED, and the Microsoft extension
 * functions it hands out (AcceptEx, ConnectEx, ...: overlapped.c). */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <mstcpip.h>
#include <stdlib.h>
#include <string.h>

#include "ws2.h"
#include "ws2_resolve.h"
#include "ws2_win32.h"

_Static_assert(TF_REUSE_SOCKET == W2U_TF_REUSE_SOCKET, "TF_REUSE_SOCKET");
_Static_assert(SO_UPDATE_ACCEPT_CONTEXT == W2U_SO_UPDATE_ACCEPT_CONTEXT &&
               SO_UPDATE_CONNECT_CONTEXT == W2U_SO_UPDATE_CONNECT_CONTEXT &&
               SO_CONNECT_TIME == W2U_SO_CONNECT_TIME, "SO_*_CONTEXT");

/* BOOL-returning extension calls: TRUE when done at once, else FALSE with
 * ERROR_IO_PENDING or the error. */
static BOOL ext_result(int r)
{
    return ws2_result(r) == 0;
}

W2U_EXPORT BOOL WINAPI AcceptEx(SOCKET l, SOCKET a, void *buf, DWORD data, DWORD local, DWORD remote,
                                DWORD *received, OVERLAPPED *ov)
{
    (void)received;      /* only set by a synchronous completion, which AcceptEx never is */
    /* The buffer takes the first data (the kernel's to write, or the
     * host's: a write-watched page) and both addresses (ws2uring's). */
    if ((buf && !user_out((char *)buf + data, (size_t)local + remote)) || !user_out(received, sizeof(*received)) ||
        !user_out(ov, sizeof(*ov)))
        return ext_result(user_fault(l));
    return ext_result(ws2_accept_ex(l, a, buf, data, local, remote, (struct iocp_overlapped *)ov));
}
W2U_EXPORT void WINAPI GetAcceptExSockaddrs(void *buf, DWORD data, DWORD local, DWORD remote,
                                            struct sockaddr **la, int *ll, struct sockaddr **ra, int *rl)
{
    /* Nothing to report a bad pointer with: nothing is written. */
    if (!user_in(buf, (size_t)data + local + remote) || !user_out(la, sizeof(*la)) || !user_out(ll, sizeof(*ll)) ||
        !user_out(ra, sizeof(*ra)) || !user_out(rl, sizeof(*rl)))
        return;
    ws2_accept_addresses(buf, data, local, (void **)la, ll, (void **)ra, rl);
}
static BOOL WINAPI connect_ex(SOCKET s, const struct sockaddr *name, int len, void *buf, DWORD n,
                              DWORD *sent, OVERLAPPED *ov)
{
    (void)sent;          /* set only when it completes at once, which it never does */
    if (!user_addr_in(name, len) || !user_in(buf, n) || !user_out(sent, sizeof(*sent)) || !user_out(ov, sizeof(*ov)))
        return ext_result(user_fault(s));
    return ext_result(ws2_connect_ex(s, name, len, buf, n, (struct iocp_overlapped *)ov));
}
static BOOL WINAPI disconnect_ex(SOCKET s, OVERLAPPED *ov, DWORD flags, DWORD reserved)
{
    if (reserved)
        return ext_result(-W2U_WSAEINVAL);
    if (!user_out(ov, sizeof(*ov)))
        return ext_result(user_fault(s));
    return ext_result(ws2_disconnect_ex(s, flags, (struct iocp_overlapped *)ov));
}

/* Without an OVERLAPPED TransmitFile/TransmitPackets block until the end
 * (ws2_transmit_sync: nothing reaches the socket's port). */
static BOOL transmit(SOCKET s, const struct ws2_tx_element *els, unsigned n, DWORD per_send, DWORD flags,
                     OVERLAPPED *ov)
{
    if (ov)
        return ext_result(ws2_transmit(s, els, n, per_send, flags, (struct iocp_overlapped *)ov));
    return ext_result(ws2_transmit_sync(s, els, n, per_send, flags));
}

/* The file's current position (where a blocking TransmitFile starts, and
 * a TransmitPackets element with offset -1); it is not advanced. */
static bool file_position(HANDLE file, uint64_t *at)
{
    return ws2_file_position((uintptr_t)file, at) == 0;
}

W2U_EXPORT BOOL WINAPI TransmitFile(SOCKET s, HANDLE file, DWORD bytes, DWORD per_send, OVERLAPPED *ov,
                                    TRANSMIT_FILE_BUFFERS *bufs, DWORD flags)
{
    if (!user_in(bufs, sizeof(*bufs)) || !user_out(ov, sizeof(*ov)) ||
        (bufs && (!user_in(bufs->Head, bufs->HeadLength) || !user_in(bufs->Tail, bufs->TailLength))))
        return ext_result(user_fault(s));
    struct ws2_tx_element els[3] = {
        { .buf = bufs ? bufs->Head : NULL, .len = bufs ? bufs->HeadLength : 0 },
        { .len = file ? bytes : 0, .file = (uintptr_t)file },   /* no file: an empty buffer */
        { .buf = bufs ? bufs->Tail : NULL, .len = bufs ? bufs->TailLength : 0 },
    };
    if (ov)
        els[1].offset = (uint64_t)ov->OffsetHigh << 32 | ov->Offset;
    else if (file && !file_position(file, &els[1].offset))
        return ext_result(-W2U_WSAEINVAL);
    return transmit(s, els, 3, per_send, flags, ov);
}

static BOOL WINAPI transmit_packets(SOCKET s, TRANSMIT_PACKETS_ELEMENT *el, DWORD n, DWORD per_send,
                                    OVERLAPPED *ov, DWORD flags)
{
    if (n && !el)
        return ext_result(-W2U_WSAEFAULT);
    if (n > 4096)
        return ext_result(-W2U_WSAEINVAL);
    if (!user_in(el, (size_t)n * sizeof(*el)) || !user_out(ov, sizeof(*ov)))
        return ext_result(user_fault(s));
    struct ws2_tx_element *els = calloc(n ? n : 1, sizeof(*els));
    if (!els)
        return ext_result(-W2U_WSAENOBUFS);
    int bad = 0;
    for (DWORD i = 0; i < n && !bad; i++) {
        DWORD kind = el[i].dwElFlags & (TP_ELEMENT_MEMORY | TP_ELEMENT_FILE);
        els[i].len = el[i].cLength;
        els[i].eop = (el[i].dwElFlags & TP_ELEMENT_EOP) != 0;
        if (kind == TP_ELEMENT_MEMORY) {
            els[i].buf = el[i].pBuffer;
        } else if (kind == TP_ELEMENT_FILE && el[i].hFile) {
            els[i].file = (uintptr_t)el[i].hFile;
            els[i].offset = (uint64_t)el[i].nFileOffset.QuadPart;
            if (el[i].nFileOffset.QuadPart == -1 && !file_position(el[i].hFile, &els[i].offset))
                bad = 1;
        } else {
            bad = 1;                     /* neither, or both */
        }
    }
    BOOL ok = bad ? ext_result(-W2U_WSAEINVAL) : transmit(s, els, n, per_send, flags, ov);
    free(els);
    return ok;
}

static const struct {
    GUID guid;
    void *fn;
} extensions[] = {
    { WSAID_ACCEPTEX, (void *)AcceptEx },
    { WSAID_CONNECTEX, (void *)connect_ex },
    { WSAID_DISCONNECTEX, (void *)disconnect_ex },
    { WSAID_GETACCEPTEXSOCKADDRS, (void *)GetAcceptExSockaddrs },
    { WSAID_TRANSMITFILE, (void *)TransmitFile },
    { WSAID_TRANSMITPACKETS, (void *)transmit_packets },
    { WSAID_WSARECVMSG, (void *)ws2_win32_recv_msg },
    { WSAID_WSASENDMSG, (void *)WSASendMsg },
};

/* ---- WSAIoctl ------------------------------------------------------------------------------
 * Each code is answered inside the call by a handler below.  What an
 * OVERLAPPED changes is Windows' (Wine's sock.c tests pin it there):
 *   NOW     the answer, its size, and a completion of 0 bytes (a refusal
 *           is an error and completes nothing);
 *   ASYNC   ERROR_IO_PENDING, the size left alone; the completion carries
 *           the status and the bytes (SIO_GET_INTERFACE_LIST);
 *   PARK    ERROR_IO_PENDING until cancelled (a change notification);
 *   REFUSE  ERROR_IO_PENDING, then a completion with STATUS_NOT_SUPPORTED
 *           (unknown codes, and SIO_BASE_HANDLE, which only the
 *           synchronous call answers).
 * A handler sets *size when Windows writes the size (NOT_WRITTEN: left
 * alone), including on some failures. */
enum ioctl_mode { NOW, ASYNC, PARK, REFUSE };
#define NOT_WRITTEN 0xffffffffu

struct ioctl_call {
    SOCKET s;
    const struct ws2_catalog_entry *entry;
    void *in, *out;
    DWORD inlen, outlen;
    bool overlapped;
};

/* The input holds n bytes the code reads / the output has room for n
 * bytes it writes, in memory the program can give: each code checks only
 * what it uses (FIONBIO ignores an unusable output, as Windows does). */
static bool in_ok(const struct ioctl_call *c, size_t n)
{
    return c->in && c->inlen >= n && w2u_user_readable(c->in, n);
}

static bool out_ok(const struct ioctl_call *c, size_t n)
{
    return c->out && c->outlen >= n && w2u_user_writable(c->out, n);
}

static int ioctl_mode_bits(const struct ioctl_call *c, DWORD code, uint32_t *size)
{
    uint32_t v = 0;
    int r;
    if (code == FIONBIO) {
        if (!in_ok(c, sizeof(u_long)))
            return -W2U_WSAEFAULT;
        v = (uint32_t)*(u_long *)c->in;
    } else if (!out_ok(c, sizeof(u_long))) {
        return -W2U_WSAEFAULT;
    }
    r = ws2_ioctl(c->s, code, &v);
    if (r < 0) {
        *size = 0;
        return r;
    }
    if (code != FIONBIO)
        *(u_long *)c->out = v;
    *size = code == FIONBIO ? 0 : sizeof(u_long);
    return 0;
}

static int ioctl_keepalive(const struct ioctl_call *c, uint32_t *size)
{
    struct tcp_keepalive ka;
    /* A short buffer: the size is 0, but with an OVERLAPPED left alone. */
    if (!in_ok(c, sizeof(ka))) {
        if (!c->overlapped)
            *size = 0;
        return -W2U_WSAEFAULT;
    }
    *size = 0;
    memcpy(&ka, c->in, sizeof(ka));
    int on = ka.onoff != 0;
    /* Windows gives milliseconds; Linux keeps whole seconds (at least 1). */
    int idle = (int)((ka.keepalivetime + 999) / 1000), intvl = (int)((ka.keepaliveinterval + 999) / 1000);
    int r = ws2_setsockopt(c->s, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
    if (r == 0 && on) {
        idle = idle < 1 ? 1 : idle;
        intvl = intvl < 1 ? 1 : intvl;
        if ((r = ws2_setsockopt(c->s, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle))) == 0)
            r = ws2_setsockopt(c->s, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
    }
    return r;
}

/* SOCKET_ADDRESS_LIST with the addresses after the array, in one buffer:
 * the size needed is reported with WSAEFAULT when it does not fit. */
static int ioctl_address_list(const struct ioctl_call *c, uint32_t *size)
{
    unsigned char addrs[32][28];
    int lens[32];
    unsigned n = ws2_interface_addresses(c->entry->af, addrs, lens, 32);
    size_t need = offsetof(SOCKET_ADDRESS_LIST, Address) + n * sizeof(SOCKET_ADDRESS);
    size_t at = need;
    for (unsigned i = 0; i < n; i++)
        need += (size_t)lens[i];
    if (c->outlen && c->outlen < sizeof(INT)) {
        *size = 0;                     /* not even the count fits */
        return -W2U_WSAEINVAL;
    }
    *size = (uint32_t)need;
    if (!out_ok(c, need))
        return -W2U_WSAEFAULT;
    SOCKET_ADDRESS_LIST *list = c->out;
    list->iAddressCount = (INT)n;
    for (unsigned i = 0; i < n; i++) {
        list->Address[i].lpSockaddr = (struct sockaddr *)((char *)c->out + at);
        list->Address[i].iSockaddrLength = lens[i];
        memcpy((char *)c->out + at, addrs[i], (size_t)lens[i]);
        at += (size_t)lens[i];
    }
    return 0;
}

static int ioctl_extension(const struct ioctl_call *c, uint32_t *size)
{
    if (!in_ok(c, sizeof(GUID)) || !out_ok(c, sizeof(void *)))
        return -W2U_WSAEFAULT;
    for (size_t i = 0; i < sizeof(extensions) / sizeof(extensions[0]); i++) {
        if (!memcmp(c->in, &extensions[i].guid, sizeof(GUID))) {
            memcpy(c->out, &extensions[i].fn, sizeof(void *));
            *size = sizeof(void *);
            return 0;
        }
    }
    return -W2U_WSAEINVAL;
}

/* ws2uring is the base provider: no layered provider in between. */
static int ioctl_base_handle(const struct ioctl_call *c, uint32_t *size)
{
    if (!out_ok(c, sizeof(SOCKET)))
        return -W2U_WSAEFAULT;
    *(SOCKET *)c->out = c->s;
    *size = sizeof(SOCKET);
    return 0;
}

/* INTERFACE_INFO for each IPv4 interface that is up; all must fit. */
static int ioctl_interface_list(const struct ioctl_call *c, uint32_t *size)
{
    struct ws2_iface4 ifs[64];
    unsigned n = ws2_interfaces4(ifs, 64);
    if (!out_ok(c, n * sizeof(INTERFACE_INFO))) {
        *size = 0;
        return -W2U_WSAEFAULT;
    }
    INTERFACE_INFO *info = c->out;
    memset(info, 0, n * sizeof(*info));
    for (unsigned i = 0; i < n; i++) {
        info[i].iiFlags = ifs[i].flags;
        info[i].iiAddress.AddressIn.sin_family = AF_INET;
        info[i].iiAddress.AddressIn.sin_addr.s_addr = ifs[i].addr;
        info[i].iiNetmask.AddressIn.sin_family = AF_INET;
        info[i].iiNetmask.AddressIn.sin_addr.s_addr = ifs[i].mask;
        if (ifs[i].flags & W2U_IFF_BROADCAST) {
            info[i].iiBroadcastAddress.AddressIn.sin_family = AF_INET;
            info[i].iiBroadcastAddress.AddressIn.sin_addr.s_addr = ifs[i].broadcast;
        }
    }
    *size = n * sizeof(INTERFACE_INFO);
    return 0;
}

static int ioctl_route(const struct ioctl_call *c, uint32_t *size)
{
    const struct sockaddr_in *to = c->in;
    if (!to || c->inlen < sizeof(struct sockaddr_in))
        return -W2U_WSAEINVAL;
    if (!in_ok(c, c->inlen < sizeof(struct sockaddr_in6) ? c->inlen : sizeof(struct sockaddr_in6)))
        return -W2U_WSAEFAULT;
    if (to->sin_family != AF_INET && to->sin_family != AF_INET6)
        return -W2U_WSAEAFNOSUPPORT;
    /* The unspecified address has no route (Windows: WSAEINVAL). */
    static const unsigned char any6[16];
    if (to->sin_family == AF_INET ? !to->sin_addr.s_addr
                                  : c->inlen >= sizeof(struct sockaddr_in6) &&
                                        !memcmp(&((const struct sockaddr_in6 *)to)->sin6_addr, any6, 16))
        return -W2U_WSAEINVAL;
    struct sockaddr_storage from;
    int fl = sizeof(from);
    int r = ws2_route_source(c->in, (int)c->inlen, &from, &fl);
    if (r < 0)
        return r;
    if (!c->out)
        return -W2U_WSAEFAULT;
    *size = (uint32_t)fl;                 /* told even when it does not fit */
    if (!out_ok(c, (size_t)fl))
        return -W2U_WSAEFAULT;
    memcpy(c->out, &from, (size_t)fl);
    return 0;
}

static int ioctl_backlog(const struct ioctl_call *c, uint32_t *size)
{
    struct sockaddr_storage peer;
    int pl = sizeof(peer);
    if (c->entry->type != SOCK_STREAM)
        return -W2U_WSAEOPNOTSUPP;
    if (!out_ok(c, sizeof(ULONG)))
        return -W2U_WSAEFAULT;
    int r = ws2_getpeername(c->s, &peer, &pl);
    if (r < 0)
        return r;
    /* What Windows answers on loopback: 64 KiB. */
    *(ULONG *)c->out = 0x10000;
    *size = sizeof(ULONG);
    return 0;
}

/* Without an OVERLAPPED a change notification blocks until the change (on
 * a non-blocking socket: WSAEWOULDBLOCK): ws2uring watches none, so it
 * waits for the socket's close. */
static int ioctl_wait_change(const struct ioctl_call *c)
{
    int r = ws2_is_nonblocking(c->s);
    if (r != 0)
        return r < 0 ? r : -W2U_WSAEWOULDBLOCK;
    OVERLAPPED own = { 0 };
    HANDLE ev = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (!ev)
        return -W2U_WSAENOBUFS;
    own.hEvent = (HANDLE)((uintptr_t)ev | 1);
    r = ws2_park(c->s, (struct iocp_overlapped *)&own, NULL);
    if (r == -W2U_WSA_IO_PENDING) {
        DWORD bytes;
        r = WSAGetOverlappedResult(c->s, &own, &bytes, TRUE, NULL) ? 0 : -(int)WSAGetLastError();
    }
    CloseHandle(ev);
    return r;
}

W2U_EXPORT int WINAPI WSAIoctl(SOCKET s, DWORD code, void *in, DWORD inlen, void *out, DWORD outlen,
                               DWORD *returned, WSAOVERLAPPED *ov,
                               LPWSAOVERLAPPED_COMPLETION_ROUTINE routine)
{
    struct ioctl_call c = { s, NULL, in, out, inlen, outlen, ov != NULL };
    int r = ws2_socket_entry(s, &c.entry);      /* a socket, and started */
    if (r < 0)
        return result_error(-r);
    /* The buffers are the call's to read and fill, the OVERLAPPED is
     * written again when an overlapped request ends. */
    if (!returned || !user_out(returned, sizeof(*returned)) || !user_out(ov, sizeof(*ov)))
        return result_error(WSAEFAULT);
    if (!ov)
        routine = NULL;                          /* ignored without an OVERLAPPED, as Windows */

    uint32_t size = NOT_WRITTEN;
    enum ioctl_mode mode = NOW;
    switch (code) {
    case FIONBIO:
    case FIONREAD:
    case SIOCATMARK:
        r = ioctl_mode_bits(&c, code, &size);
        break;
    case SIO_KEEPALIVE_VALS:
        r = ioctl_keepalive(&c, &size);
        break;
    case SIO_ADDRESS_LIST_QUERY:
        r = ioctl_address_list(&c, &size);
        break;
    case SIO_GET_EXTENSION_FUNCTION_POINTER:
        r = ioctl_extension(&c, &size);
        break;
    case SIO_BASE_HANDLE:
    case SIO_BSP_HANDLE:
    case SIO_BSP_HANDLE_SELECT:
    case SIO_BSP_HANDLE_POLL:
        mode = ov ? REFUSE : NOW;
        if (!ov)
            r = ioctl_base_handle(&c, &size);
        break;
    case SIO_GET_INTERFACE_LIST:
        mode = ov ? ASYNC : NOW;
        r = ioctl_interface_list(&c, &size);
        break;
    case SIO_ROUTING_INTERFACE_QUERY:
        r = ioctl_route(&c, &size);
        break;
    case SIO_IDEAL_SEND_BACKLOG_QUERY:
        r = ioctl_backlog(&c, &size);
        break;
    case SIO_ADDRESS_LIST_CHANGE:
    case SIO_ROUTING_INTERFACE_CHANGE:
        mode = ov ? PARK : NOW;
        if (!ov)
            r = ioctl_wait_change(&c);
        break;
    case SIO_UDP_CONNRESET:
        /* Linux never reports ICMP port-unreachable on unconnected UDP
         * sockets, which is this option switched off; switching it on is
         * accepted but not honoured (README). */
        if (!in || inlen < sizeof(BOOL))
            r = -W2U_WSAEFAULT;
        break;
    case SIO_ENABLE_CIRCULAR_QUEUEING:
        /* Accepted on datagram sockets, not honoured: Linux drops the
         * newest datagram when the buffer is full, not the oldest (README). */
        r = c.entry->type == SOCK_DGRAM ? 0 : -W2U_WSAEOPNOTSUPP;
        break;
    default:
        mode = ov ? REFUSE : NOW;
        size = 0;
        r = -W2U_WSAEOPNOTSUPP;
        break;
    }

    switch (mode) {
    case NOW:
        if (size != NOT_WRITTEN)
            *returned = size;
        if (r == 0 && ov)
            r = ws2_complete_now(s, (struct iocp_overlapped *)ov, (w2u_completion_routine)routine,
                                 W2U_STATUS_SUCCESS, 0, true);
        return ws2_result(r);
    case ASYNC:
        r = ws2_complete_now(s, (struct iocp_overlapped *)ov, (w2u_completion_routine)routine,
                             r == 0 ? W2U_STATUS_SUCCESS : r == -W2U_WSAEFAULT ? W2U_STATUS_BUFFER_TOO_SMALL
                                                                            : w2u_wsa_to_status((uint32_t)-r),
                             r == 0 ? size : 0, false);
        return result_error(r < 0 ? -r : WSA_IO_PENDING);
    case PARK:
        return result_error(-ws2_park(s, (struct iocp_overlapped *)ov, (w2u_completion_routine)routine));
    case REFUSE:
    default:
        r = ws2_complete_now(s, (struct iocp_overlapped *)ov, (w2u_completion_routine)routine,
                             W2U_STATUS_NOT_SUPPORTED, 0, false);
        return result_error(r < 0 ? -r : WSA_IO_PENDING);
    }
}

/* ---- WSAConnectByName ----------------------------------------------------------------- */

static BOOL connect_by_name(SOCKET s, const char *node, const char *service, DWORD *ll, struct sockaddr *la,
                            DWORD *rl, struct sockaddr *ra, const struct timeval *timeout, WSAOVERLAPPED *reserved)
{
    if (reserved)
        return ext_result(-W2U_WSAEINVAL);
    int64_t ms = -1;
    if (timeout)
        ms = (int64_t)timeout->tv_sec * 1000 + timeout->tv_usec / 1000;
    _Static_assert(sizeof(DWORD) == sizeof(uint32_t), "DWORD");
    return ext_result(ws2_connect_by_name(s, node, service, (uint32_t *)ll, la, (uint32_t *)rl, ra, ms));
}

W2U_EXPORT BOOL WINAPI WSAConnectByNameA(SOCKET s, const char *node, const char *service, DWORD *ll,
                                         struct sockaddr *la, DWORD *rl, struct sockaddr *ra,
                                         const struct timeval *timeout, WSAOVERLAPPED *reserved)
{
    return connect_by_name(s, node, service, ll, la, rl, ra, timeout, reserved);
}

W2U_EXPORT BOOL WINAPI WSAConnectByNameW(SOCKET s, const WCHAR *node, const WCHAR *service, DWORD *ll,
                                         struct sockaddr *la, DWORD *rl, struct sockaddr *ra,
                                         const struct timeval *timeout, WSAOVERLAPPED *reserved)
{
    char *n = node ? w2u_utf8_from_utf16((const uint16_t *)node) : NULL;
    char *sv = service ? w2u_utf8_from_utf16((const uint16_t *)service) : NULL;
    BOOL ok = (node && !n) || (service && !sv)
                  ? ext_result(-W2U_WSAENOBUFS)
                  : connect_by_name(s, n, sv, ll, la, rl, ra, timeout, reserved);
    DWORD err = GetLastError();
    free(n);
    free(sv);
    SetLastError(err);
    return ok;
}
