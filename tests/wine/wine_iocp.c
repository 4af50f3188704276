/*
 * Overlapped Winsock on completion ports and events, as a Windows program
 * (mingw-w64), run under Wine on ws2uring and on Wine's builtin ws2_32 by
 * run_wine.sh, which requires both to pass and agree.  One line per check,
 * "ok NAME" or "FAIL NAME: why"; exit status 0 when all pass.
 *   wine_iocp.exe ws2uring|builtin
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <stdio.h>
#include <string.h>

#include "wine_check.h"

#define CLIENTS  8
#define ROUNDS   50
#define STOP_KEY ((ULONG_PTR)-1)


static LPFN_ACCEPTEX pAcceptEx;
static LPFN_CONNECTEX pConnectEx;
static HANDLE port;
static SOCKET listener;
static struct sockaddr_in where;

/* One accepted connection: the OVERLAPPED comes first. */
struct conn {
    OVERLAPPED ov;
    SOCKET s;
    int accepting, sending;
    WSABUF b;
    char buf[256];
    char addrs[2 * (sizeof(struct sockaddr_in6) + 16)];
};
static struct conn conns[CLIENTS];
static volatile LONG echoed;

static int post_recv(struct conn *c)
{
    DWORD flags = 0;
    memset(&c->ov, 0, sizeof(c->ov));
    c->sending = 0;
    c->b.buf = c->buf;
    c->b.len = sizeof(c->buf);
    return !WSARecv(c->s, &c->b, 1, NULL, &flags, &c->ov, NULL) || WSAGetLastError() == WSA_IO_PENDING;
}

static DWORD WINAPI worker(void *arg)
{
    (void)arg;
    for (;;) {
        DWORD bytes;
        ULONG_PTR key;
        OVERLAPPED *ov;
        BOOL ok = GetQueuedCompletionStatus(port, &bytes, &key, &ov, 10000);
        if (key == STOP_KEY || !ov)
            return 0;
        struct conn *c = (struct conn *)ov;
        if (!ok)
            continue;              /* a connection closed by its client */
        if (c->accepting) {
            c->accepting = 0;
            setsockopt(c->s, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, (char *)&listener, sizeof(listener));
            CreateIoCompletionPort((HANDLE)c->s, port, 1, 0);
            post_recv(c);
        } else if (!c->sending && bytes) {
            c->sending = 1;
            c->b.len = bytes;
            memset(&c->ov, 0, sizeof(c->ov));
            if (WSASend(c->s, &c->b, 1, NULL, 0, &c->ov, NULL) && WSAGetLastError() != WSA_IO_PENDING)
                continue;
        } else if (c->sending) {
            InterlockedIncrement(&echoed);
            post_recv(c);
        }
    }
}

/* AcceptEx posted ahead, two workers, WSARecv then WSASend of what came,
 * PostQueuedCompletionStatus to stop; blocking clients check every echo. */
