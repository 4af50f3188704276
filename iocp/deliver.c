/* Association of handles with ports, and the one completion path. */
#include <limits.h>
#include <stdlib.h>

#include "iocp_internal.h"

/* Association is rare; one lock keeps key and port consistent for readers
 * that load the port first (they see the key written before it). */
static pthread_mutex_t assoc_lock = PTHREAD_MUTEX_INITIALIZER;

uint32_t iocp_binding_signal(struct iocp_binding *b)
{
    return atomic_load_explicit(&b->signal, memory_order_seq_cst);
}

void iocp_binding_wait(struct iocp_binding *b, uint32_t seq, int64_t deadline)
{
    atomic_fetch_add_explicit(&b->signal_waiters, 1, memory_order_seq_cst);
    iocp_block_begin();
    w2u_futex_wait(&b->signal, seq, deadline);
    iocp_block_end();
    atomic_fetch_sub_explicit(&b->signal_waiters, 1, memory_order_relaxed);
}

void iocp_binding_init(struct iocp_binding *b)
{
    atomic_init(&b->port, NULL);
    b->own_port = NULL;
    b->key = 0;
    atomic_init(&b->modes, 0);
    atomic_init(&b->signal, 0);
    atomic_init(&b->signal_waiters, 0);
    atomic_init(&b->idle, 1);
}

static bool signalled(void *binding)
{
    return atomic_load_explicit(&((struct iocp_binding *)binding)->idle, memory_order_seq_cst);
}

uint32_t iocp_handle_wait(uintptr_t handle, int64_t deadline)
{
    struct w2u_object *obj = w2u_handle_get(handle, W2U_OBJ_ANY);
    if (!obj)
        return W2U_STATUS_INVALID_HANDLE;
    uint32_t r = W2U_STATUS_INVALID_HANDLE;
    if (obj->binding)
        r = iocp_binding_wait_until(obj->binding, signalled, obj->binding, deadline);
    w2u_object_unref(obj);
    return r;
}

void iocp_binding_io_start(struct iocp_binding *b)
{
    atomic_store_explicit(&b->idle, 0, memory_order_seq_cst);
}

uint32_t iocp_binding_wait_until(struct iocp_binding *b, bool (*done)(void *), void *arg, int64_t deadline)
{
    while (!done(arg)) {
        uint32_t seq = iocp_binding_signal(b);
        if (done(arg))
            break;
        if (deadline != W2U_FOREVER && deadline <= w2u_now_ns())
            return W2U_STATUS_TIMEOUT;
        if (b->own_port)
            iocp_port_drain(b->own_port);
        int64_t slice = w2u_now_ns() + 10000000;
        iocp_binding_wait(b, seq, deadline < slice ? deadline : slice);
    }
    return W2U_STATUS_SUCCESS;
}

void iocp_binding_release(struct iocp_binding *b)
{
    struct iocp_port_sink *sink = atomic_exchange(&b->port, NULL);
    if (sink)
        sink->ops->unref(sink);
}

uint32_t iocp_associate_sink(struct iocp_binding *b, struct iocp_port_sink *sink,
                             struct iocp_port *own, uintptr_t key)
{
    pthread_mutex_lock(&assoc_lock);
    if (atomic_load_explicit(&b->port, memory_order_relaxed)) {
        /* Windows: a handle joins one port, once. */
        pthread_mutex_unlock(&assoc_lock);
        return W2U_STATUS_INVALID_PARAMETER;
    }
    sink->ops->ref(sink);
    b->key = key;
    b->own_port = own;
    atomic_store_explicit(&b->port, sink, memory_order_release);
    pthread_mutex_unlock(&assoc_lock);
    return W2U_STATUS_SUCCESS;
}

uint32_t iocp_associate(uintptr_t file, uintptr_t port_handle, uintptr_t key)
{
    struct w2u_object *obj = w2u_handle_get(file, W2U_OBJ_ANY);
    uint32_t status;

    if (!obj)
        return W2U_STATUS_INVALID_HANDLE;
    if (!obj->binding) {
        w2u_object_unref(obj);
        return W2U_STATUS_OBJECT_TYPE_MISMATCH;
    }
    struct iocp_port *port = iocp_port_get(port_handle);
    if (!port) {
        w2u_object_unref(obj);
        return W2U_STATUS_INVALID_HANDLE;
    }
    /* The handle's I/O will go through this port's ring: make it now, so a
     * machine without io_uring fails here, with an error, not later. */
    if (iocp_port_ring(port, &status))
        status = iocp_associate_sink(obj->binding, iocp_port_as_sink(port), port, key);
    iocp_port_put(port);
    w2u_object_unref(obj);
    return status;
}

void iocp_binding_copy(struct iocp_binding *to, struct iocp_binding *from)
{
    /* A binding's port never changes once set: no lock needed to read it. */
    struct iocp_port_sink *sink = atomic_load_explicit(&from->port, memory_order_acquire);
    if (sink)
        iocp_associate_sink(to, sink, from->own_port, from->key);
    atomic_fetch_or(&to->modes, atomic_load_explicit(&from->modes, memory_order_relaxed));
}

