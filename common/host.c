/* The host's operations: one table, installed once (see ws2uring_host.h). */
#include "w2u.h"

static const struct ws2uring_host_ops no_host;

_Atomic(const struct ws2uring_host_ops *) w2u_host_table = &no_host;

bool w2u_host_install(const struct ws2uring_host_ops *ops)
{
    const struct ws2uring_host_ops *none = &no_host;
    return ops && atomic_compare_exchange_strong_explicit(&w2u_host_table, &none, ops, memory_order_acq_rel,
                                                          memory_order_acquire);
}
