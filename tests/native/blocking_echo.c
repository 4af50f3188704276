/*
 * A blocking Winsock echo, server and client in one Win32 program, built
 * natively with:  cc blocking_echo.c $(pkg-config --cflags --libs ws2uring)
 * TCP and UDP, over IPv4 and IPv6 loopback.  The kernel's buffers let one
 * thread play both sides: connect, send, then accept and echo.
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <stdio.h>
#include <string.h>

static int fail(const char *what)
{
    printf("blocking_echo: %s failed: %d\n", what, WSAGetLastError());
    return 1;
}

static int loopback(int af, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (af == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)ss;
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return sizeof(*in);
    }
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    in6->sin6_family = AF_INET6;
    in6->sin6_addr.s6_addr[15] = 1;
    return sizeof(*in6);
}

static int tcp(int af)
{
    struct sockaddr_storage ss;
    int len = loopback(af, &ss);
    char buf[64];
    SOCKET l = socket(af, SOCK_STREAM, IPPROTO_TCP);
    if (l == INVALID_SOCKET || bind(l, (struct sockaddr *)&ss, len) ||
        getsockname(l, (struct sockaddr *)&ss, &len) || listen(l, SOMAXCONN))
        return fail("listen");
    SOCKET c = socket(af, SOCK_STREAM, IPPROTO_TCP);
    if (c == INVALID_SOCKET || connect(c, (struct sockaddr *)&ss, len))
        return fail("connect");
    if (send(c, "hello, winsock", 14, 0) != 14)
        return fail("send");
    SOCKET s = accept(l, NULL, NULL);
    if (s == INVALID_SOCKET)
        return fail("accept");
    int n = recv(s, buf, sizeof(buf), 0);
    if (n != 14 || send(s, buf, n, 0) != n)
        return fail("echo");
    if (recv(c, buf, sizeof(buf), 0) != 14 || memcmp(buf, "hello, winsock", 14))
        return fail("recv");
    closesocket(s);
    closesocket(c);
    closesocket(l);
    return 0;
}

static int udp(int af)
{
    struct sockaddr_storage a, b, from;
    int al = loopback(af, &a), bl = loopback(af, &b), fl = sizeof(from);
    char buf[64];
    SOCKET x = socket(af, SOCK_DGRAM, 0), y = socket(af, SOCK_DGRAM, 0);
    if (bind(x, (struct sockaddr *)&a, al) || bind(y, (struct sockaddr *)&b, bl) ||
        getsockname(y, (struct sockaddr *)&b, &bl))
        return fail("udp bind");
    if (sendto(x, "dgram", 5, 0, (struct sockaddr *)&b, bl) != 5)
        return fail("sendto");
    int n = recvfrom(y, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
    if (n != 5 || sendto(y, buf, n, 0, (struct sockaddr *)&from, fl) != 5)
        return fail("udp echo");
    if (recv(x, buf, sizeof(buf), 0) != 5 || memcmp(buf, "dgram", 5))
        return fail("udp recv");
    closesocket(x);
    closesocket(y);
    return 0;
}

int main(void)
{
    WSADATA data;
    if (WSAStartup(MAKEWORD(2, 2), &data))
        return fail("WSAStartup");
    if (tcp(AF_INET) || tcp(AF_INET6) || udp(AF_INET) || udp(AF_INET6))
        return 1;
    WSACleanup();
    printf("blocking_echo: TCP and UDP over IPv4 and IPv6: ok\n");
    return 0;
}
