/*
 * A Windows program (built with mingw-w64) that checks the synchronous
 * Winsock calls, run under Wine twice by run_wine.sh: on ws2uring and on
 * Wine's builtin ws2_32.  One line per check, "ok NAME" or "FAIL NAME:
 * why"; exit status 0 when all pass.
 *   wine_basic.exe ws2uring|builtin      which ws2_32 must be loaded
 *   wine_basic.exe dup-child             (duplicate_into_child's child)
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <stdio.h>
#include <string.h>

#include "wine_check.h"

/* Windows 8's calls, which Debian's mingw-w64 headers lack. */
int WSAAPI GetAddrInfoExCancel(HANDLE *handle);
int WSAAPI GetAddrInfoExOverlappedResult(OVERLAPPED *ov);


/* A listening socket on the loopback of family af, its address in *addr. */
static SOCKET listening(int af, struct sockaddr_storage *addr, int *len)
{
    memset(addr, 0, sizeof(*addr));
    addr->ss_family = (ADDRESS_FAMILY)af;
    if (af == AF_INET)
        ((struct sockaddr_in *)addr)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else
        ((struct sockaddr_in6 *)addr)->sin6_addr = in6addr_loopback;
    *len = af == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    SOCKET l = socket(af, SOCK_STREAM, IPPROTO_TCP);
    if (l == INVALID_SOCKET || bind(l, (struct sockaddr *)addr, *len) || listen(l, 8) ||
        getsockname(l, (struct sockaddr *)addr, len))
        return INVALID_SOCKET;
    return l;
}

static int recv_all(SOCKET s, char *buf, int n)
{
    int got = 0;
    while (got < n) {
        int r = recv(s, buf + got, n - got, 0);
        if (r <= 0)
            return got;
        got += r;
    }
    return got;
}

static void tcp(int af, const char *name)
{
    struct sockaddr_storage a;
    int len;
    char out[1000], in[1000];
    for (int i = 0; i < (int)sizeof(out); i++)
        out[i] = (char)(i * 7);
    SOCKET l = listening(af, &a, &len);
    SOCKET c = socket(af, SOCK_STREAM, IPPROTO_TCP);
    int ok = l != INVALID_SOCKET && !connect(c, (struct sockaddr *)&a, len);
    SOCKET s = ok ? accept(l, NULL, NULL) : INVALID_SOCKET;
    ok = ok && s != INVALID_SOCKET && send(c, out, sizeof(out), 0) == sizeof(out) &&
         recv_all(s, in, sizeof(in)) == sizeof(in) && !memcmp(in, out, sizeof(in)) &&
         send(s, in, sizeof(in), 0) == sizeof(in) && recv_all(c, out, sizeof(out)) == sizeof(out) &&
         !shutdown(s, SD_SEND) && recv(c, in, sizeof(in), 0) == 0;
    check(ok, name, "echo of 1000 bytes and shutdown");
    closesocket(s);
    closesocket(c);
    closesocket(l);
}

static void udp(int af, const char *name)
{
    struct sockaddr_storage a, b, from;
    int alen = af == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6), blen = alen;
    int flen = sizeof(from);
    char buf[64];
    memset(&a, 0, sizeof(a));
    a.ss_family = (ADDRESS_FAMILY)af;
    if (af == AF_INET)
        ((struct sockaddr_in *)&a)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else
        ((struct sockaddr_in6 *)&a)->sin6_addr = in6addr_loopback;
    b = a;
    SOCKET x = socket(af, SOCK_DGRAM, IPPROTO_UDP), y = socket(af, SOCK_DGRAM, IPPROTO_UDP);
    int ok = !bind(x, (struct sockaddr *)&a, alen) && !bind(y, (struct sockaddr *)&b, blen) &&
             !getsockname(x, (struct sockaddr *)&a, &alen) && !getsockname(y, (struct sockaddr *)&b, &blen) &&
             sendto(x, "datagram", 8, 0, (struct sockaddr *)&b, blen) == 8 &&
             recvfrom(y, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen) == 8 &&
             !memcmp(buf, "datagram", 8) && flen == alen && !memcmp(&from, &a, (size_t)alen);
    check(ok, name, "datagram and its sender");
    closesocket(x);
    closesocket(y);
}

static void nonblocking_and_select(void)
{
    struct sockaddr_storage a;
    int len;
    u_long on = 1;
    char buf[8];
    SOCKET l = listening(AF_INET, &a, &len);
    SOCKET c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    int ok = !ioctlsocket(c, FIONBIO, &on) && connect(c, (struct sockaddr *)&a, len) == SOCKET_ERROR &&
             WSAGetLastError() == WSAEWOULDBLOCK;
    fd_set w;
    FD_ZERO(&w);
    FD_SET(c, &w);
    struct timeval tv = { 5, 0 };
    ok = ok && select(0, NULL, &w, NULL, &tv) == 1 && FD_ISSET(c, &w);
    check(ok, "nonblocking-connect", "WSAEWOULDBLOCK, then writable in select");
    SOCKET s = accept(l, NULL, NULL);
    ok = s != INVALID_SOCKET && recv(c, buf, sizeof(buf), 0) == SOCKET_ERROR && WSAGetLastError() == WSAEWOULDBLOCK;
    check(ok, "nonblocking-recv", "WSAEWOULDBLOCK with nothing to read");
    fd_set r;
    FD_ZERO(&r);
    FD_SET(c, &r);
    struct timeval zero = { 0, 0 };
    ok = select(0, &r, NULL, NULL, &zero) == 0 && send(s, "x", 1, 0) == 1;
    FD_SET(c, &r);
    ok = ok && select(0, &r, NULL, NULL, &tv) == 1 && FD_ISSET(c, &r) && recv(c, buf, sizeof(buf), 0) == 1;
    check(ok, "select-read", "not readable, then readable after a send");
    WSAPOLLFD p = { .fd = c, .events = POLLRDNORM };
    ok = WSAPoll(&p, 1, 0) == 0 && send(s, "y", 1, 0) == 1 && WSAPoll(&p, 1, 5000) == 1 &&
         (p.revents & POLLRDNORM);
    check(ok, "wsapoll", "POLLRDNORM after a send");
    closesocket(s);
    closesocket(c);
    closesocket(l);
}

/* A WSAEventSelect server: FD_ACCEPT on the listener, then FD_READ and
 * FD_CLOSE on the connection, each through a WSA event and
 * WSAEnumNetworkEvents. */
