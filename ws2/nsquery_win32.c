/* WSALookupServiceBegin/Next/End (A and W): the two namespaces a Windows
 * machine answers without extra providers.
 *
 * - Network location awareness: NS_NLA, or NS_ALL with no service class
 *   or NLA's.  One result per network, which here is an interface that is
 *   up, not loopback and has an IP address (ws2_networks): its name is the
 *   interface's, its blob one NLA_INTERFACE record.
 * - DNS host look-ups: NS_DNS or NS_ALL with SVCID_HOSTNAME (no name: this
 *   host), SVCID_INET_HOSTADDRBYNAME or SVCID_INET_HOSTADDRBYINETSTRING
 *   (numeric text only).  One result: the canonical name and the
 *   addresses as CSADDR_INFO.  The hostent blob some Windows providers
 *   add is not given (lpBlob stays NULL).
 *
 * Begin gathers every result, so Next only copies out, and a buffer that
 * is too small can be retried (or skipped with LUP_FLUSHPREVIOUS), as on
 * Windows.  The lookup handle is a ws2uring handle, so a stale or made-up
 * one is refused with WSA_INVALID_HANDLE instead of being dereferenced. */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ws2.h"
#include "ws2_resolve.h"
#include "ws2_win32.h"

#ifndef LUP_FLUSHPREVIOUS
#define LUP_FLUSHPREVIOUS 0x2000
#endif

/* Windows' service class identifiers (svcguid.h, mswsock.h). */
static const GUID class_hostname = { 0x0002a800, 0, 0, { 0xC0, 0, 0, 0, 0, 0, 0, 0x46 } };
static const GUID class_by_text = { 0x0002a801, 0, 0, { 0xC0, 0, 0, 0, 0, 0, 0, 0x46 } };
static const GUID class_by_name = { 0x0002a803, 0, 0, { 0xC0, 0, 0, 0, 0, 0, 0, 0x46 } };
static const GUID class_nla = { 0x0037e515, 0xb5c9, 0x4a43, { 0xba, 0xda, 0x8b, 0x48, 0xa8, 0x7a, 0xd2, 0x39 } };

#define MAX_NETWORKS 64

struct ns_result {
    char *name;                     /* UTF-8 */
    struct ws2_ai *addrs;           /* a host's answers; NULL for a network */
    DWORD space;                    /* NS_NLA or NS_DNS */
    DWORD if_type;                  /* a network's IF_TYPE_* */
};

struct ns_lookup {
    struct w2u_object obj;
    struct w2u_mutex lock;          /* next */
    DWORD flags;
    GUID class_id;
    unsigned count, next;
    struct ns_result results[];
};

static void lookup_destroy(struct w2u_object *obj)
{
    struct ns_lookup *l = W2U_CONTAINER_OF(obj, struct ns_lookup, obj);
    for (unsigned i = 0; i < l->count; i++) {
        free(l->results[i].name);
        ws2_ai_free(l->results[i].addrs);
    }
    free(l);
}

static const struct w2u_object_ops lookup_ops = {
    .type = W2U_OBJ_LOOKUP,
    .name = "lookup",
    .destroy = lookup_destroy,
};

static struct ns_lookup *new_lookup(unsigned count, DWORD flags, const GUID *class_id)
{
    struct ns_lookup *l = calloc(1, sizeof(*l) + count * sizeof(l->results[0]));
    if (l) {
        l->count = count;
        l->flags = flags;
        l->class_id = *class_id;
    }
    return l;
}

/* A network list: one result per network. */
static int networks(DWORD flags, struct ns_lookup **out)
{
    struct ws2_network *nets = calloc(MAX_NETWORKS, sizeof(*nets));
    if (!nets)
        return -WSA_NOT_ENOUGH_MEMORY;
    unsigned n = ws2_networks(nets, MAX_NETWORKS);
    struct ns_lookup *l = new_lookup(n, flags, &class_nla);
    int r = l ? 0 : -WSA_NOT_ENOUGH_MEMORY;
    for (unsigned i = 0; l && i < n; i++) {
        l->results[i] = (struct ns_result){ .name = strdup(nets[i].name), .space = NS_NLA,
                                            .if_type = nets[i].type };
        if (!l->results[i].name)
            r = -WSA_NOT_ENOUGH_MEMORY;
    }
    free(nets);
    if (r && l)
        lookup_destroy(&l->obj);
    else
        *out = l;
    return r;
}

