/*
 * The networking half of wine_doors.exe, as a DLL of its own (the common
 * layout of a server.exe and its network.dll): every kernel32 call here is
 * this DLL's import, or looked up with GetProcAddress, or ntdll's Nt* call
 * itself, never the main module's import.  Under ws2uring each must reach
 * ws2uring's sockets and ports all the same.  One line per check; returns
 * the number of failures.
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <stdio.h>
#include <string.h>

#include "wine_check.h"

typedef LONG NTSTATUS;
typedef struct {
    union {
        NTSTATUS Status;
        void *Pointer;
    };
    ULONG_PTR Information;
} IO_STATUS_BLOCK;

static struct sockaddr_in where;
static SOCKET listener;

/* An overlapped socket connected to the listener, and its peer. */
static int connected_pair(SOCKET *a, SOCKET *c)
{
    *a = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    *c = !connect(*a, (struct sockaddr *)&where, sizeof(where)) ? accept(listener, NULL, NULL) : INVALID_SOCKET;
    check(*c != INVALID_SOCKET, "dll-connection", "a connection to the listener");
    return *c != INVALID_SOCKET;
}

static void close_pair(SOCKET a, SOCKET c)
{
    closesocket(a);
    closesocket(c);
}

/* Waits until s has n bytes to read, so that the next receive completes in
 * the call that starts it. */
static int readable(SOCKET s, u_long n)
{
    u_long have = 0;
    for (int i = 0; i < 500; i++) {
        if (!ioctlsocket(s, FIONREAD, &have) && have >= n)
            return 1;
        Sleep(10);
    }
    return 0;
}

/* A port made, joined and drained by this DLL's own imports: the echo of
 * one overlapped send and receive. */
static void dll_port(SOCKET a, SOCKET c)
{
    char buf[16];
    WSABUF rb = { sizeof(buf), buf }, sb = { 5, "hello" };
    DWORD flags = 0, bytes = 0;
    ULONG_PTR key = 0;
    OVERLAPPED rov = { 0 }, sov = { 0 }, *got = NULL;
    HANDLE p = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    int ok = p && CreateIoCompletionPort((HANDLE)a, p, 11, 0) == p &&
             (!WSARecv(a, &rb, 1, NULL, &flags, &rov, NULL) || WSAGetLastError() == WSA_IO_PENDING) &&
             (!WSASend(c, &sb, 1, NULL, 0, &sov, NULL) || WSAGetLastError() == WSA_IO_PENDING) &&
             GetQueuedCompletionStatus(p, &bytes, &key, &got, 5000) && got == &rov && key == 11 && bytes == 5 &&
             !memcmp(buf, "hello", 5);
    check(ok, "dll-port", "a DLL's CreateIoCompletionPort and GetQueuedCompletionStatus on a SOCKET");
    CloseHandle(p);
}

/* SetFileCompletionNotificationModes from GetProcAddress (as Go's runtime
 * gets it): a receive that completes at once queues no packet, and the
 * next packet is the next operation's. */
static void skip_on_success(SOCKET a, SOCKET c)
{
    BOOL (WINAPI *set_modes)(HANDLE, UCHAR) = (BOOL (WINAPI *)(HANDLE, UCHAR))(void *)GetProcAddress(
        GetModuleHandleA("kernel32.dll"), "SetFileCompletionNotificationModes");
    char buf[16];
    WSABUF rb = { sizeof(buf), buf };
    DWORD flags = 0, bytes = 0, now = 0;
    ULONG_PTR key = 0;
    OVERLAPPED ov = { 0 }, ov2 = { 0 }, *got = NULL;
    HANDLE p = CreateIoCompletionPort((HANDLE)a, NULL, 12, 0);
    int ok = p && set_modes && set_modes((HANDLE)a, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS) &&
             send(c, "ready", 5, 0) == 5 && readable(a, 5) && !WSARecv(a, &rb, 1, &now, &flags, &ov, NULL) &&
             now == 5;
    BOOL stale = GetQueuedCompletionStatus(p, &bytes, &key, &got, 200);
    DWORD error = GetLastError();
    ok = ok && !stale && error == WAIT_TIMEOUT && !got &&
         WSARecv(a, &rb, 1, NULL, &flags, &ov2, NULL) == SOCKET_ERROR && WSAGetLastError() == WSA_IO_PENDING &&
         send(c, "later", 5, 0) == 5 && GetQueuedCompletionStatus(p, &bytes, &key, &got, 5000) && got == &ov2 &&
         bytes == 5 && key == 12;
    printf("# dll-skip-on-success: now %lu stale %d error %lu\n", now, stale, error);
    check(ok, "dll-skip-on-success",
          "FILE_SKIP_COMPLETION_PORT_ON_SUCCESS from GetProcAddress: no packet for a receive done at once");
    CloseHandle(p);
}

