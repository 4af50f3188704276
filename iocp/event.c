/* Native event objects (WSACreateEvent and OVERLAPPED.hEvent natively). */
#include <errno.h>
#include <stdlib.h>

#include "iocp_internal.h"

struct event_waiter {
    struct event_waiter *next, *prev;
    struct iocp_thread *thread;
};

struct iocp_event {
    struct w2u_object obj;
    pthread_mutex_t lock;
    bool manual;
    bool signaled;
    struct event_waiter *waiters;
};

static void event_destroy(struct w2u_object *obj)
{
    struct iocp_event *ev = W2U_CONTAINER_OF(obj, struct iocp_event, obj);
    pthread_mutex_destroy(&ev->lock);
    free(ev);
}

static const struct w2u_object_ops event_ops = {
    .type = W2U_OBJ_EVENT,
    .name = "event",
    .destroy = event_destroy,
};

static struct iocp_event *event_get(uintptr_t handle)
{
    struct w2u_object *obj = w2u_handle_get(handle, W2U_OBJ_EVENT);
    return obj ? W2U_CONTAINER_OF(obj, struct iocp_event, obj) : NULL;
}

uint32_t iocp_event_create(bool manual_reset, bool initial, uintptr_t *handle)
{
    struct iocp_event *ev = calloc(1, sizeof(*ev));
    if (!ev)
        return W2U_STATUS_NO_MEMORY;
    ev->manual = manual_reset;
    ev->signaled = initial;
    pthread_mutex_init(&ev->lock, NULL);
    if (w2u_handle_alloc(&ev->obj, &event_ops, handle) < 0) {
        event_destroy(&ev->obj);
        return W2U_STATUS_INSUFFICIENT_RESOURCES;
    }
    return W2U_STATUS_SUCCESS;
}

uint32_t iocp_event_set(uintptr_t handle)
{
    struct iocp_event *ev = event_get(handle);
    if (!ev)
        return W2U_STATUS_INVALID_HANDLE;
    pthread_mutex_lock(&ev->lock);
    ev->signaled = true;
    /* Every waiter looks; for an auto-reset event one of them wins. */
    for (struct event_waiter *w = ev->waiters; w; w = w->next)
        iocp_thread_wake(w->thread);
    pthread_mutex_unlock(&ev->lock);
    w2u_object_unref(&ev->obj);
    return W2U_STATUS_SUCCESS;
}

uint32_t iocp_event_reset(uintptr_t handle)
{
    struct iocp_event *ev = event_get(handle);
    if (!ev)
        return W2U_STATUS_INVALID_HANDLE;
    pthread_mutex_lock(&ev->lock);
    ev->signaled = false;
    pthread_mutex_unlock(&ev->lock);
    w2u_object_unref(&ev->obj);
    return W2U_STATUS_SUCCESS;
}

uint32_t iocp_event_wait(uintptr_t handle, int64_t deadline, bool alertable)
{
    struct iocp_thread *t = iocp_thread_self();
    struct event_waiter w = { .thread = t };
    struct iocp_event *ev = event_get(handle);
    uint32_t status;
    bool listed = false;

    if (!ev)
        return W2U_STATUS_INVALID_HANDLE;
    if (alertable && iocp_run_apcs()) {
        w2u_object_unref(&ev->obj);
        return W2U_STATUS_USER_APC;
    }
    iocp_block_begin();
    for (;;) {
        /* Read the wake word before looking, so a set between the look and
         * the sleep is not missed. */
        uint32_t seq = atomic_load_explicit(&t->wake, memory_order_acquire);
        pthread_mutex_lock(&ev->lock);
        if (ev->signaled) {
            if (!ev->manual)
                ev->signaled = false;
            pthread_mutex_unlock(&ev->lock);
            status = W2U_STATUS_SUCCESS;
            break;
        }
        if (!listed) {
            w.prev = NULL;
            w.next = ev->waiters;
            if (ev->waiters)
                ev->waiters->prev = &w;
            ev->waiters = &w;
            listed = true;
        }
        pthread_mutex_unlock(&ev->lock);
        if (alertable && atomic_load_explicit(&t->apc_pending, memory_order_acquire)) {
            iocp_run_apcs();
            status = W2U_STATUS_USER_APC;
            break;
        }
        if (iocp_thread_sleep(t, seq, deadline) == -ETIMEDOUT) {
            status = W2U_STATUS_TIMEOUT;
            break;
        }
    }
    if (listed) {
        pthread_mutex_lock(&ev->lock);
        if (w.prev)
            w.prev->next = w.next;
        else
            ev->waiters = w.next;
        if (w.next)
            w.next->prev = w.prev;
        pthread_mutex_unlock(&ev->lock);
    }
    iocp_block_end();
    w2u_object_unref(&ev->obj);
    return status;
}
