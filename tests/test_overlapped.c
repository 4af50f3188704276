/* Overlapped socket I/O on io_uring through the Win32 API (suite overlapped). */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>

#include "linux_helper.h"
#include "../include/ws2uring_host.h"
#include "suite_main.h"

/* HasOverlappedIoCompleted while the operation may be completing on the
 * reaper's thread: Windows' macro is a plain load (x86 orders it), a C11
 * program needs an atomic one to poll a field another thread publishes. */
static bool ov_completed(const OVERLAPPED *ov)
{
    return __atomic_load_n(&ov->Internal, __ATOMIC_ACQUIRE) != STATUS_PENDING;
}

static void start(void)
{
    WSADATA d;
    ck_assert_int_eq(WSAStartup(MAKEWORD(2, 2), &d), 0);
}

static void stop(void)
{
    ck_assert_int_eq(WSACleanup(), 0);
}

/* A connected TCP pair over IPv4 loopback. */
static void tcp_pair(SOCKET *client, SOCKET *server)
{
    struct sockaddr_in in = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int len = sizeof(in);
    SOCKET l = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(bind(l, (struct sockaddr *)&in, len), 0);
    ck_assert_int_eq(getsockname(l, (struct sockaddr *)&in, &len), 0);
    ck_assert_int_eq(listen(l, 8), 0);
    *client = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    ck_assert_int_eq(connect(*client, (struct sockaddr *)&in, len), 0);
    *server = accept(l, NULL, NULL);
    ck_assert(*server != INVALID_SOCKET);
    closesocket(l);
}

static void zero(OVERLAPPED *ov)
{
    memset(ov, 0, sizeof(*ov));
}

/* Posts an overlapped receive; it must be pending. */
/* An OVERLAPPED of its own event. */
static void event_ov(OVERLAPPED *ov)
{
    zero(ov);
    ov->hEvent = WSACreateEvent();
}

static void post_recv(SOCKET s, WSABUF *b, OVERLAPPED *ov)
{
    DWORD flags = 0;
    ck_assert_int_eq(WSARecv(s, b, 1, NULL, &flags, ov, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSA_IO_PENDING);
    ck_assert(!ov_completed(ov));
}

START_TEST(test_recv_completes_through_event)
{
    start();
    SOCKET c, s;
    tcp_pair(&c, &s);
    char buf[32] = { 0 };
    WSABUF b = { sizeof(buf), buf };
    OVERLAPPED ov;
    zero(&ov);
    ov.hEvent = WSACreateEvent();
    post_recv(s, &b, &ov);
    DWORD bytes = 99, flags = 9;
    ck_assert(!WSAGetOverlappedResult(s, &ov, &bytes, FALSE, &flags));
    ck_assert_int_eq(WSAGetLastError(), WSA_IO_INCOMPLETE);
    ck_assert_int_eq(send(c, "hello", 5, 0), 5);
    ck_assert_uint_eq(WSAWaitForMultipleEvents(1, &ov.hEvent, FALSE, 5000, FALSE), WSA_WAIT_EVENT_0);
    ck_assert(ov_completed(&ov));
    ck_assert(WSAGetOverlappedResult(s, &ov, &bytes, FALSE, &flags));
    ck_assert_uint_eq(bytes, 5);
    ck_assert_str_eq(buf, "hello");
    WSACloseEvent(ov.hEvent);
    closesocket(c);
    closesocket(s);
    stop();
}
END_TEST

START_TEST(test_recv_and_send_complete_through_port)
{
    start();
    SOCKET c, s;
    tcp_pair(&c, &s);
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    ck_assert_ptr_eq(CreateIoCompletionPort((HANDLE)s, port, 0x5a, 0), port);
    char buf[32] = { 0 };
    WSABUF b = { sizeof(buf), buf };
    OVERLAPPED rov, sov;
    zero(&rov);
    zero(&sov);
    post_recv(s, &b, &rov);
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED got;
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &got, 0));
    ck_assert_uint_eq(GetLastError(), WAIT_TIMEOUT);
    ck_assert_int_eq(send(c, "ping", 4, 0), 4);
    ck_assert(GetQueuedCompletionStatus(port, &bytes, &key, &got, 5000));
    ck_assert_ptr_eq(got, &rov);
    ck_assert_uint_eq(key, 0x5a);
    ck_assert_uint_eq(bytes, 4);
    /* A send that completes at once still posts its packet (no skip mode). */
    WSABUF sb = { 4, (char *)"pong" };
    DWORD sent = 0;
    ck_assert_int_eq(WSASend(s, &sb, 1, &sent, 0, &sov, NULL), 0);
    ck_assert_uint_eq(sent, 4);
    ck_assert(GetQueuedCompletionStatus(port, &bytes, &key, &got, 5000));
    ck_assert_ptr_eq(got, &sov);
    ck_assert_uint_eq(bytes, 4);
    ck_assert_int_eq(recv(c, buf, sizeof(buf), 0), 4);
    closesocket(c);
    closesocket(s);
    CloseHandle(port);
    stop();
}
END_TEST

/* Starts Winsock and connects c to s; c is on a port of its own (key),
 * which it skips on success.  Returns the port. */
static HANDLE skip_mode_pair(SOCKET *c, SOCKET *s, ULONG_PTR key)
{
    start();
    tcp_pair(c, s);
    HANDLE port = CreateIoCompletionPort((HANDLE)*c, NULL, key, 0);
    ck_assert(SetFileCompletionNotificationModes((HANDLE)*c, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS));
    return port;
}

/* Nothing is on the port (waiting up to ms); then everything goes. */
static void no_packet_then_end(HANDLE port, DWORD ms, SOCKET c, SOCKET s)
{
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED got;
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &got, ms));
    ck_assert_uint_eq(GetLastError(), WAIT_TIMEOUT);
    closesocket(c);
    closesocket(s);
    CloseHandle(port);
    stop();
}

START_TEST(test_skip_completion_port_on_success)
{
    SOCKET c, s;
    HANDLE port = skip_mode_pair(&c, &s, 1);
    OVERLAPPED ov;
    zero(&ov);
    WSABUF b = { 3, (char *)"abc" };
    DWORD sent = 0;
    ck_assert_int_eq(WSASend(c, &b, 1, &sent, 0, &ov, NULL), 0);
    ck_assert_uint_eq(sent, 3);
    ck_assert(ov_completed(&ov));
    no_packet_then_end(port, 50, c, s);
}
END_TEST

/* WSARecv on the socket of port; the return value and the count it gives. */
static int recv_now(SOCKET s, char *buf, ULONG len, OVERLAPPED *ov, DWORD *count)
{
    WSABUF b = { len, buf };
    DWORD flags = 0;
    zero(ov);
    *count = 12345;
    return WSARecv(s, &b, 1, count, &flags, ov, NULL);
}

/* A receive that filled its buffer leaves data behind as a rule: the next
 * one completes at once (0 and its count, as Windows when data is there;
 * the packet still comes unless skip mode), and one that finds less than
 * its buffer sends the next through the ring again. */
START_TEST(test_wsarecv_completes_inline_when_data_waits)
{
    start();
    SOCKET c, s;
    tcp_pair(&c, &s);
    HANDLE port = CreateIoCompletionPort((HANDLE)c, NULL, 4, 0);
    char out[300];
    for (int i = 0; i < 300; i++)
        out[i] = (char)i;
    ck_assert_int_eq(send(s, out, 300, 0), 300);
    char buf[200];
    OVERLAPPED ov;
    DWORD count, bytes;
    ULONG_PTR key;
    LPOVERLAPPED got;
    /* The first goes through the ring (nothing known yet) and fills 100. */
    int r = recv_now(c, buf, 100, &ov, &count);
    ck_assert(r == 0 || WSAGetLastError() == WSA_IO_PENDING);
    ck_assert(GetQueuedCompletionStatus(port, &bytes, &key, &got, 5000));
    ck_assert_uint_eq(bytes, 100);
    ck_assert_mem_eq(buf, out, 100);
    /* Full before: this one completes inline. */
    ck_assert_int_eq(recv_now(c, buf, 100, &ov, &count), 0);
    ck_assert_uint_eq(count, 100);
    ck_assert(ov_completed(&ov));
    ck_assert_mem_eq(buf, out + 100, 100);
    ck_assert(GetQueuedCompletionStatus(port, &bytes, &key, &got, 5000));
    ck_assert_ptr_eq(got, &ov);
    ck_assert_uint_eq(bytes, 100);
    /* Skip mode: no packet for the next inline one, which finds 100 of 200. */
    ck_assert(SetFileCompletionNotificationModes((HANDLE)c, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS));
    ck_assert_int_eq(recv_now(c, buf, 200, &ov, &count), 0);
    ck_assert_uint_eq(count, 100);
    ck_assert_mem_eq(buf, out + 200, 100);
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &got, 0));
    /* Less than its buffer: the next waits in the ring for new data. */
    ck_assert_int_eq(recv_now(c, buf, 100, &ov, &count), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSA_IO_PENDING);
    ck_assert(!ov_completed(&ov));
    ck_assert_int_eq(send(s, "tail", 4, 0), 4);
    ck_assert(GetQueuedCompletionStatus(port, &bytes, &key, &got, 5000));
    ck_assert_ptr_eq(got, &ov);
    ck_assert_uint_eq(bytes, 4);
    ck_assert_mem_eq(buf, "tail", 4);
    closesocket(c);
    closesocket(s);
    CloseHandle(port);
    stop();
}
END_TEST

/* A socket that skips the port on success (Go's runtime sets it on every
 * socket) gets its receive done at once whenever data is waiting, even
 * the first, as Windows completes it: no packet, the count at once. */
START_TEST(test_wsarecv_skip_mode_completes_inline_when_data_waits)
{
    SOCKET c, s;
    HANDLE port = skip_mode_pair(&c, &s, 4);
    ck_assert_int_eq(send(s, "ready", 5, 0), 5);
    u_long waiting = 0;
    for (int i = 0; i < 500 && waiting < 5; i++) {
        ck_assert_int_eq(ioctlsocket(c, FIONREAD, &waiting), 0);
        if (waiting < 5)
            Sleep(2);
    }
    ck_assert_uint_eq(waiting, 5);
    char buf[64];
    OVERLAPPED ov;
    DWORD count;
    ck_assert_int_eq(recv_now(c, buf, sizeof(buf), &ov, &count), 0);
    ck_assert_uint_eq(count, 5);
    ck_assert_mem_eq(buf, "ready", 5);
    no_packet_then_end(port, 0, c, s);
}
END_TEST

static _Atomic int routine_calls;
static DWORD routine_error, routine_bytes;
static LPWSAOVERLAPPED routine_ov;

static void CALLBACK on_done(DWORD error, DWORD bytes, LPWSAOVERLAPPED ov, DWORD flags)
{
    (void)flags;
    routine_error = error;
    routine_bytes = bytes;
    routine_ov = ov;
    atomic_fetch_add(&routine_calls, 1);
}

START_TEST(test_completion_routine_runs_when_alertable)
{
    start();
    SOCKET c, s;
    tcp_pair(&c, &s);
    char buf[16];
    WSABUF b = { sizeof(buf), buf };
    OVERLAPPED ov;
    zero(&ov);
    DWORD flags = 0;
    ck_assert_int_eq(WSARecv(s, &b, 1, NULL, &flags, &ov, on_done), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSA_IO_PENDING);
    ck_assert_int_eq(send(c, "routine", 7, 0), 7);
    /* The routine runs on this thread, in an alertable wait only. */
    for (int i = 0; i < 500 && !ov_completed(&ov); i++)
        Sleep(10);
    ck_assert(ov_completed(&ov));
    ck_assert_int_eq(atomic_load(&routine_calls), 0);
    ck_assert_uint_eq(SleepEx(5000, TRUE), WAIT_IO_COMPLETION);
    ck_assert_int_eq(atomic_load(&routine_calls), 1);
    ck_assert_uint_eq(routine_error, 0);
    ck_assert_uint_eq(routine_bytes, 7);
    ck_assert_ptr_eq(routine_ov, &ov);
    /* With a routine, hEvent is the program's: it is not signalled. */
    zero(&ov);
    ov.hEvent = WSACreateEvent();
    ck_assert_int_eq(WSARecv(s, &b, 1, NULL, &flags, &ov, on_done), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSA_IO_PENDING);
    ck_assert_int_eq(send(c, "again", 5, 0), 5);
    ck_assert_uint_eq(SleepEx(5000, TRUE), WAIT_IO_COMPLETION);
    ck_assert_int_eq(atomic_load(&routine_calls), 2);
    ck_assert_uint_eq(WSAWaitForMultipleEvents(1, &ov.hEvent, FALSE, 0, FALSE), WSA_WAIT_TIMEOUT);
    WSACloseEvent(ov.hEvent);
    closesocket(c);
    closesocket(s);
    stop();
}
END_TEST

struct recv_job {
    SOCKET s;
    WSABUF b;
    OVERLAPPED ov;
};

static void *recv_and_exit(void *arg)
{
    struct recv_job *j = arg;
    DWORD flags = 0;
    ck_assert_int_eq(WSARecv(j->s, &j->b, 1, NULL, &flags, &j->ov, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSA_IO_PENDING);
    return NULL;
}

/* Since Vista, I/O outlives the thread that started it: io_uring cancels
 * a request whose submitting thread exits, which must not reach the
 * program. */
START_TEST(test_receive_outlives_its_thread)
{
    start();
    SOCKET c, s;
    tcp_pair(&c, &s);
    HANDLE port = CreateIoCompletionPort((HANDLE)s, NULL, 5, 0);
    static char buf[16];
    struct recv_job j = { s, { sizeof(buf), buf }, { 0 } };
    pthread_t th;
    pthread_create(&th, NULL, recv_and_exit, &j);
    pthread_join(th, NULL);
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED got;
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &got, 200));
    ck_assert_uint_eq(GetLastError(), WAIT_TIMEOUT);
    ck_assert_int_eq(send(c, "after", 5, 0), 5);
    ck_assert(GetQueuedCompletionStatus(port, &bytes, &key, &got, 5000));
    ck_assert_ptr_eq(got, &j.ov);
    ck_assert_uint_eq(bytes, 5);
    ck_assert_int_eq(memcmp(buf, "after", 5), 0);
    closesocket(c);
    closesocket(s);
    CloseHandle(port);
    stop();
}
END_TEST

/* A WSADuplicateSocket copy within the process completes on the port of
 * the socket it copies, with its key. */
START_TEST(test_duplicate_completes_on_the_originals_port)
{
    start();
    SOCKET c, s;
    tcp_pair(&c, &s);
    HANDLE port = CreateIoCompletionPort((HANDLE)s, NULL, 125, 0);
    WSAPROTOCOL_INFOW info;
    ck_assert_int_eq(WSADuplicateSocketW(s, GetCurrentProcessId(), &info), 0);
    SOCKET d = WSASocketW(AF_INET, SOCK_STREAM, 0, &info, 0, WSA_FLAG_OVERLAPPED);
    ck_assert(d != INVALID_SOCKET);
    char buf[8];
    WSABUF b = { sizeof(buf), buf };
    OVERLAPPED ov;
    zero(&ov);
    post_recv(d, &b, &ov);
    ck_assert_int_eq(send(c, "dup", 3, 0), 3);
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED got;
    ck_assert(GetQueuedCompletionStatus(port, &bytes, &key, &got, 5000));
    ck_assert_uint_eq(key, 125);
    ck_assert_ptr_eq(got, &ov);
    ck_assert_uint_eq(bytes, 3);
    closesocket(d);
    closesocket(c);
    closesocket(s);
    CloseHandle(port);
    stop();
}
END_TEST

START_TEST(test_low_bit_event_sets_event_without_packet)
{
    start();
    SOCKET c, s;
    tcp_pair(&c, &s);
    HANDLE port = CreateIoCompletionPort((HANDLE)s, NULL, 1, 0);
    WSAEVENT ev = WSACreateEvent();
    char buf[8];
    WSABUF b = { sizeof(buf), buf };
    OVERLAPPED ov;
    zero(&ov);
    ov.hEvent = (HANDLE)((ULONG_PTR)ev | 1);
    post_recv(s, &b, &ov);
    send(c, "x", 1, 0);
    ck_assert_uint_eq(WSAWaitForMultipleEvents(1, &ev, FALSE, 5000, FALSE), WSA_WAIT_EVENT_0);
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED got;
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &got, 50));
    ck_assert_uint_eq(GetLastError(), WAIT_TIMEOUT);
    WSACloseEvent(ev);
    closesocket(c);
    closesocket(s);
    CloseHandle(port);
    stop();
}
END_TEST

START_TEST(test_getoverlappedresult_waits)
{
    start();
    SOCKET c, s;
    tcp_pair(&c, &s);
    HANDLE port = CreateIoCompletionPort((HANDLE)s, NULL, 1, 0);   /* nobody waits on it */
    char buf[8];
    WSABUF b = { sizeof(buf), buf };
    OVERLAPPED ov;
    zero(&ov);
    post_recv(s, &b, &ov);
    DWORD bytes = 0;
    ck_assert(!GetOverlappedResult((HANDLE)s, &ov, &bytes, FALSE));
    ck_assert_uint_eq(GetLastError(), ERROR_IO_INCOMPLETE);
    ck_assert(!GetOverlappedResultEx((HANDLE)s, &ov, &bytes, 20, FALSE));
    ck_assert_uint_eq(GetLastError(), WAIT_TIMEOUT);
    send(c, "waited", 6, 0);
    /* The waiter itself reaps the port's ring: nobody else does here. */
    ck_assert(GetOverlappedResult((HANDLE)s, &ov, &bytes, TRUE));
    ck_assert_uint_eq(bytes, 6);
    /* The handle matters only for waiting (as on Windows, a finished
     * OVERLAPPED answers alone). */
    post_recv(s, &b, &ov);
    ck_assert(!GetOverlappedResult((HANDLE)0x1234, &ov, &bytes, TRUE));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    send(c, "x", 1, 0);
    ck_assert(GetOverlappedResult((HANDLE)s, &ov, &bytes, TRUE));
    closesocket(c);
    closesocket(s);
    CloseHandle(port);
    stop();
}
END_TEST

