/* The namespace provider's Linux side: name and service resolution through
 * glibc, with Windows' flags, families, error codes and answers.  Results
 * are plain lists; resolve_win32.c lays them out as Windows structures. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <linux/if_packet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ws2.h"
#include "ws2_resolve.h"

/* ---- per-thread result buffers (gethostbyname & co. return them) ------------ */

static pthread_key_t buffer_key;
static pthread_once_t buffer_once = PTHREAD_ONCE_INIT;

static void make_buffer_key(void)
{
    pthread_key_create(&buffer_key, free);
}

void *ws2_thread_buffer(size_t size)
{
    pthread_once(&buffer_once, make_buffer_key);
    struct { size_t size; } *b = pthread_getspecific(buffer_key);
    if (b && b->size >= size)
        return b + 1;
    void *n = realloc(b, sizeof(*b) + size);
    if (!n)
        return NULL;
    b = n;
    b->size = size;
    pthread_setspecific(buffer_key, b);
    return b + 1;
}

/* ---- getaddrinfo -------------------------------------------------------------- */

static int eai_to_wsa(int eai)
{
    switch (eai) {
    case 0:             return 0;
    case EAI_NONAME:    return W2U_WSAHOST_NOT_FOUND;
    case EAI_ADDRFAMILY: return W2U_WSAHOST_NOT_FOUND;
    case EAI_AGAIN:     return W2U_WSATRY_AGAIN;
    case EAI_FAIL:      return W2U_WSANO_RECOVERY;
    case EAI_NODATA:    return W2U_WSANO_DATA;
    case EAI_SERVICE:   return W2U_WSATYPE_NOT_FOUND;
    case EAI_SOCKTYPE:  return W2U_WSAESOCKTNOSUPPORT;
    case EAI_FAMILY:    return W2U_WSAEAFNOSUPPORT;
    case EAI_MEMORY:    return W2U_WSA_NOT_ENOUGH_MEMORY;
    case EAI_BADFLAGS:  return W2U_WSAEINVAL;
    case EAI_OVERFLOW:  return W2U_WSAEFAULT;
    case EAI_SYSTEM:    return w2u_errno_to_wsa(errno);
    default:            return W2U_WSANO_RECOVERY;
    }
}

static const struct { int w, l; } ai_flag_map[] = {
    { W2U_AI_PASSIVE, AI_PASSIVE }, { W2U_AI_CANONNAME, AI_CANONNAME },
    { W2U_AI_NUMERICHOST, AI_NUMERICHOST }, { W2U_AI_NUMERICSERV, AI_NUMERICSERV },
    { W2U_AI_ALL, AI_ALL }, { W2U_AI_ADDRCONFIG, AI_ADDRCONFIG }, { W2U_AI_V4MAPPED, AI_V4MAPPED },
};
/* Windows-only flags that change nothing here (DNS-security, file-server
 * hints); they are accepted, as Windows accepts them. */
#define AI_WINDOWS_ONLY (W2U_AI_NON_AUTHORITATIVE | W2U_AI_SECURE | W2U_AI_RETURN_PREFERRED_NAMES | \
                         W2U_AI_FQDN | W2U_AI_FILESERVER | W2U_AI_DISABLE_IDN_ENCODING | W2U_AI_DNS_ONLY)

static int linux_ai_flags(int wflags, int *out)
{
    int known = AI_WINDOWS_ONLY, l = 0;
    for (size_t i = 0; i < W2U_ARRAY_SIZE(ai_flag_map); i++) {
        known |= ai_flag_map[i].w;
        if (wflags & ai_flag_map[i].w)
            l |= ai_flag_map[i].l;
    }
    if (wflags & ~known)
        return W2U_WSAEINVAL;
    *out = l;
    return 0;
}

void ws2_ai_free(struct ws2_ai *ai)
{
    while (ai) {
        struct ws2_ai *next = ai->next;
        free(ai->canonname);
        free(ai);
        ai = next;
    }
}

