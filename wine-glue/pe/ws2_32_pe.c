/*
 * ws2_32.dll for Windows programs under Wine: the PE half.  Nearly every
 * export is a generated thunk (pe_thunks.c) that hands its arguments to
 * ws2uring's Unix library through __wine_unix_call; what must live in the
 * program's own Windows world is here: the start-up check that this Wine
 * is the one the DLL was built for, the thread's last error (Wine's TEB),
 * SOCKETs as Wine handles, completion routines as Wine APCs, the
 * redirection of the program's kernel32 and mswsock imports, WSA events,
 * WSAAsyncSelect, WSAAccept's condition and WSAIoctl's extension pointers.
 */
#include <winsock2.h>
#include <windows.h>
#include <winternl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unix_surface.h"
#include "ws2_32_pe.h"

typedef UINT64 unixlib_handle_t;
typedef LONG (WINAPI *unix_call_fn)(unixlib_handle_t, unsigned int, void *);
typedef LONG (WINAPI *query_memory_fn)(HANDLE, const void *, int, void *, SIZE_T, SIZE_T *);
typedef const char *(CDECL *wine_version_fn)(void);

#define MemoryWineUnixFuncs 1000   /* Wine's NtQueryVirtualMemory class for a module's Unix library */
#define W2U_WSAEOPNOTSUPP 10045
#define W2U_WSAEFAULT 10014
#define W2U_WSAENOBUFS 10055
#define W2U_WSAEWOULDBLOCK 10035
#define W2U_SIO_GET_EXTENSION_FUNCTION_POINTER 0xc8000006u
#define INVALID_SOCKET_VALUE (~(UINT64)0)
#define AF_INET_ID 2

static unixlib_handle_t unixlib;
static unix_call_fn unix_call;
static DWORD thread_slot = TLS_OUT_OF_INDEXES;   /* each thread's own handle, for its APCs */
static DWORD send_slot = TLS_OUT_OF_INDEXES;     /* a thread's event for its blocking sends */

static BOOL attach_handles(void);
static void patch_imports(HMODULE module);
static BOOL install_seam(void);
static void WINAPI run_routine(ULONG_PTR routine, ULONG_PTR ov, ULONG_PTR packed);

static void say(const char *text)
{
    DWORD put;
    HANDLE err = GetStdHandle(STD_ERROR_HANDLE);
    if (err && err != INVALID_HANDLE_VALUE)
        WriteFile(err, text, (DWORD)strlen(text), &put, NULL);
    OutputDebugStringA(text);
}

/* The Wine this DLL was built for (W2U_WINE_VERSION, from `wine --version`
 * at configure time) must be the one running it: the Unix interface and the
 * server protocol it will rely on change between versions. */
static BOOL check_wine(void)
{
    char line[256];
    HMODULE ntdll = GetModuleHandleA("ntdll.dll");
    wine_version_fn version = (wine_version_fn)(void *)GetProcAddress(ntdll, "wine_get_version");
    if (!version) {
        say("ws2uring: this ws2_32.dll runs only under Wine " W2U_WINE_VERSION "\n");
        return FALSE;
    }
    if (strcmp(version(), W2U_WINE_VERSION)) {
        snprintf(line, sizeof(line), "ws2uring: built for Wine %s, refusing to run under Wine %s\n",
                 W2U_WINE_VERSION, version());
        say(line);
        return FALSE;
    }
    return TRUE;
}

/* The builtin helper ws2uring.dll exists so that Wine's loader finds the
 * Unix library ws2uring.so next to it (through WINEDLLPATH); this native
 * DLL calls that library through the helper's handle. */
static BOOL attach_unix(void)
{
    HMODULE ntdll = GetModuleHandleA("ntdll.dll");
    query_memory_fn query = (query_memory_fn)(void *)GetProcAddress(ntdll, "NtQueryVirtualMemory");
    HMODULE helper = LoadLibraryA("ws2uring.dll");
    unix_call = (unix_call_fn)(void *)GetProcAddress(ntdll, "__wine_unix_call");
    if (!helper || !query || !unix_call ||
        query(GetCurrentProcess(), helper, MemoryWineUnixFuncs, &unixlib, sizeof(unixlib), NULL)) {
        say("ws2uring: cannot reach ws2uring.so (is WINEDLLPATH set? use the ws2uring-wine launcher)\n");
        return FALSE;
    }
    struct w2u_init_params p;
    memset(&p, 0, sizeof(p));
    p.apc_trampoline = (UINT64)(ULONG_PTR)run_routine;
    p.process_id = GetCurrentProcessId();
    if (unix_call(unixlib, W2U_UNIX_INIT, &p) || p.status) {
        char line[300];
        snprintf(line, sizeof(line), "ws2uring: %s\n", p.message[0] ? p.message : "Unix side failed to start");
        say(line);
        return FALSE;
    }
    return TRUE;
}

/* Wine threads for ws2uring's reaper and WSAEventSelect watcher: they set
 * events and post completions, and wineserver talks only to Wine-created
 * threads.  Each stays in the Unix library for the life of the process. */
static DWORD WINAPI reaper_main(void *arg)
{
    unix_call(unixlib, W2U_UNIX_REAP, arg);
    return 0;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, void *reserved)
{
    (void)reserved;
    (void)instance;
    if (reason == DLL_THREAD_DETACH && thread_slot != TLS_OUT_OF_INDEXES) {
        HANDLE h = TlsGetValue(thread_slot);    /* this thread's handle for its APCs */
        if (h)
            CloseHandle(h);
        if ((h = TlsGetValue(send_slot)))       /* and its blocking sends' event */
            CloseHandle(h);
        return TRUE;
    }
    if (reason != DLL_PROCESS_ATTACH)
        return TRUE;
    if ((thread_slot = TlsAlloc()) == TLS_OUT_OF_INDEXES || (send_slot = TlsAlloc()) == TLS_OUT_OF_INDEXES ||
        !check_wine() || !attach_unix() ||
        !attach_handles())
        return FALSE;
    if (!install_seam())
        return FALSE;
    patch_imports(GetModuleHandleA(NULL));
    /* Two Wine threads: completions, and WSAEventSelect's watcher. */
    static int watch = 1;
    HANDLE reaper = CreateThread(NULL, 0, reaper_main, NULL, 0, NULL);
    HANDLE watcher = CreateThread(NULL, 0, reaper_main, &watch, 0, NULL);
    if (!reaper || !watcher) {
        say("ws2uring: cannot start its threads\n");
        return FALSE;
    }
    CloseHandle(reaper);
    CloseHandle(watcher);
    return TRUE;
}

static UINT64 forward(unsigned index, UINT64 thread, const UINT64 *args)
{
    struct w2u_forward_params p = { .index = index, .thread = thread };
    memcpy(p.args, args, sizeof(p.args));
    /* A fault the Unix side did not catch ends the Unix call with the
     * exception's status (Wine 8.0's handle_syscall_fault): the call
     * failed, never "succeeded" with the zeroed result. */
    if (unix_call(unixlib, W2U_UNIX_FORWARD, &p))
        return w2u_pe_fault();
    if (p.last_error != W2U_NO_ERROR)
        SetLastError(p.last_error);
    return p.ret;
}

UINT64 w2u_pe_forward(unsigned index, const char *name, UINT64 a0, UINT64 a1, UINT64 a2, UINT64 a3,
                      UINT64 a4, UINT64 a5, UINT64 a6, UINT64 a7, UINT64 a8, UINT64 a9, UINT64 a10,
                      UINT64 a11)
{
    const UINT64 args[W2U_FORWARD_ARGS] = { a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11 };
    (void)name;
    return forward(index, 0, args);
}

BOOL w2u_pe_probe_buffer(UINT64 buf, UINT64 len)
{
    return !buf || !len || !IsBadWritePtr((void *)(ULONG_PTR)buf, (UINT_PTR)len);
}

BOOL w2u_pe_probe_wsabufs(UINT64 bufs, UINT64 count)
{
    const WSABUF *b = (const WSABUF *)(ULONG_PTR)bufs;
    /* An array it cannot read is the Unix side's to refuse (it looks at
     * the socket first). */
    if (!b || !count || IsBadReadPtr(b, (UINT_PTR)count * sizeof(*b)))
        return TRUE;
    for (UINT64 i = 0; i < count; i++)
        if (!w2u_pe_probe_buffer((UINT64)(ULONG_PTR)b[i].buf, b[i].len))
            return FALSE;
    return TRUE;
}

UINT64 w2u_pe_fault(void)
{
    SetLastError(WSAEFAULT);
    return (UINT64)(INT64)SOCKET_ERROR;
}

/* ---- completion routines -----------------------------------------------------------
 * A completion routine runs as a Wine APC on the thread that started the
 * operation (when it waits alertably), queued by the Unix side with
 * NtQueueApcThread on a real handle of that thread, kept per thread. */
static UINT64 this_thread(void)
{
    HANDLE h = TlsGetValue(thread_slot);
    if (!h && DuplicateHandle(GetCurrentProcess(), GetCurrentThread(), GetCurrentProcess(), &h, 0, FALSE,
                              DUPLICATE_SAME_ACCESS))
        TlsSetValue(thread_slot, h);
    return (UINT64)(ULONG_PTR)h;
}

/* The APC: arguments as the Unix side packed them. */
static void WINAPI run_routine(ULONG_PTR routine, ULONG_PTR ov, ULONG_PTR packed)
{
    ((LPWSAOVERLAPPED_COMPLETION_ROUTINE)routine)((DWORD)(packed >> 32), (DWORD)packed, (LPWSAOVERLAPPED)ov, 0);
}

UINT64 w2u_pe_forward_routine(unsigned index, const char *name, UINT64 a0, UINT64 a1, UINT64 a2, UINT64 a3,
                              UINT64 a4, UINT64 a5, UINT64 a6, UINT64 a7, UINT64 a8, UINT64 a9, UINT64 a10,
                              UINT64 a11)
{
    const UINT64 args[W2U_FORWARD_ARGS] = { a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11 };
    UINT64 thread = this_thread();
    (void)name;
    if (!thread) {
        SetLastError(W2U_WSAENOBUFS);
        return (UINT64)-1;
    }
    return forward(index, thread, args);
}

UINT64 w2u_pe_not_yet(const char *name, const char *why, UINT64 fail_value)
{
    struct w2u_not_yet_params p = { name, why };
    unix_call(unixlib, W2U_UNIX_NOT_YET, &p);
    SetLastError(W2U_WSAEOPNOTSUPP);
    return fail_value;
}

/* ---- SOCKETs as Wine handles ---------------------------------------------------
 * Every socket ws2uring makes gets a Wine AFD socket (\Device\Afd, then
 * Wine's IOCTL_AFD_WINE_CREATE, as Wine's own ws2_32 makes its sockets) as
 * its identity: the program's SOCKET is that Wine handle, which Wine's
 * kernel32 knows (CloseHandle, CreateIoCompletionPort,
 * SetFileCompletionNotificationModes, waits), and ws2uring accepts it as
 * an alias of its own socket.  The I/O stays on ws2uring's descriptor;
 * Wine's socket behind the handle is never connected, so a ReadFile or
 * WriteFile that reaches Wine (not through the program's redirected
 * imports) fails rather than losing data. */
typedef NTSTATUS (WINAPI *nt_open_file_fn)(HANDLE *, ACCESS_MASK, OBJECT_ATTRIBUTES *, IO_STATUS_BLOCK *, ULONG,
                                           ULONG);
typedef NTSTATUS (WINAPI *nt_ioctl_fn)(HANDLE, HANDLE, void *, void *, IO_STATUS_BLOCK *, ULONG, void *, ULONG,
                                       void *, ULONG);
typedef NTSTATUS (WINAPI *nt_close_fn)(HANDLE);

/* CTL_CODE(FILE_DEVICE_NETWORK, 200, METHOD_BUFFERED, FILE_ANY_ACCESS) */
#define W2U_IOCTL_AFD_WINE_CREATE 0x00120320u

static nt_open_file_fn nt_open_file;
static nt_ioctl_fn nt_ioctl;
static nt_close_fn nt_close;

/* Which Wine handles are ws2uring SOCKETs, one bit each (Wine handle
 * values are multiples of 4; ws2uring takes aliases below 2^24): the
 * redirected kernel32 calls test it on every handle they get, so a file's
 * ReadFile pays no trip to the Unix side. */
#define SOCKET_BITS (1u << 22)
static volatile LONG socket_bits[SOCKET_BITS / 32];
static CRITICAL_SECTION handles_lock;    /* the bridges, WSAAsyncSelect, deferred WSAAccept */

static BOOL mark_socket(HANDLE h, BOOL on)
{
    ULONG_PTR i = (ULONG_PTR)h >> 2;
    if (((ULONG_PTR)h & 3) || i >= SOCKET_BITS)
        return FALSE;
    LONG bit = (LONG)(1u << (i % 32));
    if (on)
        InterlockedOr(&socket_bits[i / 32], bit);
    else
        InterlockedAnd(&socket_bits[i / 32], ~bit);
    return TRUE;
}

static BOOL is_socket(HANDLE h)
{
    ULONG_PTR i = (ULONG_PTR)h >> 2;
    return !((ULONG_PTR)h & 3) && i < SOCKET_BITS && (socket_bits[i / 32] & (LONG)(1u << (i % 32)));
}

static BOOL attach_handles(void)
{
    HMODULE ntdll = GetModuleHandleA("ntdll.dll");
    nt_open_file = (nt_open_file_fn)(void *)GetProcAddress(ntdll, "NtOpenFile");
    nt_ioctl = (nt_ioctl_fn)(void *)GetProcAddress(ntdll, "NtDeviceIoControlFile");
    nt_close = (nt_close_fn)(void *)GetProcAddress(ntdll, "NtClose");
    InitializeCriticalSection(&handles_lock);
    return nt_open_file && nt_ioctl && nt_close;
}

/* A Wine AFD socket to stand for a ws2uring socket, or NULL. */
static HANDLE new_wine_socket(void)
{
    static WCHAR path[] = L"\\Device\\Afd";
    UNICODE_STRING name = { sizeof(path) - sizeof(WCHAR), sizeof(path), path };
    OBJECT_ATTRIBUTES attr = { .Length = sizeof(attr), .ObjectName = &name, .Attributes = OBJ_CASE_INSENSITIVE };
    IO_STATUS_BLOCK io;
    HANDLE h = NULL;
    struct { int family, type, protocol; unsigned int flags; } create = { AF_INET_ID, 1, 6, 0 };
    if (nt_open_file(&h, GENERIC_READ | GENERIC_WRITE | SYNCHRONIZE, &attr, &io, 0, 0))
        return NULL;
    if (nt_ioctl(h, NULL, NULL, NULL, &io, W2U_IOCTL_AFD_WINE_CREATE, &create, sizeof(create), NULL, 0)) {
        nt_close(h);
        return NULL;
    }
    return h;
}

extern const unsigned w2u_pe_index_closesocket;   /* pe_thunks.c */