static void iocp_echo(void)
{
    int len = sizeof(where);
    listener = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    where.sin_family = AF_INET;
    where.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = !bind(listener, (struct sockaddr *)&where, sizeof(where)) && !listen(listener, 16) &&
             !getsockname(listener, (struct sockaddr *)&where, &len) &&
             CreateIoCompletionPort((HANDLE)listener, port, 0, 0) == port;
    DWORD got;
    for (int i = 0; ok && i < CLIENTS; i++) {
        conns[i].s = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
        conns[i].accepting = 1;
        ok = pAcceptEx(listener, conns[i].s, conns[i].addrs, 0, sizeof(struct sockaddr_in6) + 16,
                       sizeof(struct sockaddr_in6) + 16, &got, &conns[i].ov) ||
             WSAGetLastError() == ERROR_IO_PENDING;
    }
    check(ok, "acceptex-posted", "listener on the port, AcceptEx pending");
    HANDLE workers[2];
    for (int i = 0; i < 2; i++)
        workers[i] = CreateThread(NULL, 0, worker, NULL, 0, NULL);
    SOCKET clients[CLIENTS];
    int echoes_ok = 1;
    for (int i = 0; i < CLIENTS; i++) {
        clients[i] = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
        echoes_ok = echoes_ok && !connect(clients[i], (struct sockaddr *)&where, sizeof(where));
    }
    for (int r = 0; echoes_ok && r < ROUNDS; r++)
        for (int i = 0; echoes_ok && i < CLIENTS; i++) {
            char msg[32], back[32];
            int n = snprintf(msg, sizeof(msg), "client %d round %d", i, r), got_n = 0;
            echoes_ok = send(clients[i], msg, n, 0) == n;
            while (echoes_ok && got_n < n) {
                int k = recv(clients[i], back + got_n, n - got_n, 0);
                echoes_ok = k > 0;
                got_n += k > 0 ? k : 0;
            }
            echoes_ok = echoes_ok && !memcmp(msg, back, (size_t)n);
        }
    /* A worker counts an echo when its send completes, which may come just
     * after the client has read the echo. */
    for (int wait = 0; wait < 500 && echoed < CLIENTS * ROUNDS; wait++)
        Sleep(10);
    printf("# iocp-echo: echoes_ok %d echoed %ld\n", echoes_ok, (long)echoed);
    check(echoes_ok && echoed == CLIENTS * ROUNDS, "iocp-echo", "every message echoed through the port");
    for (int i = 0; i < 2; i++)
        PostQueuedCompletionStatus(port, 0, STOP_KEY, NULL);
    check(WaitForMultipleObjects(2, workers, TRUE, 10000) == WAIT_OBJECT_0, "iocp-stop",
          "workers end on PostQueuedCompletionStatus");
    for (int i = 0; i < CLIENTS; i++) {
        closesocket(clients[i]);
        CloseHandle(workers[i % 2]);
    }
}

/* ConnectEx with data, on a bound socket; the completion on the port. */
static void connectex(void)
{
    SOCKET s = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    struct sockaddr_in any = { .sin_family = AF_INET };
    OVERLAPPED ov = { 0 };
    DWORD sent = 0, bytes;
    ULONG_PTR key;
    OVERLAPPED *got;
    HANDLE p = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    int ok = !bind(s, (struct sockaddr *)&any, sizeof(any)) && CreateIoCompletionPort((HANDLE)s, p, 9, 0) == p &&
             (pConnectEx(s, (struct sockaddr *)&where, sizeof(where), "hello", 5, &sent, &ov) ||
              WSAGetLastError() == ERROR_IO_PENDING) &&
             GetQueuedCompletionStatus(p, &bytes, &key, &got, 5000) && got == &ov && key == 9 && bytes == 5;
    char buf[8];
    SOCKET peer = ok ? accept(listener, NULL, NULL) : INVALID_SOCKET;
    ok = ok && peer != INVALID_SOCKET && recv(peer, buf, sizeof(buf), 0) == 5 && !memcmp(buf, "hello", 5);
    check(ok, "connectex", "connected with 5 bytes sent, completion on the port, the data at the peer");
    closesocket(peer);
    closesocket(s);
    CloseHandle(p);
}

/* An event in the OVERLAPPED; GetOverlappedResult reads the result. */
static void event_overlapped(SOCKET a, SOCKET b)
{
    char buf[16];
    WSABUF wb = { sizeof(buf), buf };
    DWORD flags = 0, bytes = 0;
    OVERLAPPED ov = { 0 };
    ov.hEvent = WSACreateEvent();
    int posted = !WSARecv(a, &wb, 1, NULL, &flags, &ov, NULL) || WSAGetLastError() == WSA_IO_PENDING;
    int sent = send(b, "event", 5, 0) == 5;
    DWORD waited = WaitForSingleObject(ov.hEvent, 5000);
    BOOL result = GetOverlappedResult((HANDLE)a, &ov, &bytes, FALSE);
    printf("# event-overlapped: posted %d sent %d waited %lu result %d bytes %lu error %lu\n", posted, sent, waited,
           result, bytes, GetLastError());
    int ok = posted && sent && waited == WAIT_OBJECT_0 && result && bytes == 5 && !memcmp(buf, "event", 5);
    check(ok, "event-overlapped", "the event set, GetOverlappedResult gives 5 bytes");
    WSACloseEvent(ov.hEvent);
}

