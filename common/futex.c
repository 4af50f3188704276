/* Futex waits with CLOCK_MONOTONIC deadlines. */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "w2u.h"

int64_t w2u_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t w2u_deadline_ms(uint32_t ms)
{
    if (ms == 0xFFFFFFFFu)
        return W2U_FOREVER;
    return w2u_now_ns() + (int64_t)ms * 1000000;
}

int w2u_futex_wait(_Atomic uint32_t *word, uint32_t expected, int64_t deadline)
{
    struct timespec ts, *tsp = NULL;
    if (deadline != W2U_FOREVER) {
        if (deadline <= w2u_now_ns())
            return -ETIMEDOUT;
        ts.tv_sec = deadline / 1000000000;
        ts.tv_nsec = deadline % 1000000000;
        tsp = &ts;
    }
    /* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time, so retries
     * after spurious wake-ups do not stretch the wait. */
    long r = syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG,
                     expected, tsp, NULL, FUTEX_BITSET_MATCH_ANY);
    if (r < 0 && errno == ETIMEDOUT)
        return -ETIMEDOUT;
    return 0;
}

void w2u_futex_wake(_Atomic uint32_t *word, int count)
{
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG,
            count < 0 ? INT_MAX : count, NULL, NULL, 0);
}