/* CancelIoEx from GetProcAddress on a pending receive. */
static void cancel_by_lookup(SOCKET a)
{
    BOOL (WINAPI *cancel)(HANDLE, OVERLAPPED *) = (BOOL (WINAPI *)(HANDLE, OVERLAPPED *))(void *)GetProcAddress(
        GetModuleHandleA("kernel32.dll"), "CancelIoEx");
    char buf[16];
    WSABUF rb = { sizeof(buf), buf };
    DWORD flags = 0, bytes = 0;
    ULONG_PTR key = 0;
    OVERLAPPED ov = { 0 }, other = { 0 }, *got = NULL;
    HANDLE p = CreateIoCompletionPort((HANDLE)a, NULL, 13, 0);
    int ok = p && cancel && WSARecv(a, &rb, 1, NULL, &flags, &ov, NULL) == SOCKET_ERROR &&
             WSAGetLastError() == WSA_IO_PENDING && !cancel((HANDLE)a, &other) && GetLastError() == ERROR_NOT_FOUND &&
             cancel((HANDLE)a, &ov);
    BOOL done = GetQueuedCompletionStatus(p, &bytes, &key, &got, 5000);
    DWORD error = GetLastError();
    printf("# dll-cancelioex: ok %d done %d error %lu\n", ok, done, error);
    check(ok && !done && got == &ov && key == 13 && error == ERROR_OPERATION_ABORTED, "dll-cancelioex",
          "CancelIoEx from GetProcAddress: ERROR_NOT_FOUND for another OVERLAPPED, the receive aborted on the port");
    CloseHandle(p);
}

/* ReadFile and WriteFile, synchronous and overlapped, on SOCKETs. */
static void read_write(SOCKET a, SOCKET c)
{
    char buf[16] = { 0 };
    DWORD put = 0, got = 0, bytes = 0;
    ULONG_PTR key = 0;
    OVERLAPPED ov = { 0 }, *done = NULL;
    int sync = WriteFile((HANDLE)c, "sync", 4, &put, NULL) && put == 4 &&
               ReadFile((HANDLE)a, buf, sizeof(buf), &got, NULL) && got == 4 && !memcmp(buf, "sync", 4);
    check(sync, "dll-readfile-sync", "WriteFile and ReadFile without an OVERLAPPED on SOCKETs");
    HANDLE p = CreateIoCompletionPort((HANDLE)a, NULL, 14, 0);
    BOOL r = ReadFile((HANDLE)a, buf, sizeof(buf), NULL, &ov);
    DWORD error = GetLastError();
    int ok = p && !r && error == ERROR_IO_PENDING && WriteFile((HANDLE)c, "async", 5, &put, NULL) &&
             GetQueuedCompletionStatus(p, &bytes, &key, &done, 5000) && done == &ov && bytes == 5 && key == 14 &&
             !memcmp(buf, "async", 5) && GetOverlappedResult((HANDLE)a, &ov, &got, FALSE) && got == 5;
    printf("# dll-readfile-overlapped: r %d error %lu bytes %lu\n", r, error, bytes);
    check(ok, "dll-readfile-overlapped", "an overlapped ReadFile on a SOCKET completes on its port");
    CloseHandle(p);
}

static volatile LONG readex_calls;
static DWORD readex_error = 99, readex_bytes;

static void CALLBACK readex_done(DWORD error, DWORD bytes, OVERLAPPED *ov)
{
    (void)ov;
    readex_error = error;
    readex_bytes = bytes;
    InterlockedIncrement(&readex_calls);
}

/* ReadFileEx (an NT read with an APC) and NtReadFile with an event and a
 * status block of its own, on a SOCKET. */
