/* getsockopt / setsockopt with Windows levels, names, value sizes and
 * errors.  Option numbers differ between Windows and Linux (IP_TTL is 4 on
 * Windows, 2 on Linux), and so do some value shapes (Windows' linger is two
 * u_shorts, timeouts are DWORD milliseconds, SO_RCVBUF is not doubled):
 * one table maps each Windows option to the Linux one and its kind. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "ws2_private.h"

enum kind {
    K_BOOL,        /* BOOL (4 bytes) <-> int 0/1 */
    K_INT,         /* int <-> int */
    K_BYTE_OK,     /* int, but 1-byte values accepted too (multicast TTL/loop) */
    K_BUF,         /* a buffer size: Linux reports twice what was set */
    K_MREQ,        /* struct ip_mreq: same layout on both */
    K_MREQ6,       /* struct ipv6_mreq: same layout on both */
    K_SPECIAL,     /* handled by name below */
};

#define F_GET_ONLY  1u
#define F_SET_ONLY  2u
#define F_STREAM    4u     /* stream sockets only */
#define F_INET4     8u     /* AF_INET only */
#define F_INET6     16u    /* AF_INET6 only */

struct option {
    int wlevel, wname;
    int llevel, lname;
    enum kind kind;
    unsigned flags;
};

static const struct option options[] = {
    { W2U_SOL_SOCKET, W2U_SO_DEBUG,          SOL_SOCKET, SO_DEBUG,      K_BOOL, 0 },
    { W2U_SOL_SOCKET, W2U_SO_ACCEPTCONN,     SOL_SOCKET, SO_ACCEPTCONN, K_BOOL, F_GET_ONLY },
    { W2U_SOL_SOCKET, W2U_SO_REUSEADDR,      0, 0,                      K_SPECIAL, 0 },
    { W2U_SOL_SOCKET, W2U_SO_EXCLUSIVEADDRUSE, 0, 0,                    K_SPECIAL, 0 },
    { W2U_SOL_SOCKET, W2U_SO_KEEPALIVE,      SOL_SOCKET, SO_KEEPALIVE,  K_BOOL, F_STREAM },
    { W2U_SOL_SOCKET, W2U_SO_DONTROUTE,      SOL_SOCKET, SO_DONTROUTE,  K_BOOL, 0 },
    { W2U_SOL_SOCKET, W2U_SO_BROADCAST,      SOL_SOCKET, SO_BROADCAST,  K_BOOL, 0 },
    { W2U_SOL_SOCKET, W2U_SO_LINGER,         0, 0,                      K_SPECIAL, F_STREAM },
    { W2U_SOL_SOCKET, W2U_SO_DONTLINGER,     0, 0,                      K_SPECIAL, F_STREAM },
    { W2U_SOL_SOCKET, W2U_SO_OOBINLINE,      SOL_SOCKET, SO_OOBINLINE,  K_BOOL, F_STREAM },
    { W2U_SOL_SOCKET, W2U_SO_SNDBUF,         SOL_SOCKET, SO_SNDBUF,     K_BUF, 0 },
    { W2U_SOL_SOCKET, W2U_SO_RCVBUF,         SOL_SOCKET, SO_RCVBUF,     K_BUF, 0 },
    { W2U_SOL_SOCKET, W2U_SO_RCVLOWAT,       SOL_SOCKET, SO_RCVLOWAT,   K_INT, 0 },
    { W2U_SOL_SOCKET, W2U_SO_SNDTIMEO,       0, 0,                      K_SPECIAL, 0 },
    { W2U_SOL_SOCKET, W2U_SO_RCVTIMEO,       0, 0,                      K_SPECIAL, 0 },
    { W2U_SOL_SOCKET, W2U_SO_ERROR,          0, 0,                      K_SPECIAL, F_GET_ONLY },
    { W2U_SOL_SOCKET, W2U_SO_TYPE,           0, 0,                      K_SPECIAL, F_GET_ONLY },
    { W2U_SOL_SOCKET, W2U_SO_CONDITIONAL_ACCEPT, 0, 0,                  K_SPECIAL, F_STREAM },
    { W2U_SOL_SOCKET, W2U_SO_MAX_MSG_SIZE,   0, 0,                      K_SPECIAL, F_GET_ONLY },
    { W2U_SOL_SOCKET, W2U_SO_UPDATE_ACCEPT_CONTEXT, 0, 0,               K_SPECIAL, F_STREAM | F_SET_ONLY },
    { W2U_SOL_SOCKET, W2U_SO_UPDATE_CONNECT_CONTEXT, 0, 0,              K_SPECIAL, F_STREAM | F_SET_ONLY },
    { W2U_SOL_SOCKET, W2U_SO_CONNECT_TIME,   0, 0,                      K_SPECIAL, F_STREAM | F_GET_ONLY },

    { W2U_IPPROTO_TCP, W2U_TCP_NODELAY,      IPPROTO_TCP, TCP_NODELAY,  K_BOOL, F_STREAM },
    { W2U_IPPROTO_TCP, W2U_TCP_KEEPIDLE,     IPPROTO_TCP, TCP_KEEPIDLE, K_INT, F_STREAM },
    { W2U_IPPROTO_TCP, W2U_TCP_KEEPCNT,      IPPROTO_TCP, TCP_KEEPCNT,  K_INT, F_STREAM },
    { W2U_IPPROTO_TCP, W2U_TCP_KEEPINTVL,    IPPROTO_TCP, TCP_KEEPINTVL, K_INT, F_STREAM },
    { W2U_IPPROTO_TCP, W2U_TCP_MAXSEG,       IPPROTO_TCP, TCP_MAXSEG,   K_INT, F_STREAM },

    { W2U_IPPROTO_IP, W2U_IP_TOS,            IPPROTO_IP, IP_TOS,        K_INT, F_INET4 },
    { W2U_IPPROTO_IP, W2U_IP_TTL,            IPPROTO_IP, IP_TTL,        K_INT, F_INET4 },
    { W2U_IPPROTO_IP, W2U_IP_MULTICAST_IF,   IPPROTO_IP, IP_MULTICAST_IF, K_INT, F_INET4 },
    { W2U_IPPROTO_IP, W2U_IP_MULTICAST_TTL,  IPPROTO_IP, IP_MULTICAST_TTL, K_BYTE_OK, F_INET4 },
    { W2U_IPPROTO_IP, W2U_IP_MULTICAST_LOOP, IPPROTO_IP, IP_MULTICAST_LOOP, K_BYTE_OK, F_INET4 },
    { W2U_IPPROTO_IP, W2U_IP_ADD_MEMBERSHIP, IPPROTO_IP, IP_ADD_MEMBERSHIP, K_MREQ, F_INET4 | F_SET_ONLY },
    { W2U_IPPROTO_IP, W2U_IP_DROP_MEMBERSHIP, IPPROTO_IP, IP_DROP_MEMBERSHIP, K_MREQ, F_INET4 | F_SET_ONLY },
    { W2U_IPPROTO_IP, W2U_IP_PKTINFO,        IPPROTO_IP, IP_PKTINFO,    K_BOOL, F_INET4 },

    { W2U_IPPROTO_IPV6, W2U_IPV6_UNICAST_HOPS, IPPROTO_IPV6, IPV6_UNICAST_HOPS, K_INT, F_INET6 },
    { W2U_IPPROTO_IPV6, W2U_IPV6_MULTICAST_IF, IPPROTO_IPV6, IPV6_MULTICAST_IF, K_INT, F_INET6 },
    { W2U_IPPROTO_IPV6, W2U_IPV6_MULTICAST_HOPS, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, K_INT, F_INET6 },
    { W2U_IPPROTO_IPV6, W2U_IPV6_MULTICAST_LOOP, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, K_BOOL, F_INET6 },
    { W2U_IPPROTO_IPV6, W2U_IPV6_JOIN_GROUP, IPPROTO_IPV6, IPV6_JOIN_GROUP, K_MREQ6, F_INET6 | F_SET_ONLY },
    { W2U_IPPROTO_IPV6, W2U_IPV6_LEAVE_GROUP, IPPROTO_IPV6, IPV6_LEAVE_GROUP, K_MREQ6, F_INET6 | F_SET_ONLY },
    { W2U_IPPROTO_IPV6, W2U_IPV6_PKTINFO,    IPPROTO_IPV6, IPV6_RECVPKTINFO, K_BOOL, F_INET6 },
    { W2U_IPPROTO_IPV6, W2U_IPV6_V6ONLY,     IPPROTO_IPV6, IPV6_V6ONLY,  K_BOOL, F_INET6 },
};

