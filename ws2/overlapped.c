/* Overlapped receives and sends on io_uring.
 *
 * Each socket keeps two FIFOs of requests, receives and sends, with at most
 * one request of each in the ring at a time: Windows completes a stream
 * socket's overlapped operations in the order they were posted, and a send
 * in full, while separate io_uring requests on one socket carry no order
 * once they go async (and a partial send must be finished before the next
 * one starts).  The next request is submitted from the previous one's
 * completion.
 *
 * Rings: a socket associated with a port uses the port's ring (reaped by
 * its waiters); any other socket uses the default ring (reaped by its own
 * thread).  A send is tried at once when nothing is queued before it, which
 * is cheaper than a ring round trip and usually completes it.
 *
 * Every request is released exactly once: after iocp_complete has passed it
 * to the sinks (port packet dequeued, APC run, or nothing more to do). */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <unistd.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../uring-backend/uring.h"
#include "ws2_private.h"
#include "overlapped_private.h"

/* ---- each kind's operations ------------------------------------------------------------------- */

static void recv_done(struct ur_req *ur, int res, uint32_t flags);
static void send_done(struct ur_req *ur, int res, uint32_t flags);
static int put_io(struct ov_req *r, struct ur_ring *ring);
static int put_accept(struct ov_req *r, struct ur_ring *ring);
static int put_connect(struct ov_req *r, struct ur_ring *ring);
static int put_transmit(struct ov_req *r, struct ur_ring *ring);

static void reenable_read(struct ws2_socket *s)
{
    ws2_es_reenable(s, W2U_FD_READ);
}

static void reenable_write(struct ws2_socket *s)
{
    ws2_es_reenable(s, W2U_FD_WRITE);
}

/* The kinds' operations, one row each (the shape of the kernel's
 * io_uring/opdef.c): the socket queue a request waits in and whether that
 * queue runs one at a time (receives and sends are FIFOs; accepts and
 * connects carry no order and all run at once); how a queued one starts
 * when it becomes its queue's head (0, -errno, or 1: it ended at once,
 * successfully, with io.done bytes), how its current step goes into the
 * ring and what ends each step (NULL: it never enters the ring); whether a
 * started one takes incoming data (a connection) from WSAEventSelect
 * (ws2_es_sync_locked); what WSAEventSelect re-enables once it ended; and
 * what of its own part it releases.  (Each kind's request is prepared by
 * its own call, from that call's own arguments.) */
enum ov_queue { Q_RECVS, Q_SENDS, Q_OTHERS };
static const struct ov_kind_ops {
    enum ov_queue queue;
    bool serialized, takes_incoming;
    int (*start)(struct ov_req *r);
    int (*put)(struct ov_req *r, struct ur_ring *ring);
    ur_callback done;
    void (*ended)(struct ws2_socket *s);
    void (*release)(struct ov_req *r);
} ov_kinds[OV_KINDS] = {
    [OV_RECV]       = { .queue = Q_RECVS, .serialized = true, .takes_incoming = true, .start = ov_submit,
                        .put = put_io, .done = recv_done, .ended = reenable_read },
    [OV_SEND]       = { .queue = Q_SENDS, .serialized = true, .start = ov_submit, .put = put_io,
                        .done = send_done, .ended = reenable_write },
    [OV_TRANSMIT]   = { .queue = Q_SENDS, .serialized = true, .start = ov_transmit_start, .put = put_transmit,
                        .done = ov_transmit_done, .ended = reenable_write, .release = ov_transmit_release },
    [OV_ACCEPT]     = { .queue = Q_OTHERS, .takes_incoming = true, .start = ov_submit, .put = put_accept,
                        .done = ov_accept_done,
                        .ended = ws2_es_state_changed,    /* connections are FD_ACCEPT's again */
                        .release = ov_accept_release },
    [OV_CONNECT]    = { .queue = Q_OTHERS, .start = ov_submit, .put = put_connect, .done = ov_connect_done,
                        .release = ov_connect_release },
    [OV_DISCONNECT] = { .queue = Q_OTHERS },
    [OV_NOW]        = { .queue = Q_OTHERS },
    [OV_PARKED]     = { .queue = Q_OTHERS },
};

/* ---- release and completion -------------------------------------------------------------- */

void ov_req_free(struct ov_req *r)
{
    if (atomic_fetch_sub(&r->refs, 1) != 1)
        return;
    if (ov_kinds[r->kind].release)
        ov_kinds[r->kind].release(r);
    free(r->io.flat);
    if (r->c.apc_thread)
        iocp_thread_unref(r->c.apc_thread);
    ws2_socket_put(r->sock);
    free(r);
}

void ov_req_release(struct iocp_packet *p)
{
    ov_req_free(W2U_CONTAINER_OF(p, struct ov_req, c.packet));
}

static void run_routine(struct iocp_apc *apc)
{
    struct ov_req *r = W2U_CONTAINER_OF(apc, struct ov_req, c.apc);
    r->routine(w2u_status_to_wsa(r->c.packet.status), (uint32_t)r->c.packet.information,
               r->c.ov, 0);
    ov_req_free(r);
}

static void drop_routine(struct iocp_apc *apc)
{
    ov_req_free(W2U_CONTAINER_OF(apc, struct ov_req, c.apc));
}

static bool serialized(const struct ov_req *r)
{
    return ov_kinds[r->kind].serialized;
}

struct ws2_queue *ov_queue_of(struct ws2_socket *s, const struct ov_req *r)
{
    switch (ov_kinds[r->kind].queue) {
    case Q_RECVS:
        return &s->ov_recvs;
    case Q_SENDS:
        return &s->ov_sends;
    default:
        return &s->ov_others;
    }
}

