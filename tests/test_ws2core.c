/* ws2/ internals, Linux-facing (suite ws2core): the API layer reaches the
 * transport only through the provider table of the socket's catalog entry. */
#include <check.h>
#include <dlfcn.h>
#include <netdb.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>

#include "../ws2/ws2_private.h"
#include "../ws2/ws2_resolve.h"
#include "suite_main.h"
#include "linux_helper.h"

static unsigned calls;
static const struct ws2_provider *real;

/* A provider that counts, then hands over to the real one. */
#define COUNT(fn, ...) do { calls++; return real->fn(__VA_ARGS__); } while (0)
static int c_bind(struct ws2_socket *s, const void *a, int l) { COUNT(bind, s, a, l); }
static int c_listen(struct ws2_socket *s, int b) { COUNT(listen, s, b); }
static int c_getsockname(struct ws2_socket *s, void *a, int *l) { COUNT(getsockname, s, a, l); }
static int c_ioctl(struct ws2_socket *s, uint32_t c, uint32_t *a) { COUNT(ioctl, s, c, a); }
static int c_setsockopt(struct ws2_socket *s, int lv, int n, const void *v, int l) { COUNT(setsockopt, s, lv, n, v, l); }
static int c_select(struct ws2_poll_entry *e, unsigned n, int64_t d, bool m) { COUNT(select, e, n, d, m); }

START_TEST(test_api_dispatches_through_provider_table)
{
    struct ws2_startup_info info;
    uintptr_t h;
    ck_assert_int_eq(ws2_startup(0x0202, &info), 0);
    ck_assert_int_eq(ws2_socket_create(W2U_AF_INET, W2U_SOCK_STREAM, 0, 0, &h), 0);

    struct ws2_socket *s;
    ck_assert_int_eq(ws2_socket_get(h, &s), 0);
    real = s->entry->provider;
    ck_assert_ptr_eq(real, &ws2_uring_provider);
    struct ws2_provider counting = *real;
    counting.bind = c_bind;
    counting.listen = c_listen;
    counting.getsockname = c_getsockname;
    counting.ioctl = c_ioctl;
    counting.setsockopt = c_setsockopt;
    counting.select = c_select;
    struct ws2_catalog_entry entry = *s->entry;
    entry.provider = &counting;
    const struct ws2_catalog_entry *saved = s->entry;
    s->entry = &entry;

    struct sockaddr_in in = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int len = sizeof(in), one = 1;
    uint32_t nb = 1;
    ck_assert_int_eq(ws2_bind(h, &in, len), 0);
    ck_assert_int_eq(ws2_listen(h, 4), 0);
    ck_assert_int_eq(ws2_getsockname(h, &in, &len), 0);
    ck_assert_int_eq(ws2_ioctl(h, W2U_FIONBIO, &nb), 0);
    ck_assert_int_eq(ws2_setsockopt(h, W2U_SOL_SOCKET, W2U_SO_KEEPALIVE, &one, sizeof(one)), 0);
    struct ws2_poll_entry pe = { .socket = h, .events = W2U_SEL_READ };
    ck_assert_int_eq(ws2_poll(&pe, 1, 0, true), 0);
    ck_assert_uint_eq(calls, 6);

    s->entry = saved;
    ws2_socket_put(s);
    ck_assert_int_eq(ws2_close(h), 0);
    ck_assert_int_eq(ws2_cleanup(), 0);
}
END_TEST

/* ---- asynchronous lookups ------------------------------------------------------------
 * glibc's getaddrinfo, interposed: the name SLOW blocks until the test lets
 * it go (a DNS query that does not answer), every other goes to glibc. */
#define SLOW "slow.ws2uring.test"
static pthread_mutex_t slow_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slow_cond = PTHREAD_COND_INITIALIZER;
static bool slow_released;
static int slow_returned;

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res)
{
    if (node && !strcmp(node, SLOW)) {
        pthread_mutex_lock(&slow_lock);
        while (!slow_released)
            pthread_cond_wait(&slow_cond, &slow_lock);
        slow_returned++;
        pthread_cond_broadcast(&slow_cond);
        pthread_mutex_unlock(&slow_lock);
        return EAI_NONAME;
    }
    int (*next)(const char *, const char *, const struct addrinfo *, struct addrinfo **) =
        (int (*)(const char *, const char *, const struct addrinfo *, struct addrinfo **))dlsym(RTLD_NEXT,
                                                                                                "getaddrinfo");
    return next(node, service, hints, res);
}

