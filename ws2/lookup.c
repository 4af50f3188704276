/* Asynchronous name lookups (GetAddrInfoEx with an OVERLAPPED).
 *
 * glibc's getaddrinfo blocks and cannot be interrupted, so each lookup
 * runs on a thread of its own.  Windows completes a lookup when the answer
 * comes, when GetAddrInfoExCancel cancels it, or at its timeout, whichever
 * is first, and a cancelled lookup's resolver may go on long after: the
 * resolver and the one who settles the lookup each hold a reference, and
 * a late answer is dropped.  Settling waits for the first of the three, so
 * it runs on a thread that may block: natively one the library starts,
 * under Wine a Wine thread of the DLL (the routine the program gave is
 * Windows code, and the program's events are Wine's). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ws2.h"
#include "ws2_resolve.h"

enum { RUNNING, ANSWERED, CANCELLED };

struct lookup {
    uintptr_t id;
    char *node, *service;
    struct ws2_ai_hints hints;
    struct timespec deadline;       /* CLOCK_MONOTONIC; tv_sec < 0: none */
    int state, err, refs;
    bool settling;
    struct ws2_ai *list;
    void *owner;
    void (*settler)(uintptr_t id);
    struct lookup *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct lookup *lookups;
/* Ids look like handles (multiples of 4) and are not soon reused, so a
 * stale one names no other lookup. */
static uintptr_t last_id = 0x6e000000;

static void init_cond(void)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&changed, &a);
    pthread_condattr_destroy(&a);
}

/* Under lock. */
static void put(struct lookup *l)
{
    if (--l->refs)
        return;
    ws2_ai_free(l->list);
    free(l->node);
    free(l->service);
    free(l);
}

static struct lookup *find(uintptr_t id, struct lookup ***where)
{
    for (struct lookup **p = &lookups; *p; p = &(*p)->next)
        if ((*p)->id == id) {
            if (where)
                *where = p;
            return *p;
        }
    return NULL;
}

static void *resolver_main(void *arg)
{
    struct lookup *l = arg;
    struct ws2_ai *list = NULL;
    int err = ws2_getaddrinfo(l->node, l->service, &l->hints, &list);
    pthread_mutex_lock(&lock);
    if (l->state == RUNNING) {
        l->state = ANSWERED;
        l->err = err;
        l->list = list;
        pthread_cond_broadcast(&changed);
    } else {
        ws2_ai_free(list);           /* cancelled or timed out: nobody wants it */
    }
    put(l);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void *settler_main(void *arg)
{
    struct lookup *l = arg;
    l->settler(l->id);
    return NULL;
}

static int spawn(void *(*fn)(void *), void *arg)
{
    pthread_attr_t a;
    pthread_t t;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    int r = pthread_create(&t, &a, fn, arg);
    pthread_attr_destroy(&a);
    return r;
}

int ws2_lookup_start(const char *node, const char *service, const struct ws2_ai_hints *hints, int64_t timeout_ms,
                     void *owner, void (*settler)(uintptr_t id), uintptr_t *id)
{
    pthread_once(&once, init_cond);
    struct lookup *l = calloc(1, sizeof(*l));
    if (!l)
        return W2U_WSA_NOT_ENOUGH_MEMORY;
    l->node = node ? strdup(node) : NULL;
    l->service = service ? strdup(service) : NULL;
    if ((node && !l->node) || (service && !l->service)) {
        l->refs = 1;
        put(l);
        return W2U_WSA_NOT_ENOUGH_MEMORY;
    }
    l->hints = hints ? *hints : (struct ws2_ai_hints){ 0 };
    l->deadline.tv_sec = -1;
    if (timeout_ms >= 0) {
        clock_gettime(CLOCK_MONOTONIC, &l->deadline);
        l->deadline.tv_sec += timeout_ms / 1000;
        l->deadline.tv_nsec += (timeout_ms % 1000) * 1000000;
        if (l->deadline.tv_nsec >= 1000000000) {
            l->deadline.tv_sec++;
            l->deadline.tv_nsec -= 1000000000;
        }
    }
    l->owner = owner;
    l->settler = settler;
    l->refs = 2;                     /* the resolver's and the settler's */

    pthread_mutex_lock(&lock);
    last_id += 4;
    if (last_id >= 0x6f000000)
        last_id = 0x6e000004;
    l->id = last_id;
    l->next = lookups;
    lookups = l;
    *id = l->id;
    int r = spawn(resolver_main, l);
    if (r == 0 && settler && spawn(settler_main, l) != 0) {
        /* The resolver runs but nobody would settle: it finds the lookup
         * cancelled and drops the last reference. */
        l->state = CANCELLED;
        l->refs--;
        r = EAGAIN;
    } else if (r) {
        l->refs = 1;
    }
    if (r) {
        struct lookup **where;
        find(l->id, &where);
        *where = l->next;
        if (l->state != CANCELLED)
            put(l);
    }
    pthread_mutex_unlock(&lock);
    return r ? W2U_WSA_NOT_ENOUGH_MEMORY : 0;
}

int ws2_lookup_settle(uintptr_t id, struct ws2_ai **list, void **owner)
{
    struct lookup **where;
    pthread_mutex_lock(&lock);
    struct lookup *l = find(id, NULL);
    if (!l || l->settling) {
        pthread_mutex_unlock(&lock);
        return -1;
    }
    l->settling = true;
    while (l->state == RUNNING) {
        int r = l->deadline.tv_sec < 0 ? pthread_cond_wait(&changed, &lock)
                                       : pthread_cond_timedwait(&changed, &lock, &l->deadline);
        if (r == ETIMEDOUT && l->state == RUNNING) {
            l->state = CANCELLED;
            l->err = W2U_WSAETIMEDOUT;
        }
    }
    find(id, &where);
    *where = l->next;                /* the id names nothing from now on */
    int err = l->state == ANSWERED ? l->err : l->err ? l->err : W2U_WSA_E_CANCELLED;
    *list = l->list;
    l->list = NULL;
    *owner = l->owner;
    put(l);
    pthread_mutex_unlock(&lock);
    return err;
}

int ws2_lookup_cancel(uintptr_t id)
{
    pthread_mutex_lock(&lock);
    struct lookup *l = find(id, NULL);
    int r = -1;
    if (l && l->state == RUNNING) {
        l->state = CANCELLED;
        pthread_cond_broadcast(&changed);
        r = 0;
    }
    pthread_mutex_unlock(&lock);
    return r;
}