static void read_nt_shapes(SOCKET a, SOCKET c)
{
    char buf[16] = { 0 };
    OVERLAPPED ov = { 0 };
    int ok = ReadFileEx((HANDLE)a, buf, sizeof(buf), &ov, readex_done) && send(c, "readex", 6, 0) == 6 &&
             SleepEx(5000, TRUE) == WAIT_IO_COMPLETION && readex_calls == 1 && readex_error == 0 && readex_bytes == 6 &&
             !memcmp(buf, "readex", 6);
    printf("# dll-readfileex: calls %ld error %lu bytes %lu\n", (long)readex_calls, readex_error, readex_bytes);
    check(ok, "dll-readfileex", "ReadFileEx on a SOCKET runs its routine in SleepEx");
    NTSTATUS (WINAPI *read)(HANDLE, HANDLE, void *, void *, IO_STATUS_BLOCK *, void *, ULONG, LARGE_INTEGER *,
                            ULONG *) =
        (NTSTATUS (WINAPI *)(HANDLE, HANDLE, void *, void *, IO_STATUS_BLOCK *, void *, ULONG, LARGE_INTEGER *,
                             ULONG *))(void *)GetProcAddress(GetModuleHandleA("ntdll.dll"), "NtReadFile");
    HANDLE event = CreateEventW(NULL, TRUE, FALSE, NULL);
    IO_STATUS_BLOCK io;
    memset(&io, 0xcc, sizeof(io));
    NTSTATUS r = read ? read((HANDLE)a, event, NULL, NULL, &io, buf, sizeof(buf), NULL, NULL) : -1;
    ok = r == 0x103 && send(c, "ntread", 6, 0) == 6 && WaitForSingleObject(event, 5000) == WAIT_OBJECT_0 &&
         io.Status == 0 && io.Information == 6 && !memcmp(buf, "ntread", 6);
    printf("# dll-ntreadfile-event: r %#lx status %#lx info %lu\n", (unsigned long)r, (unsigned long)io.Status,
           (unsigned long)io.Information);
    check(ok, "dll-ntreadfile-event", "NtReadFile on a SOCKET with an event and its own status block");
    CloseHandle(event);
}

/* A DuplicateHandle copy of a SOCKET is the same file for the I/O
 * manager (WriteFile on it sends on the connection) but no socket to
 * Winsock (send: WSAENOTSOCK), as on Windows; closing it ends nothing.  A
 * WSADuplicateSocket copy is the same socket; the pending receive ends
 * when the last of them closes. */
static void duplicates(SOCKET a, SOCKET c)
{
    HANDLE copy = NULL;
    char buf[16];
    WSABUF rb = { sizeof(buf), buf };
    DWORD flags = 0, bytes = 0, put = 0;
    ULONG_PTR key = 0;
    OVERLAPPED ov = { 0 }, *got = NULL;
    HANDLE p = CreateIoCompletionPort((HANDLE)a, NULL, 41, 0);
    int copied = p && DuplicateHandle(GetCurrentProcess(), (HANDLE)a, GetCurrentProcess(), &copy, 0, FALSE,
                                      DUPLICATE_SAME_ACCESS);
    int sent = copied ? send((SOCKET)copy, "dup", 3, 0) : 0;
    int why = WSAGetLastError();
    int ok = copied && sent == SOCKET_ERROR && why == WSAENOTSOCK && WriteFile(copy, "dup", 3, &put, NULL) && put == 3 &&
             recv(c, buf, sizeof(buf), 0) == 3 &&
             WSARecv(a, &rb, 1, NULL, &flags, &ov, NULL) == SOCKET_ERROR && WSAGetLastError() == WSA_IO_PENDING &&
             CloseHandle(copy);
    BOOL early = GetQueuedCompletionStatus(p, &bytes, &key, &got, 200);
    DWORD error = GetLastError();
    ok = ok && !early && error == WAIT_TIMEOUT && send(a, "still", 5, 0) == 5;
    printf("# dll-duplicatehandle: copied %d sent %d (error %d) early %d error %lu\n", copied, sent, why, early, error);
    check(ok, "dll-duplicatehandle",
          "a DuplicateHandle copy of a SOCKET writes like it, is no socket to send, and closing it ends nothing");
    WSAPROTOCOL_INFOA info;
    SOCKET dup = WSADuplicateSocketA(a, GetCurrentProcessId(), &info) ? INVALID_SOCKET
                                                                      : WSASocketA(0, 0, 0, &info, 0, WSA_FLAG_OVERLAPPED);
    ok = dup != INVALID_SOCKET && !closesocket(dup) && !GetQueuedCompletionStatus(p, &bytes, &key, &got, 200) &&
         GetLastError() == WAIT_TIMEOUT && !closesocket(a);
    BOOL done = GetQueuedCompletionStatus(p, &bytes, &key, &got, 5000);
    error = GetLastError();
    ok = ok && !done && got == &ov && key == 41 && error == ERROR_OPERATION_ABORTED;
    printf("# dll-wsaduplicatesocket: done %d error %lu\n", done, error);
    check(ok, "dll-wsaduplicatesocket", "a WSADuplicateSocket copy too; the receive ends with the last name");
    CloseHandle(p);
}

/* A DuplicateHandle copy joined to a port in the SOCKET's stead: a
 * ReadFile on the copy completes there with the copy's key, as on
 * Windows, where both name one file object.  (In ws2uring's compatible
 * mode the port is Wine's, and the completion goes there through
 * wineserver.) */
