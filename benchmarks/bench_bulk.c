/*
 * Bulk transfer through a completion port, the two loads on which
 * ws2uring's submission batching and inline receives show:
 *
 *   transmit: CONNS connections each send a SIZE-byte file with
 *     TransmitFile, again and again, all completing on one port served by
 *     one thread; a blocking reader per connection checks every byte.  Each
 *     TransmitFile is several io_uring steps, the next submitted from the
 *     completion of the one before: batching sends those in one system call
 *     per reaped batch.
 *   receive: a blocking writer per connection streams data; one thread
 *     keeps a WSARecv of SIZE bytes posted on every connection and checks
 *     every byte it gets.  Data is usually waiting, so a receive can
 *     complete inline instead of taking a trip through the ring.
 *
 * Run it as is and with WS2URING_DISABLE=batch / inline-recv to compare
 * (benchmarks/run_bulk.sh does, in one run).
 *
 *   bench_bulk transmit|receive CONNS SIZE SECONDS LABEL
 * prints: bench=bulk mode=M impl=LABEL conns=N size=N ops=N ops_per_sec=X MiB_per_sec=X errors=N
 */
#include <winsock2.h>
#include <mswsock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CONNS 256
#define PATTERN   (1u << 20)      /* the bytes every stream repeats */
#define CHUNK     65536           /* a writer's send, a reader's recv */

struct conn {
    SOCKET ov_side;               /* ours: overlapped, on the port */
    SOCKET plain_side;            /* the blocking peer thread's */
    OVERLAPPED ov;
    HANDLE thread;
    unsigned long long got;       /* bytes checked, by whichever side reads */
    LONG bad;
    char *buf;                    /* receive mode: the posted receive */
};

static unsigned long long stream_len; /* transmit: the file size; receive: PATTERN */
static unsigned char *expected;       /* the stream's repeating bytes */
static volatile LONG stopping;

/* Compares n received bytes with the stream at c->got, across its wraps. */
static void check(struct conn *c, const char *buf, int n)
{
    for (int i = 0; i < n;) {
        unsigned long long at = (c->got + (unsigned)i) % stream_len;
        unsigned long long room = stream_len - at;
        int piece = room < (unsigned long long)(n - i) ? (int)room : n - i;
        if (memcmp(buf + i, expected + at, (size_t)piece))
            c->bad = 1;
        i += piece;
    }
    c->got += (unsigned)n;
}

static DWORD WINAPI blocking_reader(void *arg)
{
    struct conn *c = arg;
    char *buf = malloc(CHUNK);
    int n;
    while (buf && (n = recv(c->plain_side, buf, CHUNK, 0)) > 0)
        check(c, buf, n);
    free(buf);
    return 0;
}

static DWORD WINAPI blocking_writer(void *arg)
{
    struct conn *c = arg;
    unsigned long long at = 0;
    while (!stopping) {
        int n = (int)(PATTERN - at < CHUNK ? PATTERN - at : CHUNK);
        n = send(c->plain_side, (const char *)expected + at, n, 0);
        if (n <= 0)
            break;                /* the reader closed at the end */
        at = (at + (unsigned)n) % PATTERN;
    }
    return 0;
}

static double now(void)
{
    LARGE_INTEGER f, t;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&t);
    return (double)t.QuadPart / (double)f.QuadPart;
}

