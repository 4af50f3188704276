/*
 * Bad pointers, as Windows answers them: a Windows program (mingw-w64)
 * that hands Winsock unreadable and unwritable memory where it reads or
 * writes a structure itself (a sockaddr, a WSABUF array, an option value,
 * WSADATA, an fd_set, WSAPOLLFD, an OVERLAPPED, a length) and expects
 * WSAEFAULT, then checks that nothing was left behind: the socket still
 * works and closes (no lock left held), no descriptor leaked over many
 * rounds, no connection lost from the accept queue.  Run under Wine on
 * ws2uring and on the builtin by run_wine.sh.
 *   wine_faults.exe ws2uring|builtin
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <stdio.h>
#include <string.h>

#include "wine_check.h"

static char *edge;              /* 8 bytes before memory that is not there */
/* The first page, never mapped; volatile, so the compiler does not
 * judge the calls itself. */
static void *volatile bad_pointer = (void *)1;
#define BAD bad_pointer

/* Descriptors of this (the Wine) process, from Linux's own list. */
static int descriptors(void)
{
    WIN32_FIND_DATAA f;
    HANDLE h = FindFirstFileA("Z:\\proc\\self\\fd\\*", &f);
    int n = 0;
    if (h == INVALID_HANDLE_VALUE)
        return -1;
    do
        n++;
    while (FindNextFileA(h, &f));
    FindClose(h);
    return n;
}

static SOCKET listening(struct sockaddr_in *a)
{
    int len = sizeof(*a);
    memset(a, 0, sizeof(*a));
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    SOCKET l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (bind(l, (struct sockaddr *)a, sizeof(*a)) || listen(l, 8) || getsockname(l, (struct sockaddr *)a, &len))
        return INVALID_SOCKET;
    return l;
}

/* One call's outcome: SOCKET_ERROR (or the failure value) with WSAEFAULT. */
static int faulted(int r)
{
    return r == SOCKET_ERROR && WSAGetLastError() == WSAEFAULT;
}

static int results[64];
static const char *names[64];
static int count;

static int verbose;

static void record(const char *name, int ok)
{
    if (verbose)
        printf("# %s: %s\n", name, ok ? "ok" : "FAIL");
    if (count < 64) {
        names[count] = name;
        results[count++] = ok;
    }
}

/* Every case once; returns how many of them the socket calls after them
 * (the same socket still usable, closesocket returning) let through. */
static void round_of_cases(void)
{
    struct sockaddr_in a, got;
    int len;
    char buf[64];
    DWORD n, flags;
    count = 0;

    SOCKET l = listening(&a);
    SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    record("bind-sockaddr", faulted(bind(s, (struct sockaddr *)edge, sizeof(struct sockaddr_in))));
    record("connect-sockaddr", faulted(connect(s, (struct sockaddr *)edge, sizeof(struct sockaddr_in))));
    record("setsockopt-value", faulted(setsockopt(s, SOL_SOCKET, SO_RCVBUF, BAD, sizeof(int))));
    len = sizeof(int);
    record("getsockopt-value", faulted(getsockopt(s, SOL_SOCKET, SO_RCVBUF, BAD, &len)));
    record("getsockopt-length", faulted(getsockopt(s, SOL_SOCKET, SO_RCVBUF, buf, BAD)));
    record("ioctlsocket-argument", faulted(ioctlsocket(s, FIONBIO, BAD)));
    record("connect-after", !connect(s, (struct sockaddr *)&a, sizeof(a)));
    len = sizeof(got);
    record("getsockname-sockaddr", faulted(getsockname(s, BAD, &len)));
    record("getsockname-length", faulted(getsockname(s, (struct sockaddr *)&got, BAD)));
    record("getpeername-sockaddr", faulted(getpeername(s, BAD, &len)));

    /* A connection waits: a bad address buffer must not take it. */
    len = sizeof(got);
    record("accept-sockaddr", accept(l, BAD, &len) == INVALID_SOCKET && WSAGetLastError() == WSAEFAULT);
    SOCKET p = accept(l, NULL, NULL);
    record("accept-after", p != INVALID_SOCKET);

    WSABUF wb = { 10, BAD };
    record("send-buffer", faulted(send(s, BAD, 10, 0)));
    record("wsasend-wsabufs", faulted(WSASend(s, BAD, 1, &n, 0, NULL, NULL)));
    record("wsasend-buffer", faulted(WSASend(s, &wb, 1, &n, 0, NULL, NULL)));
    send(p, "abc", 3, 0);
    Sleep(10);
    record("recv-buffer", faulted(recv(s, BAD, 10, 0)));
    flags = 0;
    record("wsarecv-wsabufs", faulted(WSARecv(s, BAD, 1, &n, &flags, NULL, NULL)));
    WSABUF rb = { sizeof(buf), buf };
    flags = 0;
    record("wsarecv-overlapped", faulted(WSARecv(s, &rb, 1, &n, &flags, BAD, NULL)));
    flags = 0;
    record("recv-after", WSARecv(s, &rb, 1, &n, &flags, NULL, NULL) == 0 && n >= 1);

    struct timeval tv = { 0, 0 };
    record("select-fdset", faulted(select(0, BAD, NULL, NULL, &tv)));
    record("wsapoll-fds", faulted(WSAPoll(BAD, 1, 0)));
    WSAEVENT ev = WSACreateEvent();
    record("enumnetworkevents-out", faulted(WSAEnumNetworkEvents(s, ev, BAD)));
    WSACloseEvent(ev);
    GUID acceptex = WSAID_ACCEPTEX;
    void *fn = NULL;
    record("wsaioctl-in", faulted(WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, edge, sizeof(acceptex), &fn,
                                           sizeof(fn), &n, NULL, NULL)));
    (void)acceptex;
    /* The extension functions, through their PE thunks. */
    LPFN_ACCEPTEX accept_ex = NULL;
    LPFN_CONNECTEX connect_ex = NULL;
    LPFN_WSARECVMSG recv_msg = NULL;
    GUID ids[3] = { WSAID_ACCEPTEX, WSAID_CONNECTEX, WSAID_WSARECVMSG };
    void **fns[3] = { (void **)&accept_ex, (void **)&connect_ex, (void **)&recv_msg };
    for (int i = 0; i < 3; i++)
        WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &ids[i], sizeof(GUID), fns[i], sizeof(void *), &n, NULL,
                 NULL);
    SOCKET x = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    char abuf[64];
    record("acceptex-overlapped", accept_ex && !accept_ex(l, x, abuf, 0, 32, 32, &n, BAD) &&
                                      WSAGetLastError() == WSAEFAULT);
    OVERLAPPED cov = { 0 };
    struct sockaddr_in any = { .sin_family = AF_INET };
    bind(x, (struct sockaddr *)&any, sizeof(any));
    record("connectex-sockaddr", connect_ex && !connect_ex(x, (struct sockaddr *)edge, sizeof(a), NULL, 0, NULL, &cov) &&
                                     WSAGetLastError() == WSAEFAULT);
    record("wsarecvmsg-msg", recv_msg && faulted(recv_msg(s, BAD, &n, NULL, NULL)));
    closesocket(x);

    SOCKET u = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    struct sockaddr_in ua = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    len = sizeof(ua);
    bind(u, (struct sockaddr *)&ua, sizeof(ua));
    getsockname(u, (struct sockaddr *)&ua, &len);
    record("sendto-sockaddr", faulted(sendto(u, "x", 1, 0, (struct sockaddr *)edge, sizeof(ua))));
    sendto(u, "y", 1, 0, (struct sockaddr *)&ua, sizeof(ua));
    Sleep(10);
    len = sizeof(got);
    record("recvfrom-sockaddr", faulted(recvfrom(u, buf, sizeof(buf), 0, BAD, &len)));

    DWORD got_flags = 0;
    record("wsagetoverlappedresult-ov", !WSAGetOverlappedResult(s, BAD, &n, FALSE, &got_flags) &&
                                            WSAGetLastError() == WSAEFAULT);
    struct addrinfo *res = NULL;
    record("getaddrinfo-hints", getaddrinfo("localhost", NULL, BAD, &res) == WSAEFAULT);
    record("gethostname-buffer", faulted(gethostname(BAD, 256)));
    WSADATA *d = BAD;
    record("wsastartup-wsadata", WSAStartup(MAKEWORD(2, 2), d) == WSAEFAULT);

    record("close-after", !closesocket(s) && !closesocket(p) && !closesocket(l) && !closesocket(u));
}

