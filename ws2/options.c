/* getsockopt / setsockopt with Windows levels, names, value sizes and
 * errors.  Option numbers differ between Windows and Linux (IP_TTL is 4 on
 * Windows, 2 on Linux), and so do value shapes (Windows' linger is two
 * u_shorts, timeouts are DWORD milliseconds, SO_RCVBUF reads back what was
 * set) and how lengths are taken: one table gives each Windows option its
 * Linux twin, its kind and its length rules.
 *
 * The length rules are Windows' own, as Wine's sock.c test_set_getsockopt
 * records them option by option:
 *   - most options are 4 bytes; some are one byte (F_BYTE: SO_KEEPALIVE,
 *     SO_DONTROUTE, TCP_NODELAY, IPV6_V6ONLY), whose setsockopt reads only
 *     the low byte and whose getsockopt writes one;
 *   - options marked F_SHORT take 1 to 3 bytes in setsockopt (read as a
 *     little-endian number) and answer a getsockopt of fewer than 4 bytes
 *     with one byte (the SOL_SOCKET BOOLs, F_WIDE, write as many as asked
 *     and still say 1); other options fail both with WSAEFAULT, after
 *     zeroing the buffer (F_ZERO_FILL) or setting the length to 0
 *     (F_SIZE_ZERO) for some;
 *   - a negative setsockopt length is a 4-byte value for SOL_SOCKET's
 *     4-byte options, and WSAENOBUFS for the others; a length of 0 is
 *     FALSE for the SOL_SOCKET BOOLs (F_EMPTY_OK) and WSAEFAULT otherwise. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "ws2_private.h"

enum kind {
    K_FLAG,        /* a BOOL: any non-zero value is on, reads back 1 */
    K_INT,         /* an int passed through */
    K_SMALL,       /* an int of 0..255 (TTL, hops, TOS): more is WSAEINVAL */
    K_BUF,         /* a buffer size: reads back what was set */
    K_BYTES,       /* bytes passed through (IP_OPTIONS) */
    K_MREQ,        /* struct ip_mreq: same layout on both */
    K_MREQ6,       /* struct ipv6_mreq: same layout on both */
    K_SPECIAL,     /* an int, handled by name below */
    K_CONTEXT,     /* SO_UPDATE_*_CONTEXT: handled by name, no int value */
};

#define F_GET_ONLY   0x001u
#define F_SET_ONLY   0x002u
#define F_STREAM     0x004u   /* stream sockets only (else WSAENOPROTOOPT) */
#define F_INET4      0x008u   /* AF_INET only */
#define F_INET6      0x010u   /* AF_INET6 only */
#define F_DGRAM      0x020u   /* not on streams (WSAEINVAL there) */
#define F_RAW        0x040u   /* raw sockets only (WSAEINVAL elsewhere) */
#define F_BYTE       0x080u   /* a one-byte value */
#define F_SHORT      0x100u   /* shorter lengths taken (see the top) */
#define F_WIDE       0x200u   /* a short getsockopt writes all it was given */
#define F_EMPTY_OK   0x400u   /* setsockopt with length 0: FALSE */
#define F_ZERO_FILL  0x800u   /* a short getsockopt zeroes what it was given */
#define F_SIZE_ZERO  0x1000u  /* a short getsockopt sets the length to 0 */

#define SOL_BOOL (F_SHORT | F_WIDE | F_EMPTY_OK)

/* Windows option numbers the table needs beyond ws2.h's. */
#define W2U_IP_OPTIONS            1
#define W2U_IP_HDRINCL            2
#define W2U_IP_DONTFRAGMENT       14
#define W2U_IP_RECVTTL            21
#define W2U_IP_UNICAST_IF         31
#define W2U_IP_RECVTOS            40
#define W2U_IPV6_DONTFRAG         14
#define W2U_IPV6_HOPLIMIT         21
#define W2U_IPV6_PROTECTION_LEVEL 23
#define W2U_IPV6_UNICAST_IF       31
#define W2U_IPV6_RECVTCLASS       40

struct option {
    int wlevel, wname;
    int llevel, lname;
    enum kind kind;
    unsigned flags;
};