static void event_select(void)
{
    struct sockaddr_storage a;
    int len;
    WSANETWORKEVENTS ne;
    char buf[16];
    SOCKET l = listening(AF_INET, &a, &len);
    WSAEVENT ev = WSACreateEvent();
    int ok = l != INVALID_SOCKET && !WSAEventSelect(l, ev, FD_ACCEPT);
    SOCKET c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    ok = ok && !connect(c, (struct sockaddr *)&a, len) &&
         WSAWaitForMultipleEvents(1, &ev, FALSE, 5000, FALSE) == WSA_WAIT_EVENT_0 &&
         !WSAEnumNetworkEvents(l, ev, &ne) && (ne.lNetworkEvents & FD_ACCEPT) && !ne.iErrorCode[FD_ACCEPT_BIT];
    check(ok, "eventselect-accept", "FD_ACCEPT through the event");
    SOCKET s = ok ? accept(l, NULL, NULL) : INVALID_SOCKET;
    WSAEVENT ev2 = WSACreateEvent();
    ok = s != INVALID_SOCKET && !WSAEventSelect(s, ev2, FD_READ | FD_CLOSE) && send(c, "data", 4, 0) == 4 &&
         WSAWaitForMultipleEvents(1, &ev2, FALSE, 5000, FALSE) == WSA_WAIT_EVENT_0 &&
         !WSAEnumNetworkEvents(s, ev2, &ne) && (ne.lNetworkEvents & FD_READ) && recv(s, buf, sizeof(buf), 0) == 4;
    check(ok, "eventselect-read", "FD_READ through the event, then the data");
    ok = ok && !closesocket(c) && WSAWaitForMultipleEvents(1, &ev2, FALSE, 5000, FALSE) == WSA_WAIT_EVENT_0 &&
         !WSAEnumNetworkEvents(s, ev2, &ne) && (ne.lNetworkEvents & FD_CLOSE) && !ne.iErrorCode[FD_CLOSE_BIT];
    check(ok, "eventselect-close", "FD_CLOSE when the peer closes");
    closesocket(s);
    closesocket(l);
    WSACloseEvent(ev);
    WSACloseEvent(ev2);
}

static int CALLBACK accept_condition(LPWSABUF caller, LPWSABUF caller_data, LPQOS sqos, LPQOS gqos,
                                     LPWSABUF callee, LPWSABUF callee_data, GROUP *g, DWORD_PTR verdict)
{
    (void)caller_data, (void)sqos, (void)gqos, (void)callee_data, (void)g;
    /* The caller is the client (a loopback address), the callee this listener. */
    if (!caller || caller->len < sizeof(struct sockaddr_in) || !callee || callee->len < sizeof(struct sockaddr_in) ||
        ((struct sockaddr_in *)caller->buf)->sin_addr.s_addr != htonl(INADDR_LOOPBACK))
        return CF_REJECT;
    return (int)verdict;
}

/* WSAAccept with a condition function: one connection accepted (the
 * caller's address handed to the condition and back), one refused. */
static void conditional_accept(void)
{
    struct sockaddr_storage a;
    int len;
    SOCKET l = listening(AF_INET, &a, &len);
    SOCKET c1 = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP), c2 = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    struct sockaddr_in from, mine;
    int flen = sizeof(from), mlen = sizeof(mine);
    int ok = !connect(c1, (struct sockaddr *)&a, len) && !getsockname(c1, (struct sockaddr *)&mine, &mlen);
    SOCKET s = ok ? WSAAccept(l, (struct sockaddr *)&from, &flen, accept_condition, CF_ACCEPT) : INVALID_SOCKET;
    ok = s != INVALID_SOCKET && flen == sizeof(from) && from.sin_port == mine.sin_port;
    check(ok, "wsaaccept-accept", "the condition accepts, the caller's address comes back");
    char buf[4];
    ok = !connect(c2, (struct sockaddr *)&a, len) &&
         WSAAccept(l, NULL, NULL, accept_condition, CF_REJECT) == INVALID_SOCKET &&
         WSAGetLastError() == WSAECONNREFUSED && recv(c2, buf, sizeof(buf), 0) <= 0;
    /* (ws2uring resets the refused connection, Wine's builtin closes it:
     * the peer's receive ends either way.) */
    check(ok, "wsaaccept-reject", "the condition refuses: WSAECONNREFUSED, the peer's connection ends");
    closesocket(s);
    closesocket(c1);
    closesocket(c2);
    closesocket(l);
}

/* The next socket message for window w within 5 s: its lParam, or -1. */
static LPARAM next_message(HWND w, UINT msg, SOCKET *s)
{
    MSG m;
    DWORD start = GetTickCount();
    while (GetTickCount() - start < 5000) {
        if (PeekMessageA(&m, w, msg, msg, PM_REMOVE)) {
            *s = (SOCKET)m.wParam;
            return m.lParam;
        }
        Sleep(5);
    }
    return -1;
}

/* A WSAAsyncSelect server on a message-only window: FD_ACCEPT, then
 * FD_READ and FD_CLOSE for the connection. */
static void async_select(void)
{
    const UINT msg = WM_USER + 7;
    struct sockaddr_storage a;
    int len;
    char buf[16];
    SOCKET from = INVALID_SOCKET;
    HWND w = CreateWindowExA(0, "STATIC", "ws2uring test", 0, 0, 0, 0, 0, HWND_MESSAGE, NULL, NULL, NULL);
    SOCKET l = listening(AF_INET, &a, &len);
    SOCKET c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    LPARAM p;
    int ok = w && l != INVALID_SOCKET && !WSAAsyncSelect(l, w, msg, FD_ACCEPT) &&
             !connect(c, (struct sockaddr *)&a, len) && (p = next_message(w, msg, &from)) != -1 && from == l &&
             WSAGETSELECTEVENT(p) == FD_ACCEPT && !WSAGETSELECTERROR(p);
    check(ok, "asyncselect-accept", "an FD_ACCEPT message for the listener");
    SOCKET s = ok ? accept(l, NULL, NULL) : INVALID_SOCKET;
    ok = s != INVALID_SOCKET && !WSAAsyncSelect(s, w, msg, FD_READ | FD_CLOSE) && send(c, "msg", 3, 0) == 3 &&
         (p = next_message(w, msg, &from)) != -1 && from == s && WSAGETSELECTEVENT(p) == FD_READ &&
         recv(s, buf, sizeof(buf), 0) == 3;
    check(ok, "asyncselect-read", "an FD_READ message, then the data");
    ok = ok && !closesocket(c) && (p = next_message(w, msg, &from)) != -1 && from == s &&
         WSAGETSELECTEVENT(p) == FD_CLOSE && !WSAGETSELECTERROR(p);
    check(ok, "asyncselect-close", "an FD_CLOSE message when the peer closes");
    closesocket(s);
    closesocket(l);
    if (w)
        DestroyWindow(w);
}

