/*
 * The one interface between ws2uring's PE side (the ws2_32.dll a Windows
 * program loads under Wine) and its Unix side (ws2uring.so, which Wine's
 * ntdll loads beside the builtin helper ws2uring.dll and calls through
 * __wine_unix_call).  Plain C with fixed-width types: the PE side is built
 * by mingw-w64, the Unix side by gcc for Linux.
 */
#ifndef W2U_UNIX_SURFACE_H
#define W2U_UNIX_SURFACE_H

#include <stdint.h>

/* More than any ws2_32 export takes (WSAIoctl, WSARecvFrom: 9;
 * GetAddrInfoExW: 10).  Every argument of a ws2_32 call is an integer or a
 * pointer, so the Windows calling convention puts each in one 8-byte slot;
 * the thunks copy twelve of them and the callee reads those it has. */
#define W2U_FORWARD_ARGS 12

/* A value no Windows error has: "the call did not set the last error". */
#define W2U_NO_ERROR 0xfffffffeu

enum w2u_unix_call {
    W2U_UNIX_INIT,       /* struct w2u_init_params */
    W2U_UNIX_FORWARD,    /* struct w2u_forward_params */
    W2U_UNIX_NOT_YET,    /* struct w2u_not_yet_params */
    W2U_UNIX_ALIAS,      /* struct w2u_alias_params */
    W2U_UNIX_REAP,       /* NULL: delivers completions; non-NULL: watches for WSAEventSelect; never returns */
    W2U_UNIX_EXTENSION,  /* struct w2u_forward_params, index: enum w2u_extension */
    W2U_UNIX_HOST_PORT,  /* struct w2u_forward_params: args[0] a SOCKET joined to a Wine port */
    W2U_UNIX_POST,       /* struct w2u_forward_params: args port, NTSTATUS, information, key, OVERLAPPED */
    W2U_UNIX_DEFER,      /* struct w2u_forward_params: args listener, accepted SOCKET (WSAAccept's CF_DEFER) */
    W2U_UNIX_MESSAGE_SELECT, /* struct w2u_forward_params: args SOCKET, event, mask (WSAAsyncSelect's own
                              * selection); ret 0 or -WSA error */
    W2U_UNIX_LOOKUP,     /* struct w2u_forward_params: args[0] an overlapped GetAddrInfoExW's handle; waits
                          * for its end; ret its error (-1: no such lookup), args[1..3] out: event, routine,
                          * OVERLAPPED */
    W2U_UNIX_STATUS,     /* struct w2u_forward_params: args[0] a Win32 or WSA error; ret its NTSTATUS */
    W2U_UNIX_AFD_POLL,   /* struct w2u_afd_poll_params: IOCTL_AFD_POLL on ws2uring's SOCKETs */
    W2U_UNIX_AFD_CANCEL, /* struct w2u_afd_cancel_params */
    W2U_UNIX_AFD_RUN,    /* NULL: runs the pending AFD polls; never returns */
    W2U_UNIX_NT_DONE,    /* struct w2u_nt_done_params: an NT request on a SOCKET done at once */
    W2U_UNIX_COPY,       /* struct w2u_forward_params: args[0] a SOCKET; ret 0 or -WSA error, args[1] out:
                          * the socket's own handle, for a DuplicateHandle copy of it */
    W2U_UNIX_WAIT_READY, /* struct w2u_forward_params: args SOCKET, ms; ret 1 ready, 0 not yet; args[2] out:
                          * SO_RCVTIMEO in ms (0: none) */
    W2U_UNIX_SEND_WAITS, /* struct w2u_forward_params: args SOCKET, bytes; ret 1 a blocking stream send that
                          * may wait, else 0; args[1] out: SO_SNDTIMEO in ms (0: none) */
    W2U_UNIX_CONNECT_WAITS, /* struct w2u_forward_params: args[0] a SOCKET; ret 1 a blocking IP stream connect,
                             * 2 the same socket in non-blocking mode, else 0 */
    W2U_UNIX_CALLS
};

struct w2u_init_params {
    uint64_t apc_trampoline;      /* in: the PE function completion routines run through */
    uint32_t process_id;          /* in: GetCurrentProcessId(), the id programs know */
    uint32_t status;              /* out: 0, or the call failed (message says why) */
    char message[256];
};

struct w2u_forward_params {
    uint32_t index;               /* in: position in w2u_unix_names */
    uint32_t last_error;          /* out: the error the call set, or W2U_NO_ERROR */
    uint64_t thread;              /* in: a handle of the calling thread, for completion routines, or 0 */
    uint64_t args[W2U_FORWARD_ARGS];
    uint64_t ret;                 /* out */
};

/* IOCTL_AFD_POLL, checked by the PE side (sizes, a count, readable input,
 * writable output, every socket ws2uring's). */
struct w2u_afd_poll_params {
    uint64_t handle;              /* in: the handle NtDeviceIoControlFile was given */
    uint64_t event, apc, apc_context, iosb;   /* in: NtDeviceIoControlFile's */
    uint64_t thread;              /* in: a handle of the calling thread, for the APC */
    uint64_t in, out;             /* in: the request and its answer (afd.sys's layout) */
    uint64_t names;               /* in: ws2uring's name of each socket of the request, in its order
                                   * (a DuplicateHandle copy's differs from its handle) */
    int64_t timeout_ns;           /* in: how long from now; -1: no limit */
    uint32_t immediate;           /* in: a timeout of 0: answer now, never pending */
    uint32_t thread_id;           /* in: the calling thread's id (CancelIo) */
    uint32_t status;              /* out: SUCCESS (answered), PENDING, or why it failed */
};

