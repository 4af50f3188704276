/* Name resolution with Windows structures: ADDRINFOA/W (whose field order
 * differs from glibc's addrinfo), hostent/servent/protoent in Windows
 * layout kept per thread, and the A/W text conversions. */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#include "../iocp/iocp.h"
#include "ws2.h"
#include "ws2_resolve.h"
#include "ws2_win32.h"

_Static_assert(AI_PASSIVE == W2U_AI_PASSIVE && AI_CANONNAME == W2U_AI_CANONNAME &&
               AI_NUMERICHOST == W2U_AI_NUMERICHOST && AI_NUMERICSERV == W2U_AI_NUMERICSERV &&
               AI_ALL == W2U_AI_ALL && AI_ADDRCONFIG == W2U_AI_ADDRCONFIG &&
               AI_V4MAPPED == W2U_AI_V4MAPPED, "AI_*");
_Static_assert(NI_NOFQDN == W2U_NI_NOFQDN && NI_NUMERICHOST == W2U_NI_NUMERICHOST &&
               NI_NAMEREQD == W2U_NI_NAMEREQD && NI_NUMERICSERV == W2U_NI_NUMERICSERV &&
               NI_DGRAM == W2U_NI_DGRAM, "NI_*");
_Static_assert(WSAHOST_NOT_FOUND == W2U_WSAHOST_NOT_FOUND && WSANO_DATA == W2U_WSANO_DATA &&
               WSATRY_AGAIN == W2U_WSATRY_AGAIN && WSANO_RECOVERY == W2U_WSANO_RECOVERY &&
               WSATYPE_NOT_FOUND == W2U_WSATYPE_NOT_FOUND, "WSA resolver errors");

/* ---- getaddrinfo family ----------------------------------------------------------------- */

static int ai_error(int err)
{
    w2u_set_error((uint32_t)err);
    return err;
}

/* Copies the common fields of one answer into a Windows node. */
#define FILL_NODE(node, a, flags_)                                   \
    do {                                                             \
        (node)->ai_flags = (flags_);                                 \
        (node)->ai_family = (a)->family;                             \
        (node)->ai_socktype = (a)->socktype;                         \
        (node)->ai_protocol = (a)->protocol;                         \
        (node)->ai_addrlen = (a)->addrlen;                           \
        (node)->ai_addr = (struct sockaddr *)((node) + 1);           \
        memcpy((node) + 1, (a)->addr, (a)->addrlen);                 \
    } while (0)


/* The hints that matter, after Windows' check that the output-only fields
 * are empty; 0 or the error getaddrinfo returns. */
#define TAKE_HINTS(hints, h)                                                           \
    ((hints) && ((hints)->ai_addrlen || (hints)->ai_canonname || (hints)->ai_addr ||   \
                 (hints)->ai_next) ? WSANO_RECOVERY                                    \
     : ((hints) ? (void)((h) = (struct ws2_ai_hints){ (hints)->ai_flags, (hints)->ai_family, \
                                                      (hints)->ai_socktype,             \
                                                      (hints)->ai_protocol }) : (void)0, 0))

/* Lays the answers out as a list of TYPE, one allocation per node (address
 * and name inside), the name copied by COPY_NAME(dst, src, chars); frees
 * list.  err becomes WSA_NOT_ENOUGH_MEMORY (and *res NULL) when memory
 * runs out. */
#define BUILD_LIST(TYPE, FREE, COPY_NAME, list, flags, res, err)                        \
    do {                                                                               \
        TYPE *head_ = NULL, **tail_ = &head_;                                          \
        for (struct ws2_ai *a_ = (list); a_; a_ = a_->next) {                          \
            size_t cn_ = a_->canonname ? strlen(a_->canonname) + 1 : 0;                \
            TYPE *n_ = calloc(1, sizeof(*n_) + sizeof(a_->addr) +                       \
                                 cn_ * sizeof(*n_->ai_canonname));                      \
            if (!n_) {                                                                 \
                FREE(head_);                                                           \
                head_ = NULL;                                                          \
                (err) = WSA_NOT_ENOUGH_MEMORY;                                         \
                break;                                                                 \
            }                                                                          \
            FILL_NODE(n_, a_, (flags));                                                \
            if (cn_) {                                                                 \
                n_->ai_canonname = (void *)((char *)(n_ + 1) + sizeof(a_->addr));       \
                COPY_NAME(n_->ai_canonname, a_->canonname, cn_);                       \
            }                                                                          \
            *tail_ = n_;                                                               \
            tail_ = &n_->ai_next;                                                      \
        }                                                                              \
        ws2_ai_free(list);                                                             \
        *(res) = head_;                                                                \
    } while (0)

