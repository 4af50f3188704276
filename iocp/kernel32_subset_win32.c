/* The kernel32 subset a native Win32 server calls besides Winsock and the
 * completion ports: process and thread ids, clocks, APCs, Sleep, threads,
 * events, waits and disk files, with Wine's headers.  Each converts
 * between Win32 types and iocp.h (whose thread, event and file objects
 * are what ports and overlapped I/O wait on). */
#include <windows.h>
#include <stdlib.h>

#include "iocp.h"
#include "iocp_win32.h"

/* Natively the process and thread ids are Linux's: what WSADuplicateSocket
 * and logs need from them. */
W2U_EXPORT DWORD WINAPI GetCurrentProcessId(void)
{
    return w2u_process_id();
}

/* Clocks, all CLOCK_MONOTONIC.  The performance counter runs at 10 MHz, the
 * frequency current Windows reports, so programs that assume it still work. */
#define QPC_HZ 10000000

W2U_EXPORT BOOL WINAPI QueryPerformanceFrequency(LARGE_INTEGER *freq)
{
    if (!freq) {
        SetLastError(ERROR_NOACCESS);
        return FALSE;
    }
    freq->QuadPart = QPC_HZ;
    return TRUE;
}

W2U_EXPORT BOOL WINAPI QueryPerformanceCounter(LARGE_INTEGER *count)
{
    if (!count) {
        SetLastError(ERROR_NOACCESS);
        return FALSE;
    }
    count->QuadPart = w2u_now_ns() / (1000000000 / QPC_HZ);
    return TRUE;
}

W2U_EXPORT ULONGLONG WINAPI GetTickCount64(void)
{
    return (ULONGLONG)(w2u_now_ns() / 1000000);
}

W2U_EXPORT DWORD WINAPI GetTickCount(void)
{
    return (DWORD)GetTickCount64();     /* wraps after 49.7 days, as Windows' */
}

W2U_EXPORT DWORD WINAPI GetCurrentThreadId(void)
{
    return w2u_thread_id();
}

/* The calling thread's pseudo-handle, as on Windows. */
W2U_EXPORT HANDLE WINAPI GetCurrentThread(void)
{
    return (HANDLE)~(ULONG_PTR)1;
}

/* A PAPCFUNC has the Windows calling convention; iocp/ calls plain C. */
struct apc_call {
    PAPCFUNC fn;
    ULONG_PTR data;
};

static void call_apc(uintptr_t arg)
{
    struct apc_call *c = (struct apc_call *)arg;
    c->fn(c->data);
    free(c);
}

/* Natively ws2uring knows only its own threads by pseudo-handle: an APC
 * for the calling thread (what completion-routine code needs) works, any
 * other handle is invalid. */
W2U_EXPORT DWORD WINAPI QueueUserAPC(PAPCFUNC fn, HANDLE thread, ULONG_PTR data)
{
    if (thread != GetCurrentThread()) {
        w2u_set_error(ERROR_INVALID_HANDLE);
        return 0;
    }
    struct apc_call *c = malloc(sizeof(*c));
    if (!fn || !c) {
        free(c);
        w2u_set_error(fn ? ERROR_NOT_ENOUGH_MEMORY : ERROR_INVALID_PARAMETER);
        return 0;
    }
    c->fn = fn;
    c->data = data;
    if (iocp_queue_user_apc(call_apc, (uintptr_t)c) != W2U_STATUS_SUCCESS) {
        free(c);
        w2u_set_error(ERROR_NOT_ENOUGH_MEMORY);
        return 0;
    }
    return 1;
}

W2U_EXPORT void WINAPI Sleep(DWORD ms)
{
    SleepEx(ms, FALSE);
}

/* ---- threads, events and waits (the kernel32 subset Win32 servers use) ---------------------- */

W2U_EXPORT HANDLE WINAPI CreateThread(SECURITY_ATTRIBUTES *sa, SIZE_T stack, LPTHREAD_START_ROUTINE fn,
                                      void *arg, DWORD flags, DWORD *tid)
{
    uintptr_t h;
    uint32_t id;
    (void)sa;
    (void)stack;
    if (flags & CREATE_SUSPENDED) {
        w2u_log("CreateThread with CREATE_SUSPENDED is not implemented yet");
        w2u_set_error(ERROR_NOT_SUPPORTED);
        return NULL;
    }
    uint32_t status = iocp_thread_create((iocp_thread_start)fn, arg, &h, &id);
    if (status != W2U_STATUS_SUCCESS) {
        fail(status);
        return NULL;
    }
    if (tid)
        *tid = id;
    return (HANDLE)h;
}

