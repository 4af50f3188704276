/*
 * ws2/ — Winsock semantics, plain C (Linux-facing).
 *
 * Calls take Windows values (address families, flags, sockaddr bytes in
 * Windows layout) and return >= 0 on success or a negative WSA error
 * (-W2U_WSAENOTSOCK ...); ws2_win32.c turns that into SOCKET_ERROR plus
 * WSASetLastError.  errno is converted right after each system call through
 * the one table in common/status.c.
 *
 * Sockets: the Linux fd is always O_NONBLOCK.  A blocking Windows call tries
 * the system call, then waits in poll() on the fd and the socket's wake
 * eventfd, so closesocket from another thread wakes it (W2U_WSAEINTR).  The fd
 * is closed only when the last reference goes: a closed SOCKET value never
 * reaches a reused fd.
 */
#ifndef W2U_WS2_H
#define W2U_WS2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/w2u.h"

/* ---- Windows values the core needs (winsock2.h numbers) ------------------ */
#define W2U_AF_UNSPEC   0
#define W2U_AF_UNIX     1
#define W2U_AF_INET     2
#define W2U_AF_INET6    23

#define W2U_SOCK_STREAM 1
#define W2U_SOCK_DGRAM  2
#define W2U_SOCK_RAW    3
#define W2U_SOCK_RDM    4
#define W2U_SOCK_SEQPACKET 5

#define W2U_IPPROTO_IP   0
#define W2U_IPPROTO_TCP  6
#define W2U_IPPROTO_UDP  17

#define W2U_MSG_OOB       0x1
#define W2U_MSG_PEEK      0x2
#define W2U_MSG_DONTROUTE 0x4
#define W2U_MSG_WAITALL   0x8

#define W2U_SD_RECEIVE 0
#define W2U_SD_SEND    1
#define W2U_SD_BOTH    2

#define W2U_FLAG_OVERLAPPED         0x01   /* WSA_FLAG_OVERLAPPED */
#define W2U_FLAG_NO_HANDLE_INHERIT  0x80

/* ---- start-up -------------------------------------------------------------- */

struct ws2_startup_info {
    uint16_t version, high_version;
    const char *description, *status;
    unsigned short max_sockets, max_udp_dg;
};
/* WSAStartup: 0 or a WSA error (returned, as WSAStartup does). */
int ws2_startup(uint16_t requested, struct ws2_startup_info *info);
/* WSACleanup: 0 or -W2U_WSANOTINITIALISED. */
int ws2_cleanup(void);
/* 0 while started, -W2U_WSANOTINITIALISED otherwise. */
int ws2_check_started(void);

/* ---- sockets ----------------------------------------------------------------- */

struct ws2_socket;

/* The socket a value names, with a reference; -WSANOTSOCK if none. */
int ws2_socket_get(uintptr_t s, struct ws2_socket **out);
void ws2_socket_put(struct ws2_socket *sock);

/* socket / WSASocket: af, type, protocol in Windows values, 0 meaning
 * "the first catalog entry's"; raw sockets where Linux allows them
 * (WSAEACCES where it does not, as Windows refuses a non-administrator). */
int ws2_socket_create(int af, int type, int protocol, uint32_t flags, uintptr_t *out);
int ws2_close(uintptr_t s);

int ws2_bind(uintptr_t s, const void *addr, int len);
int ws2_listen(uintptr_t s, int backlog);
/* addr/len may be NULL (then both must be). Returns 0 and the new SOCKET. */
int ws2_accept(uintptr_t s, void *addr, int *len, uintptr_t *out);
int ws2_connect(uintptr_t s, const void *addr, int len);
/* WSAConnectByName (connect_name.c): resolves node and service, connects
 * the stream socket to the first address that answers within timeout_ms
 * (< 0: no limit) and gives both addresses (*len set; the address written
 * when its buffer is given).  0 or -WSA error. */
int ws2_connect_by_name(uintptr_t s, const char *node, const char *service, uint32_t *local_len, void *local,
                        uint32_t *remote_len, void *remote, int64_t timeout_ms);
/* One address to try, for a host that makes WSAConnectByName's connects
 * itself (ws2uring_connect_by_name_targets, connect_name.c). */
struct ws2_connect_target {
    uint32_t len;
    unsigned char addr[28];
};
/* WSAAccept's CF_DEFER: the next accept on the listener returns accepted
 * again (the listener keeps the handle until then). */
int ws2_accept_defer(uintptr_t listener, uintptr_t accepted);
int ws2_shutdown(uintptr_t s, int how);