static DWORD WINAPI send_later(void *arg)
{
    Sleep(200);
    send(*(SOCKET *)arg, "later", 5, 0);
    return 0;
}

/* WSAGetOverlappedResult: waiting on the event, waiting on the SOCKET (no
 * event, the data sent while it waits), and the errors Windows reports
 * for statuses a program stores itself. */
static void wsa_overlapped_result(SOCKET a, SOCKET b)
{
    char buf[16];
    WSABUF wb = { sizeof(buf), buf };
    DWORD flags = 0, bytes = 0, got_flags = 7;
    OVERLAPPED ov = { 0 };
    ov.hEvent = WSACreateEvent();
    int posted = !WSARecv(a, &wb, 1, NULL, &flags, &ov, NULL) || WSAGetLastError() == WSA_IO_PENDING;
    HANDLE t = CreateThread(NULL, 0, send_later, &b, 0, NULL);
    BOOL r = WSAGetOverlappedResult(a, &ov, &bytes, TRUE, &got_flags);
    printf("# wsagetoverlappedresult-event: posted %d result %d bytes %lu flags %lu\n", posted, r, bytes, got_flags);
    check(posted && r && bytes == 5 && got_flags == 0 && !memcmp(buf, "later", 5), "wsagetoverlappedresult-event",
          "waits on the OVERLAPPED's event: 5 bytes, flags 0");
    WaitForSingleObject(t, INFINITE);
    CloseHandle(t);
    WSACloseEvent(ov.hEvent);

    memset(&ov, 0, sizeof(ov));
    posted = !WSARecv(a, &wb, 1, NULL, &flags, &ov, NULL) || WSAGetLastError() == WSA_IO_PENDING;
    BOOL early = WSAGetOverlappedResult(a, &ov, &bytes, FALSE, &got_flags);
    DWORD early_error = WSAGetLastError();
    t = CreateThread(NULL, 0, send_later, &b, 0, NULL);
    r = WSAGetOverlappedResult(a, &ov, &bytes, TRUE, &got_flags);
    printf("# wsagetoverlappedresult-socket: early %d/%lu result %d bytes %lu\n", early, early_error, r, bytes);
    check(posted && !early && early_error == WSA_IO_INCOMPLETE && r && bytes == 5, "wsagetoverlappedresult-socket",
          "no event: WSA_IO_INCOMPLETE while pending, then waits on the SOCKET");
    WaitForSingleObject(t, INFINITE);
    CloseHandle(t);

    static const struct { ULONG_PTR status; BOOL ret; DWORD error; } statuses[] = {
        { 0, TRUE, 0 }, { 0x103, FALSE, WSA_IO_INCOMPLETE }, { 0xc000020d, FALSE, WSAECONNRESET },
        { 0x80000005, FALSE, WSAEMSGSIZE }, { 0xc0000120, FALSE, ERROR_OPERATION_ABORTED },
        { 0xc0000237, FALSE, WSAEDISCON }, { 0xc0001234, FALSE, WSAEINVAL },
    };
    int ok = 1;
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        memset(&ov, 0, sizeof(ov));
        ov.Internal = statuses[i].status;
        ov.InternalHigh = 3;
        bytes = 0;
        WSASetLastError(12345);
        r = WSAGetOverlappedResult(a, &ov, &bytes, FALSE, NULL);   /* NULL flags: accepted */
        DWORD e = WSAGetLastError();
        /* Still pending: nothing written. */
        DWORD want_bytes = statuses[i].status == 0x103 ? 0 : 3;
        if (r != statuses[i].ret || bytes != want_bytes || (!r && e != statuses[i].error)) {
            printf("# wsagetoverlappedresult-status %#lx: result %d bytes %lu error %lu\n",
                   (unsigned long)statuses[i].status, r, bytes, e);
            ok = 0;
        }
    }
    check(ok, "wsagetoverlappedresult-status", "an OVERLAPPED's status as Windows maps it to a WSA error");
    memset(&ov, 0, sizeof(ov));
    r = WSAGetOverlappedResult((SOCKET)0xdeadbeef, &ov, &bytes, FALSE, &got_flags);
    check(!r && WSAGetLastError() == WSAENOTSOCK, "wsagetoverlappedresult-notsock", "not a SOCKET: WSAENOTSOCK");
}