static const struct option options[] = {
    { W2U_SOL_SOCKET, W2U_SO_DEBUG,          0, 0,                      K_SPECIAL, SOL_BOOL },
    { W2U_SOL_SOCKET, W2U_SO_ACCEPTCONN,     SOL_SOCKET, SO_ACCEPTCONN, K_FLAG, F_GET_ONLY },
    { W2U_SOL_SOCKET, W2U_SO_REUSEADDR,      0, 0,                      K_SPECIAL, SOL_BOOL },
    { W2U_SOL_SOCKET, W2U_SO_EXCLUSIVEADDRUSE, 0, 0,                    K_SPECIAL, SOL_BOOL },
    { W2U_SOL_SOCKET, W2U_SO_KEEPALIVE,      SOL_SOCKET, SO_KEEPALIVE,  K_FLAG, F_STREAM | F_BYTE | F_SHORT },
    { W2U_SOL_SOCKET, W2U_SO_DONTROUTE,      SOL_SOCKET, SO_DONTROUTE,  K_FLAG, F_BYTE | F_SHORT },
    { W2U_SOL_SOCKET, W2U_SO_BROADCAST,      SOL_SOCKET, SO_BROADCAST,  K_FLAG, SOL_BOOL },
    { W2U_SOL_SOCKET, W2U_SO_LINGER,         0, 0,                      K_SPECIAL, F_STREAM | F_ZERO_FILL },
    { W2U_SOL_SOCKET, W2U_SO_DONTLINGER,     0, 0,                      K_SPECIAL, F_STREAM | SOL_BOOL },
    { W2U_SOL_SOCKET, W2U_SO_OOBINLINE,      SOL_SOCKET, SO_OOBINLINE,  K_FLAG, F_STREAM | SOL_BOOL },
    { W2U_SOL_SOCKET, W2U_SO_SNDBUF,         SOL_SOCKET, SO_SNDBUF,     K_BUF, F_ZERO_FILL },
    { W2U_SOL_SOCKET, W2U_SO_RCVBUF,         SOL_SOCKET, SO_RCVBUF,     K_BUF, F_ZERO_FILL },
    { W2U_SOL_SOCKET, W2U_SO_RCVLOWAT,       SOL_SOCKET, SO_RCVLOWAT,   K_INT, 0 },
    { W2U_SOL_SOCKET, W2U_SO_SNDTIMEO,       0, 0,                      K_SPECIAL, 0 },
    { W2U_SOL_SOCKET, W2U_SO_RCVTIMEO,       0, 0,                      K_SPECIAL, 0 },
    { W2U_SOL_SOCKET, W2U_SO_ERROR,          0, 0,                      K_SPECIAL, 0 },
    { W2U_SOL_SOCKET, W2U_SO_TYPE,           0, 0,                      K_SPECIAL, F_GET_ONLY },
    { W2U_SOL_SOCKET, W2U_SO_CONDITIONAL_ACCEPT, 0, 0,                  K_SPECIAL, F_STREAM },
    { W2U_SOL_SOCKET, W2U_SO_MAX_MSG_SIZE,   0, 0,                      K_SPECIAL, F_GET_ONLY },
    { W2U_SOL_SOCKET, W2U_SO_UPDATE_ACCEPT_CONTEXT, 0, 0,               K_CONTEXT, F_STREAM | F_SET_ONLY },
    { W2U_SOL_SOCKET, W2U_SO_UPDATE_CONNECT_CONTEXT, 0, 0,              K_CONTEXT, F_STREAM | F_SET_ONLY },
    { W2U_SOL_SOCKET, W2U_SO_CONNECT_TIME,   0, 0,                      K_SPECIAL, F_GET_ONLY },   /* 0xFFFFFFFF unless a connected stream */

    { W2U_IPPROTO_TCP, W2U_TCP_NODELAY,      IPPROTO_TCP, TCP_NODELAY,  K_FLAG, F_STREAM | F_BYTE | F_SHORT },
    { W2U_IPPROTO_TCP, W2U_TCP_KEEPIDLE,     IPPROTO_TCP, TCP_KEEPIDLE, K_INT, F_STREAM },
    { W2U_IPPROTO_TCP, W2U_TCP_KEEPCNT,      IPPROTO_TCP, TCP_KEEPCNT,  K_INT, F_STREAM },
    { W2U_IPPROTO_TCP, W2U_TCP_KEEPINTVL,    IPPROTO_TCP, TCP_KEEPINTVL, K_INT, F_STREAM },
    { W2U_IPPROTO_TCP, W2U_TCP_MAXSEG,       IPPROTO_TCP, TCP_MAXSEG,   K_INT, F_STREAM },

    { W2U_IPPROTO_IP, W2U_IP_OPTIONS,        IPPROTO_IP, IP_OPTIONS,    K_BYTES, F_INET4 },
    { W2U_IPPROTO_IP, W2U_IP_HDRINCL,        IPPROTO_IP, IP_HDRINCL,    K_FLAG, F_INET4 | F_RAW },
    { W2U_IPPROTO_IP, W2U_IP_TOS,            IPPROTO_IP, IP_TOS,        K_SMALL, F_INET4 | F_SHORT },
    { W2U_IPPROTO_IP, W2U_IP_TTL,            IPPROTO_IP, IP_TTL,        K_SMALL, F_INET4 | F_SHORT },
    { W2U_IPPROTO_IP, W2U_IP_MULTICAST_IF,   IPPROTO_IP, IP_MULTICAST_IF, K_INT, F_INET4 | F_DGRAM },
    { W2U_IPPROTO_IP, W2U_IP_MULTICAST_TTL,  IPPROTO_IP, IP_MULTICAST_TTL, K_SMALL, F_INET4 | F_DGRAM | F_SHORT },
    { W2U_IPPROTO_IP, W2U_IP_MULTICAST_LOOP, IPPROTO_IP, IP_MULTICAST_LOOP, K_FLAG, F_INET4 | F_DGRAM | F_SHORT },
    { W2U_IPPROTO_IP, W2U_IP_ADD_MEMBERSHIP, IPPROTO_IP, IP_ADD_MEMBERSHIP, K_MREQ, F_INET4 | F_SET_ONLY },
    { W2U_IPPROTO_IP, W2U_IP_DROP_MEMBERSHIP, IPPROTO_IP, IP_DROP_MEMBERSHIP, K_MREQ, F_INET4 | F_SET_ONLY },
    { W2U_IPPROTO_IP, W2U_IP_DONTFRAGMENT,   IPPROTO_IP, IP_MTU_DISCOVER, K_SPECIAL, F_INET4 },
    { W2U_IPPROTO_IP, W2U_IP_PKTINFO,        IPPROTO_IP, IP_PKTINFO,    K_FLAG, F_INET4 | F_DGRAM | F_SIZE_ZERO },
    { W2U_IPPROTO_IP, W2U_IP_RECVTTL,        IPPROTO_IP, IP_RECVTTL,    K_FLAG, F_INET4 | F_DGRAM | F_SIZE_ZERO },
    { W2U_IPPROTO_IP, W2U_IP_UNICAST_IF,     IPPROTO_IP, IP_UNICAST_IF, K_INT, F_INET4 },
    { W2U_IPPROTO_IP, W2U_IP_RECVTOS,        IPPROTO_IP, IP_RECVTOS,    K_FLAG, F_INET4 | F_DGRAM | F_SIZE_ZERO },

    { W2U_IPPROTO_IPV6, W2U_IPV6_UNICAST_HOPS, IPPROTO_IPV6, IPV6_UNICAST_HOPS, K_SMALL, F_INET6 | F_SHORT },
    { W2U_IPPROTO_IPV6, W2U_IPV6_MULTICAST_IF, IPPROTO_IPV6, IPV6_MULTICAST_IF, K_INT, F_INET6 | F_DGRAM },
    { W2U_IPPROTO_IPV6, W2U_IPV6_MULTICAST_HOPS, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, K_SMALL,
      F_INET6 | F_DGRAM | F_SHORT },
    { W2U_IPPROTO_IPV6, W2U_IPV6_MULTICAST_LOOP, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, K_FLAG,
      F_INET6 | F_DGRAM | F_SHORT },
    { W2U_IPPROTO_IPV6, W2U_IPV6_JOIN_GROUP, IPPROTO_IPV6, IPV6_JOIN_GROUP, K_MREQ6, F_INET6 | F_SET_ONLY },
    { W2U_IPPROTO_IPV6, W2U_IPV6_LEAVE_GROUP, IPPROTO_IPV6, IPV6_LEAVE_GROUP, K_MREQ6, F_INET6 | F_SET_ONLY },
    { W2U_IPPROTO_IPV6, W2U_IPV6_DONTFRAG,   IPPROTO_IPV6, IPV6_MTU_DISCOVER, K_SPECIAL, F_INET6 | F_SHORT },
    { W2U_IPPROTO_IPV6, W2U_IPV6_PKTINFO,    IPPROTO_IPV6, IPV6_RECVPKTINFO, K_FLAG, F_INET6 | F_DGRAM | F_SIZE_ZERO },
    { W2U_IPPROTO_IPV6, W2U_IPV6_HOPLIMIT,   IPPROTO_IPV6, IPV6_RECVHOPLIMIT, K_FLAG, F_INET6 | F_DGRAM | F_SIZE_ZERO },
    { W2U_IPPROTO_IPV6, W2U_IPV6_PROTECTION_LEVEL, 0, 0,                K_SPECIAL, F_INET6 },
    { W2U_IPPROTO_IPV6, W2U_IPV6_V6ONLY,     IPPROTO_IPV6, IPV6_V6ONLY,  K_FLAG, F_INET6 | F_BYTE | F_SHORT },
    { W2U_IPPROTO_IPV6, W2U_IPV6_UNICAST_IF, IPPROTO_IPV6, IPV6_UNICAST_IF, K_INT, F_INET6 },
    { W2U_IPPROTO_IPV6, W2U_IPV6_RECVTCLASS, IPPROTO_IPV6, IPV6_RECVTCLASS, K_FLAG, F_INET6 | F_DGRAM | F_SIZE_ZERO },
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
    if ((o->flags & F_DGRAM) && s->type == SOCK_STREAM)
        return -W2U_WSAEINVAL;
    if ((o->flags & F_RAW) && s->type != SOCK_RAW)
        return -W2U_WSAEINVAL;
    if (o->wlevel == W2U_IPPROTO_TCP && s->type != SOCK_STREAM)
        return -W2U_WSAENOPROTOOPT;
    return 0;
}

