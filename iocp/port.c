/* Completion ports (model: see iocp.h). */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../uring-backend/uring.h"
#include "iocp_internal.h"

#define PORT_RING_ENTRIES 256u
#define REAP_BATCH        64u
#define POOL_MAX          1024u   /* posted packets kept for reuse, per port */

enum waiter_state { W_WAITING, W_PACKET, W_LEAD, W_ABANDONED };

struct waiter {
    struct waiter *newer, *older;      /* LIFO stack: top is the newest */
    struct iocp_thread *thread;
    _Atomic int state;
    struct iocp_packet *packet;        /* with W_PACKET */
};

struct iocp_port {
    struct w2u_object obj;
    struct iocp_port_sink sink;
    struct w2u_mutex lock;
    struct iocp_packet *head, **tail;
    size_t queued;
    struct waiter *top;
    _Atomic unsigned nwaiters;
    unsigned active, limit;
    bool closed;
    _Atomic bool leader;               /* a thread is reaping the ring */
    bool kick_pending;                 /* a wake CQE is on its way to the leader */
    struct ur_ring *_Atomic ring;
    /* Packets of PostQueuedCompletionStatus are recycled here (as Windows
     * does with lookaside lists): no allocation per post in steady state. */
    struct iocp_packet *pool;
    unsigned pooled;
    /* Waiters handed something under the lock, woken once it is released
     * (port_unlock): woken at once, a waiter would often run on this CPU
     * straight away only to find the lock still held. */
    struct iocp_thread *wakes[8];
    unsigned nwakes;
};

static void post_release(struct iocp_packet *p);

/* ---- queue and hand-off, with port->lock held ------------------------------- */

static struct iocp_packet *dequeue(struct iocp_port *port)
{
    struct iocp_packet *p = port->head;
    port->head = p->next;
    if (!port->head)
        port->tail = &port->head;
    port->queued--;
    return p;
}

static void waiter_pop(struct iocp_port *port, struct waiter *w)
{
    if (w->newer)
        w->newer->older = w->older;
    else
        port->top = w->older;
    if (w->older)
        w->older->newer = w->newer;
    w->newer = w->older = NULL;
    atomic_fetch_sub_explicit(&port->nwaiters, 1, memory_order_seq_cst);
}

static void waiter_push(struct iocp_port *port, struct waiter *w)
{
    w->newer = NULL;
    w->older = port->top;
    if (port->top)
        port->top->newer = w;
    port->top = w;
    atomic_fetch_add_explicit(&port->nwaiters, 1, memory_order_seq_cst);
}

static void hand(struct iocp_port *port, struct waiter *w, int state, struct iocp_packet *p)
{
    waiter_pop(port, w);
    w->packet = p;
    atomic_store_explicit(&w->state, state, memory_order_release);
    if (port->nwakes == W2U_ARRAY_SIZE(port->wakes)) {
        iocp_thread_wake(w->thread);
        return;
    }
    /* The waiter may see its state, return and end before the wake: the
     * reference keeps its thread object until then. */
    iocp_thread_ref(w->thread);
    port->wakes[port->nwakes++] = w->thread;
}

/* Releases the lock, then wakes the waiters handed something under it. */
static void port_unlock(struct iocp_port *port)
{
    struct iocp_thread *wakes[W2U_ARRAY_SIZE(port->wakes)];
    unsigned n = port->nwakes;
    memcpy(wakes, port->wakes, n * sizeof(wakes[0]));
    port->nwakes = 0;
    w2u_mutex_unlock(&port->lock);
    for (unsigned i = 0; i < n; i++) {
        iocp_thread_wake(wakes[i]);
        iocp_thread_unref(wakes[i]);
    }
}

static bool ring_needs_leader(struct iocp_port *port)
{
    struct ur_ring *ring = atomic_load_explicit(&port->ring, memory_order_acquire);
    return ring && !atomic_load_explicit(&port->leader, memory_order_seq_cst) &&
           ur_ring_inflight(ring) > 0;
}

/* Hands queued packets to the newest waiters while the concurrency limit
 * allows; then, if requests are in flight and nobody reaps, makes the
 * newest remaining waiter the leader. */
static void dispatch(struct iocp_port *port)
{
    while (port->top && port->queued && port->active < port->limit) {
        port->active++;
        hand(port, port->top, W_PACKET, dequeue(port));
    }
    if (port->top && !port->queued && ring_needs_leader(port))
        hand(port, port->top, W_LEAD, NULL);
}

