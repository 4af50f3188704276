/* Socket objects and the synchronous calls (see ws2.h for the model). */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../iocp/iocp.h"
#include "ws2.h"
#include "ws2_private.h"

int ws2_errno(void)
{
    return -(int)w2u_errno_to_wsa(errno);
}

int ws2_send_errno(struct ws2_socket *s, int e)
{
    /* EPIPE is the table's WSAESHUTDOWN only after our own shutdown; a
     * peer that reset or closed is WSAECONNRESET on Windows. */
    if (e == EPIPE && !ws2_is(s, W2U_ST_SHUT_SEND))
        return -W2U_WSAECONNRESET;
    return -(int)w2u_errno_to_wsa(e);
}

/* ---- object life ------------------------------------------------------------ */

static void socket_close(struct w2u_object *obj)
{
    struct ws2_socket *s = W2U_CONTAINER_OF(obj, struct ws2_socket, obj);
    ws2_es_detach(s);
    /* Every overlapped operation completes, once, with STATUS_CANCELLED;
     * so does an AcceptEx into this socket, on its listener. */
    ws2_cancel_all(s);
    ws2_accept_socket_closing(s);
    pthread_mutex_lock(&s->lock);
    uintptr_t deferred = s->deferred;
    s->deferred = 0;
    pthread_mutex_unlock(&s->lock);
    if (deferred)
        w2u_handle_close(deferred);    /* a deferred connection dies with its listener */
    pthread_mutex_lock(&s->lock);
    atomic_store(&s->closing, true);
    /* Threads blocked in this socket wake up and fail with WSAEINTR. */
    if (s->wake_fd >= 0)
        eventfd_write(s->wake_fd, 1);
    pthread_mutex_unlock(&s->lock);
}

