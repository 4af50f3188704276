/* The one errno <-> NTSTATUS <-> Win32 <-> WSA table (see w2u.h). */
#include <errno.h>

#include "w2u.h"

/* WSA error numbers (winsock2.h values; this file cannot include it). */
enum {
    WSA_OPERATION_ABORTED_ = 995, WSAEINTR_ = 10004, WSAEACCES_ = 10013, WSAEFAULT_ = 10014,
    WSAEINVAL_ = 10022, WSAEMFILE_ = 10024, WSAEWOULDBLOCK_ = 10035, WSAEALREADY_ = 10037,
    WSAENOTSOCK_ = 10038, WSAEDESTADDRREQ_ = 10039, WSAEMSGSIZE_ = 10040, WSAEPROTOTYPE_ = 10041,
    WSAENOPROTOOPT_ = 10042, WSAEPROTONOSUPPORT_ = 10043, WSAESOCKTNOSUPPORT_ = 10044,
    WSAEOPNOTSUPP_ = 10045, WSAEAFNOSUPPORT_ = 10047, WSAEADDRINUSE_ = 10048,
    WSAEADDRNOTAVAIL_ = 10049, WSAENETDOWN_ = 10050, WSAENETUNREACH_ = 10051,
    WSAENETRESET_ = 10052, WSAECONNABORTED_ = 10053, WSAECONNRESET_ = 10054,
    WSAENOBUFS_ = 10055, WSAEISCONN_ = 10056, WSAENOTCONN_ = 10057, WSAESHUTDOWN_ = 10058,
    WSAETIMEDOUT_ = 10060, WSAECONNREFUSED_ = 10061, WSAEHOSTDOWN_ = 10064,
    WSAEHOSTUNREACH_ = 10065,
};

/* Rows are searched in order: for a status shared by several errnos, the
 * first row gives its Win32 error. The Win32 column is what Windows'
 * RtlNtStatusToDosError returns for the status. */