/* From here on the operation exists for Windows: it is pending, and its
 * event (if any) is reset, as Windows' I/O manager resets it when an
 * operation starts (a program may reuse a signalled event). */
void ov_mark_pending(struct ws2_socket *s, struct iocp_overlapped *ov)
{
    iocp_binding_io_start(&s->binding);
    uintptr_t event = ov->event & ~(uintptr_t)1;
    if (event)
        iocp_clear_event(event);
    /* InternalHigh stays as it was until the end, as on Windows. */
    atomic_store_explicit(&ov->internal, W2U_STATUS_PENDING, memory_order_relaxed);
}

unsigned ov_cancel_matching(struct ws2_socket *s, const void *ov, uint32_t thread_id);

/* A started request ends once: its delivery moves end from END_RUNNING to
 * END_DELIVERED, or, when a canceller got there first (END_AWAITED, counted
 * in the socket's cancel_waits), takes its count off and wakes the
 * canceller when none is left (await_cancelled). */
enum { END_RUNNING, END_DELIVERED, END_AWAITED };

static void cancel_wait_done(struct ws2_socket *s)
{
    if (atomic_fetch_sub_explicit(&s->cancel_waits, 1, memory_order_release) == 1)
        w2u_futex_wake(&s->cancel_waits, INT_MAX);
}

/* A request of kind on s (whose reference it takes) for ov, with extra
 * bytes after it (ctl); NULL when out of memory. */
struct ov_req *ov_request_new(struct ws2_socket *s, enum ov_kind kind, struct iocp_overlapped *ov, size_t extra)
{
    struct ov_req *q = calloc(1, sizeof(*q) + extra);
    if (!q)
        return NULL;
    atomic_init(&q->refs, 1);
    q->sock = s;
    q->kind = kind;
    q->ur.cb = ov_kinds[kind].done;
    q->io.iov = q->io.iov_inline;
    q->c.binding = &s->binding;
    q->c.ov = ov;
    q->c.packet.release = ov_req_release;
    q->thread_id = w2u_thread_id();
    return q;
}

/* Hands r's completion to the sinks (iocp_complete), and its completion
 * routine to the host when a host runs routines; then drops the caller's
 * reference.  The packet may free r meanwhile, hence the reference held
 * across (r->sock lives as long as r). */
void ov_deliver(struct ov_req *r, uint32_t status, uintptr_t bytes, bool synchronous)
{
    atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
    iocp_complete(&r->c, status, bytes, synchronous);
    if (r->c.routine_elsewhere && r->nt_apc)
        w2u_host()->nt_apc(r->host_thread, r->nt_apc, r->nt_apc_context, r->c.nt_iosb);
    else if (r->c.routine_elsewhere)
        w2u_host()->apc(r->host_thread, (void *)r->routine, r->c.ov, w2u_status_to_wsa(status), bytes);
    if (atomic_exchange_explicit(&r->end, END_DELIVERED, memory_order_acq_rel) == END_AWAITED)
        cancel_wait_done(r->sock);
    ov_req_free(r);
}

/* The completion routine of r: natively an APC to the calling thread;
 * under a host (Wine) the host's APC on the thread it named (see
 * deliver). */
void ov_set_routine(struct ov_req *q, w2u_completion_routine routine)
{
    if (!routine)
        return;
    q->routine = routine;
    if (w2u_host()->apc) {
        q->host_thread = ws2_host_thread;
        q->c.routine_elsewhere = true;
        return;
    }
    q->c.apc_thread = iocp_thread_self();
    iocp_thread_ref(q->c.apc_thread);
    q->c.apc.fn = run_routine;
    q->c.apc.drop = drop_routine;
}

/* An NT request's own completion (see ws2_nt_target): its status block
 * and port value, its event on a private OVERLAPPED (the low bit: no
 * packet, when there is an APC or no value), its APC through the host. */
static void set_nt_target(struct ov_req *q, const struct ws2_nt_target *nt)
{
    q->shadow.event = (nt->event & ~(uintptr_t)3) | (nt->apc || !nt->apc_context ? 1 : 0);
    q->c.ov = &q->shadow;
    q->c.nt_iosb = nt->iosb;
    q->c.nt_value = nt->apc_context;
    if (nt->apc) {
        q->nt_apc = nt->apc;
        q->nt_apc_context = nt->apc_context;
        q->host_thread = ws2_host_thread;
        q->c.routine_elsewhere = true;
    }
}

/* The identity CancelIoEx matches: the OVERLAPPED, or the status block. */
static const void *req_identity(const struct ov_req *r)
{
    return r->c.nt_iosb ? r->c.nt_iosb : (const void *)r->c.ov;
}

/* The head of a queue finished: unlink it and deliver it.  Returns the
 * request that is now its queue's head and is to start (marked started),
 * or NULL. */
static struct ov_req *finish_one(struct ov_req *r, uint32_t status, uintptr_t bytes, bool synchronous)
{
    struct ws2_socket *s = r->sock;
    struct ov_req *next;

    pthread_mutex_lock(&s->lock);
    struct ws2_queue *q = ov_queue_of(s, r);
    ws2_queue_unlink(&r->link);
    next = serialized(r) ? ov_of(ws2_queue_first(q)) : NULL;
    if (next && next->started)
        next = NULL;               /* already running */
    else if (next)
        next->started = true;
    pthread_mutex_unlock(&s->lock);