/* Scatter/gather send and receive; bytes transferred, or -WSA error.
 * addr (sendto/recvfrom) may be NULL; flags are W2U_MSG_*. */
struct ws2_buf {
    uint32_t len;
    void *buf;
};
int ws2_send(uintptr_t s, const struct ws2_buf *bufs, unsigned count, int flags,
             const void *addr, int addrlen);
int ws2_recv(uintptr_t s, const struct ws2_buf *bufs, unsigned count, int *flags,
             void *addr, int *addrlen);

/* WSARecvMsg / WSASendMsg: control data in the Windows layout (cmsg.c
 * translates IP_PKTINFO and IPV6_PKTINFO).  Output flags (Windows values): */
#define W2U_MSG_TRUNC     0x0100
#define W2U_MSG_CTRUNC    0x0200
#define W2U_MSG_BCAST     0x0400
#define W2U_MSG_MCAST     0x0800
struct ws2_msg {
    void *name;                      /* receive: the sender (may be NULL); send: destination */
    int namelen;
    const struct ws2_buf *bufs;
    unsigned count;
    void *control;                   /* may be NULL when control_len is 0 */
    uint32_t control_len;
};
/* Bytes, or -WSA error.  On a receive *control_len (may be NULL when no
 * control buffer) gets the control bytes written, *namelen the address
 * length and *flags (W2U_MSG_PEEK in) the W2U_MSG_* flags out. */
int ws2_recv_msg(uintptr_t s, struct ws2_msg *m, int *namelen, uint32_t *control_len,
                 uint32_t *flags);
int ws2_send_msg(uintptr_t s, const struct ws2_msg *m, int flags);

int ws2_getsockname(uintptr_t s, void *addr, int *len);
int ws2_getpeername(uintptr_t s, void *addr, int *len);

/* ioctlsocket commands it knows (Windows values). */
#define W2U_FIONBIO   0x8004667Eu
#define W2U_FIONREAD  0x4004667Fu
#define W2U_SIOCATMARK 0x40047307u
int ws2_ioctl(uintptr_t s, uint32_t cmd, uint32_t *arg);
/* The socket's Windows mode: 1 non-blocking, 0 blocking, or -WSA error. */
int ws2_is_nonblocking(uintptr_t s);
/* 1 for a stream socket (whose receives ignore a source address buffer,
 * as Windows' do), 0 for another, or -WSAENOTSOCK. */
int ws2_is_stream(uintptr_t s);

/* ---- overlapped I/O (overlapped.c) ------------------------------------------------------- */

struct iocp_overlapped;
/* A completion routine (LPWSAOVERLAPPED_COMPLETION_ROUTINE): Windows ABI. */
typedef void (__attribute__((ms_abi)) *w2u_completion_routine)(uint32_t error, uint32_t bytes,
                                                                void *ov, uint32_t flags);
/* An NT request's own completion (NtReadFile, NtWriteFile, IOCTL_AFD_RECV
 * under a host), instead of an OVERLAPPED: its status block (an
 * IO_STATUS_BLOCK, written at the end), event, and either an APC,
 * apc(apc_context, iosb, 0) on the calling thread, or apc_context as the
 * port packet's value (NULL: no packet). */
struct ws2_nt_target {
    void *iosb;
    uintptr_t event;                 /* 0: none */
    void *apc, *apc_context;
};

struct ws2_overlapped_op {
    bool send;
    const struct ws2_buf *bufs;
    unsigned count;
    int flags;                       /* W2U_MSG_* */
    const void *addr;                /* WSASendTo: destination */
    int addrlen;
    void *from;                      /* WSARecvFrom: written at completion */
    int *fromlen;
    struct iocp_overlapped *ov;
    const struct ws2_nt_target *nt;  /* set: an NT request (ov, routine unused) */
    bool try_now;                    /* a receive tries at once even when no data is known to wait */
    bool now_or_fail;                /* (with try_now) on a non-blocking socket, -WSAEWOULDBLOCK
                                      * instead of pending (afd.sys's receive without FORCE_ASYNC) */
    w2u_completion_routine routine;  /* NULL: none */
    /* WSARecvMsg / WSASendMsg only: control data (Windows layout); on a
     * receive the lengths and flags are written at completion. */
    void *control;
    uint32_t control_len;
    uint32_t *control_out;
    uint32_t *msg_flags;
};
/* 0: completed now (*bytes_now set; the completion is delivered all the
 * same, unless the handle skips it); -WSA_IO_PENDING; or an error, with no
 * completion. */
