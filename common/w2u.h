/*
 * common/ — the pieces every layer of ws2uring shares: Windows status and
 * error codes, the errno <-> NTSTATUS <-> Win32/WSA table, the handle table,
 * per-thread last error, futex waits and logging.
 *
 * Plain C: no Windows header and no liburing here, so Linux-facing code in
 * every layer can include it.  The Windows-facing surfaces include Wine's
 * headers in their own translation units and meet this header only through
 * plain integer types.
 */
#ifndef W2U_COMMON_H
#define W2U_COMMON_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../include/ws2uring_host.h"

#define W2U_EXPORT __attribute__((visibility("default")))

/* ---- NTSTATUS values (Windows' numbers) ---------------------------------- */
#define W2U_STATUS_SUCCESS                    0x00000000u
#define W2U_STATUS_ABANDONED_WAIT_0           0x00000080u
#define W2U_STATUS_USER_APC                   0x000000C0u
#define W2U_STATUS_TIMEOUT                    0x00000102u
#define W2U_STATUS_PENDING                    0x00000103u
#define W2U_STATUS_BUFFER_OVERFLOW            0x80000005u
#define W2U_STATUS_NOT_IMPLEMENTED            0xC0000002u
#define W2U_STATUS_ACCESS_VIOLATION           0xC0000005u
#define W2U_STATUS_INVALID_HANDLE             0xC0000008u
#define W2U_STATUS_INVALID_PARAMETER          0xC000000Du
#define W2U_STATUS_NO_MEMORY                  0xC0000017u
#define W2U_STATUS_ACCESS_DENIED              0xC0000022u
#define W2U_STATUS_BUFFER_TOO_SMALL           0xC0000023u
#define W2U_STATUS_OBJECT_TYPE_MISMATCH       0xC0000024u
#define W2U_STATUS_INSUFFICIENT_RESOURCES     0xC000009Au
#define W2U_STATUS_DEVICE_NOT_READY           0xC00000A3u
#define W2U_STATUS_PIPE_DISCONNECTED          0xC00000B0u
#define W2U_STATUS_IO_TIMEOUT                 0xC00000B5u
#define W2U_STATUS_NOT_SUPPORTED              0xC00000BBu
#define W2U_STATUS_TOO_MANY_OPENED_FILES      0xC000011Fu
#define W2U_STATUS_CANCELLED                  0xC0000120u
#define W2U_STATUS_INVALID_CONNECTION         0xC0000140u
#define W2U_STATUS_INVALID_ADDRESS_COMPONENT  0xC0000207u
#define W2U_STATUS_CONNECTION_RESET           0xC000020Du
#define W2U_STATUS_NOT_FOUND                  0xC0000225u
#define W2U_STATUS_CONNECTION_REFUSED         0xC0000236u
#define W2U_STATUS_CONNECTION_ACTIVE          0xC000023Bu
#define W2U_STATUS_NETWORK_UNREACHABLE        0xC000023Cu
#define W2U_STATUS_HOST_UNREACHABLE           0xC000023Du
#define W2U_STATUS_CONNECTION_ABORTED         0xC0000241u
#define W2U_STATUS_ADDRESS_ALREADY_EXISTS    0xC000020Au

/* ---- Win32 error values used by the lower layers ------------------------- */
#define W2U_ERROR_SUCCESS              0u
#define W2U_ERROR_INVALID_FUNCTION     1u
#define W2U_ERROR_INVALID_HANDLE       6u
#define W2U_ERROR_NOT_ENOUGH_MEMORY    8u
#define W2U_ERROR_NOT_SUPPORTED        50u
#define W2U_ERROR_INVALID_PARAMETER    87u
#define W2U_ERROR_WAIT_IO_COMPLETION   192u   /* WAIT_IO_COMPLETION */
#define W2U_ERROR_WAIT_TIMEOUT         258u   /* WAIT_TIMEOUT */
#define W2U_ERROR_MR_MID_NOT_FOUND     317u   /* what Windows gives an unknown NTSTATUS */
#define W2U_ERROR_ABANDONED_WAIT_0     735u
#define W2U_ERROR_OPERATION_ABORTED    995u
#define W2U_ERROR_IO_PENDING           997u

/* WSA error numbers (winsock2.h's values), defined here once: this layer
 * and those above it cannot include winsock2.h. */