static const struct option *find_option(int level, int name, int *error)
{
    bool level_known = false;
    for (size_t i = 0; i < W2U_ARRAY_SIZE(options); i++) {
        if (options[i].wlevel != level)
            continue;
        level_known = true;
        if (options[i].wname == name)
            return &options[i];
    }
    /* Windows: an unknown level is WSAEINVAL, an unknown option in a known
     * level WSAENOPROTOOPT. */
    *error = level_known ? -W2U_WSAENOPROTOOPT : -W2U_WSAEINVAL;
    return NULL;
}

/* Whether the option applies to this socket at all. */
static int applies(const struct option *o, const struct ws2_socket *s)
{
    if ((o->flags & F_STREAM) && s->type != SOCK_STREAM)
        return -W2U_WSAENOPROTOOPT;
    if ((o->flags & F_INET4) && s->family != AF_INET)
        return -W2U_WSAEINVAL;
    if ((o->flags & F_INET6) && s->family != AF_INET6)
        return -W2U_WSAEINVAL;
    if (o->wlevel == W2U_IPPROTO_TCP && s->type != SOCK_STREAM)
        return -W2U_WSAENOPROTOOPT;
    return 0;
}

static int lset(struct ws2_socket *s, const struct option *o, const void *v, socklen_t len)
{
    return setsockopt(s->fd, o->llevel, o->lname, v, len) < 0 ? -(int)w2u_errno_to_wsa(errno) : 0;
}