int ws2_overlapped(uintptr_t s, const struct ws2_overlapped_op *op, uint32_t *bytes_now);
/* AcceptEx / GetAcceptExSockaddrs / ConnectEx / DisconnectEx (see
 * overlapped.c): -WSA_IO_PENDING or an error; DisconnectEx is done by
 * the time it returns (-WSA_IO_PENDING with an OVERLAPPED, as Windows
 * says, 0 without). */
#define W2U_TF_DISCONNECT   0x01
#define W2U_TF_REUSE_SOCKET 0x02
int ws2_accept_ex(uintptr_t listener, uintptr_t acceptor, void *buf, uint32_t datalen,
                  uint32_t locallen, uint32_t remotelen, struct iocp_overlapped *ov);
int ws2_accept_addresses(const void *buf, uint32_t datalen, uint32_t locallen, void **local,
                         int *local_len, void **remote, int *remote_len);
int ws2_connect_ex(uintptr_t s, const void *addr, int addrlen, const void *buf, uint32_t buflen,
                   struct iocp_overlapped *ov);
int ws2_disconnect_ex(uintptr_t s, uint32_t flags, struct iocp_overlapped *ov);
/* TransmitFile / TransmitPackets: the elements in order, each a buffer or
 * (file != 0) len bytes of a file handle from offset, len 0 meaning to its
 * end; then TF_DISCONNECT / TF_REUSE_SOCKET. */
struct ws2_tx_element {
    void *buf;
    uint32_t len;
    uintptr_t file;
    uint64_t offset;
    bool eop;            /* TP_ELEMENT_EOP: ends a send (a datagram) */
};
int ws2_transmit(uintptr_t s, const struct ws2_tx_element *els, unsigned n, uint32_t per_send,
                 uint32_t flags, struct iocp_overlapped *ov);
/* The same without an OVERLAPPED: waits for the end (no event, no port
 * packet); 0 or the error. */
int ws2_transmit_sync(uintptr_t s, const struct ws2_tx_element *els, unsigned n, uint32_t per_send,
                      uint32_t flags);
/* The current position of a file TransmitFile may send (ws2uring's, or
 * the host's): 0 or -WSAEINVAL. */
int ws2_file_position(uintptr_t file, uint64_t *at);
/* An operation answered inside the call (WSAIoctl): its outcome goes out
 * through ov like any completion (synchronous: the SKIP modes apply).  0,
 * or an error and no completion. */
int ws2_complete_now(uintptr_t s, struct iocp_overlapped *ov, w2u_completion_routine routine, uint32_t status,
                     uintptr_t information, bool synchronous);
/* An operation that waits until cancelled (closesocket, CancelIo(Ex)):
 * -WSA_IO_PENDING, or an error and no completion. */
int ws2_park(uintptr_t s, struct iocp_overlapped *ov, w2u_completion_routine routine);
/* CancelIo (this_thread) / CancelIoEx: how many requests matched, or -error. */
int ws2_cancel(uintptr_t s, const void *ov, bool this_thread);
/* Waits until ov completes or the deadline: 0 or -WSA_IO_INCOMPLETE. */
int ws2_overlapped_wait(uintptr_t s, struct iocp_overlapped *ov, int64_t deadline);

/* ---- readiness ------------------------------------------------------------------ */

/* WSAPoll's bits (Windows values). */
#define W2U_POLLERR    0x0001
#define W2U_POLLHUP    0x0002
#define W2U_POLLNVAL   0x0004
#define W2U_POLLWRNORM 0x0010
#define W2U_POLLWRBAND 0x0020
#define W2U_POLLRDNORM 0x0100
#define W2U_POLLRDBAND 0x0200
#define W2U_POLLPRI    0x0400

/* select()'s sets, as requests for ws2_poll in select mode. */
#define W2U_SEL_READ   1u
#define W2U_SEL_WRITE  2u
#define W2U_SEL_EXCEPT 4u
/* (revents only) the socket was closed during the wait */
#define W2U_SEL_CLOSED 8u

struct ws2_poll_entry {
    uintptr_t socket;
    uint16_t events;     /* W2U_POLL* (WSAPoll), W2U_SEL_* (select) or W2U_AFD_POLL_* */
    uint16_t revents;
    uint32_t status;     /* (\Device\Afd polls) the NTSTATUS of the event reported */
};
/* Waits until an entry is ready or the deadline (CLOCK_MONOTONIC ns, 0, or
 * W2U_FOREVER); returns how many entries have revents set.  select mode
 * uses W2U_SEL_* and fails the call on a non-socket (-WSAENOTSOCK); WSAPoll
 * mode reports it as POLLNVAL (not counted; -WSAENOTSOCK if no entry is a
 * socket, each revents POLLNVAL), and an unknown event on an entry other
 * than INVALID_SOCKET's is -WSAEINVAL (each revents 0).  A socket closed
 * during the wait ends it: W2U_SEL_CLOSED, or POLLNVAL (counted). */