#define COPY_A(dst, src, n) memcpy((dst), (src), (n))
#define COPY_W(dst, src, n) w2u_utf16_from_utf8((src), (dst), (n))

WRAPPED(void, freeaddrinfo, (struct addrinfo *ai))
{
    /* Each node is one allocation with its address and name. */
    while (ai) {
        struct addrinfo *next = ai->ai_next;
        free(ai);
        ai = next;
    }
}

WRAPPED(int, getaddrinfo, (const char *node, const char *service, const struct addrinfo *hints,
                           struct addrinfo **res))
{
    struct ws2_ai_hints h = { 0 };
    struct ws2_ai *list;
    int r;

    if (!res)
        return ai_error(WSAEINVAL);
    if (!user_out(res, sizeof(*res)) || !user_in(hints, sizeof(*hints)))
        return ai_error(WSAEFAULT);
    *res = NULL;
    if ((r = TAKE_HINTS(hints, h)) || (r = ws2_getaddrinfo(node, service, &h, &list)))
        return ai_error(r);
    BUILD_LIST(struct addrinfo, ws2u_freeaddrinfo, COPY_A, list, h.flags, res, r);
    return r ? ai_error(r) : ws2_result(0);
}

W2U_EXPORT void WINAPI FreeAddrInfoW(ADDRINFOW *ai);

W2U_EXPORT int WINAPI GetAddrInfoW(const WCHAR *node, const WCHAR *service, const ADDRINFOW *hints,
                                   ADDRINFOW **res)
{
    struct ws2_ai_hints h = { 0 };
    struct ws2_ai *list;
    int r;

    if (!res)
        return ai_error(WSAEINVAL);
    if (!user_out(res, sizeof(*res)) || !user_in(hints, sizeof(*hints)))
        return ai_error(WSAEFAULT);
    *res = NULL;
    if ((r = TAKE_HINTS(hints, h)))
        return ai_error(r);
    char *n8 = w2u_utf8_from_utf16(node), *s8 = w2u_utf8_from_utf16(service);
    if ((node && !n8) || (service && !s8))
        r = WSA_NOT_ENOUGH_MEMORY;
    else
        r = ws2_getaddrinfo(n8, s8, &h, &list);
    free(n8);
    free(s8);
    if (r)
        return ai_error(r);
    BUILD_LIST(ADDRINFOW, FreeAddrInfoW, COPY_W, list, h.flags, res, r);
    return r ? ai_error(r) : ws2_result(0);
}

W2U_EXPORT void WINAPI FreeAddrInfoW(ADDRINFOW *ai)
{
    while (ai) {
        ADDRINFOW *next = ai->ai_next;
        free(ai);
        ai = next;
    }
}

/* ---- GetAddrInfoEx ---------------------------------------------------------------------
 * Synchronous, or overlapped: the call returns WSA_IO_PENDING at once with
 * the list pointer NULL, the OVERLAPPED's Pointer at it and Internal
 * WSAEINPROGRESS; at the end Internal holds the error (0, the lookup's,
 * WSA_E_CANCELLED, WSAETIMEDOUT), then the event is set or the routine
 * runs, on a thread of the library (Windows runs it on one of its pool,
 * not as an APC). */

W2U_EXPORT void WINAPI FreeAddrInfoExW(ADDRINFOEXW *ai)
{
    while (ai) {
        ADDRINFOEXW *next = ai->ai_next;
        free(ai);
        ai = next;
    }
}

