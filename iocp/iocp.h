/*
 * iocp/ — completion ports and completion delivery, plain C.
 *
 * Functions return NTSTATUS values (W2U_STATUS_*), as the Nt* layer under
 * kernel32 does; iocp_win32.c turns them into Win32 results.
 *
 * Completion port model
 * ---------------------
 * A port is a FIFO of packets in user space plus a LIFO stack of waiting
 * threads, with Windows' concurrency accounting: a thread that took a packet
 * is "active" for its port until it waits again (on the port, or blocks in
 * any ws2uring wait: iocp_block_begin/end), and packets are handed out only
 * while fewer than NumberOfConcurrentThreads threads are active.
 *
 * When handles associated with the port do io_uring I/O, the port owns a
 * ring for it.  Its CQ is reaped by one waiter at a time, the leader: a
 * waiter that finds no packet while requests are in flight reaps the ring
 * (blocking in io_uring_enter) instead of sleeping; the CQE callbacks turn
 * completions into packets.  Other waiters sleep on futexes and are handed
 * packets directly, most recent waiter first.  A post that finds only the
 * leader waiting wakes it with a MSG_RING CQE.  When the leader leaves with a
 * packet while requests are still in flight, the newest sleeping waiter is
 * promoted to lead, so completions never wait for a busy thread.
 *
 * Delivery
 * --------
 * iocp_complete() is the one way a finished operation reaches the program:
 * it writes OVERLAPPED.Internal/InternalHigh, then feeds the sinks the
 * request asks for: the handle's port (own port, or another port
 * implementation such as Wine's, through struct iocp_port_sink), the
 * OVERLAPPED's event, the handle's own signal, and a completion routine
 * queued as an APC to the issuing thread.
 */
#ifndef W2U_IOCP_H
#define W2U_IOCP_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/w2u.h"

struct ur_ring;
struct iocp_thread;

/* One queued completion. Embedded in the request that completed, or taken
 * from the port's pool for posted packets. release (if set) runs once the
 * packet has left the port: dequeued, or dropped when the port closed. */
struct iocp_packet {
    struct iocp_packet *next;
    uintptr_t key;
    void *overlapped;
    uint32_t status;
    uintptr_t information;
    bool synchronous;                 /* completed in the call that started it */
    void (*release)(struct iocp_packet *p);
};

/* What GetQueuedCompletionStatus(Ex) hands back. */
struct iocp_entry {
    uintptr_t key;
    void *overlapped;
    uint32_t status;
    uintptr_t information;
};

/* The layout of a Windows OVERLAPPED, which this code may not include. */
struct iocp_overlapped {
    _Atomic uintptr_t internal;          /* NTSTATUS, STATUS_PENDING in flight */
    uintptr_t internal_high;             /* bytes transferred */
    uint32_t offset, offset_high;
    uintptr_t event;                     /* hEvent; low bit: no port packet */
};

/* ---- ports ---------------------------------------------------------------- */

/* A destination for packets: ws2uring's own port, or (wine-glue) Wine's. */
struct iocp_port_sink;
struct iocp_port_sink_ops {
    /* Queues the packet; drops it (calling release) if the port is closed. */
    void (*push)(struct iocp_port_sink *sink, struct iocp_packet *p);
    /* References, so a binding keeps its port alive. */
    void (*ref)(struct iocp_port_sink *sink);
    void (*unref)(struct iocp_port_sink *sink);
};
struct iocp_port_sink {
    const struct iocp_port_sink_ops *ops;
};

struct iocp_port;

/* concurrency 0 means the number of CPUs. */
uint32_t iocp_port_create(unsigned concurrency, uintptr_t *handle);
/* A reference on the port named by handle, or NULL. */
struct iocp_port *iocp_port_get(uintptr_t handle);
void iocp_port_put(struct iocp_port *port);
struct iocp_port_sink *iocp_port_as_sink(struct iocp_port *port);
/* The port's ring, made on first use: NULL and *status set if io_uring is
 * unavailable. */