/* A host's addresses: one result, or the resolver's error. */
static int host(const char *name, const GUID *class_id, DWORD flags, struct ns_lookup **out)
{
    char me[256];
    if (!name || !*name) {
        if (memcmp(class_id, &class_hostname, sizeof(GUID)))
            return -WSAEINVAL;
        int e = ws2_gethostname(me, sizeof(me));
        if (e)
            return -e;
        name = me;
    }
    struct ws2_ai_hints hints = { .flags = AI_CANONNAME, .socktype = SOCK_STREAM, .protocol = IPPROTO_TCP };
    if (!memcmp(class_id, &class_by_text, sizeof(GUID)))
        hints.flags |= AI_NUMERICHOST;
    struct ws2_ai *ai = NULL;
    int e = ws2_getaddrinfo(name, NULL, &hints, &ai);
    if (e)
        return -e;
    struct ns_lookup *l = new_lookup(1, flags, class_id);
    char *canon = strdup(ai && ai->canonname ? ai->canonname : name);
    if (!l || !canon) {
        free(l);
        free(canon);
        ws2_ai_free(ai);
        return -WSA_NOT_ENOUGH_MEMORY;
    }
    l->results[0] = (struct ns_result){ .name = canon, .addrs = ai, .space = NS_DNS };
    *out = l;
    return 0;
}

static bool is_class(const GUID *id, const GUID *want)
{
    return !memcmp(id, want, sizeof(GUID));
}

/* The A and W query sets have one layout; name is the instance name in
 * UTF-8.  Returns 0 or -WSA error. */
static int begin(const WSAQUERYSETW *q, const char *name, DWORD flags, HANDLE *handle)
{
    if (q->dwSize < sizeof(*q))
        return -WSAEINVAL;
    const GUID *id = q->lpServiceClassId;
    DWORD ns = q->dwNameSpace;
    struct ns_lookup *l = NULL;
    int r;
    if ((ns == NS_NLA || ns == NS_ALL) && (!id || is_class(id, &class_nla)))
        r = networks(flags, &l);
    else if ((ns == NS_DNS || ns == NS_ALL) && id &&
             (is_class(id, &class_hostname) || is_class(id, &class_by_name) || is_class(id, &class_by_text)))
        r = host(name, id, flags, &l);
    else if (ns == NS_DNS && !id)
        r = -WSAEINVAL;             /* a DNS query names its service class */
    else
        r = -WSASERVICE_NOT_FOUND;
    if (r)
        return r;
    uintptr_t h;
    if (w2u_handle_alloc(&l->obj, &lookup_ops, &h) < 0) {
        lookup_destroy(&l->obj);
        return -WSA_NOT_ENOUGH_MEMORY;
    }
    *handle = (HANDLE)h;
    return 0;
}

/* ---- copying a result out ----------------------------------------------------------- */

/* A bump allocator over the caller's buffer: place() hands out aligned
 * room while it fits, NULL once it does not (or when only measuring);
 * used says what the whole result needs. */
struct out {
    char *base;
    size_t cap, used;
};

static void *place(struct out *o, size_t size, size_t align)
{
    size_t at = (o->used + align - 1) & ~(align - 1);
    o->used = at + size;
    return o->base && o->used <= o->cap ? o->base + at : NULL;
}

static void *put_text(struct out *o, const char *s, bool wide)
{
    if (wide) {
        size_t n = w2u_utf16_units(s);
        uint16_t *w = place(o, n * sizeof(uint16_t), sizeof(uint16_t));
        if (w)
            w2u_utf16_from_utf8(s, w, n);
        return w;
    }
    size_t n = strlen(s) + 1;
    char *a = place(o, n, 1);
    if (a)
        memcpy(a, s, n);
    return a;
}

static void put_addrs(struct out *o, WSAQUERYSETW *q, const struct ws2_ai *list)
{
    DWORD n = 0;
    for (const struct ws2_ai *a = list; a; a = a->next)
        n++;
    CSADDR_INFO *cs = place(o, n * sizeof(*cs), sizeof(void *));
    DWORD i = 0;
    for (const struct ws2_ai *a = list; a; a = a->next, i++) {
        SOCKADDR *remote = place(o, a->addrlen, sizeof(void *));
        SOCKADDR *local = place(o, a->addrlen, sizeof(void *));
        if (!cs || !remote || !local)
            continue;
        memcpy(remote, a->addr, a->addrlen);
        /* The local side is the family's unspecified address. */
        memset(local, 0, a->addrlen);
        local->sa_family = remote->sa_family;
        cs[i] = (CSADDR_INFO){ .LocalAddr = { local, (INT)a->addrlen }, .RemoteAddr = { remote, (INT)a->addrlen },
                               .iSocketType = a->socktype, .iProtocol = a->protocol };
    }
    if (q) {
        q->dwNumberOfCsAddrs = n;
        q->lpcsaBuffer = cs;
    }
}

static void put_network_blob(struct out *o, WSAQUERYSETW *q, const struct ns_result *r)
{
    BLOB *b = place(o, sizeof(*b), sizeof(void *));
    size_t size = offsetof(NLA_BLOB, data.interfaceData.adapterName) + strlen(r->name) + 1;
    NLA_BLOB *nb = place(o, size, sizeof(DWORD));
    if (!b || !nb || !q)
        return;
    memset(nb, 0, size);
    nb->header.type = NLA_INTERFACE;
    nb->header.dwSize = (DWORD)size;
    nb->header.nextOffset = 0;          /* the only record */
    nb->data.interfaceData.dwType = r->if_type;
    nb->data.interfaceData.dwSpeed = 0; /* not known */
    strcpy(nb->data.interfaceData.adapterName, r->name);
    b->cbSize = (ULONG)size;
    b->pBlobData = (BYTE *)nb;
    q->lpBlob = b;
}