/* Lets the slow queries go and waits until n of them have returned (their
 * lookups' last references then drop). */
static void release_slow(int n)
{
    pthread_mutex_lock(&slow_lock);
    slow_released = true;
    pthread_cond_broadcast(&slow_cond);
    while (slow_returned < n)
        pthread_cond_wait(&slow_cond, &slow_lock);
    pthread_mutex_unlock(&slow_lock);
    usleep(20000);          /* the resolver thread's last lines after getaddrinfo */
}

START_TEST(test_lookup_settles_once_with_the_answer)
{
    uintptr_t id;
    int owner;
    void *got;
    struct ws2_ai *list;
    ck_assert_int_eq(ws2_lookup_start("localhost", "80", NULL, -1, &owner, NULL, &id), 0);
    ck_assert_uint_ne(id, 0);
    ck_assert_int_eq(ws2_lookup_settle(id, &list, &got), 0);
    ck_assert_ptr_eq(got, &owner);
    ck_assert_ptr_nonnull(list);
    ws2_ai_free(list);
    /* The id is stale once settled. */
    ck_assert_int_eq(ws2_lookup_settle(id, &list, &got), -1);
    ck_assert_int_eq(ws2_lookup_cancel(id), -1);
    /* An error of the lookup is the settle's. */
    ck_assert_int_eq(ws2_lookup_start(NULL, "no-such-service-here", NULL, -1, &owner, NULL, &id), 0);
    ck_assert_int_eq(ws2_lookup_settle(id, &list, &got), W2U_WSATYPE_NOT_FOUND);
    ck_assert_ptr_null(list);
}
END_TEST

START_TEST(test_lookup_cancel_ends_it_before_the_answer)
{
    uintptr_t id, other;
    void *got;
    struct ws2_ai *list = (void *)1;
    ck_assert_int_eq(ws2_lookup_start(SLOW, NULL, NULL, -1, NULL, NULL, &id), 0);
    ck_assert_int_eq(ws2_lookup_start("localhost", NULL, NULL, -1, NULL, NULL, &other), 0);
    ck_assert_uint_ne(id, other);
    ck_assert_int_eq(ws2_lookup_cancel(id), 0);
    ck_assert_int_eq(ws2_lookup_cancel(id), -1);           /* once */
    ck_assert_int_eq(ws2_lookup_settle(id, &list, &got), W2U_WSA_E_CANCELLED);
    ck_assert_ptr_null(list);
    ck_assert_int_eq(ws2_lookup_settle(other, &list, &got), 0);
    ws2_ai_free(list);
    release_slow(1);        /* the late answer is dropped, nothing leaks */
}
END_TEST

START_TEST(test_lookup_timeout_ends_it)
{
    uintptr_t id;
    void *got;
    struct ws2_ai *list;
    int64_t t0 = w2u_now_ns();
    ck_assert_int_eq(ws2_lookup_start(SLOW, NULL, NULL, 50, NULL, NULL, &id), 0);
    ck_assert_int_eq(ws2_lookup_settle(id, &list, &got), W2U_WSAETIMEDOUT);
    ck_assert_int_ge(w2u_now_ns() - t0, 50 * 1000000LL);
    ck_assert_ptr_null(list);
    ck_assert_int_eq(ws2_lookup_cancel(id), -1);
    release_slow(1);
}
END_TEST

static pthread_mutex_t settled_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t settled_cond = PTHREAD_COND_INITIALIZER;
static int settled_err = -2;
static pthread_t settled_on;

static void settle_here(uintptr_t id)
{
    struct ws2_ai *list;
    void *owner;
    int e = ws2_lookup_settle(id, &list, &owner);
    ws2_ai_free(list);
    pthread_mutex_lock(&settled_lock);
    settled_err = e;
    settled_on = pthread_self();
    pthread_cond_broadcast(&settled_cond);
    pthread_mutex_unlock(&settled_lock);
}

START_TEST(test_lookup_settler_runs_on_a_thread_of_its_own)
{
    uintptr_t id;
    ck_assert_int_eq(ws2_lookup_start(SLOW, NULL, NULL, -1, NULL, settle_here, &id), 0);
    ck_assert_int_eq(ws2_lookup_cancel(id), 0);
    pthread_mutex_lock(&settled_lock);
    while (settled_err == -2)
        pthread_cond_wait(&settled_cond, &settled_lock);
    pthread_mutex_unlock(&settled_lock);
    ck_assert_int_eq(settled_err, W2U_WSA_E_CANCELLED);
    ck_assert(!pthread_equal(settled_on, pthread_self()));
    release_slow(1);
}
END_TEST

