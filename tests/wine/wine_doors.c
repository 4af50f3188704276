/*
 * ws2uring's SOCKETs and ports through doors other than the main module's
 * imports: the networking lives in wine_doors_net.dll, loaded with
 * LoadLibrary, which calls kernel32 through its own imports, through
 * GetProcAddress and through ntdll.  Run under Wine on ws2uring and on
 * Wine's builtin by run_wine.sh, which requires both to pass and agree.
 *   wine_doors.exe ws2uring|builtin
 */
#include <windows.h>
#include <stdio.h>
#include <string.h>

#include "wine_check.h"

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc != 2 || (strcmp(argv[1], "ws2uring") && strcmp(argv[1], "builtin"))) {
        printf("usage: wine_doors.exe ws2uring|builtin\n");
        return 2;
    }
    /* This module imports no ws2_32: the DLL brings it in. */
    HMODULE net = LoadLibraryA("wine_doors_net.dll");
    int (WINAPI *checks)(void) = net ? (int (WINAPI *)(void))(void *)GetProcAddress(net, "net_checks@0") : NULL;
    if (net && !checks)
        checks = (int (WINAPI *)(void))(void *)GetProcAddress(net, "net_checks");
    check(checks != NULL, "load-dll", "wine_doors_net.dll and its net_checks");
    int want = !strcmp(argv[1], "ws2uring");
    int have = GetProcAddress(GetModuleHandleA("ws2_32.dll"), "ws2uring_version") != NULL;
    check(have == want, "loaded", want ? "ws2uring's ws2_32.dll expected" : "Wine's builtin expected");
    int failed = checks ? checks() : 1;
    return failures || failed ? 1 : 0;
}
