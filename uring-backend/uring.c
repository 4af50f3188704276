/* io_uring rings, probe, submission, reaping, cancellation and posting.
 * Ownership and threading rules: see uring.h. */
#include <errno.h>
#include <liburing.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "../common/w2u.h"
#include "uring.h"

struct ur_ring {
    struct io_uring ring;
    pthread_mutex_t sq_lock;       /* submission queue: any thread, one at a time */
    pthread_mutex_t cq_lock;       /* completion queue: one reaper at a time */
    _Atomic unsigned inflight;
    _Atomic unsigned deferred;     /* SQEs queued by the reaper, not yet submitted */
};

/* The ring whose completion callbacks this thread is running.  What those
 * callbacks submit to that ring (the next step of a transmit, the rest of a
 * send) is only queued, and the reaper submits it all with one system call
 * when its batch is done: batching without delaying anything, since the
 * reaper flushes before it returns.  WS2URING_DISABLE=batch turns it off,
 * so the benchmarks can compare both in one run. */
static _Thread_local struct ur_ring *reaping_ring;
/* The ring this thread holds (ur_hold): its submissions there are queued
 * whatever WS2URING_DISABLE says, since that is about lock scope. */
static _Thread_local struct ur_ring *held_ring;
static bool batching = true;
static pthread_once_t batching_once = PTHREAD_ONCE_INIT;

static void batching_read(void)
{
    batching = !w2u_disabled("batch");
}

/* Generous CQ: completions of many sockets pile up between two reaps. */
#define CQ_FACTOR 4u

static struct ur_caps caps;
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;

static struct ur_ring *sender;     /* MSG_RING source, shared by all posters */
static pthread_once_t sender_once = PTHREAD_ONCE_INIT;
static int sender_error;

static const char *disabled_hint(void)
{
    FILE *f = fopen("/proc/sys/kernel/io_uring_disabled", "r");
    int v = 0;
    if (f) {
        if (fscanf(f, "%d", &v) != 1)
            v = 0;
        fclose(f);
    }
    if (v == 2)
        return "sysctl kernel.io_uring_disabled=2 forbids it";
    if (v == 1)
        return "sysctl kernel.io_uring_disabled=1 allows it only to a group this process is not in";
    return "a seccomp profile (containers) or the kernel forbids it";
}

static void probe_features(struct io_uring *ring)
{
    struct io_uring_probe *p = io_uring_get_probe_ring(ring);
    if (p) {
        caps.nr_ops = p->last_op + 1u;
        caps.msg_ring = io_uring_opcode_supported(p, IORING_OP_MSG_RING);
        caps.send_zc = io_uring_opcode_supported(p, IORING_OP_SEND_ZC);
        caps.socket_op = io_uring_opcode_supported(p, IORING_OP_SOCKET);
        io_uring_free_probe(p);
    }

    /* Flags are not in the opcode probe: ask the kernel.  A cancel of ALL
     * that finds nothing answers with a count of 0 (or -ENOENT) where the
     * flags are known, -EINVAL where they are not. */
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    struct io_uring_cqe *cqe;
    io_uring_prep_cancel_fd(sqe, 0, IORING_ASYNC_CANCEL_ALL);
    if (io_uring_submit_and_wait(ring, 1) == 1 && io_uring_peek_cqe(ring, &cqe) == 0) {
        caps.cancel_fd_all = cqe->res >= 0 || cqe->res == -ENOENT;
        io_uring_cqe_seen(ring, cqe);
    }
    struct io_uring_sync_cancel_reg reg;
    memset(&reg, 0, sizeof(reg));
    reg.fd = 0;
    reg.flags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL;
    reg.timeout.tv_sec = -1;
    reg.timeout.tv_nsec = -1;
    int r = io_uring_register_sync_cancel(ring, &reg);
    caps.sync_cancel = r >= 0 || r == -ENOENT;
    /* Multishot accept and recv arrived with 5.19 and 6.0, as did the sync
     * cancel: their presence follows from it. */
    caps.accept_multishot = caps.cancel_fd_all;
    caps.recv_multishot = caps.sync_cancel;
}

