/* Results and cancellation of overlapped socket I/O: WSAGetOverlappedResult
 * and, natively, kernel32's GetOverlappedResult(Ex), CancelIo, CancelIoEx
 * (sockets are the only files ws2uring knows). */
#include <winsock2.h>
#include <ws2tcpip.h>

#include "../iocp/iocp.h"
#include "ws2.h"
#include "ws2_win32.h"

/* Sets a WSA error; FALSE for BOOL-returning calls. */
static BOOL fail_wsa(int err)
{
    w2u_set_error((uint32_t)err);
    return FALSE;
}

/* Internal with acquire ordering: the completing thread writes
 * InternalHigh before it releases Internal, so a status seen here comes
 * with its byte count. */
static uint32_t status_of(OVERLAPPED *ov)
{
    return (uint32_t)atomic_load_explicit(&((struct iocp_overlapped *)ov)->internal, memory_order_acquire);
}

/* Waits as asked; 0 when ov is complete, or the WSA error. */
static int wait_for(SOCKET s, OVERLAPPED *ov, int64_t deadline)
{
    if (!ov)
        return -W2U_WSAEFAULT;
    if (status_of(ov) != STATUS_PENDING)
        return 0;
    return ws2_overlapped_wait(s, (struct iocp_overlapped *)ov, deadline);
}

/* The SOCKET is checked even when the operation is over (Windows answers
 * WSAENOTSOCK for a handle that is not one).  The byte count is written
 * once the operation is over, whatever its outcome; the flags (which may be NULL: Wine's tests pass
 * NULL, and Windows accepts it) only on success. */
W2U_EXPORT BOOL WINAPI WSAGetOverlappedResult(SOCKET s, LPWSAOVERLAPPED ov, LPDWORD bytes, BOOL wait,
                                              LPDWORD flags)
{
    const struct ws2_catalog_entry *entry;
    int r = ws2_socket_entry(s, &entry);
    if (r < 0)
        return fail_wsa(-r);
    if (!ov || !bytes || !user_in(ov, sizeof(*ov)) || !user_out(bytes, sizeof(*bytes)) ||
        !user_out(flags, sizeof(*flags)))
        return fail_wsa(WSAEFAULT);
    if (wait && (r = wait_for(s, ov, W2U_FOREVER)) < 0)
        return fail_wsa(-r);
    uint32_t status = status_of(ov);
    uint32_t error = w2u_status_to_wsa(status);
    if (status == STATUS_PENDING)
        return fail_wsa((int)error);            /* WSA_IO_INCOMPLETE, nothing written */
    *bytes = (DWORD)ov->InternalHigh;
    if (!w2u_nt_success(status))
        return fail_wsa((int)error);
    if (flags)
        *flags = 0;
    w2u_set_error(error);
    return TRUE;
}

/* kernel32's forms report Win32 errors (ERROR_NETNAME_DELETED, ...). */
static BOOL overlapped_result(HANDLE h, OVERLAPPED *ov, DWORD *bytes, int64_t deadline, bool timed)
{
    if (!bytes) {
        w2u_set_error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    int r = wait_for((SOCKET)h, ov, deadline);
    if (r == -W2U_WSAENOTSOCK || r == -W2U_WSANOTINITIALISED) {
        w2u_set_error(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    if (r == -W2U_WSAEFAULT) {
        w2u_set_error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    if (r < 0) {
        /* Still running: a timed wait ran out, an untimed look found it busy. */
        w2u_set_error(timed && deadline != 0 ? WAIT_TIMEOUT : ERROR_IO_INCOMPLETE);
        return FALSE;
    }
    uint32_t status = status_of(ov);
    *bytes = (DWORD)ov->InternalHigh;
    if (!w2u_nt_success(status)) {
        w2u_set_error(w2u_status_to_win32(status));
        return FALSE;
    }
    return TRUE;
}

W2U_EXPORT BOOL WINAPI GetOverlappedResult(HANDLE h, OVERLAPPED *ov, DWORD *bytes, BOOL wait)
{
    return overlapped_result(h, ov, bytes, wait ? W2U_FOREVER : 0, false);
}

W2U_EXPORT BOOL WINAPI GetOverlappedResultEx(HANDLE h, OVERLAPPED *ov, DWORD *bytes, DWORD ms,
                                             BOOL alertable)
{
    (void)alertable;     /* completion routines run in SleepEx and the alertable waits */
    return overlapped_result(h, ov, bytes, ms == 0 ? 0 : w2u_deadline_ms(ms), true);
}

static BOOL cancel(HANDLE h, OVERLAPPED *ov, bool this_thread, bool need_match)
{
    int r = ws2_cancel((SOCKET)h, ov, this_thread);
    if (r < 0) {
        w2u_set_error(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    if (r == 0 && need_match) {
        w2u_set_error(ERROR_NOT_FOUND);
        return FALSE;
    }
    return TRUE;
}

/* CancelIo: the calling thread's operations on the handle. */
W2U_EXPORT BOOL WINAPI CancelIo(HANDLE h)
{
    return cancel(h, NULL, true, false);
}

/* CancelIoEx: one OVERLAPPED, or all of the handle's (NULL), any thread's;
 * ERROR_NOT_FOUND when nothing matched. */
W2U_EXPORT BOOL WINAPI CancelIoEx(HANDLE h, OVERLAPPED *ov)
{
    return cancel(h, ov, false, true);
}