/* Appends glibc's answers, in Windows form, to *tail: each address once
 * (glibc gives one per socket type), with shape's type and protocol. */
static int append(struct addrinfo *res, const struct ws2_ai_hints *shape, struct ws2_ai ***tail,
                  struct ws2_ai *head)
{
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        if (a->ai_family != AF_INET && a->ai_family != AF_INET6)
            continue;
        struct sockaddr_storage ss;
        unsigned char waddr[sizeof(head->addr)];
        int wl = sizeof(waddr);
        memset(&ss, 0, sizeof(ss));
        memcpy(&ss, a->ai_addr, a->ai_addrlen);
        ws2_addr_from_linux(&ss, a->ai_addrlen, waddr, &wl);
        bool seen = false;
        for (struct ws2_ai *e = head; e && !seen; e = e->next)
            seen = e->addrlen == (unsigned)wl && !memcmp(e->addr, waddr, (size_t)wl);
        if (seen)
            continue;
        struct ws2_ai *e = calloc(1, sizeof(*e));
        if (!e)
            return W2U_WSA_NOT_ENOUGH_MEMORY;
        e->family = ws2_af_from_linux(a->ai_family);
        e->socktype = shape->socktype;
        e->protocol = shape->protocol;
        memcpy(e->addr, waddr, (size_t)wl);
        e->addrlen = (unsigned)wl;
        **tail = e;
        *tail = &e->next;
        if (!head)
            head = e;
    }
    return 0;
}

/* Windows answers "localhost" itself, without a hosts file or network:
 * ::1 and 127.0.0.1, IPv6 first. */
static bool is_localhost(const char *node)
{
    return node && !strcasecmp(node, "localhost");
}

/* So it does for its own name, from its interfaces: with no network (and
 * no hosts entry) a DNS query for it would only time out. */
static bool is_own_name(const char *node)
{
    char me[256];
    if (!node || gethostname(me, sizeof(me)) < 0)
        return false;
    me[sizeof(me) - 1] = 0;
    return !strcasecmp(node, me);
}

/* Numeric text of the addresses to answer for node: up to max entries of
 * INET6_ADDRSTRLEN, IPv6 first. */
static unsigned own_addresses(const char *node, char (*text)[INET6_ADDRSTRLEN], unsigned max)
{
    unsigned n = 0;
    if (is_localhost(node)) {
        strcpy(text[n++], "::1");
        strcpy(text[n++], "127.0.0.1");
        return n;
    }
    struct ifaddrs *ifa, *i;
    if (getifaddrs(&ifa) < 0)
        return own_addresses("localhost", text, max);
    for (int pass = 0; pass < 2; pass++) {
        int family = pass == 0 ? AF_INET6 : AF_INET;
        for (i = ifa; i && n < max; i = i->ifa_next) {
            if (!i->ifa_addr || i->ifa_addr->sa_family != family || !(i->ifa_flags & IFF_UP))
                continue;
            const void *a = family == AF_INET ? (const void *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr :
                                                (const void *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
            /* Link-local IPv6 needs a scope to be of use; skip it.  Windows
             * names loopback only for a machine with nothing else. */
            if ((family == AF_INET6 && (IN6_IS_ADDR_LINKLOCAL((const struct in6_addr *)a) ||
                                        IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)a))) ||
                (family == AF_INET && (ntohl(((const struct in_addr *)a)->s_addr) >> 24) == 127))
                continue;
            inet_ntop(family, a, text[n++], INET6_ADDRSTRLEN);
        }
    }
    freeifaddrs(ifa);
    return n ? n : own_addresses("localhost", text, max);
}

int ws2_getaddrinfo(const char *node, const char *service, const struct ws2_ai_hints *hints,
                    struct ws2_ai **out)
{
    struct ws2_ai_hints none = { 0 };
    struct addrinfo lh;
    struct ws2_ai *head = NULL, **tail = &head;
    char me[256], bare[INET6_ADDRSTRLEN + 32];
    int r;