static void probe(void)
{
    struct utsname u;
    struct io_uring ring;
    struct io_uring_params p;

    if (uname(&u) == 0)
        snprintf(caps.kernel, sizeof(caps.kernel), "%s", u.release);

    memset(&p, 0, sizeof(p));
    int r = io_uring_queue_init_params(4, &ring, &p);
    if (r < 0) {
        caps.error = r;
        if (r == -ENOSYS)
            w2u_log("io_uring is unavailable: kernel %s has no io_uring (needs Linux 5.19 or later); "
                    "overlapped I/O will fail", caps.kernel);
        else
            w2u_log("io_uring is unavailable: io_uring_setup failed (%s): %s; overlapped I/O will fail",
                    strerror(-r), disabled_hint());
        return;
    }
    caps.features = p.features;
    const unsigned need = IORING_FEAT_NODROP | IORING_FEAT_EXT_ARG;
    if ((p.features & need) != need) {
        caps.error = -ENOSYS;
        w2u_log("io_uring is unavailable: kernel %s lacks NODROP/EXT_ARG (needs Linux 5.19 or later); "
                "overlapped I/O will fail", caps.kernel);
        io_uring_queue_exit(&ring);
        return;
    }
    probe_features(&ring);
    io_uring_queue_exit(&ring);
    caps.available = true;
    W2U_DEBUG("io_uring: kernel %s, features 0x%x, %u opcodes, msg_ring %d, cancel fd+all %d, "
              "sync cancel %d, multishot accept %d, multishot recv %d, send_zc %d, socket %d",
              caps.kernel, caps.features, caps.nr_ops, caps.msg_ring, caps.cancel_fd_all,
              caps.sync_cancel, caps.accept_multishot, caps.recv_multishot, caps.send_zc,
              caps.socket_op);
}

int ur_init(void)
{
    pthread_once(&probe_once, probe);
    pthread_once(&batching_once, batching_read);
    return caps.available ? 0 : caps.error;
}

const struct ur_caps *ur_get_caps(void)
{
    ur_init();
    return &caps;
}

int ur_ring_create(struct ur_ring **out, unsigned entries)
{
    int r = ur_init();
    *out = NULL;
    if (r < 0)
        return r;

    struct ur_ring *ring = calloc(1, sizeof(*ring));
    if (!ring)
        return -ENOMEM;
    struct io_uring_params p;
    memset(&p, 0, sizeof(p));
    p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
    p.cq_entries = entries * CQ_FACTOR;
    r = io_uring_queue_init_params(entries, &ring->ring, &p);
    if (r < 0) {
        free(ring);
        return r;
    }
    pthread_mutex_init(&ring->sq_lock, NULL);
    pthread_mutex_init(&ring->cq_lock, NULL);
    *out = ring;
    return 0;
}

void ur_ring_destroy(struct ur_ring *ring)
{
    if (!ring)
        return;
    io_uring_queue_exit(&ring->ring);
    pthread_mutex_destroy(&ring->sq_lock);
    pthread_mutex_destroy(&ring->cq_lock);
    free(ring);
}

unsigned ur_ring_inflight(struct ur_ring *ring)
{
    /* seq_cst: iocp pairs this with its waiters' announcement (see
     * iocp_port_submitted). */
    return atomic_load_explicit(&ring->inflight, memory_order_seq_cst);
}

unsigned ur_ring_queued(struct ur_ring *ring)
{
    return atomic_load_explicit(&ring->deferred, memory_order_relaxed);
}

/* ---- submission ----------------------------------------------------------- */

/* With sq_lock held: a free SQE, flushing the queue once if it is full. */
static struct io_uring_sqe *sqe_get(struct ur_ring *ring)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring->ring);
    if (!sqe) {
        io_uring_submit(&ring->ring);
        sqe = io_uring_get_sqe(&ring->ring);
    }
    return sqe;
}

/* With sq_lock held: submits what is queued. On failure the kernel has not
 * read the SQE, so it is turned into an internal NOP: submitted later, it
 * can never complete the caller's request a second time. */
