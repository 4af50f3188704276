/* Per-thread state: APC queue, alertable sleeps, blocking hooks. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>

#include "../uring-backend/uring.h"
#include "iocp_internal.h"

static pthread_key_t thread_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static W2U_TLS struct iocp_thread *self;

static void thread_exit(void *arg);

static void make_key(void)
{
    pthread_key_create(&thread_key, thread_exit);
}

struct iocp_thread *iocp_thread_self(void)
{
    struct iocp_thread *t = self;
    if (t)
        return t;
    pthread_once(&key_once, make_key);
    t = calloc(1, sizeof(*t));
    if (!t)
        abort();   /* a few bytes per thread: nothing sensible is left to do */
    atomic_init(&t->refs, 1);
    pthread_mutex_init(&t->lock, NULL);
    t->apc_tail = &t->apc_head;
    self = t;
    pthread_setspecific(thread_key, t);
    return t;
}

void iocp_thread_ref(struct iocp_thread *t)
{
    atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
}

void iocp_thread_unref(struct iocp_thread *t)
{
    if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) != 1)
        return;
    pthread_mutex_destroy(&t->lock);
    free(t);
}

/* The wake word and the sleeping flag pair up (all seq_cst): a waker bumps
 * the word, then looks at the flag; a sleeper raises the flag, then the
 * kernel compares the word.  Either the waker sees the flag and calls the
 * kernel, or the sleeper's futex_wait sees the new word and returns. */
void iocp_thread_wake(struct iocp_thread *t)
{
    atomic_fetch_add_explicit(&t->wake, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&t->sleeping, memory_order_seq_cst))
        w2u_futex_wake(&t->wake, 1);
}

int iocp_thread_sleep(struct iocp_thread *t, uint32_t seq, int64_t deadline)
{
    atomic_store_explicit(&t->sleeping, 1, memory_order_seq_cst);
    int r = w2u_futex_wait(&t->wake, seq, deadline);
    atomic_store_explicit(&t->sleeping, 0, memory_order_relaxed);
    return r;
}

static void thread_exit(void *arg)
{
    struct iocp_thread *t = arg;

    if (t->assoc) {
        if (t->counted)
            iocp_port_thread_leave(t->assoc);
        iocp_port_put(t->assoc);
        t->assoc = NULL;
    }
    if (t->post_port) {
        iocp_port_put(t->post_port);
        t->post_port = NULL;
    }
    pthread_mutex_lock(&t->lock);
    t->exited = true;
    struct iocp_apc *list = t->apc_head;
    t->apc_head = NULL;
    t->apc_tail = &t->apc_head;
    pthread_mutex_unlock(&t->lock);
    /* APCs for a thread that is gone can never run: let their owners free
     * them. */
    while (list) {
        struct iocp_apc *next = list->next;
        if (list->drop)
            list->drop(list);
        list = next;
    }
    self = NULL;
    iocp_thread_unref(t);
}

void iocp_queue_apc(struct iocp_thread *t, struct iocp_apc *apc)
{
    apc->next = NULL;
    pthread_mutex_lock(&t->lock);
    if (t->exited) {
        pthread_mutex_unlock(&t->lock);
        if (apc->drop)
            apc->drop(apc);
        return;
    }
    *t->apc_tail = apc;
    t->apc_tail = &apc->next;
    atomic_store_explicit(&t->apc_pending, true, memory_order_release);
    struct ur_ring *ring = atomic_load_explicit(&t->leading_ring, memory_order_acquire);
    if (ring)
        ur_post(ring, NULL);    /* the thread is blocked in io_uring_enter */
    /* Woken under the lock: once it is dropped the thread may run the APC,
     * exit and free t (thread_exit takes the lock before its last unref),
     * and the caller need not hold a reference. */
    iocp_thread_wake(t);
    pthread_mutex_unlock(&t->lock);
}

struct user_apc {
    struct iocp_apc apc;
    void (*fn)(uintptr_t data);
    uintptr_t data;
};

static void user_apc_run(struct iocp_apc *apc)
{
    struct user_apc *u = (struct user_apc *)apc;
    u->fn(u->data);
    free(u);
}

static void user_apc_drop(struct iocp_apc *apc)
{
    free(apc);
}

uint32_t iocp_queue_user_apc(void (*fn)(uintptr_t data), uintptr_t data)
{
    struct user_apc *u = malloc(sizeof(*u));
    if (!u)
        return W2U_STATUS_NO_MEMORY;
    u->apc.fn = user_apc_run;
    u->apc.drop = user_apc_drop;
    u->fn = fn;
    u->data = data;
    iocp_queue_apc(iocp_thread_self(), &u->apc);
    return W2U_STATUS_SUCCESS;
}

unsigned iocp_run_apcs(void)
{
    struct iocp_thread *t = iocp_thread_self();
    unsigned n = 0;

    if (!atomic_load_explicit(&t->apc_pending, memory_order_acquire))
        return 0;
    pthread_mutex_lock(&t->lock);
    struct iocp_apc *list = t->apc_head;
    t->apc_head = NULL;
    t->apc_tail = &t->apc_head;
    atomic_store_explicit(&t->apc_pending, false, memory_order_relaxed);
    pthread_mutex_unlock(&t->lock);
    while (list) {
        struct iocp_apc *next = list->next;
        list->fn(list);
        list = next;
        n++;
    }
    return n;
}

uint32_t iocp_sleep(int64_t deadline, bool alertable)
{
    struct iocp_thread *t = iocp_thread_self();
    uint32_t status = W2U_STATUS_SUCCESS;

    if (alertable && iocp_run_apcs())
        return W2U_STATUS_USER_APC;
    if (deadline == 0 || (deadline != W2U_FOREVER && deadline <= w2u_now_ns())) {
        sched_yield();
        return status;
    }
    iocp_block_begin();
    for (;;) {
        uint32_t seq = atomic_load_explicit(&t->wake, memory_order_acquire);
        if (alertable && atomic_load_explicit(&t->apc_pending, memory_order_acquire)) {
            iocp_run_apcs();
            status = W2U_STATUS_USER_APC;
            break;
        }
        if (iocp_thread_sleep(t, seq, deadline) == -ETIMEDOUT)
            break;
    }
    iocp_block_end();
    return status;
}

void iocp_block_begin(void)
{
    struct iocp_thread *t = iocp_thread_self();
    if (t->block_depth++ == 0 && t->assoc && t->counted) {
        t->counted = false;
        iocp_port_thread_leave(t->assoc);
    }
}

void iocp_block_end(void)
{
    struct iocp_thread *t = iocp_thread_self();
    if (--t->block_depth == 0 && t->assoc && !t->counted) {
        t->counted = true;
        iocp_port_thread_enter(t->assoc);
    }
}
