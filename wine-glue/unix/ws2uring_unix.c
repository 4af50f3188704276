/*
 * ws2uring.so: the Unix side of ws2_32.dll under Wine.  Wine's ntdll loads
 * it beside the builtin helper ws2uring.dll; the PE side calls
 * __wine_unix_call_funcs[] through __wine_unix_call on the program's own
 * (Wine-created) thread.  Each forwarded export runs the native ws2uring
 * function of the same name (libws2uring.so, whose Win32 surface already
 * uses the Windows calling convention and Windows structure layouts).
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../unix_surface.h"
#include "unix_private.h"

typedef NTSTATUS (*unixlib_entry_t)(void *args);
typedef uint64_t (__attribute__((ms_abi)) *native_fn)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
                                                      uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
                                                      uint64_t, uint64_t);
typedef uint32_t (__attribute__((ms_abi)) *get_error_fn)(void);
typedef void (__attribute__((ms_abi)) *set_error_fn)(uint32_t);

#define STATUS_INVALID_PARAMETER ((NTSTATUS)0xc000000d)

extern const char *const w2u_unix_names[];     /* unix_names.c, generated */
extern const unsigned w2u_unix_count;

/* What the Unix side does around a forwarded export, found by name. */
enum { CLOSES_SOCKET = 1, IOCTL = 2 };

static native_fn *natives;
static uint8_t *effects;
static __typeof__(&ws2uring_socket_alias) socket_alias;
static __typeof__(&ws2uring_socket_unalias) socket_unalias;
static __typeof__(&ws2uring_socket_close_name) socket_close_name;
static __typeof__(&ws2uring_socket_copy) socket_copy;
static __typeof__(&ws2uring_wait_ready) wait_ready;
static __typeof__(&ws2uring_send_waits) send_waits;
static __typeof__(&ws2uring_connect_waits) connect_waits;
static __typeof__(&ws2uring_started) winsock_started;
static __typeof__(&ws2uring_socket_host_port) socket_host_port;
static __typeof__(&ws2uring_error_status) error_status;
static __typeof__(&ws2uring_post_status) post_status;
static __typeof__(&ws2uring_host_reap) host_reap;
static __typeof__(&ws2uring_host_process_id) host_process_id;
static __typeof__(&ws2uring_accept_defer) accept_defer;
static __typeof__(&ws2uring_message_select) message_select;
static __typeof__(&ws2uring_lookup_settle) lookup_settle;
static native_fn extensions[W2U_EXTENSIONS];   /* ws2uring's, learnt from WSAIoctl */

/* probe.c */

static bool host_init(void *lib);
static void learn_extension(const uint64_t *a, int ret);


static get_error_fn get_error;
static set_error_fn set_error;
static bool trace;
bool w2u_unix_trace;
static void *lib_handle;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static char init_error[256];

/* libws2uring.so names a function as Windows does, or, where glibc has the
 * name too (send, socket, ...), ws2u_NAME or __wrap_NAME.  dlsym also looks
 * in the library's dependencies, so a plain name must be checked to come
 * from libws2uring itself: glibc's socket() is not WinSock's. */
static void *find(void *lib, const char *name)
{
    static const char *const prefixes[] = { "ws2u_", "__wrap_", "" };
    void *own = dlsym(lib, "WSAStartup");
    Dl_info mine, found;
    char symbol[128];
    if (!own || !dladdr(own, &mine))
        return NULL;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        snprintf(symbol, sizeof(symbol), "%s%s", prefixes[i], name);
        void *fn = dlsym(lib, symbol);
        if (fn && dladdr(fn, &found) && found.dli_fbase == mine.dli_fbase)
            return fn;
    }
    return NULL;
}

/* libws2uring.so.0 sits next to this library (the launcher puts it there). */
void *w2u_unix_find(const char *name)
{
    return lib_handle ? find(lib_handle, name) : NULL;
}

static void *open_library(void)
{
    Dl_info self;
    char path[4096];
    if (!dladdr((void *)open_library, &self) || !self.dli_fname)
        return NULL;
    const char *slash = strrchr(self.dli_fname, '/');
    int dir = slash ? (int)(slash - self.dli_fname) : 1;
    snprintf(path, sizeof(path), "%.*s/libws2uring.so.0", dir, slash ? self.dli_fname : ".");
    return dlopen(path, RTLD_NOW | RTLD_LOCAL);
}