struct ur_ring *iocp_port_ring(struct iocp_port *port, uint32_t *status);
/* Call after submitting to the port's ring: makes sure some waiter reaps it. */
void iocp_port_submitted(struct iocp_port *port);
/* Runs the callbacks of whatever CQEs the port's ring holds, unless a leader
 * is reaping it anyway (after cancelling, so requests are freed). */
void iocp_port_drain(struct iocp_port *port);

/* The ring for I/O on handles without a port (completions to events,
 * completion routines or polled OVERLAPPEDs): made on first use, reaped by
 * a background thread of its own. NULL and *status set if io_uring is
 * unavailable. */
struct ur_ring *iocp_default_ring(uint32_t *status);
/* The ring policy: where I/O on a handle bound by b goes.  Its port's ring
 * when the handle is on one of ours and the port is the only place the
 * completion goes (*port set); otherwise (waited_elsewhere: an event or a
 * completion routine waits for it, or no port of ours) the default ring,
 * whose reaper always runs (the port still gets its packet; *port NULL). */
struct ur_ring *iocp_binding_ring(const struct iocp_binding *b, bool waited_elsewhere,
                                  struct iocp_port **port, uint32_t *status);
/* For a host that must deliver completions from threads of its own (Wine):
 * called before any I/O, the default ring gets no reaper thread, and the
 * host's thread runs it in iocp_host_reap, which does not return. */
void iocp_host_runs_reaper(void);
void iocp_host_reap(void);

/* Threads waiting on the port now, the leader included (diagnostics, tests). */
unsigned iocp_port_waiters(struct iocp_port *port);

/* PostQueuedCompletionStatus. */
uint32_t iocp_post(uintptr_t port, uint32_t status, uintptr_t information,
                   uintptr_t key, void *overlapped);
/* GetQueuedCompletionStatus(Ex): up to max entries; *removed set.
 * deadline: CLOCK_MONOTONIC ns, 0 for no wait, W2U_FOREVER.
 * SUCCESS, TIMEOUT, USER_APC (APCs ran), ABANDONED_WAIT_0 (port closed while
 * waiting), INVALID_HANDLE. */
uint32_t iocp_remove(uintptr_t port, struct iocp_entry *entries, unsigned max,
                     unsigned *removed, int64_t deadline, bool alertable);

/* ---- association (CreateIoCompletionPort on a file handle) ---------------- */

#define IOCP_SKIP_PORT_ON_SUCCESS  1u   /* FILE_SKIP_COMPLETION_PORT_ON_SUCCESS */
#define IOCP_SKIP_EVENT_ON_SUCCESS 2u   /* FILE_SKIP_SET_EVENT_ON_HANDLE */

/* Embedded in every object that can be associated with a port; the object
 * sets w2u_object.binding to it. */
struct iocp_binding {
    struct iocp_port_sink *_Atomic port;  /* NULL until associated */
    struct iocp_port *own_port;           /* set when port is one of ours */
    uintptr_t key;
    _Atomic uint32_t modes;               /* IOCP_SKIP_* */
    _Atomic uint32_t signal;              /* the handle's own "event": bumped
                                             per completion, futex word */
    _Atomic uint32_t signal_waiters;      /* threads in iocp_binding_wait */
    _Atomic uint32_t idle;                /* the handle is signalled: no
                                             operation started since the
                                             last completion (a file
                                             object's own event) */
};

void iocp_binding_init(struct iocp_binding *b);
/* Waits until b's signal moves past seq (read with iocp_binding_signal
 * before checking what was waited for) or the deadline.  Completions only
 * call the kernel to wake when someone waits here. */
uint32_t iocp_binding_signal(struct iocp_binding *b);
void iocp_binding_wait(struct iocp_binding *b, uint32_t seq, int64_t deadline);
/* An operation starts on the handle: a wait on the handle itself
 * (WaitForSingleObject on a SOCKET) waits from now until the next
 * completion, as Windows resets a file object's event at each start.
 * Handles start signalled. */