/* Wakes a leader blocked in io_uring_enter so it looks at the queue. */
static void kick_leader(struct iocp_port *port)
{
    if (atomic_load_explicit(&port->leader, memory_order_acquire) && !port->kick_pending) {
        port->kick_pending = true;
        ur_post(port->ring, NULL);
    }
}

/* ---- the sink: packets in ------------------------------------------------------- */

/* With the lock held: queues p and hands it on. false if the port is
 * closed (the caller releases p after unlocking). */
static bool push_locked(struct iocp_port *port, struct iocp_thread *t, struct iocp_packet *p)
{
    p->next = NULL;
    if (port->closed)
        return false;
    /* The leader keeps the first completion it reaps for itself: no hand-off,
     * no wake-up, the cache stays warm. */
    if (t->reaping_for == port && !t->kept && port->active < port->limit) {
        port->active++;
        t->kept = p;
        return true;
    }
    *port->tail = p;
    port->tail = &p->next;
    port->queued++;
    dispatch(port);
    if (port->queued && !port->top && t->reaping_for != port)
        kick_leader(port);
    return true;
}

static void port_push(struct iocp_port_sink *sink, struct iocp_packet *p)
{
    struct iocp_port *port = W2U_CONTAINER_OF(sink, struct iocp_port, sink);

    w2u_mutex_lock(&port->lock);
    bool queued = push_locked(port, iocp_thread_self(), p);
    port_unlock(port);
    if (!queued && p->release)
        p->release(p);
}

static void port_sink_ref(struct iocp_port_sink *sink)
{
    w2u_object_ref(&W2U_CONTAINER_OF(sink, struct iocp_port, sink)->obj);
}

static void port_sink_unref(struct iocp_port_sink *sink)
{
    w2u_object_unref(&W2U_CONTAINER_OF(sink, struct iocp_port, sink)->obj);
}

static const struct iocp_port_sink_ops port_sink_ops = {
    .push = port_push,
    .ref = port_sink_ref,
    .unref = port_sink_unref,
};

/* ---- object life ------------------------------------------------------------------ */

static void port_close(struct w2u_object *obj)
{
    struct iocp_port *port = W2U_CONTAINER_OF(obj, struct iocp_port, obj);
    struct iocp_packet *list;

    w2u_mutex_lock(&port->lock);
    port->closed = true;
    while (port->top)
        hand(port, port->top, W_ABANDONED, NULL);
    kick_leader(port);
    list = port->head;
    port->head = NULL;
    port->tail = &port->head;
    port->queued = 0;
    port_unlock(port);
    /* Packets nobody will dequeue any more. */
    while (list) {
        struct iocp_packet *next = list->next;
        if (list->release)
            list->release(list);
        list = next;
    }
}

static void port_destroy(struct w2u_object *obj)
{
    struct iocp_port *port = W2U_CONTAINER_OF(obj, struct iocp_port, obj);
    struct ur_ring *ring = atomic_load(&port->ring);

    if (ring) {
        /* Requests hold their handle and handles hold the port, so none is
         * in flight now: what is left are internal wake-ups (kicks, APC
         * posts). Consume them before the ring goes. */
        while (ur_reap(ring, 0, UINT32_MAX) > 0)
            ;
        ur_ring_destroy(ring);
    }
    while (port->pool) {
        struct iocp_packet *p = port->pool;
        port->pool = p->next;
        free(p);
    }
    free(port);
}

static const struct w2u_object_ops port_ops = {
    .type = W2U_OBJ_PORT,
    .name = "completion port",
    .close = port_close,
    .destroy = port_destroy,
};

uint32_t iocp_port_create(unsigned concurrency, uintptr_t *handle)
{
    struct iocp_port *port = calloc(1, sizeof(*port));
    if (!port)
        return W2U_STATUS_NO_MEMORY;
    if (!concurrency) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        concurrency = n > 0 ? (unsigned)n : 1;
    }
    port->limit = concurrency;
    port->tail = &port->head;
    port->sink.ops = &port_sink_ops;
    if (w2u_handle_alloc(&port->obj, &port_ops, handle) < 0) {
        free(port);
        return W2U_STATUS_INSUFFICIENT_RESOURCES;
    }
    return W2U_STATUS_SUCCESS;
}

struct iocp_port *iocp_port_get(uintptr_t handle)
{
    struct w2u_object *obj = w2u_handle_get(handle, W2U_OBJ_PORT);
    return obj ? W2U_CONTAINER_OF(obj, struct iocp_port, obj) : NULL;
}

void iocp_port_put(struct iocp_port *port)
{
    w2u_object_unref(&port->obj);
}

