/* uring-backend/: probe, submission, reaping, cancellation, posting (suite uring). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>    /* IORING_FEAT_*: the kernel's values, not liburing's */
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/w2u.h"
#include "../uring-backend/uring.h"
#include "suite_main.h"
#include "linux_helper.h"

struct rec {
    struct ur_req ur;
    _Atomic int calls;
    int res;
};

static void rec_cb(struct ur_req *req, int res, uint32_t flags)
{
    struct rec *r = (struct rec *)req;
    (void)flags;
    r->res = res;
    atomic_fetch_add(&r->calls, 1);
}

static struct ur_ring *ring_new(void)
{
    struct ur_ring *ring;
    ck_assert_int_eq(ur_ring_create(&ring, 64), 0);
    return ring;
}

/* Reaps until rec has been called, for at most 10 s. */
static void reap_until(struct ur_ring *ring, struct rec *r)
{
    int64_t end = w2u_now_ns() + 10000000000LL;
    while (!atomic_load(&r->calls) && w2u_now_ns() < end)
        ur_reap(ring, w2u_now_ns() + 100000000, 64);
    ck_assert_int_eq(atomic_load(&r->calls), 1);
}

/* A callback that submits to the ring being reaped. */
struct chain {
    struct rec first;
    struct rec nop, read;
    struct ur_ring *ring;
    int fd;
    struct iovec iov;
    char byte;
    unsigned queued_in_callback;
    int cancel;
};

static void chain_cb(struct ur_req *req, int res, uint32_t flags)
{
    struct chain *c = (struct chain *)req;
    rec_cb(req, res, flags);
    ck_assert_int_eq(ur_nop(c->ring, &c->nop.ur), 0);
    ck_assert_int_eq(ur_readv(c->ring, &c->read.ur, c->fd, &c->iov, 1, 0), 0);
    c->queued_in_callback = ur_ring_queued(c->ring);
    if (c->cancel)
        c->cancel = ur_cancel(c->ring, &c->read.ur);
}

static void chain_start(struct chain *c, int fds[2], int cancel)
{
    memset(c, 0, sizeof(*c));
    c->first.ur.cb = chain_cb;
    c->nop.ur.cb = c->read.ur.cb = rec_cb;
    c->ring = ring_new();
    ck_assert_int_eq(pipe(fds), 0);
    c->fd = fds[0];
    c->iov = (struct iovec){ &c->byte, 1 };
    c->cancel = cancel;
    ck_assert_int_eq(ur_nop(c->ring, &c->first.ur), 0);
}

static void chain_end(struct chain *c, int fds[2])
{
    ur_ring_destroy(c->ring);
    close(fds[0]);
    close(fds[1]);
}

/* What callbacks submit waits for the end of the reaped batch, then goes
 * in with one system call before ur_reap returns. */
START_TEST(test_uring_callback_submissions_flush_when_batch_ends)
{
    struct chain c;
    int fds[2];
    chain_start(&c, fds, 0);
    reap_until(c.ring, &c.first);
    ck_assert_uint_eq(c.queued_in_callback, 2);
    ck_assert_uint_eq(ur_ring_queued(c.ring), 0);
    ck_assert_uint_eq(ur_ring_inflight(c.ring), 2);
    reap_until(c.ring, &c.nop);
    /* The read is in the kernel: data written now completes it. */
    ck_assert_int_eq(write(fds[1], "x", 1), 1);
    reap_until(c.ring, &c.read);
    ck_assert_int_eq(c.read.res, 1);
    ck_assert_int_eq(c.byte, 'x');
    chain_end(&c, fds);
}
END_TEST

/* A cancel finds a request a callback queued a moment ago. */
START_TEST(test_uring_cancel_finds_request_queued_by_callback)
{
    struct chain c;
    int fds[2];
    chain_start(&c, fds, 1);
    reap_until(c.ring, &c.first);
    ck_assert_int_eq(c.cancel, 0);
    reap_until(c.ring, &c.read);
    ck_assert_int_eq(c.read.res, -ECANCELED);
    reap_until(c.ring, &c.nop);
    chain_end(&c, fds);
}
END_TEST

/* Only what Linux 5.19, the oldest kernel ws2uring supports, guarantees:
 * what later kernels add (sync cancel, multishot receive, SEND_ZC) is
 * optional and each user has its fallback. */
