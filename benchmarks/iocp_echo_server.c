/*
 * An IOCP echo server, written the way a Windows programmer writes one:
 * WSASocket with WSA_FLAG_OVERLAPPED, AcceptEx posted ahead, worker threads
 * on GetQueuedCompletionStatus, WSARecv then WSASend of what arrived, and
 * PostQueuedCompletionStatus to stop.  Plain Win32: it builds natively
 * against ws2uring (pkg-config) and, unchanged, as a PE with mingw-w64.
 *
 *   iocp_echo_server PORT WORKERS SECONDS
 * Serves 127.0.0.1:PORT for SECONDS, then stops and prints one line.
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_SIZE     65536
#define ACCEPTS      64           /* AcceptEx posted ahead */
#define ADDR_SPACE   (sizeof(struct sockaddr_in6) + 16)
#define STOP_KEY     ((ULONG_PTR)-1)
#define MAX_CONNS    16384        /* live connections plus posted AcceptEx */

enum op { OP_ACCEPT, OP_RECV, OP_SEND };

struct io {
    OVERLAPPED ov;                /* first: the OVERLAPPED* is the io* */
    enum op op;
    struct conn *conn;
};

struct conn {
    SOCKET s;
    LONG slot;
    struct io recv, send;
    WSABUF wsabuf;
    char buf[BUF_SIZE];
    char addrs[2 * ADDR_SPACE];   /* AcceptEx's address blocks */
};

static SOCKET listener;
static HANDLE port;
static LPFN_ACCEPTEX pAcceptEx;
static volatile LONG served, failures, slot_hint;
/* Every conn holds a slot so that shutdown can close and free the ones still
 * open: a server that leaks its clients at exit hides real leaks from ASan. */
static struct conn *volatile slots[MAX_CONNS];

static int claim_slot(struct conn *c)
{
    for (int tries = 0; tries < MAX_CONNS; tries++) {
        LONG i = (LONG)((ULONG)InterlockedIncrement(&slot_hint) % MAX_CONNS);
        if (!InterlockedCompareExchangePointer((void *volatile *)&slots[i], c, NULL)) {
            c->slot = i;
            return 1;
        }
    }
    return 0;
}

static struct conn *new_conn(void)
{
    struct conn *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    if (!claim_slot(c)) {
        free(c);
        return NULL;
    }
    c->s = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    c->recv.conn = c->send.conn = c;
    c->recv.op = OP_ACCEPT;       /* the recv slot carries the AcceptEx first */
    c->send.op = OP_SEND;
    return c;
}

static void drop(struct conn *c)
{
    if (c->s != INVALID_SOCKET)
        closesocket(c->s);
    InterlockedExchangePointer((void *volatile *)&slots[c->slot], NULL);
    free(c);
}

static void post_accept(void)
{
    struct conn *c = new_conn();
    DWORD got;
    if (!c)
        return;
    if (c->s == INVALID_SOCKET) {
        InterlockedIncrement(&failures);
        drop(c);
        return;
    }
    c->recv.op = OP_ACCEPT;
    if (!pAcceptEx(listener, c->s, c->addrs, 0, ADDR_SPACE, ADDR_SPACE, &got, &c->recv.ov) &&
        WSAGetLastError() != ERROR_IO_PENDING) {
        InterlockedIncrement(&failures);
        drop(c);
    }
}

static void post_recv(struct conn *c)
{
    DWORD flags = 0;
    c->recv.op = OP_RECV;
    c->wsabuf.buf = c->buf;
    c->wsabuf.len = BUF_SIZE;
    memset(&c->recv.ov, 0, sizeof(c->recv.ov));
    if (WSARecv(c->s, &c->wsabuf, 1, NULL, &flags, &c->recv.ov, NULL) == SOCKET_ERROR &&
        WSAGetLastError() != WSA_IO_PENDING)
        drop(c);
}