/* A connection's FD_CONNECT message comes before its FD_WRITE, as on
 * Windows, although both are recorded at once (and FD_WRITE's bit is the
 * lower one). */
static void async_select_connect_order(void)
{
    const UINT msg = WM_USER + 8;
    struct sockaddr_storage a;
    int len;
    SOCKET from = INVALID_SOCKET;
    HWND w = CreateWindowExA(0, "STATIC", "ws2uring test", 0, 0, 0, 0, 0, HWND_MESSAGE, NULL, NULL, NULL);
    SOCKET l = listening(AF_INET, &a, &len);
    SOCKET c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    LPARAM first = -1, second = -1;
    int ok = w && l != INVALID_SOCKET && !WSAAsyncSelect(c, w, msg, FD_CONNECT | FD_WRITE | FD_READ) &&
             connect(c, (struct sockaddr *)&a, len) == SOCKET_ERROR && WSAGetLastError() == WSAEWOULDBLOCK &&
             (first = next_message(w, msg, &from)) != -1 && from == c &&
             (second = next_message(w, msg, &from)) != -1 && from == c;
    check(ok && WSAGETSELECTEVENT(first) == FD_CONNECT && !WSAGETSELECTERROR(first) &&
              WSAGETSELECTEVENT(second) == FD_WRITE,
          "asyncselect-connect-order", "FD_CONNECT, then FD_WRITE");
    closesocket(c);
    closesocket(l);
    if (w)
        DestroyWindow(w);
}

static void WINAPI count_apc(ULONG_PTR arg)
{
    (*(int *)arg)++;
}

/* select that has to wait is an alertable wait, as on Windows: an APC
 * queued to the thread runs during it; a select that returns at once runs
 * none. */
static void select_runs_apcs(void)
{
    struct sockaddr_storage a;
    int len, runs = 0;
    SOCKET l = listening(AF_INET, &a, &len);
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(l, &rd);
    struct timeval tv = { 0, 500 };          /* even a wait this short is alertable */
    int ok = l != INVALID_SOCKET && QueueUserAPC(count_apc, GetCurrentThread(), (ULONG_PTR)&runs) &&
             select(0, &rd, NULL, NULL, &tv) == 0;
    printf("# select-apc: ok %d runs %d\n", ok, runs);
    check(ok && runs == 1, "select-apc", "the queued APC runs while select waits");
    SOCKET c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    fd_set wr;
    FD_ZERO(&wr);
    FD_SET(c, &wr);
    runs = 0;
    ok = !connect(c, (struct sockaddr *)&a, len) && QueueUserAPC(count_apc, GetCurrentThread(), (ULONG_PTR)&runs) &&
         select(0, NULL, &wr, NULL, &tv) == 1 && runs == 0;
    SleepEx(0, TRUE);
    check(ok && runs == 1, "select-ready-no-apc", "a select that returns at once runs no APC");
    closesocket(c);
    closesocket(l);
}

static void WINAPI close_apc(ULONG_PTR arg)
{
    closesocket((SOCKET)arg);
}

/* A socket closed while select waits for it ends the wait: asked in the
 * read set it is readable; asked only for anything else the call fails
 * (WSAENOTSOCK) and leaves no socket in the sets.  The close here comes
 * from an APC, which runs inside select's alertable wait (and, in
 * ws2uring under Wine, between two of its slices). */
static void select_closed_meanwhile(BOOL read, const char *name)
{
    struct sockaddr_storage a;
    int len;
    SOCKET l = listening(AF_INET, &a, &len), c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    BOOL ok = l != INVALID_SOCKET && c != INVALID_SOCKET && !connect(c, (struct sockaddr *)&a, len);
    SOCKET peer = ok ? accept(l, NULL, NULL) : INVALID_SOCKET;
    fd_set rd, ex;
    FD_ZERO(&rd);
    FD_ZERO(&ex);
    FD_SET(c, &ex);
    if (read)
        FD_SET(c, &rd);
    struct timeval tv = { 2, 0 };
    DWORD start = GetTickCount();
    ok = ok && peer != INVALID_SOCKET && QueueUserAPC(close_apc, GetCurrentThread(), (ULONG_PTR)c);
    SetLastError(0xdeadbeef);
    int r = ok ? select(0, &rd, NULL, &ex, &tv) : -2;
    DWORD e = GetLastError(), took = GetTickCount() - start;
    printf("# %s: select %d error %lu, read %u except %u, %lu ms\n", name, r, e, rd.fd_count, ex.fd_count, took);
    if (read)
        ok = r == 1 && rd.fd_count == 1 && rd.fd_array[0] == c && ex.fd_count == 0;
    else
        ok = r == SOCKET_ERROR && e == WSAENOTSOCK && rd.fd_count == 0 && ex.fd_count == 0;
    check(ok && took < 1500, name,
          read ? "readable in the read set, nowhere else, at once" : "WSAENOTSOCK, no socket in the sets, at once");
    closesocket(peer);
    closesocket(l);
}

/* A thread blocked in recv: another can suspend it (SuspendThread, then
 * GetThreadContext, which needs the thread really stopped: a runtime's
 * garbage collector does this) and resume it, after which the recv gets
 * its data; closesocket from another thread ends a blocked recv. */
struct blocked {
    SOCKET s;
    int got, error;
};

static DWORD WINAPI blocked_recv(void *arg)
{
    struct blocked *b = arg;
    char buf[16];
    b->got = recv(b->s, buf, sizeof(buf), 0);
    b->error = b->got < 0 ? WSAGetLastError() : 0;
    return 0;
}

static DWORD WINAPI get_context(void *thread)
{
    CONTEXT ctx = { .ContextFlags = CONTEXT_CONTROL };
    return GetThreadContext(thread, &ctx) ? 1 : 2;
}

