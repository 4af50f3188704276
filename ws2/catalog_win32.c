/* The catalog as Windows structures: WSAEnumProtocolsA/W, SO_PROTOCOL_INFO,
 * and WSADuplicateSocketA/W (whose WSAPROTOCOL_INFO carries the duplicate). */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <ws2spi.h>
#include <string.h>

#include "ws2.h"
#include "ws2_win32.h"

/* Microsoft's MSAFD Tcpip provider, which programs may look for; AF_UNIX
 * gets ws2uring's own. */
static const GUID msafd_tcpip = { 0xe70f1aa0, 0xab8b, 0x11cf, { 0x8c, 0xa3, 0x00, 0x80, 0x5f, 0x48, 0xa1, 0x92 } };
static const GUID ws2uring_unix = { 0x6e5b2a84, 0x51f3, 0x4c1e, { 0x9b, 0x2d, 0x0a, 0x7c, 0x3e, 0x9f, 0x4d, 0x21 } };

/* Fills the fields A and W share; the name is set by the caller. */
#define FILL_INFO(info, e)                                                    \
    do {                                                                      \
        memset((info), 0, sizeof(*(info)));                                   \
        (info)->dwServiceFlags1 = (e)->service_flags1;                        \
        (info)->dwProviderFlags = (e)->provider_flags;                        \
        (info)->ProviderId = (e)->msafd ? msafd_tcpip : ws2uring_unix;        \
        (info)->dwCatalogEntryId = (e)->id;                                   \
        (info)->ProtocolChain.ChainLen = BASE_PROTOCOL;                       \
        (info)->iVersion = 2;                                                 \
        (info)->iAddressFamily = (e)->af;                                     \
        (info)->iMaxSockAddr = (e)->max_addr;                                 \
        (info)->iMinSockAddr = (e)->min_addr;                                 \
        (info)->iSocketType = (e)->type;                                      \
        (info)->iProtocol = (e)->protocol;                                    \
        (info)->iProtocolMaxOffset = (e)->protocol_span;                      \
        (info)->iNetworkByteOrder = BIGENDIAN;                                \
        (info)->iSecurityScheme = SECURITY_PROTOCOL_NONE;                     \
        (info)->dwMessageSize = (e)->message_size;                            \
    } while (0)

static void fill_a(WSAPROTOCOL_INFOA *info, const struct ws2_catalog_entry *e)
{
    FILL_INFO(info, e);
    strncpy(info->szProtocol, e->name, sizeof(info->szProtocol) - 1);
}

static void fill_w(WSAPROTOCOL_INFOW *info, const struct ws2_catalog_entry *e)
{
    FILL_INFO(info, e);
    for (size_t i = 0; e->name[i] && i + 1 < WSAPROTOCOL_LEN; i++)
        info->szProtocol[i] = (WCHAR)(unsigned char)e->name[i];
}

#define PFL_HIDDEN_ 0x00000004u

/* Entries matching the zero-terminated protocol list (NULL: all); hidden
 * ones (raw IP) serve socket() but are never enumerated, as on Windows. */
static bool wanted(const INT *protocols, const struct ws2_catalog_entry *e)
{
    if (e->provider_flags & PFL_HIDDEN_)
        return false;
    if (!protocols)
        return true;
    for (; *protocols; protocols++)
        if (*protocols == e->protocol)
            return true;
    return false;
}

#define ENUM_PROTOCOLS(TYPE, FILL)                                            \
    size_t count, n = 0;                                                      \
    const struct ws2_catalog_entry *cat = ws2_catalog(&count);               \
    if (ws2_check_started() < 0)                                             \
        return result_error(WSANOTINITIALISED);                              \
    if (!len || !user_out(len, sizeof(*len)) || !user_in(protocols, sizeof(INT))) \
        return result_error(WSAEFAULT);                                      \
    for (size_t i = 0; i < count; i++)                                       \
        n += wanted(protocols, &cat[i]);                                     \
    if (buffer && *len >= n * sizeof(TYPE) && !user_out(buffer, n * sizeof(TYPE))) \
        return result_error(WSAEFAULT);                                      \
    if (!buffer || *len < n * sizeof(TYPE)) {                                \
        /* Windows says how much room it needs. */                           \
        *len = (DWORD)(n * sizeof(TYPE));                                    \
        return result_error(WSAENOBUFS);                                     \
    }                                                                         \
    n = 0;                                                                    \
    for (size_t i = 0; i < count; i++)                                       \
        if (wanted(protocols, &cat[i]))                                      \
            FILL(&buffer[n++], &cat[i]);                                     \
    *len = (DWORD)(n * sizeof(TYPE));                                        \
    return ws2_result((int)n)

W2U_EXPORT int WINAPI WSAEnumProtocolsA(INT *protocols, WSAPROTOCOL_INFOA *buffer, DWORD *len)
{
    ENUM_PROTOCOLS(WSAPROTOCOL_INFOA, fill_a);
}

W2U_EXPORT int WINAPI WSAEnumProtocolsW(INT *protocols, WSAPROTOCOL_INFOW *buffer, DWORD *len)
{
    ENUM_PROTOCOLS(WSAPROTOCOL_INFOW, fill_w);
}

