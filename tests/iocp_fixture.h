/* Plain-C hooks into iocp/ for test_iocp.c, which includes Windows headers
 * and so cannot include the library's internal ones. */
#ifndef W2U_IOCP_FIXTURE_H
#define W2U_IOCP_FIXTURE_H

#include <stdint.h>

/* A handle that can join a port, backed by a pipe: reads on it are real
 * io_uring requests on the port's ring, completed through iocp_complete. */
uintptr_t fx_file_create(void);
/* Starts an overlapped read of up to len bytes; 0 or -errno. */
int fx_file_read(uintptr_t file, void *overlapped, void *buf, unsigned len);
/* Writes to the pipe, which completes a pending read. */
int fx_file_feed(uintptr_t file, const void *data, unsigned len);
/* Cancels every read in flight (closesocket does the same). */
int fx_file_cancel(uintptr_t file);
/* Completes an operation on file at once through the normal delivery path,
 * with the given status; synchronous as for an inline completion.  apc:
 * if non-NULL, queued to the calling thread as a completion routine. */
void fx_file_complete(uintptr_t file, void *overlapped, uint32_t status, uintptr_t bytes,
                      int synchronous, void (*apc)(void *ctx), void *ctx);

/* Native events. */
uintptr_t fx_event_create(int manual);
int fx_event_is_set(uintptr_t event);

/* Threads and ports. */
void *fx_thread_self(void);
void fx_queue_apc(void *thread, void (*fn)(void *ctx), void *ctx);
unsigned fx_port_waiters(uintptr_t port);
unsigned fx_requests_live(void);
size_t fx_handles_open(void);
/* Handles still open once the count stops falling (up to ms): a thread
 * object's own reference goes only after its thread has signalled. */
size_t fx_handles_settled(unsigned ms);
long fx_cpu_count(void);

/* Runs body in a child process whose seccomp filter makes io_uring_setup
 * fail with EPERM; returns the child's exit status, with its stderr copied
 * into err (NUL-terminated). */
int fx_without_io_uring(int (*body)(void), char *err, unsigned errlen);

#endif
