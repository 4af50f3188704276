/* The one errno <-> NTSTATUS <-> Win32 <-> WSA table (see w2u.h). */
#include <errno.h>

#include "w2u.h"

/* Rows are searched in order: for a status shared by several errnos, the
 * first row gives its Win32 error. The Win32 column is what Windows'
 * RtlNtStatusToDosError returns for the status. */
static const struct w2u_error_row rows[] = {
    /* errno          NTSTATUS                                Win32  WSA */
    { ECANCELED,      W2U_STATUS_CANCELLED,                   995,  W2U_WSA_OPERATION_ABORTED },
    { ECONNRESET,     W2U_STATUS_CONNECTION_RESET,            64,   W2U_WSAECONNRESET },
    { ECONNREFUSED,   W2U_STATUS_CONNECTION_REFUSED,          1225, W2U_WSAECONNREFUSED },
    { ECONNABORTED,   W2U_STATUS_CONNECTION_ABORTED,          1236, W2U_WSAECONNABORTED },
    { ETIMEDOUT,      W2U_STATUS_IO_TIMEOUT,                  121,  W2U_WSAETIMEDOUT },
    { ENETUNREACH,    W2U_STATUS_NETWORK_UNREACHABLE,         1231, W2U_WSAENETUNREACH },
    { ENETDOWN,       W2U_STATUS_NETWORK_UNREACHABLE,         1231, W2U_WSAENETDOWN },
    { ENETRESET,      W2U_STATUS_CONNECTION_RESET,            64,   W2U_WSAENETRESET },
    { EHOSTUNREACH,   W2U_STATUS_HOST_UNREACHABLE,            1232, W2U_WSAEHOSTUNREACH },
    { EHOSTDOWN,      W2U_STATUS_HOST_UNREACHABLE,            1232, W2U_WSAEHOSTDOWN },
    { EADDRINUSE,     W2U_STATUS_ADDRESS_ALREADY_EXISTS,      52,   W2U_WSAEADDRINUSE },
    { EADDRNOTAVAIL,  W2U_STATUS_INVALID_ADDRESS_COMPONENT,   1214, W2U_WSAEADDRNOTAVAIL },
    { ENOTCONN,       W2U_STATUS_INVALID_CONNECTION,          1229, W2U_WSAENOTCONN },
    { EPIPE,          W2U_STATUS_PIPE_DISCONNECTED,           233,  W2U_WSAESHUTDOWN },
    { ESHUTDOWN,      W2U_STATUS_PIPE_DISCONNECTED,           233,  W2U_WSAESHUTDOWN },
    { EISCONN,        W2U_STATUS_CONNECTION_ACTIVE,           1230, W2U_WSAEISCONN },
    { EALREADY,       W2U_STATUS_CONNECTION_ACTIVE,           1230, W2U_WSAEALREADY },
    /* A non-blocking call that would wait; connect in progress is the same
     * thing on Windows (WSAEWOULDBLOCK, not WSAEINPROGRESS). */
    { EAGAIN,         W2U_STATUS_DEVICE_NOT_READY,            21,   W2U_WSAEWOULDBLOCK },
    { EINPROGRESS,    W2U_STATUS_DEVICE_NOT_READY,            21,   W2U_WSAEWOULDBLOCK },
    { EINTR,          W2U_STATUS_CANCELLED,                   995,  W2U_WSAEINTR },
    { EINVAL,         W2U_STATUS_INVALID_PARAMETER,           87,   W2U_WSAEINVAL },
    { EBADF,          W2U_STATUS_INVALID_HANDLE,              6,    W2U_WSAENOTSOCK },
    { ENOTSOCK,       W2U_STATUS_OBJECT_TYPE_MISMATCH,        6,    W2U_WSAENOTSOCK },
    { EFAULT,         W2U_STATUS_ACCESS_VIOLATION,            998,  W2U_WSAEFAULT },
    { ENOMEM,         W2U_STATUS_NO_MEMORY,                   8,    W2U_WSAENOBUFS },
    { ENOBUFS,        W2U_STATUS_INSUFFICIENT_RESOURCES,      1450, W2U_WSAENOBUFS },
    { EMFILE,         W2U_STATUS_TOO_MANY_OPENED_FILES,       4,    W2U_WSAEMFILE },
    { ENFILE,         W2U_STATUS_TOO_MANY_OPENED_FILES,       4,    W2U_WSAEMFILE },
    { EACCES,         W2U_STATUS_ACCESS_DENIED,               5,    W2U_WSAEACCES },
    { EPERM,          W2U_STATUS_ACCESS_DENIED,               5,    W2U_WSAEACCES },
    { EMSGSIZE,       W2U_STATUS_BUFFER_OVERFLOW,             234,  W2U_WSAEMSGSIZE },
    { EAFNOSUPPORT,   W2U_STATUS_NOT_SUPPORTED,               50,   W2U_WSAEAFNOSUPPORT },
    { EPROTONOSUPPORT,W2U_STATUS_NOT_SUPPORTED,               50,   W2U_WSAEPROTONOSUPPORT },
    { ESOCKTNOSUPPORT,W2U_STATUS_NOT_SUPPORTED,               50,   W2U_WSAESOCKTNOSUPPORT },
    { EOPNOTSUPP,     W2U_STATUS_NOT_SUPPORTED,               50,   W2U_WSAEOPNOTSUPP },
    { ENOPROTOOPT,    W2U_STATUS_INVALID_PARAMETER,           87,   W2U_WSAENOPROTOOPT },
    { EPROTOTYPE,     W2U_STATUS_INVALID_PARAMETER,           87,   W2U_WSAEPROTOTYPE },
    { EDESTADDRREQ,   W2U_STATUS_INVALID_PARAMETER,           87,   W2U_WSAEDESTADDRREQ },
    { ENOSYS,         W2U_STATUS_NOT_IMPLEMENTED,             1,    W2U_WSAEOPNOTSUPP },
    { ENOENT,         W2U_STATUS_NOT_FOUND,                   1168, W2U_WSAEINVAL },
    /* Windows-only statuses: waits and APCs. */
    { 0,              W2U_STATUS_SUCCESS,                     0,    0 },
    { 0,              W2U_STATUS_PENDING,                     997,  997 },
    { 0,              W2U_STATUS_TIMEOUT,                     258,  258 },
    { 0,              W2U_STATUS_USER_APC,                    192,  192 },
    { 0,              W2U_STATUS_ABANDONED_WAIT_0,            735,  735 },
    /* An output buffer too small for what an ioctl completes with. */
    { 0,              W2U_STATUS_BUFFER_TOO_SMALL,            122,  W2U_WSAEFAULT },
    /* ws2uring's own conditions: the ring's submission queue stayed full
     * (ur_* give -EBUSY), a resource Windows would also lack. */
    { EBUSY,          W2U_STATUS_INSUFFICIENT_RESOURCES,      1450, W2U_WSAENOBUFS },
};