static int lset_int(struct ws2_socket *s, int level, int name, int v)
{
    return setsockopt(s->fd, level, name, &v, sizeof(v)) < 0 ? ws2_errno() : 0;
}

static int lget_int(struct ws2_socket *s, int level, int name, int *v)
{
    socklen_t len = sizeof(*v);
    *v = 0;
    return getsockopt(s->fd, level, name, v, &len) < 0 ? ws2_errno() : 0;
}

/* An urgent byte a program took with MSG_OOB is gone on Windows.  Linux
 * keeps it in the stream at the mark and skips it only while SO_OOBINLINE
 * is off, so turning SO_OOBINLINE on would hand it out a second time, and
 * the next urgent byte would then stay unread (a close resets the
 * connection).  When the stream holds nothing but that byte (FIONREAD,
 * which leaves an out-of-line urgent byte out, says 0), one receive
 * with SO_OOBINLINE still off steps over it, as Windows has it.  With
 * data behind the mark the receive would take a byte of that data too,
 * so the byte stays: Linux's answer there, not Windows'.  With s->lock
 * held. */
static void drop_taken_urgent_byte(struct ws2_socket *s)
{
    int at_mark = 0, queued = 0, inline_now = 0;
    char c;
    if (s->type != SOCK_STREAM || lget_int(s, SOL_SOCKET, SO_OOBINLINE, &inline_now) < 0 || inline_now)
        return;
    if (ioctl(s->fd, SIOCATMARK, &at_mark) < 0 || !at_mark || ioctl(s->fd, FIONREAD, &queued) < 0 || queued != 0)
        return;
    /* At the mark, an urgent byte not yet taken peeks fine; EINVAL says
     * it was taken. */
    if (recv(s->fd, &c, 1, MSG_OOB | MSG_PEEK | MSG_DONTWAIT) >= 0 || errno != EINVAL)
        return;
    (void)recv(s->fd, &c, 1, MSG_DONTWAIT);
}

