/* Completion ports through the Win32 API (suite iocp). */
#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>

#include "iocp_fixture.h"
#include "suite_main.h"
#include "linux_helper.h"

static HANDLE new_port(DWORD threads)
{
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, threads);
    ck_assert_ptr_nonnull(port);
    return port;
}

static void wait_for_waiters(HANDLE port, unsigned n)
{
    /* Bounded: 10 s of polling, then the assertion below fails. */
    for (int i = 0; i < 10000 && fx_port_waiters((uintptr_t)port) < n; i++)
        Sleep(1);
    ck_assert_uint_eq(fx_port_waiters((uintptr_t)port), n);
}

/* ---- posting and dequeuing ------------------------------------------------ */

START_TEST(test_port_packets_fifo)
{
    HANDLE port = new_port(1);
    for (DWORD i = 0; i < 100; i++)
        ck_assert(PostQueuedCompletionStatus(port, i, 1000 + i, (LPOVERLAPPED)(uintptr_t)(0x10 * (i + 1))));
    for (DWORD i = 0; i < 100; i++) {
        DWORD bytes = 0;
        ULONG_PTR key = 0;
        LPOVERLAPPED ov = NULL;
        ck_assert(GetQueuedCompletionStatus(port, &bytes, &key, &ov, 0));
        ck_assert_uint_eq(bytes, i);
        ck_assert_uint_eq(key, 1000 + i);
        ck_assert_ptr_eq(ov, (LPOVERLAPPED)(uintptr_t)(0x10 * (i + 1)));
    }
    ck_assert(CloseHandle(port));
    ck_assert_uint_eq(fx_handles_open(), 0);
}
END_TEST

START_TEST(test_post_values_round_trip)
{
    HANDLE port = new_port(0);
    OVERLAPPED o;
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED ov;

    ck_assert(PostQueuedCompletionStatus(port, 0xFFFFFFFFu, ~(ULONG_PTR)0, &o));
    ck_assert(PostQueuedCompletionStatus(port, 0, 0, NULL));
    ck_assert(GetQueuedCompletionStatus(port, &bytes, &key, &ov, INFINITE));
    ck_assert_uint_eq(bytes, 0xFFFFFFFFu);
    ck_assert_uint_eq(key, ~(ULONG_PTR)0);
    ck_assert_ptr_eq(ov, &o);
    bytes = 7; key = 7; ov = &o;
    /* A posted packet with a NULL OVERLAPPED still succeeds. */
    ck_assert(GetQueuedCompletionStatus(port, &bytes, &key, &ov, INFINITE));
    ck_assert_uint_eq(bytes, 0);
    ck_assert_uint_eq(key, 0);
    ck_assert_ptr_null(ov);
    CloseHandle(port);
}
END_TEST

/* ---- timeouts ---------------------------------------------------------------- */

START_TEST(test_dequeue_timeout_zero)
{
    HANDLE port = new_port(1);
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED ov = (LPOVERLAPPED)1;
    SetLastError(0);
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &ov, 0));
    ck_assert_uint_eq(GetLastError(), WAIT_TIMEOUT);
    ck_assert_ptr_null(ov);
    CloseHandle(port);
}
END_TEST

START_TEST(test_dequeue_timeout_finite)
{
    HANDLE port = new_port(1);
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED ov = (LPOVERLAPPED)1;
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &ov, 30));
    ck_assert_uint_eq(GetLastError(), WAIT_TIMEOUT);
    ck_assert_ptr_null(ov);

    OVERLAPPED_ENTRY e[4];
    ULONG n = 99;
    ck_assert(!GetQueuedCompletionStatusEx(port, e, 4, &n, 30, FALSE));
    ck_assert_uint_eq(GetLastError(), WAIT_TIMEOUT);
    ck_assert_uint_eq(n, 0);
    CloseHandle(port);
}
END_TEST

struct poster { HANDLE port; DWORD delay_ms; };

static void *post_later(void *arg)
{
    struct poster *p = arg;
    Sleep(p->delay_ms);
    PostQueuedCompletionStatus(p->port, 42, 43, NULL);
    return NULL;
}

/* A finite timeout waits: a packet posted 50 ms later arrives within a
 * 10 s limit (a finite timeout taken as 0 would fail here). */
START_TEST(test_dequeue_timeout_finite_waits_for_a_later_packet)
{
    HANDLE port = new_port(1);
    struct poster p = { port, 50 };
    pthread_t th;
    DWORD bytes = 0;
    ULONG_PTR key = 0;
    LPOVERLAPPED ov;
    pthread_create(&th, NULL, post_later, &p);
    ck_assert(GetQueuedCompletionStatus(port, &bytes, &key, &ov, 10000));
    ck_assert_uint_eq(key, 43);
    pthread_join(th, NULL);
    pthread_create(&th, NULL, post_later, &p);
    OVERLAPPED_ENTRY e[2];
    ULONG n = 0;
    ck_assert(GetQueuedCompletionStatusEx(port, e, 2, &n, 10000, FALSE));
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(e[0].lpCompletionKey, 43);
    pthread_join(th, NULL);
    CloseHandle(port);
}
END_TEST