static volatile LONG routine_calls;
static DWORD routine_error, routine_bytes;
static OVERLAPPED *routine_ov;

static void CALLBACK on_done(DWORD error, DWORD bytes, OVERLAPPED *ov, DWORD flags)
{
    (void)flags;
    routine_error = error;
    routine_bytes = bytes;
    routine_ov = ov;
    InterlockedIncrement(&routine_calls);
}

/* A completion routine runs on this thread when it waits alertably. */
static void completion_routine(SOCKET a, SOCKET b)
{
    char buf[16];
    WSABUF wb = { sizeof(buf), buf };
    DWORD flags = 0;
    OVERLAPPED ov = { 0 };
    int posted = !WSARecv(a, &wb, 1, NULL, &flags, &ov, on_done) || WSAGetLastError() == WSA_IO_PENDING;
    int sent = send(b, "routine", 7, 0) == 7;
    DWORD slept = SleepEx(5000, TRUE);
    printf("# completion-routine: posted %d sent %d slept %lu calls %ld error %lu bytes %lu\n", posted, sent,
           slept, (long)routine_calls, routine_error, routine_bytes);
    check(posted && sent && slept == WAIT_IO_COMPLETION && routine_calls == 1 && routine_error == 0 &&
          routine_bytes == 7 && routine_ov == &ov && !memcmp(buf, "routine", 7),
          "completion-routine", "the routine ran in SleepEx with 7 bytes");
}

/* CancelIoEx on one receive: it completes on the port, aborted; then a
 * receive with no event, whose GetOverlappedResult waits on the SOCKET;
 * then CloseHandle closes the SOCKET. */
static void cancel_and_results(SOCKET a, SOCKET b)
{
    char buf[16];
    WSABUF wb = { sizeof(buf), buf };
    DWORD flags = 0, bytes = 0;
    ULONG_PTR key;
    OVERLAPPED ov = { 0 }, *got = NULL;
    HANDLE p = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    int ok = CreateIoCompletionPort((HANDLE)a, p, 6, 0) == p &&
             WSARecv(a, &wb, 1, NULL, &flags, &ov, NULL) == SOCKET_ERROR && WSAGetLastError() == WSA_IO_PENDING &&
             CancelIoEx((HANDLE)a, &ov);
    BOOL done = GetQueuedCompletionStatus(p, &bytes, &key, &got, 5000);
    check(ok && !done && got == &ov && key == 6 && GetLastError() == ERROR_OPERATION_ABORTED, "cancelioex",
          "CancelIoEx: the receive completes on the port with ERROR_OPERATION_ABORTED");
    memset(&ov, 0, sizeof(ov));
    ok = (!WSARecv(a, &wb, 1, NULL, &flags, &ov, NULL) || WSAGetLastError() == WSA_IO_PENDING) &&
         send(b, "result", 6, 0) == 6 && GetOverlappedResult((HANDLE)a, &ov, &bytes, TRUE) && bytes == 6 &&
         GetQueuedCompletionStatus(p, &bytes, &key, &got, 5000) && got == &ov;
    check(ok, "getoverlappedresult-wait", "GetOverlappedResult waits on the SOCKET (no event)");
    CloseHandle(p);
}