W2U_EXPORT BOOL WINAPI GetExitCodeThread(HANDLE thread, DWORD *code)
{
    uint32_t c;
    if (!code)
        return fail(W2U_STATUS_INVALID_PARAMETER);
    uint32_t status = iocp_thread_exit_code((uintptr_t)thread, &c);
    if (status != W2U_STATUS_SUCCESS)
        return fail(status);
    *code = c;
    return TRUE;
}

/* Named events would need a namespace ws2uring does not have natively. */
static HANDLE create_event(BOOL manual, BOOL initial, bool named)
{
    uintptr_t h;
    if (named) {
        w2u_set_error(ERROR_NOT_SUPPORTED);
        return NULL;
    }
    uint32_t status = iocp_event_create(manual != 0, initial != 0, &h);
    if (status != W2U_STATUS_SUCCESS) {
        fail(status);
        return NULL;
    }
    return (HANDLE)h;
}

W2U_EXPORT HANDLE WINAPI CreateEventA(SECURITY_ATTRIBUTES *sa, BOOL manual, BOOL initial, LPCSTR name)
{
    (void)sa;
    return create_event(manual, initial, name != NULL);
}

W2U_EXPORT HANDLE WINAPI CreateEventW(SECURITY_ATTRIBUTES *sa, BOOL manual, BOOL initial, LPCWSTR name)
{
    (void)sa;
    return create_event(manual, initial, name != NULL);
}

W2U_EXPORT BOOL WINAPI SetEvent(HANDLE e)
{
    uint32_t status = iocp_event_set((uintptr_t)e);
    return status == W2U_STATUS_SUCCESS ? TRUE : fail(status);
}

W2U_EXPORT BOOL WINAPI ResetEvent(HANDLE e)
{
    uint32_t status = iocp_event_reset((uintptr_t)e);
    return status == W2U_STATUS_SUCCESS ? TRUE : fail(status);
}

W2U_EXPORT DWORD WINAPI WaitForMultipleObjectsEx(DWORD count, const HANDLE *handles, BOOL all, DWORD ms,
                                                 BOOL alertable)
{
    uintptr_t evs[MAXIMUM_WAIT_OBJECTS];
    unsigned index;
    if (!count || count > MAXIMUM_WAIT_OBJECTS || !handles) {
        w2u_set_error(ERROR_INVALID_PARAMETER);
        return WAIT_FAILED;
    }
    for (DWORD i = 0; i < count; i++)
        if (!(evs[i] = iocp_waitable_event((uintptr_t)handles[i]))) {
            /* One handle that joins ports (a SOCKET): signalled while no
             * operation started since its last completion.  (Not yet
             * among others.) */
            uint32_t st = count == 1 ? iocp_handle_wait((uintptr_t)handles[0], deadline(ms))
                                     : W2U_STATUS_INVALID_HANDLE;
            if (st == W2U_STATUS_SUCCESS || st == W2U_STATUS_TIMEOUT)
                return st == W2U_STATUS_SUCCESS ? WAIT_OBJECT_0 : WAIT_TIMEOUT;
            w2u_set_error(ERROR_INVALID_HANDLE);
            return WAIT_FAILED;
        }
    switch (iocp_event_wait_many(evs, count, all != 0, deadline(ms), alertable != 0, &index)) {
    case W2U_STATUS_SUCCESS:  return WAIT_OBJECT_0 + index;
    case W2U_STATUS_TIMEOUT:  return WAIT_TIMEOUT;
    case W2U_STATUS_USER_APC: return WAIT_IO_COMPLETION;
    default:
        w2u_set_error(ERROR_INVALID_HANDLE);
        return WAIT_FAILED;
    }
}

W2U_EXPORT DWORD WINAPI WaitForMultipleObjects(DWORD count, const HANDLE *handles, BOOL all, DWORD ms)
{
    return WaitForMultipleObjectsEx(count, handles, all, ms, FALSE);
}