enum {
    W2U_WSAEINTR = 10004, W2U_WSAEBADF = 10009, W2U_WSAEACCES = 10013, W2U_WSAEFAULT = 10014,
    W2U_WSAEINVAL = 10022, W2U_WSAEMFILE = 10024, W2U_WSAEWOULDBLOCK = 10035,
    W2U_WSAEINPROGRESS = 10036, W2U_WSAEALREADY = 10037, W2U_WSAENOTSOCK = 10038,
    W2U_WSAEDESTADDRREQ = 10039, W2U_WSAEMSGSIZE = 10040, W2U_WSAEPROTOTYPE = 10041,
    W2U_WSAENOPROTOOPT = 10042, W2U_WSAEPROTONOSUPPORT = 10043, W2U_WSAESOCKTNOSUPPORT = 10044,
    W2U_WSAEOPNOTSUPP = 10045, W2U_WSAEPFNOSUPPORT = 10046, W2U_WSAEAFNOSUPPORT = 10047,
    W2U_WSAEADDRINUSE = 10048, W2U_WSAEADDRNOTAVAIL = 10049, W2U_WSAENETDOWN = 10050,
    W2U_WSAENETUNREACH = 10051, W2U_WSAENETRESET = 10052, W2U_WSAECONNABORTED = 10053,
    W2U_WSAECONNRESET = 10054, W2U_WSAENOBUFS = 10055, W2U_WSAEISCONN = 10056,
    W2U_WSAENOTCONN = 10057, W2U_WSAESHUTDOWN = 10058, W2U_WSAETIMEDOUT = 10060,
    W2U_WSAECONNREFUSED = 10061, W2U_WSAEHOSTDOWN = 10064, W2U_WSAEHOSTUNREACH = 10065,
    W2U_WSAEDISCON = 10101,
    W2U_WSA_OPERATION_ABORTED = 995, W2U_WSA_IO_INCOMPLETE = 996, W2U_WSA_IO_PENDING = 997, W2U_WSA_INVALID_PARAMETER = 87,
    W2U_WSASYSNOTREADY = 10091, W2U_WSAVERNOTSUPPORTED = 10092, W2U_WSANOTINITIALISED = 10093,
};

/* NT_SUCCESS: success and informational statuses. Warnings such as
 * STATUS_BUFFER_OVERFLOW count as failures, as they do for
 * GetQueuedCompletionStatus. */
static inline bool w2u_nt_success(uint32_t status)
{
    return (int32_t)status >= 0;
}

/* ---- the one errno <-> NTSTATUS <-> Win32 <-> WSA table ------------------
 * Each row says what one Linux condition becomes on the Windows side: the
 * NTSTATUS stored in OVERLAPPED.Internal, the Win32 error that
 * GetQueuedCompletionStatus / GetOverlappedResult set, and the WSA error the
 * synchronous socket calls set.  Rows without an errno (errnum 0) carry
 * Windows-only statuses (timeouts, APCs).  ws2/ does every conversion for
 * socket calls through these functions; iocp/ uses only status -> Win32. */
struct w2u_error_row {
    int errnum;          /* positive errno, 0 for a Windows-only status */
    uint32_t status;     /* NTSTATUS */
    uint32_t win32;      /* RtlNtStatusToDosError(status) */
    uint32_t wsa;        /* WSA error for the synchronous API */
};

uint32_t w2u_errno_to_status(int errnum);   /* errnum positive */
uint32_t w2u_errno_to_wsa(int errnum);
uint32_t w2u_status_to_win32(uint32_t status);
/* The Win32 error a file call (CreateFile, ReadFile...) sets for errnum:
 * the file rows first (ENOENT is ERROR_FILE_NOT_FOUND there, not a
 * socket's STATUS_NOT_FOUND), then the table. */
uint32_t w2u_errno_to_file_error(int errnum);
/* The WSA error a completion routine or WSAGetOverlappedResult reports
 * for an operation's final NTSTATUS, as Windows maps it: 0 for a success,
 * WSAEINVAL for a failure Windows' table does not name. */
uint32_t w2u_status_to_wsa(uint32_t status);
/* The NTSTATUS for a WSA error (first row that has it). */
uint32_t w2u_wsa_to_status(uint32_t wsa);
/* The NTSTATUS for the error a Win32 or Winsock call set (WSA errors are
 * 10000 and up; a Win32 error by the first row that has it), for a host
 * that answers an Nt* call with one of those calls. */
uint32_t w2u_error_to_status(uint32_t err);

/* ---- per-thread last error (GetLastError / WSAGetLastError share it) ---- */
/* initial-exec: a direct %fs access instead of a __tls_get_addr call on
 * every Win32 call; ws2uring's few bytes of TLS fit the static TLS surplus
 * glibc keeps even for a dlopen'ed library. */