struct iocp_port_sink *iocp_port_as_sink(struct iocp_port *port)
{
    return &port->sink;
}

struct ur_ring *iocp_port_ring(struct iocp_port *port, uint32_t *status)
{
    struct ur_ring *ring = atomic_load_explicit(&port->ring, memory_order_acquire);
    if (ring)
        return ring;
    w2u_mutex_lock(&port->lock);
    ring = atomic_load_explicit(&port->ring, memory_order_relaxed);
    if (!ring) {
        int r = ur_ring_create(&ring, PORT_RING_ENTRIES);
        if (r < 0) {
            port_unlock(port);
            *status = r == -ENOMEM ? W2U_STATUS_NO_MEMORY : W2U_STATUS_NOT_SUPPORTED;
            return NULL;
        }
        atomic_store_explicit(&port->ring, ring, memory_order_release);
    }
    port_unlock(port);
    return ring;
}

void iocp_port_submitted(struct iocp_port *port)
{
    /* Pairs with the waiter, which announces itself (nwaiters) before it
     * looks at the ring's in-flight count: one of the two sees the other. */
    if (atomic_load_explicit(&port->leader, memory_order_seq_cst) ||
        !atomic_load_explicit(&port->nwaiters, memory_order_seq_cst))
        return;
    w2u_mutex_lock(&port->lock);
    dispatch(port);
    port_unlock(port);
}

void iocp_port_drain(struct iocp_port *port)
{
    struct ur_ring *ring = atomic_load_explicit(&port->ring, memory_order_acquire);
    if (ring)
        while (ur_reap(ring, 0, UINT32_MAX) > 0)
            ;
}

unsigned iocp_port_waiters(struct iocp_port *port)
{
    return atomic_load(&port->nwaiters) + (atomic_load(&port->leader) ? 1u : 0u);
}

/* ---- concurrency accounting --------------------------------------------------------- */

void iocp_port_thread_leave(struct iocp_port *port)
{
    w2u_mutex_lock(&port->lock);
    port->active--;
    dispatch(port);
    port_unlock(port);
}

void iocp_port_thread_enter(struct iocp_port *port)
{
    w2u_mutex_lock(&port->lock);
    port->active++;
    port_unlock(port);
}

/* The calling thread now runs for port (it took a packet from it). */
static void thread_took_packet(struct iocp_thread *t, struct iocp_port *port)
{
    if (t->assoc != port) {
        if (t->assoc)
            iocp_port_put(t->assoc);
        w2u_object_ref(&port->obj);
        t->assoc = port;
    }
    t->counted = true;
}

/* ---- posting ---------------------------------------------------------------------------- */

static void post_release(struct iocp_packet *p)
{
    free(p);
}

uint32_t iocp_post(uintptr_t handle, uint32_t status, uintptr_t information,
                   uintptr_t key, void *overlapped)
{
    struct iocp_thread *t = iocp_thread_self();
    struct iocp_port *port = t->post_port;

    if (!port || !w2u_handle_names(handle, &port->obj)) {
        if (!(port = iocp_port_get(handle)))
            return W2U_STATUS_INVALID_HANDLE;
        if (t->post_port)
            iocp_port_put(t->post_port);
        t->post_port = port;           /* keeps the reference we just took */
    }
    w2u_mutex_lock(&port->lock);
    struct iocp_packet *p = port->pool;
    if (p) {
        port->pool = p->next;
        port->pooled--;
    } else if (!(p = malloc(sizeof(*p)))) {
        port_unlock(port);
        return W2U_STATUS_NO_MEMORY;
    }
    p->key = key;
    p->overlapped = overlapped;
    p->status = status;
    p->information = information;
    p->release = post_release;
    bool queued = push_locked(port, t, p);
    port_unlock(port);
    if (!queued)
        free(p);    /* closed under us: as if the handle had been invalid */
    return queued ? W2U_STATUS_SUCCESS : W2U_STATUS_INVALID_HANDLE;
}

/* ---- removing ------------------------------------------------------------------------------- */

/* With the lock held: copies the packet out and lets it go. */
static void take(struct iocp_port *port, struct iocp_packet *p, struct iocp_entry *e)
{
    e->key = p->key;
    e->overlapped = p->overlapped;
    e->status = p->status;
    e->information = p->information;
    if (p->release == post_release && port->pooled < POOL_MAX) {
        p->next = port->pool;
        port->pool = p;
        port->pooled++;
    } else if (p->release) {
        p->release(p);
    }
}

/* With the lock held, after the caller got its first packet: more for an
 * Ex batch, without counting the thread again. */