static int lget_int(struct ws2_socket *s, int level, int name, int *v)
{
    socklen_t len = sizeof(*v);
    *v = 0;
    return getsockopt(s->fd, level, name, v, &len) < 0 ? -(int)w2u_errno_to_wsa(errno) : 0;
}

/* Reads a 4-byte (or, for K_BYTE_OK, 1-byte) integer value. */
static int read_int(const struct option *o, const void *val, int len, int *out)
{
    if (len >= (int)sizeof(int)) {
        memcpy(out, val, sizeof(int));
        return 0;
    }
    if (o && o->kind == K_BYTE_OK && len >= 1) {
        *out = *(const unsigned char *)val;
        return 0;
    }
    return -W2U_WSAEFAULT;
}

static int set_special(struct ws2_socket *s, int name, const void *val, int len)
{
    int v, r;
    switch (name) {
    case W2U_SO_REUSEADDR:
        if ((r = read_int(NULL, val, len, &v)) < 0)
            return r;
        /* Windows' meaning, applied at bind (bindreg.c): this socket may
         * share an address another socket holds. */
        if (v && s->exclusive)
            return -W2U_WSAEINVAL;
        s->reuse = v != 0;
        return 0;
    case W2U_SO_EXCLUSIVEADDRUSE:
        if ((r = read_int(NULL, val, len, &v)) < 0)
            return r;
        if (v && s->reuse)
            return -W2U_WSAEINVAL;     /* the two exclude each other */
        s->exclusive = v != 0;
        return 0;
    case W2U_SO_LINGER: {
        uint16_t wl[2];
        if (len < (int)sizeof(wl))
            return -W2U_WSAEFAULT;
        memcpy(wl, val, sizeof(wl));
        struct linger l = { .l_onoff = wl[0] != 0, .l_linger = wl[1] };
        return setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)) < 0 ?
               -(int)w2u_errno_to_wsa(errno) : 0;
    }
    case W2U_SO_DONTLINGER: {
        struct linger l;
        socklen_t ll = sizeof(l);
        if ((r = read_int(NULL, val, len, &v)) < 0)
            return r;
        getsockopt(s->fd, SOL_SOCKET, SO_LINGER, &l, &ll);
        l.l_onoff = !v;                /* the linger time is kept */
        return setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)) < 0 ?
               -(int)w2u_errno_to_wsa(errno) : 0;
    }
    case W2U_SO_SNDTIMEO:
    case W2U_SO_RCVTIMEO:
        if ((r = read_int(NULL, val, len, &v)) < 0)
            return r;
        /* DWORD milliseconds; Windows treats 1..499 as 500 only on old
         * systems, modern Windows takes them as given. */
        if (name == W2U_SO_SNDTIMEO)
            s->sndtimeo = (uint32_t)v;
        else
            s->rcvtimeo = (uint32_t)v;
        return 0;
    case W2U_SO_CONDITIONAL_ACCEPT:
        if ((r = read_int(NULL, val, len, &v)) < 0)
            return r;
        s->conditional_accept = v != 0;
        return 0;
    case W2U_SO_UPDATE_ACCEPT_CONTEXT: {
        /* The listener's SOCKET, after AcceptEx: names and options already
         * work here, so only the argument is checked. */
        uintptr_t listener;
        struct ws2_socket *l;
        if (len < (int)sizeof(listener))
            return -W2U_WSAEFAULT;
        memcpy(&listener, val, sizeof(listener));
        if ((r = ws2_socket_get(listener, &l)) < 0)
            return r;
        r = l->listening && s->connected ? 0 : -W2U_WSAEINVAL;
        ws2_socket_put(l);
        return r;
    }
    case W2U_SO_UPDATE_CONNECT_CONTEXT:
        return s->connected ? 0 : -W2U_WSAENOTCONN;
    }
    return -W2U_WSAENOPROTOOPT;
}

