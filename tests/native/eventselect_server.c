/*
 * A WSAEventSelect echo server: one event per socket, one thread waiting in
 * WSAWaitForMultipleEvents and reading WSAEnumNetworkEvents, as Windows
 * servers do.  Clients connect, send, read their echo and close; the server
 * sees FD_ACCEPT, FD_READ and FD_CLOSE for each.  Built natively with
 * cc + pkg-config ws2uring.
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <stdio.h>
#include <string.h>

#define CLIENTS 4

static int fail(const char *what)
{
    printf("eventselect_server: %s failed: %d\n", what, WSAGetLastError());
    return 1;
}

int main(void)
{
    WSADATA data;
    struct sockaddr_in6 addr = { .sin6_family = AF_INET6 };
    int len = sizeof(addr);
    SOCKET socks[1 + CLIENTS], clients[CLIENTS];
    WSAEVENT events[1 + CLIENTS];
    int nsocks = 1, closed = 0, echoed = 0;

    if (WSAStartup(MAKEWORD(2, 2), &data))
        return fail("WSAStartup");
    addr.sin6_addr.s6_addr[15] = 1;                 /* ::1 */
    socks[0] = socket(AF_INET6, SOCK_STREAM, 0);
    if (bind(socks[0], (struct sockaddr *)&addr, len) || getsockname(socks[0], (struct sockaddr *)&addr, &len) ||
        listen(socks[0], SOMAXCONN))
        return fail("listen");
    events[0] = WSACreateEvent();
    if (WSAEventSelect(socks[0], events[0], FD_ACCEPT))
        return fail("WSAEventSelect");
    for (int i = 0; i < CLIENTS; i++) {
        clients[i] = socket(AF_INET6, SOCK_STREAM, 0);
        if (connect(clients[i], (struct sockaddr *)&addr, len))
            return fail("connect");
        if (send(clients[i], "ping", 4, 0) != 4)
            return fail("client send");
    }
    while (closed < CLIENTS) {
        DWORD w = WSAWaitForMultipleEvents((DWORD)nsocks, events, FALSE, 5000, FALSE);
        if (w == WSA_WAIT_TIMEOUT || w == WSA_WAIT_FAILED)
            return fail("wait");
        int i = (int)(w - WSA_WAIT_EVENT_0);
        WSANETWORKEVENTS ne;
        if (WSAEnumNetworkEvents(socks[i], events[i], &ne))
            return fail("WSAEnumNetworkEvents");
        if ((ne.lNetworkEvents & FD_ACCEPT) && nsocks < 1 + CLIENTS) {
            SOCKET s = accept(socks[0], NULL, NULL);
            if (s == INVALID_SOCKET)
                return fail("accept");
            events[nsocks] = WSACreateEvent();
            if (WSAEventSelect(s, events[nsocks], FD_READ | FD_CLOSE))
                return fail("select accepted");
            socks[nsocks++] = s;
        }
        if (ne.lNetworkEvents & FD_READ) {
            char buf[64];
            int r = recv(socks[i], buf, sizeof(buf), 0);
            if (r > 0 && send(socks[i], buf, r, 0) == r) {
                echoed++;
                /* The client reads its echo and hangs up: FD_CLOSE follows. */
                for (int c = 0; c < CLIENTS; c++) {
                    char back[8];
                    u_long avail = 0;
                    if (clients[c] != INVALID_SOCKET && ioctlsocket(clients[c], FIONREAD, &avail) == 0 && avail) {
                        if (recv(clients[c], back, sizeof(back), 0) != 4 || memcmp(back, "ping", 4))
                            return fail("echo check");
                        closesocket(clients[c]);
                        clients[c] = INVALID_SOCKET;
                    }
                }
            }
        }
        if (ne.lNetworkEvents & FD_CLOSE) {
            if (ne.iErrorCode[FD_CLOSE_BIT] != 0)
                return fail("graceful close");
            closed++;
        }
    }
    for (int i = 0; i < nsocks; i++) {
        closesocket(socks[i]);
        WSACloseEvent(events[i]);
    }
    for (int c = 0; c < CLIENTS; c++)
        if (clients[c] != INVALID_SOCKET)
            return fail("a client was never echoed");
    WSACleanup();
    printf("eventselect_server: %d clients over IPv6, %d echoes, %d FD_CLOSE: ok\n", CLIENTS, echoed, closed);
    return 0;
}