START_TEST(test_cancelioex_one_and_not_found)
{
    start();
    SOCKET c, s;
    tcp_pair(&c, &s);
    HANDLE port = CreateIoCompletionPort((HANDLE)s, NULL, 7, 0);
    char buf[8];
    WSABUF b = { sizeof(buf), buf };
    OVERLAPPED ov, other;
    zero(&ov);
    zero(&other);
    post_recv(s, &b, &ov);
    ck_assert(!CancelIoEx((HANDLE)s, &other));
    ck_assert_uint_eq(GetLastError(), ERROR_NOT_FOUND);
    ck_assert(CancelIoEx((HANDLE)s, &ov));
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED got;
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &got, 5000));
    ck_assert_uint_eq(GetLastError(), ERROR_OPERATION_ABORTED);
    ck_assert_ptr_eq(got, &ov);
    ck_assert_uint_eq(key, 7);
    DWORD flags;
    ck_assert(!WSAGetOverlappedResult(s, &ov, &bytes, FALSE, &flags));
    ck_assert_int_eq(WSAGetLastError(), WSA_OPERATION_ABORTED);
    ck_assert(!CancelIoEx((HANDLE)s, &ov));         /* gone now */
    ck_assert_uint_eq(GetLastError(), ERROR_NOT_FOUND);
    ck_assert(!CancelIoEx((HANDLE)0x1234, NULL));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    /* The socket still works. */
    post_recv(s, &b, &ov);
    send(c, "ok", 2, 0);
    ck_assert(GetQueuedCompletionStatus(port, &bytes, &key, &got, 5000));
    ck_assert_uint_eq(bytes, 2);
    closesocket(c);
    closesocket(s);
    CloseHandle(port);
    stop();
}
END_TEST

/* CancelIoEx issued while another thread sends the data that completes
 * the receive: either outcome is allowed, but each receive completes
 * exactly once, and no byte is lost or delivered twice. */
struct racer {
    SOCKET c;
    HANDLE go, sent;
    volatile LONG stop;
};

static DWORD WINAPI race_sender(void *arg)
{
    struct racer *r = arg;
    for (;;) {
        WaitForSingleObject(r->go, INFINITE);
        if (r->stop)
            return 0;
        send(r->c, "x", 1, 0);
        SetEvent(r->sent);
    }
}

START_TEST(test_cancelioex_racing_completion_completes_once)
{
    start();
    SOCKET c, s;
    tcp_pair(&c, &s);
    HANDLE port = CreateIoCompletionPort((HANDLE)s, NULL, 9, 0);
    struct racer r = { c, CreateEventA(NULL, FALSE, FALSE, NULL), CreateEventA(NULL, FALSE, FALSE, NULL), 0 };
    HANDLE th = CreateThread(NULL, 0, race_sender, &r, 0, NULL);
    enum { ROUNDS = 1000 };
    unsigned completed = 0, aborted = 0;
    char buf[4];
    WSABUF b = { sizeof(buf), buf };
    for (int i = 0; i < ROUNDS; i++) {
        OVERLAPPED ov;
        zero(&ov);
        post_recv(s, &b, &ov);
        SetEvent(r.go);
        for (volatile int spin = (i * 7919) % 60000; spin > 0; spin--)
            ;                              /* vary who wins */
        BOOL cancelled = CancelIoEx((HANDLE)s, &ov);
        ck_assert(cancelled || GetLastError() == ERROR_NOT_FOUND);
        DWORD bytes;
        ULONG_PTR key;
        OVERLAPPED *got;
        BOOL ok = GetQueuedCompletionStatus(port, &bytes, &key, &got, 5000);
        ck_assert_ptr_eq(got, &ov);
        ck_assert_uint_eq(WaitForSingleObject(r.sent, 5000), WAIT_OBJECT_0);
        if (ok) {
            ck_assert_uint_eq(bytes, 1);
            completed++;
        } else {
            ck_assert_uint_eq(GetLastError(), ERROR_OPERATION_ABORTED);
            ck_assert_uint_eq(bytes, 0);
            ck_assert_int_eq(recv(s, buf, sizeof(buf), 0), 1);   /* the byte is still there */
            aborted++;
        }
        ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &got, 0));
        ck_assert_ptr_null(got);
    }
    r.stop = 1;
    SetEvent(r.go);
    WaitForSingleObject(th, INFINITE);
    fprintf(stderr, "race: %u completed, %u aborted\n", completed, aborted);
    ck_assert_uint_eq(completed + aborted, ROUNDS);
    /* A race both ways: some cancels came first, some completions. */
    ck_assert_uint_gt(completed, 0);
    ck_assert_uint_gt(aborted, 0);
    CloseHandle(th);
    CloseHandle(r.go);
    CloseHandle(r.sent);
    closesocket(c);
    closesocket(s);
    CloseHandle(port);
    stop();
}
END_TEST

/* closesocket ends the operations running in the kernel (a send the peer
 * does not read, a receive, on the default ring through their events and
 * on the port's ring with no thread waiting on the port) before it
 * returns: each OVERLAPPED shows STATUS_CANCELLED and the port holds its
 * packet at once, in every one of 20 rounds. */
START_TEST(test_close_ends_running_operations_before_returning)
{
    start();
    enum { BIG = 8 << 20 };
    char *big = malloc(BIG);
    memset(big, 'b', BIG);
    for (int round = 0; round < 20; round++) {
        HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
        SOCKET c, s, pc, ps;
        tcp_pair(&c, &s);
        tcp_pair(&pc, &ps);
        CreateIoCompletionPort((HANDLE)ps, port, 7, 0);
        OVERLAPPED sov, rov, pov;
        zero(&sov);
        zero(&rov);
        zero(&pov);
        sov.hEvent = WSACreateEvent();
        rov.hEvent = WSACreateEvent();
        WSABUF wb = { BIG, big };
        char in[8], pin[8];
        WSABUF rb = { sizeof(in), in }, pb = { sizeof(pin), pin };
        ck_assert_int_eq(WSASend(c, &wb, 1, NULL, 0, &sov, NULL), SOCKET_ERROR);
        ck_assert_int_eq(WSAGetLastError(), WSA_IO_PENDING);
        post_recv(c, &rb, &rov);
        post_recv(ps, &pb, &pov);
        ck_assert_int_eq(closesocket(c), 0);
        ck_assert_int_eq(closesocket(ps), 0);
        ck_assert(ov_completed(&sov) && ov_completed(&rov) && ov_completed(&pov));
        ck_assert_uint_eq(sov.Internal, 0xC0000120u);     /* STATUS_CANCELLED */
        ck_assert_uint_eq(rov.Internal, 0xC0000120u);
        ck_assert_uint_eq(pov.Internal, 0xC0000120u);
        DWORD bytes;
        ULONG_PTR key;
        LPOVERLAPPED got;
        ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &got, 0));
        ck_assert_uint_eq(GetLastError(), ERROR_OPERATION_ABORTED);
        ck_assert(got == &pov && key == 7);
        WSACloseEvent(sov.hEvent);
        WSACloseEvent(rov.hEvent);
        closesocket(s);
        closesocket(pc);
        CloseHandle(port);
    }
    free(big);
    stop();
}
END_TEST

START_TEST(test_close_with_100_pending_completes_each_once)
{
    start();
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    enum { N = 100 };
    static OVERLAPPED ov[N];
    static char bufs[N][4];
    SOCKET c[10], s[10];
    for (int k = 0; k < 10; k++) {
        tcp_pair(&c[k], &s[k]);
        CreateIoCompletionPort((HANDLE)s[k], port, (ULONG_PTR)k, 0);
    }
    /* Ten receives queued on each of ten sockets. */
    for (int i = 0; i < N; i++) {
        WSABUF b = { 4, bufs[i] };
        zero(&ov[i]);
        post_recv(s[i % 10], &b, &ov[i]);
    }
    for (int k = 0; k < 10; k++)
        ck_assert_int_eq(closesocket(s[k]), 0);
    int seen[N] = { 0 };
    for (int i = 0; i < N; i++) {
        DWORD bytes;
        ULONG_PTR key;
        LPOVERLAPPED got;
        /* On the port when closesocket returned: no wait. */
        ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &got, 0));
        ck_assert_uint_eq(GetLastError(), ERROR_OPERATION_ABORTED);
        seen[(OVERLAPPED *)got - ov]++;
    }
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(seen[i], 1);
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED got;
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &got, 50));
    ck_assert_uint_eq(GetLastError(), WAIT_TIMEOUT);
    for (int k = 0; k < 10; k++)
        closesocket(c[k]);
    CloseHandle(port);
    stop();
}
END_TEST

START_TEST(test_peer_reset_during_receive)
{
    start();
    SOCKET c, s;
    tcp_pair(&c, &s);
    HANDLE port = CreateIoCompletionPort((HANDLE)s, NULL, 1, 0);
    char buf[8];
    WSABUF b = { sizeof(buf), buf };
    OVERLAPPED ov;
    zero(&ov);
    post_recv(s, &b, &ov);
    struct linger abortive = { 1, 0 };
    setsockopt(c, SOL_SOCKET, SO_LINGER, (char *)&abortive, sizeof(abortive));
    closesocket(c);
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED got;
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &got, 5000));
    ck_assert_uint_eq(GetLastError(), ERROR_NETNAME_DELETED);      /* as Windows reports a reset */
    ck_assert_ptr_eq(got, &ov);
    DWORD flags;
    ck_assert(!WSAGetOverlappedResult(s, &ov, &bytes, FALSE, &flags));
    ck_assert_int_eq(WSAGetLastError(), WSAECONNRESET);
    /* Every later receive fails the same way (Linux says end of stream). */
    zero(&ov);
    flags = 0;
    int r = WSARecv(s, &b, 1, NULL, &flags, &ov, NULL);
    if (r == SOCKET_ERROR && WSAGetLastError() == WSA_IO_PENDING)
        ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &got, 5000));
    else
        ck_assert_int_eq(WSAGetLastError(), WSAECONNRESET);
    ck_assert(!WSAGetOverlappedResult(s, &ov, &bytes, FALSE, &flags));
    ck_assert_int_eq(WSAGetLastError(), WSAECONNRESET);
    ck_assert_int_eq(recv(s, buf, sizeof(buf), 0), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAECONNRESET);
    /* A socket whose completions go to a port takes no completion routine. */
    zero(&ov);
    ck_assert_int_eq(WSARecv(s, &b, 1, NULL, &flags, &ov, on_done), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    closesocket(s);
    CloseHandle(port);
    stop();
}
END_TEST

struct drain { SOCKET s; char *buf; size_t want, got; };

static void *slow_drain(void *arg)
{
    struct drain *d = arg;
    int n;
    while (d->got < d->want && (n = recv(d->s, d->buf + d->got, 32768, 0)) > 0)
        d->got += (size_t)n;
    return NULL;
}

START_TEST(test_large_send_completes_in_full)
{
    start();
    SOCKET c, s;
    tcp_pair(&c, &s);
    enum { SIZE = 8 << 20 };
    char *out = malloc(SIZE), *in = malloc(SIZE);
    for (int i = 0; i < SIZE; i++)
        out[i] = (char)(i * 13 + 1);
    WSAEVENT ev = WSACreateEvent();
    OVERLAPPED ov;
    zero(&ov);
    ov.hEvent = ev;
    /* Three buffers, one send: all of it, in order, once. */
    WSABUF b[3] = { { 1000, out }, { SIZE / 2 - 1000, out + 1000 }, { SIZE / 2, out + SIZE / 2 } };
    DWORD sent = 0;
    int r = WSASend(c, b, 3, &sent, 0, &ov, NULL);
    ck_assert(r == 0 || WSAGetLastError() == WSA_IO_PENDING);
    struct drain d = { s, in, SIZE, 0 };
    pthread_t th;
    pthread_create(&th, NULL, slow_drain, &d);
    ck_assert_uint_eq(WSAWaitForMultipleEvents(1, &ev, FALSE, 30000, FALSE), WSA_WAIT_EVENT_0);
    DWORD bytes, flags;
    ck_assert(WSAGetOverlappedResult(c, &ov, &bytes, TRUE, &flags));
    ck_assert_uint_eq(bytes, SIZE);
    pthread_join(th, NULL);
    ck_assert_uint_eq(d.got, SIZE);
    ck_assert_int_eq(memcmp(in, out, SIZE), 0);
    free(in);
    free(out);
    WSACloseEvent(ev);
    closesocket(c);
    closesocket(s);
    stop();
}
END_TEST

/* io_uring's worker threads end a send or receive on an O_NONBLOCK socket
 * with -EAGAIN under load (a partial send whose rest cannot go at once);
 * an overlapped operation never would-blocks on Windows.  Every other
 * request put in the ring here carries MSG_DONTWAIT, so the kernel ends
 * it with -EAGAIN when the socket is not ready: a receive posted before
 * its data (the first, so one of them) and an 8 MiB send to a slow reader
 * still complete, with every byte and no WSAEWOULDBLOCK. */
START_TEST(test_overlapped_ring_would_block_goes_again)
{
    setenv("WS2URING_TEST_DONTWAIT", "2", 1);
    start();
    SOCKET c, s;
    tcp_pair(&c, &s);
    char early[8] = { 0 };
    WSABUF rb = { sizeof(early), early };
    OVERLAPPED rov;
    event_ov(&rov);
    post_recv(s, &rb, &rov);
    DWORD bytes, flags = 0;
    ck_assert_uint_eq(WSAWaitForMultipleEvents(1, &rov.hEvent, FALSE, 100, FALSE), WSA_WAIT_TIMEOUT);
    ck_assert_int_eq(send(c, "hello", 5, 0), 5);
    ck_assert(WSAGetOverlappedResult(s, &rov, &bytes, TRUE, &flags));
    ck_assert_uint_eq(bytes, 5);
    ck_assert_mem_eq(early, "hello", 5);

    enum { SIZE = 8 << 20 };
    char *out = malloc(SIZE), *in = malloc(SIZE);
    for (int i = 0; i < SIZE; i++)
        out[i] = (char)(i * 11 + 3);
    OVERLAPPED sov;
    event_ov(&sov);
    WSABUF sb = { SIZE, out };
    int r = WSASend(c, &sb, 1, NULL, 0, &sov, NULL);
    ck_assert(r == 0 || WSAGetLastError() == WSA_IO_PENDING);
    struct drain d = { s, in, SIZE, 0 };
    pthread_t th;
    pthread_create(&th, NULL, slow_drain, &d);
    ck_assert(WSAGetOverlappedResult(c, &sov, &bytes, TRUE, &flags));
    ck_assert_uint_eq(bytes, SIZE);
    pthread_join(th, NULL);
    ck_assert_uint_eq(d.got, SIZE);
    ck_assert_int_eq(memcmp(in, out, SIZE), 0);
    free(in);
    free(out);
    WSACloseEvent(rov.hEvent);
    WSACloseEvent(sov.hEvent);
    closesocket(c);
    closesocket(s);
    stop();
}
END_TEST

/* More buffers than a request keeps inline (ten each way), in order. */
START_TEST(test_ten_buffer_scatter_gather_send_and_receive)
{
    start();
    SOCKET c, s;
    tcp_pair(&c, &s);
    char out[10][100], in[10][100];
    WSABUF ob[10], ib[10];
    for (int i = 0; i < 10; i++) {
        memset(out[i], 'A' + i, sizeof(out[i]));
        memset(in[i], 0, sizeof(in[i]));
        ob[i] = (WSABUF){ sizeof(out[i]), out[i] };
        ib[i] = (WSABUF){ sizeof(in[i]), in[i] };
    }
    OVERLAPPED rov, sov;
    zero(&rov);
    zero(&sov);
    rov.hEvent = WSACreateEvent();
    sov.hEvent = WSACreateEvent();
    DWORD flags = MSG_WAITALL;
    int r = WSARecv(s, ib, 10, NULL, &flags, &rov, NULL);
    ck_assert(r == 0 || WSAGetLastError() == WSA_IO_PENDING);
    r = WSASend(c, ob, 10, NULL, 0, &sov, NULL);
    ck_assert(r == 0 || WSAGetLastError() == WSA_IO_PENDING);
    DWORD bytes;
    ck_assert(WSAGetOverlappedResult(c, &sov, &bytes, TRUE, &flags));
    ck_assert_uint_eq(bytes, 1000);
    ck_assert(WSAGetOverlappedResult(s, &rov, &bytes, TRUE, &flags));
    ck_assert_uint_eq(bytes, 1000);
    ck_assert_mem_eq(in, out, sizeof(out));
    WSACloseEvent(rov.hEvent);
    WSACloseEvent(sov.hEvent);
    closesocket(c);
    closesocket(s);
    stop();
}
END_TEST

