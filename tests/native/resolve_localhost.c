/*
 * getaddrinfo on "localhost" as a Windows client does it: walk the list,
 * connect to the first address that answers, and name the peer with
 * getnameinfo.  Needs no network and no hosts entry for ::1.
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <stdio.h>
#include <string.h>

static int fail(const char *what, int err)
{
    printf("resolve_localhost: %s failed: %d\n", what, err);
    return 1;
}

int main(void)
{
    WSADATA data;
    struct addrinfo hints, *res, *ai;
    char port[16], host[NI_MAXHOST], serv[NI_MAXSERV];
    int err, families = 0;

    if (WSAStartup(MAKEWORD(2, 2), &data))
        return fail("WSAStartup", WSAGetLastError());
    /* A server on both loopbacks, on one port picked by the system. */
    struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
    a6.sin6_addr.s6_addr[15] = 1;
    int len = sizeof(a6);
    SOCKET l6 = socket(AF_INET6, SOCK_STREAM, 0);
    if (bind(l6, (struct sockaddr *)&a6, len) || getsockname(l6, (struct sockaddr *)&a6, &len) || listen(l6, 4))
        return fail("listen", WSAGetLastError());
    snprintf(port, sizeof(port), "%u", ntohs(a6.sin6_port));

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    if ((err = getaddrinfo("localhost", port, &hints, &res)))
        return fail("getaddrinfo", err);
    SOCKET c = INVALID_SOCKET;
    for (ai = res; ai; ai = ai->ai_next) {
        families |= ai->ai_family == AF_INET6 ? 1 : ai->ai_family == AF_INET ? 2 : 4;
        if (c != INVALID_SOCKET)
            continue;
        c = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (connect(c, ai->ai_addr, (int)ai->ai_addrlen)) {
            closesocket(c);
            c = INVALID_SOCKET;
        }
    }
    freeaddrinfo(res);
    if (families != 3)
        return fail("both ::1 and 127.0.0.1 in the answer", families);
    if (c == INVALID_SOCKET)
        return fail("connect to localhost", WSAGetLastError());
    struct sockaddr_storage peer;
    int pl = sizeof(peer);
    if (getpeername(c, (struct sockaddr *)&peer, &pl) ||
        (err = getnameinfo((struct sockaddr *)&peer, (socklen_t)pl, host, sizeof(host), serv, sizeof(serv),
                           NI_NUMERICSERV)))
        return fail("getnameinfo", err);
    if (strcmp(host, "localhost") || strcmp(serv, port))
        return fail("peer name", 0);
    closesocket(c);
    closesocket(l6);
    WSACleanup();
    printf("resolve_localhost: ::1 and 127.0.0.1, connected to %s:%s: ok\n", host, serv);
    return 0;
}