static const struct w2u_error_row rows[] = {
    /* errno          NTSTATUS                                Win32  WSA */
    { ECANCELED,      W2U_STATUS_CANCELLED,                   995,  WSA_OPERATION_ABORTED_ },
    { ECONNRESET,     W2U_STATUS_CONNECTION_RESET,            64,   WSAECONNRESET_ },
    { ECONNREFUSED,   W2U_STATUS_CONNECTION_REFUSED,          1225, WSAECONNREFUSED_ },
    { ECONNABORTED,   W2U_STATUS_CONNECTION_ABORTED,          1236, WSAECONNABORTED_ },
    { ETIMEDOUT,      W2U_STATUS_IO_TIMEOUT,                  121,  WSAETIMEDOUT_ },
    { ENETUNREACH,    W2U_STATUS_NETWORK_UNREACHABLE,         1231, WSAENETUNREACH_ },
    { ENETDOWN,       W2U_STATUS_NETWORK_UNREACHABLE,         1231, WSAENETDOWN_ },
    { ENETRESET,      W2U_STATUS_CONNECTION_RESET,            64,   WSAENETRESET_ },
    { EHOSTUNREACH,   W2U_STATUS_HOST_UNREACHABLE,            1232, WSAEHOSTUNREACH_ },
    { EHOSTDOWN,      W2U_STATUS_HOST_UNREACHABLE,            1232, WSAEHOSTDOWN_ },
    { EADDRINUSE,     W2U_STATUS_ADDRESS_ALREADY_ASSOCIATED,  1227, WSAEADDRINUSE_ },
    { EADDRNOTAVAIL,  W2U_STATUS_INVALID_ADDRESS_COMPONENT,   1214, WSAEADDRNOTAVAIL_ },
    { ENOTCONN,       W2U_STATUS_INVALID_CONNECTION,          1229, WSAENOTCONN_ },
    { EPIPE,          W2U_STATUS_PIPE_DISCONNECTED,           233,  WSAESHUTDOWN_ },
    { ESHUTDOWN,      W2U_STATUS_PIPE_DISCONNECTED,           233,  WSAESHUTDOWN_ },
    { EISCONN,        W2U_STATUS_CONNECTION_ACTIVE,           1230, WSAEISCONN_ },
    { EALREADY,       W2U_STATUS_CONNECTION_ACTIVE,           1230, WSAEALREADY_ },
    /* A non-blocking call that would wait; connect in progress is the same
     * thing on Windows (WSAEWOULDBLOCK, not WSAEINPROGRESS). */
    { EAGAIN,         W2U_STATUS_DEVICE_NOT_READY,            21,   WSAEWOULDBLOCK_ },
    { EINPROGRESS,    W2U_STATUS_DEVICE_NOT_READY,            21,   WSAEWOULDBLOCK_ },
    { EINTR,          W2U_STATUS_CANCELLED,                   995,  WSAEINTR_ },
    { EINVAL,         W2U_STATUS_INVALID_PARAMETER,           87,   WSAEINVAL_ },
    { EBADF,          W2U_STATUS_INVALID_HANDLE,              6,    WSAENOTSOCK_ },
    { ENOTSOCK,       W2U_STATUS_OBJECT_TYPE_MISMATCH,        6,    WSAENOTSOCK_ },
    { EFAULT,         W2U_STATUS_ACCESS_VIOLATION,            998,  WSAEFAULT_ },
    { ENOMEM,         W2U_STATUS_NO_MEMORY,                   8,    WSAENOBUFS_ },
    { ENOBUFS,        W2U_STATUS_INSUFFICIENT_RESOURCES,      1450, WSAENOBUFS_ },
    { EMFILE,         W2U_STATUS_TOO_MANY_OPENED_FILES,       4,    WSAEMFILE_ },
    { ENFILE,         W2U_STATUS_TOO_MANY_OPENED_FILES,       4,    WSAEMFILE_ },
    { EACCES,         W2U_STATUS_ACCESS_DENIED,               5,    WSAEACCES_ },
    { EPERM,          W2U_STATUS_ACCESS_DENIED,               5,    WSAEACCES_ },
    { EMSGSIZE,       W2U_STATUS_BUFFER_OVERFLOW,             234,  WSAEMSGSIZE_ },
    { EAFNOSUPPORT,   W2U_STATUS_NOT_SUPPORTED,               50,   WSAEAFNOSUPPORT_ },
    { EPROTONOSUPPORT,W2U_STATUS_NOT_SUPPORTED,               50,   WSAEPROTONOSUPPORT_ },
    { ESOCKTNOSUPPORT,W2U_STATUS_NOT_SUPPORTED,               50,   WSAESOCKTNOSUPPORT_ },
    { EOPNOTSUPP,     W2U_STATUS_NOT_SUPPORTED,               50,   WSAEOPNOTSUPP_ },
    { ENOPROTOOPT,    W2U_STATUS_INVALID_PARAMETER,           87,   WSAENOPROTOOPT_ },
    { EPROTOTYPE,     W2U_STATUS_INVALID_PARAMETER,           87,   WSAEPROTOTYPE_ },
    { EDESTADDRREQ,   W2U_STATUS_INVALID_PARAMETER,           87,   WSAEDESTADDRREQ_ },
    { ENOSYS,         W2U_STATUS_NOT_IMPLEMENTED,             1,    WSAEOPNOTSUPP_ },
    { ENOENT,         W2U_STATUS_NOT_FOUND,                   1168, WSAEINVAL_ },
    /* Windows-only statuses: waits and APCs. */
    { 0,              W2U_STATUS_SUCCESS,                     0,    0 },
    { 0,              W2U_STATUS_PENDING,                     997,  997 },
    { 0,              W2U_STATUS_TIMEOUT,                     258,  258 },
    { 0,              W2U_STATUS_USER_APC,                    192,  192 },
    { 0,              W2U_STATUS_ABANDONED_WAIT_0,            735,  735 },
};

const struct w2u_error_row *w2u_error_table(size_t *count)
{
    *count = W2U_ARRAY_SIZE(rows);
    return rows;
}

static const struct w2u_error_row *row_for_errno(int errnum)
{
    if (errnum == EWOULDBLOCK)
        errnum = EAGAIN;
    for (size_t i = 0; i < W2U_ARRAY_SIZE(rows); i++)
        if (rows[i].errnum == errnum && errnum != 0)
            return &rows[i];
    return NULL;
}

uint32_t w2u_errno_to_status(int errnum)
{
    const struct w2u_error_row *r = row_for_errno(errnum);
    /* An errno with no row is a bug to report, not a success: say
     * "invalid parameter" rather than invent a code. */
    return r ? r->status : W2U_STATUS_INVALID_PARAMETER;
}

uint32_t w2u_errno_to_wsa(int errnum)
{
    const struct w2u_error_row *r = row_for_errno(errnum);
    return r ? r->wsa : WSAEINVAL_;
}

uint32_t w2u_status_to_win32(uint32_t status)
{
    for (size_t i = 0; i < W2U_ARRAY_SIZE(rows); i++)
        if (rows[i].status == status)
            return rows[i].win32;
    return W2U_ERROR_MR_MID_NOT_FOUND;
}

uint32_t w2u_status_to_wsa(uint32_t status)
{
    for (size_t i = 0; i < W2U_ARRAY_SIZE(rows); i++)
        if (rows[i].status == status)
            return rows[i].wsa;
    return w2u_status_to_win32(status);
}

uint32_t w2u_wsa_to_status(uint32_t wsa)
{
    for (size_t i = 0; i < W2U_ARRAY_SIZE(rows); i++)
        if (rows[i].wsa == wsa && rows[i].errnum)
            return rows[i].status;
    return W2U_STATUS_INVALID_PARAMETER;
}
