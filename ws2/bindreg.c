/* Windows' address-sharing rules for bind.
 *
 * Windows decides whether a bind may share a port with the process's
 * other sockets by its own rules (Wine's sock.c test_reuseaddr records
 * them on Windows), which are not Linux's:
 *   - the same address: allowed only when both sockets set SO_REUSEADDR
 *     (the first listener then gets the connections); WSAEACCES when only
 *     the new one did; WSAEADDRINUSE otherwise, and always when either is
 *     exclusive (SO_EXCLUSIVEADDRUSE);
 *   - a wildcard and a specific address (0.0.0.0 and 127.0.0.1, or a
 *     dual-stack :: and any IPv4 address): allowed with no option at all,
 *     and the specific one gets its connections; refused when the wildcard
 *     holder is exclusive (WSAEACCES) or the new wildcard is
 *     (WSAEADDRINUSE);
 *   - an IPv6 socket bound to an IPv4-mapped address counts as IPv4.
 * This registry of the process's bound IP sockets applies them before the
 * kernel sees the bind.  Every IP socket carries Linux's SO_REUSEADDR, so
 * the kernel lets sockets that are not listening share; when a wildcard
 * and a specific address share a port both also get SO_REUSEPORT, which
 * lets them listen side by side with the kernel picking the specific one.
 * Same-address sockets never get it: SO_REUSEPORT would spread their
 * connections over both, where Windows gives them to the first. */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ws2_private.h"

/* How an address meets others on its port. */
struct endpoint {
    int domain;                    /* 4 or 6: IPv4-mapped IPv6 addresses are 4 */
    unsigned char addr[16];        /* IPv4 in the first 4 bytes */
    bool wildcard;
    bool dual;                     /* IPv6 :: without IPV6_V6ONLY: a wildcard for IPv4 too */
};

struct bound {
    struct bound *next;
    const struct ws2_socket *sock;
    int type;
    uint16_t port;                 /* network order */
    struct endpoint at;
    bool exclusive, reuse;
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct bound *bound_list;

static void endpoint_of(const struct sockaddr_storage *ss, bool v6only, uint16_t *port, struct endpoint *e)
{
    static const unsigned char zero[16];
    static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    memset(e, 0, sizeof(*e));
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        *port = in->sin_port;
        e->domain = 4;
        memcpy(e->addr, &in->sin_addr, 4);
        e->wildcard = !in->sin_addr.s_addr;
        return;
    }
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
    *port = in6->sin6_port;
    if (!memcmp(&in6->sin6_addr, mapped, sizeof(mapped))) {
        e->domain = 4;
        memcpy(e->addr, (const char *)&in6->sin6_addr + 12, 4);
        e->wildcard = !memcmp(e->addr, zero, 4);
        return;
    }
    e->domain = 6;
    memcpy(e->addr, &in6->sin6_addr, 16);
    e->wildcard = !memcmp(e->addr, zero, 16);
    e->dual = e->wildcard && !v6only;
}

void ws2_bind_prepare_fd(int fd, int family)
{
    if (family != AF_INET && family != AF_INET6)
        return;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
}

enum verdict { APART, SHARE, SHARE_SPECIFIC };   /* or a negative WSA error */

/* What Windows says of the new socket n binding where held is bound. */
static int verdict(const struct bound *held, const struct bound *n)
{
    const struct endpoint *e = &held->at, *a = &n->at;
    bool e_wild, a_wild;
    if (e->domain == a->domain) {
        if (e->wildcard == a->wildcard && !memcmp(e->addr, a->addr, 16)) {
            if (held->exclusive || n->exclusive)
                return -W2U_WSAEADDRINUSE;
            if (held->reuse && n->reuse)
                return SHARE;
            return n->reuse ? -W2U_WSAEACCES : -W2U_WSAEADDRINUSE;
        }
        if (!e->wildcard && !a->wildcard)
            return APART;                    /* two specific addresses */
        e_wild = e->wildcard;
        a_wild = a->wildcard;
    } else if (e->dual && a->domain == 4) {
        e_wild = true, a_wild = false;       /* the dual-stack :: is IPv4's wildcard */
    } else if (a->dual && e->domain == 4) {
        e_wild = false, a_wild = true;
    } else {
        return APART;
    }
    if (e_wild && !a_wild)
        return held->exclusive ? -W2U_WSAEACCES : SHARE_SPECIFIC;
    return n->exclusive ? -W2U_WSAEADDRINUSE : SHARE_SPECIFIC;
}

int ws2_bind_checked(struct ws2_socket *s, const struct sockaddr_storage *ss, unsigned len)
{
    if (s->family != AF_INET && s->family != AF_INET6)
        return bind(s->fd, (const struct sockaddr *)ss, len) < 0 ? -(int)w2u_errno_to_wsa(errno) : 0;

    int v6only = 0;
    socklen_t vl = sizeof(v6only);
    if (s->family == AF_INET6)
        getsockopt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &vl);
    struct bound *b = calloc(1, sizeof(*b));
    if (!b)
        return -W2U_WSAENOBUFS;
    b->sock = s;
    b->type = s->type;
    b->exclusive = s->exclusive;
    b->reuse = s->reuse;
    endpoint_of(ss, v6only, &b->port, &b->at);

    pthread_mutex_lock(&reg_lock);
    int r = 0, one = 1;
    bool specific = false, same = false;
    if (b->port) {
        for (struct bound *o = bound_list; o && r >= 0; o = o->next) {
            if (o->type != b->type || o->port != b->port)
                continue;
            int v = verdict(o, b);
            if (v < 0)
                r = v;
            same |= v == SHARE;
            specific |= v == SHARE_SPECIFIC;
        }
    }
    /* A wildcard and a specific address listen side by side only with
     * SO_REUSEPORT on both: set it on those it shares with. */
    if (r == 0 && specific && !same) {
        setsockopt(s->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
        for (struct bound *o = bound_list; o; o = o->next)
            if (o->type == b->type && o->port == b->port && verdict(o, b) == SHARE_SPECIFIC)
                setsockopt(o->sock->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    }
    if (r == 0 && bind(s->fd, (const struct sockaddr *)ss, len) < 0)
        r = errno == ENODEV ? -W2U_WSAEADDRNOTAVAIL       /* a scope no interface has */
                            : -(int)w2u_errno_to_wsa(errno);
    if (r == 0) {
        /* Record the port the kernel chose for port 0 as well. */
        struct sockaddr_storage got;
        socklen_t gl = sizeof(got);
        if (getsockname(s->fd, (struct sockaddr *)&got, &gl) == 0)
            endpoint_of(&got, v6only, &b->port, &b->at);
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
