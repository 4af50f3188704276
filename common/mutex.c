/* Slow paths of the futex mutex in w2u.h. */
#include "w2u.h"

#define SPINS 100

void w2u_mutex_lock_slow(struct w2u_mutex *m)
{
    /* Short critical sections: a brief spin often wins without a sleep. */
    for (int i = 0; i < SPINS; i++) {
        uint32_t c = 0;
        if (atomic_load_explicit(&m->state, memory_order_relaxed) == 0 &&
            atomic_compare_exchange_weak_explicit(&m->state, &c, 1, memory_order_acquire,
                                                  memory_order_relaxed))
            return;
        __builtin_ia32_pause();
    }
    /* 2 = locked with (possible) sleepers: the unlocker must wake one. */
    while (atomic_exchange_explicit(&m->state, 2, memory_order_acquire) != 0)
        w2u_futex_wait(&m->state, 2, W2U_FOREVER);
}

void w2u_mutex_wake(struct w2u_mutex *m)
{
    w2u_futex_wake(&m->state, 1);
}