static void socket_destroy(struct w2u_object *obj)
{
    struct ws2_socket *s = W2U_CONTAINER_OF(obj, struct ws2_socket, obj);
    ws2_bind_forget(s);
    iocp_binding_release(&s->binding);
    close(s->fd);
    if (s->wake_fd >= 0)
        close(s->wake_fd);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static const struct w2u_object_ops socket_ops = {
    .type = W2U_OBJ_SOCKET,
    .name = "socket",
    .close = socket_close,
    .destroy = socket_destroy,
};

int ws2_socket_get(uintptr_t h, struct ws2_socket **out)
{
    int r = ws2_check_started();
    *out = NULL;
    if (r < 0)
        return r;
    struct w2u_object *obj = w2u_handle_get(h, W2U_OBJ_SOCKET);
    if (!obj)
        return -W2U_WSAENOTSOCK;
    *out = W2U_CONTAINER_OF(obj, struct ws2_socket, obj);
    return 0;
}

void ws2_socket_put(struct ws2_socket *s)
{
    w2u_object_unref(&s->obj);
}

int ws2_is_nonblocking(uintptr_t h)
{
    struct ws2_socket *s;
    int r = ws2_socket_get(h, &s);
    if (r < 0)
        return r;
    r = atomic_load(&s->nonblocking);
    ws2_socket_put(s);
    return r;
}

int ws2_is_stream(uintptr_t h)
{
    struct ws2_socket *s;
    int r = ws2_socket_get(h, &s);
    if (r < 0)
        return r;
    r = s->type == SOCK_STREAM;
    ws2_socket_put(s);
    return r;
}

int ws2_socket_entry(uintptr_t h, const struct ws2_catalog_entry **entry)
{
    struct ws2_socket *s;
    int r = ws2_socket_get(h, &s);
    if (r < 0)
        return r;
    *entry = s->entry;
    ws2_socket_put(s);
    return 0;
}

/* Wraps fd in a new socket object and handle. */
static int socket_new(int fd, int family, int type, int protocol, uint32_t flags, uintptr_t *out,
                      struct ws2_socket **sock)
{
    struct ws2_socket *s = calloc(1, sizeof(*s));
    if (!s) {
        close(fd);
        return -W2U_WSAENOBUFS;
    }
    s->fd = fd;
    s->wake_fd = -1;
    atomic_init(&s->names, 1);
    s->protection_level = 20;      /* PROTECTION_LEVEL_EDGERESTRICTED, Windows' default */
    s->family = family;
    s->type = type;
    s->protocol = protocol;
    s->flags = flags;
    s->entry = ws2_catalog_find(ws2_af_from_linux(family), type,
                                family == AF_UNIX ? 0 : protocol);
    pthread_mutex_init(&s->lock, NULL);
    ws2_queue_init(&s->ov_recvs);
    ws2_queue_init(&s->ov_sends);
    ws2_queue_init(&s->ov_others);
    iocp_binding_init(&s->binding);
    s->obj.binding = &s->binding;
    if (w2u_handle_alloc(&s->obj, &socket_ops, out) < 0) {
        socket_destroy(&s->obj);
        return -W2U_WSAEMFILE;
    }
    if (sock)
        *sock = s;
    return 0;
}

/* The options ws2uring keeps itself rather than in the kernel, onto a
 * socket nobody else sees yet (an accepted socket, a duplicate). */
static void put_kept_options(struct ws2_socket *to, const struct ws2_socket_state *st)
{
    to->reuse = st->reuse;
    to->debug = st->debug;
    to->rcvbuf = st->rcvbuf;
    to->sndbuf = st->sndbuf;
    to->rcvtimeo = st->rcvtimeo;
    to->sndtimeo = st->sndtimeo;
}

/* What a duplicate of a socket (duplicate.c) takes from it, under its lock. */
void ws2_socket_state_get(struct ws2_socket *s, struct ws2_socket_state *st)
{
    *st = (struct ws2_socket_state){ .family = s->family, .type = s->type, .protocol = s->protocol,
                                     .flags = s->flags };
    pthread_mutex_lock(&s->lock);
    st->state = atomic_load(&s->state);
    st->reuse = s->reuse;
    st->debug = s->debug;
    st->rcvbuf = s->rcvbuf;
    st->sndbuf = s->sndbuf;
    st->rcvtimeo = s->rcvtimeo;
    st->sndtimeo = s->sndtimeo;
    pthread_mutex_unlock(&s->lock);
    st->nonblocking = atomic_load(&s->nonblocking);
}

int ws2_socket_adopt(int fd, const struct ws2_socket_state *st, uintptr_t *out, struct ws2_socket **sock)
{
    struct ws2_socket *ns;
    int r = socket_new(fd, st->family, st->type, st->protocol, st->flags, out, &ns);
    if (r < 0)
        return r;
    /* Nobody else sees it yet: no lock needed. */
    atomic_store(&ns->state, st->state);
    put_kept_options(ns, st);
    atomic_store(&ns->nonblocking, st->nonblocking);
    if (sock)
        *sock = ns;
    return 0;
}

/* WSPSocket: the API layer has checked the arguments and picked e
 * (protocol is the one asked for: a raw entry serves many). */
int wsp_socket(const struct ws2_catalog_entry *e, int protocol, uint32_t flags, uintptr_t *out)
{
    int family = ws2_af_to_linux(e->af);
    int fd = socket(family, e->type | SOCK_NONBLOCK | SOCK_CLOEXEC, family == AF_UNIX ? 0 : protocol);
    if (fd < 0)
        return errno == EPERM ? -W2U_WSAEACCES : ws2_errno();
    if (family == AF_INET6) {
        /* Windows' default: an IPv6 socket does not take IPv4 traffic. */
        int one = 1;
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    }
    ws2_bind_prepare_fd(fd, family);
    return socket_new(fd, family, e->type, family == AF_UNIX ? 0 : protocol, flags, out, NULL);
}

int ws2_close(uintptr_t h)
{
    int r = ws2_check_started();
    if (r < 0)
        return r;
    struct w2u_object *obj;
    if (w2u_handle_lookup(h, W2U_OBJ_SOCKET, &obj) < 0)
        return -W2U_WSAENOTSOCK;
    w2u_object_unref(obj);
    /* Two threads closing at once: one wins, the other gets WSAENOTSOCK. */
    return w2u_handle_close(h) < 0 ? -W2U_WSAENOTSOCK : 0;
}

/* ---- blocking waits ----------------------------------------------------------- */

int ws2_socket_wake_fd(struct ws2_socket *s)
{
    pthread_mutex_lock(&s->lock);
    if (s->wake_fd < 0) {
        s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (s->wake_fd >= 0 && atomic_load(&s->closing))
            eventfd_write(s->wake_fd, 1);   /* closed before there was one to signal */
    }
    int fd = s->wake_fd;
    pthread_mutex_unlock(&s->lock);
    return fd;
}

/* Waits for events on the socket: 0, -WSAETIMEDOUT after timeout_ms (0: no
 * limit), -WSAEINTR when the socket is closed meanwhile. */
static int wait_socket(struct ws2_socket *s, short events, uint32_t timeout_ms)
{
    struct pollfd p[2] = { { .fd = s->fd, .events = events },
                           { .fd = ws2_socket_wake_fd(s), .events = POLLIN } };
    int64_t deadline = timeout_ms ? w2u_deadline_ms(timeout_ms) : W2U_FOREVER;
    int r;

    iocp_block_begin();
    for (;;) {
        if (atomic_load(&s->closing)) {
            r = -W2U_WSAEINTR;
            break;
        }
        int ms = -1;
        if (deadline != W2U_FOREVER) {
            int64_t left = deadline - w2u_now_ns();
            if (left <= 0) {
                r = -W2U_WSAETIMEDOUT;
                break;
            }
            ms = (int)((left + 999999) / 1000000);
        }
        int n = poll(p, p[1].fd >= 0 ? 2 : 1, ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = ws2_errno();
            break;
        }
        if (n > 0 && !(p[1].fd >= 0 && p[1].revents)) {
            r = 0;
            break;
        }
    }
    iocp_block_end();
    return r;
}

/* A non-blocking connect finishes in the kernel without telling us: while
 * the socket is marked connecting, ask the kernel whether it has a peer. */
void ws2_refresh_connect_locked(struct ws2_socket *s)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (ws2_is(s, W2U_ST_CONNECTING) && getpeername(s->fd, (struct sockaddr *)&ss, &sl) == 0)
        ws2_mark_connected_locked(s);
}