    *out = NULL;
    if (!node && !service)
        return W2U_WSAHOST_NOT_FOUND;
    if (!hints)
        hints = &none;
    memset(&lh, 0, sizeof(lh));
    if ((r = linux_ai_flags(hints->flags, &lh.ai_flags)) != 0)
        return r;
    if ((hints->flags & W2U_AI_CANONNAME) && !node)
        return W2U_WSAEINVAL;
    if (hints->family != W2U_AF_UNSPEC && hints->family != W2U_AF_INET && hints->family != W2U_AF_INET6)
        return W2U_WSAEAFNOSUPPORT;
    /* The socket types Windows knows (stream to seqpacket). */
    if (hints->socktype < 0 || hints->socktype > 5)
        return W2U_WSAESOCKTNOSUPPORT;
    /* An empty node is this host; an empty service is port 0. */
    if (node && !node[0]) {
        if (gethostname(me, sizeof(me)) < 0)
            return w2u_errno_to_wsa(errno);
        me[sizeof(me) - 1] = 0;
        node = me;
    }
    if (service && !service[0])
        service = "0";
    /* "[v6]" (what follows the bracket, a port say, is ignored), unless
     * only IPv4 is asked for. */
    const char *close = node && node[0] == '[' ? strchr(node, ']') : NULL;
    if (close && hints->family != W2U_AF_INET && (size_t)(close - node) <= sizeof(bare)) {
        memcpy(bare, node + 1, (size_t)(close - node - 1));
        bare[close - node - 1] = 0;
        node = bare;
    }
    /* Windows turns a Unicode name into its punycode form. */
    if (node && !(hints->flags & W2U_AI_DISABLE_IDN_ENCODING))
        for (const unsigned char *c = (const unsigned char *)node; *c; c++)
            if (*c >= 0x80) {
                lh.ai_flags |= AI_IDN;
                break;
            }
    lh.ai_family = ws2_af_to_linux(hints->family);
    /* Windows echoes the hints' type and protocol in every answer and
     * takes combinations glibc refuses (UDP with a stream); glibc is only
     * asked for the addresses, with the type a service name needs. */
    lh.ai_socktype = hints->socktype == W2U_SOCK_STREAM || hints->socktype == W2U_SOCK_DGRAM ? hints->socktype : 0;
    struct ws2_ai_hints shape = { 0, 0, hints->socktype, hints->protocol };

    if ((is_localhost(node) || is_own_name(node)) && !(hints->flags & W2U_AI_NUMERICHOST)) {
        char text[16][INET6_ADDRSTRLEN];
        unsigned n = own_addresses(node, text, 16);
        lh.ai_flags = (lh.ai_flags & ~(AI_CANONNAME | AI_ADDRCONFIG)) | AI_NUMERICHOST;
        for (unsigned i = 0; i < n && !r; i++) {
            struct addrinfo *res;
            int family = strchr(text[i], ':') ? AF_INET6 : AF_INET;
            if (lh.ai_family != AF_UNSPEC && lh.ai_family != family)
                continue;
            int e = getaddrinfo(text[i], service, &lh, &res);
            if (e) {
                r = eai_to_wsa(e);
                break;
            }
            r = append(res, &shape, &tail, head);
            freeaddrinfo(res);
        }
        if (!r && head && (hints->flags & W2U_AI_CANONNAME) && !(head->canonname = strdup(node)))
            r = W2U_WSA_NOT_ENOUGH_MEMORY;
    } else {
        struct addrinfo *res;
        int e = getaddrinfo(node, service, &lh, &res);
        if (e)
            return eai_to_wsa(e);
        r = append(res, &shape, &tail, head);
        if (!r && head && res->ai_canonname && !(head->canonname = strdup(res->ai_canonname)))
            r = W2U_WSA_NOT_ENOUGH_MEMORY;
        freeaddrinfo(res);
    }
    if (!r && !head)
        r = W2U_WSAHOST_NOT_FOUND;
    if (r) {
        ws2_ai_free(head);
        return r;
    }
    *out = head;
    return 0;
}