UINT64 w2u_pe_give_handle(UINT64 s)
{
    /* A deferred connection comes back from accept with its Wine handle. */
    if (s == (UINT64)INVALID_SOCKET_VALUE || is_socket((HANDLE)(ULONG_PTR)s))
        return s;
    HANDLE h = new_wine_socket();
    struct w2u_alias_params p = { (UINT64)(ULONG_PTR)h, s, 0, 0 };
    if (h && mark_socket(h, TRUE) && !unix_call(unixlib, W2U_UNIX_ALIAS, &p) && !p.status)
        return (UINT64)(ULONG_PTR)h;
    if (h) {
        mark_socket(h, FALSE);
        nt_close(h);
    }
    /* ws2uring's socket has no handle the program could close: close it. */
    w2u_pe_forward(w2u_pe_index_closesocket, "closesocket", s, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    SetLastError(W2U_WSAENOBUFS);
    return (UINT64)INVALID_SOCKET_VALUE;
}

static void async_forget(UINT64 s);

void w2u_pe_drop_handle(UINT64 h)
{
    async_forget(h);
    mark_socket((HANDLE)(ULONG_PTR)h, FALSE);
    nt_close((HANDLE)(ULONG_PTR)h);
}

static void forget_copies(void);

void w2u_pe_after_cleanup(void)
{
    struct w2u_alias_params p = { 0, 0, 0, 1 };
    unix_call(unixlib, W2U_UNIX_ALIAS, &p);       /* alias 0: only asks whether Winsock still runs */
    if (p.started)
        return;
    forget_copies();                    /* their sockets are gone; their handles go below */
    for (ULONG w = 0; w < SOCKET_BITS / 32; w++) {
        if (!socket_bits[w])
            continue;                   /* (a read of an untouched page costs nothing) */
        LONG bits = InterlockedExchange(&socket_bits[w], 0);
        for (ULONG b = 0; bits; b++, bits = (LONG)((ULONG)bits >> 1))
            if (bits & 1) {
                HANDLE h = (HANDLE)(ULONG_PTR)(((ULONG_PTR)w * 32 + b) << 2);
                struct w2u_alias_params forget_it = { (UINT64)(ULONG_PTR)h, 0, 0, 0 };
                unix_call(unixlib, W2U_UNIX_ALIAS, &forget_it);
                nt_close(h);
            }
    }
}

/* ---- the NT layer on ws2uring's handles -------------------------------------------
 * A SOCKET is a Wine handle, but its I/O is ws2uring's, and the program's
 * completion ports are ws2uring's (in the fast mode): Wine's ntdll knows
 * neither.  Every kernel32 call on them, from any module or through
 * GetProcAddress, ends in one of ntdll's Nt* calls, so the seam hooks
 * those (install_seam): a ws2uring SOCKET or port goes to ws2uring, any
 * other handle to Wine's call as before, after one bit test. */
extern const unsigned w2u_pe_index_AcceptEx, w2u_pe_index_GetAcceptExSockaddrs, w2u_pe_index_TransmitFile,
    w2u_pe_index_WSARecvEx;
UINT64 WINAPI w2u_pe_WSARecv(UINT64 a0, UINT64 a1, UINT64 a2, UINT64 a3, UINT64 a4, UINT64 a5, UINT64 a6,
                             UINT64 a7, UINT64 a8, UINT64 a9, UINT64 a10, UINT64 a11);
UINT64 WINAPI w2u_pe_WSASend(UINT64 a0, UINT64 a1, UINT64 a2, UINT64 a3, UINT64 a4, UINT64 a5, UINT64 a6,
                             UINT64 a7, UINT64 a8, UINT64 a9, UINT64 a10, UINT64 a11);
extern const unsigned w2u_pe_index_CancelIo, w2u_pe_index_CancelIoEx, w2u_pe_index_GetOverlappedResultEx,
    w2u_pe_index_CloseHandle, w2u_pe_index_CreateIoCompletionPort, w2u_pe_index_GetQueuedCompletionStatusEx,
    w2u_pe_index_SetFileCompletionNotificationModes;
UINT64 WINAPI w2u_pe_closesocket(UINT64 a0, UINT64 a1, UINT64 a2, UINT64 a3, UINT64 a4, UINT64 a5, UINT64 a6,
                                 UINT64 a7, UINT64 a8, UINT64 a9, UINT64 a10, UINT64 a11);

/* The NT calls the seam hooks, as Wine 8.0's ntdll declares them. */
typedef void (WINAPI *io_apc_fn)(void *, IO_STATUS_BLOCK *, ULONG);
struct port_entry {                     /* FILE_IO_COMPLETION_INFORMATION, the layout of OVERLAPPED_ENTRY */
    ULONG_PTR key, value;
    IO_STATUS_BLOCK io;
};
struct completion_info {                /* FILE_COMPLETION_INFORMATION */
    HANDLE port;
    ULONG_PTR key;
};
#define FILE_COMPLETION_INFO_CLASS   30 /* FileCompletionInformation */
#define FILE_NOTIFICATION_INFO_CLASS 41 /* FileIoCompletionNotificationInformation */

static NTSTATUS (WINAPI *nt_create_port)(HANDLE *, ACCESS_MASK, OBJECT_ATTRIBUTES *, ULONG);
static NTSTATUS (WINAPI *nt_remove)(HANDLE, ULONG_PTR *, ULONG_PTR *, IO_STATUS_BLOCK *, LARGE_INTEGER *);
static NTSTATUS (WINAPI *nt_remove_ex)(HANDLE, struct port_entry *, ULONG, ULONG *, LARGE_INTEGER *, BOOLEAN);
static NTSTATUS (WINAPI *nt_set_completion)(HANDLE, ULONG_PTR, ULONG_PTR, NTSTATUS, SIZE_T);
static NTSTATUS (WINAPI *nt_set_info)(HANDLE, IO_STATUS_BLOCK *, void *, ULONG, ULONG);
static NTSTATUS (WINAPI *nt_cancel)(HANDLE, IO_STATUS_BLOCK *);
static NTSTATUS (WINAPI *nt_cancel_ex)(HANDLE, IO_STATUS_BLOCK *, IO_STATUS_BLOCK *);
static NTSTATUS (WINAPI *nt_read)(HANDLE, HANDLE, io_apc_fn, void *, IO_STATUS_BLOCK *, void *, ULONG,
                                  LARGE_INTEGER *, ULONG *);
static NTSTATUS (WINAPI *nt_write)(HANDLE, HANDLE, io_apc_fn, void *, IO_STATUS_BLOCK *, const void *, ULONG,
                                   LARGE_INTEGER *, ULONG *);

#define W2U_STATUS_OK             ((NTSTATUS)0x00000000)
#define W2U_STATUS_USER_APC       ((NTSTATUS)0x000000C0)
#define W2U_STATUS_TIMEOUT        ((NTSTATUS)0x00000102)
#define W2U_STATUS_PENDING        ((NTSTATUS)0x00000103)
#define W2U_STATUS_INVALID_HANDLE ((NTSTATUS)0xC0000008)
#define W2U_STATUS_ACCESS_VIOLATION ((NTSTATUS)0xC0000005)
#define W2U_STATUS_NOT_SUPPORTED  ((NTSTATUS)0xC00000BB)
#define W2U_STATUS_INFO_LENGTH_MISMATCH ((NTSTATUS)0xC0000004)
#define W2U_STATUS_NO_MEMORY      ((NTSTATUS)0xC0000017)

/* The fast mode (the default; WS2URING_WINE_MODE=compatible turns it off):
 * the program's completion ports are ws2uring's, so a socket's completion
 * and the program's GetQueuedCompletionStatus never touch wineserver.
 * ws2uring's handle values all lie in [0x40000000, 0x80000000), where Wine
 * gives none. */
static BOOL fast_mode = TRUE;

static BOOL is_ours(HANDLE h)
{
    return ((ULONG_PTR)h >> 30) == 1;
}

static UINT64 native(unsigned index, const char *name, UINT64 a0, UINT64 a1, UINT64 a2, UINT64 a3, UINT64 a4,
                     UINT64 a5)
{
    return w2u_pe_forward(index, name, a0, a1, a2, a3, a4, a5, 0, 0, 0, 0, 0, 0);
}

static BOOL to_bool(UINT64 r)
{
    return (BOOL)(r & 0xffffffffu);
}

/* The NTSTATUS of a Win32 or Winsock error. */
static NTSTATUS error_status(DWORD error)
{
    struct w2u_forward_params p = { .args = { error } };
    if (unix_call(unixlib, W2U_UNIX_STATUS, &p))
        return W2U_STATUS_INVALID_HANDLE;
    return (NTSTATUS)p.ret;
}

/* The NTSTATUS of the error the last call set. */
static NTSTATUS last_status(void)
{
    return error_status(GetLastError());
}

static ULONG afd_cancel(HANDLE h, IO_STATUS_BLOCK *which, BOOL this_thread_only);

/* ---- other handles on a ws2uring port -------------------------------------------
 * A file or pipe the program joins to one of ws2uring's ports (Wine's own
 * threadpool does, with its files) is joined to a Wine port of ws2uring's
 * instead, and a Wine thread relays its packets, status and all. */
struct bridge {
    HANDLE ours, wine;
    struct bridge *next;
};
static struct bridge *bridges;             /* under handles_lock */

static DWORD WINAPI bridge_main(void *arg)
{
    struct bridge *b = arg;
    for (;;) {
        ULONG_PTR key = 0, value = 0;
        IO_STATUS_BLOCK io = { 0 };
        NTSTATUS status = nt_remove(b->wine, &key, &value, &io, NULL);
        if (status) {
            if (status != (NTSTATUS)0x00000080 && status != W2U_STATUS_INVALID_HANDLE)
                continue;
            free(b);                        /* drop_bridge closed the Wine port and let b go */
            break;
        }
        struct w2u_forward_params p = {
            .args = { (UINT64)(ULONG_PTR)b->ours, (UINT32)io.Status, io.Information, key, value },
        };
        unix_call(unixlib, W2U_UNIX_POST, &p);
    }
    return 0;
}

static HANDLE bridge_for(HANDLE ours)
{
    struct bridge *b;
    EnterCriticalSection(&handles_lock);
    for (b = bridges; b && b->ours != ours; b = b->next)
        ;
    if (!b && (b = calloc(1, sizeof(*b)))) {
        b->ours = ours;
        HANDLE t = NULL;
        if (!nt_create_port(&b->wine, IO_COMPLETION_ALL_ACCESS, NULL, 1))
            t = CreateThread(NULL, 0, bridge_main, b, 0, NULL);
        if (t) {
            CloseHandle(t);
            b->next = bridges;
            bridges = b;
        } else {
            if (b->wine)
                nt_close(b->wine);
            free(b);
            b = NULL;
        }
    }
    LeaveCriticalSection(&handles_lock);
    return b ? b->wine : NULL;
}

/* The ws2uring port closes: its bridge's Wine port too (the thread ends). */
static void drop_bridge(HANDLE ours)
{
    struct bridge **p, *b = NULL;
    EnterCriticalSection(&handles_lock);
    for (p = &bridges; *p; p = &(*p)->next)
        if ((*p)->ours == ours) {
            b = *p;
            *p = b->next;
            break;
        }
    LeaveCriticalSection(&handles_lock);
    if (b)
        nt_close(b->wine);                  /* its thread then ends and frees b */
}

/* ---- DuplicateHandle copies of SOCKETs ------------------------------------------
 * A copy names the socket for the I/O manager's calls (reads, writes,
 * waits, ports, cancelling, closing), as on Windows, where it is a second
 * handle of the same file object; Winsock's calls refuse it (WSAENOTSOCK),
 * as Windows' do: a copy is not in ws2_32's table of sockets.  Each copy is
 * a Wine handle kept here with the socket's own ws2uring handle, which the
 * NT hooks pass for it; the socket counts it as one of its names. */
struct copy {
    HANDLE h;
    UINT64 raw;
    struct copy *next;
};
static struct copy *copies;              /* under handles_lock */
static volatile LONG ncopies;

/* What ws2uring knows the SOCKET h by, for the NT hooks. */
static HANDLE kernel_name(HANDLE h)
{
    if (!ncopies)
        return h;
    HANDLE raw = h;
    EnterCriticalSection(&handles_lock);
    for (struct copy *c = copies; c; c = c->next)
        if (c->h == h) {
            raw = (HANDLE)(ULONG_PTR)c->raw;
            break;
        }
    LeaveCriticalSection(&handles_lock);
    return raw;
}

/* Forgets the copy h: its ws2uring handle, or 0 if h is no copy. */
static UINT64 forget_copy(HANDLE h)
{
    UINT64 raw = 0;
    if (!ncopies)
        return 0;
    EnterCriticalSection(&handles_lock);
    for (struct copy **p = &copies; *p; p = &(*p)->next)
        if ((*p)->h == h) {
            struct copy *c = *p;
            *p = c->next;
            raw = c->raw;
            free(c);
            InterlockedDecrement(&ncopies);
            break;
        }
    LeaveCriticalSection(&handles_lock);
    return raw;
}

/* After the last WSACleanup: every socket is gone, and so are its copies. */
static void forget_copies(void)
{
    EnterCriticalSection(&handles_lock);
    while (copies) {
        struct copy *c = copies;
        copies = c->next;
        free(c);
    }
    ncopies = 0;
    LeaveCriticalSection(&handles_lock);
}

/* Closing a copy forgets that name; the socket closes with its last. */
static NTSTATUS close_copy(HANDLE h, UINT64 raw)
{
    mark_socket(h, FALSE);
    nt_close(h);
    return w2u_pe_forward(w2u_pe_index_closesocket, "closesocket", raw, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
               ? W2U_STATUS_INVALID_HANDLE : W2U_STATUS_OK;
}

/* NtClose through any door (CloseHandle from any module, NtClose itself
 * from GetProcAddress): a ws2uring SOCKET is closed as closesocket closes
 * it, so its pending requests end on its port; a ws2uring port or event
 * is closed in ws2uring; any other handle goes to Wine as before. */
static NTSTATUS WINAPI hook_NtClose(HANDLE h)
{
    if (is_ours(h)) {
        drop_bridge(h);
        return to_bool(native(w2u_pe_index_CloseHandle, "CloseHandle", (UINT64)(ULONG_PTR)h, 0, 0, 0, 0, 0))
                   ? W2U_STATUS_OK : W2U_STATUS_INVALID_HANDLE;
    }
    if (!is_socket(h)) {
        afd_cancel(h, NULL, FALSE);         /* the last handle of a file ends its requests */
        return nt_close(h);
    }
    UINT64 raw = forget_copy(h);
    if (raw)
        return close_copy(h, raw);
    return w2u_pe_closesocket((UINT64)(ULONG_PTR)h, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) ? W2U_STATUS_INVALID_HANDLE
                                                                                    : W2U_STATUS_OK;
}

/* A wait on a ws2uring port runs inside a Unix call, where Wine can neither
 * suspend the thread (SuspendThread, a runtime's garbage collector) nor run
 * its APCs: it is cut into slices, returning to the program's side between
 * them (and, when alertable, running the thread's APCs there). */
#define WAIT_SLICE_MS 50

static DWORD slice_of(DWORD ms, DWORD waited)
{
    if (ms == INFINITE)
        return WAIT_SLICE_MS;
    DWORD left = ms > waited ? ms - waited : 0;
    return left < WAIT_SLICE_MS ? left : WAIT_SLICE_MS;
}

enum sliced { SLICED_DONE, SLICED_TIMEOUT, SLICED_APC, SLICED_FAILED };

/* Runs one(slice, arg), a wait of up to slice ms in ws2uring, until it is
 * done (> 0) or failed (< 0), ms (INFINITE: no limit) are up, or, when
 * alertable, an APC ran between two slices. */
static enum sliced in_slices(DWORD ms, BOOL alertable, int (*one)(DWORD slice, void *arg), void *arg)
{
    DWORD start = GetTickCount();
    for (;;) {
        if (alertable && SleepEx(0, TRUE) == WAIT_IO_COMPLETION)
            return SLICED_APC;
        DWORD slice = slice_of(ms, GetTickCount() - start);
        int r = one(slice, arg);
        if (r)
            return r > 0 ? SLICED_DONE : SLICED_FAILED;
        if (slice < WAIT_SLICE_MS)
            return SLICED_TIMEOUT;
    }
}

/* What a sliced wait ends with, as an NT wait reports it (a failure: the
 * status of the error ws2uring set). */
static NTSTATUS sliced_status(enum sliced r)
{
    switch (r) {
    case SLICED_DONE:    return W2U_STATUS_OK;
    case SLICED_TIMEOUT: return W2U_STATUS_TIMEOUT;
    case SLICED_APC:     return W2U_STATUS_USER_APC;
    default:             return last_status();
    }
}

extern const unsigned w2u_pe_index_WaitForSingleObjectEx;   /* pe_thunks.c */
static NTSTATUS (WINAPI *nt_wait_single)(HANDLE, BOOLEAN, const LARGE_INTEGER *);
static NTSTATUS (WINAPI *nt_wait_many)(ULONG, const HANDLE *, BOOLEAN, BOOLEAN, const LARGE_INTEGER *);

/* An NT timeout (NULL: none; < 0: relative, 100 ns; > 0: absolute system
 * time) in milliseconds from now. */
static DWORD timeout_ms(const LARGE_INTEGER *t)
{
    if (!t)
        return INFINITE;
    LONGLONG left = t->QuadPart;
    if (left > 0) {
        FILETIME now;
        GetSystemTimeAsFileTime(&now);
        left -= (LONGLONG)((ULONGLONG)now.dwHighDateTime << 32 | now.dwLowDateTime);
        if (left < 0)
            left = 0;
    } else {
        left = -left;
    }
    LONGLONG ms = (left + 9999) / 10000;
    return ms >= INFINITE ? INFINITE - 1 : (DWORD)ms;
}

/* A wait on a SOCKET itself (WaitForSingleObject from any module): it is
 * signalled while no operation started since its last completion, as a
 * Windows file object.  ws2uring waits in slices, between which an
 * alertable wait runs the thread's APCs. */
static int socket_slice(DWORD slice, void *h)
{
    DWORD r = (DWORD)native(w2u_pe_index_WaitForSingleObjectEx, "WaitForSingleObjectEx",
                            (UINT64)(ULONG_PTR)kernel_name(h), slice,
                            0, 0, 0, 0);
    return r == WAIT_OBJECT_0 ? 1 : r == WAIT_TIMEOUT ? 0 : -1;
}

static NTSTATUS wait_socket(HANDLE h, BOOLEAN alertable, const LARGE_INTEGER *timeout)
{
    enum sliced r = in_slices(timeout_ms(timeout), alertable, socket_slice, h);
    return r == SLICED_FAILED ? W2U_STATUS_INVALID_HANDLE : sliced_status(r);
}

/* A blocking receive or accept waits here first (see ws2_32_pe.h): one
 * look, then slices, between which the thread's APCs run and after which
 * the wait goes on, as Windows' alertable wait inside the call does. */
struct ready_wait {
    UINT64 s;
    UINT32 timeout;                     /* SO_RCVTIMEO, ms; 0: none */
    BOOL closed;                        /* closesocket from another thread meanwhile */
};

static int ready_slice(DWORD slice, void *arg)
{
    struct ready_wait *w = arg;
    struct w2u_forward_params p = { .args = { w->s, slice } };
    if (unix_call(unixlib, W2U_UNIX_WAIT_READY, &p))
        return 1;                       /* the call itself will say what is wrong */
    w->timeout = (UINT32)p.args[2];
    w->closed = p.ret == 2;
    return p.ret ? 1 : 0;
}

BOOL w2u_pe_wait_ready(UINT64 s)
{
    struct ready_wait w = { s, 0, FALSE };
    if (!is_socket((HANDLE)(ULONG_PTR)s) || ready_slice(0, &w))
        return TRUE;
    DWORD limit = w.timeout ? w.timeout : INFINITE, start = GetTickCount();
    for (;;) {
        DWORD waited = GetTickCount() - start;
        enum sliced r = limit != INFINITE && waited >= limit
                            ? SLICED_TIMEOUT
                            : in_slices(limit == INFINITE ? INFINITE : limit - waited, TRUE, ready_slice, &w);
        if (r == SLICED_APC)
            continue;
        if (r == SLICED_TIMEOUT || w.closed) {
            SetLastError(w.closed ? WSAEINTR : WSAETIMEDOUT);
            return FALSE;
        }
        return TRUE;
    }
}

/* A blocking send on a stream socket is, as Windows' AFD makes it, an
 * overlapped send and an alertable wait for its end: the thread's APCs run
 * meanwhile and the send goes on, SO_SNDTIMEO ends it (WSAETIMEDOUT), and
 * closesocket from another thread ends it with WSAEINTR.  (In a Unix call
 * the thread could be suspended but would run no APC.)  The event's low
 * bit keeps the completion off any port the socket joined; the event is
 * the thread's own, made once.  TRUE when it was such a send: *result is
 * the call's, 0 with *sent or SOCKET_ERROR with the error set; FALSE: the
 * plain call answers (non-blocking socket, not connected, flags other
 * than MSG_OOB and MSG_DONTROUTE, not a SOCKET, or room in the send
 * buffer for it: ws2uring_send_waits). */
extern const unsigned w2u_pe_index_send, w2u_pe_index_WSASend;
BOOL WINAPI w2u_pe_WSAGetOverlappedResult(UINT64 s, WSAOVERLAPPED *ov, DWORD *bytes, BOOL wait, DWORD *flags);

extern const unsigned w2u_pe_index_WSASendMsg;

/* The thread's own event for the overlapped forms of blocking calls, made
 * once and reset for each; its low bit set in the OVERLAPPED keeps the
 * completion off any port the socket joined.  NULL if none can be made. */
static HANDLE own_event(void)
{
    HANDLE event = TlsGetValue(send_slot);
    if (!event && (event = CreateEventW(NULL, TRUE, FALSE, NULL)))
        TlsSetValue(send_slot, event);
    if (event)
        ResetEvent(event);
    return event;
}

/* The end of a blocking call started as an overlapped one on s (at_once:
 * it succeeded at once, *n already the call's; ov with the thread's own
 * event), waited for alertably up to limit ms (INFINITE: none; then the
 * call is cancelled, WSAETIMEDOUT): TRUE with *n, or FALSE with the error
 * set (WSAEINTR when another thread closed s meanwhile). */
static BOOL own_overlapped_end(UINT64 s, BOOL at_once, WSAOVERLAPPED *ov, HANDLE event, DWORD limit, DWORD *n)
{
    DWORD start = GetTickCount(), f = 0, w;
    if (at_once)
        return TRUE;
    if (GetLastError() != WSA_IO_PENDING)
        return FALSE;
    do {
        DWORD waited = GetTickCount() - start;
        w = limit == INFINITE ? WaitForSingleObjectEx(event, INFINITE, TRUE)
            : waited < limit  ? WaitForSingleObjectEx(event, limit - waited, TRUE)
                              : WAIT_TIMEOUT;
    } while (w == WAIT_IO_COMPLETION);          /* an APC ran: the call goes on */
    BOOL timed_out = w == WAIT_TIMEOUT;
    if (timed_out) {
        CancelIoEx((HANDLE)(ULONG_PTR)s, ov);
        WaitForSingleObject(event, INFINITE);
    }
    if (w2u_pe_WSAGetOverlappedResult(s, ov, n, FALSE, &f))
        return TRUE;
    DWORD e = GetLastError();
    /* Cancelled by our limit, or the socket closed meanwhile. */
    SetLastError(timed_out ? WSAETIMEDOUT : e == WSA_OPERATION_ABORTED || e == WSAENOTSOCK ? WSAEINTR : e);
    return FALSE;
}

/* msg: a WSASendMsg's (bufs and count are its buffers), else NULL. */
static BOOL send_alertably(UINT64 s, WSAMSG *msg, WSABUF *bufs, DWORD count, DWORD *sent, DWORD flags,
                           int *result)
{
    UINT64 total = 0;
    if ((flags & ~(MSG_OOB | MSG_DONTROUTE)) || !sent || !is_socket((HANDLE)(ULONG_PTR)s) ||
        IsBadReadPtr(bufs, count * sizeof(*bufs)))
        return FALSE;
    for (DWORD i = 0; i < count; i++)
        total += bufs[i].len;
    struct w2u_forward_params p = { .args = { s, total } };
    if (unix_call(unixlib, W2U_UNIX_SEND_WAITS, &p) || p.ret != 1)
        return FALSE;
    HANDLE event = own_event();
    if (!event)
        return FALSE;
    WSAOVERLAPPED ov = { .hEvent = (HANDLE)((ULONG_PTR)event | 1) };
    DWORD n = 0;
    UINT64 started = msg ? w2u_pe_forward(w2u_pe_index_WSASendMsg, "WSASendMsg", s, (UINT64)(ULONG_PTR)msg, flags,
                                          (UINT64)(ULONG_PTR)&n, (UINT64)(ULONG_PTR)&ov, 0, 0, 0, 0, 0, 0, 0)
                         : w2u_pe_WSASend(s, (UINT64)(ULONG_PTR)bufs, count, (UINT64)(ULONG_PTR)&n, flags,
                                          (UINT64)(ULONG_PTR)&ov, 0, 0, 0, 0, 0, 0);
    *result = SOCKET_ERROR;
    if (own_overlapped_end(s, (int)started == 0, &ov, event, p.args[1] ? (DWORD)p.args[1] : INFINITE, &n)) {
        *sent = n;
        *result = 0;
    }
    return TRUE;
}

/* send_alertably for the two shapes of the calls: one buffer (send,
 * sendto), or WSABUFs and no OVERLAPPED (WSASend, WSASendTo); TRUE with
 * the call's result in *ret when it took the call. */
static BOOL send_one_alertably(UINT64 s, UINT64 buf, UINT64 len, UINT64 flags, UINT64 *ret)
{
    WSABUF b = { (ULONG)len, (char *)(ULONG_PTR)buf };
    DWORD sent = 0;
    int r;
    if ((int)len < 0 || !send_alertably(s, NULL, &b, 1, &sent, (DWORD)flags, &r))
        return FALSE;
    *ret = r == 0 ? (UINT64)sent : (UINT64)(INT64)SOCKET_ERROR;
    return TRUE;
}

static BOOL send_bufs_alertably(UINT64 s, UINT64 bufs, UINT64 count, UINT64 sent, UINT64 flags, UINT64 ov,
                                UINT64 *ret)
{
    int r;
    if (ov || !send_alertably(s, NULL, (WSABUF *)(ULONG_PTR)bufs, (DWORD)count, (DWORD *)(ULONG_PTR)sent,
                              (DWORD)flags, &r))
        return FALSE;
    *ret = (UINT64)(INT64)r;
    return TRUE;
}

UINT64 WINAPI w2u_pe_send(UINT64 s, UINT64 buf, UINT64 len, UINT64 flags, UINT64 a4, UINT64 a5, UINT64 a6,
                          UINT64 a7, UINT64 a8, UINT64 a9, UINT64 a10, UINT64 a11)
{
    UINT64 r;
    if (send_one_alertably(s, buf, len, flags, &r))
        return r;
    return w2u_pe_forward(w2u_pe_index_send, "send", s, buf, len, flags, a4, a5, a6, a7, a8, a9, a10, a11);
}

/* On a connected stream the address is ignored, as Windows ignores it:
 * such a sendto or WSASendTo is a send. */
extern const unsigned w2u_pe_index_sendto, w2u_pe_index_WSASendTo;

UINT64 WINAPI w2u_pe_sendto(UINT64 s, UINT64 buf, UINT64 len, UINT64 flags, UINT64 to, UINT64 tolen, UINT64 a6,
                            UINT64 a7, UINT64 a8, UINT64 a9, UINT64 a10, UINT64 a11)
{
    UINT64 r;
    if (send_one_alertably(s, buf, len, flags, &r))
        return r;
    return w2u_pe_forward(w2u_pe_index_sendto, "sendto", s, buf, len, flags, to, tolen, a6, a7, a8, a9, a10, a11);
}

UINT64 WINAPI w2u_pe_WSASendTo(UINT64 s, UINT64 bufs, UINT64 count, UINT64 sent, UINT64 flags, UINT64 to,
                               UINT64 tolen, UINT64 ov, UINT64 routine, UINT64 a9, UINT64 a10, UINT64 a11)
{
    UINT64 r;
    if (routine)   /* a completion routine: it needs the calling thread */
        return w2u_pe_forward_routine(w2u_pe_index_WSASendTo, "WSASendTo", s, bufs, count, sent, flags, to, tolen,
                                      ov, routine, a9, a10, a11);
    if (send_bufs_alertably(s, bufs, count, sent, flags, ov, &r))
        return r;
    return w2u_pe_forward(w2u_pe_index_WSASendTo, "WSASendTo", s, bufs, count, sent, flags, to, tolen, ov, routine,
                          a9, a10, a11);
}

UINT64 WINAPI w2u_pe_WSASend(UINT64 s, UINT64 bufs, UINT64 count, UINT64 sent, UINT64 flags, UINT64 ov,
                             UINT64 routine, UINT64 a7, UINT64 a8, UINT64 a9, UINT64 a10, UINT64 a11)
{
    UINT64 r;
    if (routine)   /* a completion routine: it needs the calling thread */
        return w2u_pe_forward_routine(w2u_pe_index_WSASend, "WSASend", s, bufs, count, sent, flags, ov, routine,
                                      a7, a8, a9, a10, a11);
    if (send_bufs_alertably(s, bufs, count, sent, flags, ov, &r))
        return r;
    return w2u_pe_forward(w2u_pe_index_WSASend, "WSASend", s, bufs, count, sent, flags, ov, routine, a7, a8, a9,
                          a10, a11);
}

/* A blocking WSASendMsg without control data on a stream socket is the
 * same alertable send (its own overlapped form, so that its checks stay
 * WSASendMsg's).  A datagram send waits only for room in the socket's own
 * buffer, which Linux frees as its packets leave, never for a peer: the
 * plain call answers it. */
UINT64 WINAPI w2u_pe_WSASendMsg(UINT64 s, UINT64 msg, UINT64 flags, UINT64 sent, UINT64 ov, UINT64 routine,
                                UINT64 a6, UINT64 a7, UINT64 a8, UINT64 a9, UINT64 a10, UINT64 a11)
{
    WSAMSG *m = (WSAMSG *)(ULONG_PTR)msg;
    int r;
    if (routine)   /* a completion routine: it needs the calling thread */
        return w2u_pe_forward_routine(w2u_pe_index_WSASendMsg, "WSASendMsg", s, msg, flags, sent, ov, routine, a6,
                                      a7, a8, a9, a10, a11);
    if (!ov && m && !IsBadReadPtr(m, sizeof(*m)) && !m->Control.len &&
        send_alertably(s, m, m->lpBuffers, m->dwBufferCount, (DWORD *)(ULONG_PTR)sent, (DWORD)flags, &r))
        return (UINT64)(INT64)r;
    return w2u_pe_forward(w2u_pe_index_WSASendMsg, "WSASendMsg", s, msg, flags, sent, ov, routine, a6, a7, a8, a9,
                          a10, a11);
}

/* A blocking connect is an alertable wait too: it starts non-blocking
 * (the socket's mode put back at once: the kernel's connect goes on
 * either way) and then waits in select, which runs the thread's APCs and
 * goes on, and which closesocket from another thread ends (WSAEINTR); the
 * outcome is SO_ERROR's.  Another socket, or one that would not wait,
 * takes the plain call. */
extern const unsigned w2u_pe_index_connect, w2u_pe_index_WSAConnect;
UINT64 WINAPI w2u_pe_ioctlsocket(UINT64 a0, UINT64 a1, UINT64 a2, UINT64 a3, UINT64 a4, UINT64 a5, UINT64 a6,
                                 UINT64 a7, UINT64 a8, UINT64 a9, UINT64 a10, UINT64 a11);
UINT64 WINAPI w2u_pe_getsockopt(UINT64 a0, UINT64 a1, UINT64 a2, UINT64 a3, UINT64 a4, UINT64 a5, UINT64 a6,
                                UINT64 a7, UINT64 a8, UINT64 a9, UINT64 a10, UINT64 a11);
int WINAPI w2u_pe_select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, const struct timeval *timeout);

static BOOL set_nonblocking(UINT64 s, u_long on)
{
    return (int)w2u_pe_ioctlsocket(s, (UINT64)(LONG)FIONBIO, (UINT64)(ULONG_PTR)&on, 0, 0, 0, 0, 0, 0, 0, 0, 0) == 0;
}

/* The end of a connect started non-blocking on s, waited for alertably
 * in select for up to limit ms (INFINITE: no limit): 0 connected, or the
 * error: SO_ERROR's, WSAETIMEDOUT at the limit, WSAEINTR when another
 * thread closed s meanwhile. */
static DWORD connect_outcome(UINT64 s, DWORD limit)
{
    DWORD start = GetTickCount();
    int n;
    do {
        DWORD waited = GetTickCount() - start;
        if (limit != INFINITE && waited >= limit)
            return WSAETIMEDOUT;
        struct timeval left = { (long)((limit - waited) / 1000), (long)((limit - waited) % 1000 * 1000) };
        fd_set wr = { 1, { (SOCKET)s } }, ex = { 1, { (SOCKET)s } };
        n = w2u_pe_select(0, NULL, &wr, &ex, limit == INFINITE ? NULL : &left);
    } while (n == 0);
    int err = 0, el = sizeof(err);
    if (n < 0 || (int)w2u_pe_getsockopt(s, SOL_SOCKET, SO_ERROR, (UINT64)(ULONG_PTR)&err, (UINT64)(ULONG_PTR)&el, 0,
                                        0, 0, 0, 0, 0, 0) != 0) {
        DWORD e = GetLastError();
        return e == WSAENOTSOCK ? WSAEINTR : e;
    }
    return (DWORD)err;
}

/* A connect of s to addr (the plain call at index) started non-blocking,
 * the socket's blocking mode put back at once when it had it, and its end
 * waited for alertably within limit: 0 or the error. */
static DWORD connect_within(unsigned index, const char *name, UINT64 s, UINT64 addr, UINT64 len, BOOL blocking,
                            DWORD limit)
{
    UINT64 r = w2u_pe_forward(index, name, s, addr, len, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    DWORD e = (int)r == 0 ? 0 : GetLastError();
    if (blocking)
        set_nonblocking(s, 0);
    return e == WSAEWOULDBLOCK ? connect_outcome(s, limit) : e;
}

/* ws2uring_connect_waits: 1 for a blocking connect that may wait, 2 for
 * the same socket in non-blocking mode, 0 for the plain call. */
static UINT64 connect_waits(UINT64 s)
{
    struct w2u_forward_params p = { .args = { s } };
    return is_socket((HANDLE)(ULONG_PTR)s) && !unix_call(unixlib, W2U_UNIX_CONNECT_WAITS, &p) ? p.ret : 0;
}

static UINT64 connect_alertably(unsigned index, const char *name, UINT64 s, UINT64 addr, UINT64 len, UINT64 a3,
                                UINT64 a4, UINT64 a5, UINT64 a6, UINT64 a7, UINT64 a8, UINT64 a9, UINT64 a10,
                                UINT64 a11)
{
    if (connect_waits(s) != 1 || !set_nonblocking(s, 1))
        return w2u_pe_forward(index, name, s, addr, len, a3, a4, a5, a6, a7, a8, a9, a10, a11);
    DWORD e = connect_within(index, name, s, addr, len, TRUE, INFINITE);
    SetLastError(e);
    return e ? (UINT64)(INT64)SOCKET_ERROR : 0;
}

UINT64 WINAPI w2u_pe_connect(UINT64 s, UINT64 addr, UINT64 len, UINT64 a3, UINT64 a4, UINT64 a5, UINT64 a6,
                             UINT64 a7, UINT64 a8, UINT64 a9, UINT64 a10, UINT64 a11)
{
    return connect_alertably(w2u_pe_index_connect, "connect", s, addr, len, a3, a4, a5, a6, a7, a8, a9, a10, a11);
}

/* WSAConnect without connect data or QOS is connect; with them, the plain
 * call answers. */
UINT64 WINAPI w2u_pe_WSAConnect(UINT64 s, UINT64 addr, UINT64 len, UINT64 caller, UINT64 callee, UINT64 sqos,
                                UINT64 gqos, UINT64 a7, UINT64 a8, UINT64 a9, UINT64 a10, UINT64 a11)
{
    if (caller || callee || sqos || gqos)
        return w2u_pe_forward(w2u_pe_index_WSAConnect, "WSAConnect", s, addr, len, caller, callee, sqos, gqos, a7, a8,
                              a9, a10, a11);
    return connect_alertably(w2u_pe_index_WSAConnect, "WSAConnect", s, addr, len, 0, 0, 0, 0, a7, a8, a9, a10, a11);
}

/* WSAConnectByName's connects are alertable waits too (in the Unix call
 * they would run no APC): ws2uring makes the call's checks and its lookup
 * (ws2uring_connect_by_name_targets, as its own WSAConnectByName does),
 * and the DLL tries each address in turn as connect does, within the
 * call's time limit, then gives both ends' addresses.  A socket whose
 * connect would not wait, or a pointer the DLL cannot use, takes the plain
 * call, which answers at once. */
extern const unsigned w2u_pe_index_WSAConnectByNameA, w2u_pe_index_WSAConnectByNameW,
    w2u_pe_index_ws2uring_connect_by_name_targets;
UINT64 WINAPI w2u_pe_getsockname(UINT64 a0, UINT64 a1, UINT64 a2, UINT64 a3, UINT64 a4, UINT64 a5, UINT64 a6,
                                 UINT64 a7, UINT64 a8, UINT64 a9, UINT64 a10, UINT64 a11);
UINT64 WINAPI w2u_pe_getpeername(UINT64 a0, UINT64 a1, UINT64 a2, UINT64 a3, UINT64 a4, UINT64 a5, UINT64 a6,
                                 UINT64 a7, UINT64 a8, UINT64 a9, UINT64 a10, UINT64 a11);

struct connect_target {                 /* ws2uring's struct ws2_connect_target */
    UINT32 len;
    unsigned char addr[28];
};

typedef UINT64(WINAPI *name_call)(UINT64, UINT64, UINT64, UINT64, UINT64, UINT64, UINT64, UINT64, UINT64, UINT64,
                                  UINT64, UINT64);

/* One end's address: written if buf is given (its room was checked
 * before), and *len set to its size either way; the local one without its
 * port, as Windows gives it (and ws2uring's own call). */
static void give_address(name_call get, UINT64 s, DWORD *len, SOCKADDR *buf)
{
    unsigned char tmp[28];
    int n = sizeof(tmp);
    if (!len || (int)get(s, (UINT64)(ULONG_PTR)tmp, (UINT64)(ULONG_PTR)&n, 0, 0, 0, 0, 0, 0, 0, 0, 0) != 0)
        return;
    if (get == w2u_pe_getsockname)
        memset(tmp + 2, 0, 2);                  /* sin_port and sin6_port alike */
    if (buf)
        memcpy(buf, tmp, (size_t)n);
    *len = (DWORD)n;
}

static BOOL usable_out(DWORD *len, SOCKADDR *buf)
{
    return !len || (!IsBadWritePtr(len, sizeof(*len)) && (!buf || !IsBadWritePtr(buf, *len)));
}

/* TRUE when it took the call, with the call's result in *result. */
static BOOL connect_by_name_alertably(UINT64 s, const char *node, const char *service, DWORD *ll, SOCKADDR *la,
                                      DWORD *rl, SOCKADDR *ra, const struct timeval *tv, BOOL *result)
{
    UINT64 waits = connect_waits(s);
    if (!waits || (tv && IsBadReadPtr(tv, sizeof(*tv))) || !usable_out(ll, la) || !usable_out(rl, ra))
        return FALSE;
    struct connect_target to[16];
    INT64 n = (INT64)w2u_pe_forward(w2u_pe_index_ws2uring_connect_by_name_targets,
                                    "ws2uring_connect_by_name_targets", s, (UINT64)(ULONG_PTR)node,
                                    (UINT64)(ULONG_PTR)service, ll && la ? *ll : 0xffffffff,
                                    rl && ra ? *rl : 0xffffffff, (UINT64)(ULONG_PTR)to, sizeof(to) / sizeof(to[0]),
                                    0, 0, 0, 0, 0);
    *result = FALSE;
    if (n < 0) {
        if (n != (INT64)SOCKET_ERROR)           /* SOCKET_ERROR: a fault, its error set */
            SetLastError((DWORD)-n);
        return TRUE;
    }
    INT64 ms = tv ? (INT64)tv->tv_sec * 1000 + tv->tv_usec / 1000 : -1;
    DWORD limit = ms < 0 ? INFINITE : ms >= INFINITE ? INFINITE - 1 : (DWORD)ms, start = GetTickCount();
    DWORD e = WSAEHOSTUNREACH;
    for (INT64 i = 0; i < n && e && e != WSAETIMEDOUT && e != WSAEINTR; i++) {
        DWORD waited = GetTickCount() - start;
        if (limit != INFINITE && waited >= limit)
            e = WSAETIMEDOUT;
        else if (waits == 1 && !set_nonblocking(s, 1))
            e = GetLastError();
        else
            e = connect_within(w2u_pe_index_connect, "connect", s, (UINT64)(ULONG_PTR)to[i].addr, to[i].len,
                               waits == 1, limit == INFINITE ? INFINITE : limit - waited);
    }
    SetLastError(e);
    if (e)
        return TRUE;
    give_address(w2u_pe_getsockname, s, ll, la);
    give_address(w2u_pe_getpeername, s, rl, ra);
    SetLastError(0);
    *result = TRUE;
    return TRUE;
}

BOOL WINAPI w2u_pe_WSAConnectByNameA(UINT64 s, const char *node, const char *service, DWORD *ll, SOCKADDR *la,
                                     DWORD *rl, SOCKADDR *ra, const struct timeval *tv, void *reserved)
{
    BOOL r;
    if (!reserved && (!node || !IsBadStringPtrA(node, ~(UINT_PTR)0)) &&
        (!service || !IsBadStringPtrA(service, ~(UINT_PTR)0)) &&
        connect_by_name_alertably(s, node, service, ll, la, rl, ra, tv, &r))
        return r;
    return (BOOL)w2u_pe_forward(w2u_pe_index_WSAConnectByNameA, "WSAConnectByNameA", s, (UINT64)(ULONG_PTR)node,
                                (UINT64)(ULONG_PTR)service, (UINT64)(ULONG_PTR)ll, (UINT64)(ULONG_PTR)la,
                                (UINT64)(ULONG_PTR)rl, (UINT64)(ULONG_PTR)ra, (UINT64)(ULONG_PTR)tv,
                                (UINT64)(ULONG_PTR)reserved, 0, 0, 0);
}

/* The text in UTF-8, as ws2uring's own WSAConnectByNameW gives it to the
 * lookup; NULL for NULL, or when it cannot be read or made. */
static char *utf8_of(const WCHAR *w)
{
    int n = w && !IsBadStringPtrW(w, ~(UINT_PTR)0) ? WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL) : 0;
    char *s = n > 0 ? HeapAlloc(GetProcessHeap(), 0, (SIZE_T)n) : NULL;
    if (s)
        WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL);
    return s;
}

