/* Shared by ws2/'s Windows-facing files (they include winsock2.h first). */
#ifndef W2U_WS2_WIN32_H
#define W2U_WS2_WIN32_H

/* An export whose name glibc does not have. */
#define WSAAPI_EXPORT W2U_EXPORT

/* Defines ws2u_NAME and exports it also as __wrap_NAME, for names glibc
 * exports too (see ws2_win32.c and WS2URING_WRAPPED in meson.build). */
#define WRAPPED(ret, name, args) \
    W2U_EXPORT ret WINAPI ws2u_##name args; \
    W2U_EXPORT ret WINAPI __wrap_##name args __attribute__((alias("ws2u_" #name))); \
    W2U_EXPORT ret WINAPI ws2u_##name args

/* Sets the thread's WSA error and returns SOCKET_ERROR. */
static inline int result_error(int err)
{
    w2u_set_error((uint32_t)err);
    return -1;
}

/* The one place a Winsock call's outcome becomes its result and the
 * thread's last error: r < 0 is a WSA error (SOCKET_ERROR returned);
 * otherwise r is returned and the error cleared, as Windows' ws2_32 does
 * after every call it hands to its provider (Wine's tests check it). */
static inline int ws2_result(int r)
{
    if (r < 0)
        return result_error(-r);
    w2u_set_error(0);
    return r;
}

/* Program memory a call reads (in) or fills (out) itself, checked when it
 * starts (see w2u_user_readable); NULL passes, for the call's own
 * missing-pointer rule. */
static inline bool user_in(const void *p, size_t n)
{
    return !p || w2u_user_readable(p, n);
}

static inline bool user_out(void *p, size_t n)
{
    return !p || w2u_user_writable(p, n);
}

/* A sockaddr the call fills and its length, which it reads first. */
static inline bool user_addr_out(void *addr, int *len)
{
    if (!user_out(len, sizeof(*len)))
        return false;
    return !addr || !len || *len <= 0 || w2u_user_writable(addr, (size_t)*len);
}

/* A sockaddr the call reads: len bytes, as far as any address goes. */
static inline bool user_addr_in(const void *addr, int len)
{
    return len <= 0 || user_in(addr, (size_t)(len < 128 ? len : 128));
}

/* A pointer missing or one the call cannot use: -WSAEFAULT, unless the
 * socket itself is not one (Windows looks at the socket first). */
static inline int user_fault(SOCKET s)
{
    int v = ws2_is_nonblocking(s);
    return v < 0 ? v : -W2U_WSAEFAULT;
}

/* A WSAMSG's own memory: the header (read; a receive writes lengths and
 * flags back into it), the WSABUF array, the name and the control buffer
 * (a receive fills both, a send reads both). */
static inline bool user_msg(WSAMSG *msg, bool receive)
{
    if (!msg)
        return true;
    if (receive ? !user_out(msg, sizeof(*msg)) : !user_in(msg, sizeof(*msg)))
        return false;
    if (!user_in(msg->lpBuffers, (size_t)msg->dwBufferCount * sizeof(WSABUF)))
        return false;
    if (receive)
        return user_out(msg->name, msg->namelen > 0 ? (size_t)msg->namelen : 0) &&
               user_out(msg->Control.buf, msg->Control.len);
    return user_addr_in(msg->name, msg->namelen) && user_in(msg->Control.buf, msg->Control.len);
}

/* SO_PROTOCOL_INFOA/W for getsockopt (catalog_win32.c): 0 or -WSA error. */
int ws2_win32_protocol_info(SOCKET s, int name, char *value, int *len);

/* WSARecvMsg (ws2_win32.c), handed out by WSAIoctl (ioctl_win32.c). */
INT WINAPI ws2_win32_recv_msg(SOCKET s, WSAMSG *msg, DWORD *received, WSAOVERLAPPED *ov,
                              LPWSAOVERLAPPED_COMPLETION_ROUTINE routine);
#endif
