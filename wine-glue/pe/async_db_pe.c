/* The WSAAsyncGet* calls under Wine: a lookup of the host, service or
 * protocol databases on a Wine thread of its own, its entry copied into
 * the program's buffer (pointers and all, in the buffer), then one window
 * message: wParam the call's handle, lParam WSAMAKEASYNCREPLY(length,
 * error), the length being what the entry needs when the error is
 * WSAENOBUFS.  Windows checks no argument when the call starts; a NULL
 * window gets no message.  WSACancelAsyncRequest stops the message (and
 * the copy) of a lookup still running. */
#include <winsock2.h>
#include <windows.h>
#include <stdlib.h>
#include <string.h>

#include "ws2_32_pe.h"

W2U_PE_THUNK(gethostbyname);
W2U_PE_THUNK(gethostbyaddr);
W2U_PE_THUNK(getservbyname);
W2U_PE_THUNK(getservbyport);
W2U_PE_THUNK(getprotobyname);
W2U_PE_THUNK(getprotobynumber);

enum query_kind { HOST_NAME, HOST_ADDR, SERV_NAME, SERV_PORT, PROTO_NAME, PROTO_NUMBER };

struct query {
    enum query_kind kind;
    HWND hwnd;
    UINT msg;
    HANDLE handle;
    char *buf;
    int buflen;
    int number, len, type;          /* port, protocol number; address length and type */
    const char *text, *proto;       /* copies, after the struct (the caller's may go away) */
    BOOL cancelled;
    struct query *next;
};

static CRITICAL_SECTION lock;
static INIT_ONCE lock_once = INIT_ONCE_STATIC_INIT;
static struct query *running;
static LONG last_handle;

static BOOL CALLBACK init_lock(INIT_ONCE *once, void *param, void **context)
{
    (void)once;
    (void)param;
    (void)context;
    InitializeCriticalSection(&lock);
    return TRUE;
}

/* ---- laying an entry out in the program's buffer --------------------------------- */

struct layout {
    char *buf;
    size_t size, used;              /* used: what the entry needs, even past size */
};

/* Room for n bytes (pointer-aligned when align), or NULL when the buffer
 * is too small (the need is still counted). */
static void *take(struct layout *l, size_t n, BOOL align)
{
    if (align)
        l->used = (l->used + sizeof(void *) - 1) & ~(sizeof(void *) - 1);
    void *p = l->used + n <= l->size ? l->buf + l->used : NULL;
    l->used += n;
    return p;
}