START_TEST(test_probe_reports_the_minimum_kernel_features)
{
    ck_assert_int_eq(ur_init(), 0);
    const struct ur_caps *c = ur_get_caps();
    ck_assert(c->available);
    ck_assert_int_eq(c->error, 0);
    ck_assert_uint_gt(c->nr_ops, 0);
    ck_assert_uint_eq(c->features & (IORING_FEAT_NODROP | IORING_FEAT_EXT_ARG),
                      IORING_FEAT_NODROP | IORING_FEAT_EXT_ARG);
    ck_assert(c->msg_ring);              /* 5.18 */
    ck_assert(c->cancel_fd_all);         /* 5.19 */
    ck_assert(c->accept_multishot);      /* 5.19 */
    ck_assert(c->socket_op);             /* 5.19 */
}
END_TEST

START_TEST(test_nop_completes_with_callback)
{
    struct ur_ring *ring = ring_new();
    struct rec r = { .ur.cb = rec_cb, .res = 99 };
    ck_assert_int_eq(ur_nop(ring, &r.ur), 0);
    ck_assert_uint_eq(ur_ring_inflight(ring), 1);
    reap_until(ring, &r);
    ck_assert_int_eq(r.res, 0);
    ck_assert_uint_eq(ur_ring_inflight(ring), 0);
    ur_ring_destroy(ring);
}
END_TEST

START_TEST(test_reap_times_out_empty)
{
    struct ur_ring *ring = ring_new();
    ck_assert_int_eq(ur_reap(ring, 0, 64), 0);
    ck_assert_int_eq(ur_reap(ring, w2u_now_ns() + 20000000, 64), 0);
    ur_ring_destroy(ring);
}
END_TEST

START_TEST(test_readv_completes_when_data_arrives)
{
    struct ur_ring *ring = ring_new();
    int p[2];
    char buf[8] = { 0 };
    struct iovec iov = { buf, sizeof(buf) };
    struct rec r = { .ur.cb = rec_cb };
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(ur_readv(ring, &r.ur, p[0], &iov, 1, (uint64_t)-1), 0);
    ck_assert_int_eq(ur_reap(ring, 0, 64), 0);       /* pending */
    ck_assert_int_eq(write(p[1], "xyz", 3), 3);
    reap_until(ring, &r);
    ck_assert_int_eq(r.res, 3);
    ck_assert_str_eq(buf, "xyz");
    close(p[0]);
    close(p[1]);
    ur_ring_destroy(ring);
}
END_TEST

START_TEST(test_cancel_pending_request)
{
    struct ur_ring *ring = ring_new();
    int p[2];
    struct rec r = { .ur.cb = rec_cb };
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(ur_poll(ring, &r.ur, p[0], POLLIN), 0);
    ck_assert_int_eq(ur_cancel(ring, &r.ur), 0);
    reap_until(ring, &r);
    ck_assert_int_eq(r.res, -ECANCELED);
    /* Nothing left to cancel. */
    ck_assert_int_eq(ur_cancel(ring, &r.ur), -ENOENT);
    close(p[0]);
    close(p[1]);
    ur_ring_destroy(ring);
}
END_TEST

START_TEST(test_cancel_by_fd_cancels_all)
{
    struct ur_ring *ring = ring_new();
    int p[2], q[2];
    struct rec r[5], other = { .ur.cb = rec_cb };
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(pipe(q), 0);
    for (int i = 0; i < 5; i++) {
        r[i] = (struct rec){ .ur.cb = rec_cb };
        ck_assert_int_eq(ur_poll(ring, &r[i].ur, p[0], POLLIN), 0);
    }
    ck_assert_int_eq(ur_poll(ring, &other.ur, q[0], POLLIN), 0);
    ck_assert_int_eq(ur_cancel_fd(ring, p[0]), 5);
    /* Sync cancel: the victims' CQEs are there already. */
    ck_assert_int_eq(ur_reap(ring, 0, 64), 5);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(r[i].calls, 1);
        ck_assert_int_eq(r[i].res, -ECANCELED);
    }
    ck_assert_int_eq(other.calls, 0);                /* another fd: untouched */
    ck_assert_int_eq(ur_cancel_fd(ring, p[0]), 0);
    ck_assert_int_eq(ur_cancel_fd(ring, q[0]), 1);
    reap_until(ring, &other);
    close(p[0]); close(p[1]); close(q[0]); close(q[1]);
    ur_ring_destroy(ring);
}
END_TEST

struct post_arg { struct ur_ring *ring; struct rec *r; };

static void *post_thread(void *arg)
{
    struct post_arg *a = arg;
    usleep(20000);
    ur_post(a->ring, &a->r->ur);
    return NULL;
}

