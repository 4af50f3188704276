/* Control data (WSARecvMsg / WSASendMsg) between the Windows and Linux
 * layouts.
 *
 * A 64-bit Windows WSACMSGHDR is { SIZE_T len; INT level; INT type; } with
 * data at offset 16 and every message padded to 8 bytes, which is also
 * Linux's cmsghdr on x86-64; what differs are the level and type numbers
 * and the payloads.  Received: the packet information (IP_PKTINFO,
 * IPV6_PKTINFO), and the TTL, TOS, hop limit and traffic class a program
 * asks for with IP_RECVTTL, IP_RECVTOS, IPV6_HOPLIMIT, IPV6_RECVTCLASS,
 * each an INT on Windows; sent: the packet information, which picks a
 * source address.  Linux messages with no Windows counterpart are left
 * out. */
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "ws2_private.h"

struct win_cmsghdr {
    uint64_t len;
    int32_t level;
    int32_t type;
};

#define WIN_ALIGN(n)     (((n) + 7u) & ~(size_t)7u)
#define WIN_HDR          WIN_ALIGN(sizeof(struct win_cmsghdr))
#define WIN_SPACE(n)     (WIN_HDR + WIN_ALIGN(n))

#define WIN_SOL_IP    0
#define WIN_SOL_IPV6  41
#define WIN_PKTINFO   19        /* IP_PKTINFO and IPV6_PKTINFO alike */
#define WIN_IP_TOS    3
#define WIN_IP_TTL    4
#define WIN_IPV6_HOPLIMIT 21
#define WIN_IPV6_TCLASS   39

struct win_in_pktinfo {          /* IN_PKTINFO */
    struct in_addr addr;
    uint32_t ifindex;
};

/* IN6_PKTINFO has Linux's in6_pktinfo layout: address, then index. */
_Static_assert(sizeof(struct in6_pktinfo) == 20, "in6_pktinfo layout");

/* Appends one Windows message; false if it does not fit (MSG_CTRUNC). */
static bool put(char *out, uint32_t cap, uint32_t *used, int level, int type, const void *data,
                size_t n)
{
    size_t space = WIN_SPACE(n);
    if (*used + space > cap)
        return false;
    struct win_cmsghdr h = { .len = WIN_HDR + n, .level = level, .type = type };
    memset(out + *used, 0, space);
    memcpy(out + *used, &h, sizeof(h));
    memcpy(out + *used + WIN_HDR, data, n);
    *used += (uint32_t)space;
    return true;
}

uint32_t ws2_cmsg_to_windows(struct msghdr *m, void *out, uint32_t cap, uint32_t *out_len)
{
    uint32_t flags = 0, written = 0;
    if (m->msg_flags & MSG_CTRUNC)
        flags |= W2U_MSG_CTRUNC;
    if (m->msg_flags & MSG_TRUNC)
        flags |= W2U_MSG_TRUNC;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
        int32_t number;
        int wlevel = -1, wtype = 0;
        /* An int, or (IP_TOS) a byte on Linux; always an INT on Windows. */
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL)
            wlevel = WIN_SOL_IP, wtype = WIN_IP_TTL;
        else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS)
            wlevel = WIN_SOL_IP, wtype = WIN_IP_TOS;
        else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)
            wlevel = WIN_SOL_IPV6, wtype = WIN_IPV6_HOPLIMIT;
        else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS)
            wlevel = WIN_SOL_IPV6, wtype = WIN_IPV6_TCLASS;
        if (wlevel >= 0) {
            size_t n = c->cmsg_len - CMSG_LEN(0);
            number = 0;
            if (n >= sizeof(number))
                memcpy(&number, CMSG_DATA(c), sizeof(number));
            else if (n >= 1)
                number = *(const unsigned char *)CMSG_DATA(c);
            if (!put(out, cap, &written, wlevel, wtype, &number, sizeof(number)))
                flags |= W2U_MSG_CTRUNC;
            continue;
        }
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
            c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
            struct in_pktinfo lin;
            memcpy(&lin, CMSG_DATA(c), sizeof(lin));
            struct win_in_pktinfo win = { .addr = lin.ipi_addr, .ifindex = (uint32_t)lin.ipi_ifindex };
            in_addr_t a = ntohl(lin.ipi_addr.s_addr);
            if (IN_MULTICAST(a))
                flags |= W2U_MSG_MCAST;
            else if (a == INADDR_BROADCAST)
                flags |= W2U_MSG_BCAST;
            if (!put(out, cap, &written, WIN_SOL_IP, WIN_PKTINFO, &win, sizeof(win)))
                flags |= W2U_MSG_CTRUNC;
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
                   c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
            struct in6_pktinfo lin;
            memcpy(&lin, CMSG_DATA(c), sizeof(lin));
            if (IN6_IS_ADDR_MULTICAST(&lin.ipi6_addr))
                flags |= W2U_MSG_MCAST;
            if (!put(out, cap, &written, WIN_SOL_IPV6, WIN_PKTINFO, &lin, sizeof(lin)))
                flags |= W2U_MSG_CTRUNC;
        }
    }
    if (out_len)
        *out_len = written;
    return flags;
}

int ws2_cmsg_from_windows(const void *in, uint32_t len, void *out, size_t cap, size_t *used)
{
    const char *p = in;
    *used = 0;
    for (uint32_t off = 0; off < len;) {
        struct win_cmsghdr h;
        if (len - off < sizeof(h))
            return -W2U_WSAEINVAL;
        memcpy(&h, p + off, sizeof(h));
        if (h.len < WIN_HDR || h.len > len - off)
            return -W2U_WSAEINVAL;
        size_t n = (size_t)h.len - WIN_HDR;
        const char *data = p + off + WIN_HDR;
        int level, type;
        union { struct in_pktinfo v4; struct in6_pktinfo v6; } lin;
        size_t ln;
        memset(&lin, 0, sizeof(lin));
        if (h.level == WIN_SOL_IP && h.type == WIN_PKTINFO && n >= sizeof(struct win_in_pktinfo)) {
            struct win_in_pktinfo win;
            memcpy(&win, data, sizeof(win));
            /* The source address to send from, and the interface. */
            lin.v4.ipi_spec_dst = win.addr;
            lin.v4.ipi_ifindex = (int)win.ifindex;
            level = IPPROTO_IP, type = IP_PKTINFO, ln = sizeof(lin.v4);
        } else if (h.level == WIN_SOL_IPV6 && h.type == WIN_PKTINFO && n >= sizeof(struct in6_pktinfo)) {
            memcpy(&lin.v6, data, sizeof(lin.v6));
            level = IPPROTO_IPV6, type = IPV6_PKTINFO, ln = sizeof(lin.v6);
        } else {
            return -W2U_WSAEOPNOTSUPP;
        }
        if (*used + CMSG_SPACE(ln) > cap)
            return -W2U_WSAENOBUFS;
        struct cmsghdr *c = (struct cmsghdr *)((char *)out + *used);
        memset(c, 0, CMSG_SPACE(ln));
        c->cmsg_len = CMSG_LEN(ln);
        c->cmsg_level = level;
        c->cmsg_type = type;
        memcpy(CMSG_DATA(c), &lin, ln);
        *used += CMSG_SPACE(ln);
        size_t step = WIN_ALIGN((size_t)h.len);
        if (step > len - off)
            break;                /* the last message may omit its padding */
        off += (uint32_t)step;
    }
    return 0;
}