static void duplicate_on_port(SOCKET a, SOCKET c)
{
    HANDLE copy = NULL, p = NULL;
    char buf[16];
    DWORD bytes = 0;
    ULONG_PTR key = 0;
    OVERLAPPED ov = { 0 }, *got = NULL;
    int ok = DuplicateHandle(GetCurrentProcess(), (HANDLE)a, GetCurrentProcess(), &copy, 0, FALSE,
                             DUPLICATE_SAME_ACCESS) &&
             (p = CreateIoCompletionPort(copy, NULL, 43, 0)) && !ReadFile(copy, buf, sizeof(buf), NULL, &ov) &&
             GetLastError() == ERROR_IO_PENDING && send(c, "port", 4, 0) == 4;
    BOOL done = ok && GetQueuedCompletionStatus(p, &bytes, &key, &got, 5000);
    printf("# dll-duplicatehandle-port: ok %d done %d key %lu bytes %lu\n", ok, done, (unsigned long)key, bytes);
    check(done && key == 43 && got == &ov && bytes == 4 && !memcmp(buf, "port", 4), "dll-duplicatehandle-port",
          "a DuplicateHandle copy joined to a port: a ReadFile on it completes there with its key");
    if (copy)
        CloseHandle(copy);
    if (p)
        CloseHandle(p);
}

/* WaitForMultipleObjects on an event and a SOCKET: the SOCKET's index
 * once its pending receive completes; the lowest index when both are. */
static void wait_mixed(SOCKET a, SOCKET c)
{
    char buf[16];
    WSABUF rb = { sizeof(buf), buf };
    DWORD flags = 0, got = 0;
    OVERLAPPED ov = { 0 };
    HANDLE event = CreateEventW(NULL, TRUE, FALSE, NULL);
    HANDLE both[2] = { event, (HANDLE)a };
    int ok = WSARecv(a, &rb, 1, NULL, &flags, &ov, NULL) == SOCKET_ERROR && WSAGetLastError() == WSA_IO_PENDING;
    DWORD before = WaitForMultipleObjects(2, both, FALSE, 50);
    ok = ok && send(c, "mixed", 5, 0) == 5;
    DWORD after = WaitForMultipleObjects(2, both, FALSE, 5000);
    SetEvent(event);
    DWORD lowest = WaitForMultipleObjects(2, both, FALSE, 0);
    DWORD all = WaitForMultipleObjects(2, both, TRUE, 1000);
    printf("# dll-wait-mixed: before %lu after %lu lowest %lu all %lu\n", before, after, lowest, all);
    check(ok && before == WAIT_TIMEOUT && after == WAIT_OBJECT_0 + 1 && lowest == WAIT_OBJECT_0 &&
              all == WAIT_OBJECT_0 && GetOverlappedResult((HANDLE)a, &ov, &got, FALSE) && got == 5,
          "dll-wait-mixed", "WaitForMultipleObjects on an event and a SOCKET");
    CloseHandle(event);
}

static volatile LONG apc_runs;

static void CALLBACK count_apc(ULONG_PTR arg)
{
    (void)arg;
    InterlockedIncrement(&apc_runs);
}

/* Packets posted through kernel32 and through ntdll, taken through both;
 * an alertable GetQueuedCompletionStatusEx runs the thread's APC. */
static void packets(void)
{
    HMODULE ntdll = GetModuleHandleA("ntdll.dll");
    NTSTATUS (WINAPI *set_completion)(HANDLE, ULONG_PTR, ULONG_PTR, NTSTATUS, SIZE_T) =
        (NTSTATUS (WINAPI *)(HANDLE, ULONG_PTR, ULONG_PTR, NTSTATUS, SIZE_T))(void *)GetProcAddress(
            ntdll, "NtSetIoCompletion");
    NTSTATUS (WINAPI *remove)(HANDLE, ULONG_PTR *, ULONG_PTR *, IO_STATUS_BLOCK *, LARGE_INTEGER *) =
        (NTSTATUS (WINAPI *)(HANDLE, ULONG_PTR *, ULONG_PTR *, IO_STATUS_BLOCK *, LARGE_INTEGER *))(void *)
            GetProcAddress(ntdll, "NtRemoveIoCompletion");
    HANDLE p = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    OVERLAPPED ov = { 0 }, *got = NULL;
    DWORD bytes = 0;
    ULONG_PTR key = 0, value = 0;
    IO_STATUS_BLOCK io = { { 0 }, 0 };
    LARGE_INTEGER no_wait = { { 0, 0 } };
    /* STATUS_CONNECTION_RESET, as a completion of the program's own. */
    int ok = p && set_completion && remove && !set_completion(p, 21, (ULONG_PTR)&ov, (NTSTATUS)0xC000020D, 7);
    BOOL r = ok && GetQueuedCompletionStatus(p, &bytes, &key, &got, 1000);
    DWORD error = GetLastError();
    ok = ok && !r && error == ERROR_NETNAME_DELETED && got == &ov && key == 21 && bytes == 7;
    printf("# dll-ntsetiocompletion: r %d error %lu bytes %lu\n", r, error, bytes);
    check(ok, "dll-ntsetiocompletion", "NtSetIoCompletion's status reaches GetQueuedCompletionStatus");
    NTSTATUS empty = remove ? remove(p, &key, &value, &io, &no_wait) : -1;
    ok = PostQueuedCompletionStatus(p, 9, 22, &ov) && remove && !remove(p, &key, &value, &io, NULL) && key == 22 &&
         value == (ULONG_PTR)&ov && io.Status == 0 && io.Information == 9;
    printf("# dll-ntremoveiocompletion: empty %#lx key %lu info %lu\n", (unsigned long)empty, (unsigned long)key,
           (unsigned long)io.Information);
    check(ok && empty == 0x102, "dll-ntremoveiocompletion",
          "NtRemoveIoCompletion: STATUS_TIMEOUT when empty, then the posted packet");
    OVERLAPPED_ENTRY e[2];
    ULONG n = 0;
    ok = QueueUserAPC(count_apc, GetCurrentThread(), 0) &&
         !GetQueuedCompletionStatusEx(p, e, 2, &n, 5000, TRUE) && GetLastError() == WAIT_IO_COMPLETION && apc_runs == 1;
    check(ok, "dll-gqcsex-alertable", "an alertable GetQueuedCompletionStatusEx runs the thread's APC");
    CloseHandle(p);
}

