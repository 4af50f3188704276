/*
 * A select()-based echo server serving several clients from one thread,
 * as Windows programs wrote them for decades.  The clients live in the same
 * loop (non-blocking), so the program checks itself: every client gets its
 * own message back.  Built natively with cc + pkg-config ws2uring.
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <stdio.h>
#include <string.h>

#define CLIENTS 5

static int fail(const char *what)
{
    printf("select_server: %s failed: %d\n", what, WSAGetLastError());
    return 1;
}

int main(void)
{
    WSADATA data;
    struct sockaddr_in addr = { .sin_family = AF_INET };
    int len = sizeof(addr);
    SOCKET listener, served[CLIENTS], clients[CLIENTS];
    char msg[CLIENTS][16];
    int got[CLIENTS] = { 0 }, nserved = 0, done = 0;
    u_long on = 1;

    if (WSAStartup(MAKEWORD(2, 2), &data))
        return fail("WSAStartup");
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    listener = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (bind(listener, (struct sockaddr *)&addr, len) || getsockname(listener, (struct sockaddr *)&addr, &len) ||
        listen(listener, SOMAXCONN) || ioctlsocket(listener, FIONBIO, &on))
        return fail("listen");
    for (int i = 0; i < CLIENTS; i++) {
        clients[i] = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
        ioctlsocket(clients[i], FIONBIO, &on);
        if (connect(clients[i], (struct sockaddr *)&addr, len) == SOCKET_ERROR &&
            WSAGetLastError() != WSAEWOULDBLOCK)
            return fail("connect");
        snprintf(msg[i], sizeof(msg[i]), "client-%d", i);
    }
    int sent[CLIENTS] = { 0 };
    for (int rounds = 0; done < CLIENTS && rounds < 1000; rounds++) {
        fd_set rd, wr;
        struct timeval tv = { 5, 0 };
        FD_ZERO(&rd);
        FD_ZERO(&wr);
        FD_SET(listener, &rd);
        for (int i = 0; i < nserved; i++)
            FD_SET(served[i], &rd);
        for (int i = 0; i < CLIENTS; i++) {
            if (!sent[i])
                FD_SET(clients[i], &wr);      /* connected once writable */
            else if (got[i] == 0)
                FD_SET(clients[i], &rd);
        }
        int n = select(0, &rd, &wr, NULL, &tv);
        if (n <= 0)
            return fail("select");
        if (FD_ISSET(listener, &rd) && nserved < CLIENTS) {
            SOCKET s = accept(listener, NULL, NULL);
            if (s != INVALID_SOCKET)
                served[nserved++] = s;
        }
        for (int i = 0; i < nserved; i++) {
            char buf[64];
            if (!FD_ISSET(served[i], &rd))
                continue;
            int r = recv(served[i], buf, sizeof(buf), 0);
            if (r > 0)
                send(served[i], buf, r, 0);   /* echo */
        }
        for (int i = 0; i < CLIENTS; i++) {
            if (FD_ISSET(clients[i], &wr) && !sent[i]) {
                if (send(clients[i], msg[i], (int)strlen(msg[i]), 0) != (int)strlen(msg[i]))
                    return fail("client send");
                sent[i] = 1;
            }
            if (FD_ISSET(clients[i], &rd) && !got[i]) {
                char buf[64];
                int r = recv(clients[i], buf, sizeof(buf), 0);
                if (r != (int)strlen(msg[i]) || memcmp(buf, msg[i], (size_t)r))
                    return fail("echo check");
                got[i] = 1;
                done++;
            }
        }
    }
    if (done != CLIENTS)
        return fail("all clients");
    for (int i = 0; i < CLIENTS; i++) {
        closesocket(clients[i]);
        closesocket(served[i]);
    }
    closesocket(listener);
    WSACleanup();
    printf("select_server: %d clients echoed from one select() loop: ok\n", CLIENTS);
    return 0;
}