int wsp_setsockopt(struct ws2_socket *s, int level, int name, const void *val, int len)
{
    int r = 0;
    const struct option *o = find_option(level, name, &r);
    if (!o)
        goto out;
    if ((r = applies(o, s)) < 0)
        goto out;
    if (o->flags & F_GET_ONLY) {
        r = -W2U_WSAENOPROTOOPT;
        goto out;
    }
    /* SO_UPDATE_CONNECT_CONTEXT takes no value: NULL, 0 is its usage. */
    if ((!val || len < 0) && !(level == W2U_SOL_SOCKET && name == W2U_SO_UPDATE_CONNECT_CONTEXT)) {
        r = -W2U_WSAEFAULT;
        goto out;
    }
    pthread_mutex_lock(&s->lock);
    int v;
    switch (o->kind) {
    case K_BOOL:
    case K_INT:
    case K_BYTE_OK:
    case K_BUF:
        if ((r = read_int(o, val, len, &v)) == 0) {
            if (o->kind == K_BOOL)
                v = v != 0;
            r = lset(s, o, &v, sizeof(v));
        }
        break;
    case K_MREQ:
        r = len < (int)sizeof(struct ip_mreq) ? -W2U_WSAEFAULT : lset(s, o, val, sizeof(struct ip_mreq));
        break;
    case K_MREQ6:
        r = len < (int)sizeof(struct ipv6_mreq) ? -W2U_WSAEFAULT : lset(s, o, val, sizeof(struct ipv6_mreq));
        break;
    case K_SPECIAL:
        r = set_special(s, name, val, len);
        break;
    }
    pthread_mutex_unlock(&s->lock);
out:
    return r;
}