static void blocking_calls(void)
{
    struct sockaddr_storage a;
    int len;
    SOCKET l = listening(AF_INET, &a, &len), c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    SOCKET s = !connect(c, (struct sockaddr *)&a, len) ? accept(l, NULL, NULL) : INVALID_SOCKET;
    struct blocked b = { s, 0, 0 };
    HANDLE t = s != INVALID_SOCKET ? CreateThread(NULL, 0, blocked_recv, &b, 0, NULL) : NULL;
    Sleep(100);                                /* it blocks in recv by now */
    DWORD suspended = t ? SuspendThread(t) : (DWORD)-1;
    HANDLE g = CreateThread(NULL, 0, get_context, t, 0, NULL);
    DWORD context = WaitForSingleObject(g, 5000) == WAIT_OBJECT_0 && GetExitCodeThread(g, &context) ? context : 0;
    DWORD resumed = t ? ResumeThread(t) : (DWORD)-1;
    int ok = t && suspended == 0 && context == 1 && resumed == 1 && send(c, "woken", 5, 0) == 5 &&
             WaitForSingleObject(t, 5000) == WAIT_OBJECT_0 && b.got == 5;
    printf("# suspend-blocked-recv: suspended %lu context %lu resumed %lu got %d\n", suspended, context, resumed,
           b.got);
    check(ok, "suspend-blocked-recv", "a thread blocked in recv is suspended, inspected, resumed, and gets its data");
    if (g)
        CloseHandle(g);
    if (t)
        CloseHandle(t);
    /* A blocking recv is an alertable wait: an APC queued to the thread
     * runs, and the recv goes on to get its data. */
    int runs = 0;
    b.got = 0;
    t = s != INVALID_SOCKET ? CreateThread(NULL, 0, blocked_recv, &b, 0, NULL) : NULL;
    Sleep(100);
    ok = t && QueueUserAPC(count_apc, t, (ULONG_PTR)&runs);
    for (int i = 0; i < 100 && !runs; i++)
        Sleep(10);
    int during = runs;
    ok = ok && b.got == 0 && send(c, "after", 5, 0) == 5 && WaitForSingleObject(t, 5000) == WAIT_OBJECT_0 && b.got == 5;
    printf("# apc-blocked-recv: runs %d got %d\n", during, b.got);
    check(ok && during == 1, "apc-blocked-recv", "an APC queued to a thread blocked in recv runs, and recv goes on");
    if (t)
        CloseHandle(t);
    b.got = 0;
    t = s != INVALID_SOCKET ? CreateThread(NULL, 0, blocked_recv, &b, 0, NULL) : NULL;
    Sleep(100);
    ok = t && !closesocket(s) && WaitForSingleObject(t, 5000) == WAIT_OBJECT_0 && b.got == SOCKET_ERROR;
    printf("# closesocket-blocked-recv: got %d error %d\n", b.got, b.error);
    check(ok, "closesocket-blocked-recv", "closesocket from another thread ends a recv blocked on the socket");
    if (t)
        CloseHandle(t);
    closesocket(c);
    closesocket(l);
}

/* A blocking send is an alertable wait too, as Windows' AFD makes it: a
 * thread sending 8 MiB to a peer that does not read runs an APC queued to
 * it and goes on, and every byte arrives in order once the peer reads;
 * closesocket from another thread ends such a send. */
struct blocked_send {
    SOCKET s;
    const char *buf;
    int len, sent, error;
    int how;                                    /* 0 send, 1 sendto, 2 WSASendTo (no address: a connection's),
                                                   3 send with MSG_DONTROUTE, 4 WSASendMsg (no name, no control),
                                                   5 TransmitFile of file (which holds buf) */
    HANDLE file;
};

static DWORD WINAPI blocked_send(void *arg)
{
    struct blocked_send *b = arg;
    WSABUF w = { (ULONG)b->len, (char *)b->buf };
    DWORD n = 0;
    WSAMSG m = { .lpBuffers = &w, .dwBufferCount = 1 };
    if (b->how == 5) {
        b->sent = TransmitFile(b->s, b->file, 0, 0, NULL, NULL, 0) ? b->len : SOCKET_ERROR;
        b->error = b->sent < 0 ? WSAGetLastError() : 0;
        return 0;
    }
    if (b->how == 4) {
        b->sent = WSASendMsg(b->s, &m, 0, &n, NULL, NULL) ? SOCKET_ERROR : (int)n;
        b->error = b->sent < 0 ? WSAGetLastError() : 0;
        return 0;
    }
    b->sent = b->how == 0 ? send(b->s, b->buf, b->len, 0)
              : b->how == 3 ? send(b->s, b->buf, b->len, MSG_DONTROUTE)
              : b->how == 1 ? sendto(b->s, b->buf, b->len, 0, NULL, 0)
              : WSASendTo(b->s, &w, 1, &n, 0, NULL, 0, NULL, NULL) ? SOCKET_ERROR : (int)n;
    b->error = b->sent < 0 ? WSAGetLastError() : 0;
    return 0;
}

/* An APC queued to thread t, which blocks in a call by 200 ms after it
 * started: whether t was blocked, whether the APC was queued, how often
 * it ran within waits x 10 ms, and whether t still blocks after. */
struct apc_probe {
    BOOL blocked, queued, still;
    int runs;
};

static void apc_to_blocked(HANDLE t, int waits, struct apc_probe *p)
{
    Sleep(200);
    p->runs = 0;
    p->blocked = t && WaitForSingleObject(t, 0) == WAIT_TIMEOUT;
    p->queued = p->blocked && QueueUserAPC(count_apc, t, (ULONG_PTR)&p->runs);
    for (int i = 0; i < waits && !p->runs; i++)
        Sleep(10);
    p->still = t && WaitForSingleObject(t, 0) == WAIT_TIMEOUT;
}