W2U_EXPORT void WINAPI FreeAddrInfoEx(ADDRINFOEXA *ai)
{
    while (ai) {
        ADDRINFOEXA *next = ai->ai_next;
        free(ai);
        ai = next;
    }
}

/* An overlapped call's Windows half, kept with its lookup. */
struct ex_call {
    OVERLAPPED *ov;            /* NULL: a synchronous call with a timeout */
    void **result;             /* the program's ADDRINFOEXW * or ADDRINFOEXA * */
    bool wide;
    int flags;
    LPLOOKUPSERVICE_COMPLETION_ROUTINE routine;
};

static int ex_list(struct ws2_ai *list, bool wide, int flags, void **result)
{
    int r = 0;
    if (wide)
        BUILD_LIST(ADDRINFOEXW, FreeAddrInfoExW, COPY_W, list, flags, (ADDRINFOEXW **)result, r);
    else
        BUILD_LIST(ADDRINFOEXA, FreeAddrInfoEx, COPY_A, list, flags, (ADDRINFOEXA **)result, r);
    return r;
}

/* Waits for lookup id to end and hands the program its outcome; returns
 * the call (the caller frees it) with the error and the event as it was
 * before Internal changed (the program may reuse the OVERLAPPED once it
 * sees that), or NULL if id names no lookup. */
static struct ex_call *ex_settle(uintptr_t id, int *err, HANDLE *event)
{
    struct ws2_ai *list;
    void *owner;
    int e = ws2_lookup_settle(id, &list, &owner);
    if (e < 0)
        return NULL;
    struct ex_call *c = owner;
    *event = c->ov ? c->ov->hEvent : NULL;
    if (!e)
        e = ex_list(list, c->wide, c->flags, c->result);
    else
        ws2_ai_free(list);
    if (c->ov)
        c->ov->Internal = (ULONG_PTR)(unsigned)e;
    *err = e;
    return c;
}

/* Natively, on the library's thread. */
static void ex_settle_here(uintptr_t id)
{
    int err;
    HANDLE event;
    struct ex_call *c = ex_settle(id, &err, &event);
    if (!c)
        return;
    OVERLAPPED *ov = c->ov;
    LPLOOKUPSERVICE_COMPLETION_ROUTINE routine = c->routine;
    free(c);
    if (event)
        iocp_event_set((uintptr_t)event);
    if (routine)
        routine((DWORD)err, 0, ov);
}

/* Under Wine the DLL's own Wine thread settles (the event is Wine's, the
 * routine Windows code): it sets the event and runs the routine that this
 * gives it.  Returns the error, or -1 if id names no lookup. */
W2U_EXPORT int ws2uring_lookup_settle(uintptr_t id, uintptr_t *event, uintptr_t *routine, uintptr_t *ov)
{
    int err;
    HANDLE ev;
    struct ex_call *c = ex_settle(id, &err, &ev);
    if (!c)
        return -1;
    *event = (uintptr_t)ev;
    *routine = (uintptr_t)c->routine;
    *ov = (uintptr_t)c->ov;
    free(c);
    return err;
}

/* The hints' output fields must be empty, as for getaddrinfo. */
#define TAKE_HINTS_EX(hints, h)                                                      \
    ((hints) && ((hints)->ai_blob || (hints)->ai_bloblen || (hints)->ai_provider)    \
         ? WSANO_RECOVERY : TAKE_HINTS(hints, h))