/* Value of a special option, as the int Windows hands out. */
static int get_special(struct ws2_socket *s, int name, int *v)
{
    int r;
    switch (name) {
    case W2U_SO_REUSEADDR:         *v = s->reuse; return 0;
    case W2U_SO_EXCLUSIVEADDRUSE:  *v = s->exclusive; return 0;
    case W2U_SO_SNDTIMEO:          *v = (int)s->sndtimeo; return 0;
    case W2U_SO_RCVTIMEO:          *v = (int)s->rcvtimeo; return 0;
    case W2U_SO_CONDITIONAL_ACCEPT: *v = s->conditional_accept; return 0;
    case W2U_SO_TYPE:              *v = s->type == SOCK_STREAM ? W2U_SOCK_STREAM : W2U_SOCK_DGRAM; return 0;
    case W2U_SO_CONNECT_TIME: {
        /* Whole seconds connected; 0xFFFFFFFF while not connected. */
        int64_t t = ws2_connect_time(s);
        *v = t ? (int)((w2u_now_ns() - t) / 1000000000) : -1;
        return 0;
    }
    case W2U_SO_MAX_MSG_SIZE:
        /* Datagrams: the largest UDP payload; streams have no limit. */
        *v = s->type == SOCK_DGRAM ? 65507 : 0x7fffffff;
        return 0;
    case W2U_SO_ERROR: {
        int err;
        if ((r = lget_int(s, SOL_SOCKET, SO_ERROR, &err)) < 0)
            return r;
        *v = err ? (int)w2u_errno_to_wsa(err) : 0;
        return 0;
    }
    case W2U_SO_DONTLINGER: {
        struct linger l = { 0 };
        socklen_t ll = sizeof(l);
        if (getsockopt(s->fd, SOL_SOCKET, SO_LINGER, &l, &ll) < 0)
            return -(int)w2u_errno_to_wsa(errno);
        *v = !l.l_onoff;
        return 0;
    }
    }
    return -W2U_WSAENOPROTOOPT;
}

int wsp_getsockopt(struct ws2_socket *s, int level, int name, void *val, int *len)
{
    int r = 0;
    const struct option *o = find_option(level, name, &r);
    if (!o)
        goto out;
    if ((r = applies(o, s)) < 0)
        goto out;
    if (o->flags & F_SET_ONLY) {
        r = -W2U_WSAENOPROTOOPT;
        goto out;
    }
    if (!val || !len) {
        r = -W2U_WSAEFAULT;
        goto out;
    }
    if (name == W2U_SO_LINGER && level == W2U_SOL_SOCKET) {
        struct linger l = { 0 };
        socklen_t ll = sizeof(l);
        uint16_t wl[2];
        if (*len < (int)sizeof(wl)) {
            r = -W2U_WSAEFAULT;
        } else if (getsockopt(s->fd, SOL_SOCKET, SO_LINGER, &l, &ll) < 0) {
            r = -(int)w2u_errno_to_wsa(errno);
        } else {
            wl[0] = (uint16_t)(l.l_onoff != 0);
            wl[1] = (uint16_t)l.l_linger;
            memcpy(val, wl, sizeof(wl));
            *len = sizeof(wl);
        }
        goto out;
    }
    if (*len < (int)sizeof(int)) {
        r = -W2U_WSAEFAULT;
        goto out;
    }
    int v = 0;
    if (o->kind == K_SPECIAL)
        r = get_special(s, name, &v);
    else
        r = lget_int(s, o->llevel, o->lname, &v);
    if (r == 0) {
        if (o->kind == K_BOOL)
            v = v != 0;
        else if (o->kind == K_BUF)
            v /= 2;                    /* Linux doubles what it was given */
        memcpy(val, &v, sizeof(v));
        *len = sizeof(v);
    }
out:
    return r;
}