START_TEST(test_post_from_other_thread_wakes_reaper)
{
    struct ur_ring *ring = ring_new();
    struct rec r = { .ur.cb = rec_cb, .res = 5 };
    struct post_arg a = { ring, &r };
    pthread_t th;
    pthread_create(&th, NULL, post_thread, &a);
    /* Blocks in io_uring_enter until the post lands. */
    ck_assert_int_eq(ur_reap(ring, W2U_FOREVER, 64), 1);
    ck_assert_int_eq(r.calls, 1);
    ck_assert_int_eq(r.res, 0);
    pthread_join(th, NULL);
    /* A bare wake-up is consumed without a callback. */
    ck_assert_int_eq(ur_post(ring, NULL), 0);
    ck_assert_int_eq(ur_reap(ring, 0, 64), 1);
    ck_assert_uint_eq(ur_ring_inflight(ring), 0);
    ur_ring_destroy(ring);
}
END_TEST

struct hold { struct ur_ring *ring; _Atomic int in; int result; };

static void *reap_forever(void *arg)
{
    struct hold *h = arg;
    atomic_store(&h->in, 1);
    /* The main thread's non-blocking reaps may hold the CQ at the moment
     * we try: keep trying until we are the one blocked in the kernel. */
    do
        h->result = ur_reap(h->ring, W2U_FOREVER, 64);
    while (h->result == -EBUSY);
    return NULL;
}

START_TEST(test_second_reaper_gets_busy)
{
    struct ur_ring *ring = ring_new();
    struct hold h = { .ring = ring };
    pthread_t th;
    pthread_create(&th, NULL, reap_forever, &h);
    while (!atomic_load(&h.in))
        ;
    int r;
    /* Until the other thread holds the CQ, we may get in ourselves. */
    for (int i = 0; i < 10000 && (r = ur_reap(ring, 0, 64)) != -EBUSY; i++)
        usleep(100);
    ck_assert_int_eq(r, -EBUSY);
    ur_post(ring, NULL);
    pthread_join(th, NULL);
    ck_assert_int_eq(h.result, 1);
    ur_ring_destroy(ring);
}
END_TEST

#define SUBMITTERS 4
#define PER_SUBMITTER 5000

struct many { struct ur_ring *ring; struct rec *recs; };

static void *submit_many(void *arg)
{
    struct many *m = arg;
    for (int i = 0; i < PER_SUBMITTER; i++)
        if (ur_nop(m->ring, &m->recs[i].ur) < 0)
            abort();
    return NULL;
}

START_TEST(test_many_threads_submit_at_once)
{
    struct ur_ring *ring = ring_new();
    struct rec *recs = calloc(SUBMITTERS * PER_SUBMITTER, sizeof(*recs));
    struct many m[SUBMITTERS];
    pthread_t th[SUBMITTERS];
    for (int i = 0; i < SUBMITTERS * PER_SUBMITTER; i++)
        recs[i].ur.cb = rec_cb;
    for (int i = 0; i < SUBMITTERS; i++) {
        m[i] = (struct many){ ring, recs + i * PER_SUBMITTER };
        pthread_create(&th[i], NULL, submit_many, &m[i]);
    }
    int64_t end = w2u_now_ns() + 30000000000LL;
    int total = 0;
    while (total < SUBMITTERS * PER_SUBMITTER && w2u_now_ns() < end) {
        int n = ur_reap(ring, w2u_now_ns() + 100000000, 1024);
        ck_assert_int_ge(n, 0);
        total += n;
    }
    for (int i = 0; i < SUBMITTERS; i++)
        pthread_join(th[i], NULL);
    ck_assert_int_eq(total, SUBMITTERS * PER_SUBMITTER);
    for (int i = 0; i < SUBMITTERS * PER_SUBMITTER; i++)
        ck_assert_int_eq(recs[i].calls, 1);
    free(recs);
    ur_ring_destroy(ring);
}
END_TEST

int main(void)
{
    if (ws2_test_uring_missing())
        return 77;
    Suite *s = suite_create("uring");
    TCase *tc = tcase_create("uring");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_probe_reports_the_minimum_kernel_features);
    tcase_add_test(tc, test_nop_completes_with_callback);
    tcase_add_test(tc, test_reap_times_out_empty);
    tcase_add_test(tc, test_readv_completes_when_data_arrives);
    tcase_add_test(tc, test_cancel_pending_request);
    tcase_add_test(tc, test_cancel_by_fd_cancels_all);
    tcase_add_test(tc, test_post_from_other_thread_wakes_reaper);
    tcase_add_test(tc, test_second_reaper_gets_busy);
    tcase_add_test(tc, test_many_threads_submit_at_once);
    tcase_add_test(tc, test_uring_callback_submissions_flush_when_batch_ends);
    tcase_add_test(tc, test_uring_cancel_finds_request_queued_by_callback);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