static int sq_submit(struct ur_ring *ring, struct io_uring_sqe *sqe)
{
    int r;
    for (int tries = 0; tries < 100; tries++) {
        r = io_uring_submit(&ring->ring);
        if (r >= 0) {
            /* Whatever the reaper had queued went in with it. */
            atomic_store_explicit(&ring->deferred, 0, memory_order_relaxed);
            return 0;
        }
        if (r != -EINTR && r != -EAGAIN && r != -EBUSY)
            break;
        sched_yield();
    }
    io_uring_prep_nop(sqe);
    io_uring_sqe_set_data64(sqe, 0);
    return r;
}

/* A request's submission in two steps: sqe_begin takes the submission
 * lock and a free SQE (NULL: the queue is full even after a flush, the lock
 * already dropped), the caller fills the SQE, and sqe_end tags it with req,
 * counts req in flight and submits it, or leaves it for the reaper's or
 * holder's flush (every request's arguments live until its CQE, so any may
 * wait), then drops the lock. */
static struct io_uring_sqe *sqe_begin(struct ur_ring *ring)
{
    pthread_mutex_lock(&ring->sq_lock);
    struct io_uring_sqe *sqe = sqe_get(ring);
    if (!sqe)
        pthread_mutex_unlock(&ring->sq_lock);
    return sqe;
}

static int sqe_end(struct ur_ring *ring, struct io_uring_sqe *sqe, struct ur_req *req)
{
    io_uring_sqe_set_data(sqe, req);
    unsigned counted = req != NULL;      /* user_data 0 is internal: nobody waits for it */
    if (req)
        atomic_store_explicit(&req->submitted, 1, memory_order_release);
    atomic_fetch_add_explicit(&ring->inflight, counted, memory_order_seq_cst);
    int r = 0;
    if ((reaping_ring == ring && batching) || held_ring == ring)
        atomic_fetch_add_explicit(&ring->deferred, 1, memory_order_relaxed);
    else
        r = sq_submit(ring, sqe);
    if (r < 0)
        atomic_fetch_sub_explicit(&ring->inflight, counted, memory_order_relaxed);
    pthread_mutex_unlock(&ring->sq_lock);
    return r;
}

int ur_nop(struct ur_ring *ring, struct ur_req *req)
{
    struct io_uring_sqe *sqe = sqe_begin(ring);
    if (!sqe)
        return -EBUSY;
    io_uring_prep_nop(sqe);
    return sqe_end(ring, sqe, req);
}

int ur_poll(struct ur_ring *ring, struct ur_req *req, int fd, unsigned events)
{
    struct io_uring_sqe *sqe = sqe_begin(ring);
    if (!sqe)
        return -EBUSY;
    io_uring_prep_poll_add(sqe, fd, events);
    return sqe_end(ring, sqe, req);
}

int ur_readv(struct ur_ring *ring, struct ur_req *req, int fd,
             const struct iovec *iov, unsigned nr, uint64_t offset)
{
    struct io_uring_sqe *sqe = sqe_begin(ring);
    if (!sqe)
        return -EBUSY;
    io_uring_prep_readv(sqe, fd, iov, nr, offset);
    return sqe_end(ring, sqe, req);
}

int ur_recvmsg(struct ur_ring *ring, struct ur_req *req, int fd, struct msghdr *msg, unsigned flags)
{
    struct io_uring_sqe *sqe = sqe_begin(ring);
    if (!sqe)
        return -EBUSY;
    io_uring_prep_recvmsg(sqe, fd, msg, flags);
    return sqe_end(ring, sqe, req);
}

int ur_sendmsg(struct ur_ring *ring, struct ur_req *req, int fd, const struct msghdr *msg,
               unsigned flags)
{
    struct io_uring_sqe *sqe = sqe_begin(ring);
    if (!sqe)
        return -EBUSY;
    io_uring_prep_sendmsg(sqe, fd, msg, flags);
    return sqe_end(ring, sqe, req);
}

int ur_accept(struct ur_ring *ring, struct ur_req *req, int fd, struct sockaddr *addr,
              unsigned *addrlen, unsigned flags)
{
    struct io_uring_sqe *sqe = sqe_begin(ring);
    if (!sqe)
        return -EBUSY;
    io_uring_prep_accept(sqe, fd, addr, (socklen_t *)addrlen, (int)flags);
    return sqe_end(ring, sqe, req);
}