BOOL WINAPI w2u_pe_WSAConnectByNameW(UINT64 s, const WCHAR *node, const WCHAR *service, DWORD *ll, SOCKADDR *la,
                                     DWORD *rl, SOCKADDR *ra, const struct timeval *tv, void *reserved)
{
    char *n = utf8_of(node), *sv = utf8_of(service);
    BOOL r;
    BOOL taken = !reserved && !(node && !n) && !(service && !sv) &&
                 connect_by_name_alertably(s, n, sv, ll, la, rl, ra, tv, &r);
    DWORD e = GetLastError();
    HeapFree(GetProcessHeap(), 0, n);
    HeapFree(GetProcessHeap(), 0, sv);
    if (taken) {
        SetLastError(e);
        return r;
    }
    return (BOOL)w2u_pe_forward(w2u_pe_index_WSAConnectByNameW, "WSAConnectByNameW", s, (UINT64)(ULONG_PTR)node,
                                (UINT64)(ULONG_PTR)service, (UINT64)(ULONG_PTR)ll, (UINT64)(ULONG_PTR)la,
                                (UINT64)(ULONG_PTR)rl, (UINT64)(ULONG_PTR)ra, (UINT64)(ULONG_PTR)tv,
                                (UINT64)(ULONG_PTR)reserved, 0, 0, 0);
}

