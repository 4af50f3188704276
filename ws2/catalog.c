/* The protocol catalog: the transports the io_uring provider serves, with
 * the fields Windows' own base providers report for them. */
#include "ws2_private.h"

/* XP1_* service flags and PFL_* provider flags (Windows values). */
#define XP1_CONNECTIONLESS       0x00000001u
#define XP1_GUARANTEED_DELIVERY  0x00000002u
#define XP1_GUARANTEED_ORDER     0x00000004u
#define XP1_MESSAGE_ORIENTED     0x00000008u
#define XP1_GRACEFUL_CLOSE       0x00000020u
#define XP1_EXPEDITED_DATA       0x00000040u
#define XP1_SUPPORT_BROADCAST    0x00000200u
#define XP1_SUPPORT_MULTIPOINT   0x00000400u
#define XP1_IFS_HANDLES          0x00020000u
#define PFL_MATCHES_PROTOCOL_ZERO 0x00000008u
#define PFL_HIDDEN               0x00000004u

#define STREAM_FLAGS (XP1_GUARANTEED_DELIVERY | XP1_GUARANTEED_ORDER | XP1_GRACEFUL_CLOSE | \
                      XP1_EXPEDITED_DATA | XP1_IFS_HANDLES)
#define DGRAM_FLAGS  (XP1_CONNECTIONLESS | XP1_MESSAGE_ORIENTED | XP1_SUPPORT_BROADCAST | \
                      XP1_SUPPORT_MULTIPOINT | XP1_IFS_HANDLES)
#define XP1_MESSAGE_ORIENTED_RAW (XP1_CONNECTIONLESS | XP1_MESSAGE_ORIENTED | XP1_SUPPORT_BROADCAST | \
                                  XP1_SUPPORT_MULTIPOINT | XP1_IFS_HANDLES)

/* In Windows' order, which socket()'s defaults follow: TCP, UDP, raw IP
 * (any IP protocol, hidden from menus as Windows hides it), per family. */
static const struct ws2_catalog_entry entries[] = {
    { 1001, W2U_AF_INET,  W2U_SOCK_STREAM, W2U_IPPROTO_TCP, 0, STREAM_FLAGS, PFL_MATCHES_PROTOCOL_ZERO,
      16, 16, 0, "MSAFD Tcpip [TCP/IP]", true, &ws2_uring_provider },
    { 1002, W2U_AF_INET,  W2U_SOCK_DGRAM,  W2U_IPPROTO_UDP, 0, DGRAM_FLAGS,  PFL_MATCHES_PROTOCOL_ZERO,
      16, 16, 65467, "MSAFD Tcpip [UDP/IP]", true, &ws2_uring_provider },
    { 1003, W2U_AF_INET,  W2U_SOCK_RAW,    0, 255, XP1_MESSAGE_ORIENTED_RAW, PFL_MATCHES_PROTOCOL_ZERO | PFL_HIDDEN,
      16, 16, 65467, "MSAFD Tcpip [RAW/IP]", true, &ws2_uring_provider },
    { 1004, W2U_AF_INET6, W2U_SOCK_STREAM, W2U_IPPROTO_TCP, 0, STREAM_FLAGS, PFL_MATCHES_PROTOCOL_ZERO,
      28, 28, 0, "MSAFD Tcpip [TCP/IPv6]", true, &ws2_uring_provider },
    { 1005, W2U_AF_INET6, W2U_SOCK_DGRAM,  W2U_IPPROTO_UDP, 0, DGRAM_FLAGS,  PFL_MATCHES_PROTOCOL_ZERO,
      28, 28, 65467, "MSAFD Tcpip [UDP/IPv6]", true, &ws2_uring_provider },
    { 1006, W2U_AF_INET6, W2U_SOCK_RAW,    0, 255, XP1_MESSAGE_ORIENTED_RAW, PFL_MATCHES_PROTOCOL_ZERO | PFL_HIDDEN,
      28, 28, 65467, "MSAFD Tcpip [RAW/IPv6]", true, &ws2_uring_provider },
    { 1007, W2U_AF_UNIX,  W2U_SOCK_STREAM, 0, 0, XP1_GUARANTEED_DELIVERY | XP1_GUARANTEED_ORDER |
      XP1_GRACEFUL_CLOSE | XP1_IFS_HANDLES, PFL_MATCHES_PROTOCOL_ZERO, 110, 2, 0, "AF_UNIX", false, &ws2_uring_provider },
};

const struct ws2_catalog_entry *ws2_catalog(size_t *count)
{
    *count = W2U_ARRAY_SIZE(entries);
    return entries;
}

const struct ws2_catalog_entry *ws2_catalog_find(int af, int type, int protocol)
{
    for (size_t i = 0; i < W2U_ARRAY_SIZE(entries); i++) {
        const struct ws2_catalog_entry *e = &entries[i];
        if ((af && e->af != af) || (type && e->type != type))
            continue;
        if (protocol ? protocol < e->protocol || protocol > e->protocol + e->protocol_span
                     : !(e->provider_flags & PFL_MATCHES_PROTOCOL_ZERO))
            continue;
        return e;
    }
    return NULL;
}