    if (ov_kinds[r->kind].ended)
        ov_kinds[r->kind].ended(s);
    ov_deliver(r, status, bytes, synchronous);
    return next;
}

/* Starts next, the new head of its queue.  One that cannot start
 * completes with the error, and one that ends at once (a transmit with
 * nothing to send) with success; either hands the queue on to its own
 * successor: a loop, so a long queue of failing requests is no deep
 * recursion. */
static void hand_on(struct ov_req *next)
{
    while (next) {
        int (*start)(struct ov_req *) = ov_kinds[next->kind].start;
        int e = start ? start(next) : -EINVAL;
        if (e == 0)
            return;
        next = finish_one(next, e == 1 ? W2U_STATUS_SUCCESS : w2u_errno_to_status(-e), e == 1 ? next->io.done : 0,
                          false);
    }
}

void ov_finish(struct ov_req *r, uint32_t status, uintptr_t bytes, bool synchronous)
{
    hand_on(finish_one(r, status, bytes, synchronous));
}

static uint32_t recv_status(struct ov_req *r, int res)
{
    res = ws2_sticky_reset(r->sock, res, r->io.want);
    if (res < 0)
        return w2u_errno_to_status(-res);
    if (r->sock->type != SOCK_STREAM && (r->io.msg.msg_flags & MSG_TRUNC))
        return W2U_STATUS_BUFFER_OVERFLOW;     /* WSAEMSGSIZE, as Windows */
    return W2U_STATUS_SUCCESS;
}

/* A receive's result for Windows: its status, with the sender's address
 * and the control data written out.  A stream receive that filled its
 * buffers leaves more data behind as a rule: the next one tries at once. */
static uint32_t recv_outcome(struct ov_req *r, int res)
{
    uint32_t status = recv_status(r, res);
    if (res >= 0 && r->io.flat && !ws2_iov_scatter(r->io.iov, r->io.nbufs, r->io.flat, (size_t)res))
        return W2U_STATUS_ACCESS_VIOLATION;
    if (res >= 0 && r->io.from && r->io.fromlen)
        ws2_addr_from_linux(&r->io.addr, r->io.msg.msg_namelen, r->io.from, r->io.fromlen);
    if (res >= 0 && r->io.uflags) {
        *r->io.uflags = ws2_cmsg_to_windows(&r->io.msg, r->io.uctl, r->io.uctl_len, r->io.uctl_out);
        if (*r->io.uflags & W2U_MSG_CTRUNC)
            status = W2U_STATUS_BUFFER_OVERFLOW;   /* control data cut: WSAEMSGSIZE */
    }
    if (r->sock->type == SOCK_STREAM)
        atomic_store_explicit(&r->sock->recv_ready, res > 0 && (size_t)res == r->io.want,
                              memory_order_relaxed);
    return status;
}

/* A receive the kernel failed with EFAULT on memory the program may write
 * (under Wine, a MEM_WRITE_WATCH page that GetWriteWatch's reset
 * protected again after the call probed it): the data is still queued
 * (a stream's) and is taken now through a bounce buffer, which the host
 * writes as Windows' kernel would; if it went meanwhile, the receive waits
 * again (a few times, so no race can loop forever). */
bool ov_retry_after_fault(struct ov_req *r, int *res)
{
    if (*res != -EFAULT || !w2u_host()->kernel_write || r->fault_retries >= 4)
        return false;
    r->fault_retries++;
    int fd = r->kind == OV_ACCEPT ? r->acc.peer->fd : r->sock->fd;     /* AcceptEx's first data */
    ssize_t n = ws2_recvmsg_bounced(fd, &r->io.msg, (r->io.msg.msg_flags & MSG_PEEK) | MSG_DONTWAIT);
    if (n >= 0 || errno != EAGAIN) {
        *res = n >= 0 ? (int)n : -errno;
        return false;
    }
    int e = ov_submit(r);
    if (e == 0)
        return true;
    *res = e;               /* cancelled meanwhile, say: that is the outcome */
    return false;
}

/* A request the kernel ended without doing it goes again from here:
 * - -EAGAIN: ws2uring's descriptors are O_NONBLOCK (its synchronous calls
 *   rely on it), and when io_uring hands a send or receive that already
 *   waited for readiness once to a worker thread (a partial send whose
 *   rest cannot go at once, under load), the worker issues a plain call
 *   that fails as a non-blocking one does.  An overlapped operation never
 *   would-blocks on Windows; a new submission waits for readiness again.
 *   (Not a connect: there it means no local port is free.)
 * - -ECANCELED nobody asked for (no CancelIo, no closesocket): io_uring
 *   cancels the requests a thread submitted when that thread exits, and
 *   Windows (since Vista) lets I/O run on after its thread ended; this
 *   thread is alive.  Bounded, so a ring that cancels for another reason
 *   cannot loop forever. */
bool ov_resubmit_unfinished(struct ov_req *r, int *res)
{
    if (*res == -EAGAIN && !(r->kind == OV_CONNECT && r->phase == 0)) {
        int e = ov_submit(r);
        *res = e ? e : *res;      /* -ECANCELED if a cancel came meanwhile */
        return e == 0;
    }
    if (*res != -ECANCELED || atomic_load(&r->cancelled) || atomic_load(&r->sock->closing) ||
        r->orphan_retries >= 8)
        return false;
    r->orphan_retries++;
    return ov_submit(r) == 0;
}