/* ---- getnameinfo ----------------------------------------------------------------- */

static const struct { int w, l; } ni_flag_map[] = {
    { W2U_NI_NOFQDN, NI_NOFQDN }, { W2U_NI_NUMERICHOST, NI_NUMERICHOST },
    { W2U_NI_NAMEREQD, NI_NAMEREQD }, { W2U_NI_NUMERICSERV, NI_NUMERICSERV }, { W2U_NI_DGRAM, NI_DGRAM },
};

int ws2_getnameinfo(const void *addr, int addrlen, char *host, size_t hostlen, char *serv,
                    size_t servlen, int wflags)
{
    struct sockaddr_storage ss;
    unsigned sl;
    int lflags = 0, known = 0;
    int r = ws2_addr_to_linux(addr, addrlen, &ss, &sl);
    if (r < 0)
        return -r;
    if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
        return W2U_WSAEAFNOSUPPORT;
    for (size_t i = 0; i < W2U_ARRAY_SIZE(ni_flag_map); i++) {
        known |= ni_flag_map[i].w;
        if (wflags & ni_flag_map[i].w)
            lflags |= ni_flag_map[i].l;
    }
    if (wflags & ~known)
        return W2U_WSAEINVAL;
    if ((!host || !hostlen) && (!serv || !servlen))
        return W2U_WSAHOST_NOT_FOUND;
    /* Loopback names itself, as on Windows, without a hosts file. */
    if (host && hostlen && !(wflags & W2U_NI_NUMERICHOST)) {
        static const unsigned char v6lo[16] = { [15] = 1 };
        bool lo = ss.ss_family == AF_INET ?
                  ((const struct sockaddr_in *)&ss)->sin_addr.s_addr == htonl(INADDR_LOOPBACK) :
                  !memcmp(&((const struct sockaddr_in6 *)&ss)->sin6_addr, v6lo, 16);
        if (lo) {
            if (hostlen < sizeof("localhost"))
                return W2U_WSAEFAULT;
            strcpy(host, "localhost");
            host = NULL;
            hostlen = 0;
            if (!serv || !servlen)
                return 0;      /* nothing left to ask glibc */
        }
    }
    int e = getnameinfo((struct sockaddr *)&ss, sl, host, (socklen_t)hostlen, serv,
                        (socklen_t)servlen, lflags);
    return eai_to_wsa(e);
}

unsigned ws2_interface_addresses(int wfamily, unsigned char (*addrs)[28], int *lens, unsigned max)
{
    struct ifaddrs *ifa;
    unsigned n = 0;
    int family = ws2_af_to_linux(wfamily);
    if ((family != AF_INET && family != AF_INET6) || getifaddrs(&ifa) < 0)
        return 0;
    for (struct ifaddrs *i = ifa; i && n < max; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != family || (i->ifa_flags & IFF_LOOPBACK))
            continue;
        struct sockaddr_storage ss;
        memset(&ss, 0, sizeof(ss));
        unsigned sl = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
        memcpy(&ss, i->ifa_addr, sl);
        lens[n] = 28;
        if (ws2_addr_from_linux(&ss, sl, addrs[n], &lens[n]) == 0)
            n++;
    }
    freeifaddrs(ifa);
    return n;
}

