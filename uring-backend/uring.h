/*
 * uring-backend/ — the only code in ws2uring that includes <liburing.h>.
 *
 * Who owns each ring, and which thread may touch it
 * -------------------------------------------------
 * - iocp/ creates every ring: one per completion port (made when the first
 *   io_uring-backed handle is associated with the port) and one default ring
 *   for I/O on handles that have no port.  The creator destroys it, after the
 *   last request on it has completed.
 * - Submission: ANY thread.  Completion-port workers are many threads, so a
 *   ring is never set up SINGLE_ISSUER or DEFER_TASKRUN; each ring's
 *   submission queue is guarded by its own mutex (struct ur_ring.sq_lock).
 * - Reaping: ONE thread at a time per ring, enforced here (ur_reap returns
 *   -EBUSY to a second reaper).  For a port ring that is the port's current
 *   leader waiter (iocp/port.c); for the default ring, the reaper thread that
 *   iocp/ starts for it.  Completion callbacks run on the reaping thread.
 * - Posting (ur_post): ANY thread.  It puts a CQE into a ring through
 *   IORING_OP_MSG_RING sent from one process-wide sender ring (itself guarded
 *   by a mutex), or, on kernels without MSG_RING, a NOP into the target.
 *   That is how a thread wakes a reaper blocked in io_uring_enter.
 * - The probe ring made at start-up is used for the feature probe only.
 *
 * Requests: user_data always points at a struct ur_req that the caller
 * embeds in its own request object; never at a program's OVERLAPPED.  The
 * caller frees its request only after the callback for its last CQE (for a
 * cancelled operation that is the victim's CQE: the cancel's own CQE is
 * consumed here).  CQEs with user_data 0 are internal and skipped.
 *
 * Errors are -errno.  When io_uring cannot be used (kernel.io_uring_disabled,
 * a seccomp profile, an old kernel, missing features) ur_init() says why in
 * one line on stderr, once, and every ring creation fails with that -errno.
 */
#ifndef W2U_URING_H
#define W2U_URING_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

struct ur_ring;
struct ur_req;

/* res is the CQE result (-errno on failure); flags are UR_CQE_* below. */
typedef void (*ur_callback)(struct ur_req *req, int res, uint32_t flags);

struct ur_req {
    ur_callback cb;
    /* Released at each submission, acquired before each callback: what
     * the submitter wrote before ur_* is visible to the callback on the
     * reaper's thread.  The kernel orders the two already, but through a
     * system call that ThreadSanitizer cannot see; this pair is the edge
     * it can (plain moves on x86). */
    _Atomic unsigned submitted;
};

#define UR_CQE_MORE  1u    /* more CQEs will come for this request (multishot) */

struct ur_caps {
    bool available;
    int error;                   /* -errno when not available */
    unsigned features;           /* io_uring_params.features */
    unsigned nr_ops;             /* opcodes the kernel knows */
    bool msg_ring;               /* IORING_OP_MSG_RING (5.18) */
    bool cancel_fd_all;          /* IORING_ASYNC_CANCEL_FD | ALL (5.19) */
    bool sync_cancel;            /* IORING_REGISTER_SYNC_CANCEL (6.0) */
    bool accept_multishot;       /* 5.19 */
    bool recv_multishot;         /* 6.0 */
    bool send_zc;                /* IORING_OP_SEND_ZC (6.0) */
    bool socket_op;              /* IORING_OP_SOCKET (5.19) */
    char kernel[65];             /* uname release */
};

/* Probes once (thread-safe). 0, or the -errno that makes io_uring unusable. */
int ur_init(void);
const struct ur_caps *ur_get_caps(void);

int ur_ring_create(struct ur_ring **out, unsigned entries);
void ur_ring_destroy(struct ur_ring *ring);
/* Requests submitted and not yet completed (their last CQE not reaped). */
unsigned ur_ring_inflight(struct ur_ring *ring);
/* Of those, how many completion callbacks queued on this ring and the
 * reaper has not yet handed to the kernel: it does so, with one system
 * call, before ur_reap returns (and a cancel does first).  0 when
 * WS2URING_DISABLE=batch makes every submission immediate. */
unsigned ur_ring_queued(struct ur_ring *ring);

/* ---- submission: any thread; each call submits at once, except from a
 * completion callback to the ring being reaped (see ur_ring_queued) ----- */
int ur_nop(struct ur_ring *ring, struct ur_req *req);
int ur_poll(struct ur_ring *ring, struct ur_req *req, int fd, unsigned events);
int ur_readv(struct ur_ring *ring, struct ur_req *req, int fd,
             const struct iovec *iov, unsigned nr, uint64_t offset);
/* msg (and what it points to) must stay valid until the request's CQE. */
struct msghdr;
int ur_recvmsg(struct ur_ring *ring, struct ur_req *req, int fd, struct msghdr *msg, unsigned flags);
int ur_sendmsg(struct ur_ring *ring, struct ur_req *req, int fd, const struct msghdr *msg,
               unsigned flags);
/* addr/addrlen (accept) and addr (connect) must stay valid until the CQE. */
struct sockaddr;
int ur_accept(struct ur_ring *ring, struct ur_req *req, int fd, struct sockaddr *addr,
              unsigned *addrlen, unsigned flags);
int ur_connect(struct ur_ring *ring, struct ur_req *req, int fd, const struct sockaddr *addr,
               unsigned addrlen);

/* Between ur_hold and ur_release this thread's submissions to ring are
 * queued without a system call, and ur_release submits them (or leaves
 * them to the end of the batch when this thread is reaping ring).  For a
 * caller that must submit under its own lock: the lock then covers the
 * queueing, not the io_uring_enter.  A cancel submits queued requests
 * before it looks for its target, so it cannot miss one. */
void ur_hold(struct ur_ring *ring);
void ur_release(struct ur_ring *ring);

/* Cancels the request req; its own CQE then arrives with -ECANCELED (or its
 * real result if it finished first).  0 or -errno (-ENOENT: not in flight). */
int ur_cancel(struct ur_ring *ring, struct ur_req *req);
/* Cancels every request on fd and returns once their CQEs are posted:
 * the number cancelled (>= 0) or -errno. */
int ur_cancel_fd(struct ur_ring *ring, int fd);

/* Any thread: makes req's callback run on ring's reaper with res 0.
 * req == NULL only wakes the reaper. */
int ur_post(struct ur_ring *ring, struct ur_req *req);

/* ---- reaping: one thread at a time per ring ---------------------------------
 * Waits until at least one CQE is there or the deadline (CLOCK_MONOTONIC ns,
 * W2U_FOREVER, or 0 for no wait) passes, then runs the callbacks of up to max
 * CQEs.  Returns the number of CQEs consumed (internal ones included; 0 on
 * timeout or a signal), -EBUSY when another thread is reaping this ring, or
 * -errno. */
int ur_reap(struct ur_ring *ring, int64_t deadline, unsigned max);

#endif