void ws2_refresh_connect(struct ws2_socket *s)
{
    if (!ws2_is(s, W2U_ST_CONNECTING))
        return;
    pthread_mutex_lock(&s->lock);
    ws2_refresh_connect_locked(s);
    pthread_mutex_unlock(&s->lock);
}

/* ---- calls ---------------------------------------------------------------------- */

/* Windows binds a link-local IPv6 address given without a scope on the
 * interface that has it; Linux wants the scope.  Fills it in from the
 * interface list (left 0 if no interface has the address). */
static void fill_link_scope(struct sockaddr_storage *ss)
{
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    if (ss->ss_family != AF_INET6 || a->sin6_scope_id || !IN6_IS_ADDR_LINKLOCAL(&a->sin6_addr))
        return;
    struct ifaddrs *list;
    if (getifaddrs(&list) < 0)
        return;
    for (struct ifaddrs *i = list; i; i = i->ifa_next)
        if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET6 &&
            !memcmp(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, &a->sin6_addr, sizeof(a->sin6_addr))) {
            a->sin6_scope_id = ((struct sockaddr_in6 *)i->ifa_addr)->sin6_scope_id;
            break;
        }
    freeifaddrs(list);
}

int wsp_bind(struct ws2_socket *s, const void *addr, int len)
{
    struct sockaddr_storage ss;
    unsigned sl;
    int r = 0;
    r = ws2_addr_for(s, addr, len, &ss, &sl);
    /* bind wants the whole sockaddr_in6: the old one, without a scope, is
     * WSAEFAULT (connect and sendto take it). */
    if (r == 0 && ss.ss_family == AF_INET6 && len < (int)sizeof(struct sockaddr_in6))
        r = -W2U_WSAEFAULT;
    if (r == 0) {
        fill_link_scope(&ss);
        pthread_mutex_lock(&s->lock);
        if (ws2_is(s, W2U_ST_BOUND))
            r = -W2U_WSAEINVAL;
        else if ((r = ws2_bind_checked(s, &ss, sl)) == 0)
            ws2_state_change(s, W2U_ST_BOUND, 0);
        pthread_mutex_unlock(&s->lock);
    }
    return r;
}

int wsp_listen(struct ws2_socket *s, int backlog)
{
    int r = 0;
    pthread_mutex_lock(&s->lock);
    if (s->type != SOCK_STREAM)
        r = -W2U_WSAEOPNOTSUPP;
    else if (ws2_is(s, W2U_ST_CONNECTED))
        r = -W2U_WSAEISCONN;
    else if (!ws2_is(s, W2U_ST_BOUND))
        r = -W2U_WSAEINVAL;      /* Linux would bind a port; Windows refuses */
    else if (listen(s->fd, backlog < 0 ? 0 : backlog > 4096 ? 4096 : backlog) < 0)
        r = ws2_errno();
    else
        ws2_state_change(s, W2U_ST_LISTENING, 0);
    pthread_mutex_unlock(&s->lock);
    ws2_es_state_changed(s);
    return r;
}

int wsp_accept(struct ws2_socket *s, void *addr, int *len, uintptr_t *out)
{
    struct ws2_socket *ns;
    struct sockaddr_storage ss;
    socklen_t sl;
    int r = 0;
    if (!ws2_is(s, W2U_ST_LISTENING)) {
        r = -W2U_WSAEINVAL;
        goto out;
    }
    if (!len)
        addr = NULL;             /* no length: the address is not asked for (Windows) */
    if (len && *len < (int)sizeof(struct sockaddr_in) && s->family != AF_UNIX) {
        r = -W2U_WSAEFAULT;
        goto out;
    }
    /* A connection WSAAccept deferred comes first. */
    pthread_mutex_lock(&s->lock);
    uintptr_t deferred = s->deferred;
    s->deferred = 0;
    pthread_mutex_unlock(&s->lock);
    if (deferred) {
        *out = deferred;
        if (addr && (r = ws2_getpeername(deferred, addr, len)) < 0) {
            w2u_handle_close(deferred);
            *out = 0;
        }
        goto out;
    }
    for (;;) {
        sl = sizeof(ss);
        int fd = accept4(s->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            r = socket_new(fd, s->family, s->type, s->protocol, s->flags, out, &ns);
            if (r < 0)
                break;
            /* The accepted socket takes the listening socket's properties. */
            ns->accepted = true;
            ws2_mark_connected_locked(ns);   /* not yet shared: no lock needed */
            /* The options ws2uring keeps itself come along, as the
             * kernel's do (SO_KEEPALIVE, TCP_NODELAY, ...). */
            struct ws2_socket_state st;
            ws2_socket_state_get(s, &st);
            put_kept_options(ns, &st);
            atomic_store(&ns->nonblocking, atomic_load(&s->nonblocking));
            ws2_es_inherit(s, ns);
            if (addr && (r = ws2_addr_from_linux(&ss, sl, addr, len)) < 0) {
                w2u_handle_close(*out);
                *out = 0;
            }
            break;
        }
        if (errno == ECONNABORTED || errno == EINTR)
            continue;        /* the peer gave up before we took it: next one */
        if (errno != EAGAIN) {
            r = ws2_errno();
            break;
        }
        if (atomic_load(&s->nonblocking)) {
            r = -W2U_WSAEWOULDBLOCK;
            break;
        }
        if ((r = wait_socket(s, POLLIN, 0)) < 0)
            break;
    }
    ws2_es_reenable(s, W2U_FD_ACCEPT);
out:
    return r;
}