int ws2_poll(struct ws2_poll_entry *e, unsigned n, int64_t deadline, bool select_mode);

/* \Device\Afd's poll events (IOCTL_AFD_POLL, which libuv, mio and Wine's
 * own ws2_32 use; values of Windows' afd.sys). */
#define W2U_AFD_POLL_READ        0x0001
#define W2U_AFD_POLL_OOB         0x0002
#define W2U_AFD_POLL_WRITE       0x0004
#define W2U_AFD_POLL_HUP         0x0008
#define W2U_AFD_POLL_RESET       0x0010
#define W2U_AFD_POLL_CLOSE       0x0020
#define W2U_AFD_POLL_CONNECT     0x0040
#define W2U_AFD_POLL_ACCEPT      0x0080
#define W2U_AFD_POLL_CONNECT_ERR 0x0100

/* An AFD poll's wait: entries' events are W2U_AFD_POLL_* masks; waits
 * until an entry has one of its events, wake_fd (if >= 0) is readable, or
 * the deadline, and returns how many entries have revents (each with the
 * status of what it reports).  An entry whose socket is gone, or closed
 * during the wait, reports W2U_AFD_POLL_CLOSE, as Windows ends a poll on a
 * socket closed under it. */
int ws2_afd_poll(struct ws2_poll_entry *e, unsigned n, int wake_fd, int64_t deadline);

/* ---- WSAEventSelect -------------------------------------------------------------------- */

#define W2U_FD_READ       0x01
#define W2U_FD_WRITE      0x02
#define W2U_FD_OOB        0x04
#define W2U_FD_ACCEPT     0x08
#define W2U_FD_CONNECT    0x10
#define W2U_FD_CLOSE      0x20
#define W2U_FD_MAX_EVENTS 10

struct ws2_network_events {
    uint32_t events;
    int errors[W2U_FD_MAX_EVENTS];
};
/* event: a ws2uring event handle; mask 0 cancels. */
int ws2_event_select(uintptr_t s, uintptr_t event, uint32_t mask);
/* The same for a window's selection (WSAAsyncSelect, in the Wine glue): it
 * starts with every event enabled again, where WSAEventSelect keeps those
 * already reported so. */
int ws2_message_select(uintptr_t s, uintptr_t event, uint32_t mask);
/* Internal: in the provider's mask, marks a window's selection. */
#define W2U_ES_MESSAGE 0x80000000u
/* Takes and clears the record; resets event if non-zero. */
int ws2_enum_network_events(uintptr_t s, uintptr_t event, struct ws2_network_events *out);

/* ---- options ------------------------------------------------------------------------ */

#define W2U_SOL_SOCKET            0xffff
#define W2U_SO_DEBUG              0x0001
#define W2U_SO_ACCEPTCONN         0x0002
#define W2U_SO_REUSEADDR          0x0004
#define W2U_SO_KEEPALIVE          0x0008
#define W2U_SO_DONTROUTE          0x0010
#define W2U_SO_BROADCAST          0x0020
#define W2U_SO_LINGER             0x0080
#define W2U_SO_OOBINLINE          0x0100
#define W2U_SO_DONTLINGER         ((int)~W2U_SO_LINGER)
#define W2U_SO_EXCLUSIVEADDRUSE   ((int)~W2U_SO_REUSEADDR)
#define W2U_SO_SNDBUF             0x1001
#define W2U_SO_RCVBUF             0x1002
#define W2U_SO_RCVLOWAT           0x1004
#define W2U_SO_SNDTIMEO           0x1005
#define W2U_SO_RCVTIMEO           0x1006
#define W2U_SO_ERROR              0x1007
#define W2U_SO_TYPE               0x1008
#define W2U_SO_MAX_MSG_SIZE       0x2003
#define W2U_SO_CONDITIONAL_ACCEPT 0x3002
#define W2U_SO_UPDATE_ACCEPT_CONTEXT  0x700B
#define W2U_SO_CONNECT_TIME           0x700C
#define W2U_SO_UPDATE_CONNECT_CONTEXT 0x7010

#define W2U_IPPROTO_IPV6          41
#define W2U_TCP_NODELAY           1
#define W2U_TCP_KEEPIDLE          3      /* also TCP_KEEPALIVE */
#define W2U_TCP_MAXSEG            4
#define W2U_TCP_KEEPCNT           16
#define W2U_TCP_KEEPINTVL         17