#define W2U_TLS __thread __attribute__((tls_model("initial-exec")))
extern W2U_TLS uint32_t w2u_last_error;

static inline void w2u_set_error(uint32_t err)
{
    w2u_last_error = err;
}

/* ---- handle table ---------------------------------------------------------
 * Every object a program can name by HANDLE or SOCKET lives here.  A value
 * encodes slot index and a generation, so a closed handle stays invalid
 * while its slot is reused, and values stay below 2^31, multiples of 4 and
 * never 0 or -1, as on Windows (programs store SOCKETs in ints).
 *
 * Lifetime: the table holds one reference, each user (a call in progress,
 * a request in flight, an associated handle) holds one more.  Close marks the
 * slot closing (later look-ups fail) and drops the table's reference; the
 * object is destroyed by whoever drops the last one.  Look-up is lock-free. */
enum w2u_object_type {
    W2U_OBJ_ANY = 0,
    W2U_OBJ_PORT,
    W2U_OBJ_EVENT,
    W2U_OBJ_SOCKET,
    W2U_OBJ_THREAD,
    W2U_OBJ_FILE,
    W2U_OBJ_LOOKUP,     /* a WSALookupServiceBegin handle */
    W2U_OBJ_TEST,       /* for unit tests that need an associable handle */
};

struct w2u_object;
struct iocp_binding;
struct w2u_object_ops {
    enum w2u_object_type type;
    const char *name;
    void (*close)(struct w2u_object *obj);    /* handle closed; may be NULL */
    void (*destroy)(struct w2u_object *obj);  /* last reference gone */
};

struct w2u_object {
    const struct w2u_object_ops *ops;
    uint32_t slot;
    uintptr_t handle;
    struct iocp_binding *binding;   /* set by objects that can join a port */
};

/* 0 and a handle value on success; -ENOMEM or -EMFILE when the table is full. */
int w2u_handle_alloc(struct w2u_object *obj, const struct w2u_object_ops *ops, uintptr_t *handle);
/* A new reference, or NULL when the value names no open object of that type
 * (W2U_OBJ_ANY accepts every type). */
struct w2u_object *w2u_handle_get(uintptr_t handle, enum w2u_object_type type);
/* Like w2u_handle_get, but tells an open object of another type (-EBADFD)
 * apart from no object at all (-EBADF). */
int w2u_handle_lookup(uintptr_t handle, enum w2u_object_type type, struct w2u_object **out);
/* True while handle still names obj and is not closed: a plain load, for
 * callers that already hold a reference on obj and only need to know the
 * program's handle is still valid. */
bool w2u_handle_names(uintptr_t handle, const struct w2u_object *obj);
void w2u_object_ref(struct w2u_object *obj);
void w2u_object_unref(struct w2u_object *obj);
/* Closes the handle: 0, or -EBADF when it names nothing open (or is being
 * closed by another thread). */
int w2u_handle_close(uintptr_t handle);
/* A second value for the object handle names (a host's own handle for it,
 * such as the Wine handle a program holds for a socket): look-ups and
 * close accept it from then on.  alias: a non-zero multiple of 4 below
 * 2^24.  0, -EINVAL (bad alias), -EBADF (not a handle value) or -ENOMEM. */
int w2u_handle_alias(uintptr_t alias, uintptr_t handle);
/* Forgets alias; returns the handle it stood for, or 0. */
uintptr_t w2u_handle_unalias(uintptr_t alias);
/* Closes every open handle of one type; returns how many. */
size_t w2u_handle_close_all(enum w2u_object_type type);
/* Open handles (for leak checks in tests; objects may outlive their handle
 * while references remain, e.g. a thread's link to the port it ran for). */
size_t w2u_handle_count(void);

/* ---- futex waits ---------------------------------------------------------- */
/* Deadlines are CLOCK_MONOTONIC nanoseconds; W2U_FOREVER waits forever. */
#define W2U_FOREVER INT64_MAX
int64_t w2u_now_ns(void);
int64_t w2u_deadline_ms(uint32_t ms);   /* 0xFFFFFFFF (INFINITE) -> W2U_FOREVER */
/* Sleeps while *word == expected, until woken or the deadline: 0, or
 * -ETIMEDOUT. Spurious returns are possible; callers re-check. */
int w2u_futex_wait(_Atomic uint32_t *word, uint32_t expected, int64_t deadline);
void w2u_futex_wake(_Atomic uint32_t *word, int count);