static void init(void)
{
    void *lib = lib_handle = open_library();
    if (!lib) {
        snprintf(init_error, sizeof(init_error), "cannot load libws2uring.so.0 beside ws2uring.so: %s",
                 dlerror());
        return;
    }
    natives = calloc(w2u_unix_count, sizeof(*natives));
    effects = calloc(w2u_unix_count, 1);
    get_error = (get_error_fn)find(lib, "GetLastError");
    set_error = (set_error_fn)find(lib, "SetLastError");
    socket_alias = (__typeof__(socket_alias))find(lib, "ws2uring_socket_alias");
    socket_unalias = (__typeof__(socket_unalias))find(lib, "ws2uring_socket_unalias");
    socket_close_name = (__typeof__(socket_close_name))find(lib, "ws2uring_socket_close_name");
    socket_copy = (__typeof__(socket_copy))find(lib, "ws2uring_socket_copy");
    wait_ready = (__typeof__(wait_ready))find(lib, "ws2uring_wait_ready");
    send_waits = (__typeof__(send_waits))find(lib, "ws2uring_send_waits");
    connect_waits = (__typeof__(connect_waits))find(lib, "ws2uring_connect_waits");
    winsock_started = (__typeof__(winsock_started))find(lib, "ws2uring_started");
    socket_host_port = (__typeof__(socket_host_port))find(lib, "ws2uring_socket_host_port");
    error_status = (__typeof__(error_status))find(lib, "ws2uring_error_status");
    post_status = (__typeof__(post_status))find(lib, "ws2uring_post_status");
    host_reap = (__typeof__(host_reap))find(lib, "ws2uring_host_reap");
    host_process_id = (__typeof__(host_process_id))find(lib, "ws2uring_host_process_id");
    accept_defer = (__typeof__(accept_defer))find(lib, "ws2uring_accept_defer");
    message_select = (__typeof__(message_select))find(lib, "ws2uring_message_select");
    lookup_settle = (__typeof__(lookup_settle))find(lib, "ws2uring_lookup_settle");
    if (!natives || !effects || !get_error || !set_error || !socket_alias || !socket_unalias ||
        !winsock_started || !socket_host_port || !post_status || !host_reap || !host_process_id || !accept_defer ||
        !lookup_settle || !message_select || !error_status || !socket_close_name || !socket_copy || !wait_ready ||
        !send_waits || !connect_waits ||
        !host_init(lib)) {
        snprintf(init_error, sizeof(init_error), "libws2uring.so.0 lacks its error or host calls");
        return;
    }
    for (unsigned i = 0; i < w2u_unix_count; i++) {
        const char *n = w2u_unix_names[i];
        if (!(natives[i] = (native_fn)find(lib, n))) {
            snprintf(init_error, sizeof(init_error), "libws2uring.so.0 lacks %s", n);
            return;
        }
        effects[i] = !strcmp(n, "closesocket") ? CLOSES_SOCKET : !strcmp(n, "WSAIoctl") ? IOCTL : 0;
    }

    const char *t = getenv("WS2URING_TRACE");
    trace = w2u_unix_trace = t && *t && strcmp(t, "0");
    if (w2u_afd_init())
        snprintf(init_error, sizeof(init_error), "libws2uring.so.0 lacks its AFD poll calls");
}

/* ---- completions to the program's own ports, events ---------------------------
 * ws2uring hands each completion of a socket with a Wine handle to
 * host_post (on the program's thread, or on the Wine thread the PE side
 * runs ws2uring_host_reap on: wineserver talks only to Wine threads), which
 * asks wineserver to queue it on whatever port the program associated with
 * that handle, with the key it gave: the server request add_fd_completion,
 * as Wine itself completes I/O.  The request layout and number are those of
 * Wine 8.0 (server protocol 758), the only Wine this DLL accepts (DllMain
 * refuses others). */
