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
    WSAEHOSTUNREACH_ = 10065, WSAEDISCON_ = 10101, WSA_IO_INCOMPLETE_ = 996,
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
    { EADDRINUSE,     W2U_STATUS_ADDRESS_ALREADY_EXISTS,      52,   WSAEADDRINUSE_ },
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
    /* An output buffer too small for what an ioctl completes with. */
    { 0,              W2U_STATUS_BUFFER_TOO_SMALL,            122,  WSAEFAULT_ },
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

/* How Windows' ws2_32 reports an operation's final NTSTATUS as a WSA error
 * (WSAGetOverlappedResult, completion routines).  Wine's conformance tests
 * pin this table on Windows (sock.c, map_status); it is wider than the
 * statuses ws2uring itself produces, because programs store statuses in
 * OVERLAPPED.Internal themselves. */
static const struct { uint32_t status, wsa; } status_wsa[] = {
    { 0x00000103u, WSA_IO_INCOMPLETE_ },    /* STATUS_PENDING */
    { 0x80000005u, WSAEMSGSIZE_ },          /* BUFFER_OVERFLOW */
    { 0xC0000002u, WSAEOPNOTSUPP_ },        /* NOT_IMPLEMENTED */
    { 0xC0000005u, WSAEFAULT_ },            /* ACCESS_VIOLATION */
    { 0xC0000007u, WSAENOBUFS_ },           /* PAGEFILE_QUOTA */
    { 0xC0000008u, WSAENOTSOCK_ },          /* INVALID_HANDLE */
    { 0xC000000Eu, WSAENETDOWN_ },          /* NO_SUCH_DEVICE */
    { 0xC000000Fu, WSAENETDOWN_ },          /* NO_SUCH_FILE */
    { 0xC0000017u, WSAENOBUFS_ },           /* NO_MEMORY */
    { 0xC0000018u, WSAENOBUFS_ },           /* CONFLICTING_ADDRESSES */
    { 0xC0000022u, WSAEACCES_ },            /* ACCESS_DENIED */
    { 0xC0000023u, WSAEFAULT_ },            /* BUFFER_TOO_SMALL */
    { 0xC0000024u, WSAENOTSOCK_ },          /* OBJECT_TYPE_MISMATCH */
    { 0xC0000034u, WSAENETDOWN_ },          /* OBJECT_NAME_NOT_FOUND */
    { 0xC000003Au, WSAENETDOWN_ },          /* OBJECT_PATH_NOT_FOUND */
    { 0xC0000043u, WSAEADDRINUSE_ },        /* SHARING_VIOLATION */
    { 0xC0000044u, WSAENOBUFS_ },           /* QUOTA_EXCEEDED */
    { 0xC0000097u, WSAENOBUFS_ },           /* TOO_MANY_PAGING_FILES */
    { 0xC000009Au, WSAENOBUFS_ },           /* INSUFFICIENT_RESOURCES */
    { 0xC00000A1u, WSAENOBUFS_ },           /* WORKING_SET_QUOTA */
    { 0xC00000A3u, WSAEWOULDBLOCK_ },       /* DEVICE_NOT_READY */
    { 0xC00000B0u, WSAESHUTDOWN_ },         /* PIPE_DISCONNECTED */
    { 0xC00000B5u, WSAETIMEDOUT_ },         /* IO_TIMEOUT */
    { 0xC00000BBu, WSAEOPNOTSUPP_ },        /* NOT_SUPPORTED */
    { 0xC00000BCu, WSAECONNREFUSED_ },      /* REMOTE_NOT_LISTENING */
    { 0xC00000BEu, WSAENETUNREACH_ },       /* BAD_NETWORK_PATH */
    { 0xC00000BFu, WSAENETDOWN_ },          /* NETWORK_BUSY */
    { 0xC00000C3u, WSAENETDOWN_ },          /* INVALID_NETWORK_RESPONSE */
    { 0xC00000C4u, WSAENETDOWN_ },          /* UNEXPECTED_NETWORK_ERROR */
    { 0xC00000D0u, WSAEWOULDBLOCK_ },       /* REQUEST_NOT_ACCEPTED */
    { 0xC0000120u, WSA_OPERATION_ABORTED_ },/* CANCELLED */
    { 0xC000012Du, WSAENOBUFS_ },           /* COMMITMENT_LIMIT */
    { 0xC000013Bu, WSAECONNABORTED_ },      /* LOCAL_DISCONNECT */
    { 0xC000013Cu, WSAECONNRESET_ },        /* REMOTE_DISCONNECT */
    { 0xC000013Du, WSAENOBUFS_ },           /* REMOTE_RESOURCES */
    { 0xC000013Eu, WSAECONNRESET_ },        /* LINK_FAILED */
    { 0xC000013Fu, WSAETIMEDOUT_ },         /* LINK_TIMEOUT */
    { 0xC0000140u, WSAENOTCONN_ },          /* INVALID_CONNECTION */
    { 0xC0000141u, WSAEADDRNOTAVAIL_ },     /* INVALID_ADDRESS */
    { 0xC0000206u, WSAEMSGSIZE_ },          /* INVALID_BUFFER_SIZE */
    { 0xC0000207u, WSAEADDRNOTAVAIL_ },     /* INVALID_ADDRESS_COMPONENT */
    { 0xC0000209u, WSAENOBUFS_ },           /* TOO_MANY_ADDRESSES */
    { 0xC000020Au, WSAEADDRINUSE_ },        /* ADDRESS_ALREADY_EXISTS */
    { 0xC000020Cu, WSAECONNRESET_ },        /* CONNECTION_DISCONNECTED */
    { 0xC000020Du, WSAECONNRESET_ },        /* CONNECTION_RESET */
    { 0xC000020Fu, WSAECONNABORTED_ },      /* TRANSACTION_ABORTED */
    { 0xC0000236u, WSAECONNREFUSED_ },      /* CONNECTION_REFUSED */
    { 0xC0000237u, WSAEDISCON_ },           /* GRACEFUL_DISCONNECT */
    { 0xC000023Bu, WSAEISCONN_ },           /* CONNECTION_ACTIVE */
    { 0xC000023Cu, WSAENETUNREACH_ },       /* NETWORK_UNREACHABLE */
    { 0xC000023Du, WSAEHOSTUNREACH_ },      /* HOST_UNREACHABLE */
    { 0xC000023Eu, WSAENETUNREACH_ },       /* PROTOCOL_UNREACHABLE */
    { 0xC000023Fu, WSAECONNRESET_ },        /* PORT_UNREACHABLE */
    { 0xC0000240u, WSAEINTR_ },             /* REQUEST_ABORTED */
    { 0xC0000241u, WSAECONNABORTED_ },      /* CONNECTION_ABORTED */
    { 0xC00002C5u, WSAEFAULT_ },            /* DATATYPE_MISALIGNMENT_ERROR */
    { 0xC0000350u, WSAEHOSTDOWN_ },         /* HOST_DOWN */
    /* A Win32 error packed as an HRESULT or NTSTATUS. */
    { 0x80070000u | WSA_IO_INCOMPLETE_, WSA_IO_INCOMPLETE_ },
    { 0xC0010000u | WSA_IO_INCOMPLETE_, WSA_IO_INCOMPLETE_ },
    { 0xC0070000u | WSA_IO_INCOMPLETE_, WSA_IO_INCOMPLETE_ },
};

uint32_t w2u_status_to_wsa(uint32_t status)
{
    for (size_t i = 0; i < W2U_ARRAY_SIZE(status_wsa); i++)
        if (status_wsa[i].status == status)
            return status_wsa[i].wsa;
    return w2u_nt_success(status) ? 0 : WSAEINVAL_;
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
    if (err >= WSAEINTR_)
        return w2u_wsa_to_status(err);
    for (size_t i = 0; i < W2U_ARRAY_SIZE(rows); i++)
        if (rows[i].win32 == err)
            return rows[i].status;
    return W2U_STATUS_INVALID_PARAMETER;
}