START_TEST(test_recvfrom_fills_sender_at_completion)
{
    start();
    struct sockaddr_in6 a = { .sin6_family = AF_INET6 }, b = { .sin6_family = AF_INET6 };
    a.sin6_addr.s6_addr[15] = b.sin6_addr.s6_addr[15] = 1;
    int al = sizeof(a), bl = sizeof(b);
    SOCKET x = socket(AF_INET6, SOCK_DGRAM, 0), y = socket(AF_INET6, SOCK_DGRAM, 0);
    ck_assert_int_eq(bind(x, (struct sockaddr *)&a, al), 0);
    ck_assert_int_eq(bind(y, (struct sockaddr *)&b, bl), 0);
    getsockname(x, (struct sockaddr *)&a, &al);
    getsockname(y, (struct sockaddr *)&b, &bl);
    char buf[16];
    WSABUF wb = { sizeof(buf), buf };
    struct sockaddr_in6 from;
    int fromlen = sizeof(from);
    DWORD flags = 0;
    OVERLAPPED ov;
    zero(&ov);
    ov.hEvent = WSACreateEvent();
    ck_assert_int_eq(WSARecvFrom(y, &wb, 1, NULL, &flags, (struct sockaddr *)&from, &fromlen, &ov, NULL),
                     SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSA_IO_PENDING);
    ck_assert_int_eq(sendto(x, "dgram", 5, 0, (struct sockaddr *)&b, bl), 5);
    ck_assert_uint_eq(WSAWaitForMultipleEvents(1, &ov.hEvent, FALSE, 5000, FALSE), WSA_WAIT_EVENT_0);
    DWORD bytes;
    ck_assert(WSAGetOverlappedResult(y, &ov, &bytes, FALSE, &flags));
    ck_assert_uint_eq(bytes, 5);
    ck_assert_int_eq(fromlen, (int)sizeof(struct sockaddr_in6));
    ck_assert_int_eq(from.sin6_family, AF_INET6);
    ck_assert_uint_eq(from.sin6_port, a.sin6_port);
    /* Overlapped sendto, then a datagram too big for the buffer. */
    OVERLAPPED sov;
    zero(&sov);
    WSABUF big = { 12, (char *)"0123456789ab" };
    DWORD sent;
    ck_assert_int_eq(WSASendTo(x, &big, 1, &sent, 0, (struct sockaddr *)&b, bl, &sov, NULL), 0);
    WSABUF four = { 4, buf };
    WSAResetEvent(ov.hEvent);
    HANDLE ev = ov.hEvent;
    zero(&ov);
    ov.hEvent = ev;
    fromlen = sizeof(from);
    int r = WSARecvFrom(y, &four, 1, NULL, &flags, (struct sockaddr *)&from, &fromlen, &ov, NULL);
    ck_assert(r == 0 || WSAGetLastError() == WSA_IO_PENDING);
    ck_assert_uint_eq(WSAWaitForMultipleEvents(1, &ev, FALSE, 5000, FALSE), WSA_WAIT_EVENT_0);
    ck_assert(!WSAGetOverlappedResult(y, &ov, &bytes, FALSE, &flags));
    ck_assert_int_eq(WSAGetLastError(), WSAEMSGSIZE);
    ck_assert_uint_eq(bytes, 4);
    WSACloseEvent(ev);
    closesocket(x);
    closesocket(y);
    stop();
}
END_TEST

/* Windows takes any number of WSABUFs in one call (Go's net.Buffers
 * sends 1,025 in one WSASend); Linux takes 1,024 iovecs per system call.
 * A stream send of 3,000 buffers completes in full, in order, and a
 * receive of 1,500 buffers fills them in order. */
#define MANY_BUFS 3000
START_TEST(test_overlapped_wsasend_takes_more_buffers_than_linux)
{
    start();
    SOCKET c, s;
    tcp_pair(&c, &s);
    static char out[MANY_BUFS], in[MANY_BUFS];
    static WSABUF ob[MANY_BUFS], ib[MANY_BUFS];
    for (int i = 0; i < MANY_BUFS; i++) {
        out[i] = (char)(i * 7);
        ob[i] = (WSABUF){ 1, &out[i] };
        ib[i] = (WSABUF){ 1, &in[i] };
    }
    OVERLAPPED sov, rov;
    event_ov(&sov);
    event_ov(&rov);
    DWORD bytes, flags = 0;
    int r = WSASend(c, ob, MANY_BUFS, NULL, 0, &sov, NULL);
    ck_assert(r == 0 || WSAGetLastError() == WSA_IO_PENDING);
    ck_assert(WSAGetOverlappedResult(c, &sov, &bytes, TRUE, &flags));
    ck_assert_uint_eq(bytes, MANY_BUFS);
    size_t got = 0;
    while (got < MANY_BUFS) {
        WSAResetEvent(rov.hEvent);
        r = WSARecv(s, ib + got, MANY_BUFS / 2 < MANY_BUFS - got ? MANY_BUFS / 2 : (DWORD)(MANY_BUFS - got), NULL, &flags, &rov, NULL);
        ck_assert(r == 0 || WSAGetLastError() == WSA_IO_PENDING);
        ck_assert(WSAGetOverlappedResult(s, &rov, &bytes, TRUE, &flags));
        ck_assert_uint_gt(bytes, 0);
        got += bytes;
    }
    ck_assert_mem_eq(in, out, MANY_BUFS);
    WSACloseEvent(sov.hEvent);
    WSACloseEvent(rov.hEvent);
    closesocket(c);
    closesocket(s);
    stop();
}
END_TEST

/* A datagram is one message whatever its buffer count: 1,100 buffers of
 * 3 bytes go as one 3,300-byte datagram and come back into 1,100 others,
 * synchronously and overlapped, and one buffer short of it is
 * WSAEMSGSIZE with what fitted. */
