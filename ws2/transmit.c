/* TransmitFile and TransmitPackets: a request that sends its parts (buffers
 * and file ranges) one after another. */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <unistd.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "../uring-backend/uring.h"
#include "ws2_private.h"
#include "overlapped_private.h"

static bool part_is_file(const struct tx_part *p)
{
    return p->file || p->own_fd;
}

/* The descriptor behind a file handle TransmitFile may send: a ws2uring
 * file (*obj, a reference to drop) or, under Wine, a descriptor of the
 * host's file that is ours to close (*obj NULL).  0 or -WSAEINVAL. */
static int file_descriptor(uintptr_t file, struct w2u_object **obj, int *fd)
{
    if ((*obj = iocp_file_get(file, fd)))
        return 0;
    if (!w2u_host()->file_fd || (*fd = w2u_host()->file_fd(file)) < 0)
        return -W2U_WSAEINVAL;
    return 0;
}

/* ---- TransmitFile, TransmitPackets ---------------------------------------------------------
 * One request walks through its parts, each step one io_uring operation:
 * a buffer is sent in full; a file range is read a chunk at a time at its
 * offset, and each chunk sent in full.  The request sits in the socket's
 * send queue, so it keeps its place among overlapped sends; a cancel stops
 * it at the step in flight.  Phases: 0 sending a buffer, 1 reading a chunk,
 * 2 sending a chunk. */

/* The next step to send is one buffer. */
static void send_one(struct ov_req *r, void *buf, size_t len)
{
    r->io.iov[0] = (struct iovec){ buf, len };
    r->io.pos = r->io.iov;
    r->io.left = 1;
    r->io.msg.msg_iov = r->io.iov;
    r->io.msg.msg_iovlen = 1;
}

/* Starts the next step: 0, -errno, or 1 when everything is sent. */
static int transmit_next(struct ov_req *r)
{
    for (; r->tx.part < r->tx.nparts; r->tx.part++) {
        struct tx_part *p = &r->tx.parts[r->tx.part];
        if (!part_is_file(p) && p->len) {
            /* Consecutive buffers go out in one send (on a stream the same
             * bytes in the same order, for one system call; on a datagram
             * socket one datagram) up to an element marked end of packet. */
            unsigned k = 0;
            while (r->tx.part < r->tx.nparts && !part_is_file(&r->tx.parts[r->tx.part]) && k < r->io.iov_cap) {
                struct tx_part *b = &r->tx.parts[r->tx.part++];
                if (b->len) {
                    r->io.iov[k++] = (struct iovec){ b->buf, b->len };
                    b->len = 0;                     /* in the iovec now */
                }
                if (b->eop)
                    break;
            }
            r->phase = 0;
            r->io.pos = r->io.iov;
            r->io.left = k;
            r->io.msg.msg_iov = r->io.iov;
            r->io.msg.msg_iovlen = k;
            return ov_submit(r);
        }
        if (part_is_file(p) && p->left) {
            r->phase = 1;
            r->tx.fiov.iov_base = r->tx.chunk_buf;
            r->tx.fiov.iov_len = p->left < r->tx.chunk ? (size_t)p->left : r->tx.chunk;
            return ov_submit(r);
        }
    }
    return 1;
}

/* Everything sent: the disconnect it asked for (its completion follows). */
static void transmit_ended(struct ov_req *r)
{
    if (r->tx.tflags & W2U_TF_DISCONNECT)
        ov_disconnect(r->sock, r->tx.tflags);
}

/* ... and the completion. */
static void transmit_finish(struct ov_req *r, bool synchronous)
{
    transmit_ended(r);
    ov_finish(r, W2U_STATUS_SUCCESS, r->io.done, synchronous);
}

/* A transmit queued behind other sends starts: 1 when it had nothing to
 * send (ended, its disconnect made). */
int ov_transmit_start(struct ov_req *r)
{
    int e = transmit_next(r);
    if (e == 1)
        transmit_ended(r);
    return e;
}

/* Its files' references and descriptors, its buffers. */
void ov_transmit_release(struct ov_req *r)
{
    for (unsigned i = 0; i < r->tx.nparts; i++) {
        if (r->tx.parts[i].file)
            w2u_object_unref(r->tx.parts[i].file);
        if (r->tx.parts[i].own_fd)
            close(r->tx.parts[i].fd);
    }
    free(r->tx.parts);
    free(r->tx.chunk_buf);
    if (r->io.iov != r->io.iov_inline)
        free(r->io.iov);
}

void ov_transmit_done(struct ur_req *ur, int res, uint32_t flags)
{
    struct ov_req *r = W2U_CONTAINER_OF(ur, struct ov_req, ur);
    (void)flags;
    if (ov_step_ended(r, &res))
        return;
    if (atomic_load(&r->cancelled)) {
        ov_finish(r, W2U_STATUS_CANCELLED, r->io.done, false);
        return;
    }
    int e;
    if (r->phase == 1) {
        /* A chunk read: send it.  End of file ends the range early. */
        struct tx_part *p = &r->tx.parts[r->tx.part];
        p->off += (uint64_t)res;
        p->left = res ? p->left - (uint64_t)res : 0;
        if (res) {
            r->phase = 2;
            send_one(r, r->tx.chunk_buf, (size_t)res);
            e = ov_submit(r);
        } else {
            e = transmit_next(r);
        }
    } else {
        e = ov_sent_all(r, (size_t)res) ? transmit_next(r) : ov_submit(r);
    }
    if (e == 1)
        transmit_finish(r, false);
    else if (e < 0)
        ov_finish(r, w2u_errno_to_status(-e), r->io.done, false);
}


