/* common/: the error table and the handle table (suite common). */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/w2u.h"
#include "suite_main.h"

/* ---- error table ---------------------------------------------------------- */

/* Each expectation is Windows' own, written from its documentation and
 * Wine's conformance tests, not from the table: the NTSTATUS AFD would
 * complete with, RtlNtStatusToDosError of it, and the WSA code of the
 * synchronous call. */
static const struct w2u_error_row expected[] = {
    { ECANCELED,    0xC0000120u, 995,  995 },
    { ECONNRESET,   0xC000020Du, 64,   10054 },
    { ECONNREFUSED, 0xC0000236u, 1225, 10061 },
    { ECONNABORTED, 0xC0000241u, 1236, 10053 },
    { ETIMEDOUT,    0xC00000B5u, 121,  10060 },
    { ENETUNREACH,  0xC000023Cu, 1231, 10051 },
    { ENETDOWN,     0xC000023Cu, 1231, 10050 },
    { ENETRESET,    0xC000020Du, 64,   10052 },
    { EHOSTUNREACH, 0xC000023Du, 1232, 10065 },
    { EHOSTDOWN,    0xC000023Du, 1232, 10064 },
    { EADDRINUSE,   0xC000020Au, 52,   10048 },
    { EADDRNOTAVAIL,0xC0000207u, 1214, 10049 },
    { ENOTCONN,     0xC0000140u, 1229, 10057 },
    { EPIPE,        0xC00000B0u, 233,  10058 },
    { ESHUTDOWN,    0xC00000B0u, 233,  10058 },
    { EISCONN,      0xC000023Bu, 1230, 10056 },
    { EALREADY,     0xC000023Bu, 1230, 10037 },
    { EAGAIN,       0xC00000A3u, 21,   10035 },
    { EINPROGRESS,  0xC00000A3u, 21,   10035 },
    { EINTR,        0xC0000120u, 995,  10004 },
    { EINVAL,       0xC000000Du, 87,   10022 },
    { EBADF,        0xC0000008u, 6,    10038 },
    { ENOTSOCK,     0xC0000024u, 6,    10038 },
    { EFAULT,       0xC0000005u, 998,  10014 },
    { ENOMEM,       0xC0000017u, 8,    10055 },
    { ENOBUFS,      0xC000009Au, 1450, 10055 },
    { EMFILE,       0xC000011Fu, 4,    10024 },
    { ENFILE,       0xC000011Fu, 4,    10024 },
    { EACCES,       0xC0000022u, 5,    10013 },
    { EPERM,        0xC0000022u, 5,    10013 },
    { EMSGSIZE,     0x80000005u, 234,  10040 },
    { EAFNOSUPPORT, 0xC00000BBu, 50,   10047 },
    { EPROTONOSUPPORT, 0xC00000BBu, 50, 10043 },
    { ESOCKTNOSUPPORT, 0xC00000BBu, 50, 10044 },
    { EOPNOTSUPP,   0xC00000BBu, 50,   10045 },
    { ENOPROTOOPT,  0xC000000Du, 87,   10042 },
    { EPROTOTYPE,   0xC000000Du, 87,   10041 },
    { EDESTADDRREQ, 0xC000000Du, 87,   10039 },
    { ENOSYS,       0xC0000002u, 1,    10045 },
    { ENOENT,       0xC0000225u, 1168, 10022 },
    { 0,            0x00000000u, 0,    0 },
    { 0,            0x00000103u, 997,  997 },
    { 0,            0x00000102u, 258,  258 },
    { 0,            0x000000C0u, 192,  192 },
    { 0,            0x00000080u, 735,  735 },
    { 0,            0xC0000023u, 122,  10014 },
    /* A submission queue that stays full: out of resources, as Windows'
     * WSAENOBUFS, not a bad argument. */
    { EBUSY,        0xC000009Au, 1450, 10055 },
};

START_TEST(test_errors_each_entry_maps_as_windows)
{
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
        const struct w2u_error_row *e = &expected[i];
        if (e->errnum) {
            ck_assert_msg(w2u_errno_to_status(e->errnum) == e->status, "errno %d: status %#x, want %#x",
                          e->errnum, w2u_errno_to_status(e->errnum), e->status);
            ck_assert_msg(w2u_errno_to_wsa(e->errnum) == e->wsa, "errno %d: WSA %u, want %u",
                          e->errnum, w2u_errno_to_wsa(e->errnum), e->wsa);
        }
        ck_assert_msg(w2u_status_to_win32(e->status) == e->win32, "status %#x: Win32 %u, want %u",
                      e->status, w2u_status_to_win32(e->status), e->win32);
    }
}
END_TEST