/* What a file call's errno becomes where it differs from a socket's. */
static const struct { int errnum; uint32_t win32; } file_rows[] = {
    { ENOENT,  2 },      /* ERROR_FILE_NOT_FOUND */
    { ENOTDIR, 3 },      /* ERROR_PATH_NOT_FOUND */
    { EEXIST,  80 },     /* ERROR_FILE_EXISTS */
    { EISDIR,  5 },      /* ERROR_ACCESS_DENIED, as CreateFile on a directory */
    { EROFS,   5 },
    { ENOSPC,  112 },    /* ERROR_DISK_FULL */
};

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
    return r ? r->wsa : W2U_WSAEINVAL;
}

uint32_t w2u_status_to_win32(uint32_t status)
{
    if (status == W2U_STATUS_SUCCESS)
        return 0;                    /* every successful completion: no search */
    for (size_t i = 0; i < W2U_ARRAY_SIZE(rows); i++)
        if (rows[i].status == status)
            return rows[i].win32;
    return W2U_ERROR_MR_MID_NOT_FOUND;
}

uint32_t w2u_errno_to_file_error(int errnum)
{
    for (size_t i = 0; i < W2U_ARRAY_SIZE(file_rows); i++)
        if (file_rows[i].errnum == errnum)
            return file_rows[i].win32;
    return w2u_status_to_win32(w2u_errno_to_status(errnum));
}