START_TEST(test_dequeue_timeout_infinite)
{
    HANDLE port = new_port(1);
    struct poster p = { port, 50 };
    pthread_t th;
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED ov;
    pthread_create(&th, NULL, post_later, &p);
    ck_assert(GetQueuedCompletionStatus(port, &bytes, &key, &ov, INFINITE));
    ck_assert_uint_eq(bytes, 42);
    ck_assert_uint_eq(key, 43);
    pthread_join(th, NULL);
    CloseHandle(port);
}
END_TEST

/* ---- waiters: LIFO, concurrency, close -------------------------------------- */

struct waiter_arg {
    HANDLE port;
    int id;
    _Atomic int *order;
    _Atomic int *next;
    BOOL ok;
    DWORD error;
    LPOVERLAPPED ov;
};

static void *wait_one(void *arg)
{
    struct waiter_arg *w = arg;
    DWORD bytes;
    ULONG_PTR key;
    w->ov = (LPOVERLAPPED)1;
    w->ok = GetQueuedCompletionStatus(w->port, &bytes, &key, &w->ov, INFINITE);
    w->error = w->ok ? 0 : GetLastError();
    if (w->ok)
        w->order[atomic_fetch_add(w->next, 1)] = w->id;
    return NULL;
}

START_TEST(test_waiters_woken_lifo)
{
    HANDLE port = new_port(8);
    pthread_t th[3];
    struct waiter_arg w[3];
    _Atomic int order[3] = { -1, -1, -1 }, next = 0;

    for (int i = 0; i < 3; i++) {
        w[i] = (struct waiter_arg){ .port = port, .id = i, .order = order, .next = &next };
        pthread_create(&th[i], NULL, wait_one, &w[i]);
        wait_for_waiters(port, (unsigned)i + 1);   /* i waits before i+1 */
    }
    for (int i = 0; i < 3; i++) {
        ck_assert(PostQueuedCompletionStatus(port, 0, 0, NULL));
        for (int t = 0; t < 10000 && atomic_load(&next) <= i; t++)
            Sleep(1);
    }
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    /* The newest waiter is released first. */
    ck_assert_int_eq(order[0], 2);
    ck_assert_int_eq(order[1], 1);
    ck_assert_int_eq(order[2], 0);
    CloseHandle(port);
}
END_TEST

struct worker_arg {
    HANDLE port;
    _Atomic int *running;
    _Atomic int *max_running;
    _Atomic int *done;
};

static void *busy_worker(void *arg)
{
    struct worker_arg *a = arg;
    for (;;) {
        DWORD bytes;
        ULONG_PTR key;
        LPOVERLAPPED ov;
        if (!GetQueuedCompletionStatus(a->port, &bytes, &key, &ov, INFINITE) || key == 0)
            return NULL;
        int now = atomic_fetch_add(a->running, 1) + 1;
        int m = atomic_load(a->max_running);
        while (now > m && !atomic_compare_exchange_weak(a->max_running, &m, now))
            ;
        /* Work without blocking in ws2uring: a thread that only computes
         * keeps its slot, so nobody else may run. */
        for (volatile int spin = 0; spin < 200000; spin++)
            ;
        atomic_fetch_sub(a->running, 1);
        atomic_fetch_add(a->done, 1);
    }
}

START_TEST(test_concurrency_limit_more_workers_than_limit)
{
    HANDLE port = new_port(1);
    _Atomic int running = 0, max_running = 0, done = 0;
    struct worker_arg a = { port, &running, &max_running, &done };
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, busy_worker, &a);
    wait_for_waiters(port, 4);
    for (int i = 0; i < 200; i++)
        PostQueuedCompletionStatus(port, 0, 1, NULL);
    for (int t = 0; t < 60000 && atomic_load(&done) < 200; t++)
        Sleep(1);
    int finished = atomic_load(&done);
    ck_assert_int_eq(finished, 200);
    for (int i = 0; i < 4; i++)
        PostQueuedCompletionStatus(port, 0, 0, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    int most = atomic_load(&max_running);
    ck_assert_int_eq(most, 1);
    CloseHandle(port);
}
END_TEST

START_TEST(test_concurrency_zero_means_cpu_count)
{
    HANDLE port = new_port(0);
    long cpus = fx_cpu_count();
    _Atomic int running = 0, max_running = 0, done = 0;
    struct worker_arg a = { port, &running, &max_running, &done };
    int workers = (int)cpus + 3;
    pthread_t th[64];
    ck_assert_int_lt(workers, 64);
    for (int i = 0; i < workers; i++)
        pthread_create(&th[i], NULL, busy_worker, &a);
    wait_for_waiters(port, (unsigned)workers);
    for (int i = 0; i < 300; i++)
        PostQueuedCompletionStatus(port, 0, 1, NULL);
    for (int t = 0; t < 60000 && atomic_load(&done) < 300; t++)
        Sleep(1);
    for (int i = 0; i < workers; i++)
        PostQueuedCompletionStatus(port, 0, 0, NULL);
    for (int i = 0; i < workers; i++)
        pthread_join(th[i], NULL);
    int finished = atomic_load(&done), most = atomic_load(&max_running);
    ck_assert_int_eq(finished, 300);
    ck_assert_int_le(most, cpus);
    /* 0 means the CPU count, not 1: with two CPUs or more, two workers
     * ran at once at some point of 300 packets. */
    if (cpus >= 2)
        ck_assert_int_ge(most, 2);
    CloseHandle(port);
}
END_TEST