struct server_request {
    union {
        struct {
            int32_t req;                  /* request number */
            uint32_t request_size, reply_size;   /* variable data: none */
            uint32_t handle;              /* at 12: the 8-byte fields follow at 16 */
            uint64_t cvalue, information;
            uint32_t status;
            int32_t async;
        } add_fd_completion;
        struct { uint32_t error, reply_size; } reply;
        uint8_t max_size[64];
    } u;
    uint32_t data_count;
    void *reply_data;
    struct { const void *ptr; uint32_t size; } data[5];
};
#define REQ_add_fd_completion 254
/* Wine 8.0's layout: the fixed part is 64 bytes, the 8-byte fields start at 16. */
_Static_assert(offsetof(struct server_request, u.add_fd_completion.cvalue) == 16, "cvalue at 16");
_Static_assert(sizeof(((struct server_request *)0)->u) == 64, "a 64-byte request");
_Static_assert(offsetof(struct server_request, data) == 80, "request data after count and reply pointer");

/* ntdll.so's exports use the Windows calling convention (checked on Wine
 * 8.0: wine_server_call takes its argument in rcx). */
static unsigned (__attribute__((ms_abi)) *server_call)(void *request);
static NTSTATUS (__attribute__((ms_abi)) *nt_set_event)(void *event, int32_t *previous);
static NTSTATUS (__attribute__((ms_abi)) *nt_queue_apc)(void *thread, void *func, uintptr_t a1, uintptr_t a2,
                                                         uintptr_t a3);
static __typeof__(&ws2uring_host_thread) host_thread;
static __typeof__(&ws2uring_host_watch) host_watch;
static NTSTATUS (__attribute__((ms_abi)) *nt_reset_event)(void *event, int32_t *previous);
static uint64_t apc_trampoline;

static void post_completion(uintptr_t alias, void *ov, uint32_t status, uintptr_t information, int synchronous)
{
    struct server_request r;
    memset(&r, 0, sizeof(r));
    r.u.add_fd_completion.req = REQ_add_fd_completion;
    r.u.add_fd_completion.handle = (uint32_t)alias;
    r.u.add_fd_completion.cvalue = (uint64_t)(uintptr_t)ov;
    r.u.add_fd_completion.information = information;
    r.u.add_fd_completion.status = status;
    /* Not async: the server then honours FILE_SKIP_COMPLETION_PORT_ON_SUCCESS. */
    r.u.add_fd_completion.async = !synchronous;
    if (trace)
        fprintf(stderr, "ws2uring: completion of %#lx (tid %d): status %#x, %lu bytes%s\n", (unsigned long)alias, (int)gettid(), status,
                (unsigned long)information, synchronous ? ", at once" : "");
    unsigned error = server_call(&r);
    if (error && trace)
        fprintf(stderr, "ws2uring: add_fd_completion(%#lx) failed: %#x\n", (unsigned long)alias, error);
}

static void set_event(uintptr_t event)
{
    nt_set_event((void *)event, NULL);
}

void w2u_unix_set_event(uint64_t event)
{
    set_event((uintptr_t)event);
}

NTSTATUS w2u_unix_queue_apc(uint64_t thread, uint64_t func, uint64_t a1, uint64_t a2, uint64_t a3)
{
    return nt_queue_apc((void *)(uintptr_t)thread, (void *)(uintptr_t)func, a1, a2, a3);
}

void w2u_unix_post_completion(uintptr_t handle, void *value, uint32_t status, uintptr_t information,
                              int synchronous)
{
    post_completion(handle, value, status, information, synchronous);
}

static void reset_event(uintptr_t event)
{
    nt_reset_event((void *)event, NULL);
}

/* Windows' MEMORY_BASIC_INFORMATION on x86_64 (this file takes no
 * Windows header), and the values of it that matter here. */
struct w2u_mbi {
    void *base, *allocation_base;
    uint32_t allocation_protect;
    uint16_t partition;
    size_t region_size;
    uint32_t state, protect, type;
};
enum { W2U_MEM_COMMIT = 0x1000, W2U_PAGE_GUARD = 0x100, W2U_PAGE_WRITABLE = 0x04 | 0x08 | 0x40 | 0x80 };
static NTSTATUS (__attribute__((ms_abi)) *nt_query_vm)(void *process, const void *addr, int cls, void *info,
                                                       size_t len, size_t *got);

