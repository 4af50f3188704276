/* ws2/ internals, Linux-facing (suite ws2core): the API layer reaches the
 * transport only through the provider table of the socket's catalog entry. */
#include <check.h>
#include <string.h>
#include <netinet/in.h>

#include "../ws2/ws2_private.h"
#include "suite_main.h"

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

int main(void)
{
    Suite *s = suite_create("ws2core");
    TCase *tc = tcase_create("ws2core");
    tcase_add_test(tc, test_api_dispatches_through_provider_table);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