static unsigned take_more(struct iocp_port *port, struct iocp_entry *entries, unsigned n,
                          unsigned max)
{
    while (n < max && port->queued)
        take(port, dequeue(port), &entries[n++]);
    return n;
}

/* Reaps the ring as the leader until a packet is kept or the deadline
 * passes. Called and returns with the lock held. */
static void lead(struct iocp_port *port, struct iocp_thread *t, int64_t deadline, bool alertable)
{
    struct ur_ring *ring = port->ring;

    atomic_store_explicit(&port->leader, true, memory_order_seq_cst);
    t->reaping_for = port;
    port_unlock(port);

    if (alertable) {
        pthread_mutex_lock(&t->lock);
        atomic_store(&t->leading_ring, ring);
        bool apc = atomic_load(&t->apc_pending);
        pthread_mutex_unlock(&t->lock);
        if (!apc)
            ur_reap(ring, deadline, REAP_BATCH);
        /* Under the lock: an APC queuer that saw the ring has posted to it
         * before we let the port (and its ring) go. */
        pthread_mutex_lock(&t->lock);
        atomic_store(&t->leading_ring, NULL);
        pthread_mutex_unlock(&t->lock);
    } else {
        ur_reap(ring, deadline, REAP_BATCH);
    }

    w2u_mutex_lock(&port->lock);
    t->reaping_for = NULL;
    port->kick_pending = false;
    atomic_store_explicit(&port->leader, false, memory_order_seq_cst);
}

/* With the port locked: what a waiter gets without waiting, if anything
 * (true, *status and *n set): a completion it reaped before a close, the
 * port's end, a packet the concurrency limit lets it take, an APC, or its
 * timeout. */
static bool answer_now(struct iocp_port *port, struct iocp_thread *t, struct iocp_entry *entries, unsigned max,
                       int64_t deadline, bool alertable, uint32_t *status, unsigned *n)
{
    *status = W2U_STATUS_SUCCESS;
    if (t->kept) {                   /* still this thread's own */
        struct iocp_packet *p = t->kept;
        t->kept = NULL;
        take(port, p, &entries[0]);
        *n = take_more(port, entries, 1, max);
        return true;
    }
    if (port->closed) {
        *status = W2U_STATUS_ABANDONED_WAIT_0;
        return true;
    }
    if (port->queued && port->active < port->limit) {
        port->active++;
        take(port, dequeue(port), &entries[0]);
        *n = take_more(port, entries, 1, max);
        return true;
    }
    if (alertable && atomic_load(&t->apc_pending)) {
        *status = W2U_STATUS_USER_APC;
        return true;
    }
    if (deadline == 0 || (deadline != W2U_FOREVER && deadline <= w2u_now_ns())) {
        *status = W2U_STATUS_TIMEOUT;
        return true;
    }
    return false;
}

/* A waiter pushed on the port (locked) sleeps, unlocked, until it is
 * handed something (a packet, the lead, the port's end), an APC comes
 * (alertable) or the deadline; then locks the port again.  Returns its
 * state: still W_WAITING when nothing was handed (*timed_out says why). */
static int sleep_as_waiter(struct iocp_port *port, struct iocp_thread *t, struct waiter *w, int64_t deadline,
                           bool alertable, bool *timed_out)
{
    atomic_store_explicit(&w->state, W_WAITING, memory_order_relaxed);
    port_unlock(port);
    *timed_out = false;
    for (;;) {
        uint32_t seq = atomic_load_explicit(&t->wake, memory_order_acquire);
        if (atomic_load_explicit(&w->state, memory_order_acquire) != W_WAITING)
            break;
        if (alertable && atomic_load_explicit(&t->apc_pending, memory_order_acquire))
            break;
        if (iocp_thread_sleep(t, seq, deadline) == -ETIMEDOUT) {
            *timed_out = true;
            break;
        }
    }
    w2u_mutex_lock(&port->lock);
    return atomic_load_explicit(&w->state, memory_order_acquire);
}