#define DGRAM_BUFS 1100
START_TEST(test_overlapped_datagram_of_more_buffers_than_linux_is_one_message)
{
    start();
    SOCKET x = socket(AF_INET, SOCK_DGRAM, 0), y = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int al = sizeof(a);
    ck_assert_int_eq(bind(y, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(getsockname(y, (struct sockaddr *)&a, &al), 0);
    static char out[DGRAM_BUFS * 3], in[DGRAM_BUFS * 3];
    static WSABUF ob[DGRAM_BUFS], ib[DGRAM_BUFS];
    for (int i = 0; i < DGRAM_BUFS * 3; i++)
        out[i] = (char)(i % 251);
    for (int i = 0; i < DGRAM_BUFS; i++) {
        ob[i] = (WSABUF){ 3, &out[i * 3] };
        ib[i] = (WSABUF){ 3, &in[i * 3] };
    }
    OVERLAPPED sov, rov;
    event_ov(&sov);
    event_ov(&rov);
    DWORD bytes, flags = 0;
    int r = WSARecv(y, ib, DGRAM_BUFS, NULL, &flags, &rov, NULL);
    ck_assert(r == 0 || WSAGetLastError() == WSA_IO_PENDING);
    r = WSASendTo(x, ob, DGRAM_BUFS, NULL, 0, (struct sockaddr *)&a, sizeof(a), &sov, NULL);
    ck_assert(r == 0 || WSAGetLastError() == WSA_IO_PENDING);
    ck_assert(WSAGetOverlappedResult(x, &sov, &bytes, TRUE, &flags));
    ck_assert_uint_eq(bytes, sizeof(out));
    ck_assert(WSAGetOverlappedResult(y, &rov, &bytes, TRUE, &flags));
    ck_assert_uint_eq(bytes, sizeof(in));
    ck_assert_mem_eq(in, out, sizeof(out));
    /* Sent again, synchronously; received into one buffer fewer. */
    memset(in, 0, sizeof(in));
    ck_assert_int_eq(WSASendTo(x, ob, DGRAM_BUFS, &bytes, 0, (struct sockaddr *)&a, sizeof(a), NULL, NULL), 0);
    ck_assert_uint_eq(bytes, sizeof(out));
    WSAResetEvent(rov.hEvent);
    r = WSARecv(y, ib, DGRAM_BUFS - 1, NULL, &flags, &rov, NULL);
    ck_assert(r == 0 || WSAGetLastError() == WSA_IO_PENDING || WSAGetLastError() == WSAEMSGSIZE);
    ck_assert(!WSAGetOverlappedResult(y, &rov, &bytes, TRUE, &flags));
    ck_assert_int_eq(WSAGetLastError(), WSAEMSGSIZE);
    ck_assert_uint_eq(bytes, sizeof(in) - 3);
    ck_assert_mem_eq(in, out, sizeof(in) - 3);
    /* And once more, received synchronously into all of them. */
    memset(in, 0, sizeof(in));
    ck_assert_int_eq(WSASendTo(x, ob, DGRAM_BUFS, &bytes, 0, (struct sockaddr *)&a, sizeof(a), NULL, NULL), 0);
    flags = 0;
    ck_assert_int_eq(WSARecv(y, ib, DGRAM_BUFS, &bytes, &flags, NULL, NULL), 0);
    ck_assert_uint_eq(bytes, sizeof(in));
    ck_assert_mem_eq(in, out, sizeof(out));
    WSACloseEvent(sov.hEvent);
    WSACloseEvent(rov.hEvent);
    closesocket(x);
    closesocket(y);
    stop();
}
END_TEST

START_TEST(test_zero_byte_recv_waits_for_data)
{
    start();
    SOCKET c, s;
    tcp_pair(&c, &s);
    HANDLE port = CreateIoCompletionPort((HANDLE)s, NULL, 3, 0);
    WSABUF none = { 0, NULL };
    OVERLAPPED ov;
    zero(&ov);
    post_recv(s, &none, &ov);
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED got;
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &got, 50));    /* no data: waits */
    send(c, "data", 4, 0);
    ck_assert(GetQueuedCompletionStatus(port, &bytes, &key, &got, 5000));
    ck_assert_uint_eq(bytes, 0);
    DWORD now = 99, flags = 0;
    /* No buffers at all is not an empty buffer: WSAEINVAL, as Windows. */
    zero(&ov);
    ck_assert_int_eq(WSARecv(s, &none, 0, NULL, &flags, &ov, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    /* With the data waiting, the next one is done at once (and still the
     * port gets its packet). */
    zero(&ov);
    ck_assert_int_eq(WSARecv(s, &none, 1, &now, &flags, &ov, NULL), 0);
    ck_assert_uint_eq(now, 0);
    ck_assert(GetQueuedCompletionStatus(port, &bytes, &key, &got, 5000));
    char buf[8];
    ck_assert_int_eq(recv(s, buf, sizeof(buf), 0), 4);          /* the data is still there */
    closesocket(c);
    closesocket(s);
    CloseHandle(port);
    stop();
}
END_TEST

START_TEST(test_pending_receives_complete_in_order)
{
    start();
    SOCKET c, s;
    tcp_pair(&c, &s);
    HANDLE port = CreateIoCompletionPort((HANDLE)s, NULL, 3, 0);
    enum { N = 8 };
    OVERLAPPED ov[N];
    char bufs[N][1];
    for (int i = 0; i < N; i++) {
        WSABUF b = { 1, bufs[i] };
        zero(&ov[i]);
        post_recv(s, &b, &ov[i]);
    }
    ck_assert_int_eq(send(c, "ABCDEFGH", N, 0), N);
    for (int i = 0; i < N; i++) {
        DWORD bytes;
        ULONG_PTR key;
        LPOVERLAPPED got;
        ck_assert(GetQueuedCompletionStatus(port, &bytes, &key, &got, 5000));
        ck_assert_ptr_eq(got, &ov[i]);             /* posted order */
        ck_assert_int_eq(bufs[i][0], 'A' + i);     /* data order */
    }
    closesocket(c);
    closesocket(s);
    CloseHandle(port);
    stop();
}
END_TEST

START_TEST(test_overlapped_bad_input)
{
    start();
    SOCKET c, s;
    tcp_pair(&c, &s);
    OVERLAPPED ov;
    zero(&ov);
    DWORD flags = 0, n;
    WSABUF bad = { 10, NULL };
    ck_assert_int_eq(WSARecv(s, &bad, 1, &n, &flags, &ov, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert_int_eq(WSARecv(s, NULL, 1, &n, &flags, &ov, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    WSABUF b = { 4, (char *)"abcd" };
    ck_assert_int_eq(WSARecv(s, &b, 1, &n, NULL, &ov, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert_int_eq(WSASend((SOCKET)0x1234, &b, 1, &n, 0, &ov, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAENOTSOCK);
    SOCKET fresh = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(WSASend(fresh, &b, 1, &n, 0, &ov, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAENOTCONN);
    ck_assert(!WSAGetOverlappedResult(s, NULL, &n, FALSE, &flags));
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert(!WSAGetOverlappedResult(s, &ov, NULL, FALSE, &flags));
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert_int_eq(shutdown(c, SD_SEND), 0);
    ck_assert_int_eq(WSASend(c, &b, 1, &n, 0, &ov, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAESHUTDOWN);
    closesocket(fresh);
    closesocket(c);
    closesocket(s);
    stop();
}
END_TEST

/* A status a program stored in the OVERLAPPED, reported as Windows maps
 * it; the SOCKET is checked even then, and the flags may be NULL. */
START_TEST(test_wsagetoverlappedresult_maps_stored_status)
{
    start();
    SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
    OVERLAPPED ov;
    DWORD n, flags = 9;
    zero(&ov);
    ov.InternalHigh = 3;
    WSASetLastError(1234);
    ck_assert(WSAGetOverlappedResult(s, &ov, &n, FALSE, NULL));
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(WSAGetLastError(), 0);
    ov.Internal = (ULONG_PTR)(LONG)0xC000020D;           /* as a program stores an NTSTATUS: sign-extended */
    n = 0;
    ck_assert(!WSAGetOverlappedResult(s, &ov, &n, FALSE, &flags));
    ck_assert_int_eq(WSAGetLastError(), WSAECONNRESET);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(flags, 9);                         /* untouched on failure */
    ov.Internal = 0xC0000237;                            /* STATUS_GRACEFUL_DISCONNECT */
    ck_assert(!WSAGetOverlappedResult(s, &ov, &n, FALSE, &flags));
    ck_assert_int_eq(WSAGetLastError(), WSAEDISCON);
    ov.Internal = 0xC0001234;                            /* not in Windows' table */
    ck_assert(!WSAGetOverlappedResult(s, &ov, &n, FALSE, &flags));
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    ov.Internal = 0x40000001;                            /* informational: success */
    ck_assert(WSAGetOverlappedResult(s, &ov, &n, FALSE, &flags));
    ck_assert_uint_eq(flags, 0);
    ov.Internal = STATUS_PENDING;
    n = 77;
    ck_assert(!WSAGetOverlappedResult(s, &ov, &n, FALSE, &flags));
    ck_assert_int_eq(WSAGetLastError(), WSA_IO_INCOMPLETE);
    ck_assert_uint_eq(n, 77);
    ov.Internal = 0;
    ck_assert(!WSAGetOverlappedResult((SOCKET)0xdeadbeef, &ov, &n, FALSE, &flags));
    ck_assert_int_eq(WSAGetLastError(), WSAENOTSOCK);
    closesocket(s);
    stop();
}
END_TEST

/* ---- overlapped WSAIoctl ---------------------------------------------------------------------
 * What an OVERLAPPED changes, as Wine's sock.c records Windows: a code
 * answered at once completes with 0 bytes; an unknown one is pending and
 * completes with STATUS_NOT_SUPPORTED; SIO_GET_INTERFACE_LIST completes
 * with its bytes; a change notification waits until cancelled. */

static DWORD ioctl_apc_error = 99, ioctl_apc_bytes = 99, ioctl_apc_calls;

static void CALLBACK ioctl_apc(DWORD error, DWORD bytes, OVERLAPPED *ov, DWORD flags)
{
    (void)ov;
    (void)flags;
    ioctl_apc_error = error;
    ioctl_apc_bytes = bytes;
    ioctl_apc_calls++;
}

START_TEST(test_wsaioctl_overlapped_completes_as_windows)
{
    start();
    SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
    HANDLE port = CreateIoCompletionPort((HANDLE)s, NULL, 123, 0);
    OVERLAPPED ov, *got;
    DWORD size, bytes;
    ULONG_PTR key;
    u_long one = 1;
    zero(&ov);
    ck_assert_int_eq(WSAIoctl(s, FIONBIO, &one, sizeof(one), NULL, 0, NULL, &ov, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    size = 77;
    ov.Internal = 0xdeadbeef;
    ck_assert_int_eq(WSAIoctl(s, FIONBIO, &one, sizeof(one), NULL, 0, &size, &ov, NULL), 0);
    ck_assert_uint_eq(size, 0);
    ck_assert(GetQueuedCompletionStatus(port, &bytes, &key, &got, 1000));
    ck_assert(got == &ov && key == 123 && bytes == 0 && ov.Internal == 0);
    /* Unknown: pending, then STATUS_NOT_SUPPORTED; the size is left alone. */
    size = 77;
    ck_assert_int_eq(WSAIoctl(s, 0xdeadbeef, NULL, 0, NULL, 0, &size, &ov, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), ERROR_IO_PENDING);
    ck_assert_uint_eq(size, 77);
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &got, 1000));
    ck_assert_int_eq(GetLastError(), ERROR_NOT_SUPPORTED);
    ck_assert(got == &ov && ov.Internal == 0xC00000BB);
    /* A refused argument completes nothing. */
    GUID bogus = { 0xdeadbeef, 0, 0, { 0 } };
    void *fn;
    ov.Internal = 0xdeadbeef;
    ck_assert_int_eq(WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &bogus, sizeof(bogus), &fn, sizeof(fn), &size,
                              &ov, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    ck_assert(ov.Internal == 0xdeadbeef);
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &got, 0));
    ck_assert_int_eq(GetLastError(), WAIT_TIMEOUT);
    /* The interface list: pending, its bytes in the completion; too small,
     * ERROR_INSUFFICIENT_BUFFER. */
    char list[4096];
    ck_assert_int_eq(WSAIoctl(s, SIO_GET_INTERFACE_LIST, NULL, 0, list, sizeof(list), &size, NULL, NULL), 0);
    DWORD want = size;
    ck_assert(want && want % sizeof(INTERFACE_INFO) == 0);
    ck_assert_int_eq(WSAIoctl(s, SIO_GET_INTERFACE_LIST, NULL, 0, list, sizeof(list), &size, &ov, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), ERROR_IO_PENDING);
    ck_assert(GetQueuedCompletionStatus(port, &bytes, &key, &got, 1000));
    ck_assert_uint_eq(bytes, want);
    ck_assert_int_eq(WSAIoctl(s, SIO_GET_INTERFACE_LIST, NULL, 0, list, 1, &size, &ov, NULL), SOCKET_ERROR);
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &got, 1000));
    ck_assert_int_eq(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
    /* A change notification: pending until the socket closes. */
    ck_assert_int_eq(WSAIoctl(s, SIO_ADDRESS_LIST_CHANGE, NULL, 0, NULL, 0, &size, NULL, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEWOULDBLOCK);        /* non-blocking, no OVERLAPPED */
    ck_assert_int_eq(WSAIoctl(s, SIO_ADDRESS_LIST_CHANGE, NULL, 0, NULL, 0, &size, &ov, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), ERROR_IO_PENDING);
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &got, 0));
    ck_assert_int_eq(GetLastError(), WAIT_TIMEOUT);
    closesocket(s);
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &got, 1000));
    ck_assert_int_eq(GetLastError(), ERROR_OPERATION_ABORTED);
    ck_assert(got == &ov);
    CloseHandle(port);

    /* With a completion routine: it runs in an alertable wait, 0 bytes. */
    s = socket(AF_INET, SOCK_STREAM, 0);
    u_long n = 5;
    zero(&ov);
    ck_assert_int_eq(WSAIoctl(s, FIONREAD, NULL, 0, &n, sizeof(n), &size, &ov, ioctl_apc), 0);
    ck_assert_uint_eq(size, sizeof(n));
    ck_assert_int_eq(SleepEx(1000, TRUE), WAIT_IO_COMPLETION);
    ck_assert_uint_eq(ioctl_apc_calls, 1);
    ck_assert_uint_eq(ioctl_apc_error, 0);
    ck_assert_uint_eq(ioctl_apc_bytes, 0);
    ck_assert_int_eq(WSAIoctl(s, 0x667e, NULL, 0, NULL, 0, &size, &ov, ioctl_apc), SOCKET_ERROR);
    ck_assert_int_eq(SleepEx(1000, TRUE), WAIT_IO_COMPLETION);
    ck_assert_uint_eq(ioctl_apc_error, WSAEOPNOTSUPP);
    closesocket(s);
    stop();
}
END_TEST

/* ---- AcceptEx, ConnectEx, DisconnectEx -------------------------------------------------------------- */

#define ADDR_BLOCK ((DWORD)sizeof(struct sockaddr_in) + 16)

static atomic_int host_writes;
static atomic_bool host_refuses;
static void install_test_host(void);

/* A host that writes a read-only page as Windows' kernel writes a
 * write-watched one: past the protection, which stays; or refuses. */
static bool write_past_protection(void *dst, const void *src, size_t n)
{
    if (atomic_load(&host_refuses))
        return false;
    char *page = (char *)((uintptr_t)dst & ~(uintptr_t)4095);
    size_t span = (size_t)((char *)dst + n - page);
    if (mprotect(page, span, PROT_READ | PROT_WRITE))
        return false;
    memcpy(dst, src, n);
    mprotect(page, span, PROT_READ);
    atomic_fetch_add(&host_writes, 1);
    return true;
}

START_TEST(test_recv_into_protected_page_goes_through_host)
{
    start();
    SOCKET c, s;
    tcp_pair(&c, &s);
    char *page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert(page != MAP_FAILED);
    /* No host: the fault is the program's, WSAEFAULT (loopback data is
     * queued by the time send returns). */
    ck_assert_int_eq(send(c, "one", 3, 0), 3);
    ck_assert_int_eq(recv(s, page, 16, 0), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    install_test_host();
    /* A synchronous receive: the queued data lands through the host. */
    ck_assert_int_eq(recv(s, page, 16, 0), 3);
    ck_assert_int_eq(memcmp(page, "one", 3), 0);
    ck_assert_int_eq(atomic_load(&host_writes), 1);
    /* An overlapped one that waits in the ring, then faults there. */
    WSABUF b = { 16, page + 100 };
    OVERLAPPED ov;
    zero(&ov);
    ov.hEvent = WSACreateEvent();
    post_recv(s, &b, &ov);
    ck_assert_int_eq(send(c, "two!", 4, 0), 4);
    ck_assert_uint_eq(WSAWaitForMultipleEvents(1, &ov.hEvent, FALSE, 5000, FALSE), WSA_WAIT_EVENT_0);
    DWORD bytes = 0, flags = 0;
    ck_assert(WSAGetOverlappedResult(s, &ov, &bytes, FALSE, &flags));
    ck_assert_uint_eq(bytes, 4);
    ck_assert_int_eq(memcmp(page + 100, "two!", 4), 0);
    ck_assert_int_eq(atomic_load(&host_writes), 2);
    /* AcceptEx's first data, waiting in the ring, lands the same way (its
     * addresses go to the next, writable page). */
    char *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert(two != MAP_FAILED);
    ck_assert_int_eq(mprotect(two, 4096, PROT_READ), 0);
    char *abuf = two + 4096 - 8;
    struct sockaddr_in la = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int lal = sizeof(la);
    SOCKET l = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    ck_assert_int_eq(bind(l, (struct sockaddr *)&la, lal), 0);
    ck_assert_int_eq(getsockname(l, (struct sockaddr *)&la, &lal), 0);
    ck_assert_int_eq(listen(l, 1), 0);
    SOCKET acc = socket(AF_INET, SOCK_STREAM, 0);
    OVERLAPPED aov;
    zero(&aov);
    aov.hEvent = WSACreateEvent();
    DWORD got = 0;
    ck_assert(!AcceptEx(l, acc, abuf, 8, 32, 32, &got, &aov));
    ck_assert_uint_eq(WSAGetLastError(), ERROR_IO_PENDING);
    SOCKET ac = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(ac, (struct sockaddr *)&la, lal), 0);
    ck_assert_uint_eq(WSAWaitForMultipleEvents(1, &aov.hEvent, FALSE, 100, FALSE), WSA_WAIT_TIMEOUT);
    ck_assert_int_eq(send(ac, "accepted", 8, 0), 8);
    ck_assert_uint_eq(WSAWaitForMultipleEvents(1, &aov.hEvent, FALSE, 5000, FALSE), WSA_WAIT_EVENT_0);
    ck_assert(GetOverlappedResult((HANDLE)l, &aov, &got, FALSE));
    ck_assert_uint_eq(got, 8);
    ck_assert_int_eq(memcmp(abuf, "accepted", 8), 0);
    ck_assert_int_eq(atomic_load(&host_writes), 3);
    WSACloseEvent(aov.hEvent);
    closesocket(ac);
    closesocket(acc);
    closesocket(l);
    munmap(two, 8192);
    /* Memory the host refuses stays a fault. */
    atomic_store(&host_refuses, true);
    ck_assert_int_eq(send(c, "x", 1, 0), 1);
    ck_assert_int_eq(recv(s, page, 16, 0), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    WSACloseEvent(ov.hEvent);
    munmap(page, 4096);
    closesocket(c);
    closesocket(s);
    stop();
}
END_TEST

static SOCKET listening(struct sockaddr_in *addr)
{
    int len = sizeof(*addr);
    memset(addr, 0, sizeof(*addr));
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    SOCKET l = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    ck_assert_int_eq(bind(l, (struct sockaddr *)addr, len), 0);
    ck_assert_int_eq(getsockname(l, (struct sockaddr *)addr, &len), 0);
    ck_assert_int_eq(listen(l, 16), 0);
    return l;
}

START_TEST(test_acceptex_without_data)
{
    start();
    struct sockaddr_in addr;
    SOCKET l = listening(&addr), a = socket(AF_INET, SOCK_STREAM, 0);
    HANDLE port = CreateIoCompletionPort((HANDLE)l, NULL, 0x11, 0);
    char buf[2 * 64];
    DWORD got = 0, bytes;
    OVERLAPPED ov;
    zero(&ov);
    ck_assert(!AcceptEx(l, a, buf, 0, ADDR_BLOCK, ADDR_BLOCK, &got, &ov));
    ck_assert_uint_eq(GetLastError(), ERROR_IO_PENDING);
    SOCKET c = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(c, (struct sockaddr *)&addr, sizeof(addr)), 0);
    ULONG_PTR key;
    LPOVERLAPPED done;
    ck_assert(GetQueuedCompletionStatus(port, &bytes, &key, &done, 5000));
    ck_assert_ptr_eq(done, &ov);
    ck_assert_uint_eq(key, 0x11);              /* the listener's key */
    ck_assert_uint_eq(bytes, 0);
    ck_assert_int_eq(setsockopt(a, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, (char *)&l, sizeof(l)), 0);
    /* The addresses, as GetAcceptExSockaddrs finds them. */
    struct sockaddr *la, *ra;
    int ll, rl;
    GetAcceptExSockaddrs(buf, 0, ADDR_BLOCK, ADDR_BLOCK, &la, &ll, &ra, &rl);
    struct sockaddr_in cl;
    int cll = sizeof(cl);
    getsockname(c, (struct sockaddr *)&cl, &cll);
    ck_assert_int_eq(ll, (int)sizeof(struct sockaddr_in));
    ck_assert_int_eq(rl, (int)sizeof(struct sockaddr_in));
    ck_assert_int_eq(memcmp(la, &addr, sizeof(addr)), 0);
    ck_assert_int_eq(memcmp(ra, &cl, sizeof(cl)), 0);
    /* The accept socket is the connection. */
    ck_assert_int_eq(send(a, "hi", 2, 0), 2);
    ck_assert_int_eq(recv(c, buf, sizeof(buf), 0), 2);
    struct sockaddr_in peer;
    int pl = sizeof(peer);
    ck_assert_int_eq(getpeername(a, (struct sockaddr *)&peer, &pl), 0);
    ck_assert_uint_eq(peer.sin_port, cl.sin_port);
    int secs = -2, sl = sizeof(secs);
    ck_assert_int_eq(getsockopt(a, SOL_SOCKET, SO_CONNECT_TIME, (char *)&secs, &sl), 0);
    ck_assert_int_ge(secs, 0);
    closesocket(c);
    closesocket(a);
    closesocket(l);
    CloseHandle(port);
    stop();
}
END_TEST

/* The AcceptEx tests end alike: the event, connector, acceptor and listener go, then the runtime. */
static void end_accept_test(WSAEVENT ev, SOCKET c, SOCKET a, SOCKET l)
{
    WSACloseEvent(ev);
    closesocket(c);
    closesocket(a);
    closesocket(l);
    stop();
}

/* A connection a pending AcceptEx takes is not FD_ACCEPT's; the next one,
 * with no AcceptEx waiting, is. */
START_TEST(test_acceptex_pending_hides_fd_accept)
{
    start();
    struct sockaddr_in addr;
    SOCKET l = listening(&addr), a = socket(AF_INET, SOCK_STREAM, 0);
    WSAEVENT ev = WSACreateEvent();
    ck_assert_int_eq(WSAEventSelect(l, ev, FD_ACCEPT), 0);
    char buf[2 * 64];
    DWORD got = 0, bytes;
    OVERLAPPED ov;
    zero(&ov);
    ov.hEvent = WSACreateEvent();
    ck_assert(!AcceptEx(l, a, buf, 0, ADDR_BLOCK, ADDR_BLOCK, &got, &ov));
    ck_assert_uint_eq(GetLastError(), ERROR_IO_PENDING);
    SOCKET c = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(c, (struct sockaddr *)&addr, sizeof(addr)), 0);
    ck_assert(GetOverlappedResult((HANDLE)l, &ov, &bytes, TRUE));
    ck_assert_uint_eq(WSAWaitForMultipleEvents(1, &ev, FALSE, 100, FALSE), WSA_WAIT_TIMEOUT);
    SOCKET c2 = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(c2, (struct sockaddr *)&addr, sizeof(addr)), 0);
    ck_assert_uint_eq(WSAWaitForMultipleEvents(1, &ev, FALSE, 5000, FALSE), WSA_WAIT_EVENT_0);
    WSANETWORKEVENTS ne;
    ck_assert_int_eq(WSAEnumNetworkEvents(l, ev, &ne), 0);
    ck_assert_int_eq(ne.lNetworkEvents, FD_ACCEPT);
    closesocket(c2);
    WSACloseEvent(ev);
    end_accept_test(ov.hEvent, c, a, l);
}
END_TEST

/* A stream connected before its first WSAEventSelect has had FD_CONNECT,
 * and FD_CONNECT is recorded even while only FD_WRITE is selected. */
START_TEST(test_event_select_records_fd_connect_as_windows)
{
    start();
    struct sockaddr_in addr;
    SOCKET l = listening(&addr), c = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(c, (struct sockaddr *)&addr, sizeof(addr)), 0);
    SOCKET a = accept(l, NULL, NULL);
    WSAEVENT ev = WSACreateEvent();
    WSANETWORKEVENTS ne;
    ck_assert_int_eq(WSAEventSelect(c, ev, FD_CONNECT | FD_WRITE), 0);
    ck_assert_int_eq(WSAEnumNetworkEvents(c, ev, &ne), 0);
    ck_assert_int_eq(ne.lNetworkEvents, FD_CONNECT | FD_WRITE);
    /* The accepted side never has FD_CONNECT. */
    ck_assert_int_eq(WSAEventSelect(a, ev, FD_CONNECT | FD_WRITE), 0);
    ck_assert_int_eq(WSAEnumNetworkEvents(a, ev, &ne), 0);
    ck_assert_int_eq(ne.lNetworkEvents, FD_WRITE);
    closesocket(c);
    /* Non-blocking connect with only FD_WRITE selected, then FD_CONNECT. */
    c = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(WSAEventSelect(c, ev, FD_WRITE), 0);
    ck_assert(connect(c, (struct sockaddr *)&addr, sizeof(addr)) == 0 || WSAGetLastError() == WSAEWOULDBLOCK);
    ck_assert_uint_eq(WSAWaitForMultipleEvents(1, &ev, FALSE, 5000, FALSE), WSA_WAIT_EVENT_0);
    ck_assert_int_eq(WSAEnumNetworkEvents(c, ev, &ne), 0);
    ck_assert_int_eq(ne.lNetworkEvents, FD_WRITE);
    ck_assert_int_eq(WSAEventSelect(c, ev, FD_CONNECT | FD_WRITE), 0);
    ck_assert_int_eq(WSAEnumNetworkEvents(c, ev, &ne), 0);
    ck_assert_int_eq(ne.lNetworkEvents, FD_CONNECT);
    SOCKET a2 = accept(l, NULL, NULL);
    closesocket(a2);
    WSACloseEvent(ev);
    closesocket(c);
    closesocket(a);
    closesocket(l);
    stop();
}
END_TEST

START_TEST(test_acceptex_with_first_data)
{
    start();
    struct sockaddr_in addr;
    SOCKET l = listening(&addr), a = socket(AF_INET, SOCK_STREAM, 0);
    char buf[16 + 2 * 64];
    DWORD got = 0, bytes;
    OVERLAPPED ov;
    zero(&ov);
    ov.hEvent = WSACreateEvent();
    ck_assert(!AcceptEx(l, a, buf, 16, ADDR_BLOCK, ADDR_BLOCK, &got, &ov));
    ck_assert_uint_eq(GetLastError(), ERROR_IO_PENDING);
    SOCKET c = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(c, (struct sockaddr *)&addr, sizeof(addr)), 0);
    /* Connected, but AcceptEx waits for the first data. */
    ck_assert_uint_eq(WSAWaitForMultipleEvents(1, &ov.hEvent, FALSE, 50, FALSE), WSA_WAIT_TIMEOUT);
    ck_assert_int_eq(send(c, "first", 5, 0), 5);
    ck_assert_uint_eq(WSAWaitForMultipleEvents(1, &ov.hEvent, FALSE, 5000, FALSE), WSA_WAIT_EVENT_0);
    ck_assert(GetOverlappedResult((HANDLE)l, &ov, &bytes, FALSE));
    ck_assert_uint_eq(bytes, 5);
    ck_assert_int_eq(memcmp(buf, "first", 5), 0);
    struct sockaddr *la, *ra;
    int ll, rl;
    GetAcceptExSockaddrs(buf, 16, ADDR_BLOCK, ADDR_BLOCK, &la, &ll, &ra, &rl);
    ck_assert_int_eq(ra->sa_family, AF_INET);
    ck_assert_int_eq(memcmp(la, &addr, sizeof(addr)), 0);
    end_accept_test(ov.hEvent, c, a, l);
}
END_TEST

START_TEST(test_acceptex_bad_input)
{
    start();
    struct sockaddr_in addr;
    SOCKET l = listening(&addr), a = socket(AF_INET, SOCK_STREAM, 0);
    SOCKET idle = socket(AF_INET, SOCK_STREAM, 0), udp = socket(AF_INET, SOCK_DGRAM, 0);
    char buf[256];
    DWORD got;
    OVERLAPPED ov;
    zero(&ov);
    /* As Windows answers (Wine's conformance tests record these); the
     * OVERLAPPED is marked pending even when the call fails. */
    ov.Internal = 0xdeadbeef;
    ck_assert(!AcceptEx(INVALID_SOCKET, a, buf, 0, ADDR_BLOCK, ADDR_BLOCK, &got, &ov));
    ck_assert_uint_eq(WSAGetLastError(), WSAENOTSOCK);
    ck_assert_uint_eq(ov.Internal, STATUS_PENDING);
    ck_assert(!AcceptEx(l, INVALID_SOCKET, buf, 0, ADDR_BLOCK, ADDR_BLOCK, &got, &ov));
    ck_assert_uint_eq(WSAGetLastError(), WSAENOTSOCK);
    ck_assert(!AcceptEx(l, a, NULL, 0, ADDR_BLOCK, ADDR_BLOCK, &got, &ov));
    ck_assert_uint_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert(!AcceptEx(idle, a, buf, 0, ADDR_BLOCK, ADDR_BLOCK, &got, &ov));   /* not listening */
    ck_assert_uint_eq(WSAGetLastError(), WSAEINVAL);
    ck_assert(!AcceptEx(l, a, buf, 0, ADDR_BLOCK, ADDR_BLOCK, &got, NULL));
    ck_assert_uint_eq(WSAGetLastError(), ERROR_INVALID_PARAMETER);
    ck_assert(!AcceptEx(l, a, buf, 0, ADDR_BLOCK, 0, &got, &ov));               /* no remote room */
    ck_assert_uint_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert(!AcceptEx(l, l, buf, 0, ADDR_BLOCK, ADDR_BLOCK, &got, &ov));      /* bound already */
    ck_assert_uint_eq(WSAGetLastError(), WSAEINVAL);
    ck_assert(!AcceptEx(l, udp, buf, 0, ADDR_BLOCK, ADDR_BLOCK, &got, &ov));    /* not a stream */
    ck_assert_uint_eq(WSAGetLastError(), WSAEINVAL);
    /* One AcceptEx at a time into a socket, which cannot connect meanwhile. */
    ck_assert(!AcceptEx(l, a, buf, 0, ADDR_BLOCK, ADDR_BLOCK, &got, &ov));
    ck_assert_uint_eq(WSAGetLastError(), ERROR_IO_PENDING);
    OVERLAPPED ov2;
    zero(&ov2);
    ck_assert(!AcceptEx(l, a, buf, 0, ADDR_BLOCK, ADDR_BLOCK, &got, &ov2));
    ck_assert_uint_eq(WSAGetLastError(), WSAEINVAL);
    ck_assert_int_eq(connect(a, (struct sockaddr *)&addr, sizeof(addr)), SOCKET_ERROR);
    ck_assert_uint_eq(WSAGetLastError(), WSAEINVAL);
    /* Closing the accept socket aborts the AcceptEx on the listener. */
    closesocket(a);
    DWORD bytes;
    ck_assert(!GetOverlappedResult((HANDLE)l, &ov, &bytes, TRUE));
    ck_assert_uint_eq(GetLastError(), ERROR_OPERATION_ABORTED);
    closesocket(udp);
    closesocket(idle);
    closesocket(l);
    stop();
}
END_TEST

/* Address space too small: the call is accepted, and a connection that
 * comes makes it fail with STATUS_BUFFER_TOO_SMALL, left queued for the
 * next accept; a local length of 0 asks for no local address. */
START_TEST(test_acceptex_address_space_checked_at_connection)
{
    start();
    struct sockaddr_in addr;
    SOCKET l = listening(&addr), a = socket(AF_INET, SOCK_STREAM, 0);
    char buf[256];
    DWORD got, bytes;
    OVERLAPPED ov;
    zero(&ov);
    ov.hEvent = WSACreateEvent();
    ck_assert(!AcceptEx(l, a, buf, 0, 3, ADDR_BLOCK, &got, &ov));
    ck_assert_uint_eq(WSAGetLastError(), ERROR_IO_PENDING);
    SOCKET c = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(c, (struct sockaddr *)&addr, sizeof(addr)), 0);
    ck_assert_uint_eq(WSAWaitForMultipleEvents(1, &ov.hEvent, FALSE, 5000, FALSE), WSA_WAIT_EVENT_0);
    ck_assert(!GetOverlappedResult((HANDLE)l, &ov, &bytes, FALSE));
    ck_assert_uint_eq(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
    ck_assert_uint_eq(ov.Internal, 0xC0000023u);                 /* STATUS_BUFFER_TOO_SMALL */
    SOCKET s = accept(l, NULL, NULL);                    /* the connection is still there */
    ck_assert(s != INVALID_SOCKET);
    closesocket(s);
    closesocket(c);

    /* The event was reset when the next AcceptEx began. */
    ck_assert(!AcceptEx(l, a, buf, 0, 0, ADDR_BLOCK, &got, &ov));
    ck_assert_uint_eq(WSAGetLastError(), ERROR_IO_PENDING);
    ck_assert_uint_eq(WSAWaitForMultipleEvents(1, &ov.hEvent, FALSE, 0, FALSE), WSA_WAIT_TIMEOUT);
    c = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(c, (struct sockaddr *)&addr, sizeof(addr)), 0);
    ck_assert(GetOverlappedResult((HANDLE)l, &ov, &bytes, TRUE));
    struct sockaddr *la = (struct sockaddr *)1, *ra = NULL;
    int ll = -7, rl = 0;
    GetAcceptExSockaddrs(buf, 0, 0, ADDR_BLOCK, &la, &ll, &ra, &rl);
    struct sockaddr_in cl;
    int cll = sizeof(cl);
    getsockname(c, (struct sockaddr *)&cl, &cll);
    ck_assert_int_eq(rl, (int)sizeof(struct sockaddr_in));
    ck_assert_int_eq(memcmp(ra, &cl, sizeof(cl)), 0);
    ck_assert_int_eq(send(a, "x", 1, 0), 1);
    end_accept_test(ov.hEvent, c, a, l);
}
END_TEST

/* A connection WSAAccept deferred (CF_DEFER) is the next AcceptEx's. */
static int CALLBACK defer_it(LPWSABUF caller, LPWSABUF data, LPQOS sq, LPQOS gq, LPWSABUF callee, LPWSABUF cdata,
                             GROUP *g, DWORD_PTR ctx)
{
    (void)caller, (void)data, (void)sq, (void)gq, (void)callee, (void)cdata, (void)g, (void)ctx;
    return CF_DEFER;
}

START_TEST(test_acceptex_takes_deferred_connection)
{
    start();
    struct sockaddr_in addr;
    SOCKET l = listening(&addr), a = socket(AF_INET, SOCK_STREAM, 0);
    SOCKET c1 = socket(AF_INET, SOCK_STREAM, 0), c2 = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(c1, (struct sockaddr *)&addr, sizeof(addr)), 0);
    ck_assert(WSAAccept(l, NULL, NULL, defer_it, 0) == INVALID_SOCKET);
    ck_assert_uint_eq(WSAGetLastError(), WSATRY_AGAIN);
    ck_assert_int_eq(connect(c2, (struct sockaddr *)&addr, sizeof(addr)), 0);
    char buf[64];
    DWORD got, bytes;
    OVERLAPPED ov;
    zero(&ov);
    ck_assert(!AcceptEx(l, a, buf, 0, ADDR_BLOCK, ADDR_BLOCK, &got, &ov));
    ck_assert_uint_eq(WSAGetLastError(), ERROR_IO_PENDING);
    ck_assert(GetOverlappedResult((HANDLE)l, &ov, &bytes, TRUE));
    ck_assert_int_eq(send(c1, "1", 1, 0), 1);
    ck_assert_int_eq(recv(a, buf, sizeof(buf), 0), 1);
    ck_assert_int_eq(buf[0], '1');                       /* the first client's */
    SOCKET s2 = accept(l, NULL, NULL);
    ck_assert_int_eq(send(c2, "2", 1, 0), 1);
    ck_assert_int_eq(recv(s2, buf, sizeof(buf), 0), 1);
    ck_assert_int_eq(buf[0], '2');
    closesocket(s2);
    closesocket(c1);
    closesocket(c2);
    closesocket(a);
    closesocket(l);
    stop();
}
END_TEST