void iocp_binding_io_start(struct iocp_binding *b);
/* Waits on b's signal until done(arg) holds: W2U_STATUS_SUCCESS, or
 * W2U_STATUS_TIMEOUT at the deadline.  Meanwhile the waiter reaps the
 * ring of b's own port, since nobody else may be doing it, and looks
 * again at least every 10 ms (a completion still in the ring). */
uint32_t iocp_binding_wait_until(struct iocp_binding *b, bool (*done)(void *), void *arg, int64_t deadline);
/* Waits until a handle that can join a port (a SOCKET) is signalled;
 * W2U_STATUS_INVALID_HANDLE for any other handle. */
uint32_t iocp_handle_wait(uintptr_t handle, int64_t deadline);
/* Drops the port reference (when the handle is destroyed). */
void iocp_binding_release(struct iocp_binding *b);
/* STATUS_INVALID_PARAMETER if already associated, INVALID_HANDLE for bad
 * handles, OBJECT_TYPE_MISMATCH when port is not a port. */
uint32_t iocp_associate(uintptr_t file, uintptr_t port, uintptr_t key);
uint32_t iocp_associate_sink(struct iocp_binding *b, struct iocp_port_sink *sink,
                             struct iocp_port *own, uintptr_t key);
uint32_t iocp_set_modes(uintptr_t file, uint32_t modes);
/* A packet for the handle's port, with its key, as the NT layer queues one
 * for a request of its own (an AFD poll under Wine): INVALID_PARAMETER if
 * the handle joined no port; none when synchronous, successful and the
 * handle skips the port on success. */
uint32_t iocp_binding_post(struct iocp_binding *b, uint32_t status, uintptr_t information, void *value,
                           bool synchronous);
/* A duplicate of a handle (WSADuplicateSocket within the process) goes to
 * the same port, with the same key and modes. */
void iocp_binding_copy(struct iocp_binding *to, struct iocp_binding *from);

/* ---- delivery --------------------------------------------------------------- */

/* An APC: fn runs on the target thread during an alertable wait. */
struct iocp_apc {
    struct iocp_apc *next;
    void (*fn)(struct iocp_apc *apc);
    void (*drop)(struct iocp_apc *apc);   /* if the thread exits first; may be NULL */
};

struct iocp_completion {
    struct iocp_packet packet;            /* release: frees the request */
    struct iocp_binding *binding;         /* NULL: the handle has none */
    struct iocp_overlapped *ov;           /* NULL: no OVERLAPPED */
    /* An NT request (NtReadFile, IOCTL_AFD_RECV under a host) reports to
     * its own status block and names its own port value; ov is then the
     * request's private OVERLAPPED, which carries its event. */
    void *nt_iosb;                        /* NULL: an OVERLAPPED request */
    void *nt_value;
    struct iocp_thread *apc_thread;       /* set with apc.fn: completion routine */
    struct iocp_apc apc;
    bool routine_elsewhere;               /* a host runs the completion routine: no packet */
};

/* Delivers a finished operation (see the top of this file). synchronous:
 * the operation completed in the call that started it, which is when the
 * SKIP modes apply.  Calls packet.release exactly once, when no sink needs
 * the request any more. */
void iocp_complete(struct iocp_completion *c, uint32_t status, uintptr_t information,
                   bool synchronous);

/* Sets an OVERLAPPED's hEvent or a WSAEventSelect event: ws2uring's own
 * event, or the host's (ops->set_event: under Wine, NtSetEvent). */
void iocp_signal_event(uintptr_t event);
/* Resets such an event, the host's (ops->reset_event) or ws2uring's own:
 * the status of the reset (a host's always succeeds). */
uint32_t iocp_clear_event(uintptr_t event);