uint32_t iocp_set_modes(uintptr_t file, uint32_t modes)
{
    if (modes & ~(IOCP_SKIP_PORT_ON_SUCCESS | IOCP_SKIP_EVENT_ON_SUCCESS))
        return W2U_STATUS_INVALID_PARAMETER;
    struct w2u_object *obj = w2u_handle_get(file, W2U_OBJ_ANY);
    if (!obj)
        return W2U_STATUS_INVALID_HANDLE;
    if (!obj->binding) {
        w2u_object_unref(obj);
        return W2U_STATUS_OBJECT_TYPE_MISMATCH;
    }
    /* Windows cannot clear these modes once set: they only add up. */
    atomic_fetch_or(&obj->binding->modes, modes);
    w2u_object_unref(obj);
    return W2U_STATUS_SUCCESS;
}

static void free_packet(struct iocp_packet *p)
{
    free(p);
}

uint32_t iocp_binding_post(struct iocp_binding *b, uint32_t status, uintptr_t information, void *value,
                           bool synchronous)
{
    struct iocp_port_sink *sink = atomic_load_explicit(&b->port, memory_order_acquire);
    uint32_t modes = atomic_load_explicit(&b->modes, memory_order_relaxed);
    if (!sink)
        return W2U_STATUS_INVALID_PARAMETER;
    if (synchronous && w2u_nt_success(status) && (modes & IOCP_SKIP_PORT_ON_SUCCESS))
        return W2U_STATUS_SUCCESS;
    struct iocp_packet *p = calloc(1, sizeof(*p));
    if (!p)
        return W2U_STATUS_NO_MEMORY;
    p->key = b->key;
    p->overlapped = value;
    p->status = status;
    p->information = information;
    p->synchronous = synchronous;
    p->release = free_packet;
    sink->ops->push(sink, p);
    return W2U_STATUS_SUCCESS;
}

uint32_t iocp_clear_event(uintptr_t event)
{
    void (*host_reset)(uintptr_t) = w2u_host()->reset_event;
    if (!host_reset)
        return iocp_event_reset(event);
    host_reset(event);
    return W2U_STATUS_SUCCESS;
}

void iocp_signal_event(uintptr_t event)
{
    void (*host_set)(uintptr_t) = w2u_host()->set_event;
    if (host_set)
        host_set(event);         /* the host's event (under Wine: a Wine event) */
    else
        iocp_event_set(event);
}

void iocp_complete(struct iocp_completion *c, uint32_t status, uintptr_t information,
                   bool synchronous)
{
    struct iocp_binding *b = c->binding;
    struct iocp_port_sink *sink = b ? atomic_load_explicit(&b->port, memory_order_acquire) : NULL;
    uint32_t modes = b ? atomic_load_explicit(&b->modes, memory_order_relaxed) : 0;
    bool skip = synchronous && w2u_nt_success(status);
    uintptr_t event = 0;

    c->packet.status = status;
    c->packet.information = information;
    c->packet.synchronous = synchronous;
    c->packet.overlapped = c->nt_iosb ? c->nt_value : c->ov;
    c->packet.key = sink ? b->key : 0;
    if (c->ov) {
        /* Read hEvent before publishing Internal: a program that polls
         * HasOverlappedIoCompleted may reuse the OVERLAPPED at once. */
        event = c->ov->event;
        c->ov->internal_high = information;
        atomic_store_explicit(&c->ov->internal, status, memory_order_release);
    }
    if (c->nt_iosb) {
        /* IO_STATUS_BLOCK: the status (as the union's whole first word),
         * then the information, published the same way. */
        struct iocp_overlapped *io = c->nt_iosb;
        io->internal_high = information;
        atomic_store_explicit(&io->internal, status, memory_order_release);
    }
    if (b && !(skip && (modes & IOCP_SKIP_EVENT_ON_SUCCESS))) {
        /* Pairs with iocp_binding_wait (all seq_cst): either the waiter
         * is counted here, or its futex_wait sees the new value. */
        atomic_store_explicit(&b->idle, 1, memory_order_seq_cst);
        atomic_fetch_add_explicit(&b->signal, 1, memory_order_seq_cst);
        if (atomic_load_explicit(&b->signal_waiters, memory_order_seq_cst))
            w2u_futex_wake(&b->signal, INT_MAX);
    }

    bool routine = (c->apc_thread && c->apc.fn) || c->routine_elsewhere;
    if (c->apc_thread && c->apc.fn) {
        /* A completion routine: runs on the issuing thread when it waits
         * alertably; no port packet. */
        iocp_queue_apc(c->apc_thread, &c->apc);
    } else if (sink && !c->routine_elsewhere && !(event & 1) &&
               !(skip && (modes & IOCP_SKIP_PORT_ON_SUCCESS))) {
        sink->ops->push(sink, &c->packet);
    } else {
        c->packet.release(&c->packet);
    }
    /* The event last, as Windows (and Wine) do it: a program that saw the
     * event finds the packet already on its port.  Only the handle value
     * is used here; the request may be gone.  With a completion routine
     * hEvent is the program's to use as it likes: Windows leaves it. */
    if (!routine && (event & ~(uintptr_t)1))
        iocp_signal_event(event & ~(uintptr_t)1);
}