/* One socket's AFD poll answer now (timeout 0): its events. */
static uint16_t afd_now(uintptr_t s, uint16_t mask)
{
    struct ws2_poll_entry e = { .socket = s, .events = mask };
    ck_assert_int_ge(ws2_afd_poll(&e, 1, -1, 0), 0);
    return e.revents;
}

/* Waits up to 5 s for one socket's AFD events in mask (wake: a descriptor
 * that ends the wait, or -1); returns the count, *got its events. */
static int afd_wait_for(uintptr_t s, uint16_t mask, int wake, struct ws2_poll_entry *got)
{
    *got = (struct ws2_poll_entry){ .socket = s, .events = mask };
    return ws2_afd_poll(got, 1, wake, w2u_now_ns() + 5000000000LL);
}

#define AFD_ALL 0x1ff

/* \Device\Afd's poll events, as afd.sys reports them (Wine's afd.c pins
 * them): ACCEPT on a listener, CONNECT while connected, READ only for
 * data, HUP for the peer's end, CLOSE for a socket gone, CONNECT_ERR with
 * the error for a failed connect; a wait ends on its wake descriptor. */
START_TEST(test_afd_poll_reports_windows_events)
{
    struct ws2_startup_info info;
    ck_assert_int_eq(ws2_startup(0x0202, &info), 0);
    uintptr_t l, c, a, r;
    struct sockaddr_in in = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int len = sizeof(in);
    struct ws2_poll_entry e;
    ck_assert_int_eq(ws2_socket_create(W2U_AF_INET, W2U_SOCK_STREAM, 0, 0, &l), 0);
    ck_assert_int_eq(ws2_bind(l, &in, len), 0);
    ck_assert_int_eq(ws2_listen(l, 4), 0);
    ck_assert_int_eq(ws2_getsockname(l, &in, &len), 0);
    ck_assert_uint_eq(afd_now(l, AFD_ALL), 0);
    ck_assert_int_eq(ws2_socket_create(W2U_AF_INET, W2U_SOCK_STREAM, 0, 0, &c), 0);
    ck_assert_uint_eq(afd_now(c, AFD_ALL), 0);          /* never connected: nothing */
    ck_assert_int_eq(ws2_connect(c, &in, len), 0);
    ck_assert_int_eq(afd_wait_for(l, W2U_AFD_POLL_ACCEPT, -1, &e), 1);
    ck_assert_uint_eq(e.revents, W2U_AFD_POLL_ACCEPT);
    ck_assert_int_eq(ws2_accept(l, NULL, NULL, &a), 0);
    ck_assert_uint_eq(afd_now(c, AFD_ALL), W2U_AFD_POLL_WRITE | W2U_AFD_POLL_CONNECT);
    ck_assert_uint_eq(afd_now(c, W2U_AFD_POLL_READ), 0);

    struct ws2_buf b = { 4, (void *)"data" };
    ck_assert_int_eq(ws2_send(a, &b, 1, 0, NULL, 0), 4);
    ck_assert_int_eq(afd_wait_for(c, W2U_AFD_POLL_READ, -1, &e), 1);
    ck_assert_uint_eq(e.revents, W2U_AFD_POLL_READ);
    ck_assert_int_eq(ws2_shutdown(a, W2U_SD_SEND), 0);
    char buf[8];
    struct ws2_buf rb = { sizeof(buf), buf };
    int flags = 0;
    ck_assert_int_eq(ws2_recv(c, &rb, 1, &flags, NULL, NULL), 4);
    /* The end of stream with no data left: HUP, not READ. */
    ck_assert_int_eq(afd_wait_for(c, W2U_AFD_POLL_READ | W2U_AFD_POLL_HUP, -1, &e), 1);
    ck_assert_uint_eq(e.revents, W2U_AFD_POLL_HUP);

    /* A wait ends on its wake descriptor, with nothing to report. */
    int wake[2];
    ck_assert_int_eq(pipe(wake), 0);
    ck_assert_int_eq(write(wake[1], "x", 1), 1);
    ck_assert_int_eq(afd_wait_for(a, W2U_AFD_POLL_READ, wake[0], &e), 0);
    ck_assert_uint_eq(e.revents, 0);
    close(wake[0]);
    close(wake[1]);

    /* A socket gone reports CLOSE, whatever was asked. */
    ck_assert_int_eq(ws2_close(a), 0);
    ck_assert_uint_eq(afd_now(a, W2U_AFD_POLL_READ), W2U_AFD_POLL_CLOSE);

    /* A refused connect: CONNECT_ERR, with its status. */
    ck_assert_int_eq(ws2_close(l), 0);
    ck_assert_int_eq(ws2_socket_create(W2U_AF_INET, W2U_SOCK_STREAM, 0, 0, &r), 0);
    uint32_t nb = 1;
    ck_assert_int_eq(ws2_ioctl(r, W2U_FIONBIO, &nb), 0);
    ck_assert_int_eq(ws2_connect(r, &in, len), -W2U_WSAEWOULDBLOCK);
    ck_assert_int_eq(afd_wait_for(r, W2U_AFD_POLL_CONNECT_ERR, -1, &e), 1);
    ck_assert_uint_eq(e.revents, W2U_AFD_POLL_CONNECT_ERR);
    ck_assert_uint_eq(e.status, W2U_STATUS_CONNECTION_REFUSED);
    ws2_close(r);
    ws2_close(c);
    ws2_cleanup();
}
END_TEST