/* For a host whose WSAAccept runs the condition itself (the Wine glue). */
W2U_EXPORT int ws2uring_accept_defer(uintptr_t listener, uintptr_t accepted)
{
    return ws2_accept_defer(listener, accepted);
}

int ws2_accept_defer(uintptr_t listener, uintptr_t accepted)
{
    struct ws2_socket *s;
    int r = ws2_socket_get(listener, &s);
    if (r < 0)
        return r;
    pthread_mutex_lock(&s->lock);
    if (s->deferred)
        r = -W2U_WSAEINVAL;        /* one deferred connection at a time */
    else
        s->deferred = accepted;
    pthread_mutex_unlock(&s->lock);
    ws2_socket_put(s);
    return r;
}

int wsp_connect(struct ws2_socket *s, const void *addr, int len)
{
    struct sockaddr_storage ss;
    unsigned sl;
    int r = 0;
    /* A datagram socket connected to AF_UNSPEC forgets its peer, as on
     * Windows (and Linux). */
    uint16_t family = 0;
    if (addr && len >= (int)sizeof(family))
        memcpy(&family, addr, sizeof(family));
    if (family == W2U_AF_UNSPEC && s->type != SOCK_STREAM) {
        struct sockaddr unspec = { .sa_family = AF_UNSPEC };
        if (connect(s->fd, &unspec, sizeof(unspec)) < 0) {
            r = ws2_errno();
            goto out;
        }
        pthread_mutex_lock(&s->lock);
        ws2_state_change(s, 0, W2U_ST_CONNECTED);
        pthread_mutex_unlock(&s->lock);
        goto out;
    }
    if ((r = ws2_addr_for(s, addr, len, &ss, &sl)) < 0)
        goto out;
    if ((r = ws2_addr_check_peer(&ss)) < 0)
        goto out;
    /* A listener, a socket an AcceptEx will accept into, or one a
     * ConnectEx is connecting. */
    if (ws2_is(s, W2U_ST_LISTENING) || s->accept_on || s->connect_ex) {
        r = -W2U_WSAEINVAL;
        goto out;
    }
    bool was_connected = s->type == SOCK_STREAM && ws2_is(s, W2U_ST_CONNECTED);
    if (connect(s->fd, (struct sockaddr *)&ss, sl) == 0) {
        pthread_mutex_lock(&s->lock);
        /* Linux reports a finished non-blocking connect by answering the
         * next connect with 0; Windows says the socket is connected. */
        if ((ws2_is(s, W2U_ST_CONNECTING) || was_connected) && s->type == SOCK_STREAM)
            r = -W2U_WSAEISCONN;
        ws2_mark_connected_locked(s);
        pthread_mutex_unlock(&s->lock);
        goto out;
    }
    if (errno == EISCONN) {
        pthread_mutex_lock(&s->lock);
        ws2_mark_connected_locked(s);
        pthread_mutex_unlock(&s->lock);
    }
    if (errno != EINPROGRESS) {
        r = ws2_errno();
        goto out;
    }
    pthread_mutex_lock(&s->lock);
    ws2_state_change(s, W2U_ST_CONNECTING | W2U_ST_BOUND, 0);
    pthread_mutex_unlock(&s->lock);
    if (atomic_load(&s->nonblocking)) {
        r = -W2U_WSAEWOULDBLOCK;
        goto out;
    }
    if ((r = wait_socket(s, POLLOUT, 0)) < 0)
        goto out;
    int err = 0;
    socklen_t el = sizeof(err);
    getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el);
    pthread_mutex_lock(&s->lock);
    ws2_state_change(s, 0, W2U_ST_CONNECTING);
    if (!err)
        ws2_mark_connected_locked(s);
    pthread_mutex_unlock(&s->lock);
    if (err)
        r = -(int)w2u_errno_to_wsa(err);
out:
    ws2_es_state_changed(s);
    return r;
}