/* Windows' "don't fragment" on Linux's path-MTU setting: DO is on, DONT
 * off; Linux's default (WANT) is on for streams, as Windows sets DF on
 * TCP, and off for datagrams, as Windows does not. */
#define PMTU_DONT 0
#define PMTU_WANT 1
#define PMTU_DO   2

/* ---- value lengths ----------------------------------------------------------------------- */

/* The int a setsockopt hands in, by the option's length rules. */
static int read_value(const struct option *o, const void *val, int len, uint32_t *out)
{
    *out = 0;
    if (!val)
        return -W2U_WSAEFAULT;
    if (len < 0) {
        if (o->wlevel != W2U_SOL_SOCKET || (o->flags & F_BYTE))
            return -W2U_WSAENOBUFS;
        len = 4;
    }
    if (len == 0)
        return (o->flags & F_EMPTY_OK) ? 0 : -W2U_WSAEFAULT;
    int n = (o->flags & F_BYTE) ? 1 : len >= 4 ? 4 : (o->flags & F_SHORT) ? len : -1;
    if (n < 0)
        return -W2U_WSAEFAULT;
    for (int i = n - 1; i >= 0; i--)
        *out = *out << 8 | ((const unsigned char *)val)[i];
    return 0;
}

/* Hands a getsockopt the int v, by the option's length rules. */
static int write_value(const struct option *o, uint32_t v, void *val, int *len)
{
    int have = *len;
    int size = (o->flags & F_BYTE) ? 1 : 4;
    unsigned char bytes[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                               (unsigned char)(v >> 24) };
    if (have <= 0)
        return -W2U_WSAEFAULT;
    if (have >= size) {
        memcpy(val, bytes, (size_t)size);
        *len = size;
        return 0;
    }
    if (o->flags & F_SHORT) {
        memcpy(val, bytes, (o->flags & F_WIDE) ? (size_t)have : 1);
        *len = 1;
        return 0;
    }
    if (o->flags & F_ZERO_FILL)
        memset(val, 0, (size_t)have);
    if (o->flags & F_SIZE_ZERO)
        *len = 0;
    return -W2U_WSAEFAULT;
}

