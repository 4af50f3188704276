/* The API layer: what every Winsock call does before the transport sees it.
 * Start-up is checked and the SOCKET resolved once (a reference held for
 * the call); then the call goes to the provider of the socket's catalog
 * entry, as ws2_32 calls a WSPPROC_TABLE. */
#include "ws2_private.h"

/* Each call below resolves its SOCKET (ws2_socket_get: a reference for the
 * call, or the error), calls the socket's provider, and gives the result
 * through done, which drops the reference. */
static int done(struct ws2_socket *s, int r)
{
    ws2_socket_put(s);
    return r;
}

/* Windows' socket(): zeros are filled from the first catalog entry that
 * serves what is given; then the order of its refusals (Wine's sock.c
 * test_WSASocket pins it on Windows) is: a negative family, an unknown
 * type, an unknown family, an unknown protocol, then a combination no
 * entry serves. */
int ws2_socket_create(int af, int type, int protocol, uint32_t flags, uintptr_t *out)
{
    int r = ws2_check_started();
    if (r < 0)
        return r;
    if (!af && !protocol)
        return -W2U_WSAEINVAL;
    const struct ws2_catalog_entry *e = ws2_catalog_find(af, type, protocol);
    if (e && (!af || !type || !protocol)) {
        af = af ? af : e->af;
        type = type ? type : e->type;
        protocol = protocol ? protocol : e->protocol;
    }
    if (af < 0)
        return -W2U_WSAEAFNOSUPPORT;
    if (type < 0 || type > W2U_SOCK_SEQPACKET)
        return -W2U_WSAESOCKTNOSUPPORT;
    if (af && ws2_af_to_linux(af) < 0)
        return -W2U_WSAEAFNOSUPPORT;
    if (protocol < 0 || protocol > 255)
        return -W2U_WSAEPROTONOSUPPORT;
    if (!type)
        return -W2U_WSAESOCKTNOSUPPORT;
    if (!af)
        return -W2U_WSAEAFNOSUPPORT;
    if (!(e = ws2_catalog_find(af, type, protocol)))
        return ws2_catalog_find(af, type, 0) ? -W2U_WSAEPROTONOSUPPORT : -W2U_WSAESOCKTNOSUPPORT;
    return e->provider->socket(e, protocol, flags, out);
}

int ws2_bind(uintptr_t h, const void *addr, int len)
{
    struct ws2_socket *s;
    int r = ws2_socket_get(h, &s);
    return r < 0 ? r : done(s, s->entry->provider->bind(s, addr, len));
}

int ws2_listen(uintptr_t h, int backlog)
{
    struct ws2_socket *s;
    int r = ws2_socket_get(h, &s);
    return r < 0 ? r : done(s, s->entry->provider->listen(s, backlog));
}

int ws2_accept(uintptr_t h, void *addr, int *len, uintptr_t *out)
{
    struct ws2_socket *s;
    int r = ws2_socket_get(h, &s);
    return r < 0 ? r : done(s, s->entry->provider->accept(s, addr, len, out));
}

int ws2_connect(uintptr_t h, const void *addr, int len)
{
    struct ws2_socket *s;
    int r = ws2_socket_get(h, &s);
    return r < 0 ? r : done(s, s->entry->provider->connect(s, addr, len));
}

int ws2_shutdown(uintptr_t h, int how)
{
    struct ws2_socket *s;
    int r = ws2_socket_get(h, &s);
    return r < 0 ? r : done(s, s->entry->provider->shutdown(s, how));
}

int ws2_send(uintptr_t h, const struct ws2_buf *bufs, unsigned count, int flags,
             const void *addr, int addrlen)
{
    struct ws2_socket *s;
    int r = ws2_socket_get(h, &s);
    return r < 0 ? r : done(s, s->entry->provider->send(s, bufs, count, flags, addr, addrlen));
}

int ws2_recv(uintptr_t h, const struct ws2_buf *bufs, unsigned count, int *flags,
             void *addr, int *addrlen)
{
    struct ws2_socket *s;
    int r = ws2_socket_get(h, &s);
    return r < 0 ? r : done(s, s->entry->provider->recv(s, bufs, count, flags, addr, addrlen));
}

