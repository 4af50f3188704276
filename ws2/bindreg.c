/* Windows' address-sharing rules for bind.
 *
 * Windows: a socket may bind to an address another socket holds only if
 * the NEW socket set SO_REUSEADDR, and never if the holder set
 * SO_EXCLUSIVEADDRUSE.  Linux: both sockets need the option.  So every IP
 * socket of ws2uring carries Linux's SO_REUSEADDR + SO_REUSEPORT (the
 * kernel lets them share; sockets of other programs, without them, still
 * conflict), and this registry of the process's bound addresses applies
 * Windows' rules before the kernel sees the bind. */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ws2_private.h"

struct bound {
    struct bound *next;
    const struct ws2_socket *sock;
    int family, type;
    uint16_t port;                 /* network order */
    unsigned char addr[16];        /* all zero: the wildcard */
    bool exclusive;
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct bound *bound_list;

static void endpoint(const struct sockaddr_storage *ss, uint16_t *port, unsigned char addr[16])
{
    memset(addr, 0, 16);
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        *port = in->sin_port;
        memcpy(addr, &in->sin_addr, 4);
    } else {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        *port = in6->sin6_port;
        memcpy(addr, &in6->sin6_addr, 16);
    }
}

static bool is_wildcard(const unsigned char addr[16])
{
    static const unsigned char zero[16];
    return !memcmp(addr, zero, 16);
}

void ws2_bind_prepare_fd(int fd, int family)
{
    if (family != AF_INET && family != AF_INET6)
        return;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
}

int ws2_bind_checked(struct ws2_socket *s, const struct sockaddr_storage *ss, unsigned len)
{
    if (s->family != AF_INET && s->family != AF_INET6)
        return bind(s->fd, (const struct sockaddr *)ss, len) < 0 ? -(int)w2u_errno_to_wsa(errno) : 0;

    uint16_t port;
    unsigned char addr[16];
    endpoint(ss, &port, addr);
    struct bound *b = calloc(1, sizeof(*b));
    if (!b)
        return -W2U_WSAENOBUFS;

    pthread_mutex_lock(&reg_lock);
    int r = 0;
    if (port) {
        for (struct bound *o = bound_list; o && !r; o = o->next) {
            if (o->family != s->family || o->type != s->type || o->port != port)
                continue;
            if (!is_wildcard(o->addr) && !is_wildcard(addr) && memcmp(o->addr, addr, 16))
                continue;                       /* different addresses: no overlap */
            if (o->exclusive || s->exclusive || !s->reuse)
                r = -W2U_WSAEADDRINUSE;
        }
    }
    if (!r && bind(s->fd, (const struct sockaddr *)ss, len) < 0)
        r = -(int)w2u_errno_to_wsa(errno);
    if (!r) {
        /* Record the port the kernel chose for port 0 as well. */
        struct sockaddr_storage got;
        socklen_t gl = sizeof(got);
        if (getsockname(s->fd, (struct sockaddr *)&got, &gl) == 0)
            endpoint(&got, &b->port, b->addr);
        b->sock = s;
        b->family = s->family;
        b->type = s->type;
        b->exclusive = s->exclusive;
        b->next = bound_list;
        bound_list = b;
        b = NULL;
    }
    pthread_mutex_unlock(&reg_lock);
    free(b);
    return r;
}

void ws2_bind_forget(const struct ws2_socket *s)
{
    pthread_mutex_lock(&reg_lock);
    for (struct bound **p = &bound_list; *p;) {
        if ((*p)->sock == s) {
            struct bound *b = *p;
            *p = b->next;
            free(b);
        } else {
            p = &(*p)->next;
        }
    }
    pthread_mutex_unlock(&reg_lock);
}
