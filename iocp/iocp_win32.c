/* The native Win32 surface of iocp/: kernel32's completion-port family,
 * CloseHandle, SleepEx and the thread's last error, with Wine's headers.
 * Everything here only converts between Win32 types and iocp.h; the rest
 * of kernel32 a server needs is kernel32_subset_win32.c. */
#include <windows.h>
#include <stdlib.h>

#include "iocp.h"
#include "iocp_win32.h"

/* OVERLAPPED.hEvent and the layout iocp/ writes into must agree. */
_Static_assert(sizeof(OVERLAPPED) == sizeof(struct iocp_overlapped), "OVERLAPPED size");
_Static_assert(offsetof(OVERLAPPED, Internal) == offsetof(struct iocp_overlapped, internal), "Internal");
_Static_assert(offsetof(OVERLAPPED, InternalHigh) == offsetof(struct iocp_overlapped, internal_high), "InternalHigh");
_Static_assert(offsetof(OVERLAPPED, hEvent) == offsetof(struct iocp_overlapped, event), "hEvent");
_Static_assert(STATUS_PENDING == W2U_STATUS_PENDING, "STATUS_PENDING");

W2U_EXPORT DWORD WINAPI GetLastError(void)
{
    return w2u_last_error;
}

W2U_EXPORT void WINAPI SetLastError(DWORD err)
{
    w2u_set_error(err);
}

W2U_EXPORT HANDLE WINAPI CreateIoCompletionPort(HANDLE file, HANDLE existing, ULONG_PTR key,
                                                DWORD concurrency)
{
    uintptr_t port;
    uint32_t status;

    if (file == INVALID_HANDLE_VALUE) {
        /* Only a new port can be made without a file. */
        if (existing) {
            w2u_set_error(ERROR_INVALID_PARAMETER);
            return NULL;
        }
        status = iocp_port_create(concurrency, &port);
        if (status != W2U_STATUS_SUCCESS) {
            fail(status);
            return NULL;
        }
        return (HANDLE)port;
    }

    if (existing) {
        status = iocp_associate((uintptr_t)file, (uintptr_t)existing, key);
        if (status != W2U_STATUS_SUCCESS) {
            fail(status);
            return NULL;
        }
        return existing;
    }

    status = iocp_port_create(concurrency, &port);
    if (status == W2U_STATUS_SUCCESS) {
        status = iocp_associate((uintptr_t)file, port, key);
        if (status != W2U_STATUS_SUCCESS)
            w2u_handle_close(port);
    }
    if (status != W2U_STATUS_SUCCESS) {
        fail(status);
        return NULL;
    }
    return (HANDLE)port;
}

/* Windows writes through these pointers and faults on NULL; ws2uring
 * answers ERROR_INVALID_PARAMETER instead of crashing. */
W2U_EXPORT BOOL WINAPI GetQueuedCompletionStatus(HANDLE port, LPDWORD bytes, PULONG_PTR key,
                                                 LPOVERLAPPED *overlapped, DWORD ms)
{
    struct iocp_entry e;
    unsigned n;

    if (!bytes || !key || !overlapped)
        return fail(W2U_STATUS_INVALID_PARAMETER);
    *overlapped = NULL;
    uint32_t status = iocp_remove((uintptr_t)port, &e, 1, &n, deadline(ms), false);
    if (status != W2U_STATUS_SUCCESS)
        return fail(status);
    *bytes = (DWORD)e.information;
    *key = e.key;
    *overlapped = e.overlapped;
    /* A packet for failed I/O: everything filled, FALSE, error from status. */
    if (!w2u_nt_success(e.status))
        return fail(e.status);
    return TRUE;
}

#define EX_BATCH 64u

W2U_EXPORT BOOL WINAPI GetQueuedCompletionStatusEx(HANDLE port, OVERLAPPED_ENTRY *entries,
                                                   ULONG count, ULONG *removed, DWORD ms,
                                                   BOOL alertable)
{
    struct iocp_entry e[EX_BATCH];
    unsigned n;

    if (!entries || !count || !removed)
        return fail(W2U_STATUS_INVALID_PARAMETER);
    *removed = 0;
    uint32_t status = iocp_remove((uintptr_t)port, e, count < EX_BATCH ? count : EX_BATCH,
                                  &n, deadline(ms), alertable);
    if (status != W2U_STATUS_SUCCESS)
        return fail(status);
    for (unsigned i = 0; i < n; i++) {
        entries[i].lpCompletionKey = e[i].key;
        entries[i].lpOverlapped = e[i].overlapped;
        entries[i].Internal = e[i].status;
        entries[i].dwNumberOfBytesTransferred = (DWORD)e[i].information;
    }
    *removed = n;
    return TRUE;
}

W2U_EXPORT BOOL WINAPI PostQueuedCompletionStatus(HANDLE port, DWORD bytes, ULONG_PTR key,
                                                  LPOVERLAPPED overlapped)
{
    uint32_t status = iocp_post((uintptr_t)port, W2U_STATUS_SUCCESS, bytes, key, overlapped);
    return status == W2U_STATUS_SUCCESS ? TRUE : fail(status);
}

W2U_EXPORT BOOL WINAPI CloseHandle(HANDLE handle)
{
    if (w2u_handle_close((uintptr_t)handle) < 0)
        return fail(W2U_STATUS_INVALID_HANDLE);
    return TRUE;
}

W2U_EXPORT BOOL WINAPI SetFileCompletionNotificationModes(HANDLE file, UCHAR flags)
{
    uint32_t status = iocp_set_modes((uintptr_t)file, flags);
    return status == W2U_STATUS_SUCCESS ? TRUE : fail(status);
}

W2U_EXPORT DWORD WINAPI SleepEx(DWORD ms, BOOL alertable)
{
    if (iocp_sleep(deadline(ms), alertable) == W2U_STATUS_USER_APC)
        return WAIT_IO_COMPLETION;
    return 0;
}