/* ---- events (manual or auto reset) ------------------------------------------ */
uint32_t iocp_event_create(bool manual_reset, bool initial, uintptr_t *handle);
uint32_t iocp_event_set(uintptr_t handle);
uint32_t iocp_event_reset(uintptr_t handle);
/* SUCCESS, TIMEOUT, USER_APC, INVALID_HANDLE. */
uint32_t iocp_event_wait(uintptr_t handle, int64_t deadline, bool alertable);
/* Up to IOCP_MAX_WAIT events: any (lowest signalled index in *index) or all.
 * Also INVALID_PARAMETER for a bad count. */
#define IOCP_MAX_WAIT 64
uint32_t iocp_event_wait_many(const uintptr_t *handles, unsigned n, bool all, int64_t deadline,
                              bool alertable, unsigned *index);
/* Closes an event handle; INVALID_HANDLE if it names no event. */
uint32_t iocp_event_close(uintptr_t handle);

/* ---- thread objects (CreateThread natively) --------------------------------------------------
 * A thread handle owns a manual-reset event set when the thread returns, so
 * waits on threads and events are one mechanism. */
typedef uint32_t (__attribute__((ms_abi)) *iocp_thread_start)(void *arg);
uint32_t iocp_thread_create(iocp_thread_start fn, void *arg, uintptr_t *handle, uint32_t *tid);
/* The event a waitable handle stands for: itself for an event, its exit
 * event for a thread; 0 otherwise. */
uintptr_t iocp_waitable_event(uintptr_t handle);
/* Exit code, or STILL_ACTIVE (259) while it runs; INVALID_HANDLE. */
uint32_t iocp_thread_exit_code(uintptr_t handle, uint32_t *code);

/* ---- threads, APCs and blocking ------------------------------------------------ */

/* The calling thread's state (made on first use, freed at thread exit). */
struct iocp_thread *iocp_thread_self(void);
void iocp_thread_ref(struct iocp_thread *t);
void iocp_thread_unref(struct iocp_thread *t);
/* Queues apc to t and wakes t if it waits alertably. */
void iocp_queue_apc(struct iocp_thread *t, struct iocp_apc *apc);
/* QueueUserAPC for the calling thread: fn(data) runs at its next alertable
 * wait. NO_MEMORY if the queue entry cannot be allocated. */
uint32_t iocp_queue_user_apc(void (*fn)(uintptr_t data), uintptr_t data);
/* Runs the calling thread's queued APCs; returns how many ran. */
unsigned iocp_run_apcs(void);
/* SleepEx: SUCCESS after the time, USER_APC if APCs ran. */
uint32_t iocp_sleep(int64_t deadline, bool alertable);

/* Around any wait in ws2uring: the thread stops counting as active for its
 * port, so another waiter may run (Windows does this in the kernel). */
void iocp_block_begin(void);
void iocp_block_end(void);

/* ---- disk files (CreateFile natively) -------------------------------------------------------
 * A file handle owns a descriptor; enough for a program to write a file
 * and hand it to TransmitFile.  These return Win32 error codes (0 on
 * success), because CreateFile's errors are not NTSTATUS mappings. */
#define IOCP_GENERIC_READ  0x80000000u
#define IOCP_GENERIC_WRITE 0x40000000u
uint32_t iocp_file_open(const char *path, uint32_t access, uint32_t disposition, uintptr_t *handle);
uint32_t iocp_file_read(uintptr_t h, void *buf, uint32_t n, uint32_t *done);
uint32_t iocp_file_write(uintptr_t h, const void *buf, uint32_t n, uint32_t *done);
uint32_t iocp_file_size(uintptr_t h, uint64_t *size);
/* whence: 0 begin, 1 current, 2 end (FILE_BEGIN...); *pos the new offset. */
uint32_t iocp_file_seek(uintptr_t h, int64_t distance, uint32_t whence, uint64_t *pos);
/* A reference to the file object (w2u_object_unref it) and its descriptor,
 * for I/O that outlives the call; NULL if h is no file. */
struct w2u_object *iocp_file_get(uintptr_t h, int *fd);

#endif