/* ---- a small mutex ---------------------------------------------------------
 * For hot, short critical sections (a port's queue): the uncontended lock
 * and unlock are one atomic instruction each, inlined, with no call into
 * glibc (a call from a Win32 entry point also costs saving xmm6-15).
 * state: 0 free, 1 locked, 2 locked and someone may sleep. */
struct w2u_mutex {
    _Atomic uint32_t state;
};
#define W2U_MUTEX_INIT { 0 }
void w2u_mutex_lock_slow(struct w2u_mutex *m);
void w2u_mutex_wake(struct w2u_mutex *m);

static inline void w2u_mutex_lock(struct w2u_mutex *m)
{
    uint32_t c = 0;
    if (__builtin_expect(!atomic_compare_exchange_strong_explicit(
                             &m->state, &c, 1, memory_order_acquire, memory_order_relaxed), 0))
        w2u_mutex_lock_slow(m);
}

static inline void w2u_mutex_unlock(struct w2u_mutex *m)
{
    if (__builtin_expect(atomic_exchange_explicit(&m->state, 0, memory_order_release) == 2, 0))
        w2u_mutex_wake(m);
}

/* Linux's process and thread ids (GetCurrentProcessId/ThreadId natively). */
uint32_t w2u_process_id(void);
uint32_t w2u_thread_id(void);

/* ---- program memory (usermem.c) --------------------------------------------
 * Windows answers a pointer it cannot use with WSAEFAULT, never with a
 * crash.  The library checks the memory it reads or writes itself (a
 * sockaddr, a length, a WSABUF array, an option value, an OVERLAPPED, an
 * fd_set) when a call starts, before it takes a lock or a resource, so a
 * bad pointer fails the call with nothing half done.  Buffers only the
 * kernel touches need no check: the kernel answers EFAULT.
 *
 * Each page of the range is touched (for writing: an atomic add of 0,
 * which leaves a concurrent writer's byte alone) with faults caught: by
 * the host's probe when one is set (Wine's exception jump buffer: a
 * Linux signal handler must not be installed under Wine), otherwise by a
 * SIGSEGV/SIGBUS handler installed on first use that passes every fault
 * not raised by a probe on to the handler that was there before.  n == 0
 * is always fine. */
bool w2u_user_readable(const void *p, size_t n);
bool w2u_user_writable(void *p, size_t n);
/* Under a host, its ops->probe guards the touch (see ws2uring_host.h). */
typedef ws2uring_touch_fn w2u_user_touch_fn;
/* Touches the range as above; faults are the caller's to catch. */
void w2u_user_touch(void *p, size_t n, bool write);

/* ---- text (text.c) -------------------------------------------------------- */

/* UTF-16 (NUL-terminated) to a malloc'd UTF-8 string; NULL for NULL or no
 * memory.  Unpaired surrogates are encoded as they stand. */
char *w2u_utf8_from_utf16(const uint16_t *w);
/* Into out[cap] UTF-16 units with the terminator; false, out untouched, if
 * it does not fit. */
bool w2u_utf16_from_utf8(const char *s, uint16_t *out, size_t cap);
/* The UTF-16 units s becomes, with the terminator. */
size_t w2u_utf16_units(const char *s);

/* ---- logging -------------------------------------------------------------- */
/* WS2URING_DEBUG=1 in the environment turns on debug lines. */
/* WS2URING_DISABLE is a comma-separated list of optimisations to turn off
 * (batch, inline-recv), so a benchmark can compare with and without them
 * in one run.  True when feature is listed; callers read it once. */
bool w2u_disabled(const char *feature);
bool w2u_debug_enabled(void);
void w2u_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define W2U_DEBUG(...) do { if (w2u_debug_enabled()) w2u_log(__VA_ARGS__); } while (0)

#define W2U_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define W2U_CONTAINER_OF(ptr, type, member) \
    ((type *)((char *)(ptr) - offsetof(type, member)))

/* ---- the host's operations (host.c) --------------------------------------
 * The table a host installed once (ws2uring_host_install), or one whose
 * entries are all NULL: never NULL itself, read with one acquire load. */
extern _Atomic(const struct ws2uring_host_ops *) w2u_host_table;
static inline const struct ws2uring_host_ops *w2u_host(void)
{
    return atomic_load_explicit(&w2u_host_table, memory_order_acquire);
}
/* Installs ops once: false if ops is NULL or a table is installed already. */
bool w2u_host_install(const struct ws2uring_host_ops *ops);

#endif
