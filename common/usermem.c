/* Checks of program memory (see w2u.h): a touch of each page with faults
 * caught, by the host's probe or by a chained SIGSEGV/SIGBUS handler. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "w2u.h"

static bool (*host_guard)(w2u_user_touch_fn *touch, void *p, size_t n, bool write);
static struct sigaction previous[2];            /* SIGSEGV's, SIGBUS's */
static pthread_once_t installed = PTHREAD_ONCE_INIT;
static bool handler_ready;
/* Set only while this thread probes: a fault then is the probe's. */
static W2U_TLS sigjmp_buf *probing;

void w2u_user_set_guard(bool (*guard)(w2u_user_touch_fn *touch, void *p, size_t n, bool write))
{
    host_guard = guard;
}

/* Plain loads and stores the sanitizers must not check first: the probe
 * exists to fault on memory nobody may touch. */
__attribute__((no_sanitize("address", "undefined"), noinline))
void w2u_user_touch(void *p, size_t n, bool write)
{
    static size_t page;
    if (!page)
        page = (size_t)sysconf(_SC_PAGESIZE);
    volatile unsigned char *c = p, *last = c + n - 1;
    for (;;) {
        if (write)
            __atomic_fetch_add((unsigned char *)c, 0, __ATOMIC_RELAXED);
        else
            (void)*c;
        if (c == last)
            break;
        /* The next page's first byte, or the last byte. */
        uintptr_t next = ((uintptr_t)c & ~(uintptr_t)(page - 1)) + page;
        c = next > (uintptr_t)last || next < (uintptr_t)c ? last : (volatile unsigned char *)next;
    }
}

static void on_fault(int sig, siginfo_t *info, void *context)
{
    sigjmp_buf *jump = probing;
    if (jump) {
        probing = NULL;
        siglongjmp(*jump, 1);
    }
    /* Not a probe's: what was there before decides.  A default action is
     * restored, and the faulting instruction runs again into it. */
    struct sigaction *old = &previous[sig == SIGBUS];
    if (old->sa_flags & SA_SIGINFO)
        old->sa_sigaction(sig, info, context);
    else if (old->sa_handler == SIG_DFL)
        sigaction(sig, old, NULL);
    else if (old->sa_handler != SIG_IGN)
        old->sa_handler(sig);
}

static void install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    handler_ready = sigaction(SIGSEGV, &sa, &previous[0]) == 0 && sigaction(SIGBUS, &sa, &previous[1]) == 0;
}

static bool probe(void *p, size_t n, bool write)
{
    if (!n)
        return true;
    if (!p || (uintptr_t)p + n < (uintptr_t)p)
        return false;
    if (host_guard)
        return host_guard(w2u_user_touch, p, n, write);
    pthread_once(&installed, install);
    if (!handler_ready)
        return true;                 /* cannot tell: the call goes on as before */
    sigjmp_buf jump;
    if (sigsetjmp(jump, 0)) {
        return false;
    }
    probing = &jump;
    w2u_user_touch(p, n, write);
    probing = NULL;
    return true;
}

bool w2u_user_readable(const void *p, size_t n)
{
    return probe((void *)p, n, false);
}

bool w2u_user_writable(void *p, size_t n)
{
    return probe(p, n, true);
}