UINT64 w2u_pe_timed_out(void)
{
    return (UINT64)(INT64)SOCKET_ERROR;
}

static NTSTATUS WINAPI hook_NtWaitForSingleObject(HANDLE h, BOOLEAN alertable, const LARGE_INTEGER *timeout)
{
    return is_socket(h) ? wait_socket(h, alertable, timeout) : nt_wait_single(h, alertable, timeout);
}

/* SOCKETs among other handles of one wait (WaitForMultipleObjects): in
 * slices of 10 ms, each looking at the SOCKETs (a look takes nothing) and
 * then waiting on the other handles with Wine for the rest of the slice.
 * Wait-any answers the lowest index signalled, as Windows does: an other
 * handle below a signalled SOCKET is asked first, without waiting (that
 * takes it, as the wait then answers it).  Wait-all ends when every
 * SOCKET is signalled and Wine's wait on the others succeeds at once. */
#define MIXED_SLICE_MS 10
#define W2U_STATUS_ABANDONED_WAIT_0 ((NTSTATUS)0x00000080)

static BOOL socket_signalled(HANDLE h)
{
    return (DWORD)native(w2u_pe_index_WaitForSingleObjectEx, "WaitForSingleObjectEx",
                         (UINT64)(ULONG_PTR)kernel_name(h), 0, 0, 0, 0, 0) == WAIT_OBJECT_0;
}

/* Wine's wait on the handles that are not SOCKETs, among the first n; an
 * index answered is mapped back to handles[]. */
static NTSTATUS wait_others(ULONG n, const HANDLE *handles, BOOLEAN wait_any, BOOLEAN alertable, DWORD ms)
{
    HANDLE others[MAXIMUM_WAIT_OBJECTS];
    ULONG at[MAXIMUM_WAIT_OBJECTS], k = 0;
    for (ULONG i = 0; i < n; i++)
        if (!is_socket(handles[i])) {
            at[k] = i;
            others[k++] = handles[i];
        }
    if (!k)
        return W2U_STATUS_TIMEOUT;
    LARGE_INTEGER t = { .QuadPart = -(LONGLONG)ms * 10000 };
    NTSTATUS r = nt_wait_many(k, others, wait_any, alertable, &t);
    if (wait_any && r >= 0 && (ULONG)r < k)
        return (NTSTATUS)at[r];
    if (wait_any && r >= W2U_STATUS_ABANDONED_WAIT_0 && (ULONG)(r - W2U_STATUS_ABANDONED_WAIT_0) < k)
        return W2U_STATUS_ABANDONED_WAIT_0 + (NTSTATUS)at[r - W2U_STATUS_ABANDONED_WAIT_0];
    return r;
}

static NTSTATUS wait_mixed(ULONG count, const HANDLE *handles, BOOLEAN wait_any, BOOLEAN alertable,
                           const LARGE_INTEGER *timeout)
{
    DWORD ms = timeout_ms(timeout), start = GetTickCount();
    BOOL others = FALSE;
    for (ULONG i = 0; i < count; i++)
        others = others || !is_socket(handles[i]);
    for (;;) {
        ULONG first = count;
        BOOL all = TRUE;
        for (ULONG i = 0; i < count; i++) {
            if (!is_socket(handles[i]))
                continue;
            BOOL on = socket_signalled(handles[i]);
            if (on && first == count)
                first = i;
            all = all && on;
        }
        if (wait_any && first < count) {
            NTSTATUS r = wait_others(first, handles, TRUE, FALSE, 0);
            return r == W2U_STATUS_TIMEOUT ? (NTSTATUS)first : r;
        }
        if (!wait_any && all) {
            NTSTATUS r = others ? wait_others(count, handles, FALSE, FALSE, 0) : W2U_STATUS_OK;
            if (r != W2U_STATUS_TIMEOUT)
                return r;
        }
        DWORD waited = GetTickCount() - start;
        if (ms != INFINITE && waited >= ms)
            return W2U_STATUS_TIMEOUT;
        DWORD slice = ms == INFINITE || ms - waited > MIXED_SLICE_MS ? MIXED_SLICE_MS : ms - waited;
        NTSTATUS r;
        if (others && wait_any) {
            r = wait_others(count, handles, TRUE, alertable, slice);
        } else {
            r = SleepEx(slice, alertable) == WAIT_IO_COMPLETION ? W2U_STATUS_USER_APC : W2U_STATUS_TIMEOUT;
        }
        if (r != W2U_STATUS_TIMEOUT)
            return r;
    }
}

/* kernelbase's WaitForSingleObject(Ex) is a wait on one of many. */
static NTSTATUS WINAPI hook_NtWaitForMultipleObjects(ULONG count, const HANDLE *handles, BOOLEAN wait_any,
                                                     BOOLEAN alertable, const LARGE_INTEGER *timeout)
{
    if (count == 1 && handles && is_socket(handles[0]))
        return wait_socket(handles[0], alertable, timeout);
    for (ULONG i = 0; handles && count <= MAXIMUM_WAIT_OBJECTS && i < count; i++)
        if (is_socket(handles[i]))
            return wait_mixed(count, handles, wait_any, alertable, timeout);
    return nt_wait_many(count, handles, wait_any, alertable, timeout);
}

/* NtDuplicateObject of a SOCKET (DuplicateHandle) within the process: a
 * copy (above): a copy of Wine's stand-in, standing for the same ws2uring
 * socket.  Into another process ws2uring cannot hand its socket:
 * STATUS_NOT_SUPPORTED, one log line. */
static NTSTATUS (WINAPI *nt_duplicate)(HANDLE, HANDLE, HANDLE, HANDLE *, ACCESS_MASK, ULONG, ULONG);

static BOOL is_this_process(HANDLE process)
{
    return process == GetCurrentProcess() || GetProcessId(process) == GetCurrentProcessId();
}

static NTSTATUS WINAPI hook_NtDuplicateObject(HANDLE src_process, HANDLE src, HANDLE dst_process, HANDLE *dst,
                                              ACCESS_MASK access, ULONG attributes, ULONG options)
{
    if (!is_socket(src) || !is_this_process(src_process))
        return nt_duplicate(src_process, src, dst_process, dst, access, attributes, options);
    if (!dst_process || !is_this_process(dst_process)) {
        w2u_pe_not_yet("DuplicateHandle", "a SOCKET into another process", 0);
        return W2U_STATUS_NOT_SUPPORTED;
    }
    HANDLE copy = NULL;
    struct copy *c = calloc(1, sizeof(*c));
    NTSTATUS status = c ? nt_duplicate(src_process, src, dst_process, &copy, access, attributes,
                                       options & ~(ULONG)DUPLICATE_CLOSE_SOURCE)
                        : W2U_STATUS_NO_MEMORY;
    if (status) {
        free(c);
        return status;
    }
    struct w2u_forward_params p = { .args = { (UINT64)(ULONG_PTR)kernel_name(src) } };
    if (!mark_socket(copy, TRUE) || unix_call(unixlib, W2U_UNIX_COPY, &p) || p.ret) {
        mark_socket(copy, FALSE);
        nt_close(copy);
        free(c);
        return W2U_STATUS_NO_MEMORY;
    }
    c->h = copy;
    c->raw = p.args[1];
    EnterCriticalSection(&handles_lock);
    c->next = copies;
    copies = c;
    InterlockedIncrement(&ncopies);
    LeaveCriticalSection(&handles_lock);
    if (dst)
        *dst = copy;
    if (options & DUPLICATE_CLOSE_SOURCE)
        hook_NtClose(src);
    return W2U_STATUS_OK;
}

/* ---- completion ports ----------------------------------------------------------------
 * In the fast mode every unnamed port is ws2uring's: CreateIoCompletionPort
 * from any module, Wine's threadpool, NtCreateIoCompletion itself. */
static NTSTATUS WINAPI hook_NtCreateIoCompletion(HANDLE *port, ACCESS_MASK access, OBJECT_ATTRIBUTES *attr,
                                                 ULONG threads)
{
    if (!fast_mode || (attr && attr->ObjectName && attr->ObjectName->Length))
        return nt_create_port(port, access, attr, threads);
    if (!port || IsBadWritePtr(port, sizeof(*port)))
        return W2U_STATUS_ACCESS_VIOLATION;
    HANDLE h = (HANDLE)(ULONG_PTR)native(w2u_pe_index_CreateIoCompletionPort, "CreateIoCompletionPort",
                                         (UINT64)(ULONG_PTR)INVALID_HANDLE_VALUE, 0, 0, threads, 0, 0);
    if (!h)
        return last_status();
    *port = h;
    return W2U_STATUS_OK;
}

/* Joins a handle to a port (FileCompletionInformation).  A SOCKET on a
 * ws2uring port is ws2uring's to join; a SOCKET on one of Wine's ports
 * (the compatible mode) is joined there, and its completions go there
 * through wineserver; another handle on a ws2uring port goes through a
 * bridge. */
static NTSTATUS join_port(HANDLE h, IO_STATUS_BLOCK *io, const struct completion_info *info, ULONG len)
{
    BOOL sock = is_socket(h);
    if (!is_ours(info->port)) {
        struct completion_info copy = *info;
        NTSTATUS status = nt_set_info(h, io, &copy, len, FILE_COMPLETION_INFO_CLASS);
        if (!status && sock) {
            /* A copy's completions go there under the copy: ws2uring
             * knows the socket by the copy's own name, wineserver the port
             * by the Wine handle that joined it. */
            struct w2u_forward_params p = { .args = { (UINT64)(ULONG_PTR)kernel_name(h), (UINT64)(ULONG_PTR)h } };
            unix_call(unixlib, W2U_UNIX_HOST_PORT, &p);
        }
        return status;
    }
    if (!sock) {
        struct completion_info relay = { bridge_for(info->port), info->key };
        return relay.port ? nt_set_info(h, io, &relay, sizeof(relay), FILE_COMPLETION_INFO_CLASS)
                          : W2U_STATUS_INVALID_HANDLE;
    }
    if (!native(w2u_pe_index_CreateIoCompletionPort, "CreateIoCompletionPort", (UINT64)(ULONG_PTR)kernel_name(h),
                (UINT64)(ULONG_PTR)info->port, info->key, 0, 0, 0))
        return last_status();
    io->Status = W2U_STATUS_OK;
    io->Information = 0;
    return W2U_STATUS_OK;
}

/* NtSetInformationFile: a port to join, or a SOCKET's completion modes
 * (SetFileCompletionNotificationModes), which ws2uring keeps and Wine's
 * stand-in gets too, for the completions wineserver queues for it. */
static NTSTATUS WINAPI hook_NtSetInformationFile(HANDLE h, IO_STATUS_BLOCK *io, void *info, ULONG len, ULONG cls)
{
    if (cls == FILE_COMPLETION_INFO_CLASS && io && info && len >= sizeof(struct completion_info) &&
        !IsBadReadPtr(info, sizeof(struct completion_info)) && !IsBadWritePtr(io, sizeof(*io)) &&
        (is_socket(h) || is_ours(((struct completion_info *)info)->port)))
        return join_port(h, io, info, len);
    if (cls == FILE_NOTIFICATION_INFO_CLASS && is_socket(h) && io && info && len >= sizeof(ULONG) &&
        !IsBadReadPtr(info, sizeof(ULONG)) && !IsBadWritePtr(io, sizeof(*io))) {
        if (!native(w2u_pe_index_SetFileCompletionNotificationModes, "SetFileCompletionNotificationModes",
                    (UINT64)(ULONG_PTR)kernel_name(h), *(UCHAR *)info, 0, 0, 0, 0))
            return last_status();
    }
    return nt_set_info(h, io, info, len, cls);
}

/* Takes up to count packets from a ws2uring port, waiting in slices. */
struct take {
    HANDLE port;
    struct port_entry *entries;
    ULONG count, *removed;
};

static int take_slice(DWORD slice, void *arg)
{
    struct take *t = arg;
    if (to_bool(native(w2u_pe_index_GetQueuedCompletionStatusEx, "GetQueuedCompletionStatusEx",
                       (UINT64)(ULONG_PTR)t->port, (UINT64)(ULONG_PTR)t->entries, t->count,
                       (UINT64)(ULONG_PTR)t->removed, slice, 0)))
        return 1;
    return GetLastError() == WAIT_TIMEOUT ? 0 : -1;
}