static void blocking_sends(void)
{
    enum { BIG = 8 << 20 };
    struct sockaddr_storage a;
    int len, small_buf = 16384;
    SOCKET l = listening(AF_INET, &a, &len), c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    setsockopt(c, SOL_SOCKET, SO_SNDBUF, (char *)&small_buf, sizeof(small_buf));
    SOCKET s = !connect(c, (struct sockaddr *)&a, len) ? accept(l, NULL, NULL) : INVALID_SOCKET;
    setsockopt(s, SOL_SOCKET, SO_RCVBUF, (char *)&small_buf, sizeof(small_buf));
    char *out = malloc(BIG), *in = malloc(BIG);
    for (int i = 0; i < BIG; i++)
        out[i] = (char)(i * 7 + i / 4093);
    static const struct { int how; const char *name, *what; } apc_sends[] = {
        { 0, "apc-blocked-send", "an APC queued to a thread blocked in send runs, and the send goes on to send every byte" },
        { 3, "apc-blocked-send-dontroute", "the same with MSG_DONTROUTE: a send with flags is an alertable wait too" },
        { 4, "apc-blocked-wsasendmsg", "the same with WSASendMsg: its blocking stream send is an alertable wait too" },
        { 5, "apc-blocked-transmitfile", "the same with TransmitFile of an 8 MiB file: a blocking TransmitFile is an alertable wait too" },
    };
    char path[MAX_PATH], dir[MAX_PATH];
    GetTempPathA(sizeof(dir), dir);
    GetTempFileNameA(dir, "w2u", 0, path);
    HANDLE file = CreateFileA(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS,
                              FILE_ATTRIBUTE_TEMPORARY | FILE_FLAG_DELETE_ON_CLOSE, NULL);
    DWORD written = 0;
    WriteFile(file, out, BIG, &written, NULL);
    struct blocked_send b;
    HANDLE t;
    BOOL blocked, ok;
    for (size_t k = 0; k < sizeof(apc_sends) / sizeof(apc_sends[0]); k++) {
        SetFilePointer(file, 0, NULL, FILE_BEGIN);
        b = (struct blocked_send){ c, out, BIG, 0, 0, apc_sends[k].how, file };
        t = s != INVALID_SOCKET ? CreateThread(NULL, 0, blocked_send, &b, 0, NULL) : NULL;
        struct apc_probe p;
        apc_to_blocked(t, 100, &p);             /* it blocks in send by then */
        ok = p.queued;
        int got = 0;
        while (ok && got < BIG) {
            int n = recv(s, in + got, BIG - got, 0);
            if (n <= 0)
                break;
            got += n;
        }
        ok = ok && got == BIG && !memcmp(in, out, BIG) && WaitForSingleObject(t, 5000) == WAIT_OBJECT_0 &&
             b.sent == BIG;
        printf("# %s: blocked %d runs %d still %d got %d sent %d\n", apc_sends[k].name, p.blocked, p.runs, p.still,
               got, b.sent);
        check(ok && p.runs == 1 && p.still, apc_sends[k].name, apc_sends[k].what);
        if (t)
            CloseHandle(t);
    }
    /* SO_SNDTIMEO ends a blocking send that cannot go on. */
    DWORD limit = 300, start = GetTickCount();
    setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, (char *)&limit, sizeof(limit));
    b = (struct blocked_send){ c, out, BIG, 0, 0, 1, NULL };
    blocked_send(&b);
    DWORD took = GetTickCount() - start;
    printf("# sndtimeo-blocked-send: sent %d error %d after %lu ms\n", b.sent, b.error, took);
    check(b.sent == SOCKET_ERROR && b.error == WSAETIMEDOUT && took >= 250 && took < 5000, "sndtimeo-blocked-send",
          "SO_SNDTIMEO ends a blocking sendto (no address) to a peer that does not read with WSAETIMEDOUT");
    limit = 0;
    setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, (char *)&limit, sizeof(limit));
    b = (struct blocked_send){ c, out, BIG, 0, 0, 2, NULL };
    t = s != INVALID_SOCKET ? CreateThread(NULL, 0, blocked_send, &b, 0, NULL) : NULL;
    Sleep(200);
    blocked = t && WaitForSingleObject(t, 0) == WAIT_TIMEOUT;
    ok = blocked && !closesocket(c) && WaitForSingleObject(t, 5000) == WAIT_OBJECT_0 && b.sent == SOCKET_ERROR;
    printf("# closesocket-blocked-send: blocked %d sent %d error %d\n", blocked, b.sent, b.error);
    check(ok, "closesocket-blocked-send", "closesocket from another thread ends a WSASendTo blocked on the socket");
    if (t)
        CloseHandle(t);
    CloseHandle(file);
    free(in);
    free(out);
    closesocket(s);
    closesocket(l);
}

/* A blocking WSARecvMsg (the extension function; a UDP server's receive
 * with IP_PKTINFO) is an alertable wait too: an APC queued to the thread
 * runs, and the receive goes on to get its datagram. */
struct blocked_msg {
    SOCKET s;
    LPFN_WSARECVMSG recv_msg;
    int got;
};

static DWORD WINAPI blocked_recv_msg(void *arg)
{
    struct blocked_msg *b = arg;
    char buf[16];
    WSABUF w = { sizeof(buf), buf };
    WSAMSG m = { .lpBuffers = &w, .dwBufferCount = 1 };
    DWORD n = 0;
    b->got = b->recv_msg && !b->recv_msg(b->s, &m, &n, NULL, NULL) ? (int)n : SOCKET_ERROR;
    return 0;
}

static void blocking_recv_msg(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int len = sizeof(a);
    SOCKET u = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP), c = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    GUID id = WSAID_WSARECVMSG;
    DWORD n = 0;
    struct blocked_msg b = { u, NULL, -2 };
    bind(u, (struct sockaddr *)&a, len);
    getsockname(u, (struct sockaddr *)&a, &len);
    WSAIoctl(u, SIO_GET_EXTENSION_FUNCTION_POINTER, &id, sizeof(id), &b.recv_msg, sizeof(b.recv_msg), &n, NULL,
             NULL);
    HANDLE t = b.recv_msg ? CreateThread(NULL, 0, blocked_recv_msg, &b, 0, NULL) : NULL;
    struct apc_probe p;
    apc_to_blocked(t, 100, &p);                 /* it blocks in WSARecvMsg by then */
    BOOL ok = p.queued && sendto(c, "datagram", 8, 0, (struct sockaddr *)&a, len) == 8 &&
              WaitForSingleObject(t, 5000) == WAIT_OBJECT_0 && b.got == 8;
    printf("# apc-blocked-wsarecvmsg: blocked %d runs %d still %d got %d\n", p.blocked, p.runs, p.still, b.got);
    check(ok && p.runs == 1 && p.still, "apc-blocked-wsarecvmsg",
          "an APC queued to a thread blocked in WSARecvMsg runs, and the receive goes on to get its datagram");
    if (t)
        CloseHandle(t);
    closesocket(c);
    closesocket(u);
}

/* A blocking connect is an alertable wait too: with the listener's
 * queue full, the kernel drops the connection's first SYN and tries again
 * a second later, meanwhile an APC queued to the connecting thread runs
 * and the connect goes on, to succeed once the queue has room. */
struct blocked_connect {
    SOCKET s;
    struct sockaddr_storage *to;
    int len, r, error;
    int how;                                    /* 0 connect, 1 WSAConnect (without connect data),
                                                   2 WSAConnectByNameW ("127.0.0.1" and the port) */
    struct timeval *limit;                      /* WSAConnectByNameW's */
    BOOL named;                                 /* WSAConnectByNameW's result */
    int local_port, remote_port;                /* and the ports it gave */
};

