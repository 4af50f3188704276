/* Winsock core through the Win32 API, linked as a program links (suite ws2).
 * winsock2.h must come before any header that pulls in <sys/select.h>. */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <mstcpip.h>
#include <ws2spi.h>

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "linux_helper.h"
#include "suite_main.h"

static void start(void)
{
    WSADATA d;
    ck_assert_int_eq(WSAStartup(MAKEWORD(2, 2), &d), 0);
}

static void stop(void)
{
    ck_assert_int_eq(WSACleanup(), 0);
}

/* An address on loopback, port 0, of family af (AF_INET or AF_INET6). */
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

/* A listening TCP socket on loopback; its address in *ss. */
static SOCKET listener(int af, struct sockaddr_storage *ss, int *len)
{
    SOCKET l = socket(af, SOCK_STREAM, IPPROTO_TCP);
    ck_assert(l != INVALID_SOCKET);
    *len = loopback(af, ss);
    ck_assert_int_eq(bind(l, (struct sockaddr *)ss, *len), 0);
    ck_assert_int_eq(getsockname(l, (struct sockaddr *)ss, len), 0);
    ck_assert_int_eq(listen(l, SOMAXCONN), 0);
    return l;
}

/* A connected pair over loopback TCP. */
static void tcp_pair(int af, SOCKET *client, SOCKET *server)
{
    struct sockaddr_storage ss;
    int len;
    SOCKET l = listener(af, &ss, &len);
    *client = socket(af, SOCK_STREAM, 0);
    ck_assert(*client != INVALID_SOCKET);
    ck_assert_int_eq(connect(*client, (struct sockaddr *)&ss, len), 0);
    *server = accept(l, NULL, NULL);
    ck_assert(*server != INVALID_SOCKET);
    ck_assert_int_eq(closesocket(l), 0);
}

/* ---- start-up ------------------------------------------------------------- */

START_TEST(test_startup_negotiates_versions)
{
    WSADATA d;
    ck_assert_int_eq(WSAStartup(MAKEWORD(2, 2), &d), 0);
    ck_assert_uint_eq(d.wVersion, MAKEWORD(2, 2));
    ck_assert_uint_eq(d.wHighVersion, MAKEWORD(2, 2));
    ck_assert_str_eq(d.szDescription, "WinSock 2.0");
    ck_assert_str_eq(d.szSystemStatus, "Running");
    ck_assert_uint_eq(d.iMaxSockets, 0);
    ck_assert_int_eq(WSAStartup(MAKEWORD(1, 1), &d), 0);
    ck_assert_uint_eq(d.wVersion, MAKEWORD(1, 1));
    ck_assert_uint_eq(d.iMaxSockets, 32767);
    ck_assert_int_eq(WSAStartup(MAKEWORD(3, 0), &d), 0);       /* above 2.2: 2.2 */
    ck_assert_uint_eq(d.wVersion, MAKEWORD(2, 2));
    ck_assert_int_eq(WSAStartup(MAKEWORD(2, 7), &d), 0);
    ck_assert_uint_eq(d.wVersion, MAKEWORD(2, 2));
    /* A refused version still tells the caller what it could have had. */
    memset(&d, 0xcc, sizeof(d));
    d.lpVendorInfo = (char *)0x1234;
    ck_assert_int_eq(WSAStartup(MAKEWORD(0, 9), &d), WSAVERNOTSUPPORTED);
    ck_assert_uint_eq(d.wVersion, MAKEWORD(2, 2));
    ck_assert_ptr_eq(d.lpVendorInfo, (char *)0x1234);
    ck_assert_int_eq(WSAStartup(MAKEWORD(2, 2), NULL), WSAEFAULT);
    ck_assert_int_eq(WSAStartup(MAKEWORD(0, 2), NULL), WSAVERNOTSUPPORTED);
    /* Four successful start-ups need four clean-ups. */
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(WSACleanup(), 0);
    ck_assert_int_eq(WSACleanup(), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSANOTINITIALISED);
}
END_TEST

START_TEST(test_calls_before_startup_fail)
{
    char buf[4];
    struct sockaddr_in in = { .sin_family = AF_INET };
    ck_assert(socket(AF_INET, SOCK_STREAM, 0) == INVALID_SOCKET);
    ck_assert_int_eq(WSAGetLastError(), WSANOTINITIALISED);
    ck_assert_int_eq(closesocket(4), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSANOTINITIALISED);
    ck_assert_int_eq(bind(4, (struct sockaddr *)&in, sizeof(in)), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSANOTINITIALISED);
    ck_assert_int_eq(recv(4, buf, 4, 0), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSANOTINITIALISED);
    /* And again after the last clean-up. */
    start();
    SOCKET s = socket(AF_INET, SOCK_DGRAM, 0);
    ck_assert(s != INVALID_SOCKET);
    stop();
    ck_assert(socket(AF_INET, SOCK_STREAM, 0) == INVALID_SOCKET);
    ck_assert_int_eq(WSAGetLastError(), WSANOTINITIALISED);
    ck_assert_int_eq(closesocket(s), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSANOTINITIALISED);
}
END_TEST

START_TEST(test_last_cleanup_closes_open_sockets)
{
    start();
    struct sockaddr_storage ss;
    int len;
    SOCKET l = listener(AF_INET, &ss, &len);        /* left open on purpose */
    start();
    stop();                                          /* not the last: still open */
    SOCKET t = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(bind(t, (struct sockaddr *)&ss, len), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEADDRINUSE);
    closesocket(t);
    stop();                                          /* the last: l is closed */
    start();
    ck_assert_int_eq(closesocket(l), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAENOTSOCK);
    t = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(bind(t, (struct sockaddr *)&ss, len), 0);   /* the port is free */
    closesocket(t);
    stop();
}
END_TEST

/* ---- creation ------------------------------------------------------------------ */

START_TEST(test_socket_values_shaped_like_handles)
{
    start();
    SOCKET s[50];
    for (int i = 0; i < 50; i++) {
        s[i] = socket(i % 2 ? AF_INET6 : AF_INET, i % 3 ? SOCK_STREAM : SOCK_DGRAM, 0);
        ck_assert(s[i] != INVALID_SOCKET);
        ck_assert(s[i] != 0);
        ck_assert_uint_eq(s[i] % 4, 0);
        ck_assert_uint_lt(s[i], 0x80000000u);
    }
    for (int i = 0; i < 50; i++)
        ck_assert_int_eq(closesocket(s[i]), 0);
    stop();
}
END_TEST

START_TEST(test_socket_bad_arguments)
{
    start();
    ck_assert(socket(1234, SOCK_STREAM, 0) == INVALID_SOCKET);
    ck_assert_int_eq(WSAGetLastError(), WSAEAFNOSUPPORT);
    ck_assert(socket(AF_INET, 99, 0) == INVALID_SOCKET);
    ck_assert_int_eq(WSAGetLastError(), WSAESOCKTNOSUPPORT);
    ck_assert(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP) == INVALID_SOCKET);
    ck_assert_int_eq(WSAGetLastError(), WSAEPROTONOSUPPORT);
    ck_assert(socket(AF_INET6, SOCK_DGRAM, IPPROTO_TCP) == INVALID_SOCKET);
    ck_assert_int_eq(WSAGetLastError(), WSAEPROTONOSUPPORT);
    SOCKET s = WSASocketA(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                          WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
    ck_assert(s != INVALID_SOCKET);
    closesocket(s);
    s = socket(AF_UNIX, SOCK_STREAM, 0);
    ck_assert(s != INVALID_SOCKET);
    closesocket(s);
    stop();
}
END_TEST

/* ---- TCP and UDP on loopback ------------------------------------------------------- */

static void tcp_echo(int af)
{
    SOCKET c, s;
    char buf[64];
    tcp_pair(af, &c, &s);
    ck_assert_int_eq(send(c, "ping", 4, 0), 4);
    ck_assert_int_eq(recv(s, buf, sizeof(buf), 0), 4);
    ck_assert_int_eq(memcmp(buf, "ping", 4), 0);
    ck_assert_int_eq(send(s, "pong!", 5, 0), 5);
    ck_assert_int_eq(recv(c, buf, sizeof(buf), 0), 5);
    ck_assert_int_eq(memcmp(buf, "pong!", 5), 0);

    /* Names: the peer of one end is the local name of the other. */
    struct sockaddr_storage a, b;
    int al = sizeof(a), bl = sizeof(b);
    ck_assert_int_eq(getpeername(c, (struct sockaddr *)&a, &al), 0);
    ck_assert_int_eq(getsockname(s, (struct sockaddr *)&b, &bl), 0);
    ck_assert_int_eq(al, bl);
    ck_assert_int_eq(a.ss_family, af);
    ck_assert_int_eq(memcmp(&a, &b, (size_t)al), 0);

    /* Orderly shutdown: the peer reads 0. */
    ck_assert_int_eq(shutdown(c, SD_SEND), 0);
    ck_assert_int_eq(recv(s, buf, sizeof(buf), 0), 0);
    ck_assert_int_eq(closesocket(c), 0);
    ck_assert_int_eq(closesocket(s), 0);
}

START_TEST(test_tcp_echo_ipv4)
{
    start();
    tcp_echo(AF_INET);
    stop();
}
END_TEST

START_TEST(test_tcp_echo_ipv6)
{
    start();
    tcp_echo(AF_INET6);
    stop();
}
END_TEST

struct reader { SOCKET s; char *buf; int got, want; };

static void *drain(void *arg)
{
    struct reader *r = arg;
    int n;
    while (r->got < r->want && (n = recv(r->s, r->buf + r->got, 65536, 0)) > 0)
        r->got += n;
    return NULL;
}

START_TEST(test_tcp_large_blocking_send_completes_whole)
{
    /* A blocking stream send returns only once all bytes are sent, while
     * the peer drains slowly in another thread. */
    start();
    SOCKET c, s;
    tcp_pair(AF_INET, &c, &s);
    enum { SIZE = 8 << 20 };
    char *out = malloc(SIZE), *in = malloc(SIZE);
    for (int i = 0; i < SIZE; i++)
        out[i] = (char)(i * 7);
    pthread_t th;
    struct reader r = { s, in, 0, SIZE };
    pthread_create(&th, NULL, drain, &r);
    ck_assert_int_eq(send(c, out, SIZE, 0), SIZE);
    pthread_join(th, NULL);
    ck_assert_int_eq(r.got, SIZE);
    ck_assert_int_eq(memcmp(in, out, SIZE), 0);
    free(out);
    free(in);
    closesocket(c);
    closesocket(s);
    stop();
}
END_TEST

static void udp_round_trip(int af)
{
    struct sockaddr_storage a, b, from;
    int al = loopback(af, &a), bl = loopback(af, &b), fl = sizeof(from);
    SOCKET x = socket(af, SOCK_DGRAM, 0), y = socket(af, SOCK_DGRAM, IPPROTO_UDP);
    char buf[16];
    ck_assert_int_eq(bind(x, (struct sockaddr *)&a, al), 0);
    ck_assert_int_eq(bind(y, (struct sockaddr *)&b, bl), 0);
    ck_assert_int_eq(getsockname(x, (struct sockaddr *)&a, &al), 0);
    ck_assert_int_eq(getsockname(y, (struct sockaddr *)&b, &bl), 0);
    ck_assert_int_eq(sendto(x, "datagram", 8, 0, (struct sockaddr *)&b, bl), 8);
    ck_assert_int_eq(recvfrom(y, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl), 8);
    ck_assert_int_eq(memcmp(buf, "datagram", 8), 0);
    ck_assert_int_eq(fl, al);
    ck_assert_int_eq(from.ss_family, af);
    ck_assert_int_eq(memcmp(&from, &a, (size_t)al), 0);
    /* Too tiny a buffer: WSAEMSGSIZE, with the start of the datagram. */
    ck_assert_int_eq(sendto(x, "0123456789", 10, 0, (struct sockaddr *)&b, bl), 10);
    ck_assert_int_eq(recv(y, buf, 4, 0), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEMSGSIZE);
    ck_assert_int_eq(memcmp(buf, "0123", 4), 0);
    /* Connected UDP: plain send and recv. */
    ck_assert_int_eq(connect(x, (struct sockaddr *)&b, bl), 0);
    ck_assert_int_eq(send(x, "c", 1, 0), 1);
    ck_assert_int_eq(recv(y, buf, sizeof(buf), 0), 1);
    closesocket(x);
    closesocket(y);
}

START_TEST(test_udp_ipv4)
{
    start();
    udp_round_trip(AF_INET);
    stop();
}
END_TEST

START_TEST(test_udp_ipv6)
{
    start();
    udp_round_trip(AF_INET6);
    stop();
}
END_TEST

START_TEST(test_ipv6_socket_is_v6only)
{
    /* Windows' default: an IPv6 socket bound to :: does not get IPv4. */
    start();
    SOCKET l6 = socket(AF_INET6, SOCK_STREAM, 0), c4 = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in6 any6 = { .sin6_family = AF_INET6 };
    int len = sizeof(any6);
    ck_assert_int_eq(bind(l6, (struct sockaddr *)&any6, len), 0);
    ck_assert_int_eq(getsockname(l6, (struct sockaddr *)&any6, &len), 0);
    ck_assert_int_eq(listen(l6, 1), 0);
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = any6.sin6_port,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    ck_assert_int_eq(connect(c4, (struct sockaddr *)&to, sizeof(to)), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAECONNREFUSED);
    closesocket(l6);
    closesocket(c4);
    stop();
}
END_TEST