static DWORD WINAPI rounds(void *arg)
{
    for (int i = 0; i < *(int *)arg; i++)
        round_of_cases();
    return 0;
}

int main(int argc, char **argv)
{
    WSADATA d;
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc != 2 || (strcmp(argv[1], "ws2uring") && strcmp(argv[1], "builtin"))) {
        printf("usage: wine_faults.exe ws2uring|builtin\n");
        return 2;
    }
    int want = !strcmp(argv[1], "ws2uring");
    int ours = GetProcAddress(GetModuleHandleA("ws2_32.dll"), "ws2uring_version") != NULL;
    check(ours == want, "loaded", want ? "ws2uring's ws2_32.dll expected" : "Wine's builtin expected");
    char *two = VirtualAlloc(NULL, 8192, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    check(two && VirtualFree(two + 4096, 4096, MEM_DECOMMIT), "setup", "a page with nothing after it");
    edge = two + 4096 - 8;
    memset(two + 4096 - 8, 0, 8);
    ((struct sockaddr_in *)edge)->sin_family = AF_INET;
    check(!WSAStartup(MAKEWORD(2, 2), &d), "startup", "version 2.2");

    /* One round first: each case by name.  Then many in a thread with a
     * time limit (a lock left held hangs it), counting descriptors. */
    verbose = GetEnvironmentVariableA("W2U_VERBOSE", NULL, 0) > 0;
    int one = 1, many = 50;
    HANDLE t = CreateThread(NULL, 0, rounds, &one, 0, NULL);
    int done = WaitForSingleObject(t, 20000) == WAIT_OBJECT_0;
    check(done, "first-round", "every case returns");
    for (int i = 0; done && i < count; i++) {
        char name[64];
        snprintf(name, sizeof(name), "fault-%s", names[i]);
        check(results[i], name, "WSAEFAULT, and the socket goes on");
    }
    int before = descriptors();
    t = CreateThread(NULL, 0, rounds, &many, 0, NULL);
    done = done && WaitForSingleObject(t, 60000) == WAIT_OBJECT_0;
    check(done, "rounds", "50 rounds return (no lock left held)");
    int after = descriptors();
    printf("# descriptors before %d after %d\n", before, after);
    /* Wine's own descriptors come and go by up to 8 between two counts
     * here (its threads' and handles' fds); one left per faulted call
     * would be 50 per case, one per round 50. */
    check(done && before > 0 && after <= before + 20, "no-leak", "no descriptor left per faulted call");
    check(!WSACleanup(), "cleanup", "WSACleanup");
    return failures ? 1 : 0;
}
