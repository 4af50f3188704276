/* Winsock exports whose names glibc also has and which ws2uring does not
 * implement yet.  They must exist all the same: a Win32 program linked with
 * --wrap would otherwise reach glibc's function with Windows structures.
 * Each fails with WSAEOPNOTSUPP (NULL or INADDR_NONE where the call returns
 * those) and logs one line the first time; README's status table lists them. */
#include <winsock2.h>
#include <ws2tcpip.h>

#include "ws2.h"
#include "ws2_win32.h"

void ws2_not_yet(const char *name, _Atomic int *logged)
{
    if (!atomic_exchange(logged, 1))
        w2u_log("%s is not implemented yet: failing with WSAEOPNOTSUPP", name);
    w2u_set_error(W2U_WSAEOPNOTSUPP);
}

WRAPPED(int, gethostname, (char *name, int len))
{
    (void)name; (void)len;
    NOT_YET("gethostname");
    return SOCKET_ERROR;
}

WRAPPED(struct hostent *, gethostbyname, (const char *name))
{
    (void)name;
    NOT_YET("gethostbyname");
    return NULL;
}

WRAPPED(struct hostent *, gethostbyaddr, (const char *addr, int len, int type))
{
    (void)addr; (void)len; (void)type;
    NOT_YET("gethostbyaddr");
    return NULL;
}

WRAPPED(struct servent *, getservbyname, (const char *name, const char *proto))
{
    (void)name; (void)proto;
    NOT_YET("getservbyname");
    return NULL;
}

WRAPPED(struct servent *, getservbyport, (int port, const char *proto))
{
    (void)port; (void)proto;
    NOT_YET("getservbyport");
    return NULL;
}

WRAPPED(struct protoent *, getprotobyname, (const char *name))
{
    (void)name;
    NOT_YET("getprotobyname");
    return NULL;
}

WRAPPED(struct protoent *, getprotobynumber, (int number))
{
    (void)number;
    NOT_YET("getprotobynumber");
    return NULL;
}

WRAPPED(ULONG, inet_addr, (const char *cp))
{
    (void)cp;
    NOT_YET("inet_addr");
    return INADDR_NONE;
}

WRAPPED(char *, inet_ntoa, (struct in_addr in))
{
    (void)in;
    NOT_YET("inet_ntoa");
    return NULL;
}

WRAPPED(INT, inet_pton, (INT family, const char *src, void *dst))
{
    (void)family; (void)src; (void)dst;
    NOT_YET("inet_pton");
    return SOCKET_ERROR;
}

WRAPPED(const char *, inet_ntop, (INT family, void *src, char *dst, SIZE_T len))
{
    (void)family; (void)src; (void)dst; (void)len;
    NOT_YET("inet_ntop");
    return NULL;
}

WRAPPED(int, getaddrinfo, (const char *node, const char *service, const struct addrinfo *hints,
                           struct addrinfo **res))
{
    (void)node; (void)service; (void)hints;
    if (res)
        *res = NULL;
    NOT_YET("getaddrinfo");
    return WSAEOPNOTSUPP;   /* getaddrinfo returns its error */
}

WRAPPED(void, freeaddrinfo, (struct addrinfo *ai))
{
    /* getaddrinfo never returned a list yet: nothing to free. */
    (void)ai;
}

WRAPPED(int, getnameinfo, (const SOCKADDR *sa, socklen_t salen, char *host, DWORD hostlen,
                           char *serv, DWORD servlen, int flags))
{
    (void)sa; (void)salen; (void)host; (void)hostlen; (void)serv; (void)servlen; (void)flags;
    NOT_YET("getnameinfo");
    return WSAEOPNOTSUPP;
}
