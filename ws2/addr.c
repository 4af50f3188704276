/* Socket addresses between Windows and Linux layout.  sockaddr_in,
 * sockaddr_in6 and sockaddr_un have the same layout on both; the address
 * family numbers differ (AF_INET6 is 23 on Windows, 10 on Linux). */
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

#include "ws2.h"

int ws2_af_to_linux(int af)
{
    switch (af) {
    case W2U_AF_UNSPEC: return AF_UNSPEC;
    case W2U_AF_UNIX:   return AF_UNIX;
    case W2U_AF_INET:   return AF_INET;
    case W2U_AF_INET6:  return AF_INET6;
    default:            return -1;
    }
}

int ws2_af_from_linux(int af)
{
    switch (af) {
    case AF_UNSPEC: return W2U_AF_UNSPEC;
    case AF_UNIX:   return W2U_AF_UNIX;
    case AF_INET:   return W2U_AF_INET;
    case AF_INET6:  return W2U_AF_INET6;
    default:        return -1;
    }
}

/* Smallest Windows length accepted per family: sockaddr_in6 without the
 * scope id (the old 24-byte SOCKADDR_IN6) is still accepted by Windows. */
int ws2_addr_to_linux(const void *waddr, int wlen, struct sockaddr_storage *out, unsigned *outlen)
{
    uint16_t wfamily;

    if (!waddr || wlen < (int)sizeof(uint16_t))
        return -W2U_WSAEFAULT;
    memcpy(&wfamily, waddr, sizeof(wfamily));
    memset(out, 0, sizeof(*out));
    switch (wfamily) {
    case W2U_AF_INET:
        if (wlen < (int)sizeof(struct sockaddr_in))
            return -W2U_WSAEFAULT;
        memcpy(out, waddr, sizeof(struct sockaddr_in));
        *outlen = sizeof(struct sockaddr_in);
        break;
    case W2U_AF_INET6:
        if (wlen < 24)
            return -W2U_WSAEFAULT;
        memcpy(out, waddr, wlen < (int)sizeof(struct sockaddr_in6) ? 24 : sizeof(struct sockaddr_in6));
        *outlen = sizeof(struct sockaddr_in6);
        break;
    case W2U_AF_UNIX: {
        if (wlen > (int)sizeof(struct sockaddr_un))
            wlen = sizeof(struct sockaddr_un);
        memcpy(out, waddr, (size_t)wlen);
        *outlen = (unsigned)wlen;
        break;
    }
    default:
        return -W2U_WSAEAFNOSUPPORT;
    }
    out->ss_family = (sa_family_t)ws2_af_to_linux(wfamily);
    return 0;
}

int ws2_addr_from_linux(const struct sockaddr_storage *addr, unsigned addrlen, void *buf, int *len)
{
    int wlen;
    switch (addr->ss_family) {
    case AF_INET:  wlen = sizeof(struct sockaddr_in); break;
    case AF_INET6: wlen = sizeof(struct sockaddr_in6); break;
    case AF_UNIX:  wlen = (int)addrlen; break;
    default:       return -W2U_WSAEAFNOSUPPORT;
    }
    if (!buf || !len || *len < wlen)
        return -W2U_WSAEFAULT;
    memcpy(buf, addr, (size_t)wlen);
    uint16_t wfamily = (uint16_t)ws2_af_from_linux(addr->ss_family);
    memcpy(buf, &wfamily, sizeof(wfamily));
    *len = wlen;
    return 0;
}

int ws2_addr_check_peer(const struct sockaddr_storage *addr)
{
    static const struct in6_addr any6 = IN6ADDR_ANY_INIT;
    if (addr->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)addr;
        return in->sin_addr.s_addr == htonl(INADDR_ANY) ? -W2U_WSAEADDRNOTAVAIL : 0;
    }
    if (addr->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;
        return !memcmp(&in6->sin6_addr, &any6, sizeof(any6)) ? -W2U_WSAEADDRNOTAVAIL : 0;
    }
    return 0;
}