int ws2_getsockname(uintptr_t h, void *addr, int *len)
{
    struct ws2_socket *s;
    int r = ws2_socket_get(h, &s);
    return r < 0 ? r : done(s, s->entry->provider->getsockname(s, addr, len));
}

int ws2_getpeername(uintptr_t h, void *addr, int *len)
{
    struct ws2_socket *s;
    int r = ws2_socket_get(h, &s);
    return r < 0 ? r : done(s, s->entry->provider->getpeername(s, addr, len));
}

int ws2_ioctl(uintptr_t h, uint32_t cmd, uint32_t *arg)
{
    struct ws2_socket *s;
    int r = ws2_socket_get(h, &s);
    return r < 0 ? r : done(s, s->entry->provider->ioctl(s, cmd, arg));
}

int ws2_getsockopt(uintptr_t h, int level, int name, void *val, int *len)
{
    if (ws2_opentype_option(level, name)) {
        int r = ws2_check_started();
        return r < 0 ? r : ws2_opentype_get(val, len);
    }
    struct ws2_socket *s;
    int r = ws2_socket_get(h, &s);
    return r < 0 ? r : done(s, s->entry->provider->getsockopt(s, level, name, val, len));
}

int ws2_setsockopt(uintptr_t h, int level, int name, const void *val, int len)
{
    if (ws2_opentype_option(level, name)) {
        int r = ws2_check_started();
        return r < 0 ? r : ws2_opentype_set(val, len);
    }
    struct ws2_socket *s;
    int r = ws2_socket_get(h, &s);
    return r < 0 ? r : done(s, s->entry->provider->setsockopt(s, level, name, val, len));
}

int ws2_event_select(uintptr_t h, uintptr_t event, uint32_t mask)
{
    if (mask & W2U_ES_MESSAGE)
        return -W2U_WSAEINVAL;
    struct ws2_socket *s;
    int r = ws2_socket_get(h, &s);
    return r < 0 ? r : done(s, s->entry->provider->event_select(s, event, mask));
}

int ws2_message_select(uintptr_t h, uintptr_t event, uint32_t mask)
{
    if (mask & W2U_ES_MESSAGE)
        return -W2U_WSAEINVAL;
    struct ws2_socket *s;
    int r = ws2_socket_get(h, &s);
    return r < 0 ? r : done(s, s->entry->provider->event_select(s, event, mask | (mask ? W2U_ES_MESSAGE : 0)));
}

/* For a host that posts WSAAsyncSelect's messages itself (the Wine glue). */
W2U_EXPORT int ws2uring_message_select(uintptr_t s, uintptr_t event, uint32_t mask)
{
    return ws2_message_select(s, event, mask);
}

int ws2_enum_network_events(uintptr_t h, uintptr_t event, struct ws2_network_events *out)
{
    struct ws2_socket *s;
    int r = ws2_socket_get(h, &s);
    return r < 0 ? r : done(s, s->entry->provider->enum_network_events(s, event, out));
}

int ws2_duplicate_prepare(uintptr_t h, uint32_t pid, struct ws2_dup_token *token)
{
    struct ws2_socket *s;
    int r = ws2_socket_get(h, &s);
    return r < 0 ? r : done(s, s->entry->provider->duplicate(s, pid, token));
}

int ws2_poll(struct ws2_poll_entry *e, unsigned n, int64_t deadline, bool select_mode)
{
    int r = ws2_check_started();
    if (r < 0)
        return r;
    /* As ws2_32 does: the provider of the first socket serves the call. */
    const struct ws2_provider *p = &ws2_uring_provider;
    for (unsigned i = 0; i < n; i++) {
        struct ws2_socket *s;
        if (ws2_socket_get(e[i].socket, &s) == 0) {
            p = s->entry->provider;
            ws2_socket_put(s);
            break;
        }
    }
    return p->select(e, n, deadline, select_mode);
}
