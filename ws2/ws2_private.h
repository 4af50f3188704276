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
    const struct ws2_catalog_entry *entry;   /* where it comes from */
    uint32_t flags;                /* WSA_FLAG_* */
    _Atomic bool nonblocking;      /* Windows mode (FIONBIO) */
    _Atomic bool closing;
    pthread_mutex_t lock;          /* state below */
    bool bound, listening, connected, connecting;
    bool shut_send, shut_recv;
    uint32_t rcvtimeo, sndtimeo;   /* ms, 0 = no limit */
    bool reuse, exclusive;         /* SO_REUSEADDR, SO_EXCLUSIVEADDRUSE */
    bool conditional_accept;       /* SO_CONDITIONAL_ACCEPT */
    uintptr_t deferred;            /* a connection WSAAccept deferred (CF_DEFER) */
    /* WSAEventSelect state (eventselect.c), under lock. */
    uintptr_t es_event;
    uint32_t es_mask;              /* lNetworkEvents; 0: not selected */
    uint32_t es_pending;           /* the network event record */
    uint32_t es_enabled;           /* events that may be recorded now */
    int es_errors[W2U_FD_MAX_EVENTS];
    uint32_t es_epoll;             /* current epoll interest, 0: not in epoll */
    bool es_eof;                   /* the peer closed: no more FD_READ */
};

/* Marks a finished non-blocking connect as connected (see socket.c). */
void ws2_refresh_connect(struct ws2_socket *s);
void ws2_refresh_connect_locked(struct ws2_socket *s);

/* eventselect.c: hooks the socket calls use. */
void ws2_es_reenable(struct ws2_socket *s, uint32_t fd_bits);
void ws2_es_state_changed(struct ws2_socket *s);
void ws2_es_inherit(struct ws2_socket *from, struct ws2_socket *to);
void ws2_es_detach(struct ws2_socket *s);

#endif