static int get_addr_info_ex(const char *name, const char *service, struct ws2_ai_hints *h, void **result,
                            bool wide, const struct WS(timeval) *timeout, OVERLAPPED *ov,
                            LPLOOKUPSERVICE_COMPLETION_ROUTINE routine, HANDLE *handle)
{
    struct ws2_ai *list;
    int r;

    if (!name && !service)
        return ai_error(WSAHOST_NOT_FOUND);
    /* A routine needs an OVERLAPPED, and one without an event. */
    if (routine && (!ov || ov->hEvent))
        return ai_error(WSAEINVAL);
    int64_t ms = -1;
    if (timeout) {
        if (timeout->tv_sec < 0 || timeout->tv_usec < 0)
            return ai_error(WSAEINVAL);
        ms = (int64_t)timeout->tv_sec * 1000 + timeout->tv_usec / 1000;
    }
    if (!ov && !timeout) {
        if ((r = ws2_getaddrinfo(name, service, h, &list)) || (r = ex_list(list, wide, h->flags, result)))
            return ai_error(r);
        return ws2_result(0);
    }
    struct ex_call *c = calloc(1, sizeof(*c));
    if (!c)
        return ai_error(WSA_NOT_ENOUGH_MEMORY);
    *c = (struct ex_call){ ov, result, wide, h->flags, routine };
    if (ov) {
        ov->Pointer = result;
        ov->Internal = WSAEINPROGRESS;
    }
    uintptr_t id;
    void (*settler)(uintptr_t) = ov && !ws2_hosted() ? ex_settle_here : NULL;
    if ((r = ws2_lookup_start(name, service, h, ms, c, settler, &id))) {
        free(c);
        if (ov)
            ov->Internal = (ULONG_PTR)(unsigned)r;
        return ai_error(r);
    }
    if (!ov) {
        /* Synchronous with a timeout: this thread waits for the end. */
        HANDLE event;
        int err;
        free(ex_settle(id, &err, &event));
        return err ? ai_error(err) : ws2_result(0);
    }
    if (handle)
        *handle = (HANDLE)id;
    return ai_error(WSA_IO_PENDING);
}

W2U_EXPORT int WINAPI GetAddrInfoExW(const WCHAR *name, const WCHAR *service, DWORD ns, GUID *nsid,
                                     const ADDRINFOEXW *hints, ADDRINFOEXW **result, struct WS(timeval) *timeout,
                                     OVERLAPPED *ov, LPLOOKUPSERVICE_COMPLETION_ROUTINE routine, HANDLE *handle)
{
    struct ws2_ai_hints h = { 0 };
    int r;
    (void)ns;                  /* every namespace is the system resolver's */
    (void)nsid;
    if (!result)
        return ai_error(WSAEINVAL);
    *result = NULL;
    if ((r = TAKE_HINTS_EX(hints, h)))
        return ai_error(r);
    char *n8 = w2u_utf8_from_utf16(name), *s8 = w2u_utf8_from_utf16(service);
    if ((name && !n8) || (service && !s8))
        r = ai_error(WSA_NOT_ENOUGH_MEMORY);
    else
        r = get_addr_info_ex(n8, s8, &h, (void **)result, true, timeout, ov, routine, handle);
    free(n8);
    free(s8);
    return r;
}

W2U_EXPORT int WINAPI GetAddrInfoExA(const char *name, const char *service, DWORD ns, GUID *nsid,
                                     const ADDRINFOEXA *hints, ADDRINFOEXA **result, struct WS(timeval) *timeout,
                                     OVERLAPPED *ov, LPLOOKUPSERVICE_COMPLETION_ROUTINE routine, HANDLE *handle)
{
    struct ws2_ai_hints h = { 0 };
    int r;
    (void)ns;
    (void)nsid;
    if (!result)
        return ai_error(WSAEINVAL);
    *result = NULL;
    if ((r = TAKE_HINTS_EX(hints, h)))
        return ai_error(r);
    return get_addr_info_ex(name, service, &h, (void **)result, false, timeout, ov, routine, handle);
}

W2U_EXPORT int WINAPI GetAddrInfoExOverlappedResult(OVERLAPPED *ov)
{
    return ov ? (int)ov->Internal : WSAEINVAL;
}

/* Ends the lookup at once with WSA_E_CANCELLED (glibc's query itself goes
 * on; its answer is dropped).  WSA_INVALID_HANDLE once it has ended. */
W2U_EXPORT int WINAPI GetAddrInfoExCancel(HANDLE *handle)
{
    if (!handle || ws2_lookup_cancel((uintptr_t)*handle) < 0)
        return ai_error(WSA_INVALID_HANDLE);
    return 0;
}

