/*
 * IOCTL_AFD_POLL on ws2uring's SOCKETs: the request libuv's uv_poll, mio
 * (Rust's tokio) and Wine's own ws2_32 make through NtDeviceIoControlFile
 * on any \Device\Afd handle, naming the sockets to watch.  A poll that
 * can answer at once does so on the caller's thread; the others wait in
 * one list, which one Wine thread of the DLL (w2u_afd_run) watches with
 * ws2uring's AFD wait over all their sockets and an eventfd that a new
 * poll or a cancellation rings.  A finished poll is delivered as the NT
 * layer delivers any request: its output and status block, then its
 * event, its APC, or a packet for the port of the handle it was made on
 * (ws2uring's own port for a SOCKET, Wine's through wineserver for
 * another handle, such as mio's own \Device\Afd handle).
 *
 * The request's layout is afd.sys's, as Wine 8.0 defines it
 * (include/wine/afd.h, 64-bit): a 16-byte head (timeout, count, exclusive)
 * and 16 bytes per socket (SOCKET, events, status).  Exclusive polls: a
 * socket's first pending poll is its main poll; an exclusive poll on a
 * socket whose main poll is exclusive ends that one (with what it has,
 * usually nothing), as afd.sys and Wine do.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "../unix_surface.h"
#include "unix_private.h"

#define STATUS_SUCCESS   0
#define STATUS_TIMEOUT   0x00000102
#define STATUS_PENDING   0x00000103
#define STATUS_CANCELLED ((NTSTATUS)0xC0000120)
#define STATUS_NO_MEMORY ((NTSTATUS)0xC0000017)
#define STATUS_INVALID_HANDLE ((NTSTATUS)0xC0000008)
#define STATUS_INVALID_PARAMETER ((NTSTATUS)0xC000000D)
#define W2U_AFD_CLOSE 0x0020          /* AFD_POLL_CLOSE */
#define HEAD_SIZE 16                  /* offsetof(struct afd_poll_params, sockets) */
#define FOREVER INT64_MAX

/* libws2uring's ws2_poll_entry. */
struct afd_socket {                   /* one socket of a request, as the program lays it out */
    uint64_t socket;
    int32_t flags;
    int32_t status;
};

struct poll {
    struct poll *next;
    struct w2u_afd_poll_params p;     /* the request, as submitted */
    int64_t deadline;                 /* CLOCK_MONOTONIC ns, or FOREVER */
    int64_t timeout;                  /* as the program gave it, for the answer */
    uint32_t thread_id;
    bool exclusive;
    bool port_only;                   /* only a port packet reports it: it outlives its thread */
    unsigned count;
    struct {
        struct ws2uring_poll_entry e;               /* e.socket: ws2uring's name of the socket */
        uint64_t handle;              /* the program's, for the answer (a DuplicateHandle copy's own) */
        bool main;                    /* this poll is the socket's main poll */
    } s[];
};

static __typeof__(&ws2uring_afd_poll) afd_wait;
static __typeof__(&ws2uring_socket_post) socket_post;
static __typeof__(&ws2uring_socket_has_port) socket_has_port;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct poll *pending;          /* under lock, oldest first */
static struct poll *done;             /* finished while the engine looked: freed by it */
static int wake_fd = -1;

