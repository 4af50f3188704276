/* Thread objects: what CreateThread returns natively. */
#include <pthread.h>
#include <stdlib.h>

#include "iocp_internal.h"

#define STILL_ACTIVE 259u

struct thread_object {
    struct w2u_object obj;
    iocp_thread_start fn;
    void *arg;
    uintptr_t done;                /* manual-reset event, set at return */
    _Atomic uint32_t exit_code;
    pthread_t thread;
};

static void thread_destroy(struct w2u_object *obj)
{
    struct thread_object *t = W2U_CONTAINER_OF(obj, struct thread_object, obj);
    iocp_event_close(t->done);
    free(t);
}

static const struct w2u_object_ops thread_ops = {
    .type = W2U_OBJ_THREAD,
    .name = "thread",
    .destroy = thread_destroy,
};

static void *thread_main(void *arg)
{
    struct thread_object *t = arg;
    uint32_t code = t->fn(t->arg);
    atomic_store(&t->exit_code, code);
    iocp_event_set(t->done);
    w2u_object_unref(&t->obj);     /* the running thread's reference */
    return NULL;
}

uint32_t iocp_thread_create(iocp_thread_start fn, void *arg, uintptr_t *handle, uint32_t *tid)
{
    pthread_attr_t attr;
    struct thread_object *t = calloc(1, sizeof(*t));
    if (!t || !fn) {
        free(t);
        return fn ? W2U_STATUS_NO_MEMORY : W2U_STATUS_INVALID_PARAMETER;
    }
    t->fn = fn;
    t->arg = arg;
    atomic_init(&t->exit_code, STILL_ACTIVE);
    if (iocp_event_create(true, false, &t->done) != W2U_STATUS_SUCCESS) {
        free(t);
        return W2U_STATUS_NO_MEMORY;
    }
    if (w2u_handle_alloc(&t->obj, &thread_ops, handle) < 0) {
        iocp_event_close(t->done);
        free(t);
        return W2U_STATUS_INSUFFICIENT_RESOURCES;
    }
    w2u_object_ref(&t->obj);       /* for the thread itself */
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int r = pthread_create(&t->thread, &attr, thread_main, t);
    pthread_attr_destroy(&attr);
    if (r != 0) {
        w2u_object_unref(&t->obj);
        w2u_handle_close(*handle);
        return W2U_STATUS_NO_MEMORY;
    }
    if (tid)
        *tid = (uint32_t)(uintptr_t)t->thread;
    return W2U_STATUS_SUCCESS;
}

uintptr_t iocp_waitable_event(uintptr_t handle)
{
    struct w2u_object *obj = w2u_handle_get(handle, W2U_OBJ_ANY);
    uintptr_t ev = 0;
    if (!obj)
        return 0;
    if (obj->ops->type == W2U_OBJ_EVENT)
        ev = handle;
    else if (obj->ops == &thread_ops)
        ev = W2U_CONTAINER_OF(obj, struct thread_object, obj)->done;
    w2u_object_unref(obj);
    return ev;
}

uint32_t iocp_thread_exit_code(uintptr_t handle, uint32_t *code)
{
    struct w2u_object *obj = w2u_handle_get(handle, W2U_OBJ_THREAD);
    if (!obj)
        return W2U_STATUS_INVALID_HANDLE;
    *code = atomic_load(&W2U_CONTAINER_OF(obj, struct thread_object, obj)->exit_code);
    w2u_object_unref(obj);
    return W2U_STATUS_SUCCESS;
}