unsigned ws2_interfaces4(struct ws2_iface4 *out, unsigned max)
{
    struct ifaddrs *ifa;
    unsigned n = 0;
    if (getifaddrs(&ifa) < 0)
        return 0;
    for (struct ifaddrs *i = ifa; i && n < max; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP))
            continue;
        struct ws2_iface4 *f = &out[n++];
        f->flags = W2U_IFF_UP | (i->ifa_flags & IFF_LOOPBACK ? W2U_IFF_LOOPBACK : 0) |
                   (i->ifa_flags & IFF_POINTOPOINT ? W2U_IFF_POINTTOPOINT : 0) |
                   (i->ifa_flags & IFF_MULTICAST ? W2U_IFF_MULTICAST : 0);
        f->addr = ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr;
        f->mask = i->ifa_netmask ? ((struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr : 0xffffffffu;
        f->broadcast = 0;
        if ((i->ifa_flags & IFF_BROADCAST) && i->ifa_broadaddr) {
            f->flags |= W2U_IFF_BROADCAST;
            f->broadcast = ((struct sockaddr_in *)i->ifa_broadaddr)->sin_addr.s_addr;
        }
    }
    freeifaddrs(ifa);
    return n;
}

unsigned ws2_networks(struct ws2_network *out, unsigned max)
{
    struct ifaddrs *ifa;
    unsigned n = 0;
    if (getifaddrs(&ifa) < 0)
        return 0;
    /* getifaddrs lists an interface once per address (and once for its
     * link layer): a network is an interface with an IP address. */
    for (struct ifaddrs *i = ifa; i && n < max; i = i->ifa_next) {
        if (!i->ifa_addr || (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6) ||
            !(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK))
            continue;
        unsigned k;
        for (k = 0; k < n && strcmp(out[k].name, i->ifa_name); k++)
            ;
        if (k < n)
            continue;
        snprintf(out[n].name, sizeof(out[n].name), "%s", i->ifa_name);
        out[n].type = W2U_IF_TYPE_OTHER;
        for (struct ifaddrs *l = ifa; l; l = l->ifa_next)
            if (l->ifa_addr && l->ifa_addr->sa_family == AF_PACKET && !strcmp(l->ifa_name, i->ifa_name) &&
                ((struct sockaddr_ll *)l->ifa_addr)->sll_hatype == ARPHRD_ETHER)
                out[n].type = W2U_IF_TYPE_ETHERNET;
        n++;
    }
    freeifaddrs(ifa);
    return n;
}

/* A datagram socket connected to dst gets the source address the routes
 * pick, without sending anything. */