int wsp_shutdown(struct ws2_socket *s, int how)
{
    int r = 0;
    static const int linux_how[] = { SHUT_RD, SHUT_WR, SHUT_RDWR };
    if (how < W2U_SD_RECEIVE || how > W2U_SD_BOTH) {
        r = -W2U_WSAEINVAL;
    } else if (s->type == SOCK_STREAM && (ws2_refresh_connect(s), !ws2_is(s, W2U_ST_CONNECTED))) {
        r = -W2U_WSAENOTCONN;
    } else {
        pthread_mutex_lock(&s->lock);
        /* A stream's SD_RECEIVE only refuses later receive calls: Windows
         * lets a receive already pending take data that comes after it,
         * and Linux's SHUT_RD would end that receive at once. */
        int lhow = linux_how[how];
        if (s->type == SOCK_STREAM && how != W2U_SD_SEND)
            lhow = how == W2U_SD_BOTH ? SHUT_WR : -1;
        if (lhow >= 0 && shutdown(s->fd, lhow) < 0 && errno != ENOTCONN) {
            r = ws2_errno();
        } else {
            ws2_state_change(s, (how != W2U_SD_SEND ? W2U_ST_SHUT_RECV : 0) |
                                    (how != W2U_SD_RECEIVE ? W2U_ST_SHUT_SEND : 0), 0);
        }
        pthread_mutex_unlock(&s->lock);
    }
    return r;
}

bool ws2_bytes_queued(int fd)
{
    int n = 0;
    return ioctl(fd, FIONREAD, &n) == 0 && n > 0;
}

/* Linux reports a reset to one receive, then end of stream; Windows fails
 * every receive on the connection from then on. */
int ws2_sticky_reset(struct ws2_socket *s, int res, size_t want)
{
    if (s->type != SOCK_STREAM)
        return res;
    if (res == -ECONNRESET)
        atomic_store_explicit(&s->reset, true, memory_order_relaxed);
    else if (res == 0 && want && atomic_load_explicit(&s->reset, memory_order_relaxed))
        return -ECONNRESET;
    return res;
}

ssize_t ws2_recvmsg_bounced(int fd, struct msghdr *msg, int flags)
{
    size_t total = 0;
    for (size_t i = 0; i < msg->msg_iovlen; i++)
        total += msg->msg_iov[i].iov_len;
    if (total > BOUNCE_MAX)
        total = BOUNCE_MAX;
    char *bounce = malloc(total ? total : 1);
    if (!bounce) {
        errno = ENOMEM;
        return -1;
    }
    struct iovec one = { bounce, total };
    struct msghdr m = *msg;
    m.msg_iov = &one;
    m.msg_iovlen = 1;
    ssize_t n = recvmsg(fd, &m, flags);
    if (n >= 0) {
        if (!ws2_iov_scatter(msg->msg_iov, msg->msg_iovlen, bounce, (size_t)n)) {
            n = -1;
            errno = EFAULT;   /* not the program's to write after all */
        }
        msg->msg_namelen = m.msg_namelen;
        msg->msg_controllen = m.msg_controllen;
        msg->msg_flags = m.msg_flags;
    }
    int e = errno;
    free(bounce);
    errno = e;
    return n;
}

ssize_t ws2_recvmsg(int fd, struct msghdr *msg, int flags)
{
    ssize_t n = recvmsg(fd, msg, flags);
    if (n >= 0 || errno != EFAULT || !w2u_host()->kernel_write)
        return n;
    return ws2_recvmsg_bounced(fd, msg, flags);
}

int ws2_make_iov(const struct ws2_buf *bufs, unsigned count, struct iovec *iov, size_t *total)
{
    if (count && !bufs)
        return -W2U_WSAEFAULT;
    *total = 0;
    for (unsigned i = 0; i < count; i++) {
        if (!bufs[i].buf && bufs[i].len)
            return -W2U_WSAEFAULT;
        iov[i].iov_base = bufs[i].buf;
        iov[i].iov_len = bufs[i].len;
        *total += bufs[i].len;
    }
    return 0;
}

size_t ws2_iov_per_call(const struct iovec *iov, size_t count, size_t *bytes)
{
    size_t k = ws2_iov_step(count);
    *bytes = 0;
    for (size_t i = 0; i < k; i++)
        *bytes += iov[i].iov_len;
    return k;
}

int ws2_iov_flatten(const struct iovec *iov, size_t count, size_t total, bool send, struct iovec *one)
{
    size_t len = send || total < BOUNCE_MAX ? total : BOUNCE_MAX;
    char *flat = malloc(len ? len : 1), *at = flat;
    *one = (struct iovec){ flat, len };
    if (!flat)
        return -W2U_WSAENOBUFS;
    for (size_t i = 0; send && i < count; i++) {
        if (!w2u_user_readable(iov[i].iov_base, iov[i].iov_len)) {
            free(flat);
            one->iov_base = NULL;
            return -W2U_WSAEFAULT;
        }
        memcpy(at, iov[i].iov_base, iov[i].iov_len);
        at += iov[i].iov_len;
    }
    return 0;
}

