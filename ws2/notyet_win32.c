/* ws2_32 exports ws2uring does not implement yet.  They exist so the export
 * surface is complete (Wine's own DLLs bind to all 133 names): each fails
 * as its Windows signature allows (SOCKET_ERROR, NULL, FALSE or an error
 * code) with WSAEOPNOTSUPP, and logs one line the first time.  README's
 * status table lists them with the step that brings them. */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <ws2spi.h>

#include "ws2.h"
#include "ws2_win32.h"

static void not_yet(const char *name, _Atomic int *logged)
{
    if (!atomic_exchange(logged, 1))
        w2u_log("%s is not implemented yet: failing with WSAEOPNOTSUPP", name);
    w2u_set_error(WSAEOPNOTSUPP);
}

/* Defines a stub: ret name(args) { log; return fail; } */
#define NOT_YET(ret, name, args, fail)                                 \
    W2U_EXPORT ret WINAPI name args                                    \
    {                                                                  \
        static _Atomic int logged_;                                    \
        not_yet(#name, &logged_);                                      \
        return fail;                                                   \
    }
/* The WSC family reports errors through its last argument. */
#define NOT_YET_ERRNO(name, args, errp)                                \
    W2U_EXPORT INT WINAPI name args                                    \
    {                                                                  \
        static _Atomic int logged_;                                    \
        not_yet(#name, &logged_);                                      \
        if (errp)                                                      \
            *(errp) = WSAEOPNOTSUPP;                                   \
        return SOCKET_ERROR;                                           \
    }

/* Asynchronous database look-ups and WSAAsyncSelect need window messages:
 * they come with the Wine glue, where user32 exists. */
NOT_YET(HANDLE, WSAAsyncGetHostByAddr, (HWND w, u_int m, const char *a, int l, int t, char *b, int bl), NULL)
NOT_YET(HANDLE, WSAAsyncGetHostByName, (HWND w, u_int m, const char *n, char *b, int bl), NULL)
NOT_YET(HANDLE, WSAAsyncGetProtoByName, (HWND w, u_int m, const char *n, char *b, int bl), NULL)
NOT_YET(HANDLE, WSAAsyncGetProtoByNumber, (HWND w, u_int m, int n, char *b, int bl), NULL)
NOT_YET(HANDLE, WSAAsyncGetServByName, (HWND w, u_int m, const char *n, const char *p, char *b, int bl), NULL)
NOT_YET(HANDLE, WSAAsyncGetServByPort, (HWND w, u_int m, int port, const char *p, char *b, int bl), NULL)
NOT_YET(int, WSAAsyncSelect, (SOCKET s, HWND w, u_int m, LONG e), SOCKET_ERROR)
NOT_YET(int, WSACancelAsyncRequest, (HANDLE h), SOCKET_ERROR)

/* Overlapped-only calls: the overlapped step. */
NOT_YET(WSAEVENT, WPUCompleteOverlappedRequest, (SOCKET s, LPWSAOVERLAPPED ov, DWORD e, DWORD n, LPINT err), NULL)
NOT_YET(INT, WSAProviderConfigChange, (LPHANDLE h, LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE r), SOCKET_ERROR)

/* QOS and multipoint. */
NOT_YET(BOOL, WSAGetQOSByName, (SOCKET s, LPWSABUF n, LPQOS q), FALSE)
NOT_YET(SOCKET, WSAJoinLeaf, (SOCKET s, const struct sockaddr *a, int l, LPWSABUF c, LPWSABUF ce, LPQOS sq,
                              LPQOS gq, DWORD f), INVALID_SOCKET)

/* Namespace (RnR) service registration and look-up. */
NOT_YET(INT, WSAEnumNameSpaceProvidersA, (LPDWORD l, LPWSANAMESPACE_INFOA b), SOCKET_ERROR)
NOT_YET(INT, WSAEnumNameSpaceProvidersW, (LPDWORD l, LPWSANAMESPACE_INFOW b), SOCKET_ERROR)
NOT_YET(INT, WSAGetServiceClassInfoA, (LPGUID p, LPGUID c, LPDWORD l, LPWSASERVICECLASSINFOA i), SOCKET_ERROR)
NOT_YET(INT, WSAGetServiceClassInfoW, (LPGUID p, LPGUID c, LPDWORD l, LPWSASERVICECLASSINFOW i), SOCKET_ERROR)
NOT_YET(INT, WSAGetServiceClassNameByClassIdA, (LPGUID c, LPSTR n, LPDWORD l), SOCKET_ERROR)
NOT_YET(INT, WSAGetServiceClassNameByClassIdW, (LPGUID c, LPWSTR n, LPDWORD l), SOCKET_ERROR)
NOT_YET(int, WSAInstallServiceClassA, (LPWSASERVICECLASSINFOA i), SOCKET_ERROR)
NOT_YET(int, WSAInstallServiceClassW, (LPWSASERVICECLASSINFOW i), SOCKET_ERROR)
NOT_YET(INT, WSARemoveServiceClass, (LPGUID c), SOCKET_ERROR)
NOT_YET(int, WSANSPIoctl, (HANDLE h, DWORD c, LPVOID in, DWORD il, LPVOID out, DWORD ol, LPDWORD r,
                           LPWSACOMPLETION cp), SOCKET_ERROR)
NOT_YET(INT, WSASetServiceA, (LPWSAQUERYSETA q, WSAESETSERVICEOP op, DWORD f), SOCKET_ERROR)
NOT_YET(INT, WSASetServiceW, (LPWSAQUERYSETW q, WSAESETSERVICEOP op, DWORD f), SOCKET_ERROR)

/* Catalog configuration (WSC*): ws2uring's catalog is fixed. */
NOT_YET_ERRNO(WSCDeinstallProvider, (LPGUID id, LPINT err), err)
NOT_YET_ERRNO(WSCInstallProvider, (const LPGUID id, LPCWSTR p, const LPWSAPROTOCOL_INFOW i, DWORD n, LPINT err), err)
NOT_YET_ERRNO(WSCSetApplicationCategory, (LPCWSTR p, DWORD pl, LPCWSTR e, DWORD el, DWORD c, DWORD *pc,
                                          LPINT err), err)
NOT_YET_ERRNO(WSCUpdateProvider, (LPGUID id, const WCHAR *p, const LPWSAPROTOCOL_INFOW i, DWORD n, LPINT err), err)
NOT_YET(INT, WSCEnableNSProvider, (LPGUID id, BOOL on), SOCKET_ERROR)
NOT_YET(INT, WSCInstallNameSpace, (LPWSTR i, LPWSTR p, DWORD ns, DWORD v, LPGUID id), SOCKET_ERROR)
NOT_YET(INT, WSCUnInstallNameSpace, (LPGUID id), SOCKET_ERROR)
NOT_YET(INT, WSCWriteProviderOrder, (LPDWORD e, DWORD n), WSAEOPNOTSUPP)
NOT_YET(INT, WSCWriteNameSpaceOrder, (LPGUID e, DWORD n), WSAEOPNOTSUPP)

/* WSCEnumProtocols is the catalog again, with the error in *err. */
W2U_EXPORT INT WINAPI WSCEnumProtocols(LPINT protocols, LPWSAPROTOCOL_INFOW buffer, LPDWORD len, LPINT err)
{
    int r = WSAEnumProtocolsW(protocols, buffer, len);
    if (r == SOCKET_ERROR && err)
        *err = WSAGetLastError();
    return r;
}

/* Windows-internal entry points with nothing to do here. */
W2U_EXPORT INT WINAPI WSApSetPostRoutine(void *routine)
{
    (void)routine;
    return 0;
}

W2U_EXPORT INT WINAPI WEP(INT reason)
{
    (void)reason;
    return 1;
}