int ws2_route_source(const void *dst, int dstlen, void *out, int *outlen)
{
    struct sockaddr_storage to, from;
    unsigned tl;
    socklen_t fl = sizeof(from);
    int r = ws2_addr_to_linux(dst, dstlen, &to, &tl);
    if (r < 0)
        return r;
    int fd = socket(to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -(int)w2u_errno_to_wsa(errno);
    if (connect(fd, (struct sockaddr *)&to, tl) < 0 || getsockname(fd, (struct sockaddr *)&from, &fl) < 0)
        r = -(int)w2u_errno_to_wsa(errno);
    close(fd);
    if (r == 0) {
        if (from.ss_family == AF_INET)
            ((struct sockaddr_in *)&from)->sin_port = 0;
        else
            ((struct sockaddr_in6 *)&from)->sin6_port = 0;
        r = ws2_addr_from_linux(&from, fl, out, outlen);
    }
    return r;
}

/* ---- host name, services, protocols ---------------------------------------------- */

int ws2_gethostname(char *name, int len)
{
    char buf[256];
    if (!name)
        return W2U_WSAEFAULT;
    if (gethostname(buf, sizeof(buf)) < 0)
        return w2u_errno_to_wsa(errno);
    buf[sizeof(buf) - 1] = 0;
    if (len <= (int)strlen(buf))
        return W2U_WSAEFAULT;
    strcpy(name, buf);
    return 0;
}

/* glibc's reentrant database look-ups, into a plain record. */
static int copy_names(const char *name, char **aliases, struct ws2_db_entry *e)
{
    e->name = strdup(name);
    size_t n = 0;
    while (aliases && aliases[n])
        n++;
    e->aliases = calloc(n + 1, sizeof(char *));
    if (!e->name || !e->aliases)
        return W2U_WSA_NOT_ENOUGH_MEMORY;
    for (size_t i = 0; i < n; i++)
        if (!(e->aliases[i] = strdup(aliases[i])))
            return W2U_WSA_NOT_ENOUGH_MEMORY;
    return 0;
}

void ws2_db_entry_clear(struct ws2_db_entry *e)
{
    free(e->name);
    free(e->proto);
    for (size_t i = 0; e->aliases && e->aliases[i]; i++)
        free(e->aliases[i]);
    free(e->aliases);
    memset(e, 0, sizeof(*e));
}

int ws2_getserv(const char *name, int port, const char *proto, struct ws2_db_entry *e)
{
    struct servent se, *res = NULL;
    char buf[4096];
    memset(e, 0, sizeof(*e));
    if (name)
        getservbyname_r(name, proto, &se, buf, sizeof(buf), &res);
    else
        getservbyport_r(port, proto, &se, buf, sizeof(buf), &res);
    if (!res)
        return W2U_WSANO_DATA;
    int r = copy_names(res->s_name, res->s_aliases, e);
    e->number = res->s_port;        /* network order, as Windows keeps it */
    if (!r && !(e->proto = strdup(res->s_proto)))
        r = W2U_WSA_NOT_ENOUGH_MEMORY;
    if (r)
        ws2_db_entry_clear(e);
    return r;
}

/* Windows' own protocol database (its %SystemRoot%\System32\drivers\etc\protocol),
 * not the host's /etc/protocols: programs get the names and numbers
 * Windows gives (Wine's protocol.c pins them), one alias each. */
static const struct { int number; const char *name, *alias; } protocols[] = {
    { 0, "ip", "IP" },             { 1, "icmp", "ICMP" },           { 3, "ggp", "GGP" },
    { 6, "tcp", "TCP" },           { 8, "egp", "EGP" },             { 12, "pup", "PUP" },
    { 17, "udp", "UDP" },          { 20, "hmp", "HMP" },            { 22, "xns-idp", "XNS-IDP" },
    { 27, "rdp", "RDP" },          { 41, "ipv6", "IPv6" },          { 43, "ipv6-route", "IPv6-Route" },
    { 44, "ipv6-frag", "IPv6-Frag" }, { 50, "esp", "ESP" },         { 51, "ah", "AH" },
    { 58, "ipv6-icmp", "IPv6-ICMP" }, { 59, "ipv6-nonxt", "IPv6-NoNxt" }, { 60, "ipv6-opts", "IPv6-Opts" },
    { 66, "rvd", "RVD" },
};

int ws2_getproto(const char *name, int number, struct ws2_db_entry *e)
{
    memset(e, 0, sizeof(*e));
    for (size_t i = 0; i < W2U_ARRAY_SIZE(protocols); i++) {
        /* Names match whatever their case, as on Windows. */
        if (name ? strcasecmp(name, protocols[i].name) && strcasecmp(name, protocols[i].alias)
                 : number != protocols[i].number)
            continue;
        char *aliases[] = { (char *)protocols[i].alias, NULL };
        int r = copy_names(protocols[i].name, aliases, e);
        e->number = protocols[i].number;
        if (r)
            ws2_db_entry_clear(e);
        return r;
    }
    return W2U_WSANO_DATA;
}

/* ---- text <-> address --------------------------------------------------------------- */

int ws2_inet_pton(int wfamily, const char *src, void *dst)
{
    const char *end = NULL;
    if (!src)
        return -W2U_WSAEFAULT;
    if (wfamily != W2U_AF_INET && wfamily != W2U_AF_INET6)
        return -W2U_WSAEAFNOSUPPORT;
    if (!dst)
        return -W2U_WSAEFAULT;
    /* Strict: only the whole string, though what parsed is written. */
    int r = wfamily == W2U_AF_INET ? ws2_ipv4_from_text(src, true, &end, dst, NULL)
                                   : ws2_ipv6_from_text(src, false, &end, dst, NULL, NULL);
    return r == 0 && !*end;
}

int ws2_inet_ntop(int wfamily, const void *src, char *dst, size_t size)
{
    int family = wfamily == W2U_AF_INET ? AF_INET : wfamily == W2U_AF_INET6 ? AF_INET6 : -1;
    if (family < 0)
        return -W2U_WSAEAFNOSUPPORT;
    if (!src || !dst || !inet_ntop(family, src, dst, (socklen_t)size))
        return -1;                     /* the caller sets Windows' error, an NTSTATUS */
    return 0;
}

/* WSAStringToAddress: Windows' rules (ws2_ipv4_from_text /
 * ws2_ipv6_from_text with ports, brackets and scopes), straight into the
 * Windows sockaddr, which is zeroed first: a failed parse leaves there
 * what it had written, and no family. */
int ws2_string_to_addr(const char *str, int wfamily, void *addr, int *len)
{
    if (!addr || !len)
        return W2U_WSAEFAULT;
    if (!str || (wfamily != W2U_AF_INET && wfamily != W2U_AF_INET6))
        return W2U_WSAEINVAL;
    int need = wfamily == W2U_AF_INET ? 16 : 28;
    if (*len < need) {
        *len = need;
        return W2U_WSAEFAULT;
    }
    unsigned char *w = addr;
    uint16_t port = 0, family = (uint16_t)wfamily;
    uint32_t scope = 0;
    memset(w, 0, (size_t)need);
    if (wfamily == W2U_AF_INET ? ws2_ipv4_from_text(str, false, NULL, w + 4, &port) < 0
                               : ws2_ipv6_from_text(str, true, NULL, w + 8, &scope, &port) < 0)
        return W2U_WSAEINVAL;
    memcpy(w, &family, 2);
    memcpy(w + 2, &port, 2);
    if (wfamily == W2U_AF_INET6)
        memcpy(w + 24, &scope, 4);
    *len = need;
    return 0;
}

/* Windows' text for an address: "1.2.3.4:80", "[::1]:80", "::1", "fe80::1%3";
 * the port only when it is not 0.  *len counts the NUL; too small gives
 * WSAEFAULT and the length needed. */
int ws2_addr_to_string(const void *addr, int addrlen, char *out, unsigned *len)
{
    struct sockaddr_storage ss;
    unsigned sl;
    char host[INET6_ADDRSTRLEN], text[INET6_ADDRSTRLEN + 24];
    if (!addr || !len)
        return W2U_WSAEFAULT;
    int r = ws2_addr_to_linux(addr, addrlen, &ss, &sl);
    if (r < 0)
        return r == -W2U_WSAEAFNOSUPPORT ? W2U_WSAEINVAL : -r;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
        if (in->sin_port)
            snprintf(text, sizeof(text), "%s:%u", host, ntohs(in->sin_port));
        else
            snprintf(text, sizeof(text), "%s", host);
    } else if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
        char scope[16] = "";
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        if (in6->sin6_scope_id)
            snprintf(scope, sizeof(scope), "%%%u", in6->sin6_scope_id);
        if (in6->sin6_port)
            snprintf(text, sizeof(text), "[%s%s]:%u", host, scope, ntohs(in6->sin6_port));
        else
            snprintf(text, sizeof(text), "%s%s", host, scope);
    } else {
        return W2U_WSAEINVAL;
    }
    unsigned need = (unsigned)strlen(text) + 1;
    if (!out || *len < need) {
        *len = need;
        return W2U_WSAEFAULT;
    }
    memcpy(out, text, need);
    *len = need;
    return 0;
}