/* Windows' view of [p, p+len): committed memory the program may write. */
static bool program_writable(uintptr_t at, uintptr_t end)
{
    while (at < end) {
        struct w2u_mbi mbi;
        if (nt_query_vm((void *)(intptr_t)-1, (void *)at, 0 /* MemoryBasicInformation */, &mbi, sizeof(mbi),
                        NULL) ||
            mbi.state != W2U_MEM_COMMIT || !(mbi.protect & W2U_PAGE_WRITABLE) || (mbi.protect & W2U_PAGE_GUARD))
            return false;
        at = (uintptr_t)mbi.base + mbi.region_size;
    }
    return true;
}

/* Wine keeps a MEM_WRITE_WATCH page read-only for Linux until the
 * program's first write, which its fault handler records and then lets
 * through; the kernel's own write (a receive) fails with EFAULT instead.
 * Windows' kernel writes such a page without recording a write, and so
 * does this: through /proc/self/mem, which writes past the protection.
 * Where that is refused (a kernel built to forbid it), each page is
 * touched from this Wine thread, so Wine records the write and lifts the
 * protection, and then written.  Memory that is not the program's to
 * write stays a fault (WSAEFAULT). */
static bool kernel_write(void *dst, const void *src, size_t n)
{
    static int mem_fd = -2;
    uintptr_t at = (uintptr_t)dst, end = at + n;
    if (!n)
        return true;
    if (!nt_query_vm || end < at || !program_writable(at & ~(uintptr_t)4095, end))
        return false;
    int fd = __atomic_load_n(&mem_fd, __ATOMIC_ACQUIRE);
    if (fd == -2) {
        int mine = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
        int expected = -2;
        if (!__atomic_compare_exchange_n(&mem_fd, &expected, mine, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            if (mine >= 0)
                close(mine);
            mine = expected;
        }
        fd = mine;
    }
    if (fd >= 0 && pwrite(fd, src, n, (off_t)at) == (ssize_t)n)
        return true;
    for (uintptr_t page = at & ~(uintptr_t)4095; page < end; page += 4096)
        __atomic_fetch_or((unsigned char *)(page < at ? at : page), 0, __ATOMIC_RELAXED);
    memcpy(dst, src, n);
    return true;
}

static unsigned (__attribute__((ms_abi)) *handle_to_fd)(void *handle, unsigned access, int *fd, unsigned *options);

/* TransmitFile's file is a Wine handle: Wine gives a descriptor of our
 * own for it (a duplicate, sharing the file position). */
static int file_fd(uintptr_t handle)
{
    int fd = -1;
    if (!handle_to_fd || handle_to_fd((void *)handle, 1 /* FILE_READ_DATA */, &fd, NULL))
        return -1;
    return fd;
}

/* A completion routine: a Wine APC to the thread that started the
 * operation, run through the PE side's trampoline when that thread waits
 * alertably (SleepEx, WaitForSingleObjectEx, ...). */
static void queue_routine(uintptr_t thread, void *routine, void *ov, uint32_t wsa_error, uintptr_t bytes)
{
    uintptr_t packed = (uintptr_t)wsa_error << 32 | (uint32_t)bytes;
    NTSTATUS st = nt_queue_apc((void *)thread, (void *)(uintptr_t)apc_trampoline, (uintptr_t)routine,
                               (uintptr_t)ov, packed);
    if (st && trace)
        fprintf(stderr, "ws2uring: NtQueueApcThread failed: %#x\n", (unsigned)st);
}

/* An NT request's APC, as the NT layer queues it: apc(context, iosb, 0). */
static void queue_nt_apc(uintptr_t thread, void *apc, void *context, void *iosb)
{
    NTSTATUS st = nt_queue_apc((void *)thread, apc, (uintptr_t)context, (uintptr_t)iosb, 0);
    if (st && trace)
        fprintf(stderr, "ws2uring: NtQueueApcThread failed: %#x\n", (unsigned)st);
}

/* What this host provides: one table, installed once (ws2uring_host.h). */
static const struct ws2uring_host_ops wine_host = {
    .post = post_completion,
    .set_event = set_event,
    .reset_event = reset_event,
    .apc = queue_routine,
    .nt_apc = queue_nt_apc,
    .kernel_write = kernel_write,
    .probe = w2u_wine_guard,
    .file_fd = file_fd,
};

static bool host_init(void *lib)
{
    void *ntdll = dlopen("ntdll.so", RTLD_NOW | RTLD_NOLOAD);
    void *from = ntdll ? ntdll : RTLD_DEFAULT;
    __typeof__(&ws2uring_host_install) host_install = (__typeof__(host_install))find(lib, "ws2uring_host_install");
    host_watch = (__typeof__(host_watch))find(lib, "ws2uring_host_watch");
    nt_reset_event = (NTSTATUS (__attribute__((ms_abi)) *)(void *, int32_t *))dlsym(from, "NtResetEvent");
    host_thread = (__typeof__(host_thread))find(lib, "ws2uring_host_thread");
    server_call = (unsigned (__attribute__((ms_abi)) *)(void *))dlsym(from, "wine_server_call");
    nt_set_event = (NTSTATUS (__attribute__((ms_abi)) *)(void *, int32_t *))dlsym(from, "NtSetEvent");
    nt_queue_apc = (NTSTATUS (__attribute__((ms_abi)) *)(void *, void *, uintptr_t, uintptr_t, uintptr_t))
        dlsym(from, "NtQueueApcThread");
    /* Optional: without them kernel_write and file_fd refuse. */
    nt_query_vm = (NTSTATUS (__attribute__((ms_abi)) *)(void *, const void *, int, void *, size_t, size_t *))
        dlsym(from, "NtQueryVirtualMemory");
    handle_to_fd = (unsigned (__attribute__((ms_abi)) *)(void *, unsigned, int *, unsigned *))
        dlsym(from, "wine_server_handle_to_fd");
    if (!host_install || !host_thread || !host_watch || !server_call || !nt_set_event || !nt_reset_event ||
        !nt_queue_apc)
        return false;
    return host_install(&wine_host) == 0;
}

#define W2U_SIO_GET_EXTENSION_FUNCTION_POINTER 0xc8000006u

/* Calls fn with the call's argument slots on the program's thread, with
 * that thread's handle for completion routines when the PE side gave one,
 * and collects the result and the last error it set. */
static void run_native(native_fn fn, struct w2u_forward_params *p)
{
    const uint64_t *a = p->args;
    set_error(W2U_NO_ERROR);
    if (p->thread)
        host_thread(p->thread);
    p->ret = fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11]);
    if (p->thread)
        host_thread(0);
    p->last_error = get_error();
}

/* WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER) answered with ws2uring's
 * native function: remember it; the PE side hands the program its own
 * thunk instead, which calls back here (W2U_UNIX_EXTENSION). */
static void learn_extension(const uint64_t *a, int ret)
{
    if (ret != 0 || (uint32_t)a[1] != W2U_SIO_GET_EXTENSION_FUNCTION_POINTER || !a[2] || a[3] < 16 ||
        !a[4] || a[5] < sizeof(void *))
        return;
    for (int i = 0; i < W2U_EXTENSIONS; i++)
        if (!memcmp((const void *)(uintptr_t)a[2], w2u_extension_guids[i], 16))
            memcpy(&extensions[i], (const void *)(uintptr_t)a[4], sizeof(extensions[i]));
}

static NTSTATUS unix_extension(void *args)
{
    struct w2u_forward_params *p = args;
    if (p->index >= W2U_EXTENSIONS || !extensions[p->index])
        return STATUS_INVALID_PARAMETER;
    const uint64_t *a = p->args;
    run_native(extensions[p->index], p);
    if (trace)
        fprintf(stderr, "ws2uring: extension %u(%#llx, %#llx, %#llx, %#llx) = %#llx\n", p->index,
                (unsigned long long)a[0], (unsigned long long)a[1], (unsigned long long)a[2],
                (unsigned long long)a[3], (unsigned long long)p->ret);
    return 0;
}

/* The PE side's two Wine threads live here: the reaper (args NULL) and
 * the WSAEventSelect watcher (args non-NULL). */
static NTSTATUS unix_reap(void *args)
{
    if (init_error[0])
        return STATUS_INVALID_PARAMETER;
    if (args)
        host_watch();
    else
        host_reap();
    return 0;
}