/* \Device\Afd's poll, laid out as mio (Rust's tokio) and libuv lay it out. */
#define IOCTL_AFD_POLL 0x00012024
struct afd_poll_info {
    LARGE_INTEGER timeout;
    ULONG count;
    ULONG exclusive;
    struct {
        HANDLE socket;
        ULONG events;
        NTSTATUS status;
    } handles[1];
};
#define AFD_POLL_READ    0x0001
#define AFD_POLL_WRITE   0x0004
#define AFD_POLL_CONNECT 0x0040
typedef struct {
    USHORT Length, MaximumLength;
    WCHAR *Buffer;
} NT_STRING;
typedef struct {
    ULONG Length;
    HANDLE RootDirectory;
    NT_STRING *ObjectName;
    ULONG Attributes;
    void *SecurityDescriptor, *SecurityQualityOfService;
} NT_ATTRIBUTES;
typedef NTSTATUS (WINAPI *ioctl_fn)(HANDLE, HANDLE, void *, void *, IO_STATUS_BLOCK *, ULONG, void *, ULONG, void *,
                                    ULONG);

static ioctl_fn nt_ioctl(void)
{
    return (ioctl_fn)(void *)GetProcAddress(GetModuleHandleA("ntdll.dll"), "NtDeviceIoControlFile");
}

/* mio's way: an AFD handle of its own, on the program's port, polls a
 * SOCKET; the answer comes as a packet whose value is the poll's context. */
static void afd_poll_own_handle(SOCKET a, SOCKET c)
{
    NTSTATUS (WINAPI *open_file)(HANDLE *, ACCESS_MASK, NT_ATTRIBUTES *, IO_STATUS_BLOCK *, ULONG, ULONG) =
        (NTSTATUS (WINAPI *)(HANDLE *, ACCESS_MASK, NT_ATTRIBUTES *, IO_STATUS_BLOCK *, ULONG, ULONG))(void *)
            GetProcAddress(GetModuleHandleA("ntdll.dll"), "NtOpenFile");
    static WCHAR name[] = L"\\Device\\Afd\\Mio";
    NT_STRING path = { sizeof(name) - sizeof(WCHAR), sizeof(name), name };
    NT_ATTRIBUTES attr = { sizeof(attr), NULL, &path, 0, NULL, NULL };
    IO_STATUS_BLOCK io = { { 0 }, 0 }, iosb;
    HANDLE afd = NULL;
    int ok = open_file && !open_file(&afd, SYNCHRONIZE, &attr, &io, FILE_SHARE_READ | FILE_SHARE_WRITE, 0);
    HANDLE p = ok ? CreateIoCompletionPort(afd, NULL, 31, 0) : NULL;
    struct afd_poll_info info = { .count = 1 };
    info.timeout.QuadPart = 0x7fffffffffffffffLL;
    info.handles[0].socket = (HANDLE)a;
    info.handles[0].events = AFD_POLL_READ;
    static char context;                  /* what the packet names */
    NTSTATUS r = ok && p ? nt_ioctl()(afd, NULL, NULL, &context, &iosb, IOCTL_AFD_POLL, &info, sizeof(info), &info,
                                      sizeof(info))
                         : -1;
    OVERLAPPED_ENTRY e = { 0 };
    ULONG n = 0;
    ok = ok && p && r == 0x103 && send(c, "poll", 4, 0) == 4 && GetQueuedCompletionStatusEx(p, &e, 1, &n, 5000, FALSE) &&
         n == 1 && e.lpCompletionKey == 31 && e.lpOverlapped == (OVERLAPPED *)&context && iosb.Status == 0 &&
         info.count == 1 && info.handles[0].socket == (HANDLE)a && info.handles[0].events == AFD_POLL_READ;
    printf("# afd-poll-own-handle: r %#lx count %lu events %#lx\n", (unsigned long)r, info.count,
           info.handles[0].events);
    check(ok, "afd-poll-own-handle", "IOCTL_AFD_POLL on an AFD handle of the program's, answered on its port");
    if (p)
        CloseHandle(p);
    if (afd)
        CloseHandle(afd);
}

