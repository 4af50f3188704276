/* WSAIoctl, and the Microsoft extension functions it hands out.  The
 * extensions (AcceptEx, ConnectEx, ...) are overlapped operations that come
 * with the overlapped step: until then each fails with WSAEOPNOTSUPP and
 * one log line, so a program learns it at once instead of hanging. */
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

static void not_yet(const char *name, _Atomic int *logged)
{
    if (!atomic_exchange(logged, 1))
        w2u_log("%s is not implemented yet: failing with WSAEOPNOTSUPP", name);
    w2u_set_error(WSAEOPNOTSUPP);
}
#define NOT_YET(name) do { static _Atomic int logged_; not_yet(name, &logged_); } while (0)

/* BOOL-returning extension calls: TRUE when done at once, else FALSE with
 * ERROR_IO_PENDING or the error. */
static BOOL ext_result(int r)
{
    if (r == 0)
        return TRUE;
    w2u_set_error((uint32_t)-r);
    return FALSE;
}

W2U_EXPORT BOOL WINAPI AcceptEx(SOCKET l, SOCKET a, void *buf, DWORD data, DWORD local, DWORD remote,
                                DWORD *received, OVERLAPPED *ov)
{
    (void)received;      /* only set by a synchronous completion, which AcceptEx never is */
    return ext_result(ws2_accept_ex(l, a, buf, data, local, remote, (struct iocp_overlapped *)ov));
}
W2U_EXPORT void WINAPI GetAcceptExSockaddrs(void *buf, DWORD data, DWORD local, DWORD remote,
                                            struct sockaddr **la, int *ll, struct sockaddr **ra, int *rl)
{
    (void)remote;
    ws2_accept_addresses(buf, data, local, (void **)la, ll, (void **)ra, rl);
}
static BOOL WINAPI connect_ex(SOCKET s, const struct sockaddr *name, int len, void *buf, DWORD n,
                              DWORD *sent, OVERLAPPED *ov)
{
    (void)sent;          /* set only when it completes at once, which it never does */
    return ext_result(ws2_connect_ex(s, name, len, buf, n, (struct iocp_overlapped *)ov));
}
static BOOL WINAPI disconnect_ex(SOCKET s, OVERLAPPED *ov, DWORD flags, DWORD reserved)
{
    if (reserved)
        return ext_result(-W2U_WSAEINVAL);
    return ext_result(ws2_disconnect_ex(s, flags, (struct iocp_overlapped *)ov));
}

/* Without an OVERLAPPED TransmitFile/TransmitPackets block: the same
 * request, waited for through an event whose low bit keeps the packet off
 * the socket's port. */
static BOOL transmit(SOCKET s, const struct ws2_tx_element *els, unsigned n, DWORD per_send, DWORD flags,
                     OVERLAPPED *ov)
{
    if (ov)
        return ext_result(ws2_transmit(s, els, n, per_send, flags, (struct iocp_overlapped *)ov));
    OVERLAPPED own = { 0 };
    HANDLE ev = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (!ev)
        return ext_result(-W2U_WSAENOBUFS);
    own.hEvent = (HANDLE)((uintptr_t)ev | 1);
    int r = ws2_transmit(s, els, n, per_send, flags, (struct iocp_overlapped *)&own);
    BOOL ok = ext_result(r);
    if (r == -W2U_WSA_IO_PENDING) {
        DWORD bytes, f;
        ok = WSAGetOverlappedResult(s, &own, &bytes, TRUE, &f);
    }
    DWORD err = GetLastError();
    CloseHandle(ev);
    SetLastError(err);
    return ok;
}

/* The file's current position (where a blocking TransmitFile starts, and
 * a TransmitPackets element with offset -1); it is not advanced. */
static bool file_position(HANDLE file, uint64_t *at)
{
    LARGE_INTEGER zero = { .QuadPart = 0 }, pos;
    if (!SetFilePointerEx(file, zero, &pos, FILE_CURRENT))
        return false;
    *at = (uint64_t)pos.QuadPart;
    return true;
}

