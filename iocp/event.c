/* Native event objects (WSACreateEvent and OVERLAPPED.hEvent natively). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

/* Takes one wait's worth of the event if it is signalled (an auto-reset
 * event is consumed). With ev->lock held. */
static bool try_take(struct iocp_event *ev)
{
    if (!ev->signaled)
        return false;
    if (!ev->manual)
        ev->signaled = false;
    return true;
}

static int by_address(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(struct iocp_event *const *)a, y = (uintptr_t)*(struct iocp_event *const *)b;
    return x < y ? -1 : x > y;
}

/* Wait-all: takes every event at once or none, holding all their locks
 * (taken in address order, so two such waits cannot deadlock). */
static bool try_take_all(struct iocp_event **evs, unsigned n)
{
    struct iocp_event *sorted[IOCP_MAX_WAIT];
    memcpy(sorted, evs, n * sizeof(*evs));
    qsort(sorted, n, sizeof(*sorted), by_address);
    for (unsigned i = 0; i < n; i++)
        if (i == 0 || sorted[i] != sorted[i - 1])
            pthread_mutex_lock(&sorted[i]->lock);
    bool all = true;
    for (unsigned i = 0; i < n && all; i++)
        all = sorted[i]->signaled;
    if (all)
        for (unsigned i = 0; i < n; i++)
            if (!sorted[i]->manual)
                sorted[i]->signaled = false;
    for (unsigned i = n; i-- > 0;)
        if (i == 0 || sorted[i] != sorted[i - 1])
            pthread_mutex_unlock(&sorted[i]->lock);
    return all;
}

static void waiter_add(struct iocp_event *ev, struct event_waiter *w)
{
    w->prev = NULL;
    w->next = ev->waiters;
    if (ev->waiters)
        ev->waiters->prev = w;
    ev->waiters = w;
}

static void waiter_remove(struct iocp_event *ev, struct event_waiter *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        ev->waiters = w->next;
    if (w->next)
        w->next->prev = w->prev;
}

uint32_t iocp_event_wait_many(const uintptr_t *handles, unsigned n, bool all, int64_t deadline,
                              bool alertable, unsigned *index)
{
    struct iocp_thread *t = iocp_thread_self();
    struct iocp_event *evs[IOCP_MAX_WAIT];
    struct event_waiter ws[IOCP_MAX_WAIT];
    uint32_t status = W2U_STATUS_SUCCESS;
    unsigned got = 0;

    *index = 0;
    if (!n || n > IOCP_MAX_WAIT || !handles)
        return W2U_STATUS_INVALID_PARAMETER;
    for (; got < n; got++)
        if (!(evs[got] = event_get(handles[got]))) {
            status = W2U_STATUS_INVALID_HANDLE;
            goto out;
        }
    if (alertable && iocp_run_apcs()) {
        status = W2U_STATUS_USER_APC;
        goto out;
    }
    for (unsigned i = 0; i < n; i++) {
        ws[i].thread = t;
        pthread_mutex_lock(&evs[i]->lock);
        waiter_add(evs[i], &ws[i]);
        pthread_mutex_unlock(&evs[i]->lock);
    }
    iocp_block_begin();
    for (;;) {
        /* Read the wake word before looking, so a set between the look and
         * the sleep is not missed. */
        uint32_t seq = atomic_load_explicit(&t->wake, memory_order_acquire);
        bool done = false;
        if (all) {
            done = try_take_all(evs, n);
        } else {
            for (unsigned i = 0; i < n && !done; i++) {
                pthread_mutex_lock(&evs[i]->lock);
                if ((done = try_take(evs[i])))
                    *index = i;     /* the lowest signalled index, as Windows */
                pthread_mutex_unlock(&evs[i]->lock);
            }
        }
        if (done)
            break;
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
    iocp_block_end();
    for (unsigned i = 0; i < n; i++) {
        pthread_mutex_lock(&evs[i]->lock);
        waiter_remove(evs[i], &ws[i]);
        pthread_mutex_unlock(&evs[i]->lock);
    }
out:
    for (unsigned i = 0; i < got; i++)
        w2u_object_unref(&evs[i]->obj);
    return status;
}

uint32_t iocp_event_wait(uintptr_t handle, int64_t deadline, bool alertable)
{
    unsigned index;
    return iocp_event_wait_many(&handle, 1, false, deadline, alertable, &index);
}

uint32_t iocp_event_close(uintptr_t handle)
{
    struct w2u_object *obj;
    if (w2u_handle_lookup(handle, W2U_OBJ_EVENT, &obj) < 0)
        return W2U_STATUS_INVALID_HANDLE;
    w2u_object_unref(obj);
    return w2u_handle_close(handle) < 0 ? W2U_STATUS_INVALID_HANDLE : W2U_STATUS_SUCCESS;
}