/* A DuplicateHandle copy in a poll is polled as its socket and answered
 * under its own handle, as afd.sys answers it. */
static void afd_poll_copy(SOCKET a, SOCKET c)
{
    HANDLE copy = NULL, event = CreateEventW(NULL, TRUE, FALSE, NULL);
    IO_STATUS_BLOCK iosb;
    struct afd_poll_info info = { .count = 1 };
    info.timeout.QuadPart = 0x7fffffffffffffffLL;
    info.handles[0].events = AFD_POLL_READ;
    int ok = DuplicateHandle(GetCurrentProcess(), (HANDLE)a, GetCurrentProcess(), &copy, 0, FALSE,
                             DUPLICATE_SAME_ACCESS) && send(c, "copy", 4, 0) == 4;
    Sleep(50);
    info.handles[0].socket = copy;
    NTSTATUS r = ok ? nt_ioctl()(copy, event, NULL, NULL, &iosb, IOCTL_AFD_POLL, &info, sizeof(info), &info,
                                 sizeof(info))
                    : -1;
    if (r == 0x103)
        WaitForSingleObject(event, 5000);
    ok = ok && (r == 0 || r == 0x103) && iosb.Status == 0 && info.count == 1 && info.handles[0].socket == copy &&
         (info.handles[0].events & AFD_POLL_READ);
    printf("# afd-poll-copy: r %#lx count %lu events %#lx\n", (unsigned long)r, info.count, info.handles[0].events);
    check(ok, "afd-poll-copy", "IOCTL_AFD_POLL of a DuplicateHandle copy: readable, answered under the copy");
    if (copy)
        CloseHandle(copy);
    CloseHandle(event);             /* (afd_poll_socket reads what was sent) */
}

/* libuv's way: the poll on the SOCKET itself, with an event; answered at
 * once when the socket is ready; CancelIoEx ends one that waits. */
static void afd_poll_socket(SOCKET a)
{
    HANDLE event = CreateEventW(NULL, TRUE, FALSE, NULL);
    IO_STATUS_BLOCK iosb;
    struct afd_poll_info info = { .count = 1 };
    info.timeout.QuadPart = 0x7fffffffffffffffLL;
    info.handles[0].socket = (HANDLE)a;
    info.handles[0].events = AFD_POLL_WRITE | AFD_POLL_CONNECT;
    NTSTATUS now = nt_ioctl()((HANDLE)a, event, NULL, NULL, &iosb, IOCTL_AFD_POLL, &info, sizeof(info), &info,
                              sizeof(info));
    int ok = now == 0 && iosb.Status == 0 && info.count == 1 &&
             info.handles[0].events == (AFD_POLL_WRITE | AFD_POLL_CONNECT) &&
             WaitForSingleObject(event, 0) == WAIT_OBJECT_0;
    check(ok, "afd-poll-socket-now", "IOCTL_AFD_POLL on a ready SOCKET answers at once and sets the event");
    ResetEvent(event);
    char buf[16];
    recv(a, buf, sizeof(buf), 0);           /* what afd_poll_own_handle and afd_poll_copy sent: nothing left */
    info.count = 1;
    info.handles[0].socket = (HANDLE)a;
    info.handles[0].events = AFD_POLL_READ;
    NTSTATUS r = nt_ioctl()((HANDLE)a, event, NULL, NULL, &iosb, IOCTL_AFD_POLL, &info, sizeof(info), &info,
                            sizeof(info));
    ok = r == 0x103 && CancelIoEx((HANDLE)a, (OVERLAPPED *)&iosb) && WaitForSingleObject(event, 5000) == WAIT_OBJECT_0 &&
         iosb.Status == (NTSTATUS)0xC0000120;
    printf("# afd-poll-cancel: r %#lx status %#lx\n", (unsigned long)r, (unsigned long)iosb.Status);
    check(ok, "afd-poll-cancel", "CancelIoEx ends a waiting IOCTL_AFD_POLL with STATUS_CANCELLED");
    CloseHandle(event);
}