static NTSTATUS take(HANDLE port, struct port_entry *entries, ULONG count, ULONG *removed,
                     const LARGE_INTEGER *timeout, BOOLEAN alertable)
{
    struct take t = { port, entries, count, removed };
    NTSTATUS status = sliced_status(in_slices(timeout_ms(timeout), alertable, take_slice, &t));
    /* OVERLAPPED_ENTRY's byte count is a DWORD, the NT layer's a ULONG_PTR. */
    for (ULONG i = 0; !status && i < *removed; i++)
        entries[i].io.Information = (DWORD)entries[i].io.Information;
    return status;
}

static NTSTATUS WINAPI hook_NtRemoveIoCompletion(HANDLE port, ULONG_PTR *key, ULONG_PTR *value, IO_STATUS_BLOCK *io,
                                                 LARGE_INTEGER *timeout)
{
    if (!is_ours(port))
        return nt_remove(port, key, value, io, timeout);
    struct port_entry e;
    ULONG removed = 0;
    NTSTATUS status = take(port, &e, 1, &removed, timeout, FALSE);
    if (!status) {
        *key = e.key;
        *value = e.value;
        *io = e.io;
    }
    return status;
}

static NTSTATUS WINAPI hook_NtRemoveIoCompletionEx(HANDLE port, struct port_entry *entries, ULONG count,
                                                   ULONG *removed, LARGE_INTEGER *timeout, BOOLEAN alertable)
{
    if (!is_ours(port))
        return nt_remove_ex(port, entries, count, removed, timeout, alertable);
    ULONG got = 0;
    NTSTATUS status = take(port, entries, count, &got, timeout, alertable);
    if (removed)
        *removed = got;
    return status;
}

static NTSTATUS WINAPI hook_NtSetIoCompletion(HANDLE port, ULONG_PTR key, ULONG_PTR value, NTSTATUS status,
                                              SIZE_T information)
{
    if (!is_ours(port))
        return nt_set_completion(port, key, value, status, information);
    struct w2u_forward_params p = {
        .args = { (UINT64)(ULONG_PTR)port, (UINT32)status, information, key, value },
    };
    return unix_call(unixlib, W2U_UNIX_POST, &p) ? W2U_STATUS_INVALID_HANDLE : (NTSTATUS)p.ret;
}

/* ---- I/O on a SOCKET -------------------------------------------------------------------- */

/* NtCancelIoFile (CancelIo: the thread's requests) and NtCancelIoFileEx
 * (CancelIoEx: one OVERLAPPED, or all of them). */
static NTSTATUS cancelled(BOOL ok, IO_STATUS_BLOCK *io)
{
    if (!ok)
        return last_status();
    if (io && !IsBadWritePtr(io, sizeof(*io))) {
        io->Status = W2U_STATUS_OK;
        io->Information = 0;
    }
    return W2U_STATUS_OK;
}

static NTSTATUS WINAPI hook_NtCancelIoFile(HANDLE h, IO_STATUS_BLOCK *io)
{
    ULONG polls = afd_cancel(h, NULL, TRUE);
    if (!is_socket(h))
        return polls ? cancelled(TRUE, io) : nt_cancel(h, io);
    return cancelled(to_bool(native(w2u_pe_index_CancelIo, "CancelIo", (UINT64)(ULONG_PTR)kernel_name(h), 0, 0, 0, 0,
                                    0)),
                     io);
}

static NTSTATUS WINAPI hook_NtCancelIoFileEx(HANDLE h, IO_STATUS_BLOCK *which, IO_STATUS_BLOCK *io)
{
    ULONG polls = afd_cancel(h, which, FALSE);
    if (!is_socket(h)) {
        NTSTATUS status = nt_cancel_ex(h, which, io);
        return polls && status ? cancelled(TRUE, io) : status;
    }
    BOOL ok = to_bool(native(w2u_pe_index_CancelIoEx, "CancelIoEx", (UINT64)(ULONG_PTR)kernel_name(h),
                             (UINT64)(ULONG_PTR)which, 0, 0, 0, 0));
    return cancelled(ok || polls, io);
}

/* NtReadFile and NtWriteFile on a SOCKET are a receive and a send, as on
 * Windows.  With an event, an APC or a port value the request is
 * asynchronous and reports as the NT layer does (ws2uring_nt_io: its
 * status block, event, APC or packet); with none (kernelbase's ReadFile
 * without an OVERLAPPED) the call blocks as recv does, even on a socket in
 * non-blocking mode, and returns the outcome. */
extern const unsigned w2u_pe_index_ws2uring_nt_io;
int WINAPI w2u_pe_select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, const struct timeval *timeout);

struct nt_target {                      /* ws2uring's struct ws2_nt_target */
    void *iosb;
    UINT64 event;
    void *apc, *apc_context;
};

static NTSTATUS nt_io_from(HANDLE h, HANDLE event, io_apc_fn apc, void *ctx, IO_STATUS_BLOCK *io,
                           const WSABUF *bufs, ULONG count, int flags, BOOL sending, BOOL now_or_fail,
                           struct sockaddr *from, int *fromlen)
{
    struct nt_target t = { io, (UINT64)(ULONG_PTR)event, (void *)apc, ctx };
    UINT64 r = (apc ? w2u_pe_forward_routine : w2u_pe_forward)(
        w2u_pe_index_ws2uring_nt_io, "ws2uring_nt_io", (UINT64)(ULONG_PTR)h, sending, (UINT64)(ULONG_PTR)bufs,
        count, (UINT64)flags, (UINT64)(ULONG_PTR)&t, now_or_fail, (UINT64)(ULONG_PTR)from,
        (UINT64)(ULONG_PTR)fromlen, 0, 0, 0);
    return r == (UINT64)-1 ? W2U_STATUS_ACCESS_VIOLATION : (NTSTATUS)(ULONG)r;
}

static NTSTATUS nt_io(HANDLE h, HANDLE event, io_apc_fn apc, void *ctx, IO_STATUS_BLOCK *io, const WSABUF *bufs,
                      ULONG count, int flags, BOOL sending, BOOL now_or_fail)
{
    return nt_io_from(h, event, apc, ctx, io, bufs, count, flags, sending, now_or_fail, NULL, NULL);
}

static NTSTATUS socket_io(HANDLE h, HANDLE event, io_apc_fn apc, void *ctx, IO_STATUS_BLOCK *io, void *buf,
                          ULONG len, BOOL sending)
{
    if (!io || IsBadWritePtr(io, sizeof(*io)))
        return W2U_STATUS_ACCESS_VIOLATION;
    h = kernel_name(h);
    WSABUF b = { len, buf };
    if (event || apc || ctx)
        return nt_io(h, event, apc, ctx, io, &b, 1, 0, sending, FALSE);
    DWORD done = 0, flags = 0;
    UINT64 r;
    for (;;) {
        r = sending ? w2u_pe_WSASend((UINT64)(ULONG_PTR)h, (UINT64)(ULONG_PTR)&b, 1, (UINT64)(ULONG_PTR)&done, 0, 0, 0,
                                     0, 0, 0, 0, 0)
                    : w2u_pe_WSARecv((UINT64)(ULONG_PTR)h, (UINT64)(ULONG_PTR)&b, 1, (UINT64)(ULONG_PTR)&done,
                                     (UINT64)(ULONG_PTR)&flags, 0, 0, 0, 0, 0, 0, 0);
        if ((int)r == 0 || GetLastError() != W2U_WSAEWOULDBLOCK)
            break;
        fd_set set = { 1, { (SOCKET)(ULONG_PTR)h } };
        if (w2u_pe_select(0, sending ? NULL : &set, sending ? &set : NULL, NULL, NULL) < 0)
            break;
    }
    NTSTATUS status = (int)r == 0 ? W2U_STATUS_OK : last_status();
    io->Status = status;
    io->Information = (int)r == 0 ? done : 0;
    return status;
}

static NTSTATUS WINAPI hook_NtReadFile(HANDLE h, HANDLE event, io_apc_fn apc, void *ctx, IO_STATUS_BLOCK *io,
                                       void *buf, ULONG len, LARGE_INTEGER *offset, ULONG *key)
{
    if (!is_socket(h))
        return nt_read(h, event, apc, ctx, io, buf, len, offset, key);
    return socket_io(h, event, apc, ctx, io, buf, len, FALSE);
}

static NTSTATUS WINAPI hook_NtWriteFile(HANDLE h, HANDLE event, io_apc_fn apc, void *ctx, IO_STATUS_BLOCK *io,
                                        const void *buf, ULONG len, LARGE_INTEGER *offset, ULONG *key)
{
    if (!is_socket(h))
        return nt_write(h, event, apc, ctx, io, buf, len, offset, key);
    return socket_io(h, event, apc, ctx, io, (void *)buf, len, TRUE);
}

/* ---- \Device\Afd on ws2uring's SOCKETs ---------------------------------------------
 * IOCTL_AFD_POLL (libuv's uv_poll, mio, Wine's own ws2_32) on any AFD
 * handle, naming ws2uring's SOCKETs: checked here as afd.sys checks it,
 * answered by the Unix side (unix/afd.c), whose Wine thread runs the polls
 * that wait. */
#define W2U_IOCTL_AFD_POLL 0x00012024u
#define W2U_STATUS_INVALID_PARAMETER ((NTSTATUS)0xC000000D)
#define AFD_HEAD 16                     /* offsetof(struct afd_poll_params, sockets) */
#define AFD_SOCKET 16                   /* sizeof(struct afd_poll_socket) */

static NTSTATUS (WINAPI *nt_ioctl_original)(HANDLE, HANDLE, io_apc_fn, void *, IO_STATUS_BLOCK *, ULONG, void *,
                                            ULONG, void *, ULONG);
static volatile LONG afd_polls;         /* polls ever made: cancels and closes ask only then */
static INIT_ONCE afd_once = INIT_ONCE_STATIC_INIT;

static DWORD WINAPI afd_main(void *arg)
{
    unix_call(unixlib, W2U_UNIX_AFD_RUN, arg);
    return 0;
}

static BOOL CALLBACK afd_start(INIT_ONCE *once, void *param, void **context)
{
    HANDLE t = CreateThread(NULL, 0, afd_main, NULL, 0, NULL);
    if (t)
        CloseHandle(t);
    return t != NULL;
}

/* The request names ws2uring's SOCKETs (the first says so for all). */
static BOOL afd_poll_ours(HANDLE h, const BYTE *in, ULONG in_size)
{
    UINT64 first;
    if (is_socket(h))
        return TRUE;
    if (!in || in_size < AFD_HEAD + AFD_SOCKET || IsBadReadPtr(in, AFD_HEAD + AFD_SOCKET))
        return FALSE;
    memcpy(&first, in + AFD_HEAD, sizeof(first));
    return is_socket((HANDLE)(ULONG_PTR)first);
}

/* A timeout as afd.sys takes it (absolute system time, relative when
 * negative, 0: answer now, INT64_MAX: none) in ns from now, -1: none. */
static LONGLONG afd_timeout_ns(LONGLONG t)
{
    if (t == 0x7fffffffffffffffLL)
        return -1;
    if (t < 0)
        return -t > 0x7fffffffffffffffLL / 100 ? -1 : -t * 100;
    FILETIME now;
    GetSystemTimeAsFileTime(&now);
    LONGLONG left = t - (LONGLONG)((ULONGLONG)now.dwHighDateTime << 32 | now.dwLowDateTime);
    return left > 0 ? left * 100 : 0;
}

static NTSTATUS afd_poll(HANDLE h, HANDLE event, io_apc_fn apc, void *ctx, IO_STATUS_BLOCK *io, const BYTE *in,
                         ULONG in_size, BYTE *out, ULONG out_size)
{
    ULONG count;
    LONGLONG timeout;
    if (out_size < in_size || in_size < AFD_HEAD + AFD_SOCKET || !in || IsBadReadPtr(in, in_size))
        return W2U_STATUS_INVALID_PARAMETER;
    memcpy(&count, in + 8, sizeof(count));
    if (!count || count > (in_size - AFD_HEAD) / AFD_SOCKET)
        return W2U_STATUS_INVALID_PARAMETER;
    /* What ws2uring knows each socket by: a DuplicateHandle copy is polled
     * as its socket, and answered under its own handle. */
    UINT64 *names = HeapAlloc(GetProcessHeap(), 0, count * sizeof(*names));
    NTSTATUS status = names ? W2U_STATUS_OK : W2U_STATUS_NO_MEMORY;
    for (ULONG i = 0; i < count && !status; i++) {
        UINT64 sock;
        memcpy(&sock, in + AFD_HEAD + i * AFD_SOCKET, sizeof(sock));
        if (!is_socket((HANDLE)(ULONG_PTR)sock))
            status = W2U_STATUS_INVALID_HANDLE;
        else
            names[i] = (UINT64)(ULONG_PTR)kernel_name((HANDLE)(ULONG_PTR)sock);
    }
    if (!status && (!out || IsBadWritePtr(out, AFD_HEAD + count * AFD_SOCKET) || !io || IsBadWritePtr(io, sizeof(*io))))
        status = W2U_STATUS_ACCESS_VIOLATION;
    if (!status && !InitOnceExecuteOnce(&afd_once, afd_start, NULL, NULL))
        status = W2U_STATUS_NO_MEMORY;
    if (status) {
        HeapFree(GetProcessHeap(), 0, names);
        return status;
    }
    memcpy(&timeout, in, sizeof(timeout));
    struct w2u_afd_poll_params p = {
        .handle = (UINT64)(ULONG_PTR)h, .event = (UINT64)(ULONG_PTR)event, .apc = (UINT64)(ULONG_PTR)apc,
        .apc_context = (UINT64)(ULONG_PTR)ctx, .iosb = (UINT64)(ULONG_PTR)io,
        .thread = apc ? this_thread() : 0, .in = (UINT64)(ULONG_PTR)in, .out = (UINT64)(ULONG_PTR)out,
        .timeout_ns = afd_timeout_ns(timeout), .immediate = timeout == 0, .thread_id = GetCurrentThreadId(),
        .names = (UINT64)(ULONG_PTR)names,
    };
    InterlockedIncrement(&afd_polls);
    if (event)
        ResetEvent(event);
    status = unix_call(unixlib, W2U_UNIX_AFD_POLL, &p) ? W2U_STATUS_INVALID_HANDLE : (NTSTATUS)p.status;
    HeapFree(GetProcessHeap(), 0, names);       /* the Unix side keeps its own copy */
    return status;
}

/* IOCTL_AFD_RECV: afd.sys's receive, the WSABUFs and flags in the
 * request (which need not outlive the call); exactly one of
 * AFD_MSG_OOB and AFD_MSG_NOT_OOB; without AFD_RECV_FORCE_ASYNC a
 * non-blocking socket fails rather than waits.  IOCTL_AFD_RECEIVE_DATAGRAM
 * (libuv's UDP receive on a base provider) is the same request with the
 * source address and its length, written at the end as WSARecvFrom
 * writes them; its flags are TDI's, which have the same values. */
#define W2U_IOCTL_AFD_RECV          0x00012017u
#define W2U_IOCTL_AFD_RECV_DATAGRAM 0x0001201bu
#define AFD_RECV_FORCE_ASYNC 0x2
#define AFD_MSG_NOT_OOB 0x0020
#define AFD_MSG_OOB     0x0040
#define AFD_MSG_PEEK    0x0080
#define AFD_MSG_WAITALL 0x4000

struct afd_recv_params {
    const WSABUF *buffers;
    unsigned count;
    int recv_flags, msg_flags;
};

struct afd_recv_datagram_params {
    struct afd_recv_params recv;
    struct sockaddr *from;
    int *fromlen;
};

static NTSTATUS afd_recv(HANDLE h, HANDLE event, io_apc_fn apc, void *ctx, IO_STATUS_BLOCK *io, const void *in,
                         ULONG in_size, BOOL datagram)
{
    struct afd_recv_datagram_params p = { 0 };
    ULONG size = datagram ? sizeof(p) : sizeof(p.recv);
    if (!in || in_size < size || IsBadReadPtr(in, size))
        return W2U_STATUS_INVALID_PARAMETER;
    memcpy(&p, in, size);
    if (!(p.recv.msg_flags & AFD_MSG_OOB) == !(p.recv.msg_flags & AFD_MSG_NOT_OOB))
        return W2U_STATUS_INVALID_PARAMETER;
    if (!p.recv.count || IsBadReadPtr(p.recv.buffers, (UINT_PTR)p.recv.count * sizeof(WSABUF)))
        return W2U_STATUS_ACCESS_VIOLATION;
    if (p.from && (!p.fromlen || IsBadWritePtr(p.fromlen, sizeof(*p.fromlen)) ||
                   IsBadWritePtr(p.from, (UINT_PTR)(ULONG)*p.fromlen)))
        return W2U_STATUS_ACCESS_VIOLATION;
    int flags = (p.recv.msg_flags & AFD_MSG_OOB ? MSG_OOB : 0) | (p.recv.msg_flags & AFD_MSG_PEEK ? MSG_PEEK : 0) |
                (p.recv.msg_flags & AFD_MSG_WAITALL ? MSG_WAITALL : 0);
    return nt_io_from(h, event, apc, ctx, io, p.recv.buffers, p.recv.count, flags, FALSE,
                      !(p.recv.recv_flags & AFD_RECV_FORCE_ASYNC), p.from, p.fromlen);
}

/* Delivers an AFD request answered here (status block, event, APC, port). */
static void nt_done(HANDLE h, HANDLE event, io_apc_fn apc, void *ctx, IO_STATUS_BLOCK *io, NTSTATUS status,
                    ULONG_PTR information)
{
    struct w2u_nt_done_params d = {
        .handle = (UINT64)(ULONG_PTR)h, .event = (UINT64)(ULONG_PTR)event, .apc = (UINT64)(ULONG_PTR)apc,
        .apc_context = (UINT64)(ULONG_PTR)ctx, .iosb = (UINT64)(ULONG_PTR)io, .thread = apc ? this_thread() : 0,
        .information = information, .status = (UINT32)status,
    };
    unix_call(unixlib, W2U_UNIX_NT_DONE, &d);
}