/* A receive in flight on a, on a port of its own with key, ended by
 * close(a): the packet that comes (ok: all went as asked), the error. */
struct in_flight {
    int ok;
    BOOL done;
    int got_ours;                 /* the packet is the receive's OVERLAPPED */
    ULONG_PTR key;
    DWORD error;
};

static struct in_flight close_with_receive(SOCKET a, ULONG_PTR key, int (*close)(SOCKET))
{
    char buf[16];
    WSABUF wb = { sizeof(buf), buf };
    DWORD flags = 0, bytes;
    struct in_flight f = { 0 };
    OVERLAPPED ov = { 0 }, *got = NULL;
    HANDLE p = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    f.ok = CreateIoCompletionPort((HANDLE)a, p, key, 0) == p &&
           WSARecv(a, &wb, 1, NULL, &flags, &ov, NULL) == SOCKET_ERROR && WSAGetLastError() == WSA_IO_PENDING &&
           close(a);
    f.done = GetQueuedCompletionStatus(p, &bytes, &f.key, &got, 5000);
    f.error = GetLastError();
    f.got_ours = got == &ov;
    CloseHandle(p);
    return f;
}

static int by_closesocket(SOCKET a)
{
    return !closesocket(a);
}

static int by_ntclose(SOCKET a)
{
    NTSTATUS (WINAPI *nt_close)(HANDLE) =
        (NTSTATUS (WINAPI *)(HANDLE))(void *)GetProcAddress(GetModuleHandleA("ntdll.dll"), "NtClose");
    return nt_close && nt_close((HANDLE)a) == 0;
}

/* closesocket with a receive in flight: it completes on the port, aborted. */
static void close_in_flight(SOCKET a)
{
    struct in_flight f = close_with_receive(a, 5, by_closesocket);
    printf("# close-in-flight: ok %d done %d got %d key %lu error %lu\n", f.ok, f.done, f.got_ours,
           (unsigned long)f.key, f.error);
    check(f.ok && !f.done && f.got_ours && f.key == 5 && f.error == ERROR_OPERATION_ABORTED, "close-in-flight",
          "the pending receive completes with ERROR_OPERATION_ABORTED");
}

/* NtClose, looked up with GetProcAddress, on a SOCKET with a receive in
 * flight: the receive ends on the port, the peer sees the connection end.
 * (The error is Wine's or ws2uring's abort; Windows says
 * ERROR_CONNECTION_ABORTED, Wine's tests record.) */
static void ntclose_in_flight(SOCKET a, SOCKET c)
{
    struct in_flight f = close_with_receive(a, 9, by_ntclose);
    char buf[16];
    DWORD wait = 2000;            /* a socket left open would leave the peer waiting */
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, (char *)&wait, sizeof(wait));
    int r = recv(c, buf, sizeof(buf), 0);
    if (r < 0 && WSAGetLastError() == WSAETIMEDOUT)
        r = 1;                    /* not ended */
    printf("# ntclose-in-flight: ok %d done %d got %d key %lu error %lu peer %d\n", f.ok, f.done, f.got_ours,
           (unsigned long)f.key, f.error, r);
    check(f.ok && !f.done && f.got_ours && f.key == 9 && f.error && r <= 0, "ntclose-in-flight",
          "NtClose from GetProcAddress ends the pending receive on the port and the connection");
}

/* WaitForSingleObject on the SOCKET itself: not signalled while a
 * receive without an event is pending, signalled once it completes. */