static NTSTATUS unix_init(void *args)
{
    struct w2u_init_params *p = args;
    apc_trampoline = p->apc_trampoline;
    pthread_once(&init_once, init);
    if (!init_error[0])
        host_process_id(p->process_id);
    p->status = init_error[0] != 0;
    snprintf(p->message, sizeof(p->message), "%s", init_error);
    return 0;
}

static NTSTATUS unix_forward(void *args)
{
    struct w2u_forward_params *p = args;
    if (p->index >= w2u_unix_count || init_error[0])
        return STATUS_INVALID_PARAMETER;
    uint64_t *a = p->args;
    /* The program's SOCKET is a Wine handle (see socket_alias): forget it
     * before ws2uring closes the socket, so it never names a closed one. */
    if (effects[p->index] == CLOSES_SOCKET) {
        int others;
        uint64_t own = socket_close_name(a[0], &others);
        if (others) {                  /* a duplicate keeps the socket: only this name goes */
            p->ret = 0;
            p->last_error = 0;
            return 0;
        }
        if (own)
            a[0] = own;
    }
    run_native(natives[p->index], p);
    if (effects[p->index] == IOCTL)
        learn_extension(a, (int)p->ret);

    if (trace) {
        /* One line per call: its first six argument slots (what each means
         * depends on the call), the result, and the error it set. */
        char err[24] = "";
        if (p->last_error != W2U_NO_ERROR)
            snprintf(err, sizeof(err), " error %u", p->last_error);
        fprintf(stderr, "ws2uring: %s(%#llx, %#llx, %#llx, %#llx, %#llx, %#llx) = %#llx%s\n",
                w2u_unix_names[p->index], (unsigned long long)a[0], (unsigned long long)a[1],
                (unsigned long long)a[2], (unsigned long long)a[3], (unsigned long long)a[4],
                (unsigned long long)a[5], (unsigned long long)p->ret, err);
    }
    return 0;
}

/* The PE side gave ws2uring's new socket s a Wine handle of its own. */
static NTSTATUS unix_alias(void *args)
{
    struct w2u_alias_params *p = args;
    if (init_error[0])
        return STATUS_INVALID_PARAMETER;
    if (p->socket)
        p->status = (uint32_t)-socket_alias(p->alias, p->socket);
    else
        socket_unalias(p->alias);
    p->started = winsock_started() != 0;
    return 0;
}

/* DuplicateHandle of a SOCKET: args[0] the SOCKET; ret 0 or -WSA error,
 * args[1] out: the socket's own handle, which the copy stands for. */
static NTSTATUS unix_copy(void *args)
{
    struct w2u_forward_params *p = args;
    p->ret = (uint64_t)(int64_t)socket_copy(p->args[0], &p->args[1]);
    return 0;
}

/* A slice of a blocking receive's or accept's wait, on the DLL's side:
 * args[0] the SOCKET, args[1] ms; ret 1 ready, 0 not yet; args[2] out:
 * SO_RCVTIMEO. */
static NTSTATUS unix_wait_ready(void *args)
{
    struct w2u_forward_params *p = args;
    uint32_t timeout = 0;
    p->ret = (uint64_t)wait_ready(p->args[0], (uint32_t)p->args[1], &timeout);
    p->args[2] = timeout;
    return 0;
}

/* Whether a send of args[1] bytes on the SOCKET args[0] is a blocking
 * stream send that may wait, which the DLL makes an overlapped send and an
 * alertable wait; args[1] out: SO_SNDTIMEO. */
static NTSTATUS unix_send_waits(void *args)
{
    struct w2u_forward_params *p = args;
    uint32_t timeout = 0;
    p->ret = (uint64_t)send_waits(p->args[0], p->args[1], &timeout);
    p->args[1] = timeout;
    return 0;
}

/* Whether a connect on the SOCKET args[0] is a blocking IP stream connect,
 * which the DLL starts non-blocking and waits for alertably. */
static NTSTATUS unix_connect_waits(void *args)
{
    struct w2u_forward_params *p = args;
    p->ret = (uint64_t)connect_waits(p->args[0]);
    return 0;
}

/* The program joined a ws2uring SOCKET to one of Wine's ports. */
static NTSTATUS unix_host_port(void *args)
{
    struct w2u_forward_params *p = args;
    p->ret = (uint64_t)(int64_t)socket_host_port(p->args[0], p->args[1]);
    return 0;
}