/* ---- SO_OPENTYPE: the calling thread's, whatever the socket ------------------------------- */

#define W2U_SO_OPENTYPE 0x7008
/* initial-exec TLS (W2U_TLS): read from socket(), a Windows-ABI function,
 * where a __tls_get_addr call would clobber its arguments. */
static W2U_TLS int open_type;

bool ws2_opentype_option(int level, int name)
{
    return level == W2U_SOL_SOCKET && name == W2U_SO_OPENTYPE;
}

int ws2_opentype_get(void *val, int *len)
{
    if (!val || !len)
        return -W2U_WSAEFAULT;
    /* Windows answers even a negative length, with 4 bytes. */
    if (*len >= 0 && *len < (int)sizeof(int))
        return -W2U_WSAEFAULT;
    memcpy(val, &open_type, sizeof(open_type));
    *len = sizeof(open_type);
    return 0;
}

int ws2_opentype_set(const void *val, int len)
{
    if (!val || (len >= 0 && len < (int)sizeof(int)))
        return -W2U_WSAEFAULT;
    memcpy(&open_type, val, sizeof(open_type));
    return 0;
}

bool ws2_opentype_synchronous(void)
{
    return open_type != 0;       /* SO_SYNCHRONOUS_ALERT or _NONALERT */
}

/* ---- set ----------------------------------------------------------------------------------- */

static int set_special(struct ws2_socket *s, const struct option *o, uint32_t v)
{
    switch (o->wname) {
    case W2U_SO_DEBUG:
        /* Linux lets only privileged processes set it, and it means
         * nothing to a program: kept, as Windows keeps it. */
        s->debug = v != 0;
        return 0;
    case W2U_SO_REUSEADDR:
        /* Windows' meaning, applied at bind (bindreg.c): this socket may
         * share an address another socket holds. */
        if (v && s->exclusive)
            return -W2U_WSAEINVAL;
        s->reuse = v != 0;
        return 0;
    case W2U_SO_EXCLUSIVEADDRUSE:
        if (v && s->reuse)
            return -W2U_WSAEINVAL;     /* the two exclude each other */
        s->exclusive = v != 0;
        return 0;
    case W2U_SO_LINGER: {
        /* Two u_shorts: l_onoff, l_linger. */
        struct linger l = { .l_onoff = (v & 0xffff) != 0, .l_linger = (int)(v >> 16) };
        return setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)) < 0 ? ws2_errno() : 0;
    }
    case W2U_SO_DONTLINGER: {
        struct linger l = { 0 };
        socklen_t ll = sizeof(l);
        getsockopt(s->fd, SOL_SOCKET, SO_LINGER, &l, &ll);
        l.l_onoff = !v;                /* the linger time is kept */
        return setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)) < 0 ? ws2_errno() : 0;
    }
    case W2U_SO_SNDTIMEO:
        s->sndtimeo = v;               /* DWORD milliseconds, 0: no limit */
        return 0;
    case W2U_SO_RCVTIMEO:
        s->rcvtimeo = v;
        return 0;
    case W2U_SO_ERROR:
        s->so_error = (int)v;          /* Windows keeps it; getsockopt hands it back */
        return 0;
    case W2U_SO_CONDITIONAL_ACCEPT:
        s->conditional_accept = v != 0;
        return 0;
    case W2U_IP_DONTFRAGMENT:          /* == W2U_IPV6_DONTFRAG */
        return lset_int(s, o->llevel, o->lname, v ? PMTU_DO : PMTU_DONT);
    case W2U_IPV6_PROTECTION_LEVEL:
        /* Teredo edge traversal: Linux has none, so every level holds. */
        s->protection_level = (int)v;
        return 0;
    }
    return -W2U_WSAENOPROTOOPT;
}