W2U_EXPORT BOOL WINAPI TransmitFile(SOCKET s, HANDLE file, DWORD bytes, DWORD per_send, OVERLAPPED *ov,
                                    TRANSMIT_FILE_BUFFERS *bufs, DWORD flags)
{
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

/* SOCKET_ADDRESS_LIST with the addresses after the array, in one buffer. */
static int address_list(SOCKET s, void *out, DWORD outlen, DWORD *returned)
{
    const struct ws2_catalog_entry *e;
    unsigned char addrs[32][28];
    int lens[32];
    int r = ws2_socket_entry(s, &e);
    if (r < 0)
        return r;
    unsigned n = ws2_interface_addresses(e->af, addrs, lens, 32);
    size_t need = offsetof(SOCKET_ADDRESS_LIST, Address) + n * sizeof(SOCKET_ADDRESS);
    size_t at = need;
    for (unsigned i = 0; i < n; i++)
        need += (size_t)lens[i];
    *returned = (DWORD)need;
    if (!out || outlen < need)
        return -W2U_WSAEFAULT;
    SOCKET_ADDRESS_LIST *list = out;
    list->iAddressCount = (INT)n;
    for (unsigned i = 0; i < n; i++) {
        list->Address[i].lpSockaddr = (struct sockaddr *)((char *)out + at);
        list->Address[i].iSockaddrLength = lens[i];
        memcpy((char *)out + at, addrs[i], (size_t)lens[i]);
        at += (size_t)lens[i];
    }
    return 0;
}

W2U_EXPORT int WINAPI WSAIoctl(SOCKET s, DWORD code, void *in, DWORD inlen, void *out, DWORD outlen,
                               DWORD *returned, WSAOVERLAPPED *ov,
                               LPWSAOVERLAPPED_COMPLETION_ROUTINE routine)
{
    const struct ws2_catalog_entry *e;
    int r = ws2_socket_entry(s, &e);      /* a socket, and started */
    if (r < 0)
        return result_error(-r);
    if (ov || routine) {
        NOT_YET("WSAIoctl with an OVERLAPPED or completion routine");
        return SOCKET_ERROR;
    }
    if (!returned)
        return result_error(WSAEFAULT);
    *returned = 0;

    switch (code) {
    case FIONBIO:
    case FIONREAD:
    case SIOCATMARK: {
        uint32_t v = 0;
        if (code == FIONBIO) {
            if (!in || inlen < sizeof(u_long))
                return result_error(WSAEFAULT);
            v = (uint32_t)*(u_long *)in;
        } else if (!out || outlen < sizeof(u_long)) {
            return result_error(WSAEFAULT);
        }
        if ((r = ws2_ioctl(s, code, &v)) < 0)
            return result_error(-r);
        if (code != FIONBIO) {
            *(u_long *)out = v;
            *returned = sizeof(u_long);
        }
        return 0;
    }
    case SIO_KEEPALIVE_VALS: {
        struct tcp_keepalive ka;
        if (!in || inlen < sizeof(ka))
            return result_error(WSAEFAULT);
        memcpy(&ka, in, sizeof(ka));
        int on = ka.onoff != 0;
        /* Windows gives milliseconds; Linux keeps whole seconds (at least 1). */
        int idle = (int)(ka.keepalivetime + 999) / 1000, intvl = (int)(ka.keepaliveinterval + 999) / 1000;
        if ((r = ws2_setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on))) == 0 && on) {
            if (idle < 1)
                idle = 1;
            if (intvl < 1)
                intvl = 1;
            if ((r = ws2_setsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle))) == 0)
                r = ws2_setsockopt(s, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
        }
        return r < 0 ? result_error(-r) : 0;
    }
    case SIO_ADDRESS_LIST_QUERY:
        r = address_list(s, out, outlen, returned);
        return r < 0 ? result_error(-r) : 0;
    case SIO_GET_EXTENSION_FUNCTION_POINTER:
        if (!in || inlen < sizeof(GUID) || !out || outlen < sizeof(void *))
            return result_error(WSAEFAULT);
        for (size_t i = 0; i < sizeof(extensions) / sizeof(extensions[0]); i++) {
            if (!memcmp(in, &extensions[i].guid, sizeof(GUID))) {
                memcpy(out, &extensions[i].fn, sizeof(void *));
                *returned = sizeof(void *);
                return 0;
            }
        }
        return result_error(WSAEINVAL);
    case SIO_BASE_HANDLE:
    case SIO_BSP_HANDLE:
    case SIO_BSP_HANDLE_SELECT:
    case SIO_BSP_HANDLE_POLL:
        /* ws2uring is the base provider: no layered provider in between. */
        if (!out || outlen < sizeof(SOCKET))
            return result_error(WSAEFAULT);
        *(SOCKET *)out = s;
        *returned = sizeof(SOCKET);
        return 0;
    case SIO_UDP_CONNRESET:
        /* Linux never reports ICMP port-unreachable on unconnected UDP
         * sockets, which is this option switched off; switching it on is
         * accepted but not honoured (README). */
        if (!in || inlen < sizeof(BOOL))
            return result_error(WSAEFAULT);
        return 0;
    default:
        return result_error(WSAEOPNOTSUPP);
    }
}