/* Stores the extension function id into *fn (of fn_size bytes). */
static void get_extension(SOCKET s, GUID id, void *fn, DWORD fn_size)
{
    DWORD ret;
    ck_assert_int_eq(WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &id, sizeof(id), fn, fn_size, &ret,
                              NULL, NULL), 0);
    ck_assert_uint_eq(ret, fn_size);
}

static LPFN_CONNECTEX get_connectex(SOCKET s)
{
    LPFN_CONNECTEX fn = NULL;
    get_extension(s, (GUID)WSAID_CONNECTEX, &fn, sizeof(fn));
    return fn;
}

START_TEST(test_connectex_with_data_and_refused)
{
    start();
    struct sockaddr_in addr, any = { .sin_family = AF_INET };
    SOCKET l = listening(&addr), c = socket(AF_INET, SOCK_STREAM, 0);
    LPFN_CONNECTEX pConnectEx = get_connectex(c);
    HANDLE port = CreateIoCompletionPort((HANDLE)c, NULL, 0x22, 0);
    OVERLAPPED ov;
    zero(&ov);
    DWORD sent = 0, bytes;
    ULONG_PTR key;
    LPOVERLAPPED done;
    /* ConnectEx wants a bound socket. */
    ck_assert(!pConnectEx(c, (struct sockaddr *)&addr, sizeof(addr), (void *)"hello", 5, &sent, &ov));
    ck_assert_uint_eq(WSAGetLastError(), WSAEINVAL);
    ck_assert_int_eq(bind(c, (struct sockaddr *)&any, sizeof(any)), 0);
    ck_assert(!pConnectEx(c, (struct sockaddr *)&addr, sizeof(addr), (void *)"hello", 5, &sent, &ov));
    ck_assert_uint_eq(WSAGetLastError(), ERROR_IO_PENDING);
    ck_assert(GetQueuedCompletionStatus(port, &bytes, &key, &done, 5000));
    ck_assert_ptr_eq(done, &ov);
    ck_assert_uint_eq(key, 0x22);
    ck_assert_uint_eq(bytes, 5);                /* the first data went out */
    ck_assert_int_eq(setsockopt(c, SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, NULL, 0), 0);
    SOCKET s = accept(l, NULL, NULL);
    char buf[8];
    ck_assert_int_eq(recv(s, buf, sizeof(buf), 0), 5);
    ck_assert_int_eq(memcmp(buf, "hello", 5), 0);
    ck_assert(!pConnectEx(c, (struct sockaddr *)&addr, sizeof(addr), NULL, 0, &sent, &ov));
    ck_assert_uint_eq(WSAGetLastError(), WSAEISCONN);
    closesocket(s);
    closesocket(c);
    /* Nobody listening: the completion carries ERROR_CONNECTION_REFUSED. */
    closesocket(l);
    c = socket(AF_INET, SOCK_STREAM, 0);
    bind(c, (struct sockaddr *)&any, sizeof(any));
    CloseHandle(port);
    port = CreateIoCompletionPort((HANDLE)c, NULL, 0x23, 0);
    zero(&ov);
    ck_assert(!pConnectEx(c, (struct sockaddr *)&addr, sizeof(addr), NULL, 0, &sent, &ov));
    ck_assert_uint_eq(WSAGetLastError(), ERROR_IO_PENDING);
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &done, 5000));
    ck_assert_uint_eq(GetLastError(), ERROR_CONNECTION_REFUSED);
    ck_assert_ptr_eq(done, &ov);
    closesocket(c);
    CloseHandle(port);
    stop();
}
END_TEST

START_TEST(test_disconnectex_then_reuse_for_acceptex)
{
    start();
    struct sockaddr_in addr;
    SOCKET l = listening(&addr), a = socket(AF_INET, SOCK_STREAM, 0);
    LPFN_DISCONNECTEX pDisconnectEx;
    DWORD ret, bytes;
    get_extension(a, (GUID)WSAID_DISCONNECTEX, &pDisconnectEx, sizeof(pDisconnectEx));
    char buf[2 * 64];
    for (int round = 0; round < 3; round++) {
        OVERLAPPED ov;
        zero(&ov);
        ov.hEvent = WSACreateEvent();
        ck_assert(!AcceptEx(l, a, buf, 0, ADDR_BLOCK, ADDR_BLOCK, &ret, &ov));
        ck_assert_uint_eq(GetLastError(), ERROR_IO_PENDING);
        SOCKET c = socket(AF_INET, SOCK_STREAM, 0);
        ck_assert_int_eq(connect(c, (struct sockaddr *)&addr, sizeof(addr)), 0);
        ck_assert(GetOverlappedResult((HANDLE)l, &ov, &bytes, TRUE));
        ck_assert_int_eq(send(a, "r", 1, 0), 1);
        ck_assert_int_eq(recv(c, buf, 1, 0), 1);
        /* Disconnect, keeping the socket for the next AcceptEx. */
        OVERLAPPED dov;
        zero(&dov);
        /* Pending, as Windows says, but done by the time it returns. */
        ck_assert(!pDisconnectEx(a, &dov, TF_REUSE_SOCKET, 0));
        ck_assert_uint_eq(WSAGetLastError(), WSA_IO_PENDING);
        ck_assert(ov_completed(&dov));
        ck_assert_int_eq(recv(c, buf, 1, 0), 0);          /* the peer sees the end */
        closesocket(c);
        WSACloseEvent(ov.hEvent);
    }
    OVERLAPPED dov;
    zero(&dov);
    ck_assert(!pDisconnectEx(a, &dov, 0, 0));                /* not connected now */
    ck_assert_uint_eq(WSAGetLastError(), WSAENOTCONN);
    ck_assert(!pDisconnectEx(a, NULL, TF_REUSE_SOCKET, 0));
    ck_assert_uint_eq(WSAGetLastError(), WSAENOTCONN);
    ck_assert(!pDisconnectEx(a, &dov, 0x80, 0));             /* an unknown flag */
    ck_assert_uint_eq(WSAGetLastError(), WSAEINVAL);
    closesocket(a);
    closesocket(l);
    stop();
}
END_TEST

/* Without TF_REUSE_SOCKET, DisconnectEx closes the sending side only, as
 * Windows: still connected, receives go on, sends fail with WSAESHUTDOWN;
 * without an OVERLAPPED it is synchronous. */
START_TEST(test_disconnectex_closes_sending_side_only)
{
    start();
    SOCKET c, s;
    tcp_pair(&c, &s);
    LPFN_DISCONNECTEX pDisconnectEx;
    get_extension(c, (GUID)WSAID_DISCONNECTEX, &pDisconnectEx, sizeof(pDisconnectEx));
    ck_assert(pDisconnectEx(c, NULL, 0, 0));
    ck_assert(pDisconnectEx(c, NULL, 0, 0));                 /* again: still fine */
    char buf[8];
    ck_assert_int_eq(recv(s, buf, sizeof(buf), 0), 0);       /* the peer sees the end */
    ck_assert_int_eq(send(c, "x", 1, 0), SOCKET_ERROR);
    ck_assert_uint_eq(WSAGetLastError(), WSAESHUTDOWN);
    ck_assert_int_eq(send(s, "back", 4, 0), 4);
    ck_assert_int_eq(recv(c, buf, sizeof(buf), 0), 4);
    struct sockaddr_in peer;
    int len = sizeof(peer);
    ck_assert_int_eq(getpeername(c, (struct sockaddr *)&peer, &len), 0);
    ck_assert_int_eq(connect(c, (struct sockaddr *)&peer, len), SOCKET_ERROR);
    ck_assert_uint_eq(WSAGetLastError(), WSAEISCONN);
    closesocket(c);
    closesocket(s);
    stop();
}
END_TEST

START_TEST(test_many_acceptex_posted_ahead)
{
    start();
    enum { N = 16 };
    struct sockaddr_in addr;
    SOCKET l = listening(&addr), a[N], c[N];
    HANDLE port = CreateIoCompletionPort((HANDLE)l, NULL, 1, 0);
    static OVERLAPPED ov[N];
    static char bufs[N][2 * 64];
    DWORD got;
    for (int i = 0; i < N; i++) {
        a[i] = socket(AF_INET, SOCK_STREAM, 0);
        zero(&ov[i]);
        ck_assert(!AcceptEx(l, a[i], bufs[i], 0, ADDR_BLOCK, ADDR_BLOCK, &got, &ov[i]));
        ck_assert_uint_eq(GetLastError(), ERROR_IO_PENDING);
    }
    for (int i = 0; i < N; i++) {
        c[i] = socket(AF_INET, SOCK_STREAM, 0);
        ck_assert_int_eq(connect(c[i], (struct sockaddr *)&addr, sizeof(addr)), 0);
    }
    int seen[N] = { 0 };
    for (int i = 0; i < N; i++) {
        DWORD bytes;
        ULONG_PTR key;
        LPOVERLAPPED done;
        ck_assert(GetQueuedCompletionStatus(port, &bytes, &key, &done, 5000));
        seen[(OVERLAPPED *)done - ov]++;
    }
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(seen[i], 1);
    /* Closing the listener with accepts pending aborts them, once each. */
    SOCKET extra = socket(AF_INET, SOCK_STREAM, 0);
    OVERLAPPED pending;
    zero(&pending);
    char pb[2 * 64];
    ck_assert(!AcceptEx(l, extra, pb, 0, ADDR_BLOCK, ADDR_BLOCK, &got, &pending));
    closesocket(l);
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED done;
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &done, 5000));
    ck_assert_uint_eq(GetLastError(), ERROR_OPERATION_ABORTED);
    ck_assert_ptr_eq(done, &pending);
    for (int i = 0; i < N; i++) {
        closesocket(a[i]);
        closesocket(c[i]);
    }
    closesocket(extra);
    CloseHandle(port);
    stop();
}
END_TEST

/* ---- WSARecvMsg, WSASendMsg, WSARecvEx ---------------------------------------------------- */

static LPFN_WSARECVMSG get_recvmsg(SOCKET s)
{
    LPFN_WSARECVMSG fn = NULL;
    get_extension(s, (GUID)WSAID_WSARECVMSG, &fn, sizeof(fn));
    ck_assert_ptr_nonnull(fn);
    return fn;
}

/* Two bound datagram sockets on the loopback of family af. */
static void udp_pair(int af, SOCKET *x, SOCKET *y, struct sockaddr_storage *ya, int *yl)
{
    struct sockaddr_storage a = { 0 };
    int al;
    if (af == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&a;
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        al = sizeof(*in);
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a;
        in6->sin6_family = AF_INET6;
        in6->sin6_addr.s6_addr[15] = 1;
        al = sizeof(*in6);
    }
    *x = WSASocketW(af, SOCK_DGRAM, IPPROTO_UDP, NULL, 0, WSA_FLAG_OVERLAPPED);
    *y = WSASocketW(af, SOCK_DGRAM, IPPROTO_UDP, NULL, 0, WSA_FLAG_OVERLAPPED);
    ck_assert_int_eq(bind(*x, (struct sockaddr *)&a, al), 0);
    ck_assert_int_eq(bind(*y, (struct sockaddr *)&a, al), 0);
    *yl = sizeof(*ya);
    ck_assert_int_eq(getsockname(*y, (struct sockaddr *)ya, yl), 0);
}

/* An overlapped send takes the flags and checks the synchronous one
 * does: MSG_OOB stays urgent (the peer reads it with MSG_OOB), a flag
 * send has no use for is WSAEOPNOTSUPP, and a destination of another
 * family WSAEAFNOSUPPORT, each failing at once with no completion. */