bool ws2_iov_scatter(const struct iovec *iov, size_t count, const char *flat, size_t n)
{
    for (size_t i = 0; i < count && n; i++) {
        size_t part = iov[i].iov_len < n ? iov[i].iov_len : n;
        if (w2u_host()->kernel_write) {
            if (!w2u_host()->kernel_write(iov[i].iov_base, flat, part))
                return false;
        } else if (w2u_user_writable(iov[i].iov_base, part)) {
            memcpy(iov[i].iov_base, flat, part);
        } else {
            return false;
        }
        flat += part;
        n -= part;
    }
    return true;
}

/* A call's iovecs: on the stack for a few, else allocated (NULL: no
 * memory). */
static struct iovec *iov_space(struct iovec *stack, unsigned count)
{
    return count <= INLINE_IOVS ? stack : malloc(count * sizeof(struct iovec));
}

void ws2_iov_advance(struct iovec **iov, size_t *count, size_t n)
{
    while (*count && n >= (*iov)->iov_len) {
        n -= (*iov)->iov_len;
        (*iov)++;
        (*count)--;
    }
    if (*count) {
        (*iov)->iov_base = (char *)(*iov)->iov_base + n;
        (*iov)->iov_len -= n;
    }
}

/* A Windows address for socket s in Linux's form: as ws2_addr_to_linux,
 * and an address of another family than the socket's is WSAEAFNOSUPPORT
 * (bind, connect, sendto, ConnectEx and the overlapped sends alike). */
int ws2_addr_for(const struct ws2_socket *s, const void *addr, int len, struct sockaddr_storage *ss, unsigned *sl)
{
    int r = ws2_addr_to_linux(addr, len, ss, sl);
    return r == 0 && ss->ss_family != s->family ? -W2U_WSAEAFNOSUPPORT : r;
}

/* A send's Windows flags as Linux's (MSG_OOB, MSG_DONTROUTE), or
 * WSAEOPNOTSUPP for a flag no send takes: one answer for the synchronous
 * and the overlapped sends. */
int ws2_send_flags(int flags)
{
    if (flags & ~(W2U_MSG_OOB | W2U_MSG_DONTROUTE))
        return -W2U_WSAEOPNOTSUPP;
    return (flags & W2U_MSG_OOB ? MSG_OOB : 0) | (flags & W2U_MSG_DONTROUTE ? MSG_DONTROUTE : 0);
}

/* The same for a receive (MSG_OOB, MSG_PEEK, MSG_WAITALL). */
int ws2_recv_flags(int flags)
{
    if (flags & ~(W2U_MSG_OOB | W2U_MSG_PEEK | W2U_MSG_WAITALL))
        return -W2U_WSAEOPNOTSUPP;
    return (flags & W2U_MSG_OOB ? MSG_OOB : 0) | (flags & W2U_MSG_PEEK ? MSG_PEEK : 0) |
           (flags & W2U_MSG_WAITALL ? MSG_WAITALL : 0);
}

/* send/sendto/WSASend(To) and WSASendMsg (control, Windows layout). */
static int send_core(struct ws2_socket *s, const struct ws2_buf *bufs, unsigned count, int flags,
                     const void *addr, int addrlen, const void *control, uint32_t control_len)
{
    struct iovec stack[INLINE_IOVS], *iovs = iov_space(stack, count), *iov = iovs, one = { 0 };
    struct sockaddr_storage ss;
    struct msghdr msg = { 0 };
    size_t total, sent = 0, left = count;
    _Alignas(struct cmsghdr) char cbuf[MAX_CONTROL];
    int r = 0;
    if (!iovs)
        return -W2U_WSAENOBUFS;
    if ((r = ws2_make_iov(bufs, count, iovs, &total)) < 0)
        goto out;
    if (control_len) {
        size_t used;
        if ((r = ws2_cmsg_from_windows(control, control_len, cbuf, sizeof(cbuf), &used)) < 0)
            goto out;
        msg.msg_control = cbuf;
        msg.msg_controllen = used;
    }
    int lflags = ws2_send_flags(flags);
    if (lflags < 0) {
        r = lflags;
        goto out;
    }
    if (ws2_is(s, W2U_ST_SHUT_SEND)) {
        r = -W2U_WSAESHUTDOWN;
        goto out;
    }
    /* A destination matters only to datagram sockets; Windows ignores it
     * on connected streams. */
    if (addr && s->type != SOCK_STREAM) {
        unsigned sl;
        if ((r = ws2_addr_for(s, addr, addrlen, &ss, &sl)) < 0)
            goto out;
        msg.msg_name = &ss;
        msg.msg_namelen = sl;
    }
    if (s->type != SOCK_STREAM && count > IOV_PER_CALL) {
        if ((r = ws2_iov_flatten(iovs, count, total, true, &one)) < 0)
            goto out;
        iov = &one;
        left = 1;
    }
    lflags |= MSG_NOSIGNAL;
    for (;;) {
        size_t step;
        msg.msg_iov = iov;
        msg.msg_iovlen = ws2_iov_per_call(iov, left, &step);
        ssize_t n = sendmsg(s->fd, &msg, lflags);
        if (n >= 0) {
            sent += (size_t)n;
            /* A blocking stream send returns once everything is sent; a
             * non-blocking one once the kernel takes less than offered. */
            if (sent >= total || s->type != SOCK_STREAM || (atomic_load(&s->nonblocking) && (size_t)n < step))
                break;
            ws2_iov_advance(&iov, &left, (size_t)n);
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN) {
            r = errno == EDESTADDRREQ ? -W2U_WSAENOTCONN : ws2_send_errno(s, errno);
            break;
        }
        if (atomic_load(&s->nonblocking)) {
            if (!sent)
                r = -W2U_WSAEWOULDBLOCK;
            /* Windows records FD_WRITE again once this send had to wait. */
            ws2_es_reenable(s, W2U_FD_WRITE);
            break;
        }
        if ((r = wait_socket(s, POLLOUT, s->sndtimeo)) < 0)
            break;
    }
    if (r == 0) {
        r = sent > INT32_MAX ? INT32_MAX : (int)sent;
        /* A datagram sent from an unbound socket bound it (Linux picked
         * the port): it can receive now. */
        if (s->type != SOCK_STREAM && !ws2_is(s, W2U_ST_BOUND)) {
            pthread_mutex_lock(&s->lock);
            ws2_state_change(s, W2U_ST_BOUND, 0);
            pthread_mutex_unlock(&s->lock);
        }
    }
out:
    free(one.iov_base);
    if (iovs != stack)
        free(iovs);
    return r;
}