START_TEST(test_wsasend_wsarecv_scatter_gather)
{
    start();
    SOCKET c, s;
    tcp_pair(AF_INET, &c, &s);
    char a[] = "scatter", b[] = "-gather";
    WSABUF out[2] = { { 7, a }, { 7, b } };
    DWORD sent = 0, got = 0, flags = 0;
    WSASetLastError(12345);
    ck_assert_int_eq(WSASend(c, out, 2, &sent, 0, NULL, NULL), 0);
    ck_assert_int_eq(WSAGetLastError(), 0);          /* cleared on success */
    ck_assert_uint_eq(sent, 14);
    char x[5], y[9];
    WSABUF in[2] = { { 5, x }, { 9, y } };
    ck_assert_int_eq(WSARecv(s, in, 2, &got, &flags, NULL, NULL), 0);
    ck_assert_uint_eq(got, 14);
    ck_assert_int_eq(memcmp(x, "scatt", 5), 0);
    ck_assert_int_eq(memcmp(y, "er-gather", 9), 0);
    /* Missing out-pointers. */
    ck_assert_int_eq(WSASend(c, out, 2, NULL, 0, NULL, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert_int_eq(WSARecv(s, in, 2, &got, NULL, NULL, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    closesocket(c);
    closesocket(s);
    stop();
}
END_TEST

/* ---- non-blocking mode ------------------------------------------------------------------ */

START_TEST(test_nonblocking_calls_would_block)
{
    start();
    struct sockaddr_storage ss;
    int len;
    SOCKET l = listener(AF_INET, &ss, &len);
    u_long on = 1, n = 99;
    char buf[8];
    ck_assert_int_eq(ioctlsocket(l, FIONBIO, &on), 0);
    ck_assert(accept(l, NULL, NULL) == INVALID_SOCKET);
    ck_assert_int_eq(WSAGetLastError(), WSAEWOULDBLOCK);

    SOCKET c = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(ioctlsocket(c, FIONBIO, &on), 0);
    int r = connect(c, (struct sockaddr *)&ss, len);
    if (r == SOCKET_ERROR) {
        ck_assert_int_eq(WSAGetLastError(), WSAEWOULDBLOCK);
        /* Asked again while it runs, or once it is done. */
        r = connect(c, (struct sockaddr *)&ss, len);
        ck_assert_int_eq(r, SOCKET_ERROR);
        int e = WSAGetLastError();
        ck_assert(e == WSAEALREADY || e == WSAEISCONN);
    }
    /* Bounded wait for the handshake, then it reports itself connected. */
    for (int i = 0; i < 5000; i++) {
        r = connect(c, (struct sockaddr *)&ss, len);
        if (r == SOCKET_ERROR && WSAGetLastError() == WSAEISCONN)
            break;
        Sleep(1);
    }
    ck_assert_int_eq(r, SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEISCONN);

    SOCKET s = accept(l, NULL, NULL);
    ck_assert(s != INVALID_SOCKET);
    /* The accepted socket inherits non-blocking mode. */
    ck_assert_int_eq(recv(s, buf, sizeof(buf), 0), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEWOULDBLOCK);
    ck_assert_int_eq(ioctlsocket(s, FIONREAD, &n), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(send(c, "abc", 3, 0), 3);
    for (int i = 0; i < 5000 && ioctlsocket(s, FIONREAD, &n) == 0 && n < 3; i++)
        Sleep(1);
    ck_assert_int_eq(ioctlsocket(s, FIONREAD, &n), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(recv(s, buf, sizeof(buf), MSG_PEEK), 3);
    ck_assert_int_eq(recv(s, buf, sizeof(buf), 0), 3);
    on = 0;
    ck_assert_int_eq(ioctlsocket(s, FIONBIO, &on), 0);
    ck_assert_int_eq(ioctlsocket(s, SIOCATMARK, &n), 0);
    ck_assert_uint_eq(n, 1);     /* TRUE: no urgent data waiting */
    ck_assert_int_eq(ioctlsocket(s, FIONBIO, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    /* The value passed where the pointer belongs: WSAEFAULT, no crash. */
    ck_assert_int_eq(ioctlsocket(s, FIONREAD, (u_long *)1), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert_int_eq(ioctlsocket(s, 0x12345678, &n), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    closesocket(c);
    closesocket(s);
    closesocket(l);
    stop();
}
END_TEST

START_TEST(test_nonblocking_connect_completes_without_second_connect)
{
    /* Programs wait for writability instead of calling connect again: the
     * socket must be usable once the handshake is done. */
    start();
    struct sockaddr_storage ss, peer;
    int len, pl = sizeof(peer);
    SOCKET l = listener(AF_INET, &ss, &len);
    SOCKET c = socket(AF_INET, SOCK_STREAM, 0);
    u_long on = 1;
    char buf[4];
    ck_assert_int_eq(ioctlsocket(c, FIONBIO, &on), 0);
    int r = connect(c, (struct sockaddr *)&ss, len);
    ck_assert(r == 0 || WSAGetLastError() == WSAEWOULDBLOCK);
    SOCKET s = INVALID_SOCKET;
    for (int i = 0; i < 5000 && s == INVALID_SOCKET; i++) {
        s = accept(l, NULL, NULL);     /* blocking listener: returns once done */
    }
    ck_assert(s != INVALID_SOCKET);
    ck_assert_int_eq(getpeername(c, (struct sockaddr *)&peer, &pl), 0);
    ck_assert_int_eq(send(c, "ok", 2, 0), 2);
    ck_assert_int_eq(recv(s, buf, sizeof(buf), 0), 2);
    ck_assert_int_eq(send(s, "k", 1, 0), 1);
    for (int i = 0; i < 5000 && (r = recv(c, buf, sizeof(buf), 0)) == SOCKET_ERROR; i++)
        Sleep(1);
    ck_assert_int_eq(r, 1);
    closesocket(c);
    closesocket(s);
    closesocket(l);
    stop();
}
END_TEST

/* ---- select and WSAPoll ------------------------------------------------------------------ */

static const struct timeval zero_tv = { 0, 0 }, five_s = { 5, 0 };

START_TEST(test_select_read_write_and_listen)
{
    start();
    struct sockaddr_storage ss;
    int len;
    SOCKET l = listener(AF_INET, &ss, &len);
    fd_set rd, wr;
    FD_ZERO(&rd);
    FD_SET(l, &rd);
    ck_assert_int_eq(select(0, &rd, NULL, NULL, &zero_tv), 0);   /* nobody yet */
    ck_assert_uint_eq(rd.fd_count, 0);
    SOCKET c = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(c, (struct sockaddr *)&ss, len), 0);
    FD_ZERO(&rd);
    FD_SET(l, &rd);
    ck_assert_int_eq(select(0, &rd, NULL, NULL, &five_s), 1);    /* a connection waits */
    ck_assert(FD_ISSET(l, &rd));
    SOCKET s = accept(l, NULL, NULL);

    FD_ZERO(&rd);
    FD_SET(s, &rd);
    FD_ZERO(&wr);
    FD_SET(c, &wr);
    FD_SET(s, &wr);
    /* Both writable, nothing to read: 2, and the read set is emptied. */
    ck_assert_int_eq(select(0, &rd, &wr, NULL, &zero_tv), 2);
    ck_assert_uint_eq(rd.fd_count, 0);
    ck_assert_uint_eq(wr.fd_count, 2);
    ck_assert_int_eq(send(c, "x", 1, 0), 1);
    FD_ZERO(&rd);
    FD_SET(s, &rd);
    FD_ZERO(&wr);
    FD_SET(s, &wr);
    /* One socket in two sets counts twice. */
    ck_assert_int_eq(select(0, &rd, &wr, NULL, &five_s), 2);
    ck_assert(FD_ISSET(s, &rd) && FD_ISSET(s, &wr));
    /* A peer that closes makes the socket readable (recv gives 0). */
    char buf[4];
    recv(s, buf, sizeof(buf), 0);
    closesocket(c);
    FD_ZERO(&rd);
    FD_SET(s, &rd);
    ck_assert_int_eq(select(0, &rd, NULL, NULL, &five_s), 1);
    ck_assert_int_eq(recv(s, buf, sizeof(buf), 0), 0);
    closesocket(s);
    closesocket(l);
    stop();
}
END_TEST

START_TEST(test_select_failed_connect_is_exception)
{
    start();
    struct sockaddr_storage ss;
    int len;
    SOCKET l = listener(AF_INET, &ss, &len);
    closesocket(l);
    SOCKET c = socket(AF_INET, SOCK_STREAM, 0);
    u_long on = 1;
    ioctlsocket(c, FIONBIO, &on);
    int r = connect(c, (struct sockaddr *)&ss, len);
    ck_assert(r == SOCKET_ERROR && WSAGetLastError() == WSAEWOULDBLOCK);
    fd_set wr, ex;
    FD_ZERO(&wr);
    FD_SET(c, &wr);
    FD_ZERO(&ex);
    FD_SET(c, &ex);
    ck_assert_int_eq(select(0, NULL, &wr, &ex, &five_s), 1);
    ck_assert_uint_eq(wr.fd_count, 0);          /* not writable */
    ck_assert(FD_ISSET(c, &ex));
    closesocket(c);
    stop();
}
END_TEST

START_TEST(test_select_unconnected_socket_not_ready)
{
    start();
    SOCKET c = socket(AF_INET, SOCK_STREAM, 0);
    fd_set rd, wr;
    FD_ZERO(&rd);
    FD_SET(c, &rd);
    FD_ZERO(&wr);
    FD_SET(c, &wr);
    struct timeval tv = { 0, 30000 };
    ck_assert_int_eq(select(0, &rd, &wr, NULL, &tv), 0);
    closesocket(c);
    stop();
}
END_TEST

START_TEST(test_select_bad_input)
{
    start();
    SOCKET c = socket(AF_INET, SOCK_STREAM, 0);
    fd_set rd;
    ck_assert_int_eq(select(0, NULL, NULL, NULL, &zero_tv), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    FD_ZERO(&rd);
    ck_assert_int_eq(select(0, &rd, NULL, NULL, &zero_tv), SOCKET_ERROR);   /* empty */
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    FD_SET(c, &rd);
    FD_SET((SOCKET)0x1234, &rd);
    ck_assert_int_eq(select(0, &rd, NULL, NULL, &zero_tv), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAENOTSOCK);
    FD_ZERO(&rd);
    FD_SET(c, &rd);
    struct timeval neg = { -1, 0 };
    ck_assert_int_eq(select(0, &rd, NULL, NULL, &neg), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    closesocket(c);
    stop();
}
END_TEST

START_TEST(test_wsapoll_readiness_and_invalid)
{
    start();
    SOCKET c, s;
    tcp_pair(AF_INET, &c, &s);
    WSAPOLLFD p[3] = { { s, POLLRDNORM, 0 }, { c, POLLWRNORM, 0 }, { (SOCKET)0x1234, POLLRDNORM, 0 } };
    /* Writable c, invalid third: without waiting, and (as Windows) the
     * invalid entry is POLLNVAL but not counted. */
    ck_assert_int_eq(WSAPoll(p, 3, 5000), 1);
    ck_assert_int_eq(p[0].revents, 0);
    ck_assert_int_eq(p[1].revents, POLLWRNORM);
    ck_assert_int_eq(p[2].revents, POLLNVAL);
    ck_assert_int_eq(send(c, "y", 1, 0), 1);
    p[1].events = 0;
    ck_assert_int_eq(WSAPoll(p, 2, 5000), 1);
    ck_assert_int_eq(p[0].revents, POLLRDNORM);
    ck_assert_int_eq(p[1].revents, 0);
    ck_assert_int_eq(WSAPoll(p, 1, 0), 1);       /* still there: level-triggered */
    /* No socket at all: WSAENOTSOCK, each POLLNVAL. */
    WSAPOLLFD bad[2] = { { INVALID_SOCKET, POLLERR, 0 }, { (SOCKET)0x1234, POLLRDNORM, 0 } };
    ck_assert_int_eq(WSAPoll(bad, 2, 0), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAENOTSOCK);
    ck_assert_int_eq(bad[0].revents, POLLNVAL);
    ck_assert_int_eq(bad[1].revents, POLLNVAL);
    /* An unknown event fails the call, every revents cleared, except on an
     * INVALID_SOCKET entry, which is only POLLNVAL. */
    p[1].events = POLLERR;
    p[0].revents = 0x7;
    ck_assert_int_eq(WSAPoll(p, 2, 0), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    ck_assert_int_eq(p[0].revents, 0);
    WSAPOLLFD mixed[2] = { { INVALID_SOCKET, POLLERR, 0 }, { s, POLLRDNORM, 0 } };
    ck_assert_int_eq(WSAPoll(mixed, 2, 0), 1);
    ck_assert_int_eq(mixed[0].revents, POLLNVAL);
    ck_assert_int_eq(mixed[1].revents, POLLRDNORM);
    ck_assert_int_eq(WSAPoll(NULL, 0, 0), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    ck_assert_int_eq(WSAPoll(NULL, 1, 0), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    closesocket(c);
    closesocket(s);
    stop();
}
END_TEST

/* Windows' WSAPoll: the peer's end of stream is POLLHUP, not POLLRDNORM
 * unless data is left; our own shutdowns are neither. */
START_TEST(test_wsapoll_hangup_is_the_peers)
{
    start();
    SOCKET c, s;
    tcp_pair(AF_INET, &c, &s);
    WSAPOLLFD p = { c, POLLRDNORM | POLLWRNORM, 0 };
    ck_assert_int_eq(shutdown(c, SD_BOTH), 0);
    ck_assert_int_eq(WSAPoll(&p, 1, 0), 1);
    ck_assert_int_eq(p.revents, POLLWRNORM);
    WSAPOLLFD q = { s, POLLRDNORM, 0 };
    ck_assert_int_eq(WSAPoll(&q, 1, 1000), 1);
    ck_assert_int_eq(q.revents, POLLHUP);
    closesocket(c);
    closesocket(s);
    tcp_pair(AF_INET, &c, &s);
    ck_assert_int_eq(send(c, "data", 4, 0), 4);
    ck_assert_int_eq(shutdown(c, SD_SEND), 0);
    q.fd = s;
    ck_assert_int_eq(WSAPoll(&q, 1, 1000), 1);
    ck_assert_int_eq(q.revents, POLLRDNORM | POLLHUP);
    closesocket(c);
    closesocket(s);
    stop();
}
END_TEST

/* As Windows: a socket twice in a set is reported once, the sets may be
 * one fd_set, and the result counts each socket once per set it is added to. */
START_TEST(test_select_dedupes_and_takes_aliased_sets)
{
    start();
    SOCKET c, s;
    tcp_pair(AF_INET, &c, &s);
    struct timeval tv = { 1, 0 };
    fd_set w;
    w.fd_count = 2;
    w.fd_array[0] = c;
    w.fd_array[1] = c;
    ck_assert_int_eq(select(0, NULL, &w, NULL, &tv), 1);
    ck_assert_uint_eq(w.fd_count, 1);
    ck_assert_int_eq(send(c, "x", 1, 0), 1);
    fd_set both;
    FD_ZERO(&both);
    FD_SET(c, &both);
    FD_SET(s, &both);
    /* s is readable and writable, c writable: two sockets, two additions. */
    ck_assert_int_eq(select(0, &both, &both, NULL, &tv), 2);
    ck_assert(FD_ISSET(c, &both) && FD_ISSET(s, &both));
    /* Urgent data under SO_OOBINLINE is readable, not "except". */
    char on = 1, b[4];
    ck_assert_int_eq(recv(s, b, sizeof(b), 0), 1);
    ck_assert_int_eq(setsockopt(s, SOL_SOCKET, SO_OOBINLINE, &on, 1), 0);
    ck_assert_int_eq(send(c, "u", 1, MSG_OOB), 1);
    fd_set rd, ex;
    FD_ZERO(&rd);
    FD_ZERO(&ex);
    FD_SET(s, &rd);
    FD_SET(s, &ex);
    ck_assert_int_eq(select(0, &rd, NULL, &ex, &tv), 1);
    ck_assert(FD_ISSET(s, &rd));
    ck_assert_uint_eq(ex.fd_count, 0);
    closesocket(c);
    closesocket(s);
    stop();
}
END_TEST

/* An urgent byte taken with MSG_OOB is gone: turning SO_OOBINLINE on
 * afterwards does not bring it back inline, the next urgent byte is the
 * one read, and with everything read a close is no reset (sock.c's
 * test_select).  Linux alone would hand out the taken byte again. */
START_TEST(test_sockopt_oobinline_does_not_return_a_taken_urgent_byte)
{
    start();
    SOCKET c, s;
    tcp_pair(AF_INET, &c, &s);
    struct timeval tv = { 2, 0 };
    fd_set ex, rd;
    char b[8], on = 1;
    ck_assert_int_eq(send(c, "A", 1, MSG_OOB), 1);
    FD_ZERO(&ex);
    FD_SET(s, &ex);
    ck_assert_int_eq(select(0, NULL, NULL, &ex, &tv), 1);
    ck_assert_int_eq(recv(s, b, sizeof(b), MSG_OOB), 1);
    ck_assert_int_eq(b[0], 'A');
    ck_assert_int_eq(setsockopt(s, SOL_SOCKET, SO_OOBINLINE, &on, 1), 0);
    ck_assert_int_eq(send(c, "B", 1, MSG_OOB), 1);
    FD_ZERO(&rd);
    FD_SET(s, &rd);
    ck_assert_int_eq(select(0, &rd, NULL, NULL, &tv), 1);
    ck_assert_int_eq(recv(s, b, sizeof(b), 0), 1);
    ck_assert_int_eq(b[0], 'B');
    ck_assert_int_eq(closesocket(s), 0);
    FD_ZERO(&rd);
    FD_SET(c, &rd);
    ck_assert_int_eq(select(0, &rd, NULL, NULL, &tv), 1);
    ck_assert_int_eq(recv(c, b, sizeof(b), 0), 0);
    closesocket(c);
    stop();
}
END_TEST

/* Windows accepts IPV6_V6ONLY on an unbound IPv4 socket and changes nothing. */
START_TEST(test_sockopt_v6only_on_ipv4_is_accepted)
{
    start();
    SOCKET v4 = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    DWORD on = 1, off = 0;
    ck_assert_int_eq(setsockopt(v4, IPPROTO_IPV6, IPV6_V6ONLY, (char *)&off, sizeof(off)), 0);
    ck_assert_int_eq(setsockopt(v4, IPPROTO_IPV6, IPV6_V6ONLY, (char *)&on, sizeof(on)), 0);
    ck_assert_int_eq(setsockopt(v4, IPPROTO_IPV6, IPV6_V6ONLY, NULL, sizeof(on)), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    ck_assert_int_eq(bind(v4, (struct sockaddr *)&a, sizeof(a)), 0);
    /* Bound, it fails, as the option does on a bound IPv6 socket. */
    ck_assert_int_eq(setsockopt(v4, IPPROTO_IPV6, IPV6_V6ONLY, (char *)&off, sizeof(off)), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    closesocket(v4);
    stop();
}
END_TEST

/* bind takes only the whole sockaddr_in6 and reports an unknown scope as
 * WSAEADDRNOTAVAIL; a datagram socket connected to AF_UNSPEC forgets its
 * peer.  (A link-local address without a scope takes its interface's:
 * Wine's test_bind pins that, on the addresses this machine has.) */
START_TEST(test_bind_old_sockaddr_in6_and_udp_unconnect)
{
    start();
    SOCKET s6 = socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP);
    struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
    a6.sin6_addr.s6_addr[15] = 1;      /* ::1 */
    ck_assert_int_eq(bind(s6, (struct sockaddr *)&a6, 24), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert_int_eq(bind(s6, (struct sockaddr *)&a6, sizeof(a6)), 0);
    closesocket(s6);
    /* A link-local address with a scope no interface has. */
    s6 = socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP);
    struct sockaddr_in6 ll = { .sin6_family = AF_INET6, .sin6_scope_id = 0xabacab };
    ll.sin6_addr.s6_addr[0] = 0xfe;
    ll.sin6_addr.s6_addr[1] = 0x80;
    ll.sin6_addr.s6_addr[15] = 1;
    ck_assert_int_eq(bind(s6, (struct sockaddr *)&ll, sizeof(ll)), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEADDRNOTAVAIL);
    closesocket(s6);
    SOCKET u = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    ck_assert_int_eq(connect(u, (struct sockaddr *)&peer, sizeof(peer)), 0);
    struct sockaddr_in got;
    int len = sizeof(got);
    ck_assert_int_eq(getpeername(u, (struct sockaddr *)&got, &len), 0);
    struct sockaddr_in unspec = { .sin_family = AF_UNSPEC };
    ck_assert_int_eq(connect(u, (struct sockaddr *)&unspec, sizeof(unspec)), 0);
    len = sizeof(got);
    ck_assert_int_eq(getpeername(u, (struct sockaddr *)&got, &len), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAENOTCONN);
    closesocket(u);
    stop();
}
END_TEST

/* Windows looks at the socket before a missing byte count. */
START_TEST(test_wsasend_checks_socket_before_count)
{
    start();
    char data[4] = "abc";
    WSABUF b = { sizeof(data), data };
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    ck_assert_int_eq(WSASendTo(INVALID_SOCKET, &b, 1, NULL, 0, (struct sockaddr *)&to, sizeof(to), NULL, NULL),
                     SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAENOTSOCK);
    SOCKET u = socket(AF_INET, SOCK_DGRAM, 0);
    ck_assert_int_eq(WSASendTo(u, &b, 1, NULL, 0, (struct sockaddr *)&to, sizeof(to), NULL, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    DWORD flags = 0;
    ck_assert_int_eq(WSARecv(INVALID_SOCKET, &b, 1, NULL, &flags, NULL, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAENOTSOCK);
    closesocket(u);
    stop();
}
END_TEST

/* An accepted socket takes its listener's options, those ws2uring keeps
 * itself included. */
START_TEST(test_accept_inherits_listener_options)
{
    start();
    struct sockaddr_storage ss;
    int len;
    SOCKET l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    DWORD one = 1, size = 0x123, ms = 0x123;
    ck_assert_int_eq(setsockopt(l, SOL_SOCKET, SO_REUSEADDR, (char *)&one, sizeof(one)), 0);
    ck_assert_int_eq(setsockopt(l, SOL_SOCKET, SO_RCVBUF, (char *)&size, sizeof(size)), 0);
    ck_assert_int_eq(setsockopt(l, SOL_SOCKET, SO_SNDTIMEO, (char *)&ms, sizeof(ms)), 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    ck_assert_int_eq(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
    len = sizeof(ss);
    ck_assert_int_eq(getsockname(l, (struct sockaddr *)&ss, &len), 0);
    ck_assert_int_eq(listen(l, 1), 0);
    SOCKET c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    ck_assert_int_eq(connect(c, (struct sockaddr *)&ss, len), 0);
    SOCKET s = accept(l, NULL, NULL);
    DWORD v = 0;
    int vl = sizeof(v);
    ck_assert_int_eq(getsockopt(s, SOL_SOCKET, SO_REUSEADDR, (char *)&v, &vl), 0);
    ck_assert_uint_eq(v, 1);
    vl = sizeof(v);
    ck_assert_int_eq(getsockopt(s, SOL_SOCKET, SO_RCVBUF, (char *)&v, &vl), 0);
    ck_assert_uint_eq(v, 0x123);
    vl = sizeof(v);
    ck_assert_int_eq(getsockopt(s, SOL_SOCKET, SO_SNDTIMEO, (char *)&v, &vl), 0);
    ck_assert_uint_eq(v, 0x123);
    closesocket(s);
    closesocket(c);
    closesocket(l);
    stop();
}
END_TEST

/* WSAConnectByName: Windows' argument errors, a connection to a name and
 * service, both addresses with their lengths. */
START_TEST(test_wsaconnectbyname_connects_gives_portless_local_and_checks_arguments)
{
    start();
    struct sockaddr_storage ss;
    int len;
    SOCKET l = listener(AF_INET, &ss, &len);
    char port[8];
    snprintf(port, sizeof(port), "%u", ntohs(((struct sockaddr_in *)&ss)->sin_port));
    SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    WSAOVERLAPPED reserved;
    ck_assert(!WSAConnectByNameA(s, NULL, port, NULL, NULL, NULL, NULL, NULL, NULL));
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    ck_assert(!WSAConnectByNameA(s, "127.0.0.1", NULL, NULL, NULL, NULL, NULL, NULL, NULL));
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    ck_assert(!WSAConnectByNameA(s, "127.0.0.1", port, NULL, NULL, NULL, NULL, NULL, &reserved));
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    ck_assert(!WSAConnectByNameA(s, "127.0.0.1", "nonexistentservice", NULL, NULL, NULL, NULL, NULL, NULL));
    ck_assert_int_eq(WSAGetLastError(), WSATYPE_NOT_FOUND);
    struct sockaddr_in la, ra;
    DWORD ll = 3, rl = 3;
    ck_assert(!WSAConnectByNameA(s, "127.0.0.1", port, &ll, (struct sockaddr *)&la, &rl, (struct sockaddr *)&ra,
                                 NULL, NULL));
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert_uint_eq(ll, 3);
    ll = rl = 50;
    struct timeval tv = { 5, 0 };
    ck_assert(WSAConnectByNameA(s, "127.0.0.1", port, &ll, (struct sockaddr *)&la, &rl, (struct sockaddr *)&ra,
                                &tv, NULL));
    ck_assert_uint_eq(ll, sizeof(struct sockaddr_in));
    ck_assert_uint_eq(rl, sizeof(struct sockaddr_in));
    ck_assert_int_eq(ra.sin_port, ((struct sockaddr_in *)&ss)->sin_port);
    /* The local address comes without its port, as on Windows (Wine's
     * sock.c test_WSAConnectByName pins it). */
    ck_assert_uint_eq(la.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    ck_assert_int_eq(la.sin_port, 0);
    SOCKET a = accept(l, NULL, NULL);
    ck_assert(a != INVALID_SOCKET);
    ck_assert_int_eq(send(s, "hi", 2, 0), 2);
    char b[4];
    ck_assert_int_eq(recv(a, b, sizeof(b), 0), 2);
    /* The wide form, blocking, lengths without buffers. */
    SOCKET s2 = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    WCHAR wport[8], wnode[10];
    for (int i = 0; i < 8; i++)
        wport[i] = (WCHAR)port[i];
    for (int i = 0; i < 10; i++)
        wnode[i] = (WCHAR)"127.0.0.1"[i];
    ll = rl = 0;
    ck_assert(WSAConnectByNameW(s2, wnode, wport, &ll, NULL, &rl, NULL, NULL, NULL));
    ck_assert_uint_eq(ll, sizeof(struct sockaddr_in));
    SOCKET u = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    ck_assert(!WSAConnectByNameA(u, "127.0.0.1", port, NULL, NULL, NULL, NULL, NULL, NULL));
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    closesocket(u);
    closesocket(s2);
    closesocket(a);
    closesocket(s);
    closesocket(l);
    stop();
}
END_TEST

/* After the peer's end of stream, a receive that leaves data behind
 * records FD_READ again, as Windows does. */
START_TEST(test_event_select_fd_read_after_peer_close_with_data_left)
{
    start();
    SOCKET c, s;
    tcp_pair(AF_INET, &c, &s);
    WSAEVENT ev = WSACreateEvent();
    ck_assert_int_eq(WSAEventSelect(s, ev, FD_READ | FD_CLOSE), 0);
    ck_assert_int_eq(send(c, "data", 5, 0), 5);
    closesocket(c);
    WSANETWORKEVENTS ne;
    long seen = 0;
    for (int i = 0; i < 2 && seen != (FD_READ | FD_CLOSE); i++) {
        ck_assert_uint_eq(WSAWaitForMultipleEvents(1, &ev, FALSE, 5000, FALSE), WSA_WAIT_EVENT_0);
        ck_assert_int_eq(WSAEnumNetworkEvents(s, ev, &ne), 0);
        seen |= ne.lNetworkEvents;
    }
    ck_assert_int_eq(seen, FD_READ | FD_CLOSE);
    char b[8];
    ck_assert_int_eq(recv(s, b, 3, 0), 3);
    ck_assert_uint_eq(WSAWaitForMultipleEvents(1, &ev, FALSE, 5000, FALSE), WSA_WAIT_EVENT_0);
    ck_assert_int_eq(WSAEnumNetworkEvents(s, ev, &ne), 0);
    ck_assert_int_eq(ne.lNetworkEvents, FD_READ);
    ck_assert_int_eq(recv(s, b, sizeof(b), 0), 2);
    ck_assert_uint_eq(WSAWaitForMultipleEvents(1, &ev, FALSE, 100, FALSE), WSA_WAIT_TIMEOUT);
    WSACloseEvent(ev);
    closesocket(s);
    stop();
}
END_TEST

struct closer {
    SOCKET s;
    int delay_ms;
};

static void *close_later(void *arg)
{
    struct closer *c = arg;
    Sleep((DWORD)c->delay_ms);
    closesocket(c->s);
    return NULL;
}

/* closesocket in another thread ends a select or WSAPoll waiting on the
 * socket: readable for select's read set, POLLNVAL for WSAPoll. */
START_TEST(test_select_and_wsapoll_woken_by_closesocket)
{
    start();
    SOCKET c, s;
    tcp_pair(AF_INET, &c, &s);
    struct closer cl = { s, 100 };
    pthread_t th;
    pthread_create(&th, NULL, close_later, &cl);
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(s, &rd);
    struct timeval tv = { 10, 0 };
    ck_assert_int_eq(select(0, &rd, NULL, NULL, &tv), 1);
    ck_assert(FD_ISSET(s, &rd));
    pthread_join(th, NULL);
    closesocket(c);
    tcp_pair(AF_INET, &c, &s);
    cl.s = c;
    pthread_create(&th, NULL, close_later, &cl);
    WSAPOLLFD p = { c, POLLRDNORM, 0 };
    ck_assert_int_eq(WSAPoll(&p, 1, 10000), 1);
    ck_assert_int_eq(p.revents, POLLNVAL);
    pthread_join(th, NULL);
    closesocket(s);
    stop();
}
END_TEST

START_TEST(test_wsapoll_failed_connect_and_bad_input)
{
    start();
    struct sockaddr_storage ss;
    int len;
    SOCKET l = listener(AF_INET, &ss, &len);
    closesocket(l);
    SOCKET c = socket(AF_INET, SOCK_STREAM, 0);
    u_long on = 1;
    ioctlsocket(c, FIONBIO, &on);
    connect(c, (struct sockaddr *)&ss, len);
    WSAPOLLFD p = { c, POLLWRNORM, 0 };
    ck_assert_int_eq(WSAPoll(&p, 1, 5000), 1);
    ck_assert(p.revents & POLLERR);
    ck_assert(p.revents & POLLHUP);
    ck_assert(!(p.revents & POLLWRNORM));
    ck_assert_int_eq(WSAPoll(NULL, 1, 0), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert_int_eq(WSAPoll(&p, 0, 0), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    p.events = 0x4000;
    ck_assert_int_eq(WSAPoll(&p, 1, 0), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    closesocket(c);
    stop();
}
END_TEST

/* ---- options ------------------------------------------------------------------------------ */

static int get_int(SOCKET s, int level, int name)
{
    int v = -12345, len = sizeof(v);
    ck_assert_int_eq(getsockopt(s, level, name, (char *)&v, &len), 0);
    ck_assert_int_eq(len, (int)sizeof(int));
    return v;
}

/* SO_KEEPALIVE, SO_DONTROUTE, TCP_NODELAY and IPV6_V6ONLY are one byte
 * on Windows (Wine's sock.c records it there): getsockopt writes one. */
static int get_byte(SOCKET s, int level, int name)
{
    int v = 0x7fffff00, len = sizeof(v);
    ck_assert_int_eq(getsockopt(s, level, name, (char *)&v, &len), 0);
    ck_assert_int_eq(len, 1);
    ck_assert_int_eq(v & ~0xff, 0x7fffff00);     /* the rest untouched */
    return v & 0xff;
}

static void set_int(SOCKET s, int level, int name, int v)
{
    ck_assert_int_eq(setsockopt(s, level, name, (const char *)&v, sizeof(v)), 0);
}

START_TEST(test_options_bool_and_int_round_trip)
{
    start();
    SOCKET t = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0);
    static const int tcp_bools[][2] = { { SOL_SOCKET, SO_KEEPALIVE }, { SOL_SOCKET, SO_OOBINLINE },
                                        { IPPROTO_TCP, TCP_NODELAY } };
    for (size_t i = 0; i < 3; i++) {
        BOOL byte = tcp_bools[i][1] != SO_OOBINLINE;
        set_int(t, tcp_bools[i][0], tcp_bools[i][1], 7);        /* any non-zero is TRUE */
        ck_assert_int_eq(byte ? get_byte(t, tcp_bools[i][0], tcp_bools[i][1])
                              : get_int(t, tcp_bools[i][0], tcp_bools[i][1]), 1);
        set_int(t, tcp_bools[i][0], tcp_bools[i][1], 0);
        ck_assert_int_eq(byte ? get_byte(t, tcp_bools[i][0], tcp_bools[i][1])
                              : get_int(t, tcp_bools[i][0], tcp_bools[i][1]), 0);
    }
    /* A one-byte option reads only the low byte of what it is given. */
    set_int(t, SOL_SOCKET, SO_KEEPALIVE, 0x100);
    ck_assert_int_eq(get_byte(t, SOL_SOCKET, SO_KEEPALIVE), 0);
    /* A SOL_SOCKET BOOL takes a short value, and answers a short buffer
     * with one byte; a TTL over 255 is refused. */
    unsigned char one = 1;
    ck_assert_int_eq(setsockopt(u, SOL_SOCKET, SO_BROADCAST, (char *)&one, 1), 0);
    int b = 0x7fffffff, bl = 1;
    ck_assert_int_eq(getsockopt(u, SOL_SOCKET, SO_BROADCAST, (char *)&b, &bl), 0);
    ck_assert_int_eq(bl, 1);
    ck_assert_int_eq(b, 0x7fffff01);
    int big = 0x100;
    ck_assert_int_eq(setsockopt(u, IPPROTO_IP, IP_TTL, (char *)&big, sizeof(big)), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    set_int(u, SOL_SOCKET, SO_BROADCAST, 1);
    ck_assert_int_eq(get_int(u, SOL_SOCKET, SO_BROADCAST), 1);
    set_int(t, IPPROTO_TCP, TCP_KEEPIDLE, 30);
    ck_assert_int_eq(get_int(t, IPPROTO_TCP, TCP_KEEPALIVE), 30);
    set_int(t, IPPROTO_TCP, TCP_KEEPINTVL, 5);
    ck_assert_int_eq(get_int(t, IPPROTO_TCP, TCP_KEEPINTVL), 5);
    set_int(t, IPPROTO_TCP, TCP_KEEPCNT, 4);
    ck_assert_int_eq(get_int(t, IPPROTO_TCP, TCP_KEEPCNT), 4);
    set_int(u, IPPROTO_IP, IP_TTL, 33);
    ck_assert_int_eq(get_int(u, IPPROTO_IP, IP_TTL), 33);
    set_int(u, IPPROTO_IP, IP_TOS, 0x10);
    ck_assert_int_eq(get_int(u, IPPROTO_IP, IP_TOS), 0x10);
    /* Multicast TTL and loop also take one byte, as Unix-minded code passes. */
    unsigned char ttl = 9;
    ck_assert_int_eq(setsockopt(u, IPPROTO_IP, IP_MULTICAST_TTL, (char *)&ttl, 1), 0);
    ck_assert_int_eq(get_int(u, IPPROTO_IP, IP_MULTICAST_TTL), 9);
    set_int(u, IPPROTO_IP, IP_MULTICAST_LOOP, 0);
    ck_assert_int_eq(get_int(u, IPPROTO_IP, IP_MULTICAST_LOOP), 0);
    set_int(u, IPPROTO_IP, IP_PKTINFO, 1);
    ck_assert_int_eq(get_int(u, IPPROTO_IP, IP_PKTINFO), 1);
    /* Buffer sizes read back as set (Linux itself reports double). */
    set_int(t, SOL_SOCKET, SO_RCVBUF, 65536);
    ck_assert_int_eq(get_int(t, SOL_SOCKET, SO_RCVBUF), 65536);
    set_int(t, SOL_SOCKET, SO_SNDBUF, 32768);
    ck_assert_int_eq(get_int(t, SOL_SOCKET, SO_SNDBUF), 32768);
    closesocket(t);
    closesocket(u);
    stop();
}
END_TEST

START_TEST(test_options_read_only_values)
{
    start();
    struct sockaddr_storage ss;
    int len;
    SOCKET l = listener(AF_INET, &ss, &len), u = socket(AF_INET6, SOCK_DGRAM, 0);
    ck_assert_int_eq(get_int(l, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
    ck_assert_int_eq(get_int(u, SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
    ck_assert_int_eq(get_int(l, SOL_SOCKET, SO_ACCEPTCONN), 1);
    ck_assert_int_eq(get_int(l, SOL_SOCKET, SO_ERROR), 0);
    ck_assert_int_eq(get_int(u, SOL_SOCKET, SO_MAX_MSG_SIZE), 65507);
    /* Windows' default: IPv6 sockets are v6-only. */
    ck_assert_int_eq(get_byte(u, IPPROTO_IPV6, IPV6_V6ONLY), 1);
    set_int(u, IPPROTO_IPV6, IPV6_V6ONLY, 0);
    ck_assert_int_eq(get_byte(u, IPPROTO_IPV6, IPV6_V6ONLY), 0);
    set_int(u, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 12);
    ck_assert_int_eq(get_int(u, IPPROTO_IPV6, IPV6_UNICAST_HOPS), 12);
    int v = SOCK_DGRAM;
    ck_assert_int_eq(setsockopt(l, SOL_SOCKET, SO_TYPE, (char *)&v, sizeof(v)), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAENOPROTOOPT);

    /* SO_ERROR reports a failed non-blocking connect as a WSA code. */
    closesocket(l);
    SOCKET c = socket(AF_INET, SOCK_STREAM, 0);
    u_long on = 1;
    ioctlsocket(c, FIONBIO, &on);
    connect(c, (struct sockaddr *)&ss, len);
    fd_set ex;
    FD_ZERO(&ex);
    FD_SET(c, &ex);
    ck_assert_int_eq(select(0, NULL, NULL, &ex, &five_s), 1);
    ck_assert_int_eq(get_int(c, SOL_SOCKET, SO_ERROR), WSAECONNREFUSED);
    closesocket(c);
    closesocket(u);
    stop();
}
END_TEST

START_TEST(test_options_linger_windows_layout)
{
    start();
    SOCKET t = socket(AF_INET, SOCK_STREAM, 0);
    struct linger l = { 1, 5 }, back = { 9, 9 };
    int len = sizeof(back);
    ck_assert_uint_eq(sizeof(l), 4);                 /* two u_shorts on Windows */
    ck_assert_int_eq(setsockopt(t, SOL_SOCKET, SO_LINGER, (char *)&l, sizeof(l)), 0);
    ck_assert_int_eq(getsockopt(t, SOL_SOCKET, SO_LINGER, (char *)&back, &len), 0);
    ck_assert_int_eq(len, 4);
    ck_assert_uint_eq(back.l_onoff, 1);
    ck_assert_uint_eq(back.l_linger, 5);
    ck_assert_int_eq(get_int(t, SOL_SOCKET, SO_DONTLINGER), 0);
    set_int(t, SOL_SOCKET, SO_DONTLINGER, 1);         /* off, time kept */
    len = sizeof(back);
    ck_assert_int_eq(getsockopt(t, SOL_SOCKET, SO_LINGER, (char *)&back, &len), 0);
    ck_assert_uint_eq(back.l_onoff, 0);
    ck_assert_uint_eq(back.l_linger, 5);
    ck_assert_int_eq(get_int(t, SOL_SOCKET, SO_DONTLINGER), 1);
    /* Linger is for streams. */
    SOCKET u = socket(AF_INET, SOCK_DGRAM, 0);
    ck_assert_int_eq(setsockopt(u, SOL_SOCKET, SO_LINGER, (char *)&l, sizeof(l)), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAENOPROTOOPT);
    closesocket(u);
    closesocket(t);
    stop();
}
END_TEST

START_TEST(test_options_receive_timeout_in_ms)
{
    start();
    SOCKET c, s;
    char buf[4];
    tcp_pair(AF_INET, &c, &s);
    /* 300 ms: taken as seconds, the receive would outlive the test's
     * 120 s limit, so this fails rather than passes slowly. */
    set_int(s, SOL_SOCKET, SO_RCVTIMEO, 300);
    ck_assert_int_eq(get_int(s, SOL_SOCKET, SO_RCVTIMEO), 300);
    ck_assert_int_eq(recv(s, buf, sizeof(buf), 0), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAETIMEDOUT);
    set_int(s, SOL_SOCKET, SO_SNDTIMEO, 1000);
    ck_assert_int_eq(get_int(s, SOL_SOCKET, SO_SNDTIMEO), 1000);
    closesocket(c);
    closesocket(s);
    stop();
}
END_TEST

START_TEST(test_options_reuse_and_exclusive)
{
    start();
    SOCKET a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_storage ss;
    int len = loopback(AF_INET, &ss);
    set_int(a, SOL_SOCKET, SO_REUSEADDR, 1);
    ck_assert_int_eq(get_int(a, SOL_SOCKET, SO_REUSEADDR), 1);
    int one = 1;
    ck_assert_int_eq(setsockopt(a, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (char *)&one, sizeof(one)), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    set_int(b, SOL_SOCKET, SO_REUSEADDR, 1);
    ck_assert_int_eq(bind(a, (struct sockaddr *)&ss, len), 0);
    ck_assert_int_eq(getsockname(a, (struct sockaddr *)&ss, &len), 0);
    ck_assert_int_eq(bind(b, (struct sockaddr *)&ss, len), 0);      /* shared port */
    SOCKET x = socket(AF_INET, SOCK_DGRAM, 0);
    set_int(x, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, 1);
    ck_assert_int_eq(get_int(x, SOL_SOCKET, SO_EXCLUSIVEADDRUSE), 1);
    ck_assert_int_eq(setsockopt(x, SOL_SOCKET, SO_REUSEADDR, (char *)&one, sizeof(one)), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    closesocket(a);
    closesocket(b);
    closesocket(x);
    stop();
}
END_TEST

/* Windows' sharing rules (Wine's sock.c test_reuseaddr records them):
 * one address is shared only when both sockets set SO_REUSEADDR, and the
 * first listener gets its connections; a wildcard and a specific address
 * share a port with no option, the specific one getting its connections;
 * SO_EXCLUSIVEADDRUSE on the wildcard keeps the specific one out. */
START_TEST(test_reuseaddr_windows_meaning)
{
    start();
    int one = 1, len;
    struct sockaddr_in lo = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) }, any;
    SOCKET a = socket(AF_INET, SOCK_STREAM, 0), b = socket(AF_INET, SOCK_STREAM, 0);
    len = sizeof(lo);
    ck_assert_int_eq(bind(a, (struct sockaddr *)&lo, len), 0);
    ck_assert_int_eq(getsockname(a, (struct sockaddr *)&lo, &len), 0);
    /* Only the newcomer set it: WSAEACCES; neither: WSAEADDRINUSE. */
    ck_assert_int_eq(bind(b, (struct sockaddr *)&lo, len), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEADDRINUSE);
    ck_assert_int_eq(setsockopt(b, SOL_SOCKET, SO_REUSEADDR, (char *)&one, sizeof(one)), 0);
    ck_assert_int_eq(bind(b, (struct sockaddr *)&lo, len), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEACCES);
    closesocket(a);
    closesocket(b);
    /* Both set it: shared; the first listener gets the connection. */
    a = socket(AF_INET, SOCK_STREAM, 0);
    b = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(setsockopt(a, SOL_SOCKET, SO_REUSEADDR, (char *)&one, sizeof(one)), 0);
    ck_assert_int_eq(setsockopt(b, SOL_SOCKET, SO_REUSEADDR, (char *)&one, sizeof(one)), 0);
    ck_assert_int_eq(bind(a, (struct sockaddr *)&lo, len), 0);
    ck_assert_int_eq(bind(b, (struct sockaddr *)&lo, len), 0);
    ck_assert_int_eq(listen(a, 1), 0);
    listen(b, 1);                    /* Windows lets it listen too; Linux refuses */
    SOCKET c = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(c, (struct sockaddr *)&lo, len), 0);
    SOCKET got = accept(a, NULL, NULL);
    ck_assert(got != INVALID_SOCKET);
    closesocket(got);
    closesocket(c);
    closesocket(a);
    closesocket(b);
    /* A wildcard listening, then the loopback address of the same port,
     * no options: both bind; a connection to loopback reaches the second. */
    any = lo;
    any.sin_addr.s_addr = htonl(INADDR_ANY);
    a = socket(AF_INET, SOCK_STREAM, 0);
    b = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(bind(a, (struct sockaddr *)&any, len), 0);
    ck_assert_int_eq(listen(a, 1), 0);
    ck_assert_int_eq(bind(b, (struct sockaddr *)&lo, len), 0);
    ck_assert_int_eq(listen(b, 1), 0);
    c = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(c, (struct sockaddr *)&lo, len), 0);
    u_long on = 1;
    ioctlsocket(a, FIONBIO, &on);
    got = accept(b, NULL, NULL);
    ck_assert(got != INVALID_SOCKET);
    ck_assert(accept(a, NULL, NULL) == INVALID_SOCKET);     /* nothing for the wildcard */
    ck_assert_int_eq(WSAGetLastError(), WSAEWOULDBLOCK);
    closesocket(got);
    closesocket(c);
    closesocket(a);
    closesocket(b);
    /* An exclusive wildcard keeps the specific address out (WSAEACCES);
     * a new exclusive wildcard cannot join a specific one (WSAEADDRINUSE). */
    SOCKET x = socket(AF_INET, SOCK_DGRAM, 0), y = socket(AF_INET, SOCK_DGRAM, 0);
    ck_assert_int_eq(setsockopt(x, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (char *)&one, sizeof(one)), 0);
    ck_assert_int_eq(bind(x, (struct sockaddr *)&any, len), 0);
    ck_assert_int_eq(getsockname(x, (struct sockaddr *)&any, &len), 0);
    lo.sin_port = any.sin_port;
    ck_assert_int_eq(setsockopt(y, SOL_SOCKET, SO_REUSEADDR, (char *)&one, sizeof(one)), 0);
    ck_assert_int_eq(bind(y, (struct sockaddr *)&lo, len), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEACCES);
    closesocket(x);
    /* Once the holder is gone the address is free. */
    ck_assert_int_eq(bind(y, (struct sockaddr *)&lo, len), 0);
    x = socket(AF_INET, SOCK_DGRAM, 0);
    ck_assert_int_eq(setsockopt(x, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (char *)&one, sizeof(one)), 0);
    ck_assert_int_eq(bind(x, (struct sockaddr *)&any, len), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEADDRINUSE);
    closesocket(x);
    closesocket(y);
    stop();
}
END_TEST

START_TEST(test_rebind_port_in_time_wait)
{
    /* A restarted server binds its port again while old connections sit in
     * TIME_WAIT; Windows allows it without any option. */
    start();
    struct sockaddr_storage ss;
    int len;
    SOCKET l = listener(AF_INET, &ss, &len);
    SOCKET c = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(c, (struct sockaddr *)&ss, len), 0);
    SOCKET s = accept(l, NULL, NULL);
    closesocket(s);               /* the server closes first: TIME_WAIT on its port */
    char buf[4];
    ck_assert_int_eq(recv(c, buf, sizeof(buf), 0), 0);
    closesocket(c);
    closesocket(l);
    SOCKET again = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(bind(again, (struct sockaddr *)&ss, len), 0);
    ck_assert_int_eq(listen(again, 1), 0);
    closesocket(again);
    stop();
}
END_TEST

START_TEST(test_options_multicast_membership)
{
    start();
    SOCKET u = socket(AF_INET, SOCK_DGRAM, 0), u6 = socket(AF_INET6, SOCK_DGRAM, 0);
    struct ip_mreq m = { { .s_addr = htonl(0xEF010203) }, { .s_addr = htonl(INADDR_LOOPBACK) } };
    ck_assert_int_eq(setsockopt(u, IPPROTO_IP, IP_ADD_MEMBERSHIP, (char *)&m, sizeof(m)), 0);
    ck_assert_int_eq(setsockopt(u, IPPROTO_IP, IP_DROP_MEMBERSHIP, (char *)&m, sizeof(m)), 0);
    ck_assert_int_eq(setsockopt(u, IPPROTO_IP, IP_DROP_MEMBERSHIP, (char *)&m, sizeof(m)), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEADDRNOTAVAIL);
    ck_assert_int_eq(setsockopt(u, IPPROTO_IP, IP_ADD_MEMBERSHIP, (char *)&m, sizeof(m) - 1), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    struct ipv6_mreq m6;
    memset(&m6, 0, sizeof(m6));
    m6.ipv6mr_multiaddr.s6_addr[0] = 0xff;
    m6.ipv6mr_multiaddr.s6_addr[1] = 0x02;
    m6.ipv6mr_multiaddr.s6_addr[15] = 0x33;
    m6.ipv6mr_interface = 1;        /* loopback */
    ck_assert_int_eq(setsockopt(u6, IPPROTO_IPV6, IPV6_JOIN_GROUP, (char *)&m6, sizeof(m6)), 0);
    ck_assert_int_eq(setsockopt(u6, IPPROTO_IPV6, IPV6_LEAVE_GROUP, (char *)&m6, sizeof(m6)), 0);
    closesocket(u);
    closesocket(u6);
    stop();
}
END_TEST

START_TEST(test_options_bad_input)
{
    start();
    SOCKET t = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0);
    SOCKET t6 = socket(AF_INET6, SOCK_STREAM, 0);
    int v = 1, len = 2;
#define FAILS_WITH(call, err) do { ck_assert_int_eq((call), SOCKET_ERROR); \
                                   ck_assert_int_eq(WSAGetLastError(), (err)); } while (0)
    /* Options that take no short value (Windows zeroes the buffer of some). */
    v = -1;
    FAILS_WITH(getsockopt(t, SOL_SOCKET, SO_RCVBUF, (char *)&v, &len), WSAEFAULT);
    ck_assert_int_eq(v, (int)0xffff0000);
    FAILS_WITH(getsockopt(t, SOL_SOCKET, SO_KEEPALIVE, NULL, &len), WSAEFAULT);
    FAILS_WITH(getsockopt(t, SOL_SOCKET, SO_KEEPALIVE, (char *)&v, NULL), WSAEFAULT);
    FAILS_WITH(setsockopt(t, SOL_SOCKET, SO_RCVTIMEO, (char *)&v, 2), WSAEFAULT);
    FAILS_WITH(setsockopt(t, IPPROTO_TCP, TCP_NODELAY, (char *)&v, -1), WSAENOBUFS);
    FAILS_WITH(setsockopt(t, SOL_SOCKET, SO_KEEPALIVE, NULL, 4), WSAEFAULT);
    len = sizeof(v);
    FAILS_WITH(getsockopt(t, 1234, 1, (char *)&v, &len), WSAEINVAL);        /* unknown level */
    FAILS_WITH(getsockopt(t, SOL_SOCKET, 0x7777, (char *)&v, &len), WSAENOPROTOOPT);
    FAILS_WITH(setsockopt(u, IPPROTO_TCP, TCP_NODELAY, (char *)&v, sizeof(v)), WSAENOPROTOOPT);
    FAILS_WITH(setsockopt(u, SOL_SOCKET, SO_KEEPALIVE, (char *)&v, sizeof(v)), WSAENOPROTOOPT);
    FAILS_WITH(setsockopt(t6, IPPROTO_IP, IP_TTL, (char *)&v, sizeof(v)), WSAEINVAL);
    /* IPV6_V6ONLY is taken on an IPv4 socket (test_sockopt_v6only_on_ipv4_is_accepted); others are not. */
    FAILS_WITH(setsockopt(t, IPPROTO_IPV6, IPV6_UNICAST_HOPS, (char *)&v, sizeof(v)), WSAEINVAL);
    FAILS_WITH(getsockopt(u, IPPROTO_IP, IP_ADD_MEMBERSHIP, (char *)&v, &len), WSAENOPROTOOPT);
    FAILS_WITH(setsockopt((SOCKET)0x1234, SOL_SOCKET, SO_KEEPALIVE, (char *)&v, sizeof(v)), WSAENOTSOCK);
    FAILS_WITH(getsockopt((SOCKET)0x1234, SOL_SOCKET, SO_KEEPALIVE, (char *)&v, &len), WSAENOTSOCK);
#undef FAILS_WITH
    closesocket(t);
    closesocket(u);
    closesocket(t6);
    stop();
}
END_TEST

/* ---- name resolution (no network needed: localhost, own name, numeric) ---------------------- */

START_TEST(test_resolve_localhost_ipv6_first)
{
    start();
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_CANONNAME }, *res;
    ck_assert_int_eq(getaddrinfo("localhost", "80", &hints, &res), 0);
    ck_assert_ptr_nonnull(res);
    ck_assert_int_eq(res->ai_family, AF_INET6);
    ck_assert_uint_eq(res->ai_addrlen, sizeof(struct sockaddr_in6));
    ck_assert_int_eq(res->ai_socktype, SOCK_STREAM);
    ck_assert_int_eq(res->ai_protocol, 0);                   /* as asked */
    ck_assert_str_eq(res->ai_canonname, "localhost");
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)res->ai_addr;
    ck_assert_int_eq(a6->sin6_family, AF_INET6);
    ck_assert_uint_eq(ntohs(a6->sin6_port), 80);
    ck_assert_uint_eq(a6->sin6_addr.s6_addr[15], 1);
    struct addrinfo *v4 = res->ai_next;
    ck_assert_ptr_nonnull(v4);
    ck_assert_int_eq(v4->ai_family, AF_INET);
    ck_assert_uint_eq(v4->ai_addrlen, sizeof(struct sockaddr_in));
    ck_assert_uint_eq(((struct sockaddr_in *)v4->ai_addr)->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    ck_assert_ptr_null(v4->ai_next);
    freeaddrinfo(res);
    /* One family asked for: one answer. */
    hints.ai_family = AF_INET;
    hints.ai_flags = 0;
    ck_assert_int_eq(getaddrinfo("LOCALHOST", NULL, &hints, &res), 0);
    ck_assert_int_eq(res->ai_family, AF_INET);
    ck_assert_ptr_null(res->ai_next);
    freeaddrinfo(res);
    stop();
}
END_TEST

START_TEST(test_resolve_numeric_and_passive)
{
    start();
    struct addrinfo hints = { .ai_flags = AI_NUMERICHOST }, *res;
    /* No socket type asked: one entry per address, type and protocol 0. */
    ck_assert_int_eq(getaddrinfo("192.0.2.7", "25", &hints, &res), 0);
    ck_assert_int_eq(res->ai_family, AF_INET);
    ck_assert_int_eq(res->ai_socktype, 0);
    ck_assert_int_eq(res->ai_protocol, 0);
    ck_assert_ptr_null(res->ai_next);
    ck_assert_uint_eq(ntohs(((struct sockaddr_in *)res->ai_addr)->sin_port), 25);
    freeaddrinfo(res);
    ck_assert_int_eq(getaddrinfo("2001:db8::5", NULL, &hints, &res), 0);
    ck_assert_int_eq(res->ai_family, AF_INET6);
    freeaddrinfo(res);
    struct addrinfo passive = { .ai_flags = AI_PASSIVE, .ai_family = AF_INET,
                                .ai_socktype = SOCK_DGRAM };
    ck_assert_int_eq(getaddrinfo(NULL, "5353", &passive, &res), 0);
    ck_assert_uint_eq(((struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr, 0);
    /* Windows echoes the hints' type and protocol, 0 included, and takes
     * combinations that make no sense together. */
    ck_assert_int_eq(res->ai_socktype, SOCK_DGRAM);
    ck_assert_int_eq(res->ai_protocol, 0);
    ck_assert_ptr_null(res->ai_next);
    freeaddrinfo(res);
    struct addrinfo odd = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM, .ai_protocol = IPPROTO_UDP };
    ck_assert_int_eq(getaddrinfo("localhost", "80", &odd, &res), 0);
    ck_assert_int_eq(res->ai_socktype, SOCK_STREAM);
    ck_assert_int_eq(res->ai_protocol, IPPROTO_UDP);
    freeaddrinfo(res);
    odd.ai_socktype = 0;
    odd.ai_protocol = IPPROTO_TCP;
    ck_assert_int_eq(getaddrinfo("localhost", NULL, &odd, &res), 0);
    ck_assert_int_eq(res->ai_socktype, 0);
    ck_assert_int_eq(res->ai_protocol, IPPROTO_TCP);
    freeaddrinfo(res);
    /* An empty service is port 0, an empty node this host; success clears
     * the last error. */
    struct addrinfo *res2;
    ck_assert_int_eq(getaddrinfo(NULL, "0", NULL, &res), 0);
    WSASetLastError(77);
    ck_assert_int_eq(getaddrinfo(NULL, "", NULL, &res2), 0);
    ck_assert_int_eq(WSAGetLastError(), 0);
    for (struct addrinfo *a = res, *b = res2; a || b; a = a->ai_next, b = b->ai_next) {
        ck_assert(a && b);
        ck_assert_int_eq(a->ai_family, b->ai_family);
        ck_assert_mem_eq(a->ai_addr, b->ai_addr, a->ai_addrlen);
    }
    freeaddrinfo(res);
    freeaddrinfo(res2);
    ck_assert_int_eq(getaddrinfo("", NULL, NULL, &res), 0);
    ck_assert_ptr_nonnull(res);
    freeaddrinfo(res);
    /* The machine's own name resolves without DNS. */
    char me[256];
    ck_assert_int_eq(gethostname(me, sizeof(me)), 0);
    ck_assert_int_eq(getaddrinfo(me, NULL, NULL, &res), 0);
    ck_assert_ptr_nonnull(res);
    freeaddrinfo(res);
    stop();
}
END_TEST

START_TEST(test_resolve_errors_are_wsa_codes)
{
    start();
    struct addrinfo hints = { 0 }, *res = (struct addrinfo *)1;
    ck_assert_int_eq(getaddrinfo(NULL, NULL, NULL, &res), WSAHOST_NOT_FOUND);
    ck_assert_int_eq(WSAGetLastError(), WSAHOST_NOT_FOUND);
    ck_assert_ptr_null(res);
    hints.ai_flags = AI_NUMERICHOST;
    ck_assert_int_eq(getaddrinfo("not.numeric", NULL, &hints, &res), WSAHOST_NOT_FOUND);
    hints.ai_flags = 0;
    hints.ai_family = 99;
    ck_assert_int_eq(getaddrinfo("localhost", NULL, &hints, &res), WSAEAFNOSUPPORT);
    hints.ai_family = 0;
    hints.ai_socktype = 99;
    ck_assert_int_eq(getaddrinfo("localhost", NULL, &hints, &res), WSAESOCKTNOSUPPORT);
    hints.ai_socktype = 0;
    hints.ai_flags = 0x40000000;
    ck_assert_int_eq(getaddrinfo("localhost", NULL, &hints, &res), WSAEINVAL);
    hints.ai_flags = 0;
    ck_assert_int_eq(getaddrinfo("localhost", "no-such-service-here", &hints, &res), WSATYPE_NOT_FOUND);
    struct addrinfo other = { 0 };
    hints.ai_next = &other;         /* output fields of hints must be empty */
    ck_assert_int_eq(getaddrinfo("localhost", NULL, &hints, &res), WSANO_RECOVERY);
    hints.ai_next = NULL;
    ck_assert_int_eq(getaddrinfo("localhost", NULL, &hints, NULL), WSAEINVAL);
    freeaddrinfo(NULL);             /* harmless */
    stop();
}
END_TEST

START_TEST(test_resolve_wide_forms)
{
    start();
    static const WCHAR localhost[] = { 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't', 0 };
    static const WCHAR port[] = { '4', '4', '3', 0 };
    ADDRINFOW hints = { .ai_family = AF_INET, .ai_flags = AI_CANONNAME, .ai_socktype = SOCK_STREAM }, *res;
    ck_assert_int_eq(GetAddrInfoW(localhost, port, &hints, &res), 0);
    ck_assert_int_eq(res->ai_family, AF_INET);
    ck_assert_uint_eq(ntohs(((struct sockaddr_in *)res->ai_addr)->sin_port), 443);
    ck_assert_int_eq(memcmp(res->ai_canonname, localhost, sizeof(localhost)), 0);
    WCHAR host[64], serv[16];
    ck_assert_int_eq(GetNameInfoW(res->ai_addr, (socklen_t)res->ai_addrlen, host, 64, serv, 16,
                                  NI_NUMERICHOST | NI_NUMERICSERV), 0);
    static const WCHAR lo_text[] = { '1', '2', '7', '.', '0', '.', '0', '.', '1', 0 };
    ck_assert_int_eq(memcmp(host, lo_text, sizeof(lo_text)), 0);
    ck_assert(serv[0] == '4' && serv[1] == '4' && serv[2] == '3' && serv[3] == 0);
    FreeAddrInfoW(res);
    stop();
}
END_TEST

/* GetAddrInfoEx's routine: Windows runs it on a thread of its own, so the
 * test waits without being alertable. */
static struct {
    DWORD error, bytes, calls;
    WSAOVERLAPPED *ov;
    WSAEVENT done;
} ex_routine;

static void CALLBACK ex_routine_fn(DWORD error, DWORD bytes, WSAOVERLAPPED *ov)
{
    ex_routine.error = error;
    ex_routine.bytes = bytes;
    ex_routine.ov = ov;
    ex_routine.calls++;
    WSASetEvent(ex_routine.done);
}

START_TEST(test_resolve_getaddrinfoex_sync_and_overlapped)
{
    start();
    static const WCHAR localhost[] = { 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't', 0 };
    ADDRINFOEXW *res = (ADDRINFOEXW *)1, hints = { .ai_family = AF_INET };

    /* Synchronous: as GetAddrInfoW, with the Ex fields empty. */
    WSASetLastError(77);
    ck_assert_int_eq(GetAddrInfoExW(localhost, NULL, NS_DNS, NULL, &hints, &res, NULL, NULL, NULL, NULL), 0);
    ck_assert_int_eq(WSAGetLastError(), 0);
    ck_assert_int_eq(res->ai_family, AF_INET);
    ck_assert_ptr_null(res->ai_blob);
    ck_assert_ptr_null(res->ai_provider);
    ck_assert_ptr_null(res->ai_next);
    FreeAddrInfoExW(res);
    res = (ADDRINFOEXW *)1;
    ck_assert_int_eq(GetAddrInfoExW(NULL, NULL, NS_DNS, NULL, NULL, &res, NULL, NULL, NULL, NULL), WSAHOST_NOT_FOUND);
    ck_assert_ptr_null(res);
    hints.ai_bloblen = 4;                       /* an output field */
    ck_assert_int_eq(GetAddrInfoExW(localhost, NULL, NS_DNS, NULL, &hints, &res, NULL, NULL, NULL, NULL),
                     WSANO_RECOVERY);
    hints.ai_bloblen = 0;
    ck_assert_int_eq(GetAddrInfoExOverlappedResult(NULL), WSAEINVAL);

    /* Overlapped with an event. */
    WSAOVERLAPPED ov;
    memset(&ov, 0xcc, sizeof(ov));
    ov.hEvent = WSACreateEvent();
    HANDLE h = NULL;
    res = (ADDRINFOEXW *)1;
    ck_assert_int_eq(GetAddrInfoExW(localhost, NULL, NS_ALL, NULL, &hints, &res, NULL, &ov, NULL, &h),
                     WSA_IO_PENDING);
    ck_assert_int_eq(WSAGetLastError(), WSA_IO_PENDING);
    ck_assert_ptr_nonnull(h);
    ck_assert_ptr_eq(ov.Pointer, &res);
    ck_assert_uint_eq(WSAWaitForMultipleEvents(1, &ov.hEvent, FALSE, 5000, FALSE), WSA_WAIT_EVENT_0);
    ck_assert_int_eq(GetAddrInfoExOverlappedResult(&ov), 0);
    ck_assert_ptr_nonnull(res);
    ck_assert_int_eq(res->ai_family, AF_INET);
    FreeAddrInfoExW(res);
    ck_assert_int_eq(GetAddrInfoExCancel(&h), WSA_INVALID_HANDLE);     /* it has ended */
    ck_assert_int_eq(GetAddrInfoExCancel(NULL), WSA_INVALID_HANDLE);

    /* A routine and an event together are refused; a routine alone runs on
     * another thread with the error, no bytes and the OVERLAPPED. */
    ck_assert_int_eq(GetAddrInfoExW(localhost, NULL, NS_DNS, NULL, NULL, &res, NULL, &ov, ex_routine_fn, NULL),
                     WSAEINVAL);
    WSACloseEvent(ov.hEvent);
    ov.hEvent = NULL;
    ex_routine.done = WSACreateEvent();
    static const WCHAR nosuch[] = { 'n', 'o', '-', 's', 'u', 'c', 'h', 0 };
    ck_assert_int_eq(GetAddrInfoExW(NULL, nosuch, NS_DNS, NULL, NULL, &res, NULL, &ov, ex_routine_fn, NULL),
                     WSA_IO_PENDING);
    ck_assert_ptr_null(res);
    ck_assert_uint_eq(WSAWaitForMultipleEvents(1, &ex_routine.done, FALSE, 5000, FALSE), WSA_WAIT_EVENT_0);
    ck_assert_uint_eq(ex_routine.calls, 1);
    ck_assert_uint_eq(ex_routine.error, WSATYPE_NOT_FOUND);
    ck_assert_uint_eq(ex_routine.bytes, 0);
    ck_assert_ptr_eq(ex_routine.ov, &ov);
    ck_assert_int_eq(GetAddrInfoExOverlappedResult(&ov), WSATYPE_NOT_FOUND);
    ck_assert_ptr_null(res);
    WSACloseEvent(ex_routine.done);

    /* The narrow form. */
    ADDRINFOEXA *ra;
    struct timeval tv = { 5, 0 };           /* a synchronous call honours a timeout too */
    ck_assert_int_eq(GetAddrInfoExA("127.0.0.1", "80", NS_DNS, NULL, NULL, &ra, &tv, NULL, NULL, NULL), 0);
    ck_assert_uint_eq(ntohs(((struct sockaddr_in *)ra->ai_addr)->sin_port), 80);
    FreeAddrInfoEx(ra);
    stop();
}
END_TEST

START_TEST(test_getnameinfo_names_and_numbers)
{
    start();
    struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(80),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    char host[NI_MAXHOST], serv[NI_MAXSERV];
    ck_assert_int_eq(getnameinfo((struct sockaddr *)&in, sizeof(in), host, sizeof(host), serv,
                                 sizeof(serv), 0), 0);
    ck_assert_str_eq(host, "localhost");
    ck_assert_str_eq(serv, "http");
    ck_assert_int_eq(getnameinfo((struct sockaddr *)&in, sizeof(in), host, sizeof(host), serv,
                                 sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV), 0);
    ck_assert_str_eq(host, "127.0.0.1");
    ck_assert_str_eq(serv, "80");
    struct sockaddr_in6 in6 = { .sin6_family = AF_INET6, .sin6_port = htons(22) };
    in6.sin6_addr.s6_addr[15] = 1;
    ck_assert_int_eq(getnameinfo((struct sockaddr *)&in6, sizeof(in6), host, sizeof(host), serv,
                                 sizeof(serv), NI_NUMERICHOST), 0);
    ck_assert_str_eq(host, "::1");
    ck_assert_str_eq(serv, "ssh");
    ck_assert_int_eq(getnameinfo((struct sockaddr *)&in, sizeof(in) - 4, host, sizeof(host), NULL, 0, 0),
                     WSAEFAULT);
    struct sockaddr bad = { .sa_family = 77 };
    ck_assert_int_eq(getnameinfo(&bad, sizeof(bad), host, sizeof(host), NULL, 0, 0), WSAEAFNOSUPPORT);
    ck_assert_int_eq(getnameinfo((struct sockaddr *)&in, sizeof(in), NULL, 0, NULL, 0, 0),
                     WSAHOST_NOT_FOUND);
    stop();
}
END_TEST

START_TEST(test_hostent_servent_protoent)
{
    start();
    struct hostent *he = gethostbyname("localhost");
    ck_assert_ptr_nonnull(he);
    ck_assert_int_eq(he->h_addrtype, AF_INET);
    ck_assert_int_eq(he->h_length, 4);
    ck_assert_ptr_nonnull(he->h_addr_list[0]);
    ck_assert_int_eq(memcmp(he->h_addr_list[0], "\x7f\0\0\1", 4), 0);
    he = gethostbyname("10.9.8.7");
    ck_assert_ptr_nonnull(he);
    ck_assert_int_eq(memcmp(he->h_addr_list[0], "\x0a\x09\x08\x07", 4), 0);
    he = gethostbyaddr("\x7f\0\0\1", 4, AF_INET);
    ck_assert_ptr_nonnull(he);
    ck_assert_str_eq(he->h_name, "localhost");
    ck_assert_ptr_null(gethostbyaddr("\x7f\0\0\1", 3, AF_INET));
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert_ptr_null(gethostbyaddr("\x7f\0\0\1", 4, 77));
    ck_assert_int_eq(WSAGetLastError(), WSAEAFNOSUPPORT);

    char name[256];
    ck_assert_int_eq(gethostname(name, sizeof(name)), 0);
    ck_assert_uint_gt(strlen(name), 0);
    ck_assert_int_eq(gethostname(name, 1), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert_int_eq(gethostname(NULL, 10), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);

    struct servent *se = getservbyname("http", "tcp");
    ck_assert_ptr_nonnull(se);
    ck_assert_int_eq(se->s_port, (short)htons(80));
    ck_assert_str_eq(se->s_proto, "tcp");
    se = getservbyport(htons(22), "tcp");
    ck_assert_ptr_nonnull(se);
    ck_assert_str_eq(se->s_name, "ssh");
    ck_assert_ptr_null(getservbyname("no-such-service-here", NULL));
    ck_assert_int_eq(WSAGetLastError(), WSANO_DATA);
    struct protoent *pe = getprotobyname("tcp");
    ck_assert_ptr_nonnull(pe);
    ck_assert_int_eq(pe->p_proto, 6);
    pe = getprotobynumber(17);
    ck_assert_ptr_nonnull(pe);
    ck_assert_str_eq(pe->p_name, "udp");
    ck_assert_ptr_null(getprotobynumber(250));
    ck_assert_int_eq(WSAGetLastError(), WSANO_DATA);
    stop();
}
END_TEST

START_TEST(test_address_text_conversions)
{
    start();
    ck_assert_uint_eq(inet_addr("1.2.3.4"), htonl(0x01020304));
    ck_assert_uint_eq(inet_addr("10.1"), htonl(0x0a000001));      /* classic short forms */
    ck_assert_uint_eq(inet_addr("0x7f.1"), htonl(0x7f000001));
    ck_assert_uint_eq(inet_addr(""), INADDR_NONE);
    ck_assert_uint_eq(inet_addr("bogus"), INADDR_NONE);
    ck_assert_uint_eq(inet_addr(NULL), INADDR_NONE);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    /* Windows' parser, not glibc's: white space ends the address, a lone
     * space is 0.0.0.0. */
    ck_assert_uint_eq(inet_addr("1.2.3.4 junk"), htonl(0x01020304));
    ck_assert_uint_eq(inet_addr(" "), 0);
    ck_assert_uint_eq(inet_addr(" 1.2.3.4"), INADDR_NONE);        /* but may not lead */
    ck_assert_uint_eq(inet_addr("1.2.3.256"), INADDR_NONE);
    ck_assert_uint_eq(inet_addr("017.1.1.1"), htonl(0x0f010101));   /* octal part */
    struct in_addr ia = { .s_addr = htonl(0xC0A80001) };
    ck_assert_str_eq(inet_ntoa(ia), "192.168.0.1");

    unsigned char a6[16];
    char text[INET6_ADDRSTRLEN];
    ck_assert_int_eq(inet_pton(AF_INET6, "fe80::1:2", a6), 1);
    ck_assert_str_eq(inet_ntop(AF_INET6, a6, text, sizeof(text)), "fe80::1:2");
    ck_assert_int_eq(inet_pton(AF_INET, "1.2.3", a6), 0);            /* pton is strict */
    ck_assert_int_eq(inet_pton(AF_INET, "1.2.3.4 ", a6), 0);          /* the whole string */
    ck_assert_int_eq(inet_pton(AF_INET, "01.2.3.4", a6), 0);          /* no leading zeros */
    ck_assert_int_eq(inet_pton(AF_INET6, "1::2::3", a6), 0);
    ck_assert_int_eq(inet_pton(AF_INET6, "::ffff:1.2.3.4", a6), 1);
    ck_assert_uint_eq(a6[12], 1);
    ck_assert_int_eq(inet_pton(77, "1.2.3.4", a6), -1);
    ck_assert_int_eq(WSAGetLastError(), WSAEAFNOSUPPORT);
    ck_assert_ptr_null(inet_ntop(AF_INET6, a6, text, 4));
    ck_assert_int_eq((DWORD)WSAGetLastError(), 0xC000000Du);   /* Windows: STATUS_INVALID_PARAMETER */

    struct sockaddr_storage ss;
    int len = sizeof(ss);
    ck_assert_int_eq(WSAStringToAddressA("1.2.3.4:8080", AF_INET, NULL, (struct sockaddr *)&ss, &len), 0);
    ck_assert_int_eq(len, (int)sizeof(struct sockaddr_in));
    ck_assert_uint_eq(ntohs(((struct sockaddr_in *)&ss)->sin_port), 8080);
    len = sizeof(ss);
    ck_assert_int_eq(WSAStringToAddressA("[::1]:443", AF_INET6, NULL, (struct sockaddr *)&ss, &len), 0);
    ck_assert_uint_eq(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 443);
    len = sizeof(ss);
    ck_assert_int_eq(WSAStringToAddressA("fe80::1%3", AF_INET6, NULL, (struct sockaddr *)&ss, &len), 0);
    ck_assert_uint_eq(((struct sockaddr_in6 *)&ss)->sin6_scope_id, 3);
    len = sizeof(ss);
    ck_assert_int_eq(WSAStringToAddressA("1.2.3.4:99999", AF_INET, NULL, (struct sockaddr *)&ss, &len),
                     SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    /* A failure leaves the family unset, and the call zeroes the rest. */
    memset(&ss, 0xcc, sizeof(ss));
    len = sizeof(ss);
    ck_assert_int_eq(WSAStringToAddressA("1.2.3.x", AF_INET, NULL, (struct sockaddr *)&ss, &len),
                     SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    ck_assert_uint_eq(ss.ss_family, 0);
    len = sizeof(ss);
    WSASetLastError(77);
    ck_assert_int_eq(WSAStringToAddressA("[::1]", AF_INET6, NULL, (struct sockaddr *)&ss, &len), 0);
    ck_assert_int_eq(WSAGetLastError(), 0);
    ck_assert_uint_eq(ss.ss_family, AF_INET6);
    len = 4;
    ck_assert_int_eq(WSAStringToAddressA("1.2.3.4", AF_INET, NULL, (struct sockaddr *)&ss, &len),
                     SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert_int_eq(len, (int)sizeof(struct sockaddr_in));

    char out[64];
    DWORD outlen = sizeof(out);
    struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(80),
                              .sin_addr.s_addr = htonl(0x01020304) };
    ck_assert_int_eq(WSAAddressToStringA((struct sockaddr *)&in, sizeof(in), NULL, out, &outlen), 0);
    ck_assert_str_eq(out, "1.2.3.4:80");
    ck_assert_uint_eq(outlen, 11);                     /* with the NUL */
    in.sin_port = 0;
    outlen = sizeof(out);
    ck_assert_int_eq(WSAAddressToStringA((struct sockaddr *)&in, sizeof(in), NULL, out, &outlen), 0);
    ck_assert_str_eq(out, "1.2.3.4");
    struct sockaddr_in6 in6 = { .sin6_family = AF_INET6, .sin6_port = htons(443) };
    in6.sin6_addr.s6_addr[15] = 1;
    outlen = sizeof(out);
    ck_assert_int_eq(WSAAddressToStringA((struct sockaddr *)&in6, sizeof(in6), NULL, out, &outlen), 0);
    ck_assert_str_eq(out, "[::1]:443");
    outlen = 3;
    ck_assert_int_eq(WSAAddressToStringA((struct sockaddr *)&in6, sizeof(in6), NULL, out, &outlen),
                     SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert_uint_eq(outlen, 10);
    WCHAR wout[64];
    outlen = 64;
    ck_assert_int_eq(WSAAddressToStringW((struct sockaddr *)&in6, sizeof(in6), NULL, wout, &outlen), 0);
    ck_assert(wout[0] == '[' && wout[1] == ':' && wout[8] == '3' && wout[9] == 0);
    stop();
}
END_TEST

/* ---- WSA events and WSAEventSelect ---------------------------------------------------------- */

START_TEST(test_wsaevents_manual_reset_and_multiple_waits)
{
    start();
    WSAEVENT ev[3];
    for (int i = 0; i < 3; i++)
        ck_assert_ptr_nonnull(ev[i] = WSACreateEvent());
    ck_assert_uint_eq(WSAWaitForMultipleEvents(1, ev, FALSE, 0, FALSE), WSA_WAIT_TIMEOUT);
    ck_assert_uint_eq(WSAWaitForMultipleEvents(3, ev, FALSE, 20, FALSE), WSA_WAIT_TIMEOUT);
    ck_assert(WSASetEvent(ev[2]));
    ck_assert_uint_eq(WSAWaitForMultipleEvents(3, ev, FALSE, WSA_INFINITE, FALSE), WSA_WAIT_EVENT_0 + 2);
    ck_assert_uint_eq(WSAWaitForMultipleEvents(3, ev, FALSE, 0, FALSE), WSA_WAIT_EVENT_0 + 2); /* manual */
    ck_assert(WSASetEvent(ev[1]));
    ck_assert_uint_eq(WSAWaitForMultipleEvents(3, ev, FALSE, 0, FALSE), WSA_WAIT_EVENT_0 + 1); /* lowest */
    ck_assert_uint_eq(WSAWaitForMultipleEvents(3, ev, TRUE, 0, FALSE), WSA_WAIT_TIMEOUT);     /* not all */
    ck_assert(WSASetEvent(ev[0]));
    ck_assert_uint_eq(WSAWaitForMultipleEvents(3, ev, TRUE, 0, FALSE), WSA_WAIT_EVENT_0);
    ck_assert(WSAResetEvent(ev[0]) && WSAResetEvent(ev[1]) && WSAResetEvent(ev[2]));
    ck_assert_uint_eq(WSAWaitForMultipleEvents(3, ev, FALSE, 0, FALSE), WSA_WAIT_TIMEOUT);
    /* Bad input. */
    ck_assert_uint_eq(WSAWaitForMultipleEvents(0, ev, FALSE, 0, FALSE), WSA_WAIT_FAILED);
    ck_assert_int_eq(WSAGetLastError(), WSA_INVALID_PARAMETER);
    ck_assert_uint_eq(WSAWaitForMultipleEvents(65, ev, FALSE, 0, FALSE), WSA_WAIT_FAILED);
    ck_assert_int_eq(WSAGetLastError(), WSA_INVALID_PARAMETER);
    ck_assert_uint_eq(WSAWaitForMultipleEvents(1, NULL, FALSE, 0, FALSE), WSA_WAIT_FAILED);
    ck_assert_int_eq(WSAGetLastError(), WSA_INVALID_PARAMETER);
    WSAEVENT bogus = (WSAEVENT)(uintptr_t)0x1234;
    ck_assert_uint_eq(WSAWaitForMultipleEvents(1, &bogus, FALSE, 0, FALSE), WSA_WAIT_FAILED);
    ck_assert_int_eq(WSAGetLastError(), WSA_INVALID_HANDLE);
    for (int i = 0; i < 3; i++)
        ck_assert(WSACloseEvent(ev[i]));
    ck_assert(!WSACloseEvent(ev[0]));
    ck_assert_int_eq(WSAGetLastError(), WSA_INVALID_HANDLE);
    ck_assert(!WSASetEvent(ev[0]));
    ck_assert_int_eq(WSAGetLastError(), WSA_INVALID_HANDLE);
    stop();
}
END_TEST

static void CALLBACK bump(ULONG_PTR data)
{
    (*(int *)data)++;
}

START_TEST(test_wsawait_alertable_runs_apcs)
{
    start();
    WSAEVENT ev = WSACreateEvent();
    int ran = 0;
    ck_assert(QueueUserAPC(bump, GetCurrentThread(), (ULONG_PTR)&ran));
    /* Not alertable: the APC waits. */
    ck_assert_uint_eq(WSAWaitForMultipleEvents(1, &ev, FALSE, 0, FALSE), WSA_WAIT_TIMEOUT);
    ck_assert_int_eq(ran, 0);
    ck_assert_uint_eq(WSAWaitForMultipleEvents(1, &ev, FALSE, WSA_INFINITE, TRUE), WSA_WAIT_IO_COMPLETION);
    ck_assert_int_eq(ran, 1);
    ck_assert(!QueueUserAPC(bump, (HANDLE)(uintptr_t)0x1234, 0));
    ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
    WSACloseEvent(ev);
    stop();
}
END_TEST

START_TEST(test_af_unix_stream_round_trip)
{
    start();
    struct sockaddr_un { ADDRESS_FAMILY sun_family; char sun_path[108]; } addr = { AF_UNIX, "" };
    snprintf(addr.sun_path, sizeof(addr.sun_path), "/tmp/ws2uring-test-%lu.sock",
             (unsigned long)GetCurrentProcessId());
    SOCKET l = socket(AF_UNIX, SOCK_STREAM, 0), c = socket(AF_UNIX, SOCK_STREAM, 0);
    int len = (int)sizeof(addr);
    ck_assert_int_eq(bind(l, (struct sockaddr *)&addr, len), 0);
    ck_assert_int_eq(listen(l, 1), 0);
    ck_assert_int_eq(connect(c, (struct sockaddr *)&addr, len), 0);
    SOCKET s = accept(l, NULL, NULL);
    ck_assert(s != INVALID_SOCKET);
    char buf[8];
    ck_assert_int_eq(send(c, "unix", 4, 0), 4);
    ck_assert_int_eq(recv(s, buf, sizeof(buf), 0), 4);
    ck_assert_int_eq(memcmp(buf, "unix", 4), 0);
    struct sockaddr_un name;
    int nl = sizeof(name);
    ck_assert_int_eq(getsockname(l, (struct sockaddr *)&name, &nl), 0);
    ck_assert_int_eq(name.sun_family, AF_UNIX);
    ck_assert_str_eq(name.sun_path, addr.sun_path);
    closesocket(s);
    closesocket(c);
    closesocket(l);
    ws2_test_unlink(addr.sun_path);
    stop();
}
END_TEST

/* Waits (bounded) until the socket's record holds all of want; returns
 * what was recorded, errors in err[]. */
static LONG wait_net(SOCKET s, WSAEVENT ev, LONG want, int err[FD_MAX_EVENTS])
{
    LONG seen = 0;
    for (int i = 0; i < 50 && (seen & want) != want; i++) {
        if (WSAWaitForMultipleEvents(1, &ev, FALSE, 200, FALSE) != WSA_WAIT_EVENT_0)
            continue;
        WSANETWORKEVENTS ne;
        ck_assert_int_eq(WSAEnumNetworkEvents(s, ev, &ne), 0);
        for (int b = 0; b < FD_MAX_EVENTS; b++)
            if (ne.lNetworkEvents & (1 << b))
                err[b] = ne.iErrorCode[b];
        seen |= ne.lNetworkEvents;
    }
    return seen;
}

/* True if nothing is recorded within ms (used only where the answer must
 * be "nothing": it cannot fail when the code is right). */
static BOOL quiet(SOCKET s, WSAEVENT ev, DWORD ms)
{
    if (WSAWaitForMultipleEvents(1, &ev, FALSE, ms, FALSE) == WSA_WAIT_TIMEOUT)
        return TRUE;
    WSANETWORKEVENTS ne;
    WSAEnumNetworkEvents(s, ev, &ne);
    return ne.lNetworkEvents == 0;
}

START_TEST(test_eventselect_accept_read_rearm_close)
{
    start();
    struct sockaddr_storage ss;
    int len, err[FD_MAX_EVENTS] = { 0 };
    char buf[8];
    SOCKET l = listener(AF_INET, &ss, &len);
    WSAEVENT ev = WSACreateEvent();
    ck_assert_int_eq(WSAEventSelect(l, ev, FD_ACCEPT), 0);
    ck_assert(quiet(l, ev, 30));
    SOCKET c = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(c, (struct sockaddr *)&ss, len), 0);
    ck_assert(wait_net(l, ev, FD_ACCEPT, err) & FD_ACCEPT);
    ck_assert_int_eq(err[FD_ACCEPT_BIT], 0);
    SOCKET s = accept(l, NULL, NULL);
    ck_assert(s != INVALID_SOCKET);

    WSAEVENT sev = WSACreateEvent();
    ck_assert_int_eq(WSAEventSelect(s, sev, FD_READ | FD_WRITE | FD_CLOSE), 0);
    /* Connected and writable: FD_WRITE at once. */
    ck_assert(wait_net(s, sev, FD_WRITE, err) & FD_WRITE);
    ck_assert_int_eq(send(c, "12345678", 8, 0), 8);
    ck_assert(wait_net(s, sev, FD_READ, err) & FD_READ);
    /* Latched: more data, no new FD_READ until we receive. */
    ck_assert_int_eq(send(c, "more", 4, 0), 4);
    ck_assert(quiet(s, sev, 50));
    ck_assert_int_eq(recv(s, buf, 4, 0), 4);            /* data remains: FD_READ again */
    ck_assert(wait_net(s, sev, FD_READ, err) & FD_READ);
    int got = 0, n;
    while ((n = recv(s, buf, sizeof(buf), 0)) > 0)
        got += n;
    ck_assert_int_eq(got, 8);
    ck_assert_int_eq(WSAGetLastError(), WSAEWOULDBLOCK);   /* selected: non-blocking */
    /* Back to blocking mode is refused while selected. */
    u_long off = 0;
    ck_assert_int_eq(ioctlsocket(s, FIONBIO, &off), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    /* The peer closes gracefully: FD_CLOSE with 0. */
    closesocket(c);
    ck_assert(wait_net(s, sev, FD_CLOSE, err) & FD_CLOSE);
    ck_assert_int_eq(err[FD_CLOSE_BIT], 0);
    ck_assert_int_eq(recv(s, buf, sizeof(buf), 0), 0);
    closesocket(s);
    closesocket(l);
    WSACloseEvent(ev);
    WSACloseEvent(sev);
    stop();
}
END_TEST

/* A receive that leaves data behind records FD_READ again before it
 * returns: a WSAEnumNetworkEvents right after it reports FD_READ, as on
 * Windows (Wine's afd.c test_read_write pins it). */
START_TEST(test_eventselect_read_recorded_again_when_data_remains)
{
    start();
    SOCKET c, s;
    int err[FD_MAX_EVENTS] = { 0 };
    tcp_pair(AF_INET, &c, &s);
    WSAEVENT ev = WSACreateEvent();
    ck_assert_int_eq(send(s, "data", 4, 0), 4);
    ck_assert_int_eq(WSAEventSelect(c, ev, FD_READ), 0);
    ck_assert(wait_net(c, ev, FD_READ, err) & FD_READ);
    char buf[4];
    for (int left = 3; left >= 1; left--) {
        ck_assert_int_eq(recv(c, buf, 1, 0), 1);
        WSANETWORKEVENTS ne;
        ck_assert_int_eq(WSAEnumNetworkEvents(c, ev, &ne), 0);     /* at once: no wait */
        ck_assert_int_eq(ne.lNetworkEvents, FD_READ);
    }
    ck_assert_int_eq(recv(c, buf, 1, 0), 1);
    ck_assert(quiet(c, ev, 50));          /* nothing left: no FD_READ */
    /* An FD_READ recorded by a receive that left data is taken back by a
     * later one that reads the rest before the program asks: a loop that
     * drains after one FD_READ meets no stale one (sock.c's event_client). */
    ck_assert_int_eq(send(s, "more", 4, 0), 4);
    ck_assert(wait_net(c, ev, FD_READ, err) & FD_READ);
    ck_assert_int_eq(recv(c, buf, 1, 0), 1);   /* records FD_READ again */
    ck_assert_int_eq(recv(c, buf, 3, 0), 3);   /* takes it back */
    ck_assert(quiet(c, ev, 50));
    closesocket(c);
    closesocket(s);
    WSACloseEvent(ev);
    stop();
}
END_TEST

/* WSAEnumNetworkEvents reports what holds when it is called (a reset the
 * peer just sent), not only what the watcher thread recorded so far. */
START_TEST(test_enum_network_events_sees_a_reset_at_once)
{
    start();
    for (int round = 0; round < 20; round++) {
        SOCKET c, s;
        tcp_pair(AF_INET, &c, &s);
        WSAEVENT ev = WSACreateEvent();
        ck_assert_int_eq(WSAEventSelect(c, ev, FD_CLOSE), 0);
        struct linger now = { 1, 0 };
        ck_assert_int_eq(setsockopt(s, SOL_SOCKET, SO_LINGER, (char *)&now, sizeof(now)), 0);
        ck_assert_int_eq(closesocket(s), 0);          /* a reset, on loopback at once */
        WSANETWORKEVENTS ne;
        ck_assert_int_eq(WSAEnumNetworkEvents(c, ev, &ne), 0);
        ck_assert_int_eq(ne.lNetworkEvents, FD_CLOSE);
        ck_assert_int_eq(ne.iErrorCode[FD_CLOSE_BIT], WSAECONNRESET);
        closesocket(c);
        WSACloseEvent(ev);
    }
    stop();
}
END_TEST

/* On a connection, recvfrom and WSARecvFrom ignore the source address
 * buffer and its length, which programs leave unset (Wine's sock.c
 * test_write_watch passes one uninitialised). */
START_TEST(test_recvfrom_on_a_stream_ignores_its_source_buffer)
{
    start();
    SOCKET c, s;
    tcp_pair(AF_INET, &c, &s);
    struct sockaddr_in from;
    int bogus = -7;
    char buf[8];
    ck_assert_int_eq(send(s, "abc", 3, 0), 3);
    ck_assert_int_eq(recvfrom(c, buf, sizeof(buf), 0, (struct sockaddr *)&from, &bogus), 3);
    ck_assert_int_eq(bogus, -7);
    WSABUF b = { sizeof(buf), buf };
    DWORD got = 0, flags = 0;
    ck_assert_int_eq(send(s, "defg", 4, 0), 4);
    ck_assert_int_eq(WSARecvFrom(c, &b, 1, &got, &flags, (struct sockaddr *)&from, &bogus, NULL, NULL), 0);
    ck_assert_uint_eq(got, 4);
    closesocket(c);
    closesocket(s);
    stop();
}
END_TEST

START_TEST(test_eventselect_write_latched_until_wouldblock)
{
    start();
    SOCKET c, s;
    int err[FD_MAX_EVENTS] = { 0 };
    tcp_pair(AF_INET, &c, &s);
    int bufsize = 4096;
    setsockopt(c, SOL_SOCKET, SO_SNDBUF, (char *)&bufsize, sizeof(bufsize));
    setsockopt(s, SOL_SOCKET, SO_RCVBUF, (char *)&bufsize, sizeof(bufsize));
    WSAEVENT ev = WSACreateEvent();
    ck_assert_int_eq(WSAEventSelect(c, ev, FD_WRITE), 0);
    ck_assert(wait_net(c, ev, FD_WRITE, err) & FD_WRITE);
    /* Sends that succeed do not bring FD_WRITE back. */
    ck_assert_int_eq(send(c, "x", 1, 0), 1);
    ck_assert(quiet(c, ev, 50));
    /* Fill the pipe until a send has to wait... */
    static char chunk[65536];
    int r;
    while ((r = send(c, chunk, sizeof(chunk), 0)) > 0)
        ;
    ck_assert_int_eq(WSAGetLastError(), WSAEWOULDBLOCK);
    /* ...then drain it: FD_WRITE is recorded again. */
    static char buf[65536];
    u_long on = 1;
    ioctlsocket(s, FIONBIO, &on);
    for (int i = 0; i < 2000 && WSAWaitForMultipleEvents(1, &ev, FALSE, 0, FALSE) != WSA_WAIT_EVENT_0; i++)
        if (recv(s, buf, sizeof(buf), 0) == SOCKET_ERROR)
            Sleep(1);
    ck_assert(wait_net(c, ev, FD_WRITE, err) & FD_WRITE);
    closesocket(c);
    closesocket(s);
    WSACloseEvent(ev);
    stop();
}
END_TEST

START_TEST(test_eventselect_connect_results)
{
    start();
    struct sockaddr_storage ss;
    int len, err[FD_MAX_EVENTS] = { 0 };
    SOCKET l = listener(AF_INET, &ss, &len);
    SOCKET c = socket(AF_INET, SOCK_STREAM, 0);
    WSAEVENT ev = WSACreateEvent();
    ck_assert_int_eq(WSAEventSelect(c, ev, FD_CONNECT | FD_WRITE), 0);
    int r = connect(c, (struct sockaddr *)&ss, len);
    ck_assert(r == 0 || WSAGetLastError() == WSAEWOULDBLOCK);
    ck_assert((wait_net(c, ev, FD_CONNECT | FD_WRITE, err) & (FD_CONNECT | FD_WRITE)) == (FD_CONNECT | FD_WRITE));
    ck_assert_int_eq(err[FD_CONNECT_BIT], 0);
    closesocket(c);
    /* Refused: FD_CONNECT carries the error. */
    closesocket(l);
    c = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(WSAEventSelect(c, ev, FD_CONNECT), 0);
    ck_assert_int_eq(connect(c, (struct sockaddr *)&ss, len), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEWOULDBLOCK);
    ck_assert(wait_net(c, ev, FD_CONNECT, err) & FD_CONNECT);
    ck_assert_int_eq(err[FD_CONNECT_BIT], WSAECONNREFUSED);
    closesocket(c);
    WSACloseEvent(ev);
    stop();
}
END_TEST

START_TEST(test_eventselect_reset_close_has_error)
{
    start();
    SOCKET c, s;
    int err[FD_MAX_EVENTS] = { 0 };
    tcp_pair(AF_INET, &c, &s);
    WSAEVENT ev = WSACreateEvent();
    ck_assert_int_eq(WSAEventSelect(s, ev, FD_CLOSE), 0);
    struct linger abortive = { 1, 0 };
    ck_assert_int_eq(setsockopt(c, SOL_SOCKET, SO_LINGER, (char *)&abortive, sizeof(abortive)), 0);
    closesocket(c);                 /* RST */
    ck_assert(wait_net(s, ev, FD_CLOSE, err) & FD_CLOSE);
    ck_assert_int_eq(err[FD_CLOSE_BIT], WSAECONNRESET);
    closesocket(s);
    WSACloseEvent(ev);
    stop();
}
END_TEST

START_TEST(test_eventselect_bad_input_and_cancel)
{
    start();
    SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
    WSAEVENT ev = WSACreateEvent();
    WSANETWORKEVENTS ne;
    ck_assert_int_eq(WSAEventSelect((SOCKET)0x1234, ev, FD_READ), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAENOTSOCK);
    ck_assert_int_eq(WSAEventSelect(s, ev, 0x10000), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    ck_assert_int_eq(WSAEventSelect(s, (WSAEVENT)(uintptr_t)0x1234, FD_READ), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    ck_assert_int_eq(WSAEnumNetworkEvents(s, ev, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert_int_eq(WSAEnumNetworkEvents((SOCKET)0x1234, ev, &ne), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAENOTSOCK);
    /* An idle stream socket records nothing (Linux would call it hung up). */
    ck_assert_int_eq(WSAEventSelect(s, ev, FD_READ | FD_WRITE | FD_CLOSE), 0);
    ck_assert(quiet(s, ev, 50));
    /* Cancelling leaves the socket non-blocking, as Windows does. */
    ck_assert_int_eq(WSAEventSelect(s, NULL, 0), 0);
    struct sockaddr_storage ss;
    int len = loopback(AF_INET, &ss);
    SOCKET u = socket(AF_INET, SOCK_DGRAM, 0);
    ck_assert_int_eq(bind(u, (struct sockaddr *)&ss, len), 0);
    ck_assert_int_eq(WSAEventSelect(u, ev, FD_READ), 0);
    ck_assert_int_eq(WSAEventSelect(u, NULL, 0), 0);
    char buf[4];
    ck_assert_int_eq(recv(u, buf, sizeof(buf), 0), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEWOULDBLOCK);
    closesocket(u);
    closesocket(s);
    WSACloseEvent(ev);
    stop();
}
END_TEST

/* ---- catalog, WSAIoctl, WSAAccept and friends --------------------------------------------- */

START_TEST(test_catalog_enumerates_transports)
{
    start();
    DWORD len = 0;
    ck_assert_int_eq(WSAEnumProtocolsW(NULL, NULL, &len), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAENOBUFS);
    /* TCP and UDP over IPv4 and IPv6, and AF_UNIX streams (raw IP is
     * hidden, as Windows hides it). */
    ck_assert_uint_eq(len, 5 * sizeof(WSAPROTOCOL_INFOW));
    WSAPROTOCOL_INFOW all[8];
    len = sizeof(all);
    ck_assert_int_eq(WSAEnumProtocolsW(NULL, all, &len), 5);
    int tcp4 = -1;
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(all[i].iVersion, 2);
        ck_assert_int_eq(all[i].ProtocolChain.ChainLen, BASE_PROTOCOL);
        if (all[i].iAddressFamily == AF_INET && all[i].iSocketType == SOCK_STREAM)
            tcp4 = i;
    }
    ck_assert_int_ge(tcp4, 0);
    ck_assert_int_eq(all[tcp4].iProtocol, IPPROTO_TCP);
    ck_assert(all[tcp4].dwServiceFlags1 & XP1_GUARANTEED_DELIVERY);
    ck_assert(all[tcp4].dwServiceFlags1 & XP1_IFS_HANDLES);
    ck_assert_int_eq(all[tcp4].iMaxSockAddr, (int)sizeof(struct sockaddr_in));
    /* A filter: UDP only, over IPv4 and IPv6. */
    INT udp[] = { IPPROTO_UDP, 0 };
    WSAPROTOCOL_INFOA a[8];
    len = sizeof(a);
    ck_assert_int_eq(WSAEnumProtocolsA(udp, a, &len), 2);
    ck_assert(a[0].dwServiceFlags1 & XP1_CONNECTIONLESS);
    ck_assert_str_eq(a[0].szProtocol, "MSAFD Tcpip [UDP/IP]");
    ck_assert_uint_eq(a[0].dwMessageSize, 65467);
    ck_assert_int_eq(WSAEnumProtocolsA(NULL, a, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    /* A socket names its entry. */
    SOCKET s = socket(AF_INET6, SOCK_DGRAM, 0);
    WSAPROTOCOL_INFOA info;
    int il = sizeof(info);
    ck_assert_int_eq(getsockopt(s, SOL_SOCKET, SO_PROTOCOL_INFOA, (char *)&info, &il), 0);
    ck_assert_int_eq(info.iAddressFamily, AF_INET6);
    ck_assert_int_eq(info.iProtocol, IPPROTO_UDP);
    il = 10;
    ck_assert_int_eq(getsockopt(s, SOL_SOCKET, SO_PROTOCOL_INFOW, (char *)&info, &il), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    closesocket(s);
    stop();
}
END_TEST


/* ---- Windows facts Wine's conformance tests record ------------------------------------------ */

/* socket()'s defaults come from the catalog, and its refusals come in
 * Windows' order (Wine's sock.c test_WSASocket records them). */
START_TEST(test_socket_creation_rules_as_windows)
{
    start();
    static const struct { int af, type, protocol, error, want_type, want_protocol; } cases[] = {
        { 0xdead, SOCK_STREAM, IPPROTO_TCP, WSAEAFNOSUPPORT, 0, 0 },
        { -1,     SOCK_STREAM, IPPROTO_TCP, WSAEAFNOSUPPORT, 0, 0 },
        { AF_INET, 0xdead, IPPROTO_TCP,     WSAESOCKTNOSUPPORT, 0, 0 },
        { AF_INET, SOCK_STREAM, 0xdead,     WSAEPROTONOSUPPORT, 0, 0 },
        { 0xdead, 0xdead, IPPROTO_TCP,      WSAESOCKTNOSUPPORT, 0, 0 },
        { 0xdead, SOCK_STREAM, 0xdead,      WSAEAFNOSUPPORT, 0, 0 },
        { AF_INET, 0, 0xdead,               WSAEPROTONOSUPPORT, 0, 0 },
        { AF_INET, SOCK_STREAM, IPPROTO_UDP, WSAEPROTONOSUPPORT, 0, 0 },
        { AF_UNSPEC, SOCK_STREAM, 0,        WSAEINVAL, 0, 0 },
        { AF_UNSPEC, 0, 0,                  WSAEINVAL, 0, 0 },
        { AF_UNSPEC, SOCK_STREAM, 0xdead,   WSAEPROTONOSUPPORT, 0, 0 },
        { AF_INET, 0, IPPROTO_UDP,          0, SOCK_DGRAM, IPPROTO_UDP },
        { AF_INET, 0, 0,                    0, SOCK_STREAM, IPPROTO_TCP },
        { AF_UNSPEC, 0, IPPROTO_TCP,        0, SOCK_STREAM, IPPROTO_TCP },
        { 0, 0, IPPROTO_UDP,                0, SOCK_DGRAM, IPPROTO_UDP },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        WSASetLastError(1234);
        SOCKET s = WSASocketA(cases[i].af, cases[i].type, cases[i].protocol, NULL, 0, 0);
        ck_assert_msg(cases[i].error ? s == INVALID_SOCKET : s != INVALID_SOCKET, "case %zu", i);
        ck_assert_msg(WSAGetLastError() == cases[i].error, "case %zu: error %d", i, WSAGetLastError());
        if (s == INVALID_SOCKET)
            continue;
        WSAPROTOCOL_INFOA info;
        int len = sizeof(info);
        ck_assert_int_eq(getsockopt(s, SOL_SOCKET, SO_PROTOCOL_INFOA, (char *)&info, &len), 0);
        ck_assert_int_eq(info.iAddressFamily, AF_INET);
        ck_assert_int_eq(info.iSocketType, cases[i].want_type);
        ck_assert_int_eq(info.iProtocol, cases[i].want_protocol);
        closesocket(s);
    }
    /* Raw ICMP where Linux allows it (privileged), Windows' WSAEACCES where not. */
    SOCKET raw = WSASocketA(AF_INET, SOCK_RAW, IPPROTO_ICMP, NULL, 0, 0);
    if (raw == INVALID_SOCKET) {
        ck_assert_int_eq(WSAGetLastError(), WSAEACCES);
    } else {
        int type = 0, len = sizeof(type);
        ck_assert_int_eq(getsockopt(raw, SOL_SOCKET, SO_TYPE, (char *)&type, &len), 0);
        ck_assert_int_eq(type, SOCK_RAW);
        closesocket(raw);
    }
    stop();
}
END_TEST

/* A call that succeeds clears the thread's last error, as Windows'
 * ws2_32 does; the options Wine's tests use exist with Windows' sizes. */
START_TEST(test_success_clears_last_error_and_options_as_windows)
{
    start();
    SOCKET u = socket(AF_INET, SOCK_DGRAM, 0), t = socket(AF_INET, SOCK_STREAM, 0);
    int v = 1, len = sizeof(v);
    WSASetLastError(1234);
    ck_assert_int_eq(setsockopt(u, IPPROTO_IP, IP_RECVTTL, (char *)&v, sizeof(v)), 0);
    ck_assert_int_eq(WSAGetLastError(), 0);
    WSASetLastError(1234);
    v = 0;
    ck_assert_int_eq(getsockopt(u, IPPROTO_IP, IP_RECVTTL, (char *)&v, &len), 0);
    ck_assert_int_eq(WSAGetLastError(), 0);
    ck_assert_int_eq(v, 1);
    /* The IP_RECV* family answers a short buffer with WSAEFAULT and length 0. */
    len = 2;
    ck_assert_int_eq(getsockopt(u, IPPROTO_IP, IP_RECVTOS, (char *)&v, &len), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert_int_eq(len, 0);
    /* Datagram options on a stream: WSAEINVAL. */
    ck_assert_int_eq(setsockopt(t, IPPROTO_IP, IP_PKTINFO, (char *)&v, sizeof(v)), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    /* Don't-fragment: on for streams, off for datagrams, by default. */
    len = sizeof(v);
    ck_assert_int_eq(getsockopt(t, IPPROTO_IP, IP_DONTFRAGMENT, (char *)&v, &len), 0);
    ck_assert_int_eq(v, 1);
    ck_assert_int_eq(getsockopt(u, IPPROTO_IP, IP_DONTFRAGMENT, (char *)&v, &len), 0);
    ck_assert_int_eq(v, 0);
    /* SO_ERROR keeps what a program sets. */
    v = 1234;
    ck_assert_int_eq(setsockopt(t, SOL_SOCKET, SO_ERROR, (char *)&v, sizeof(v)), 0);
    v = 0;
    ck_assert_int_eq(getsockopt(t, SOL_SOCKET, SO_ERROR, (char *)&v, &len), 0);
    ck_assert_int_eq(v, 1234);
    /* SO_OPENTYPE is the thread's: any handle, even none, and a negative
     * length is answered with 4 bytes. */
    v = SO_SYNCHRONOUS_NONALERT;
    ck_assert_int_eq(setsockopt(INVALID_SOCKET, SOL_SOCKET, SO_OPENTYPE, (char *)&v, sizeof(v)), 0);
    v = 0;
    len = -1;
    ck_assert_int_eq(getsockopt(INVALID_SOCKET, SOL_SOCKET, SO_OPENTYPE, (char *)&v, &len), 0);
    ck_assert_int_eq(v, SO_SYNCHRONOUS_NONALERT);
    ck_assert_int_eq(len, 4);
    v = 0;
    ck_assert_int_eq(setsockopt(t, SOL_SOCKET, SO_OPENTYPE, (char *)&v, sizeof(v)), 0);
    /* A value passed where a pointer belongs: WSAEFAULT, not a crash. */
    ck_assert_int_eq(setsockopt(t, SOL_SOCKET, SO_DONTROUTE, (char *)1, 1), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    closesocket(u);
    closesocket(t);
    stop();
}
END_TEST

/* SO_CONNECT_TIME counts from a blocking connect and accept too; a
 * socket that is not a connected stream says 0xFFFFFFFF. */
START_TEST(test_connect_time_after_blocking_connect)
{
    start();
    SOCKET c, s, u = socket(AF_INET, SOCK_DGRAM, 0);
    tcp_pair(AF_INET, &c, &s);
    unsigned t = 7;
    int len = sizeof(t);
    ck_assert_int_eq(getsockopt(c, SOL_SOCKET, SO_CONNECT_TIME, (char *)&t, &len), 0);
    ck_assert_uint_eq(t, 0);
    ck_assert_int_eq(getsockopt(s, SOL_SOCKET, SO_CONNECT_TIME, (char *)&t, &len), 0);
    ck_assert_uint_eq(t, 0);
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    ck_assert_int_eq(connect(u, (struct sockaddr *)&to, sizeof(to)), 0);
    ck_assert_int_eq(getsockopt(u, SOL_SOCKET, SO_CONNECT_TIME, (char *)&t, &len), 0);
    ck_assert_uint_eq(t, 0xffffffffu);
    closesocket(c);
    closesocket(s);
    closesocket(u);
    stop();
}
END_TEST

/* The child's side: opens the duplicate it is given (twice: once only
 * works) and sends on it; listening, it accepts a connection instead. */
static int open_given_duplicate(int from)
{
    WSAPROTOCOL_INFOW info;
    if (ws2_test_read(from, &info, sizeof(info)) != (long)sizeof(info))
        return 1;
    SOCKET d = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, &info, 0, 0);
    if (d == INVALID_SOCKET)
        return 2;
    if (WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, &info, 0, 0) != INVALID_SOCKET ||
        WSAGetLastError() != WSAEINVAL)
        return 3;
    BOOL listening = FALSE;
    int len = sizeof(listening);
    if (getsockopt(d, SOL_SOCKET, SO_ACCEPTCONN, (char *)&listening, &len))
        return 4;
    SOCKET a = listening ? accept(d, NULL, NULL) : d;
    if (a == INVALID_SOCKET || send(a, "kid", 3, 0) != 3)
        return 5;
    return 0;
}

/* WSADuplicateSocket into another process: its WSASocket gets the same
 * socket, connected or listening, while this process has closed its own
 * (here the other process is a forked child, Linux's id being the
 * process id natively). */
START_TEST(test_duplicate_socket_into_another_process)
{
    start();
    for (int listening = 0; listening < 2; listening++) {
        SOCKET c, s, l = INVALID_SOCKET;
        struct sockaddr_storage ss;
        int len, fds[2];
        if (listening) {
            l = listener(AF_INET, &ss, &len);
        } else {
            tcp_pair(AF_INET, &c, &s);
        }
        ck_assert_int_eq(ws2_test_pipe(fds), 0);
        int child = ws2_test_fork();
        ck_assert_int_ge(child, 0);
        if (child == 0)
            ws2_test_exit(open_given_duplicate(fds[0]));
        WSAPROTOCOL_INFOW info;
        ck_assert_int_eq(WSADuplicateSocketW(listening ? l : c, (DWORD)child, &info), 0);
        ck_assert_int_eq(closesocket(listening ? l : c), 0);     /* the duplicate keeps it */
        ck_assert_int_eq(ws2_test_write(fds[1], &info, sizeof(info)), sizeof(info));
        if (listening) {
            s = socket(AF_INET, SOCK_STREAM, 0);
            ck_assert_int_eq(connect(s, (struct sockaddr *)&ss, len), 0);
        }
        char buf[8];
        ck_assert_int_eq(recv(s, buf, sizeof(buf), 0), 3);
        ck_assert(!memcmp(buf, "kid", 3));
        ck_assert_int_eq(ws2_test_wait_exit(child), 0);
        /* The child's copy went with it, and this process's before. */
        ck_assert_int_eq(recv(s, buf, sizeof(buf), 0), 0);
        closesocket(s);
    }
    /* A process that duplicates its socket for this one and ends at once:
     * the duplicate still opens here, as on Windows. */
    struct sockaddr_storage ss;
    int len, fds[2];
    SOCKET l = listener(AF_INET, &ss, &len);
    ck_assert_int_eq(ws2_test_pipe(fds), 0);
    int child = ws2_test_fork();
    if (child == 0) {
        WSAPROTOCOL_INFOW mine;
        SOCKET c = socket(AF_INET, SOCK_STREAM, 0);
        int ok = !connect(c, (struct sockaddr *)&ss, len) &&
                 !WSADuplicateSocketW(c, (DWORD)ws2_test_parent(), &mine) &&
                 ws2_test_write(fds[1], &mine, sizeof(mine)) == (long)sizeof(mine);
        ws2_test_exit(ok ? 0 : 1);
    }
    WSAPROTOCOL_INFOW info;
    ck_assert_int_eq(ws2_test_wait_exit(child), 0);
    ck_assert_int_eq(ws2_test_read(fds[0], &info, sizeof(info)), sizeof(info));
    SOCKET s = accept(l, NULL, NULL), d;
    d = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, &info, 0, 0);
    ck_assert(d != INVALID_SOCKET);
    char buf[8];
    ck_assert_int_eq(send(d, "late", 4, 0), 4);
    ck_assert_int_eq(recv(s, buf, sizeof(buf), 0), 4);
    closesocket(d);
    ck_assert_int_eq(recv(s, buf, sizeof(buf), 0), 0);
    /* Nothing to open from a process with no keeper. */
    info.dwServiceFlags3 = (DWORD)child;
    info.dwServiceFlags4 ^= 1;
    ck_assert(WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, &info, 0, 0) ==
              INVALID_SOCKET);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    closesocket(s);
    closesocket(l);
    stop();
}
END_TEST

/* connect, WSAConnect and ConnectEx refuse a peer address of zeros
 * (WSAEADDRNOTAVAIL, Windows' connect documentation; libuv's udp_connect
 * pins it for UDP, and Go dials the loopback instead on Windows), where
 * Linux would connect to the local host. */
START_TEST(test_connect_refuses_the_any_address)
{
    start();
    struct sockaddr_storage ss;
    int len;
    SOCKET l = listener(AF_INET, &ss, &len);
    struct sockaddr_in any = *(struct sockaddr_in *)&ss;
    any.sin_addr.s_addr = htonl(INADDR_ANY);
    struct sockaddr_in6 any6 = { .sin6_family = AF_INET6, .sin6_port = any.sin_port };
    int types[2] = { SOCK_STREAM, SOCK_DGRAM };
    for (int t = 0; t < 2; t++) {
        SOCKET c = socket(AF_INET, types[t], 0), c6 = socket(AF_INET6, types[t], 0);
        ck_assert_int_eq(connect(c, (struct sockaddr *)&any, sizeof(any)), SOCKET_ERROR);
        ck_assert_int_eq(WSAGetLastError(), WSAEADDRNOTAVAIL);
        ck_assert_int_eq(WSAConnect(c, (struct sockaddr *)&any, sizeof(any), NULL, NULL, NULL, NULL), SOCKET_ERROR);
        ck_assert_int_eq(WSAGetLastError(), WSAEADDRNOTAVAIL);
        ck_assert_int_eq(connect(c6, (struct sockaddr *)&any6, sizeof(any6)), SOCKET_ERROR);
        ck_assert_int_eq(WSAGetLastError(), WSAEADDRNOTAVAIL);
        /* The socket is as it was: a good peer still connects. */
        ck_assert_int_eq(connect(c, (struct sockaddr *)&ss, len), 0);
        closesocket(c);
        closesocket(c6);
    }
    SOCKET c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in here = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    ck_assert_int_eq(bind(c, (struct sockaddr *)&here, sizeof(here)), 0);
    GUID guid = WSAID_CONNECTEX;
    LPFN_CONNECTEX connect_ex = NULL;
    DWORD got;
    ck_assert_int_eq(WSAIoctl(c, SIO_GET_EXTENSION_FUNCTION_POINTER, &guid, sizeof(guid), &connect_ex,
                              sizeof(connect_ex), &got, NULL, NULL), 0);
    OVERLAPPED ov = { 0 };
    ck_assert(!connect_ex(c, (struct sockaddr *)&any, sizeof(any), NULL, 0, NULL, &ov));
    ck_assert_int_eq(WSAGetLastError(), WSAEADDRNOTAVAIL);
    closesocket(c);
    closesocket(l);
    stop();
}
END_TEST

/* WSADuplicateSocket checks the socket, then the process id, then the
 * buffer; the duplicate is the same connection. */
START_TEST(test_duplicate_socket_argument_order)
{
    start();
    SOCKET c, s;
    tcp_pair(AF_INET, &c, &s);
    WSAPROTOCOL_INFOA info;
    ck_assert_int_eq(WSADuplicateSocketA(0, 0, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAENOTSOCK);
    ck_assert_int_eq(WSADuplicateSocketA(c, 0, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    ck_assert_int_eq(WSADuplicateSocketA(c, ~0u, &info), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    ck_assert_int_eq(WSADuplicateSocketA(c, GetCurrentProcessId(), NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert_int_eq(WSADuplicateSocketA(c, GetCurrentProcessId(), &info), 0);
    SOCKET d = WSASocketA(0, 0, 0, &info, 0, 0);
    ck_assert(d != INVALID_SOCKET);
    ck_assert_int_eq(send(d, "dup", 3, 0), 3);
    char buf[8];
    ck_assert_int_eq(recv(s, buf, sizeof(buf), 0), 3);
    closesocket(d);
    closesocket(c);
    closesocket(s);
    stop();
}
END_TEST

START_TEST(test_wsaioctl_codes)
{
    start();
    SOCKET c, s;
    tcp_pair(AF_INET, &c, &s);
    DWORD ret = 0;
    u_long on = 1, n = 0;
    ck_assert_int_eq(WSAIoctl(c, FIONBIO, &on, sizeof(on), NULL, 0, &ret, NULL, NULL), 0);
    ck_assert_int_eq(send(c, "abc", 3, 0), 3);
    for (int i = 0; i < 5000 && n < 3; i++) {
        ck_assert_int_eq(WSAIoctl(s, FIONREAD, NULL, 0, &n, sizeof(n), &ret, NULL, NULL), 0);
        if (n < 3)
            Sleep(1);
    }
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(ret, sizeof(u_long));

    struct tcp_keepalive ka = { 1, 30000, 2500 };
    ck_assert_int_eq(WSAIoctl(s, SIO_KEEPALIVE_VALS, &ka, sizeof(ka), NULL, 0, &ret, NULL, NULL), 0);
    int v = 0, vl = sizeof(v);
    getsockopt(s, SOL_SOCKET, SO_KEEPALIVE, (char *)&v, &vl);
    ck_assert_int_eq(v, 1);
    vl = sizeof(v);
    getsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, (char *)&v, &vl);
    ck_assert_int_eq(v, 30);
    getsockopt(s, IPPROTO_TCP, TCP_KEEPINTVL, (char *)&v, &vl);
    ck_assert_int_eq(v, 3);                     /* 2.5 s rounds up: Linux counts seconds */

    SOCKET base = 0;
    ck_assert_int_eq(WSAIoctl(s, SIO_BASE_HANDLE, NULL, 0, &base, sizeof(base), &ret, NULL, NULL), 0);
    ck_assert_uint_eq(base, s);
    ck_assert_int_eq(WSAIoctl(s, SIO_BSP_HANDLE_POLL, NULL, 0, &base, sizeof(base), &ret, NULL, NULL), 0);
    ck_assert_uint_eq(base, s);

    char list[4096];
    ret = 0;
    ck_assert_int_eq(WSAIoctl(s, SIO_ADDRESS_LIST_QUERY, NULL, 0, list, sizeof(list), &ret, NULL, NULL), 0);
    SOCKET_ADDRESS_LIST *al = (SOCKET_ADDRESS_LIST *)list;
    for (int i = 0; i < al->iAddressCount; i++)
        ck_assert_int_eq(al->Address[i].lpSockaddr->sa_family, AF_INET);
    DWORD need = ret;
    /* Too short for the count: WSAEINVAL and no size; for the list:
     * WSAEFAULT and the size it needs (Windows, as Wine's tests record). */
    ck_assert_int_eq(WSAIoctl(s, SIO_ADDRESS_LIST_QUERY, NULL, 0, list, 1, &ret, NULL, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    ck_assert_uint_eq(ret, 0);
    ck_assert_int_eq(WSAIoctl(s, SIO_ADDRESS_LIST_QUERY, NULL, 0, list, 8, &ret, NULL, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert_uint_eq(ret, need);

    /* Extension functions: found by GUID, and they work (the overlapped suite
     * tests them; here ConnectEx on a connected socket). */
    GUID acceptex = WSAID_ACCEPTEX, connectex = WSAID_CONNECTEX, bogus = { 1, 2, 3, { 4 } };
    LPFN_ACCEPTEX pAcceptEx = NULL;
    LPFN_CONNECTEX pConnectEx = NULL;
    ck_assert_int_eq(WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &acceptex, sizeof(acceptex),
                              &pAcceptEx, sizeof(pAcceptEx), &ret, NULL, NULL), 0);
    ck_assert_ptr_nonnull(pAcceptEx);
    ck_assert_uint_eq(ret, sizeof(void *));
    ck_assert_int_eq(WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &connectex, sizeof(connectex),
                              &pConnectEx, sizeof(pConnectEx), &ret, NULL, NULL), 0);
    ck_assert_ptr_nonnull(pConnectEx);
    OVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    ck_assert(!pConnectEx(c, NULL, 0, NULL, 0, NULL, &ov));
    ck_assert_int_eq(WSAGetLastError(), WSAEISCONN);
    ck_assert_int_eq(WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &bogus, sizeof(bogus),
                              &pAcceptEx, sizeof(pAcceptEx), &ret, NULL, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);

    /* Bad input. */
    ck_assert_int_eq(WSAIoctl(s, 0x12345678, NULL, 0, NULL, 0, &ret, NULL, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEOPNOTSUPP);
    ck_assert_int_eq(WSAIoctl(s, FIONREAD, NULL, 0, &n, sizeof(n), NULL, NULL, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert_int_eq(WSAIoctl(s, FIONREAD, NULL, 0, &n, 2, &ret, NULL, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert_int_eq(WSAIoctl((SOCKET)0x1234, FIONREAD, NULL, 0, &n, sizeof(n), &ret, NULL, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAENOTSOCK);
    closesocket(c);
    closesocket(s);
    stop();
}
END_TEST

struct condition_case { int verdict; int calls; unsigned short caller_port; };

static int CALLBACK decide(LPWSABUF caller, LPWSABUF caller_data, LPQOS sqos, LPQOS gqos,
                           LPWSABUF callee, LPWSABUF callee_data, GROUP *g, DWORD_PTR data)
{
    struct condition_case *c = (struct condition_case *)data;
    (void)caller_data; (void)sqos; (void)gqos; (void)callee; (void)callee_data; (void)g;
    c->calls++;
    if (caller && caller->len >= (ULONG)sizeof(struct sockaddr_in))
        c->caller_port = ntohs(((struct sockaddr_in *)caller->buf)->sin_port);
    return c->verdict;
}

START_TEST(test_wsaaccept_condition_function)
{
    start();
    struct sockaddr_storage ss;
    int len;
    SOCKET l = listener(AF_INET, &ss, &len);
    /* CF_ACCEPT: the connection is ours, the condition saw the caller. */
    SOCKET c = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(c, (struct sockaddr *)&ss, len), 0);
    struct condition_case yes = { CF_ACCEPT, 0, 0 };
    struct sockaddr_in peer;
    int pl = sizeof(peer);
    SOCKET s = WSAAccept(l, (struct sockaddr *)&peer, &pl, decide, (DWORD_PTR)&yes);
    ck_assert(s != INVALID_SOCKET);
    ck_assert_int_eq(yes.calls, 1);
    ck_assert_uint_eq(yes.caller_port, ntohs(peer.sin_port));
    closesocket(s);
    closesocket(c);
    /* CF_REJECT: refused for us, reset for the peer. */
    c = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(c, (struct sockaddr *)&ss, len), 0);
    struct condition_case no = { CF_REJECT, 0, 0 };
    ck_assert(WSAAccept(l, NULL, NULL, decide, (DWORD_PTR)&no) == INVALID_SOCKET);
    ck_assert_int_eq(WSAGetLastError(), WSAECONNREFUSED);
    char buf[4];
    ck_assert_int_eq(recv(c, buf, sizeof(buf), 0), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAECONNRESET);
    closesocket(c);
    /* CF_DEFER with SO_CONDITIONAL_ACCEPT: asked again on the next call. */
    int one = 1;
    ck_assert_int_eq(setsockopt(l, SOL_SOCKET, SO_CONDITIONAL_ACCEPT, (char *)&one, sizeof(one)), 0);
    c = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(c, (struct sockaddr *)&ss, len), 0);
    struct condition_case later = { CF_DEFER, 0, 0 };
    ck_assert(WSAAccept(l, NULL, NULL, decide, (DWORD_PTR)&later) == INVALID_SOCKET);
    ck_assert_int_eq(WSAGetLastError(), WSATRY_AGAIN);
    later.verdict = CF_ACCEPT;
    s = WSAAccept(l, NULL, NULL, decide, (DWORD_PTR)&later);
    ck_assert(s != INVALID_SOCKET);
    ck_assert_int_eq(later.calls, 2);
    ck_assert_int_eq(send(c, "hi", 2, 0), 2);
    ck_assert_int_eq(recv(s, buf, sizeof(buf), 0), 2);
    closesocket(s);
    closesocket(c);
    /* No condition: plain accept. */
    c = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(c, (struct sockaddr *)&ss, len), 0);
    s = WSAAccept(l, NULL, NULL, NULL, 0);
    ck_assert(s != INVALID_SOCKET);
    closesocket(s);
    closesocket(c);
    closesocket(l);
    stop();
}
END_TEST

START_TEST(test_wsaconnect_and_duplicate_socket)
{
    start();
    struct sockaddr_storage ss;
    int len;
    SOCKET l = listener(AF_INET, &ss, &len);
    SOCKET c = socket(AF_INET, SOCK_STREAM, 0);
    WSABUF data = { 4, (char *)"data" }, none = { 0, NULL }, callee = { 16, (char *)&ss };
    ck_assert_int_eq(WSAConnect(c, (struct sockaddr *)&ss, len, &data, NULL, NULL, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEOPNOTSUPP);          /* no connect data on TCP */
    ck_assert_int_eq(WSAConnect(c, (struct sockaddr *)&ss, len, &none, &callee, NULL, NULL), 0);
    ck_assert_uint_eq(callee.len, 0);
    SOCKET s = accept(l, NULL, NULL);

    /* A duplicate in the same process: a new SOCKET on the same connection. */
    WSAPROTOCOL_INFOW info;
    ck_assert_int_eq(WSADuplicateSocketW(c, GetCurrentProcessId(), &info), 0);
    ck_assert_int_eq(info.iAddressFamily, AF_INET);
    SOCKET d = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, &info, 0, 0);
    ck_assert(d != INVALID_SOCKET);
    ck_assert(d != c);
    ck_assert_int_eq(closesocket(c), 0);             /* the duplicate keeps it open */
    char buf[8];
    ck_assert_int_eq(send(d, "dup", 3, 0), 3);
    ck_assert_int_eq(recv(s, buf, sizeof(buf), 0), 3);
    /* Used once only. */
    ck_assert(WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, &info, 0, 0) == INVALID_SOCKET);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    ck_assert_int_eq(WSADuplicateSocketA(d, GetCurrentProcessId(), NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    WSAPROTOCOL_INFOA ia;
    ck_assert_int_eq(WSADuplicateSocketA((SOCKET)0x1234, GetCurrentProcessId(), &ia), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAENOTSOCK);
    closesocket(d);
    closesocket(s);
    closesocket(l);
    stop();
}
END_TEST

START_TEST(test_small_winsock2_calls)
{
    start();
    SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
    u_long nl;
    u_short ns;
    ck_assert_int_eq(WSAHtonl(s, 0x01020304, &nl), 0);
    ck_assert_uint_eq(nl, htonl(0x01020304));
    ck_assert_int_eq(WSANtohs(s, htons(80), &ns), 0);
    ck_assert_uint_eq(ns, 80);
    ck_assert_int_eq(WSAHtons((SOCKET)0x1234, 1, &ns), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAENOTSOCK);
    ck_assert_int_eq(WSANtohl(s, 1, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    WCHAR wname[256];
    char name[256];
    ck_assert_int_eq(GetHostNameW(wname, 256), 0);
    ck_assert_int_eq(gethostname(name, sizeof(name)), 0);
    for (size_t i = 0; i <= strlen(name); i++)
        ck_assert_uint_eq(wname[i], (WCHAR)name[i]);
    ck_assert_int_eq(GetHostNameW(wname, 1), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    /* Winsock 1's blocking hooks are gone in Winsock 2. */
    ck_assert(!WSAIsBlocking());
    ck_assert_int_eq(WSACancelBlockingCall(), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEOPNOTSUPP);
    ck_assert_ptr_null(WSASetBlockingHook(NULL));
    ck_assert_int_eq(WSAUnhookBlockingHook(), SOCKET_ERROR);
    closesocket(s);
    /* Disconnect calls shut the connection down. */
    SOCKET c;
    tcp_pair(AF_INET, &c, &s);
    WSABUF data = { 1, (char *)"x" };
    ck_assert_int_eq(WSASendDisconnect(c, &data), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEOPNOTSUPP);
    ck_assert_int_eq(WSASendDisconnect(c, NULL), 0);
    char buf[4];
    ck_assert_int_eq(recv(s, buf, sizeof(buf), 0), 0);
    ck_assert_int_eq(WSARecvDisconnect(s, NULL), 0);
    ck_assert_int_eq(recv(s, buf, sizeof(buf), 0), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAESHUTDOWN);
    closesocket(c);
    closesocket(s);
    stop();
}
END_TEST

START_TEST(test_not_yet_exports_fail_cleanly)
{
    /* Every export that waits for a later step fails the Windows way. */
    start();
    SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(WSAAsyncSelect(s, NULL, 0, FD_READ), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEOPNOTSUPP);
    ck_assert_ptr_null(WSAAsyncGetHostByName(NULL, 0, "localhost", NULL, 0));
    ck_assert_int_eq(WSAGetLastError(), WSAEOPNOTSUPP);
    ck_assert(WSAJoinLeaf(s, NULL, 0, NULL, NULL, NULL, NULL, 0) == INVALID_SOCKET);
    DWORD len = 0;
    ck_assert_int_eq(WSAEnumNameSpaceProvidersA(&len, NULL), SOCKET_ERROR);
    /* The catalog is fixed; its enumeration works under its WSC name too. */
    WSAPROTOCOL_INFOW info[8];
    INT err = 0;
    len = sizeof(info);
    ck_assert_int_eq(WSCEnumProtocols(NULL, info, &len, &err), 5);
    GUID id = { 0 };
    ck_assert_int_eq(WSCDeinstallProvider(&id, &err), SOCKET_ERROR);
    ck_assert_int_eq(err, WSAEOPNOTSUPP);

    /* A provider's path and facts: Windows' errors for bad arguments and
     * unknown providers, mswsock.dll for the real ones. */
    WCHAR path[64];
    INT plen = -1;
    ck_assert_int_eq(WSCGetProviderPath(NULL, NULL, NULL, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSCGetProviderPath(&id, NULL, NULL, &err), SOCKET_ERROR);
    ck_assert_int_eq(err, WSAEFAULT);
    ck_assert_int_eq(WSCGetProviderPath(&id, path, &plen, &err), SOCKET_ERROR);
    ck_assert_int_eq(err, WSAEINVAL);
    ck_assert_int_eq(plen, -1);
    plen = 64;
    ck_assert_int_eq(WSCGetProviderPath(&id, path, &plen, &err), SOCKET_ERROR);
    ck_assert_int_eq(err, WSAEINVAL);                       /* no such provider */
    ck_assert_int_eq(WSCGetProviderPath(&info[0].ProviderId, path, &plen, &err), 0);
    ck_assert_int_eq(plen, 34);
    ck_assert(path[0] == '%' && path[33] == 0 && path[32] == 'l');
    plen = 4;
    ck_assert_int_eq(WSCGetProviderPath(&info[0].ProviderId, path, &plen, &err), SOCKET_ERROR);
    ck_assert_int_eq(err, WSAEFAULT);
    ck_assert_int_eq(plen, 34);
    BYTE pinfo[16];
    size_t ilen = sizeof(pinfo);
    ck_assert_int_eq(WSCGetProviderInfo(NULL, ProviderInfoLspCategories, pinfo, &ilen, 0, &err), SOCKET_ERROR);
    ck_assert_int_eq(err, WSAEFAULT);
    ck_assert_int_eq(WSCGetProviderInfo(&id, ProviderInfoLspCategories, pinfo, &ilen, 0, &err), SOCKET_ERROR);
    ck_assert_int_eq(err, WSANO_RECOVERY);
    memset(pinfo, 0xcc, sizeof(pinfo));
    ck_assert_int_eq(WSCGetProviderInfo(&info[0].ProviderId, ProviderInfoLspCategories, pinfo, &ilen, 0, &err), 0);
    ck_assert_uint_eq(ilen, sizeof(DWORD));
    ck_assert_uint_eq(pinfo[0] | pinfo[1] | pinfo[2] | pinfo[3], 0);
    ck_assert_int_eq(WSCGetProviderInfo(&info[0].ProviderId, (WSC_PROVIDER_INFO_TYPE)7, pinfo, &ilen, 0, &err),
                     SOCKET_ERROR);
    ck_assert_int_eq(err, WSAEINVAL);
    closesocket(s);
    stop();
}
END_TEST

/* ---- bad input -------------------------------------------------------------------------------- */

START_TEST(test_bad_invalid_and_closed_socket)
{
    start();
    SOCKET closed = socket(AF_INET, SOCK_STREAM, 0);
    closesocket(closed);
    SOCKET bad[] = { 0, INVALID_SOCKET, 0x1234, 3, closed };
    struct sockaddr_in in = { .sin_family = AF_INET };
    int len = sizeof(in);
    char buf[4];
    u_long v = 0;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        SOCKET s = bad[i];
#define NOTSOCK(call) do { ck_assert_int_eq((call), SOCKET_ERROR); \
                           ck_assert_int_eq(WSAGetLastError(), WSAENOTSOCK); } while (0)
        NOTSOCK(closesocket(s));
        NOTSOCK(bind(s, (struct sockaddr *)&in, len));
        NOTSOCK(listen(s, 1));
        NOTSOCK(connect(s, (struct sockaddr *)&in, len));
        NOTSOCK(send(s, "x", 1, 0));
        NOTSOCK(recv(s, buf, 4, 0));
        NOTSOCK(sendto(s, "x", 1, 0, (struct sockaddr *)&in, len));
        NOTSOCK(recvfrom(s, buf, 4, 0, NULL, NULL));
        NOTSOCK(shutdown(s, SD_BOTH));
        NOTSOCK(getsockname(s, (struct sockaddr *)&in, &len));
        NOTSOCK(getpeername(s, (struct sockaddr *)&in, &len));
        NOTSOCK(ioctlsocket(s, FIONBIO, &v));
        ck_assert(accept(s, NULL, NULL) == INVALID_SOCKET);
        ck_assert_int_eq(WSAGetLastError(), WSAENOTSOCK);
#undef NOTSOCK
    }
    /* A completion port is a handle, not a socket. */
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    ck_assert_int_eq(closesocket((SOCKET)port), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAENOTSOCK);
    CloseHandle(port);
    stop();
}
END_TEST

START_TEST(test_bad_addresses_and_lengths)
{
    start();
    SOCKET s = socket(AF_INET, SOCK_STREAM, 0), s6 = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in in = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };
    char tiny[4];
    int len;
    ck_assert_int_eq(bind(s, NULL, sizeof(in)), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert_int_eq(bind(s, (struct sockaddr *)&in, sizeof(in) - 1), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert_int_eq(bind(s, (struct sockaddr *)&in6, sizeof(in6)), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEAFNOSUPPORT);
    ck_assert_int_eq(bind(s6, (struct sockaddr *)&in, sizeof(in)), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEAFNOSUPPORT);
    struct sockaddr bogus = { .sa_family = 999 };
    ck_assert_int_eq(connect(s, &bogus, sizeof(bogus)), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEAFNOSUPPORT);
    /* Names into too tiny a buffer. */
    ck_assert_int_eq(bind(s, (struct sockaddr *)&in, sizeof(in)), 0);
    len = sizeof(tiny);
    ck_assert_int_eq(getsockname(s, (struct sockaddr *)tiny, &len), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert_int_eq(getsockname(s, (struct sockaddr *)&in, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert_int_eq(listen(s, 5), 0);
    len = 4;
    ck_assert(accept(s, (struct sockaddr *)tiny, &len) == INVALID_SOCKET);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert_int_eq(send(s, NULL, 5, 0), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert_int_eq(recv(s, tiny, -1, 0), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    closesocket(s);
    closesocket(s6);
    stop();
}
END_TEST

START_TEST(test_bad_call_order)
{
    start();
    struct sockaddr_storage ss;
    int len = loopback(AF_INET, &ss);
    char buf[4];
    SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
    /* listen, getsockname on an unbound socket; recv, getpeername unconnected. */
    ck_assert_int_eq(listen(s, 1), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    ck_assert_int_eq(getsockname(s, (struct sockaddr *)&ss, &len), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    ck_assert_int_eq(recv(s, buf, 4, 0), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAENOTCONN);
    ck_assert_int_eq(getpeername(s, (struct sockaddr *)&ss, &len), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAENOTCONN);
    ck_assert_int_eq(shutdown(s, SD_SEND), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAENOTCONN);
    ck_assert(accept(s, NULL, NULL) == INVALID_SOCKET);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    /* Bound twice; an address in use. */
    len = loopback(AF_INET, &ss);
    ck_assert_int_eq(bind(s, (struct sockaddr *)&ss, len), 0);
    ck_assert_int_eq(bind(s, (struct sockaddr *)&ss, len), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    ck_assert_int_eq(getsockname(s, (struct sockaddr *)&ss, &len), 0);
    ck_assert_int_eq(listen(s, 1), 0);
    SOCKET t = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(bind(t, (struct sockaddr *)&ss, len), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEADDRINUSE);
    /* UDP: listen is not for datagrams; recv before bind can never end. */
    SOCKET u = socket(AF_INET, SOCK_DGRAM, 0);
    ck_assert_int_eq(recv(u, buf, 4, 0), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    len = loopback(AF_INET, &ss);
    ck_assert_int_eq(bind(u, (struct sockaddr *)&ss, len), 0);
    ck_assert_int_eq(listen(u, 1), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEOPNOTSUPP);
    ck_assert_int_eq(send(u, "x", 1, 0), SOCKET_ERROR);          /* no peer */
    ck_assert_int_eq(WSAGetLastError(), WSAENOTCONN);
    ck_assert_int_eq(shutdown(s, 7), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    closesocket(u);
    closesocket(t);
    closesocket(s);
    stop();
}
END_TEST

START_TEST(test_connect_to_closed_port_refused)
{
    start();
    struct sockaddr_storage ss;
    int len;
    SOCKET l = listener(AF_INET, &ss, &len);
    closesocket(l);          /* the port is free again: nothing listens */
    SOCKET c = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(c, (struct sockaddr *)&ss, len), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAECONNREFUSED);
    closesocket(c);
    stop();
}
END_TEST

START_TEST(test_send_and_recv_after_shutdown)
{
    start();
    SOCKET c, s;
    char buf[4];
    tcp_pair(AF_INET, &c, &s);
    ck_assert_int_eq(shutdown(c, SD_SEND), 0);
    ck_assert_int_eq(send(c, "x", 1, 0), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAESHUTDOWN);
    ck_assert_int_eq(shutdown(s, SD_RECEIVE), 0);
    ck_assert_int_eq(recv(s, buf, 4, 0), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAESHUTDOWN);
    closesocket(c);
    closesocket(s);
    stop();
}
END_TEST

/* ---- threads ------------------------------------------------------------------------------------- */

struct blocked { SOCKET s; int result, error; _Atomic int started; };

static void *block_in_recv(void *arg)
{
    struct blocked *b = arg;
    char buf[4];
    atomic_store(&b->started, 1);
    b->result = recv(b->s, buf, sizeof(buf), 0);
    b->error = WSAGetLastError();
    return NULL;
}

static void *block_in_accept(void *arg)
{
    struct blocked *b = arg;
    atomic_store(&b->started, 1);
    b->result = accept(b->s, NULL, NULL) == INVALID_SOCKET ? SOCKET_ERROR : 0;
    b->error = WSAGetLastError();
    return NULL;
}

START_TEST(test_close_wakes_blocked_calls)
{
    start();
    SOCKET c, s;
    tcp_pair(AF_INET, &c, &s);
    struct sockaddr_storage ss;
    int len;
    SOCKET l = listener(AF_INET, &ss, &len);
    struct blocked r = { .s = s }, a = { .s = l };
    pthread_t tr, ta;
    pthread_create(&tr, NULL, block_in_recv, &r);
    pthread_create(&ta, NULL, block_in_accept, &a);
    while (!atomic_load(&r.started) || !atomic_load(&a.started))
        Sleep(1);
    Sleep(50);                          /* let both block in the kernel */
    ck_assert_int_eq(closesocket(s), 0);
    ck_assert_int_eq(closesocket(l), 0);
    pthread_join(tr, NULL);
    pthread_join(ta, NULL);
    ck_assert_int_eq(r.result, SOCKET_ERROR);
    ck_assert_int_eq(r.error, WSAEINTR);
    ck_assert_int_eq(a.result, SOCKET_ERROR);
    ck_assert_int_eq(a.error, WSAEINTR);
    closesocket(c);
    stop();
}
END_TEST

struct racer { SOCKET s; _Atomic int *go; };

static void *use_socket(void *arg)
{
    struct racer *r = arg;
    char buf[4];
    u_long n;
    while (!atomic_load(r->go))
        ;
    for (int i = 0; i < 2000; i++) {
        send(r->s, "x", 1, 0);
        recv(r->s, buf, sizeof(buf), 0);
        ioctlsocket(r->s, FIONREAD, &n);
    }
    return NULL;
}

START_TEST(test_close_while_another_thread_uses)
{
    start();
    for (int round = 0; round < 50; round++) {
        SOCKET c, s;
        tcp_pair(AF_INET, &c, &s);
        u_long on = 1;
        ioctlsocket(s, FIONBIO, &on);
        _Atomic int go = 0;
        struct racer r = { s, &go };
        pthread_t th[2];
        for (int i = 0; i < 2; i++)
            pthread_create(&th[i], NULL, use_socket, &r);
        atomic_store(&go, 1);
        closesocket(s);
        closesocket(s);            /* the second close: WSAENOTSOCK, no crash */
        for (int i = 0; i < 2; i++)
            pthread_join(th[i], NULL);
        closesocket(c);
    }
    stop();
}
END_TEST

/* WSALookupService: Windows' argument errors, the network list (one
 * NLA_INTERFACE record per network, named as the network), DNS look-ups
 * as CSADDR_INFO, a too small buffer told its size and retried or skipped,
 * and handles that are not lookups refused. */
#ifndef LUP_FLUSHPREVIOUS
#define LUP_FLUSHPREVIOUS 0x2000   /* Windows' value; Wine's header lacks it */
#endif
START_TEST(test_lookup_service_rules_and_results)
{
    static GUID by_name = { 0x0002a803, 0, 0, { 0xC0, 0, 0, 0, 0, 0, 0, 0x46 } };
    static GUID by_text = { 0x0002a801, 0, 0, { 0xC0, 0, 0, 0, 0, 0, 0, 0x46 } };
    static GUID nla = { 0x0037e515, 0xb5c9, 0x4a43, { 0xba, 0xda, 0x8b, 0x48, 0xa8, 0x7a, 0xd2, 0x39 } };
    static WCHAR localhost[] = { 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't', 0 };
    union { WSAQUERYSETW q; char bytes[4096]; } buf;
    WSAQUERYSETW q;
    HANDLE h = NULL;
    DWORD len;
    start();

    memset(&q, 0, sizeof(q));
    ck_assert_int_eq(WSALookupServiceBeginW(NULL, 0, &h), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert_int_eq(WSALookupServiceBeginW(&q, 0, NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert_int_eq(WSALookupServiceBeginW(&q, 0, &h), SOCKET_ERROR);     /* dwSize 0 */
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);
    ck_assert_int_eq(WSALookupServiceEnd(NULL), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSA_INVALID_HANDLE);
    len = sizeof(buf);
    ck_assert_int_eq(WSALookupServiceNextW((HANDLE)0xdeadbeef, 0, &len, &buf.q), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSA_INVALID_HANDLE);
    /* A socket is a handle of the same table, not a lookup. */
    SOCKET s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    ck_assert_int_eq(WSALookupServiceEnd((HANDLE)s), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSA_INVALID_HANDLE);
    int type = 0, tl = sizeof(type);
    ck_assert_int_eq(getsockopt(s, SOL_SOCKET, SO_TYPE, (char *)&type, &tl), 0);
    ck_assert_int_eq(type, SOCK_DGRAM);
    closesocket(s);

    q.dwSize = sizeof(q);
    q.dwNameSpace = NS_DNS;
    ck_assert_int_eq(WSALookupServiceBeginW(&q, LUP_RETURN_ALL, &h), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEINVAL);                       /* DNS needs a class */
    q.dwNameSpace = NS_NLA;
    q.lpServiceClassId = &by_name;
    ck_assert_int_eq(WSALookupServiceBeginW(&q, LUP_RETURN_ALL, &h), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSASERVICE_NOT_FOUND);

    /* The network list, as Wine's test asks for it (NS_ALL, no class). */
    q.dwNameSpace = NS_ALL;
    q.lpServiceClassId = NULL;
    h = (HANDLE)0xdeadbeef;
    ck_assert_int_eq(WSALookupServiceBeginW(&q, LUP_RETURN_ALL | LUP_DEEP, &h), 0);
    ck_assert_int_eq(WSAGetLastError(), 0);
    ck_assert_ptr_ne(h, (HANDLE)0xdeadbeef);
    for (;;) {
        len = sizeof(buf);
        if (WSALookupServiceNextW(h, 0, &len, &buf.q) == SOCKET_ERROR) {
            ck_assert_int_eq(WSAGetLastError(), WSA_E_NO_MORE);
            break;
        }
        ck_assert_int_eq(buf.q.dwSize, sizeof(buf.q));
        ck_assert_int_eq(buf.q.dwNameSpace, NS_NLA);
        ck_assert_ptr_nonnull(buf.q.lpszServiceInstanceName);
        ck_assert_ptr_nonnull(buf.q.lpServiceClassId);
        ck_assert(!memcmp(buf.q.lpServiceClassId, &nla, sizeof(nla)));
        ck_assert_ptr_nonnull(buf.q.lpBlob);
        const NLA_BLOB *nb = (const NLA_BLOB *)buf.q.lpBlob->pBlobData;
        ck_assert_int_eq(nb->header.type, NLA_INTERFACE);
        ck_assert_int_eq(nb->header.nextOffset, 0);
        ck_assert_int_eq(nb->header.dwSize, buf.q.lpBlob->cbSize);
        /* The network is named after its interface. */
        const char *an = nb->data.interfaceData.adapterName;
        size_t i;
        for (i = 0; an[i] && buf.q.lpszServiceInstanceName[i] == (WCHAR)an[i]; i++)
            ;
        ck_assert(!an[i] && !buf.q.lpszServiceInstanceName[i]);
    }
    ck_assert_int_eq(WSALookupServiceEnd(h), 0);
    ck_assert_int_eq(WSALookupServiceEnd(h), SOCKET_ERROR);                /* ended */
    ck_assert_int_eq(WSAGetLastError(), WSA_INVALID_HANDLE);

    /* A host by name: too small a buffer is told the size, then taken. */
    q.dwNameSpace = NS_DNS;
    q.lpServiceClassId = &by_name;
    q.lpszServiceInstanceName = localhost;
    ck_assert_int_eq(WSALookupServiceBeginW(&q, LUP_RETURN_NAME | LUP_RETURN_ADDR, &h), 0);
    len = sizeof(WSAQUERYSETW);
    ck_assert_int_eq(WSALookupServiceNextW(h, 0, &len, &buf.q), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert_uint_gt(len, sizeof(WSAQUERYSETW));
    ck_assert_uint_le(len, sizeof(buf));
    ck_assert_int_eq(WSALookupServiceNextW(h, 0, &len, &buf.q), 0);
    ck_assert_ptr_null(buf.q.lpServiceClassId);                         /* no LUP_RETURN_TYPE */
    ck_assert_ptr_null(buf.q.lpBlob);
    ck_assert_ptr_nonnull(buf.q.lpszServiceInstanceName);
    ck_assert_uint_ge(buf.q.dwNumberOfCsAddrs, 1);
    int loop = 0;
    for (DWORD i = 0; i < buf.q.dwNumberOfCsAddrs; i++) {
        const CSADDR_INFO *c = &buf.q.lpcsaBuffer[i];
        ck_assert_int_eq(c->iSocketType, SOCK_STREAM);
        ck_assert_int_eq(c->iProtocol, IPPROTO_TCP);
        ck_assert_int_eq(c->LocalAddr.lpSockaddr->sa_family, c->RemoteAddr.lpSockaddr->sa_family);
        if (c->RemoteAddr.lpSockaddr->sa_family == AF_INET)
            loop |= ((struct sockaddr_in *)c->RemoteAddr.lpSockaddr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
        else
            loop |= IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)c->RemoteAddr.lpSockaddr)->sin6_addr);
    }
    ck_assert(loop);
    len = sizeof(buf);
    ck_assert_int_eq(WSALookupServiceNextW(h, 0, &len, &buf.q), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSA_E_NO_MORE);
    ck_assert_int_eq(WSALookupServiceEnd(h), 0);

    /* ANSI, numeric text: one address; LUP_FLUSHPREVIOUS drops a result
     * that did not fit. */
    WSAQUERYSETA qa;
    memset(&qa, 0, sizeof(qa));
    qa.dwSize = sizeof(qa);
    qa.dwNameSpace = NS_ALL;
    qa.lpServiceClassId = &by_text;
    qa.lpszServiceInstanceName = (char *)"localhost";
    ck_assert_int_eq(WSALookupServiceBeginA(&qa, LUP_RETURN_ADDR, &h), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAHOST_NOT_FOUND);
    qa.lpszServiceInstanceName = (char *)"127.0.0.1";
    ck_assert_int_eq(WSALookupServiceBeginA(&qa, LUP_RETURN_ADDR | LUP_RETURN_NAME | LUP_RETURN_TYPE, &h), 0);
    union { WSAQUERYSETA q; char bytes[1024]; } abuf;
    len = sizeof(abuf);
    ck_assert_int_eq(WSALookupServiceNextA(h, 0, &len, &abuf.q), 0);
    ck_assert_str_eq(abuf.q.lpszServiceInstanceName, "127.0.0.1");
    ck_assert(!memcmp(abuf.q.lpServiceClassId, &by_text, sizeof(by_text)));
    ck_assert_int_eq(abuf.q.dwNumberOfCsAddrs, 1);
    ck_assert_int_eq(((struct sockaddr_in *)abuf.q.lpcsaBuffer[0].RemoteAddr.lpSockaddr)->sin_addr.s_addr,
                     htonl(INADDR_LOOPBACK));
    ck_assert_int_eq(WSALookupServiceEnd(h), 0);
    ck_assert_int_eq(WSALookupServiceBeginA(&qa, LUP_RETURN_ADDR, &h), 0);
    len = 8;
    ck_assert_int_eq(WSALookupServiceNextA(h, 0, &len, &abuf.q), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert_int_eq(WSALookupServiceNextA(h, LUP_FLUSHPREVIOUS, &len, &abuf.q), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSA_E_NO_MORE);
    ck_assert_int_eq(WSALookupServiceNextA(h, 0, NULL, &abuf.q), SOCKET_ERROR);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert_int_eq(WSALookupServiceEnd(h), 0);
    stop();
}
END_TEST

/* Memory the library reads or fills itself, handed over unusable (the
 * first page, or a sockaddr running into an unmapped page): WSAEFAULT
 * from each call, as Windows answers, and the socket goes on: the
 * connection a faulted accept saw is still there, the data a faulted
 * receive saw is still there, closesocket returns. */
START_TEST(test_bad_pointers_fail_with_wsaefault)
{
    void *bad = (void *)1;
    char *pages = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(pages, MAP_FAILED);
    ck_assert_int_eq(munmap(pages + 4096, 4096), 0);
    struct sockaddr_in *edge = (struct sockaddr_in *)(pages + 4096 - 8);
    memset(edge, 0, 8);
    edge->sin_family = AF_INET;
    start();
    struct sockaddr_storage la;
    SOCKET l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    int len = loopback(AF_INET, &la);
    ck_assert_int_eq(bind(l, (struct sockaddr *)&la, len), 0);
    ck_assert_int_eq(listen(l, 4), 0);
    ck_assert_int_eq(getsockname(l, (struct sockaddr *)&la, &len), 0);
    SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
#define FAULTS(call) do { ck_assert_int_eq((call), SOCKET_ERROR); ck_assert_int_eq(WSAGetLastError(), WSAEFAULT); } while (0)
    FAULTS(bind(s, (struct sockaddr *)edge, sizeof(struct sockaddr_in)));
    FAULTS(connect(s, (struct sockaddr *)edge, sizeof(struct sockaddr_in)));
    FAULTS(setsockopt(s, SOL_SOCKET, SO_RCVBUF, bad, sizeof(int)));
    int ol = sizeof(int);
    FAULTS(getsockopt(s, SOL_SOCKET, SO_RCVBUF, bad, &ol));
    FAULTS(getsockopt(s, SOL_SOCKET, SO_RCVBUF, (char *)&ol, bad));
    FAULTS(ioctlsocket(s, FIONBIO, bad));
    ck_assert_int_eq(connect(s, (struct sockaddr *)&la, len), 0);
    struct sockaddr_in got;
    int gl = sizeof(got);
    FAULTS(getsockname(s, bad, &gl));
    FAULTS(getpeername(s, (struct sockaddr *)&got, bad));
    ck_assert(accept(l, bad, &gl) == INVALID_SOCKET);
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    SOCKET p = accept(l, NULL, NULL);                  /* the connection is still queued */
    ck_assert(p != INVALID_SOCKET);

    DWORD n, flags = 0;
    char buf[16];
    WSABUF wb = { 10, bad }, rb = { sizeof(buf), buf };
    FAULTS(send(s, bad, 10, 0));
    FAULTS(WSASend(s, bad, 1, &n, 0, NULL, NULL));
    FAULTS(WSASend(s, &wb, 1, &n, 0, NULL, NULL));
    FAULTS(WSASend(s, &rb, 1, bad, 0, NULL, NULL));
    ck_assert_int_eq(send(p, "abc", 3, 0), 3);
    FAULTS(recv(s, bad, 10, 0));
    FAULTS(WSARecv(s, bad, 1, &n, &flags, NULL, NULL));
    FAULTS(WSARecv(s, &rb, 1, &n, bad, NULL, NULL));
    FAULTS(WSARecv(s, &rb, 1, &n, &flags, bad, NULL));
    ck_assert_int_eq(WSARecv(s, &rb, 1, &n, &flags, NULL, NULL), 0);   /* the data is still there */
    ck_assert_uint_eq(n, 3);

    struct timeval tv = { 0, 0 };
    FAULTS(select(0, bad, NULL, NULL, &tv));
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(s, &rd);
    FAULTS(select(0, &rd, NULL, NULL, bad));
    FAULTS(WSAPoll(bad, 1, 0));
    WSAEVENT ev = WSACreateEvent();
    FAULTS(WSAEnumNetworkEvents(s, ev, bad));
    WSACloseEvent(ev);
    GUID acceptex = WSAID_ACCEPTEX;
    void *fn = NULL;
    (void)acceptex;
    FAULTS(WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, edge, sizeof(GUID), &fn, sizeof(fn), &n, NULL, NULL));
    FAULTS(WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &acceptex, sizeof(GUID), bad, sizeof(fn), &n, NULL,
                    NULL));
    /* A code checks only the memory it uses: FIONBIO has no output. */
    char *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    u_long off = 0;
    ck_assert_int_eq(WSAIoctl(s, FIONBIO, &off, sizeof(off), none, 4, &n, NULL, NULL), 0);
    FAULTS(WSAIoctl(s, FIONREAD, NULL, 0, none, 4, &n, NULL, NULL));
    munmap(none, 4096);

    SOCKET u = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    struct sockaddr_storage ua;
    int ul = loopback(AF_INET, &ua);
    ck_assert_int_eq(bind(u, (struct sockaddr *)&ua, ul), 0);
    ck_assert_int_eq(getsockname(u, (struct sockaddr *)&ua, &ul), 0);
    FAULTS(sendto(u, "x", 1, 0, (struct sockaddr *)edge, sizeof(struct sockaddr_in)));
    ck_assert_int_eq(sendto(u, "y", 1, 0, (struct sockaddr *)&ua, ul), 1);
    gl = sizeof(got);
    FAULTS(recvfrom(u, buf, sizeof(buf), 0, bad, &gl));
    ck_assert_int_eq(recvfrom(u, buf, sizeof(buf), 0, NULL, NULL), 1);   /* the datagram is still there */
    ck_assert_int_eq(WSAStartup(MAKEWORD(2, 2), bad), WSAEFAULT);

    /* The calls around sockets that fill structures of their own. */
    WSAOVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    ck_assert(!WSAGetOverlappedResult(s, bad, &n, FALSE, &flags));
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    ck_assert(!WSAGetOverlappedResult(s, &ov, bad, FALSE, &flags));
    ck_assert_int_eq(WSAGetLastError(), WSAEFAULT);
    FAULTS(WSADuplicateSocketA(s, GetCurrentProcessId(), bad));
    FAULTS(gethostname(bad, 256));
    struct addrinfo *res = NULL;
    ck_assert_int_eq(getaddrinfo("localhost", NULL, bad, &res), WSAEFAULT);
    ck_assert_int_eq(getaddrinfo("localhost", NULL, NULL, bad), WSAEFAULT);
    char host[64];
    ck_assert_int_eq(getnameinfo((struct sockaddr *)edge, sizeof(struct sockaddr_in), host, sizeof(host), NULL, 0,
                                 NI_NUMERICHOST), WSAEFAULT);
    ck_assert_int_eq(getnameinfo((struct sockaddr *)&la, len, bad, sizeof(host), NULL, 0, NI_NUMERICHOST),
                     WSAEFAULT);
    DWORD tl = sizeof(host);
    FAULTS(WSAAddressToStringA((struct sockaddr *)edge, sizeof(struct sockaddr_in), NULL, host, &tl));
    FAULTS(WSAAddressToStringA((struct sockaddr *)&la, len, NULL, bad, &tl));
    int al = sizeof(got);
    FAULTS(WSAStringToAddressA((char *)"127.0.0.1", AF_INET, NULL, bad, &al));
    DWORD pl = 100000;
    FAULTS(WSAEnumProtocolsA(NULL, bad, &pl));
#undef FAULTS
    ck_assert_int_eq(closesocket(u), 0);
    ck_assert_int_eq(closesocket(s), 0);
    ck_assert_int_eq(closesocket(p), 0);
    ck_assert_int_eq(closesocket(l), 0);
    munmap(pages, 4096);
    stop();
}
END_TEST

int main(void)
{
    if (ws2_test_uring_missing())
        return 77;
    Suite *s = suite_create("ws2");
    TCase *tc = tcase_create("ws2");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_startup_negotiates_versions);
    tcase_add_test(tc, test_calls_before_startup_fail);
    tcase_add_test(tc, test_last_cleanup_closes_open_sockets);
    tcase_add_test(tc, test_socket_values_shaped_like_handles);
    tcase_add_test(tc, test_socket_bad_arguments);
    tcase_add_test(tc, test_tcp_echo_ipv4);
    tcase_add_test(tc, test_tcp_echo_ipv6);
    tcase_add_test(tc, test_tcp_large_blocking_send_completes_whole);
    tcase_add_test(tc, test_udp_ipv4);
    tcase_add_test(tc, test_udp_ipv6);
    tcase_add_test(tc, test_ipv6_socket_is_v6only);
    tcase_add_test(tc, test_wsasend_wsarecv_scatter_gather);
    tcase_add_test(tc, test_nonblocking_calls_would_block);
    tcase_add_test(tc, test_nonblocking_connect_completes_without_second_connect);
    tcase_add_test(tc, test_select_read_write_and_listen);
    tcase_add_test(tc, test_select_failed_connect_is_exception);
    tcase_add_test(tc, test_select_unconnected_socket_not_ready);
    tcase_add_test(tc, test_select_bad_input);
    tcase_add_test(tc, test_wsapoll_readiness_and_invalid);
    tcase_add_test(tc, test_wsapoll_hangup_is_the_peers);
    tcase_add_test(tc, test_select_and_wsapoll_woken_by_closesocket);
    tcase_add_test(tc, test_select_dedupes_and_takes_aliased_sets);
    tcase_add_test(tc, test_sockopt_v6only_on_ipv4_is_accepted);
    tcase_add_test(tc, test_sockopt_oobinline_does_not_return_a_taken_urgent_byte);
    tcase_add_test(tc, test_bind_old_sockaddr_in6_and_udp_unconnect);
    tcase_add_test(tc, test_wsasend_checks_socket_before_count);
    tcase_add_test(tc, test_accept_inherits_listener_options);
    tcase_add_test(tc, test_wsaconnectbyname_connects_gives_portless_local_and_checks_arguments);
    tcase_add_test(tc, test_event_select_fd_read_after_peer_close_with_data_left);
    tcase_add_test(tc, test_wsapoll_failed_connect_and_bad_input);
    tcase_add_test(tc, test_options_bool_and_int_round_trip);
    tcase_add_test(tc, test_options_read_only_values);
    tcase_add_test(tc, test_options_linger_windows_layout);
    tcase_add_test(tc, test_options_receive_timeout_in_ms);
    tcase_add_test(tc, test_options_reuse_and_exclusive);
    tcase_add_test(tc, test_reuseaddr_windows_meaning);
    tcase_add_test(tc, test_rebind_port_in_time_wait);
    tcase_add_test(tc, test_options_multicast_membership);
    tcase_add_test(tc, test_options_bad_input);
    tcase_add_test(tc, test_resolve_localhost_ipv6_first);
    tcase_add_test(tc, test_resolve_numeric_and_passive);
    tcase_add_test(tc, test_resolve_errors_are_wsa_codes);
    tcase_add_test(tc, test_resolve_wide_forms);
    tcase_add_test(tc, test_resolve_getaddrinfoex_sync_and_overlapped);
    tcase_add_test(tc, test_getnameinfo_names_and_numbers);
    tcase_add_test(tc, test_hostent_servent_protoent);
    tcase_add_test(tc, test_address_text_conversions);
    tcase_add_test(tc, test_wsaevents_manual_reset_and_multiple_waits);
    tcase_add_test(tc, test_wsawait_alertable_runs_apcs);
    tcase_add_test(tc, test_af_unix_stream_round_trip);
    tcase_add_test(tc, test_eventselect_accept_read_rearm_close);
    tcase_add_test(tc, test_eventselect_write_latched_until_wouldblock);
    tcase_add_test(tc, test_eventselect_read_recorded_again_when_data_remains);
    tcase_add_test(tc, test_enum_network_events_sees_a_reset_at_once);
    tcase_add_test(tc, test_recvfrom_on_a_stream_ignores_its_source_buffer);
    tcase_add_test(tc, test_eventselect_connect_results);
    tcase_add_test(tc, test_eventselect_reset_close_has_error);
    tcase_add_test(tc, test_eventselect_bad_input_and_cancel);
    tcase_add_test(tc, test_catalog_enumerates_transports);
    tcase_add_test(tc, test_wsaioctl_codes);
    tcase_add_test(tc, test_wsaaccept_condition_function);
    tcase_add_test(tc, test_wsaconnect_and_duplicate_socket);
    tcase_add_test(tc, test_small_winsock2_calls);
    tcase_add_test(tc, test_not_yet_exports_fail_cleanly);
    tcase_add_test(tc, test_bad_invalid_and_closed_socket);
    tcase_add_test(tc, test_bad_addresses_and_lengths);
    tcase_add_test(tc, test_bad_call_order);
    tcase_add_test(tc, test_connect_to_closed_port_refused);
    tcase_add_test(tc, test_send_and_recv_after_shutdown);
    tcase_add_test(tc, test_close_wakes_blocked_calls);
    tcase_add_test(tc, test_close_while_another_thread_uses);
    tcase_add_test(tc, test_socket_creation_rules_as_windows);
    tcase_add_test(tc, test_success_clears_last_error_and_options_as_windows);
    tcase_add_test(tc, test_connect_time_after_blocking_connect);
    tcase_add_test(tc, test_connect_refuses_the_any_address);
    tcase_add_test(tc, test_duplicate_socket_argument_order);
    tcase_add_test(tc, test_duplicate_socket_into_another_process);
    tcase_add_test(tc, test_lookup_service_rules_and_results);
    tcase_add_test(tc, test_bad_pointers_fail_with_wsaefault);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