static DWORD WINAPI blocked_connect(void *arg)
{
    struct blocked_connect *b = arg;
    WCHAR port[8];
    wsprintfW(port, L"%u", ntohs(((struct sockaddr_in *)b->to)->sin_port));
    DWORD ll = sizeof(struct sockaddr_in), rl = sizeof(struct sockaddr_in);
    struct sockaddr_in local = { 0 }, remote = { 0 };
    if (b->how == 2) {
        b->named = WSAConnectByNameW(b->s, L"127.0.0.1", port, &ll, (struct sockaddr *)&local, &rl,
                                     (struct sockaddr *)&remote, b->limit, NULL);
        b->error = b->named ? 0 : WSAGetLastError();
        b->local_port = ntohs(local.sin_port);
        b->remote_port = ntohs(remote.sin_port);
        /* Both ends' addresses given, as Windows gives them: the local
         * one without its port (sock.c test_WSAConnectByName). */
        b->r = b->named && remote.sin_port == ((struct sockaddr_in *)b->to)->sin_port && !local.sin_port &&
               local.sin_addr.s_addr == htonl(INADDR_LOOPBACK) &&
                       ll == sizeof(local) && rl == sizeof(remote)
                   ? 0
                   : SOCKET_ERROR;
        return 0;
    }
    b->r = b->how == 1 ? WSAConnect(b->s, (struct sockaddr *)b->to, b->len, NULL, NULL, NULL, NULL)
                       : connect(b->s, (struct sockaddr *)b->to, b->len);
    b->error = b->r ? WSAGetLastError() : 0;
    return 0;
}

/* A listener whose queue is full: a connect to it waits (the kernel drops
 * the SYN and retries it a second later) until something is accepted. */
static SOCKET full_listener(struct sockaddr_storage *a, int *len, SOCKET fill[3])
{
    SOCKET l = listening(AF_INET, a, len);
    listen(l, 1);                               /* room for two waiting connections */
    u_long on = 1;
    for (int i = 0; i < 3; i++) {
        fill[i] = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
        ioctlsocket(fill[i], FIONBIO, &on);
        connect(fill[i], (struct sockaddr *)a, *len);
    }
    Sleep(100);
    return l;
}

static void close_all(SOCKET *s, int n)
{
    for (int i = 0; i < n; i++)
        closesocket(s[i]);
}

static DWORD WINAPI close_later(void *arg)
{
    Sleep(2000);
    closesocket((SOCKET)arg);
    return 0;
}

/* WSAConnectByName's time limit ends a connect that cannot go on:
 * WSAETIMEDOUT.  (The listener closes after 2 s, so that a call that
 * ignores the limit fails at the SYN's next retry, not after the
 * kernel's two minutes.) */
static void connect_by_name_limit(void)
{
    struct sockaddr_storage a;
    int len;
    SOCKET fill[3], l = full_listener(&a, &len, fill);
    HANDLE closer = CreateThread(NULL, 0, close_later, (void *)l, 0, NULL);
    struct timeval limit = { 0, 400000 };
    struct blocked_connect b = { socket(AF_INET, SOCK_STREAM, IPPROTO_TCP), &a, len, -2, 0, 2, &limit, FALSE, 0, 0 };
    DWORD start = GetTickCount();
    blocked_connect(&b);
    DWORD took = GetTickCount() - start;
    printf("# connect-by-name-limit: connect %d error %d after %lu ms\n", b.r, b.error, took);
    check(b.r == SOCKET_ERROR && b.error == WSAETIMEDOUT && took >= 350 && took < 5000, "connect-by-name-limit",
          "WSAConnectByName's time limit ends a connect to a listener whose queue is full with WSAETIMEDOUT");
    closesocket(b.s);
    close_all(fill, 3);
    if (closer) {
        WaitForSingleObject(closer, INFINITE);
        CloseHandle(closer);
    }
}

static void blocking_connect(int how, const char *name)
{
    struct sockaddr_storage a;
    int len;
    SOCKET fill[3], l = full_listener(&a, &len, fill);
    u_long on = 1;
    struct blocked_connect b = { socket(AF_INET, SOCK_STREAM, IPPROTO_TCP), &a, len, -2, 0, how, NULL, FALSE, 0, 0 };
    HANDLE t = CreateThread(NULL, 0, blocked_connect, &b, 0, NULL);
    struct apc_probe p;
    apc_to_blocked(t, 50, &p);                  /* it blocks in connect by then */
    BOOL ok = p.queued;
    SOCKET taken[4];
    int n = 0;
    u_long off = 0;
    ioctlsocket(l, FIONBIO, &on);
    for (DWORD start = GetTickCount(); GetTickCount() - start < 15000 && t && WaitForSingleObject(t, 0) == WAIT_TIMEOUT;) {
        SOCKET c = accept(l, NULL, NULL);      /* room for the connect's next try */
        if (c != INVALID_SOCKET && n < 4)
            taken[n++] = c;
        else if (c != INVALID_SOCKET)
            closesocket(c);
        else
            Sleep(20);
    }
    ioctlsocket(l, FIONBIO, &off);
    ok = ok && WaitForSingleObject(t, 5000) == WAIT_OBJECT_0 && b.r == 0;
    printf("# %s: blocked %d runs %d still %d connect %d error %d (by name: %d, ports %d %d)\n", name, p.blocked,
           p.runs, p.still, b.r, b.error, b.named, b.local_port, b.remote_port);
    check(ok && p.runs == 1 && p.still, name,
          "an APC queued to a thread blocked in connect (WSAConnect, WSAConnectByName) runs, and the connect goes on "
          "to succeed");
    if (t)
        CloseHandle(t);
    close_all(taken, n);
    close_all(fill, 3);
    closesocket(b.s);
    closesocket(l);
}

/* A SOCKET is a kernel object handle: handle information, and it joins a
 * completion port. */
static void socket_handle(void)
{
    SOCKET s = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    DWORD flags = 0;
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    int ok = s != INVALID_SOCKET && GetHandleInformation((HANDLE)s, &flags) &&
             CreateIoCompletionPort((HANDLE)s, port, 7, 0) == port;
    check(ok, "socket-handle", "handle information, and association with a completion port");
    check(!closesocket(s), "socket-handle-close", "closesocket after the association");
    CloseHandle(port);
}