int wsp_send(struct ws2_socket *s, const struct ws2_buf *bufs, unsigned count, int flags,
             const void *addr, int addrlen)
{
    return send_core(s, bufs, count, flags, addr, addrlen, NULL, 0);
}

/* WSARecvMsg's extra results; NULL for the plain receives. */
struct recv_ctl {
    void *buf;
    uint32_t len;
    uint32_t *out_len;
    uint32_t *out_flags;
};

static int recv_core(struct ws2_socket *s, const struct ws2_buf *bufs, unsigned count, int *flags,
                     void *addr, int *addrlen, const struct recv_ctl *ctl)
{
    struct iovec stack[INLINE_IOVS], *iov = iov_space(stack, count), one = { 0 };
    struct sockaddr_storage ss;
    _Alignas(struct cmsghdr) char cbuf[MAX_CONTROL];
    size_t total;
    int in = flags ? *flags : 0;
    int r = 0;
    if (!iov)
        return -W2U_WSAENOBUFS;
    if ((r = ws2_make_iov(bufs, count, iov, &total)) < 0)
        goto out;
    int lflags = ws2_recv_flags(in);
    if (lflags < 0) {
        r = lflags;
        goto out;
    }
    if ((addr && !addrlen) || (addrlen && *addrlen < (int)sizeof(struct sockaddr_in) && s->family != AF_UNIX)) {
        r = -W2U_WSAEFAULT;
        goto out;
    }
    if (ws2_is(s, W2U_ST_SHUT_RECV)) {
        r = -W2U_WSAESHUTDOWN;
        goto out;
    }
    ws2_refresh_connect(s);
    if (s->type == SOCK_STREAM && !ws2_is(s, W2U_ST_CONNECTED)) {
        r = -W2U_WSAENOTCONN;
        goto out;
    }
    if (s->type != SOCK_STREAM && !ws2_is(s, W2U_ST_BOUND)) {
        r = -W2U_WSAEINVAL;      /* nothing could ever arrive */
        goto out;
    }
    /* A stream receive may take less than its buffers hold; a datagram
     * comes whole, past IOV_PER_CALL buffers through one flat copy. */
    size_t calls = ws2_iov_step(count);
    struct iovec *into = iov;
    if (s->type != SOCK_STREAM && count > IOV_PER_CALL) {
        if ((r = ws2_iov_flatten(iov, count, total, false, &one)) < 0)
            goto out;
        into = &one;
        calls = 1;
    }
    for (;;) {
        struct msghdr msg = { .msg_name = &ss, .msg_namelen = sizeof(ss),
                              .msg_iov = into, .msg_iovlen = calls };
        if (ctl) {
            msg.msg_control = cbuf;
            msg.msg_controllen = ws2_cmsg_space(ctl->len);
        }
        ssize_t n = ws2_recvmsg(s->fd, &msg, lflags | MSG_DONTWAIT);
        if (n >= 0 && one.iov_base && !ws2_iov_scatter(iov, count, one.iov_base, (size_t)n)) {
            r = -W2U_WSAEFAULT;
            break;
        }
        if (n >= 0 && ctl)
            *ctl->out_flags = ws2_cmsg_to_windows(&msg, ctl->buf, ctl->len, ctl->out_len);
        if (n >= 0) {
            /* The buffer holds the start of the datagram, or the control
             * buffer not all of its control data: WSAEMSGSIZE, as Windows. */
            if ((s->type != SOCK_STREAM && (msg.msg_flags & MSG_TRUNC)) ||
                (ctl && (*ctl->out_flags & W2U_MSG_CTRUNC))) {
                r = -W2U_WSAEMSGSIZE;
                break;
            }
            if (addr && s->type != SOCK_STREAM &&
                (r = ws2_addr_from_linux(&ss, msg.msg_namelen, addr, addrlen)) < 0)
                break;
            if (flags)
                *flags = 0;
            r = ws2_sticky_reset(s, (int)n, total) < 0 ? -W2U_WSAECONNRESET : (int)n;
            break;
        }
        ws2_sticky_reset(s, -errno, total);
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN) {
            r = ws2_errno();
            break;
        }
        if (atomic_load(&s->nonblocking)) {
            r = -W2U_WSAEWOULDBLOCK;
            break;
        }
        if ((r = wait_socket(s, (in & W2U_MSG_OOB) ? POLLPRI : POLLIN, s->rcvtimeo)) < 0)
            break;
    }
    /* Any receive re-enables FD_READ (FD_OOB for urgent data). */
    ws2_es_reenable(s, (in & W2U_MSG_OOB) ? W2U_FD_OOB : W2U_FD_READ);