struct blocker {
    HANDLE port;
    void *_Atomic thread;
    _Atomic int stage;
    DWORD sleep_result;
    DWORD b_key;
};

static void wake_blocker(void *ctx)
{
    (void)ctx;
}

static void *blocker_a(void *arg)
{
    struct blocker *b = arg;
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED ov;
    b->thread = fx_thread_self();
    if (!GetQueuedCompletionStatus(b->port, &bytes, &key, &ov, INFINITE))
        return NULL;
    atomic_store(&b->stage, 1);               /* A runs, holding the only slot */
    while (atomic_load(&b->stage) < 2)         /* main checks that B stays put */
        sched_yield();
    /* Blocks in ws2uring: the slot goes to B, which wakes us with an APC. */
    b->sleep_result = SleepEx(INFINITE, TRUE);
    return NULL;
}

static void *blocker_b(void *arg)
{
    struct blocker *b = arg;
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED ov;
    if (GetQueuedCompletionStatus(b->port, &bytes, &key, &ov, INFINITE)) {
        b->b_key = (DWORD)key;
        fx_queue_apc(b->thread, wake_blocker, NULL);
    }
    return NULL;
}

START_TEST(test_concurrency_blocked_worker_lets_another_run)
{
    struct blocker b = { .port = new_port(1) };
    pthread_t ta, tb;
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED ov;

    /* B waits first, so A, the newest waiter, gets the first packet. */
    pthread_create(&tb, NULL, blocker_b, &b);
    wait_for_waiters(b.port, 1);
    pthread_create(&ta, NULL, blocker_a, &b);
    wait_for_waiters(b.port, 2);
    while (!b.thread)
        sched_yield();
    PostQueuedCompletionStatus(b.port, 0, 1, NULL);
    while (atomic_load(&b.stage) < 1)
        sched_yield();
    PostQueuedCompletionStatus(b.port, 0, 2, NULL);
    /* A computes: the second packet must wait, B stays a waiter. */
    Sleep(50);
    ck_assert_uint_eq(b.b_key, 0);
    ck_assert_uint_eq(fx_port_waiters((uintptr_t)b.port), 1);
    atomic_store(&b.stage, 2);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    ck_assert_uint_eq(b.b_key, 2);
    ck_assert_uint_eq(b.sleep_result, WAIT_IO_COMPLETION);
    ck_assert(!GetQueuedCompletionStatus(b.port, &bytes, &key, &ov, 0));
    CloseHandle(b.port);
}
END_TEST

START_TEST(test_close_with_waiters_abandons_them)
{
    HANDLE port = new_port(2);
    pthread_t th[3];
    struct waiter_arg w[3];
    _Atomic int order[3], next = 0;
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED ov;

    for (int i = 0; i < 3; i++) {
        w[i] = (struct waiter_arg){ .port = port, .id = i, .order = order, .next = &next };
        pthread_create(&th[i], NULL, wait_one, &w[i]);
    }
    wait_for_waiters(port, 3);
    ck_assert(CloseHandle(port));
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        ck_assert(!w[i].ok);
        ck_assert_uint_eq(w[i].error, ERROR_ABANDONED_WAIT_0);
        ck_assert_ptr_null(w[i].ov);
    }
    /* The handle is gone now. */
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &ov, 0));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    ck_assert(!PostQueuedCompletionStatus(port, 0, 0, NULL));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    ck_assert_uint_eq(fx_handles_open(), 0);
}
END_TEST

START_TEST(test_close_with_packets_queued_frees_them)
{
    HANDLE port = new_port(1);
    for (int i = 0; i < 10; i++)
        PostQueuedCompletionStatus(port, 0, 0, NULL);
    ck_assert(CloseHandle(port));
    ck_assert_uint_eq(fx_handles_open(), 0);   /* and ASan sees no leak */
}
END_TEST

/* ---- GetQueuedCompletionStatusEx ---------------------------------------------- */

START_TEST(test_ex_batches_partial_and_full)
{
    HANDLE port = new_port(1);
    OVERLAPPED_ENTRY e[8];
    ULONG n;
    for (DWORD i = 0; i < 5; i++)
        PostQueuedCompletionStatus(port, 100 + i, i, NULL);
    ck_assert(GetQueuedCompletionStatusEx(port, e, 3, &n, 0, FALSE));
    ck_assert_uint_eq(n, 3);                       /* full batch */
    for (ULONG i = 0; i < 3; i++) {
        ck_assert_uint_eq(e[i].lpCompletionKey, i);
        ck_assert_uint_eq(e[i].dwNumberOfBytesTransferred, 100 + i);
        ck_assert_uint_eq(e[i].Internal, 0);
    }
    ck_assert(GetQueuedCompletionStatusEx(port, e, 8, &n, INFINITE, FALSE));
    ck_assert_uint_eq(n, 2);                       /* partial: what is there */
    ck_assert_uint_eq(e[0].lpCompletionKey, 3);
    ck_assert_uint_eq(e[1].lpCompletionKey, 4);
    CloseHandle(port);
}
END_TEST