/* Lays out result r in o: what the lookup's flags ask for. */
static void put_result(struct out *o, const struct ns_lookup *l, const struct ns_result *r, bool wide)
{
    WSAQUERYSETW *q = place(o, sizeof(*q), sizeof(void *));
    if (q) {
        memset(q, 0, sizeof(*q));
        q->dwSize = sizeof(*q);
        q->dwNameSpace = r->space;
    }
    if (l->flags & LUP_RETURN_TYPE) {
        GUID *g = place(o, sizeof(*g), sizeof(DWORD));
        if (g)
            *g = l->class_id;
        if (q)
            q->lpServiceClassId = g;
    }
    if (l->flags & LUP_RETURN_NAME) {
        void *name = put_text(o, r->name, wide);
        if (q)
            q->lpszServiceInstanceName = name;
    }
    if ((l->flags & LUP_RETURN_ADDR) && r->addrs)
        put_addrs(o, q, r->addrs);
    if ((l->flags & LUP_RETURN_BLOB) && r->space == NS_NLA)
        put_network_blob(o, q, r);
}

static int next(HANDLE handle, DWORD flags, DWORD *len, void *results, bool wide)
{
    struct w2u_object *obj = w2u_handle_get((uintptr_t)handle, W2U_OBJ_LOOKUP);
    if (!obj)
        return -WSA_INVALID_HANDLE;
    struct ns_lookup *l = W2U_CONTAINER_OF(obj, struct ns_lookup, obj);
    int r = 0;
    w2u_mutex_lock(&l->lock);
    /* The result a too small buffer could not take is dropped on request. */
    if ((flags & LUP_FLUSHPREVIOUS) && l->next < l->count)
        l->next++;
    if (!len) {
        r = -WSAEFAULT;
    } else if (l->next >= l->count) {
        r = -WSA_E_NO_MORE;
    } else {
        const struct ns_result *res = &l->results[l->next];
        struct out measure = { 0 };
        put_result(&measure, l, res, wide);
        if (!results || *len < measure.used) {
            *len = (DWORD)measure.used;
            r = -WSAEFAULT;
        } else {
            struct out o = { .base = results, .cap = *len };
            put_result(&o, l, res, wide);
            l->next++;
        }
    }
    w2u_mutex_unlock(&l->lock);
    w2u_object_unref(obj);
    return r;
}

/* ---- exports ------------------------------------------------------------------------ */

WSAAPI_EXPORT INT WINAPI WSALookupServiceBeginW(LPWSAQUERYSETW q, DWORD flags, LPHANDLE handle)
{
    if (!q || !handle)
        return result_error(WSAEFAULT);
    char *name = q->lpszServiceInstanceName ? w2u_utf8_from_utf16(q->lpszServiceInstanceName) : NULL;
    if (q->lpszServiceInstanceName && !name)
        return result_error(WSA_NOT_ENOUGH_MEMORY);
    int r = begin(q, name, flags, handle);
    free(name);
    return ws2_result(r);
}

WSAAPI_EXPORT INT WINAPI WSALookupServiceBeginA(LPWSAQUERYSETA q, DWORD flags, LPHANDLE handle)
{
    _Static_assert(sizeof(WSAQUERYSETA) == sizeof(WSAQUERYSETW) &&
                       offsetof(WSAQUERYSETA, lpBlob) == offsetof(WSAQUERYSETW, lpBlob),
                   "the A and W query sets share a layout");
    if (!q || !handle)
        return result_error(WSAEFAULT);
    return ws2_result(begin((const WSAQUERYSETW *)q, q->lpszServiceInstanceName, flags, handle));
}

WSAAPI_EXPORT INT WINAPI WSALookupServiceNextW(HANDLE handle, DWORD flags, LPDWORD len, LPWSAQUERYSETW results)
{
    return ws2_result(next(handle, flags, len, results, true));
}

WSAAPI_EXPORT INT WINAPI WSALookupServiceNextA(HANDLE handle, DWORD flags, LPDWORD len, LPWSAQUERYSETA results)
{
    return ws2_result(next(handle, flags, len, results, false));
}

WSAAPI_EXPORT INT WINAPI WSALookupServiceEnd(HANDLE handle)
{
    /* Only a lookup's handle: the table holds sockets and ports too. */
    struct w2u_object *obj = w2u_handle_get((uintptr_t)handle, W2U_OBJ_LOOKUP);
    if (!obj)
        return result_error(WSA_INVALID_HANDLE);
    w2u_object_unref(obj);
    return ws2_result(w2u_handle_close((uintptr_t)handle) < 0 ? -WSA_INVALID_HANDLE : 0);
}