static void wait_on_socket_handle(SOCKET a, SOCKET c)
{
    char buf[16];
    WSABUF wb = { sizeof(buf), buf };
    DWORD flags = 0, got = 0;
    OVERLAPPED ov = { 0 };
    int ok = WSARecv(a, &wb, 1, NULL, &flags, &ov, NULL) == SOCKET_ERROR && WSAGetLastError() == WSA_IO_PENDING;
    DWORD before = WaitForSingleObject((HANDLE)a, 0);
    ok = ok && send(c, "data", 4, 0) == 4;
    DWORD after = WaitForSingleObject((HANDLE)a, 5000);
    printf("# wait-socket-handle: before %lu after %lu\n", before, after);
    check(ok && before == WAIT_TIMEOUT && after == WAIT_OBJECT_0 && GetOverlappedResult((HANDLE)a, &ov, &got, FALSE) &&
              got == 4, "wait-socket-handle", "WaitForSingleObject on a SOCKET waits for its pending receive");
}

/* A file's overlapped write completes on the same port as the sockets
 * (under ws2uring's fast mode, a port of ws2uring's: relayed). */
static void file_on_port(void)
{
    char path[MAX_PATH], dir[MAX_PATH];
    GetTempPathA(sizeof(dir), dir);
    GetTempFileNameA(dir, "w2u", 0, path);
    HANDLE f = CreateFileA(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_FLAG_OVERLAPPED | FILE_FLAG_DELETE_ON_CLOSE,
                           NULL);
    OVERLAPPED ov = { 0 }, *got = NULL;
    DWORD bytes = 0;
    ULONG_PTR key = 0;
    int ok = f != INVALID_HANDLE_VALUE && CreateIoCompletionPort(f, port, 42, 0) == port &&
             (WriteFile(f, "file data", 9, NULL, &ov) || GetLastError() == ERROR_IO_PENDING);
    /* The echo test's connections, closed by their clients, left packets
     * on this port too: look past them. */
    for (int i = 0; ok && got != &ov && i < 2 * CLIENTS + 1; i++)
        if (!GetQueuedCompletionStatus(port, &bytes, &key, &got, 5000) && !got)
            break;
    ok = ok && got == &ov && key == 42 && bytes == 9;
    check(ok, "file-on-port", "a file's overlapped write completes on the sockets' port");
    if (f != INVALID_HANDLE_VALUE)
        CloseHandle(f);
}

/* ReadFile and WriteFile on SOCKETs are a receive and a send; mswsock's
 * own exports (imported directly, not through WSAIoctl) work on them. */
static void files_and_mswsock(SOCKET a, SOCKET c)
{
    char buf[16];
    DWORD bytes = 0, put = 0;
    OVERLAPPED ov = { 0 };
    ov.hEvent = WSACreateEvent();
    int ok = (ReadFile((HANDLE)a, buf, sizeof(buf), NULL, &ov) || GetLastError() == ERROR_IO_PENDING) &&
             WriteFile((HANDLE)c, "written", 7, &put, NULL) && put == 7 &&
             WaitForSingleObject(ov.hEvent, 5000) == WAIT_OBJECT_0 && GetOverlappedResult((HANDLE)a, &ov, &bytes, FALSE) &&
             bytes == 7 && !memcmp(buf, "written", 7);
    check(ok, "readfile-writefile", "ReadFile (overlapped) and WriteFile on connected SOCKETs");
    WSACloseEvent(ov.hEvent);
    int flags = 0;
    int sent = send(c, "recvex", 6, 0), got = WSARecvEx(a, buf, sizeof(buf), &flags);
    printf("# mswsock-wsarecvex: sent %d got %d flags %d\n", sent, got, flags);
    ok = sent == 6 && got == 6 && !memcmp(buf, "recvex", 6);
    check(ok, "mswsock-wsarecvex", "WSARecvEx imported from mswsock");
    struct sockaddr *local = NULL, *remote = NULL;
    int llen = 0, rlen = 0;
    GetAcceptExSockaddrs(conns[0].addrs, 0, sizeof(struct sockaddr_in6) + 16, sizeof(struct sockaddr_in6) + 16,
                         &local, &llen, &remote, &rlen);
    printf("# mswsock-getacceptexsockaddrs: local %d len %d port %u want %u\n", local != NULL, llen,
           local ? ((struct sockaddr_in *)local)->sin_port : 0, where.sin_port);
    check(local && llen == sizeof(struct sockaddr_in) && ((struct sockaddr_in *)local)->sin_port == where.sin_port,
          "mswsock-getacceptexsockaddrs", "GetAcceptExSockaddrs imported from mswsock");
}