/* IOCTL_AFD_GETSOCKNAME: the socket's address, as getsockname has it. */
#define W2U_IOCTL_AFD_BIND        0x00012003u
#define W2U_IOCTL_AFD_LISTEN      0x0001200bu
#define W2U_IOCTL_AFD_GETSOCKNAME 0x0001202fu
#define W2U_STATUS_BUFFER_TOO_SMALL ((NTSTATUS)0xC0000023)
#define W2U_STATUS_INVALID_ADDRESS  ((NTSTATUS)0xC0000141)
#define W2U_STATUS_SHARING_VIOLATION ((NTSTATUS)0xC0000043)
#define W2U_STATUS_ADDRESS_ALREADY_ASSOCIATED ((NTSTATUS)0xC0000238)
#define W2U_WSAEINVAL 10022
#define W2U_WSAEADDRINUSE 10048
W2U_PE_THUNK(getsockname);
W2U_PE_THUNK(bind);
W2U_PE_THUNK(listen);

static NTSTATUS afd_getsockname(HANDLE h, HANDLE event, io_apc_fn apc, void *ctx, IO_STATUS_BLOCK *io, void *out,
                                ULONG out_size)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    if ((int)w2u_pe_getsockname((UINT64)(ULONG_PTR)h, (UINT64)(ULONG_PTR)&ss, (UINT64)(ULONG_PTR)&len, 0, 0, 0, 0,
                                0, 0, 0, 0, 0))
        return GetLastError() == W2U_WSAEINVAL ? W2U_STATUS_INVALID_PARAMETER : last_status();
    if (out_size < (ULONG)len)
        return W2U_STATUS_BUFFER_TOO_SMALL;
    if (!out || IsBadWritePtr(out, len) || !io || IsBadWritePtr(io, sizeof(*io)))
        return W2U_STATUS_ACCESS_VIOLATION;
    memcpy(out, &ss, len);
    nt_done(h, event, apc, ctx, io, W2U_STATUS_OK, len);
    return W2U_STATUS_OK;
}

/* IOCTL_AFD_BIND: { int; sockaddr } in, the address bound out.  A bind
 * that fails on its address ends as a request (its status in the status
 * block), and the call says pending, as afd.sys does. */
static NTSTATUS afd_bind(HANDLE h, HANDLE event, io_apc_fn apc, void *ctx, IO_STATUS_BLOCK *io, const BYTE *in,
                         ULONG in_size, void *out, ULONG out_size)
{
    USHORT family;
    if (!in || in_size < 6 || IsBadReadPtr(in, in_size))
        return W2U_STATUS_INVALID_PARAMETER;
    memcpy(&family, in + 4, sizeof(family));
    ULONG want = family == AF_INET ? 16 : family == AF_INET6 ? 28 : 0;     /* sockaddr_in, sockaddr_in6 */
    if (!want || in_size - 4 < want)
        return W2U_STATUS_INVALID_ADDRESS;
    if (out_size < want || !out || IsBadWritePtr(out, out_size) || !io || IsBadWritePtr(io, sizeof(*io)))
        return W2U_STATUS_INVALID_PARAMETER;
    NTSTATUS status = W2U_STATUS_OK;
    int len = (int)out_size;
    if ((int)w2u_pe_bind((UINT64)(ULONG_PTR)h, (UINT64)(ULONG_PTR)(in + 4), want, 0, 0, 0, 0, 0, 0, 0, 0, 0)) {
        DWORD error = GetLastError();
        if (error == W2U_WSAEINVAL)
            return W2U_STATUS_ADDRESS_ALREADY_ASSOCIATED;
        status = error == W2U_WSAEADDRINUSE ? W2U_STATUS_SHARING_VIOLATION : last_status();
        len = 0;
    } else if ((int)w2u_pe_getsockname((UINT64)(ULONG_PTR)h, (UINT64)(ULONG_PTR)out, (UINT64)(ULONG_PTR)&len, 0, 0,
                                       0, 0, 0, 0, 0, 0, 0)) {
        status = last_status();
        len = 0;
    }
    nt_done(h, event, apc, ctx, io, status, (ULONG_PTR)len);
    return W2U_STATUS_PENDING;
}

/* IOCTL_AFD_LISTEN: { int; backlog; int }. */
static NTSTATUS afd_listen(HANDLE h, HANDLE event, io_apc_fn apc, void *ctx, IO_STATUS_BLOCK *io, const BYTE *in,
                           ULONG in_size)
{
    int backlog;
    if (!in || in_size < 12 || IsBadReadPtr(in, 12) || !io || IsBadWritePtr(io, sizeof(*io)))
        return W2U_STATUS_INVALID_PARAMETER;
    memcpy(&backlog, in + 4, sizeof(backlog));
    if ((int)w2u_pe_listen((UINT64)(ULONG_PTR)h, (UINT64)backlog, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
        return last_status();
    nt_done(h, event, apc, ctx, io, W2U_STATUS_OK, 0);
    return W2U_STATUS_OK;
}

/* IOCTL_AFD_EVENT_SELECT and IOCTL_AFD_GET_EVENTS: WSAEventSelect and
 * WSAEnumNetworkEvents in afd.sys's terms, whose events map onto
 * Winsock's as Wine's ws2_32 maps them (FD_CLOSE: HUP, RESET, CLOSE;
 * FD_CONNECT: CONNECT, CONNECT_ERR). */
#define W2U_IOCTL_AFD_EVENT_SELECT 0x00012087u
#define W2U_IOCTL_AFD_GET_EVENTS   0x0001208bu
W2U_PE_THUNK(WSAEventSelect);
W2U_PE_THUNK(WSAEnumNetworkEvents);

static const struct { long fd; int afd; } afd_events[] = {
    { FD_READ, 0x0001 }, { FD_OOB, 0x0002 }, { FD_WRITE, 0x0004 }, { FD_CLOSE, 0x0008 | 0x0010 | 0x0020 },
    { FD_CONNECT, 0x0040 | 0x0100 }, { FD_ACCEPT, 0x0080 },
};

static NTSTATUS afd_event_select(HANDLE h, IO_STATUS_BLOCK *io, const void *in, ULONG in_size)
{
    struct { HANDLE event; int mask; } p;
    NTSTATUS status = W2U_STATUS_INVALID_PARAMETER;
    if (in && in_size >= sizeof(p) && !IsBadReadPtr(in, sizeof(p))) {
        memcpy(&p, in, sizeof(p));
        long mask = 0;
        for (size_t i = 0; i < sizeof(afd_events) / sizeof(afd_events[0]); i++)
            if (p.mask & afd_events[i].afd)
                mask |= afd_events[i].fd;
        if (p.event || !p.mask)
            status = (int)w2u_pe_WSAEventSelect((UINT64)(ULONG_PTR)h, (UINT64)(ULONG_PTR)p.event, (UINT64)mask, 0, 0,
                                                0, 0, 0, 0, 0, 0, 0) ? last_status() : W2U_STATUS_OK;
    }
    if (io && !IsBadWritePtr(io, sizeof(*io))) {
        io->Status = status;
        io->Information = 0;
    }
    return status;
}

static NTSTATUS afd_get_events(HANDLE h, IO_STATUS_BLOCK *io, void *out, ULONG out_size)
{
    struct { int flags; int status[13]; } p;
    WSANETWORKEVENTS ne;
    if (!out || out_size < sizeof(p) || IsBadWritePtr(out, sizeof(p)))
        return W2U_STATUS_INVALID_PARAMETER;
    if ((int)w2u_pe_WSAEnumNetworkEvents((UINT64)(ULONG_PTR)h, 0, (UINT64)(ULONG_PTR)&ne, 0, 0, 0, 0, 0, 0, 0, 0, 0))
        return last_status();
    memset(&p, 0, sizeof(p));
    for (int bit = 0; bit < FD_MAX_EVENTS; bit++) {
        if (!(ne.lNetworkEvents & (1L << bit)))
            continue;
        int error = ne.iErrorCode[bit], afd;
        switch (1L << bit) {
        case FD_READ:    afd = 0; break;
        case FD_OOB:     afd = 1; break;
        case FD_WRITE:   afd = 2; break;
        case FD_CLOSE:   afd = error ? 4 : 3; break;      /* reset, or the peer's end */
        case FD_CONNECT: afd = error ? 8 : 6; break;      /* failed, or connected */
        case FD_ACCEPT:  afd = 7; break;
        default:         continue;
        }
        p.flags |= 1 << afd;
        if (error && afd != 4)          /* (a reset reports no status, as afd.sys has it) */
            p.status[afd] = (int)error_status((DWORD)error);
    }
    memcpy(out, &p, sizeof(p));
    if (io && !IsBadWritePtr(io, sizeof(*io))) {
        io->Status = W2U_STATUS_OK;
        io->Information = 0;
    }
    return W2U_STATUS_OK;
}

static NTSTATUS WINAPI hook_NtDeviceIoControlFile(HANDLE h, HANDLE event, io_apc_fn apc, void *ctx,
                                                  IO_STATUS_BLOCK *io, ULONG code, void *in, ULONG in_size,
                                                  void *out, ULONG out_size)
{
    if (code == W2U_IOCTL_AFD_POLL && afd_poll_ours(h, in, in_size))
        return afd_poll(h, event, apc, ctx, io, in, in_size, out, out_size);
    if (is_socket(h)) {
        HANDLE k = kernel_name(h);
        switch (code) {
        case W2U_IOCTL_AFD_RECV:          return afd_recv(k, event, apc, ctx, io, in, in_size, FALSE);
        case W2U_IOCTL_AFD_RECV_DATAGRAM: return afd_recv(k, event, apc, ctx, io, in, in_size, TRUE);
        case W2U_IOCTL_AFD_GETSOCKNAME:   return afd_getsockname(k, event, apc, ctx, io, out, out_size);
        case W2U_IOCTL_AFD_BIND:          return afd_bind(k, event, apc, ctx, io, in, in_size, out, out_size);
        case W2U_IOCTL_AFD_LISTEN:        return afd_listen(k, event, apc, ctx, io, in, in_size);
        case W2U_IOCTL_AFD_EVENT_SELECT:  return afd_event_select(k, io, in, in_size);
        case W2U_IOCTL_AFD_GET_EVENTS:    return afd_get_events(k, io, out, out_size);
        }
    }
    return nt_ioctl_original(h, event, apc, ctx, io, code, in, in_size, out, out_size);
}

/* Ends the AFD polls pending on h (those with status block which, or of
 * this thread), or, closing, those on or naming the SOCKET h: how many. */
static ULONG afd_end(HANDLE h, IO_STATUS_BLOCK *which, BOOL this_thread_only, BOOL closing)
{
    if (!afd_polls)
        return 0;
    struct w2u_afd_cancel_params c = { (UINT64)(ULONG_PTR)h, (UINT64)(ULONG_PTR)which,
                                       this_thread_only ? GetCurrentThreadId() : 0, closing, 0, 0 };
    return unix_call(unixlib, W2U_UNIX_AFD_CANCEL, &c) ? 0 : c.cancelled;
}

/* A thread ends (its own exit, or TerminateThread from another): its AFD
 * polls end with it, cancelled, unless only a port reports them. */
static NTSTATUS (WINAPI *nt_terminate_thread)(HANDLE, LONG);

static NTSTATUS WINAPI hook_NtTerminateThread(HANDLE thread, LONG code)
{
    if (afd_polls) {
        DWORD id = !thread || thread == GetCurrentThread() ? GetCurrentThreadId() : GetThreadId(thread);
        struct w2u_afd_cancel_params c = { .thread_id = id, .thread_exit = 1 };
        if (id)
            unix_call(unixlib, W2U_UNIX_AFD_CANCEL, &c);
    }
    return nt_terminate_thread(thread, code);
}

static ULONG afd_cancel(HANDLE h, IO_STATUS_BLOCK *which, BOOL this_thread_only)
{
    return afd_end(h, which, this_thread_only, FALSE);
}

void w2u_pe_before_close(UINT64 h)
{
    if (is_socket((HANDLE)(ULONG_PTR)h))
        afd_end((HANDLE)(ULONG_PTR)h, NULL, FALSE, TRUE);
}

/* Installs the seam; each nt_* pointer is the original call from then on,
 * which ws2uring's own calls on Wine's handles use.  FALSE: this ntdll is
 * not Wine 8.0's, and nothing was patched. */
static BOOL install_seam(void)
{
    char mode[32];
    if (GetEnvironmentVariableA("WS2URING_WINE_MODE", mode, sizeof(mode)) && !_stricmp(mode, "compatible"))
        fast_mode = FALSE;
    const struct w2u_nt_hook nt_hooks[] = {
        { "NtClose", (void *)hook_NtClose, (void **)&nt_close },
        { "NtWaitForSingleObject", (void *)hook_NtWaitForSingleObject, (void **)&nt_wait_single },
        { "NtWaitForMultipleObjects", (void *)hook_NtWaitForMultipleObjects, (void **)&nt_wait_many },
        { "NtCreateIoCompletion", (void *)hook_NtCreateIoCompletion, (void **)&nt_create_port },
        { "NtSetInformationFile", (void *)hook_NtSetInformationFile, (void **)&nt_set_info },
        { "NtRemoveIoCompletion", (void *)hook_NtRemoveIoCompletion, (void **)&nt_remove },
        { "NtRemoveIoCompletionEx", (void *)hook_NtRemoveIoCompletionEx, (void **)&nt_remove_ex },
        { "NtSetIoCompletion", (void *)hook_NtSetIoCompletion, (void **)&nt_set_completion },
        { "NtCancelIoFile", (void *)hook_NtCancelIoFile, (void **)&nt_cancel },
        { "NtCancelIoFileEx", (void *)hook_NtCancelIoFileEx, (void **)&nt_cancel_ex },
        { "NtReadFile", (void *)hook_NtReadFile, (void **)&nt_read },
        { "NtWriteFile", (void *)hook_NtWriteFile, (void **)&nt_write },
        { "NtDeviceIoControlFile", (void *)hook_NtDeviceIoControlFile, (void **)&nt_ioctl_original },
        { "NtTerminateThread", (void *)hook_NtTerminateThread, (void **)&nt_terminate_thread },
        { "NtDuplicateObject", (void *)hook_NtDuplicateObject, (void **)&nt_duplicate },
    };
    if (w2u_nt_seam_install(nt_hooks, sizeof(nt_hooks) / sizeof(nt_hooks[0])))
        return TRUE;
    say("ws2uring: ntdll's system-call thunks are not Wine 8.0's; ws2uring cannot serve its SOCKETs there\n");
    return FALSE;
}

/* Waits up to ms (INFINITE: no limit) for ov, an operation on the SOCKET
 * h without an event, on the program's side: ws2uring's wait runs in
 * slices, and between them Wine can suspend the thread and, when
 * alertable, run its APCs (*apc is then set).  TRUE when ov is over. */
struct overlapped_wait {
    HANDLE h;
    OVERLAPPED *ov;
};

static int overlapped_slice(DWORD slice, void *arg)
{
    struct overlapped_wait *w = arg;
    DWORD got;
    native(w2u_pe_index_GetOverlappedResultEx, "GetOverlappedResultEx", (UINT64)(ULONG_PTR)w->h,
           (UINT64)(ULONG_PTR)w->ov, (UINT64)(ULONG_PTR)&got, slice, 0, 0);
    return w->ov->Internal != STATUS_PENDING;
}

static BOOL wait_on_socket(HANDLE h, OVERLAPPED *ov, DWORD ms, BOOL alertable, BOOL *apc)
{
    struct overlapped_wait w = { h, ov };
    *apc = FALSE;
    if (ov->Internal != STATUS_PENDING)
        return TRUE;
    enum sliced r = in_slices(ms, alertable, overlapped_slice, &w);
    *apc = r == SLICED_APC;
    return r == SLICED_DONE;
}

extern const unsigned w2u_pe_index_WSAGetOverlappedResult;

extern const unsigned w2u_pe_index_select;

/* Windows' select is an alertable wait: an APC queued to the thread runs
 * while select blocks (not when it returns at once), and select goes on
 * waiting.  ws2uring's select waits inside a Unix call, where Wine runs
 * no APC, so a select that has to wait is cut into slices: each asks
 * again with the program's sets as they were given, and the thread's
 * APCs run in between. */
struct any_fd_set {
    u_int fd_count;
    SOCKET fd_array[];
};

static size_t set_size(const struct any_fd_set *set)
{
    return set ? sizeof(u_int) + set->fd_count * sizeof(SOCKET) : 0;
}

static int select_once(int nfds, void *rd, void *wr, void *ex, const struct timeval *t)
{
    return (int)w2u_pe_forward(w2u_pe_index_select, "select", (UINT64)nfds, (UINT64)(ULONG_PTR)rd,
                               (UINT64)(ULONG_PTR)wr, (UINT64)(ULONG_PTR)ex, (UINT64)(ULONG_PTR)t, 0, 0, 0, 0, 0, 0,
                               0);
}

static const struct timeval select_now = { 0, 0 };

static BOOL socket_gone(SOCKET s)
{
    fd_set one = { 1, { s } };
    return select_once(0, &one, NULL, NULL, &select_now) < 0 && GetLastError() == WSAENOTSOCK;
}

static BOOL listed(const SOCKET *list, u_int n, SOCKET s)
{
    for (u_int i = 0; i < n; i++)
        if (list[i] == s)
            return TRUE;
    return FALSE;
}

/* A slice after the first found a socket gone: it was closed during the
 * wait, between two slices.  select answers as Windows does when a close
 * ends its wait (ws2uring's select_output, within a slice, does the
 * same): a closed socket is readable if the read set asked for it; one
 * asked for anything else fails the call (WSAENOTSOCK) with every set
 * emptied; the sockets still open report what they have now.  The sets
 * hold the program's sets as given (a failed select writes none). */
static int closed_between_slices(struct any_fd_set *sets[3])
{
    u_int max = sets[0] ? sets[0]->fd_count : 0, ngone = 0;
    SOCKET stack[64], *gone = max > 64 ? HeapAlloc(GetProcessHeap(), 0, max * sizeof(SOCKET)) : stack;
    BOOL refused = FALSE, left = FALSE;
    if (!gone) {
        SetLastError(WSAENOBUFS);
        return SOCKET_ERROR;
    }
    /* The read set first, so that a socket closed there is known when it
     * comes again in another set. */
    for (int k = 0; k < 3; k++) {
        for (u_int i = 0; sets[k] && i < sets[k]->fd_count;) {
            SOCKET s = sets[k]->fd_array[i];
            if (!socket_gone(s)) {
                i++;
                continue;
            }
            if (k == 0)
                gone[ngone++] = s;
            else if (!listed(gone, ngone, s))
                refused = TRUE;
            sets[k]->fd_array[i] = sets[k]->fd_array[--sets[k]->fd_count];   /* select reorders them anyway */
        }
        left = left || (sets[k] && sets[k]->fd_count);
    }
    int n = 0;
    if (refused || !left) {
        for (int k = 0; k < 3; k++)
            if (sets[k])
                sets[k]->fd_count = 0;
    } else {
        n = select_once(0, sets[0], sets[1], sets[2], &select_now);
    }
    if (refused) {
        SetLastError(WSAENOTSOCK);
        n = SOCKET_ERROR;
    }
    for (u_int i = 0; n >= 0 && i < ngone; i++)
        if (!listed(sets[0]->fd_array, sets[0]->fd_count, gone[i])) {
            sets[0]->fd_array[sets[0]->fd_count++] = gone[i];
            n++;
        }
    if (n >= 0)
        SetLastError(0);
    if (gone != stack)
        HeapFree(GetProcessHeap(), 0, gone);
    return n;
}

int WINAPI w2u_pe_select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, const struct timeval *timeout)
{
    struct any_fd_set *sets[3] = { (struct any_fd_set *)rd, (struct any_fd_set *)wr, (struct any_fd_set *)ex };
    void *copies[3] = { NULL, NULL, NULL };
    BOOL sliced = !timeout || timeout->tv_sec || timeout->tv_usec;
    /* Sets it cannot read are ws2uring's to refuse (WSAEFAULT): no slices. */
    for (int k = 0; k < 3 && sliced; k++)
        if (sets[k] && (IsBadReadPtr(sets[k], sizeof(u_int)) || IsBadReadPtr(sets[k], set_size(sets[k])) ||
                        !(copies[k] = HeapAlloc(GetProcessHeap(), 0, set_size(sets[k])))))
            sliced = FALSE;
    if (timeout && IsBadReadPtr(timeout, sizeof(*timeout)))
        sliced = FALSE;
    for (int k = 0; k < 3 && sliced; k++)
        if (copies[k])
            memcpy(copies[k], sets[k], set_size(sets[k]));
    ULONGLONG want = timeout && sliced ? (ULONGLONG)(ULONG)timeout->tv_sec * 1000 + ((ULONG)timeout->tv_usec + 999) / 1000
                                       : 0;
    DWORD ms = !timeout ? INFINITE : want >= INFINITE ? INFINITE - 1 : (DWORD)want;
    DWORD start = GetTickCount();
    BOOL first = TRUE;
    int r;
    for (;;) {
        DWORD slice = sliced ? slice_of(ms, GetTickCount() - start) : 0;
        struct timeval tv = { (long)(slice / 1000), (long)(slice % 1000) * 1000 };
        const struct timeval *t = sliced ? &tv : timeout;
        r = select_once(nfds, rd, wr, ex, t);
        if (r < 0 && !first && GetLastError() == WSAENOTSOCK)
            r = closed_between_slices(sets);
        if (!sliced || r != 0)
            break;
        first = FALSE;
        SleepEx(0, TRUE);                       /* it waited: the thread's APCs run */
        if (slice < WAIT_SLICE_MS)
            break;
        for (int k = 0; k < 3; k++)
            if (copies[k])
                memcpy(sets[k], copies[k], set_size(copies[k]));
    }
    for (int k = 0; k < 3; k++)
        if (copies[k])
            HeapFree(GetProcessHeap(), 0, copies[k]);
    return r;
}

/* The wait, when asked for, happens here (on the event with Wine's own
 * wait, or on the socket in slices); ws2uring then reports the outcome
 * and checks the SOCKET. */
BOOL WINAPI w2u_pe_WSAGetOverlappedResult(UINT64 s, WSAOVERLAPPED *ov, DWORD *bytes, BOOL wait, DWORD *flags)
{
    if (wait && ov && is_socket((HANDLE)(ULONG_PTR)s) && ov->Internal == STATUS_PENDING) {
        HANDLE event = (HANDLE)((ULONG_PTR)ov->hEvent & ~(ULONG_PTR)1);
        BOOL apc;
        if (event)
            WaitForSingleObject(event, INFINITE);
        else
            wait_on_socket((HANDLE)(ULONG_PTR)s, ov, INFINITE, FALSE, &apc);
    }
    return to_bool(native(w2u_pe_index_WSAGetOverlappedResult, "WSAGetOverlappedResult", s, (UINT64)(ULONG_PTR)ov,
                          (UINT64)(ULONG_PTR)bytes, 0, (UINT64)(ULONG_PTR)flags, 0));
}

/* mswsock: Wine's AcceptEx and TransmitFile ask ws2_32 (this DLL) for
 * the extension functions and so reach ws2uring from any module; Wine's
 * WSARecvEx only fails, and its GetAcceptExSockaddrs does nothing until
 * its own AcceptEx ran.  The main module's imports of those two are
 * pointed at ws2uring's (imported by another module, they still reach
 * Wine's). */
static UINT64 WINAPI hook_WSARecvEx(UINT64 s, UINT64 buf, UINT64 len, UINT64 flags)
{
    if (!w2u_pe_wait_ready(s))          /* a blocking receive: alertably, as recv's */
        return w2u_pe_timed_out();
    return w2u_pe_forward(w2u_pe_index_WSARecvEx, "WSARecvEx", s, buf, len, flags, 0, 0, 0, 0, 0, 0, 0, 0);
}

static UINT64 WINAPI hook_GetAcceptExSockaddrs(UINT64 a0, UINT64 a1, UINT64 a2, UINT64 a3, UINT64 a4, UINT64 a5,
                                               UINT64 a6, UINT64 a7)
{
    return w2u_pe_forward(w2u_pe_index_GetAcceptExSockaddrs, "GetAcceptExSockaddrs", a0, a1, a2, a3, a4, a5, a6, a7,
                          0, 0, 0, 0);
}

static const struct {
    const char *name;
    void *hook;
} mswsock_hooks[] = {
    { "WSARecvEx", (void *)hook_WSARecvEx },
    { "GetAcceptExSockaddrs", (void *)hook_GetAcceptExSockaddrs },
};

static void patch_imports(HMODULE module)
{
    BYTE *base = (BYTE *)module;
    IMAGE_NT_HEADERS *nt = (IMAGE_NT_HEADERS *)(base + ((IMAGE_DOS_HEADER *)base)->e_lfanew);
    IMAGE_DATA_DIRECTORY dir = nt->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_IMPORT];
    if (!dir.VirtualAddress)
        return;
    for (IMAGE_IMPORT_DESCRIPTOR *d = (IMAGE_IMPORT_DESCRIPTOR *)(base + dir.VirtualAddress); d->Name; d++) {
        if (_stricmp((const char *)base + d->Name, "mswsock.dll"))
            continue;
        IMAGE_THUNK_DATA *names = (IMAGE_THUNK_DATA *)(base + (d->OriginalFirstThunk ? d->OriginalFirstThunk
                                                                                     : d->FirstThunk));
        IMAGE_THUNK_DATA *slots = (IMAGE_THUNK_DATA *)(base + d->FirstThunk);
        for (; names->u1.AddressOfData; names++, slots++) {
            if (IMAGE_SNAP_BY_ORDINAL(names->u1.Ordinal))
                continue;
            const char *name = (const char *)((IMAGE_IMPORT_BY_NAME *)(base + names->u1.AddressOfData))->Name;
            for (size_t i = 0; i < sizeof(mswsock_hooks) / sizeof(mswsock_hooks[0]); i++) {
                DWORD old;
                if (strcmp(name, mswsock_hooks[i].name) ||
                    !VirtualProtect(&slots->u1.Function, sizeof(slots->u1.Function), PAGE_READWRITE, &old))
                    continue;
                slots->u1.Function = (ULONG_PTR)mswsock_hooks[i].hook;
                VirtualProtect(&slots->u1.Function, sizeof(slots->u1.Function), old, &old);
            }
        }
    }
}

