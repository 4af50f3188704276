/* Between resolve.c (Linux side) and resolve_win32.c (Windows structures). */
#ifndef W2U_WS2_RESOLVE_H
#define W2U_WS2_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Windows values. */
#define W2U_WSAHOST_NOT_FOUND     11001
#define W2U_WSATRY_AGAIN          11002
#define W2U_WSANO_RECOVERY        11003
#define W2U_WSANO_DATA            11004
#define W2U_WSATYPE_NOT_FOUND     10109
#define W2U_WSA_NOT_ENOUGH_MEMORY 8
#define W2U_WSA_E_CANCELLED       10111

#define W2U_AI_PASSIVE                0x00001
#define W2U_AI_CANONNAME              0x00002
#define W2U_AI_NUMERICHOST            0x00004
#define W2U_AI_NUMERICSERV            0x00008
#define W2U_AI_DNS_ONLY               0x00010
#define W2U_AI_ALL                    0x00100
#define W2U_AI_ADDRCONFIG             0x00400
#define W2U_AI_V4MAPPED               0x00800
#define W2U_AI_NON_AUTHORITATIVE      0x04000
#define W2U_AI_SECURE                 0x08000
#define W2U_AI_RETURN_PREFERRED_NAMES 0x10000
#define W2U_AI_FQDN                   0x20000
#define W2U_AI_FILESERVER             0x40000
#define W2U_AI_DISABLE_IDN_ENCODING   0x80000

#define W2U_NI_NOFQDN       0x01
#define W2U_NI_NUMERICHOST  0x02
#define W2U_NI_NAMEREQD     0x04
#define W2U_NI_NUMERICSERV  0x08
#define W2U_NI_DGRAM        0x10

struct ws2_ai_hints {
    int flags, family, socktype, protocol;     /* Windows values */
};

/* One answer, the address already in Windows layout. */
struct ws2_ai {
    int family, socktype, protocol;
    unsigned addrlen;
    unsigned char addr[28];
    char *canonname;          /* first entry only, when asked */
    struct ws2_ai *next;
};

/* Functions below return 0 or a positive WSA error (getaddrinfo style). */
int ws2_getaddrinfo(const char *node, const char *service, const struct ws2_ai_hints *hints,
                    struct ws2_ai **out);
void ws2_ai_free(struct ws2_ai *ai);

/* Asynchronous lookups (lookup.c).  ws2_lookup_start resolves on a thread
 * of its own (it copies its arguments) and gives the lookup's id in *id
 * (also GetAddrInfoExCancel's handle); timeout_ms < 0: none.  With a
 * settler, a thread of the library calls settler(id); without, the
 * caller must call ws2_lookup_settle(id) once, from a thread that may
 * block.  ws2_lookup_settle waits for the answer, a cancel or the
 * timeout, whichever is first, and returns the error (0,
 * WSA_E_CANCELLED, WSAETIMEDOUT or the lookup's), the list (the caller's
 * to free) and the owner given to start; -1 if id names no lookup.  The
 * id is then stale.  ws2_lookup_cancel: 0, or -1 if id names no lookup
 * still running. */
int ws2_lookup_start(const char *node, const char *service, const struct ws2_ai_hints *hints, int64_t timeout_ms,
                     void *owner, void (*settler)(uintptr_t id), uintptr_t *id);
int ws2_lookup_settle(uintptr_t id, struct ws2_ai **list, void **owner);
int ws2_lookup_cancel(uintptr_t id);
int ws2_getnameinfo(const void *addr, int addrlen, char *host, size_t hostlen, char *serv,
                    size_t servlen, int flags);
int ws2_gethostname(char *name, int len);

/* A services or protocols database record. */
struct ws2_db_entry {
    char *name;
    char **aliases;           /* NULL-terminated */
    char *proto;              /* services only */
    int number;               /* port (network order) or protocol number */
};
int ws2_getserv(const char *name, int port, const char *proto, struct ws2_db_entry *e);
int ws2_getproto(const char *name, int number, struct ws2_db_entry *e);
void ws2_db_entry_clear(struct ws2_db_entry *e);

/* Windows' address text (textaddr.c).  inet_addr's parser (a.b.c.d,
 * a.b.c, a.b, a; octal and hex parts; white space ends it): true with the
 * address in out (network order). */
bool ws2_inet_addr(const char *s, uint32_t *out);
/* RtlIpv4StringToAddress / RtlIpv6StringToAddress: 0 or -1; *end (if
 * end is not NULL) where parsing stopped, else the whole string must be
 * the address (and port).  port: a ":port" is taken (network order);
 * ex: brackets, %scope and ]:port.  What parsed is written even on -1. */
int ws2_ipv4_from_text(const char *s, bool strict, const char **end, void *addr, uint16_t *port);
int ws2_ipv6_from_text(const char *s, bool ex, const char **end, void *addr, uint32_t *scope, uint16_t *port);
/* inet_pton: 1, 0 (not an address), or -WSA error.  inet_ntop: 0,
 * -WSAEAFNOSUPPORT, or -1 for no room or no buffer (Windows then sets
 * STATUS_INVALID_PARAMETER as the error). */
int ws2_inet_pton(int family, const char *src, void *dst);
int ws2_inet_ntop(int family, const void *src, char *dst, size_t size);
/* WSAStringToAddress / WSAAddressToString (see resolve.c). */
int ws2_string_to_addr(const char *str, int family, void *addr, int *len);
int ws2_addr_to_string(const void *addr, int addrlen, char *out, unsigned *len);

/* The machine's unicast addresses of a family (Windows value), loopback
 * left out, as Windows sockaddrs; returns how many (at most max). */
unsigned ws2_interface_addresses(int family, unsigned char (*addrs)[28], int *lens, unsigned max);

/* SIO_GET_INTERFACE_LIST's facts of each IPv4 interface that is up:
 * Windows' IFF_* flags, and address, mask and broadcast (0 without
 * IFF_BROADCAST) in network order.  Returns how many (at most max). */
#define W2U_IFF_UP           0x01
#define W2U_IFF_BROADCAST    0x02
#define W2U_IFF_LOOPBACK     0x04
#define W2U_IFF_POINTTOPOINT 0x08
#define W2U_IFF_MULTICAST    0x10
struct ws2_iface4 {
    uint32_t flags, addr, mask, broadcast;
};
unsigned ws2_interfaces4(struct ws2_iface4 *out, unsigned max);
/* The networks WSALookupService's network list (NLA) names: each
 * interface that is up, not loopback, and has an IP address, with its
 * Windows interface type (IF_TYPE_*).  Returns how many (at most max). */
#define W2U_IF_TYPE_OTHER    1
#define W2U_IF_TYPE_ETHERNET 6
struct ws2_network {
    char name[16];
    uint32_t type;
};
unsigned ws2_networks(struct ws2_network *out, unsigned max);
/* SIO_ROUTING_INTERFACE_QUERY: the local address the kernel's routes
 * would send from to the Windows sockaddr dst, as a Windows sockaddr in
 * out (*outlen in: its size, out: the address's); 0 or -WSA error. */
int ws2_route_source(const void *dst, int dstlen, void *out, int *outlen);

/* A per-thread buffer of at least size bytes, kept until the next call on
 * the same thread (Windows' hostent/servent/inet_ntoa results live so). */
void *ws2_thread_buffer(size_t size);

#endif