/* Overlapped WSAIoctl: a code answered at once completes on the port with
 * 0 bytes; an unknown code is pending and completes with
 * ERROR_NOT_SUPPORTED; with a completion routine, that runs in SleepEx. */
static volatile LONG ioctl_routine_calls;
static DWORD ioctl_routine_error = 99;

static void CALLBACK ioctl_routine(DWORD error, DWORD bytes, OVERLAPPED *ov, DWORD flags)
{
    (void)bytes;
    (void)ov;
    (void)flags;
    ioctl_routine_error = error;
    InterlockedIncrement(&ioctl_routine_calls);
}

static void overlapped_ioctl(void)
{
    SOCKET s = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    HANDLE p = CreateIoCompletionPort((HANDLE)s, NULL, 77, 0);
    OVERLAPPED ov = { 0 }, *got = NULL;
    DWORD size = 5, bytes = 9;
    ULONG_PTR key = 0;
    u_long one = 1;
    int now = !WSAIoctl(s, FIONBIO, &one, sizeof(one), NULL, 0, &size, &ov, NULL) && size == 0 &&
              GetQueuedCompletionStatus(p, &bytes, &key, &got, 5000) && got == &ov && key == 77 && bytes == 0;
    size = 5;
    int pending = WSAIoctl(s, 0xdeadbeef, NULL, 0, NULL, 0, &size, &ov, NULL) == SOCKET_ERROR &&
                  WSAGetLastError() == ERROR_IO_PENDING && size == 5;
    BOOL done = GetQueuedCompletionStatus(p, &bytes, &key, &got, 5000);
    DWORD error = GetLastError();
    printf("# overlapped-ioctl: now %d pending %d done %d error %lu\n", now, pending, done, error);
    check(now && pending && !done && error == ERROR_NOT_SUPPORTED && got == &ov, "overlapped-ioctl",
          "answered at once: a 0-byte packet; unknown: pending, ERROR_NOT_SUPPORTED");
    CloseHandle(p);
    closesocket(s);

    s = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    u_long n = 1;
    memset(&ov, 0, sizeof(ov));
    int r = WSAIoctl(s, FIONREAD, NULL, 0, &n, sizeof(n), &size, &ov, ioctl_routine);
    DWORD slept = SleepEx(5000, TRUE);
    printf("# overlapped-ioctl-routine: r %d slept %lu calls %ld error %lu\n", r, slept, (long)ioctl_routine_calls,
           ioctl_routine_error);
    check(!r && slept == WAIT_IO_COMPLETION && ioctl_routine_calls == 1 && ioctl_routine_error == 0,
          "overlapped-ioctl-routine", "FIONREAD's completion routine runs in SleepEx");
    closesocket(s);
}

/* An overlapped socket connected to the listener, and its peer. */
static int connected_pair(SOCKET *a, SOCKET *c)
{
    *a = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    *c = !connect(*a, (struct sockaddr *)&where, sizeof(where)) ? accept(listener, NULL, NULL) : INVALID_SOCKET;
    check(*c != INVALID_SOCKET, "connection", "a connection to the listener");
    return *c != INVALID_SOCKET;
}