/* afd.sys's receive and address requests, as Wine's own ws2_32 makes
 * them: IOCTL_AFD_RECV with AFD_RECV_FORCE_ASYNC and an event, then
 * IOCTL_AFD_GETSOCKNAME. */
#define IOCTL_AFD_RECV        0x00012017
#define IOCTL_AFD_GETSOCKNAME 0x0001202f
struct afd_recv_params {
    const WSABUF *buffers;
    unsigned count;
    int recv_flags, msg_flags;
};

static void afd_requests(SOCKET a, SOCKET c)
{
    char buf[16] = { 0 };
    WSABUF b = { sizeof(buf), buf };
    struct afd_recv_params p = { &b, 1, 0x2 /* AFD_RECV_FORCE_ASYNC */, 0x20 /* AFD_MSG_NOT_OOB */ };
    HANDLE event = CreateEventW(NULL, TRUE, FALSE, NULL);
    IO_STATUS_BLOCK io;
    memset(&io, 0xcc, sizeof(io));
    NTSTATUS r = nt_ioctl()((HANDLE)a, event, NULL, NULL, &io, IOCTL_AFD_RECV, &p, sizeof(p), NULL, 0);
    int untouched = io.Status == (NTSTATUS)0xcccccccc;
    int ok = r == 0x103 && untouched && send(c, "afdrecv", 7, 0) == 7 &&
             WaitForSingleObject(event, 5000) == WAIT_OBJECT_0 && io.Status == 0 && io.Information == 7 &&
             !memcmp(buf, "afdrecv", 7);
    printf("# afd-recv: r %#lx untouched %d status %#lx info %lu\n", (unsigned long)r, untouched,
           (unsigned long)io.Status, (unsigned long)io.Information);
    check(ok, "afd-recv", "IOCTL_AFD_RECV on a SOCKET: pending with its status block untouched, then the data");
    struct sockaddr_in name, want;
    int len = sizeof(want);
    memset(&io, 0xcc, sizeof(io));
    r = nt_ioctl()((HANDLE)a, NULL, NULL, NULL, &io, IOCTL_AFD_GETSOCKNAME, NULL, 0, &name, sizeof(name));
    ok = r == 0 && io.Status == 0 && io.Information == sizeof(name) && !getsockname(a, (struct sockaddr *)&want, &len) &&
         !memcmp(&name, &want, sizeof(name));
    check(ok, "afd-getsockname", "IOCTL_AFD_GETSOCKNAME gives getsockname's address");
    CloseHandle(event);
}

/* libuv's UDP receive on a base provider (SO_PROTOCOL_INFO's chain of
 * one): IOCTL_AFD_RECEIVE_DATAGRAM with the OVERLAPPED's Internal as the
 * status block and the OVERLAPPED as the port packet's value; the source
 * address is written at the end, and a datagram cut short is
 * STATUS_BUFFER_OVERFLOW with the part that fitted. */
#define IOCTL_AFD_RECEIVE_DATAGRAM 0x0001201b
struct afd_recv_datagram_params {
    struct afd_recv_params recv;
    struct sockaddr *from;
    int *fromlen;
};

static SOCKET bound_udp(struct sockaddr_in *at)
{
    SOCKET s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    int len = sizeof(*at);
    memset(at, 0, sizeof(*at));
    at->sin_family = AF_INET;
    at->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s != INVALID_SOCKET && (bind(s, (struct sockaddr *)at, sizeof(*at)) || getsockname(s, (struct sockaddr *)at, &len))) {
        closesocket(s);
        s = INVALID_SOCKET;
    }
    return s;
}