int ws2_win32_protocol_info(SOCKET s, int name, char *value, int *len)
{
    const struct ws2_catalog_entry *e;
    int r = ws2_socket_entry(s, &e);
    size_t need = name == SO_PROTOCOL_INFOW ? sizeof(WSAPROTOCOL_INFOW) : sizeof(WSAPROTOCOL_INFOA);
    if (r < 0)
        return r;
    if (!value || !len)
        return -W2U_WSAEFAULT;
    /* Too small: the size it needs; big enough: the length stays. */
    if (*len < (int)need) {
        *len = (int)need;
        return -W2U_WSAEFAULT;
    }
    if (name == SO_PROTOCOL_INFOW)
        fill_w((WSAPROTOCOL_INFOW *)value, e);
    else
        fill_a((WSAPROTOCOL_INFOA *)value, e);
    return 0;
}

/* WSADuplicateSocketA/W: the entry's info, carrying a one-use token.
 * Windows checks the socket, then the process id, then the buffer
 * (size bytes at info): 0, or the error. */
static int duplicate_prepare(SOCKET s, DWORD pid, void *info, size_t size, const struct ws2_catalog_entry **e,
                             struct ws2_dup_token *token)
{
    int r = ws2_socket_entry(s, e);
    if (r == 0 && !pid)
        r = -W2U_WSAEINVAL;
    if (r == 0 && (!info || !user_out(info, size)))
        r = -W2U_WSAEFAULT;
    return r < 0 ? r : ws2_duplicate_prepare(s, pid, token);
}

/* The token in the fields a WSASocket given the info reads it from. */
static int put_token(const struct ws2_dup_token *token, DWORD *reserved, DWORD *flags3, DWORD *flags4)
{
    *reserved = token->id;
    *flags3 = token->pid;
    *flags4 = token->nonce;
    return ws2_result(0);
}

W2U_EXPORT int WINAPI WSADuplicateSocketA(SOCKET s, DWORD pid, WSAPROTOCOL_INFOA *info)
{
    const struct ws2_catalog_entry *e;
    struct ws2_dup_token token;
    int r = duplicate_prepare(s, pid, info, sizeof(*info), &e, &token);
    if (r < 0)
        return result_error(-r);
    fill_a(info, e);
    return put_token(&token, &info->dwProviderReserved, &info->dwServiceFlags3, &info->dwServiceFlags4);
}

W2U_EXPORT int WINAPI WSADuplicateSocketW(SOCKET s, DWORD pid, WSAPROTOCOL_INFOW *info)
{
    const struct ws2_catalog_entry *e;
    struct ws2_dup_token token;
    int r = duplicate_prepare(s, pid, info, sizeof(*info), &e, &token);
    if (r < 0)
        return result_error(-r);
    fill_w(info, e);
    return put_token(&token, &info->dwProviderReserved, &info->dwServiceFlags3, &info->dwServiceFlags4);
}

/* ---- WSCGetProviderPath, WSCGetProviderInfo ------------------------------------------ */

static bool known_provider(const GUID *id)
{
    return !memcmp(id, &msafd_tcpip, sizeof(*id)) || !memcmp(id, &ws2uring_unix, sizeof(*id));
}

/* Both providers are where Windows keeps its own: mswsock.dll. */
W2U_EXPORT INT WINAPI WSCGetProviderPath(LPGUID id, LPWSTR path, LPINT len, LPINT err)
{
    static const char where[] = "%SystemRoot%\\system32\\mswsock.dll";
    int e = 0;
    if (!err)
        return SOCKET_ERROR;
    if (!id || !len)
        e = WSAEFAULT;
    else if (*len <= 0 || !path || !known_provider(id))
        e = WSAEINVAL;
    else if (*len < (int)sizeof(where)) {
        *len = (int)sizeof(where);            /* characters, the NUL included */
        e = WSAEFAULT;
    } else {
        for (size_t i = 0; i < sizeof(where); i++)
            path[i] = (WCHAR)where[i];
        *len = (int)sizeof(where);
    }
    *err = e;
    return e ? SOCKET_ERROR : 0;
}

/* Windows 7's audit record: its size and a reserved pointer. */
struct provider_audit {
    DWORD record_size;
    void *reserved;
};

/* The base providers belong to no LSP category. */
W2U_EXPORT INT WINAPI WSCGetProviderInfo(LPGUID id, WSC_PROVIDER_INFO_TYPE type, PBYTE info, size_t *len,
                                         DWORD flags, LPINT err)
{
    int e = 0;
    (void)flags;
    if (!err)
        return SOCKET_ERROR;
    if (!id)
        e = WSAEFAULT;
    else if (!known_provider(id))
        e = WSANO_RECOVERY;
    else if (!info || !len)
        e = WSAEFAULT;
    else if (type == ProviderInfoLspCategories) {
        if (*len < sizeof(DWORD))
            e = WSAEFAULT;
        else
            memset(info, 0, sizeof(DWORD));
        *len = sizeof(DWORD);
    } else if (type == ProviderInfoAudit) {
        if (*len < sizeof(struct provider_audit))
            e = WSAEFAULT;
        else
            memcpy(info, &(struct provider_audit){ sizeof(struct provider_audit), NULL }, sizeof(struct provider_audit));
        *len = sizeof(struct provider_audit);
    } else {
        e = WSAEINVAL;
    }
    *err = e;
    return e ? SOCKET_ERROR : 0;
}