uint32_t iocp_remove(uintptr_t handle, struct iocp_entry *entries, unsigned max,
                     unsigned *removed, int64_t deadline, bool alertable)
{
    struct iocp_thread *t = iocp_thread_self();
    struct iocp_port *port;
    struct waiter w = { .thread = t };
    uint32_t status;
    unsigned n = 0;

    *removed = 0;
    /* The port this thread runs for is referenced by the thread already:
     * borrow that reference while the program's handle still names it. */
    bool borrowed = t->assoc && w2u_handle_names(handle, &t->assoc->obj);
    if (borrowed)
        port = t->assoc;
    else if (!(port = iocp_port_get(handle)))
        return W2U_STATUS_INVALID_HANDLE;

    /* Waiting on a port ends this thread's active run on its port; for the
     * same port that is done below, under the lock we take anyway. */
    if (t->assoc && t->assoc != port && t->counted) {
        t->counted = false;
        iocp_port_thread_leave(t->assoc);
    }
    if (alertable && iocp_run_apcs()) {
        if (t->assoc == port && t->counted) {
            t->counted = false;
            iocp_port_thread_leave(port);
        }
        if (!borrowed)
            iocp_port_put(port);
        return W2U_STATUS_USER_APC;
    }

    w2u_mutex_lock(&port->lock);
    if (t->assoc == port && t->counted) {
        t->counted = false;
        port->active--;
        dispatch(port);
    }
    for (;;) {
        if (answer_now(port, t, entries, max, deadline, alertable, &status, &n))
            break;
        /* Announce ourselves before looking at the ring (see
         * iocp_port_submitted). */
        waiter_push(port, &w);
        if (ring_needs_leader(port) && !(port->queued && port->active >= port->limit)) {
            waiter_pop(port, &w);
            lead(port, t, deadline, alertable);
            continue;
        }
        bool timed_out;
        int state = sleep_as_waiter(port, t, &w, deadline, alertable, &timed_out);
        if (state == W_WAITING) {
            waiter_pop(port, &w);
            if (timed_out) {
                status = W2U_STATUS_TIMEOUT;
                break;
            }
            continue;    /* an APC: the top of the loop reports it */
        }
        if (state == W_PACKET) {
            take(port, w.packet, &entries[0]);
            n = take_more(port, entries, 1, max);
            status = W2U_STATUS_SUCCESS;
            break;
        }
        if (state == W_ABANDONED) {
            status = W2U_STATUS_ABANDONED_WAIT_0;
            break;
        }
        /* W_LEAD: loop, and lead if the ring still needs it. */
    }
    if (status == W2U_STATUS_SUCCESS) {
        thread_took_packet(t, port);
        /* Requests are still in flight and we leave: keep someone reaping. */
        if (port->top && !port->queued && ring_needs_leader(port))
            hand(port, port->top, W_LEAD, NULL);
    }
    port_unlock(port);

    if (status == W2U_STATUS_USER_APC)
        iocp_run_apcs();
    if (!borrowed)
        iocp_port_put(port);
    *removed = n;
    return status;
}

/* ---- the default ring ------------------------------------------------------------------------- */

static struct ur_ring *default_ring;
static int default_error;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;

static void *default_reaper(void *arg)
{
    struct ur_ring *ring = arg;
    for (;;)
        if (ur_reap(ring, W2U_FOREVER, REAP_BATCH) == -EBUSY)
            sched_yield();      /* a short drain (after a cancel) holds the CQ */
    return NULL;
}

/* Set by a host whose own thread runs the reaper (iocp_host_reap): under
 * Wine, completions must be delivered from a Wine-created thread. */
static bool host_reaps;

void iocp_host_runs_reaper(void)
{
    host_reaps = true;
}

static void default_create(void)
{
    pthread_t th;
    pthread_attr_t attr;
    struct ur_ring *ring;
    int r = ur_ring_create(&ring, PORT_RING_ENTRIES);
    if (r < 0) {
        default_error = r;
        return;
    }
    if (host_reaps) {
        default_ring = ring;
        return;
    }
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&th, &attr, default_reaper, ring) != 0) {
        ur_ring_destroy(ring);
        default_error = -EAGAIN;
    } else {
        default_ring = ring;
    }
    pthread_attr_destroy(&attr);
}

void iocp_host_reap(void)
{
    uint32_t status;
    struct ur_ring *ring = iocp_default_ring(&status);
    if (ring)
        default_reaper(ring);
}

struct ur_ring *iocp_default_ring(uint32_t *status)
{
    pthread_once(&default_once, default_create);
    if (!default_ring)
        *status = default_error == -ENOMEM ? W2U_STATUS_NO_MEMORY : W2U_STATUS_NOT_SUPPORTED;
    return default_ring;
}

struct ur_ring *iocp_binding_ring(const struct iocp_binding *b, bool waited_elsewhere,
                                  struct iocp_port **port, uint32_t *status)
{
    *port = waited_elsewhere ? NULL : b->own_port;
    return *port ? iocp_port_ring(*port, status) : iocp_default_ring(status);
}
