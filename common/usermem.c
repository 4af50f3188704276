/* Checks of program memory (see w2u.h): a touch of each page with faults
 * caught, by the host's probe or by a chained SIGSEGV/SIGBUS handler. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "w2u.h"

static struct sigaction previous[2];            /* SIGSEGV's, SIGBUS's */
static pthread_once_t installed = PTHREAD_ONCE_INIT;
static bool handler_ready;
/* Set only while this thread probes: a fault then is the probe's. */
static W2U_TLS sigjmp_buf *probing;

/* Loads and stores no sanitizer may check or instrument: the probe exists
 * to fault on memory nobody may touch (ThreadSanitizer's runtime would take
 * the fault itself), and touches no data.  Both are relaxed atomics (plain
 * moves): the memory may be an OVERLAPPED that another thread is
 * completing, which the probe must neither change nor race with; the
 * write probe adds 0 atomically for the same reason. */
__attribute__((no_sanitize("address", "undefined", "thread"), noinline))
void w2u_user_touch(void *p, size_t n, bool write)
{
    static _Atomic size_t page_size;
    size_t page = atomic_load_explicit(&page_size, memory_order_relaxed);
    if (!page) {
        page = (size_t)sysconf(_SC_PAGESIZE);
        atomic_store_explicit(&page_size, page, memory_order_relaxed);
    }
    volatile unsigned char *c = p, *last = c + n - 1;   /* volatile: never elided */
    for (;;) {
        if (write)
            __atomic_fetch_add(c, 0, __ATOMIC_RELAXED);
        else
            (void)__atomic_load_n(c, __ATOMIC_RELAXED);
        if (c == last)
            break;
        /* The next page's first byte, or the last byte. */
        uintptr_t next = ((uintptr_t)c & ~(uintptr_t)(page - 1)) + page;
        c = next > (uintptr_t)last || next < (uintptr_t)c ? last : (volatile unsigned char *)next;
    }
}

#ifdef __SANITIZE_THREAD__
/* ThreadSanitizer cannot take a fault and a siglongjmp out of the handler
 * (it leaves the thread's signals blocked and the next fault kills the
 * process: google/sanitizers#482 and llvm-project#94207), so its build
 * asks the kernel's map instead: readable (and writable) pages from p to
 * p + n, with no gap.  Slow, and only in that build. */
static bool probe_by_maps(uintptr_t p, size_t n, bool write)
{
    FILE *maps = fopen("/proc/self/maps", "re");
    if (!maps)
        return true;                 /* cannot tell, as without a handler */
    uintptr_t at = p, end = p + n;
    bool ok = false;
    char line[512];
    while (fgets(line, sizeof(line), maps)) {
        unsigned long lo, hi;
        char perms[5];
        if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) != 3 || hi <= at)
            continue;
        if (lo > at || perms[0] != 'r' || (write && perms[1] != 'w'))
            break;                   /* a gap, or a page it may not touch */
        at = hi;
        if (at >= end) {
            ok = true;
            break;
        }
    }
    fclose(maps);
    return ok;
}
#endif

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
    bool (*guard)(ws2uring_touch_fn *, void *, size_t, bool) = w2u_host()->probe;
    if (guard)
        return guard(w2u_user_touch, p, n, write);
#ifdef __SANITIZE_THREAD__
    return probe_by_maps((uintptr_t)p, n, write);
#endif
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