static void recv_done(struct ur_req *ur, int res, uint32_t flags)
{
    struct ov_req *r = W2U_CONTAINER_OF(ur, struct ov_req, ur);
    (void)flags;
    if (ov_resubmit_unfinished(r, &res))
        return;
    if (ov_retry_after_fault(r, &res))
        return;
    if (r->io.poll_only) {
        /* A zero-byte receive: readable now, nothing read. */
        ov_finish(r, res < 0 ? w2u_errno_to_status(-res) : W2U_STATUS_SUCCESS, 0, false);
        return;
    }
    ov_finish(r, recv_outcome(r, res), res < 0 ? 0 : (uintptr_t)res, false);
}

/* A send step moved n bytes: true when its buffers are all sent; else
 * the message now covers what is left, ready to submit again. */
bool ov_sent_all(struct ov_req *r, size_t n)
{
    r->io.done += n;
    ws2_iov_advance(&r->io.pos, &r->io.left, n);
    r->io.msg.msg_iov = r->io.pos;
    r->io.msg.msg_iovlen = ws2_iov_step(r->io.left);
    return !r->io.left;
}

/* The start of a send step's callback (a send's, a transmit's): true when
 * the step ended there, resubmitted (see ov_resubmit_unfinished) or failed
 * (the request finished with its error and the bytes sent so far). */
bool ov_step_ended(struct ov_req *r, int *res)
{
    if (ov_resubmit_unfinished(r, res))
        return true;
    if (*res < 0) {
        ov_finish(r, w2u_errno_to_status(-*res), r->io.done, false);
        return true;
    }
    return false;
}

static void send_done(struct ur_req *ur, int res, uint32_t flags)
{
    struct ov_req *r = W2U_CONTAINER_OF(ur, struct ov_req, ur);
    (void)flags;
    if (ov_step_ended(r, &res))
        return;
    /* A stream send completes in full: send what is left, unless a cancel
     * came in meanwhile.  A datagram is one message, sent or not. */
    if (ov_sent_all(r, (size_t)res) || r->sock->type != SOCK_STREAM) {
        ov_finish(r, W2U_STATUS_SUCCESS, r->io.done, false);
        return;
    }
    int e = ov_submit(r);
    if (e < 0)
        ov_finish(r, w2u_errno_to_status(-e), r->io.done, false);
}

/* ---- submission ------------------------------------------------------------------------------- */

/* Which ring serves r (iocp's policy): a request with an event or a
 * completion routine is waited for elsewhere than on the port. */
static struct ur_ring *ring_for(struct ov_req *r, struct iocp_port **port, uint32_t *status)
{
    bool waited_elsewhere = r->routine || (r->c.ov->event & ~(uintptr_t)1);
    return iocp_binding_ring(&r->sock->binding, waited_elsewhere, port, status);
}

/* WS2URING_TEST_DONTWAIT=N (for tests): every Nth send or receive put in
 * the ring carries MSG_DONTWAIT, so that the kernel ends it with -EAGAIN
 * when the socket is not ready, as io_uring's worker threads do under load
 * (resubmit_unfinished); read once per process. */
static unsigned dontwait_every;
static atomic_uint dontwait_count;
static pthread_once_t dontwait_once = PTHREAD_ONCE_INIT;

static void dontwait_read(void)
{
    const char *v = getenv("WS2URING_TEST_DONTWAIT");
    dontwait_every = v ? (unsigned)strtoul(v, NULL, 10) : 0;
}

static unsigned test_dontwait(void)
{
    pthread_once(&dontwait_once, dontwait_read);
    if (!dontwait_every)
        return 0;
    return atomic_fetch_add_explicit(&dontwait_count, 1, memory_order_relaxed) % dontwait_every ? 0 : MSG_DONTWAIT;
}

/* The put operations (ov_kinds), with the socket locked.  A send or a
 * receive (also a connect's data and a transmit's send steps). */
static int put_io(struct ov_req *r, struct ur_ring *ring)
{
    int fd = r->sock->fd;
    if (r->io.poll_only)
        return ur_poll(ring, &r->ur, fd, POLLIN);
    if (r->io.send)
        return ur_sendmsg(ring, &r->ur, fd, &r->io.msg, (unsigned)r->io.send_flags | MSG_NOSIGNAL | test_dontwait());
    return ur_recvmsg(ring, &r->ur, fd, &r->io.msg, (unsigned)r->io.msg.msg_flags | test_dontwait());
}

/* AcceptEx: the connection (only waited for, left queued, when the
 * address space is too small), then the first data on the accepted one. */