#define W2U_IP_TOS                3
#define W2U_IP_TTL                4
#define W2U_IP_MULTICAST_IF       9
#define W2U_IP_MULTICAST_TTL      10
#define W2U_IP_MULTICAST_LOOP     11
#define W2U_IP_ADD_MEMBERSHIP     12
#define W2U_IP_DROP_MEMBERSHIP    13
#define W2U_IP_PKTINFO            19

#define W2U_IPV6_UNICAST_HOPS     4
#define W2U_IPV6_MULTICAST_IF     9
#define W2U_IPV6_MULTICAST_HOPS   10
#define W2U_IPV6_MULTICAST_LOOP   11
#define W2U_IPV6_JOIN_GROUP       12
#define W2U_IPV6_LEAVE_GROUP      13
#define W2U_IPV6_PKTINFO          19
#define W2U_IPV6_V6ONLY           27

/* 0, or a negative WSA error; level and name in Windows values. */
int ws2_getsockopt(uintptr_t s, int level, int name, void *val, int *len);
int ws2_setsockopt(uintptr_t s, int level, int name, const void *val, int len);
/* SO_OPENTYPE belongs to the calling thread, not to a socket: whether a
 * level and name are it, its get and set, and whether it asks socket()
 * for synchronous (non-overlapped) sockets. */
bool ws2_opentype_option(int level, int name);
int ws2_opentype_get(void *val, int *len);
int ws2_opentype_set(const void *val, int len);
bool ws2_opentype_synchronous(void);

/* True under Wine (a host installed ops with an apc, ws2uring_host_install): threads
 * that run the program's code or set its events must be the host's. */
bool ws2_hosted(void);

/* ---- catalog --------------------------------------------------------------------------- */

struct ws2_provider;

/* One transport a provider serves (WSAPROTOCOL_INFO fields). */
struct ws2_catalog_entry {
    uint32_t id;                       /* dwCatalogEntryId */
    int af, type, protocol;            /* Windows values */
    int protocol_span;                 /* iProtocolMaxOffset: protocol..protocol+span (raw) */
    uint32_t service_flags1, provider_flags;
    int max_addr, min_addr;
    uint32_t message_size;
    const char *name;                  /* szProtocol */
    bool msafd;                        /* ProviderId: Microsoft's MSAFD Tcpip GUID */
    const struct ws2_provider *provider;
};
const struct ws2_catalog_entry *ws2_catalog(size_t *count);
/* The first entry serving af, type and protocol; 0 for any of them
 * matches any entry, but protocol 0 only those marked
 * PFL_MATCHES_PROTOCOL_ZERO (Windows' rule for socket()'s defaults). */
const struct ws2_catalog_entry *ws2_catalog_find(int af, int type, int protocol);
/* WSADuplicateSocket: a one-use token for the socket, for process pid
 * (this one or another), carried in the WSAPROTOCOL_INFO; then, in that
 * process, a new SOCKET on the same socket (duplicate.c). */
struct ws2_dup_token {
    uint32_t id;         /* the duplicate; 0: none */
    uint32_t pid;        /* the Linux process that made it */
    uint32_t nonce;      /* names that process's keeper (duplicate.c), 0 within the process */
};
int ws2_duplicate_prepare(uintptr_t s, uint32_t pid, struct ws2_dup_token *token);
int ws2_duplicate_open(const struct ws2_dup_token *token, uintptr_t *out);
/* The entry a socket was made from. */
int ws2_socket_entry(uintptr_t s, const struct ws2_catalog_entry **entry);

/* ---- addresses ------------------------------------------------------------------- */

/* Windows sockaddr bytes -> Linux; -W2U_WSAEFAULT (too short), -W2U_WSAEAFNOSUPPORT. */
struct sockaddr_storage;
int ws2_addr_to_linux(const void *waddr, int wlen, struct sockaddr_storage *out, unsigned *outlen);
/* A peer connect and ConnectEx refuse (-W2U_WSAEADDRNOTAVAIL): an IP
 * address of zeros (INADDR_ANY, in6addr_any), as Windows does (Linux
 * takes it for the local host); else 0.  Port 0 is Windows' to take on
 * a datagram socket (sock.c test_events connects one so). */
int ws2_addr_check_peer(const struct sockaddr_storage *addr);
/* Linux -> Windows into buf of *len bytes; *len set to the Windows size.
 * -W2U_WSAEFAULT if it does not fit. */
int ws2_addr_from_linux(const struct sockaddr_storage *addr, unsigned addrlen, void *buf, int *len);
int ws2_af_to_linux(int af);
int ws2_af_from_linux(int af);

#endif
