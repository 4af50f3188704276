/* What the Windows test programs share: one line per check, "ok NAME" or
 * "FAIL NAME: why (last error N)", counted in failures. */
#ifndef W2U_WINE_CHECK_H
#define W2U_WINE_CHECK_H

#include <windows.h>
#include <stdio.h>

static int failures;

static void check(int ok, const char *name, const char *why)
{
    if (ok) {
        printf("ok %s\n", name);
    } else {
        printf("FAIL %s: %s (last error %lu)\n", name, why, GetLastError());
        failures++;
    }
}

#endif