NTSTATUS w2u_afd_init(void)
{
    afd_wait = (__typeof__(afd_wait))w2u_unix_find("ws2uring_afd_poll");
    socket_post = (__typeof__(socket_post))w2u_unix_find("ws2uring_socket_post");
    socket_has_port = (__typeof__(socket_has_port))w2u_unix_find("ws2uring_socket_has_port");
    wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    return afd_wait && socket_post && socket_has_port && wake_fd >= 0 ? STATUS_SUCCESS : STATUS_NO_MEMORY;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void ring(void)
{
    uint64_t one = 1;
    while (write(wake_fd, &one, sizeof(one)) < 0 && errno == EINTR)
        ;
}

/* An NT request's end, as the NT layer delivers it: the status block,
 * then the event, the APC, or a packet for the port of the handle it was
 * made on (ws2uring's for a SOCKET, Wine's for any other handle). */
static void deliver(uint64_t handle, uint64_t event, uint64_t apc, uint64_t apc_context, uint64_t iosb_at,
                    uint64_t thread, NTSTATUS status, uint64_t information, bool synchronous)
{
    uint64_t *iosb = (uint64_t *)(uintptr_t)iosb_at;
    iosb[1] = information;
    __atomic_store_n((uint32_t *)iosb, (uint32_t)status, __ATOMIC_RELEASE);
    if (event)
        w2u_unix_set_event(event);
    if (apc)
        w2u_unix_queue_apc(thread, apc, apc_context, iosb_at, 0);
    else if (apc_context &&
             socket_post(handle, (void *)(uintptr_t)apc_context, (uint32_t)status, information, synchronous) ==
                 (uint32_t)STATUS_INVALID_HANDLE)
        w2u_unix_post_completion(handle, (void *)(uintptr_t)apc_context, (uint32_t)status, information, synchronous);
}

NTSTATUS w2u_nt_done(void *args)
{
    struct w2u_nt_done_params *d = args;
    deliver(d->handle, d->event, d->apc, d->apc_context, d->iosb, d->thread, (NTSTATUS)d->status, d->information,
            true);
    return 0;
}

/* Writes the answer and delivers it. */
static void finish(struct poll *q, NTSTATUS status, bool synchronous)
{
    unsigned n = 0;
    char *out = (char *)(uintptr_t)q->p.out;
    struct afd_socket *to = (struct afd_socket *)(out + HEAD_SIZE);
    for (unsigned i = 0; i < q->count && status == STATUS_SUCCESS; i++) {
        if (!q->s[i].e.revents)
            continue;
        to[n].socket = q->s[i].handle;
        to[n].flags = q->s[i].e.revents;
        to[n].status = (int32_t)q->s[i].e.status;
        n++;
    }
    memcpy(out, &q->timeout, sizeof(q->timeout));
    memcpy(out + 8, &n, sizeof(n));
    out[12] = (char)q->exclusive;
    memset(out + 13, 0, 3);
    uint64_t information = status == STATUS_CANCELLED ? 0 : HEAD_SIZE + (uint64_t)n * sizeof(*to);
    deliver(q->p.handle, q->p.event, q->p.apc, q->p.apc_context, q->p.iosb, q->p.thread, status, information,
            synchronous);
}

/* Takes q out of the pending list (under lock) and ends it. */
static void end_pending(struct poll *q, NTSTATUS status)
{
    for (struct poll **p = &pending; *p; p = &(*p)->next)
        if (*p == q) {
            *p = q->next;
            break;
        }
    finish(q, status, false);
    q->next = done;
    done = q;
}

/* The socket's main poll, or NULL (under lock). */
static struct poll *main_poll(uint64_t socket, unsigned *at)
{
    for (struct poll *q = pending; q; q = q->next)
        for (unsigned i = 0; i < q->count; i++)
            if (q->s[i].main && q->s[i].e.socket == socket) {
                *at = i;
                return q;
            }
    return NULL;
}

/* A new poll takes each of its sockets' main poll, if none has one; an
 * exclusive one ends an exclusive main poll first (under lock). */
static void take_main(struct poll *q)
{
    for (unsigned i = 0; i < q->count; i++) {
        unsigned at;
        struct poll *m = main_poll(q->s[i].e.socket, &at);
        if (m && m->exclusive && q->exclusive) {
            end_pending(m, STATUS_SUCCESS);
            m = NULL;
        }
        q->s[i].main = !m;
    }
}

NTSTATUS w2u_afd_submit(void *args)
{
    struct w2u_afd_poll_params *p = args;
    const char *in = (const char *)(uintptr_t)p->in;
    uint32_t count;
    memcpy(&count, in + 8, sizeof(count));
    /* A handle on a port reports there: an APC too is refused, as afd.sys
     * refuses it.  (Another handle's port is Wine's to know: one given a
     * completion value is taken to have one.) */
    int on_port = socket_has_port(p->handle);
    if (p->apc && on_port == 1) {
        p->status = (uint32_t)STATUS_INVALID_PARAMETER;
        return 0;
    }
    struct poll *q = calloc(1, sizeof(*q) + count * sizeof(q->s[0]));
    if (!q) {
        p->status = (uint32_t)STATUS_NO_MEMORY;
        return 0;
    }
    q->p = *p;
    q->count = count;
    memcpy(&q->timeout, in, sizeof(q->timeout));
    q->exclusive = in[12] != 0;
    q->thread_id = p->thread_id;
    q->port_only = p->apc_context && !p->event && !p->apc && (on_port == 1 || on_port < 0);
    q->deadline = p->timeout_ns < 0 ? FOREVER : now_ns() + p->timeout_ns;
    const struct afd_socket *from = (const struct afd_socket *)(in + HEAD_SIZE);
    const uint64_t *names = (const uint64_t *)(uintptr_t)p->names;
    for (unsigned i = 0; i < count; i++) {
        q->s[i].handle = from[i].socket;
        q->s[i].e.socket = names[i];
        q->s[i].e.events = (uint16_t)from[i].flags;
    }
    struct ws2uring_poll_entry *now = calloc(count, sizeof(*now));
    if (!now) {
        free(q);
        p->status = (uint32_t)STATUS_NO_MEMORY;
        return 0;
    }
    pthread_mutex_lock(&lock);
    take_main(q);
    for (unsigned i = 0; i < count; i++)
        now[i] = q->s[i].e;
    int ready = afd_wait(now, count, -1, 0);
    for (unsigned i = 0; i < count; i++)
        q->s[i].e = now[i];
    free(now);
    if (ready != 0 || p->immediate) {
        finish(q, STATUS_SUCCESS, true);
        pthread_mutex_unlock(&lock);
        free(q);
        p->status = STATUS_SUCCESS;
        return 0;
    }
    struct poll **tail = &pending;
    while (*tail)
        tail = &(*tail)->next;
    *tail = q;
    pthread_mutex_unlock(&lock);
    ring();
    p->status = STATUS_PENDING;
    return 0;
}

NTSTATUS w2u_afd_cancel(void *args)
{
    struct w2u_afd_cancel_params *c = args;
    c->cancelled = 0;
    pthread_mutex_lock(&lock);
    for (struct poll *q = pending, *next; q; q = next) {
        next = q->next;
        bool names = false;
        for (unsigned i = 0; c->closing && i < q->count; i++)
            if (q->s[i].e.socket == c->handle) {
                q->s[i].e.revents = W2U_AFD_CLOSE;
                q->s[i].e.status = 0;
                names = true;
            }
        if (names) {
            end_pending(q, STATUS_SUCCESS);
            c->cancelled++;
        } else if (c->thread_exit ? q->thread_id == c->thread_id && !q->port_only
                                  : q->p.handle == c->handle && (!c->iosb || q->p.iosb == c->iosb) &&
                                        (!c->thread_id || q->thread_id == c->thread_id)) {
            end_pending(q, STATUS_CANCELLED);
            c->cancelled++;
        }
    }
    pthread_mutex_unlock(&lock);
    if (c->cancelled)
        ring();
    return 0;
}

/* The engine: never returns.  Each round waits on a copy of every pending
 * poll's sockets, then ends the polls that got an event or timed out. */
NTSTATUS w2u_afd_run(void *args)
{
    (void)args;
    struct ws2uring_poll_entry *e = NULL;
    struct poll **owner = NULL;
    unsigned *index = NULL;
    unsigned room = 0;
    for (;;) {
        pthread_mutex_lock(&lock);
        while (done) {
            struct poll *q = done;
            done = q->next;
            free(q);
        }
        unsigned n = 0;
        int64_t deadline = FOREVER;
        for (struct poll *q = pending; q; q = q->next) {
            n += q->count;
            if (q->deadline < deadline)
                deadline = q->deadline;
        }
        if (n > room) {
            free(e);
            free(owner);
            free(index);
            room = n * 2;
            e = calloc(room, sizeof(*e));
            owner = calloc(room, sizeof(*owner));
            index = calloc(room, sizeof(*index));
            if (!e || !owner || !index) {
                room = 0;
                pthread_mutex_unlock(&lock);
                sleep(1);              /* out of memory: look again later */
                continue;
            }
        }
        n = 0;
        for (struct poll *q = pending; q; q = q->next)
            for (unsigned i = 0; i < q->count; i++) {
                e[n] = q->s[i].e;
                index[n] = i;
                owner[n++] = q;
            }
        pthread_mutex_unlock(&lock);

        if (n)
            afd_wait(e, n, wake_fd, deadline);
        else
            afd_wait(NULL, 0, wake_fd, FOREVER);
        uint64_t rung;
        while (read(wake_fd, &rung, sizeof(rung)) < 0 && errno == EINTR)
            ;

        pthread_mutex_lock(&lock);
        int64_t now = now_ns();
        for (unsigned k = 0; k < n; k++) {
            struct poll *q = owner[k];
            bool still = false;
            for (struct poll *p = pending; p && !still; p = p->next)
                still = p == q;
            if (!still || !e[k].revents)
                continue;
            /* A socket named twice reports through its first entry, as
             * afd.sys ends a waiting poll at the first match. */
            bool first = true;
            for (unsigned i = 0; i < index[k] && first; i++)
                first = q->s[i].e.socket != e[k].socket;
            if (first) {
                q->s[index[k]].e.revents = e[k].revents;
                q->s[index[k]].e.status = e[k].status;
            }
        }
        for (struct poll *q = pending, *next; q; q = next) {
            next = q->next;
            bool got = false;
            for (unsigned i = 0; i < q->count; i++)
                got = got || q->s[i].e.revents;
            if (got)
                end_pending(q, STATUS_SUCCESS);
            else if (q->deadline <= now)
                end_pending(q, STATUS_TIMEOUT);
        }
        pthread_mutex_unlock(&lock);
    }
    return 0;
}
