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
    W2U_UNIX_CALLS
};

struct w2u_init_params {
    uint32_t status;              /* out: 0, or the call failed (message says why) */
    char message[256];
};

struct w2u_forward_params {
    uint32_t index;               /* in: position in w2u_unix_names */
    uint32_t last_error;          /* out: the error the call set, or W2U_NO_ERROR */
    uint64_t args[W2U_FORWARD_ARGS];
    uint64_t ret;                 /* out */
};

struct w2u_not_yet_params {
    const char *name;             /* the export */
    const char *why;              /* what it waits for, or NULL */
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