static void count_apc(void *ctx)
{
    atomic_fetch_add((_Atomic int *)ctx, 1);
}

START_TEST(test_ex_alertable_runs_apcs)
{
    HANDLE port = new_port(1);
    OVERLAPPED_ENTRY e[2];
    ULONG n = 5;
    _Atomic int ran = 0;
    fx_queue_apc(fx_thread_self(), count_apc, &ran);
    ck_assert(!GetQueuedCompletionStatusEx(port, e, 2, &n, INFINITE, TRUE));
    ck_assert_uint_eq(GetLastError(), WAIT_IO_COMPLETION);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(atomic_load(&ran), 1);
    /* Not alertable: the APC waits, the packet comes. */
    fx_queue_apc(fx_thread_self(), count_apc, &ran);
    PostQueuedCompletionStatus(port, 1, 2, NULL);
    ck_assert(GetQueuedCompletionStatusEx(port, e, 2, &n, INFINITE, FALSE));
    ck_assert_int_eq(atomic_load(&ran), 1);
    ck_assert_uint_eq(SleepEx(0, TRUE), WAIT_IO_COMPLETION);
    ck_assert_int_eq(atomic_load(&ran), 2);
    CloseHandle(port);
}
END_TEST

/* ---- real I/O through the port's ring ----------------------------------------- */

START_TEST(test_ring_completion_reaches_waiter)
{
    HANDLE port = new_port(0);
    HANDLE file = (HANDLE)fx_file_create();
    char buf[16] = { 0 };
    OVERLAPPED o;
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED ov;

    memset(&o, 0, sizeof(o));
    ck_assert_ptr_eq(CreateIoCompletionPort(file, port, 77, 0), port);
    ck_assert_int_eq(fx_file_read((uintptr_t)file, &o, buf, sizeof(buf)), 0);
    ck_assert(!HasOverlappedIoCompleted(&o));
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &ov, 0));
    ck_assert_uint_eq(GetLastError(), WAIT_TIMEOUT);
    ck_assert_int_eq(fx_file_feed((uintptr_t)file, "hello", 5), 5);
    ck_assert(GetQueuedCompletionStatus(port, &bytes, &key, &ov, INFINITE));
    ck_assert_uint_eq(bytes, 5);
    ck_assert_uint_eq(key, 77);
    ck_assert_ptr_eq(ov, &o);
    ck_assert(HasOverlappedIoCompleted(&o));
    ck_assert_uint_eq(o.InternalHigh, 5);
    ck_assert_str_eq(buf, "hello");
    CloseHandle(file);
    CloseHandle(port);
    ck_assert_uint_eq(fx_requests_live(), 0);
    ck_assert_uint_eq(fx_handles_open(), 0);
}
END_TEST

struct reader { HANDLE port; DWORD bytes; ULONG_PTR key; BOOL ok; };

static void *read_waiter(void *arg)
{
    struct reader *r = arg;
    LPOVERLAPPED ov;
    r->ok = GetQueuedCompletionStatus(r->port, &r->bytes, &r->key, &ov, INFINITE);
    return NULL;
}

START_TEST(test_ring_submit_wakes_sleeping_waiter)
{
    /* The waiter sleeps before any I/O exists; the submission must make it
     * reap the ring, or the completion would never be seen. */
    HANDLE port = new_port(0);
    HANDLE file = (HANDLE)fx_file_create();
    struct reader r = { .port = port };
    pthread_t th;
    char buf[8];
    OVERLAPPED o;

    memset(&o, 0, sizeof(o));
    CreateIoCompletionPort(file, port, 5, 0);
    pthread_create(&th, NULL, read_waiter, &r);
    wait_for_waiters(port, 1);
    ck_assert_int_eq(fx_file_read((uintptr_t)file, &o, buf, sizeof(buf)), 0);
    fx_file_feed((uintptr_t)file, "abc", 3);
    pthread_join(th, NULL);
    ck_assert(r.ok);
    ck_assert_uint_eq(r.bytes, 3);
    ck_assert_uint_eq(r.key, 5);
    CloseHandle(file);
    CloseHandle(port);
    ck_assert_uint_eq(fx_requests_live(), 0);
}
END_TEST

