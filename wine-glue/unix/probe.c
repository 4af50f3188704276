/* Program memory checked under Wine (w2u_user_readable's host guard).
 *
 * Wine 8.0's ntdll.so lets a Unix library catch its own faults: with a
 * jump buffer set by ntdll_set_exception_jmp_buf, a SIGSEGV raised while
 * the thread is inside a Unix call resumes at __wine_setjmpex's return
 * with 1 (signal_x86_64.c, handle_syscall_fault; the buffer is cleared
 * then).  A fault on a MEM_WRITE_WATCH page is resolved before that, as
 * for any access.  Both functions are exported by ntdll.so for Unix
 * libraries (include/wine/unixlib.h's __TRY); __wine_setjmpex returns
 * twice, so it is called directly (linked), not through a pointer. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "unix_private.h"

/* include/wine/unixlib.h's __wine_jmp_buf on x86_64. */
typedef struct {
    __attribute__((aligned(16))) struct { uint64_t part[2]; } reg[16];
} wine_jmp_buf;

/* __cdecl, which Wine's headers make the Windows convention on x86_64
 * (its assembly takes the buffer in %rcx). */
extern int __attribute__((ms_abi)) __wine_setjmpex(wine_jmp_buf *buf, void *frame)
    __attribute__((returns_twice, nothrow));
extern void ntdll_set_exception_jmp_buf(wine_jmp_buf *jmp);

/* Runs libws2uring's touch of the range with faults caught. */
bool w2u_wine_guard(ws2uring_touch_fn *touch, void *p, size_t n, bool write)
{
    wine_jmp_buf jump;
    if (__wine_setjmpex(&jump, NULL))
        return false;
    ntdll_set_exception_jmp_buf(&jump);
    touch(p, n, write);
    ntdll_set_exception_jmp_buf(NULL);
    return true;
}