static void afd_recv_datagram(void)
{
    struct sockaddr_in to, sender, from;
    SOCKET u = bound_udp(&to), v = bound_udp(&sender);
    HANDLE port = CreateIoCompletionPort((HANDLE)u, NULL, 21, 0);
    char buf[16] = { 0 };
    WSABUF b = { sizeof(buf), buf };
    int fromlen = sizeof(from);
    struct afd_recv_datagram_params p = { { &b, 1, 0x2 /* AFD_OVERLAPPED */, 0x20 /* TDI_RECEIVE_NORMAL */ },
                                          (struct sockaddr *)&from, &fromlen };
    OVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    memset(&from, 0, sizeof(from));
    IO_STATUS_BLOCK *io = (IO_STATUS_BLOCK *)&ov.Internal;
    NTSTATUS r = nt_ioctl()((HANDLE)u, NULL, NULL, &ov, io, IOCTL_AFD_RECEIVE_DATAGRAM, &p, sizeof(p), NULL, 0);
    DWORD bytes = 0;
    ULONG_PTR key = 0;
    OVERLAPPED *got = NULL;
    int sent = sendto(v, "dgram", 5, 0, (struct sockaddr *)&to, sizeof(to)) == 5;
    BOOL done = GetQueuedCompletionStatus(port, &bytes, &key, &got, 5000);
    int ok = u != INVALID_SOCKET && v != INVALID_SOCKET && port && r == 0x103 && sent && done && got == &ov &&
             key == 21 && bytes == 5 && !memcmp(buf, "dgram", 5) && fromlen == sizeof(from) &&
             from.sin_port == sender.sin_port && from.sin_addr.s_addr == sender.sin_addr.s_addr;
    printf("# afd-recv-datagram: r %#lx done %d bytes %lu fromlen %d\n", (unsigned long)r, done, bytes, fromlen);
    check(ok, "afd-recv-datagram", "IOCTL_AFD_RECEIVE_DATAGRAM completes on the port with the source address");

    /* Cut short, at once: a datagram waits and the buffer holds 3 bytes. */
    b.len = 3;
    sent = sendto(v, "longer", 6, 0, (struct sockaddr *)&to, sizeof(to)) == 6;
    Sleep(50);
    memset(&ov, 0, sizeof(ov));
    r = nt_ioctl()((HANDLE)u, NULL, NULL, &ov, io, IOCTL_AFD_RECEIVE_DATAGRAM, &p, sizeof(p), NULL, 0);
    done = GetQueuedCompletionStatus(port, &bytes, &key, &got, 5000);
    ok = sent && r == (NTSTATUS)0x80000005 && io->Status == (NTSTATUS)0x80000005 && io->Information == 3 &&
         !memcmp(buf, "lon", 3) && !done && got == &ov && bytes == 3 && GetLastError() == ERROR_MORE_DATA;
    printf("# afd-recv-datagram-short: r %#lx status %#lx info %lu done %d error %lu\n", (unsigned long)r,
           (unsigned long)io->Status, (unsigned long)io->Information, done, GetLastError());
    check(ok, "afd-recv-datagram-short", "a datagram cut short is STATUS_BUFFER_OVERFLOW with what fitted");

    /* Without AFD_OVERLAPPED a non-blocking socket fails instead of waiting. */
    u_long one = 1;
    p.recv.recv_flags = 0;
    memset(&ov, 0xcc, sizeof(ov));
    r = ioctlsocket(u, FIONBIO, &one) ? -1 :
        nt_ioctl()((HANDLE)u, NULL, NULL, &ov, io, IOCTL_AFD_RECEIVE_DATAGRAM, &p, sizeof(p), NULL, 0);
    check(r == (NTSTATUS)0xc00000a3 && io->Status == (NTSTATUS)0xcccccccc, "afd-recv-datagram-nonblocking",
          "without AFD_OVERLAPPED a non-blocking socket answers STATUS_DEVICE_NOT_READY");
    closesocket(u);
    closesocket(v);
    CloseHandle(port);
}

__declspec(dllexport) int WINAPI net_checks(void)
{
    WSADATA d;
    int len = sizeof(where);
    WSAStartup(MAKEWORD(2, 2), &d);
    listener = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    memset(&where, 0, sizeof(where));
    where.sin_family = AF_INET;
    where.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    check(!bind(listener, (struct sockaddr *)&where, sizeof(where)) && !listen(listener, 8) &&
          !getsockname(listener, (struct sockaddr *)&where, &len), "dll-listener", "a listening socket");
    SOCKET a, c;
    if (connected_pair(&a, &c)) {
        dll_port(a, c);
        close_pair(a, c);
    }
    if (connected_pair(&a, &c)) {
        skip_on_success(a, c);
        close_pair(a, c);
    }
    if (connected_pair(&a, &c)) {
        cancel_by_lookup(a);
        close_pair(a, c);
    }
    if (connected_pair(&a, &c)) {
        read_write(a, c);
        close_pair(a, c);
    }
    if (connected_pair(&a, &c)) {
        read_nt_shapes(a, c);
        close_pair(a, c);
    }
    if (connected_pair(&a, &c)) {
        wait_mixed(a, c);
        close_pair(a, c);
    }
    if (connected_pair(&a, &c)) {
        duplicate_on_port(a, c);
        close_pair(a, c);
    }
    if (connected_pair(&a, &c)) {
        duplicates(a, c);             /* closes a */
        closesocket(c);
    }
    if (connected_pair(&a, &c)) {
        afd_requests(a, c);
        close_pair(a, c);
    }
    afd_recv_datagram();
    if (connected_pair(&a, &c)) {
        afd_poll_own_handle(a, c);
        afd_poll_copy(a, c);
        afd_poll_socket(a);
        close_pair(a, c);
    }
    packets();
    closesocket(listener);
    WSACleanup();
    return failures;
}