START_TEST(test_failed_io_packet_fills_everything)
{
    HANDLE port = new_port(0);
    HANDLE file = (HANDLE)fx_file_create();
    char buf[8];
    OVERLAPPED o;
    DWORD bytes = 99;
    ULONG_PTR key = 0;
    LPOVERLAPPED ov = NULL;

    memset(&o, 0, sizeof(o));
    CreateIoCompletionPort(file, port, 9, 0);
    ck_assert_int_eq(fx_file_read((uintptr_t)file, &o, buf, sizeof(buf)), 0);
    ck_assert_int_eq(fx_file_cancel((uintptr_t)file), 1);
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &ov, INFINITE));
    ck_assert_uint_eq(GetLastError(), ERROR_OPERATION_ABORTED);
    ck_assert_ptr_eq(ov, &o);
    ck_assert_uint_eq(key, 9);
    ck_assert_uint_eq(bytes, 0);
    ck_assert_uint_eq(o.Internal, 0xC0000120u);   /* STATUS_CANCELLED */

    /* A reset connection reads as ERROR_NETNAME_DELETED, as on Windows. */
    fx_file_complete((uintptr_t)file, &o, 0xC000020Du, 3, 0, NULL, NULL);
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &ov, 0));
    ck_assert_uint_eq(GetLastError(), ERROR_NETNAME_DELETED);
    ck_assert_uint_eq(bytes, 3);
    ck_assert_ptr_eq(ov, &o);
    /* Ex reports failures in the entry and succeeds itself. */
    OVERLAPPED_ENTRY e;
    ULONG n;
    fx_file_complete((uintptr_t)file, &o, 0xC0000236u, 0, 0, NULL, NULL);
    ck_assert(GetQueuedCompletionStatusEx(port, &e, 1, &n, 0, FALSE));
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(e.Internal, 0xC0000236u);   /* STATUS_CONNECTION_REFUSED */
    CloseHandle(file);
    CloseHandle(port);
    ck_assert_uint_eq(fx_requests_live(), 0);
}
END_TEST

START_TEST(test_close_file_with_reads_in_flight_completes_each_once)
{
    HANDLE port = new_port(0);
    HANDLE file = (HANDLE)fx_file_create();
    OVERLAPPED o[100];
    char buf[100][4];
    memset(o, 0, sizeof(o));
    CreateIoCompletionPort(file, port, 1, 0);
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(fx_file_read((uintptr_t)file, &o[i], buf[i], 4), 0);
    ck_assert(CloseHandle(file));
    int seen[100] = { 0 };
    for (int i = 0; i < 100; i++) {
        DWORD bytes;
        ULONG_PTR key;
        LPOVERLAPPED ov;
        ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &ov, 5000));
        ck_assert_uint_eq(GetLastError(), ERROR_OPERATION_ABORTED);
        seen[(OVERLAPPED *)ov - o]++;
    }
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(seen[i], 1);
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED ov;
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &ov, 0));
    ck_assert_uint_eq(GetLastError(), WAIT_TIMEOUT);
    CloseHandle(port);
    ck_assert_uint_eq(fx_requests_live(), 0);
    ck_assert_uint_eq(fx_handles_open(), 0);
}
END_TEST

/* ---- delivery sinks ------------------------------------------------------------- */

START_TEST(test_sink_event_and_low_bit)
{
    HANDLE port = new_port(0);
    HANDLE file = (HANDLE)fx_file_create();
    uintptr_t ev = fx_event_create(1);
    OVERLAPPED o;
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED ov;

    CreateIoCompletionPort(file, port, 3, 0);
    memset(&o, 0, sizeof(o));
    o.hEvent = (HANDLE)ev;
    fx_file_complete((uintptr_t)file, &o, 0, 10, 0, NULL, NULL);
    ck_assert(fx_event_is_set(ev));
    ck_assert(GetQueuedCompletionStatus(port, &bytes, &key, &ov, 0));   /* event and packet */

    /* hEvent with the low bit set: the event is signalled, no packet. */
    CloseHandle((HANDLE)ev);
    ev = fx_event_create(1);
    o.hEvent = (HANDLE)(ev | 1);
    fx_file_complete((uintptr_t)file, &o, 0, 10, 0, NULL, NULL);
    ck_assert(fx_event_is_set(ev));
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &ov, 0));
    ck_assert_uint_eq(GetLastError(), WAIT_TIMEOUT);
    ck_assert(HasOverlappedIoCompleted(&o));
    CloseHandle((HANDLE)ev);
    CloseHandle(file);
    CloseHandle(port);
    ck_assert_uint_eq(fx_requests_live(), 0);
}
END_TEST

START_TEST(test_skip_port_on_success)
{
    HANDLE port = new_port(0);
    HANDLE file = (HANDLE)fx_file_create();
    OVERLAPPED o;
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED ov;

    memset(&o, 0, sizeof(o));
    CreateIoCompletionPort(file, port, 3, 0);
    ck_assert(SetFileCompletionNotificationModes(file, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS));
    /* Finished at once with success: nothing is posted. */
    fx_file_complete((uintptr_t)file, &o, 0, 4, 1, NULL, NULL);
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &ov, 0));
    /* Finished later, or failed: posted as usual. */
    fx_file_complete((uintptr_t)file, &o, 0, 4, 0, NULL, NULL);
    ck_assert(GetQueuedCompletionStatus(port, &bytes, &key, &ov, 0));
    fx_file_complete((uintptr_t)file, &o, 0xC000020Du, 0, 1, NULL, NULL);
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &ov, 0));
    ck_assert_uint_eq(GetLastError(), ERROR_NETNAME_DELETED);
    CloseHandle(file);
    CloseHandle(port);
}
END_TEST