static void resolve(void)
{
    struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *res = NULL;
    int ok = !getaddrinfo("localhost", "80", &hints, &res) && res && res->ai_family == AF_INET &&
             ((struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK) &&
             ((struct sockaddr_in *)res->ai_addr)->sin_port == htons(80);
    check(ok, "getaddrinfo-localhost", "127.0.0.1 port 80");
    if (res)
        freeaddrinfo(res);
    ok = getaddrinfo("no-such-host.invalid", NULL, &hints, &res) == WSAHOST_NOT_FOUND;
    check(ok, "getaddrinfo-unknown", "WSAHOST_NOT_FOUND");
}

/* Windows' facts that Wine's conformance tests record, through this
 * program's own eyes: socket()'s refusals, the last error cleared by a
 * success, one-byte options, WSADuplicateSocket within the process. */
static void windows_facts(void)
{
    SOCKET s = WSASocketA(0xdead, SOCK_STREAM, 0xdead, NULL, 0, 0);
    int e1 = WSAGetLastError();
    SOCKET s2 = WSASocketA(AF_UNSPEC, SOCK_STREAM, 0, NULL, 0, 0);
    int e2 = WSAGetLastError();
    SOCKET t = WSASocketA(AF_INET, 0, IPPROTO_UDP, NULL, 0, 0);
    int type = 0, len = sizeof(type);
    getsockopt(t, SOL_SOCKET, SO_TYPE, (char *)&type, &len);
    printf("# socket-rules: %d/%d %d/%d type %d\n", s == INVALID_SOCKET, e1, s2 == INVALID_SOCKET, e2, type);
    check(s == INVALID_SOCKET && s2 == INVALID_SOCKET && e2 == WSAEINVAL && t != INVALID_SOCKET &&
          type == SOCK_DGRAM, "socket-rules", "Windows' defaults and refusals");
    closesocket(t);

    SOCKET c = socket(AF_INET, SOCK_STREAM, 0);
    int on = 1, v = 0x7fffff00;
    WSASetLastError(1234);
    int r = setsockopt(c, IPPROTO_TCP, TCP_NODELAY, (char *)&on, 1);
    int cleared = WSAGetLastError() == 0;
    len = sizeof(v);
    getsockopt(c, IPPROTO_TCP, TCP_NODELAY, (char *)&v, &len);
    printf("# options-one-byte: r %d cleared %d len %d v %#x\n", r, cleared, len, v);
    check(!r && cleared && len == 1 && v == 0x7fffff01, "options-one-byte",
          "TCP_NODELAY takes and gives one byte; success clears the last error");

    struct sockaddr_storage a;
    int al;
    SOCKET l = listening(AF_INET, &a, &al), peer = INVALID_SOCKET, dup = INVALID_SOCKET;
    WSAPROTOCOL_INFOA info;
    char buf[8] = { 0 };
    int ok = !connect(c, (struct sockaddr *)&a, al) && (peer = accept(l, NULL, NULL)) != INVALID_SOCKET &&
             !WSADuplicateSocketA(c, GetCurrentProcessId(), &info) &&
             (dup = WSASocketA(0, 0, 0, &info, 0, 0)) != INVALID_SOCKET && send(dup, "dup", 3, 0) == 3 &&
             recv_all(peer, buf, 3) == 3 && !memcmp(buf, "dup", 3);
    int bad = WSADuplicateSocketA(c, ~0u, &info) == SOCKET_ERROR && WSAGetLastError() == WSAEINVAL;
    check(ok && bad, "duplicate-socket", "WSADuplicateSocket within the process; a bad process id is WSAEINVAL");
    closesocket(dup);
    closesocket(peer);
    closesocket(c);
    closesocket(l);
}

/* WSAAsyncGetServByName: the entry laid out in the program's buffer, its
 * length in the message; a buffer too small gets WSAENOBUFS and the
 * length needed; a lookup that has ended cannot be cancelled. */
static void async_database(void)
{
    const UINT msg = WM_USER + 9;
    HWND w = CreateWindowExA(0, "STATIC", "ws2uring test", 0, 0, 0, 0, 0, HWND_MESSAGE, NULL, NULL, NULL);
    char buf[MAXGETHOSTSTRUCT], small[8];
    SOCKET from = 0;
    HANDLE h = WSAAsyncGetServByName(w, msg, "http", "tcp", buf, sizeof(buf));
    LPARAM p = h ? next_message(w, msg, &from) : -1;
    struct servent *se = (struct servent *)buf;
    int ok = p != -1 && from == (SOCKET)h && !WSAGETASYNCERROR(p) && WSAGETASYNCBUFLEN(p) > sizeof(*se) &&
             WSAGETASYNCBUFLEN(p) <= sizeof(buf) && se->s_port == htons(80) && !strcmp(se->s_name, "http") &&
             !strcmp(se->s_proto, "tcp") && se->s_name > buf && se->s_name < buf + sizeof(buf);
    printf("# async-getservbyname: handle %p lparam %#lx\n", h, (long)p);
    check(ok, "async-getservbyname", "the servent in the buffer, its length in the message");
    int need = p != -1 ? WSAGETASYNCBUFLEN(p) : 0;
    h = WSAAsyncGetServByName(w, msg, "http", "tcp", small, sizeof(small));
    p = h ? next_message(w, msg, &from) : -1;
    check(p != -1 && from == (SOCKET)h && WSAGETASYNCERROR(p) == WSAENOBUFS && WSAGETASYNCBUFLEN(p) == need,
          "async-nobufs", "WSAENOBUFS with the length the entry needs");
    h = WSAAsyncGetProtoByNumber(w, msg, 6, buf, sizeof(buf));
    p = h ? next_message(w, msg, &from) : -1;
    check(p != -1 && !WSAGETASYNCERROR(p) && ((struct protoent *)buf)->p_proto == 6, "async-getprotobynumber",
          "protocol 6's entry");
    check(WSACancelAsyncRequest(h) == SOCKET_ERROR && WSAGetLastError() == WSAEALREADY, "async-cancel-ended",
          "WSAEALREADY for a lookup that has ended");
    if (w)
        DestroyWindow(w);
}

/* GetAddrInfoExW with an OVERLAPPED: an event, then a routine, which
 * Windows runs on a thread of its own (this one does not wait alertably). */
static HANDLE ex_done;
static DWORD ex_error = 12345;
static void CALLBACK ex_routine(DWORD error, DWORD bytes, WSAOVERLAPPED *ov)
{
    (void)bytes;
    (void)ov;
    ex_error = error;
    SetEvent(ex_done);
}

static void getaddrinfoex(void)
{
    static const WCHAR localhost[] = L"localhost";
    ADDRINFOEXW hints = { .ai_family = AF_INET }, *res = (ADDRINFOEXW *)1;
    OVERLAPPED ov = { 0 };
    HANDLE h = NULL;
    ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    int r = GetAddrInfoExW(localhost, NULL, NS_DNS, NULL, &hints, &res, NULL, &ov, NULL, &h);
    int ok = r == WSA_IO_PENDING && WaitForSingleObject(ov.hEvent, 5000) == WAIT_OBJECT_0 &&
             !GetAddrInfoExOverlappedResult(&ov) && res && res->ai_family == AF_INET &&
             ((struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
    printf("# getaddrinfoex-event: r %d internal %#lx\n", r, (unsigned long)ov.Internal);
    check(ok, "getaddrinfoex-event", "pending, then the event and the answer");
    if (ok)
        FreeAddrInfoExW(res);
    check(GetAddrInfoExCancel(&h) == WSA_INVALID_HANDLE, "getaddrinfoex-cancel-ended",
          "WSA_INVALID_HANDLE once it has ended");
    CloseHandle(ov.hEvent);
    ov.hEvent = NULL;
    ex_done = CreateEventW(NULL, TRUE, FALSE, NULL);
    r = GetAddrInfoExW(NULL, L"no-such-service-here", NS_DNS, NULL, NULL, &res, NULL, &ov, ex_routine, NULL);
    ok = r == WSA_IO_PENDING && WaitForSingleObject(ex_done, 5000) == WAIT_OBJECT_0 &&
         ex_error == WSATYPE_NOT_FOUND && GetAddrInfoExOverlappedResult(&ov) == WSATYPE_NOT_FOUND;
    printf("# getaddrinfoex-routine: r %d error %lu\n", r, ex_error);
    check(ok, "getaddrinfoex-routine", "the routine runs on another thread with the lookup's error");
    CloseHandle(ex_done);
}

/* The child of duplicate_into_child: the WSAPROTOCOL_INFOW on its
 * standard input opens the same connection; it sends on it.  (Windows
 * opens it once only, as ws2uring does, test_ws2.c; Wine's builtin opens
 * it again.) */
static int dup_child(void)
{
    WSADATA d;
    WSAPROTOCOL_INFOW info;
    DWORD got = 0;
    if (WSAStartup(MAKEWORD(2, 2), &d) ||
        !ReadFile(GetStdHandle(STD_INPUT_HANDLE), &info, sizeof(info), &got, NULL) || got != sizeof(info))
        return 10;
    SOCKET s = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, &info, 0, WSA_FLAG_OVERLAPPED);
    if (s == INVALID_SOCKET)
        return 11;
    return send(s, "kid", 3, 0) == 3 ? 0 : 13;
}

/* WSADuplicateSocket into another process (this program again, as
 * libuv's IPC hands a socket to its child): the child's WSASocket opens
 * the same connection after this process closed its own. */
static void duplicate_into_child(const char *self)
{
    SOCKET c, s;
    struct sockaddr_storage a;
    int len;
    SOCKET l = listening(AF_INET, &a, &len);
    c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    BOOL ok = l != INVALID_SOCKET && !connect(c, (struct sockaddr *)&a, len);
    s = ok ? accept(l, NULL, NULL) : INVALID_SOCKET;
    HANDLE rd = NULL, wr = NULL;
    SECURITY_ATTRIBUTES inherit = { sizeof(inherit), NULL, TRUE };
    ok = s != INVALID_SOCKET && CreatePipe(&rd, &wr, &inherit, 0) && SetHandleInformation(wr, HANDLE_FLAG_INHERIT, 0);
    char cmd[MAX_PATH + 16];
    snprintf(cmd, sizeof(cmd), "\"%s\" dup-child", self);
    STARTUPINFOA si = { .cb = sizeof(si), .dwFlags = STARTF_USESTDHANDLES, .hStdInput = rd,
                        .hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE), .hStdError = GetStdHandle(STD_ERROR_HANDLE) };
    PROCESS_INFORMATION pi = { 0 };
    ok = ok && CreateProcessA(NULL, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi);
    WSAPROTOCOL_INFOW info;
    DWORD put = 0, code = 99;
    ok = ok && !WSADuplicateSocketW(c, pi.dwProcessId, &info) && !closesocket(c) &&
         WriteFile(wr, &info, sizeof(info), &put, NULL) && put == sizeof(info);
    char buf[8] = { 0 };
    DWORD timeout = 20000;
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, (const char *)&timeout, sizeof(timeout));
    int got = ok ? recv(s, buf, sizeof(buf), 0) : -1;
    if (pi.hProcess) {
        WaitForSingleObject(pi.hProcess, 20000);
        GetExitCodeProcess(pi.hProcess, &code);
    }
    printf("# duplicate-into-child: received %d, child exit %lu\n", got, code);
    check(ok && got == 3 && !memcmp(buf, "kid", 3) && code == 0, "duplicate-into-child",
          "the child's WSASocket opens the connection and sends on it");
    if (pi.hProcess) {
        CloseHandle(pi.hProcess);
        CloseHandle(pi.hThread);
    }
    CloseHandle(rd);
    CloseHandle(wr);
    closesocket(s);
    closesocket(l);
}