int main(int argc, char **argv)
{
    WSADATA d;
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc != 2 || (strcmp(argv[1], "ws2uring") && strcmp(argv[1], "builtin"))) {
        printf("usage: wine_iocp.exe ws2uring|builtin\n");
        return 2;
    }
    WSAStartup(MAKEWORD(2, 2), &d);
    int want = !strcmp(argv[1], "ws2uring");
    int have = GetProcAddress(GetModuleHandleA("ws2_32.dll"), "ws2uring_version") != NULL;
    check(have == want, "loaded", want ? "ws2uring's ws2_32.dll expected" : "Wine's builtin expected");

    SOCKET probe = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    GUID accept_id = WSAID_ACCEPTEX, connect_id = WSAID_CONNECTEX;
    DWORD n;
    check(!WSAIoctl(probe, SIO_GET_EXTENSION_FUNCTION_POINTER, &accept_id, sizeof(accept_id), &pAcceptEx,
                    sizeof(pAcceptEx), &n, NULL, NULL) &&
          !WSAIoctl(probe, SIO_GET_EXTENSION_FUNCTION_POINTER, &connect_id, sizeof(connect_id), &pConnectEx,
                    sizeof(pConnectEx), &n, NULL, NULL) && pAcceptEx && pConnectEx,
          "extension-pointers", "AcceptEx and ConnectEx");
    closesocket(probe);
    overlapped_ioctl();
    port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 2);
    iocp_echo();
    connectex();
    file_on_port();

    /* Each of these on a connection of its own: a handle joins one port. */
    SOCKET a, c;
    if (connected_pair(&a, &c)) {
        event_overlapped(a, c);
        completion_routine(a, c);
        wsa_overlapped_result(a, c);
        closesocket(a);
        closesocket(c);
    }
    if (connected_pair(&a, &c)) {
        files_and_mswsock(a, c);
        closesocket(a);
        closesocket(c);
    }
    if (connected_pair(&a, &c)) {
        cancel_and_results(a, c);
        closesocket(a);
        closesocket(c);
    }
    if (connected_pair(&a, &c)) {
        close_in_flight(a);
        closesocket(c);
    }
    if (connected_pair(&a, &c)) {
        ntclose_in_flight(a, c);
        closesocket(c);
    }
    if (connected_pair(&a, &c)) {
        wait_on_socket_handle(a, c);
        closesocket(a);
        closesocket(c);
    }
    SOCKET h = WSASocketW(AF_INET, SOCK_DGRAM, IPPROTO_UDP, NULL, 0, WSA_FLAG_OVERLAPPED);
    check(h != INVALID_SOCKET && CloseHandle((HANDLE)h) && sendto(h, "x", 1, 0, (struct sockaddr *)&where,
          sizeof(where)) == SOCKET_ERROR && WSAGetLastError() == WSAENOTSOCK, "closehandle-socket",
          "CloseHandle closes a SOCKET");
    /* kernelbase's CloseHandle, which the program's imports do not name. */
    BOOL (WINAPI *base_close)(HANDLE) =
        (BOOL (WINAPI *)(HANDLE))(void *)GetProcAddress(GetModuleHandleA("kernelbase.dll"), "CloseHandle");
    h = WSASocketW(AF_INET, SOCK_DGRAM, IPPROTO_UDP, NULL, 0, WSA_FLAG_OVERLAPPED);
    check(h != INVALID_SOCKET && base_close && base_close((HANDLE)h) &&
          sendto(h, "x", 1, 0, (struct sockaddr *)&where, sizeof(where)) == SOCKET_ERROR &&
          WSAGetLastError() == WSAENOTSOCK, "kernelbase-closehandle-socket",
          "kernelbase's CloseHandle from GetProcAddress closes a SOCKET");
    for (int i = 0; i < CLIENTS; i++)
        closesocket(conns[i].s);
    closesocket(listener);
    CloseHandle(port);
    WSACleanup();
    return failures ? 1 : 0;
}