WRAPPED(int, getnameinfo, (const SOCKADDR *sa, socklen_t salen, char *host, DWORD hostlen,
                           char *serv, DWORD servlen, int flags))
{
    if (!user_addr_in(sa, (int)salen) || !user_out(host, hostlen) || !user_out(serv, servlen))
        return ai_error(WSAEFAULT);
    int r = ws2_getnameinfo(sa, (int)salen, host, hostlen, serv, servlen, flags);
    return r ? ai_error(r) : 0;
}

W2U_EXPORT INT WINAPI GetNameInfoW(const SOCKADDR *sa, socklen_t salen, WCHAR *host, DWORD hostlen,
                                   WCHAR *serv, DWORD servlen, INT flags)
{
    char h8[NI_MAXHOST], s8[NI_MAXSERV];
    if (!user_addr_in(sa, (int)salen) || !user_out(host, (size_t)hostlen * sizeof(WCHAR)) ||
        !user_out(serv, (size_t)servlen * sizeof(WCHAR)))
        return ai_error(WSAEFAULT);
    int r = ws2_getnameinfo(sa, (int)salen, host ? h8 : NULL, host ? sizeof(h8) : 0,
                            serv ? s8 : NULL, serv ? sizeof(s8) : 0, flags);
    if (!r && host && hostlen && !w2u_utf16_from_utf8(h8, host, hostlen))
        r = WSAEFAULT;
    if (!r && serv && servlen && !w2u_utf16_from_utf8(s8, serv, servlen))
        r = WSAEFAULT;
    return r ? ai_error(r) : 0;
}

/* ---- hostent, servent, protoent ----------------------------------------------------------- */

/* Lays out a hostent (Windows layout) with its strings and addresses in
 * the calling thread's buffer. */