out:
    free(one.iov_base);
    if (iov != stack)
        free(iov);
    return r;
}

int wsp_recv(struct ws2_socket *s, const struct ws2_buf *bufs, unsigned count, int *flags,
             void *addr, int *addrlen)
{
    return recv_core(s, bufs, count, flags, addr, addrlen, NULL);
}

/* WSARecvMsg / WSASendMsg are Microsoft extensions, not WSP entry points:
 * they reach the socket directly. */
int ws2_recv_msg(uintptr_t h, struct ws2_msg *m, int *namelen, uint32_t *control_len,
                 uint32_t *flags)
{
    struct ws2_socket *s;
    if (!m || !flags || (m->control_len && !m->control) || (m->name && !namelen))
        return -W2U_WSAEFAULT;
    int r = ws2_socket_get(h, &s);
    if (r < 0)
        return r;
    struct recv_ctl ctl = { m->control, m->control_len, control_len, flags };
    int in = (int)*flags;
    r = recv_core(s, m->bufs, m->count, &in, m->name, m->name ? namelen : NULL, &ctl);
    ws2_socket_put(s);
    return r;
}

int ws2_send_msg(uintptr_t h, const struct ws2_msg *m, int flags)
{
    struct ws2_socket *s;
    if (!m || (m->control_len && !m->control))
        return -W2U_WSAEFAULT;
    int r = ws2_socket_get(h, &s);
    if (r < 0)
        return r;
    r = send_core(s, m->bufs, m->count, flags, m->name, m->namelen, m->control, m->control_len);
    ws2_socket_put(s);
    return r;
}

static int sock_name(struct ws2_socket *s, void *addr, int *len, bool peer)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (peer)
        ws2_refresh_connect(s);
    if (!addr || !len)
        return -W2U_WSAEFAULT;
    if (peer ? !ws2_is(s, W2U_ST_CONNECTED) : !ws2_is(s, W2U_ST_BOUND))
        return peer ? -W2U_WSAENOTCONN : -W2U_WSAEINVAL;
    if ((peer ? getpeername : getsockname)(s->fd, (struct sockaddr *)&ss, &sl) < 0)
        return ws2_errno();
    return ws2_addr_from_linux(&ss, sl, addr, len);
}

int wsp_getsockname(struct ws2_socket *s, void *addr, int *len)
{
    return sock_name(s, addr, len, false);
}

int wsp_getpeername(struct ws2_socket *s, void *addr, int *len)
{
    return sock_name(s, addr, len, true);
}

int wsp_ioctl(struct ws2_socket *s, uint32_t cmd, uint32_t *arg)
{
    int r = 0;
    if (!arg) {
        r = -W2U_WSAEFAULT;
    } else if (cmd == W2U_FIONBIO) {
        /* An event-selected socket cannot go back to blocking mode. */
        if (!*arg && s->es_mask)
            r = -W2U_WSAEINVAL;
        else
            atomic_store(&s->nonblocking, *arg != 0);
    } else if (cmd == W2U_FIONREAD) {
        int n = 0;
        if (ws2_is(s, W2U_ST_LISTENING))
            r = -W2U_WSAEINVAL;
        else if (ioctl(s->fd, FIONREAD, &n) < 0)
            r = ws2_errno();
        else
            *arg = (uint32_t)n;
    } else if (cmd == W2U_SIOCATMARK) {
        int at = 0, inline_oob = 0;
        socklen_t len = sizeof(inline_oob);
        getsockopt(s->fd, SOL_SOCKET, SO_OOBINLINE, &inline_oob, &len);
        if (s->type != SOCK_STREAM)
            r = -W2U_WSAEINVAL;
        else if (inline_oob)
            *arg = 1;      /* urgent data comes with the rest: never "waiting" */
        else if (ioctl(s->fd, SIOCATMARK, &at) < 0)
            r = ws2_errno();
        else
            *arg = !at;    /* Windows: TRUE when no urgent data is waiting */
    } else {
        r = -W2U_WSAEINVAL;
    }
    return r;
}