/* SO_UPDATE_ACCEPT_CONTEXT takes the listener's SOCKET after AcceptEx;
 * SO_UPDATE_CONNECT_CONTEXT nothing, after ConnectEx.  Names and options
 * already work without them, so only their arguments are checked. */
static int set_context(struct ws2_socket *s, int name, const void *val, int len)
{
    if (name == W2U_SO_UPDATE_CONNECT_CONTEXT)
        return ws2_is(s, W2U_ST_CONNECTED) ? 0 : -W2U_WSAENOTCONN;
    uintptr_t listener;
    struct ws2_socket *l;
    if (!val || len < (int)sizeof(listener))
        return -W2U_WSAEFAULT;
    memcpy(&listener, val, sizeof(listener));
    int r = ws2_socket_get(listener, &l);
    if (r < 0)
        return r;
    r = ws2_is(l, W2U_ST_LISTENING) && ws2_is(s, W2U_ST_CONNECTED) ? 0 : -W2U_WSAEINVAL;
    ws2_socket_put(l);
    return r;
}

int wsp_setsockopt(struct ws2_socket *s, int level, int name, const void *val, int len)
{
    int r = 0;
    const struct option *o = find_option(level, name, &r);
    if (!o)
        return r;
    /* Windows takes IPV6_V6ONLY on an IPv4 socket until it is bound, and
     * it changes nothing there (a value that is no integer still fails). */
    if (o->wlevel == W2U_IPPROTO_IPV6 && o->wname == W2U_IPV6_V6ONLY && s->family == AF_INET) {
        uint32_t ignored;
        return ws2_is(s, W2U_ST_BOUND) ? -W2U_WSAEINVAL : read_value(o, val, len, &ignored);
    }
    if ((r = applies(o, s)) < 0)
        return r;
    if (o->flags & F_GET_ONLY)
        return -W2U_WSAENOPROTOOPT;
    if (o->kind == K_CONTEXT)
        return set_context(s, name, val, len);
    if (o->kind == K_MREQ || o->kind == K_MREQ6 || o->kind == K_BYTES) {
        size_t need = o->kind == K_MREQ ? sizeof(struct ip_mreq) : o->kind == K_MREQ6 ? sizeof(struct ipv6_mreq) : 0;
        if ((!val && len) || len < (int)need)
            return -W2U_WSAEFAULT;
        return setsockopt(s->fd, o->llevel, o->lname, val, o->kind == K_BYTES ? (socklen_t)len : need) < 0
                   ? ws2_errno() : 0;
    }
    uint32_t v;
    if ((r = read_value(o, val, len, &v)) < 0)
        return r;
    pthread_mutex_lock(&s->lock);
    switch (o->kind) {
    case K_FLAG:
        if (o->wname == W2U_SO_OOBINLINE && o->wlevel == W2U_SOL_SOCKET && v)
            drop_taken_urgent_byte(s);
        r = lset_int(s, o->llevel, o->lname, v != 0);
        break;
    case K_SMALL:
        r = v > 255 ? -W2U_WSAEINVAL : lset_int(s, o->llevel, o->lname, (int)v);
        break;
    case K_BUF:
        /* Linux doubles the size and raises small ones; Windows reads
         * back what was set, so that is kept too. */
        if ((r = lset_int(s, o->llevel, o->lname, (int)v)) == 0) {
            if (o->wname == W2U_SO_RCVBUF)
                s->rcvbuf = v;
            else
                s->sndbuf = v;
        }
        break;
    case K_INT:
        r = lset_int(s, o->llevel, o->lname, (int)v);
        break;
    default:
        r = set_special(s, o, v);
        break;
    }
    pthread_mutex_unlock(&s->lock);
    return r;
}