START_TEST(test_sink_completion_routine_runs_when_alertable)
{
    HANDLE port = new_port(0);
    HANDLE file = (HANDLE)fx_file_create();
    OVERLAPPED o;
    _Atomic int ran = 0;
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED ov;

    memset(&o, 0, sizeof(o));
    CreateIoCompletionPort(file, port, 3, 0);
    fx_file_complete((uintptr_t)file, &o, 0, 1, 0, count_apc, &ran);
    ck_assert(HasOverlappedIoCompleted(&o));
    ck_assert_int_eq(atomic_load(&ran), 0);            /* not until alertable */
    ck_assert_uint_eq(SleepEx(0, FALSE), 0);
    ck_assert_int_eq(atomic_load(&ran), 0);
    ck_assert_uint_eq(SleepEx(INFINITE, TRUE), WAIT_IO_COMPLETION);
    ck_assert_int_eq(atomic_load(&ran), 1);
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, &ov, 0));   /* no packet */
    CloseHandle(file);
    CloseHandle(port);
    ck_assert_uint_eq(fx_requests_live(), 0);
}
END_TEST

/* ---- many threads --------------------------------------------------------------- */

#define POSTERS 4
#define TAKERS 4
#define PER_POSTER 250000

struct stress {
    HANDLE port;
    _Atomic unsigned char *seen;
    int id;
};

static void *stress_post(void *arg)
{
    struct stress *s = arg;
    for (DWORD i = 0; i < PER_POSTER; i++)
        if (!PostQueuedCompletionStatus(s->port, i, (ULONG_PTR)s->id + 1, NULL))
            abort();
    return NULL;
}

static void *stress_take(void *arg)
{
    struct stress *s = arg;
    OVERLAPPED_ENTRY e[16];
    for (;;) {
        ULONG n;
        int stops = 0;
        if (!GetQueuedCompletionStatusEx(s->port, e, 16, &n, INFINITE, FALSE))
            return NULL;
        for (ULONG i = 0; i < n; i++) {
            if (e[i].lpCompletionKey == 0) {
                stops++;       /* stop packets come last */
                continue;
            }
            size_t slot = (e[i].lpCompletionKey - 1) * PER_POSTER + e[i].dwNumberOfBytesTransferred;
            atomic_fetch_add(&s->seen[slot], 1);
        }
        if (stops) {
            /* One batch may take several: hand back the others' stops. */
            while (--stops)
                PostQueuedCompletionStatus(s->port, 0, 0, NULL);
            return NULL;
        }
    }
}

START_TEST(test_many_threads_lose_and_duplicate_nothing)
{
    HANDLE port = new_port(0);
    _Atomic unsigned char *seen = calloc(POSTERS * PER_POSTER, 1);
    struct stress p[POSTERS], t[TAKERS];
    pthread_t pt[POSTERS], tt[TAKERS];
    for (int i = 0; i < TAKERS; i++) {
        t[i] = (struct stress){ port, seen, i };
        pthread_create(&tt[i], NULL, stress_take, &t[i]);
    }
    for (int i = 0; i < POSTERS; i++) {
        p[i] = (struct stress){ port, seen, i };
        pthread_create(&pt[i], NULL, stress_post, &p[i]);
    }
    for (int i = 0; i < POSTERS; i++)
        pthread_join(pt[i], NULL);
    /* Stop packets go last: every taker stops after the real ones. */
    for (int i = 0; i < TAKERS; i++)
        PostQueuedCompletionStatus(port, 0, 0, NULL);
    for (int i = 0; i < TAKERS; i++)
        pthread_join(tt[i], NULL);
    size_t missing = 0, doubled = 0;
    for (size_t i = 0; i < POSTERS * PER_POSTER; i++) {
        missing += seen[i] == 0;
        doubled += seen[i] > 1;
    }
    ck_assert_uint_eq(missing, 0);
    ck_assert_uint_eq(doubled, 0);
    free((void *)seen);
    CloseHandle(port);
}
END_TEST

/* ---- bad input -------------------------------------------------------------------- */

START_TEST(test_bad_null_out_pointers)
{
    HANDLE port = new_port(0);
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED ov;
    OVERLAPPED_ENTRY e;
    ULONG n;
    PostQueuedCompletionStatus(port, 0, 0, NULL);
    ck_assert(!GetQueuedCompletionStatus(port, NULL, &key, &ov, 0));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, NULL, &ov, 0));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    ck_assert(!GetQueuedCompletionStatus(port, &bytes, &key, NULL, 0));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    ck_assert(!GetQueuedCompletionStatusEx(port, NULL, 1, &n, 0, FALSE));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    ck_assert(!GetQueuedCompletionStatusEx(port, &e, 0, &n, 0, FALSE));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    ck_assert(!GetQueuedCompletionStatusEx(port, &e, 1, NULL, 0, FALSE));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    /* The rejected calls took nothing. */
    ck_assert(GetQueuedCompletionStatus(port, &bytes, &key, &ov, 0));
    CloseHandle(port);
}
END_TEST

