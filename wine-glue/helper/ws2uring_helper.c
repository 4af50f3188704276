/*
 * ws2uring.dll, a builtin Wine DLL with no code of its own: Wine's loader
 * looks for a builtin module's Unix library (x86_64-unix/ws2uring.so on
 * WINEDLLPATH) and lets callers reach it through the module's handle.  The
 * native ws2_32.dll loads this helper for that handle only.
 */
#include <windows.h>

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, void *reserved)
{
    (void)instance;
    (void)reason;
    (void)reserved;
    return TRUE;
}