W2U_EXPORT DWORD WINAPI WaitForSingleObjectEx(HANDLE h, DWORD ms, BOOL alertable)
{
    return WaitForMultipleObjectsEx(1, &h, FALSE, ms, alertable);
}

W2U_EXPORT DWORD WINAPI WaitForSingleObject(HANDLE h, DWORD ms)
{
    return WaitForMultipleObjectsEx(1, &h, FALSE, ms, FALSE);
}

/* ---- disk files ------------------------------------------------------------------------------ */

static HANDLE create_file(const char *path, DWORD access, DWORD disposition)
{
    uintptr_t h;
    uint32_t err = iocp_file_open(path, access, disposition, &h);
    if (err) {
        w2u_set_error(err);
        return INVALID_HANDLE_VALUE;
    }
    w2u_set_error(0);
    return (HANDLE)h;
}

/* Sharing, attributes and templates have no meaning for a Linux file
 * descriptor; paths are Linux paths. */
W2U_EXPORT HANDLE WINAPI CreateFileA(LPCSTR name, DWORD access, DWORD share, SECURITY_ATTRIBUTES *sa,
                                     DWORD disposition, DWORD attributes, HANDLE tmpl)
{
    (void)share, (void)sa, (void)attributes, (void)tmpl;
    return create_file(name, access, disposition);
}

W2U_EXPORT HANDLE WINAPI CreateFileW(LPCWSTR name, DWORD access, DWORD share, SECURITY_ATTRIBUTES *sa,
                                     DWORD disposition, DWORD attributes, HANDLE tmpl)
{
    (void)share, (void)sa, (void)attributes, (void)tmpl;
    if (!name) {
        w2u_set_error(ERROR_INVALID_PARAMETER);
        return INVALID_HANDLE_VALUE;
    }
    char *path = w2u_utf8_from_utf16(name);
    if (!path) {
        w2u_set_error(ERROR_NOT_ENOUGH_MEMORY);
        return INVALID_HANDLE_VALUE;
    }
    HANDLE h = create_file(path, access, disposition);
    free(path);
    return h;
}

/* A file call's Win32 error (0: none) as its BOOL result. */
static BOOL file_result(uint32_t err)
{
    if (err)
        w2u_set_error(err);
    return err == 0;
}

/* Synchronous only: an OVERLAPPED file read is not implemented natively. */
static BOOL file_rw(HANDLE file, void *buf, DWORD n, DWORD *done, OVERLAPPED *ov, bool writing)
{
    if (ov) {
        w2u_set_error(ERROR_NOT_SUPPORTED);
        return FALSE;
    }
    uint32_t got = 0;
    uint32_t err = writing ? iocp_file_write((uintptr_t)file, buf, n, &got)
                           : iocp_file_read((uintptr_t)file, buf, n, &got);
    if (done)
        *done = got;
    return file_result(err);
}

W2U_EXPORT BOOL WINAPI ReadFile(HANDLE file, void *buf, DWORD n, DWORD *done, OVERLAPPED *ov)
{
    return file_rw(file, buf, n, done, ov, false);
}

W2U_EXPORT BOOL WINAPI WriteFile(HANDLE file, const void *buf, DWORD n, DWORD *done, OVERLAPPED *ov)
{
    return file_rw(file, (void *)buf, n, done, ov, true);
}

W2U_EXPORT BOOL WINAPI GetFileSizeEx(HANDLE file, LARGE_INTEGER *size)
{
    uint64_t n;
    uint32_t err = size ? iocp_file_size((uintptr_t)file, &n) : ERROR_INVALID_PARAMETER;
    if (!err)
        size->QuadPart = (LONGLONG)n;
    return file_result(err);
}

W2U_EXPORT BOOL WINAPI SetFilePointerEx(HANDLE file, LARGE_INTEGER distance, LARGE_INTEGER *pos,
                                        DWORD method)
{
    uint64_t at;
    uint32_t err = iocp_file_seek((uintptr_t)file, distance.QuadPart, method, &at);
    if (!err && pos)
        pos->QuadPart = (LONGLONG)at;
    return file_result(err);
}