static int put_accept(struct ov_req *r, struct ur_ring *ring)
{
    int fd = r->sock->fd;
    if (r->phase == 1)
        return ur_recvmsg(ring, &r->ur, r->acc.peer->fd, &r->io.msg, 0);
    if (r->acc.too_small)
        return ur_poll(ring, &r->ur, fd, POLLIN);
    return ur_accept(ring, &r->ur, fd, (struct sockaddr *)&r->io.addr, &r->io.addrlen, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

/* ConnectEx: the connection, then the data it carries. */
static int put_connect(struct ov_req *r, struct ur_ring *ring)
{
    if (r->phase == 0)
        return ur_connect(ring, &r->ur, r->sock->fd, (struct sockaddr *)&r->io.addr, r->io.addrlen);
    return put_io(r, ring);
}

/* TransmitFile/TransmitPackets: a file part's read, or a send step. */
static int put_transmit(struct ov_req *r, struct ur_ring *ring)
{
    if (r->phase == 1)
        return ur_readv(ring, &r->ur, r->tx.parts[r->tx.part].fd, &r->tx.fiov, 1, r->tx.parts[r->tx.part].off);
    return put_io(r, ring);
}

/* With the socket locked: puts r into its ring. */
static int put_in_ring(struct ov_req *r, struct ur_ring *ring, struct iocp_port *port)
{
    r->ring = ring;
    r->port = port;
    int (*put)(struct ov_req *, struct ur_ring *) = ov_kinds[r->kind].put;
    return put ? put(r, ring) : -EINVAL;
}

/* Puts r (the head of its queue) into the ring: 0 or -errno (-ECANCELED
 * once a cancel has marked it).  The mark is read under the socket lock a
 * cancel takes to set it, so a request is either queued before the
 * cancel looks for it in the ring (which submits what is queued first), or
 * not submitted at all: never put in after its cancel missed it (after a
 * close, on a reused descriptor). */
int ov_submit(struct ov_req *r)
{
    struct ws2_socket *s = r->sock;
    struct iocp_port *port;
    uint32_t status;
    struct ur_ring *ring = ring_for(r, &port, &status);
    if (!ring)
        return -EOPNOTSUPP;
    /* The lock covers queueing the SQE; the system call comes after. */
    ur_hold(ring);
    pthread_mutex_lock(&s->lock);
    int e = atomic_load(&r->cancelled) ? -ECANCELED : put_in_ring(r, ring, port);
    pthread_mutex_unlock(&s->lock);
    ur_release(ring);
    if (e == 0 && port)
        iocp_port_submitted(port);
    return e;
}

static bool inline_recv = true;
static pthread_once_t inline_recv_once = PTHREAD_ONCE_INIT;

static void inline_recv_read(void)
{
    inline_recv = !w2u_disabled("inline-recv");
}

/* A stream receive at the head of its queue, when the last one filled its
 * buffers (data is probably waiting), on a socket in non-blocking mode
 * (a program that mixes the two polls for readiness first, and expects the
 * receive to complete at once when data is there), or on one that skips
 * the port on success (the program asked for immediate completions, as
 * Go's runtime does, and reads again at once after each): one non-blocking
 * recvmsg instead of a trip through the ring, as Windows completes a
 * receive at once when data is there.  True when it got data or end of
 * stream (*status and q->io.done set); false to go to the ring, as when
 * nothing is waiting after all.  A pure IOCP server, whose receives mostly
 * wait, pays no failed recvmsg per receive. */
static bool recv_inline_now(struct ov_req *q, uint32_t *status)
{
    struct ws2_socket *s = q->sock;
    pthread_once(&inline_recv_once, inline_recv_read);
    if (q->io.poll_only && s->type == SOCK_STREAM) {
        /* A zero-byte receive on a stream with data (or its end) waiting
         * is done now, as Windows completes it. */
        struct pollfd p = { .fd = s->fd, .events = POLLIN };
        if (poll(&p, 1, 0) != 1 || !(p.revents & (POLLIN | POLLHUP | POLLERR)))
            return false;
        *status = W2U_STATUS_SUCCESS;
        q->io.done = 0;
        return true;
    }
    if (!inline_recv || (s->type != SOCK_STREAM && !q->try_now) || q->io.poll_only ||
        (q->io.msg.msg_flags & (MSG_OOB | MSG_WAITALL)) ||
        !(q->try_now || atomic_load_explicit(&s->recv_ready, memory_order_relaxed) ||
          atomic_load_explicit(&s->nonblocking, memory_order_relaxed) ||
          (atomic_load_explicit(&s->binding.modes, memory_order_relaxed) & IOCP_SKIP_PORT_ON_SUCCESS)))
        return false;
    struct msghdr saved = q->io.msg;            /* recvmsg writes lengths and flags back */
    ssize_t n = ws2_recvmsg(s->fd, &q->io.msg, (q->io.msg.msg_flags & MSG_PEEK) | MSG_DONTWAIT);
    if (n < 0) {
        q->io.msg = saved;
        if (errno == EAGAIN)
            atomic_store_explicit(&s->recv_ready, false, memory_order_relaxed);
        return false;                        /* errors too: the ring reports them */
    }
    *status = recv_outcome(q, (int)n);
    q->io.done = (size_t)n;
    return true;
}

/* A datagram of more than IOV_PER_CALL buffers goes as one message
 * through one copy: a send's data now, a receive's spread over the
 * buffers at the end (recv_outcome). */
static int flatten(struct ov_req *q, size_t total)
{
    int r = ws2_iov_flatten(q->io.iov, q->io.nbufs, total, q->io.send, &q->io.flat_iov);
    if (r < 0)
        return r;
    q->io.flat = q->io.flat_iov.iov_base;
    q->io.msg.msg_iov = q->io.pos = &q->io.flat_iov;
    q->io.msg.msg_iovlen = q->io.left = 1;
    return 0;
}

/* Appends r to its queue; true if it is the head and must start now. */
bool ov_enqueue(struct ov_req *r)
{
    struct ws2_socket *s = r->sock;
    pthread_mutex_lock(&s->lock);
    struct ws2_queue *q = ov_queue_of(s, r);
    bool head = ws2_queue_empty(q) || !serialized(r);
    ws2_queue_push(q, &r->link);
    r->started = head;
    if (head && ov_kinds[r->kind].takes_incoming)
        ws2_es_sync_locked(s);        /* incoming data (a connection) is the request's, not FD_READ's (FD_ACCEPT's) */
    pthread_mutex_unlock(&s->lock);
    return head;
}

/* The checks an overlapped send or receive fails at once, before a
 * request exists: 0 or -WSA error. */
static int op_refused(struct ws2_socket *s, const struct ws2_overlapped_op *op)
{
    if (op->nt ? !op->nt->iosb || (op->nt->apc && !w2u_host()->nt_apc) : !op->ov)
        return -W2U_WSAEFAULT;
    if (op->control_len && !op->control)
        return -W2U_WSAEFAULT;
    /* Windows: an overlapped receive into no buffers at all (a count of
     * 0, as against one empty buffer) is WSAEINVAL. */
    if (!op->send && op->count == 0)
        return -W2U_WSAEINVAL;
    /* Windows: a socket whose completions go to a port takes no
     * completion routine. */
    if ((op->routine || (op->nt && op->nt->apc)) && atomic_load_explicit(&s->binding.port, memory_order_acquire))
        return -W2U_WSAEINVAL;
    return 0;
}

/* A send or receive request on s (whose reference it takes), with room
 * for the control data and the buffers past INLINE_BUFS; NULL when out of
 * memory. */
static struct ov_req *io_request(struct ws2_socket *s, const struct ws2_overlapped_op *op, size_t ctl_space)
{
    size_t iov_space = op->count > INLINE_BUFS ? op->count * sizeof(struct iovec) : 0;
    struct ov_req *q = ov_request_new(s, op->send ? OV_SEND : OV_RECV, op->ov, ctl_space + iov_space);
    if (!q)
        return NULL;
    if (iov_space)
        q->io.iov = (struct iovec *)(void *)(q->ctl + ctl_space);
    q->io.send = op->send;
    q->try_now = op->try_now;
    if (op->nt)
        set_nt_target(q, op->nt);
    else
        ov_set_routine(q, op->routine);
    return q;
}

/* A send's own part, as the synchronous send takes it (wsp_sendmsg): the
 * flags and the destination's family, with the same errors, and urgent
 * data stays urgent. */
static int prepare_send(struct ov_req *q, struct ws2_socket *s, const struct ws2_overlapped_op *op)
{
    if ((q->io.send_flags = ws2_send_flags(op->flags)) < 0)
        return q->io.send_flags;
    if (op->addr && s->type != SOCK_STREAM) {
        unsigned sl;
        int r = ws2_addr_for(s, op->addr, op->addrlen, &q->io.addr, &sl);
        if (r < 0)
            return r;
        q->io.msg.msg_name = &q->io.addr;
        q->io.msg.msg_namelen = sl;
    } else if (s->type != SOCK_STREAM && !ws2_is(s, W2U_ST_CONNECTED)) {
        return -W2U_WSAENOTCONN;
    }
    return 0;
}

/* A receive's own part: the synchronous receive's flag check and
 * translation, and where the sender's address goes. */
static int prepare_recv(struct ov_req *q, struct ws2_socket *s, const struct ws2_overlapped_op *op, size_t total)
{
    int lflags = ws2_recv_flags(op->flags);
    if (lflags < 0)
        return lflags;
    if (s->type != SOCK_STREAM && !ws2_is(s, W2U_ST_BOUND))
        return -W2U_WSAEINVAL;
    if (op->from && (!op->fromlen || *op->fromlen < (int)sizeof(struct sockaddr_in)))
        return -W2U_WSAEFAULT;
    q->io.from = op->from;
    q->io.fromlen = op->fromlen;
    q->io.msg.msg_name = &q->io.addr;
    q->io.msg.msg_namelen = sizeof(q->io.addr);
    q->io.msg.msg_flags = lflags;
    /* Zero bytes on a stream: Windows waits for data, recvmsg would not. */
    q->io.poll_only = total == 0 && s->type == SOCK_STREAM;
    return 0;
}

/* Fills q's message from op, with the checks the synchronous call makes
 * too and the same errors. */
static int prepare_io(struct ov_req *q, struct ws2_socket *s, const struct ws2_overlapped_op *op, size_t ctl_space)
{
    size_t total = 0;
    int r = ws2_make_iov(op->bufs, op->count, q->io.iov, &total);
    if (r < 0)
        return r;
    ws2_refresh_connect(s);
    if (ws2_is(s, op->send ? W2U_ST_SHUT_SEND : W2U_ST_SHUT_RECV))
        return -W2U_WSAESHUTDOWN;
    if (s->type == SOCK_STREAM && !ws2_is(s, W2U_ST_CONNECTED))
        return -W2U_WSAENOTCONN;
    q->io.nbufs = op->count;
    q->io.msg.msg_iov = q->io.iov;
    q->io.msg.msg_iovlen = ws2_iov_step(op->count);
    q->io.want = total;
    q->io.pos = q->io.iov;
    q->io.left = op->count;
    if (s->type != SOCK_STREAM && op->count > IOV_PER_CALL && (r = flatten(q, total)) < 0)
        return r;
    if (op->control_len && op->send) {
        size_t used;
        if ((r = ws2_cmsg_from_windows(op->control, op->control_len, q->ctl, ctl_space, &used)) < 0)
            return r;
        q->io.msg.msg_control = q->ctl;
        q->io.msg.msg_controllen = used;
    } else if (op->msg_flags) {
        q->io.msg.msg_control = ctl_space ? q->ctl : NULL;
        q->io.msg.msg_controllen = ctl_space;
        q->io.uctl = op->control;
        q->io.uctl_len = op->control_len;
        q->io.uctl_out = op->control_out;
        q->io.uflags = op->msg_flags;
    }
    return op->send ? prepare_send(q, s, op) : prepare_recv(q, s, op, total);
}

/* The head of its queue, tried in the call before the ring: 0 done now
 * (*bytes_now, completed), 1 to go to the ring, or the -WSA error it
 * failed with at once (no completion, as Windows). */
static int try_in_call(struct ov_req *q, struct ws2_socket *s, const struct ws2_overlapped_op *op,
                       uint32_t *bytes_now)
{
    uint32_t status;
    if (op->send) {
        /* Nothing before it: most sends complete here. */
        ssize_t n = sendmsg(s->fd, &q->io.msg, q->io.send_flags | MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n >= 0 && (ov_sent_all(q, (size_t)n) || s->type != SOCK_STREAM)) {
            *bytes_now = (uint32_t)q->io.done;
            ov_finish(q, W2U_STATUS_SUCCESS, q->io.done, true);
            return 0;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return ws2_send_errno(s, errno);
    } else if (recv_inline_now(q, &status)) {
        *bytes_now = (uint32_t)q->io.done;
        ov_finish(q, status, q->io.done, true);
        return 0;
    } else if (op->now_or_fail && atomic_load_explicit(&s->nonblocking, memory_order_relaxed)) {
        return -W2U_WSAEWOULDBLOCK;
    }
    return 1;
}

/* A head that failed before it started: out of its queue again without a
 * completion, its status in the OVERLAPPED, and the next one started. */
static void unqueue(struct ov_req *q, struct ws2_socket *s, int r)
{
    pthread_mutex_lock(&s->lock);
    ws2_queue_unlink(&q->link);       /* it was the head */
    struct ov_req *next = ov_of(ws2_queue_first(ov_queue_of(s, q)));
    if (next)
        next->started = true;
    ws2_es_sync_locked(s);
    pthread_mutex_unlock(&s->lock);
    atomic_store_explicit(&q->c.ov->internal, (uintptr_t)w2u_wsa_to_status((uint32_t)-r), memory_order_relaxed);
    hand_on(next);
}

static int start_overlapped(uintptr_t h, const struct ws2_overlapped_op *op, uint32_t *bytes_now, bool *wait_here)
{
    struct ws2_socket *s;
    int r = ws2_socket_get(h, &s);
    if (r < 0)
        return r;
    *wait_here = !(s->flags & W2U_FLAG_OVERLAPPED);
    if ((r = op_refused(s, op)) < 0) {
        ws2_socket_put(s);
        return r;
    }
    size_t ctl_space = (ws2_cmsg_space(op->control_len) + 15) & ~(size_t)15;
    struct ov_req *q = io_request(s, op, ctl_space);    /* takes the socket's reference */
    if (!q) {
        ws2_socket_put(s);
        return -W2U_WSAENOBUFS;
    }
    if ((r = prepare_io(q, s, op, ctl_space)) < 0) {
        ov_req_free(q);
        return r;
    }
    ov_mark_pending(s, q->c.ov);
    /* An NT request's status block is the program's until the end, as on
     * Windows, but where this call waits for the end itself. */
    if (op->nt && *wait_here)
        atomic_store_explicit(&((struct iocp_overlapped *)op->nt->iosb)->internal, W2U_STATUS_PENDING,
                              memory_order_relaxed);
    if (!ov_enqueue(q))
        return -W2U_WSA_IO_PENDING;   /* starts when those before it finish */
    if ((r = try_in_call(q, s, op, bytes_now)) == 1) {
        int e = ov_submit(q);
        if (e >= 0)
            return -W2U_WSA_IO_PENDING;
        r = -(int)w2u_errno_to_wsa(-e);
    }
    if (r < 0) {
        unqueue(q, s, r);
        ov_req_free(q);
    }
    return r;
}

/* Waits for a request started on h to end: 0 with the byte count, or its
 * error as a -WSA error. */
int ov_wait_outcome(uintptr_t h, struct iocp_overlapped *ov, uint32_t *bytes)
{
    int r = ws2_overlapped_wait(h, ov, W2U_FOREVER);
    if (r < 0)
        return r;
    uint32_t status = (uint32_t)atomic_load_explicit(&ov->internal, memory_order_acquire);
    if (!w2u_nt_success(status))
        return -(int)w2u_status_to_wsa(status);
    if (bytes)
        *bytes = (uint32_t)ov->internal_high;
    return 0;
}

/* A socket made without WSA_FLAG_OVERLAPPED does its overlapped calls
 * synchronously, as Windows does: the call waits for the end (the
 * OVERLAPPED is filled in and its event set all the same). */
int ws2_overlapped(uintptr_t h, const struct ws2_overlapped_op *op, uint32_t *bytes_now)
{
    bool wait_here = false;
    int r = start_overlapped(h, op, bytes_now, &wait_here);
    if (r != -W2U_WSA_IO_PENDING || !wait_here)
        return r;
    /* (An IO_STATUS_BLOCK starts as an OVERLAPPED does: status, information.) */
    return ov_wait_outcome(h, op->nt ? (struct iocp_overlapped *)op->nt->iosb : op->ov, bytes_now);
}


/* ---- cancellation -------------------------------------------------------------------------------- */

/* Marks a started request cancelled and, unless it is delivered already,
 * awaited (under the socket lock).  The count goes up first, so a delivery
 * that wins the race never sees END_AWAITED without it. */
static void await_request(struct ws2_socket *s, struct ov_req *r)
{
    atomic_store(&r->cancelled, true);
    atomic_fetch_add_explicit(&s->cancel_waits, 1, memory_order_relaxed);
    uint8_t running = END_RUNNING;
    if (!atomic_compare_exchange_strong_explicit(&r->end, &running, END_AWAITED, memory_order_acq_rel,
                                                 memory_order_acquire))
        cancel_wait_done(s);    /* delivered, or another canceller awaits it */
}

/* Until every awaited request of s is delivered: as on Windows, a closed
 * socket's aborted operations are on their port when closesocket returns
 * (and a host may then close its handle).  Without a time limit: the
 * cancels are in the kernel, each CQE comes.  On the port's ring with no
 * leader nobody else would reap them, so this thread reaps between short
 * sleeps; the default ring has its reaper. */
static void await_cancelled(struct ws2_socket *s, struct iocp_port *port)
{
    for (;;) {
        uint32_t n = atomic_load_explicit(&s->cancel_waits, memory_order_acquire);
        if (n && port) {
            iocp_port_drain(port);
            n = atomic_load_explicit(&s->cancel_waits, memory_order_acquire);
        }
        if (!n)
            return;
        w2u_futex_wait(&s->cancel_waits, n, port ? w2u_now_ns() + 1000000 : W2U_FOREVER);
    }
}

/* The rings a cancel of every request looks in: a socket's requests use
 * its port's ring or the default ring, so two are enough. */
#define CANCEL_RINGS 2

/* Cancels the socket's requests that match (ov NULL: all; thread_id 0: any
 * thread).  Running ones are cancelled in the kernel and complete from
 * their CQE; queued ones complete here.  All of them: one cancel by
 * descriptor per ring (IORING_ASYNC_CANCEL_FD | ALL), plus one each for
 * the kinds whose operation may be on another descriptor (AcceptEx's
 * first data, TransmitFile's file reads); some: one cancel each.  Returns
 * how many matched, once every one of them is delivered. */
unsigned ov_cancel_matching(struct ws2_socket *s, const void *ov, uint32_t thread_id)
{
    struct ov_req *waiting = NULL, **wtail = &waiting;   /* both linked through cancel_next */
    struct ov_req *running = NULL;
    struct ur_ring *rings[CANCEL_RINGS] = { NULL };
    bool by_fd = !ov && !thread_id && ur_get_caps()->cancel_fd_all;   /* 5.19 has it */
    unsigned n = 0;
    struct ws2_queue *queues[] = { &s->ov_recvs, &s->ov_sends, &s->ov_others };

    pthread_mutex_lock(&s->lock);
    for (size_t d = 0; d < W2U_ARRAY_SIZE(queues); d++) {
        struct ws2_link *at = &queues[d]->head, *l, *after;
        for (l = at->next; l != at; l = after) {
            after = l->next;
            struct ov_req *r = ov_of(l);
            bool match = (!ov || req_identity(r) == ov) && (!thread_id || r->thread_id == thread_id);
            if (!match)
                continue;
            n++;
            if (!r->started) {
                ws2_queue_unlink(l);   /* never started: complete it here */
                r->cancel_next = NULL;
                *wtail = r;
                wtail = &r->cancel_next;
                continue;
            }
            await_request(s, r);
            /* A request between two submissions (a send's next part) has a
             * ring recorded all the same; its cancel finds nothing. */
            int i = 0;
            while (i < CANCEL_RINGS && rings[i] && rings[i] != r->ring)
                i++;
            bool listed = i < CANCEL_RINGS;    /* not: cannot happen, cancelled alone */
            if (listed)
                rings[i] = r->ring;
            if (by_fd && listed && r->kind != OV_ACCEPT && r->kind != OV_TRANSMIT)
                continue;
            r->cancel_next = running;
            running = r;
            atomic_fetch_add(&r->refs, 1);   /* kept alive until its cancel is in */
        }
    }
    pthread_mutex_unlock(&s->lock);

    for (int i = 0; by_fd && i < CANCEL_RINGS && rings[i]; i++)
        ur_cancel_fd(rings[i], s->fd);
    while (running) {
        struct ov_req *r = running;
        running = r->cancel_next;
        if (r->ring)
            ur_cancel(r->ring, &r->ur);
        ov_req_free(r);
    }
    while (waiting) {
        struct ov_req *r = waiting;
        waiting = r->cancel_next;
        ov_deliver(r, W2U_STATUS_CANCELLED, 0, false);
    }
    await_cancelled(s, s->binding.own_port);
    return n;
}

int ws2_cancel(uintptr_t h, const void *ov, bool this_thread)
{
    struct ws2_socket *s;
    int r = ws2_socket_get(h, &s);
    if (r < 0)
        return r;
    r = (int)ov_cancel_matching(s, ov, this_thread ? w2u_thread_id() : 0);
    ws2_socket_put(s);
    return r;
}

void ws2_cancel_all(struct ws2_socket *s)
{
    ov_cancel_matching(s, NULL, 0);
}

/* ---- results ----------------------------------------------------------------------------------------- */

static bool ended(void *ov)
{
    return atomic_load_explicit(&((struct iocp_overlapped *)ov)->internal, memory_order_acquire) !=
           W2U_STATUS_PENDING;
}

int ws2_overlapped_wait(uintptr_t h, struct iocp_overlapped *ov, int64_t deadline)
{
    struct ws2_socket *s;
    int r = ws2_socket_get(h, &s);
    if (r < 0)
        return r;
    /* On the handle's own signal (it is bumped per completion). */
    if (iocp_binding_wait_until(&s->binding, ended, ov, deadline) == W2U_STATUS_TIMEOUT)
        r = -W2U_WSA_IO_INCOMPLETE;
    ws2_socket_put(s);
    return r;
}

/* A queued request's turn: a transmit begins with its first part; others
 * are submitted as they are.  0, -errno, or 1: a transmit with nothing to
 * send at all, done (hand_on completes it). */
