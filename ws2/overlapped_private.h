/* What the files of ws2/'s overlapped requests share (overlapped.c: the
 * request's life, submission, completion and cancellation;
 * overlapped_ext.c: AcceptEx, ConnectEx, DisconnectEx and the operations
 * that end in the call; transmit.c: TransmitFile and TransmitPackets). */
#ifndef W2U_OVERLAPPED_PRIVATE_H
#define W2U_OVERLAPPED_PRIVATE_H

#include <sys/socket.h>

#include "../uring-backend/uring.h"
#include "ws2_private.h"

/* A TransmitFile / TransmitPackets element: a buffer, or a file range
 * (left UINT64_MAX: to the end of the file). */
struct tx_part {
    void *buf;
    size_t len;
    struct w2u_object *file;         /* a reference */
    int fd;
    bool own_fd;                     /* fd is the host's file, ours to close */
    uint64_t off, left;
    bool eop;                        /* nothing after it joins its send */
};

/* Buffers kept inside the request: most calls pass one or two, and a
 * request small enough for malloc's per-thread cache is cheaper per
 * operation than one sized for many. */
#define INLINE_BUFS 4

/* The kinds of request; ov_kinds (overlapped.c) has each one's operations. */
enum ov_kind {
    OV_RECV, OV_SEND, OV_ACCEPT, OV_CONNECT, OV_DISCONNECT, OV_TRANSMIT,
    OV_NOW,          /* ends inside the call (ws2_complete_now) */
    OV_PARKED,       /* waits for a cancel or closesocket (ws2_park) */
    OV_KINDS
};

/* The message a request moves data with: a receive's or a send's, and the
 * data steps of AcceptEx (its first data), ConnectEx (the data it carries)
 * and the transmits (their send steps). */
struct ov_io {
    bool send;
    bool poll_only;                  /* a zero-byte stream receive: waits for data, reads none */
    struct msghdr msg;
    struct iovec *iov;               /* iov_inline, after ctl for more buffers, or a transmit's own */
    unsigned iov_cap;                /* a transmit's: how many buffers one send may gather */
    struct iovec iov_inline[INLINE_BUFS];
    unsigned nbufs;                  /* the program's buffers (iov's entries) */
    char *flat;                      /* a datagram of more than IOV_PER_CALL buffers: its one copy */
    struct iovec flat_iov;           /* ... as the message's iovec (advanced by sends, so not the owner) */
    struct iovec *pos;               /* sends: what is left */
    size_t left;
    size_t done;
    size_t want;                     /* a receive's buffer space */
    struct sockaddr_storage addr;    /* the peer's: a receive's sender, AcceptEx's, ConnectEx's target */
    unsigned addrlen;
    void *from;                      /* WSARecvFrom's lpFrom / lpFromlen */
    int *fromlen;
    int send_flags;                  /* a send's MSG_OOB / MSG_DONTROUTE, Linux's */
    void *uctl;                      /* WSARecvMsg's control buffer, length and flags */
    uint32_t uctl_len, *uctl_out, *uflags;
};

/* AcceptEx's own part. */
struct ov_accept {
    struct ws2_socket *peer;         /* the accept socket (a reference) */
    char *buf;                       /* the program's output buffer: first data, then the addresses */
    uint32_t datalen, locallen, remotelen;
    bool too_small;                  /* address space too small: completes BUFFER_TOO_SMALL, accepts nothing */
};

/* ConnectEx's own part. */
struct ov_connect {
    char *data;                      /* a copy of the data it sends once connected */
};

/* TransmitFile's and TransmitPackets' own part. */
struct ov_transmit {
    struct tx_part *parts;           /* what to send, */
    unsigned nparts, part;           /* and the part in progress */
    uint32_t chunk, tflags;
    char *chunk_buf;                 /* file data on its way from read to send */
    struct iovec fiov;
};

/* A request: the header every kind has, the message, and its kind's own
 * part (ov_kinds[kind] says which). */