/* An NT request (NtReadFile under Wine) reports to its own status block,
 * sets its own event, and names its own value on the port, not an
 * OVERLAPPED's; CancelIoEx finds it by its status block. */
START_TEST(test_nt_request_reports_to_its_status_block)
{
    struct ws2_startup_info info;
    ck_assert_int_eq(ws2_startup(0x0202, &info), 0);
    uintptr_t l, c, a, port, event;
    struct sockaddr_in in = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int len = sizeof(in);
    ck_assert_int_eq(ws2_socket_create(W2U_AF_INET, W2U_SOCK_STREAM, 0, W2U_FLAG_OVERLAPPED, &l), 0);
    ck_assert_int_eq(ws2_bind(l, &in, len), 0);
    ck_assert_int_eq(ws2_listen(l, 4), 0);
    ck_assert_int_eq(ws2_getsockname(l, &in, &len), 0);
    ck_assert_int_eq(ws2_socket_create(W2U_AF_INET, W2U_SOCK_STREAM, 0, W2U_FLAG_OVERLAPPED, &c), 0);
    ck_assert_int_eq(ws2_connect(c, &in, len), 0);
    ck_assert_int_eq(ws2_accept(l, NULL, NULL, &a), 0);
    ck_assert_uint_eq(iocp_port_create(1, &port), W2U_STATUS_SUCCESS);
    ck_assert_uint_eq(iocp_associate(c, port, 77), W2U_STATUS_SUCCESS);
    ck_assert_uint_eq(iocp_event_create(true, false, &event), W2U_STATUS_SUCCESS);

    char buf[16];
    struct ws2_buf b = { sizeof(buf), buf };
    uintptr_t iosb[2] = { 0xcccccccc, 0xcccccccc };
    static char value;
    struct ws2_nt_target nt = { .iosb = iosb, .event = event, .apc_context = &value };
    struct ws2_overlapped_op op = { .bufs = &b, .count = 1, .nt = &nt };
    uint32_t now;
    ck_assert_int_eq(ws2_overlapped(c, &op, &now), -W2U_WSA_IO_PENDING);
    struct ws2_buf sb = { 5, (void *)"hello" };
    ck_assert_int_eq(ws2_send(a, &sb, 1, 0, NULL, 0), 5);
    ck_assert_uint_eq(iocp_event_wait(event, w2u_now_ns() + 5000000000LL, false), W2U_STATUS_SUCCESS);
    ck_assert_uint_eq(iosb[0], W2U_STATUS_SUCCESS);
    ck_assert_uint_eq(iosb[1], 5);
    ck_assert_mem_eq(buf, "hello", 5);
    struct iocp_entry e;
    unsigned n = 0;
    ck_assert_uint_eq(iocp_remove(port, &e, 1, &n, w2u_now_ns() + 5000000000LL, false), W2U_STATUS_SUCCESS);
    ck_assert_ptr_eq(e.overlapped, &value);
    ck_assert_uint_eq(e.key, 77);
    ck_assert_uint_eq(e.information, 5);

    /* No value: no packet.  Cancelled by its status block. */
    nt.apc_context = NULL;
    nt.event = 0;
    ck_assert_int_eq(ws2_overlapped(c, &op, &now), -W2U_WSA_IO_PENDING);
    ck_assert_int_eq(ws2_cancel(c, iosb, false), 1);
    for (int i = 0; i < 500 && iosb[0] == W2U_STATUS_PENDING; i++)
        usleep(2000);
    ck_assert_uint_eq(iosb[0], W2U_STATUS_CANCELLED);
    ck_assert_uint_eq(iocp_remove(port, &e, 1, &n, 0, false), W2U_STATUS_TIMEOUT);
    ws2_close(a);
    ws2_close(c);
    ws2_close(l);
    w2u_handle_close(port);
    iocp_event_close(event);
    ws2_cleanup();
}
END_TEST

