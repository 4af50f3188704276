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

/* A TransmitFile / TransmitPackets element: a buffer, or a file range
 * (left UINT64_MAX: to the end of the file). */
struct tx_part {
    void *buf;
    size_t len;
    struct w2u_object *file;         /* a reference */
    int fd;
    bool own_fd;                     /* fd is the host's file, ours to close */
    uint64_t off, left;
    bool eop;                        /* nothing after it joins its send */
};

static bool part_is_file(const struct tx_part *p)
{
    return p->file || p->own_fd;
}

/* The descriptor behind a file handle TransmitFile may send: a ws2uring
 * file (*obj, a reference to drop) or, under Wine, a descriptor of the
 * host's file that is ours to close (*obj NULL).  0 or -WSAEINVAL. */
static int file_descriptor(uintptr_t file, struct w2u_object **obj, int *fd)
{
    if ((*obj = iocp_file_get(file, fd)))
        return 0;
    if (!w2u_host()->file_fd || (*fd = w2u_host()->file_fd(file)) < 0)
        return -W2U_WSAEINVAL;
    return 0;
}

/* Buffers kept inside the request: most calls pass one or two, and a
 * request small enough for malloc's per-thread cache is cheaper per
 * operation than one sized for many. */
#define INLINE_BUFS 4

struct ov_req {
    _Atomic int refs;                /* 1, plus a canceller's while it works */
    struct ur_req ur;
    struct iocp_completion c;
    struct ws2_socket *sock;         /* a reference while the request lives */
    struct ov_req *next;             /* the socket's FIFO */
    struct ov_req *cancel_next;      /* cancel_matching's own list */
    struct ur_ring *ring;            /* where it was last submitted */
    struct iocp_port *port;          /* the port owning that ring, if any */
    enum { OV_RECV, OV_SEND, OV_ACCEPT, OV_CONNECT, OV_TRANSMIT, OV_NOW, OV_PARKED } kind;
    bool send, poll_only, started;
    bool too_small;                  /* AcceptEx's address space: completes BUFFER_TOO_SMALL, accepts nothing */
    uint8_t fault_retries;           /* receives retried after EFAULT (retry_after_fault) */
    uint8_t orphan_retries;          /* resubmitted after their thread's exit cancelled them */
    _Atomic bool cancelled;          /* set by a cancel: a multi-part request stops at its next part */
    _Atomic uint8_t end;             /* END_*: delivered, or awaited by a canceller (see end_request) */
    int phase;                       /* accept: 0 accepting, 1 first data; connect: 0, 1 sending */
    struct ws2_socket *peer;         /* AcceptEx's accept socket (a reference) */
    char *buf;                       /* AcceptEx's output buffer */
    uint32_t datalen, locallen, remotelen;
    unsigned addrlen;
    uint32_t thread_id;              /* issuer, for CancelIo */
    w2u_completion_routine routine;
    uintptr_t host_thread;           /* a host's handle of the issuing thread (see w2u_host()->apc) */
    struct iocp_overlapped shadow;   /* an NT request's own OVERLAPPED (its event: c.nt_iosb) */
    void *nt_apc, *nt_apc_context;   /* an NT request's APC (see w2u_host()->nt_apc) */
    bool try_now;                    /* see ws2_overlapped_op */
    struct msghdr msg;
    struct iovec *iov;               /* iov_inline, after ctl for more buffers, or a transmit's own */
    unsigned iov_cap;                /* a transmit's: how many buffers one send may gather */
    struct iovec iov_inline[INLINE_BUFS];
    unsigned nbufs;                  /* the program's buffers (iov's entries) */
    char *flat;                      /* a datagram of more than IOV_PER_CALL buffers: its one copy */
    struct iovec flat_iov;           /* ... as the message's iovec (advanced by sends, so not the owner) */
    struct iovec *pos;               /* sends: what is left */
    size_t left;
    size_t done;
    size_t want;                     /* a receive's buffer space */
    struct sockaddr_storage addr;
    void *from;                      /* WSARecvFrom's lpFrom / lpFromlen */
    int *fromlen;
    struct tx_part *parts;           /* TransmitFile / TransmitPackets: what to send, */
    unsigned nparts, part;           /* and the part in progress */
    uint32_t chunk, tflags;
    int send_flags;                  /* a send's MSG_OOB / MSG_DONTROUTE, Linux's */
    char *chunk_buf;                 /* file data on its way from read to send */
    struct iovec fiov;
    void *uctl;                      /* WSARecvMsg's control buffer, length and flags */
    uint32_t uctl_len, *uctl_out, *uflags;
    _Alignas(struct cmsghdr) char ctl[];   /* the Linux control data, sized per request */
};

/* glibc's per-thread cache serves blocks up to about 1 KiB. */
_Static_assert(sizeof(struct ov_req) <= 1024, "ov_req outgrew malloc's thread cache");

/* ---- release and completion -------------------------------------------------------------- */

static void req_free(struct ov_req *r)
{
    if (atomic_fetch_sub(&r->refs, 1) != 1)
        return;
    if (r->peer)
        ws2_socket_put(r->peer);
    for (unsigned i = 0; i < r->nparts; i++) {
        if (r->parts[i].file)
            w2u_object_unref(r->parts[i].file);
        if (r->parts[i].own_fd)
            close(r->parts[i].fd);
    }
    free(r->parts);
    free(r->chunk_buf);
    free(r->flat);
    if (r->kind == OV_TRANSMIT && r->iov != r->iov_inline)
        free(r->iov);
    if (r->c.apc_thread)
        iocp_thread_unref(r->c.apc_thread);
    ws2_socket_put(r->sock);
    free(r);
}

static void req_release(struct iocp_packet *p)
{
    req_free(W2U_CONTAINER_OF(p, struct ov_req, c.packet));
}

static void run_routine(struct iocp_apc *apc)
{
    struct ov_req *r = W2U_CONTAINER_OF(apc, struct ov_req, c.apc);
    r->routine(w2u_status_to_wsa(r->c.packet.status), (uint32_t)r->c.packet.information,
               r->c.ov, 0);
    req_free(r);
}

static void drop_routine(struct iocp_apc *apc)
{
    req_free(W2U_CONTAINER_OF(apc, struct ov_req, c.apc));
}

/* Receives and sends are FIFOs served one at a time; accepts and connects
 * carry no order among themselves and all run at once. */
static bool serialized(const struct ov_req *r)
{
    return r->kind == OV_RECV || r->kind == OV_SEND || r->kind == OV_TRANSMIT;
}

static struct ov_req **list_of(struct ws2_socket *s, const struct ov_req *r)
{
    if (r->kind == OV_SEND || r->kind == OV_TRANSMIT)
        return (struct ov_req **)&s->ov_sends;
    if (r->kind == OV_RECV)
        return (struct ov_req **)&s->ov_recvs;
    return (struct ov_req **)&s->ov_others;
}

/* From here on the operation exists for Windows: it is pending, and its
 * event (if any) is reset, as Windows' I/O manager resets it when an
 * operation starts (a program may reuse a signalled event). */