static HANDLE make_file(void)
{
    char path[64];
    snprintf(path, sizeof(path), "/tmp/bench_bulk.%lu", (unsigned long)GetCurrentProcessId());
    HANDLE f = CreateFileA(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (f == INVALID_HANDLE_VALUE)
        return f;
    DWORD put = 0;
    BOOL ok = WriteFile(f, expected, (DWORD)stream_len, &put, NULL) && put == stream_len;
    CloseHandle(f);
    f = ok ? CreateFileA(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, NULL)
           : INVALID_HANDLE_VALUE;
    remove(path);
    return f;
}

static LPFN_TRANSMITFILE pTransmitFile;
static HANDLE file;

/* Starts the next operation on c: 1, or 0 on failure. */
static int start(int transmit, struct conn *c, DWORD size)
{
    memset(&c->ov, 0, sizeof(c->ov));
    if (transmit)
        return pTransmitFile(c->ov_side, file, 0, 0, &c->ov, NULL, 0) || WSAGetLastError() == ERROR_IO_PENDING;
    WSABUF b = { size, c->buf };
    DWORD flags = 0;
    return !WSARecv(c->ov_side, &b, 1, NULL, &flags, &c->ov, NULL) || WSAGetLastError() == WSA_IO_PENDING;
}

int main(int argc, char **argv)
{
    WSADATA wsa;
    if (argc != 6 || (strcmp(argv[1], "transmit") && strcmp(argv[1], "receive"))) {
        fprintf(stderr, "usage: %s transmit|receive CONNS SIZE SECONDS LABEL\n", argv[0]);
        return 2;
    }
    int transmit = !strcmp(argv[1], "transmit");
    int conns = atoi(argv[2]), seconds = atoi(argv[4]);
    unsigned long long size = strtoull(argv[3], NULL, 10);
    if (conns < 1 || conns > MAX_CONNS || !size || size > (64u << 20) || seconds < 1) {
        fprintf(stderr, "bench_bulk: CONNS 1..%d, SIZE 1..64 MiB, SECONDS >= 1\n", MAX_CONNS);
        return 2;
    }
    if (WSAStartup(MAKEWORD(2, 2), &wsa))
        return 1;
    stream_len = transmit ? size : PATTERN;
    if (!(expected = malloc(stream_len)))
        return 1;
    for (unsigned long long i = 0; i < stream_len; i++)
        expected[i] = (unsigned char)(i % 251u);
    if (transmit && (file = make_file()) == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "bench_bulk: cannot make the file in /tmp\n");
        return 1;
    }

    SOCKET listener = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    struct sockaddr_in addr = { .sin_family = AF_INET };
    int len = sizeof(addr);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener, (struct sockaddr *)&addr, sizeof(addr)) || listen(listener, SOMAXCONN) ||
        getsockname(listener, (struct sockaddr *)&addr, &len)) {
        fprintf(stderr, "bench_bulk: listen failed: %d\n", WSAGetLastError());
        return 1;
    }
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    struct conn *c = calloc((size_t)conns, sizeof(*c));
    if (!c)
        return 1;
    for (int i = 0; i < conns; i++) {
        c[i].ov_side = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
        if (connect(c[i].ov_side, (struct sockaddr *)&addr, sizeof(addr)) ||
            (c[i].plain_side = accept(listener, NULL, NULL)) == INVALID_SOCKET ||
            !CreateIoCompletionPort((HANDLE)c[i].ov_side, port, (ULONG_PTR)i, 0) ||
            (!transmit && !(c[i].buf = malloc(size)))) {
            fprintf(stderr, "bench_bulk: connection %d failed: %d\n", i, WSAGetLastError());
            return 1;
        }
        c[i].thread = CreateThread(NULL, 0, transmit ? blocking_reader : blocking_writer, &c[i], 0, NULL);
    }
    GUID guid = WSAID_TRANSMITFILE;
    DWORD ret;
    if (transmit && WSAIoctl(c[0].ov_side, SIO_GET_EXTENSION_FUNCTION_POINTER, &guid, sizeof(guid),
                             &pTransmitFile, sizeof(pTransmitFile), &ret, NULL, NULL)) {
        fprintf(stderr, "bench_bulk: no TransmitFile: %d\n", WSAGetLastError());
        return 1;
    }

    long errors = 0, ops = 0, in_flight = 0;
    unsigned long long moved = 0, checked = 0;
    for (int i = 0; i < conns; i++) {
        if (start(transmit, &c[i], (DWORD)size))
            in_flight++;
        else
            errors++;
    }
    double begin = now(), end = begin + seconds;
    while (in_flight) {
        DWORD bytes;
        ULONG_PTR key;
        OVERLAPPED *ov;
        BOOL ok = GetQueuedCompletionStatus(port, &bytes, &key, &ov, 10000);
        if (!ov) {
            errors++;             /* ten seconds without a completion */
            break;
        }
        in_flight--;
        if (!ok || !bytes || (transmit && bytes != size)) {
            errors++;
            continue;
        }
        ops++;
        moved += bytes;
        if (!transmit)
            check(&c[key], c[key].buf, (int)bytes);
        if (now() < end) {
            if (start(transmit, &c[key], (DWORD)size))
                in_flight++;
            else
                errors++;
        }
    }
    double took = now() - begin;

    stopping = 1;
    for (int i = 0; i < conns; i++) {
        /* The reader sees the end of the stream; the writer's next send fails. */
        if (transmit)
            shutdown(c[i].ov_side, SD_SEND);
        else
            closesocket(c[i].ov_side);
        WaitForSingleObject(c[i].thread, INFINITE);
        CloseHandle(c[i].thread);
        if (transmit)
            closesocket(c[i].ov_side);
        closesocket(c[i].plain_side);
        errors += c[i].bad;
        checked += c[i].got;
        free(c[i].buf);
    }
    if (checked != moved)
        errors++;                 /* bytes reported sent that never arrived */
    free(c);
    free(expected);
    if (transmit)
        CloseHandle(file);
    CloseHandle(port);
    closesocket(listener);
    WSACleanup();
    printf("bench=bulk mode=%s impl=%s conns=%d size=%llu ops=%ld ops_per_sec=%.0f MiB_per_sec=%.1f errors=%ld\n",
           argv[1], argv[5], conns, size, ops, ops / took, (double)moved / took / 1048576.0, errors);
    return errors ? 1 : 0;
}