/* ---- get ----------------------------------------------------------------------------------- */

/* Value of a special option, as the int Windows hands out. */
static int get_special(struct ws2_socket *s, const struct option *o, uint32_t *v)
{
    int r, lv;
    switch (o->wname) {
    case W2U_SO_DEBUG:             *v = s->debug; return 0;
    case W2U_SO_REUSEADDR:         *v = s->reuse; return 0;
    case W2U_SO_EXCLUSIVEADDRUSE:  *v = s->exclusive; return 0;
    case W2U_SO_SNDTIMEO:          *v = s->sndtimeo; return 0;
    case W2U_SO_RCVTIMEO:          *v = s->rcvtimeo; return 0;
    case W2U_SO_CONDITIONAL_ACCEPT: *v = s->conditional_accept; return 0;
    case W2U_SO_TYPE:              *v = (uint32_t)s->type; return 0;   /* Linux and Windows share the numbers */
    case W2U_SO_CONNECT_TIME: {
        /* Whole seconds connected; 0xFFFFFFFF while not connected. */
        int64_t t = ws2_connect_time(s);
        *v = t ? (uint32_t)((w2u_now_ns() - t) / 1000000000) : 0xffffffffu;
        return 0;
    }
    case W2U_SO_MAX_MSG_SIZE:
        /* Datagrams: the largest UDP payload; streams have no limit. */
        *v = s->type != SOCK_STREAM ? 65507 : 0x7fffffff;
        return 0;
    case W2U_SO_ERROR:
        if (s->so_error) {
            *v = (uint32_t)s->so_error;
            return 0;
        }
        if ((r = lget_int(s, SOL_SOCKET, SO_ERROR, &lv)) < 0)
            return r;
        *v = lv ? w2u_errno_to_wsa(lv) : 0;
        return 0;
    case W2U_SO_LINGER:
    case W2U_SO_DONTLINGER: {
        struct linger l = { 0 };
        socklen_t ll = sizeof(l);
        if (getsockopt(s->fd, SOL_SOCKET, SO_LINGER, &l, &ll) < 0)
            return ws2_errno();
        *v = o->wname == W2U_SO_DONTLINGER ? !l.l_onoff : (uint32_t)(l.l_onoff != 0) | (uint32_t)l.l_linger << 16;
        return 0;
    }
    case W2U_IP_DONTFRAGMENT:
        if ((r = lget_int(s, o->llevel, o->lname, &lv)) < 0)
            return r;
        *v = lv == PMTU_DO || (lv == PMTU_WANT && s->type == SOCK_STREAM);
        return 0;
    case W2U_IPV6_PROTECTION_LEVEL:
        *v = (uint32_t)s->protection_level;
        return 0;
    }
    return -W2U_WSAENOPROTOOPT;
}

int wsp_getsockopt(struct ws2_socket *s, int level, int name, void *val, int *len)
{
    int r = 0;
    const struct option *o = find_option(level, name, &r);
    if (!o)
        return r;
    if ((r = applies(o, s)) < 0)
        return r;
    if (o->flags & F_SET_ONLY)
        return -W2U_WSAENOPROTOOPT;
    if (!val || !len)
        return -W2U_WSAEFAULT;
    if (o->kind == K_BYTES) {
        socklen_t l = *len < 0 ? 0 : (socklen_t)*len;
        if (getsockopt(s->fd, o->llevel, o->lname, val, &l) < 0)
            return ws2_errno();
        *len = (int)l;
        return 0;
    }
    uint32_t v = 0;
    int lv = 0;
    switch (o->kind) {
    case K_SPECIAL:
        r = get_special(s, o, &v);
        break;
    case K_BUF:
        if ((r = lget_int(s, o->llevel, o->lname, &lv)) == 0) {
            v = o->wname == W2U_SO_RCVBUF ? s->rcvbuf : s->sndbuf;
            if (!v)
                v = (uint32_t)lv / 2;     /* never set: Linux's own, which it doubles */
        }
        break;
    default:
        if ((r = lget_int(s, o->llevel, o->lname, &lv)) == 0)
            v = o->kind == K_FLAG ? lv != 0 : (uint32_t)lv;
        break;
    }
    return r < 0 ? r : write_value(o, v, val, len);
}
