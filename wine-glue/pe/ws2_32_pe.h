/* The PE side of ws2_32.dll under Wine: what the generated thunks call. */
#ifndef W2U_WS2_32_PE_H
#define W2U_WS2_32_PE_H

#include <windows.h>

/* Calls export index (of w2u_unix_names) in ws2uring's Unix library with
 * the call's twelve argument slots; sets the thread's last error when the
 * call set one. */
UINT64 w2u_pe_forward(unsigned index, const char *name, UINT64 a0, UINT64 a1, UINT64 a2, UINT64 a3,
                      UINT64 a4, UINT64 a5, UINT64 a6, UINT64 a7, UINT64 a8, UINT64 a9, UINT64 a10,
                      UINT64 a11);
/* The same, for a call given a completion routine: the calling thread's
 * handle goes along, for the routine's APC. */
UINT64 w2u_pe_forward_routine(unsigned index, const char *name, UINT64 a0, UINT64 a1, UINT64 a2, UINT64 a3,
                              UINT64 a4, UINT64 a5, UINT64 a6, UINT64 a7, UINT64 a8, UINT64 a9, UINT64 a10,
                              UINT64 a11);
/* An export not yet served under Wine: one log line (the first time), last
 * error WSAEOPNOTSUPP, and fail_value returned. */
UINT64 w2u_pe_not_yet(const char *name, const char *why, UINT64 fail_value);

/* Windows probes a receive's buffers for writing when the call starts: a
 * page under MEM_WRITE_WATCH counts as written then, and the write that
 * lands later is the kernel's.  Under Wine such a page is write-protected
 * until the program's first write, and Linux fails a recv into it with
 * EFAULT; touching each page here (IsBadWritePtr writes it back unchanged)
 * lets Wine record the write and lift the protection first.  FALSE for a
 * buffer that is not writable: the call fails with WSAEFAULT before it
 * starts (w2u_pe_fault). */
BOOL w2u_pe_probe_buffer(UINT64 buf, UINT64 len);
/* The same for count WSABUFs at bufs (an unreadable array is the Unix
 * side's to refuse: TRUE). */
BOOL w2u_pe_probe_wsabufs(UINT64 bufs, UINT64 count);
/* WSAEFAULT, and SOCKET_ERROR to return. */
UINT64 w2u_pe_fault(void);

/* Before a call that may block on the SOCKET s (a blocking receive or
 * accept): waits on the program's side, in slices, for what the call
 * waits for, running the thread's APCs as Windows' alertable wait does
 * (and leaving the thread where Wine can suspend it); FALSE, with the
 * error set, when SO_RCVTIMEO ran out (WSAETIMEDOUT) or another thread
 * closed the socket (WSAEINTR): the call then fails (w2u_pe_timed_out). */
BOOL w2u_pe_wait_ready(UINT64 s);
/* SOCKET_ERROR (INVALID_SOCKET) to return after w2u_pe_wait_ready failed. */
UINT64 w2u_pe_timed_out(void);

/* The ntdll seam (ntseam.c): hooks in front of ntdll's Nt* calls, so a
 * SOCKET reaches ws2uring through every door.  Each hook's *original is
 * set to the call as it was; FALSE: nothing was patched (an ntdll that
 * does not look like Wine 8.0's), and the originals are left as they are. */
#define W2U_NT_HOOKS_MAX 24
struct w2u_nt_hook {
    const char *name;
    void *hook;
    void **original;
};
BOOL w2u_nt_seam_install(const struct w2u_nt_hook *hooks, size_t count);

/* r is what a socket-making export returned: a new ws2uring socket gets a
 * Wine handle, which the program sees (INVALID_SOCKET stays as it is). */
UINT64 w2u_pe_give_handle(UINT64 r);
/* ns (a handle or INVALID_SOCKET) was accepted on listener: it takes the
 * listener's WSAAsyncSelect window, message and events.  Returns ns. */
UINT64 w2u_pe_accepted(UINT64 listener, UINT64 ns);
/* closesocket(h) is about to run: the AFD polls that name h end with
 * AFD_POLL_CLOSE, the others made on it are cancelled. */
void w2u_pe_before_close(UINT64 h);
/* closesocket(h) succeeded: h's Wine handle goes too. */
void w2u_pe_drop_handle(UINT64 h);
/* WSACleanup succeeded: if it was the last, every Wine handle goes. */
void w2u_pe_after_cleanup(void);

/* Declares the generated thunk of a forwarded export, to call it from the
 * DLL's own code: twelve argument slots, as the program's call has. */
#define W2U_PE_THUNK(name)                                                                          \
    UINT64 WINAPI w2u_pe_##name(UINT64 a0, UINT64 a1, UINT64 a2, UINT64 a3, UINT64 a4, UINT64 a5, \
                                UINT64 a6, UINT64 a7, UINT64 a8, UINT64 a9, UINT64 a10, UINT64 a11)

/* PostMessageW (user32, loaded the first time): FALSE if it failed or
 * user32 is not there. */
BOOL w2u_pe_post(HWND hwnd, UINT msg, WPARAM wparam, LPARAM lparam);

#endif