/* Ends pending polls made on handle: all of them, the one with status
 * block iosb, or (thread_id) those of one thread, with STATUS_CANCELLED.
 * closing: the SOCKET handle is about to close: every poll that names it
 * reports AFD_POLL_CLOSE for it, and the others made on it are cancelled,
 * while its port is still there for their packets. */
struct w2u_afd_cancel_params {
    uint64_t handle, iosb;
    uint32_t thread_id;
    uint32_t closing;
    uint32_t thread_exit;         /* the thread thread_id ends: its polls on any handle end, as
                                   * afd.sys ends them, except those that only a port reports */
    uint32_t cancelled;           /* out: how many ended */
};

/* Delivers an NT request the DLL answered at once (IOCTL_AFD_BIND,
 * IOCTL_AFD_GETSOCKNAME): its status block, event, APC or port packet. */
struct w2u_nt_done_params {
    uint64_t handle, event, apc, apc_context, iosb, thread;
    uint64_t information;
    uint32_t status;
    uint32_t pad;
};

struct w2u_not_yet_params {
    const char *name;             /* the export */
    const char *why;              /* what it waits for, or NULL */
};

/* The extension functions WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER)
 * hands out, in the order of w2u_extension_guids. */
enum w2u_extension {
    W2U_EXT_ACCEPTEX, W2U_EXT_CONNECTEX, W2U_EXT_DISCONNECTEX, W2U_EXT_GETACCEPTEXSOCKADDRS,
    W2U_EXT_TRANSMITFILE, W2U_EXT_TRANSMITPACKETS, W2U_EXT_WSARECVMSG, W2U_EXT_WSASENDMSG,
    W2U_EXTENSIONS
};

/* Their GUIDs as the 16 bytes a program passes (Windows' GUID layout). */
static const uint8_t w2u_extension_guids[W2U_EXTENSIONS][16] = {
    /* b5367df1-cbac-11cf-95ca-00805f48a192 AcceptEx */
    { 0xf1, 0x7d, 0x36, 0xb5, 0xac, 0xcb, 0xcf, 0x11, 0x95, 0xca, 0x00, 0x80, 0x5f, 0x48, 0xa1, 0x92 },
    /* 25a207b9-ddf3-4660-8ee9-76e58c74063e ConnectEx */
    { 0xb9, 0x07, 0xa2, 0x25, 0xf3, 0xdd, 0x60, 0x46, 0x8e, 0xe9, 0x76, 0xe5, 0x8c, 0x74, 0x06, 0x3e },
    /* 7fda2e11-8630-436f-a031-f536a6eec157 DisconnectEx */
    { 0x11, 0x2e, 0xda, 0x7f, 0x30, 0x86, 0x6f, 0x43, 0xa0, 0x31, 0xf5, 0x36, 0xa6, 0xee, 0xc1, 0x57 },
    /* b5367df2-cbac-11cf-95ca-00805f48a192 GetAcceptExSockaddrs */
    { 0xf2, 0x7d, 0x36, 0xb5, 0xac, 0xcb, 0xcf, 0x11, 0x95, 0xca, 0x00, 0x80, 0x5f, 0x48, 0xa1, 0x92 },
    /* b5367df0-cbac-11cf-95ca-00805f48a192 TransmitFile */
    { 0xf0, 0x7d, 0x36, 0xb5, 0xac, 0xcb, 0xcf, 0x11, 0x95, 0xca, 0x00, 0x80, 0x5f, 0x48, 0xa1, 0x92 },
    /* d9689da0-1f90-11d3-9971-00c04f68c876 TransmitPackets */
    { 0xa0, 0x9d, 0x68, 0xd9, 0x90, 0x1f, 0xd3, 0x11, 0x99, 0x71, 0x00, 0xc0, 0x4f, 0x68, 0xc8, 0x76 },
    /* f689d7c8-6f1f-436b-8a53-e54fe351c322 WSARecvMsg */
    { 0xc8, 0xd7, 0x89, 0xf6, 0x1f, 0x6f, 0x6b, 0x43, 0x8a, 0x53, 0xe5, 0x4f, 0xe3, 0x51, 0xc3, 0x22 },
    /* a441e712-754f-43ca-84a7-0dee44cf606d WSASendMsg */
    { 0x12, 0xe7, 0x41, 0xa4, 0x4f, 0x75, 0xca, 0x43, 0x84, 0xa7, 0x0d, 0xee, 0x44, 0xcf, 0x60, 0x6d },
};

/* The program's handle for a ws2uring socket (a Wine AFD socket made by
 * the PE side): socket != 0 names it, socket == 0 forgets alias. */
struct w2u_alias_params {
    uint64_t alias;
    uint64_t socket;
    uint32_t status;              /* out: 0 or a WSA error */
    uint32_t started;             /* out: WSAStartup still in effect */
};

#endif