static struct hostent *make_hostent(const char *name, char **aliases, int family, int alen,
                                    const unsigned char *addrs, int count)
{
    size_t nal = 0, size = sizeof(struct hostent) + strlen(name) + 1;
    while (aliases && aliases[nal])
        size += strlen(aliases[nal++]) + 1;
    size += (nal + 1 + (size_t)count + 1) * sizeof(char *) + (size_t)count * (size_t)alen + 16;
    struct hostent *he = ws2_thread_buffer(size);
    if (!he) {
        w2u_set_error(WSA_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    char **ptrs = (char **)(he + 1);
    he->h_aliases = ptrs;
    he->h_addr_list = ptrs + nal + 1;
    char *data = (char *)(he->h_addr_list + count + 1);
    for (int i = 0; i < count; i++) {
        he->h_addr_list[i] = data;
        memcpy(data, addrs + (size_t)i * (size_t)alen, (size_t)alen);
        data += alen;
    }
    he->h_addr_list[count] = NULL;
    he->h_name = data;
    strcpy(data, name);
    data += strlen(name) + 1;
    for (size_t i = 0; i < nal; i++) {
        he->h_aliases[i] = data;
        strcpy(data, aliases[i]);
        data += strlen(aliases[i]) + 1;
    }
    he->h_aliases[nal] = NULL;
    he->h_addrtype = (short)family;
    he->h_length = (short)alen;
    return he;
}

WRAPPED(struct hostent *, gethostbyname, (const char *name))
{
    char local[256];
    unsigned char addrs[4 * 32];
    int count = 0;

    if (ws2_check_started() < 0) {
        w2u_set_error(WSANOTINITIALISED);
        return NULL;
    }
    if (!name || !*name) {
        /* The local host, as Windows answers NULL and "". */
        int r = ws2_gethostname(local, sizeof(local));
        if (r) {
            w2u_set_error((uint32_t)r);
            return NULL;
        }
        name = local;
    }
    struct ws2_ai_hints h = { W2U_AI_CANONNAME, W2U_AF_INET, 0, 0 };
    struct ws2_ai *list;
    int r = ws2_getaddrinfo(name, NULL, &h, &list);
    if (r) {
        w2u_set_error(r == WSANO_DATA ? WSANO_DATA : WSAHOST_NOT_FOUND);
        return NULL;
    }
    for (struct ws2_ai *a = list; a && count < 32; a = a->next)
        memcpy(addrs + 4 * count++, &((struct sockaddr_in *)a->addr)->sin_addr, 4);
    struct hostent *he = make_hostent(list->canonname ? list->canonname : name, NULL, AF_INET, 4,
                                      addrs, count);
    ws2_ai_free(list);
    return he;
}

WRAPPED(struct hostent *, gethostbyaddr, (const char *addr, int len, int type))
{
    struct sockaddr_storage ss;
    char host[NI_MAXHOST];
    int salen;

    if (ws2_check_started() < 0) {
        w2u_set_error(WSANOTINITIALISED);
        return NULL;
    }
    memset(&ss, 0, sizeof(ss));
    if (type == AF_INET) {
        if (!addr || len < 4) {
            w2u_set_error(WSAEFAULT);
            return NULL;
        }
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        in->sin_family = AF_INET;
        memcpy(&in->sin_addr, addr, 4);
        salen = sizeof(*in);
        len = 4;
    } else if (type == AF_INET6) {
        if (!addr || len < 16) {
            w2u_set_error(WSAEFAULT);
            return NULL;
        }
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        in6->sin6_family = AF_INET6;
        memcpy(&in6->sin6_addr, addr, 16);
        salen = sizeof(*in6);
        len = 16;
    } else {
        w2u_set_error(WSAEAFNOSUPPORT);
        return NULL;
    }
    int r = ws2_getnameinfo(&ss, salen, host, sizeof(host), NULL, 0, NI_NAMEREQD);
    if (r) {
        w2u_set_error(WSAHOST_NOT_FOUND);
        return NULL;
    }
    return make_hostent(host, NULL, type, len, (const unsigned char *)addr, 1);
}

WRAPPED(int, gethostname, (char *name, int len))
{
    if (ws2_check_started() < 0)
        return result_error(WSANOTINITIALISED);
    if (len > 0 && !user_out(name, (size_t)len))
        return result_error(WSAEFAULT);
    int r = ws2_gethostname(name, len);
    return r ? result_error(r) : 0;
}

W2U_EXPORT int WINAPI GetHostNameW(WCHAR *name, int len)
{
    char buf[256];
    if (ws2_check_started() < 0)
        return result_error(WSANOTINITIALISED);
    int r = ws2_gethostname(buf, sizeof(buf));
    if (r)
        return result_error(r);
    if (!name || len <= 0 || !user_out(name, (size_t)len * sizeof(WCHAR)) ||
        !w2u_utf16_from_utf8(buf, name, (size_t)len))
        return result_error(WSAEFAULT);
    return 0;
}

/* servent: on 64-bit Windows s_proto comes before s_port; Wine's header
 * knows, so the compiler lays it out right. */
static struct servent *make_servent(const struct ws2_db_entry *e)
{
    size_t nal = 0, size = sizeof(struct servent) + strlen(e->name) + strlen(e->proto) + 2;
    while (e->aliases[nal])
        size += strlen(e->aliases[nal++]) + 1;
    size += (nal + 1) * sizeof(char *);
    struct servent *se = ws2_thread_buffer(size);
    if (!se)
        return NULL;
    char **al = (char **)(se + 1);
    char *data = (char *)(al + nal + 1);
    se->s_aliases = al;
    for (size_t i = 0; i < nal; i++) {
        al[i] = data;
        data = stpcpy(data, e->aliases[i]) + 1;
    }
    al[nal] = NULL;
    se->s_name = data;
    data = stpcpy(data, e->name) + 1;
    se->s_proto = data;
    strcpy(data, e->proto);
    se->s_port = (short)e->number;
    return se;
}

static struct servent *servent_result(int r, struct ws2_db_entry *e)
{
    struct servent *se = NULL;
    if (r == 0 && !(se = make_servent(e)))
        r = WSA_NOT_ENOUGH_MEMORY;
    ws2_db_entry_clear(e);
    if (r)
        w2u_set_error((uint32_t)r);
    return se;
}

WRAPPED(struct servent *, getservbyname, (const char *name, const char *proto))
{
    struct ws2_db_entry e;
    if (ws2_check_started() < 0 || !name) {
        w2u_set_error(ws2_check_started() < 0 ? WSANOTINITIALISED : WSAEFAULT);
        return NULL;
    }
    return servent_result(ws2_getserv(name, 0, proto, &e), &e);
}

WRAPPED(struct servent *, getservbyport, (int port, const char *proto))
{
    struct ws2_db_entry e;
    if (ws2_check_started() < 0) {
        w2u_set_error(WSANOTINITIALISED);
        return NULL;
    }
    return servent_result(ws2_getserv(NULL, port, proto, &e), &e);
}

static struct protoent *protoent_result(int r, struct ws2_db_entry *e)
{
    struct protoent *pe = NULL;
    if (r == 0) {
        size_t nal = 0, size = sizeof(struct protoent) + strlen(e->name) + 1;
        while (e->aliases[nal])
            size += strlen(e->aliases[nal++]) + 1;
        size += (nal + 1) * sizeof(char *);
        if ((pe = ws2_thread_buffer(size))) {
            char **al = (char **)(pe + 1);
            char *data = (char *)(al + nal + 1);
            pe->p_aliases = al;
            for (size_t i = 0; i < nal; i++) {
                al[i] = data;
                data = stpcpy(data, e->aliases[i]) + 1;
            }
            al[nal] = NULL;
            pe->p_name = data;
            strcpy(data, e->name);
            pe->p_proto = (short)e->number;
        } else {
            r = WSA_NOT_ENOUGH_MEMORY;
        }
    }
    ws2_db_entry_clear(e);
    if (r)
        w2u_set_error((uint32_t)r);
    return pe;
}

WRAPPED(struct protoent *, getprotobyname, (const char *name))
{
    struct ws2_db_entry e;
    if (ws2_check_started() < 0 || !name) {
        w2u_set_error(ws2_check_started() < 0 ? WSANOTINITIALISED : WSAEFAULT);
        return NULL;
    }
    return protoent_result(ws2_getproto(name, 0, &e), &e);
}

WRAPPED(struct protoent *, getprotobynumber, (int number))
{
    struct ws2_db_entry e;
    if (ws2_check_started() < 0) {
        w2u_set_error(WSANOTINITIALISED);
        return NULL;
    }
    return protoent_result(ws2_getproto(NULL, number, &e), &e);
}

/* ---- text and addresses ------------------------------------------------------------------- */

WRAPPED(ULONG, inet_addr, (const char *cp))
{
    uint32_t a;
    if (!cp) {
        w2u_set_error(WSAEFAULT);
        return INADDR_NONE;
    }
    /* The last error is left alone otherwise (Windows). */
    return ws2_inet_addr(cp, &a) ? a : INADDR_NONE;
}

WRAPPED(char *, inet_ntoa, (struct in_addr in))
{
    char *buf = ws2_thread_buffer(16);
    if (!buf)
        return NULL;
    const unsigned char *b = (const unsigned char *)&in;
    snprintf(buf, 16, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
    return buf;
}

WRAPPED(INT, inet_pton, (INT family, const char *src, void *dst))
{
    int r = ws2_inet_pton(family, src, dst);
    return r < 0 ? result_error(-r) : r;
}

WRAPPED(const char *, inet_ntop, (INT family, void *src, char *dst, SIZE_T size))
{
    int r = ws2_inet_ntop(family, src, dst, size);
    if (r < 0) {
        w2u_set_error(r == -1 ? W2U_STATUS_INVALID_PARAMETER : (uint32_t)-r);
        return NULL;
    }
    return dst;
}

W2U_EXPORT INT WINAPI InetPtonW(INT family, const WCHAR *src, void *dst)
{
    char *s8 = w2u_utf8_from_utf16(src);
    if (src && !s8)
        return result_error(WSA_NOT_ENOUGH_MEMORY);
    int r = ws2_inet_pton(family, s8, dst);
    free(s8);
    if (r == 0)
        w2u_set_error(WSAEINVAL);      /* unlike inet_pton (Windows) */
    return r < 0 ? result_error(-r) : r;
}

W2U_EXPORT const WCHAR *WINAPI InetNtopW(INT family, void *src, WCHAR *dst, SIZE_T size)
{
    char buf[INET6_ADDRSTRLEN];
    int r = ws2_inet_ntop(family, src, buf, sizeof(buf));
    if (r == 0 && (!dst || !w2u_utf16_from_utf8(buf, dst, size)))
        r = -1;
    if (r < 0) {
        w2u_set_error(r == -1 ? W2U_STATUS_INVALID_PARAMETER : (uint32_t)-r);
        return NULL;
    }
    return dst;
}

W2U_EXPORT INT WINAPI WSAStringToAddressA(char *str, INT family, WSAPROTOCOL_INFOA *info,
                                          SOCKADDR *addr, INT *len)
{
    (void)info;
    if (ws2_check_started() < 0)
        return result_error(WSANOTINITIALISED);
    if (!user_addr_out(addr, len))
        return result_error(WSAEFAULT);
    int r = ws2_string_to_addr(str, family, addr, len);
    return r ? result_error(r) : ws2_result(0);
}

W2U_EXPORT INT WINAPI WSAStringToAddressW(WCHAR *str, INT family, WSAPROTOCOL_INFOW *info,
                                          SOCKADDR *addr, INT *len)
{
    (void)info;
    if (ws2_check_started() < 0)
        return result_error(WSANOTINITIALISED);
    if (!user_addr_out(addr, len))
        return result_error(WSAEFAULT);
    char *s8 = w2u_utf8_from_utf16(str);
    if (str && !s8)
        return result_error(WSA_NOT_ENOUGH_MEMORY);
    int r = ws2_string_to_addr(s8, family, addr, len);
    free(s8);
    return r ? result_error(r) : ws2_result(0);
}

W2U_EXPORT INT WINAPI WSAAddressToStringA(SOCKADDR *addr, DWORD addrlen, WSAPROTOCOL_INFOA *info,
                                          char *out, DWORD *outlen)
{
    (void)info;
    if (ws2_check_started() < 0)
        return result_error(WSANOTINITIALISED);
    if (!user_addr_in(addr, (int)addrlen) || !user_out(outlen, sizeof(*outlen)) ||
        (outlen && !user_out(out, *outlen)))
        return result_error(WSAEFAULT);
    unsigned len = outlen ? *outlen : 0;
    int r = ws2_addr_to_string(addr, (int)addrlen, out, outlen ? &len : NULL);
    if (outlen)
        *outlen = len;
    return r ? result_error(r) : 0;
}

W2U_EXPORT INT WINAPI WSAAddressToStringW(SOCKADDR *addr, DWORD addrlen, WSAPROTOCOL_INFOW *info,
                                          WCHAR *out, DWORD *outlen)
{
    char buf[INET6_ADDRSTRLEN + 24];
    unsigned len = sizeof(buf);
    (void)info;
    if (ws2_check_started() < 0)
        return result_error(WSANOTINITIALISED);
    if (!outlen || !user_out(outlen, sizeof(*outlen)) || !user_addr_in(addr, (int)addrlen) ||
        !user_out(out, (size_t)*outlen * sizeof(WCHAR)))
        return result_error(WSAEFAULT);
    int r = ws2_addr_to_string(addr, (int)addrlen, buf, &len);
    if (r == 0 && (!out || *outlen < len)) {
        r = WSAEFAULT;              /* len is the characters needed, NUL included */
    } else if (r == 0) {
        w2u_utf16_from_utf8(buf, out, *outlen);
    }
    if (r == 0 || r == WSAEFAULT)
        *outlen = len;
    return r ? result_error(r) : 0;
}
