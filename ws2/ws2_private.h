/* Shared by the files of ws2/ only. */
#ifndef W2U_WS2_PRIVATE_H
#define W2U_WS2_PRIVATE_H

#include <pthread.h>

#include "../iocp/iocp.h"
#include "ws2.h"

#define MAX_BUFS 64     /* WSABUF entries per call, as Windows' own limit */

struct ws2_socket {
    struct w2u_object obj;
    struct iocp_binding binding;
    int fd;
    int wake_fd;                   /* eventfd for blocking waits, or -1 */
    int family, type, protocol;    /* Linux values */
    uint32_t flags;                /* WSA_FLAG_* */
    _Atomic bool nonblocking;      /* Windows mode (FIONBIO) */
    _Atomic bool closing;
    pthread_mutex_t lock;          /* state below */
    bool bound, listening, connected, connecting;
    bool shut_send, shut_recv;
    uint32_t rcvtimeo, sndtimeo;   /* ms, 0 = no limit */
    bool reuse, exclusive;         /* SO_REUSEADDR, SO_EXCLUSIVEADDRUSE */
    bool conditional_accept;       /* SO_CONDITIONAL_ACCEPT */
};

/* Marks a finished non-blocking connect as connected (see socket.c). */
void ws2_refresh_connect(struct ws2_socket *s);

#endif