/* CreateFile and ReadFile's errors for what open(2) and read(2) say
 * (Windows' ERROR_FILE_NOT_FOUND, not a socket's ERROR_NOT_FOUND). */
START_TEST(test_errors_file_calls_map_as_windows)
{
    static const struct { int errnum; uint32_t win32; } cases[] = {
        { ENOENT, 2 }, { ENOTDIR, 3 }, { EEXIST, 80 }, { EACCES, 5 }, { EPERM, 5 }, { EISDIR, 5 },
        { EROFS, 5 }, { EMFILE, 4 }, { ENFILE, 4 }, { ENOSPC, 112 }, { ENOMEM, 8 }, { EINVAL, 87 },
        { EBADF, 6 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        ck_assert_msg(w2u_errno_to_file_error(cases[i].errnum) == cases[i].win32, "errno %d: got %u, want %u",
                      cases[i].errnum, w2u_errno_to_file_error(cases[i].errnum), cases[i].win32);
}
END_TEST

START_TEST(test_errors_unknown_values)
{
    ck_assert_uint_eq(w2u_errno_to_wsa(EWOULDBLOCK), 10035);
    ck_assert_uint_eq(w2u_errno_to_status(ELOOP), 0xC000000Du);
    ck_assert_uint_eq(w2u_errno_to_wsa(ELOOP), 10022);
    ck_assert_uint_eq(w2u_status_to_win32(0xC0DEC0DEu), 317);   /* ERROR_MR_MID_NOT_FOUND */
    ck_assert(w2u_nt_success(0));
    ck_assert(w2u_nt_success(0x103));
    ck_assert(!w2u_nt_success(0x80000005u));
    ck_assert(!w2u_nt_success(0xC0000120u));
}
END_TEST

/* WSAGetOverlappedResult's error for a status a program may have stored:
 * Windows' own mapping (Wine's sock.c test_WSAGetOverlappedResult pins it
 * on Windows for every status in eight ranges). */
START_TEST(test_errors_status_to_wsa_as_windows)
{
    static const struct { uint32_t status, wsa; } cases[] = {
        { 0x00000000u, 0 },          { 0x00000001u, 0 },           { 0x40000123u, 0 },
        { 0x00000103u, 996 },        /* STATUS_PENDING: WSA_IO_INCOMPLETE */
        { 0x80000005u, 10040 },      { 0x80000006u, 10022 },       /* a warning Windows does not list */
        { 0xC0000120u, 995 },        { 0xC000020Du, 10054 },       { 0xC0000236u, 10061 },
        { 0xC0000237u, 10101 },      /* GRACEFUL_DISCONNECT: WSAEDISCON */
        { 0xC0000043u, 10048 },      { 0xC000020Au, 10048 },       { 0xC0000008u, 10038 },
        { 0xC0000350u, 10064 },      { 0xC000000Du, 10022 },       { 0xC0001234u, 10022 },
        { 0x800703E4u, 996 },        { 0xC00103E4u, 996 },         { 0xC00703E4u, 996 },
        { 0xD0000005u, 10022 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        ck_assert_msg(w2u_status_to_wsa(cases[i].status) == cases[i].wsa, "status %#x: got %u, want %u",
                      cases[i].status, w2u_status_to_wsa(cases[i].status), cases[i].wsa);
}
END_TEST

/* ---- handle table ---------------------------------------------------------- */

struct thing {
    struct w2u_object obj;
    _Atomic int *closed, *destroyed;
};

static void thing_close(struct w2u_object *o)
{
    atomic_fetch_add(((struct thing *)o)->closed, 1);
}

static void thing_destroy(struct w2u_object *o)
{
    atomic_fetch_add(((struct thing *)o)->destroyed, 1);
    free(o);
}

static const struct w2u_object_ops thing_ops = {
    .type = W2U_OBJ_TEST, .name = "thing", .close = thing_close, .destroy = thing_destroy,
};

static uintptr_t new_thing(_Atomic int *closed, _Atomic int *destroyed)
{
    struct thing *t = calloc(1, sizeof(*t));
    uintptr_t h;
    t->closed = closed;
    t->destroyed = destroyed;
    ck_assert_int_eq(w2u_handle_alloc(&t->obj, &thing_ops, &h), 0);
    return h;
}

START_TEST(test_handles_look_like_windows_handles)
{
    _Atomic int c = 0, d = 0;
    uintptr_t seen[1000];
    for (int i = 0; i < 1000; i++) {
        seen[i] = new_thing(&c, &d);
        ck_assert_uint_ne(seen[i], 0);
        ck_assert_uint_eq(seen[i] % 4, 0);
        ck_assert_uint_lt(seen[i], 0x80000000u);
        ck_assert_uint_ge(seen[i], 0x40000000u);     /* far above Wine's own handle values */
        for (int j = 0; j < i; j++)
            ck_assert_uint_ne(seen[i], seen[j]);
    }
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(w2u_handle_close(seen[i]), 0);
    ck_assert_int_eq(d, 1000);
    ck_assert_uint_eq(w2u_handle_count(), 0);
}
END_TEST

/* A host's own value for an object (the Wine handle of a socket): look-ups
 * and close accept it; unalias gives back the value it stood for. */
START_TEST(test_handles_alias_names_the_same_object)
{
    _Atomic int c = 0, d = 0;
    uintptr_t h = new_thing(&c, &d);
    ck_assert_int_eq(w2u_handle_alias(0x34, h), 0);
    struct w2u_object *obj = w2u_handle_get(0x34, W2U_OBJ_ANY);
    ck_assert_ptr_nonnull(obj);
    ck_assert_uint_eq(obj->handle, h);
    ck_assert(w2u_handle_names(0x34, obj));
    w2u_object_unref(obj);
    /* Bad alias values, and a value that names nothing. */
    ck_assert_int_eq(w2u_handle_alias(0, h), -EINVAL);
    ck_assert_int_eq(w2u_handle_alias(0x36, h), -EINVAL);
    ck_assert_int_eq(w2u_handle_alias(1u << 24, h), -EINVAL);
    ck_assert_int_eq(w2u_handle_alias(0x38, 0x1234), -EBADF);       /* not a handle value */
    ck_assert_ptr_null(w2u_handle_get(0x38, W2U_OBJ_ANY));
    /* Close through the alias, then forget it. */
    ck_assert_int_eq(w2u_handle_close(0x34), 0);
    ck_assert_int_eq(d, 1);
    ck_assert_ptr_null(w2u_handle_get(0x34, W2U_OBJ_ANY));
    ck_assert_uint_eq(w2u_handle_unalias(0x34), h);
    ck_assert_uint_eq(w2u_handle_unalias(0x34), 0);
    ck_assert_int_eq(w2u_handle_close(0x34), -EBADF);
}
END_TEST

START_TEST(test_handles_closed_value_stays_invalid)
{
    _Atomic int c = 0, d = 0;
    uintptr_t h = new_thing(&c, &d);
    ck_assert_int_eq(w2u_handle_close(h), 0);
    ck_assert_int_eq(c, 1);
    ck_assert_int_eq(w2u_handle_close(h), -EBADF);
    ck_assert_ptr_null(w2u_handle_get(h, W2U_OBJ_ANY));
    /* Reusing the slot gives a different value; the old one stays dead. */
    for (int i = 0; i < 100; i++) {
        uintptr_t h2 = new_thing(&c, &d);
        ck_assert_uint_ne(h2, h);
        ck_assert_ptr_null(w2u_handle_get(h, W2U_OBJ_ANY));
        w2u_handle_close(h2);
    }
}
END_TEST

START_TEST(test_handles_reference_outlives_close)
{
    _Atomic int c = 0, d = 0;
    uintptr_t h = new_thing(&c, &d);
    struct w2u_object *o = w2u_handle_get(h, W2U_OBJ_TEST);
    ck_assert_ptr_nonnull(o);
    ck_assert_int_eq(w2u_handle_close(h), 0);
    ck_assert_int_eq(d, 0);                          /* still in use */
    ck_assert_ptr_null(w2u_handle_get(h, W2U_OBJ_ANY));
    w2u_object_unref(o);
    ck_assert_int_eq(d, 1);
}
END_TEST

START_TEST(test_handles_type_checked)
{
    _Atomic int c = 0, d = 0;
    uintptr_t h = new_thing(&c, &d);
    struct w2u_object *o;
    ck_assert_ptr_null(w2u_handle_get(h, W2U_OBJ_PORT));
    ck_assert_int_eq(w2u_handle_lookup(h, W2U_OBJ_PORT, &o), -EBADFD);
    ck_assert_int_eq(w2u_handle_lookup(h + 4, W2U_OBJ_PORT, &o), -EBADF);
    ck_assert_int_eq(w2u_handle_lookup(0, W2U_OBJ_ANY, &o), -EBADF);
    ck_assert_int_eq(w2u_handle_lookup((uintptr_t)-1, W2U_OBJ_ANY, &o), -EBADF);
    ck_assert_int_eq(w2u_handle_lookup(h | 2, W2U_OBJ_ANY, &o), -EBADF);
    w2u_handle_close(h);
}
END_TEST

struct race { uintptr_t h; _Atomic int go; _Atomic long uses; };

static void *race_user(void *arg)
{
    struct race *r = arg;
    while (!atomic_load(&r->go))
        ;
    for (int i = 0; i < 200000; i++) {
        struct w2u_object *o = w2u_handle_get(r->h, W2U_OBJ_TEST);
        if (!o)
            break;
        atomic_fetch_add(&r->uses, 1);
        w2u_object_unref(o);
    }
    return NULL;
}

START_TEST(test_handles_close_while_other_thread_uses)
{
    for (int round = 0; round < 200; round++) {
        _Atomic int c = 0, d = 0;
        struct race r = { .h = new_thing(&c, &d) };
        pthread_t th[2];
        for (int i = 0; i < 2; i++)
            pthread_create(&th[i], NULL, race_user, &r);
        atomic_store(&r.go, 1);
        ck_assert_int_eq(w2u_handle_close(r.h), 0);
        for (int i = 0; i < 2; i++)
            pthread_join(th[i], NULL);
        ck_assert_int_eq(c, 1);
        ck_assert_int_eq(d, 1);
    }
    ck_assert_uint_eq(w2u_handle_count(), 0);
}
END_TEST

/* ---- mutex ---------------------------------------------------------------------- */

struct counted { struct w2u_mutex m; long value; };

static void *add_many(void *arg)
{
    struct counted *c = arg;
    for (int i = 0; i < 200000; i++) {
        w2u_mutex_lock(&c->m);
        c->value++;          /* not atomic: only the mutex protects it */
        w2u_mutex_unlock(&c->m);
    }
    return NULL;
}

START_TEST(test_mutex_excludes_under_contention)
{
    struct counted c = { W2U_MUTEX_INIT, 0 };
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, add_many, &c);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    ck_assert_int_eq(c.value, 800000);
    ck_assert_uint_eq(atomic_load(&c.m.state), 0);
}
END_TEST

/* ---- thread ids ------------------------------------------------------------ */

static void *other_tid(void *arg)
{
    *(uint32_t *)arg = w2u_thread_id();
    return NULL;
}

/* The id is cached per thread: it must still be each thread's own, and a
 * forked child's thread must see its new one, not the parent's. */
START_TEST(test_thread_id_per_thread_and_fresh_after_fork)
{
    uint32_t mine = w2u_thread_id(), theirs = 0;
    ck_assert_uint_eq(mine, (uint32_t)gettid());
    ck_assert_uint_eq(w2u_thread_id(), mine);
    pthread_t th;
    pthread_create(&th, NULL, other_tid, &theirs);
    pthread_join(th, NULL);
    ck_assert_uint_ne(theirs, 0);
    ck_assert_uint_ne(theirs, mine);
    pid_t child = fork();
    if (child == 0)
        _exit(w2u_thread_id() == (uint32_t)gettid() && w2u_thread_id() != mine ? 0 : 1);
    int status;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

/* WS2URING_DISABLE names whole entries of a comma-separated list. */
START_TEST(test_common_disabled_matches_whole_list_entries)
{
    setenv("WS2URING_DISABLE", "inline-recv,batch", 1);
    ck_assert(w2u_disabled("batch"));
    ck_assert(w2u_disabled("inline-recv"));
    ck_assert(!w2u_disabled("bat"));
    ck_assert(!w2u_disabled("inline"));
    setenv("WS2URING_DISABLE", "batchy,,", 1);
    ck_assert(!w2u_disabled("batch"));
    setenv("WS2URING_DISABLE", "", 1);
    ck_assert(!w2u_disabled("batch"));
    unsetenv("WS2URING_DISABLE");
    ck_assert(!w2u_disabled("batch"));
}
END_TEST


int main(void)
{
    Suite *s = suite_create("common");
    TCase *tc = tcase_create("common");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_errors_each_entry_maps_as_windows);
    tcase_add_test(tc, test_errors_file_calls_map_as_windows);
    tcase_add_test(tc, test_errors_unknown_values);
    tcase_add_test(tc, test_errors_status_to_wsa_as_windows);
    tcase_add_test(tc, test_handles_look_like_windows_handles);
    tcase_add_test(tc, test_handles_closed_value_stays_invalid);
    tcase_add_test(tc, test_handles_alias_names_the_same_object);
    tcase_add_test(tc, test_handles_reference_outlives_close);
    tcase_add_test(tc, test_handles_type_checked);
    tcase_add_test(tc, test_handles_close_while_other_thread_uses);
    tcase_add_test(tc, test_mutex_excludes_under_contention);
    tcase_add_test(tc, test_thread_id_per_thread_and_fresh_after_fork);
    tcase_add_test(tc, test_common_disabled_matches_whole_list_entries);
    suite_add_tcase(s, tc);
    return run_suite(s);
}