int ws2uring_wait_ready(uintptr_t h, uint32_t ms, uint32_t *timeout_ms);

static void *close_later(void *arg)
{
    usleep(50000);
    ws2_close((uintptr_t)arg);
    return NULL;
}

/* A host's slice of a blocking receive's wait: not ready while nothing
 * waits, ready with data, and closed (2) when another thread closes the
 * socket meanwhile; SO_RCVTIMEO comes along; a non-blocking socket never
 * waits. */
START_TEST(test_wait_ready_slices_a_blocking_receive)
{
    struct ws2_startup_info info;
    ck_assert_int_eq(ws2_startup(0x0202, &info), 0);
    uintptr_t l, c, a;
    struct sockaddr_in in = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int len = sizeof(in);
    ck_assert_int_eq(ws2_socket_create(W2U_AF_INET, W2U_SOCK_STREAM, 0, 0, &l), 0);
    ck_assert_int_eq(ws2_bind(l, &in, len), 0);
    ck_assert_int_eq(ws2_listen(l, 4), 0);
    ck_assert_int_eq(ws2_getsockname(l, &in, &len), 0);
    ck_assert_int_eq(ws2_socket_create(W2U_AF_INET, W2U_SOCK_STREAM, 0, 0, &c), 0);
    ck_assert_int_eq(ws2_connect(c, &in, len), 0);
    ck_assert_int_eq(ws2_accept(l, NULL, NULL, &a), 0);
    uint32_t timeout = 7, ms = 1234;
    ck_assert_int_eq(ws2_setsockopt(c, W2U_SOL_SOCKET, W2U_SO_RCVTIMEO, &ms, sizeof(ms)), 0);
    ck_assert_int_eq(ws2uring_wait_ready(c, 10, &timeout), 0);
    ck_assert_uint_eq(timeout, 1234);
    struct ws2_buf b = { 2, (void *)"hi" };
    ck_assert_int_eq(ws2_send(a, &b, 1, 0, NULL, 0), 2);
    ck_assert_int_eq(ws2uring_wait_ready(c, 5000, &timeout), 1);
    ck_assert_int_eq(ws2uring_wait_ready(l, 10, &timeout), 0);     /* a listener with nothing to accept */
    uint32_t nb = 1;
    ck_assert_int_eq(ws2_ioctl(l, W2U_FIONBIO, &nb), 0);
    ck_assert_int_eq(ws2uring_wait_ready(l, 10, &timeout), 1);     /* non-blocking: the call answers */
    char buf[4];
    struct ws2_buf rb = { sizeof(buf), buf };
    int flags = 0;
    ck_assert_int_eq(ws2_recv(c, &rb, 1, &flags, NULL, NULL), 2);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, close_later, (void *)c), 0);
    ck_assert_int_eq(ws2uring_wait_ready(c, 5000, &timeout), 2);
    pthread_join(t, NULL);
    ws2_close(a);
    ws2_close(l);
    ws2_cleanup();
}
END_TEST

int main(void)
{
    if (ws2_test_uring_missing())
        return 77;
    Suite *s = suite_create("ws2core");
    TCase *tc = tcase_create("ws2core");
    tcase_add_test(tc, test_api_dispatches_through_provider_table);
    tcase_add_test(tc, test_afd_poll_reports_windows_events);
    tcase_add_test(tc, test_nt_request_reports_to_its_status_block);
    tcase_add_test(tc, test_wait_ready_slices_a_blocking_receive);
    tcase_add_test(tc, test_lookup_settles_once_with_the_answer);
    tcase_add_test(tc, test_lookup_cancel_ends_it_before_the_answer);
    tcase_add_test(tc, test_lookup_timeout_ends_it);
    tcase_add_test(tc, test_lookup_settler_runs_on_a_thread_of_its_own);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
