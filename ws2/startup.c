/* WSAStartup / WSACleanup: version negotiation and the start-up count. */
#include <pthread.h>

#include "../uring-backend/uring.h"
#include "ws2.h"

static pthread_mutex_t startup_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int started;

int ws2_startup(uint16_t requested, struct ws2_startup_info *info)
{
    unsigned major = requested & 0xff, minor = requested >> 8;

    /* Windows serves 1.0 to 2.2; above 2.2 it offers 2.2; below 1.0 it
     * refuses, still telling what it would offer (2.2). */
    uint16_t version = (major < 1 || major > 2 || (major == 2 && minor > 2)) ? 0x0202 : requested;
    if (major == 1 && minor > 1)
        version = 0x0101;
    if (info) {
        info->version = version;
        info->high_version = 0x0202;
        info->description = "WinSock 2.0";
        info->status = "Running";
        /* Winsock 1 programs size tables from these; 2.x reports 0. */
        info->max_sockets = major == 1 ? 32767 : 0;
        info->max_udp_dg = major == 1 ? 65467 : 0;
    }
    if (major < 1)
        return W2U_WSAVERNOTSUPPORTED;
    pthread_mutex_lock(&startup_lock);
    atomic_fetch_add(&started, 1);
    pthread_mutex_unlock(&startup_lock);
    /* Probe io_uring now: the one-line diagnosis appears at start-up, and
     * WSAStartup still succeeds (synchronous calls work without it). */
    ur_init();
    return 0;
}

int ws2_cleanup(void)
{
    int r = 0;
    bool last = false;
    pthread_mutex_lock(&startup_lock);
    if (atomic_load(&started) > 0)
        last = atomic_fetch_sub(&started, 1) == 1;
    else
        r = -W2U_WSANOTINITIALISED;
    pthread_mutex_unlock(&startup_lock);
    /* Windows: sockets still open at the last clean-up are closed as if
     * closesocket had been called (threads blocked in them wake up). */
    if (last)
        w2u_handle_close_all(W2U_OBJ_SOCKET);
    return r;
}

int ws2_check_started(void)
{
    return atomic_load_explicit(&started, memory_order_acquire) > 0 ? 0 : -W2U_WSANOTINITIALISED;
}
