/*
 * ws2uring.h — the public native header of ws2uring.
 *
 * A Win32 program built natively on Linux includes Wine's <windows.h> (and,
 * from the Winsock issue on, <winsock2.h>) as usual and links with
 *     cc prog.c $(pkg-config --cflags --libs ws2uring)
 * The library provides the Win32 functions those headers declare.  This
 * header adds what only ws2uring has.
 */
#ifndef WS2URING_H
#define WS2URING_H

#define WS2URING_VERSION_MAJOR 0
#define WS2URING_VERSION_MINOR 1

/* pkg-config force-includes this header (-include ws2uring.h), before the
 * program's own includes: it may define macros only, never include Wine's
 * headers (POSIX headers must come first, see DESIGN.md). */

/* Windows declares these in winbase.h; Wine only in winternl.h. Same
 * spelling as Wine's, so both definitions can meet. */
#ifndef FILE_SKIP_COMPLETION_PORT_ON_SUCCESS
#define FILE_SKIP_COMPLETION_PORT_ON_SUCCESS 0x1
#endif
#ifndef FILE_SKIP_SET_EVENT_ON_HANDLE
#define FILE_SKIP_SET_EVENT_ON_HANDLE        0x2
#endif

/* Wine's winsock headers declare gethostname only for MinGW/MSVC builds
 * (glibc's <unistd.h> has its own).  A native Win32 program calling it
 * would reach glibc's, or an implicit declaration with the wrong calling
 * convention: map it to ws2uring's Windows one.  A file that also includes
 * <unistd.h> then fails to compile ("conflicting types"), loudly rather
 * than calling the wrong function. */
#if !defined(__MINGW32__) && !defined(_MSC_VER)
#define gethostname ws2u_gethostname
__attribute__((ms_abi)) int ws2u_gethostname(char *name, int namelen);
#endif

/* Windows' mswsock.h has these (used by mio/tokio); Wine 8's lacks them. */
#ifndef SIO_BSP_HANDLE
#define SIO_BSP_HANDLE        0x4800001B
#define SIO_BSP_HANDLE_SELECT 0x4800001C
#define SIO_BSP_HANDLE_POLL   0x4800001D
#endif

/* Windows' winsock2.h declares WSASendMsg (Vista on); Wine 8's does not.
 * Spelled with the struct tags and base types the typedefs stand for, so
 * no Wine header is needed here and the later typedefs agree with it. */
#if !defined(__MINGW32__) && !defined(_MSC_VER)
struct _WSAMSG;
struct _OVERLAPPED;
__attribute__((ms_abi)) int WSASendMsg(unsigned long s, struct _WSAMSG *msg, unsigned int flags,
                                       unsigned int *sent, struct _OVERLAPPED *ov,
                                       void (__attribute__((ms_abi)) *routine)(unsigned int, unsigned int,
                                                                              struct _OVERLAPPED *,
                                                                              unsigned int));
#endif

/* Windows' ws2ipdef.h has these TCP options; Wine 8's headers lack them. */
#ifndef TCP_KEEPIDLE
#define TCP_KEEPIDLE  3
#endif
#ifndef TCP_KEEPCNT
#define TCP_KEEPCNT   16
#endif
#ifndef TCP_KEEPINTVL
#define TCP_KEEPINTVL 17
#endif

/* What a host (ws2uring's Wine glue) calls and provides is in
 * <ws2uring/ws2uring_host.h>, not here: a native program needs none of it. */

#endif
