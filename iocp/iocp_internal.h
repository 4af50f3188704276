/* Shared between the files of iocp/ only. */
#ifndef W2U_IOCP_INTERNAL_H
#define W2U_IOCP_INTERNAL_H

#include <pthread.h>

#include "iocp.h"

struct iocp_thread {
    _Atomic unsigned refs;
    /* Futex word the thread sleeps on in every ws2uring wait; anyone who
     * has news for it (a handed-off packet, an APC, a set event) bumps it. */
    _Atomic uint32_t wake;
    _Atomic uint32_t sleeping;             /* in futex_wait on wake: wakers must call the kernel */
    pthread_mutex_t lock;                  /* guards the APC queue and exited */
    struct iocp_apc *apc_head, **apc_tail;
    _Atomic bool apc_pending;
    bool exited;
    /* Set while this thread reaps a ring in an alertable wait: an APC for it
     * must wake the ring, not the futex. */
    struct ur_ring *_Atomic leading_ring;
    /* The port this thread last took a packet from (a reference), and
     * whether it is counted in that port's active threads now. */
    struct iocp_port *assoc;
    bool counted;
    /* The port this thread last posted to (a reference): posting again
     * needs no reference counting on the handle. */
    struct iocp_port *post_port;
    unsigned block_depth;
    /* While this thread is the leader of a port, a completion it reaps for
     * that port is kept here instead of being handed to another thread. */
    struct iocp_port *reaping_for;
    struct iocp_packet *kept;
};

void iocp_thread_wake(struct iocp_thread *t);
/* Sleeps on t->wake (the calling thread's own) while it still equals seq. */
int iocp_thread_sleep(struct iocp_thread *t, uint32_t seq, int64_t deadline);

/* port.c: a thread stops / starts counting as active for port. */
void iocp_port_thread_leave(struct iocp_port *port);
void iocp_port_thread_enter(struct iocp_port *port);

#endif
