/*
 * The raw io_uring echo server: one thread, one ring, accept/recv/send as
 * io_uring requests, submissions batched into each io_uring_enter.  The
 * limit ws2uring's IOCP server is measured against.  It is a benchmark
 * program, not part of the library (whose liburing use stays in
 * uring-backend/).   echo_uring PORT SECONDS [fixed]
 * "fixed" registers each connection in the ring's file table and names it
 * by slot (IOSQE_FIXED_FILE): the measurement of what registered files
 * would buy ws2uring at best (connections here live for the whole run).
 */
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { ACCEPT, RECV, SEND };

struct conn {
    int fd, op;
    size_t len;
    char buf[65536];
};

static struct io_uring ring;
static int listener;
static int fixed;                 /* use registered files: slot = descriptor */
enum { SLOTS = 4096 };

/* The descriptor, or its slot in the registered table. */
static void target(struct io_uring_sqe *sqe)
{
    if (fixed)
        sqe->flags |= IOSQE_FIXED_FILE;
}

static struct io_uring_sqe *sqe_get(void)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
    if (!sqe) {
        io_uring_submit(&ring);
        sqe = io_uring_get_sqe(&ring);
    }
    return sqe;
}

static void drop(struct conn *c)
{
    if (fixed) {
        int none = -1;
        io_uring_register_files_update(&ring, (unsigned)c->fd, &none, 1);
    }
    close(c->fd);
    free(c);
}

static void post_accept(void)
{
    static struct conn acceptor = { .op = ACCEPT };
    struct io_uring_sqe *sqe = sqe_get();
    io_uring_prep_accept(sqe, listener, NULL, NULL, 0);
    io_uring_sqe_set_data(sqe, &acceptor);
}

static void post_recv(struct conn *c)
{
    struct io_uring_sqe *sqe = sqe_get();
    c->op = RECV;
    io_uring_prep_recv(sqe, c->fd, c->buf, sizeof(c->buf), 0);
    target(sqe);
    io_uring_sqe_set_data(sqe, c);
}

static void post_send(struct conn *c)
{
    struct io_uring_sqe *sqe = sqe_get();
    c->op = SEND;
    io_uring_prep_send(sqe, c->fd, c->buf, c->len, MSG_WAITALL);
    target(sqe);
    io_uring_sqe_set_data(sqe, c);
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4)
        return 2;
    int one = 1;
    io_uring_queue_init(1024, &ring, 0);
    fixed = argc == 4 && argv[3][0] == 'f';
    if (fixed && io_uring_register_files_sparse(&ring, SLOTS) < 0)
        return 1;
    listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(listener, (struct sockaddr *)&a, sizeof(a)) || listen(listener, 1024))
        return 1;
    post_accept();
    time_t end = time(NULL) + atoi(argv[2]);
    while (time(NULL) < end) {
        struct io_uring_cqe *cqe;
        struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = 500000000 };
        if (io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &ts, NULL) < 0)
            continue;
        unsigned head, n = 0;
        io_uring_for_each_cqe(&ring, head, cqe) {
            struct conn *c = io_uring_cqe_get_data(cqe);
            int res = cqe->res;
            n++;
            if (c->op == ACCEPT) {
                post_accept();
                if (res >= SLOTS && fixed) {
                    close(res);
                } else if (res >= 0) {
                    if (fixed)
                        io_uring_register_files_update(&ring, (unsigned)res, &res, 1);
                    struct conn *nc = calloc(1, sizeof(*nc));
                    nc->fd = res;
                    setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                    post_recv(nc);
                }
            } else if (c->op == RECV) {
                if (res <= 0) {
                    drop(c);
                } else {
                    c->len = (size_t)res;
                    post_send(c);
                }
            } else {
                if (res < 0) {
                    drop(c);
                } else {
                    post_recv(c);
                }
            }
        }
        io_uring_cq_advance(&ring, n);
    }
    return 0;
}
