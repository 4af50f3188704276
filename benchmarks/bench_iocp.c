/*
 * Completion-port throughput: PostQueuedCompletionStatus + GetQueuedCompletionStatus
 * on one thread (post then dequeue) and on two (one posts, one dequeues),
 * beside the same work on a plain mutex+condvar queue, in one run.
 *
 * Prints one line per result:
 *   bench=iocp_post_dequeue impl=<ws2uring|mutex_condvar> threads=N ops=N ops_per_sec=X ratio_to_baseline=R
 * Usage: bench_iocp [ops-per-run] [runs]; each figure is the median of the runs.
 */
#include <stdio.h>
#include <stdlib.h>

#include <windows.h>

#include "harness.h"

static DWORD ops = 2000000;

struct job {
    HANDLE port;
    struct bq *q;
    DWORD errors;
};

static void *iocp_producer(void *arg)
{
    struct job *j = arg;
    for (DWORD i = 0; i < ops; i++)
        if (!PostQueuedCompletionStatus(j->port, i, 1, NULL))
            j->errors++;
    return NULL;
}

static void *iocp_consumer(void *arg)
{
    struct job *j = arg;
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED ov;
    for (DWORD i = 0; i < ops; i++)
        if (!GetQueuedCompletionStatus(j->port, &bytes, &key, &ov, INFINITE) || bytes != i)
            j->errors++;
    return NULL;
}

static void *bq_producer(void *arg)
{
    struct job *j = arg;
    for (DWORD i = 0; i < ops; i++)
        bq_push(j->q, i);
    return NULL;
}

static void *bq_consumer(void *arg)
{
    struct job *j = arg;
    for (DWORD i = 0; i < ops; i++)
        if (bq_pop(j->q) != i)
            j->errors++;
    return NULL;
}

/* bench_threads runs one function on every thread: this one gives each
 * thread its own role. */
struct role {
    void *(*fn)(void *);
    struct job *job;
};

static void *play_role(void *arg)
{
    struct role *r = arg;
    return r->fn(r->job);
}

/* One timed run; returns ops per second. */
static double run(int use_iocp, int threads, DWORD *errors)
{
    struct job j = { 0 };
    double t0, t1;

    if (use_iocp)
        j.port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    else
        j.q = bq_new();
    if (use_iocp && !j.port) {
        fprintf(stderr, "CreateIoCompletionPort failed: %lu\n", (unsigned long)GetLastError());
        exit(1);
    }
    t0 = bench_seconds();
    if (threads == 1) {
        for (DWORD i = 0; i < ops; i++) {
            if (use_iocp) {
                DWORD bytes;
                ULONG_PTR key;
                LPOVERLAPPED ov;
                if (!PostQueuedCompletionStatus(j.port, i, 1, NULL) ||
                    !GetQueuedCompletionStatus(j.port, &bytes, &key, &ov, INFINITE) || bytes != i)
                    j.errors++;
            } else {
                bq_push(j.q, i);
                if (bq_pop(j.q) != i)
                    j.errors++;
            }
        }
    } else {
        struct role roles[2] = { { use_iocp ? iocp_producer : bq_producer, &j },
                                 { use_iocp ? iocp_consumer : bq_consumer, &j } };
        void *args[2] = { &roles[0], &roles[1] };
        bench_threads(2, play_role, args);
    }
    t1 = bench_seconds();
    if (use_iocp)
        CloseHandle(j.port);
    else
        bq_free(j.q);
    *errors += j.errors;
    return (double)ops / (t1 - t0);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    int runs = 5;
    DWORD errors = 0;
    if (argc > 1)
        ops = (DWORD)strtoul(argv[1], NULL, 10);
    if (argc > 2)
        runs = atoi(argv[2]);
    if (runs < 1 || runs > 99 || ops == 0) {
        fprintf(stderr, "usage: %s [ops-per-run] [runs 1..99]\n", argv[0]);
        return 2;
    }
    for (int threads = 1; threads <= 2; threads++) {
        double base[99], port[99];
        /* Interleaved, so both see the same machine load. */
        for (int r = 0; r < runs; r++) {
            base[r] = run(0, threads, &errors);
            port[r] = run(1, threads, &errors);
        }
        qsort(base, (size_t)runs, sizeof(double), cmp);
        qsort(port, (size_t)runs, sizeof(double), cmp);
        double b = base[runs / 2], p = port[runs / 2];
        printf("bench=iocp_post_dequeue impl=mutex_condvar threads=%d ops=%lu ops_per_sec=%.0f ratio_to_baseline=1.00\n",
               threads, (unsigned long)ops, b);
        printf("bench=iocp_post_dequeue impl=ws2uring threads=%d ops=%lu ops_per_sec=%.0f ratio_to_baseline=%.2f\n",
               threads, (unsigned long)ops, p, p / b);
        fflush(stdout);
    }
    if (errors) {
        fprintf(stderr, "bench_iocp: %lu wrong or failed operations\n", (unsigned long)errors);
        return 1;
    }
    return 0;
}