/* A completion of another handle, relayed into a ws2uring port. */
static NTSTATUS unix_post(void *args)
{
    struct w2u_forward_params *p = args;
    p->ret = post_status(p->args[0], (uint32_t)p->args[1], p->args[2], p->args[3], (void *)(uintptr_t)p->args[4]);
    return 0;
}

/* The NTSTATUS for the error a forwarded call set. */
static NTSTATUS unix_status(void *args)
{
    struct w2u_forward_params *p = args;
    p->ret = error_status((uint32_t)p->args[0]);
    return 0;
}

/* WSAAccept's condition deferred the connection (the PE side runs it):
 * the next accept on the listener returns it. */
static NTSTATUS unix_defer(void *args)
{
    struct w2u_forward_params *p = args;
    p->ret = (uint64_t)(int64_t)accept_defer(p->args[0], p->args[1]);
    return 0;
}

/* WSAAsyncSelect's selection, made by the DLL with an event of its own. */
static NTSTATUS unix_message_select(void *args)
{
    struct w2u_forward_params *p = args;
    p->ret = (uint64_t)(int64_t)message_select(p->args[0], p->args[1], (uint32_t)p->args[2]);
    return 0;
}

/* On the DLL's Wine thread for one overlapped GetAddrInfoExW: waits for
 * the lookup's end, which the DLL then delivers (its event, its routine). */
static NTSTATUS unix_lookup(void *args)
{
    struct w2u_forward_params *p = args;
    uintptr_t event = 0, routine = 0, ov = 0;
    p->ret = (uint64_t)(int64_t)lookup_settle((uintptr_t)p->args[0], &event, &routine, &ov);
    p->args[1] = event;
    p->args[2] = routine;
    p->args[3] = ov;
    return 0;
}

/* One line per not-yet export, the first time a program calls it. */
static NTSTATUS unix_not_yet(void *args)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static const char *said[64];
    static unsigned nsaid;
    struct w2u_not_yet_params *p = args;
    bool first = true;
    pthread_mutex_lock(&lock);
    for (unsigned i = 0; i < nsaid; i++)
        first = first && strcmp(said[i], p->name);
    if (first && nsaid < sizeof(said) / sizeof(said[0]))
        said[nsaid++] = p->name;        /* a string constant of the PE image */
    pthread_mutex_unlock(&lock);
    if (first || trace)
        fprintf(stderr, "ws2uring: %s is not supported under Wine yet%s%s%s: WSAEOPNOTSUPP\n", p->name,
                p->why ? " (" : "", p->why ? p->why : "", p->why ? ")" : "");
    return 0;
}

__attribute__((visibility("default")))
const unixlib_entry_t __wine_unix_call_funcs[W2U_UNIX_CALLS] = {
    [W2U_UNIX_INIT] = unix_init,
    [W2U_UNIX_FORWARD] = unix_forward,
    [W2U_UNIX_NOT_YET] = unix_not_yet,
    [W2U_UNIX_ALIAS] = unix_alias,
    [W2U_UNIX_REAP] = unix_reap,
    [W2U_UNIX_EXTENSION] = unix_extension,
    [W2U_UNIX_HOST_PORT] = unix_host_port,
    [W2U_UNIX_POST] = unix_post,
    [W2U_UNIX_DEFER] = unix_defer,
    [W2U_UNIX_MESSAGE_SELECT] = unix_message_select,
    [W2U_UNIX_LOOKUP] = unix_lookup,
    [W2U_UNIX_STATUS] = unix_status,
    [W2U_UNIX_AFD_POLL] = w2u_afd_submit,
    [W2U_UNIX_AFD_CANCEL] = w2u_afd_cancel,
    [W2U_UNIX_AFD_RUN] = w2u_afd_run,
    [W2U_UNIX_NT_DONE] = w2u_nt_done,
    [W2U_UNIX_COPY] = unix_copy,
    [W2U_UNIX_WAIT_READY] = unix_wait_ready,
    [W2U_UNIX_SEND_WAITS] = unix_send_waits,
    [W2U_UNIX_CONNECT_WAITS] = unix_connect_waits,
};
