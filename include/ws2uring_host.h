/*
 * ws2uring_host.h — the host interface of libws2uring.
 *
 * A host is code that runs Windows programs on ws2uring and owns the
 * handles, events, threads and ports they see: the Wine glue's Unix side
 * (wine-glue/unix/), which opens libws2uring.so.0 and finds these calls by
 * name.  Both sides compile this one header (ws2/ defines the calls, the
 * host takes their types from here), so a signature cannot drift.  Plain C
 * with fixed-width types: no Windows header, no Wine header.
 *
 * Socket names: SOCKET values are ws2uring's handles; a host may give a
 * socket a name of its own (an alias, a non-zero multiple of 4 below
 * 2^24), which every call then accepts.  Calls return 0 or a negative WSA
 * error unless they say otherwise.
 */
#ifndef WS2URING_HOST_H
#define WS2URING_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- what the host provides ------------------------------------------------
 * One table, installed once before any I/O, never changed: every entry is
 * called on the completing thread (a program thread, or the one running
 * ws2uring_host_reap).  An entry left NULL keeps ws2uring's own behaviour. */

typedef void ws2uring_touch_fn(void *p, size_t n, bool write);

struct ws2uring_host_ops {
    /* A completion of a socket joined to one of the host's ports (see
     * ws2uring_socket_host_port), under the host's handle alias. */
    void (*post)(uintptr_t alias, void *ov, uint32_t status, uintptr_t information, int synchronous);
    /* The host's events: an OVERLAPPED's hEvent, WSAEventSelect's event. */
    void (*set_event)(uintptr_t event);
    void (*reset_event)(uintptr_t event);
    /* A completion routine as an APC on the host's thread (see
     * ws2uring_host_thread); set, the host runs routines (ws2uring is hosted). */
    void (*apc)(uintptr_t thread, void *routine, void *ov, uint32_t wsa_error, uintptr_t bytes);
    /* An NT request's APC, apc(context, iosb, 0) (see ws2uring_nt_io). */
    void (*nt_apc)(uintptr_t thread, void *apc, void *context, void *iosb);
    /* Writes program memory the kernel faulted on (guard pages): true if done. */
    bool (*kernel_write)(void *dst, const void *src, size_t n);
    /* Runs touch(p, n, write) with the host's fault guard: false if it
     * faulted (under Wine no Linux signal handler may be installed). */
    bool (*probe)(ws2uring_touch_fn *touch, void *p, size_t n, bool write);
    /* A descriptor of the caller's own for a host file handle, or -1. */
    int (*file_fd)(uintptr_t file);
};

/* Installs ops (kept, not copied: it must outlive the process's I/O).
 * With post set, no thread of ws2uring's own reaps: the host runs
 * ws2uring_host_reap.  0, or -WSAEINVAL if a table is installed already. */
int ws2uring_host_install(const struct ws2uring_host_ops *ops);

/* ---- threads the host runs for ws2uring ---------------------------------- */
void ws2uring_host_reap(void);             /* delivers completions; never returns */
void ws2uring_host_watch(void);            /* WSAEventSelect's watcher; never returns */
void ws2uring_host_thread(uintptr_t thread);   /* the caller's host thread, for routines */
void ws2uring_host_process_id(uint32_t pid);   /* the program's process id (WSADuplicateSocket) */

/* ---- socket names -------------------------------------------------------- */
int ws2uring_socket_alias(uintptr_t alias, uintptr_t s);
/* Forgets alias: the socket it stood for, or 0. */
uintptr_t ws2uring_socket_unalias(uintptr_t alias);
/* closesocket on a name: the socket when that was its last name (the
 * caller closes it), or 0 with *others set when other names keep it. */
uintptr_t ws2uring_socket_close_name(uintptr_t alias, int *others);
/* A DuplicateHandle copy: *raw, the socket's own handle, stands for it. */
int ws2uring_socket_copy(uintptr_t existing, uintptr_t *raw);
/* The socket named alias joined a host port through the host's handle
 * joined: its completions go to ops->post under joined. */
int ws2uring_socket_host_port(uintptr_t alias, uintptr_t joined);
/* Whether the socket joined a port: 1 or 0; -1 for no socket. */
int ws2uring_socket_has_port(uintptr_t alias);
/* Non-zero while WSAStartup is in effect. */
int ws2uring_started(void);

/* ---- completions the host relays ----------------------------------------- */
/* Packets (NTSTATUS results): into a ws2uring port, or onto the socket's. */
uint32_t ws2uring_post_status(uintptr_t port, uint32_t status, uintptr_t information, uintptr_t key, void *ov);
uint32_t ws2uring_socket_post(uintptr_t alias, void *value, uint32_t status, uintptr_t information,
                              int synchronous);
/* The NTSTATUS for a Win32 or WSA error a call set. */
uint32_t ws2uring_error_status(uint32_t err);

/* ---- waits the host makes alertable on the program's side ---------------- */
/* 1 need not wait, 2 closed meanwhile, 0 still would; *timeout_ms SO_RCVTIMEO. */
int ws2uring_wait_ready(uintptr_t h, uint32_t ms, uint32_t *timeout_ms);
/* 1 a blocking stream send of len bytes that may wait; *timeout_ms SO_SNDTIMEO. */
int ws2uring_send_waits(uintptr_t h, uint64_t len, uint32_t *timeout_ms);
/* 1 a blocking IP stream connect, 2 the same on a non-blocking socket, else 0. */
int ws2uring_connect_waits(uintptr_t h);

/* ---- calls the host serves itself ---------------------------------------- */
/* IOCTL_AFD_POLL's wait: entries ready (revents) or the deadline
 * (CLOCK_MONOTONIC ns, 0 or INT64_MAX); ends early on wake_fd. */
struct ws2uring_poll_entry {
    uintptr_t socket;
    uint16_t events, revents;    /* AFD_POLL_* */
    uint32_t status;             /* the NTSTATUS of the event reported */
};
int ws2uring_afd_poll(struct ws2uring_poll_entry *e, unsigned n, int wake_fd, int64_t deadline_ns);
/* WSAAccept's CF_DEFER, run by the host's condition callback. */
int ws2uring_accept_defer(uintptr_t listener, uintptr_t accepted);
/* WSAAsyncSelect's selection, whose messages the host posts. */
int ws2uring_message_select(uintptr_t s, uintptr_t event, uint32_t mask);
/* An overlapped GetAddrInfoExW's end: its error (-1: no such lookup) and
 * what the host's thread settles (event, routine, OVERLAPPED). */
int ws2uring_lookup_settle(uintptr_t id, uintptr_t *event, uintptr_t *routine, uintptr_t *ov);

#endif