int ur_connect(struct ur_ring *ring, struct ur_req *req, int fd, const struct sockaddr *addr,
               unsigned addrlen)
{
    struct io_uring_sqe *sqe = sqe_begin(ring);
    if (!sqe)
        return -EBUSY;
    io_uring_prep_connect(sqe, fd, addr, addrlen);
    return sqe_end(ring, sqe, req);
}

/* ---- cancellation ---------------------------------------------------------- */

static int sync_cancel(struct ur_ring *ring, uint64_t addr, int fd, unsigned flags)
{
    struct io_uring_sync_cancel_reg reg;
    memset(&reg, 0, sizeof(reg));
    reg.addr = addr;
    reg.fd = fd;
    reg.flags = flags;
    reg.timeout.tv_sec = -1;     /* wait as long as it takes */
    reg.timeout.tv_nsec = -1;
    int r;
    do
        r = io_uring_register_sync_cancel(&ring->ring, &reg);
    while (r == -EINTR);
    return r;
}

static int async_cancel(struct ur_ring *ring, uint64_t addr, int fd, unsigned flags)
{
    pthread_mutex_lock(&ring->sq_lock);
    struct io_uring_sqe *sqe = sqe_get(ring);
    if (!sqe) {
        pthread_mutex_unlock(&ring->sq_lock);
        return -EBUSY;
    }
    if (flags & IORING_ASYNC_CANCEL_FD)
        io_uring_prep_cancel_fd(sqe, fd, flags & ~IORING_ASYNC_CANCEL_FD);
    else
        io_uring_prep_cancel64(sqe, addr, flags);
    io_uring_sqe_set_data64(sqe, 0);   /* the cancel's own CQE is internal */
    int r = sq_submit(ring, sqe);
    pthread_mutex_unlock(&ring->sq_lock);
    return r;
}

/* The cancels look for requests in the kernel: what a reaper has queued
 * must be there first. */
static void flush_deferred(struct ur_ring *ring);

int ur_cancel(struct ur_ring *ring, struct ur_req *req)
{
    flush_deferred(ring);
    if (caps.sync_cancel)
        return sync_cancel(ring, (uint64_t)(uintptr_t)req, 0, 0);
    return async_cancel(ring, (uint64_t)(uintptr_t)req, 0, 0);
}

int ur_cancel_fd(struct ur_ring *ring, int fd)
{
    const unsigned flags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL;
    if (!caps.cancel_fd_all)
        return -EOPNOTSUPP;
    flush_deferred(ring);
    if (caps.sync_cancel) {
        int r = sync_cancel(ring, 0, fd, flags);
        return r == -ENOENT ? 0 : r;
    }
    return async_cancel(ring, 0, fd, flags);
}

/* ---- posting from any thread ------------------------------------------------- */

static void sender_create(void)
{
    sender_error = ur_ring_create(&sender, 64);
}

int ur_post(struct ur_ring *ring, struct ur_req *req)
{
    int r = ur_init();
    if (r < 0)
        return r;
    if (!caps.msg_ring)     /* a NOP in the ring itself: its CQE (req's, or an untagged one) wakes it */
        return ur_nop(ring, req);

    pthread_once(&sender_once, sender_create);
    if (sender_error < 0)
        return sender_error;
    if (req) {
        atomic_fetch_add_explicit(&ring->inflight, 1, memory_order_relaxed);
        atomic_store_explicit(&req->submitted, 1, memory_order_release);   /* as sqe_end */
    }

    pthread_mutex_lock(&sender->sq_lock);
    struct io_uring_sqe *sqe = sqe_get(sender);
    struct io_uring_cqe *cqe;
    if (!sqe) {
        r = -EBUSY;
    } else {
        io_uring_prep_msg_ring(sqe, ring->ring.ring_fd, 0, (uint64_t)(uintptr_t)req, 0);
        io_uring_sqe_set_data64(sqe, 1);
        /* MSG_RING runs inline at submission, so its own CQE (the result)
         * is there when the submit returns: no second system call. */
        do
            r = io_uring_submit_and_wait(&sender->ring, 1);
        while (r == -EINTR);
        if (r >= 0 && io_uring_peek_cqe(&sender->ring, &cqe) == 0) {
            r = cqe->res < 0 ? cqe->res : 0;
            io_uring_cqe_seen(&sender->ring, cqe);
        } else if (r >= 0) {
            r = -EIO;
        }
    }
    pthread_mutex_unlock(&sender->sq_lock);
    if (r < 0 && req)
        atomic_fetch_sub_explicit(&ring->inflight, 1, memory_order_relaxed);
    return r;
}