int main(int argc, char **argv)
{
    WSADATA d;
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc == 2 && !strcmp(argv[1], "dup-child"))
        return dup_child();
    if (argc != 2 || (strcmp(argv[1], "ws2uring") && strcmp(argv[1], "builtin"))) {
        printf("usage: wine_basic.exe ws2uring|builtin\n");
        return 2;
    }
    typedef const char *(WINAPI *version_fn)(void);
    version_fn version = (version_fn)(void *)GetProcAddress(GetModuleHandleA("ws2_32.dll"), "ws2uring_version");
    int want = !strcmp(argv[1], "ws2uring");
    printf("# ws2_32: %s\n", version ? version() : "Wine's builtin");
    check(!!version == want, "loaded", want ? "ws2uring's ws2_32.dll expected" : "Wine's builtin expected");

    check(socket(AF_INET, SOCK_STREAM, 0) == INVALID_SOCKET && WSAGetLastError() == WSANOTINITIALISED,
          "before-startup", "WSANOTINITIALISED");
    check(!WSAStartup(MAKEWORD(2, 2), &d) && d.wVersion == MAKEWORD(2, 2), "startup", "version 2.2");
    tcp(AF_INET, "tcp-ipv4");
    tcp(AF_INET6, "tcp-ipv6");
    udp(AF_INET, "udp-ipv4");
    udp(AF_INET6, "udp-ipv6");
    nonblocking_and_select();
    socket_handle();
    event_select();
    async_select();
    async_select_connect_order();
    select_runs_apcs();
    select_closed_meanwhile(FALSE, "select-closed-except");
    select_closed_meanwhile(TRUE, "select-closed-read");
    blocking_calls();
    blocking_sends();
    blocking_recv_msg();
    blocking_connect(0, "apc-blocked-connect");
    blocking_connect(1, "apc-blocked-wsaconnect");
    blocking_connect(2, "apc-blocked-connect-by-name");
    connect_by_name_limit();
    conditional_accept();
    duplicate_into_child(argv[0]);
    resolve();
    async_database();
    getaddrinfoex();
    windows_facts();
    check(!WSACleanup(), "cleanup", "WSACleanup");
    check(socket(AF_INET, SOCK_STREAM, 0) == INVALID_SOCKET && WSAGetLastError() == WSANOTINITIALISED,
          "after-cleanup", "WSANOTINITIALISED");
    return failures ? 1 : 0;
}