START_TEST(test_bad_invalid_and_closed_handles)
{
    HANDLE bogus[] = { NULL, INVALID_HANDLE_VALUE, (HANDLE)0x1234, (HANDLE)3, (HANDLE)(uintptr_t)0x7ffffffc };
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED ov;
    OVERLAPPED_ENTRY e;
    ULONG n;
    for (size_t i = 0; i < sizeof(bogus) / sizeof(bogus[0]); i++) {
        ck_assert(!GetQueuedCompletionStatus(bogus[i], &bytes, &key, &ov, 0));
        ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
        ck_assert(!GetQueuedCompletionStatusEx(bogus[i], &e, 1, &n, 0, FALSE));
        ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
        ck_assert(!PostQueuedCompletionStatus(bogus[i], 0, 0, NULL));
        ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
        ck_assert(!CloseHandle(bogus[i]));
        ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
        ck_assert(!SetFileCompletionNotificationModes(bogus[i], 1));
        ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    }
    HANDLE port = new_port(0);
    ck_assert(CloseHandle(port));
    ck_assert(!CloseHandle(port));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    ck_assert(!PostQueuedCompletionStatus(port, 0, 0, NULL));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    /* A new port may reuse the slot, never the value. */
    HANDLE port2 = new_port(0);
    ck_assert_ptr_ne(port, port2);
    ck_assert(!PostQueuedCompletionStatus(port, 0, 0, NULL));
    /* An event is not a port. */
    HANDLE ev = (HANDLE)fx_event_create(1);
    ck_assert(!GetQueuedCompletionStatus(ev, &bytes, &key, &ov, 0));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    CloseHandle(ev);
    CloseHandle(port2);
}
END_TEST

START_TEST(test_bad_association)
{
    HANDLE port = new_port(0), other = new_port(0);
    HANDLE file = (HANDLE)fx_file_create();
    HANDLE ev = (HANDLE)fx_event_create(1);

    /* No file, but an existing port: nothing to associate. */
    ck_assert_ptr_null(CreateIoCompletionPort(INVALID_HANDLE_VALUE, port, 0, 0));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    ck_assert_ptr_null(CreateIoCompletionPort((HANDLE)0x1234, port, 0, 0));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    ck_assert_ptr_null(CreateIoCompletionPort(file, ev, 0, 0));   /* not a port */
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    ck_assert_ptr_null(CreateIoCompletionPort(ev, port, 0, 0));   /* cannot join */
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    /* Associated twice: refused, to another port and to the same one. */
    ck_assert_ptr_eq(CreateIoCompletionPort(file, port, 1, 0), port);
    ck_assert_ptr_null(CreateIoCompletionPort(file, other, 2, 0));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    ck_assert_ptr_null(CreateIoCompletionPort(file, port, 2, 0));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    /* And with a new port: the port made for it is not left behind. */
    size_t before = fx_handles_open();
    ck_assert_ptr_null(CreateIoCompletionPort(file, NULL, 2, 0));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    ck_assert_uint_eq(fx_handles_open(), before);
    ck_assert(!SetFileCompletionNotificationModes(file, 4));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
    CloseHandle(ev);
    CloseHandle(file);
    CloseHandle(other);
    CloseHandle(port);
    ck_assert_uint_eq(fx_handles_open(), 0);
}
END_TEST

START_TEST(test_new_port_for_file)
{
    HANDLE file = (HANDLE)fx_file_create();
    HANDLE port = CreateIoCompletionPort(file, NULL, 11, 0);
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED ov;
    OVERLAPPED o;
    memset(&o, 0, sizeof(o));
    ck_assert_ptr_nonnull(port);
    ck_assert_ptr_ne(port, file);
    fx_file_complete((uintptr_t)file, &o, 0, 1, 0, NULL, NULL);
    ck_assert(GetQueuedCompletionStatus(port, &bytes, &key, &ov, 0));
    ck_assert_uint_eq(key, 11);
    CloseHandle(file);
    CloseHandle(port);
}
END_TEST

static void *other_error(void *arg)
{
    SetLastError(5);
    *(DWORD *)arg = GetLastError();
    return NULL;
}

START_TEST(test_last_error_per_thread)
{
    DWORD seen = 0;
    pthread_t th;
    SetLastError(1234);
    pthread_create(&th, NULL, other_error, &seen);
    pthread_join(th, NULL);
    ck_assert_uint_eq(seen, 5);
    ck_assert_uint_eq(GetLastError(), 1234);      /* untouched by the other thread */
}
END_TEST

static DWORD WINAPI thread_body(void *arg)
{
    HANDLE ev = arg;
    WaitForSingleObject(ev, INFINITE);
    return 42;
}

