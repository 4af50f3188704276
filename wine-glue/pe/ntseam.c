/* The ntdll seam: ws2uring's hooks in front of ntdll's Nt* system calls.
 *
 * kernelbase implements the kernel32 calls on ntdll's Nt* functions, and
 * every module, GetProcAddress user and Wine's own DLLs call those, so a
 * hook at ntdll's entry points sees a SOCKET whichever door it came
 * through.  Wine 8.0's ntdll.dll is a PE module whose Nt* exports are
 * 32-byte system-call thunks, the same for every call but the number:
 *
 *   4c 8b d1             mov  %rcx,%r10
 *   b8 NN NN NN NN       mov  $NNNN,%eax
 *   f6 04 25 08 03 fe 7f 01   testb $1,0x7ffe0308
 *   75 03 0f 05 c3       jne +3; syscall; ret
 *   eb 01 c3             jmp +1; ret
 *   ff 14 25 00 10 fe 7f c3   call *0x7ffe1000; ret   (ntdll.so's dispatcher)
 *
 * (objdump -d of x86_64-windows/ntdll.dll).  Its addresses are absolute
 * and its jumps stay inside it, so a copy of the 32 bytes anywhere is
 * the original call.  A hooked thunk starts with a 5-byte jump to a stub
 * near ntdll (within 2 GiB), written as one aligned 8-byte store so a
 * thread running the thunk meanwhile sees the old or the new code, never
 * half of each; the stub jumps on to the hook.  A thunk that does not
 * look like the above is left alone and the seam refuses to install, so
 * another Wine build is never patched blind. */
#include <windows.h>
#include <string.h>

#include "ws2_32_pe.h"

#define THUNK_SIZE 32

static const BYTE head[] = { 0x4c, 0x8b, 0xd1, 0xb8 };
static const BYTE tail[] = { 0xf6, 0x04, 0x25, 0x08, 0x03, 0xfe, 0x7f, 0x01, 0x75, 0x03, 0x0f, 0x05,
                             0xc3, 0xeb, 0x01, 0xc3, 0xff, 0x14, 0x25, 0x00, 0x10, 0xfe, 0x7f, 0xc3 };

/* One hooked call's room: the original thunk, then the stub to the hook. */
struct slot {
    BYTE original[THUNK_SIZE];
    BYTE stub[16];
};

static BOOL is_thunk(const BYTE *f)
{
    return !((ULONG_PTR)f & 7) && !memcmp(f, head, sizeof(head)) && !memcmp(f + 8, tail, sizeof(tail));
}

/* A page of our own within a jump's reach of ntdll. */
static BYTE *near_page(const BYTE *at, SIZE_T size)
{
    ULONG_PTR base = (ULONG_PTR)at & ~(ULONG_PTR)0xffff;
    for (ULONG_PTR step = 0x10000; step < 0x70000000; step += 0x10000) {
        void *p = VirtualAlloc((void *)(base - step), size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
        if (p)
            return p;
    }
    return NULL;
}

BOOL w2u_nt_seam_install(const struct w2u_nt_hook *hooks, size_t count)
{
    HMODULE ntdll = GetModuleHandleA("ntdll.dll");
    BYTE *at[W2U_NT_HOOKS_MAX];
    if (!ntdll || count > W2U_NT_HOOKS_MAX)
        return FALSE;
    for (size_t i = 0; i < count; i++) {
        at[i] = (BYTE *)(void *)GetProcAddress(ntdll, hooks[i].name);
        if (!at[i] || !is_thunk(at[i]))
            return FALSE;                   /* not the ntdll this was written for */
    }
    SIZE_T size = count * sizeof(struct slot);
    struct slot *slots = (struct slot *)near_page(at[0], size);
    if (!slots)
        return FALSE;
    for (size_t i = 0; i < count; i++) {
        INT64 rel = (INT64)((BYTE *)slots[i].stub - (at[i] + 5));
        if (rel != (INT32)rel) {
            VirtualFree(slots, 0, MEM_RELEASE);
            return FALSE;
        }
        memcpy(slots[i].original, at[i], THUNK_SIZE);
        /* movabs $hook,%rax; jmp *%rax (rax is the call number's register,
         * which the hook does not need). */
        BYTE *s = slots[i].stub;
        s[0] = 0x48;
        s[1] = 0xb8;
        ULONG_PTR hook = (ULONG_PTR)hooks[i].hook;
        memcpy(s + 2, &hook, sizeof(hook));
        s[10] = 0xff;
        s[11] = 0xe0;
        memset(s + 12, 0xcc, 4);
    }
    DWORD old;
    if (!VirtualProtect(slots, size, PAGE_EXECUTE_READ, &old)) {
        VirtualFree(slots, 0, MEM_RELEASE);
        return FALSE;
    }
    for (size_t i = 0; i < count; i++) {
        *hooks[i].original = slots[i].original;
        BYTE jump[8] = { 0xe9, 0, 0, 0, 0, 0x90, 0x90, 0x90 };
        INT32 rel = (INT32)((BYTE *)slots[i].stub - (at[i] + 5));
        memcpy(jump + 1, &rel, sizeof(rel));
        LONG64 value;
        memcpy(&value, jump, sizeof(value));
        if (!VirtualProtect(at[i], 8, PAGE_EXECUTE_READWRITE, &old))
            return FALSE;
        InterlockedExchange64((volatile LONG64 *)at[i], value);
        VirtualProtect(at[i], 8, old, &old);
    }
    FlushInstructionCache(GetCurrentProcess(), NULL, 0);
    return TRUE;
}