static char *put_string(struct layout *l, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = take(l, n, FALSE);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* A NULL-terminated array of strings (aliases). */
static char **put_strings(struct layout *l, char **src)
{
    size_t n = 0;
    while (src && src[n])
        n++;
    char **d = take(l, (n + 1) * sizeof(char *), TRUE);
    for (size_t i = 0; i < n; i++) {
        char *s = put_string(l, src[i]);
        if (d)
            d[i] = s;
    }
    if (d)
        d[n] = NULL;
    return d;
}

static void put_hostent(struct layout *l, const struct hostent *he)
{
    struct hostent *d = take(l, sizeof(*d), TRUE);
    size_t n = 0;
    while (he->h_addr_list[n])
        n++;
    char **addrs = take(l, (n + 1) * sizeof(char *), TRUE);
    for (size_t i = 0; i < n; i++) {
        char *a = take(l, (size_t)he->h_length, FALSE);
        if (a && addrs) {
            memcpy(a, he->h_addr_list[i], (size_t)he->h_length);
            addrs[i] = a;
        }
    }
    if (addrs)
        addrs[n] = NULL;
    char **aliases = put_strings(l, he->h_aliases);
    char *name = put_string(l, he->h_name);
    if (d) {
        d->h_name = name;
        d->h_aliases = aliases;
        d->h_addrtype = he->h_addrtype;
        d->h_length = he->h_length;
        d->h_addr_list = addrs;
    }
}

static void put_servent(struct layout *l, const struct servent *se)
{
    struct servent *d = take(l, sizeof(*d), TRUE);
    char **aliases = put_strings(l, se->s_aliases);
    char *name = put_string(l, se->s_name);
    char *proto = put_string(l, se->s_proto);
    if (d) {
        d->s_name = name;
        d->s_aliases = aliases;
        d->s_port = se->s_port;
        d->s_proto = proto;
    }
}

static void put_protoent(struct layout *l, const struct protoent *pe)
{
    struct protoent *d = take(l, sizeof(*d), TRUE);
    char **aliases = put_strings(l, pe->p_aliases);
    char *name = put_string(l, pe->p_name);
    if (d) {
        d->p_name = name;
        d->p_aliases = aliases;
        d->p_proto = pe->p_proto;
    }
}

/* ---- the lookup's thread ---------------------------------------------------------- */

#define U(p) ((UINT64)(ULONG_PTR)(p))

/* The database call, on this thread: its entry (in this thread's buffer)
 * or NULL with the thread's last error set. */
static void *look_up(const struct query *q)
{
    switch (q->kind) {
    case HOST_NAME:
        return (void *)(ULONG_PTR)w2u_pe_gethostbyname(U(q->text), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    case HOST_ADDR:
        return (void *)(ULONG_PTR)w2u_pe_gethostbyaddr(U(q->text), (UINT64)q->len, (UINT64)q->type, 0, 0, 0, 0,
                                                       0, 0, 0, 0, 0);
    case SERV_NAME:
        return (void *)(ULONG_PTR)w2u_pe_getservbyname(U(q->text), U(q->proto), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    case SERV_PORT:
        return (void *)(ULONG_PTR)w2u_pe_getservbyport((UINT64)q->number, U(q->proto), 0, 0, 0, 0, 0, 0, 0, 0,
                                                       0, 0);
    case PROTO_NAME:
        return (void *)(ULONG_PTR)w2u_pe_getprotobyname(U(q->text), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    case PROTO_NUMBER:
        return (void *)(ULONG_PTR)w2u_pe_getprotobynumber((UINT64)q->number, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }
    return NULL;
}

static DWORD WINAPI query_main(void *arg)
{
    struct query *q = arg;
    SetLastError(0);
    void *entry = look_up(q);
    DWORD error = entry ? 0 : GetLastError();
    struct layout l = { q->buf, q->buf && q->buflen > 0 ? (size_t)q->buflen : 0, 0 };

    EnterCriticalSection(&lock);
    BOOL cancelled = q->cancelled;
    if (!cancelled && entry) {
        /* Measure first: the program's buffer is written only if all fits. */
        struct layout need = { NULL, 0, 0 };
        if (q->kind <= HOST_ADDR)
            put_hostent(&need, entry);
        else if (q->kind <= SERV_PORT)
            put_servent(&need, entry);
        else
            put_protoent(&need, entry);
        if (need.used > l.size) {
            error = WSAENOBUFS;
            l.used = need.used;
        } else if (q->kind <= HOST_ADDR) {
            put_hostent(&l, entry);
        } else if (q->kind <= SERV_PORT) {
            put_servent(&l, entry);
        } else {
            put_protoent(&l, entry);
        }
    }
    for (struct query **p = &running; *p; p = &(*p)->next)
        if (*p == q) {
            *p = q->next;
            break;
        }
    LeaveCriticalSection(&lock);

    if (!cancelled && q->hwnd) {
        WORD length = entry ? (WORD)(l.used > 0xffff ? 0xffff : l.used) : 0;
        w2u_pe_post(q->hwnd, q->msg, (WPARAM)q->handle, WSAMAKEASYNCREPLY(length, (WORD)error));
    }
    free(q);
    return 0;
}

/* Copies the texts (and address) the lookup needs, starts its thread and
 * returns its handle; NULL with WSAEWOULDBLOCK when no thread starts (as
 * Windows says when it has no resources for the call). */
static HANDLE start(struct query *q, const char *text, size_t textlen, const char *proto)
{
    InitOnceExecuteOnce(&lock_once, init_lock, NULL, NULL);
    size_t plen = proto ? strlen(proto) + 1 : 0;
    struct query *c = malloc(sizeof(*c) + textlen + plen);
    if (!c) {
        SetLastError(WSAEWOULDBLOCK);
        return NULL;
    }
    *c = *q;
    char *after = (char *)(c + 1);
    if (text) {
        memcpy(after, text, textlen);
        c->text = after;
    }
    if (proto) {
        memcpy(after + textlen, proto, plen);
        c->proto = after + textlen;
    }
    /* Small handles, never 0, as Windows gives (some programs keep them in
     * 16 bits). */
    LONG h;
    do
        h = InterlockedIncrement(&last_handle) & 0xffff;
    while (!h);
    c->handle = (HANDLE)(ULONG_PTR)h;

    EnterCriticalSection(&lock);
    c->next = running;
    running = c;
    HANDLE t = CreateThread(NULL, 0, query_main, c, 0, NULL);
    if (!t) {
        running = c->next;
        LeaveCriticalSection(&lock);
        free(c);
        SetLastError(WSAEWOULDBLOCK);
        return NULL;
    }
    h = (LONG)(ULONG_PTR)c->handle;          /* c may be gone once the lock is let go */
    LeaveCriticalSection(&lock);
    CloseHandle(t);
    return (HANDLE)(ULONG_PTR)h;
}

static size_t text_size(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

HANDLE WINAPI w2u_pe_WSAAsyncGetHostByName(HWND hwnd, UINT msg, const char *name, char *buf, int buflen)
{
    struct query q = { .kind = HOST_NAME, .hwnd = hwnd, .msg = msg, .buf = buf, .buflen = buflen };
    return start(&q, name, text_size(name), NULL);
}

HANDLE WINAPI w2u_pe_WSAAsyncGetHostByAddr(HWND hwnd, UINT msg, const char *addr, int len, int type, char *buf,
                                           int buflen)
{
    struct query q = { .kind = HOST_ADDR, .hwnd = hwnd, .msg = msg, .buf = buf, .buflen = buflen,
                       .len = len, .type = type };
    return start(&q, addr, addr && len > 0 ? (size_t)len : 0, NULL);
}

HANDLE WINAPI w2u_pe_WSAAsyncGetServByName(HWND hwnd, UINT msg, const char *name, const char *proto, char *buf,
                                           int buflen)
{
    struct query q = { .kind = SERV_NAME, .hwnd = hwnd, .msg = msg, .buf = buf, .buflen = buflen };
    return start(&q, name, text_size(name), proto);
}

HANDLE WINAPI w2u_pe_WSAAsyncGetServByPort(HWND hwnd, UINT msg, int port, const char *proto, char *buf,
                                           int buflen)
{
    struct query q = { .kind = SERV_PORT, .hwnd = hwnd, .msg = msg, .buf = buf, .buflen = buflen,
                       .number = port };
    return start(&q, NULL, 0, proto);
}

HANDLE WINAPI w2u_pe_WSAAsyncGetProtoByName(HWND hwnd, UINT msg, const char *name, char *buf, int buflen)
{
    struct query q = { .kind = PROTO_NAME, .hwnd = hwnd, .msg = msg, .buf = buf, .buflen = buflen };
    return start(&q, name, text_size(name), NULL);
}

HANDLE WINAPI w2u_pe_WSAAsyncGetProtoByNumber(HWND hwnd, UINT msg, int number, char *buf, int buflen)
{
    struct query q = { .kind = PROTO_NUMBER, .hwnd = hwnd, .msg = msg, .buf = buf, .buflen = buflen,
                       .number = number };
    return start(&q, NULL, 0, NULL);
}

/* 0 when the lookup was still running (no message will come); WSAEALREADY
 * once it has ended, WSAEINVAL for a handle no call gave. */
int WINAPI w2u_pe_WSACancelAsyncRequest(HANDLE handle)
{
    InitOnceExecuteOnce(&lock_once, init_lock, NULL, NULL);
    ULONG_PTR h = (ULONG_PTR)handle;
    BOOL found = FALSE;
    EnterCriticalSection(&lock);
    for (struct query *q = running; q; q = q->next)
        if (q->handle == handle && !q->cancelled) {
            q->cancelled = TRUE;
            found = TRUE;
            break;
        }
    LONG last = last_handle;
    LeaveCriticalSection(&lock);
    if (found)
        return 0;
    SetLastError(h && h <= 0xffff && (last > 0xffff || h <= (ULONG_PTR)last) ? WSAEALREADY : WSAEINVAL);
    return SOCKET_ERROR;
}