START_TEST(test_threads_and_waits)
{
    HANDLE ev = CreateEventA(NULL, TRUE, FALSE, NULL);
    DWORD tid = 0, code = 0;
    HANDLE th = CreateThread(NULL, 0, thread_body, ev, 0, &tid);
    ck_assert_ptr_nonnull(th);
    ck_assert(GetExitCodeThread(th, &code));
    ck_assert_uint_eq(code, STILL_ACTIVE);
    ck_assert_uint_eq(WaitForSingleObject(th, 20), WAIT_TIMEOUT);
    HANDLE both[2] = { ev, th };
    ck_assert_uint_eq(WaitForMultipleObjects(2, both, FALSE, 0), WAIT_TIMEOUT);
    ck_assert(SetEvent(ev));
    ck_assert_uint_eq(WaitForSingleObject(th, INFINITE), WAIT_OBJECT_0);
    ck_assert_uint_eq(WaitForMultipleObjects(2, both, TRUE, INFINITE), WAIT_OBJECT_0);
    ck_assert(GetExitCodeThread(th, &code));
    ck_assert_uint_eq(code, 42);
    ck_assert(ResetEvent(ev));
    ck_assert_uint_eq(WaitForSingleObject(ev, 0), WAIT_TIMEOUT);
    ck_assert_uint_eq(WaitForSingleObject((HANDLE)0x1234, 0), WAIT_FAILED);
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    ck_assert_ptr_null(CreateEventA(NULL, TRUE, FALSE, "named"));
    ck_assert_uint_eq(GetLastError(), ERROR_NOT_SUPPORTED);
    ck_assert(CloseHandle(th));
    ck_assert(CloseHandle(ev));
    ck_assert_uint_eq(fx_handles_settled(2000), 0);
}
END_TEST

/* ---- io_uring unavailable --------------------------------------------------------------- */

static int associate_without_io_uring(void)
{
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    HANDLE file = (HANDLE)fx_file_create();
    if (!port)
        return 10;   /* ports themselves need no ring */
    if (CreateIoCompletionPort(file, port, 0, 0))
        return 11;
    if (GetLastError() != ERROR_NOT_SUPPORTED)
        return 12;
    /* Posting still works: no crash, clear failure only where I/O is needed. */
    if (!PostQueuedCompletionStatus(port, 0, 0, NULL))
        return 13;
    if (CreateIoCompletionPort(file, port, 0, 0) || GetLastError() != ERROR_NOT_SUPPORTED)
        return 14;
    CloseHandle(file);
    CloseHandle(port);
    return 0;
}

START_TEST(test_unavailable_io_uring_fails_cleanly)
{
    char err[1024];
    ck_assert_int_eq(fx_without_io_uring(associate_without_io_uring, err, sizeof(err)), 0);
    /* One clear line, said once. */
    ck_assert_ptr_nonnull(strstr(err, "ws2uring: io_uring is unavailable"));
    ck_assert_ptr_nonnull(strstr(err, "Operation not permitted"));
    ck_assert_ptr_eq(strchr(err, '\n'), err + strlen(err) - 1);
}
END_TEST

int main(void)
{
    if (ws2_test_uring_missing())
        return 77;
    Suite *s = suite_create("iocp");
    TCase *tc = tcase_create("port");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_port_packets_fifo);
    tcase_add_test(tc, test_post_values_round_trip);
    tcase_add_test(tc, test_dequeue_timeout_zero);
    tcase_add_test(tc, test_dequeue_timeout_finite);
    tcase_add_test(tc, test_dequeue_timeout_finite_waits_for_a_later_packet);
    tcase_add_test(tc, test_dequeue_timeout_infinite);
    tcase_add_test(tc, test_waiters_woken_lifo);
    tcase_add_test(tc, test_concurrency_limit_more_workers_than_limit);
    tcase_add_test(tc, test_concurrency_zero_means_cpu_count);
    tcase_add_test(tc, test_concurrency_blocked_worker_lets_another_run);
    tcase_add_test(tc, test_close_with_waiters_abandons_them);
    tcase_add_test(tc, test_close_with_packets_queued_frees_them);
    tcase_add_test(tc, test_ex_batches_partial_and_full);
    tcase_add_test(tc, test_ex_alertable_runs_apcs);
    tcase_add_test(tc, test_ring_completion_reaches_waiter);
    tcase_add_test(tc, test_ring_submit_wakes_sleeping_waiter);
    tcase_add_test(tc, test_failed_io_packet_fills_everything);
    tcase_add_test(tc, test_close_file_with_reads_in_flight_completes_each_once);
    tcase_add_test(tc, test_sink_event_and_low_bit);
    tcase_add_test(tc, test_skip_port_on_success);
    tcase_add_test(tc, test_sink_completion_routine_runs_when_alertable);
    tcase_add_test(tc, test_many_threads_lose_and_duplicate_nothing);
    tcase_add_test(tc, test_bad_null_out_pointers);
    tcase_add_test(tc, test_bad_invalid_and_closed_handles);
    tcase_add_test(tc, test_bad_association);
    tcase_add_test(tc, test_new_port_for_file);
    tcase_add_test(tc, test_last_error_per_thread);
    tcase_add_test(tc, test_threads_and_waits);
    tcase_add_test(tc, test_unavailable_io_uring_fails_cleanly);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