static void mark_pending(struct ws2_socket *s, struct iocp_overlapped *ov)
{
    iocp_binding_io_start(&s->binding);
    uintptr_t event = ov->event & ~(uintptr_t)1;
    if (event) {
        if (w2u_host()->reset_event)
            w2u_host()->reset_event(event);
        else
            iocp_event_reset(event);
    }
    /* InternalHigh stays as it was until the end, as on Windows. */
    atomic_store_explicit(&ov->internal, W2U_STATUS_PENDING, memory_order_relaxed);
}

static int submit(struct ov_req *r);
static unsigned cancel_matching(struct ws2_socket *s, const void *ov, uint32_t thread_id);
static int start(struct ov_req *r);

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

/* Hands r's completion to the sinks (iocp_complete), and its completion
 * routine to the host when a host runs routines; then drops the caller's
 * reference.  The packet may free r meanwhile, hence the reference held
 * across (r->sock lives as long as r). */
static void deliver(struct ov_req *r, uint32_t status, uintptr_t bytes, bool synchronous)
{
    atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
    iocp_complete(&r->c, status, bytes, synchronous);
    if (r->c.routine_elsewhere && r->nt_apc)
        w2u_host()->nt_apc(r->host_thread, r->nt_apc, r->nt_apc_context, r->c.nt_iosb);
    else if (r->c.routine_elsewhere)
        w2u_host()->apc(r->host_thread, (void *)r->routine, r->c.ov, w2u_status_to_wsa(status), bytes);
    if (atomic_exchange_explicit(&r->end, END_DELIVERED, memory_order_acq_rel) == END_AWAITED)
        cancel_wait_done(r->sock);
    req_free(r);
}

/* The completion routine of r: natively an APC to the calling thread;
 * under a host (Wine) the host's APC on the thread it named (see
 * deliver). */
static void set_routine(struct ov_req *q, w2u_completion_routine routine)
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

/* The head of a queue finished: unlink it, start the next, deliver. */
static void finish(struct ov_req *r, uint32_t status, uintptr_t bytes, bool synchronous)
{
    struct ws2_socket *s = r->sock;
    struct ov_req *next;

    pthread_mutex_lock(&s->lock);
    struct ov_req **q = list_of(s, r);
    for (struct ov_req **p = q; *p; p = &(*p)->next)
        if (*p == r) {
            *p = r->next;
            break;
        }
    next = serialized(r) ? *q : NULL;
    if (next && next->started)
        next = NULL;               /* already running */
    else if (next)
        next->started = true;
    pthread_mutex_unlock(&s->lock);

    if (r->kind == OV_SEND || r->kind == OV_TRANSMIT)
        ws2_es_reenable(s, W2U_FD_WRITE);
    else if (r->kind == OV_RECV)
        ws2_es_reenable(s, W2U_FD_READ);
    else if (r->kind == OV_ACCEPT)
        ws2_es_state_changed(s);      /* connections are FD_ACCEPT's again */
    deliver(r, status, bytes, synchronous);
    /* Start the next request; one that cannot start completes with the
     * error instead (and starts its own successor). */
    if (next) {
        int e = start(next);
        if (e < 0)
            finish(next, w2u_errno_to_status(-e), 0, false);
    }
}

static uint32_t recv_status(struct ov_req *r, int res)
{
    res = ws2_sticky_reset(r->sock, res, r->want);
    if (res < 0)
        return w2u_errno_to_status(-res);
    if (r->sock->type != SOCK_STREAM && (r->msg.msg_flags & MSG_TRUNC))
        return W2U_STATUS_BUFFER_OVERFLOW;     /* WSAEMSGSIZE, as Windows */
    return W2U_STATUS_SUCCESS;
}

/* A receive's result for Windows: its status, with the sender's address
 * and the control data written out.  A stream receive that filled its
 * buffers leaves more data behind as a rule: the next one tries at once. */
static uint32_t recv_outcome(struct ov_req *r, int res)
{
    uint32_t status = recv_status(r, res);
    if (res >= 0 && r->flat && !ws2_iov_scatter(r->iov, r->nbufs, r->flat, (size_t)res))
        return W2U_STATUS_ACCESS_VIOLATION;
    if (res >= 0 && r->from && r->fromlen)
        ws2_addr_from_linux(&r->addr, r->msg.msg_namelen, r->from, r->fromlen);
    if (res >= 0 && r->uflags) {
        *r->uflags = ws2_cmsg_to_windows(&r->msg, r->uctl, r->uctl_len, r->uctl_out);
        if (*r->uflags & W2U_MSG_CTRUNC)
            status = W2U_STATUS_BUFFER_OVERFLOW;   /* control data cut: WSAEMSGSIZE */
    }
    if (r->sock->type == SOCK_STREAM)
        atomic_store_explicit(&r->sock->recv_ready, res > 0 && (size_t)res == r->want,
                              memory_order_relaxed);
    return status;
}

/* A receive the kernel failed with EFAULT on memory the program may write
 * (under Wine, a MEM_WRITE_WATCH page that GetWriteWatch's reset
 * protected again after the call probed it): the data is still queued
 * (a stream's) and is taken now through a bounce buffer, which the host
 * writes as Windows' kernel would; if it went meanwhile, the receive waits
 * again (a few times, so no race can loop forever). */