START_TEST(test_overlapped_send_takes_the_synchronous_flags_and_checks)
{
    start();
    SOCKET c, s;
    tcp_pair(&c, &s);
    OVERLAPPED ov;
    event_ov(&ov);
    WSABUF b = { 1, "U" };
    DWORD sent = 0, flags = 0;
    int r = WSASend(c, &b, 1, &sent, MSG_OOB, &ov, NULL);
    ck_assert(r == 0 || WSAGetLastError() == WSA_IO_PENDING);
    ck_assert(WSAGetOverlappedResult(c, &ov, &sent, TRUE, &flags));
    ck_assert_uint_eq(sent, 1);
    struct timeval tv = { 2, 0 };
    fd_set ex;
    FD_ZERO(&ex);
    FD_SET(s, &ex);
    ck_assert_int_eq(select(0, NULL, NULL, &ex, &tv), 1);
    char buf[4] = { 0 };
    ck_assert_int_eq(recv(s, buf, sizeof(buf), MSG_OOB), 1);
    ck_assert_int_eq(buf[0], 'U');
    ResetEvent(ov.hEvent);
    ck_assert_int_eq(WSASend(c, &b, 1, &sent, MSG_PEEK, &ov, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEOPNOTSUPP);
    ck_assert_uint_eq(WaitForSingleObject(ov.hEvent, 0), WAIT_TIMEOUT);
    SOCKET x, y;
    struct sockaddr_storage ya;
    int yl;
    udp_pair(AF_INET, &x, &y, &ya, &yl);
    struct sockaddr_in6 v6 = { .sin6_family = AF_INET6, .sin6_port = htons(9) };
    v6.sin6_addr.s6_addr[15] = 1;
    ck_assert_int_eq(WSASendTo(x, &b, 1, &sent, 0, (struct sockaddr *)&v6, sizeof(v6), &ov, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEAFNOSUPPORT);
    ck_assert_uint_eq(WaitForSingleObject(ov.hEvent, 0), WAIT_TIMEOUT);
    WSACloseEvent(ov.hEvent);
    closesocket(x);
    closesocket(y);
    closesocket(c);
    closesocket(s);
    stop();
}
END_TEST

/* An overlapped receive takes the synchronous receive's flags and checks:
 * a flag no receive takes (MSG_DONTROUTE) is WSAEOPNOTSUPP at once, with
 * no completion, on both; MSG_PEEK leaves the data for the next one. */
START_TEST(test_overlapped_recv_takes_the_synchronous_flags_and_checks)
{
    start();
    SOCKET c, s;
    tcp_pair(&c, &s);
    OVERLAPPED ov;
    event_ov(&ov);
    char buf[8] = { 0 };
    WSABUF b = { sizeof(buf), buf };
    DWORD got = 0, flags = MSG_DONTROUTE;
    ck_assert_int_eq(recv(s, buf, sizeof(buf), MSG_DONTROUTE), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEOPNOTSUPP);
    ck_assert_int_eq(WSARecv(s, &b, 1, &got, &flags, &ov, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEOPNOTSUPP);
    ck_assert_uint_eq(WaitForSingleObject(ov.hEvent, 0), WAIT_TIMEOUT);
    ck_assert_int_eq(send(c, "peek", 4, 0), 4);
    flags = MSG_PEEK;
    int r = WSARecv(s, &b, 1, &got, &flags, &ov, NULL);
    ck_assert(r == 0 || WSAGetLastError() == WSA_IO_PENDING);
    ck_assert(WSAGetOverlappedResult(s, &ov, &got, TRUE, &flags));
    ck_assert_uint_eq(got, 4);
    ck_assert_int_eq(recv(s, buf, sizeof(buf), 0), 4);      /* still there after the peek */
    ck_assert(!memcmp(buf, "peek", 4));
    WSACloseEvent(ov.hEvent);
    closesocket(c);
    closesocket(s);
    stop();
}
END_TEST

/* udp_pair with packet information asked for on y; WSARecvMsg. */
static LPFN_WSARECVMSG pktinfo_pair(int af, SOCKET *x, SOCKET *y, struct sockaddr_storage *ya, int *yl)
{
    DWORD on = 1;
    udp_pair(af, x, y, ya, yl);
    ck_assert_int_eq(setsockopt(*y, af == AF_INET ? IPPROTO_IP : IPPROTO_IPV6,
                                af == AF_INET ? IP_PKTINFO : IPV6_PKTINFO, (char *)&on, sizeof(on)), 0);
    return get_recvmsg(*y);
}

START_TEST(test_wsarecvmsg_reports_ipv4_pktinfo_overlapped)
{
    start();
    SOCKET x, y;
    struct sockaddr_storage ya;
    int yl;
    LPFN_WSARECVMSG recvmsg_fn = pktinfo_pair(AF_INET, &x, &y, &ya, &yl);
    char data[16], control[64];
    struct sockaddr_in from;
    memset(control, 0xcc, sizeof(control));
    WSABUF wb = { sizeof(data), data };
    WSAMSG msg = { (struct sockaddr *)&from, sizeof(from), &wb, 1, { sizeof(control), control }, 0 };
    OVERLAPPED ov;
    zero(&ov);
    ov.hEvent = WSACreateEvent();
    ck_assert_int_eq(recvmsg_fn(y, &msg, NULL, &ov, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSA_IO_PENDING);
    ck_assert_int_eq(sendto(x, "pktinfo", 7, 0, (struct sockaddr *)&ya, yl), 7);
    ck_assert_uint_eq(WSAWaitForMultipleEvents(1, &ov.hEvent, FALSE, 5000, FALSE), WSA_WAIT_EVENT_0);
    DWORD bytes, flags;
    ck_assert(WSAGetOverlappedResult(y, &ov, &bytes, FALSE, &flags));
    ck_assert_uint_eq(bytes, 7);
    ck_assert_mem_eq(data, "pktinfo", 7);
    ck_assert_int_eq(msg.namelen, (int)sizeof(struct sockaddr_in));
    ck_assert_uint_eq(from.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    ck_assert_uint_eq(msg.dwFlags, 0);
    /* One IP_PKTINFO message: a 16-byte header, then IN_PKTINFO, padded to 24. */
    ck_assert_uint_eq(msg.Control.len, 24);
    WSACMSGHDR h;
    memcpy(&h, control, sizeof(h));
    ck_assert_uint_eq(h.cmsg_len, 16 + sizeof(IN_PKTINFO));
    ck_assert_int_eq(h.cmsg_level, IPPROTO_IP);
    ck_assert_int_eq(h.cmsg_type, IP_PKTINFO);
    IN_PKTINFO pi;
    memcpy(&pi, control + 16, sizeof(pi));
    ck_assert_uint_eq(pi.ipi_addr.s_addr, htonl(INADDR_LOOPBACK));
    ck_assert_uint_gt(pi.ipi_ifindex, 0);
    WSACloseEvent(ov.hEvent);
    closesocket(x);
    closesocket(y);
    stop();
}
END_TEST

START_TEST(test_wsarecvmsg_ipv6_pktinfo_and_ctrunc)
{
    start();
    SOCKET x, y;
    struct sockaddr_storage ya;
    int yl;
    LPFN_WSARECVMSG recvmsg_fn = pktinfo_pair(AF_INET6, &x, &y, &ya, &yl);
    char data[16], control[64];
    WSABUF wb = { sizeof(data), data };
    WSAMSG msg = { NULL, 0, &wb, 1, { sizeof(control), control }, 0 };
    DWORD got = 0;
    ck_assert_int_eq(sendto(x, "six", 3, 0, (struct sockaddr *)&ya, yl), 3);
    ck_assert_int_eq(recvmsg_fn(y, &msg, &got, NULL, NULL), 0);
    ck_assert_uint_eq(got, 3);
    ck_assert_uint_eq(msg.Control.len, 40);            /* 16 + IN6_PKTINFO (20), padded */
    WSACMSGHDR h;
    memcpy(&h, control, sizeof(h));
    ck_assert_int_eq(h.cmsg_level, IPPROTO_IPV6);
    ck_assert_int_eq(h.cmsg_type, IPV6_PKTINFO);
    IN6_PKTINFO pi;
    memcpy(&pi, control + 16, sizeof(pi));
    ck_assert(IN6_IS_ADDR_LOOPBACK(&pi.ipi6_addr));
    /* A control buffer too small: the data arrives, the control is cut,
     * and Windows calls that WSAEMSGSIZE (Wine's sock.c test_ip_pktinfo). */
    msg.Control.len = 8;
    msg.dwFlags = 0;
    ck_assert_int_eq(sendto(x, "cut", 3, 0, (struct sockaddr *)&ya, yl), 3);
    ck_assert_int_eq(recvmsg_fn(y, &msg, &got, NULL, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEMSGSIZE);
    ck_assert_uint_eq(msg.Control.len, 0);
    ck_assert(msg.dwFlags & MSG_CTRUNC);
    /* A datagram larger than the buffer: WSAEMSGSIZE, MSG_TRUNC. */
    char big[64] = { 0 };
    ck_assert_int_eq(sendto(x, big, sizeof(big), 0, (struct sockaddr *)&ya, yl), (int)sizeof(big));
    msg.Control.len = sizeof(control);
    msg.dwFlags = 0;
    ck_assert_int_eq(recvmsg_fn(y, &msg, &got, NULL, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEMSGSIZE);
    ck_assert(msg.dwFlags & MSG_TRUNC);
    /* Bad input. */
    ck_assert_int_eq(recvmsg_fn(y, NULL, &got, NULL, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    msg.Control.buf = NULL;
    ck_assert_int_eq(recvmsg_fn(y, &msg, &got, NULL, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    msg.Control.buf = control;
    ck_assert_int_eq(recvmsg_fn(y, &msg, NULL, NULL, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert_int_eq(recvmsg_fn(INVALID_SOCKET, &msg, &got, NULL, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAENOTSOCK);
    closesocket(x);
    closesocket(y);
    stop();
}
END_TEST

/* Fills control with one IP_PKTINFO message naming the source address. */
static ULONG pktinfo_control(char *control, ULONG addr)
{
    WSACMSGHDR h = { 16 + sizeof(IN_PKTINFO), IPPROTO_IP, IP_PKTINFO };
    IN_PKTINFO pi = { .ipi_ifindex = 0 };
    pi.ipi_addr.s_addr = addr;
    memset(control, 0, 24);
    memcpy(control, &h, sizeof(h));
    memcpy(control + 16, &pi, sizeof(pi));
    return 24;
}

START_TEST(test_wsasendmsg_sends_with_pktinfo_and_overlapped)
{
    start();
    SOCKET x, y;
    struct sockaddr_storage ya;
    int yl;
    udp_pair(AF_INET, &x, &y, &ya, &yl);
    char control[32];
    WSABUF wb = { 5, (char *)"hello" };
    WSAMSG msg = { (struct sockaddr *)&ya, yl, &wb, 1, { 0, control }, 0 };
    msg.Control.len = pktinfo_control(control, htonl(INADDR_LOOPBACK));
    DWORD sent = 0;
    ck_assert_int_eq(WSASendMsg(x, &msg, 0, &sent, NULL, NULL), 0);
    ck_assert_uint_eq(sent, 5);
    char buf[16];
    struct sockaddr_in from;
    int fl = sizeof(from);
    ck_assert_int_eq(recvfrom(y, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl), 5);
    ck_assert_mem_eq(buf, "hello", 5);
    ck_assert_uint_eq(from.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    /* Overlapped, no control, through an event. */
    OVERLAPPED ov;
    zero(&ov);
    ov.hEvent = WSACreateEvent();
    msg.Control.len = 0;
    int r = WSASendMsg(x, &msg, 0, NULL, &ov, NULL);
    ck_assert(r == 0 || WSAGetLastError() == WSA_IO_PENDING);
    ck_assert_uint_eq(WSAWaitForMultipleEvents(1, &ov.hEvent, FALSE, 5000, FALSE), WSA_WAIT_EVENT_0);
    DWORD bytes, flags;
    ck_assert(WSAGetOverlappedResult(x, &ov, &bytes, FALSE, &flags));
    ck_assert_uint_eq(bytes, 5);
    ck_assert_int_eq(recv(y, buf, sizeof(buf), 0), 5);
    /* Bad control data: a length past the buffer, a type it cannot send. */
    msg.Control.len = pktinfo_control(control, htonl(INADDR_LOOPBACK));
    WSACMSGHDR h;
    memcpy(&h, control, sizeof(h));
    h.cmsg_len = 100;
    memcpy(control, &h, sizeof(h));
    ck_assert_int_eq(WSASendMsg(x, &msg, 0, &sent, NULL, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    h.cmsg_len = 16 + sizeof(IN_PKTINFO);
    h.cmsg_type = IP_TTL;
    memcpy(control, &h, sizeof(h));
    ck_assert_int_eq(WSASendMsg(x, &msg, 0, &sent, NULL, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEOPNOTSUPP);
    ck_assert_int_eq(WSASendMsg(x, NULL, 0, &sent, NULL, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    msg.Control.len = 0;
    ck_assert_int_eq(WSASendMsg(x, &msg, 0, NULL, NULL, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    WSACloseEvent(ov.hEvent);
    closesocket(x);
    closesocket(y);
    stop();
}
END_TEST

START_TEST(test_wsarecvex_sets_msg_partial)
{
    start();
    SOCKET x, y;
    struct sockaddr_storage ya;
    int yl;
    udp_pair(AF_INET, &x, &y, &ya, &yl);
    ck_assert_int_eq(sendto(x, "0123456789ab", 12, 0, (struct sockaddr *)&ya, yl), 12);
    char buf[16];
    int flags = 0;
    ck_assert_int_eq(WSARecvEx(y, buf, 4, &flags), 4);
    ck_assert_int_eq(flags, MSG_PARTIAL);
    ck_assert_mem_eq(buf, "0123", 4);
    ck_assert_int_eq(sendto(x, "whole", 5, 0, (struct sockaddr *)&ya, yl), 5);
    flags = 0;
    ck_assert_int_eq(WSARecvEx(y, buf, sizeof(buf), &flags), 5);
    ck_assert_int_eq(flags, 0);
    ck_assert_int_eq(WSARecvEx(y, buf, sizeof(buf), NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    closesocket(x);
    closesocket(y);
    stop();
}
END_TEST

/* ---- TransmitFile ---------------------------------------------------------------------------- */


static unsigned char pattern_byte(size_t i)
{
    return (unsigned char)(i * 131 + (i >> 12));
}

/* A file of n pattern bytes at path, written with CreateFile/WriteFile. */
static void make_file(const char *path, size_t n)
{
    HANDLE f = CreateFileA(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    ck_assert_ptr_ne(f, INVALID_HANDLE_VALUE);
    static unsigned char block[65536];
    for (size_t off = 0; off < n; off += sizeof(block)) {
        size_t k = n - off < sizeof(block) ? n - off : sizeof(block);
        for (size_t i = 0; i < k; i++)
            block[i] = pattern_byte(off + i);
        DWORD put;
        ck_assert(WriteFile(f, block, (DWORD)k, &put, NULL));
        ck_assert_uint_eq(put, k);
    }
    ck_assert(CloseHandle(f));
}

static void temp_path(char *out, size_t len, const char *tag)
{
    snprintf(out, len, "/tmp/ws2uring-%s-%lu.bin", tag, (unsigned long)GetCurrentProcessId());
}

/* Reads exactly n bytes from s (blocking). */
/* A new file of n pattern bytes at a fresh path, opened for reading. */
static HANDLE open_test_file(char *path, size_t len, const char *tag, size_t n)
{
    temp_path(path, len, tag);
    make_file(path, n);
    HANDLE f = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    ck_assert_ptr_ne(f, INVALID_HANDLE_VALUE);
    return f;
}

static void recv_all(SOCKET s, char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        int k = recv(s, buf + got, (int)(n - got > 1 << 20 ? 1 << 20 : n - got), 0);
        ck_assert_int_gt(k, 0);
        got += (size_t)k;
    }
}

/* The end of a transmit test: sockets, port, file (deleted), WSACleanup. */
static void close_all(SOCKET c, SOCKET s, HANDLE port, HANDLE f, const char *path)
{
    closesocket(c);
    closesocket(s);
    if (port)
        CloseHandle(port);
    CloseHandle(f);
    ws2_test_unlink(path);
    stop();
}

/* CreateFileW takes UTF-16 (a surrogate pair included) and opens the
 * UTF-8 path; the file calls give kernel32's errors on bad input. */
START_TEST(test_createfile_utf16_name_and_bad_input)
{
    char path[96];
    temp_path(path, sizeof(path), "w-\xc3\xa9-\xf0\x9f\x98\x80");   /* e-acute, U+1F600 */
    WCHAR wpath[96];
    size_t n = 0;
    for (const char *p = path; *p; p++) {
        if ((unsigned char)*p < 0x80)
            wpath[n++] = (WCHAR)*p;
        else if ((unsigned char)*p == 0xc3) {
            wpath[n++] = 0x00e9;
            p++;
        } else {
            wpath[n++] = 0xd83d;                   /* U+1F600 as a surrogate pair */
            wpath[n++] = 0xde00;
            p += 3;
        }
    }
    wpath[n] = 0;
    HANDLE f = CreateFileW(wpath, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_NEW, 0, NULL);
    ck_assert_ptr_ne(f, INVALID_HANDLE_VALUE);
    DWORD put, got;
    ck_assert(WriteFile(f, "wide", 4, &put, NULL));
    ck_assert(CloseHandle(f));
    f = CreateFileA(path, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);   /* the same file by UTF-8 */
    ck_assert_ptr_ne(f, INVALID_HANDLE_VALUE);
    char buf[8];
    ck_assert(ReadFile(f, buf, sizeof(buf), &got, NULL));
    ck_assert_uint_eq(got, 4);
    ck_assert_mem_eq(buf, "wide", 4);
    OVERLAPPED ov;
    zero(&ov);
    ck_assert(!ReadFile(f, buf, sizeof(buf), &got, &ov));
    ck_assert_uint_eq(GetLastError(), ERROR_NOT_SUPPORTED);
    ck_assert(!GetFileSizeEx(f, NULL));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    LARGE_INTEGER back = { .QuadPart = -10 };
    ck_assert(!SetFilePointerEx(f, back, NULL, FILE_BEGIN));
    ck_assert_uint_eq(GetLastError(), ERROR_NEGATIVE_SEEK);
    ck_assert(CloseHandle(f));
    ck_assert(!ReadFile(f, buf, sizeof(buf), &got, NULL));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    ck_assert_ptr_eq(CreateFileW(NULL, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL), INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    ck_assert_ptr_eq(CreateFileA(path, GENERIC_READ, 0, NULL, 9, 0, NULL), INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    ws2_test_unlink(path);
}
END_TEST

START_TEST(test_transmitfile_sends_10mib_file_with_head_and_tail)
{
    start();
    enum { SIZE = 10 << 20 };
    char path[64];
    HANDLE f = open_test_file(path, sizeof(path), "tf10", SIZE);
    LARGE_INTEGER size;
    ck_assert(GetFileSizeEx(f, &size));
    ck_assert_int_eq(size.QuadPart, SIZE);
    SOCKET c, s;
    tcp_pair(&c, &s);
    TRANSMIT_FILE_BUFFERS tb = { (void *)"HEAD", 4, (void *)"TAIL", 4 };
    OVERLAPPED ov;
    zero(&ov);
    ov.hEvent = WSACreateEvent();
    BOOL ok = TransmitFile(c, f, 0, 0, &ov, &tb, 0);
    ck_assert(ok || WSAGetLastError() == ERROR_IO_PENDING);
    char *got = malloc(SIZE + 8);
    recv_all(s, got, SIZE + 8);
    ck_assert_mem_eq(got, "HEAD", 4);
    for (size_t i = 0; i < SIZE; i++)
        if ((unsigned char)got[4 + i] != pattern_byte(i))
            ck_abort_msg("byte %zu of the file differs", i);
    ck_assert_mem_eq(got + 4 + SIZE, "TAIL", 4);
    DWORD bytes, flags;
    ck_assert(WSAGetOverlappedResult(c, &ov, &bytes, TRUE, &flags));
    ck_assert_uint_eq(bytes, SIZE + 8);
    /* The connection is still usable afterwards. */
    ck_assert_int_eq(send(c, "x", 1, 0), 1);
    ck_assert_int_eq(recv(s, got, 1, 0), 1);
    free(got);
    WSACloseEvent(ov.hEvent);
    closesocket(c);
    closesocket(s);
    CloseHandle(f);
    ws2_test_unlink(path);
    stop();
}
END_TEST

/* The host interface (ws2uring_host.h): under Wine, a descriptor for one
 * of Wine's file handles. */
static char host_file_path[64];
#define HOST_FILE ((HANDLE)(uintptr_t)0x7ff0)   /* no handle of ws2uring's */

static int host_file_fd(uintptr_t file)
{
    return file == (uintptr_t)HOST_FILE ? open(host_file_path, O_RDONLY | O_CLOEXEC) : -1;
}

/* A host of the two operations these tests need (no post, no apc: the
 * library still reaps and runs routines itself), installed once per test
 * process; a second table is refused. */
static const struct ws2uring_host_ops test_host = {
    .kernel_write = write_past_protection,
    .file_fd = host_file_fd,
};

static void install_test_host(void)
{
    static const struct ws2uring_host_ops other = { 0 };
    ck_assert_int_eq(ws2uring_host_install(&test_host), 0);
    ck_assert_int_eq(ws2uring_host_install(&other), -WSAEINVAL);
}

/* A file the host owns is sent from its descriptor, from its current
 * position when no OVERLAPPED gives one; without an OVERLAPPED the call
 * blocks and the socket's port gets no packet. */
START_TEST(test_transmitfile_sends_host_file_synchronously)
{
    start();
    SOCKET c, s;
    tcp_pair(&c, &s);
    HANDLE f = open_test_file(host_file_path, sizeof(host_file_path), "hostfile", 5000);
    HANDLE port = CreateIoCompletionPort((HANDLE)c, NULL, 7, 0);
    ck_assert(!TransmitFile(c, HOST_FILE, 0, 0, NULL, NULL, 0));     /* no host: not a file */
    ck_assert_uint_eq(WSAGetLastError(), WSAEINVAL);
    install_test_host();
    char head[] = "head", tail[] = "tail";
    TRANSMIT_FILE_BUFFERS tb = { head, 4, tail, 4 };
    ck_assert(TransmitFile(c, HOST_FILE, 0, 0, NULL, &tb, 0));
    static char got[5008];
    recv_all(s, got, sizeof(got));
    ck_assert_int_eq(memcmp(got, "head", 4), 0);
    for (size_t i = 0; i < 5000; i++)
        ck_assert_uint_eq((unsigned char)got[4 + i], pattern_byte(i));
    ck_assert_int_eq(memcmp(got + 5004, "tail", 4), 0);
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED done;
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &done, 0));
    ck_assert_uint_eq(GetLastError(), WAIT_TIMEOUT);
    /* An OVERLAPPED's offset wins over the position. */
    OVERLAPPED ov;
    zero(&ov);
    ov.Offset = 4990;
    if (!TransmitFile(c, HOST_FILE, 0, 0, &ov, NULL, 0))
        ck_assert_uint_eq(WSAGetLastError(), WSA_IO_PENDING);
    ck_assert(GetQueuedCompletionStatus(port, &bytes, &key, &done, 5000));
    ck_assert_uint_eq(bytes, 10);
    recv_all(s, got, 10);
    for (size_t i = 0; i < 10; i++)
        ck_assert_uint_eq((unsigned char)got[i], pattern_byte(4990 + i));
    close_all(c, s, port, f, host_file_path);
}
END_TEST

START_TEST(test_transmitfile_offset_disconnect_and_bad_input)
{
    start();
    char path[64];
    HANDLE f = open_test_file(path, sizeof(path), "tfoff", 4096);
    SOCKET c, s;
    tcp_pair(&c, &s);
    /* Blocking (no OVERLAPPED), buffers only. */
    TRANSMIT_FILE_BUFFERS tb = { (void *)"hi", 2, NULL, 0 };
    ck_assert(TransmitFile(c, NULL, 0, 0, NULL, &tb, 0));
    char buf[256];
    recv_all(s, buf, 2);
    ck_assert_mem_eq(buf, "hi", 2);
    /* 50 bytes from offset 100, then disconnect and make the socket reusable. */
    OVERLAPPED ov;
    zero(&ov);
    ov.Offset = 100;
    ov.hEvent = WSACreateEvent();
    BOOL ok = TransmitFile(c, f, 50, 16, &ov, NULL, TF_DISCONNECT | TF_REUSE_SOCKET);
    ck_assert(ok || WSAGetLastError() == ERROR_IO_PENDING);
    DWORD bytes, flags;
    ck_assert(WSAGetOverlappedResult(c, &ov, &bytes, TRUE, &flags));
    ck_assert_uint_eq(bytes, 50);
    recv_all(s, buf, 50);
    for (size_t i = 0; i < 50; i++)
        ck_assert_uint_eq((unsigned char)buf[i], pattern_byte(100 + i));
    ck_assert_int_eq(recv(s, buf, sizeof(buf), 0), 0);     /* the peer sees the end */
    /* Reused: the same handle is a fresh socket that can be bound again. */
    struct sockaddr_in any = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    ck_assert_int_eq(bind(c, (struct sockaddr *)&any, sizeof(any)), 0);
    /* Bad input, each with the Windows error and no completion. */
    SOCKET u = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    ck_assert(!TransmitFile(u, f, 0, 0, &ov, NULL, 0));
    ck_assert_int_eq(WSAGetLastError(), WSAENOTCONN);
    ck_assert(!TransmitFile(INVALID_SOCKET, f, 0, 0, &ov, NULL, 0));
    ck_assert_int_eq(WSAGetLastError(), WSAENOTSOCK);
    SOCKET c2, s2;
    tcp_pair(&c2, &s2);
    ck_assert(!TransmitFile(c2, f, 0, 0, &ov, NULL, TF_REUSE_SOCKET));
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    ck_assert(!TransmitFile(c2, (HANDLE)0x4321, 0, 0, &ov, NULL, 0));
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    TRANSMIT_FILE_BUFFERS bad = { NULL, 10, NULL, 0 };
    ck_assert(!TransmitFile(c2, NULL, 0, 0, &ov, &bad, 0));
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    WSACloseEvent(ov.hEvent);
    closesocket(u);
    closesocket(c2);
    closesocket(s2);
    closesocket(c);
    closesocket(s);
    CloseHandle(f);
    ck_assert_ptr_eq(CreateFileA(path, GENERIC_READ, 0, NULL, CREATE_NEW, 0, NULL), INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_FILE_EXISTS);
    ws2_test_unlink(path);
    ck_assert_ptr_eq(CreateFileA(path, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL), INVALID_HANDLE_VALUE);
    ck_assert_uint_eq(GetLastError(), ERROR_FILE_NOT_FOUND);
    stop();
}
END_TEST

START_TEST(test_transmitfile_cancelled_while_peer_is_not_reading)
{
    start();
    enum { SIZE = 8 << 20 };
    char path[64];
    HANDLE f = open_test_file(path, sizeof(path), "tfcancel", SIZE);
    SOCKET c, s;
    tcp_pair(&c, &s);
    HANDLE port = CreateIoCompletionPort((HANDLE)c, NULL, 7, 0);
    ck_assert_ptr_nonnull(port);
    OVERLAPPED ov;
    zero(&ov);
    ck_assert(!TransmitFile(c, f, 0, 0, &ov, NULL, 0));
    ck_assert_int_eq(WSAGetLastError(), ERROR_IO_PENDING);
    DWORD bytes;
    ULONG_PTR key;
    OVERLAPPED *got;
    /* The peer reads nothing: the transmit stalls once the buffers fill. */
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &got, 100));
    ck_assert_ptr_null(got);
    ck_assert(CancelIoEx((HANDLE)c, &ov));
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &got, 5000));
    ck_assert_ptr_eq(got, &ov);
    ck_assert_uint_eq(GetLastError(), ERROR_OPERATION_ABORTED);
    ck_assert_uint_lt(bytes, SIZE);
    /* Exactly once. */
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &got, 100));
    ck_assert_ptr_null(got);
    close_all(c, s, port, f, path);
}
END_TEST

/* A transmit posted behind a send that cannot finish yet waits its turn:
 * the peer sees the send's bytes, then the transmit's. */
START_TEST(test_transmitfile_queued_behind_pending_send_keeps_order)
{
    start();
    SOCKET c, s;
    tcp_pair(&c, &s);
    enum { BIG = 8 << 20 };
    char *big = malloc(BIG), *in = malloc(BIG + 6);
    memset(big, 'a', BIG);
    WSABUF wb = { BIG, big };
    OVERLAPPED sov, tov;
    zero(&sov);
    zero(&tov);
    sov.hEvent = WSACreateEvent();
    tov.hEvent = WSACreateEvent();
    ck_assert_int_eq(WSASend(c, &wb, 1, NULL, 0, &sov, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSA_IO_PENDING);    /* the peer is not reading */
    TRANSMIT_FILE_BUFFERS tb = { (void *)"after!", 6, NULL, 0 };
    ck_assert(!TransmitFile(c, NULL, 0, 0, &tov, &tb, 0));
    ck_assert_int_eq(WSAGetLastError(), ERROR_IO_PENDING);
    recv_all(s, in, BIG + 6);
    for (size_t i = 0; i < BIG; i++)
        if (in[i] != 'a')
            ck_abort_msg("byte %zu is not the send's", i);
    ck_assert_mem_eq(in + BIG, "after!", 6);
    DWORD bytes, flags;
    ck_assert(WSAGetOverlappedResult(c, &sov, &bytes, TRUE, &flags));
    ck_assert_uint_eq(bytes, BIG);
    ck_assert(WSAGetOverlappedResult(c, &tov, &bytes, TRUE, &flags));
    ck_assert_uint_eq(bytes, 6);
    free(big);
    free(in);
    WSACloseEvent(sov.hEvent);
    WSACloseEvent(tov.hEvent);
    closesocket(c);
    closesocket(s);
    stop();
}
END_TEST

static LPFN_TRANSMITPACKETS transmit_packets_of(SOCKET s)
{
    LPFN_TRANSMITPACKETS tp = NULL;
    get_extension(s, (GUID)WSAID_TRANSMITPACKETS, &tp, sizeof(tp));
    return tp;
}

/* TransmitPackets through ov, completed on port with key: the byte count. */
static DWORD packets_on_port(LPFN_TRANSMITPACKETS tp, SOCKET c, TRANSMIT_PACKETS_ELEMENT *el, DWORD n,
                             OVERLAPPED *ov, HANDLE port, ULONG_PTR want_key)
{
    zero(ov);
    BOOL ok = tp(c, el, n, 0, ov, 0);
    ck_assert(ok || WSAGetLastError() == ERROR_IO_PENDING);
    DWORD bytes;
    ULONG_PTR key;
    OVERLAPPED *got;
    ck_assert(GetQueuedCompletionStatus(port, &bytes, &key, &got, 5000));
    ck_assert_ptr_eq(got, ov);
    ck_assert_uint_eq(key, want_key);
    return bytes;
}

START_TEST(test_transmitpackets_memory_and_file_elements)
{
    start();
    char path[64];
    HANDLE f = open_test_file(path, sizeof(path), "tp", 4096);
    LARGE_INTEGER to = { .QuadPart = 4000 };
    ck_assert(SetFilePointerEx(f, to, NULL, FILE_BEGIN));
    SOCKET c, s;
    tcp_pair(&c, &s);
    LPFN_TRANSMITPACKETS tp = transmit_packets_of(c);
    HANDLE port = CreateIoCompletionPort((HANDLE)c, NULL, 3, 0);
    TRANSMIT_PACKETS_ELEMENT el[4];
    memset(el, 0, sizeof(el));
    el[0].dwElFlags = TP_ELEMENT_MEMORY;
    el[0].cLength = 3;
    el[0].pBuffer = (void *)"one";
    el[1].dwElFlags = TP_ELEMENT_FILE;
    el[1].cLength = 100;
    el[1].nFileOffset.QuadPart = 10;
    el[1].hFile = f;
    el[2].dwElFlags = TP_ELEMENT_MEMORY | TP_ELEMENT_EOP;
    el[2].cLength = 3;
    el[2].pBuffer = (void *)"two";
    el[3].dwElFlags = TP_ELEMENT_FILE;
    el[3].cLength = 0;                             /* to the end: 96 bytes */
    el[3].nFileOffset.QuadPart = -1;               /* from the current position */
    el[3].hFile = f;
    OVERLAPPED ov;
    DWORD bytes = packets_on_port(tp, c, el, 4, &ov, port, 3);
    ck_assert_uint_eq(bytes, 3 + 100 + 3 + 96);
    char buf[256];
    recv_all(s, buf, bytes);
    ck_assert_mem_eq(buf, "one", 3);
    for (size_t i = 0; i < 100; i++)
        ck_assert_uint_eq((unsigned char)buf[3 + i], pattern_byte(10 + i));
    ck_assert_mem_eq(buf + 103, "two", 3);
    for (size_t i = 0; i < 96; i++)
        ck_assert_uint_eq((unsigned char)buf[106 + i], pattern_byte(4000 + i));
    /* An element that is neither memory nor file. */
    el[0].dwElFlags = TP_ELEMENT_EOP;
    ck_assert(!tp(c, el, 1, 0, &ov, 0));
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    ck_assert(!tp(c, NULL, 1, 0, &ov, 0));
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ULONG_PTR key;
    OVERLAPPED *got;
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &got, 0));   /* no completion for those */
    ck_assert_ptr_null(got);
    close_all(c, s, port, f, path);
}
END_TEST

/* 150 memory elements (more than one send gathers, some empty, one ending
 * a packet) around a file range: the stream carries them all, in order. */
START_TEST(test_transmitpackets_gathers_many_buffers_in_order)
{
    enum { ELS = 151, FILE_AT = 75 };
    start();
    char path[64];
    HANDLE f = open_test_file(path, sizeof(path), "tpg", 1000);
    SOCKET c, s;
    tcp_pair(&c, &s);
    LPFN_TRANSMITPACKETS tp = transmit_packets_of(c);
    HANDLE port = CreateIoCompletionPort((HANDLE)c, NULL, 9, 0);
    static TRANSMIT_PACKETS_ELEMENT el[ELS];
    static unsigned char data[ELS][4];
    size_t total = 0;
    memset(el, 0, sizeof(el));
    for (int i = 0; i < ELS; i++) {
        if (i == FILE_AT) {
            el[i].dwElFlags = TP_ELEMENT_FILE;
            el[i].cLength = 500;
            el[i].nFileOffset.QuadPart = 300;
            el[i].hFile = f;
            total += 500;
            continue;
        }
        memset(data[i], (unsigned char)i, sizeof(data[i]));
        el[i].dwElFlags = TP_ELEMENT_MEMORY | (i == 20 ? TP_ELEMENT_EOP : 0);
        el[i].pBuffer = data[i];
        el[i].cLength = i % 10 == 3 ? 0 : (ULONG)(1 + i % 4);
        total += el[i].cLength;
    }
    OVERLAPPED ov;
    ck_assert_uint_eq(packets_on_port(tp, c, el, ELS, &ov, port, 9), total);
    static char buf[2048];
    recv_all(s, buf, total);
    size_t at = 0;
    for (int i = 0; i < ELS; i++) {
        if (i == FILE_AT) {
            for (size_t k = 0; k < 500; k++)
                ck_assert_uint_eq((unsigned char)buf[at + k], pattern_byte(300 + k));
            at += 500;
            continue;
        }
        for (ULONG k = 0; k < el[i].cLength; k++)
            ck_assert_msg((unsigned char)buf[at + k] == (unsigned char)i, "element %d byte %lu", i,
                          (unsigned long)k);
        at += el[i].cLength;
    }
    close_all(c, s, port, f, path);
}
END_TEST

/* On a connected datagram socket the buffers up to an end-of-packet
 * element make one datagram; there is nothing to disconnect, and an
 * unconnected one has no peer. */
START_TEST(test_transmitpackets_datagrams_end_at_eop)
{
    start();
    SOCKET x, y;
    struct sockaddr_storage ya;
    int yl;
    udp_pair(AF_INET, &x, &y, &ya, &yl);
    LPFN_TRANSMITPACKETS tp = transmit_packets_of(x);
    TRANSMIT_PACKETS_ELEMENT el[4];
    memset(el, 0, sizeof(el));
    const char *parts[4] = { "ab", "cd", "ef", "gh" };
    for (int i = 0; i < 4; i++) {
        el[i].dwElFlags = TP_ELEMENT_MEMORY | (i == 1 || i == 2 ? TP_ELEMENT_EOP : 0);
        el[i].pBuffer = (void *)parts[i];
        el[i].cLength = 2;
    }
    OVERLAPPED ov;
    zero(&ov);
    ov.hEvent = WSACreateEvent();
    ck_assert(!tp(x, el, 4, 0, &ov, 0));
    ck_assert_int_eq(WSAGetLastError(), WSAENOTCONN);
    ck_assert_int_eq(connect(x, (struct sockaddr *)&ya, yl), 0);
    ck_assert(!tp(x, el, 4, 0, &ov, TF_DISCONNECT));
    ck_assert_int_eq(WSAGetLastError(), WSAEOPNOTSUPP);
    BOOL ok = tp(x, el, 4, 0, &ov, 0);
    ck_assert(ok || WSAGetLastError() == ERROR_IO_PENDING);
    DWORD bytes, flags;
    ck_assert(WSAGetOverlappedResult(x, &ov, &bytes, TRUE, &flags));
    ck_assert_uint_eq(bytes, 8);
    const char *want[3] = { "abcd", "ef", "gh" };
    for (int i = 0; i < 3; i++) {
        char buf[16];
        int n = recv(y, buf, sizeof(buf), 0);
        ck_assert_int_eq(n, (int)strlen(want[i]));
        ck_assert_mem_eq(buf, want[i], (size_t)n);
    }
    WSACloseEvent(ov.hEvent);
    closesocket(x);
    closesocket(y);
    stop();
}
END_TEST

/* ---- many connections ------------------------------------------------------------------------ */

enum { MANY = 10000, MANY_CLIENTS = 4, MANY_AHEAD = 32 };

struct many_conn {
    OVERLAPPED ov;                       /* first: the OVERLAPPED* is the conn */
    SOCKET s;
    int state;                           /* 0 accepting, 1 receiving, 2 sending */
    WSABUF wb;
    char buf[64];
    char addrs[2 * (sizeof(struct sockaddr_in6) + 16)];
};

static struct many_conn *many_accept(SOCKET l, LPFN_ACCEPTEX accept_ex)
{
    struct many_conn *m = calloc(1, sizeof(*m));
    m->s = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    DWORD n;
    ck_assert(!accept_ex(l, m->s, m->addrs, 0, sizeof(m->addrs) / 2, sizeof(m->addrs) / 2, &n, &m->ov));
    ck_assert_int_eq(WSAGetLastError(), ERROR_IO_PENDING);
    return m;
}

struct many_client {
    struct sockaddr_in to;
    int first, count;
    volatile LONG errors;
};

static DWORD WINAPI many_client_run(void *arg)
{
    struct many_client *mc = arg;
    for (int i = mc->first; i < mc->first + mc->count; i++) {
        char msg[16], back[16];
        int len = snprintf(msg, sizeof(msg), "conn%06d", i), got = 0;
        SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(s, (struct sockaddr *)&mc->to, sizeof(mc->to)) || send(s, msg, len, 0) != len)
            InterlockedIncrement(&mc->errors);
        while (got < len) {
            int k = recv(s, back + got, len - got, 0);
            if (k <= 0)
                break;
            got += k;
        }
        if (got != len || memcmp(back, msg, (size_t)len))
            InterlockedIncrement(&mc->errors);
        closesocket(s);
    }
    return 0;
}

/* 10,000 connections through AcceptEx, echoed with WSARecv/WSASend on a
 * port and closed; under ASan the run ends with nothing leaked. */
START_TEST(test_ten_thousand_connections_accepted_echoed_closed)
{
    start();
    struct sockaddr_in in = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int len = sizeof(in);
    SOCKET l = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    ck_assert_int_eq(bind(l, (struct sockaddr *)&in, len), 0);
    ck_assert_int_eq(getsockname(l, (struct sockaddr *)&in, &len), 0);
    ck_assert_int_eq(listen(l, SOMAXCONN), 0);
    HANDLE port = CreateIoCompletionPort((HANDLE)l, NULL, 0, 0);
    LPFN_ACCEPTEX accept_ex;
    get_extension(l, (GUID)WSAID_ACCEPTEX, &accept_ex, sizeof(accept_ex));
    int posted = 0, closed = 0;
    for (; posted < MANY_AHEAD; posted++)
        many_accept(l, accept_ex);
    struct many_client mc[MANY_CLIENTS];
    HANDLE th[MANY_CLIENTS];
    for (int i = 0; i < MANY_CLIENTS; i++) {
        mc[i] = (struct many_client){ in, i * (MANY / MANY_CLIENTS), MANY / MANY_CLIENTS, 0 };
        th[i] = CreateThread(NULL, 0, many_client_run, &mc[i], 0, NULL);
    }
    while (closed < MANY) {
        DWORD bytes, flags = 0;
        ULONG_PTR key;
        OVERLAPPED *ov;
        BOOL ok = GetQueuedCompletionStatus(port, &bytes, &key, &ov, 20000);
        ck_assert_msg(ov != NULL, "no completion for 20 s after %d closed", closed);
        struct many_conn *m = (struct many_conn *)ov;
        memset(&m->ov, 0, sizeof(m->ov));
        if (m->state == 0) {
            ck_assert(ok);
            if (posted < MANY) {
                many_accept(l, accept_ex);
                posted++;
            }
            setsockopt(m->s, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, (char *)&l, sizeof(l));
            ck_assert_ptr_nonnull(CreateIoCompletionPort((HANDLE)m->s, port, 0, 0));
        } else if (m->state == 1 && (!ok || bytes == 0)) {
            closesocket(m->s);                 /* the client is done */
            free(m);
            closed++;
            continue;
        } else if (m->state == 1) {
            m->wb = (WSABUF){ bytes, m->buf };
            m->state = 2;
            int r = WSASend(m->s, &m->wb, 1, NULL, 0, &m->ov, NULL);
            ck_assert(r == 0 || WSAGetLastError() == WSA_IO_PENDING);
            continue;
        }
        m->state = 1;
        m->wb = (WSABUF){ sizeof(m->buf), m->buf };
        int r = WSARecv(m->s, &m->wb, 1, NULL, &flags, &m->ov, NULL);
        ck_assert(r == 0 || WSAGetLastError() == WSA_IO_PENDING);
    }
    WaitForMultipleObjects(MANY_CLIENTS, th, TRUE, INFINITE);
    for (int i = 0; i < MANY_CLIENTS; i++) {
        ck_assert_int_eq(mc[i].errors, 0);
        CloseHandle(th[i]);
    }
    /* Every AcceptEx was used; closing the listener leaves nothing behind. */
    ck_assert_int_eq(posted, MANY);
    closesocket(l);
    DWORD bytes;
    ULONG_PTR key;
    OVERLAPPED *ov;
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &ov, 100));
    ck_assert_ptr_null(ov);
    CloseHandle(port);
    stop();
}
END_TEST

/* The extension functions given memory they read or fill themselves
 * that is not there (the first page): FALSE or SOCKET_ERROR with
 * WSAEFAULT, nothing started, and the sockets go on. */
START_TEST(test_extensions_bad_pointers_fail_with_wsaefault)
{
    void *bad = (void *)1;
    start();
    struct sockaddr_in addr;
    SOCKET l = listening(&addr);
    SOCKET a = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    char buf[2 * (sizeof(struct sockaddr_in) + 16)];
    DWORD n = 0;
    OVERLAPPED ov = { 0 };
    const DWORD room = sizeof(struct sockaddr_in) + 16;
    ck_assert(!AcceptEx(l, a, buf, 0, room, room, &n, bad));
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert(!AcceptEx(l, a, bad, 0, room, room, &n, &ov));
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    struct sockaddr *la = NULL, *ra = NULL;
    int ll = 0, rl = 0;
    GetAcceptExSockaddrs(bad, 0, room, room, &la, &ll, &ra, &rl);    /* nothing written, no crash */
    ck_assert_ptr_null(la);

    SOCKET c = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    struct sockaddr_in any = { .sin_family = AF_INET };
    ck_assert_int_eq(bind(c, (struct sockaddr *)&any, sizeof(any)), 0);
    LPFN_CONNECTEX connect_ex = get_connectex(c);
    ck_assert(!connect_ex(c, bad, sizeof(addr), NULL, 0, NULL, &ov));
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert(!connect_ex(c, (struct sockaddr *)&addr, sizeof(addr), bad, 4, NULL, &ov));
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert(!connect_ex(c, (struct sockaddr *)&addr, sizeof(addr), NULL, 0, NULL, bad));
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert_int_eq(connect(c, (struct sockaddr *)&addr, sizeof(addr)), 0);   /* nothing was started */
    SOCKET p = accept(l, NULL, NULL);
    ck_assert(p != INVALID_SOCKET);

    LPFN_DISCONNECTEX disconnect_ex = NULL;
    get_extension(c, (GUID)WSAID_DISCONNECTEX, &disconnect_ex, sizeof(disconnect_ex));
    ck_assert(!disconnect_ex(c, bad, 0, 0));
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    TRANSMIT_FILE_BUFFERS tb = { .Head = bad, .HeadLength = 4 };
    ck_assert(!TransmitFile(c, NULL, 0, 0, NULL, bad, 0));
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert(!TransmitFile(c, NULL, 0, 0, NULL, &tb, 0));
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    LPFN_TRANSMITPACKETS transmit_packets = NULL;
    get_extension(c, (GUID)WSAID_TRANSMITPACKETS, &transmit_packets, sizeof(transmit_packets));
    ck_assert(!transmit_packets(c, bad, 1, 0, NULL, 0));
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);

    LPFN_WSARECVMSG recv_msg = NULL;
    get_extension(c, (GUID)WSAID_WSARECVMSG, &recv_msg, sizeof(recv_msg));
    WSABUF wb = { sizeof(buf), buf };
    WSAMSG m = { .lpBuffers = &wb, .dwBufferCount = 1 };
    ck_assert_int_eq(recv_msg(c, bad, &n, NULL, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    m.lpBuffers = bad;
    ck_assert_int_eq(recv_msg(c, &m, &n, NULL, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    m.lpBuffers = &wb;
    m.Control = (WSABUF){ 64, bad };
    ck_assert_int_eq(WSASendMsg(c, &m, 0, &n, NULL, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    m.Control = (WSABUF){ 0, NULL };
    ck_assert_int_eq(WSASendMsg(c, &m, 0, bad, NULL, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    /* A send only reads its WSAMSG: read-only memory will do. */
    WSABUF ob = { 2, (char *)"ok" };
    WSAMSG *ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(ro, MAP_FAILED);
    *ro = (WSAMSG){ .lpBuffers = &ob, .dwBufferCount = 1 };
    ck_assert_int_eq(mprotect(ro, 4096, PROT_READ), 0);
    ck_assert_int_eq(WSASendMsg(c, ro, 0, &n, NULL, NULL), 0);     /* the connection goes on */
    ck_assert_uint_eq(n, 2);
    munmap(ro, 4096);
    ck_assert_int_eq(recv(p, buf, sizeof(buf), 0), 2);
    closesocket(p);
    closesocket(c);
    closesocket(a);
    closesocket(l);
    stop();
}
END_TEST

/* A SOCKET is a waitable handle, as a Windows file object: signalled
 * when it is new, not signalled from the start of an operation until its
 * completion (an OVERLAPPED without an event is waited for so). */
START_TEST(test_socket_handle_signalled_between_operations)
{
    start();
    SOCKET c, s;
    tcp_pair(&c, &s);
    ck_assert_uint_eq(WaitForSingleObject((HANDLE)s, 0), WAIT_OBJECT_0);
    char buf[16];
    WSABUF b = { sizeof(buf), buf };
    OVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    post_recv(s, &b, &ov);
    ck_assert_uint_eq(WaitForSingleObject((HANDLE)s, 0), WAIT_TIMEOUT);
    ck_assert_uint_eq(WaitForSingleObject((HANDLE)s, 50), WAIT_TIMEOUT);
    ck_assert_int_eq(send(c, "data", 4, 0), 4);
    ck_assert_uint_eq(WaitForSingleObject((HANDLE)s, 5000), WAIT_OBJECT_0);
    DWORD got = 0;
    ck_assert(GetOverlappedResult((HANDLE)s, &ov, &got, FALSE));
    ck_assert_uint_eq(got, 4);
    closesocket(c);
    closesocket(s);
    stop();
}
END_TEST

int main(void)
{
    if (ws2_test_uring_missing())
        return 77;
    Suite *s = suite_create("overlapped");
    TCase *tc = tcase_create("overlapped");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_recv_completes_through_event);
    tcase_add_test(tc, test_overlapped_send_takes_the_synchronous_flags_and_checks);
    tcase_add_test(tc, test_overlapped_recv_takes_the_synchronous_flags_and_checks);
    tcase_add_test(tc, test_recv_and_send_complete_through_port);
    tcase_add_test(tc, test_skip_completion_port_on_success);
    tcase_add_test(tc, test_wsarecv_completes_inline_when_data_waits);
    tcase_add_test(tc, test_wsarecv_skip_mode_completes_inline_when_data_waits);
    tcase_add_test(tc, test_completion_routine_runs_when_alertable);
    tcase_add_test(tc, test_low_bit_event_sets_event_without_packet);
    tcase_add_test(tc, test_getoverlappedresult_waits);
    tcase_add_test(tc, test_cancelioex_one_and_not_found);
    tcase_add_test(tc, test_cancelioex_racing_completion_completes_once);
    tcase_add_test(tc, test_close_with_100_pending_completes_each_once);
    tcase_add_test(tc, test_close_ends_running_operations_before_returning);
    tcase_add_test(tc, test_peer_reset_during_receive);
    tcase_add_test(tc, test_large_send_completes_in_full);
    tcase_add_test(tc, test_overlapped_ring_would_block_goes_again);
    tcase_add_test(tc, test_ten_buffer_scatter_gather_send_and_receive);
    tcase_add_test(tc, test_overlapped_wsasend_takes_more_buffers_than_linux);
    tcase_add_test(tc, test_overlapped_datagram_of_more_buffers_than_linux_is_one_message);
    tcase_add_test(tc, test_recvfrom_fills_sender_at_completion);
    tcase_add_test(tc, test_zero_byte_recv_waits_for_data);
    tcase_add_test(tc, test_pending_receives_complete_in_order);
    tcase_add_test(tc, test_overlapped_bad_input);
    tcase_add_test(tc, test_wsagetoverlappedresult_maps_stored_status);
    tcase_add_test(tc, test_wsaioctl_overlapped_completes_as_windows);
    tcase_add_test(tc, test_acceptex_without_data);
    tcase_add_test(tc, test_acceptex_with_first_data);
    tcase_add_test(tc, test_acceptex_bad_input);
    tcase_add_test(tc, test_acceptex_address_space_checked_at_connection);
    tcase_add_test(tc, test_acceptex_takes_deferred_connection);
    tcase_add_test(tc, test_connectex_with_data_and_refused);
    tcase_add_test(tc, test_disconnectex_then_reuse_for_acceptex);
    tcase_add_test(tc, test_many_acceptex_posted_ahead);
    tcase_add_test(tc, test_wsarecvmsg_reports_ipv4_pktinfo_overlapped);
    tcase_add_test(tc, test_wsarecvmsg_ipv6_pktinfo_and_ctrunc);
    tcase_add_test(tc, test_wsasendmsg_sends_with_pktinfo_and_overlapped);
    tcase_add_test(tc, test_wsarecvex_sets_msg_partial);
    tcase_add_test(tc, test_createfile_utf16_name_and_bad_input);
    tcase_add_test(tc, test_transmitfile_sends_10mib_file_with_head_and_tail);
    tcase_add_test(tc, test_transmitfile_offset_disconnect_and_bad_input);
    tcase_add_test(tc, test_transmitfile_cancelled_while_peer_is_not_reading);
    tcase_add_test(tc, test_transmitfile_queued_behind_pending_send_keeps_order);
    tcase_add_test(tc, test_transmitpackets_memory_and_file_elements);
    tcase_add_test(tc, test_transmitpackets_gathers_many_buffers_in_order);
    tcase_add_test(tc, test_transmitpackets_datagrams_end_at_eop);
    tcase_add_test(tc, test_ten_thousand_connections_accepted_echoed_closed);
    tcase_add_test(tc, test_recv_into_protected_page_goes_through_host);
    tcase_add_test(tc, test_acceptex_pending_hides_fd_accept);
    tcase_add_test(tc, test_disconnectex_closes_sending_side_only);
    tcase_add_test(tc, test_transmitfile_sends_host_file_synchronously);
    tcase_add_test(tc, test_receive_outlives_its_thread);
    tcase_add_test(tc, test_duplicate_completes_on_the_originals_port);
    tcase_add_test(tc, test_event_select_records_fd_connect_as_windows);
    tcase_add_test(tc, test_extensions_bad_pointers_fail_with_wsaefault);
    tcase_add_test(tc, test_socket_handle_signalled_between_operations);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