struct ov_req {
    _Atomic int refs;                /* 1, plus a canceller's while it works */
    struct ur_req ur;
    struct iocp_completion c;
    struct ws2_socket *sock;         /* a reference while the request lives */
    struct ws2_link link;            /* in one of the socket's queues (ov_queue_of) */
    struct ov_req *cancel_next;      /* cancel_matching's own lists */
    struct ur_ring *ring;            /* where it was last submitted */
    struct iocp_port *port;          /* the port owning that ring, if any */
    enum ov_kind kind;               /* what it is: ov_kinds[kind] says how it runs */
    bool started;
    bool try_now;                    /* see ws2_overlapped_op */
    uint8_t fault_retries;           /* receives retried after EFAULT (retry_after_fault) */
    uint8_t orphan_retries;          /* resubmitted after their thread's exit cancelled them */
    _Atomic bool cancelled;          /* set by a cancel: a multi-part request stops at its next part */
    _Atomic uint8_t end;             /* END_*: delivered, or awaited by a canceller (see end_request) */
    int phase;                       /* accept: 0 accepting, 1 first data; connect: 0, 1 sending;
                                      * transmit: 0 sending, 1 reading a file */
    uint32_t thread_id;              /* issuer, for CancelIo */
    w2u_completion_routine routine;
    uintptr_t host_thread;           /* a host's handle of the issuing thread (see w2u_host()->apc) */
    struct iocp_overlapped shadow;   /* an NT request's own OVERLAPPED (its event: c.nt_iosb) */
    void *nt_apc, *nt_apc_context;   /* an NT request's APC (see w2u_host()->nt_apc) */
    struct ov_io io;
    union {
        struct ov_accept acc;        /* OV_ACCEPT */
        struct ov_connect con;       /* OV_CONNECT */
        struct ov_transmit tx;       /* OV_TRANSMIT */
    };
    _Alignas(struct cmsghdr) char ctl[];   /* the Linux control data, sized per request */
};

/* glibc's per-thread cache serves blocks up to about 1 KiB. */
_Static_assert(sizeof(struct ov_req) <= 1024, "ov_req outgrew malloc's thread cache");

/* The request a queue link belongs to, or NULL. */
static inline struct ov_req *ov_of(struct ws2_link *l)
{
    return l ? W2U_CONTAINER_OF(l, struct ov_req, link) : NULL;
}

/* Shared by the three files; each is described where it is defined. */
/* overlapped.c: a request's life, queues, submission and completion. */
void ov_req_free(struct ov_req *r);
void ov_req_release(struct iocp_packet *p);
void ov_deliver(struct ov_req *r, uint32_t status, uintptr_t bytes, bool synchronous);
void ov_finish(struct ov_req *r, uint32_t status, uintptr_t bytes, bool synchronous);
void ov_set_routine(struct ov_req *q, w2u_completion_routine routine);
void ov_mark_pending(struct ws2_socket *s, struct iocp_overlapped *ov);
bool ov_enqueue(struct ov_req *r);
struct ws2_queue *ov_queue_of(struct ws2_socket *s, const struct ov_req *r);
int ov_submit(struct ov_req *r);
bool ov_sent_all(struct ov_req *r, size_t n);
bool ov_resubmit_unfinished(struct ov_req *r, int *res);
bool ov_retry_after_fault(struct ov_req *r, int *res);
bool ov_step_ended(struct ov_req *r, int *res);
int ov_wait_outcome(uintptr_t h, struct iocp_overlapped *ov, uint32_t *bytes);
unsigned ov_cancel_matching(struct ws2_socket *s, const void *ov, uint32_t thread_id);
struct ov_req *ov_request_new(struct ws2_socket *s, enum ov_kind kind, struct iocp_overlapped *ov, size_t extra);
/* overlapped_ext.c: AcceptEx's and ConnectEx's operations (ov_kinds) */
void ov_accept_done(struct ur_req *ur, int res, uint32_t flags);
void ov_accept_release(struct ov_req *r);
void ov_connect_done(struct ur_req *ur, int res, uint32_t flags);
void ov_connect_release(struct ov_req *r);
void ov_disconnect(struct ws2_socket *s, uint32_t flags);
/* transmit.c: the transmits' operations (ov_kinds) */
int ov_transmit_start(struct ov_req *r);
void ov_transmit_done(struct ur_req *ur, int res, uint32_t flags);
void ov_transmit_release(struct ov_req *r);

#endif