/* ---- WSAAsyncSelect ------------------------------------------------------------------
 * Window messages instead of events: each selected SOCKET gets a private
 * Wine event through ws2uring's WSAEventSelect, and a Wine thread of the
 * DLL waits on those events and posts the window one message per network
 * event (wParam the SOCKET, lParam WSAMAKESELECTREPLY(event, error)). */
UINT64 WINAPI w2u_pe_WSAEventSelect(UINT64 a0, UINT64 a1, UINT64 a2, UINT64 a3, UINT64 a4, UINT64 a5, UINT64 a6,
                                    UINT64 a7, UINT64 a8, UINT64 a9, UINT64 a10, UINT64 a11);
UINT64 WINAPI w2u_pe_WSAEnumNetworkEvents(UINT64 a0, UINT64 a1, UINT64 a2, UINT64 a3, UINT64 a4, UINT64 a5,
                                          UINT64 a6, UINT64 a7, UINT64 a8, UINT64 a9, UINT64 a10, UINT64 a11);

#define MAX_ASYNC (MAXIMUM_WAIT_OBJECTS - 1)   /* one wait slot is the wake-up */

struct async_select {
    UINT64 s;
    HWND hwnd;
    UINT msg;
    LONG events;
    HANDLE event;
};
static struct async_select asyncs[MAX_ASYNC];
static int nasync;
static HANDLE async_wake;                      /* the list changed */
static INIT_ONCE async_once = INIT_ONCE_STATIC_INIT;
static BOOL (WINAPI *post_message)(HWND, UINT, WPARAM, LPARAM);

/* Events taken together are posted in the order they happen on Windows,
 * not in bit order: a connection's FD_CONNECT comes before its first
 * FD_WRITE, data (FD_OOB, FD_READ) before the FD_CLOSE that follows it. */
static const int message_order[FD_MAX_EVENTS] = {
    FD_CONNECT_BIT, FD_ACCEPT_BIT, FD_OOB_BIT, FD_READ_BIT, FD_WRITE_BIT, FD_CLOSE_BIT,
    FD_QOS_BIT, FD_GROUP_QOS_BIT, FD_ROUTING_INTERFACE_CHANGE_BIT, FD_ADDRESS_LIST_CHANGE_BIT,
};

static DWORD WINAPI async_main(void *arg)
{
    (void)arg;
    for (;;) {
        struct async_select list[MAX_ASYNC];
        HANDLE waits[MAX_ASYNC + 1];
        EnterCriticalSection(&handles_lock);
        int n = nasync;
        memcpy(list, asyncs, (size_t)n * sizeof(list[0]));
        LeaveCriticalSection(&handles_lock);
        waits[0] = async_wake;
        for (int i = 0; i < n; i++)
            waits[i + 1] = list[i].event;
        DWORD r = WaitForMultipleObjects((DWORD)n + 1, waits, FALSE, INFINITE);
        if (r == WAIT_OBJECT_0 || r > WAIT_OBJECT_0 + (DWORD)n)
            continue;
        struct async_select *a = &list[r - WAIT_OBJECT_0 - 1];
        WSANETWORKEVENTS ne;
        if (w2u_pe_WSAEnumNetworkEvents(a->s, (UINT64)(ULONG_PTR)a->event, (UINT64)(ULONG_PTR)&ne, 0, 0, 0, 0, 0,
                                        0, 0, 0, 0))
            continue;                          /* closed meanwhile */
        for (int i = 0; i < FD_MAX_EVENTS; i++) {
            int bit = message_order[i];
            if (ne.lNetworkEvents & (1 << bit))
                w2u_pe_post(a->hwnd, a->msg, (WPARAM)a->s, WSAMAKESELECTREPLY(1 << bit, ne.iErrorCode[bit]));
        }
    }
    return 0;
}

static BOOL CALLBACK load_post_message(INIT_ONCE *once, void *param, void **context)
{
    (void)once;
    (void)param;
    (void)context;
    HMODULE user32 = LoadLibraryA("user32.dll");
    post_message = user32 ? (BOOL (WINAPI *)(HWND, UINT, WPARAM, LPARAM))(void *)GetProcAddress(user32, "PostMessageW")
                          : NULL;
    return TRUE;
}

static BOOL have_post_message(void)
{
    static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
    InitOnceExecuteOnce(&once, load_post_message, NULL, NULL);
    return post_message != NULL;
}

BOOL w2u_pe_post(HWND hwnd, UINT msg, WPARAM wparam, LPARAM lparam)
{
    return have_post_message() && post_message(hwnd, msg, wparam, lparam);
}

static BOOL CALLBACK async_start(INIT_ONCE *once, void *param, void **context)
{
    (void)once;
    (void)param;
    (void)context;
    async_wake = CreateEventW(NULL, FALSE, FALSE, NULL);
    HANDLE t = have_post_message() && async_wake ? CreateThread(NULL, 0, async_main, NULL, 0, NULL) : NULL;
    if (t)
        CloseHandle(t);
    return t != NULL;
}

/* s is closed or no longer selected: its entry goes. */
static void async_forget(UINT64 s)
{
    HANDLE event = NULL;
    EnterCriticalSection(&handles_lock);
    for (int i = 0; i < nasync; i++)
        if (asyncs[i].s == s) {
            event = asyncs[i].event;
            asyncs[i] = asyncs[--nasync];
            break;
        }
    LeaveCriticalSection(&handles_lock);
    if (event) {
        SetEvent(async_wake);
        CloseHandle(event);      /* the thread may still wait on it once: it is then signalled or invalid */
    }
}