/* Checks and copies the elements into q's parts: 0 or -WSA error. */
static int transmit_parts(struct ov_req *q, const struct ws2_tx_element *els, unsigned n)
{
    if (n && !els)
        return -W2U_WSAEFAULT;
    if (!(q->tx.parts = calloc(n ? n : 1, sizeof(*q->tx.parts))))
        return -W2U_WSAENOBUFS;
    bool files = false;
    unsigned bufs = 0;
    for (unsigned i = 0; i < n; i++, q->tx.nparts++) {
        struct tx_part *p = &q->tx.parts[i];
        if (els[i].file) {
            if (file_descriptor(els[i].file, &p->file, &p->fd) < 0)
                return -W2U_WSAEINVAL;
            p->own_fd = !p->file;
            p->off = els[i].offset;
            p->left = els[i].len ? els[i].len : UINT64_MAX;
            files = true;
        } else {
            if (els[i].len && !els[i].buf)
                return -W2U_WSAEFAULT;
            p->buf = els[i].buf;
            p->len = els[i].len;
            p->eop = els[i].eop;
            bufs++;
        }
    }
    q->io.iov_cap = INLINE_BUFS;
    if (bufs > INLINE_BUFS) {
        q->io.iov_cap = bufs < INLINE_IOVS ? bufs : INLINE_IOVS;
        if (!(q->io.iov = calloc(q->io.iov_cap, sizeof(*q->io.iov)))) {
            q->io.iov = q->io.iov_inline;
            return -W2U_WSAENOBUFS;
        }
    }
    if (files && !(q->tx.chunk_buf = malloc(q->tx.chunk)))
        return -W2U_WSAENOBUFS;
    return 0;
}

int ws2_transmit(uintptr_t h, const struct ws2_tx_element *els, unsigned n, uint32_t per_send,
                 uint32_t flags, struct iocp_overlapped *ov)
{
    struct ws2_socket *s;
    int r = ws2_socket_get(h, &s);
    if (r < 0)
        return r;
    ws2_refresh_connect(s);
    /* A datagram socket sends to its connected peer, and has nothing to
     * disconnect. */
    int bad = !ov ? -W2U_WSAEFAULT
            : ws2_is(s, W2U_ST_SHUT_SEND) ? -W2U_WSAESHUTDOWN
            : !ws2_is(s, W2U_ST_CONNECTED) ? -W2U_WSAENOTCONN
            : ((flags & W2U_TF_REUSE_SOCKET) && !(flags & W2U_TF_DISCONNECT)) ? -W2U_WSAEINVAL
            : (s->type != SOCK_STREAM && s->type != SOCK_DGRAM) ? -W2U_WSAEOPNOTSUPP
            : (s->type == SOCK_DGRAM && (flags & W2U_TF_DISCONNECT)) ? -W2U_WSAEOPNOTSUPP : 0;
    if (bad) {
        ws2_socket_put(s);
        return bad;
    }
    struct ov_req *q = ov_request_new(s, OV_TRANSMIT, ov, 0);
    if (!q) {
        ws2_socket_put(s);
        return -W2U_WSAENOBUFS;
    }
    q->io.send = true;
    q->tx.tflags = flags;
    q->tx.chunk = per_send ? (per_send < (1u << 20) ? per_send : 1u << 20) : 65536;
    if ((r = transmit_parts(q, els, n)) < 0) {
        ov_req_free(q);
        return r;
    }
    ov_mark_pending(s, ov);
    if (!ov_enqueue(q))
        return -W2U_WSA_IO_PENDING;    /* after the sends before it */
    int e = transmit_next(q);
    if (e == 1) {
        transmit_finish(q, true);      /* nothing to send at all: done now */
        return 0;
    }
    if (e < 0)
        ov_finish(q, w2u_errno_to_status(-e), 0, false);
    return -W2U_WSA_IO_PENDING;
}

int ws2_transmit_sync(uintptr_t h, const struct ws2_tx_element *els, unsigned n, uint32_t per_send,
                      uint32_t flags)
{
    /* No event and the low bit set: nothing is signalled and no packet
     * reaches the socket's port; the wait is on the socket itself. */
    struct iocp_overlapped own = { .event = 1 };
    int r = ws2_transmit(h, els, n, per_send, flags, &own);
    return r == -W2U_WSA_IO_PENDING ? ov_wait_outcome(h, &own, NULL) : r;
}

int ws2_file_position(uintptr_t file, uint64_t *at)
{
    int fd;
    struct w2u_object *obj;
    if (file_descriptor(file, &obj, &fd) < 0)
        return -W2U_WSAEINVAL;
    off_t pos = lseek(fd, 0, SEEK_CUR);     /* a host's duplicate shares the position */
    if (obj)
        w2u_object_unref(obj);
    else
        close(fd);
    if (pos < 0)
        return -W2U_WSAEINVAL;
    *at = (uint64_t)pos;
    return 0;
}
