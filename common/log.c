/* Logging: one line per message on stderr, prefixed "ws2uring:". */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "w2u.h"

W2U_TLS uint32_t w2u_last_error;

static int debug_state = -1;   /* -1: not read yet */

bool w2u_debug_enabled(void)
{
    int s = __atomic_load_n(&debug_state, __ATOMIC_RELAXED);
    if (s < 0) {
        const char *v = getenv("WS2URING_DEBUG");
        s = v && *v && strcmp(v, "0") != 0;
        __atomic_store_n(&debug_state, s, __ATOMIC_RELAXED);
    }
    return s;
}

bool w2u_disabled(const char *feature)
{
    const char *v = getenv("WS2URING_DISABLE");
    size_t n = strlen(feature);
    for (const char *p = v; p && *p; p += strcspn(p, ",")) {
        p += *p == ',';
        if (!strncmp(p, feature, n) && (p[n] == ',' || !p[n]))
            return true;
    }
    return false;
}

void w2u_log(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    int n = snprintf(line, sizeof(line), "ws2uring: ");
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    /* One write so lines from several threads do not interleave. */
    fprintf(stderr, "%s\n", line);
}

uint32_t w2u_process_id(void)
{
    return (uint32_t)getpid();
}

/* Every overlapped request records its issuer (for CancelIo), so the id is
 * read per operation: kept per thread instead of a gettid system call each
 * time.  A forked child's thread has a new id, so fork clears the cache. */
static W2U_TLS uint32_t cached_tid;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void forget_tid(void)
{
    cached_tid = 0;
}

static void register_atfork(void)
{
    pthread_atfork(NULL, NULL, forget_tid);
}

uint32_t w2u_thread_id(void)
{
    if (__builtin_expect(cached_tid == 0, 0)) {
        pthread_once(&atfork_once, register_atfork);
        cached_tid = (uint32_t)gettid();
    }
    return cached_tid;
}