int WINAPI w2u_pe_WSAAsyncSelect(UINT64 s, HWND hwnd, UINT msg, LONG events)
{
    if (!InitOnceExecuteOnce(&async_once, async_start, NULL, NULL)) {
        SetLastError(W2U_WSAENOBUFS);
        return SOCKET_ERROR;
    }
    if (!events) {
        int r = (int)w2u_pe_WSAEventSelect(s, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        async_forget(s);
        return r;
    }
    if (hwnd && !IsWindow(hwnd)) {
        SetLastError(WSAEINVAL);
        return SOCKET_ERROR;
    }
    HANDLE event = NULL;
    BOOL fresh = FALSE;
    EnterCriticalSection(&handles_lock);
    int i;
    for (i = 0; i < nasync && asyncs[i].s != s; i++)
        ;
    if (i == nasync && nasync < MAX_ASYNC && (event = CreateEventW(NULL, TRUE, FALSE, NULL))) {
        asyncs[nasync++] = (struct async_select){ s, hwnd, msg, events, event };
        fresh = TRUE;
    } else if (i < nasync) {
        asyncs[i].hwnd = hwnd;
        asyncs[i].msg = msg;
        asyncs[i].events = events;
        event = asyncs[i].event;
    }
    LeaveCriticalSection(&handles_lock);
    if (!event) {
        SetLastError(W2U_WSAENOBUFS);
        return SOCKET_ERROR;
    }
    /* A window's selection starts afresh (a second WSAAsyncSelect posts
     * FD_WRITE again), unlike WSAEventSelect's. */
    struct w2u_forward_params p = { .args = { s, (UINT64)(ULONG_PTR)event, (UINT64)(ULONG)events } };
    unix_call(unixlib, W2U_UNIX_MESSAGE_SELECT, &p);
    int r = (INT64)p.ret < 0 ? SOCKET_ERROR : 0;
    if (r)
        SetLastError((DWORD)-(INT64)p.ret);
    if (r && fresh) {
        DWORD error = GetLastError();
        async_forget(s);
        SetLastError(error);
    } else {
        SetEvent(async_wake);
    }
    return r;
}

UINT64 w2u_pe_accepted(UINT64 listener, UINT64 ns)
{
    if (ns == (UINT64)INVALID_SOCKET_VALUE)
        return ns;
    struct async_select a = { 0 };
    EnterCriticalSection(&handles_lock);
    for (int i = 0; i < nasync; i++)
        if (asyncs[i].s == listener)
            a = asyncs[i];
    LeaveCriticalSection(&handles_lock);
    if (a.s) {
        DWORD error = GetLastError();
        w2u_pe_WSAAsyncSelect(ns, a.hwnd, a.msg, a.events);
        SetLastError(error);
    }
    return ns;
}

/* ---- WSAAccept --------------------------------------------------------------------
 * The condition function is the program's, so it runs here: the connection
 * is accepted through ws2uring, shown to the condition, then kept,
 * refused (the peer sees a reset), or deferred until the next WSAAccept
 * when the listener has SO_CONDITIONAL_ACCEPT. */
UINT64 WINAPI w2u_pe_accept(UINT64 a0, UINT64 a1, UINT64 a2, UINT64 a3, UINT64 a4, UINT64 a5, UINT64 a6, UINT64 a7,
                            UINT64 a8, UINT64 a9, UINT64 a10, UINT64 a11);
UINT64 WINAPI w2u_pe_getsockname(UINT64 a0, UINT64 a1, UINT64 a2, UINT64 a3, UINT64 a4, UINT64 a5, UINT64 a6,
                                 UINT64 a7, UINT64 a8, UINT64 a9, UINT64 a10, UINT64 a11);
UINT64 WINAPI w2u_pe_getpeername(UINT64 a0, UINT64 a1, UINT64 a2, UINT64 a3, UINT64 a4, UINT64 a5, UINT64 a6,
                                 UINT64 a7, UINT64 a8, UINT64 a9, UINT64 a10, UINT64 a11);
UINT64 WINAPI w2u_pe_getsockopt(UINT64 a0, UINT64 a1, UINT64 a2, UINT64 a3, UINT64 a4, UINT64 a5, UINT64 a6,
                                UINT64 a7, UINT64 a8, UINT64 a9, UINT64 a10, UINT64 a11);
UINT64 WINAPI w2u_pe_setsockopt(UINT64 a0, UINT64 a1, UINT64 a2, UINT64 a3, UINT64 a4, UINT64 a5, UINT64 a6,
                                UINT64 a7, UINT64 a8, UINT64 a9, UINT64 a10, UINT64 a11);

#define CALL(F, ...) w2u_pe_##F(__VA_ARGS__, 0, 0, 0, 0, 0, 0, 0)

UINT64 WINAPI w2u_pe_WSAAccept(UINT64 s, struct sockaddr *addr, int *len, LPCONDITIONPROC condition,
                               DWORD_PTR data)
{
    if (!condition)
        return CALL(accept, s, (UINT64)(ULONG_PTR)addr, (UINT64)(ULONG_PTR)len, 0, 0);
    struct sockaddr_storage peer, local;
    int pl = sizeof(peer), ll = sizeof(local);
    /* A connection deferred before comes first (ws2uring keeps it). */
    UINT64 ns = CALL(accept, s, (UINT64)(ULONG_PTR)&peer, (UINT64)(ULONG_PTR)&pl, 0, 0);
    if (ns == INVALID_SOCKET_VALUE)
        return INVALID_SOCKET_VALUE;
    WSABUF caller = { (ULONG)pl, (char *)&peer }, callee = { 0, (char *)&local };
    GROUP g = 0;
    if (!CALL(getsockname, ns, (UINT64)(ULONG_PTR)&local, (UINT64)(ULONG_PTR)&ll, 0, 0))
        callee.len = (ULONG)ll;
    int verdict = condition(&caller, NULL, NULL, NULL, &callee, NULL, &g, data);
    if (verdict == CF_DEFER) {
        /* Kept for the next accept or WSAAccept, as Windows does with or
         * without SO_CONDITIONAL_ACCEPT. */
        struct w2u_forward_params p = { .args = { s, ns } };
        unix_call(unixlib, W2U_UNIX_DEFER, &p);
        if (!p.ret) {
            SetLastError(WSATRY_AGAIN);
            return INVALID_SOCKET_VALUE;
        }
    }
    if (verdict != CF_ACCEPT) {
        if (verdict == CF_REJECT) {
            struct linger abortive = { 1, 0 };   /* the peer sees a reset */
            CALL(setsockopt, ns, SOL_SOCKET, SO_LINGER, (UINT64)(ULONG_PTR)&abortive, sizeof(abortive));
        }
        w2u_pe_closesocket(ns, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        SetLastError(verdict == CF_REJECT ? WSAECONNREFUSED : WSAEINVAL);
        return INVALID_SOCKET_VALUE;
    }
    if (addr) {
        if (!len || *len < pl) {
            w2u_pe_closesocket(ns, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
            SetLastError(WSAEFAULT);
            return INVALID_SOCKET_VALUE;
        }
        memcpy(addr, &peer, (size_t)pl);
        *len = pl;
    }
    return ns;
}

/* ---- answered here ------------------------------------------------------------ */

int WINAPI w2u_pe_WSAGetLastError(void)
{
    return (int)GetLastError();
}

void WINAPI w2u_pe_WSASetLastError(int error)
{
    SetLastError((DWORD)error);
}

/* (ntohl and ntohs are exported as these: the same swap.) */
ULONG WINAPI w2u_pe_htonl(ULONG v)
{
    return __builtin_bswap32(v);
}

USHORT WINAPI w2u_pe_htons(USHORT v)
{
    return __builtin_bswap16(v);
}

/* WSA events are Windows manual-reset events: under Wine, Wine's own, so
 * that the program's WaitForMultipleObjects and SetEvent see them. */
HANDLE WINAPI w2u_pe_WSACreateEvent(void)
{
    return CreateEventW(NULL, TRUE, FALSE, NULL);
}

BOOL WINAPI w2u_pe_WSACloseEvent(HANDLE event)
{
    return CloseHandle(event);
}

BOOL WINAPI w2u_pe_WSASetEvent(HANDLE event)
{
    return SetEvent(event);
}

BOOL WINAPI w2u_pe_WSAResetEvent(HANDLE event)
{
    return ResetEvent(event);
}

DWORD WINAPI w2u_pe_WSAWaitForMultipleEvents(DWORD count, const HANDLE *events, BOOL all, DWORD timeout,
                                            BOOL alertable)
{
    return WaitForMultipleObjectsEx(count, events, all, timeout, alertable);
}

extern const unsigned w2u_pe_index_WSAIoctl;   /* pe_thunks.c */

/* ---- the extension functions ----------------------------------------------------
 * WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER) goes to ws2uring, whose
 * Unix side remembers its native function; the program gets the thunk
 * below instead, which calls that function on the Unix side. */
static UINT64 extension(enum w2u_extension which, UINT64 a0, UINT64 a1, UINT64 a2, UINT64 a3, UINT64 a4,
                        UINT64 a5, UINT64 a6, UINT64 a7, UINT64 a8)
{
    struct w2u_forward_params p = { .index = which, .args = { a0, a1, a2, a3, a4, a5, a6, a7, a8 } };
    /* WSARecvMsg takes a completion routine (5th argument): its APC needs
     * the calling thread.  (WSASendMsg's thunk is the export's.) */
    if (which == W2U_EXT_WSARECVMSG && a4)
        p.thread = this_thread();
    /* WSARecvMsg fails with SOCKET_ERROR, the others with FALSE. */
    UINT64 failed = which == W2U_EXT_WSARECVMSG ? (UINT64)(INT64)SOCKET_ERROR : 0;
    BOOL usable = TRUE, may_wait = FALSE;
    if (which == W2U_EXT_ACCEPTEX)      /* the first data, then the two addresses */
        usable = w2u_pe_probe_buffer(a2, (a3 & 0xffffffff) + (a4 & 0xffffffff) + (a5 & 0xffffffff));
    if (which == W2U_EXT_WSARECVMSG && a1 && !IsBadReadPtr((void *)(ULONG_PTR)a1, sizeof(WSAMSG))) {
        const WSAMSG *m = (const WSAMSG *)(ULONG_PTR)a1;
        usable = w2u_pe_probe_wsabufs((UINT64)(ULONG_PTR)m->lpBuffers, m->dwBufferCount) &&
                 w2u_pe_probe_buffer((UINT64)(ULONG_PTR)m->Control.buf, m->Control.len);
        /* A blocking one waits here first, alertably, as recv does; a call
         * that fails at once (ws2uring's checks of the WSAMSG and the count's
         * pointer) does not wait. */
        may_wait = !a3 && !(m->Control.len && !m->Control.buf) && !(m->namelen && !m->name) &&
                   (!a2 || !IsBadWritePtr((void *)(ULONG_PTR)a2, sizeof(DWORD)));
    }
    if (!usable) {
        SetLastError(WSAEFAULT);
        return failed;
    }
    if (may_wait && !w2u_pe_wait_ready(a0))
        return failed;
    /* (a fault the Unix side did not catch: see forward) */
    if (unix_call(unixlib, W2U_UNIX_EXTENSION, &p)) {
        SetLastError(WSAEFAULT);
        return failed;
    }
    if (p.last_error != W2U_NO_ERROR)
        SetLastError(p.last_error);
    return p.ret;
}

#define EXTENSION(NAME, WHICH)                                                                  \
    static UINT64 WINAPI ext_##NAME(UINT64 a0, UINT64 a1, UINT64 a2, UINT64 a3, UINT64 a4,      \
                                    UINT64 a5, UINT64 a6, UINT64 a7, UINT64 a8)                 \
    {                                                                                           \
        return extension(WHICH, a0, a1, a2, a3, a4, a5, a6, a7, a8);                            \
    }
EXTENSION(AcceptEx, W2U_EXT_ACCEPTEX)
EXTENSION(ConnectEx, W2U_EXT_CONNECTEX)
EXTENSION(DisconnectEx, W2U_EXT_DISCONNECTEX)
EXTENSION(GetAcceptExSockaddrs, W2U_EXT_GETACCEPTEXSOCKADDRS)

/* TransmitFile and TransmitPackets without an OVERLAPPED block until the
 * end: the DLL makes them the overlapped call with the thread's own event
 * and waits alertably, as a blocking send (own_overlapped_end); a blocking
 * TransmitFile starts at the file's current position, as ws2uring's own
 * blocking one does.  On anything else, the plain call. */
static BOOL transmit_alertably(enum w2u_extension which, UINT64 s, UINT64 a1, UINT64 a2, UINT64 a3, UINT64 a5,
                               UINT64 a6, BOOL *result)
{
    LARGE_INTEGER at = { .QuadPart = 0 }, none = { .QuadPart = 0 };
    HANDLE event;
    if (!is_socket((HANDLE)(ULONG_PTR)s) ||
        (which == W2U_EXT_TRANSMITFILE && a1 && !SetFilePointerEx((HANDLE)(ULONG_PTR)a1, none, &at, FILE_CURRENT)) ||
        !(event = own_event()))
        return FALSE;
    WSAOVERLAPPED ov = { .Offset = at.LowPart, .OffsetHigh = (DWORD)at.HighPart,
                         .hEvent = (HANDLE)((ULONG_PTR)event | 1) };
    UINT64 ovp = (UINT64)(ULONG_PTR)&ov;
    BOOL started = (BOOL)extension(which, s, a1, a2, a3, ovp, a5, a6, 0, 0);   /* a6: 0 for TransmitPackets */
    DWORD n = 0;
    *result = own_overlapped_end(s, started, &ov, event, INFINITE, &n);
    return TRUE;
}

static UINT64 WINAPI ext_TransmitFile(UINT64 a0, UINT64 a1, UINT64 a2, UINT64 a3, UINT64 a4, UINT64 a5, UINT64 a6,
                                      UINT64 a7, UINT64 a8)
{
    BOOL r;
    if (!a4 && transmit_alertably(W2U_EXT_TRANSMITFILE, a0, a1, a2, a3, a5, a6, &r))
        return (UINT64)r;
    return extension(W2U_EXT_TRANSMITFILE, a0, a1, a2, a3, a4, a5, a6, a7, a8);
}

static UINT64 WINAPI ext_TransmitPackets(UINT64 a0, UINT64 a1, UINT64 a2, UINT64 a3, UINT64 a4, UINT64 a5,
                                         UINT64 a6, UINT64 a7, UINT64 a8)
{
    BOOL r;
    if (!a4 && transmit_alertably(W2U_EXT_TRANSMITPACKETS, a0, a1, a2, a3, a5, 0, &r))
        return (UINT64)r;
    return extension(W2U_EXT_TRANSMITPACKETS, a0, a1, a2, a3, a4, a5, a6, a7, a8);
}
EXTENSION(WSARecvMsg, W2U_EXT_WSARECVMSG)

/* WSASendMsg's pointer is the export's function (ws2uring's is too), so
 * that its blocking sends wait alertably as the export's do. */
static UINT64 WINAPI ext_WSASendMsg(UINT64 a0, UINT64 a1, UINT64 a2, UINT64 a3, UINT64 a4, UINT64 a5, UINT64 a6,
                                    UINT64 a7, UINT64 a8)
{
    return w2u_pe_WSASendMsg(a0, a1, a2, a3, a4, a5, a6, a7, a8, 0, 0, 0);
}

static void *const extension_thunks[W2U_EXTENSIONS] = {
    [W2U_EXT_ACCEPTEX] = ext_AcceptEx, [W2U_EXT_CONNECTEX] = ext_ConnectEx,
    [W2U_EXT_DISCONNECTEX] = ext_DisconnectEx, [W2U_EXT_GETACCEPTEXSOCKADDRS] = ext_GetAcceptExSockaddrs,
    [W2U_EXT_TRANSMITFILE] = ext_TransmitFile, [W2U_EXT_TRANSMITPACKETS] = ext_TransmitPackets,
    [W2U_EXT_WSARECVMSG] = ext_WSARecvMsg, [W2U_EXT_WSASENDMSG] = ext_WSASendMsg,
};

int WINAPI w2u_pe_WSAIoctl(UINT64 s, DWORD code, void *in, DWORD in_len, void *out, DWORD out_len,
                          DWORD *bytes, void *ov, void *routine)
{
    /* With a completion routine the calling thread's handle goes along,
     * for the routine's APC. */
    UINT64 (*call)(unsigned, const char *, UINT64, UINT64, UINT64, UINT64, UINT64, UINT64, UINT64, UINT64, UINT64,
                   UINT64, UINT64, UINT64) = ov && routine ? w2u_pe_forward_routine : w2u_pe_forward;
    int r = (int)call(w2u_pe_index_WSAIoctl, "WSAIoctl", s, code, (UINT64)in, in_len, (UINT64)out, out_len,
                      (UINT64)bytes, (UINT64)ov, (UINT64)routine, 0, 0, 0);
    if (r == 0 && code == W2U_SIO_GET_EXTENSION_FUNCTION_POINTER && in && in_len >= 16 && out &&
        out_len >= sizeof(void *))
        for (int i = 0; i < W2U_EXTENSIONS; i++)
            if (!memcmp(in, w2u_extension_guids[i], 16))
                memcpy(out, &extension_thunks[i], sizeof(void *));
    return r;
}

/* ---- WSADuplicateSocket ------------------------------------------------------------
 * ws2uring knows this process by its Wine id (told at start); a process id
 * that names no process is refused as 0 is (WSAEINVAL). */
extern const unsigned w2u_pe_index_WSADuplicateSocketA, w2u_pe_index_WSADuplicateSocketW;

static UINT64 known_process(DWORD pid)
{
    if (!pid || pid == GetCurrentProcessId())
        return pid;
    HANDLE p = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
    if (!p)
        return 0;
    CloseHandle(p);
    return pid;
}

int WINAPI w2u_pe_WSADuplicateSocketA(UINT64 s, DWORD pid, void *info)
{
    return (int)native(w2u_pe_index_WSADuplicateSocketA, "WSADuplicateSocketA", s, known_process(pid),
                       (UINT64)(ULONG_PTR)info, 0, 0, 0);
}

int WINAPI w2u_pe_WSADuplicateSocketW(UINT64 s, DWORD pid, void *info)
{
    return (int)native(w2u_pe_index_WSADuplicateSocketW, "WSADuplicateSocketW", s, known_process(pid),
                       (UINT64)(ULONG_PTR)info, 0, 0, 0);
}

/* Lets a program (and the tests) see that ws2uring, not Wine's builtin
 * ws2_32, is loaded: "ws2uring VERSION on Wine VERSION". */
const char *WINAPI w2u_pe_ws2uring_version(void)
{
    return "ws2uring " W2U_VERSION " on Wine " W2U_WINE_VERSION;
}

/* ---- GetAddrInfoExW ---------------------------------------------------------------
 * ws2uring resolves; an overlapped lookup ends (answer, cancel, timeout)
 * on a Wine thread of the DLL, which sets the program's event or runs its
 * routine there, as Windows does on a thread of its pool. */
extern const unsigned w2u_pe_index_GetAddrInfoExW;
UINT64 WINAPI w2u_pe_GetAddrInfoExCancel(UINT64 a0, UINT64 a1, UINT64 a2, UINT64 a3, UINT64 a4, UINT64 a5,
                                         UINT64 a6, UINT64 a7, UINT64 a8, UINT64 a9, UINT64 a10, UINT64 a11);
/* mingw's headers make the routine a bare pointer. */
typedef void (WINAPI *lookup_routine)(DWORD error, DWORD bytes, OVERLAPPED *ov);

static DWORD WINAPI lookup_main(void *id)
{
    struct w2u_forward_params p = { .args = { (UINT64)(ULONG_PTR)id } };
    unix_call(unixlib, W2U_UNIX_LOOKUP, &p);
    if ((INT64)p.ret < 0)
        return 0;
    HANDLE event = (HANDLE)(ULONG_PTR)p.args[1];
    lookup_routine routine = (lookup_routine)(ULONG_PTR)p.args[2];
    if (event)
        SetEvent(event);
    if (routine)
        routine((DWORD)p.ret, 0, (OVERLAPPED *)(ULONG_PTR)p.args[3]);
    return 0;
}

int WINAPI w2u_pe_GetAddrInfoExW(const WCHAR *name, const WCHAR *service, DWORD ns, GUID *nsid, const void *hints,
                                 void **result, void *timeout, OVERLAPPED *ov, void *routine, HANDLE *handle)
{
    HANDLE own = NULL;
    HANDLE *h = handle ? handle : &own;      /* the thread below needs the lookup's handle */
    int r = (int)w2u_pe_forward(w2u_pe_index_GetAddrInfoExW, "GetAddrInfoExW", (UINT64)(ULONG_PTR)name,
                                (UINT64)(ULONG_PTR)service, ns, (UINT64)(ULONG_PTR)nsid, (UINT64)(ULONG_PTR)hints,
                                (UINT64)(ULONG_PTR)result, (UINT64)(ULONG_PTR)timeout, (UINT64)(ULONG_PTR)ov,
                                (UINT64)(ULONG_PTR)routine, (UINT64)(ULONG_PTR)h, 0, 0);
    if (r != WSA_IO_PENDING)
        return r;
    HANDLE id = *h;
    HANDLE t = CreateThread(NULL, 0, lookup_main, id, 0, NULL);
    if (t) {
        CloseHandle(t);
    } else {
        /* No thread: end the lookup here, cancelled, rather than never. */
        w2u_pe_GetAddrInfoExCancel((UINT64)(ULONG_PTR)&id, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        lookup_main(id);
    }
    SetLastError(WSA_IO_PENDING);
    return r;
}
