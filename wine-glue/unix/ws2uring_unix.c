/*
 * ws2uring.so: the Unix side of ws2_32.dll under Wine.  Wine's ntdll loads
 * it beside the builtin helper ws2uring.dll; the PE side calls
 * __wine_unix_call_funcs[] through __wine_unix_call on the program's own
 * (Wine-created) thread.  Each forwarded export runs the native ws2uring
 * function of the same name (libws2uring.so, whose Win32 surface already
 * uses the Windows calling convention and Windows structure layouts).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unix_surface.h"

typedef int32_t NTSTATUS;
typedef NTSTATUS (*unixlib_entry_t)(void *args);
typedef uint64_t (__attribute__((ms_abi)) *native_fn)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
                                                      uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
                                                      uint64_t, uint64_t);
typedef uint32_t (__attribute__((ms_abi)) *get_error_fn)(void);
typedef void (__attribute__((ms_abi)) *set_error_fn)(uint32_t);

#define STATUS_INVALID_PARAMETER ((NTSTATUS)0xc000000d)

extern const char *const w2u_unix_names[];     /* unix_names.c, generated */
extern const unsigned w2u_unix_count;

/* closesocket's index: the program's handle is forgotten before the close. */
enum { CLOSES_SOCKET = 1 };

static native_fn *natives;
static uint8_t *effects;
static int (*socket_alias)(uint64_t alias, uint64_t s);
static uint64_t (*socket_unalias)(uint64_t alias);
static int (*winsock_started)(void);


static get_error_fn get_error;
static set_error_fn set_error;
static bool trace;
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
    void *lib = open_library();
    if (!lib) {
        snprintf(init_error, sizeof(init_error), "cannot load libws2uring.so.0 beside ws2uring.so: %s",
                 dlerror());
        return;
    }
    natives = calloc(w2u_unix_count, sizeof(*natives));
    effects = calloc(w2u_unix_count, 1);
    get_error = (get_error_fn)find(lib, "GetLastError");
    set_error = (set_error_fn)find(lib, "SetLastError");
    socket_alias = (int (*)(uint64_t, uint64_t))find(lib, "ws2uring_socket_alias");
    socket_unalias = (uint64_t (*)(uint64_t))find(lib, "ws2uring_socket_unalias");
    winsock_started = (int (*)(void))find(lib, "ws2uring_started");
    if (!natives || !effects || !get_error || !set_error || !socket_alias || !socket_unalias ||
        !winsock_started) {
        snprintf(init_error, sizeof(init_error), "libws2uring.so.0 lacks its error or host calls");
        return;
    }
    for (unsigned i = 0; i < w2u_unix_count; i++) {
        const char *n = w2u_unix_names[i];
        if (!(natives[i] = (native_fn)find(lib, n))) {
            snprintf(init_error, sizeof(init_error), "libws2uring.so.0 lacks %s", n);
            return;
        }
        effects[i] = !strcmp(n, "closesocket") ? CLOSES_SOCKET : 0;
    }

    const char *t = getenv("WS2URING_TRACE");
    trace = t && *t && strcmp(t, "0");
}

static NTSTATUS unix_init(void *args)
{
    struct w2u_init_params *p = args;
    pthread_once(&init_once, init);
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
        uint64_t own = socket_unalias(a[0]);
        if (own)
            a[0] = own;
    }
    set_error(W2U_NO_ERROR);
    p->ret = natives[p->index](a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11]);
    p->last_error = get_error();

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
};