/* ---- reaping ------------------------------------------------------------------ */

/* Submits what the reaper queued.  A failure leaves the SQEs queued (the
 * requests stay in flight, nobody was told otherwise) for the next flush. */
static void flush_deferred(struct ur_ring *ring)
{
    if (!atomic_load_explicit(&ring->deferred, memory_order_relaxed))
        return;
    pthread_mutex_lock(&ring->sq_lock);
    if (atomic_load_explicit(&ring->deferred, memory_order_relaxed)) {
        int r;
        int tries = 0;
        while ((r = io_uring_submit(&ring->ring)) < 0 && tries++ < 100 &&
               (r == -EINTR || r == -EAGAIN || r == -EBUSY))
            sched_yield();
        if (r >= 0)
            atomic_store_explicit(&ring->deferred, 0, memory_order_relaxed);
        else
            w2u_log("io_uring: submitting %u queued requests failed: %s; retrying at the next reap",
                    atomic_load(&ring->deferred), strerror(-r));
    }
    pthread_mutex_unlock(&ring->sq_lock);
}

void ur_hold(struct ur_ring *ring)
{
    held_ring = ring;
}

void ur_release(struct ur_ring *ring)
{
    held_ring = NULL;
    if (reaping_ring != ring || !batching)
        flush_deferred(ring);
}

int ur_reap(struct ur_ring *ring, int64_t deadline, unsigned max)
{
    struct io_uring_cqe *cqe;
    int r;

    if (pthread_mutex_trylock(&ring->cq_lock) != 0)
        return -EBUSY;
    flush_deferred(ring);      /* left over from a failed flush */

    if (deadline == W2U_FOREVER) {
        r = io_uring_wait_cqe(&ring->ring, &cqe);
    } else {
        int64_t left = deadline - w2u_now_ns();
        if (deadline == 0 || left <= 0) {
            r = io_uring_peek_cqe(&ring->ring, &cqe);
        } else {
            struct __kernel_timespec ts = { .tv_sec = left / 1000000000,
                                            .tv_nsec = left % 1000000000 };
            r = io_uring_wait_cqe_timeout(&ring->ring, &cqe, &ts);
        }
    }
    if (r < 0) {
        pthread_mutex_unlock(&ring->cq_lock);
        return (r == -ETIME || r == -EAGAIN || r == -EINTR) ? 0 : r;
    }

    /* A callback may reap another ring (a port's drain): keep the outer one. */
    struct ur_ring *outer = reaping_ring;
    reaping_ring = ring;
    unsigned n = 0;
    while (n < max && io_uring_peek_cqe(&ring->ring, &cqe) == 0) {
        uint64_t data = cqe->user_data;
        int res = cqe->res;
        unsigned flags = cqe->flags;
        io_uring_cqe_seen(&ring->ring, cqe);
        n++;
        if (!data)
            continue;
        struct ur_req *req = (struct ur_req *)(uintptr_t)data;
        (void)atomic_load_explicit(&req->submitted, memory_order_acquire);
        bool more = flags & IORING_CQE_F_MORE;
        if (!more)
            atomic_fetch_sub_explicit(&ring->inflight, 1, memory_order_release);
        req->cb(req, res, more ? UR_CQE_MORE : 0);
    }
    reaping_ring = outer;
    flush_deferred(ring);
    pthread_mutex_unlock(&ring->cq_lock);
    return (int)n;
}