static DWORD WINAPI worker(void *arg)
{
    (void)arg;
    for (;;) {
        DWORD bytes;
        ULONG_PTR key;
        OVERLAPPED *ov;
        BOOL ok = GetQueuedCompletionStatus(port, &bytes, &key, &ov, INFINITE);
        if (key == STOP_KEY || (!ok && !ov))
            return 0;
        struct io *io = (struct io *)ov;
        struct conn *c = io->conn;
        switch (io->op) {
        case OP_ACCEPT:
            post_accept();                         /* keep the backlog of AcceptEx */
            if (!ok) {
                drop(c);
                break;
            }
            setsockopt(c->s, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, (char *)&listener, sizeof(listener));
            {
                BOOL nodelay = TRUE;
                setsockopt(c->s, IPPROTO_TCP, TCP_NODELAY, (char *)&nodelay, sizeof(nodelay));
            }
            if (!CreateIoCompletionPort((HANDLE)c->s, port, 0, 0)) {
                drop(c);
                break;
            }
            post_recv(c);
            break;
        case OP_RECV:
            if (!ok || bytes == 0) {               /* closed or reset */
                drop(c);
                break;
            }
            c->wsabuf.len = bytes;
            memset(&c->send.ov, 0, sizeof(c->send.ov));
            if (WSASend(c->s, &c->wsabuf, 1, NULL, 0, &c->send.ov, NULL) == SOCKET_ERROR &&
                WSAGetLastError() != WSA_IO_PENDING)
                drop(c);
            break;
        case OP_SEND:
            if (!ok) {
                drop(c);
                break;
            }
            InterlockedIncrement(&served);
            post_recv(c);
            break;
        }
    }
}

int main(int argc, char **argv)
{
    WSADATA data;
    struct sockaddr_in addr = { .sin_family = AF_INET };
    GUID accept_ex = WSAID_ACCEPTEX;
    DWORD ret;

    if (argc != 4) {
        fprintf(stderr, "usage: %s PORT WORKERS SECONDS\n", argv[0]);
        return 2;
    }
    int workers = atoi(argv[2]), seconds = atoi(argv[3]);
    if (workers < 1 || workers > 64 || seconds < 1) {
        fprintf(stderr, "iocp_echo_server: WORKERS 1..64, SECONDS >= 1\n");
        return 2;
    }
    if (WSAStartup(MAKEWORD(2, 2), &data))
        return 1;
    addr.sin_port = htons((u_short)atoi(argv[1]));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    listener = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    BOOL reuse = TRUE;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, (char *)&reuse, sizeof(reuse));
    if (bind(listener, (struct sockaddr *)&addr, sizeof(addr)) || listen(listener, SOMAXCONN)) {
        fprintf(stderr, "iocp_echo_server: listen failed: %d\n", WSAGetLastError());
        return 1;
    }
    port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, (DWORD)workers);
    CreateIoCompletionPort((HANDLE)listener, port, 0, 0);
    if (WSAIoctl(listener, SIO_GET_EXTENSION_FUNCTION_POINTER, &accept_ex, sizeof(accept_ex), &pAcceptEx,
                 sizeof(pAcceptEx), &ret, NULL, NULL)) {
        fprintf(stderr, "iocp_echo_server: no AcceptEx: %d\n", WSAGetLastError());
        return 1;
    }
    for (int i = 0; i < ACCEPTS; i++)
        post_accept();

    HANDLE threads[64];
    for (int i = 0; i < workers; i++)
        threads[i] = CreateThread(NULL, 0, worker, NULL, 0, NULL);
    printf("iocp_echo_server: listening on 127.0.0.1:%s with %d workers\n", argv[1], workers);
    fflush(stdout);

    Sleep((DWORD)seconds * 1000);
    for (int i = 0; i < workers; i++)
        PostQueuedCompletionStatus(port, 0, STOP_KEY, NULL);
    WaitForMultipleObjects((DWORD)workers, threads, TRUE, INFINITE);
    for (int i = 0; i < workers; i++)
        CloseHandle(threads[i]);
    /* Closing cancels what is posted; the cancellations still land on the
     * port and may write into the OVERLAPPEDs, so drain them before freeing. */
    closesocket(listener);
    for (int i = 0; i < MAX_CONNS; i++)
        if (slots[i]) {
            closesocket(slots[i]->s);
            slots[i]->s = INVALID_SOCKET;
        }
    DWORD bytes;
    ULONG_PTR key;
    OVERLAPPED *ov;
    while (GetQueuedCompletionStatus(port, &bytes, &key, &ov, 200) || ov)
        ;
    for (int i = 0; i < MAX_CONNS; i++)
        if (slots[i])
            drop(slots[i]);
    CloseHandle(port);
    printf("iocp_echo_server: stopped after %ld echoes, %ld failures\n", (long)served, (long)failures);
    WSACleanup();
    return failures ? 1 : 0;
}