static bool retry_after_fault(struct ov_req *r, int *res)
{
    if (*res != -EFAULT || !w2u_host()->kernel_write || r->fault_retries >= 4)
        return false;
    r->fault_retries++;
    int fd = r->kind == OV_ACCEPT ? r->peer->fd : r->sock->fd;     /* AcceptEx's first data */
    ssize_t n = ws2_recvmsg_bounced(fd, &r->msg, (r->msg.msg_flags & MSG_PEEK) | MSG_DONTWAIT);
    if (n >= 0 || errno != EAGAIN) {
        *res = n >= 0 ? (int)n : -errno;
        return false;
    }
    int e = submit(r);
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
static bool resubmit_unfinished(struct ov_req *r, int *res)
{
    if (*res == -EAGAIN && !(r->kind == OV_CONNECT && r->phase == 0)) {
        int e = submit(r);
        *res = e ? e : *res;      /* -ECANCELED if a cancel came meanwhile */
        return e == 0;
    }
    if (*res != -ECANCELED || atomic_load(&r->cancelled) || atomic_load(&r->sock->closing) ||
        r->orphan_retries >= 8)
        return false;
    r->orphan_retries++;
    return submit(r) == 0;
}

static void recv_done(struct ur_req *ur, int res, uint32_t flags)
{
    struct ov_req *r = W2U_CONTAINER_OF(ur, struct ov_req, ur);
    (void)flags;
    if (resubmit_unfinished(r, &res))
        return;
    if (retry_after_fault(r, &res))
        return;
    if (r->poll_only) {
        /* A zero-byte receive: readable now, nothing read. */
        finish(r, res < 0 ? w2u_errno_to_status(-res) : W2U_STATUS_SUCCESS, 0, false);
        return;
    }
    finish(r, recv_outcome(r, res), res < 0 ? 0 : (uintptr_t)res, false);
}

/* A send step moved n bytes: true when its buffers are all sent; else
 * the message now covers what is left, ready to submit again. */
static bool sent_all(struct ov_req *r, size_t n)
{
    r->done += n;
    ws2_iov_advance(&r->pos, &r->left, n);
    r->msg.msg_iov = r->pos;
    r->msg.msg_iovlen = ws2_iov_step(r->left);
    return !r->left;
}

static void send_done(struct ur_req *ur, int res, uint32_t flags)
{
    struct ov_req *r = W2U_CONTAINER_OF(ur, struct ov_req, ur);
    (void)flags;
    if (resubmit_unfinished(r, &res))
        return;
    if (res < 0) {
        finish(r, w2u_errno_to_status(-res), r->done, false);
        return;
    }
    /* A stream send completes in full: send what is left, unless a cancel
     * came in meanwhile.  A datagram is one message, sent or not. */
    if (sent_all(r, (size_t)res) || r->sock->type != SOCK_STREAM) {
        finish(r, W2U_STATUS_SUCCESS, r->done, false);
        return;
    }
    int e = submit(r);
    if (e < 0)
        finish(r, w2u_errno_to_status(-e), r->done, false);
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

/* With the socket locked: puts r into its ring. */
static int put_in_ring(struct ov_req *r, struct ur_ring *ring, struct iocp_port *port)
{
    struct ws2_socket *s = r->sock;
    r->ring = ring;
    r->port = port;
    if (r->kind == OV_ACCEPT && r->phase == 0 && r->too_small)
        return ur_poll(ring, &r->ur, s->fd, POLLIN);      /* a connection, left queued */
    if (r->kind == OV_ACCEPT && r->phase == 0)
        return ur_accept(ring, &r->ur, s->fd, (struct sockaddr *)&r->addr, &r->addrlen,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (r->kind == OV_ACCEPT)
        return ur_recvmsg(ring, &r->ur, r->peer->fd, &r->msg, 0);     /* the first data */
    if (r->kind == OV_CONNECT && r->phase == 0)
        return ur_connect(ring, &r->ur, s->fd, (struct sockaddr *)&r->addr, r->addrlen);
    if (r->kind == OV_TRANSMIT && r->phase == 1)
        return ur_readv(ring, &r->ur, r->parts[r->part].fd, &r->fiov, 1, r->parts[r->part].off);
    if (r->poll_only)
        return ur_poll(ring, &r->ur, s->fd, POLLIN);
    if (r->send)
        return ur_sendmsg(ring, &r->ur, s->fd, &r->msg, (unsigned)r->send_flags | MSG_NOSIGNAL | test_dontwait());
    return ur_recvmsg(ring, &r->ur, s->fd, &r->msg, (unsigned)r->msg.msg_flags | test_dontwait());
}

/* Puts r (the head of its queue) into the ring: 0 or -errno (-ECANCELED
 * once a cancel has marked it).  The mark is read under the socket lock a
 * cancel takes to set it, so a request is either queued before the
 * cancel looks for it in the ring (which submits what is queued first), or
 * not submitted at all: never put in after its cancel missed it (after a
 * close, on a reused descriptor). */
static int submit(struct ov_req *r)
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
 * stream (*status and q->done set); false to go to the ring, as when
 * nothing is waiting after all.  A pure IOCP server, whose receives mostly
 * wait, pays no failed recvmsg per receive. */
static bool recv_inline_now(struct ov_req *q, uint32_t *status)
{
    struct ws2_socket *s = q->sock;
    pthread_once(&inline_recv_once, inline_recv_read);
    if (q->poll_only && s->type == SOCK_STREAM) {
        /* A zero-byte receive on a stream with data (or its end) waiting
         * is done now, as Windows completes it. */
        struct pollfd p = { .fd = s->fd, .events = POLLIN };
        if (poll(&p, 1, 0) != 1 || !(p.revents & (POLLIN | POLLHUP | POLLERR)))
            return false;
        *status = W2U_STATUS_SUCCESS;
        q->done = 0;
        return true;
    }
    if (!inline_recv || (s->type != SOCK_STREAM && !q->try_now) || q->poll_only ||
        (q->msg.msg_flags & (MSG_OOB | MSG_WAITALL)) ||
        !(q->try_now || atomic_load_explicit(&s->recv_ready, memory_order_relaxed) ||
          atomic_load_explicit(&s->nonblocking, memory_order_relaxed) ||
          (atomic_load_explicit(&s->binding.modes, memory_order_relaxed) & IOCP_SKIP_PORT_ON_SUCCESS)))
        return false;
    struct msghdr saved = q->msg;            /* recvmsg writes lengths and flags back */
    ssize_t n = ws2_recvmsg(s->fd, &q->msg, (q->msg.msg_flags & MSG_PEEK) | MSG_DONTWAIT);
    if (n < 0) {
        q->msg = saved;
        if (errno == EAGAIN)
            atomic_store_explicit(&s->recv_ready, false, memory_order_relaxed);
        return false;                        /* errors too: the ring reports them */
    }
    *status = recv_outcome(q, (int)n);
    q->done = (size_t)n;
    return true;
}

/* A datagram of more than IOV_PER_CALL buffers goes as one message
 * through one copy: a send's data now, a receive's spread over the
 * buffers at the end (recv_outcome). */
static int flatten(struct ov_req *q, size_t total)
{
    int r = ws2_iov_flatten(q->iov, q->nbufs, total, q->send, &q->flat_iov);
    if (r < 0)
        return r;
    q->flat = q->flat_iov.iov_base;
    q->msg.msg_iov = q->pos = &q->flat_iov;
    q->msg.msg_iovlen = q->left = 1;
    return 0;
}

/* Appends r to its queue; true if it is the head and must start now. */
static bool enqueue(struct ov_req *r)
{
    struct ws2_socket *s = r->sock;
    pthread_mutex_lock(&s->lock);
    struct ov_req **p = list_of(s, r);
    bool head = !*p || !serialized(r);
    while (*p)
        p = &(*p)->next;
    *p = r;
    r->started = head;
    if (head && (r->kind == OV_RECV || r->kind == OV_ACCEPT))
        ws2_es_sync_locked(s);        /* incoming data (a connection) is the request's, not FD_READ's (FD_ACCEPT's) */
    pthread_mutex_unlock(&s->lock);
    return head;
}

static int start_overlapped(uintptr_t h, const struct ws2_overlapped_op *op, uint32_t *bytes_now, bool *wait_here)
{
    struct ws2_socket *s;
    uint32_t status;
    int r = ws2_socket_get(h, &s);
    if (r < 0)
        return r;
    *wait_here = !(s->flags & W2U_FLAG_OVERLAPPED);
    if (op->nt ? !op->nt->iosb || (op->nt->apc && !w2u_host()->nt_apc) : !op->ov) {
        ws2_socket_put(s);
        return -W2U_WSAEFAULT;
    }
    if (op->control_len && !op->control) {
        ws2_socket_put(s);
        return -W2U_WSAEFAULT;
    }
    /* Windows: an overlapped receive into no buffers at all (a count of
     * 0, as against one empty buffer) is WSAEINVAL. */
    if (!op->send && op->count == 0) {
        ws2_socket_put(s);
        return -W2U_WSAEINVAL;
    }
    /* Windows: a socket whose completions go to a port takes no
     * completion routine. */
    if ((op->routine || (op->nt && op->nt->apc)) && atomic_load_explicit(&s->binding.port, memory_order_acquire)) {
        ws2_socket_put(s);
        return -W2U_WSAEINVAL;
    }
    size_t ctl_space = (ws2_cmsg_space(op->control_len) + 15) & ~(size_t)15;
    size_t iov_space = op->count > INLINE_BUFS ? op->count * sizeof(struct iovec) : 0;
    struct ov_req *q = calloc(1, sizeof(*q) + ctl_space + iov_space);
    if (!q) {
        ws2_socket_put(s);
        return -W2U_WSAENOBUFS;
    }
    q->iov = iov_space ? (struct iovec *)(void *)(q->ctl + ctl_space) : q->iov_inline;
    atomic_init(&q->refs, 1);
    q->sock = s;                     /* the reference passes to the request */
    q->send = op->send;
    q->kind = op->send ? OV_SEND : OV_RECV;
    q->ur.cb = op->send ? send_done : recv_done;
    q->c.binding = &s->binding;
    q->c.ov = op->ov;
    q->c.packet.release = req_release;
    q->thread_id = w2u_thread_id();
    q->try_now = op->try_now;
    if (op->nt)
        set_nt_target(q, op->nt);
    else
        set_routine(q, op->routine);

    /* Checks the synchronous call makes too, with the same errors. */
    size_t total = 0;
    if ((r = ws2_make_iov(op->bufs, op->count, q->iov, &total)) < 0)
        goto fail;
    ws2_refresh_connect(s);
    if (ws2_is(s, op->send ? W2U_ST_SHUT_SEND : W2U_ST_SHUT_RECV)) {
        r = -W2U_WSAESHUTDOWN;
        goto fail;
    }
    if (s->type == SOCK_STREAM && !ws2_is(s, W2U_ST_CONNECTED)) {
        r = -W2U_WSAENOTCONN;
        goto fail;
    }
    q->nbufs = op->count;
    q->msg.msg_iov = q->iov;
    q->msg.msg_iovlen = ws2_iov_step(op->count);
    q->want = total;
    q->pos = q->iov;
    q->left = op->count;
    if (s->type != SOCK_STREAM && op->count > IOV_PER_CALL && (r = flatten(q, total)) < 0)
        goto fail;
    if (op->control_len && op->send) {
        size_t used;
        if ((r = ws2_cmsg_from_windows(op->control, op->control_len, q->ctl, ctl_space, &used)) < 0)
            goto fail;
        q->msg.msg_control = q->ctl;
        q->msg.msg_controllen = used;
    } else if (op->msg_flags) {
        q->msg.msg_control = ctl_space ? q->ctl : NULL;
        q->msg.msg_controllen = ctl_space;
        q->uctl = op->control;
        q->uctl_len = op->control_len;
        q->uctl_out = op->control_out;
        q->uflags = op->msg_flags;
    }
    if (op->send) {
        /* The flags and the destination's family as the synchronous send
         * takes them (wsp_sendmsg): the same errors, and urgent data stays
         * urgent. */
        if ((q->send_flags = ws2_send_flags(op->flags)) < 0) {
            r = q->send_flags;
            goto fail;
        }
        if (op->addr && s->type != SOCK_STREAM) {
            unsigned sl;
            if ((r = ws2_addr_for(s, op->addr, op->addrlen, &q->addr, &sl)) < 0)
                goto fail;
            q->msg.msg_name = &q->addr;
            q->msg.msg_namelen = sl;
        } else if (s->type != SOCK_STREAM && !ws2_is(s, W2U_ST_CONNECTED)) {
            r = -W2U_WSAENOTCONN;
            goto fail;
        }
    } else {
        int lflags = ws2_recv_flags(op->flags);   /* the synchronous receive's check and translation */
        if (lflags < 0) {
            r = lflags;
            goto fail;
        }
        if (s->type != SOCK_STREAM && !ws2_is(s, W2U_ST_BOUND)) {
            r = -W2U_WSAEINVAL;
            goto fail;
        }
        if (op->from && (!op->fromlen || *op->fromlen < (int)sizeof(struct sockaddr_in))) {
            r = -W2U_WSAEFAULT;
            goto fail;
        }
        q->from = op->from;
        q->fromlen = op->fromlen;
        q->msg.msg_name = &q->addr;
        q->msg.msg_namelen = sizeof(q->addr);
        q->msg.msg_flags = lflags;
        /* Zero bytes on a stream: Windows waits for data, recvmsg would not. */
        q->poll_only = total == 0 && s->type == SOCK_STREAM;
    }

    mark_pending(s, q->c.ov);
    /* An NT request's status block is the program's until the end, as on
     * Windows, but where this call waits for the end itself. */
    if (op->nt && *wait_here)
        atomic_store_explicit(&((struct iocp_overlapped *)op->nt->iosb)->internal, W2U_STATUS_PENDING,
                              memory_order_relaxed);
    if (!enqueue(q))
        return -W2U_WSA_IO_PENDING;   /* starts when those before it finish */

    if (op->send) {
        /* Nothing before it: try now; most sends complete here. */
        ssize_t n = sendmsg(s->fd, &q->msg, q->send_flags | MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n >= 0) {
            if (sent_all(q, (size_t)n) || s->type != SOCK_STREAM) {
                *bytes_now = (uint32_t)q->done;
                finish(q, W2U_STATUS_SUCCESS, q->done, true);
                return 0;
            }
        } else if (errno != EAGAIN && errno != EINTR) {
            /* Failed at once: an error, and no completion (as Windows). */
            r = ws2_send_errno(s, errno);
            goto unqueue;
        }
    } else if (recv_inline_now(q, &status)) {
        *bytes_now = (uint32_t)q->done;
        finish(q, status, q->done, true);
        return 0;
    } else if (op->now_or_fail && atomic_load_explicit(&s->nonblocking, memory_order_relaxed)) {
        r = -W2U_WSAEWOULDBLOCK;
        goto unqueue;
    }
    int e = submit(q);
    if (e < 0) {
        r = -(int)w2u_errno_to_wsa(-e);
        goto unqueue;
    }
    return -W2U_WSA_IO_PENDING;

unqueue:
    /* Never started: take it out again without completing it. */
    pthread_mutex_lock(&s->lock);
    struct ov_req **p = list_of(s, q);
    *p = q->next;                     /* it was the head */
    struct ov_req *next = *p;
    if (next)
        next->started = true;
    ws2_es_sync_locked(s);
    pthread_mutex_unlock(&s->lock);
    atomic_store_explicit(&q->c.ov->internal, (uintptr_t)w2u_wsa_to_status((uint32_t)-r), memory_order_relaxed);
    if (next && start(next) < 0)
        finish(next, W2U_STATUS_CANCELLED, 0, false);
fail:
    req_free(q);
    return r;
}

/* Waits for a request started on h to end: 0 with the byte count, or its
 * error as a -WSA error. */
static int wait_outcome(uintptr_t h, struct iocp_overlapped *ov, uint32_t *bytes)
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
    return wait_outcome(h, op->nt ? (struct iocp_overlapped *)op->nt->iosb : op->ov, bytes_now);
}


/* ---- AcceptEx, ConnectEx, DisconnectEx -------------------------------------------------------- */

/* AcceptEx's address blocks, after the data: a 4-byte length, then the
 * Windows sockaddr.  GetAcceptExSockaddrs reads the same layout. */
static void put_address(char *block, const struct sockaddr_storage *ss, unsigned len)
{
    int wl = 28;
    uint32_t l32;
    if (ws2_addr_from_linux(ss, len, block + sizeof(uint32_t), &wl) < 0)
        wl = 0;
    l32 = (uint32_t)wl;
    memcpy(block, &l32, sizeof(l32));
}

static void write_addresses(struct ov_req *r)
{
    struct sockaddr_storage local;
    socklen_t ll = sizeof(local);
    memset(&local, 0, sizeof(local));
    getsockname(r->peer->fd, (struct sockaddr *)&local, &ll);
    put_address(r->buf + r->datalen, &local, ll);
    put_address(r->buf + r->datalen + r->locallen, &r->addr, r->addrlen);
}

static void mark_connected(struct ws2_socket *s, bool accepted)
{
    pthread_mutex_lock(&s->lock);
    s->accepted = accepted;
    ws2_mark_connected_locked(s);
    pthread_mutex_unlock(&s->lock);
}

/* The AcceptEx with ov no longer holds the accept socket a: it is free
 * for another. */
static void release_acceptor(struct ws2_socket *a, const void *ov)
{
    pthread_mutex_lock(&a->lock);
    if (a->accept_ov == ov) {
        a->accept_on = 0;
        a->accept_ov = NULL;
    }
    pthread_mutex_unlock(&a->lock);
}

/* An AcceptEx ends. */
static void accept_finish(struct ov_req *r, uint32_t status, uintptr_t bytes)
{
    release_acceptor(r->peer, r->c.ov);
    finish(r, status, bytes, false);
}

void ws2_accept_socket_closing(struct ws2_socket *a)
{
    pthread_mutex_lock(&a->lock);
    uintptr_t on = a->accept_on;
    pthread_mutex_unlock(&a->lock);
    struct ws2_socket *l;
    if (!on || ws2_socket_get(on, &l) < 0)
        return;
    /* A completion may wait, unreaped, in the listener's port ring (only
     * the port's waiters reap it): what has happened counts. */
    if (l->binding.own_port)
        iocp_port_drain(l->binding.own_port);
    pthread_mutex_lock(&a->lock);
    on = a->accept_on;
    const void *ov = a->accept_ov;
    pthread_mutex_unlock(&a->lock);
    if (on)
        cancel_matching(l, ov, 0);
    ws2_socket_put(l);
}

/* The connection fd is AcceptEx's: it takes the accept socket's
 * descriptor number, so the SOCKET (and everything holding the fd) stays
 * as it was; then the first data, if asked for, or the end. */
static void accepted(struct ov_req *r, int fd)
{
    if (dup3(fd, r->peer->fd, O_CLOEXEC) < 0) {
        int e = errno;
        close(fd);
        accept_finish(r, w2u_errno_to_status(e), 0);
        return;
    }
    close(fd);
    mark_connected(r->peer, true);
    if (r->datalen) {
        r->phase = 1;
        r->iov[0].iov_base = r->buf;
        r->iov[0].iov_len = r->datalen;
        memset(&r->msg, 0, sizeof(r->msg));
        r->msg.msg_iov = r->iov;
        r->msg.msg_iovlen = 1;
        /* The first data is often there with the connection: take it now
         * (end of stream too: a connection closed at once gives 0 bytes). */
        ssize_t n = ws2_recvmsg(r->peer->fd, &r->msg, MSG_DONTWAIT);
        if (n >= 0) {
            write_addresses(r);
            accept_finish(r, W2U_STATUS_SUCCESS, (uintptr_t)n);
            return;
        }
        int e = submit(r);
        if (e < 0)
            accept_finish(r, w2u_errno_to_status(-e), 0);
        return;
    }
    write_addresses(r);
    accept_finish(r, W2U_STATUS_SUCCESS, 0);
}

static void accept_done(struct ur_req *ur, int res, uint32_t flags)
{
    struct ov_req *r = W2U_CONTAINER_OF(ur, struct ov_req, ur);
    (void)flags;
    if (resubmit_unfinished(r, &res))
        return;
    if (r->phase == 1 && retry_after_fault(r, &res))
        return;
    if (res < 0) {
        accept_finish(r, w2u_errno_to_status(-res), 0);
        return;
    }
    if (r->phase == 0 && r->too_small) {
        /* A connection came; Windows leaves it queued for another accept. */
        accept_finish(r, W2U_STATUS_BUFFER_TOO_SMALL, 0);
        return;
    }
    if (r->phase == 0) {
        accepted(r, res);
        return;
    }
    write_addresses(r);
    accept_finish(r, W2U_STATUS_SUCCESS, (uintptr_t)res);
}

/* A request on s for the extension calls (not a receive or send). */
static struct ov_req *ext_request(struct ws2_socket *s, int kind, struct iocp_overlapped *ov, ur_callback cb)
{
    struct ov_req *q = calloc(1, sizeof(*q));
    if (!q)
        return NULL;
    atomic_init(&q->refs, 1);
    q->iov = q->iov_inline;
    q->sock = s;
    q->kind = kind;
    q->ur.cb = cb;
    q->c.binding = &s->binding;
    q->c.ov = ov;
    q->c.packet.release = req_release;
    q->thread_id = w2u_thread_id();
    return q;
}

/* Enqueues and submits; -WSA_IO_PENDING, or the error (no completion). */
static int ext_start(struct ov_req *q)
{
    mark_pending(q->sock, q->c.ov);
    enqueue(q);
    int e = submit(q);
    if (e == 0)
        return -W2U_WSA_IO_PENDING;
    struct ws2_socket *s = q->sock;
    pthread_mutex_lock(&s->lock);
    for (struct ov_req **p = list_of(s, q); *p; p = &(*p)->next)
        if (*p == q) {
            *p = q->next;
            break;
        }
    pthread_mutex_unlock(&s->lock);
    req_free(q);
    return -(int)w2u_errno_to_wsa(-e);
}

/* ---- operations that finish inside the call, or wait for a cancel ---------------------------
 * WSAIoctl's codes are answered inside the call; with an OVERLAPPED their
 * outcome is delivered like any completion (port packet, event, completion
 * routine).  A change notification (SIO_ADDRESS_LIST_CHANGE) waits for a
 * change ws2uring does not watch: it stays queued, not started, until a
 * cancel or closesocket completes it. */

static int now_request(uintptr_t h, struct iocp_overlapped *ov, w2u_completion_routine routine, int kind,
                       struct ov_req **out)
{
    struct ws2_socket *s;
    int r = ws2_socket_get(h, &s);
    if (r < 0)
        return r;
    struct ov_req *q = ov ? ext_request(s, kind, ov, NULL) : NULL;
    if (!q) {
        ws2_socket_put(s);
        return ov ? -W2U_WSAENOBUFS : -W2U_WSAEFAULT;
    }
    set_routine(q, routine);
    mark_pending(s, ov);
    *out = q;
    return 0;
}

int ws2_complete_now(uintptr_t h, struct iocp_overlapped *ov, w2u_completion_routine routine, uint32_t status,
                     uintptr_t information, bool synchronous)
{
    struct ov_req *q;
    int r = now_request(h, ov, routine, OV_NOW, &q);
    if (r == 0)
        deliver(q, status, information, synchronous);
    return r;
}

int ws2_park(uintptr_t h, struct iocp_overlapped *ov, w2u_completion_routine routine)
{
    struct ov_req *q;
    int r = now_request(h, ov, routine, OV_PARKED, &q);
    if (r < 0)
        return r;
    struct ws2_socket *s = q->sock;
    pthread_mutex_lock(&s->lock);
    q->next = s->ov_others;           /* not started: a cancel completes it */
    s->ov_others = q;
    pthread_mutex_unlock(&s->lock);
    return -W2U_WSA_IO_PENDING;
}

/* Takes the connection WSAAccept deferred on l, if any: its descriptor (a
 * copy) and peer address into q; -1 if there is none. */
static int take_deferred(struct ws2_socket *l, struct ov_req *q)
{
    pthread_mutex_lock(&l->lock);
    uintptr_t d = l->deferred;
    l->deferred = 0;
    pthread_mutex_unlock(&l->lock);
    struct ws2_socket *ds;
    if (!d || ws2_socket_get(d, &ds) < 0)
        return -1;
    socklen_t al = sizeof(q->addr);
    int fd = fcntl(ds->fd, F_DUPFD_CLOEXEC, 0);
    if (fd >= 0 && getpeername(fd, (struct sockaddr *)&q->addr, &al) == 0)
        q->addrlen = al;
    ws2_socket_put(ds);
    w2u_handle_close(d);
    return fd;
}

int ws2_accept_ex(uintptr_t listener, uintptr_t acceptor, void *buf, uint32_t datalen,
                  uint32_t locallen, uint32_t remotelen, struct iocp_overlapped *ov)
{
    struct ws2_socket *l, *a;
    /* Windows marks the OVERLAPPED pending before it checks anything. */
    if (ov)
        atomic_store_explicit(&ov->internal, W2U_STATUS_PENDING, memory_order_relaxed);
    int r = ws2_socket_get(listener, &l);
    if (r < 0)
        return r;
    if ((r = ws2_socket_get(acceptor, &a)) < 0) {
        ws2_socket_put(l);
        return r;
    }
    unsigned need = (l->family == AF_INET6 ? 28 : 16) + 16;
    if (!ov)
        r = -W2U_WSA_INVALID_PARAMETER;
    else if (!ws2_is(l, W2U_ST_LISTENING))
        r = -W2U_WSAEINVAL;
    else if (!buf || !remotelen)
        r = -W2U_WSAEFAULT;
    if (r == 0) {
        /* A fresh stream socket of the family, and one AcceptEx at a time. */
        pthread_mutex_lock(&a->lock);
        if (ws2_is(a, W2U_ST_BOUND | W2U_ST_CONNECTED | W2U_ST_CONNECTING | W2U_ST_LISTENING) || a->accept_on ||
            a->family != l->family || a->type != SOCK_STREAM)
            r = -W2U_WSAEINVAL;
        else {
            a->accept_on = listener;
            a->accept_ov = ov;
        }
        pthread_mutex_unlock(&a->lock);
    }
    struct ov_req *q = r == 0 ? ext_request(l, OV_ACCEPT, ov, accept_done) : NULL;
    if (r == 0 && !q) {
        release_acceptor(a, ov);
        r = -W2U_WSAENOBUFS;
    }
    if (r < 0) {
        ws2_socket_put(a);
        ws2_socket_put(l);
        return r;
    }
    q->peer = a;                     /* both references pass to the request */
    q->buf = buf;
    q->datalen = datalen;
    q->locallen = locallen;
    q->remotelen = remotelen;
    q->addrlen = sizeof(q->addr);
    /* A local length of 0 asks for no local address; any other too small
     * fails when a connection comes, as does a small remote one. */
    q->too_small = (locallen && locallen < need) || remotelen < need;
    int fd = q->too_small ? -1 : take_deferred(l, q);
    if (fd < 0) {
        w2u_object_ref(&a->obj);     /* the request may be gone when this returns */
        r = ext_start(q);
        if (r != -W2U_WSA_IO_PENDING)
            release_acceptor(a, ov);
        ws2_socket_put(a);
        return r;
    }
    /* The connection WSAAccept deferred is the next one accepted. */
    mark_pending(l, ov);
    enqueue(q);
    accepted(q, fd);
    return -W2U_WSA_IO_PENDING;
}

int ws2_accept_addresses(const void *buf, uint32_t datalen, uint32_t locallen, void **local,
                         int *local_len, void **remote, int *remote_len)
{
    const char *b = buf;
    uint32_t l32;
    if (!b)
        return -W2U_WSAEFAULT;
    if (local || local_len) {
        memcpy(&l32, b + datalen, sizeof(l32));
        if (local)
            *local = (void *)(b + datalen + sizeof(uint32_t));
        if (local_len)
            *local_len = (int)l32;
    }
    if (remote || remote_len) {
        memcpy(&l32, b + datalen + locallen, sizeof(l32));
        if (remote)
            *remote = (void *)(b + datalen + locallen + sizeof(uint32_t));
        if (remote_len)
            *remote_len = (int)l32;
    }
    return 0;
}

static void connect_done(struct ur_req *ur, int res, uint32_t flags)
{
    struct ov_req *r = W2U_CONTAINER_OF(ur, struct ov_req, ur);
    (void)flags;
    if (resubmit_unfinished(r, &res))
        return;
    struct ws2_socket *s = r->sock;
    if (r->phase == 0) {
        pthread_mutex_lock(&s->lock);
        s->connect_ex = false;
        if (res < 0)
            ws2_state_change(s, 0, W2U_ST_CONNECTING);
        pthread_mutex_unlock(&s->lock);
    }
    if (res < 0) {
        finish(r, w2u_errno_to_status(-res), r->done, false);
        return;
    }
    if (r->phase == 0) {
        mark_connected(s, false);
        ws2_es_state_changed(s);
        if (!r->left) {
            finish(r, W2U_STATUS_SUCCESS, 0, false);
            return;
        }
        r->phase = 1;                /* then the optional first data, in full */
        r->send = true;
    } else {
        if (sent_all(r, (size_t)res)) {
            finish(r, W2U_STATUS_SUCCESS, r->done, false);
            return;
        }
    }
    memset(&r->msg, 0, sizeof(r->msg));
    r->msg.msg_iov = r->pos;
    r->msg.msg_iovlen = ws2_iov_step(r->left);
    int e = submit(r);
    if (e < 0)
        finish(r, w2u_errno_to_status(-e), r->done, false);
}

int ws2_connect_ex(uintptr_t h, const void *addr, int addrlen, const void *buf, uint32_t buflen,
                   struct iocp_overlapped *ov)
{
    struct ws2_socket *s;
    int r = ws2_socket_get(h, &s);
    if (r < 0)
        return r;
    struct ov_req *q = NULL;
    unsigned sl;
    /* As AcceptEx: pending first, whatever the checks find. */
    if (ov)
        atomic_store_explicit(&ov->internal, W2U_STATUS_PENDING, memory_order_relaxed);
    ws2_refresh_connect(s);
    if (!ov)
        r = -W2U_WSA_INVALID_PARAMETER;
    else if (s->type != SOCK_STREAM || ws2_is(s, W2U_ST_LISTENING | W2U_ST_CONNECTING) || s->accept_on)
        r = -W2U_WSAEINVAL;
    else if (ws2_is(s, W2U_ST_CONNECTED))
        r = -W2U_WSAEISCONN;
    else if (!ws2_is(s, W2U_ST_BOUND))
        r = -W2U_WSAEINVAL;          /* ConnectEx wants a bound socket */
    else if (!(q = ext_request(s, OV_CONNECT, ov, connect_done)))
        r = -W2U_WSAENOBUFS;
    else if ((r = ws2_addr_for(s, addr, addrlen, &q->addr, &sl)) == 0)
        r = ws2_addr_check_peer(&q->addr);
    if (r < 0) {
        if (q)
            req_free(q);             /* drops the socket reference with it */
        else
            ws2_socket_put(s);
        return r;
    }
    q->addrlen = sl;
    if (buf && buflen) {
        /* Windows takes the data with the call: the program may reuse its
         * buffer at once. */
        if (!(q->chunk_buf = malloc(buflen))) {
            req_free(q);
            return -W2U_WSAENOBUFS;
        }
        memcpy(q->chunk_buf, buf, buflen);
        q->iov[0].iov_base = q->chunk_buf;
        q->iov[0].iov_len = buflen;
        q->pos = q->iov;
        q->left = 1;
    }
    pthread_mutex_lock(&s->lock);
    s->connect_ex = true;
    ws2_state_change(s, W2U_ST_CONNECTING, 0);
    pthread_mutex_unlock(&s->lock);
    return ext_start(q);
}

static void disconnect(struct ws2_socket *s, uint32_t flags);

int ws2_disconnect_ex(uintptr_t h, uint32_t flags, struct iocp_overlapped *ov)
{
    struct ws2_socket *s;
    int r = ws2_socket_get(h, &s);
    if (r < 0)
        return r;
    if (flags & ~W2U_TF_REUSE_SOCKET) {
        ws2_socket_put(s);
        return -W2U_WSAEINVAL;
    }
    ws2_refresh_connect(s);
    if (!ws2_is(s, W2U_ST_CONNECTED)) {
        ws2_socket_put(s);
        return -W2U_WSAENOTCONN;
    }
    struct ov_req *q = NULL;
    if (ov && !(q = ext_request(s, OV_CONNECT, ov, connect_done))) {
        ws2_socket_put(s);
        return -W2U_WSAENOBUFS;
    }
    if (flags & W2U_TF_REUSE_SOCKET)
        ws2_cancel_all(s);      /* the connection's requests end with it */
    disconnect(s, flags);
    if (!q) {
        ws2_socket_put(s);
        return 0;               /* no OVERLAPPED: done, synchronously */
    }
    /* Windows reports it pending even though it is done: the completion
     * (event, port packet) is there by the time the call returns. */
    mark_pending(s, ov);
    iocp_complete(&q->c, W2U_STATUS_SUCCESS, 0, false);
    return -W2U_WSA_IO_PENDING;
}

/* Ends the connection.  Without TF_REUSE_SOCKET that is Windows' graceful
 * close of the sending side: the socket stays connected, receives go on,
 * sends fail with WSAESHUTDOWN.  With it, a fresh socket takes the same
 * descriptor, so the handle can serve AcceptEx or ConnectEx again. */
static void disconnect(struct ws2_socket *s, uint32_t flags)
{
    if (flags & W2U_TF_REUSE_SOCKET) {
        shutdown(s->fd, SHUT_RDWR);
        int fd = socket(s->family, s->type | SOCK_NONBLOCK | SOCK_CLOEXEC, s->protocol);
        if (fd >= 0) {
            ws2_bind_forget(s);
            ws2_bind_prepare_fd(fd, s->family);
            dup3(fd, s->fd, O_CLOEXEC);
            close(fd);
            pthread_mutex_lock(&s->lock);
            ws2_state_change(s, 0, W2U_ST_BOUND | W2U_ST_CONNECTED | W2U_ST_CONNECTING | W2U_ST_LISTENING |
                                       W2U_ST_SHUT_SEND | W2U_ST_SHUT_RECV);
            s->connect_time = 0;
            pthread_mutex_unlock(&s->lock);
        }
    } else {
        shutdown(s->fd, SHUT_WR);
        pthread_mutex_lock(&s->lock);
        ws2_state_change(s, W2U_ST_SHUT_SEND, 0);
        pthread_mutex_unlock(&s->lock);
    }
}

int64_t ws2_connect_time(struct ws2_socket *s)
{
    return s->connect_time;
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
static unsigned cancel_matching(struct ws2_socket *s, const void *ov, uint32_t thread_id)
{
    struct ov_req *waiting = NULL, **wtail = &waiting;
    struct ov_req *running = NULL;    /* linked through cancel_next */
    struct ur_ring *rings[CANCEL_RINGS] = { NULL };
    bool by_fd = !ov && !thread_id && ur_get_caps()->cancel_fd_all;   /* 5.19 has it */
    unsigned n = 0;
    void **lists[3] = { &s->ov_recvs, &s->ov_sends, &s->ov_others };

    pthread_mutex_lock(&s->lock);
    for (int d = 0; d < 3; d++) {
        struct ov_req **p = (struct ov_req **)lists[d];
        while (*p) {
            struct ov_req *r = *p;
            bool match = (!ov || req_identity(r) == ov) && (!thread_id || r->thread_id == thread_id);
            if (!match) {
                p = &r->next;
                continue;
            }
            n++;
            if (!r->started) {
                *p = r->next;          /* never started: complete it here */
                r->next = NULL;
                *wtail = r;
                wtail = &r->next;
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
            if (by_fd && listed && r->kind != OV_ACCEPT && r->kind != OV_TRANSMIT) {
                p = &r->next;
                continue;
            }
            r->cancel_next = running;
            running = r;
            atomic_fetch_add(&r->refs, 1);   /* kept alive until its cancel is in */
            p = &r->next;
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
        req_free(r);
    }
    while (waiting) {
        struct ov_req *r = waiting;
        waiting = r->next;
        deliver(r, W2U_STATUS_CANCELLED, 0, false);
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
    r = (int)cancel_matching(s, ov, this_thread ? w2u_thread_id() : 0);
    ws2_socket_put(s);
    return r;
}

void ws2_cancel_all(struct ws2_socket *s)
{
    cancel_matching(s, NULL, 0);
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

/* ---- TransmitFile, TransmitPackets ---------------------------------------------------------
 * One request walks through its parts, each step one io_uring operation:
 * a buffer is sent in full; a file range is read a chunk at a time at its
 * offset, and each chunk sent in full.  The request sits in the socket's
 * send queue, so it keeps its place among overlapped sends; a cancel stops
 * it at the step in flight.  Phases: 0 sending a buffer, 1 reading a chunk,
 * 2 sending a chunk. */

/* The next step to send is one buffer. */
static void send_one(struct ov_req *r, void *buf, size_t len)
{
    r->iov[0] = (struct iovec){ buf, len };
    r->pos = r->iov;
    r->left = 1;
    r->msg.msg_iov = r->iov;
    r->msg.msg_iovlen = 1;
}

/* Starts the next step: 0, -errno, or 1 when everything is sent. */
static int transmit_next(struct ov_req *r)
{
    for (; r->part < r->nparts; r->part++) {
        struct tx_part *p = &r->parts[r->part];
        if (!part_is_file(p) && p->len) {
            /* Consecutive buffers go out in one send (on a stream the same
             * bytes in the same order, for one system call; on a datagram
             * socket one datagram) up to an element marked end of packet. */
            unsigned k = 0;
            while (r->part < r->nparts && !part_is_file(&r->parts[r->part]) && k < r->iov_cap) {
                struct tx_part *b = &r->parts[r->part++];
                if (b->len) {
                    r->iov[k++] = (struct iovec){ b->buf, b->len };
                    b->len = 0;                     /* in the iovec now */
                }
                if (b->eop)
                    break;
            }
            r->phase = 0;
            r->pos = r->iov;
            r->left = k;
            r->msg.msg_iov = r->iov;
            r->msg.msg_iovlen = k;
            return submit(r);
        }
        if (part_is_file(p) && p->left) {
            r->phase = 1;
            r->fiov.iov_base = r->chunk_buf;
            r->fiov.iov_len = p->left < r->chunk ? (size_t)p->left : r->chunk;
            return submit(r);
        }
    }
    return 1;
}

/* Everything sent: the disconnect it asked for, then the completion. */
static void transmit_finish(struct ov_req *r, bool synchronous)
{
    if (r->tflags & W2U_TF_DISCONNECT)
        disconnect(r->sock, r->tflags);
    finish(r, W2U_STATUS_SUCCESS, r->done, synchronous);
}

static void transmit_done(struct ur_req *ur, int res, uint32_t flags)
{
    struct ov_req *r = W2U_CONTAINER_OF(ur, struct ov_req, ur);
    (void)flags;
    if (resubmit_unfinished(r, &res))
        return;
    if (res < 0) {
        finish(r, w2u_errno_to_status(-res), r->done, false);
        return;
    }
    if (atomic_load(&r->cancelled)) {
        finish(r, W2U_STATUS_CANCELLED, r->done, false);
        return;
    }
    int e;
    if (r->phase == 1) {
        /* A chunk read: send it.  End of file ends the range early. */
        struct tx_part *p = &r->parts[r->part];
        p->off += (uint64_t)res;
        p->left = res ? p->left - (uint64_t)res : 0;
        if (res) {
            r->phase = 2;
            send_one(r, r->chunk_buf, (size_t)res);
            e = submit(r);
        } else {
            e = transmit_next(r);
        }
    } else {
        e = sent_all(r, (size_t)res) ? transmit_next(r) : submit(r);
    }
    if (e == 1)
        transmit_finish(r, false);
    else if (e < 0)
        finish(r, w2u_errno_to_status(-e), r->done, false);
}

/* A queued request's turn: a transmit begins with its first part (and may
 * have nothing to send at all); others are submitted as they are. */
static int start(struct ov_req *r)
{
    if (r->kind != OV_TRANSMIT)
        return submit(r);
    int e = transmit_next(r);
    if (e == 1)
        transmit_finish(r, false);
    return e == 1 ? 0 : e;
}

/* Checks and copies the elements into q's parts: 0 or -WSA error. */
static int transmit_parts(struct ov_req *q, const struct ws2_tx_element *els, unsigned n)
{
    if (n && !els)
        return -W2U_WSAEFAULT;
    if (!(q->parts = calloc(n ? n : 1, sizeof(*q->parts))))
        return -W2U_WSAENOBUFS;
    bool files = false;
    unsigned bufs = 0;
    for (unsigned i = 0; i < n; i++, q->nparts++) {
        struct tx_part *p = &q->parts[i];
        if (els[i].file) {
            if (file_descriptor(els[i].file, &p->file, &p->fd) < 0)
                return -W2U_WSAEINVAL;
            p->own_fd = !p->file;
            p->off = els[i].offset;
            p->left = els[i].len ? els[i].len : UINT64_MAX;
            files = true;
        } else {
            if (els[i].len && !els[i].buf)
                return -W2U_WSAEFAULT;
            p->buf = els[i].buf;
            p->len = els[i].len;
            p->eop = els[i].eop;
            bufs++;
        }
    }
    q->iov_cap = INLINE_BUFS;
    if (bufs > INLINE_BUFS) {
        q->iov_cap = bufs < INLINE_IOVS ? bufs : INLINE_IOVS;
        if (!(q->iov = calloc(q->iov_cap, sizeof(*q->iov)))) {
            q->iov = q->iov_inline;
            return -W2U_WSAENOBUFS;
        }
    }
    if (files && !(q->chunk_buf = malloc(q->chunk)))
        return -W2U_WSAENOBUFS;
    return 0;
}

int ws2_transmit(uintptr_t h, const struct ws2_tx_element *els, unsigned n, uint32_t per_send,
                 uint32_t flags, struct iocp_overlapped *ov)
{
    struct ws2_socket *s;
    int r = ws2_socket_get(h, &s);
    if (r < 0)
        return r;
    ws2_refresh_connect(s);
    /* A datagram socket sends to its connected peer, and has nothing to
     * disconnect. */
    int bad = !ov ? -W2U_WSAEFAULT
            : ws2_is(s, W2U_ST_SHUT_SEND) ? -W2U_WSAESHUTDOWN
            : !ws2_is(s, W2U_ST_CONNECTED) ? -W2U_WSAENOTCONN
            : ((flags & W2U_TF_REUSE_SOCKET) && !(flags & W2U_TF_DISCONNECT)) ? -W2U_WSAEINVAL
            : (s->type != SOCK_STREAM && s->type != SOCK_DGRAM) ? -W2U_WSAEOPNOTSUPP
            : (s->type == SOCK_DGRAM && (flags & W2U_TF_DISCONNECT)) ? -W2U_WSAEOPNOTSUPP : 0;
    if (bad) {
        ws2_socket_put(s);
        return bad;
    }
    struct ov_req *q = ext_request(s, OV_TRANSMIT, ov, transmit_done);
    if (!q) {
        ws2_socket_put(s);
        return -W2U_WSAENOBUFS;
    }
    q->send = true;
    q->tflags = flags;
    q->chunk = per_send ? (per_send < (1u << 20) ? per_send : 1u << 20) : 65536;
    if ((r = transmit_parts(q, els, n)) < 0) {
        req_free(q);
        return r;
    }
    mark_pending(s, ov);
    if (!enqueue(q))
        return -W2U_WSA_IO_PENDING;    /* after the sends before it */
    int e = transmit_next(q);
    if (e == 1) {
        transmit_finish(q, true);      /* nothing to send at all: done now */
        return 0;
    }
    if (e < 0)
        finish(q, w2u_errno_to_status(-e), 0, false);
    return -W2U_WSA_IO_PENDING;
}

int ws2_transmit_sync(uintptr_t h, const struct ws2_tx_element *els, unsigned n, uint32_t per_send,
                      uint32_t flags)
{
    /* No event and the low bit set: nothing is signalled and no packet
     * reaches the socket's port; the wait is on the socket itself. */
    struct iocp_overlapped own = { .event = 1 };
    int r = ws2_transmit(h, els, n, per_send, flags, &own);
    return r == -W2U_WSA_IO_PENDING ? wait_outcome(h, &own, NULL) : r;
}

int ws2_file_position(uintptr_t file, uint64_t *at)
{
    int fd;
    struct w2u_object *obj;
    if (file_descriptor(file, &obj, &fd) < 0)
        return -W2U_WSAEINVAL;
    off_t pos = lseek(fd, 0, SEEK_CUR);     /* a host's duplicate shares the position */
    if (obj)
        w2u_object_unref(obj);
    else
        close(fd);
    if (pos < 0)
        return -W2U_WSAEINVAL;
    *at = (uint64_t)pos;
    return 0;
}
