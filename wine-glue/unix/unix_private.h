/* What the Unix side's files share (ws2uring_unix.c is the core of it). */
#ifndef W2U_UNIX_PRIVATE_H
#define W2U_UNIX_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include "../../include/ws2uring_host.h"

typedef int32_t NTSTATUS;

/* A function of libws2uring.so.0 by name, or NULL; after init. */
void *w2u_unix_find(const char *name);
/* Wine's calls, from ntdll.so (the Windows calling convention inside). */
void w2u_unix_set_event(uint64_t event);
NTSTATUS w2u_unix_queue_apc(uint64_t thread, uint64_t func, uint64_t a1, uint64_t a2, uint64_t a3);
/* A packet for the Wine handle's port (wineserver's add_fd_completion). */
void w2u_unix_post_completion(uintptr_t handle, void *value, uint32_t status, uintptr_t information,
                              int synchronous);
extern bool w2u_unix_trace;

/* probe.c: ops->probe, libws2uring's touch with Wine's fault guard. */
bool w2u_wine_guard(ws2uring_touch_fn *touch, void *p, size_t n, bool write);

/* afd.c: IOCTL_AFD_POLL on ws2uring's SOCKETs. */
NTSTATUS w2u_afd_init(void);
NTSTATUS w2u_afd_submit(void *args);
NTSTATUS w2u_afd_cancel(void *args);
NTSTATUS w2u_afd_run(void *args);
NTSTATUS w2u_nt_done(void *args);

#endif
