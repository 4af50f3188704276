/*
 * Echo load client: N connections each doing ping-pong with S-byte
 * messages for D seconds after a warm-up, checking every byte that comes
 * back.  One epoll thread.  Prints one line:
 *   bench=echo impl=LABEL conns=N size=S requests=R req_per_sec=X p50_us=P p99_us=Q errors=E
 *   loadgen LABEL PORT CONNS SIZE SECONDS WARMUP
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES (1u << 22)

struct conn {
    int fd;
    uint32_t seq;                 /* message number: the pattern depends on it */
    size_t sent, got;
    uint64_t started_ns;
    unsigned char *out, *in;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void fill(struct conn *c, size_t size, unsigned id)
{
    for (size_t i = 0; i < size; i++)
        c->out[i] = (unsigned char)(id * 31 + c->seq * 7 + i);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: %s LABEL PORT CONNS SIZE SECONDS WARMUP\n", argv[0]);
        return 2;
    }
    const char *label = argv[1];
    int port = atoi(argv[2]), nconn = atoi(argv[3]);
    size_t size = (size_t)atol(argv[4]);
    double seconds = atof(argv[5]), warmup = atof(argv[6]);
    if (nconn < 1 || nconn > 4096 || size < 1 || size > (1 << 20) || seconds <= 0) {
        fprintf(stderr, "loadgen: bad arguments\n");
        return 2;
    }
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    struct conn *conns = calloc((size_t)nconn, sizeof(*conns));
    uint32_t *samples = malloc(MAX_SAMPLES * sizeof(uint32_t));
    int ep = epoll_create1(0);
    uint64_t errors = 0;

    for (int i = 0; i < nconn; i++) {
        struct conn *c = &conns[i];
        c->fd = socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        int tries = 0;
        while (connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
            if (++tries > 1000) {           /* 10 s: a server under Wine starts slowly */
                fprintf(stderr, "loadgen: connect: %s\n", strerror(errno));
                return 1;
            }
            close(c->fd);
            c->fd = socket(AF_INET, SOCK_STREAM, 0);
            setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            usleep(10000);
        }
        c->out = malloc(size);
        c->in = malloc(size);
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
    }

    uint64_t start = now_ns(), measure_from = start + (uint64_t)(warmup * 1e9),
             end = measure_from + (uint64_t)(seconds * 1e9), requests = 0, nsamples = 0;
    for (int i = 0; i < nconn; i++) {
        struct conn *c = &conns[i];
        fill(c, size, (unsigned)i);
        c->started_ns = now_ns();
        if (write(c->fd, c->out, size) != (ssize_t)size)
            errors++;
    }
    struct epoll_event evs[256];
    int done = 0;
    while (!done) {
        int n = epoll_wait(ep, evs, 256, 1000);
        uint64_t t = now_ns();
        if (t >= end)
            done = 1;
        for (int k = 0; k < n && !done; k++) {
            struct conn *c = &conns[evs[k].data.u32];
            ssize_t r = read(c->fd, c->in + c->got, size - c->got);
            if (r <= 0) {
                if (r < 0 && errno == EAGAIN)
                    continue;
                errors++;
                done = 1;
                break;
            }
            c->got += (size_t)r;
            if (c->got < size)
                continue;
            if (memcmp(c->in, c->out, size))
                errors++;                         /* the echo must be exact */
            t = now_ns();
            if (c->started_ns >= measure_from) {
                requests++;
                if (nsamples < MAX_SAMPLES)
                    samples[nsamples++] = (uint32_t)((t - c->started_ns) / 1000);
            }
            c->seq++;
            c->got = 0;
            fill(c, size, evs[k].data.u32);
            c->started_ns = t;
            size_t off = 0;
            while (off < size) {
                ssize_t w = write(c->fd, c->out + off, size - off);
                if (w < 0) {
                    errors++;
                    break;
                }
                off += (size_t)w;
            }
        }
    }
    qsort(samples, nsamples, sizeof(uint32_t), cmp_u32);
    uint32_t p50 = nsamples ? samples[nsamples / 2] : 0, p99 = nsamples ? samples[nsamples * 99 / 100] : 0;
    printf("bench=echo impl=%s conns=%d size=%zu requests=%llu req_per_sec=%.0f p50_us=%u p99_us=%u errors=%llu\n",
           label, nconn, size, (unsigned long long)requests, (double)requests / seconds, p50, p99,
           (unsigned long long)errors);
    for (int i = 0; i < nconn; i++) {
        close(conns[i].fd);
        free(conns[i].out);
        free(conns[i].in);
    }
    close(ep);
    free(conns);
    free(samples);
    return errors ? 1 : 0;
}
