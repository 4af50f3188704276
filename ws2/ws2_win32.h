/* Shared by ws2/'s Windows-facing files (they include winsock2.h first). */
#ifndef W2U_WS2_WIN32_H
#define W2U_WS2_WIN32_H

/* Defines ws2u_NAME and exports it also as __wrap_NAME, for names glibc
 * exports too (see ws2_win32.c and WS2URING_WRAPPED in meson.build). */
#define WRAPPED(ret, name, args) \
    W2U_EXPORT ret WINAPI ws2u_##name args; \
    W2U_EXPORT ret WINAPI __wrap_##name args __attribute__((alias("ws2u_" #name))); \
    W2U_EXPORT ret WINAPI ws2u_##name args

/* For exports not written yet: one log line per function, then the error. */
void ws2_not_yet(const char *name, _Atomic int *logged);
#define NOT_YET(name) \
    do { static _Atomic int logged_; ws2_not_yet(name, &logged_); } while (0)

#endif