/* How Windows' ws2_32 reports an operation's final NTSTATUS as a WSA error
 * (WSAGetOverlappedResult, completion routines).  Wine's conformance tests
 * pin this table on Windows (sock.c, map_status); it is wider than the
 * statuses ws2uring itself produces, because programs store statuses in
 * OVERLAPPED.Internal themselves. */
static const struct { uint32_t status, wsa; } status_wsa[] = {
    { 0x00000103u, W2U_WSA_IO_INCOMPLETE },    /* STATUS_PENDING */
    { 0x80000005u, W2U_WSAEMSGSIZE },          /* BUFFER_OVERFLOW */
    { 0xC0000002u, W2U_WSAEOPNOTSUPP },        /* NOT_IMPLEMENTED */
    { 0xC0000005u, W2U_WSAEFAULT },            /* ACCESS_VIOLATION */
    { 0xC0000007u, W2U_WSAENOBUFS },           /* PAGEFILE_QUOTA */
    { 0xC0000008u, W2U_WSAENOTSOCK },          /* INVALID_HANDLE */
    { 0xC000000Eu, W2U_WSAENETDOWN },          /* NO_SUCH_DEVICE */
    { 0xC000000Fu, W2U_WSAENETDOWN },          /* NO_SUCH_FILE */
    { 0xC0000017u, W2U_WSAENOBUFS },           /* NO_MEMORY */
    { 0xC0000018u, W2U_WSAENOBUFS },           /* CONFLICTING_ADDRESSES */
    { 0xC0000022u, W2U_WSAEACCES },            /* ACCESS_DENIED */
    { 0xC0000023u, W2U_WSAEFAULT },            /* BUFFER_TOO_SMALL */
    { 0xC0000024u, W2U_WSAENOTSOCK },          /* OBJECT_TYPE_MISMATCH */
    { 0xC0000034u, W2U_WSAENETDOWN },          /* OBJECT_NAME_NOT_FOUND */
    { 0xC000003Au, W2U_WSAENETDOWN },          /* OBJECT_PATH_NOT_FOUND */
    { 0xC0000043u, W2U_WSAEADDRINUSE },        /* SHARING_VIOLATION */
    { 0xC0000044u, W2U_WSAENOBUFS },           /* QUOTA_EXCEEDED */
    { 0xC0000097u, W2U_WSAENOBUFS },           /* TOO_MANY_PAGING_FILES */
    { 0xC000009Au, W2U_WSAENOBUFS },           /* INSUFFICIENT_RESOURCES */
    { 0xC00000A1u, W2U_WSAENOBUFS },           /* WORKING_SET_QUOTA */
    { 0xC00000A3u, W2U_WSAEWOULDBLOCK },       /* DEVICE_NOT_READY */
    { 0xC00000B0u, W2U_WSAESHUTDOWN },         /* PIPE_DISCONNECTED */
    { 0xC00000B5u, W2U_WSAETIMEDOUT },         /* IO_TIMEOUT */
    { 0xC00000BBu, W2U_WSAEOPNOTSUPP },        /* NOT_SUPPORTED */
    { 0xC00000BCu, W2U_WSAECONNREFUSED },      /* REMOTE_NOT_LISTENING */
    { 0xC00000BEu, W2U_WSAENETUNREACH },       /* BAD_NETWORK_PATH */
    { 0xC00000BFu, W2U_WSAENETDOWN },          /* NETWORK_BUSY */
    { 0xC00000C3u, W2U_WSAENETDOWN },          /* INVALID_NETWORK_RESPONSE */
    { 0xC00000C4u, W2U_WSAENETDOWN },          /* UNEXPECTED_NETWORK_ERROR */
    { 0xC00000D0u, W2U_WSAEWOULDBLOCK },       /* REQUEST_NOT_ACCEPTED */
    { 0xC0000120u, W2U_WSA_OPERATION_ABORTED },/* CANCELLED */
    { 0xC000012Du, W2U_WSAENOBUFS },           /* COMMITMENT_LIMIT */
    { 0xC000013Bu, W2U_WSAECONNABORTED },      /* LOCAL_DISCONNECT */
    { 0xC000013Cu, W2U_WSAECONNRESET },        /* REMOTE_DISCONNECT */
    { 0xC000013Du, W2U_WSAENOBUFS },           /* REMOTE_RESOURCES */
    { 0xC000013Eu, W2U_WSAECONNRESET },        /* LINK_FAILED */
    { 0xC000013Fu, W2U_WSAETIMEDOUT },         /* LINK_TIMEOUT */
    { 0xC0000140u, W2U_WSAENOTCONN },          /* INVALID_CONNECTION */
    { 0xC0000141u, W2U_WSAEADDRNOTAVAIL },     /* INVALID_ADDRESS */
    { 0xC0000206u, W2U_WSAEMSGSIZE },          /* INVALID_BUFFER_SIZE */
    { 0xC0000207u, W2U_WSAEADDRNOTAVAIL },     /* INVALID_ADDRESS_COMPONENT */
    { 0xC0000209u, W2U_WSAENOBUFS },           /* TOO_MANY_ADDRESSES */
    { 0xC000020Au, W2U_WSAEADDRINUSE },        /* ADDRESS_ALREADY_EXISTS */
    { 0xC000020Cu, W2U_WSAECONNRESET },        /* CONNECTION_DISCONNECTED */
    { 0xC000020Du, W2U_WSAECONNRESET },        /* CONNECTION_RESET */
    { 0xC000020Fu, W2U_WSAECONNABORTED },      /* TRANSACTION_ABORTED */
    { 0xC0000236u, W2U_WSAECONNREFUSED },      /* CONNECTION_REFUSED */
    { 0xC0000237u, W2U_WSAEDISCON },           /* GRACEFUL_DISCONNECT */
    { 0xC000023Bu, W2U_WSAEISCONN },           /* CONNECTION_ACTIVE */
    { 0xC000023Cu, W2U_WSAENETUNREACH },       /* NETWORK_UNREACHABLE */
    { 0xC000023Du, W2U_WSAEHOSTUNREACH },      /* HOST_UNREACHABLE */
    { 0xC000023Eu, W2U_WSAENETUNREACH },       /* PROTOCOL_UNREACHABLE */
    { 0xC000023Fu, W2U_WSAECONNRESET },        /* PORT_UNREACHABLE */
    { 0xC0000240u, W2U_WSAEINTR },             /* REQUEST_ABORTED */
    { 0xC0000241u, W2U_WSAECONNABORTED },      /* CONNECTION_ABORTED */
    { 0xC00002C5u, W2U_WSAEFAULT },            /* DATATYPE_MISALIGNMENT_ERROR */
    { 0xC0000350u, W2U_WSAEHOSTDOWN },         /* HOST_DOWN */
    /* A Win32 error packed as an HRESULT or NTSTATUS. */
    { 0x80070000u | W2U_WSA_IO_INCOMPLETE, W2U_WSA_IO_INCOMPLETE },
    { 0xC0010000u | W2U_WSA_IO_INCOMPLETE, W2U_WSA_IO_INCOMPLETE },
    { 0xC0070000u | W2U_WSA_IO_INCOMPLETE, W2U_WSA_IO_INCOMPLETE },
};

uint32_t w2u_status_to_wsa(uint32_t status)
{
    if (status == W2U_STATUS_SUCCESS)
        return 0;
    for (size_t i = 0; i < W2U_ARRAY_SIZE(status_wsa); i++)
        if (status_wsa[i].status == status)
            return status_wsa[i].wsa;
    return w2u_nt_success(status) ? 0 : W2U_WSAEINVAL;
}

uint32_t w2u_wsa_to_status(uint32_t wsa)
{
    for (size_t i = 0; i < W2U_ARRAY_SIZE(rows); i++)
        if (rows[i].wsa == wsa && rows[i].errnum)
            return rows[i].status;
    return W2U_STATUS_INVALID_PARAMETER;
}

uint32_t w2u_error_to_status(uint32_t err)
{
    if (err >= W2U_WSAEINTR)
        return w2u_wsa_to_status(err);
    for (size_t i = 0; i < W2U_ARRAY_SIZE(rows); i++)
        if (rows[i].win32 == err)
            return rows[i].status;
    return W2U_STATUS_INVALID_PARAMETER;
}
